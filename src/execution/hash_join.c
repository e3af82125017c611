/*
 * hash_join.c — equality hash join.
 *
 * Build (sink): each thread appends the build rows whose keys are all non-NULL, with their key
 * hash, to its own row store (RIGHT and FULL keep the rows with a NULL key too, marked so that
 * they are never linked); combine moves the thread's blocks into the global store (no copy).
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
 * rows' size, and produces at most one output row, in input order. (RIGHT and FULL: a bitmap of
 * the slots the probe matched; not when a build key is NULL.)
 *
 * RIGHT and FULL: a build row has a match byte (in the padding after its validity bytes, or in a
 * trailing byte), which the probe sets when it emits the row — threads may set it at once, with
 * relaxed atomic stores. After the probe pipelines the tail pipeline (below) scans the build rows
 * (threads take blocks) and emits those never matched, NULL keys included, with NULL probe
 * columns. FULL emits the probe rows without a match as LEFT does.
 *
 * Spilling: the join registers a pool budget. When the build rows of all threads would pass it,
 * the build is partitioned: each thread writes its rows into JOIN_SPILL_PARTS partitions chosen by
 * the top bits of their hash, as runs of position-independent blocks (join_spill.h) that the pool may
 * write to temp files — the rows stored so far once, then each chunk straight from its vectors
 * (RIGHT and FULL: a chunk with NULL keys goes through the thread's row store, flushed whenever it
 * grows past the thread's share). finalize
 * keeps as many partitions in memory as fit in half the budget (their blocks are pinned and linked
 * into a hashed directory); probe rows of those partitions are joined while they stream, the
 * others are written by each thread straight into its probe partitions (handed to the global
 * state by op_finish when the thread's input ends). Then the join is the source of a tail pipeline
 * (executor.h): threads take spilled partitions one at a time, load the build rows into a hash
 * table of their own and stream the partition's probe rows through it. A partition whose build
 * rows would not fit in the thread's share of the budget is split with the next bits of the hash
 * first; one that does not split (a skewed key) is joined in passes. RIGHT and FULL emit a
 * partition's unmatched build rows after its probe rows, and the resident partitions' ones by the
 * scan above (their blocks are unpinned after the probe and read back one at a time). The tail is
 * in hash_join_tail.c; what both files share in hash_join_internal.h.
 */
#include <stdio.h>

#include "execution/key_hash.h"
#include "execution/hash_join_internal.h"

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
    uint32_t null_sel[VECTOR_SIZE]; /* keep_build: rows with a NULL key, at their place in sel */
    uint64_t null_rows;             /* of this thread so far */
    int64_t key_min, key_max;
    bool has_keys;
    const vector *keys[];
} join_build_local;

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

