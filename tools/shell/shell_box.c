/*
 * shell_box.c — the shell's `box` output mode: a table drawn with UTF-8 box characters that
 * follows the layout rules of DuckDB's shell (centred header and type rows, numbers
 * right-aligned, the first and last 20 rows of long results with dot rows between them, a
 * footer with row and column counts, wide columns cut with an ellipsis and middle columns
 * left out when the table would be wider than the terminal).
 *
 * Only the rows that are shown are read from the result, so a huge result costs no more to
 * print than a small one.
 */
#include "shell.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define BOX_H "\xe2\x94\x80"        /* ─ */
#define BOX_V "\xe2\x94\x82"        /* │ */
#define BOX_TL "\xe2\x94\x8c"       /* ┌ */
#define BOX_TR "\xe2\x94\x90"       /* ┐ */
#define BOX_BL "\xe2\x94\x94"       /* └ */
#define BOX_BR "\xe2\x94\x98"       /* ┘ */
#define BOX_TMID "\xe2\x94\xac"     /* ┬ */
#define BOX_BMID "\xe2\x94\xb4"     /* ┴ */
#define BOX_LMID "\xe2\x94\x9c"     /* ├ */
#define BOX_RMID "\xe2\x94\xa4"     /* ┤ */
#define BOX_CROSS "\xe2\x94\xbc"    /* ┼ */
#define BOX_DOT "\xc2\xb7"          /* · */
#define BOX_ELLIPSIS "\xe2\x80\xa6" /* … */

/* Columns wider than this are the first to be cut when the table does not fit. */
#define BOX_MAX_COL_WIDTH 20
/* The table may always be at least this wide. */
#define BOX_MIN_MAX_WIDTH 80

typedef enum box_align { ALIGN_LEFT, ALIGN_CENTER, ALIGN_RIGHT } box_align;

typedef struct box_cell {
    char *text;
    size_t width; /* display width of text */
} box_cell;

typedef struct box {
    FILE *out;
    uint64_t ncols, nrows;
    uint64_t top, bottom; /* rows shown from the start and from the end */
    bool readable_row;    /* a "(1.23 million)" row follows the single value row */
    box_cell *names, *types;
    box_cell *cells; /* nvalue_rows * ncols */
    uint64_t nvalue_rows;
    box_align *aligns;
    size_t *widths;
    bool *pruned;
    uint64_t split_at; /* the first pruned column, where the "…" column is drawn */
    size_t total;      /* width of the whole table in display characters */
    char row_str[64], readable_str[64], shown_str[64], col_str[96];
    bool hidden_rows, hidden_cols;
} box;

/* ---- helpers --------------------------------------------------------------------------- */

static void put_repeat(FILE *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fputs(s, out);
}

static void put_spaces(FILE *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fputc(' ', out);
}

/* Makes a value printable in one line: control characters become escapes (\n, \t, \1...). */
static bool cell_set(box_cell *cell, const char *v)
{
    size_t n = 0;
    for (const char *p = v; *p; p++)
        n += (unsigned char)*p < 0x20 ? 3 : 1;
    char *out = malloc(n + 1);
    if (!out)
        return false;
    char *o = out;
    for (const char *p = v; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20) {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case 7: *o++ = 'a'; break;
        case 8: *o++ = 'b'; break;
        case 9: *o++ = 't'; break;
        case 10: *o++ = 'n'; break;
        case 11: *o++ = 'v'; break;
        case 12: *o++ = 'f'; break;
        case 13: *o++ = 'r'; break;
        case 27: *o++ = 'e'; break;
        default: o += sprintf(o, "%u", c); break;
        }
    }
    *o = '\0';
    cell->text = out;
    cell->width = shell_display_width(out, (size_t)(o - out));
    return true;
}

static bool type_is_numeric(eider_type t)
{
    return t == EIDER_TYPE_INTEGER || t == EIDER_TYPE_BIGINT || t == EIDER_TYPE_DOUBLE ||
           t == EIDER_TYPE_DECIMAL;
}

