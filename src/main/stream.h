/*
 * stream.h — streaming results (eider_query_streaming, eider_execute_streaming,
 * eider_result_fetch): the rows of the last statement reach the caller batch by batch instead of
 * being materialized.
 *
 * A query's plan runs on a producer thread of its own. Its result collector appends the rows it
 * receives to a batch of up to VECTOR_SIZE rows; a full batch goes into a bounded queue of
 * STREAM_QUEUE_BATCHES batches, and the collector blocks while the queue is full, so the query
 * runs only as far ahead of the reader as the queue allows. eider_result_fetch takes the next
 * batch (the one it returned before goes back to the producer for reuse): at most
 * STREAM_QUEUE_BATCHES + 2 batches exist at once, in pool memory under tag COLUMN_DATA (pinned,
 * strings copied into each batch's own arena).
 *
 * A statement that is not a query (INSERT, SHOW, EXPLAIN, ...) ends its last statement before
 * eider_query_streaming returns; its few rows are materialized and fetch hands them out in batches
 * all the same.
 *
 * A stream is tied to its connection (conn->stream) while it is open: a new query on the
 * connection, eider_disconnect and eider_result_destroy close it (the producer is stopped through
 * the connection's interrupt flag and joined; its plan, queue and batches are freed). A closed
 * stream that had not reached its end fails the next fetch. eider_interrupt on the connection
 * makes the next fetch fail with EIDER_ERROR_INTERRUPTED. A stream, like its connection, is used
 * by one thread at a time.
 */
#ifndef EIDER_STREAM_H
#define EIDER_STREAM_H

#include "common/arena.h"
#include "common/error.h"
#include "common/vector.h"
#include "main/database.h"

typedef struct physical_op physical_op;

/* Full batches the queue holds before the producer waits. */
#define STREAM_QUEUE_BATCHES 4

typedef struct result_stream result_stream;

/* Starts streaming the plan `root` (a result collector over result) on a producer thread. The
 * stream takes arenas `plan` (the plan and what it was bound from) and `parse` (may be NULL) and
 * destroys them when the producer ends, on every path. result must already have its columns
 * (result_set_columns) and no row store; on success result->stream is set and conn->stream
 * points at it. On failure the arenas are destroyed too and err is set. */
bool stream_start(eider_result *result, eider_connection *conn, arena *plan, arena *parse, physical_op *root,
                  error *err);
/* Wraps a result whose rows are already materialized (result->rows, possibly NULL) in a stream
 * that fetch reads them from. */
bool stream_start_materialized(eider_result *result, eider_connection *conn, error *err);

/* The collector's entry: copies c's rows into the stream's batches, waiting while the queue is
 * full. Fails (Interrupted) when the stream is closed or the query interrupted. */
bool stream_push(result_stream *s, const chunk *c, error *err);

/* The next batch: *batch receives it (NULL, with *rows 0, at the end). On failure the stream is
 * finished and err holds why (the query's own error, an interrupt, or the stream's closing). */
bool stream_fetch(result_stream *s, const chunk **batch, uint64_t *rows, error *err);
/* The batch the last fetch returned (NULL before the first and after the end or a failure). */
const chunk *stream_current(const result_stream *s);
/* Rows fetched so far. */
uint64_t stream_rows_fetched(const result_stream *s);

/* Closes the connection's open stream, if any, because another query runs on it or it
 * disconnects: the producer is stopped and everything but the result's metadata freed. */
void stream_close_connection(eider_connection *conn);
/* Stops the producer, frees the stream and detaches it from its connection. */
void stream_destroy(result_stream *s);

#endif
