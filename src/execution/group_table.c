/*
 * group_table.c — linear-probing group table with rows in pool blocks.
 */
#include "execution/group_table.h"

#include <string.h>

#define GROUP_TABLE_MIN_CAPACITY 4096

void group_table_init(group_table *t, const group_shape *shape, buffer_pool *pool, memory_tag tag) {
    memset(t, 0, sizeof *t);
    t->shape = shape;
    t->pool = pool;
    t->tag = tag;
    row_store_init(&t->rows, &shape->layout, pool, tag);
    string_heap_init(&t->strings, pool, tag);
}

void group_table_free(group_table *t) {
    row_store_free(&t->rows);
    string_heap_free(&t->strings);
    if (t->directory_block) block_free(t->directory_block);
    t->directory_block = NULL;
    t->directory = NULL;
    t->capacity = t->count = 0;
}

void group_table_reset(group_table *t) {
    row_store_clear(&t->rows);
    string_heap_free(&t->strings);
    if (t->directory) memset(t->directory, 0, t->capacity * sizeof(group_entry));
    t->count = 0;
}

uint64_t group_table_bytes(const group_table *t) {
    uint64_t total = row_store_bytes(&t->rows) + block_list_bytes(&t->strings.blocks);
    return total + (t->directory_block ? block_memory(t->directory_block) : 0);
}

uint64_t group_table_bytes_after(const group_table *t, uint32_t count) {
    uint64_t total = group_table_bytes(t) + row_store_growth(&t->rows, count);
    uint64_t needed = t->count + count;
    if (needed * 2 > t->capacity) {
        uint64_t cap = t->capacity ? t->capacity : GROUP_TABLE_MIN_CAPACITY;
        while (cap < needed * 2) cap *= 2;
        total += cap * sizeof(group_entry);
    }
    return total;
}

void group_table_swap(group_table *a, group_table *b) {
    group_table tmp = *a;
    *a = *b;
    *b = tmp;
}

#define ENTRY_POINTER_BITS 48
#define ENTRY_POINTER_MASK (((uint64_t)1 << ENTRY_POINTER_BITS) - 1)

static inline uint64_t entry_salt(uint64_t hash) { return hash >> ENTRY_POINTER_BITS; }
static inline group_entry entry_make(uint64_t hash, uint8_t *row) {
    return entry_salt(hash) << ENTRY_POINTER_BITS | (uint64_t)(uintptr_t)row;
}
static inline uint8_t *entry_row(group_entry e) { return (uint8_t *)(uintptr_t)(e & ENTRY_POINTER_MASK); }

static inline uint64_t row_hash(const uint8_t *row) {
    uint64_t h;
    memcpy(&h, row, sizeof h);
    return h;
}

/* Makes room for `needed` groups at a load factor of at most one half. A new directory is filled
 * from the rows (which hold their full hash), read in order. */
static bool group_table_reserve(group_table *t, uint64_t needed, error *err) {
    if (needed * 2 <= t->capacity) return true;
    uint64_t cap = t->capacity ? t->capacity : GROUP_TABLE_MIN_CAPACITY;
    while (cap < needed * 2) cap *= 2;
    block_handle *b = block_alloc(t->pool, t->tag, BLOCK_TEMPORARY, cap * sizeof(group_entry), err);
    if (!b) return false;
    group_entry *dir = block_data(b);
    uint64_t mask = cap - 1;
    uint32_t width = t->rows.layout->width;
    for (uint32_t bi = 0; bi < t->rows.blocks.count; bi++) {
        block_entry *be = &t->rows.blocks.entries[bi];
        for (uint64_t r = 0; r < be->used; r++) {
            uint8_t *row = be->data + r * width;
            uint64_t h = row_hash(row), slot = h & mask;
            while (dir[slot]) slot = (slot + 1) & mask;
            dir[slot] = entry_make(h, row);
        }
    }
    if (t->directory_block) block_free(t->directory_block);
    t->directory_block = b;
    t->directory = dir;
    t->capacity = cap;
    return true;
}

/* Writes keys, hash and initial states into the new rows fresh[0..n). */
static bool group_table_fill_new(group_table *t, const vector *const *keys, const uint32_t *fresh, uint32_t n,
                                 group_scratch *s, error *err) {
    const group_shape *shape = t->shape;
    for (uint32_t c = 0; c < shape->layout.column_count; c++)
        if (!row_scatter(&shape->layout, c, keys[c], fresh, n, s->groups, &t->strings, err)) return false;
    for (uint32_t k = 0; k < n; k++) {
        uint8_t *row = s->groups[fresh[k]];
        memcpy(row, &s->hashes[fresh[k]], sizeof(uint64_t));
        for (uint32_t f = 0; f < shape->function_count; f++) shape->functions[f].init(row + shape->state_offsets[f]);
    }
    return true;
}

bool group_table_find_or_create(group_table *t, const vector *const *keys, uint32_t count, group_scratch *s,
                                error *err) {
    if (count == 0) return true;
    if (!group_table_reserve(t, t->count + count, err)) return false;
    const group_shape *shape = t->shape;
    group_entry *dir = t->directory;
    uint64_t mask = t->capacity - 1;
    uint32_t *sel = s->sel;
    uint32_t n = count;
    for (uint32_t i = 0; i < count; i++) {
        sel[i] = i;
        s->slots[i] = s->hashes[i] & mask;
        __builtin_prefetch(&dir[s->slots[i]]); /* the directory is read at random: overlap the misses */
    }
    while (n > 0) {
        uint32_t n_compare = 0, n_fresh = 0;
        for (uint32_t k = 0; k < n; k++) {
            uint32_t i = sel[k];
            uint64_t h = s->hashes[i];
            uint64_t slot = s->slots[i];
            for (;;) {
                group_entry e = dir[slot];
                if (!e) {
                    uint8_t *row = row_store_append_one(&t->rows, err);
                    if (!row) return false;
                    dir[slot] = entry_make(h, row);
                    t->count++;
                    s->groups[i] = row;
                    s->fresh[n_fresh++] = i;
                    break;
                }
                if ((e >> ENTRY_POINTER_BITS) == entry_salt(h)) {
                    s->groups[i] = entry_row(e);
                    s->compare[n_compare++] = i;
                    break;
                }
                slot = (slot + 1) & mask;
            }
            s->slots[i] = slot;
        }
        for (uint32_t k = 0; k < n_compare; k++) __builtin_prefetch(s->groups[s->compare[k]]);
        if (n_fresh && !group_table_fill_new(t, keys, s->fresh, n_fresh, s, err)) return false;
        uint32_t n_no_match = 0;
        row_match(&shape->layout, NULL, keys, shape->layout.column_count, s->compare, n_compare, s->groups,
                  s->no_match, &n_no_match);
        for (uint32_t k = 0; k < n_no_match; k++) {
            uint32_t i = s->no_match[k];
            s->slots[i] = (s->slots[i] + 1) & mask;
            sel[k] = i;
        }
        n = n_no_match;
    }
    return true;
}
