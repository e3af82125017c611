/*
 * stream.c — streaming results: the producer thread, the bounded queue of batches and fetch.
 *
 * Ownership: the stream struct is the result's (pool_calloc'ed, freed by stream_destroy). The plan
 * and parse arenas belong to the producer thread from stream_start on; it destroys them when the
 * plan has run (so the query's memory goes back while the reader still has batches to read).
 * Batches (stream_batch, each in its own COLUMN_DATA arena) move between the producer's fill
 * batch, the ready queue, the reader's current batch and the free list; stream_stop frees them
 * all once the producer has been joined.
 *
 * Locking: `lock` guards the ready queue, the free list, `state`, `producer_err` and `cancel`.
 * `fill` is the producer side's (the collector calls stream_push under its own lock, and the
 * producer thread flushes it after every pipeline thread is done); `current`, `ended`, `failed`
 * and `err` are the reader's.
 */
#include "main/stream.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#include "main/query_internal.h"
#include "main/result.h"
#include "memory/pool.h"
#include "storage/column_store.h"

/* How often a waiting side looks at the connection's interrupt flag. */
#define STREAM_POLL_NANOS (20 * 1000 * 1000L)
/* Largest piece of string bytes taken from a batch's arena at once. */
#define STREAM_STRING_PIECE ((size_t)32 << 10)

typedef struct stream_batch {
    arena *mem;     /* the batch itself and its chunk's vectors (COLUMN_DATA) */
    arena *strings; /* bytes of the long strings of its rows (COLUMN_DATA), emptied on reuse */
    chunk *c;
    struct stream_batch *next;
} stream_batch;

typedef enum producer_state { PRODUCER_RUNNING, PRODUCER_DONE, PRODUCER_FAILED } producer_state;

struct result_stream {
    eider_result *result;
    eider_connection *conn; /* NULL once closed */
    buffer_pool *pool;
    /* producer */
    arena *plan, *parse;
    physical_op *root;
    pthread_t thread;
    bool joinable;
    pthread_mutex_t lock;
    pthread_cond_t changed; /* a batch was queued or taken, the producer ended, or cancel was set */
    stream_batch *ready_head, *ready_tail;
    uint32_t ready_count;
    stream_batch *free_list;
    stream_batch *fill; /* the batch the collector appends to */
    producer_state state;
    error producer_err;
    bool cancel;
    /* reader */
    stream_batch *current;
    bool ended, failed;
    error err;
    uint64_t fetched;
    /* a materialized result read in batches */
    bool materialized;
    column_store_scan scan;
    bool scan_open;
    arena *scan_arena;
    chunk *scan_chunk;
};

/* ---- batches ----------------------------------------------------------------------------- */

static void batch_free(stream_batch *b) {
    if (!b) return;
    if (b->strings) arena_destroy(b->strings);
    arena_destroy(b->mem);
}

static void batch_list_free(stream_batch *b) {
    while (b) {
        stream_batch *next = b->next;
        batch_free(b);
        b = next;
    }
}

static stream_batch *batch_create(result_stream *s, error *err) {
    arena *mem = arena_create(s->pool, TAG_COLUMN_DATA);
    if (!mem) {
        error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate a result batch");
        return NULL;
    }
    stream_batch *b = arena_alloc(mem, sizeof *b, err);
    if (b) {
        b->mem = mem;
        b->c = chunk_create(mem, s->result->types, s->result->column_count, err);
    }
    if (!b || !b->c) {
        arena_destroy(mem);
        return NULL;
    }
    return b;
}

/* A batch to fill: one the reader gave back, or a new one. */
static stream_batch *batch_take(result_stream *s, error *err) {
    pthread_mutex_lock(&s->lock);
    stream_batch *b = s->free_list;
    if (b) s->free_list = b->next;
    pthread_mutex_unlock(&s->lock);
    if (!b) return batch_create(s, err);
    b->next = NULL;
    chunk_reset(b->c);
    if (b->strings) arena_reset(b->strings);
    return b;
}

static void batch_give_back(result_stream *s, stream_batch *b) {
    pthread_mutex_lock(&s->lock);
    b->next = s->free_list;
    s->free_list = b;
    pthread_mutex_unlock(&s->lock);
}

