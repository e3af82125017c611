/*
 * order_by.c — ORDER BY and top-N.
 *
 * Sink: each thread appends its rows, with their normalized sort key in front (sort_keys.h), to
 * its own row store. combine sorts the thread's rows into a run of entries of (normalized key,
 * row pointer) — on that thread, so the threads sort in parallel — and moves the run and the
 * row blocks into the global state. finalize merges the runs into one array of entries, and the
 * source emits the rows in that order.
 *
 * Spilling: the operator holds a pool budget while it lives, and each thread's
 * store may use about budget / threads bytes (its row and string blocks and the entries its sort
 * needs). A store that would pass its share is sorted and written out as a sorted run in pool
 * blocks that the pool may evict to temp files (sort_run.h), then emptied. Once any thread has
 * spilled, every thread's remaining rows are written as runs at combine, and finalize writes out
 * the in-memory runs of threads that combined earlier. finalize then merges groups of runs while
 * there are more than the merge's fan-in, and the source streams a k-way merge of what remains:
 * one pinned block per run, blocks freed as the merge passes them.
 *
 * Top-N (limit >= 0): a store is compacted whenever it holds about twice the offset + limit rows
 * it needs: its rows are sorted and only the first offset + limit are copied into fresh blocks, so
 * the memory held stays proportional to offset + limit, not to the input. When offset + limit rows
 * themselves pass the budget (a large OFFSET), stores spill as above, each run cut to its first
 * offset + limit rows, and finalize writes the global store out as one more run.
 */
#include "execution/order_by.h"

#include <pthread.h>
#include <string.h>

#include "execution/sort_keys.h"
#include "execution/sort_run.h"

#define TOPN_SLACK 8192 /* rows a top-N store may gather beyond twice what it keeps */
#define MERGE_MAX_FAN_IN 64 /* runs merged at once */

typedef struct order_params {
    sort_layout sort;
    row_layout layout; /* normalized key as header, then every column */
    int64_t limit;
    uint64_t offset;
    uint64_t keep;     /* offset + limit, or UINT64_MAX without a limit */
} order_params;

typedef struct order_store {
    row_store rows;
    string_heap strings;
} order_store;

typedef struct order_global {
    pthread_mutex_t lock;
    bool lock_initialized;
    buffer_pool *pool;
    order_store store;
    block_handle *entries_block; /* sorted entries, after finalize */
    uint8_t *entries;
    uint64_t entry_count;
    block_handle **runs;         /* sorted runs from combine (without a limit) */
    uint64_t *run_counts;
    uint32_t run_count, run_capacity;
    /* spilling */
    pool_budget budget;
    atomic_bool spilled;         /* some thread wrote a run out: every row goes into runs */
    sort_run *spill_runs;        /* pool_malloc'ed array; the runs own their blocks */
    uint32_t spill_count, spill_capacity;
    atomic_bool *interrupted;
    /* the merge the source reads (after finalize, when spilled) */
    bool merging;
    sort_merger merger;
    block_handle **retained;     /* blocks past the merge whose rows the last chunk still uses */
    uint32_t retained_count;
    uint64_t skip;               /* rows of the offset still to skip */
} order_global;

typedef struct order_local {
    buffer_pool *pool;
    order_store store;
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

static void store_init(order_store *s, const order_params *p, buffer_pool *pool) {
    row_store_init(&s->rows, &p->layout, pool, TAG_ORDER_BY);
    string_heap_init(&s->strings, pool, TAG_ORDER_BY);
}

static void store_free(order_store *s) {
    row_store_free(&s->rows);
    string_heap_free(&s->strings);
}

/* Sorts the store's rows into entries (a new block, which the caller frees); NULL for no rows. */
static bool store_sort(const order_params *p, order_store *s, buffer_pool *pool, block_handle **out, error *err) {
    *out = NULL;
    uint64_t n = s->rows.row_count;
    if (n == 0) return true;
    size_t bytes = (size_t)n * sort_entry_width(&p->sort);
    block_handle *entries = block_alloc(pool, TAG_ORDER_BY, BLOCK_TEMPORARY, bytes, err);
    if (!entries) return false;
    block_handle *tmp = block_alloc(pool, TAG_ORDER_BY, BLOCK_TEMPORARY, bytes, err);
    if (!tmp) {
        block_free(entries);
        return false;
    }
    sort_make_entries(&p->sort, &s->rows, block_data(entries));
    bool ok = sort_entries(&p->sort, pool, block_data(entries), block_data(tmp), n, err);
    block_free(tmp);
    if (!ok) {
        block_free(entries);
        return false;
    }
    *out = entries;
    return true;
}

/* Keeps only the first p->keep rows of the store's order, in fresh blocks. */
static bool store_compact(const order_params *p, order_store *s, buffer_pool *pool, error *err) {
    block_handle *entries;
    if (!store_sort(p, s, pool, &entries, err)) return false;
    if (!entries) return true;
    order_store fresh;
    store_init(&fresh, p, pool);
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
        store_free(&fresh);
        return false;
    }
    store_free(s);
    *s = fresh;
    return true;
}

