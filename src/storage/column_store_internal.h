/*
 * column_store_internal.h — the column store's private structures, shared by its files
 * (column_store.c: layout, append, truncate, destroy; column_store_scan.c: scans).
 * Nothing outside src/storage includes this.
 *
 * Block layout of a column segment: a block holds `cap` whole vectors of one column; vector slot
 * j starts at j * stride and holds VECTOR_SIZE values of the column's width followed by
 * VECTOR_SIZE / 8 bytes of validity (bit set = not NULL). stride = VECTOR_SIZE * width + 256.
 * Which block of a segment holds which vector is fixed per (width, row group kind) by a
 * cs_layout: row group 0 uses a "growing" layout (small first blocks, each about half the
 * capacity allocated before it, up to a standard block), later row groups the "standard" layout
 * (standard blocks as full as whole vectors allow, the last one cut to the vectors left).
 *
 * VARCHAR segments hold 16-byte entries: uint32 length, then either the bytes inline (up to 12,
 * zero padded) or a 4-byte prefix, a uint32 heap block index and a uint32 offset into that heap
 * block of the row group. NULL rows hold an all-zero entry (an empty string).
 */
#ifndef EIDER_COLUMN_STORE_INTERNAL_H
#define EIDER_COLUMN_STORE_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>

#include "storage/column_store.h"

#define CS_VECTORS_PER_RG (COLUMN_STORE_ROW_GROUP_SIZE / VECTOR_SIZE) /* 60 */
#define CS_VALIDITY_BYTES (VECTOR_SIZE / 8)                           /* 256 */
#define CS_STRING_ENTRY 16
#define CS_NO_BLOCK UINT32_MAX
#define CS_DIR_SEGMENTS 32

/* Vector-to-block map of one segment kind. */
typedef struct cs_layout {
    uint32_t width;       /* bytes per value */
    uint32_t stride;      /* bytes per vector slot: values, then validity */
    uint32_t block_count; /* blocks of a full row group */
    uint8_t vec_block[CS_VECTORS_PER_RG];    /* vector -> block index */
    uint8_t first_vec[CS_VECTORS_PER_RG];    /* block -> its first vector */
    uint32_t block_bytes[CS_VECTORS_PER_RG]; /* block -> bytes to allocate */
} cs_layout;

/* An array of pointers that never moves: segment k holds base << k entries and is allocated
 * when first needed, so readers may index it while the writer grows it. */
typedef struct cs_dir {
    void **seg[CS_DIR_SEGMENTS];
} cs_dir;

typedef struct cs_row_group {
    uint32_t count;        /* rows (appender's view; scans use the count they were given) */
    uint32_t heap_count;   /* heap blocks in use: indexes [0, heap_count) of heap */
    uint32_t heap_current; /* heap block strings are bumped into, or CS_NO_BLOCK */
    uint32_t heap_offset;  /* next free byte of heap_current */
    uint64_t heap_bytes;   /* bytes of the heap blocks (growth hint) */
    cs_dir heap;           /* block_handle * per heap block index (base CS_HEAP_DIR_BASE) */
    block_handle **blocks[]; /* per column: the layout's block_count handles (NULL = not yet) */
} cs_row_group;

#define CS_RG_DIR_BASE 8
#define CS_HEAP_DIR_BASE 4

struct column_store {
    buffer_pool *pool;
    memory_tag data_tag, string_tag;
    uint32_t column_count;
    logical_type *types;
    uint8_t *width_class;  /* per column: index into the layout table */
    _Atomic uint64_t row_count;
    _Atomic uint64_t bytes;
    uint64_t rg_allocated; /* row group structures created (appender's view) */
    cs_dir row_groups;     /* cs_row_group * per index (base CS_RG_DIR_BASE) */
    block_handle **append_pins;    /* per column: segment block pinned by the running append */
    block_handle *append_heap_pin; /* heap block pinned by the running append */
    const cs_row_group *append_heap_rg; /* row group whose bump block append_heap_pin is */
    char *append_heap_data;        /* its memory and size, for the append's fast path */
    size_t append_heap_size;
};

/* Layout of column `col` in row group `rg_index`. */
const cs_layout *column_store_layout_of(const column_store *s, uint32_t col, uint64_t rg_index);

static inline void *cs_dir_get(const cs_dir *d, uint32_t base, uint64_t i) {
    uint64_t q = i / base + 1;
    int k = 63 - __builtin_clzll(q);
    uint64_t first = (uint64_t)base * (((uint64_t)1 << k) - 1);
    void **seg = d->seg[k];
    return seg ? seg[i - first] : NULL;
}

/* Copies n validity bits from src at bit spos to dst at bit dpos (both VECTOR_SIZE-bit maps). */
void column_store_copy_bits(uint64_t *dst, uint32_t dpos, const uint64_t *src, uint32_t spos, uint32_t n);

#endif
