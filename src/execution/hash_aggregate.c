/*
 * hash_aggregate.c — GROUP BY / DISTINCT / aggregates over group tables (group_table.h).
 *
 * Each thread sinks into its own group table (and one distinct table per DISTINCT aggregate,
 * keyed by the group columns plus the argument). combine merges a thread's tables into the
 * global ones under a mutex: the first one is adopted whole, later ones are re-inserted in
 * batches and their states merged with the functions' combine. finalize feeds the distinct
 * (group, argument) pairs to their aggregates. The source emits the global table block by block.
 *
 * Spilling (agg_spill.h; GROUP BY, and any query with DISTINCT aggregates): the operator holds a
 * pool budget, and each thread's tables (groups and distinct pairs together) may take an even
 * share of it. A thread whose tables would pass its share writes the groups into its level-0
 * partitions, the pairs of each DISTINCT aggregate into level-0 partitions of their own (by the
 * hash of the pair), and empties the tables. When nothing spilled anywhere, combine, finalize and
 * the source are the in-memory path above; once any thread spilled, every table left (the global
 * ones too) goes into partitions, which combine moves into the global state. Finalize then has
 * every thread of the query claim partitions of each DISTINCT aggregate's pairs one at a time (a
 * set of pairs is deduplicated as it is read, split again when it would pass half the thread's
 * share) and feed them into partial groups, which go into the group partitions (see
 * agg_distinct.c). A thread whose input turns out nearly all distinct keeps its tables
 * small (agg_local_flush). The source reads one group partition
 * at a time into a table of its own, combining the states of every copy of a group (splitting it
 * again when it would pass the budget), emits it and frees it, under a mutex.
 */
#include "execution/hash_aggregate.h"

#include <pthread.h>
#include <string.h>

#include "execution/hash_aggregate_internal.h"
#include "execution/key_hash.h"

typedef struct agg_local {
    buffer_pool *pool;
    group_table main;
    group_table *distinct; /* aggregate_count tables, after the struct */
    arena *strings;
    vector *vectors;       /* group_count + 1 scratch vectors for merging */
    agg_scratch *scratch;
    agg_spill *spill;      /* created on the first spill */
    agg_partitions *parts; /* this thread's spilled groups */
    agg_spill **dspill;    /* per aggregate (DISTINCT ones), created on the first spill */
    agg_partitions **dparts; /* per aggregate: this thread's spilled (group, argument) pairs */
    uint64_t rows_in;      /* rows sunk since the tables were last emptied */
    bool small;            /* the tables are kept small (see agg_local_flush) */
} agg_local;

/* The source once spilled: threads claim the level-0 partitions one at a time. */
typedef struct agg_spill_source {
    agg_partitions *top; /* the spilled groups of every thread (NULL: none) */
    atomic_uint next;    /* the next partition of top to claim */
    pool_budget *budget; /* the operator's; each thread's table may take an equal share */
    uint32_t threads;
} agg_spill_source;

/* What one source thread holds once spilled: the partition it emits, read into `table`, and the
 * sets a partition too large for its share was split into (a set at level d + 1 is one
 * partition of the set below it, split again), read depth first. */
typedef struct agg_spill_reader {
    agg_spill *spill;
    agg_partitions *sets[AGG_SPILL_MAX_LEVEL + 1];
    uint32_t next[AGG_SPILL_MAX_LEVEL + 1]; /* next partition to read in each set */
    uint32_t depth;
    group_table table;
    arena *strings;   /* strings of the table's states */
    uint32_t block;   /* emit cursor in the table's rows */
    uint64_t position;
} agg_spill_reader;

typedef struct agg_source_state {
    atomic_uint next_block;
    agg_spill_source *spill; /* NULL: the in-memory path */
} agg_source_state;

typedef struct agg_source_local {
    buffer_pool *pool;
    agg_spill_reader *reader; /* once spilled, from the thread's first call */
    uint32_t block;
    uint64_t position;
    bool has_block;
    arena *strings;
    uint8_t *rows[VECTOR_SIZE];
} agg_source_local;

/* A thread's tables once its input turned out to be nearly all distinct (agg_local_flush). */
#define AGG_SMALL_TABLE_BYTES ((uint64_t)3 << 20)
#define AGG_UNIQUE_PERCENT 90
/* What a thread's spill of its tables pins besides them (agg_spill_write_table). */
#define AGG_SPILL_WORK_BYTES ((uint64_t)2 * POOL_BLOCK_SIZE)

bool agg_oom(error *err, const char *what) {
    return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate %s", what);
}

/* ---- scratch ---------------------------------------------------------------------------- */

size_t agg_scratch_size(const agg_params *p) {
    return sizeof(agg_scratch) + sizeof(const vector *) * (p->group_count + 1);
}

