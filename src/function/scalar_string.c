/*
 * scalar_string.c — string functions: || and concat, lower/upper (Unicode), length (UTF-8
 * characters), substring/substr (DuckDB's rules for start <= 0 and negative lengths), trim,
 * ltrim, rtrim, replace, starts_with/prefix, ends_with/suffix, contains, strpos.
 * Positions and lengths count UTF-8 characters. Result strings are copied into the result
 * chunk's heap.
 */
#include <locale.h>
#include <pthread.h>
#include <wctype.h>
#include "function/scalar_internal.h"

static inline size_t utf8_len(unsigned char c) {
    if (c < 0x80) return 1;
    if ((c & 0xE0) == 0xC0) return 2;
    if ((c & 0xF0) == 0xE0) return 3;
    if ((c & 0xF8) == 0xF0) return 4;
    return 1;
}

static int64_t utf8_count(const char *s, size_t n) {
    int64_t count = 0;
    for (size_t i = 0; i < n; i++) count += ((unsigned char)s[i] & 0xC0) != 0x80;
    return count;
}

/* Byte offset of character k (k <= number of characters). */
static size_t utf8_offset(const char *s, size_t n, int64_t k) {
    size_t i = 0;
    while (k > 0 && i < n) {
        i += utf8_len((unsigned char)s[i]);
        k--;
    }
    return i < n ? i : n;
}

static bool is_ascii(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80) return false;
    return true;
}

/* A result string of len bytes: where to write it, and the final string_t once written. */
typedef struct str_builder {
    char local[STRING_INLINE_LENGTH];
    char *data;
    uint32_t len;
} str_builder;

static bool builder_init(str_builder *b, chunk *out, size_t len, error *err) {
    if (len > UINT32_MAX) return error_set(err, EIDER_ERROR_INVALID_INPUT, "string result too long");
    b->len = (uint32_t)len;
    if (len <= STRING_INLINE_LENGTH) {
        b->data = b->local;
        return true;
    }
    b->data = scalar_string_alloc(out, (uint32_t)len, err);
    return b->data != NULL;
}
static inline string_t builder_finish(const str_builder *b) { return string_make(b->data, b->len); }

static bool is_text(logical_type t) { return t.id == TYPE_VARCHAR || t.id == TYPE_SQLNULL; }
static bool is_int_arg(logical_type t) { return type_is_integral(t) || t.id == TYPE_SQLNULL; }

static void bind_set(bound_scalar *out, scalar_fn fn, uint32_t nargs, logical_type result) {
    out->fn = fn;
    scalar_args_all(out, nargs, type_make(TYPE_VARCHAR));
    out->result_type = result;
}

/* ---- concatenation ----------------------------------------------------------------------- */

/* Concatenates the valid arguments of row i (all of them for ||, whose NULL rows are skipped). */
static bool concat_rows(const vector *args, uint32_t nargs, uint32_t count, vector *result, chunk *out, error *err,
                        bool skip_nulls) {
    string_t *r = result->data;
    bool all = vector_all_valid(result, count);
    for (uint32_t i = 0; i < count; i++) {
        if (!skip_nulls && !scalar_row_valid(result, all, i)) continue;
        size_t total = 0;
        for (uint32_t a = 0; a < nargs; a++)
            if (vector_is_valid(&args[a], i)) total += ((const string_t *)args[a].data)[i].length;
        str_builder b;
        if (!builder_init(&b, out, total, err)) return false;
        size_t pos = 0;
        for (uint32_t a = 0; a < nargs; a++) {
            if (!vector_is_valid(&args[a], i)) continue;
            const string_t *s = &((const string_t *)args[a].data)[i];
            if (s->length) memcpy(b.data + pos, string_data(s), s->length);
            pos += s->length;
        }
        r[i] = builder_finish(&b);
        if (skip_nulls) vector_set_valid(result, i);
    }
    return true;
}

