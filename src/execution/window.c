/*
 * window.c — the window operator.
 *
 * Sink: each thread appends its rows, with their normalized key (partition keys, then order keys)
 * in front, to its own row store (tag WINDOW). combine sorts the thread's rows into a run of
 * entries of (normalized key, row pointer) with the sort of ORDER BY (sort_keys.h) — on that
 * thread, so threads sort in parallel — and moves the run and the row blocks into the global
 * state; finalize merges the runs into one array of entries.
 * Source (one thread): walks the sorted entries partition by partition; for each partition the
 * evaluators (window_eval.h) prepare what its frames need, then chunks are filled with the input
 * columns and the results of rows in order, across partition boundaries.
 */
#include "execution/window.h"

#include <pthread.h>
#include <string.h>

#include "execution/window_eval.h"

typedef struct window_params {
    window_layout w;
    uint32_t input_count;     /* the child's columns */
    window_expr_spec *exprs;
    uint32_t expr_count;
    const bool *used;         /* output columns read downstream (NULL: all) */
    const bool *stored;       /* child columns kept in the rows (NULL: all) */
} window_params;

typedef struct window_store {
    row_store rows;
    string_heap strings;
} window_store;

typedef struct window_global {
    pthread_mutex_t lock;
    bool lock_initialized;
    buffer_pool *pool;
    window_store store;
    block_handle *entries_block; /* sorted entries, after finalize */
    uint64_t entry_count;
    block_handle **runs;         /* sorted runs from combine */
    uint64_t *run_counts;
    uint32_t run_count, run_capacity;
} window_global;

typedef struct window_local {
    buffer_pool *pool;
    window_store store;
    uint8_t *rows[VECTOR_SIZE];
} window_local;

/* The source is read by one thread (the operator emits rows in sorted order). */
typedef struct window_source {
    buffer_pool *pool;
    window_eval **evals;
    uint64_t partition_begin, partition_end; /* the current partition, in entries */
    uint64_t next;                           /* the next entry to emit */
    uint8_t *rows[VECTOR_SIZE];
} window_source;

static bool oom(error *err, const char *what) {
    return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate %s", what);
}

static void store_init(window_store *s, const window_params *p, buffer_pool *pool) {
    row_store_init(&s->rows, &p->w.rows, pool, TAG_WINDOW);
    string_heap_init(&s->strings, pool, TAG_WINDOW);
}

static void store_free(window_store *s) {
    row_store_free(&s->rows);
    string_heap_free(&s->strings);
}

/* ---- sink ------------------------------------------------------------------------------------- */

static bool window_sink_init(physical_op *op, exec_context *ctx, error *err) {
    window_params *p = op->params;
    window_global *g = arena_alloc(ctx->arena, sizeof *g, err);
    if (!g) return false;
    g->pool = ctx->pool;
    store_init(&g->store, p, ctx->pool);
    pthread_mutex_init(&g->lock, NULL);
    g->lock_initialized = true;
    op->sink_state = g;
    return true;
}

static void *window_sink_local_init(physical_op *op, exec_context *ctx, error *err) {
    window_local *l = pool_calloc(ctx->pool, 1, sizeof *l);
    if (!l) return oom(err, "window state"), NULL;
    l->pool = ctx->pool;
    store_init(&l->store, op->params, ctx->pool);
    return l;
}

static void window_sink_local_destroy(physical_op *op, void *local) {
    (void)op;
    window_local *l = local;
    if (!l) return;
    store_free(&l->store);
    pool_free(l->pool, l);
}

static bool window_sink(physical_op *op, exec_context *ctx, void *local, chunk *in, error *err) {
    (void)ctx;
    window_params *p = op->params;
    window_local *l = local;
    uint32_t n = in->count;
    if (n == 0) return true;
    if (!row_store_append(&l->store.rows, n, l->rows, err)) return false;
    for (uint32_t c = 0; c < p->input_count; c++) {
        if (p->stored && !p->stored[c]) continue;
        if (!row_scatter(&p->w.rows, c, &in->columns[c], NULL, n, l->rows, &l->store.strings, err)) return false;
    }
    sort_normalize(&p->w.sort, in, n, l->rows);
    return true;
}

/* Sorts a store's rows into a run of entries (a new block; NULL for no rows): one block for the
 * entries, one for the sort's scratch (freed at once). */
