/* Window functions over more rows than memory_limit: sorted runs spilled, partitions evaluated one
 * at a time from the merge.
 *
 * 1. Through the public API, memory_limit 24MB, threads 1 and 2: window queries over a table larger
 *    than the limit — row_number over many small partitions, and several functions and frames at
 *    once (a sliding sum, lag with a default, rank, a sliding max of a VARCHAR, a running count) —
 *    give the same rows as without a limit (an order-independent hash of every value of every
 *    row); the operator's runs are seen in temp storage while it runs; afterwards the WINDOW tag
 *    holds nothing and the tables hold what they held.
 * 2. One partition of every row, several times the window's budget (600,000 rows under 32MB):
 *    row_number, lag/lead, running, sliding and whole-partition frames, ranks and peer frames give
 *    the same rows as without a limit (results streamed and hashed), the partition's pages go to
 *    temp files, and nothing is left afterwards; so do frames over most of the partition (a sliding
 *    max, a VARCHAR min, a sum with per-row offsets, GROUPS offsets over every peer group).
 * 3. A spilling window query interrupted from another thread leaves nothing behind.
 * After the tables are dropped no temp file remains. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "eider.h"
#include "main/database.h"

#include "../result_hash.h"
#define TEST_UTIL_SQL
#include "test_util.h"

#if defined(EIDER_SANITIZE) || defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

static char tmp_root[256];

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Order-independent hash of every row (each row's values as text, NULL as \N). */
static uint64_t result_hash(const eider_result *r) {
    uint64_t total = 0, rows = eider_row_count(r);
    for (uint64_t row = 0; row < rows; row++) total += result_row_hash(r, row);
    return total;
}

/* After a query: the window holds nothing, the tables hold what they held, and a temp file
 * remains only while some block is spilled. */
static void check_clean(eider_database *db, eider_connection *con, int64_t tables_before, const char *what) {
    CHECK(query_int(con, "SELECT memory_usage_bytes + temporary_storage_bytes FROM eider_memory() WHERE tag = 'WINDOW'") == 0,
          "%s: WINDOW bytes left", what);
    CHECK(query_int(con, "SELECT memory_usage_bytes + temporary_storage_bytes FROM eider_memory() WHERE tag = 'COLUMN_DATA'") == 0,
          "%s: result bytes left", what);
    check_tables_and_temp_files(con, tables_before, what);
    CHECK(pool_used_bytes(db->pool) <= pool_memory_limit(db->pool));
}

/* Watches the pool from another thread while a query runs: the highest WINDOW temporary bytes (the
 * operator's runs written to temp files). */
typedef struct watcher {
    eider_database *db;
    atomic_bool stop;
    uint64_t max_window_spilled;
    pthread_t thread;
} watcher;

static void *watch(void *arg) {
    watcher *w = arg;
    while (!atomic_load(&w->stop)) {
        uint64_t t = pool_tag_temporary_bytes(w->db->pool, TAG_WINDOW);
        if (t > w->max_window_spilled) w->max_window_spilled = t;
        usleep(2000);
    }
    return NULL;
}

static void watch_start(watcher *w, eider_database *db) {
    memset(w, 0, sizeof *w);
    w->db = db;
    atomic_init(&w->stop, false);
    pthread_create(&w->thread, NULL, watch, w);
}

static void watch_stop(watcher *w) {
    atomic_store(&w->stop, true);
    pthread_join(w->thread, NULL);
}

static eider_database *open_db(const char *limit, int threads, const char *temp_dir, eider_connection **con) {
    eider_config *cfg;
    eider_config_create(&cfg);
    char t[16];
    snprintf(t, sizeof t, "%d", threads);
    eider_config_set(cfg, "threads", t);
    eider_config_set(cfg, "memory_limit", limit);
    eider_config_set(cfg, "temp_directory", temp_dir);
    eider_database *db = NULL;
    char *error = NULL;
    if (eider_open(NULL, cfg, &db, &error) != EIDER_SUCCESS || eider_connect(db, con) != EIDER_SUCCESS) {
        fprintf(stderr, "open: %s\n", error ? error : "?");
        eider_free(error);
        eider_config_destroy(cfg);
        return NULL;
    }
    eider_config_destroy(cfg);
    return db;
}

static const char *LIMIT = "24MB";

