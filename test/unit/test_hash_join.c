/* Unit tests of the hash join, driven through its operator interface. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/vector.h"
#include "execution/hash_join.h"
#include "memory/pool.h"

#define TEST_UTIL_OPERATORS
#include "test_util.h"

/* ---- driving the join ------------------------------------------------------------------------ */

typedef struct run_stats {
    uint64_t rows;
    uint32_t max_chunk;
    uint32_t more_output; /* OP_HAVE_MORE_OUTPUT results */
    uint64_t tail_rows;   /* rows from the tail */
} run_stats;

/* Build chunks alternate between two thread-local states, both combined; then every probe chunk
 * is pushed through execute until it asks for more input; then the join's tail (the unmatched
 * build rows of RIGHT and FULL) is read as the source of a pipeline. Always destroys the
 * operator. */
static bool run_join(harness *h, physical_op *op, chunk **build, uint32_t nbuild, chunk **probe, uint32_t nprobe,
                     lines *out, run_stats *st) {
    const physical_op_vtable *vt = op->vt;
    error *err = &h->err;
    error_clear(err);
    memset(st, 0, sizeof *st);
    bool ok = vt->sink_init(op, &h->ctx, err);
    void *locals[2] = {NULL, NULL};
    for (int t = 0; ok && t < 2; t++) ok = (locals[t] = vt->sink_local_init(op, &h->ctx, err)) != NULL;
    for (uint32_t i = 0; ok && i < nbuild; i++) ok = vt->sink(op, &h->ctx, locals[i % 2], build[i], err);
    for (int t = 0; ok && t < 2; t++) ok = vt->combine(op, &h->ctx, locals[t], err);
    for (int t = 0; t < 2; t++)
        if (locals[t]) vt->sink_local_destroy(op, locals[t]);
    if (ok) ok = vt->finalize(op, &h->ctx, err);
    if (ok) {
        void *pl = vt->op_local_init(op, &h->ctx, err);
        chunk *c = chunk_create(h->arena, op->types, op->column_count, err);
        ok = pl && c;
        for (uint32_t i = 0; ok && i < nprobe; i++) {
            for (;;) {
                chunk_reset(c);
                op_result r = vt->execute(op, &h->ctx, pl, probe[i], c, err);
                if (r == OP_ERROR) {
                    ok = false;
                    break;
                }
                if (c->count > st->max_chunk) st->max_chunk = c->count;
                st->rows += c->count;
                if (out) chunk_lines(c, out);
                if (r == OP_NEED_MORE_INPUT) break;
                st->more_output++;
            }
        }
        if (ok) ok = vt->op_finish(op, &h->ctx, pl, err);
        if (pl) vt->op_local_destroy(op, pl);
        if (ok) ok = vt->source_init(op, &h->ctx, err);
        void *sl = ok ? vt->source_local_init(op, &h->ctx, err) : NULL;
        ok = ok && !error_is_set(err);
        while (ok) {
            chunk_reset(c);
            ok = vt->get_data(op, &h->ctx, sl, c, err);
            if (!ok || c->count == 0) break;
            if (c->count > st->max_chunk) st->max_chunk = c->count;
            st->rows += c->count;
            st->tail_rows += c->count;
            if (out) chunk_lines(c, out);
        }
        if (sl) vt->source_local_destroy(op, sl);
        if (c) chunk_destroy(c);
    }
    vt->destroy(op);
    if (out) lines_sort(out);
    return ok;
}

static void fmt_row(const chunk *c, uint32_t r, char *line, size_t size) {
    char val[256];
    line[0] = 0;
    for (uint32_t col = 0; col < c->column_count; col++) {
        format_value(&c->columns[col], r, val, sizeof val);
        if (col) strncat(line, "|", size - strlen(line) - 1);
        strncat(line, val, size - strlen(line) - 1);
    }
}

/* Reference nested-loop join of probe chunks against one build chunk (keys compared by their
 * text; NULL never matches). */
