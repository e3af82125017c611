/* test_cast.c — casts between every pair of types, their errors, and the text forms of values. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/arena.h"
#include "common/datetime.h"
#include "common/numeric.h"
#include "common/vector.h"
#include "function/cast.h"
#include "memory/pool.h"
#include "test_util.h"

static buffer_pool *pool;
static arena *mem;

static logical_type T(type_id id) { return type_make(id); }

/* Casts a value to `to` and then to VARCHAR; compares the text (or "ERR:<message>"). */
static void expect_value(const char *where, value in, logical_type to, const char *expect) {
    error err;
    error_clear(&err);
    value mid, txt;
    char got[ERROR_MESSAGE_MAX + 16];
    bool ok = cast_value(&in, to, &mid, mem, &err);
    if (ok) ok = cast_value(&mid, T(TYPE_VARCHAR), &txt, mem, &err);
    if (ok) {
        if (mid.is_null) snprintf(got, sizeof got, "NULL");
        else snprintf(got, sizeof got, "%.*s", (int)txt.u.str.length, txt.u.str.data);
    } else {
        snprintf(got, sizeof got, "ERR:%s", err.message);
    }
    if (strcmp(got, expect) == 0) passed++;
    else {
        failed++;
        fprintf(stderr, "%s: expected [%s] got [%s]\n", where, expect, got);
    }
}

static value str(const char *s) { return value_varchar(s, (uint32_t)strlen(s)); }
static value dec(int64_t raw, uint8_t w, uint8_t s) {
    value v = value_bigint(raw);
    v.type = type_decimal(w, s);
    return v;
}

#define EXPECT(in, to, expect) expect_value(#in " -> " #to, in, to, expect)

