/*
 * window_source.c — the window operator's source: threads claim units of rows (window_internal.h
 * says which), walk each unit partition by partition, and fill chunks with the input columns and
 * the results of rows in order; for each partition the evaluators (window_eval.h) first prepare
 * what its frames need. A chunk holds rows of one unit (their strings point into it), and a unit's
 * memory is freed when its thread asks for the chunk after its last.
 *
 * Entries (in memory, or a bucket loaded and sorted): a partition is a run of sorted entries. A
 * thread claims the entries of the sink's array a range at a time and evaluates the partitions
 * that start in its range, to their end; a bucket is one range.
 *
 * Merge (spilled runs): rows are collected one partition at a time: the merge keeps the blocks it
 * has moved past pinned (they are handed to the source) while they hold rows of the current
 * partition or of the chunk being emitted, and the partition is an array of row addresses into
 * them, so the evaluators see it as in memory and rows are never copied. Blocks are freed once the
 * merge and the emitted chunks are past them.
 *
 * A partition larger than the merge's budget: once the blocks of the partition being collected
 * pass the budget, its rows so far are copied into pages (window_pages.h: position-independent
 * blocks that the pool may evict), the chunk being filled takes copies of its strings so that the
 * merged blocks can go, and the rest of the partition is copied into the pages as the merge gives
 * it. The evaluators then read it through the pages' cache (window_eval.h says which frames work
 * that way), and each chunk of its rows holds the pages of those rows pinned until the next chunk
 * is asked for; a chunk ends where such a partition ends, and its pages are freed before the next
 * partition is collected.
 */
#include <string.h>

#include "execution/window_internal.h"

/* A block the merge has moved past, with the number of the last row taken from it. */
typedef struct retained_block {
    block_handle *block;
    uint64_t last_step;
} retained_block;

typedef enum window_unit { UNIT_NONE, UNIT_ENTRIES, UNIT_MERGE } window_unit;

typedef struct window_source {
    buffer_pool *pool;
    window_eval **evals;
    window_partition part;     /* the current partition */
    uint64_t next;             /* its next row to emit */
    window_unit unit;          /* what the thread reads */
    /* UNIT_ENTRIES: the partitions that start before entry_stop */
    const uint8_t *entries;
    uint64_t entry_end;        /* the entry after the current partition */
    uint64_t entry_stop, entry_count;
    /* UNIT_MERGE: rows are numbered by the order the merge gives them (steps) */
    sort_sink *merge;          /* the sink whose merge is read */
    uint64_t step;             /* rows taken from the merge */
    uint64_t part_step;        /* the number of the current partition's first row */
    uint8_t *pending;          /* the first row of the next partition, already taken (or NULL) */
    uint64_t pending_step;
    bool exhausted;            /* the merge has given every row */
    block_handle *slots_block; /* the current partition's row addresses */
    uint64_t slots_capacity;
    retained_block *retained;  /* pool_malloc'ed, in step order */
    uint32_t retained_count, retained_capacity;
    /* the current partition when it does not fit in memory (part.pages = &pages) */
    bool paged;
    window_pages pages;
    uint8_t *key_row;          /* pool_malloc'ed: a copy of its first row, to compare keys with */
    string_heap key_strings;   /* the copy's long strings */
    /* the bucket being read (its run is the operator's, emptied when done) */
    join_run *bucket;
    sort_space bucket_sort;       /* loaded in memory: its sorted entries (kept for the next bucket) */
    sort_sink bucket_sink;        /* larger than a thread's share: its external sort */
    uint8_t *rows[VECTOR_SIZE];
} window_source;

static bool oom(error *err, const char *what) {
    return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate %s", what);
}

static bool interrupted(const window_global *g, error *err) {
    if (!g->sink.interrupted || !atomic_load(g->sink.interrupted)) return false;
    error_set(err, EIDER_ERROR_INTERRUPTED, "Interrupted!");
    return true;
}

static void release_retained(window_source *s, uint64_t keep_from) {
    uint32_t i = 0;
    while (i < s->retained_count && s->retained[i].last_step < keep_from) block_free(s->retained[i++].block);
    if (i == 0) return;
    memmove(s->retained, s->retained + i, sizeof *s->retained * (s->retained_count - i));
    s->retained_count -= i;
}

