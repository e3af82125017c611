/*
 * cast.c — conversions between SQL types. Each (source, target) pair has its own tight loop,
 * generated from a per-value conversion function; cast_vector picks the loop once per call.
 * Error texts follow DuckDB's.
 */
#include "function/cast.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/datetime.h"
#include "common/numeric.h"

/* Where new strings go: a chunk's heap (vector casts) or an arena (single values). */
typedef struct cast_heap {
    chunk *c;
    arena *a;
} cast_heap;

typedef struct cast_ctx {
    logical_type from, to;
    cast_heap *heap;
} cast_ctx;

typedef bool (*cast_loop_fn)(const vector *src, vector *dst, uint32_t count, cast_heap *heap, error *err);

static bool heap_store(cast_heap *h, const char *data, uint32_t len, string_t *out, error *err) {
    if (len <= STRING_INLINE_LENGTH) {
        *out = string_make(data, len);
        return true;
    }
    if (h->c) return chunk_store_string(h->c, data, len, out, err);
    char *copy = arena_alloc(h->a, len, err);
    if (!copy) return false;
    memcpy(copy, data, len);
    *out = string_make(copy, len);
    return true;
}

/* DuckDB's physical type names, as they appear in conversion errors. */
static const char *physical_name(logical_type t, char *buf) {
    switch (t.id) {
    case TYPE_BOOLEAN: return "BOOL";
    case TYPE_INTEGER: return "INT32";
    case TYPE_BIGINT: return "INT64";
    default: return type_to_string(t, buf);
    }
}

static bool string_error(const string_t *s, logical_type to, error *err) {
    char tb[TYPE_NAME_MAX];
    if (to.id == TYPE_DECIMAL)
        return error_set(err, EIDER_ERROR_CONVERSION, "Could not convert string \"%.*s\" to %s", (int)s->length,
                         string_data(s), type_to_string(to, tb));
    return error_set(err, EIDER_ERROR_CONVERSION, "Could not convert string '%.*s' to %s", (int)s->length,
                     string_data(s), physical_name(to, tb));
}

static bool range_error_int(int64_t v, logical_type from, logical_type to, error *err) {
    char fb[TYPE_NAME_MAX], tb[TYPE_NAME_MAX];
    return error_set(err, EIDER_ERROR_CONVERSION,
                     "Type %s with value %lld can't be cast because the value is out of range for the destination "
                     "type %s",
                     physical_name(from, fb), (long long)v, physical_name(to, tb));
}

static bool range_error_double(double v, logical_type to, error *err) {
    char tb[TYPE_NAME_MAX], vb[NUMERIC_DOUBLE_BUFSIZE];
    numeric_format_double(v, vb);
    return error_set(err, EIDER_ERROR_CONVERSION,
                     "Type DOUBLE with value %s can't be cast because the value is out of range for the destination "
                     "type %s",
                     vb, physical_name(to, tb));
}

static bool decimal_error_int(int64_t v, logical_type to, error *err) {
    return error_set(err, EIDER_ERROR_CONVERSION, "Could not cast value %lld to DECIMAL(%u,%u)", (long long)v,
                     (unsigned)to.width, (unsigned)to.scale);
}

/* ---- per-value conversions ----------------------------------------------------------------- */

/* numbers -> BOOLEAN */
static inline bool i32_to_bool(int32_t v, uint8_t *o, const cast_ctx *c, error *e) { (void)c; (void)e; *o = v != 0; return true; }
static inline bool i64_to_bool(int64_t v, uint8_t *o, const cast_ctx *c, error *e) { (void)c; (void)e; *o = v != 0; return true; }
static inline bool f64_to_bool(double v, uint8_t *o, const cast_ctx *c, error *e) { (void)c; (void)e; *o = v != 0; return true; }

