/*
 * test_column_store.c — the column store: round trips of every type with NULLs and strings of
 * every length across row groups, projections, sub-range scans, truncation, exact pool
 * accounting, huge strings, concurrent scan during append, footprint of small stores, and a
 * printed speed figure for 10 million BIGINT rows.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/arena.h"
#include "common/types.h"
#include "common/vector.h"
#include "memory/pool.h"
#include "storage/column_store.h"
#include "test_util.h"

#define RGS COLUMN_STORE_ROW_GROUP_SIZE
#define NCOLS 8
#define BIG_STRING 40000 /* above the store's dedicated-block threshold */

static logical_type all_types[NCOLS];

static void init_types(void) {
    all_types[0] = type_make(TYPE_BOOLEAN);
    all_types[1] = type_make(TYPE_INTEGER);
    all_types[2] = type_make(TYPE_BIGINT);
    all_types[3] = type_make(TYPE_DOUBLE);
    all_types[4] = type_decimal(18, 3);
    all_types[5] = type_make(TYPE_VARCHAR);
    all_types[6] = type_make(TYPE_DATE);
    all_types[7] = type_make(TYPE_TIMESTAMP);
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- deterministic data ------------------------------------------------------------------ */

static bool row_is_null(uint64_t row, uint32_t col) { return (row * 7 + col * 3) % 11 == 0; }
static uint64_t row_value(uint64_t row, uint32_t col, uint64_t seed) {
    return (row + seed) * 2654435761u + col * 977u;
}

/* Writes the string of (row, seed) into buf (>= BIG_STRING bytes) and returns its length: mostly
 * 0..44 bytes, every 50,000th row a long one that needs a heap block of its own. */
static uint32_t row_string(uint64_t row, uint64_t seed, char *buf) {
    uint32_t len = (row + seed) % 50000 == 7 ? BIG_STRING : (uint32_t)((row * 13 + seed) % 45);
    for (uint32_t i = 0; i < len; i++) buf[i] = (char)('a' + (row + seed + i * 7) % 26);
    return len;
}

static char *string_buf;

/* Fills c with rows [first, first + n) of the NCOLS-column table (seed picks the data). */
static void fill_chunk(chunk *c, uint64_t first, uint32_t n, uint64_t seed) {
    chunk_reset(c);
    error err;
    error_clear(&err);
    for (uint32_t i = 0; i < n; i++) {
        uint64_t row = first + i;
        for (uint32_t col = 0; col < NCOLS; col++) {
            vector *v = &c->columns[col];
            if (row_is_null(row, col)) {
                vector_set_null(v, i);
                continue;
            }
            uint64_t x = row_value(row, col, seed);
            switch (col) {
            case 0: ((uint8_t *)v->data)[i] = (uint8_t)(x & 1); break;
            case 1:
            case 6: ((int32_t *)v->data)[i] = (int32_t)x; break;
            case 2:
            case 4:
            case 7: ((int64_t *)v->data)[i] = (int64_t)x; break;
            case 3: ((double *)v->data)[i] = (double)(x % 1000000) * 0.5; break;
            case 5: {
                uint32_t len = row_string(row, seed, string_buf);
                if (!chunk_store_string(c, string_buf, len, &((string_t *)v->data)[i], &err)) {
                    fprintf(stderr, "%s\n", err.message);
                    exit(2);
                }
                break;
            }
            }
        }
    }
    c->count = n;
}

/* Returns true when row `row` of the output column out_col (store column col) holds what
 * fill_chunk wrote. */
static bool row_matches(const chunk *c, uint32_t out_col, uint32_t i, uint64_t row, uint32_t col, uint64_t seed) {
    const vector *v = &c->columns[out_col];
    if (row_is_null(row, col)) return !vector_is_valid(v, i);
    if (!vector_is_valid(v, i)) return false;
    uint64_t x = row_value(row, col, seed);
    switch (col) {
    case 0: return ((const uint8_t *)v->data)[i] == (uint8_t)(x & 1);
    case 1:
    case 6: return ((const int32_t *)v->data)[i] == (int32_t)x;
    case 2:
    case 4:
    case 7: return ((const int64_t *)v->data)[i] == (int64_t)x;
    case 3: return ((const double *)v->data)[i] == (double)(x % 1000000) * 0.5;
    case 5: {
        const string_t *s = &((const string_t *)v->data)[i];
        uint32_t len = row_string(row, seed, string_buf);
        return s->length == len && memcmp(string_data(s), string_buf, len) == 0;
    }
    }
    return false;
}

typedef struct expect {
    uint64_t switch_row; /* rows below use seed_low, the others seed_high */
    uint64_t seed_low, seed_high;
} expect;

/* Scans [start, end) of store for the given columns and checks every value, the chunk sizes and
 * that no chunk crosses a row group. Returns the rows seen. */
static uint64_t scan_verify(buffer_pool *pool, column_store *store, uint64_t start, uint64_t end, const uint32_t *cols,
                            uint32_t ncols, expect ex) {
    arena *a = arena_create(pool, TAG_ALLOCATOR);
    logical_type types[NCOLS];
    for (uint32_t i = 0; i < ncols; i++) types[i] = all_types[cols ? cols[i] : i];
    error err;
    error_clear(&err);
    chunk *out = chunk_create(a, types, ncols, &err);
    column_store_scan scan;
    column_store_scan_begin(store, &scan, start, end, cols, cols ? ncols : 0);
    uint64_t pos = start, bad_values = 0, bad_chunks = 0;
    for (;;) {
        if (!column_store_scan_next(&scan, out, &err)) {
            fprintf(stderr, "scan failed: %s\n", err.message);
            bad_chunks++;
            break;
        }
        if (out->count == 0) break;
        if (out->count > VECTOR_SIZE || pos / RGS != (pos + out->count - 1) / RGS) bad_chunks++;
        for (uint32_t i = 0; i < out->count; i++) {
            uint64_t row = pos + i;
            uint64_t seed = row < ex.switch_row ? ex.seed_low : ex.seed_high;
            for (uint32_t oc = 0; oc < ncols; oc++)
                if (!row_matches(out, oc, i, row, cols ? cols[oc] : oc, seed)) bad_values++;
        }
        pos += out->count;
    }
    column_store_scan_end(&scan);
    chunk_destroy(out);
    arena_destroy(a);
    CHECK(bad_values == 0);
    CHECK(bad_chunks == 0);
    if (bad_values) fprintf(stderr, "  %llu bad values in [%llu, %llu)\n", (unsigned long long)bad_values,
                            (unsigned long long)start, (unsigned long long)end);
    CHECK(pos == end);
    return pos - start;
}

/* Appends rows [first, first + total) in chunks of varying sizes. */
static bool append_rows(column_store *store, chunk *c, uint64_t first, uint64_t total, uint64_t seed) {
    static const uint32_t sizes[] = {1000, 2048, 777, 1, 2047, 1500, 2048, 64};
    error err;
    error_clear(&err);
    uint64_t done = 0;
    for (uint32_t k = 0; done < total; k++) {
        uint32_t n = sizes[k % 8];
        if (n > total - done) n = (uint32_t)(total - done);
        fill_chunk(c, first + done, n, seed);
        if (!column_store_append(store, c, &err)) {
            fprintf(stderr, "append failed: %s\n", err.message);
            return false;
        }
        done += n;
    }
    return true;
}

/* ---- tests --------------------------------------------------------------------------------- */

static void test_round_trip(buffer_pool *pool) {
    arena *a = arena_create(pool, TAG_ALLOCATOR);
    error err;
    error_clear(&err);
    chunk *c = chunk_create(a, all_types, NCOLS, &err);
    column_store *store = column_store_create(pool, all_types, NCOLS, TAG_IN_MEMORY_TABLE, TAG_OVERFLOW_STRINGS, &err);
    CHECK(store != NULL && c != NULL);
    CHECK(column_store_column_count(store) == NCOLS);
    CHECK(column_store_types(store)[4].id == TYPE_DECIMAL && column_store_types(store)[4].scale == 3);
    CHECK(column_store_row_count(store) == 0 && column_store_row_group_count(store) == 0);
    expect ex = {UINT64_MAX, 0, 0};
    CHECK(scan_verify(pool, store, 0, 0, NULL, NCOLS, ex) == 0); /* empty store */

    uint64_t total = 2 * (uint64_t)RGS + 5003;
    CHECK(append_rows(store, c, 0, total, 0));
    CHECK(column_store_row_count(store) == total);
    CHECK(column_store_row_group_count(store) == 3);
    CHECK(column_store_bytes(store) > 0);
    CHECK(column_store_bytes(store) == pool_tag_used_bytes(pool, TAG_IN_MEMORY_TABLE) +
                                           pool_tag_used_bytes(pool, TAG_OVERFLOW_STRINGS));

    /* full scan, all columns */
    CHECK(scan_verify(pool, store, 0, total, NULL, NCOLS, ex) == total);
    /* projections: reordered subsets */
    uint32_t proj1[] = {5, 2};
    CHECK(scan_verify(pool, store, 0, total, proj1, 2, ex) == total);
    uint32_t proj2[] = {7, 0, 5, 3};
    CHECK(scan_verify(pool, store, RGS - 10, RGS + 10, proj2, 4, ex) == 20);
    /* sub-ranges starting mid-vector and mid-row-group, crossing row groups */
    CHECK(scan_verify(pool, store, 100, 3000, NULL, NCOLS, ex) == 2900);
    CHECK(scan_verify(pool, store, RGS - 3000, RGS + 4097, NULL, NCOLS, ex) == 7097);
    CHECK(scan_verify(pool, store, RGS + 1, RGS + 2, NULL, NCOLS, ex) == 1);
    CHECK(scan_verify(pool, store, 2 * (uint64_t)RGS + 63, total, proj1, 2, ex) == total - 2 * (uint64_t)RGS - 63);
    CHECK(scan_verify(pool, store, 5000, 5000, NULL, NCOLS, ex) == 0);

    /* the first chunk of a mid-vector start runs to the vector's end, then whole vectors */
    {
        chunk *out = chunk_create(a, all_types, NCOLS, &err);
        column_store_scan scan;
        column_store_scan_begin(store, &scan, 100, 10000, NULL, 0);
        CHECK(column_store_scan_next(&scan, out, &err) && out->count == VECTOR_SIZE - 100);
        CHECK(column_store_scan_next(&scan, out, &err) && out->count == VECTOR_SIZE);
        column_store_scan_end(&scan);
        column_store_scan_end(&scan); /* harmless twice */
        chunk_destroy(out);
    }

    /* truncate mid-row-group, then append again with other data */
    uint64_t cut = (uint64_t)RGS + 3017;
    uint64_t bytes_before = column_store_bytes(store);
    column_store_truncate(store, cut);
    CHECK(column_store_row_count(store) == cut);
    CHECK(column_store_row_group_count(store) == 2);
    CHECK(column_store_bytes(store) < bytes_before);
    CHECK(column_store_bytes(store) == pool_tag_used_bytes(pool, TAG_IN_MEMORY_TABLE) +
                                           pool_tag_used_bytes(pool, TAG_OVERFLOW_STRINGS));
    CHECK(scan_verify(pool, store, 0, cut, NULL, NCOLS, ex) == cut);
    CHECK(append_rows(store, c, cut, 150000, 99));
    expect ex2 = {cut, 0, 99};
    CHECK(column_store_row_count(store) == cut + 150000);
    CHECK(scan_verify(pool, store, 0, cut + 150000, NULL, NCOLS, ex2) == cut + 150000);
    CHECK(scan_verify(pool, store, cut - 5, cut + 5, proj2, 4, ex2) == 10);

    /* truncate at a row group boundary and a vector boundary */
    column_store_truncate(store, RGS);
    CHECK(column_store_row_group_count(store) == 1);
    CHECK(scan_verify(pool, store, 0, RGS, NULL, NCOLS, ex) == RGS);
    column_store_truncate(store, 4096);
    CHECK(column_store_row_count(store) == 4096);
    CHECK(append_rows(store, c, 4096, 10000, 5));
    expect ex3 = {4096, 0, 5};
    CHECK(scan_verify(pool, store, 0, 14096, NULL, NCOLS, ex3) == 14096);
    /* truncating past the end changes nothing */
    column_store_truncate(store, 1000000);
    CHECK(column_store_row_count(store) == 14096);

    /* truncate to nothing: every block goes */
    column_store_truncate(store, 0);
    CHECK(column_store_row_count(store) == 0);
    CHECK(column_store_bytes(store) == 0);
    CHECK(pool_tag_used_bytes(pool, TAG_IN_MEMORY_TABLE) == 0);
    CHECK(pool_tag_used_bytes(pool, TAG_OVERFLOW_STRINGS) == 0);
    CHECK(append_rows(store, c, 0, 3000, 1));
    expect ex4 = {UINT64_MAX, 1, 1};
    CHECK(scan_verify(pool, store, 0, 3000, NULL, NCOLS, ex4) == 3000);

    column_store_destroy(store);
    chunk_destroy(c);
    arena_destroy(a);
}

/* Pool counts of every tag and the block count are exactly back after destroy. */
static void test_exact_accounting(buffer_pool *pool) {
    arena *a = arena_create(pool, TAG_ALLOCATOR);
    error err;
    error_clear(&err);
    chunk *c = chunk_create(a, all_types, NCOLS, &err);
    chunk *out = chunk_create(a, all_types, NCOLS, &err);
    fill_chunk(c, 49990, 2048, 3); /* includes a long string (row 49993) */
    uint64_t before[TAG_COUNT];
    for (int t = 0; t < TAG_COUNT; t++) before[t] = pool_tag_used_bytes(pool, (memory_tag)t);
    uint64_t blocks_before = pool_block_count(pool), used_before = pool_used_bytes(pool);

    column_store *store = column_store_create(pool, all_types, NCOLS, TAG_COLUMN_DATA, TAG_OVERFLOW_STRINGS, &err);
    CHECK(store != NULL);
    bool ok = true;
    for (int i = 0; i < 150 && ok; i++) ok = column_store_append(store, c, &err);
    CHECK(ok);
    CHECK(column_store_row_count(store) == 150 * 2048);
    CHECK(pool_tag_used_bytes(pool, TAG_COLUMN_DATA) > before[TAG_COLUMN_DATA]);
    CHECK(pool_tag_used_bytes(pool, TAG_OVERFLOW_STRINGS) > before[TAG_OVERFLOW_STRINGS]);
    CHECK(column_store_bytes(store) == pool_tag_used_bytes(pool, TAG_COLUMN_DATA) - before[TAG_COLUMN_DATA] +
                                           pool_tag_used_bytes(pool, TAG_OVERFLOW_STRINGS) -
                                           before[TAG_OVERFLOW_STRINGS]);
    column_store_truncate(store, 150 * 2048 - 3001);
    column_store_scan scan;
    column_store_scan_begin(store, &scan, 1000, 200000, NULL, 0);
    CHECK(column_store_scan_next(&scan, out, &err) && out->count == VECTOR_SIZE - 1000);
    CHECK(column_store_scan_next(&scan, out, &err) && out->count == VECTOR_SIZE);
    column_store_scan_end(&scan);
    CHECK(ok && column_store_append(store, c, &err));
    column_store_destroy(store);

    bool same = true;
    for (int t = 0; t < TAG_COUNT; t++) {
        uint64_t now = pool_tag_used_bytes(pool, (memory_tag)t);
        if (now != before[t]) {
            same = false;
            fprintf(stderr, "  tag %s: %llu bytes before, %llu after\n", memory_tag_name((memory_tag)t),
                    (unsigned long long)before[t], (unsigned long long)now);
        }
    }
    CHECK(same);
    CHECK(pool_block_count(pool) == blocks_before);
    CHECK(pool_used_bytes(pool) == used_before);
    chunk_destroy(out);
    chunk_destroy(c);
    arena_destroy(a);
}

/* A string larger than a standard block, between short ones and in a later row group. */
static void test_huge_string(buffer_pool *pool) {
    logical_type types[2] = {type_make(TYPE_VARCHAR), type_make(TYPE_INTEGER)};
    arena *a = arena_create(pool, TAG_ALLOCATOR);
    error err;
    error_clear(&err);
    chunk *c = chunk_create(a, types, 2, &err);
    chunk *out = chunk_create(a, types, 2, &err);
    column_store *store = column_store_create(pool, types, 2, TAG_IN_MEMORY_TABLE, TAG_OVERFLOW_STRINGS, &err);
    size_t huge_len = 300 * 1024 + 17;
    char *huge = malloc(huge_len);
    for (size_t i = 0; i < huge_len; i++) huge[i] = (char)('A' + (i * 31) % 26);
    string_t *s = c->columns[0].data;
    chunk_store_string(c, "short", 5, &s[0], &err);
    chunk_store_string(c, huge, (uint32_t)huge_len, &s[1], &err);
    chunk_store_string(c, "a string of medium size", 23, &s[2], &err);
    for (int i = 0; i < 3; i++) ((int32_t *)c->columns[1].data)[i] = i;
    c->count = 3;
    CHECK(column_store_append(store, c, &err));
    CHECK(column_store_bytes(store) >= huge_len);

    column_store_scan scan;
    column_store_scan_begin(store, &scan, 0, 3, NULL, 0);
    CHECK(column_store_scan_next(&scan, out, &err) && out->count == 3);
    const string_t *r = out->columns[0].data;
    CHECK(r[0].length == 5 && memcmp(string_data(&r[0]), "short", 5) == 0);
    CHECK(r[1].length == huge_len && memcmp(string_data(&r[1]), huge, huge_len) == 0);
    CHECK(r[2].length == 23 && memcmp(string_data(&r[2]), "a string of medium size", 23) == 0);
    CHECK(((int32_t *)out->columns[1].data)[2] == 2);
    CHECK(column_store_scan_next(&scan, out, &err) && out->count == 0);
    column_store_scan_end(&scan);

    /* truncating the huge string away frees its block */
    uint64_t with_huge = pool_tag_used_bytes(pool, TAG_OVERFLOW_STRINGS);
    column_store_truncate(store, 1);
    CHECK(pool_tag_used_bytes(pool, TAG_OVERFLOW_STRINGS) + huge_len <= with_huge);
    column_store_destroy(store);
    CHECK(pool_tag_used_bytes(pool, TAG_OVERFLOW_STRINGS) == 0);
    free(huge);
    chunk_destroy(out);
    chunk_destroy(c);
    arena_destroy(a);
}

/* Small stores stay small: their footprint is close to their data. */
static void test_small_footprint(buffer_pool *pool) {
    logical_type types[2] = {type_make(TYPE_BIGINT), type_make(TYPE_VARCHAR)};
    arena *a = arena_create(pool, TAG_ALLOCATOR);
    error err;
    error_clear(&err);
    chunk *c = chunk_create(a, types, 2, &err);
    column_store *one = column_store_create(pool, types, 2, TAG_IN_MEMORY_TABLE, TAG_OVERFLOW_STRINGS, &err);
    column_store *small = column_store_create(pool, types, 2, TAG_IN_MEMORY_TABLE, TAG_OVERFLOW_STRINGS, &err);
    char buf[32];
    uint64_t sum = 0;
    for (uint32_t row = 0; row < 10000;) {
        chunk_reset(c);
        uint32_t n = 10000 - row < VECTOR_SIZE ? 10000 - row : VECTOR_SIZE;
        for (uint32_t i = 0; i < n; i++) {
            ((int64_t *)c->columns[0].data)[i] = row + i;
            snprintf(buf, sizeof buf, "value-%09u", row + i); /* 15 bytes */
            chunk_store_string(c, buf, 15, &((string_t *)c->columns[1].data)[i], &err);
        }
        c->count = n;
        if (row == 0) {
            c->count = 1;
            CHECK(column_store_append(one, c, &err));
            c->count = n;
        }
        CHECK(column_store_append(small, c, &err));
        row += n;
    }
    uint64_t data = 10000 * (8 + 15);
    printf("footprint: 1 row %llu bytes; 10000 rows (BIGINT, VARCHAR(15)) %llu bytes for %llu bytes of data\n",
           (unsigned long long)column_store_bytes(one), (unsigned long long)column_store_bytes(small),
           (unsigned long long)data);
    CHECK(column_store_bytes(one) <= 64 * 1024);
    CHECK(column_store_bytes(small) <= 2 * data);
    /* check the strings */
    chunk *out = chunk_create(a, types, 2, &err);
    column_store_scan scan;
    column_store_scan_begin(small, &scan, 0, 10000, NULL, 0);
    uint64_t pos = 0, bad = 0;
    while (column_store_scan_next(&scan, out, &err) && out->count) {
        for (uint32_t i = 0; i < out->count; i++) {
            snprintf(buf, sizeof buf, "value-%09u", (unsigned)(pos + i));
            const string_t *s = &((string_t *)out->columns[1].data)[i];
            if (s->length != 15 || memcmp(string_data(s), buf, 15) != 0) bad++;
            sum += (uint64_t)((int64_t *)out->columns[0].data)[i];
        }
        pos += out->count;
    }
    column_store_scan_end(&scan);
    CHECK(pos == 10000 && bad == 0 && sum == 10000ull * 9999 / 2);
    column_store_destroy(one);
    column_store_destroy(small);
    chunk_destroy(out);
    chunk_destroy(c);
    arena_destroy(a);
}

/* 2 million rows (BIGINT, INTEGER, VARCHAR) appended and scanned back with a checksum. */
static void test_two_million(buffer_pool *pool) {
    logical_type types[3] = {type_make(TYPE_BIGINT), type_make(TYPE_INTEGER), type_make(TYPE_VARCHAR)};
    arena *a = arena_create(pool, TAG_ALLOCATOR);
    error err;
    error_clear(&err);
    chunk *c = chunk_create(a, types, 3, &err);
    column_store *store = column_store_create(pool, types, 3, TAG_IN_MEMORY_TABLE, TAG_OVERFLOW_STRINGS, &err);
    const uint64_t total = 2000000;
    uint64_t want = 0;
    char buf[32];
    bool ok = true;
    for (uint64_t row = 0; row < total && ok;) {
        chunk_reset(c);
        uint32_t n = total - row < VECTOR_SIZE ? (uint32_t)(total - row) : VECTOR_SIZE;
        for (uint32_t i = 0; i < n; i++) {
            uint64_t r = row + i;
            ((int64_t *)c->columns[0].data)[i] = (int64_t)(r * 3);
            if (r % 5 == 0) vector_set_null(&c->columns[1], i);
            else ((int32_t *)c->columns[1].data)[i] = (int32_t)(r % 1000);
            uint32_t len = (uint32_t)snprintf(buf, sizeof buf, "s%llu-%llu", (unsigned long long)r,
                                              (unsigned long long)(r * 7));
            chunk_store_string(c, buf, len, &((string_t *)c->columns[2].data)[i], &err);
            want += r * 3 + (r % 5 == 0 ? 0 : r % 1000) + len + (uint8_t)buf[len - 1];
        }
        c->count = n;
        ok = column_store_append(store, c, &err);
        row += n;
    }
    CHECK(ok);
    CHECK(column_store_row_count(store) == total);
    chunk *out = chunk_create(a, types, 3, &err);
    column_store_scan scan;
    column_store_scan_begin(store, &scan, 0, total, NULL, 0);
    uint64_t got = 0, rows = 0, nulls = 0;
    while (column_store_scan_next(&scan, out, &err) && out->count) {
        const int64_t *a0 = out->columns[0].data;
        const int32_t *a1 = out->columns[1].data;
        const string_t *a2 = out->columns[2].data;
        for (uint32_t i = 0; i < out->count; i++) {
            got += (uint64_t)a0[i];
            if (vector_is_valid(&out->columns[1], i)) got += (uint64_t)a1[i];
            else nulls++;
            got += a2[i].length + (uint8_t)string_data(&a2[i])[a2[i].length - 1];
        }
        rows += out->count;
    }
    column_store_scan_end(&scan);
    CHECK(rows == total);
    CHECK(nulls == total / 5);
    CHECK(got == want);
    column_store_destroy(store);
    chunk_destroy(out);
    chunk_destroy(c);
    arena_destroy(a);
}

/* A scanner reads while an appender appends. */
typedef struct append_job {
    buffer_pool *pool;
    column_store *store;
    uint64_t rows;
    bool ok;
} append_job;

static logical_type conc_types[2];

static void *appender_main(void *arg) {
    append_job *job = arg;
    arena *a = arena_create(job->pool, TAG_ALLOCATOR);
    error err;
    error_clear(&err);
    chunk *c = chunk_create(a, conc_types, 2, &err);
    char buf[32];
    job->ok = true;
    for (uint64_t row = 0; row < job->rows && job->ok;) {
        chunk_reset(c);
        uint32_t n = 1500; /* not a vector multiple: appends split across vectors */
        if (n > job->rows - row) n = (uint32_t)(job->rows - row);
        for (uint32_t i = 0; i < n; i++) {
            ((int64_t *)c->columns[0].data)[i] = (int64_t)(row + i);
            snprintf(buf, sizeof buf, "row number %010llu", (unsigned long long)(row + i));
            chunk_store_string(c, buf, 21, &((string_t *)c->columns[1].data)[i], &err);
        }
        c->count = n;
        job->ok = column_store_append(job->store, c, &err);
        row += n;
    }
    chunk_destroy(c);
    arena_destroy(a);
    return NULL;
}

static void test_concurrent_scan(buffer_pool *pool) {
    conc_types[0] = type_make(TYPE_BIGINT);
    conc_types[1] = type_make(TYPE_VARCHAR);
    error err;
    error_clear(&err);
    column_store *store = column_store_create(pool, conc_types, 2, TAG_IN_MEMORY_TABLE, TAG_OVERFLOW_STRINGS, &err);
    append_job job = {pool, store, 400000, false};
    pthread_t th;
    pthread_create(&th, NULL, appender_main, &job);
    arena *a = arena_create(pool, TAG_ALLOCATOR);
    chunk *out = chunk_create(a, conc_types, 2, &err);
    uint64_t bad = 0, scans = 0;
    char buf[32];
    for (;;) {
        uint64_t count = column_store_row_count(store);
        column_store_scan scan;
        column_store_scan_begin(store, &scan, 0, count, NULL, 0);
        uint64_t pos = 0;
        while (column_store_scan_next(&scan, out, &err) && out->count) {
            for (uint32_t i = 0; i < out->count; i += 97) {
                snprintf(buf, sizeof buf, "row number %010llu", (unsigned long long)(pos + i));
                const string_t *s = &((string_t *)out->columns[1].data)[i];
                if (((int64_t *)out->columns[0].data)[i] != (int64_t)(pos + i) || s->length != 21 ||
                    memcmp(string_data(s), buf, 21) != 0)
                    bad++;
            }
            pos += out->count;
        }
        column_store_scan_end(&scan);
        if (pos != count) bad++;
        scans++;
        if (count == job.rows) break;
    }
    pthread_join(th, NULL);
    CHECK(job.ok);
    CHECK(bad == 0);
    CHECK(scans >= 1);
    column_store_destroy(store);
    chunk_destroy(out);
    arena_destroy(a);
}

/* Spill hooks that keep evicted blocks in malloc'd buffers. */
#define SPILL_SLOTS 4096
typedef struct spill_store {
    void *slots[SPILL_SLOTS];
    uint64_t writes, reads, peeks;
} spill_store;

static bool spill_write(void *ctx, memory_tag tag, const void *data, size_t size, uint64_t *slot, error *err) {
    (void)tag;
    spill_store *sp = ctx;
    for (uint64_t i = 0; i < SPILL_SLOTS; i++) {
        if (sp->slots[i]) continue;
        sp->slots[i] = malloc(size);
        if (!sp->slots[i]) return error_set(err, EIDER_ERROR_IO, "test spill: out of memory");
        memcpy(sp->slots[i], data, size);
        *slot = i;
        sp->writes++;
        return true;
    }
    return error_set(err, EIDER_ERROR_IO, "test spill: no free slot");
}

static bool spill_read(void *ctx, uint64_t slot, void *data, size_t size, error *err) {
    (void)err;
    spill_store *sp = ctx;
    memcpy(data, sp->slots[slot], size);
    free(sp->slots[slot]);
    sp->slots[slot] = NULL;
    sp->reads++;
    return true;
}

static bool spill_peek(void *ctx, uint64_t slot, void *data, size_t size, error *err) {
    (void)err;
    spill_store *sp = ctx;
    memcpy(data, sp->slots[slot], size);
    sp->peeks++;
    return true;
}

static void spill_discard(void *ctx, uint64_t slot, size_t size) {
    (void)size;
    spill_store *sp = ctx;
    free(sp->slots[slot]);
    sp->slots[slot] = NULL;
}

/* A store larger than the memory limit: its blocks are evicted between appends; scans read the
 * spilled ones without bringing them back (with a peek hook) or reload them (without one), and
 * nothing stays pinned. */
static void test_spill(bool peek) {
    buffer_pool *pool = pool_create((uint64_t)3 << 20);
    static spill_store sp;
    memset(&sp, 0, sizeof sp);
    pool_spill_hooks hooks = {&sp, spill_write, spill_read, spill_discard, peek ? spill_peek : NULL};
    pool_set_spill_hooks(pool, &hooks);
    logical_type types[2] = {type_make(TYPE_BIGINT), type_make(TYPE_VARCHAR)};
    arena *a = arena_create(pool, TAG_ALLOCATOR);
    error err;
    error_clear(&err);
    chunk *c = chunk_create(a, types, 2, &err);
    chunk *out = chunk_create(a, types, 2, &err);
    column_store *store = column_store_create(pool, types, 2, TAG_IN_MEMORY_TABLE, TAG_OVERFLOW_STRINGS, &err);
    char buf[32];
    const uint64_t total = 300000;
    bool ok = true;
    for (uint64_t row = 0; row < total && ok; row += VECTOR_SIZE) {
        chunk_reset(c);
        uint32_t n = total - row < VECTOR_SIZE ? (uint32_t)(total - row) : VECTOR_SIZE;
        for (uint32_t i = 0; i < n; i++) {
            ((int64_t *)c->columns[0].data)[i] = (int64_t)(row + i);
            snprintf(buf, sizeof buf, "spilled row %09llu", (unsigned long long)(row + i));
            chunk_store_string(c, buf, 21, &((string_t *)c->columns[1].data)[i], &err);
        }
        c->count = n;
        ok = column_store_append(store, c, &err);
        if (!ok) fprintf(stderr, "%s\n", err.message);
    }
    CHECK(ok);
    CHECK(sp.writes > 0);
    CHECK(pool_used_bytes(pool) <= pool_memory_limit(pool) + pool_tag_used_bytes(pool, TAG_METADATA));
    uint64_t pos = 0, bad = 0, writes = sp.writes;
    column_store_scan scan;
    column_store_scan_begin(store, &scan, 0, total, NULL, 0);
    while (column_store_scan_next(&scan, out, &err) && out->count) {
        for (uint32_t i = 0; i < out->count; i++) {
            snprintf(buf, sizeof buf, "spilled row %09llu", (unsigned long long)(pos + i));
            const string_t *s = &((string_t *)out->columns[1].data)[i];
            if (((int64_t *)out->columns[0].data)[i] != (int64_t)(pos + i) || s->length != 21 ||
                memcmp(string_data(s), buf, 21) != 0)
                bad++;
        }
        pos += out->count;
    }
    column_store_scan_end(&scan);
    CHECK(pos == total && bad == 0);
    if (peek) /* the spilled blocks were read where they are: none came back, none was written again (the
               * scan's buffers push a few resident blocks out once) */
        CHECK(sp.peeks > 0 && sp.reads == 0 && sp.writes - writes < sp.peeks / 8, "peeks %llu reads %llu writes %llu -> %llu",
              (unsigned long long)sp.peeks, (unsigned long long)sp.reads, (unsigned long long)writes,
              (unsigned long long)sp.writes);
    else
        CHECK(sp.reads > 0 && sp.peeks == 0);
    CHECK(pool_used_bytes(pool) <= pool_memory_limit(pool) + pool_tag_used_bytes(pool, TAG_METADATA));
    column_store_destroy(store);
    CHECK(pool_tag_temporary_bytes(pool, TAG_IN_MEMORY_TABLE) == 0);
    CHECK(pool_tag_temporary_bytes(pool, TAG_OVERFLOW_STRINGS) == 0);
    chunk_destroy(out);
    chunk_destroy(c);
    arena_destroy(a);
    CHECK(pool_block_count(pool) == 0);
    pool_destroy(pool);
    bool empty = true;
    for (int i = 0; i < SPILL_SLOTS; i++) empty = empty && sp.slots[i] == NULL;
    CHECK(empty);
}

/* Out of memory in the middle of an append: the error is reported, and truncating back to the
 * row count from before the append leaves a consistent store. */
static void test_append_oom(void) {
    buffer_pool *pool = pool_create((uint64_t)2 << 20);
    logical_type types[2] = {type_make(TYPE_BIGINT), type_make(TYPE_VARCHAR)};
    arena *a = arena_create(pool, TAG_ALLOCATOR);
    error err;
    error_clear(&err);
    chunk *c = chunk_create(a, types, 2, &err);
    chunk *out = chunk_create(a, types, 2, &err);
    char buf[32];
    for (uint32_t i = 0; i < VECTOR_SIZE; i++) {
        ((int64_t *)c->columns[0].data)[i] = i;
        snprintf(buf, sizeof buf, "a longer string %06u", i);
        chunk_store_string(c, buf, 22, &((string_t *)c->columns[1].data)[i], &err);
    }
    c->count = VECTOR_SIZE;
    column_store *store = column_store_create(pool, types, 2, TAG_IN_MEMORY_TABLE, TAG_OVERFLOW_STRINGS, &err);
    uint64_t before = 0;
    bool ok = true;
    for (int i = 0; i < 1000 && ok; i++) {
        before = column_store_row_count(store);
        ok = column_store_append(store, c, &err);
    }
    CHECK(!ok);
    CHECK(err.type == EIDER_ERROR_OUT_OF_MEMORY && strstr(err.message, "Out of Memory Error") != NULL);
    column_store_truncate(store, before);
    CHECK(column_store_row_count(store) == before);
    CHECK(column_store_bytes(store) == pool_tag_used_bytes(pool, TAG_IN_MEMORY_TABLE) +
                                           pool_tag_used_bytes(pool, TAG_OVERFLOW_STRINGS));
    uint64_t pos = 0, bad = 0;
    column_store_scan scan;
    error_clear(&err);
    column_store_scan_begin(store, &scan, 0, before, NULL, 0);
    while (column_store_scan_next(&scan, out, &err) && out->count) {
        for (uint32_t i = 0; i < out->count; i++) {
            uint32_t r = (uint32_t)((pos + i) % VECTOR_SIZE);
            snprintf(buf, sizeof buf, "a longer string %06u", r);
            const string_t *s = &((string_t *)out->columns[1].data)[i];
            if (((int64_t *)out->columns[0].data)[i] != r || memcmp(string_data(s), buf, 22) != 0) bad++;
        }
        pos += out->count;
    }
    column_store_scan_end(&scan);
    CHECK(pos == before && bad == 0);
    column_store_destroy(store);
    chunk_destroy(out);
    chunk_destroy(c);
    arena_destroy(a);
    CHECK(pool_block_count(pool) == 0);
    pool_destroy(pool);
}

/* Prints append and scan speed for 10 million BIGINT rows (a figure, not an assertion). */
static void bench_bigint(buffer_pool *pool) {
    logical_type t = type_make(TYPE_BIGINT);
    arena *a = arena_create(pool, TAG_ALLOCATOR);
    error err;
    error_clear(&err);
    chunk *c = chunk_create(a, &t, 1, &err);
    chunk *out = chunk_create(a, &t, 1, &err);
    for (uint32_t i = 0; i < VECTOR_SIZE; i++) ((int64_t *)c->columns[0].data)[i] = i;
    c->count = VECTOR_SIZE;
    column_store *store = column_store_create(pool, &t, 1, TAG_IN_MEMORY_TABLE, TAG_OVERFLOW_STRINGS, &err);
    const uint64_t total = 10000000;
    double t0 = now_seconds();
    bool ok = true;
    for (uint64_t row = 0; row < total && ok; row += VECTOR_SIZE) {
        c->count = total - row < VECTOR_SIZE ? (uint32_t)(total - row) : VECTOR_SIZE;
        ok = column_store_append(store, c, &err);
    }
    double t1 = now_seconds();
    column_store_scan scan;
    column_store_scan_begin(store, &scan, 0, total, NULL, 0);
    int64_t sum = 0;
    uint64_t rows = 0;
    while (column_store_scan_next(&scan, out, &err) && out->count) {
        const int64_t *v = out->columns[0].data;
        for (uint32_t i = 0; i < out->count; i++) sum += v[i];
        rows += out->count;
    }
    column_store_scan_end(&scan);
    double t2 = now_seconds();
    CHECK(ok && rows == total);
    printf("10M BIGINT: append %.3f s (%.0f Mrows/s), scan+sum %.3f s (%.0f Mrows/s), %.1f MiB, sum %lld\n", t1 - t0,
           total / (t1 - t0) / 1e6, t2 - t1, total / (t2 - t1) / 1e6,
           column_store_bytes(store) / 1048576.0, (long long)sum);
    column_store_destroy(store);
    chunk_destroy(out);
    chunk_destroy(c);
    arena_destroy(a);
}

int main(void) {
    init_types();
    string_buf = malloc(BIG_STRING + 64);
    buffer_pool *pool = pool_create((uint64_t)4 << 30);
    test_round_trip(pool);
    test_exact_accounting(pool);
    test_huge_string(pool);
    test_small_footprint(pool);
    test_two_million(pool);
    test_concurrent_scan(pool);
    test_spill(false);
    test_spill(true);
    test_append_oom();
    bench_bigint(pool);
    CHECK(pool_block_count(pool) == 0);
    CHECK(pool_tag_used_bytes(pool, TAG_IN_MEMORY_TABLE) == 0);
    CHECK(pool_tag_used_bytes(pool, TAG_OVERFLOW_STRINGS) == 0);
    CHECK(pool_tag_used_bytes(pool, TAG_COLUMN_DATA) == 0);
    pool_destroy(pool);
    free(string_buf);
    return test_summary();
}
