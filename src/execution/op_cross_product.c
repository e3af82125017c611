/* Cross product: the right side is sunk into a column store, then every left chunk is paired
 * with every right row. */
#include <pthread.h>
#include <string.h>

#include "execution/operators.h"

typedef struct cross_global {
    pthread_mutex_t lock;
    column_store *right;
} cross_global;

typedef struct cross_local {
    column_store *buffer; /* a thread's share of the right side, merged at combine */
    /* probe position */
    column_store_scan scan;
    bool scan_open;
    chunk *right_chunk;
    uint32_t right_row;
} cross_local;

static const logical_type *right_types(physical_op *op) { return op->children[1]->types; }
static uint32_t right_count(physical_op *op) { return op->children[1]->column_count; }

static bool cross_sink_init(physical_op *op, exec_context *ctx, error *err) {
    cross_global *g = arena_alloc(ctx->arena, sizeof *g, err);
    if (!g) return false;
    pthread_mutex_init(&g->lock, NULL);
    g->right = column_store_create(ctx->pool, right_types(op), right_count(op), TAG_COLUMN_DATA, TAG_COLUMN_DATA, err);
    if (!g->right) return false;
    op->sink_state = g;
    return true;
}

static bool cross_sink(physical_op *op, exec_context *ctx, void *local, chunk *in, error *err) {
    (void)ctx, (void)local;
    cross_global *g = op->sink_state;
    pthread_mutex_lock(&g->lock);
    bool ok = column_store_append(g->right, in, err);
    pthread_mutex_unlock(&g->lock);
    return ok;
}

static void *cross_op_local_init(physical_op *op, exec_context *ctx, error *err) {
    cross_local *l = arena_alloc(ctx->arena, sizeof *l, err);
    if (!l) return NULL;
    l->right_chunk = chunk_create(ctx->arena, right_types(op), right_count(op), err);
    return l->right_chunk ? l : NULL;
}

/* Emits, for the current right row, every row of `in` with that right row attached. */
static op_result cross_execute(physical_op *op, exec_context *ctx, void *local, chunk *in, chunk *out, error *err) {
    (void)ctx;
    cross_global *g = op->sink_state;
    cross_local *l = local;
    if (!l->scan_open) {
        column_store_scan_begin(g->right, &l->scan, 0, column_store_row_count(g->right), NULL, right_count(op));
        l->scan_open = true;
        l->right_chunk->count = 0;
        l->right_row = 0;
    }
    while (l->right_row >= l->right_chunk->count) {
        chunk_reset(l->right_chunk);
        if (!column_store_scan_next(&l->scan, l->right_chunk, err)) return OP_ERROR;
        l->right_row = 0;
        if (l->right_chunk->count == 0) { /* right side exhausted for this input */
            column_store_scan_end(&l->scan);
            l->scan_open = false;
            out->count = 0;
            return OP_NEED_MORE_INPUT;
        }
    }
    uint32_t left_cols = in->column_count;
    for (uint32_t c = 0; c < left_cols; c++) {
        vector *dst = &out->columns[c];
        memcpy(dst->data, in->columns[c].data, type_physical_size(dst->type) * in->count);
        memcpy(dst->validity, in->columns[c].validity, sizeof dst->validity);
    }
    for (uint32_t c = 0; c < right_count(op); c++) {
        vector *dst = &out->columns[left_cols + c];
        vector_set_all_valid(dst);
        for (uint32_t r = 0; r < in->count; r++) vector_copy_value(dst, r, &l->right_chunk->columns[c], l->right_row);
    }
    out->count = in->count;
    l->right_row++;
    return OP_HAVE_MORE_OUTPUT;
}

static void cross_op_local_destroy(physical_op *op, void *local) {
    (void)op;
    cross_local *l = local;
    if (!l) return;
    if (l->scan_open) column_store_scan_end(&l->scan);
    if (l->right_chunk) chunk_destroy(l->right_chunk);
}

static void cross_destroy(physical_op *op) {
    cross_global *g = op->sink_state;
    if (!g) return;
    if (g->right) column_store_destroy(g->right);
    pthread_mutex_destroy(&g->lock);
    op->sink_state = NULL;
}

static const physical_op_vtable cross_vtable = {
    .name = "CROSS_PRODUCT",
    .op_local_init = cross_op_local_init,
    .execute = cross_execute,
    .op_local_destroy = cross_op_local_destroy,
    .sink_init = cross_sink_init,
    .sink = cross_sink,
    .destroy = cross_destroy,
};

physical_op *cross_product_create(arena *a, physical_op *left, physical_op *right, error *err) {
    uint32_t n = left->column_count + right->column_count;
    logical_type types[n ? n : 1];
    memcpy(types, left->types, sizeof(logical_type) * left->column_count);
    memcpy(types + left->column_count, right->types, sizeof(logical_type) * right->column_count);
    physical_op *op = physical_op_create(a, &cross_vtable, types, n, err);
    if (!op) return NULL;
    op->children[0] = left;
    op->children[1] = right;
    op->child_count = 2;
    op->estimated_rows = left->estimated_rows * (right->estimated_rows ? right->estimated_rows : 1);
    return op;
}
