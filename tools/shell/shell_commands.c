/*
 * shell_commands.c — the shell's dot commands (.help, .mode, .timer, .tables, .schema,
 * .read, .quit). Catalog information comes from SQL (SHOW TABLES, DESCRIBE) run through the
 * public API.
 */
#include "shell.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DOT_MAX_ARGS 8

/* Splits a dot command line into words; '...' or "..." quote a word. Modifies line. */
static int split_words(char *line, char **argv, int max)
{
    int argc = 0;
    char *p = line;
    while (*p) {
        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        char *start;
        if (*p == '\'' || *p == '"') {
            char q = *p++;
            start = p;
            while (*p && *p != q)
                p++;
        } else {
            start = p;
            while (*p && !isspace((unsigned char)*p))
                p++;
        }
        if (*p)
            *p++ = '\0';
        if (argc < max)
            argv[argc] = start;
        argc++;
    }
    return argc;
}

static void print_help(FILE *out)
{
    fputs(".exit                  Exit the shell (also .quit, or Ctrl-D)\n"
          ".help                  Show this message\n"
          ".mode MODE             Set the output mode: box (default), csv, line\n"
          ".read FILE             Run the statements and dot commands in FILE\n"
          ".schema [TABLE]        Show CREATE TABLE statements of all tables or of TABLE\n"
          ".tables                List the tables\n"
          ".timer on|off          Print the run time of each statement\n"
          "\n"
          "SQL statements end with ';' and may span several lines. Ctrl-C stops a running\n"
          "query, or clears the line at the prompt.\n",
          out);
}

/* Runs sql and returns its result, or prints the error and returns NULL. */
static eider_result *query_or_report(shell_state *s, const char *sql)
{
    eider_result *r = NULL;
    eider_state st = eider_query(s->conn, sql, &r);
    const char *msg = r ? eider_result_error(r) : NULL;
    if (st != EIDER_SUCCESS || !r || msg) {
        fprintf(s->err, "%s\n", msg ? msg : "Error: query failed");
        if (r)
            eider_result_destroy(r);
        return NULL;
    }
    return r;
}

/* Index of the column named name (case-insensitive), or fallback. */
static uint64_t column_index(const eider_result *r, const char *name, uint64_t fallback)
{
    uint64_t n = eider_column_count(r);
    for (uint64_t c = 0; c < n; c++) {
        const char *nm = eider_column_name(r, c);
        if (nm && strcasecmp(nm, name) == 0)
            return c;
    }
    return fallback < n ? fallback : 0;
}

static bool cmd_tables(shell_state *s)
{
    eider_result *r = query_or_report(s, "SHOW TABLES");
    if (!r)
        return false;
    uint64_t n = eider_row_count(r);
    uint64_t col = column_index(r, "name", 0);
    if (eider_column_count(r) == 0) {
        eider_result_destroy(r);
        return true;
    }
    size_t widest = 0;
    for (uint64_t i = 0; i < n; i++) {
        char *v = eider_value_text(r, col, i);
        size_t w = v ? shell_display_width(v, strlen(v)) : 0;
        if (w > widest)
            widest = w;
        eider_free(v);
    }
    size_t colw = widest + 2;
    size_t per_line = shell_output_width(s) / (colw ? colw : 1);
    if (per_line == 0)
        per_line = 1;
    for (uint64_t i = 0; i < n; i++) {
        char *v = eider_value_text(r, col, i);
        const char *t = v ? v : "";
        bool last = (i + 1) % per_line == 0 || i + 1 == n;
        fputs(t, s->out);
        if (last) {
            fputc('\n', s->out);
        } else {
            for (size_t k = shell_display_width(t, strlen(t)); k < colw; k++)
                fputc(' ', s->out);
        }
        eider_free(v);
    }
    eider_result_destroy(r);
    return true;
}

