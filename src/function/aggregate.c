/*
 * aggregate.c — count(*), count, sum, avg, min, max, any_value/first, bool_and, bool_or.
 *
 * States are fixed-size and live wherever the hash aggregate puts them, aligned to 8 bytes
 * only: 128-bit sums are therefore read and written with memcpy. Update loops are generated
 * per (function, type) and skip NULL input rows. Empty input: count gives 0, the others NULL.
 * sum(INTEGER|BIGINT) keeps a 128-bit sum and returns BIGINT, failing with an Out of Range
 * Error when the total does not fit; sum(DECIMAL(w,s)) returns DECIMAL(18,s) likewise.
 * min/max/any_value over VARCHAR keep strings of up to 16 bytes in the state and longer ones
 * in ctx->strings (reusing the buffer when the new value fits in it).
 */
#include "function/aggregate.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/numeric.h"

/* ---- states ------------------------------------------------------------------------------- */

typedef struct count_state {
    int64_t count;
} count_state;

typedef struct hsum_state { /* 128-bit sum of integers or decimals */
    unsigned char sum[16];  /* __int128, accessed with memcpy */
    int64_t count;
} hsum_state;

typedef struct dsum_state {
    double sum;
    int64_t count;
} dsum_state;

typedef struct fixed_state { /* min/max/any_value/bool_and/bool_or of fixed-size values */
    union {
        uint8_t u8;
        int32_t i32;
        int64_t i64;
        double f64;
    } v;
    int64_t has;
} fixed_state;

#define STR_STATE_INLINE 16
typedef struct str_state {
    uint32_t len;
    uint32_t cap; /* capacity of ptr's buffer (0: none) */
    char *ptr;    /* buffer in ctx->strings, used when len > STR_STATE_INLINE */
    char inl[STR_STATE_INLINE];
    int64_t has;
} str_state;

static inline __int128 hsum_get(const hsum_state *s) {
    __int128 v;
    memcpy(&v, s->sum, sizeof v);
    return v;
}
static inline void hsum_set(hsum_state *s, __int128 v) { memcpy(s->sum, &v, sizeof v); }

static inline int cmp_f64(double a, double b) {
    if (isnan(a)) return isnan(b) ? 0 : 1;
    if (isnan(b)) return -1;
    return (a > b) - (a < b);
}
#define CMP_NUM(a, b) (((a) > (b)) - ((a) < (b)))

static void init_zero_8(void *s) { memset(s, 0, sizeof(count_state)); }
static void init_hsum(void *s) { memset(s, 0, sizeof(hsum_state)); }
static void init_dsum(void *s) { memset(s, 0, sizeof(dsum_state)); }
static void init_fixed(void *s) { memset(s, 0, sizeof(fixed_state)); }
static void init_str(void *s) { memset(s, 0, sizeof(str_state)); }

/* Loops over the rows of input, skipping NULLs; BODY sees `i` and `st` (the row's state). */
#define FOR_VALID_ROWS(STATE_T, BODY)                                                                            \
    do {                                                                                                      \
        if (vector_all_valid(input, count)) {                                                                 \
            for (uint32_t i = 0; i < count; i++) {                                                            \
                STATE_T *st = (STATE_T *)states[i];                                                           \
                BODY;                                                                                         \
            }                                                                                                 \
        } else {                                                                                              \
            for (uint32_t i = 0; i < count; i++) {                                                            \
                if (!vector_is_valid(input, i)) continue;                                                     \
                STATE_T *st = (STATE_T *)states[i];                                                           \
                BODY;                                                                                         \
            }                                                                                                 \
        }                                                                                                     \
    } while (0)

/* ---- count ------------------------------------------------------------------------------------ */

static bool count_star_update(void **states, const vector *input, uint32_t count, aggregate_context *ctx) {
    (void)input;
    (void)ctx;
    for (uint32_t i = 0; i < count; i++) ((count_state *)states[i])->count++;
    return true;
}
static bool count_update(void **states, const vector *input, uint32_t count, aggregate_context *ctx) {
    (void)ctx;
    FOR_VALID_ROWS(count_state, st->count++);
    return true;
}
static bool count_combine(void *target, const void *source, aggregate_context *ctx) {
    (void)ctx;
    ((count_state *)target)->count += ((const count_state *)source)->count;
    return true;
}
static bool count_finalize(const void *state, vector *out, uint32_t row, chunk *heap_owner, aggregate_context *ctx) {
    (void)heap_owner;
    (void)ctx;
    ((int64_t *)out->data)[row] = ((const count_state *)state)->count;
    vector_set_valid(out, row);
    return true;
}