/* Frees what the thread holds of the unit it read; it then reads nothing. */
static void release_unit(window_source *s) {
    if (s->paged) window_pages_free(&s->pages);
    s->paged = false;
    s->part.pages = NULL;
    release_retained(s, UINT64_MAX);
    s->pending = NULL;
    s->exhausted = false;
    s->step = s->part_step = s->pending_step = 0;
    if (s->bucket) join_run_free(s->bucket);
    s->bucket = NULL;
    sort_sink_destroy(&s->bucket_sink);
    s->merge = NULL;
    s->entries = NULL;
    s->unit = UNIT_NONE;
    s->part.count = s->next = 0;
}

void window_source_local_destroy(physical_op *op, void *local) {
    window_params *p = op->params;
    window_source *s = local;
    if (!s) return;
    release_unit(s);
    if (s->evals)
        for (uint32_t j = 0; j < p->expr_count; j++) window_eval_destroy(s->evals[j]);
    if (s->evals) pool_free(s->pool, s->evals);
    if (s->retained) pool_free(s->pool, s->retained);
    if (s->slots_block) block_free(s->slots_block);
    sort_space_free(&s->bucket_sort);
    string_heap_free(&s->key_strings);
    if (s->key_row) pool_free(s->pool, s->key_row);
    pool_free(s->pool, s);
}