static const char *QUERIES[] = {
    /* many partitions of a few rows, every column */
    "SELECT *, row_number() OVER (PARTITION BY k ORDER BY v) AS rn FROM t",
    /* several functions and frames over the same window */
    "SELECT id, sum(amount) OVER w AS sa, lag(v, 1, -1) OVER w AS l, rank() OVER w AS r, "
    "max(s) OVER (PARTITION BY k ORDER BY v ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS ms, "
    "count(*) OVER (PARTITION BY k ORDER BY v) AS c "
    "FROM t WINDOW w AS (PARTITION BY k ORDER BY v ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)",
    /* a VARCHAR partition key */
    "SELECT id, first_value(id) OVER (PARTITION BY s ORDER BY id) AS f, count(*) OVER (PARTITION BY s) AS n FROM t",
};
#define QUERY_COUNT (sizeof QUERIES / sizeof QUERIES[0])

/* ---- 1. answers under the limit equal the answers without it ------------------------------------ */

static void test_spill(int threads, int64_t rows) {
    char dir[512], sql[1024], what[64];
    snprintf(dir, sizeof dir, "%s/db%d", tmp_root, threads);
    eider_connection *con;
    eider_database *db = open_db("4GB", threads, dir, &con);
    CHECK(db != NULL);
    if (!db) return;
    snprintf(sql, sizeof sql,
             "CREATE TABLE t AS SELECT range AS id, (range * 2654435761) %% %" PRId64 " AS k, "
             "(range * 7919) %% %" PRId64 " AS v, CAST(range %% 1000 AS DOUBLE) * 0.25 AS amount, "
             "'value ' || ((range * 31) %% %" PRId64 ") || ' of the s column' AS s FROM range(%" PRId64 ")",
             rows * 43 / 100, rows, rows / 3, rows);
    CHECK(run_ok(con, sql), "create t");
    uint64_t reference[QUERY_COUNT];
    for (size_t q = 0; q < QUERY_COUNT; q++) {
        eider_result *r = run(con, QUERIES[q]);
        CHECK(r && !eider_result_error(r), "reference %zu: %s", q, r && eider_result_error(r) ? eider_result_error(r) : "");
        reference[q] = r && !eider_result_error(r) ? result_hash(r) : 0;
        CHECK(!r || eider_result_error(r) || eider_row_count(r) == (uint64_t)rows);
        eider_result_destroy(r);
    }
    snprintf(sql, sizeof sql, "SET memory_limit='%s'", LIMIT);
    CHECK(run_ok(con, sql), "set memory_limit");
    int64_t tables = table_bytes(con);

    for (size_t q = 0; q < QUERY_COUNT; q++) {
        snprintf(what, sizeof what, "threads %d: query %zu", threads, q);
        watcher w;
        watch_start(&w, db);
        double t0 = now();
        eider_result *r = run(con, QUERIES[q]);
        double seconds = now() - t0;
        watch_stop(&w);
        CHECK(r && !eider_result_error(r), "%s: %s", what, r && eider_result_error(r) ? eider_result_error(r) : "");
        if (r && !eider_result_error(r)) {
            CHECK(eider_row_count(r) == (uint64_t)rows, "%s: %" PRIu64 " rows", what, eider_row_count(r));
            CHECK(result_hash(r) == reference[q], "%s: the answer differs from the unlimited run", what);
        }
        eider_result_destroy(r);
        printf("%s: %.2f s, WINDOW spilled up to %.1f MB\n", what, seconds, (double)w.max_window_spilled / 1e6);
        CHECK(w.max_window_spilled > 0, "%s: the window wrote no runs to temp files", what);
        check_clean(db, con, tables, what);
    }

    CHECK(run_ok(con, "DROP TABLE t"), "drop t");
    CHECK(query_int(con, "SELECT count(*) FROM eider_temporary_files()") == 0, "temp files after the drop");
    CHECK(query_int(con, "SELECT sum(memory_usage_bytes + temporary_storage_bytes) FROM eider_memory() "
                         "WHERE tag NOT IN ('METADATA', 'ALLOCATOR')") == 0,
          "pool after the drop");
    eider_disconnect(con);
    eider_close(db);
}

/* ---- 2. one partition larger than the budget ------------------------------------------------------ */

/* Order-independent hash of a streamed result (nothing is materialized); rows counted in *rows. */
static bool stream_hash(eider_connection *con, const char *sql, uint64_t *hash, uint64_t *rows, char *error_text,
                        size_t error_size) {
    eider_result *r = NULL;
    *hash = *rows = 0;
    error_text[0] = 0;
    if (eider_query_streaming(con, sql, &r) == EIDER_SUCCESS) {
        uint64_t n;
        while (eider_result_fetch(r, &n) == EIDER_SUCCESS && n > 0) {
            for (uint64_t row = 0; row < n; row++) *hash += result_row_hash(r, row);
            *rows += n;
        }
    }
    bool ok = r && !eider_result_error(r);
    if (!ok) snprintf(error_text, error_size, "%s", r && eider_result_error(r) ? eider_result_error(r) : "no result");
    eider_result_destroy(r);
    return ok;
}

