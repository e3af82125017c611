/*
 * churn_main.c — eider-churn: options, the rate limiter and RSS sampler on the main thread,
 * shutdown, the report and the checks (see churn.h for the workload).
 *
 *   eider-churn [DURATION] [--rate N] [--workers N] [--rows N] [--tables N]
 *               [--memory-limit SIZE] [--csv FILE] [--plot FILE.png]
 *               [--check] [--max-slope KIB_PER_MIN] [--check-rss-limit]
 *
 * Standard output carries one line per second, `YYYY-MM-DD HH:MM:SS, rss_kib`, then the report
 * (lines starting with '#'); errors go to standard error, one line each.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "churn.h"
#include "main/database.h"
#include "memory/pool.h"

#define MIB (1024.0 * 1024.0)

/* Sanitizer runtimes keep freed memory and shadow memory of their own: RSS bounds mean nothing
 * there, so they are reported but not enforced. */
#if defined(EIDER_SANITIZE) || defined(EIDER_TSAN)
#define CHURN_SANITIZED 1
#endif

typedef struct options {
    double duration_s;
    double rate;
    int workers;
    uint64_t rows, tables;
    const char *memory_limit, *csv, *plot;
    bool check, check_rss_limit;
    double max_slope;
    double close_slack_mib;
    double metadata_slack_kib;
} options;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
    stop_requested = 1;
    signal(sig, SIG_DFL); /* a second Ctrl-C ends the process at once */
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: eider-churn [DURATION] [options]\n"
            "  DURATION               ISO-8601 duration: PT30S, PT10M, PT1H, PT1H30M, P1D (default PT1H)\n"
            "  --rate N               ingestion tasks submitted per second (default 5)\n"
            "  --workers N            worker threads (default 4)\n"
            "  --rows N               rows appended per table (default 10000)\n"
            "  --tables N             tables kept: each submission drops the table N behind (default 100)\n"
            "  --memory-limit SIZE    the database's memory_limit, e.g. 256MB (default: eider's)\n"
            "  --csv FILE             write the RSS samples as CSV (elapsed_s,rss_kib)\n"
            "  --plot FILE.png        draw RSS over time with gnuplot\n"
            "  --check                exit 1 on any error line, a slope over --max-slope, or pool\n"
            "                         memory other than the empty catalog's metadata after the drops\n"
            "  --max-slope KIB_MIN    slope bound over the second half, KiB per minute (default 64)\n"
            "  --check-rss-limit      also fail if peak RSS exceeded memory_limit + 64 MiB\n");
}

static bool parse_u64(const char *s, uint64_t *out, uint64_t min, uint64_t max) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < min || v > max) return false;
    *out = v;
    return true;
}

static bool parse_double(const char *s, double *out, double min) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= min) || v > 1e9) return false;
    *out = v;
    return true;
}

/* Returns 0 on success, 2 on a usage error (message printed), 1 after --help. */
static int parse_options(int argc, char **argv, options *o) {
    *o = (options){.duration_s = 3600, .rate = 5, .workers = 4, .rows = 10000, .tables = 100,
                   .max_slope = 64, .close_slack_mib = 8, .metadata_slack_kib = 16};
    bool have_duration = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t u;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 1;
        } else if (!strcmp(a, "--check")) {
            o->check = true;
        } else if (!strcmp(a, "--check-rss-limit")) {
            o->check_rss_limit = true;
        } else if (a[0] == '-' && a[1] == '-') {
            if (!v) {
                fprintf(stderr, "eider-churn: option %s needs a value\n", a);
                usage(stderr);
                return 2;
            }
            bool ok = true;
            if (!strcmp(a, "--rate")) ok = parse_double(v, &o->rate, 0.001);
            else if (!strcmp(a, "--workers")) {
                ok = parse_u64(v, &u, 1, 256);
                o->workers = (int)u;
            } else if (!strcmp(a, "--rows")) ok = parse_u64(v, &o->rows, 0, 1000000000ULL);
            else if (!strcmp(a, "--tables")) ok = parse_u64(v, &o->tables, 1, 1000000ULL);
            else if (!strcmp(a, "--memory-limit")) o->memory_limit = v;
            else if (!strcmp(a, "--csv")) o->csv = v;
            else if (!strcmp(a, "--plot")) o->plot = v;
            else if (!strcmp(a, "--max-slope")) ok = parse_double(v, &o->max_slope, 0);
            else if (!strcmp(a, "--close-slack-mib")) ok = parse_double(v, &o->close_slack_mib, 0);
            else if (!strcmp(a, "--metadata-slack-kib")) ok = parse_double(v, &o->metadata_slack_kib, 0);
            else {
                fprintf(stderr, "eider-churn: unknown option %s\n", a);
                usage(stderr);
                return 2;
            }
            if (!ok) {
                fprintf(stderr, "eider-churn: bad value for %s: '%s'\n", a, v);
                usage(stderr);
                return 2;
            }
            i++;
        } else if (!have_duration) {
            if (!churn_parse_duration(a, &o->duration_s)) {
                fprintf(stderr,
                        "eider-churn: bad duration '%s': expected an ISO-8601 duration such as PT30S, PT10M, "
                        "PT1H, PT1H30M or P1D\n",
                        a);
                usage(stderr);
                return 2;
            }
            have_duration = true;
        } else {
            fprintf(stderr, "eider-churn: unexpected argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    return 0;
}

static void print_sample(long rss_kib) {
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
    printf("%s, %ld\n", stamp, rss_kib);
    fflush(stdout);
}

/* VmHWM: the peak resident set size of the process, KiB (the kernel updates it lazily, so the
 * caller also takes the samples' maximum). */
static long peak_rss_kib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6)) kib = strtol(line + 6, NULL, 10);
    fclose(f);
    return kib;
}

