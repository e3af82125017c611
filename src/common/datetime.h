/*
 * datetime.h — calendar arithmetic and the text forms of DATE and TIMESTAMP.
 *
 * DATE is an int32 count of days since 1970-01-01, TIMESTAMP an int64 count of microseconds
 * since 1970-01-01 00:00:00, both in the proleptic Gregorian calendar. Parsers take a byte
 * range (not NUL-terminated) and allow surrounding white space.
 */
#ifndef EIDER_DATETIME_H
#define EIDER_DATETIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DATETIME_MICROS_PER_SECOND INT64_C(1000000)
#define DATETIME_MICROS_PER_DAY INT64_C(86400000000)

/* Buffer sizes that always suffice for the formatters (including the NUL). */
#define DATETIME_DATE_BUFSIZE 32
#define DATETIME_TIMESTAMP_BUFSIZE 48

typedef enum datetime_status {
    DATETIME_OK = 0,
    DATETIME_BAD_FORMAT,  /* not of the form YYYY-MM-DD[ HH:MM:SS[.ffffff]] */
    DATETIME_OUT_OF_RANGE /* well-formed, but a field is out of range (2020-02-30, 25:00) */
} datetime_status;

/* Days since 1970-01-01 of a civil date (month 1..12, day 1..31; not validated). */
int64_t date_from_ymd(int64_t year, int month, int day);
/* The civil date of a day number. */
void date_to_ymd(int64_t days, int64_t *year, int *month, int *day);
bool date_is_valid(int64_t year, int month, int day);
int date_days_in_month(int64_t year, int month);

/* 'YYYY-MM-DD' (1-2 digit month/day allowed); a trailing time part is accepted and dropped. */
datetime_status date_parse(const char *s, size_t len, int32_t *out);
/* 'YYYY-MM-DD[( |T)HH:MM[:SS[.ffffff]]][Z|+HH[:MM]|-HH[:MM]]'; digits beyond microseconds are
 * dropped; an offset converts the time to UTC. */
datetime_status timestamp_parse(const char *s, size_t len, int64_t *out);

/* "2020-01-05" (years below 1 as "0001-01-01 (BC)"). Returns the length. */
size_t date_format(int32_t days, char *buf);
/* "2020-01-05 10:00:00" with ".5" / ".123456" when there is a fraction (trailing zeros trimmed). */
size_t timestamp_format(int64_t micros, char *buf);

/* DATE -> TIMESTAMP (false if it does not fit) and TIMESTAMP -> DATE (floor to the day). */
bool date_to_timestamp(int32_t days, int64_t *out);
int32_t timestamp_to_date(int64_t micros);

#endif