static void reference_join(join_type type, chunk *const *probes, uint32_t nprobe, const chunk *build,
                           const uint32_t *pk, const uint32_t *bk, uint32_t nk, lines *out) {
    char pl[1024], bl[1024], line[2100], a[256], b[256];
    char nulls[256] = "", probe_nulls[256] = "";
    for (uint32_t c = 0; c < build->column_count; c++) strcat(nulls, c ? "|NULL" : "NULL");
    for (uint32_t c = 0; c < probes[0]->column_count; c++) strcat(probe_nulls, c ? "|NULL" : "NULL");
    bool with_build = type != JOIN_SEMI && type != JOIN_ANTI;
    bool *matched = calloc(build->count + 1, 1);
    for (uint32_t pc = 0; pc < nprobe; pc++) {
        const chunk *probe = probes[pc];
        for (uint32_t p = 0; p < probe->count; p++) {
            fmt_row(probe, p, pl, sizeof pl);
            bool pnull = false;
            for (uint32_t k = 0; k < nk; k++) pnull |= !vector_is_valid(&probe->columns[pk[k]], p);
            uint32_t matches = 0;
            for (uint32_t r = 0; !pnull && r < build->count; r++) {
                bool eq = true;
                for (uint32_t k = 0; eq && k < nk; k++) {
                    if (!vector_is_valid(&build->columns[bk[k]], r)) eq = false;
                    else {
                        format_value(&probe->columns[pk[k]], p, a, sizeof a);
                        format_value(&build->columns[bk[k]], r, b, sizeof b);
                        eq = strcmp(a, b) == 0;
                    }
                }
                if (!eq) continue;
                matches++;
                matched[r] = true;
                if (with_build) {
                    fmt_row(build, r, bl, sizeof bl);
                    snprintf(line, sizeof line, "%s|%s", pl, bl);
                    lines_add(out, line);
                }
            }
            if ((type == JOIN_LEFT || type == JOIN_FULL) && matches == 0) {
                snprintf(line, sizeof line, "%s|%s", pl, nulls);
                lines_add(out, line);
            }
            if ((type == JOIN_SEMI && matches) || (type == JOIN_ANTI && !matches)) lines_add(out, pl);
        }
    }
    for (uint32_t r = 0; (type == JOIN_RIGHT || type == JOIN_FULL) && r < build->count; r++) {
        if (matched[r]) continue;
        fmt_row(build, r, bl, sizeof bl);
        snprintf(line, sizeof line, "%s|%s", probe_nulls, bl);
        lines_add(out, line);
    }
    free(matched);
    lines_sort(out);
}

static bool same_lines(lines *got, lines *exp) {
    bool eq = got->n == exp->n;
    for (size_t i = 0; eq && i < got->n; i++) eq = strcmp(got->v[i], exp->v[i]) == 0;
    if (!eq) {
        fprintf(stderr, "got %zu rows, expected %zu\n", got->n, exp->n);
        for (size_t i = 0; i < got->n && i < 10; i++) fprintf(stderr, "  got: %s\n", got->v[i]);
        for (size_t i = 0; i < exp->n && i < 10; i++) fprintf(stderr, "  exp: %s\n", exp->v[i]);
    }
    return eq;
}

/* ---- tests ------------------------------------------------------------------------------------ */

/* Single BIGINT key (a directory indexed by the key) with duplicates on both sides and NULL keys,
 * every join type. */
