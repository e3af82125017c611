/* Binding of window function calls (OVER), and the window operators that compute them. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "execution/expression_executor.h"
#include "execution/operators.h"
#include "function/aggregate.h"
#include "function/cast.h"
#include "planner/bind_from.h"

/* ---- finding window calls ---------------------------------------------------------------------- */

bool ast_contains_window(const ast_expr *e) {
    if (!e) return false;
    switch (e->kind) {
    case AST_EXPR_FUNCTION:
        if (e->function.over) return true;
        for (uint32_t i = 0; i < e->function.arg_count; i++)
            if (ast_contains_window(e->function.args[i])) return true;
        return false;
    case AST_EXPR_UNARY: return ast_contains_window(e->unary.operand);
    case AST_EXPR_BINARY: {
        const ast_expr *x = e; /* iterate down the left spine: long chains are deep */
        while (x->kind == AST_EXPR_BINARY) {
            if (ast_contains_window(x->binary.right)) return true;
            x = x->binary.left;
        }
        return ast_contains_window(x);
    }
    case AST_EXPR_IS_NULL:
    case AST_EXPR_IS_BOOL: return ast_contains_window(e->is.operand);
    case AST_EXPR_IS_DISTINCT: return ast_contains_window(e->distinct.left) || ast_contains_window(e->distinct.right);
    case AST_EXPR_LIKE: return ast_contains_window(e->like.operand) || ast_contains_window(e->like.pattern);
    case AST_EXPR_BETWEEN:
        return ast_contains_window(e->between.operand) || ast_contains_window(e->between.low) ||
               ast_contains_window(e->between.high);
    case AST_EXPR_IN_LIST:
        if (ast_contains_window(e->in_list.operand)) return true;
        for (uint32_t i = 0; i < e->in_list.count; i++)
            if (ast_contains_window(e->in_list.items[i])) return true;
        return false;
    case AST_EXPR_CASE:
        if (ast_contains_window(e->case_.operand) || ast_contains_window(e->case_.else_expr)) return true;
        for (uint32_t i = 0; i < e->case_.count; i++)
            if (ast_contains_window(e->case_.whens[i]) || ast_contains_window(e->case_.thens[i])) return true;
        return false;
    case AST_EXPR_CAST: return ast_contains_window(e->cast.operand);
    default: return false;
    }
}

/* ---- the window a call uses ---------------------------------------------------------------------- */

/* A window with named windows resolved. */
typedef struct window_def {
    ast_expr **partition_by;
    uint32_t partition_count;
    const ast_order_by *order_by; /* NULL: none */
    ast_frame_unit frame_unit;
    ast_frame_bound start, end;
} window_def;

static bool resolve_window(binder *b, const win_binding *wb, const ast_window *w, window_def *out, int depth) {
    if (w->name.name) {
        const ast_named_window *base = NULL;
        for (uint32_t i = 0; i < wb->named_count && !base; i++)
            if (ident_matches(&w->name, ident_text(b, &wb->named[i].name))) base = &wb->named[i];
        if (!base)
            return error_set(b->err, EIDER_ERROR_BINDER, "window \"%.*s\" does not exist", (int)w->name.len,
                             w->name.name);
        if (depth > 32) return error_set(b->err, EIDER_ERROR_BINDER, "window definitions refer to each other in a cycle");
        if (!resolve_window(b, wb, base->window, out, depth + 1)) return false;
        if (w->bare_name) return true;
        if (out->frame_unit != AST_FRAME_NONE)
            return error_set(b->err, EIDER_ERROR_BINDER, "cannot copy window \"%.*s\" because it has a frame clause",
                             (int)w->name.len, w->name.name);
    } else {
        memset(out, 0, sizeof *out);
    }
    if (w->partition_count) {
        if (out->partition_count)
            return error_set(b->err, EIDER_ERROR_BINDER, "Cannot override PARTITION BY clause of window \"%.*s\"",
                             (int)w->name.len, w->name.name);
        out->partition_by = w->partition_by;
        out->partition_count = w->partition_count;
    }
    if (w->order_by.count) {
        if (out->order_by)
            return error_set(b->err, EIDER_ERROR_BINDER, "Cannot override ORDER BY clause of window \"%.*s\"",
                             (int)w->name.len, w->name.name);
        out->order_by = &w->order_by;
    }
    if (w->frame_unit != AST_FRAME_NONE) {
        out->frame_unit = w->frame_unit;
        out->start = w->start;
        out->end = w->end;
    }
    return true;
}