static bool store_over_budget(const order_params *p, const order_store *s) {
    if (p->keep == UINT64_MAX) return false;
    return s->rows.row_count >= p->keep + (p->keep > TOPN_SLACK ? p->keep : TOPN_SLACK);
}

/* ---- spilling ------------------------------------------------------------------------------ */

/* Adds a finished run to the global list (under the lock); the list takes over its blocks. */
static bool add_spill_run(order_global *g, sort_run *run, error *err) {
    if (g->spill_count == g->spill_capacity) {
        uint32_t cap = g->spill_capacity ? 2 * g->spill_capacity : 8;
        sort_run *runs = pool_realloc(g->pool, g->spill_runs, sizeof *runs * cap);
        if (!runs) return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not grow the list of sorted runs");
        g->spill_runs = runs;
        g->spill_capacity = cap;
    }
    g->spill_runs[g->spill_count++] = *run;
    return true;
}

/* Writes rows in the order of n entries as a run and adds it to the global list. */
static bool spill_entries(const order_params *p, order_global *g, const uint8_t *entries, uint64_t n, error *err) {
    sort_run run;
    sort_run_init(&run, g->pool);
    bool ok = sort_run_write_entries(&p->sort, entries, n, &run, err);
    if (ok) {
        pthread_mutex_lock(&g->lock);
        ok = add_spill_run(g, &run, err);
        pthread_mutex_unlock(&g->lock);
    }
    if (!ok) sort_run_free(&run);
    return ok;
}

/* Sorts the store, writes it out as a run and empties it. */
static bool spill_store(const order_params *p, order_global *g, order_store *s, error *err) {
    atomic_store(&g->spilled, true);
    block_handle *entries;
    if (!store_sort(p, s, g->pool, &entries, err)) return false;
    if (!entries) return true;
    uint64_t n = s->rows.row_count < p->keep ? s->rows.row_count : p->keep; /* top-N needs no more */
    bool ok = spill_entries(p, g, block_data(entries), n, err);
    block_free(entries);
    store_free(s);
    store_init(s, p, g->pool);
    return ok;
}

/* Bytes the store would hold, with its sort's entries and scratch, after n more rows. */
static uint64_t store_projected_bytes(const order_params *p, const order_store *s, uint32_t n) {
    const row_store *rs = &s->rows;
    uint64_t bytes = block_list_bytes(&rs->blocks) + block_list_bytes(&s->strings.blocks);
    bytes += 2 * (rs->row_count + n) * (uint64_t)sort_entry_width(&p->sort);
    bytes += row_store_growth(rs, n);
    if (p->layout.has_strings) bytes += POOL_BLOCK_SIZE; /* the next string block */
    return bytes;
}

/* True when the store should be written out before it takes n more rows. */
static bool store_needs_spill(const order_params *p, order_global *g, const order_store *s, uint32_t n,
                              uint32_t threads) {
    if (s->rows.row_count == 0) return false;
    return store_projected_bytes(p, s, n) > pool_budget_bytes(&g->budget) / (threads ? threads : 1);
}

/* The runs merged at once: each keeps a block or two pinned, within the operator's budget. */
static uint32_t merge_fan_in(order_global *g) {
    uint64_t k = pool_budget_bytes(&g->budget) / (4 * POOL_BLOCK_SIZE);
    return k < 2 ? 2 : k > MERGE_MAX_FAN_IN ? MERGE_MAX_FAN_IN : (uint32_t)k;
}

