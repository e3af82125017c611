/*
 * test_pool_wait_concurrency.c — an allocation that finds the whole limit pinned waits for other
 * workers to give memory back (freeing a block, or unpinning one the pool can then evict) instead
 * of failing; it fails when every worker waits, or when it is the only worker, without hanging.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "memory/pool.h"
#include "test_util.h"

#define BLK POOL_BLOCK_SIZE
#define LIMIT_BLOCKS 4
/* room for LIMIT_BLOCKS standard blocks and their handles (counted metadata), not for one more */
#define LIMIT (LIMIT_BLOCKS * BLK + 64 * 1024)

static double seconds_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- spill hooks that keep evicted blocks in malloc'ed slots (test scaffolding) ---- */

#define SLOTS 16

typedef struct slots {
    pthread_mutex_t lock;
    void *data[SLOTS];
} slots;

static bool slot_write(void *ctx, memory_tag tag, const void *data, size_t size, uint64_t *slot, error *err) {
    (void)tag;
    slots *s = ctx;
    pthread_mutex_lock(&s->lock);
    for (uint64_t i = 0; i < SLOTS; i++) {
        if (s->data[i]) continue;
        s->data[i] = malloc(size);
        memcpy(s->data[i], data, size);
        *slot = i;
        pthread_mutex_unlock(&s->lock);
        return true;
    }
    pthread_mutex_unlock(&s->lock);
    return error_set(err, EIDER_ERROR_IO, "no free slot");
}

static bool slot_read(void *ctx, uint64_t slot, void *data, size_t size, error *err) {
    (void)err;
    slots *s = ctx;
    pthread_mutex_lock(&s->lock);
    memcpy(data, s->data[slot], size);
    free(s->data[slot]);
    s->data[slot] = NULL;
    pthread_mutex_unlock(&s->lock);
    return true;
}

static void slot_discard(void *ctx, uint64_t slot, size_t size) {
    (void)size;
    slots *s = ctx;
    pthread_mutex_lock(&s->lock);
    free(s->data[slot]);
    s->data[slot] = NULL;
    pthread_mutex_unlock(&s->lock);
}

/* ---- a second worker that fills the pool, then (maybe) gives one block back ---- */

typedef enum give_back { GIVE_FREE, GIVE_UNPIN, GIVE_NOTHING } give_back;

typedef struct holder {
    buffer_pool *pool;
    give_back how;
    int blocks;                  /* how many standard blocks to hold */
    bool ask_one_more;           /* then ask for one more block (all workers waiting) */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool full;                   /* the blocks are held */
    bool go;                     /* main has started its allocation */
    bool gave_back;              /* the block was freed or unpinned (before main could get one) */
    bool extra_ok;               /* ask_one_more: whether it got the block */
    eider_error_type extra_error;
    block_handle *held[LIMIT_BLOCKS];
} holder;

static void *holder_main(void *arg) {
    holder *h = arg;
    error err;
    error_clear(&err);
    pool_worker_enter(h->pool);
    for (int i = 0; i < h->blocks; i++) h->held[i] = block_alloc(h->pool, TAG_ORDER_BY, BLOCK_TEMPORARY, BLK, &err);
    pthread_mutex_lock(&h->lock);
    h->full = true;
    pthread_cond_broadcast(&h->cond);
    while (!h->go) pthread_cond_wait(&h->cond, &h->lock);
    pthread_mutex_unlock(&h->lock);
    usleep(50 * 1000); /* main is waiting by now */
    if (h->ask_one_more) {
        block_handle *b = block_alloc(h->pool, TAG_ORDER_BY, BLOCK_TEMPORARY, BLK, &err);
        h->extra_ok = b != NULL;
        h->extra_error = err.type;
        block_free(b);
    } else if (h->how == GIVE_FREE) {
        pthread_mutex_lock(&h->lock);
        h->gave_back = true;
        pthread_mutex_unlock(&h->lock);
        block_free(h->held[0]);
        h->held[0] = NULL;
    } else if (h->how == GIVE_UNPIN) {
        pthread_mutex_lock(&h->lock);
        h->gave_back = true;
        pthread_mutex_unlock(&h->lock);
        block_unpin(h->held[0]);
    }
    pool_worker_leave(h->pool);
    return NULL;
}

static void holder_start(holder *h, pthread_t *t) {
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->cond, NULL);
    pthread_create(t, NULL, holder_main, h);
    pthread_mutex_lock(&h->lock);
    while (!h->full) pthread_cond_wait(&h->cond, &h->lock);
    h->go = true;
    pthread_cond_broadcast(&h->cond);
    pthread_mutex_unlock(&h->lock);
}

static void holder_finish(holder *h, pthread_t t) {
    pthread_join(t, NULL);
    for (int i = 0; i < h->blocks; i++) block_free(h->held[i]);
    pthread_mutex_destroy(&h->lock);
    pthread_cond_destroy(&h->cond);
}