/* Writes name, quoted with "..." when it is not a plain identifier. */
static void put_identifier(FILE *out, const char *name)
{
    bool plain = name[0] != '\0' && !isdigit((unsigned char)name[0]);
    for (const char *p = name; *p && plain; p++)
        if (!isalnum((unsigned char)*p) && *p != '_')
            plain = false;
    if (plain) {
        fputs(name, out);
        return;
    }
    fputc('"', out);
    for (const char *p = name; *p; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
}

/* Prints CREATE TABLE for one table from DESCRIBE. */
static bool schema_of(shell_state *s, const char *table)
{
    size_t n = strlen(table);
    char *sql = malloc(2 * n + 16);
    if (!sql)
        return false;
    char *o = sql + sprintf(sql, "DESCRIBE \"");
    for (const char *p = table; *p; p++) {
        if (*p == '"')
            *o++ = '"';
        *o++ = *p;
    }
    strcpy(o, "\"");
    eider_result *r = query_or_report(s, sql);
    free(sql);
    if (!r)
        return false;
    if (eider_column_count(r) == 0) {
        eider_result_destroy(r);
        return true;
    }
    uint64_t name_col = column_index(r, "column_name", 0);
    uint64_t type_col = column_index(r, "column_type", 1);
    uint64_t null_col = column_index(r, "null", UINT64_MAX);
    bool has_null = null_col < eider_column_count(r) && null_col != name_col && null_col != type_col;
    fputs("CREATE TABLE ", s->out);
    put_identifier(s->out, table);
    fputc('(', s->out);
    for (uint64_t i = 0; i < eider_row_count(r); i++) {
        char *name = eider_value_text(r, name_col, i);
        char *type = eider_value_text(r, type_col, i);
        char *nul = has_null ? eider_value_text(r, null_col, i) : NULL;
        if (i > 0)
            fputs(", ", s->out);
        put_identifier(s->out, name ? name : "");
        fprintf(s->out, " %s", type ? type : "");
        if (nul && strcasecmp(nul, "NO") == 0)
            fputs(" NOT NULL", s->out);
        eider_free(name);
        eider_free(type);
        eider_free(nul);
    }
    fputs(");\n", s->out);
    eider_result_destroy(r);
    return true;
}

static bool cmd_schema(shell_state *s, const char *table)
{
    if (table)
        return schema_of(s, table);
    eider_result *r = query_or_report(s, "SHOW TABLES");
    if (!r)
        return false;
    bool ok = true;
    uint64_t col = column_index(r, "name", 0);
    for (uint64_t i = 0; i < eider_row_count(r) && eider_column_count(r) > 0; i++) {
        char *t = eider_value_text(r, col, i);
        if (t && !schema_of(s, t))
            ok = false;
        eider_free(t);
    }
    eider_result_destroy(r);
    return ok;
}

static bool cmd_read(shell_state *s, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(s->err, "Error: cannot open \"%s\"\n", path);
        return false;
    }
    bool ok = shell_run_stream(s, f);
    fclose(f);
    return ok;
}

bool shell_dot_command(shell_state *s, const char *line)
{
    char *copy = strdup(line + 1);
    if (!copy)
        return false;
    char *argv[DOT_MAX_ARGS] = {0};
    int argc = split_words(copy, argv, DOT_MAX_ARGS);
    bool ok = true;
    const char *cmd = argc > 0 ? argv[0] : "";

    if (strcmp(cmd, "quit") == 0 || strcmp(cmd, "exit") == 0) {
        s->quit = true;
    } else if (strcmp(cmd, "help") == 0) {
        print_help(s->out);
    } else if (strcmp(cmd, "mode") == 0 && argc <= 2) {
        if (argc == 1) {
            const char *names[] = {"box", "csv", "line"};
            fprintf(s->out, "current output mode: %s\n", names[s->mode]);
        } else if (strcmp(argv[1], "box") == 0 || strcmp(argv[1], "duckbox") == 0) {
            s->mode = SHELL_MODE_BOX;
        } else if (strcmp(argv[1], "csv") == 0) {
            s->mode = SHELL_MODE_CSV;
        } else if (strcmp(argv[1], "line") == 0) {
            s->mode = SHELL_MODE_LINE;
        } else {
            fprintf(s->err, "Error: unknown mode \"%s\"; use box, csv or line\n", argv[1]);
            ok = false;
        }
    } else if (strcmp(cmd, "timer") == 0 && argc == 2 &&
               (strcmp(argv[1], "on") == 0 || strcmp(argv[1], "off") == 0)) {
        s->timer = strcmp(argv[1], "on") == 0;
    } else if (strcmp(cmd, "tables") == 0 && argc == 1) {
        ok = cmd_tables(s);
    } else if (strcmp(cmd, "schema") == 0 && argc <= 2) {
        ok = cmd_schema(s, argc == 2 ? argv[1] : NULL);
    } else if (strcmp(cmd, "read") == 0 && argc == 2) {
        ok = cmd_read(s, argv[1]);
    } else {
        fprintf(s->err,
                "Error: unknown command or invalid arguments: \"%s\". Enter \".help\" for help\n",
                cmd);
        ok = false;
    }
    free(copy);
    fflush(s->out);
    return ok;
}
