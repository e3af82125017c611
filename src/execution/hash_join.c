/*
 * hash_join.c — equality hash join.
 *
 * Build (sink): each thread appends the build rows whose keys are all non-NULL, with their key
 * hash, to its own row store; combine moves the thread's blocks into the global store (no copy).
 * finalize links every row into a chained hash table: a directory of row pointers in its own
 * pool block, a power of two at least twice the row count; a row's header holds its hash and the
 * next row of its chain.
 *
 * Probe (streaming): hashes a chunk's keys, then walks the chains of all rows together, one step
 * per round: rows whose candidate has the same hash compare keys column-wise; matches are emitted
 * as (probe row, build row) pairs. A round starts only while the output chunk has room for one
 * match per active row, so one input chunk may produce several output chunks.
 *
 * Direct mode: with one integer key whose build values span a range no wider than twice the
 * build rows, the directory is indexed by key - min instead of by hash. A chain then holds only
 * rows with the probe row's key, so the probe neither hashes nor compares: every step is a match.
 *
 * Dense mode: when, in addition, no build key repeats, finalize moves the build columns into
 * arrays indexed by key - min (a presence byte, then per column a validity byte and the value)
 * and frees the rows. A probe row then costs one lookup in arrays that are a fraction of the
 * rows' size, and produces at most one output row, in input order.
 */
#include "execution/hash_join.h"

#include <pthread.h>
#include <string.h>

#include "execution/key_hash.h"
#include "execution/row_layout.h"

#define JOIN_HEADER 16 /* hash, next row */
#define NO_SLOT UINT64_MAX

typedef struct join_params {
    join_type type;
    uint32_t key_count;
    uint32_t *probe_keys;
    uint32_t *build_keys;
    uint32_t probe_columns, build_columns;
    row_layout layout; /* build rows: every build column */
    bool integer_key;  /* one key of an integer physical type: direct mode is possible */
    const bool *used;  /* output columns read downstream (NULL: all) */
    bool *build_used;  /* build columns kept in the rows (NULL: all) */
} join_params;

typedef struct join_global {
    pthread_mutex_t lock;
    bool lock_initialized;
    row_store rows;
    string_heap strings;
    block_handle *directory_block;
    uint8_t **directory;
    uint64_t mask;
    bool direct;               /* directory indexed by key - key_min */
    bool dense;                /* build columns in arrays indexed by key - key_min (see above) */
    block_handle *dense_block;
    uint64_t *present;         /* bit per slot: a build row has this key */
    uint64_t **dense_valid;    /* per build column: bit per slot, the value is not NULL */
    uint8_t **dense_values;    /* per build column: per slot value */
    bool *dense_has_null;      /* per build column: some build value is NULL */
    int64_t key_min, key_max;  /* of the build keys (integer_key) */
    bool has_keys;
} join_global;

typedef struct join_build_local {
    buffer_pool *pool;
    row_store rows;
    string_heap strings;
    uint64_t hashes[VECTOR_SIZE];
    uint8_t *row_ptrs[VECTOR_SIZE];
    uint32_t sel[VECTOR_SIZE];
    int64_t key_min, key_max;
    bool has_keys;
    const vector *keys[];
} join_build_local;

typedef enum probe_phase { PROBE_START, PROBE_MATCHING, PROBE_LEFT_TAIL } probe_phase;

typedef struct join_probe_local {
    buffer_pool *pool;
    probe_phase phase;
    uint32_t n_active;
    uint64_t hashes[VECTOR_SIZE];
    uint64_t slots[VECTOR_SIZE]; /* directory slot of each probe row (NO_SLOT: none) */
    uint8_t *ptrs[VECTOR_SIZE];  /* current chain position of each probe row */
    uint8_t found[VECTOR_SIZE];
    uint32_t active[VECTOR_SIZE];
    uint32_t compare[VECTOR_SIZE];
    uint32_t no_match[VECTOR_SIZE];
    uint32_t out_sel[VECTOR_SIZE];
    uint8_t *out_rows[VECTOR_SIZE];
    const vector *keys[];
} join_probe_local;

