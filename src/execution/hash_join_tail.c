/*
 * hash_join_tail.c — the hash join's tail pipeline: the partitions the build spilled.
 *
 * After the probe pipelines, each spilled partition is a task: its build rows and the probe rows
 * the probe deferred to it, both runs of position-independent blocks (join_spill.h). Threads take
 * tasks one at a time, load the build rows into a hash table of their own and stream the task's
 * probe rows through it with the probe of hash_join.c. A task whose build rows would not fit in
 * the thread's share of the budget is split with the next bits of the hash into new tasks; one
 * that does not split (a skewed key) is joined in passes over slices of its build rows, each pass
 * reading every probe row of the task, with a bit per probe row to emit it once (SEMI: in the
 * pass of its first match; ANTI and LEFT's and FULL's unmatched rows: in the last pass).
 *
 * RIGHT and FULL: once a task's probe rows are through, the task's build rows that no probe row
 * matched are emitted (in passes: the slice's, after each pass, before the slice is freed). Before
 * any task, threads scan the build rows the probe pipelines joined (the in-memory table, or the
 * resident partitions) block by block for the unmatched ones. A block whose rows were emitted is
 * freed only on the next call, once the rows were consumed downstream (their strings live in it).
 */
#include "execution/hash_join_internal.h"

#define DENSE_SCAN_SLOTS 65536 /* dense mode: slots a tail thread takes at a time */

void join_task_free(join_task *t) {
    join_run_free(&t->build);
    join_run_free(&t->probe);
}

/* A task with nothing to produce: INNER and SEMI need rows on both sides, LEFT and ANTI probe
 * rows, RIGHT build rows, FULL either. */
static bool task_is_empty(const join_params *p, const join_task *t) {
    bool probe = t->probe.rows > 0, build = t->build.rows > 0;
    switch (p->type) {
    case JOIN_INNER:
    case JOIN_SEMI: return !probe || !build;
    case JOIN_LEFT:
    case JOIN_ANTI: return !probe;
    case JOIN_RIGHT: return !build;
    case JOIN_FULL: return !probe && !build;
    }
    return false;
}

/* Adds a task to the global list (the caller holds the lock, or runs alone); on failure the
 * task's blocks are freed. */
static bool push_task(join_global *g, join_task *t, error *err) {
    if (g->task_count == g->task_capacity) {
        uint32_t cap = g->task_capacity ? 2 * g->task_capacity : 64;
        join_task *grown = pool_realloc(g->pool, g->tasks, sizeof *grown * cap);
        if (!grown) {
            join_task_free(t);
            return hash_join_oom(err, "join partitions");
        }
        g->tasks = grown;
        g->task_capacity = cap;
    }
    g->tasks[g->task_count++] = *t;
    return true;
}

/* ---- the tail's source ------------------------------------------------------------------------ */

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
    bool unmatched_pending;        /* LEFT, FULL: the unmatched rows of `in` are still to emit */
    join_params inner;             /* the join's params as an INNER join (passes) */
    /* RIGHT, FULL: the task's (or the pass's) build rows no probe row matched, block by block */
    bool build_scan;
    uint32_t scan_block, scan_to;
    uint64_t scan_pos;
    /* RIGHT, FULL: the scan of the build rows the probe pipelines joined (join_global.scan) */
    bool global_scan_done;
    uint32_t global_block;
    uint8_t *global_data; /* its rows while they are read, or NULL */
    uint64_t global_pos;
    uint64_t dense_pos, dense_end; /* dense mode: the slots taken */
    uint8_t *rows[VECTOR_SIZE];
} join_tail_local;

/* Writes into out the build rows [*pos, used) of the block at data that no probe row matched, up to
 * VECTOR_SIZE of them, with NULL probe columns; advances *pos past the rows looked at. */
static void emit_unmatched(const join_params *p, uint8_t *data, uint64_t used, uint64_t *pos, uint8_t **rows,
                           chunk *out) {
    uint32_t width = p->layout.width, n = 0;
    uint64_t r = *pos;
    for (; r < used && n < VECTOR_SIZE; r++) {
        uint8_t *row = data + r * width;
        if (row[p->match_offset] != BUILD_MATCHED) rows[n++] = row;
    }
    *pos = r;
    for (uint32_t c = 0; c < p->probe_columns; c++)
        if (join_probe_read(p, c)) vector_set_null_range(&out->columns[p->probe_at + c], 0, n);
    for (uint32_t c = 0; c < p->build_columns; c++)
        if (join_build_read(p, c))
            row_gather(&p->layout, c, rows, n, &out->columns[p->build_at + c], 0);
    out->count = n;
}

