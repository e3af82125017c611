/* Unit tests of the hash aggregate, driven through its operator interface. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/vector.h"
#include "execution/hash_aggregate.h"
#include "memory/pool.h"

#define TEST_UTIL_OPERATORS
#include "test_util.h"

/* ---- harness ------------------------------------------------------------------------------ */

static aggregate_spec agg(const char *name, logical_type arg, int32_t column, bool distinct) {
    aggregate_spec s;
    memset(&s, 0, sizeof s);
    error err;
    error_clear(&err);
    bool ok = aggregate_function_bind(name, &arg, column < 0 ? 0 : 1, &s.fn, &err);
    if (!ok) fprintf(stderr, "bind %s: %s\n", name, err.message);
    s.arg_column = column;
    s.distinct = distinct;
    return s;
}

/* Runs the operator as two threads would: chunks alternate between two local states, both are
 * combined, then the result is read. Returns false (err set) on failure; always destroys. */
static bool run(harness *h, physical_op *op, chunk **chunks, uint32_t nchunks, lines *out) {
    const physical_op_vtable *vt = op->vt;
    error *err = &h->err;
    error_clear(err);
    bool ok = vt->sink_init(op, &h->ctx, err);
    void *locals[2] = {NULL, NULL};
    for (int t = 0; ok && t < 2; t++) ok = (locals[t] = vt->sink_local_init(op, &h->ctx, err)) != NULL;
    for (uint32_t i = 0; ok && i < nchunks; i++) ok = vt->sink(op, &h->ctx, locals[i % 2], chunks[i], err);
    for (int t = 0; ok && t < 2; t++) ok = vt->combine(op, &h->ctx, locals[t], err);
    for (int t = 0; t < 2; t++)
        if (locals[t]) vt->sink_local_destroy(op, locals[t]);
    if (ok) ok = vt->finalize(op, &h->ctx, err);
    if (ok) ok = vt->source_init(op, &h->ctx, err);
    if (ok) {
        void *sl = vt->source_local_init(op, &h->ctx, err);
        chunk *c = chunk_create(h->arena, op->types, op->column_count, err);
        ok = sl && c;
        while (ok) {
            chunk_reset(c);
            ok = vt->get_data(op, &h->ctx, sl, c, err);
            if (!ok || c->count == 0) break;
            chunk_lines(c, out);
        }
        if (sl) vt->source_local_destroy(op, sl);
        if (c) chunk_destroy(c);
    }
    vt->destroy(op);
    lines_sort(out);
    return ok;
}

static bool lines_equal(lines *got, const char *const *expected, size_t n) {
    lines e = {0};
    for (size_t i = 0; i < n; i++) lines_add(&e, expected[i]);
    lines_sort(&e);
    bool eq = got->n == e.n;
    for (size_t i = 0; eq && i < n; i++) eq = strcmp(got->v[i], e.v[i]) == 0;
    if (!eq) {
        fprintf(stderr, "got %zu rows, expected %zu\n", got->n, e.n);
        for (size_t i = 0; i < got->n && i < 20; i++) fprintf(stderr, "  got: %s\n", got->v[i]);
        for (size_t i = 0; i < e.n && i < 20; i++) fprintf(stderr, "  exp: %s\n", e.v[i]);
    }
    lines_free(&e);
    return eq;
}

/* ---- tests ------------------------------------------------------------------------------------ */

