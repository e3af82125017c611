/*
 * ooc_query — runs one query of the out-of-core suite in a process of its own and reports its
 * answer's hash and the process's peak resident memory.
 *
 *   eider_ooc_query --query ID --rows N [--memory-limit SIZE] [--threads N] [--temp-dir DIR]
 *
 * The process opens an in-memory database under the given limit, generates the table t of N rows
 * (so t itself spills when it does not fit), runs query ID and hashes its result: in row order for
 * queries whose order is defined, as an order-independent sum of row hashes otherwise. Then it
 * checks that no temp file remains and that the pool holds what it held before the query (the
 * table), and prints one line:
 *
 *   RESULT <id> ok hash=<16 hex> rows=<n> seconds=<s> peak_rss_kib=<VmHWM> pool_before=<bytes> pool_after=<bytes>
 *
 * Results are read through the streaming API (eider_query_streaming, eider_result_fetch) and
 * hashed batch by batch as they arrive, so the process never holds a whole result. seconds times
 * the query alone (for query 2, the CREATE TABLE AS): the time spent in eider_query_streaming and
 * eider_result_fetch, not the hashing between fetches.
 *   RESULT <id> error <message>
 *
 * Exit status: 0 when the query ran and the checks held, 1 when a check failed or the query
 * failed, 2 for bad arguments. Values are hashed by their text, so equal answers give equal
 * hashes whatever the memory limit or the thread count (amounts are multiples of 0.25, so their
 * sums are exact in any order).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eider.h"
#include "../result_hash.h"

typedef struct ooc_query {
    const char *id;
    bool ordered;        /* hash rows in order */
    const char *setup;   /* statement run before (untimed, may be NULL) */
    const char *sql;     /* the query */
    const char *result;  /* query whose rows are hashed (NULL: sql's own result) */
    const char *cleanup; /* statement run after (may be NULL) */
} ooc_query;

static const ooc_query QUERIES[] = {
    {"0", false, NULL, "SELECT count(*), sum(id), sum(k), sum(v), sum(amount), max(s), min(ts), max(ts) FROM t", NULL,
     NULL},
    {"1", false, NULL, "SELECT k, sum(amount), count(*) FROM t GROUP BY k", NULL, NULL},
    {"2", true, NULL, "CREATE TABLE s AS SELECT * FROM t ORDER BY v, s", "SELECT * FROM s", "DROP TABLE s"},
    {"3", false, NULL, "SELECT count(*), sum(b.amount), max(b.s), max(b.ts) FROM t a JOIN t b ON a.id = b.id", NULL,
     NULL},
    {"4", false, NULL, "SELECT *, row_number() OVER (PARTITION BY k ORDER BY v) AS rn FROM t", NULL, NULL},
    {"4g", false, NULL, "SELECT *, row_number() OVER (ORDER BY v) AS rn FROM t", NULL, NULL},
    {"5v", false, NULL, "SELECT count(DISTINCT v) FROM t", NULL, NULL},
    {"5s", false, NULL, "SELECT count(DISTINCT s) FROM t", NULL, NULL},
    {"6", true, NULL,
     "SELECT a.k, count(*) AS n, sum(b.amount) AS total, max(b.s) AS ms FROM t a JOIN t b ON a.id = b.id "
     "GROUP BY a.k ORDER BY total DESC, a.k",
     NULL, NULL},
};

#define QUERY_COUNT (sizeof QUERIES / sizeof QUERIES[0])

/* t: id unique; k about 0.43 x rows distinct; v a permutation of the ids (unique); amount a
 * multiple of 0.25; s about 30 bytes; ts one second apart. */
static const char *TABLE_SQL =
    "CREATE TABLE t AS SELECT range AS id, (range * 2654435761) %% %" PRIu64 " AS k, "
    "(range * 7919) %% %" PRIu64 " AS v, CAST(range %% 1000 AS DOUBLE) * 0.25 AS amount, "
    "'value ' || ((range * 31) %% 1000003) || ' of the s column' AS s, "
    "make_timestamp(1600000000000000 + range * 1000000) AS ts FROM range(%" PRIu64 ")";

