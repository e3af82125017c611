/*
 * pool.c — the buffer pool: reservations, blocks from mmap, pin/unpin, and eviction.
 *
 * Counting: a block's mapping is counted under its tag while it is mapped (the block's size
 * rounded to pages; a block of more than half the standard size gets a whole standard mapping);
 * reservations (pool_reserve) are counted the same way; metadata (pool_metadata.c) under
 * METADATA. `used` is only raised by a compare-and-swap that keeps it under the limit (metadata
 * excepted), so the limit holds whatever the number of threads.
 *
 * Locking: pool->lock guards the eviction queues, the list of blocks, each block's state and the
 * hooks. A pin of a block that is already pinned, and an unpin that leaves it pinned, touch only
 * the block's atomic pin count; the 0 <-> 1 transitions take the lock. Spill I/O (the hooks'
 * write and read) runs without the lock: the block is marked EVICTING or LOADING meanwhile and
 * anyone else who needs it waits on pool->changed. block_read marks a spilled block LOADING while
 * it copies the block's slot into the reader's buffer, and leaves it SPILLED.
 *
 * Eviction order: the queue of clean blocks (destroyable, persistent) first, least recently
 * unpinned first; then, when spill hooks are installed, the queue of temporary blocks. A clean
 * block is simply unmapped; on its next pin a persistent block with a page id is read back
 * through the page reader (pool_persistent.h), any other comes back zero-filled.
 *
 * Free-block cache: while a query runs, memory given back by a standard block (freed or evicted)
 * goes to a small stack of mappings counted under ALLOCATOR instead of munmap, and the next
 * standard block takes it; the cache is unmapped when the last query ends. A block that needs
 * room first evicts into the cache (memory is then reused in place, with no munmap, TLB shootdown
 * or page faults); any other reservation first unmaps cached blocks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "memory/pool_internal.h"
#include "memory/size_format.h"

#define POOL_PAGE_SIZE ((size_t)4096)

static uint64_t load_u64(const _Atomic uint64_t *p) { return atomic_load((_Atomic uint64_t *)p); }

/* ---- pool -------------------------------------------------------------------------------- */

buffer_pool *pool_create(uint64_t memory_limit) {
    buffer_pool *pool = calloc(1, sizeof *pool);
    if (!pool) return NULL;
    atomic_init(&pool->limit, memory_limit);
    atomic_init(&pool->used, 0);
    for (int t = 0; t < TAG_COUNT; t++) {
        atomic_init(&pool->tag_used[t], 0);
        atomic_init(&pool->tag_temporary[t], 0);
    }
    atomic_init(&pool->mapped_blocks, 0);
    atomic_init(&pool->handles, 0);
    atomic_init(&pool->budget_users, 0);
    atomic_init(&pool->queries, 0);
    atomic_init(&pool->workers, 0);
    atomic_init(&pool->memory_waiters, 0);
    atomic_init(&pool->memory_epoch, 0);
    pthread_mutex_init(&pool->lock, NULL);
    /* timed waits for memory (pool_wait.c) count on the monotonic clock */
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&pool->changed, &attr);
    pthread_condattr_destroy(&attr);
    return pool;
}

uint64_t pool_memory_limit(const buffer_pool *pool) { return load_u64(&pool->limit); }
uint64_t pool_used_bytes(const buffer_pool *pool) { return load_u64(&pool->used); }
uint64_t pool_tag_used_bytes(const buffer_pool *pool, memory_tag tag) {
    return (unsigned)tag < TAG_COUNT ? load_u64(&pool->tag_used[tag]) : 0;
}
uint64_t pool_tag_temporary_bytes(const buffer_pool *pool, memory_tag tag) {
    return (unsigned)tag < TAG_COUNT ? load_u64(&pool->tag_temporary[tag]) : 0;
}
uint64_t pool_block_count(const buffer_pool *pool) { return load_u64(&pool->mapped_blocks); }

/* ---- operator budgets ---------------------------------------------------------------------- */

/* The tags of the blocking operators' state, which their budgets cover. */
static bool tag_of_operator(memory_tag tag) {
    return tag == TAG_HASH_TABLE || tag == TAG_ORDER_BY || tag == TAG_WINDOW;
}

