#include "planner/bound_expr.h"

#include <string.h>

#include "execution/expression_executor.h"
#include "function/cast.h"

static bound_expr *node(arena *a, bexpr_kind kind, logical_type type, error *err) {
    bound_expr *e = arena_alloc(a, sizeof *e, err);
    if (!e) return NULL;
    e->kind = kind;
    e->type = type;
    return e;
}

bound_expr *bexpr_constant(arena *a, value v, error *err) {
    bound_expr *e = node(a, BEXPR_CONSTANT, v.type, err);
    if (e) e->constant = v;
    return e;
}

bound_expr *bexpr_column(arena *a, uint32_t column, logical_type type, error *err) {
    bound_expr *e = node(a, BEXPR_COLUMN, type, err);
    if (e) e->column = column;
    return e;
}

static bound_expr **one_arg(arena *a, bound_expr *arg, error *err) {
    bound_expr **args = arena_alloc(a, sizeof *args, err);
    if (args) args[0] = arg;
    return args;
}

bound_expr *bexpr_cast(arena *a, bound_expr *e, logical_type type, bool try_cast, error *err) {
    if (!e) return NULL;
    if (type_equals(e->type, type)) return e;
    if (e->kind == BEXPR_CONSTANT) {
        value out;
        error local;
        error_clear(&local);
        if (e->constant.is_null) return bexpr_constant(a, value_null(type), err);
        if (cast_value(&e->constant, type, &out, a, &local)) return bexpr_constant(a, out, err);
        if (try_cast) return bexpr_constant(a, value_null(type), err);
        /* not folded: the error is raised if a row ever evaluates the cast (CASE may skip it) */
    }
    bound_expr *c = node(a, BEXPR_CAST, type, err);
    if (!c) return NULL;
    c->try_cast = try_cast;
    c->args = one_arg(a, e, err);
    c->arg_count = 1;
    return c->args ? c : NULL;
}

bool bexpr_is_foldable(const bound_expr *e) {
    if (e->kind == BEXPR_COLUMN || e->kind == BEXPR_PARAMETER) return false;
    for (uint32_t i = 0; i < e->arg_count; i++)
        if (!bexpr_is_foldable(e->args[i])) return false;
    return true;
}

/* Folds a constant expression to a literal. An expression whose evaluation fails (overflow,
 * a bad conversion) stays as it is: the error is raised only if a row evaluates it. */
static bound_expr *fold(arena *a, bound_expr *e, error *err) {
    if (!e || e->kind == BEXPR_CONSTANT || !bexpr_is_foldable(e)) return e;
    value v;
    error local;
    error_clear(&local);
    if (!expr_evaluate_constant(a, e, &v, &local)) return e;
    v.type = e->type;
    return bexpr_constant(a, v, err);
}

bound_expr *bexpr_function(arena *a, const char *name, bound_expr **args, uint32_t nargs, error *err) {
    logical_type types[SCALAR_MAX_ARGS];
    if (nargs > SCALAR_MAX_ARGS) {
        error_set(err, EIDER_ERROR_BINDER, "function %s takes at most %d arguments", name, SCALAR_MAX_ARGS);
        return NULL;
    }
    for (uint32_t i = 0; i < nargs; i++) types[i] = args[i]->type;
    bound_scalar fn;
    if (!scalar_function_bind(name, types, nargs, &fn, err)) return NULL;
    bound_expr *e = node(a, BEXPR_FUNCTION, fn.result_type, err);
    if (!e) return NULL;
    e->fn = fn;
    e->arg_count = nargs;
    e->args = arena_alloc(a, sizeof(bound_expr *) * (nargs ? nargs : 1), err);
    if (!e->args) return NULL;
    for (uint32_t i = 0; i < nargs; i++) {
        e->args[i] = bexpr_cast(a, args[i], fn.arg_types[i], false, err);
        if (!e->args[i]) return NULL;
    }
    return fold(a, e, err);
}

