/*
 * window_states.h — an array of fixed-size slots in temporary pool blocks that the pool may evict,
 * for the window evaluators over a partition larger than memory (window_aggregate.c: the nodes of
 * a segment tree of aggregate states over the whole partition). Not for use elsewhere.
 *
 * Slots are written once each, in increasing order (a slot's block is allocated when its first
 * slot is written), and read in any order. With an aggregate function whose states point outside
 * themselves (min/max of VARCHAR: aggregate.h's spill_size/spill_write/spill_read), a state's
 * outside bytes go to heap blocks, appended in writing order, and a slot holds the state's
 * position-independent copy and where its bytes are.
 *
 * Reads and writes go through a small cache of pinned blocks; the least recently used one is
 * unpinned when a slot is needed, so only the blocks near the slots being used stay in memory.
 * When memory is short (a pin or an allocation fails with an Out of Memory error) the cache lets
 * all but its last block go and tries once more.
 *
 * Ownership: the array owns its blocks, its directories and the cache's pins; window_states_free
 * frees all of it (safe on a zeroed array, and more than once).
 */
#ifndef EIDER_WINDOW_STATES_H
#define EIDER_WINDOW_STATES_H

#include "function/aggregate.h"
#include "memory/pool.h"

#define WINDOW_STATES_CACHE 8 /* blocks pinned at most */

typedef struct window_states_page {
    uint64_t key;        /* which block: a slot block, or a heap block (high bit set) */
    block_handle *block; /* NULL: a free cache entry */
    uint8_t *data;
    uint64_t used;       /* tick of the last use */
} window_states_page;

typedef struct window_block_dir {
    block_handle **blocks; /* pool_malloc'ed */
    uint64_t count, capacity;
} window_block_dir;

typedef struct window_states {
    buffer_pool *pool;
    const aggregate_function *fn; /* NULL: plain slots */
    uint32_t state_size;          /* bytes of the caller's value (a state) */
    uint32_t slot_size;           /* bytes of a slot: the state, and where its outside bytes are */
    uint32_t block_shift;         /* a block holds 1 << block_shift slots */
    uint64_t count;               /* slots */
    window_block_dir slots, heap;
    size_t heap_used;             /* bytes used in the last heap block */
    window_states_page cache[WINDOW_STATES_CACHE];
    uint64_t tick;
    window_states_page *last[2];  /* the cache entries of the slot block and the heap block used last */
} window_states;

/* An array of count slots of state_size bytes (a multiple of 8). fn (may be NULL) says how to
 * move states that point outside themselves. Nothing is allocated until the first write. */
void window_states_init(window_states *ws, buffer_pool *pool, const aggregate_function *fn, uint32_t state_size,
                        uint64_t count);
void window_states_free(window_states *ws);

/* Writes a copy of state into slot i (its outside bytes included); slots are written in
 * increasing order. */
bool window_states_put(window_states *ws, uint64_t i, const void *state, error *err);
/* The state in slot i, valid until the next call on the array: in its pinned block, or (a state
 * that points outside itself) copied into copy (state_size bytes) and pointed at its bytes in a
 * pinned heap block. NULL + err when a block cannot be loaded. */
const void *window_states_get(window_states *ws, uint64_t i, void *copy, error *err);

#endif
