/*
 * eider.h — the public C API of eider, an embedded analytical SQL database.
 *
 * Threading: one eider_database may be shared by any number of threads. A connection
 * (eider_connection) must be used by one thread at a time; give each thread its own
 * connection. Results are owned by the caller and may be read from any thread once returned.
 *
 * Ownership: every *_create / eider_open / eider_connect / eider_query has a matching
 * destroy / close / disconnect / eider_result_destroy that the caller must call.
 *
 * A streaming result (eider_query_streaming) is the exception to "any thread": it is tied to its
 * connection while it is open, so fetch and destroy it on the thread that uses the connection.
 */
#ifndef EIDER_H
#define EIDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct eider_database eider_database;
typedef struct eider_connection eider_connection;
typedef struct eider_result eider_result;
typedef struct eider_config eider_config;

/* Status returned by every fallible call. */
typedef enum eider_state { EIDER_SUCCESS = 0, EIDER_ERROR = 1 } eider_state;

/* The class of an error, so that callers never need to match message text. */
typedef enum eider_error_type {
    EIDER_ERROR_NONE = 0,
    EIDER_ERROR_PARSER,
    EIDER_ERROR_BINDER,
    EIDER_ERROR_CATALOG,
    EIDER_ERROR_CONVERSION,
    EIDER_ERROR_INVALID_INPUT,
    EIDER_ERROR_IO,
    EIDER_ERROR_OUT_OF_MEMORY,
    EIDER_ERROR_TEMP_DIRECTORY_LIMIT,
    EIDER_ERROR_INTERRUPTED,
    EIDER_ERROR_CONSTRAINT,
    EIDER_ERROR_OUT_OF_RANGE,
    EIDER_ERROR_NOT_IMPLEMENTED,
    EIDER_ERROR_INTERNAL
} eider_error_type;

/* Column types as seen through the API. */
typedef enum eider_type {
    EIDER_TYPE_INVALID = 0,
    EIDER_TYPE_BOOLEAN,
    EIDER_TYPE_INTEGER,
    EIDER_TYPE_BIGINT,
    EIDER_TYPE_DOUBLE,
    EIDER_TYPE_DECIMAL,
    EIDER_TYPE_VARCHAR,
    EIDER_TYPE_DATE,
    EIDER_TYPE_TIMESTAMP
} eider_type;

/* ---- configuration ------------------------------------------------------------------- */

/* Creates an empty configuration; options not set keep their defaults. */
eider_state eider_config_create(eider_config **out);
/* Sets an option by name: "memory_limit", "threads", "temp_directory",
 * "max_temp_directory_size". The value is validated when the database opens. */
eider_state eider_config_set(eider_config *config, const char *name, const char *value);
void eider_config_destroy(eider_config *config);

/* ---- database and connections --------------------------------------------------------- */

/* Opens a database. path NULL or ":memory:" opens an in-memory database. config may be NULL.
 * On failure *out is NULL and, if error is not NULL, *error receives a message the caller
 * frees with eider_free. */
eider_state eider_open(const char *path, const eider_config *config, eider_database **out, char **error);
/* Closes the database; all its connections must have been disconnected. Returns every byte
 * of memory the database held to the operating system. */
void eider_close(eider_database *db);

eider_state eider_connect(eider_database *db, eider_connection **out);
void eider_disconnect(eider_connection *conn);

/* Asks the query running on conn (from another thread) to stop; it fails with
 * EIDER_ERROR_INTERRUPTED. Harmless when nothing runs. */
void eider_interrupt(eider_connection *conn);

/* Progress of the query running on conn, in percent (0..100), for progress bars; -1 when no
 * query runs or its progress is unknown. Safe to call from another thread. */
double eider_query_progress(eider_connection *conn);

/* ---- queries and results -------------------------------------------------------------- */

/* Runs one or more ';'-separated statements. *out always receives a result (also on
 * failure, carrying the error) that the caller destroys. The result is that of the last
 * statement; on error, statements before the failing one have taken effect, the failing one
 * has changed nothing and the ones after it did not run. */
