/* Unit tests of ORDER BY and top-N, driven through the operator interface. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/vector.h"
#include "execution/order_by.h"
#include "memory/pool.h"

#define TEST_UTIL_OPERATORS
#include "test_util.h"

static const logical_type DOUBLE = {TYPE_DOUBLE, 0, 0};

/* ---- driving the sort ------------------------------------------------------------------------ */

typedef void (*visit_fn)(const chunk *c, void *ctx);

/* Chunks are spread over `threads` local states (round robin), all combined; the result is read
 * in order. visit (if any) sees every output chunk; out (if any) gets the rows as text. */
static bool run_sort(harness *h, physical_op *op, chunk **chunks, uint32_t n, int threads, lines *out,
                     visit_fn visit, void *vctx) {
    const physical_op_vtable *vt = op->vt;
    error *err = &h->err;
    error_clear(err);
    bool ok = vt->sink_init(op, &h->ctx, err);
    void *locals[4] = {NULL, NULL, NULL, NULL};
    for (int t = 0; ok && t < threads; t++) ok = (locals[t] = vt->sink_local_init(op, &h->ctx, err)) != NULL;
    for (uint32_t i = 0; ok && i < n; i++) ok = vt->sink(op, &h->ctx, locals[i % threads], chunks[i], err);
    for (int t = 0; ok && t < threads; t++) ok = vt->combine(op, &h->ctx, locals[t], err);
    for (int t = 0; t < threads; t++)
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
            if (out) chunk_lines(c, out);
            if (visit) visit(c, vctx);
        }
        if (sl) vt->source_local_destroy(op, sl);
        if (c) chunk_destroy(c);
    }
    vt->destroy(op);
    return ok;
}

/* Splits "a|b|c" into at most 8 fields (in place). */
static int split(char *line, char **f) {
    int n = 0;
    f[n++] = line;
    for (char *p = line; *p && n < 8; p++)
        if (*p == '|') {
            *p = 0;
            f[n++] = p + 1;
        }
    return n;
}

/* ---- tests ------------------------------------------------------------------------------------ */

typedef struct row3 {
    int32_t a;
    bool a_null;
    char b[48];
    bool b_null;
    int64_t c;
} row3;

/* Reference order of test_multi_key: a ASC NULLS FIRST, b DESC NULLS LAST, c ASC NULLS LAST. */
static int cmp_row3(const row3 *x, const row3 *y) {
    if (x->a_null != y->a_null) return x->a_null ? -1 : 1;
    if (!x->a_null && x->a != y->a) return x->a < y->a ? -1 : 1;
    if (x->b_null != y->b_null) return x->b_null ? 1 : -1;
    if (!x->b_null) {
        int r = strcmp(x->b, y->b);
        if (r) return r < 0 ? 1 : -1;
    }
    return x->c < y->c ? -1 : x->c > y->c;
}

static int cmp_row3_qsort(const void *a, const void *b) { return cmp_row3(a, b); }

