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
 *
 * Spilling: the operator holds a pool budget while it lives and each thread's store may use about
 * budget / threads bytes (rows, strings and the entries its sort needs). A store that would pass
 * its share is sorted and written out as a sorted run of position-independent blocks that the pool
 * may evict to temp files (sort_run.h, tag WINDOW), then emptied — the external sort of ORDER BY.
 * Once any thread has spilled, every remaining row goes into runs (at combine, and at finalize for
 * the threads that combined in memory before), groups of runs are merged while there are more
 * than the merge's fan-in, and the source reads a streaming k-way merge of the rest. It collects
 * one partition at a time: the merge keeps the blocks it has moved past pinned (they are handed to
 * the source) while they hold rows of the current partition or of the chunk being emitted, and the
 * partition is an array of row addresses into them, so the evaluators see it as in memory and rows
 * are never copied. Blocks are freed once the merge and the emitted chunks are past them.
 * A partition must fit in the operator's budget: one that grows past it fails the query with an
 * Out of Memory error that says so (the evaluators read a partition's rows at random, through
 * frames, lag/lead and the segment tree, so its rows stay resident while it is evaluated).
 */
#include "execution/window.h"

#include <inttypes.h>
#include <pthread.h>
#include <string.h>

#include "execution/sort_run.h"
#include "execution/window_eval.h"

#define MERGE_MAX_FAN_IN 64 /* runs merged at once */

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
    /* spilling */
    pool_budget budget;
    atomic_bool spilled;         /* some thread wrote a run out: every row goes into runs */
    sort_run *spill_runs;        /* pool_malloc'ed array; the runs own their blocks */
    uint32_t spill_count, spill_capacity;
    atomic_bool *interrupted;
    bool merging;                /* after finalize, when spilled: the source reads merger */
    sort_merger merger;
} window_global;

typedef struct window_local {
    buffer_pool *pool;
    window_store store;
    uint8_t *rows[VECTOR_SIZE];
} window_local;

/* A block the merge has moved past, with the number of the last row taken from it. */
typedef struct retained_block {
    block_handle *block;
    uint64_t last_step;
} retained_block;

