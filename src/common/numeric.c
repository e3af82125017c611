#include "common/numeric.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const int64_t numeric_pow10[19] = {1LL,
                                   10LL,
                                   100LL,
                                   1000LL,
                                   10000LL,
                                   100000LL,
                                   1000000LL,
                                   10000000LL,
                                   100000000LL,
                                   1000000000LL,
                                   10000000000LL,
                                   100000000000LL,
                                   1000000000000LL,
                                   10000000000000LL,
                                   100000000000000LL,
                                   1000000000000000LL,
                                   10000000000000000LL,
                                   100000000000000000LL,
                                   1000000000000000000LL};

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Trims white space on both sides; false when nothing is left. */
static bool trim(const char **s, size_t *len) {
    const char *p = *s, *e = *s + *len;
    while (p < e && is_space(*p)) p++;
    while (e > p && is_space(e[-1])) e--;
    *s = p;
    *len = (size_t)(e - p);
    return p < e;
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* ---- parsing ------------------------------------------------------------------------------ */

bool numeric_parse_int64(const char *s, size_t len, int64_t *out) {
    if (!trim(&s, &len)) return false;
    const char *p = s, *e = s + len;
    bool neg = false;
    if (*p == '+' || *p == '-') {
        neg = *p == '-';
        p++;
    }
    const uint64_t limit = neg ? (uint64_t)1 << 63 : ((uint64_t)1 << 63) - 1;
    uint64_t mag = 0;
    if (e - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        p += 2;
        for (; p < e; p++) {
            int h = hex_value(*p);
            if (h < 0) return false;
            if (mag > (limit >> 4)) return false;
            mag = mag * 16 + (uint64_t)h;
            if (mag > limit) return false;
        }
        *out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
        return true;
    }
    const char *digits_start = p;
    bool any = false;
    for (; p < e; p++) {
        if (is_digit(*p)) {
            uint64_t d = (uint64_t)(*p - '0');
            if (mag > (limit - d) / 10) return false;
            mag = mag * 10 + d;
            any = true;
        } else if (*p == '_' && p > digits_start && is_digit(p[-1]) && p + 1 < e && is_digit(p[1])) {
            continue;
        } else {
            break;
        }
    }
    if (p < e && (*p == 'e' || *p == 'E' || (*p == '.' && memchr(p, 'e', (size_t)(e - p))) ||
                  (*p == '.' && memchr(p, 'E', (size_t)(e - p))))) {
        /* exponent form: go through a double, rounding half away from zero */
        double d;
        if (!any && *p != '.') return false;
        if (!numeric_parse_double(s, len, &d) || !isfinite(d)) return false;
        d = round(d);
        if (!numeric_double_fits_int64(d)) return false;
        *out = (int64_t)d;
        return true;
    }
    if (p < e && *p == '.') {
        p++;
        bool frac = false;
        bool round_up = false;
        if (p < e && is_digit(*p)) round_up = *p >= '5';
        while (p < e && is_digit(*p)) {
            p++;
            frac = true;
        }
        if (!any && !frac) return false;
        if (round_up) {
            if (mag + 1 > limit) return false;
            mag++;
        }
        any = true;
    }
    if (!any || p != e) return false;
    *out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    return true;
}

static bool ieq(const char *s, size_t len, const char *word) {
    size_t n = strlen(word);
    if (len != n) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != word[i]) return false;
    }
    return true;
}

bool numeric_parse_double(const char *s, size_t len, double *out) {
    if (!trim(&s, &len)) return false;
    const char *p = s;
    size_t n = len;
    bool neg = false;
    if (*p == '+' || *p == '-') {
        neg = *p == '-';
        p++;
        n--;
    }
    if (ieq(p, n, "inf") || ieq(p, n, "infinity")) {
        *out = neg ? -INFINITY : INFINITY;
        return true;
    }
    if (ieq(p, n, "nan")) {
        *out = NAN;
        return true;
    }
    /* only plain decimal notation: digits, one '.', an exponent */
    bool digits = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (is_digit(c)) digits = true;
        else if (c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-') return false;
    }
    if (!digits) return false;
    char local[512];
    if (len >= sizeof local) return false;
    memcpy(local, s, len);
    local[len] = '\0';
    char *end = NULL;
    double d = strtod(local, &end);
    if (end != local + len) return false;
    *out = d;
    return true;
}

