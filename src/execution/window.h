/*
 * window.h — window functions: a blocking operator that buffers its input in pool blocks (tag
 * WINDOW), sorts it by (partition keys, order keys), and then, partition by partition, emits the
 * input columns followed by one column per window expression. Partitions are evaluated by every
 * thread, so rows of different partitions come out in no particular order.
 *
 * The planner projects every expression first: partition keys, order keys, arguments, lag/lead
 * defaults and non-constant offsets are input columns of the operator. One operator evaluates
 * the window expressions that share the same PARTITION BY and ORDER BY; expressions over other
 * windows go into further operators stacked on this one.
 *
 * Functions: row_number, rank, dense_rank, percent_rank, cume_dist, ntile, lag, lead,
 * first_value, last_value, nth_value, and every aggregate of aggregate.h over a frame. Frames:
 * ROWS, RANGE (offsets over one numeric order key) and GROUPS, with the bounds of SQL.
 */
#ifndef EIDER_WINDOW_H
#define EIDER_WINDOW_H

#include "execution/order_by.h"
#include "function/aggregate.h"

typedef enum window_kind {
    WINDOW_ROW_NUMBER,
    WINDOW_RANK,
    WINDOW_DENSE_RANK,
    WINDOW_PERCENT_RANK,
    WINDOW_CUME_DIST,
    WINDOW_NTILE,       /* offset: the number of buckets */
    WINDOW_LAG,         /* offset: rows back; default_column: value when there is no such row */
    WINDOW_LEAD,        /* offset: rows ahead */
    WINDOW_FIRST_VALUE,
    WINDOW_LAST_VALUE,
    WINDOW_NTH_VALUE,   /* offset: the position in the frame, from 1 */
    WINDOW_AGGREGATE,   /* aggregate over the frame */
} window_kind;

typedef enum window_frame_unit { WINDOW_FRAME_ROWS, WINDOW_FRAME_RANGE, WINDOW_FRAME_GROUPS } window_frame_unit;

typedef enum window_bound_kind {
    WINDOW_UNBOUNDED_PRECEDING,
    WINDOW_PRECEDING,
    WINDOW_CURRENT_ROW,
    WINDOW_FOLLOWING,
    WINDOW_UNBOUNDED_FOLLOWING,
} window_bound_kind;

typedef struct window_bound {
    window_bound_kind kind;
    int64_t rows;          /* ROWS: rows, GROUPS: peer groups (ROWS offsets may be negative) */
    int32_t column;        /* ROWS: the offset as a BIGINT input column, per row (NULL: unbounded); -1: rows */
    __int128 range_scaled; /* RANGE over integers/DECIMALs: the offset at the frame's range_scale */
    double range_double;   /* RANGE compared as DOUBLE */
} window_bound;

/* The frame of each row. Without ORDER BY every row of a partition is a peer of every other. */
typedef struct window_frame {
    window_frame_unit unit;
    window_bound start, end;
    bool range_double;   /* RANGE offsets: compare the order key as DOUBLE... */
    uint8_t range_scale; /* ...or as an integer scaled to this many decimal digits */
} window_frame;

typedef struct window_expr_spec {
    window_kind kind;
    aggregate_function aggregate; /* WINDOW_AGGREGATE */
    logical_type result_type;
    int32_t arg_column;     /* input column of the argument; -1: none (count(*), row_number...) */
    int64_t offset;         /* constant offset of lag/lead/ntile/nth_value */
    bool offset_null;       /* the constant offset is NULL: every result is NULL */
    int32_t offset_column;  /* the offset as a BIGINT input column, per row; -1: constant */
    int32_t default_column; /* lag/lead default (of result_type); -1: NULL */
    window_frame frame;     /* used by aggregates, first_value, last_value and nth_value */
} window_expr_spec;

/* Output: the child's columns, then one column per expression (of its result_type). The order
 * keys come after the partition keys in the sort; every array is copied. */
physical_op *window_create(arena *a, physical_op *child, const uint32_t *partition_columns, uint32_t partition_count,
                           const sort_key *order_keys, uint32_t order_count, const window_expr_spec *exprs,
                           uint32_t expr_count, error *err);

#endif
