/*
 * scalar_arith.c — + - * / // % and unary minus on INTEGER, BIGINT, DOUBLE and DECIMAL, and
 * DATE +/- days, DATE - DATE.
 *
 * Semantics follow DuckDB: integer + - * keep their type and raise "Out of Range Error:
 * Overflow in addition of INT32 (a + b)!" on overflow; / always gives DOUBLE (x/0 is inf or
 * nan); // truncates on integers and is plain division on DOUBLE; // and % by zero give NULL,
 * except DOUBLE % 0 which is nan.
 *
 * DECIMAL (precision at most 18 here, where DuckDB widens to 38 digits):
 *   a + b, a - b: both cast to DECIMAL(max integer digits + max scale, max scale); the result
 *                 has one more digit, at most 18; overflow past 18 digits is an error.
 *   a * b:        result DECIMAL(min(18, w1 + w2), s1 + s2), overflow past 18 digits is an
 *                 error; when s1 + s2 > 18 the product is computed in DOUBLE instead.
 *   a % b:        common DECIMAL type; a / b and a // b: DOUBLE.
 *   When the common DECIMAL type would need more than 18 digits, DOUBLE is used.
 */
#include <math.h>

#include "common/numeric.h"
#include "function/scalar_internal.h"

#define DEC_BOUND INT64_C(1000000000000000000) /* 10^18: values of DECIMAL(18,s) stay below */

static bool overflow_error(error *err, const char *op, const char *tname, long long a, const char *sym, long long b) {
    return error_set(err, EIDER_ERROR_OUT_OF_RANGE, "Overflow in %s of %s (%lld %s %lld)!", op, tname, a, sym, b);
}
static bool decimal_overflow_error(error *err, const char *op, long long a, const char *sym, long long b) {
    return error_set(err, EIDER_ERROR_OUT_OF_RANGE,
                     "Overflow in %s of DECIMAL(18) (%lld %s %lld). You might want to add an explicit cast to a "
                     "bigger decimal.",
                     op, a, sym, b);
}

/* ---- checked integer and decimal operations ------------------------------------------------ */

static inline bool add_i32(int32_t a, int32_t b, int32_t *r) { return __builtin_add_overflow(a, b, r); }
static inline bool sub_i32(int32_t a, int32_t b, int32_t *r) { return __builtin_sub_overflow(a, b, r); }
static inline bool mul_i32(int32_t a, int32_t b, int32_t *r) { return __builtin_mul_overflow(a, b, r); }
static inline bool add_i64(int64_t a, int64_t b, int64_t *r) { return __builtin_add_overflow(a, b, r); }
static inline bool sub_i64(int64_t a, int64_t b, int64_t *r) { return __builtin_sub_overflow(a, b, r); }
static inline bool mul_i64(int64_t a, int64_t b, int64_t *r) { return __builtin_mul_overflow(a, b, r); }
static inline bool add_dec(int64_t a, int64_t b, int64_t *r) {
    return __builtin_add_overflow(a, b, r) || *r >= DEC_BOUND || *r <= -DEC_BOUND;
}
static inline bool sub_dec(int64_t a, int64_t b, int64_t *r) {
    return __builtin_sub_overflow(a, b, r) || *r >= DEC_BOUND || *r <= -DEC_BOUND;
}
static inline bool mul_dec(int64_t a, int64_t b, int64_t *r) {
    return __builtin_mul_overflow(a, b, r) || *r >= DEC_BOUND || *r <= -DEC_BOUND;
}

#define CHECKED_LOOP(NAME, T, OP, ON_OVERFLOW)                                                                 \
    static bool NAME(const vector *args, uint32_t nargs, uint32_t count, vector *result, chunk *out,          \
                     error *err) {                                                                            \
        (void)nargs;                                                                                          \
        (void)out;                                                                                            \
        const T *a = (const T *)args[0].data, *b = (const T *)args[1].data;                                   \
        T *r = (T *)result->data;                                                                             \
        if (vector_all_valid(result, count)) {                                                                \
            for (uint32_t i = 0; i < count; i++)                                                              \
                if (OP(a[i], b[i], &r[i])) return ON_OVERFLOW;                                                \
        } else {                                                                                              \
            for (uint32_t i = 0; i < count; i++)                                                              \
                if (vector_is_valid(result, i) && OP(a[i], b[i], &r[i])) return ON_OVERFLOW;                  \
        }                                                                                                     \
        return true;                                                                                          \
    }