static bool count_star_simple(void *state, const vector *input, uint32_t count, aggregate_context *ctx) {
    (void)input, (void)ctx;
    ((count_state *)state)->count += count;
    return true;
}

/* Rows of input that are not NULL. */
static uint32_t valid_rows(const vector *input, uint32_t count) {
    uint32_t n = 0;
    for (uint32_t w = 0; w < (count + 63) / 64; w++) {
        uint64_t bits = input->validity[w];
        if (w == count / 64 && count % 64) bits &= ((uint64_t)1 << (count % 64)) - 1;
        n += (uint32_t)__builtin_popcountll(bits);
    }
    return n;
}

static bool count_simple(void *state, const vector *input, uint32_t count, aggregate_context *ctx) {
    (void)ctx;
    ((count_state *)state)->count += valid_rows(input, count);
    return true;
}

/* ---- sum / avg ------------------------------------------------------------------------------ */

#define SIMPLE_SUM(NAME, STATE_T, IN_T, ACC_T, GET, SET)                                                         \
    static bool NAME(void *state, const vector *input, uint32_t count, aggregate_context *ctx) {              \
        (void)ctx;                                                                                            \
        const IN_T *in = input->data;                                                                         \
        ACC_T acc = 0;                                                                                        \
        uint32_t n = 0;                                                                                       \
        if (vector_all_valid(input, count)) {                                                                 \
            for (uint32_t i = 0; i < count; i++) acc += in[i];                                                \
            n = count;                                                                                        \
        } else {                                                                                              \
            for (uint32_t i = 0; i < count; i++)                                                              \
                if (vector_is_valid(input, i)) acc += in[i], n++;                                             \
        }                                                                                                     \
        STATE_T *st = state;                                                                                  \
        SET(st, GET(st) + acc);                                                                               \
        st->count += n;                                                                                       \
        return true;                                                                                          \
    }

#define DSUM_GET(st) ((st)->sum)
#define DSUM_SET(st, v) ((st)->sum = (v))

SIMPLE_SUM(hsum_simple_i32, hsum_state, int32_t, __int128, hsum_get, hsum_set)
SIMPLE_SUM(hsum_simple_i64, hsum_state, int64_t, __int128, hsum_get, hsum_set)
SIMPLE_SUM(dsum_simple, dsum_state, double, double, DSUM_GET, DSUM_SET)

static bool hsum_update_i32(void **states, const vector *input, uint32_t count, aggregate_context *ctx) {
    (void)ctx;
    const int32_t *in = input->data;
    FOR_VALID_ROWS(hsum_state, {
        hsum_set(st, hsum_get(st) + in[i]);
        st->count++;
    });
    return true;
}
static bool hsum_update_i64(void **states, const vector *input, uint32_t count, aggregate_context *ctx) {
    (void)ctx;
    const int64_t *in = input->data;
    FOR_VALID_ROWS(hsum_state, {
        hsum_set(st, hsum_get(st) + in[i]);
        st->count++;
    });
    return true;
}
static bool hsum_combine(void *target, const void *source, aggregate_context *ctx) {
    (void)ctx;
    hsum_state *t = target;
    const hsum_state *s = source;
    hsum_set(t, hsum_get(t) + hsum_get(s));
    t->count += s->count;
    return true;
}
static bool sum_int_finalize(const void *state, vector *out, uint32_t row, chunk *heap_owner, aggregate_context *ctx) {
    (void)heap_owner;
    const hsum_state *s = state;
    if (!s->count) {
        vector_set_null(out, row);
        return true;
    }
    __int128 v = hsum_get(s);
    if (v > INT64_MAX || v < INT64_MIN)
        return error_set(ctx->err, EIDER_ERROR_OUT_OF_RANGE, "Overflow in SUM: the result does not fit in BIGINT");
    ((int64_t *)out->data)[row] = (int64_t)v;
    vector_set_valid(out, row);
    return true;
}
static bool sum_dec_finalize(const void *state, vector *out, uint32_t row, chunk *heap_owner, aggregate_context *ctx) {
    (void)heap_owner;
    const hsum_state *s = state;
    if (!s->count) {
        vector_set_null(out, row);
        return true;
    }
    __int128 v = hsum_get(s);
    if (v >= numeric_pow10[18] || v <= -numeric_pow10[18])
        return error_set(ctx->err, EIDER_ERROR_OUT_OF_RANGE, "Overflow in SUM: the result does not fit in DECIMAL(18,%u)",
                         (unsigned)out->type.scale);
    ((int64_t *)out->data)[row] = (int64_t)v;
    vector_set_valid(out, row);
    return true;
}
/* avg of integers (scale 0) or decimals (scale = the argument's scale, kept in the function) */
static bool avg_hsum_finalize_scaled(const void *state, vector *out, uint32_t row, int scale) {
    const hsum_state *s = state;
    if (!s->count) {
        vector_set_null(out, row);
        return true;
    }
    long double avg = (long double)hsum_get(s) / (long double)s->count;
    if (scale) avg /= (long double)numeric_pow10[scale];
    ((double *)out->data)[row] = (double)avg;
    vector_set_valid(out, row);
    return true;
}
static bool avg_int_finalize(const void *state, vector *out, uint32_t row, chunk *heap_owner, aggregate_context *ctx) {
    (void)heap_owner;
    (void)ctx;
    return avg_hsum_finalize_scaled(state, out, row, 0);
}
/* DECIMAL avg needs the argument's scale; one finalize per scale */
#define AVG_DEC_FINALIZE(S)                                                                                    \
    static bool avg_dec_finalize_##S(const void *state, vector *out, uint32_t row, chunk *heap_owner,         \
                                     aggregate_context *ctx) {                                                \
        (void)heap_owner;                                                                                     \
        (void)ctx;                                                                                            \
        return avg_hsum_finalize_scaled(state, out, row, S);                                                  \
    }
