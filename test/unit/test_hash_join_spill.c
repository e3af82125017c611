/* Hash joins larger than their memory budget: the partitioned build and probe.
 *
 * 1. Through the public API, memory_limit 32MB, threads 1 and 2: INNER, LEFT, RIGHT, FULL, SEMI and
 *    ANTI joins whose build side (a VARCHAR column, about half a million rows, a third of them
 *    without a match, some with NULL keys) passes the join's budget, on an integer key (and INNER
 *    also on a VARCHAR key); each answer equals the unlimited run's, the join's partitions were seen in temp
 *    storage while it ran, and afterwards the pool and the temp files hold only what the tables
 *    hold.
 * 2. Skew: a build side where one key has most of the rows (its partition cannot be split, and is
 *    joined in passes over slices of its build rows) still gives the unlimited run's answer, also
 *    for RIGHT and FULL joins, which emit each slice's unmatched build rows after its pass.
 * 3. A spilling join interrupted from another thread (while building, and later while joining the
 *    spilled partitions) leaves nothing behind; so does one that fails on the temp directory limit.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "eider.h"
#include "main/database.h"

#define TEST_UTIL_SQL
#include "test_util.h"

static char tmp_root[256];

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The first row of a result as text ("a|b|c"), in buf. False on an error. */
static bool query_row(eider_connection *con, const char *sql, char *buf, size_t size) {
    eider_result *r = run(con, sql);
    buf[0] = 0;
    bool ok = r && !eider_result_error(r) && eider_row_count(r) > 0;
    if (!ok) fprintf(stderr, "%s: %s\n", sql, r && eider_result_error(r) ? eider_result_error(r) : "no row");
    for (uint64_t c = 0; ok && c < eider_column_count(r); c++) {
        char *v = eider_value_is_null(r, c, 0) ? NULL : eider_value_text(r, c, 0);
        size_t len = strlen(buf);
        snprintf(buf + len, size - len, "%s%s", c ? "|" : "", v ? v : "NULL");
        eider_free(v);
    }
    eider_result_destroy(r);
    return ok;
}

/* After a query: the join holds nothing, the tables hold what they held, and a temp file remains
 * only while some table block is spilled. */
static void check_clean(eider_database *db, eider_connection *con, int64_t tables_before, const char *what) {
    CHECK(pool_tag_used_bytes(db->pool, TAG_HASH_TABLE) == 0 && pool_tag_temporary_bytes(db->pool, TAG_HASH_TABLE) == 0,
          "%s: HASH_TABLE bytes left", what);
    check_tables_and_temp_files(con, tables_before, what);
}

/* Watches the pool from another thread: the highest HASH_TABLE temporary bytes. */
typedef struct watcher {
    eider_database *db;
    atomic_bool stop;
    uint64_t max_spilled;
    pthread_t thread;
} watcher;