/* ---- functions ----------------------------------------------------------------------------------- */

static const struct {
    const char *name;
    window_kind kind;
    uint32_t min_args, max_args;
} window_functions[] = {
    {"row_number", WINDOW_ROW_NUMBER, 0, 0},  {"rank", WINDOW_RANK, 0, 0},
    {"dense_rank", WINDOW_DENSE_RANK, 0, 0},  {"percent_rank", WINDOW_PERCENT_RANK, 0, 0},
    {"cume_dist", WINDOW_CUME_DIST, 0, 0},    {"ntile", WINDOW_NTILE, 1, 1},
    {"lag", WINDOW_LAG, 1, 3},                {"lead", WINDOW_LEAD, 1, 3},
    {"first_value", WINDOW_FIRST_VALUE, 1, 1}, {"last_value", WINDOW_LAST_VALUE, 1, 1},
    {"nth_value", WINDOW_NTH_VALUE, 2, 2},
};

static bound_expr *not_allowed(binder *b, const expr_scope *s) {
    const char *c = s->clause ? s->clause : "this context";
    if (!strcmp(c, "aggregate"))
        error_set(b->err, EIDER_ERROR_BINDER, "aggregate function calls cannot contain window function calls");
    else if (!strcmp(c, "window function arguments"))
        error_set(b->err, EIDER_ERROR_BINDER, "window function calls cannot be nested");
    else if (!strcmp(c, "window definitions"))
        error_set(b->err, EIDER_ERROR_BINDER, "window functions are not allowed in window definitions");
    else if (!strcmp(c, "WHERE") || !strcmp(c, "GROUP BY") || !strcmp(c, "HAVING"))
        error_set(b->err, EIDER_ERROR_BINDER, "%s clause cannot contain window functions!", c);
    else
        error_set(b->err, EIDER_ERROR_BINDER, "window functions are not allowed in %s", c);
    return NULL;
}

/* Folds a bound constant expression to a value. */
static bool fold(binder *b, bound_expr *x, value *out) {
    if (x->kind == BEXPR_CONSTANT) return (*out = x->constant), true;
    return expr_evaluate_constant(b->arena, x, out, b->err);
}

/* The offset of lag/lead, the buckets of ntile, the position of nth_value: a BIGINT constant,
 * or a per-row expression. */
static bool bind_offset(binder *b, expr_scope *inner, ast_expr *a, win_call *call) {
    bound_expr *x = bind_expr(b, inner, a);
    if (!x || !(x = bexpr_cast(b->arena, x, type_make(TYPE_BIGINT), false, b->err))) return false;
    if (!bexpr_is_foldable(x)) {
        call->offset = x;
        return true;
    }
    value v;
    if (!fold(b, x, &v)) return false;
    call->spec.offset_null = v.is_null;
    call->spec.offset = v.is_null ? 0 : v.u.i64;
    return true;
}

static bool is_string_constant(const ast_expr *e) {
    return e->kind == AST_EXPR_CONSTANT && e->literal.kind == AST_LIT_STRING;
}

/* A frame offset: a constant; with per_row, an expression that is not constant is bound into
 * *per_row (cast to BIGINT) instead. */
static bool frame_offset_value(binder *b, expr_scope *inner, ast_expr *a, logical_type string_type, value *out,
                               bound_expr **per_row) {
    bound_expr *x = bind_expr(b, inner, a);
    if (!x) return false;
    if (!bexpr_is_foldable(x)) {
        if (!per_row)
            return error_set(b->err, EIDER_ERROR_NOT_IMPLEMENTED,
                             "RANGE and GROUPS frame offsets that are not constant are not supported yet");
        return (*per_row = bexpr_cast(b->arena, x, type_make(TYPE_BIGINT), false, b->err)) != NULL;
    }
    if (is_string_constant(a) && !(x = bexpr_cast(b->arena, x, string_type, false, b->err))) return false;
    return fold(b, x, out);
}

static window_bound_kind bound_kind(ast_frame_bound_kind k) {
    switch (k) {
    case AST_BOUND_UNBOUNDED_PRECEDING: return WINDOW_UNBOUNDED_PRECEDING;
    case AST_BOUND_PRECEDING: return WINDOW_PRECEDING;
    case AST_BOUND_FOLLOWING: return WINDOW_FOLLOWING;
    case AST_BOUND_UNBOUNDED_FOLLOWING: return WINDOW_UNBOUNDED_FOLLOWING;
    default: return WINDOW_CURRENT_ROW;
    }
}

