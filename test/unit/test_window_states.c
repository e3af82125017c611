/* window_states: slots in evictable pool blocks, under a pool far smaller than what they hold.
 *
 * 1. 1,000,000 plain 8-byte slots (8 MB) under a 2 MB pool: most of their blocks go to temp files
 *    while the array lives, and every slot reads back what was written, read forwards, backwards
 *    and with a stride that jumps between blocks.
 * 2. min(VARCHAR) states, whose long strings live outside the state: 60,000 states of strings of 3
 *    to 300 bytes (inline ones among them) and one of a string larger than a standard block; their
 *    strings spill with the slots, and each state read back finalizes to its string.
 * 3. Freeing the array leaves no block in the pool and no temp file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/vector.h"
#include "execution/window_states.h"
#include "function/aggregate.h"
#include "memory/pool.h"
#include "memory/temp_files.h"
#include "test_util.h"

#define POOL_LIMIT ((uint64_t)2 * 1024 * 1024)

typedef struct fixture {
    char dir[256];
    buffer_pool *pool;
    temp_files *tf;
} fixture;

static bool fixture_open(fixture *f) {
    snprintf(f->dir, sizeof f->dir, "/tmp/eider_wstates_XXXXXX");
    if (!mkdtemp(f->dir)) return false;
    f->pool = pool_create(POOL_LIMIT);
    f->tf = temp_files_create(f->pool);
    error err;
    error_clear(&err);
    if (!f->pool || !f->tf || !temp_files_set_directory(f->tf, f->dir, &err)) return false;
    pool_spill_hooks hooks = temp_files_hooks(f->tf);
    pool_set_spill_hooks(f->pool, &hooks);
    return true;
}

static void fixture_close(fixture *f) {
    CHECK(pool_block_count(f->pool) == 0, "blocks left: %llu", (unsigned long long)pool_block_count(f->pool));
    CHECK(temp_files_file_count(f->tf) == 0, "temp files left: %u", temp_files_file_count(f->tf));
    pool_set_spill_hooks(f->pool, NULL);
    temp_files_destroy(f->tf);
    pool_destroy(f->pool);
    rmdir(f->dir);
}

static uint64_t value_of(uint64_t i) { return i * 2654435761u + 17; }

static void test_plain_slots(fixture *f) {
    enum { N = 1000000 };
    error err;
    error_clear(&err);
    window_states ws;
    window_states_init(&ws, f->pool, NULL, sizeof(uint64_t), N);
    bool ok = true;
    for (uint64_t i = 0; ok && i < N; i++) {
        uint64_t v = value_of(i);
        ok = window_states_put(&ws, i, &v, &err);
    }
    CHECK(ok, "writing: %s", err.message);
    CHECK(pool_tag_temporary_bytes(f->pool, TAG_WINDOW) >= 4 * 1024 * 1024, "spilled %llu bytes",
          (unsigned long long)pool_tag_temporary_bytes(f->pool, TAG_WINDOW));
    CHECK(pool_used_bytes(f->pool) <= POOL_LIMIT);
    uint64_t wrong = 0;
    for (uint64_t i = 0; ok && i < N; i++) { /* forwards, then backwards */
        const uint64_t *v = window_states_get(&ws, i, NULL, &err);
        const uint64_t *w = v && *v == value_of(i) ? window_states_get(&ws, N - 1 - i, NULL, &err) : NULL;
        ok = v && w;
        wrong += !ok || *w != value_of(N - 1 - i);
    }
    for (uint64_t k = 0, i = 0; ok && k < 2000; k++, i = (i + 104729) % N) { /* a stride across blocks */
        const uint64_t *v = window_states_get(&ws, i, NULL, &err);
        ok = v != NULL;
        wrong += !ok || *v != value_of(i);
    }
    CHECK(ok && wrong == 0, "reading: %llu wrong, %s", (unsigned long long)wrong, err.message);
    /* a slot past what was written is an error, not a crash */
    CHECK(!window_states_put(&ws, N + 5, &wrong, &err) && err.type == EIDER_ERROR_INTERNAL);
    window_states_free(&ws);
    window_states_free(&ws); /* twice is fine */
    CHECK(pool_tag_temporary_bytes(f->pool, TAG_WINDOW) == 0 && pool_tag_used_bytes(f->pool, TAG_WINDOW) == 0);
}

/* The string of state i: 3 to 300 bytes; state BIG is larger than a standard block. */
#define BIG 777
static size_t string_of(uint64_t i, char *buf, size_t cap) {
    size_t len = i == BIG ? cap - 1 : 3 + (i * 7919) % 298;
    for (size_t k = 0; k < len; k++) buf[k] = (char)('a' + (i + k * 13) % 26);
    memcpy(buf, &i, sizeof i < len ? sizeof i : len); /* each string differs */
    return len;
}

static void test_string_states(fixture *f) {
    enum { N = 60000 };
    error err;
    error_clear(&err);
    aggregate_function fn;
    logical_type varchar = type_make(TYPE_VARCHAR);
    CHECK(aggregate_function_bind("min", &varchar, 1, &fn, &err) && fn.spill_size, "bind min(VARCHAR)");
    arena *a = arena_create(f->pool, TAG_WINDOW);
    chunk *c = chunk_create(a, &varchar, 1, &err);
    arena *strings = arena_create(f->pool, TAG_WINDOW);
    size_t cap = POOL_BLOCK_SIZE + 4096;
    char *buf = malloc(cap);
    uint64_t state[16] = {0}, copy[16];
    CHECK(a && c && strings && buf && fn.state_size <= sizeof state);
    if (!a || !c || !strings || !buf) return;
    aggregate_context ctx = {strings, &err};
    window_states ws;
    window_states_init(&ws, f->pool, &fn, fn.state_size, N);
    bool ok = true;
    for (uint64_t i = 0; ok && i < N; i++) {
        size_t len = string_of(i, buf, cap);
        ((string_t *)c->columns[0].data)[0] = string_make(buf, (uint32_t)len);
        vector_set_valid(&c->columns[0], 0);
        void *states[1] = {state};
        fn.init(state);
        ok = fn.update(states, &c->columns[0], 1, &ctx) && window_states_put(&ws, i, state, &err);
        arena_reset(strings);
    }
    CHECK(ok, "writing: %s", err.message);
    CHECK(pool_tag_temporary_bytes(f->pool, TAG_WINDOW) > 0, "the states' blocks spilled");
    uint64_t wrong = 0;
    for (uint64_t k = 0; ok && k < N + 2000; k++) { /* backwards, then here and there */
        uint64_t i = k < N ? N - 1 - k : (k * 7907) % N;
        const void *s = window_states_get(&ws, i, copy, &err);
        ok = s && fn.finalize(s, &c->columns[0], 0, c, &ctx);
        if (!ok) break;
        size_t len = string_of(i, buf, cap);
        const string_t *got = (const string_t *)c->columns[0].data;
        wrong += got->length != len || memcmp(string_data(got), buf, len) != 0;
        chunk_reset(c);
    }
    CHECK(ok && wrong == 0, "reading: %llu wrong, %s", (unsigned long long)wrong, err.message);
    window_states_free(&ws);
    free(buf);
    chunk_destroy(c);
    arena_destroy(strings);
    arena_destroy(a);
}

int main(void) {
    fixture f;
    CHECK(fixture_open(&f), "a pool with a temp directory");
    test_plain_slots(&f);
    test_string_states(&f);
    fixture_close(&f);
    return test_summary();
}
