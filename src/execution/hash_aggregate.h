/*
 * hash_aggregate.h — GROUP BY, DISTINCT and aggregates (count(DISTINCT) too) with a hash table
 * in pool blocks (tag HASH_TABLE).
 *
 * Input chunks carry the group columns and the aggregate arguments as plain columns (the planner
 * projects expressions first). Output: the group columns, in the order given, then one column per
 * aggregate. With no group columns the output is exactly one row, also for empty input
 * (count = 0, other aggregates NULL).
 */
#ifndef EIDER_HASH_AGGREGATE_H
#define EIDER_HASH_AGGREGATE_H

#include "execution/physical.h"
#include "function/aggregate.h"

typedef struct aggregate_spec {
    aggregate_function fn;
    int32_t arg_column; /* input column of the argument, -1 for count(*) */
    bool distinct;      /* aggregate only distinct (group, argument) pairs */
} aggregate_spec;

/* The operator is a sink (consumes child's pipeline) and a source (emits the groups). Its child
 * is children[0]. Arrays are copied. */
physical_op *hash_aggregate_create(arena *a, physical_op *child, const uint32_t *group_columns, uint32_t group_count,
                                   const aggregate_spec *aggregates, uint32_t aggregate_count, error *err);

#endif
