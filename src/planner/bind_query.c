/* Binding of queries: SELECT (with aggregation, DISTINCT, ORDER BY, LIMIT), VALUES and UNION. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "execution/expression_executor.h"
#include "function/cast.h"
#include "execution/hash_aggregate.h"
#include "execution/operators.h"
#include "execution/order_by.h"
#include "planner/bind_from.h"

void binder_init(binder *b, eider_database *db, arena *a, error *err) {
    memset(b, 0, sizeof *b);
    b->db = db;
    b->arena = a;
    b->err = err;
}

bool bind_constant(binder *b, ast_expr *e, value *out) {
    expr_scope s = {.clause = "a constant expression"};
    bound_expr *x = bind_expr(b, &s, e);
    if (!x) return false;
    if (!bexpr_is_foldable(x))
        return error_set(b->err, EIDER_ERROR_BINDER, "expected a constant expression");
    if (x->kind == BEXPR_CONSTANT) return (*out = x->constant), true;
    return expr_evaluate_constant(b->arena, x, out, b->err);
}

/* One row with no columns: the input of SELECT without FROM. */
static bool single_row(binder *b, relation *out) {
    bound_expr ***rows = arena_alloc(b->arena, sizeof *rows, b->err);
    if (!rows) return false;
    physical_op *op = values_create(b->arena, rows, 1, NULL, 0, b->err);
    return op && relation_alloc(b, out, op, 0);
}

/* ---- SELECT list ---------------------------------------------------------------------------- */

typedef struct select_entry {
    ast_expr *expr;
    const char *name;
} select_entry;

/* A column AST that matches exactly one column of a relation (used to expand *). */
static ast_expr *column_ast(binder *b, const scope_column *c, uint32_t pos) {
    ast_expr *e = arena_alloc(b->arena, sizeof *e, b->err);
    ast_ident *parts = arena_alloc(b->arena, sizeof *parts * 2, b->err);
    if (!e || !parts) return NULL;
    e->kind = AST_EXPR_COLUMN;
    e->pos = pos;
    e->depth = 1;
    uint32_t n = 0;
    if (c->table) parts[n++] = (ast_ident){c->table, (uint32_t)strlen(c->table), true, pos};
    parts[n++] = (ast_ident){c->name, (uint32_t)strlen(c->name), true, pos};
    e->column.parts = parts;
    e->column.count = n;
    return e;
}

/* The name of a column reference's result: the column's name as stored (its case as created),
 * or the name as written when it does not resolve to one column. */
static const char *column_output_name(binder *b, relation *from, ast_expr *e) {
    const ast_ident *name = &e->column.parts[e->column.count - 1];
    const ast_ident *table = e->column.count == 2 ? &e->column.parts[0] : NULL;
    const char *found = NULL;
    for (uint32_t c = 0; c < from->column_count; c++) {
        scope_column *col = &from->columns[c];
        if (!ident_matches(name, col->name) || (table && !ident_matches(table, col->table))) continue;
        if (!table && col->hidden) continue;
        if (found) return ident_text(b, name);
        found = col->name;
    }
    return found ? found : ident_text(b, name);
}

static bool star_excludes(binder *b, const ast_expr *star, const char *name) {
    (void)b;
    for (uint32_t i = 0; i < star->star.exclude_count; i++)
        if (ident_matches(&star->star.exclude[i], name)) return true;
    return false;
}

