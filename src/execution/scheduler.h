/*
 * scheduler.h — the database's worker threads. A pipeline that runs on n threads is one job of
 * n tasks; the calling thread takes tasks of its own job too, so a job always completes even
 * when every worker is busy with other queries. Workers sleep when there is nothing to do.
 */
#ifndef EIDER_SCHEDULER_H
#define EIDER_SCHEDULER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "memory/pool.h"

typedef struct scheduler scheduler;

/* Creates a scheduler with `threads - 1` workers (the caller is the n-th thread). */
scheduler *scheduler_create(buffer_pool *pool, uint32_t threads, error *err);
/* Stops and joins the workers. No job may be running. */
void scheduler_destroy(scheduler *s);
/* Grows or shrinks the number of workers to threads - 1. */
bool scheduler_set_threads(scheduler *s, uint32_t threads, error *err);

/* Runs task(ctx, i) for i in [0, n) on up to n threads (the caller and workers) and returns
 * when all have finished. */
void scheduler_run(scheduler *s, uint32_t n, void (*task)(void *ctx, uint32_t index), void *ctx);

#endif
