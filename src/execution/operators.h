/*
 * operators.h — constructors of the simple physical operators: sources (table scan, range,
 * VALUES, a materialized row collection), streaming operators (filter, projection, limit,
 * cross product, UNION ALL) and sinks (result collector, insert, create table as). The
 * blocking operators with large state have their own headers (hash_aggregate.h, hash_join.h,
 * order_by.h).
 */
#ifndef EIDER_OPERATORS_H
#define EIDER_OPERATORS_H

#include "catalog/catalog.h"
#include "execution/physical.h"
#include "planner/bound_expr.h"
#include "storage/column_store.h"

typedef struct eider_result eider_result;

/* Scans columns column_ids of table t (the operator takes its own reference to t). The rows seen
 * are those committed when the scan starts. */
physical_op *table_scan_create(arena *a, table_entry *t, const uint32_t *column_ids, uint32_t column_count,
                               error *err);
/* range(start, end, step): one BIGINT column. */
physical_op *range_create(arena *a, int64_t start, int64_t end, int64_t step, error *err);
/* VALUES: rows[r][c] are constant-foldable expressions of the given column types. */
physical_op *values_create(arena *a, bound_expr ***rows, uint64_t row_count, const logical_type *types,
                           uint32_t column_count, error *err);
/* Emits the rows of a store the operator takes ownership of (destroys it). */
physical_op *collection_source_create(arena *a, column_store *rows, error *err);

physical_op *filter_create(arena *a, physical_op *child, bound_expr *predicate, error *err);
physical_op *projection_create(arena *a, physical_op *child, bound_expr **exprs, uint32_t count, error *err);
/* limit < 0: no limit. */
physical_op *limit_create(arena *a, physical_op *child, int64_t limit, uint64_t offset, error *err);
/* Output: left columns then right columns; the right side is materialized. */
physical_op *cross_product_create(arena *a, physical_op *left, physical_op *right, error *err);
physical_op *union_all_create(arena *a, physical_op *left, physical_op *right, error *err);

/* Appends every row to result (whose columns are already declared). */
physical_op *result_collector_create(arena *a, physical_op *child, eider_result *result, error *err);
/* Appends the child's rows (already cast to the table's types, in table column order) to t,
 * atomically: on failure the table is left as it was. *rows_out receives the count. */
physical_op *insert_create(arena *a, physical_op *child, table_entry *t, uint64_t *rows_out, error *err);

#endif