bool numeric_parse_decimal(const char *s, size_t len, uint8_t width, uint8_t scale, int64_t *out) {
    if (!trim(&s, &len)) return false;
    const char *p = s, *e = s + len;
    bool neg = false;
    if (*p == '+' || *p == '-') {
        neg = *p == '-';
        p++;
    }
    /* significant digits (leading zeros dropped) and the position of the decimal point */
    const char *int_start = p;
    while (p < e && is_digit(*p)) p++;
    const char *int_end = p;
    const char *frac_start = p, *frac_end = p;
    if (p < e && *p == '.') {
        p++;
        frac_start = p;
        while (p < e && is_digit(*p)) p++;
        frac_end = p;
    }
    if (int_end == int_start && frac_end == frac_start) return false;
    long exponent = 0;
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        bool eneg = false;
        if (p < e && (*p == '+' || *p == '-')) {
            eneg = *p == '-';
            p++;
        }
        if (p == e) return false;
        while (p < e && is_digit(*p)) {
            if (exponent < 100000) exponent = exponent * 10 + (*p - '0');
            p++;
        }
        if (eneg) exponent = -exponent;
    }
    if (p != e) return false;
    /* digit i of the number (integer digits then fraction digits); the point sits after
     * `point` digits, shifted by the exponent */
    size_t nint = (size_t)(int_end - int_start), nfrac = (size_t)(frac_end - frac_start);
    size_t ndig = nint + nfrac;
    long point = (long)nint + exponent;
    long keep = point + scale; /* digits [0, keep) form the raw value */
    uint64_t raw = 0;
    const uint64_t limit = (uint64_t)numeric_pow10[width];
    for (long i = 0; i < keep; i++) {
        int d = 0;
        if ((size_t)i < ndig) d = (size_t)i < nint ? int_start[i] - '0' : frac_start[i - (long)nint] - '0';
        raw = raw * 10 + (uint64_t)d;
        if (raw >= limit) return false;
        if (raw == 0 && (size_t)i >= ndig) break; /* only zeros follow */
    }
    if (keep >= 0 && (size_t)keep < ndig) {
        long i = keep;
        int d = (size_t)i < nint ? int_start[i] - '0' : frac_start[i - (long)nint] - '0';
        if (d >= 5) raw++;
        if (raw >= limit) return false;
    }
    *out = neg ? -(int64_t)raw : (int64_t)raw;
    return true;
}

/* ---- formatting ----------------------------------------------------------------------------- */

static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                     "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                     "8081828384858687888990919293949596979899";

/* Decimal digits of u, two at a time from the end. */
static size_t format_u64(uint64_t u, char *buf) {
    char tmp[24];
    char *w = tmp + sizeof tmp;
    while (u >= 100) {
        uint64_t pair = u % 100;
        u /= 100;
        w -= 2;
        memcpy(w, digit_pairs + 2 * pair, 2);
    }
    if (u >= 10) {
        w -= 2;
        memcpy(w, digit_pairs + 2 * u, 2);
    } else {
        *--w = (char)('0' + u);
    }
    size_t n = (size_t)(tmp + sizeof tmp - w);
    memcpy(buf, w, n);
    buf[n] = '\0';
    return n;
}

size_t numeric_format_int64(int64_t v, char *buf) {
    if (v < 0) {
        buf[0] = '-';
        return 1 + format_u64(0 - (uint64_t)v, buf + 1);
    }
    return format_u64((uint64_t)v, buf);
}

size_t numeric_format_decimal(int64_t v, uint8_t scale, char *buf) {
    if (scale == 0) return numeric_format_int64(v, buf);
    size_t n = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    if (v < 0) buf[n++] = '-';
    uint64_t p = (uint64_t)numeric_pow10[scale];
    n += format_u64(u / p, buf + n);
    buf[n++] = '.';
    uint64_t frac = u % p;
    for (int i = scale - 1; i >= 0; i--) {
        buf[n + (size_t)i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    n += scale;
    buf[n] = '\0';
    return n;
}

size_t numeric_format_double(double v, char *buf) {
    if (isnan(v)) {
        memcpy(buf, "nan", 4);
        return 3;
    }
    if (isinf(v)) {
        if (v < 0) {
            memcpy(buf, "-inf", 5);
            return 4;
        }
        memcpy(buf, "inf", 4);
        return 3;
    }
    if (v == 0) {
        if (signbit(v)) {
            memcpy(buf, "-0.0", 5);
            return 4;
        }
        memcpy(buf, "0.0", 4);
        return 3;
    }
    /* The shortest digits that read back as v: a value that has a representation with at most
     * 15 significant digits is printed correctly rounded at 15 digits; otherwise 16 or 17. */
    char tmp[40];
    /* (subnormal values carry fewer digits: search from one digit up) */
    for (int prec = fabs(v) < DBL_MIN ? 1 : 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
        if (prec == 17 || strtod(tmp, NULL) == v) break;
    }
    /* tmp: [-]d.ddddde[+-]xx */
    char digits[24];
    size_t nd = 0;
    const char *p = tmp;
    bool neg = false;
    if (*p == '-') {
        neg = true;
        p++;
    }
    for (; *p && *p != 'e'; p++)
        if (is_digit(*p)) digits[nd++] = *p;
    int exp10 = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    size_t n = 0;
    if (neg) buf[n++] = '-';
    if (exp10 > -5 && exp10 < 16) {
        if (exp10 >= 0) {
            size_t intd = (size_t)exp10 + 1;
            for (size_t i = 0; i < intd; i++) buf[n++] = i < nd ? digits[i] : '0';
            buf[n++] = '.';
            if (nd > intd)
                for (size_t i = intd; i < nd; i++) buf[n++] = digits[i];
            else
                buf[n++] = '0';
        } else {
            buf[n++] = '0';
            buf[n++] = '.';
            for (int i = 0; i < -exp10 - 1; i++) buf[n++] = '0';
            for (size_t i = 0; i < nd; i++) buf[n++] = digits[i];
        }
        buf[n] = '\0';
        return n;
    }
    buf[n++] = digits[0];
    if (nd > 1) {
        buf[n++] = '.';
        for (size_t i = 1; i < nd; i++) buf[n++] = digits[i];
    }
    n += (size_t)snprintf(buf + n, 8, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
    return n;
}