static bool expand_select(binder *b, ast_select *sel, relation *from, select_entry **out, uint32_t *count) {
    uint32_t cap = sel->item_count;
    for (uint32_t i = 0; i < sel->item_count; i++)
        if (sel->items[i].expr->kind == AST_EXPR_STAR) cap += from->column_count;
    select_entry *list = arena_alloc(b->arena, sizeof *list * (cap ? cap : 1), b->err);
    if (!list) return false;
    uint32_t n = 0;
    for (uint32_t i = 0; i < sel->item_count; i++) {
        ast_select_item *it = &sel->items[i];
        if (it->expr->kind != AST_EXPR_STAR) {
            list[n].expr = it->expr;
            if (it->alias.name) list[n].name = ident_text(b, &it->alias);
            else if (it->expr->kind == AST_EXPR_COLUMN)
                list[n].name = column_output_name(b, from, it->expr);
            else list[n].name = ast_expr_name(b, it->expr);
            if (!list[n++].name) return false;
            continue;
        }
        ast_expr *star = it->expr;
        uint32_t before = n;
        for (uint32_t c = 0; c < from->column_count; c++) {
            scope_column *col = &from->columns[c];
            if (col->hidden) continue;
            if (star->star.relation.name && !ident_matches(&star->star.relation, col->table)) continue;
            if (star_excludes(b, star, col->name)) continue;
            ast_expr *e = column_ast(b, col, star->pos);
            if (!e) return false;
            for (uint32_t r = 0; r < star->star.replace_count; r++)
                if (ident_matches(&star->star.replace_names[r], col->name)) e = star->star.replace_exprs[r];
            list[n].expr = e;
            list[n++].name = col->name;
        }
        for (uint32_t x = 0; x < star->star.exclude_count; x++) {
            bool exists = false;
            for (uint32_t c = 0; c < from->column_count && !exists; c++)
                exists = ident_matches(&star->star.exclude[x], from->columns[c].name);
            if (!exists)
                return error_set(b->err, EIDER_ERROR_BINDER, "Column \"%.*s\" in EXCLUDE list not found in FROM clause",
                                 (int)star->star.exclude[x].len, star->star.exclude[x].name);
        }
        if (n == before && star->star.exclude_count)
            return error_set(b->err, EIDER_ERROR_BINDER, "SELECT list is empty after resolving * expressions!");
        if (n == before) {
            if (star->star.relation.name)
                return error_set(b->err, EIDER_ERROR_BINDER, "Referenced table \"%.*s\" not found!",
                                 (int)star->star.relation.len, star->star.relation.name);
            if (from->column_count == 0)
                return error_set(b->err, EIDER_ERROR_BINDER, "SELECT * expression without FROM clause!");
        }
    }
    *out = list;
    *count = n;
    return true;
}

/* ---- ORDER BY ------------------------------------------------------------------------------- */

typedef struct order_plan {
    sort_key *keys;
    uint32_t key_count;
    bound_expr **hidden; /* extra projected columns for ORDER BY expressions */
    uint32_t hidden_count;
} order_plan;

static bool positional_index(binder *b, ast_expr *e, uint32_t count, const char *clause, int64_t *index) {
    if (e->kind != AST_EXPR_CONSTANT || e->literal.kind != AST_LIT_INTEGER) return false;
    *index = e->literal.integer;
    if (*index < 1 || *index > (int64_t)count) {
        error_set(b->err, EIDER_ERROR_BINDER, "%s term out of range - should be between 1 and %u", clause, count);
        return false;
    }
    return true;
}

static void set_direction(sort_key *k, const ast_order_item *it) {
    k->descending = it->dir == AST_ORDER_DESC;
    k->nulls_first = it->nulls == AST_NULLS_FIRST;
}

/* Resolves ORDER BY items to output columns: positions, select names, select expressions, or
 * extra hidden columns (bound in scope s). */
