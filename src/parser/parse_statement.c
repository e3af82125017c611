/* Statements: DDL, DML, settings, COPY, EXPLAIN, transactions and the other utility forms. */
#include <string.h>

#include "parser/parser_internal.h"

/* ---- CREATE TABLE / DROP ------------------------------------------------------------------ */

static void parse_column_def(parser *p, ast_column_def *col) {
    memset(col, 0, sizeof *col);
    col->pos = parser_peek(p)->start;
    col->name = parser_parse_ident(p);
    col->type = parser_parse_type(p);
    for (;;) {
        if (parser_is_kw(p, KW_NOT) && parser_is_kw_at(p, 1, KW_NULL)) {
            parser_next(p);
            parser_next(p);
            col->not_null = true;
        } else if (parser_accept_kw(p, KW_NULL)) {
            /* explicitly nullable: the default */
        } else if (parser_accept_kw(p, KW_DEFAULT)) {
            col->default_value = parser_parse_expr(p);
        } else if (parser_is_kw(p, KW_PRIMARY) && parser_is_kw_at(p, 1, KW_KEY)) {
            parser_next(p);
            parser_next(p);
            col->primary_key = true;
            col->not_null = true;
        } else if (parser_accept_kw(p, KW_UNIQUE)) {
            col->unique = true;
        } else {
            break;
        }
    }
}

static void parse_create(parser *p, ast_statement *s) {
    parser_expect_kw(p, KW_CREATE);
    s->kind = AST_STMT_CREATE_TABLE;
    if (parser_accept_kw(p, KW_OR)) {
        parser_expect_kw(p, KW_REPLACE);
        s->create_table.or_replace = true;
    }
    if (parser_accept_kw(p, KW_TEMP) || parser_accept_kw(p, KW_TEMPORARY)) s->create_table.temporary = true;
    parser_expect_kw(p, KW_TABLE);
    if (parser_accept_kw(p, KW_IF)) {
        parser_expect_kw(p, KW_NOT);
        parser_expect_kw(p, KW_EXISTS);
        s->create_table.if_not_exists = true;
    }
    s->create_table.name = parser_parse_qualified_name(p);
    if (parser_accept_kw(p, KW_AS)) {
        s->create_table.as_query = parser_parse_query(p);
        return;
    }
    parser_expect(p, TOK_LPAREN);
    uint32_t cap = 0;
    do {
        if (parser_is_kw(p, KW_PRIMARY)) {
            parser_next(p);
            parser_expect_kw(p, KW_KEY);
            if (s->create_table.primary_key) parser_fail_syntax(p, parser_peek(p));
            parser_parse_ident_list(p, &s->create_table.primary_key, &s->create_table.primary_key_count);
            continue;
        }
        ast_column_def col;
        parse_column_def(p, &col);
        parser_push(p, &s->create_table.columns, &s->create_table.column_count, &cap, sizeof col, &col);
    } while (parser_accept(p, TOK_COMMA));
    parser_expect(p, TOK_RPAREN);
}

static void parse_drop(parser *p, ast_statement *s) {
    parser_expect_kw(p, KW_DROP);
    s->kind = AST_STMT_DROP;
    if (parser_accept_kw(p, KW_TABLE)) s->drop.object = AST_DROP_TABLE;
    else if (parser_accept_kw(p, KW_VIEW)) s->drop.object = AST_DROP_VIEW;
    else if (parser_accept_kw(p, KW_SCHEMA)) s->drop.object = AST_DROP_SCHEMA;
    else parser_fail_syntax(p, parser_peek(p));
    if (parser_accept_kw(p, KW_IF)) {
        parser_expect_kw(p, KW_EXISTS);
        s->drop.if_exists = true;
    }
    uint32_t cap = 0;
    do {
        ast_qualified_name name = parser_parse_qualified_name(p);
        parser_push(p, &s->drop.names, &s->drop.count, &cap, sizeof name, &name);
    } while (parser_accept(p, TOK_COMMA));
    if (parser_accept_kw(p, KW_CASCADE)) s->drop.cascade = true;
    else parser_accept_kw(p, KW_RESTRICT);
}

/* ---- INSERT / DELETE / UPDATE ----------------------------------------------------------------- */

