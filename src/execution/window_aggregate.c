/*
 * window_aggregate.c — aggregates over window frames: one state for whole partitions, a growing
 * state for running frames, prefix sums and a segment tree for sliding frames.
 */
#include "execution/window_aggregate.h"

#include <string.h>

#include "common/numeric.h"
#include "execution/window_states.h"

#define TREE_FANOUT 16
#define TREE_MAX_LEVELS 24 /* 16^24 rows: more than any partition */

typedef enum agg_mode {
    AGG_WHOLE,
    AGG_RUNNING,
    AGG_PREFIX, /* sliding frames of count/sum/avg: differences of prefix sums */
    AGG_TREE,   /* sliding frames of anything else: a segment tree of states */
} agg_mode;

typedef enum prefix_kind { PREFIX_COUNT_STAR, PREFIX_COUNT, PREFIX_SUM_INT, PREFIX_SUM_DECIMAL, PREFIX_AVG } prefix_kind;

/* The count and sum of rows [0, pos) of a partition. */
typedef struct prefix_cursor {
    uint64_t pos;
    int64_t count;
    __int128 sum;
} prefix_cursor;

struct window_aggregate {
    buffer_pool *pool;
    const aggregate_function *fn;
    const row_layout *rows;
    int32_t arg_column;
    window_partition part;
    agg_mode mode;
    prefix_kind prefix;
    uint8_t prefix_scale;
    uint8_t *state;      /* AGG_WHOLE / AGG_RUNNING */
    uint8_t *query;      /* AGG_TREE: the state of one frame */
    uint64_t added;      /* AGG_RUNNING: rows [0, added) are in state */
    arena *strings;      /* strings that VARCHAR states keep, emptied per partition */
    aggregate_context actx;
    window_scratch tree; /* AGG_TREE: the levels above the rows, level 0 first */
    uint32_t tree_levels;
    uint64_t level_offset[TREE_MAX_LEVELS], level_size[TREE_MAX_LEVELS];
    uint64_t level_first[TREE_MAX_LEVELS]; /* the first node of each level that is built */
    window_scratch sums; /* AGG_PREFIX: int64 counts[span + 1], then 16-byte sums[span + 1] */
    window_states paged; /* in pages, frames too wide for a batch's structures: the tree over the whole partition */
    bool paged_tree;     /* built for this partition (paged holds its nodes) */
    uint8_t *node;       /* a node of paged read back */
    uint64_t base, span; /* AGG_PREFIX, AGG_TREE: built over rows [base, base + span) */
    bool monotone;        /* frame starts and ends never move back */
    bool cursors;         /* AGG_PREFIX in pages with monotone frames: at_start, at_end instead of sums */
    prefix_cursor at_start, at_end;
    arena *batch_strings; /* in pages: copies of one batch's argument strings */
    /* one batch of arguments */
    vector values;
    void *states[VECTOR_SIZE];
    uint8_t *batch[VECTOR_SIZE];
    uint64_t positions[VECTOR_SIZE];
};

