/* Binding of expressions: names to columns, literals to typed constants, operators to functions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "function/aggregate.h"
#include "function/cast.h"
#include "main/settings.h"
#include "parser/parser.h"
#include "planner/bind_internal.h"

const char *ident_text(binder *b, const ast_ident *id) {
    if (!id->name) return NULL;
    return arena_strndup(b->arena, id->name, id->len, b->err);
}

bool ident_matches(const ast_ident *id, const char *name) {
    if (!id->name || !name) return false;
    if (strlen(name) != id->len) return false;
    return id->quoted ? memcmp(id->name, name, id->len) == 0 : strncasecmp(id->name, name, id->len) == 0;
}

/* ---- types ------------------------------------------------------------------------------ */

static int numeric_rank(type_id id) {
    switch (id) {
    case TYPE_INTEGER: return 1;
    case TYPE_BIGINT: return 2;
    case TYPE_DECIMAL: return 3;
    case TYPE_DOUBLE: return 4;
    default: return 0;
    }
}

/* Digits before the point an integer type needs in a DECIMAL. */
static int integer_digits(type_id id) { return id == TYPE_INTEGER ? 10 : 19; }

bool bind_common_type(binder *b, logical_type a, logical_type t2, logical_type *out) {
    if (type_equals(a, t2)) return (*out = a), true;
    if (a.id == TYPE_SQLNULL) return (*out = t2), true;
    if (t2.id == TYPE_SQLNULL) return (*out = a), true;
    int ra = numeric_rank(a.id), rb = numeric_rank(t2.id);
    if (ra && rb) {
        if (a.id == TYPE_DECIMAL && t2.id == TYPE_DECIMAL) {
            int scale = a.scale > t2.scale ? a.scale : t2.scale;
            int ia = a.width - a.scale, ib = t2.width - t2.scale;
            int width = (ia > ib ? ia : ib) + scale;
            if (width > DECIMAL_MAX_WIDTH) return (*out = type_make(TYPE_DOUBLE)), true;
            return (*out = type_decimal((uint8_t)width, (uint8_t)scale)), true;
        }
        if (a.id == TYPE_DECIMAL || t2.id == TYPE_DECIMAL) {
            logical_type d = a.id == TYPE_DECIMAL ? a : t2, other = a.id == TYPE_DECIMAL ? t2 : a;
            if (other.id == TYPE_DOUBLE) return (*out = other), true;
            int digits = integer_digits(other.id);
            int ipart = d.width - d.scale > digits ? d.width - d.scale : digits;
            if (ipart + d.scale > DECIMAL_MAX_WIDTH) return (*out = type_make(TYPE_DOUBLE)), true;
            return (*out = type_decimal((uint8_t)(ipart + d.scale), d.scale)), true;
        }
        return (*out = ra > rb ? a : t2), true;
    }
    if ((a.id == TYPE_DATE && t2.id == TYPE_TIMESTAMP) || (a.id == TYPE_TIMESTAMP && t2.id == TYPE_DATE))
        return (*out = type_make(TYPE_TIMESTAMP)), true;
    if (a.id == TYPE_VARCHAR || t2.id == TYPE_VARCHAR) return (*out = type_make(TYPE_VARCHAR)), true;
    char n1[TYPE_NAME_MAX], n2[TYPE_NAME_MAX];
    return error_set(b->err, EIDER_ERROR_BINDER, "Cannot mix values of type %s and %s", type_to_string(a, n1),
                     type_to_string(t2, n2));
}

bool bind_type(binder *b, const ast_type_name *t, logical_type *out) {
    if (t->array_dims)
        return error_set(b->err, EIDER_ERROR_NOT_IMPLEMENTED, "array types are not supported: %.*s[]", (int)t->len,
                         t->name);
    int width = t->param_count >= 1 ? (int)t->width : -1;
    int scale = t->param_count >= 2 ? (int)t->scale : -1;
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)t->len, t->name);
    /* VARCHAR(n), CHAR(n): the length is accepted and not enforced, as in DuckDB */
    if (!strcasecmp(name, "VARCHAR") || !strcasecmp(name, "CHAR") || !strcasecmp(name, "TEXT") ||
        !strcasecmp(name, "STRING") || !strcasecmp(name, "BPCHAR") || !strcasecmp(name, "CHARACTER VARYING"))
        width = -1;
    if (!type_from_name(name, width, scale, out)) {
        if (t->param_count && (!strncasecmp(name, "DECIMAL", 7) || !strncasecmp(name, "NUMERIC", 7)))
            return error_set(b->err, EIDER_ERROR_BINDER,
                             "DECIMAL(%d,%d) is not supported: the width must be between 1 and %d and the scale "
                             "between 0 and the width",
                             width, scale < 0 ? 0 : scale, DECIMAL_MAX_WIDTH);
        return error_set(b->err, EIDER_ERROR_CATALOG, "Type with name %s does not exist!", name);
    }
    return true;
}

