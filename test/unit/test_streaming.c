/* Streaming results (eider_query_streaming, eider_execute_streaming, eider_result_fetch), through
 * the public API under a 48MB memory limit, on one and two threads:
 * - a result of millions of rows (several times the limit if materialized) streams with the pool
 *   holding at most a few batches for it (COLUMN_DATA), the process's RSS under the limit plus a
 *   fixed overhead, and the same rows as eider_query's (hashed in order, or as a multiset where the
 *   order is not defined: a GROUP BY whose collector is fed by two threads at once);
 * - a sort that spills, streamed, gives eider_query's rows in eider_query's order;
 * - destroying a stream part-way, eider_interrupt (also while the query is still sorting, before
 *   the first batch), a conversion error at row 1,000,000, another query on the connection and
 *   eider_disconnect all stop the query, leave no pool bytes and no temp file, and the next query
 *   works;
 * - parser and binder errors come back from eider_query_streaming; statements before the last run
 *   to completion; a last statement that is not a query is fetched the same way; prepared
 *   statements stream with their bound values copied. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "eider.h"
#include "main/database.h"
#include "memory/pool.h"
#include "test_util.h"

#ifdef EIDER_SANITIZE
#define BIG_ROWS 600000ULL /* the sanitizers are ~10x slower */
#define SORT_ROWS 300000ULL
#else
#define BIG_ROWS 2000000ULL
#define SORT_ROWS 500000ULL
#endif
#define ERROR_ROW 1000000ULL
#define LIMIT_BYTES (48ULL * 1000 * 1000)
/* STREAM_QUEUE_BATCHES + 2 batches of the big query's rows, with room to spare */
#define STREAM_COLUMN_DATA_BOUND ((uint64_t)8 << 20)
#define POOL_SLACK ((int64_t)1 << 20)

static eider_database *db;

static eider_result *run(eider_connection *con, const char *sql) {
    eider_result *r = NULL;
    eider_query(con, sql, &r);
    return r;
}

static bool run_ok(eider_connection *con, const char *sql) {
    eider_result *r = run(con, sql);
    bool ok = r && !eider_result_error(r);
    if (!ok) fprintf(stderr, "query failed: %s\n  %s\n", sql, r ? eider_result_error(r) : "(no result)");
    eider_result_destroy(r);
    return ok;
}

static int64_t query_i64(eider_connection *con, const char *sql) {
    eider_result *r = run(con, sql);
    int64_t v = r && !eider_result_error(r) && !eider_value_is_null(r, 0, 0) ? eider_value_int64(r, 0, 0) : -1;
    if (!r || eider_result_error(r)) fprintf(stderr, "query failed: %s\n", sql);
    eider_result_destroy(r);
    return v;
}

/* The pool's total (resident and spilled) without the arenas of the query that asks. */
static int64_t pool_total(eider_connection *con) {
    return query_i64(con, "SELECT coalesce(sum(memory_usage_bytes) + sum(temporary_storage_bytes), 0) "
                          "FROM eider_memory() WHERE tag <> 'ALLOCATOR'");
}

static long rss_kib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) kib = strtol(line + 6, NULL, 10);
    fclose(f);
    return kib;
}

static uint64_t fnv(uint64_t h, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 0x100000001b3ULL;
    return h;
}

static uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static uint64_t row_hash(const eider_result *r, uint64_t row) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (uint64_t c = 0; c < eider_column_count(r); c++) {
        if (eider_value_is_null(r, c, row)) {
            h = fnv(h, "\\N\t", 3);
            continue;
        }
        if (eider_column_type(r, c) == EIDER_TYPE_BIGINT || eider_column_type(r, c) == EIDER_TYPE_DOUBLE) {
            double d = eider_value_double(r, c, row);
            int64_t i = eider_value_int64(r, c, row);
            h = fnv(h, (const char *)&d, sizeof d);
            h = fnv(h, (const char *)&i, sizeof i);
            continue;
        }
        char *text = eider_value_text(r, c, row);
        h = text ? fnv(h, text, strlen(text)) : fnv(h, "\\N", 2);
        h = fnv(h, "\t", 1);
        eider_free(text);
    }
    return h;
}

typedef struct answer {
    uint64_t hash, rows;
    bool ok;
} answer;

static void add_row(answer *a, const eider_result *r, uint64_t row, bool ordered) {
    uint64_t h = mix(row_hash(r, row));
    a->hash = ordered ? a->hash * 0x9e3779b97f4a7c15ULL + h : a->hash + h;
    a->rows++;
}