static inline uint64_t row_hash(const uint8_t *row) {
    uint64_t h;
    memcpy(&h, row, sizeof h);
    return h;
}
static inline uint8_t *row_next(const uint8_t *row) {
    uint8_t *n;
    memcpy(&n, row + 8, sizeof n);
    return n;
}
static inline void row_set_next(uint8_t *row, uint8_t *next) { memcpy(row + 8, &next, sizeof next); }

/* Integer key i of v (a key of a 4- or 8-byte integer physical type). */
static inline int64_t integer_key_at(const vector *v, bool wide, uint32_t i) {
    return wide ? ((const int64_t *)v->data)[i] : ((const int32_t *)v->data)[i];
}

static inline bool wide_key(const vector *v) { return type_physical_size(v->type) == 8; }

static inline int64_t row_integer_key(const join_params *p, const uint8_t *row) {
    const uint8_t *at = row + p->layout.offsets[p->build_keys[0]];
    if (type_physical_size(p->layout.types[p->build_keys[0]]) == 4) {
        int32_t v;
        memcpy(&v, at, 4);
        return v;
    }
    int64_t v;
    memcpy(&v, at, 8);
    return v;
}

static inline bool bit_test(const uint64_t *bits, uint64_t i) { return (bits[i >> 6] >> (i & 63)) & 1; }
static inline void bit_set(uint64_t *bits, uint64_t i) { bits[i >> 6] |= (uint64_t)1 << (i & 63); }

static bool oom(error *err, const char *what) {
    return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate %s", what);
}

/* Collects in sel the rows < count whose key columns are all valid; returns their number. */
static uint32_t rows_with_valid_keys(const vector *const *keys, uint32_t key_count, uint32_t count, uint32_t *sel) {
    bool all = true;
    for (uint32_t j = 0; j < key_count; j++) all = all && vector_all_valid(keys[j], count);
    uint32_t n = 0;
    for (uint32_t i = 0; i < count; i++) {
        bool ok = true;
        for (uint32_t j = 0; !all && ok && j < key_count; j++) ok = vector_is_valid(keys[j], i);
        if (ok) sel[n++] = i;
    }
    return n;
}

/* ---- build side ---------------------------------------------------------------------------- */

static bool join_sink_init(physical_op *op, exec_context *ctx, error *err) {
    join_params *p = op->params;
    join_global *g = arena_alloc(ctx->arena, sizeof *g, err);
    if (!g) return false;
    row_store_init(&g->rows, &p->layout, ctx->pool, TAG_HASH_TABLE);
    string_heap_init(&g->strings, ctx->pool, TAG_HASH_TABLE);
    pthread_mutex_init(&g->lock, NULL);
    g->lock_initialized = true;
    op->sink_state = g;
    return true;
}

static void *join_sink_local_init(physical_op *op, exec_context *ctx, error *err) {
    join_params *p = op->params;
    join_build_local *l = pool_calloc(ctx->pool, 1, sizeof *l + sizeof(const vector *) * p->key_count);
    if (!l) {
        oom(err, "join build state");
        return NULL;
    }
    l->pool = ctx->pool;
    row_store_init(&l->rows, &p->layout, ctx->pool, TAG_HASH_TABLE);
    string_heap_init(&l->strings, ctx->pool, TAG_HASH_TABLE);
    return l;
}

static void join_sink_local_destroy(physical_op *op, void *local) {
    (void)op;
    join_build_local *l = local;
    if (!l) return;
    row_store_free(&l->rows);
    string_heap_free(&l->strings);
    pool_free(l->pool, l);
}