static void test_multi_key(void) {
    harness h;
    harness_init(&h, 1ULL << 30);
    logical_type types[3] = {INTEGER, VARCHAR, BIGINT};
    physical_op *child = fake_child(&h, types, 3);
    static const char *prefixes[4] = {"", "same-long-prefix-0123456789-", "ab", "same-long-prefix-0123456789-x"};
    enum { CHUNKS = 6, ROWS = 1000 };
    chunk *chunks[CHUNKS];
    row3 *ref = calloc(CHUNKS * ROWS, sizeof(row3));
    uint64_t seed = 7;
#define RND() (seed = seed * 6364136223846793005ULL + 1442695040888963407ULL, (uint32_t)(seed >> 33))
    for (int c = 0; c < CHUNKS; c++) {
        chunks[c] = chunk_create(h.arena, types, 3, &h.err);
        for (uint32_t r = 0; r < ROWS; r++) {
            row3 *x = &ref[c * ROWS + r];
            x->a = (int32_t)(RND() % 7) - 3;
            x->a_null = RND() % 17 == 0;
            const char *prefix = prefixes[RND() % 4];
            snprintf(x->b, sizeof x->b, "%s%u", prefix, (unsigned)(RND() % 5));
            x->b_null = RND() % 13 == 0;
            x->c = (int64_t)(RND() % 1000) - 500;
            ((int32_t *)chunks[c]->columns[0].data)[r] = x->a;
            if (x->a_null) vector_set_null(&chunks[c]->columns[0], r);
            set_str(chunks[c], 1, r, x->b);
            if (x->b_null) vector_set_null(&chunks[c]->columns[1], r);
            ((int64_t *)chunks[c]->columns[2].data)[r] = x->c;
        }
        chunks[c]->count = ROWS;
    }
#undef RND
    qsort(ref, CHUNKS * ROWS, sizeof(row3), cmp_row3_qsort);
    sort_key keys[3] = {{0, false, true}, {1, true, false}, {2, false, false}};
    physical_op *op = order_by_create(h.arena, child, keys, 3, -1, 0, &h.err);
    CHECK(op != NULL);
    lines got = {0};
    CHECK(run_sort(&h, op, chunks, CHUNKS, 2, &got, NULL, NULL));
    CHECK(got.n == CHUNKS * ROWS);
    /* the key columns of row i must equal the reference's (c breaks most ties; equal rows are
     * indistinguishable) */
    bool same = got.n == CHUNKS * ROWS;
    for (size_t i = 0; same && i < got.n; i++) {
        char expect[128], a[16], b[64];
        const row3 *x = &ref[i];
        if (x->a_null) snprintf(a, sizeof a, "NULL");
        else snprintf(a, sizeof a, "%d", x->a);
        if (x->b_null) snprintf(b, sizeof b, "NULL");
        else snprintf(b, sizeof b, "%s", x->b);
        snprintf(expect, sizeof expect, "%s|%s|%lld", a, b, (long long)x->c);
        if (strcmp(expect, got.v[i]) != 0) {
            fprintf(stderr, "row %zu: got %s expected %s\n", i, got.v[i], expect);
            same = false;
        }
    }
    CHECK(same);
    lines_free(&got);
    free(ref);
    for (int c = 0; c < CHUNKS; c++) chunk_destroy(chunks[c]);
    harness_done(&h, TAG_ORDER_BY);
}

/* Stability, DESC on doubles (NaN, -0.0, negatives), NULLS FIRST with DESC. */
static void test_doubles_and_stability(void) {
    harness h;
    harness_init(&h, 1ULL << 30);
    logical_type types[2] = {DOUBLE, BIGINT};
    physical_op *child = fake_child(&h, types, 2);
    chunk *c = chunk_create(h.arena, types, 2, &h.err);
    double vals[8] = {1.5, -2.0, 0.0, -0.0, 0.0 / 0.0, 1.5, -1e300, 1.5};
    for (uint32_t r = 0; r < 8; r++) {
        ((double *)c->columns[0].data)[r] = vals[r];
        ((int64_t *)c->columns[1].data)[r] = r;
    }
    c->count = 9;
    vector_set_null(&c->columns[0], 8);
    ((int64_t *)c->columns[1].data)[8] = 8;
    sort_key keys[1] = {{0, true, true}};
    physical_op *op = order_by_create(h.arena, child, keys, 1, -1, 0, &h.err);
    lines got = {0};
    CHECK(run_sort(&h, op, &c, 1, 1, &got, NULL, NULL));
    /* NULL first, then NaN (largest), 1.5 x3 in input order, 0.0 / -0.0 in input order, -2, -1e300 */
    const char *exp[9] = {"NULL|8", "nan|4", "1.500|0", "1.500|5", "1.500|7", "0.000|2", "-0.000|3", "-2.000|1", NULL};
    CHECK(got.n == 9);
    for (int i = 0; i < 8 && i < (int)got.n; i++) {
        bool eq = strcmp(got.v[i], exp[i]) == 0 || (i == 1 && strcmp(got.v[i], "-nan|4") == 0);
        if (!eq) fprintf(stderr, "row %d: got %s expected %s\n", i, got.v[i], exp[i]);
        CHECK(eq);
    }
    if (got.n == 9) CHECK(strncmp(got.v[8], "-1000", 5) == 0 && strstr(got.v[8], "|6"));
    lines_free(&got);
    chunk_destroy(c);
    harness_done(&h, TAG_ORDER_BY);
}

typedef struct order_check {
    int64_t prev;
    bool prev_null;
    uint64_t rows, nulls;
    bool sorted;
    uint64_t sum; /* wrapping */
} order_check;

/* BIGINT ASC NULLS LAST in column 0. */
static void check_bigint_order(const chunk *c, void *ctx) {
    order_check *oc = ctx;
    for (uint32_t r = 0; r < c->count; r++) {
        bool null = !vector_is_valid(&c->columns[0], r);
        int64_t v = ((int64_t *)c->columns[0].data)[r];
        if (oc->rows > 0) {
            if (oc->prev_null && !null) oc->sorted = false;
            if (!oc->prev_null && !null && v < oc->prev) oc->sorted = false;
        }
        oc->prev = v, oc->prev_null = null;
        oc->rows++;
        if (null) oc->nulls++;
        else oc->sum += (uint64_t)v;
    }
}