void pool_budget_register(buffer_pool *pool, pool_budget *b) {
    b->pool = pool;
    b->registered = true;
    atomic_fetch_add(&pool->budget_users, 1);
}

void pool_budget_unregister(pool_budget *b) {
    if (!b->registered) return;
    atomic_fetch_sub(&b->pool->budget_users, 1);
    b->registered = false;
}

/* Bytes held by anything but the operators that nothing can take back now: pinned blocks of
 * tables and scans, reservations, metadata (not the free-block cache, not unpinned blocks). */
static uint64_t pool_other_held(buffer_pool *pool) {
    /* what the pool could take back (cache, unpinned blocks of other tags) or the budgets cover */
    uint64_t used = atomic_load(&pool->used), excluded = atomic_load(&pool->cached_bytes) +
                                                         atomic_load(&pool->clean.other_bytes) +
                                                         atomic_load(&pool->temporary.other_bytes);
    for (int t = 0; t < TAG_COUNT; t++)
        if (tag_of_operator((memory_tag)t)) excluded += atomic_load(&pool->tag_used[t]);
    return used > excluded ? used - excluded : 0;
}

uint64_t pool_budget_bytes(const pool_budget *b) {
    buffer_pool *pool = b->pool;
    uint32_t users = atomic_load(&pool->budget_users), workers = atomic_load(&pool->workers);
    if (users == 0) users = 1;
    uint64_t limit = pool_memory_limit(pool), share = limit / 100 * POOL_OPERATOR_PERCENT / users;
    /* what the rest holds now, and a little room for what each worker allocates on the way */
    uint64_t taken = pool_other_held(pool) + (uint64_t)POOL_WORKER_HEADROOM * (workers ? workers : 1);
    uint64_t left = limit > taken ? (limit - taken) / users : 0;
    if (left < share) share = left;
    return share > POOL_MIN_BUDGET ? share : POOL_MIN_BUDGET;
}

void pool_set_spill_hooks(buffer_pool *pool, const pool_spill_hooks *hooks) {
    pthread_mutex_lock(&pool->lock);
    if (hooks && hooks->write && hooks->read) {
        pool->hooks = *hooks;
        pool->has_hooks = true;
    } else {
        memset(&pool->hooks, 0, sizeof pool->hooks);
        pool->has_hooks = false;
    }
    pthread_mutex_unlock(&pool->lock);
}

void pool_set_page_reader(buffer_pool *pool, pool_page_reader reader, void *ctx) {
    pthread_mutex_lock(&pool->lock);
    pool->page_reader = reader;
    pool->page_reader_ctx = reader ? ctx : NULL;
    pthread_mutex_unlock(&pool->lock);
}

void block_set_page_id(block_handle *b, uint64_t page_id) {
    pthread_mutex_lock(&b->pool->lock);
    b->page_id = page_id;
    pthread_mutex_unlock(&b->pool->lock);
}

/* ---- queues (pool->lock held) ----------------------------------------------------------- */

static block_queue *queue_of(buffer_pool *pool, const block_handle *b) {
    return b->kind == BLOCK_TEMPORARY ? &pool->temporary : &pool->clean;
}

static void queue_count(block_queue *q, const block_handle *b, bool add) {
    if (tag_of_operator(b->tag)) return;
    if (add) atomic_fetch_add_explicit(&q->other_bytes, b->mapped, memory_order_relaxed);
    else atomic_fetch_sub_explicit(&q->other_bytes, b->mapped, memory_order_relaxed);
}

static void queue_push_tail(block_queue *q, block_handle *b) {
    queue_count(q, b, true);
    b->qnext = NULL;
    b->qprev = q->tail;
    if (q->tail) q->tail->qnext = b;
    else q->head = b;
    q->tail = b;
    b->in_queue = true;
}

static void queue_push_head(block_queue *q, block_handle *b) {
    queue_count(q, b, true);
    b->qprev = NULL;
    b->qnext = q->head;
    if (q->head) q->head->qprev = b;
    else q->tail = b;
    q->head = b;
    b->in_queue = true;
}

static void queue_remove(block_queue *q, block_handle *b) {
    if (!b->in_queue) return;
    queue_count(q, b, false);
    if (b->qprev) b->qprev->qnext = b->qnext;
    else q->head = b->qnext;
    if (b->qnext) b->qnext->qprev = b->qprev;
    else q->tail = b->qprev;
    b->qprev = b->qnext = NULL;
    b->in_queue = false;
}

