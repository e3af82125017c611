/*
 * result.h — the query result behind eider_result: column names and types, the rows in a
 * column_store (tag COLUMN_DATA) and the error, if any. A streaming result (eider_query_streaming)
 * has no row store of its own: its rows arrive batch by batch through its stream (main/stream.h),
 * and the value accessors read the batch the last eider_result_fetch returned.
 */
#ifndef EIDER_RESULT_H
#define EIDER_RESULT_H

#include "common/error.h"
#include "common/vector.h"
#include "storage/column_store.h"

struct eider_result {
    eider_database *db;
    error err;               /* type NONE on success */
    uint32_t column_count;
    char **names;            /* pool_malloc'ed */
    logical_type *types;
    char **type_names;       /* "INTEGER", "DECIMAL(18,3)", ... */
    column_store *rows;      /* NULL for statements without rows */
    uint64_t rows_changed;
    /* read cache: the chunk holding rows [cache_start, cache_start + cache->count) */
    arena *cache_arena;
    chunk *cache;
    uint64_t cache_start;
    column_store_scan cache_scan;
    bool cache_scan_open;
    struct result_stream *stream; /* NULL for a materialized result */
};

/* Sets up an empty result for db (no columns, no error). */
void result_init(eider_result *result, eider_database *db);
/* Frees columns, rows, cache and stream (the struct itself is the caller's). */
void result_clear(eider_result *result);
/* Declares the result's columns and creates the row store; names and types are copied. */
bool result_set_columns(eider_result *result, const char *const *names, const logical_type *types,
                        uint32_t column_count, error *err);
/* Appends a chunk of rows (types as declared); a streaming result hands them to its stream. */
bool result_append(eider_result *result, const chunk *c, error *err);

#endif