void *window_source_local_init(physical_op *op, exec_context *ctx, error *err) {
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

/* ---- units ----------------------------------------------------------------------------------- */

static void read_entries(window_source *s, const uint8_t *entries, uint64_t begin, uint64_t stop, uint64_t count) {
    s->unit = UNIT_ENTRIES;
    s->entries = entries;
    s->entry_end = begin;
    s->entry_stop = stop;
    s->entry_count = count;
}

static void read_merge(window_source *s, sort_sink *sink) {
    s->unit = UNIT_MERGE;
    s->merge = sink;
}

static inline const uint8_t *entry_row(const window_params *p, const uint8_t *entries, uint64_t i) {
    return sort_entry_row(&p->w.sort, entries + i * sort_entry_width(&p->w.sort));
}

/* Whether entries i and j are of one partition: by the normalized keys the entries start with when
 * they decide it (no row is touched), else by the rows. */
static inline bool entries_same_partition(const window_params *p, const uint8_t *entries, uint64_t i, uint64_t j) {
    uint32_t width = sort_entry_width(&p->w.sort);
    if (p->w.partition_bytes) return memcmp(entries + i * width, entries + j * width, p->w.partition_bytes) == 0;
    return window_same_partition(&p->w, entry_row(p, entries, i), entry_row(p, entries, j));
}

/* A range of the sink's sorted entries: the partitions that start in it (false: none left). */
static bool claim_range(const window_params *p, window_global *g, window_source *s) {
    uint64_t count = g->sink.entry_count, size = p->w.partition_count ? WINDOW_RANGE_ROWS : count;
    const uint8_t *entries = sort_sink_entries(&g->sink);
    for (;;) {
        uint64_t start = atomic_fetch_add(&g->next_entry, size);
        if (start >= count) return false;
        uint64_t stop = count - start < size ? count : start + size, begin = start;
        /* rows of a partition that started before the range are read with that partition */
        while (begin > 0 && begin < stop && entries_same_partition(p, entries, begin - 1, begin)) begin++;
        if (begin < stop) {
            read_entries(s, entries, begin, stop, count);
            return true;
        }
    }
}

/* A bucket larger than the thread's share: its rows are copied into an external sort of their own
 * (which spills runs past its budget) block by block, each block freed once copied. */
static bool sort_bucket(const window_params *p, window_global *g, window_source *s, join_run *r, error *err) {
    sort_sink *sink = &s->bucket_sink;
    sort_sink_init(sink, &p->w.sort, s->pool, TAG_WINDOW, UINT64_MAX, g->sink.interrupted);
    sort_store st;
    sort_store_init(&st, sink);
    bool ok = true;
    for (uint32_t i = 0; ok && i < r->blocks.count; i++) {
        block_entry *e = &r->blocks.entries[i];
        if (!e->handle || e->used == 0) continue;
        uint8_t *data = NULL;
        ok = !interrupted(g, err) && sort_sink_make_room(sink, &st, (uint32_t)e->used, 1, err) &&
             (data = join_run_pin(&p->w.rows, r, i, err)) != NULL;
        for (uint64_t k = 0; ok && k < e->used; k++) {
            uint8_t *dst = row_store_append_one(&st.rows, err);
            ok = dst && row_copy(&p->w.rows, dst, data + k * p->w.rows.width, &st.strings, err);
        }
        if (data) join_run_free_block(r, i);
    }
    ok = ok && sort_sink_combine(sink, &st, err) && sort_sink_finalize(sink, err);
    sort_store_free(&st);
    if (!ok) return false;
    if (sink->merging) read_merge(s, sink);
    else read_entries(s, sort_sink_entries(sink), 0, sink->entry_count, sink->entry_count);
    return true;
}

/* Loads a bucket: in memory (its blocks pinned, entries sorted) when it fits in the thread's share
 * of the budget with its entries and their sort's scratch, else through an external sort. */
static bool load_bucket(const window_params *p, window_global *g, window_source *s, join_run *r, error *err) {
    s->bucket = r;
    uint64_t n = r->rows;
    if (join_run_bytes(r) + sort_space_need(&p->w.sort, &s->bucket_sort, n) >
        pool_budget_bytes(&g->sink.budget) / g->threads) {
        sort_space_free(&s->bucket_sort); /* the external sort needs the room */
        return sort_bucket(p, g, s, r, err);
    }
    if (!sort_space_reserve(&p->w.sort, &s->bucket_sort, s->pool, TAG_WINDOW, n, err)) return false;
    uint8_t *entry = block_data(s->bucket_sort.entries);
    bool ok = true;
    for (uint32_t i = 0; ok && i < r->blocks.count; i++) {
        block_entry *e = &r->blocks.entries[i];
        if (!e->handle || e->used == 0) continue;
        uint8_t *data = join_run_pin(&p->w.rows, r, i, err);
        ok = data && !interrupted(g, err);
        if (ok) entry = sort_make_block_entries(&p->w.sort, data, e->used, entry);
    }
    ok = ok && sort_space_sort(&p->w.sort, &s->bucket_sort, s->pool, n, err);
    if (ok) read_entries(s, block_data(s->bucket_sort.entries), 0, n, n);
    return ok;
}

/* Releases the thread's unit and claims the next (false in *found when none is left). */
static bool claim_unit(const window_params *p, window_global *g, window_source *s, bool *found, error *err) {
    release_unit(s);
    *found = true;
    if (atomic_load(&g->bucketed)) {
        for (uint32_t b; (b = atomic_fetch_add(&g->next_bucket, 1)) < WINDOW_BUCKETS;)
            if (g->buckets[b].rows > 0) return load_bucket(p, g, s, &g->buckets[b], err);
    } else if (g->sink.merging) {
        if (!atomic_exchange(&g->merge_claimed, true)) {
            read_merge(s, &g->sink);
            return true;
        }
    } else if (claim_range(p, g, s)) {
        return true;
    }
    *found = false;
    return true;
}

/* ---- partitions -------------------------------------------------------------------------------- */

/* Entries: the partition whose first entry is s->entry_end. */
static void memory_partition(const window_params *p, window_source *s) {
    uint64_t begin = s->entry_end, end = begin + 1;
    if (p->w.partition_count == 0) {
        end = s->entry_count;
    } else {
        while (end < s->entry_count && entries_same_partition(p, s->entries, begin, end)) end++;
    }
    s->entry_end = end;
    s->part.slots = s->entries + begin * sort_entry_width(&p->w.sort) + p->w.sort.key_width;
    s->part.stride = sort_entry_width(&p->w.sort);
    s->part.count = end - begin;
}

/* Merge: takes the next row of the merge; a block the merge moves past is kept (pinned) until
 * the source is done with its rows. */
static bool merge_take(window_source *s, uint8_t **row, error *err) {
    block_handle *done;
    bool ok = sort_merger_next(&s->merge->merger, row, &done, err);
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

/* Merge: collects the next partition from the merge (false in *more when there is none). */
static bool merge_partition(const window_params *p, window_source *s, chunk *out, bool *more, error *err) {
    s->part.count = s->next = 0;
    /* the partition is the address array (a unit of entries read before pointed it elsewhere) */
    s->part.slots = s->slots_block ? block_data(s->slots_block) : NULL;
    s->part.stride = (uint32_t)sizeof(uint8_t *);
    s->part.pages = NULL;
    uint8_t *first = s->pending;
    s->pending = NULL;
    *more = false;
    if (!first) {
        if (s->exhausted) return true;
        if (!merge_take(s, &first, err)) return false;
        if (!first) return true;
        s->pending_step = s->step - 1;
    }
    *more = true;
    s->part_step = s->pending_step;
    if (!slots_append(s, first, err)) return false;
    const uint8_t *key = first;
    for (;;) {
        uint8_t *row;
        if (!merge_take(s, &row, err)) return false;
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
            if (s->merge->interrupted && atomic_load(s->merge->interrupted))
                return error_set(err, EIDER_ERROR_INTERRUPTED, "Interrupted!");
            if (!s->paged && partition_bytes(s) > pool_budget_bytes(&s->merge->budget)) {
                if (!to_pages(p, s, out, err)) return false;
                key = s->key_row;
            }
        }
    }
    if (s->paged) {
        if (!window_pages_seal(&s->pages, err)) return false;
        /* rows that the structures of one batch's frames may cover in memory, in a quarter of the
         * budget (wider frames use a tree over the whole partition in evictable blocks) */
        uint64_t span = pool_budget_bytes(&s->merge->budget) / 4 / 32 / (p->expr_count ? p->expr_count : 1);
        s->part.pages = &s->pages;
        s->part.max_span = span > 2 * VECTOR_SIZE ? span : 2 * VECTOR_SIZE;
    }
    return true;
}

/* Moves to the next partition of the unit and prepares every evaluator for it (false in *more at
 * the unit's end). */
static bool next_partition(const window_params *p, window_source *s, chunk *out, bool *more, error *err) {
    if (s->paged) { /* the partition in pages is over, and no row of the chunk points into it */
        window_pages_free(&s->pages);
        s->paged = false;
        s->part.pages = NULL;
    }
    *more = false;
    if (s->unit == UNIT_MERGE) {
        if (!merge_partition(p, s, out, more, err)) return false;
    } else if (s->unit == UNIT_ENTRIES && s->entry_end < s->entry_stop) {
        *more = true;
        memory_partition(p, s);
    }
    if (!*more) return true;
    s->next = 0;
    for (uint32_t j = 0; j < p->expr_count; j++)
        if (!window_eval_begin(s->evals[j], &s->part, err)) return false;
    return true;
}

bool window_get_data(physical_op *op, exec_context *ctx, void *local, chunk *out, error *err) {
    (void)ctx;
    window_params *p = op->params;
    window_global *g = op->sink_state;
    window_source *s = local;
    out->count = 0;
    if (!g) return true;
    /* the previous chunk is consumed: keep only the merged blocks with rows of partitions to come */
    if (s->unit == UNIT_MERGE) {
        uint64_t keep_from = s->next < s->part.count ? s->part_step : s->pending ? s->pending_step : UINT64_MAX;
        release_retained(s, keep_from);
    }
    if (s->paged) window_pages_release(&s->pages);
    while (out->count < VECTOR_SIZE) {
        if (s->next == s->part.count) {
            if (s->paged && out->count > 0) break; /* the chunk's strings point into the pages */
            bool more, found;
            if (!next_partition(p, s, out, &more, err)) return false;
            if (!more) {
                if (out->count > 0) break; /* the chunk's rows point into the unit */
                if (!claim_unit(p, g, s, &found, err)) return false;
                if (!found) break;
                continue;
            }
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