/* Scratch vectors: group_count + 1 vectors with room for VECTOR_SIZE values of any type. */
bool agg_vectors_alloc(buffer_pool *pool, uint32_t count, vector **out, error *err) {
    vector *v = pool_calloc(pool, count, sizeof(vector) + VECTOR_SIZE * sizeof(string_t));
    if (!v) return agg_oom(err, "aggregate scratch vectors");
    uint8_t *data = (uint8_t *)(v + count);
    for (uint32_t i = 0; i < count; i++) v[i].data = data + (size_t)i * VECTOR_SIZE * sizeof(string_t);
    *out = v;
    return true;
}

/* ---- merging tables ----------------------------------------------------------------------- */

/* Re-inserts every row of src into dst; with merge_states, src's states are combined into
 * dst's (the non-distinct aggregates). src is left as it was. */
static bool agg_merge_table(const agg_params *p, group_table *dst, group_table *src, vector *vectors,
                            agg_scratch *s, bool merge_states, aggregate_context *actx, error *err) {
    if (src->count == 0) return true;
    if (dst->count == 0) {
        group_table_swap(dst, src);
        return true;
    }
    const row_layout *l = &src->shape->layout;
    for (uint32_t c = 0; c < l->column_count; c++) {
        vectors[c].type = l->types[c];
        s->keys[c] = &vectors[c];
    }
    for (uint32_t b = 0; b < src->rows.blocks.count; b++) {
        block_entry *e = &src->rows.blocks.entries[b];
        for (uint64_t start = 0; start < e->used; start += VECTOR_SIZE) {
            uint32_t n = (uint32_t)(e->used - start < VECTOR_SIZE ? e->used - start : VECTOR_SIZE);
            for (uint32_t k = 0; k < n; k++) {
                s->source_rows[k] = e->data + (start + k) * l->width;
                memcpy(&s->probe.hashes[k], s->source_rows[k], sizeof(uint64_t));
            }
            for (uint32_t c = 0; c < l->column_count; c++) row_gather(l, c, s->source_rows, n, &vectors[c], 0);
            if (!group_table_find_or_create(dst, s->keys, n, &s->probe, err)) return false;
            if (!merge_states) continue;
            for (uint32_t a = 0; a < p->aggregate_count; a++) {
                if (p->aggregates[a].distinct) continue;
                const aggregate_function *fn = &p->functions[a];
                uint32_t off = p->state_offsets[a];
                for (uint32_t k = 0; k < n; k++)
                    if (!fn->combine(s->probe.groups[k] + off, s->source_rows[k] + off, actx)) return false;
            }
        }
    }
    return true;
}

/* ---- sink ------------------------------------------------------------------------------ */

static bool agg_sink_init(physical_op *op, exec_context *ctx, error *err) {
    agg_params *p = op->params;
    agg_global *g = arena_alloc(ctx->arena, sizeof *g, err);
    if (!g) return false;
    memset(g, 0, sizeof *g);
    g->distinct = arena_alloc(ctx->arena, sizeof(group_table) * (p->aggregate_count ? p->aggregate_count : 1), err);
    if (!g->distinct) return false;
    g->dparts = arena_alloc(ctx->arena, sizeof(agg_partitions *) * (p->aggregate_count ? p->aggregate_count : 1), err);
    if (!g->dparts) return false;
    group_table_init(&g->main, &p->main_shape, ctx->pool, TAG_HASH_TABLE);
    for (uint32_t a = 0; a < p->aggregate_count; a++)
        group_table_init(&g->distinct[a], &p->distinct_shapes[a], ctx->pool, TAG_HASH_TABLE);
    g->strings = arena_create(ctx->pool, TAG_HASH_TABLE);
    if (!g->strings) return agg_oom(err, "aggregate string arena");
    pthread_mutex_init(&g->lock, NULL);
    g->lock_initialized = true;
    /* an aggregate that cannot spill (no GROUP BY, no DISTINCT) holds one row: no share for it */
    if (p->can_spill) pool_budget_register(ctx->pool, &g->budget);
    op->sink_state = g;
    return true;
}

static void agg_sink_local_destroy(physical_op *op, void *local) {
    agg_params *p = op->params;
    agg_local *l = local;
    if (!l) return;
    group_table_free(&l->main);
    for (uint32_t a = 0; a < p->aggregate_count; a++) group_table_free(&l->distinct[a]);
    if (l->strings) arena_destroy(l->strings);
    if (l->vectors) pool_free(l->pool, l->vectors);
    if (l->scratch) pool_free(l->pool, l->scratch);
    agg_spill_destroy(l->spill);
    agg_partitions_destroy(l->parts);
    for (uint32_t a = 0; a < p->aggregate_count; a++) {
        agg_spill_destroy(l->dspill[a]);
        agg_partitions_destroy(l->dparts[a]);
    }
    pool_free(l->pool, l);
}