/* GROUP BY k (BIGINT with NULLs): count(*), count(v), sum, min, max, avg. */
static void test_bigint_groups(void) {
    harness h;
    harness_init(&h, 1ULL << 30);
    logical_type types[2] = {BIGINT, BIGINT};
    physical_op *child = fake_child(&h, types, 2);
    enum { CHUNKS = 5, ROWS = 2048 * CHUNKS - 100 };
    chunk *chunks[CHUNKS];
    int64_t cnt[8] = {0}, cntv[8] = {0}, sum[8] = {0}, mn[8], mx[8];
    for (int g = 0; g < 8; g++) mn[g] = INT64_MAX, mx[g] = INT64_MIN;
    uint32_t row = 0;
    for (int c = 0; c < CHUNKS; c++) {
        chunks[c] = chunk_create(h.arena, types, 2, &h.err);
        uint32_t n = c == CHUNKS - 1 ? ROWS - row : 2048;
        for (uint32_t r = 0; r < n; r++, row++) {
            int g = (row % 13 == 0) ? 7 : (int)(row % 7);
            if (g == 7) vector_set_null(&chunks[c]->columns[0], r);
            else ((int64_t *)chunks[c]->columns[0].data)[r] = g * 1000;
            bool vnull = row % 5 == 0;
            if (vnull) vector_set_null(&chunks[c]->columns[1], r);
            ((int64_t *)chunks[c]->columns[1].data)[r] = (int64_t)row - 3000;
            cnt[g]++;
            if (!vnull) {
                int64_t v = (int64_t)row - 3000;
                cntv[g]++, sum[g] += v;
                if (v < mn[g]) mn[g] = v;
                if (v > mx[g]) mx[g] = v;
            }
        }
        chunks[c]->count = n;
    }
    uint32_t groups[1] = {0};
    aggregate_spec aggs[6] = {agg("count_star", BIGINT, -1, false), agg("count", BIGINT, 1, false),
                              agg("sum", BIGINT, 1, false),        agg("min", BIGINT, 1, false),
                              agg("max", BIGINT, 1, false),        agg("avg", BIGINT, 1, false)};
    physical_op *op = hash_aggregate_create(h.arena, child, groups, 1, aggs, 6, &h.err);
    CHECK(op != NULL);
    CHECK(op->column_count == 7);
    lines got = {0};
    CHECK(run(&h, op, chunks, CHUNKS, &got));
    char exp[8][256];
    const char *ep[8];
    for (int g = 0; g < 8; g++) {
        char key[32];
        if (g == 7) snprintf(key, sizeof key, "NULL");
        else snprintf(key, sizeof key, "%d", g * 1000);
        snprintf(exp[g], sizeof exp[g], "%s|%" PRId64 "|%" PRId64 "|%" PRId64 "|%" PRId64 "|%" PRId64 "|%.3f", key,
                 cnt[g], cntv[g], sum[g], mn[g], mx[g], (double)sum[g] / (double)cntv[g]);
        ep[g] = exp[g];
    }
    CHECK(lines_equal(&got, ep, 8));
    lines_free(&got);
    for (int c = 0; c < CHUNKS; c++) chunk_destroy(chunks[c]);
    harness_done(&h, TAG_HASH_TABLE);
}

/* GROUP BY a VARCHAR with short and long strings, min/max over strings. */
static void test_varchar_groups(void) {
    harness h;
    harness_init(&h, 1ULL << 30);
    logical_type types[2] = {VARCHAR, VARCHAR};
    physical_op *child = fake_child(&h, types, 2);
    const char *keys[4] = {"a", "a-rather-long-group-key-string", "short", "another-long-key-that-spills-inline"};
    chunk *chunks[3];
    for (int c = 0; c < 3; c++) {
        chunks[c] = chunk_create(h.arena, types, 2, &h.err);
        for (uint32_t r = 0; r < 1000; r++) {
            char val[64];
            snprintf(val, sizeof val, "value-%04u-with-some-length", (unsigned)(r + c * 1000));
            set_str(chunks[c], 0, r, keys[r % 4]);
            set_str(chunks[c], 1, r, val);
        }
        vector_set_null(&chunks[c]->columns[0], 999); /* one NULL key per chunk */
        chunks[c]->count = 1000;
    }
    uint32_t groups[1] = {0};
    aggregate_spec aggs[3] = {agg("count_star", BIGINT, -1, false), agg("min", VARCHAR, 1, false),
                              agg("max", VARCHAR, 1, false)};
    physical_op *op = hash_aggregate_create(h.arena, child, groups, 1, aggs, 3, &h.err);
    lines got = {0};
    CHECK(run(&h, op, chunks, 3, &got));
    /* keys[r % 4]: r = 999 is NULL (999 % 4 == 3) */
    const char *exp[5] = {
        "a|750|value-0000-with-some-length|value-2996-with-some-length",
        "a-rather-long-group-key-string|750|value-0001-with-some-length|value-2997-with-some-length",
        "short|750|value-0002-with-some-length|value-2998-with-some-length",
        "another-long-key-that-spills-inline|747|value-0003-with-some-length|value-2995-with-some-length",
        "NULL|3|value-0999-with-some-length|value-2999-with-some-length",
    };
    CHECK(lines_equal(&got, exp, 5));
    lines_free(&got);
    for (int c = 0; c < 3; c++) chunk_destroy(chunks[c]);
    harness_done(&h, TAG_HASH_TABLE);
}

