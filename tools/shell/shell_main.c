/*
 * shell_main.c — the `eider` shell: command-line options, the interactive loop (libedit line
 * editing and history), batch mode, running statements and Ctrl-C handling.
 *
 *   eider [OPTIONS] [DATABASE]     (see usage() below or `eider -help`)
 */
#include "shell.h"

#include <editline/readline.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define SHELL_PROMPT "D "
#define SHELL_CONTINUE_PROMPT "\xc2\xb7 " /* "· " in a UTF-8 locale */
#define SHELL_CONTINUE_PROMPT_ASCII "> "
#define SHELL_HISTORY_FILE ".eider_history"
#define SHELL_HISTORY_SIZE 2000

/* The connection whose query is running, so that SIGINT can interrupt it. eider_interrupt is
 * async-signal-safe (it only stores to an atomic). */
static _Atomic(eider_connection *) shell_running_conn;
static volatile sig_atomic_t shell_sigint;

static void shell_on_sigint(int sig)
{
    (void)sig;
    shell_sigint = 1;
    eider_connection *c = atomic_load(&shell_running_conn);
    if (c)
        eider_interrupt(c);
}

static void install_sigint(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = shell_on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a blocked read returns so that the loop sees the flag */
    sigaction(SIGINT, &sa, NULL);
}