static void *agg_sink_local_init(physical_op *op, exec_context *ctx, error *err) {
    agg_params *p = op->params;
    agg_local *l = pool_calloc(ctx->pool, 1,
                               sizeof *l + (sizeof(group_table) + sizeof(agg_spill *) + sizeof(agg_partitions *)) *
                                               p->aggregate_count);
    if (!l) {
        agg_oom(err, "aggregate local state");
        return NULL;
    }
    l->pool = ctx->pool;
    l->distinct = (group_table *)(l + 1);
    l->dspill = (agg_spill **)(l->distinct + p->aggregate_count);
    l->dparts = (agg_partitions **)(l->dspill + p->aggregate_count);
    group_table_init(&l->main, &p->main_shape, ctx->pool, TAG_HASH_TABLE);
    for (uint32_t a = 0; a < p->aggregate_count; a++)
        group_table_init(&l->distinct[a], &p->distinct_shapes[a], ctx->pool, TAG_HASH_TABLE);
    l->scratch = pool_calloc(ctx->pool, 1, agg_scratch_size(p));
    l->strings = arena_create(ctx->pool, TAG_HASH_TABLE);
    if (!l->scratch || !l->strings || !agg_vectors_alloc(ctx->pool, p->group_count + 1, &l->vectors, err)) {
        agg_oom(err, "aggregate local state");
        agg_sink_local_destroy(op, l);
        return NULL;
    }
    return l;
}

/* ---- spilling ------------------------------------------------------------------------------ */

/* Writes the rows of t (of the given shape) into *parts through *spill, both created on first
 * use, and empties t. */
bool agg_spill_into(buffer_pool *pool, const group_shape *shape, agg_spill **spill, agg_partitions **parts,
                    group_table *t, error *err) {
    if (!*parts && !(*parts = agg_partitions_create(pool, 0, err))) return false;
    if (t->count == 0) return true;
    if (!*spill && !(*spill = agg_spill_create(pool, shape, err))) return false;
    if (!agg_spill_write_table(*spill, t, *parts, err)) return false;
    group_table_reset(t); /* keeps the directory: the table fills up to the same size again */
    return true;
}

/* Writes the groups of t into the thread's partitions and empties t. */
static bool agg_spill_table(const agg_params *p, agg_local *l, group_table *t, error *err) {
    return agg_spill_into(l->pool, &p->main_shape, &l->spill, &l->parts, t, err);
}

/* Writes the (group, argument) pairs of t, a distinct table of aggregate a, into the thread's
 * partitions for a and empties t. */
static bool agg_spill_distinct(const agg_params *p, agg_local *l, uint32_t a, group_table *t, error *err) {
    return agg_spill_into(l->pool, &p->distinct_shapes[a], &l->dspill[a], &l->dparts[a], t, err);
}

/* Writes the thread's groups and distinct pairs into its partitions and empties its tables and
 * string arena. */
static bool agg_local_spill(const agg_params *p, agg_local *l, error *err) {
    if (!agg_spill_table(p, l, &l->main, err)) return false;
    arena_reset(l->strings);
    for (uint32_t a = 0; a < p->aggregate_count; a++)
        if (p->aggregates[a].distinct && !agg_spill_distinct(p, l, a, &l->distinct[a], err)) return false;
    return true;
}

/* Bytes of the thread's tables. */
static uint64_t agg_local_bytes(const agg_params *p, const agg_local *l) {
    uint64_t n = group_table_bytes(&l->main) + arena_bytes(l->strings);
    for (uint32_t a = 0; a < p->aggregate_count; a++)
        if (p->aggregates[a].distinct) n += group_table_bytes(&l->distinct[a]);
    return n;
}

/* Spills the thread's full tables and decides how large they may grow next. When nearly every row
 * sunk since the last spill made a group (or a distinct pair) of its own, tables as large as the
 * thread's share reduce the rows to spill by next to nothing and only cost a cache miss per row:
 * from then on the thread keeps them at AGG_SMALL_TABLE_BYTES, in cache, and spills them whenever
 * they fill. */
static bool agg_local_flush(const agg_params *p, agg_local *l, error *err) {
    uint64_t groups = l->main.count;
    for (uint32_t a = 0; a < p->aggregate_count; a++)
        if (p->aggregates[a].distinct && l->distinct[a].count > groups) groups = l->distinct[a].count;
    bool unique = groups * 100 >= l->rows_in * AGG_UNIQUE_PERCENT;
    if (!agg_local_spill(p, l, err)) return false;
    l->rows_in = 0;
    if (unique && !l->small) {
        /* the emptied tables keep their directories: let those go too */
        l->small = true;
        group_table_free(&l->main);
        for (uint32_t a = 0; a < p->aggregate_count; a++)
            if (p->aggregates[a].distinct) group_table_free(&l->distinct[a]);
    }
    return true;
}

/* Before sinking n rows (`lookups` of them group lookups): spills the thread's tables if they
 * could take them past its share. */