/* Appends rows [from, from + n) of src to b (n fits); long strings are copied into b's arena. */
static bool batch_append(result_stream *s, stream_batch *b, const chunk *src, uint32_t from, uint32_t n, error *err) {
    chunk *dst = b->c;
    uint32_t at = dst->count;
    for (uint32_t col = 0; col < dst->column_count; col++) {
        vector *dv = &dst->columns[col];
        const vector *sv = &src->columns[col];
        size_t sz = type_physical_size(dv->type);
        if (sz) memcpy((char *)dv->data + (size_t)at * sz, (const char *)sv->data + (size_t)from * sz, (size_t)n * sz);
        for (uint32_t i = 0; i < n; i++)
            if (!vector_is_valid(sv, from + i)) vector_set_null(dv, at + i);
        if (dv->type.id != TYPE_VARCHAR) continue;
        string_t *strs = (string_t *)dv->data + at;
        size_t bytes = 0;
        for (uint32_t i = 0; i < n; i++)
            if (vector_is_valid(dv, at + i) && strs[i].length > STRING_INLINE_LENGTH) bytes += strs[i].length;
        if (bytes == 0) continue;
        if (!b->strings && !(b->strings = arena_create(s->pool, TAG_COLUMN_DATA)))
            return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate a result batch's strings");
        /* pieces of at most STREAM_STRING_PIECE bytes stay in the arena's standard blocks, which a
         * reused batch keeps (a larger request would map and unmap a block of its own each time) */
        char *to = NULL;
        size_t left = 0;
        for (uint32_t i = 0; i < n; i++) {
            if (!vector_is_valid(dv, at + i) || strs[i].length <= STRING_INLINE_LENGTH) continue;
            uint32_t len = strs[i].length;
            if (len > left) {
                left = bytes < STREAM_STRING_PIECE ? bytes : STREAM_STRING_PIECE;
                if (left < len) left = len;
                if (!(to = arena_alloc(b->strings, left, err))) return false;
            }
            memcpy(to, strs[i].value.pointer.ptr, len);
            strs[i].value.pointer.ptr = to;
            to += len;
            left -= len;
            bytes -= len;
        }
    }
    dst->count = at + n;
    return true;
}

/* ---- the queue ---------------------------------------------------------------------------- */