/* eider_query's answer. */
static answer materialized(eider_connection *con, const char *sql, bool ordered) {
    answer a = {0, 0, false};
    eider_result *r = run(con, sql);
    if (r && !eider_result_error(r)) {
        for (uint64_t row = 0; row < eider_row_count(r); row++) add_row(&a, r, row, ordered);
        a.ok = true;
    } else {
        fprintf(stderr, "query failed: %s\n  %s\n", sql, r ? eider_result_error(r) : "(no result)");
    }
    eider_result_destroy(r);
    return a;
}

/* The streamed answer; *max_column_data and *max_rss (if not NULL) receive the most the pool held
 * under COLUMN_DATA and the largest VmRSS seen between fetches. */
static answer streamed(eider_connection *con, const char *sql, bool ordered, uint64_t *max_column_data,
                       long *max_rss) {
    answer a = {0, 0, false};
    eider_result *r = NULL;
    if (eider_query_streaming(con, sql, &r) != EIDER_SUCCESS) {
        fprintf(stderr, "streaming query failed: %s\n  %s\n", sql, r ? eider_result_error(r) : "(no result)");
        eider_result_destroy(r);
        return a;
    }
    uint64_t batches = 0, n = 0;
    for (;;) {
        if (eider_result_fetch(r, &n) != EIDER_SUCCESS) {
            fprintf(stderr, "fetch failed: %s\n", eider_result_error(r));
            eider_result_destroy(r);
            return a;
        }
        if (n == 0) break;
        for (uint64_t row = 0; row < n; row++) add_row(&a, r, row, ordered);
        if (max_column_data) {
            uint64_t bytes = pool_tag_used_bytes(db->pool, TAG_COLUMN_DATA);
            if (bytes > *max_column_data) *max_column_data = bytes;
        }
        if (max_rss && (batches++ & 63) == 0) {
            long kib = rss_kib();
            if (kib > *max_rss) *max_rss = kib;
        }
    }
    CHECK(eider_row_count(r) == a.rows, "row count %" PRIu64 " vs %" PRIu64 " fetched", eider_row_count(r), a.rows);
    CHECK(eider_result_fetch(r, &n) == EIDER_SUCCESS && n == 0, "fetch after the end gives 0 rows again");
    eider_result_destroy(r);
    a.ok = true;
    return a;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The pool is back to `before` (a table that spilled keeps its temp files: files_expected). */
static void check_clean_files(eider_connection *con, int64_t before, const char *what, bool files_expected) {
    int64_t after = pool_total(con);
    CHECK(after <= before + POOL_SLACK && before <= after + POOL_SLACK, "%s: pool %" PRId64 " after, %" PRId64 " before",
          what, after, before);
    if (!files_expected)
        CHECK(query_i64(con, "SELECT count(*) FROM eider_temporary_files()") == 0, "%s: temp files remain", what);
    CHECK(pool_tag_used_bytes(db->pool, TAG_COLUMN_DATA) == 0, "%s: COLUMN_DATA %" PRIu64 " bytes remain", what,
          pool_tag_used_bytes(db->pool, TAG_COLUMN_DATA));
    CHECK(query_i64(con, "SELECT 41 + 1") == 42, "%s: the next query works", what);
    static double last;
    double now = now_seconds();
    if (last > 0) printf("  %-28s %.2f s\n", what, now - last);
    last = now;
}

static void check_clean(eider_connection *con, int64_t before, const char *what) {
    check_clean_files(con, before, what, false);
}

static const char *BIG_SQL = "SELECT i, 'row number ' || i || ' of the streamed result' AS s, "
                             "CASE WHEN i %% 7 = 0 THEN NULL ELSE i * 0.5 END AS half FROM range(%llu) r(i)";

static uint64_t big_hash; /* of the first run's materialized result */

static void test_big(eider_connection *con, int threads) {
    char sql[512];
    snprintf(sql, sizeof sql, "SET threads = %d", threads);
    CHECK(run_ok(con, sql));
    int64_t before = pool_total(con);
    snprintf(sql, sizeof sql, BIG_SQL, (unsigned long long)BIG_ROWS);
    uint64_t max_column_data = 0;
    long rss_start = rss_kib(), max_rss = rss_start;
    answer s = streamed(con, sql, true, &max_column_data, &max_rss);
    CHECK(s.ok && s.rows == BIG_ROWS, "streamed %" PRIu64 " rows", s.rows);
    printf("threads %d: %" PRIu64 " rows streamed, COLUMN_DATA at most %" PRIu64 " bytes, VmRSS %ld -> at most %ld "
           "KiB\n",
           threads, s.rows, max_column_data, rss_start, max_rss);
    CHECK(max_column_data <= STREAM_COLUMN_DATA_BOUND, "the pool held %" PRIu64 " bytes of batches", max_column_data);
#ifndef EIDER_SANITIZE /* the sanitizers' shadow memory and quarantine are not the pool's */
    CHECK(max_rss <= (long)(LIMIT_BYTES / 1024) + 64 * 1024, "VmRSS %ld KiB while streaming", max_rss);
    /* the result is several times the limit; streamed, the process hardly grows */
    CHECK(max_rss - rss_start <= 16 * 1024, "VmRSS grew by %ld KiB while streaming", max_rss - rss_start);
#endif
    check_clean(con, before, "big stream");
    /* the same rows as the materialized result (which spills: it is larger than the limit) */
    if (threads == 1) {
        answer m = materialized(con, sql, true);
        CHECK(m.ok && m.rows == s.rows, "materialized %" PRIu64 " rows", m.rows);
        big_hash = m.hash;
        check_clean(con, before, "big materialized");
    }
    CHECK(s.hash == big_hash, "hash %016" PRIx64 " vs %016" PRIx64 " materialized", s.hash, big_hash);
    answer m;

    /* a GROUP BY's output is read by every thread at once: the collector is fed concurrently */
    const char *group_sql = "SELECT i % 150007 AS g, count(*) AS n, max(i) AS m FROM range(600000) r(i) GROUP BY g";
    double t0 = now_seconds();
    s = streamed(con, group_sql, false, NULL, NULL);
    double t1 = now_seconds();
    m = materialized(con, group_sql, false);
    printf("  group by: streamed %.2f s, materialized %.2f s\n", t1 - t0, now_seconds() - t1);
    CHECK(s.ok && m.ok && s.rows == 150007 && m.rows == s.rows && m.hash == s.hash, "group by: %" PRIu64
          " rows streamed, %" PRIu64 " materialized", s.rows, m.rows);

    /* a sort that spills, streamed: eider_query's rows in eider_query's order */
    CHECK(run_ok(con, "DROP TABLE IF EXISTS so"));
    snprintf(sql, sizeof sql,
             "CREATE TABLE so AS SELECT i, (i * 7919) %% %llu AS v, 'sorted value ' || ((i * 31) %% 1000003) AS s "
             "FROM range(%llu) r(i)",
             (unsigned long long)SORT_ROWS, (unsigned long long)SORT_ROWS);
    CHECK(run_ok(con, sql));
    int64_t with_table = pool_total(con);
    const char *sort_sql = "SELECT * FROM so ORDER BY s, v";
    t0 = now_seconds();
    s = streamed(con, sort_sql, true, NULL, NULL);
    t1 = now_seconds();
    check_clean_files(con, with_table, "sort stream", true);
    double t2 = now_seconds();
    m = materialized(con, sort_sql, true);
    printf("  sort: streamed %.2f s, materialized %.2f s\n", t1 - t0, now_seconds() - t2);
    CHECK(s.ok && m.ok && s.rows == SORT_ROWS && m.rows == s.rows && m.hash == s.hash,
          "sort: %" PRIu64 " rows streamed, %" PRIu64 " materialized", s.rows, m.rows);
    CHECK(run_ok(con, "DROP TABLE so"));
    check_clean(con, before, "after the sort");
}

/* Destroying a stream part-way: the query stops (also while it is still sorting) and frees all. */
static void test_early_destroy(eider_connection *con) {
    int64_t before = pool_total(con);
    char sql[512];
    snprintf(sql, sizeof sql, BIG_SQL, (unsigned long long)BIG_ROWS);
    eider_result *r = NULL;
    CHECK(eider_query_streaming(con, sql, &r) == EIDER_SUCCESS);
    uint64_t n = 0;
    for (int i = 0; i < 10; i++) CHECK(eider_result_fetch(r, &n) == EIDER_SUCCESS && n == 2048);
    CHECK(eider_value_int64(r, 0, 0) == 9 * 2048, "first value of the 10th batch");
    char *text = eider_value_text(r, 1, 5);
    CHECK(text && !strcmp(text, "row number 18437 of the streamed result"), "text %s", text ? text : "NULL");
    eider_free(text);
    CHECK(eider_value_is_null(r, 2, 0) == ((9 * 2048) % 7 == 0));
    CHECK(eider_value_is_null(r, 0, 2048), "a row past the batch reads as NULL");
    CHECK(eider_row_count(r) == 10 * 2048);
    eider_result_destroy(r);
    check_clean(con, before, "destroyed after 10 batches");

    /* destroyed before the first fetch, while a big sort still runs */
    snprintf(sql, sizeof sql, "SELECT i, 'x' || i AS s FROM range(%llu) r(i) ORDER BY s DESC",
             (unsigned long long)BIG_ROWS);
    r = NULL;
    CHECK(eider_query_streaming(con, sql, &r) == EIDER_SUCCESS);
    CHECK(eider_column_count(r) == 2 && !strcmp(eider_column_name(r, 1), "s") &&
          eider_column_type(r, 1) == EIDER_TYPE_VARCHAR, "columns are known before the first fetch");
    usleep(100 * 1000);
    eider_result_destroy(r);
    check_clean(con, before, "destroyed while sorting");
}

typedef struct interrupter {
    eider_connection *con;
    useconds_t delay;
} interrupter;

static void *interrupt_later(void *arg) {
    interrupter *it = arg;
    usleep(it->delay);
    eider_interrupt(it->con);
    return NULL;
}

static void test_interrupt(eider_connection *con) {
    int64_t before = pool_total(con);
    char sql[512];
    snprintf(sql, sizeof sql, BIG_SQL, (unsigned long long)BIG_ROWS);
    /* between fetches */
    eider_result *r = NULL;
    CHECK(eider_query_streaming(con, sql, &r) == EIDER_SUCCESS);
    uint64_t n = 0;
    CHECK(eider_result_fetch(r, &n) == EIDER_SUCCESS && n > 0);
    eider_interrupt(con);
    CHECK(eider_result_fetch(r, &n) == EIDER_ERROR && n == 0);
    CHECK(eider_result_error_type(r) == EIDER_ERROR_INTERRUPTED, "error %s", eider_result_error(r));
    CHECK(eider_result_fetch(r, &n) == EIDER_ERROR && eider_result_error_type(r) == EIDER_ERROR_INTERRUPTED,
          "fetch fails again");
    eider_result_destroy(r);
    check_clean(con, before, "interrupted between fetches");

    /* from another thread, while the first fetch waits for a sort */
    snprintf(sql, sizeof sql, "SELECT i, 'x' || i AS s FROM range(%llu) r(i) ORDER BY s DESC",
             (unsigned long long)BIG_ROWS);
    r = NULL;
    CHECK(eider_query_streaming(con, sql, &r) == EIDER_SUCCESS);
    interrupter it = {con, 50 * 1000};
    pthread_t t;
    pthread_create(&t, NULL, interrupt_later, &it);
    eider_state st = eider_result_fetch(r, &n);
    while (st == EIDER_SUCCESS && n > 0) st = eider_result_fetch(r, &n);
    pthread_join(t, NULL);
    CHECK(st == EIDER_ERROR && eider_result_error_type(r) == EIDER_ERROR_INTERRUPTED, "error %s",
          eider_result_error(r) ? eider_result_error(r) : "none");
    eider_result_destroy(r);
    check_clean(con, before, "interrupted while sorting");
}

static void test_runtime_error(eider_connection *con) {
    int64_t before = pool_total(con);
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT i, CAST(CASE WHEN i = %llu THEN 'oops' ELSE CAST(i AS VARCHAR) END AS BIGINT) AS c "
             "FROM range(%llu) r(i)",
             (unsigned long long)ERROR_ROW, (unsigned long long)(2 * ERROR_ROW));
    eider_result *r = NULL;
    CHECK(eider_query_streaming(con, sql, &r) == EIDER_SUCCESS, "the error is found while running");
    uint64_t n = 0, rows = 0;
    bool values_ok = true;
    eider_state st;
    while ((st = eider_result_fetch(r, &n)) == EIDER_SUCCESS && n > 0) {
        for (uint64_t i = 0; i < n; i++)
            if (eider_value_int64(r, 1, i) != (int64_t)(rows + i)) values_ok = false;
        rows += n;
    }
    CHECK(values_ok, "the rows before the error are right");
    CHECK(st == EIDER_ERROR && eider_result_error_type(r) == EIDER_ERROR_CONVERSION, "error %s",
          eider_result_error(r) ? eider_result_error(r) : "none");
    CHECK(eider_result_error(r) && strstr(eider_result_error(r), "oops"), "the message names the value");
    CHECK(rows <= ERROR_ROW, "%" PRIu64 " rows before the error", rows);
    eider_result_destroy(r);
    check_clean(con, before, "conversion error");

    /* errors found before running come back from eider_query_streaming */
    r = NULL;
    CHECK(eider_query_streaming(con, "SELEC 1", &r) == EIDER_ERROR && eider_result_error_type(r) == EIDER_ERROR_PARSER);
    CHECK(!eider_result_is_streaming(r));
    CHECK(eider_result_fetch(r, &n) == EIDER_ERROR);
    eider_result_destroy(r);
    r = NULL;
    CHECK(eider_query_streaming(con, "SELECT nope FROM range(3)", &r) == EIDER_ERROR &&
          eider_result_error_type(r) == EIDER_ERROR_BINDER);
    eider_result_destroy(r);
    r = NULL;
    CHECK(eider_query_streaming(con, "SELECT * FROM no_such_table", &r) == EIDER_ERROR &&
          eider_result_error_type(r) == EIDER_ERROR_CATALOG);
    eider_result_destroy(r);
    check_clean(con, before, "errors before running");
}

