/*
 * scalar_like.c — LIKE (~~), NOT LIKE (!~~), ILIKE (~~*) and NOT ILIKE (!~~*).
 *
 * '%' matches any run of characters, '_' exactly one UTF-8 character; there is no escape
 * character (as in DuckDB without ESCAPE). Matching is iterative with one backtrack point (the
 * last '%'), so it never takes exponential time. ILIKE folds ASCII letters only.
 */
#include "function/scalar_internal.h"

static inline size_t utf8_len(unsigned char c) {
    if (c < 0x80) return 1;
    if ((c & 0xE0) == 0xC0) return 2;
    if ((c & 0xF0) == 0xE0) return 3;
    if ((c & 0xF8) == 0xF0) return 4;
    return 1; /* stray continuation byte: one byte */
}

static inline unsigned char fold(unsigned char c) { return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c; }

bool scalar_like_match(const char *text, size_t tlen, const char *pat, size_t plen, bool nocase) {
    const unsigned char *t = (const unsigned char *)text, *p = (const unsigned char *)pat;
    size_t ti = 0, pi = 0;
    size_t star_p = SIZE_MAX, star_t = 0;
    while (ti < tlen) {
        if (pi < plen && p[pi] == '%') {
            while (pi < plen && p[pi] == '%') pi++;
            if (pi == plen) return true; /* trailing '%' matches the rest */
            star_p = pi;
            star_t = ti;
            continue;
        }
        if (pi < plen && p[pi] == '_') {
            ti += utf8_len(t[ti]);
            pi++;
            continue;
        }
        if (pi < plen && (nocase ? fold(p[pi]) == fold(t[ti]) : p[pi] == t[ti])) {
            ti++;
            pi++;
            continue;
        }
        if (star_p == SIZE_MAX) return false;
        /* retry after the last '%', one character further on */
        star_t += utf8_len(t[star_t]);
        ti = star_t;
        pi = star_p;
    }
    if (ti > tlen) return false; /* a '_' ran past a truncated character */
    while (pi < plen && p[pi] == '%') pi++;
    return pi == plen;
}

#define LIKE_LOOP(NAME, NOCASE, NEGATE)                                                                        \
    static bool NAME(const vector *args, uint32_t nargs, uint32_t count, vector *result, chunk *out,          \
                     error *err) {                                                                            \
        (void)nargs;                                                                                          \
        (void)out;                                                                                            \
        (void)err;                                                                                            \
        const string_t *a = (const string_t *)args[0].data, *b = (const string_t *)args[1].data;              \
        uint8_t *r = (uint8_t *)result->data;                                                                 \
        bool all = vector_all_valid(result, count);                                                           \
        for (uint32_t i = 0; i < count; i++) {                                                                \
            if (!scalar_row_valid(result, all, i)) continue;                                                  \
            bool m = scalar_like_match(string_data(&a[i]), a[i].length, string_data(&b[i]), b[i].length,      \
                                       NOCASE);                                                               \
            r[i] = (NEGATE) ? !m : m;                                                                         \
        }                                                                                                     \
        return true;                                                                                          \
    }

LIKE_LOOP(fn_like, false, false)
LIKE_LOOP(fn_not_like, false, true)
LIKE_LOOP(fn_ilike, true, false)
LIKE_LOOP(fn_not_ilike, true, true)

static bool is_text(logical_type t) { return t.id == TYPE_VARCHAR || t.id == TYPE_SQLNULL; }

static bool bind_like(const logical_type *args, uint32_t nargs, bound_scalar *out, scalar_fn fn) {
    if (nargs != 2 || !is_text(args[0]) || !is_text(args[1])) return false;
    out->fn = fn;
    out->arg_types[0] = out->arg_types[1] = type_make(TYPE_VARCHAR);
    out->result_type = type_make(TYPE_BOOLEAN);
    return true;
}

bool scalar_bind_like(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    return bind_like(args, nargs, out, fn_like);
}
bool scalar_bind_not_like(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    return bind_like(args, nargs, out, fn_not_like);
}
bool scalar_bind_ilike(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    return bind_like(args, nargs, out, fn_ilike);
}
bool scalar_bind_not_ilike(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    return bind_like(args, nargs, out, fn_not_ilike);
}