static void *watch(void *arg) {
    watcher *w = arg;
    while (!atomic_load(&w->stop)) {
        uint64_t t = pool_tag_temporary_bytes(w->db->pool, TAG_HASH_TABLE);
        if (t > w->max_spilled) w->max_spilled = t;
        usleep(1000);
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

/* a: probe side, ids 0..n-1; b: build side, every other id (and some NULL keys), long strings. */
static void create_tables(eider_connection *con, int64_t rows) {
    char sql[1024];
    snprintf(sql, sizeof sql,
             "CREATE TABLE a AS SELECT i AS id, 'probe row ' || i || ' with some text' AS ps, i %% 7 AS g "
             "FROM range(%" PRId64 ") r(i)",
             rows);
    CHECK(run_ok(con, sql), "create a");
    snprintf(sql, sizeof sql,
             "CREATE TABLE b AS SELECT CASE WHEN i %% 1000 = 999 THEN NULL ELSE i * 2 END AS id, "
             "'build value ' || i || ' of a string about fifty bytes' AS bs FROM range(%" PRId64 ") r(i)",
             rows * 2 / 3);
    CHECK(run_ok(con, sql), "create b");
}

static const char *JOIN_QUERIES[] = {
    "SELECT count(*), sum(a.id), max(bs), min(ps), sum(length(bs)) FROM a JOIN b ON a.id = b.id",
    "SELECT count(*), count(bs), sum(a.id), max(bs), sum(length(ps)) FROM a LEFT JOIN b ON a.id = b.id",
    "SELECT count(*), sum(id), max(ps) FROM a SEMI JOIN b ON a.id = b.id",
    "SELECT count(*), sum(id), max(ps) FROM a ANTI JOIN b ON a.id = b.id",
    "SELECT count(*), sum(a.id), max(bs) FROM a JOIN b ON a.id::VARCHAR = b.id::VARCHAR",
    "SELECT g, count(*), sum(length(bs)) FROM a JOIN b ON a.id = b.id GROUP BY g ORDER BY g LIMIT 1",
    "SELECT count(*), count(a.id), count(b.id), sum(b.id), min(bs), max(ps) FROM a RIGHT JOIN b ON a.id = b.id",
    "SELECT count(*), count(a.id), count(bs), sum(a.id), sum(b.id), max(bs), max(ps) FROM a FULL JOIN b ON a.id = b.id",
};
#define QUERY_COUNT (sizeof JOIN_QUERIES / sizeof JOIN_QUERIES[0])

/* ---- 1. joins larger than the budget ------------------------------------------------------------ */

static void test_join_spill(int threads, int64_t rows) {
    char dir[512], what[600];
    snprintf(dir, sizeof dir, "%s/db%d", tmp_root, threads);
    eider_connection *con;
    eider_database *db = open_db("32MB", threads, dir, &con);
    CHECK(db != NULL);
    if (!db) return;
    create_tables(con, rows);
    int64_t tables = table_bytes(con);
    for (uint32_t q = 0; q < QUERY_COUNT; q++) {
        char expected[1024], got[1024];
        CHECK(run_ok(con, "SET memory_limit = '4GB'"));
        CHECK(query_row(con, JOIN_QUERIES[q], expected, sizeof expected), "unlimited %u", q);
        CHECK(run_ok(con, "SET memory_limit = '32MB'"));
        watcher w;
        watch_start(&w, db);
        double t0 = now();
        bool ok = query_row(con, JOIN_QUERIES[q], got, sizeof got);
        double secs = now() - t0;
        watch_stop(&w);
        snprintf(what, sizeof what, "threads %d: %s", threads, JOIN_QUERIES[q]);
        CHECK(ok && !strcmp(expected, got), "%s: '%s' vs '%s'", what, got, expected);
        CHECK(w.max_spilled > 0, "%s: the join did not spill", what);
        printf("threads %d, query %u: %.2f s, %.1f MiB of the join spilled: %s\n", threads, q, secs,
               w.max_spilled / 1048576.0, got);
        check_clean(db, con, tables, what);
    }
    CHECK(run_ok(con, "DROP TABLE a, b"));
    CHECK(query_int(con, "SELECT count(*) FROM eider_temporary_files()") == 0);
    eider_disconnect(con);
    eider_close(db);
}

/* ---- 2. skew --------------------------------------------------------------------------------- */

static void test_skew(int threads, int64_t rows) {
    char dir[512], sql[1024];
    snprintf(dir, sizeof dir, "%s/skew%d", tmp_root, threads);
    eider_connection *con;
    eider_database *db = open_db("32MB", threads, dir, &con);
    CHECK(db != NULL);
    if (!db) return;
    /* 80% of the build rows have key 7 */
    snprintf(sql, sizeof sql,
             "CREATE TABLE b AS SELECT CASE WHEN i %% 5 = 0 THEN i ELSE 7 END AS id, "
             "'skewed build value ' || i AS bs FROM range(%" PRId64 ") r(i)",
             rows);
    CHECK(run_ok(con, sql), "create b");
    /* big enough that every join still builds the skewed side: RIGHT and FULL by row counts
     * (bind_from.c), INNER by estimated bytes (join_prune in hash_join.c) */
    CHECK(run_ok(con, "CREATE TABLE a AS SELECT i AS id FROM range(1000000) r(i)"), "create a");
    int64_t tables = table_bytes(con);
    const char *queries[] = {
        "SELECT count(*), sum(a.id), max(bs), sum(length(bs)) FROM a JOIN b ON a.id = b.id",
        "SELECT count(*), count(bs) FROM a LEFT JOIN b ON a.id = b.id",
        "SELECT count(*), sum(id) FROM a SEMI JOIN b ON a.id = b.id",
        "SELECT count(*), count(a.id), count(bs), sum(b.id), max(bs) FROM a RIGHT JOIN b ON a.id = b.id",
        "SELECT count(*), count(a.id), count(b.id), sum(a.id), sum(length(bs)) FROM a FULL JOIN b ON a.id = b.id",
    };
    for (uint32_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
        char expected[1024], got[1024];
        CHECK(run_ok(con, "SET memory_limit = '4GB'"));
        CHECK(query_row(con, queries[q], expected, sizeof expected));
        CHECK(run_ok(con, "SET memory_limit = '32MB'"));
        watcher w;
        watch_start(&w, db);
        bool ok = query_row(con, queries[q], got, sizeof got);
        watch_stop(&w);
        CHECK(ok && !strcmp(expected, got), "skew threads %d: %s: '%s' vs '%s'", threads, queries[q], got, expected);
        CHECK(w.max_spilled > 0, "skew: the join did not spill");
        check_clean(db, con, tables, "skew");
    }
    CHECK(run_ok(con, "DROP TABLE a, b"));
    eider_disconnect(con);
    eider_close(db);
}

/* ---- 3. interrupts and errors ------------------------------------------------------------------- */

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

/* Interrupts the join once it has spilled, or (at > 0) `at` seconds after it started if that is
 * later (the query may then finish first: only a query that was interrupted must fail). */
static void interrupt_spilling_join(eider_database *db, eider_connection *con, int64_t tables, double at) {
    runner r = {.con = con, .sql = JOIN_QUERIES[0]};
    atomic_init(&r.done, false);
    pthread_t t;
    double t0 = now();
    pthread_create(&t, NULL, run_thread, &r);
    while (!atomic_load(&r.done) && pool_tag_temporary_bytes(db->pool, TAG_HASH_TABLE) == 0 && now() - t0 < 60)
        usleep(500);
    bool spilled = pool_tag_temporary_bytes(db->pool, TAG_HASH_TABLE) > 0;
    while (!atomic_load(&r.done) && now() - t0 < at) usleep(1000);
    eider_interrupt(con);
    pthread_join(t, NULL);
    CHECK(spilled || atomic_load(&r.done), "the join spilled before the interrupt");
    bool finished = r.result && !eider_result_error(r.result);
    CHECK((at > 0 && finished) || (r.result && eider_result_error_type(r.result) == EIDER_ERROR_INTERRUPTED),
          "interrupt at %.2f s: %s", at, r.result && eider_result_error(r.result) ? eider_result_error(r.result) : "finished first");
    eider_result_destroy(r.result);
    check_clean(db, con, tables, "interrupted join");
    CHECK(query_int(con, "SELECT 42") == 42, "the next query runs");
}

static void test_interrupt_and_errors(int64_t rows) {
    char dir[300];
    snprintf(dir, sizeof dir, "%s/intr", tmp_root);
    eider_connection *con;
    eider_database *db = open_db("32MB", 2, dir, &con);
    CHECK(db != NULL);
    if (!db) return;
    create_tables(con, rows);
    int64_t tables = table_bytes(con);
    double t0 = now();
    CHECK(run_ok(con, JOIN_QUERIES[0]), "uninterrupted");
    double whole = now() - t0;
    interrupt_spilling_join(db, con, tables, 0);
    interrupt_spilling_join(db, con, tables, 0.5 * whole);
    /* a temp directory too small for the join's partitions */
    int64_t spilled = query_int(con, "SELECT sum(temporary_storage_bytes) FROM eider_memory()");
    char sql[200];
    snprintf(sql, sizeof sql, "SET max_temp_directory_size = '%" PRId64 "B'", spilled + 2 * 1024 * 1024);
    CHECK(run_ok(con, sql));
    eider_result *r = run(con, JOIN_QUERIES[1]);
    CHECK(r && eider_result_error_type(r) == EIDER_ERROR_TEMP_DIRECTORY_LIMIT, "temp directory limit: %s",
          r && eider_result_error(r) ? eider_result_error(r) : "no error");
    eider_result_destroy(r);
    check_clean(db, con, tables, "temp directory limit");
    CHECK(run_ok(con, "RESET max_temp_directory_size"));
    CHECK(run_ok(con, "DROP TABLE a, b"));
    CHECK(query_int(con, "SELECT count(*) FROM eider_temporary_files()") == 0);
    eider_disconnect(con);
    eider_close(db);
}

int main(void) {
    snprintf(tmp_root, sizeof tmp_root, "/tmp/eider_joinspill_XXXXXX");
    if (!mkdtemp(tmp_root)) {
        perror("mkdtemp");
        return 1;
    }
    int64_t rows = 800000; /* smaller builds fit in the budget: the join would not spill */
    test_join_spill(2, rows);
    test_join_spill(1, rows);
    test_skew(2, 400000);
    test_skew(1, 400000);
    test_interrupt_and_errors(rows);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -r '%s'", tmp_root);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp_root);
    return test_summary();
}
