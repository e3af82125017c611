/*
 * sort_prefetch.c — a merge of sorted runs produced ahead on its own thread, consumed in order
 * through a small ring of batches.
 */
#include "execution/sort_prefetch.h"

#include <pthread.h>
#include <string.h>

typedef struct prefetch_batch {
    uint32_t count, done_count;
    uint8_t *rows[VECTOR_SIZE];
    block_handle *done[VECTOR_SIZE + 1]; /* one per merge step, the last one included */
} prefetch_batch;

struct sort_prefetch {
    buffer_pool *pool;
    sort_merger *merger;
    uint64_t skip, limit, produced;
    atomic_bool *interrupted;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t filled_cond, emptied_cond;
    prefetch_batch *ring;
    uint32_t head, tail; /* the consumer takes ring[head]; the producer fills ring[tail] */
    uint32_t filled;     /* batches filled and not yet taken */
    bool held;           /* the consumer holds the batch before ring[head] */
    bool finished;       /* the producer is done: at the end, after an error, or stopped */
    bool stop;
    bool failed;
    error err;           /* the producer's failure */
};

static uint32_t free_slots(const sort_prefetch *p) { return SORT_PREFETCH_BATCHES - p->filled - (p->held ? 1 : 0); }

/* Fills one batch; false + err on a failure (the rows merged before it stay in the batch). */
static bool fill_batch(sort_prefetch *p, prefetch_batch *b, bool *end, error *err) {
    b->count = b->done_count = 0;
    uint8_t *row;
    block_handle *done;
    for (; p->skip > 0; p->skip--) { /* an OFFSET: no row of these is handed out, their blocks go now */
        bool ok = sort_merger_next(p->merger, &row, &done, err);
        block_free(done);
        if (!ok) return false;
        if (!row) return *end = true;
    }
    while (b->count < VECTOR_SIZE && p->produced < p->limit) {
        bool ok = sort_merger_next(p->merger, &row, &done, err);
        if (done) b->done[b->done_count++] = done;
        if (!ok) return false;
        if (!row) return *end = true;
        b->rows[b->count++] = row;
        p->produced++;
    }
    *end = p->produced >= p->limit;
    if (p->interrupted && atomic_load(p->interrupted))
        return error_set(err, EIDER_ERROR_INTERRUPTED, "Interrupted!");
    return true;
}

static void *producer_main(void *arg) {
    sort_prefetch *p = arg;
    pthread_mutex_lock(&p->lock);
    while (!p->finished) {
        while (!p->stop && free_slots(p) == 0) pthread_cond_wait(&p->emptied_cond, &p->lock);
        if (p->stop) break;
        prefetch_batch *b = &p->ring[p->tail];
        pthread_mutex_unlock(&p->lock);
        error err;
        error_clear(&err);
        bool end = false, ok = fill_batch(p, b, &end, &err);
        pthread_mutex_lock(&p->lock);
        p->tail = (p->tail + 1) % SORT_PREFETCH_BATCHES; /* published even when empty: its blocks go with it */
        p->filled++;
        if (!ok) {
            p->failed = true;
            p->err = err;
        }
        if (!ok || end) p->finished = true;
        pthread_cond_signal(&p->filled_cond);
    }
    p->finished = true;
    pthread_cond_signal(&p->filled_cond);
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

sort_prefetch *sort_prefetch_start(sort_merger *m, buffer_pool *pool, uint64_t skip, uint64_t limit,
                                   atomic_bool *interrupted, error *err) {
    sort_prefetch *p = pool_calloc(pool, 1, sizeof *p);
    prefetch_batch *ring = p ? pool_calloc(pool, SORT_PREFETCH_BATCHES, sizeof *ring) : NULL;
    if (!ring) {
        if (p) pool_free(pool, p);
        error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate the merge's read-ahead");
        return NULL;
    }
    p->pool = pool;
    p->merger = m;
    p->skip = skip;
    p->limit = limit;
    p->interrupted = interrupted;
    p->ring = ring;
    error_clear(&p->err);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->filled_cond, NULL);
    pthread_cond_init(&p->emptied_cond, NULL);
    if (pthread_create(&p->thread, NULL, producer_main, p) != 0) {
        pthread_cond_destroy(&p->emptied_cond);
        pthread_cond_destroy(&p->filled_cond);
        pthread_mutex_destroy(&p->lock);
        pool_free(pool, ring);
        pool_free(pool, p);
        error_set(err, EIDER_ERROR_INTERNAL, "could not start the merge's read-ahead thread");
        return NULL;
    }
    return p;
}

static void free_done(prefetch_batch *b) {
    for (uint32_t k = 0; k < b->done_count; k++) block_free(b->done[k]);
    b->done_count = 0;
}

/* The batch the consumer held is over: its blocks go and its slot is free again (lock held). */
static void release_held(sort_prefetch *p) {
    if (!p->held) return;
    free_done(&p->ring[(p->head + SORT_PREFETCH_BATCHES - 1) % SORT_PREFETCH_BATCHES]);
    p->held = false;
    pthread_cond_signal(&p->emptied_cond);
}

bool sort_prefetch_next(sort_prefetch *p, uint8_t *const **rows, uint32_t *count, error *err) {
    *rows = NULL;
    *count = 0;
    pthread_mutex_lock(&p->lock);
    bool ok = true;
    for (;;) {
        release_held(p);
        while (p->filled == 0 && !p->finished) pthread_cond_wait(&p->filled_cond, &p->lock);
        if (p->filled == 0) { /* the producer is done and everything it merged was taken */
            if (p->failed) ok = false, *err = p->err;
            break;
        }
        prefetch_batch *b = &p->ring[p->head];
        p->head = (p->head + 1) % SORT_PREFETCH_BATCHES;
        p->filled--;
        p->held = true;
        if (b->count > 0) {
            *rows = b->rows;
            *count = b->count;
            break;
        }
    }
    pthread_mutex_unlock(&p->lock);
    return ok;
}

void sort_prefetch_stop(sort_prefetch *p) {
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_signal(&p->emptied_cond);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    release_held(p);
    for (; p->filled > 0; p->filled--, p->head = (p->head + 1) % SORT_PREFETCH_BATCHES) free_done(&p->ring[p->head]);
    pthread_cond_destroy(&p->emptied_cond);
    pthread_cond_destroy(&p->filled_cond);
    pthread_mutex_destroy(&p->lock);
    pool_free(p->pool, p->ring);
    pool_free(p->pool, p);
}