static void test_duplicates_and_nulls(void) {
    harness h;
    harness_init(&h, 1ULL << 30);
    logical_type ptypes[2] = {BIGINT, VARCHAR}, btypes[2] = {VARCHAR, BIGINT};
    physical_op *pchild = fake_child(&h, ptypes, 2), *bchild = fake_child(&h, btypes, 2);
    chunk *probe = chunk_create(h.arena, ptypes, 2, &h.err);
    for (uint32_t r = 0; r < 21; r++) {
        char s[64];
        snprintf(s, sizeof s, "probe-row-%u-with-a-long-payload", (unsigned)r);
        ((int64_t *)probe->columns[0].data)[r] = r / 2; /* 0..9 twice, row 20 -> 10 */
        set_str(probe, 1, r, s);
    }
    vector_set_null(&probe->columns[0], 20);
    probe->count = 21;
    chunk *build[2];
    for (int c = 0; c < 2; c++) {
        build[c] = chunk_create(h.arena, btypes, 2, &h.err);
        for (uint32_t r = 0; r < 8; r++) {
            char s[32];
            snprintf(s, sizeof s, "b%d-%u", c, (unsigned)r);
            set_str(build[c], 0, r, s);
            ((int64_t *)build[c]->columns[1].data)[r] = r % 4 + c; /* keys 0..4, duplicated */
        }
        vector_set_null(&build[c]->columns[1], 7);
        build[c]->count = 8;
    }
    /* the reference needs the build side in one chunk */
    chunk *all_build = chunk_create(h.arena, btypes, 2, &h.err);
    for (int c = 0; c < 2; c++)
        for (uint32_t r = 0; r < 8; r++) chunk_append_row(all_build, build[c], r, &h.err);
    uint32_t pk[1] = {0}, bk[1] = {1};
    join_type types[6] = {JOIN_INNER, JOIN_LEFT, JOIN_SEMI, JOIN_ANTI, JOIN_RIGHT, JOIN_FULL};
    size_t expected_rows[6] = {0};
    for (int t = 0; t < 6; t++) {
        physical_op *op = hash_join_create(h.arena, pchild, bchild, types[t], pk, bk, 1, &h.err);
        CHECK(op != NULL);
        CHECK(op->column_count == (types[t] != JOIN_SEMI && types[t] != JOIN_ANTI ? 4u : 2u));
        lines got = {0}, exp = {0};
        run_stats st;
        CHECK(run_join(&h, op, build, 2, &probe, 1, &got, &st));
        reference_join(types[t], &probe, 1, all_build, pk, bk, 1, &exp);
        CHECK(same_lines(&got, &exp));
        expected_rows[t] = exp.n;
        lines_free(&got);
        lines_free(&exp);
    }
    /* probe keys 0..4 twice: build has key k (0..4) 3,4,4,4,3... spot-check the counts */
    CHECK(expected_rows[2] == 10); /* SEMI: probe rows with keys 0..4 */
    CHECK(expected_rows[3] == 11); /* ANTI: keys 5..9 (10 rows) and the NULL key */
    CHECK(expected_rows[0] > 20);
    /* RIGHT: the INNER rows and the build rows with the NULL key (one per build chunk); FULL: and
     * the probe rows without a match (keys 5..9 and NULL) */
    CHECK(expected_rows[4] == expected_rows[0] + 2);
    CHECK(expected_rows[5] == expected_rows[0] + 2 + 11);
    chunk_destroy(probe);
    chunk_destroy(all_build);
    for (int c = 0; c < 2; c++) chunk_destroy(build[c]);
    harness_done(&h, TAG_HASH_TABLE);
}

/* Two key columns (INTEGER, VARCHAR with long strings), random data, against the reference. */
static void test_multi_key_random(void) {
    harness h;
    harness_init(&h, 1ULL << 30);
    logical_type ptypes[3] = {INTEGER, VARCHAR, BIGINT}, btypes[3] = {BIGINT, VARCHAR, INTEGER};
    physical_op *pchild = fake_child(&h, ptypes, 3), *bchild = fake_child(&h, btypes, 3);
    uint64_t seed = 42;
#define RND() (seed = seed * 6364136223846793005ULL + 1442695040888963407ULL, (uint32_t)(seed >> 33))
    static const char *names[6] = {"x", "yy", "a-string-longer-than-twelve", "another-quite-long-string", "", "zz-z"};
    chunk *probe[2];
    for (int c = 0; c < 2; c++) {
        probe[c] = chunk_create(h.arena, ptypes, 3, &h.err);
        for (uint32_t r = 0; r < 1500; r++) {
            ((int32_t *)probe[c]->columns[0].data)[r] = (int32_t)(RND() % 20);
            set_str(probe[c], 1, r, names[RND() % 6]);
            ((int64_t *)probe[c]->columns[2].data)[r] = c * 10000 + r;
            if (RND() % 50 == 0) vector_set_null(&probe[c]->columns[RND() % 2], r);
        }
        probe[c]->count = 1500;
    }
    chunk *build[3];
    chunk *all_build = chunk_create(h.arena, btypes, 3, &h.err);
    for (int c = 0; c < 3; c++) {
        build[c] = chunk_create(h.arena, btypes, 3, &h.err);
        for (uint32_t r = 0; r < 200; r++) {
            ((int64_t *)build[c]->columns[0].data)[r] = c * 1000 + r;
            set_str(build[c], 1, r, names[RND() % 6]);
            ((int32_t *)build[c]->columns[2].data)[r] = (int32_t)(RND() % 25);
            if (RND() % 40 == 0) vector_set_null(&build[c]->columns[1 + RND() % 2], r);
        }
        build[c]->count = 200;
        for (uint32_t r = 0; r < 200; r++) chunk_append_row(all_build, build[c], r, &h.err);
    }
    uint32_t pk[2] = {0, 1}, bk[2] = {2, 1};
    join_type types[6] = {JOIN_INNER, JOIN_LEFT, JOIN_SEMI, JOIN_ANTI, JOIN_RIGHT, JOIN_FULL};
    for (int t = 0; t < 6; t++) {
        physical_op *op = hash_join_create(h.arena, pchild, bchild, types[t], pk, bk, 2, &h.err);
        lines got = {0}, exp = {0};
        run_stats st;
        CHECK(run_join(&h, op, build, 3, probe, 2, &got, &st));
        reference_join(types[t], probe, 2, all_build, pk, bk, 2, &exp);
        CHECK(same_lines(&got, &exp));
        CHECK((st.tail_rows > 0) == (types[t] == JOIN_RIGHT || types[t] == JOIN_FULL));
        CHECK(st.max_chunk <= VECTOR_SIZE);
        lines_free(&got);
        lines_free(&exp);
    }
    for (int c = 0; c < 2; c++) chunk_destroy(probe[c]);
    for (int c = 0; c < 3; c++) chunk_destroy(build[c]);
    chunk_destroy(all_build);
    harness_done(&h, TAG_HASH_TABLE);
#undef RND
}

