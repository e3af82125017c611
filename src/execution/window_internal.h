/*
 * window_internal.h — the window operator's state, shared by its sink (window.c) and its source
 * (window_source.c). Not for use elsewhere.
 *
 * Rows reach the source in one of three shapes, and source threads claim them in units:
 *  - in memory: the sink's sorted entries; a unit is a range of entries (the partitions that start
 *    in it), so threads evaluate partitions in parallel;
 *  - merging (no PARTITION BY, input larger than the budget): the k-way merge of the sink's
 *    spilled runs; one unit, read by one thread;
 *  - bucketed (PARTITION BY, input larger than the budget): rows spread by a hash of their
 *    partition keys over WINDOW_BUCKETS runs of position-independent blocks (join_spill.h) that
 *    the pool may evict; a unit is a bucket. A bucket that fits in a thread's share is loaded and
 *    sorted in memory; a larger one (a huge partition, skew) goes through an external sort of its
 *    own and is read as a merge.
 */
#ifndef EIDER_WINDOW_INTERNAL_H
#define EIDER_WINDOW_INTERNAL_H

#include <stdatomic.h>

#include "execution/join_spill.h"
#include "execution/sort_sink.h"
#include "execution/window_eval.h"

#define WINDOW_BUCKETS JOIN_SPILL_PARTS
#define WINDOW_RANGE_ROWS (16 * VECTOR_SIZE) /* in-memory entries a source thread claims at a time */

typedef struct window_params {
    window_layout w;
    uint32_t input_count;     /* the child's columns */
    window_expr_spec *exprs;
    uint32_t expr_count;
    const bool *used;         /* output columns read downstream (NULL: all) */
    const bool *stored;       /* child columns kept in the rows (NULL: all) */
    uint32_t header_width;    /* the rows' header: the normalized key, then (PARTITION BY) the hash */
} window_params;

/* With PARTITION BY, rows carry the hash of their partition keys after the normalized key. */
static inline bool window_hashed(const window_params *p) { return p->w.partition_count > 0; }

typedef struct window_global {
    sort_sink sink;
    uint32_t threads;                /* budget shares */
    atomic_bool bucketed;            /* rows go to the buckets (set by the first thread past its share) */
    join_run buckets[WINDOW_BUCKETS];
    /* source: the units left to claim */
    atomic_uint_fast64_t next_entry; /* in memory: the first entry of the next range */
    atomic_uint next_bucket;
    atomic_bool merge_claimed;
} window_global;

void *window_source_local_init(physical_op *op, exec_context *ctx, error *err);
void window_source_local_destroy(physical_op *op, void *local);
bool window_get_data(physical_op *op, exec_context *ctx, void *local, chunk *out, error *err);

#endif
