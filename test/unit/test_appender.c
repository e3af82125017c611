/*
 * test_appender.c — the appender of the C API: every append type into every column type (checked
 * against what SQL's CAST gives), NULLs, NOT NULL columns, rows with too few or too many values,
 * conversion errors (rows before stay intact), visibility only after flush, destroy flushing,
 * many chunks and row groups, missing tables and schemas, a table dropped or replaced while an
 * appender holds it, out of memory at flush (nothing visible), and that every pool byte comes back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eider.h"
#include "main/database.h"
#include "memory/pool.h"
#include "test_util.h"

/* ---- helpers ----------------------------------------------------------------------------------- */

static bool exec(eider_connection *con, const char *sql) {
    eider_result *r = NULL;
    eider_query(con, sql, &r);
    bool ok = eider_result_error(r) == NULL;
    if (!ok) fprintf(stderr, "%s: %s\n", sql, eider_result_error(r));
    eider_result_destroy(r);
    return ok;
}

/* First value of the query's first row as int64; -999 on error or no rows. */
static int64_t query_int(eider_connection *con, const char *sql) {
    eider_result *r = NULL;
    eider_query(con, sql, &r);
    int64_t v = -999;
    if (eider_result_error(r)) fprintf(stderr, "%s: %s\n", sql, eider_result_error(r));
    else if (eider_row_count(r) > 0 && !eider_value_is_null(r, 0, 0)) v = eider_value_int64(r, 0, 0);
    eider_result_destroy(r);
    return v;
}

/* Text of the first value ("NULL" for NULL); *err_type gets the query's error type (its message
 * is returned instead when it failed). The caller frees the string. */
static char *query_text(eider_connection *con, const char *sql, eider_error_type *err_type) {
    eider_result *r = NULL;
    eider_query(con, sql, &r);
    char *out;
    if (err_type) *err_type = eider_result_error_type(r);
    if (eider_result_error(r)) out = strdup(eider_result_error(r));
    else if (eider_row_count(r) == 0) out = strdup("(no rows)");
    else if (eider_value_is_null(r, 0, 0)) out = strdup("NULL");
    else {
        char *t = eider_value_text(r, 0, 0);
        out = strdup(t);
        eider_free(t);
    }
    eider_result_destroy(r);
    return out;
}

static bool text_is(eider_connection *con, const char *sql, const char *want) {
    char *got = query_text(con, sql, NULL);
    bool ok = strcmp(got, want) == 0;
    if (!ok) fprintf(stderr, "%s: got '%s', want '%s'\n", sql, got, want);
    free(got);
    return ok;
}

static bool contains(const char *s, const char *needle) { return s && strstr(s, needle) != NULL; }

typedef struct env {
    eider_database *db;
    eider_connection *con, *other;
} env;

static void env_open(env *e) {
    memset(e, 0, sizeof *e);
    if (eider_open(NULL, NULL, &e->db, NULL) != EIDER_SUCCESS) {
        fprintf(stderr, "cannot open a database\n");
        exit(1);
    }
    eider_connect(e->db, &e->con);
    eider_connect(e->db, &e->other);
}

static void env_close(env *e) {
    eider_disconnect(e->con);
    eider_disconnect(e->other);
    eider_close(e->db);
}

/* ---- the conversion matrix ------------------------------------------------------------------------ */

typedef enum src_kind { SRC_BOOL, SRC_INT32, SRC_INT64, SRC_DOUBLE, SRC_VARCHAR, SRC_DATE, SRC_TIMESTAMP } src_kind;

typedef struct source {
    src_kind kind;
    const char *literal; /* the same value in SQL */
    bool b;
    int64_t i;
    double d;
    const char *s;
} source;

static const source sources[] = {
    {SRC_BOOL, "true", true, 0, 0, NULL},
    {SRC_BOOL, "false", false, 0, 0, NULL},
    {SRC_INT32, "CAST(-7 AS INTEGER)", false, -7, 0, NULL},
    {SRC_INT32, "CAST(2147483647 AS INTEGER)", false, 2147483647, 0, NULL},
    {SRC_INT64, "CAST(42 AS BIGINT)", false, 42, 0, NULL},
    {SRC_INT64, "CAST(1234567890123 AS BIGINT)", false, 1234567890123LL, 0, NULL},
    {SRC_INT64, "CAST(-9223372036854775807 AS BIGINT)", false, -9223372036854775807LL, 0, NULL},
    {SRC_DOUBLE, "CAST(2.5 AS DOUBLE)", false, 0, 2.5, NULL},
    {SRC_DOUBLE, "CAST(-1234.125 AS DOUBLE)", false, 0, -1234.125, NULL},
    {SRC_DOUBLE, "CAST(1e300 AS DOUBLE)", false, 0, 1e300, NULL},
    {SRC_VARCHAR, "'12'", false, 0, 0, "12"},
    {SRC_VARCHAR, "'3.75'", false, 0, 0, "3.75"},
    {SRC_VARCHAR, "'true'", false, 0, 0, "true"},
    {SRC_VARCHAR, "'2021-03-04'", false, 0, 0, "2021-03-04"},
    {SRC_VARCHAR, "'2021-03-04 05:06:07.5'", false, 0, 0, "2021-03-04 05:06:07.5"},
    {SRC_VARCHAR, "'abc'", false, 0, 0, "abc"},
    {SRC_VARCHAR, "'a string longer than twelve bytes'", false, 0, 0, "a string longer than twelve bytes"},
    {SRC_DATE, "DATE '2022-01-08'", false, 19000, 0, NULL},
    {SRC_TIMESTAMP, "TIMESTAMP '2023-11-14 22:13:20.123456'", false, 1700000000123456LL, 0, NULL},
};