AVG_DEC_FINALIZE(0)
AVG_DEC_FINALIZE(1)
AVG_DEC_FINALIZE(2)
AVG_DEC_FINALIZE(3)
AVG_DEC_FINALIZE(4)
AVG_DEC_FINALIZE(5)
AVG_DEC_FINALIZE(6)
AVG_DEC_FINALIZE(7)
AVG_DEC_FINALIZE(8)
AVG_DEC_FINALIZE(9)
AVG_DEC_FINALIZE(10)
AVG_DEC_FINALIZE(11)
AVG_DEC_FINALIZE(12)
AVG_DEC_FINALIZE(13)
AVG_DEC_FINALIZE(14)
AVG_DEC_FINALIZE(15)
AVG_DEC_FINALIZE(16)
AVG_DEC_FINALIZE(17)
AVG_DEC_FINALIZE(18)
typedef bool (*finalize_fn)(const void *, vector *, uint32_t, chunk *, aggregate_context *);
static const finalize_fn avg_dec_finalizers[19] = {
    avg_dec_finalize_0,  avg_dec_finalize_1,  avg_dec_finalize_2,  avg_dec_finalize_3,  avg_dec_finalize_4,
    avg_dec_finalize_5,  avg_dec_finalize_6,  avg_dec_finalize_7,  avg_dec_finalize_8,  avg_dec_finalize_9,
    avg_dec_finalize_10, avg_dec_finalize_11, avg_dec_finalize_12, avg_dec_finalize_13, avg_dec_finalize_14,
    avg_dec_finalize_15, avg_dec_finalize_16, avg_dec_finalize_17, avg_dec_finalize_18};

static bool dsum_update(void **states, const vector *input, uint32_t count, aggregate_context *ctx) {
    (void)ctx;
    const double *in = input->data;
    FOR_VALID_ROWS(dsum_state, {
        st->sum += in[i];
        st->count++;
    });
    return true;
}
static bool dsum_combine(void *target, const void *source, aggregate_context *ctx) {
    (void)ctx;
    dsum_state *t = target;
    const dsum_state *s = source;
    t->sum += s->sum;
    t->count += s->count;
    return true;
}
static bool sum_double_finalize(const void *state, vector *out, uint32_t row, chunk *heap_owner, aggregate_context *ctx) {
    (void)heap_owner;
    (void)ctx;
    const dsum_state *s = state;
    if (!s->count) {
        vector_set_null(out, row);
        return true;
    }
    ((double *)out->data)[row] = s->sum;
    vector_set_valid(out, row);
    return true;
}
static bool avg_double_finalize(const void *state, vector *out, uint32_t row, chunk *heap_owner, aggregate_context *ctx) {
    (void)heap_owner;
    (void)ctx;
    const dsum_state *s = state;
    if (!s->count) {
        vector_set_null(out, row);
        return true;
    }
    ((double *)out->data)[row] = s->sum / (double)s->count;
    vector_set_valid(out, row);
    return true;
}

