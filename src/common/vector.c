/*
 * vector.c — vectors, chunks and single values.
 */
#include "common/vector.h"

#include <stddef.h>
#include <string.h>

void vector_set_all_valid(vector *v) { memset(v->validity, 0xFF, sizeof v->validity); }

bool vector_all_valid(const vector *v, uint32_t count) {
    if (count > VECTOR_SIZE) count = VECTOR_SIZE;
    uint32_t full = count >> 6;
    for (uint32_t w = 0; w < full; w++)
        if (v->validity[w] != UINT64_MAX) return false;
    uint32_t rest = count & 63;
    if (rest) {
        uint64_t mask = ((uint64_t)1 << rest) - 1;
        if ((v->validity[full] & mask) != mask) return false;
    }
    return true;
}

/* Marks rows [from, VECTOR_SIZE) valid. */
static void vector_set_valid_from(vector *v, uint32_t from) {
    if (from >= VECTOR_SIZE) return;
    uint32_t w = from >> 6;
    uint32_t bit = from & 63;
    if (bit) {
        v->validity[w] |= ~(((uint64_t)1 << bit) - 1);
        w++;
    }
    for (; w < VALIDITY_WORDS; w++) v->validity[w] = UINT64_MAX;
}

/* A chunk made by chunk_create sits in its arena behind the pool its string heap will use, so
 * the heap can be created on the first stored string (chunks without strings never create one). */
typedef struct chunk_impl {
    buffer_pool *pool;
    chunk c;
} chunk_impl;

static chunk_impl *chunk_impl_of(chunk *c) { return (chunk_impl *)((char *)c - offsetof(chunk_impl, c)); }

chunk *chunk_create(arena *a, const logical_type *types, uint32_t column_count, error *err) {
    chunk_impl *impl = arena_alloc(a, sizeof(chunk_impl), err);
    if (!impl) return NULL;
    impl->pool = arena_pool(a);
    chunk *c = &impl->c;
    c->count = 0;
    c->column_count = column_count;
    c->heap = NULL;
    c->columns = NULL;
    if (column_count > 0) {
        c->columns = arena_alloc(a, sizeof(vector) * column_count, err);
        if (!c->columns) return NULL;
    }
    for (uint32_t i = 0; i < column_count; i++) {
        vector *v = &c->columns[i];
        v->type = types[i];
        size_t sz = type_physical_size(types[i]);
        v->data = arena_alloc(a, (size_t)VECTOR_SIZE * (sz ? sz : 1), err);
        if (!v->data) return NULL;
        vector_set_all_valid(v);
    }
    return c;
}

void chunk_destroy(chunk *c) {
    if (!c) return;
    if (c->heap) arena_destroy(c->heap);
    c->heap = NULL;
}

void chunk_reset(chunk *c) {
    c->count = 0;
    for (uint32_t i = 0; i < c->column_count; i++) vector_set_all_valid(&c->columns[i]);
    if (c->heap) arena_reset(c->heap);
}

bool chunk_store_string(chunk *c, const char *data, uint32_t length, string_t *out, error *err) {
    if (length <= STRING_INLINE_LENGTH) {
        *out = string_make(data, length);
        return true;
    }
    if (!c->heap) {
        c->heap = arena_create(chunk_impl_of(c)->pool, TAG_ALLOCATOR);
        if (!c->heap) return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not create a chunk's string heap");
    }
    char *copy = arena_alloc(c->heap, length, err);
    if (!copy) return false;
    memcpy(copy, data, length);
    *out = string_make(copy, length);
    return true;
}

void vector_copy_value(vector *dst, uint32_t dst_row, const vector *src, uint32_t src_row) {
    size_t sz = type_physical_size(src->type);
    if (sz) memcpy((char *)dst->data + (size_t)dst_row * sz, (const char *)src->data + (size_t)src_row * sz, sz);
    vector_set_validity(dst, dst_row, vector_is_valid(src, src_row));
}

bool chunk_append_row(chunk *dst, const chunk *src, uint32_t row, error *err) {
    if (dst->count >= VECTOR_SIZE) return error_set(err, EIDER_ERROR_INTERNAL, "chunk is full");
    uint32_t at = dst->count;
    uint32_t n = dst->column_count < src->column_count ? dst->column_count : src->column_count;
    for (uint32_t i = 0; i < n; i++) {
        vector *dv = &dst->columns[i];
        const vector *sv = &src->columns[i];
        vector_copy_value(dv, at, sv, row);
        if (sv->type.id == TYPE_VARCHAR && vector_is_valid(sv, row)) {
            const string_t *s = (const string_t *)sv->data + row;
            if (s->length > STRING_INLINE_LENGTH) {
                string_t copy;
                if (!chunk_store_string(dst, s->value.pointer.ptr, s->length, &copy, err)) return false;
                ((string_t *)dv->data)[at] = copy;
            }
        }
    }
    dst->count = at + 1;
    return true;
}

