/*
 * csv_bench.c — raw throughput of the CSV reader: generates a hits-like CSV file (integers,
 * timestamps, dates, doubles, booleans, URLs, quoted titles with commas) of about the requested
 * size unless it exists, then reads it with the scan operator on 1..N threads and prints MB/s and
 * rows/s. Usage: bench_csv_bench [file.csv] [megabytes] [max threads]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/arena.h"
#include "eider.h"
#include "execution/physical.h"
#include "function/csv.h"
#include "main/database.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void generate(const char *path, uint64_t megabytes) {
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    static const char *hosts[] = {"example.com", "news.example.org", "shop.example.net", "mail.example.io"};
    static const char *words[] = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"};
    fprintf(f, "WatchID,EventTime,EventDate,CounterID,URL,Title,IsRefresh,ResolutionWidth,Income,UserID\n");
    uint64_t limit = megabytes << 20, written = 0, seed = 42;
    for (uint64_t i = 0; written < limit; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        uint64_t r = seed >> 17;
        int n = fprintf(f, "%llu,2013-07-%02d %02d:%02d:%02d,2013-07-%02d,%u,https://%s/%s/%llu?q=%s,\"%s, %s %s\",%d,%u,%.2f,%lld\n",
                        (unsigned long long)(r * 7919 % 9000000000000000000ULL), (int)(r % 28) + 1, (int)(r % 24),
                        (int)(r % 60), (int)(r / 7 % 60), (int)(r % 28) + 1, (unsigned)(r % 100000), hosts[r % 4],
                        words[r / 3 % 8], (unsigned long long)(r % 1000000), words[r / 5 % 8], words[r / 11 % 8],
                        words[r / 13 % 8], words[r / 17 % 8], (int)(r & 1), (unsigned)(r % 4000),
                        (double)(r % 1000000) / 7.0, (long long)(r % 100000000000LL) - 50000000000LL);
        written += (uint64_t)n;
    }
    fclose(f);
}

typedef struct worker {
    physical_op *op;
    exec_context *ctx;
    chunk *c;
    uint64_t rows;
    bool ok;
    error err;
} worker;

static void *run(void *arg) {
    worker *w = arg;
    error_clear(&w->err);
    void *local = w->op->vt->source_local_init(w->op, w->ctx, &w->err);
    w->ok = !error_is_set(&w->err);
    while (w->ok) {
        chunk_reset(w->c);
        w->ok = w->op->vt->get_data(w->op, w->ctx, local, w->c, &w->err);
        if (!w->ok || w->c->count == 0) break;
        w->rows += w->c->count;
    }
    if (local) w->op->vt->source_local_destroy(w->op, local);
    return NULL;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "/tmp/eider_csv_bench.csv";
    uint64_t mb = argc > 2 ? strtoull(argv[2], NULL, 10) : 300;
    uint32_t max_threads = argc > 3 ? (uint32_t)atoi(argv[3]) : 2;
    if (max_threads < 1 || max_threads > 16) max_threads = 2;
    struct stat st;
    if (stat(path, &st) != 0) {
        double t0 = now();
        generate(path, mb);
        stat(path, &st);
        printf("generated %s (%.1f MB) in %.2f s\n", path, (double)st.st_size / 1e6, now() - t0);
    }
    eider_database *db;
    char *msg = NULL;
    if (eider_open(NULL, NULL, &db, &msg) != EIDER_SUCCESS) {
        fprintf(stderr, "%s\n", msg);
        return 1;
    }
    for (uint32_t threads = 1; threads <= max_threads; threads++) {
        arena *a = arena_create(db->pool, TAG_ALLOCATOR);
        error err;
        error_clear(&err);
        double t0 = now();
        csv_read_request req = {path, NULL, 0, NULL, 0, true, NULL, 0};
        csv_scan_plan plan;
        if (!csv_scan_plan_create(db, a, &req, &plan, &err)) {
            fprintf(stderr, "%s\n", err.message);
            return 1;
        }
        double t_sniff = now() - t0;
        exec_context ctx = {.pool = db->pool, .arena = a, .threads = threads};
        if (!plan.op->vt->source_init(plan.op, &ctx, &err)) {
            fprintf(stderr, "%s\n", err.message);
            return 1;
        }
        worker w[16];
        memset(w, 0, sizeof w);
        pthread_t th[16];
        for (uint32_t t = 0; t < threads; t++) {
            w[t].op = plan.op;
            w[t].ctx = &ctx;
            w[t].c = chunk_create(a, plan.op->types, plan.op->column_count, &err);
        }
        for (uint32_t t = 0; t < threads; t++) pthread_create(&th[t], NULL, run, &w[t]);
        uint64_t rows = 0;
        bool ok = true;
        for (uint32_t t = 0; t < threads; t++) {
            pthread_join(th[t], NULL);
            rows += w[t].rows;
            if (!w[t].ok) {
                ok = false;
                fprintf(stderr, "%s\n", w[t].err.message);
            }
            chunk_destroy(w[t].c);
        }
        double secs = now() - t0;
        if (threads == 1) {
            printf("columns:");
            for (uint32_t c = 0; c < plan.column_count; c++) {
                char tb[TYPE_NAME_MAX];
                printf(" %s:%s", plan.names[c], type_to_string(plan.types[c], tb));
            }
            printf("\n");
        }
        arena_destroy(a);
        if (!ok) return 1;
        printf("threads=%u rows=%llu time=%.3f s (sniff %.3f s) %.0f MB/s %.2f M rows/s\n", threads,
               (unsigned long long)rows, secs, t_sniff, (double)st.st_size / 1e6 / secs, (double)rows / 1e6 / secs);
    }
    eider_close(db);
    return 0;
}