static const char *targets[] = {"BOOLEAN", "INTEGER", "BIGINT", "DOUBLE", "DECIMAL(10,2)", "VARCHAR", "DATE", "TIMESTAMP"};

static eider_state append_source(eider_appender *app, const source *s) {
    switch (s->kind) {
    case SRC_BOOL: return eider_append_bool(app, s->b);
    case SRC_INT32: return eider_append_int32(app, (int32_t)s->i);
    case SRC_INT64: return eider_append_int64(app, s->i);
    case SRC_DOUBLE: return eider_append_double(app, s->d);
    case SRC_VARCHAR: return eider_append_varchar(app, s->s);
    case SRC_DATE: return eider_append_date(app, (int32_t)s->i);
    case SRC_TIMESTAMP: return eider_append_timestamp(app, s->i);
    }
    return EIDER_ERROR;
}

/* Appending each source into each column type gives what CAST(literal AS type) gives in SQL, or a
 * Conversion Error naming the column where the CAST fails. */
static void test_conversion_matrix(void) {
    env e;
    env_open(&e);
    int mismatches = 0;
    for (size_t t = 0; t < sizeof targets / sizeof *targets; t++) {
        for (size_t s = 0; s < sizeof sources / sizeof *sources; s++) {
            char sql[512];
            snprintf(sql, sizeof sql, "CREATE OR REPLACE TABLE m (col_x %s)", targets[t]);
            CHECK(exec(e.con, sql));
            snprintf(sql, sizeof sql, "SELECT CAST(CAST(%s AS %s) AS VARCHAR)", sources[s].literal, targets[t]);
            eider_error_type sql_err;
            char *want = query_text(e.con, sql, &sql_err);

            eider_appender *app = NULL;
            CHECK(eider_appender_create(e.con, NULL, "m", &app) == EIDER_SUCCESS);
            eider_state st = append_source(app, &sources[s]);
            bool ok;
            if (sql_err != EIDER_ERROR_NONE) {
                ok = st == EIDER_ERROR && eider_appender_error_type(app) == EIDER_ERROR_CONVERSION &&
                     contains(eider_appender_error(app), "Conversion Error: ") &&
                     contains(eider_appender_error(app), "col_x");
                ok = ok && eider_appender_end_row(app) == EIDER_ERROR;
                ok = ok && eider_appender_destroy(app) == EIDER_SUCCESS;
                ok = ok && query_int(e.con, "SELECT count(*) FROM m") == 0;
                if (!ok)
                    fprintf(stderr, "append %s into %s: CAST fails (%s) but the appender says %d: %s\n",
                            sources[s].literal, targets[t], want, (int)st,
                            eider_appender_error(app) ? eider_appender_error(app) : "(no error)");
            } else {
                ok = st == EIDER_SUCCESS && eider_appender_end_row(app) == EIDER_SUCCESS;
                if (!ok)
                    fprintf(stderr, "append %s into %s: %s\n", sources[s].literal, targets[t],
                            eider_appender_error(app) ? eider_appender_error(app) : "(no error)");
                ok = ok && eider_appender_destroy(app) == EIDER_SUCCESS;
                char *got = query_text(e.con, "SELECT CAST(col_x AS VARCHAR) FROM m", NULL);
                if (ok && strcmp(got, want) != 0) {
                    fprintf(stderr, "append %s into %s: got '%s', CAST gives '%s'\n", sources[s].literal, targets[t],
                            got, want);
                    ok = false;
                }
                free(got);
            }
            if (!ok) mismatches++;
            free(want);
        }
    }
    CHECK(mismatches == 0);
    CHECK(exec(e.con, "DROP TABLE m"));
    env_close(&e);
}

