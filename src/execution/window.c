/*
 * window.c — the window operator.
 *
 * Sink: the external sort of sort_sink.h (tag WINDOW) by (partition keys, order keys): each
 * thread's rows, with their normalized key in front, are sorted on that thread into a run of
 * entries (normalized key, row pointer) and finalize merges the runs into one array of entries.
 * Source (one thread): walks the sorted entries partition by partition; for each partition the
 * evaluators (window_eval.h) prepare what its frames need, then chunks are filled with the input
 * columns and the results of rows in order, across partition boundaries.
 *
 * Spilling: a thread's store that would pass its share of the operator's budget is written out as
 * a sorted run of position-independent blocks that the pool may evict to temp files (sort_run.h);
 * then every remaining row goes into runs (at combine, and at finalize for the threads that
 * combined in memory before), groups of runs are merged while there are more than the merge's
 * fan-in, and the source reads a streaming k-way merge of the rest. It collects one partition at a
 * time: the merge keeps the blocks it has moved past pinned (they are handed to the source) while
 * they hold rows of the current partition or of the chunk being emitted, and the partition is an
 * array of row addresses into them, so the evaluators see it as in memory and rows are never
 * copied. Blocks are freed once the merge and the emitted chunks are past them.
 *
 * A partition larger than the operator's budget: once the blocks of the partition being collected
 * pass the budget, its rows so far are copied into pages (window_pages.h: position-independent
 * blocks that the pool may evict), the chunk being filled takes copies of its strings so that the
 * merged blocks can go, and the rest of the partition is copied into the pages as the merge gives
 * it. The evaluators then read it through the pages' cache (window_eval.h says which frames work
 * that way), and each chunk of its rows holds the pages of those rows pinned until the next chunk
 * is asked for; a chunk ends where such a partition ends, and its pages are freed before the next
 * partition is collected.
 */
#include "execution/window.h"

#include <string.h>

#include "execution/sort_sink.h"
#include "execution/window_eval.h"

typedef struct window_params {
    window_layout w;
    uint32_t input_count;     /* the child's columns */
    window_expr_spec *exprs;
    uint32_t expr_count;
    const bool *used;         /* output columns read downstream (NULL: all) */
    const bool *stored;       /* child columns kept in the rows (NULL: all) */
} window_params;

typedef struct window_global {
    sort_sink sink;
} window_global;

typedef struct window_local {
    buffer_pool *pool;
    sort_store store;
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
    /* spilled: the current partition when it does not fit in memory (part.pages = &pages) */
    bool paged;
    window_pages pages;
    uint8_t *key_row;          /* pool_malloc'ed: a copy of its first row, to compare keys with */
    string_heap key_strings;   /* the copy's long strings */
    uint8_t *rows[VECTOR_SIZE];
} window_source;

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
    op->sink_state = g;
    return true;
}

static void *window_sink_local_init(physical_op *op, exec_context *ctx, error *err) {
    window_global *g = op->sink_state;
    window_local *l = pool_calloc(ctx->pool, 1, sizeof *l);
    if (!l) return oom(err, "window state"), NULL;
    l->pool = ctx->pool;
    sort_store_init(&l->store, &g->sink);
    return l;
}

static void window_sink_local_destroy(physical_op *op, void *local) {
    (void)op;
    window_local *l = local;
    if (!l) return;
    sort_store_free(&l->store);
    pool_free(l->pool, l);
}

static bool window_sink(physical_op *op, exec_context *ctx, void *local, chunk *in, error *err) {
    window_params *p = op->params;
    window_global *g = op->sink_state;
    window_local *l = local;
    uint32_t n = in->count;
    if (n == 0) return true;
    if (!sort_sink_make_room(&g->sink, &l->store, n, ctx->threads, err)) return false;
    if (!row_store_append(&l->store.rows, n, l->rows, err)) return false;
    for (uint32_t c = 0; c < p->input_count; c++) {
        if (p->stored && !p->stored[c]) continue;
        if (!row_scatter(&p->w.rows, c, &in->columns[c], NULL, n, l->rows, &l->store.strings, err)) return false;
    }
    sort_normalize(&p->w.sort, in, n, l->rows);
    return true;
}

