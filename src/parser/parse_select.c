/* Queries: WITH, SELECT / FROM-first / VALUES, set operations, ORDER BY / LIMIT, FROM items. */
#include <string.h>
#include <strings.h>

#include "parser/parser_internal.h"

bool parser_starts_query(parser *p, uint32_t k) {
    const token *t = parser_peek_at(p, k);
    return t->type == TOK_IDENT &&
           (t->kw == KW_SELECT || t->kw == KW_VALUES || t->kw == KW_WITH || t->kw == KW_FROM);
}

/* Whether the tokens from the current one on are '(' ... '(' followed by the start of a
 * query (as in FROM ((SELECT 1) UNION (SELECT 2)) t), rather than a parenthesized join. */
static bool parens_then_query(parser *p) {
    tokenizer tz;
    tokenizer_init(&tz, p->sql, p->len, parser_peek(p)->start);
    error scratch;
    error_clear(&scratch);
    token t;
    for (uint32_t i = 0; i <= p->max_depth + 1; i++) {
        if (!tokenizer_next(&tz, &t, &scratch)) return false;
        if (t.type != TOK_LPAREN) {
            return t.type == TOK_IDENT &&
                   (t.kw == KW_SELECT || t.kw == KW_VALUES || t.kw == KW_WITH || t.kw == KW_FROM);
        }
    }
    return false;
}

static ast_query *new_query(parser *p, ast_query_kind kind, uint32_t pos) {
    ast_query *q = parser_alloc(p, sizeof *q);
    q->kind = kind;
    q->pos = pos;
    return q;
}

static ast_expr *new_star(parser *p, uint32_t pos) { return parser_new_expr(p, AST_EXPR_STAR, pos); }

/* SELECT * FROM (q): lets a query that already has ORDER BY / LIMIT / WITH take another. */
static ast_query *wrap_query(parser *p, ast_query *inner) {
    ast_query *q = new_query(p, AST_QUERY_SELECT, inner->pos);
    ast_select *s = parser_alloc(p, sizeof *s);
    s->pos = inner->pos;
    s->items = parser_alloc(p, sizeof *s->items);
    s->items[0].expr = new_star(p, inner->pos);
    s->items[0].pos = inner->pos;
    s->item_count = 1;
    ast_table_ref *ref = parser_alloc(p, sizeof *ref);
    ref->kind = AST_TABLE_SUBQUERY;
    ref->pos = inner->pos;
    ref->subquery = inner;
    s->from = ref;
    q->select = s;
    return q;
}

static bool has_modifiers(const ast_query *q) { return q->order_by.count || q->limit || q->offset; }

/* ---- select list ------------------------------------------------------------------------------ */

static void parse_star_modifiers(parser *p, ast_expr *star) {
    if (parser_accept_kw(p, KW_EXCLUDE)) {
        if (parser_is(p, TOK_LPAREN)) {
            parser_parse_ident_list(p, &star->star.exclude, &star->star.exclude_count);
        } else {
            star->star.exclude = parser_alloc(p, sizeof(ast_ident));
            star->star.exclude[0] = parser_parse_ident(p);
            star->star.exclude_count = 1;
        }
    }
    if (parser_is_kw(p, KW_REPLACE) && parser_peek_at(p, 1)->type == TOK_LPAREN) {
        parser_next(p);
        parser_next(p);
        uint32_t cap_e = 0, cap_n = 0, nn = 0;
        do {
            ast_expr *e = parser_parse_expr(p);
            parser_expect_kw(p, KW_AS);
            ast_ident name = parser_parse_ident(p);
            parser_push(p, &star->star.replace_exprs, &star->star.replace_count, &cap_e, sizeof e, &e);
            parser_push(p, &star->star.replace_names, &nn, &cap_n, sizeof name, &name);
        } while (parser_accept(p, TOK_COMMA));
        parser_expect(p, TOK_RPAREN);
    }
}

