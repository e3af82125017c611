/* VALUES lists and materialized row collections as sources. */
#include <stdatomic.h>

#include "execution/expression_executor.h"
#include "execution/operators.h"

typedef struct values_params {
    bound_expr ***rows;
    uint64_t row_count;
    atomic_uint_fast64_t next;
} values_params;

typedef struct values_local {
    expr_executor **executors; /* one per column, evaluating one row at a time */
    chunk *one_row;
} values_local;

static void *values_local_init(physical_op *op, exec_context *ctx, error *err) {
    values_local *l = arena_alloc(ctx->arena, sizeof *l, err);
    if (!l) return NULL;
    l->one_row = chunk_create(ctx->arena, op->types, op->column_count, err);
    if (!l->one_row) return NULL;
    return l;
}

static bool values_get_data(physical_op *op, exec_context *ctx, void *local, chunk *out, error *err) {
    values_params *p = op->params;
    values_local *l = local;
    uint64_t first = atomic_fetch_add(&p->next, VECTOR_SIZE);
    if (first >= p->row_count) return true;
    uint64_t n = p->row_count - first < VECTOR_SIZE ? p->row_count - first : VECTOR_SIZE;
    for (uint64_t r = 0; r < n; r++) {
        bound_expr **row = p->rows[first + r];
        for (uint32_t c = 0; c < op->column_count; c++) {
            if (row[c]->kind == BEXPR_CONSTANT) { /* the common case: a literal */
                if (!vector_set_value(out, &out->columns[c], (uint32_t)r, &row[c]->constant, err)) return false;
                continue;
            }
            expr_executor *ex = expr_executor_create(ctx->arena, &row[c], 1, err);
            if (!ex) return false;
            chunk_reset(l->one_row);
            bool ok = expr_execute(ex, 0, NULL, 1, &l->one_row->columns[c], l->one_row, err);
            if (ok) {
                value v = vector_get_value(&l->one_row->columns[c], 0);
                ok = vector_set_value(out, &out->columns[c], (uint32_t)r, &v, err);
            }
            expr_executor_destroy(ex);
            if (!ok) return false;
        }
    }
    out->count = (uint32_t)n;
    return true;
}

static void values_local_destroy(physical_op *op, void *local) {
    (void)op;
    values_local *l = local;
    if (l && l->one_row) chunk_destroy(l->one_row);
}

static const physical_op_vtable values_vtable = {
    .name = "VALUES",
    .flags = OP_ORDERED_SOURCE,
    .source_local_init = values_local_init,
    .get_data = values_get_data,
    .source_local_destroy = values_local_destroy,
};

physical_op *values_create(arena *a, bound_expr ***rows, uint64_t row_count, const logical_type *types,
                           uint32_t column_count, error *err) {
    physical_op *op = physical_op_create(a, &values_vtable, types, column_count, err);
    values_params *p = op ? arena_alloc(a, sizeof *p, err) : NULL;
    if (!p) return NULL;
    p->rows = rows;
    p->row_count = row_count;
    atomic_init(&p->next, 0);
    op->params = p;
    op->estimated_rows = row_count;
    return op;
}

/* ---- a materialized collection ---------------------------------------------------------- */

typedef struct collection_params {
    column_store *rows;
    atomic_uint_fast64_t next_morsel;
} collection_params;

typedef struct collection_local {
    column_store_scan scan;
    bool open;
} collection_local;

static void *collection_local_init(physical_op *op, exec_context *ctx, error *err) {
    (void)op;
    return arena_alloc(ctx->arena, sizeof(collection_local), err);
}

static bool collection_get_data(physical_op *op, exec_context *ctx, void *local, chunk *out, error *err) {
    (void)ctx;
    collection_params *p = op->params;
    collection_local *l = local;
    uint64_t total = column_store_row_count(p->rows);
    for (;;) {
        if (!l->open) {
            uint64_t start = atomic_fetch_add(&p->next_morsel, 1) * COLUMN_STORE_ROW_GROUP_SIZE;
            if (start >= total) return true;
            uint64_t end = start + COLUMN_STORE_ROW_GROUP_SIZE < total ? start + COLUMN_STORE_ROW_GROUP_SIZE : total;
            column_store_scan_begin(p->rows, &l->scan, start, end, NULL, op->column_count);
            l->open = true;
        }
        if (!column_store_scan_next(&l->scan, out, err)) return false;
        if (out->count) return true;
        column_store_scan_end(&l->scan);
        l->open = false;
    }
}

static void collection_local_destroy(physical_op *op, void *local) {
    (void)op;
    collection_local *l = local;
    if (l && l->open) column_store_scan_end(&l->scan);
}

static void collection_destroy(physical_op *op) {
    collection_params *p = op->params;
    if (p && p->rows) column_store_destroy(p->rows);
    if (p) p->rows = NULL;
}

static const physical_op_vtable collection_vtable = {
    .name = "COLLECTION_SCAN",
    .flags = OP_ORDERED_SOURCE,
    .source_local_init = collection_local_init,
    .get_data = collection_get_data,
    .source_local_destroy = collection_local_destroy,
    .destroy = collection_destroy,
};

physical_op *collection_source_create(arena *a, column_store *rows, error *err) {
    physical_op *op = physical_op_create(a, &collection_vtable, column_store_types(rows),
                                         column_store_column_count(rows), err);
    collection_params *p = op ? arena_alloc(a, sizeof *p, err) : NULL;
    if (!p) {
        column_store_destroy(rows);
        return NULL;
    }
    p->rows = rows;
    atomic_init(&p->next_morsel, 0);
    op->params = p;
    op->estimated_rows = column_store_row_count(rows);
    return op;
}