static bool agg_local_make_room(const agg_params *p, agg_global *g, agg_local *l, uint32_t threads, uint32_t lookups,
                                uint32_t n, error *err) {
    if (!p->can_spill) return true;
    uint64_t groups = l->main.count, bytes = group_table_bytes_after(&l->main, lookups) + arena_bytes(l->strings);
    for (uint32_t a = 0; a < p->aggregate_count; a++) {
        if (!p->aggregates[a].distinct) continue;
        groups += l->distinct[a].count;
        bytes += group_table_bytes_after(&l->distinct[a], n);
    }
    if (groups == 0) return true;
    uint64_t share = pool_budget_bytes(&g->budget) / (threads ? threads : 1);
    /* writing the tables out takes memory too: the rows' lists and the block being written */
    share = share > 2 * AGG_SPILL_WORK_BYTES ? share - AGG_SPILL_WORK_BYTES : share / 2;
    if (l->small && share > AGG_SMALL_TABLE_BYTES) share = AGG_SMALL_TABLE_BYTES;
    if (bytes <= share) return true;
    return agg_local_flush(p, l, err);
}

static uint64_t agg_global_bytes(const agg_params *p, const agg_global *g) {
    uint64_t n = group_table_bytes(&g->main);
    for (const arena_link *a = g->arenas; a; a = a->next) n += arena_bytes(a->strings);
    for (uint32_t a = 0; a < p->aggregate_count; a++)
        if (p->aggregates[a].distinct) n += group_table_bytes(&g->distinct[a]);
    return n;
}

static void agg_global_free_arenas(agg_global *g, buffer_pool *pool) {
    while (g->arenas) {
        arena_link *next = g->arenas->next;
        arena_destroy(g->arenas->strings);
        pool_free(pool, g->arenas);
        g->arenas = next;
    }
}

/* dst takes over the blocks of *src (or *src itself when dst is empty). */
bool agg_partitions_adopt(agg_partitions **dst, agg_partitions **src, error *err) {
    if (!*src) return true;
    if (!*dst) {
        *dst = *src;
        *src = NULL;
        return true;
    }
    return agg_partitions_move(*dst, *src, err);
}

/* Under the lock, once spilled and the thread's own tables are written: the global tables
 * (combined before anything spilled) go into the thread's partitions too, which join the global
 * ones. */
static bool agg_combine_spilled(const agg_params *p, agg_global *g, agg_local *l, error *err) {
    if (g->main.count) {
        if (!agg_spill_table(p, l, &g->main, err)) return false;
        agg_global_free_arenas(g, l->pool);
    }
    for (uint32_t a = 0; a < p->aggregate_count; a++)
        if (p->aggregates[a].distinct && !agg_spill_distinct(p, l, a, &g->distinct[a], err)) return false;
    if (!agg_partitions_adopt(&g->parts, &l->parts, err)) return false;
    for (uint32_t a = 0; a < p->aggregate_count; a++)
        if (!agg_partitions_adopt(&g->dparts[a], &l->dparts[a], err)) return false;
    return true;
}

static bool agg_sink(physical_op *op, exec_context *ctx, void *local, chunk *in, error *err) {
    agg_params *p = op->params;
    agg_local *l = local;
    agg_scratch *s = l->scratch;
    uint32_t n = in->count;
    if (n == 0) return true;
    /* without GROUP BY every row goes to the one group: look it up once */
    bool single = p->group_count == 0;
    uint32_t lookups = single ? 1 : n;
    if (!agg_local_make_room(p, op->sink_state, l, ctx->threads, lookups, n, err)) return false;
    l->rows_in += n;
    for (uint32_t j = 0; j < p->group_count; j++) s->keys[j] = &in->columns[p->group_columns[j]];
    key_hash_vectors(s->keys, p->group_count, lookups, s->probe.hashes);
    if (!group_table_find_or_create(&l->main, s->keys, lookups, &s->probe, err)) return false;
    aggregate_context actx = {l->strings, err};
    for (uint32_t a = 0; a < p->aggregate_count; a++) {
        const aggregate_spec *spec = &p->aggregates[a];
        if (spec->distinct) continue;
        uint32_t off = p->state_offsets[a];
        const vector *arg = spec->arg_column >= 0 ? &in->columns[spec->arg_column] : NULL;
        const aggregate_function *fn = &p->functions[a];
        if (single && fn->simple_update) {
            if (!fn->simple_update(s->probe.groups[0] + off, arg, n, &actx)) {
                if (!error_is_set(err)) error_set(err, EIDER_ERROR_INTERNAL, "aggregate %s failed", fn->name);
                return false;
            }
            continue;
        }
        for (uint32_t i = 0; i < n; i++) s->states[i] = s->probe.groups[single ? 0 : i] + off;
        if (!p->functions[a].update(s->states, arg, n, &actx)) {
            if (!error_is_set(err)) error_set(err, EIDER_ERROR_INTERNAL, "aggregate %s failed", p->functions[a].name);
            return false;
        }
    }
    if (!p->has_distinct) return true;
    for (uint32_t a = 0; a < p->aggregate_count; a++) {
        const aggregate_spec *spec = &p->aggregates[a];
        if (!spec->distinct) continue;
        s->keys[p->group_count] = &in->columns[spec->arg_column];
        key_hash_vectors(s->keys, p->group_count + 1, n, s->probe.hashes);
        if (!group_table_find_or_create(&l->distinct[a], s->keys, n, &s->probe, err)) return false;
    }
    return true;
}