static void list_add(buffer_pool *pool, block_handle *b) {
    b->aprev = NULL;
    b->anext = pool->all;
    if (pool->all) pool->all->aprev = b;
    pool->all = b;
}

static void list_remove(buffer_pool *pool, block_handle *b) {
    if (b->aprev) b->aprev->anext = b->anext;
    else pool->all = b->anext;
    if (b->anext) b->anext->aprev = b->aprev;
    b->aprev = b->anext = NULL;
}

/* ---- mapping ----------------------------------------------------------------------------- */

#define HUGE_PAGE_SIZE ((size_t)2 << 20)

/* Maps size bytes. A standard mapping is populated at once (MAP_POPULATE): one system call instead
 * of a page fault per 4 KiB page as the block fills, which on a virtual machine costs more than
 * the copy that fills it (standard blocks are filled: rows, vectors, spilled runs); larger ones,
 * often used only in part (lists, directories), fault in what they use. A mapping of at least one
 * huge page is aligned to the huge page size and asks for transparent huge pages: large blocks
 * (hash directories, big row blocks) are read at random, and with 4 KiB pages every such read
 * would miss the TLB. */
static void *map_memory(size_t size) {
    if (size < HUGE_PAGE_SIZE) {
        int populate = size == POOL_BLOCK_SIZE ? MAP_POPULATE : 0;
        void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | populate, -1, 0);
        return p == MAP_FAILED ? NULL : p;
    }
    size_t padded = size + HUGE_PAGE_SIZE;
    uint8_t *p = mmap(NULL, padded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
    uint8_t *aligned = (uint8_t *)(((uintptr_t)p + HUGE_PAGE_SIZE - 1) & ~(uintptr_t)(HUGE_PAGE_SIZE - 1));
    if (aligned > p) munmap(p, (size_t)(aligned - p));
    size_t tail = (size_t)(p + padded - (aligned + size));
    if (tail > 0) munmap(aligned + size, tail);
    madvise(aligned, size, MADV_HUGEPAGE);
    return aligned;
}

static void unmap_memory(void *p, size_t size) {
    if (p) munmap(p, size);
}

/* ---- free-block cache ---------------------------------------------------------------------- */

/* The memory of the cached block on top, taken off the cache (NULL when it is empty). */
static void *cache_pop(buffer_pool *pool) {
    void *data = NULL;
    pthread_mutex_lock(&pool->lock);
    if (pool->cached_count > 0) {
        data = pool->cached[--pool->cached_count];
        atomic_fetch_sub(&pool->cached_bytes, POOL_BLOCK_SIZE);
    }
    pthread_mutex_unlock(&pool->lock);
    return data;
}

/* Takes a cached standard block's memory for a block of tag (its bytes stay counted: they move
 * from ALLOCATOR to tag). NULL when the cache is empty. */
static void *cache_take(buffer_pool *pool, memory_tag tag) {
    void *data = cache_pop(pool);
    if (data) {
        atomic_fetch_sub(&pool->tag_used[TAG_ALLOCATOR], POOL_BLOCK_SIZE);
        atomic_fetch_add(&pool->tag_used[tag], POOL_BLOCK_SIZE);
    }
    return data;
}

/* Gives back the memory of a block of tag: a standard block's memory goes to the cache while a
 * query runs and the cache has room, anything else is unmapped and leaves the count. */
static void release_memory(buffer_pool *pool, memory_tag tag, void *data, size_t size) {
    if (!data) return;
    if (size == POOL_BLOCK_SIZE && atomic_load(&pool->queries) > 0) {
        uint64_t room = pool_memory_limit(pool) / POOL_CACHE_LIMIT_SHARE / POOL_BLOCK_SIZE;
        if (room > POOL_CACHE_MAX_BLOCKS) room = POOL_CACHE_MAX_BLOCKS;
        pthread_mutex_lock(&pool->lock);
        bool cached = pool->cached_count < room;
        if (cached) {
            pool->cached[pool->cached_count++] = data;
            atomic_fetch_add(&pool->cached_bytes, POOL_BLOCK_SIZE);
        }
        pthread_mutex_unlock(&pool->lock);
        if (cached) {
            atomic_fetch_sub(&pool->tag_used[tag], POOL_BLOCK_SIZE);
            atomic_fetch_add(&pool->tag_used[TAG_ALLOCATOR], POOL_BLOCK_SIZE);
            pool_memory_changed(pool);
            return;
        }
    }
    unmap_memory(data, size);
    pool_count_sub(pool, tag, size);
    pool_memory_changed(pool);
}

