/*
 * pool_internal.h — the buffer pool's private structures, shared by the files of the memory
 * module (pool.c: blocks, reservations and eviction; pool_metadata.c: counted malloc;
 * pool_wait.c: waiting for memory that other threads are about to give back).
 * Nothing outside src/memory includes this.
 */
#ifndef EIDER_POOL_INTERNAL_H
#define EIDER_POOL_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "memory/pool.h"
#include "memory/pool_persistent.h"

#define POOL_CACHE_MAX_BLOCKS 1024  /* at most 256 MiB of free standard blocks stay mapped */
#define POOL_CACHE_LIMIT_SHARE 8    /* and at most 1/8 of memory_limit */

typedef enum block_state {
    BLOCK_RESIDENT,  /* memory mapped */
    BLOCK_EVICTING,  /* being written out by the spill hook; pinners wait */
    BLOCK_LOADING,   /* being brought back by a pinner; other pinners wait */
    BLOCK_DROPPED,   /* destroyable/persistent block evicted: no memory, comes back empty */
    BLOCK_SPILLED    /* temporary block written out through the hooks (slot is valid) */
} block_state;

typedef struct block_queue {
    block_handle *head; /* least recently unpinned */
    block_handle *tail;
    /* bytes of the queued blocks that are no operator's (pool_budget_bytes); changed under
     * pool->lock, read without it */
    _Atomic uint64_t other_bytes;
} block_queue;

struct block_handle {
    buffer_pool *pool;
    void *data;              /* NULL unless resident */
    size_t size;             /* rounded to the page size: what block_size tells and a spill writes */
    size_t mapped;           /* bytes mapped, counted (resident or spilled): mapping_size in pool.c */
    memory_tag tag;
    block_kind kind;
    _Atomic uint32_t pins;   /* 0 <-> 1 transitions happen under pool->lock */
    atomic_bool destroyed;   /* came back empty after eviction; cleared when read */
    block_state state;       /* guarded by pool->lock */
    bool in_queue;
    uint64_t slot;           /* spill slot while BLOCK_SPILLED */
    uint64_t page_id;        /* persistent blocks: page of the database file, or POOL_NO_PAGE */
    block_handle *qprev, *qnext; /* eviction queue */
    block_handle *aprev, *anext; /* all blocks of the pool */
};

struct buffer_pool {
    _Atomic uint64_t limit;
    _Atomic uint64_t used;
    _Atomic uint64_t tag_used[TAG_COUNT];
    _Atomic uint64_t tag_temporary[TAG_COUNT];
    _Atomic uint64_t mapped_blocks;  /* blocks whose memory is mapped */
    _Atomic uint64_t handles;        /* blocks allocated and not yet freed */
    _Atomic uint32_t budget_users;   /* operators registered for a budget */
    _Atomic uint32_t queries;        /* queries running (pool_query_begin/end) */

    pthread_mutex_t lock;            /* queues, block states, block list, hooks */
    pthread_cond_t changed;          /* a block left EVICTING/LOADING, or memory changed (pool_wait.c) */
    block_queue clean;               /* unpinned destroyable and persistent blocks */
    block_queue temporary;           /* unpinned temporary blocks */
    block_handle *all;               /* every live block */
    uint32_t evictions_in_flight;
    /* waiting for memory (pool_wait.c): workers running pipelines, those among them waiting,
     * and a counter raised whenever memory is given back or a block becomes evictable */
    _Atomic uint32_t workers;
    _Atomic uint32_t memory_waiters;
    _Atomic uint64_t memory_epoch;
    bool has_hooks;
    pool_spill_hooks hooks;
    pool_page_reader page_reader;    /* persistent blocks are read back through this */
    void *page_reader_ctx;
    /* free-block cache: the memory of standard blocks freed or evicted while a query runs, kept
     * mapped (and counted under ALLOCATOR) for the next standard block, so that a spilling query
     * does not unmap and fault in the same memory block after block; guarded by lock */
    void *cached[POOL_CACHE_MAX_BLOCKS];
    uint32_t cached_count;
    _Atomic uint64_t cached_bytes;   /* cached_count blocks, for readers without the lock */
};

/* Counter helpers (relaxed ordering is enough for statistics; reservations use CAS on used). */
static inline void pool_count_add(buffer_pool *pool, memory_tag tag, uint64_t bytes) {
    atomic_fetch_add(&pool->used, bytes);
    atomic_fetch_add(&pool->tag_used[tag], bytes);
}
static inline void pool_count_sub(buffer_pool *pool, memory_tag tag, uint64_t bytes) {
    atomic_fetch_sub(&pool->tag_used[tag], bytes);
    atomic_fetch_sub(&pool->used, bytes);
}

/* ---- waiting for memory (pool_wait.c) ---- */

/* One allocation's patience: when it last looked at memory_epoch and when it gives up. */
typedef struct pool_wait {
    uint64_t seen_epoch;
    uint64_t deadline_ns; /* 0 until the first wait */
} pool_wait;

/* Starts an allocation's patience (before its first try). */
void pool_wait_start(buffer_pool *pool, pool_wait *w);
/* Memory was given back, or a block became evictable: waiters try again. pool_memory_changed
 * takes pool->lock; the _locked form is for callers that hold it. */
void pool_memory_changed(buffer_pool *pool);
void pool_memory_changed_locked(buffer_pool *pool);
/* Called when nothing can be evicted: true when the allocation should try again because memory
 * changed meanwhile (waiting for it while other workers run), false when it should fail. */
bool pool_wait_for_memory(buffer_pool *pool, pool_wait *w);

#endif