/* BOOLEAN -> numbers */
static inline bool bool_to_i32(uint8_t v, int32_t *o, const cast_ctx *c, error *e) { (void)c; (void)e; *o = v ? 1 : 0; return true; }
static inline bool bool_to_i64(uint8_t v, int64_t *o, const cast_ctx *c, error *e) { (void)c; (void)e; *o = v ? 1 : 0; return true; }
static inline bool bool_to_f64(uint8_t v, double *o, const cast_ctx *c, error *e) { (void)c; (void)e; *o = v ? 1.0 : 0.0; return true; }

/* integers */
static inline bool i32_to_i64(int32_t v, int64_t *o, const cast_ctx *c, error *e) { (void)c; (void)e; *o = v; return true; }
static inline bool i32_to_f64(int32_t v, double *o, const cast_ctx *c, error *e) { (void)c; (void)e; *o = v; return true; }
static inline bool i64_to_f64(int64_t v, double *o, const cast_ctx *c, error *e) { (void)c; (void)e; *o = (double)v; return true; }
static inline bool i64_to_i32(int64_t v, int32_t *o, const cast_ctx *c, error *e) {
    if (v < INT32_MIN || v > INT32_MAX) return range_error_int(v, c->from, c->to, e);
    *o = (int32_t)v;
    return true;
}

/* integers -> DECIMAL: v * 10^scale, within width digits */
static inline bool i64_to_dec(int64_t v, int64_t *o, const cast_ctx *c, error *e) {
    int64_t bound = numeric_pow10[c->to.width - c->to.scale];
    if (v >= bound || v <= -bound) return decimal_error_int(v, c->to, e);
    *o = v * numeric_pow10[c->to.scale];
    return true;
}
static inline bool i32_to_dec(int32_t v, int64_t *o, const cast_ctx *c, error *e) { return i64_to_dec(v, o, c, e); }
static inline bool bool_to_dec(uint8_t v, int64_t *o, const cast_ctx *c, error *e) { return i64_to_dec(v ? 1 : 0, o, c, e); }

/* DOUBLE -> integers: round to nearest, ties to even (as DuckDB) */
static inline bool f64_to_i64(double v, int64_t *o, const cast_ctx *c, error *e) {
    double r = nearbyint(v);
    if (!numeric_double_fits_int64(r)) return range_error_double(v, c->to, e);
    *o = (int64_t)r;
    return true;
}
static inline bool f64_to_i32(double v, int32_t *o, const cast_ctx *c, error *e) {
    double r = nearbyint(v);
    if (!(r >= (double)INT32_MIN && r <= (double)INT32_MAX)) return range_error_double(v, c->to, e);
    *o = (int32_t)r;
    return true;
}
static inline bool f64_to_dec(double v, int64_t *o, const cast_ctx *c, error *e) {
    double r = round(v * (double)numeric_pow10[c->to.scale]);
    double bound = (double)numeric_pow10[c->to.width];
    if (!(r > -bound && r < bound))
        return error_set(e, EIDER_ERROR_CONVERSION, "Could not cast value %f to DECIMAL(%u,%u)", v, (unsigned)c->to.width,
                         (unsigned)c->to.scale);
    *o = (int64_t)r;
    return true;
}