eider_state eider_query(eider_connection *conn, const char *sql, eider_result **out);

/* Runs one or more ';'-separated statements like eider_query, but streams the rows of the last
 * one: they are not materialized, and the caller reads them batch by batch with
 * eider_result_fetch while the query still runs (on a thread of its own, at most a few batches
 * ahead of the reader; the batches are pool memory, so a result larger than memory_limit never
 * needs to fit anywhere). Earlier statements run to completion first. When this returns
 * EIDER_SUCCESS the column names and types are known; errors found before the last statement runs
 * (parser, binder, catalog, an earlier statement) come back here, in the result, as from
 * eider_query. Errors found while it runs (a conversion error at row 1,000,000, out of memory, an
 * interrupt) come back from eider_result_fetch.
 *
 * One stream per connection: a new query on the connection (eider_query, eider_execute, another
 * stream) or eider_disconnect first closes the open stream, as DuckDB does; fetching from a stream
 * closed before its end then fails with EIDER_ERROR_INVALID_INPUT. eider_result_destroy before the
 * end stops the query and frees everything it held; eider_interrupt(conn) makes the next fetch fail
 * with EIDER_ERROR_INTERRUPTED. A last statement that is not a query (INSERT, SHOW, ...) completes
 * before this returns; its rows are fetched the same way. *out always receives a result that the
 * caller destroys, before disconnecting. */
eider_state eider_query_streaming(eider_connection *conn, const char *sql, eider_result **out);

/* Fetches the next batch of rows (up to 2048) of a streaming result: *rows receives its row
 * count, 0 at the end (and at every later call). The value accessors' row indexes then refer to
 * this batch (0 .. *rows - 1); the previous batch is gone. EIDER_ERROR when the query failed while
 * running or the stream was closed (eider_result_error / _error_type tell why; every later fetch
 * fails the same way), and for a result that does not stream (an eider_query result is read by
 * row index instead; eider_result_error stays NULL then). */
eider_state eider_result_fetch(eider_result *result, uint64_t *rows);
/* True for a result of eider_query_streaming / eider_execute_streaming that did not fail at once. */
bool eider_result_is_streaming(const eider_result *result);

void eider_result_destroy(eider_result *result);

/* NULL when the query succeeded. */
const char *eider_result_error(const eider_result *result);
eider_error_type eider_result_error_type(const eider_result *result);

uint64_t eider_column_count(const eider_result *result);
const char *eider_column_name(const eider_result *result, uint64_t col);
eider_type eider_column_type(const eider_result *result, uint64_t col);
/* Full SQL type name of a column, e.g. "DECIMAL(18,3)" or "VARCHAR". */
const char *eider_column_type_name(const eider_result *result, uint64_t col);
/* Rows of the result; for a streaming result, the rows fetched so far (the total once fetch
 * returned 0 rows). */
uint64_t eider_row_count(const eider_result *result);
/* Rows inserted/affected by INSERT, CREATE TABLE AS; 0 for other statements. */
uint64_t eider_rows_changed(const eider_result *result);

bool eider_value_is_null(const eider_result *result, uint64_t col, uint64_t row);
/* Value accessors cast the stored value; a value that cannot be cast yields 0. */
int64_t eider_value_int64(const eider_result *result, uint64_t col, uint64_t row);
double eider_value_double(const eider_result *result, uint64_t col, uint64_t row);
bool eider_value_bool(const eider_result *result, uint64_t col, uint64_t row);
/* The value rendered as text (as CAST(x AS VARCHAR) would); NULL for SQL NULL.
 * The caller frees the string with eider_free. */
char *eider_value_text(const eider_result *result, uint64_t col, uint64_t row);

/* ---- prepared statements -------------------------------------------------------------- */

typedef struct eider_prepared_statement eider_prepared_statement;

/* Prepares one statement with `?` or `$n` parameters. *out always receives an object (also on
 * failure, carrying the error: eider_prepare_error) that the caller destroys. */
