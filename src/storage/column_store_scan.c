/*
 * column_store_scan.c — scans of a column store.
 *
 * A scan hands out chunks that never cross a stored vector (and so never a row group): the first
 * chunk runs from the start row to the end of its vector, the next ones are whole vectors, so
 * values are copied with one memcpy per column and validity word by word. The scan keeps, per
 * output column, the segment block it read last, and the heap blocks that the strings of the
 * last chunk point into; a new chunk opens what it needs before the old ones are let go, so a
 * block used by consecutive chunks stays open throughout.
 *
 * A block in memory is read pinned. A block that spilled to a temp file is read into a buffer of
 * the scan's own (block_read) and stays spilled: a scan reads each block once, and bringing the
 * table's blocks back would push out the blocks of the query's operators and write the table's
 * blocks out again when they are pushed out in turn.
 */
#include <string.h>

#include "storage/column_store_internal.h"

/* A block open for reading: pinned, or copied into a buffer (a pinned block of the scan's). */
typedef struct cs_view {
    block_handle *block;  /* NULL: nothing open */
    block_handle *buffer; /* the copy's memory when the block is not pinned, else NULL */
    const uint8_t *data;
} cs_view;

typedef struct cs_heap_pin {
    uint32_t index; /* heap block index in the current row group */
    cs_view view;
} cs_heap_pin;

typedef struct cs_pin_list {
    cs_heap_pin *items;
    uint32_t count, capacity;
} cs_pin_list;

#define CS_SPARE_BUFFERS 8

typedef struct cs_scan_state {
    buffer_pool *pool;
    cs_pin_list heap;      /* open for the chunk handed out last */
    cs_pin_list next;      /* being opened for the chunk being built */
    block_handle *spare[CS_SPARE_BUFFERS]; /* buffers to reuse */
    uint32_t spare_count;
    uint32_t column_count;
    cs_view seg[];         /* per output column: the segment block open */
} cs_scan_state;

/* Gives a buffer back to the spares (or frees it). */
static void cs_buffer_put(cs_scan_state *st, block_handle *buffer) {
    if (!buffer) return;
    if (st->spare_count < CS_SPARE_BUFFERS) st->spare[st->spare_count++] = buffer;
    else block_free(buffer);
}

/* A buffer of at least size bytes: a spare, or a new one (NULL + err). */
static block_handle *cs_buffer_get(cs_scan_state *st, memory_tag tag, size_t size, error *err) {
    while (st->spare_count > 0) {
        block_handle *b = st->spare[--st->spare_count];
        if (block_size(b) >= size) return b;
        block_free(b);
    }
    return block_alloc(st->pool, tag, BLOCK_TEMPORARY, size, err);
}

/* Opens block h into v (which is closed): pinned if it is in memory, else read into a buffer. */
static const uint8_t *cs_view_open(cs_scan_state *st, cs_view *v, block_handle *h, error *err) {
    const uint8_t *data = block_pin_resident(h);
    if (!data) {
        block_handle *buffer = cs_buffer_get(st, block_tag(h), block_size(h), err);
        if (!buffer) return NULL;
        bool pinned;
        data = block_read(h, block_data(buffer), &pinned, err);
        if (!data || pinned) cs_buffer_put(st, buffer);
        else v->buffer = buffer;
        if (!data) return NULL;
    }
    v->block = h;
    v->data = data;
    return data;
}

static void cs_view_close(cs_scan_state *st, cs_view *v) {
    if (!v->block) return;
    if (v->buffer) cs_buffer_put(st, v->buffer);
    else block_unpin(v->block);
    *v = (cs_view){0};
}

void column_store_scan_begin(column_store *store, column_store_scan *scan, uint64_t start, uint64_t end,
                             const uint32_t *column_ids, uint32_t column_count) {
    scan->store = store;
    scan->position = start;
    scan->end = end < start ? start : end;
    scan->column_ids = column_ids;
    scan->column_count = column_ids ? column_count : store->column_count;
    scan->used = NULL;
    scan->pinned = NULL;
}

static void cs_pins_release(cs_scan_state *st, cs_pin_list *l) {
    for (uint32_t i = 0; i < l->count; i++) cs_view_close(st, &l->items[i].view);
    l->count = 0;
}

/* Closes every block the scan holds open (the state itself stays). */
static void cs_scan_unpin_all(cs_scan_state *st) {
    for (uint32_t i = 0; i < st->column_count; i++) cs_view_close(st, &st->seg[i]);
    cs_pins_release(st, &st->heap);
    cs_pins_release(st, &st->next);
}

void column_store_scan_end(column_store_scan *scan) {
    cs_scan_state *st = scan->pinned;
    if (!st) return;
    cs_scan_unpin_all(st);
    while (st->spare_count > 0) block_free(st->spare[--st->spare_count]);
    pool_free(st->pool, st->heap.items);
    pool_free(st->pool, st->next.items);
    pool_free(st->pool, st);
    scan->pinned = NULL;
}