/* DECIMAL -> others */
static inline bool dec_to_bool(int64_t v, uint8_t *o, const cast_ctx *c, error *e) { (void)c; (void)e; *o = v != 0; return true; }
static inline bool dec_to_f64(int64_t v, double *o, const cast_ctx *c, error *e) {
    (void)e;
    *o = (double)v / (double)numeric_pow10[c->from.scale];
    return true;
}
static inline bool dec_to_i64(int64_t v, int64_t *o, const cast_ctx *c, error *e) {
    (void)e;
    *o = c->from.scale ? numeric_div_round(v, numeric_pow10[c->from.scale]) : v;
    return true;
}
static inline bool dec_to_i32(int64_t v, int32_t *o, const cast_ctx *c, error *e) {
    int64_t r = c->from.scale ? numeric_div_round(v, numeric_pow10[c->from.scale]) : v;
    if (r < INT32_MIN || r > INT32_MAX)
        return error_set(e, EIDER_ERROR_CONVERSION, "Failed to cast decimal value %lld to type INT32", (long long)r);
    *o = (int32_t)r;
    return true;
}
static inline bool dec_to_dec(int64_t v, int64_t *o, const cast_ctx *c, error *e) {
    int64_t r;
    int ds = (int)c->to.scale - (int)c->from.scale;
    bool ok = true;
    if (ds >= 0) ok = !__builtin_mul_overflow(v, numeric_pow10[ds], &r);
    else r = numeric_div_round(v, numeric_pow10[-ds]);
    int64_t bound = numeric_pow10[c->to.width];
    if (!ok || r >= bound || r <= -bound) {
        char vb[NUMERIC_DECIMAL_BUFSIZE];
        numeric_format_decimal(v, c->from.scale, vb);
        return error_set(e, EIDER_ERROR_CONVERSION, "Casting value \"%s\" to type DECIMAL(%u,%u) failed: value is out of range!",
                         vb, (unsigned)c->to.width, (unsigned)c->to.scale);
    }
    *o = r;
    return true;
}

/* DATE <-> TIMESTAMP */
static inline bool date_to_ts(int32_t v, int64_t *o, const cast_ctx *c, error *e) {
    (void)c;
    if (!date_to_timestamp(v, o)) return error_set(e, EIDER_ERROR_CONVERSION, "Date out of range for timestamp");
    return true;
}
static inline bool ts_to_date(int64_t v, int32_t *o, const cast_ctx *c, error *e) {
    (void)c;
    (void)e;
    *o = timestamp_to_date(v);
    return true;
}

/* VARCHAR -> others */
static bool str_ieq(const char *s, uint32_t n, const char *w) {
    if (strlen(w) != n) return false;
    for (uint32_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch >= 'A' && ch <= 'Z') ch = (char)(ch - 'A' + 'a');
        if (ch != w[i]) return false;
    }
    return true;
}
static inline bool str_to_bool(string_t v, uint8_t *o, const cast_ctx *c, error *e) {
    const char *s = string_data(&v);
    uint32_t n = v.length;
    if (str_ieq(s, n, "true") || str_ieq(s, n, "t") || str_ieq(s, n, "yes") || str_ieq(s, n, "y") || str_ieq(s, n, "1")) {
        *o = 1;
        return true;
    }
    if (str_ieq(s, n, "false") || str_ieq(s, n, "f") || str_ieq(s, n, "no") || str_ieq(s, n, "n") || str_ieq(s, n, "0")) {
        *o = 0;
        return true;
    }
    return string_error(&v, c->to, e);
}
static inline bool str_to_i64(string_t v, int64_t *o, const cast_ctx *c, error *e) {
    if (!numeric_parse_int64(string_data(&v), v.length, o)) return string_error(&v, c->to, e);
    return true;
}
static inline bool str_to_i32(string_t v, int32_t *o, const cast_ctx *c, error *e) {
    int64_t r;
    if (!numeric_parse_int64(string_data(&v), v.length, &r) || r < INT32_MIN || r > INT32_MAX)
        return string_error(&v, c->to, e);
    *o = (int32_t)r;
    return true;
}
static inline bool str_to_f64(string_t v, double *o, const cast_ctx *c, error *e) {
    if (!numeric_parse_double(string_data(&v), v.length, o)) return string_error(&v, c->to, e);
    return true;
}
static inline bool str_to_dec(string_t v, int64_t *o, const cast_ctx *c, error *e) {
    if (!numeric_parse_decimal(string_data(&v), v.length, c->to.width, c->to.scale, o)) return string_error(&v, c->to, e);
    return true;
}
static inline bool str_to_date(string_t v, int32_t *o, const cast_ctx *c, error *e) {
    (void)c;
    datetime_status st = date_parse(string_data(&v), v.length, o);
    if (st == DATETIME_OK) return true;
    if (st == DATETIME_OUT_OF_RANGE)
        return error_set(e, EIDER_ERROR_CONVERSION, "date field value out of range: \"%.*s\"", (int)v.length, string_data(&v));
    return error_set(e, EIDER_ERROR_CONVERSION, "invalid date field format: \"%.*s\", expected format is (YYYY-MM-DD)",
                     (int)v.length, string_data(&v));
}
static inline bool str_to_ts(string_t v, int64_t *o, const cast_ctx *c, error *e) {
    (void)c;
    datetime_status st = timestamp_parse(string_data(&v), v.length, o);
    if (st == DATETIME_OK) return true;
    if (st == DATETIME_OUT_OF_RANGE)
        return error_set(e, EIDER_ERROR_CONVERSION, "timestamp field value out of range: \"%.*s\"", (int)v.length,
                         string_data(&v));
    return error_set(e, EIDER_ERROR_CONVERSION,
                     "invalid timestamp field format: \"%.*s\", expected format is (YYYY-MM-DD HH:MM:SS[.US][±HH[:MM[:SS]]| "
                     "ZONE])",
                     (int)v.length, string_data(&v));
}
static inline bool str_to_str(string_t v, string_t *o, const cast_ctx *c, error *e) {
    return heap_store(c->heap, string_data(&v), v.length, o, e);
}

