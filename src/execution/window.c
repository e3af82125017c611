/*
 * window.c — the window operator: its sink, pruning and construction (the source, which evaluates
 * the window expressions partition by partition, is window_source.c; window_internal.h describes
 * the shapes the rows take between the two).
 *
 * Sink: the external sort of sort_sink.h (tag WINDOW) by (partition keys, order keys): each
 * thread's rows, with their normalized key in front, go into its own store; at combine the store
 * is sorted on that thread into a run of entries (normalized key, row pointer), and finalize
 * merges the runs into one array of entries.
 *
 * Past the budget, with PARTITION BY: the first thread whose store would pass its share of the
 * operator's budget turns the operator into buckets. Its store is spread over its bucket runs by
 * the hash of the partition keys (which every row carries after its normalized key), and from then
 * on every thread writes chunks straight from their vectors into its bucket runs; at combine a
 * thread's runs join the operator's buckets, and finalize spreads the rows of threads that
 * combined in memory before. Bucket blocks are unpinned as soon as they are full, so the pool may
 * evict them to temp files. Without PARTITION BY the whole input is one partition: a store past
 * its share is written out as a sorted run (sort_sink.h) and the source reads a k-way merge.
 */
#include "execution/window.h"

#include <string.h>

#include "execution/key_hash.h"
#include "execution/window_internal.h"

typedef struct window_local {
    buffer_pool *pool;
    sort_store store;
    join_spill_parts *buckets; /* once the operator is bucketed: this thread's bucket runs */
    uint8_t *headers;          /* pool_malloc'ed: the rows' headers of a chunk, to write to buckets */
    uint64_t hashes[VECTOR_SIZE];
    uint32_t sel[VECTOR_SIZE];
    uint8_t *rows[VECTOR_SIZE];
} window_local;

static bool oom(error *err, const char *what) {
    return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate %s", what);
}

/* ---- sink ------------------------------------------------------------------------------------- */

static bool window_sink_init(physical_op *op, exec_context *ctx, error *err) {
    window_params *p = op->params;
    window_global *g = arena_alloc(ctx->arena, sizeof *g, err);
    if (!g) return false;
    memset(g, 0, sizeof *g);
    sort_sink_init(&g->sink, &p->w.sort, ctx->pool, TAG_WINDOW, UINT64_MAX, ctx->interrupted);
    g->threads = ctx->threads ? ctx->threads : 1;
    atomic_init(&g->bucketed, false);
    for (uint32_t b = 0; b < WINDOW_BUCKETS; b++) join_run_init_tag(&g->buckets[b], ctx->pool, TAG_WINDOW);
    atomic_init(&g->next_entry, 0);
    atomic_init(&g->next_bucket, 0);
    atomic_init(&g->merge_claimed, false);
    op->sink_state = g;
    return true;
}

static void *window_sink_local_init(physical_op *op, exec_context *ctx, error *err) {
    window_global *g = op->sink_state;
    window_local *l = pool_calloc(ctx->pool, 1, sizeof *l);
    if (!l) return oom(err, "window state"), NULL;
    l->pool = ctx->pool;
    sort_store_init(&l->store, &g->sink);
    for (uint32_t i = 0; i < VECTOR_SIZE; i++) l->sel[i] = i;
    return l;
}

static void window_sink_local_destroy(physical_op *op, void *local) {
    (void)op;
    window_local *l = local;
    if (!l) return;
    sort_store_free(&l->store);
    join_spill_parts_destroy(l->pool, l->buckets);
    if (l->headers) pool_free(l->pool, l->headers);
    pool_free(l->pool, l);
}

/* The hash of each input row's partition keys. */
static void partition_hashes(const window_params *p, const chunk *in, uint64_t *hashes) {
    const vector *keys[p->w.partition_count];
    for (uint32_t k = 0; k < p->w.partition_count; k++) keys[k] = &in->columns[p->w.sort.keys[k].column];
    key_hash_vectors(keys, p->w.partition_count, in->count, hashes);
}

/* Moves a store's rows into the thread's bucket runs (made on first use). */
static bool store_to_buckets(const window_params *p, window_local *l, sort_store *st, error *err) {
    if (!l->buckets &&
        !(l->buckets = join_spill_parts_create(l->pool, &p->w.rows, TAG_WINDOW, p->w.sort.key_width, err)))
        return false;
    if (st->rows.row_count == 0) return true;
    return join_spill_parts_write_store(l->buckets, &st->rows, &st->strings, err); /* the store stays usable */
}

/* Writes a chunk straight from its vectors into the thread's bucket runs. */
static bool chunk_to_buckets(const window_params *p, window_local *l, const chunk *in, error *err) {
    uint32_t n = in->count, hw = p->header_width;
    if (!l->headers && !(l->headers = pool_malloc(l->pool, (size_t)VECTOR_SIZE * hw))) return oom(err, "window state");
    for (uint32_t k = 0; k < n; k++) l->rows[k] = l->headers + (size_t)k * hw;
    sort_normalize(&p->w.sort, in, n, l->rows);
    for (uint32_t k = 0; k < n; k++) memcpy(l->rows[k] + p->w.sort.key_width, &l->hashes[k], sizeof(uint64_t));
    return join_spill_parts_write_vectors(l->buckets, in->columns, NULL, p->stored, l->sel, n, l->headers, hw, err);
}

