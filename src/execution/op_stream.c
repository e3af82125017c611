/* Streaming operators: filter, projection, limit, and the UNION ALL marker. */
#include <stdatomic.h>
#include <string.h>

#include "execution/executor.h"
#include "execution/expression_executor.h"
#include "execution/operators.h"

/* ---- filter ---------------------------------------------------------------------------- */

typedef struct filter_params {
    bound_expr *predicate;
    const bool *used; /* output columns read downstream (NULL: all) */
} filter_params;

typedef struct filter_local {
    expr_executor *ex;
    uint32_t sel[VECTOR_SIZE];
} filter_local;

static void *filter_local_init(physical_op *op, exec_context *ctx, error *err) {
    filter_local *l = arena_alloc(ctx->arena, sizeof *l, err);
    if (!l) return NULL;
    filter_params *p = op->params;
    l->ex = expr_executor_create(ctx->arena, &p->predicate, 1, err);
    return l->ex ? l : NULL;
}

static op_result filter_execute(physical_op *op, exec_context *ctx, void *local, chunk *in, chunk *out, error *err) {
    (void)ctx;
    filter_params *p = op->params;
    filter_local *l = local;
    int64_t n = expr_select(l->ex, 0, in, l->sel, err);
    if (n < 0) return OP_ERROR;
    /* copy the selected rows (strings keep pointing at the input's storage, alive downstream) */
    for (uint32_t c = 0; c < in->column_count; c++) {
        if (p->used && !p->used[c]) continue;
        vector *src = &in->columns[c], *dst = &out->columns[c];
        size_t w = type_physical_size(src->type);
        if (n == in->count) {
            memcpy(dst->data, src->data, w * (size_t)n);
            memcpy(dst->validity, src->validity, sizeof dst->validity);
            continue;
        }
        vector_set_all_valid(dst);
        for (int64_t i = 0; i < n; i++) vector_copy_value(dst, (uint32_t)i, src, l->sel[i]);
    }
    out->count = (uint32_t)n;
    return OP_NEED_MORE_INPUT;
}

static void filter_local_destroy(physical_op *op, void *local) {
    (void)op;
    filter_local *l = local;
    if (l) expr_executor_destroy(l->ex);
}

/* The child must also produce the predicate's columns. */
static bool filter_prune(physical_op *op, arena *a, const bool *used, error *err) {
    filter_params *p = op->params;
    if (!used) return physical_prune(op->children[0], a, NULL, err);
    bool *child = physical_used_mask(a, op->column_count, err);
    if (!child) return false;
    memcpy(child, used, sizeof(bool) * op->column_count);
    p->used = child; /* the filter copies what is read downstream... */
    bool *needed = physical_used_mask(a, op->column_count, err);
    if (!needed) return false;
    memcpy(needed, used, sizeof(bool) * op->column_count);
    bexpr_mark_columns(p->predicate, needed); /* ...and reads its predicate's columns */
    return physical_prune(op->children[0], a, needed, err);
}

static const physical_op_vtable filter_vtable = {
    .name = "FILTER",
    .prune = filter_prune,
    .op_local_init = filter_local_init,
    .execute = filter_execute,
    .op_local_destroy = filter_local_destroy,
};

physical_op *filter_create(arena *a, physical_op *child, bound_expr *predicate, error *err) {
    physical_op *op = physical_op_create(a, &filter_vtable, child->types, child->column_count, err);
    if (!op) return NULL;
    op->children[0] = child;
    op->child_count = 1;
    filter_params *p = arena_alloc(a, sizeof *p, err);
    if (!p) return NULL;
    p->predicate = predicate;
    op->params = p;
    op->estimated_rows = child->estimated_rows / 2;
    return op;
}

/* ---- projection ------------------------------------------------------------------------ */

typedef struct projection_params {
    bound_expr **exprs;
    uint32_t count;
} projection_params;

static void *projection_local_init(physical_op *op, exec_context *ctx, error *err) {
    projection_params *p = op->params;
    return expr_executor_create(ctx->arena, p->exprs, p->count, err);
}

static op_result projection_execute(physical_op *op, exec_context *ctx, void *local, chunk *in, chunk *out,
                                    error *err) {
    (void)op, (void)ctx;
    return expr_execute_all(local, in, out, err) ? OP_NEED_MORE_INPUT : OP_ERROR;
}

static void projection_local_destroy(physical_op *op, void *local) {
    (void)op;
    expr_executor_destroy(local);
}