/* ---- min / max / any_value / bool_and / bool_or over fixed-size values ------------------------ */

/* MODE: 1 max, -1 min, 0 first value */
#define FIXED_FUNCS(SUFFIX, T, FIELD, CMP, MODE)                                                               \
    static bool SUFFIX##_update(void **states, const vector *input, uint32_t count, aggregate_context *ctx) { \
        (void)ctx;                                                                                            \
        const T *in = (const T *)input->data;                                                                 \
        FOR_VALID_ROWS(fixed_state, {                                                                         \
            if (!st->has || ((MODE) != 0 && CMP(in[i], st->v.FIELD) * (MODE) > 0)) {                          \
                st->v.FIELD = in[i];                                                                          \
                st->has = 1;                                                                                  \
            }                                                                                                 \
        });                                                                                                   \
        return true;                                                                                          \
    }                                                                                                         \
    static bool SUFFIX##_combine(void *target, const void *source, aggregate_context *ctx) {                  \
        (void)ctx;                                                                                            \
        fixed_state *t = target;                                                                              \
        const fixed_state *s = source;                                                                        \
        if (s->has && (!t->has || ((MODE) != 0 && CMP(s->v.FIELD, t->v.FIELD) * (MODE) > 0))) *t = *s;       \
        return true;                                                                                          \
    }                                                                                                         \
    static bool SUFFIX##_finalize(const void *state, vector *out, uint32_t row, chunk *heap_owner,            \
                                  aggregate_context *ctx) {                                                   \
        (void)heap_owner;                                                                                     \
        (void)ctx;                                                                                            \
        const fixed_state *s = state;                                                                         \
        if (!s->has) {                                                                                        \
            vector_set_null(out, row);                                                                        \
            return true;                                                                                      \
        }                                                                                                     \
        ((T *)out->data)[row] = s->v.FIELD;                                                                   \
        vector_set_valid(out, row);                                                                           \
        return true;                                                                                          \
    }

FIXED_FUNCS(max_u8, uint8_t, u8, CMP_NUM, 1)
FIXED_FUNCS(min_u8, uint8_t, u8, CMP_NUM, -1)
FIXED_FUNCS(first_u8, uint8_t, u8, CMP_NUM, 0)
FIXED_FUNCS(max_i32, int32_t, i32, CMP_NUM, 1)
FIXED_FUNCS(min_i32, int32_t, i32, CMP_NUM, -1)
FIXED_FUNCS(first_i32, int32_t, i32, CMP_NUM, 0)
FIXED_FUNCS(max_i64, int64_t, i64, CMP_NUM, 1)
FIXED_FUNCS(min_i64, int64_t, i64, CMP_NUM, -1)
FIXED_FUNCS(first_i64, int64_t, i64, CMP_NUM, 0)
FIXED_FUNCS(max_f64, double, f64, cmp_f64, 1)
FIXED_FUNCS(min_f64, double, f64, cmp_f64, -1)
FIXED_FUNCS(first_f64, double, f64, cmp_f64, 0)

/* ---- VARCHAR min / max / any_value --------------------------------------------------------------- */

static inline const char *str_state_data(const str_state *s) { return s->len <= STR_STATE_INLINE ? s->inl : s->ptr; }

static inline int str_state_cmp(const char *d, uint32_t len, const str_state *s) {
    uint32_t n = len < s->len ? len : s->len;
    int c = n ? memcmp(d, str_state_data(s), n) : 0;
    if (c) return c;
    return (len > s->len) - (len < s->len);
}

static bool str_state_set(str_state *s, const char *d, uint32_t len, aggregate_context *ctx) {
    if (len <= STR_STATE_INLINE) {
        if (len) memcpy(s->inl, d, len);
    } else {
        if (s->cap < len) {
            uint32_t cap = len < 64 ? 64 : len;
            char *buf = arena_alloc(ctx->strings, cap, ctx->err);
            if (!buf) return false;
            s->ptr = buf;
            s->cap = cap;
        }
        memcpy(s->ptr, d, len);
    }
    s->len = len;
    s->has = 1;
    return true;
}