/* Merges groups of fan-in runs into longer runs until at most fan-in remain. */
static bool merge_spilled_runs(const order_params *p, order_global *g, error *err) {
    uint32_t fan_in = merge_fan_in(g);
    while (g->spill_count > fan_in) {
        uint32_t merged = 0;
        for (uint32_t start = 0; start < g->spill_count; start += fan_in) {
            uint32_t k = g->spill_count - start < fan_in ? g->spill_count - start : fan_in;
            sort_run out;
            sort_run_init(&out, g->pool);
            if (k == 1) {
                out = g->spill_runs[start];
            } else if (!sort_run_merge(&p->sort, g->pool, &g->spill_runs[start], k, &out, g->interrupted, err)) {
                sort_run_free(&out);
                return false; /* destroy frees every run still listed */
            }
            sort_run_init(&g->spill_runs[start], g->pool); /* emptied (or moved) */
            g->spill_runs[merged++] = out;
            for (uint32_t i = start + 1; i < start + k; i++) sort_run_init(&g->spill_runs[i], g->pool);
        }
        g->spill_count = merged;
    }
    return true;
}

/* Writes the in-memory runs of threads that combined before anything spilled out as runs too. */
static bool spill_memory_runs(const order_params *p, order_global *g, error *err) {
    while (g->run_count > 0) {
        uint32_t i = g->run_count - 1;
        if (!spill_entries(p, g, block_data(g->runs[i]), g->run_counts[i], err)) return false;
        block_free(g->runs[i]);
        g->run_count--;
    }
    store_free(&g->store);
    store_init(&g->store, p, g->pool);
    return true;
}

/* ---- sink ------------------------------------------------------------------------------ */

static bool order_sink_init(physical_op *op, exec_context *ctx, error *err) {
    order_params *p = op->params;
    order_global *g = arena_alloc(ctx->arena, sizeof *g, err);
    if (!g) return false;
    memset(g, 0, sizeof *g);
    g->pool = ctx->pool;
    g->interrupted = ctx->interrupted;
    store_init(&g->store, p, ctx->pool);
    atomic_init(&g->spilled, false);
    pthread_mutex_init(&g->lock, NULL);
    g->lock_initialized = true;
    pool_budget_register(ctx->pool, &g->budget);
    op->sink_state = g;
    return true;
}

static void *order_sink_local_init(physical_op *op, exec_context *ctx, error *err) {
    order_local *l = pool_calloc(ctx->pool, 1, sizeof *l);
    if (!l) {
        error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate sort state");
        return NULL;
    }
    l->pool = ctx->pool;
    store_init(&l->store, op->params, ctx->pool);
    return l;
}

static void order_sink_local_destroy(physical_op *op, void *local) {
    (void)op;
    order_local *l = local;
    if (!l) return;
    store_free(&l->store);
    pool_free(l->pool, l);
}

static bool order_sink(physical_op *op, exec_context *ctx, void *local, chunk *in, error *err) {
    order_params *p = op->params;
    order_local *l = local;
    uint32_t n = in->count;
    if (n == 0 || p->keep == 0) return true;
    if (store_needs_spill(p, op->sink_state, &l->store, n, ctx->threads) &&
        !spill_store(p, op->sink_state, &l->store, err))
        return false;
    if (!row_store_append(&l->store.rows, n, l->rows, err)) return false;
    for (uint32_t c = 0; c < p->layout.column_count; c++)
        if (!row_scatter(&p->layout, c, &in->columns[c], NULL, n, l->rows, &l->store.strings, err)) return false;
    sort_normalize(&p->sort, in, n, l->rows);
    if (store_over_budget(p, &l->store)) return store_compact(p, &l->store, l->pool, err);
    return true;
}

/* Adds a sorted run to the global list (under the lock). */
static bool add_run(order_global *g, block_handle *run, uint64_t count, error *err) {
    if (g->run_count == g->run_capacity) {
        uint32_t cap = g->run_capacity ? 2 * g->run_capacity : 4;
        block_handle **runs = pool_realloc(g->pool, g->runs, sizeof *runs * cap);
        if (runs) g->runs = runs;
        uint64_t *counts = runs ? pool_realloc(g->pool, g->run_counts, sizeof *counts * cap) : NULL;
        if (!runs || !counts) return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not grow the list of sorted runs");
        g->run_counts = counts;
        g->run_capacity = cap;
    }
    g->runs[g->run_count] = run;
    g->run_counts[g->run_count++] = count;
    return true;
}

