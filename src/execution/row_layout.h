/*
 * row_layout.h — rows in pool blocks for the blocking operators (hash aggregate, hash join,
 * order by).
 *
 * A row has a fixed width: a header the owner defines (a hash, a chain pointer, a normalized
 * sort key), the column values (each slot 8-byte aligned), one validity byte per column, then
 * trailing bytes the owner defines (aggregate states). Rows live in standard pool blocks that stay
 * pinned while their owner holds them; a VARCHAR value longer than 12 bytes points into one of
 * the owner's string heap blocks. Whole block lists move between owners (thread-local state into
 * the global state) without copying, so rows never need fix-ups when they change owner.
 *
 * This module also does column-wise scatter (vectors -> rows), gather (rows -> vectors), key
 * matching (vectors against rows, NULL equal to NULL) and row copies.
 */
#ifndef EIDER_ROW_LAYOUT_H
#define EIDER_ROW_LAYOUT_H

#include "common/vector.h"
#include "memory/pool.h"

/* ---- block lists ------------------------------------------------------------------------ */

typedef struct block_entry {
    block_handle *handle;
    uint8_t *data;  /* the block's memory (pinned while listed) */
    uint64_t used;  /* rows (row stores) or bytes (string heaps) in use */
} block_entry;

/* A growable list of pinned blocks. The list itself is counted metadata (pool_malloc), a few
 * entries at first: an operator keeps hundreds of lists (a row store and a string heap per spill
 * partition, build and probe) that mostly hold a block or two, and a pool block each (4 KiB at
 * least) would pin a tenth of a memory limit of a few MB. It grows by 24 bytes per 256 KiB
 * block listed. */
#define BLOCK_LIST_FIRST_CAPACITY 4
typedef struct block_list {
    buffer_pool *pool;
    memory_tag tag;
    block_entry *entries; /* pool_malloc'd */
    uint32_t count, capacity;
} block_list;

void block_list_init(block_list *l, buffer_pool *pool, memory_tag tag);
/* Allocates a zero-filled temporary block of size bytes and appends it; NULL + err on failure. */
block_entry *block_list_add(block_list *l, size_t size, error *err);
/* Appends every block of src to dst; src becomes empty. On failure nothing moves. */
bool block_list_move(block_list *dst, block_list *src, error *err);
/* Appends a copy of entry e (its block changes owner; the caller forgets it). */
bool block_list_move_entry(block_list *dst, const block_entry *e, error *err);
/* Frees every block and the list. The list may be reused (it is empty afterwards). */
void block_list_free(block_list *l);
uint64_t block_list_bytes(const block_list *l);

/* ---- string heaps ------------------------------------------------------------------------ */

typedef struct string_heap {
    block_list blocks;
} string_heap;

void string_heap_init(string_heap *h, buffer_pool *pool, memory_tag tag);
/* Copies length bytes into the heap and returns their address (NULL + err on failure). */
const char *string_heap_add(string_heap *h, const char *data, uint32_t length, error *err);
/* Makes s own its bytes: long strings are copied into the heap. */
bool string_heap_own(string_heap *h, string_t *s, error *err);
bool string_heap_move(string_heap *dst, string_heap *src, error *err);
void string_heap_free(string_heap *h);

/* ---- layouts ----------------------------------------------------------------------------- */

typedef struct row_layout {
    uint32_t column_count;
    logical_type *types;
    uint32_t *offsets;        /* byte offset of each column's value */
    uint32_t validity_offset; /* one byte per column: 1 = valid */
    uint32_t extra_offset;    /* start of the owner's trailing bytes (8-aligned) */
    uint32_t width;           /* row size, a multiple of 8 */
    bool has_strings;
    uint32_t string_count;    /* VARCHAR columns, */
    uint32_t *string_columns; /* and their indexes */
} row_layout;

/* Lays out rows of these column types after `header` bytes, with `extra` trailing bytes. The
 * arrays are allocated in arena a. */
bool row_layout_init(row_layout *l, arena *a, const logical_type *types, uint32_t count, uint32_t header,
                     uint32_t extra, error *err);
/* The same, where only the columns with stored[c] take room in the row (stored NULL: all). The
 * others must never be written or read (their validity byte, always 0, says NULL). */
bool row_layout_init_stored(row_layout *l, arena *a, const logical_type *types, uint32_t count, const bool *stored,
                            uint32_t header, uint32_t extra, error *err);

static inline bool row_is_valid(const row_layout *l, const uint8_t *row, uint32_t col) {
    return row[l->validity_offset + col] != 0;
}

/* ---- row stores ---------------------------------------------------------------------------- */

typedef struct row_store {
    const row_layout *layout;
    block_list blocks; /* entries[i].used = rows in block i */
    uint32_t rows_per_block;
    size_t block_size;
    uint64_t row_count;
    block_list spares; /* empty large blocks kept by row_store_clear, used before new ones */
} row_store;