static void deadline_in(struct timespec *ts, long nanos) {
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_nsec += nanos;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static bool producer_should_stop(result_stream *s) {
    return s->cancel || atomic_load(&s->conn->interrupted);
}

/* Queues a full (or the last) batch, waiting while the queue is full. The producer's side. */
static bool enqueue(result_stream *s, stream_batch *b, error *err) {
    pthread_mutex_lock(&s->lock);
    while (s->ready_count >= STREAM_QUEUE_BATCHES && !producer_should_stop(s)) {
        struct timespec ts;
        deadline_in(&ts, STREAM_POLL_NANOS);
        pthread_cond_timedwait(&s->changed, &s->lock, &ts);
    }
    if (producer_should_stop(s)) {
        pthread_mutex_unlock(&s->lock);
        return error_set(err, EIDER_ERROR_INTERRUPTED, "Interrupted!");
    }
    b->next = NULL;
    if (s->ready_tail) s->ready_tail->next = b;
    else s->ready_head = b;
    s->ready_tail = b;
    s->ready_count++;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
    return true;
}

bool stream_push(result_stream *s, const chunk *c, error *err) {
    uint32_t from = 0;
    while (from < c->count) {
        if (!s->fill && !(s->fill = batch_take(s, err))) return false;
        uint32_t room = VECTOR_SIZE - s->fill->c->count;
        uint32_t n = c->count - from < room ? c->count - from : room;
        if (!batch_append(s, s->fill, c, from, n, err)) return false;
        from += n;
        if (s->fill->c->count == VECTOR_SIZE) {
            if (!enqueue(s, s->fill, err)) return false;
            s->fill = NULL;
        }
    }
    return true;
}

/* ---- the producer ------------------------------------------------------------------------- */

static void *stream_producer(void *arg) {
    result_stream *s = arg;
    error err;
    error_clear(&err);
    statement_context sc = {
        .conn = s->conn, .db = s->conn->db, .arena = s->plan, .err = &err, .result = s->result};
    bool ok = run_plan(&sc, s->root);
    if (ok && s->fill && s->fill->c->count > 0) {
        ok = enqueue(s, s->fill, &err);
        if (ok) s->fill = NULL;
    }
    /* the plan's memory goes back now, while the reader may still have batches to read */
    arena_destroy(s->plan);
    s->plan = NULL;
    if (s->parse) arena_destroy(s->parse);
    s->parse = NULL;
    if (!ok && !error_is_set(&err)) error_set(&err, EIDER_ERROR_INTERNAL, "query failed without an error message");
    atomic_store(&s->conn->progress, -1);
    pthread_mutex_lock(&s->lock);
    s->state = ok ? PRODUCER_DONE : PRODUCER_FAILED;
    s->producer_err = err;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* Stops and joins the producer (if any) and frees every batch, the scan and its chunk. */
static void stream_stop(result_stream *s) {
    if (s->joinable) {
        pthread_mutex_lock(&s->lock);
        bool running = s->state == PRODUCER_RUNNING;
        s->cancel = true;
        pthread_cond_broadcast(&s->changed);
        pthread_mutex_unlock(&s->lock);
        /* the executor looks at the connection's flag between chunks: a plan busy in a sort or a
         * join build stops as soon as it would when interrupted */
        if (running) atomic_store(&s->conn->interrupted, true);
        pthread_join(s->thread, NULL);
        s->joinable = false;
        if (running) atomic_store(&s->conn->interrupted, false);
    }
    batch_list_free(s->ready_head);
    s->ready_head = s->ready_tail = NULL;
    s->ready_count = 0;
    batch_list_free(s->free_list);
    s->free_list = NULL;
    batch_free(s->fill);
    s->fill = NULL;
    batch_free(s->current);
    s->current = NULL;
    if (s->scan_open) column_store_scan_end(&s->scan);
    s->scan_open = false;
    if (s->scan_chunk) chunk_destroy(s->scan_chunk);
    s->scan_chunk = NULL;
    if (s->scan_arena) arena_destroy(s->scan_arena);
    s->scan_arena = NULL;
}

/* The reader's side ends the stream with an error. */
static void stream_fail(result_stream *s, const error *e) {
    stream_stop(s);
    s->failed = true;
    s->err = *e;
}

static result_stream *stream_create(eider_result *result, eider_connection *conn, error *err) {
    result_stream *s = pool_calloc(conn->db->pool, 1, sizeof *s);
    if (!s) {
        error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate a streaming result");
        return NULL;
    }
    s->result = result;
    s->conn = conn;
    s->pool = conn->db->pool;
    error_clear(&s->producer_err);
    error_clear(&s->err);
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&s->changed, &attr);
    pthread_condattr_destroy(&attr);
    return s;
}

/* Frees the struct (nothing may run any more). */
static void stream_free(result_stream *s) {
    pthread_cond_destroy(&s->changed);
    pthread_mutex_destroy(&s->lock);
    pool_free(s->pool, s);
}

bool stream_start(eider_result *result, eider_connection *conn, arena *plan, arena *parse, physical_op *root,
                  error *err) {
    result_stream *s = stream_create(result, conn, err);
    if (!s) {
        arena_destroy(plan);
        if (parse) arena_destroy(parse);
        return false;
    }
    s->plan = plan;
    s->parse = parse;
    s->root = root;
    s->state = PRODUCER_RUNNING;
    result->stream = s;
    int rc = pthread_create(&s->thread, NULL, stream_producer, s);
    if (rc != 0) {
        result->stream = NULL;
        arena_destroy(plan);
        if (parse) arena_destroy(parse);
        stream_free(s);
        return error_set(err, EIDER_ERROR_INTERNAL, "could not start the query's thread: %s", strerror(rc));
    }
    s->joinable = true;
    conn->stream = s;
    return true;
}

bool stream_start_materialized(eider_result *result, eider_connection *conn, error *err) {
    result_stream *s = stream_create(result, conn, err);
    if (!s) return false;
    s->materialized = true;
    s->state = PRODUCER_DONE;
    result->stream = s;
    conn->stream = s;
    return true;
}

/* ---- the reader --------------------------------------------------------------------------- */

static bool fetch_materialized(result_stream *s, const chunk **batch, uint64_t *rows, error *err) {
    column_store *store = s->result->rows;
    if (!store) {
        s->ended = true;
        return true;
    }
    if (!s->scan_open) {
        if (!s->scan_arena) s->scan_arena = arena_create(s->pool, TAG_COLUMN_DATA);
        if (!s->scan_arena) return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate a result batch");
        s->scan_chunk = chunk_create(s->scan_arena, s->result->types, s->result->column_count, err);
        if (!s->scan_chunk) return false;
        column_store_scan_begin(store, &s->scan, 0, column_store_row_count(store), NULL, s->result->column_count);
        s->scan_open = true;
    }
    chunk_reset(s->scan_chunk);
    if (!column_store_scan_next(&s->scan, s->scan_chunk, err)) return false;
    if (s->scan_chunk->count == 0) {
        stream_stop(s);
        s->ended = true;
        return true;
    }
    *batch = s->scan_chunk;
    *rows = s->scan_chunk->count;
    s->fetched += *rows;
    return true;
}

bool stream_fetch(result_stream *s, const chunk **batch, uint64_t *rows, error *err) {
    *batch = NULL;
    *rows = 0;
    if (s->current) {
        batch_give_back(s, s->current);
        s->current = NULL;
    }
    if (s->failed) {
        *err = s->err;
        return false;
    }
    if (s->ended) return true;
    if (s->materialized) {
        error e;
        error_clear(&e);
        if (fetch_materialized(s, batch, rows, &e)) return true;
        stream_fail(s, &e);
        *err = e;
        return false;
    }
    stream_batch *b = NULL;
    error e;
    error_clear(&e);
    pthread_mutex_lock(&s->lock);
    for (;;) {
        if (atomic_load(&s->conn->interrupted)) {
            error_set(&e, EIDER_ERROR_INTERRUPTED, "Interrupted!");
            break;
        }
        if (s->state == PRODUCER_FAILED) {
            e = s->producer_err;
            break;
        }
        if (s->ready_head) {
            b = s->ready_head;
            s->ready_head = b->next;
            if (!s->ready_head) s->ready_tail = NULL;
            s->ready_count--;
            b->next = NULL;
            pthread_cond_broadcast(&s->changed);
            break;
        }
        if (s->state == PRODUCER_DONE) break;
        struct timespec ts;
        deadline_in(&ts, STREAM_POLL_NANOS);
        pthread_cond_timedwait(&s->changed, &s->lock, &ts);
    }
    pthread_mutex_unlock(&s->lock);
    if (error_is_set(&e)) {
        stream_fail(s, &e);
        *err = e;
        return false;
    }
    if (!b) { /* the end: the producer is done and every batch was read */
        stream_stop(s);
        s->ended = true;
        return true;
    }
    s->current = b;
    s->fetched += b->c->count;
    *batch = b->c;
    *rows = b->c->count;
    return true;
}

const chunk *stream_current(const result_stream *s) {
    if (s->current) return s->current->c;
    if (s->materialized && s->scan_open && s->scan_chunk && s->scan_chunk->count) return s->scan_chunk;
    return NULL;
}

uint64_t stream_rows_fetched(const result_stream *s) { return s->fetched; }

/* ---- closing ------------------------------------------------------------------------------ */

void stream_close_connection(eider_connection *conn) {
    result_stream *s = conn->stream;
    if (!s) return;
    if (!s->ended && !s->failed) {
        error e;
        error_clear(&e);
        error_set(&e, EIDER_ERROR_INVALID_INPUT,
                  "The streaming result was closed before its end: another query ran on its connection, or the "
                  "connection was closed");
        stream_fail(s, &e);
    } else {
        stream_stop(s);
    }
    s->conn = NULL;
    conn->stream = NULL;
}

void stream_destroy(result_stream *s) {
    if (!s) return;
    stream_stop(s);
    if (s->conn && s->conn->stream == s) s->conn->stream = NULL;
    stream_free(s);
}