/* ---- literals ----------------------------------------------------------------------------- */

static bound_expr *bind_decimal_literal(binder *b, const ast_literal *lit) {
    /* digits before and after the point decide DECIMAL(width, scale); too wide: DOUBLE */
    int before = 0, after = 0;
    bool point = false, leading = true;
    for (uint32_t i = 0; i < lit->text_len; i++) {
        char c = lit->text[i];
        if (c == '.') point = true;
        else if (c >= '0' && c <= '9') {
            if (point) after++;
            else if (!(leading && c == '0')) before++, leading = false;
        }
    }
    int width = before + after;
    if (width == 0) width = 1;
    value text = value_varchar(lit->text, lit->text_len), out;
    logical_type t = width <= DECIMAL_MAX_WIDTH && after <= DECIMAL_MAX_WIDTH
                         ? type_decimal((uint8_t)(width < after ? after : width), (uint8_t)after)
                         : type_make(TYPE_DOUBLE);
    if (!cast_value(&text, t, &out, b->arena, b->err)) return NULL;
    return bexpr_constant(b->arena, out, b->err);
}

static bound_expr *bind_literal(binder *b, const ast_literal *lit) {
    switch (lit->kind) {
    case AST_LIT_NULL: return bexpr_constant(b->arena, value_null(type_make(TYPE_SQLNULL)), b->err);
    case AST_LIT_BOOLEAN: return bexpr_constant(b->arena, value_boolean(lit->boolean), b->err);
    case AST_LIT_INTEGER:
        if (lit->integer >= INT32_MIN && lit->integer <= INT32_MAX)
            return bexpr_constant(b->arena, value_integer((int32_t)lit->integer), b->err);
        return bexpr_constant(b->arena, value_bigint(lit->integer), b->err);
    case AST_LIT_DECIMAL: return bind_decimal_literal(b, lit);
    case AST_LIT_BIG_INTEGER:
    case AST_LIT_DOUBLE: {
        value text = value_varchar(lit->text, lit->text_len), out;
        if (!cast_value(&text, type_make(TYPE_DOUBLE), &out, b->arena, b->err)) return NULL;
        return bexpr_constant(b->arena, out, b->err);
    }
    case AST_LIT_STRING: return bexpr_constant(b->arena, value_varchar(lit->text, lit->text_len), b->err);
    }
    error_set(b->err, EIDER_ERROR_INTERNAL, "unknown literal kind");
    return NULL;
}

/* A string literal, or a parameter bound to a string: both convert to the type they meet. */
static bool is_string_literal(binder *b, const ast_expr *e) {
    if (e->kind == AST_EXPR_CONSTANT) return e->literal.kind == AST_LIT_STRING;
    if (e->kind != AST_EXPR_PARAMETER || e->parameter.index == 0 || e->parameter.index > b->param_count) return false;
    const value *v = &b->params[e->parameter.index - 1];
    return !v->is_null && v->type.id == TYPE_VARCHAR;
}

static bound_expr *bind_parameter(binder *b, const ast_expr *e) {
    uint32_t i = e->parameter.index;
    if (i == 0 || i > b->param_count)
        return error_set(b->err, EIDER_ERROR_INVALID_INPUT, "no value was bound for parameter $%u", i), NULL;
    return bexpr_constant(b->arena, b->params[i - 1], b->err);
}

/* ---- columns ----------------------------------------------------------------------------- */

static bound_expr *bind_alias_reference(binder *b, expr_scope *s, const ast_ident *name, bool *found) {
    *found = false;
    if (!s->aliases || s->alias_depth > 8) return NULL;
    for (uint32_t i = 0; i < s->alias_count; i++) {
        if (!s->aliases[i].alias.name || !ident_matches(name, ident_text(b, &s->aliases[i].alias))) continue;
        *found = true;
        s->alias_depth++;
        bound_expr *e = bind_expr(b, s, s->aliases[i].expr);
        s->alias_depth--;
        return e;
    }
    return NULL;
}