static void test_double_text(void) {
    struct {
        double d;
        const char *text;
    } cases[] = {{0.1, "0.1"},
                 {1.0, "1.0"},
                 {1e20, "1e+20"},
                 {123456789.0, "123456789.0"},
                 {-0.0, "-0.0"},
                 {0.0, "0.0"},
                 {1e15, "1000000000000000.0"},
                 {1e16, "1e+16"},
                 {1e-4, "0.0001"},
                 {1e-5, "1e-05"},
                 {1.5e-7, "1.5e-07"},
                 {123456789012345678.0, "1.2345678901234568e+17"},
                 {1.7976931348623157e308, "1.7976931348623157e+308"},
                 {5e-324, "5e-324"},
                 {1.0 / 3.0, "0.3333333333333333"},
                 {2.0 / 3.0, "0.6666666666666666"},
                 {10.0 / 3.0, "3.3333333333333335"},
                 {0.1 + 0.2, "0.30000000000000004"},
                 {-2.5, "-2.5"},
                 {9999999999999998.0, "9999999999999998.0"},
                 {100.0, "100.0"},
                 {0.00012345, "0.00012345"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[NUMERIC_DOUBLE_BUFSIZE];
        numeric_format_double(cases[i].d, buf);
        if (strcmp(buf, cases[i].text) == 0) passed++;
        else {
            failed++;
            fprintf(stderr, "double text: expected %s got %s\n", cases[i].text, buf);
        }
    }
    char buf[NUMERIC_DOUBLE_BUFSIZE];
    numeric_format_double(NAN, buf);
    CHECK(strcmp(buf, "nan") == 0);
    numeric_format_double(INFINITY, buf);
    CHECK(strcmp(buf, "inf") == 0);
    numeric_format_double(-INFINITY, buf);
    CHECK(strcmp(buf, "-inf") == 0);
}

static void test_value_to_text(void) {
    char buf[64];
    value v = dec(150, 4, 2);
    CHECK(value_to_text(&v, buf, sizeof buf) == 4 && strcmp(buf, "1.50") == 0);
    v = dec(-5, 3, 2);
    value_to_text(&v, buf, sizeof buf);
    CHECK(strcmp(buf, "-0.05") == 0);
    v = value_boolean(true);
    value_to_text(&v, buf, sizeof buf);
    CHECK(strcmp(buf, "true") == 0);
    v = value_double(1.0);
    value_to_text(&v, buf, sizeof buf);
    CHECK(strcmp(buf, "1.0") == 0);
    v = value_bigint(-9223372036854775807LL - 1);
    value_to_text(&v, buf, sizeof buf);
    CHECK(strcmp(buf, "-9223372036854775808") == 0);
    /* truncation reports the full length */
    v = value_bigint(123456);
    CHECK(value_to_text(&v, buf, 4) == 6 && strcmp(buf, "123") == 0);
    v = value_null(T(TYPE_INTEGER));
    value_to_text(&v, buf, sizeof buf);
    CHECK(strcmp(buf, "NULL") == 0);
    v = value_integer(18266);
    v.type = T(TYPE_DATE);
    value_to_text(&v, buf, sizeof buf);
    CHECK(strcmp(buf, "2020-01-05") == 0);
}

static void test_string_to_numbers(void) {
    EXPECT(str(" 12 "), T(TYPE_INTEGER), "12");
    EXPECT(str("abc"), T(TYPE_INTEGER), "ERR:Conversion Error: Could not convert string 'abc' to INT32");
    EXPECT(str(""), T(TYPE_INTEGER), "ERR:Conversion Error: Could not convert string '' to INT32");
    EXPECT(str("1 2"), T(TYPE_INTEGER), "ERR:Conversion Error: Could not convert string '1 2' to INT32");
    EXPECT(str("1.5"), T(TYPE_INTEGER), "2");
    EXPECT(str("-2.5"), T(TYPE_INTEGER), "-3");
    EXPECT(str("1e2"), T(TYPE_INTEGER), "100");
    EXPECT(str("+5"), T(TYPE_INTEGER), "5");
    EXPECT(str("1_000"), T(TYPE_INTEGER), "1000");
    EXPECT(str("0x10"), T(TYPE_INTEGER), "16");
    EXPECT(str("2147483647"), T(TYPE_INTEGER), "2147483647");
    EXPECT(str("3000000000"), T(TYPE_INTEGER), "ERR:Conversion Error: Could not convert string '3000000000' to INT32");
    EXPECT(str("-9223372036854775808"), T(TYPE_BIGINT), "-9223372036854775808");
    EXPECT(str("9223372036854775807"), T(TYPE_BIGINT), "9223372036854775807");
    EXPECT(str("9223372036854775808"), T(TYPE_BIGINT),
           "ERR:Conversion Error: Could not convert string '9223372036854775808' to INT64");
    EXPECT(str(" 1.5 "), T(TYPE_DOUBLE), "1.5");
    EXPECT(str(".5"), T(TYPE_DOUBLE), "0.5");
    EXPECT(str("1e5"), T(TYPE_DOUBLE), "100000.0");
    EXPECT(str("-Infinity"), T(TYPE_DOUBLE), "-inf");
    EXPECT(str("NaN"), T(TYPE_DOUBLE), "nan");
    EXPECT(str("1e400"), T(TYPE_DOUBLE), "inf");
    EXPECT(str("abc"), T(TYPE_DOUBLE), "ERR:Conversion Error: Could not convert string 'abc' to DOUBLE");
    EXPECT(str("0x10"), T(TYPE_DOUBLE), "ERR:Conversion Error: Could not convert string '0x10' to DOUBLE");
    EXPECT(str("12.345"), type_decimal(4, 2), "12.35");
    EXPECT(str("-12.345"), type_decimal(4, 2), "-12.35");
    EXPECT(str("1e2"), type_decimal(5, 2), "100.00");
    EXPECT(str("-.5"), type_decimal(3, 2), "-0.50");
    EXPECT(str(" 1. "), type_decimal(3, 2), "1.00");
    EXPECT(str("5e-3"), type_decimal(3, 2), "0.01");
    EXPECT(str("0000000000000000000001.5"), type_decimal(4, 2), "1.50");
    EXPECT(str("123.4"), type_decimal(4, 2), "ERR:Conversion Error: Could not convert string \"123.4\" to DECIMAL(4,2)");
    EXPECT(str("1.5."), type_decimal(3, 2), "ERR:Conversion Error: Could not convert string \"1.5.\" to DECIMAL(3,2)");
    EXPECT(str("true"), T(TYPE_BOOLEAN), "true");
    EXPECT(str("T"), T(TYPE_BOOLEAN), "true");
    EXPECT(str("yes"), T(TYPE_BOOLEAN), "true");
    EXPECT(str("1"), T(TYPE_BOOLEAN), "true");
    EXPECT(str("FALSE"), T(TYPE_BOOLEAN), "false");
    EXPECT(str("no"), T(TYPE_BOOLEAN), "false");
    EXPECT(str("0"), T(TYPE_BOOLEAN), "false");
    EXPECT(str(" true "), T(TYPE_BOOLEAN), "ERR:Conversion Error: Could not convert string ' true ' to BOOL");
    EXPECT(str("abc"), T(TYPE_BOOLEAN), "ERR:Conversion Error: Could not convert string 'abc' to BOOL");
}

static void test_string_to_dates(void) {
    EXPECT(str("2020-01-05"), T(TYPE_DATE), "2020-01-05");
    EXPECT(str(" 2020-1-5 "), T(TYPE_DATE), "2020-01-05");
    EXPECT(str("2020-01-05 10:00:00"), T(TYPE_DATE), "2020-01-05");
    EXPECT(str("2020-02-29"), T(TYPE_DATE), "2020-02-29");
    EXPECT(str("1970-01-01"), T(TYPE_DATE), "1970-01-01");
    EXPECT(str("1969-12-31"), T(TYPE_DATE), "1969-12-31");
    EXPECT(str("0001-01-01"), T(TYPE_DATE), "0001-01-01");
    EXPECT(str("2020-02-30"), T(TYPE_DATE), "ERR:Conversion Error: date field value out of range: \"2020-02-30\"");
    EXPECT(str("1900-02-29"), T(TYPE_DATE), "ERR:Conversion Error: date field value out of range: \"1900-02-29\"");
    EXPECT(str("abc"), T(TYPE_DATE),
           "ERR:Conversion Error: invalid date field format: \"abc\", expected format is (YYYY-MM-DD)");
    EXPECT(str("2020-01-05 10:00:00.5"), T(TYPE_TIMESTAMP), "2020-01-05 10:00:00.5");
    EXPECT(str("2020-01-05T10:00:00"), T(TYPE_TIMESTAMP), "2020-01-05 10:00:00");
    EXPECT(str("2020-01-05"), T(TYPE_TIMESTAMP), "2020-01-05 00:00:00");
    EXPECT(str("2020-01-05 10:00"), T(TYPE_TIMESTAMP), "2020-01-05 10:00:00");
    EXPECT(str("2020-01-05 10:00:00.123456"), T(TYPE_TIMESTAMP), "2020-01-05 10:00:00.123456");
    EXPECT(str("2020-01-05 10:00:00.1234567"), T(TYPE_TIMESTAMP), "2020-01-05 10:00:00.123456");
    EXPECT(str("2020-01-05 10:00:00+00"), T(TYPE_TIMESTAMP), "2020-01-05 10:00:00");
    EXPECT(str("1969-12-31 23:59:59.75"), T(TYPE_TIMESTAMP), "1969-12-31 23:59:59.75");
    EXPECT(str("9999-12-31 23:59:59.999999"), T(TYPE_TIMESTAMP), "9999-12-31 23:59:59.999999");
    EXPECT(str("2020-13-01"), T(TYPE_TIMESTAMP), "ERR:Conversion Error: timestamp field value out of range: \"2020-13-01\"");
    EXPECT(str("2020-01-01 25:00:00"), T(TYPE_TIMESTAMP),
           "ERR:Conversion Error: timestamp field value out of range: \"2020-01-01 25:00:00\"");
    EXPECT(str("abc"), T(TYPE_TIMESTAMP),
           "ERR:Conversion Error: invalid timestamp field format: \"abc\", expected format is (YYYY-MM-DD "
           "HH:MM:SS[.US][±HH[:MM[:SS]]| ZONE])");
    /* a huge year must not crash */
    EXPECT(str("5000000-01-01"), T(TYPE_DATE), "5000000-01-01");
    EXPECT(str("9999999-01-01"), T(TYPE_DATE), "ERR:Conversion Error: date field value out of range: \"9999999-01-01\"");
}

static void test_numeric_casts(void) {
    EXPECT(value_bigint(3000000000LL), T(TYPE_INTEGER),
           "ERR:Conversion Error: Type INT64 with value 3000000000 can't be cast because the value is out of range for "
           "the destination type INT32");
    EXPECT(value_bigint(-5), T(TYPE_INTEGER), "-5");
    EXPECT(value_integer(7), T(TYPE_BIGINT), "7");
    EXPECT(value_integer(7), T(TYPE_DOUBLE), "7.0");
    EXPECT(value_double(2.5), T(TYPE_INTEGER), "2");
    EXPECT(value_double(3.5), T(TYPE_INTEGER), "4");
    EXPECT(value_double(-2.5), T(TYPE_INTEGER), "-2");
    EXPECT(value_double(1e10), T(TYPE_INTEGER),
           "ERR:Conversion Error: Type DOUBLE with value 10000000000.0 can't be cast because the value is out of range "
           "for the destination type INT32");
    EXPECT(value_double(1e20), T(TYPE_BIGINT),
           "ERR:Conversion Error: Type DOUBLE with value 1e+20 can't be cast because the value is out of range for the "
           "destination type INT64");
    EXPECT(value_double(NAN), T(TYPE_INTEGER),
           "ERR:Conversion Error: Type DOUBLE with value nan can't be cast because the value is out of range for the "
           "destination type INT32");
    EXPECT(value_double(1.005), type_decimal(4, 2), "1.00");
    EXPECT(value_double(2.675), type_decimal(4, 2), "2.68");
    EXPECT(value_double(-0.125), type_decimal(4, 2), "-0.13");
    EXPECT(value_double(1e20), type_decimal(18, 2),
           "ERR:Conversion Error: Could not cast value 100000000000000000000.000000 to DECIMAL(18,2)");
    EXPECT(value_double(NAN), type_decimal(4, 2), "ERR:Conversion Error: Could not cast value nan to DECIMAL(4,2)");
    EXPECT(value_integer(12345), type_decimal(4, 0), "ERR:Conversion Error: Could not cast value 12345 to DECIMAL(4,0)");
    EXPECT(value_integer(-12), type_decimal(4, 2), "-12.00");
    EXPECT(value_bigint(3000000000LL), type_decimal(9, 0),
           "ERR:Conversion Error: Could not cast value 3000000000 to DECIMAL(9,0)");
    EXPECT(dec(1255, 5, 3), type_decimal(4, 2), "1.26");
    EXPECT(dec(-1255, 5, 3), type_decimal(4, 2), "-1.26");
    EXPECT(dec(15, 4, 1), type_decimal(6, 3), "1.500");
    EXPECT(dec(12345, 5, 2), type_decimal(3, 1),
           "ERR:Conversion Error: Casting value \"123.45\" to type DECIMAL(3,1) failed: value is out of range!");
    EXPECT(dec(25, 2, 1), T(TYPE_INTEGER), "3");
    EXPECT(dec(-25, 2, 1), T(TYPE_INTEGER), "-3");
    EXPECT(dec(149, 3, 2), T(TYPE_BIGINT), "1");
    EXPECT(dec(999999999995LL, 12, 1), T(TYPE_INTEGER),
           "ERR:Conversion Error: Failed to cast decimal value 100000000000 to type INT32");
    EXPECT(dec(15, 2, 1), T(TYPE_DOUBLE), "1.5");
    EXPECT(dec(0, 2, 1), T(TYPE_BOOLEAN), "false");
    EXPECT(dec(1, 2, 1), T(TYPE_BOOLEAN), "true");
    EXPECT(value_integer(2), T(TYPE_BOOLEAN), "true");
    EXPECT(value_bigint(0), T(TYPE_BOOLEAN), "false");
    EXPECT(value_double(0.5), T(TYPE_BOOLEAN), "true");
    EXPECT(value_boolean(true), T(TYPE_INTEGER), "1");
    EXPECT(value_boolean(false), T(TYPE_DOUBLE), "0.0");
    EXPECT(value_boolean(true), type_decimal(4, 2), "1.00");
    EXPECT(value_boolean(true), T(TYPE_BIGINT), "1");
    EXPECT(value_boolean(true), T(TYPE_VARCHAR), "true");
    EXPECT(value_double(0.1), T(TYPE_VARCHAR), "0.1");
    EXPECT(value_null(T(TYPE_SQLNULL)), T(TYPE_DATE), "NULL");
    EXPECT(value_null(T(TYPE_INTEGER)), T(TYPE_VARCHAR), "NULL");
}

static void test_date_casts(void) {
    value d = value_integer(18266);
    d.type = T(TYPE_DATE);
    EXPECT(d, T(TYPE_TIMESTAMP), "2020-01-05 00:00:00");
    value ts = value_bigint(18266LL * 86400000000LL + 36672000000LL);
    ts.type = T(TYPE_TIMESTAMP);
    EXPECT(ts, T(TYPE_DATE), "2020-01-05");
    value before = value_bigint(-1);
    before.type = T(TYPE_TIMESTAMP);
    EXPECT(before, T(TYPE_DATE), "1969-12-31");
    EXPECT(d, T(TYPE_INTEGER), "ERR:Conversion Error: Unimplemented type for cast (DATE -> INTEGER)");
    EXPECT(value_integer(5), T(TYPE_DATE), "ERR:Conversion Error: Unimplemented type for cast (INTEGER -> DATE)");
    EXPECT(value_boolean(true), T(TYPE_TIMESTAMP), "ERR:Conversion Error: Unimplemented type for cast (BOOLEAN -> TIMESTAMP)");
    /* calendar round trip over a wide range */
    bool ok = true;
    for (int64_t day = -800000; day <= 3000000 && ok; day += 997) {
        int64_t y;
        int m, dd;
        date_to_ymd(day, &y, &m, &dd);
        ok = date_from_ymd(y, m, dd) == day && date_is_valid(y, m, dd);
    }
    CHECK(ok);
    char buf[DATETIME_DATE_BUFSIZE];
    date_format((int32_t)date_from_ymd(0, 6, 1), buf);
    CHECK(strcmp(buf, "0001-06-01 (BC)") == 0);
}

static void test_implicit(void) {
    CHECK(cast_is_implicit(T(TYPE_SQLNULL), T(TYPE_VARCHAR)));
    CHECK(cast_is_implicit(T(TYPE_INTEGER), T(TYPE_BIGINT)));
    CHECK(cast_is_implicit(T(TYPE_INTEGER), type_decimal(10, 0)));
    CHECK(!cast_is_implicit(T(TYPE_INTEGER), type_decimal(9, 0)));
    CHECK(cast_is_implicit(T(TYPE_BIGINT), type_decimal(18, 0)));
    CHECK(cast_is_implicit(T(TYPE_BIGINT), T(TYPE_DOUBLE)));
    CHECK(cast_is_implicit(type_decimal(4, 1), T(TYPE_DOUBLE)));
    CHECK(cast_is_implicit(type_decimal(4, 1), type_decimal(6, 2)));
    CHECK(!cast_is_implicit(type_decimal(4, 1), type_decimal(4, 2)));
    CHECK(cast_is_implicit(T(TYPE_DATE), T(TYPE_TIMESTAMP)));
    CHECK(!cast_is_implicit(T(TYPE_TIMESTAMP), T(TYPE_DATE)));
    CHECK(!cast_is_implicit(T(TYPE_VARCHAR), T(TYPE_INTEGER)));
    CHECK(!cast_is_implicit(T(TYPE_BIGINT), T(TYPE_INTEGER)));
    CHECK(!cast_is_implicit(T(TYPE_DOUBLE), T(TYPE_BIGINT)));
    CHECK(!cast_is_implicit(T(TYPE_BOOLEAN), T(TYPE_INTEGER)));
}

static void test_vector_casts(void) {
    error err;
    error_clear(&err);
    logical_type types[3] = {T(TYPE_VARCHAR), T(TYPE_INTEGER), T(TYPE_VARCHAR)};
    chunk *c = chunk_create(mem, types, 3, &err);
    CHECK(c != NULL);
    if (!c) return;
    const char *in[] = {"1", " 22 ", "x-not-used", "-4000", "a long string that is not inline"};
    for (uint32_t i = 0; i < 5; i++) {
        string_t s;
        chunk_store_string(c, in[i], (uint32_t)strlen(in[i]), &s, &err);
        ((string_t *)c->columns[0].data)[i] = s;
    }
    vector_set_null(&c->columns[0], 2);
    vector_set_null(&c->columns[0], 4);
    c->count = 4;
    CHECK(cast_vector(&c->columns[0], &c->columns[1], 4, c, &err));
    int32_t *iv = c->columns[1].data;
    CHECK(iv[0] == 1 && iv[1] == 22 && iv[3] == -4000);
    CHECK(!vector_is_valid(&c->columns[1], 2) && vector_is_valid(&c->columns[1], 3));
    /* back to text, into the chunk's heap */
    CHECK(cast_vector(&c->columns[1], &c->columns[2], 4, c, &err));
    string_t *sv = c->columns[2].data;
    CHECK(sv[3].length == 5 && memcmp(string_data(&sv[3]), "-4000", 5) == 0);
    CHECK(!vector_is_valid(&c->columns[2], 2));
    /* a bad row fails the whole cast with the row's message */
    vector_set_valid(&c->columns[0], 4);
    CHECK(!cast_vector(&c->columns[0], &c->columns[1], 5, c, &err));
    CHECK(strcmp(err.message, "Conversion Error: Could not convert string 'a long string that is not inline' to INT32") == 0);
    error_clear(&err);
    /* long strings produced by a cast live in the chunk heap */
    logical_type t2[2] = {T(TYPE_DOUBLE), T(TYPE_VARCHAR)};
    chunk *c2 = chunk_create(mem, t2, 2, &err);
    ((double *)c2->columns[0].data)[0] = 123456789012345678.0;
    ((double *)c2->columns[0].data)[1] = 0.1;
    CHECK(cast_vector(&c2->columns[0], &c2->columns[1], 2, c2, &err));
    string_t *s2 = c2->columns[1].data;
    CHECK(s2[0].length == 22 && memcmp(string_data(&s2[0]), "1.2345678901234568e+17", 22) == 0);
    CHECK(s2[1].length == 3 && memcmp(string_data(&s2[1]), "0.1", 3) == 0);
    /* unsupported pairs */
    logical_type t3[2] = {T(TYPE_DATE), T(TYPE_DOUBLE)};
    chunk *c3 = chunk_create(mem, t3, 2, &err);
    CHECK(!cast_vector(&c3->columns[0], &c3->columns[1], 1, c3, &err));
    CHECK(strcmp(err.message, "Conversion Error: Unimplemented type for cast (DATE -> DOUBLE)") == 0);
    chunk_destroy(c);
    chunk_destroy(c2);
    chunk_destroy(c3);
}

int main(void) {
    pool = pool_create((uint64_t)256 << 20);
    mem = arena_create(pool, TAG_ALLOCATOR);
    test_double_text();
    test_value_to_text();
    test_string_to_numbers();
    test_string_to_dates();
    test_numeric_casts();
    test_date_casts();
    test_implicit();
    test_vector_casts();
    arena_destroy(mem);
    pool_destroy(pool);
    return test_summary();
}
