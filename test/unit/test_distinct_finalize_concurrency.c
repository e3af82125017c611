/*
 * test_distinct_finalize_concurrency.c — DISTINCT aggregates that spill are finalized by every
 * thread of the query at once (each claims partitions of the spilled pairs); run under
 * ThreadSanitizer with the other concurrency tests. Exact answers with and without GROUP BY, over
 * BIGINT and VARCHAR, an interrupted query that leaves nothing behind, and a pool back at zero.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eider.h"
#include "test_util.h"

#define ROWS 400000 /* i in [0, ROWS): every value distinct, pairs several times the limit */

static char *first_row(eider_connection *con, const char *sql) {
    eider_result *r = NULL;
    eider_query(con, sql, &r);
    char *out = NULL;
    if (r && !eider_result_error(r) && eider_row_count(r) > 0) {
        size_t cap = 512, len = 0;
        out = calloc(1, cap);
        for (uint64_t c = 0; c < eider_column_count(r); c++) {
            char *v = eider_value_text(r, c, 0);
            len += (size_t)snprintf(out + len, cap - len, "%s%s", c ? "|" : "", v ? v : "NULL");
            eider_free(v);
        }
    } else {
        fprintf(stderr, "query failed: %s\n  %s\n", sql, r && eider_result_error(r) ? eider_result_error(r) : "no rows");
    }
    eider_result_destroy(r);
    return out;
}

static bool run_ok(eider_connection *con, const char *sql) {
    eider_result *r = NULL;
    eider_query(con, sql, &r);
    bool ok = r && !eider_result_error(r);
    if (!ok) fprintf(stderr, "query failed: %s\n", sql);
    eider_result_destroy(r);
    return ok;
}

static bool answer_is(eider_connection *con, const char *sql, const char *want) {
    char *got = first_row(con, sql);
    bool ok = got && strcmp(got, want) == 0;
    if (!ok) fprintf(stderr, "%s\n  got %s, want %s\n", sql, got ? got : "(error)", want);
    free(got);
    return ok;
}

typedef struct interrupter {
    eider_connection *con;
    atomic_bool stop;
} interrupter;

static void *interrupt_later(void *arg) {
    interrupter *it = arg;
    for (int i = 0; i < 40 && !atomic_load(&it->stop); i++) usleep(5 * 1000);
    eider_interrupt(it->con);
    return NULL;
}

int main(void) {
    eider_database *db = NULL;
    eider_connection *con = NULL;
    CHECK(eider_open(NULL, NULL, &db, NULL) == EIDER_SUCCESS && eider_connect(db, &con) == EIDER_SUCCESS);
    if (!con) return test_summary();
    char tmpl[] = "/tmp/eider_distinct_finalize_XXXXXX";
    char *dir = mkdtemp(tmpl);
    CHECK(dir != NULL);
    if (!dir) return test_summary();
    char set[256];
    snprintf(set, sizeof set, "SET temp_directory = '%s/tmp'", dir);
    CHECK(run_ok(con, set));
    CHECK(run_ok(con, "SET memory_limit = '16MB'"));
    CHECK(run_ok(con, "SET threads = 2"));

    char sql[512], want[128];
    long long n = ROWS, sum = (long long)ROWS * (ROWS - 1) / 2;
    snprintf(sql, sizeof sql, "SELECT count(DISTINCT i), sum(DISTINCT i), count(*) FROM range(%d) r(i)", ROWS);
    snprintf(want, sizeof want, "%lld|%lld|%lld", n, sum, n);
    CHECK(answer_is(con, sql, want));

    /* 1000 groups of 400 distinct values each, as BIGINT and as VARCHAR */
    snprintf(sql, sizeof sql,
             "SELECT count(*), sum(c), sum(cs), min(c) FROM (SELECT i %% 1000 AS k, count(DISTINCT i) AS c, "
             "count(DISTINCT 'string number ' || i) AS cs FROM range(%d) r(i) GROUP BY k)",
             ROWS);
    snprintf(want, sizeof want, "1000|%lld|%lld|%d", n, n, ROWS / 1000);
    CHECK(answer_is(con, sql, want));

    /* interrupted while it runs (maybe in the finalize): an error or the answer, then nothing left */
    interrupter it = {.con = con};
    atomic_init(&it.stop, false);
    pthread_t t;
    pthread_create(&t, NULL, interrupt_later, &it);
    snprintf(sql, sizeof sql, "SELECT count(DISTINCT 'string number ' || i) FROM range(%d) r(i)", 3 * ROWS);
    eider_result *r = NULL;
    eider_query(con, sql, &r);
    atomic_store(&it.stop, true);
    pthread_join(t, NULL);
    eider_result_destroy(r);

    CHECK(answer_is(con, "SELECT count(*) FROM eider_temporary_files()", "0"));
    CHECK(answer_is(con,
                    "SELECT coalesce(sum(memory_usage_bytes) + sum(temporary_storage_bytes), 0) FROM eider_memory() "
                    "WHERE tag = 'HASH_TABLE'",
                    "0"));
    eider_disconnect(con);
    eider_close(db);
    rmdir(dir);
    return test_summary();
}