/* GROUP BY (INTEGER, VARCHAR) with sum; and SELECT DISTINCT over both columns. */
static void test_multi_column_and_distinct_rows(void) {
    harness h;
    harness_init(&h, 1ULL << 30);
    logical_type types[3] = {INTEGER, VARCHAR, BIGINT};
    physical_op *child = fake_child(&h, types, 3);
    chunk *chunks[2];
    for (int c = 0; c < 2; c++) {
        chunks[c] = chunk_create(h.arena, types, 3, &h.err);
        for (uint32_t r = 0; r < 600; r++) {
            ((int32_t *)chunks[c]->columns[0].data)[r] = (int32_t)(r % 3);
            set_str(chunks[c], 1, r, (r % 2) ? "odd-and-long-enough-to-be-pointed" : "even");
            ((int64_t *)chunks[c]->columns[2].data)[r] = 1;
        }
        chunks[c]->count = 600;
    }
    uint32_t groups[2] = {0, 1};
    aggregate_spec aggs[1] = {agg("sum", BIGINT, 2, false)};
    physical_op *op = hash_aggregate_create(h.arena, child, groups, 2, aggs, 1, &h.err);
    lines got = {0};
    CHECK(run(&h, op, chunks, 2, &got));
    const char *exp[6] = {"0|even|200", "1|even|200", "2|even|200", "0|odd-and-long-enough-to-be-pointed|200",
                          "1|odd-and-long-enough-to-be-pointed|200", "2|odd-and-long-enough-to-be-pointed|200"};
    CHECK(lines_equal(&got, exp, 6));
    lines_free(&got);

    /* SELECT DISTINCT b, a */
    uint32_t groups2[2] = {1, 0};
    op = hash_aggregate_create(h.arena, child, groups2, 2, NULL, 0, &h.err);
    CHECK(op && op->column_count == 2 && op->types[0].id == TYPE_VARCHAR);
    CHECK(run(&h, op, chunks, 2, &got));
    const char *exp2[6] = {"even|0", "even|1", "even|2", "odd-and-long-enough-to-be-pointed|0",
                           "odd-and-long-enough-to-be-pointed|1", "odd-and-long-enough-to-be-pointed|2"};
    CHECK(lines_equal(&got, exp2, 6));
    lines_free(&got);
    for (int c = 0; c < 2; c++) chunk_destroy(chunks[c]);
    harness_done(&h, TAG_HASH_TABLE);
}

/* count(DISTINCT v) with and without groups, next to a plain count. */
static void test_count_distinct(void) {
    harness h;
    harness_init(&h, 1ULL << 30);
    logical_type types[2] = {BIGINT, VARCHAR};
    physical_op *child = fake_child(&h, types, 2);
    chunk *chunks[4];
    for (int c = 0; c < 4; c++) {
        chunks[c] = chunk_create(h.arena, types, 2, &h.err);
        for (uint32_t r = 0; r < 500; r++) {
            char val[64];
            /* group r % 2; group 0 sees values v0..v9, group 1 sees v0..v4 (+ NULL) */
            uint32_t g = r % 2;
            ((int64_t *)chunks[c]->columns[0].data)[r] = g;
            snprintf(val, sizeof val, "distinct-value-number-%u", (unsigned)((r / 2) % (g ? 5 : 10)));
            set_str(chunks[c], 1, r, val);
            if (g == 1 && r % 7 == 0) vector_set_null(&chunks[c]->columns[1], r);
        }
        chunks[c]->count = 500;
    }
    uint32_t groups[1] = {0};
    aggregate_spec aggs[2] = {agg("count", VARCHAR, 1, true), agg("count_star", BIGINT, -1, false)};
    physical_op *op = hash_aggregate_create(h.arena, child, groups, 1, aggs, 2, &h.err);
    lines got = {0};
    CHECK(run(&h, op, chunks, 4, &got));
    const char *exp[2] = {"0|10|1000", "1|5|1000"};
    CHECK(lines_equal(&got, exp, 2));
    lines_free(&got);

    aggregate_spec aggs2[2] = {agg("count", VARCHAR, 1, true), agg("count", VARCHAR, 1, false)};
    op = hash_aggregate_create(h.arena, child, NULL, 0, aggs2, 2, &h.err);
    CHECK(run(&h, op, chunks, 4, &got));
    /* non-NULL values: group 1 rows with r % 7 == 0 are NULL: r odd, r % 7 == 0 -> r = 7, 21, ... */
    int64_t nonnull = 0;
    for (uint32_t r = 0; r < 500; r++) nonnull += !((r % 2) == 1 && r % 7 == 0);
    char e[64];
    snprintf(e, sizeof e, "10|%" PRId64, nonnull * 4);
    const char *exp2[1] = {e};
    CHECK(lines_equal(&got, exp2, 1));
    lines_free(&got);
    for (int c = 0; c < 4; c++) chunk_destroy(chunks[c]);
    harness_done(&h, TAG_HASH_TABLE);
}

