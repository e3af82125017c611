/*
 * vector.h — vectors, chunks and single values: the units execution works in.
 *
 * A vector holds up to VECTOR_SIZE values of one type in a flat array plus a validity bitmap
 * (bit set = not NULL). A chunk is a set of vectors sharing one row count. Chunk buffers come
 * from an arena (query lifetime); strings that an operator creates go into the chunk's string
 * heap, which chunk_reset empties. Vectors are always flat: a filter compacts rows rather than
 * carrying a selection.
 */
#ifndef EIDER_VECTOR_H
#define EIDER_VECTOR_H

#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/error.h"
#include "common/types.h"

#define VECTOR_SIZE 2048
#define VALIDITY_WORDS (VECTOR_SIZE / 64)

typedef struct vector {
    logical_type type;
    void *data;                       /* VECTOR_SIZE * type_physical_size(type) bytes */
    uint64_t validity[VALIDITY_WORDS]; /* bit i set: row i is not NULL */
} vector;

static inline bool vector_is_valid(const vector *v, uint32_t row) {
    return (v->validity[row >> 6] >> (row & 63)) & 1;
}
static inline void vector_set_null(vector *v, uint32_t row) { v->validity[row >> 6] &= ~((uint64_t)1 << (row & 63)); }
static inline void vector_set_valid(vector *v, uint32_t row) { v->validity[row >> 6] |= (uint64_t)1 << (row & 63); }
static inline void vector_set_validity(vector *v, uint32_t row, bool valid) {
    if (valid) vector_set_valid(v, row);
    else vector_set_null(v, row);
}
/* Marks all rows valid. */
void vector_set_all_valid(vector *v);
/* True when rows [0, count) are all valid. */
bool vector_all_valid(const vector *v, uint32_t count);

typedef struct chunk {
    uint32_t count;        /* rows in use, <= VECTOR_SIZE */
    uint32_t column_count;
    vector *columns;
    arena *heap;           /* string bytes of this chunk's values; emptied by chunk_reset */
} chunk;

/* Creates a chunk with buffers for VECTOR_SIZE rows of each type, in arena a. The chunk's string
 * heap is its own arena on a's pool; chunk_destroy frees it (the rest goes with arena a). */
chunk *chunk_create(arena *a, const logical_type *types, uint32_t column_count, error *err);
void chunk_destroy(chunk *c);
/* count = 0, all rows valid, heap emptied. */
void chunk_reset(chunk *c);
/* Copies a string's bytes into the chunk's heap (when not inline) and returns the new string_t. */
bool chunk_store_string(chunk *c, const char *data, uint32_t length, string_t *out, error *err);
/* Appends row `row` of src to the end of dst (same column types), copying strings into dst's heap. */
bool chunk_append_row(chunk *dst, const chunk *src, uint32_t row, error *err);
/* Keeps only the rows whose index is in sel[0..n) (ascending), in that order. */
void chunk_compact(chunk *c, const uint32_t *sel, uint32_t n);
/* Copies value row src_row of src into dst at dst_row; strings are shared, not copied. */
void vector_copy_value(vector *dst, uint32_t dst_row, const vector *src, uint32_t src_row);

/* ---- single values ------------------------------------------------------------------- */

typedef struct value {
    logical_type type;
    bool is_null;
    union {
        bool boolean;
        int32_t i32; /* INTEGER, DATE */
        int64_t i64; /* BIGINT, DECIMAL, TIMESTAMP */
        double f64;
        struct {
            const char *data; /* owned by whoever made the value */
            uint32_t length;
        } str;
    } u;
} value;

value value_null(logical_type t);
value value_bigint(int64_t v);
value value_integer(int32_t v);
value value_double(double v);
value value_boolean(bool v);
value value_varchar(const char *data, uint32_t length);
/* Reads row `row` of v as a value (strings point into the vector's storage). */
value vector_get_value(const vector *v, uint32_t row);
/* Writes val at row `row` of v (val's type must equal v's); strings go into heap c's heap. */
bool vector_set_value(chunk *c, vector *v, uint32_t row, const value *val, error *err);

#endif