static void sleep_until(double t) {
    struct timespec ts;
    ts.tv_sec = (time_t)t;
    ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
    if (ts.tv_nsec >= 1000000000L) ts.tv_nsec = 999999999L;
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL); /* EINTR: the caller looks again */
}

static eider_database *open_database(const options *o) {
    eider_config *config = NULL;
    if (eider_config_create(&config) != EIDER_SUCCESS) return NULL;
    if (o->memory_limit) eider_config_set(config, "memory_limit", o->memory_limit);
    eider_database *db = NULL;
    char *err = NULL;
    if (eider_open(NULL, config, &db, &err) != EIDER_SUCCESS) {
        fprintf(stderr, "eider-churn: cannot open the database: %s\n", err ? err : "unknown error");
        eider_free(err);
        db = NULL;
    }
    eider_config_destroy(config);
    return db;
}

/* Plots the samples, through the CSV file if there is one or a temporary copy otherwise. */
static bool make_plot(const options *o, const churn_samples *s, long limit_kib) {
    char tmp[] = "/tmp/eider-churn-XXXXXX";
    const char *csv = o->csv;
    if (!csv) {
        int fd = mkstemp(tmp);
        if (fd < 0) return false;
        close(fd);
        if (!churn_write_csv(s, tmp)) {
            unlink(tmp);
            return false;
        }
        csv = tmp;
    }
    char title[200];
    snprintf(title, sizeof title, "eider-churn: %g tables/s, %d workers, %llu rows per table, %llu tables kept",
             o->rate, o->workers, (unsigned long long)o->rows, (unsigned long long)o->tables);
    bool ok = churn_plot(csv, o->plot, title, limit_kib);
    if (!o->csv) unlink(tmp);
    return ok;
}