/* The probe columns a spilled probe row keeps: those read downstream and the keys. */
static bool init_probe_layout(join_params *p, const physical_op *op, arena *a, error *err) {
    const physical_op *probe = op->children[0];
    bool keep[p->probe_columns + 1];
    uint32_t n = 0;
    for (uint32_t c = 0; c < p->probe_columns; c++) keep[c] = join_probe_read(p, c);
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
    for (uint32_t i = 0; i < JOIN_SPILL_PARTS; i++) {
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
        hash_join_oom(err, "join build state");
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
    join_spill_parts_destroy(l->pool, l->spill);
    pool_free(l->pool, l);
}

/* The thread's build partitions, made on first use. */
static bool local_partitions(const join_params *p, join_build_local *l, error *err) {
    return l->spill || (l->spill = join_spill_parts_create(l->pool, &p->layout, TAG_HASH_TABLE, 0, err));
}

/* Moves the rows of a store (and its strings) into the thread's partitions; `counted`, the part
 * of build_bytes they held, leaves it. */
static bool spill_store(join_global *g, const join_params *p, join_build_local *l, row_store *rows,
                        string_heap *strings, uint64_t *counted, error *err) {
    if (rows->row_count == 0) return true;
    if (!local_partitions(p, l, err) || !join_spill_parts_write_store(l->spill, rows, strings, err)) return false;
    atomic_fetch_sub(&g->build_bytes, *counted);
    *counted = 0;
    return true;
}

/* Moves the global store's rows into the thread's partitions (they join the global partitions at
 * combine). The caller holds the lock. */
static bool spill_global_store(join_global *g, const join_params *p, join_build_local *l, error *err) {
    return spill_store(g, p, l, &g->rows, &g->strings, &g->store_counted, err);
}

/* Moves the thread's stored rows into its partitions. */
static bool spill_local_store(join_global *g, const join_params *p, join_build_local *l, error *err) {
    if (!spill_store(g, p, l, &l->rows, &l->strings, &l->counted, err)) return false;
    l->counted_blocks = 0;
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
    return spill_local_store(g, p, l, err);
}

/* Widens the thread's range of integer keys by the keys of rows sel[k] (k < n). */
static void track_key_range(join_build_local *l, uint32_t n) {
    int64_t lo = l->has_keys ? l->key_min : INT64_MAX, hi = l->has_keys ? l->key_max : INT64_MIN;
    bool wide = wide_key(l->keys[0]);
    for (uint32_t k = 0; k < n; k++) {
        int64_t key = integer_key_at(l->keys[0], wide, l->sel[k]);
        lo = key < lo ? key : lo;
        hi = key > hi ? key : hi;
    }
    l->key_min = lo, l->key_max = hi, l->has_keys = true;
}

static bool join_sink(physical_op *op, exec_context *ctx, void *local, chunk *in, error *err) {
    (void)ctx;
    join_params *p = op->params;
    join_global *g = op->sink_state;
    join_build_local *l = local;
    for (uint32_t j = 0; j < p->key_count; j++) l->keys[j] = &in->columns[p->build_keys[j]];
    /* rows with a NULL key never match: they are not kept, except by RIGHT and FULL, which emit
     * them as unmatched (sel[n, n_all)) */
    uint32_t n = rows_with_valid_keys(l->keys, p->key_count, in->count, l->sel), n_all = n;
    if (p->keep_build && n < in->count)
        for (uint32_t i = 0, k = 0; i < in->count; i++) {
            if (k < n && l->sel[k] == i) k++;
            else l->null_sel[n_all++] = i;
        }
    if (n_all == 0) return true;
    if (p->integer_key && n > 0) track_key_range(l, n);
    if (atomic_load(&g->spilling) && n_all == n) { /* straight into the thread's partitions */
        if (!spill_local_store(g, p, l, err) || !local_partitions(p, l, err)) return false;
        key_hash_vectors(l->keys, p->key_count, in->count, l->hashes);
        return join_spill_parts_write_vectors(l->spill, in->columns, NULL, p->build_used, l->sel, n,
                                              (const uint8_t *)l->hashes, sizeof(uint64_t), err);
    }
    if (!build_account(g, p, l, n_all, err)) return false;
    key_hash_vectors(l->keys, p->key_count, in->count, l->hashes);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = l->sel[k];
        uint8_t *row = row_store_append_one(&l->rows, err);
        if (!row) return false;
        l->row_ptrs[i] = row;
        memcpy(row, &l->hashes[i], sizeof(uint64_t));
    }
    for (uint32_t k = n; k < n_all; k++) {
        uint32_t i = l->sel[k] = l->null_sel[k];
        uint8_t *row = row_store_append_one(&l->rows, err);
        if (!row) return false;
        l->row_ptrs[i] = row;
        /* never linked, so any hash will do: one that spreads these rows over the partitions */
        uint64_t h = ++l->null_rows * 0x9E3779B97F4A7C15ull;
        memcpy(row, &h, sizeof h);
        row[p->match_offset] = BUILD_NULL_KEY;
    }
    for (uint32_t c = 0; c < p->build_columns; c++)
        if ((!p->build_used || p->build_used[c]) &&
            !row_scatter(&p->layout, c, &in->columns[c], l->sel, n_all, l->row_ptrs, &l->strings, err))
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
    if (ok && spilling && !spill_local_store(g, p, l, err)) return false;
    pthread_mutex_lock(&g->lock);
    for (uint32_t i = 0; ok && l->spill && i < JOIN_SPILL_PARTS; i++) {
        join_run_writer_pause(&l->spill->writers[i]);
        ok = join_run_move(&g->build_parts[i], &l->spill->runs[i], err);
    }
    g->null_rows += l->null_rows;
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
static inline bool build_stored(const join_params *p, uint32_t c) { return !p->build_used || p->build_used[c]; }

static bool build_dense(const join_params *p, join_global *g, arena *a, error *err) {
    join_table *t = &g->t;
    uint64_t slots = (uint64_t)t->key_max - (uint64_t)t->key_min + 1;
    const row_layout *layout = &p->layout;
    uint64_t bitmap_bytes = (slots + 63) / 64 * 8;
    uint64_t bytes = bitmap_bytes * (1 + p->build_columns + p->keep_build);
    for (uint32_t c = 0; c < p->build_columns; c++)
        if (build_stored(p, c)) bytes += array_bytes(slots, layout->types[c]);
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
        values[c] = build_stored(p, c) ? at : NULL;
        if (build_stored(p, c)) at += array_bytes(slots, layout->types[c]);
    }
    for (uint32_t c = 0; c < p->build_columns; c++, at += bitmap_bytes) valid[c] = (uint64_t *)at;
    uint64_t *present = (uint64_t *)at;
    uint64_t *matched = p->keep_build ? (uint64_t *)(at + bitmap_bytes) : NULL;
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
                if (!build_stored(p, c)) continue;
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
    t->dense_matched = matched;
    t->dense_valid = valid;
    t->dense_values = values;
    t->dense_has_null = has_null;
    row_store_free(&g->rows); /* long strings stay in g->strings */
    return true;
}