static bool order_combine(physical_op *op, exec_context *ctx, void *local, error *err) {
    (void)ctx;
    order_params *p = op->params;
    order_global *g = op->sink_state;
    order_local *l = local;
    if (!l) return true;
    if (atomic_load(&g->spilled)) return spill_store(p, g, &l->store, err);
    if (p->keep == UINT64_MAX) { /* sort this thread's rows here, in parallel with the others */
        block_handle *run;
        uint64_t count = l->store.rows.row_count;
        if (!store_sort(p, &l->store, l->pool, &run, err)) return false;
        if (!run) return true;
        pthread_mutex_lock(&g->lock);
        bool ok = add_run(g, run, count, err);
        if (!ok) block_free(run);
        ok = ok && string_heap_move(&g->store.strings, &l->store.strings, err) &&
             row_store_move(&g->store.rows, &l->store.rows, err);
        pthread_mutex_unlock(&g->lock);
        return ok;
    }
    pthread_mutex_lock(&g->lock);
    bool ok = string_heap_move(&g->store.strings, &l->store.strings, err) &&
              row_store_move(&g->store.rows, &l->store.rows, err);
    if (ok && store_over_budget(p, &g->store)) ok = store_compact(p, &g->store, g->pool, err);
    pthread_mutex_unlock(&g->lock);
    return ok;
}

/* Merges the runs into g->entries_block (one run is adopted as it is). */
static bool merge_runs(const order_params *p, order_global *g, error *err) {
    if (g->run_count == 1) {
        g->entries_block = g->runs[0];
        g->run_count = 0;
        return true;
    }
    uint64_t n = g->store.rows.row_count;
    block_handle *out = block_alloc(g->pool, TAG_ORDER_BY, BLOCK_TEMPORARY, (size_t)n * sort_entry_width(&p->sort), err);
    if (!out) return false;
    const uint8_t *runs[g->run_count];
    for (uint32_t i = 0; i < g->run_count; i++) runs[i] = block_data(g->runs[i]);
    sort_merge_runs(&p->sort, runs, g->run_counts, g->run_count, block_data(out));
    for (uint32_t i = 0; i < g->run_count; i++) block_free(g->runs[i]);
    g->run_count = 0;
    g->entries_block = out;
    return true;
}

/* With spilled runs: every row into runs, merged down to one merge the source streams. */
static bool finalize_spilled(const order_params *p, order_global *g, error *err) {
    /* a top-N's global store holds the rows of threads that combined before anything spilled */
    if (p->keep != UINT64_MAX && !spill_store(p, g, &g->store, err)) return false;
    if (!spill_memory_runs(p, g, err) || !merge_spilled_runs(p, g, err)) return false;
    g->retained = pool_calloc(g->pool, VECTOR_SIZE, sizeof *g->retained);
    if (!g->retained) return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate the sort's merge state");
    if (!sort_merger_open(&g->merger, &p->sort, g->pool, g->spill_runs, g->spill_count, err)) return false;
    g->merging = true;
    g->entry_count = 0;
    for (uint32_t i = 0; i < g->spill_count; i++) g->entry_count += g->spill_runs[i].rows;
    return true;
}

static bool order_finalize(physical_op *op, exec_context *ctx, error *err) {
    (void)ctx;
    order_params *p = op->params;
    order_global *g = op->sink_state;
    if (g->spill_count > 0) return finalize_spilled(p, g, err);
    if (g->run_count > 0) {
        if (!merge_runs(p, g, err)) return false;
    } else if (!store_sort(p, &g->store, g->pool, &g->entries_block, err)) {
        return false;
    }
    g->entries = g->entries_block ? block_data(g->entries_block) : NULL;
    g->entry_count = g->store.rows.row_count;
    return true;
}

/* ---- source ------------------------------------------------------------------------------ */