/* The memory of heap block `index` of rg, pinned into st->next. */
static const char *cs_pin_heap_block(cs_scan_state *st, const cs_row_group *rg, uint32_t index, error *err) {
    cs_pin_list *l = &st->next;
    for (uint32_t i = 0; i < l->count; i++)
        if (l->items[i].index == index) return (const char *)l->items[i].view.data;
    block_handle *h = cs_dir_get(&rg->heap, CS_HEAP_DIR_BASE, index);
    if (!h) {
        error_set(err, EIDER_ERROR_INTERNAL, "column store: string heap block %u is missing", index);
        return NULL;
    }
    if (l->count == l->capacity) {
        uint32_t cap = l->capacity ? l->capacity * 2 : 8;
        cs_heap_pin *items = pool_realloc(st->pool, l->items, cap * sizeof *items);
        if (!items) {
            error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not track the blocks a scan pins");
            return NULL;
        }
        l->items = items;
        l->capacity = cap;
    }
    cs_heap_pin *pin = &l->items[l->count];
    *pin = (cs_heap_pin){.index = index};
    const char *data = (const char *)cs_view_open(st, &pin->view, h, err);
    if (data) l->count++;
    return data;
}

static bool cs_read_strings(cs_scan_state *st, const cs_row_group *rg, const uint8_t *entry, string_t *out, uint32_t n,
                            error *err) {
    uint32_t last = CS_NO_BLOCK;
    const char *last_data = NULL;
    for (uint32_t i = 0; i < n; i++, entry += CS_STRING_ENTRY) {
        string_t *o = &out[i];
        uint32_t len;
        memcpy(&len, entry, 4);
        o->length = len;
        if (len <= STRING_INLINE_LENGTH) {
            memcpy(o->value.inlined, entry + 4, STRING_INLINE_LENGTH);
            continue;
        }
        uint32_t blk, off;
        memcpy(&blk, entry + 8, 4);
        memcpy(&off, entry + 12, 4);
        if (blk != last) {
            last_data = cs_pin_heap_block(st, rg, blk, err);
            if (!last_data) return false;
            last = blk;
        }
        memcpy(o->value.pointer.prefix, entry + 4, 4);
        o->value.pointer.ptr = last_data + off;
    }
    return true;
}

static cs_scan_state *cs_scan_state_get(column_store_scan *scan, error *err) {
    if (scan->pinned) return scan->pinned;
    buffer_pool *pool = scan->store->pool;
    cs_scan_state *st = pool_calloc(pool, 1, sizeof *st + (size_t)scan->column_count * sizeof(cs_view));
    if (!st) {
        error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate a scan's state");
        return NULL;
    }
    st->pool = pool;
    st->column_count = scan->column_count;
    scan->pinned = st;
    return st;
}

bool column_store_scan_next(column_store_scan *scan, chunk *out, error *err) {
    column_store *s = scan->store;
    if (scan->position >= scan->end) {
        out->count = 0;
        if (scan->pinned) cs_scan_unpin_all(scan->pinned);
        return true;
    }
    cs_scan_state *st = cs_scan_state_get(scan, err);
    if (!st) return false;
    uint64_t rg_index = scan->position / COLUMN_STORE_ROW_GROUP_SIZE;
    uint32_t in_rg = (uint32_t)(scan->position - rg_index * COLUMN_STORE_ROW_GROUP_SIZE);
    uint32_t v = in_rg / VECTOR_SIZE, off = in_rg % VECTOR_SIZE;
    uint64_t left = scan->end - scan->position;
    uint32_t n = VECTOR_SIZE - off;
    if (left < n) n = (uint32_t)left;
    const cs_row_group *rg = cs_dir_get(&s->row_groups, CS_RG_DIR_BASE, rg_index);
    if (!rg) return error_set(err, EIDER_ERROR_INTERNAL, "column store: row group %llu is missing",
                              (unsigned long long)rg_index);

    for (uint32_t i = 0; i < st->column_count; i++) {
        if (scan->used && !scan->used[i]) continue;
        uint32_t col = scan->column_ids ? scan->column_ids[i] : i;
        const cs_layout *l = column_store_layout_of(s, col, rg_index);
        uint32_t bi = l->vec_block[v];
        block_handle *h = rg->blocks[col][bi];
        if (!h) {
            cs_pins_release(st, &st->next);
            return error_set(err, EIDER_ERROR_INTERNAL, "column store: a segment block is missing");
        }
        if (st->seg[i].block != h) {
            cs_view_close(st, &st->seg[i]);
            if (!cs_view_open(st, &st->seg[i], h, err)) {
                cs_pins_release(st, &st->next);
                return false;
            }
        }
        const uint8_t *base = st->seg[i].data + (size_t)(v - l->first_vec[bi]) * l->stride;
        vector *dst = &out->columns[i];
        if (s->types[col].id == TYPE_VARCHAR) {
            if (!cs_read_strings(st, rg, base + (size_t)off * CS_STRING_ENTRY, dst->data, n, err)) {
                cs_pins_release(st, &st->next);
                return false;
            }
        } else {
            memcpy(dst->data, base + (size_t)off * l->width, (size_t)n * l->width);
        }
        column_store_copy_bits(dst->validity, 0, (const uint64_t *)(base + (size_t)VECTOR_SIZE * l->width), off, n);
        /* rows past the end read as valid, as in a reset chunk */
        if (n < VECTOR_SIZE) {
            uint32_t w = n >> 6, r = n & 63;
            if (r) dst->validity[w++] |= ~(((uint64_t)1 << r) - 1);
            for (; w < VALIDITY_WORDS; w++) dst->validity[w] = UINT64_MAX;
        }
    }
    /* the strings now point into the blocks of `next`: let go of the previous chunk's */
    cs_pins_release(st, &st->heap);
    cs_pin_list t = st->heap;
    st->heap = st->next;
    st->next = t;
    out->count = n;
    scan->position += n;
    return true;
}
