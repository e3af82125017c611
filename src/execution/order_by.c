/*
 * order_by.c — ORDER BY and top-N.
 *
 * Sink: the external sort of sort_sink.h (tag ORDER_BY). Each thread appends its rows, with their
 * normalized sort key in front (sort_keys.h), to its own store; combine sorts the thread's rows
 * into a run of entries on that thread (so threads sort in parallel), and finalize merges the
 * runs into one array of entries, which the source emits in order. Under the operator's budget a
 * store that would pass its share is written out as a sorted run that the pool may evict to temp
 * files (sort_run.h); then every row goes into runs, groups of runs are merged while there are
 * more than the merge's fan-in, and the source streams a k-way merge of what remains: one pinned
 * block per run, blocks freed as the merge passes them. With more than one thread the merge runs
 * ahead on a thread of its own (sort_prefetch.h) while the source's thread feeds the rows
 * downstream, so merging and loading runs overlap writing the result.
 *
 * Top-N (limit >= 0): a store is compacted whenever it holds about twice the offset + limit rows
 * it needs: its rows are sorted and only the first offset + limit are copied into fresh blocks, so
 * the memory held stays proportional to offset + limit, not to the input. When offset + limit rows
 * themselves pass the budget (a large OFFSET), stores spill as above, each run cut to its first
 * offset + limit rows, and finalize writes the global store out as one more run.
 */
#include "execution/order_by.h"

#include <string.h>

#include "execution/sort_prefetch.h"
#include "execution/sort_sink.h"

#define TOPN_SLACK 8192 /* rows a top-N store may gather beyond twice what it keeps */

typedef struct order_params {
    sort_layout sort;
    row_layout layout; /* normalized key as header, then the stored columns */
    const bool *stored; /* columns kept in the rows: read downstream, or sort keys (NULL: all) */
    int64_t limit;
    uint64_t offset;
    uint64_t keep;     /* offset + limit, or UINT64_MAX without a limit */
} order_params;

typedef struct order_global {
    sort_sink sink;
    /* reading the merge (after finalize, when spilled) */
    block_handle **retained;     /* blocks past the merge whose rows the last chunk still uses */
    uint32_t retained_count;
    uint64_t skip;               /* rows of the offset still to skip */
    sort_prefetch *prefetch;     /* with several threads: the merge, run ahead on a thread of its own */
} order_global;

typedef struct order_local {
    buffer_pool *pool;
    sort_store store;
    uint8_t *rows[VECTOR_SIZE];
} order_local;

typedef struct order_source_state {
    atomic_uint_fast64_t next;
    uint64_t begin, end;
} order_source_state;

typedef struct order_source_local {
    buffer_pool *pool;
    uint8_t *rows[VECTOR_SIZE];
} order_source_local;

/* Keeps only the first p->keep rows of the store's order, in fresh blocks. */
static bool store_compact(const order_params *p, sort_sink *sink, sort_store *s, error *err) {
    block_handle *entries;
    if (!sort_sink_sort_store(sink, s, &entries, err)) return false;
    if (!entries) return true;
    sort_store fresh;
    sort_store_init(&fresh, sink);
    uint64_t keep = s->rows.row_count < p->keep ? s->rows.row_count : p->keep;
    const uint8_t *e = block_data(entries);
    uint32_t ew = sort_entry_width(&p->sort);
    bool ok = true;
    for (uint64_t i = 0; ok && i < keep; i++) {
        uint8_t *row = row_store_append_one(&fresh.rows, err);
        ok = row && row_copy(&p->layout, row, sort_entry_row(&p->sort, e + i * ew), &fresh.strings, err);
    }
    block_free(entries);
    if (!ok) {
        sort_store_free(&fresh);
        return false;
    }
    sort_store_free(s);
    *s = fresh;
    return true;
}

static bool store_over_budget(const order_params *p, const sort_store *s) {
    if (p->keep == UINT64_MAX) return false;
    return s->rows.row_count >= p->keep + (p->keep > TOPN_SLACK ? p->keep : TOPN_SLACK);
}