/* others -> VARCHAR: format, then store */
#define TO_STRING(NAME, SRC_T, FORMAT)                                                    \
    static inline bool NAME(SRC_T v, string_t *o, const cast_ctx *c, error *e) {          \
        char buf[64];                                                                     \
        size_t n = FORMAT;                                                                \
        return heap_store(c->heap, buf, (uint32_t)n, o, e);                               \
    }
TO_STRING(bool_to_str, uint8_t, (v ? (memcpy(buf, "true", 4), (size_t)4) : (memcpy(buf, "false", 5), (size_t)5)))
TO_STRING(i32_to_str, int32_t, numeric_format_int64(v, buf))
TO_STRING(i64_to_str, int64_t, numeric_format_int64(v, buf))
TO_STRING(f64_to_str, double, numeric_format_double(v, buf))
TO_STRING(dec_to_str, int64_t, numeric_format_decimal(v, c->from.scale, buf))
TO_STRING(date_to_str, int32_t, date_format(v, buf))
TO_STRING(ts_to_str, int64_t, timestamp_format(v, buf))

/* ---- loops ----------------------------------------------------------------------------------- */

#define CAST_LOOP(NAME, SRC_T, DST_T, CONV)                                                                    \
    static bool NAME(const vector *src, vector *dst, uint32_t count, cast_heap *heap, error *err) {           \
        const SRC_T *in = (const SRC_T *)src->data;                                                           \
        DST_T *out = (DST_T *)dst->data;                                                                      \
        cast_ctx ctx = {src->type, dst->type, heap};                                                          \
        if (vector_all_valid(src, count)) {                                                                   \
            for (uint32_t i = 0; i < count; i++)                                                              \
                if (!CONV(in[i], &out[i], &ctx, err)) return false;                                           \
        } else {                                                                                              \
            for (uint32_t i = 0; i < count; i++)                                                              \
                if (vector_is_valid(src, i) && !CONV(in[i], &out[i], &ctx, err)) return false;               \
        }                                                                                                     \
        return true;                                                                                          \
    }