bound_expr *bexpr_logical(arena *a, bexpr_kind kind, bound_expr **args, uint32_t nargs, error *err) {
    bound_expr *e = node(a, kind, type_make(TYPE_BOOLEAN), err);
    if (!e) return NULL;
    e->arg_count = nargs;
    e->args = arena_alloc(a, sizeof(bound_expr *) * (nargs ? nargs : 1), err);
    if (!e->args) return NULL;
    bool cast_args = kind == BEXPR_AND || kind == BEXPR_OR || kind == BEXPR_NOT;
    for (uint32_t i = 0; i < nargs; i++) {
        e->args[i] = cast_args ? bexpr_cast(a, args[i], type_make(TYPE_BOOLEAN), false, err) : args[i];
        if (!e->args[i]) return NULL;
    }
    return fold(a, e, err);
}

static bool values_equal(const value *a, const value *b) {
    if (!type_equals(a->type, b->type) || a->is_null != b->is_null) return false;
    if (a->is_null) return true;
    switch (a->type.id) {
    case TYPE_BOOLEAN: return a->u.boolean == b->u.boolean;
    case TYPE_INTEGER:
    case TYPE_DATE: return a->u.i32 == b->u.i32;
    case TYPE_DOUBLE: return memcmp(&a->u.f64, &b->u.f64, sizeof(double)) == 0;
    case TYPE_VARCHAR:
        return a->u.str.length == b->u.str.length && memcmp(a->u.str.data, b->u.str.data, a->u.str.length) == 0;
    default: return a->u.i64 == b->u.i64;
    }
}

bool bexpr_equals(const bound_expr *a, const bound_expr *b) {
    if (a->kind != b->kind || !type_equals(a->type, b->type) || a->arg_count != b->arg_count) return false;
    switch (a->kind) {
    case BEXPR_CONSTANT:
        if (!values_equal(&a->constant, &b->constant)) return false;
        break;
    case BEXPR_COLUMN:
    case BEXPR_PARAMETER:
        if (a->column != b->column) return false;
        break;
    case BEXPR_FUNCTION:
        if (a->fn.fn != b->fn.fn || strcmp(a->fn.name, b->fn.name) != 0) return false;
        break;
    case BEXPR_CAST:
        if (a->try_cast != b->try_cast) return false;
        break;
    default: break;
    }
    for (uint32_t i = 0; i < a->arg_count; i++)
        if (!bexpr_equals(a->args[i], b->args[i])) return false;
    return true;
}

static void column_range(const bound_expr *e, uint32_t *min, uint32_t *max, bool *any) {
    if (e->kind == BEXPR_COLUMN) {
        if (!*any || e->column < *min) *min = e->column;
        if (!*any || e->column > *max) *max = e->column;
        *any = true;
    }
    for (uint32_t i = 0; i < e->arg_count; i++) column_range(e->args[i], min, max, any);
}

void bexpr_mark_columns(const bound_expr *e, bool *used) {
    if (e->kind == BEXPR_COLUMN) used[e->column] = true;
    for (uint32_t i = 0; i < e->arg_count; i++) bexpr_mark_columns(e->args[i], used);
}

bool bexpr_column_range(const bound_expr *e, uint32_t *min, uint32_t *max) {
    bool any = false;
    *min = *max = 0;
    column_range(e, min, max, &any);
    return any;
}

static bound_expr *copy_mapped(arena *a, const bound_expr *e, const uint32_t *map, int64_t delta, error *err) {
    bound_expr *c = arena_alloc(a, sizeof *c, err);
    if (!c) return NULL;
    *c = *e;
    if (e->kind == BEXPR_COLUMN) c->column = map ? map[e->column] : (uint32_t)((int64_t)e->column + delta);
    if (e->arg_count) {
        c->args = arena_alloc(a, sizeof(bound_expr *) * e->arg_count, err);
        if (!c->args) return NULL;
        for (uint32_t i = 0; i < e->arg_count; i++) {
            c->args[i] = copy_mapped(a, e->args[i], map, delta, err);
            if (!c->args[i]) return NULL;
        }
    }
    return c;
}

bound_expr *bexpr_remap(arena *a, const bound_expr *e, const uint32_t *map, error *err) {
    return copy_mapped(a, e, map, 0, err);
}

bound_expr *bexpr_shift(arena *a, const bound_expr *e, int64_t delta, error *err) {
    return copy_mapped(a, e, NULL, delta, err);
}
