/* ORDER BY larger than its memory budget: the external merge sort.
 *
 * 1. The operator alone over a small pool that spills to a temp directory: many runs, merged in
 *    more than one pass, VARCHAR keys with long shared prefixes (full comparison on ties), NULLs,
 *    DESC, an OFFSET; output compared row by row with a reference sort; nothing left afterwards.
 *    Then beside ever more memory pinned by others: it finishes, or at the very end fails cleanly.
 * 2. Through the public API, memory_limit 64MB, threads 1 and 2: a sort of a table larger than the
 *    limit (the sort state holds a VARCHAR the result does not), read back in full and checked;
 *    a CREATE TABLE AS ... ORDER BY on a VARCHAR key; the sort's runs are seen in temp storage
 *    while it runs, and afterwards the pool and the temp files hold only what the tables hold.
 * 3. With spilling disabled a sort larger than its budget fails with Out of Memory; with a
 *    directory the same query succeeds.
 * 4. A spilling sort interrupted from another thread (while sinking, and later while merging)
 *    leaves nothing behind. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "eider.h"
#include "execution/order_by.h"
#include "main/database.h"
#include "memory/temp_files.h"

#define TEST_UTIL_OPERATORS
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

/* ---- 1. the operator over a small spilling pool ------------------------------------------------- */

typedef struct ref_row {
    int64_t a;
    bool a_null;
    char s[64];
    bool s_null;
    int64_t id;
} ref_row;