/* Another query on the connection closes its open stream; so does eider_disconnect. */
static void test_other_query(eider_connection *con) {
    int64_t before = pool_total(con);
    char sql[512];
    snprintf(sql, sizeof sql, BIG_SQL, (unsigned long long)BIG_ROWS);
    eider_result *r = NULL, *r2 = NULL;
    CHECK(eider_query_streaming(con, sql, &r) == EIDER_SUCCESS);
    uint64_t n = 0;
    CHECK(eider_result_fetch(r, &n) == EIDER_SUCCESS && n == 2048);
    CHECK(eider_query(con, "SELECT count(*) FROM range(1000)", &r2) == EIDER_SUCCESS);
    CHECK(eider_value_int64(r2, 0, 0) == 1000);
    eider_result_destroy(r2);
    CHECK(eider_result_fetch(r, &n) == EIDER_ERROR && n == 0 && eider_result_error_type(r) == EIDER_ERROR_INVALID_INPUT,
          "fetch from a closed stream: %s", eider_result_error(r) ? eider_result_error(r) : "no error");
    eider_result_destroy(r);
    check_clean(con, before, "closed by another query");

    /* a stream that was read to its end stays at its end */
    CHECK(eider_query_streaming(con, "SELECT 1 AS one", &r) == EIDER_SUCCESS);
    CHECK(eider_result_fetch(r, &n) == EIDER_SUCCESS && n == 1 && eider_value_int64(r, 0, 0) == 1);
    CHECK(eider_result_fetch(r, &n) == EIDER_SUCCESS && n == 0);
    CHECK(eider_query_streaming(con, "SELECT 2 AS two", &r2) == EIDER_SUCCESS);
    CHECK(eider_result_fetch(r, &n) == EIDER_SUCCESS && n == 0);
    CHECK(eider_result_fetch(r2, &n) == EIDER_SUCCESS && n == 1 && eider_value_int64(r2, 0, 0) == 2);
    eider_result_destroy(r2);
    eider_result_destroy(r);

    /* disconnecting closes the stream; the result is destroyed after */
    eider_connection *other;
    CHECK(eider_connect(db, &other) == EIDER_SUCCESS);
    CHECK(eider_query_streaming(other, sql, &r) == EIDER_SUCCESS);
    CHECK(eider_result_fetch(r, &n) == EIDER_SUCCESS && n == 2048);
    eider_disconnect(other);
    CHECK(eider_result_fetch(r, &n) == EIDER_ERROR && eider_result_error_type(r) == EIDER_ERROR_INVALID_INPUT);
    eider_result_destroy(r);
    check_clean(con, before, "closed by disconnect");
}

