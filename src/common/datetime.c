#include "common/datetime.h"

#include <stdio.h>

/* Days-from-civil and civil-from-days (Howard Hinnant's algorithms), valid for any year. */
int64_t date_from_ymd(int64_t year, int month, int day) {
    int64_t y = year - (month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = (month + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void date_to_ymd(int64_t days, int64_t *year, int *month, int *day) {
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = y + (m <= 2);
    *month = m;
    *day = d;
}

static bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int date_days_in_month(int64_t year, int month) {
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12) return 0;
    return month == 2 && is_leap(year) ? 29 : dim[month - 1];
}

bool date_is_valid(int64_t year, int month, int day) {
    return month >= 1 && month <= 12 && day >= 1 && day <= date_days_in_month(year, month);
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Reads 1..maxd digits at *p; false if there are none. */
static bool read_number(const char **p, const char *e, int maxd, int64_t *out) {
    int64_t v = 0;
    int n = 0;
    while (*p < e && is_digit(**p) && n < maxd) {
        v = v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    *out = v;
    return n > 0;
}

/* Parses the date part at *p; advances *p past it. */
static datetime_status parse_date_part(const char **p, const char *e, int64_t *days) {
    int64_t y, m, d;
    if (!read_number(p, e, 7, &y)) return DATETIME_BAD_FORMAT;
    if (*p >= e || (**p != '-' && **p != '/')) return DATETIME_BAD_FORMAT;
    char sep = **p;
    (*p)++;
    if (!read_number(p, e, 2, &m)) return DATETIME_BAD_FORMAT;
    if (*p >= e || **p != sep) return DATETIME_BAD_FORMAT;
    (*p)++;
    if (!read_number(p, e, 2, &d)) return DATETIME_BAD_FORMAT;
    if (*p < e && is_digit(**p)) return DATETIME_BAD_FORMAT;
    if (!date_is_valid(y, (int)m, (int)d)) return DATETIME_OUT_OF_RANGE;
    *days = date_from_ymd(y, (int)m, (int)d);
    return DATETIME_OK;
}

/* Parses what may follow the date: [( |T)HH:MM[:SS[.f]]][offset] and trailing space, giving
 * the microseconds into the day (may be outside [0, day) after an offset). */
static datetime_status parse_time_part(const char **p, const char *e, int64_t *micros) {
    *micros = 0;
    const char *q = *p;
    while (q < e && is_space(*q)) q++;
    if (q == e) {
        *p = q;
        return DATETIME_OK;
    }
    if (*q == 'T' && q == *p) q++;
    else if (q == *p) return DATETIME_BAD_FORMAT; /* the date must be followed by a separator */
    int64_t hh, mm, ss = 0, frac = 0;
    if (!read_number(&q, e, 2, &hh)) return DATETIME_BAD_FORMAT;
    if (q >= e || *q != ':') return DATETIME_BAD_FORMAT;
    q++;
    if (!read_number(&q, e, 2, &mm)) return DATETIME_BAD_FORMAT;
    if (q < e && *q == ':') {
        q++;
        if (!read_number(&q, e, 2, &ss)) return DATETIME_BAD_FORMAT;
        if (q < e && *q == '.') {
            q++;
            int n = 0;
            if (q >= e || !is_digit(*q)) return DATETIME_BAD_FORMAT;
            while (q < e && is_digit(*q)) {
                if (n < 6) {
                    frac = frac * 10 + (*q - '0');
                    n++;
                }
                q++;
            }
            for (; n < 6; n++) frac *= 10;
        }
    }
    if (hh > 23 || mm > 59 || ss > 59) return DATETIME_OUT_OF_RANGE;
    int64_t t = ((hh * 60 + mm) * 60 + ss) * DATETIME_MICROS_PER_SECOND + frac;
    while (q < e && is_space(*q)) q++;
    if (q < e && (*q == 'Z' || *q == 'z')) {
        q++;
    } else if (q < e && (*q == '+' || *q == '-')) {
        bool neg = *q == '-';
        q++;
        int64_t oh, om = 0;
        if (!read_number(&q, e, 2, &oh)) return DATETIME_BAD_FORMAT;
        if (q < e && *q == ':') q++;
        if (q < e && is_digit(*q) && !read_number(&q, e, 2, &om)) return DATETIME_BAD_FORMAT;
        if (oh > 23 || om > 59) return DATETIME_OUT_OF_RANGE;
        int64_t off = (oh * 60 + om) * 60 * DATETIME_MICROS_PER_SECOND;
        t += neg ? off : -off;
    }
    while (q < e && is_space(*q)) q++;
    if (q != e) return DATETIME_BAD_FORMAT;
    *p = q;
    *micros = t;
    return DATETIME_OK;
}

datetime_status date_parse(const char *s, size_t len, int32_t *out) {
    const char *p = s, *e = s + len;
    while (p < e && is_space(*p)) p++;
    int64_t days;
    datetime_status st = parse_date_part(&p, e, &days);
    if (st != DATETIME_OK) return st;
    int64_t micros;
    st = parse_time_part(&p, e, &micros);
    if (st != DATETIME_OK) return st;
    if (days < INT32_MIN || days > INT32_MAX) return DATETIME_OUT_OF_RANGE;
    *out = (int32_t)days;
    return DATETIME_OK;
}

datetime_status timestamp_parse(const char *s, size_t len, int64_t *out) {
    const char *p = s, *e = s + len;
    while (p < e && is_space(*p)) p++;
    int64_t days;
    datetime_status st = parse_date_part(&p, e, &days);
    if (st != DATETIME_OK) return st;
    int64_t micros;
    st = parse_time_part(&p, e, &micros);
    if (st != DATETIME_OK) return st;
    int64_t r;
    if (__builtin_mul_overflow(days, DATETIME_MICROS_PER_DAY, &r) || __builtin_add_overflow(r, micros, &r))
        return DATETIME_OUT_OF_RANGE;
    *out = r;
    return DATETIME_OK;
}

/* Writes v as exactly `width` digits (v < 10^width). */
static inline char *put_digits(char *w, int64_t v, int width) {
    for (int i = width - 1; i >= 0; i--) {
        w[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return w + width;
}

/* "YYYY-MM-DD" (at least four year digits); the year is positive. */
static char *put_ymd(char *w, int64_t y, int m, int d) {
    if (y <= 9999) w = put_digits(w, y, 4);
    else w += snprintf(w, 24, "%lld", (long long)y);
    *w++ = '-';
    w = put_digits(w, m, 2);
    *w++ = '-';
    return put_digits(w, d, 2);
}

size_t date_format(int32_t days, char *buf) {
    int64_t y;
    int m, d;
    date_to_ymd(days, &y, &m, &d);
    char *w = put_ymd(buf, y <= 0 ? 1 - y : y, m, d);
    if (y <= 0) w += snprintf(w, 6, " (BC)");
    *w = '\0';
    return (size_t)(w - buf);
}

size_t timestamp_format(int64_t micros, char *buf) {
    int64_t days = micros / DATETIME_MICROS_PER_DAY;
    int64_t t = micros % DATETIME_MICROS_PER_DAY;
    if (t < 0) {
        t += DATETIME_MICROS_PER_DAY;
        days--;
    }
    int64_t y;
    int m, d;
    date_to_ymd(days, &y, &m, &d);
    int64_t frac = t % DATETIME_MICROS_PER_SECOND;
    int64_t secs = t / DATETIME_MICROS_PER_SECOND;
    char *w = put_ymd(buf, y <= 0 ? 1 - y : y, m, d);
    *w++ = ' ';
    w = put_digits(w, secs / 3600, 2);
    *w++ = ':';
    w = put_digits(w, secs / 60 % 60, 2);
    *w++ = ':';
    w = put_digits(w, secs % 60, 2);
    if (frac) { /* trailing zeros of the fraction are dropped */
        int digits = 6;
        while (frac % 10 == 0) frac /= 10, digits--;
        *w++ = '.';
        w = put_digits(w, frac, digits);
    }
    if (y <= 0) w += snprintf(w, 6, " (BC)");
    *w = '\0';
    return (size_t)(w - buf);
}

bool date_to_timestamp(int32_t days, int64_t *out) {
    return !__builtin_mul_overflow((int64_t)days, DATETIME_MICROS_PER_DAY, out);
}

int32_t timestamp_to_date(int64_t micros) {
    int64_t days = micros / DATETIME_MICROS_PER_DAY;
    if (micros % DATETIME_MICROS_PER_DAY < 0) days--;
    return (int32_t)days;
}