static bool plan_order(binder *b, ast_order_by *ob, select_entry *items, bound_expr **exprs, uint32_t count,
                       expr_scope *s, bool distinct, order_plan *out) {
    memset(out, 0, sizeof *out);
    if (ob->count == 0) return true;
    uint32_t nkeys = ob->all ? count : ob->count;
    out->keys = arena_alloc(b->arena, sizeof(sort_key) * (nkeys ? nkeys : 1), b->err);
    out->hidden = arena_alloc(b->arena, sizeof(bound_expr *) * (ob->count + 1), b->err);
    if (!out->keys || !out->hidden) return false;
    if (ob->all) {
        for (uint32_t i = 0; i < count; i++) {
            out->keys[i].column = i;
            set_direction(&out->keys[i], &ob->items[0]);
        }
        out->key_count = count;
        return true;
    }
    for (uint32_t i = 0; i < ob->count; i++) {
        ast_order_item *it = &ob->items[i];
        sort_key *k = &out->keys[out->key_count++];
        set_direction(k, it);
        int64_t pos;
        if (positional_index(b, it->expr, count, "ORDER", &pos)) {
            k->column = (uint32_t)(pos - 1);
            continue;
        }
        if (error_is_set(b->err)) return false;
        int found = -1;
        if (it->expr->kind == AST_EXPR_COLUMN && it->expr->column.count == 1)
            for (uint32_t c = 0; c < count && found < 0; c++)
                if (items && items[c].name && ident_matches(&it->expr->column.parts[0], items[c].name)) found = (int)c;
        bound_expr *x = NULL;
        if (found < 0) {
            if (!s) return error_set(b->err, EIDER_ERROR_BINDER, "ORDER BY term must refer to a result column");
            if (!(x = bind_expr(b, s, it->expr))) return false;
            for (uint32_t c = 0; c < count && found < 0; c++)
                if (bexpr_equals(x, exprs[c])) found = (int)c;
        }
        if (found >= 0) {
            k->column = (uint32_t)found;
            continue;
        }
        if (distinct)
            return error_set(b->err, EIDER_ERROR_BINDER,
                             "for SELECT DISTINCT, ORDER BY expressions must appear in select list");
        k->column = count + out->hidden_count;
        out->hidden[out->hidden_count++] = x;
    }
    return true;
}

static bool constant_count(binder *b, ast_expr *e, const char *what, int64_t *out) {
    value v;
    if (!bind_constant(b, e, &v)) return false;
    if (v.is_null) return (*out = -1), true;
    value c;
    if (!cast_value(&v, type_make(TYPE_BIGINT), &c, b->arena, b->err)) return false;
    if (c.u.i64 < 0) return error_set(b->err, EIDER_ERROR_BINDER, "LIMIT/OFFSET cannot be negative (%s)", what);
    *out = c.u.i64;
    return true;
}

/* Applies ORDER BY (keys over rel's columns; hidden columns beyond visible are dropped after
 * sorting), LIMIT and OFFSET. */
static bool finish_query(binder *b, ast_query *q, relation *rel, uint32_t visible, order_plan *order) {
    int64_t limit = -1, offset = 0;
    if (q->limit && !constant_count(b, q->limit, "LIMIT", &limit)) return false;
    if (q->offset && !constant_count(b, q->offset, "OFFSET", &offset)) return false;
    if (offset < 0) offset = 0;
    if (order && order->key_count) {
        physical_op *op = order_by_create(b->arena, rel->op, order->keys, order->key_count, limit, (uint64_t)offset,
                                          b->err);
        if (!op) return false;
        rel->op = op;
    } else if (limit >= 0 || offset > 0) {
        physical_op *op = limit_create(b->arena, rel->op, limit, (uint64_t)offset, b->err);
        if (!op) return false;
        rel->op = op;
    }
    if (rel->column_count > visible) {
        bound_expr **ex = arena_alloc(b->arena, sizeof *ex * (visible ? visible : 1), b->err);
        if (!ex) return false;
        for (uint32_t i = 0; i < visible; i++)
            if (!(ex[i] = bexpr_column(b->arena, i, rel->columns[i].type, b->err))) return false;
        relation out;
        if (!relation_project(b, rel, ex, visible, NULL, &out)) return false;
        *rel = out;
    }
    return true;
}

static bool distinct_rows(binder *b, relation *rel, uint32_t count) {
    uint32_t groups[count ? count : 1];
    for (uint32_t i = 0; i < count; i++) groups[i] = i;
    physical_op *op = hash_aggregate_create(b->arena, rel->op, groups, count, NULL, 0, b->err);
    if (!op) return false;
    rel->op = op;
    return true;
}

/* ---- aggregation ---------------------------------------------------------------------------- */

static bool window_contains_aggregate(const ast_window *w) {
    for (uint32_t i = 0; i < w->partition_count; i++)
        if (ast_contains_aggregate(w->partition_by[i])) return true;
    for (uint32_t i = 0; i < w->order_by.count; i++)
        if (ast_contains_aggregate(w->order_by.items[i].expr)) return true;
    return false;
}

