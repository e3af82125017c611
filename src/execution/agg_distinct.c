/*
 * agg_distinct.c — the hash aggregate's DISTINCT aggregates once their (group, argument) pairs
 * spilled: the pairs are deduplicated a partition at a time by every thread of the query and fed
 * into partial groups (see hash_aggregate.c for the operator as a whole).
 */
#include <string.h>

#include "execution/hash_aggregate_internal.h"
#include "execution/key_hash.h"
#include "execution/scheduler.h"

/* Finalize once spilled. The pairs of each DISTINCT aggregate are read back one partition at a
 * time (a partition whose pairs would pass half a thread's budget is split again by the next hash
 * bits), which deduplicates them, and a partition's pairs are fed into `groups`: partial groups in
 * which only that aggregate's states are updated (the others keep their initial states, which
 * combine as nothing). A (group, argument) pair lands in exactly one partition, so the partial
 * groups of different partitions combine into the right result. Every thread of the query takes
 * part: each claims level-0 partitions one at a time and keeps a pass of its own (an equal share
 * of the budget), whose `groups` go into partitions of its own whenever they would pass the other
 * half of its share, and at the end; those join the global partitions, and the source then
 * combines them with the spilled groups like any other spilled rows. */
struct agg_distinct_pass {
    buffer_pool *pool;
    uint64_t budget;       /* this thread's share of the operator's budget */
    agg_spill *main_spill; /* writes groups */
    agg_spill *pair_spill; /* reads the pairs of the aggregate at hand */
    group_table pairs;     /* one partition's distinct pairs */
    arena *pair_strings;   /* the reader's arena for state strings: pairs have no states */
    group_table groups;    /* partial groups */
    arena *strings;        /* strings of the states of groups */
    agg_partitions *out;   /* the partial groups written out */
    agg_partitions *sets[AGG_SPILL_MAX_LEVEL + 1]; /* a partition split again, read depth first */
    uint32_t next[AGG_SPILL_MAX_LEVEL + 1];
    uint32_t depth;
    vector *vectors;       /* scratch of the thread */
    agg_scratch *scratch;
};

/* Writes the partial groups into the pass's partitions and empties them. */
static bool agg_pass_flush(const agg_params *p, agg_distinct_pass *ps, error *err) {
    if (!agg_spill_into(ps->pool, &p->main_shape, &ps->main_spill, &ps->out, &ps->groups, err)) return false;
    arena_reset(ps->strings);
    return true;
}

/* Feeds the (group, argument) pairs of t, a distinct table of aggregate a, to a's states in the
 * groups of dst, created where missing; state strings go into strings. With ps (dst is then
 * ps->groups), dst is first written out whenever it would pass half the pass's budget. */
bool agg_feed_distinct(const agg_params *p, uint32_t a, group_table *t, group_table *dst, arena *strings,
                       agg_distinct_pass *ps, vector *vectors, agg_scratch *s, error *err) {
    const row_layout *l = &t->shape->layout;
    const aggregate_function *fn = &p->functions[a];
    aggregate_context actx = {strings, err};
    for (uint32_t c = 0; c < l->column_count; c++) {
        vectors[c].type = l->types[c];
        s->keys[c] = &vectors[c];
    }
    uint32_t off = p->state_offsets[a];
    for (uint32_t b = 0; b < t->rows.blocks.count; b++) {
        block_entry *e = &t->rows.blocks.entries[b];
        for (uint64_t start = 0; start < e->used; start += VECTOR_SIZE) {
            uint32_t n = (uint32_t)(e->used - start < VECTOR_SIZE ? e->used - start : VECTOR_SIZE);
            if (ps && dst->count && group_table_bytes_after(dst, n) + arena_bytes(strings) > ps->budget / 2 &&
                !agg_pass_flush(p, ps, err))
                return false;
            for (uint32_t k = 0; k < n; k++) s->source_rows[k] = e->data + (start + k) * l->width;
            for (uint32_t c = 0; c < l->column_count; c++) row_gather(l, c, s->source_rows, n, &vectors[c], 0);
            key_hash_vectors(s->keys, p->group_count, n, s->probe.hashes);
            if (!group_table_find_or_create(dst, s->keys, n, &s->probe, err)) return false;
            for (uint32_t k = 0; k < n; k++) s->states[k] = s->probe.groups[k] + off;
            if (!fn->update(s->states, &vectors[p->group_count], n, &actx)) {
                if (!error_is_set(err)) error_set(err, EIDER_ERROR_INTERNAL, "aggregate %s failed", fn->name);
                return false;
            }
        }
    }
    return true;
}