/* Unmaps one cached block; false when the cache is empty. */
static bool cache_drop_one(buffer_pool *pool) {
    void *data = cache_pop(pool);
    if (!data) return false;
    unmap_memory(data, POOL_BLOCK_SIZE);
    pool_count_sub(pool, TAG_ALLOCATOR, POOL_BLOCK_SIZE);
    return true;
}

/* Unmaps the free-block cache: afterwards the pool's count is exactly what its blocks and
 * reservations hold. */
static void pool_trim(buffer_pool *pool) {
    while (cache_drop_one(pool)) {
    }
}

void pool_query_begin(buffer_pool *pool) { atomic_fetch_add(&pool->queries, 1); }

void pool_query_end(buffer_pool *pool) {
    if (atomic_fetch_sub(&pool->queries, 1) == 1) pool_trim(pool);
}

/* ---- eviction ---------------------------------------------------------------------------- */

typedef enum evict_result {
    EVICT_DONE,   /* some memory was given back */
    EVICT_RETRY,  /* nothing now, but evictions in flight finished or may free memory: retry */
    EVICT_NONE,   /* nothing can be evicted */
    EVICT_FAILED  /* the spill hook failed; err is set */
} evict_result;

/* Evicts one unpinned block (clean ones first, then temporary ones through the hooks). */
static evict_result evict_one(buffer_pool *pool, error *err) {
    pthread_mutex_lock(&pool->lock);
    block_handle *b = pool->clean.head;
    if (b) {
        queue_remove(&pool->clean, b);
        void *data = b->data;
        size_t size = b->mapped;
        b->data = NULL;
        b->state = BLOCK_DROPPED;
        memory_tag tag = b->tag;
        atomic_fetch_sub(&pool->mapped_blocks, 1);
        pthread_mutex_unlock(&pool->lock);
        /* b may be freed by its owner from here on: only local copies are used */
        release_memory(pool, tag, data, size);
        return EVICT_DONE;
    }
    b = pool->has_hooks ? pool->temporary.head : NULL;
    if (!b) {
        evict_result r = EVICT_NONE;
        if (pool->evictions_in_flight > 0) {
            pthread_cond_wait(&pool->changed, &pool->lock);
            r = EVICT_RETRY;
        }
        pthread_mutex_unlock(&pool->lock);
        return r;
    }
    queue_remove(&pool->temporary, b);
    b->state = BLOCK_EVICTING;
    pool->evictions_in_flight++;
    pool_spill_hooks hooks = pool->hooks;
    pthread_mutex_unlock(&pool->lock);

    uint64_t slot = 0;
    error werr;
    error_clear(&werr);
    bool ok = hooks.write(hooks.ctx, b->tag, b->data, b->size, &slot, &werr);
    void *data = NULL;
    size_t size = b->mapped;
    memory_tag tag = b->tag;

    pthread_mutex_lock(&pool->lock);
    pool->evictions_in_flight--;
    if (ok) {
        data = b->data;
        b->data = NULL;
        b->slot = slot;
        b->state = BLOCK_SPILLED;
        atomic_fetch_sub(&pool->mapped_blocks, 1);
        atomic_fetch_add(&pool->tag_temporary[b->tag], b->mapped);
    } else {
        b->state = BLOCK_RESIDENT;
        queue_push_head(&pool->temporary, b);
    }
    pthread_cond_broadcast(&pool->changed);
    pthread_mutex_unlock(&pool->lock);
    if (!ok) {
        /* a hook that fails without an error declines: spilling is off, nothing can be evicted */
        if (!error_is_set(&werr)) return EVICT_NONE;
        if (err && !error_is_set(err)) *err = werr;
        return EVICT_FAILED;
    }
    release_memory(pool, tag, data, size); /* b may already be freed: use the copies */
    return EVICT_DONE;
}

/* ---- reservations ------------------------------------------------------------------------ */

