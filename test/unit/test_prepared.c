/* Prepared statements: parameters of every type, `?` and `$n`, reuse with new values, errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eider.h"
#include "main/database.h"
#include "test_util.h"

static bool text_is(eider_result *r, uint64_t col, uint64_t row, const char *want) {
    char *t = eider_value_text(r, col, row);
    bool ok = (t == NULL && want == NULL) || (t && want && !strcmp(t, want));
    if (!ok) fprintf(stderr, "  got '%s', want '%s'\n", t ? t : "NULL", want ? want : "NULL");
    eider_free(t);
    return ok;
}

static void exec_ok(eider_connection *con, const char *sql) {
    eider_result *r;
    eider_query(con, sql, &r);
    CHECK(!eider_result_error(r), "%s: %s", sql, eider_result_error(r));
    eider_result_destroy(r);
}

static void test_types(eider_connection *con) {
    eider_prepared_statement *ps;
    CHECK(eider_prepare(con, "SELECT ?, ?, ?, ?, ?, ?, ?, ?", &ps) == EIDER_SUCCESS, "prepare");
    CHECK(eider_nparams(ps) == 8, "8 parameters, got %llu", (unsigned long long)eider_nparams(ps));
    eider_bind_bool(ps, 1, true);
    eider_bind_int32(ps, 2, -7);
    eider_bind_int64(ps, 3, 9000000000LL);
    eider_bind_double(ps, 4, 0.5);
    eider_bind_varchar(ps, 5, "a string longer than twelve bytes");
    eider_bind_date(ps, 6, 18262);              /* 2020-01-01 */
    eider_bind_timestamp(ps, 7, 1577836800000000LL + 1500000); /* 2020-01-01 00:00:01.5 */
    eider_bind_null(ps, 8);
    eider_result *r;
    CHECK(eider_execute(ps, &r) == EIDER_SUCCESS, "execute: %s", eider_result_error(r));
    CHECK(text_is(r, 0, 0, "true") && text_is(r, 1, 0, "-7") && text_is(r, 2, 0, "9000000000") &&
              text_is(r, 3, 0, "0.5") && text_is(r, 4, 0, "a string longer than twelve bytes") &&
              text_is(r, 5, 0, "2020-01-01") && text_is(r, 6, 0, "2020-01-01 00:00:01.5") &&
              eider_value_is_null(r, 7, 0),
          "bound values come back");
    eider_result_destroy(r);
    eider_prepared_destroy(ps);
}

static void test_reuse(eider_connection *con) {
    exec_ok(con, "CREATE TABLE p (id BIGINT, name VARCHAR, d DATE)");
    eider_prepared_statement *ins;
    CHECK(eider_prepare(con, "INSERT INTO p VALUES ($1, $2, $3)", &ins) == EIDER_SUCCESS, "prepare insert");
    for (int i = 0; i < 100; i++) {
        char name[32];
        snprintf(name, sizeof name, "name %d", i);
        eider_bind_int64(ins, 1, i);
        eider_bind_varchar(ins, 2, name);
        eider_bind_varchar(ins, 3, "2021-03-04"); /* a string converts to the column's type */
        eider_result *r;
        CHECK(eider_execute(ins, &r) == EIDER_SUCCESS, "insert %d: %s", i, eider_result_error(r));
        eider_result_destroy(r);
    }
    eider_prepared_destroy(ins);

    eider_prepared_statement *sel;
    CHECK(eider_prepare(con, "SELECT count(*), max(name) FROM p WHERE id >= ? AND d = ?", &sel) == EIDER_SUCCESS,
          "prepare select");
    eider_bind_int32(sel, 1, 90);
    eider_bind_varchar(sel, 2, "2021-03-04"); /* compared with a DATE: converts like a literal */
    eider_result *r;
    CHECK(eider_execute(sel, &r) == EIDER_SUCCESS, "select: %s", eider_result_error(r));
    CHECK(eider_value_int64(r, 0, 0) == 10 && text_is(r, 1, 0, "name 99"), "10 rows from 90");
    eider_result_destroy(r);
    eider_bind_int32(sel, 1, 0);
    CHECK(eider_execute(sel, &r) == EIDER_SUCCESS && eider_value_int64(r, 0, 0) == 100, "rebound: 100 rows");
    eider_result_destroy(r);
    eider_prepared_destroy(sel);
}

static void test_errors(eider_connection *con) {
    eider_prepared_statement *ps;
    CHECK(eider_prepare(con, "SELEC 1", &ps) == EIDER_ERROR && eider_prepare_error_type(ps) == EIDER_ERROR_PARSER,
          "syntax error: %s", eider_prepare_error(ps));
    eider_result *r;
    CHECK(eider_execute(ps, &r) == EIDER_ERROR, "executing a failed prepare fails");
    eider_result_destroy(r);
    eider_prepared_destroy(ps);

    CHECK(eider_prepare(con, "SELECT 1; SELECT 2", &ps) == EIDER_ERROR && strstr(eider_prepare_error(ps), "multiple"),
          "two statements");
    eider_prepared_destroy(ps);

    CHECK(eider_prepare(con, "SELECT ? + 1", &ps) == EIDER_SUCCESS, "prepare");
    CHECK(eider_bind_int32(ps, 2, 1) == EIDER_ERROR && strstr(eider_prepare_error(ps), "parameter 2"),
          "index out of range");
    CHECK(eider_execute(ps, &r) == EIDER_ERROR && strstr(eider_result_error(r), "not provided"),
          "unbound parameter: %s", eider_result_error(r));
    eider_result_destroy(r);
    eider_bind_varchar(ps, 1, "abc");
    CHECK(eider_execute(ps, &r) == EIDER_ERROR && eider_result_error_type(r) == EIDER_ERROR_CONVERSION,
          "'abc' + 1: %s", eider_result_error(r));
    eider_result_destroy(r);
    eider_bind_int32(ps, 1, 41);
    CHECK(eider_execute(ps, &r) == EIDER_SUCCESS && eider_value_int64(r, 0, 0) == 42, "41 + 1");
    eider_result_destroy(r);
    eider_prepared_destroy(ps);

    /* a plain query with a parameter has no value for it */
    eider_query(con, "SELECT $1", &r);
    CHECK(eider_result_error_type(r) == EIDER_ERROR_INVALID_INPUT, "unbound in eider_query");
    eider_result_destroy(r);
}

int main(void) {
    eider_database *db;
    eider_connection *con;
    if (eider_open(NULL, NULL, &db, NULL) != EIDER_SUCCESS || eider_connect(db, &con) != EIDER_SUCCESS) return 1;
    test_types(con);
    test_reuse(con);
    test_errors(con);
    exec_ok(con, "DROP TABLE p");
    eider_disconnect(con);
    eider_close(db);
    return test_summary();
}
