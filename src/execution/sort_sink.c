/*
 * sort_sink.c — the external sort of ORDER BY and windows: stores, runs in memory and spilled,
 * and the final merge.
 */
#include "execution/sort_sink.h"

#include <string.h>

#define MERGE_MAX_FAN_IN 64 /* runs merged at once */

static bool oom(error *err, const char *what) {
    return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate %s", what);
}

void sort_sink_init(sort_sink *s, const sort_layout *sort, buffer_pool *pool, memory_tag tag, uint64_t keep,
                    atomic_bool *interrupted) {
    memset(s, 0, sizeof *s);
    s->sort = sort;
    s->pool = pool;
    s->tag = tag;
    s->keep = keep;
    s->interrupted = interrupted;
    sort_store_init(&s->store, s);
    atomic_init(&s->spilled, false);
    pthread_mutex_init(&s->lock, NULL);
    s->lock_initialized = true;
    pool_budget_register(pool, &s->budget);
}

void sort_sink_destroy(sort_sink *s) {
    if (!s->lock_initialized) return;
    if (s->merging) sort_merger_close(&s->merger);
    s->merging = false;
    for (uint32_t i = 0; i < s->spill_count; i++) sort_run_free(&s->spill_runs[i]);
    if (s->spill_runs) pool_free(s->pool, s->spill_runs);
    s->spill_runs = NULL;
    s->spill_count = s->spill_capacity = 0;
    pool_budget_unregister(&s->budget);
    sort_store_free(&s->store);
    if (s->entries_block) block_free(s->entries_block);
    s->entries_block = NULL;
    sort_sink_drop_runs(s);
    if (s->runs) pool_free(s->pool, s->runs);
    if (s->run_counts) pool_free(s->pool, s->run_counts);
    s->runs = NULL;
    s->run_counts = NULL;
    s->run_count = s->run_capacity = 0;
    pthread_mutex_destroy(&s->lock);
    s->lock_initialized = false;
}

/* ---- stores ------------------------------------------------------------------------------------ */

void sort_store_init(sort_store *st, const sort_sink *s) {
    row_store_init(&st->rows, s->sort->rows, s->pool, s->tag);
    string_heap_init(&st->strings, s->pool, s->tag);
    st->spill = (sort_space){NULL, NULL};
}

void sort_store_free(sort_store *st) {
    row_store_free(&st->rows);
    string_heap_free(&st->strings);
    sort_space_free(&st->spill);
}

bool sort_store_move(sort_store *dst, sort_store *src, error *err) {
    return string_heap_move(&dst->strings, &src->strings, err) && row_store_move(&dst->rows, &src->rows, err);
}

/* One block for the entries, one for the sort's scratch (freed at once). */
bool sort_sink_sort_store(const sort_sink *s, sort_store *st, block_handle **out, error *err) {
    buffer_pool *pool = s->pool;
    *out = NULL;
    uint64_t n = st->rows.row_count;
    if (n == 0) return true;
    size_t bytes = (size_t)n * sort_entry_width(s->sort);
    block_handle *entries = block_alloc(pool, s->tag, BLOCK_TEMPORARY, bytes, err);
    if (!entries) return false;
    block_handle *tmp = block_alloc(pool, s->tag, BLOCK_TEMPORARY, bytes, err);
    if (!tmp) {
        block_free(entries);
        return false;
    }
    sort_make_entries(s->sort, &st->rows, block_data(entries));
    bool ok = sort_entries(s->sort, pool, block_data(entries), block_data(tmp), n, err);
    block_free(tmp);
    if (!ok) {
        block_free(entries);
        return false;
    }
    *out = entries;
    return true;
}

/* ---- spilling ---------------------------------------------------------------------------------- */

