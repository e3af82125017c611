/*
 * result.c — the query result behind eider_result, and the public value accessors.
 *
 * Rows live in a column_store (tag COLUMN_DATA, strings too) in the database's pool. The value
 * accessors are random access by (column, row); they read through a one-chunk cache: the chunk
 * holding the row last read, obtained by a column_store scan that starts at the beginning of the
 * row's VECTOR_SIZE-aligned window inside its row group and stays open, so reading rows in order
 * costs one scan step per chunk.
 *
 * Thread safety: the read cache is mutable state behind a const eider_result, so a result must
 * not be read from two threads at the same time (reading it from any one thread is fine).
 */
#include "main/result.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "function/cast.h"
#include "main/database.h"
#include "main/stream.h"
#include "memory/pool.h"

static buffer_pool *result_pool(const eider_result *r) { return r->db ? r->db->pool : NULL; }

void result_init(eider_result *result, eider_database *db) {
    memset(result, 0, sizeof *result);
    result->db = db;
    error_clear(&result->err);
}

/* Drops the read cache (closes its scan, frees its chunk and arena). */
static void result_cache_drop(eider_result *r) {
    if (r->cache_scan_open) column_store_scan_end(&r->cache_scan);
    r->cache_scan_open = false;
    if (r->cache) chunk_destroy(r->cache);
    r->cache = NULL;
    if (r->cache_arena) arena_destroy(r->cache_arena);
    r->cache_arena = NULL;
    r->cache_start = 0;
}

void result_clear(eider_result *r) {
    buffer_pool *pool = result_pool(r);
    if (r->stream) stream_destroy(r->stream);
    r->stream = NULL;
    result_cache_drop(r);
    if (r->rows) column_store_destroy(r->rows);
    r->rows = NULL;
    for (uint32_t i = 0; i < r->column_count; i++) {
        if (r->names) pool_free(pool, r->names[i]);
        if (r->type_names) pool_free(pool, r->type_names[i]);
    }
    if (r->names) pool_free(pool, r->names);
    if (r->type_names) pool_free(pool, r->type_names);
    if (r->types) pool_free(pool, r->types);
    r->names = NULL;
    r->type_names = NULL;
    r->types = NULL;
    r->column_count = 0;
    r->rows_changed = 0;
}

bool result_set_columns(eider_result *r, const char *const *names, const logical_type *types,
                        uint32_t column_count, error *err) {
    buffer_pool *pool = result_pool(r);
    if (!pool) return error_set(err, EIDER_ERROR_INTERNAL, "result has no database");
    if (r->column_count || r->rows) {
        uint64_t changed = r->rows_changed;
        result_clear(r);
        r->rows_changed = changed;
    }
    if (column_count == 0) return true;
    r->names = pool_calloc(pool, column_count, sizeof(char *));
    r->type_names = pool_calloc(pool, column_count, sizeof(char *));
    r->types = pool_calloc(pool, column_count, sizeof(logical_type));
    if (!r->names || !r->type_names || !r->types) goto oom;
    r->column_count = column_count;
    for (uint32_t i = 0; i < column_count; i++) {
        char tbuf[TYPE_NAME_MAX];
        r->types[i] = types[i];
        r->names[i] = pool_strdup(pool, names && names[i] ? names[i] : "");
        r->type_names[i] = pool_strdup(pool, type_to_string(types[i], tbuf));
        if (!r->names[i] || !r->type_names[i]) goto oom;
    }
    r->rows = column_store_create(pool, types, column_count, TAG_COLUMN_DATA, TAG_COLUMN_DATA, err);
    if (!r->rows) {
        result_clear(r);
        return false;
    }
    return true;
oom:
    result_clear(r);
    return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate the result's columns");
}

bool result_append(eider_result *r, const chunk *c, error *err) {
    if (r->stream) return stream_push(r->stream, c, err);
    if (!r->rows) return error_set(err, EIDER_ERROR_INTERNAL, "rows appended to a result without columns");
    if (c->count == 0) return true;
    /* a cached chunk may cover a window that the new rows extend: read it again next time */
    result_cache_drop(r);
    return column_store_append(r->rows, c, err);
}