/* Expressions nobody reads become NULL constants (so they read no pruned column); the child must
 * produce the columns the others reference. */
static bool projection_prune(physical_op *op, arena *a, const bool *used, error *err) {
    projection_params *p = op->params;
    bool *needed = physical_used_mask(a, op->children[0]->column_count, err);
    if (!needed) return false;
    for (uint32_t i = 0; i < p->count; i++) {
        if (used && !used[i] && p->exprs[i]->kind != BEXPR_CONSTANT) {
            bound_expr *null = bexpr_constant(a, value_null(p->exprs[i]->type), err);
            if (!null) return false;
            p->exprs[i] = null;
        }
        bexpr_mark_columns(p->exprs[i], needed);
    }
    return physical_prune(op->children[0], a, needed, err);
}

static const physical_op_vtable projection_vtable = {
    .name = "PROJECTION",
    .prune = projection_prune,
    .op_local_init = projection_local_init,
    .execute = projection_execute,
    .op_local_destroy = projection_local_destroy,
};

physical_op *projection_create(arena *a, physical_op *child, bound_expr **exprs, uint32_t count, error *err) {
    logical_type types[count ? count : 1];
    for (uint32_t i = 0; i < count; i++) types[i] = exprs[i]->type;
    physical_op *op = physical_op_create(a, &projection_vtable, types, count, err);
    projection_params *p = op ? arena_alloc(a, sizeof *p, err) : NULL;
    if (!p) return NULL;
    p->exprs = exprs;
    p->count = count;
    op->params = p;
    op->children[0] = child;
    op->child_count = 1;
    op->estimated_rows = child->estimated_rows;
    return op;
}

/* ---- limit ------------------------------------------------------------------------------ */

typedef struct limit_params {
    int64_t limit; /* < 0: none */
    uint64_t offset;
    atomic_uint_fast64_t seen; /* rows that reached the operator, over all threads */
} limit_params;

static op_result limit_execute(physical_op *op, exec_context *ctx, void *local, chunk *in, chunk *out, error *err) {
    (void)ctx, (void)local, (void)err;
    limit_params *p = op->params;
    uint64_t first = atomic_fetch_add(&p->seen, in->count);
    uint64_t lo = p->offset, hi = p->limit < 0 ? UINT64_MAX : p->offset + (uint64_t)p->limit;
    if (first >= hi) return OP_FINISHED;
    uint64_t begin = first < lo ? lo - first : 0;            /* first row of in to keep */
    uint64_t end = hi - first < in->count ? hi - first : in->count; /* one past the last */
    uint32_t n = 0;
    if (begin < end) {
        for (uint32_t c = 0; c < in->column_count; c++) {
            vector_set_all_valid(&out->columns[c]);
            for (uint64_t r = begin; r < end; r++)
                vector_copy_value(&out->columns[c], (uint32_t)(r - begin), &in->columns[c], (uint32_t)r);
        }
        n = (uint32_t)(end - begin);
    }
    out->count = n;
    return first + in->count >= hi ? OP_FINISHED : OP_NEED_MORE_INPUT;
}

static const physical_op_vtable limit_vtable = {
    .name = "LIMIT",
    .flags = OP_TAKES_FIRST_ROWS,
    .execute = limit_execute,
};

physical_op *limit_create(arena *a, physical_op *child, int64_t limit, uint64_t offset, error *err) {
    physical_op *op = physical_op_create(a, &limit_vtable, child->types, child->column_count, err);
    limit_params *p = op ? arena_alloc(a, sizeof *p, err) : NULL;
    if (!p) return NULL;
    p->limit = limit;
    p->offset = offset;
    atomic_init(&p->seen, 0);
    op->params = p;
    op->children[0] = child;
    op->child_count = 1;
    op->estimated_rows = limit >= 0 && (uint64_t)limit < child->estimated_rows ? (uint64_t)limit : child->estimated_rows;
    return op;
}

/* ---- union all -------------------------------------------------------------------------- */

physical_op *union_all_create(arena *a, physical_op *left, physical_op *right, error *err) {
    physical_op *op = physical_op_create(a, &union_all_vtable, left->types, left->column_count, err);
    if (!op) return NULL;
    op->children[0] = left;
    op->children[1] = right;
    op->child_count = 2;
    op->estimated_rows = left->estimated_rows + right->estimated_rows;
    return op;
}
