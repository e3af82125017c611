/*
 * window_states.c — fixed-size slots (aggregate states) in evictable pool blocks, read and written
 * through a small cache of pinned blocks.
 */
#include "execution/window_states.h"

#include <string.h>

#define HEAP_KEY (UINT64_C(1) << 63)

static bool oom(error *err) {
    return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate the states of a window aggregate");
}

static bool spills(const window_states *ws) { return ws->fn && ws->fn->spill_size; }

void window_states_init(window_states *ws, buffer_pool *pool, const aggregate_function *fn, uint32_t state_size,
                        uint64_t count) {
    memset(ws, 0, sizeof *ws);
    ws->pool = pool;
    ws->fn = fn;
    ws->state_size = state_size;
    ws->slot_size = state_size + (spills(ws) ? (uint32_t)sizeof(uint64_t) : 0);
    /* a power of two slots a block, so that finding a slot's block is a shift */
    ws->block_shift = 0;
    while (((size_t)2 << ws->block_shift) * ws->slot_size <= POOL_BLOCK_SIZE) ws->block_shift++;
    ws->count = count;
}

static void dir_free(window_states *ws, window_block_dir *d) {
    for (uint64_t b = 0; b < d->count; b++) block_free(d->blocks[b]);
    if (d->blocks) pool_free(ws->pool, d->blocks);
    memset(d, 0, sizeof *d);
}

void window_states_free(window_states *ws) {
    if (!ws->pool) return;
    for (uint32_t k = 0; k < WINDOW_STATES_CACHE; k++)
        if (ws->cache[k].block) block_unpin(ws->cache[k].block);
    dir_free(ws, &ws->slots);
    dir_free(ws, &ws->heap);
    memset(ws, 0, sizeof *ws);
}

/* ---- the cache ------------------------------------------------------------------------------- */

/* The cache entry to use next: a free one, else the least recently used (unpinned). */
static window_states_page *cache_victim(window_states *ws) {
    window_states_page *victim = &ws->cache[0];
    for (uint32_t k = 0; k < WINDOW_STATES_CACHE; k++) {
        window_states_page *pg = &ws->cache[k];
        if (!pg->block) return pg;
        if (pg->used < victim->used) victim = pg;
    }
    block_unpin(victim->block);
    victim->block = NULL;
    if (ws->last[victim->key >> 63] == victim) ws->last[victim->key >> 63] = NULL;
    return victim;
}

/* Puts a block pinned by the caller into the cache (the cache takes the pin). */
static uint8_t *cache_insert(window_states *ws, uint64_t key, block_handle *block, uint8_t *data) {
    window_states_page *pg = cache_victim(ws);
    *pg = (window_states_page){key, block, data, ++ws->tick};
    ws->last[key >> 63] = pg;
    return data;
}

/* Unpins every cached block but the one used last (whose memory the caller may still hold), so
 * that a pin or an allocation that failed for want of memory can be tried once more. */
static bool cache_shrink(window_states *ws) {
    window_states_page *keep = NULL;
    for (uint32_t k = 0; k < WINDOW_STATES_CACHE; k++)
        if (ws->cache[k].block && (!keep || ws->cache[k].used > keep->used)) keep = &ws->cache[k];
    bool dropped = false;
    for (uint32_t k = 0; k < WINDOW_STATES_CACHE; k++) {
        window_states_page *pg = &ws->cache[k];
        if (!pg->block || pg == keep) continue;
        block_unpin(pg->block);
        pg->block = NULL;
        dropped = true;
    }
    ws->last[0] = ws->last[1] = NULL;
    if (keep) ws->last[keep->key >> 63] = keep;
    return dropped;
}

/* Whether a failure was for want of memory and the cache gave some back: worth one more try. */
static bool retry_after(window_states *ws, error *err) {
    if (err->type != EIDER_ERROR_OUT_OF_MEMORY || !cache_shrink(ws)) return false;
    error_clear(err);
    return true;
}

/* cache_get past its last hit. */
static uint8_t *cache_lookup(window_states *ws, uint64_t key, error *err) {
    window_states_page *pg = NULL;
    for (uint32_t k = 0; k < WINDOW_STATES_CACHE && !pg; k++)
        if (ws->cache[k].block && ws->cache[k].key == key) pg = &ws->cache[k];
    uint8_t *data;
    if (pg) {
        pg->used = ++ws->tick;
        data = pg->data;
        ws->last[key >> 63] = pg;
    } else {
        const window_block_dir *d = key & HEAP_KEY ? &ws->heap : &ws->slots;
        block_handle *block = d->blocks[key & ~HEAP_KEY];
        data = block_pin(block, err);
        if (!data && retry_after(ws, err)) data = block_pin(block, err);
        if (!data) return NULL;
        cache_insert(ws, key, block, data);
    }
    return data;
}