/* ---- sink ------------------------------------------------------------------------------ */

static bool order_sink_init(physical_op *op, exec_context *ctx, error *err) {
    order_params *p = op->params;
    order_global *g = arena_alloc(ctx->arena, sizeof *g, err);
    if (!g) return false;
    memset(g, 0, sizeof *g);
    sort_sink_init(&g->sink, &p->sort, ctx->pool, TAG_ORDER_BY, p->keep, ctx->interrupted);
    op->sink_state = g;
    return true;
}

static void *order_sink_local_init(physical_op *op, exec_context *ctx, error *err) {
    order_global *g = op->sink_state;
    order_local *l = pool_calloc(ctx->pool, 1, sizeof *l);
    if (!l) {
        error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate sort state");
        return NULL;
    }
    l->pool = ctx->pool;
    sort_store_init(&l->store, &g->sink);
    return l;
}

static void order_sink_local_destroy(physical_op *op, void *local) {
    (void)op;
    order_local *l = local;
    if (!l) return;
    sort_store_free(&l->store);
    pool_free(l->pool, l);
}

static bool order_sink(physical_op *op, exec_context *ctx, void *local, chunk *in, error *err) {
    order_params *p = op->params;
    order_global *g = op->sink_state;
    order_local *l = local;
    uint32_t n = in->count;
    if (n == 0 || p->keep == 0) return true;
    if (!sort_sink_make_room(&g->sink, &l->store, n, ctx->threads, err)) return false;
    if (!row_store_append(&l->store.rows, n, l->rows, err)) return false;
    for (uint32_t c = 0; c < p->layout.column_count; c++)
        if ((!p->stored || p->stored[c]) &&
            !row_scatter(&p->layout, c, &in->columns[c], NULL, n, l->rows, &l->store.strings, err))
            return false;
    sort_normalize(&p->sort, in, n, l->rows);
    if (store_over_budget(p, &l->store)) return store_compact(p, &g->sink, &l->store, err);
    return true;
}

static bool order_combine(physical_op *op, exec_context *ctx, void *local, error *err) {
    (void)ctx;
    order_params *p = op->params;
    order_global *g = op->sink_state;
    order_local *l = local;
    if (!l) return true;
    /* without a limit: sort this thread's rows here, in parallel with the others */
    if (p->keep == UINT64_MAX || atomic_load(&g->sink.spilled)) return sort_sink_combine(&g->sink, &l->store, err);
    sort_sink_lock(&g->sink);
    bool ok = sort_store_move(&g->sink.store, &l->store, err);
    if (ok && store_over_budget(p, &g->sink.store)) ok = store_compact(p, &g->sink, &g->sink.store, err);
    sort_sink_unlock(&g->sink);
    return ok;
}

static bool order_finalize(physical_op *op, exec_context *ctx, error *err) {
    (void)ctx;
    order_global *g = op->sink_state;
    if (!sort_sink_finalize(&g->sink, err)) return false;
    if (g->sink.merging) {
        g->retained = pool_calloc(g->sink.pool, VECTOR_SIZE, sizeof *g->retained);
        if (!g->retained)
            return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate the sort's merge state");
    }
    return true;
}

/* ---- source ------------------------------------------------------------------------------ */

static bool order_source_init(physical_op *op, exec_context *ctx, error *err) {
    order_params *p = op->params;
    order_global *g = op->sink_state;
    order_source_state *st = arena_alloc(ctx->arena, sizeof *st, err);
    if (!st) return false;
    uint64_t n = g ? g->sink.entry_count : 0;
    st->begin = p->offset < n ? p->offset : n;
    st->end = n;
    if (p->limit >= 0 && (uint64_t)p->limit < n - st->begin) st->end = st->begin + (uint64_t)p->limit;
    atomic_init(&st->next, st->begin);
    if (g && g->sink.merging) g->skip = st->begin;
    op->source_state = st;
    return true;
}

