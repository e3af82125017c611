/* Memory through the whole engine: a 10-million-row table shows up under IN_MEMORY_TABLE and
 * OVERFLOW_STRINGS, the tags sum to the pool's total, DROP TABLE gives the pool bytes and the
 * process's resident memory back, and an out-of-memory statement leaves nothing behind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eider.h"
#include "main/database.h"
#include "test_util.h"

static long rss_kib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) kib = strtol(line + 6, NULL, 10);
    if (f) fclose(f);
    return kib;
}

/* Mappings of the process, from /proc/self/maps. */
static int mapping_count(void) {
    FILE *f = fopen("/proc/self/maps", "r");
    int n = 0, c;
    while (f && (c = fgetc(f)) != EOF) n += c == '\n';
    if (f) fclose(f);
    return n;
}

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

/* Sum of memory_usage_bytes over the tags, and the bytes of two tags. */
static void memory_by_tag(eider_connection *con, int64_t *sum, int64_t *table, int64_t *strings) {
    eider_result *r = run(con, "SELECT tag, memory_usage_bytes FROM eider_memory()");
    *sum = *table = *strings = 0;
    for (uint64_t i = 0; r && i < eider_row_count(r); i++) {
        char *tag = eider_value_text(r, 0, i);
        int64_t bytes = eider_value_int64(r, 1, i);
        *sum += bytes;
        if (!strcmp(tag, "IN_MEMORY_TABLE")) *table = bytes;
        if (!strcmp(tag, "OVERFLOW_STRINGS")) *strings = bytes;
        eider_free(tag);
    }
    eider_result_destroy(r);
}

