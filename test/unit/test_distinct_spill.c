/* DISTINCT aggregates larger than memory, through the public API: count/sum/min/max(DISTINCT)
 * over BIGINT and VARCHAR arguments with NULLs, several of them in one query next to plain
 * aggregates, without GROUP BY, with a few groups and with a million groups, spill their
 * (group, argument) pairs under a small memory_limit and give the answers of an unlimited run
 * (and the exact values computed here), on one and two threads. While they run, HASH_TABLE blocks
 * reach the temp files (they spilled); with spilling disabled the same query fails with Out of
 * Memory; afterwards the pool holds nothing for the query and no temp file remains. */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eider.h"
#include "main/database.h"
#include "test_util.h"

#define ROWS 240000 /* the pairs (and in the last query the groups) need several times the limit */
#define VALUES (ROWS / 2)          /* v = i % VALUES, NULL when i % 10 = 3 (VALUES is a multiple of 10) */
#define STRINGS (ROWS * 3 / 8 + 1) /* s = 'a distinct string value ' || (i * 7) % STRINGS, NULL when i % 13 = 0 */
#define GROUPS 1009                /* k = (i * 7919) % GROUPS */
#define LIMIT "24MB"

#define POOL_SLACK ((int64_t)1 << 20)

/* The input, generated (no table: only the aggregate spills). */
#define SRC                                                                                                    \
    "(SELECT (i * 7919) %% %d AS k, CASE WHEN i %% 10 = 3 THEN NULL ELSE i %% %d END AS v, "                   \
    "CASE WHEN i %% 13 = 0 THEN NULL ELSE 'a distinct string value ' || ((i * 7) %% %d) END AS s, "            \
    "i %% 100 AS amount FROM range(%d) r(i))"
#define SRC_ARGS GROUPS, VALUES, STRINGS, ROWS

/* The queries, each reduced to one row. */
static const char *QUERIES[] = {
    /* no GROUP BY: three DISTINCT aggregates over two arguments, plain aggregates */
    "SELECT count(DISTINCT v), count(DISTINCT s), sum(DISTINCT v), sum(amount), count(*), count(v), "
    "min(DISTINCT s), max(DISTINCT s) FROM " SRC,
    /* a few groups, a BIGINT key */
    "SELECT count(*), sum(c), sum(cs), sum(sa), sum(sv %% 1000003), max(c) FROM (SELECT k, count(DISTINCT v) AS c, "
    "count(DISTINCT s) AS cs, sum(amount) AS sa, sum(DISTINCT v) AS sv FROM " SRC " GROUP BY k)",
    /* a VARCHAR key, min/max(DISTINCT VARCHAR) whose states hold strings */
    "SELECT count(*), sum(c), max(g), sum(length(mi)), sum(length(ma)) FROM (SELECT 'group number ' || k AS g, "
    "count(DISTINCT s) AS c, min(DISTINCT s) AS mi, max(DISTINCT s) AS ma FROM " SRC " GROUP BY g)",
    /* many groups: the groups spill as well as the pairs */
    "SELECT count(*), sum(c), sum(sa), sum(coalesce(v, 7)) FROM (SELECT v, count(DISTINCT k) AS c, sum(amount) AS sa "
    "FROM " SRC " GROUP BY v)",
};
#define QUERY_COUNT (sizeof QUERIES / sizeof QUERIES[0])

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

/* The first row of a result as text, values joined by '|' (NULL on failure). */
static char *row_text(eider_result *r) {
    if (!r || eider_result_error(r) || eider_row_count(r) == 0) return NULL;
    size_t cap = 1024, len = 0;
    char *out = calloc(1, cap);
    for (uint64_t c = 0; c < eider_column_count(r); c++) {
        char *v = eider_value_is_null(r, c, 0) ? NULL : eider_value_text(r, c, 0);
        len += (size_t)snprintf(out + len, cap - len, "%s%s", c ? "|" : "", v ? v : "NULL");
        eider_free(v);
    }
    return out;
}

