/*
 * database.h — the database and connection objects behind the public handles.
 *
 * A database owns the buffer pool, the temp-file manager the pool spills to, the catalog and the
 * settings; connections borrow it. The catalog has its own lock; settings are guarded by
 * settings_lock.
 */
#ifndef EIDER_DATABASE_H
#define EIDER_DATABASE_H

#include <pthread.h>
#include <stdatomic.h>

#include "common/vector.h"
#include "eider.h"
#include "main/settings.h"
#include "memory/pool.h"

typedef struct catalog catalog;
typedef struct result_stream result_stream;
typedef struct scheduler scheduler;
typedef struct temp_files temp_files;

struct eider_database {
    buffer_pool *pool;
    temp_files *temp_files; /* where the pool spills temporary blocks (its spill hooks) */
    catalog *catalog;
    scheduler *scheduler; /* worker threads, sized by the threads setting */
    settings settings;
    char *path; /* NULL for an in-memory database */
    atomic_uint connection_count;
};

struct eider_connection {
    eider_database *db;
    atomic_bool interrupted; /* set by eider_interrupt, cleared when a query starts */
    atomic_int progress;     /* per mille of the running query; -1 when none runs */
    result_stream *stream;   /* the open streaming result, if any (main/stream.h) */
};

/* Runs the ';'-separated statements of sql on conn and fills result (already initialized with
 * result_init) with the outcome of the last statement, or with the error of the failing one.
 * Returns false when a statement failed. Implemented by the query engine (main/query.c). */
bool query_execute(eider_connection *conn, const char *sql, eider_result *result);
/* The same with values for $1..$param_count. */
bool query_execute_params(eider_connection *conn, const char *sql, const value *params, uint32_t param_count,
                          eider_result *result);
/* The same, streaming the last statement's rows (main/stream.h): on success result->stream is
 * set and its rows come from eider_result_fetch. Errors found before the last statement runs
 * (parser, binder, an earlier statement) are returned here. */
bool query_execute_streaming(eider_connection *conn, const char *sql, const value *params, uint32_t param_count,
                             eider_result *result);

#endif
