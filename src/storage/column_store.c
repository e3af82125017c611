/*
 * column_store.c — the column store: block layout, append, truncate and destroy (scans are in
 * column_store_scan.c; the structures and the block layout are described in
 * column_store_internal.h).
 *
 * Memory: segment blocks (data tag) and string heap blocks (string tag) are temporary pool
 * blocks; everything else (the store, row group structures, directories) is METADATA through
 * pool_malloc and is small next to the data. Heap blocks belong to their row group, so
 * truncation and destruction free them with it. Between calls the store holds no pins: an append
 * pins the blocks it writes and unpins them before it returns, so every block can be evicted.
 *
 * Concurrency rule: one appender at a time (the caller serializes appends and truncation). Scans
 * may run concurrently with each other and with an append. A scan only reads rows below a count
 * that was published before it began: the appender writes a row's values, validity, string
 * bytes, block handles and directory entries first and then publishes the row count with a
 * release store (column_store_row_count loads it with acquire). The row group directory and the
 * per-row-group heap directories are arrays of fixed segments that never move (cs_dir), so
 * growing them never invalidates what a scan is reading, and a row group's block handle array is
 * allocated once at its full size. Truncation may only drop rows that no running scan reads
 * (rows the caller never published to scans, e.g. an INSERT being undone).
 */
#include <pthread.h>
#include <string.h>

#include "storage/column_store_internal.h"

#define CS_PAGE_SIZE ((size_t)4096)
#define CS_DEDICATED_STRING ((uint32_t)32 * 1024) /* longer strings get a heap block of their own */
#define CS_HEAP_MIN_BLOCK ((size_t)4096)          /* first heap block of a small store */
#define CS_WIDTH_CLASSES 5                        /* widths 1, 2, 4, 8, 16 */

/* ---- layouts ----------------------------------------------------------------------------- */

static cs_layout cs_layouts[CS_WIDTH_CLASSES][2]; /* [width class][0 = growing, 1 = standard] */
static pthread_once_t cs_layouts_once = PTHREAD_ONCE_INIT;

static size_t cs_round_page(size_t n) { return (n + CS_PAGE_SIZE - 1) & ~(CS_PAGE_SIZE - 1); }

static void cs_build_layout(cs_layout *l, uint32_t width, bool growing) {
    memset(l, 0, sizeof *l);
    l->width = width;
    l->stride = VECTOR_SIZE * width + CS_VALIDITY_BYTES;
    uint32_t max_cap = (uint32_t)(POOL_BLOCK_SIZE / l->stride);
    if (max_cap > CS_VECTORS_PER_RG) max_cap = CS_VECTORS_PER_RG;
    if (max_cap == 0) max_cap = 1;
    uint32_t v = 0, b = 0;
    while (v < CS_VECTORS_PER_RG) {
        uint32_t left = CS_VECTORS_PER_RG - v;
        uint32_t cap = growing ? (v + 1) / 2 + (v == 0) : max_cap;
        if (cap > max_cap) cap = max_cap;
        if (cap > left) cap = left;
        /* the page rounding may leave room for more whole vectors */
        uint32_t fits = (uint32_t)(cs_round_page((size_t)cap * l->stride) / l->stride);
        if (fits > cap) cap = fits < max_cap ? fits : max_cap;
        if (cap > left) cap = left;
        l->first_vec[b] = (uint8_t)v;
        l->block_bytes[b] = (uint32_t)((size_t)cap * l->stride);
        for (uint32_t i = 0; i < cap; i++) l->vec_block[v + i] = (uint8_t)b;
        v += cap;
        b++;
    }
    l->block_count = b;
}

static void cs_build_layouts(void) {
    for (uint32_t c = 0; c < CS_WIDTH_CLASSES; c++) {
        cs_build_layout(&cs_layouts[c][0], 1u << c, true);
        cs_build_layout(&cs_layouts[c][1], 1u << c, false);
    }
}

static uint32_t cs_column_width(logical_type t) {
    if (t.id == TYPE_VARCHAR) return CS_STRING_ENTRY;
    size_t w = type_physical_size(t);
    return w ? (uint32_t)w : 1;
}

static uint8_t cs_width_class(uint32_t width) {
    uint8_t c = 0;
    while (c + 1 < CS_WIDTH_CLASSES && (1u << c) < width) c++;
    return c;
}