size_t shell_output_width(const shell_state *s)
{
    struct winsize ws;
    if (isatty(fileno(s->out)) && ioctl(fileno(s->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *cols = getenv("COLUMNS");
    if (cols && atoi(cols) > 20)
        return (size_t)atoi(cols);
    return 120;
}

static double seconds_of(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* True for the result of INSERT / CREATE TABLE AS: a single BIGINT "Count" holding the
 * number of rows changed. Like DuckDB's shell, the shell does not print it. */
static bool is_rows_changed_result(const eider_result *r)
{
    const char *name = eider_column_name(r, 0);
    return eider_column_count(r) == 1 && eider_row_count(r) == 1 && name &&
           strcmp(name, "Count") == 0 && eider_column_type(r, 0) == EIDER_TYPE_BIGINT &&
           !eider_value_is_null(r, 0, 0) &&
           (uint64_t)eider_value_int64(r, 0, 0) == eider_rows_changed(r);
}

/* Runs one statement (text need not end with ';') and prints its result. */
static bool run_statement(shell_state *s, const char *text, size_t len)
{
    char *sql = malloc(len + 1);
    if (!sql) {
        fputs("Out of memory\n", s->err);
        return false;
    }
    memcpy(sql, text, len);
    sql[len] = '\0';

    struct timespec t0, t1;
    struct rusage u0, u1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    getrusage(RUSAGE_SELF, &u0);

    eider_result *res = NULL;
    atomic_store(&shell_running_conn, s->conn);
    shell_progress progress;
    shell_progress_start(&progress, s->conn, s->interactive ? s->err : NULL);
    eider_state st = eider_query(s->conn, sql, &res);
    shell_progress_stop(&progress);
    atomic_store(&shell_running_conn, NULL);
    free(sql);

    bool ok = true;
    const char *msg = res ? eider_result_error(res) : "Error: no result";
    if (st != EIDER_SUCCESS || msg) {
        fprintf(s->err, "%s\n", msg ? msg : "Error: query failed");
        ok = false;
    } else if (eider_column_count(res) > 0 && !is_rows_changed_result(res)) {
        switch (s->mode) {
        case SHELL_MODE_BOX: shell_render_box(s->out, res, shell_output_width(s)); break;
        case SHELL_MODE_CSV: shell_render_csv(s->out, res); break;
        case SHELL_MODE_LINE: shell_render_line(s->out, res); break;
        }
    }
    if (res)
        eider_result_destroy(res);

    if (s->timer) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        getrusage(RUSAGE_SELF, &u1);
        double real = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        fprintf(s->out, "Run Time (s): real %.3f user %.6f sys %.6f\n", real,
                seconds_of(u1.ru_utime) - seconds_of(u0.ru_utime),
                seconds_of(u1.ru_stime) - seconds_of(u0.ru_stime));
    }
    fflush(s->out);
    return ok;
}

bool shell_run_sql(shell_state *s, const char *sql, size_t len)
{
    bool ok = true;
    while (len > 0) {
        size_t n = shell_scan_statement(sql, len);
        if (n == 0)
            n = len; /* the last statement may lack its ';' */
        if (!shell_scan_is_blank(sql, n)) {
            if (!run_statement(s, sql, n)) {
                ok = false;
                if (!s->interactive)
                    return false;
            }
        }
        sql += n;
        len -= n;
    }
    return ok;
}

/* ---- input accumulation ---------------------------------------------------------------- */

typedef struct input_buffer {
    char *data;
    size_t len;
    size_t cap;
} input_buffer;

static bool buffer_append(input_buffer *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d)
            return false;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return true;
}

/* Feeds one input line (without its newline). A line starting with '.' outside a statement
 * is a dot command; otherwise the line joins the pending text and every statement completed
 * by it runs. Returns false when something failed. */
static bool feed_line(shell_state *s, input_buffer *b, const char *line)
{
    if (b->len == 0) {
        const char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '.')
            return shell_dot_command(s, p);
    }
    if (!buffer_append(b, line, strlen(line)) || !buffer_append(b, "\n", 1)) {
        fputs("Out of memory\n", s->err);
        b->len = 0;
        return false;
    }
    bool ok = true;
    size_t start = 0;
    for (;;) {
        size_t n = shell_scan_statement(b->data + start, b->len - start);
        if (n == 0)
            break;
        if (!shell_scan_is_blank(b->data + start, n)) {
            if (!run_statement(s, b->data + start, n)) {
                ok = false;
                if (!s->interactive) {
                    b->len = 0;
                    return false;
                }
            }
        }
        start += n;
    }
    memmove(b->data, b->data + start, b->len - start);
    b->len -= start;
    if (shell_scan_is_blank(b->data, b->len))
        b->len = 0;
    return ok;
}

/* Runs what is left at the end of the input (a statement without ';'). */
static bool flush_input(shell_state *s, input_buffer *b)
{
    bool ok = true;
    if (b->len > 0 && !shell_scan_is_blank(b->data, b->len))
        ok = run_statement(s, b->data, b->len);
    b->len = 0;
    return ok;
}

bool shell_run_stream(shell_state *s, FILE *f)
{
    input_buffer b = {0};
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    bool ok = true;
    bool saved_interactive = s->interactive;
    s->interactive = false;
    for (;;) {
        errno = 0;
        n = getline(&line, &cap, f);
        if (n < 0) {
            if (errno == EINTR && !shell_sigint) {
                clearerr(f);
                continue;
            }
            break;
        }
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = '\0';
        if (n > 0 && line[n - 1] == '\r')
            line[--n] = '\0';
        if (!feed_line(s, &b, line)) {
            ok = false;
            break;
        }
        if (s->quit)
            break;
    }
    if (ok && !s->quit && !shell_sigint)
        ok = flush_input(s, &b);
    if (shell_sigint && ok) {
        fputs("Interrupted\n", s->err);
        ok = false;
    }
    free(line);
    free(b.data);
    s->interactive = saved_interactive;
    return ok;
}

/* ---- interactive mode ------------------------------------------------------------------ */

static char *history_path(void)
{
    const char *home = getenv("HOME");
    if (!home || !*home)
        return NULL;
    size_t n = strlen(home) + sizeof(SHELL_HISTORY_FILE) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", home, SHELL_HISTORY_FILE);
    return p;
}

static void run_interactive(shell_state *s)
{
    /* libedit needs the locale to handle multi-byte input and prompts */
    setlocale(LC_CTYPE, "");
    const char *codeset = nl_langinfo(CODESET);
    const char *cont = codeset && strcmp(codeset, "UTF-8") == 0 ? SHELL_CONTINUE_PROMPT
                                                                  : SHELL_CONTINUE_PROMPT_ASCII;
    char *hist = history_path();
    using_history();
    stifle_history(SHELL_HISTORY_SIZE);
    if (hist)
        read_history(hist);
    printf("eider v%s\nEnter \".help\" for usage hints.\n", eider_version());

    input_buffer b = {0};
    while (!s->quit) {
        shell_sigint = 0;
        char *line = readline(b.len > 0 ? cont : SHELL_PROMPT);
        if (!line) {
            if (shell_sigint) {
                /* Ctrl-C at the prompt: drop the pending input and start over */
                shell_sigint = 0;
                b.len = 0;
                fputc('\n', stdout);
                continue;
            }
            fputc('\n', stdout); /* Ctrl-D */
            break;
        }
        if (shell_sigint) {
            shell_sigint = 0;
            b.len = 0;
            free(line);
            continue;
        }
        if (line[0] != '\0')
            add_history(line);
        feed_line(s, &b, line);
        free(line);
        fflush(stdout);
    }
    free(b.data);
    if (hist) {
        write_history(hist);
        free(hist);
    }
}

/* ---- options --------------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: eider [OPTIONS] [DATABASE]\n"
            "\n"
            "Opens DATABASE (a file; in-memory when omitted or \":memory:\") and reads SQL\n"
            "statements and dot commands from standard input: interactively with line editing\n"
            "when it is a terminal, otherwise in batch mode, which stops at the first error\n"
            "with a non-zero exit status.\n"
            "\n"
            "Options:\n"
            "  -c COMMAND    run COMMAND (SQL or a dot command) and exit\n"
            "  -cmd COMMAND  run COMMAND before reading standard input (repeatable)\n"
            "  -box          box output mode (default)\n"
            "  -csv          CSV output mode\n"
            "  -line         one `name = value` line per column\n"
            "  -help         show this message\n"
            "  -version      show the version\n");
}

/* Runs one command-line COMMAND: a dot command or SQL. */
static bool run_command(shell_state *s, const char *cmd)
{
    const char *p = cmd;
    while (*p == ' ' || *p == '\t' || *p == '\n')
        p++;
    if (*p == '.')
        return shell_dot_command(s, p);
    return shell_run_sql(s, cmd, strlen(cmd));
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    const char *command = NULL;
    shell_mode mode = SHELL_MODE_BOX;
    const char **cmds = calloc((size_t)argc + 1, sizeof *cmds);
    size_t ncmds = 0;
    if (!cmds)
        return 1;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1] == '-' && a[2] != '\0')
            a++; /* accept --option too */
        if (strcmp(a, "-c") == 0 || strcmp(a, "-cmd") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "Error: missing argument to %s\n", argv[i]);
                free(cmds);
                return 1;
            }
            if (strcmp(a, "-c") == 0)
                command = argv[++i];
            else
                cmds[ncmds++] = argv[++i];
        } else if (strcmp(a, "-box") == 0 || strcmp(a, "-duckbox") == 0) {
            mode = SHELL_MODE_BOX;
        } else if (strcmp(a, "-csv") == 0) {
            mode = SHELL_MODE_CSV;
        } else if (strcmp(a, "-line") == 0) {
            mode = SHELL_MODE_LINE;
        } else if (strcmp(a, "-help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            free(cmds);
            return 0;
        } else if (strcmp(a, "-version") == 0) {
            printf("eider v%s\n", eider_version());
            free(cmds);
            return 0;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "Error: unknown option: %s\nUse -help for a list of options.\n", argv[i]);
            free(cmds);
            return 1;
        } else if (!path) {
            path = argv[i];
        } else {
            fprintf(stderr, "Error: more than one database given: %s\n", argv[i]);
            free(cmds);
            return 1;
        }
    }

    shell_state s = {0};
    s.mode = mode;
    s.out = stdout;
    s.err = stderr;
    s.interactive = !command && isatty(STDIN_FILENO);

    char *open_err = NULL;
    if (eider_open(path, NULL, &s.db, &open_err) != EIDER_SUCCESS) {
        fprintf(stderr, "%s\n", open_err ? open_err : "Error: cannot open the database");
        eider_free(open_err);
        free(cmds);
        return 1;
    }
    if (eider_connect(s.db, &s.conn) != EIDER_SUCCESS) {
        fprintf(stderr, "Error: cannot connect to the database\n");
        eider_close(s.db);
        free(cmds);
        return 1;
    }
    install_sigint();

    int rc = 0;
    for (size_t i = 0; i < ncmds && !s.quit; i++) {
        if (!run_command(&s, cmds[i]) && !s.interactive) {
            rc = 1;
            break;
        }
    }
    if (rc == 0 && !s.quit) {
        if (command) {
            if (!run_command(&s, command))
                rc = 1;
        } else if (s.interactive) {
            run_interactive(&s);
        } else if (!shell_run_stream(&s, stdin)) {
            rc = 1;
        }
    }
    fflush(stdout);
    eider_disconnect(s.conn);
    eider_close(s.db);
    free(cmds);
    return rc;
}
