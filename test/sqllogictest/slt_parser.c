/*
 * slt_parser.c — reads a sqllogictest file into records. Never fails on malformed input: a
 * line it cannot read becomes an SLT_MALFORMED record that reports its line when run.
 */
#include "slt.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_all(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n - 1, fp);
        n += got;
        if (n + 1 < cap)
            break;
        cap *= 2;
        char *nb = realloc(buf, cap);
        if (!nb) {
            free(buf);
            buf = NULL;
        }
        buf = nb;
    }
    bool err = ferror(fp);
    fclose(fp);
    if (!buf || err) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static bool is_blank(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            return false;
    return true;
}

/* Splits a copy-free line into words in place; returns a malloc'd array. */
static char **split_words(char *line, int *count)
{
    int cap = 8, n = 0;
    char **tok = malloc((size_t)cap * sizeof *tok);
    if (!tok) {
        *count = 0;
        return NULL;
    }
    char *p = line;
    for (;;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        if (n == cap) {
            cap *= 2;
            char **nt = realloc(tok, (size_t)cap * sizeof *tok);
            if (!nt)
                break;
            tok = nt;
        }
        tok[n++] = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        if (*p)
            *p++ = '\0';
    }
    *count = n;
    return tok;
}

static bool parse_long(const char *s, long *out)
{
    if (!s)
        return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end)
        return false;
    *out = v;
    return true;
}

static slt_record *add_record(slt_file *f, int *cap)
{
    if (f->nrecords == *cap) {
        int nc = *cap ? *cap * 2 : 64;
        slt_record *nr = realloc(f->records, (size_t)nc * sizeof *nr);
        if (!nr)
            return NULL;
        f->records = nr;
        *cap = nc;
    }
    slt_record *r = &f->records[f->nrecords++];
    memset(r, 0, sizeof *r);
    r->end = -1;
    return r;
}

/* Reads the SQL lines after a statement/query header and the optional ---- block. Returns
 * the index of the first line after the record. */
static int read_body(slt_file *f, slt_record *r, int i)
{
    r->sql_first = i;
    while (i < f->nlines && !is_blank(f->lines[i]) && strcmp(f->lines[i], "----") != 0)
        i++;
    r->sql_count = i - r->sql_first;
    r->expected_first = i;
    if (i < f->nlines && strcmp(f->lines[i], "----") == 0) {
        r->has_dashes = true;
        i++;
        r->expected_first = i;
        while (i < f->nlines && f->lines[i][0] != '\0')
            i++;
        r->expected_count = i - r->expected_first;
    }
    return i;
}

static bool is_sort_word(const char *w, slt_sort *sort)
{
    if (strcmp(w, "nosort") == 0)
        *sort = SLT_SORT_NONE;
    else if (strcmp(w, "rowsort") == 0)
        *sort = SLT_SORT_ROWS;
    else if (strcmp(w, "valuesort") == 0)
        *sort = SLT_SORT_VALUES;
    else
        return false;
    return true;
}

static void parse_statement(slt_record *r)
{
    r->kind = SLT_STATEMENT;
    const char *mode = r->ntok > 1 ? r->tok[1] : "ok";
    if (strcmp(mode, "ok") == 0)
        r->expect = SLT_EXPECT_OK;
    else if (strcmp(mode, "error") == 0)
        r->expect = SLT_EXPECT_ERROR;
    else if (strcmp(mode, "maybe") == 0)
        r->expect = SLT_EXPECT_MAYBE;
    else {
        r->kind = SLT_MALFORMED;
        r->problem = "statement must be followed by ok, error or maybe";
        return;
    }
    if (r->ntok > 2)
        r->connection = r->tok[2];
    if (r->sql_count == 0) {
        r->kind = SLT_MALFORMED;
        r->problem = "statement without SQL";
    } else if (r->expect == SLT_EXPECT_OK && r->has_dashes && r->expected_count > 0) {
        r->kind = SLT_MALFORMED;
        r->problem = "statement ok with expected output (use query)";
    }
}

static void parse_query(slt_record *r)
{
    r->kind = SLT_QUERY;
    if (r->ntok < 2) {
        r->kind = SLT_MALFORMED;
        r->problem = "query without type letters";
        return;
    }
    r->types = r->tok[1];
    for (const char *p = r->types; *p; p++) {
        if (!isalpha((unsigned char)*p)) {
            r->kind = SLT_MALFORMED;
            r->problem = "query type letters must be letters like I, R, T";
            return;
        }
    }
    if (r->ntok > 2 && !is_sort_word(r->tok[2], &r->sort))
        r->connection = r->tok[2]; /* as in DuckDB: an unknown sort mode names a connection */
    if (r->ntok > 3)
        r->label = r->tok[3];
    if (r->sql_count == 0) {
        r->kind = SLT_MALFORMED;
        r->problem = "query without SQL";
    } else if (!r->has_dashes && !r->label) {
        r->kind = SLT_MALFORMED;
        r->problem = "query without a ---- line";
    }
}