static bound_expr *bind_column(binder *b, expr_scope *s, const ast_expr *e) {
    const ast_ident *parts = e->column.parts;
    uint32_t n = e->column.count;
    if (n > 2)
        return error_set(b->err, EIDER_ERROR_BINDER, "Referenced column \"%.*s\" has too many qualifiers",
                         (int)parts[n - 1].len, parts[n - 1].name),
               NULL;
    const ast_ident *table = n == 2 ? &parts[0] : NULL, *name = &parts[n - 1];
    relation *rel = s->rel;
    int found = -1;
    for (uint32_t i = 0; rel && i < rel->column_count; i++) {
        scope_column *c = &rel->columns[i];
        if (!ident_matches(name, c->name)) continue;
        if (table && !ident_matches(table, c->table)) continue;
        if (!table && c->hidden) continue;
        if (found >= 0) {
            const char *t1 = rel->columns[found].table, *t2 = c->table;
            return error_set(b->err, EIDER_ERROR_BINDER,
                             "Ambiguous reference to column name \"%s\" (use: \"%s.%s\" or \"%s.%s\")", c->name,
                             t1 ? t1 : "?", c->name, t2 ? t2 : "?", c->name),
                   NULL;
        }
        found = (int)i;
    }
    if (found >= 0) {
        if (s->agg)
            return error_set(b->err, EIDER_ERROR_BINDER,
                             "column \"%s\" must appear in the GROUP BY clause or must be part of an aggregate "
                             "function.",
                             rel->columns[found].name),
                   NULL;
        return bexpr_column(b->arena, (uint32_t)found, rel->columns[found].type, b->err);
    }
    if (!table) {
        bool alias_found;
        bound_expr *alias = bind_alias_reference(b, s, name, &alias_found);
        if (alias_found) return alias;
    }
    if (table)
        return error_set(b->err, EIDER_ERROR_BINDER, "Referenced column \"%.*s\" not found in FROM clause!",
                         (int)(name->pos + name->len - table->pos), table->name),
               NULL;
    return error_set(b->err, EIDER_ERROR_BINDER, "Referenced column \"%.*s\" not found in FROM clause!",
                     (int)name->len, name->name),
           NULL;
}

/* ---- operators ---------------------------------------------------------------------------- */

/* A string literal compared or combined with a typed value converts to that type, as in DuckDB
 * (WHERE d = '2020-01-01'). */
static bool coerce_string_literals(binder *b, ast_expr *le, bound_expr **l, ast_expr *re, bound_expr **r) {
    if (is_string_literal(b, le) && (*r)->type.id != TYPE_VARCHAR && (*r)->type.id != TYPE_SQLNULL)
        return (*l = bexpr_cast(b->arena, *l, (*r)->type, false, b->err)) != NULL;
    if (is_string_literal(b, re) && (*l)->type.id != TYPE_VARCHAR && (*l)->type.id != TYPE_SQLNULL)
        return (*r = bexpr_cast(b->arena, *r, (*l)->type, false, b->err)) != NULL;
    return true;
}

static bound_expr *make_binary(binder *b, const char *fn, bound_expr *l, bound_expr *r) {
    bound_expr *args[2] = {l, r};
    return bexpr_function(b->arena, fn, args, 2, b->err);
}

static bound_expr *make_not(binder *b, bound_expr *e) {
    return e ? bexpr_logical(b->arena, BEXPR_NOT, &e, 1, b->err) : NULL;
}

static bound_expr *bind_binary_ast(binder *b, expr_scope *s, const char *fn, ast_expr *le, ast_expr *re) {
    bound_expr *l = bind_expr(b, s, le), *r = l ? bind_expr(b, s, re) : NULL;
    if (!r) return NULL;
    /* string operators keep their string operands as they are */
    bool string_op = !strcmp(fn, "||") || strstr(fn, "~~") != NULL;
    if (!string_op && !coerce_string_literals(b, le, &l, re, &r)) return NULL;
    return make_binary(b, fn, l, r);
}

/* Collects the operands of a chain of one logical operator (a AND b AND c) without recursion on
 * the chain itself, so long chains bind in constant stack depth. */
static bound_expr *bind_logical_chain(binder *b, expr_scope *s, ast_expr *e) {
    ast_binary_op op = e->binary.op;
    uint32_t cap = 8, n = 0, stack_n = 0;
    bound_expr **args = arena_alloc(b->arena, sizeof *args * cap, b->err);
    ast_expr **stack = arena_alloc(b->arena, sizeof *stack * (e->depth + 1), b->err);
    if (!args || !stack) return NULL;
    stack[stack_n++] = e;
    while (stack_n) {
        ast_expr *x = stack[--stack_n];
        if (x->kind == AST_EXPR_BINARY && x->binary.op == op) {
            stack[stack_n++] = x->binary.right;
            stack[stack_n++] = x->binary.left;
            continue;
        }
        if (n == cap) {
            bound_expr **grown = arena_alloc(b->arena, sizeof *grown * cap * 2, b->err);
            if (!grown) return NULL;
            memcpy(grown, args, sizeof *grown * cap);
            args = grown;
            cap *= 2;
        }
        if (!(args[n++] = bind_expr(b, s, x))) return NULL;
    }
    return bexpr_logical(b->arena, op == AST_BINARY_AND ? BEXPR_AND : BEXPR_OR, args, n, b->err);
}

