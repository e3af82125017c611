/*
 * row_layout.c — row format, block lists, string heaps and column-wise row operations.
 */
#include "execution/row_layout.h"

#include <math.h>
#include <string.h>

#include "common/arena.h"

/* ---- block lists ------------------------------------------------------------------------ */

void block_list_init(block_list *l, buffer_pool *pool, memory_tag tag) {
    memset(l, 0, sizeof *l);
    l->pool = pool;
    l->tag = tag;
}

static bool block_list_reserve(block_list *l, uint32_t needed, error *err) {
    if (needed <= l->capacity) return true;
    uint64_t cap = l->capacity ? l->capacity : BLOCK_LIST_FIRST_CAPACITY;
    while (cap < needed) cap *= 2;
    block_entry *entries = pool_realloc(l->pool, l->entries, cap * sizeof(block_entry));
    if (!entries) return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not grow a list of %u blocks", l->count);
    l->entries = entries;
    l->capacity = (uint32_t)cap;
    return true;
}

block_entry *block_list_add(block_list *l, size_t size, error *err) {
    if (!block_list_reserve(l, l->count + 1, err)) return NULL;
    block_handle *h = block_alloc(l->pool, l->tag, BLOCK_TEMPORARY, size, err);
    if (!h) return NULL;
    block_entry *e = &l->entries[l->count++];
    e->handle = h;
    e->data = block_data(h);
    e->used = 0;
    return e;
}

bool block_list_move_entry(block_list *dst, const block_entry *e, error *err) {
    if (!block_list_reserve(dst, dst->count + 1, err)) return false;
    dst->entries[dst->count++] = *e;
    return true;
}

bool block_list_move(block_list *dst, block_list *src, error *err) {
    if (src->count == 0) return true;
    if (!block_list_reserve(dst, dst->count + src->count, err)) return false;
    memcpy(dst->entries + dst->count, src->entries, sizeof(block_entry) * src->count);
    dst->count += src->count;
    src->count = 0;
    return true;
}

void block_list_free(block_list *l) {
    for (uint32_t i = 0; i < l->count; i++) block_free(l->entries[i].handle);
    pool_free(l->pool, l->entries);
    l->entries = NULL;
    l->count = l->capacity = 0;
}

uint64_t block_list_bytes(const block_list *l) {
    uint64_t total = (uint64_t)l->capacity * sizeof(block_entry);
    for (uint32_t i = 0; i < l->count; i++) total += block_memory(l->entries[i].handle);
    return total;
}

/* ---- string heaps ------------------------------------------------------------------------ */

void string_heap_init(string_heap *h, buffer_pool *pool, memory_tag tag) { block_list_init(&h->blocks, pool, tag); }

const char *string_heap_add(string_heap *h, const char *data, uint32_t length, error *err) {
    block_list *l = &h->blocks;
    /* the last block is the one being filled; big strings get a block of their own placed
     * before it so the filling block stays last */
    if (length > POOL_BLOCK_SIZE / 4) {
        block_entry *e = block_list_add(l, length, err);
        if (!e) return NULL;
        e->used = block_size(e->handle);
        if (l->count >= 2) {
            block_entry tmp = l->entries[l->count - 1];
            l->entries[l->count - 1] = l->entries[l->count - 2];
            l->entries[l->count - 2] = tmp;
            memcpy(tmp.data, data, length);
            return (const char *)tmp.data;
        }
        memcpy(e->data, data, length);
        return (const char *)e->data;
    }
    block_entry *e = l->count ? &l->entries[l->count - 1] : NULL;
    if (!e || e->used + length > block_size(e->handle)) {
        e = block_list_add(l, POOL_BLOCK_SIZE, err);
        if (!e) return NULL;
    }
    char *p = (char *)e->data + e->used;
    memcpy(p, data, length);
    e->used += length;
    return p;
}

bool string_heap_own(string_heap *h, string_t *s, error *err) {
    if (s->length <= STRING_INLINE_LENGTH) return true;
    const char *p = string_heap_add(h, s->value.pointer.ptr, s->length, err);
    if (!p) return false;
    s->value.pointer.ptr = p;
    return true;
}