CAST_LOOP(loop_bool_i32, uint8_t, int32_t, bool_to_i32)
CAST_LOOP(loop_bool_i64, uint8_t, int64_t, bool_to_i64)
CAST_LOOP(loop_bool_f64, uint8_t, double, bool_to_f64)
CAST_LOOP(loop_bool_dec, uint8_t, int64_t, bool_to_dec)
CAST_LOOP(loop_bool_str, uint8_t, string_t, bool_to_str)
CAST_LOOP(loop_i32_bool, int32_t, uint8_t, i32_to_bool)
CAST_LOOP(loop_i32_i64, int32_t, int64_t, i32_to_i64)
CAST_LOOP(loop_i32_f64, int32_t, double, i32_to_f64)
CAST_LOOP(loop_i32_dec, int32_t, int64_t, i32_to_dec)
CAST_LOOP(loop_i32_str, int32_t, string_t, i32_to_str)
CAST_LOOP(loop_i64_bool, int64_t, uint8_t, i64_to_bool)
CAST_LOOP(loop_i64_i32, int64_t, int32_t, i64_to_i32)
CAST_LOOP(loop_i64_f64, int64_t, double, i64_to_f64)
CAST_LOOP(loop_i64_dec, int64_t, int64_t, i64_to_dec)
CAST_LOOP(loop_i64_str, int64_t, string_t, i64_to_str)
CAST_LOOP(loop_f64_bool, double, uint8_t, f64_to_bool)
CAST_LOOP(loop_f64_i32, double, int32_t, f64_to_i32)
CAST_LOOP(loop_f64_i64, double, int64_t, f64_to_i64)
CAST_LOOP(loop_f64_dec, double, int64_t, f64_to_dec)
CAST_LOOP(loop_f64_str, double, string_t, f64_to_str)
CAST_LOOP(loop_dec_bool, int64_t, uint8_t, dec_to_bool)
CAST_LOOP(loop_dec_i32, int64_t, int32_t, dec_to_i32)
CAST_LOOP(loop_dec_i64, int64_t, int64_t, dec_to_i64)
CAST_LOOP(loop_dec_f64, int64_t, double, dec_to_f64)
CAST_LOOP(loop_dec_dec, int64_t, int64_t, dec_to_dec)
CAST_LOOP(loop_dec_str, int64_t, string_t, dec_to_str)
CAST_LOOP(loop_str_bool, string_t, uint8_t, str_to_bool)
CAST_LOOP(loop_str_i32, string_t, int32_t, str_to_i32)
CAST_LOOP(loop_str_i64, string_t, int64_t, str_to_i64)
CAST_LOOP(loop_str_f64, string_t, double, str_to_f64)
CAST_LOOP(loop_str_dec, string_t, int64_t, str_to_dec)
CAST_LOOP(loop_str_date, string_t, int32_t, str_to_date)
CAST_LOOP(loop_str_ts, string_t, int64_t, str_to_ts)
CAST_LOOP(loop_str_str, string_t, string_t, str_to_str)
CAST_LOOP(loop_date_ts, int32_t, int64_t, date_to_ts)
CAST_LOOP(loop_date_str, int32_t, string_t, date_to_str)
CAST_LOOP(loop_ts_date, int64_t, int32_t, ts_to_date)
CAST_LOOP(loop_ts_str, int64_t, string_t, ts_to_str)

static bool loop_copy(const vector *src, vector *dst, uint32_t count, cast_heap *heap, error *err) {
    (void)heap;
    (void)err;
    memcpy(dst->data, src->data, (size_t)count * type_physical_size(src->type));
    return true;
}

static bool loop_all_null(const vector *src, vector *dst, uint32_t count, cast_heap *heap, error *err) {
    (void)src;
    (void)heap;
    (void)err;
    for (uint32_t i = 0; i < count; i++) vector_set_null(dst, i);
    return true;
}

