/* Every spilling operator as memory_limit shrinks towards nothing.
 *
 * An in-memory table of a few hundred thousand rows (a VARCHAR among them), several times larger
 * than the smaller limits, so that its own blocks spill too. Queries that each put one or more
 * operators past their budgets (a GROUP BY with a VARCHAR state, three count(DISTINCT ...) at once,
 * a self-join, an ORDER BY streamed to the client, window functions, and a join feeding an
 * aggregate feeding a sort) run
 * at limits from 24MB down to 4MB on one and two threads, the limit changed with SET between
 * queries. At every limit each query either gives the answer of the unlimited run (checked by a
 * hash of its rows, chained where the order is part of the answer) or, only below MIN_LIMIT_MB,
 * fails with Out of Memory. Either way it leaves no operator byte in the pool or in temporary
 * storage, the table's bytes (resident plus spilled) are what they were, a temp file remains only
 * while some table block is spilled, and the next query works. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eider.h"
#include "main/database.h"
#include "../result_hash.h"
#define TEST_UTIL_SQL
#include "test_util.h"

#if defined(EIDER_SANITIZE) || defined(__SANITIZE_ADDRESS__)
#define ROWS 100000
#else
#define ROWS 200000
#endif

/* At this limit and above every query must finish. */
#define MIN_LIMIT_MB 8

typedef struct query {
    const char *name;
    const char *sql;
    bool ordered; /* the row order is part of the answer */
} query;

static const query QUERIES[] = {
    {"group by", "SELECT k, count(*), sum(amount), max(s), min(v) FROM t GROUP BY k", false},
    {"three distincts", "SELECT count(DISTINCT s), count(DISTINCT v), count(DISTINCT k) FROM t", false},
    {"self-join", "SELECT a.id, b.v, b.s FROM t a JOIN t b ON a.id = b.id", false},
    {"order by", "SELECT v, s, id FROM t ORDER BY v, s, id", true},
    {"window", "SELECT id, row_number() OVER (PARTITION BY k ORDER BY v, id), lag(s) OVER (PARTITION BY k ORDER BY v, id), "
               "sum(amount) OVER (PARTITION BY k ORDER BY v, id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) FROM t",
     false},
    {"join, aggregate, sort",
     "SELECT a.k, count(*) AS n, sum(b.amount) AS total, max(b.s) AS ms FROM t a JOIN t b ON a.id = b.id "
     "GROUP BY a.k ORDER BY total DESC, a.k",
     true},
};
#define QUERY_COUNT (sizeof QUERIES / sizeof QUERIES[0])

static const int LIMITS_MB[] = {24, 12, 8, 6, 4};
#define LIMIT_COUNT (sizeof LIMITS_MB / sizeof LIMITS_MB[0])

/* Streams the query's rows and hashes them; false with its error type in *type when it fails. */
static bool stream_hash(eider_connection *con, const query *q, uint64_t *hash, uint64_t *rows, eider_error_type *type,
                        char *message, size_t size) {
    eider_result *r = NULL;
    *hash = *rows = 0;
    *type = EIDER_ERROR_NONE;
    bool ok = eider_query_streaming(con, q->sql, &r) == EIDER_SUCCESS;
    uint64_t n = 0;
    while (ok && (ok = eider_result_fetch(r, &n) == EIDER_SUCCESS) && n > 0) {
        for (uint64_t i = 0; i < n; i++) {
            uint64_t h = result_row_hash(r, i);
            *hash = q->ordered ? (*hash ^ h) * 0x100000001b3ULL + 1 : *hash + h;
        }
        *rows += n;
    }
    if (!ok) {
        *type = r ? eider_result_error_type(r) : EIDER_ERROR_INTERNAL;
        snprintf(message, size, "%s", r && eider_result_error(r) ? eider_result_error(r) : "(no result)");
    }
    eider_result_destroy(r);
    return ok;
}

/* After a query, finished or failed: the operators hold nothing, resident or spilled, the table
 * what it held, a temp file remains only for the table's spilled blocks, and the database answers. */