static bool needs_aggregation(ast_select *sel, select_entry *items, uint32_t n, ast_order_by *ob) {
    if (sel->group_count || sel->group_by_all || sel->having) return true;
    for (uint32_t i = 0; i < n; i++)
        if (ast_contains_aggregate(items[i].expr)) return true;
    for (uint32_t i = 0; i < ob->count; i++)
        if (ast_contains_aggregate(ob->items[i].expr)) return true;
    if (ast_contains_aggregate(sel->qualify)) return true;
    for (uint32_t i = 0; i < sel->window_count; i++)
        if (window_contains_aggregate(sel->windows[i].window)) return true;
    return false;
}

static bool bind_groups(binder *b, ast_select *sel, select_entry *items, uint32_t n, relation *from,
                        agg_binding *ab) {
    uint32_t cap = sel->group_by_all ? n : sel->group_count;
    ab->groups = arena_alloc(b->arena, sizeof(bound_expr *) * (cap ? cap : 1), b->err);
    if (!ab->groups) return false;
    ast_select_item *aliases = sel->items;
    expr_scope s = {.rel = from, .clause = "GROUP BY", .aliases = aliases, .alias_count = sel->item_count};
    for (uint32_t i = 0; i < cap; i++) {
        ast_expr *g;
        if (sel->group_by_all) {
            if (ast_contains_aggregate(items[i].expr) || ast_contains_window(items[i].expr)) continue;
            g = items[i].expr;
        } else {
            g = sel->group_by[i];
            int64_t pos;
            if (positional_index(b, g, n, "GROUP BY", &pos)) g = items[pos - 1].expr;
            else if (error_is_set(b->err)) return false;
        }
        if (ast_contains_aggregate(g))
            return error_set(b->err, EIDER_ERROR_BINDER, "GROUP BY clause cannot contain aggregates!");
        bound_expr *x = bind_expr(b, &s, g);
        if (!x) return false;
        bool duplicate = false;
        for (uint32_t k = 0; k < ab->group_count && !duplicate; k++) duplicate = bexpr_equals(x, ab->groups[k]);
        if (!duplicate) ab->groups[ab->group_count++] = x;
    }
    return true;
}

/* Puts the aggregate under rel: projects groups and arguments, then aggregates. */
static bool build_aggregate(binder *b, relation *from, agg_binding *ab, relation *out) {
    uint32_t g = ab->group_count, nargs = 0;
    for (uint32_t j = 0; j < ab->agg_count; j++) nargs += ab->agg_args[j] != NULL;
    uint32_t total = g + nargs;
    bound_expr **ex = arena_alloc(b->arena, sizeof *ex * (total ? total : 1), b->err);
    uint32_t *groups = arena_alloc(b->arena, sizeof *groups * (g ? g : 1), b->err);
    if (!ex || !groups) return false;
    for (uint32_t i = 0; i < g; i++) ex[i] = ab->groups[i], groups[i] = i;
    uint32_t next = g;
    for (uint32_t j = 0; j < ab->agg_count; j++) {
        if (!ab->agg_args[j]) {
            ab->aggs[j].arg_column = -1;
            continue;
        }
        ab->aggs[j].arg_column = (int32_t)next;
        ex[next++] = ab->agg_args[j];
    }
    physical_op *proj = projection_create(b->arena, from->op, ex, total, b->err);
    if (!proj) return false;
    physical_op *agg = hash_aggregate_create(b->arena, proj, groups, g, ab->aggs, ab->agg_count, b->err);
    if (!agg || !relation_alloc(b, out, agg, agg->column_count)) return false;
    for (uint32_t i = 0; i < agg->column_count; i++) {
        out->columns[i].name = "";
        out->columns[i].type = agg->types[i];
    }
    return true;
}

/* ---- SELECT --------------------------------------------------------------------------------- */

