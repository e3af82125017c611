/*
 * window_eval.h — evaluation of window expressions over one partition at a time, for the window
 * operator (window.c). Not for use elsewhere.
 *
 * A partition is a list of row addresses, rows with equal partition keys in (order keys) order:
 * a run of the operator's sorted entries (sort_keys.h) when its input fits in memory, an array of
 * addresses into the blocks of a merge of sorted runs when it spilled (window.c). An evaluator is
 * made once per expression; for each partition the operator calls window_eval_begin, then
 * window_eval_rows over consecutive row ranges from the first row to the last. What an evaluator
 * builds for a partition (segment tree, prefix sums, peer group starts) lives in pool blocks (tag
 * WINDOW) that are reused for the next partition, so only one partition's structures exist at a
 * time.
 *
 * A partition larger than memory (window_pages.h) is read through its page cache: evaluators
 * keep no pointer to a row beyond the next read, take other rows' values by position
 * (window_partition_gather) and scan peers by comparing neighbours. Ranks, row_number, ntile,
 * lag/lead, first/last/nth_value and RANGE bounds need nothing more, whatever the frame; whole
 * and running frames are one state; count/sum/avg of integers and DECIMALs over frames whose bounds
 * only move forward keep the sums at both bounds (window_aggregate.h); other sliding aggregates
 * build their prefix sums or segment tree per batch of output rows over the rows that the batch's
 * frames cover while that is at most max_span rows, and past that one segment tree over the whole
 * partition whose nodes live in evictable blocks (window_states.h). GROUPS frames with offsets
 * index the start of every peer group, in evictable blocks too. So no frame makes such a
 * partition fail for want of memory.
 *
 * Algorithms: ranks and peers by one forward scan; frames by moving bounds (ROWS arithmetic,
 * RANGE by two monotone pointers over the order key, GROUPS by the peer group starts);
 * aggregates over frames as window_aggregate.h describes: O(n) or O(n log n) per partition.
 */
#ifndef EIDER_WINDOW_EVAL_H
#define EIDER_WINDOW_EVAL_H

#include "execution/sort_keys.h"
#include "execution/window.h"
#include "execution/window_pages.h"

/* How the operator's rows look and compare: shared, read-only, by every evaluator. */
typedef struct window_layout {
    row_layout rows;          /* normalized sort key as the header, then the input columns */
    sort_layout sort;         /* partition keys, then order keys */
    sort_layout partition;    /* partition keys only */
    uint32_t partition_count;
    uint32_t order_count;
    uint32_t partition_bytes; /* > 0: equal partitions <=> equal first bytes of the normalized key */
    bool peers_by_bytes;      /* equal keys <=> equal normalized keys (no VARCHAR key) */
} window_layout;

bool window_same_partition(const window_layout *w, const uint8_t *a, const uint8_t *b);
/* Whether two rows of one partition are peers (equal order keys). */
bool window_same_peers(const window_layout *w, const uint8_t *a, const uint8_t *b);

/* One partition of count rows. In memory, the address of row i is stored at slots + i * stride
 * (in sorted entries: slots = the first entry's row pointer, stride = the entry width). A
 * partition larger than memory is in pages (window_pages.h) instead: rows are read through their
 * cache, and what an evaluator builds over many rows (prefix sums, segment tree) in memory covers
 * only the rows that the frames of one batch of output rows reach, at most max_span rows; wider
 * frames go to structures in evictable blocks (window_states.h). */
typedef struct window_partition {
    const window_layout *w;
    const uint8_t *slots;
    uint32_t stride;
    uint64_t count;
    window_pages *pages; /* NULL: in memory */
    uint64_t max_span;
} window_partition;

/* Row i of a partition known to be in memory (hot loops that check once). */
static inline uint8_t *window_partition_row_in_memory(const window_partition *p, uint64_t i) {
    uint8_t *row;
    memcpy(&row, p->slots + i * p->stride, sizeof row);
    return row;
}

static inline uint8_t *window_partition_row(const window_partition *p, uint64_t i) {
    if (__builtin_expect(p->pages != NULL, 0)) return window_pages_row_call(p->pages, i);
    return window_partition_row_in_memory(p, i);
}

/* Copies column col of rows idx[k] (k < n) into out rows [out_start, out_start + n); rows is
 * scratch for n addresses. In memory strings point into the rows; in pages long strings are copied
 * into heap_owner's heap, or into strings when heap_owner is NULL. */
bool window_partition_gather(const window_partition *p, uint32_t col, const uint64_t *idx, uint32_t n, vector *out,
                             uint32_t out_start, chunk *heap_owner, arena *strings, uint8_t **rows, error *err);

/* A pool block that is kept from one partition to the next and grows when one needs more. */
typedef struct window_scratch {
    block_handle *block;
    uint8_t *data;
    size_t size;
} window_scratch;

/* Makes room for size bytes (the contents are not kept when the block grows). */
bool window_scratch_reserve(buffer_pool *pool, window_scratch *s, size_t size, error *err);
void window_scratch_free(window_scratch *s);

typedef struct window_eval window_eval;

/* An evaluator of spec over rows of layout w; NULL + err on failure. */
window_eval *window_eval_create(buffer_pool *pool, const window_layout *w, const window_expr_spec *spec, error *err);
void window_eval_destroy(window_eval *ev);
/* Starts a partition (the previous one's structures are reused or freed). */
bool window_eval_begin(window_eval *ev, const window_partition *p, error *err);
/* Results of rows [from, from + n) of the partition into out rows [out_start, out_start + n);
 * from is where the previous call ended (0 after window_eval_begin). Result strings are either
 * the rows' own (alive as long as the operator) or copied into heap_owner's heap. */
bool window_eval_rows(window_eval *ev, uint64_t from, uint32_t n, vector *out, uint32_t out_start, chunk *heap_owner,
                      error *err);

#endif
