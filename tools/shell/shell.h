/*
 * shell.h — the `eider` command-line shell: its state, the SQL statement scanner that splits
 * input into statements, the result renderers (box, csv, line) and the dot commands.
 *
 * The shell talks to the database only through the public API (eider.h).
 */
#ifndef EIDER_SHELL_H
#define EIDER_SHELL_H

#include <stdbool.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>

#include "eider.h"

/* ---- statement scanner (shell_scan.c) ------------------------------------------------- */

/* Returns the length of the first complete statement at the start of text[0..len): the
 * offset just past its terminating ';'. Semicolons inside '...' strings, "..." identifiers,
 * -- line comments and block comments do not count. Returns 0 when the text holds no
 * complete statement yet. */
size_t shell_scan_statement(const char *text, size_t len);

/* True when text[0..len) holds only whitespace and finished comments (a -- comment at the
 * very end counts as finished). An unterminated string or block comment is not blank. */
bool shell_scan_is_blank(const char *text, size_t len);

/* ---- rendering (shell_render.c, shell_box.c) --------------------------------------- */

typedef enum shell_mode { SHELL_MODE_BOX = 0, SHELL_MODE_CSV, SHELL_MODE_LINE } shell_mode;

/* Box rendering shows at most this many rows; larger results show the first and last half. */
#define SHELL_BOX_MAX_ROWS 40

/* Display width of a UTF-8 string on a terminal (wide East Asian characters count 2,
 * combining marks 0). Invalid bytes count 1 each. */
size_t shell_display_width(const char *s, size_t len);

/* Display width of the character at s[*i] (of s[0..len)), advancing *i past it. */
size_t shell_next_char_width(const char *s, size_t len, size_t *i);

/* Lower-case DuckDB-style name of a column type: "int32", "int64", "varchar",
 * "decimal(18,3)". Writes into buf (always NUL-terminated) and returns buf. */
const char *shell_type_display_name(const eider_result *r, uint64_t col, char *buf, size_t cap);

/* Draws a result as a table in the style of DuckDB's shell. max_width is the widest table it
 * may draw (at least 80 is used): wide columns are cut with an ellipsis and, if that is not
 * enough, middle columns are left out. Results with more than SHELL_BOX_MAX_ROWS + 3 rows show
 * the first and last SHELL_BOX_MAX_ROWS / 2 rows. */
void shell_render_box(FILE *out, const eider_result *r, size_t max_width);
/* RFC 4180 CSV: a header line, then one line per row; NULL is an empty field. */
void shell_render_csv(FILE *out, const eider_result *r);
/* `name = value` per column (names right-aligned), a blank line between rows. */
void shell_render_line(FILE *out, const eider_result *r);

/* ---- the shell (shell_main.c, shell_commands.c) --------------------------------------- */

typedef struct shell_state {
    eider_database *db;
    eider_connection *conn;
    shell_mode mode;
    bool timer;
    bool interactive; /* reading from a terminal: errors do not stop the shell */
    bool quit;        /* .quit/.exit was run */
    FILE *out;
    FILE *err;
} shell_state;

/* Runs one SQL statement (or several, ';'-separated: each is run and printed in turn).
 * Errors are printed on the error stream. Returns false on the first failing statement. */
bool shell_run_sql(shell_state *s, const char *sql, size_t len);

/* Runs one dot command line (starting with '.'). Returns false on error. */
bool shell_dot_command(shell_state *s, const char *line);

/* Runs every statement and dot command read from f, as in batch mode: stops at the first
 * error and returns false. */
bool shell_run_stream(shell_state *s, FILE *f);

/* The progress bar of long queries (shell_progress.c): drawn on tty after two seconds, only
 * when tty is a terminal. */
typedef struct shell_progress {
    eider_connection *conn;
    FILE *tty;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool running, done, drawn;
} shell_progress;

void shell_progress_start(shell_progress *p, eider_connection *conn, FILE *tty);
void shell_progress_stop(shell_progress *p);

/* Widest table the box renderer may draw on the current output. */
size_t shell_output_width(const shell_state *s);

#endif