static void *order_source_local_init(physical_op *op, exec_context *ctx, error *err) {
    (void)op;
    order_source_local *l = pool_calloc(ctx->pool, 1, sizeof *l);
    if (!l) {
        error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate sort source state");
        return NULL;
    }
    l->pool = ctx->pool;
    return l;
}

static void order_source_local_destroy(physical_op *op, void *local) {
    (void)op;
    order_source_local *l = local;
    if (l) pool_free(l->pool, l);
}

static void release_retained(order_global *g) {
    for (uint32_t i = 0; i < g->retained_count; i++) block_free(g->retained[i]);
    g->retained_count = 0;
}

/* Reads the stored columns of rows[k] (k < n) into out. */
static void gather_rows(const order_params *p, uint8_t *const *rows, uint32_t n, chunk *out) {
    for (uint32_t c = 0; c < p->layout.column_count; c++)
        if (!p->stored || p->stored[c]) row_gather(&p->layout, c, rows, n, &out->columns[c], 0);
}

/* The next rows of the merge, read ahead by its own thread (sort_prefetch.h), which is started
 * with the first chunk: the merge and the loading of the runs' blocks overlap the work downstream. */
static bool prefetch_get_data(const order_params *p, order_global *g, order_source_state *st, exec_context *ctx,
                              chunk *out, error *err) {
    if (!g->prefetch) {
        g->prefetch = sort_prefetch_start(&g->sink.merger, g->sink.pool, g->skip, st->end - st->begin,
                                          ctx->interrupted, err);
        if (!g->prefetch) return false;
        g->skip = 0;
    }
    uint8_t *const *rows;
    uint32_t n;
    if (!sort_prefetch_next(g->prefetch, &rows, &n, err)) return false;
    atomic_fetch_add(&st->next, n);
    gather_rows(p, rows, n, out);
    out->count = n;
    return true;
}

/* The next rows of the merge of spilled runs (one reader: the source is OP_SORTED_SOURCE). The
 * blocks the merge moves past stay until the next call, as the chunk's strings point into them. */
static bool merge_get_data(const order_params *p, order_global *g, order_source_state *st, order_source_local *l,
                           chunk *out, error *err) {
    release_retained(g);
    uint8_t *row;
    block_handle *done;
    for (; g->skip > 0; g->skip--) { /* the offset: rows read and dropped */
        bool ok = sort_merger_next(&g->sink.merger, &row, &done, err);
        block_free(done);
        if (!ok) return false;
    }
    uint64_t begin = atomic_load(&st->next);
    uint32_t want = (uint32_t)(st->end - begin < VECTOR_SIZE ? st->end - begin : VECTOR_SIZE), n = 0;
    while (n < want) {
        bool ok = sort_merger_next(&g->sink.merger, &row, &done, err);
        if (done) g->retained[g->retained_count++] = done;
        if (!ok) return false;
        if (!row) break;
        l->rows[n++] = row;
    }
    atomic_store(&st->next, begin + n);
    gather_rows(p, l->rows, n, out);
    out->count = n;
    return true;
}

/* Rows come out in order when one thread reads the source; with several, each chunk is a
 * contiguous, ordered piece of the result. */
static bool order_get_data(physical_op *op, exec_context *ctx, void *local, chunk *out, error *err) {
    order_params *p = op->params;
    order_global *g = op->sink_state;
    order_source_state *st = op->source_state;
    order_source_local *l = local;
    out->count = 0;
    if (g && g->sink.merging) {
        if (atomic_load(&st->next) >= st->end) return true;
        if (ctx->threads > 1) return prefetch_get_data(p, g, st, ctx, out, err);
        return merge_get_data(p, g, st, l, out, err);
    }
    uint64_t begin = atomic_fetch_add(&st->next, VECTOR_SIZE);
    if (begin >= st->end) return true;
    uint32_t n = (uint32_t)(st->end - begin < VECTOR_SIZE ? st->end - begin : VECTOR_SIZE);
    uint32_t ew = sort_entry_width(&p->sort);
    const uint8_t *entries = sort_sink_entries(&g->sink);
    for (uint32_t k = 0; k < n; k++) {
        l->rows[k] = sort_entry_row(&p->sort, entries + (begin + k) * ew);
        __builtin_prefetch(l->rows[k]); /* rows are read in sort order, i.e. at random */
    }
    gather_rows(p, l->rows, n, out);
    out->count = n;
    return true;
}