/* Adds size to used if it stays within the limit. */
static bool try_take(buffer_pool *pool, uint64_t size) {
    uint64_t cur = atomic_load(&pool->used);
    for (;;) {
        uint64_t limit = atomic_load(&pool->limit);
        if (cur > limit || size > limit - cur) return false;
        if (atomic_compare_exchange_weak(&pool->used, &cur, cur + size)) return true;
    }
}

static bool fail_oom(buffer_pool *pool, memory_tag tag, uint64_t size, error *err) {
    char asked[POOL_SIZE_TEXT_MAX], used[POOL_SIZE_TEXT_MAX], limit[POOL_SIZE_TEXT_MAX];
    pool_format_size(size, asked, sizeof asked);
    pool_format_size(atomic_load(&pool->used), used, sizeof used);
    pool_format_size(atomic_load(&pool->limit), limit, sizeof limit);
    return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "failed to allocate data of size %s (%s): %s/%s used", asked,
                     memory_tag_name(tag), used, limit);
}

/* One step towards room for size more bytes of tag: unmaps a cached block (unless keep_cache),
 * else evicts one block, else waits for other workers to give memory back (pool_wait.c).
 * False + err when nothing more can be freed. */
static bool make_room(buffer_pool *pool, memory_tag tag, uint64_t size, bool keep_cache, pool_wait *w, error *err) {
    if (!keep_cache && cache_drop_one(pool)) return true;
    switch (evict_one(pool, err)) {
    case EVICT_DONE:
    case EVICT_RETRY: return true;
    case EVICT_NONE: return pool_wait_for_memory(pool, w) || fail_oom(pool, tag, size, err);
    case EVICT_FAILED: return false;
    }
    return false;
}

bool pool_reserve(buffer_pool *pool, memory_tag tag, uint64_t size, error *err) {
    if ((unsigned)tag >= TAG_COUNT) return error_set(err, EIDER_ERROR_INTERNAL, "invalid memory tag %d", (int)tag);
    if (size > atomic_load(&pool->limit)) return fail_oom(pool, tag, size, err);
    pool_wait w;
    pool_wait_start(pool, &w);
    for (;;) {
        if (try_take(pool, size)) {
            atomic_fetch_add(&pool->tag_used[tag], size);
            return true;
        }
        if (!make_room(pool, tag, size, false, &w, err)) return false;
    }
}

/* The mapping of a block of size bytes (whole pages): a standard block's for more than half of one,
 * so that its memory can come from and go to the free-block cache (column store blocks, for example,
 * hold whole vectors and fall a few pages short of a standard block). */
static size_t mapping_size(size_t size) {
    return size > POOL_BLOCK_SIZE / 2 && size < POOL_BLOCK_SIZE ? POOL_BLOCK_SIZE : size;
}

/* A mapping of size bytes (from mapping_size) for a block of tag, counted: a cached block's memory
 * for a standard mapping when there is one (evicting into the cache rather than past it), else a
 * new mapping once the bytes are reserved. Its first zero_bytes must read as zeros (a new
 * mapping is all zeros). */
static void *acquire_memory(buffer_pool *pool, memory_tag tag, size_t size, size_t zero_bytes, error *err) {
    if (size > atomic_load(&pool->limit)) {
        fail_oom(pool, tag, size, err);
        return NULL;
    }
    bool standard = size == POOL_BLOCK_SIZE;
    pool_wait w;
    pool_wait_start(pool, &w);
    for (;;) {
        void *data = standard ? cache_take(pool, tag) : NULL;
        if (data) {
            memset(data, 0, zero_bytes);
            return data;
        }
        if (try_take(pool, size)) {
            atomic_fetch_add(&pool->tag_used[tag], size);
            data = map_memory(size);
            if (data) return data;
            pool_count_sub(pool, tag, size);
            char asked[POOL_SIZE_TEXT_MAX];
            pool_format_size(size, asked, sizeof asked);
            error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not map %s of memory (%s)", asked, memory_tag_name(tag));
            return NULL;
        }
        if (!make_room(pool, tag, size, standard, &w, err)) return NULL;
    }
}

void pool_release(buffer_pool *pool, memory_tag tag, uint64_t size) {
    if ((unsigned)tag >= TAG_COUNT || size == 0) return;
    pool_count_sub(pool, tag, size);
    pool_memory_changed(pool);
}

