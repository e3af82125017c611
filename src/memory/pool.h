/*
 * pool.h — the buffer pool: every byte that grows with the data lives in a pool block,
 * counted per tag, under one memory_limit.
 *
 * Blocks come straight from mmap and go back with munmap, so the process's resident memory
 * follows the pool's count. The one exception is counted and lives only while queries run: the
 * memory of up to POOL_CACHE_MAX_BLOCKS standard blocks freed or evicted meanwhile (at most 1/8 of
 * the limit) stays mapped under ALLOCATOR for the next standard block, so that a spilling query
 * reuses memory instead of unmapping and faulting it in again block after block. When the last
 * running query ends the cache is unmapped. Code holds a block_handle; pool_pin returns the
 * block's memory and keeps it resident, pool_unpin lets the pool evict it. Kinds of block:
 *   BLOCK_TEMPORARY   intermediates and in-memory tables; eviction writes them to the temp
 *                     directory (spill writer plugs in through pool_set_spill_hooks — a
 *                     database installs its temp-file manager, temp_files.h; without hooks,
 *                     temporary blocks are never evicted)
 *   BLOCK_DESTROYABLE scratch; eviction frees the memory and the owner rebuilds on next pin
 *   BLOCK_PERSISTENT  a page of the database file; eviction drops it, a pin reads it back
 *
 * Before memory is taken, bytes are reserved: the pool evicts unpinned blocks (destroyable and
 * persistent first, then temporary through the spill hooks) until the reservation fits, or fails
 * with "Out of Memory Error: ..." naming the tag, the size asked for, the bytes in use and the
 * limit. All functions are thread-safe.
 *
 * Blocks never hold absolute pointers into other blocks: only offsets or (block, offset) pairs,
 * so eviction and reload need no fix-ups.
 */
#ifndef EIDER_POOL_H
#define EIDER_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "memory/tags.h"

#define POOL_BLOCK_SIZE ((size_t)256 * 1024) /* standard block */

typedef struct buffer_pool buffer_pool;
typedef struct block_handle block_handle;

typedef enum block_kind { BLOCK_TEMPORARY, BLOCK_DESTROYABLE, BLOCK_PERSISTENT } block_kind;

/* Creates a pool with the given limit in bytes. Owner: the database; destroy with pool_destroy,
 * which frees every remaining block (and reports none should remain in debug builds). */
buffer_pool *pool_create(uint64_t memory_limit);
void pool_destroy(buffer_pool *pool);

uint64_t pool_memory_limit(const buffer_pool *pool);
/* Changes the limit. Lowering it below what is in use first evicts what it can; if the use still
 * does not fit, nothing changes and an Invalid Input error explains why. */
bool pool_set_memory_limit(buffer_pool *pool, uint64_t limit, error *err);

/* Bytes in use, in all and per tag (resident bytes only; spilled bytes are in
 * pool_tag_temporary_bytes). The per-tag counts always sum to pool_used_bytes. */
uint64_t pool_used_bytes(const buffer_pool *pool);
uint64_t pool_tag_used_bytes(const buffer_pool *pool, memory_tag tag);
uint64_t pool_tag_temporary_bytes(const buffer_pool *pool, memory_tag tag);
/* Number of blocks currently mapped (for tests: 0 after everything is freed). */
uint64_t pool_block_count(const buffer_pool *pool);

/* ---- reservations: counted bytes without a block ------------------------------------- */

/* Reserves size bytes under tag, evicting if needed; fails with an Out of Memory error. */
bool pool_reserve(buffer_pool *pool, memory_tag tag, uint64_t size, error *err);
/* Gives back bytes reserved with pool_reserve. */
void pool_release(buffer_pool *pool, memory_tag tag, uint64_t size);

/* ---- blocks ------------------------------------------------------------------------------ */

/* Allocates a block of `size` bytes (rounded up to the page size: block_size tells) and returns it
 * pinned once, with its memory zero-filled. A block of more than half of POOL_BLOCK_SIZE is counted
 * as a whole standard block (its memory can be the free-block cache's). On failure returns NULL and
 * sets err. The caller owns the handle and frees it with block_free. */
block_handle *block_alloc(buffer_pool *pool, memory_tag tag, block_kind kind, size_t size, error *err);

/* Makes *block (NULL or a pinned block of the caller's) a pinned block of at least size bytes:
 * the one there when it is large enough, else a new one with an eighth to spare (the old one is
 * freed; contents are not kept). Scratch that is about the same size at each use (the entries of
 * a sort run, of a window bucket) then keeps its memory instead of being unmapped and faulted in
 * again each time. */
bool block_reserve(buffer_pool *pool, memory_tag tag, block_handle **block, size_t size, error *err);

/* Pins the block (nestable) and returns its memory; reloads an evicted block first, which may
 * need to reserve memory and so may fail (NULL + err). A destroyable block that was evicted
 * comes back zero-filled and block_was_destroyed reports it. */
