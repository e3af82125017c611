/*
 * window_eval.c — window expressions over one partition: ranks, lag/lead, frame bounds, values
 * at frame positions; aggregates over the frames go to window_aggregate.c.
 */
#include "execution/window_eval.h"

#include <string.h>

#include "common/numeric.h"
#include "execution/window_aggregate.h"
#include "execution/window_states.h"

/* ---- keys ------------------------------------------------------------------------------------ */

bool window_same_partition(const window_layout *w, const uint8_t *a, const uint8_t *b) {
    if (w->partition_count == 0) return true;
    if (w->partition_bytes) return memcmp(a, b, w->partition_bytes) == 0;
    return sort_compare_rows(&w->partition, a, b) == 0;
}

bool window_same_peers(const window_layout *w, const uint8_t *a, const uint8_t *b) {
    if (w->peers_by_bytes) return memcmp(a, b, w->sort.key_width) == 0;
    return sort_compare_rows(&w->sort, a, b) == 0;
}

/* ---- reading rows by position ------------------------------------------------------------------ */

bool window_partition_gather(const window_partition *p, uint32_t col, const uint64_t *idx, uint32_t n, vector *out,
                             uint32_t out_start, chunk *heap_owner, arena *strings, uint8_t **rows, error *err) {
    const row_layout *l = &p->w->rows;
    if (!p->pages) {
        for (uint32_t k = 0; k < n; k++) rows[k] = window_partition_row_in_memory(p, idx[k]);
        row_gather(l, col, rows, n, out, out_start);
        return true;
    }
    bool is_string = out->type.id == TYPE_VARCHAR;
    for (uint32_t k = 0; k < n; k++) {
        uint8_t *row = window_pages_row(p->pages, idx[k]);
        row_gather(l, col, &row, 1, out, out_start + k);
        if (!is_string || !vector_is_valid(out, out_start + k)) continue;
        string_t *v = &((string_t *)out->data)[out_start + k];
        if (v->length <= STRING_INLINE_LENGTH) continue;
        /* the page may leave memory before the value is used: copy its bytes */
        if (heap_owner) {
            if (!chunk_store_string(heap_owner, string_data(v), v->length, v, err)) return false;
        } else {
            char *copy = arena_alloc(strings, v->length, err);
            if (!copy) return false;
            memcpy(copy, string_data(v), v->length);
            *v = string_make(copy, v->length);
        }
    }
    return window_pages_check(p->pages, err);
}

/* ---- scratch blocks ---------------------------------------------------------------------------- */

bool window_scratch_reserve(buffer_pool *pool, window_scratch *s, size_t size, error *err) {
    if (s->block && s->size >= size) return true;
    size_t want = s->size * 2 > size ? s->size * 2 : size;
    if (s->block) block_free(s->block);
    memset(s, 0, sizeof *s);
    block_handle *h = block_alloc(pool, TAG_WINDOW, BLOCK_TEMPORARY, want ? want : 8, err);
    if (!h) return false;
    s->block = h;
    s->data = block_data(h);
    s->size = block_size(h);
    return true;
}

void window_scratch_free(window_scratch *s) {
    if (s->block) block_free(s->block);
    memset(s, 0, sizeof *s);
}

/* ---- the evaluator ----------------------------------------------------------------------------- */

struct window_eval {
    buffer_pool *pool;
    const window_layout *w;
    const window_expr_spec *spec;
    window_partition part;
    bool uses_frame; /* the result depends on the frame */
    bool uses_peers; /* ranks, or a RANGE/GROUPS frame */

    /* the peer group of the current row: rows [peer_begin, peer_end), number peer_group */
    uint64_t peer_begin, peer_end, peer_group;

    /* RANGE offsets over the order key: rows [valid_begin, valid_end) have a non-NULL key */
    uint32_t key_column;
    logical_type key_type;
    bool key_descending, key_nulls_first;
    __int128 key_multiplier; /* integer keys: raw value * this = value at the frame's range_scale */
    uint64_t valid_begin, valid_end;
    uint64_t start_ptr, end_ptr; /* monotone search positions of the two bounds */

    /* GROUPS offsets: the first row of every peer group, then the partition size */
    window_scratch group_starts;
    window_states paged_group_starts; /* the same over a partition in pages */
    bool group_failed;                /* a start in pages could not be read: group_error says why */
    error group_error;
    uint64_t group_count;

    window_aggregate *aggregate; /* WINDOW_AGGREGATE */

