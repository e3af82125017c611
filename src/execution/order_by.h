/*
 * order_by.h — ORDER BY (and top-N with LIMIT/OFFSET): a sink that buffers its input in pool
 * blocks (tag ORDER_BY), sorts, and as a source emits the rows in order.
 *
 * Sort keys are input columns (the planner projects expressions first). String order is
 * byte-wise. With limit >= 0 only rows [offset, offset + limit) of the order are emitted and the
 * operator keeps at most offset + limit rows while sinking.
 */
#ifndef EIDER_ORDER_BY_H
#define EIDER_ORDER_BY_H

#include "execution/physical.h"

typedef struct sort_key {
    uint32_t column;
    bool descending;
    bool nulls_first;
} sort_key;

/* Output columns equal the child's. Arrays are copied. limit < 0: no limit. */
physical_op *order_by_create(arena *a, physical_op *child, const sort_key *keys, uint32_t key_count, int64_t limit,
                             uint64_t offset, error *err);

#endif
