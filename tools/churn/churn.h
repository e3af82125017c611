/*
 * churn.h — eider-churn, the long-running create/load/drop workload of the seed.
 *
 * One in-memory database; a pool of worker threads fed through a bounded queue by a rate
 * limiter on the main thread. Each ingestion task opens its own connection, creates a table
 * Tnnnnnnnnn (id BIGINT, message VARCHAR), appends rows with the appender, checks count(*) and
 * disconnects; once `tables` tables have been submitted, each submission also drops the table
 * `tables` behind it, so about `tables` tables exist at any time. The main thread prints the
 * process's resident memory once a second and, at the end, a report (counts, RSS, the slope of
 * RSS over the second half of the run, the pool's bytes per tag) and optional checks.
 *
 * Modules: churn_main.c (options, the main loop, the report), churn_workers.c (thread pool and
 * the tasks), churn_stats.c (durations, RSS, samples, least squares, CSV and gnuplot).
 */
#ifndef EIDER_CHURN_H
#define EIDER_CHURN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "eider.h"

/* ---- durations, RSS and samples (churn_stats.c) ------------------------------------------ */

/* Parses an ISO-8601 duration as java.time.Duration does: [-]PnDTnHnMn.nS, case-insensitive
 * (e.g. PT30S, PT1H, P1D, PT1H30M, PT0.5S). Negative durations are refused. */
bool churn_parse_duration(const char *text, double *seconds);

/* Resident set size of this process in KiB from /proc/self/status (VmRSS), -1 if unknown. */
long churn_rss_kib(void);

/* Seconds on CLOCK_MONOTONIC. */
double churn_now(void);

/* One RSS sample: seconds since the start, KiB. */
typedef struct churn_sample {
    float t;
    uint32_t rss_kib;
} churn_sample;

/* The samples of one run, in a plain array of 8 bytes per second of run time (sized for the
 * planned duration up front; it grows only if the run goes on longer). */
typedef struct churn_samples {
    churn_sample *v;
    size_t n, cap;
} churn_samples;

bool churn_samples_init(churn_samples *s, size_t expected);
bool churn_samples_add(churn_samples *s, double t, long rss_kib);
void churn_samples_free(churn_samples *s);

/* Statistics of the samples with t in [from, to]. */
typedef struct churn_window {
    size_t n;
    double slope_kib_per_min; /* least squares */
    long min_kib, max_kib;
    double mean_kib;
} churn_window;

churn_window churn_samples_window(const churn_samples *s, double from, double to);

/* Writes the samples as CSV (elapsed_s,rss_kib). */
bool churn_write_csv(const churn_samples *s, const char *path);
/* Draws RSS over time with gnuplot into a PNG; data is read from csv_path. */
bool churn_plot(const char *csv_path, const char *png_path, const char *title, long limit_kib);

/* ---- worker pool and tasks (churn_workers.c) --------------------------------------------- */

typedef enum churn_task_kind { CHURN_TASK_INGEST, CHURN_TASK_DROP } churn_task_kind;

typedef struct churn_task {
    churn_task_kind kind;
    uint64_t table;
} churn_task;

/* Shared counters, updated by the workers. */
typedef struct churn_counters {
    atomic_uint_fast64_t created;       /* CREATE TABLE succeeded */
    atomic_uint_fast64_t loaded;        /* ingestion completed and count(*) checked */
    atomic_uint_fast64_t rows;          /* rows appended and flushed */
    atomic_uint_fast64_t dropped;       /* tables dropped that had been created */
    atomic_uint_fast64_t drop_statements;
    atomic_uint_fast64_t errors;        /* error lines printed */
    atomic_uint_fast64_t abandoned;     /* tasks discarded at shutdown */
    atomic_uint_fast64_t ingest_us;     /* time spent in ingestion tasks, in all */
    atomic_uint_fast64_t ingest_max_us; /* the longest ingestion task */
} churn_counters;

typedef struct churn_pool churn_pool;

typedef struct churn_pool_config {
    eider_database *db;
    int workers;
    uint64_t rows;
    uint64_t tables; /* drop distance; sizes the table-status ring */
    churn_counters *counters;
} churn_pool_config;

/* Starts the workers. NULL on failure (message printed). */
churn_pool *churn_pool_start(const churn_pool_config *config);
/* Queues a task, waiting while the queue is full. False once the pool is stopping. */
bool churn_pool_submit(churn_pool *pool, churn_task task);
/* Tasks queued or running. */
size_t churn_pool_pending(churn_pool *pool);
/* Stops taking tasks and waits up to timeout_s for the queued and running ones; then
 * discards what is still queued, interrupts what is still running and joins the workers.
 * Returns true when everything finished within the time. Frees the pool. */
bool churn_pool_drain_and_stop(churn_pool *pool, double timeout_s, double *waited_s);

/* Prints an error line on stderr and counts it. */
void churn_error(churn_counters *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Drops every table left in the database on its own connection; returns how many. */
uint64_t churn_drop_all(eider_database *db, churn_counters *c);

#endif