    /* scratch for one batch of rows */
    uint8_t *rows[VECTOR_SIZE];
    uint64_t picks[VECTOR_SIZE];
    bool missing[VECTOR_SIZE];
    uint64_t frame_start[VECTOR_SIZE], frame_end[VECTOR_SIZE]; /* in pages: the frames of a batch */
};

static bool oom(error *err) { return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate window state"); }

static bool bound_has_offset(const window_bound *b) {
    return b->kind == WINDOW_PRECEDING || b->kind == WINDOW_FOLLOWING;
}

static bool frame_has_offset(const window_frame *f) {
    return bound_has_offset(&f->start) || bound_has_offset(&f->end);
}

static window_frame_shape frame_shape(const window_eval *ev) {
    const window_frame *f = &ev->spec->frame;
    window_bound_kind s = f->start.kind, e = f->end.kind;
    if (s == WINDOW_UNBOUNDED_PRECEDING && e == WINDOW_UNBOUNDED_FOLLOWING) return WINDOW_SHAPE_WHOLE;
    /* without ORDER BY all rows are peers: RANGE/GROUPS frames without offsets are the partition */
    if (ev->w->order_count == 0 && f->unit != WINDOW_FRAME_ROWS && !frame_has_offset(f)) return WINDOW_SHAPE_WHOLE;
    /* frame ends only move forward (constant offsets, peers, monotone RANGE bounds) */
    if (s == WINDOW_UNBOUNDED_PRECEDING && f->end.column < 0) return WINDOW_SHAPE_RUNNING;
    return WINDOW_SHAPE_SLIDING;
}

window_eval *window_eval_create(buffer_pool *pool, const window_layout *w, const window_expr_spec *spec, error *err) {
    window_eval *ev = pool_calloc(pool, 1, sizeof *ev);
    if (!ev) return oom(err), NULL;
    ev->pool = pool;
    ev->w = w;
    ev->spec = spec;
    window_kind k = spec->kind;
    ev->uses_frame = k == WINDOW_AGGREGATE || k == WINDOW_FIRST_VALUE || k == WINDOW_LAST_VALUE || k == WINDOW_NTH_VALUE;
    ev->uses_peers = k == WINDOW_RANK || k == WINDOW_DENSE_RANK || k == WINDOW_PERCENT_RANK ||
                     k == WINDOW_CUME_DIST || (ev->uses_frame && spec->frame.unit != WINDOW_FRAME_ROWS);
    if (w->order_count) {
        const sort_key *key = &w->sort.keys[w->partition_count];
        ev->key_column = key->column;
        ev->key_type = w->rows.types[key->column];
        ev->key_descending = key->descending;
        ev->key_nulls_first = key->nulls_first;
        int digits = spec->frame.range_scale - (ev->key_type.id == TYPE_DECIMAL ? ev->key_type.scale : 0);
        ev->key_multiplier = 1;
        for (int d = 0; d < digits; d++) ev->key_multiplier *= 10;
    }
    if (k == WINDOW_AGGREGATE &&
        !(ev->aggregate = window_aggregate_create(pool, &spec->aggregate, &w->rows, spec->arg_column, frame_shape(ev),
                                                  spec->frame.start.column < 0 && spec->frame.end.column < 0, err))) {
        window_eval_destroy(ev);
        return NULL;
    }
    return ev;
}

void window_eval_destroy(window_eval *ev) {
    if (!ev) return;
    window_scratch_free(&ev->group_starts);
    window_states_free(&ev->paged_group_starts);
    window_aggregate_destroy(ev->aggregate);
    pool_free(ev->pool, ev);
}

/* ---- rows and values --------------------------------------------------------------------------- */

static inline uint8_t *row_at(const window_eval *ev, uint64_t i) { return window_partition_row(&ev->part, i); }

static inline bool column_valid(const window_eval *ev, const uint8_t *row, uint32_t col) {
    return row_is_valid(&ev->w->rows, row, col);
}

static inline int64_t column_i64(const window_eval *ev, const uint8_t *row, uint32_t col) {
    int64_t v;
    memcpy(&v, row + ev->w->rows.offsets[col], sizeof v);
    return v;
}

/* The constant or per-row offset of row i; false when it is NULL. */
static bool offset_of(const window_eval *ev, uint64_t i, int64_t *out) {
    const window_expr_spec *spec = ev->spec;
    if (spec->offset_column < 0) {
        *out = spec->offset;
        return !spec->offset_null;
    }
    const uint8_t *row = row_at(ev, i);
    if (!column_valid(ev, row, (uint32_t)spec->offset_column)) return false;
    *out = column_i64(ev, row, (uint32_t)spec->offset_column);
    return true;
}

/* ---- peers ------------------------------------------------------------------------------------ */

/* Moves the peer group forward to the one of row i (rows are visited in order). */
static void peers_advance(window_eval *ev, uint64_t i) {
    uint64_t n = ev->part.count;
    while (i >= ev->peer_end) {
        ev->peer_begin = ev->peer_end;
        ev->peer_group++;
        uint64_t e = ev->peer_begin + 1;
        if (ev->w->order_count == 0) {
            e = n;
        } else {
            const window_partition *p = &ev->part;
            if (!p->pages) {
                const uint8_t *first = window_partition_row_in_memory(p, ev->peer_begin);
                while (e < n && window_same_peers(ev->w, first, window_partition_row_in_memory(p, e))) e++;
            } else {
                const uint8_t *first = row_at(ev, ev->peer_begin); /* neighbours: a partition in pages keeps no row for long */
                for (const uint8_t *prev = first; e < n; e++) {
                    const uint8_t *row = row_at(ev, e);
                    if (!window_same_peers(ev->w, prev, row)) break;
                    prev = row;
                }
            }
        }
        ev->peer_end = e;
    }
}

/* The first row of every peer group, then the partition's size: in a scratch block, or over a
 * partition in pages in evictable blocks (window_states.h), read as the frames move. */
static bool build_group_starts(window_eval *ev, error *err) {
    uint64_t n = ev->part.count, g = 0;
    if (ev->part.pages) {
        window_states_free(&ev->paged_group_starts);
        window_states_init(&ev->paged_group_starts, ev->pool, NULL, sizeof(uint64_t), n + 1);
        ev->group_failed = false;
        uint64_t start = 0;
        bool ok = window_states_put(&ev->paged_group_starts, g++, &start, err);
        for (uint64_t i = 1; ok && i < n; i++)
            if (ev->w->order_count && !window_same_peers(ev->w, row_at(ev, i - 1), row_at(ev, i)))
                ok = window_states_put(&ev->paged_group_starts, g++, &i, err);
        if (!ok || !window_states_put(&ev->paged_group_starts, g, &n, err)) return false;
        ev->group_count = g;
        return window_pages_check(ev->part.pages, err);
    }
    if (!window_scratch_reserve(ev->pool, &ev->group_starts, (size_t)(n + 1) * sizeof(uint64_t), err)) return false;
    uint64_t *starts = (uint64_t *)ev->group_starts.data;
    starts[g++] = 0;
    for (uint64_t i = 1; i < n; i++)
        if (ev->w->order_count && !window_same_peers(ev->w, row_at(ev, i - 1), row_at(ev, i))) starts[g++] = i;
    starts[g] = n;
    ev->group_count = g;
    return true;
}

/* ---- frames ------------------------------------------------------------------------------------- */

static inline uint64_t clamp_position(__int128 v, uint64_t n) {
    return v < 0 ? 0 : v > (__int128)n ? n : (uint64_t)v;
}

static bool key_is_null(const window_eval *ev, uint64_t i) { return !column_valid(ev, row_at(ev, i), ev->key_column); }

/* The order key in ascending position: negated for DESC, so that it grows along the partition. */
static __int128 key_scaled(const window_eval *ev, const uint8_t *row) {
    const uint8_t *p = row + ev->w->rows.offsets[ev->key_column];
    __int128 v;
    if (ev->key_type.id == TYPE_INTEGER) {
        int32_t x;
        memcpy(&x, p, sizeof x);
        v = x;
    } else {
        int64_t x;
        memcpy(&x, p, sizeof x);
        v = x;
    }
    v *= ev->key_multiplier;
    return ev->key_descending ? -v : v;
}

static double key_double(const window_eval *ev, const uint8_t *row) {
    const uint8_t *p = row + ev->w->rows.offsets[ev->key_column];
    double v;
    switch (ev->key_type.id) {
    case TYPE_INTEGER: {
        int32_t x;
        memcpy(&x, p, sizeof x);
        v = x;
        break;
    }
    case TYPE_DOUBLE: memcpy(&v, p, sizeof v); break;
    case TYPE_DECIMAL: {
        int64_t x;
        memcpy(&x, p, sizeof x);
        v = (double)x / (double)numeric_pow10[ev->key_type.scale];
        break;
    }
    default: {
        int64_t x;
        memcpy(&x, p, sizeof x);
        v = (double)x;
        break;
    }
    }
    return ev->key_descending ? -v : v;
}

/* RANGE bound with an offset for row i: the first row whose key (in ascending position) is at
 * least (start) or beyond (end) the current key minus (PRECEDING) or plus (FOLLOWING) the offset.
 * A row with a NULL key has its NULL peers as the frame. */
static uint64_t range_bound(window_eval *ev, const window_bound *b, uint64_t i, bool is_end, uint64_t *ptr) {
    if (key_is_null(ev, i)) return is_end ? ev->peer_end : ev->peer_begin;
    bool preceding = b->kind == WINDOW_PRECEDING;
    uint64_t p = *ptr < ev->valid_begin ? ev->valid_begin : *ptr;
    if (ev->spec->frame.range_double) {
        double target = key_double(ev, row_at(ev, i)) + (preceding ? -b->range_double : b->range_double);
        while (p < ev->valid_end) {
            double v = key_double(ev, row_at(ev, p));
            if (is_end ? !(v <= target) : !(v < target)) break;
            p++;
        }
    } else {
        __int128 target = key_scaled(ev, row_at(ev, i)) + (preceding ? -b->range_scaled : b->range_scaled);
        while (p < ev->valid_end) {
            __int128 v = key_scaled(ev, row_at(ev, p));
            if (is_end ? v > target : v >= target) break;
            p++;
        }
    }
    *ptr = p;
    return p;
}

static uint64_t group_start(window_eval *ev, __int128 g) {
    if (g <= 0) return 0;
    if (g >= (__int128)ev->group_count) return ev->part.count;
    if (!ev->part.pages) return ((const uint64_t *)ev->group_starts.data)[(uint64_t)g];
    uint64_t start;
    const void *slot = window_states_get(&ev->paged_group_starts, (uint64_t)g, NULL, &ev->group_error);
    if (!slot) { /* reported after the batch (window_eval_rows) */
        ev->group_failed = true;
        return ev->part.count;
    }
    memcpy(&start, slot, sizeof start);
    return start;
}

static uint64_t bound_position(window_eval *ev, const window_bound *b, uint64_t i, bool is_end) {
    uint64_t n = ev->part.count;
    window_frame_unit unit = ev->spec->frame.unit;
    switch (b->kind) {
    case WINDOW_UNBOUNDED_PRECEDING: return 0;
    case WINDOW_UNBOUNDED_FOLLOWING: return n;
    case WINDOW_CURRENT_ROW:
        if (unit == WINDOW_FRAME_ROWS) return is_end ? i + 1 : i;
        return is_end ? ev->peer_end : ev->peer_begin;
    case WINDOW_PRECEDING:
    case WINDOW_FOLLOWING: {
        __int128 sign = b->kind == WINDOW_PRECEDING ? -1 : 1;
        if (unit == WINDOW_FRAME_ROWS && b->column >= 0) {
            const uint8_t *row = row_at(ev, i);
            if (!column_valid(ev, row, (uint32_t)b->column)) return sign < 0 ? 0 : n; /* NULL: unbounded */
            return clamp_position((__int128)i + sign * column_i64(ev, row, (uint32_t)b->column) + is_end, n);
        }
        if (unit == WINDOW_FRAME_ROWS) return clamp_position((__int128)i + sign * b->rows + is_end, n);
        if (unit == WINDOW_FRAME_GROUPS) return group_start(ev, (__int128)ev->peer_group + sign * b->rows + is_end);
        return range_bound(ev, b, i, is_end, is_end ? &ev->end_ptr : &ev->start_ptr);
    }
    }
    return n;
}

/* The frame [*start, *end) of row i (rows are visited in order). */
static void frame_of(window_eval *ev, uint64_t i, uint64_t *start, uint64_t *end) {
    if (ev->uses_peers) peers_advance(ev, i);
    uint64_t s = bound_position(ev, &ev->spec->frame.start, i, false);
    uint64_t e = bound_position(ev, &ev->spec->frame.end, i, true);
    *start = s;
    *end = e < s ? s : e;
}

/* ---- aggregates --------------------------------------------------------------------------------- */

static bool aggregate_rows(window_eval *ev, uint64_t from, uint32_t n, vector *out, uint32_t out_start,
                           chunk *heap_owner, error *err) {
    if (!ev->part.pages || !window_aggregate_per_batch(ev->aggregate)) {
        for (uint32_t k = 0; k < n; k++) {
            uint64_t s, e;
            frame_of(ev, from + k, &s, &e);
            if (!window_aggregate_frame(ev->aggregate, s, e, out, out_start + k, heap_owner, err)) return false;
        }
        return true;
    }
    /* in pages: the frames of the batch first, then prefix sums or a tree over the rows they cover */
    uint64_t lo = UINT64_MAX, hi = 0;
    for (uint32_t k = 0; k < n; k++) {
        frame_of(ev, from + k, &ev->frame_start[k], &ev->frame_end[k]);
        if (ev->frame_start[k] == ev->frame_end[k]) continue;
        if (ev->frame_start[k] < lo) lo = ev->frame_start[k];
        if (ev->frame_end[k] > hi) hi = ev->frame_end[k];
    }
    if (lo >= hi) lo = hi = from;
    if (!window_aggregate_prepare(ev->aggregate, lo, hi, ev->part.max_span, err)) return false;
    for (uint32_t k = 0; k < n; k++)
        if (!window_aggregate_frame(ev->aggregate, ev->frame_start[k], ev->frame_end[k], out, out_start + k, heap_owner,
                                    err))
            return false;
    return true;
}

/* ---- values of other rows ----------------------------------------------------------------------- */

/* Copies the argument of rows ev->picks[k] into out, or NULL where ev->missing[k]. */
static bool gather_values(window_eval *ev, uint32_t n, vector *out, uint32_t out_start, chunk *heap_owner,
                          error *err) {
    if (!window_partition_gather(&ev->part, (uint32_t)ev->spec->arg_column, ev->picks, n, out, out_start, heap_owner,
                                 NULL, ev->rows, err))
        return false;
    for (uint32_t k = 0; k < n; k++)
        if (ev->missing[k]) vector_set_null(out, out_start + k);
    return true;
}

static bool lag_lead_rows(window_eval *ev, uint64_t from, uint32_t n, vector *out, uint32_t out_start,
                          chunk *heap_owner, error *err) {
    const window_expr_spec *spec = ev->spec;
    uint64_t count = ev->part.count;
    bool use_default[VECTOR_SIZE];
    for (uint32_t k = 0; k < n; k++) {
        uint64_t i = from + k;
        int64_t offset;
        ev->picks[k] = i;
        ev->missing[k] = false;
        use_default[k] = false;
        if (!offset_of(ev, i, &offset)) {
            ev->missing[k] = true;
            continue;
        }
        __int128 j = spec->kind == WINDOW_LAG ? (__int128)i - offset : (__int128)i + offset;
        if (j >= 0 && j < (__int128)count) ev->picks[k] = (uint64_t)j;
        else if (spec->default_column >= 0) use_default[k] = true;
        else ev->missing[k] = true;
    }
    if (!gather_values(ev, n, out, out_start, heap_owner, err)) return false;
    if (spec->default_column < 0) return true;
    for (uint32_t k = 0; k < n; k++) {
        if (!use_default[k]) continue;
        uint64_t current = from + k;
        if (!window_partition_gather(&ev->part, (uint32_t)spec->default_column, &current, 1, out, out_start + k,
                                     heap_owner, NULL, ev->rows, err))
            return false;
    }
    return true;
}

static bool frame_value_rows(window_eval *ev, uint64_t from, uint32_t n, vector *out, uint32_t out_start,
                             chunk *heap_owner, error *err) {
    window_kind kind = ev->spec->kind;
    for (uint32_t k = 0; k < n; k++) {
        uint64_t i = from + k, s, e, pick = 0;
        frame_of(ev, i, &s, &e);
        bool found = s < e;
        if (kind == WINDOW_FIRST_VALUE) {
            pick = s;
        } else if (kind == WINDOW_LAST_VALUE) {
            pick = e - 1;
        } else {
            int64_t nth;
            found = found && offset_of(ev, i, &nth) && nth >= 1 && (uint64_t)nth <= e - s;
            if (found) pick = s + (uint64_t)nth - 1;
        }
        ev->missing[k] = !found;
        ev->picks[k] = found ? pick : i;
    }
    return gather_values(ev, n, out, out_start, heap_owner, err);
}

/* ---- ranks -------------------------------------------------------------------------------------- */

static bool ntile_rows(window_eval *ev, uint64_t from, uint32_t n, vector *out, uint32_t out_start, error *err) {
    int64_t total = (int64_t)ev->part.count;
    for (uint32_t k = 0; k < n; k++) {
        uint64_t i = from + k;
        uint32_t row = out_start + k;
        int64_t buckets;
        if (!offset_of(ev, i, &buckets)) {
            vector_set_null(out, row);
            continue;
        }
        if (buckets <= 0)
            return error_set(err, EIDER_ERROR_INVALID_INPUT, "Argument for ntile must be greater than zero");
        if (buckets > total) buckets = total;
        int64_t size = total / buckets, large = total - buckets * size, small_rows = large * (size + 1);
        int64_t r = (int64_t)i;
        ((int64_t *)out->data)[row] = r < small_rows ? 1 + r / (size + 1) : 1 + large + (r - small_rows) / size;
        vector_set_valid(out, row);
    }
    return true;
}

static void rank_rows(window_eval *ev, uint64_t from, uint32_t n, vector *out, uint32_t out_start) {
    window_kind kind = ev->spec->kind;
    uint64_t total = ev->part.count;
    for (uint32_t k = 0; k < n; k++) {
        uint64_t i = from + k;
        uint32_t row = out_start + k;
        peers_advance(ev, i);
        switch (kind) {
        case WINDOW_RANK: ((int64_t *)out->data)[row] = (int64_t)ev->peer_begin + 1; break;
        case WINDOW_DENSE_RANK: ((int64_t *)out->data)[row] = (int64_t)ev->peer_group + 1; break;
        case WINDOW_PERCENT_RANK:
            ((double *)out->data)[row] = total > 1 ? (double)ev->peer_begin / (double)(total - 1) : 0.0;
            break;
        default: ((double *)out->data)[row] = (double)ev->peer_end / (double)total; break;
        }
        vector_set_valid(out, row);
    }
}

/* ---- entry points ------------------------------------------------------------------------------- */

bool window_eval_begin(window_eval *ev, const window_partition *p, error *err) {
    const window_expr_spec *spec = ev->spec;
    ev->part = *p;
    ev->peer_begin = ev->peer_end = 0;
    ev->peer_group = UINT64_MAX; /* the first advance makes it 0 */
    if (ev->uses_frame && spec->frame.unit == WINDOW_FRAME_RANGE && frame_has_offset(&spec->frame)) {
        /* NULL keys are together at one end: binary search for the boundary */
        uint64_t lo = 0, hi = p->count;
        while (lo < hi) {
            uint64_t mid = lo + (hi - lo) / 2;
            if (key_is_null(ev, mid) == ev->key_nulls_first) lo = mid + 1;
            else hi = mid;
        }
        ev->valid_begin = ev->key_nulls_first ? lo : 0;
        ev->valid_end = ev->key_nulls_first ? p->count : lo;
        ev->start_ptr = ev->end_ptr = ev->valid_begin;
    }
    if (ev->uses_frame && spec->frame.unit == WINDOW_FRAME_GROUPS && frame_has_offset(&spec->frame) &&
        !build_group_starts(ev, err))
        return false;
    if (spec->kind == WINDOW_AGGREGATE) return window_aggregate_begin(ev->aggregate, p, err);
    return true;
}

static bool eval_rows(window_eval *ev, uint64_t from, uint32_t n, vector *out, uint32_t out_start, chunk *heap_owner,
                      error *err) {
    switch (ev->spec->kind) {
    case WINDOW_ROW_NUMBER:
        for (uint32_t k = 0; k < n; k++) {
            ((int64_t *)out->data)[out_start + k] = (int64_t)(from + k) + 1;
            vector_set_valid(out, out_start + k);
        }
        return true;
    case WINDOW_RANK:
    case WINDOW_DENSE_RANK:
    case WINDOW_PERCENT_RANK:
    case WINDOW_CUME_DIST: rank_rows(ev, from, n, out, out_start); return true;
    case WINDOW_NTILE: return ntile_rows(ev, from, n, out, out_start, err);
    case WINDOW_LAG:
    case WINDOW_LEAD: return lag_lead_rows(ev, from, n, out, out_start, heap_owner, err);
    case WINDOW_FIRST_VALUE:
    case WINDOW_LAST_VALUE:
    case WINDOW_NTH_VALUE: return frame_value_rows(ev, from, n, out, out_start, heap_owner, err);
    case WINDOW_AGGREGATE: return aggregate_rows(ev, from, n, out, out_start, heap_owner, err);
    }
    return true;
}

bool window_eval_rows(window_eval *ev, uint64_t from, uint32_t n, vector *out, uint32_t out_start, chunk *heap_owner,
                      error *err) {
    if (!eval_rows(ev, from, n, out, out_start, heap_owner, err)) return false;
    if (!ev->group_failed) return true;
    *err = ev->group_error;
    return false;
}