static ast_ident parse_alias_after_as(parser *p) {
    if (parser_is(p, TOK_STRING)) {
        token s = parser_next(p);
        ast_ident id;
        id.name = parser_string_value(p, &s, &id.len);
        id.quoted = true;
        id.pos = s.start;
        return id;
    }
    return parser_parse_label(p);
}

static bool ends_select_list(parser *p) {
    const token *t = parser_peek(p);
    return t->type == TOK_EOF || t->type == TOK_SEMICOLON || t->type == TOK_RPAREN ||
           (t->type == TOK_IDENT && t->kw == KW_FROM);
}

static void parse_select_list(parser *p, ast_select *s) {
    if (parser_accept_kw(p, KW_DISTINCT)) {
        s->distinct = true;
        if (parser_accept_kw(p, KW_ON)) {
            parser_expect(p, TOK_LPAREN);
            uint32_t cap = 0;
            do {
                ast_expr *e = parser_parse_expr(p);
                parser_push(p, &s->distinct_on, &s->distinct_on_count, &cap, sizeof e, &e);
            } while (parser_accept(p, TOK_COMMA));
            parser_expect(p, TOK_RPAREN);
        }
    } else {
        parser_accept_kw(p, KW_ALL);
    }
    uint32_t cap = 0;
    do {
        if (s->item_count > 0 && ends_select_list(p)) break; /* trailing comma */
        ast_select_item item;
        memset(&item, 0, sizeof item);
        item.pos = parser_peek(p)->start;
        if (parser_is(p, TOK_STAR)) {
            item.expr = new_star(p, parser_next(p).start);
        } else {
            item.expr = parser_parse_expr(p);
        }
        if (item.expr->kind == AST_EXPR_STAR) {
            parse_star_modifiers(p, item.expr);
        } else if (parser_accept_kw(p, KW_AS)) {
            item.alias = parse_alias_after_as(p);
        } else if (parser_can_be_bare_alias(parser_peek(p))) {
            item.alias = parser_parse_ident(p);
        }
        parser_push(p, &s->items, &s->item_count, &cap, sizeof item, &item);
    } while (parser_accept(p, TOK_COMMA));
}

/* ---- FROM ------------------------------------------------------------------------------------- */

static void parse_table_alias(parser *p, ast_table_ref *ref) {
    if (parser_accept_kw(p, KW_AS)) {
        ref->alias = parser_parse_ident(p);
    } else if (parser_can_be_bare_alias(parser_peek(p))) {
        ref->alias = parser_parse_ident(p);
    } else {
        return;
    }
    if (parser_is(p, TOK_LPAREN)) parser_parse_ident_list(p, &ref->column_aliases, &ref->column_alias_count);
}

static ast_table_ref *parse_table_primary(parser *p) {
    const token *t = parser_peek(p);
    ast_table_ref *ref = parser_alloc(p, sizeof *ref);
    ref->pos = t->start;
    parser_depth_enter(p, t->start);
    if (t->type == TOK_LPAREN) {
        if (parens_then_query(p)) {
            ref->kind = AST_TABLE_SUBQUERY;
            ref->subquery = parser_parse_query(p);
        } else {
            parser_next(p);
            ast_table_ref *inner = parser_parse_from_list(p);
            parser_expect(p, TOK_RPAREN);
            parser_depth_leave(p);
            return inner;
        }
    } else if (t->type == TOK_STRING) {
        token s = parser_next(p);
        ref->kind = AST_TABLE_FILE;
        ref->file.path = parser_string_value(p, &s, &ref->file.path_len);
    } else if (parser_token_is_ident(t, KWCAT_UNRESERVED)) {
        ast_qualified_name name = parser_parse_qualified_name(p);
        if (parser_is(p, TOK_LPAREN)) {
            ref->kind = AST_TABLE_FUNCTION;
            ref->function = parser_parse_function_call(p, name.schema, name.name, true);
        } else {
            ref->kind = AST_TABLE_BASE;
            ref->base = name;
        }
    } else {
        parser_fail_syntax(p, t);
    }
    parse_table_alias(p, ref);
    parser_depth_leave(p);
    return ref;
}

