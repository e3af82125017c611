/*
 * scalar_math.c — abs, round, floor, ceil, and year/month/day of DATE and TIMESTAMP.
 *
 * Rounding is half away from zero. Result types follow DuckDB: abs keeps the type; round(x)
 * keeps INTEGER/BIGINT/DOUBLE and gives DECIMAL(w,0) for DECIMAL(w,s); floor/ceil give DOUBLE
 * for numbers other than DECIMAL (DECIMAL(w,s) -> DECIMAL(w,0)). round(DECIMAL, n) returns
 * DOUBLE here (DuckDB returns DECIMAL(w,n), which needs n at bind time): the rounding itself
 * is exact, on the decimal digits, and only the result is converted.
 */
#include <math.h>

#include "common/datetime.h"
#include "common/numeric.h"
#include "function/scalar_internal.h"

#define UNARY_HEADER(NAME)                                                                                    \
    static bool NAME(const vector *args, uint32_t nargs, uint32_t count, vector *result, chunk *out,          \
                     error *err)

/* ---- abs ------------------------------------------------------------------------------------------ */

#define ABS_INT(NAME, T, MINV)                                                                                 \
    UNARY_HEADER(NAME) {                                                                                      \
        (void)nargs;                                                                                          \
        (void)out;                                                                                            \
        const T *a = (const T *)args[0].data;                                                                 \
        T *r = (T *)result->data;                                                                             \
        bool all = vector_all_valid(result, count);                                                           \
        for (uint32_t i = 0; i < count; i++) {                                                                \
            if (!scalar_row_valid(result, all, i)) continue;                                                  \
            if (a[i] == MINV) return error_set(err, EIDER_ERROR_OUT_OF_RANGE, "Overflow on abs(%lld)", (long long)a[i]); \
            r[i] = a[i] < 0 ? -a[i] : a[i];                                                                   \
        }                                                                                                     \
        return true;                                                                                          \
    }
ABS_INT(fn_abs_i32, int32_t, INT32_MIN)
ABS_INT(fn_abs_i64, int64_t, INT64_MIN)

UNARY_HEADER(fn_abs_f64) {
    (void)nargs;
    (void)out;
    (void)err;
    const double *a = args[0].data;
    double *r = result->data;
    for (uint32_t i = 0; i < count; i++) r[i] = fabs(a[i]);
    return true;
}

static bool numeric_or_null(logical_type t) { return type_is_numeric(t) || t.id == TYPE_SQLNULL; }
static logical_type or_int(logical_type t) { return t.id == TYPE_SQLNULL ? type_make(TYPE_INTEGER) : t; }

bool scalar_bind_abs(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    if (nargs != 1 || !numeric_or_null(args[0])) return false;
    logical_type t = or_int(args[0]);
    out->arg_types[0] = out->result_type = t;
    out->fn = t.id == TYPE_INTEGER ? fn_abs_i32 : t.id == TYPE_DOUBLE ? fn_abs_f64 : fn_abs_i64;
    return true;
}

/* ---- round / floor / ceil ----------------------------------------------------------------------- */

UNARY_HEADER(fn_round_f64) {
    (void)nargs;
    (void)out;
    (void)err;
    const double *a = args[0].data;
    double *r = result->data;
    for (uint32_t i = 0; i < count; i++) r[i] = round(a[i]);
    return true;
}
UNARY_HEADER(fn_floor_f64) {
    (void)nargs;
    (void)out;
    (void)err;
    const double *a = args[0].data;
    double *r = result->data;
    for (uint32_t i = 0; i < count; i++) r[i] = floor(a[i]);
    return true;
}
UNARY_HEADER(fn_ceil_f64) {
    (void)nargs;
    (void)out;
    (void)err;
    const double *a = args[0].data;
    double *r = result->data;
    for (uint32_t i = 0; i < count; i++) r[i] = ceil(a[i]);
    return true;
}

/* DECIMAL(w,s) -> DECIMAL(w,0); mode 0 round, -1 floor, +1 ceil */
static bool dec_to_integral(const vector *args, uint32_t count, vector *result, int mode) {
    const int64_t *a = args[0].data;
    int64_t *r = result->data;
    int64_t p = numeric_pow10[args[0].type.scale];
    for (uint32_t i = 0; i < count; i++) {
        int64_t v = a[i], q = v / p, rem = v % p;
        if (mode == 0) q = numeric_div_round(v, p);
        else if (mode < 0 && rem < 0) q--;
        else if (mode > 0 && rem > 0) q++;
        r[i] = q;
    }
    return true;
}
UNARY_HEADER(fn_round_dec) {
    (void)nargs;
    (void)out;
    (void)err;
    return dec_to_integral(args, count, result, 0);
}
UNARY_HEADER(fn_floor_dec) {
    (void)nargs;
    (void)out;
    (void)err;
    return dec_to_integral(args, count, result, -1);
}
UNARY_HEADER(fn_ceil_dec) {
    (void)nargs;
    (void)out;
    (void)err;
    return dec_to_integral(args, count, result, 1);
}