static bool bind_select(binder *b, ast_query *q, relation *out) {
    ast_select *sel = q->select;
    if (sel->distinct_on_count)
        return error_set(b->err, EIDER_ERROR_NOT_IMPLEMENTED, "DISTINCT ON is not supported yet");
    relation from;
    if (sel->from) {
        if (!bind_from_where(b, sel->from, sel->where, &from)) return false;
    } else {
        if (!single_row(b, &from)) return false;
        if (sel->where) {
            expr_scope ws = {.rel = &from, .clause = "WHERE"};
            bound_expr *p = bind_expr(b, &ws, sel->where);
            if (!p || !(p = bexpr_cast(b->arena, p, type_make(TYPE_BOOLEAN), false, b->err))) return false;
            physical_op *f = filter_create(b->arena, from.op, p, b->err);
            if (!f) return false;
            from.op = f;
        }
    }
    select_entry *items = NULL;
    uint32_t n = 0;
    if (!expand_select(b, sel, &from, &items, &n)) return false;
    bound_expr **exprs = arena_alloc(b->arena, sizeof *exprs * (n ? n : 1), b->err);
    if (!exprs) return false;

    win_binding wb;
    memset(&wb, 0, sizeof wb);
    wb.named = sel->windows;
    wb.named_count = sel->window_count;
    expr_scope s = {.rel = &from, .clause = "SELECT", .aliases = sel->items, .alias_count = sel->item_count,
                    .win = &wb};
    agg_binding ab;
    memset(&ab, 0, sizeof ab);
    relation input = from;
    bound_expr *having = NULL;
    bool aggregate = needs_aggregation(sel, items, n, &q->order_by);
    if (aggregate) {
        ab.input = &from;
        if (!bind_groups(b, sel, items, n, &from, &ab)) return false;
        s.agg = &ab;
    }
    for (uint32_t i = 0; i < n; i++) {
        s.aliases = NULL; /* a select item does not see the aliases of the others */
        if (!(exprs[i] = bind_expr(b, &s, items[i].expr))) return false;
        s.aliases = sel->items;
    }
    if (sel->having) {
        s.clause = "HAVING";
        s.win = NULL;
        if (!(having = bind_expr(b, &s, sel->having))) return false;
        if (!(having = bexpr_cast(b->arena, having, type_make(TYPE_BOOLEAN), false, b->err))) return false;
        s.win = &wb;
    }
    order_plan order;
    s.clause = "ORDER BY";
    if (!plan_order(b, &q->order_by, items, exprs, n, &s, sel->distinct, &order)) return false;
    bound_expr *qualify = NULL;
    if (sel->qualify) {
        s.clause = "QUALIFY";
        if (!(qualify = bind_expr(b, &s, sel->qualify))) return false;
        if (!(qualify = bexpr_cast(b->arena, qualify, type_make(TYPE_BOOLEAN), false, b->err))) return false;
        if (wb.count == 0)
            return error_set(b->err, EIDER_ERROR_BINDER,
                             "at least one window function must appear in the SELECT column or QUALIFY clause");
    }
    if (aggregate) {
        if (!build_aggregate(b, &from, &ab, &input)) return false;
        if (having) {
            physical_op *f = filter_create(b->arena, input.op, having, b->err);
            if (!f) return false;
            input.op = f;
        }
    }
    /* window functions see the rows after WHERE, GROUP BY and HAVING; QUALIFY filters their results */
    if (wb.count) {
        uint32_t *map;
        if (!bind_plan_windows(b, &input, &wb, &map)) return false;
        for (uint32_t i = 0; i < n; i++) bind_remap_windows(exprs[i], map);
        for (uint32_t i = 0; i < order.hidden_count; i++) bind_remap_windows(order.hidden[i], map);
        bind_remap_windows(qualify, map);
    }
    if (qualify) {
        physical_op *f = filter_create(b->arena, input.op, qualify, b->err);
        if (!f) return false;
        input.op = f;
    }
    /* the projection: select list, then hidden ORDER BY columns */
    uint32_t total = n + order.hidden_count;
    bound_expr **all = arena_alloc(b->arena, sizeof *all * (total ? total : 1), b->err);
    const char **names = arena_alloc(b->arena, sizeof *names * (total ? total : 1), b->err);
    if (!all || !names) return false;
    for (uint32_t i = 0; i < n; i++) {
        all[i] = exprs[i];
        names[i] = items[i].name;
        if (all[i]->type.id == TYPE_SQLNULL && !(all[i] = bexpr_cast(b->arena, all[i], type_make(TYPE_INTEGER), false, b->err)))
            return false;
    }
    for (uint32_t i = 0; i < order.hidden_count; i++) {
        all[n + i] = order.hidden[i];
        names[n + i] = "";
    }
    if (!relation_project(b, &input, all, total, names, out)) return false;
    if (sel->distinct && !distinct_rows(b, out, n)) return false;
    return finish_query(b, q, out, n, &order);
}