/* No group columns: one row, also for empty input. */
static void test_no_groups(void) {
    harness h;
    harness_init(&h, 1ULL << 30);
    logical_type types[1] = {BIGINT};
    physical_op *child = fake_child(&h, types, 1);
    aggregate_spec aggs[4] = {agg("count_star", BIGINT, -1, false), agg("sum", BIGINT, 0, false),
                              agg("min", BIGINT, 0, false), agg("count", BIGINT, 0, true)};
    physical_op *op = hash_aggregate_create(h.arena, child, NULL, 0, aggs, 4, &h.err);
    lines got = {0};
    CHECK(run(&h, op, NULL, 0, &got));
    const char *exp[1] = {"0|NULL|NULL|0"};
    CHECK(lines_equal(&got, exp, 1));
    lines_free(&got);

    chunk *c = chunk_create(h.arena, types, 1, &h.err);
    for (uint32_t r = 0; r < 100; r++) ((int64_t *)c->columns[0].data)[r] = r % 10;
    c->count = 100;
    chunk *chunks[3] = {c, c, c};
    op = hash_aggregate_create(h.arena, child, NULL, 0, aggs, 4, &h.err);
    CHECK(run(&h, op, chunks, 3, &got));
    const char *exp2[1] = {"300|1350|0|10"};
    CHECK(lines_equal(&got, exp2, 1));
    lines_free(&got);
    chunk_destroy(c);
    harness_done(&h, TAG_HASH_TABLE);
}

/* 300k groups, every key in both thread-local tables: resizing and the merge path. */
static void test_many_groups(void) {
    harness h;
    harness_init(&h, 1ULL << 31);
    logical_type types[1] = {BIGINT};
    physical_op *child = fake_child(&h, types, 1);
    enum { GROUPS = 300000 };
    uint32_t nchunks = 2 * ((GROUPS + 2047) / 2048);
    chunk **chunks = calloc(nchunks, sizeof(chunk *));
    chunk *c = NULL;
    /* chunks alternate between the locals: chunk 2i and 2i+1 carry the same keys */
    for (uint32_t i = 0; i < nchunks / 2; i++) {
        for (int t = 0; t < 2; t++) {
            c = chunk_create(h.arena, types, 1, &h.err);
            uint32_t n = 0;
            for (uint32_t k = i * 2048; k < GROUPS && n < 2048; k++, n++)
                ((int64_t *)c->columns[0].data)[n] = (int64_t)k * 7919 - 1000000;
            c->count = n;
            chunks[2 * i + t] = c;
        }
    }
    uint32_t groups[1] = {0};
    aggregate_spec aggs[2] = {agg("count_star", BIGINT, -1, false), agg("sum", BIGINT, 0, false)};
    physical_op *op = hash_aggregate_create(h.arena, child, groups, 1, aggs, 2, &h.err);
    lines got = {0};
    CHECK(run(&h, op, chunks, nchunks, &got));
    CHECK(got.n == GROUPS);
    bool all_ok = true;
    for (size_t i = 0; i < got.n; i++) {
        long long k, cnt, s;
        if (sscanf(got.v[i], "%lld|%lld|%lld", &k, &cnt, &s) != 3 || cnt != 2 || s != 2 * k) all_ok = false;
    }
    CHECK(all_ok);
    lines_free(&got);
    for (uint32_t i = 0; i < nchunks; i++) chunk_destroy(chunks[i]);
    free(chunks);
    harness_done(&h, TAG_HASH_TABLE);
}

