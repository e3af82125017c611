/*
 * numeric.h — parsing and text forms of numbers: integers, doubles (shortest round-trip form,
 * as DuckDB prints them) and fixed-point decimals (int64 value * 10^scale), plus the rounding
 * and range helpers that casts and arithmetic share.
 *
 * Parsers take a byte range (not NUL-terminated), allow leading and trailing white space and
 * are otherwise strict; they return false on malformed input or when the value does not fit.
 */
#ifndef EIDER_NUMERIC_H
#define EIDER_NUMERIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 10^0 .. 10^18 */
extern const int64_t numeric_pow10[19];

/* Buffer sizes that always suffice for the formatters below (including the NUL). */
#define NUMERIC_INT_BUFSIZE 24
#define NUMERIC_DOUBLE_BUFSIZE 32
#define NUMERIC_DECIMAL_BUFSIZE 24

/* Integer text: [+-]digits with '_' between digits, or 0x hex; a fraction is rounded half away
 * from zero ("2.5" -> 3) and an exponent is allowed ("1e2" -> 100). Fails outside INT64. */
bool numeric_parse_int64(const char *s, size_t len, int64_t *out);
/* Double text: what strtod accepts in full, plus inf/infinity/nan in any case. Overflow gives
 * infinity. */
bool numeric_parse_double(const char *s, size_t len, double *out);
/* Decimal text ("-12.345", ".5", "1e2") into DECIMAL(width, scale): digits beyond the scale are
 * rounded half away from zero; fails when the result needs more than width digits. */
bool numeric_parse_decimal(const char *s, size_t len, uint8_t width, uint8_t scale, int64_t *out);

/* Writes the text and a NUL into buf; returns the text's length. */
size_t numeric_format_int64(int64_t v, char *buf);
/* Shortest text that reads back as the same double, laid out as DuckDB does: plain notation
 * for decimal exponents -5 < e < 16 (integral values get ".0"), else "1e+20" / "1.5e-07";
 * "nan", "inf", "-inf", "-0.0". */
size_t numeric_format_double(double v, char *buf);
/* A DECIMAL value with exactly `scale` fraction digits ("1.50", "-0.05"). */
size_t numeric_format_decimal(int64_t v, uint8_t scale, char *buf);

/* v / divisor (divisor > 0) rounded half away from zero. */
static inline int64_t numeric_div_round(int64_t v, int64_t divisor) {
    int64_t q = v / divisor, r = v % divisor;
    if (r >= 0 ? r * 2 >= divisor : -r * 2 >= divisor) q += v < 0 ? -1 : 1;
    return q;
}

/* Whether a double (already integral) is inside the int64 range. */
static inline bool numeric_double_fits_int64(double d) {
    return d >= -9223372036854775808.0 && d < 9223372036854775808.0;
}

#endif