static bool join_sink(physical_op *op, exec_context *ctx, void *local, chunk *in, error *err) {
    (void)ctx;
    join_params *p = op->params;
    join_build_local *l = local;
    for (uint32_t j = 0; j < p->key_count; j++) l->keys[j] = &in->columns[p->build_keys[j]];
    /* rows with a NULL key never match: they are not kept */
    uint32_t n = rows_with_valid_keys(l->keys, p->key_count, in->count, l->sel);
    if (n == 0) return true;
    key_hash_vectors(l->keys, p->key_count, in->count, l->hashes);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = l->sel[k];
        uint8_t *row = row_store_append_one(&l->rows, err);
        if (!row) return false;
        l->row_ptrs[i] = row;
        memcpy(row, &l->hashes[i], sizeof(uint64_t));
    }
    if (p->integer_key) {
        int64_t lo = l->has_keys ? l->key_min : INT64_MAX, hi = l->has_keys ? l->key_max : INT64_MIN;
        bool wide = wide_key(l->keys[0]);
        for (uint32_t k = 0; k < n; k++) {
            int64_t key = integer_key_at(l->keys[0], wide, l->sel[k]);
            lo = key < lo ? key : lo;
            hi = key > hi ? key : hi;
        }
        l->key_min = lo, l->key_max = hi, l->has_keys = true;
    }
    for (uint32_t c = 0; c < p->build_columns; c++)
        if ((!p->build_used || p->build_used[c]) &&
            !row_scatter(&p->layout, c, &in->columns[c], l->sel, n, l->row_ptrs, &l->strings, err))
            return false;
    return true;
}

static bool join_combine(physical_op *op, exec_context *ctx, void *local, error *err) {
    (void)ctx;
    join_global *g = op->sink_state;
    join_build_local *l = local;
    if (!l) return true;
    pthread_mutex_lock(&g->lock);
    bool ok = string_heap_move(&g->strings, &l->strings, err) && row_store_move(&g->rows, &l->rows, err);
    if (ok && l->has_keys) {
        g->key_min = !g->has_keys || l->key_min < g->key_min ? l->key_min : g->key_min;
        g->key_max = !g->has_keys || l->key_max > g->key_max ? l->key_max : g->key_max;
        g->has_keys = true;
    }
    pthread_mutex_unlock(&g->lock);
    return ok;
}

/* Direct mode pays when the key range is at most twice the rows (the hashed directory has between
 * two and four slots per row). */
static bool use_direct(const join_params *p, const join_global *g, uint64_t n) {
    if (!p->integer_key || !g->has_keys) return false;
    uint64_t range = (uint64_t)g->key_max - (uint64_t)g->key_min; /* wraps correctly: max >= min */
    return range < 2 * n + 64;
}

/* Bytes of a dense value array, rounded up so the next array stays 8-byte aligned. */
static uint64_t array_bytes(uint64_t slots, logical_type t) { return (slots * type_physical_size(t) + 7) / 8 * 8; }

/* Moves the build rows into the dense arrays (g->dense), unless a key repeats (g->dense stays false
 * and nothing is kept). */
