/*
 * window_pages.c — a window partition in position-independent blocks, read through a small cache
 * of pinned pages.
 */
#include "execution/window_pages.h"

#include <string.h>

bool window_pages_init(window_pages *wp, buffer_pool *pool, const row_layout *l, error *err) {
    memset(wp, 0, sizeof *wp);
    wp->pool = pool;
    wp->layout = l;
    sort_run_init_tag(&wp->run, pool, TAG_WINDOW);
    sort_run_writer_init(&wp->writer, l, &wp->run);
    wp->writing = true;
    wp->null_row = pool_calloc(pool, 1, l->width);
    if (!wp->null_row) return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate a window partition");
    return true;
}

bool window_pages_append(window_pages *wp, const uint8_t *row, error *err) {
    if (!sort_run_write_row(&wp->writer, row, err)) return false;
    wp->rows++;
    return true;
}

bool window_pages_seal(window_pages *wp, error *err) {
    sort_run_writer_finish(&wp->writer);
    wp->writing = false;
    uint32_t count = wp->run.blocks.count;
    wp->first_row = pool_malloc(wp->pool, sizeof *wp->first_row * (count + 1));
    if (!wp->first_row) return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate a window partition");
    uint64_t row = 0;
    for (uint32_t b = 0; b < count; b++) {
        wp->first_row[b] = row;
        row += wp->run.blocks.entries[b].used;
    }
    wp->first_row[count] = row;
    return true;
}

void window_pages_free(window_pages *wp) {
    if (!wp->pool) return;
    if (wp->writing) sort_run_writer_finish(&wp->writer);
    sort_run_free(&wp->run); /* pinned or not */
    if (wp->first_row) pool_free(wp->pool, wp->first_row);
    if (wp->null_row) pool_free(wp->pool, wp->null_row);
    memset(wp, 0, sizeof *wp);
}

/* ---- the cache ------------------------------------------------------------------------------- */

static void page_drop(window_pages *wp, window_page *pg) {
    if (!pg->block) return;
    row_block_swizzle(wp->layout, pg->data, pg->end - pg->first, false);
    block_unpin(pg->block);
    memset(pg, 0, sizeof *pg);
}

/* The block that holds row i. */
static uint32_t block_of(const window_pages *wp, uint64_t i) {
    uint32_t lo = 0, hi = wp->run.blocks.count; /* first_row[lo] <= i < first_row[hi] */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (wp->first_row[mid] <= i) lo = mid;
        else hi = mid;
    }
    return lo;
}

uint8_t *window_pages_fetch(window_pages *wp, uint64_t i) {
    if (wp->failed || i >= wp->rows) {
        if (!wp->failed) {
            wp->failed = true;
            error_set(&wp->err, EIDER_ERROR_INTERNAL, "window partition row %llu out of range", (unsigned long long)i);
        }
        return wp->null_row;
    }
    wp->tick++;
    uint32_t victim = WINDOW_PAGE_SLOTS;
    for (uint32_t s = 0; s < WINDOW_PAGE_SLOTS; s++) {
        window_page *pg = &wp->pages[s];
        if (pg->block && i >= pg->first && i < pg->end) {
            pg->used = wp->tick;
            wp->last = s;
            return pg->data + (i - pg->first) * wp->layout->width;
        }
        if (pg->held) continue;
        if (victim == WINDOW_PAGE_SLOTS || !pg->block ||
            (wp->pages[victim].block && pg->used < wp->pages[victim].used))
            victim = s;
    }
    window_page *pg = &wp->pages[victim]; /* holds leave slots free: WINDOW_HOLD_PAGES < WINDOW_PAGE_SLOTS */
    page_drop(wp, pg);
    uint32_t b = block_of(wp, i);
    block_entry *e = &wp->run.blocks.entries[b];
    uint8_t *data = block_pin(e->handle, &wp->err);
    if (!data) {
        wp->failed = true;
        return wp->null_row;
    }
    row_block_swizzle(wp->layout, data, e->used, true);
    *pg = (window_page){.block = e->handle, .data = data, .first = wp->first_row[b], .end = wp->first_row[b + 1],
                        .index = b, .used = wp->tick};
    wp->last = victim;
    return data + (i - pg->first) * wp->layout->width;
}

uint8_t *window_pages_row_call(window_pages *wp, uint64_t i) { return window_pages_row(wp, i); }

bool window_pages_hold(window_pages *wp, uint64_t begin, uint64_t *n, uint8_t **rows, error *err) {
    uint32_t b0 = block_of(wp, begin), b1 = block_of(wp, begin + *n - 1);
    if (b1 - b0 >= WINDOW_HOLD_PAGES) {
        b1 = b0 + WINDOW_HOLD_PAGES - 1;
        *n = wp->first_row[b1 + 1] - begin;
    }
    for (uint32_t b = b0; b <= b1; b++) {
        window_pages_fetch(wp, b == b0 ? begin : wp->first_row[b]);
        if (wp->failed) return window_pages_check(wp, err);
        wp->pages[wp->last].held = true;
    }
    for (uint64_t k = 0; k < *n; k++) rows[k] = window_pages_row(wp, begin + k);
    return true;
}

void window_pages_release(window_pages *wp) {
    for (uint32_t s = 0; s < WINDOW_PAGE_SLOTS; s++) wp->pages[s].held = false;
}

bool window_pages_check(const window_pages *wp, error *err) {
    if (!wp->failed) return true;
    if (!error_is_set(err)) *err = wp->err;
    return false;
}