/* Adds a finished run to the list (under the lock); the list takes over its blocks. */
static bool add_spill_run(sort_sink *s, sort_run *run, error *err) {
    if (s->spill_count == s->spill_capacity) {
        uint32_t cap = s->spill_capacity ? 2 * s->spill_capacity : 8;
        sort_run *runs = pool_realloc(s->pool, s->spill_runs, sizeof *runs * cap);
        if (!runs) return oom(err, "the list of sorted runs");
        s->spill_runs = runs;
        s->spill_capacity = cap;
    }
    s->spill_runs[s->spill_count++] = *run;
    return true;
}

/* Writes rows in the order of n entries as a run and adds it to the list. */
static bool spill_entries(sort_sink *s, const uint8_t *entries, uint64_t n, error *err) {
    sort_run run;
    sort_run_init_tag(&run, s->pool, s->tag);
    bool ok = sort_run_write_entries(s->sort, entries, n, &run, err);
    if (ok) {
        pthread_mutex_lock(&s->lock);
        ok = add_spill_run(s, &run, err);
        pthread_mutex_unlock(&s->lock);
    }
    if (!ok) sort_run_free(&run);
    return ok;
}

bool sort_sink_spill_store(sort_sink *s, sort_store *st, error *err) {
    atomic_store(&s->spilled, true);
    uint64_t n = st->rows.row_count;
    if (n == 0) return true;
    if (!sort_space_reserve(s->sort, &st->spill, s->pool, s->tag, n, err)) return false;
    uint8_t *entries = block_data(st->spill.entries);
    sort_make_entries(s->sort, &st->rows, entries);
    if (!sort_space_sort(s->sort, &st->spill, s->pool, n, err)) return false;
    uint64_t keep = n < s->keep ? n : s->keep; /* top-N needs no more */
    bool ok = spill_entries(s, entries, keep, err);
    if (!ok && err->type == EIDER_ERROR_OUT_OF_MEMORY && st->spill.scratch) {
        /* what is pinned besides the operator's budget left no room for the run's blocks: the
         * sort's scratch is not needed now, and its room lets the run's blocks evict each other */
        block_free(st->spill.scratch);
        st->spill.scratch = NULL;
        error_clear(err);
        ok = spill_entries(s, entries, keep, err);
    }
    row_store_free(&st->rows); /* the store stays usable */
    string_heap_free(&st->strings);
    return ok;
}

/* Bytes the store would hold, with its sort's entries and scratch, after n more rows. */
static uint64_t store_projected_bytes(const sort_sink *s, const sort_store *st, uint32_t n) {
    const row_store *rs = &st->rows;
    uint64_t bytes = block_list_bytes(&rs->blocks) + block_list_bytes(&st->strings.blocks);
    bytes += sort_space_need(s->sort, &st->spill, rs->row_count + n);
    bytes += row_store_growth(rs, n);
    if (s->sort->rows->has_strings) bytes += POOL_BLOCK_SIZE; /* the next string block */
    return bytes;
}

bool sort_sink_store_fits(const sort_sink *s, const sort_store *st, uint32_t n, uint32_t threads) {
    if (st->rows.row_count == 0) return true;
    return store_projected_bytes(s, st, n) <= pool_budget_bytes(&s->budget) / (threads ? threads : 1);
}

bool sort_sink_make_room(sort_sink *s, sort_store *st, uint32_t n, uint32_t threads, error *err) {
    return sort_sink_store_fits(s, st, n, threads) || sort_sink_spill_store(s, st, err);
}

/* The runs merged at once: each keeps a block or two pinned, within the operator's budget. */
static uint32_t merge_fan_in(const sort_sink *s) {
    uint64_t k = pool_budget_bytes(&s->budget) / (4 * POOL_BLOCK_SIZE);
    return k < 2 ? 2 : k > MERGE_MAX_FAN_IN ? MERGE_MAX_FAN_IN : (uint32_t)k;
}