static const char *HUGE_QUERIES[] = {
    /* rows in order (ties broken by id): streaming, bounded offsets, sliding, running and whole frames */
    "SELECT id, s, row_number() OVER w AS rn, lag(s) OVER w AS lg, lead(id, 2, -1) OVER w AS ld, "
    "sum(x) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS rs, "
    "sum(x) OVER (w ROWS BETWEEN 5 PRECEDING AND 5 FOLLOWING) AS ss, "
    "max(s) OVER (w ROWS BETWEEN 3 PRECEDING AND 1 FOLLOWING) AS ms, "
    "first_value(s) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS fv, "
    "last_value(id) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS lv "
    "FROM t WINDOW w AS (ORDER BY v, id)",
    /* peers: ranks, a running sum over peer groups, GROUPS and RANGE frames, a whole-partition average
     * (s read too: the rows are then wide enough to spill with the sanitizers' smaller table) */
    "SELECT id, s, rank() OVER w AS r, dense_rank() OVER w AS dr, cume_dist() OVER w AS cd, sum(x) OVER w AS rs, "
    "count(*) OVER (w GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS gc, "
    "min(id) OVER (w RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) AS mi, avg(x) OVER () AS a "
    "FROM t WINDOW w AS (ORDER BY g)",
    /* the same partition behind a PARTITION BY key: the bucket that holds it is larger than memory */
    "SELECT id, s, row_number() OVER w AS rn, lag(s) OVER w AS lg, "
    "sum(x) OVER (w ROWS BETWEEN 5 PRECEDING AND 5 FOLLOWING) AS ss, "
    "last_value(id) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS lv "
    "FROM t WINDOW w AS (PARTITION BY x >= 0 ORDER BY v, id)",
    /* frames over most of the partition: a segment tree over all of it, whose nodes (and the
     * strings of a VARCHAR min) go to evictable blocks, and GROUPS offsets over every peer group */
    "SELECT id, s, max(v) OVER (ORDER BY id ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS m, "
    "min(s) OVER (ORDER BY id DESC ROWS BETWEEN 300000 PRECEDING AND 3 FOLLOWING) AS ms, "
    "sum(x) OVER (ORDER BY v, id ROWS BETWEEN 250000 PRECEDING AND x FOLLOWING) AS sx, "
    "count(*) OVER (ORDER BY v GROUPS BETWEEN 40000 PRECEDING AND 2 FOLLOWING) AS gc FROM t",
};
#define HUGE_QUERY_COUNT (sizeof HUGE_QUERIES / sizeof HUGE_QUERIES[0])

static void test_huge_partition(int threads, int64_t rows) {
    char dir[512], sql[1024], what[96], error_text[512];
    snprintf(dir, sizeof dir, "%s/huge%d", tmp_root, threads);
    eider_connection *con;
    eider_database *db = open_db("4GB", threads, dir, &con);
    CHECK(db != NULL);
    if (!db) return;
    snprintf(sql, sizeof sql,
             "CREATE TABLE t AS SELECT range AS id, (range * 7919) %% %" PRId64 " AS v, range %% 1000 AS x, "
             "((range * 7919) %% %" PRId64 ") // 1000 AS g, 'value ' || range || ' of the s column' AS s "
             "FROM range(%" PRId64 ")",
             rows / 3, rows / 3, rows);
    CHECK(run_ok(con, sql), "create t");
    uint64_t reference[HUGE_QUERY_COUNT], n;
    for (size_t q = 0; q < HUGE_QUERY_COUNT; q++) {
        CHECK(stream_hash(con, HUGE_QUERIES[q], &reference[q], &n, error_text, sizeof error_text), "reference %zu: %s",
              q, error_text);
        CHECK(n == (uint64_t)rows, "reference %zu: %" PRIu64 " rows", q, n);
    }
    CHECK(run_ok(con, "SET memory_limit='32MB'"), "set memory_limit");
    int64_t tables = table_bytes(con);

    /* every row in one partition, several times the window's budget */
    for (size_t q = 0; q < HUGE_QUERY_COUNT; q++) {
        snprintf(what, sizeof what, "one partition, threads %d: query %zu", threads, q);
        watcher w;
        watch_start(&w, db);
        double t0 = now();
        uint64_t hash;
        bool ok = stream_hash(con, HUGE_QUERIES[q], &hash, &n, error_text, sizeof error_text);
        double seconds = now() - t0;
        watch_stop(&w);
        CHECK(ok, "%s: %s", what, error_text);
        CHECK(n == (uint64_t)rows, "%s: %" PRIu64 " rows", what, n);
        CHECK(hash == reference[q], "%s: the answer differs from the unlimited run", what);
        printf("%s: %.2f s, WINDOW spilled up to %.1f MB\n", what, seconds, (double)w.max_window_spilled / 1e6);
        CHECK(w.max_window_spilled > 0, "%s: the window wrote nothing to temp files", what);
        check_clean(db, con, tables, what);
    }

    CHECK(query_int(con, "SELECT count(*) FROM (SELECT *, row_number() OVER (PARTITION BY id % 100000 ORDER BY v) FROM t)") ==
          rows);
    check_clean(db, con, tables, "small partitions");
    CHECK(run_ok(con, "DROP TABLE t"));
    CHECK(query_int(con, "SELECT count(*) FROM eider_temporary_files()") == 0);
    CHECK(query_int(con, "SELECT sum(memory_usage_bytes + temporary_storage_bytes) FROM eider_memory() "
                         "WHERE tag NOT IN ('METADATA', 'ALLOCATOR')") == 0,
          "pool after the drop");
    eider_disconnect(con);
    eider_close(db);
}