/* A ROWS or GROUPS bound; a ROWS offset may be an expression of the row (*per_row). */
static bool bind_rows_bound(binder *b, expr_scope *inner, const ast_frame_bound *ab, window_frame_unit unit,
                            window_bound *out, bound_expr **per_row) {
    memset(out, 0, sizeof *out);
    out->kind = bound_kind(ab->kind);
    out->column = -1;
    if (!ab->offset) return true;
    bool preceding = ab->kind == AST_BOUND_PRECEDING;
    value v, c;
    if (!frame_offset_value(b, inner, ab->offset, type_make(TYPE_BIGINT), &v,
                            unit == WINDOW_FRAME_ROWS ? per_row : NULL))
        return false;
    if (*per_row) return true; /* the column is known once the operators are placed */
    if (v.is_null) { /* as in DuckDB: a NULL offset leaves the frame unbounded on that side */
        out->kind = preceding ? WINDOW_UNBOUNDED_PRECEDING : WINDOW_UNBOUNDED_FOLLOWING;
        return true;
    }
    if (!cast_value(&v, type_make(TYPE_BIGINT), &c, b->arena, b->err)) return false;
    if (unit == WINDOW_FRAME_GROUPS && c.u.i64 < 0)
        return error_set(b->err, EIDER_ERROR_OUT_OF_RANGE, "Invalid GROUPS %s value", preceding ? "PRECEDING" : "FOLLOWING");
    out->kind = preceding ? WINDOW_PRECEDING : WINDOW_FOLLOWING;
    out->rows = c.u.i64;
    return true;
}

static int value_scale(const value *v) { return v->type.id == TYPE_DECIMAL ? v->type.scale : 0; }

/* A RANGE bound with an offset over an order key of type key: checks the offset (a number, not
 * NULL, not negative) and returns it as a value of a numeric type. */
static bool range_offset(binder *b, expr_scope *inner, const ast_frame_bound *ab, logical_type key, value *out) {
    const char *side = ab->kind == AST_BOUND_PRECEDING ? "PRECEDING" : "FOLLOWING";
    if (!frame_offset_value(b, inner, ab->offset, key, out, NULL)) return false;
    if (out->is_null) return error_set(b->err, EIDER_ERROR_BINDER, "Window RANGE expressions cannot be NULL");
    bool negative;
    switch (out->type.id) {
    case TYPE_INTEGER: negative = out->u.i32 < 0; break;
    case TYPE_BIGINT:
    case TYPE_DECIMAL: negative = out->u.i64 < 0; break;
    case TYPE_DOUBLE: negative = out->u.f64 < 0 || out->u.f64 != out->u.f64; break;
    default: {
        char tn[TYPE_NAME_MAX];
        return error_set(b->err, EIDER_ERROR_BINDER, "a RANGE offset must be a number, not %s",
                         type_to_string(out->type, tn));
    }
    }
    if (negative) return error_set(b->err, EIDER_ERROR_OUT_OF_RANGE, "Invalid RANGE %s value", side);
    return true;
}

static bool set_range_bound(binder *b, const value *v, const window_frame *f, window_bound *out) {
    if (f->range_double) {
        value d;
        if (!cast_value(v, type_make(TYPE_DOUBLE), &d, b->arena, b->err)) return false;
        out->range_double = d.u.f64;
        return true;
    }
    __int128 raw = v->type.id == TYPE_INTEGER ? v->u.i32 : v->u.i64;
    for (int d = value_scale(v); d < f->range_scale; d++) raw *= 10;
    out->range_scaled = raw;
    return true;
}

/* RANGE frames: offsets need exactly one numeric ORDER BY key; they are compared exactly at the
 * larger scale of key and offsets, or as DOUBLE when the key or an offset is a DOUBLE. */
