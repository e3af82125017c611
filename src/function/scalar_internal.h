/*
 * scalar_internal.h — what the scalar function files share: the binder callbacks each family
 * registers, the common-type rules of overload resolution, and small helpers for writing
 * results. Used only inside src/function/scalar*.c.
 */
#ifndef EIDER_SCALAR_INTERNAL_H
#define EIDER_SCALAR_INTERNAL_H

#include "function/scalar.h"

/* Binds one function name for the given argument types: fills out (fn, arg_types, result_type,
 * handles_nulls; name and nargs are filled by the registry) or returns false without touching
 * err when no overload matches (the registry then reports it), or false with err set for a
 * more specific error. */
typedef bool (*scalar_bind_fn)(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);

/* The type two arguments are both cast to when an operator or function needs one type:
 * SQLNULL yields to the other; INTEGER < BIGINT < DECIMAL < DOUBLE (an integer meeting a
 * DECIMAL becomes DECIMAL(10,0) / DECIMAL(18,0); two decimals keep the larger scale and the
 * larger integer part; when that needs more than 18 digits the common type is DOUBLE);
 * DATE with TIMESTAMP is TIMESTAMP. False when there is none (VARCHAR with a number, ...). */
bool scalar_common_type(logical_type a, logical_type b, logical_type *out);
/* An integer type seen as a DECIMAL (INTEGER -> DECIMAL(10,0), BIGINT -> DECIMAL(18,0)). */
logical_type scalar_as_decimal(logical_type t);

/* Sets every argument type to t. */
void scalar_args_all(bound_scalar *out, uint32_t nargs, logical_type t);

/* Writable memory for a result string of len bytes in out's heap (len > STRING_INLINE_LENGTH);
 * finish it with string_make(ptr, len). */
char *scalar_string_alloc(chunk *out, uint32_t len, error *err);

/* Whether row i of a result is valid, given `all` = every row valid. */
static inline bool scalar_row_valid(const vector *result, bool all, uint32_t i) {
    return all || vector_is_valid(result, i);
}

/* ---- bind callbacks, by file ------------------------------------------------------------ */

/* scalar_arith.c */
bool scalar_bind_add(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_subtract(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_multiply(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_divide(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_int_divide(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_modulo(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);

/* scalar_compare.c */
bool scalar_bind_eq(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_ne(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_lt(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_le(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_gt(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_ge(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);

/* scalar_string.c */
bool scalar_bind_concat_op(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_concat(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_lower(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_upper(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_length(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_substring(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_trim(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_ltrim(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_rtrim(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_replace(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_starts_with(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_ends_with(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_contains(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_strpos(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);

/* scalar_like.c */
bool scalar_bind_like(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_not_like(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_ilike(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_not_ilike(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
/* LIKE matching of text against pattern ('%' any run, '_' one UTF-8 character), with ASCII
 * case folding when nocase; linear in practice, O(n*m) worst case. */
bool scalar_like_match(const char *text, size_t tlen, const char *pat, size_t plen, bool nocase);

/* scalar_math.c */
bool scalar_bind_abs(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_round(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_floor(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_ceil(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_year(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_make_timestamp(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_month(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_day(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);

/* scalar_select.c */
bool scalar_bind_coalesce(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_nullif(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_greatest(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);
bool scalar_bind_least(const logical_type *args, uint32_t nargs, bound_scalar *out, error *err);

#endif
