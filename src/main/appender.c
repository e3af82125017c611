/*
 * appender.c — the appender of the public C API: fast row-by-row loading of an existing table.
 *
 * Buffering: values are written straight into a chunk of VECTOR_SIZE rows (the table's column
 * types) that lives in an arena on the database's pool; long strings go into the chunk's heap.
 * When the chunk is full it is appended to the appender's private column stores (tag COLUMN_DATA,
 * temporary blocks that the pool may spill), one store per row group's worth of rows, and reset.
 * Nothing the appender buffers is visible to anyone else.
 *
 * Flush: under the table's append lock, the private stores and then the chunk are appended to
 * the table's store, and the new row count is published with one atomic store of committed_rows,
 * so scans see all the flushed rows or none. Each private store is freed as soon as it is copied,
 * so a flush needs about one row group of memory beyond what is buffered. If writing the table
 * fails (out of memory), the table's store is truncated back and the buffered rows are discarded;
 * a flush refused before writing (table dropped, row in progress) keeps them. The append lock is
 * only held inside eider_appender_flush, never between calls, so other appenders and INSERTs on
 * the same table run meanwhile.
 *
 * Lifetime: the appender holds a reference to its table entry, so a concurrent DROP TABLE cannot
 * free the storage it flushes into; a flush into a table that is no longer in the catalog (dropped
 * or replaced) fails with a Catalog Error. The appender borrows its connection, which must outlive
 * it. The appender object itself is the caller's (plain calloc, like eider_result); every byte
 * that grows with the rows is in pool blocks.
 *
 * Row state: `col` is the next column of the current row. A value that cannot be stored (too many
 * values, a failed conversion) marks the row failed; eider_appender_end_row then drops it (its
 * slot in the chunk is reused) and reports the error. Rows ended before stay buffered.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog/catalog.h"
#include "common/arena.h"
#include "common/vector.h"
#include "eider.h"
#include "function/cast.h"
#include "main/database.h"
#include "memory/pool.h"
#include "storage/column_store.h"

/* Scratch strings of conversions are dropped once the scratch arena holds more than this. */
#define APPENDER_SCRATCH_MAX ((uint64_t)4 * POOL_BLOCK_SIZE)

struct eider_appender {
    eider_connection *conn;
    buffer_pool *pool;
    table_entry *table;    /* NULL when the table was not found */
    bool ready;            /* creation succeeded: values may be appended */
    uint32_t column_count; /* 0 when creation failed, so every append fails */
    uint32_t col;          /* next column of the current row */
    bool row_failed;       /* a value of the current row failed: end_row drops the row */
    int32_t null_violation; /* NOT NULL column given a NULL in the current row, or -1 */
    arena *arena;          /* the chunks */
    arena *scratch;        /* strings made by conversions, until copied into the chunk */
    chunk *buf;            /* rows being buffered */
    chunk *scan_buf;       /* chunk the private store is read back through at flush */
    column_store **segs;   /* full chunks: private stores of up to one row group each */
    uint32_t seg_count, seg_capacity;
    error err;
};

/* ---- errors -------------------------------------------------------------------------------- */

