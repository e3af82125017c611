/*
 * shell_render.c — display widths of UTF-8 text, type names as the shell shows them, and the
 * `csv` (RFC 4180) and `line` output modes, which stream the result row by row. The `box`
 * mode is in shell_box.c.
 */
#include "shell.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- UTF-8 widths ---------------------------------------------------------------------- */

/* Decodes the code point at s[*i], advancing *i. Invalid bytes decode as -1 (one byte). */
static long utf8_next(const char *s, size_t len, size_t *i)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned char c = u[*i];
    int n;
    long cp;
    if (c < 0x80) {
        (*i)++;
        return c;
    } else if ((c & 0xE0) == 0xC0) {
        n = 1;
        cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        n = 2;
        cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        n = 3;
        cp = c & 0x07;
    } else {
        (*i)++;
        return -1;
    }
    if (*i + (size_t)n >= len) {
        (*i)++;
        return -1;
    }
    for (int k = 1; k <= n; k++) {
        if ((u[*i + (size_t)k] & 0xC0) != 0x80) {
            (*i)++;
            return -1;
        }
        cp = (cp << 6) | (u[*i + (size_t)k] & 0x3F);
    }
    *i += (size_t)n + 1;
    return cp;
}

static size_t codepoint_width(long cp)
{
    if (cp < 0)
        return 1;
    if ((cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x1AB0 && cp <= 0x1AFF) ||
        (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x200B && cp <= 0x200F) ||
        (cp >= 0x20D0 && cp <= 0x20FF) || (cp >= 0xFE00 && cp <= 0xFE0F) ||
        (cp >= 0xFE20 && cp <= 0xFE2F))
        return 0;
    if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
        (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
        (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
        (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
        (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
        (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
        (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD))
        return 2;
    return 1;
}

size_t shell_next_char_width(const char *s, size_t len, size_t *i)
{
    return codepoint_width(utf8_next(s, len, i));
}

size_t shell_display_width(const char *s, size_t len)
{
    size_t w = 0;
    size_t i = 0;
    while (i < len)
        w += codepoint_width(utf8_next(s, len, &i));
    return w;
}

/* ---- types ----------------------------------------------------------------------------- */

const char *shell_type_display_name(const eider_result *r, uint64_t col, char *buf, size_t cap)
{
    static const struct {
        const char *sql;
        const char *shown;
    } names[] = {
        {"TINYINT", "int8"},   {"SMALLINT", "int16"}, {"INTEGER", "int32"},
        {"INT", "int32"},      {"BIGINT", "int64"},   {"HUGEINT", "int128"},
        {"UTINYINT", "uint8"}, {"USMALLINT", "uint16"}, {"UINTEGER", "uint32"},
        {"UBIGINT", "uint64"}, {"REAL", "float"},     {"FLOAT4", "float"},
    };
    const char *name = eider_column_type_name(r, col);
    if (!name) {
        switch (eider_column_type(r, col)) {
        case EIDER_TYPE_BOOLEAN: name = "BOOLEAN"; break;
        case EIDER_TYPE_INTEGER: name = "INTEGER"; break;
        case EIDER_TYPE_BIGINT: name = "BIGINT"; break;
        case EIDER_TYPE_DOUBLE: name = "DOUBLE"; break;
        case EIDER_TYPE_DECIMAL: name = "DECIMAL"; break;
        case EIDER_TYPE_VARCHAR: name = "VARCHAR"; break;
        case EIDER_TYPE_DATE: name = "DATE"; break;
        case EIDER_TYPE_TIMESTAMP: name = "TIMESTAMP"; break;
        default: name = "NULL"; break;
        }
    }
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        if (strcasecmp(name, names[k].sql) == 0) {
            snprintf(buf, cap, "%s", names[k].shown);
            return buf;
        }
    }
    size_t i = 0;
    for (; name[i] && i + 1 < cap; i++)
        buf[i] = (char)tolower((unsigned char)name[i]);
    if (cap > 0)
        buf[i] = '\0';
    return buf;
}

/* ---- csv mode -------------------------------------------------------------------------- */

static void csv_field(FILE *out, const char *v)
{
    if (!strpbrk(v, ",\"\r\n")) {
        fputs(v, out);
        return;
    }
    fputc('"', out);
    for (const char *p = v; *p; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
}

void shell_render_csv(FILE *out, const eider_result *r)
{
    uint64_t ncols = eider_column_count(r);
    uint64_t nrows = eider_row_count(r);
    if (ncols == 0)
        return;
    for (uint64_t c = 0; c < ncols; c++) {
        if (c > 0)
            fputc(',', out);
        const char *nm = eider_column_name(r, c);
        csv_field(out, nm ? nm : "");
    }
    fputc('\n', out);
    for (uint64_t row = 0; row < nrows; row++) {
        for (uint64_t c = 0; c < ncols; c++) {
            if (c > 0)
                fputc(',', out);
            if (eider_value_is_null(r, c, row))
                continue;
            char *v = eider_value_text(r, c, row);
            if (v)
                csv_field(out, v);
            eider_free(v);
        }
        fputc('\n', out);
    }
}

static void put_spaces(FILE *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fputc(' ', out);
}

/* ---- line mode ------------------------------------------------------------------------- */

void shell_render_line(FILE *out, const eider_result *r)
{
    uint64_t ncols = eider_column_count(r);
    uint64_t nrows = eider_row_count(r);
    size_t name_width = 0;
    for (uint64_t c = 0; c < ncols; c++) {
        const char *nm = eider_column_name(r, c);
        size_t w = nm ? shell_display_width(nm, strlen(nm)) : 0;
        if (w > name_width)
            name_width = w;
    }
    for (uint64_t row = 0; row < nrows; row++) {
        if (row > 0)
            fputc('\n', out);
        for (uint64_t c = 0; c < ncols; c++) {
            const char *nm = eider_column_name(r, c);
            if (!nm)
                nm = "";
            put_spaces(out, name_width - shell_display_width(nm, strlen(nm)));
            fputs(nm, out);
            fputs(" = ", out);
            char *v = eider_value_is_null(r, c, row) ? NULL : eider_value_text(r, c, row);
            fputs(v ? v : "NULL", out);
            eider_free(v);
            fputc('\n', out);
        }
    }
}