int main(void) {
    eider_database *db = NULL;
    eider_connection *con = NULL;
    char *err = NULL;
    int maps_before = mapping_count();
    long rss_at_start = rss_kib();
    if (eider_open(NULL, NULL, &db, &err) != EIDER_SUCCESS || eider_connect(db, &con) != EIDER_SUCCESS) {
        fprintf(stderr, "open failed: %s\n", err ? err : "?");
        eider_free(err);
        return 1;
    }
#ifdef EIDER_SANITIZE
    const char *rows = "2000000"; /* sanitizers are slow; the bounds hold at any size */
#else
    const char *rows = "10000000";
#endif
    run_ok(con, "SELECT 1"); /* warm up: first-use allocations are not the table's */
    uint64_t pool_before = pool_used_bytes(db->pool);
    long rss_before = rss_kib();
    char sql[256];
    snprintf(sql, sizeof sql, "CREATE TABLE t AS SELECT i, 'row ' || i AS s FROM range(%s) r(i)", rows);
    CHECK(run_ok(con, sql), "CREATE TABLE AS");

    int64_t sum, table, strings;
    memory_by_tag(con, &sum, &table, &strings);
    uint64_t pool_now = pool_used_bytes(db->pool);
    CHECK(table > 0, "IN_MEMORY_TABLE bytes: %lld", (long long)table);
    CHECK(strings >= 0, "OVERFLOW_STRINGS bytes: %lld", (long long)strings); /* 'row N' fits inline */
    /* the query reading eider_memory() used a little memory of its own while it ran */
    CHECK(sum > 0 && (uint64_t)sum <= pool_now + (2 << 20) && (uint64_t)sum + (2 << 20) >= pool_now,
          "tags sum %lld vs pool total %llu", (long long)sum, (unsigned long long)pool_now);
    uint64_t tag_sum = 0;
    for (int t = 0; t < TAG_COUNT; t++) tag_sum += pool_tag_used_bytes(db->pool, (memory_tag)t);
    CHECK(tag_sum == pool_used_bytes(db->pool), "per-tag counters %llu must sum to the total %llu",
          (unsigned long long)tag_sum, (unsigned long long)pool_used_bytes(db->pool));
    CHECK((uint64_t)(table + strings) + (2 << 20) >= pool_now - pool_before,
          "table+strings %lld should account for the growth %llu", (long long)(table + strings),
          (unsigned long long)(pool_now - pool_before));
    long rss_full = rss_kib();
    printf("pool before %llu, with table %llu (table %lld, strings %lld); rss %ld -> %ld KiB\n",
           (unsigned long long)pool_before, (unsigned long long)pool_now, (long long)table, (long long)strings,
           rss_before, rss_full);

    eider_result *r = run(con, "SELECT count(*), sum(i), max(s) FROM t");
    CHECK(r && !eider_result_error(r) && eider_value_int64(r, 0, 0) == atoll(rows), "count");
    eider_result_destroy(r);

    CHECK(run_ok(con, "DROP TABLE t"), "DROP TABLE");
    /* strings longer than 12 bytes live in OVERFLOW_STRINGS blocks, and go back on DROP too */
    CHECK(run_ok(con, "CREATE TABLE u AS SELECT i, 'a longer row text ' || i AS s FROM range(100000) r(i)"), "u");
    memory_by_tag(con, &sum, &table, &strings);
    CHECK(strings > 1000000, "OVERFLOW_STRINGS bytes for long strings: %lld", (long long)strings);
    CHECK(run_ok(con, "DROP TABLE u"), "DROP TABLE u");
    uint64_t pool_after = pool_used_bytes(db->pool);
    long rss_after = rss_kib();
    printf("after DROP: pool %llu, rss %ld KiB\n", (unsigned long long)pool_after, rss_after);
    CHECK(pool_after <= pool_before + (1 << 20), "pool after drop %llu vs before %llu",
          (unsigned long long)pool_after, (unsigned long long)pool_before);
#ifndef EIDER_SANITIZE
    CHECK(rss_after <= rss_before + 16 * 1024, "rss after drop %ld KiB vs before %ld KiB", rss_after, rss_before);
#endif

    /* with spilling off and a small limit the same statement fails cleanly */
    CHECK(run_ok(con, "SET temp_directory=''"), "disable spilling");
    CHECK(run_ok(con, "SET memory_limit='100MB'"), "lower the limit");
    uint64_t pool_small = pool_used_bytes(db->pool);
    /* 10 million rows need about 240 MB: the statement fails after ~100 MB in any build */
    r = run(con, "CREATE TABLE t AS SELECT i, 'row ' || i AS s FROM range(10000000) r(i)");
    CHECK(r && eider_result_error(r) && eider_result_error_type(r) == EIDER_ERROR_OUT_OF_MEMORY &&
              strstr(eider_result_error(r), "Out of Memory Error:"),
          "expected an out-of-memory error, got %s", r && eider_result_error(r) ? eider_result_error(r) : "success");
    eider_result_destroy(r);
    CHECK(pool_used_bytes(db->pool) <= pool_small + (256 << 10), "pool after failed statement %llu vs %llu",
          (unsigned long long)pool_used_bytes(db->pool), (unsigned long long)pool_small);
    r = run(con, "SELECT count(*) FROM range(1000)");
    CHECK(r && !eider_result_error(r) && eider_value_int64(r, 0, 0) == 1000, "database usable after OOM");
    eider_result_destroy(r);
    r = run(con, "SELECT * FROM t");
    CHECK(r && eider_result_error_type(r) == EIDER_ERROR_CATALOG, "failed CREATE TABLE AS left no table");
    eider_result_destroy(r);

    /* with every table gone, nothing but metadata stays in the pool, and closing unmaps it all */
    for (int t = 0; t < TAG_COUNT; t++)
        if (t != TAG_METADATA && t != TAG_ALLOCATOR)
            CHECK(pool_tag_used_bytes(db->pool, (memory_tag)t) == 0, "%s still holds %llu bytes",
                  memory_tag_name((memory_tag)t), (unsigned long long)pool_tag_used_bytes(db->pool, (memory_tag)t));
    eider_disconnect(con);
    eider_close(db);
    int maps_after = mapping_count();
#ifndef EIDER_SANITIZE
    /* worker thread stacks are unmapped when the threads are joined; allow for the C library's own
     * arenas, which it keeps */
    CHECK(maps_after <= maps_before + 4, "mappings before open %d, after close %d", maps_before, maps_after);
    CHECK(rss_kib() <= rss_at_start + 8 * 1024, "rss after close %ld KiB, before open %ld KiB", rss_kib(), rss_at_start);
#else
    /* the sanitizers' allocator maps and keeps memory of its own (quarantine, shadow) */
    (void)maps_after, (void)maps_before, (void)rss_at_start;
#endif
    return test_summary();
}