/* ---- VALUES --------------------------------------------------------------------------------- */

static bool bind_values(binder *b, ast_query *q, const logical_type *target, uint32_t target_count,
                        relation *out) {
    uint32_t rows = q->values.row_count, cols = rows ? q->values.rows[0].count : 0;
    if (target && cols != target_count)
        return error_set(b->err, EIDER_ERROR_BINDER, "table %s has %u columns but %u values were supplied",
                         b->insert_target ? b->insert_target : "?", target_count, cols);
    bound_expr ***matrix = arena_alloc(b->arena, sizeof *matrix * (rows ? rows : 1), b->err);
    logical_type *types = arena_alloc(b->arena, sizeof *types * (cols ? cols : 1), b->err);
    if (!matrix || !types) return false;
    for (uint32_t c = 0; c < cols; c++) types[c] = target ? target[c] : type_make(TYPE_SQLNULL);
    expr_scope s = {.clause = "VALUES"};
    for (uint32_t r = 0; r < rows; r++) {
        ast_values_row *row = &q->values.rows[r];
        if (row->count != cols)
            return error_set(b->err, EIDER_ERROR_PARSER, "VALUES lists must all be the same length");
        if (!(matrix[r] = arena_alloc(b->arena, sizeof(bound_expr *) * (cols ? cols : 1), b->err))) return false;
        for (uint32_t c = 0; c < cols; c++) {
            bound_expr *x = bind_expr(b, &s, row->values[c]);
            if (!x) return false;
            if (target) x = bexpr_cast(b->arena, x, target[c], false, b->err);
            else if (!bind_common_type(b, types[c], x->type, &types[c])) return false;
            if (!(matrix[r][c] = x)) return false;
        }
    }
    for (uint32_t c = 0; c < cols; c++) {
        if (types[c].id == TYPE_SQLNULL) types[c] = type_make(TYPE_INTEGER);
        for (uint32_t r = 0; r < rows && !target; r++)
            if (!(matrix[r][c] = bexpr_cast(b->arena, matrix[r][c], types[c], false, b->err))) return false;
    }
    physical_op *op = values_create(b->arena, matrix, rows, types, cols, b->err);
    if (!op || !relation_alloc(b, out, op, cols)) return false;
    for (uint32_t c = 0; c < cols; c++) {
        out->columns[c].name = arena_printf(b->arena, b->err, "col%u", c);
        out->columns[c].type = types[c];
        if (!out->columns[c].name) return false;
    }
    order_plan order;
    if (!plan_order(b, &q->order_by, NULL, NULL, cols, NULL, false, &order)) return false;
    return finish_query(b, q, out, cols, &order);
}

/* ---- set operations ------------------------------------------------------------------------- */

static bool cast_relation(binder *b, relation *rel, const logical_type *types) {
    bool need = false;
    for (uint32_t i = 0; i < rel->column_count; i++) need |= !type_equals(rel->columns[i].type, types[i]);
    if (!need) return true;
    bound_expr **ex = arena_alloc(b->arena, sizeof *ex * rel->column_count, b->err);
    const char **names = arena_alloc(b->arena, sizeof *names * rel->column_count, b->err);
    if (!ex || !names) return false;
    for (uint32_t i = 0; i < rel->column_count; i++) {
        bound_expr *c = bexpr_column(b->arena, i, rel->columns[i].type, b->err);
        if (!c || !(ex[i] = bexpr_cast(b->arena, c, types[i], false, b->err))) return false;
        names[i] = rel->columns[i].name;
    }
    relation out;
    if (!relation_project(b, rel, ex, rel->column_count, names, &out)) return false;
    *rel = out;
    return true;
}