static bool fn_concat_op(const vector *args, uint32_t nargs, uint32_t count, vector *result, chunk *out, error *err) {
    return concat_rows(args, nargs, count, result, out, err, false);
}
static bool fn_concat(const vector *args, uint32_t nargs, uint32_t count, vector *result, chunk *out, error *err) {
    return concat_rows(args, nargs, count, result, out, err, true);
}

bool scalar_bind_concat_op(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)args;
    (void)err;
    if (nargs != 2) return false;
    bind_set(out, fn_concat_op, nargs, type_make(TYPE_VARCHAR));
    return true;
}

bool scalar_bind_concat(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)args;
    (void)err;
    if (nargs < 1) return false;
    bind_set(out, fn_concat, nargs, type_make(TYPE_VARCHAR));
    out->handles_nulls = true;
    return true;
}

/* ---- lower / upper -------------------------------------------------------------------------- */

/* Unicode case mapping uses the C.UTF-8 locale's tables (glibc), loaded once. */
static locale_t utf8_locale;
static pthread_once_t utf8_locale_once = PTHREAD_ONCE_INIT;
static void load_utf8_locale(void) { utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0); }

/* Decodes one UTF-8 character at s[0..n); invalid bytes decode as themselves (one byte). */
static uint32_t utf8_decode(const unsigned char *s, uint32_t n, uint32_t *len) {
    unsigned char c = s[0];
    uint32_t need = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (need == 0 || need > n) return *len = 1, c;
    uint32_t cp = need == 1 ? c : need == 2 ? (c & 0x1Fu) : need == 3 ? (c & 0x0Fu) : (c & 0x07u);
    for (uint32_t k = 1; k < need; k++) {
        if ((s[k] & 0xC0) != 0x80) return *len = 1, c;
        cp = (cp << 6) | (s[k] & 0x3Fu);
    }
    return *len = need, cp;
}