static bool window_combine(physical_op *op, exec_context *ctx, void *local, error *err) {
    (void)ctx;
    window_global *g = op->sink_state;
    window_local *l = local;
    return !l || sort_sink_combine(&g->sink, &l->store, err);
}

static bool window_finalize(physical_op *op, exec_context *ctx, error *err) {
    (void)ctx;
    window_global *g = op->sink_state;
    return sort_sink_finalize(&g->sink, err);
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
    window_pages_free(&s->pages);
    string_heap_free(&s->key_strings);
    if (s->key_row) pool_free(s->pool, s->key_row);
    pool_free(s->pool, s);
}

static void *window_source_local_init(physical_op *op, exec_context *ctx, error *err) {
    window_params *p = op->params;
    window_source *s = pool_calloc(ctx->pool, 1, sizeof *s);
    if (!s) return oom(err, "window source state"), NULL;
    s->pool = ctx->pool;
    s->part.w = &p->w;
    string_heap_init(&s->key_strings, ctx->pool, TAG_WINDOW);
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
    return (const uint8_t *)block_data(g->sink.entries_block) + i * sort_entry_width(&p->w.sort);
}

/* In memory: the partition whose first entry is s->entry_end. */
static void memory_partition(const window_params *p, const window_global *g, window_source *s) {
    uint64_t begin = s->entry_end, end = begin + 1;
    if (p->w.partition_count == 0) {
        end = g->sink.entry_count;
    } else {
        const uint8_t *first = sort_entry_row(&p->w.sort, entry_at(p, g, begin));
        while (end < g->sink.entry_count && window_same_partition(&p->w, first, sort_entry_row(&p->w.sort, entry_at(p, g, end))))
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
    bool ok = sort_merger_next(&g->sink.merger, row, &done, err);
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

/* Makes the strings of the chunk's rows so far its own (they point into merged blocks). */
static bool chunk_own_strings(const window_params *p, chunk *out, error *err) {
    for (uint32_t c = 0; c < p->input_count + p->expr_count; c++) {
        if ((p->used && !p->used[c]) || out->columns[c].type.id != TYPE_VARCHAR) continue;
        vector *v = &out->columns[c];
        for (uint32_t r = 0; r < out->count; r++) {
            string_t *str = &((string_t *)v->data)[r];
            if (!vector_is_valid(v, r) || str->length <= STRING_INLINE_LENGTH) continue;
            if (!chunk_store_string(out, string_data(str), str->length, str, err)) return false;
        }
    }
    return true;
}

/* The partition being collected has grown past the budget: its rows so far are copied into pages
 * that the pool may evict, and the merged blocks are let go (the rows of earlier partitions in the
 * chunk being filled keep copies of their strings). The rows still to come go into the pages as
 * they are taken. */
static bool to_pages(const window_params *p, window_source *s, chunk *out, error *err) {
    const row_layout *l = &p->w.rows;
    if (!chunk_own_strings(p, out, err)) return false;
    if (!s->key_row && !(s->key_row = pool_malloc(s->pool, l->width))) return oom(err, "a window partition");
    string_heap_free(&s->key_strings);
    string_heap_init(&s->key_strings, s->pool, TAG_WINDOW);
    if (!row_copy(l, s->key_row, window_partition_row(&s->part, 0), &s->key_strings, err)) return false;
    if (!window_pages_init(&s->pages, s->pool, l, err)) return false;
    s->paged = true;
    for (uint64_t i = 0; i < s->part.count; i++)
        if (!window_pages_append(&s->pages, window_partition_row(&s->part, i), err)) return false;
    release_retained(s, UINT64_MAX);
    if (s->slots_block) block_free(s->slots_block);
    s->slots_block = NULL;
    s->slots_capacity = 0;
    s->part.slots = NULL;
    return true;
}

/* Spilled: collects the next partition from the merge (false in *more when there is none). */
static bool merge_partition(const window_params *p, window_global *g, window_source *s, chunk *out, bool *more,
                            error *err) {
    s->part.count = s->next = 0;
    s->part.stride = (uint32_t)sizeof(uint8_t *);
    s->part.pages = NULL;
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
    const uint8_t *key = first;
    for (;;) {
        uint8_t *row;
        if (!merge_take(g, s, &row, err)) return false;
        if (!row) break;
        if (!window_same_partition(&p->w, key, row)) {
            s->pending = row;
            s->pending_step = s->step - 1;
            break;
        }
        if (s->paged) {
            if (!window_pages_append(&s->pages, row, err)) return false;
            s->part.count++;
            release_retained(s, UINT64_MAX); /* the rows taken so far are all copied */
        } else if (!slots_append(s, row, err)) {
            return false;
        }
        if (s->part.count % PARTITION_CHECK_ROWS == 0) {
            if (g->sink.interrupted && atomic_load(g->sink.interrupted))
                return error_set(err, EIDER_ERROR_INTERRUPTED, "Interrupted!");
            if (!s->paged && partition_bytes(s) > pool_budget_bytes(&g->sink.budget)) {
                if (!to_pages(p, s, out, err)) return false;
                key = s->key_row;
            }
        }
    }
    if (s->paged) {
        if (!window_pages_seal(&s->pages, err)) return false;
        /* rows that the structures of one batch's frames may cover, in a quarter of the budget */
        uint64_t span = pool_budget_bytes(&g->sink.budget) / 4 / 32 / (p->expr_count ? p->expr_count : 1);
        s->part.pages = &s->pages;
        s->part.max_span = span > 2 * VECTOR_SIZE ? span : 2 * VECTOR_SIZE;
    }
    return true;
}

/* Moves to the next partition and prepares every evaluator for it (false in *more at the end). */
static bool next_partition(const window_params *p, window_global *g, window_source *s, chunk *out, bool *more,
                           error *err) {
    if (s->paged) { /* the partition in pages is over, and no row of the chunk points into it */
        window_pages_free(&s->pages);
        s->paged = false;
        s->part.pages = NULL;
    }
    if (g->sink.merging) {
        if (!merge_partition(p, g, s, out, more, err)) return false;
        if (!*more) return true;
    } else {
        *more = s->entry_end < g->sink.entry_count;
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
    if (!g || g->sink.entry_count == 0) return true;
    /* the previous chunk is consumed: keep only the merged blocks with rows of partitions to come */
    if (g->sink.merging) {
        uint64_t keep_from = s->next < s->part.count ? s->part_step : s->pending ? s->pending_step : UINT64_MAX;
        release_retained(s, keep_from);
    }
    if (s->paged) window_pages_release(&s->pages);
    while (out->count < VECTOR_SIZE) {
        if (s->next == s->part.count) {
            if (s->paged && out->count > 0) break; /* the chunk's strings point into the pages */
            bool more;
            if (!next_partition(p, g, s, out, &more, err)) return false;
            if (!more) break;
        }
        uint64_t left = s->part.count - s->next;
        uint32_t n = VECTOR_SIZE - out->count;
        if (left < n) n = (uint32_t)left;
        if (s->paged) { /* the pages of these rows stay pinned until the next call */
            uint64_t m = n;
            if (!window_pages_hold(&s->pages, s->next, &m, s->rows, err)) return false;
            n = (uint32_t)m;
        } else {
            for (uint32_t k = 0; k < n; k++) {
                s->rows[k] = window_partition_row_in_memory(&s->part, s->next + k);
                __builtin_prefetch(s->rows[k]); /* rows are read in sort order, i.e. at random */
            }
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
        if (s->paged) {
            if (!window_pages_check(&s->pages, err)) return false;
            break; /* one range of held pages per chunk */
        }
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
    if (!row_layout_init_stored(&p->w.rows, a, child->types, p->input_count, stored, p->w.sort.key_width, 0, err))
        return false;
    return physical_prune(child, a, stored, err);
}

static void window_destroy(physical_op *op) {
    window_global *g = op->sink_state;
    if (!g) return;
    sort_sink_destroy(&g->sink);
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