static void agg_distinct_pass_free(agg_distinct_pass *ps) {
    for (uint32_t d = 0; d < ps->depth; d++) agg_partitions_destroy(ps->sets[d]);
    ps->depth = 0;
    group_table_free(&ps->pairs);
    group_table_free(&ps->groups);
    if (ps->pair_strings) arena_destroy(ps->pair_strings);
    if (ps->strings) arena_destroy(ps->strings);
    agg_spill_destroy(ps->main_spill);
    agg_spill_destroy(ps->pair_spill);
    agg_partitions_destroy(ps->out);
    if (ps->vectors) pool_free(ps->pool, ps->vectors);
    if (ps->scratch) pool_free(ps->pool, ps->scratch);
}

/* A pass for the pairs of aggregate a, with budget bytes. */
static bool agg_distinct_pass_init(const agg_params *p, uint32_t a, agg_distinct_pass *ps, buffer_pool *pool,
                                   uint64_t budget, error *err) {
    memset(ps, 0, sizeof *ps);
    ps->pool = pool;
    ps->budget = budget;
    group_table_init(&ps->pairs, &p->distinct_shapes[a], pool, TAG_HASH_TABLE);
    group_table_init(&ps->groups, &p->main_shape, pool, TAG_HASH_TABLE);
    ps->pair_strings = arena_create(pool, TAG_HASH_TABLE);
    ps->strings = arena_create(pool, TAG_HASH_TABLE);
    ps->scratch = pool_calloc(pool, 1, agg_scratch_size(p));
    ps->pair_spill = agg_spill_create(pool, &p->distinct_shapes[a], err);
    if (!ps->pair_strings || !ps->strings || !ps->scratch || !ps->pair_spill) return agg_oom(err, "aggregate finalize state");
    return agg_vectors_alloc(pool, p->group_count + 1, &ps->vectors, err);
}

/* Reads one partition of aggregate a's pairs at the given level: feeds its pairs, or when it had
 * to be split again, puts the set it was split into on the pass's stack. */
static bool agg_distinct_pass_read(const agg_params *p, uint32_t a, agg_distinct_pass *ps, block_list *part,
                                   uint32_t level, error *err) {
    agg_partitions *sub = NULL;
    bool ok = agg_spill_read_partition(ps->pair_spill, part, level, &ps->pairs, ps->pair_strings, ps->budget / 2, &sub,
                                       err);
    if (sub) {
        ps->sets[ps->depth] = sub;
        ps->next[ps->depth++] = 0;
    }
    if (!ok || sub) return ok;
    if (!agg_feed_distinct(p, a, &ps->pairs, &ps->groups, ps->strings, ps, ps->vectors, ps->scratch, err)) return false;
    group_table_reset(&ps->pairs);
    return true;
}

/* Reads, deduplicates and feeds one level-0 partition of aggregate a's pairs, with every
 * partition it is split into. */
static bool agg_distinct_pass_partition(const agg_params *p, uint32_t a, agg_distinct_pass *ps, block_list *part,
                                        error *err) {
    if (!agg_distinct_pass_read(p, a, ps, part, 0, err)) return false;
    while (ps->depth > 0) {
        uint32_t d = ps->depth - 1;
        agg_partitions *set = ps->sets[d];
        if (ps->next[d] == AGG_SPILL_PARTITIONS) {
            agg_partitions_destroy(set);
            ps->depth--;
            continue;
        }
        block_list *q = &set->parts[ps->next[d]++];
        if (q->count && !agg_distinct_pass_read(p, a, ps, q, set->level, err)) return false;
    }
    return true;
}