/* "12345678" -> "12.35 million" (numbers of a million and more; others: false). */
static bool format_large_number(const char *numeric, char *out, size_t cap)
{
    static const struct {
        uint64_t base;
        const char *name;
    } units[] = {{1000000ULL, "million"},
                 {1000000000ULL, "billion"},
                 {1000000000000ULL, "trillion"},
                 {1000000000000000ULL, "quadrillion"},
                 {1000000000000000000ULL, "quintillion"}};
    if (strlen(numeric) <= 5)
        return false;
    const char *p = numeric;
    bool negative = *p == '-';
    if (negative)
        p++;
    uint64_t number = 0;
    for (; *p && *p != '.'; p++) {
        if (*p < '0' || *p > '9')
            return false;
        if (number >= 1000000000000000000ULL)
            return false;
        number = number * 10 + (uint64_t)(*p - '0');
    }
    uint64_t base = 0;
    const char *unit = NULL;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (number + units[i].base / 200 >= units[i].base) {
            base = units[i].base;
            unit = units[i].name;
        }
    }
    if (!unit)
        return false;
    number += base / 200;
    uint64_t hundredths = number / (base / 100);
    snprintf(out, cap, "%s%" PRIu64 ".%02" PRIu64 " %s", negative ? "-" : "", hundredths / 100,
             hundredths % 100, unit);
    return true;
}

/* Prints "│ value " padded to width plus a space on each side; a value wider than the
 * column is cut and ends with an ellipsis. */
static void put_value(FILE *out, const char *v, size_t vwidth, size_t width, box_align a)
{
    size_t len = strlen(v);
    size_t bytes = len;
    bool cut = false;
    if (vwidth > width) {
        size_t cur = 1; /* the ellipsis */
        size_t i = 0;
        while (i < len) {
            size_t j = i;
            size_t cw = shell_next_char_width(v, len, &j);
            if (cur + cw >= width)
                break;
            cur += cw;
            i = j;
        }
        bytes = i;
        vwidth = cur;
        cut = true;
    }
    size_t pad = width - vwidth + 2;
    size_t lpad = a == ALIGN_LEFT ? 1 : a == ALIGN_RIGHT ? pad - 1 : pad / 2;
    fputs(BOX_V, out);
    put_spaces(out, lpad);
    fwrite(v, 1, bytes, out);
    if (cut)
        fputs(BOX_ELLIPSIS, out);
    put_spaces(out, pad - lpad);
}

/* ---- layout ---------------------------------------------------------------------------- */

static void layout_line(const box *b, const char *left, const char *mid, const char *right)
{
    fputs(left, b->out);
    bool first = true;
    for (uint64_t c = 0; c < b->ncols; c++) {
        size_t w;
        if (b->pruned[c]) {
            if (c != b->split_at)
                continue;
            w = 1;
        } else {
            w = b->widths[c];
        }
        if (!first)
            fputs(mid, b->out);
        first = false;
        put_repeat(b->out, BOX_H, w + 2);
    }
    fputs(right, b->out);
    fputc('\n', b->out);
}

/* One row of cells (row may be names, types or a value row). align_override < 0: the
 * columns' own alignment. */
static void value_row(const box *b, const box_cell *row, int align_override)
{
    for (uint64_t c = 0; c < b->ncols; c++) {
        if (b->pruned[c]) {
            if (c == b->split_at)
                put_value(b->out, BOX_ELLIPSIS, 1, 1, ALIGN_CENTER);
            continue;
        }
        box_align a = align_override >= 0 ? (box_align)align_override : b->aligns[c];
        put_value(b->out, row[c].text, row[c].width, b->widths[c], a);
    }
    fputs(BOX_V "\n", b->out);
}

/* The three rows of dots between the first and the last rows: in a left- or right-aligned
 * column the dot sits in the middle of the neighbouring values. */
static void divider_rows(const box *b)
{
    const box_cell *prev = &b->cells[(b->top - 1) * b->ncols];
    const box_cell *next = &b->cells[b->top * b->ncols];
    for (int d = 0; d < 3; d++) {
        for (uint64_t c = 0; c < b->ncols; c++) {
            if (b->pruned[c]) {
                if (c == b->split_at)
                    put_value(b->out, BOX_DOT, 1, 1, ALIGN_CENTER);
                continue;
            }
            size_t w = b->widths[c];
            size_t top = prev[c].width < w ? prev[c].width : w;
            size_t bottom = next[c].width < w ? next[c].width : w;
            size_t dot = top < bottom ? top : bottom;
            if (top == 0)
                dot = bottom;
            else if (bottom == 0)
                dot = top;
            box_align a = b->aligns[c];
            char buf[256];
            if (dot > 1 && dot < 200) {
                size_t padding = dot - 1;
                size_t left = a == ALIGN_LEFT ? padding / 2 : padding - padding / 2;
                size_t right = padding - left;
                memset(buf, ' ', left);
                memcpy(buf + left, BOX_DOT, 2);
                memset(buf + left + 2, ' ', right);
                buf[left + 2 + right] = '\0';
                put_value(b->out, buf, dot, w, a);
            } else {
                put_value(b->out, BOX_DOT, 1, w, dot == 0 ? ALIGN_CENTER : a);
            }
        }
        fputs(BOX_V "\n", b->out);
    }
}

