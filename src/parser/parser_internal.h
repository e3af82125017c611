/*
 * parser_internal.h — state and helpers shared by the parser's source files (parser.c for
 * statements, parse_select.c for queries and FROM, parse_expression.c for expressions and
 * types). Not for use outside src/parser.
 *
 * Errors unwind with longjmp to the entry point (parse_sql): every node lives in the arena, so
 * nothing needs freeing on the way out, and the code reads as the grammar does.
 */
#ifndef EIDER_PARSER_INTERNAL_H
#define EIDER_PARSER_INTERNAL_H

#include <setjmp.h>
#include <stdnoreturn.h>

#include "parser/parser.h"
#include "parser/tokenizer.h"

#define PARSER_LOOKAHEAD 4

typedef struct parser {
    arena *a;
    const char *sql;
    uint32_t len;
    error *err;
    jmp_buf jmp;
    tokenizer tz;
    token la[PARSER_LOOKAHEAD]; /* ring of tokens read ahead */
    uint32_t la_head;
    uint32_t la_count;
    uint32_t prev_end;          /* end offset of the last consumed token */
    uint32_t depth;             /* current nesting */
    uint32_t max_depth;
    uint32_t max_expr_depth;
    uint32_t param_counter;     /* `?` seen in this statement */
    uint32_t param_max;         /* highest parameter index in this statement */
} parser;

/* ---- failing (never return) ---------------------------------------------------------------- */

noreturn void parser_fail(parser *p);
noreturn void parser_fail_syntax(parser *p, const token *tok);
noreturn void parser_fail_at(parser *p, uint32_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- tokens --------------------------------------------------------------------------------- */

const token *parser_peek_at(parser *p, uint32_t k); /* k < PARSER_LOOKAHEAD */
static inline const token *parser_peek(parser *p) { return parser_peek_at(p, 0); }
token parser_next(parser *p);

static inline bool parser_is(parser *p, token_type t) { return parser_peek(p)->type == t; }
static inline bool parser_is_kw(parser *p, keyword kw) {
    const token *t = parser_peek(p);
    return t->type == TOK_IDENT && t->kw == kw;
}
static inline bool parser_is_kw_at(parser *p, uint32_t k, keyword kw) {
    const token *t = parser_peek_at(p, k);
    return t->type == TOK_IDENT && t->kw == kw;
}
bool parser_accept(parser *p, token_type t);
bool parser_accept_kw(parser *p, keyword kw);
token parser_expect(parser *p, token_type t);
void parser_expect_kw(parser *p, keyword kw);
/* True if the token is an unquoted identifier spelling word (any case). */
bool parser_token_is_word(parser *p, const token *t, const char *word);

/* ---- allocation and nesting --------------------------------------------------------------- */

void *parser_alloc(parser *p, size_t size);
void parser_depth_enter(parser *p, uint32_t pos);
static inline void parser_depth_leave(parser *p) { p->depth--; }

/* Appends item (elem bytes) to an arena array that doubles its capacity when full. */
void parser_push(parser *p, void *array_ptr, uint32_t *count, uint32_t *cap, size_t elem, const void *item);

/* ---- identifiers ------------------------------------------------------------------------- */

/* Identifier from an identifier token (quoted or not; keywords keep their written case). */
ast_ident parser_ident_from_token(parser *p, const token *t);
/* Whether the token can be an identifier: a plain or quoted identifier, or a keyword whose
 * category is at least as permissive as allowed (UNRESERVED: columns and tables; TYPE_FUNC:
 * function and type names too; RESERVED: anything, as after AS). */
bool parser_token_is_ident(const token *t, keyword_category allowed);
/* A column, table or other plain name; fails with a syntax error otherwise. */
ast_ident parser_parse_ident(parser *p);
/* Any word, keywords included (option names, labels after AS). */
ast_ident parser_parse_label(parser *p);
/* [schema.]name */
ast_qualified_name parser_parse_qualified_name(parser *p);
/* ( a, b, ... ) */
void parser_parse_ident_list(parser *p, ast_ident **out, uint32_t *count);
/* A bare alias (no AS) may follow here. */
bool parser_can_be_bare_alias(const token *t);

/* ---- expressions (parse_expression.c, parse_function.c) -------------------------------------------------- */

ast_expr *parser_parse_expr(parser *p);
/* Expression with operators binding at least as tightly as min_prec. */
ast_expr *parser_parse_expr_prec(parser *p, int min_prec);
ast_type_name parser_parse_type(parser *p);
void parser_parse_order_by_list(parser *p, ast_order_by *out);
/* A window after OVER (or after `name AS` in a WINDOW clause): `name` or `( ... )`. Raises
 * *height to the height of the expressions inside. */
ast_window *parser_parse_window(parser *p, uint32_t *height);
/* name(args...) with the current token at '('; table_function allows `name = value` args. */
ast_expr *parser_parse_function_call(parser *p, ast_ident schema, ast_ident name, bool table_function);
/* The unescaped text of a string token. */
const char *parser_string_value(parser *p, const token *t, uint32_t *len);
ast_expr *parser_new_expr(parser *p, ast_expr_kind kind, uint32_t pos);
/* Sets e's height to child_height + 1, failing when it passes the expression depth limit. */
void parser_set_height(parser *p, ast_expr *e, uint32_t child_height);
static inline void parser_height_max(uint32_t *height, const ast_expr *e) {
    if (e && e->depth > *height) *height = e->depth;
}
ast_expr *parser_string_literal(parser *p, const token *t);

/* ---- queries (parse_select.c) ---------------------------------------------------------- */

/* Whether the token at lookahead k starts a query (SELECT, VALUES, WITH, FROM, TABLE). */
bool parser_starts_query(parser *p, uint32_t k);
ast_query *parser_parse_query(parser *p);
/* FROM list after the FROM keyword: commas and joins. */
ast_table_ref *parser_parse_from_list(parser *p);

/* ---- statements (parser.c) ------------------------------------------------------------- */

ast_statement *parser_parse_statement(parser *p);

#endif
