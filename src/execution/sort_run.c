/*
 * sort_run.c — sorted runs in position-independent pool blocks, their cursors and the k-way merge.
 */
#include "execution/sort_run.h"

#include <string.h>

/* ---- runs ---------------------------------------------------------------------------------- */

void sort_run_init(sort_run *r, buffer_pool *pool) { sort_run_init_tag(r, pool, TAG_ORDER_BY); }

void sort_run_init_tag(sort_run *r, buffer_pool *pool, memory_tag tag) {
    block_list_init(&r->blocks, pool, tag);
    r->rows = 0;
}

void sort_run_free(sort_run *r) {
    block_list_free(&r->blocks); /* entries handed out are NULL: block_free ignores them */
    r->rows = 0;
}

/* ---- writing ------------------------------------------------------------------------------- */

void sort_run_writer_init(sort_run_writer *w, const row_layout *layout, sort_run *run) {
    memset(w, 0, sizeof *w);
    w->layout = layout;
    w->run = run;
}

void sort_run_writer_finish(sort_run_writer *w) {
    if (w->block) block_unpin(w->block);
    w->block = NULL;
    w->data = NULL;
}

/* Unpins the full block and starts one with room for at least `need` bytes. */
static bool writer_new_block(sort_run_writer *w, size_t need, error *err) {
    sort_run_writer_finish(w);
    size_t size = need > POOL_BLOCK_SIZE ? (need + 7) & ~(size_t)7 : POOL_BLOCK_SIZE;
    block_entry *e = block_list_add(&w->run->blocks, size, err);
    if (!e) return false;
    w->block = e->handle;
    w->data = e->data;
    e->data = NULL; /* entries of a run at rest hold no addresses */
    w->index = w->run->blocks.count - 1;
    w->rows_end = 0;
    w->strings_start = block_size(w->block);
    return true;
}

bool sort_run_write_row(sort_run_writer *w, const uint8_t *row, error *err) {
    const row_layout *l = w->layout;
    size_t need = l->width + row_long_string_bytes(l, row);
    if (!w->block || w->rows_end + need > w->strings_start)
        if (!writer_new_block(w, need, err)) return false;
    row_copy_to_block(l, w->data, w->data + w->rows_end, row, &w->strings_start);
    w->rows_end += l->width;
    w->run->blocks.entries[w->index].used++;
    w->run->rows++;
    return true;
}

#define ROW_PREFETCH 16 /* rows ahead whose memory is asked for (their strings at half the distance) */

/* Asks for the memory of a row (two cache lines) or, once it is there, of its long strings. */
static inline void prefetch_row(const row_layout *l, const uint8_t *row, bool strings) {
    if (!strings) {
        __builtin_prefetch(row);
        if (l->width > 64) __builtin_prefetch(row + 64);
        return;
    }
    for (uint32_t k = 0; k < l->string_count; k++) {
        string_t str;
        memcpy(&str, row + l->offsets[l->string_columns[k]], sizeof str);
        if (str.length > STRING_INLINE_LENGTH) __builtin_prefetch(str.value.pointer.ptr);
    }
}

bool sort_run_write_entries(const sort_layout *s, const uint8_t *entries, uint64_t n, sort_run *run, error *err) {
    sort_run_writer w;
    sort_run_writer_init(&w, s->rows, run);
    uint32_t ew = sort_entry_width(s);
    bool ok = true;
    /* rows are read in sort order, i.e. at random: overlap their cache misses */
    for (uint64_t i = 0; ok && i < n; i++) {
        if (i + ROW_PREFETCH < n) prefetch_row(s->rows, sort_entry_row(s, entries + (i + ROW_PREFETCH) * ew), false);
        if (s->rows->string_count && i + ROW_PREFETCH / 2 < n)
            prefetch_row(s->rows, sort_entry_row(s, entries + (i + ROW_PREFETCH / 2) * ew), true);
        ok = sort_run_write_row(&w, sort_entry_row(s, entries + i * ew), err);
    }
    sort_run_writer_finish(&w);
    return ok;
}

/* ---- reading ------------------------------------------------------------------------------- */

/* Pins block i of the run (or ends the cursor after the last block) and makes its rows usable. */
static bool cursor_pin(sort_run_cursor *c, uint32_t i, error *err) {
    c->pinned = NULL;
    c->data = NULL;
    c->pos = c->count = 0;
    for (; i < c->run->blocks.count; i++) {
        block_entry *e = &c->run->blocks.entries[i];
        if (!e->handle || e->used == 0) continue;
        uint8_t *data = block_pin(e->handle, err);
        if (!data) return false;
        row_block_swizzle(c->layout, data, e->used, true);
        c->block = i;
        c->pinned = e->handle;
        c->data = data;
        c->count = e->used;
        return true;
    }
    c->block = i;
    return true;
}

bool sort_run_cursor_open(sort_run_cursor *c, const row_layout *layout, sort_run *run, error *err) {
    memset(c, 0, sizeof *c);
    c->layout = layout;
    c->run = run;
    return cursor_pin(c, 0, err);
}

bool sort_run_cursor_next(sort_run_cursor *c, block_handle **done, error *err) {
    *done = NULL;
    if (!c->pinned) return true;
    if (++c->pos < c->count) return true;
    /* the block is past: it leaves the run, still pinned, for the caller to free */
    *done = c->pinned;
    c->run->blocks.entries[c->block].handle = NULL;
    c->pinned = NULL;
    return cursor_pin(c, c->block + 1, err);
}

/* ---- merging ------------------------------------------------------------------------------- */