CHECKED_LOOP(fn_add_i32, int32_t, add_i32, overflow_error(err, "addition", "INT32", a[i], "+", b[i]))
CHECKED_LOOP(fn_sub_i32, int32_t, sub_i32, overflow_error(err, "subtraction", "INT32", a[i], "-", b[i]))
CHECKED_LOOP(fn_mul_i32, int32_t, mul_i32, overflow_error(err, "multiplication", "INT32", a[i], "*", b[i]))
CHECKED_LOOP(fn_add_i64, int64_t, add_i64, overflow_error(err, "addition", "INT64", (long long)a[i], "+", (long long)b[i]))
CHECKED_LOOP(fn_sub_i64, int64_t, sub_i64,
             overflow_error(err, "subtraction", "INT64", (long long)a[i], "-", (long long)b[i]))
CHECKED_LOOP(fn_mul_i64, int64_t, mul_i64,
             overflow_error(err, "multiplication", "INT64", (long long)a[i], "*", (long long)b[i]))
CHECKED_LOOP(fn_add_dec, int64_t, add_dec, decimal_overflow_error(err, "addition", (long long)a[i], "+", (long long)b[i]))
CHECKED_LOOP(fn_sub_dec, int64_t, sub_dec,
             decimal_overflow_error(err, "subtraction", (long long)a[i], "-", (long long)b[i]))
CHECKED_LOOP(fn_mul_dec, int64_t, mul_dec,
             decimal_overflow_error(err, "multiplication", (long long)a[i], "*", (long long)b[i]))

/* ---- DOUBLE ------------------------------------------------------------------------------------ */

#define DOUBLE_LOOP(NAME, EXPR)                                                                               \
    static bool NAME(const vector *args, uint32_t nargs, uint32_t count, vector *result, chunk *out,          \
                     error *err) {                                                                            \
        (void)nargs;                                                                                          \
        (void)out;                                                                                            \
        (void)err;                                                                                            \
        const double *a = (const double *)args[0].data, *b = (const double *)args[1].data;                    \
        double *r = (double *)result->data;                                                                   \
        for (uint32_t i = 0; i < count; i++) r[i] = EXPR;                                                     \
        return true;                                                                                          \
    }

DOUBLE_LOOP(fn_add_f64, a[i] + b[i])
DOUBLE_LOOP(fn_sub_f64, a[i] - b[i])
DOUBLE_LOOP(fn_mul_f64, a[i] * b[i])
DOUBLE_LOOP(fn_div_f64, a[i] / b[i])
DOUBLE_LOOP(fn_mod_f64, fmod(a[i], b[i]))

/* DOUBLE // DOUBLE: division, NULL when dividing by zero */
static bool fn_idiv_f64(const vector *args, uint32_t nargs, uint32_t count, vector *result, chunk *out, error *err) {
    (void)nargs;
    (void)out;
    (void)err;
    const double *a = args[0].data, *b = args[1].data;
    double *r = result->data;
    for (uint32_t i = 0; i < count; i++) {
        if (b[i] == 0) {
            vector_set_null(result, i);
            r[i] = 0;
        } else {
            r[i] = a[i] / b[i];
        }
    }
    return true;
}

/* ---- integer // and % (NULL on division by zero) ---------------------------------------------- */

#define IDIV_LOOP(NAME, T, MINV, IS_MOD)                                                                       \
    static bool NAME(const vector *args, uint32_t nargs, uint32_t count, vector *result, chunk *out,          \
                     error *err) {                                                                            \
        (void)nargs;                                                                                          \
        (void)out;                                                                                            \
        const T *a = (const T *)args[0].data, *b = (const T *)args[1].data;                                   \
        T *r = (T *)result->data;                                                                             \
        bool all = vector_all_valid(result, count);                                                           \
        for (uint32_t i = 0; i < count; i++) {                                                                \
            if (!scalar_row_valid(result, all, i)) continue;                                                  \
            if (b[i] == 0) {                                                                                  \
                vector_set_null(result, i);                                                                   \
                r[i] = 0;                                                                                     \
            } else if (b[i] == -1) {                                                                          \
                if (IS_MOD) r[i] = 0;                                                                         \
                else if (a[i] == MINV)                                                                        \
                    return error_set(err, EIDER_ERROR_OUT_OF_RANGE, "Overflow in division of %lld / %lld",        \
                                     (long long)a[i], (long long)b[i]);                                       \
                else r[i] = -a[i];                                                                            \
            } else {                                                                                          \
                r[i] = IS_MOD ? a[i] % b[i] : a[i] / b[i];                                                    \
            }                                                                                                 \
        }                                                                                                     \
        return true;                                                                                          \
    }