/* Empty build side: INNER, SEMI and RIGHT yield nothing, LEFT, ANTI and FULL every probe row; a
 * build row with a NULL key comes out of RIGHT and FULL. */
static void test_empty_build(void) {
    harness h;
    harness_init(&h, 1ULL << 30);
    logical_type types[1] = {BIGINT};
    physical_op *pchild = fake_child(&h, types, 1), *bchild = fake_child(&h, types, 1);
    chunk *probe = chunk_create(h.arena, types, 1, &h.err);
    for (uint32_t r = 0; r < 100; r++) ((int64_t *)probe->columns[0].data)[r] = r;
    vector_set_null(&probe->columns[0], 5);
    probe->count = 100;
    /* one build chunk with only a NULL key: nothing is kept */
    chunk *build = chunk_create(h.arena, types, 1, &h.err);
    vector_set_null(&build->columns[0], 0);
    build->count = 1;
    uint32_t k[1] = {0};
    join_type jt[6] = {JOIN_INNER, JOIN_LEFT, JOIN_SEMI, JOIN_ANTI, JOIN_RIGHT, JOIN_FULL};
    uint64_t expect[6] = {0, 100, 0, 100, 0, 100};
    for (int t = 0; t < 6; t++) {
        for (int with_null_row = 0; with_null_row < 2; with_null_row++) {
            physical_op *op = hash_join_create(h.arena, pchild, bchild, jt[t], k, k, 1, &h.err);
            lines got = {0};
            run_stats st;
            CHECK(run_join(&h, op, &build, with_null_row ? 1 : 0, &probe, 1, &got, &st));
            bool keeps_build = jt[t] == JOIN_RIGHT || jt[t] == JOIN_FULL;
            CHECK(st.rows == expect[t] + (keeps_build && with_null_row), "join type %d, null row %d: %" PRIu64,
                  (int)jt[t], with_null_row, st.rows);
            if (jt[t] == JOIN_LEFT && got.n == 100) CHECK(strcmp(got.v[0], "0|NULL") == 0);
            lines_free(&got);
        }
    }
    chunk_destroy(probe);
    chunk_destroy(build);
    harness_done(&h, TAG_HASH_TABLE);
}

