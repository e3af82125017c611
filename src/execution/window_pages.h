/*
 * window_pages.h — one window partition larger than memory, for the window operator (window.c)
 * and its evaluators (window_eval.h). Not for use elsewhere.
 *
 * The partition's rows are copied, in order, into a run of temporary pool blocks (tag WINDOW) in
 * the position-independent format of sort_run.h: the pool may write them to temp files and load
 * them back at another address. Row i is found through the first row number of every block.
 * Readers go through a small cache of pinned blocks ("pages"): reading row i pins the block that
 * holds it (turning its string offsets into pointers) and the least recently used page that is
 * not held is unpinned (its pointers turned back into offsets) when a slot is needed. Most window
 * functions read rows near the current one, so the cache keeps the working set to a few blocks.
 *
 * Pointers from window_pages_row stay valid while their page stays in the cache: a reader may
 * keep at most the row it has and the next one it asks for (compare two rows), since the cache
 * keeps at least two pages that are not held. window_pages_hold pins the pages of a range of rows
 * until window_pages_release: the rows of an output chunk, whose strings the chunk's vectors point
 * into. A read that fails to pin (an I/O error while reloading a block) records the error, which
 * window_pages_check reports, and hands out an all-NULL row instead, so readers need no error
 * path of their own.
 *
 * Ownership: the pages own their run's blocks, the block index and the cache's pins;
 * window_pages_free frees all of it and leaves the pages reusable (window_pages_init again).
 */
#ifndef EIDER_WINDOW_PAGES_H
#define EIDER_WINDOW_PAGES_H

#include "common/error.h"
#include "execution/sort_run.h"

#define WINDOW_PAGE_SLOTS 12 /* pages pinned at most */
#define WINDOW_HOLD_PAGES 4  /* of which held for an output chunk at most */

typedef struct window_page {
    block_handle *block; /* NULL: a free slot */
    uint8_t *data;
    uint64_t first, end; /* the partition's rows [first, end) are in this page */
    uint32_t index;      /* the block's position in the run */
    uint64_t used;       /* tick of the last read: the least recent goes first */
    bool held;
} window_page;

typedef struct window_pages {
    buffer_pool *pool;
    const row_layout *layout;
    sort_run run;
    sort_run_writer writer;
    bool writing;
    uint64_t rows;
    uint64_t *first_row;     /* pool_malloc'ed: the first row of each block, then rows */
    window_page pages[WINDOW_PAGE_SLOTS];
    uint32_t last;           /* the slot of the last read */
    uint64_t tick;
    bool failed;
    error err;               /* the first failure of a read */
    uint8_t *null_row;       /* pool_calloc'ed: handed out after a failure */
} window_pages;

/* Starts an empty partition of rows of layout l (tag WINDOW). */
bool window_pages_init(window_pages *wp, buffer_pool *pool, const row_layout *l, error *err);
/* Appends a copy of row (its long strings included). */
bool window_pages_append(window_pages *wp, const uint8_t *row, error *err);
/* Ends the writing: the rows may be read. */
bool window_pages_seal(window_pages *wp, error *err);
/* Frees every block, pin and array; safe on zeroed pages and more than once. */
void window_pages_free(window_pages *wp);

/* Slow path of window_pages_row: pins the block of row i (or records a failure). */
uint8_t *window_pages_fetch(window_pages *wp, uint64_t i);
/* Row i (< rows), valid as described above. */
static inline uint8_t *window_pages_row(window_pages *wp, uint64_t i) {
    window_page *pg = &wp->pages[wp->last];
    if (i >= pg->first && i < pg->end && pg->block) return pg->data + (i - pg->first) * wp->layout->width;
    return window_pages_fetch(wp, i);
}
/* window_pages_row as a function (a call keeps callers that rarely read pages small). */
uint8_t *window_pages_row_call(window_pages *wp, uint64_t i);
/* Pins the pages of rows [begin, begin + *n) until window_pages_release, cutting *n so that they
 * are at most WINDOW_HOLD_PAGES pages (at least one row), and stores the rows' addresses. */
bool window_pages_hold(window_pages *wp, uint64_t begin, uint64_t *n, uint8_t **rows, error *err);
/* Lets the held pages go (they stay cached until their slot is needed). */
void window_pages_release(window_pages *wp);
/* False with the first read failure in err, if a read failed. */
bool window_pages_check(const window_pages *wp, error *err);

#endif