/* Replaces the appender's error (error_set keeps the first one, so clear first). */
static eider_state app_fail(eider_appender *app, eider_error_type type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static eider_state app_fail(eider_appender *app, eider_error_type type, const char *fmt, ...) {
    error_clear(&app->err);
    va_list ap;
    va_start(ap, fmt);
    error_setv(&app->err, type, fmt, ap);
    va_end(ap);
    return EIDER_ERROR;
}

/* Copies an internal error into the appender. */
static eider_state app_fail_with(eider_appender *app, const error *e) {
    error_clear(&app->err);
    app->err = *e;
    if (!error_is_set(&app->err)) error_set(&app->err, EIDER_ERROR_INTERNAL, "appender failed without a message");
    return EIDER_ERROR;
}

static void app_clear_error(eider_appender *app) {
    if (app->err.type != EIDER_ERROR_NONE) error_clear(&app->err);
}

const char *eider_appender_error(const eider_appender *app) {
    if (!app || !error_is_set(&app->err)) return NULL;
    return app->err.message;
}

eider_error_type eider_appender_error_type(const eider_appender *app) {
    return app ? app->err.type : EIDER_ERROR_NONE;
}

/* Calls on an appender whose creation failed fail too, keeping the creation's error. */
static eider_state app_unusable(eider_appender *app) {
    if (!error_is_set(&app->err))
        app_fail(app, EIDER_ERROR_INVALID_INPUT, "the appender is not usable: it could not be created");
    return EIDER_ERROR;
}

/* ---- create ----------------------------------------------------------------------------------- */

static bool app_init_buffers(eider_appender *app, error *err) {
    table_entry *t = app->table;
    app->arena = arena_create(app->pool, TAG_ALLOCATOR);
    app->scratch = arena_create(app->pool, TAG_ALLOCATOR);
    if (!app->arena || !app->scratch)
        return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate the appender's buffers");
    logical_type *types = arena_alloc(app->arena, sizeof(logical_type) * (t->column_count ? t->column_count : 1), err);
    if (!types) return false;
    for (uint32_t c = 0; c < t->column_count; c++) types[c] = t->columns[c].type;
    app->buf = chunk_create(app->arena, types, t->column_count, err);
    if (!app->buf) return false;
    app->scan_buf = chunk_create(app->arena, types, t->column_count, err);
    return app->scan_buf != NULL;
}

eider_state eider_appender_create(eider_connection *conn, const char *schema, const char *table,
                                  eider_appender **out) {
    if (!out) return EIDER_ERROR;
    eider_appender *app = calloc(1, sizeof *app);
    *out = app;
    if (!app) return EIDER_ERROR;
    app->conn = conn;
    app->null_violation = -1;
    if (!conn || !conn->db) return app_fail(app, EIDER_ERROR_INVALID_INPUT, "eider_appender_create called without a connection");
    if (!table) return app_fail(app, EIDER_ERROR_INVALID_INPUT, "eider_appender_create called without a table name");
    if (schema && strcasecmp(schema, "main") != 0)
        return app_fail(app, EIDER_ERROR_CATALOG, "Schema with name %s does not exist!", schema);
    app->pool = conn->db->pool;
    table_entry *t = catalog_lookup(conn->db->catalog, table, false);
    if (!t) return app_fail(app, EIDER_ERROR_CATALOG, "Table with name %s does not exist!", table);
    app->table = t;
    error e;
    error_clear(&e);
    if (!app_init_buffers(app, &e)) {
        app_fail_with(app, &e);
        /* keep the buffers for destroy to free, but accept no values */
        return EIDER_ERROR;
    }
    app->column_count = t->column_count;
    app->ready = true;
    return EIDER_SUCCESS;
}

/* ---- values ------------------------------------------------------------------------------------ */

/* The vector the next value goes into, or NULL (error set, row failed). */
static vector *app_slot_fail(eider_appender *app) {
    if (!app) return NULL;
    if (!app->ready) {
        app_unusable(app);
        return NULL;
    }
    app->row_failed = true;
    app_fail(app, EIDER_ERROR_INVALID_INPUT, "too many values in a row: table \"%s\" has %u columns",
             app->table->name, app->column_count);
    return NULL;
}

static inline vector *app_slot(eider_appender *app) {
    if (__builtin_expect(app != NULL && app->col < app->column_count, 1)) return &app->buf->columns[app->col];
    return app_slot_fail(app);
}

/* A value that failed to convert: the row fails, the error names the column. */
static eider_state app_conversion_failed(eider_appender *app, const error *e) {
    const table_entry *t = app->table;
    const char *body = e->message;
    const char *prefix = error_type_name(e->type);
    size_t plen = strlen(prefix);
    if (strncmp(body, prefix, plen) == 0 && strncmp(body + plen, ": ", 2) == 0) body += plen + 2;
    app->row_failed = true;
    app->col++;
    return app_fail(app, e->type == EIDER_ERROR_NONE ? EIDER_ERROR_CONVERSION : e->type,
                    "%s (appending to column \"%s\" of table \"%s\")", body, t->columns[app->col - 1].name, t->name);
}

/* Converts val to the column's type as a CAST would and stores it in the current row. */
static eider_state app_store_value(eider_appender *app, vector *vec, const value *val) {
    error e;
    e.type = EIDER_ERROR_NONE;
    e.message[0] = '\0';
    value conv;
    if (arena_bytes(app->scratch) > APPENDER_SCRATCH_MAX) arena_reset(app->scratch);
    if (!cast_value(val, vec->type, &conv, app->scratch, &e)) return app_conversion_failed(app, &e);
    if (conv.is_null) {
        if (app->table->columns[app->col].not_null && app->null_violation < 0) app->null_violation = (int32_t)app->col;
        vector_set_null(vec, app->buf->count);
    } else if (!vector_set_value(app->buf, vec, app->buf->count, &conv, &e)) {
        app->row_failed = true;
        app->col++;
        return app_fail_with(app, &e);
    }
    app->col++;
    return EIDER_SUCCESS;
}

eider_state eider_append_bool(eider_appender *app, bool v) {
    vector *vec = app_slot(app);
    if (!vec) return EIDER_ERROR;
    if (vec->type.id == TYPE_BOOLEAN) {
        ((uint8_t *)vec->data)[app->buf->count] = v ? 1 : 0;
        app->col++;
        return EIDER_SUCCESS;
    }
    value val = value_boolean(v);
    return app_store_value(app, vec, &val);
}

eider_state eider_append_int32(eider_appender *app, int32_t v) {
    vector *vec = app_slot(app);
    if (!vec) return EIDER_ERROR;
    if (vec->type.id == TYPE_INTEGER) {
        ((int32_t *)vec->data)[app->buf->count] = v;
        app->col++;
        return EIDER_SUCCESS;
    }
    if (vec->type.id == TYPE_BIGINT) {
        ((int64_t *)vec->data)[app->buf->count] = v;
        app->col++;
        return EIDER_SUCCESS;
    }
    value val = value_integer(v);
    return app_store_value(app, vec, &val);
}

eider_state eider_append_int64(eider_appender *app, int64_t v) {
    vector *vec = app_slot(app);
    if (!vec) return EIDER_ERROR;
    if (vec->type.id == TYPE_BIGINT) {
        ((int64_t *)vec->data)[app->buf->count] = v;
        app->col++;
        return EIDER_SUCCESS;
    }
    value val = value_bigint(v);
    return app_store_value(app, vec, &val);
}

eider_state eider_append_double(eider_appender *app, double v) {
    vector *vec = app_slot(app);
    if (!vec) return EIDER_ERROR;
    if (vec->type.id == TYPE_DOUBLE) {
        ((double *)vec->data)[app->buf->count] = v;
        app->col++;
        return EIDER_SUCCESS;
    }
    value val = value_double(v);
    return app_store_value(app, vec, &val);
}

eider_state eider_append_varchar_length(eider_appender *app, const char *v, uint64_t length) {
    vector *vec = app_slot(app);
    if (!vec) return EIDER_ERROR;
    if (!v) return eider_append_null(app);
    if (length > UINT32_MAX) {
        app->row_failed = true;
        app->col++;
        return app_fail(app, EIDER_ERROR_INVALID_INPUT, "a string of %llu bytes is too long (at most %u)",
                        (unsigned long long)length, UINT32_MAX);
    }
    if (vec->type.id == TYPE_VARCHAR) {
        string_t *slot = (string_t *)vec->data + app->buf->count;
        if (length <= STRING_INLINE_LENGTH) {
            *slot = string_make(v, (uint32_t)length);
        } else {
            error e;
            e.type = EIDER_ERROR_NONE;
            if (!chunk_store_string(app->buf, v, (uint32_t)length, slot, &e)) {
                app->row_failed = true;
                app->col++;
                return app_fail_with(app, &e);
            }
        }
        app->col++;
        return EIDER_SUCCESS;
    }
    value val = value_varchar(v, (uint32_t)length);
    return app_store_value(app, vec, &val);
}

eider_state eider_append_varchar(eider_appender *app, const char *v) {
    return eider_append_varchar_length(app, v, v ? strlen(v) : 0);
}

eider_state eider_append_date(eider_appender *app, int32_t days) {
    vector *vec = app_slot(app);
    if (!vec) return EIDER_ERROR;
    if (vec->type.id == TYPE_DATE) {
        ((int32_t *)vec->data)[app->buf->count] = days;
        app->col++;
        return EIDER_SUCCESS;
    }
    value val = value_null(type_make(TYPE_DATE));
    val.is_null = false;
    val.u.i32 = days;
    return app_store_value(app, vec, &val);
}

eider_state eider_append_timestamp(eider_appender *app, int64_t micros) {
    vector *vec = app_slot(app);
    if (!vec) return EIDER_ERROR;
    if (vec->type.id == TYPE_TIMESTAMP) {
        ((int64_t *)vec->data)[app->buf->count] = micros;
        app->col++;
        return EIDER_SUCCESS;
    }
    value val = value_null(type_make(TYPE_TIMESTAMP));
    val.is_null = false;
    val.u.i64 = micros;
    return app_store_value(app, vec, &val);
}

eider_state eider_append_null(eider_appender *app) {
    vector *vec = app_slot(app);
    if (!vec) return EIDER_ERROR;
    if (app->table->columns[app->col].not_null && app->null_violation < 0) app->null_violation = (int32_t)app->col;
    vector_set_null(vec, app->buf->count);
    app->col++;
    return EIDER_SUCCESS;
}

/* ---- rows ---------------------------------------------------------------------------------------- */

/* Forgets the values of row `row` of the chunk (its slot will be written again). */
static void app_clear_row(eider_appender *app, uint32_t row) {
    for (uint32_t c = 0; c < app->column_count; c++) vector_set_valid(&app->buf->columns[c], row);
}

static void app_drop_current_row(eider_appender *app) {
    app_clear_row(app, app->buf->count);
    app->col = 0;
    app->row_failed = false;
    app->null_violation = -1;
    /* strings of dropped rows stay in the chunk heap until the chunk is reset; with no row
     * buffered in the chunk it can be reset at once */
    if (app->buf->count == 0 && app->buf->heap) chunk_reset(app->buf);
}

/* Frees every private store. */
static void app_free_segments(eider_appender *app) {
    for (uint32_t i = 0; i < app->seg_count; i++)
        if (app->segs[i]) column_store_destroy(app->segs[i]);
    app->seg_count = 0;
}

/* Moves the full chunk into the last private store (a new one when it holds a row group). On
 * failure nothing changes. */
static bool app_spill_chunk(eider_appender *app, error *err) {
    column_store *seg = app->seg_count ? app->segs[app->seg_count - 1] : NULL;
    if (!seg || column_store_row_count(seg) >= COLUMN_STORE_ROW_GROUP_SIZE) {
        if (app->seg_count == app->seg_capacity) {
            uint32_t cap = app->seg_capacity ? app->seg_capacity * 2 : 8;
            column_store **n = pool_realloc(app->pool, app->segs, sizeof *n * cap);
            if (!n) return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not grow the appender's buffer list");
            app->segs = n;
            app->seg_capacity = cap;
        }
        logical_type *types = pool_malloc(app->pool, sizeof(logical_type) * app->column_count);
        if (!types) return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate the appender's buffer");
        for (uint32_t c = 0; c < app->column_count; c++) types[c] = app->buf->columns[c].type;
        seg = column_store_create(app->pool, types, app->column_count, TAG_COLUMN_DATA, TAG_COLUMN_DATA, err);
        pool_free(app->pool, types);
        if (!seg) return false;
        app->segs[app->seg_count++] = seg;
    }
    uint64_t before = column_store_row_count(seg);
    if (!column_store_append(seg, app->buf, err)) {
        column_store_truncate(seg, before);
        return false;
    }
    chunk_reset(app->buf);
    return true;
}

eider_state eider_appender_end_row(eider_appender *app) {
    if (!app) return EIDER_ERROR;
    if (!app->ready) return app_unusable(app);
    if (__builtin_expect(app->row_failed | (app->col != app->column_count) | (app->null_violation >= 0), 0)) {
        eider_state st = EIDER_ERROR;
        if (app->row_failed) {
            /* the failing append already set the error; make sure one is there */
            if (!error_is_set(&app->err))
                app_fail(app, EIDER_ERROR_INVALID_INPUT, "the row was dropped because one of its values failed");
        } else if (app->col != app->column_count) {
            app_fail(app, EIDER_ERROR_INVALID_INPUT,
                     "the row has %u values but table \"%s\" has %u columns; the row was dropped", app->col,
                     app->table->name, app->column_count);
        } else {
            app_fail(app, EIDER_ERROR_CONSTRAINT, "NOT NULL constraint failed: %s.%s", app->table->name,
                     app->table->columns[app->null_violation].name);
        }
        app_drop_current_row(app);
        return st;
    }
    app->col = 0;
    app_clear_error(app);
    if (++app->buf->count == VECTOR_SIZE) {
        error e;
        e.type = EIDER_ERROR_NONE;
        if (!app_spill_chunk(app, &e)) {
            app->buf->count--;
            app_clear_row(app, app->buf->count);
            return app_fail_with(app, &e);
        }
    }
    return EIDER_SUCCESS;
}

/* ---- flush and destroy ------------------------------------------------------------------------------ */

/* Appends everything buffered to the table's store; the caller holds the append lock. Each
 * private store is freed as soon as it is copied, so the flush needs about one row group of
 * memory beyond what is buffered. */
static bool app_copy_into(eider_appender *app, column_store *dst, error *err) {
    for (uint32_t i = 0; i < app->seg_count; i++) {
        column_store *seg = app->segs[i];
        column_store_scan scan;
        column_store_scan_begin(seg, &scan, 0, column_store_row_count(seg), NULL, 0);
        bool ok = true;
        for (;;) {
            if (!column_store_scan_next(&scan, app->scan_buf, err)) {
                ok = false;
                break;
            }
            if (app->scan_buf->count == 0) break;
            if (!column_store_append(dst, app->scan_buf, err)) {
                ok = false;
                break;
            }
        }
        column_store_scan_end(&scan);
        if (!ok) return false;
        column_store_destroy(seg);
        app->segs[i] = NULL;
    }
    return app->buf->count == 0 || column_store_append(dst, app->buf, err);
}

/* Forgets every buffered row. */
static void app_discard(eider_appender *app) {
    app_free_segments(app);
    chunk_reset(app->buf);
    if (arena_bytes(app->scratch) > 0) arena_reset(app->scratch);
}

eider_state eider_appender_flush(eider_appender *app) {
    if (!app) return EIDER_ERROR;
    if (!app->ready) return app_unusable(app);
    if (app->col != 0)
        return app_fail(app, EIDER_ERROR_INVALID_INPUT,
                        "cannot flush the appender in the middle of a row (%u of %u values given): end the row first",
                        app->col, app->column_count);
    if (app->buf->count == 0 && app->seg_count == 0) {
        app_clear_error(app);
        return EIDER_SUCCESS;
    }
    table_entry *t = app->table;
    /* the table must still be the catalog's: not dropped, not replaced (the rows stay buffered) */
    table_entry *current = catalog_lookup(app->conn->db->catalog, t->name, true);
    if (current) table_entry_unref(current);
    if (current != t) return app_fail(app, EIDER_ERROR_CATALOG, "Table with name %s does not exist!", t->name);

    error e;
    error_clear(&e);
    pthread_mutex_lock(&t->append_lock);
    uint64_t start = column_store_row_count(t->store);
    bool ok = app_copy_into(app, t->store, &e);
    if (ok) atomic_store(&t->committed_rows, column_store_row_count(t->store));
    else column_store_truncate(t->store, start);
    pthread_mutex_unlock(&t->append_lock);
    /* after a failure part of the buffer may already be freed: the rest goes too */
    app_discard(app);
    if (!ok) return app_fail_with(app, &e);
    app_clear_error(app);
    return EIDER_SUCCESS;
}

eider_state eider_appender_destroy(eider_appender *app) {
    if (!app) return EIDER_ERROR;
    eider_state st = EIDER_ERROR;
    if (app->ready) st = eider_appender_flush(app);
    app_free_segments(app);
    if (app->segs) pool_free(app->pool, app->segs);
    if (app->buf) chunk_destroy(app->buf);
    if (app->scan_buf) chunk_destroy(app->scan_buf);
    if (app->arena) arena_destroy(app->arena);
    if (app->scratch) arena_destroy(app->scratch);
    if (app->table) table_entry_unref(app->table);
    free(app);
    return st;
}