/* Widens the first column for a footer that must be shown, then cuts wide columns and
 * leaves out middle columns until the table fits max_width. */
static void fit_widths(box *b, size_t min_width, size_t max_width)
{
    b->total = 1;
    for (uint64_t c = 0; c < b->ncols; c++)
        b->total += b->widths[c] + 3;
    if (b->total < min_width) {
        b->widths[0] += min_width - b->total;
        b->total = min_width;
    }
    if (b->total <= max_width)
        return;

    size_t *original = malloc(b->ncols * sizeof *original);
    if (!original)
        return;
    memcpy(original, b->widths, b->ncols * sizeof *original);
    size_t can_cut = 0;
    for (uint64_t c = 0; c < b->ncols; c++)
        if (b->widths[c] > BOX_MAX_COL_WIDTH)
            can_cut += b->widths[c] - BOX_MAX_COL_WIDTH;
    if (can_cut >= b->total - max_width) {
        /* cut every wide column by the same share of what it could lose */
        size_t required = b->total - max_width;
        double share = (double)required / (double)can_cut;
        size_t done = 0;
        size_t *cut = calloc(b->ncols, sizeof *cut);
        if (!cut) {
            free(original);
            return;
        }
        for (uint64_t c = 0; c < b->ncols; c++) {
            if (b->widths[c] > BOX_MAX_COL_WIDTH) {
                cut[c] = (size_t)(share * (double)(b->widths[c] - BOX_MAX_COL_WIDTH));
                done += cut[c];
            }
        }
        for (uint64_t c = 0; c < b->ncols && done < required; c++) {
            if (b->widths[c] <= BOX_MAX_COL_WIDTH)
                continue;
            size_t more = b->widths[c] - BOX_MAX_COL_WIDTH - cut[c];
            if (more > required - done)
                more = required - done;
            cut[c] += more;
            done += more;
        }
        for (uint64_t c = 0; c < b->ncols; c++) {
            b->widths[c] -= cut[c];
            b->total -= cut[c];
        }
        free(cut);
    } else {
        for (uint64_t c = 0; c < b->ncols; c++) {
            if (b->widths[c] > BOX_MAX_COL_WIDTH) {
                b->total -= b->widths[c] - BOX_MAX_COL_WIDTH;
                b->widths[c] = BOX_MAX_COL_WIDTH;
            }
        }
    }
    if (b->total > max_width) {
        /* leave out columns from the middle outwards, and draw one "…" column instead */
        b->total += 3 + 1;
        int64_t offset = 0;
        uint64_t visible = b->ncols;
        while (b->total > max_width && visible > 1) {
            int64_t c = (int64_t)(b->ncols / 2) + offset;
            offset = offset >= 0 ? -offset - 1 : -offset;
            if (c < 0 || (uint64_t)c >= b->ncols || b->pruned[c])
                continue;
            b->pruned[c] = true;
            b->total -= b->widths[c] + 3;
            visible--;
        }
        for (uint64_t c = 0; c < b->ncols; c++) {
            if (b->pruned[c]) {
                b->split_at = c;
                b->hidden_cols = true;
                break;
            }
        }
        /* give space that is left back to the columns that were cut */
        size_t left = max_width > b->total ? max_width - b->total : 0;
        for (uint64_t c = 0; c < b->ncols && left > 0; c++) {
            if (b->pruned[c] || b->widths[c] >= original[c])
                continue;
            size_t more = original[c] - b->widths[c];
            if (more > left)
                more = left;
            b->widths[c] += more;
            b->total += more;
            left -= more;
        }
    }
    free(original);
}

