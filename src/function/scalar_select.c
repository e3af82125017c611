/*
 * scalar_select.c — functions that pick one of their arguments: coalesce (first non-NULL),
 * nullif(a, b) (NULL when a = b), greatest and least (NULL arguments ignored, as in DuckDB).
 * All arguments are cast to their common type. They handle NULLs themselves. Strings are
 * shared with the argument vectors, not copied.
 */
#include <math.h>

#include "function/scalar_internal.h"

static inline int cmp_i32(int32_t a, int32_t b) { return (a > b) - (a < b); }
static inline int cmp_i64(int64_t a, int64_t b) { return (a > b) - (a < b); }
static inline int cmp_u8(uint8_t a, uint8_t b) { return (a > b) - (a < b); }
static inline int cmp_f64(double a, double b) {
    if (isnan(a)) return isnan(b) ? 0 : 1;
    if (isnan(b)) return -1;
    return (a > b) - (a < b);
}
static inline int cmp_str(string_t a, string_t b) { return string_compare(&a, &b); }

/* ---- coalesce ---------------------------------------------------------------------------------- */

#define COALESCE_LOOP(NAME, T)                                                                                 \
    static bool NAME(const vector *args, uint32_t nargs, uint32_t count, vector *result, chunk *out,          \
                     error *err) {                                                                            \
        (void)out;                                                                                            \
        (void)err;                                                                                            \
        T *r = (T *)result->data;                                                                             \
        for (uint32_t i = 0; i < count; i++) {                                                                \
            uint32_t a = 0;                                                                                   \
            while (a < nargs && !vector_is_valid(&args[a], i)) a++;                                           \
            if (a == nargs) {                                                                                 \
                vector_set_null(result, i);                                                                   \
            } else {                                                                                          \
                vector_set_valid(result, i);                                                                  \
                r[i] = ((const T *)args[a].data)[i];                                                          \
            }                                                                                                 \
        }                                                                                                     \
        return true;                                                                                          \
    }

COALESCE_LOOP(coalesce_u8, uint8_t)
COALESCE_LOOP(coalesce_i32, int32_t)
COALESCE_LOOP(coalesce_i64, int64_t)
COALESCE_LOOP(coalesce_f64, double)
COALESCE_LOOP(coalesce_str, string_t)

/* ---- nullif ------------------------------------------------------------------------------------- */

#define NULLIF_LOOP(NAME, T, CMP)                                                                              \
    static bool NAME(const vector *args, uint32_t nargs, uint32_t count, vector *result, chunk *out,          \
                     error *err) {                                                                            \
        (void)nargs;                                                                                          \
        (void)out;                                                                                            \
        (void)err;                                                                                            \
        const T *a = (const T *)args[0].data, *b = (const T *)args[1].data;                                   \
        T *r = (T *)result->data;                                                                             \
        for (uint32_t i = 0; i < count; i++) {                                                                \
            bool va = vector_is_valid(&args[0], i);                                                           \
            bool eq = va && vector_is_valid(&args[1], i) && CMP(a[i], b[i]) == 0;                             \
            if (!va || eq) {                                                                                  \
                vector_set_null(result, i);                                                                   \
            } else {                                                                                          \
                vector_set_valid(result, i);                                                                  \
                r[i] = a[i];                                                                                  \
            }                                                                                                 \
        }                                                                                                     \
        return true;                                                                                          \
    }

NULLIF_LOOP(nullif_u8, uint8_t, cmp_u8)
NULLIF_LOOP(nullif_i32, int32_t, cmp_i32)
NULLIF_LOOP(nullif_i64, int64_t, cmp_i64)
NULLIF_LOOP(nullif_f64, double, cmp_f64)
NULLIF_LOOP(nullif_str, string_t, cmp_str)

/* ---- greatest / least ----------------------------------------------------------------------------- */

#define EXTREME_LOOP(NAME, T, CMP, SIGN)                                                                       \
    static bool NAME(const vector *args, uint32_t nargs, uint32_t count, vector *result, chunk *out,          \
                     error *err) {                                                                            \
        (void)out;                                                                                            \
        (void)err;                                                                                            \
        T *r = (T *)result->data;                                                                             \
        for (uint32_t i = 0; i < count; i++) {                                                                \
            bool found = false;                                                                               \
            T best;                                                                                           \
            memset(&best, 0, sizeof best);                                                                    \
            for (uint32_t a = 0; a < nargs; a++) {                                                            \
                if (!vector_is_valid(&args[a], i)) continue;                                                  \
                T v = ((const T *)args[a].data)[i];                                                           \
                if (!found || CMP(v, best) * (SIGN) > 0) best = v;                                            \
                found = true;                                                                                 \
            }                                                                                                 \
            vector_set_validity(result, i, found);                                                            \
            if (found) r[i] = best;                                                                           \
        }                                                                                                     \
        return true;                                                                                          \
    }

EXTREME_LOOP(greatest_u8, uint8_t, cmp_u8, 1)
EXTREME_LOOP(greatest_i32, int32_t, cmp_i32, 1)
EXTREME_LOOP(greatest_i64, int64_t, cmp_i64, 1)
EXTREME_LOOP(greatest_f64, double, cmp_f64, 1)
EXTREME_LOOP(greatest_str, string_t, cmp_str, 1)
EXTREME_LOOP(least_u8, uint8_t, cmp_u8, -1)
EXTREME_LOOP(least_i32, int32_t, cmp_i32, -1)
EXTREME_LOOP(least_i64, int64_t, cmp_i64, -1)
EXTREME_LOOP(least_f64, double, cmp_f64, -1)
EXTREME_LOOP(least_str, string_t, cmp_str, -1)

/* ---- binding ---------------------------------------------------------------------------------------- */

typedef struct by_type {
    scalar_fn u8, i32, i64, f64, str;
} by_type;

static bool bind_select(const logical_type *args, uint32_t nargs, bound_scalar *out, by_type fns) {
    if (nargs < 1) return false;
    logical_type t = args[0];
    for (uint32_t i = 1; i < nargs; i++)
        if (!scalar_common_type(t, args[i], &t)) return false;
    if (t.id == TYPE_SQLNULL) t = type_make(TYPE_INTEGER);
    switch (t.id) {
    case TYPE_BOOLEAN: out->fn = fns.u8; break;
    case TYPE_INTEGER:
    case TYPE_DATE: out->fn = fns.i32; break;
    case TYPE_BIGINT:
    case TYPE_DECIMAL:
    case TYPE_TIMESTAMP: out->fn = fns.i64; break;
    case TYPE_DOUBLE: out->fn = fns.f64; break;
    case TYPE_VARCHAR: out->fn = fns.str; break;
    default: return false;
    }
    scalar_args_all(out, nargs, t);
    out->result_type = t;
    out->handles_nulls = true;
    return true;
}

bool scalar_bind_coalesce(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    by_type f = {coalesce_u8, coalesce_i32, coalesce_i64, coalesce_f64, coalesce_str};
    return bind_select(args, nargs, out, f);
}
bool scalar_bind_nullif(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    by_type f = {nullif_u8, nullif_i32, nullif_i64, nullif_f64, nullif_str};
    return nargs == 2 && bind_select(args, nargs, out, f);
}
bool scalar_bind_greatest(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    by_type f = {greatest_u8, greatest_i32, greatest_i64, greatest_f64, greatest_str};
    return bind_select(args, nargs, out, f);
}
bool scalar_bind_least(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    by_type f = {least_u8, least_i32, least_i64, least_f64, least_str};
    return bind_select(args, nargs, out, f);
}
