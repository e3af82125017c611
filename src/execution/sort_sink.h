/*
 * sort_sink.h — the external sort behind ORDER BY and the window operator: per-thread row stores
 * sorted into runs, written out as sorted runs in position-independent blocks when they would pass
 * the operator's budget, and merged at the end either into one array of entries (in memory) or
 * into a streaming k-way merge of runs (spilled).
 *
 * Each thread appends its rows, with their normalized sort key in front (sort_keys.h), to its own
 * sort_store. Before a store takes more rows, sort_sink_make_room checks the bytes the store would
 * hold with the entries its sort needs against budget / threads; a store that would pass its share
 * is sorted, written out as a sorted run (sort_run.h) that the pool may evict to temp files, and
 * emptied. At combine a thread's store is sorted on that thread (threads sort in parallel) and the
 * run of entries (normalized key, row pointer) and the row blocks move into the sink — or, once any
 * thread has spilled, the rows are written out as a run as well. sort_sink_finalize then either
 * merges the in-memory runs into one array of entries, or writes the in-memory runs of threads that
 * combined before anything spilled out as runs too, merges groups of runs while there are more than
 * the merge's fan-in, and opens a k-way merge of what remains (one pinned block per run).
 *
 * keep (top-N) caps every run at its first keep rows (UINT64_MAX: no cap). A top-N's combine moves
 * unsorted rows into the sink's store itself (sort_sink_lock, then sort_store_move); finalize sorts
 * them, or with spilled runs writes them out as one more run.
 *
 * Ownership: the sink owns its store, its in-memory runs, its spilled runs (each run its blocks)
 * and, after finalize, its entries or its merger; sort_sink_destroy frees all of it and
 * unregisters the budget. A sort_store is owned by whoever holds it (sort_store_free).
 */
#ifndef EIDER_SORT_SINK_H
#define EIDER_SORT_SINK_H

#include <pthread.h>
#include <stdatomic.h>

#include "execution/sort_keys.h"
#include "execution/sort_run.h"

/* Rows with their normalized key in front, and the bytes of their long strings. */
typedef struct sort_store {
    row_store rows;
    string_heap strings;
    sort_space spill; /* sorts each spilled run, kept from one run to the next */
} sort_store;

typedef struct sort_sink {
    const sort_layout *sort; /* sort->rows: the row layout (normalized key as header) */
    buffer_pool *pool;
    memory_tag tag;
    uint64_t keep;           /* rows a run needs at most (top-N); UINT64_MAX: all */
    atomic_bool *interrupted;
    pthread_mutex_t lock;
    bool lock_initialized;
    sort_store store;        /* rows of the in-memory runs (or a top-N's unsorted rows) */
    block_handle **runs;     /* in-memory runs of entries, one per combined thread */
    uint64_t *run_counts;
    uint32_t run_count, run_capacity;
    pool_budget budget;
    atomic_bool spilled;     /* some store was written out: every row goes into runs */
    sort_run *spill_runs;    /* pool_malloc'ed array; the runs own their blocks */
    uint32_t spill_count, spill_capacity;
    /* after finalize: either sorted entries in memory... */
    block_handle *entries_block;
    uint64_t entry_count;    /* rows in the entries, or in the merge */
    /* ...or the merge of the spilled runs */
    bool merging;
    sort_merger merger;
} sort_sink;

/* Initializes the sink and registers its budget. */
void sort_sink_init(sort_sink *s, const sort_layout *sort, buffer_pool *pool, memory_tag tag, uint64_t keep,
                    atomic_bool *interrupted);
/* Frees everything the sink holds (safe on a zeroed sink, and more than once). */
void sort_sink_destroy(sort_sink *s);

void sort_store_init(sort_store *st, const sort_sink *s);
void sort_store_free(sort_store *st);
/* Moves every row and string block of src into dst; on failure nothing moves. */
bool sort_store_move(sort_store *dst, sort_store *src, error *err);

/* Sorts the store's rows into entries (a new block under the sink's tag, which the caller frees;
 * NULL for no rows). */
bool sort_sink_sort_store(const sort_sink *s, sort_store *st, block_handle **out, error *err);
/* Whether the store, with the entries its sort needs, stays within its share of the budget,
 * budget / threads, after n more rows (an empty store always does). */
bool sort_sink_store_fits(const sort_sink *s, const sort_store *st, uint32_t n, uint32_t threads);
/* Before a store takes n more rows: writes it out as a run (and empties it) when it would pass its
 * share of the budget (sort_sink_store_fits). */
bool sort_sink_make_room(sort_sink *s, sort_store *st, uint32_t n, uint32_t threads, error *err);
/* Sorts the store, writes its first keep rows out as a run and empties it (the blocks of its
 * entries stay with the store for its next run). */
bool sort_sink_spill_store(sort_sink *s, sort_store *st, error *err);
/* A thread's combine: sorts the store into an in-memory run and moves it with its rows into the
 * sink, or writes it out as a run once the sink has spilled. The store is empty afterwards. */
bool sort_sink_combine(sort_sink *s, sort_store *st, error *err);
/* Frees the in-memory runs of entries that combined threads left (their rows stay in s->store), for
 * an owner that takes the rows elsewhere instead of finalizing. */
void sort_sink_drop_runs(sort_sink *s);
/* Ends the sink: the entries, or (spilled) the merge to read. */
bool sort_sink_finalize(sort_sink *s, error *err);

static inline void sort_sink_lock(sort_sink *s) { pthread_mutex_lock(&s->lock); }
static inline void sort_sink_unlock(sort_sink *s) { pthread_mutex_unlock(&s->lock); }

/* The sorted entries after an in-memory finalize (NULL without rows). */
static inline uint8_t *sort_sink_entries(const sort_sink *s) {
    return s->entries_block ? (uint8_t *)block_data(s->entries_block) : NULL;
}

#endif