static void test_statements(eider_connection *con) {
    int64_t before = pool_total(con);
    eider_result *r = NULL;
    uint64_t n = 0;
    /* statements before the last run to completion; the last one streams */
    CHECK(eider_query_streaming(con,
                                "CREATE TABLE st (a BIGINT, b VARCHAR); INSERT INTO st SELECT i, 'long value number ' "
                                "|| i FROM range(5000) r(i); SELECT b, a FROM st WHERE a % 2 = 1",
                                &r) == EIDER_SUCCESS);
    CHECK(eider_column_count(r) == 2 && eider_column_type(r, 0) == EIDER_TYPE_VARCHAR);
    CHECK(eider_row_count(r) == 0);
    uint64_t total = 0;
    bool ok = true;
    while (eider_result_fetch(r, &n) == EIDER_SUCCESS && n > 0) {
        for (uint64_t i = 0; i < n; i++) {
            int64_t a = eider_value_int64(r, 1, i);
            char expect[64], *b = eider_value_text(r, 0, i);
            snprintf(expect, sizeof expect, "long value number %" PRId64, a);
            if (a != (int64_t)(2 * (total + i) + 1) || !b || strcmp(b, expect)) ok = false;
            eider_free(b);
        }
        total += n;
    }
    CHECK(ok && total == 2500 && eider_row_count(r) == 2500, "%" PRIu64 " rows", total);
    eider_result_destroy(r);

    /* a last statement that is not a query: its rows are fetched the same way */
    CHECK(eider_query_streaming(con, "INSERT INTO st VALUES (1, 'x'), (2, 'y')", &r) == EIDER_SUCCESS);
    CHECK(eider_result_is_streaming(r));
    CHECK(eider_result_fetch(r, &n) == EIDER_SUCCESS && n == 1 && eider_value_int64(r, 0, 0) == 2);
    CHECK(eider_rows_changed(r) == 2);
    CHECK(eider_result_fetch(r, &n) == EIDER_SUCCESS && n == 0);
    eider_result_destroy(r);
    CHECK(eider_query_streaming(con, "DESCRIBE st", &r) == EIDER_SUCCESS);
    CHECK(eider_result_fetch(r, &n) == EIDER_SUCCESS && n == 2);
    char *name = eider_value_text(r, 0, 1);
    CHECK(name && !strcmp(name, "b"));
    eider_free(name);
    eider_result_destroy(r);

    /* fetch does not apply to a materialized result */
    r = run(con, "SELECT 1");
    CHECK(eider_result_fetch(r, &n) == EIDER_ERROR && !eider_result_error(r) && eider_row_count(r) == 1);
    CHECK(!eider_result_is_streaming(r));
    eider_result_destroy(r);

    /* prepared: the bound values are copied, so binding again does not touch the open stream */
    eider_prepared_statement *ps = NULL;
    CHECK(eider_prepare(con, "SELECT a, b || ? AS c FROM st WHERE a < ? ORDER BY a", &ps) == EIDER_SUCCESS);
    CHECK(eider_bind_varchar(ps, 1, " with a long bound suffix") == EIDER_SUCCESS);
    CHECK(eider_bind_int64(ps, 2, 3000) == EIDER_SUCCESS);
    CHECK(eider_execute_streaming(ps, &r) == EIDER_SUCCESS);
    CHECK(eider_bind_varchar(ps, 1, "changed") == EIDER_SUCCESS);
    eider_prepared_destroy(ps);
    total = 0;
    ok = true;
    while (eider_result_fetch(r, &n) == EIDER_SUCCESS && n > 0) {
        for (uint64_t i = 0; i < n; i++) {
            char *c = eider_value_text(r, 1, i);
            if (!c || !strstr(c, " with a long bound suffix")) ok = false;
            eider_free(c);
        }
        total += n;
    }
    CHECK(ok && total == 3002, "prepared: %" PRIu64 " rows", total);
    eider_result_destroy(r);
    CHECK(run_ok(con, "DROP TABLE st"));
    check_clean(con, before, "statements");
}

int main(void) {
    char dir[] = "/tmp/eider_test_streaming_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char temp_dir[sizeof dir + 16];
    snprintf(temp_dir, sizeof temp_dir, "%s/tmp", dir);
    eider_config *cfg;
    eider_config_create(&cfg);
    eider_config_set(cfg, "memory_limit", "48MB");
    eider_config_set(cfg, "temp_directory", temp_dir);
    char *error = NULL;
    if (eider_open(NULL, cfg, &db, &error) != EIDER_SUCCESS) {
        fprintf(stderr, "open: %s\n", error);
        eider_free(error);
        return 1;
    }
    eider_config_destroy(cfg);
    eider_connection *con;
    eider_connect(db, &con);
    for (int threads = 1; threads <= 2; threads++) {
        char sql[64];
        snprintf(sql, sizeof sql, "SET threads = %d", threads);
        CHECK(run_ok(con, sql));
        test_big(con, threads);
        test_early_destroy(con);
        test_interrupt(con);
        test_runtime_error(con);
        test_other_query(con);
        test_statements(con);
    }
    eider_disconnect(con);
    eider_close(db);
    rmdir(temp_dir);
    rmdir(dir);
    return test_summary();
}
