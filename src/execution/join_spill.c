/*
 * join_spill.c — runs of hash join rows in position-independent pool blocks, and writers that
 * partition rows over such runs by their hash.
 */
#include "execution/join_spill.h"

#include <string.h>

void join_run_init(join_run *r, buffer_pool *pool) {
    block_list_init(&r->blocks, pool, TAG_HASH_TABLE);
    r->rows = 0;
}

void join_run_free(join_run *r) {
    block_list_free(&r->blocks); /* freed entries are NULL: block_free ignores them */
    r->rows = 0;
}

uint64_t join_run_bytes(const join_run *r) {
    uint64_t bytes = 0;
    for (uint32_t i = 0; i < r->blocks.count; i++)
        if (r->blocks.entries[i].handle) bytes += block_size(r->blocks.entries[i].handle);
    return bytes;
}

bool join_run_move(join_run *dst, join_run *src, error *err) {
    if (!block_list_move(&dst->blocks, &src->blocks, err)) return false;
    dst->rows += src->rows;
    src->rows = 0;
    return true;
}

/* ---- writing ------------------------------------------------------------------------------- */

void join_run_writer_init(join_run_writer *w, const row_layout *layout, join_run *run) {
    memset(w, 0, sizeof *w);
    w->layout = layout;
    w->run = run;
}

void join_run_writer_pause(join_run_writer *w) {
    if (w->data) block_unpin(w->block);
    w->data = NULL;
}

/* Starts a block with room for at least `need` bytes (the full one is unpinned). */
static bool writer_new_block(join_run_writer *w, size_t need, error *err) {
    join_run_writer_pause(w);
    w->block = NULL;
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

bool join_run_write_row(join_run_writer *w, const uint8_t *row, error *err) {
    const row_layout *l = w->layout;
    size_t need = l->width + row_long_string_bytes(l, row);
    if (!w->block || w->rows_end + need > w->strings_start) {
        if (!writer_new_block(w, need, err)) return false;
    } else if (!w->data) {
        w->data = block_pin(w->block, err);
        if (!w->data) return false;
    }
    row_copy_to_block(l, w->data, w->data + w->rows_end, row, &w->strings_start);
    w->rows_end += l->width;
    w->run->blocks.entries[w->index].used++;
    w->run->rows++;
    return true;
}

/* ---- reading ------------------------------------------------------------------------------- */

uint8_t *join_run_pin(const row_layout *l, join_run *r, uint32_t i, error *err) {
    block_entry *e = &r->blocks.entries[i];
    if (!e->handle || e->used == 0) return NULL;
    uint8_t *data = block_pin(e->handle, err);
    if (data) row_block_swizzle(l, data, e->used, true);
    return data;
}

void join_run_unpin(const row_layout *l, join_run *r, uint32_t i, uint8_t *data) {
    block_entry *e = &r->blocks.entries[i];
    row_block_swizzle(l, data, e->used, false);
    block_unpin(e->handle);
}

void join_run_free_block(join_run *r, uint32_t i) {
    block_entry *e = &r->blocks.entries[i];
    block_free(e->handle);
    e->handle = NULL;
}

/* ---- partitioned writers -------------------------------------------------------------------- */

join_spill_parts *join_spill_parts_create(buffer_pool *pool, const row_layout *layout, error *err) {
    join_spill_parts *s = pool_calloc(pool, 1, sizeof *s);
    if (!s) {
        error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate join spill state");
        return NULL;
    }
    for (uint32_t i = 0; i < JOIN_SPILL_PARTS; i++) {
        join_run_init(&s->runs[i], pool);
        join_run_writer_init(&s->writers[i], layout, &s->runs[i]);
    }
    return s;
}

void join_spill_parts_pause(join_spill_parts *s) {
    for (uint32_t i = 0; s && i < JOIN_SPILL_PARTS; i++) join_run_writer_pause(&s->writers[i]);
}

void join_spill_parts_destroy(buffer_pool *pool, join_spill_parts *s) {
    if (!s) return;
    join_spill_parts_pause(s);
    for (uint32_t i = 0; i < JOIN_SPILL_PARTS; i++) join_run_free(&s->runs[i]);
    if (s->part_of) pool_free(pool, s->part_of);
    pool_free(pool, s);
}

/* Writes rows[k] (k < n; the first 8 bytes of a row are its hash) into the partitions of `level`,
 * one partition at a time so that one block is pinned at a time. */
bool join_spill_parts_write_rows(buffer_pool *pool, join_spill_parts *s, uint8_t *const *rows, uint64_t n,
                                 uint32_t level, error *err) {
    if (n == 0) return true;
    if (n > s->part_of_capacity) {
        uint8_t *grown = pool_realloc(pool, s->part_of, n);
        if (!grown) return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate join spill state");
        s->part_of = grown;
        s->part_of_capacity = n;
    }
    uint64_t counts[JOIN_SPILL_PARTS] = {0};
    for (uint64_t r = 0; r < n; r++) counts[s->part_of[r] = (uint8_t)join_spill_part(join_row_hash(rows[r]), level)]++;
    for (uint32_t part = 0; part < JOIN_SPILL_PARTS; part++) {
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
bool join_spill_parts_write_block(buffer_pool *pool, join_spill_parts *s, uint8_t *data, uint64_t n, uint32_t width,
                                  uint32_t level, error *err) {
    uint8_t *rows[1024];
    for (uint64_t done = 0; done < n;) {
        uint64_t m = n - done < 1024 ? n - done : 1024;
        for (uint64_t r = 0; r < m; r++) rows[r] = data + (done + r) * width;
        if (!join_spill_parts_write_rows(pool, s, rows, m, level, err)) return false;
        done += m;
    }
    return true;
}

/* Moves the rows of a row store (and their strings) into the level-0 partitions: one partition
 * at a time over the whole store, so each partition's block is pinned once per call. */
bool join_spill_parts_write_store(buffer_pool *pool, join_spill_parts *s, row_store *rows, string_heap *strings,
                                  error *err) {
    uint32_t width = rows->layout->width;
    uint64_t n = rows->row_count;
    if (n > s->part_of_capacity) {
        uint8_t *grown = pool_realloc(pool, s->part_of, n);
        if (!grown) return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate join spill state");
        s->part_of = grown;
        s->part_of_capacity = n;
    }
    uint64_t counts[JOIN_SPILL_PARTS] = {0}, at = 0;
    for (uint32_t b = 0; b < rows->blocks.count; b++) {
        block_entry *e = &rows->blocks.entries[b];
        for (uint64_t r = 0; r < e->used; r++, at++)
            counts[s->part_of[at] = (uint8_t)join_spill_part(join_row_hash(e->data + r * width), 0)]++;
    }
    for (uint32_t part = 0; part < JOIN_SPILL_PARTS; part++) {
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
