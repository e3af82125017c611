/*
 * tokenizer.h — splits SQL text into tokens for the parser, recognizes keywords, and formats
 * parser errors with the line, column and a caret under the offending token.
 *
 * Tokens do not copy text: they are (start, length) spans of the SQL string. Whitespace and
 * comments (-- to end of line, nestable slash-star comments) are skipped.
 */
#ifndef EIDER_TOKENIZER_H
#define EIDER_TOKENIZER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

typedef enum token_type {
    TOK_EOF = 0,
    TOK_IDENT,        /* unquoted identifier or keyword (keyword != KW_NONE) */
    TOK_QUOTED_IDENT, /* "name" ("" inside stands for ") */
    TOK_STRING,       /* 'text' ('' inside stands for ') */
    TOK_INTEGER,      /* 123 */
    TOK_DECIMAL,      /* 1.5, .5, 2. */
    TOK_FLOAT,        /* 1e10, 1.5E-3 */
    TOK_PARAM,        /* ? */
    TOK_DOLLAR_PARAM, /* $1 */
    TOK_LPAREN,
    TOK_RPAREN,
    TOK_LBRACKET,
    TOK_RBRACKET,
    TOK_LBRACE,
    TOK_RBRACE,
    TOK_COMMA,
    TOK_SEMICOLON,
    TOK_DOT,
    TOK_COLON,        /* : */
    TOK_COLON_EQ,     /* := */
    TOK_DOUBLE_COLON, /* :: */
    TOK_STAR,
    TOK_PLUS,
    TOK_MINUS,
    TOK_SLASH,
    TOK_SLASH_SLASH,  /* // */
    TOK_PERCENT,
    TOK_CONCAT,       /* || */
    TOK_EQ,           /* = */
    TOK_EQ_EQ,        /* == */
    TOK_NE,           /* <> or != */
    TOK_LT,
    TOK_LE,
    TOK_GT,
    TOK_GE,
    TOK_ARROW,        /* => */
} token_type;

/* Keywords, in alphabetical order. Category: R reserved (never
 * an identifier unless quoted), T usable as a function or type name but not as a column or a
 * bare alias, U unreserved (usable as an identifier), N unreserved but never a bare alias. */
#define KEYWORD_LIST(X)                                                                                  \
    X(ABORT, U) X(ALL, R) X(ANALYZE, U) X(AND, R) X(ANTI, T) X(ANY, R) X(AS, R) X(ASC, R) X(ASOF, T)      \
    X(BEGIN, U) X(BETWEEN, T) X(BY, U) X(CASCADE, U) X(CASE, R) X(CAST, R) X(CHECK, R)                    \
    X(CHECKPOINT, U) X(COLLATE, R) X(COMMIT, U) X(CONSTRAINT, R) X(COPY, U) X(CREATE, R) X(CROSS, T)      \
    X(CURRENT, U) X(DEFAULT, R) X(DELETE, U) X(DESC, R) X(DESCRIBE, U) X(DISTINCT, R) X(DROP, U)          \
    X(ELSE, R) X(END, R) X(ESCAPE, U) X(EXCEPT, R) X(EXCLUDE, U) X(EXISTS, T) X(EXPLAIN, U) X(FALSE, R)   \
    X(FETCH, R) X(FILTER, U) X(FIRST, U) X(FOLLOWING, U) X(FOR, R) X(FORCE, U) X(FOREIGN, R) X(FROM, R)   \
    X(FULL, T) X(GLOB, T) X(GLOBAL, U) X(GRANT, R) X(GROUP, R) X(GROUPS, U) X(HAVING, R) X(IF, U)         \
    X(IGNORE, U) X(ILIKE, T) X(IN, R) X(INNER, T) X(INSERT, U) X(INTERSECT, R) X(INTERVAL, U) X(INTO, R)  \
    X(IS, T) X(ISNULL, T) X(JOIN, T) X(KEY, U) X(LAST, U) X(LATERAL, R) X(LEFT, T) X(LIKE, T)             \
    X(LIMIT, R) X(LOCAL, U) X(MATERIALIZED, U) X(NATURAL, T) X(NOT, R) X(NOTNULL, T) X(NULL, R)          \
    X(NULLS, U) X(OFFSET, R) X(ON, R) X(OR, R) X(ORDER, R) X(OUTER, T) X(OVER, T) X(PARTITION, U)        \
    X(POSITIONAL, T) X(PRAGMA, U) X(PRECEDING, U) X(PRIMARY, R) X(QUALIFY, R) X(RANGE, U)                \
    X(RECURSIVE, U) X(REFERENCES, R) X(REPLACE, U) X(RESET, U) X(RESPECT, U) X(RESTRICT, U)              \
    X(RETURNING, R) X(RIGHT, T) X(ROLLBACK, U) X(ROW, U) X(ROWS, U) X(SCHEMA, U) X(SELECT, R) X(SEMI, T) \
    X(SESSION, U) X(SET, N) X(SHOW, U) X(SIMILAR, T) X(SOME, R) X(START, U) X(TABLE, R) X(TABLES, U)     \
    X(TEMP, U) X(TEMPORARY, U) X(THEN, R) X(TO, R) X(TRANSACTION, U) X(TRUE, R) X(TRY_CAST, T)           \
    X(UNBOUNDED, U) X(UNION, R) X(UNIQUE, R) X(UPDATE, U) X(USING, R) X(VALUES, N) X(VIEW, U) X(WHEN, R) \
    X(WHERE, R) X(WINDOW, R) X(WITH, R) X(WORK, U)

typedef enum keyword {
    KW_NONE = 0,
#define KEYWORD_ENUM(name, cat) KW_##name,
    KEYWORD_LIST(KEYWORD_ENUM)
#undef KEYWORD_ENUM
    KW_COUNT
} keyword;

typedef enum keyword_category {
    KWCAT_NONE = 0, /* not a keyword */
    KWCAT_RESERVED,
    KWCAT_TYPE_FUNC,
    KWCAT_UNRESERVED,
    KWCAT_NO_BARE_ALIAS,
} keyword_category;

typedef struct token {
    token_type type;
    keyword kw;      /* for TOK_IDENT: the keyword it spells, or KW_NONE */
    uint32_t start;  /* byte offset into the SQL text */
    uint32_t len;    /* bytes, quotes included */
} token;

typedef struct tokenizer {
    const char *sql;
    uint32_t len;
    uint32_t pos;
} tokenizer;

void tokenizer_init(tokenizer *t, const char *sql, uint32_t len, uint32_t pos);
/* Reads the next token; at the end of the text returns TOK_EOF (start = text length). Returns
 * false and fills err on an unterminated string, quoted identifier or comment, or a character
 * that starts no token. */
bool tokenizer_next(tokenizer *t, token *out, error *err);

/* The keyword spelled by s[0, len) in any case, or KW_NONE. */
keyword keyword_lookup(const char *s, uint32_t len);
/* Upper-case name of a keyword ("SELECT"). */
const char *keyword_name(keyword kw);
keyword_category keyword_category_of(keyword kw);

/* Sets a Parser Error: the formatted body, " (line L, column C)", then a line "LINE L: <text>"
 * and a caret line under byte offset pos (a window around pos when the line is long). */
bool parser_error_at(error *err, const char *sql, uint32_t sql_len, uint32_t pos, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* `syntax error at or near "<token text>"` or `syntax error at end of input`, with position. */
bool parser_syntax_error(error *err, const char *sql, uint32_t sql_len, const token *tok);

#endif
