/* Entry points, token access, allocation and identifier helpers of the parser. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "parser/parser_internal.h"

/* ---- failing ------------------------------------------------------------------------------ */

noreturn void parser_fail(parser *p) {
    if (!error_is_set(p->err)) error_set(p->err, EIDER_ERROR_INTERNAL, "parser failed without an error message");
    longjmp(p->jmp, 1);
}

noreturn void parser_fail_syntax(parser *p, const token *tok) {
    parser_syntax_error(p->err, p->sql, p->len, tok);
    parser_fail(p);
}

noreturn void parser_fail_at(parser *p, uint32_t pos, const char *fmt, ...) {
    char body[ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    parser_error_at(p->err, p->sql, p->len, pos, "%s", body);
    parser_fail(p);
}

/* ---- tokens --------------------------------------------------------------------------------- */

const token *parser_peek_at(parser *p, uint32_t k) {
    while (p->la_count <= k) {
        token *slot = &p->la[(p->la_head + p->la_count) % PARSER_LOOKAHEAD];
        if (!tokenizer_next(&p->tz, slot, p->err)) parser_fail(p);
        p->la_count++;
    }
    return &p->la[(p->la_head + k) % PARSER_LOOKAHEAD];
}

token parser_next(parser *p) {
    token t = *parser_peek_at(p, 0);
    if (t.type != TOK_EOF) {
        p->la_head = (p->la_head + 1) % PARSER_LOOKAHEAD;
        p->la_count--;
        p->prev_end = t.start + t.len;
    }
    return t;
}

bool parser_accept(parser *p, token_type t) {
    if (!parser_is(p, t)) return false;
    parser_next(p);
    return true;
}

bool parser_accept_kw(parser *p, keyword kw) {
    if (!parser_is_kw(p, kw)) return false;
    parser_next(p);
    return true;
}

token parser_expect(parser *p, token_type t) {
    if (!parser_is(p, t)) parser_fail_syntax(p, parser_peek(p));
    return parser_next(p);
}

void parser_expect_kw(parser *p, keyword kw) {
    if (!parser_is_kw(p, kw)) parser_fail_syntax(p, parser_peek(p));
    parser_next(p);
}

bool parser_token_is_word(parser *p, const token *t, const char *word) {
    if (t->type != TOK_IDENT) return false;
    size_t n = strlen(word);
    return t->len == n && strncasecmp(p->sql + t->start, word, n) == 0;
}

/* ---- allocation and nesting --------------------------------------------------------------- */

void *parser_alloc(parser *p, size_t size) {
    void *m = arena_alloc(p->a, size, p->err);
    if (!m) parser_fail(p);
    return m;
}

void parser_depth_enter(parser *p, uint32_t pos) {
    if (++p->depth > p->max_depth)
        parser_fail_at(p, pos, "maximum nesting depth exceeded: the statement nests more than %u levels", p->max_depth);
}

void parser_push(parser *p, void *array_ptr, uint32_t *count, uint32_t *cap, size_t elem, const void *item) {
    char **array = array_ptr;
    if (*count == *cap) {
        uint32_t ncap = *cap ? *cap * 2 : 4;
        char *grown = parser_alloc(p, elem * ncap);
        if (*count) memcpy(grown, *array, elem * *count);
        *array = grown;
        *cap = ncap;
    }
    memcpy(*array + elem * *count, item, elem);
    (*count)++;
}

/* ---- identifiers ------------------------------------------------------------------------- */

ast_ident parser_ident_from_token(parser *p, const token *t) {
    ast_ident id;
    id.pos = t->start;
    if (t->type == TOK_QUOTED_IDENT || t->type == TOK_STRING) {
        id.name = parser_string_value(p, t, &id.len);
        id.quoted = true;
    } else {
        char *s = arena_strndup(p->a, p->sql + t->start, t->len, p->err);
        if (!s) parser_fail(p);
        id.name = s;
        id.len = t->len;
        id.quoted = false;
    }
    return id;
}

bool parser_token_is_ident(const token *t, keyword_category allowed) {
    if (t->type == TOK_QUOTED_IDENT) return true;
    if (t->type != TOK_IDENT) return false;
    keyword_category cat = keyword_category_of(t->kw);
    switch (cat) {
    case KWCAT_NONE:
    case KWCAT_UNRESERVED:
    case KWCAT_NO_BARE_ALIAS: return true;
    case KWCAT_TYPE_FUNC: return allowed == KWCAT_TYPE_FUNC || allowed == KWCAT_RESERVED;
    case KWCAT_RESERVED: return allowed == KWCAT_RESERVED;
    }
    return false;
}

bool parser_can_be_bare_alias(const token *t) {
    if (t->type == TOK_QUOTED_IDENT) return true;
    if (t->type != TOK_IDENT) return false;
    keyword_category cat = keyword_category_of(t->kw);
    return cat == KWCAT_NONE || cat == KWCAT_UNRESERVED;
}

ast_ident parser_parse_ident(parser *p) {
    const token *t = parser_peek(p);
    if (!parser_token_is_ident(t, KWCAT_UNRESERVED)) parser_fail_syntax(p, t);
    token tok = parser_next(p);
    return parser_ident_from_token(p, &tok);
}

ast_ident parser_parse_label(parser *p) {
    const token *t = parser_peek(p);
    if (t->type != TOK_IDENT && t->type != TOK_QUOTED_IDENT) parser_fail_syntax(p, t);
    token tok = parser_next(p);
    return parser_ident_from_token(p, &tok);
}

ast_qualified_name parser_parse_qualified_name(parser *p) {
    ast_qualified_name q;
    memset(&q, 0, sizeof q);
    q.pos = parser_peek(p)->start;
    q.name = parser_parse_ident(p);
    if (parser_is(p, TOK_DOT)) {
        parser_next(p);
        q.schema = q.name;
        q.name = parser_parse_label(p);
    }
    return q;
}

void parser_parse_ident_list(parser *p, ast_ident **out, uint32_t *count) {
    uint32_t cap = 0;
    *out = NULL;
    *count = 0;
    parser_expect(p, TOK_LPAREN);
    do {
        ast_ident id = parser_parse_ident(p);
        parser_push(p, out, count, &cap, sizeof id, &id);
    } while (parser_accept(p, TOK_COMMA));
    parser_expect(p, TOK_RPAREN);
}

/* ---- entry points ---------------------------------------------------------------------------- */

static bool parser_init(parser *p, arena *a, const char *sql, const parser_options *options, error *err) {
    memset(p, 0, sizeof *p);
    uint32_t max_size = options && options->max_statement_size ? options->max_statement_size : PARSER_MAX_STATEMENT_SIZE;
    if (!sql) return error_set(err, EIDER_ERROR_PARSER, "no SQL text given");
    size_t len = strnlen(sql, (size_t)max_size + 1);
    if (len > max_size)
        return error_set(err, EIDER_ERROR_PARSER, "SQL text is too large: more than %u bytes (the limit is %u bytes)",
                         max_size, max_size);
    p->a = a;
    p->sql = sql;
    p->len = (uint32_t)len;
    p->err = err;
    p->max_depth = options && options->max_nesting ? options->max_nesting : PARSER_MAX_NESTING;
    p->max_expr_depth =
        options && options->max_expression_depth ? options->max_expression_depth : PARSER_MAX_EXPRESSION_DEPTH;
    tokenizer_init(&p->tz, sql, p->len, 0);
    return true;
}

static void parse_all(parser *p, parsed_statements *out) {
    uint32_t cap = 0;
    for (;;) {
        while (parser_accept(p, TOK_SEMICOLON)) {
        }
        if (parser_is(p, TOK_EOF)) break;
        p->param_counter = 0;
        p->param_max = 0;
        ast_statement *s = parser_parse_statement(p);
        if (s->parameter_count > out->parameter_count) out->parameter_count = s->parameter_count;
        parser_push(p, &out->statements, &out->count, &cap, sizeof s, &s);
        if (!parser_is(p, TOK_EOF) && !parser_is(p, TOK_SEMICOLON)) parser_fail_syntax(p, parser_peek(p));
    }
}

bool parse_sql_ex(arena *a, const char *sql, const parser_options *options, parsed_statements *out, error *err) {
    memset(out, 0, sizeof *out);
    parser p;
    if (!parser_init(&p, a, sql, options, err)) return false;
    if (setjmp(p.jmp)) {
        memset(out, 0, sizeof *out);
        return false;
    }
    parse_all(&p, out);
    return true;
}

bool parse_sql(arena *a, const char *sql, parsed_statements *out, error *err) {
    return parse_sql_ex(a, sql, NULL, out, err);
}

static void parse_one_expression(parser *p, ast_expr **out) {
    *out = parser_parse_expr(p);
    if (!parser_is(p, TOK_EOF)) parser_fail_syntax(p, parser_peek(p));
}

ast_expr *parse_expression(arena *a, const char *sql, error *err) {
    parser p;
    if (!parser_init(&p, a, sql, NULL, err)) return NULL;
    ast_expr *result = NULL;
    if (setjmp(p.jmp)) return NULL;
    parse_one_expression(&p, &result);
    return result;
}

const char *ast_statement_kind_name(ast_statement_kind kind) {
    switch (kind) {
    case AST_STMT_SELECT: return "SELECT";
    case AST_STMT_CREATE_TABLE: return "CREATE TABLE";
    case AST_STMT_DROP: return "DROP";
    case AST_STMT_INSERT: return "INSERT";
    case AST_STMT_DELETE: return "DELETE";
    case AST_STMT_UPDATE: return "UPDATE";
    case AST_STMT_SET: return "SET";
    case AST_STMT_RESET: return "RESET";
    case AST_STMT_DESCRIBE: return "DESCRIBE";
    case AST_STMT_SHOW: return "SHOW";
    case AST_STMT_PRAGMA: return "PRAGMA";
    case AST_STMT_COPY: return "COPY";
    case AST_STMT_EXPLAIN: return "EXPLAIN";
    case AST_STMT_TRANSACTION: return "TRANSACTION";
    case AST_STMT_CHECKPOINT: return "CHECKPOINT";
    }
    return "UNKNOWN";
}

const char *ast_binary_op_text(ast_binary_op op) {
    switch (op) {
    case AST_BINARY_ADD: return "+";
    case AST_BINARY_SUB: return "-";
    case AST_BINARY_MUL: return "*";
    case AST_BINARY_DIV: return "/";
    case AST_BINARY_INT_DIV: return "//";
    case AST_BINARY_MOD: return "%";
    case AST_BINARY_CONCAT: return "||";
    case AST_BINARY_EQ: return "=";
    case AST_BINARY_NE: return "<>";
    case AST_BINARY_LT: return "<";
    case AST_BINARY_LE: return "<=";
    case AST_BINARY_GT: return ">";
    case AST_BINARY_GE: return ">=";
    case AST_BINARY_AND: return "AND";
    case AST_BINARY_OR: return "OR";
    }
    return "?";
}