static bool bind_range_frame(binder *b, expr_scope *inner, const window_def *def, const win_call *call,
                             window_frame *f) {
    const ast_frame_bound *bounds[2] = {&def->start, &def->end};
    window_bound *outs[2] = {&f->start, &f->end};
    bool offsets = false;
    for (int k = 0; k < 2; k++) {
        memset(outs[k], 0, sizeof *outs[k]);
        outs[k]->kind = bound_kind(bounds[k]->kind);
        outs[k]->column = -1;
        offsets |= bounds[k]->offset != NULL;
    }
    if (!offsets) return true;
    if (call->order_count != 1)
        return error_set(b->err, EIDER_ERROR_BINDER, "RANGE frames must have only one ORDER BY expression");
    logical_type key = call->orders[0]->type;
    if (!type_is_numeric(key)) {
        char tn[TYPE_NAME_MAX];
        return error_set(b->err, EIDER_ERROR_BINDER,
                         "RANGE frames with an offset need a numeric ORDER BY expression, not %s",
                         type_to_string(key, tn));
    }
    value v[2];
    f->range_double = key.id == TYPE_DOUBLE;
    f->range_scale = key.id == TYPE_DECIMAL ? key.scale : 0;
    for (int k = 0; k < 2; k++) {
        if (!bounds[k]->offset) continue;
        if (!range_offset(b, inner, bounds[k], key, &v[k])) return false;
        if (v[k].type.id == TYPE_DOUBLE) f->range_double = true;
        if (value_scale(&v[k]) > f->range_scale) f->range_scale = (uint8_t)value_scale(&v[k]);
    }
    for (int k = 0; k < 2; k++)
        if (bounds[k]->offset && !set_range_bound(b, &v[k], f, outs[k])) return false;
    return true;
}

static bool bind_frame(binder *b, expr_scope *inner, const window_def *def, win_call *call) {
    window_frame *f = &call->spec.frame;
    memset(f, 0, sizeof *f);
    if (def->frame_unit == AST_FRAME_NONE) {
        /* SQL's default: with ORDER BY, from the partition's start to the current row's last peer */
        f->unit = WINDOW_FRAME_RANGE;
        f->start.kind = WINDOW_UNBOUNDED_PRECEDING;
        f->end.kind = call->order_count ? WINDOW_CURRENT_ROW : WINDOW_UNBOUNDED_FOLLOWING;
        f->start.column = f->end.column = -1;
        return true;
    }
    if (def->frame_unit == AST_FRAME_RANGE) {
        f->unit = WINDOW_FRAME_RANGE;
        return bind_range_frame(b, inner, def, call, f);
    }
    f->unit = def->frame_unit == AST_FRAME_ROWS ? WINDOW_FRAME_ROWS : WINDOW_FRAME_GROUPS;
    return bind_rows_bound(b, inner, &def->start, f->unit, &f->start, &call->frame_offsets[0]) &&
           bind_rows_bound(b, inner, &def->end, f->unit, &f->end, &call->frame_offsets[1]);
}

/* ---- calls ---------------------------------------------------------------------------------------- */

static bool same_expr(const bound_expr *a, const bound_expr *b) {
    if (!a || !b) return a == b;
    return bexpr_equals(a, b);
}

static bool same_bound(const window_bound *a, const window_bound *b) {
    return a->kind == b->kind && a->rows == b->rows && a->range_scaled == b->range_scaled &&
           a->range_double == b->range_double;
}

static bool same_keys(const win_call *a, const win_call *b) {
    if (a->partition_count != b->partition_count || a->order_count != b->order_count) return false;
    for (uint32_t i = 0; i < a->partition_count; i++)
        if (!bexpr_equals(a->partitions[i], b->partitions[i])) return false;
    for (uint32_t i = 0; i < a->order_count; i++)
        if (!bexpr_equals(a->orders[i], b->orders[i]) || a->order_keys[i].descending != b->order_keys[i].descending ||
            a->order_keys[i].nulls_first != b->order_keys[i].nulls_first)
            return false;
    return true;
}

static bool same_call(const win_call *a, const win_call *b) {
    const window_expr_spec *x = &a->spec, *y = &b->spec;
    if (x->kind != y->kind || !type_equals(x->result_type, y->result_type) || x->offset != y->offset ||
        x->offset_null != y->offset_null)
        return false;
    if (x->kind == WINDOW_AGGREGATE && strcmp(x->aggregate.name, y->aggregate.name)) return false;
    const window_frame *f = &x->frame, *g = &y->frame;
    if (f->unit != g->unit || !same_bound(&f->start, &g->start) || !same_bound(&f->end, &g->end) ||
        f->range_double != g->range_double || f->range_scale != g->range_scale)
        return false;
    return same_expr(a->arg, b->arg) && same_expr(a->default_value, b->default_value) &&
           same_expr(a->offset, b->offset) && same_expr(a->frame_offsets[0], b->frame_offsets[0]) &&
           same_expr(a->frame_offsets[1], b->frame_offsets[1]) && same_keys(a, b);
}

