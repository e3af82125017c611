/*
 * shell_scan.c — finds statement boundaries in SQL text typed into the shell: a ';' ends a
 * statement unless it is inside a string, a quoted identifier or a comment.
 */
#include "shell.h"

#include <ctype.h>

typedef enum scan_state {
    SCAN_CODE = 0,
    SCAN_STRING,        /* '...'  ('' is an escaped quote) */
    SCAN_IDENTIFIER,    /* "..."  ("" is an escaped quote) */
    SCAN_LINE_COMMENT,  /* -- up to the end of the line */
    SCAN_BLOCK_COMMENT  /* block comment, may nest */
} scan_state;

/* Walks text[0..len). Stops at the first ';' in code when stop_at_semicolon is set and returns
 * its offset + 1. Otherwise returns 0 and reports in *only_blank whether everything seen was
 * whitespace or finished comments. */
static size_t scan(const char *text, size_t len, bool stop_at_semicolon, bool *only_blank)
{
    scan_state st = SCAN_CODE;
    int depth = 0;
    bool blank = true;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        char next = i + 1 < len ? text[i + 1] : '\0';
        switch (st) {
        case SCAN_CODE:
            if (c == '\'') {
                st = SCAN_STRING;
                blank = false;
            } else if (c == '"') {
                st = SCAN_IDENTIFIER;
                blank = false;
            } else if (c == '-' && next == '-') {
                st = SCAN_LINE_COMMENT;
                i++;
            } else if (c == '/' && next == '*') {
                st = SCAN_BLOCK_COMMENT;
                depth = 1;
                i++;
            } else if (c == ';') {
                if (stop_at_semicolon)
                    return i + 1;
                blank = false;
            } else if (!isspace((unsigned char)c)) {
                blank = false;
            }
            break;
        case SCAN_STRING:
        case SCAN_IDENTIFIER: {
            char q = st == SCAN_STRING ? '\'' : '"';
            if (c == q) {
                if (next == q)
                    i++; /* doubled quote stays inside */
                else
                    st = SCAN_CODE;
            }
            break;
        }
        case SCAN_LINE_COMMENT:
            if (c == '\n')
                st = SCAN_CODE;
            break;
        case SCAN_BLOCK_COMMENT:
            if (c == '*' && next == '/') {
                i++;
                if (--depth == 0)
                    st = SCAN_CODE;
            } else if (c == '/' && next == '*') {
                i++;
                depth++;
            }
            break;
        }
    }
    if (only_blank)
        *only_blank = blank && (st == SCAN_CODE || st == SCAN_LINE_COMMENT);
    return 0;
}

size_t shell_scan_statement(const char *text, size_t len)
{
    return scan(text, len, true, NULL);
}

bool shell_scan_is_blank(const char *text, size_t len)
{
    bool blank = false;
    scan(text, len, false, &blank);
    return blank;
}