/* Moves the thread's bucket runs into the operator's buckets. */
static bool buckets_to_global(window_global *g, join_spill_parts *parts, error *err) {
    join_spill_parts_pause(parts);
    bool ok = true;
    sort_sink_lock(&g->sink);
    for (uint32_t b = 0; ok && b < WINDOW_BUCKETS; b++) ok = join_run_move(&g->buckets[b], &parts->runs[b], err);
    sort_sink_unlock(&g->sink);
    return ok;
}

static bool window_sink(physical_op *op, exec_context *ctx, void *local, chunk *in, error *err) {
    (void)ctx;
    window_params *p = op->params;
    window_global *g = op->sink_state;
    window_local *l = local;
    uint32_t n = in->count;
    if (n == 0) return true;
    if (window_hashed(p)) {
        partition_hashes(p, in, l->hashes);
        if (!l->buckets && (atomic_load(&g->bucketed) || !sort_sink_store_fits(&g->sink, &l->store, n, g->threads))) {
            atomic_store(&g->bucketed, true);
            if (!store_to_buckets(p, l, &l->store, err)) return false;
        }
        if (l->buckets) return chunk_to_buckets(p, l, in, err);
    } else if (!sort_sink_make_room(&g->sink, &l->store, n, g->threads, err)) {
        return false;
    }
    if (!row_store_append(&l->store.rows, n, l->rows, err)) return false;
    for (uint32_t c = 0; c < p->input_count; c++) {
        if (p->stored && !p->stored[c]) continue;
        if (!row_scatter(&p->w.rows, c, &in->columns[c], NULL, n, l->rows, &l->store.strings, err)) return false;
    }
    sort_normalize(&p->w.sort, in, n, l->rows);
    if (window_hashed(p))
        for (uint32_t k = 0; k < n; k++) memcpy(l->rows[k] + p->w.sort.key_width, &l->hashes[k], sizeof(uint64_t));
    return true;
}

static bool window_combine(physical_op *op, exec_context *ctx, void *local, error *err) {
    (void)ctx;
    window_params *p = op->params;
    window_global *g = op->sink_state;
    window_local *l = local;
    if (!l) return true;
    if (!l->buckets && !atomic_load(&g->bucketed)) return sort_sink_combine(&g->sink, &l->store, err);
    return store_to_buckets(p, l, &l->store, err) && buckets_to_global(g, l->buckets, err);
}

/* Bucketed: the rows of threads that combined in memory before go to the buckets too. */
static bool finalize_buckets(const window_params *p, window_global *g, error *err) {
    sort_sink_drop_runs(&g->sink);
    if (g->sink.store.rows.row_count == 0) return true;
    window_local l = {.pool = g->sink.pool};
    bool ok = store_to_buckets(p, &l, &g->sink.store, err) && buckets_to_global(g, l.buckets, err);
    join_spill_parts_destroy(l.pool, l.buckets);
    return ok;
}

static bool window_finalize(physical_op *op, exec_context *ctx, error *err) {
    (void)ctx;
    window_params *p = op->params;
    window_global *g = op->sink_state;
    if (atomic_load(&g->bucketed)) return finalize_buckets(p, g, err);
    return sort_sink_finalize(&g->sink, err);
}

/* ---- pruning, destroy, construction -------------------------------------------------------------- */

/* Whether the rows need the values of the sort keys, not only their normalized bytes: to compare
 * VARCHAR keys (past their prefix) or partitions not decided by bytes, and for RANGE offsets. */
static bool key_values_needed(const window_params *p) {
    const window_layout *w = &p->w;
    if (w->sort.tie_break || (w->partition_count > 0 && w->partition_bytes == 0)) return true;
    for (uint32_t j = 0; j < p->expr_count; j++) {
        const window_frame *f = &p->exprs[j].frame;
        bool offset = f->start.kind == WINDOW_PRECEDING || f->start.kind == WINDOW_FOLLOWING ||
                      f->end.kind == WINDOW_PRECEDING || f->end.kind == WINDOW_FOLLOWING;
        if (f->unit == WINDOW_FRAME_RANGE && offset) return true;
    }
    return false;
}

/* The child produces what is read downstream plus every argument, default and offset, and the
 * sort keys where their values are needed (key_values_needed). */
