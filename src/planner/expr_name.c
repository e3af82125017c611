/* Result column names for expressions without an alias, written the way DuckDB prints the
 * expression: "(a + 1)", "count_star()", "CAST(x AS INTEGER)". */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "planner/bind_internal.h"

#define NAME_MAX_LENGTH 4096

typedef struct name_buf {
    char text[NAME_MAX_LENGTH];
    size_t len;
} name_buf;

static void put(name_buf *nb, const char *s, size_t n) {
    if (nb->len + n >= NAME_MAX_LENGTH) n = NAME_MAX_LENGTH - 1 - nb->len;
    memcpy(nb->text + nb->len, s, n);
    nb->len += n;
}
static void puts_(name_buf *nb, const char *s) { put(nb, s, strlen(s)); }
static void put_ident(name_buf *nb, const ast_ident *id) { put(nb, id->name, id->len); }

static void write_expr(name_buf *nb, const ast_expr *e, int depth);

static void write_list(name_buf *nb, ast_expr *const *items, uint32_t n, int depth) {
    for (uint32_t i = 0; i < n; i++) {
        if (i) puts_(nb, ", ");
        write_expr(nb, items[i], depth + 1);
    }
}

static const char *binary_text(ast_binary_op op) {
    switch (op) {
    case AST_BINARY_ADD: return " + ";
    case AST_BINARY_SUB: return " - ";
    case AST_BINARY_MUL: return " * ";
    case AST_BINARY_DIV: return " / ";
    case AST_BINARY_INT_DIV: return " // ";
    case AST_BINARY_MOD: return " % ";
    case AST_BINARY_CONCAT: return " || ";
    case AST_BINARY_EQ: return " = ";
    case AST_BINARY_NE: return " != ";
    case AST_BINARY_LT: return " < ";
    case AST_BINARY_LE: return " <= ";
    case AST_BINARY_GT: return " > ";
    case AST_BINARY_GE: return " >= ";
    case AST_BINARY_AND: return " AND ";
    case AST_BINARY_OR: return " OR ";
    }
    return " ? ";
}

static void write_type(name_buf *nb, const ast_type_name *t) {
    char buf[96];
    int n = snprintf(buf, sizeof buf, "%.*s", (int)t->len, t->name);
    for (int i = 0; i < n; i++)
        if (buf[i] >= 'a' && buf[i] <= 'z') buf[i] = (char)(buf[i] - 'a' + 'A');
    puts_(nb, buf);
    if (t->param_count == 1) snprintf(buf, sizeof buf, "(%lld)", (long long)t->width), puts_(nb, buf);
    if (t->param_count == 2)
        snprintf(buf, sizeof buf, "(%lld,%lld)", (long long)t->width, (long long)t->scale), puts_(nb, buf);
}

static void write_literal(name_buf *nb, const ast_literal *l) {
    switch (l->kind) {
    case AST_LIT_NULL: puts_(nb, "NULL"); break;
    case AST_LIT_BOOLEAN: puts_(nb, l->boolean ? "true" : "false"); break;
    case AST_LIT_STRING:
        puts_(nb, "'");
        for (uint32_t i = 0; i < l->text_len; i++) {
            if (l->text[i] == '\'') puts_(nb, "'");
            put(nb, &l->text[i], 1);
        }
        puts_(nb, "'");
        break;
    default: put(nb, l->text, l->text_len); break;
    }
}

static void write_bound(name_buf *nb, const ast_frame_bound *b, int depth) {
    switch (b->kind) {
    case AST_BOUND_UNBOUNDED_PRECEDING: puts_(nb, "UNBOUNDED PRECEDING"); break;
    case AST_BOUND_UNBOUNDED_FOLLOWING: puts_(nb, "UNBOUNDED FOLLOWING"); break;
    case AST_BOUND_PRECEDING:
    case AST_BOUND_FOLLOWING:
        write_expr(nb, b->offset, depth + 1);
        puts_(nb, b->kind == AST_BOUND_PRECEDING ? " PRECEDING" : " FOLLOWING");
        break;
    default: puts_(nb, "CURRENT ROW"); break;
    }
}

