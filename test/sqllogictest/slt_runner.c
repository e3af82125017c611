/*
 * slt_runner.c — runs the records of a parsed sqllogictest file: one fresh in-memory database
 * per file, a default connection plus named ones, loops with ${var} substitution, and checks
 * of statements and query results. Failures are printed with file:line, the SQL, and the
 * expected and actual text.
 */
#include "slt.h"

#include <ftw.h>
#include <limits.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eider.h"

#define SLT_MAX_VARS 64
#define SLT_MAX_CONNECTIONS 32
#define SLT_MAX_SHOWN_ROWS 60

/* Features `require` accepts; every other feature skips the rest of the file. */
static const char *const slt_known_features[] = {NULL};

typedef struct slt_var {
    const char *name;
    const char *value;
} slt_var;

typedef struct slt_named_connection {
    const char *name; /* points into the file text */
    eider_connection *conn;
} slt_named_connection;

typedef struct slt_label {
    char *name;
    char *result;
} slt_label;

typedef struct slt_ctx {
    const slt_file *f;
    slt_totals *totals;
    long passed, failed, skipped;
    eider_database *db;
    eider_connection *conn;
    slt_named_connection named[SLT_MAX_CONNECTIONS];
    int nnamed;
    char *db_path; /* NULL: in-memory */
    char test_dir[PATH_MAX];
    slt_var vars[SLT_MAX_VARS];
    int nvars;
    bool skip_mode;
    bool skip_next;
    bool stop; /* halt, or a require that is not met */
    slt_label *labels;
    int nlabels;
} slt_ctx;

/* ---- text helpers ---------------------------------------------------------------------- */

