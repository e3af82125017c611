/*
 * cast.h — conversions between SQL types, for vectors and single values, and the text form of
 * every value (what CAST(x AS VARCHAR) and the result API print).
 *
 * Text forms follow DuckDB: doubles in their shortest round-trip form ("0.1", "1e+20" ->
 * "1e+20", "inf", "nan", integral doubles as "3.0"), DECIMAL with exactly `scale` digits,
 * DATE "YYYY-MM-DD", TIMESTAMP "YYYY-MM-DD HH:MM:SS[.ffffff]", BOOLEAN "true"/"false".
 * Failed conversions give "Conversion Error: Could not convert string 'abc' to INT32" style
 * messages; out-of-range numbers "Conversion Error: ... out of range" .
 */
#ifndef EIDER_CAST_H
#define EIDER_CAST_H

#include "common/vector.h"

/* Casts rows [0,count) of src into dst (dst->type is the target). NULL stays NULL. New strings
 * go into out's heap (out is the chunk that owns dst). */
bool cast_vector(const vector *src, vector *dst, uint32_t count, chunk *out, error *err);
/* Casts one value; strings of the result are allocated in a. */
bool cast_value(const value *src, logical_type to, value *out, arena *a, error *err);
/* Whether the binder may insert this cast silently (e.g. INTEGER->BIGINT->DECIMAL->DOUBLE,
 * SQLNULL->anything, VARCHAR literal handling is the binder's). */
bool cast_is_implicit(logical_type from, logical_type to);
/* Text of a non-NULL value, written into buf (cap bytes, NUL-terminated, truncated if longer).
 * Returns the full length the text needs (like snprintf). */
size_t value_to_text(const value *v, char *buf, size_t cap);

#endif