/* ---- 3. interrupting a spilling window query ------------------------------------------------------- */

typedef struct runner {
    eider_connection *con;
    const char *sql;
    eider_result *result;
    atomic_bool done;
} runner;

static void *run_thread(void *arg) {
    runner *r = arg;
    eider_query(r->con, r->sql, &r->result);
    atomic_store(&r->done, true);
    return NULL;
}

/* Interrupts the query once the window has spilled, or `at` seconds after it started if later. */
static void interrupt_spilling_window(eider_database *db, eider_connection *con, int64_t tables, const char *sql,
                                      double at) {
    runner r = {.con = con, .sql = sql};
    atomic_init(&r.done, false);
    pthread_t t;
    double t0 = now();
    pthread_create(&t, NULL, run_thread, &r);
    while (!atomic_load(&r.done) && pool_tag_temporary_bytes(db->pool, TAG_WINDOW) == 0 && now() - t0 < 60)
        usleep(1000);
    bool spilled = pool_tag_temporary_bytes(db->pool, TAG_WINDOW) > 0;
    while (!atomic_load(&r.done) && now() - t0 < at) usleep(1000);
    eider_interrupt(con);
    pthread_join(t, NULL);
    CHECK(spilled, "the window spilled before the interrupt");
    CHECK(r.result && eider_result_error_type(r.result) == EIDER_ERROR_INTERRUPTED, "interrupt at %.2f s: %s", at,
          r.result && eider_result_error(r.result) ? eider_result_error(r.result) : "finished first");
    eider_result_destroy(r.result);
    check_clean(db, con, tables, "interrupted window");
    CHECK(query_int(con, "SELECT 42") == 42, "the next query runs");
}

static void test_interrupt(int64_t rows) {
    char dir[300], sql[512];
    snprintf(dir, sizeof dir, "%s/intr", tmp_root);
    eider_connection *con;
    eider_database *db = open_db(LIMIT, 2, dir, &con);
    CHECK(db != NULL);
    if (!db) return;
    snprintf(sql, sizeof sql,
             "CREATE TABLE t AS SELECT range AS id, (range * 2654435761) %% %" PRId64 " AS k, (range * 7919) %% %" PRId64
             " AS v, 'value ' || range || ' of the s column' AS s FROM range(%" PRId64 ")",
             rows / 2, rows, rows);
    CHECK(run_ok(con, sql), "create t");
    int64_t tables = table_bytes(con);
    const char *q = "SELECT count(*), sum(rn), max(s) FROM (SELECT s, row_number() OVER (PARTITION BY k ORDER BY v) AS rn "
                    "FROM t)";
    double t0 = now();
    CHECK(run_ok(con, q), "uninterrupted");
    double whole = now() - t0;
    interrupt_spilling_window(db, con, tables, q, 0);
    interrupt_spilling_window(db, con, tables, q, 0.5 * whole);
    CHECK(run_ok(con, "DROP TABLE t"));
    CHECK(query_int(con, "SELECT count(*) FROM eider_temporary_files()") == 0);
    eider_disconnect(con);
    eider_close(db);
}

int main(void) {
    snprintf(tmp_root, sizeof tmp_root, "/tmp/eider_windowspill_XXXXXX");
    if (!mkdtemp(tmp_root)) {
        perror("mkdtemp");
        return 1;
    }
    int64_t rows = SANITIZED ? 200000 : 300000;
    test_spill(2, rows);
    test_spill(1, rows);
    test_huge_partition(2, SANITIZED ? 200000 : 600000);
    if (!SANITIZED) test_huge_partition(1, 300000);
    test_interrupt(rows);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -r '%s'", tmp_root);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp_root);
    return test_summary();
}