/* The memory of a listed block, pinned in the cache (most reads hit the slot block, or the heap
 * block, of the last one). */
static inline uint8_t *cache_get(window_states *ws, uint64_t key, error *err) {
    window_states_page *pg = ws->last[key >> 63];
    if (!pg || pg->key != key) return cache_lookup(ws, key, err);
    pg->used = ++ws->tick;
    return pg->data;
}

/* Appends a new block of size bytes to the directory and pins it in the cache. */
static uint8_t *dir_add(window_states *ws, window_block_dir *d, uint64_t key_bit, size_t size, error *err) {
    if (d->count == d->capacity) {
        uint64_t cap = d->capacity ? 2 * d->capacity : 16;
        block_handle **blocks = pool_realloc(ws->pool, d->blocks, sizeof *blocks * cap);
        if (!blocks) return oom(err), NULL;
        d->blocks = blocks;
        d->capacity = cap;
    }
    block_handle *block = block_alloc(ws->pool, TAG_WINDOW, BLOCK_TEMPORARY, size, err);
    if (!block && retry_after(ws, err)) block = block_alloc(ws->pool, TAG_WINDOW, BLOCK_TEMPORARY, size, err);
    if (!block) return NULL;
    d->blocks[d->count] = block;
    return cache_insert(ws, key_bit | d->count++, block, block_data(block));
}

/* ---- slots ----------------------------------------------------------------------------------- */

/* Room for n outside bytes in the heap: their address and position (block << 32 | offset). */
static uint8_t *heap_reserve(window_states *ws, size_t n, uint64_t *position, error *err) {
    window_block_dir *d = &ws->heap;
    if (d->count == 0 || ws->heap_used + n > block_size(d->blocks[d->count - 1])) {
        if (!dir_add(ws, d, HEAP_KEY, n > POOL_BLOCK_SIZE ? n : POOL_BLOCK_SIZE, err)) return NULL;
        ws->heap_used = 0;
    }
    uint64_t b = d->count - 1;
    uint8_t *data = cache_get(ws, HEAP_KEY | b, err);
    if (!data) return NULL;
    *position = b << 32 | ws->heap_used;
    uint8_t *out = data + ws->heap_used;
    ws->heap_used += (n + 7) & ~(size_t)7;
    return out;
}

bool window_states_put(window_states *ws, uint64_t i, const void *state, error *err) {
    uint64_t b = i >> ws->block_shift;
    if (i >= ws->count || b > ws->slots.count)
        return error_set(err, EIDER_ERROR_INTERNAL, "window state %llu written out of order", (unsigned long long)i);
    uint8_t *out = NULL;
    uint64_t position = 0;
    uint32_t outside = spills(ws) ? ws->fn->spill_size(state) : 0;
    if (outside && !(out = heap_reserve(ws, outside, &position, err))) return false;
    uint8_t *data = b == ws->slots.count ? dir_add(ws, &ws->slots, 0, POOL_BLOCK_SIZE, err) : cache_get(ws, b, err);
    if (!data) return false;
    uint8_t *slot = data + (i & ((UINT64_C(1) << ws->block_shift) - 1)) * ws->slot_size;
    memcpy(slot, state, ws->state_size);
    if (spills(ws)) {
        ws->fn->spill_write(slot, out); /* out stays pinned: the slot's block came second */
        memcpy(slot + ws->state_size, &position, sizeof position);
    }
    return true;
}

const void *window_states_get(window_states *ws, uint64_t i, void *copy, error *err) {
    uint64_t b = i >> ws->block_shift;
    if (b >= ws->slots.count) {
        error_set(err, EIDER_ERROR_INTERNAL, "window state %llu read before it was written", (unsigned long long)i);
        return NULL;
    }
    const uint8_t *data = cache_get(ws, b, err);
    if (!data) return NULL;
    const uint8_t *slot = data + (i & ((UINT64_C(1) << ws->block_shift) - 1)) * ws->slot_size;
    if (!spills(ws)) return slot;
    memcpy(copy, slot, ws->state_size);
    uint64_t position;
    memcpy(&position, slot + ws->state_size, sizeof position);
    const uint8_t *heap = NULL;
    if (ws->fn->spill_size(copy)) {
        heap = cache_get(ws, HEAP_KEY | position >> 32, err);
        if (!heap) return NULL;
        heap += (uint32_t)position;
    }
    ws->fn->spill_read(copy, heap);
    return copy;
}
