/*
 * column_store.h — an append-only collection of rows stored column-wise in pool blocks: the
 * storage of in-memory tables (tag IN_MEMORY_TABLE), of materialized results (COLUMN_DATA) and of
 * any operator that buffers chunks.
 *
 * Rows are grouped in row groups of up to COLUMN_STORE_ROW_GROUP_SIZE rows; a row group holds one
 * column segment per column. Segments and validity live in standard pool blocks of the store's
 * tag; the bytes of strings longer than 12 bytes live in heap blocks tagged OVERFLOW_STRINGS (or
 * the store's string tag), referenced position-independently (block index, offset) inside the
 * segment, and turned into pointers only in the chunks a scan hands out. Blocks are temporary
 * blocks, so they can later be spilled by the pool.
 *
 * Thread safety: appends must be serialized by the caller; scans may run concurrently with each
 * other and with an append, and see rows [0, the count given to the scan).
 */
#ifndef EIDER_COLUMN_STORE_H
#define EIDER_COLUMN_STORE_H

#include "common/vector.h"
#include "memory/pool.h"

#define COLUMN_STORE_ROW_GROUP_SIZE 122880 /* 60 vectors */

typedef struct column_store column_store;

/* Creates an empty store for these column types. data_tag counts segments, string_tag counts
 * string heap blocks (pass TAG_OVERFLOW_STRINGS for tables). Owner: the caller;
 * column_store_destroy frees every block. Returns NULL + err on failure. */
column_store *column_store_create(buffer_pool *pool, const logical_type *types, uint32_t column_count,
                                  memory_tag data_tag, memory_tag string_tag, error *err);
void column_store_destroy(column_store *store);

uint32_t column_store_column_count(const column_store *store);
const logical_type *column_store_types(const column_store *store);
/* Rows appended so far. */
uint64_t column_store_row_count(const column_store *store);
/* Number of row groups (for splitting scans into morsels). */
uint64_t column_store_row_group_count(const column_store *store);

/* Appends the rows of c (its column types must equal the store's), copying strings. On failure
 * (out of memory) the store may hold part of the chunk: callers that need atomicity remember the
 * row count before and call column_store_truncate. */
bool column_store_append(column_store *store, const chunk *c, error *err);
/* Drops rows from row_count on, freeing the blocks that become empty. */
void column_store_truncate(column_store *store, uint64_t row_count);
/* Bytes in the store's blocks (data + strings). */
uint64_t column_store_bytes(const column_store *store);

/* A scan reads rows [start, end) in chunks of up to VECTOR_SIZE rows; chunks never cross a
 * row-group boundary. The scan keeps the blocks it is reading pinned; string_t pointers in the
 * chunks it returns stay valid until the next column_store_scan_next or scan_end. */
typedef struct column_store_scan {
    column_store *store;
    uint64_t position, end;
    const uint32_t *column_ids; /* which columns to read, in output order (NULL: all) */
    uint32_t column_count;      /* number of entries in column_ids (output chunk columns) */
    const bool *used;           /* output columns to fill (NULL: all; set after begin) */
    void *pinned;               /* internal: blocks currently pinned */
} column_store_scan;

/* column_ids may be NULL (all columns, in order); otherwise the array must outlive the scan. */
void column_store_scan_begin(column_store *store, column_store_scan *scan, uint64_t start, uint64_t end,
                             const uint32_t *column_ids, uint32_t column_count);
/* Fills out (whose column types match the scanned columns) with the next rows; out->count = 0
 * at the end. Returns false + err only when a block cannot be reloaded. */
bool column_store_scan_next(column_store_scan *scan, chunk *out, error *err);
void column_store_scan_end(column_store_scan *scan);

#endif