static void parse_insert(parser *p, ast_statement *s) {
    parser_expect_kw(p, KW_INSERT);
    s->kind = AST_STMT_INSERT;
    if (parser_accept_kw(p, KW_OR)) {
        if (parser_accept_kw(p, KW_REPLACE)) s->insert.or_replace = true;
        else {
            parser_expect_kw(p, KW_IGNORE);
            s->insert.or_ignore = true;
        }
    }
    parser_expect_kw(p, KW_INTO);
    s->insert.table = parser_parse_qualified_name(p);
    if (parser_is(p, TOK_LPAREN) && !parser_starts_query(p, 1) && parser_peek_at(p, 1)->type != TOK_LPAREN)
        parser_parse_ident_list(p, &s->insert.columns, &s->insert.column_count);
    if (parser_is_kw(p, KW_DEFAULT) && parser_is_kw_at(p, 1, KW_VALUES)) {
        parser_next(p);
        parser_next(p);
        s->insert.default_values = true;
        return;
    }
    s->insert.query = parser_parse_query(p);
}

static ast_ident parse_optional_alias(parser *p) {
    ast_ident none = {NULL, 0, false, 0};
    if (parser_accept_kw(p, KW_AS)) return parser_parse_ident(p);
    if (parser_can_be_bare_alias(parser_peek(p))) return parser_parse_ident(p);
    return none;
}

static void parse_delete(parser *p, ast_statement *s) {
    parser_expect_kw(p, KW_DELETE);
    s->kind = AST_STMT_DELETE;
    parser_expect_kw(p, KW_FROM);
    s->delete_.table = parser_parse_qualified_name(p);
    s->delete_.alias = parse_optional_alias(p);
    if (parser_accept_kw(p, KW_WHERE)) s->delete_.where = parser_parse_expr(p);
}

static void parse_update(parser *p, ast_statement *s) {
    parser_expect_kw(p, KW_UPDATE);
    s->kind = AST_STMT_UPDATE;
    s->update.table = parser_parse_qualified_name(p);
    s->update.alias = parse_optional_alias(p);
    parser_expect_kw(p, KW_SET);
    uint32_t cap_c = 0, cap_v = 0, nv = 0;
    do {
        ast_ident col = parser_parse_ident(p);
        if (!parser_accept(p, TOK_EQ)) parser_expect(p, TOK_EQ_EQ);
        ast_expr *v = parser_parse_expr(p);
        parser_push(p, &s->update.columns, &s->update.count, &cap_c, sizeof col, &col);
        parser_push(p, &s->update.values, &nv, &cap_v, sizeof v, &v);
    } while (parser_accept(p, TOK_COMMA));
    if (parser_accept_kw(p, KW_FROM)) s->update.from = parser_parse_from_list(p);
    if (parser_accept_kw(p, KW_WHERE)) s->update.where = parser_parse_expr(p);
}

/* ---- SET / RESET / SHOW / DESCRIBE / PRAGMA ----------------------------------------------- */

static ast_set_scope parse_scope(parser *p) {
    if (parser_accept_kw(p, KW_GLOBAL)) return AST_SCOPE_GLOBAL;
    if (parser_accept_kw(p, KW_SESSION)) return AST_SCOPE_SESSION;
    if (parser_accept_kw(p, KW_LOCAL)) return AST_SCOPE_LOCAL;
    return AST_SCOPE_DEFAULT;
}

/* A setting name: a label, or dotted labels kept as one name "a.b". */
static ast_ident parse_setting_name(parser *p) {
    ast_ident name = parser_parse_label(p);
    while (parser_is(p, TOK_DOT)) {
        parser_next(p);
        ast_ident part = parser_parse_label(p);
        char *joined = arena_printf(p->a, p->err, "%s.%s", name.name, part.name);
        if (!joined) parser_fail(p);
        name.name = joined;
        name.len = (uint32_t)strlen(joined);
        name.quoted = false;
    }
    return name;
}

static void parse_set(parser *p, ast_statement *s) {
    parser_expect_kw(p, KW_SET);
    s->kind = AST_STMT_SET;
    s->set.scope = parse_scope(p);
    s->set.name = parse_setting_name(p);
    if (!parser_accept(p, TOK_EQ)) parser_expect_kw(p, KW_TO);
    if (parser_is_kw(p, KW_DEFAULT)) {
        parser_next(p);
        s->kind = AST_STMT_RESET;
        return;
    }
    s->set.value = parser_parse_expr(p);
}

static void parse_reset(parser *p, ast_statement *s) {
    parser_expect_kw(p, KW_RESET);
    s->kind = AST_STMT_RESET;
    s->set.scope = parse_scope(p);
    s->set.name = parse_setting_name(p);
}

static void parse_describe(parser *p, ast_statement *s) {
    parser_next(p);
    s->kind = AST_STMT_DESCRIBE;
    if (parser_starts_query(p, 0) || parser_is(p, TOK_LPAREN)) {
        s->describe.query = parser_parse_query(p);
        return;
    }
    parser_accept_kw(p, KW_TABLE);
    s->describe.table = parser_parse_qualified_name(p);
}