static char *first_row(eider_connection *con, const char *sql) {
    eider_result *r = run(con, sql);
    char *text = row_text(r);
    if (!text) fprintf(stderr, "query failed: %s\n  %s\n", sql, r && eider_result_error(r) ? eider_result_error(r) : "no rows");
    eider_result_destroy(r);
    return text;
}

static int64_t query_i64(eider_connection *con, const char *sql) {
    eider_result *r = run(con, sql);
    int64_t v = r && !eider_result_error(r) && !eider_value_is_null(r, 0, 0) ? eider_value_int64(r, 0, 0) : -1;
    if (!r || eider_result_error(r)) fprintf(stderr, "query failed: %s\n", sql);
    eider_result_destroy(r);
    return v;
}

static int64_t pool_total(eider_connection *con) {
    return query_i64(con, "SELECT coalesce(sum(memory_usage_bytes) + sum(temporary_storage_bytes), 0) "
                          "FROM eider_memory() WHERE tag <> 'ALLOCATOR'");
}

static int64_t hash_table_bytes(eider_connection *con) {
    return query_i64(con, "SELECT coalesce(sum(memory_usage_bytes) + sum(temporary_storage_bytes), 0) "
                          "FROM eider_memory() WHERE tag = 'HASH_TABLE'");
}

static int64_t temp_file_count(eider_connection *con) {
    return query_i64(con, "SELECT count(*) FROM eider_temporary_files()");
}

/* Runs a query on a thread of its own while this one samples the HASH_TABLE bytes in temp files. */
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

static eider_result *run_watched(eider_database *db, eider_connection *con, const char *sql, uint64_t *spilled) {
    runner r = {.con = con, .sql = sql};
    atomic_init(&r.done, false);
    pthread_t t;
    pthread_create(&t, NULL, run_thread, &r);
    *spilled = 0;
    while (!atomic_load(&r.done)) {
        uint64_t b = pool_tag_temporary_bytes(db->pool, TAG_HASH_TABLE);
        if (b > *spilled) *spilled = b;
        usleep(500);
    }
    pthread_join(t, NULL);
    return r.result;
}

/* The exact answer of query 0, computed here. */
static void expected_ungrouped(char *out, size_t size) {
    int64_t count_v = 0, sum_v = 0, count_s = 0, nonnull_v = 0, amount = 0;
    for (int64_t x = 0; x < VALUES; x++)
        if (x % 10 != 3) count_v++, sum_v += x;
    uint8_t *seen = calloc(STRINGS, 1);
    for (int64_t i = 0; i < ROWS; i++) {
        amount += i % 100;
        if (i % 10 != 3) nonnull_v++;
        if (i % 13 != 0) seen[(i * 7) % STRINGS] = 1;
    }
    /* min and max as text: "... 0" is the least, and the greatest is the largest value that
     * starts with the most nines */
    char best[64] = "", s[64];
    for (int64_t x = 0; x < STRINGS; x++) {
        if (!seen[x]) continue;
        count_s++;
        snprintf(s, sizeof s, "a distinct string value %" PRId64, x);
        if (strcmp(s, best) > 0) strcpy(best, s);
    }
    free(seen);
    snprintf(out, size,
             "%" PRId64 "|%" PRId64 "|%" PRId64 "|%" PRId64 "|%d|%" PRId64 "|a distinct string value 0|%s", count_v,
             count_s, sum_v, amount, ROWS, nonnull_v, best);
}