typedef struct sbuf {
    char *data;
    size_t len, cap;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 128;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) {
            fputs("eider_slt: out of memory\n", stderr);
            exit(2);
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static char *sb_take(sbuf *b)
{
    if (!b->data)
        sb_add(b, "", 0);
    return b->data;
}

/* Substitutes ${var} (innermost loop first) and __TEST_DIR__. Returns a malloc'd string. */
static char *substitute(const slt_ctx *c, const char *s)
{
    sbuf b = {0};
    while (*s) {
        if (s[0] == '$' && s[1] == '{') {
            const char *close = strchr(s + 2, '}');
            if (close) {
                size_t n = (size_t)(close - (s + 2));
                int v;
                for (v = c->nvars - 1; v >= 0; v--)
                    if (strlen(c->vars[v].name) == n && strncmp(c->vars[v].name, s + 2, n) == 0)
                        break;
                if (v >= 0) {
                    sb_str(&b, c->vars[v].value);
                    s = close + 1;
                    continue;
                }
            }
        }
        if (strncmp(s, "__TEST_DIR__", 12) == 0) {
            sb_str(&b, c->test_dir);
            s += 12;
            continue;
        }
        sb_add(&b, s, 1);
        s++;
    }
    return sb_take(&b);
}

static char *join_lines(const slt_ctx *c, int first, int count)
{
    sbuf b = {0};
    for (int k = 0; k < count; k++) {
        if (k > 0)
            sb_add(&b, "\n", 1);
        sb_str(&b, c->f->lines[first + k]);
    }
    char *joined = sb_take(&b);
    char *out = substitute(c, joined);
    free(joined);
    return out;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* ---- database and connections ---------------------------------------------------------- */

static void close_database(slt_ctx *c)
{
    for (int k = 0; k < c->nnamed; k++)
        eider_disconnect(c->named[k].conn);
    c->nnamed = 0;
    if (c->conn)
        eider_disconnect(c->conn);
    c->conn = NULL;
    if (c->db)
        eider_close(c->db);
    c->db = NULL;
}

/* Opens c->db_path (NULL: in-memory). Returns an error message to free, or NULL. */
static char *open_database(slt_ctx *c)
{
    char *err = NULL;
    if (eider_open(c->db_path, NULL, &c->db, &err) != EIDER_SUCCESS) {
        c->db = NULL;
        sbuf b = {0};
        sb_str(&b, "cannot open the database: ");
        sb_str(&b, err ? err : "unknown error");
        eider_free(err);
        return sb_take(&b);
    }
    eider_free(err);
    if (eider_connect(c->db, &c->conn) != EIDER_SUCCESS) {
        c->conn = NULL;
        return strdup("cannot connect to the database");
    }
    return NULL;
}

static eider_connection *connection_for(slt_ctx *c, const char *name)
{
    if (!name)
        return c->conn;
    for (int k = 0; k < c->nnamed; k++)
        if (strcmp(c->named[k].name, name) == 0)
            return c->named[k].conn;
    if (!c->db || c->nnamed == SLT_MAX_CONNECTIONS)
        return NULL;
    eider_connection *conn = NULL;
    if (eider_connect(c->db, &conn) != EIDER_SUCCESS)
        return NULL;
    c->named[c->nnamed].name = name;
    c->named[c->nnamed].conn = conn;
    c->nnamed++;
    return conn;
}

/* ---- reporting ------------------------------------------------------------------------- */

static void report_header(const slt_ctx *c, const slt_record *r, const char *what)
{
    printf("%s:%d", c->f->path, r->line);
    if (c->nvars > 0) {
        printf(" [");
        for (int v = 0; v < c->nvars; v++)
            printf("%s%s=%s", v ? " " : "", c->vars[v].name, c->vars[v].value);
        printf("]");
    }
    printf(": %s\n", what);
}

static void fail(slt_ctx *c, const slt_record *r, const char *what, const char *sql, const char *detail)
{
    c->failed++;
    report_header(c, r, what);
    if (sql)
        printf("%s\n", sql);
    if (detail)
        printf("%s\n", detail);
    printf("\n");
}

/* ---- results --------------------------------------------------------------------------- */

typedef struct slt_row {
    char **vals;
    int n;
} slt_row;

static int compare_rows(const void *a, const void *b)
{
    const slt_row *x = a, *y = b;
    for (int k = 0; k < x->n && k < y->n; k++) {
        int d = strcmp(x->vals[k], y->vals[k]);
        if (d)
            return d;
    }
    return x->n - y->n;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A table of strings: rows of values. All strings are malloc'd and owned by the table. */
typedef struct slt_table {
    slt_row *rows;
    int nrows;
} slt_table;

static void table_free(slt_table *t)
{
    for (int r = 0; r < t->nrows; r++) {
        for (int k = 0; k < t->rows[r].n; k++)
            free(t->rows[r].vals[k]);
        free(t->rows[r].vals);
    }
    free(t->rows);
    t->rows = NULL;
    t->nrows = 0;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) {
        fputs("eider_slt: out of memory\n", stderr);
        exit(2);
    }
    return p;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d) {
        fputs("eider_slt: out of memory\n", stderr);
        exit(2);
    }
    return d;
}

static void table_from_result(slt_table *t, const eider_result *res)
{
    uint64_t nrows = eider_row_count(res), ncols = eider_column_count(res);
    if (nrows > INT_MAX / 2)
        nrows = INT_MAX / 2;
    t->nrows = (int)nrows;
    t->rows = xcalloc((size_t)nrows, sizeof *t->rows);
    for (uint64_t r = 0; r < nrows; r++) {
        t->rows[r].n = (int)ncols;
        t->rows[r].vals = xcalloc((size_t)ncols, sizeof(char *));
        for (uint64_t k = 0; k < ncols; k++) {
            char *v = eider_value_is_null(res, k, r) ? NULL : eider_value_text(res, k, r);
            const char *shown = !v ? "NULL" : v[0] == '\0' ? "(empty)" : v;
            t->rows[r].vals[k] = xstrdup(shown);
            eider_free(v);
        }
    }
}

/* Splits one expected line on tabs into a row. */
static void row_from_line(slt_row *row, const char *line)
{
    int n = 1;
    for (const char *p = line; *p; p++)
        n += *p == '\t';
    row->n = n;
    row->vals = xcalloc((size_t)n, sizeof(char *));
    const char *start = line;
    for (int k = 0; k < n; k++) {
        const char *tab = strchr(start, '\t');
        size_t len = tab ? (size_t)(tab - start) : strlen(start);
        row->vals[k] = xcalloc(len + 1, 1);
        memcpy(row->vals[k], start, len);
        start = tab ? tab + 1 : start + len;
    }
}

/* Expected lines become rows: one line per row with TAB-separated values, or (as DuckDB
 * allows) one value per line when the line count is rows * columns. */
static void table_from_expected(slt_table *t, char **lines, int nlines, int ncols, int actual_rows)
{
    bool one_per_line = ncols > 1 && nlines != actual_rows && nlines % ncols == 0;
    for (int k = 0; k < nlines && one_per_line; k++)
        if (strchr(lines[k], '\t'))
            one_per_line = false;
    if (one_per_line) {
        t->nrows = nlines / ncols;
        t->rows = xcalloc((size_t)t->nrows, sizeof *t->rows);
        for (int r = 0; r < t->nrows; r++) {
            t->rows[r].n = ncols;
            t->rows[r].vals = xcalloc((size_t)ncols, sizeof(char *));
            for (int k = 0; k < ncols; k++)
                t->rows[r].vals[k] = xstrdup(lines[r * ncols + k]);
        }
        return;
    }
    t->nrows = nlines;
    t->rows = xcalloc((size_t)nlines, sizeof *t->rows);
    for (int r = 0; r < nlines; r++)
        row_from_line(&t->rows[r], lines[r]);
}

static void table_sort(slt_table *t, slt_sort sort)
{
    if (sort == SLT_SORT_ROWS) {
        qsort(t->rows, (size_t)t->nrows, sizeof *t->rows, compare_rows);
    } else if (sort == SLT_SORT_VALUES) {
        /* all values in one sorted list, kept in the original shape */
        int total = 0;
        for (int r = 0; r < t->nrows; r++)
            total += t->rows[r].n;
        char **all = xcalloc((size_t)total, sizeof(char *));
        int k = 0;
        for (int r = 0; r < t->nrows; r++)
            for (int v = 0; v < t->rows[r].n; v++)
                all[k++] = t->rows[r].vals[v];
        qsort(all, (size_t)total, sizeof(char *), compare_strings);
        k = 0;
        for (int r = 0; r < t->nrows; r++)
            for (int v = 0; v < t->rows[r].n; v++)
                t->rows[r].vals[v] = all[k++];
        free(all);
    }
}

static bool tables_equal(const slt_table *a, const slt_table *b, slt_sort sort)
{
    if (sort == SLT_SORT_VALUES) {
        /* compare the flat value lists */
        int ia = 0, ib = 0, ra = 0, rb = 0;
        for (;;) {
            while (ra < a->nrows && ia >= a->rows[ra].n) {
                ra++;
                ia = 0;
            }
            while (rb < b->nrows && ib >= b->rows[rb].n) {
                rb++;
                ib = 0;
            }
            bool ea = ra >= a->nrows, eb = rb >= b->nrows;
            if (ea || eb)
                return ea && eb;
            if (strcmp(a->rows[ra].vals[ia], b->rows[rb].vals[ib]) != 0)
                return false;
            ia++;
            ib++;
        }
    }
    if (a->nrows != b->nrows)
        return false;
    for (int r = 0; r < a->nrows; r++)
        if (a->rows[r].n != b->rows[r].n || compare_rows(&a->rows[r], &b->rows[r]) != 0)
            return false;
    return true;
}

static void table_text(sbuf *b, const slt_table *t, bool truncate)
{
    if (t->nrows == 0)
        sb_str(b, "   (no rows)\n");
    for (int r = 0; r < t->nrows; r++) {
        if (truncate && r == SLT_MAX_SHOWN_ROWS) {
            char tmp[64];
            snprintf(tmp, sizeof tmp, "   ... (%d rows in all)\n", t->nrows);
            sb_str(b, tmp);
            break;
        }
        for (int k = 0; k < t->rows[r].n; k++) {
            if (k > 0)
                sb_add(b, "\t", 1);
            sb_str(b, t->rows[r].vals[k]);
        }
        sb_add(b, "\n", 1);
    }
}

/* ---- records --------------------------------------------------------------------------- */

/* True when the message satisfies the expectation: a substring, or <REGEX>:pattern /
 * <!REGEX>:pattern (a POSIX extended regex that must match the whole message, or not). */
static bool error_matches(const char *message, const char *want)
{
    bool regex = strncmp(want, "<REGEX>:", 8) == 0;
    bool negated = strncmp(want, "<!REGEX>:", 9) == 0;
    if (!regex && !negated)
        return strstr(message, want) != NULL;
    const char *pattern = want + (regex ? 8 : 9);
    sbuf b = {0};
    sb_str(&b, "^(");
    sb_str(&b, pattern);
    sb_str(&b, ")$");
    regex_t re;
    bool matched = false;
    if (regcomp(&re, b.data, REG_EXTENDED | REG_NOSUB) == 0) {
        matched = regexec(&re, message, 0, NULL, 0) == 0;
        regfree(&re);
    }
    free(b.data);
    return negated ? !matched : matched;
}

static void run_statement(slt_ctx *c, const slt_record *r)
{
    char *sql = join_lines(c, r->sql_first, r->sql_count);
    eider_connection *conn = connection_for(c, r->connection);
    if (!conn) {
        fail(c, r, "no database connection (see the first failure)", sql, NULL);
        free(sql);
        return;
    }
    eider_result *res = NULL;
    eider_state st = eider_query(conn, sql, &res);
    const char *msg = res ? eider_result_error(res) : "no result";
    bool ok = st == EIDER_SUCCESS && !msg;
    if (!msg)
        msg = "(no message)";
    char *want = NULL;
    if (r->has_dashes && r->expected_count > 0)
        want = join_lines(c, r->expected_first, r->expected_count);
    const char *want_trimmed = want ? trim(want) : NULL;
    sbuf d = {0};
    if (r->expect == SLT_EXPECT_OK) {
        if (ok) {
            c->passed++;
        } else {
            sb_str(&d, "   error: ");
            sb_str(&d, msg);
            fail(c, r, "statement failed", sql, d.data);
        }
    } else if (ok && r->expect == SLT_EXPECT_ERROR) {
        fail(c, r, "statement succeeded, but an error was expected", sql,
             want_trimmed ? want_trimmed : NULL);
    } else if (ok || !want_trimmed || !*want_trimmed || error_matches(msg, want_trimmed)) {
        c->passed++;
    } else {
        sb_str(&d, "   expected error: ");
        sb_str(&d, want_trimmed);
        sb_str(&d, "\n   actual error:   ");
        sb_str(&d, msg);
        fail(c, r, "error message mismatch", sql, d.data);
    }
    free(d.data);
    free(want);
    if (res)
        eider_result_destroy(res);
    free(sql);
}

static slt_label *find_label(slt_ctx *c, const char *name)
{
    for (int k = 0; k < c->nlabels; k++)
        if (strcmp(c->labels[k].name, name) == 0)
            return &c->labels[k];
    return NULL;
}

static void run_query(slt_ctx *c, const slt_record *r)
{
    char *sql = join_lines(c, r->sql_first, r->sql_count);
    eider_connection *conn = connection_for(c, r->connection);
    if (!conn) {
        fail(c, r, "no database connection (see the first failure)", sql, NULL);
        free(sql);
        return;
    }
    eider_result *res = NULL;
    eider_state st = eider_query(conn, sql, &res);
    const char *msg = res ? eider_result_error(res) : "no result";
    sbuf d = {0};
    if (st != EIDER_SUCCESS || msg) {
        sb_str(&d, "   error: ");
        sb_str(&d, msg ? msg : "(no message)");
        fail(c, r, "query failed", sql, d.data);
        goto done;
    }
    uint64_t ncols = eider_column_count(res);
    if (strlen(r->types) != ncols) {
        char tmp[160];
        snprintf(tmp, sizeof tmp, "query has %zu type letters (%s) but the result has %llu columns",
                 strlen(r->types), r->types, (unsigned long long)ncols);
        fail(c, r, tmp, sql, NULL);
        goto done;
    }
    slt_table actual = {0}, expected = {0};
    table_from_result(&actual, res);
    char **lines = xcalloc((size_t)r->expected_count, sizeof(char *));
    for (int k = 0; k < r->expected_count; k++)
        lines[k] = substitute(c, c->f->lines[r->expected_first + k]);
    table_from_expected(&expected, lines, r->expected_count, (int)ncols, actual.nrows);
    for (int k = 0; k < r->expected_count; k++)
        free(lines[k]);
    free(lines);
    table_sort(&actual, r->sort);
    table_sort(&expected, r->sort);

    bool ok = true;
    const char *what = "result mismatch";
    slt_label *label = r->label ? find_label(c, r->label) : NULL;
    if (r->has_dashes && (r->expected_count > 0 || !r->label))
        ok = tables_equal(&expected, &actual, r->sort);
    sbuf text = {0};
    table_text(&text, &actual, false);
    if (ok && r->label) {
        if (label && strcmp(label->result, sb_take(&text)) != 0) {
            ok = false;
            what = "result differs from the earlier query with the same label";
        } else if (!label) {
            slt_label *nl = realloc(c->labels, (size_t)(c->nlabels + 1) * sizeof *nl);
            if (nl) {
                c->labels = nl;
                c->labels[c->nlabels].name = xstrdup(r->label);
                c->labels[c->nlabels].result = xstrdup(sb_take(&text));
                c->nlabels++;
            }
        }
    }
    free(text.data);
    if (ok) {
        c->passed++;
    } else {
        sb_str(&d, "   expected:\n");
        if (label && r->expected_count == 0)
            sb_str(&d, label->result);
        else
            table_text(&d, &expected, true);
        sb_str(&d, "   actual:\n");
        table_text(&d, &actual, true);
        if (d.len > 0 && d.data[d.len - 1] == '\n')
            d.data[--d.len] = '\0';
        fail(c, r, what, sql, d.data);
    }
    table_free(&actual);
    table_free(&expected);
done:
    free(d.data);
    if (res)
        eider_result_destroy(res);
    free(sql);
}

static bool names_this_engine(const char *name)
{
    return strcmp(name, "eider") == 0 || strcmp(name, "duckdb") == 0;
}

static bool feature_known(const char *name)
{
    for (int k = 0; slt_known_features[k]; k++)
        if (strcmp(slt_known_features[k], name) == 0)
            return true;
    return false;
}

static void reopen(slt_ctx *c, const slt_record *r)
{
    close_database(c);
    char *err = open_database(c);
    if (err) {
        fail(c, r, err, NULL, NULL);
        free(err);
    }
}

static void run_range(slt_ctx *c, int begin, int end)
{
    for (int i = begin; i < end && !c->stop; i++) {
        const slt_record *r = &c->f->records[i];
        switch (r->kind) {
        case SLT_STATEMENT:
        case SLT_QUERY:
            if (c->skip_mode || c->skip_next) {
                c->skip_next = false;
                c->skipped++;
                break;
            }
            if (c->totals->verbose)
                report_header(c, r, r->kind == SLT_STATEMENT ? "statement" : "query");
            if (r->kind == SLT_STATEMENT)
                run_statement(c, r);
            else
                run_query(c, r);
            break;
        case SLT_LOOP:
        case SLT_FOREACH: {
            if (c->nvars == SLT_MAX_VARS) {
                fail(c, r, "loops nested too deeply", NULL, NULL);
                i = r->end;
                break;
            }
            char value[32];
            int slot = c->nvars++;
            c->vars[slot].name = r->var;
            if (r->kind == SLT_LOOP) {
                for (long v = r->from; v < r->to && !c->stop; v++) {
                    snprintf(value, sizeof value, "%ld", v);
                    c->vars[slot].value = value;
                    run_range(c, i + 1, r->end);
                }
            } else {
                for (int k = 2; k < r->ntok && !c->stop; k++) {
                    c->vars[slot].value = r->tok[k];
                    run_range(c, i + 1, r->end);
                }
            }
            c->nvars--;
            i = r->end;
            break;
        }
        case SLT_ENDLOOP:
            break;
        case SLT_MODE:
            if (r->ntok > 1 && strcmp(r->tok[1], "skip") == 0)
                c->skip_mode = true;
            else if (r->ntok > 1 && strcmp(r->tok[1], "unskip") == 0)
                c->skip_mode = false;
            break;
        case SLT_HALT:
            if (!c->skip_mode)
                c->stop = true;
            break;
        case SLT_REQUIRE:
            if (r->ntok < 2 || !feature_known(r->tok[1])) {
                printf("%s:%d: skipped (require %s)\n", c->f->path, r->line,
                       r->ntok > 1 ? r->tok[1] : "");
                c->stop = true;
            }
            break;
        case SLT_SKIPIF:
            c->skip_next = names_this_engine(r->tok[1]);
            break;
        case SLT_ONLYIF:
            c->skip_next = !names_this_engine(r->tok[1]);
            break;
        case SLT_LOAD:
            if (c->skip_mode)
                break;
            free(c->db_path);
            c->db_path = r->ntok > 1 ? substitute(c, r->tok[1]) : NULL;
            reopen(c, r);
            break;
        case SLT_RESTART:
            if (!c->skip_mode)
                reopen(c, r);
            break;
        case SLT_RECONNECT:
            if (c->skip_mode)
                break;
            if (c->conn)
                eider_disconnect(c->conn);
            c->conn = NULL;
            if (c->db && eider_connect(c->db, &c->conn) != EIDER_SUCCESS) {
                c->conn = NULL;
                fail(c, r, "cannot reconnect", NULL, NULL);
            }
            break;
        case SLT_MALFORMED: {
            char tmp[200];
            snprintf(tmp, sizeof tmp, "malformed record: %s", r->problem ? r->problem : "?");
            fail(c, r, tmp, NULL, NULL);
            if (r->end >= 0)
                i = r->end;
            break;
        }
        }
    }
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void slt_file_run(const slt_file *f, slt_totals *totals)
{
    slt_ctx *c = xcalloc(1, sizeof *c);
    c->f = f;
    c->totals = totals;

    char cwd[PATH_MAX - 64];
    char tmpl[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        snprintf(cwd, sizeof cwd, ".");
    snprintf(tmpl, sizeof tmpl, "%s/eider_slt_XXXXXX", cwd);
    if (mkdtemp(tmpl))
        snprintf(c->test_dir, sizeof c->test_dir, "%s", tmpl);
    else
        printf("%s: cannot create a test directory under %s\n", f->path, cwd);

    slt_record first = {0};
    first.line = 1;
    char *err = open_database(c);
    if (err) {
        fail(c, &first, err, NULL, NULL);
        free(err);
    } else {
        run_range(c, 0, f->nrecords);
    }
    close_database(c);

    if (c->test_dir[0])
        nftw(c->test_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (c->failed > 0 || totals->verbose)
        printf("%s: %ld passed, %ld failed, %ld skipped\n", f->path, c->passed, c->failed,
               c->skipped);
    totals->passed += c->passed;
    totals->failed += c->failed;
    totals->skipped += c->skipped;
    for (int k = 0; k < c->nlabels; k++) {
        free(c->labels[k].name);
        free(c->labels[k].result);
    }
    free(c->labels);
    free(c->db_path);
    free(c);
}