/* A few conversions spelled out, so that the matrix is not only checked against itself. */
static void test_conversions_explicit(void) {
    env e;
    env_open(&e);
    CHECK(exec(e.con, "CREATE TABLE t (v VARCHAR, b BIGINT, i INTEGER, d DOUBLE, m DECIMAL(10,2), dt DATE, ts TIMESTAMP)"));
    eider_appender *app = NULL;
    CHECK(eider_appender_create(e.con, "main", "t", &app) == EIDER_SUCCESS);
    CHECK(eider_append_int64(app, 42) == EIDER_SUCCESS);
    CHECK(eider_append_varchar(app, "12") == EIDER_SUCCESS);
    CHECK(eider_append_double(app, 7.0) == EIDER_SUCCESS);
    CHECK(eider_append_int32(app, 3) == EIDER_SUCCESS);
    CHECK(eider_append_varchar(app, "1.255") == EIDER_SUCCESS);
    CHECK(eider_append_varchar(app, "2000-02-29") == EIDER_SUCCESS);
    CHECK(eider_append_date(app, 1) == EIDER_SUCCESS);
    CHECK(eider_appender_end_row(app) == EIDER_SUCCESS);
    CHECK(eider_appender_error(app) == NULL);
    CHECK(eider_appender_destroy(app) == EIDER_SUCCESS);
    CHECK(text_is(e.con, "SELECT v || '|' || b || '|' || i || '|' || d || '|' || m || '|' || dt || '|' || ts FROM t",
                  "42|12|7|3.0|1.26|2000-02-29|1970-01-02 00:00:00"));
    CHECK(query_int(e.con, "SELECT b + 1 FROM t") == 13);
    env_close(&e);
}

/* ---- NULLs, NOT NULL, wrong counts, errors ----------------------------------------------------------- */

static void test_nulls(void) {
    env e;
    env_open(&e);
    CHECK(exec(e.con, "CREATE TABLE t (b BOOLEAN, i INTEGER, l BIGINT, d DOUBLE, m DECIMAL(10,2), s VARCHAR, dt DATE, ts TIMESTAMP)"));
    eider_appender *app = NULL;
    CHECK(eider_appender_create(e.con, NULL, "t", &app) == EIDER_SUCCESS);
    for (int row = 0; row < 3; row++) {
        for (int c = 0; c < 8; c++) CHECK(eider_append_null(app) == EIDER_SUCCESS);
        CHECK(eider_appender_end_row(app) == EIDER_SUCCESS);
    }
    /* a NULL string pointer is a NULL */
    CHECK(eider_append_bool(app, true) == EIDER_SUCCESS);
    CHECK(eider_append_int32(app, 1) == EIDER_SUCCESS);
    CHECK(eider_append_int64(app, 2) == EIDER_SUCCESS);
    CHECK(eider_append_double(app, 3) == EIDER_SUCCESS);
    CHECK(eider_append_varchar(app, NULL) == EIDER_SUCCESS);
    CHECK(eider_append_varchar_length(app, NULL, 5) == EIDER_SUCCESS);
    CHECK(eider_append_date(app, 0) == EIDER_SUCCESS);
    CHECK(eider_append_timestamp(app, 0) == EIDER_SUCCESS);
    CHECK(eider_appender_end_row(app) == EIDER_SUCCESS);
    CHECK(eider_appender_destroy(app) == EIDER_SUCCESS);
    CHECK(query_int(e.con, "SELECT count(*) FROM t") == 4);
    CHECK(query_int(e.con, "SELECT count(*) FROM t WHERE b IS NULL AND i IS NULL AND l IS NULL AND d IS NULL AND "
                           "m IS NULL AND s IS NULL AND dt IS NULL AND ts IS NULL") == 3);
    CHECK(query_int(e.con, "SELECT count(*) FROM t WHERE m IS NULL AND s IS NULL AND b AND i = 1") == 1);
    CHECK(text_is(e.con, "SELECT dt || ' ' || ts FROM t WHERE b", "1970-01-01 1970-01-01 00:00:00"));
    env_close(&e);
}