/* After the probe pipelines: the in-memory table is no longer needed (RIGHT and FULL keep its
 * rows, to scan them for the unmatched ones; resident partitions' rows are unpinned and read back
 * block by block); the spilled partitions become tasks. */
bool join_source_init(physical_op *op, exec_context *ctx, error *err) {
    (void)ctx;
    join_params *p = op->params;
    join_global *g = op->sink_state;
    if (!p->keep_build || !g->t.dense) join_table_free(&g->t); /* dense: the tail reads the arrays */
    atomic_store(&g->scan_next, 0);
    atomic_store(&g->dense_next, 0);
    if (!p->keep_build) {
        row_store_free(&g->rows);
        string_heap_free(&g->strings);
        join_run_free(&g->resident_rows);
    } else if (!g->spilled) {
        g->scan = &g->rows.blocks;
    } else {
        join_run *r = &g->resident_rows;
        for (uint32_t b = 0; b < r->blocks.count; b++) {
            block_entry *e = &r->blocks.entries[b];
            if (e->handle && e->data) join_run_unpin(&p->layout, r, b, e->data);
            e->data = NULL;
        }
        g->scan = &r->blocks;
        g->scan_spilled = true;
    }
    if (!g->spilled) {
        if (!p->keep_build) pool_budget_unregister(&g->budget);
        return true;
    }
    for (uint32_t i = 0; i < JOIN_SPILL_PARTS; i++) {
        join_task t = {.level = 0, .build = g->build_parts[i], .probe = g->probe_parts[i]};
        join_run_init(&g->build_parts[i], g->pool);
        join_run_init(&g->probe_parts[i], g->pool);
        if (task_is_empty(p, &t)) join_task_free(&t);
        else if (!push_task(g, &t, err)) return false;
    }
    return true;
}

void *join_source_local_init(physical_op *op, exec_context *ctx, error *err) {
    join_params *p = op->params;
    join_global *g = op->sink_state;
    join_tail_local *l = pool_calloc(ctx->pool, 1, sizeof *l);
    if (!l) {
        hash_join_oom(err, "join tail state");
        return NULL;
    }
    l->pool = ctx->pool;
    pthread_mutex_lock(&g->lock);
    g->tail_threads++;
    pthread_mutex_unlock(&g->lock);
    if (!(l->probe = join_probe_local_create(p, ctx->pool, err)) ||
        !(l->in = chunk_create(ctx->arena, op->children[0]->types, p->probe_columns, err)))
        return l; /* err is set: the executor destroys l */
    return l;
}

static void tail_task_done(join_tail_local *l) {
    if (l->block_data) join_run_free_block(&l->task.probe, l->block);
    l->block_data = NULL;
    join_table_reset(&l->table); /* its directory may serve the next task */
    join_task_free(&l->task);
    if (l->flags) block_free(l->flags);
    l->flags = NULL;
    l->has_task = false;
    l->pending = false;
    l->passes = false;
    l->unmatched_pending = false;
    l->build_scan = false;
}

void join_source_local_destroy(physical_op *op, void *local) {
    join_global *g = op->sink_state;
    join_tail_local *l = local;
    if (!l) return;
    if (l->has_task) tail_task_done(l);
    join_table_free(&l->table);
    join_spill_parts_destroy(l->pool, l->split[0]);
    join_spill_parts_destroy(l->pool, l->split[1]);
    join_probe_local_destroy(l->probe);
    if (l->in) chunk_destroy(l->in);
    pool_free(l->pool, l);
    pthread_mutex_lock(&g->lock);
    /* the last tail thread: no task can come any more, and the build rows were scanned */
    if (--g->tail_threads == 0 && g->task_count == 0) {
        g->scan = NULL;
        join_table_free(&g->t);
        row_store_free(&g->rows);
        string_heap_free(&g->strings);
        join_run_free(&g->resident_rows);
        pool_budget_unregister(&g->budget);
    }
    pthread_mutex_unlock(&g->lock);
}

