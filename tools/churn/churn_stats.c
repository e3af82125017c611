/*
 * churn_stats.c — durations, the process's RSS, the samples of a run, least squares over a
 * window of them, CSV output and the gnuplot chart.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "churn.h"

/* ---- ISO-8601 durations -------------------------------------------------------------------- */

/* Reads digits (at least one) into *v; returns the number of characters read, 0 if none. */
static size_t read_digits(const char *p, double *v) {
    size_t n = 0;
    double x = 0;
    while (isdigit((unsigned char)p[n])) {
        x = x * 10 + (p[n] - '0');
        n++;
        if (n > 15) return 0; /* absurdly long: refuse rather than lose precision */
    }
    *v = x;
    return n;
}

bool churn_parse_duration(const char *text, double *seconds) {
    const char *p = text;
    if (!p) return false;
    if (*p == '+') p++;
    if (*p == '-') return false; /* a negative run time makes no sense */
    if (toupper((unsigned char)*p) != 'P') return false;
    p++;
    double total = 0;
    bool any = false;
    /* date part: only days, as java.time.Duration */
    double v;
    size_t n = read_digits(p, &v);
    if (n) {
        if (toupper((unsigned char)p[n]) != 'D') return false;
        total += v * 86400;
        any = true;
        p += n + 1;
    }
    if (toupper((unsigned char)*p) == 'T') {
        p++;
        bool any_time = false;
        const char units[] = {'H', 'M', 'S'};
        const double scale[] = {3600, 60, 1};
        int next_unit = 0;
        while (*p) {
            n = read_digits(p, &v);
            if (!n) return false;
            p += n;
            double frac = 0;
            if (*p == '.' || *p == ',') {
                p++;
                double f = 0, div = 1;
                size_t k = 0;
                while (isdigit((unsigned char)p[k]) && k < 9) {
                    f = f * 10 + (p[k] - '0');
                    div *= 10;
                    k++;
                }
                if (!k || isdigit((unsigned char)p[k])) return false;
                frac = f / div;
                p += k;
                if (toupper((unsigned char)*p) != 'S') return false; /* fractions only on seconds */
            }
            int u = next_unit;
            while (u < 3 && toupper((unsigned char)*p) != units[u]) u++;
            if (u == 3) return false; /* unknown unit or out of order */
            total += (v + frac) * scale[u];
            next_unit = u + 1;
            any_time = true;
            p++;
        }
        if (!any_time) return false;
        any = true;
    }
    if (*p || !any) return false;
    *seconds = total;
    return true;
}

/* ---- RSS and time ------------------------------------------------------------------------- */

long churn_rss_kib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) {
            kib = strtol(line + 6, NULL, 10);
            break;
        }
    fclose(f);
    return kib;
}

double churn_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- samples --------------------------------------------------------------------------------- */

bool churn_samples_init(churn_samples *s, size_t expected) {
    s->n = 0;
    s->cap = expected < 64 ? 64 : expected;
    s->v = calloc(s->cap, sizeof *s->v);
    return s->v != NULL;
}

bool churn_samples_add(churn_samples *s, double t, long rss_kib) {
    if (s->n == s->cap) {
        size_t cap = s->cap * 2;
        churn_sample *v = realloc(s->v, cap * sizeof *v);
        if (!v) return false;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n].t = (float)t;
    s->v[s->n].rss_kib = rss_kib < 0 ? 0 : (uint32_t)rss_kib;
    s->n++;
    return true;
}

void churn_samples_free(churn_samples *s) {
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

churn_window churn_samples_window(const churn_samples *s, double from, double to) {
    churn_window w = {0, 0, 0, 0, 0};
    double st = 0, sr = 0, stt = 0, str = 0;
    for (size_t i = 0; i < s->n; i++) {
        double t = s->v[i].t;
        if (t < from || t > to) continue;
        double r = s->v[i].rss_kib;
        if (!w.n || (long)r < w.min_kib) w.min_kib = (long)r;
        if (!w.n || (long)r > w.max_kib) w.max_kib = (long)r;
        w.n++;
        st += t;
        sr += r;
        stt += t * t;
        str += t * r;
    }
    if (!w.n) return w;
    w.mean_kib = sr / (double)w.n;
    double nn = (double)w.n;
    double den = nn * stt - st * st;
    if (w.n >= 2 && den > 0) w.slope_kib_per_min = (nn * str - st * sr) / den * 60.0;
    return w;
}

/* ---- output ----------------------------------------------------------------------------------- */

bool churn_write_csv(const churn_samples *s, const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) return false;
    fprintf(f, "elapsed_s,rss_kib\n");
    for (size_t i = 0; i < s->n; i++) fprintf(f, "%.3f,%u\n", (double)s->v[i].t, s->v[i].rss_kib);
    return fclose(f) == 0;
}

bool churn_plot(const char *csv_path, const char *png_path, const char *title, long limit_kib) {
    /* gnuplot reads its script from stdin; paths are quoted for gnuplot (single quotes) */
    if (strchr(csv_path, '\'') || strchr(png_path, '\'') || strchr(title, '\'')) return false;
    FILE *g = popen("gnuplot", "w");
    if (!g) return false;
    fprintf(g,
            "set terminal pngcairo size 1200,600 font ',10'\n"
            "set output '%s'\n"
            "set datafile separator ','\n"
            "set key autotitle columnhead top left\n"
            "set title '%s'\n"
            "set xlabel 'elapsed (minutes)'\n"
            "set ylabel 'RSS (MiB)'\n"
            "set grid\n"
            "set yrange [0:*]\n",
            png_path, title);
    if (limit_kib > 0)
        fprintf(g, "plot '%s' using ($1/60):($2/1024) with lines lw 2 title 'eider RSS', %.1f with lines dt 2 "
                   "title 'memory limit + 64 MiB'\n",
                csv_path, limit_kib / 1024.0);
    else
        fprintf(g, "plot '%s' using ($1/60):($2/1024) with lines lw 2 title 'eider RSS'\n", csv_path);
    int rc = pclose(g);
    return rc == 0;
}