static void test_not_null(void) {
    env e;
    env_open(&e);
    CHECK(exec(e.con, "CREATE TABLE t (a INTEGER NOT NULL, s VARCHAR)"));
    eider_appender *app = NULL;
    CHECK(eider_appender_create(e.con, NULL, "t", &app) == EIDER_SUCCESS);
    CHECK(eider_append_int32(app, 1) == EIDER_SUCCESS);
    CHECK(eider_append_varchar(app, "one") == EIDER_SUCCESS);
    CHECK(eider_appender_end_row(app) == EIDER_SUCCESS);
    CHECK(eider_append_null(app) == EIDER_SUCCESS); /* the error comes at end_row */
    CHECK(eider_append_varchar(app, "dropped") == EIDER_SUCCESS);
    CHECK(eider_appender_end_row(app) == EIDER_ERROR);
    CHECK(eider_appender_error_type(app) == EIDER_ERROR_CONSTRAINT);
    CHECK(contains(eider_appender_error(app), "NOT NULL constraint failed: t.a"));
    /* a varchar that converts to NULL is not possible; a NULL pointer is */
    CHECK(eider_append_varchar(app, NULL) == EIDER_SUCCESS);
    CHECK(eider_append_null(app) == EIDER_SUCCESS);
    CHECK(eider_appender_end_row(app) == EIDER_ERROR);
    CHECK(eider_append_int32(app, 2) == EIDER_SUCCESS);
    CHECK(eider_append_null(app) == EIDER_SUCCESS);
    CHECK(eider_appender_end_row(app) == EIDER_SUCCESS);
    CHECK(eider_appender_error(app) == NULL);
    CHECK(eider_appender_destroy(app) == EIDER_SUCCESS);
    CHECK(query_int(e.con, "SELECT count(*) FROM t") == 2);
    CHECK(query_int(e.con, "SELECT sum(a) FROM t") == 3);
    CHECK(query_int(e.con, "SELECT count(*) FROM t WHERE s IS NULL") == 1);
    CHECK(text_is(e.con, "SELECT s FROM t WHERE a = 1", "one"));
    env_close(&e);
}

static void test_wrong_counts(void) {
    env e;
    env_open(&e);
    CHECK(exec(e.con, "CREATE TABLE t (a BIGINT, s VARCHAR)"));
    eider_appender *app = NULL;
    CHECK(eider_appender_create(e.con, NULL, "t", &app) == EIDER_SUCCESS);
    CHECK(eider_append_int64(app, 1) == EIDER_SUCCESS);
    CHECK(eider_append_varchar(app, "first row, long enough for the heap") == EIDER_SUCCESS);
    CHECK(eider_appender_end_row(app) == EIDER_SUCCESS);
    /* too few */
    CHECK(eider_append_int64(app, 100) == EIDER_SUCCESS);
    CHECK(eider_appender_end_row(app) == EIDER_ERROR);
    CHECK(eider_appender_error_type(app) == EIDER_ERROR_INVALID_INPUT);
    CHECK(contains(eider_appender_error(app), "1 values"));
    /* none */
    CHECK(eider_appender_end_row(app) == EIDER_ERROR);
    /* too many: the third value fails at once, and so does end_row */
    CHECK(eider_append_int64(app, 200) == EIDER_SUCCESS);
    CHECK(eider_append_varchar(app, "x") == EIDER_SUCCESS);
    CHECK(eider_append_null(app) == EIDER_ERROR);
    CHECK(contains(eider_appender_error(app), "too many values"));
    CHECK(eider_append_int64(app, 5) == EIDER_ERROR);
    CHECK(eider_appender_end_row(app) == EIDER_ERROR);
    /* flushing in the middle of a row fails and changes nothing */
    CHECK(eider_append_int64(app, 2) == EIDER_SUCCESS);
    CHECK(eider_appender_flush(app) == EIDER_ERROR);
    CHECK(contains(eider_appender_error(app), "middle of a row"));
    CHECK(query_int(e.other, "SELECT count(*) FROM t") == 0);
    CHECK(eider_append_varchar(app, "second") == EIDER_SUCCESS);
    CHECK(eider_appender_end_row(app) == EIDER_SUCCESS);
    CHECK(eider_appender_flush(app) == EIDER_SUCCESS);
    CHECK(eider_appender_error(app) == NULL);
    CHECK(eider_appender_destroy(app) == EIDER_SUCCESS);
    CHECK(query_int(e.con, "SELECT count(*) FROM t") == 2);
    CHECK(query_int(e.con, "SELECT sum(a) FROM t") == 3);
    CHECK(text_is(e.con, "SELECT s FROM t WHERE a = 1", "first row, long enough for the heap"));
    CHECK(text_is(e.con, "SELECT s FROM t WHERE a = 2", "second"));

    /* a table without the right number of values in a destroy: the row in progress is lost, the
     * flush fails and reports it */
    CHECK(eider_appender_create(e.con, NULL, "t", &app) == EIDER_SUCCESS);
    CHECK(eider_append_int64(app, 9) == EIDER_SUCCESS);
    CHECK(eider_appender_destroy(app) == EIDER_ERROR);
    CHECK(query_int(e.con, "SELECT count(*) FROM t") == 2);
    env_close(&e);
}