/* Whether run a's row goes before run b's: an exhausted run never does; ties go to the lower run,
 * so the merge is stable. */
static inline bool merger_before(const sort_merger *m, uint32_t a, uint32_t b) {
    const uint8_t *ra = sort_run_cursor_row(&m->cursors[a]), *rb = sort_run_cursor_row(&m->cursors[b]);
    if (!ra || !rb) return ra != NULL;
    int r = sort_key_compare(m->sort, ra, rb);
    if (r == 0 && m->sort->tie_break) r = sort_compare_rows(m->sort, ra, rb);
    return r < 0 || (r == 0 && a < b);
}

bool sort_merger_open(sort_merger *m, const sort_layout *s, buffer_pool *pool, sort_run *runs, uint32_t k, error *err) {
    memset(m, 0, sizeof *m);
    m->sort = s;
    m->pool = pool;
    m->cursors = pool_calloc(pool, k ? k : 1, sizeof *m->cursors);
    m->tree = pool_calloc(pool, 2 * (size_t)(k ? k : 1), sizeof *m->tree);
    if (!m->cursors || !m->tree) {
        sort_merger_close(m);
        return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate the merge of sorted runs");
    }
    m->k = k;
    for (uint32_t i = 0; i < k; i++) {
        if (!sort_run_cursor_open(&m->cursors[i], s->rows, &runs[i], err)) {
            sort_merger_close(m);
            return false;
        }
    }
    /* play the matches bottom up: winners go up (held in the upper half meanwhile), losers stay */
    uint32_t *t = m->tree;
    for (uint32_t i = 0; i < k; i++) t[k + i] = i;
    for (uint32_t n = k; n-- > 1;) {
        uint32_t l = 2 * n, r = l + 1; /* a child below k is a node: its winner is at k + child */
        uint32_t a = t[l < k ? k + l : l], b = t[r < k ? k + r : r];
        bool a_wins = merger_before(m, a, b);
        t[n] = a_wins ? b : a;
        t[k + n] = a_wins ? a : b; /* winner of node n, read by its parent (slot k + n is done) */
    }
    t[0] = k > 1 ? t[k + 1] : 0;
    return true;
}

bool sort_merger_next(sort_merger *m, uint8_t **row, block_handle **done, error *err) {
    *row = NULL;
    *done = NULL;
    if (m->k == 0) return true;
    uint32_t w = m->tree[0];
    sort_run_cursor *c = &m->cursors[w];
    *row = sort_run_cursor_row(c);
    if (!*row) return true; /* the smallest is an exhausted run: all are */
    if (!sort_run_cursor_next(c, done, err)) return false;
    for (uint32_t n = (m->k + w) / 2; n >= 1; n /= 2) {
        if (merger_before(m, m->tree[n], w)) {
            uint32_t t = m->tree[n];
            m->tree[n] = w;
            w = t;
        }
    }
    m->tree[0] = w;
    return true;
}

void sort_merger_close(sort_merger *m) {
    /* the cursors' pins go with their blocks, which the runs free */
    if (m->cursors) pool_free(m->pool, m->cursors);
    if (m->tree) pool_free(m->pool, m->tree);
    m->cursors = NULL;
    m->tree = NULL;
    m->k = 0;
}

#define MERGE_POLL_ROWS 4096 /* rows between looks at the interrupt flag */

bool sort_run_merge(const sort_layout *s, buffer_pool *pool, sort_run *runs, uint32_t k, sort_run *out,
                    atomic_bool *interrupted, error *err) {
    sort_merger m;
    if (!sort_merger_open(&m, s, pool, runs, k, err)) return false;
    sort_run_writer w;
    sort_run_writer_init(&w, s->rows, out);
    bool ok = true;
    for (uint64_t n = 0; ok; n++) {
        if (n % MERGE_POLL_ROWS == 0 && interrupted && atomic_load(interrupted)) {
            ok = error_set(err, EIDER_ERROR_INTERRUPTED, "Interrupted!");
            break;
        }
        uint8_t *row;
        block_handle *done;
        ok = sort_merger_next(&m, &row, &done, err);
        if (ok && row) ok = sort_run_write_row(&w, row, err);
        block_free(done);
        if (!row) break;
    }
    sort_run_writer_finish(&w);
    sort_merger_close(&m);
    if (ok)
        for (uint32_t i = 0; i < k; i++) sort_run_free(&runs[i]);
    return ok;
}

bool sort_run_merge_down(const sort_layout *s, buffer_pool *pool, sort_run *runs, uint32_t *count, uint32_t fan_in,
                         atomic_bool *interrupted, error *err) {
    if (fan_in < 2) fan_in = 2;
    while (*count > fan_in) {
        uint32_t merged = 0, n = *count;
        for (uint32_t start = 0; start < n; start += fan_in) {
            uint32_t k = n - start < fan_in ? n - start : fan_in;
            memory_tag tag = runs[start].blocks.tag;
            sort_run out;
            sort_run_init_tag(&out, pool, tag);
            if (k == 1) {
                out = runs[start];
            } else if (!sort_run_merge(s, pool, &runs[start], k, &out, interrupted, err)) {
                sort_run_free(&out);
                /* keep every run that still holds blocks listed: the merged ones, then the rest */
                for (uint32_t i = start; i < n; i++) runs[merged++] = runs[i];
                *count = merged;
                return false;
            }
            for (uint32_t i = start; i < start + k; i++) sort_run_init_tag(&runs[i], pool, tag);
            runs[merged++] = out;
        }
        *count = merged;
    }
    return true;
}