static bound_expr *bind_binary(binder *b, expr_scope *s, ast_expr *e) {
    if (e->binary.op == AST_BINARY_AND || e->binary.op == AST_BINARY_OR) return bind_logical_chain(b, s, e);
    /* scalar functions are registered under the operators' symbols */
    return bind_binary_ast(b, s, ast_binary_op_text(e->binary.op), e->binary.left, e->binary.right);
}

static bound_expr *bind_unary(binder *b, expr_scope *s, ast_expr *e) {
    bound_expr *x = bind_expr(b, s, e->unary.operand);
    if (!x) return NULL;
    switch (e->unary.op) {
    case AST_UNARY_PLUS: return x;
    case AST_UNARY_NOT: return make_not(b, x);
    case AST_UNARY_NEGATE: return bexpr_function(b->arena, "-", &x, 1, b->err);
    }
    return NULL;
}

static bound_expr *bind_is_null(binder *b, expr_scope *s, ast_expr *e) {
    bound_expr *x = bind_expr(b, s, e->is.operand);
    if (!x) return NULL;
    return bexpr_logical(b->arena, e->is.negated ? BEXPR_IS_NOT_NULL : BEXPR_IS_NULL, &x, 1, b->err);
}

static bound_expr *make_case(binder *b, bound_expr **args, uint32_t n);

/* x IS [NOT] TRUE/FALSE: never NULL. */
static bound_expr *bind_is_bool(binder *b, expr_scope *s, ast_expr *e) {
    bound_expr *x = bind_expr(b, s, e->is.operand);
    if (!x || !(x = bexpr_cast(b->arena, x, type_make(TYPE_BOOLEAN), false, b->err))) return NULL;
    bound_expr *is_null = bexpr_logical(b->arena, BEXPR_IS_NULL, &x, 1, b->err);
    bound_expr *test = e->is.value ? x : make_not(b, x);
    bound_expr *f = bexpr_constant(b->arena, value_boolean(false), b->err);
    if (!is_null || !test || !f) return NULL;
    bound_expr *args[3] = {is_null, f, test};
    bound_expr *r = make_case(b, args, 3);
    return e->is.negated ? make_not(b, r) : r;
}

/* a IS [NOT] DISTINCT FROM b: NULLs compare equal to each other. */
static bound_expr *bind_is_distinct(binder *b, expr_scope *s, ast_expr *e) {
    bound_expr *l = bind_expr(b, s, e->distinct.left), *r = l ? bind_expr(b, s, e->distinct.right) : NULL;
    if (!r || !coerce_string_literals(b, e->distinct.left, &l, e->distinct.right, &r)) return NULL;
    bound_expr *ne = make_binary(b, "<>", l, r);
    bound_expr *ln = bexpr_logical(b->arena, BEXPR_IS_NULL, &l, 1, b->err);
    bound_expr *rn = bexpr_logical(b->arena, BEXPR_IS_NULL, &r, 1, b->err);
    if (!ne || !ln || !rn) return NULL;
    bound_expr *both_args[2] = {ln, rn};
    bound_expr *both = bexpr_logical(b->arena, BEXPR_AND, both_args, 2, b->err);
    bound_expr *either = bexpr_logical(b->arena, BEXPR_OR, both_args, 2, b->err);
    bound_expr *f = bexpr_constant(b->arena, value_boolean(false), b->err);
    bound_expr *t = bexpr_constant(b->arena, value_boolean(true), b->err);
    if (!both || !either || !f || !t) return NULL;
    bound_expr *args[5] = {both, f, either, t, ne};
    bound_expr *r2 = make_case(b, args, 5);
    return e->distinct.negated ? make_not(b, r2) : r2;
}

static bound_expr *bind_like(binder *b, expr_scope *s, ast_expr *e) {
    if (e->like.escape)
        return error_set(b->err, EIDER_ERROR_NOT_IMPLEMENTED, "LIKE ... ESCAPE is not supported yet"), NULL;
    const char *fn;
    switch (e->like.like_kind) {
    case AST_LIKE: fn = e->like.negated ? "!~~" : "~~"; break;
    case AST_ILIKE: fn = e->like.negated ? "!~~*" : "~~*"; break;
    default: return error_set(b->err, EIDER_ERROR_NOT_IMPLEMENTED, "GLOB and SIMILAR TO are not supported"), NULL;
    }
    return bind_binary_ast(b, s, fn, e->like.operand, e->like.pattern);
}