IDIV_LOOP(fn_idiv_i32, int32_t, INT32_MIN, false)
IDIV_LOOP(fn_idiv_i64, int64_t, INT64_MIN, false)
IDIV_LOOP(fn_mod_i32, int32_t, INT32_MIN, true)
IDIV_LOOP(fn_mod_i64, int64_t, INT64_MIN, true)

/* ---- unary ----------------------------------------------------------------------------------- */

#define NEG_LOOP(NAME, T, MINV)                                                                                \
    static bool NAME(const vector *args, uint32_t nargs, uint32_t count, vector *result, chunk *out,          \
                     error *err) {                                                                            \
        (void)nargs;                                                                                          \
        (void)out;                                                                                            \
        const T *a = (const T *)args[0].data;                                                                 \
        T *r = (T *)result->data;                                                                             \
        bool all = vector_all_valid(result, count);                                                           \
        for (uint32_t i = 0; i < count; i++) {                                                                \
            if (!scalar_row_valid(result, all, i)) continue;                                                  \
            if (a[i] == MINV)                                                                                 \
                return error_set(err, EIDER_ERROR_OUT_OF_RANGE, "Overflow in negation of numeric value!");    \
            r[i] = -a[i];                                                                                     \
        }                                                                                                     \
        return true;                                                                                          \
    }

NEG_LOOP(fn_neg_i32, int32_t, INT32_MIN)
NEG_LOOP(fn_neg_i64, int64_t, INT64_MIN)

static bool fn_neg_f64(const vector *args, uint32_t nargs, uint32_t count, vector *result, chunk *out, error *err) {
    (void)nargs;
    (void)out;
    (void)err;
    const double *a = args[0].data;
    double *r = result->data;
    for (uint32_t i = 0; i < count; i++) r[i] = -a[i];
    return true;
}

static bool fn_identity(const vector *args, uint32_t nargs, uint32_t count, vector *result, chunk *out, error *err) {
    (void)nargs;
    (void)out;
    (void)err;
    memcpy(result->data, args[0].data, (size_t)count * type_physical_size(args[0].type));
    return true;
}

/* ---- dates ------------------------------------------------------------------------------------- */

static bool date_range_error(error *err) { return error_set(err, EIDER_ERROR_OUT_OF_RANGE, "Date out of range"); }

static inline bool date_add_days(int32_t d, int32_t n, int32_t *r) { return __builtin_add_overflow(d, n, r); }
static inline bool date_sub_days(int32_t d, int32_t n, int32_t *r) { return __builtin_sub_overflow(d, n, r); }
CHECKED_LOOP(fn_date_add, int32_t, date_add_days, date_range_error(err))
CHECKED_LOOP(fn_date_sub, int32_t, date_sub_days, date_range_error(err))

static bool fn_int_add_date(const vector *args, uint32_t nargs, uint32_t count, vector *result, chunk *out, error *err) {
    vector swapped[2] = {args[1], args[0]};
    return fn_date_add(swapped, nargs, count, result, out, err);
}

static bool fn_date_diff(const vector *args, uint32_t nargs, uint32_t count, vector *result, chunk *out, error *err) {
    (void)nargs;
    (void)out;
    (void)err;
    const int32_t *a = args[0].data, *b = args[1].data;
    int64_t *r = result->data;
    for (uint32_t i = 0; i < count; i++) r[i] = (int64_t)a[i] - (int64_t)b[i];
    return true;
}

/* ---- binding --------------------------------------------------------------------------------- */

typedef enum arith_op { OP_ADD, OP_SUB, OP_MUL, OP_MOD, OP_IDIV } arith_op;

static bool numeric_or_null(logical_type t) { return type_is_numeric(t) || t.id == TYPE_SQLNULL; }

static void set2(bound_scalar *out, scalar_fn fn, logical_type a, logical_type b, logical_type result) {
    out->fn = fn;
    out->arg_types[0] = a;
    out->arg_types[1] = b;
    out->result_type = result;
}

