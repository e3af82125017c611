/*
 * sort_run.h — sorted runs of ORDER BY rows that may leave memory: the run format, a writer, a
 * cursor that reads a run back, and a k-way merge of runs (external merge sort). The external sort
 * of ORDER BY and windows (sort_sink.h) writes and merges them; a window partition larger than
 * memory is kept in the same format (window_pages.h).
 *
 * A run is a list of temporary pool blocks (tag ORDER_BY, or the owner's: WINDOW) holding rows of
 * the sort's row layout (normalized key first) in sorted order. A block holds whole rows: they fill it from the start,
 * and the bytes of their long strings (more than STRING_INLINE_LENGTH) fill it from the end
 * downwards. In a block at rest a long string's pointer field holds the offset of its bytes from
 * the block's start, so the block is position independent: the pool may write it to a temp file
 * and reload it at another address. A row too large for a standard block gets a block of its own.
 *
 * The writer keeps one block pinned (the one being filled) and unpins each block as soon as it is
 * full. A cursor pins one block at a time; when it pins a block it turns the offsets back into
 * pointers, so rows read through a cursor are ordinary rows (row_gather, sort_compare_rows work on
 * them) for as long as their block stays pinned. A block is read once: the cursor hands a block it
 * has moved past to the caller, who frees it once done with its rows.
 *
 * Ownership: a run owns its blocks (sort_run_free frees every block still listed, pinned or not,
 * also those of a half-written run). Writers, cursors and mergers own no blocks, only pins on
 * blocks of the runs; a block handed out by a cursor belongs to the caller.
 */
#ifndef EIDER_SORT_RUN_H
#define EIDER_SORT_RUN_H

#include <stdatomic.h>

#include "execution/row_layout.h"
#include "execution/sort_keys.h"

/* ---- runs ---------------------------------------------------------------------------------- */

typedef struct sort_run {
    block_list blocks; /* entries: handle (NULL once handed out), data unused, used = rows in the block */
    uint64_t rows;
} sort_run;

void sort_run_init(sort_run *r, buffer_pool *pool);
/* The same, with the run's blocks counted under tag (the window operator's runs are WINDOW). */
void sort_run_init_tag(sort_run *r, buffer_pool *pool, memory_tag tag);
/* Frees every block the run still holds; the run is empty (and reusable) afterwards. */
void sort_run_free(sort_run *r);

/* ---- writing ------------------------------------------------------------------------------- */

typedef struct sort_run_writer {
    const row_layout *layout;
    sort_run *run;
    block_handle *block; /* the block being filled (pinned), NULL before the first row */
    uint8_t *data;
    uint32_t index;      /* its entry in run->blocks */
    size_t rows_end;     /* end of the rows, from the block's start */
    size_t strings_start; /* start of the string bytes, which grow downwards from the block's end */
} sort_run_writer;

void sort_run_writer_init(sort_run_writer *w, const row_layout *layout, sort_run *run);
/* Appends a copy of row (its long strings included) to the run. */
bool sort_run_write_row(sort_run_writer *w, const uint8_t *row, error *err);
/* Unpins the block being filled. Call once after the last row; the run may then be read. */
void sort_run_writer_finish(sort_run_writer *w);

/* Writes the rows of n sorted entries (sort_keys.h) as a run; on failure the caller frees run. */
bool sort_run_write_entries(const sort_layout *s, const uint8_t *entries, uint64_t n, sort_run *run, error *err);

/* ---- reading ------------------------------------------------------------------------------- */

typedef struct sort_run_cursor {
    const row_layout *layout;
    sort_run *run;
    uint32_t block;        /* index of the pinned block in run->blocks */
    block_handle *pinned;  /* NULL when the run is exhausted */
    uint8_t *data;
    uint64_t pos, count;   /* current row in the pinned block, rows in it */
} sort_run_cursor;

/* Positions the cursor on the run's first row (pinning its first block). */
bool sort_run_cursor_open(sort_run_cursor *c, const row_layout *layout, sort_run *run, error *err);
/* The current row, or NULL once the run is exhausted. */
static inline uint8_t *sort_run_cursor_row(const sort_run_cursor *c) {
    return c->pinned ? c->data + c->pos * c->layout->width : NULL;
}
/* Moves to the next row. When that leaves a block, the block (still pinned, holding the row just
 * left) is taken out of the run and returned in *done for the caller to free; else *done = NULL. */
bool sort_run_cursor_next(sort_run_cursor *c, block_handle **done, error *err);

/* ---- merging ------------------------------------------------------------------------------- */

/* A k-way merge over runs: a binary heap of cursors ordered by the normalized key (memcmp), the
 * full row comparison on equal keys when the sort needs it, then the run's index (so the merge is
 * stable). Its arrays are pool_malloc'ed (METADATA; they grow with k, not with rows). */
/* A tournament (loser) tree over the runs' cursors: tree[0] is the run whose row is smallest,
 * tree[n] for 0 < n < k the loser of the match at node n (leaf of run i: node k + i). Taking a row
 * replays one path to the root: one comparison per level. */
typedef struct sort_merger {
    const sort_layout *sort;
    buffer_pool *pool;
    sort_run_cursor *cursors;
    uint32_t *tree; /* 2k entries; the upper half is scratch while the tree is built */
    uint32_t k;
} sort_merger;

/* Opens a cursor on each of the k runs. On failure the merger holds nothing (the runs keep their
 * blocks). */
bool sort_merger_open(sort_merger *m, const sort_layout *s, buffer_pool *pool, sort_run *runs, uint32_t k, error *err);
/* Takes the smallest row: *row (NULL when every run is exhausted) stays valid while its block is
 * pinned; *done is a block the merge has moved past (it may hold *row), for the caller to free
 * once done with *row, or NULL. */
bool sort_merger_next(sort_merger *m, uint8_t **row, block_handle **done, error *err);
/* Frees the merger's arrays. The blocks stay with the runs (free them with sort_run_free). */
void sort_merger_close(sort_merger *m);

/* Merges k runs into out (an empty run), freeing the input blocks as the merge passes them; the
 * inputs are empty afterwards. interrupted (may be NULL) is polled: when it is set the merge stops
 * with an Interrupted error. On failure the caller frees the inputs and out. */
bool sort_run_merge(const sort_layout *s, buffer_pool *pool, sort_run *runs, uint32_t k, sort_run *out,
                    atomic_bool *interrupted, error *err);

/* Merges consecutive groups of fan_in runs (so ties keep the order of the list) into longer runs
 * until at most fan_in remain in runs[0, *count). Runs emptied by a merge keep their tag. On
 * failure the runs listed in runs[0, *count) still own every block, for the caller to free. */
bool sort_run_merge_down(const sort_layout *s, buffer_pool *pool, sort_run *runs, uint32_t *count, uint32_t fan_in,
                         atomic_bool *interrupted, error *err);

#endif