static uint32_t utf8_encode(uint32_t cp, char *out) {
    if (cp < 0x80) return out[0] = (char)cp, 1;
    if (cp < 0x800) return out[0] = (char)(0xC0 | (cp >> 6)), out[1] = (char)(0x80 | (cp & 0x3F)), 2;
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static uint32_t map_char(uint32_t cp, bool upper) {
    if (cp < 0x80) {
        if (upper && cp >= 'a' && cp <= 'z') return cp - 32;
        if (!upper && cp >= 'A' && cp <= 'Z') return cp + 32;
        return cp;
    }
    if (!utf8_locale) return cp;
    wint_t m = upper ? towupper_l((wint_t)cp, utf8_locale) : towlower_l((wint_t)cp, utf8_locale);
    return (uint32_t)m;
}

/* Maps s[0..n) into dst (NULL: only measures); returns the mapped length. Invalid bytes are
 * copied as they are. */
static uint32_t case_map_text(const char *s, uint32_t n, char *dst, bool upper) {
    uint32_t out = 0;
    for (uint32_t k = 0; k < n;) {
        uint32_t len, cp = utf8_decode((const unsigned char *)s + k, n - k, &len);
        char buf[4];
        uint32_t w;
        if (len == 1 && (unsigned char)s[k] >= 0x80) buf[0] = s[k], w = 1; /* not valid UTF-8 */
        else w = utf8_encode(map_char(cp, upper), buf);
        if (dst) memcpy(dst + out, buf, w);
        out += w;
        k += len;
    }
    return out;
}

static bool case_map(const vector *args, uint32_t count, vector *result, chunk *out, error *err, bool upper) {
    pthread_once(&utf8_locale_once, load_utf8_locale);
    const string_t *a = args[0].data;
    string_t *r = result->data;
    bool all = vector_all_valid(result, count);
    for (uint32_t i = 0; i < count; i++) {
        if (!scalar_row_valid(result, all, i)) continue;
        const char *s = string_data(&a[i]);
        str_builder b;
        if (!builder_init(&b, out, case_map_text(s, a[i].length, NULL, upper), err)) return false;
        case_map_text(s, a[i].length, b.data, upper);
        r[i] = builder_finish(&b);
    }
    return true;
}

static bool fn_lower(const vector *args, uint32_t nargs, uint32_t count, vector *result, chunk *out, error *err) {
    (void)nargs;
    return case_map(args, count, result, out, err, false);
}
static bool fn_upper(const vector *args, uint32_t nargs, uint32_t count, vector *result, chunk *out, error *err) {
    (void)nargs;
    return case_map(args, count, result, out, err, true);
}

bool scalar_bind_lower(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    if (nargs != 1 || !is_text(args[0])) return false;
    bind_set(out, fn_lower, 1, type_make(TYPE_VARCHAR));
    return true;
}
bool scalar_bind_upper(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    if (nargs != 1 || !is_text(args[0])) return false;
    bind_set(out, fn_upper, 1, type_make(TYPE_VARCHAR));
    return true;
}

/* ---- length ------------------------------------------------------------------------------------ */

static bool fn_length(const vector *args, uint32_t nargs, uint32_t count, vector *result, chunk *out, error *err) {
    (void)nargs;
    (void)out;
    (void)err;
    const string_t *a = args[0].data;
    int64_t *r = result->data;
    bool all = vector_all_valid(result, count);
    for (uint32_t i = 0; i < count; i++) {
        if (!scalar_row_valid(result, all, i)) continue;
        r[i] = utf8_count(string_data(&a[i]), a[i].length);
    }
    return true;
}

bool scalar_bind_length(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    if (nargs != 1 || !is_text(args[0])) return false;
    bind_set(out, fn_length, 1, type_make(TYPE_BIGINT));
    return true;
}

/* ---- substring ---------------------------------------------------------------------------------- */

/* DuckDB's rule: start > 0 counts from 1, start < 0 from the end, start = 0 begins one character
 * before the first; a negative length takes the characters before start. The range is then
 * clipped to the string. Gives [*from, *to). */
static bool substring_range(int64_t size, int64_t offset, int64_t length, int64_t *from, int64_t *to) {
    int64_t start, end;
    if (offset > 0) {
        start = offset - 1;
    } else if (offset < 0) {
        start = size + offset;
    } else {
        start = 0;
        if (length != INT64_MIN) length--;
        if (length <= 0) return false;
    }
    if (length > 0) {
        if (__builtin_add_overflow(start, length, &end)) end = INT64_MAX;
    } else {
        end = start;
        if (__builtin_add_overflow(start, length, &start)) start = INT64_MIN;
    }
    if (start < 0) start = 0;
    if (end > size) end = size;
    if (start >= end) return false;
    *from = start;
    *to = end;
    return true;
}

static bool fn_substring(const vector *args, uint32_t nargs, uint32_t count, vector *result, chunk *out, error *err) {
    const string_t *s = args[0].data;
    const int64_t *off = args[1].data;
    const int64_t *len = nargs > 2 ? args[2].data : NULL;
    string_t *r = result->data;
    bool all = vector_all_valid(result, count);
    for (uint32_t i = 0; i < count; i++) {
        if (!scalar_row_valid(result, all, i)) continue;
        const char *d = string_data(&s[i]);
        bool ascii = is_ascii(d, s[i].length);
        int64_t size = ascii ? (int64_t)s[i].length : utf8_count(d, s[i].length);
        int64_t from, to;
        if (!substring_range(size, off[i], len ? len[i] : INT64_MAX, &from, &to)) {
            r[i] = string_make("", 0);
            continue;
        }
        size_t bf = ascii ? (size_t)from : utf8_offset(d, s[i].length, from);
        size_t bt = ascii ? (size_t)to : bf + utf8_offset(d + bf, s[i].length - bf, to - from);
        if (!chunk_store_string(out, d + bf, (uint32_t)(bt - bf), &r[i], err)) return false;
    }
    return true;
}

bool scalar_bind_substring(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    if (nargs < 2 || nargs > 3 || !is_text(args[0]) || !is_int_arg(args[1]) || (nargs == 3 && !is_int_arg(args[2])))
        return false;
    out->fn = fn_substring;
    out->arg_types[0] = type_make(TYPE_VARCHAR);
    out->arg_types[1] = out->arg_types[2] = type_make(TYPE_BIGINT);
    out->result_type = type_make(TYPE_VARCHAR);
    return true;
}

/* ---- trim ------------------------------------------------------------------------------------------ */

/* Whether the character at s (of n bytes) is in the set; *clen gets its byte length. */
static bool in_set(const char *s, size_t n, const char *set, size_t setn, size_t *clen) {
    size_t l = utf8_len((unsigned char)s[0]);
    if (l > n) l = n;
    *clen = l;
    for (size_t k = 0; k < setn;) {
        size_t sl = utf8_len((unsigned char)set[k]);
        if (sl == l && k + sl <= setn && memcmp(set + k, s, l) == 0) return true;
        k += sl;
    }
    return false;
}

/* Start of the UTF-8 character that ends at byte e (exclusive). */
static size_t char_start_before(const char *s, size_t e) {
    size_t i = e - 1;
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80) i--;
    return i;
}

