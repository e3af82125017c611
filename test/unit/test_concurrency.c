/*
 * test_concurrency.c — many connections on many threads at once, through the public API only:
 * appenders and INSERTs adding batches of exactly BATCH rows to a shared table while readers check
 * that they only ever see whole batches; each thread creating, loading and dropping its own
 * tables; and all threads racing CREATE / DROP / INSERT / append / SELECT on one table name, where
 * the only errors allowed are Catalog Errors. At the end every row of every successful batch is
 * there exactly once and the pool holds nothing but metadata.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eider.h"
#include "main/database.h"
#include "memory/pool.h"
#include "test_util.h"

#define THREADS 6
#define OPS_PER_THREAD 200
#define BATCH 1000

typedef struct shared_state {
    eider_database *db;
    atomic_int_fast64_t shared_batches; /* batches committed into table `shared` */
    atomic_int unexpected;              /* errors that are not allowed */
    atomic_int torn_reads;              /* reads that saw part of a batch */
    atomic_int catalog_races;           /* Catalog Errors from the race on `race` (allowed) */
    atomic_int race_successes;          /* operations on `race` that succeeded */
} shared_state;

typedef struct worker {
    shared_state *st;
    int id;
    uint64_t rng;
    eider_connection *con;
    int64_t next_batch;
} worker;

static uint64_t next_random(worker *w) {
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 7;
    w->rng ^= w->rng << 17;
    return w->rng;
}

static void unexpected(worker *w, const char *what, const char *msg) {
    atomic_fetch_add(&w->st->unexpected, 1);
    fprintf(stderr, "thread %d: %s: %s\n", w->id, what, msg ? msg : "(no message)");
}

/* Runs sql; returns the first value as int64 through *first (when not NULL and there is a row).
 * Returns the error type (EIDER_ERROR_NONE on success). Catalog Errors are reported to the caller;
 * any other error counts as unexpected. */
static eider_error_type run(worker *w, const char *sql, int64_t *first) {
    eider_result *r = NULL;
    eider_query(w->con, sql, &r);
    eider_error_type t = eider_result_error_type(r);
    if (t == EIDER_ERROR_NONE) {
        if (first && eider_row_count(r) > 0) *first = eider_value_int64(r, 0, 0);
    } else if (t != EIDER_ERROR_CATALOG) {
        unexpected(w, sql, eider_result_error(r));
    }
    eider_result_destroy(r);
    return t;
}

/* Runs sql that must succeed. */
static int64_t run_ok(worker *w, const char *sql) {
    int64_t v = -1;
    if (run(w, sql, &v) != EIDER_ERROR_NONE) unexpected(w, sql, "Catalog Error where none is possible");
    return v;
}

/* Appends one batch of BATCH rows with the given batch id into `table` and flushes. Returns the
 * error type of the first failure (Catalog Errors are the caller's to judge). */
static eider_error_type append_batch(worker *w, const char *table, int64_t batch) {
    eider_appender *app = NULL;
    if (eider_appender_create(w->con, NULL, table, &app) != EIDER_SUCCESS) {
        eider_error_type t = eider_appender_error_type(app);
        if (t != EIDER_ERROR_CATALOG) unexpected(w, "appender create", eider_appender_error(app));
        eider_appender_destroy(app);
        return t;
    }
    char text[64];
    for (int i = 0; i < BATCH; i++) {
        int len = snprintf(text, sizeof text, "batch %lld row %d", (long long)batch, i);
        if (eider_append_int64(app, batch) != EIDER_SUCCESS || eider_append_int32(app, i) != EIDER_SUCCESS ||
            eider_append_varchar_length(app, text, (uint64_t)len) != EIDER_SUCCESS ||
            eider_appender_end_row(app) != EIDER_SUCCESS) {
            unexpected(w, "append", eider_appender_error(app));
            eider_appender_destroy(app);
            return EIDER_ERROR_INTERNAL;
        }
    }
    eider_error_type t = EIDER_ERROR_NONE;
    if (eider_appender_flush(app) != EIDER_SUCCESS) {
        t = eider_appender_error_type(app);
        if (t != EIDER_ERROR_CATALOG) unexpected(w, "flush", eider_appender_error(app));
    }
    eider_appender_destroy(app); /* nothing left to flush after a success; after a failure it fails again */
    return t;
}

