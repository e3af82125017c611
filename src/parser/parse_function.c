/* ORDER BY lists, window specifications and function calls (aggregates, window and table
 * functions). */
#include <string.h>
#include <strings.h>

#include "parser/parser_internal.h"

/* ---- ORDER BY, windows ------------------------------------------------------------------------ */

void parser_parse_order_by_list(parser *p, ast_order_by *out) {
    memset(out, 0, sizeof *out);
    uint32_t cap = 0;
    if (parser_is_kw(p, KW_ALL)) {
        ast_order_item item = {NULL, AST_ORDER_DEFAULT, AST_NULLS_DEFAULT, parser_next(p).start};
        out->all = true;
        if (parser_accept_kw(p, KW_ASC)) item.dir = AST_ORDER_ASC;
        else if (parser_accept_kw(p, KW_DESC)) item.dir = AST_ORDER_DESC;
        if (parser_accept_kw(p, KW_NULLS)) {
            if (parser_accept_kw(p, KW_FIRST)) item.nulls = AST_NULLS_FIRST;
            else {
                parser_expect_kw(p, KW_LAST);
                item.nulls = AST_NULLS_LAST;
            }
        }
        parser_push(p, &out->items, &out->count, &cap, sizeof item, &item);
        return;
    }
    do {
        ast_order_item item;
        item.pos = parser_peek(p)->start;
        item.expr = parser_parse_expr(p);
        item.dir = AST_ORDER_DEFAULT;
        item.nulls = AST_NULLS_DEFAULT;
        if (parser_accept_kw(p, KW_ASC)) item.dir = AST_ORDER_ASC;
        else if (parser_accept_kw(p, KW_DESC)) item.dir = AST_ORDER_DESC;
        if (parser_accept_kw(p, KW_NULLS)) {
            if (parser_accept_kw(p, KW_FIRST)) item.nulls = AST_NULLS_FIRST;
            else {
                parser_expect_kw(p, KW_LAST);
                item.nulls = AST_NULLS_LAST;
            }
        }
        parser_push(p, &out->items, &out->count, &cap, sizeof item, &item);
    } while (parser_accept(p, TOK_COMMA));
}

static ast_frame_bound parse_frame_bound(parser *p) {
    ast_frame_bound b = {AST_BOUND_DEFAULT, NULL};
    if (parser_accept_kw(p, KW_UNBOUNDED)) {
        if (parser_accept_kw(p, KW_PRECEDING)) b.kind = AST_BOUND_UNBOUNDED_PRECEDING;
        else {
            parser_expect_kw(p, KW_FOLLOWING);
            b.kind = AST_BOUND_UNBOUNDED_FOLLOWING;
        }
        return b;
    }
    if (parser_accept_kw(p, KW_CURRENT)) {
        parser_expect_kw(p, KW_ROW);
        b.kind = AST_BOUND_CURRENT_ROW;
        return b;
    }
    b.offset = parser_parse_expr(p);
    if (parser_accept_kw(p, KW_PRECEDING)) b.kind = AST_BOUND_PRECEDING;
    else {
        parser_expect_kw(p, KW_FOLLOWING);
        b.kind = AST_BOUND_FOLLOWING;
    }
    return b;
}

/* The frame rules of the SQL standard (and of PostgreSQL and DuckDB, whose messages these are). */
static void check_frame(parser *p, const ast_window *w, uint32_t start_pos, uint32_t end_pos) {
    ast_frame_bound_kind s = w->start.kind, e = w->end.kind;
    if (s == AST_BOUND_UNBOUNDED_FOLLOWING) parser_fail_at(p, start_pos, "frame start cannot be UNBOUNDED FOLLOWING");
    if (e == AST_BOUND_UNBOUNDED_PRECEDING) parser_fail_at(p, end_pos, "frame end cannot be UNBOUNDED PRECEDING");
    bool end_is_current = e == AST_BOUND_CURRENT_ROW || e == AST_BOUND_DEFAULT;
    if (s == AST_BOUND_CURRENT_ROW && e == AST_BOUND_PRECEDING)
        parser_fail_at(p, end_pos, "frame starting from current row cannot have preceding rows");
    if (s == AST_BOUND_FOLLOWING && end_is_current)
        parser_fail_at(p, end_pos, "frame starting from following row cannot end with current row");
    if (s == AST_BOUND_FOLLOWING && e == AST_BOUND_PRECEDING)
        parser_fail_at(p, end_pos, "frame starting from following row cannot have preceding rows");
}

