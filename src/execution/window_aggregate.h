/*
 * window_aggregate.h — an aggregate function over the frames of one partition, for the window
 * evaluators (window_eval.c). Not for use elsewhere.
 *
 * The caller says how its frames move (the shape) and then asks for the aggregate of each row's
 * frame [start, end), rows in order:
 *   WHOLE    every frame is the whole partition: one state, filled when the partition begins;
 *   RUNNING  frames start at the partition's first row and their ends never move back: one state
 *            that grows as the ends advance;
 *   SLIDING  anything else: differences of prefix sums for count, count(*) and sum/avg of
 *            integers and DECIMALs (exact, O(1) per frame), and for every other aggregate a
 *            segment tree of aggregate states with fan-out 16 (O(log n) states per frame).
 * Prefix sums and the tree live in pool blocks (tag WINDOW) kept from one partition to the next.
 * Over a partition in pages (window_pages.h) whole and running frames read the partition once, in
 * order, whatever its size, and so do count/sum/avg over frames whose bounds only move forward:
 * two cursors keep the count and sum of the rows before each bound. Other sliding frames build
 * their prefix sums or tree per batch of output rows, over the rows the batch's frames cover
 * (window_aggregate_prepare); when those are too many, one tree over the whole partition, built
 * once, its nodes in evictable pool blocks (window_states.h). Both give the same results as the
 * tree in memory, to the last bit of a floating-point sum: a node covers the same rows in each.
 */
#ifndef EIDER_WINDOW_AGGREGATE_H
#define EIDER_WINDOW_AGGREGATE_H

#include "execution/window_eval.h"

typedef enum window_frame_shape { WINDOW_SHAPE_WHOLE, WINDOW_SHAPE_RUNNING, WINDOW_SHAPE_SLIDING } window_frame_shape;

typedef struct window_aggregate window_aggregate;

/* An aggregate fn of input column arg_column (-1 for count(*)) of rows laid out as rows; monotone:
 * the frames' starts and ends never move back from one row to the next. */
window_aggregate *window_aggregate_create(buffer_pool *pool, const aggregate_function *fn, const row_layout *rows,
                                          int32_t arg_column, window_frame_shape shape, bool monotone, error *err);
void window_aggregate_destroy(window_aggregate *a);
bool window_aggregate_begin(window_aggregate *a, const window_partition *p, error *err);
/* Whether frames over a partition in pages need window_aggregate_prepare per batch (SLIDING). */
bool window_aggregate_per_batch(const window_aggregate *a);
/* Before a batch of frames over a partition in pages, all within rows [lo, hi) (or empty): builds
 * the prefix sums or the tree over those rows when they are at most max_span, else (once per
 * partition) the tree over the whole partition in evictable blocks, which then answers every
 * frame of the partition. */
bool window_aggregate_prepare(window_aggregate *a, uint64_t lo, uint64_t hi, uint64_t max_span, error *err);
/* The aggregate of rows [start, end) of the partition into row `row` of out. */
bool window_aggregate_frame(window_aggregate *a, uint64_t start, uint64_t end, vector *out, uint32_t row,
                            chunk *heap_owner, error *err);

#endif