static void test_spilling(const char *dir) {
    eider_database *db = NULL;
    eider_connection *con = NULL;
    CHECK(eider_open(NULL, NULL, &db, NULL) == EIDER_SUCCESS && eider_connect(db, &con) == EIDER_SUCCESS);
    if (!con) return;
    char sql[2048], set[256];
    snprintf(set, sizeof set, "SET temp_directory = '%s'", dir);
    CHECK(run_ok(con, set));
    CHECK(run_ok(con, "SET threads = 2"));

    /* the references: no limit */
    char *reference[QUERY_COUNT];
    for (size_t q = 0; q < QUERY_COUNT; q++) {
        snprintf(sql, sizeof sql, QUERIES[q], SRC_ARGS);
        reference[q] = first_row(con, sql);
        CHECK(reference[q] != NULL, "reference of query %zu", q);
    }
    char want[512];
    expected_ungrouped(want, sizeof want);
    CHECK(reference[0] && strcmp(reference[0], want) == 0, "query 0: got %s, want %s", reference[0], want);
    /* every (k, v) pair is distinct except that v repeats with another k: twice the values */
    snprintf(want, sizeof want, "%d|%d|", GROUPS, VALUES / 10 * 9 * 2);
    CHECK(reference[1] && strncmp(reference[1], want, strlen(want)) == 0, "query 1: got %s, want %s...", reference[1],
          want);
    CHECK(temp_file_count(con) == 0, "no temp file without a limit");

    CHECK(run_ok(con, "SET memory_limit = '" LIMIT "'"));
    for (int threads = 1; threads <= 2; threads++) {
        snprintf(set, sizeof set, "SET threads = %d", threads);
        CHECK(run_ok(con, set));
        int64_t before = pool_total(con);
        for (size_t q = 0; q < QUERY_COUNT; q++) {
            if (threads == 1 && q >= 2) continue; /* the rest once, to keep the test short */
            snprintf(sql, sizeof sql, QUERIES[q], SRC_ARGS);
            uint64_t spilled = 0;
            eider_result *r = run_watched(db, con, sql, &spilled);
            char *got = row_text(r);
            CHECK(got && reference[q] && strcmp(got, reference[q]) == 0, "query %zu, %d threads: got %s, want %s", q,
                  threads, got ? got : (r && eider_result_error(r) ? eider_result_error(r) : "(error)"),
                  reference[q] ? reference[q] : "(error)");
            free(got);
            eider_result_destroy(r);
            CHECK(spilled > 0, "query %zu, %d threads: no HASH_TABLE block reached the temp files", q, threads);
            CHECK(hash_table_bytes(con) == 0, "query %zu: HASH_TABLE bytes remain", q);
            int64_t after = pool_total(con);
            CHECK(after <= before + POOL_SLACK && after + POOL_SLACK >= before,
                  "query %zu: pool holds %" PRId64 " bytes after the query, %" PRId64 " before", q, after, before);
            CHECK(temp_file_count(con) == 0, "query %zu: temp files remain", q);
        }
    }
    for (size_t q = 0; q < QUERY_COUNT; q++) free(reference[q]);

    /* with spilling disabled the same aggregate does not fit */
    CHECK(run_ok(con, "SET temp_directory = ''"));
    snprintf(sql, sizeof sql, QUERIES[0], SRC_ARGS);
    eider_result *r = run(con, sql);
    CHECK(r && eider_result_error_type(r) == EIDER_ERROR_OUT_OF_MEMORY, "expected Out of Memory, got %s",
          r && eider_result_error(r) ? eider_result_error(r) : "success");
    eider_result_destroy(r);
    CHECK(hash_table_bytes(con) == 0, "HASH_TABLE bytes after the failed query");
    CHECK(query_i64(con, "SELECT count(DISTINCT i % 7) FROM range(1000) r(i)") == 7, "the next query works");
    CHECK(pool_total(con) <= POOL_SLACK, "pool holds %" PRId64 " bytes", pool_total(con));
    eider_disconnect(con);
    eider_close(db);
}

int main(void) {
    char base[] = "/tmp/eider_distinctspill_XXXXXX";
    if (!mkdtemp(base)) {
        perror("mkdtemp");
        return 1;
    }
    char dir[sizeof base + 16];
    snprintf(dir, sizeof dir, "%s/spill", base);
    test_spilling(dir);
    rmdir(dir); /* removed at close when empty; this only tidies after a failure */
    CHECK(rmdir(base) == 0, "the temp directory is left empty");
    return test_summary();
}