/* " OVER (PARTITION BY a ORDER BY b DESC ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)", as DuckDB
 * prints it (the default frame is left out). */
static void write_window(name_buf *nb, const ast_window *w, int depth) {
    if (w->bare_name) {
        puts_(nb, " OVER ");
        put_ident(nb, &w->name);
        return;
    }
    puts_(nb, " OVER (");
    const char *sep = "";
    if (w->name.name) put_ident(nb, &w->name), sep = " ";
    if (w->partition_count) {
        puts_(nb, sep);
        puts_(nb, "PARTITION BY ");
        write_list(nb, w->partition_by, w->partition_count, depth);
        sep = " ";
    }
    if (w->order_by.count) {
        puts_(nb, sep);
        puts_(nb, "ORDER BY ");
        for (uint32_t i = 0; i < w->order_by.count; i++) {
            const ast_order_item *it = &w->order_by.items[i];
            if (i) puts_(nb, ", ");
            if (it->expr) write_expr(nb, it->expr, depth + 1);
            else puts_(nb, "ALL");
            if (it->dir != AST_ORDER_DEFAULT) puts_(nb, it->dir == AST_ORDER_DESC ? " DESC" : " ASC");
            if (it->nulls != AST_NULLS_DEFAULT) puts_(nb, it->nulls == AST_NULLS_FIRST ? " NULLS FIRST" : " NULLS LAST");
        }
        sep = " ";
    }
    bool default_frame = w->frame_unit == AST_FRAME_RANGE && w->start.kind == AST_BOUND_UNBOUNDED_PRECEDING &&
                         (w->end.kind == AST_BOUND_CURRENT_ROW || w->end.kind == AST_BOUND_DEFAULT);
    if (w->frame_unit != AST_FRAME_NONE && !default_frame) {
        puts_(nb, sep);
        puts_(nb, w->frame_unit == AST_FRAME_ROWS ? "ROWS BETWEEN " : w->frame_unit == AST_FRAME_RANGE ? "RANGE BETWEEN "
                                                                                                        : "GROUPS BETWEEN ");
        write_bound(nb, &w->start, depth);
        puts_(nb, " AND ");
        write_bound(nb, &w->end, depth);
    }
    puts_(nb, ")");
}