int main(int argc, char **argv) {
    options o;
    int rc = parse_options(argc, argv, &o);
    if (rc) return rc == 1 ? 0 : 2;

    long rss_start = churn_rss_kib();
    churn_samples samples;
    if (!churn_samples_init(&samples, (size_t)(o.duration_s < 86400 ? o.duration_s : 86400) + 16)) {
        fprintf(stderr, "eider-churn: out of memory\n");
        return 1;
    }
    eider_database *db = open_database(&o);
    if (!db) {
        churn_samples_free(&samples);
        return 1;
    }
    uint64_t metadata_open = pool_tag_used_bytes(db->pool, TAG_METADATA);
    uint64_t limit = pool_memory_limit(db->pool);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: the sleep on the main thread wakes up */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    churn_counters counters;
    memset(&counters, 0, sizeof counters);
    churn_pool_config pc = {db, o.workers, o.rows, o.tables, &counters};
    churn_pool *pool = churn_pool_start(&pc);
    if (!pool) {
        eider_close(db);
        churn_samples_free(&samples);
        return 1;
    }

    /* the rate limiter and the sampler: absolute deadlines on CLOCK_MONOTONIC */
    double start = churn_now(), end = start + o.duration_s, interval = 1.0 / o.rate;
    double next_submit = start, next_sample = start;
    uint64_t counter = 0, submitted = 0;
    for (;;) {
        double now = churn_now();
        if (stop_requested || now >= end) break;
        if (now >= next_sample) {
            long rss = churn_rss_kib();
            churn_samples_add(&samples, now - start, rss);
            print_sample(rss);
            next_sample += 1.0;
            if (next_sample < now) next_sample = now + 1.0; /* fell behind: do not burst */
        }
        if (now >= next_submit) {
            bool ok = churn_pool_submit(pool, (churn_task){CHURN_TASK_INGEST, counter});
            if (ok && counter >= o.tables) ok = churn_pool_submit(pool, (churn_task){CHURN_TASK_DROP, counter - o.tables});
            if (ok) submitted++;
            counter++;
            next_submit += interval;
            if (next_submit < now - 1.0) next_submit = now; /* fell far behind: resume the rate */
            continue;
        }
        double wake = next_submit < next_sample ? next_submit : next_sample;
        sleep_until(wake < end ? wake : end);
    }
    double stop_at = churn_now();
    long rss_end = churn_rss_kib();
    churn_samples_add(&samples, stop_at - start, rss_end);
    print_sample(rss_end);
    if (stop_requested) fprintf(stderr, "churn: interrupted, shutting down\n");

    /* shutdown: drain within 5 s, drop what is left */
    double waited = 0;
    bool drained = churn_pool_drain_and_stop(pool, 5.0, &waited);
    if (!drained)
        churn_error(&counters, "the worker pool did not drain within 5 s (%llu tasks discarded)",
                    (unsigned long long)atomic_load(&counters.abandoned));
    uint64_t final_drops = churn_drop_all(db, &counters);
    long rss_dropped = churn_rss_kib();

    /* what the pool holds with no table and nothing running */
    uint64_t tag_bytes[TAG_COUNT];
    for (int t = 0; t < TAG_COUNT; t++) tag_bytes[t] = pool_tag_used_bytes(db->pool, (memory_tag)t);
    uint64_t blocks = pool_block_count(db->pool), used = pool_used_bytes(db->pool);

    double elapsed = stop_at - start;
    double from = elapsed / 2;
    churn_window w = churn_samples_window(&samples, from, elapsed + 1);
    long rss_warm = -1, peak = peak_rss_kib();
    for (size_t i = 0; i < samples.n; i++) {
        if (rss_warm < 0 && samples.v[i].t >= from) rss_warm = (long)samples.v[i].rss_kib;
        if ((long)samples.v[i].rss_kib > peak) peak = (long)samples.v[i].rss_kib;
    }

    printf("# eider-churn %s: %.1f s, rate %g/s, %d workers, %llu rows per table, %llu tables kept\n",
           eider_version(), elapsed, o.rate, o.workers, (unsigned long long)o.rows, (unsigned long long)o.tables);
    printf("# tables submitted %llu, created %llu, loaded and checked %llu, dropped %llu (%llu at shutdown)\n",
           (unsigned long long)submitted, (unsigned long long)atomic_load(&counters.created),
           (unsigned long long)atomic_load(&counters.loaded), (unsigned long long)atomic_load(&counters.dropped),
           (unsigned long long)final_drops);
    printf("# rows loaded %llu, error lines %llu, pool drained in %.3f s%s\n",
           (unsigned long long)atomic_load(&counters.rows), (unsigned long long)atomic_load(&counters.errors), waited,
           drained ? "" : " (timed out)");
    uint64_t ingests = atomic_load(&counters.created);
    printf("# ingestion task: mean %.1f ms, longest %.1f ms\n",
           ingests ? (double)atomic_load(&counters.ingest_us) / (double)ingests / 1000 : 0.0,
           (double)atomic_load(&counters.ingest_max_us) / 1000);
    printf("# RSS KiB: start %ld, after warm-up (t=%.0f s) %ld, end %ld, after the final drops %ld, peak %ld\n",
           rss_start, from, rss_warm, rss_end, rss_dropped, peak);
    printf("# second half (%zu samples): slope %.1f KiB/min, min %ld, max %ld, mean %.0f, spread %ld KiB\n", w.n,
           w.slope_kib_per_min, w.min_kib, w.max_kib, w.mean_kib, w.max_kib - w.min_kib);
    printf("# pool after the final drops: %llu bytes in %llu blocks; by tag:", (unsigned long long)used,
           (unsigned long long)blocks);
    for (int t = 0; t < TAG_COUNT; t++)
        if (tag_bytes[t]) printf(" %s=%llu", memory_tag_name((memory_tag)t), (unsigned long long)tag_bytes[t]);
    printf("\n# METADATA at open %llu bytes, after the final drops %llu bytes; memory_limit %.1f MiB\n",
           (unsigned long long)metadata_open, (unsigned long long)tag_bytes[TAG_METADATA], limit / MIB);

    /* the checks */
    bool fail = false;
    if (o.check) {
        if (atomic_load(&counters.errors)) {
            printf("# CHECK FAILED: %llu error line(s)\n", (unsigned long long)atomic_load(&counters.errors));
            fail = true;
        }
        if (!atomic_load(&counters.loaded)) {
            printf("# CHECK FAILED: no table was loaded\n");
            fail = true;
        }
#ifndef CHURN_SANITIZED
        if (w.n < 2 || w.slope_kib_per_min > o.max_slope) {
            printf("# CHECK FAILED: RSS slope %.1f KiB/min over the second half exceeds %g\n", w.slope_kib_per_min,
                   o.max_slope);
            fail = true;
        }
#else
        printf("# slope bound not enforced in a sanitizer build (its allocator keeps freed memory)\n");
#endif
        for (int t = 0; t < TAG_COUNT; t++)
            if (t != TAG_METADATA && tag_bytes[t]) {
                printf("# CHECK FAILED: the pool still holds %llu bytes of %s with no table and nothing running\n",
                       (unsigned long long)tag_bytes[t], memory_tag_name((memory_tag)t));
                fail = true;
            }
        if (blocks) {
            printf("# CHECK FAILED: %llu pool block(s) still mapped with no table\n", (unsigned long long)blocks);
            fail = true;
        }
        if ((double)tag_bytes[TAG_METADATA] > (double)metadata_open + o.metadata_slack_kib * 1024) {
            printf("# CHECK FAILED: METADATA grew from %llu to %llu bytes over a run that ends with no table\n",
                   (unsigned long long)metadata_open, (unsigned long long)tag_bytes[TAG_METADATA]);
            fail = true;
        }
    }
    if (o.check_rss_limit) {
        double bound = (double)limit / 1024 + 64 * 1024;
#ifndef CHURN_SANITIZED
        if (peak < 0 || (double)peak > bound) {
            printf("# CHECK FAILED: peak RSS %ld KiB exceeds memory_limit + 64 MiB = %.0f KiB\n", peak, bound);
            fail = true;
        } else printf("# peak RSS %ld KiB is within memory_limit + 64 MiB = %.0f KiB\n", peak, bound);
#else
        printf("# peak RSS %ld KiB (bound %.0f KiB not enforced in a sanitizer build)\n", peak, bound);
#endif
    }
    if (o.csv && !churn_write_csv(&samples, o.csv)) {
        churn_error(&counters, "cannot write %s", o.csv);
        fail = o.check;
    }
    if (o.plot && !make_plot(&o, &samples, o.check_rss_limit ? (long)(limit / 1024) + 64 * 1024 : 0)) {
        churn_error(&counters, "gnuplot could not draw %s (is gnuplot-nox installed, is the path writable?)", o.plot);
        fail = o.check || fail;
    }

    eider_close(db);
    long rss_closed = churn_rss_kib();
    printf("# RSS after eider_close %ld KiB (start %ld KiB, difference %+ld KiB)\n", rss_closed, rss_start,
           rss_closed - rss_start);
#ifndef CHURN_SANITIZED
    if (o.check && (double)(rss_closed - rss_start) > o.close_slack_mib * 1024) {
        printf("# CHECK FAILED: RSS after close is %.1f MiB above the start (bound %g MiB)\n",
               (rss_closed - rss_start) / 1024.0, o.close_slack_mib);
        fail = true;
    }
#endif
    if (o.check) printf("# check: %s\n", fail ? "FAILED" : "passed");
    fflush(stdout);
    churn_samples_free(&samples);
    return fail ? 1 : 0;
}
