/* bench_query — runs one benchmark query file on eider and prints one machine-readable line.
 *
 *   bench_bench_query --file QUERY.sql [--threads N] [--memory-limit SIZE] [--repeat N]
 *
 * The query file (already free of ${...} placeholders; bench/run substitutes them) has sections
 * opened by marker lines:
 *   -- @setup     statements run once, untimed (loading tables)
 *   -- @timed     statements timed together, --repeat times
 *   -- @cleanup   statements run untimed after each timed repetition (e.g. DROP of a CTAS target)
 * Other lines starting with "--" are comments. A statement ends with ';' at the end of a line.
 * bench/peer/run_query.mjs reads the same format for the peer engine.
 *
 * Output, on stdout, one line of tab-separated fields:
 *   RESULT ok <median s> <min s> <peak RSS KiB> <result rows> <check> <every time, comma-separated>
 *   RESULT error <message>
 * <check> is the first row's values joined by '|' when the result has exactly one row, else '-'.
 * Peak RSS is VmHWM of this process (setup included). The exit status is 0 whenever a RESULT line
 * was printed (a failing query is a result too), 2 for bad arguments. Without arguments it prints
 * its usage and exits 0. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eider.h"

enum section { SEC_SETUP, SEC_TIMED, SEC_CLEANUP, SEC_COUNT };

typedef struct stmt_list {
    char **items;
    size_t count, cap;
} stmt_list;

static void usage(FILE *f) {
    fprintf(f, "usage: bench_bench_query --file QUERY.sql [--threads N] [--memory-limit SIZE] [--repeat N]\n");
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_rss_kib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "VmHWM:", 6)) {
            kib = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kib;
}

/* prints a message on one line: tabs and line breaks become spaces */
static void print_error_line(const char *prefix, const char *msg) {
    fputs("RESULT\terror\t", stdout);
    fputs(prefix, stdout);
    for (const char *p = msg ? msg : "unknown error"; *p; p++)
        putchar(*p == '\t' || *p == '\n' || *p == '\r' ? ' ' : *p);
    putchar('\n');
    fflush(stdout);
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 == cap) {
            char *grown = realloc(buf, cap * 2);
            if (!grown) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf)
        buf[len] = '\0';
    return buf;
}

static int list_push(stmt_list *l, const char *text, size_t len) {
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        char **grown = realloc(l->items, cap * sizeof *grown);
        if (!grown)
            return 0;
        l->items = grown;
        l->cap = cap;
    }
    char *s = malloc(len + 1);
    if (!s)
        return 0;
    memcpy(s, text, len);
    s[len] = '\0';
    l->items[l->count++] = s;
    return 1;
}

static void list_free(stmt_list *l) {
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i]);
    free(l->items);
}

static int is_blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 0;
    return 1;
}

/* splits the file into the three sections' statements; returns 0 on allocation failure */
static int parse_query_file(char *text, stmt_list lists[SEC_COUNT]) {
    enum section sec = SEC_SETUP;
    char *stmt_start = NULL; /* start of the statement being collected, within text */
    char *line = text;
    while (*line) {
        char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char *next = end ? end + 1 : line + len;
        char *p = line;
        while (p < line + len && (*p == ' ' || *p == '\t'))
            p++;
        if (p + 1 < line + len && p[0] == '-' && p[1] == '-') {
            if (!strncmp(p, "-- @setup", 9))
                sec = SEC_SETUP;
            else if (!strncmp(p, "-- @timed", 9))
                sec = SEC_TIMED;
            else if (!strncmp(p, "-- @cleanup", 11))
                sec = SEC_CLEANUP;
            if (!stmt_start) {
                line = next;
                continue;
            }
        }
        if (!stmt_start && !is_blank(line, len))
            stmt_start = line;
        /* a statement ends at a ';' that closes a line */
        char *q = line + len;
        while (q > line && (q[-1] == ' ' || q[-1] == '\t' || q[-1] == '\r'))
            q--;
        if (stmt_start && q > line && q[-1] == ';') {
            if (!list_push(&lists[sec], stmt_start, (size_t)(q - stmt_start)))
                return 0;
            stmt_start = NULL;
        }
        line = next;
    }
    if (stmt_start && !is_blank(stmt_start, strlen(stmt_start)))
        return list_push(&lists[sec], stmt_start, strlen(stmt_start));
    return 1;
}

/* runs a list of statements; on error prints the RESULT line and returns 0. The last result is
 * handed back in *last when last is not NULL, else destroyed. */
