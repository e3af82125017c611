#include "execution/physical.h"

#include <string.h>

static void destroy_op(void *ctx) {
    physical_op *op = ctx;
    if (op->vt->destroy) op->vt->destroy(op);
}

physical_op *physical_op_create(arena *a, const physical_op_vtable *vt, const logical_type *types,
                                uint32_t column_count, error *err) {
    physical_op *op = arena_alloc(a, sizeof *op, err);
    if (!op) return NULL;
    op->vt = vt;
    op->column_count = column_count;
    /* every operator is destroyed with the arena, whether its plan ran, failed or never ran */
    if (!arena_defer(a, destroy_op, op, err)) return NULL;
    if (column_count) {
        op->types = arena_alloc(a, sizeof(logical_type) * column_count, err);
        if (!op->types) return NULL;
        memcpy(op->types, types, sizeof(logical_type) * column_count);
    }
    return op;
}

bool *physical_used_mask(arena *a, uint32_t n, error *err) { return arena_alloc(a, sizeof(bool) * (n ? n : 1), err); }

bool physical_prune(physical_op *op, arena *a, const bool *used, error *err) {
    if (op->vt->prune) return op->vt->prune(op, a, used, err);
    for (uint32_t i = 0; i < op->child_count; i++)
        if (!physical_prune(op->children[i], a, NULL, err)) return false;
    return true;
}