static void footer(box *b)
{
    FILE *out = b->out;
    size_t render_length = strlen(b->row_str);
    if (strlen(b->shown_str) + 2 > render_length)
        render_length = strlen(b->shown_str) + 2;
    if (strlen(b->readable_str) + 2 > render_length)
        render_length = strlen(b->readable_str) + 2;
    render_length += 4;

    size_t min_len = strlen(b->row_str) + strlen(b->col_str) + 6;
    bool rows_and_cols = b->total >= min_len && ((b->hidden_cols && b->nrows > 0) ||
                                                 (b->nrows >= 10 && b->ncols > 1));
    bool rows_only = b->total >= render_length && (b->nrows == 0 || b->nrows >= 10);
    bool any = rows_and_cols || rows_only;
    layout_line(b, any ? BOX_LMID : BOX_BL, BOX_BMID, any ? BOX_RMID : BOX_BR);
    if (!any)
        return;

    size_t padding = b->total - strlen(b->row_str) - 4;
    if (rows_and_cols)
        padding -= strlen(b->col_str);
    char extra[160] = "";
    size_t shown_size = strlen(b->readable_str) + strlen(b->shown_str) + (b->readable_str[0] ? 5 : 3);
    if (b->hidden_rows && padding >= shown_size) {
        snprintf(extra, sizeof extra, " (%s%s%s)", b->readable_str, b->readable_str[0] ? ", " : "",
                 b->shown_str);
        padding -= shown_size;
        b->readable_str[0] = '\0';
        b->shown_str[0] = '\0';
    }
    fputs(BOX_V " ", out);
    if (rows_and_cols) {
        fputs(b->row_str, out);
        fputs(extra, out);
        put_spaces(out, padding);
        fputs(b->col_str, out);
    } else {
        put_spaces(out, padding / 2);
        fputs(b->row_str, out);
        fputs(extra, out);
        put_spaces(out, padding - padding / 2);
    }
    fputs(" " BOX_V "\n", out);

    if (b->readable_str[0] && b->shown_str[0] &&
        strlen(b->readable_str) + strlen(b->shown_str) + 4 <= b->total) {
        fputs(BOX_V " ", out);
        fputs(b->readable_str, out);
        put_spaces(out, b->total - strlen(b->readable_str) - strlen(b->shown_str) - 4);
        fputs(b->shown_str, out);
        fputs(" " BOX_V "\n", out);
        b->readable_str[0] = '\0';
        b->shown_str[0] = '\0';
    }
    box_align a = rows_and_cols ? ALIGN_LEFT : ALIGN_CENTER;
    const char *rest[2] = {b->readable_str, b->shown_str};
    for (int k = 0; k < 2; k++) {
        if (!rest[k][0])
            continue;
        char tmp[80];
        snprintf(tmp, sizeof tmp, "(%s)", rest[k]);
        put_value(out, tmp, strlen(tmp), b->total - 4, a);
        fputs(BOX_V "\n", out);
    }
    fputs(BOX_BL, out);
    put_repeat(out, BOX_H, b->total - 2);
    fputs(BOX_BR "\n", out);
}

/* ---- entry point ----------------------------------------------------------------------- */

static bool box_load(box *b, const eider_result *r)
{
    for (uint64_t c = 0; c < b->ncols; c++) {
        char tbuf[128];
        const char *nm = eider_column_name(r, c);
        if (!cell_set(&b->names[c], nm ? nm : "") ||
            !cell_set(&b->types[c], shell_type_display_name(r, c, tbuf, sizeof tbuf)))
            return false;
        b->aligns[c] = type_is_numeric(eider_column_type(r, c)) ? ALIGN_RIGHT : ALIGN_LEFT;
    }
    for (uint64_t k = 0; k < b->top + b->bottom; k++) {
        uint64_t row = k < b->top ? k : b->nrows - b->bottom + (k - b->top);
        for (uint64_t c = 0; c < b->ncols; c++) {
            char *v = eider_value_is_null(r, c, row) ? NULL : eider_value_text(r, c, row);
            bool ok = cell_set(&b->cells[k * b->ncols + c], v ? v : "NULL");
            eider_free(v);
            if (!ok)
                return false;
        }
    }
    /* a single row of big numbers gets a readable line under it: "(12.35 million)" */
    if (b->nrows == 1) {
        bool all = true;
        for (uint64_t c = 0; c < b->ncols && all; c++) {
            char buf[64];
            all = type_is_numeric(eider_column_type(r, c)) &&
                  format_large_number(b->cells[c].text, buf, sizeof buf);
        }
        for (uint64_t c = 0; c < b->ncols && all; c++) {
            char buf[64], paren[80];
            format_large_number(b->cells[c].text, buf, sizeof buf);
            snprintf(paren, sizeof paren, "(%s)", buf);
            if (!cell_set(&b->cells[b->ncols + c], paren))
                return false;
        }
        b->readable_row = all;
        if (all)
            b->nvalue_rows = 2;
    }
    return true;
}