bool string_heap_move(string_heap *dst, string_heap *src, error *err) {
    /* keep dst's filling block last so it goes on being filled */
    block_list *d = &dst->blocks;
    if (src->blocks.count == 0) return true;
    uint32_t before = d->count;
    if (!block_list_move(d, &src->blocks, err)) return false;
    if (before) {
        block_entry tmp = d->entries[before - 1];
        d->entries[before - 1] = d->entries[d->count - 1];
        d->entries[d->count - 1] = tmp;
    }
    return true;
}

void string_heap_free(string_heap *h) { block_list_free(&h->blocks); }

/* ---- layouts ----------------------------------------------------------------------------- */

static uint32_t align8(uint64_t x) { return (uint32_t)((x + 7) & ~(uint64_t)7); }

bool row_layout_init(row_layout *l, arena *a, const logical_type *types, uint32_t count, uint32_t header,
                     uint32_t extra, error *err) {
    return row_layout_init_stored(l, a, types, count, NULL, header, extra, err);
}

bool row_layout_init_stored(row_layout *l, arena *a, const logical_type *types, uint32_t count, const bool *stored,
                            uint32_t header, uint32_t extra, error *err) {
    memset(l, 0, sizeof *l);
    l->column_count = count;
    if (count) {
        l->types = arena_alloc(a, sizeof(logical_type) * count, err);
        l->offsets = arena_alloc(a, sizeof(uint32_t) * count, err);
        if (!l->types || !l->offsets) return false;
        memcpy(l->types, types, sizeof(logical_type) * count);
        for (uint32_t c = 0; c < count; c++) l->string_count += types[c].id == TYPE_VARCHAR && (!stored || stored[c]);
        if (l->string_count && !(l->string_columns = arena_alloc(a, sizeof(uint32_t) * l->string_count, err)))
            return false;
    }
    uint64_t off = align8(header);
    for (uint32_t c = 0, s = 0; c < count; c++) {
        l->offsets[c] = 0; /* a column not stored: never read, its validity byte stays 0 */
        if (stored && !stored[c]) continue;
        l->offsets[c] = (uint32_t)off;
        off += align8(type_physical_size(types[c]));
        if (types[c].id == TYPE_VARCHAR) l->string_columns[s++] = c;
    }
    l->has_strings = l->string_count > 0;
    l->validity_offset = (uint32_t)off;
    off = align8(off + count);
    l->extra_offset = (uint32_t)off;
    off = align8(off + extra);
    if (off > UINT32_MAX / 2) return error_set(err, EIDER_ERROR_NOT_IMPLEMENTED, "rows of %llu bytes are too wide",
                                              (unsigned long long)off);
    l->width = (uint32_t)(off ? off : 8);
    return true;
}

/* ---- row stores ---------------------------------------------------------------------------- */

static void row_store_size_blocks(row_store *s, size_t size) {
    s->block_size = s->layout->width > size ? s->layout->width : size;
    s->rows_per_block = (uint32_t)(s->block_size / s->layout->width);
}

void row_store_init(row_store *s, const row_layout *l, buffer_pool *pool, memory_tag tag) {
    memset(s, 0, sizeof *s);
    s->layout = l;
    block_list_init(&s->blocks, pool, tag);
    block_list_init(&s->spares, pool, tag);
    row_store_size_blocks(s, POOL_BLOCK_SIZE);
}

/* A store starts with standard blocks; once it holds ROW_STORE_SMALL_BLOCKS of them it moves to
 * large ones, which the pool maps on huge pages: a hash table's rows are then read at random
 * without a TLB miss on every row. */
#define ROW_STORE_SMALL_BLOCKS 8
#define ROW_STORE_LARGE_BLOCK ((size_t)4 << 20)

uint8_t *row_store_append_new_block(row_store *s, error *err) {
    if (s->blocks.count == ROW_STORE_SMALL_BLOCKS && s->block_size < ROW_STORE_LARGE_BLOCK)
        row_store_size_blocks(s, ROW_STORE_LARGE_BLOCK);
    block_entry *e;
    if (s->spares.count > 0 && block_size(s->spares.entries[s->spares.count - 1].handle) == s->block_size) {
        block_entry spare = s->spares.entries[s->spares.count - 1];
        if (!block_list_move_entry(&s->blocks, &spare, err)) return NULL;
        s->spares.count--;
        e = &s->blocks.entries[s->blocks.count - 1];
        memset(e->data, 0, s->block_size);
    } else if (!(e = block_list_add(&s->blocks, s->block_size, err))) {
        return NULL;
    }
    e->used = 1;
    s->row_count++;
    return e->data;
}