/* Out of memory part-way: a clean error, and nothing left in the pool after destroy. */
static void test_out_of_memory(void) {
    harness h;
    harness_init(&h, 1ULL << 31);
    logical_type types[2] = {BIGINT, VARCHAR};
    physical_op *child = fake_child(&h, types, 2);
    enum { CHUNKS = 100 };
    chunk *chunks[CHUNKS];
    for (int i = 0; i < CHUNKS; i++) {
        chunks[i] = chunk_create(h.arena, types, 2, &h.err);
        for (uint32_t r = 0; r < 2048; r++) {
            char val[64];
            snprintf(val, sizeof val, "long-string-key-%d-%u-padding", i, (unsigned)r);
            ((int64_t *)chunks[i]->columns[0].data)[r] = i * 2048 + r;
            set_str(chunks[i], 1, r, val);
        }
        chunks[i]->count = 2048;
    }
    uint64_t base = pool_used_bytes(h.pool) - pool_tag_used_bytes(h.pool, TAG_ALLOCATOR);
    error err;
    error_clear(&err);
    CHECK(pool_set_memory_limit(h.pool, pool_used_bytes(h.pool) + 4 * 1024 * 1024, &err));
    uint32_t groups[2] = {0, 1};
    aggregate_spec aggs[2] = {agg("count", VARCHAR, 1, true), agg("min", VARCHAR, 1, false)};
    physical_op *op = hash_aggregate_create(h.arena, child, groups, 2, aggs, 2, &h.err);
    lines got = {0};
    CHECK(!run(&h, op, chunks, CHUNKS, &got));
    CHECK(h.err.type == EIDER_ERROR_OUT_OF_MEMORY);
    CHECK(strncmp(h.err.message, "Out of Memory Error", 19) == 0);
    CHECK(pool_tag_used_bytes(h.pool, TAG_HASH_TABLE) == 0);
    CHECK(pool_used_bytes(h.pool) - pool_tag_used_bytes(h.pool, TAG_ALLOCATOR) == base);
    lines_free(&got);
    for (int i = 0; i < CHUNKS; i++) chunk_destroy(chunks[i]);
    harness_done(&h, TAG_HASH_TABLE);
}

/* DOUBLE and BOOLEAN keys: -0.0 groups with 0.0, NaN with NaN. */
static void test_double_boolean_groups(void) {
    harness h;
    harness_init(&h, 1ULL << 30);
    logical_type types[2] = {{TYPE_DOUBLE, 0, 0}, {TYPE_BOOLEAN, 0, 0}};
    physical_op *child = fake_child(&h, types, 2);
    chunk *c = chunk_create(h.arena, types, 2, &h.err);
    double vals[6] = {0.0, -0.0, 0.0 / 0.0, 2.5, 0.0 / 0.0, 2.5};
    for (uint32_t r = 0; r < 12; r++) {
        ((double *)c->columns[0].data)[r] = vals[r % 6];
        ((uint8_t *)c->columns[1].data)[r] = r < 6;
    }
    c->count = 12;
    uint32_t groups[2] = {0, 1};
    aggregate_spec aggs[1] = {agg("count_star", BIGINT, -1, false)};
    physical_op *op = hash_aggregate_create(h.arena, child, groups, 2, aggs, 1, &h.err);
    lines got = {0};
    CHECK(run(&h, op, &c, 1, &got));
    CHECK(got.n == 6);
    size_t twos = 0;
    for (size_t i = 0; i < got.n; i++) twos += strstr(got.v[i], "|2") != NULL;
    CHECK(twos == 6); /* every group has two rows */
    lines_free(&got);
    chunk_destroy(c);
    harness_done(&h, TAG_HASH_TABLE);
}

int main(void) {
    test_bigint_groups();
    test_varchar_groups();
    test_multi_column_and_distinct_rows();
    test_count_distinct();
    test_no_groups();
    test_double_boolean_groups();
    test_many_groups();
    test_out_of_memory();
    return test_summary();
}
