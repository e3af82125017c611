/*
 * basic.c — a first program with eider: open an in-memory database with a memory limit, create
 * a table, insert rows, query them and print the result with its column names and types, look
 * at an error, and close.
 *
 * It exits with 0 only if every step behaved as expected, so it also runs as a test.
 */
#include <stdio.h>
#include <string.h>

#include "eider.h"

/* Runs a statement that must succeed; prints the error and returns false otherwise. */
static bool run(eider_connection *conn, const char *sql) {
    eider_result *result = NULL;
    bool ok = eider_query(conn, sql, &result) == EIDER_SUCCESS;
    if (!ok) fprintf(stderr, "query failed: %s\n  %s\n", sql, eider_result_error(result));
    eider_result_destroy(result);
    return ok;
}

/* Prints a result as a small table: a header of names and types, then one line per row. */
static void print_result(const eider_result *result) {
    uint64_t columns = eider_column_count(result);
    for (uint64_t c = 0; c < columns; c++)
        printf("%s%s (%s)", c ? " | " : "", eider_column_name(result, c), eider_column_type_name(result, c));
    printf("\n");
    for (uint64_t r = 0; r < eider_row_count(result); r++) {
        for (uint64_t c = 0; c < columns; c++) {
            char *text = eider_value_text(result, c, r); /* NULL for SQL NULL */
            printf("%s%s", c ? " | " : "", text ? text : "NULL");
            eider_free(text);
        }
        printf("\n");
    }
}

int main(void) {
    printf("eider %s\n", eider_version());

    /* 1. open an in-memory database that may use at most 256 MiB */
    eider_config *config = NULL;
    if (eider_config_create(&config) != EIDER_SUCCESS) return 1;
    eider_config_set(config, "memory_limit", "256MiB");
    eider_config_set(config, "threads", "2");

    eider_database *db = NULL;
    char *open_error = NULL;
    if (eider_open(":memory:", config, &db, &open_error) != EIDER_SUCCESS) {
        fprintf(stderr, "cannot open: %s\n", open_error);
        eider_free(open_error);
        eider_config_destroy(config);
        return 1;
    }
    eider_config_destroy(config); /* the database keeps its own copy of the settings */

    eider_connection *conn = NULL;
    if (eider_connect(db, &conn) != EIDER_SUCCESS) {
        eider_close(db);
        return 1;
    }

    /* 2. create a table and insert some rows */
    bool ok = run(conn, "CREATE TABLE birds (name VARCHAR, wingspan_cm INTEGER, weight_kg DECIMAL(6,2))");
    eider_result *result = NULL;
    if (ok) {
        ok = eider_query(conn,
                         "INSERT INTO birds VALUES ('common eider', 95, 2.20), ('mallard', 90, 1.10), "
                         "('mute swan', 220, 11.80), ('unknown', NULL, NULL)",
                         &result) == EIDER_SUCCESS;
        if (!ok) fprintf(stderr, "insert failed: %s\n", eider_result_error(result));
        else if (eider_rows_changed(result) != 4) {
            fprintf(stderr, "expected 4 inserted rows, got %llu\n", (unsigned long long)eider_rows_changed(result));
            ok = false;
        }
        eider_result_destroy(result);
        result = NULL;
    }

    /* 3. query and print */
    if (ok) {
        ok = eider_query(conn,
                         "SELECT name, wingspan_cm, weight_kg FROM birds WHERE wingspan_cm IS NULL OR "
                         "wingspan_cm > 91 ORDER BY name",
                         &result) == EIDER_SUCCESS;
        if (!ok) {
            fprintf(stderr, "select failed: %s\n", eider_result_error(result));
        } else {
            print_result(result);
            /* check what we printed: 3 rows, typed columns, the NULL, the numbers */
            ok = eider_column_count(result) == 3 && eider_row_count(result) == 3 &&
                 eider_column_type(result, 0) == EIDER_TYPE_VARCHAR &&
                 eider_column_type(result, 1) == EIDER_TYPE_INTEGER &&
                 eider_column_type(result, 2) == EIDER_TYPE_DECIMAL &&
                 strcmp(eider_column_type_name(result, 2), "DECIMAL(6,2)") == 0 &&
                 strcmp(eider_column_name(result, 1), "wingspan_cm") == 0 &&
                 eider_value_int64(result, 1, 0) == 95 && eider_value_double(result, 2, 1) == 11.8 &&
                 eider_value_is_null(result, 1, 2) && !eider_value_is_null(result, 0, 2);
            char *name = eider_value_text(result, 0, 1);
            ok = ok && name && strcmp(name, "mute swan") == 0;
            eider_free(name);
            if (!ok) fprintf(stderr, "the result is not the expected one\n");
        }
        eider_result_destroy(result);
        result = NULL;
    }

    /* 4. errors carry a class: a misspelt keyword is a parser error, a missing table a catalog one */
    if (ok) {
        if (eider_query(conn, "SELECT * FORM birds", &result) == EIDER_SUCCESS ||
            eider_result_error_type(result) != EIDER_ERROR_PARSER) {
            fprintf(stderr, "expected a parser error\n");
            ok = false;
        } else {
            printf("error, as expected: %s\n", eider_result_error(result));
        }
        eider_result_destroy(result);
        result = NULL;
    }
    if (ok) {
        if (eider_query(conn, "SELECT * FROM fish", &result) == EIDER_SUCCESS ||
            eider_result_error_type(result) != EIDER_ERROR_CATALOG) {
            fprintf(stderr, "expected a catalog error\n");
            ok = false;
        } else {
            printf("error, as expected: %s\n", eider_result_error(result));
        }
        eider_result_destroy(result);
        result = NULL;
    }

    /* 5. settings are readable from SQL */
    if (ok) {
        ok = eider_query(conn, "SELECT current_setting('memory_limit')", &result) == EIDER_SUCCESS;
        char *limit = ok ? eider_value_text(result, 0, 0) : NULL;
        ok = limit && strcmp(limit, "256.0 MiB") == 0;
        printf("memory_limit = %s\n", limit ? limit : "?");
        eider_free(limit);
        eider_result_destroy(result);
        result = NULL;
    }

    /* 6. close: every byte the database held goes back to the system */
    eider_disconnect(conn);
    eider_close(db);
    printf("%s\n", ok ? "all good" : "FAILED");
    return ok ? 0 : 1;
}