/* ---- reading values ------------------------------------------------------------------------ */

/* Makes sure the cache holds `row`; returns its vector and the row's index in the chunk. */
static bool result_locate(const eider_result *cr, uint64_t col, uint64_t row, const vector **vec, uint32_t *index) {
    eider_result *r = (eider_result *)cr; /* the cache is mutable state of a const result */
    if (r && r->stream) { /* a streaming result: rows of the batch the last fetch returned */
        const chunk *batch = stream_current(r->stream);
        if (!batch || col >= r->column_count || row >= batch->count) return false;
        *vec = &batch->columns[col];
        *index = (uint32_t)row;
        return true;
    }
    if (!r || !r->rows || col >= r->column_count) return false;
    uint64_t total = column_store_row_count(r->rows);
    if (row >= total) return false;
    if (r->cache && row >= r->cache_start && row < r->cache_start + r->cache->count) {
        *vec = &r->cache->columns[col];
        *index = (uint32_t)(row - r->cache_start);
        return true;
    }
    error err;
    error_clear(&err);
    if (!r->cache) {
        r->cache_arena = arena_create(result_pool(r), TAG_COLUMN_DATA);
        if (!r->cache_arena) return false;
        r->cache = chunk_create(r->cache_arena, r->types, r->column_count, &err);
        if (!r->cache) {
            result_cache_drop(r);
            return false;
        }
        r->cache->count = 0;
    }
    uint64_t next = r->cache_start + r->cache->count; /* where the open scan continues */
    if (!r->cache_scan_open || row < next) {
        /* start a scan at the beginning of the row's aligned window inside its row group */
        uint64_t group_start = row / COLUMN_STORE_ROW_GROUP_SIZE * COLUMN_STORE_ROW_GROUP_SIZE;
        uint64_t start = group_start + (row - group_start) / VECTOR_SIZE * VECTOR_SIZE;
        if (r->cache_scan_open) column_store_scan_end(&r->cache_scan);
        column_store_scan_begin(r->rows, &r->cache_scan, start, total, NULL, r->column_count);
        r->cache_scan_open = true;
        next = start;
    } else if (row >= next + 2 * (uint64_t)VECTOR_SIZE) {
        /* far ahead of the scan: restart it near the row instead of stepping through */
        uint64_t group_start = row / COLUMN_STORE_ROW_GROUP_SIZE * COLUMN_STORE_ROW_GROUP_SIZE;
        uint64_t start = group_start + (row - group_start) / VECTOR_SIZE * VECTOR_SIZE;
        column_store_scan_end(&r->cache_scan);
        column_store_scan_begin(r->rows, &r->cache_scan, start, total, NULL, r->column_count);
        next = start;
    }
    for (;;) {
        chunk_reset(r->cache);
        r->cache_start = next;
        if (!column_store_scan_next(&r->cache_scan, r->cache, &err) || r->cache->count == 0) {
            /* unreadable (a block could not be reloaded) or unexpectedly short: forget the cache */
            column_store_scan_end(&r->cache_scan);
            r->cache_scan_open = false;
            r->cache->count = 0;
            r->cache_start = 0;
            return false;
        }
        next = r->cache_start + r->cache->count;
        if (row < next) break;
    }
    *vec = &r->cache->columns[col];
    *index = (uint32_t)(row - r->cache_start);
    return true;
}

/* Reads one value; false when (col,row) is out of range or unreadable. */
static bool result_value(const eider_result *r, uint64_t col, uint64_t row, value *out) {
    const vector *vec = NULL;
    uint32_t index = 0;
    if (!result_locate(r, col, row, &vec, &index)) return false;
    *out = vector_get_value(vec, index);
    if (!vector_is_valid(vec, index)) out->is_null = true;
    return true;
}

static int64_t pow10_i64(unsigned n) {
    int64_t p = 1;
    while (n--) p *= 10;
    return p;
}

/* Casts a non-NULL value to `to` with SQL cast rules; false if the cast fails. */
static bool cast_to(const eider_result *r, const value *v, logical_type to, value *out) {
    error err;
    error_clear(&err);
    arena *a = arena_create(result_pool(r), TAG_ALLOCATOR);
    if (!a) return false;
    bool ok = cast_value(v, to, out, a, &err);
    arena_destroy(a); /* only fixed-size results are read from *out */
    return ok && !out->is_null;
}