/* Writes the in-memory runs of threads that combined before anything spilled out as runs too. */
static bool spill_memory_runs(sort_sink *s, error *err) {
    while (s->run_count > 0) {
        uint32_t i = s->run_count - 1;
        if (!spill_entries(s, block_data(s->runs[i]), s->run_counts[i], err)) return false;
        block_free(s->runs[i]);
        s->run_count--;
    }
    sort_store_free(&s->store);
    sort_store_init(&s->store, s);
    return true;
}

/* ---- combine and finalize ----------------------------------------------------------------------- */

/* Adds an in-memory run to the list (under the lock). */
static bool add_run(sort_sink *s, block_handle *run, uint64_t count, error *err) {
    if (s->run_count == s->run_capacity) {
        uint32_t cap = s->run_capacity ? 2 * s->run_capacity : 4;
        block_handle **runs = pool_realloc(s->pool, s->runs, sizeof *runs * cap);
        if (runs) s->runs = runs;
        uint64_t *counts = runs ? pool_realloc(s->pool, s->run_counts, sizeof *counts * cap) : NULL;
        if (!runs || !counts) return oom(err, "the list of sorted runs");
        s->run_counts = counts;
        s->run_capacity = cap;
    }
    s->runs[s->run_count] = run;
    s->run_counts[s->run_count++] = count;
    return true;
}

void sort_sink_drop_runs(sort_sink *s) {
    for (uint32_t i = 0; i < s->run_count; i++) block_free(s->runs[i]);
    s->run_count = 0;
}

bool sort_sink_combine(sort_sink *s, sort_store *st, error *err) {
    if (atomic_load(&s->spilled)) return sort_sink_spill_store(s, st, err);
    block_handle *run;
    uint64_t count = st->rows.row_count;
    if (!sort_sink_sort_store(s, st, &run, err)) return false;
    if (!run) return true;
    /* the run points at rows in the thread's blocks, which move as they are */
    pthread_mutex_lock(&s->lock);
    bool ok = add_run(s, run, count, err);
    if (!ok) block_free(run);
    ok = ok && sort_store_move(&s->store, st, err);
    pthread_mutex_unlock(&s->lock);
    return ok;
}

/* Merges the in-memory runs into one array of entries (a single run is adopted as it is). */
static bool merge_memory_runs(sort_sink *s, error *err) {
    if (s->run_count == 1) {
        s->entries_block = s->runs[0];
        s->run_count = 0;
        return true;
    }
    block_handle *out = block_alloc(s->pool, s->tag, BLOCK_TEMPORARY,
                                    (size_t)s->store.rows.row_count * sort_entry_width(s->sort), err);
    if (!out) return false;
    const uint8_t *runs[s->run_count];
    for (uint32_t i = 0; i < s->run_count; i++) runs[i] = block_data(s->runs[i]);
    sort_merge_runs(s->sort, runs, s->run_counts, s->run_count, block_data(out));
    for (uint32_t i = 0; i < s->run_count; i++) block_free(s->runs[i]);
    s->run_count = 0;
    s->entries_block = out;
    return true;
}

bool sort_sink_finalize(sort_sink *s, error *err) {
    if (s->spill_count == 0) {
        s->entry_count = s->store.rows.row_count;
        if (s->run_count > 0) return merge_memory_runs(s, err);
        return sort_sink_sort_store(s, &s->store, &s->entries_block, err);
    }
    /* a top-N's store holds the rows of threads that combined before anything spilled */
    if (s->keep != UINT64_MAX && !sort_sink_spill_store(s, &s->store, err)) return false;
    if (!spill_memory_runs(s, err) ||
        !sort_run_merge_down(s->sort, s->pool, s->spill_runs, &s->spill_count, merge_fan_in(s), s->interrupted, err))
        return false;
    if (!sort_merger_open(&s->merger, s->sort, s->pool, s->spill_runs, s->spill_count, err)) return false;
    s->merging = true;
    s->entry_count = 0;
    for (uint32_t i = 0; i < s->spill_count; i++) s->entry_count += s->spill_runs[i].rows;
    return true;
}
