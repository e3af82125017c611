/*
 * test_arena.c — arenas: alignment, zeroed memory, large allocations, reset, accounting.
 */
#include <stdio.h>
#include <string.h>

#include "common/arena.h"
#include "memory/pool.h"
#include "test_util.h"

static bool all_zero(const void *p, size_t n) {
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        if (c[i]) return false;
    return true;
}

static void test_alignment_and_zero(buffer_pool *pool) {
    error err;
    error_clear(&err);
    arena *a = arena_create(pool, TAG_ALLOCATOR);
    CHECK(a != NULL);
    CHECK(arena_bytes(a) == 0);
    CHECK(pool_tag_used_bytes(pool, TAG_ALLOCATOR) == 0); /* no block before first allocation */
    CHECK(arena_pool(a) == pool);
    bool aligned = true, zero = true;
    for (size_t i = 1; i < 500; i++) {
        unsigned char *p = arena_alloc(a, i, &err);
        if (!p) {
            aligned = false;
            break;
        }
        if ((uintptr_t)p % 16 != 0) aligned = false;
        if (!all_zero(p, i)) zero = false;
        memset(p, 0xAB, i);
    }
    CHECK(aligned);
    CHECK(zero);
    CHECK(arena_bytes(a) >= POOL_BLOCK_SIZE);
    CHECK(pool_tag_used_bytes(pool, TAG_ALLOCATOR) == arena_bytes(a));

    char *s = arena_strdup(a, "hello", &err);
    CHECK(s && strcmp(s, "hello") == 0);
    s = arena_strndup(a, "hello world", 5, &err);
    CHECK(s && strcmp(s, "hello") == 0);
    s = arena_printf(a, &err, "%d-%s", 42, "x");
    CHECK(s && strcmp(s, "42-x") == 0);
    CHECK(!error_is_set(&err));

    arena_destroy(a);
    CHECK(pool_tag_used_bytes(pool, TAG_ALLOCATOR) == 0);
    CHECK(pool_block_count(pool) == 0);
}

static void test_large_and_reset(buffer_pool *pool) {
    error err;
    error_clear(&err);
    arena *a = arena_create(pool, TAG_ORDER_BY);
    void *small = arena_alloc(a, 100, &err);
    CHECK(small != NULL);
    uint64_t after_small = arena_bytes(a);
    CHECK(after_small == POOL_BLOCK_SIZE);

    /* larger than a quarter block: its own block, sized to fit */
    size_t big = POOL_BLOCK_SIZE / 4 + 1;
    unsigned char *p = arena_alloc(a, big, &err);
    CHECK(p != NULL && (uintptr_t)p % 16 == 0 && all_zero(p, big));
    CHECK(arena_bytes(a) > after_small && arena_bytes(a) < after_small + POOL_BLOCK_SIZE);
    memset(p, 1, big);

    /* bigger than a standard block */
    size_t huge = 3 * POOL_BLOCK_SIZE + 5;
    unsigned char *h = arena_alloc(a, huge, &err);
    CHECK(h != NULL && all_zero(h, huge));
    memset(h, 2, huge);
    /* small allocations continue in the standard block */
    void *small2 = arena_alloc(a, 100, &err);
    CHECK(small2 == (char *)small + 112);
    CHECK(pool_tag_used_bytes(pool, TAG_ORDER_BY) == arena_bytes(a));

    /* fill several standard blocks */
    for (int i = 0; i < 40; i++) CHECK(arena_alloc(a, 20000, &err) != NULL);
    CHECK(arena_bytes(a) > 4 * POOL_BLOCK_SIZE);
    memset(small, 0x5A, 100);

    arena_reset(a);
    CHECK(arena_bytes(a) == POOL_BLOCK_SIZE);
    CHECK(pool_tag_used_bytes(pool, TAG_ORDER_BY) == POOL_BLOCK_SIZE);
    CHECK(pool_block_count(pool) == 1);
    /* the first block is reused from its start, and comes back zeroed */
    unsigned char *again = arena_alloc(a, 100, &err);
    CHECK(again == small);
    CHECK(all_zero(again, 100));

    /* reset with only the first block in use also zeroes it */
    memset(again, 7, 100);
    arena_reset(a);
    again = arena_alloc(a, 100, &err);
    CHECK(again == small && all_zero(again, 100));

    CHECK(!error_is_set(&err));
    arena_destroy(a);
    CHECK(pool_tag_used_bytes(pool, TAG_ORDER_BY) == 0);
    CHECK(pool_block_count(pool) == 0);

    /* reset of an empty arena */
    a = arena_create(pool, TAG_ALLOCATOR);
    arena_reset(a);
    CHECK(arena_bytes(a) == 0);
    CHECK(arena_alloc(a, 0, &err) != NULL);
    arena_destroy(a);
}

static void test_oom(void) {
    buffer_pool *pool = pool_create(POOL_BLOCK_SIZE * 2);
    error err;
    error_clear(&err);
    arena *a = arena_create(pool, TAG_ALLOCATOR);
    CHECK(arena_alloc(a, POOL_BLOCK_SIZE, &err) != NULL);
    CHECK(arena_alloc(a, POOL_BLOCK_SIZE, &err) == NULL);
    CHECK(err.type == EIDER_ERROR_OUT_OF_MEMORY);
    CHECK(strstr(err.message, "Out of Memory Error: failed to allocate data of size") == err.message);
    CHECK(strstr(err.message, "(ALLOCATOR)") != NULL);
    arena_destroy(a);
    CHECK(pool_used_bytes(pool) == 0);
    pool_destroy(pool);
}

int main(void) {
    buffer_pool *pool = pool_create((uint64_t)256 << 20);
    test_alignment_and_zero(pool);
    test_large_and_reset(pool);
    test_oom();
    CHECK(pool_used_bytes(pool) == 0);
    pool_destroy(pool);
    return test_summary();
}