static bool trim_rows(const vector *args, uint32_t nargs, uint32_t count, vector *result, chunk *out, error *err,
                      bool left, bool right) {
    const string_t *a = args[0].data;
    const string_t *sets = nargs > 1 ? args[1].data : NULL;
    string_t *r = result->data;
    bool all = vector_all_valid(result, count);
    for (uint32_t i = 0; i < count; i++) {
        if (!scalar_row_valid(result, all, i)) continue;
        const char *d = string_data(&a[i]);
        const char *set = sets ? string_data(&sets[i]) : " ";
        size_t setn = sets ? sets[i].length : 1;
        size_t b = 0, e = a[i].length, cl;
        if (left)
            while (b < e && in_set(d + b, e - b, set, setn, &cl)) b += cl;
        if (right) {
            while (e > b) {
                size_t cs = char_start_before(d, e);
                if (cs < b) cs = b;
                if (!in_set(d + cs, e - cs, set, setn, &cl)) break;
                e = cs;
            }
        }
        if (!chunk_store_string(out, d + b, (uint32_t)(e - b), &r[i], err)) return false;
    }
    return true;
}

static bool fn_trim(const vector *args, uint32_t nargs, uint32_t count, vector *result, chunk *out, error *err) {
    return trim_rows(args, nargs, count, result, out, err, true, true);
}
static bool fn_ltrim(const vector *args, uint32_t nargs, uint32_t count, vector *result, chunk *out, error *err) {
    return trim_rows(args, nargs, count, result, out, err, true, false);
}
static bool fn_rtrim(const vector *args, uint32_t nargs, uint32_t count, vector *result, chunk *out, error *err) {
    return trim_rows(args, nargs, count, result, out, err, false, true);
}

static bool bind_trim(const logical_type *args, uint32_t nargs, bound_scalar *out, scalar_fn fn) {
    if (nargs < 1 || nargs > 2 || !is_text(args[0]) || (nargs == 2 && !is_text(args[1]))) return false;
    bind_set(out, fn, nargs, type_make(TYPE_VARCHAR));
    return true;
}
bool scalar_bind_trim(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    return bind_trim(args, nargs, out, fn_trim);
}
bool scalar_bind_ltrim(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    return bind_trim(args, nargs, out, fn_ltrim);
}
bool scalar_bind_rtrim(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    return bind_trim(args, nargs, out, fn_rtrim);
}

/* ---- replace ------------------------------------------------------------------------------------- */