static bool window_prune(physical_op *op, arena *a, const bool *used, error *err) {
    window_params *p = op->params;
    physical_op *child = op->children[0];
    if (!used) return physical_prune(child, a, NULL, err);
    bool *out = physical_used_mask(a, op->column_count, err);
    bool *stored = physical_used_mask(a, p->input_count, err);
    bool *needed = physical_used_mask(a, p->input_count, err); /* from the child: stored, and the keys */
    if (!out || !stored || !needed) return false;
    memcpy(out, used, sizeof(bool) * op->column_count);
    for (uint32_t c = 0; c < p->input_count; c++) stored[c] = used[c];
    if (key_values_needed(p))
        for (uint32_t k = 0; k < p->w.sort.key_count; k++) stored[p->w.sort.keys[k].column] = true;
    for (uint32_t j = 0; j < p->expr_count; j++) {
        const window_expr_spec *e = &p->exprs[j];
        if (e->arg_column >= 0) stored[e->arg_column] = true;
        if (e->default_column >= 0) stored[e->default_column] = true;
        if (e->offset_column >= 0) stored[e->offset_column] = true;
        if (e->frame.start.column >= 0) stored[e->frame.start.column] = true;
        if (e->frame.end.column >= 0) stored[e->frame.end.column] = true;
    }
    p->used = out;
    p->stored = stored;
    if (!row_layout_init_stored(&p->w.rows, a, child->types, p->input_count, stored, p->header_width, 0, err))
        return false;
    memcpy(needed, stored, sizeof(bool) * p->input_count);
    for (uint32_t k = 0; k < p->w.sort.key_count; k++) needed[p->w.sort.keys[k].column] = true;
    return physical_prune(child, a, needed, err);
}

static void window_destroy(physical_op *op) {
    window_global *g = op->sink_state;
    if (!g) return;
    sort_sink_destroy(&g->sink);
    for (uint32_t b = 0; b < WINDOW_BUCKETS; b++) join_run_free(&g->buckets[b]);
    op->sink_state = NULL;
}

static const physical_op_vtable window_vtable = {
    .name = "WINDOW",
    .source_local_init = window_source_local_init,
    .get_data = window_get_data,
    .source_local_destroy = window_source_local_destroy,
    .sink_init = window_sink_init,
    .sink_local_init = window_sink_local_init,
    .sink = window_sink,
    .combine = window_combine,
    .sink_local_destroy = window_sink_local_destroy,
    .finalize = window_finalize,
    .destroy = window_destroy,
    .prune = window_prune,
};

/* Equality of partitions by a prefix of the normalized key where the partition keys are all in
 * it with no VARCHAR among them; of peers by the whole normalized key where no key is a VARCHAR. */
static void layout_comparisons(window_layout *w) {
    const sort_layout *s = &w->sort;
    w->partition_bytes = 0;
    if (w->partition_count < s->norm_count) w->partition_bytes = s->norm_offsets[w->partition_count];
    else if (w->partition_count == s->key_count && !s->tie_break) w->partition_bytes = s->key_width;
    w->peers_by_bytes = !s->tie_break;
}

physical_op *window_create(arena *a, physical_op *child, const uint32_t *partition_columns, uint32_t partition_count,
                           const sort_key *order_keys, uint32_t order_count, const window_expr_spec *exprs,
                           uint32_t expr_count, error *err) {
    uint32_t input = child->column_count, total = input + expr_count;
    uint32_t key_count = partition_count + order_count;
    logical_type *types = arena_alloc(a, sizeof *types * (total ? total : 1), err);
    sort_key *keys = arena_alloc(a, sizeof *keys * (key_count ? key_count : 1), err);
    window_params *p = arena_alloc(a, sizeof *p, err);
    if (!types || !keys || !p) return NULL;
    memset(p, 0, sizeof *p);
    memcpy(types, child->types, sizeof *types * input);
    for (uint32_t j = 0; j < expr_count; j++) types[input + j] = exprs[j].result_type;
    for (uint32_t k = 0; k < partition_count; k++) keys[k] = (sort_key){partition_columns[k], false, false};
    for (uint32_t k = 0; k < order_count; k++) keys[partition_count + k] = order_keys[k];
    for (uint32_t k = 0; k < key_count; k++)
        if (keys[k].column >= input) return error_set(err, EIDER_ERROR_INTERNAL, "window key column out of range"), NULL;
    physical_op *op = physical_op_create(a, &window_vtable, types, total, err);
    if (!op) return NULL;
    p->input_count = input;
    p->expr_count = expr_count;
    p->exprs = arena_alloc(a, sizeof *p->exprs * (expr_count ? expr_count : 1), err);
    if (!p->exprs) return NULL;
    memcpy(p->exprs, exprs, sizeof *p->exprs * expr_count);
    p->w.partition_count = partition_count;
    p->w.order_count = order_count;
    if (!sort_layout_init(&p->w.sort, a, keys, key_count, child->types, err) ||
        !sort_layout_init(&p->w.partition, a, keys, partition_count, child->types, err))
        return NULL;
    p->header_width = p->w.sort.key_width + (partition_count > 0 ? (uint32_t)sizeof(uint64_t) : 0);
    if (!row_layout_init(&p->w.rows, a, child->types, input, p->header_width, 0, err)) return NULL;
    p->w.sort.rows = &p->w.rows;
    p->w.partition.rows = &p->w.rows;
    layout_comparisons(&p->w);
    op->params = p;
    op->children[0] = child;
    op->child_count = 1;
    op->estimated_rows = child->estimated_rows;
    return op;
}
