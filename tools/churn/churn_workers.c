/*
 * churn_workers.c — the worker pool (pthreads and a bounded ring queue) and the tasks it runs:
 * ingestion (connect, CREATE TABLE, appender, count(*) check, disconnect) and drop.
 *
 * Each worker publishes the connection it is using in its slot, so that a shutdown that runs
 * out of time can interrupt the statement in flight (eider_interrupt is safe from any thread;
 * the slot's mutex keeps the connection alive while it is interrupted).
 *
 * Table status ring: a created table sets its slot (table number modulo the ring size); the drop
 * task clears it and counts a drop only if it was set, so "dropped" counts tables, not
 * statements. The ring is far longer than the drop distance, so a slot is never reused before
 * its drop.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "churn.h"

#define QUEUE_CAPACITY 256

typedef struct worker_slot {
    pthread_t thread;
    pthread_mutex_t lock;
    eider_connection *conn; /* in use by this worker, or NULL */
    struct churn_pool *pool;
} worker_slot;

struct churn_pool {
    churn_pool_config cfg;
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full, idle;
    churn_task queue[QUEUE_CAPACITY];
    size_t head, count, running;
    bool stopping;  /* no more submissions; workers exit when the queue is empty */
    bool abandon;   /* discard what is queued */
    worker_slot *slots;
    int started;
    atomic_uchar *status; /* table status ring */
    size_t ring;
};

void churn_error(churn_counters *c, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fprintf(stderr, "churn: error: %s\n", buf);
    fflush(stderr);
    if (c) atomic_fetch_add(&c->errors, 1);
}

/* ---- tasks ---------------------------------------------------------------------------------- */

static void set_conn(worker_slot *w, eider_connection *conn) {
    pthread_mutex_lock(&w->lock);
    w->conn = conn;
    pthread_mutex_unlock(&w->lock);
}

/* Runs sql; on failure prints an error line naming `what`. */
static bool run(churn_counters *c, eider_connection *conn, const char *sql, const char *what, eider_result **keep) {
    eider_result *r = NULL;
    eider_query(conn, sql, &r);
    const char *msg = r ? eider_result_error(r) : "no result";
    if (msg) {
        churn_error(c, "%s: %s", what, msg);
        eider_result_destroy(r);
        return false;
    }
    if (keep) *keep = r;
    else eider_result_destroy(r);
    return true;
}

static void task_ingest(worker_slot *w, uint64_t table) {
    double t0 = churn_now();
    churn_pool *p = w->pool;
    churn_counters *c = p->cfg.counters;
    char name[32], sql[128], msg[32], what[64];
    snprintf(name, sizeof name, "T%09llu", (unsigned long long)table);
    eider_connection *conn = NULL;
    if (eider_connect(p->cfg.db, &conn) != EIDER_SUCCESS) {
        churn_error(c, "%s: cannot connect", name);
        return;
    }
    set_conn(w, conn);
    snprintf(sql, sizeof sql, "CREATE TABLE %s (id BIGINT, message VARCHAR)", name);
    snprintf(what, sizeof what, "create %s", name);
    if (!run(c, conn, sql, what, NULL)) goto done;
    atomic_fetch_add(&c->created, 1);
    atomic_store(&p->status[table % p->ring], 1);

    eider_appender *app = NULL;
    eider_state st = eider_appender_create(conn, NULL, name, &app);
    if (st != EIDER_SUCCESS) {
        churn_error(c, "appender on %s: %s", name, app ? eider_appender_error(app) : "no appender");
        if (app) eider_appender_destroy(app);
        goto done;
    }
    bool ok = true;
    for (uint64_t i = 0; i < p->cfg.rows && ok; i++) {
        snprintf(msg, sizeof msg, "Hello, %09llu!", (unsigned long long)i);
        ok = eider_append_int64(app, (int64_t)i) == EIDER_SUCCESS && eider_append_varchar(app, msg) == EIDER_SUCCESS &&
             eider_appender_end_row(app) == EIDER_SUCCESS;
    }
    if (ok) ok = eider_appender_flush(app) == EIDER_SUCCESS;
    if (!ok) churn_error(c, "append to %s: %s", name, eider_appender_error(app) ? eider_appender_error(app) : "?");
    if (eider_appender_destroy(app) != EIDER_SUCCESS && ok) {
        churn_error(c, "closing the appender on %s failed", name);
        ok = false;
    }
    if (!ok) goto done;
    atomic_fetch_add(&c->rows, p->cfg.rows);

    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", name);
    snprintf(what, sizeof what, "count %s", name);
    eider_result *r = NULL;
    if (!run(c, conn, sql, what, &r)) goto done;
    int64_t n = eider_row_count(r) == 1 ? eider_value_int64(r, 0, 0) : -1;
    eider_result_destroy(r);
    if (n != (int64_t)p->cfg.rows)
        churn_error(c, "%s: count(*) is %lld, expected %llu", name, (long long)n, (unsigned long long)p->cfg.rows);
    else atomic_fetch_add(&c->loaded, 1);
done:
    set_conn(w, NULL);
    eider_disconnect(conn);
    uint64_t us = (uint64_t)((churn_now() - t0) * 1e6);
    atomic_fetch_add(&c->ingest_us, us);
    uint64_t max = atomic_load(&c->ingest_max_us);
    while (us > max && !atomic_compare_exchange_weak(&c->ingest_max_us, &max, us)) {
    }
}

