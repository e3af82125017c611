/*
 * scalar_compare.c — = <> < <= > >= on every pair of types with a common type, giving BOOLEAN.
 * Both sides are cast to the common type first (a VARCHAR meeting another type is a Binder
 * Error, as in DuckDB; string literals are the binder's business); one loop per (operator, physical type). DOUBLE compares as DuckDB does: NaN equals NaN and is
 * greater than every other value. VARCHAR compares byte-wise.
 */
#include <math.h>

#include "function/scalar_internal.h"

/* total order on doubles: NaN last and equal to itself */
static inline int cmp_f64(double a, double b) {
    if (isnan(a)) return isnan(b) ? 0 : 1;
    if (isnan(b)) return -1;
    return (a > b) - (a < b);
}

#define CMP_NUM(a, b) (((a) > (b)) - ((a) < (b)))

/* Numeric loops compute every row (NULL rows hold harmless numbers; the result's validity
 * already marks them NULL). */
#define CMP_LOOP(NAME, T, EXPR)                                                                                \
    static bool NAME(const vector *args, uint32_t nargs, uint32_t count, vector *result, chunk *out,          \
                     error *err) {                                                                            \
        (void)nargs;                                                                                          \
        (void)out;                                                                                            \
        (void)err;                                                                                            \
        const T *a = (const T *)args[0].data, *b = (const T *)args[1].data;                                   \
        uint8_t *r = (uint8_t *)result->data;                                                                 \
        for (uint32_t i = 0; i < count; i++) r[i] = (EXPR);                                                   \
        return true;                                                                                          \
    }

#define CMP_FAMILY(T, SUFFIX, CMPFN)                                                                          \
    CMP_LOOP(eq_##SUFFIX, T, CMPFN(a[i], b[i]) == 0)                                                          \
    CMP_LOOP(ne_##SUFFIX, T, CMPFN(a[i], b[i]) != 0)                                                          \
    CMP_LOOP(lt_##SUFFIX, T, CMPFN(a[i], b[i]) < 0)                                                           \
    CMP_LOOP(le_##SUFFIX, T, CMPFN(a[i], b[i]) <= 0)                                                          \
    CMP_LOOP(gt_##SUFFIX, T, CMPFN(a[i], b[i]) > 0)                                                           \
    CMP_LOOP(ge_##SUFFIX, T, CMPFN(a[i], b[i]) >= 0)

CMP_FAMILY(int32_t, i32, CMP_NUM)
CMP_FAMILY(int64_t, i64, CMP_NUM)
CMP_FAMILY(uint8_t, u8, CMP_NUM)
CMP_FAMILY(double, f64, cmp_f64)

/* Strings: NULL rows may hold anything, so they are skipped. */
#define STR_LOOP(NAME, EXPR)                                                                                   \
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
            r[i] = (EXPR);                                                                                    \
        }                                                                                                     \
        return true;                                                                                          \
    }

STR_LOOP(eq_str, string_equals(&a[i], &b[i]))
STR_LOOP(ne_str, !string_equals(&a[i], &b[i]))
STR_LOOP(lt_str, string_compare(&a[i], &b[i]) < 0)
STR_LOOP(le_str, string_compare(&a[i], &b[i]) <= 0)
STR_LOOP(gt_str, string_compare(&a[i], &b[i]) > 0)
STR_LOOP(ge_str, string_compare(&a[i], &b[i]) >= 0)

typedef struct cmp_set {
    scalar_fn i32, i64, u8, f64, str;
} cmp_set;

static bool bind_compare(const logical_type *args, uint32_t nargs, bound_scalar *out, cmp_set set, error *err) {
    if (nargs != 2) return false;
    logical_type t;
    if (!scalar_common_type(args[0], args[1], &t)) {
        char ab[TYPE_NAME_MAX], bb[TYPE_NAME_MAX];
        return error_set(err, EIDER_ERROR_BINDER,
                         "Cannot compare values of type %s and type %s - an explicit cast is required",
                         type_to_string(args[0], ab), type_to_string(args[1], bb));
    }
    if (t.id == TYPE_SQLNULL) t = type_make(TYPE_INTEGER);
    switch (t.id) {
    case TYPE_INTEGER:
    case TYPE_DATE: out->fn = set.i32; break;
    case TYPE_BIGINT:
    case TYPE_DECIMAL:
    case TYPE_TIMESTAMP: out->fn = set.i64; break;
    case TYPE_BOOLEAN: out->fn = set.u8; break;
    case TYPE_DOUBLE: out->fn = set.f64; break;
    case TYPE_VARCHAR: out->fn = set.str; break;
    default: return false;
    }
    out->arg_types[0] = out->arg_types[1] = t;
    out->result_type = type_make(TYPE_BOOLEAN);
    return true;
}

#define BIND_CMP(NAME, OP)                                                                                     \
    bool NAME(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {                      \
        cmp_set s = {OP##_i32, OP##_i64, OP##_u8, OP##_f64, OP##_str};                                        \
        return bind_compare(args, nargs, out, s, err);                                                         \
    }

BIND_CMP(scalar_bind_eq, eq)
BIND_CMP(scalar_bind_ne, ne)
BIND_CMP(scalar_bind_lt, lt)
BIND_CMP(scalar_bind_le, le)
BIND_CMP(scalar_bind_gt, gt)
BIND_CMP(scalar_bind_ge, ge)