static bool bind_window_keys(binder *b, expr_scope *defs, const window_def *def, win_call *call) {
    uint32_t np = def->partition_count, no = def->order_by ? def->order_by->count : 0;
    call->partitions = arena_alloc(b->arena, sizeof(bound_expr *) * (np ? np : 1), b->err);
    call->orders = arena_alloc(b->arena, sizeof(bound_expr *) * (no ? no : 1), b->err);
    call->order_keys = arena_alloc(b->arena, sizeof(sort_key) * (no ? no : 1), b->err);
    if (!call->partitions || !call->orders || !call->order_keys) return false;
    for (uint32_t i = 0; i < np; i++)
        if (!(call->partitions[call->partition_count++] = bind_expr(b, defs, def->partition_by[i]))) return false;
    if (no && def->order_by->all)
        return error_set(b->err, EIDER_ERROR_BINDER, "Cannot ORDER BY ALL in a window expression");
    for (uint32_t i = 0; i < no; i++) {
        const ast_order_item *it = &def->order_by->items[i];
        if (!(call->orders[call->order_count] = bind_expr(b, defs, it->expr))) return false;
        call->order_keys[call->order_count].descending = it->dir == AST_ORDER_DESC;
        call->order_keys[call->order_count].nulls_first = it->nulls == AST_NULLS_FIRST;
        call->order_count++;
    }
    return true;
}

/* Binds the arguments of call (kind set) from the function's arguments. */
static bool bind_window_args(binder *b, expr_scope *args, ast_expr *e, const char *name, win_call *call) {
    window_expr_spec *spec = &call->spec;
    uint32_t n = e->function.arg_count;
    switch (spec->kind) {
    case WINDOW_ROW_NUMBER:
    case WINDOW_RANK:
    case WINDOW_DENSE_RANK: spec->result_type = type_make(TYPE_BIGINT); return true;
    case WINDOW_PERCENT_RANK:
    case WINDOW_CUME_DIST: spec->result_type = type_make(TYPE_DOUBLE); return true;
    case WINDOW_NTILE:
        spec->result_type = type_make(TYPE_BIGINT);
        return bind_offset(b, args, e->function.args[0], call);
    case WINDOW_AGGREGATE: {
        logical_type arg_type = type_make(TYPE_SQLNULL);
        if (n > 1) return error_set(b->err, EIDER_ERROR_BINDER, "aggregate %s takes one argument", name);
        if (n == 1) {
            if (!(call->arg = bind_expr(b, args, e->function.args[0]))) return false;
            arg_type = call->arg->type;
        }
        if (!aggregate_function_bind(name, &arg_type, n, &spec->aggregate, b->err)) return false;
        if (call->arg && !(call->arg = bexpr_cast(b->arena, call->arg, spec->aggregate.arg_type, false, b->err)))
            return false;
        spec->result_type = spec->aggregate.result_type;
        return true;
    }
    default: break;
    }
    /* lag, lead, first_value, last_value, nth_value: the result has the argument's type */
    if (!(call->arg = bind_expr(b, args, e->function.args[0]))) return false;
    if ((spec->kind == WINDOW_LAG || spec->kind == WINDOW_LEAD) && n >= 3 &&
        !(call->default_value = bind_expr(b, args, e->function.args[2])))
        return false;
    logical_type t = call->arg->type;
    if (t.id == TYPE_SQLNULL) t = call->default_value ? call->default_value->type : t;
    if (t.id == TYPE_SQLNULL) t = type_make(TYPE_INTEGER);
    spec->result_type = t;
    if (!(call->arg = bexpr_cast(b->arena, call->arg, t, false, b->err))) return false;
    if (call->default_value && !(call->default_value = bexpr_cast(b->arena, call->default_value, t, false, b->err)))
        return false;
    spec->offset = 1;
    if (spec->kind == WINDOW_NTH_VALUE || ((spec->kind == WINDOW_LAG || spec->kind == WINDOW_LEAD) && n >= 2))
        return bind_offset(b, args, e->function.args[1], call);
    return true;
}

