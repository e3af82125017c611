/*
 * sort_keys.h — normalized sort keys and the sort used by ORDER BY.
 *
 * Each buffered row starts with a normalized key: for each sort key, a NULL byte (ordered for
 * NULLS FIRST/LAST) then the value as big-endian bytes that compare with memcmp in the key's
 * order (signs flipped, DOUBLE bits mapped to an ordered integer, bytes inverted for DESC).
 * A VARCHAR contributes a 12-byte prefix and ends the normalized part: keys from there on are
 * decided by a full comparison over the row's values, run only on ties of the prefix.
 *
 * The sort works on entries of (normalized key, row pointer): an LSD radix sort over the key
 * bytes (skipping bytes that are the same in every entry), then a stable merge sort of each run
 * of equal prefixes when a VARCHAR key needs it. The whole sort is stable.
 */
#ifndef EIDER_SORT_KEYS_H
#define EIDER_SORT_KEYS_H

#include "execution/order_by.h"
#include "execution/row_layout.h"

#define SORT_STRING_PREFIX 12

typedef struct sort_layout {
    uint32_t key_count;
    sort_key *keys;
    logical_type *key_types;
    uint32_t norm_count;    /* keys in the normalized prefix */
    uint32_t *norm_offsets; /* byte offset of each of them in the prefix */
    uint32_t key_width;     /* bytes of the normalized prefix, a multiple of 8 */
    bool tie_break;         /* a VARCHAR key: equal prefixes need the full comparison */
    const row_layout *rows; /* layout of the rows (set by the owner once made) */
} sort_layout;

/* types are the row's column types. Arrays are allocated in arena a. */
bool sort_layout_init(sort_layout *s, arena *a, const sort_key *keys, uint32_t key_count, const logical_type *types,
                      error *err);
/* Writes the normalized key of input row k (of the columns of `in`) at the start of rows[k]. */
void sort_normalize(const sort_layout *s, const chunk *in, uint32_t n, uint8_t *const *rows);
/* Full comparison of two rows by the sort keys: <0, 0, >0. */
int sort_compare_rows(const sort_layout *s, const uint8_t *a, const uint8_t *b);
/* memcmp order of two normalized keys (at the start of rows or entries). Keys are a multiple of
 * 8 bytes (sort_layout_init pads them with zeros): they are compared as big-endian words, inline,
 * which matters where the leading key ties often (a sum or a date with few distinct values). */
static inline int sort_key_compare(const sort_layout *s, const uint8_t *a, const uint8_t *b) {
    for (uint32_t i = 0; i < s->key_width; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, sizeof x);
        memcpy(&y, b + i, sizeof y);
        if (x != y) return __builtin_bswap64(x) < __builtin_bswap64(y) ? -1 : 1;
    }
    return 0;
}

/* Bytes of one entry: the normalized key then the row pointer. */
static inline uint32_t sort_entry_width(const sort_layout *s) { return s->key_width + (uint32_t)sizeof(uint8_t *); }
static inline uint8_t *sort_entry_row(const sort_layout *s, const uint8_t *entry) {
    uint8_t *row;
    memcpy(&row, entry + s->key_width, sizeof row);
    return row;
}
/* Fills entries (n * entry width bytes) from the rows of a store, in store order. */
void sort_make_entries(const sort_layout *s, const row_store *store, uint8_t *entries);
/* Writes the entries of the n rows of layout s->rows at data (one block's) from out on; returns
 * the end of what it wrote. */
uint8_t *sort_make_block_entries(const sort_layout *s, uint8_t *data, uint64_t n, uint8_t *out);
/* Sorts n entries stably; tmp has room for n entries. Small fixed scratch comes from pool. */
bool sort_entries(const sort_layout *s, buffer_pool *pool, uint8_t *entries, uint8_t *tmp, uint64_t n, error *err);
/* The two blocks an in-memory sort of entries works in, the entries and the sort's scratch, kept
 * from one sort to the next (a sort store's spilled runs, a window's buckets) so that sorts of
 * about the same size reuse their memory. */
typedef struct sort_space {
    block_handle *entries, *scratch;
} sort_space;

/* Bytes the space holds while it sorts n entries: what the two blocks need, or what they already
 * hold when that is more. */
uint64_t sort_space_need(const sort_layout *s, const sort_space *sp, uint64_t n);
/* Makes room for n entries (keeping blocks that are large enough); false + err. */
bool sort_space_reserve(const sort_layout *s, sort_space *sp, buffer_pool *pool, memory_tag tag, uint64_t n,
                        error *err);
/* Sorts the n entries written into sp->entries. */
bool sort_space_sort(const sort_layout *s, sort_space *sp, buffer_pool *pool, uint64_t n, error *err);
/* Frees both blocks; the space stays usable. */
void sort_space_free(sort_space *sp);

/* Merges k sorted runs of entries (runs[i] holds counts[i] entries) into out; on ties the earlier
 * run comes first. */
void sort_merge_runs(const sort_layout *s, const uint8_t *const *runs, const uint64_t *counts, uint32_t k,
                     uint8_t *out);

#endif