/* A value that fails to convert fails the row; rows before (flushed or only buffered) are intact. */
static void test_conversion_errors(void) {
    env e;
    env_open(&e);
    CHECK(exec(e.con, "CREATE TABLE t (id BIGINT, n INTEGER, s VARCHAR)"));
    eider_appender *app = NULL;
    CHECK(eider_appender_create(e.con, NULL, "t", &app) == EIDER_SUCCESS);
    for (int i = 0; i < 5000; i++) {
        char s[64];
        snprintf(s, sizeof s, "row number %d with a long text", i);
        eider_append_int64(app, i);
        eider_append_int32(app, i % 7);
        eider_append_varchar(app, s);
        CHECK(eider_appender_end_row(app) == EIDER_SUCCESS);
        if (i == 2999) CHECK(eider_appender_flush(app) == EIDER_SUCCESS);
    }
    CHECK(eider_append_int64(app, 99999) == EIDER_SUCCESS);
    CHECK(eider_append_varchar(app, "not a number") == EIDER_ERROR);
    CHECK(eider_appender_error_type(app) == EIDER_ERROR_CONVERSION);
    CHECK(contains(eider_appender_error(app), "Could not convert string 'not a number' to INT32"));
    CHECK(contains(eider_appender_error(app), "\"n\""));
    CHECK(eider_append_varchar(app, "this row is dropped") == EIDER_SUCCESS);
    CHECK(eider_appender_end_row(app) == EIDER_ERROR);
    CHECK(eider_appender_error_type(app) == EIDER_ERROR_CONVERSION);
    CHECK(eider_append_int64(app, 99999) == EIDER_SUCCESS);
    CHECK(eider_append_int64(app, 3000000000LL) == EIDER_ERROR); /* out of range for INTEGER */
    CHECK(eider_appender_error_type(app) == EIDER_ERROR_CONVERSION);
    CHECK(eider_append_varchar(app, "dropped too") == EIDER_SUCCESS);
    CHECK(eider_appender_end_row(app) == EIDER_ERROR);
    CHECK(query_int(e.other, "SELECT count(*) FROM t") == 3000);
    CHECK(eider_appender_destroy(app) == EIDER_SUCCESS);
    CHECK(query_int(e.con, "SELECT count(*) FROM t") == 5000);
    CHECK(query_int(e.con, "SELECT sum(id) FROM t") == 4999LL * 5000 / 2);
    CHECK(query_int(e.con, "SELECT count(*) FROM t WHERE s = 'row number ' || id || ' with a long text' AND n = id % 7") == 5000);
    CHECK(query_int(e.con, "SELECT count(*) FROM t WHERE id = 99999") == 0);
    env_close(&e);
}

/* ---- visibility, volume, destroy --------------------------------------------------------------------- */

static void test_visibility_and_volume(void) {
    env e;
    env_open(&e);
    CHECK(exec(e.con, "CREATE TABLE t (id BIGINT, s VARCHAR, d DOUBLE)"));
    CHECK(exec(e.con, "INSERT INTO t VALUES (-1, 'inserted', 0)"));
    eider_appender *app = NULL;
    CHECK(eider_appender_create(e.con, NULL, "T", &app) == EIDER_SUCCESS); /* names match case-insensitively */
    const int64_t n = 300000;                                              /* several row groups */
    int64_t visible_mid = -1;
    for (int64_t i = 0; i < n; i++) {
        char s[64];
        int len = snprintf(s, sizeof s, i % 3 ? "s%lld" : "a longer string number %lld", (long long)i);
        eider_append_int64(app, i);
        eider_append_varchar_length(app, s, (uint64_t)len);
        if (i % 10 == 0) eider_append_null(app);
        else eider_append_double(app, (double)i / 2);
        if (eider_appender_end_row(app) != EIDER_SUCCESS) {
            CHECK(false);
            break;
        }
        if (i == n / 2) visible_mid = query_int(e.other, "SELECT count(*) FROM t");
    }
    CHECK(visible_mid == 1);
    CHECK(query_int(e.other, "SELECT count(*) FROM t") == 1);
    CHECK(eider_appender_flush(app) == EIDER_SUCCESS);
    CHECK(query_int(e.other, "SELECT count(*) FROM t") == n + 1);
    CHECK(query_int(e.other, "SELECT sum(id) FROM t") == n * (n - 1) / 2 - 1);
    CHECK(query_int(e.other, "SELECT count(*) FROM t WHERE d IS NULL") == n / 10);
    CHECK(query_int(e.other, "SELECT count(*) FROM t WHERE id % 3 = 0 AND s = 'a longer string number ' || id") == n / 3);
    CHECK(query_int(e.other, "SELECT count(*) FROM t WHERE id % 3 <> 0 AND s = 's' || id") == n - n / 3);
    CHECK(query_int(e.other, "SELECT sum(CAST(d * 2 AS BIGINT)) FROM t WHERE id % 10 <> 0") ==
          n * (n - 1) / 2 - (n / 10) * (n / 10 - 1) / 2 * 10);
    /* a second batch after a flush, then an empty flush */
    for (int i = 0; i < 10; i++) {
        eider_append_int64(app, n + i);
        eider_append_varchar(app, "");
        eider_append_double(app, 1);
        CHECK(eider_appender_end_row(app) == EIDER_SUCCESS);
    }
    CHECK(eider_appender_flush(app) == EIDER_SUCCESS);
    CHECK(eider_appender_flush(app) == EIDER_SUCCESS);
    CHECK(query_int(e.other, "SELECT count(*) FROM t WHERE s = ''") == 10);
    /* destroy flushes what is left */
    eider_append_int64(app, -2);
    eider_append_varchar(app, "last");
    eider_append_double(app, 0);
    CHECK(eider_appender_end_row(app) == EIDER_SUCCESS);
    CHECK(query_int(e.other, "SELECT count(*) FROM t WHERE id = -2") == 0);
    CHECK(eider_appender_destroy(app) == EIDER_SUCCESS);
    CHECK(text_is(e.other, "SELECT s FROM t WHERE id = -2", "last"));
    CHECK(query_int(e.other, "SELECT count(*) FROM t") == n + 12);
    env_close(&e);
}