static bound_expr *bind_between(binder *b, expr_scope *s, ast_expr *e) {
    bound_expr *x = bind_expr(b, s, e->between.operand);
    bound_expr *lo = x ? bind_expr(b, s, e->between.low) : NULL;
    bound_expr *hi = lo ? bind_expr(b, s, e->between.high) : NULL;
    bound_expr *x2 = x;
    if (!hi || !coerce_string_literals(b, e->between.operand, &x, e->between.low, &lo) ||
        !coerce_string_literals(b, e->between.operand, &x2, e->between.high, &hi))
        return NULL;
    bound_expr *args[2] = {make_binary(b, ">=", x, lo), make_binary(b, "<=", x2, hi)};
    if (!args[0] || !args[1]) return NULL;
    bound_expr *r = bexpr_logical(b->arena, BEXPR_AND, args, 2, b->err);
    return e->between.negated ? make_not(b, r) : r;
}

static bound_expr *bind_in_list(binder *b, expr_scope *s, ast_expr *e) {
    bound_expr *x = bind_expr(b, s, e->in_list.operand);
    if (!x) return NULL;
    uint32_t n = e->in_list.count;
    bound_expr **eqs = arena_alloc(b->arena, sizeof *eqs * (n ? n : 1), b->err);
    if (!eqs) return NULL;
    for (uint32_t i = 0; i < n; i++) {
        bound_expr *l = x, *r = bind_expr(b, s, e->in_list.items[i]);
        if (!r || !coerce_string_literals(b, e->in_list.operand, &l, e->in_list.items[i], &r)) return NULL;
        if (!(eqs[i] = make_binary(b, "=", l, r))) return NULL;
    }
    bound_expr *r = n == 1 ? eqs[0] : bexpr_logical(b->arena, BEXPR_OR, eqs, n, b->err);
    return e->in_list.negated ? make_not(b, r) : r;
}

/* CASE over bound args: when0, then0, ..., else. Results are cast to their common type. */
static bound_expr *make_case(binder *b, bound_expr **args, uint32_t n) {
    logical_type t = type_make(TYPE_SQLNULL);
    for (uint32_t i = 1; i < n; i += 2)
        if (!bind_common_type(b, t, args[i]->type, &t)) return NULL;
    if (!bind_common_type(b, t, args[n - 1]->type, &t)) return NULL;
    if (t.id == TYPE_SQLNULL) t = type_make(TYPE_INTEGER);
    bound_expr *e = arena_alloc(b->arena, sizeof *e, b->err);
    bound_expr **copy = arena_alloc(b->arena, sizeof *copy * n, b->err);
    if (!e || !copy) return NULL;
    for (uint32_t i = 0; i < n; i++) {
        bool is_result = (i % 2 == 1) || i == n - 1;
        logical_type want = is_result ? t : type_make(TYPE_BOOLEAN);
        if (!(copy[i] = bexpr_cast(b->arena, args[i], want, false, b->err))) return NULL;
    }
    e->kind = BEXPR_CASE;
    e->type = t;
    e->args = copy;
    e->arg_count = n;
    return e;
}

static bound_expr *bind_case(binder *b, expr_scope *s, ast_expr *e) {
    uint32_t pairs = e->case_.count, n = pairs * 2 + 1;
    bound_expr **args = arena_alloc(b->arena, sizeof *args * n, b->err);
    if (!args) return NULL;
    bound_expr *operand = NULL;
    if (e->case_.operand && !(operand = bind_expr(b, s, e->case_.operand))) return NULL;
    for (uint32_t i = 0; i < pairs; i++) {
        bound_expr *when = bind_expr(b, s, e->case_.whens[i]);
        if (!when) return NULL;
        if (operand) {
            bound_expr *l = operand;
            if (!coerce_string_literals(b, e->case_.operand, &l, e->case_.whens[i], &when)) return NULL;
            if (!(when = make_binary(b, "=", l, when))) return NULL;
        }
        args[2 * i] = when;
        if (!(args[2 * i + 1] = bind_expr(b, s, e->case_.thens[i]))) return NULL;
    }
    if (e->case_.else_expr) args[n - 1] = bind_expr(b, s, e->case_.else_expr);
    else args[n - 1] = bexpr_constant(b->arena, value_null(type_make(TYPE_SQLNULL)), b->err);
    if (!args[n - 1]) return NULL;
    return make_case(b, args, n);
}

static bound_expr *bind_cast(binder *b, expr_scope *s, ast_expr *e) {
    bound_expr *x = bind_expr(b, s, e->cast.operand);
    logical_type t;
    if (!x || !bind_type(b, &e->cast.type, &t)) return NULL;
    return bexpr_cast(b->arena, x, t, e->cast.try_cast, b->err);
}

/* ---- functions ---------------------------------------------------------------------------- */

static bool is_aggregate_call(const ast_expr *e) {
    if (e->kind != AST_EXPR_FUNCTION || e->function.over || e->function.schema.name) return false;
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)e->function.name.len, e->function.name.name);
    return aggregate_function_exists(name);
}

