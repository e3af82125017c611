/*
 * parser.h — turns SQL text into eider's AST (src/parser/ast.h).
 *
 * Hand-written: a tokenizer, recursive descent for statements, precedence climbing for
 * expressions. One pass; every node and string is allocated in the arena the caller passes,
 * nothing else is allocated. Recursion is bounded by an explicit nesting-depth limit and the
 * text by a size limit, so no input can overflow the stack.
 */
#ifndef EIDER_PARSER_H
#define EIDER_PARSER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/error.h"
#include "parser/ast.h"

/* Default limits. */
#define PARSER_MAX_NESTING 1000                          /* parentheses, subqueries, calls, ... */
#define PARSER_MAX_EXPRESSION_DEPTH 10000                /* AST height of one expression */
#define PARSER_MAX_STATEMENT_SIZE ((uint32_t)64 << 20)   /* 64 MiB of SQL text */

typedef struct parsed_statements {
    ast_statement **statements;
    uint32_t count;
    /* Highest parameter count of any statement (each statement numbers its `?` from 1). */
    uint32_t parameter_count;
} parsed_statements;

typedef struct parser_options {
    uint32_t max_nesting;          /* 0: PARSER_MAX_NESTING */
    /* Maximum AST height of an expression (a flat chain a+b+c+... is as high as it is long);
     * 0: PARSER_MAX_EXPRESSION_DEPTH; UINT32_MAX: unlimited. */
    uint32_t max_expression_depth;
    uint32_t max_statement_size;   /* 0: PARSER_MAX_STATEMENT_SIZE */
} parser_options;

/* Parses all ';'-separated statements of sql (empty statements skipped). On error returns false
 * and fills err (EIDER_ERROR_PARSER, or OUT_OF_MEMORY from the arena); *out is then empty. */
bool parse_sql(arena *a, const char *sql, parsed_statements *out, error *err);
/* Same with explicit limits; options may be NULL for the defaults. */
bool parse_sql_ex(arena *a, const char *sql, const parser_options *options, parsed_statements *out, error *err);

/* Parses exactly one expression (e.g. a DEFAULT or a setting's value given as text). */
ast_expr *parse_expression(arena *a, const char *sql, error *err);

/* The statement's own text: sql[stmt->start, stmt->end). */
static inline uint32_t ast_statement_length(const ast_statement *stmt) { return stmt->end - stmt->start; }

/* Names for messages: "SELECT", "CREATE TABLE", ... */
const char *ast_statement_kind_name(ast_statement_kind kind);
/* "+", "=", "AND", ... */
const char *ast_binary_op_text(ast_binary_op op);

#endif