/* Bytes a task's table takes in memory. */
static uint64_t task_bytes(const join_task *t) { return join_run_bytes(&t->build) + directory_bytes(t->build.rows); }

/* Writes every row of run into s at the given level, freeing the run's blocks as it goes. */
static bool split_run(const row_layout *layout, join_run *run, join_spill_parts *s, uint32_t level, error *err) {
    for (uint32_t b = 0; b < run->blocks.count; b++) {
        uint8_t *data = join_run_pin(layout, run, b, err);
        if (!data) {
            if (error_is_set(err)) return false;
            continue;
        }
        bool ok = join_spill_parts_write_block(s, data, run->blocks.entries[b].used, layout->width, level, err);
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
    for (int k = 0; k < 2; k++) {
        const row_layout *layout = k ? &p->probe_layout : &p->layout;
        if (!l->split[k] && !(l->split[k] = join_spill_parts_create(l->pool, layout, TAG_HASH_TABLE, 0, err)))
            return false;
    }
    if (!split_run(&p->layout, &t->build, l->split[0], level, err) ||
        !split_run(&p->probe_layout, &t->probe, l->split[1], level, err))
        return false;
    join_spill_parts_pause(l->split[0]);
    join_spill_parts_pause(l->split[1]);
    join_task_free(t);
    l->has_task = false;
    bool ok = true;
    pthread_mutex_lock(&g->lock);
    for (uint32_t i = 0; i < JOIN_SPILL_PARTS; i++) {
        join_task sub = {.level = level, .build = l->split[0]->runs[i], .probe = l->split[1]->runs[i]};
        sub.unsplittable = sub.build.rows > build_rows / 10 * 9; /* one key (or a few) has most rows */
        for (int k = 0; k < 2; k++) {
            join_run_init(&l->split[k]->runs[i], l->pool);
            join_run_writer_init(&l->split[k]->writers[i], k ? &p->probe_layout : &p->layout, &l->split[k]->runs[i]);
        }
        if (!ok || task_is_empty(p, &sub)) join_task_free(&sub);
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
    join_table_reset(&l->table);
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
    return join_table_load_blocks(p, &l->table, build, from, to, l->pool, err);
}

static inline bool flag_test(const uint8_t *flags, uint64_t i) { return (flags[i >> 3] >> (i & 7)) & 1; }
static inline void flag_set(uint8_t *flags, uint64_t i) { flags[i >> 3] |= (uint8_t)(1u << (i & 7)); }

/* SEMI and ANTI in passes: a probe row is emitted once, by SEMI in the pass of its first match,
 * by ANTI in the last pass if no pass matched it. */
static void semi_anti_pass(const join_params *p, join_tail_local *l, chunk *out) {
    join_probe_local *pl = l->probe;
    const chunk *in = l->in;
    join_probe_begin(p, &l->table, pl, in, NULL);
    while (pl->n_active > 0) {
        uint32_t m = join_probe_round(p, &l->table, pl);
        for (uint32_t k = 0; k < m; k++) pl->found[pl->compare[k]] = 1;
        join_probe_advance(pl, true);
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
    op_result r = join_probe_chunk(&l->inner, &l->table, l->probe, l->in, out, NULL, err);
    if (r == OP_ERROR) return false;
    l->pending = r == OP_HAVE_MORE_OUTPUT;
    if (l->pending || !p->keep_probe) return true;
    uint8_t *flags = block_data(l->flags);
    for (uint32_t i = 0; i < l->in->count; i++)
        if (l->probe->found[i] == 1) flag_set(flags, l->in_first + i);
    l->unmatched_pending = l->last_pass;
    return true;
}

bool join_get_data(physical_op *op, exec_context *ctx, void *local, chunk *out, error *err) {
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
                op_result r = join_probe_chunk(p, &l->table, l->probe, l->in, out, NULL, err);
                if (r == OP_ERROR) return false;
                l->pending = r == OP_HAVE_MORE_OUTPUT;
            }
            if (out->count > 0) return true;
            continue;
        }
        if (l->unmatched_pending) { /* LEFT, FULL, last pass: probe rows no pass matched */
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
        if (l->build_scan) { /* RIGHT, FULL: the build rows of the task or pass no probe row matched */
            join_run *build = &l->task.build;
            for (; l->scan_block < l->scan_to; l->scan_block++, l->scan_pos = 0) {
                block_entry *e = &build->blocks.entries[l->scan_block];
                if (e->handle && e->data && l->scan_pos < e->used) break;
            }
            if (l->scan_block < l->scan_to) {
                block_entry *e = &build->blocks.entries[l->scan_block];
                chunk_reset(out);
                emit_unmatched(p, e->data, e->used, &l->scan_pos, l->rows, out);
                if (out->count > 0) return true;
                continue;
            }
            l->build_scan = false;
            if (l->passes && !l->last_pass) {
                if (!start_pass(p, l, share, err)) return false;
            } else {
                tail_task_done(l);
            }
            continue;
        }
        if (l->has_task) {
            uint32_t n;
            if (!next_probe_rows(p, l, &n, err)) return false;
            if (n > 0) {
                l->probe->phase = PROBE_START;
                l->pending = true;
            } else if (p->keep_build) {
                l->build_scan = true;
                l->scan_block = l->passes ? l->slice_from : 0;
                l->scan_to = l->passes ? l->slice_to : l->task.build.blocks.count;
                l->scan_pos = 0;
            } else if (l->passes && !l->last_pass) {
                if (!start_pass(p, l, share, err)) return false;
            } else {
                tail_task_done(l);
            }
            continue;
        }
        if (p->keep_build && g->t.dense && !l->global_scan_done) { /* slots of the dense arrays */
            if (l->dense_pos >= l->dense_end) {
                uint64_t slots = (uint64_t)g->t.key_max - (uint64_t)g->t.key_min + 1;
                uint64_t from = atomic_fetch_add(&g->dense_next, DENSE_SCAN_SLOTS);
                if (from >= slots) {
                    l->global_scan_done = true;
                    continue;
                }
                l->dense_pos = from;
                l->dense_end = slots - from < DENSE_SCAN_SLOTS ? slots : from + DENSE_SCAN_SLOTS;
            }
            chunk_reset(out);
            join_dense_emit_unmatched(p, &g->t, &l->dense_pos, l->dense_end, out);
            if (out->count > 0) return true;
            continue;
        }
        if (g->scan && !l->global_scan_done) { /* RIGHT, FULL: see join_source_init */
            if (l->global_data) {
                uint64_t used = g->scan->entries[l->global_block].used;
                if (l->global_pos < used) {
                    chunk_reset(out);
                    emit_unmatched(p, l->global_data, used, &l->global_pos, l->rows, out);
                    if (out->count > 0) return true;
                    continue;
                }
                /* its rows were consumed downstream before this call */
                if (g->scan_spilled) join_run_free_block(&g->resident_rows, l->global_block);
                l->global_data = NULL;
            }
            uint32_t b = atomic_fetch_add(&g->scan_next, 1);
            if (b >= g->scan->count) {
                l->global_scan_done = true;
                continue;
            }
            l->global_block = b;
            l->global_pos = 0;
            if (!g->scan_spilled) l->global_data = g->scan->entries[b].data;
            else if (!(l->global_data = join_run_pin(&p->layout, &g->resident_rows, b, err)) && error_is_set(err))
                return false;
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
            if (!join_table_load(p, &l->table, &l->task.build, l->pool, err)) return false;
            continue;
        }
        if (l->task.level < SPILL_MAX_LEVEL && !l->task.unsplittable && l->task.probe.rows > 0) {
            if (!split_task(p, g, l, err)) return false;
            continue;
        }
        /* a skewed partition: passes over slices of its build rows */
        l->passes = true;
        l->slice_from = l->slice_to = 0;
        l->inner = *p;
        l->inner.type = JOIN_INNER;
        l->inner.keep_probe = false; /* keep_build stays: every pass marks its slice's rows */
        if (p->keep_probe || p->type == JOIN_SEMI || p->type == JOIN_ANTI) {
            l->flags = block_alloc(l->pool, TAG_HASH_TABLE, BLOCK_TEMPORARY, (l->task.probe.rows + 7) / 8 + 8, err);
            if (!l->flags) return false;
        }
        if (!start_pass(p, l, share, err)) return false;
    }
}