bool slt_file_load(slt_file *f, const char *path)
{
    memset(f, 0, sizeof *f);
    f->path = path;
    size_t len = 0;
    f->text = read_all(path, &len);
    if (!f->text) {
        fprintf(stderr, "%s: cannot read the file: %s\n", path, strerror(errno));
        return false;
    }
    int cap_lines = 1;
    for (size_t k = 0; k < len; k++)
        if (f->text[k] == '\n')
            cap_lines++;
    f->lines = malloc((size_t)cap_lines * sizeof *f->lines);
    if (!f->lines) {
        free(f->text);
        f->text = NULL;
        return false;
    }
    char *p = f->text;
    while (f->nlines < cap_lines) {
        char *nl = strchr(p, '\n');
        f->lines[f->nlines++] = p;
        if (nl)
            *nl = '\0';
        size_t l = strlen(p);
        if (l > 0 && p[l - 1] == '\r')
            p[l - 1] = '\0';
        if (!nl)
            break;
        p = nl + 1;
    }
    if (f->nlines > 0 && f->lines[f->nlines - 1][0] == '\0')
        f->nlines--; /* the text ended with a newline */

    int cap = 0;
    int loop_stack[64];
    int depth = 0;
    int i = 0;
    while (i < f->nlines) {
        char *line = f->lines[i];
        char *t = line;
        while (isspace((unsigned char)*t))
            t++;
        if (*t == '\0' || *t == '#') {
            i++;
            continue;
        }
        slt_record *r = add_record(f, &cap);
        if (!r) {
            fprintf(stderr, "%s: out of memory\n", path);
            return false;
        }
        int rec_index = f->nrecords - 1;
        r->line = i + 1;
        /* the header line is split into words in place */
        r->tok = split_words(line, &r->ntok);
        i++;
        const char *head = r->ntok > 0 ? r->tok[0] : "";
        if (strcmp(head, "statement") == 0) {
            i = read_body(f, r, i);
            parse_statement(r);
        } else if (strcmp(head, "query") == 0) {
            i = read_body(f, r, i);
            parse_query(r);
        } else if (strcmp(head, "loop") == 0 || strcmp(head, "concurrentloop") == 0) {
            r->kind = SLT_LOOP;
            if (r->ntok != 4 || !parse_long(r->tok[2], &r->from) || !parse_long(r->tok[3], &r->to)) {
                r->kind = SLT_MALFORMED;
                r->problem = "expected: loop VAR FROM TO";
            }
            r->var = r->ntok > 1 ? r->tok[1] : "";
        } else if (strcmp(head, "foreach") == 0 || strcmp(head, "concurrentforeach") == 0) {
            r->kind = SLT_FOREACH;
            if (r->ntok < 3) {
                r->kind = SLT_MALFORMED;
                r->problem = "expected: foreach VAR VALUE...";
            }
            r->var = r->ntok > 1 ? r->tok[1] : "";
        } else if (strcmp(head, "endloop") == 0) {
            r->kind = SLT_ENDLOOP;
            if (depth == 0) {
                r->kind = SLT_MALFORMED;
                r->problem = "endloop without loop";
            } else {
                f->records[loop_stack[--depth]].end = rec_index;
            }
        } else if (strcmp(head, "mode") == 0) {
            r->kind = SLT_MODE;
        } else if (strcmp(head, "halt") == 0) {
            r->kind = SLT_HALT;
        } else if (strcmp(head, "require") == 0) {
            r->kind = SLT_REQUIRE;
        } else if (strcmp(head, "skipif") == 0 || strcmp(head, "onlyif") == 0) {
            r->kind = head[0] == 's' ? SLT_SKIPIF : SLT_ONLYIF;
            if (r->ntok != 2) {
                r->kind = SLT_MALFORMED;
                r->problem = "expected: skipif|onlyif ENGINE";
            }
        } else if (strcmp(head, "load") == 0) {
            r->kind = SLT_LOAD;
        } else if (strcmp(head, "restart") == 0) {
            r->kind = SLT_RESTART;
        } else if (strcmp(head, "reconnect") == 0) {
            r->kind = SLT_RECONNECT;
        } else if (strcmp(head, "hash-threshold") == 0 || strcmp(head, "sleep") == 0 ||
                   strcmp(head, "set") == 0 || strcmp(head, "unset") == 0) {
            r->kind = SLT_MODE; /* accepted, no effect here */
            r->ntok = 1;
        } else {
            r->kind = SLT_MALFORMED;
            r->problem = "unknown directive";
            /* skip a body that may follow, so that its lines are not read as directives */
            while (i < f->nlines && !is_blank(f->lines[i]))
                i++;
        }
        bool loop_head = strcmp(head, "loop") == 0 || strcmp(head, "concurrentloop") == 0 ||
                         strcmp(head, "foreach") == 0 || strcmp(head, "concurrentforeach") == 0;
        if (loop_head) {
            if (depth < (int)(sizeof loop_stack / sizeof loop_stack[0])) {
                loop_stack[depth++] = rec_index;
            } else {
                r->kind = SLT_MALFORMED;
                r->problem = "loops nested too deeply";
                r->end = -1;
            }
        }
    }
    while (depth > 0) {
        slt_record *r = &f->records[loop_stack[--depth]];
        r->kind = SLT_MALFORMED;
        r->problem = "loop without endloop";
        r->end = f->nrecords; /* the body is not run */
    }
    return true;
}

void slt_file_free(slt_file *f)
{
    for (int k = 0; k < f->nrecords; k++)
        free(f->records[k].tok);
    free(f->records);
    free(f->lines);
    free(f->text);
    memset(f, 0, sizeof *f);
}