static bool build_dense(const join_params *p, join_global *g, arena *a, error *err) {
    uint64_t slots = (uint64_t)g->key_max - (uint64_t)g->key_min + 1;
    const row_layout *layout = &p->layout;
    uint64_t bitmap_bytes = (slots + 63) / 64 * 8;
    uint64_t bytes = bitmap_bytes * (1 + p->build_columns);
    for (uint32_t c = 0; c < p->build_columns; c++) bytes += array_bytes(slots, layout->types[c]);
    block_handle *h = block_alloc(g->rows.blocks.pool, TAG_HASH_TABLE, BLOCK_TEMPORARY, bytes, err);
    uint64_t **valid = arena_alloc(a, sizeof(uint64_t *) * (p->build_columns + 1), err);
    uint8_t **values = arena_alloc(a, sizeof(uint8_t *) * (p->build_columns + 1), err);
    bool *has_null = arena_alloc(a, sizeof(bool) * (p->build_columns + 1), err);
    if (!h || !valid || !values || !has_null) {
        if (h) block_free(h);
        return false;
    }
    /* values first (8-byte aligned at the block start), then the bytes */
    uint8_t *at = block_data(h);
    for (uint32_t c = 0; c < p->build_columns; c++) {
        values[c] = at;
        at += array_bytes(slots, layout->types[c]);
    }
    for (uint32_t c = 0; c < p->build_columns; c++, at += bitmap_bytes) valid[c] = (uint64_t *)at;
    uint64_t *present = (uint64_t *)at;
    uint32_t width = layout->width;
    for (uint32_t b = 0; b < g->rows.blocks.count; b++) {
        block_entry *e = &g->rows.blocks.entries[b];
        for (uint64_t r = 0; r < e->used; r++) {
            const uint8_t *row = e->data + r * width;
            uint64_t slot = (uint64_t)row_integer_key(p, row) - (uint64_t)g->key_min;
            if (bit_test(present, slot)) { /* a repeated key: chains are needed */
                block_free(h);
                return true;
            }
            bit_set(present, slot);
            for (uint32_t c = 0; c < p->build_columns; c++) {
                size_t size = type_physical_size(layout->types[c]);
                memcpy(values[c] + slot * size, row + layout->offsets[c], size);
                if (row_is_valid(layout, row, c)) bit_set(valid[c], slot);
                else has_null[c] = true;
            }
        }
    }
    g->dense = true;
    g->dense_block = h;
    g->present = present;
    g->dense_valid = valid;
    g->dense_values = values;
    g->dense_has_null = has_null;
    row_store_free(&g->rows); /* long strings stay in g->strings */
    return true;
}

static bool join_finalize(physical_op *op, exec_context *ctx, error *err) {
    join_params *p = op->params;
    join_global *g = op->sink_state;
    uint64_t n = g->rows.row_count;
    if (n == 0) return true;
    g->direct = use_direct(p, g, n);
    if (g->direct) {
        if (!build_dense(p, g, ctx->arena, err)) return false;
        if (g->dense) return true;
    }
    uint64_t cap = 64;
    if (g->direct) cap = (uint64_t)g->key_max - (uint64_t)g->key_min + 1;
    else
        while (cap < n * 2) cap *= 2;
    g->directory_block = block_alloc(g->rows.blocks.pool, TAG_HASH_TABLE, BLOCK_TEMPORARY, cap * sizeof(uint8_t *), err);
    if (!g->directory_block) return false;
    g->directory = block_data(g->directory_block);
    g->mask = cap - 1;
    uint32_t width = g->rows.layout->width;
    for (uint32_t b = 0; b < g->rows.blocks.count; b++) {
        block_entry *e = &g->rows.blocks.entries[b];
        for (uint64_t r = 0; r < e->used; r++) {
            uint8_t *row = e->data + r * width;
            uint64_t slot = g->direct ? (uint64_t)row_integer_key(p, row) - (uint64_t)g->key_min : row_hash(row) & g->mask;
            uint8_t **head = &g->directory[slot];
            row_set_next(row, *head);
            *head = row;
        }
    }
    return true;
}

/* ---- probe side ------------------------------------------------------------------------------- */

static void *join_op_local_init(physical_op *op, exec_context *ctx, error *err) {
    join_params *p = op->params;
    join_probe_local *l = pool_calloc(ctx->pool, 1, sizeof *l + sizeof(const vector *) * p->key_count);
    if (!l) {
        oom(err, "join probe state");
        return NULL;
    }
    l->pool = ctx->pool;
    l->phase = PROBE_START;
    return l;
}

static void join_op_local_destroy(physical_op *op, void *local) {
    (void)op;
    join_probe_local *l = local;
    if (l) pool_free(l->pool, l);
}

/* Starts loading the first row of every active chain: the chains are walked in rounds over the
 * whole chunk, so the loads of all rows overlap instead of each stalling its round. */