uint64_t row_store_growth(const row_store *s, uint64_t n) {
    uint64_t room = s->blocks.count ? s->rows_per_block - s->blocks.entries[s->blocks.count - 1].used : 0;
    if (n <= room) return 0;
    size_t size = s->blocks.count >= ROW_STORE_SMALL_BLOCKS && s->block_size < ROW_STORE_LARGE_BLOCK
                      ? ROW_STORE_LARGE_BLOCK
                      : s->block_size;
    uint64_t per_block = size / s->layout->width;
    uint64_t blocks = (n - room + per_block - 1) / per_block;
    uint64_t spares = size == ROW_STORE_LARGE_BLOCK ? s->spares.count : 0; /* they are counted already */
    return blocks > spares ? (blocks - spares) * size : 0;
}

uint64_t row_store_bytes(const row_store *s) { return block_list_bytes(&s->blocks) + block_list_bytes(&s->spares); }

void row_store_clear(row_store *s) {
    for (uint32_t i = 0; i < s->blocks.count; i++) {
        block_entry *e = &s->blocks.entries[i];
        error err;
        error_clear(&err);
        if (block_size(e->handle) != ROW_STORE_LARGE_BLOCK || !block_list_move_entry(&s->spares, e, &err))
            block_free(e->handle);
    }
    s->blocks.count = 0;
    s->row_count = 0;
    row_store_size_blocks(s, s->spares.count > 0 ? ROW_STORE_LARGE_BLOCK : POOL_BLOCK_SIZE);
}

bool row_store_append(row_store *s, uint32_t n, uint8_t **rows, error *err) {
    for (uint32_t k = 0; k < n; k++)
        if (!(rows[k] = row_store_append_one(s, err))) return false;
    return true;
}

bool row_store_move(row_store *dst, row_store *src, error *err) {
    if (!block_list_move(&dst->blocks, &src->blocks, err)) return false;
    dst->row_count += src->row_count;
    src->row_count = 0;
    return true;
}

void row_store_free(row_store *s) {
    block_list_free(&s->blocks);
    block_list_free(&s->spares);
    s->row_count = 0;
    row_store_size_blocks(s, POOL_BLOCK_SIZE); /* used again, it starts small like a new store */
}

/* ---- column-wise operations ------------------------------------------------------------ */

#define ROW_IDX(k) (sel ? sel[k] : (k))

bool row_scatter(const row_layout *l, uint32_t col, const vector *v, const uint32_t *sel, uint32_t n,
                 uint8_t *const *rows, string_heap *heap, error *err) {
    uint32_t off = l->offsets[col], voff = l->validity_offset + col;
    size_t size = type_physical_size(l->types[col]);
    bool all_valid = vector_all_valid(v, VECTOR_SIZE);
    switch (size) {
    case 1:
        for (uint32_t k = 0; k < n; k++) {
            uint32_t i = ROW_IDX(k);
            rows[i][off] = ((const uint8_t *)v->data)[i];
        }
        break;
    case 4:
        for (uint32_t k = 0; k < n; k++) {
            uint32_t i = ROW_IDX(k);
            memcpy(rows[i] + off, (const uint8_t *)v->data + 4 * (size_t)i, 4);
        }
        break;
    case 8:
        for (uint32_t k = 0; k < n; k++) {
            uint32_t i = ROW_IDX(k);
            memcpy(rows[i] + off, (const uint8_t *)v->data + 8 * (size_t)i, 8);
        }
        break;
    default: /* VARCHAR */
        for (uint32_t k = 0; k < n; k++) {
            uint32_t i = ROW_IDX(k);
            string_t s = ((const string_t *)v->data)[i];
            if (!vector_is_valid(v, i)) memset(&s, 0, sizeof s);
            else if (!string_heap_own(heap, &s, err)) return false;
            memcpy(rows[i] + off, &s, sizeof s);
        }
        break;
    }
    if (all_valid) {
        for (uint32_t k = 0; k < n; k++) rows[ROW_IDX(k)][voff] = 1;
    } else {
        for (uint32_t k = 0; k < n; k++) {
            uint32_t i = ROW_IDX(k);
            bool valid = vector_is_valid(v, i);
            rows[i][voff] = valid;
            if (!valid && size != sizeof(string_t)) memset(rows[i] + off, 0, size);
        }
    }
    return true;
}