static void usage(FILE *f) {
    fprintf(f, "usage: eider_ooc_query --query ID --rows N [--memory-limit SIZE] [--threads N] [--temp-dir DIR]\n");
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_rss_kib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6)) kib = strtol(line + 6, NULL, 10);
    fclose(f);
    return kib;
}

/* Adds the rows of the batch a fetch returned to the hash: each row's values as text separated
 * by tabs (NULL as \N). */
static uint64_t hash_batch(uint64_t total, const eider_result *r, uint64_t rows, bool ordered) {
    for (uint64_t row = 0; row < rows; row++) {
        uint64_t h = result_row_hash(r, row);
        total = ordered ? total * 0x9e3779b97f4a7c15ULL + h : total + h;
    }
    return total;
}

static void print_error(const char *id, const char *msg) {
    printf("RESULT %s error ", id);
    for (const char *p = msg ? msg : "unknown error"; *p; p++) putchar(*p == '\n' ? ' ' : *p);
    putchar('\n');
}

/* Streams sql's result and hashes it as it arrives; *seconds (if not NULL) receives the time spent
 * waiting for the query. On failure prints the RESULT error line and returns false. */
static bool stream_hash(eider_connection *conn, const char *id, const char *sql, bool ordered, uint64_t *hash,
                        uint64_t *rows, double *seconds) {
    double waited = 0, start = now_seconds();
    eider_result *r = NULL;
    eider_state st = eider_query_streaming(conn, sql, &r);
    waited += now_seconds() - start;
    uint64_t total = 0, n = 0;
    while (st == EIDER_SUCCESS) {
        start = now_seconds();
        st = eider_result_fetch(r, &n);
        waited += now_seconds() - start;
        if (st != EIDER_SUCCESS || n == 0) break;
        total = hash_batch(total, r, n, ordered);
    }
    if (st != EIDER_SUCCESS) {
        print_error(id, r ? eider_result_error(r) : NULL);
        eider_result_destroy(r);
        return false;
    }
    *hash = total;
    *rows = eider_row_count(r);
    if (seconds) *seconds = waited;
    eider_result_destroy(r);
    return true;
}

/* Runs sql; on failure prints the RESULT error line and returns NULL. */
static eider_result *run(eider_connection *conn, const char *id, const char *sql) {
    eider_result *r = NULL;
    if (eider_query(conn, sql, &r) == EIDER_SUCCESS) return r;
    print_error(id, r ? eider_result_error(r) : NULL);
    eider_result_destroy(r);
    return NULL;
}

/* A one-value query's result as an unsigned number (pool and temp-file totals). */
static bool query_u64(eider_connection *conn, const char *id, const char *sql, uint64_t *out) {
    eider_result *r = run(conn, id, sql);
    if (!r) return false;
    *out = eider_value_is_null(r, 0, 0) ? 0 : (uint64_t)eider_value_int64(r, 0, 0);
    eider_result_destroy(r);
    return true;
}

#define POOL_SLACK ((uint64_t)1 << 20) /* catalog metadata and counters may move a little */

/* the pool's total, without the arenas of the query that asks */
static const char *POOL_SQL =
    "SELECT sum(memory_usage_bytes) + sum(temporary_storage_bytes) FROM eider_memory() WHERE tag <> 'ALLOCATOR'";

