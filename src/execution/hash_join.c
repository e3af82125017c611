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
 *
 * Spilling: the join registers a pool budget. When the build rows of all threads would pass it,
 * the build is partitioned: each thread writes its rows into SPILL_PARTS partitions chosen by the
 * top bits of their hash, as runs of position-independent blocks (join_spill.h) that the pool may
 * write to temp files; a thread flushes its row store whenever it grows past its share. finalize
 * keeps as many partitions in memory as fit in half the budget (their blocks are pinned and linked
 * into a hashed directory); probe rows of those partitions are joined while they stream, the
 * others are written by each thread into probe partitions (handed to the global state by
 * op_finish when the thread's input ends). Then the join is the source of a tail pipeline
 * (executor.h): threads take spilled partitions one at a time, load the build rows into a hash
 * table of their own and stream the partition's probe rows through it. A partition whose build
 * rows would not fit in the thread's share of the budget is split with the next bits of the hash
 * first; one that does not split (a skewed key) is joined as it is.
 */
#include "execution/hash_join.h"

#include <pthread.h>
#include <string.h>

#include "execution/join_spill.h"
#include "execution/key_hash.h"
#include "execution/row_layout.h"

#define JOIN_HEADER 16 /* hash, next row */
#define PROBE_HEADER 8 /* hash */
#define NO_SLOT UINT64_MAX
#define SPILL_BITS 5
#define SPILL_PARTS (1u << SPILL_BITS)
#define SPILL_MAX_LEVEL 5 /* partitions at this level are not split again */
#define DEFERRED 2        /* found[i]: the probe row went to a spilled partition */

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
    bool dense;                /* build columns in arrays indexed by key - key_min (see above) */
    block_handle *dense_block;
    uint64_t *present;         /* bit per slot: a build row has this key */
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

typedef struct join_global {
    pthread_mutex_t lock;
    bool lock_initialized;
    buffer_pool *pool;
    uint32_t threads;
    row_store rows;
    string_heap strings;
    join_table t;
    bool has_keys;
    /* spilling */
    pool_budget budget;
    _Atomic uint64_t build_bytes; /* blocks of the build rows of every thread */
    uint64_t store_counted;       /* the part of build_bytes that rows and strings hold */
    atomic_bool spilling;         /* the build is being partitioned */
    bool spilled;                 /* finalize partitioned the build: the tail has work */
    uint64_t resident;            /* bit per partition: joined while the probe streams */
    join_run resident_rows;       /* their build rows, pinned and linked into t */
    join_run build_parts[SPILL_PARTS];
    join_run probe_parts[SPILL_PARTS];
    join_task *tasks; /* pool_malloc'ed (METADATA): spilled partitions not yet taken */
    uint32_t task_count, task_capacity;
    uint32_t tail_threads; /* tail threads running */
} join_global;

/* Writers into SPILL_PARTS runs, and scratch to group a block's rows by partition. */
typedef struct join_spill_parts {
    join_run runs[SPILL_PARTS];
    join_run_writer writers[SPILL_PARTS];
    uint8_t *part_of; /* pool_malloc'ed: the partition of each row of a block */
    uint64_t part_of_capacity;
} join_spill_parts;

typedef struct join_build_local {
    buffer_pool *pool;
    row_store rows;
    string_heap strings;
    uint64_t counted;        /* bytes of rows and strings counted in build_bytes */
    uint32_t counted_blocks; /* their blocks when last counted */
    join_spill_parts *spill; /* NULL until the build spills */
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
    join_spill_parts *spill; /* probe rows of spilled partitions (NULL until one comes) */
    row_store spill_rows;    /* probe rows of spilled partitions not yet written into them */
    string_heap spill_strings;
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

/* The partition of a hash at a level: the top SPILL_BITS bits at level 0, the next ones below. */
static inline uint32_t spill_part(uint64_t hash, uint32_t level) {
    return (uint32_t)(hash >> (64 - SPILL_BITS * (level + 1))) & (SPILL_PARTS - 1);
}

/* Directory bytes of a hashed table over n rows. */
static uint64_t directory_bytes(uint64_t n) {
    uint64_t cap = 64;
    while (cap < n * 2) cap *= 2;
    return cap * sizeof(uint8_t *);
}
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
/* ---- spill partitions --------------------------------------------------------------------------- */

static join_spill_parts *spill_parts_create(buffer_pool *pool, const row_layout *layout, error *err) {
    join_spill_parts *s = pool_calloc(pool, 1, sizeof *s);
    if (!s) {
        oom(err, "join spill state");
        return NULL;
    }
    for (uint32_t i = 0; i < SPILL_PARTS; i++) {
        join_run_init(&s->runs[i], pool);
        join_run_writer_init(&s->writers[i], layout, &s->runs[i]);
    }
    return s;
}

static void spill_parts_pause(join_spill_parts *s) {
    for (uint32_t i = 0; s && i < SPILL_PARTS; i++) join_run_writer_pause(&s->writers[i]);
}

static void spill_parts_destroy(buffer_pool *pool, join_spill_parts *s) {
    if (!s) return;
    spill_parts_pause(s);
    for (uint32_t i = 0; i < SPILL_PARTS; i++) join_run_free(&s->runs[i]);
    if (s->part_of) pool_free(pool, s->part_of);
    pool_free(pool, s);
}

/* Writes rows[k] (k < n; the first 8 bytes of a row are its hash) into the partitions of `level`,
 * one partition at a time so that one block is pinned at a time. */
static bool spill_rows(buffer_pool *pool, join_spill_parts *s, uint8_t *const *rows, uint64_t n, uint32_t level,
                       error *err) {
    if (n == 0) return true;
    if (n > s->part_of_capacity) {
        uint8_t *grown = pool_realloc(pool, s->part_of, n);
        if (!grown) return oom(err, "join spill state");
        s->part_of = grown;
        s->part_of_capacity = n;
    }
    uint64_t counts[SPILL_PARTS] = {0};
    for (uint64_t r = 0; r < n; r++) counts[s->part_of[r] = (uint8_t)spill_part(row_hash(rows[r]), level)]++;
    for (uint32_t part = 0; part < SPILL_PARTS; part++) {
        if (!counts[part]) continue;
        join_run_writer *w = &s->writers[part];
        bool ok = true;
        for (uint64_t r = 0; ok && r < n; r++)
            if (s->part_of[r] == part) ok = join_run_write_row(w, rows[r], err);
        join_run_writer_pause(w);
        if (!ok) return false;
    }
    return true;
}

/* Rows of a block, as addresses (one block's rows at a time). */
static bool spill_block(buffer_pool *pool, join_spill_parts *s, uint8_t *data, uint64_t n, uint32_t width,
                        uint32_t level, error *err) {
    uint8_t *rows[1024];
    for (uint64_t done = 0; done < n;) {
        uint64_t m = n - done < 1024 ? n - done : 1024;
        for (uint64_t r = 0; r < m; r++) rows[r] = data + (done + r) * width;
        if (!spill_rows(pool, s, rows, m, level, err)) return false;
        done += m;
    }
    return true;
}

/* Moves the rows of a row store (and their strings) into the level-0 partitions: one partition
 * at a time over the whole store, so each partition's block is pinned once per call. */
static bool spill_store(buffer_pool *pool, join_spill_parts *s, row_store *rows, string_heap *strings, error *err) {
    uint32_t width = rows->layout->width;
    uint64_t n = rows->row_count;
    if (n > s->part_of_capacity) {
        uint8_t *grown = pool_realloc(pool, s->part_of, n);
        if (!grown) return oom(err, "join spill state");
        s->part_of = grown;
        s->part_of_capacity = n;
    }
    uint64_t counts[SPILL_PARTS] = {0}, at = 0;
    for (uint32_t b = 0; b < rows->blocks.count; b++) {
        block_entry *e = &rows->blocks.entries[b];
        for (uint64_t r = 0; r < e->used; r++, at++)
            counts[s->part_of[at] = (uint8_t)spill_part(row_hash(e->data + r * width), 0)]++;
    }
    for (uint32_t part = 0; part < SPILL_PARTS; part++) {
        if (!counts[part]) continue;
        join_run_writer *w = &s->writers[part];
        bool ok = true;
        at = 0;
        for (uint32_t b = 0; ok && b < rows->blocks.count; b++) {
            block_entry *e = &rows->blocks.entries[b];
            for (uint64_t r = 0; ok && r < e->used; r++, at++)
                if (s->part_of[at] == part) ok = join_run_write_row(w, e->data + r * width, err);
        }
        join_run_writer_pause(w);
        if (!ok) return false;
    }
    row_store_free(rows);
    string_heap_free(strings);
    return true;
}

static void task_free(join_task *t) {
    join_run_free(&t->build);
    join_run_free(&t->probe);
}

/* A task with nothing to produce (no probe rows; for INNER and SEMI also no build rows). */
static bool task_is_empty(const join_params *p, const join_task *t) {
    if (t->probe.rows == 0) return true;
    return t->build.rows == 0 && (p->type == JOIN_INNER || p->type == JOIN_SEMI);
}

/* Adds a task to the global list (the caller holds the lock, or runs alone); on failure the
 * task's blocks are freed. */
static bool push_task(join_global *g, join_task *t, error *err) {
    if (g->task_count == g->task_capacity) {
        uint32_t cap = g->task_capacity ? 2 * g->task_capacity : 64;
        join_task *grown = pool_realloc(g->pool, g->tasks, sizeof *grown * cap);
        if (!grown) {
            task_free(t);
            return oom(err, "join partitions");
        }
        g->tasks = grown;
        g->task_capacity = cap;
    }
    g->tasks[g->task_count++] = *t;
    return true;
}

/* ---- build side ---------------------------------------------------------------------------- */

/* The probe columns a spilled probe row keeps: those read downstream and the keys. */
static bool init_probe_layout(join_params *p, const physical_op *op, arena *a, error *err) {
    const physical_op *probe = op->children[0];
    bool keep[p->probe_columns + 1];
    uint32_t n = 0;
    for (uint32_t c = 0; c < p->probe_columns; c++) keep[c] = !p->used || p->used[c];
    for (uint32_t j = 0; j < p->key_count; j++) keep[p->probe_keys[j]] = true;
    for (uint32_t c = 0; c < p->probe_columns; c++) n += keep[c];
    logical_type *types = arena_alloc(a, sizeof(logical_type) * (n + 1), err);
    p->probe_cols = arena_alloc(a, sizeof(uint32_t) * (n + 1), err);
    if (!types || !p->probe_cols) return false;
    n = 0;
    for (uint32_t c = 0; c < p->probe_columns; c++)
        if (keep[c]) {
            p->probe_cols[n] = c;
            types[n++] = probe->types[c];
        }
    return row_layout_init(&p->probe_layout, a, types, n, PROBE_HEADER, 0, err);
}

static bool join_sink_init(physical_op *op, exec_context *ctx, error *err) {
    join_params *p = op->params;
    join_global *g = arena_alloc(ctx->arena, sizeof *g, err);
    if (!g || !init_probe_layout(p, op, ctx->arena, err)) return false;
    memset(g, 0, sizeof *g);
    g->pool = ctx->pool;
    g->threads = ctx->threads ? ctx->threads : 1;
    row_store_init(&g->rows, &p->layout, ctx->pool, TAG_HASH_TABLE);
    string_heap_init(&g->strings, ctx->pool, TAG_HASH_TABLE);
    join_run_init(&g->resident_rows, ctx->pool);
    for (uint32_t i = 0; i < SPILL_PARTS; i++) {
        join_run_init(&g->build_parts[i], ctx->pool);
        join_run_init(&g->probe_parts[i], ctx->pool);
    }
    atomic_init(&g->build_bytes, 0);
    atomic_init(&g->spilling, false);
    pthread_mutex_init(&g->lock, NULL);
    g->lock_initialized = true;
    pool_budget_register(ctx->pool, &g->budget);
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
    join_build_local *l = local;
    if (!l) return;
    join_global *g = op->sink_state;
    if (g && l->counted) atomic_fetch_sub(&g->build_bytes, l->counted);
    row_store_free(&l->rows);
    string_heap_free(&l->strings);
    spill_parts_destroy(l->pool, l->spill);
    pool_free(l->pool, l);
}

/* Moves the global store's rows into the thread's partitions (they join the global partitions at
 * combine). The caller holds the lock. */
static bool spill_global_store(join_global *g, const join_params *p, join_build_local *l, error *err) {
    if (g->rows.row_count == 0) return true;
    if (!l->spill && !(l->spill = spill_parts_create(l->pool, &p->layout, err))) return false;
    if (!spill_store(l->pool, l->spill, &g->rows, &g->strings, err)) return false;
    atomic_fetch_sub(&g->build_bytes, g->store_counted);
    g->store_counted = 0;
    return true;
}

/* Before n rows are appended: counts the local's blocks in build_bytes. Once the total (with the
 * blocks the rows would add) passes the budget the build spills — the thread that sees it first
 * also spills the rows threads combined so far — and a thread whose rows would pass its share
 * writes them into its partitions first. */
static bool build_account(join_global *g, join_params *p, join_build_local *l, uint32_t n, error *err) {
    uint64_t grow = row_store_growth(&l->rows, n);
    uint32_t blocks = l->rows.blocks.count + l->strings.blocks.count;
    if (grow == 0 && blocks == l->counted_blocks) return true;
    if (grow) grow += POOL_BLOCK_SIZE; /* and a string block, maybe */
    l->counted_blocks = blocks;
    uint64_t bytes = block_list_bytes(&l->rows.blocks) + block_list_bytes(&l->strings.blocks);
    uint64_t total = atomic_fetch_add(&g->build_bytes, bytes - l->counted) + (bytes - l->counted);
    l->counted = bytes;
    uint64_t budget = pool_budget_bytes(&g->budget);
    bool expected = false;
    if (total + grow > budget && atomic_compare_exchange_strong(&g->spilling, &expected, true)) {
        pthread_mutex_lock(&g->lock);
        bool ok = spill_global_store(g, p, l, err);
        pthread_mutex_unlock(&g->lock);
        if (!ok) return false;
        total = atomic_load(&g->build_bytes);
    }
    if (!atomic_load(&g->spilling) || l->rows.row_count == 0) return true;
    uint64_t share = budget / (4 * (uint64_t)g->threads);
    if (bytes + grow <= share && total + grow <= budget) return true;
    if (!l->spill && !(l->spill = spill_parts_create(l->pool, &p->layout, err))) return false;
    if (!spill_store(l->pool, l->spill, &l->rows, &l->strings, err)) return false;
    atomic_fetch_sub(&g->build_bytes, l->counted);
    l->counted = 0;
    l->counted_blocks = 0;
    return true;
}

static bool join_sink(physical_op *op, exec_context *ctx, void *local, chunk *in, error *err) {
    (void)ctx;
    join_params *p = op->params;
    join_build_local *l = local;
    for (uint32_t j = 0; j < p->key_count; j++) l->keys[j] = &in->columns[p->build_keys[j]];
    /* rows with a NULL key never match: they are not kept */
    uint32_t n = rows_with_valid_keys(l->keys, p->key_count, in->count, l->sel);
    if (n == 0) return true;
    if (!build_account(op->sink_state, p, l, n, err)) return false;
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
    join_params *p = op->params;
    join_global *g = op->sink_state;
    join_build_local *l = local;
    if (!l) return true;
    bool ok = true;
    pthread_mutex_lock(&g->lock);
    bool spilling = atomic_load(&g->spilling);
    if (!spilling) { /* the rows join the global store; their bytes stay counted, as its bytes */
        ok = string_heap_move(&g->strings, &l->strings, err) && row_store_move(&g->rows, &l->rows, err);
        if (ok) {
            g->store_counted += l->counted;
            l->counted = 0;
        }
    }
    pthread_mutex_unlock(&g->lock);
    if (ok && spilling && l->rows.row_count > 0) {
        if (!l->spill && !(l->spill = spill_parts_create(l->pool, &p->layout, err))) return false;
        if (!spill_store(l->pool, l->spill, &l->rows, &l->strings, err)) return false;
        atomic_fetch_sub(&g->build_bytes, l->counted);
        l->counted = 0;
    }
    pthread_mutex_lock(&g->lock);
    for (uint32_t i = 0; ok && l->spill && i < SPILL_PARTS; i++) {
        join_run_writer_pause(&l->spill->writers[i]);
        ok = join_run_move(&g->build_parts[i], &l->spill->runs[i], err);
    }
    if (ok && l->has_keys) {
        g->t.key_min = !g->has_keys || l->key_min < g->t.key_min ? l->key_min : g->t.key_min;
        g->t.key_max = !g->has_keys || l->key_max > g->t.key_max ? l->key_max : g->t.key_max;
        g->has_keys = true;
    }
    pthread_mutex_unlock(&g->lock);
    return ok;
}

/* Direct mode pays when the key range is at most twice the rows (the hashed directory has between
 * two and four slots per row). */
static bool use_direct(const join_params *p, const join_global *g, uint64_t n) {
    if (!p->integer_key || !g->has_keys) return false;
    uint64_t range = (uint64_t)g->t.key_max - (uint64_t)g->t.key_min; /* wraps correctly: max >= min */
    return range < 2 * n + 64;
}

/* Bytes of a dense value array, rounded up so the next array stays 8-byte aligned. */
static uint64_t array_bytes(uint64_t slots, logical_type t) { return (slots * type_physical_size(t) + 7) / 8 * 8; }

/* Moves the build rows into the dense arrays (t->dense), unless a key repeats (t->dense stays false
 * and nothing is kept). */
static bool build_dense(const join_params *p, join_global *g, arena *a, error *err) {
    join_table *t = &g->t;
    uint64_t slots = (uint64_t)t->key_max - (uint64_t)t->key_min + 1;
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
            uint64_t slot = (uint64_t)row_integer_key(p, row) - (uint64_t)t->key_min;
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
    t->dense = true;
    t->dense_block = h;
    t->present = present;
    t->dense_valid = valid;
    t->dense_values = values;
    t->dense_has_null = has_null;
    row_store_free(&g->rows); /* long strings stay in g->strings */
    return true;
}

static void table_free(join_table *t) {
    if (t->directory_block) block_free(t->directory_block);
    if (t->dense_block) block_free(t->dense_block);
    memset(t, 0, sizeof *t);
}

/* Builds a hashed table over the rows of blocks [from, to) of run: the blocks are pinned (and
 * stay pinned until they are freed) and their rows linked into a new directory. */
static bool table_load_blocks(const join_params *p, join_table *t, join_run *run, uint32_t from, uint32_t to,
                              buffer_pool *pool, error *err) {
    memset(t, 0, sizeof *t);
    uint64_t rows = 0;
    for (uint32_t b = from; b < to; b++) rows += run->blocks.entries[b].handle ? run->blocks.entries[b].used : 0;
    if (rows == 0) return true;
    uint64_t bytes = directory_bytes(rows);
    t->directory_block = block_alloc(pool, TAG_HASH_TABLE, BLOCK_TEMPORARY, bytes, err);
    if (!t->directory_block) return false;
    t->directory = block_data(t->directory_block);
    t->mask = bytes / sizeof(uint8_t *) - 1;
    uint32_t width = p->layout.width;
    for (uint32_t b = from; b < to; b++) {
        block_entry *e = &run->blocks.entries[b];
        uint8_t *data = join_run_pin(&p->layout, run, b, err);
        if (!data) {
            if (error_is_set(err)) return false;
            continue;
        }
        e->data = data;
        for (uint64_t r = 0; r < e->used; r++) {
            uint8_t *row = data + r * width;
            uint8_t **head = &t->directory[row_hash(row) & t->mask];
            row_set_next(row, *head);
            *head = row;
        }
    }
    return true;
}

static bool table_load(const join_params *p, join_table *t, join_run *run, buffer_pool *pool, error *err) {
    return table_load_blocks(p, t, run, 0, run->blocks.count, pool, err);
}

/* finalize when the build spilled: every row goes into the partitions, then the partitions that
 * fit in half the budget are loaded; the probe defers the rows of the others. */
static bool finalize_spilled(const join_params *p, join_global *g, error *err) {
    g->spilled = true;
    join_spill_parts *s = spill_parts_create(g->pool, &p->layout, err);
    if (!s) return false;
    bool ok = spill_store(g->pool, s, &g->rows, &g->strings, err);
    spill_parts_pause(s);
    for (uint32_t i = 0; ok && i < SPILL_PARTS; i++) ok = join_run_move(&g->build_parts[i], &s->runs[i], err);
    spill_parts_destroy(g->pool, s);
    if (!ok) return false;
    atomic_store(&g->build_bytes, 0);
    uint64_t room = pool_budget_bytes(&g->budget) / 2, used = 0;
    for (uint32_t i = 0; i < SPILL_PARTS; i++) {
        join_run *r = &g->build_parts[i];
        uint64_t cost = join_run_bytes(r) + 3 * sizeof(uint8_t *) * r->rows;
        if (used + cost > room) continue;
        used += cost;
        g->resident |= (uint64_t)1 << i;
        if (!join_run_move(&g->resident_rows, r, err)) return false;
    }
    return table_load(p, &g->t, &g->resident_rows, g->pool, err);
}

static bool join_finalize(physical_op *op, exec_context *ctx, error *err) {
    join_params *p = op->params;
    join_global *g = op->sink_state;
    uint64_t n = g->rows.row_count;
    if (!atomic_load(&g->spilling) &&
        atomic_load(&g->build_bytes) + directory_bytes(n) > pool_budget_bytes(&g->budget))
        atomic_store(&g->spilling, true);
    if (atomic_load(&g->spilling)) return finalize_spilled(p, g, err);
    if (n == 0) return true;
    join_table *t = &g->t;
    t->direct = use_direct(p, g, n);
    if (t->direct) {
        if (!build_dense(p, g, ctx->arena, err)) return false;
        if (t->dense) return true;
    }
    uint64_t cap = 64;
    if (t->direct) cap = (uint64_t)t->key_max - (uint64_t)t->key_min + 1;
    else
        while (cap < n * 2) cap *= 2;
    t->directory_block = block_alloc(g->rows.blocks.pool, TAG_HASH_TABLE, BLOCK_TEMPORARY, cap * sizeof(uint8_t *), err);
    if (!t->directory_block) return false;
    t->directory = block_data(t->directory_block);
    t->mask = cap - 1;
    uint32_t width = g->rows.layout->width;
    for (uint32_t b = 0; b < g->rows.blocks.count; b++) {
        block_entry *e = &g->rows.blocks.entries[b];
        for (uint64_t r = 0; r < e->used; r++) {
            uint8_t *row = e->data + r * width;
            uint64_t slot = t->direct ? (uint64_t)row_integer_key(p, row) - (uint64_t)t->key_min : row_hash(row) & t->mask;
            uint8_t **head = &t->directory[slot];
            row_set_next(row, *head);
            *head = row;
        }
    }
    return true;
}

/* Starts loading the first row of every active chain: the chains are walked in rounds over the
 * whole chunk, so the loads of all rows overlap instead of each stalling its round. */
static void prefetch_rows(const join_probe_local *l) {
    for (uint32_t k = 0; k < l->n_active; k++) __builtin_prefetch(l->ptrs[l->active[k]]);
}

/* Hashes the input's keys and points every probe row with non-NULL keys at its chain. With
 * resident (the build spilled), rows of partitions that are not resident are marked DEFERRED and
 * listed in l->deferred instead; returns their number. */
static uint32_t probe_begin(const join_params *p, const join_table *g, join_probe_local *l, const chunk *in,
                            const uint64_t *resident) {
    for (uint32_t j = 0; j < p->key_count; j++) l->keys[j] = &in->columns[p->probe_keys[j]];
    memset(l->found, 0, in->count);
    l->n_active = 0;
    if (!g->directory && !resident) return 0;
    uint32_t n = rows_with_valid_keys(l->keys, p->key_count, in->count, l->compare);
    uint32_t n_deferred = 0;
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
        if (resident) {
            uint32_t m = 0;
            for (uint32_t k = 0; k < n; k++) {
                uint32_t i = l->compare[k];
                if ((*resident >> spill_part(l->hashes[i], 0)) & 1) l->compare[m++] = i;
                else {
                    l->found[i] = DEFERRED;
                    l->deferred[n_deferred++] = i;
                }
            }
            n = m;
        }
        for (uint32_t k = 0; k < n; k++)
            l->slots[l->compare[k]] = g->directory ? l->hashes[l->compare[k]] & g->mask : NO_SLOT;
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
    return n_deferred;
}

/* Compares every active probe row with the build row its chain is at: leaves the matching probe
 * rows in l->compare and returns their number. */
static uint32_t probe_round(const join_params *p, const join_table *g, join_probe_local *l) {
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

static op_result join_execute_semi_anti(const join_params *p, const join_table *g, join_probe_local *l,
                                        const chunk *in, chunk *out) {
    while (l->n_active > 0) {
        uint32_t m = probe_round(p, g, l);
        for (uint32_t k = 0; k < m; k++) l->found[l->compare[k]] = 1;
        probe_advance(l, true);
    }
    uint8_t want = p->type == JOIN_SEMI ? 1 : 0; /* DEFERRED rows are neither */
    uint32_t n = 0;
    for (uint32_t i = 0; i < in->count; i++)
        if (l->found[i] == want) l->out_sel[n++] = i;
    join_emit(p, in, out, 0, l->out_sel, NULL, n, false);
    out->count = n;
    l->phase = PROBE_START;
    return OP_NEED_MORE_INPUT;
}

/* Writes build column c of the dense arrays at slots[k] (NO_SLOT: NULL) into v rows [0, n).
 * all_hit: no slot is NO_SLOT. */
static void dense_gather(const join_params *p, const join_table *g, uint32_t c, const uint64_t *slots, uint32_t n,
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
static op_result join_execute_dense(const join_params *p, const join_table *g, join_probe_local *l, const chunk *in,
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

/* Buffers the deferred probe rows of in (l->deferred, their hashes in l->hashes) in the thread's
 * row store; once it passes `share` bytes its rows go into the thread's probe partitions. */
static bool spill_probe_rows(const join_params *p, join_probe_local *l, const chunk *in, uint32_t n, uint64_t share,
                             error *err) {
    const row_layout *pl = &p->probe_layout;
    if (!l->spill && !(l->spill = spill_parts_create(l->pool, pl, err))) return false;
    uint8_t *rows[VECTOR_SIZE];
    if (!row_store_append(&l->spill_rows, n, rows, err)) return false;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = l->deferred[k];
        l->out_rows[i] = rows[k];
        memcpy(rows[k], &l->hashes[i], sizeof(uint64_t));
    }
    for (uint32_t c = 0; c < pl->column_count; c++)
        if (!row_scatter(pl, c, &in->columns[p->probe_cols[c]], l->deferred, n, l->out_rows, &l->spill_strings, err))
            return false;
    if (block_list_bytes(&l->spill_rows.blocks) + block_list_bytes(&l->spill_strings.blocks) < share) return true;
    return spill_store(l->pool, l->spill, &l->spill_rows, &l->spill_strings, err);
}

/* Joins one input chunk against table g (l->phase PROBE_START: a new chunk). resident: see
 * probe_begin; deferred rows are written into l's probe partitions. */
static op_result probe_chunk(const join_params *p, const join_table *g, join_probe_local *l, const chunk *in,
                             chunk *out, const uint64_t *resident, uint64_t share, error *err) {
    if (g->dense) return join_execute_dense(p, g, l, in, out);
    if (l->phase == PROBE_START) {
        uint32_t n_deferred = probe_begin(p, g, l, in, resident);
        if (n_deferred && !spill_probe_rows(p, l, in, n_deferred, share, err)) return OP_ERROR;
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

static op_result join_execute(physical_op *op, exec_context *ctx, void *local, chunk *in, chunk *out, error *err) {
    (void)ctx;
    join_params *p = op->params;
    join_global *g = op->sink_state;
    uint64_t share = g->spilled ? pool_budget_bytes(&g->budget) / (4 * (uint64_t)g->threads) : 0;
    return probe_chunk(p, &g->t, local, in, out, g->spilled ? &g->resident : NULL, share, err);
}

static join_probe_local *probe_local_create(const join_params *p, buffer_pool *pool, error *err) {
    join_probe_local *l = pool_calloc(pool, 1, sizeof *l + sizeof(const vector *) * p->key_count);
    if (!l) {
        oom(err, "join probe state");
        return NULL;
    }
    l->pool = pool;
    l->phase = PROBE_START;
    row_store_init(&l->spill_rows, &p->probe_layout, pool, TAG_HASH_TABLE);
    string_heap_init(&l->spill_strings, pool, TAG_HASH_TABLE);
    return l;
}

static void probe_local_destroy(join_probe_local *l) {
    if (!l) return;
    spill_parts_destroy(l->pool, l->spill);
    row_store_free(&l->spill_rows);
    string_heap_free(&l->spill_strings);
    pool_free(l->pool, l);
}

static void *join_op_local_init(physical_op *op, exec_context *ctx, error *err) {
    return probe_local_create(op->params, ctx->pool, err);
}

static void join_op_local_destroy(physical_op *op, void *local) {
    (void)op;
    probe_local_destroy(local);
}

/* The thread's input ended: its probe partitions go to the global state. */
static bool join_op_finish(physical_op *op, exec_context *ctx, void *local, error *err) {
    (void)ctx;
    join_global *g = op->sink_state;
    join_probe_local *l = local;
    if (!l->spill) return true;
    if (!spill_store(l->pool, l->spill, &l->spill_rows, &l->spill_strings, err)) return false;
    spill_parts_pause(l->spill);
    pthread_mutex_lock(&g->lock);
    bool ok = true;
    for (uint32_t i = 0; ok && i < SPILL_PARTS; i++) ok = join_run_move(&g->probe_parts[i], &l->spill->runs[i], err);
    pthread_mutex_unlock(&g->lock);
    return ok;
}

/* ---- tail: the spilled partitions ----------------------------------------------------------- */

typedef struct join_tail_local {
    buffer_pool *pool;
    bool has_task;
    join_task task;
    join_table table;
    join_probe_local *probe;
    join_spill_parts *split[2]; /* build and probe sub-partitions while a task is split */
    chunk *in;                  /* probe rows read back */
    uint32_t block;             /* the probe block being read */
    uint8_t *block_data;        /* pinned, or NULL */
    uint64_t pos;               /* next row in it */
    bool pending;               /* the probe of `in` has more output */
    /* a partition that does not split, joined in passes over slices of its build rows */
    bool passes;
    bool last_pass;
    uint32_t slice_from, slice_to; /* build blocks of the current slice */
    block_handle *flags;           /* bit per probe row of the task: matched in an earlier pass */
    uint64_t read_rows;            /* probe rows read in this pass */
    uint64_t in_first;             /* ordinal of the first row of `in` */
    bool unmatched_pending;        /* LEFT: the unmatched rows of `in` are still to emit */
    join_params inner;             /* the join's params as an INNER join (LEFT's passes) */
    uint8_t *rows[VECTOR_SIZE];
} join_tail_local;

/* After the probe pipelines: the in-memory table is no longer needed; the spilled partitions
 * become tasks. */
static bool join_source_init(physical_op *op, exec_context *ctx, error *err) {
    (void)ctx;
    join_params *p = op->params;
    join_global *g = op->sink_state;
    row_store_free(&g->rows);
    string_heap_free(&g->strings);
    table_free(&g->t);
    join_run_free(&g->resident_rows);
    if (!g->spilled) {
        pool_budget_unregister(&g->budget);
        return true;
    }
    for (uint32_t i = 0; i < SPILL_PARTS; i++) {
        join_task t = {.level = 0, .build = g->build_parts[i], .probe = g->probe_parts[i]};
        join_run_init(&g->build_parts[i], g->pool);
        join_run_init(&g->probe_parts[i], g->pool);
        if (task_is_empty(p, &t)) task_free(&t);
        else if (!push_task(g, &t, err)) return false;
    }
    return true;
}

static void *join_source_local_init(physical_op *op, exec_context *ctx, error *err) {
    join_params *p = op->params;
    join_global *g = op->sink_state;
    join_tail_local *l = pool_calloc(ctx->pool, 1, sizeof *l);
    if (!l) {
        oom(err, "join tail state");
        return NULL;
    }
    l->pool = ctx->pool;
    pthread_mutex_lock(&g->lock);
    g->tail_threads++;
    pthread_mutex_unlock(&g->lock);
    if (!(l->probe = probe_local_create(p, ctx->pool, err)) ||
        !(l->in = chunk_create(ctx->arena, op->children[0]->types, p->probe_columns, err)))
        return l; /* err is set: the executor destroys l */
    return l;
}

static void tail_task_done(join_tail_local *l) {
    if (l->block_data) join_run_free_block(&l->task.probe, l->block);
    l->block_data = NULL;
    table_free(&l->table);
    task_free(&l->task);
    if (l->flags) block_free(l->flags);
    l->flags = NULL;
    l->has_task = false;
    l->pending = false;
    l->passes = false;
    l->unmatched_pending = false;
}

static void join_source_local_destroy(physical_op *op, void *local) {
    join_global *g = op->sink_state;
    join_tail_local *l = local;
    if (!l) return;
    if (l->has_task) tail_task_done(l);
    spill_parts_destroy(l->pool, l->split[0]);
    spill_parts_destroy(l->pool, l->split[1]);
    probe_local_destroy(l->probe);
    if (l->in) chunk_destroy(l->in);
    pool_free(l->pool, l);
    pthread_mutex_lock(&g->lock);
    /* the last tail thread: no task can come any more */
    if (--g->tail_threads == 0 && g->task_count == 0) pool_budget_unregister(&g->budget);
    pthread_mutex_unlock(&g->lock);
}

/* Bytes a task's table takes in memory. */
static uint64_t task_bytes(const join_task *t) { return join_run_bytes(&t->build) + directory_bytes(t->build.rows); }

/* Writes every row of run into s at the given level, freeing the run's blocks as it goes. */
static bool split_run(const row_layout *layout, buffer_pool *pool, join_run *run, join_spill_parts *s, uint32_t level,
                      error *err) {
    for (uint32_t b = 0; b < run->blocks.count; b++) {
        uint8_t *data = join_run_pin(layout, run, b, err);
        if (!data) {
            if (error_is_set(err)) return false;
            continue;
        }
        bool ok = spill_block(pool, s, data, run->blocks.entries[b].used, layout->width, level, err);
        join_run_free_block(run, b);
        if (!ok) return false;
    }
    join_run_free(run);
    return true;
}

/* Splits the task's partition with the next bits of the hash into new tasks. */
static bool split_task(const join_params *p, join_global *g, join_tail_local *l, error *err) {
    join_task *t = &l->task;
    uint32_t level = t->level + 1;
    uint64_t build_rows = t->build.rows;
    for (int k = 0; k < 2; k++)
        if (!l->split[k] && !(l->split[k] = spill_parts_create(l->pool, k ? &p->probe_layout : &p->layout, err)))
            return false;
    if (!split_run(&p->layout, l->pool, &t->build, l->split[0], level, err) ||
        !split_run(&p->probe_layout, l->pool, &t->probe, l->split[1], level, err))
        return false;
    spill_parts_pause(l->split[0]);
    spill_parts_pause(l->split[1]);
    task_free(t);
    l->has_task = false;
    bool ok = true;
    pthread_mutex_lock(&g->lock);
    for (uint32_t i = 0; i < SPILL_PARTS; i++) {
        join_task sub = {.level = level, .build = l->split[0]->runs[i], .probe = l->split[1]->runs[i]};
        sub.unsplittable = sub.build.rows > build_rows / 10 * 9; /* one key (or a few) has most rows */
        for (int k = 0; k < 2; k++) {
            join_run_init(&l->split[k]->runs[i], l->pool);
            join_run_writer_init(&l->split[k]->writers[i], k ? &p->probe_layout : &p->layout, &l->split[k]->runs[i]);
        }
        if (!ok || task_is_empty(p, &sub)) task_free(&sub);
        else ok = push_task(g, &sub, err);
    }
    pthread_mutex_unlock(&g->lock);
    return ok;
}

/* Reads up to VECTOR_SIZE probe rows of the task (never across blocks) into l->in; 0 at the end. */
static bool next_probe_rows(const join_params *p, join_tail_local *l, uint32_t *n, error *err) {
    const row_layout *pl = &p->probe_layout;
    join_run *run = &l->task.probe;
    *n = 0;
    for (;;) {
        if (l->block_data) {
            uint64_t used = run->blocks.entries[l->block].used;
            if (l->pos < used) {
                uint32_t m = used - l->pos < VECTOR_SIZE ? (uint32_t)(used - l->pos) : VECTOR_SIZE;
                for (uint32_t k = 0; k < m; k++) l->rows[k] = l->block_data + (l->pos + k) * pl->width;
                chunk_reset(l->in);
                for (uint32_t c = 0; c < pl->column_count; c++)
                    row_gather(pl, c, l->rows, m, &l->in->columns[p->probe_cols[c]], 0);
                l->in->count = m;
                l->pos += m;
                l->in_first = l->read_rows;
                l->read_rows += m;
                *n = m;
                return true;
            }
            /* the rows of this block were consumed downstream before this call; a pass that is not
             * the last leaves them for the next */
            if (l->passes && !l->last_pass) join_run_unpin(pl, run, l->block, l->block_data);
            else join_run_free_block(run, l->block);
            l->block_data = NULL;
            l->block++;
        }
        if (l->block >= run->blocks.count) return true;
        l->block_data = join_run_pin(pl, run, l->block, err);
        l->pos = 0;
        if (!l->block_data) {
            if (error_is_set(err)) return false;
            l->block++;
        }
    }
}

/* Starts the next pass of a task joined in passes: frees the previous slice, loads the build
 * blocks that fit in `share` bytes (at least one) and rewinds the probe rows. */
static bool start_pass(const join_params *p, join_tail_local *l, uint64_t share, error *err) {
    join_run *build = &l->task.build;
    table_free(&l->table);
    for (uint32_t b = l->slice_from; b < l->slice_to; b++) join_run_free_block(build, b);
    uint32_t from = l->slice_to, to = from;
    uint64_t bytes = 0, rows = 0;
    while (to < build->blocks.count) {
        block_entry *e = &build->blocks.entries[to];
        uint64_t more = e->handle ? block_size(e->handle) : 0;
        uint64_t more_rows = e->handle ? e->used : 0;
        if (to > from && bytes + more + directory_bytes(rows + more_rows) > share) break;
        bytes += more;
        rows += more_rows;
        to++;
    }
    l->slice_from = from;
    l->slice_to = to;
    l->last_pass = to >= build->blocks.count;
    l->block = 0;
    l->block_data = NULL;
    l->pos = 0;
    l->read_rows = 0;
    return table_load_blocks(p, &l->table, build, from, to, l->pool, err);
}

static inline bool flag_test(const uint8_t *flags, uint64_t i) { return (flags[i >> 3] >> (i & 7)) & 1; }
static inline void flag_set(uint8_t *flags, uint64_t i) { flags[i >> 3] |= (uint8_t)(1u << (i & 7)); }

/* SEMI and ANTI in passes: a probe row is emitted once, by SEMI in the pass of its first match,
 * by ANTI in the last pass if no pass matched it. */
static void semi_anti_pass(const join_params *p, join_tail_local *l, chunk *out) {
    join_probe_local *pl = l->probe;
    const chunk *in = l->in;
    probe_begin(p, &l->table, pl, in, NULL);
    while (pl->n_active > 0) {
        uint32_t m = probe_round(p, &l->table, pl);
        for (uint32_t k = 0; k < m; k++) pl->found[pl->compare[k]] = 1;
        probe_advance(pl, true);
    }
    uint8_t *flags = block_data(l->flags);
    uint32_t n = 0;
    for (uint32_t i = 0; i < in->count; i++) {
        uint64_t row = l->in_first + i;
        bool before = flag_test(flags, row);
        if (pl->found[i] == 1 && !before) {
            flag_set(flags, row);
            if (p->type == JOIN_SEMI) pl->out_sel[n++] = i;
        } else if (p->type == JOIN_ANTI && l->last_pass && !before && pl->found[i] != 1) {
            pl->out_sel[n++] = i;
        }
    }
    join_emit(p, in, out, 0, pl->out_sel, NULL, n, false);
    out->count = n;
}

/* One step of a task joined in passes: output for `in` (l->pending). */
static bool pass_probe(const join_params *p, join_tail_local *l, chunk *out, error *err) {
    if (p->type == JOIN_SEMI || p->type == JOIN_ANTI) {
        semi_anti_pass(p, l, out);
        l->pending = false;
        return true;
    }
    op_result r = probe_chunk(&l->inner, &l->table, l->probe, l->in, out, NULL, 0, err);
    if (r == OP_ERROR) return false;
    l->pending = r == OP_HAVE_MORE_OUTPUT;
    if (l->pending || p->type != JOIN_LEFT) return true;
    uint8_t *flags = block_data(l->flags);
    for (uint32_t i = 0; i < l->in->count; i++)
        if (l->probe->found[i] == 1) flag_set(flags, l->in_first + i);
    l->unmatched_pending = l->last_pass;
    return true;
}

static bool join_get_data(physical_op *op, exec_context *ctx, void *local, chunk *out, error *err) {
    join_params *p = op->params;
    join_global *g = op->sink_state;
    join_tail_local *l = local;
    uint64_t share = pool_budget_bytes(&g->budget) / g->threads;
    for (;;) {
        if (ctx->interrupted && atomic_load(ctx->interrupted))
            return error_set(err, EIDER_ERROR_INTERRUPTED, "Interrupted!");
        if (l->pending) {
            chunk_reset(out);
            if (l->passes) {
                if (!pass_probe(p, l, out, err)) return false;
            } else {
                op_result r = probe_chunk(p, &l->table, l->probe, l->in, out, NULL, 0, err);
                if (r == OP_ERROR) return false;
                l->pending = r == OP_HAVE_MORE_OUTPUT;
            }
            if (out->count > 0) return true;
            continue;
        }
        if (l->unmatched_pending) { /* LEFT, last pass: rows no pass matched */
            l->unmatched_pending = false;
            const uint8_t *flags = block_data(l->flags);
            uint32_t n = 0;
            for (uint32_t i = 0; i < l->in->count; i++)
                if (!flag_test(flags, l->in_first + i)) l->probe->out_sel[n++] = i;
            chunk_reset(out);
            join_emit(p, l->in, out, 0, l->probe->out_sel, NULL, n, true);
            out->count = n;
            if (n > 0) return true;
            continue;
        }
        if (l->has_task) {
            uint32_t n;
            if (!next_probe_rows(p, l, &n, err)) return false;
            if (n > 0) {
                l->probe->phase = PROBE_START;
                l->pending = true;
            } else if (l->passes && !l->last_pass) {
                if (!start_pass(p, l, share, err)) return false;
            } else {
                tail_task_done(l);
            }
            continue;
        }
        pthread_mutex_lock(&g->lock);
        bool got = g->task_count > 0;
        if (got) l->task = g->tasks[--g->task_count];
        pthread_mutex_unlock(&g->lock);
        if (!got) {
            out->count = 0;
            return true;
        }
        l->has_task = true;
        l->block = 0;
        l->block_data = NULL;
        l->pos = 0;
        l->read_rows = 0;
        if (task_bytes(&l->task) <= share) {
            if (!table_load(p, &l->table, &l->task.build, l->pool, err)) return false;
            continue;
        }
        if (l->task.level < SPILL_MAX_LEVEL && !l->task.unsplittable) {
            if (!split_task(p, g, l, err)) return false;
            continue;
        }
        /* a skewed partition: passes over slices of its build rows */
        l->passes = true;
        l->slice_from = l->slice_to = 0;
        l->inner = *p;
        l->inner.type = JOIN_INNER;
        if (p->type != JOIN_INNER) {
            l->flags = block_alloc(l->pool, TAG_HASH_TABLE, BLOCK_TEMPORARY, (l->task.probe.rows + 7) / 8 + 8, err);
            if (!l->flags) return false;
        }
        if (!start_pass(p, l, share, err)) return false;
    }
}

/* ---- destroy / construction ------------------------------------------------------------------ */

static void join_destroy(physical_op *op) {
    join_global *g = op->sink_state;
    if (!g) return;
    row_store_free(&g->rows);
    string_heap_free(&g->strings);
    table_free(&g->t);
    join_run_free(&g->resident_rows);
    for (uint32_t i = 0; i < SPILL_PARTS; i++) {
        join_run_free(&g->build_parts[i]);
        join_run_free(&g->probe_parts[i]);
    }
    for (uint32_t i = 0; i < g->task_count; i++) task_free(&g->tasks[i]);
    if (g->tasks) pool_free(g->pool, g->tasks);
    g->tasks = NULL;
    g->task_count = 0;
    pool_budget_unregister(&g->budget);
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
    .op_finish = join_op_finish,
    .source_init = join_source_init,
    .source_local_init = join_source_local_init,
    .get_data = join_get_data,
    .source_local_destroy = join_source_local_destroy,
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
