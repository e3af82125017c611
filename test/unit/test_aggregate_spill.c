/* The hash aggregate under a 64MB memory limit, through the public API: GROUP BY with about two
 * million groups (BIGINT and VARCHAR keys, min/max over long strings) and SELECT DISTINCT spill
 * to partitions and give the same answers as without a limit, on one and two threads; with
 * spilling disabled the query fails with an Out of Memory error and the database goes on
 * working, also when the temp directory's size limit stops the spill; after every query the
 * pool holds only what the table holds, and no temp file of the query remains. The partition
 * module itself is driven directly with a tiny budget, so partitions split again level after
 * level. */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eider.h"
#include "execution/agg_spill.h"
#include "execution/key_hash.h"
#include "main/database.h"
#include "test_util.h"

#ifdef EIDER_SANITIZE
#define ROWS 600000 /* the sanitizers are ~10x slower; the groups still need several times the limit */
#define KEYS 400000
#else
#define ROWS 2500000
#define KEYS 2000000
#endif

#define POOL_SLACK ((int64_t)1 << 20)
/* groups for the query that must fail without spilling: more than 64MB holds even as spill records
 * (the query reads every aggregate, so none is dropped) */
#define NO_SPILL_KEYS 3000000

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

/* The first row of a query's result as text, values joined by '|' (NULL on failure). */
static char *first_row(eider_connection *con, const char *sql) {
    eider_result *r = run(con, sql);
    if (!r || eider_result_error(r) || eider_row_count(r) == 0) {
        fprintf(stderr, "query failed: %s\n  %s\n", sql, r && eider_result_error(r) ? eider_result_error(r) : "no rows");
        eider_result_destroy(r);
        return NULL;
    }
    size_t cap = 1024, len = 0;
    char *out = calloc(1, cap);
    for (uint64_t c = 0; c < eider_column_count(r); c++) {
        char *v = eider_value_is_null(r, c, 0) ? NULL : eider_value_text(r, c, 0);
        len += (size_t)snprintf(out + len, cap - len, "%s%s", c ? "|" : "", v ? v : "NULL");
        eider_free(v);
    }
    eider_result_destroy(r);
    return out;
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

static int64_t hash_table_bytes(eider_connection *con) {
    return query_i64(con, "SELECT coalesce(sum(memory_usage_bytes) + sum(temporary_storage_bytes), 0) "
                          "FROM eider_memory() WHERE tag = 'HASH_TABLE'");
}

static int64_t temp_file_count(eider_connection *con) {
    return query_i64(con, "SELECT count(*) FROM eider_temporary_files()");
}

/* The queries, each reduced to one row by an outer aggregate. */
static const char *GROUP_BIGINT = "SELECT count(*), sum(k), sum(c), sum(sx), sum(length(mi) * (k % 13)), "
                                  "sum(length(ma) * (k % 7)), min(mi), max(ma) FROM "
                                  "(SELECT k, sum(x) AS sx, count(*) AS c, min(s) AS mi, max(s) AS ma FROM t GROUP BY k)";
static const char *GROUP_VARCHAR = "SELECT count(*), sum(c), sum(sx), sum(length(g)), min(g), max(g), "
                                   "sum(length(mi) * (c + 1)) FROM (SELECT g, count(*) AS c, sum(x) AS sx, min(s) AS mi "
                                   "FROM (SELECT 'the group key ' || k AS g, x, s FROM t) GROUP BY g)";
static const char *DISTINCT = "SELECT count(*), sum(k), sum(length(s)), max(s) FROM (SELECT DISTINCT k, s FROM t)";
/* a few groups of the big aggregate; the filter reads an aggregate so it stays above it */
static const char *SOME_GROUPS = "SELECT k, sx, c, mi, ma FROM (SELECT k, sum(x) AS sx, count(*) AS c, min(s) AS mi, "
                                 "max(s) AS ma FROM t GROUP BY k) WHERE CASE WHEN c > 0 THEN k ELSE -1 END IN (0, 777, %d) "
                                 "ORDER BY k";

/* s of row i, as the table defines it */
static void s_of(uint64_t i, char *buf, size_t size) {
    if (i % 4 == 0) snprintf(buf, size, "v%" PRIu64, i % 5003);
    else snprintf(buf, size, "a longer value, number %" PRIu64, i % 5003);
}

/* The groups computed here: per key its rows' sum of x, count, and the rows holding min(s) and
 * max(s) (a key has at most two rows, one of them the first). */
typedef struct model {
    int64_t *sx;
    uint32_t *count, *min_row, *max_row, *other_row;
} model;

static void model_build(model *m) {
    m->sx = calloc(KEYS, sizeof *m->sx);
    m->count = calloc(KEYS, sizeof *m->count);
    m->min_row = calloc(KEYS, sizeof *m->min_row);
    m->max_row = calloc(KEYS, sizeof *m->max_row);
    m->other_row = calloc(KEYS, sizeof *m->other_row);
    char a[64], b[64];
    for (uint64_t i = 0; i < ROWS; i++) {
        uint64_t k = (i * 7919) % KEYS;
        m->sx[k] += (int64_t)(i % 1000);
        if (m->count[k]++ == 0) {
            m->min_row[k] = m->max_row[k] = (uint32_t)i;
            continue;
        }
        m->other_row[k] = (uint32_t)i;
        s_of(i, a, sizeof a);
        s_of(m->min_row[k], b, sizeof b);
        if (strcmp(a, b) < 0) m->min_row[k] = (uint32_t)i;
        s_of(m->max_row[k], b, sizeof b);
        if (strcmp(a, b) > 0) m->max_row[k] = (uint32_t)i;
    }
}

static void model_free(model *m) {
    free(m->sx);
    free(m->count);
    free(m->min_row);
    free(m->max_row);
    free(m->other_row);
}

static void keep_min(char *best, const char *s, bool first) {
    if (first || strcmp(s, best) < 0) strcpy(best, s);
}
static void keep_max(char *best, const char *s, bool first) {
    if (first || strcmp(s, best) > 0) strcpy(best, s);
}

/* The expected rows of GROUP_BIGINT, GROUP_VARCHAR and DISTINCT. */
static void model_expect(const model *m, char *bigint, char *varchar, char *distinct, size_t size) {
    int64_t groups = 0, sk = 0, sc = 0, ssx = 0, lmi = 0, lma = 0, lg = 0, lmic = 0;
    int64_t pairs = 0, pk = 0, plen = 0;
    char mi[64] = "", ma[64] = "", gmin[64] = "", gmax[64] = "", pmax[64] = "", s[64], g[64];
    for (uint64_t k = 0; k < KEYS; k++) {
        if (!m->count[k]) continue;
        char smin[64], smax[64];
        s_of(m->min_row[k], smin, sizeof smin);
        s_of(m->max_row[k], smax, sizeof smax);
        keep_min(mi, smin, groups == 0);
        keep_max(ma, smax, groups == 0);
        snprintf(g, sizeof g, "the group key %" PRIu64, k);
        keep_min(gmin, g, groups == 0);
        keep_max(gmax, g, groups == 0);
        lg += (int64_t)strlen(g);
        lmi += (int64_t)strlen(smin) * (int64_t)(k % 13);
        lma += (int64_t)strlen(smax) * (int64_t)(k % 7);
        lmic += (int64_t)strlen(smin) * (m->count[k] + 1);
        groups++, sk += (int64_t)k, sc += m->count[k], ssx += m->sx[k];
        /* distinct (k, s): the group's rows, once each */
        uint32_t rows[2] = {m->min_row[k], m->min_row[k] == m->max_row[k] ? m->other_row[k] : m->max_row[k]};
        for (uint32_t r = 0; r < m->count[k]; r++) {
            s_of(rows[r], s, sizeof s);
            if (r == 1 && strcmp(s, smin) == 0) continue;
            keep_max(pmax, s, pairs == 0);
            pairs++, pk += (int64_t)k, plen += (int64_t)strlen(s);
        }
    }
    snprintf(bigint, size, "%" PRId64 "|%" PRId64 "|%" PRId64 "|%" PRId64 "|%" PRId64 "|%" PRId64 "|%s|%s", groups, sk,
             sc, ssx, lmi, lma, mi, ma);
    snprintf(varchar, size, "%" PRId64 "|%" PRId64 "|%" PRId64 "|%" PRId64 "|%s|%s|%" PRId64, groups, sc, ssx, lg, gmin,
             gmax, lmic);
    snprintf(distinct, size, "%" PRId64 "|%" PRId64 "|%" PRId64 "|%s", pairs, pk, plen, pmax);
}

/* The expected line of group k: "k|sum(x)|count|min(s)|max(s)". */
static void expected_group(const model *m, uint64_t k, char *out, size_t size) {
    char mi[64], ma[64];
    s_of(m->min_row[k], mi, sizeof mi);
    s_of(m->max_row[k], ma, sizeof ma);
    snprintf(out, size, "%" PRIu64 "|%" PRId64 "|%u|%s|%s", k, m->sx[k], m->count[k], mi, ma);
}

static void check_some_groups(eider_connection *con, const model *m) {
    char sql[1024];
    snprintf(sql, sizeof sql, SOME_GROUPS, KEYS - 1);
    eider_result *r = run(con, sql);
    CHECK(r && !eider_result_error(r) && eider_row_count(r) == 3, "three groups: %s",
          r && eider_result_error(r) ? eider_result_error(r) : "wrong row count");
    const uint64_t keys[3] = {0, 777, KEYS - 1};
    for (uint64_t row = 0; r && !eider_result_error(r) && row < eider_row_count(r) && row < 3; row++) {
        char got[512] = "", want[512];
        for (uint64_t c = 0; c < 5; c++) {
            char *v = eider_value_text(r, c, row);
            size_t len = strlen(got);
            snprintf(got + len, sizeof got - len, "%s%s", c ? "|" : "", v);
            eider_free(v);
        }
        expected_group(m, keys[row], want, sizeof want);
        CHECK(strcmp(got, want) == 0, "group %" PRIu64 ": got %s, want %s", keys[row], got, want);
    }
    eider_result_destroy(r);
}

/* Runs query under the limit and compares its row with the reference; then checks the pool. */
static void check_query(eider_connection *con, const char *name, const char *sql, const char *reference,
                        int64_t pool_before) {
    char *got = first_row(con, sql);
    CHECK(got && reference && strcmp(got, reference) == 0, "%s: got %s, want %s", name, got ? got : "(error)",
          reference ? reference : "(error)");
    free(got);
    int64_t after = pool_total(con);
    CHECK(after <= pool_before + POOL_SLACK && after + POOL_SLACK >= pool_before,
          "%s: pool holds %" PRId64 " bytes after the query, %" PRId64 " before", name, after, pool_before);
    CHECK(hash_table_bytes(con) == 0, "%s: HASH_TABLE bytes remain", name);
}

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

/* Interrupts the big aggregate once its partitions reach the temp files (or after two seconds):
 * it stops with the Interrupted error and gives back every block. */
static void check_interrupt(eider_database *db, eider_connection *con, int64_t pool_before) {
    runner r = {.con = con, .sql = GROUP_BIGINT};
    atomic_init(&r.done, false);
    pthread_t t;
    pthread_create(&t, NULL, run_thread, &r);
    for (int ms = 0; ms < 2000 && !atomic_load(&r.done) && !pool_tag_temporary_bytes(db->pool, TAG_HASH_TABLE); ms++)
        usleep(1000);
    eider_interrupt(con);
    pthread_join(t, NULL);
    CHECK(r.result && eider_result_error_type(r.result) == EIDER_ERROR_INTERRUPTED, "interrupt: %s",
          r.result && eider_result_error(r.result) ? eider_result_error(r.result) : "finished first");
    eider_result_destroy(r.result);
    CHECK(hash_table_bytes(con) == 0, "HASH_TABLE bytes after the interrupt");
    int64_t after = pool_total(con);
    CHECK(after <= pool_before + POOL_SLACK && after + POOL_SLACK >= pool_before,
          "interrupt: pool holds %" PRId64 " bytes after the query, %" PRId64 " before", after, pool_before);
}

static void test_spilling(const char *dir) {
    eider_database *db = NULL;
    eider_connection *con = NULL;
    CHECK(eider_open(NULL, NULL, &db, NULL) == EIDER_SUCCESS && eider_connect(db, &con) == EIDER_SUCCESS);
    if (!con) return;
    char sql[1024];
    snprintf(sql, sizeof sql, "SET temp_directory = '%s'", dir);
    CHECK(run_ok(con, sql));
    snprintf(sql, sizeof sql,
             "CREATE TABLE t AS SELECT (i * 7919) %% %d AS k, i %% 1000 AS x, CASE WHEN i %% 4 = 0 THEN 'v' || (i %% 5003) "
             "ELSE 'a longer value, number ' || (i %% 5003) END AS s FROM range(%d) r(i)",
             KEYS, ROWS);
    CHECK(run_ok(con, sql), "CREATE TABLE");
    model m;
    model_build(&m);
    char ref_bigint[512], ref_varchar[512], ref_distinct[512], want[256];
    model_expect(&m, ref_bigint, ref_varchar, ref_distinct, sizeof ref_bigint);
    snprintf(want, sizeof want, "%d|%" PRId64 "|%d|", KEYS, (int64_t)KEYS * (KEYS - 1) / 2, ROWS);
    CHECK(strncmp(ref_bigint, want, strlen(want)) == 0, "model %s", ref_bigint);

    CHECK(run_ok(con, "SET memory_limit = '64MB'"));
    for (int threads = 1; threads <= 2; threads++) {
        snprintf(sql, sizeof sql, "SET threads = %d", threads);
        CHECK(run_ok(con, sql));
        int64_t before = pool_total(con);
        check_query(con, "GROUP BY BIGINT", GROUP_BIGINT, ref_bigint, before);
        if (threads == 1) continue; /* the rest once, to keep the test short */
        check_query(con, "GROUP BY VARCHAR", GROUP_VARCHAR, ref_varchar, before);
        check_query(con, "SELECT DISTINCT", DISTINCT, ref_distinct, before);
        check_some_groups(con, &m);
        CHECK(hash_table_bytes(con) == 0);
        check_interrupt(db, con, before);
    }
    model_free(&m);

    /* without a table that spills itself, no temp file remains after the query */
    CHECK(run_ok(con, "DROP TABLE t"));
    CHECK(temp_file_count(con) == 0, "temp files after DROP TABLE");
    snprintf(sql, sizeof sql,
             "SELECT count(*), sum(k), sum(c), count(m) FROM (SELECT (i * 7919) %% %d AS k, count(*) AS c, "
             "max('a longer value, number ' || i) AS m FROM range(%d) r(i) GROUP BY k)",
             KEYS, ROWS);
    char *got = first_row(con, sql);
    snprintf(want, sizeof want, "%d|%" PRId64 "|%d|%d", KEYS, (int64_t)KEYS * (KEYS - 1) / 2, ROWS, KEYS);
    CHECK(got && strcmp(got, want) == 0, "generated input: got %s, want %s", got ? got : "(error)", want);
    free(got);
    CHECK(temp_file_count(con) == 0, "temp files after the query");
    CHECK(pool_total(con) <= POOL_SLACK, "pool holds %" PRId64 " bytes", pool_total(con));

    /* a spill past max_temp_directory_size fails the query with that error */
    CHECK(run_ok(con, "SET max_temp_directory_size = '2MB'"));
    eider_result *r = run(con, sql);
    CHECK(r && eider_result_error_type(r) == EIDER_ERROR_TEMP_DIRECTORY_LIMIT, "expected the temp directory limit, got %s",
          r && eider_result_error(r) ? eider_result_error(r) : "success");
    eider_result_destroy(r);
    CHECK(temp_file_count(con) == 0, "temp files after the failed query");
    CHECK(hash_table_bytes(con) == 0, "HASH_TABLE bytes after the failed query");
    CHECK(run_ok(con, "RESET max_temp_directory_size"));
    got = first_row(con, sql);
    CHECK(got && strcmp(got, want) == 0, "after the failure: got %s, want %s", got ? got : "(error)", want);
    free(got);
    eider_disconnect(con);
    eider_close(db);
}

/* With spilling disabled the aggregate fails with Out of Memory, and leaves nothing behind. */
static void test_no_spilling(void) {
    eider_config *config = NULL;
    eider_database *db = NULL;
    eider_connection *con = NULL;
    CHECK(eider_config_create(&config) == EIDER_SUCCESS);
    CHECK(eider_config_set(config, "memory_limit", "64MB") == EIDER_SUCCESS);
    CHECK(eider_config_set(config, "temp_directory", "") == EIDER_SUCCESS);
    CHECK(eider_config_set(config, "threads", "2") == EIDER_SUCCESS);
    CHECK(eider_open(NULL, config, &db, NULL) == EIDER_SUCCESS && eider_connect(db, &con) == EIDER_SUCCESS);
    eider_config_destroy(config);
    if (!con) return;
    int64_t before = pool_total(con);
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT count(*), sum(k), sum(c), max(m) FROM (SELECT i AS k, count(*) AS c, "
             "max('a longer value, number ' || i) AS m FROM range(%d) r(i) GROUP BY k)",
             NO_SPILL_KEYS);
    eider_result *r = run(con, sql);
    CHECK(r && eider_result_error(r) && eider_result_error_type(r) == EIDER_ERROR_OUT_OF_MEMORY &&
              strstr(eider_result_error(r), "Out of Memory Error"),
          "expected an Out of Memory error, got %s", r && eider_result_error(r) ? eider_result_error(r) : "success");
    eider_result_destroy(r);
    CHECK(query_i64(con, "SELECT 42") == 42, "the next query works");
    CHECK(hash_table_bytes(con) == 0, "HASH_TABLE bytes after the failed query");
    int64_t after = pool_total(con);
    CHECK(after <= before + POOL_SLACK, "pool %" PRId64 " after the failed query, %" PRId64 " before", after, before);
    CHECK(temp_file_count(con) == 0);
    eider_disconnect(con);
    eider_close(db);
}

/* ---- the partition module with a tiny budget --------------------------------------------------- */

#define MODULE_GROUPS 6000
#define MODULE_BATCHES 4

typedef struct module_harness {
    buffer_pool *pool;
    arena *arena;
    group_shape shape;
    aggregate_function fns[2]; /* count(*), min(VARCHAR) */
    uint32_t offsets[2];
    group_scratch probe;
    vector key, str;
    int64_t key_data[VECTOR_SIZE];
    string_t str_data[VECTOR_SIZE];
    char text[VECTOR_SIZE][48];
    /* what came back */
    uint64_t groups, count_sum, min_len_sum;
    uint32_t max_level;
} module_harness;

static void module_init(module_harness *h) {
    memset(h, 0, sizeof *h);
    h->pool = pool_create((uint64_t)1 << 30);
    h->arena = arena_create(h->pool, TAG_ALLOCATOR);
    error err;
    error_clear(&err);
    logical_type bigint = {TYPE_BIGINT, 0, 0}, varchar = {TYPE_VARCHAR, 0, 0};
    CHECK(aggregate_function_bind("count_star", NULL, 0, &h->fns[0], &err));
    CHECK(aggregate_function_bind("min", &varchar, 1, &h->fns[1], &err));
    uint32_t state_bytes = ((h->fns[0].state_size + 15) & ~15u) + ((h->fns[1].state_size + 15) & ~15u);
    CHECK(row_layout_init(&h->shape.layout, h->arena, &bigint, 1, sizeof(uint64_t), state_bytes + 8, &err));
    uint32_t off = (h->shape.layout.extra_offset + 15) & ~15u;
    for (int f = 0; f < 2; f++) {
        h->offsets[f] = off;
        off += (h->fns[f].state_size + 15) & ~15u;
    }
    h->shape.layout.width = (h->shape.layout.width + 15) & ~15u;
    h->shape.functions = h->fns;
    h->shape.state_offsets = h->offsets;
    h->shape.function_count = 2;
    h->key.type = bigint;
    h->key.data = h->key_data;
    h->str.type = varchar;
    h->str.data = h->str_data;
    vector_set_all_valid(&h->key);
    vector_set_all_valid(&h->str);
}

/* Inserts groups [start, start + n) with one row each: count 1, min = a long string of the key
 * and the batch. */
static bool module_insert(module_harness *h, group_table *t, arena *strings, uint64_t start, uint32_t n,
                          uint32_t batch, error *err) {
    for (uint32_t i = 0; i < n; i++) {
        h->key_data[i] = (int64_t)(start + i);
        int len = snprintf(h->text[i], sizeof h->text[i], "group %06" PRIu64 " of batch %u, long", start + i, batch);
        h->str_data[i] = string_make(h->text[i], (uint32_t)len);
    }
    const vector *keys[1] = {&h->key};
    key_hash_vectors(keys, 1, n, h->probe.hashes);
    if (!group_table_find_or_create(t, keys, n, &h->probe, err)) return false;
    aggregate_context actx = {strings, err};
    void *states[VECTOR_SIZE];
    for (int f = 0; f < 2; f++) {
        for (uint32_t i = 0; i < n; i++) states[i] = h->probe.groups[i] + h->offsets[f];
        if (!h->fns[f].update(states, f ? &h->str : NULL, n, &actx)) return false;
    }
    return true;
}

static void module_collect(module_harness *h, group_table *t) {
    const row_layout *l = &h->shape.layout;
    for (uint32_t b = 0; b < t->rows.blocks.count; b++) {
        block_entry *e = &t->rows.blocks.entries[b];
        for (uint64_t r = 0; r < e->used; r++) {
            uint8_t *row = e->data + r * l->width;
            int64_t count;
            memcpy(&count, row + h->offsets[0], sizeof count);
            uint32_t len;
            memcpy(&len, row + h->offsets[1], sizeof len); /* str_state starts with its length */
            h->groups++;
            h->count_sum += (uint64_t)count;
            h->min_len_sum += len;
        }
    }
}

/* Reads every partition of set (and of the sets it splits into), depth first. */
static bool module_read(module_harness *h, agg_spill *s, agg_partitions *set, uint64_t budget, error *err) {
    if (set->level > h->max_level) h->max_level = set->level;
    bool ok = true;
    for (uint32_t p = 0; ok && p < AGG_SPILL_PARTITIONS; p++) {
        if (!set->parts[p].count) continue;
        group_table t;
        group_table_init(&t, &h->shape, h->pool, TAG_HASH_TABLE);
        arena *strings = arena_create(h->pool, TAG_HASH_TABLE);
        agg_partitions *sub = NULL;
        ok = agg_spill_read_partition(s, &set->parts[p], set->level, &t, strings, budget, &sub, err);
        if (ok && sub) ok = module_read(h, s, sub, budget, err);
        else if (ok) module_collect(h, &t);
        agg_partitions_destroy(sub);
        group_table_free(&t);
        arena_destroy(strings);
    }
    return ok;
}

/* Every group goes into the partitions once per batch (its states merge on reading), and a
 * budget of one byte splits a partition whenever it has a second record to read. */
static void test_partition_module(void) {
    module_harness h;
    module_init(&h);
    error err;
    error_clear(&err);
    pool_query_begin(h.pool); /* as the executor does: freed blocks are reused, not unmapped */
    agg_spill *s = agg_spill_create(h.pool, &h.shape, &err);
    agg_partitions *parts = agg_partitions_create(h.pool, 0, &err);
    CHECK(s && parts);
    group_table t;
    group_table_init(&t, &h.shape, h.pool, TAG_HASH_TABLE);
    arena *strings = arena_create(h.pool, TAG_HASH_TABLE);
    bool ok = s && parts;
    for (uint32_t batch = 0; ok && batch < MODULE_BATCHES; batch++) {
        for (uint64_t g = 0; ok && g < MODULE_GROUPS; g += VECTOR_SIZE) {
            uint32_t n = MODULE_GROUPS - g < VECTOR_SIZE ? (uint32_t)(MODULE_GROUPS - g) : VECTOR_SIZE;
            ok = module_insert(&h, &t, strings, g, n, batch, &err);
        }
        ok = ok && agg_spill_write_table(s, &t, parts, &err);
        group_table_free(&t);
        arena_reset(strings);
    }
    CHECK(ok, "writing: %s", err.message);
    CHECK(agg_partitions_rows(parts) == (uint64_t)MODULE_GROUPS * MODULE_BATCHES);
    /* nothing was evicted, so every write appended to the partition's standard block */
    uint32_t other_blocks = 0;
    for (uint32_t p = 0; ok && p < AGG_SPILL_PARTITIONS; p++) {
        const block_list *l = &parts->parts[p];
        if (l->count != 1 || block_size(l->entries[0].handle) != POOL_BLOCK_SIZE) other_blocks++;
    }
    CHECK(other_blocks == 0, "%u partitions hold other than one standard block", other_blocks);
    ok = ok && module_read(&h, s, parts, 1, &err);
    CHECK(ok, "reading: %s", err.message);
    CHECK(h.groups == MODULE_GROUPS, "groups %" PRIu64, h.groups);
    CHECK(h.count_sum == (uint64_t)MODULE_GROUPS * MODULE_BATCHES, "count sum %" PRIu64, h.count_sum);
    /* min over the batches is batch 0's string: "group 000123 of batch 0, long" */
    CHECK(h.min_len_sum == (uint64_t)MODULE_GROUPS * 29, "min lengths %" PRIu64, h.min_len_sum);
    CHECK(h.max_level >= 2, "partitions split to level %u", h.max_level);
    agg_partitions_destroy(parts);
    agg_spill_destroy(s);
    arena_destroy(strings);
    pool_query_end(h.pool);
    CHECK(pool_tag_used_bytes(h.pool, TAG_HASH_TABLE) == 0, "HASH_TABLE bytes left: %" PRIu64,
          pool_tag_used_bytes(h.pool, TAG_HASH_TABLE));
    arena_destroy(h.arena);
    pool_destroy(h.pool);
}

int main(void) {
    test_partition_module();
    char base[] = "/tmp/eider_aggspill_XXXXXX";
    if (!mkdtemp(base)) {
        perror("mkdtemp");
        return 1;
    }
    char dir[sizeof base + 16];
    snprintf(dir, sizeof dir, "%s/spill", base);
    test_spilling(dir);
    test_no_spilling();
    rmdir(dir); /* removed at close when empty; this only tidies after a failure */
    CHECK(rmdir(base) == 0, "the temp directory is left empty");
    return test_summary();
}