static bool bind_set_op(binder *b, ast_query *q, relation *out) {
    if (q->set_op.op != AST_SET_UNION)
        return error_set(b->err, EIDER_ERROR_NOT_IMPLEMENTED, "EXCEPT and INTERSECT are not supported yet");
    if (q->set_op.by_name)
        return error_set(b->err, EIDER_ERROR_NOT_IMPLEMENTED, "UNION BY NAME is not supported yet");
    relation l, r;
    if (!bind_query(b, q->set_op.left, &l) || !bind_query(b, q->set_op.right, &r)) return false;
    if (l.column_count != r.column_count)
        return error_set(b->err, EIDER_ERROR_BINDER,
                         "Set operations can only apply to expressions with the same number of result columns");
    uint32_t n = l.column_count;
    logical_type types[n ? n : 1];
    for (uint32_t i = 0; i < n; i++)
        if (!bind_common_type(b, l.columns[i].type, r.columns[i].type, &types[i])) return false;
    if (!cast_relation(b, &l, types) || !cast_relation(b, &r, types)) return false;
    physical_op *op = union_all_create(b->arena, l.op, r.op, b->err);
    if (!op || !relation_alloc(b, out, op, n)) return false;
    for (uint32_t i = 0; i < n; i++) {
        out->columns[i].name = l.columns[i].name;
        out->columns[i].type = types[i];
    }
    if (!q->set_op.all && !distinct_rows(b, out, n)) return false;
    select_entry *items = arena_alloc(b->arena, sizeof *items * (n ? n : 1), b->err);
    bound_expr **cols = arena_alloc(b->arena, sizeof *cols * (n ? n : 1), b->err);
    if (!items || !cols) return false;
    for (uint32_t i = 0; i < n; i++) {
        items[i].name = out->columns[i].name;
        if (!(cols[i] = bexpr_column(b->arena, i, types[i], b->err))) return false;
    }
    expr_scope s = {.rel = out, .clause = "ORDER BY"};
    order_plan order;
    if (!plan_order(b, &q->order_by, items, cols, n, &s, !q->set_op.all, &order)) return false;
    if (order.hidden_count) {
        uint32_t total = n + order.hidden_count;
        bound_expr **all = arena_alloc(b->arena, sizeof *all * total, b->err);
        const char **names = arena_alloc(b->arena, sizeof *names * total, b->err);
        if (!all || !names) return false;
        for (uint32_t i = 0; i < n; i++) all[i] = cols[i], names[i] = items[i].name;
        for (uint32_t i = 0; i < order.hidden_count; i++) all[n + i] = order.hidden[i], names[n + i] = "";
        relation projected;
        if (!relation_project(b, out, all, total, names, &projected)) return false;
        *out = projected;
    }
    return finish_query(b, q, out, n, &order);
}

/* ---- entry points ------------------------------------------------------------------------- */

static bool bind_query_inner(binder *b, ast_query *q, const logical_type *target, uint32_t target_count,
                             relation *out) {
    if (q->recursive) return error_set(b->err, EIDER_ERROR_NOT_IMPLEMENTED, "WITH RECURSIVE is not supported yet");
    if (++b->depth > 200) return error_set(b->err, EIDER_ERROR_BINDER, "query nesting is too deep");
    cte_binding *saved = b->ctes;
    bool ok = binder_push_ctes(b, q);
    if (ok) {
        switch (q->kind) {
        case AST_QUERY_SELECT: ok = bind_select(b, q, out); break;
        case AST_QUERY_VALUES: ok = bind_values(b, q, target, target_count, out); break;
        case AST_QUERY_SET_OP: ok = bind_set_op(b, q, out); break;
        }
    }
    b->ctes = saved;
    b->depth--;
    return ok;
}

bool bind_query(binder *b, ast_query *q, relation *out) { return bind_query_inner(b, q, NULL, 0, out); }

bool bind_query_for_types(binder *b, ast_query *q, const logical_type *types, uint32_t count, relation *out) {
    if (q->kind == AST_QUERY_VALUES) return bind_query_inner(b, q, types, count, out);
    if (!bind_query_inner(b, q, NULL, 0, out)) return false;
    if (out->column_count != count)
        return error_set(b->err, EIDER_ERROR_BINDER, "table %s has %u columns but %u values were supplied",
                         b->insert_target ? b->insert_target : "?", count, out->column_count);
    return cast_relation(b, out, types);
}