void chunk_compact(chunk *c, const uint32_t *sel, uint32_t n) {
    for (uint32_t col = 0; col < c->column_count; col++) {
        vector *v = &c->columns[col];
        size_t sz = type_physical_size(v->type);
        char *data = v->data;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t from = sel[i];
            if (from == i) continue;
            if (sz) memcpy(data + (size_t)i * sz, data + (size_t)from * sz, sz);
            vector_set_validity(v, i, vector_is_valid(v, from));
        }
        vector_set_valid_from(v, n);
    }
    c->count = n;
}

/* ---- single values ---------------------------------------------------------------------- */

value value_null(logical_type t) {
    value v;
    memset(&v, 0, sizeof v);
    v.type = t;
    v.is_null = true;
    return v;
}

value value_bigint(int64_t x) {
    value v = value_null(type_make(TYPE_BIGINT));
    v.is_null = false;
    v.u.i64 = x;
    return v;
}

value value_integer(int32_t x) {
    value v = value_null(type_make(TYPE_INTEGER));
    v.is_null = false;
    v.u.i32 = x;
    return v;
}

value value_double(double x) {
    value v = value_null(type_make(TYPE_DOUBLE));
    v.is_null = false;
    v.u.f64 = x;
    return v;
}

value value_boolean(bool x) {
    value v = value_null(type_make(TYPE_BOOLEAN));
    v.is_null = false;
    v.u.boolean = x;
    return v;
}

value value_varchar(const char *data, uint32_t length) {
    value v = value_null(type_make(TYPE_VARCHAR));
    v.is_null = false;
    v.u.str.data = data;
    v.u.str.length = length;
    return v;
}

value vector_get_value(const vector *v, uint32_t row) {
    value out = value_null(v->type);
    if (!vector_is_valid(v, row)) return out;
    out.is_null = false;
    switch (v->type.id) {
    case TYPE_BOOLEAN: out.u.boolean = ((const uint8_t *)v->data)[row] != 0; break;
    case TYPE_INTEGER:
    case TYPE_DATE: out.u.i32 = ((const int32_t *)v->data)[row]; break;
    case TYPE_BIGINT:
    case TYPE_DECIMAL:
    case TYPE_TIMESTAMP: out.u.i64 = ((const int64_t *)v->data)[row]; break;
    case TYPE_DOUBLE: out.u.f64 = ((const double *)v->data)[row]; break;
    case TYPE_VARCHAR: {
        const string_t *s = (const string_t *)v->data + row;
        out.u.str.data = string_data(s);
        out.u.str.length = s->length;
        break;
    }
    case TYPE_SQLNULL:
    case TYPE_INVALID: out.is_null = true; break;
    }
    return out;
}

bool vector_set_value(chunk *c, vector *v, uint32_t row, const value *val, error *err) {
    if (val->is_null || v->type.id == TYPE_SQLNULL || v->type.id == TYPE_INVALID) {
        vector_set_null(v, row);
        return true;
    }
    switch (v->type.id) {
    case TYPE_BOOLEAN: ((uint8_t *)v->data)[row] = val->u.boolean ? 1 : 0; break;
    case TYPE_INTEGER:
    case TYPE_DATE: ((int32_t *)v->data)[row] = val->u.i32; break;
    case TYPE_BIGINT:
    case TYPE_DECIMAL:
    case TYPE_TIMESTAMP: ((int64_t *)v->data)[row] = val->u.i64; break;
    case TYPE_DOUBLE: ((double *)v->data)[row] = val->u.f64; break;
    case TYPE_VARCHAR: {
        string_t s;
        if (val->u.str.length <= STRING_INLINE_LENGTH) {
            s = string_make(val->u.str.data, val->u.str.length);
        } else {
            if (!c) return error_set(err, EIDER_ERROR_INTERNAL, "no chunk to hold a string value");
            if (!chunk_store_string(c, val->u.str.data, val->u.str.length, &s, err)) return false;
        }
        ((string_t *)v->data)[row] = s;
        break;
    }
    case TYPE_SQLNULL:
    case TYPE_INVALID: break;
    }
    vector_set_valid(v, row);
    return true;
}