bool pool_set_memory_limit(buffer_pool *pool, uint64_t limit, error *err) {
    for (;;) {
        if (atomic_load(&pool->used) <= limit) {
            atomic_store(&pool->limit, limit);
            return true;
        }
        if (cache_drop_one(pool)) continue;
        error evict_err;
        error_clear(&evict_err);
        evict_result r = evict_one(pool, &evict_err);
        if (r == EVICT_DONE || r == EVICT_RETRY) continue;
        char want[POOL_SIZE_TEXT_MAX], used[POOL_SIZE_TEXT_MAX];
        pool_format_size(limit, want, sizeof want);
        pool_format_size(atomic_load(&pool->used), used, sizeof used);
        if (r == EVICT_FAILED)
            return error_set(err, EIDER_ERROR_INVALID_INPUT, "could not lower memory_limit to %s: %s in use (%s)",
                             want, used, evict_err.message);
        return error_set(err, EIDER_ERROR_INVALID_INPUT,
                         "could not lower memory_limit to %s: %s in use that cannot be evicted", want, used);
    }
}

/* ---- blocks ------------------------------------------------------------------------------ */

static size_t round_size(size_t size) {
    if (size == 0) size = 1;
    if (size > SIZE_MAX - (POOL_PAGE_SIZE - 1)) return 0;
    return (size + POOL_PAGE_SIZE - 1) & ~(POOL_PAGE_SIZE - 1);
}

block_handle *block_alloc(buffer_pool *pool, memory_tag tag, block_kind kind, size_t size, error *err) {
    if ((unsigned)tag >= TAG_COUNT) {
        error_set(err, EIDER_ERROR_INTERNAL, "invalid memory tag %d", (int)tag);
        return NULL;
    }
    size_t rounded = round_size(size);
    if (rounded == 0) {
        fail_oom(pool, tag, size, err);
        return NULL;
    }
    size_t mapped = mapping_size(rounded);
    void *data = acquire_memory(pool, tag, mapped, rounded, err);
    if (!data) return NULL;
    block_handle *b = pool_malloc(pool, sizeof *b);
    if (!b) {
        release_memory(pool, tag, data, mapped);
        error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate a block handle (%s)", memory_tag_name(tag));
        return NULL;
    }
    memset(b, 0, sizeof *b);
    b->pool = pool;
    b->data = data;
    b->size = rounded;
    b->mapped = mapped;
    b->tag = tag;
    b->kind = kind;
    atomic_init(&b->pins, 1);
    atomic_init(&b->destroyed, false);
    b->state = BLOCK_RESIDENT;
    b->page_id = POOL_NO_PAGE;
    atomic_fetch_add(&pool->mapped_blocks, 1);
    atomic_fetch_add(&pool->handles, 1);
    pthread_mutex_lock(&pool->lock);
    list_add(pool, b);
    pthread_mutex_unlock(&pool->lock);
    return b;
}

/* Brings an evicted block back (state LOADING, lock not held). */
static bool reload(buffer_pool *pool, block_handle *b, block_state from, error *err) {
    void *data = acquire_memory(pool, b->tag, b->mapped, from != BLOCK_SPILLED ? b->size : 0, err);
    if (!data) return false;
    if (from == BLOCK_SPILLED) {
        pthread_mutex_lock(&pool->lock);
        pool_spill_hooks hooks = pool->hooks;
        bool has = pool->has_hooks;
        pthread_mutex_unlock(&pool->lock);
        error rerr;
        error_clear(&rerr);
        bool ok = has && hooks.read(hooks.ctx, b->slot, data, b->size, &rerr);
        if (!ok) {
            release_memory(pool, b->tag, data, b->mapped);
            if (!has) return error_set(err, EIDER_ERROR_INTERNAL, "a spilled block cannot be read back: no spill hooks");
            if (!error_is_set(&rerr)) error_set(&rerr, EIDER_ERROR_IO, "could not read a block from temporary storage");
            if (err && !error_is_set(err)) *err = rerr;
            return false;
        }
        atomic_fetch_sub(&pool->tag_temporary[b->tag], b->mapped);
    } else {
        pthread_mutex_lock(&pool->lock);
        pool_page_reader reader = b->kind == BLOCK_PERSISTENT && b->page_id != POOL_NO_PAGE ? pool->page_reader : NULL;
        void *ctx = pool->page_reader_ctx;
        uint64_t page_id = b->page_id;
        pthread_mutex_unlock(&pool->lock);
        if (reader) {
            error rerr;
            error_clear(&rerr);
            if (!reader(ctx, page_id, data, b->size, &rerr)) {
                release_memory(pool, b->tag, data, b->mapped);
                if (!error_is_set(&rerr)) error_set(&rerr, EIDER_ERROR_IO, "could not read page %llu", (unsigned long long)page_id);
                if (err && !error_is_set(err)) *err = rerr;
                return false;
            }
        } else {
            atomic_store(&b->destroyed, true);
        }
    }
    b->data = data;
    atomic_fetch_add(&pool->mapped_blocks, 1);
    return true;
}