static bool agg_combine(physical_op *op, exec_context *ctx, void *local, error *err) {
    agg_params *p = op->params;
    agg_global *g = op->sink_state;
    agg_local *l = local;
    if (!l) return true;
    /* the states may point into the thread's string arena: it lives on with the global state */
    arena_link *link = pool_malloc(ctx->pool, sizeof *link);
    if (!link) return agg_oom(err, "aggregate arena list");
    pthread_mutex_lock(&g->lock);
    if (p->can_spill && (g->spilled || l->parts ||
                         agg_global_bytes(p, g) + agg_local_bytes(p, l) > pool_budget_bytes(&g->budget))) {
        g->spilled = true; /* from now on no thread merges into the global tables */
        pthread_mutex_unlock(&g->lock);
        pool_free(ctx->pool, link);
        if (!agg_local_spill(p, l, err)) return false; /* the threads write at the same time */
        pthread_mutex_lock(&g->lock);
        bool ok = agg_combine_spilled(p, g, l, err);
        pthread_mutex_unlock(&g->lock);
        return ok;
    }
    link->strings = l->strings;
    link->next = g->arenas;
    g->arenas = link;
    l->strings = NULL;
    aggregate_context actx = {link->strings, err};
    bool ok = agg_merge_table(p, &g->main, &l->main, l->vectors, l->scratch, true, &actx, err);
    for (uint32_t a = 0; ok && a < p->aggregate_count; a++)
        if (p->aggregates[a].distinct)
            ok = agg_merge_table(p, &g->distinct[a], &l->distinct[a], l->vectors, l->scratch, false, &actx, err);
    pthread_mutex_unlock(&g->lock);
    return ok;
}

static bool agg_finalize(physical_op *op, exec_context *ctx, error *err) {
    agg_params *p = op->params;
    agg_global *g = op->sink_state;
    if (g->spilled && !p->has_distinct) return true;
    agg_scratch *s = arena_alloc(ctx->arena, agg_scratch_size(p), err);
    if (!s) return false;
    /* once spilled, every thread's pass has vectors of its own */
    if (g->spilled) return agg_finalize_spilled(p, g, ctx, s, err);
    vector *vectors = arena_alloc(ctx->arena, (sizeof(vector) + VECTOR_SIZE * sizeof(string_t)) * (p->group_count + 1), err);
    if (!vectors) return false;
    uint8_t *data = (uint8_t *)(vectors + p->group_count + 1);
    for (uint32_t i = 0; i <= p->group_count; i++) vectors[i].data = data + (size_t)i * VECTOR_SIZE * sizeof(string_t);
    for (uint32_t a = 0; a < p->aggregate_count; a++) {
        if (!p->aggregates[a].distinct) continue;
        if (!agg_feed_distinct(p, a, &g->distinct[a], &g->main, g->strings, NULL, vectors, s, err)) return false;
        group_table_free(&g->distinct[a]); /* no longer needed */
    }
    if (p->group_count == 0 && g->main.count == 0) { /* one row, also for empty input */
        s->probe.hashes[0] = 0;
        if (!group_table_find_or_create(&g->main, s->keys, 1, &s->probe, err)) return false;
    }
    return true;
}

/* ---- source ------------------------------------------------------------------------------ */

/* Frees the partitions no thread claimed. */
static void agg_spill_source_free(agg_spill_source *ss) {
    if (!ss) return;
    agg_partitions_destroy(ss->top);
    ss->top = NULL;
}

/* The spilled source takes over the global partitions. */
static bool agg_spill_source_init(agg_global *g, agg_source_state *st, exec_context *ctx, error *err) {
    agg_spill_source *ss = arena_alloc(ctx->arena, sizeof *ss, err);
    if (!ss) return false;
    atomic_init(&ss->next, 0);
    ss->top = g->parts;
    g->parts = NULL;
    ss->budget = &g->budget;
    ss->threads = ctx->threads ? ctx->threads : 1;
    st->spill = ss;
    return true;
}

static void agg_spill_reader_destroy(buffer_pool *pool, agg_spill_reader *r) {
    if (!r) return;
    for (uint32_t d = 0; d < r->depth; d++) agg_partitions_destroy(r->sets[d]);
    group_table_free(&r->table);
    if (r->strings) arena_destroy(r->strings);
    agg_spill_destroy(r->spill);
    pool_free(pool, r);
}

static agg_spill_reader *agg_spill_reader_create(const agg_params *p, buffer_pool *pool, error *err) {
    agg_spill_reader *r = pool_calloc(pool, 1, sizeof *r);
    if (!r) return agg_oom(err, "aggregate partition reader"), NULL;
    group_table_init(&r->table, &p->main_shape, pool, TAG_HASH_TABLE);
    if (!(r->strings = arena_create(pool, TAG_HASH_TABLE))) agg_oom(err, "aggregate string arena");
    else r->spill = agg_spill_create(pool, &p->main_shape, err);
    if (!r->spill) {
        agg_spill_reader_destroy(pool, r);
        return NULL;
    }
    return r;
}