bool ast_contains_aggregate(const ast_expr *e) {
    if (!e) return false;
    if (is_aggregate_call(e)) return true;
    switch (e->kind) {
    case AST_EXPR_UNARY: return ast_contains_aggregate(e->unary.operand);
    case AST_EXPR_BINARY: {
        /* iterate down the left spine: long chains are deep */
        const ast_expr *x = e;
        while (x->kind == AST_EXPR_BINARY) {
            if (ast_contains_aggregate(x->binary.right)) return true;
            x = x->binary.left;
        }
        return ast_contains_aggregate(x);
    }
    case AST_EXPR_IS_NULL:
    case AST_EXPR_IS_BOOL: return ast_contains_aggregate(e->is.operand);
    case AST_EXPR_IS_DISTINCT:
        return ast_contains_aggregate(e->distinct.left) || ast_contains_aggregate(e->distinct.right);
    case AST_EXPR_LIKE: return ast_contains_aggregate(e->like.operand) || ast_contains_aggregate(e->like.pattern);
    case AST_EXPR_BETWEEN:
        return ast_contains_aggregate(e->between.operand) || ast_contains_aggregate(e->between.low) ||
               ast_contains_aggregate(e->between.high);
    case AST_EXPR_IN_LIST:
        if (ast_contains_aggregate(e->in_list.operand)) return true;
        for (uint32_t i = 0; i < e->in_list.count; i++)
            if (ast_contains_aggregate(e->in_list.items[i])) return true;
        return false;
    case AST_EXPR_FUNCTION:
        for (uint32_t i = 0; i < e->function.arg_count; i++)
            if (ast_contains_aggregate(e->function.args[i])) return true;
        if (e->function.over) { /* rank() OVER (ORDER BY sum(x)) aggregates too */
            const ast_window *w = e->function.over;
            for (uint32_t i = 0; i < w->partition_count; i++)
                if (ast_contains_aggregate(w->partition_by[i])) return true;
            for (uint32_t i = 0; i < w->order_by.count; i++)
                if (ast_contains_aggregate(w->order_by.items[i].expr)) return true;
        }
        return false;
    case AST_EXPR_CASE:
        if (ast_contains_aggregate(e->case_.operand) || ast_contains_aggregate(e->case_.else_expr)) return true;
        for (uint32_t i = 0; i < e->case_.count; i++)
            if (ast_contains_aggregate(e->case_.whens[i]) || ast_contains_aggregate(e->case_.thens[i])) return true;
        return false;
    case AST_EXPR_CAST: return ast_contains_aggregate(e->cast.operand);
    default: return false;
    }
}

/* An aggregate call in a context that aggregates: bind its argument against the input,
 * register it (once per distinct call) and refer to its output column. */
static bound_expr *bind_aggregate(binder *b, expr_scope *s, ast_expr *e, const char *name) {
    agg_binding *agg = s->agg;
    if (e->function.filter || e->function.order_by.count || e->function.ignore_nulls)
        return error_set(b->err, EIDER_ERROR_NOT_IMPLEMENTED, "FILTER, ORDER BY and IGNORE NULLS in aggregates are "
                                                               "not supported yet"),
               NULL;
    if (e->function.arg_count > 1)
        return error_set(b->err, EIDER_ERROR_BINDER, "aggregate %s takes one argument", name), NULL;
    bound_expr *arg = NULL;
    logical_type arg_type = type_make(TYPE_SQLNULL);
    if (e->function.arg_count == 1) {
        if (ast_contains_aggregate(e->function.args[0]))
            return error_set(b->err, EIDER_ERROR_BINDER, "aggregate function calls cannot be nested"), NULL;
        expr_scope inner = {.rel = agg->input, .clause = "aggregate"};
        if (!(arg = bind_expr(b, &inner, e->function.args[0]))) return NULL;
        arg_type = arg->type;
    }
    aggregate_spec spec;
    memset(&spec, 0, sizeof spec);
    if (!aggregate_function_bind(name, &arg_type, e->function.arg_count, &spec.fn, b->err)) return NULL;
    spec.distinct = e->function.distinct;
    if (arg && !(arg = bexpr_cast(b->arena, arg, spec.fn.arg_type, false, b->err))) return NULL;
    for (uint32_t j = 0; j < agg->agg_count; j++) {
        aggregate_spec *o = &agg->aggs[j];
        bool same_arg = (!arg && !agg->agg_args[j]) || (arg && agg->agg_args[j] && bexpr_equals(arg, agg->agg_args[j]));
        if (same_arg && o->distinct == spec.distinct && !strcmp(o->fn.name, spec.fn.name) &&
            type_equals(o->fn.result_type, spec.fn.result_type))
            return bexpr_column(b->arena, agg->group_count + j, o->fn.result_type, b->err);
    }
    if (agg->agg_count == agg->agg_capacity) {
        uint32_t cap = agg->agg_capacity ? agg->agg_capacity * 2 : 8;
        aggregate_spec *specs = arena_alloc(b->arena, sizeof *specs * cap, b->err);
        bound_expr **args = arena_alloc(b->arena, sizeof *args * cap, b->err);
        if (!specs || !args) return NULL;
        if (agg->agg_count) {
            memcpy(specs, agg->aggs, sizeof *specs * agg->agg_count);
            memcpy(args, agg->agg_args, sizeof *args * agg->agg_count);
        }
        agg->aggs = specs, agg->agg_args = args, agg->agg_capacity = cap;
    }
    agg->aggs[agg->agg_count] = spec;
    agg->agg_args[agg->agg_count] = arg;
    return bexpr_column(b->arena, agg->group_count + agg->agg_count++, spec.fn.result_type, b->err);
}

