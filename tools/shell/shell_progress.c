/*
 * shell_progress.c — the progress bar the interactive shell draws on the terminal for queries
 * that run longer than two seconds. A watcher thread polls eider_query_progress and redraws
 * one line on stderr; the line is erased when the query ends.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shell.h"

#define PROGRESS_DELAY_MS 2000
#define PROGRESS_PERIOD_MS 100
#define PROGRESS_WIDTH 50

static void deadline_in(struct timespec *ts, long ms) {
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) ts->tv_sec++, ts->tv_nsec -= 1000000000L;
}

static void draw(FILE *f, double percent) {
    int filled = (int)(percent / 100.0 * PROGRESS_WIDTH + 0.5);
    char bar[PROGRESS_WIDTH + 1];
    for (int i = 0; i < PROGRESS_WIDTH; i++) bar[i] = i < filled ? '=' : ' ';
    if (filled > 0 && filled < PROGRESS_WIDTH) bar[filled - 1] = '>';
    bar[PROGRESS_WIDTH] = '\0';
    fprintf(f, "\r %3d%% \xe2\x96\x95%s\xe2\x96\x8f", (int)percent, bar);
    fflush(f);
}

static void *watch(void *arg) {
    shell_progress *p = arg;
    struct timespec ts;
    pthread_mutex_lock(&p->lock);
    deadline_in(&ts, PROGRESS_DELAY_MS);
    while (!p->done) {
        if (pthread_cond_timedwait(&p->wake, &p->lock, &ts) != ETIMEDOUT) continue;
        double percent = eider_query_progress(p->conn);
        if (percent >= 0) {
            draw(p->tty, percent);
            p->drawn = true;
        }
        deadline_in(&ts, PROGRESS_PERIOD_MS);
    }
    if (p->drawn) {
        fputs("\r\033[K", p->tty);
        fflush(p->tty);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

void shell_progress_start(shell_progress *p, eider_connection *conn, FILE *tty) {
    memset(p, 0, sizeof *p);
    if (!tty || !isatty(fileno(tty))) return;
    p->conn = conn;
    p->tty = tty;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    p->running = pthread_create(&p->thread, NULL, watch, p) == 0;
    if (!p->running) {
        pthread_cond_destroy(&p->wake);
        pthread_mutex_destroy(&p->lock);
    }
}

void shell_progress_stop(shell_progress *p) {
    if (!p->running) return;
    pthread_mutex_lock(&p->lock);
    p->done = true;
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    p->running = false;
}