static void write_expr(name_buf *nb, const ast_expr *e, int depth) {
    if (!e) return;
    if (depth > 64 || nb->len > NAME_MAX_LENGTH - 8) {
        puts_(nb, "...");
        return;
    }
    switch (e->kind) {
    case AST_EXPR_CONSTANT: write_literal(nb, &e->literal); break;
    case AST_EXPR_COLUMN: put_ident(nb, &e->column.parts[e->column.count - 1]); break;
    case AST_EXPR_STAR: puts_(nb, "*"); break;
    case AST_EXPR_PARAMETER: {
        char buf[16];
        snprintf(buf, sizeof buf, "$%u", e->parameter.index);
        puts_(nb, buf);
        break;
    }
    case AST_EXPR_UNARY:
        if (e->unary.op == AST_UNARY_NOT) {
            puts_(nb, "(NOT ");
            write_expr(nb, e->unary.operand, depth + 1);
            puts_(nb, ")");
        } else {
            puts_(nb, e->unary.op == AST_UNARY_NEGATE ? "-(" : "+(");
            write_expr(nb, e->unary.operand, depth + 1);
            puts_(nb, ")");
        }
        break;
    case AST_EXPR_BINARY:
        puts_(nb, "(");
        write_expr(nb, e->binary.left, depth + 1);
        puts_(nb, binary_text(e->binary.op));
        write_expr(nb, e->binary.right, depth + 1);
        puts_(nb, ")");
        break;
    case AST_EXPR_IS_NULL:
        puts_(nb, "(");
        write_expr(nb, e->is.operand, depth + 1);
        puts_(nb, e->is.negated ? " IS NOT NULL)" : " IS NULL)");
        break;
    case AST_EXPR_IS_BOOL:
        puts_(nb, "(");
        write_expr(nb, e->is.operand, depth + 1);
        puts_(nb, e->is.negated ? " IS NOT " : " IS ");
        puts_(nb, e->is.value ? "true)" : "false)");
        break;
    case AST_EXPR_IS_DISTINCT:
        puts_(nb, "(");
        write_expr(nb, e->distinct.left, depth + 1);
        puts_(nb, e->distinct.negated ? " IS NOT DISTINCT FROM " : " IS DISTINCT FROM ");
        write_expr(nb, e->distinct.right, depth + 1);
        puts_(nb, ")");
        break;
    case AST_EXPR_LIKE:
        puts_(nb, "(");
        write_expr(nb, e->like.operand, depth + 1);
        puts_(nb, e->like.like_kind == AST_ILIKE ? (e->like.negated ? " NOT ILIKE " : " ILIKE ")
                                                 : (e->like.negated ? " !~~ " : " ~~ "));
        write_expr(nb, e->like.pattern, depth + 1);
        puts_(nb, ")");
        break;
    case AST_EXPR_BETWEEN:
        puts_(nb, "(");
        write_expr(nb, e->between.operand, depth + 1);
        puts_(nb, e->between.negated ? " NOT BETWEEN " : " BETWEEN ");
        write_expr(nb, e->between.low, depth + 1);
        puts_(nb, " AND ");
        write_expr(nb, e->between.high, depth + 1);
        puts_(nb, ")");
        break;
    case AST_EXPR_IN_LIST:
        puts_(nb, "(");
        write_expr(nb, e->in_list.operand, depth + 1);
        puts_(nb, e->in_list.negated ? " NOT IN (" : " IN (");
        write_list(nb, e->in_list.items, e->in_list.count, depth);
        puts_(nb, "))");
        break;
    case AST_EXPR_FUNCTION:
        if (e->function.star && e->function.arg_count == 0 && e->function.name.len == 5 &&
            !strncasecmp(e->function.name.name, "count", 5)) {
            puts_(nb, e->function.over ? "count()" : "count_star()");
            if (e->function.over) write_window(nb, e->function.over, depth);
            break;
        }
        put_ident(nb, &e->function.name);
        puts_(nb, e->function.distinct ? "(DISTINCT " : "(");
        if (e->function.star) puts_(nb, "*");
        write_list(nb, e->function.args, e->function.arg_count, depth);
        puts_(nb, ")");
        if (e->function.over) write_window(nb, e->function.over, depth);
        break;
    case AST_EXPR_CASE:
        puts_(nb, "CASE ");
        if (e->case_.operand) write_expr(nb, e->case_.operand, depth + 1), puts_(nb, " ");
        for (uint32_t i = 0; i < e->case_.count; i++) {
            puts_(nb, "WHEN ");
            write_expr(nb, e->case_.whens[i], depth + 1);
            puts_(nb, " THEN ");
            write_expr(nb, e->case_.thens[i], depth + 1);
            puts_(nb, " ");
        }
        puts_(nb, "ELSE ");
        if (e->case_.else_expr) write_expr(nb, e->case_.else_expr, depth + 1);
        else puts_(nb, "NULL");
        puts_(nb, " END");
        break;
    case AST_EXPR_CAST:
        puts_(nb, e->cast.try_cast ? "TRY_CAST(" : "CAST(");
        write_expr(nb, e->cast.operand, depth + 1);
        puts_(nb, " AS ");
        write_type(nb, &e->cast.type);
        puts_(nb, ")");
        break;
    case AST_EXPR_SUBQUERY: puts_(nb, "(SELECT ...)"); break;
    case AST_EXPR_EXISTS: puts_(nb, "EXISTS(SELECT ...)"); break;
    default: puts_(nb, "?"); break;
    }
}

const char *ast_expr_name(binder *b, const ast_expr *e) {
    name_buf nb;
    nb.len = 0;
    write_expr(&nb, e, 0);
    return arena_strndup(b->arena, nb.text, nb.len, b->err);
}