ast_window *parser_parse_window(parser *p, uint32_t *height) {
    ast_window *w = parser_alloc(p, sizeof *w);
    w->pos = parser_peek(p)->start;
    if (!parser_accept(p, TOK_LPAREN)) {
        w->name = parser_parse_ident(p);
        w->bare_name = true;
        return w;
    }
    const token *t = parser_peek(p);
    if (parser_token_is_ident(t, KWCAT_UNRESERVED) && !(t->type == TOK_IDENT && (t->kw == KW_PARTITION || t->kw == KW_ROWS || t->kw == KW_RANGE || t->kw == KW_GROUPS)))
        w->name = parser_parse_ident(p);
    if (parser_accept_kw(p, KW_PARTITION)) {
        parser_expect_kw(p, KW_BY);
        uint32_t cap = 0;
        do {
            ast_expr *e = parser_parse_expr(p);
            parser_height_max(height, e);
            parser_push(p, &w->partition_by, &w->partition_count, &cap, sizeof e, &e);
        } while (parser_accept(p, TOK_COMMA));
    }
    if (parser_accept_kw(p, KW_ORDER)) {
        parser_expect_kw(p, KW_BY);
        parser_parse_order_by_list(p, &w->order_by);
        for (uint32_t i = 0; i < w->order_by.count; i++) parser_height_max(height, w->order_by.items[i].expr);
    }
    if (parser_is_kw(p, KW_ROWS) || parser_is_kw(p, KW_RANGE) || parser_is_kw(p, KW_GROUPS)) {
        token u = parser_next(p);
        w->frame_unit = u.kw == KW_ROWS ? AST_FRAME_ROWS : u.kw == KW_RANGE ? AST_FRAME_RANGE : AST_FRAME_GROUPS;
        uint32_t start_pos, end_pos;
        if (parser_accept_kw(p, KW_BETWEEN)) {
            start_pos = parser_peek(p)->start;
            w->start = parse_frame_bound(p);
            parser_expect_kw(p, KW_AND);
            end_pos = parser_peek(p)->start;
            w->end = parse_frame_bound(p);
        } else {
            start_pos = end_pos = parser_peek(p)->start;
            w->start = parse_frame_bound(p);
        }
        check_frame(p, w, start_pos, end_pos);
        parser_height_max(height, w->start.offset);
        parser_height_max(height, w->end.offset);
    }
    parser_expect(p, TOK_RPAREN);
    return w;
}

/* ---- function calls ---------------------------------------------------------------------- */

static bool accept_nulls_treatment(parser *p, bool *ignore_nulls) {
    if ((parser_is_kw(p, KW_IGNORE) || parser_is_kw(p, KW_RESPECT)) && parser_is_kw_at(p, 1, KW_NULLS)) {
        *ignore_nulls = parser_next(p).kw == KW_IGNORE;
        parser_next(p);
        return true;
    }
    return false;
}

ast_expr *parser_parse_function_call(parser *p, ast_ident schema, ast_ident name, bool table_function) {
    ast_expr *e = parser_new_expr(p, AST_EXPR_FUNCTION, schema.name ? schema.pos : name.pos);
    e->function.schema = schema;
    e->function.name = name;
    uint32_t height = 0;
    parser_depth_enter(p, parser_peek(p)->start);
    parser_expect(p, TOK_LPAREN);
    if (parser_is(p, TOK_STAR) && parser_peek_at(p, 1)->type == TOK_RPAREN) {
        parser_next(p);
        e->function.star = true;
    } else if (!parser_is(p, TOK_RPAREN)) {
        if (parser_accept_kw(p, KW_DISTINCT)) e->function.distinct = true;
        else parser_accept_kw(p, KW_ALL);
        uint32_t cap = 0, name_cap = 0, name_count = 0;
        bool any_named = false;
        ast_ident *names = NULL;
        do {
            ast_ident arg_name = {NULL, 0, false, 0};
            const token *t = parser_peek(p);
            token_type next = parser_peek_at(p, 1)->type;
            if (parser_token_is_ident(t, KWCAT_UNRESERVED) &&
                (next == TOK_COLON_EQ || next == TOK_ARROW || (table_function && next == TOK_EQ))) {
                arg_name = parser_parse_ident(p);
                parser_next(p);
                any_named = true;
            }
            ast_expr *arg = parser_parse_expr(p);
            parser_height_max(&height, arg);
            parser_push(p, &e->function.args, &e->function.arg_count, &cap, sizeof arg, &arg);
            parser_push(p, &names, &name_count, &name_cap, sizeof arg_name, &arg_name);
            /* SQL's substring(s FROM start [FOR length]) */
            if (e->function.arg_count == 1 && name.len == 9 && !strncasecmp(name.name, "substring", 9) &&
                parser_accept_kw(p, KW_FROM)) {
                for (int part = 0; part < 2; part++) {
                    ast_expr *x = parser_parse_expr(p);
                    parser_height_max(&height, x);
                    parser_push(p, &e->function.args, &e->function.arg_count, &cap, sizeof x, &x);
                    parser_push(p, &names, &name_count, &name_cap, sizeof arg_name, &arg_name);
                    if (!parser_accept_kw(p, KW_FOR)) break;
                }
                break;
            }
        } while (parser_accept(p, TOK_COMMA));
        if (any_named) e->function.arg_names = names;
        if (parser_accept_kw(p, KW_ORDER)) {
            parser_expect_kw(p, KW_BY);
            parser_parse_order_by_list(p, &e->function.order_by);
            for (uint32_t i = 0; i < e->function.order_by.count; i++)
                parser_height_max(&height, e->function.order_by.items[i].expr);
        }
        accept_nulls_treatment(p, &e->function.ignore_nulls);
    }
    parser_expect(p, TOK_RPAREN);
    if (parser_is_kw(p, KW_FILTER) && parser_peek_at(p, 1)->type == TOK_LPAREN) {
        parser_next(p);
        parser_next(p);
        parser_expect_kw(p, KW_WHERE);
        e->function.filter = parser_parse_expr(p);
        parser_height_max(&height, e->function.filter);
        parser_expect(p, TOK_RPAREN);
    }
    accept_nulls_treatment(p, &e->function.ignore_nulls);
    if (parser_accept_kw(p, KW_OVER)) e->function.over = parser_parse_window(p, &height);
    parser_depth_leave(p);
    parser_set_height(p, e, height);
    return e;
}