/* Links the n rows at data into t's directory (by key in direct mode, else by hash); with
 * null_keys, rows marked BUILD_NULL_KEY are left out. */
static inline void link_rows(const join_params *p, join_table *t, uint8_t *data, uint64_t n, uint32_t width,
                             bool null_keys) {
    for (uint64_t r = 0; r < n; r++) {
        uint8_t *row = data + r * width;
        if (null_keys && row[p->match_offset] == BUILD_NULL_KEY) continue;
        uint64_t slot = t->direct ? (uint64_t)row_integer_key(p, row) - (uint64_t)t->key_min : join_row_hash(row) & t->mask;
        uint8_t **head = &t->directory[slot];
        row_set_next(row, *head);
        *head = row;
    }
}

void join_table_free(join_table *t) {
    if (t->directory_block) block_free(t->directory_block);
    if (t->dense_block) block_free(t->dense_block);
    memset(t, 0, sizeof *t);
}

void join_table_reset(join_table *t) {
    block_handle *directory = t->directory_block;
    t->directory_block = NULL;
    join_table_free(t);
    t->directory_block = directory;
}

/* Builds a hashed table over the rows of blocks [from, to) of run: the blocks are pinned (and
 * stay pinned until they are freed) and their rows linked into a directory, the one t kept from
 * join_table_reset when it has the size needed (partitions of one join mostly do), else a new
 * one: a join of many partitions does not map and fault in a directory for each. */
bool join_table_load_blocks(const join_params *p, join_table *t, join_run *run, uint32_t from, uint32_t to,
                            buffer_pool *pool, error *err) {
    block_handle *kept = t->directory_block;
    memset(t, 0, sizeof *t);
    uint64_t rows = 0;
    for (uint32_t b = from; b < to; b++) rows += run->blocks.entries[b].handle ? run->blocks.entries[b].used : 0;
    uint64_t bytes = directory_bytes(rows);
    if (kept && (rows == 0 || block_size(kept) != bytes)) {
        block_free(kept);
        kept = NULL;
    }
    if (rows == 0) return true;
    if (kept) {
        t->directory_block = kept;
        memset(block_data(kept), 0, bytes);
    } else if (!(t->directory_block = block_alloc(pool, TAG_HASH_TABLE, BLOCK_TEMPORARY, bytes, err))) {
        return false;
    }
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
        if (p->keep_build) link_rows(p, t, data, e->used, width, true);
        else link_rows(p, t, data, e->used, width, false);
    }
    return true;
}

bool join_table_load(const join_params *p, join_table *t, join_run *run, buffer_pool *pool, error *err) {
    return join_table_load_blocks(p, t, run, 0, run->blocks.count, pool, err);
}

/* finalize when the build spilled: every row goes into the partitions, then the partitions that
 * fit in half the budget are loaded; the probe defers the rows of the others. */