/* One probe chunk producing far more than VECTOR_SIZE rows. */
static void test_large_output(void) {
    harness h;
    harness_init(&h, 1ULL << 30);
    logical_type types[2] = {BIGINT, BIGINT};
    physical_op *pchild = fake_child(&h, types, 2), *bchild = fake_child(&h, types, 2);
    chunk *probe = chunk_create(h.arena, types, 2, &h.err);
    for (uint32_t r = 0; r < 2048; r++) {
        ((int64_t *)probe->columns[0].data)[r] = r % 3; /* keys 0, 1, 2 */
        ((int64_t *)probe->columns[1].data)[r] = r;
    }
    probe->count = 2048;
    chunk *build = chunk_create(h.arena, types, 2, &h.err);
    for (uint32_t r = 0; r < 10; r++) {
        ((int64_t *)build->columns[0].data)[r] = r < 7 ? 1 : 2; /* key 1 seven times, key 2 three times */
        ((int64_t *)build->columns[1].data)[r] = 100 + r;
    }
    build->count = 10;
    uint32_t k[1] = {0};
    uint64_t n1 = 0, n2 = 0, n0 = 0;
    for (uint32_t r = 0; r < 2048; r++) *(r % 3 == 1 ? &n1 : r % 3 == 2 ? &n2 : &n0) += 1;
    for (int left = 0; left < 2; left++) {
        physical_op *op = hash_join_create(h.arena, pchild, bchild, left ? JOIN_LEFT : JOIN_INNER, k, k, 1, &h.err);
        lines got = {0};
        run_stats st;
        CHECK(run_join(&h, op, &build, 1, &probe, 1, &got, &st));
        CHECK(st.rows == n1 * 7 + n2 * 3 + (left ? n0 : 0));
        CHECK(st.more_output > 0);
        CHECK(st.max_chunk <= VECTOR_SIZE);
        /* every pair once: probe row r with key 1 appears with all seven build rows */
        size_t with_101 = 0;
        for (size_t i = 0; i < got.n; i++) {
            long long a, b, c, d;
            if (sscanf(got.v[i], "%lld|%lld|%lld|%lld", &a, &b, &c, &d) == 4 && d == 101) with_101++;
        }
        CHECK(with_101 == n1);
        lines_free(&got);
    }
    chunk_destroy(probe);
    chunk_destroy(build);
    harness_done(&h, TAG_HASH_TABLE);
}

/* Out of memory while building: a clean error and nothing left behind. */
static void test_out_of_memory(void) {
    harness h;
    harness_init(&h, 1ULL << 31);
    logical_type types[2] = {BIGINT, VARCHAR};
    physical_op *pchild = fake_child(&h, types, 2), *bchild = fake_child(&h, types, 2);
    enum { CHUNKS = 60 };
    chunk *build[CHUNKS];
    for (int i = 0; i < CHUNKS; i++) {
        build[i] = chunk_create(h.arena, types, 2, &h.err);
        for (uint32_t r = 0; r < 2048; r++) {
            char s[64];
            snprintf(s, sizeof s, "build-side-payload-%d-%u", i, (unsigned)r);
            ((int64_t *)build[i]->columns[0].data)[r] = i * 2048 + r;
            set_str(build[i], 1, r, s);
        }
        build[i]->count = 2048;
    }
    uint64_t base = pool_used_bytes(h.pool) - pool_tag_used_bytes(h.pool, TAG_ALLOCATOR);
    error err;
    error_clear(&err);
    CHECK(pool_set_memory_limit(h.pool, pool_used_bytes(h.pool) + 3 * 1024 * 1024, &err));
    uint32_t k[1] = {0};
    physical_op *op = hash_join_create(h.arena, pchild, bchild, JOIN_INNER, k, k, 1, &h.err);
    run_stats st;
    CHECK(!run_join(&h, op, build, CHUNKS, build, 1, NULL, &st));
    CHECK(h.err.type == EIDER_ERROR_OUT_OF_MEMORY);
    CHECK(pool_tag_used_bytes(h.pool, TAG_HASH_TABLE) == 0);
    CHECK(pool_used_bytes(h.pool) - pool_tag_used_bytes(h.pool, TAG_ALLOCATOR) == base);
    for (int i = 0; i < CHUNKS; i++) chunk_destroy(build[i]);
    harness_done(&h, TAG_HASH_TABLE);
}

int main(void) {
    test_duplicates_and_nulls();
    test_multi_key_random();
    test_empty_build();
    test_large_output();
    test_out_of_memory();
    return test_summary();
}
