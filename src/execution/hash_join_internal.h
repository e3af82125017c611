/*
 * hash_join_internal.h — what the two halves of the hash join share: hash_join.c (the build
 * sink, finalize and the streaming probe) and hash_join_tail.c (the tail pipeline's source: the
 * spilled partitions). Not for use outside the hash join.
 */
#ifndef EIDER_HASH_JOIN_INTERNAL_H
#define EIDER_HASH_JOIN_INTERNAL_H

#include <pthread.h>
#include <string.h>

#include "execution/hash_join.h"
#include "execution/join_spill.h"
#include "execution/row_layout.h"

#define JOIN_HEADER 16 /* hash, next row */
#define PROBE_HEADER 8 /* hash */
#define NO_SLOT UINT64_MAX
#define SPILL_MAX_LEVEL 5 /* partitions at this level are not split again */
#define DEFERRED 2        /* found[i]: the probe row went to a spilled partition */
/* The match byte of a build row of a RIGHT or FULL join (join_params.match_offset). */
#define BUILD_UNMATCHED 0
#define BUILD_MATCHED 1
#define BUILD_NULL_KEY 2 /* a key is NULL: never linked into a table, emitted as unmatched */

typedef struct join_params {
    join_type type;
    uint32_t key_count;
    uint32_t *probe_keys;
    uint32_t *build_keys;
    uint32_t probe_columns, build_columns;
    uint32_t probe_at, build_at; /* where the probe's and the build's columns start in the output */
    bool keep_probe;       /* LEFT, FULL: probe rows without a match are emitted */
    bool keep_build;       /* RIGHT, FULL: build rows without a match are emitted by the tail */
    uint32_t match_offset; /* keep_build: the match byte of a build row (BUILD_...) */
    row_layout layout;     /* build rows: every build column */
    bool integer_key;  /* one key of an integer physical type: direct mode is possible */
    const bool *used;  /* output columns read downstream (NULL: all) */
    bool *build_used;  /* build columns kept in the rows (NULL: all) */
    /* spilled probe rows: the probe columns read downstream and the keys */
    row_layout probe_layout;
    uint32_t *probe_cols; /* probe column of each column of probe_layout */
} join_params;

/* A hash table over build rows: what the probe reads. */
typedef struct join_table {
    block_handle *directory_block;
    uint8_t **directory;
    uint64_t mask;
    bool direct;               /* directory indexed by key - key_min */
    bool dense;                /* build columns in arrays indexed by key - key_min (hash_join.c) */
    block_handle *dense_block;
    uint64_t *present;         /* bit per slot: a build row has this key */
    uint64_t *dense_matched;   /* RIGHT, FULL: bit per slot, a probe row matched it */
    uint64_t **dense_valid;    /* per build column: bit per slot, the value is not NULL */
    uint8_t **dense_values;    /* per build column: per slot value */
    bool *dense_has_null;      /* per build column: some build value is NULL */
    int64_t key_min, key_max;  /* of the build keys (integer_key) */
} join_table;

/* A spilled partition still to join: its build rows and probe rows. */
typedef struct join_task {
    uint32_t level;
    bool unsplittable; /* splitting it again put every build row in one partition */
    join_run build, probe;
} join_task;

_Static_assert(JOIN_SPILL_PARTS <= 64, "join_global.resident has a bit per partition");

typedef struct join_global {
    pthread_mutex_t lock;
    bool lock_initialized;
    buffer_pool *pool;
    uint32_t threads;
    row_store rows;
    string_heap strings;
    join_table t;
    bool has_keys;
    uint64_t null_rows; /* RIGHT, FULL: build rows with a NULL key */
    /* spilling */
    pool_budget budget;
    _Atomic uint64_t build_bytes; /* blocks of the build rows of every thread */
    uint64_t store_counted;       /* the part of build_bytes that rows and strings hold */
    atomic_bool spilling;         /* the build is being partitioned */
    bool spilled;                 /* finalize partitioned the build: the tail has work */
    uint64_t resident;            /* bit per partition: joined while the probe streams */
    join_run resident_rows;       /* their build rows, pinned and linked into t */
    join_run build_parts[JOIN_SPILL_PARTS];
    join_run probe_parts[JOIN_SPILL_PARTS];
    join_task *tasks; /* pool_malloc'ed (METADATA): spilled partitions not yet taken */
    uint32_t task_count, task_capacity;
    uint32_t tail_threads; /* tail threads running */
    /* keep_build: the tail's scan of the build rows the probe pipelines joined (the in-memory
     * rows, or the resident partitions' rows, unpinned after the probe) */
    block_list *scan;            /* &rows.blocks or &resident_rows.blocks; NULL: nothing to scan */
    bool scan_spilled;           /* the blocks are join_run blocks (pin them to read them) */
    _Atomic uint32_t scan_next;  /* next block to take */
    _Atomic uint64_t dense_next; /* the same in dense mode (t.dense): the next slot to take */
} join_global;

typedef enum probe_phase { PROBE_START, PROBE_MATCHING, PROBE_LEFT_TAIL } probe_phase;