/* Pins a block that is already pinned without the lock; false when it is not. */
static bool pin_again(block_handle *b) {
    uint32_t p = atomic_load(&b->pins);
    while (p > 0) {
        if (atomic_compare_exchange_weak(&b->pins, &p, p + 1)) return true;
    }
    return false;
}

/* Pins a block that is in memory (lock held); false when it is not. */
static bool pin_resident(buffer_pool *pool, block_handle *b) {
    if (atomic_load(&b->pins) > 0) {
        atomic_fetch_add(&b->pins, 1);
        return true;
    }
    if (b->state != BLOCK_RESIDENT) return false;
    queue_remove(queue_of(pool, b), b);
    atomic_store(&b->pins, 1);
    return true;
}

void *block_pin(block_handle *b, error *err) {
    if (pin_again(b)) return b->data;
    buffer_pool *pool = b->pool;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        if (pin_resident(pool, b)) break;
        if (b->state == BLOCK_EVICTING || b->state == BLOCK_LOADING) {
            pthread_cond_wait(&pool->changed, &pool->lock);
            continue;
        }
        block_state from = b->state;
        b->state = BLOCK_LOADING;
        pthread_mutex_unlock(&pool->lock);
        bool ok = reload(pool, b, from, err);
        pthread_mutex_lock(&pool->lock);
        b->state = ok ? BLOCK_RESIDENT : from;
        if (ok) atomic_store(&b->pins, 1);
        pthread_cond_broadcast(&pool->changed);
        if (!ok) {
            pthread_mutex_unlock(&pool->lock);
            return NULL;
        }
        break;
    }
    void *data = b->data;
    pthread_mutex_unlock(&pool->lock);
    return data;
}

bool block_reserve(buffer_pool *pool, memory_tag tag, block_handle **block, size_t size, error *err) {
    if (*block && block_size(*block) >= size) return true;
    block_free(*block);
    *block = block_alloc(pool, tag, BLOCK_TEMPORARY, size + size / 8, err);
    return *block != NULL;
}

void *block_pin_resident(block_handle *b) {
    if (pin_again(b)) return b->data;
    buffer_pool *pool = b->pool;
    pthread_mutex_lock(&pool->lock);
    void *data = pin_resident(pool, b) ? b->data : NULL;
    pthread_mutex_unlock(&pool->lock);
    return data;
}

const void *block_read(block_handle *b, void *buffer, bool *pinned, error *err) {
    *pinned = false;
    buffer_pool *pool = b->pool;
    pthread_mutex_lock(&pool->lock);
    while (b->state == BLOCK_EVICTING || b->state == BLOCK_LOADING) pthread_cond_wait(&pool->changed, &pool->lock);
    if (b->state != BLOCK_SPILLED || !pool->has_hooks || !pool->hooks.peek) {
        pthread_mutex_unlock(&pool->lock);
        void *data = block_pin(b, err);
        *pinned = data != NULL;
        return data;
    }
    b->state = BLOCK_LOADING; /* pinners and block_free wait while the slot is read */
    pool_spill_hooks hooks = pool->hooks;
    uint64_t slot = b->slot;
    pthread_mutex_unlock(&pool->lock);
    error rerr;
    error_clear(&rerr);
    bool ok = hooks.peek(hooks.ctx, slot, buffer, b->size, &rerr);
    pthread_mutex_lock(&pool->lock);
    b->state = BLOCK_SPILLED;
    pthread_cond_broadcast(&pool->changed);
    pthread_mutex_unlock(&pool->lock);
    if (ok) return buffer;
    if (!error_is_set(&rerr)) error_set(&rerr, EIDER_ERROR_IO, "could not read a block from temporary storage");
    if (err && !error_is_set(err)) *err = rerr;
    return NULL;
}

