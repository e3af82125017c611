/*
 * join_spill.c — runs of hash join rows in position-independent pool blocks, and writers that
 * partition rows over such runs by their hash.
 */
#include "execution/join_spill.h"

#include <string.h>

void join_run_init_tag(join_run *r, buffer_pool *pool, memory_tag tag) {
    block_list_init(&r->blocks, pool, tag);
    r->rows = 0;
}

void join_run_init(join_run *r, buffer_pool *pool) { join_run_init_tag(r, pool, TAG_HASH_TABLE); }

void join_run_free(join_run *r) {
    block_list_free(&r->blocks); /* freed entries are NULL: block_free ignores them */
    r->rows = 0;
}

uint64_t join_run_bytes(const join_run *r) {
    uint64_t bytes = 0;
    for (uint32_t i = 0; i < r->blocks.count; i++)
        if (r->blocks.entries[i].handle) bytes += block_memory(r->blocks.entries[i].handle);
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

join_spill_parts *join_spill_parts_create(buffer_pool *pool, const row_layout *layout, memory_tag tag,
                                          uint32_t hash_offset, error *err) {
    join_spill_parts *s = pool_calloc(pool, 1, sizeof *s);
    if (!s) {
        error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate the state of partitioned rows");
        return NULL;
    }
    s->hash_offset = hash_offset;
    for (uint32_t i = 0; i < JOIN_SPILL_PARTS; i++) {
        join_run_init_tag(&s->runs[i], pool, tag);
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
    pool_free(pool, s);
}

/* Counting sort of n items by partition (part_of[k]): order receives ids[k] (ids NULL: k) grouped
 * by partition, partition p's at order[start[p], start[p + 1]). */
static void group_by_part(const uint8_t *part_of, const uint32_t *ids, uint32_t n, uint32_t *order,
                          uint32_t start[JOIN_SPILL_PARTS + 1]) {
    memset(start, 0, sizeof(uint32_t) * (JOIN_SPILL_PARTS + 1));
    for (uint32_t k = 0; k < n; k++) start[part_of[k] + 1]++;
    for (uint32_t part = 0; part < JOIN_SPILL_PARTS; part++) start[part + 1] += start[part];
    uint32_t fill[JOIN_SPILL_PARTS];
    memcpy(fill, start, sizeof fill);
    for (uint32_t k = 0; k < n; k++) order[fill[part_of[k]]++] = ids ? ids[k] : k;
}

/* Writes rows[k] (k < n <= JOIN_SPILL_BATCH) into the partitions of `level`, grouped by partition
 * so that one block is pinned at a time. */
static bool write_batch(join_spill_parts *s, uint8_t *const *rows, uint32_t n, uint32_t level, error *err) {
    uint32_t start[JOIN_SPILL_PARTS + 1];
    uint8_t part_of[JOIN_SPILL_BATCH];
    for (uint32_t r = 0; r < n; r++)
        part_of[r] = (uint8_t)join_spill_part(join_row_hash(rows[r] + s->hash_offset), level);
    group_by_part(part_of, NULL, n, s->order, start);
    for (uint32_t part = 0; part < JOIN_SPILL_PARTS; part++) {
        if (start[part] == start[part + 1]) continue;
        join_run_writer *w = &s->writers[part];
        bool ok = true;
        for (uint32_t k = start[part]; ok && k < start[part + 1]; k++) ok = join_run_write_row(w, rows[s->order[k]], err);
        join_run_writer_pause(w);
        if (!ok) return false;
    }
    return true;
}

bool join_spill_parts_write_block(join_spill_parts *s, uint8_t *data, uint64_t n, uint32_t width, uint32_t level,
                                  error *err) {
    uint8_t *rows[JOIN_SPILL_BATCH];
    for (uint64_t done = 0; done < n; done += JOIN_SPILL_BATCH) {
        uint32_t m = n - done < JOIN_SPILL_BATCH ? (uint32_t)(n - done) : JOIN_SPILL_BATCH;
        for (uint32_t r = 0; r < m; r++) rows[r] = data + (done + r) * width;
        if (!write_batch(s, rows, m, level, err)) return false;
    }
    return true;
}

/* Bytes a row of the chunk takes in a block: its width and its long strings. */
static size_t vector_row_bytes(const row_layout *l, const vector *columns, const uint32_t *column_of,
                               const bool *stored, uint32_t i) {
    size_t bytes = l->width;
    for (uint32_t k = 0; k < l->string_count; k++) {
        uint32_t c = l->string_columns[k];
        if (!stored || stored[c]) bytes += vector_long_string_bytes(&columns[column_of ? column_of[c] : c], i);
    }
    return bytes;
}

/* Writes input rows order[from, to) of the chunk into the writer's pinned block, which has room. */
static void fill_block(join_run_writer *w, uint8_t **row_at, const vector *columns, const uint32_t *column_of,
                       const bool *stored, const uint32_t *order, uint32_t from, uint32_t to, const uint8_t *headers,
                       uint32_t header_width) {
    const row_layout *l = w->layout;
    for (uint32_t k = from; k < to; k++) {
        uint32_t i = order[k];
        row_at[i] = w->data + w->rows_end;
        memcpy(row_at[i], headers + (size_t)i * header_width, header_width);
        w->rows_end += l->width;
    }
    for (uint32_t c = 0; c < l->column_count; c++) {
        if (stored && !stored[c]) continue;
        const vector *v = &columns[column_of ? column_of[c] : c];
        if (l->types[c].id == TYPE_VARCHAR)
            row_scatter_strings_to_block(l, c, v, order + from, to - from, row_at, w->data, &w->strings_start);
        else
            row_scatter(l, c, v, order + from, to - from, row_at, NULL, NULL);
    }
    w->run->blocks.entries[w->index].used += to - from;
    w->run->rows += to - from;
}

bool join_spill_parts_write_vectors(join_spill_parts *s, const vector *columns, const uint32_t *column_of,
                                    const bool *stored, const uint32_t *sel, uint32_t n, const uint8_t *headers,
                                    uint32_t header_width, error *err) {
    const row_layout *l = s->writers[0].layout;
    uint32_t start[JOIN_SPILL_PARTS + 1];
    uint8_t part_of[JOIN_SPILL_BATCH];
    for (uint32_t k = 0; k < n; k++) {
        uint64_t hash = join_row_hash(headers + (size_t)sel[k] * header_width + s->hash_offset);
        part_of[k] = (uint8_t)join_spill_part(hash, 0);
    }
    group_by_part(part_of, sel, n, s->order, start);
    for (uint32_t part = 0; part < JOIN_SPILL_PARTS; part++) {
        join_run_writer *w = &s->writers[part];
        for (uint32_t k = start[part]; k < start[part + 1];) {
            /* the rows that fit in the block being filled */
            size_t room = w->block ? w->strings_start - w->rows_end : 0, need = 0;
            uint32_t to = k;
            for (; to < start[part + 1]; to++) {
                size_t bytes = vector_row_bytes(l, columns, column_of, stored, s->order[to]);
                if (need + bytes > room) break;
                need += bytes;
            }
            if (to == k) { /* not even the next row: a new block */
                if (!writer_new_block(w, vector_row_bytes(l, columns, column_of, stored, s->order[k]), err))
                    return false;
                continue;
            }
            if (!w->data && !(w->data = block_pin(w->block, err))) return false;
            fill_block(w, s->row_at, columns, column_of, stored, s->order, k, to, headers, header_width);
            k = to;
        }
        join_run_writer_pause(w);
    }
    return true;
}

/* Moves the rows of a row store (and their strings) into the level-0 partitions, block by block:
 * the rows of one block are still in cache while they are spread over the partitions. */
bool join_spill_parts_write_store(join_spill_parts *s, row_store *rows, string_heap *strings, error *err) {
    uint32_t width = rows->layout->width;
    for (uint32_t b = 0; b < rows->blocks.count; b++) {
        block_entry *e = &rows->blocks.entries[b];
        if (!join_spill_parts_write_block(s, e->data, e->used, width, 0, err)) return false;
    }
    row_store_free(rows);
    string_heap_free(strings);
    return true;
}