/* ---- destroy / construction ---------------------------------------------------------------- */

static void order_destroy(physical_op *op) {
    order_global *g = op->sink_state;
    if (!g) return;
    sort_prefetch_stop(g->prefetch); /* before the merger and its runs go */
    g->prefetch = NULL;
    if (g->retained) {
        release_retained(g);
        pool_free(g->sink.pool, g->retained);
        g->retained = NULL;
    }
    sort_sink_destroy(&g->sink);
    op->sink_state = NULL;
    op->source_state = NULL;
}

/* Rows keep only the columns read downstream and the sort keys (which ties may compare). */
static bool order_prune(physical_op *op, arena *a, const bool *used, error *err) {
    order_params *p = op->params;
    if (!used) return physical_prune(op->children[0], a, NULL, err);
    bool *stored = physical_used_mask(a, op->column_count, err);
    bool *needed = physical_used_mask(a, op->column_count, err); /* from the child: stored, and the keys */
    if (!stored || !needed) return false;
    for (uint32_t c = 0; c < op->column_count; c++) stored[c] = needed[c] = used[c];
    /* the normalized key orders the rows; key values are compared only past a VARCHAR prefix */
    for (uint32_t j = 0; j < p->sort.key_count; j++) {
        needed[p->sort.keys[j].column] = true;
        if (p->sort.tie_break) stored[p->sort.keys[j].column] = true;
    }
    p->stored = stored;
    if (!row_layout_init_stored(&p->layout, a, op->types, op->column_count, stored, p->sort.key_width, 0, err))
        return false;
    return physical_prune(op->children[0], a, needed, err);
}

static const physical_op_vtable order_by_vtable = {
    .name = "ORDER_BY",
    .prune = order_prune,
    .flags = OP_SORTED_SOURCE,
    .source_init = order_source_init,
    .source_local_init = order_source_local_init,
    .get_data = order_get_data,
    .source_local_destroy = order_source_local_destroy,
    .sink_init = order_sink_init,
    .sink_local_init = order_sink_local_init,
    .sink = order_sink,
    .combine = order_combine,
    .sink_local_destroy = order_sink_local_destroy,
    .finalize = order_finalize,
    .destroy = order_destroy,
};

physical_op *order_by_create(arena *a, physical_op *child, const sort_key *keys, uint32_t key_count, int64_t limit,
                             uint64_t offset, error *err) {
    for (uint32_t j = 0; j < key_count; j++)
        if (keys[j].column >= child->column_count)
            return error_set(err, EIDER_ERROR_INTERNAL, "sort column %u out of range", keys[j].column), NULL;
    physical_op *op = physical_op_create(a, &order_by_vtable, child->types, child->column_count, err);
    order_params *p = op ? arena_alloc(a, sizeof *p, err) : NULL;
    if (!p) return NULL;
    memset(p, 0, sizeof *p);
    if (!sort_layout_init(&p->sort, a, keys, key_count, child->types, err)) return NULL;
    if (!row_layout_init(&p->layout, a, child->types, child->column_count, p->sort.key_width, 0, err)) return NULL;
    p->sort.rows = &p->layout;
    p->limit = limit;
    p->offset = offset;
    p->keep = UINT64_MAX;
    if (limit >= 0 && (uint64_t)limit <= UINT64_MAX - offset) p->keep = offset + (uint64_t)limit;
    op->params = p;
    op->children[0] = child;
    op->child_count = 1;
    op->estimated_rows = child->estimated_rows;
    if (limit >= 0 && (uint64_t)limit < op->estimated_rows) op->estimated_rows = (uint64_t)limit;
    return op;
}