/* The loop for a pair of types, or NULL when the cast does not exist. */
static cast_loop_fn choose_loop(logical_type from, logical_type to) {
    if (from.id == TYPE_SQLNULL) return loop_all_null;
    if (from.id == TYPE_DECIMAL && to.id == TYPE_DECIMAL)
        return from.scale == to.scale && from.width <= to.width ? loop_copy : loop_dec_dec;
    if (from.id == to.id) return from.id == TYPE_VARCHAR ? loop_str_str : loop_copy;
    switch (from.id) {
    case TYPE_BOOLEAN:
        switch (to.id) {
        case TYPE_INTEGER: return loop_bool_i32;
        case TYPE_BIGINT: return loop_bool_i64;
        case TYPE_DOUBLE: return loop_bool_f64;
        case TYPE_DECIMAL: return loop_bool_dec;
        case TYPE_VARCHAR: return loop_bool_str;
        default: return NULL;
        }
    case TYPE_INTEGER:
        switch (to.id) {
        case TYPE_BOOLEAN: return loop_i32_bool;
        case TYPE_BIGINT: return loop_i32_i64;
        case TYPE_DOUBLE: return loop_i32_f64;
        case TYPE_DECIMAL: return loop_i32_dec;
        case TYPE_VARCHAR: return loop_i32_str;
        default: return NULL;
        }
    case TYPE_BIGINT:
        switch (to.id) {
        case TYPE_BOOLEAN: return loop_i64_bool;
        case TYPE_INTEGER: return loop_i64_i32;
        case TYPE_DOUBLE: return loop_i64_f64;
        case TYPE_DECIMAL: return loop_i64_dec;
        case TYPE_VARCHAR: return loop_i64_str;
        default: return NULL;
        }
    case TYPE_DOUBLE:
        switch (to.id) {
        case TYPE_BOOLEAN: return loop_f64_bool;
        case TYPE_INTEGER: return loop_f64_i32;
        case TYPE_BIGINT: return loop_f64_i64;
        case TYPE_DECIMAL: return loop_f64_dec;
        case TYPE_VARCHAR: return loop_f64_str;
        default: return NULL;
        }
    case TYPE_DECIMAL:
        switch (to.id) {
        case TYPE_BOOLEAN: return loop_dec_bool;
        case TYPE_INTEGER: return loop_dec_i32;
        case TYPE_BIGINT: return loop_dec_i64;
        case TYPE_DOUBLE: return loop_dec_f64;
        case TYPE_VARCHAR: return loop_dec_str;
        default: return NULL;
        }
    case TYPE_VARCHAR:
        switch (to.id) {
        case TYPE_BOOLEAN: return loop_str_bool;
        case TYPE_INTEGER: return loop_str_i32;
        case TYPE_BIGINT: return loop_str_i64;
        case TYPE_DOUBLE: return loop_str_f64;
        case TYPE_DECIMAL: return loop_str_dec;
        case TYPE_DATE: return loop_str_date;
        case TYPE_TIMESTAMP: return loop_str_ts;
        default: return NULL;
        }
    case TYPE_DATE:
        if (to.id == TYPE_TIMESTAMP) return loop_date_ts;
        if (to.id == TYPE_VARCHAR) return loop_date_str;
        return NULL;
    case TYPE_TIMESTAMP:
        if (to.id == TYPE_DATE) return loop_ts_date;
        if (to.id == TYPE_VARCHAR) return loop_ts_str;
        return NULL;
    default: return NULL;
    }
}

static bool unsupported(logical_type from, logical_type to, error *err) {
    char fb[TYPE_NAME_MAX], tb[TYPE_NAME_MAX];
    return error_set(err, EIDER_ERROR_CONVERSION, "Unimplemented type for cast (%s -> %s)", type_to_string(from, fb),
                     type_to_string(to, tb));
}

bool cast_vector(const vector *src, vector *dst, uint32_t count, chunk *out, error *err) {
    cast_loop_fn loop = choose_loop(src->type, dst->type);
    if (!loop) return unsupported(src->type, dst->type, err);
    memcpy(dst->validity, src->validity, sizeof dst->validity);
    cast_heap heap = {out, NULL};
    return loop(src, dst, count, &heap, err);
}

/* ---- single values ------------------------------------------------------------------------ */

typedef union cell {
    uint8_t b;
    int32_t i32;
    int64_t i64;
    double f64;
    string_t str;
} cell;

static void value_to_cell(const value *v, cell *c) {
    memset(c, 0, sizeof *c);
    switch (v->type.id) {
    case TYPE_BOOLEAN: c->b = v->u.boolean ? 1 : 0; break;
    case TYPE_INTEGER:
    case TYPE_DATE: c->i32 = v->u.i32; break;
    case TYPE_BIGINT:
    case TYPE_DECIMAL:
    case TYPE_TIMESTAMP: c->i64 = v->u.i64; break;
    case TYPE_DOUBLE: c->f64 = v->u.f64; break;
    case TYPE_VARCHAR: c->str = string_make(v->u.str.data, v->u.str.length); break;
    default: break;
    }
}