/* One million random rows. */
static void test_million_rows(void) {
    harness h;
    harness_init(&h, 1ULL << 31);
    logical_type types[1] = {BIGINT};
    physical_op *child = fake_child(&h, types, 1);
    enum { N = 1000000 };
    uint32_t nchunks = (N + 2047) / 2048;
    chunk *c = chunk_create(h.arena, types, 1, &h.err);
    chunk **chunks = calloc(nchunks, sizeof(chunk *));
    uint64_t seed = 99, nulls = 0, sum = 0;
    /* one chunk's buffers reused: the sink copies, so chunks[i] may alias; build them one by one */
    for (uint32_t i = 0; i < nchunks; i++) {
        chunks[i] = chunk_create(h.arena, types, 1, &h.err);
        uint32_t n = (i == nchunks - 1) ? N - i * 2048 : 2048;
        for (uint32_t r = 0; r < n; r++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            int64_t v = (int64_t)(seed >> 1) - (int64_t)(1ULL << 62);
            ((int64_t *)chunks[i]->columns[0].data)[r] = v;
            if ((seed >> 20) % 1000 == 0) {
                vector_set_null(&chunks[i]->columns[0], r);
                nulls++;
            } else sum += (uint64_t)v;
        }
        chunks[i]->count = n;
    }
    sort_key keys[1] = {{0, false, false}};
    physical_op *op = order_by_create(h.arena, child, keys, 1, -1, 0, &h.err);
    order_check oc = {.sorted = true};
    CHECK(run_sort(&h, op, chunks, nchunks, 2, NULL, check_bigint_order, &oc));
    CHECK(oc.rows == N);
    CHECK(oc.sorted);
    CHECK(oc.nulls == nulls);
    CHECK(oc.sum == sum);
    for (uint32_t i = 0; i < nchunks; i++) chunk_destroy(chunks[i]);
    free(chunks);
    chunk_destroy(c);
    harness_done(&h, TAG_ORDER_BY);
}

/* Top-N: rows [offset, offset + limit) of the full order, with compaction while sinking. */
static void test_top_n(void) {
    harness h;
    harness_init(&h, 1ULL << 30);
    logical_type types[2] = {BIGINT, VARCHAR};
    physical_op *child = fake_child(&h, types, 2);
    enum { CHUNKS = 40 };
    chunk *chunks[CHUNKS];
    uint64_t seed = 5;
    for (int i = 0; i < CHUNKS; i++) {
        chunks[i] = chunk_create(h.arena, types, 2, &h.err);
        for (uint32_t r = 0; r < 2048; r++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            char s[64];
            snprintf(s, sizeof s, "payload-string-number-%d-%u", i, (unsigned)r);
            ((int64_t *)chunks[i]->columns[0].data)[r] = (int64_t)((seed >> 33) % 50000);
            set_str(chunks[i], 1, r, s);
        }
        chunks[i]->count = 2048;
    }
    sort_key keys[2] = {{0, true, false}, {1, false, false}};
    lines full = {0};
    physical_op *op = order_by_create(h.arena, child, keys, 2, -1, 0, &h.err);
    CHECK(run_sort(&h, op, chunks, CHUNKS, 2, &full, NULL, NULL));
    CHECK(full.n == CHUNKS * 2048);
    struct {
        int64_t limit;
        uint64_t offset;
    } cases[5] = {{10, 5}, {0, 3}, {5000, 3000}, {20000, 70000}, {100, 1000000}};
    for (int k = 0; k < 5; k++) {
        lines got = {0};
        op = order_by_create(h.arena, child, keys, 2, cases[k].limit, cases[k].offset, &h.err);
        CHECK(run_sort(&h, op, chunks, CHUNKS, 2, &got, NULL, NULL));
        uint64_t begin = cases[k].offset < full.n ? cases[k].offset : full.n;
        uint64_t end = begin + (uint64_t)cases[k].limit < full.n ? begin + (uint64_t)cases[k].limit : full.n;
        bool eq = got.n == end - begin;
        for (size_t i = 0; eq && i < got.n; i++) eq = strcmp(got.v[i], full.v[begin + i]) == 0;
        if (!eq) fprintf(stderr, "top-n case %d: %zu rows, expected %llu\n", k, got.n, (unsigned long long)(end - begin));
        CHECK(eq);
        lines_free(&got);
    }
    lines_free(&full);
    for (int i = 0; i < CHUNKS; i++) chunk_destroy(chunks[i]);
    harness_done(&h, TAG_ORDER_BY);
}