/* A reader's check of a table loaded in whole batches. */
static void check_whole_batches(worker *w, const char *table, bool per_batch) {
    char sql[256];
    int64_t count = -1;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    if (run(w, sql, &count) != EIDER_ERROR_NONE) return;
    if (count % BATCH != 0) {
        atomic_fetch_add(&w->st->torn_reads, 1);
        fprintf(stderr, "thread %d: %s has %lld rows\n", w->id, table, (long long)count);
    }
    if (!per_batch) return;
    int64_t bad = -1;
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM (SELECT batch, count(*) AS c, count(DISTINCT seq) AS d FROM %s GROUP BY batch) g "
             "WHERE c <> %d OR d <> %d",
             table, BATCH, BATCH);
    if (run(w, sql, &bad) != EIDER_ERROR_NONE) return;
    if (bad != 0) {
        atomic_fetch_add(&w->st->torn_reads, 1);
        fprintf(stderr, "thread %d: %s has %lld incomplete batches\n", w->id, table, (long long)bad);
    }
}

/* CREATE / DROP / INSERT / append / SELECT on the table `race`, which every thread uses. */
static void race_op(worker *w) {
    char sql[256];
    eider_error_type t = EIDER_ERROR_NONE;
    switch (next_random(w) % 6) {
    case 0: t = run(w, "CREATE TABLE race (batch BIGINT, seq INTEGER, s VARCHAR)", NULL); break;
    case 1: t = run(w, "DROP TABLE race", NULL); break;
    case 2: t = append_batch(w, "race", (int64_t)w->id * 1000000 + w->next_batch++); break;
    case 3:
        snprintf(sql, sizeof sql, "INSERT INTO race SELECT %lld, i, 'inserted ' || i FROM range(%d) r(i)",
                 (long long)((int64_t)w->id * 1000000 + w->next_batch++), BATCH);
        t = run(w, sql, NULL);
        break;
    case 4:
        t = run(w, "CREATE OR REPLACE TABLE race (batch BIGINT, seq INTEGER, s VARCHAR)", NULL);
        break;
    default: check_whole_batches(w, "race", true); return;
    }
    if (t == EIDER_ERROR_CATALOG) atomic_fetch_add(&w->st->catalog_races, 1);
    else if (t == EIDER_ERROR_NONE) atomic_fetch_add(&w->st->race_successes, 1);
}

/* The thread's own table: create, load by appender and INSERT, check, drop. */
static void private_table_op(worker *w) {
    char sql[256];
    char name[32];
    snprintf(name, sizeof name, "own_%d", w->id);
    snprintf(sql, sizeof sql, "CREATE TABLE %s (batch BIGINT, seq INTEGER, s VARCHAR)", name);
    run_ok(w, sql);
    int batches = 1 + (int)(next_random(w) % 3);
    for (int b = 0; b < batches; b++)
        if (append_batch(w, name, b) != EIDER_ERROR_NONE) unexpected(w, "append into own table", name);
    snprintf(sql, sizeof sql, "INSERT INTO %s SELECT 100, i, 'x' FROM range(%d) r(i)", name, BATCH);
    run_ok(w, sql);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", name);
    int64_t count = run_ok(w, sql);
    if (count != (int64_t)(batches + 1) * BATCH) unexpected(w, "own table count", name);
    snprintf(sql, sizeof sql, "DROP TABLE %s", name);
    run_ok(w, sql);
}