/* Strings of every size, with any bytes. */
static void test_strings(void) {
    env e;
    env_open(&e);
    CHECK(exec(e.con, "CREATE TABLE t (id INTEGER, s VARCHAR)"));
    size_t big = 100000;
    char *long_text = malloc(big);
    for (size_t i = 0; i < big; i++) long_text[i] = (char)('a' + i % 26);
    eider_appender *app = NULL;
    CHECK(eider_appender_create(e.con, NULL, "t", &app) == EIDER_SUCCESS);
    const uint64_t lengths[] = {0, 1, 12, 13, 100, 4096, 40000, 100000};
    for (int i = 0; i < 8; i++) {
        eider_append_int32(app, i);
        CHECK(eider_append_varchar_length(app, long_text, lengths[i]) == EIDER_SUCCESS);
        CHECK(eider_appender_end_row(app) == EIDER_SUCCESS);
    }
    eider_append_int32(app, 8);
    CHECK(eider_append_varchar_length(app, "with\0nul", 8) == EIDER_SUCCESS);
    CHECK(eider_appender_end_row(app) == EIDER_SUCCESS);
    CHECK(eider_appender_destroy(app) == EIDER_SUCCESS);
    CHECK(query_int(e.con, "SELECT sum(length(s)) FROM t WHERE id < 8") == 0 + 1 + 12 + 13 + 100 + 4096 + 40000 + 100000);
    CHECK(query_int(e.con, "SELECT length(s) FROM t WHERE id = 8") == 8);
    eider_result *r = NULL;
    eider_query(e.con, "SELECT s FROM t WHERE id = 7", &r);
    char *got = eider_value_text(r, 0, 0);
    CHECK(got && strlen(got) == big && memcmp(got, long_text, big) == 0);
    eider_free(got);
    eider_result_destroy(r);
    free(long_text);
    env_close(&e);
}

/* ---- catalog: missing, dropped, replaced --------------------------------------------------------------- */

static void test_missing_table(void) {
    env e;
    env_open(&e);
    eider_appender *app = NULL;
    CHECK(eider_appender_create(e.con, NULL, "nope", &app) == EIDER_ERROR);
    CHECK(app != NULL);
    CHECK(eider_appender_error_type(app) == EIDER_ERROR_CATALOG);
    CHECK(contains(eider_appender_error(app), "Catalog Error: Table with name nope does not exist"));
    CHECK(eider_append_int64(app, 1) == EIDER_ERROR);
    CHECK(eider_append_null(app) == EIDER_ERROR);
    CHECK(eider_appender_end_row(app) == EIDER_ERROR);
    CHECK(eider_appender_flush(app) == EIDER_ERROR);
    CHECK(eider_appender_error_type(app) == EIDER_ERROR_CATALOG); /* the creation's error stays */
    CHECK(eider_appender_destroy(app) == EIDER_ERROR);

    CHECK(exec(e.con, "CREATE TABLE t (a INTEGER)"));
    CHECK(eider_appender_create(e.con, "other", "t", &app) == EIDER_ERROR);
    CHECK(eider_appender_error_type(app) == EIDER_ERROR_CATALOG);
    CHECK(contains(eider_appender_error(app), "Schema with name other does not exist"));
    eider_appender_destroy(app);
    CHECK(eider_appender_create(NULL, NULL, "t", &app) == EIDER_ERROR);
    CHECK(eider_appender_error_type(app) == EIDER_ERROR_INVALID_INPUT);
    eider_appender_destroy(app);
    CHECK(eider_appender_create(e.con, NULL, NULL, &app) == EIDER_ERROR);
    eider_appender_destroy(app);
    CHECK(eider_appender_create(e.con, NULL, "t", NULL) == EIDER_ERROR);
    /* NULL appender everywhere */
    CHECK(eider_append_int64(NULL, 1) == EIDER_ERROR);
    CHECK(eider_appender_end_row(NULL) == EIDER_ERROR);
    CHECK(eider_appender_flush(NULL) == EIDER_ERROR);
    CHECK(eider_appender_destroy(NULL) == EIDER_ERROR);
    CHECK(eider_appender_error(NULL) == NULL);
    env_close(&e);
}