static int run_list(eider_connection *con, const stmt_list *l, const char *prefix, eider_result **last) {
    for (size_t i = 0; i < l->count; i++) {
        eider_result *r = NULL;
        eider_query(con, l->items[i], &r);
        if (!r) {
            print_error_line(prefix, "no result returned");
            return 0;
        }
        if (eider_result_error(r)) {
            print_error_line(prefix, eider_result_error(r));
            eider_result_destroy(r);
            return 0;
        }
        if (last && i + 1 == l->count)
            *last = r;
        else
            eider_result_destroy(r);
    }
    return 1;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    const char *file = NULL, *threads = NULL, *memory_limit = NULL;
    long repeat = 1;
    if (argc == 1) {
        usage(stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--file") && i + 1 < argc)
            file = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = argv[++i];
        else if (!strcmp(argv[i], "--memory-limit") && i + 1 < argc)
            memory_limit = argv[++i];
        else if (!strcmp(argv[i], "--repeat") && i + 1 < argc) {
            char *end;
            repeat = strtol(argv[++i], &end, 10);
            if (*end || repeat < 1 || repeat > 1000) {
                fprintf(stderr, "bench_bench_query: bad --repeat '%s'\n", argv[i]);
                return 2;
            }
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!file) {
        usage(stderr);
        return 2;
    }

    char *text = read_file(file);
    if (!text) {
        fprintf(stderr, "bench_bench_query: cannot read '%s': %s\n", file, strerror(errno));
        return 2;
    }
    stmt_list lists[SEC_COUNT] = {{0}};
    if (!parse_query_file(text, lists)) {
        fprintf(stderr, "bench_bench_query: out of memory\n");
        return 2;
    }
    free(text);
    if (lists[SEC_TIMED].count == 0) {
        fprintf(stderr, "bench_bench_query: '%s' has no statement under '-- @timed'\n", file);
        for (int s = 0; s < SEC_COUNT; s++)
            list_free(&lists[s]);
        return 2;
    }

    int status = 0;
    eider_config *config = NULL;
    eider_database *db = NULL;
    eider_connection *con = NULL;
    double *times = calloc((size_t)repeat, sizeof *times);
    char *open_error = NULL;
    if (!times || eider_config_create(&config) != EIDER_SUCCESS) {
        print_error_line("", "cannot create a configuration");
        goto done;
    }
    if ((threads && eider_config_set(config, "threads", threads) != EIDER_SUCCESS) ||
        (memory_limit && eider_config_set(config, "memory_limit", memory_limit) != EIDER_SUCCESS)) {
        print_error_line("", "cannot set threads or memory_limit");
        goto done;
    }
    if (eider_open(NULL, config, &db, &open_error) != EIDER_SUCCESS) {
        print_error_line("open: ", open_error);
        eider_free(open_error);
        goto done;
    }
    if (eider_connect(db, &con) != EIDER_SUCCESS) {
        print_error_line("", "cannot connect");
        goto done;
    }
    if (!run_list(con, &lists[SEC_SETUP], "setup: ", NULL))
        goto done;

    uint64_t rows = 0;
    char check[512] = "-";
    for (long rep = 0; rep < repeat; rep++) {
        eider_result *last = NULL;
        double t0 = now_seconds();
        int ok = run_list(con, &lists[SEC_TIMED], "", &last);
        times[rep] = now_seconds() - t0;
        if (!ok)
            goto done;
        rows = eider_row_count(last);
        if (rows == 1) {
            size_t used = 0;
            check[0] = '\0';
            for (uint64_t c = 0; c < eider_column_count(last); c++) {
                char *v = eider_value_text(last, c, 0);
                used += (size_t)snprintf(check + used, used < sizeof check ? sizeof check - used : 0, "%s%s",
                                         c ? "|" : "", v ? v : "NULL");
                eider_free(v);
                if (used >= sizeof check)
                    break;
            }
        }
        eider_result_destroy(last);
        if (!run_list(con, &lists[SEC_CLEANUP], "cleanup: ", NULL))
            goto done;
    }

    double *sorted = malloc((size_t)repeat * sizeof *sorted);
    if (!sorted) {
        print_error_line("", "out of memory");
        goto done;
    }
    memcpy(sorted, times, (size_t)repeat * sizeof *sorted);
    qsort(sorted, (size_t)repeat, sizeof *sorted, compare_doubles);
    double median = repeat % 2 ? sorted[repeat / 2] : (sorted[repeat / 2 - 1] + sorted[repeat / 2]) / 2;
    printf("RESULT\tok\t%.6f\t%.6f\t%ld\t%llu\t", median, sorted[0], peak_rss_kib(), (unsigned long long)rows);
    for (const char *p = check; *p; p++)
        putchar(*p == '\t' || *p == '\n' ? ' ' : *p);
    putchar('\t');
    for (long i = 0; i < repeat; i++)
        printf("%s%.6f", i ? "," : "", times[i]);
    putchar('\n');
    fflush(stdout);
    free(sorted);

done:
    if (con)
        eider_disconnect(con);
    if (db)
        eider_close(db);
    if (config)
        eider_config_destroy(config);
    free(times);
    for (int s = 0; s < SEC_COUNT; s++)
        list_free(&lists[s]);
    return status;
}