/* Reads a join keyword sequence; false when the next tokens start no join. */
static bool parse_join_type(parser *p, ast_join_type *type, bool *natural) {
    *natural = false;
    if (parser_is_kw(p, KW_NATURAL)) {
        parser_next(p);
        *natural = true;
    }
    const token *t = parser_peek(p);
    if (t->type != TOK_IDENT) goto none;
    switch (t->kw) {
    case KW_JOIN: *type = AST_JOIN_INNER; break;
    case KW_INNER: *type = AST_JOIN_INNER; break;
    case KW_LEFT: *type = AST_JOIN_LEFT; break;
    case KW_RIGHT: *type = AST_JOIN_RIGHT; break;
    case KW_FULL: *type = AST_JOIN_FULL; break;
    case KW_CROSS: *type = AST_JOIN_CROSS; break;
    case KW_SEMI: *type = AST_JOIN_SEMI; break;
    case KW_ANTI: *type = AST_JOIN_ANTI; break;
    default: goto none;
    }
    if (t->kw != KW_JOIN) {
        keyword k = parser_next(p).kw;
        if (k == KW_LEFT || k == KW_RIGHT || k == KW_FULL) parser_accept_kw(p, KW_OUTER);
    }
    parser_expect_kw(p, KW_JOIN);
    return true;
none:
    if (*natural) parser_fail_syntax(p, t);
    return false;
}

static ast_table_ref *parse_joined_table(parser *p) {
    ast_table_ref *left = parse_table_primary(p);
    ast_join_type type;
    bool natural;
    while (parse_join_type(p, &type, &natural)) {
        ast_table_ref *j = parser_alloc(p, sizeof *j);
        j->kind = AST_TABLE_JOIN;
        j->pos = left->pos;
        j->join.type = type;
        j->join.natural = natural;
        j->join.left = left;
        j->join.right = parse_table_primary(p);
        if (type != AST_JOIN_CROSS && !natural) {
            if (parser_accept_kw(p, KW_ON)) {
                j->join.on = parser_parse_expr(p);
            } else if (parser_accept_kw(p, KW_USING)) {
                parser_parse_ident_list(p, &j->join.using_columns, &j->join.using_count);
            } else {
                parser_fail_syntax(p, parser_peek(p));
            }
        }
        left = j;
    }
    return left;
}

ast_table_ref *parser_parse_from_list(parser *p) {
    ast_table_ref *left = parse_joined_table(p);
    while (parser_is(p, TOK_COMMA)) {
        parser_next(p);
        ast_table_ref *j = parser_alloc(p, sizeof *j);
        j->kind = AST_TABLE_JOIN;
        j->pos = left->pos;
        j->join.type = AST_JOIN_CROSS;
        j->join.comma = true;
        j->join.left = left;
        j->join.right = parse_joined_table(p);
        left = j;
    }
    return left;
}

/* ---- SELECT body, VALUES ------------------------------------------------------------------- */

static void parse_expr_list(parser *p, ast_expr ***out, uint32_t *count) {
    uint32_t cap = 0;
    do {
        ast_expr *e = parser_parse_expr(p);
        parser_push(p, out, count, &cap, sizeof e, &e);
    } while (parser_accept(p, TOK_COMMA));
}