static bool oom(error *err) { return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate window state"); }

/* count, count(*), and sum/avg of integers and DECIMALs: exact with 128-bit prefix sums. */
static bool prefix_eligible(window_aggregate *a) {
    const aggregate_function *fn = a->fn;
    type_id t = fn->arg_type.id;
    bool integral = t == TYPE_INTEGER || t == TYPE_BIGINT;
    if (!strcmp(fn->name, "count_star")) a->prefix = PREFIX_COUNT_STAR;
    else if (!strcmp(fn->name, "count")) a->prefix = PREFIX_COUNT;
    else if (!strcmp(fn->name, "sum") && integral) a->prefix = PREFIX_SUM_INT;
    else if (!strcmp(fn->name, "sum") && t == TYPE_DECIMAL) a->prefix = PREFIX_SUM_DECIMAL;
    else if (!strcmp(fn->name, "avg") && (integral || t == TYPE_DECIMAL)) a->prefix = PREFIX_AVG;
    else return false;
    a->prefix_scale = t == TYPE_DECIMAL ? fn->arg_type.scale : 0;
    return true;
}

window_aggregate *window_aggregate_create(buffer_pool *pool, const aggregate_function *fn, const row_layout *rows,
                                          int32_t arg_column, window_frame_shape shape, bool monotone, error *err) {
    window_aggregate *a = pool_calloc(pool, 1, sizeof *a);
    if (!a) return oom(err), NULL;
    a->monotone = monotone;
    a->pool = pool;
    a->fn = fn;
    a->rows = rows;
    a->arg_column = arg_column;
    uint32_t size = fn->state_size ? fn->state_size : 8;
    a->state = pool_calloc(pool, 1, size);
    a->query = pool_calloc(pool, 1, size);
    a->node = pool_calloc(pool, 1, size);
    a->values.data = pool_calloc(pool, VECTOR_SIZE, sizeof(string_t));
    a->strings = arena_create(pool, TAG_WINDOW);
    a->batch_strings = arena_create(pool, TAG_WINDOW);
    if (!a->state || !a->query || !a->node || !a->values.data || !a->strings || !a->batch_strings) {
        window_aggregate_destroy(a);
        return oom(err), NULL;
    }
    if (arg_column >= 0) a->values.type = rows->types[arg_column];
    a->actx.strings = a->strings;
    a->mode = shape == WINDOW_SHAPE_WHOLE     ? AGG_WHOLE
              : shape == WINDOW_SHAPE_RUNNING ? AGG_RUNNING
              : prefix_eligible(a)            ? AGG_PREFIX
                                              : AGG_TREE;
    return a;
}

void window_aggregate_destroy(window_aggregate *a) {
    if (!a) return;
    window_scratch_free(&a->tree);
    window_scratch_free(&a->sums);
    window_states_free(&a->paged);
    if (a->strings) arena_destroy(a->strings);
    if (a->batch_strings) arena_destroy(a->batch_strings);
    if (a->state) pool_free(a->pool, a->state);
    if (a->query) pool_free(a->pool, a->query);
    if (a->node) pool_free(a->pool, a->node);
    if (a->values.data) pool_free(a->pool, a->values.data);
    pool_free(a->pool, a);
}

/* ---- arguments --------------------------------------------------------------------------------- */

/* gather_args over a partition in pages: strings copied, as the pages may leave memory. */
static __attribute__((noinline)) bool gather_args_paged(window_aggregate *a, uint64_t begin, uint32_t n) {
    uint64_t *idx = a->positions;
    for (uint32_t k = 0; k < n; k++) idx[k] = begin + k;
    arena_reset(a->batch_strings);
    return window_partition_gather(&a->part, (uint32_t)a->arg_column, idx, n, &a->values, 0, NULL, a->batch_strings,
                                   a->batch, a->actx.err);
}

/* The argument of rows [begin, begin + n) in *input (NULL for count(*)). */
static inline bool gather_args(window_aggregate *a, uint64_t begin, uint32_t n, const vector **input) {
    *input = NULL;
    if (a->arg_column < 0) return true;
    if (__builtin_expect(a->part.pages != NULL, 0)) {
        if (!gather_args_paged(a, begin, n)) return false;
    } else {
        for (uint32_t k = 0; k < n; k++) a->batch[k] = window_partition_row_in_memory(&a->part, begin + k);
        row_gather(a->rows, (uint32_t)a->arg_column, a->batch, n, &a->values, 0);
    }
    *input = &a->values;
    return true;
}

/* Adds the arguments of rows [begin, end) to one state. */
static bool add_rows(window_aggregate *a, void *state, uint64_t begin, uint64_t end) {
    const aggregate_function *fn = a->fn;
    while (begin < end) {
        uint32_t n = (uint32_t)(end - begin < VECTOR_SIZE ? end - begin : VECTOR_SIZE);
        const vector *input;
        if (!gather_args(a, begin, n, &input)) return false;
        bool ok;
        if (fn->simple_update) {
            ok = fn->simple_update(state, input, n, &a->actx);
        } else {
            for (uint32_t k = 0; k < n; k++) a->states[k] = state;
            ok = fn->update(a->states, input, n, &a->actx);
        }
        if (!ok) return false;
        begin += n;
    }
    return true;
}

/* ---- segment tree ---------------------------------------------------------------------------------- */

static inline uint8_t *tree_node(const window_aggregate *a, uint32_t level, uint64_t j) {
    return a->tree.data + (a->level_offset[level] + j - a->level_first[level]) * a->fn->state_size;
}

/* Adds node j of a level to a->query, from the tree in scratch or from the one in pages. */
static inline bool combine_node(window_aggregate *a, uint32_t level, uint64_t j) {
    const void *node = a->paged_tree ? window_states_get(&a->paged, a->level_offset[level] + j, a->node, a->actx.err)
                                     : tree_node(a, level, j);
    return node && a->fn->combine(a->query, node, &a->actx);
}

/* Lays out the levels of a tree over rows [lo, hi); returns the number of nodes. */
static uint64_t tree_layout(window_aggregate *a, uint64_t lo, uint64_t hi) {
    uint64_t first = lo, end = hi, total = 0;
    a->base = lo;
    a->span = hi - lo;
    a->tree_levels = 0;
    do {
        first /= TREE_FANOUT;
        end = (end + TREE_FANOUT - 1) / TREE_FANOUT;
        a->level_first[a->tree_levels] = first;
        a->level_offset[a->tree_levels] = total;
        a->level_size[a->tree_levels] = end - first;
        total += end - first;
        a->tree_levels++;
    } while (end - first > 1 && a->tree_levels < TREE_MAX_LEVELS);
    return total;
}

/* Level 0 holds one state per TREE_FANOUT rows, level l + 1 one per TREE_FANOUT nodes of level l,
 * up to a single node. Nodes are numbered by the partition's rows they cover, wherever the tree
 * starts (rows [lo, hi)): a node that covers rows outside [lo, hi) is incomplete, but a frame
 * within [lo, hi) only uses nodes that it covers whole, so every answer is the one of the tree
 * over the whole partition, to the last bit of a floating-point sum. */
static bool tree_build(window_aggregate *a, uint64_t lo, uint64_t hi, error *err) {
    const aggregate_function *fn = a->fn;
    uint64_t total = tree_layout(a, lo, hi);
    if (!window_scratch_reserve(a->pool, &a->tree, (size_t)total * fn->state_size, err)) return false;
    for (uint64_t j = 0; j < total; j++) fn->init(a->tree.data + j * fn->state_size);
    for (uint64_t begin = lo; begin < hi; begin += VECTOR_SIZE) {
        uint32_t count = (uint32_t)(hi - begin < VECTOR_SIZE ? hi - begin : VECTOR_SIZE);
        const vector *input;
        if (!gather_args(a, begin, count, &input)) return false;
        for (uint32_t k = 0; k < count; k++) a->states[k] = tree_node(a, 0, (begin + k) / TREE_FANOUT);
        if (!fn->update(a->states, input, count, &a->actx)) return false;
    }
    for (uint32_t l = 1; l < a->tree_levels; l++) {
        uint64_t below_first = a->level_first[l - 1], below_end = below_first + a->level_size[l - 1];
        for (uint64_t j = a->level_first[l]; j < a->level_first[l] + a->level_size[l]; j++) {
            uint64_t c = j * TREE_FANOUT, last = c + TREE_FANOUT;
            if (c < below_first) c = below_first;
            if (last > below_end) last = below_end;
            for (; c < last; c++)
                if (!fn->combine(tree_node(a, l, j), tree_node(a, l - 1, c), &a->actx)) return false;
        }
    }
    return true;
}

/* ---- the tree over a whole partition in pages ------------------------------------------------------ */

/* The same levels over every row of the partition, their nodes in evictable blocks (window_states.h),
 * for frames too wide for the structures of one batch: built once per partition, in one pass over
 * the rows and one over each level, and asked like the tree above. */
static bool paged_tree_build(window_aggregate *a, error *err) {
    const aggregate_function *fn = a->fn;
    uint32_t size = fn->state_size;
    uint64_t n = a->part.count, total = tree_layout(a, 0, n);
    window_states_free(&a->paged);
    window_states_init(&a->paged, a->pool, fn, size, total);
    a->paged_tree = true;
    /* the nodes of one batch of rows are built in scratch, then stored */
    if (!window_scratch_reserve(a->pool, &a->tree, (size_t)(VECTOR_SIZE / TREE_FANOUT) * size, err)) return false;
    for (uint64_t begin = 0; begin < n; begin += VECTOR_SIZE) {
        uint32_t count = (uint32_t)(n - begin < VECTOR_SIZE ? n - begin : VECTOR_SIZE);
        uint32_t nodes = (count + TREE_FANOUT - 1) / TREE_FANOUT;
        for (uint32_t j = 0; j < nodes; j++) fn->init(a->tree.data + (size_t)j * size);
        const vector *input;
        if (!gather_args(a, begin, count, &input)) return false;
        for (uint32_t k = 0; k < count; k++) a->states[k] = a->tree.data + (size_t)(k / TREE_FANOUT) * size;
        if (!fn->update(a->states, input, count, &a->actx)) return false;
        for (uint32_t j = 0; j < nodes; j++)
            if (!window_states_put(&a->paged, begin / TREE_FANOUT + j, a->tree.data + (size_t)j * size, err))
                return false;
        arena_reset(a->strings); /* the stored nodes keep their strings in their own blocks */
    }
    for (uint32_t l = 1; l < a->tree_levels; l++) {
        uint64_t below = a->level_size[l - 1];
        for (uint64_t j = 0; j < a->level_size[l]; j++) {
            fn->init(a->query);
            uint64_t last = (j + 1) * TREE_FANOUT < below ? (j + 1) * TREE_FANOUT : below;
            for (uint64_t c = j * TREE_FANOUT; c < last; c++)
                if (!combine_node(a, l - 1, c)) return false;
            if (!window_states_put(&a->paged, a->level_offset[l] + j, a->query, err)) return false;
            arena_reset(a->strings);
        }
    }
    return true;
}

/* The aggregate of rows [begin, end) into a->query: whole nodes where they fit, rows or smaller
 * nodes at the edges. */
static bool tree_query(window_aggregate *a, uint64_t begin, uint64_t end) {
    a->fn->init(a->query);
    for (int level = -1; begin < end; level++) {
        uint64_t pb = begin / TREE_FANOUT, pe = end / TREE_FANOUT;
        uint64_t ranges[2][2];
        int nranges = 0;
        if (pb == pe) {
            ranges[nranges][0] = begin, ranges[nranges++][1] = end;
        } else {
            if (begin != pb * TREE_FANOUT) ranges[nranges][0] = begin, ranges[nranges++][1] = ++pb * TREE_FANOUT;
            if (end != pe * TREE_FANOUT) ranges[nranges][0] = pe * TREE_FANOUT, ranges[nranges++][1] = end;
        }
        for (int r = 0; r < nranges; r++) {
            if (level < 0) {
                if (!add_rows(a, a->query, ranges[r][0], ranges[r][1])) return false;
            } else {
                for (uint64_t j = ranges[r][0]; j < ranges[r][1]; j++)
                    if (!combine_node(a, (uint32_t)level, j)) return false;
            }
        }
        if (pb == pe) break;
        begin = pb;
        end = pe;
    }
    return true;
}

/* ---- prefix sums ------------------------------------------------------------------------------------ */

static inline int64_t *prefix_counts(const window_aggregate *a) { return (int64_t *)a->sums.data; }
static inline uint8_t *prefix_sum_at(const window_aggregate *a, uint64_t i) {
    return a->sums.data + (a->span + 1) * sizeof(int64_t) + i * sizeof(__int128);
}
static inline __int128 prefix_sum(const window_aggregate *a, uint64_t i) {
    __int128 v;
    memcpy(&v, prefix_sum_at(a, i), sizeof v);
    return v;
}

/* Prefix counts and sums over rows [lo, hi): entry i is of rows [lo, lo + i). */
static bool prefix_build(window_aggregate *a, uint64_t lo, uint64_t hi, error *err) {
    uint64_t n = hi - lo;
    a->base = lo;
    a->span = n;
    if (a->prefix == PREFIX_COUNT_STAR) return true;
    if (!window_scratch_reserve(a->pool, &a->sums, (size_t)(n + 1) * (sizeof(int64_t) + sizeof(__int128)), err))
        return false;
    int64_t *counts = prefix_counts(a), count = 0;
    __int128 sum = 0;
    bool int32 = a->values.type.id == TYPE_INTEGER;
    counts[0] = 0;
    memcpy(prefix_sum_at(a, 0), &sum, sizeof sum);
    for (uint64_t begin = 0; begin < n; begin += VECTOR_SIZE) {
        uint32_t m = (uint32_t)(n - begin < VECTOR_SIZE ? n - begin : VECTOR_SIZE);
        const vector *v;
        if (!gather_args(a, lo + begin, m, &v)) return false;
        for (uint32_t k = 0; k < m; k++) {
            if (vector_is_valid(v, k)) {
                count++;
                sum += int32 ? ((const int32_t *)v->data)[k] : ((const int64_t *)v->data)[k];
            }
            counts[begin + k + 1] = count;
            memcpy(prefix_sum_at(a, begin + k + 1), &sum, sizeof sum);
        }
    }
    return true;
}

/* Moves a cursor forward to row `to`, adding the rows it passes. */
static bool cursor_advance(window_aggregate *a, prefix_cursor *c, uint64_t to) {
    bool int32 = a->values.type.id == TYPE_INTEGER;
    while (c->pos < to) {
        uint32_t m = (uint32_t)(to - c->pos < VECTOR_SIZE ? to - c->pos : VECTOR_SIZE);
        const vector *v;
        if (!gather_args(a, c->pos, m, &v)) return false;
        for (uint32_t k = 0; k < m; k++) {
            if (!vector_is_valid(v, k)) continue;
            c->count++;
            if (a->prefix != PREFIX_COUNT) c->sum += int32 ? ((const int32_t *)v->data)[k] : ((const int64_t *)v->data)[k];
        }
        c->pos += m;
    }
    return true;
}

/* count/sum/avg of rows with this count and sum, exactly as aggregate.c finalizes them. */
static inline bool prefix_finish(window_aggregate *a, int64_t count, __int128 sum, vector *out, uint32_t row, error *err) {
    if (a->prefix == PREFIX_COUNT_STAR || a->prefix == PREFIX_COUNT) {
        ((int64_t *)out->data)[row] = count;
        vector_set_valid(out, row);
        return true;
    }
    if (count == 0) {
        vector_set_null(out, row);
        return true;
    }
    switch (a->prefix) {
    case PREFIX_SUM_INT:
        if (sum > INT64_MAX || sum < INT64_MIN)
            return error_set(err, EIDER_ERROR_OUT_OF_RANGE, "Overflow in SUM: the result does not fit in BIGINT");
        ((int64_t *)out->data)[row] = (int64_t)sum;
        break;
    case PREFIX_SUM_DECIMAL:
        if (sum >= numeric_pow10[18] || sum <= -numeric_pow10[18])
            return error_set(err, EIDER_ERROR_OUT_OF_RANGE,
                             "Overflow in SUM: the result does not fit in DECIMAL(18,%u)", (unsigned)out->type.scale);
        ((int64_t *)out->data)[row] = (int64_t)sum;
        break;
    default: {
        long double avg = (long double)sum / (long double)count;
        if (a->prefix_scale) avg /= (long double)numeric_pow10[a->prefix_scale];
        ((double *)out->data)[row] = (double)avg;
        break;
    }
    }
    vector_set_valid(out, row);
    return true;
}

/* prefix_result over a partition in pages: with monotone frames the sums at both bounds, else the
 * sums built over rows [base, base + span) for this batch. */
static __attribute__((noinline)) bool paged_prefix_result(window_aggregate *a, uint64_t s, uint64_t e, vector *out,
                                                          uint32_t row, error *err) {
    if (s >= e) return prefix_finish(a, 0, 0, out, row, err);
    if (a->prefix == PREFIX_COUNT_STAR) return prefix_finish(a, (int64_t)(e - s), 0, out, row, err);
    if (a->cursors) {
        if (!cursor_advance(a, &a->at_end, e) || !cursor_advance(a, &a->at_start, s)) return false;
        return prefix_finish(a, a->at_end.count - a->at_start.count, a->at_end.sum - a->at_start.sum, out, row, err);
    }
    s -= a->base;
    e -= a->base;
    return prefix_finish(a, prefix_counts(a)[e] - prefix_counts(a)[s], prefix_sum(a, e) - prefix_sum(a, s), out, row,
                         err);
}

/* count/sum/avg of rows [s, e). */
static inline bool prefix_result(window_aggregate *a, uint64_t s, uint64_t e, vector *out, uint32_t row, error *err) {
    if (__builtin_expect(a->part.pages != NULL, 0)) return paged_prefix_result(a, s, e, out, row, err);
    int64_t count = a->prefix == PREFIX_COUNT_STAR ? (int64_t)(e - s) : prefix_counts(a)[e] - prefix_counts(a)[s];
    if (a->prefix == PREFIX_COUNT_STAR || a->prefix == PREFIX_COUNT || count == 0)
        return prefix_finish(a, count, 0, out, row, err);
    return prefix_finish(a, count, prefix_sum(a, e) - prefix_sum(a, s), out, row, err);
}

/* ---- entry points ----------------------------------------------------------------------------------- */

bool window_aggregate_begin(window_aggregate *a, const window_partition *p, error *err) {
    a->part = *p;
    a->actx.err = err;
    arena_reset(a->strings);
    a->paged_tree = false;
    window_states_free(&a->paged);
    switch (a->mode) {
    case AGG_WHOLE:
        a->fn->init(a->state);
        return add_rows(a, a->state, 0, p->count);
    case AGG_RUNNING:
        a->fn->init(a->state);
        a->added = 0;
        return true;
    case AGG_PREFIX:
        a->cursors = p->pages && a->monotone;
        a->at_start = a->at_end = (prefix_cursor){0, 0, 0};
        return p->pages || prefix_build(a, 0, p->count, err);
    case AGG_TREE: return p->pages || tree_build(a, 0, p->count, err);
    }
    return true;
}

bool window_aggregate_per_batch(const window_aggregate *a) {
    return a->mode == AGG_TREE || (a->mode == AGG_PREFIX && !a->cursors && a->prefix != PREFIX_COUNT_STAR);
}

bool window_aggregate_prepare(window_aggregate *a, uint64_t lo, uint64_t hi, uint64_t max_span, error *err) {
    a->actx.err = err;
    arena_reset(a->strings); /* no state of the previous batch's tree is used again */
    if (a->paged_tree) return true;
    if (hi - lo > max_span) return paged_tree_build(a, err);
    return a->mode == AGG_PREFIX ? prefix_build(a, lo, hi, err) : tree_build(a, lo, hi, err);
}

bool window_aggregate_frame(window_aggregate *a, uint64_t start, uint64_t end, vector *out, uint32_t row,
                            chunk *heap_owner, error *err) {
    a->actx.err = err;
    switch (a->mode) {
    case AGG_WHOLE: break;
    case AGG_RUNNING:
        if (end > a->added) {
            if (!add_rows(a, a->state, a->added, end)) return false;
            a->added = end;
        }
        break;
    case AGG_PREFIX:
        if (!a->paged_tree) return prefix_result(a, start, end, out, row, err);
        return tree_query(a, start, end) && a->fn->finalize(a->query, out, row, heap_owner, &a->actx);
    case AGG_TREE: return tree_query(a, start, end) && a->fn->finalize(a->query, out, row, heap_owner, &a->actx);
    }
    return a->fn->finalize(a->state, out, row, heap_owner, &a->actx);
}