#define STR_FUNCS(SUFFIX, MODE)                                                                                \
    static bool SUFFIX##_update(void **states, const vector *input, uint32_t count, aggregate_context *ctx) { \
        const string_t *in = (const string_t *)input->data;                                                   \
        for (uint32_t i = 0; i < count; i++) {                                                                \
            if (!vector_is_valid(input, i)) continue;                                                         \
            str_state *st = (str_state *)states[i];                                                           \
            const char *d = string_data(&in[i]);                                                              \
            if (!st->has || ((MODE) != 0 && str_state_cmp(d, in[i].length, st) * (MODE) > 0))                \
                if (!str_state_set(st, d, in[i].length, ctx)) return false;                                   \
        }                                                                                                     \
        return true;                                                                                          \
    }                                                                                                         \
    static bool SUFFIX##_combine(void *target, const void *source, aggregate_context *ctx) {                  \
        str_state *t = target;                                                                                \
        const str_state *s = source;                                                                          \
        if (!s->has) return true;                                                                             \
        const char *d = str_state_data(s);                                                                    \
        if (!t->has || ((MODE) != 0 && str_state_cmp(d, s->len, t) * (MODE) > 0))                             \
            return str_state_set(t, d, s->len, ctx);                                                          \
        return true;                                                                                          \
    }

STR_FUNCS(max_str, 1)
STR_FUNCS(min_str, -1)
STR_FUNCS(first_str, 0)

/* Spilling: a long string goes out of the state, which then points at nothing until read back. */
static uint32_t str_spill_size(const void *state) {
    const str_state *s = state;
    return s->has && s->len > STR_STATE_INLINE ? s->len : 0;
}
static void str_spill_write(void *copy, uint8_t *out) {
    str_state *s = copy;
    if (str_spill_size(s)) memcpy(out, s->ptr, s->len);
    s->ptr = NULL;
    s->cap = 0;
}
static void str_spill_read(void *copy, const uint8_t *in) {
    str_state *s = copy;
    s->ptr = str_spill_size(s) ? (char *)in : NULL;
    s->cap = 0;
}

static bool str_finalize(const void *state, vector *out, uint32_t row, chunk *heap_owner, aggregate_context *ctx) {
    const str_state *s = state;
    if (!s->has) {
        vector_set_null(out, row);
        return true;
    }
    string_t r;
    if (!chunk_store_string(heap_owner, str_state_data(s), s->len, &r, ctx->err)) return false;
    ((string_t *)out->data)[row] = r;
    vector_set_valid(out, row);
    return true;
}

/* ---- bool_and / bool_or ------------------------------------------------------------------------ */

static bool bool_and_update(void **states, const vector *input, uint32_t count, aggregate_context *ctx) {
    (void)ctx;
    const uint8_t *in = input->data;
    FOR_VALID_ROWS(fixed_state, {
        st->v.u8 = st->has ? (uint8_t)(st->v.u8 && in[i]) : (uint8_t)(in[i] != 0);
        st->has = 1;
    });
    return true;
}
static bool bool_and_combine(void *target, const void *source, aggregate_context *ctx) {
    (void)ctx;
    fixed_state *t = target;
    const fixed_state *s = source;
    if (!s->has) return true;
    t->v.u8 = t->has ? (uint8_t)(t->v.u8 && s->v.u8) : s->v.u8;
    t->has = 1;
    return true;
}
static bool bool_or_update(void **states, const vector *input, uint32_t count, aggregate_context *ctx) {
    (void)ctx;
    const uint8_t *in = input->data;
    FOR_VALID_ROWS(fixed_state, {
        st->v.u8 = st->has ? (uint8_t)(st->v.u8 || in[i]) : (uint8_t)(in[i] != 0);
        st->has = 1;
    });
    return true;
}
static bool bool_or_combine(void *target, const void *source, aggregate_context *ctx) {
    (void)ctx;
    fixed_state *t = target;
    const fixed_state *s = source;
    if (!s->has) return true;
    t->v.u8 = t->has ? (uint8_t)(t->v.u8 || s->v.u8) : s->v.u8;
    t->has = 1;
    return true;
}

/* ---- binding ------------------------------------------------------------------------------------- */

static const char *const aggregate_names[] = {"count_star", "count",     "sum",      "avg",     "mean",
                                              "min",        "max",       "any_value", "first",  "arbitrary",
                                              "bool_and",   "bool_or"};

