/*
 * pool_wait.c — waiting for memory that other threads are about to give back.
 *
 * An allocation that finds every byte of the limit pinned, and nothing being evicted, is not
 * necessarily out of memory: with several threads in a query, another one may be halfway
 * through writing a sorted run or flushing a partition, and the blocks it pins become evictable
 * (or are freed) a moment later. So before failing, an allocation waits while other workers
 * (threads running pipelines, pool_worker_enter) are still at work and not waiting themselves;
 * it tries again as soon as memory is given back or a block is unpinned (memory_epoch moves).
 * It fails when every other worker waits too (no one is left to give memory back), or when its
 * patience runs out: POOL_WAIT_PATIENCE_MS in all, so a worker blocked elsewhere while holding
 * pins delays an Out of Memory error but cannot hang a query.
 */
#include <time.h>

#include "memory/pool_internal.h"

#define POOL_WAIT_SLICE_MS 10      /* one wait before the state is looked at again */
#define POOL_WAIT_PATIENCE_MS 3000 /* an allocation waits at most this long in all */

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void pool_worker_enter(buffer_pool *pool) { atomic_fetch_add(&pool->workers, 1); }

void pool_worker_leave(buffer_pool *pool) {
    atomic_fetch_sub(&pool->workers, 1);
    pool_memory_changed(pool); /* one fewer worker to wait for */
}

void pool_wait_start(buffer_pool *pool, pool_wait *w) {
    w->seen_epoch = atomic_load(&pool->memory_epoch);
    w->deadline_ns = 0;
}

void pool_memory_changed_locked(buffer_pool *pool) {
    atomic_fetch_add(&pool->memory_epoch, 1);
    if (atomic_load(&pool->memory_waiters) > 0) pthread_cond_broadcast(&pool->changed);
}

void pool_memory_changed(buffer_pool *pool) {
    /* a waiter counts itself before it reads the epoch, both under the lock: either it sees the
     * new epoch, or it is counted here and the broadcast (after it has started waiting) wakes it */
    atomic_fetch_add(&pool->memory_epoch, 1);
    if (atomic_load(&pool->memory_waiters) == 0) return;
    pthread_mutex_lock(&pool->lock);
    pthread_cond_broadcast(&pool->changed);
    pthread_mutex_unlock(&pool->lock);
}

bool pool_wait_for_memory(buffer_pool *pool, pool_wait *w) {
    uint64_t now = now_ns();
    if (w->deadline_ns == 0) w->deadline_ns = now + (uint64_t)POOL_WAIT_PATIENCE_MS * 1000000u;
    bool retry = false;
    pthread_mutex_lock(&pool->lock);
    atomic_fetch_add(&pool->memory_waiters, 1);
    for (;;) {
        uint64_t epoch = atomic_load(&pool->memory_epoch);
        if (epoch != w->seen_epoch) {
            w->seen_epoch = epoch;
            retry = true;
            break;
        }
        /* the caller is a worker itself when workers run at all; the others must not all wait */
        uint32_t workers = atomic_load(&pool->workers), waiters = atomic_load(&pool->memory_waiters);
        if (workers <= waiters || now >= w->deadline_ns) break;
        uint64_t until = now + (uint64_t)POOL_WAIT_SLICE_MS * 1000000u;
        if (until > w->deadline_ns) until = w->deadline_ns;
        /* pool->changed waits on CLOCK_MONOTONIC (pool_create), the clock of now_ns */
        struct timespec ts = {.tv_sec = (time_t)(until / 1000000000u), .tv_nsec = (long)(until % 1000000000u)};
        pthread_cond_timedwait(&pool->changed, &pool->lock, &ts);
        now = now_ns();
    }
    atomic_fetch_sub(&pool->memory_waiters, 1);
    pthread_mutex_unlock(&pool->lock);
    return retry;
}
