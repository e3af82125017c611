#include "execution/scheduler.h"

#include <pthread.h>
#include <string.h>

typedef struct job {
    void (*task)(void *ctx, uint32_t index);
    void *ctx;
    uint32_t count;
    uint32_t next;     /* next index to hand out (under the scheduler lock) */
    uint32_t finished; /* tasks done */
    pthread_cond_t done;
    struct job *next_job;
} job;

typedef struct worker {
    scheduler *s;
    pthread_t thread;
    bool stop; /* asked to exit (shrinking) */
    bool running;
} worker;

struct scheduler {
    buffer_pool *pool;
    pthread_mutex_t lock;
    pthread_cond_t work;  /* a job with tasks to hand out was queued, or workers must stop */
    job *queue;           /* jobs with tasks still to hand out, oldest first */
    worker *workers;      /* pool_malloc'ed */
    uint32_t worker_count;
    bool shutting_down;
};

/* Takes the next task of the oldest job that has one; the lock is held. */
static job *claim_locked(scheduler *s, uint32_t *index) {
    while (s->queue && s->queue->next == s->queue->count) s->queue = s->queue->next_job;
    job *j = s->queue;
    if (!j) return NULL;
    *index = j->next++;
    return j;
}

static void run_task(scheduler *s, job *j, uint32_t index) {
    j->task(j->ctx, index);
    pthread_mutex_lock(&s->lock);
    if (++j->finished == j->count) pthread_cond_broadcast(&j->done);
    pthread_mutex_unlock(&s->lock);
}

static void *worker_main(void *arg) {
    worker *w = arg;
    scheduler *s = w->s;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        if (w->stop || s->shutting_down) break;
        uint32_t index;
        job *j = claim_locked(s, &index);
        if (!j) {
            pthread_cond_wait(&s->work, &s->lock);
            continue;
        }
        pthread_mutex_unlock(&s->lock);
        run_task(s, j, index);
        pthread_mutex_lock(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

scheduler *scheduler_create(buffer_pool *pool, uint32_t threads, error *err) {
    scheduler *s = pool_calloc(pool, 1, sizeof *s);
    if (!s) {
        error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate the scheduler");
        return NULL;
    }
    s->pool = pool;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->work, NULL);
    if (!scheduler_set_threads(s, threads, err)) {
        scheduler_destroy(s);
        return NULL;
    }
    return s;
}

static void join_workers(scheduler *s, uint32_t keep) {
    pthread_mutex_lock(&s->lock);
    for (uint32_t i = keep; i < s->worker_count; i++) s->workers[i].stop = true;
    pthread_cond_broadcast(&s->work);
    pthread_mutex_unlock(&s->lock);
    for (uint32_t i = keep; i < s->worker_count; i++)
        if (s->workers[i].running) pthread_join(s->workers[i].thread, NULL);
    s->worker_count = keep;
}

bool scheduler_set_threads(scheduler *s, uint32_t threads, error *err) {
    uint32_t want = threads > 1 ? threads - 1 : 0;
    if (want <= s->worker_count) {
        join_workers(s, want);
        return true;
    }
    /* the array moves only while no worker runs */
    join_workers(s, 0);
    worker *w = pool_realloc(s->pool, s->workers, sizeof *w * want);
    if (!w) return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate %u worker threads", want);
    s->workers = w;
    for (uint32_t i = 0; i < want; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].s = s;
        if (pthread_create(&w[i].thread, NULL, worker_main, &w[i]) != 0) {
            s->worker_count = i;
            return error_set(err, EIDER_ERROR_INTERNAL, "could not start worker thread %u", i);
        }
        w[i].running = true;
        s->worker_count = i + 1;
    }
    return true;
}

void scheduler_destroy(scheduler *s) {
    if (!s) return;
    pthread_mutex_lock(&s->lock);
    s->shutting_down = true;
    pthread_mutex_unlock(&s->lock);
    join_workers(s, 0);
    pool_free(s->pool, s->workers);
    pthread_cond_destroy(&s->work);
    pthread_mutex_destroy(&s->lock);
    pool_free(s->pool, s);
}

void scheduler_run(scheduler *s, uint32_t n, void (*task)(void *ctx, uint32_t index), void *ctx) {
    if (n <= 1 || !s || s->worker_count == 0) {
        for (uint32_t i = 0; i < n; i++) task(ctx, i);
        return;
    }
    job j = {.task = task, .ctx = ctx, .count = n};
    pthread_cond_init(&j.done, NULL);
    pthread_mutex_lock(&s->lock);
    job **tail = &s->queue;
    while (*tail) tail = &(*tail)->next_job;
    *tail = &j;
    pthread_cond_broadcast(&s->work);
    /* the caller works on its own job until every task is handed out */
    while (j.next < j.count) {
        uint32_t index = j.next++;
        pthread_mutex_unlock(&s->lock);
        run_task(s, &j, index);
        pthread_mutex_lock(&s->lock);
    }
    while (j.finished < j.count) pthread_cond_wait(&j.done, &s->lock);
    /* unlink the job if it is still queued (all of its tasks were handed out) */
    for (job **p = &s->queue; *p; p = &(*p)->next_job)
        if (*p == &j) {
            *p = j.next_job;
            break;
        }
    pthread_mutex_unlock(&s->lock);
    pthread_cond_destroy(&j.done);
}