static bool find_kind(binder *b, ast_expr *e, const char *name, window_kind *kind) {
    uint32_t n = e->function.arg_count;
    for (size_t i = 0; i < sizeof window_functions / sizeof window_functions[0]; i++) {
        if (strcasecmp(name, window_functions[i].name)) continue;
        *kind = window_functions[i].kind;
        uint32_t lo = window_functions[i].min_args, hi = window_functions[i].max_args;
        if (e->function.star && lo > 0) /* row_number(*) is row_number() */
            return error_set(b->err, EIDER_ERROR_BINDER, "%s(*) is not allowed", name);
        if (n > hi && lo != hi)
            return error_set(b->err, EIDER_ERROR_BINDER, "Incorrect number of parameters for function %s", name);
        if (n < lo || n > hi) {
            char upper[64];
            size_t k = 0;
            for (; name[k] && k + 1 < sizeof upper; k++) upper[k] = (char)(name[k] >= 'a' && name[k] <= 'z' ? name[k] - 32 : name[k]);
            upper[k] = '\0';
            return error_set(b->err, EIDER_ERROR_BINDER, "%s needs %u parameter%s, got %u", upper, lo, lo == 1 ? "" : "s",
                             n);
        }
        return true;
    }
    if (aggregate_function_exists(name)) {
        *kind = WINDOW_AGGREGATE;
        return true;
    }
    if (scalar_function_exists(name))
        return error_set(b->err, EIDER_ERROR_BINDER, "%s is not an aggregate function, so it cannot be used with OVER",
                         name);
    return error_set(b->err, EIDER_ERROR_BINDER, "Window Function with name %s does not exist!", name);
}

bound_expr *bind_window_call(binder *b, expr_scope *s, ast_expr *e, const char *name) {
    if (!s->win) return not_allowed(b, s);
    win_binding *wb = s->win;
    win_call call;
    memset(&call, 0, sizeof call);
    call.spec.arg_column = call.spec.default_column = call.spec.offset_column = -1;
    if (!find_kind(b, e, name, &call.spec.kind)) return NULL;
    if (e->function.distinct)
        return error_set(b->err, EIDER_ERROR_NOT_IMPLEMENTED, "DISTINCT in window functions is not supported yet"), NULL;
    if (e->function.filter)
        return error_set(b->err, EIDER_ERROR_NOT_IMPLEMENTED, "FILTER in window functions is not supported yet"), NULL;
    if (e->function.order_by.count)
        return error_set(b->err, EIDER_ERROR_NOT_IMPLEMENTED,
                         "ORDER BY in the arguments of a window function is not supported yet"),
               NULL;
    if (e->function.ignore_nulls)
        return error_set(b->err, EIDER_ERROR_NOT_IMPLEMENTED, "IGNORE NULLS is not supported yet"), NULL;
    if (e->function.arg_names)
        return error_set(b->err, EIDER_ERROR_BINDER, "window function %s does not take named arguments", name), NULL;
    window_def def;
    if (!resolve_window(b, wb, e->function.over, &def, 0)) return NULL;
    /* arguments see what the SELECT list sees (after aggregation); keys likewise, without windows */
    expr_scope args = *s;
    args.win = NULL;
    args.clause = "window function arguments";
    expr_scope defs = *s;
    defs.win = NULL;
    defs.clause = "window definitions";
    if (!bind_window_args(b, &args, e, name, &call) || !bind_window_keys(b, &defs, &def, &call) ||
        !bind_frame(b, &defs, &def, &call))
        return NULL;
    uint32_t j = 0;
    while (j < wb->count && !same_call(&wb->calls[j], &call)) j++;
    if (j == wb->count) {
        if (wb->count == wb->capacity) {
            uint32_t cap = wb->capacity ? wb->capacity * 2 : 8;
            win_call *grown = arena_alloc(b->arena, sizeof *grown * cap, b->err);
            if (!grown) return NULL;
            if (wb->count) memcpy(grown, wb->calls, sizeof *grown * wb->count);
            wb->calls = grown;
            wb->capacity = cap;
        }
        wb->calls[wb->count++] = call;
    }
    return bexpr_column(b->arena, WINDOW_COLUMN_BASE + j, call.spec.result_type, b->err);
}

/* ---- operators -------------------------------------------------------------------------------------- */