eider_state eider_prepare(eider_connection *conn, const char *sql, eider_prepared_statement **out);
const char *eider_prepare_error(const eider_prepared_statement *ps);
eider_error_type eider_prepare_error_type(const eider_prepared_statement *ps);
/* Number of parameters ($1..$n). */
uint64_t eider_nparams(const eider_prepared_statement *ps);
/* Bind parameter `index` (1-based). A bad index gives EIDER_ERROR and sets the prepare error. */
eider_state eider_bind_null(eider_prepared_statement *ps, uint64_t index);
eider_state eider_bind_bool(eider_prepared_statement *ps, uint64_t index, bool v);
eider_state eider_bind_int32(eider_prepared_statement *ps, uint64_t index, int32_t v);
eider_state eider_bind_int64(eider_prepared_statement *ps, uint64_t index, int64_t v);
eider_state eider_bind_double(eider_prepared_statement *ps, uint64_t index, double v);
eider_state eider_bind_varchar(eider_prepared_statement *ps, uint64_t index, const char *v);
eider_state eider_bind_varchar_length(eider_prepared_statement *ps, uint64_t index, const char *v, uint64_t length);
/* days since 1970-01-01 */
eider_state eider_bind_date(eider_prepared_statement *ps, uint64_t index, int32_t days);
/* microseconds since 1970-01-01 00:00:00 */
eider_state eider_bind_timestamp(eider_prepared_statement *ps, uint64_t index, int64_t micros);
/* Clears every bound value. */
eider_state eider_clear_bindings(eider_prepared_statement *ps);
/* Runs the statement with the values bound so far (every parameter must be bound). Like
 * eider_query, *out always receives a result the caller destroys. */
eider_state eider_execute(eider_prepared_statement *ps, eider_result **out);
/* eider_execute with the rows streamed, as eider_query_streaming. The bound values are copied:
 * binding new ones or destroying the statement does not affect a stream that is open. */
eider_state eider_execute_streaming(eider_prepared_statement *ps, eider_result **out);
void eider_prepared_destroy(eider_prepared_statement *ps);

/* ---- appender ------------------------------------------------------------------------- */

typedef struct eider_appender eider_appender;

/* Appends rows to an existing table, fast. Rows are buffered (in pool memory) and become
 * visible to other connections at eider_appender_flush, all together. schema may be NULL.
 * On failure *out is still set (carrying the error: eider_appender_error) and must be
 * destroyed. */
eider_state eider_appender_create(eider_connection *conn, const char *schema, const char *table,
                                  eider_appender **out);
const char *eider_appender_error(const eider_appender *app);
eider_error_type eider_appender_error_type(const eider_appender *app);
/* Values of the current row, one per column in table order. A value is converted to the column's
 * type as a CAST would; a value that does not convert fails at once. */
eider_state eider_append_bool(eider_appender *app, bool v);
eider_state eider_append_int32(eider_appender *app, int32_t v);
eider_state eider_append_int64(eider_appender *app, int64_t v);
eider_state eider_append_double(eider_appender *app, double v);
eider_state eider_append_varchar(eider_appender *app, const char *v);
eider_state eider_append_varchar_length(eider_appender *app, const char *v, uint64_t length);
eider_state eider_append_date(eider_appender *app, int32_t days);
eider_state eider_append_timestamp(eider_appender *app, int64_t micros);
eider_state eider_append_null(eider_appender *app);
/* Ends the current row: fails (and drops that row) if it has too few or too many values. */
eider_state eider_appender_end_row(eider_appender *app);
/* Makes the buffered rows visible, atomically. On failure none of them is visible. */
eider_state eider_appender_flush(eider_appender *app);
/* Flushes, then frees the appender. Returns the flush's state. */
eider_state eider_appender_destroy(eider_appender *app);

/* Frees memory returned by the API (error strings, eider_value_text). */
void eider_free(void *ptr);

/* The library version, e.g. "0.1.0". */
const char *eider_version(void);

#ifdef __cplusplus
}
#endif

#endif