UNARY_HEADER(fn_identity) {
    (void)nargs;
    (void)out;
    (void)err;
    memcpy(result->data, args[0].data, (size_t)count * type_physical_size(args[0].type));
    return true;
}

/* round(DOUBLE, n) as DuckDB computes it */
UNARY_HEADER(fn_round_f64_n) {
    (void)nargs;
    (void)out;
    (void)err;
    const double *a = args[0].data;
    const int32_t *n = args[1].data;
    double *r = result->data;
    for (uint32_t i = 0; i < count; i++) {
        double v;
        if (n[i] < 0) {
            double m = pow(10.0, -(double)n[i]);
            v = round(a[i] / m) * m;
        } else {
            double m = pow(10.0, (double)n[i]);
            v = round(a[i] * m) / m;
        }
        r[i] = isinf(v) || isnan(v) ? a[i] : v;
    }
    return true;
}

/* round(DECIMAL(w,s), n) -> DOUBLE, rounding the decimal digits exactly */
UNARY_HEADER(fn_round_dec_n) {
    (void)nargs;
    (void)out;
    (void)err;
    const int64_t *a = args[0].data;
    const int32_t *n = args[1].data;
    double *r = result->data;
    int s = args[0].type.scale;
    for (uint32_t i = 0; i < count; i++) {
        int64_t keep = n[i];
        if (keep >= s) {
            r[i] = (double)a[i] / (double)numeric_pow10[s];
        } else if (keep >= 0) {
            r[i] = (double)numeric_div_round(a[i], numeric_pow10[s - keep]) / (double)numeric_pow10[keep];
        } else {
            int64_t drop = s - keep; /* digits to drop, > s */
            if (drop > 18) {
                r[i] = 0.0;
            } else {
                int64_t q = numeric_div_round(a[i], numeric_pow10[drop]);
                r[i] = (double)q * (double)numeric_pow10[-keep];
            }
        }
    }
    return true;
}

/* round(INTEGER|BIGINT, n): unchanged for n >= 0, else to a multiple of 10^-n */
#define ROUND_INT_N(NAME, T, MINV, MAXV)                                                                       \
    UNARY_HEADER(NAME) {                                                                                      \
        (void)nargs;                                                                                          \
        (void)out;                                                                                            \
        const T *a = (const T *)args[0].data;                                                                 \
        const int32_t *n = (const int32_t *)args[1].data;                                                     \
        T *r = (T *)result->data;                                                                             \
        bool all = vector_all_valid(result, count);                                                           \
        for (uint32_t i = 0; i < count; i++) {                                                                \
            if (!scalar_row_valid(result, all, i)) continue;                                                  \
            if (n[i] >= 0) {                                                                                  \
                r[i] = a[i];                                                                                  \
                continue;                                                                                     \
            }                                                                                                 \
            if (n[i] < -18) {                                                                                 \
                r[i] = 0;                                                                                     \
                continue;                                                                                     \
            }                                                                                                 \
            int64_t p = numeric_pow10[-n[i]];                                                                 \
            __int128 v = (__int128)numeric_div_round((int64_t)a[i], p) * p;                                   \
            if (v < MINV || v > MAXV)                                                                         \
                return error_set(err, EIDER_ERROR_OUT_OF_RANGE, "Overflow in round(%lld, %d)", (long long)a[i], \
                                 (int)n[i]);                                                                  \
            r[i] = (T)v;                                                                                      \
        }                                                                                                     \
        return true;                                                                                          \
    }
ROUND_INT_N(fn_round_i32_n, int32_t, INT32_MIN, INT32_MAX)
ROUND_INT_N(fn_round_i64_n, int64_t, INT64_MIN, INT64_MAX)