static void parse_show(parser *p, ast_statement *s) {
    parser_expect_kw(p, KW_SHOW);
    s->kind = AST_STMT_SHOW;
    if (parser_accept_kw(p, KW_TABLES)) {
        s->show.tables = true;
    } else if (parser_is_kw(p, KW_ALL) && parser_is_kw_at(p, 1, KW_TABLES)) {
        parser_next(p);
        parser_next(p);
        s->show.all_tables = true;
    } else {
        s->show.name = parser_parse_qualified_name(p);
    }
}

static void parse_pragma(parser *p, ast_statement *s) {
    parser_expect_kw(p, KW_PRAGMA);
    s->kind = AST_STMT_PRAGMA;
    s->pragma.name = parser_parse_label(p);
    uint32_t cap = 0;
    if (parser_accept(p, TOK_LPAREN)) {
        s->pragma.pragma_kind = AST_PRAGMA_CALL;
        if (!parser_is(p, TOK_RPAREN)) {
            do {
                ast_expr *e = parser_parse_expr(p);
                parser_push(p, &s->pragma.args, &s->pragma.arg_count, &cap, sizeof e, &e);
            } while (parser_accept(p, TOK_COMMA));
        }
        parser_expect(p, TOK_RPAREN);
    } else if (parser_accept(p, TOK_EQ)) {
        s->pragma.pragma_kind = AST_PRAGMA_ASSIGN;
        ast_expr *e = parser_parse_expr(p);
        parser_push(p, &s->pragma.args, &s->pragma.arg_count, &cap, sizeof e, &e);
    } else {
        s->pragma.pragma_kind = AST_PRAGMA_PLAIN;
    }
}

/* ---- COPY ------------------------------------------------------------------------------------ */

/* A word standing alone as an option value (FORMAT csv) becomes the string 'csv'. */
static ast_expr *parse_copy_option_value(parser *p) {
    const token *t = parser_peek(p);
    token_type after = parser_peek_at(p, 1)->type;
    if (t->type == TOK_IDENT && keyword_category_of(t->kw) != KWCAT_RESERVED &&
        (after == TOK_COMMA || after == TOK_RPAREN || after == TOK_EOF || after == TOK_SEMICOLON)) {
        token w = parser_next(p);
        ast_expr *e = parser_new_expr(p, AST_EXPR_CONSTANT, w.start);
        e->literal.kind = AST_LIT_STRING;
        char *text = arena_strndup(p->a, p->sql + w.start, w.len, p->err);
        if (!text) parser_fail(p);
        e->literal.text = text;
        e->literal.text_len = w.len;
        return e;
    }
    if (t->type == TOK_LPAREN) {
        ast_expr *e = parser_new_expr(p, AST_EXPR_LIST, t->start);
        parser_next(p);
        uint32_t cap = 0;
        if (!parser_is(p, TOK_RPAREN)) {
            do {
                ast_expr *item = parser_parse_expr(p);
                parser_push(p, &e->list.items, &e->list.count, &cap, sizeof item, &item);
            } while (parser_accept(p, TOK_COMMA));
        }
        parser_expect(p, TOK_RPAREN);
        return e;
    }
    return parser_parse_expr(p);
}

static void parse_copy_options(parser *p, ast_statement *s) {
    uint32_t cap = 0;
    bool with = parser_accept_kw(p, KW_WITH);
    if (parser_accept(p, TOK_LPAREN)) {
        if (!parser_is(p, TOK_RPAREN)) {
            do {
                ast_copy_option opt = {{NULL, 0, false, 0}, NULL, parser_peek(p)->start};
                opt.name = parser_parse_label(p);
                parser_accept(p, TOK_EQ);
                if (!parser_is(p, TOK_COMMA) && !parser_is(p, TOK_RPAREN)) opt.value = parse_copy_option_value(p);
                parser_push(p, &s->copy.options, &s->copy.option_count, &cap, sizeof opt, &opt);
            } while (parser_accept(p, TOK_COMMA));
        }
        parser_expect(p, TOK_RPAREN);
        return;
    }
    /* the unparenthesized form: COPY t FROM 'f' [WITH] DELIMITER ',' CSV HEADER */
    while (parser_is(p, TOK_IDENT) || parser_is(p, TOK_QUOTED_IDENT)) {
        ast_copy_option opt = {{NULL, 0, false, 0}, NULL, parser_peek(p)->start};
        opt.name = parser_parse_label(p);
        const token *t = parser_peek(p);
        if (t->type == TOK_STRING || t->type == TOK_INTEGER || t->type == TOK_DECIMAL || t->type == TOK_FLOAT ||
            (t->type == TOK_IDENT && (t->kw == KW_TRUE || t->kw == KW_FALSE)))
            opt.value = parser_parse_expr(p);
        parser_push(p, &s->copy.options, &s->copy.option_count, &cap, sizeof opt, &opt);
    }
    if (with && s->copy.option_count == 0) parser_fail_syntax(p, parser_peek(p));
}