void row_gather(const row_layout *l, uint32_t col, uint8_t *const *rows, uint32_t n, vector *out, uint32_t out_start) {
    uint32_t off = l->offsets[col], voff = l->validity_offset + col;
    size_t size = type_physical_size(l->types[col]);
    uint8_t *dst = (uint8_t *)out->data + size * out_start;
    switch (size) {
    case 1:
        for (uint32_t k = 0; k < n; k++) dst[k] = rows[k][off];
        break;
    case 4:
        for (uint32_t k = 0; k < n; k++) memcpy(dst + 4 * (size_t)k, rows[k] + off, 4);
        break;
    case 8:
        for (uint32_t k = 0; k < n; k++) memcpy(dst + 8 * (size_t)k, rows[k] + off, 8);
        break;
    default:
        for (uint32_t k = 0; k < n; k++) memcpy(dst + 16 * (size_t)k, rows[k] + off, 16);
        break;
    }
    for (uint32_t k = 0; k < n; k++) vector_set_validity(out, out_start + k, rows[k][voff] != 0);
}

static inline int32_t load_i32(const uint8_t *p) {
    int32_t x;
    memcpy(&x, p, sizeof x);
    return x;
}
static inline int64_t load_i64(const uint8_t *p) {
    int64_t x;
    memcpy(&x, p, sizeof x);
    return x;
}
static inline double load_f64(const uint8_t *p) {
    double x;
    memcpy(&x, p, sizeof x);
    return x;
}

static inline bool double_equal(double a, double b) { return a == b || (isnan(a) && isnan(b)); }

/* One key column: filters sel in place. */
static uint32_t match_column(const row_layout *l, uint32_t col, const vector *v, uint32_t *sel, uint32_t n,
                             uint8_t *const *rows, uint32_t *no_match, uint32_t *no_match_count) {
    uint32_t off = l->offsets[col], voff = l->validity_offset + col;
    uint32_t kept = 0, nm = *no_match_count;
    bool all_valid = vector_all_valid(v, VECTOR_SIZE);
#define MATCH_LOOP(EQ)                                                                                    \
    for (uint32_t k = 0; k < n; k++) {                                                                    \
        uint32_t i = sel[k];                                                                              \
        const uint8_t *row = rows[i];                                                                     \
        bool vv = all_valid || vector_is_valid(v, i);                                                     \
        bool rv = row[voff] != 0;                                                                         \
        bool eq = (vv && rv) ? (EQ) : (vv == rv);                                                         \
        if (eq) sel[kept++] = i;                                                                          \
        else no_match[nm++] = i;                                                                          \
    }
    switch (l->types[col].id) {
    case TYPE_SQLNULL:
    case TYPE_BOOLEAN: {
        const uint8_t *d = v->data;
        MATCH_LOOP(d[i] == row[off]);
        break;
    }
    case TYPE_INTEGER:
    case TYPE_DATE: {
        const int32_t *d = v->data;
        MATCH_LOOP(d[i] == load_i32(row + off));
        break;
    }
    case TYPE_DOUBLE: {
        const double *d = v->data;
        MATCH_LOOP(double_equal(d[i], load_f64(row + off)));
        break;
    }
    case TYPE_VARCHAR: {
        const string_t *d = v->data;
        MATCH_LOOP(string_equals(&d[i], (const string_t *)(row + off)));
        break;
    }
    default: {
        const int64_t *d = v->data;
        MATCH_LOOP(d[i] == load_i64(row + off));
        break;
    }
    }
#undef MATCH_LOOP
    *no_match_count = nm;
    return kept;
}

uint32_t row_match(const row_layout *l, const uint32_t *cols, const vector *const *vecs, uint32_t key_count,
                   uint32_t *sel, uint32_t n, uint8_t *const *rows, uint32_t *no_match, uint32_t *no_match_count) {
    for (uint32_t j = 0; j < key_count && n > 0; j++)
        n = match_column(l, cols ? cols[j] : j, vecs[j], sel, n, rows, no_match, no_match_count);
    return n;
}

bool row_copy(const row_layout *l, uint8_t *dst, const uint8_t *src, string_heap *heap, error *err) {
    memcpy(dst, src, l->width);
    if (!l->has_strings) return true;
    for (uint32_t c = 0; c < l->column_count; c++) {
        if (l->types[c].id != TYPE_VARCHAR || !row_is_valid(l, dst, c)) continue;
        string_t s;
        memcpy(&s, dst + l->offsets[c], sizeof s);
        if (!string_heap_own(heap, &s, err)) return false;
        memcpy(dst + l->offsets[c], &s, sizeof s);
    }
    return true;
}

