/*
 * hash_aggregate_internal.h — what the files of the hash aggregate share: hash_aggregate.c (the
 * operator: sink, combine, finalize, source) and agg_distinct.c (DISTINCT aggregates whose pairs
 * spilled). Nothing else includes this.
 */
#ifndef EIDER_HASH_AGGREGATE_INTERNAL_H
#define EIDER_HASH_AGGREGATE_INTERNAL_H

#include <pthread.h>

#include "execution/agg_spill.h"
#include "execution/group_table.h"
#include "execution/hash_aggregate.h"

typedef struct agg_params {
    uint32_t group_count;
    uint32_t *group_columns;
    uint32_t aggregate_count;
    aggregate_spec *aggregates;
    uint32_t *output_columns;      /* the output column of each aggregate */
    aggregate_function *functions; /* aggregates[a].fn, contiguous, for the shape */
    uint32_t *state_offsets;
    group_shape main_shape;
    group_shape *distinct_shapes; /* per aggregate; used where aggregates[a].distinct */
    bool has_distinct;
    bool can_spill; /* GROUP BY, or any DISTINCT aggregate */
} agg_params;

typedef struct arena_link {
    struct arena_link *next;
    arena *strings;
} arena_link;

/* Scratch for re-inserting rows of one table into another. */
typedef struct agg_scratch {
    group_scratch probe;
    uint8_t *source_rows[VECTOR_SIZE];
    void *states[VECTOR_SIZE];
    const vector *keys[]; /* group_count + 1 entries */
} agg_scratch;

typedef struct agg_global {
    pthread_mutex_t lock;
    bool lock_initialized;
    group_table main;
    group_table *distinct; /* aggregate_count tables */
    arena *strings;        /* strings of states created in finalize */
    arena_link *arenas;    /* string arenas of the combined thread-local states */
    pool_budget budget;
    bool spilled;          /* under lock: the groups go into parts (main is written there too) */
    agg_partitions *parts; /* level-0 partitions of every thread, once spilled */
    agg_partitions **dparts; /* per aggregate: the spilled (group, argument) pairs of every thread */
} agg_global;

bool agg_oom(error *err, const char *what);
/* Bytes of an agg_scratch for p's group columns. */
size_t agg_scratch_size(const agg_params *p);
/* Scratch vectors: count vectors with room for VECTOR_SIZE values of any type. */
bool agg_vectors_alloc(buffer_pool *pool, uint32_t count, vector **out, error *err);
/* Writes the rows of t (of the given shape) into *parts through *spill, both created on first
 * use, and empties t. */
bool agg_spill_into(buffer_pool *pool, const group_shape *shape, agg_spill **spill, agg_partitions **parts,
                    group_table *t, error *err);
/* dst takes over the blocks of *src (or *src itself when dst is empty). */
bool agg_partitions_adopt(agg_partitions **dst, agg_partitions **src, error *err);

/* A thread's reading of spilled pairs (agg_distinct.c). */
typedef struct agg_distinct_pass agg_distinct_pass;

/* Feeds the (group, argument) pairs of t, a distinct table of aggregate a, to a's states in the
 * groups of dst, created where missing; state strings go into strings. With ps (dst is then the
 * pass's partial groups), dst is first written out whenever it would pass half the pass's budget. */
bool agg_feed_distinct(const agg_params *p, uint32_t a, group_table *t, group_table *dst, arena *strings,
                       agg_distinct_pass *ps, vector *vectors, agg_scratch *s, error *err);
/* Finalize once spilled, for queries with DISTINCT aggregates: every thread deduplicates pairs and
 * the partial groups join g->parts; without GROUP BY the one row goes there too. */
bool agg_finalize_spilled(const agg_params *p, agg_global *g, exec_context *ctx, agg_scratch *s, error *err);

#endif