static void prefetch_rows(const join_probe_local *l) {
    for (uint32_t k = 0; k < l->n_active; k++) __builtin_prefetch(l->ptrs[l->active[k]]);
}

/* Hashes the input's keys and points every probe row with non-NULL keys at its chain. */
static void probe_begin(const join_params *p, const join_global *g, join_probe_local *l, const chunk *in) {
    for (uint32_t j = 0; j < p->key_count; j++) l->keys[j] = &in->columns[p->probe_keys[j]];
    memset(l->found, 0, in->count);
    l->n_active = 0;
    if (!g->directory) return;
    uint32_t n = rows_with_valid_keys(l->keys, p->key_count, in->count, l->compare);
    /* the directory slot of every row, in l->slots; then all slots are loaded at once */
    if (g->direct) {
        uint64_t range = (uint64_t)g->key_max - (uint64_t)g->key_min;
        bool wide = wide_key(l->keys[0]);
        for (uint32_t k = 0; k < n; k++) {
            uint32_t i = l->compare[k];
            uint64_t slot = (uint64_t)integer_key_at(l->keys[0], wide, i) - (uint64_t)g->key_min;
            l->slots[i] = slot <= range ? slot : NO_SLOT;
        }
    } else {
        key_hash_vectors(l->keys, p->key_count, in->count, l->hashes);
        for (uint32_t k = 0; k < n; k++) l->slots[l->compare[k]] = l->hashes[l->compare[k]] & g->mask;
    }
    for (uint32_t k = 0; k < n; k++) {
        uint64_t slot = l->slots[l->compare[k]];
        if (slot != NO_SLOT) __builtin_prefetch(&g->directory[slot]);
    }
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = l->compare[k];
        uint8_t *head = l->slots[i] != NO_SLOT ? g->directory[l->slots[i]] : NULL;
        l->ptrs[i] = head;
        if (head) l->active[l->n_active++] = i;
    }
    prefetch_rows(l);
}

/* Compares every active probe row with the build row its chain is at: leaves the matching probe
 * rows in l->compare and returns their number. */
static uint32_t probe_round(const join_params *p, const join_global *g, join_probe_local *l) {
    if (g->direct) { /* a chain holds only rows with the probe key */
        memcpy(l->compare, l->active, sizeof(uint32_t) * l->n_active);
        return l->n_active;
    }
    uint32_t n_compare = 0;
    for (uint32_t k = 0; k < l->n_active; k++) {
        uint32_t i = l->active[k];
        if (row_hash(l->ptrs[i]) == l->hashes[i]) l->compare[n_compare++] = i;
    }
    uint32_t n_no_match = 0;
    uint32_t matched = row_match(&p->layout, p->build_keys, l->keys, p->key_count, l->compare, n_compare, l->ptrs,
                                 l->no_match, &n_no_match);
    return matched;
}

/* Moves every active chain one step; finished chains (and with drop_found, matched rows) leave
 * the active set. */
static void probe_advance(join_probe_local *l, bool drop_found) {
    uint32_t n = 0;
    for (uint32_t k = 0; k < l->n_active; k++) {
        uint32_t i = l->active[k];
        if (drop_found && l->found[i]) continue;
        l->ptrs[i] = row_next(l->ptrs[i]);
        if (l->ptrs[i]) l->active[n++] = i;
    }
    l->n_active = n;
}

/* Writes n output rows at out_start: probe rows sel[k], and build rows rows[k] (rows NULL: the
 * build columns are NULL). */
static void join_emit(const join_params *p, const chunk *in, chunk *out, uint32_t out_start, const uint32_t *sel,
                      uint8_t *const *rows, uint32_t n, bool with_build) {
    if (n == 0) return;
    for (uint32_t c = 0; c < p->probe_columns; c++)
        if (!p->used || p->used[c]) vector_select(&out->columns[c], out_start, &in->columns[c], sel, n);
    if (!with_build) return;
    for (uint32_t c = 0; c < p->build_columns; c++) {
        if (p->used && !p->used[p->probe_columns + c]) continue;
        vector *v = &out->columns[p->probe_columns + c];
        if (rows) row_gather(&p->layout, c, rows, n, v, out_start);
        else vector_set_null_range(v, out_start, n);
    }
}