static bool agg_source_init(physical_op *op, exec_context *ctx, error *err) {
    agg_global *g = op->sink_state;
    agg_source_state *st = arena_alloc(ctx->arena, sizeof *st, err);
    if (!st) return false;
    atomic_init(&st->next_block, 0);
    op->source_state = st;
    return !g->spilled || agg_spill_source_init(g, st, ctx, err);
}

static void *agg_source_local_init(physical_op *op, exec_context *ctx, error *err) {
    (void)op;
    agg_source_local *l = pool_calloc(ctx->pool, 1, sizeof *l);
    if (!l) {
        agg_oom(err, "aggregate source state");
        return NULL;
    }
    l->pool = ctx->pool;
    l->strings = arena_create(ctx->pool, TAG_HASH_TABLE);
    if (!l->strings) {
        pool_free(ctx->pool, l);
        agg_oom(err, "aggregate source state");
        return NULL;
    }
    return l;
}

static void agg_source_local_destroy(physical_op *op, void *local) {
    (void)op;
    agg_source_local *l = local;
    if (!l) return;
    agg_spill_reader_destroy(l->pool, l->reader);
    arena_destroy(l->strings);
    pool_free(l->pool, l);
}

/* Fills out with rows[0..n) of the table: keys, then the aggregates' results. With
 * copy_strings, key strings go into out's heap (the table may be freed before out is read). */
static bool agg_emit_rows(const agg_params *p, agg_source_local *l, uint32_t n, bool copy_strings, chunk *out,
                          error *err) {
    const row_layout *layout = &p->main_shape.layout;
    for (uint32_t j = 0; j < p->group_count; j++) {
        vector *v = &out->columns[j];
        row_gather(layout, j, l->rows, n, v, 0);
        if (!copy_strings || layout->types[j].id != TYPE_VARCHAR) continue;
        string_t *str = v->data;
        for (uint32_t k = 0; k < n; k++)
            if (vector_is_valid(v, k) && str[k].length > STRING_INLINE_LENGTH &&
                !chunk_store_string(out, str[k].value.pointer.ptr, str[k].length, &str[k], err))
                return false;
    }
    aggregate_context actx = {l->strings, err};
    for (uint32_t a = 0; a < p->aggregate_count; a++) {
        const aggregate_function *fn = &p->functions[a];
        vector *v = &out->columns[p->output_columns[a]];
        uint32_t off = p->state_offsets[a];
        for (uint32_t k = 0; k < n; k++) {
            if (!fn->finalize(l->rows[k] + off, v, k, out, &actx)) {
                if (!error_is_set(err)) error_set(err, EIDER_ERROR_INTERNAL, "aggregate %s failed", fn->name);
                return false;
            }
        }
    }
    out->count = n;
    return true;
}

/* The next partition for reader r: one of its own split sets', else one claimed from the source
 * (level 0); NULL when none is left. */
static block_list *agg_spill_claim(agg_spill_source *ss, agg_spill_reader *r, uint32_t *level) {
    while (r->depth > 0) {
        uint32_t d = r->depth - 1;
        agg_partitions *set = r->sets[d];
        if (r->next[d] < AGG_SPILL_PARTITIONS) {
            *level = set->level;
            return &set->parts[r->next[d]++];
        }
        agg_partitions_destroy(set);
        r->depth--;
    }
    if (!ss->top) return NULL;
    unsigned i = atomic_fetch_add(&ss->next, 1);
    *level = 0;
    return i < AGG_SPILL_PARTITIONS ? &ss->top->parts[i] : NULL;
}

/* Emits the next rows (up to a chunk) of block e from *position on. */
static bool agg_emit_block(const agg_params *p, agg_source_local *l, const block_entry *e, uint64_t *position,
                           bool copy_strings, chunk *out, error *err) {
    uint64_t left = e->used - *position;
    uint32_t n = (uint32_t)(left < VECTOR_SIZE ? left : VECTOR_SIZE);
    for (uint32_t k = 0; k < n; k++) l->rows[k] = e->data + (*position + k) * p->main_shape.layout.width;
    *position += n;
    return agg_emit_rows(p, l, n, copy_strings, out, err);
}

/* Makes r->table the groups of the reader's next partition; false with no error when none is
 * left. */
static bool agg_spill_next_table(agg_spill_source *ss, agg_spill_reader *r, error *err) {
    group_table_reset(&r->table);
    arena_reset(r->strings);
    r->block = 0;
    r->position = 0;
    for (;;) {
        uint32_t level;
        block_list *part = agg_spill_claim(ss, r, &level);
        if (!part) return false;
        if (part->count == 0) continue;
        agg_partitions *sub = NULL;
        uint64_t share = pool_budget_bytes(ss->budget) / ss->threads;
        bool ok = agg_spill_read_partition(r->spill, part, level, &r->table, r->strings, share, &sub, err);
        if (sub) { /* split again: read its partitions first */
            r->sets[r->depth] = sub;
            r->next[r->depth++] = 0;
        }
        if (!ok) return false;
        if (!sub) return true;
    }
}