static const char *canonical_name(const char *name) {
    for (size_t i = 0; i < sizeof aggregate_names / sizeof aggregate_names[0]; i++)
        if (strcasecmp(name, aggregate_names[i]) == 0) return aggregate_names[i];
    return NULL;
}

bool aggregate_function_exists(const char *name) { return name && canonical_name(name) != NULL; }

static void set_fn(aggregate_function *out, const char *name, logical_type arg, logical_type result, uint32_t size,
                   void (*init)(void *), bool (*update)(void **, const vector *, uint32_t, aggregate_context *),
                   bool (*combine)(void *, const void *, aggregate_context *), finalize_fn finalize) {
    out->name = name;
    out->arg_type = arg;
    out->result_type = result;
    out->state_size = (size + 7) & ~7u;
    out->init = init;
    out->update = update;
    out->combine = combine;
    out->finalize = finalize;
}

static bool bind_minmax_first(const char *name, logical_type t, int mode, aggregate_function *out) {
    if (t.id == TYPE_SQLNULL) t = type_make(TYPE_INTEGER);
    switch (t.id) {
    case TYPE_BOOLEAN:
        if (mode > 0) set_fn(out, name, t, t, sizeof(fixed_state), init_fixed, max_u8_update, max_u8_combine, max_u8_finalize);
        else if (mode < 0) set_fn(out, name, t, t, sizeof(fixed_state), init_fixed, min_u8_update, min_u8_combine, min_u8_finalize);
        else set_fn(out, name, t, t, sizeof(fixed_state), init_fixed, first_u8_update, first_u8_combine, first_u8_finalize);
        return true;
    case TYPE_INTEGER:
    case TYPE_DATE:
        if (mode > 0) set_fn(out, name, t, t, sizeof(fixed_state), init_fixed, max_i32_update, max_i32_combine, max_i32_finalize);
        else if (mode < 0) set_fn(out, name, t, t, sizeof(fixed_state), init_fixed, min_i32_update, min_i32_combine, min_i32_finalize);
        else set_fn(out, name, t, t, sizeof(fixed_state), init_fixed, first_i32_update, first_i32_combine, first_i32_finalize);
        return true;
    case TYPE_BIGINT:
    case TYPE_DECIMAL:
    case TYPE_TIMESTAMP:
        if (mode > 0) set_fn(out, name, t, t, sizeof(fixed_state), init_fixed, max_i64_update, max_i64_combine, max_i64_finalize);
        else if (mode < 0) set_fn(out, name, t, t, sizeof(fixed_state), init_fixed, min_i64_update, min_i64_combine, min_i64_finalize);
        else set_fn(out, name, t, t, sizeof(fixed_state), init_fixed, first_i64_update, first_i64_combine, first_i64_finalize);
        return true;
    case TYPE_DOUBLE:
        if (mode > 0) set_fn(out, name, t, t, sizeof(fixed_state), init_fixed, max_f64_update, max_f64_combine, max_f64_finalize);
        else if (mode < 0) set_fn(out, name, t, t, sizeof(fixed_state), init_fixed, min_f64_update, min_f64_combine, min_f64_finalize);
        else set_fn(out, name, t, t, sizeof(fixed_state), init_fixed, first_f64_update, first_f64_combine, first_f64_finalize);
        return true;
    case TYPE_VARCHAR:
        if (mode > 0) set_fn(out, name, t, t, sizeof(str_state), init_str, max_str_update, max_str_combine, str_finalize);
        else if (mode < 0) set_fn(out, name, t, t, sizeof(str_state), init_str, min_str_update, min_str_combine, str_finalize);
        else set_fn(out, name, t, t, sizeof(str_state), init_str, first_str_update, first_str_combine, str_finalize);
        out->spill_size = str_spill_size;
        out->spill_write = str_spill_write;
        out->spill_read = str_spill_read;
        return true;
    default: return false;
    }
}