void *block_pin(block_handle *block, error *err);
/* Undoes one pin. An unpinned block may be evicted under memory pressure. */
void block_unpin(block_handle *block);
/* Pins the block only if it is in memory (no reload): its memory, or NULL with nothing done. */
void *block_pin_resident(block_handle *block);
/* Reads a block without bringing it back: a spilled temporary block's bytes are read from
 * temporary storage into buffer (block_size bytes) and the block stays spilled, its slot kept, so
 * a scan that reads each block once neither pushes other blocks out nor writes the block again
 * later. Any other block is pinned as block_pin does (*pinned is then true: unpin it when done).
 * Returns the memory to read; NULL + err on failure. */
const void *block_read(block_handle *block, void *buffer, bool *pinned, error *err);
/* Memory of a block the caller knows is pinned (no reload, no failure). */
void *block_data(const block_handle *block);
size_t block_size(const block_handle *block);
/* Bytes the block counts against the limit while resident (and in temporary storage while
 * spilled): its size, or a whole standard block for more than half of one. */
size_t block_memory(const block_handle *block);
memory_tag block_tag(const block_handle *block);
/* True once after a destroyable block came back from eviction empty; reading it resets it. */
bool block_was_destroyed(block_handle *block);
/* Frees the block (pinned or not): its memory is unmapped (or kept in the free-block cache) and
 * its bytes leave its tag at once. */
void block_free(block_handle *block);
/* Brackets a query's execution (the executor calls them): the free-block cache fills only while
 * some query runs, and is trimmed when the last one ends. */
void pool_query_begin(buffer_pool *pool);
void pool_query_end(buffer_pool *pool);
/* Brackets a thread's run of a pipeline (the executor calls them). An allocation that finds
 * nothing to evict waits, before it fails, while other workers are running and may give memory
 * back (a sorted run being written, a partition being flushed): see pool_wait.c. */
void pool_worker_enter(buffer_pool *pool);
void pool_worker_leave(buffer_pool *pool);

/* ---- operator budgets ------------------------------------------------------------------- */

/* A blocking operator (hash aggregate, hash join build, sort, window) registers while it holds
 * state and keeps its blocks under its budget, spilling (partitions, sorted runs) when they would
 * pass it. The budget is a share of POOL_OPERATOR_PERCENT of memory_limit, split evenly among the
 * operators registered at the moment it is asked for, so budgets rebalance as operators start
 * and finish (never below POOL_MIN_BUDGET). The rest of the limit is left to tables, results and
 * scratch, which spill on their own under pressure. At small limits what the rest cannot give
 * back (pinned scan blocks, metadata: a few MB whatever the limit) can be more than that rest: a
 * share is then at most an even split of what it leaves, less POOL_WORKER_HEADROOM per thread at
 * work, so operators spill before the limit is reached rather than fail at it. */
#define POOL_OPERATOR_PERCENT 60
#define POOL_MIN_BUDGET ((uint64_t)4 * POOL_BLOCK_SIZE)
#define POOL_WORKER_HEADROOM ((uint64_t)2 * POOL_BLOCK_SIZE)

typedef struct pool_budget {
    buffer_pool *pool;
    bool registered;
} pool_budget;

void pool_budget_register(buffer_pool *pool, pool_budget *b);
/* Safe to call more than once, and on a budget never registered if zero-initialized. */
void pool_budget_unregister(pool_budget *b);
/* The operator's budget in bytes right now. */
uint64_t pool_budget_bytes(const pool_budget *b);

/* ---- eviction hooks for spilling (the out-of-core layer plugs in here) ------------------ */

typedef struct pool_spill_hooks {
    void *ctx;
    /* Writes the block's bytes somewhere and returns an opaque slot id; false + err on failure
     * (e.g. the temp directory limit), in which case the block stays resident. False with err
     * untouched declines (spilling is disabled): the block stays resident and a reservation that
     * needed the room fails with the pool's usual Out of Memory error. */
    bool (*write)(void *ctx, memory_tag tag, const void *data, size_t size, uint64_t *slot, error *err);
    /* Reads a slot back into data and frees the slot. */
    bool (*read)(void *ctx, uint64_t slot, void *data, size_t size, error *err);
    /* Frees a slot of a block that is destroyed while spilled. */
    void (*discard)(void *ctx, uint64_t slot, size_t size);
    /* Optional: reads a slot into data and keeps it (block_read). */
    bool (*peek)(void *ctx, uint64_t slot, void *data, size_t size, error *err);
} pool_spill_hooks;

/* Installs (or with NULL removes) the spill hooks. Without hooks temporary blocks stay resident. */
void pool_set_spill_hooks(buffer_pool *pool, const pool_spill_hooks *hooks);

/* ---- metadata: counted malloc for long-lived small objects (tag METADATA) ---------------- */

/* Like malloc/calloc/realloc/free/strdup but counted under METADATA in this pool. These never
 * fail on the memory limit (metadata must not be refused halfway through a catalog change);
 * they return NULL only when the system is out of memory. */
void *pool_malloc(buffer_pool *pool, size_t size);
void *pool_calloc(buffer_pool *pool, size_t count, size_t size);
void *pool_realloc(buffer_pool *pool, void *ptr, size_t size);
char *pool_strdup(buffer_pool *pool, const char *s);
void pool_free(buffer_pool *pool, void *ptr);

#endif