typedef struct projected {
    bound_expr **exprs;
    uint32_t count, input;
} projected;

/* The column of the pre-projection that computes x: an input column as it is, or an expression
 * added once. */
static int32_t column_of(projected *p, bound_expr *x) {
    if (!x) return -1;
    if (x->kind == BEXPR_COLUMN && x->column < p->input) return (int32_t)x->column;
    for (uint32_t k = p->input; k < p->count; k++)
        if (bexpr_equals(p->exprs[k], x)) return (int32_t)k;
    p->exprs[p->count] = x;
    return (int32_t)p->count++;
}

bool bind_plan_windows(binder *b, relation *input, win_binding *wb, uint32_t **map_out) {
    uint32_t n = wb->count, c_in = input->column_count, cap = c_in;
    for (uint32_t j = 0; j < n; j++) cap += 5 + wb->calls[j].partition_count + wb->calls[j].order_count;
    projected pr = {arena_alloc(b->arena, sizeof(bound_expr *) * cap, b->err), c_in, c_in};
    uint32_t *map = arena_alloc(b->arena, sizeof *map * n, b->err);
    uint32_t **pcols = arena_alloc(b->arena, sizeof *pcols * n, b->err);
    sort_key **okeys = arena_alloc(b->arena, sizeof *okeys * n, b->err);
    window_expr_spec *specs = arena_alloc(b->arena, sizeof *specs * n, b->err);
    bool *placed = arena_alloc(b->arena, sizeof *placed * n, b->err);
    if (!pr.exprs || !map || !pcols || !okeys || !specs || !placed) return false;
    for (uint32_t c = 0; c < c_in; c++)
        if (!(pr.exprs[c] = bexpr_column(b->arena, c, input->columns[c].type, b->err))) return false;
    for (uint32_t j = 0; j < n; j++) {
        win_call *call = &wb->calls[j];
        pcols[j] = arena_alloc(b->arena, sizeof(uint32_t) * (call->partition_count + 1), b->err);
        okeys[j] = arena_alloc(b->arena, sizeof(sort_key) * (call->order_count + 1), b->err);
        if (!pcols[j] || !okeys[j]) return false;
        for (uint32_t k = 0; k < call->partition_count; k++) pcols[j][k] = (uint32_t)column_of(&pr, call->partitions[k]);
        for (uint32_t k = 0; k < call->order_count; k++) {
            okeys[j][k] = call->order_keys[k];
            okeys[j][k].column = (uint32_t)column_of(&pr, call->orders[k]);
        }
        call->spec.arg_column = column_of(&pr, call->arg);
        call->spec.default_column = column_of(&pr, call->default_value);
        call->spec.offset_column = column_of(&pr, call->offset);
        call->spec.frame.start.column = column_of(&pr, call->frame_offsets[0]);
        call->spec.frame.end.column = column_of(&pr, call->frame_offsets[1]);
    }
    physical_op *op = input->op;
    if (pr.count > c_in && !(op = projection_create(b->arena, op, pr.exprs, pr.count, b->err))) return false;
    /* one operator per distinct (PARTITION BY, ORDER BY), in the order of first use */
    for (uint32_t j = 0; j < n; j++) {
        if (placed[j]) continue;
        uint32_t group = 0, base = op->column_count;
        for (uint32_t k = j; k < n; k++) {
            if (placed[k] || !same_keys(&wb->calls[j], &wb->calls[k])) continue;
            placed[k] = true;
            specs[group] = wb->calls[k].spec;
            map[k] = base + group++;
        }
        op = window_create(b->arena, op, pcols[j], wb->calls[j].partition_count, okeys[j], wb->calls[j].order_count,
                           specs, group, b->err);
        if (!op) return false;
    }
    if (!relation_alloc(b, input, op, op->column_count)) return false;
    for (uint32_t c = 0; c < op->column_count; c++) {
        input->columns[c].name = "";
        input->columns[c].type = op->types[c];
    }
    *map_out = map;
    return true;
}

void bind_remap_windows(bound_expr *e, const uint32_t *map) {
    if (!e) return;
    if (e->kind == BEXPR_COLUMN && e->column >= WINDOW_COLUMN_BASE) e->column = map[e->column - WINDOW_COLUMN_BASE];
    for (uint32_t i = 0; i < e->arg_count; i++) bind_remap_windows(e->args[i], map);
}