static bool bind_sum_avg(const char *name, logical_type t, bool avg, aggregate_function *out) {
    logical_type dbl = type_make(TYPE_DOUBLE);
    if (t.id == TYPE_SQLNULL) t = type_make(TYPE_INTEGER);
    switch (t.id) {
    case TYPE_INTEGER:
    case TYPE_BIGINT: {
        bool (*update)(void **, const vector *, uint32_t, aggregate_context *) =
            t.id == TYPE_INTEGER ? hsum_update_i32 : hsum_update_i64;
        if (avg) set_fn(out, name, t, dbl, sizeof(hsum_state), init_hsum, update, hsum_combine, avg_int_finalize);
        else set_fn(out, name, t, type_make(TYPE_BIGINT), sizeof(hsum_state), init_hsum, update, hsum_combine, sum_int_finalize);
        out->simple_update = t.id == TYPE_INTEGER ? hsum_simple_i32 : hsum_simple_i64;
        return true;
    }
    case TYPE_DECIMAL:
        if (avg)
            set_fn(out, name, t, dbl, sizeof(hsum_state), init_hsum, hsum_update_i64, hsum_combine,
                   avg_dec_finalizers[t.scale <= 18 ? t.scale : 18]);
        else
            set_fn(out, name, t, type_decimal(DECIMAL_MAX_WIDTH, t.scale), sizeof(hsum_state), init_hsum, hsum_update_i64,
                   hsum_combine, sum_dec_finalize);
        out->simple_update = hsum_simple_i64;
        return true;
    case TYPE_DOUBLE:
        set_fn(out, name, t, dbl, sizeof(dsum_state), init_dsum, dsum_update, dsum_combine,
               avg ? avg_double_finalize : sum_double_finalize);
        out->simple_update = dsum_simple;
        return true;
    default: return false;
    }
}

bool aggregate_function_bind(const char *name, const logical_type *arg_types, uint32_t nargs, aggregate_function *out,
                             error *err) {
    const char *canon = canonical_name(name);
    if (!canon) return error_set(err, EIDER_ERROR_CATALOG, "Aggregate Function with name %s does not exist!", name);
    memset(out, 0, sizeof *out);
    logical_type bigint = type_make(TYPE_BIGINT);
    bool ok = false;
    if (strcmp(canon, "count_star") == 0 || (strcmp(canon, "count") == 0 && nargs == 0)) {
        set_fn(out, "count_star", type_make(TYPE_INVALID), bigint, sizeof(count_state), init_zero_8, count_star_update,
               count_combine, count_finalize);
        out->simple_update = count_star_simple;
        return true;
    }
    if (nargs == 1) {
        logical_type t = arg_types[0];
        if (strcmp(canon, "count") == 0) {
            set_fn(out, canon, t, bigint, sizeof(count_state), init_zero_8, count_update, count_combine, count_finalize);
            out->simple_update = count_simple;
            ok = true;
        } else if (strcmp(canon, "sum") == 0) {
            ok = bind_sum_avg(canon, t, false, out);
        } else if (strcmp(canon, "avg") == 0 || strcmp(canon, "mean") == 0) {
            ok = bind_sum_avg("avg", t, true, out);
        } else if (strcmp(canon, "min") == 0) {
            ok = bind_minmax_first(canon, t, -1, out);
        } else if (strcmp(canon, "max") == 0) {
            ok = bind_minmax_first(canon, t, 1, out);
        } else if (strcmp(canon, "any_value") == 0 || strcmp(canon, "first") == 0 || strcmp(canon, "arbitrary") == 0) {
            ok = bind_minmax_first(canon, t, 0, out);
        } else if ((strcmp(canon, "bool_and") == 0 || strcmp(canon, "bool_or") == 0) &&
                   (t.id == TYPE_BOOLEAN || t.id == TYPE_SQLNULL)) {
            logical_type b = type_make(TYPE_BOOLEAN);
            if (canon[5] == 'a')
                set_fn(out, canon, b, b, sizeof(fixed_state), init_fixed, bool_and_update, bool_and_combine, max_u8_finalize);
            else
                set_fn(out, canon, b, b, sizeof(fixed_state), init_fixed, bool_or_update, bool_or_combine, max_u8_finalize);
            ok = true;
        }
    }
    if (ok) return true;
    char msg[256];
    size_t n = (size_t)snprintf(msg, sizeof msg, "%s(", name);
    for (uint32_t i = 0; i < nargs && n < sizeof msg; i++) {
        char tb[TYPE_NAME_MAX];
        n += (size_t)snprintf(msg + n, sizeof msg - n, "%s%s", i ? ", " : "", type_to_string(arg_types[i], tb));
    }
    if (n < sizeof msg) snprintf(msg + n, sizeof msg - n, ")");
    return error_set(err, EIDER_ERROR_BINDER, "No function matches the given name and argument types '%s'", msg);
}