static void test_dropped_table(void) {
    env e;
    env_open(&e);
    /* the baseline includes the catalog's table array */
    CHECK(exec(e.con, "CREATE TABLE warmup (a INTEGER); DROP TABLE warmup"));
    uint64_t baseline = pool_used_bytes(e.db->pool);

    CHECK(exec(e.con, "CREATE TABLE t (a BIGINT, s VARCHAR)"));
    eider_appender *app = NULL;
    CHECK(eider_appender_create(e.con, NULL, "t", &app) == EIDER_SUCCESS);
    for (int i = 0; i < 10000; i++) {
        eider_append_int64(app, i);
        eider_append_varchar(app, "a value that goes to the heap");
        eider_appender_end_row(app);
    }
    CHECK(eider_appender_flush(app) == EIDER_SUCCESS);
    for (int i = 0; i < 10000; i++) {
        eider_append_int64(app, i);
        eider_append_varchar(app, "a value that goes to the heap");
        eider_appender_end_row(app);
    }
    CHECK(exec(e.other, "DROP TABLE t"));
    CHECK(eider_appender_flush(app) == EIDER_ERROR);
    CHECK(eider_appender_error_type(app) == EIDER_ERROR_CATALOG);
    CHECK(contains(eider_appender_error(app), "Table with name t does not exist"));
    /* a new table of the same name is another table: the appender does not write into it */
    CHECK(exec(e.other, "CREATE TABLE t (a BIGINT, s VARCHAR)"));
    CHECK(eider_appender_flush(app) == EIDER_ERROR);
    CHECK(eider_appender_destroy(app) == EIDER_ERROR);
    CHECK(query_int(e.con, "SELECT count(*) FROM t") == 0);

    /* CREATE OR REPLACE while an appender holds the old table */
    CHECK(eider_appender_create(e.con, NULL, "t", &app) == EIDER_SUCCESS);
    eider_append_int64(app, 1);
    eider_append_varchar(app, "x");
    eider_appender_end_row(app);
    CHECK(exec(e.other, "CREATE OR REPLACE TABLE t (a BIGINT, s VARCHAR)"));
    CHECK(eider_appender_destroy(app) == EIDER_ERROR);
    CHECK(query_int(e.con, "SELECT count(*) FROM t") == 0);
    CHECK(exec(e.con, "DROP TABLE t"));
    CHECK(pool_used_bytes(e.db->pool) == baseline);
    if (pool_used_bytes(e.db->pool) != baseline)
        fprintf(stderr, "pool: %llu bytes, baseline %llu\n", (unsigned long long)pool_used_bytes(e.db->pool),
                (unsigned long long)baseline);
    env_close(&e);
}

/* ---- memory ------------------------------------------------------------------------------------------------ */

static void test_memory_returns(void) {
    env e;
    env_open(&e);
    CHECK(exec(e.con, "CREATE TABLE warmup (a INTEGER); DROP TABLE warmup"));
    uint64_t baseline = pool_used_bytes(e.db->pool);
    CHECK(exec(e.con, "CREATE TABLE t (a BIGINT, s VARCHAR, d DOUBLE)"));
    eider_appender *app = NULL;
    CHECK(eider_appender_create(e.con, NULL, "t", &app) == EIDER_SUCCESS);
    for (int i = 0; i < 200000; i++) {
        char s[48];
        snprintf(s, sizeof s, "string value %d, long", i);
        eider_append_int64(app, i);
        eider_append_varchar(app, s);
        eider_append_double(app, i);
        eider_appender_end_row(app);
    }
    uint64_t buffered = pool_used_bytes(e.db->pool);
    CHECK(buffered > baseline + 200000 * 16);
    CHECK(pool_tag_used_bytes(e.db->pool, TAG_COLUMN_DATA) > 0);
    CHECK(eider_appender_destroy(app) == EIDER_SUCCESS);
    CHECK(pool_tag_used_bytes(e.db->pool, TAG_COLUMN_DATA) == 0);
    CHECK(query_int(e.con, "SELECT count(*) FROM t") == 200000);
    CHECK(exec(e.con, "DROP TABLE t"));
    CHECK(pool_used_bytes(e.db->pool) == baseline);

    /* an appender that is destroyed without flushing anything, on a table that is then dropped */
    CHECK(exec(e.con, "CREATE TABLE t (a BIGINT)"));
    CHECK(eider_appender_create(e.con, NULL, "t", &app) == EIDER_SUCCESS);
    CHECK(exec(e.con, "DROP TABLE t"));
    CHECK(pool_used_bytes(e.db->pool) > baseline); /* the appender still holds the table */
    CHECK(eider_appender_destroy(app) == EIDER_SUCCESS); /* nothing to flush */
    CHECK(pool_used_bytes(e.db->pool) == baseline);
    env_close(&e);
}