static void task_drop(worker_slot *w, uint64_t table) {
    churn_pool *p = w->pool;
    churn_counters *c = p->cfg.counters;
    char sql[64], what[64];
    eider_connection *conn = NULL;
    if (eider_connect(p->cfg.db, &conn) != EIDER_SUCCESS) {
        churn_error(c, "drop T%09llu: cannot connect", (unsigned long long)table);
        return;
    }
    set_conn(w, conn);
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS T%09llu", (unsigned long long)table);
    snprintf(what, sizeof what, "drop T%09llu", (unsigned long long)table);
    if (run(c, conn, sql, what, NULL)) {
        atomic_fetch_add(&c->drop_statements, 1);
        if (atomic_exchange(&p->status[table % p->ring], 0)) atomic_fetch_add(&c->dropped, 1);
    }
    set_conn(w, NULL);
    eider_disconnect(conn);
}

/* ---- pool ----------------------------------------------------------------------------------- */

static void *worker_main(void *arg) {
    worker_slot *w = arg;
    churn_pool *p = w->pool;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->count && !p->stopping) pthread_cond_wait(&p->not_empty, &p->lock);
        if (p->abandon && p->count) {
            atomic_fetch_add(&p->cfg.counters->abandoned, p->count);
            p->count = 0;
            pthread_cond_broadcast(&p->not_full);
        }
        if (!p->count) break; /* stopping and nothing left */
        churn_task t = p->queue[p->head];
        p->head = (p->head + 1) % QUEUE_CAPACITY;
        p->count--;
        p->running++;
        pthread_cond_signal(&p->not_full);
        pthread_mutex_unlock(&p->lock);
        if (t.kind == CHURN_TASK_INGEST) task_ingest(w, t.table);
        else task_drop(w, t.table);
        pthread_mutex_lock(&p->lock);
        p->running--;
        if (!p->count && !p->running) pthread_cond_broadcast(&p->idle);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static void pool_free(churn_pool *p) {
    for (int i = 0; i < p->cfg.workers; i++) pthread_mutex_destroy(&p->slots[i].lock);
    pthread_cond_destroy(&p->not_empty);
    pthread_cond_destroy(&p->not_full);
    pthread_cond_destroy(&p->idle);
    pthread_mutex_destroy(&p->lock);
    free(p->slots);
    free(p->status);
    free(p);
}