bool cast_value(const value *src, logical_type to, value *out, arena *a, error *err) {
    if (src->is_null || src->type.id == TYPE_SQLNULL) {
        *out = value_null(to);
        return true;
    }
    cast_loop_fn loop = choose_loop(src->type, to);
    if (!loop) return unsupported(src->type, to, err);
    cell in, res;
    value_to_cell(src, &in);
    memset(&res, 0, sizeof res);
    vector sv, dv;
    sv.type = src->type;
    sv.data = &in;
    vector_set_all_valid(&sv);
    dv.type = to;
    dv.data = &res;
    vector_set_all_valid(&dv);
    cast_heap heap = {NULL, a};
    if (!loop(&sv, &dv, 1, &heap, err)) return false;
    *out = value_null(to);
    out->is_null = false;
    switch (to.id) {
    case TYPE_BOOLEAN: out->u.boolean = res.b != 0; break;
    case TYPE_INTEGER:
    case TYPE_DATE: out->u.i32 = res.i32; break;
    case TYPE_BIGINT:
    case TYPE_DECIMAL:
    case TYPE_TIMESTAMP: out->u.i64 = res.i64; break;
    case TYPE_DOUBLE: out->u.f64 = res.f64; break;
    case TYPE_VARCHAR: {
        char *copy = arena_strndup(a, string_data(&res.str), res.str.length, err);
        if (!copy) return false;
        out->u.str.data = copy;
        out->u.str.length = res.str.length;
        break;
    }
    default: out->is_null = true; break;
    }
    return true;
}

bool cast_is_implicit(logical_type from, logical_type to) {
    if (from.id == TYPE_SQLNULL) return true;
    if (type_equals(from, to)) return true;
    switch (from.id) {
    case TYPE_INTEGER:
        return to.id == TYPE_BIGINT || to.id == TYPE_DOUBLE || (to.id == TYPE_DECIMAL && to.width - to.scale >= 10);
    case TYPE_BIGINT: return to.id == TYPE_DOUBLE || (to.id == TYPE_DECIMAL && to.width - to.scale >= 18);
    case TYPE_DECIMAL:
        return to.id == TYPE_DOUBLE ||
               (to.id == TYPE_DECIMAL && to.scale >= from.scale && to.width - to.scale >= from.width - from.scale);
    case TYPE_DATE: return to.id == TYPE_TIMESTAMP;
    default: return false;
    }
}

size_t value_to_text(const value *v, char *buf, size_t cap) {
    char tmp[64];
    const char *text = tmp;
    size_t n;
    if (v->is_null) {
        text = "NULL";
        n = 4;
    } else {
        switch (v->type.id) {
        case TYPE_BOOLEAN:
            text = v->u.boolean ? "true" : "false";
            n = strlen(text);
            break;
        case TYPE_INTEGER: n = numeric_format_int64(v->u.i32, tmp); break;
        case TYPE_BIGINT: n = numeric_format_int64(v->u.i64, tmp); break;
        case TYPE_DOUBLE: n = numeric_format_double(v->u.f64, tmp); break;
        case TYPE_DECIMAL: n = numeric_format_decimal(v->u.i64, v->type.scale, tmp); break;
        case TYPE_DATE: n = date_format(v->u.i32, tmp); break;
        case TYPE_TIMESTAMP: n = timestamp_format(v->u.i64, tmp); break;
        case TYPE_VARCHAR:
            text = v->u.str.data;
            n = v->u.str.length;
            break;
        default:
            text = "NULL";
            n = 4;
            break;
        }
    }
    if (cap > 0) {
        size_t c = n < cap - 1 ? n : cap - 1;
        if (c) memcpy(buf, text, c);
        buf[c] = '\0';
    }
    return n;
}