static void parse_copy(parser *p, ast_statement *s) {
    parser_expect_kw(p, KW_COPY);
    s->kind = AST_STMT_COPY;
    if (parser_accept(p, TOK_LPAREN)) {
        s->copy.query = parser_parse_query(p);
        parser_expect(p, TOK_RPAREN);
        parser_expect_kw(p, KW_TO);
    } else {
        s->copy.table = parser_parse_qualified_name(p);
        if (parser_is(p, TOK_LPAREN)) parser_parse_ident_list(p, &s->copy.columns, &s->copy.column_count);
        if (parser_accept_kw(p, KW_FROM)) s->copy.is_from = true;
        else parser_expect_kw(p, KW_TO);
    }
    token path = parser_expect(p, TOK_STRING);
    s->copy.path = parser_string_value(p, &path, &s->copy.path_len);
    parse_copy_options(p, s);
}

/* ---- transactions and the rest ----------------------------------------------------------- */

static void parse_transaction(parser *p, ast_statement *s) {
    token t = parser_next(p);
    s->kind = AST_STMT_TRANSACTION;
    switch (t.kw) {
    case KW_BEGIN: s->transaction.transaction_kind = AST_TRANSACTION_BEGIN; break;
    case KW_START:
        parser_expect_kw(p, KW_TRANSACTION);
        s->transaction.transaction_kind = AST_TRANSACTION_BEGIN;
        return;
    case KW_COMMIT:
    case KW_END: s->transaction.transaction_kind = AST_TRANSACTION_COMMIT; break;
    default: s->transaction.transaction_kind = AST_TRANSACTION_ROLLBACK; break;
    }
    if (!parser_accept_kw(p, KW_TRANSACTION)) parser_accept_kw(p, KW_WORK);
}

ast_statement *parser_parse_statement(parser *p) {
    const token *t = parser_peek(p);
    ast_statement *s = parser_alloc(p, sizeof *s);
    s->pos = s->start = t->start;
    parser_depth_enter(p, t->start);
    if (t->type == TOK_LPAREN) {
        s->kind = AST_STMT_SELECT;
        s->query = parser_parse_query(p);
    } else {
        if (t->type != TOK_IDENT) parser_fail_syntax(p, t);
        switch (t->kw) {
        case KW_SELECT:
        case KW_WITH:
        case KW_VALUES:
        case KW_FROM:
            s->kind = AST_STMT_SELECT;
            s->query = parser_parse_query(p);
            break;
        case KW_CREATE: parse_create(p, s); break;
        case KW_DROP: parse_drop(p, s); break;
        case KW_INSERT: parse_insert(p, s); break;
        case KW_DELETE: parse_delete(p, s); break;
        case KW_UPDATE: parse_update(p, s); break;
        case KW_SET: parse_set(p, s); break;
        case KW_RESET: parse_reset(p, s); break;
        case KW_DESCRIBE: parse_describe(p, s); break;
        case KW_SHOW: parse_show(p, s); break;
        case KW_PRAGMA: parse_pragma(p, s); break;
        case KW_COPY: parse_copy(p, s); break;
        case KW_EXPLAIN:
            parser_next(p);
            s->kind = AST_STMT_EXPLAIN;
            s->explain.analyze = parser_accept_kw(p, KW_ANALYZE);
            s->explain.statement = parser_parse_statement(p);
            break;
        case KW_BEGIN:
        case KW_START:
        case KW_COMMIT:
        case KW_END:
        case KW_ROLLBACK:
        case KW_ABORT: parse_transaction(p, s); break;
        case KW_CHECKPOINT:
            parser_next(p);
            s->kind = AST_STMT_CHECKPOINT;
            break;
        case KW_FORCE:
            parser_next(p);
            parser_expect_kw(p, KW_CHECKPOINT);
            s->kind = AST_STMT_CHECKPOINT;
            s->checkpoint.force = true;
            break;
        default: parser_fail_syntax(p, t);
        }
    }
    s->end = p->prev_end;
    s->parameter_count = p->param_max;
    parser_depth_leave(p);
    return s;
}