typedef struct join_probe_local {
    buffer_pool *pool;
    probe_phase phase;
    uint32_t n_active;
    join_spill_parts *spill; /* probe rows of spilled partitions (NULL until one comes) */
    uint64_t hashes[VECTOR_SIZE];
    uint64_t slots[VECTOR_SIZE]; /* directory slot of each probe row (NO_SLOT: none) */
    uint8_t *ptrs[VECTOR_SIZE];  /* current chain position of each probe row */
    uint8_t found[VECTOR_SIZE];
    uint32_t active[VECTOR_SIZE];
    uint32_t compare[VECTOR_SIZE];
    uint32_t no_match[VECTOR_SIZE];
    uint32_t deferred[VECTOR_SIZE];
    uint32_t out_sel[VECTOR_SIZE];
    uint8_t *out_rows[VECTOR_SIZE];
    const vector *keys[];
} join_probe_local;

static inline uint8_t *row_next(const uint8_t *row) {
    uint8_t *n;
    memcpy(&n, row + 8, sizeof n);
    return n;
}
static inline void row_set_next(uint8_t *row, uint8_t *next) { memcpy(row + 8, &next, sizeof next); }

/* Directory bytes of a hashed table over n rows. */
static inline uint64_t directory_bytes(uint64_t n) {
    uint64_t cap = 64;
    while (cap < n * 2) cap *= 2;
    return cap * sizeof(uint8_t *);
}

/* Probe column c, build column c: read downstream (so emitted)? */
static inline bool join_probe_read(const join_params *p, uint32_t c) { return !p->used || p->used[p->probe_at + c]; }
static inline bool join_build_read(const join_params *p, uint32_t c) { return !p->used || p->used[p->build_at + c]; }

/* keep_build: the probe found build row `row`. Threads may find the same row at once. */
static inline void join_mark_matched(const join_params *p, uint8_t *row) {
    uint8_t *m = row + p->match_offset;
    if (__atomic_load_n(m, __ATOMIC_RELAXED) != BUILD_MATCHED) __atomic_store_n(m, BUILD_MATCHED, __ATOMIC_RELAXED);
}

static inline bool hash_join_oom(error *err, const char *what) {
    return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate %s", what);
}

/* ---- hash_join.c ---------------------------------------------------------------------------- */

void join_table_free(join_table *t);
/* Empties t but keeps its directory block for the next load (join_table_free frees it). */
void join_table_reset(join_table *t);
/* Builds a hashed table over the rows of blocks [from, to) of run: the blocks are pinned (and
 * stay pinned until they are freed) and their rows linked into a directory (the one t kept when
 * it has the size needed, else a new one). */
bool join_table_load_blocks(const join_params *p, join_table *t, join_run *run, uint32_t from, uint32_t to,
                            buffer_pool *pool, error *err);
bool join_table_load(const join_params *p, join_table *t, join_run *run, buffer_pool *pool, error *err);

join_probe_local *join_probe_local_create(const join_params *p, buffer_pool *pool, error *err);
void join_probe_local_destroy(join_probe_local *l);
/* Hashes the input's keys and points every probe row with non-NULL keys at its chain. With
 * resident (the build spilled), rows of partitions that are not resident are marked DEFERRED and
 * listed in l->deferred instead; returns their number. */
uint32_t join_probe_begin(const join_params *p, const join_table *g, join_probe_local *l, const chunk *in,
                          const uint64_t *resident);
/* Compares every active probe row with the build row its chain is at: leaves the matching probe
 * rows in l->compare and returns their number. */
uint32_t join_probe_round(const join_params *p, const join_table *g, join_probe_local *l);
/* Moves every active chain one step; finished chains (and with drop_found, matched rows) leave
 * the active set. */
void join_probe_advance(join_probe_local *l, bool drop_found);
/* Writes n output rows at out_start: probe rows sel[k], and build rows rows[k] (rows NULL: the
 * build columns are NULL). */
void join_emit(const join_params *p, const chunk *in, chunk *out, uint32_t out_start, const uint32_t *sel,
               uint8_t *const *rows, uint32_t n, bool with_build);
/* Joins one input chunk against table g (l->phase PROBE_START: a new chunk). resident: see
 * join_probe_begin; deferred rows are written into l's probe partitions. */
op_result join_probe_chunk(const join_params *p, const join_table *g, join_probe_local *l, const chunk *in,
                           chunk *out, const uint64_t *resident, error *err);

/* Dense mode, RIGHT and FULL: writes into out the build rows of slots [*pos, end) that no probe
 * row matched, up to VECTOR_SIZE of them, with NULL probe columns; advances *pos. */
void join_dense_emit_unmatched(const join_params *p, const join_table *g, uint64_t *pos, uint64_t end, chunk *out);

/* ---- hash_join_tail.c ------------------------------------------------------------------------ */

void join_task_free(join_task *t);
/* The tail pipeline's source (physical.h): after the probe pipelines, the spilled partitions. */
bool join_source_init(physical_op *op, exec_context *ctx, error *err);
void *join_source_local_init(physical_op *op, exec_context *ctx, error *err);
bool join_get_data(physical_op *op, exec_context *ctx, void *local, chunk *out, error *err);
void join_source_local_destroy(physical_op *op, void *local);

#endif