void block_unpin(block_handle *b) {
    uint32_t p = atomic_load(&b->pins);
    while (p > 1) {
        if (atomic_compare_exchange_weak(&b->pins, &p, p - 1)) return;
    }
    buffer_pool *pool = b->pool;
    pthread_mutex_lock(&pool->lock);
    p = atomic_load(&b->pins);
    if (p > 0) {
        atomic_store(&b->pins, p - 1);
        if (p == 1 && b->state == BLOCK_RESIDENT && !b->in_queue) {
            queue_push_tail(queue_of(pool, b), b);
            pool_memory_changed_locked(pool); /* it can be evicted now */
        }
    }
    pthread_mutex_unlock(&pool->lock);
}

void *block_data(const block_handle *b) { return b->data; }
size_t block_size(const block_handle *b) { return b->size; }
size_t block_memory(const block_handle *b) { return b->mapped; }
memory_tag block_tag(const block_handle *b) { return b->tag; }
bool block_was_destroyed(block_handle *b) { return atomic_exchange(&b->destroyed, false); }

void block_free(block_handle *b) {
    if (!b) return;
    buffer_pool *pool = b->pool;
    pthread_mutex_lock(&pool->lock);
    while (b->state == BLOCK_EVICTING || b->state == BLOCK_LOADING) pthread_cond_wait(&pool->changed, &pool->lock);
    queue_remove(queue_of(pool, b), b);
    list_remove(pool, b);
    block_state state = b->state;
    pool_spill_hooks hooks = pool->hooks;
    bool has_hooks = pool->has_hooks;
    pthread_mutex_unlock(&pool->lock);

    if (state == BLOCK_RESIDENT) {
        atomic_fetch_sub(&pool->mapped_blocks, 1);
        release_memory(pool, b->tag, b->data, b->mapped);
    } else if (state == BLOCK_SPILLED) {
        if (has_hooks && hooks.discard) hooks.discard(hooks.ctx, b->slot, b->size);
        atomic_fetch_sub(&pool->tag_temporary[b->tag], b->mapped);
    }
    atomic_fetch_sub(&pool->handles, 1);
    pool_free(pool, b);
}

/* ---- teardown ---------------------------------------------------------------------------- */

#ifdef EIDER_SANITIZE
static void report_leaks(buffer_pool *pool) {
    uint64_t handles = atomic_load(&pool->handles);
    bool leak = handles > 0;
    for (int t = 0; t < TAG_COUNT; t++)
        if (t != TAG_METADATA && (atomic_load(&pool->tag_used[t]) || atomic_load(&pool->tag_temporary[t]))) leak = true;
    if (!leak) return;
    fprintf(stderr, "eider: buffer pool destroyed with %llu block(s) still allocated:\n", (unsigned long long)handles);
    for (int t = 0; t < TAG_COUNT; t++) {
        uint64_t u = atomic_load(&pool->tag_used[t]), tmp = atomic_load(&pool->tag_temporary[t]);
        if (t == TAG_METADATA || (!u && !tmp)) continue;
        char a[POOL_SIZE_TEXT_MAX], b[POOL_SIZE_TEXT_MAX];
        pool_format_size(u, a, sizeof a);
        pool_format_size(tmp, b, sizeof b);
        fprintf(stderr, "  %-16s %llu bytes (%s) in memory, %llu bytes (%s) spilled\n", memory_tag_name((memory_tag)t),
                (unsigned long long)u, a, (unsigned long long)tmp, b);
    }
}
#endif

void pool_destroy(buffer_pool *pool) {
    if (!pool) return;
    pool_trim(pool);
#ifdef EIDER_SANITIZE
    report_leaks(pool);
#endif
    while (pool->all) block_free(pool->all);
    pool_trim(pool);
    pthread_cond_destroy(&pool->changed);
    pthread_mutex_destroy(&pool->lock);
    free(pool);
}