bool scalar_bind_round(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    if (nargs < 1 || nargs > 2 || !numeric_or_null(args[0])) return false;
    if (nargs == 2 && !type_is_integral(args[1]) && args[1].id != TYPE_SQLNULL) return false;
    logical_type t = or_int(args[0]);
    out->arg_types[0] = t;
    out->arg_types[1] = type_make(TYPE_INTEGER);
    if (nargs == 1) {
        switch (t.id) {
        case TYPE_DOUBLE:
            out->fn = fn_round_f64;
            out->result_type = t;
            break;
        case TYPE_DECIMAL:
            out->fn = fn_round_dec;
            out->result_type = type_decimal(t.width, 0);
            break;
        default:
            out->fn = fn_identity;
            out->result_type = t;
            break;
        }
        return true;
    }
    switch (t.id) {
    case TYPE_DOUBLE:
        out->fn = fn_round_f64_n;
        out->result_type = t;
        break;
    case TYPE_DECIMAL:
        out->fn = fn_round_dec_n;
        out->result_type = type_make(TYPE_DOUBLE);
        break;
    case TYPE_INTEGER:
        out->fn = fn_round_i32_n;
        out->result_type = t;
        break;
    default:
        out->fn = fn_round_i64_n;
        out->result_type = t;
        break;
    }
    return true;
}

static bool bind_floor_ceil(const logical_type *args, uint32_t nargs, bound_scalar *out, scalar_fn f64, scalar_fn dec) {
    if (nargs != 1 || !numeric_or_null(args[0])) return false;
    if (args[0].id == TYPE_DECIMAL) {
        out->arg_types[0] = args[0];
        out->result_type = type_decimal(args[0].width, 0);
        out->fn = dec;
    } else {
        out->arg_types[0] = out->result_type = type_make(TYPE_DOUBLE);
        out->fn = f64;
    }
    return true;
}
bool scalar_bind_floor(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    return bind_floor_ceil(args, nargs, out, fn_floor_f64, fn_floor_dec);
}
bool scalar_bind_ceil(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    return bind_floor_ceil(args, nargs, out, fn_ceil_f64, fn_ceil_dec);
}

/* ---- date parts --------------------------------------------------------------------------------- */

enum { PART_YEAR, PART_MONTH, PART_DAY };

static inline int64_t date_part(int64_t days, int part) {
    int64_t y;
    int m, d;
    date_to_ymd(days, &y, &m, &d);
    return part == PART_YEAR ? y : part == PART_MONTH ? m : d;
}

#define PART_LOOPS(PART, SUFFIX)                                                                               \
    UNARY_HEADER(fn_##SUFFIX##_date) {                                                                        \
        (void)nargs;                                                                                          \
        (void)out;                                                                                            \
        (void)err;                                                                                            \
        const int32_t *a = args[0].data;                                                                      \
        int64_t *r = result->data;                                                                            \
        for (uint32_t i = 0; i < count; i++) r[i] = date_part(a[i], PART);                                    \
        return true;                                                                                          \
    }                                                                                                         \
    UNARY_HEADER(fn_##SUFFIX##_ts) {                                                                          \
        (void)nargs;                                                                                          \
        (void)out;                                                                                            \
        (void)err;                                                                                            \
        const int64_t *a = args[0].data;                                                                      \
        int64_t *r = result->data;                                                                            \
        for (uint32_t i = 0; i < count; i++) r[i] = date_part(timestamp_to_date(a[i]), PART);                \
        return true;                                                                                          \
    }

PART_LOOPS(PART_YEAR, year)
PART_LOOPS(PART_MONTH, month)
PART_LOOPS(PART_DAY, day)

static bool bind_part(const logical_type *args, uint32_t nargs, bound_scalar *out, scalar_fn fdate, scalar_fn fts) {
    if (nargs != 1) return false;
    if (args[0].id == TYPE_DATE || args[0].id == TYPE_SQLNULL) {
        out->arg_types[0] = type_make(TYPE_DATE);
        out->fn = fdate;
    } else if (args[0].id == TYPE_TIMESTAMP) {
        out->arg_types[0] = args[0];
        out->fn = fts;
    } else {
        return false;
    }
    out->result_type = type_make(TYPE_BIGINT);
    return true;
}
/* make_timestamp(microseconds since the epoch): the value is the timestamp's own representation. */
UNARY_HEADER(fn_make_timestamp) {
    (void)nargs;
    (void)out;
    (void)err;
    memcpy(result->data, args[0].data, sizeof(int64_t) * count);
    return true;
}

bool scalar_bind_make_timestamp(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    if (nargs != 1 || !(type_is_integral(args[0]) || args[0].id == TYPE_SQLNULL)) return false;
    out->arg_types[0] = type_make(TYPE_BIGINT);
    out->result_type = type_make(TYPE_TIMESTAMP);
    out->fn = fn_make_timestamp;
    return true;
}

bool scalar_bind_year(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    return bind_part(args, nargs, out, fn_year_date, fn_year_ts);
}
bool scalar_bind_month(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    return bind_part(args, nargs, out, fn_month_date, fn_month_ts);
}
bool scalar_bind_day(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    return bind_part(args, nargs, out, fn_day_date, fn_day_ts);
}