/* WINDOW w AS (...) [, v AS (...)]: named windows, referenced by OVER w or OVER (w ...). */
static void parse_window_clause(parser *p, ast_select *s) {
    uint32_t cap = 0;
    do {
        ast_named_window nw;
        nw.name = parser_parse_ident(p);
        for (uint32_t i = 0; i < s->window_count; i++)
            if (s->windows[i].name.len == nw.name.len &&
                (nw.name.quoted || s->windows[i].name.quoted
                     ? memcmp(s->windows[i].name.name, nw.name.name, nw.name.len) == 0
                     : strncasecmp(s->windows[i].name.name, nw.name.name, nw.name.len) == 0))
                parser_fail_at(p, nw.name.pos, "window \"%.*s\" is already defined", (int)nw.name.len, nw.name.name);
        parser_expect_kw(p, KW_AS);
        if (!parser_is(p, TOK_LPAREN)) parser_fail_syntax(p, parser_peek(p));
        uint32_t height = 0;
        nw.window = parser_parse_window(p, &height);
        parser_push(p, &s->windows, &s->window_count, &cap, sizeof nw, &nw);
    } while (parser_accept(p, TOK_COMMA));
}

static ast_query *parse_select_body(parser *p) {
    uint32_t pos = parser_peek(p)->start;
    ast_query *q = new_query(p, AST_QUERY_SELECT, pos);
    ast_select *s = parser_alloc(p, sizeof *s);
    s->pos = pos;
    q->select = s;
    if (parser_accept_kw(p, KW_FROM)) {
        s->from_first = true;
        s->from = parser_parse_from_list(p);
        if (parser_accept_kw(p, KW_SELECT)) {
            parse_select_list(p, s);
        } else {
            s->items = parser_alloc(p, sizeof *s->items);
            s->items[0].expr = new_star(p, pos);
            s->items[0].pos = pos;
            s->item_count = 1;
        }
    } else {
        parser_expect_kw(p, KW_SELECT);
        parse_select_list(p, s);
        if (parser_accept_kw(p, KW_FROM)) s->from = parser_parse_from_list(p);
    }
    if (parser_accept_kw(p, KW_WHERE)) s->where = parser_parse_expr(p);
    if (parser_accept_kw(p, KW_GROUP)) {
        parser_expect_kw(p, KW_BY);
        if (parser_accept_kw(p, KW_ALL)) s->group_by_all = true;
        else parse_expr_list(p, &s->group_by, &s->group_count);
    }
    if (parser_accept_kw(p, KW_HAVING)) s->having = parser_parse_expr(p);
    if (parser_accept_kw(p, KW_WINDOW)) parse_window_clause(p, s);
    if (parser_accept_kw(p, KW_QUALIFY)) s->qualify = parser_parse_expr(p);
    return q;
}

static ast_query *parse_values(parser *p) {
    token kw = parser_next(p);
    ast_query *q = new_query(p, AST_QUERY_VALUES, kw.start);
    uint32_t cap = 0;
    do {
        ast_values_row row = {NULL, 0, parser_peek(p)->start};
        parser_expect(p, TOK_LPAREN);
        parse_expr_list(p, &row.values, &row.count);
        parser_expect(p, TOK_RPAREN);
        parser_push(p, &q->values.rows, &q->values.row_count, &cap, sizeof row, &row);
    } while (parser_accept(p, TOK_COMMA));
    return q;
}

/* ---- set operations and the query -------------------------------------------------------- */

static ast_query *parse_set_primary(parser *p) {
    const token *t = parser_peek(p);
    if (t->type == TOK_LPAREN) {
        parser_next(p);
        ast_query *q = parser_parse_query(p);
        parser_expect(p, TOK_RPAREN);
        return q;
    }
    if (t->type == TOK_IDENT && (t->kw == KW_SELECT || t->kw == KW_FROM)) return parse_select_body(p);
    if (t->type == TOK_IDENT && t->kw == KW_VALUES) return parse_values(p);
    parser_fail_syntax(p, t);
}