static void check_clean(eider_database *db, eider_connection *con, int64_t table, const char *what) {
    static const memory_tag operators[] = {TAG_HASH_TABLE, TAG_ORDER_BY, TAG_WINDOW};
    for (size_t i = 0; i < sizeof operators / sizeof operators[0]; i++)
        CHECK(pool_tag_used_bytes(db->pool, operators[i]) == 0 && pool_tag_temporary_bytes(db->pool, operators[i]) == 0,
              "%s: %s holds %" PRIu64 " bytes, %" PRIu64 " spilled", what, memory_tag_name(operators[i]),
              pool_tag_used_bytes(db->pool, operators[i]), pool_tag_temporary_bytes(db->pool, operators[i]));
    check_tables_and_temp_files(con, table, what);
    CHECK(query_int(con, "SELECT count(*) FROM t") == ROWS, "%s: the next query fails", what);
}

int main(void) {
    char dir[] = "/tmp/eider_shrink_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char sql[512];
    eider_config *cfg;
    eider_config_create(&cfg);
    eider_config_set(cfg, "temp_directory", dir);
    eider_database *db = NULL;
    eider_connection *con = NULL;
    char *error = NULL;
    if (eider_open(NULL, cfg, &db, &error) != EIDER_SUCCESS || eider_connect(db, &con) != EIDER_SUCCESS) {
        fprintf(stderr, "open: %s\n", error ? error : "?");
        return 1;
    }
    eider_config_destroy(cfg);
    snprintf(sql, sizeof sql,
             "CREATE TABLE t AS SELECT i AS id, (i * 7919) %% %d AS k, (i * 104729) %% 1000003 AS v, "
             "(i %% 9973) * 0.25 AS amount, 'text ' || ((i * 31) %% 200003) || ' of thirty bytes' AS s "
             "FROM range(%d) r(i)",
             ROWS / 3, ROWS);
    CHECK(run_ok(con, sql), "create t");
    int64_t table = table_bytes(con);

    uint64_t ref_hash[QUERY_COUNT], ref_rows[QUERY_COUNT];
    char message[512];
    for (size_t q = 0; q < QUERY_COUNT; q++) {
        eider_error_type type;
        CHECK(stream_hash(con, &QUERIES[q], &ref_hash[q], &ref_rows[q], &type, message, sizeof message),
              "%s unlimited: %s", QUERIES[q].name, message);
        check_clean(db, con, table, QUERIES[q].name);
    }

    for (int threads = 1; threads <= 2; threads++) {
        snprintf(sql, sizeof sql, "SET threads = %d", threads);
        CHECK(run_ok(con, sql));
        for (size_t l = 0; l < LIMIT_COUNT; l++) {
            snprintf(sql, sizeof sql, "SET memory_limit = '%dMB'", LIMITS_MB[l]);
            CHECK(run_ok(con, sql), "%s", sql);
            for (size_t q = 0; q < QUERY_COUNT; q++) {
                char what[128];
                snprintf(what, sizeof what, "%s at %dMB, %d thread%s", QUERIES[q].name, LIMITS_MB[l], threads,
                         threads > 1 ? "s" : "");
                uint64_t hash, rows;
                eider_error_type type;
                if (stream_hash(con, &QUERIES[q], &hash, &rows, &type, message, sizeof message))
                    CHECK(hash == ref_hash[q] && rows == ref_rows[q], "%s: %" PRIu64 " rows (expected %" PRIu64
                          "), answer differs: %d", what, rows, ref_rows[q], hash != ref_hash[q]);
                else
                    CHECK(LIMITS_MB[l] < MIN_LIMIT_MB && type == EIDER_ERROR_OUT_OF_MEMORY, "%s: %s", what, message);
                check_clean(db, con, table, what);
            }
        }
    }

    eider_disconnect(con);
    eider_close(db);
    snprintf(sql, sizeof sql, "rm -r '%s'", dir);
    if (system(sql) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return test_summary();
}