/* The threads' work on the pairs of one DISTINCT aggregate. */
typedef struct agg_distinct_job {
    const agg_params *p;
    agg_global *g;
    uint32_t a;
    agg_partitions *set;  /* the aggregate's level-0 partitions */
    atomic_uint next;     /* the next of them to claim */
    uint64_t budget;      /* each thread's share */
    atomic_bool *interrupted;
    atomic_bool failed;
    pthread_mutex_t lock; /* g->parts, err */
    error err;            /* the first failure */
} agg_distinct_job;

static void agg_distinct_task(void *arg, uint32_t index) {
    (void)index;
    agg_distinct_job *job = arg;
    const agg_params *p = job->p;
    agg_global *g = job->g;
    buffer_pool *pool = g->main.pool;
    pool_worker_enter(pool);
    error err;
    error_clear(&err);
    agg_distinct_pass ps;
    bool ok = agg_distinct_pass_init(p, job->a, &ps, pool, job->budget, &err);
    while (ok && !atomic_load(&job->failed)) {
        if (job->interrupted && atomic_load(job->interrupted)) {
            ok = error_set(&err, EIDER_ERROR_INTERRUPTED, "Interrupted!");
            break;
        }
        uint32_t i = atomic_fetch_add(&job->next, 1);
        if (i >= AGG_SPILL_PARTITIONS) break;
        if (job->set->parts[i].count) ok = agg_distinct_pass_partition(p, job->a, &ps, &job->set->parts[i], &err);
    }
    ok = ok && agg_pass_flush(p, &ps, &err);
    pthread_mutex_lock(&job->lock);
    ok = ok && agg_partitions_adopt(&g->parts, &ps.out, &err);
    if (!ok && !error_is_set(&job->err)) job->err = err;
    pthread_mutex_unlock(&job->lock);
    if (!ok) atomic_store(&job->failed, true);
    agg_distinct_pass_free(&ps);
    pool_worker_leave(pool);
}

bool agg_finalize_spilled(const agg_params *p, agg_global *g, exec_context *ctx, agg_scratch *s, error *err) {
    uint32_t threads = ctx->threads && ctx->scheduler ? ctx->threads : 1;
    for (uint32_t a = 0; a < p->aggregate_count; a++) {
        if (!p->aggregates[a].distinct || !g->dparts[a]) continue;
        agg_distinct_job job = {.p = p, .g = g, .a = a, .set = g->dparts[a], .interrupted = ctx->interrupted};
        g->dparts[a] = NULL;
        job.budget = pool_budget_bytes(&g->budget) / threads;
        atomic_init(&job.next, 0);
        atomic_init(&job.failed, false);
        pthread_mutex_init(&job.lock, NULL);
        error_clear(&job.err);
        if (threads > 1) scheduler_run(ctx->scheduler, threads, agg_distinct_task, &job);
        else agg_distinct_task(&job, 0);
        agg_partitions_destroy(job.set);
        pthread_mutex_destroy(&job.lock);
        if (atomic_load(&job.failed)) {
            *err = job.err;
            return false;
        }
    }
    if (p->group_count > 0) return true;
    /* without GROUP BY, the one row, whatever was spilled */
    group_table one;
    group_table_init(&one, &p->main_shape, ctx->pool, TAG_HASH_TABLE);
    agg_spill *spill = NULL;
    s->probe.hashes[0] = 0;
    bool ok = group_table_find_or_create(&one, s->keys, 1, &s->probe, err) &&
              agg_spill_into(ctx->pool, &p->main_shape, &spill, &g->parts, &one, err);
    agg_spill_destroy(spill);
    group_table_free(&one);
    return ok;
}