/* The spilled source: each thread reads partitions into a table of its own and emits it. */
static bool agg_get_data_spilled(const agg_params *p, agg_spill_source *ss, agg_source_local *l, chunk *out,
                                 error *err) {
    if (!l->reader && !(l->reader = agg_spill_reader_create(p, l->pool, err))) return false;
    agg_spill_reader *r = l->reader;
    const block_list *blocks = &r->table.rows.blocks;
    while (!(r->block < blocks->count && r->position < blocks->entries[r->block].used)) {
        if (r->block < blocks->count) {
            r->block++;
            r->position = 0;
            continue;
        }
        if (!agg_spill_next_table(ss, r, err)) return !error_is_set(err);
    }
    return agg_emit_block(p, l, &blocks->entries[r->block], &r->position, true, out, err);
}

static bool agg_get_data(physical_op *op, exec_context *ctx, void *local, chunk *out, error *err) {
    (void)ctx;
    agg_params *p = op->params;
    agg_global *g = op->sink_state;
    agg_source_state *st = op->source_state;
    agg_source_local *l = local;
    out->count = 0;
    if (st->spill) return agg_get_data_spilled(p, st->spill, l, out, err);
    const block_list *blocks = &g->main.rows.blocks;
    for (;;) {
        if (l->has_block && l->position < blocks->entries[l->block].used) break;
        unsigned b = atomic_fetch_add(&st->next_block, 1);
        if (b >= blocks->count) return true;
        l->block = b;
        l->position = 0;
        l->has_block = true;
    }
    return agg_emit_block(p, l, &blocks->entries[l->block], &l->position, false, out, err);
}

/* ---- destroy ------------------------------------------------------------------------------ */

static void agg_destroy(physical_op *op) {
    agg_params *p = op->params;
    agg_global *g = op->sink_state;
    if (!g) return;
    agg_source_state *st = op->source_state;
    if (st) agg_spill_source_free(st->spill);
    agg_partitions_destroy(g->parts);
    g->parts = NULL;
    for (uint32_t a = 0; a < p->aggregate_count; a++) {
        agg_partitions_destroy(g->dparts[a]);
        g->dparts[a] = NULL;
    }
    pool_budget_unregister(&g->budget);
    group_table_free(&g->main);
    for (uint32_t a = 0; a < p->aggregate_count; a++) group_table_free(&g->distinct[a]);
    agg_global_free_arenas(g, g->main.pool);
    if (g->strings) arena_destroy(g->strings);
    if (g->lock_initialized) pthread_mutex_destroy(&g->lock);
    op->sink_state = NULL;
    op->source_state = NULL;
}

/* The row layouts of the aggregate: the groups (hash, keys of key_types, then the states of
 * p->aggregates) and, per DISTINCT aggregate, its (group, argument) pairs. */
static bool agg_init_shapes(agg_params *p, arena *a, const logical_type *in_types, const logical_type *key_types,
                            error *err) {
    uint32_t group_count = p->group_count, aggregate_count = p->aggregate_count;
    const aggregate_spec *aggregates = p->aggregates;
    /* states are 16-byte aligned (a state may hold an __int128): rows are a multiple of 16 bytes
     * and blocks are page aligned */
    uint64_t state_bytes = 0;
    p->has_distinct = false;
    for (uint32_t i = 0; i < aggregate_count; i++) {
        p->functions[i] = aggregates[i].fn;
        if (aggregates[i].distinct) p->has_distinct = true;
        state_bytes += (aggregates[i].fn.state_size + 15) & ~15u;
    }
    p->can_spill = group_count > 0 || p->has_distinct;
    memset(&p->main_shape, 0, sizeof p->main_shape);
    if (!row_layout_init(&p->main_shape.layout, a, key_types, group_count, sizeof(uint64_t),
                         (uint32_t)state_bytes + (aggregate_count ? 8 : 0), err))
        return false;
    row_layout *ml = &p->main_shape.layout;
    uint32_t off = (ml->extra_offset + 15) & ~15u;
    for (uint32_t i = 0; i < aggregate_count; i++) {
        p->state_offsets[i] = off;
        off += (aggregates[i].fn.state_size + 15) & ~15u;
    }
    if (aggregate_count) ml->width = (ml->width + 15) & ~15u;
    p->main_shape.functions = p->functions;
    p->main_shape.state_offsets = p->state_offsets;
    p->main_shape.function_count = aggregate_count;

    logical_type *dtypes = arena_alloc(a, sizeof(logical_type) * (group_count + 1), err);
    if (!dtypes) return false;
    memcpy(dtypes, key_types, sizeof(logical_type) * group_count);
    for (uint32_t i = 0; i < aggregate_count; i++) {
        group_shape *ds = &p->distinct_shapes[i];
        memset(ds, 0, sizeof *ds);
        uint32_t cols = group_count;
        if (aggregates[i].distinct) dtypes[cols++] = in_types[aggregates[i].arg_column];
        if (!row_layout_init(&ds->layout, a, dtypes, cols, sizeof(uint64_t), 0, err)) return false;
    }
    return true;
}