/* Appends rows of ~40 bytes until the pool holds `until` bytes; returns the rows appended, or -1
 * when an end_row failed. */
static int64_t fill(eider_appender *app, eider_database *db, uint64_t until, int64_t first) {
    int64_t rows = 0;
    while (pool_used_bytes(db->pool) < until) {
        eider_append_int64(app, first + rows);
        eider_append_varchar(app, "a string of some thirty bytes..");
        if (eider_appender_end_row(app) != EIDER_SUCCESS) return -1;
        rows++;
    }
    return rows;
}

/* Memory at the limit: a flush needs about one row group beyond what is buffered (so a buffer of
 * half the limit flushes); a flush that runs out of memory makes nothing visible and discards the
 * buffer; buffering past the limit fails at end_row with the row dropped; the database stays
 * usable throughout. */
static void test_out_of_memory(void) {
    env e;
    env_open(&e);
    CHECK(exec(e.con, "SET temp_directory = ''"));
    CHECK(exec(e.con, "CREATE TABLE t (a BIGINT, s VARCHAR)"));
    CHECK(exec(e.con, "SET memory_limit = '32MB'"));
    eider_appender *app = NULL;
    CHECK(eider_appender_create(e.con, NULL, "t", &app) == EIDER_SUCCESS);
    int64_t rows = fill(app, e.db, 18u << 20, 0);
    CHECK(rows > 0);
    CHECK(eider_appender_flush(app) == EIDER_SUCCESS);
    if (eider_appender_error(app)) fprintf(stderr, "%s\n", eider_appender_error(app));
    CHECK(query_int(e.other, "SELECT count(*) FROM t") == rows);
    CHECK(exec(e.other, "DROP TABLE t; CREATE TABLE t (a BIGINT, s VARCHAR)"));
    eider_appender_destroy(app);

    /* a buffer close to the limit cannot be flushed */
    CHECK(eider_appender_create(e.con, NULL, "t", &app) == EIDER_SUCCESS);
    int64_t more = fill(app, e.db, 29u << 20, 0);
    CHECK(more > 0);
    CHECK(eider_appender_flush(app) == EIDER_ERROR);
    CHECK(eider_appender_error_type(app) == EIDER_ERROR_OUT_OF_MEMORY);
    CHECK(query_int(e.other, "SELECT count(*) FROM t") == 0);
    CHECK(eider_appender_flush(app) == EIDER_SUCCESS); /* the buffer was discarded */
    CHECK(query_int(e.other, "SELECT count(*) FROM t") == 0);

    /* buffering past the limit fails at end_row; the rows before stay buffered and flush */
    eider_state st = EIDER_SUCCESS;
    int64_t buffered = 0;
    for (; buffered < 4000000 && st == EIDER_SUCCESS; buffered++) {
        eider_append_int64(app, buffered);
        eider_append_varchar(app, "a string of some thirty bytes..");
        st = eider_appender_end_row(app);
    }
    buffered--; /* the failed row */
    CHECK(st == EIDER_ERROR);
    CHECK(eider_appender_error_type(app) == EIDER_ERROR_OUT_OF_MEMORY);
    /* at the limit even SET needs memory for its query state: raise the pool's limit directly */
    error err;
    error_clear(&err);
    CHECK(pool_set_memory_limit(e.db->pool, 1ull << 30, &err));
    CHECK(eider_appender_destroy(app) == EIDER_SUCCESS);
    CHECK(query_int(e.other, "SELECT count(*) FROM t") == buffered);
    CHECK(query_int(e.other, "SELECT count(DISTINCT a) FROM t") == buffered);
    CHECK(exec(e.other, "DROP TABLE t"));
    env_close(&e);
}

int main(void) {
    test_conversion_matrix();
    test_conversions_explicit();
    test_nulls();
    test_not_null();
    test_wrong_counts();
    test_conversion_errors();
    test_visibility_and_volume();
    test_strings();
    test_missing_table();
    test_dropped_table();
    test_memory_returns();
    test_out_of_memory();
    return test_summary();
}