static ast_query *make_set_op(parser *p, ast_set_op op, ast_query *left) {
    ast_query *q = new_query(p, AST_QUERY_SET_OP, left->pos);
    q->set_op.op = op;
    q->set_op.left = left;
    if (parser_accept_kw(p, KW_ALL)) q->set_op.all = true;
    else parser_accept_kw(p, KW_DISTINCT);
    if (parser_is_kw(p, KW_BY) && parser_token_is_word(p, parser_peek_at(p, 1), "name")) {
        parser_next(p);
        parser_next(p);
        q->set_op.by_name = true;
    }
    return q;
}

static ast_query *parse_set_term(parser *p) {
    ast_query *left = parse_set_primary(p);
    while (parser_is_kw(p, KW_INTERSECT)) {
        parser_next(p);
        ast_query *q = make_set_op(p, AST_SET_INTERSECT, left);
        q->set_op.right = parse_set_primary(p);
        left = q;
    }
    return left;
}

static ast_query *parse_set_expr(parser *p) {
    ast_query *left = parse_set_term(p);
    while (parser_is_kw(p, KW_UNION) || parser_is_kw(p, KW_EXCEPT)) {
        ast_set_op op = parser_next(p).kw == KW_UNION ? AST_SET_UNION : AST_SET_EXCEPT;
        ast_query *q = make_set_op(p, op, left);
        q->set_op.right = parse_set_term(p);
        left = q;
    }
    return left;
}

static void parse_ctes(parser *p, ast_cte **out, uint32_t *count) {
    uint32_t cap = 0;
    do {
        ast_cte cte;
        memset(&cte, 0, sizeof cte);
        cte.pos = parser_peek(p)->start;
        cte.name = parser_parse_ident(p);
        if (parser_is(p, TOK_LPAREN)) parser_parse_ident_list(p, &cte.columns, &cte.column_count);
        parser_expect_kw(p, KW_AS);
        if (parser_is_kw(p, KW_NOT) && parser_is_kw_at(p, 1, KW_MATERIALIZED)) {
            parser_next(p);
            parser_next(p);
            cte.not_materialized = true;
        } else if (parser_accept_kw(p, KW_MATERIALIZED)) {
            cte.materialized = true;
        }
        parser_expect(p, TOK_LPAREN);
        cte.query = parser_parse_query(p);
        parser_expect(p, TOK_RPAREN);
        parser_push(p, out, count, &cap, sizeof cte, &cte);
    } while (parser_accept(p, TOK_COMMA));
}

ast_query *parser_parse_query(parser *p) {
    parser_depth_enter(p, parser_peek(p)->start);
    uint32_t pos = parser_peek(p)->start;
    ast_cte *ctes = NULL;
    uint32_t cte_count = 0;
    bool recursive = false;
    if (parser_accept_kw(p, KW_WITH)) {
        recursive = parser_accept_kw(p, KW_RECURSIVE);
        parse_ctes(p, &ctes, &cte_count);
    }
    ast_query *q = parse_set_expr(p);
    bool order = parser_is_kw(p, KW_ORDER);
    bool limit = parser_is_kw(p, KW_LIMIT) || parser_is_kw(p, KW_OFFSET);
    if ((order || limit) && has_modifiers(q)) q = wrap_query(p, q);
    if (parser_accept_kw(p, KW_ORDER)) {
        parser_expect_kw(p, KW_BY);
        parser_parse_order_by_list(p, &q->order_by);
    }
    for (int i = 0; i < 2; i++) {
        if (!q->limit && parser_accept_kw(p, KW_LIMIT)) {
            if (!parser_accept_kw(p, KW_ALL)) q->limit = parser_parse_expr(p);
        } else if (!q->offset && parser_accept_kw(p, KW_OFFSET)) {
            q->offset = parser_parse_expr(p);
            if (!parser_accept_kw(p, KW_ROWS)) parser_accept_kw(p, KW_ROW);
        }
    }
    if (cte_count) {
        if (q->cte_count) q = wrap_query(p, q);
        q->ctes = ctes;
        q->cte_count = cte_count;
        q->recursive = recursive;
        q->pos = pos;
    }
    parser_depth_leave(p);
    return q;
}