/* With GROUP BY, aggregates nobody reads are dropped (DISTINCT ones apart); the child then only
 * has to produce the group keys and the kept aggregates' arguments. */
static bool agg_prune(physical_op *op, arena *a, const bool *used, error *err) {
    agg_params *p = op->params;
    physical_op *child = op->children[0];
    if (!used || p->group_count == 0) return physical_prune(child, a, NULL, err);
    uint32_t kept = 0;
    for (uint32_t i = 0; i < p->aggregate_count; i++) {
        if (!used[p->output_columns[i]] && !p->aggregates[i].distinct) continue;
        p->aggregates[kept] = p->aggregates[i];
        p->output_columns[kept++] = p->output_columns[i];
    }
    if (kept < p->aggregate_count) {
        p->aggregate_count = kept;
        if (!agg_init_shapes(p, a, child->types, op->types, err)) return false;
    }
    bool *needed = physical_used_mask(a, child->column_count, err);
    if (!needed) return false;
    for (uint32_t j = 0; j < p->group_count; j++) needed[p->group_columns[j]] = true;
    for (uint32_t i = 0; i < p->aggregate_count; i++)
        if (p->aggregates[i].arg_column >= 0) needed[p->aggregates[i].arg_column] = true;
    return physical_prune(child, a, needed, err);
}

static const physical_op_vtable hash_aggregate_vtable = {
    .name = "HASH_GROUP_BY",
    .prune = agg_prune,
    .source_init = agg_source_init,
    .source_local_init = agg_source_local_init,
    .get_data = agg_get_data,
    .source_local_destroy = agg_source_local_destroy,
    .sink_init = agg_sink_init,
    .sink_local_init = agg_sink_local_init,
    .sink = agg_sink,
    .combine = agg_combine,
    .sink_local_destroy = agg_sink_local_destroy,
    .finalize = agg_finalize,
    .destroy = agg_destroy,
};

/* ---- construction ---------------------------------------------------------------------------- */

physical_op *hash_aggregate_create(arena *a, physical_op *child, const uint32_t *group_columns, uint32_t group_count,
                                   const aggregate_spec *aggregates, uint32_t aggregate_count, error *err) {
    const logical_type *in_types = child->types;
    for (uint32_t j = 0; j < group_count; j++)
        if (group_columns[j] >= child->column_count)
            return error_set(err, EIDER_ERROR_INTERNAL, "group column %u out of range", group_columns[j]), NULL;
    for (uint32_t i = 0; i < aggregate_count; i++) {
        int32_t c = aggregates[i].arg_column;
        if (c >= (int32_t)child->column_count || (aggregates[i].distinct && c < 0))
            return error_set(err, EIDER_ERROR_INTERNAL, "aggregate argument column %d out of range", c), NULL;
    }
    uint32_t out_count = group_count + aggregate_count;
    logical_type *types = arena_alloc(a, sizeof(logical_type) * (out_count + 1), err);
    agg_params *p = arena_alloc(a, sizeof *p, err);
    if (!types || !p) return NULL;
    memset(p, 0, sizeof *p);
    for (uint32_t j = 0; j < group_count; j++) types[j] = in_types[group_columns[j]];
    for (uint32_t i = 0; i < aggregate_count; i++) types[group_count + i] = aggregates[i].fn.result_type;
    physical_op *op = physical_op_create(a, &hash_aggregate_vtable, types, out_count, err);
    if (!op) return NULL;

    p->group_count = group_count;
    p->aggregate_count = aggregate_count;
    p->group_columns = arena_alloc(a, sizeof(uint32_t) * (group_count + 1), err);
    p->aggregates = arena_alloc(a, sizeof(aggregate_spec) * (aggregate_count + 1), err);
    p->functions = arena_alloc(a, sizeof(aggregate_function) * (aggregate_count + 1), err);
    p->state_offsets = arena_alloc(a, sizeof(uint32_t) * (aggregate_count + 1), err);
    p->distinct_shapes = arena_alloc(a, sizeof(group_shape) * (aggregate_count + 1), err);
    p->output_columns = arena_alloc(a, sizeof(uint32_t) * (aggregate_count + 1), err);
    if (!p->group_columns || !p->aggregates || !p->functions || !p->state_offsets || !p->distinct_shapes ||
        !p->output_columns)
        return NULL;
    if (group_count) memcpy(p->group_columns, group_columns, sizeof(uint32_t) * group_count);
    if (aggregate_count) memcpy(p->aggregates, aggregates, sizeof(aggregate_spec) * aggregate_count);

    for (uint32_t i = 0; i < aggregate_count; i++) p->output_columns[i] = group_count + i;
    if (!agg_init_shapes(p, a, in_types, types, err)) return NULL;
    op->params = p;
    op->children[0] = child;
    op->child_count = 1;
    op->estimated_rows = child->estimated_rows;
    return op;
}
