/*
 * test_sort_prefetch_concurrency.c — an ORDER BY whose sorted runs spill is read through a merge
 * that runs ahead on a thread of its own (threads = 2), through the public API:
 *  1. the whole result, streamed: every row, in order (v, then id);
 *  2. OFFSET and LIMIT: the rows from the offset on, as many as the limit;
 *  3. a streamed result dropped after its first batch, while the runs are in temp storage (seen
 *     from a second connection): the merge thread is stopped mid-way;
 *  4. CREATE TABLE AS ... ORDER BY: the table holds the rows in order;
 * and afterwards no temp file remains and the pool holds what the table holds. The limit, 16MB
 * (the least that runs two threads: one per 8MB), leaves the sort little beyond its budget. It
 * carries the "concurrency" label, so it also runs under ThreadSanitizer.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eider.h"
#include "test_util.h"

#define ROWS 300000
#define MODULUS 100003 /* v = (id * 7919) % MODULUS: about three rows a value */

static eider_connection *con, *con2;

static bool run_ok(const char *sql) {
    eider_result *r = NULL;
    eider_query(con, sql, &r);
    bool ok = r && !eider_result_error(r);
    if (!ok) fprintf(stderr, "%s: %s\n", sql, r && eider_result_error(r) ? eider_result_error(r) : "no result");
    eider_result_destroy(r);
    return ok;
}

static int64_t query_int(const char *sql) {
    eider_result *r = NULL;
    eider_query(con, sql, &r);
    int64_t v = r && !eider_result_error(r) && eider_row_count(r) > 0 ? eider_value_int64(r, 0, 0) : -1;
    if (v < 0) fprintf(stderr, "%s: %s\n", sql, r && eider_result_error(r) ? eider_result_error(r) : "no value");
    eider_result_destroy(r);
    return v;
}

/* Streams sql (columns v, id first) and checks that rows come in (v, id) order; returns the rows
 * read, or -1 on an error. Stops after max_batches (0: all), having seen through a second
 * connection that the sort's runs are in temp storage while the merge is read. */
static int64_t stream_in_order(const char *sql, int64_t max_batches) {
    eider_result *r = NULL;
    if (eider_query_streaming(con, sql, &r) != EIDER_SUCCESS) {
        fprintf(stderr, "%s: %s\n", sql, r && eider_result_error(r) ? eider_result_error(r) : "no result");
        eider_result_destroy(r);
        return -1;
    }
    int64_t rows = 0, prev_v = -1, prev_id = -1, out_of_order = 0, batches = 0;
    uint64_t n;
    while ((max_batches == 0 || batches < max_batches) && eider_result_fetch(r, &n) == EIDER_SUCCESS && n > 0) {
        for (uint64_t i = 0; i < n; i++) {
            int64_t v = eider_value_int64(r, 0, i), id = eider_value_int64(r, 1, i);
            if (v < prev_v || (v == prev_v && id <= prev_id)) out_of_order++;
            prev_v = v;
            prev_id = id;
        }
        rows += (int64_t)n;
        if (batches++ == 0 && max_batches) {
            eider_result *m = NULL;
            eider_query(con2, "SELECT temporary_storage_bytes FROM eider_memory() WHERE tag = 'ORDER_BY'", &m);
            CHECK(m && !eider_result_error(m) && eider_value_int64(m, 0, 0) > 0, "%s: the runs spilled", sql);
            eider_result_destroy(m);
        }
    }
    bool errored = eider_result_error(r) != NULL;
    if (errored) fprintf(stderr, "%s: %s\n", sql, eider_result_error(r));
    eider_result_destroy(r);
    CHECK(out_of_order == 0, "%s: %" PRId64 " rows out of order", sql, out_of_order);
    return errored ? -1 : rows;
}

int main(void) {
    char dir[] = "/tmp/eider_prefetch_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    eider_database *db = NULL;
    if (eider_open(NULL, NULL, &db, NULL) != EIDER_SUCCESS || eider_connect(db, &con) != EIDER_SUCCESS ||
        eider_connect(db, &con2) != EIDER_SUCCESS) {
        fprintf(stderr, "cannot open a database\n");
        return 1;
    }
    char sql[512];
    snprintf(sql, sizeof sql, "SET temp_directory='%s/tmp'", dir);
    CHECK(run_ok(sql));
    CHECK(run_ok("SET threads=2"));
    snprintf(sql, sizeof sql,
             "CREATE TABLE t AS SELECT range AS id, (range * 7919) %% %d AS v, "
             "'value ' || range || ' of the s column' AS s FROM range(%d)",
             MODULUS, ROWS);
    CHECK(run_ok(sql));
    CHECK(run_ok("SET memory_limit='16MB'"));
    int64_t table_bytes = query_int("SELECT sum(memory_usage_bytes + temporary_storage_bytes) FROM eider_memory() "
                                    "WHERE tag IN ('IN_MEMORY_TABLE', 'OVERFLOW_STRINGS')");

    /* 1. every row, in order (s is read so that the runs are wide enough to spill) */
    CHECK(stream_in_order("SELECT v, id, s FROM t ORDER BY v, id", 0) == ROWS);

    /* 2. from the offset on, as many as the limit: the first row is the offset-th of the order */
    CHECK(stream_in_order("SELECT v, id, s FROM t ORDER BY v, id LIMIT 50000 OFFSET 200000", 0) == 50000);
    CHECK(query_int("SELECT id FROM (SELECT v, id, s FROM t ORDER BY v, id LIMIT 1 OFFSET 200000)") ==
          query_int("SELECT id FROM (SELECT v, id, row_number() OVER (ORDER BY v, id) AS rn FROM t) WHERE rn = 200001"));

    /* 3. dropped after the first batch: the merge thread stops wherever it is */
    CHECK(stream_in_order("SELECT v, id, s FROM t ORDER BY v, id", 1) > 0);

    /* 4. into a table, in order */
    CHECK(run_ok("CREATE TABLE sorted AS SELECT v, id, s FROM t ORDER BY v, id"));
    CHECK(query_int("SELECT count(*) FROM sorted") == ROWS);
    CHECK(stream_in_order("SELECT v, id FROM sorted", 0) == ROWS);
    CHECK(run_ok("DROP TABLE sorted"));

    CHECK(query_int("SELECT sum(memory_usage_bytes + temporary_storage_bytes) FROM eider_memory() "
                    "WHERE tag NOT IN ('METADATA', 'ALLOCATOR', 'IN_MEMORY_TABLE', 'OVERFLOW_STRINGS')") == 0,
          "the queries left memory behind");
    CHECK(query_int("SELECT sum(memory_usage_bytes + temporary_storage_bytes) FROM eider_memory() "
                    "WHERE tag IN ('IN_MEMORY_TABLE', 'OVERFLOW_STRINGS')") == table_bytes);
    CHECK(run_ok("DROP TABLE t"));
    CHECK(query_int("SELECT count(*) FROM eider_temporary_files()") == 0);
    eider_disconnect(con2);
    eider_disconnect(con);
    eider_close(db);
    snprintf(sql, sizeof sql, "rm -rf '%s'", dir);
    if (system(sql) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return test_summary();
}