const cs_layout *column_store_layout_of(const column_store *s, uint32_t col, uint64_t rg_index) {
    return &cs_layouts[s->width_class[col]][rg_index == 0 ? 0 : 1];
}

/* ---- validity bits ------------------------------------------------------------------------ */

/* A validity word of a block may hold bits of published rows (read by scans) and of rows being
 * appended (written by the appender), so words are accessed with relaxed atomics: plain loads
 * and stores on the hardware, and no data race in the language. */
static inline uint64_t cs_load_word(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static inline void cs_store_word(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }

static inline uint64_t cs_get_bits(const uint64_t *src, uint32_t pos, uint32_t k) {
    uint32_t w = pos >> 6, sh = pos & 63;
    uint64_t v = cs_load_word(&src[w]) >> sh;
    if (sh && sh + k > 64) v |= cs_load_word(&src[w + 1]) << (64 - sh);
    return k == 64 ? v : v & (((uint64_t)1 << k) - 1);
}

static inline void cs_put_bits(uint64_t *dst, uint32_t pos, uint32_t k, uint64_t bits) {
    uint32_t w = pos >> 6, sh = pos & 63;
    uint64_t mask = k == 64 ? UINT64_MAX : (((uint64_t)1 << k) - 1);
    cs_store_word(&dst[w], (cs_load_word(&dst[w]) & ~(mask << sh)) | (bits << sh));
    if (sh && sh + k > 64) {
        uint32_t hi = sh + k - 64;
        uint64_t m2 = ((uint64_t)1 << hi) - 1;
        cs_store_word(&dst[w + 1], (cs_load_word(&dst[w + 1]) & ~m2) | ((bits >> (64 - sh)) & m2));
    }
}

void column_store_copy_bits(uint64_t *dst, uint32_t dpos, const uint64_t *src, uint32_t spos, uint32_t n) {
    if (((dpos | spos) & 63) == 0) {
        uint32_t words = n >> 6;
        uint64_t *d = dst + (dpos >> 6);
        const uint64_t *sw = src + (spos >> 6);
        for (uint32_t i = 0; i < words; i++) cs_store_word(&d[i], cs_load_word(&sw[i]));
        dpos += words * 64;
        spos += words * 64;
        n -= words * 64;
    }
    while (n) {
        uint32_t k = n < 64 ? n : 64;
        cs_put_bits(dst, dpos, k, cs_get_bits(src, spos, k));
        dpos += k;
        spos += k;
        n -= k;
    }
}

/* ---- directories -------------------------------------------------------------------------- */

static bool cs_dir_set(buffer_pool *pool, cs_dir *d, uint32_t base, uint64_t i, void *p) {
    uint64_t q = i / base + 1;
    int k = 63 - __builtin_clzll(q);
    if (k >= CS_DIR_SEGMENTS) return false;
    uint64_t first = (uint64_t)base * (((uint64_t)1 << k) - 1);
    if (!d->seg[k]) {
        if (!p) return true;
        d->seg[k] = pool_calloc(pool, (size_t)base << k, sizeof(void *));
        if (!d->seg[k]) return false;
    }
    d->seg[k][i - first] = p;
    return true;
}

static void cs_dir_free(buffer_pool *pool, cs_dir *d) {
    for (int k = 0; k < CS_DIR_SEGMENTS; k++) {
        pool_free(pool, d->seg[k]);
        d->seg[k] = NULL;
    }
}

/* ---- blocks -------------------------------------------------------------------------------- */

static block_handle *cs_block_alloc(column_store *s, memory_tag tag, size_t size, error *err) {
    block_handle *h = block_alloc(s->pool, tag, BLOCK_TEMPORARY, size, err);
    if (h) atomic_fetch_add(&s->bytes, (uint64_t)block_memory(h));
    return h;
}

static void cs_block_free(column_store *s, block_handle *h) {
    if (!h) return;
    atomic_fetch_sub(&s->bytes, (uint64_t)block_memory(h));
    block_free(h);
}

/* ---- row groups ---------------------------------------------------------------------------- */

static cs_row_group *cs_rg_create(column_store *s, uint64_t rg_index) {
    size_t handles = 0;
    for (uint32_t c = 0; c < s->column_count; c++) handles += column_store_layout_of(s, c, rg_index)->block_count;
    size_t size = sizeof(cs_row_group) + s->column_count * sizeof(block_handle **) + handles * sizeof(block_handle *);
    cs_row_group *rg = pool_calloc(s->pool, 1, size);
    if (!rg) return NULL;
    rg->heap_current = CS_NO_BLOCK;
    block_handle **next = (block_handle **)(rg->blocks + s->column_count);
    for (uint32_t c = 0; c < s->column_count; c++) {
        rg->blocks[c] = next;
        next += column_store_layout_of(s, c, rg_index)->block_count;
    }
    return rg;
}

/* Frees heap blocks [from, heap_count). */
static void cs_heap_free_from(column_store *s, cs_row_group *rg, uint32_t from) {
    for (uint32_t i = from; i < rg->heap_count; i++) {
        block_handle *h = cs_dir_get(&rg->heap, CS_HEAP_DIR_BASE, i);
        if (h) {
            rg->heap_bytes -= block_size(h);
            cs_block_free(s, h);
        }
        cs_dir_set(s->pool, &rg->heap, CS_HEAP_DIR_BASE, i, NULL);
    }
    if (rg->heap_count > from) rg->heap_count = from;
    if (rg->heap_current != CS_NO_BLOCK && rg->heap_current >= from) rg->heap_current = CS_NO_BLOCK;
}

static void cs_rg_destroy(column_store *s, cs_row_group *rg, uint64_t rg_index) {
    if (!rg) return;
    for (uint32_t c = 0; c < s->column_count; c++) {
        const cs_layout *l = column_store_layout_of(s, c, rg_index);
        for (uint32_t b = 0; b < l->block_count; b++) cs_block_free(s, rg->blocks[c][b]);
    }
    cs_heap_free_from(s, rg, 0);
    cs_dir_free(s->pool, &rg->heap);
    pool_free(s->pool, rg);
}

/* ---- create / destroy ------------------------------------------------------------------------ */

column_store *column_store_create(buffer_pool *pool, const logical_type *types, uint32_t column_count,
                                  memory_tag data_tag, memory_tag string_tag, error *err) {
    pthread_once(&cs_layouts_once, cs_build_layouts);
    column_store *s = pool_calloc(pool, 1, sizeof *s);
    if (!s) goto oom;
    s->pool = pool;
    s->data_tag = data_tag;
    s->string_tag = string_tag;
    s->column_count = column_count;
    atomic_init(&s->row_count, 0);
    atomic_init(&s->bytes, 0);
    size_t n = column_count ? column_count : 1;
    s->types = pool_malloc(pool, n * sizeof(logical_type));
    s->width_class = pool_malloc(pool, n);
    s->append_pins = pool_calloc(pool, n, sizeof(block_handle *));
    if (!s->types || !s->width_class || !s->append_pins) goto oom;
    for (uint32_t c = 0; c < column_count; c++) {
        uint32_t width = cs_column_width(types[c]);
        s->types[c] = types[c];
        s->width_class[c] = cs_width_class(width);
        if ((1u << s->width_class[c]) != width) { /* layouts exist for widths 1, 2, 4, 8, 16 */
            column_store_destroy(s);
            error_set(err, EIDER_ERROR_INTERNAL, "column store: unsupported value width %u", width);
            return NULL;
        }
    }
    return s;
oom:
    column_store_destroy(s);
    error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate a column store");
    return NULL;
}

void column_store_destroy(column_store *s) {
    if (!s) return;
    for (uint64_t i = 0; i < s->rg_allocated; i++) cs_rg_destroy(s, cs_dir_get(&s->row_groups, CS_RG_DIR_BASE, i), i);
    cs_dir_free(s->pool, &s->row_groups);
    buffer_pool *pool = s->pool;
    pool_free(pool, s->types);
    pool_free(pool, s->width_class);
    pool_free(pool, s->append_pins);
    pool_free(pool, s);
}

uint32_t column_store_column_count(const column_store *s) { return s->column_count; }
const logical_type *column_store_types(const column_store *s) { return s->types; }
uint64_t column_store_row_count(const column_store *s) {
    return atomic_load_explicit(&((column_store *)s)->row_count, memory_order_acquire);
}
uint64_t column_store_row_group_count(const column_store *s) {
    return (column_store_row_count(s) + COLUMN_STORE_ROW_GROUP_SIZE - 1) / COLUMN_STORE_ROW_GROUP_SIZE;
}
uint64_t column_store_bytes(const column_store *s) { return atomic_load(&((column_store *)s)->bytes); }

/* ---- append ---------------------------------------------------------------------------------- */

/* Makes *slot the pinned block h (pinning h unless it already is, unpinning the previous one). */
static bool cs_hold(block_handle **slot, block_handle *h, error *err) {
    if (*slot == h) return true;
    if (!block_pin(h, err)) return false;
    if (*slot) block_unpin(*slot);
    *slot = h;
    return true;
}

static void cs_release_append_pins(column_store *s) {
    for (uint32_t c = 0; c < s->column_count; c++) {
        if (s->append_pins[c]) block_unpin(s->append_pins[c]);
        s->append_pins[c] = NULL;
    }
    if (s->append_heap_pin) block_unpin(s->append_heap_pin);
    s->append_heap_pin = NULL;
    s->append_heap_rg = NULL;
}

/* Adds a new heap block of `size` bytes to the row group; it comes back pinned once. */
static block_handle *cs_heap_add(column_store *s, cs_row_group *rg, size_t size, uint32_t *index, error *err) {
    block_handle *h = cs_block_alloc(s, s->string_tag, size, err);
    if (!h) return NULL;
    if (!cs_dir_set(s->pool, &rg->heap, CS_HEAP_DIR_BASE, rg->heap_count, h)) {
        cs_block_free(s, h);
        error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not grow a string heap directory");
        return NULL;
    }
    *index = rg->heap_count++;
    rg->heap_bytes += block_size(h);
    return h;
}

/* Copies a string's bytes into the row group's heap; returns where they went. */
static bool cs_heap_store(column_store *s, cs_row_group *rg, uint64_t rg_index, const char *data, uint32_t len,
                          uint32_t *blk, uint32_t *off, error *err) {
    if (len > CS_DEDICATED_STRING) {
        uint32_t index;
        block_handle *h = cs_heap_add(s, rg, len, &index, err);
        if (!h) return false;
        memcpy(block_data(h), data, len);
        block_unpin(h);
        *blk = index;
        *off = 0;
        return true;
    }
    block_handle *cur = rg->heap_current == CS_NO_BLOCK ? NULL : cs_dir_get(&rg->heap, CS_HEAP_DIR_BASE, rg->heap_current);
    if (!cur || (size_t)rg->heap_offset + len > block_size(cur)) {
        size_t size = POOL_BLOCK_SIZE;
        if (rg_index == 0) { /* a small store grows its heap gradually */
            size = (size_t)(rg->heap_bytes / 2);
            if (size < CS_HEAP_MIN_BLOCK) size = CS_HEAP_MIN_BLOCK;
            if (size > POOL_BLOCK_SIZE) size = POOL_BLOCK_SIZE;
            size = cs_round_page(size);
        }
        uint32_t index;
        block_handle *h = cs_heap_add(s, rg, size, &index, err);
        if (!h) return false;
        if (s->append_heap_pin) block_unpin(s->append_heap_pin);
        s->append_heap_pin = h; /* the allocation's pin */
        rg->heap_current = index;
        rg->heap_offset = 0;
        cur = h;
    } else if (!cs_hold(&s->append_heap_pin, cur, err)) {
        return false;
    }
    s->append_heap_rg = rg;
    s->append_heap_data = block_data(cur);
    s->append_heap_size = block_size(cur);
    memcpy((char *)block_data(cur) + rg->heap_offset, data, len);
    *blk = rg->heap_current;
    *off = rg->heap_offset;
    rg->heap_offset += len;
    return true;
}

static bool cs_write_strings(column_store *s, cs_row_group *rg, uint64_t rg_index, uint8_t *dst, const vector *src,
                             uint32_t src_row, uint32_t n, error *err) {
    const string_t *in = (const string_t *)src->data + src_row;
    for (uint32_t i = 0; i < n; i++, dst += CS_STRING_ENTRY) {
        memset(dst, 0, CS_STRING_ENTRY);
        if (!vector_is_valid(src, src_row + i)) continue;
        uint32_t len = in[i].length;
        memcpy(dst, &len, 4);
        if (len <= STRING_INLINE_LENGTH) {
            if (len) memcpy(dst + 4, in[i].value.inlined, len);
            continue;
        }
        const char *p = in[i].value.pointer.ptr;
        uint32_t blk, off;
        if (len <= CS_DEDICATED_STRING && s->append_heap_rg == rg &&
            (size_t)rg->heap_offset + len <= s->append_heap_size) {
            /* fast path: the bump block pinned by this append has room */
            blk = rg->heap_current;
            off = rg->heap_offset;
            memcpy(s->append_heap_data + off, p, len);
            rg->heap_offset += len;
        } else if (!cs_heap_store(s, rg, rg_index, p, len, &blk, &off, err)) {
            return false;
        }
        memcpy(dst + 4, p, 4);
        memcpy(dst + 8, &blk, 4);
        memcpy(dst + 12, &off, 4);
    }
    return true;
}

/* The row group rows are appended to, created if needed. */
static cs_row_group *cs_tail_row_group(column_store *s, uint64_t rg_index, error *err) {
    if (rg_index < s->rg_allocated) return cs_dir_get(&s->row_groups, CS_RG_DIR_BASE, rg_index);
    cs_row_group *rg = cs_rg_create(s, rg_index);
    if (!rg || !cs_dir_set(s->pool, &s->row_groups, CS_RG_DIR_BASE, rg_index, rg)) {
        pool_free(s->pool, rg);
        error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate a row group");
        return NULL;
    }
    s->rg_allocated = rg_index + 1;
    return rg;
}

/* Appends rows [from, from + n) of c, which fit in the vector the store's tail is in. */
static bool cs_append_piece(column_store *s, cs_row_group *rg, uint64_t rg_index, const chunk *c, uint32_t from,
                            uint32_t n, error *err) {
    uint32_t v = rg->count / VECTOR_SIZE, off = rg->count % VECTOR_SIZE;
    for (uint32_t col = 0; col < s->column_count; col++) {
        const cs_layout *l = column_store_layout_of(s, col, rg_index);
        uint32_t bi = l->vec_block[v];
        block_handle *h = rg->blocks[col][bi];
        if (!h) {
            h = cs_block_alloc(s, s->data_tag, l->block_bytes[bi], err);
            if (!h) return false;
            rg->blocks[col][bi] = h;
            if (s->append_pins[col]) block_unpin(s->append_pins[col]);
            s->append_pins[col] = h; /* the allocation's pin */
        } else if (!cs_hold(&s->append_pins[col], h, err)) {
            return false;
        }
        uint8_t *base = (uint8_t *)block_data(h) + (size_t)(v - l->first_vec[bi]) * l->stride;
        const vector *src = &c->columns[col];
        if (s->types[col].id == TYPE_VARCHAR) {
            if (!cs_write_strings(s, rg, rg_index, base + (size_t)off * CS_STRING_ENTRY, src, from, n, err)) return false;
        } else {
            memcpy(base + (size_t)off * l->width, (const uint8_t *)src->data + (size_t)from * l->width,
                   (size_t)n * l->width);
        }
        column_store_copy_bits((uint64_t *)(base + (size_t)VECTOR_SIZE * l->width), off, src->validity, from, n);
    }
    return true;
}

bool column_store_append(column_store *s, const chunk *c, error *err) {
    if (c->column_count != s->column_count)
        return error_set(err, EIDER_ERROR_INTERNAL, "column store append: %u columns given, %u expected",
                         c->column_count, s->column_count);
    for (uint32_t col = 0; col < s->column_count; col++)
        if (c->columns[col].type.id != s->types[col].id)
            return error_set(err, EIDER_ERROR_INTERNAL, "column store append: type mismatch in column %u", col);
    uint64_t count = atomic_load_explicit(&s->row_count, memory_order_relaxed);
    uint32_t done = 0;
    bool ok = true;
    while (done < c->count) {
        uint64_t rg_index = count / COLUMN_STORE_ROW_GROUP_SIZE;
        cs_row_group *rg = cs_tail_row_group(s, rg_index, err);
        if (!rg) {
            ok = false;
            break;
        }
        uint32_t room = VECTOR_SIZE - rg->count % VECTOR_SIZE;
        uint32_t n = c->count - done < room ? c->count - done : room;
        if (!cs_append_piece(s, rg, rg_index, c, done, n, err)) {
            ok = false;
            break;
        }
        rg->count += n;
        done += n;
        count += n;
        atomic_store_explicit(&s->row_count, count, memory_order_release);
    }
    cs_release_append_pins(s);
    return ok;
}

/* ---- truncate -------------------------------------------------------------------------------- */

/* After a row group was cut to its first `rows` rows: frees the heap blocks no remaining string
 * references and moves the bump position back behind the last remaining string. Leaves the heap
 * as it is when a segment block cannot be pinned (correct, only less compact). */
static void cs_heap_cut(column_store *s, cs_row_group *rg, uint64_t rg_index, uint32_t rows) {
    uint32_t max_index = CS_NO_BLOCK, bump = CS_NO_BLOCK, bump_end = 0;
    uint32_t vectors = (rows + VECTOR_SIZE - 1) / VECTOR_SIZE;
    for (uint32_t col = 0; col < s->column_count; col++) {
        if (s->types[col].id != TYPE_VARCHAR) continue;
        const cs_layout *l = column_store_layout_of(s, col, rg_index);
        for (uint32_t v = 0; v < vectors; v++) {
            uint32_t bi = l->vec_block[v];
            block_handle *h = rg->blocks[col][bi];
            if (!h) continue;
            error e;
            error_clear(&e);
            uint8_t *data = block_pin(h, &e);
            if (!data) return;
            const uint8_t *entry = data + (size_t)(v - l->first_vec[bi]) * l->stride;
            uint32_t n = rows - v * VECTOR_SIZE < VECTOR_SIZE ? rows - v * VECTOR_SIZE : VECTOR_SIZE;
            for (uint32_t i = 0; i < n; i++, entry += CS_STRING_ENTRY) {
                uint32_t len, blk, off;
                memcpy(&len, entry, 4);
                if (len <= STRING_INLINE_LENGTH) continue;
                memcpy(&blk, entry + 8, 4);
                memcpy(&off, entry + 12, 4);
                if (max_index == CS_NO_BLOCK || blk > max_index) max_index = blk;
                if (len > CS_DEDICATED_STRING) continue;
                if (bump == CS_NO_BLOCK || blk > bump) {
                    bump = blk;
                    bump_end = off + len;
                } else if (blk == bump && off + len > bump_end) {
                    bump_end = off + len;
                }
            }
            block_unpin(h);
        }
    }
    cs_heap_free_from(s, rg, max_index == CS_NO_BLOCK ? 0 : max_index + 1);
    rg->heap_current = bump;
    rg->heap_offset = bump == CS_NO_BLOCK ? 0 : bump_end;
}

/* Cuts a row group to its first `rows` rows (> 0), freeing the segment blocks beyond them. */
static void cs_rg_cut(column_store *s, cs_row_group *rg, uint64_t rg_index, uint32_t rows) {
    uint32_t vectors = (rows + VECTOR_SIZE - 1) / VECTOR_SIZE;
    bool strings = false;
    for (uint32_t col = 0; col < s->column_count; col++) {
        const cs_layout *l = column_store_layout_of(s, col, rg_index);
        for (uint32_t b = (uint32_t)l->vec_block[vectors - 1] + 1; b < l->block_count; b++) {
            cs_block_free(s, rg->blocks[col][b]);
            rg->blocks[col][b] = NULL;
        }
        if (s->types[col].id == TYPE_VARCHAR) strings = true;
    }
    rg->count = rows;
    if (strings && rg->heap_count) cs_heap_cut(s, rg, rg_index, rows);
}

void column_store_truncate(column_store *s, uint64_t row_count) {
    uint64_t count = atomic_load_explicit(&s->row_count, memory_order_relaxed);
    if (row_count > count) row_count = count;
    uint64_t keep = (row_count + COLUMN_STORE_ROW_GROUP_SIZE - 1) / COLUMN_STORE_ROW_GROUP_SIZE;
    atomic_store_explicit(&s->row_count, row_count, memory_order_release);
    for (uint64_t i = keep; i < s->rg_allocated; i++) {
        cs_rg_destroy(s, cs_dir_get(&s->row_groups, CS_RG_DIR_BASE, i), i);
        cs_dir_set(s->pool, &s->row_groups, CS_RG_DIR_BASE, i, NULL);
    }
    if (s->rg_allocated > keep) s->rg_allocated = keep;
    if (keep > 0) {
        uint64_t rows = row_count - (keep - 1) * COLUMN_STORE_ROW_GROUP_SIZE;
        cs_rg_cut(s, cs_dir_get(&s->row_groups, CS_RG_DIR_BASE, keep - 1), keep - 1, (uint32_t)rows);
    }
}