/* The source is read by one thread (the operator emits rows in sorted order). */
typedef struct window_source {
    buffer_pool *pool;
    window_eval **evals;
    window_partition part;  /* the current partition */
    uint64_t next;          /* its next row to emit */
    uint64_t entry_end;     /* in memory: the entry after the current partition */
    /* spilled: rows are numbered by the order the merge gives them (steps) */
    uint64_t step;          /* rows taken from the merge */
    uint64_t part_step;     /* the number of the current partition's first row */
    uint8_t *pending;       /* the first row of the next partition, already taken (or NULL) */
    uint64_t pending_step;
    bool exhausted;         /* the merge has given every row */
    block_handle *slots_block; /* the current partition's row addresses */
    uint64_t slots_capacity;
    retained_block *retained;  /* pool_malloc'ed, in step order */
    uint32_t retained_count, retained_capacity;
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

/* ---- spilling ------------------------------------------------------------------------------- */

/* Adds a finished run to the global list (under the lock); the list takes over its blocks. */
static bool add_spill_run(window_global *g, sort_run *run, error *err) {
    if (g->spill_count == g->spill_capacity) {
        uint32_t cap = g->spill_capacity ? 2 * g->spill_capacity : 8;
        sort_run *runs = pool_realloc(g->pool, g->spill_runs, sizeof *runs * cap);
        if (!runs) return oom(err, "the list of sorted runs");
        g->spill_runs = runs;
        g->spill_capacity = cap;
    }
    g->spill_runs[g->spill_count++] = *run;
    return true;
}

/* Writes rows in the order of n entries as a run and adds it to the global list. */
static bool spill_entries(const window_params *p, window_global *g, const uint8_t *entries, uint64_t n, error *err) {
    sort_run run;
    sort_run_init_tag(&run, g->pool, TAG_WINDOW);
    bool ok = sort_run_write_entries(&p->w.sort, entries, n, &run, err);
    if (ok) {
        pthread_mutex_lock(&g->lock);
        ok = add_spill_run(g, &run, err);
        pthread_mutex_unlock(&g->lock);
    }
    if (!ok) sort_run_free(&run);
    return ok;
}

static bool store_sort(const window_params *p, window_store *s, buffer_pool *pool, block_handle **out, error *err);

/* Sorts the store, writes it out as a run and empties it. */
static bool spill_store(const window_params *p, window_global *g, window_store *s, error *err) {
    atomic_store(&g->spilled, true);
    block_handle *entries;
    if (!store_sort(p, s, g->pool, &entries, err)) return false;
    if (!entries) return true;
    bool ok = spill_entries(p, g, block_data(entries), s->rows.row_count, err);
    block_free(entries);
    store_free(s);
    store_init(s, p, g->pool);
    return ok;
}

/* Bytes the store would hold, with its sort's entries and scratch, after n more rows. */
static uint64_t store_projected_bytes(const window_params *p, const window_store *s, uint32_t n) {
    const row_store *rs = &s->rows;
    uint64_t bytes = block_list_bytes(&rs->blocks) + block_list_bytes(&s->strings.blocks);
    bytes += 2 * (rs->row_count + n) * (uint64_t)sort_entry_width(&p->w.sort);
    bytes += row_store_growth(rs, n);
    if (p->w.rows.has_strings) bytes += POOL_BLOCK_SIZE; /* the next string block */
    return bytes;
}

/* True when the store should be written out before it takes n more rows. */
static bool store_needs_spill(const window_params *p, window_global *g, const window_store *s, uint32_t n,
                              uint32_t threads) {
    if (s->rows.row_count == 0) return false;
    return store_projected_bytes(p, s, n) > pool_budget_bytes(&g->budget) / (threads ? threads : 1);
}

/* The runs merged at once: each keeps a block or two pinned, within the operator's budget. */
static uint32_t merge_fan_in(window_global *g) {
    uint64_t k = pool_budget_bytes(&g->budget) / (4 * POOL_BLOCK_SIZE);
    return k < 2 ? 2 : k > MERGE_MAX_FAN_IN ? MERGE_MAX_FAN_IN : (uint32_t)k;
}

/* Writes the in-memory runs of threads that combined before anything spilled out as runs too. */
static bool spill_memory_runs(const window_params *p, window_global *g, error *err) {
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

/* ---- sink ------------------------------------------------------------------------------------- */

static bool window_sink_init(physical_op *op, exec_context *ctx, error *err) {
    window_params *p = op->params;
    window_global *g = arena_alloc(ctx->arena, sizeof *g, err);
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
    window_params *p = op->params;
    window_local *l = local;
    uint32_t n = in->count;
    if (n == 0) return true;
    if (store_needs_spill(p, op->sink_state, &l->store, n, ctx->threads) &&
        !spill_store(p, op->sink_state, &l->store, err))
        return false;
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
    if (atomic_load(&g->spilled)) return spill_store(p, g, &l->store, err);
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

/* With spilled runs: every row into runs, merged down to one merge the source streams. */
static bool finalize_spilled(const window_params *p, window_global *g, error *err) {
    if (!spill_memory_runs(p, g, err) ||
        !sort_run_merge_down(&p->w.sort, g->pool, g->spill_runs, &g->spill_count, merge_fan_in(g), g->interrupted,
                             err))
        return false;
    if (!sort_merger_open(&g->merger, &p->w.sort, g->pool, g->spill_runs, g->spill_count, err)) return false;
    g->merging = true;
    g->entry_count = 0;
    for (uint32_t i = 0; i < g->spill_count; i++) g->entry_count += g->spill_runs[i].rows;
    return true;
}

/* Merges the runs into one array of entries (a single run is adopted as it is). */
static bool window_finalize(physical_op *op, exec_context *ctx, error *err) {
    (void)ctx;
    window_params *p = op->params;
    window_global *g = op->sink_state;
    if (g->spill_count > 0) return finalize_spilled(p, g, err);
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

static void release_retained(window_source *s, uint64_t keep_from) {
    uint32_t i = 0;
    while (i < s->retained_count && s->retained[i].last_step < keep_from) block_free(s->retained[i++].block);
    if (i == 0) return;
    memmove(s->retained, s->retained + i, sizeof *s->retained * (s->retained_count - i));
    s->retained_count -= i;
}

static void window_source_local_destroy(physical_op *op, void *local) {
    window_params *p = op->params;
    window_source *s = local;
    if (!s) return;
    if (s->evals)
        for (uint32_t j = 0; j < p->expr_count; j++) window_eval_destroy(s->evals[j]);
    if (s->evals) pool_free(s->pool, s->evals);
    release_retained(s, UINT64_MAX);
    if (s->retained) pool_free(s->pool, s->retained);
    if (s->slots_block) block_free(s->slots_block);
    pool_free(s->pool, s);
}

static void *window_source_local_init(physical_op *op, exec_context *ctx, error *err) {
    window_params *p = op->params;
    window_source *s = pool_calloc(ctx->pool, 1, sizeof *s);
    if (!s) return oom(err, "window source state"), NULL;
    s->pool = ctx->pool;
    s->part.w = &p->w;
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

/* In memory: the partition whose first entry is s->entry_end. */
static void memory_partition(const window_params *p, const window_global *g, window_source *s) {
    uint64_t begin = s->entry_end, end = begin + 1;
    if (p->w.partition_count == 0) {
        end = g->entry_count;
    } else {
        const uint8_t *first = sort_entry_row(&p->w.sort, entry_at(p, g, begin));
        while (end < g->entry_count && window_same_partition(&p->w, first, sort_entry_row(&p->w.sort, entry_at(p, g, end))))
            end++;
    }
    s->entry_end = end;
    s->part.slots = entry_at(p, g, begin) + p->w.sort.key_width;
    s->part.stride = sort_entry_width(&p->w.sort);
    s->part.count = end - begin;
}

/* Spilled: takes the next row of the merge; a block the merge moves past is kept (pinned) until
 * the source is done with its rows. */
static bool merge_take(window_global *g, window_source *s, uint8_t **row, error *err) {
    block_handle *done;
    bool ok = sort_merger_next(&g->merger, row, &done, err);
    if (done) {
        if (s->retained_count == s->retained_capacity) {
            uint32_t cap = s->retained_capacity ? 2 * s->retained_capacity : 64;
            retained_block *r = pool_realloc(s->pool, s->retained, sizeof *r * cap);
            if (!r) {
                block_free(done);
                return oom(err, "the window's list of merged blocks");
            }
            s->retained = r;
            s->retained_capacity = cap;
        }
        s->retained[s->retained_count++] = (retained_block){done, s->step};
    }
    if (!ok) return false;
    if (*row) s->step++;
    else s->exhausted = true;
    return true;
}

/* Appends a row address to the partition, growing its array (contents kept). */
static bool slots_append(window_source *s, uint8_t *row, error *err) {
    uint64_t n = s->part.count;
    if (n == s->slots_capacity) {
        size_t bytes = s->slots_capacity ? (size_t)s->slots_capacity * 2 * sizeof row : POOL_BLOCK_SIZE;
        block_handle *h = block_alloc(s->pool, TAG_WINDOW, BLOCK_TEMPORARY, bytes, err);
        if (!h) return false;
        if (s->slots_block) {
            memcpy(block_data(h), block_data(s->slots_block), (size_t)n * sizeof row);
            block_free(s->slots_block);
        }
        s->slots_block = h;
        s->slots_capacity = block_size(h) / sizeof row;
        s->part.slots = block_data(h);
    }
    memcpy((uint8_t *)block_data(s->slots_block) + n * sizeof row, &row, sizeof row);
    s->part.count = n + 1;
    return true;
}

/* Bytes the current partition holds: the merged blocks with its rows and its address array. */
static uint64_t partition_bytes(const window_source *s) {
    uint64_t bytes = s->slots_block ? block_size(s->slots_block) : 0;
    for (uint32_t i = s->retained_count; i-- > 0 && s->retained[i].last_step >= s->part_step;)
        bytes += block_size(s->retained[i].block);
    return bytes;
}

#define PARTITION_CHECK_ROWS 4096 /* rows between checks of a growing partition's size */

/* Spilled: collects the next partition from the merge (false in *more when there is none). */
static bool merge_partition(const window_params *p, window_global *g, window_source *s, bool *more, error *err) {
    s->part.count = s->next = 0;
    s->part.stride = (uint32_t)sizeof(uint8_t *);
    uint8_t *first = s->pending;
    s->pending = NULL;
    *more = false;
    if (!first) {
        if (s->exhausted) return true;
        if (!merge_take(g, s, &first, err)) return false;
        if (!first) return true;
        s->pending_step = s->step - 1;
    }
    *more = true;
    s->part_step = s->pending_step;
    if (!slots_append(s, first, err)) return false;
    for (;;) {
        uint8_t *row;
        if (!merge_take(g, s, &row, err)) return false;
        if (!row) break;
        if (!window_same_partition(&p->w, first, row)) {
            s->pending = row;
            s->pending_step = s->step - 1;
            break;
        }
        if (!slots_append(s, row, err)) return false;
        if (s->part.count % PARTITION_CHECK_ROWS == 0) {
            if (g->interrupted && atomic_load(g->interrupted))
                return error_set(err, EIDER_ERROR_INTERRUPTED, "Interrupted!");
            uint64_t bytes = partition_bytes(s), budget = pool_budget_bytes(&g->budget);
            if (bytes > budget)
                return error_set(err, EIDER_ERROR_OUT_OF_MEMORY,
                                 "a window partition of more than %" PRIu64 " rows (%.1f MiB) does not fit in the "
                                 "window operator's memory budget of %.1f MiB (WINDOW): a partition is evaluated in "
                                 "memory",
                                 s->part.count, (double)bytes / (1024.0 * 1024.0), (double)budget / (1024.0 * 1024.0));
        }
    }
    return true;
}

/* Moves to the next partition and prepares every evaluator for it (false in *more at the end). */
static bool next_partition(const window_params *p, window_global *g, window_source *s, bool *more, error *err) {
    if (g->merging) {
        if (!merge_partition(p, g, s, more, err)) return false;
        if (!*more) return true;
    } else {
        *more = s->entry_end < g->entry_count;
        if (!*more) return true;
        memory_partition(p, g, s);
    }
    s->next = 0;
    for (uint32_t j = 0; j < p->expr_count; j++)
        if (!window_eval_begin(s->evals[j], &s->part, err)) return false;
    return true;
}

static bool window_get_data(physical_op *op, exec_context *ctx, void *local, chunk *out, error *err) {
    (void)ctx;
    window_params *p = op->params;
    window_global *g = op->sink_state;
    window_source *s = local;
    out->count = 0;
    if (!g || g->entry_count == 0) return true;
    /* the previous chunk is consumed: keep only the merged blocks with rows of partitions to come */
    if (g->merging) {
        uint64_t keep_from = s->next < s->part.count ? s->part_step : s->pending ? s->pending_step : UINT64_MAX;
        release_retained(s, keep_from);
    }
    while (out->count < VECTOR_SIZE) {
        if (s->next == s->part.count) {
            bool more;
            if (!next_partition(p, g, s, &more, err)) return false;
            if (!more) break;
        }
        uint64_t left = s->part.count - s->next;
        uint32_t n = VECTOR_SIZE - out->count;
        if (left < n) n = (uint32_t)left;
        for (uint32_t k = 0; k < n; k++) {
            s->rows[k] = window_partition_row(&s->part, s->next + k);
            __builtin_prefetch(s->rows[k]); /* rows are read in sort order, i.e. at random */
        }
        for (uint32_t c = 0; c < p->input_count; c++)
            if (!p->used || p->used[c]) row_gather(&p->w.rows, c, s->rows, n, &out->columns[c], out->count);
        for (uint32_t j = 0; j < p->expr_count; j++) {
            if (p->used && !p->used[p->input_count + j]) continue;
            if (!window_eval_rows(s->evals[j], s->next, n, &out->columns[p->input_count + j], out->count, out, err))
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
    if (g->merging) sort_merger_close(&g->merger);
    g->merging = false;
    for (uint32_t i = 0; i < g->spill_count; i++) sort_run_free(&g->spill_runs[i]);
    if (g->spill_runs) pool_free(g->pool, g->spill_runs);
    g->spill_runs = NULL;
    g->spill_count = g->spill_capacity = 0;
    pool_budget_unregister(&g->budget);
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