static bool holder_gave_back(holder *h) {
    pthread_mutex_lock(&h->lock);
    bool g = h->gave_back;
    pthread_mutex_unlock(&h->lock);
    return g;
}

/* The other worker holds the whole limit, then gives one block back (how) while this one asks
 * for a block: the allocation waits for it instead of failing. */
static void expect_wait(buffer_pool *pool, give_back how) {
    holder h = {.pool = pool, .how = how, .blocks = LIMIT_BLOCKS};
    pthread_t t;
    pool_worker_enter(pool);
    holder_start(&h, &t);
    error err;
    error_clear(&err);
    block_handle *b = block_alloc(pool, TAG_HASH_TABLE, BLOCK_TEMPORARY, BLK, &err);
    CHECK(b != NULL, "allocation failed instead of waiting: %s", err.message);
    CHECK(holder_gave_back(&h)); /* it got the block only once the other worker gave one back */
    /* an unpinned block is not freed: the pool wrote it out through the hooks */
    if (how == GIVE_UNPIN) CHECK(pool_tag_temporary_bytes(pool, TAG_ORDER_BY) == BLK);
    pool_worker_leave(pool);
    holder_finish(&h, t);
    block_free(b);
    CHECK(pool_used_bytes(pool) == 0 && pool_tag_temporary_bytes(pool, TAG_ORDER_BY) == 0);
}

static void test_waits_for_a_freed_block(void) {
    buffer_pool *pool = pool_create(LIMIT);
    expect_wait(pool, GIVE_FREE);
    pool_destroy(pool);
}

static void test_waits_for_an_unpinned_block(void) {
    buffer_pool *pool = pool_create(LIMIT);
    slots s = {.lock = PTHREAD_MUTEX_INITIALIZER};
    pool_spill_hooks hooks = {.ctx = &s, .write = slot_write, .read = slot_read, .discard = slot_discard};
    pool_set_spill_hooks(pool, &hooks);
    expect_wait(pool, GIVE_UNPIN);
    pool_set_spill_hooks(pool, NULL);
    pool_destroy(pool);
}

/* Both workers hold half the limit and both ask for more: no one can give memory back, so both
 * fail with Out of Memory rather than waiting for each other (and well before the patience ends). */
static void test_all_waiting_fail(void) {
    buffer_pool *pool = pool_create(LIMIT);
    holder h = {.pool = pool, .how = GIVE_NOTHING, .blocks = LIMIT_BLOCKS / 2, .ask_one_more = true};
    pthread_t t;
    pool_worker_enter(pool);
    error err;
    error_clear(&err);
    block_handle *mine[LIMIT_BLOCKS / 2];
    for (int i = 0; i < LIMIT_BLOCKS / 2; i++) mine[i] = block_alloc(pool, TAG_HASH_TABLE, BLOCK_TEMPORARY, BLK, &err);
    double start = seconds_now();
    holder_start(&h, &t);
    block_handle *b = block_alloc(pool, TAG_HASH_TABLE, BLOCK_TEMPORARY, BLK, &err);
    pool_worker_leave(pool);
    holder_finish(&h, t);
    double elapsed = seconds_now() - start;
    CHECK(b == NULL && err.type == EIDER_ERROR_OUT_OF_MEMORY);
    CHECK(!h.extra_ok && h.extra_error == EIDER_ERROR_OUT_OF_MEMORY);
    CHECK(elapsed < 2.0, "the workers waited %.2f s for each other", elapsed);
    for (int i = 0; i < LIMIT_BLOCKS / 2; i++) block_free(mine[i]);
    CHECK(pool_used_bytes(pool) == 0);
    pool_destroy(pool);
}

/* The only worker finds the limit pinned: there is nobody to wait for. */
static void test_single_worker_fails_at_once(void) {
    buffer_pool *pool = pool_create(LIMIT);
    pool_worker_enter(pool);
    error err;
    error_clear(&err);
    block_handle *mine[LIMIT_BLOCKS];
    for (int i = 0; i < LIMIT_BLOCKS; i++) mine[i] = block_alloc(pool, TAG_HASH_TABLE, BLOCK_TEMPORARY, BLK, &err);
    double start = seconds_now();
    block_handle *b = block_alloc(pool, TAG_HASH_TABLE, BLOCK_TEMPORARY, BLK, &err);
    double elapsed = seconds_now() - start;
    CHECK(b == NULL && err.type == EIDER_ERROR_OUT_OF_MEMORY);
    CHECK(elapsed < 1.0, "a lone worker waited %.2f s", elapsed);
    pool_worker_leave(pool);
    for (int i = 0; i < LIMIT_BLOCKS; i++) block_free(mine[i]);
    pool_destroy(pool);
}

int main(void) {
    test_waits_for_a_freed_block();
    test_waits_for_an_unpinned_block();
    test_all_waiting_fail();
    test_single_worker_fails_at_once();
    return test_summary();
}