/* ---- rows in position-independent blocks ----------------------------------------------------- */

/* c: a VARCHAR column */
static inline bool is_long_string(const row_layout *l, const uint8_t *row, uint32_t c, string_t *s) {
    if (!row_is_valid(l, row, c)) return false;
    memcpy(s, row + l->offsets[c], sizeof *s);
    return s->length > STRING_INLINE_LENGTH;
}

size_t row_long_string_bytes(const row_layout *l, const uint8_t *row) {
    size_t bytes = 0;
    string_t s;
    for (uint32_t i = 0; i < l->string_count; i++)
        if (is_long_string(l, row, l->string_columns[i], &s)) bytes += s.length;
    return bytes;
}

void row_copy_to_block(const row_layout *l, uint8_t *data, uint8_t *dst, const uint8_t *row, size_t *strings_start) {
    memcpy(dst, row, l->width);
    string_t s;
    for (uint32_t i = 0; i < l->string_count; i++) {
        uint32_t c = l->string_columns[i];
        if (!is_long_string(l, dst, c, &s)) continue;
        *strings_start -= s.length;
        memcpy(data + *strings_start, s.value.pointer.ptr, s.length);
        s.value.pointer.ptr = (const char *)(uintptr_t)*strings_start;
        memcpy(dst + l->offsets[c], &s, sizeof s);
    }
}

void row_scatter_strings_to_block(const row_layout *l, uint32_t col, const vector *v, const uint32_t *sel, uint32_t n,
                                  uint8_t *const *rows, uint8_t *data, size_t *strings_start) {
    uint32_t off = l->offsets[col], voff = l->validity_offset + col;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = ROW_IDX(k);
        string_t s = ((const string_t *)v->data)[i];
        bool valid = vector_is_valid(v, i);
        if (!valid) {
            memset(&s, 0, sizeof s);
        } else if (s.length > STRING_INLINE_LENGTH) {
            *strings_start -= s.length;
            memcpy(data + *strings_start, s.value.pointer.ptr, s.length);
            s.value.pointer.ptr = (const char *)(uintptr_t)*strings_start;
        }
        memcpy(rows[i] + off, &s, sizeof s);
        rows[i][voff] = valid;
    }
}

void row_block_swizzle(const row_layout *l, uint8_t *data, uint64_t rows, bool to_pointers) {
    if (!l->has_strings) return;
    string_t s;
    for (uint64_t r = 0; r < rows; r++) {
        uint8_t *row = data + r * l->width;
        for (uint32_t i = 0; i < l->string_count; i++) {
            uint32_t c = l->string_columns[i];
            if (!is_long_string(l, row, c, &s)) continue;
            if (to_pointers) s.value.pointer.ptr = (const char *)data + (uintptr_t)s.value.pointer.ptr;
            else s.value.pointer.ptr = (const char *)(uintptr_t)((const uint8_t *)s.value.pointer.ptr - data);
            memcpy(row + l->offsets[c], &s, sizeof s);
        }
    }
}

void vector_select(vector *dst, uint32_t out_start, const vector *src, const uint32_t *sel, uint32_t n) {
    size_t size = type_physical_size(dst->type);
    uint8_t *d = (uint8_t *)dst->data + size * out_start;
    const uint8_t *s = src->data;
    switch (size) {
    case 1:
        for (uint32_t k = 0; k < n; k++) d[k] = s[ROW_IDX(k)];
        break;
    case 4:
        for (uint32_t k = 0; k < n; k++) ((uint32_t *)d)[k] = ((const uint32_t *)s)[ROW_IDX(k)];
        break;
    case 8:
        for (uint32_t k = 0; k < n; k++) ((uint64_t *)d)[k] = ((const uint64_t *)s)[ROW_IDX(k)];
        break;
    default:
        for (uint32_t k = 0; k < n; k++) ((string_t *)d)[k] = ((const string_t *)s)[ROW_IDX(k)];
        break;
    }
    for (uint32_t k = 0; k < n; k++) vector_set_validity(dst, out_start + k, vector_is_valid(src, ROW_IDX(k)));
}

void vector_set_null_range(vector *dst, uint32_t start, uint32_t n) {
    for (uint32_t k = 0; k < n; k++) vector_set_null(dst, start + k);
}