static op_result join_execute_semi_anti(const join_params *p, const join_global *g, join_probe_local *l, chunk *in,
                                        chunk *out) {
    while (l->n_active > 0) {
        uint32_t m = probe_round(p, g, l);
        for (uint32_t k = 0; k < m; k++) l->found[l->compare[k]] = 1;
        probe_advance(l, true);
    }
    bool want = p->type == JOIN_SEMI;
    uint32_t n = 0;
    for (uint32_t i = 0; i < in->count; i++)
        if ((l->found[i] != 0) == want) l->out_sel[n++] = i;
    join_emit(p, in, out, 0, l->out_sel, NULL, n, false);
    out->count = n;
    l->phase = PROBE_START;
    return OP_NEED_MORE_INPUT;
}

/* Writes build column c of the dense arrays at slots[k] (NO_SLOT: NULL) into v rows [0, n).
 * all_hit: no slot is NO_SLOT. */
static void dense_gather(const join_params *p, const join_global *g, uint32_t c, const uint64_t *slots, uint32_t n,
                         bool all_hit, vector *v) {
    const uint64_t *valid = g->dense_valid[c];
    const uint8_t *values = g->dense_values[c];
    size_t size = type_physical_size(p->layout.types[c]);
#define DENSE_GATHER(T)                                                                                 \
    for (uint32_t k = 0; k < n; k++)                                                                  \
        if (all_hit || slots[k] != NO_SLOT) ((T *)v->data)[k] = ((const T *)values)[slots[k]];
    switch (size) {
    case 1: DENSE_GATHER(uint8_t); break;
    case 4: DENSE_GATHER(uint32_t); break;
    case 8: DENSE_GATHER(uint64_t); break;
    default: DENSE_GATHER(string_t); break;
    }
#undef DENSE_GATHER
    if (all_hit && !g->dense_has_null[c]) {
        vector_set_all_valid(v);
        return;
    }
    for (uint32_t k = 0; k < n; k++) vector_set_validity(v, k, slots[k] != NO_SLOT && bit_test(valid, slots[k]));
}

/* Probes one chunk against the dense arrays: at most one build row per probe row, so the output
 * never outgrows the input and keeps its order. */
static op_result join_execute_dense(const join_params *p, const join_global *g, join_probe_local *l, const chunk *in,
                                    chunk *out) {
    const vector *key = &in->columns[p->probe_keys[0]];
    uint64_t range = (uint64_t)g->key_max - (uint64_t)g->key_min;
    bool all_valid = vector_all_valid(key, in->count), wide = wide_key(key);
    /* the value arrays to prefetch from: the build columns read downstream */
    const uint8_t *arrays[p->build_columns + 1];
    size_t sizes[p->build_columns + 1];
    uint32_t n_arrays = 0;
    for (uint32_t c = 0; p->type != JOIN_SEMI && p->type != JOIN_ANTI && c < p->build_columns; c++)
        if (!p->used || p->used[p->probe_columns + c]) {
            arrays[n_arrays] = g->dense_values[c];
            sizes[n_arrays++] = type_physical_size(p->layout.types[c]);
        }
    for (uint32_t i = 0; i < in->count; i++) {
        uint64_t slot = (uint64_t)integer_key_at(key, wide, i) - (uint64_t)g->key_min;
        bool hit = (all_valid || vector_is_valid(key, i)) && slot <= range && bit_test(g->present, slot);
        l->slots[i] = hit ? slot : NO_SLOT;
        if (hit)
            for (uint32_t a = 0; a < n_arrays; a++) __builtin_prefetch(arrays[a] + slot * sizes[a]);
    }
    uint32_t n = 0;
    bool all_hit = p->type != JOIN_LEFT;
    if (p->type == JOIN_LEFT) {
        memcpy(l->hashes, l->slots, sizeof(uint64_t) * in->count); /* every row, in order */
        n = in->count;
        join_emit(p, in, out, 0, NULL, NULL, n, false);
    } else {
        bool want = p->type != JOIN_ANTI;
        for (uint32_t i = 0; i < in->count; i++)
            if ((l->slots[i] != NO_SLOT) == want) {
                l->out_sel[n] = i;
                l->hashes[n++] = l->slots[i];
            }
        join_emit(p, in, out, 0, l->out_sel, NULL, n, false);
    }
    if (p->type == JOIN_INNER || p->type == JOIN_LEFT)
        for (uint32_t c = 0; c < p->build_columns; c++)
            if (!p->used || p->used[p->probe_columns + c])
                dense_gather(p, g, c, l->hashes, n, all_hit, &out->columns[p->probe_columns + c]);
    out->count = n;
    return OP_NEED_MORE_INPUT;
}