static bool bind_numeric(const logical_type *args, arith_op op, bound_scalar *out) {
    if (!numeric_or_null(args[0]) || !numeric_or_null(args[1])) return false;
    logical_type t;
    if (!scalar_common_type(args[0], args[1], &t)) return false;
    if (t.id == TYPE_SQLNULL) t = type_make(TYPE_INTEGER);
    if (op == OP_MUL && t.id == TYPE_DECIMAL) {
        logical_type x = scalar_as_decimal(args[0].id == TYPE_SQLNULL ? args[1] : args[0]);
        logical_type y = scalar_as_decimal(args[1].id == TYPE_SQLNULL ? args[0] : args[1]);
        int scale = x.scale + y.scale, width = x.width + y.width;
        if (scale > DECIMAL_MAX_WIDTH) {
            t = type_make(TYPE_DOUBLE);
        } else {
            if (width > DECIMAL_MAX_WIDTH) width = DECIMAL_MAX_WIDTH;
            set2(out, fn_mul_dec, x, y, type_decimal((uint8_t)width, (uint8_t)scale));
            return true;
        }
    }
    scalar_fn fn = NULL;
    logical_type result = t;
    switch (t.id) {
    case TYPE_INTEGER: {
        static const scalar_fn f[] = {fn_add_i32, fn_sub_i32, fn_mul_i32, fn_mod_i32, fn_idiv_i32};
        fn = f[op];
        break;
    }
    case TYPE_BIGINT: {
        static const scalar_fn f[] = {fn_add_i64, fn_sub_i64, fn_mul_i64, fn_mod_i64, fn_idiv_i64};
        fn = f[op];
        break;
    }
    case TYPE_DOUBLE: {
        static const scalar_fn f[] = {fn_add_f64, fn_sub_f64, fn_mul_f64, fn_mod_f64, fn_idiv_f64};
        fn = f[op];
        break;
    }
    case TYPE_DECIMAL:
        if (op == OP_IDIV) {
            t = result = type_make(TYPE_DOUBLE);
            fn = fn_idiv_f64;
        } else if (op == OP_MOD) {
            fn = fn_mod_i64;
        } else {
            fn = op == OP_ADD ? fn_add_dec : fn_sub_dec;
            int w = t.width + 1;
            result = type_decimal((uint8_t)(w > DECIMAL_MAX_WIDTH ? DECIMAL_MAX_WIDTH : w), t.scale);
        }
        break;
    default: return false;
    }
    set2(out, fn, t, t, result);
    return true;
}

static bool integral_or_null(logical_type t) { return type_is_integral(t) || t.id == TYPE_SQLNULL; }

bool scalar_bind_add(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    if (nargs == 1) {
        if (!numeric_or_null(args[0])) return false;
        logical_type t = args[0].id == TYPE_SQLNULL ? type_make(TYPE_INTEGER) : args[0];
        out->fn = fn_identity;
        out->arg_types[0] = out->result_type = t;
        return true;
    }
    if (nargs != 2) return false;
    logical_type date = type_make(TYPE_DATE), i32 = type_make(TYPE_INTEGER);
    if (args[0].id == TYPE_DATE && integral_or_null(args[1])) {
        set2(out, fn_date_add, date, i32, date);
        return true;
    }
    if (integral_or_null(args[0]) && args[1].id == TYPE_DATE) {
        set2(out, fn_int_add_date, i32, date, date);
        return true;
    }
    return bind_numeric(args, OP_ADD, out);
}

bool scalar_bind_subtract(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    if (nargs == 1) {
        if (!numeric_or_null(args[0])) return false;
        logical_type t = args[0].id == TYPE_SQLNULL ? type_make(TYPE_INTEGER) : args[0];
        out->arg_types[0] = out->result_type = t;
        switch (t.id) {
        case TYPE_INTEGER: out->fn = fn_neg_i32; break;
        case TYPE_BIGINT:
        case TYPE_DECIMAL: out->fn = fn_neg_i64; break;
        default: out->fn = fn_neg_f64; break;
        }
        return true;
    }
    if (nargs != 2) return false;
    logical_type date = type_make(TYPE_DATE);
    if (args[0].id == TYPE_DATE && (args[1].id == TYPE_DATE || args[1].id == TYPE_SQLNULL)) {
        set2(out, fn_date_diff, date, date, type_make(TYPE_BIGINT));
        return true;
    }
    if (args[0].id == TYPE_DATE && type_is_integral(args[1])) {
        set2(out, fn_date_sub, date, type_make(TYPE_INTEGER), date);
        return true;
    }
    return bind_numeric(args, OP_SUB, out);
}

bool scalar_bind_multiply(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    return nargs == 2 && bind_numeric(args, OP_MUL, out);
}

bool scalar_bind_modulo(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    return nargs == 2 && bind_numeric(args, OP_MOD, out);
}

bool scalar_bind_int_divide(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    return nargs == 2 && bind_numeric(args, OP_IDIV, out);
}

bool scalar_bind_divide(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err) {
    (void)err;
    if (nargs != 2 || !numeric_or_null(args[0]) || !numeric_or_null(args[1])) return false;
    logical_type d = type_make(TYPE_DOUBLE);
    set2(out, fn_div_f64, d, d, d);
    return true;
}