static int run_query(eider_connection *conn, const ooc_query *q, uint64_t rows) {
    char sql[1024];
    snprintf(sql, sizeof sql, TABLE_SQL, rows * 43 / 100 + 1, rows, rows);
    eider_result *r = run(conn, q->id, sql);
    if (!r) return 1;
    eider_result_destroy(r);
    uint64_t before, after, files, left;
    if (!query_u64(conn, q->id, POOL_SQL, &before)) return 1;
    if (q->setup && !(r = run(conn, q->id, q->setup))) return 1;
    if (q->setup) eider_result_destroy(r);
    double seconds = 0;
    uint64_t hash = 0, n = 0;
    if (q->result) { /* the timed statement has no rows; the query after it reads them */
        double start = now_seconds();
        if (!(r = run(conn, q->id, q->sql))) return 1;
        seconds = now_seconds() - start;
        eider_result_destroy(r);
        if (!stream_hash(conn, q->id, q->result, q->ordered, &hash, &n, NULL)) return 1;
    } else if (!stream_hash(conn, q->id, q->sql, q->ordered, &hash, &n, &seconds)) {
        return 1;
    }
    if (q->cleanup && !(r = run(conn, q->id, q->cleanup))) return 1;
    if (q->cleanup) eider_result_destroy(r);
    if (!query_u64(conn, q->id, POOL_SQL, &after)) return 1;
    /* what remains once t is dropped too: no temp file, nothing but catalog metadata */
    if (!(r = run(conn, q->id, "DROP TABLE t"))) return 1;
    eider_result_destroy(r);
    if (!query_u64(conn, q->id, "SELECT count(*) FROM eider_temporary_files()", &files)) return 1;
    if (!query_u64(conn, q->id, POOL_SQL, &left)) return 1;
    printf("RESULT %s ok hash=%016" PRIx64 " rows=%" PRIu64 " seconds=%.3f peak_rss_kib=%ld pool_before=%" PRIu64
           " pool_after=%" PRIu64 "\n",
           q->id, hash, n, seconds, peak_rss_kib(), before, after);
    bool ok = true;
    if (after > before + POOL_SLACK || before > after + POOL_SLACK) {
        fprintf(stderr, "query %s: the pool holds %" PRIu64 " bytes after the query, %" PRIu64 " before\n", q->id,
                after, before);
        ok = false;
    }
    if (files != 0) {
        fprintf(stderr, "query %s: %" PRIu64 " temp files remain after dropping t\n", q->id, files);
        ok = false;
    }
    if (left > POOL_SLACK) {
        fprintf(stderr, "query %s: the pool holds %" PRIu64 " bytes after dropping t\n", q->id, left);
        ok = false;
    }
    return ok ? 0 : 1;
}

int main(int argc, char **argv) {
    const char *id = NULL, *limit = NULL, *threads = NULL, *temp_dir = NULL;
    uint64_t rows = 0;
    if (argc % 2 == 0) return usage(stderr), 2; /* options come in pairs */
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "--query")) id = v;
        else if (!strcmp(a, "--rows")) rows = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--memory-limit")) limit = v;
        else if (!strcmp(a, "--threads")) threads = v;
        else if (!strcmp(a, "--temp-dir")) temp_dir = v;
        else return usage(stderr), 2;
    }
    const ooc_query *q = NULL;
    for (size_t i = 0; id && i < QUERY_COUNT; i++)
        if (!strcmp(QUERIES[i].id, id)) q = &QUERIES[i];
    if (!q || rows == 0) return usage(stderr), 2;
    eider_config *config;
    if (eider_config_create(&config) != EIDER_SUCCESS) return 1;
    if ((limit && eider_config_set(config, "memory_limit", limit) != EIDER_SUCCESS) ||
        (threads && eider_config_set(config, "threads", threads) != EIDER_SUCCESS) ||
        (temp_dir && eider_config_set(config, "temp_directory", temp_dir) != EIDER_SUCCESS)) {
        fprintf(stderr, "bad setting\n");
        eider_config_destroy(config);
        return 2;
    }
    eider_database *db;
    char *error = NULL;
    eider_state st = eider_open(NULL, config, &db, &error);
    eider_config_destroy(config);
    if (st != EIDER_SUCCESS) {
        printf("RESULT %s error %s\n", q->id, error ? error : "could not open");
        eider_free(error);
        return 1;
    }
    eider_connection *conn;
    if (eider_connect(db, &conn) != EIDER_SUCCESS) return 1;
    int rc = run_query(conn, q, rows);
    eider_disconnect(conn);
    eider_close(db);
    return rc;
}