/* Strings only: many share a 12-byte prefix, so ties are broken by the full comparison. */
static void test_string_ties(void) {
    harness h;
    harness_init(&h, 1ULL << 30);
    logical_type types[1] = {VARCHAR};
    physical_op *child = fake_child(&h, types, 1);
    enum { CHUNKS = 10 };
    chunk *chunks[CHUNKS];
    uint64_t seed = 11;
    for (int i = 0; i < CHUNKS; i++) {
        chunks[i] = chunk_create(h.arena, types, 1, &h.err);
        for (uint32_t r = 0; r < 2048; r++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            char s[64];
            uint32_t x = (uint32_t)(seed >> 33);
            if (x % 3 == 0) snprintf(s, sizeof s, "common-prefix-%u", x % 997);
            else if (x % 3 == 1) snprintf(s, sizeof s, "common-prefi%c", 'a' + x % 26);
            else snprintf(s, sizeof s, "%u", x % 100000);
            set_str(chunks[i], 0, r, s);
        }
        chunks[i]->count = 2048;
    }
    sort_key keys[1] = {{0, true, false}};
    physical_op *op = order_by_create(h.arena, child, keys, 1, -1, 0, &h.err);
    lines got = {0};
    CHECK(run_sort(&h, op, chunks, CHUNKS, 2, &got, NULL, NULL));
    CHECK(got.n == CHUNKS * 2048);
    bool sorted = true;
    for (size_t i = 1; i < got.n; i++)
        if (strcmp(got.v[i - 1], got.v[i]) < 0) sorted = false;
    CHECK(sorted);
    lines_free(&got);
    for (int i = 0; i < CHUNKS; i++) chunk_destroy(chunks[i]);
    harness_done(&h, TAG_ORDER_BY);
}

/* Out of memory while buffering: clean error, nothing left. */
static void test_out_of_memory(void) {
    harness h;
    harness_init(&h, 1ULL << 31);
    logical_type types[2] = {BIGINT, VARCHAR};
    physical_op *child = fake_child(&h, types, 2);
    enum { CHUNKS = 50 };
    chunk *chunks[CHUNKS];
    for (int i = 0; i < CHUNKS; i++) {
        chunks[i] = chunk_create(h.arena, types, 2, &h.err);
        for (uint32_t r = 0; r < 2048; r++) {
            char s[64];
            snprintf(s, sizeof s, "some-payload-that-is-not-inline-%d-%u", i, (unsigned)r);
            ((int64_t *)chunks[i]->columns[0].data)[r] = -(int64_t)r;
            set_str(chunks[i], 1, r, s);
        }
        chunks[i]->count = 2048;
    }
    uint64_t base = pool_used_bytes(h.pool) - pool_tag_used_bytes(h.pool, TAG_ALLOCATOR);
    error err;
    error_clear(&err);
    CHECK(pool_set_memory_limit(h.pool, pool_used_bytes(h.pool) + 4 * 1024 * 1024, &err));
    sort_key keys[1] = {{0, false, false}};
    physical_op *op = order_by_create(h.arena, child, keys, 1, -1, 0, &h.err);
    CHECK(!run_sort(&h, op, chunks, CHUNKS, 2, NULL, NULL, NULL));
    CHECK(h.err.type == EIDER_ERROR_OUT_OF_MEMORY);
    CHECK(pool_tag_used_bytes(h.pool, TAG_ORDER_BY) == 0);
    CHECK(pool_used_bytes(h.pool) - pool_tag_used_bytes(h.pool, TAG_ALLOCATOR) == base);
    /* the same query fits as a top-N: compaction keeps the state small */
    op = order_by_create(h.arena, child, keys, 1, 100, 10, &h.err);
    lines got = {0};
    CHECK(run_sort(&h, op, chunks, CHUNKS, 2, &got, NULL, NULL));
    CHECK(got.n == 100);
    if (got.n == 100) {
        char *f[8];
        split(got.v[0], f);
        CHECK(strcmp(f[0], "-2047") == 0);
    }
    lines_free(&got);
    CHECK(pool_tag_used_bytes(h.pool, TAG_ORDER_BY) == 0);
    for (int i = 0; i < CHUNKS; i++) chunk_destroy(chunks[i]);
    harness_done(&h, TAG_ORDER_BY);
}

int main(void) {
    test_multi_key();
    test_doubles_and_stability();
    test_million_rows();
    test_top_n();
    test_string_ties();
    test_out_of_memory();
    return test_summary();
}