static bool store_sort(const window_params *p, window_store *s, buffer_pool *pool, block_handle **out, error *err) {
    *out = NULL;
    uint64_t n = s->rows.row_count;
    if (n == 0) return true;
    size_t bytes = (size_t)n * sort_entry_width(&p->w.sort);
    block_handle *entries = block_alloc(pool, TAG_WINDOW, BLOCK_TEMPORARY, bytes, err);
    if (!entries) return false;
    block_handle *tmp = block_alloc(pool, TAG_WINDOW, BLOCK_TEMPORARY, bytes, err);
    if (!tmp) {
        block_free(entries);
        return false;
    }
    sort_make_entries(&p->w.sort, &s->rows, block_data(entries));
    bool ok = sort_entries(&p->w.sort, pool, block_data(entries), block_data(tmp), n, err);
    block_free(tmp);
    if (!ok) {
        block_free(entries);
        return false;
    }
    *out = entries;
    return true;
}

/* Adds a sorted run to the global list (under the lock). */
static bool add_run(window_global *g, block_handle *run, uint64_t count, error *err) {
    if (g->run_count == g->run_capacity) {
        uint32_t cap = g->run_capacity ? 2 * g->run_capacity : 4;
        block_handle **runs = pool_realloc(g->pool, g->runs, sizeof *runs * cap);
        if (runs) g->runs = runs;
        uint64_t *counts = runs ? pool_realloc(g->pool, g->run_counts, sizeof *counts * cap) : NULL;
        if (!runs || !counts) return oom(err, "the list of sorted runs");
        g->run_counts = counts;
        g->run_capacity = cap;
    }
    g->runs[g->run_count] = run;
    g->run_counts[g->run_count++] = count;
    return true;
}

static bool window_combine(physical_op *op, exec_context *ctx, void *local, error *err) {
    (void)ctx;
    window_params *p = op->params;
    window_global *g = op->sink_state;
    window_local *l = local;
    if (!l) return true;
    block_handle *run;
    uint64_t count = l->store.rows.row_count;
    if (!store_sort(p, &l->store, l->pool, &run, err)) return false;
    if (!run) return true;
    /* the run points at rows in the thread's blocks, which move as they are */
    pthread_mutex_lock(&g->lock);
    bool ok = add_run(g, run, count, err);
    if (!ok) block_free(run);
    ok = ok && string_heap_move(&g->store.strings, &l->store.strings, err) &&
         row_store_move(&g->store.rows, &l->store.rows, err);
    pthread_mutex_unlock(&g->lock);
    return ok;
}

/* Merges the runs into one array of entries (a single run is adopted as it is). */
static bool window_finalize(physical_op *op, exec_context *ctx, error *err) {
    (void)ctx;
    window_params *p = op->params;
    window_global *g = op->sink_state;
    g->entry_count = g->store.rows.row_count;
    if (g->run_count == 0) return true;
    if (g->run_count == 1) {
        g->entries_block = g->runs[0];
        g->run_count = 0;
        return true;
    }
    block_handle *out = block_alloc(g->pool, TAG_WINDOW, BLOCK_TEMPORARY,
                                    (size_t)g->entry_count * sort_entry_width(&p->w.sort), err);
    if (!out) return false;
    const uint8_t *runs[g->run_count];
    for (uint32_t i = 0; i < g->run_count; i++) runs[i] = block_data(g->runs[i]);
    sort_merge_runs(&p->w.sort, runs, g->run_counts, g->run_count, block_data(out));
    for (uint32_t i = 0; i < g->run_count; i++) block_free(g->runs[i]);
    g->run_count = 0;
    g->entries_block = out;
    return true;
}

/* ---- source ------------------------------------------------------------------------------------ */

static void window_source_local_destroy(physical_op *op, void *local) {
    window_params *p = op->params;
    window_source *s = local;
    if (!s) return;
    if (s->evals)
        for (uint32_t j = 0; j < p->expr_count; j++) window_eval_destroy(s->evals[j]);
    if (s->evals) pool_free(s->pool, s->evals);
    pool_free(s->pool, s);
}

static void *window_source_local_init(physical_op *op, exec_context *ctx, error *err) {
    window_params *p = op->params;
    window_source *s = pool_calloc(ctx->pool, 1, sizeof *s);
    if (!s) return oom(err, "window source state"), NULL;
    s->pool = ctx->pool;
    s->evals = pool_calloc(ctx->pool, p->expr_count ? p->expr_count : 1, sizeof *s->evals);
    if (!s->evals) {
        window_source_local_destroy(op, s);
        return oom(err, "window source state"), NULL;
    }
    for (uint32_t j = 0; j < p->expr_count; j++) {
        if (!(s->evals[j] = window_eval_create(ctx->pool, &p->w, &p->exprs[j], err))) {
            window_source_local_destroy(op, s);
            return NULL;
        }
    }
    return s;
}