static bound_expr *bind_current_setting(binder *b, expr_scope *s, ast_expr *e) {
    if (e->function.arg_count != 1)
        return error_set(b->err, EIDER_ERROR_BINDER, "current_setting takes one argument"), NULL;
    bound_expr *arg = bind_expr(b, s, e->function.args[0]);
    if (!arg) return NULL;
    if (arg->kind != BEXPR_CONSTANT || arg->type.id != TYPE_VARCHAR || arg->constant.is_null)
        return error_set(b->err, EIDER_ERROR_INVALID_INPUT, "current_setting requires a constant text argument"),
               NULL;
    char name[256], buf[1024];
    snprintf(name, sizeof name, "%.*s", (int)arg->constant.u.str.length, arg->constant.u.str.data);
    if (!settings_get(b->db, name, buf, sizeof buf, b->err)) return NULL;
    char *copy = arena_strdup(b->arena, buf, b->err);
    return copy ? bexpr_constant(b->arena, value_varchar(copy, (uint32_t)strlen(copy)), b->err) : NULL;
}

/* round(DECIMAL(w,s), n) is a DECIMAL(w, n) as in DuckDB (n clamped to 0..s; 0 without n):
 * the function rounds exactly on the decimal digits, the cast gives the result its scale. */
static bound_expr *round_decimal(binder *b, bound_expr *r, bound_expr **args, uint32_t n) {
    logical_type in = args[0]->type;
    int64_t digits = 0;
    if (n == 2) {
        bound_expr *d = args[1];
        if (d->kind != BEXPR_CONSTANT || d->constant.is_null || !type_is_integral(d->type)) return r;
        digits = d->type.id == TYPE_INTEGER ? d->constant.u.i32 : d->constant.u.i64;
    }
    if (digits < 0) digits = 0;
    if (digits > in.scale) digits = in.scale;
    return bexpr_cast(b->arena, r, type_decimal(in.width, (uint8_t)digits), false, b->err);
}

/* coalesce(a, b, c) is CASE WHEN a IS NOT NULL THEN a WHEN b IS NOT NULL THEN b ELSE c END:
 * an argument is evaluated only for the rows that need it, as in DuckDB. */
static bound_expr *bind_coalesce(binder *b, expr_scope *s, ast_expr *e) {
    uint32_t n = e->function.arg_count;
    if (n == 0) return error_set(b->err, EIDER_ERROR_BINDER, "coalesce requires at least one argument"), NULL;
    bound_expr **args = arena_alloc(b->arena, sizeof *args * (2 * n - 1), b->err);
    if (!args) return NULL;
    for (uint32_t i = 0; i < n; i++) {
        bound_expr *x = bind_expr(b, s, e->function.args[i]);
        if (!x) return NULL;
        if (i == n - 1) {
            args[2 * i] = x;
            break;
        }
        if (!(args[2 * i] = bexpr_logical(b->arena, BEXPR_IS_NOT_NULL, &x, 1, b->err))) return NULL;
        args[2 * i + 1] = x;
    }
    if (n == 1) return args[0];
    return make_case(b, args, 2 * n - 1);
}

