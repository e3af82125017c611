/*
 * join_spill.c — runs of hash join rows in position-independent pool blocks.
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