void shell_render_box(FILE *out, const eider_result *r, size_t max_width)
{
    box b;
    memset(&b, 0, sizeof b);
    b.out = out;
    b.ncols = eider_column_count(r);
    b.nrows = eider_row_count(r);
    if (b.ncols == 0)
        return;
    /* eliding rows adds three dot rows, so a result only slightly over the limit is shown whole */
    if (b.nrows > SHELL_BOX_MAX_ROWS + 3) {
        b.top = (SHELL_BOX_MAX_ROWS + 1) / 2;
        b.bottom = SHELL_BOX_MAX_ROWS - b.top;
    } else {
        b.top = b.nrows;
    }
    b.nvalue_rows = b.top + b.bottom;
    b.hidden_rows = b.nvalue_rows < b.nrows;
    b.split_at = UINT64_MAX;
    uint64_t cell_rows = b.nvalue_rows > 0 ? b.nvalue_rows + 1 : 1;
    b.names = calloc(b.ncols, sizeof *b.names);
    b.types = calloc(b.ncols, sizeof *b.types);
    b.cells = calloc(cell_rows * b.ncols, sizeof *b.cells);
    b.aligns = calloc(b.ncols, sizeof *b.aligns);
    b.widths = calloc(b.ncols, sizeof *b.widths);
    b.pruned = calloc(b.ncols, sizeof *b.pruned);
    if (!b.names || !b.types || !b.cells || !b.aligns || !b.widths || !b.pruned || !box_load(&b, r)) {
        fputs("Out of memory while printing the result\n", stderr);
        goto done;
    }

    for (uint64_t c = 0; c < b.ncols; c++) {
        size_t w = b.names[c].width > b.types[c].width ? b.names[c].width : b.types[c].width;
        for (uint64_t k = 0; k < b.nvalue_rows; k++)
            if (b.cells[k * b.ncols + c].width > w)
                w = b.cells[k * b.ncols + c].width;
        b.widths[c] = w;
    }

    snprintf(b.row_str, sizeof b.row_str, "%" PRIu64 " rows", b.nrows);
    char number[32];
    snprintf(number, sizeof number, "%" PRIu64, b.nrows);
    if (format_large_number(number, b.readable_str, sizeof b.readable_str - 8))
        strcat(b.readable_str, " rows");
    if (b.hidden_rows)
        snprintf(b.shown_str, sizeof b.shown_str, "%" PRIu64 " shown", b.nvalue_rows);
    snprintf(b.col_str, sizeof b.col_str, "%" PRIu64 " column%s", b.ncols, b.ncols > 1 ? "s" : "");
    size_t render_length = strlen(b.row_str);
    if (strlen(b.shown_str) + 2 > render_length)
        render_length = strlen(b.shown_str) + 2;
    if (strlen(b.readable_str) + 2 > render_length)
        render_length = strlen(b.readable_str) + 2;
    render_length += 4;
    bool must_show_footer = b.hidden_rows || b.nrows == 0;

    fit_widths(&b, must_show_footer ? render_length : 0,
               max_width > BOX_MIN_MAX_WIDTH ? max_width : BOX_MIN_MAX_WIDTH);
    if (b.hidden_cols) {
        uint64_t shown = 0;
        for (uint64_t c = 0; c < b.ncols; c++)
            shown += !b.pruned[c];
        size_t n = strlen(b.col_str);
        snprintf(b.col_str + n, sizeof b.col_str - n, " (%" PRIu64 " shown)", shown);
    }

    layout_line(&b, BOX_TL, BOX_TMID, BOX_TR);
    value_row(&b, b.names, ALIGN_CENTER);
    value_row(&b, b.types, ALIGN_CENTER);
    if (b.nvalue_rows > 0)
        layout_line(&b, BOX_LMID, BOX_CROSS, BOX_RMID);
    for (uint64_t k = 0; k < b.nvalue_rows; k++) {
        if (b.hidden_rows && k == b.top)
            divider_rows(&b);
        value_row(&b, &b.cells[k * b.ncols], b.readable_row ? ALIGN_CENTER : -1);
    }
    footer(&b);

done:
    for (uint64_t c = 0; b.names && c < b.ncols; c++)
        free(b.names[c].text);
    for (uint64_t c = 0; b.types && c < b.ncols; c++)
        free(b.types[c].text);
    for (uint64_t k = 0; b.cells && k < cell_rows * b.ncols; k++)
        free(b.cells[k].text);
    free(b.names);
    free(b.types);
    free(b.cells);
    free(b.aligns);
    free(b.widths);
    free(b.pruned);
}
