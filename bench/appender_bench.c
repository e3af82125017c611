/*
 * appender_bench.c — appender throughput: N rows of (BIGINT, VARCHAR of 15 bytes) appended into
 * one table through the C appender, flush included, on one thread. Prints rows/s; checks the
 * row count afterwards. Usage: bench_appender_bench [rows] (default 10,000,000).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eider.h"

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Adds one to the decimal counter in s[0, n). */
static void increment(char *s, int n) {
    for (int i = n - 1; i >= 0; i--) {
        if (s[i] != '9') {
            s[i]++;
            return;
        }
        s[i] = '0';
    }
}

static int run_query(eider_connection *con, const char *sql, int64_t *first) {
    eider_result *r = NULL;
    eider_query(con, sql, &r);
    if (eider_result_error(r)) {
        fprintf(stderr, "%s: %s\n", sql, eider_result_error(r));
        eider_result_destroy(r);
        return 1;
    }
    if (first && eider_row_count(r) > 0) *first = eider_value_int64(r, 0, 0);
    eider_result_destroy(r);
    return 0;
}

int main(int argc, char **argv) {
    long long rows = argc > 1 ? atoll(argv[1]) : 10000000LL;
    if (rows <= 0) rows = 10000000LL;
    eider_database *db = NULL;
    char *msg = NULL;
    if (eider_open(NULL, NULL, &db, &msg) != EIDER_SUCCESS) {
        fprintf(stderr, "%s\n", msg);
        eider_free(msg);
        return 1;
    }
    eider_connection *con = NULL;
    eider_connect(db, &con);
    if (run_query(con, "CREATE TABLE t (id BIGINT, s VARCHAR)", NULL)) return 1;

    char text[16] = "value-000000000"; /* 15 bytes */
    double t0 = now_seconds();
    eider_appender *app = NULL;
    if (eider_appender_create(con, NULL, "t", &app) != EIDER_SUCCESS) {
        fprintf(stderr, "%s\n", eider_appender_error(app));
        return 1;
    }
    for (long long i = 0; i < rows; i++) {
        eider_append_int64(app, i);
        eider_append_varchar_length(app, text, 15);
        if (eider_appender_end_row(app) != EIDER_SUCCESS) {
            fprintf(stderr, "row %lld: %s\n", i, eider_appender_error(app));
            return 1;
        }
        increment(text + 6, 9);
    }
    double t1 = now_seconds();
    if (eider_appender_flush(app) != EIDER_SUCCESS) {
        fprintf(stderr, "flush: %s\n", eider_appender_error(app));
        return 1;
    }
    double t2 = now_seconds();
    eider_appender_destroy(app);

    int64_t count = -1;
    if (run_query(con, "SELECT count(*) FROM t", &count)) return 1;
    printf("appender: %lld rows (BIGINT, VARCHAR(15)) in %.3f s (append %.3f s, flush %.3f s): %.2f M rows/s\n",
           rows, t2 - t0, t1 - t0, t2 - t1, (double)rows / (t2 - t0) / 1e6);
    int rc = count == rows ? 0 : 1;
    if (rc) fprintf(stderr, "count(*) = %lld, expected %lld\n", (long long)count, rows);
    run_query(con, "DROP TABLE t", NULL);
    eider_disconnect(con);
    eider_close(db);
    return rc;
}