static bool finalize_spilled(const join_params *p, join_global *g, error *err) {
    g->spilled = true;
    join_spill_parts *s = join_spill_parts_create(g->pool, &p->layout, TAG_HASH_TABLE, 0, err);
    if (!s) return false;
    bool ok = join_spill_parts_write_store(s, &g->rows, &g->strings, err);
    join_spill_parts_pause(s);
    for (uint32_t i = 0; ok && i < JOIN_SPILL_PARTS; i++) ok = join_run_move(&g->build_parts[i], &s->runs[i], err);
    join_spill_parts_destroy(g->pool, s);
    if (!ok) return false;
    atomic_store(&g->build_bytes, 0);
    uint64_t room = pool_budget_bytes(&g->budget) / 2, used = 0;
    for (uint32_t i = 0; i < JOIN_SPILL_PARTS; i++) {
        join_run *r = &g->build_parts[i];
        uint64_t cost = join_run_bytes(r) + 3 * sizeof(uint8_t *) * r->rows;
        if (used + cost > room) continue;
        used += cost;
        g->resident |= (uint64_t)1 << i;
        if (!join_run_move(&g->resident_rows, r, err)) return false;
    }
    return join_table_load(p, &g->t, &g->resident_rows, g->pool, err);
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
    if (t->direct && !g->null_rows) { /* RIGHT and FULL keep rows with NULL keys: not in the arrays */
        if (!build_dense(p, g, ctx->arena, err)) return false;
        if (t->dense) return true;
    }
    uint64_t cap = t->direct ? (uint64_t)t->key_max - (uint64_t)t->key_min + 1 : directory_bytes(n) / sizeof(uint8_t *);
    t->directory_block = block_alloc(g->rows.blocks.pool, TAG_HASH_TABLE, BLOCK_TEMPORARY, cap * sizeof(uint8_t *), err);
    if (!t->directory_block) return false;
    t->directory = block_data(t->directory_block);
    t->mask = cap - 1;
    uint32_t width = g->rows.layout->width;
    for (uint32_t b = 0; b < g->rows.blocks.count; b++) {
        block_entry *e = &g->rows.blocks.entries[b];
        if (p->keep_build) link_rows(p, t, e->data, e->used, width, true);
        else link_rows(p, t, e->data, e->used, width, false);
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
uint32_t join_probe_begin(const join_params *p, const join_table *g, join_probe_local *l, const chunk *in,
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
                if ((*resident >> join_spill_part(l->hashes[i], 0)) & 1) l->compare[m++] = i;
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
uint32_t join_probe_round(const join_params *p, const join_table *g, join_probe_local *l) {
    if (g->direct) { /* a chain holds only rows with the probe key */
        memcpy(l->compare, l->active, sizeof(uint32_t) * l->n_active);
        return l->n_active;
    }
    uint32_t n_compare = 0;
    for (uint32_t k = 0; k < l->n_active; k++) {
        uint32_t i = l->active[k];
        if (join_row_hash(l->ptrs[i]) == l->hashes[i]) l->compare[n_compare++] = i;
    }
    uint32_t n_no_match = 0;
    uint32_t matched = row_match(&p->layout, p->build_keys, l->keys, p->key_count, l->compare, n_compare, l->ptrs,
                                 l->no_match, &n_no_match);
    return matched;
}

/* Moves every active chain one step; finished chains (and with drop_found, matched rows) leave
 * the active set. */
void join_probe_advance(join_probe_local *l, bool drop_found) {
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
void join_emit(const join_params *p, const chunk *in, chunk *out, uint32_t out_start, const uint32_t *sel,
               uint8_t *const *rows, uint32_t n, bool with_build) {
    if (n == 0) return;
    for (uint32_t c = 0; c < p->probe_columns; c++)
        if (join_probe_read(p, c)) vector_select(&out->columns[p->probe_at + c], out_start, &in->columns[c], sel, n);
    if (!with_build) return;
    for (uint32_t c = 0; c < p->build_columns; c++) {
        if (!join_build_read(p, c)) continue;
        vector *v = &out->columns[p->build_at + c];
        if (rows) row_gather(&p->layout, c, rows, n, v, out_start);
        else vector_set_null_range(v, out_start, n);
    }
}

static op_result join_execute_semi_anti(const join_params *p, const join_table *g, join_probe_local *l,
                                        const chunk *in, chunk *out) {
    while (l->n_active > 0) {
        uint32_t m = join_probe_round(p, g, l);
        for (uint32_t k = 0; k < m; k++) l->found[l->compare[k]] = 1;
        join_probe_advance(l, true);
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
        if (join_build_read(p, c)) {
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
    if (p->keep_build) /* RIGHT, FULL: threads may mark the same slot at once */
        for (uint32_t i = 0; i < in->count; i++) {
            if (l->slots[i] == NO_SLOT) continue;
            uint64_t *word = &g->dense_matched[l->slots[i] >> 6], bit = (uint64_t)1 << (l->slots[i] & 63);
            if (!(__atomic_load_n(word, __ATOMIC_RELAXED) & bit)) __atomic_fetch_or(word, bit, __ATOMIC_RELAXED);
        }
    uint32_t n = 0;
    bool all_hit = !p->keep_probe;
    if (p->keep_probe) {
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
    if (p->type != JOIN_SEMI && p->type != JOIN_ANTI)
        for (uint32_t c = 0; c < p->build_columns; c++)
            if (join_build_read(p, c))
                dense_gather(p, g, c, l->hashes, n, all_hit, &out->columns[p->build_at + c]);
    out->count = n;
    return OP_NEED_MORE_INPUT;
}

void join_dense_emit_unmatched(const join_params *p, const join_table *g, uint64_t *pos, uint64_t end, chunk *out) {
    uint64_t slots[VECTOR_SIZE];
    uint32_t n = 0;
    uint64_t s = *pos;
    for (; s < end && n < VECTOR_SIZE; s++)
        if (bit_test(g->present, s) && !bit_test(g->dense_matched, s)) slots[n++] = s;
    *pos = s;
    for (uint32_t c = 0; c < p->probe_columns; c++)
        if (join_probe_read(p, c)) vector_set_null_range(&out->columns[p->probe_at + c], 0, n);
    for (uint32_t c = 0; c < p->build_columns; c++)
        if (join_build_read(p, c))
            dense_gather(p, g, c, slots, n, true, &out->columns[p->build_at + c]);
    out->count = n;
}

/* Writes the deferred probe rows of in (l->deferred, their hashes in l->hashes) into the thread's
 * probe partitions. */
static bool spill_probe_rows(const join_params *p, join_probe_local *l, const chunk *in, uint32_t n, error *err) {
    if (!l->spill && !(l->spill = join_spill_parts_create(l->pool, &p->probe_layout, TAG_HASH_TABLE, 0, err)))
        return false;
    return join_spill_parts_write_vectors(l->spill, in->columns, p->probe_cols, NULL, l->deferred, n,
                                          (const uint8_t *)l->hashes, sizeof(uint64_t), err);
}

/* Joins one input chunk against table g (l->phase PROBE_START: a new chunk). resident: see
 * join_probe_begin; deferred rows are written into l's probe partitions. */
op_result join_probe_chunk(const join_params *p, const join_table *g, join_probe_local *l, const chunk *in,
                           chunk *out, const uint64_t *resident, error *err) {
    if (g->dense) return join_execute_dense(p, g, l, in, out);
    if (l->phase == PROBE_START) {
        uint32_t n_deferred = join_probe_begin(p, g, l, in, resident);
        if (n_deferred && !spill_probe_rows(p, l, in, n_deferred, err)) return OP_ERROR;
        l->phase = PROBE_MATCHING;
    }
    if (p->type == JOIN_SEMI || p->type == JOIN_ANTI) return join_execute_semi_anti(p, g, l, in, out);

    uint32_t out_n = 0;
    if (l->phase == PROBE_MATCHING) {
        while (l->n_active > 0 && out_n + l->n_active <= VECTOR_SIZE) {
            uint32_t m = join_probe_round(p, g, l);
            for (uint32_t k = 0; k < m; k++) {
                uint32_t i = l->compare[k];
                l->out_sel[out_n] = i;
                l->out_rows[out_n] = l->ptrs[i];
                l->found[i] = 1;
                out_n++;
            }
            if (p->keep_build)
                for (uint32_t k = 0; k < m; k++) join_mark_matched(p, l->ptrs[l->compare[k]]);
            join_probe_advance(l, false);
        }
        join_emit(p, in, out, 0, l->out_sel, l->out_rows, out_n, true);
        out->count = out_n;
        if (l->n_active > 0) return OP_HAVE_MORE_OUTPUT;
        if (!p->keep_probe) {
            l->phase = PROBE_START;
            return OP_NEED_MORE_INPUT;
        }
        l->phase = PROBE_LEFT_TAIL;
    }
    /* LEFT, FULL: the probe rows without a match, with NULL build columns */
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
    return join_probe_chunk(p, &g->t, local, in, out, g->spilled ? &g->resident : NULL, err);
}

join_probe_local *join_probe_local_create(const join_params *p, buffer_pool *pool, error *err) {
    join_probe_local *l = pool_calloc(pool, 1, sizeof *l + sizeof(const vector *) * p->key_count);
    if (!l) {
        hash_join_oom(err, "join probe state");
        return NULL;
    }
    l->pool = pool;
    l->phase = PROBE_START;
    return l;
}

void join_probe_local_destroy(join_probe_local *l) {
    if (!l) return;
    join_spill_parts_destroy(l->pool, l->spill);
    pool_free(l->pool, l);
}

static void *join_op_local_init(physical_op *op, exec_context *ctx, error *err) {
    return join_probe_local_create(op->params, ctx->pool, err);
}

static void join_op_local_destroy(physical_op *op, void *local) {
    (void)op;
    join_probe_local_destroy(local);
}

/* The thread's input ended: its probe partitions go to the global state. */
static bool join_op_finish(physical_op *op, exec_context *ctx, void *local, error *err) {
    (void)ctx;
    join_global *g = op->sink_state;
    join_probe_local *l = local;
    if (!l->spill) return true;
    join_spill_parts_pause(l->spill);
    pthread_mutex_lock(&g->lock);
    bool ok = true;
    for (uint32_t i = 0; ok && i < JOIN_SPILL_PARTS; i++)
        ok = join_run_move(&g->probe_parts[i], &l->spill->runs[i], err);
    pthread_mutex_unlock(&g->lock);
    return ok;
}

/* ---- destroy / construction ------------------------------------------------------------------ */

static void join_destroy(physical_op *op) {
    join_global *g = op->sink_state;
    if (!g) return;
    row_store_free(&g->rows);
    string_heap_free(&g->strings);
    join_table_free(&g->t);
    join_run_free(&g->resident_rows);
    for (uint32_t i = 0; i < JOIN_SPILL_PARTS; i++) {
        join_run_free(&g->build_parts[i]);
        join_run_free(&g->probe_parts[i]);
    }
    for (uint32_t i = 0; i < g->task_count; i++) join_task_free(&g->tasks[i]);
    if (g->tasks) pool_free(g->pool, g->tasks);
    g->tasks = NULL;
    g->task_count = 0;
    pool_budget_unregister(&g->budget);
    if (g->lock_initialized) pthread_mutex_destroy(&g->lock);
    op->sink_state = NULL;
}

/* The layout of the build rows: the build columns kept (p->build_used), and for RIGHT and FULL
 * the match byte (in the padding after the validity bytes, or a byte more). */
static bool init_build_layout(join_params *p, arena *a, const logical_type *types, error *err) {
    if (!row_layout_init_stored(&p->layout, a, types, p->build_columns, p->build_used, JOIN_HEADER, 0, err))
        return false;
    if (!p->keep_build) return true;
    p->match_offset = p->layout.validity_offset + p->layout.column_count;
    return p->match_offset < p->layout.width ||
           row_layout_init_stored(&p->layout, a, types, p->build_columns, p->build_used, JOIN_HEADER, 1, err);
}

/* Estimated bytes of the rows a side produces: its estimated row count times the widths of the
 * produced columns (a VARCHAR counted with 16 bytes of text) and 16 bytes of row overhead; 0 when
 * the side's row count is not known. */
static uint64_t side_bytes(const physical_op *side, const bool *produced) {
    uint64_t width = 16;
    for (uint32_t c = 0; c < side->column_count; c++)
        if (produced[c]) width += type_physical_size(side->types[c]) + (side->types[c].id == TYPE_VARCHAR ? 16 : 0);
    return side->estimated_rows > UINT64_MAX / width ? UINT64_MAX : side->estimated_rows * width;
}

/* The build side becomes the probe side and the other way round; the output keeps its column
 * order (probe_at, build_at). */
static void swap_sides(physical_op *op, join_params *p, bool **probe, bool **build) {
    physical_op *child = op->children[0];
    op->children[0] = op->children[1];
    op->children[1] = child;
    uint32_t *keys = p->probe_keys, columns = p->probe_columns, at = p->probe_at;
    p->probe_keys = p->build_keys, p->probe_columns = p->build_columns, p->probe_at = p->build_at;
    p->build_keys = keys, p->build_columns = columns, p->build_at = at;
    bool *mask = *probe;
    *probe = *build;
    *build = mask;
    op->estimated_rows = op->children[0]->estimated_rows;
}

/* The probe side must produce the read probe columns and the keys; the build side the read build
 * columns and the keys (the others are not stored in the rows). An INNER join builds on the side
 * whose rows are estimated to take clearly fewer bytes (the hash table is then the smaller one,
 * and when it does not fit, more of its partitions stay in memory). */
static bool join_prune(physical_op *op, arena *a, const bool *used, error *err) {
    join_params *p = op->params;
    bool *probe = physical_used_mask(a, p->probe_columns, err);
    bool *build = physical_used_mask(a, p->build_columns, err);
    if (!probe || !build) return false;
    bool with_build = p->type != JOIN_SEMI && p->type != JOIN_ANTI;
    for (uint32_t c = 0; c < p->probe_columns; c++) probe[c] = !used || used[p->probe_at + c];
    for (uint32_t c = 0; c < p->build_columns; c++) build[c] = !used || (with_build && used[p->build_at + c]);
    for (uint32_t j = 0; j < p->key_count; j++) probe[p->probe_keys[j]] = build[p->build_keys[j]] = true;
    if (p->type == JOIN_INNER) {
        uint64_t probe_bytes = side_bytes(op->children[0], probe), build_bytes = side_bytes(op->children[1], build);
        if (probe_bytes && build_bytes > probe_bytes + probe_bytes / 2) swap_sides(op, p, &probe, &build);
    }
    p->used = used;
    p->build_used = build;
    if (!init_build_layout(p, a, op->children[1]->types, err)) return false;
    return physical_prune(op->children[0], a, probe, err) && physical_prune(op->children[1], a, build, err);
}

static void join_explain(const physical_op *op, char *out, size_t size) {
    static const char *const names[] = {"INNER", "LEFT", "RIGHT", "FULL", "SEMI", "ANTI"};
    snprintf(out, size, "%s", names[((const join_params *)op->params)->type]);
}

static const physical_op_vtable hash_join_vtable = {
    .prune = join_prune,
    .explain = join_explain,
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
    bool with_build = type != JOIN_SEMI && type != JOIN_ANTI;
    uint32_t n = probe->column_count + (with_build ? build->column_count : 0);
    logical_type *types = arena_alloc(a, sizeof(logical_type) * (n + 1), err);
    join_params *p = arena_alloc(a, sizeof *p, err);
    if (!types || !p) return NULL;
    memset(p, 0, sizeof *p);
    memcpy(types, probe->types, sizeof(logical_type) * probe->column_count);
    if (with_build) memcpy(types + probe->column_count, build->types, sizeof(logical_type) * build->column_count);
    physical_op *op = physical_op_create(a, &hash_join_vtable, types, n, err);
    if (!op) return NULL;
    p->type = type;
    p->key_count = key_count;
    p->probe_columns = probe->column_count;
    p->build_columns = build->column_count;
    p->build_at = probe->column_count;
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
    p->keep_probe = type == JOIN_LEFT || type == JOIN_FULL;
    p->keep_build = type == JOIN_RIGHT || type == JOIN_FULL;
    if (!init_build_layout(p, a, build->types, err)) return NULL;
    op->params = p;
    op->children[0] = probe;
    op->children[1] = build;
    op->child_count = 2;
    op->estimated_rows = probe->estimated_rows;
    return op;
}