static bool fn_replace(const vector *args, uint32_t nargs, uint32_t count, vector *result, chunk *out, error *err) {
    (void)nargs;
    const string_t *a = args[0].data, *f = args[1].data, *t = args[2].data;
    string_t *r = result->data;
    bool all = vector_all_valid(result, count);
    for (uint32_t i = 0; i < count; i++) {
        if (!scalar_row_valid(result, all, i)) continue;
        const char *s = string_data(&a[i]), *fs = string_data(&f[i]), *ts = string_data(&t[i]);
        size_t n = a[i].length, fl = f[i].length, tl = t[i].length;
        if (fl == 0 || fl > n) {
            if (!chunk_store_string(out, s, (uint32_t)n, &r[i], err)) return false;
            continue;
        }
        size_t hits = 0;
        for (const char *p = s; (p = memmem(p, n - (size_t)(p - s), fs, fl)) != NULL; p += fl) hits++;
        str_builder b;
        if (!builder_init(&b, out, n - hits * fl + hits * tl, err)) return false;
        size_t pos = 0;
        const char *p = s;
        for (const char *h; (h = memmem(p, n - (size_t)(p - s), fs, fl)) != NULL; p = h + fl) {
            memcpy(b.data + pos, p, (size_t)(h - p));
            pos += (size_t)(h - p);
            if (tl) memcpy(b.data + pos, ts, tl);
            pos += tl;
        }
        size_t rest = n - (size_t)(p - s);
        if (rest) memcpy(b.data + pos, p, rest);
        r[i] = builder_finish(&b);
    }
    return true;
}

bool scalar_bind_replace(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    if (nargs != 3 || !is_text(args[0]) || !is_text(args[1]) || !is_text(args[2])) return false;
    bind_set(out, fn_replace, 3, type_make(TYPE_VARCHAR));
    return true;
}

/* ---- searching ------------------------------------------------------------------------------------ */

#define SEARCH_LOOP(NAME, RT, EXPR)                                                                            \
    static bool NAME(const vector *args, uint32_t nargs, uint32_t count, vector *result, chunk *out,          \
                     error *err) {                                                                            \
        (void)nargs;                                                                                          \
        (void)out;                                                                                            \
        (void)err;                                                                                            \
        const string_t *a = (const string_t *)args[0].data, *b = (const string_t *)args[1].data;              \
        RT *r = (RT *)result->data;                                                                           \
        bool all = vector_all_valid(result, count);                                                           \
        for (uint32_t i = 0; i < count; i++) {                                                                \
            if (!scalar_row_valid(result, all, i)) continue;                                                  \
            const char *s = string_data(&a[i]), *n = string_data(&b[i]);                                      \
            size_t sl = a[i].length, nl = b[i].length;                                                        \
            r[i] = (EXPR);                                                                                    \
        }                                                                                                     \
        return true;                                                                                          \
    }

static inline int64_t strpos_of(const char *s, size_t sl, const char *n, size_t nl) {
    if (nl == 0) return 1;
    const char *h = memmem(s, sl, n, nl);
    return h ? utf8_count(s, (size_t)(h - s)) + 1 : 0;
}

SEARCH_LOOP(fn_starts_with, uint8_t, nl <= sl && memcmp(s, n, nl) == 0)
SEARCH_LOOP(fn_ends_with, uint8_t, nl <= sl && memcmp(s + sl - nl, n, nl) == 0)
SEARCH_LOOP(fn_contains, uint8_t, nl == 0 || memmem(s, sl, n, nl) != NULL)
SEARCH_LOOP(fn_strpos, int64_t, strpos_of(s, sl, n, nl))

static bool bind_search(const logical_type *args, uint32_t nargs, bound_scalar *out, scalar_fn fn, type_id rt) {
    if (nargs != 2 || !is_text(args[0]) || !is_text(args[1])) return false;
    bind_set(out, fn, 2, type_make(rt));
    return true;
}
bool scalar_bind_starts_with(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    return bind_search(args, nargs, out, fn_starts_with, TYPE_BOOLEAN);
}
bool scalar_bind_ends_with(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    return bind_search(args, nargs, out, fn_ends_with, TYPE_BOOLEAN);
}
bool scalar_bind_contains(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    return bind_search(args, nargs, out, fn_contains, TYPE_BOOLEAN);
}
bool scalar_bind_strpos(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    return bind_search(args, nargs, out, fn_strpos, TYPE_BIGINT);
}