static void *worker_main(void *arg) {
    worker *w = arg;
    if (eider_connect(w->st->db, &w->con) != EIDER_SUCCESS) {
        unexpected(w, "connect", NULL);
        return NULL;
    }
    char sql[256];
    for (int op = 0; op < OPS_PER_THREAD; op++) {
        uint64_t r = next_random(w) % 100;
        if (r < 25) {
            int64_t batch = (int64_t)w->id * 1000000 + w->next_batch++;
            if (append_batch(w, "shared", batch) == EIDER_ERROR_NONE) atomic_fetch_add(&w->st->shared_batches, 1);
            else unexpected(w, "append into shared", "failed");
        } else if (r < 35) {
            int64_t batch = (int64_t)w->id * 1000000 + w->next_batch++;
            snprintf(sql, sizeof sql, "INSERT INTO shared SELECT %lld, i, 'inserted ' || i FROM range(%d) r(i)",
                     (long long)batch, BATCH);
            if (run(w, sql, NULL) == EIDER_ERROR_NONE) atomic_fetch_add(&w->st->shared_batches, 1);
        } else if (r < 60) {
            check_whole_batches(w, "shared", r < 40);
        } else if (r < 70) {
            private_table_op(w);
        } else {
            race_op(w);
        }
    }
    eider_disconnect(w->con);
    return NULL;
}

int main(void) {
    shared_state st;
    memset(&st, 0, sizeof st);
    atomic_init(&st.shared_batches, 0);
    atomic_init(&st.unexpected, 0);
    atomic_init(&st.torn_reads, 0);
    atomic_init(&st.catalog_races, 0);
    atomic_init(&st.race_successes, 0);
    if (eider_open(NULL, NULL, &st.db, NULL) != EIDER_SUCCESS) {
        fprintf(stderr, "cannot open a database\n");
        return 1;
    }
    eider_connection *con = NULL;
    eider_connect(st.db, &con);
    eider_result *r = NULL;
    eider_query(con, "CREATE TABLE shared (batch BIGINT, seq INTEGER, s VARCHAR)", &r);
    CHECK(eider_result_error(r) == NULL);
    eider_result_destroy(r);

    worker workers[THREADS];
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (worker){.st = &st, .id = i, .rng = 0x9E3779B97F4A7C15ULL * (uint64_t)(i + 1), .next_batch = 0};
        pthread_create(&threads[i], NULL, worker_main, &workers[i]);
    }
    for (int i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);

    CHECK(atomic_load(&st.unexpected) == 0);
    CHECK(atomic_load(&st.torn_reads) == 0);
    CHECK(atomic_load(&st.shared_batches) > 0);
    CHECK(atomic_load(&st.race_successes) > 0);
    printf("shared batches %lld, race: %d successes, %d catalog errors\n", (long long)atomic_load(&st.shared_batches),
           atomic_load(&st.race_successes), atomic_load(&st.catalog_races));

    /* every committed batch is there, whole, once */
    eider_query(con, "SELECT count(*), count(DISTINCT batch) FROM shared", &r);
    CHECK(eider_result_error(r) == NULL);
    CHECK(eider_value_int64(r, 0, 0) == atomic_load(&st.shared_batches) * BATCH);
    CHECK(eider_value_int64(r, 1, 0) == atomic_load(&st.shared_batches));
    eider_result_destroy(r);
    eider_query(con,
                "SELECT count(*) FROM (SELECT batch, count(*) AS c, min(seq) AS lo, max(seq) AS hi FROM shared "
                "GROUP BY batch) g WHERE c <> 1000 OR lo <> 0 OR hi <> 999",
                &r);
    CHECK(eider_result_error(r) == NULL && eider_value_int64(r, 0, 0) == 0);
    eider_result_destroy(r);

    eider_query(con, "DROP TABLE shared; DROP TABLE IF EXISTS race", &r);
    CHECK(eider_result_error(r) == NULL);
    eider_result_destroy(r);
    eider_query(con, "SHOW TABLES", &r);
    CHECK(eider_result_error(r) == NULL && eider_row_count(r) == 0);
    eider_result_destroy(r);
    /* nothing but metadata (catalog, settings) is left in the pool */
    uint64_t used = pool_used_bytes(st.db->pool), meta = pool_tag_used_bytes(st.db->pool, TAG_METADATA);
    CHECK(used == meta);
    if (used != meta)
        fprintf(stderr, "pool: %llu bytes in use, %llu of them metadata\n", (unsigned long long)used,
                (unsigned long long)meta);
    CHECK(meta < 1 << 20);
    eider_disconnect(con);
    eider_close(st.db);
    return test_summary();
}
