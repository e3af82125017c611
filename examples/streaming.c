/*
 * streaming.c — reading a result larger than memory with eider's streaming API: under a 32MB
 * memory limit, stream five million rows (about 250 MB if they were materialized) batch by batch,
 * summing a column and counting strings as they arrive; then stop a second stream after a few
 * batches by destroying it, and show that an error met while the query runs (a bad cast far into
 * the result) comes back from eider_result_fetch.
 *
 * It exits with 0 only if every step behaved as expected, so it also runs as a test.
 */
#include <stdio.h>
#include <string.h>

#include "eider.h"

#define ROWS 5000000ULL

int main(void) {
    eider_config *config;
    eider_config_create(&config);
    eider_config_set(config, "memory_limit", "32MB");
    eider_database *db;
    char *error = NULL;
    if (eider_open(NULL, config, &db, &error) != EIDER_SUCCESS) {
        fprintf(stderr, "%s\n", error);
        eider_free(error);
        return 1;
    }
    eider_config_destroy(config);
    eider_connection *con;
    eider_connect(db, &con);
    int status = 0;

    /* 1. every row, a batch at a time; the query runs only a few batches ahead of this loop */
    eider_result *r;
    if (eider_query_streaming(con,
                              "SELECT i, 'the streamed row number ' || i || ', padded to a long string' AS s "
                              "FROM range(5000000) r(i)",
                              &r) != EIDER_SUCCESS) {
        fprintf(stderr, "%s\n", eider_result_error(r));
        return 1;
    }
    printf("columns: %s (%s), %s (%s)\n", eider_column_name(r, 0), eider_column_type_name(r, 0),
           eider_column_name(r, 1), eider_column_type_name(r, 1));
    uint64_t n, sum = 0, long_strings = 0, batches = 0;
    while (eider_result_fetch(r, &n) == EIDER_SUCCESS && n > 0) {
        batches++;
        for (uint64_t row = 0; row < n; row++) { /* row indexes refer to this batch */
            sum += (uint64_t)eider_value_int64(r, 0, row);
            char *s = eider_value_text(r, 1, row);
            if (s && strlen(s) > 40) long_strings++;
            eider_free(s);
        }
    }
    if (eider_result_error(r)) {
        fprintf(stderr, "fetch failed: %s\n", eider_result_error(r));
        status = 1;
    }
    printf("%llu rows in %llu batches, sum %llu, %llu long strings\n", (unsigned long long)eider_row_count(r),
           (unsigned long long)batches, (unsigned long long)sum, (unsigned long long)long_strings);
    if (eider_row_count(r) != ROWS || sum != ROWS * (ROWS - 1) / 2 || long_strings != ROWS) status = 1;
    eider_result_destroy(r);

    /* 2. stopping early: destroying the result stops the query and frees what it held */
    eider_query_streaming(con, "SELECT i FROM range(1000000) r(i) ORDER BY i DESC", &r);
    for (int i = 0; i < 3 && eider_result_fetch(r, &n) == EIDER_SUCCESS && n > 0; i++)
        printf("batch %d starts at %lld\n", i, (long long)eider_value_int64(r, 0, 0));
    eider_result_destroy(r);

    /* 3. an error found while the query runs comes back from fetch, with its type */
    eider_query_streaming(con, "SELECT CAST(CASE WHEN i = 4000000 THEN 'four million' ELSE i::VARCHAR END AS BIGINT) "
                               "FROM range(5000000) r(i)",
                          &r);
    uint64_t rows = 0;
    eider_state st;
    while ((st = eider_result_fetch(r, &n)) == EIDER_SUCCESS && n > 0) rows += n;
    printf("after %llu rows: %s\n", (unsigned long long)rows, eider_result_error(r) ? eider_result_error(r) : "no error");
    if (st != EIDER_ERROR || eider_result_error_type(r) != EIDER_ERROR_CONVERSION) status = 1;
    eider_result_destroy(r);

    eider_disconnect(con);
    eider_close(db);
    return status;
}