static op_result join_execute(physical_op *op, exec_context *ctx, void *local, chunk *in, chunk *out, error *err) {
    (void)ctx, (void)err;
    join_params *p = op->params;
    join_global *g = op->sink_state;
    join_probe_local *l = local;
    if (g->dense) return join_execute_dense(p, g, l, in, out);
    if (l->phase == PROBE_START) {
        probe_begin(p, g, l, in);
        l->phase = PROBE_MATCHING;
    }
    if (p->type == JOIN_SEMI || p->type == JOIN_ANTI) return join_execute_semi_anti(p, g, l, in, out);

    uint32_t out_n = 0;
    if (l->phase == PROBE_MATCHING) {
        while (l->n_active > 0 && out_n + l->n_active <= VECTOR_SIZE) {
            uint32_t m = probe_round(p, g, l);
            for (uint32_t k = 0; k < m; k++) {
                uint32_t i = l->compare[k];
                l->out_sel[out_n] = i;
                l->out_rows[out_n] = l->ptrs[i];
                l->found[i] = 1;
                out_n++;
            }
            probe_advance(l, false);
        }
        join_emit(p, in, out, 0, l->out_sel, l->out_rows, out_n, true);
        out->count = out_n;
        if (l->n_active > 0) return OP_HAVE_MORE_OUTPUT;
        if (p->type == JOIN_INNER) {
            l->phase = PROBE_START;
            return OP_NEED_MORE_INPUT;
        }
        l->phase = PROBE_LEFT_TAIL;
    }
    /* LEFT: the probe rows without a match, with NULL build columns */
    uint32_t n = 0;
    for (uint32_t i = 0; i < in->count; i++)
        if (!l->found[i]) l->out_sel[n++] = i;
    if (out_n + n > VECTOR_SIZE) {
        out->count = out_n;
        return OP_HAVE_MORE_OUTPUT;
    }
    join_emit(p, in, out, out_n, l->out_sel, NULL, n, true);
    out->count = out_n + n;
    l->phase = PROBE_START;
    return OP_NEED_MORE_INPUT;
}

/* ---- destroy / construction ------------------------------------------------------------------ */

static void join_destroy(physical_op *op) {
    join_global *g = op->sink_state;
    if (!g) return;
    row_store_free(&g->rows);
    string_heap_free(&g->strings);
    if (g->directory_block) block_free(g->directory_block);
    if (g->dense_block) block_free(g->dense_block);
    g->dense_block = NULL;
    g->dense = false;
    g->directory_block = NULL;
    g->directory = NULL;
    if (g->lock_initialized) pthread_mutex_destroy(&g->lock);
    op->sink_state = NULL;
}

/* The probe side must produce the read probe columns and the keys; the build side the read build
 * columns and the keys (the others are not stored in the rows). */
