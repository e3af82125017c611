/* Table scan and range: sources that split their rows into morsels of one row group. */
#include <stdatomic.h>
#include <stdio.h>

#include "execution/operators.h"

typedef struct scan_params {
    table_entry *table;
    uint32_t *column_ids;
    uint32_t column_count;
    const bool *used; /* output columns read downstream (NULL: all) */
} scan_params;

typedef struct scan_global {
    uint64_t row_count; /* committed rows when the scan started */
    atomic_uint_fast64_t next_morsel;
} scan_global;

typedef struct scan_local {
    column_store_scan scan;
    bool open;
} scan_local;

static bool scan_source_init(physical_op *op, exec_context *ctx, error *err) {
    scan_params *p = op->params;
    scan_global *g = arena_alloc(ctx->arena, sizeof *g, err);
    if (!g) return false;
    g->row_count = atomic_load(&p->table->committed_rows);
    atomic_init(&g->next_morsel, 0);
    op->source_state = g;
    return true;
}

static void *scan_local_init(physical_op *op, exec_context *ctx, error *err) {
    (void)op;
    return arena_alloc(ctx->arena, sizeof(scan_local), err);
}

static bool scan_get_data(physical_op *op, exec_context *ctx, void *local, chunk *out, error *err) {
    (void)ctx;
    scan_params *p = op->params;
    scan_global *g = op->source_state;
    scan_local *l = local;
    for (;;) {
        if (!l->open) {
            uint64_t m = atomic_fetch_add(&g->next_morsel, 1);
            uint64_t start = m * COLUMN_STORE_ROW_GROUP_SIZE;
            if (start >= g->row_count) return true; /* out->count stays 0 */
            uint64_t end = start + COLUMN_STORE_ROW_GROUP_SIZE;
            if (end > g->row_count) end = g->row_count;
            column_store_scan_begin(p->table->store, &l->scan, start, end, p->column_ids, p->column_count);
            l->scan.used = p->used;
            l->open = true;
        }
        if (!column_store_scan_next(&l->scan, out, err)) return false;
        if (out->count > 0) return true;
        column_store_scan_end(&l->scan);
        l->open = false;
    }
}

static void scan_local_destroy(physical_op *op, void *local) {
    (void)op;
    scan_local *l = local;
    if (l->open) column_store_scan_end(&l->scan);
    l->open = false;
}

static void scan_destroy(physical_op *op) {
    scan_params *p = op->params;
    if (p && p->table) table_entry_unref(p->table);
    if (p) p->table = NULL;
}

static double scan_progress(physical_op *op) {
    scan_global *g = op->source_state;
    if (!g || g->row_count == 0) return -1;
    double done = (double)atomic_load(&g->next_morsel) * COLUMN_STORE_ROW_GROUP_SIZE;
    return done / (double)g->row_count;
}

static bool scan_prune(physical_op *op, arena *a, const bool *used, error *err) {
    (void)a, (void)err;
    ((scan_params *)op->params)->used = used;
    return true;
}

static void scan_explain(const physical_op *op, char *out, size_t size) {
    const scan_params *p = op->params;
    snprintf(out, size, "%s", p->table ? p->table->name : "");
}

static const physical_op_vtable table_scan_vtable = {
    .prune = scan_prune,
    .progress = scan_progress,
    .explain = scan_explain,
    .name = "TABLE_SCAN",
    .flags = OP_ORDERED_SOURCE,
    .source_init = scan_source_init,
    .source_local_init = scan_local_init,
    .get_data = scan_get_data,
    .source_local_destroy = scan_local_destroy,
    .destroy = scan_destroy,
};

physical_op *table_scan_create(arena *a, table_entry *t, const uint32_t *column_ids, uint32_t column_count,
                               error *err) {
    logical_type types[column_count ? column_count : 1];
    for (uint32_t i = 0; i < column_count; i++) types[i] = t->columns[column_ids[i]].type;
    physical_op *op = physical_op_create(a, &table_scan_vtable, types, column_count, err);
    scan_params *p = op ? arena_alloc(a, sizeof *p, err) : NULL;
    if (!p) return NULL;
    p->column_ids = arena_alloc(a, sizeof(uint32_t) * (column_count ? column_count : 1), err);
    if (!p->column_ids) return NULL;
    for (uint32_t i = 0; i < column_count; i++) p->column_ids[i] = column_ids[i];
    p->column_count = column_count;
    table_entry_ref(t);
    p->table = t;
    op->params = p;
    op->estimated_rows = atomic_load(&t->committed_rows);
    return op;
}

/* ---- range ------------------------------------------------------------------------------ */

typedef struct range_params {
    int64_t start, end, step;
    uint64_t total;
    atomic_uint_fast64_t next; /* index of the next value handed out */
} range_params;

static bool range_get_data(physical_op *op, exec_context *ctx, void *local, chunk *out, error *err) {
    (void)ctx, (void)local, (void)err;
    range_params *p = op->params;
    uint64_t first = atomic_fetch_add(&p->next, VECTOR_SIZE);
    if (first >= p->total) return true;
    uint64_t n = p->total - first < VECTOR_SIZE ? p->total - first : VECTOR_SIZE;
    int64_t *data = out->columns[0].data;
    int64_t v = p->start + (int64_t)first * p->step;
    for (uint64_t i = 0; i < n; i++, v += p->step) data[i] = v;
    out->count = (uint32_t)n;
    return true;
}

static double range_progress(physical_op *op) {
    range_params *p = op->params;
    return p->total ? (double)atomic_load(&p->next) / (double)p->total : -1;
}

static const physical_op_vtable range_vtable = {
    .progress = range_progress,
    .name = "RANGE",
    .flags = OP_ORDERED_SOURCE,
    .get_data = range_get_data,
};

physical_op *range_create(arena *a, int64_t start, int64_t end, int64_t step, error *err) {
    if (step == 0) {
        error_set(err, EIDER_ERROR_BINDER, "range function step must not be 0");
        return NULL;
    }
    logical_type t = type_make(TYPE_BIGINT);
    physical_op *op = physical_op_create(a, &range_vtable, &t, 1, err);
    range_params *p = op ? arena_alloc(a, sizeof *p, err) : NULL;
    if (!p) return NULL;
    p->start = start, p->end = end, p->step = step;
    /* number of values: ceil(|end - start| / |step|), computed without signed overflow */
    uint64_t magnitude = step > 0 ? (uint64_t)step : (uint64_t)(-(step + 1)) + 1;
    uint64_t distance = 0;
    if (step > 0 && end > start) distance = (uint64_t)end - (uint64_t)start;
    if (step < 0 && end < start) distance = (uint64_t)start - (uint64_t)end;
    p->total = distance / magnitude + (distance % magnitude != 0);
    atomic_init(&p->next, 0);
    op->params = p;
    op->estimated_rows = p->total;
    return op;
}