static bool order_source_init(physical_op *op, exec_context *ctx, error *err) {
    order_params *p = op->params;
    order_global *g = op->sink_state;
    order_source_state *st = arena_alloc(ctx->arena, sizeof *st, err);
    if (!st) return false;
    uint64_t n = g ? g->entry_count : 0;
    st->begin = p->offset < n ? p->offset : n;
    st->end = n;
    if (p->limit >= 0 && (uint64_t)p->limit < n - st->begin) st->end = st->begin + (uint64_t)p->limit;
    atomic_init(&st->next, st->begin);
    if (g && g->merging) g->skip = st->begin;
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

/* The next rows of the merge of spilled runs (one reader: the source is OP_SORTED_SOURCE). The
 * blocks the merge moves past stay until the next call, as the chunk's strings point into them. */
static bool merge_get_data(const order_params *p, order_global *g, order_source_state *st, order_source_local *l,
                           chunk *out, error *err) {
    release_retained(g);
    uint8_t *row;
    block_handle *done;
    for (; g->skip > 0; g->skip--) { /* the offset: rows read and dropped */
        bool ok = sort_merger_next(&g->merger, &row, &done, err);
        block_free(done);
        if (!ok) return false;
    }
    uint64_t begin = atomic_load(&st->next);
    uint32_t want = (uint32_t)(st->end - begin < VECTOR_SIZE ? st->end - begin : VECTOR_SIZE), n = 0;
    while (n < want) {
        bool ok = sort_merger_next(&g->merger, &row, &done, err);
        if (done) g->retained[g->retained_count++] = done;
        if (!ok) return false;
        if (!row) break;
        l->rows[n++] = row;
    }
    atomic_store(&st->next, begin + n);
    for (uint32_t c = 0; c < p->layout.column_count; c++) row_gather(&p->layout, c, l->rows, n, &out->columns[c], 0);
    out->count = n;
    return true;
}

/* Rows come out in order when one thread reads the source; with several, each chunk is a
 * contiguous, ordered piece of the result. */
static bool order_get_data(physical_op *op, exec_context *ctx, void *local, chunk *out, error *err) {
    (void)ctx, (void)err;
    order_params *p = op->params;
    order_global *g = op->sink_state;
    order_source_state *st = op->source_state;
    order_source_local *l = local;
    out->count = 0;
    if (g && g->merging) {
        if (atomic_load(&st->next) >= st->end) return true;
        return merge_get_data(p, g, st, l, out, err);
    }
    uint64_t begin = atomic_fetch_add(&st->next, VECTOR_SIZE);
    if (begin >= st->end) return true;
    uint32_t n = (uint32_t)(st->end - begin < VECTOR_SIZE ? st->end - begin : VECTOR_SIZE);
    uint32_t ew = sort_entry_width(&p->sort);
    for (uint32_t k = 0; k < n; k++) {
        l->rows[k] = sort_entry_row(&p->sort, g->entries + (begin + k) * ew);
        __builtin_prefetch(l->rows[k]); /* rows are read in sort order, i.e. at random */
    }
    for (uint32_t c = 0; c < p->layout.column_count; c++) row_gather(&p->layout, c, l->rows, n, &out->columns[c], 0);
    out->count = n;
    return true;
}

/* ---- destroy / construction ---------------------------------------------------------------- */

static void order_destroy(physical_op *op) {
    order_global *g = op->sink_state;
    if (!g) return;
    if (g->merging) sort_merger_close(&g->merger);
    g->merging = false;
    if (g->retained) {
        release_retained(g);
        pool_free(g->pool, g->retained);
        g->retained = NULL;
    }
    for (uint32_t i = 0; i < g->spill_count; i++) sort_run_free(&g->spill_runs[i]);
    if (g->spill_runs) pool_free(g->pool, g->spill_runs);
    g->spill_runs = NULL;
    g->spill_count = g->spill_capacity = 0;
    pool_budget_unregister(&g->budget);
    store_free(&g->store);
    if (g->entries_block) block_free(g->entries_block);
    g->entries_block = NULL;
    g->entries = NULL;
    for (uint32_t i = 0; i < g->run_count; i++) block_free(g->runs[i]);
    if (g->runs) pool_free(g->pool, g->runs);
    if (g->run_counts) pool_free(g->pool, g->run_counts);
    g->runs = NULL;
    g->run_counts = NULL;
    g->run_count = 0;
    if (g->lock_initialized) pthread_mutex_destroy(&g->lock);
    op->sink_state = NULL;
    op->source_state = NULL;
}

static const physical_op_vtable order_by_vtable = {
    .name = "ORDER_BY",
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