/* A double rounded to int64 (half to even, as CAST does); false when out of range or NaN. */
static bool double_to_int64(double d, int64_t *out) {
    if (isnan(d)) return false;
    double rd = nearbyint(d);
    if (rd < -9223372036854775808.0 || rd >= 9223372036854775808.0) return false;
    *out = (int64_t)rd;
    return true;
}

bool eider_value_is_null(const eider_result *result, uint64_t col, uint64_t row) {
    value v;
    if (!result_value(result, col, row, &v)) return true;
    return v.is_null;
}

int64_t eider_value_int64(const eider_result *result, uint64_t col, uint64_t row) {
    value v;
    if (!result_value(result, col, row, &v) || v.is_null) return 0;
    int64_t out = 0;
    switch (v.type.id) {
    case TYPE_BOOLEAN: return v.u.boolean ? 1 : 0;
    case TYPE_INTEGER: return v.u.i32;
    case TYPE_BIGINT: return v.u.i64;
    case TYPE_DOUBLE: return double_to_int64(v.u.f64, &out) ? out : 0;
    case TYPE_DECIMAL: {
        /* rounded half away from zero, as CAST(decimal AS BIGINT) */
        int64_t p = pow10_i64(v.type.scale);
        int64_t q = v.u.i64 / p, rem = v.u.i64 % p;
        if (rem * 2 >= p) q++;
        else if (rem * 2 <= -p) q--;
        return q;
    }
    case TYPE_VARCHAR: {
        value c;
        return cast_to(result, &v, type_make(TYPE_BIGINT), &c) ? c.u.i64 : 0;
    }
    default: return 0; /* DATE, TIMESTAMP: no cast to a number */
    }
}

double eider_value_double(const eider_result *result, uint64_t col, uint64_t row) {
    value v;
    if (!result_value(result, col, row, &v) || v.is_null) return 0.0;
    switch (v.type.id) {
    case TYPE_BOOLEAN: return v.u.boolean ? 1.0 : 0.0;
    case TYPE_INTEGER: return (double)v.u.i32;
    case TYPE_BIGINT: return (double)v.u.i64;
    case TYPE_DOUBLE: return v.u.f64;
    case TYPE_DECIMAL: return (double)v.u.i64 / (double)pow10_i64(v.type.scale);
    case TYPE_VARCHAR: {
        value c;
        return cast_to(result, &v, type_make(TYPE_DOUBLE), &c) ? c.u.f64 : 0.0;
    }
    default: return 0.0;
    }
}

bool eider_value_bool(const eider_result *result, uint64_t col, uint64_t row) {
    value v;
    if (!result_value(result, col, row, &v) || v.is_null) return false;
    switch (v.type.id) {
    case TYPE_BOOLEAN: return v.u.boolean;
    case TYPE_INTEGER: return v.u.i32 != 0;
    case TYPE_BIGINT:
    case TYPE_DECIMAL: return v.u.i64 != 0;
    case TYPE_DOUBLE: return v.u.f64 != 0.0;
    case TYPE_VARCHAR: {
        value c;
        return cast_to(result, &v, type_make(TYPE_BOOLEAN), &c) ? c.u.boolean : false;
    }
    default: return false;
    }
}

char *eider_value_text(const eider_result *result, uint64_t col, uint64_t row) {
    value v;
    if (!result_value(result, col, row, &v) || v.is_null) return NULL;
    if (v.type.id == TYPE_VARCHAR) {
        char *s = malloc((size_t)v.u.str.length + 1);
        if (!s) return NULL;
        if (v.u.str.length) memcpy(s, v.u.str.data, v.u.str.length);
        s[v.u.str.length] = '\0';
        return s;
    }
    char small[128];
    size_t need = value_to_text(&v, small, sizeof small);
    char *s = malloc(need + 1);
    if (!s) return NULL;
    if (need < sizeof small) memcpy(s, small, need + 1);
    else value_to_text(&v, s, need + 1);
    return s;
}