static bound_expr *bind_function(binder *b, expr_scope *s, ast_expr *e) {
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)e->function.name.len, e->function.name.name);
    if (e->function.over) return bind_window_call(b, s, e, name);
    if (is_aggregate_call(e)) {
        if (!s->agg)
            return error_set(b->err, EIDER_ERROR_BINDER, "aggregate function calls are not allowed in %s",
                             s->clause ? s->clause : "this context"),
                   NULL;
        return bind_aggregate(b, s, e, name);
    }
    if (e->function.star || e->function.distinct)
        return error_set(b->err, EIDER_ERROR_BINDER, "%s(%s) is only valid for aggregate functions", name,
                         e->function.star ? "*" : "DISTINCT ..."),
               NULL;
    if (e->function.arg_names)
        for (uint32_t i = 0; i < e->function.arg_count; i++)
            if (e->function.arg_names[i].name)
                return error_set(b->err, EIDER_ERROR_BINDER, "scalar function %s does not take named arguments",
                                 name),
                       NULL;
    if (!strcasecmp(name, "current_setting")) return bind_current_setting(b, s, e);
    if (!strcasecmp(name, "coalesce") || !strcasecmp(name, "ifnull")) return bind_coalesce(b, s, e);
    uint32_t n = e->function.arg_count;
    if (n > SCALAR_MAX_ARGS)
        return error_set(b->err, EIDER_ERROR_BINDER, "too many arguments for %s", name), NULL;
    bound_expr *args[SCALAR_MAX_ARGS];
    for (uint32_t i = 0; i < n; i++)
        if (!(args[i] = bind_expr(b, s, e->function.args[i]))) return NULL;
    bound_expr *r = bexpr_function(b->arena, name, args, n, b->err);
    if (r && !strcasecmp(name, "round") && args[0]->type.id == TYPE_DECIMAL) return round_decimal(b, r, args, n);
    return r;
}

/* ---- entry -------------------------------------------------------------------------------- */

/* In an aggregating context: an expression equal to a GROUP BY expression refers to that group. */
static bound_expr *match_group(binder *b, expr_scope *s, ast_expr *e, bool *matched) {
    *matched = false;
    if (ast_contains_aggregate(e)) return NULL;
    expr_scope plain = *s;
    plain.agg = NULL;
    plain.win = NULL; /* a window call is never a group: binding it here fails */
    plain.rel = s->agg->input;
    error probe = {0};
    error *saved = b->err;
    b->err = &probe;
    bound_expr *x = bind_expr(b, &plain, e);
    b->err = saved;
    if (!x) return NULL;
    for (uint32_t i = 0; i < s->agg->group_count; i++) {
        if (bexpr_equals(x, s->agg->groups[i])) {
            *matched = true;
            return bexpr_column(b->arena, i, x->type, b->err);
        }
    }
    uint32_t lo, hi;
    if (!bexpr_column_range(x, &lo, &hi)) { /* no column: a constant expression */
        *matched = true;
        return x;
    }
    return NULL;
}

bound_expr *bind_expr(binder *b, expr_scope *s, ast_expr *e) {
    if (s->agg && e->kind != AST_EXPR_CONSTANT && !is_aggregate_call(e)) {
        bool matched;
        bound_expr *g = match_group(b, s, e, &matched);
        if (matched || error_is_set(b->err)) return g;
    }
    switch (e->kind) {
    case AST_EXPR_CONSTANT: return bind_literal(b, &e->literal);
    case AST_EXPR_COLUMN: return bind_column(b, s, e);
    case AST_EXPR_STAR:
        return error_set(b->err, EIDER_ERROR_BINDER, "* is only allowed in the SELECT list or in count(*)"), NULL;
    case AST_EXPR_PARAMETER: return bind_parameter(b, e);
    case AST_EXPR_UNARY: return bind_unary(b, s, e);
    case AST_EXPR_BINARY: return bind_binary(b, s, e);
    case AST_EXPR_IS_NULL: return bind_is_null(b, s, e);
    case AST_EXPR_IS_DISTINCT: return bind_is_distinct(b, s, e);
    case AST_EXPR_IS_BOOL: return bind_is_bool(b, s, e);
    case AST_EXPR_LIKE: return bind_like(b, s, e);
    case AST_EXPR_BETWEEN: return bind_between(b, s, e);
    case AST_EXPR_IN_LIST: return bind_in_list(b, s, e);
    case AST_EXPR_FUNCTION: return bind_function(b, s, e);
    case AST_EXPR_CASE: return bind_case(b, s, e);
    case AST_EXPR_CAST: return bind_cast(b, s, e);
    case AST_EXPR_IN_SUBQUERY:
    case AST_EXPR_SUBQUERY:
    case AST_EXPR_EXISTS:
        return error_set(b->err, EIDER_ERROR_NOT_IMPLEMENTED, "subqueries in expressions are not supported yet"),
               NULL;
    case AST_EXPR_INTERVAL:
        return error_set(b->err, EIDER_ERROR_NOT_IMPLEMENTED, "INTERVAL values are not supported yet"), NULL;
    case AST_EXPR_STRUCT:
    case AST_EXPR_LIST:
        return error_set(b->err, EIDER_ERROR_NOT_IMPLEMENTED, "STRUCT and LIST values are not supported yet"), NULL;
    case AST_EXPR_COLLATE:
        return error_set(b->err, EIDER_ERROR_NOT_IMPLEMENTED, "COLLATE is not supported yet"), NULL;
    }
    error_set(b->err, EIDER_ERROR_INTERNAL, "unknown expression kind %d", (int)e->kind);
    return NULL;
}