/* The query's order: s ASC NULLS LAST, a DESC NULLS FIRST, id ASC. */
static int cmp_ref(const void *x_, const void *y_) {
    const ref_row *x = x_, *y = y_;
    if (x->s_null != y->s_null) return x->s_null ? 1 : -1;
    if (!x->s_null) {
        int r = strcmp(x->s, y->s);
        if (r) return r;
    }
    if (x->a_null != y->a_null) return x->a_null ? -1 : 1;
    if (!x->a_null && x->a != y->a) return x->a > y->a ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static void make_ref_row(ref_row *x, int64_t i) {
    static const char *prefixes[4] = {"", "a-long-shared-prefix-of-many-bytes-", "zz", "a-long-shared-prefix-of-many-bytes-x"};
    uint64_t h = (uint64_t)i * 0x9E3779B97F4A7C15ULL;
    h ^= h >> 29;
    x->id = i;
    x->a = (int64_t)(h % 101) - 50;
    x->a_null = h % 23 == 0;
    snprintf(x->s, sizeof x->s, "%s%u", prefixes[(h >> 8) % 4], (unsigned)((h >> 16) % 997));
    x->s_null = (h >> 40) % 31 == 0;
}

typedef struct op_run {
    const ref_row *ref;
    uint64_t next, mismatches;
} op_run;

static void check_chunk(const chunk *c, op_run *r) {
    for (uint32_t k = 0; k < c->count; k++, r->next++) {
        const ref_row *x = &r->ref[r->next];
        int64_t id = ((const int64_t *)c->columns[2].data)[k];
        const string_t *s = &((const string_t *)c->columns[1].data)[k];
        bool s_valid = vector_is_valid(&c->columns[1], k);
        bool ok = id == x->id && s_valid == !x->s_null &&
                  (!s_valid || (s->length == strlen(x->s) && memcmp(string_data(s), x->s, s->length) == 0));
        if (!ok && r->mismatches++ < 5)
            fprintf(stderr, "row %" PRIu64 ": got id %" PRId64 " expected %" PRId64 " (%s)\n", r->next, id, x->id, x->s);
    }
}

/* Sinks rows [0, n) over `threads` local states, then reads the result from offset on. */
static bool run_operator(harness *h, physical_op *op, uint64_t n, int threads, op_run *check) {
    const physical_op_vtable *vt = op->vt;
    error *err = &h->err;
    error_clear(err);
    logical_type types[3] = {BIGINT, VARCHAR, BIGINT};
    chunk *in = chunk_create(h->arena, types, 3, err);
    bool ok = in && vt->sink_init(op, &h->ctx, err);
    void *locals[4] = {NULL, NULL, NULL, NULL};
    for (int t = 0; ok && t < threads; t++) ok = (locals[t] = vt->sink_local_init(op, &h->ctx, err)) != NULL;
    for (uint64_t start = 0, c = 0; ok && start < n; start += VECTOR_SIZE, c++) {
        chunk_reset(in);
        uint32_t m = (uint32_t)(n - start < VECTOR_SIZE ? n - start : VECTOR_SIZE);
        for (uint32_t k = 0; k < m; k++) {
            ref_row x;
            make_ref_row(&x, (int64_t)(start + k));
            ((int64_t *)in->columns[0].data)[k] = x.a;
            if (x.a_null) vector_set_null(&in->columns[0], k);
            set_str(in, 1, k, x.s);
            if (x.s_null) vector_set_null(&in->columns[1], k);
            ((int64_t *)in->columns[2].data)[k] = x.id;
        }
        in->count = m;
        ok = vt->sink(op, &h->ctx, locals[c % (uint64_t)threads], in, err);
    }
    for (int t = 0; ok && t < threads; t++) ok = vt->combine(op, &h->ctx, locals[t], err);
    for (int t = 0; t < threads; t++)
        if (locals[t]) vt->sink_local_destroy(op, locals[t]);
    if (ok) ok = vt->finalize(op, &h->ctx, err);
    if (ok) ok = vt->source_init(op, &h->ctx, err);
    if (ok) {
        void *sl = vt->source_local_init(op, &h->ctx, err);
        chunk *out = chunk_create(h->arena, op->types, op->column_count, err);
        ok = sl && out;
        while (ok) {
            chunk_reset(out);
            ok = vt->get_data(op, &h->ctx, sl, out, err);
            if (!ok || out->count == 0) break;
            check_chunk(out, check);
        }
        if (sl) vt->source_local_destroy(op, sl);
        if (out) chunk_destroy(out);
    }
    if (in) chunk_destroy(in);
    vt->destroy(op);
    return ok;
}

/* A harness whose pool (8 MiB) spills to tmp_root/name. */
static temp_files *spilling_harness(harness *h, const char *name, int threads) {
    char dir[512];
    snprintf(dir, sizeof dir, "%s/%s", tmp_root, name);
    harness_init(h, (uint64_t)8 << 20);
    h->ctx.threads = (uint32_t)threads;
    temp_files *tf = temp_files_create(h->pool);
    CHECK(temp_files_set_directory(tf, dir, &h->err));
    pool_spill_hooks hooks = temp_files_hooks(tf);
    pool_set_spill_hooks(h->pool, &hooks);
    return tf;
}

/* Checks the sort left nothing in memory, temp storage or files, then that the pool is empty. */
static void spilling_harness_done(harness *h, temp_files *tf) {
    CHECK(pool_tag_used_bytes(h->pool, TAG_ORDER_BY) == 0, "ORDER_BY bytes left: %" PRIu64,
          pool_tag_used_bytes(h->pool, TAG_ORDER_BY));
    CHECK(pool_tag_temporary_bytes(h->pool, TAG_ORDER_BY) == 0);
    CHECK(temp_files_file_count(tf) == 0, "temp files left: %u", temp_files_file_count(tf));
    arena_destroy(h->arena);
    pool_set_spill_hooks(h->pool, NULL);
    temp_files_destroy(tf);
    CHECK(pool_used_bytes(h->pool) == 0, "pool bytes left: %" PRIu64, pool_used_bytes(h->pool));
    pool_destroy(h->pool);
}

/* The reference rows [0, n) in the query's order (free them). */
static ref_row *sorted_ref(uint64_t rows) {
    ref_row *ref = malloc(sizeof *ref * rows);
    for (uint64_t i = 0; i < rows; i++) make_ref_row(&ref[i], (int64_t)i);
    qsort(ref, rows, sizeof *ref, cmp_ref);
    return ref;
}

/* ORDER BY s ASC NULLS LAST, a DESC NULLS FIRST, id over the fake child, from offset on. */
static physical_op *order_op(harness *h, uint64_t offset) {
    logical_type types[3] = {BIGINT, VARCHAR, BIGINT};
    physical_op *child = fake_child(h, types, 3);
    sort_key keys[3] = {{1, false, false}, {0, true, true}, {2, false, false}};
    return order_by_create(h->arena, child, keys, 3, -1, offset, &h->err);
}

static void test_operator_spill(uint64_t rows, int threads, uint64_t offset) {
    harness h;
    temp_files *tf = spilling_harness(&h, "op", threads);
    ref_row *ref = sorted_ref(rows);
    physical_op *op = order_op(&h, offset);
    op_run check = {.ref = ref, .next = offset};
    bool ok = op && run_operator(&h, op, rows, threads, &check);
    CHECK(ok, "operator sort of %" PRIu64 " rows on %d threads: %s", rows, threads, h.err.message);
    CHECK(check.next == rows && check.mismatches == 0, "%" PRIu64 " rows read of %" PRIu64 ", %" PRIu64 " out of order",
          check.next, rows, check.mismatches);
    free(ref);
    spilling_harness_done(&h, tf);
}

/* The operator beside `ballast_kib` KiB pinned by something else (metadata, a scan's pins), so
 * the room its budget is cut from keeps shrinking. With at least 2 MiB of the 8 MiB limit left it
 * must finish; with less it either finishes or fails with Out of Memory; either way it leaves no
 * byte and no temp file behind. Just above the point where the run being spilled finds no block
 * beside the rows, entries and scratch it holds, the spill frees the scratch and writes it again. */
static void test_operator_ballast(uint64_t rows, uint32_t ballast_kib, bool must_finish) {
    harness h;
    temp_files *tf = spilling_harness(&h, "ballast", 1);
    block_handle *pinned[256] = {NULL};
    for (uint32_t i = 0; i < ballast_kib / 32 && i < 256; i++) {
        pinned[i] = block_alloc(h.pool, TAG_METADATA, BLOCK_TEMPORARY, 32 << 10, &h.err);
        CHECK(pinned[i] != NULL, "ballast block %u: %s", i, h.err.message);
    }
    ref_row *ref = sorted_ref(rows);
    physical_op *op = order_op(&h, 0);
    op_run check = {.ref = ref};
    bool ok = op && run_operator(&h, op, rows, 1, &check);
    if (ok)
        CHECK(check.next == rows && check.mismatches == 0, "ballast %u KiB: %" PRIu64 " rows read of %" PRIu64
              ", %" PRIu64 " out of order", ballast_kib, check.next, rows, check.mismatches);
    else
        CHECK(!must_finish && h.err.type == EIDER_ERROR_OUT_OF_MEMORY, "ballast %u KiB: %s", ballast_kib, h.err.message);
    free(ref);
    for (uint32_t i = 0; i < 256; i++) block_free(pinned[i]);
    spilling_harness_done(&h, tf);
}

/* ---- helpers for the database tests -------------------------------------------------------------- */

/* After a query: the sort holds nothing, the tables hold what they held, and a temp file remains
 * only while some table block is spilled. */
static void check_clean(eider_database *db, eider_connection *con, int64_t tables_before, const char *what) {
    CHECK(query_int(con, "SELECT memory_usage_bytes + temporary_storage_bytes FROM eider_memory() WHERE tag = 'ORDER_BY'") == 0,
          "%s: ORDER_BY bytes left", what);
    check_tables_and_temp_files(con, tables_before, what);
    CHECK(pool_used_bytes(db->pool) <= pool_memory_limit(db->pool));
}

/* Watches the pool from another thread while a query runs: the highest ORDER_BY temporary bytes
 * (the sort's runs written to temp files) and the highest pool use (metadata aside). */
typedef struct watcher {
    eider_database *db;
    atomic_bool stop;
    uint64_t max_order_spilled, max_used;
    pthread_t thread;
} watcher;

static void *watch(void *arg) {
    watcher *w = arg;
    while (!atomic_load(&w->stop)) {
        uint64_t t = pool_tag_temporary_bytes(w->db->pool, TAG_ORDER_BY);
        /* metadata is counted but never refused: the limit holds for the rest */
        uint64_t u = pool_used_bytes(w->db->pool) - pool_tag_used_bytes(w->db->pool, TAG_METADATA);
        if (t > w->max_order_spilled) w->max_order_spilled = t;
        if (u > w->max_used) w->max_used = u;
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

/* ---- 2. sorts of a table larger than memory_limit --------------------------------------------- */

static void test_sql_spill(int threads, int64_t rows) {
    char dir[512], sql[1024], what[64];
    snprintf(dir, sizeof dir, "%s/db%d", tmp_root, threads);
    eider_connection *con;
    eider_database *db = open_db("64MB", threads, dir, &con);
    CHECK(db != NULL);
    if (!db) return;
    snprintf(sql, sizeof sql,
             "CREATE TABLE t AS SELECT (i * 7919) %% 3000017 AS v, "
             "'value ' || i || ' of a string that is about sixty bytes long' AS s, (i %% 1000)::INTEGER AS g "
             "FROM range(%" PRId64 ") r(i)", rows);
    CHECK(run_ok(con, sql), "create t");
    int64_t tables = table_bytes(con);

    /* ORDER BY v DESC, s; the result has v and g only */
    snprintf(what, sizeof what, "threads %d: ORDER BY v DESC, s", threads);
    watcher w;
    watch_start(&w, db);
    double t0 = now();
    eider_result *r = run(con, "SELECT v, g FROM (SELECT v, s, g FROM t ORDER BY v DESC, s)");
    double seconds = now() - t0;
    watch_stop(&w);
    CHECK(r && !eider_result_error(r), "%s: %s", what, r && eider_result_error(r) ? eider_result_error(r) : "");
    if (r && !eider_result_error(r)) {
        uint64_t n = eider_row_count(r), bad = 0;
        int64_t sum_v = 0, sum_g = 0, prev = INT64_MAX;
        for (uint64_t i = 0; i < n; i++) {
            int64_t v = eider_value_int64(r, 0, i), g = eider_value_int64(r, 1, i);
            if (v > prev) bad++;
            prev = v;
            sum_v += v;
            sum_g += g;
        }
        /* v = i * 7919 mod a prime: distinct, and g = i % 1000 */
        int64_t expect_v = 0, expect_g = 0;
        for (int64_t i = 0; i < rows; i++) expect_v += (i * 7919) % 3000017, expect_g += i % 1000;
        CHECK(n == (uint64_t)rows, "%s: %" PRIu64 " rows", what, n);
        CHECK(bad == 0, "%s: %" PRIu64 " rows out of order", what, bad);
        CHECK(sum_v == expect_v && sum_g == expect_g, "%s: checksums", what);
    }
    eider_result_destroy(r);
    printf("%s: %.2f s, ORDER_BY spilled up to %.1f MB, pool up to %.1f MB\n", what, seconds,
           (double)w.max_order_spilled / 1e6, (double)w.max_used / 1e6);
    CHECK(w.max_order_spilled > 0, "%s: the sort wrote no runs to temp files", what);
    CHECK(w.max_used <= pool_memory_limit(db->pool));
    check_clean(db, con, tables, what);

    /* CREATE TABLE AS ... ORDER BY a VARCHAR key */
    snprintf(what, sizeof what, "threads %d: CTAS ORDER BY s, v", threads);
    watch_start(&w, db);
    CHECK(run_ok(con, "CREATE TABLE o AS SELECT * FROM t ORDER BY s, v"), "%s", what);
    watch_stop(&w);
    CHECK(w.max_order_spilled > 0, "%s: the sort wrote no runs to temp files", what);
    CHECK(query_int(con, "SELECT count(*) FROM o") == rows, "%s: count", what);
    CHECK(query_int(con, "SELECT (x = y)::INTEGER FROM (SELECT sum(v) AS x FROM o) a, (SELECT sum(v) AS y FROM t) b") == 1,
          "%s: sum", what);
    /* the first 1000 rows in insertion order are the 1000 smallest (s, v) */
    r = run(con, "SELECT s, v FROM o LIMIT 1000");
    eider_result *e = run(con, "SELECT s, v FROM t ORDER BY s, v LIMIT 1000");
    bool same = r && e && !eider_result_error(r) && !eider_result_error(e) && eider_row_count(r) == 1000 &&
                eider_row_count(e) == 1000;
    for (uint64_t i = 0; same && i < 1000; i++) {
        char *a = eider_value_text(r, 0, i), *b = eider_value_text(e, 0, i);
        same = a && b && strcmp(a, b) == 0 && eider_value_int64(r, 1, i) == eider_value_int64(e, 1, i);
        if (!same) fprintf(stderr, "row %" PRIu64 ": %s vs %s\n", i, a ? a : "?", b ? b : "?");
        eider_free(a);
        eider_free(b);
    }
    CHECK(same, "%s: prefix in order", what);
    eider_result_destroy(r);
    eider_result_destroy(e);
    CHECK(run_ok(con, "DROP TABLE o"), "drop o");
    check_clean(db, con, tables, what);

    CHECK(run_ok(con, "DROP TABLE t"), "drop t");
    CHECK(query_int(con, "SELECT count(*) FROM eider_temporary_files()") == 0, "temp files after the drops");
    CHECK(query_int(con, "SELECT sum(memory_usage_bytes + temporary_storage_bytes) FROM eider_memory() "
                         "WHERE tag NOT IN ('METADATA', 'ALLOCATOR')") == 0,
          "pool after the drops");
    eider_disconnect(con);
    eider_close(db);
}

/* ---- 3. spilling disabled, then enabled ---------------------------------------------------------- */

static void test_needs_spilling(void) {
    char dir[300], sql[512];
    snprintf(dir, sizeof dir, "%s/later", tmp_root);
    eider_connection *con;
    eider_database *db = open_db("64MB", 2, "", &con);
    CHECK(db != NULL);
    if (!db) return;
    /* a table that fits (about 32 MB) whose sort state (about 110 MB, with a second string of 120
     * bytes a row) does not fit in the memory left */
    int64_t rows = 400000;
    snprintf(sql, sizeof sql,
             "CREATE TABLE t AS SELECT (i * 7919) %% 3000017 AS v, "
             "'value ' || i || ' of a string that is about sixty bytes long' AS s FROM range(%" PRId64 ") r(i)",
             rows);
    CHECK(run_ok(con, sql), "create t");
    const char *q = "CREATE TABLE o AS SELECT *, s || s AS s2 FROM t ORDER BY s DESC, v";
    eider_result *r = run(con, q);
    CHECK(r && eider_result_error_type(r) == EIDER_ERROR_OUT_OF_MEMORY && strstr(eider_result_error(r), "Out of Memory Error"),
          "without a temp directory: %s", r && eider_result_error(r) ? eider_result_error(r) : "success");
    eider_result_destroy(r);
    CHECK(pool_tag_used_bytes(db->pool, TAG_ORDER_BY) == 0);
    snprintf(sql, sizeof sql, "SET temp_directory='%s'", dir);
    CHECK(run_ok(con, sql), "set temp_directory");
    watcher w;
    watch_start(&w, db);
    CHECK(run_ok(con, q), "with a temp directory");
    watch_stop(&w);
    CHECK(w.max_order_spilled > 0, "the sort wrote runs to temp files");
    CHECK(query_int(con, "SELECT count(*) FROM o") == rows);
    CHECK(query_int(con, "SELECT count(*) FROM (SELECT s FROM o LIMIT 1) WHERE s = 'value 99999 of a string that is about sixty bytes long'") == 1);
    CHECK(run_ok(con, "DROP TABLE o"));
    CHECK(pool_tag_used_bytes(db->pool, TAG_ORDER_BY) == 0 && pool_tag_temporary_bytes(db->pool, TAG_ORDER_BY) == 0);
    int64_t spilled = query_int(con, "SELECT sum(temporary_storage_bytes) FROM eider_memory()");
    CHECK(spilled > 0 || query_int(con, "SELECT count(*) FROM eider_temporary_files()") == 0);
    CHECK(run_ok(con, "DROP TABLE t"));
    CHECK(query_int(con, "SELECT count(*) FROM eider_temporary_files()") == 0);
    eider_disconnect(con);
    eider_close(db);
}

/* ---- 4. interrupting a spilling sort ------------------------------------------------------------- */

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

static const char *interrupt_sql = "SELECT v, g FROM (SELECT v, s, g FROM t ORDER BY s DESC, v)";

/* Interrupts the query once the sort has spilled, or (at > 0) `at` seconds after it started if that
 * is later. Returns whether the interrupt stopped it; a query that finished first fails the test
 * only when `require`. */
static bool interrupt_spilling_sort(eider_database *db, eider_connection *con, int64_t tables, double at,
                                    bool require) {
    runner r = {.con = con, .sql = interrupt_sql};
    atomic_init(&r.done, false);
    pthread_t t;
    double t0 = now();
    pthread_create(&t, NULL, run_thread, &r);
    while (!atomic_load(&r.done) && pool_tag_temporary_bytes(db->pool, TAG_ORDER_BY) == 0 && now() - t0 < 60)
        usleep(1000);
    bool spilled = pool_tag_temporary_bytes(db->pool, TAG_ORDER_BY) > 0;
    while (!atomic_load(&r.done) && now() - t0 < at) usleep(1000);
    eider_interrupt(con);
    pthread_join(t, NULL);
    CHECK(spilled, "the sort spilled before the interrupt");
    bool interrupted = r.result && eider_result_error_type(r.result) == EIDER_ERROR_INTERRUPTED;
    if (require || (!interrupted && r.result && eider_result_error(r.result)))
        CHECK(interrupted, "interrupt at %.2f s: %s", at,
              r.result && eider_result_error(r.result) ? eider_result_error(r.result) : "finished first");
    eider_result_destroy(r.result);
    check_clean(db, con, tables, "interrupted sort");
    CHECK(query_int(con, "SELECT 42") == 42, "the next query runs");
    return interrupted;
}

static void test_interrupt(int64_t rows) {
    char dir[300], sql[512];
    snprintf(dir, sizeof dir, "%s/intr", tmp_root);
    eider_connection *con;
    eider_database *db = open_db("64MB", 2, dir, &con);
    CHECK(db != NULL);
    if (!db) return;
    snprintf(sql, sizeof sql,
             "CREATE TABLE t AS SELECT (i * 7919) %% 3000017 AS v, "
             "'value ' || i || ' of a string that is about sixty bytes long' AS s, (i %% 1000)::INTEGER AS g "
             "FROM range(%" PRId64 ") r(i)", rows);
    CHECK(run_ok(con, sql), "create t");
    int64_t tables = table_bytes(con);
    /* how long the whole sort takes, to interrupt it while it merges */
    double t0 = now();
    CHECK(run_ok(con, interrupt_sql), "uninterrupted");
    double whole = now() - t0;
    interrupt_spilling_sort(db, con, tables, 0, true);
    /* a run may be quicker than the measured one (a busy machine): earlier points follow */
    bool merging = false;
    for (int k = 0; k < 4 && !merging; k++)
        merging = interrupt_spilling_sort(db, con, tables, (0.6 - 0.15 * k) * whole, false);
    CHECK(merging, "an interrupt while the sort merges (%.2f s uninterrupted)", whole);
    CHECK(run_ok(con, "DROP TABLE t"));
    CHECK(query_int(con, "SELECT count(*) FROM eider_temporary_files()") == 0);
    eider_disconnect(con);
    eider_close(db);
}

int main(void) {
    snprintf(tmp_root, sizeof tmp_root, "/tmp/eider_sortspill_XXXXXX");
    if (!mkdtemp(tmp_root)) {
        perror("mkdtemp");
        return 1;
    }
    test_operator_spill(SANITIZED ? 60000 : 200000, 2, 0);
    test_operator_spill(SANITIZED ? 30000 : 100000, 1, 777);
    for (uint32_t kib = 0; kib <= 6144; kib += 1024) test_operator_ballast(SANITIZED ? 20000 : 60000, kib, true);
    for (uint32_t kib = 6176; kib <= 6912; kib += 32) test_operator_ballast(5000, kib, false);
    test_needs_spilling();
    int64_t rows = SANITIZED ? 600000 : 3000000;
    test_sql_spill(2, rows);
    test_sql_spill(1, rows);
    test_interrupt(rows);
    /* every database removed its files; the directories it created are gone or empty */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -r '%s'", tmp_root);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp_root);
    return test_summary();
}