static inline const uint8_t *entry_at(const window_params *p, const window_global *g, uint64_t i) {
    return (const uint8_t *)block_data(g->entries_block) + i * sort_entry_width(&p->w.sort);
}

/* Finds the partition that starts at s->partition_end and prepares every evaluator for it. */
static bool next_partition(const window_params *p, const window_global *g, window_source *s, error *err) {
    uint64_t begin = s->partition_end, end = begin + 1;
    if (p->w.partition_count == 0) {
        end = g->entry_count;
    } else {
        const uint8_t *first = sort_entry_row(&p->w.sort, entry_at(p, g, begin));
        while (end < g->entry_count && window_same_partition(&p->w, first, sort_entry_row(&p->w.sort, entry_at(p, g, end))))
            end++;
    }
    s->partition_begin = s->next = begin;
    s->partition_end = end;
    window_partition part = {&p->w, entry_at(p, g, begin), sort_entry_width(&p->w.sort), end - begin};
    for (uint32_t j = 0; j < p->expr_count; j++)
        if (!window_eval_begin(s->evals[j], &part, err)) return false;
    return true;
}

static bool window_get_data(physical_op *op, exec_context *ctx, void *local, chunk *out, error *err) {
    (void)ctx;
    window_params *p = op->params;
    window_global *g = op->sink_state;
    window_source *s = local;
    out->count = 0;
    if (!g || g->entry_count == 0) return true;
    while (out->count < VECTOR_SIZE) {
        if (s->next == s->partition_end) {
            if (s->partition_end == g->entry_count) break;
            if (!next_partition(p, g, s, err)) return false;
        }
        uint64_t left = s->partition_end - s->next;
        uint32_t n = VECTOR_SIZE - out->count;
        if (left < n) n = (uint32_t)left;
        for (uint32_t k = 0; k < n; k++) {
            s->rows[k] = sort_entry_row(&p->w.sort, entry_at(p, g, s->next + k));
            __builtin_prefetch(s->rows[k]); /* rows are read in sort order, i.e. at random */
        }
        for (uint32_t c = 0; c < p->input_count; c++)
            if (!p->used || p->used[c]) row_gather(&p->w.rows, c, s->rows, n, &out->columns[c], out->count);
        for (uint32_t j = 0; j < p->expr_count; j++) {
            if (p->used && !p->used[p->input_count + j]) continue;
            if (!window_eval_rows(s->evals[j], s->next - s->partition_begin, n, &out->columns[p->input_count + j],
                                  out->count, out, err))
                return false;
        }
        out->count += n;
        s->next += n;
    }
    return true;
}

/* ---- pruning, destroy, construction -------------------------------------------------------------- */

/* The child produces what is read downstream plus every key, argument, default and offset. */
static bool window_prune(physical_op *op, arena *a, const bool *used, error *err) {
    window_params *p = op->params;
    physical_op *child = op->children[0];
    if (!used) return physical_prune(child, a, NULL, err);
    bool *out = physical_used_mask(a, op->column_count, err);
    bool *stored = physical_used_mask(a, p->input_count, err);
    if (!out || !stored) return false;
    memcpy(out, used, sizeof(bool) * op->column_count);
    for (uint32_t c = 0; c < p->input_count; c++) stored[c] = used[c];
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
    return physical_prune(child, a, stored, err);
}

static void window_destroy(physical_op *op) {
    window_global *g = op->sink_state;
    if (!g) return;
    store_free(&g->store);
    if (g->entries_block) block_free(g->entries_block);
    g->entries_block = NULL;
    for (uint32_t i = 0; i < g->run_count; i++) block_free(g->runs[i]);
    if (g->runs) pool_free(g->pool, g->runs);
    if (g->run_counts) pool_free(g->pool, g->run_counts);
    g->runs = NULL;
    g->run_counts = NULL;
    g->run_count = 0;
    if (g->lock_initialized) pthread_mutex_destroy(&g->lock);
    op->sink_state = NULL;
}

static const physical_op_vtable window_vtable = {
    .name = "WINDOW",
    .flags = OP_SORTED_SOURCE,
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
        !sort_layout_init(&p->w.partition, a, keys, partition_count, child->types, err) ||
        !row_layout_init(&p->w.rows, a, child->types, input, p->w.sort.key_width, 0, err))
        return NULL;
    p->w.sort.rows = &p->w.rows;
    p->w.partition.rows = &p->w.rows;
    layout_comparisons(&p->w);
    op->params = p;
    op->children[0] = child;
    op->child_count = 1;
    op->estimated_rows = child->estimated_rows;
    return op;
}