churn_pool *churn_pool_start(const churn_pool_config *config) {
    churn_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->cfg = *config;
    p->ring = (size_t)config->tables * 4 + 1024;
    p->status = calloc(p->ring, sizeof *p->status);
    p->slots = calloc((size_t)config->workers, sizeof *p->slots);
    pthread_mutex_init(&p->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->not_empty, NULL);
    pthread_cond_init(&p->not_full, NULL);
    pthread_cond_init(&p->idle, &ca);
    pthread_condattr_destroy(&ca);
    for (int i = 0; p->slots && i < config->workers; i++) pthread_mutex_init(&p->slots[i].lock, NULL);
    if (!p->status || !p->slots) {
        fprintf(stderr, "churn: out of memory starting the worker pool\n");
        if (!p->slots) p->cfg.workers = 0;
        pool_free(p);
        return NULL;
    }
    /* workers never take SIGINT: the main thread handles it */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    for (int i = 0; i < config->workers; i++) {
        p->slots[i].pool = p;
        if (pthread_create(&p->slots[i].thread, NULL, worker_main, &p->slots[i]) != 0) {
            fprintf(stderr, "churn: cannot start worker thread %d\n", i);
            break;
        }
        p->started++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (p->started < config->workers) {
        double waited;
        churn_pool_drain_and_stop(p, 0, &waited);
        return NULL;
    }
    return p;
}

bool churn_pool_submit(churn_pool *p, churn_task task) {
    pthread_mutex_lock(&p->lock);
    while (p->count == QUEUE_CAPACITY && !p->stopping) pthread_cond_wait(&p->not_full, &p->lock);
    bool ok = !p->stopping;
    if (ok) {
        p->queue[(p->head + p->count) % QUEUE_CAPACITY] = task;
        p->count++;
        pthread_cond_signal(&p->not_empty);
    }
    pthread_mutex_unlock(&p->lock);
    return ok;
}

size_t churn_pool_pending(churn_pool *p) {
    pthread_mutex_lock(&p->lock);
    size_t n = p->count + p->running;
    pthread_mutex_unlock(&p->lock);
    return n;
}

bool churn_pool_drain_and_stop(churn_pool *p, double timeout_s, double *waited_s) {
    double t0 = churn_now();
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += (time_t)timeout_s;
    deadline.tv_nsec += (long)((timeout_s - (double)(time_t)timeout_s) * 1e9);
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->not_empty);
    pthread_cond_broadcast(&p->not_full);
    while ((p->count || p->running) && p->started > 0)
        if (pthread_cond_timedwait(&p->idle, &p->lock, &deadline) != 0) break;
    bool drained = !p->count && !p->running;
    if (!drained) p->abandon = true;
    pthread_cond_broadcast(&p->not_empty);
    pthread_mutex_unlock(&p->lock);
    if (!drained)
        for (int i = 0; i < p->started; i++) {
            pthread_mutex_lock(&p->slots[i].lock);
            if (p->slots[i].conn) eider_interrupt(p->slots[i].conn);
            pthread_mutex_unlock(&p->slots[i].lock);
        }
    for (int i = 0; i < p->started; i++) pthread_join(p->slots[i].thread, NULL);
    if (waited_s) *waited_s = churn_now() - t0;
    pool_free(p);
    return drained;
}

/* ---- final drops ------------------------------------------------------------------------------ */

uint64_t churn_drop_all(eider_database *db, churn_counters *c) {
    eider_connection *conn = NULL;
    if (eider_connect(db, &conn) != EIDER_SUCCESS) {
        churn_error(c, "final drops: cannot connect");
        return 0;
    }
    uint64_t dropped = 0;
    eider_result *r = NULL;
    if (run(c, conn, "SHOW TABLES", "final drops: SHOW TABLES", &r)) {
        for (uint64_t i = 0; i < eider_row_count(r); i++) {
            char *name = eider_value_text(r, 0, i);
            if (!name) continue;
            char sql[300], what[300];
            snprintf(sql, sizeof sql, "DROP TABLE \"%s\"", name);
            snprintf(what, sizeof what, "final drop %s", name);
            if (run(c, conn, sql, what, NULL)) {
                dropped++;
                unsigned long long n;
                if (sscanf(name, "T%llu", &n) == 1) atomic_fetch_add(&c->dropped, 1);
            }
            eider_free(name);
        }
        eider_result_destroy(r);
    }
    eider_disconnect(conn);
    return dropped;
}