static bool join_prune(physical_op *op, arena *a, const bool *used, error *err) {
    join_params *p = op->params;
    if (!used) return physical_prune(op->children[0], a, NULL, err) && physical_prune(op->children[1], a, NULL, err);
    bool *probe = physical_used_mask(a, p->probe_columns, err);
    bool *build = physical_used_mask(a, p->build_columns, err);
    if (!probe || !build) return false;
    bool with_build = op->column_count > p->probe_columns;
    for (uint32_t c = 0; c < p->probe_columns; c++) probe[c] = used[c];
    for (uint32_t c = 0; with_build && c < p->build_columns; c++) build[c] = used[p->probe_columns + c];
    for (uint32_t j = 0; j < p->key_count; j++) probe[p->probe_keys[j]] = build[p->build_keys[j]] = true;
    p->used = used;
    p->build_used = build;
    return physical_prune(op->children[0], a, probe, err) && physical_prune(op->children[1], a, build, err);
}

static const physical_op_vtable hash_join_vtable = {
    .prune = join_prune,
    .name = "HASH_JOIN",
    .op_local_init = join_op_local_init,
    .execute = join_execute,
    .op_local_destroy = join_op_local_destroy,
    .sink_init = join_sink_init,
    .sink_local_init = join_sink_local_init,
    .sink = join_sink,
    .combine = join_combine,
    .sink_local_destroy = join_sink_local_destroy,
    .finalize = join_finalize,
    .destroy = join_destroy,
};

physical_op *hash_join_create(arena *a, physical_op *probe, physical_op *build, join_type type,
                              const uint32_t *probe_keys, const uint32_t *build_keys, uint32_t key_count, error *err) {
    for (uint32_t j = 0; j < key_count; j++) {
        if (probe_keys[j] >= probe->column_count || build_keys[j] >= build->column_count)
            return error_set(err, EIDER_ERROR_INTERNAL, "join key column out of range"), NULL;
        if (!type_equals(probe->types[probe_keys[j]], build->types[build_keys[j]]))
            return error_set(err, EIDER_ERROR_INTERNAL, "join key types differ"), NULL;
    }
    bool with_build = type == JOIN_INNER || type == JOIN_LEFT;
    uint32_t n = probe->column_count + (with_build ? build->column_count : 0);
    logical_type *types = arena_alloc(a, sizeof(logical_type) * (n + 1), err);
    join_params *p = arena_alloc(a, sizeof *p, err);
    if (!types || !p) return NULL;
    memcpy(types, probe->types, sizeof(logical_type) * probe->column_count);
    if (with_build) memcpy(types + probe->column_count, build->types, sizeof(logical_type) * build->column_count);
    physical_op *op = physical_op_create(a, &hash_join_vtable, types, n, err);
    if (!op) return NULL;
    p->type = type;
    p->key_count = key_count;
    p->probe_columns = probe->column_count;
    p->build_columns = build->column_count;
    p->probe_keys = arena_alloc(a, sizeof(uint32_t) * (key_count + 1), err);
    p->build_keys = arena_alloc(a, sizeof(uint32_t) * (key_count + 1), err);
    if (!p->probe_keys || !p->build_keys) return NULL;
    memcpy(p->probe_keys, probe_keys, sizeof(uint32_t) * key_count);
    memcpy(p->build_keys, build_keys, sizeof(uint32_t) * key_count);
    if (key_count == 1) {
        logical_type t = build->types[build_keys[0]];
        size_t size = type_physical_size(t);
        p->integer_key = t.id != TYPE_DOUBLE && t.id != TYPE_VARCHAR && (size == 4 || size == 8);
    }
    if (!row_layout_init(&p->layout, a, build->types, build->column_count, JOIN_HEADER, 0, err)) return NULL;
    op->params = p;
    op->children[0] = probe;
    op->children[1] = build;
    op->child_count = 2;
    op->estimated_rows = probe->estimated_rows;
    return op;
}