void row_store_init(row_store *s, const row_layout *l, buffer_pool *pool, memory_tag tag);
/* Slow path of row_store_append_one: starts a new block. */
uint8_t *row_store_append_new_block(row_store *s, error *err);
/* Returns a new zero-filled row, or NULL + err. */
static inline uint8_t *row_store_append_one(row_store *s, error *err) {
    if (s->blocks.count) {
        block_entry *e = &s->blocks.entries[s->blocks.count - 1];
        if (e->used < s->rows_per_block) {
            s->row_count++;
            return e->data + (e->used++) * s->layout->width;
        }
    }
    return row_store_append_new_block(s, err);
}
/* Bytes of the new blocks the store would take to hold n more rows (budget checks). */
uint64_t row_store_growth(const row_store *s, uint64_t n);
/* Bytes of the store's blocks, spares included. */
uint64_t row_store_bytes(const row_store *s);
/* Empties the store but keeps its large blocks as spares for the rows to come (zeroed when they
 * are taken again): a store refilled again and again (a hash table that spills) does not unmap
 * its memory and fault it in again each time. */
void row_store_clear(row_store *s);
/* Appends n rows; rows[k] receives the address of the k-th. */
bool row_store_append(row_store *s, uint32_t n, uint8_t **rows, error *err);
bool row_store_move(row_store *dst, row_store *src, error *err);
void row_store_free(row_store *s);

/* ---- column-wise operations ------------------------------------------------------------ */

/* Writes value v[i] into rows[i] column col, for i = sel[k] (k < n), or i = k when sel is NULL.
 * Long strings are copied into heap. */
bool row_scatter(const row_layout *l, uint32_t col, const vector *v, const uint32_t *sel, uint32_t n,
                 uint8_t *const *rows, string_heap *heap, error *err);
/* Reads column col of rows[k] (k < n) into out rows [out_start, out_start + n). Strings point into
 * the rows' heap. */
void row_gather(const row_layout *l, uint32_t col, uint8_t *const *rows, uint32_t n, vector *out, uint32_t out_start);
/* For i = sel[k] (k < n) compares key j of input row i (vecs[j] row i) with column cols[j] of
 * rows[i] (NULL equals NULL). Keeps the matching entries in sel, in order, and returns their count;
 * appends the others to no_match (at *no_match_count, which grows). */
uint32_t row_match(const row_layout *l, const uint32_t *cols, const vector *const *vecs, uint32_t key_count,
                   uint32_t *sel, uint32_t n, uint8_t *const *rows, uint32_t *no_match, uint32_t *no_match_count);
/* Copies row src into dst (whole width) and re-homes its long strings into heap. */
bool row_copy(const row_layout *l, uint8_t *dst, const uint8_t *src, string_heap *heap, error *err);

/* ---- rows in position-independent blocks (sort_run.h, join_spill.h) ----------------------------
 * Whole rows fill a block from its start and the bytes of their long strings (more than
 * STRING_INLINE_LENGTH) fill it from its end downwards; in a block at rest a long string's pointer
 * field holds the offset of its bytes from the block's start, so the pool may write the block to a
 * temp file and reload it at another address. */

/* Bytes of the long strings of row. */
size_t row_long_string_bytes(const row_layout *l, const uint8_t *row);
/* Copies row to dst, a row slot of the block at data, and its long strings just below
 * *strings_start (which moves down by their size), storing offsets in place of pointers. */
void row_copy_to_block(const row_layout *l, uint8_t *data, uint8_t *dst, const uint8_t *row, size_t *strings_start);
/* Bytes of the long string at row i of VARCHAR vector v (0 when it is NULL or inline). */
static inline size_t vector_long_string_bytes(const vector *v, uint32_t i) {
    const string_t *s = (const string_t *)v->data + i;
    return s->length > STRING_INLINE_LENGTH && vector_is_valid(v, i) ? s->length : 0;
}
/* row_scatter of a VARCHAR column into rows of the block at data: a long string's bytes go just
 * below *strings_start (which moves down by their size) and the row holds their offset. */
void row_scatter_strings_to_block(const row_layout *l, uint32_t col, const vector *v, const uint32_t *sel, uint32_t n,
                                  uint8_t *const *rows, uint8_t *data, size_t *strings_start);
/* Turns the long strings' offsets of the first `rows` rows of the block at data into pointers into
 * the block (to_pointers), or pointers back into offsets. */
void row_block_swizzle(const row_layout *l, uint8_t *data, uint64_t rows, bool to_pointers);
/* Copies src rows sel[k] (k < n; sel NULL = k) into dst rows [out_start, out_start + n). Strings
 * are shared. */
void vector_select(vector *dst, uint32_t out_start, const vector *src, const uint32_t *sel, uint32_t n);
/* Marks dst rows [start, start + n) NULL. */
void vector_set_null_range(vector *dst, uint32_t start, uint32_t n);

#endif
