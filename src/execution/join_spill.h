/*
 * join_spill.h — rows of the hash join that leave memory: runs of rows of a row_layout in
 * position-independent pool blocks (tag HASH_TABLE), written and read back block by block.
 *
 * The block format is sort_run.h's: whole rows fill a block from its start and the bytes of their
 * long strings (more than STRING_INLINE_LENGTH) fill it from its end downwards; in a block at rest
 * a long string's pointer field holds the offset of its bytes from the block's start, so the pool
 * may write the block to a temp file and reload it at another address. A row too large for a
 * standard block gets a block of its own. Unlike a sorted run, a join run is written in pieces
 * (the writer pauses, unpinning its block, and resumes later: a thread writes into many
 * partitions with one block pinned at a time) and a block may be read more than once (unpinning
 * a block that was read turns its pointers back into offsets).
 *
 * Partitioned writers (join_spill_parts) spread rows over JOIN_SPILL_PARTS runs by bits of their
 * hash (the first 8 bytes of every join row): the top JOIN_SPILL_BITS bits at level 0, the next
 * ones at each level below, so a partition that is still too large splits again. They take rows
 * already in rows (a row store, a block of a run) or straight from a chunk's vectors.
 *
 * Ownership: a run owns its blocks; join_run_free frees every block still listed, pinned or not.
 * Writers own no blocks, only a pin on the block they are filling while not paused.
 */
#ifndef EIDER_JOIN_SPILL_H
#define EIDER_JOIN_SPILL_H

#include <string.h>

#include "execution/row_layout.h"

typedef struct join_run {
    block_list blocks; /* entries: handle (NULL once freed), data NULL at rest, used = rows */
    uint64_t rows;
} join_run;

void join_run_init(join_run *r, buffer_pool *pool);
/* The same, with the run's blocks counted under tag (the window operator's buckets are WINDOW). */
void join_run_init_tag(join_run *r, buffer_pool *pool, memory_tag tag);
/* Frees every block of the run; the run is empty (and reusable) afterwards. */
void join_run_free(join_run *r);
/* Bytes of the run's blocks (resident or spilled). */
uint64_t join_run_bytes(const join_run *r);
/* Appends every block of src to dst; src becomes empty. On failure nothing moves. */
bool join_run_move(join_run *dst, join_run *src, error *err);

typedef struct join_run_writer {
    const row_layout *layout;
    join_run *run;
    block_handle *block;  /* the block being filled, NULL before the first row */
    uint8_t *data;        /* its memory while pinned (NULL while paused) */
    uint32_t index;       /* its entry in run->blocks */
    size_t rows_end;      /* end of the rows, from the block's start */
    size_t strings_start; /* start of the string bytes, which grow downwards from the block's end */
} join_run_writer;

/* A paused writer that appends to run (which must not be written by another writer). */
void join_run_writer_init(join_run_writer *w, const row_layout *layout, join_run *run);
/* Appends a copy of row (its long strings included; they may point anywhere). Resumes the
 * writer if it is paused. */
bool join_run_write_row(join_run_writer *w, const uint8_t *row, error *err);
/* Unpins the block being filled; the next write pins it again. Call before the run is read, moved
 * or left alone for long. */
void join_run_writer_pause(join_run_writer *w);

/* Pins block i of the run and turns its long strings' offsets into pointers: its rows are then
 * ordinary rows (row_gather, row_match) while it stays pinned. NULL + err on failure; an empty or
 * freed block gives NULL without err. */
uint8_t *join_run_pin(const row_layout *l, join_run *r, uint32_t i, error *err);
/* Turns the pointers of pinned block i (data from join_run_pin) back into offsets and unpins it:
 * the block may be read again later. The rows' headers are left as they are. */
void join_run_unpin(const row_layout *l, join_run *r, uint32_t i, uint8_t *data);
/* Frees block i (pinned or not). */
void join_run_free_block(join_run *r, uint32_t i);

/* ---- partitioned writers -------------------------------------------------------------------- */

/* 64 partitions at a level: a build of a few GB gets partitions that fit a thread's share of a
 * few hundred MB without being split again (a split rewrites every row once more). */
#define JOIN_SPILL_BITS 6
#define JOIN_SPILL_PARTS (1u << JOIN_SPILL_BITS)

/* The hash a join row starts with. */
static inline uint64_t join_row_hash(const uint8_t *row) {
    uint64_t h;
    memcpy(&h, row, sizeof h);
    return h;
}

/* The partition of a hash at a level. */
static inline uint32_t join_spill_part(uint64_t hash, uint32_t level) {
    return (uint32_t)(hash >> (64 - JOIN_SPILL_BITS * (level + 1))) & (JOIN_SPILL_PARTS - 1);
}

#define JOIN_SPILL_BATCH VECTOR_SIZE /* rows grouped by partition at a time */

/* Writers into JOIN_SPILL_PARTS runs, and scratch to group rows by partition. */
typedef struct join_spill_parts {
    uint32_t hash_offset; /* where a row's hash is in its header */
    join_run runs[JOIN_SPILL_PARTS];
    join_run_writer writers[JOIN_SPILL_PARTS];
    uint32_t order[JOIN_SPILL_BATCH];   /* scratch: a batch's rows grouped by partition */
    uint8_t *row_at[JOIN_SPILL_BATCH]; /* scratch: where each input row of a chunk goes */
} join_spill_parts;

/* Empty runs (blocks counted under tag) with paused writers, for rows whose hash is at byte
 * hash_offset (NULL + err on failure). */
join_spill_parts *join_spill_parts_create(buffer_pool *pool, const row_layout *layout, memory_tag tag,
                                          uint32_t hash_offset, error *err);
/* Pauses every writer (s may be NULL). */
void join_spill_parts_pause(join_spill_parts *s);
/* Frees the runs that are still in s, and s (which may be NULL). */
void join_spill_parts_destroy(buffer_pool *pool, join_spill_parts *s);
/* Writes the n rows of width `width` at data (one block's rows) into the partitions of `level`,
 * grouped by partition in batches so that one block is pinned at a time. */
bool join_spill_parts_write_block(join_spill_parts *s, uint8_t *data, uint64_t n, uint32_t width, uint32_t level,
                                  error *err);
/* Writes rows of a chunk straight into the level-0 partitions, as rows of layout: for i = sel[k]
 * (k < n), column c of the row is columns[column_of ? column_of[c] : c] row i, or NULL when
 * stored is given and stored[c] is false; the row's header is the header_width bytes at
 * headers + i * header_width (its hash among them, at hash_offset). */
bool join_spill_parts_write_vectors(join_spill_parts *s, const vector *columns, const uint32_t *column_of,
                                    const bool *stored, const uint32_t *sel, uint32_t n, const uint8_t *headers,
                                    uint32_t header_width, error *err);
/* Moves every row of a row store (and its strings) into the level-0 partitions, block by block;
 * frees the store's blocks and the heap's. */
bool join_spill_parts_write_store(join_spill_parts *s, row_store *rows, string_heap *strings, error *err);

#endif
