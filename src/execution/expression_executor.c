#include "execution/expression_executor.h"

#include <string.h>

#include "function/cast.h"

/* Per-node evaluation state: one result vector per argument of the node, so that a function's
 * arguments sit in the contiguous array scalar_fn expects. */
typedef struct expr_state {
    bound_expr *expr;
    vector *arg_vectors;       /* arg_count vectors, the results of the children */
    struct expr_state **children;
    /* CASE only: branches are evaluated on the rows that reach them */
    chunk *gather;             /* the input rows of one branch, made on first use */
    uint32_t *rows;            /* rows still undecided, then rows taking a branch */
    uint32_t *taken;
} expr_state;

struct expr_executor {
    arena *arena;
    chunk *scratch; /* owns the heap of strings made by inner nodes */
    expr_state **roots;
    vector **select_vectors; /* result vectors of roots used as filters, made on first use */
    uint32_t count;
};

static bool init_vector(arena *a, vector *v, logical_type type, error *err) {
    memset(v, 0, sizeof *v);
    v->type = type;
    size_t width = type_physical_size(type);
    v->data = arena_alloc(a, VECTOR_SIZE * (width ? width : 1), err);
    if (!v->data) return false;
    vector_set_all_valid(v);
    return true;
}

static expr_state *state_create(arena *a, bound_expr *e, error *err) {
    expr_state *s = arena_alloc(a, sizeof *s, err);
    if (!s) return NULL;
    s->expr = e;
    if (e->arg_count == 0) return s;
    s->arg_vectors = arena_alloc(a, sizeof(vector) * e->arg_count, err);
    s->children = arena_alloc(a, sizeof(expr_state *) * e->arg_count, err);
    if (!s->arg_vectors || !s->children) return NULL;
    for (uint32_t i = 0; i < e->arg_count; i++) {
        if (!init_vector(a, &s->arg_vectors[i], e->args[i]->type, err)) return NULL;
        s->children[i] = state_create(a, e->args[i], err);
        if (!s->children[i]) return NULL;
    }
    return s;
}

expr_executor *expr_executor_create(arena *a, bound_expr **exprs, uint32_t count, error *err) {
    expr_executor *ex = arena_alloc(a, sizeof *ex, err);
    if (!ex) return NULL;
    ex->arena = a;
    ex->count = count;
    ex->scratch = chunk_create(a, NULL, 0, err);
    if (!ex->scratch) return NULL;
    ex->roots = arena_alloc(a, sizeof(expr_state *) * (count ? count : 1), err);
    ex->select_vectors = arena_alloc(a, sizeof(vector *) * (count ? count : 1), err);
    if (!ex->roots || !ex->select_vectors) {
        chunk_destroy(ex->scratch);
        return NULL;
    }
    for (uint32_t i = 0; i < count; i++) {
        ex->roots[i] = state_create(a, exprs[i], err);
        if (!ex->roots[i]) {
            chunk_destroy(ex->scratch);
            return NULL;
        }
    }
    return ex;
}

static void state_destroy(expr_state *s) {
    if (!s) return;
    if (s->gather) chunk_destroy(s->gather);
    s->gather = NULL;
    for (uint32_t i = 0; i < s->expr->arg_count && s->children; i++) state_destroy(s->children[i]);
}

void expr_executor_destroy(expr_executor *ex) {
    if (!ex) return;
    for (uint32_t i = 0; i < ex->count; i++) state_destroy(ex->roots[i]);
    if (ex->scratch) chunk_destroy(ex->scratch);
}

static void fill_constant(const value *val, vector *result, uint32_t count) {
    if (val->is_null) {
        for (uint32_t w = 0; w < (count + 63) / 64; w++) result->validity[w] = 0;
        return;
    }
    vector_set_all_valid(result);
    switch (result->type.id) {
    case TYPE_BOOLEAN: memset(result->data, val->u.boolean ? 1 : 0, count); break;
    case TYPE_INTEGER:
    case TYPE_DATE:
        for (uint32_t i = 0; i < count; i++) ((int32_t *)result->data)[i] = val->u.i32;
        break;
    case TYPE_BIGINT:
    case TYPE_DECIMAL:
    case TYPE_TIMESTAMP:
        for (uint32_t i = 0; i < count; i++) ((int64_t *)result->data)[i] = val->u.i64;
        break;
    case TYPE_DOUBLE:
        for (uint32_t i = 0; i < count; i++) ((double *)result->data)[i] = val->u.f64;
        break;
    case TYPE_VARCHAR: {
        string_t s = string_make(val->u.str.data, val->u.str.length);
        for (uint32_t i = 0; i < count; i++) ((string_t *)result->data)[i] = s;
        break;
    }
    default:
        for (uint32_t w = 0; w < (count + 63) / 64; w++) result->validity[w] = 0;
        break;
    }
}

static void copy_column(const vector *src, vector *dst, uint32_t count) {
    memcpy(dst->data, src->data, (size_t)count * type_physical_size(src->type));
    memcpy(dst->validity, src->validity, sizeof dst->validity);
}

/* Casts row by row, turning failures into NULL (TRY_CAST). */
static bool try_cast_rows(expr_executor *ex, const vector *src, vector *dst, uint32_t count, chunk *out,
                          error *err) {
    for (uint32_t i = 0; i < count; i++) {
        if (!vector_is_valid(src, i)) {
            vector_set_null(dst, i);
            continue;
        }
        value in = vector_get_value(src, i), res;
        error local = {0};
        if (!cast_value(&in, dst->type, &res, ex->arena, &local)) {
            vector_set_null(dst, i);
            continue;
        }
        if (!vector_set_value(out, dst, i, &res, err)) return false;
    }
    return true;
}

/* Three-valued AND/OR over boolean argument vectors. */
static void combine_logical(const expr_state *s, vector *result, uint32_t count, bool is_and) {
    uint8_t *res = result->data;
    for (uint32_t r = 0; r < count; r++) {
        bool any_null = false, decided = false;
        for (uint32_t a = 0; a < s->expr->arg_count; a++) {
            const vector *v = &s->arg_vectors[a];
            if (!vector_is_valid(v, r)) {
                any_null = true;
                continue;
            }
            bool b = ((const uint8_t *)v->data)[r] != 0;
            if (b != is_and) { /* false in AND, true in OR decides */
                decided = true;
                break;
            }
        }
        if (decided) {
            vector_set_valid(result, r);
            res[r] = is_and ? 0 : 1;
        } else if (any_null) {
            vector_set_null(result, r);
        } else {
            vector_set_valid(result, r);
            res[r] = is_and ? 1 : 0;
        }
    }
}

static bool eval_node(expr_executor *ex, const expr_state *s, const chunk *input, uint32_t count, vector *result,
                      chunk *out, error *err);

/* The rows sel[0..n) of input, as a chunk of their own (strings shared, not copied). */
static const chunk *gather_rows(expr_executor *ex, expr_state *s, const chunk *input, const uint32_t *sel, uint32_t n,
                                error *err) {
    if (!input) return NULL;
    if (!s->gather) {
        logical_type types[input->column_count ? input->column_count : 1];
        for (uint32_t c = 0; c < input->column_count; c++) types[c] = input->columns[c].type;
        if (!(s->gather = chunk_create(ex->arena, types, input->column_count, err))) return NULL;
    }
    for (uint32_t c = 0; c < input->column_count; c++) {
        vector_set_all_valid(&s->gather->columns[c]);
        for (uint32_t i = 0; i < n; i++) vector_copy_value(&s->gather->columns[c], i, &input->columns[c], sel[i]);
    }
    s->gather->count = n;
    return s->gather;
}

/* CASE evaluates each WHEN on the rows no earlier WHEN took, and each THEN (and ELSE) only on
 * the rows that reach it, so a branch's errors (a cast of text that is not a number) cannot
 * fire on rows that do not take it. */
static bool eval_case(expr_executor *ex, expr_state *s, const chunk *input, uint32_t count, vector *result,
                      chunk *out, error *err) {
    if (!s->rows) {
        s->rows = arena_alloc(ex->arena, sizeof(uint32_t) * VECTOR_SIZE, err);
        s->taken = arena_alloc(ex->arena, sizeof(uint32_t) * VECTOR_SIZE, err);
        if (!s->rows || !s->taken) return false;
    }
    uint32_t pairs = (s->expr->arg_count - 1) / 2, remaining = count;
    for (uint32_t i = 0; i < count; i++) s->rows[i] = i;
    vector_set_all_valid(result);
    for (uint32_t p = 0; p <= pairs && remaining > 0; p++) {
        bool is_else = p == pairs;
        const chunk *sub = input;
        if (remaining < count && !(sub = gather_rows(ex, s, input, s->rows, remaining, err)) && input) return false;
        uint32_t branch = is_else ? s->expr->arg_count - 1 : 2 * p + 1, ntaken = 0, nleft = 0;
        if (is_else) {
            memcpy(s->taken, s->rows, sizeof(uint32_t) * remaining);
            ntaken = remaining;
        } else {
            vector *cond = &s->arg_vectors[2 * p];
            vector_set_all_valid(cond);
            if (!eval_node(ex, s->children[2 * p], sub, remaining, cond, ex->scratch, err)) return false;
            for (uint32_t i = 0; i < remaining; i++) {
                if (vector_is_valid(cond, i) && ((const uint8_t *)cond->data)[i]) s->taken[ntaken++] = s->rows[i];
                else s->rows[nleft++] = s->rows[i];
            }
            if (ntaken == 0) continue;
            if (ntaken < remaining && !(sub = gather_rows(ex, s, input, s->taken, ntaken, err)) && input) return false;
        }
        vector *val = &s->arg_vectors[branch];
        vector_set_all_valid(val);
        if (!eval_node(ex, s->children[branch], sub, ntaken, val, out, err)) return false;
        for (uint32_t i = 0; i < ntaken; i++) vector_copy_value(result, s->taken[i], val, i);
        remaining = is_else ? 0 : nleft;
    }
    return true;
}

static bool eval_node(expr_executor *ex, const expr_state *s, const chunk *input, uint32_t count, vector *result,
                      chunk *out, error *err) {
    bound_expr *e = s->expr;
    if (e->kind == BEXPR_CASE) return eval_case(ex, (expr_state *)s, input, count, result, out, err);
    for (uint32_t i = 0; i < e->arg_count; i++) {
        vector_set_all_valid(&s->arg_vectors[i]);
        if (!eval_node(ex, s->children[i], input, count, &s->arg_vectors[i], ex->scratch, err)) return false;
    }
    switch (e->kind) {
    case BEXPR_CONSTANT:
        fill_constant(&e->constant, result, count);
        return true;
    case BEXPR_COLUMN:
        if (!input || e->column >= input->column_count)
            return error_set(err, EIDER_ERROR_INTERNAL, "column reference %u out of range", e->column);
        copy_column(&input->columns[e->column], result, count);
        return true;
    case BEXPR_FUNCTION: {
        vector_set_all_valid(result);
        if (!e->fn.handles_nulls) {
            /* a NULL in any argument makes the row NULL */
            for (uint32_t a = 0; a < e->arg_count; a++)
                for (uint32_t w = 0; w < VALIDITY_WORDS; w++) result->validity[w] &= s->arg_vectors[a].validity[w];
        }
        return e->fn.fn(s->arg_vectors, e->arg_count, count, result, out, err);
    }
    case BEXPR_CAST:
        vector_set_all_valid(result);
        if (type_equals(s->arg_vectors[0].type, result->type)) {
            copy_column(&s->arg_vectors[0], result, count);
            return true;
        }
        if (e->try_cast) return try_cast_rows(ex, &s->arg_vectors[0], result, count, out, err);
        return cast_vector(&s->arg_vectors[0], result, count, out, err);
    case BEXPR_AND:
    case BEXPR_OR:
        combine_logical(s, result, count, e->kind == BEXPR_AND);
        return true;
    case BEXPR_NOT: {
        const vector *a = &s->arg_vectors[0];
        for (uint32_t r = 0; r < count; r++) ((uint8_t *)result->data)[r] = !((const uint8_t *)a->data)[r];
        memcpy(result->validity, a->validity, sizeof result->validity);
        return true;
    }
    case BEXPR_IS_NULL:
    case BEXPR_IS_NOT_NULL: {
        bool want_null = e->kind == BEXPR_IS_NULL;
        vector_set_all_valid(result);
        for (uint32_t r = 0; r < count; r++)
            ((uint8_t *)result->data)[r] = vector_is_valid(&s->arg_vectors[0], r) != want_null;
        return true;
    }
    case BEXPR_CASE: /* handled above */
        return true;
    case BEXPR_PARAMETER:
        return error_set(err, EIDER_ERROR_INVALID_INPUT, "parameter $%u has no value bound", e->column);
    }
    return error_set(err, EIDER_ERROR_INTERNAL, "unknown expression kind %d", (int)e->kind);
}

bool expr_execute(expr_executor *ex, uint32_t i, const chunk *input, uint32_t count, vector *result, chunk *out,
                  error *err) {
    if (input) count = input->count;
    return eval_node(ex, ex->roots[i], input, count, result, out, err);
}

bool expr_execute_all(expr_executor *ex, const chunk *input, chunk *out, error *err) {
    chunk_reset(ex->scratch);
    for (uint32_t i = 0; i < ex->count; i++) {
        vector_set_all_valid(&out->columns[i]);
        if (!expr_execute(ex, i, input, input->count, &out->columns[i], out, err)) return false;
    }
    out->count = input->count;
    return true;
}

int64_t expr_select(expr_executor *ex, uint32_t i, const chunk *input, uint32_t *sel, error *err) {
    chunk_reset(ex->scratch);
    if (!ex->select_vectors[i]) {
        ex->select_vectors[i] = arena_alloc(ex->arena, sizeof(vector), err);
        if (!ex->select_vectors[i] || !init_vector(ex->arena, ex->select_vectors[i], ex->roots[i]->expr->type, err))
            return -1;
    }
    vector *v = ex->select_vectors[i];
    vector_set_all_valid(v);
    if (!eval_node(ex, ex->roots[i], input, input->count, v, ex->scratch, err)) return -1;
    uint32_t n = 0;
    const uint8_t *b = v->data;
    for (uint32_t r = 0; r < input->count; r++)
        if (vector_is_valid(v, r) && b[r]) sel[n++] = r;
    return n;
}

bool expr_evaluate_constant(arena *a, bound_expr *e, value *out, error *err) {
    expr_executor *ex = expr_executor_create(a, &e, 1, err);
    if (!ex) return false;
    chunk *c = chunk_create(a, &e->type, 1, err);
    bool ok = c != NULL;
    if (ok) ok = expr_execute(ex, 0, NULL, 1, &c->columns[0], c, err);
    if (ok) {
        *out = vector_get_value(&c->columns[0], 0);
        if (!out->is_null && out->type.id == TYPE_VARCHAR) {
            char *copy = arena_strndup(a, out->u.str.data, out->u.str.length, err);
            if (!copy) ok = false;
            else out->u.str.data = copy;
        }
    }
    if (c) chunk_destroy(c);
    expr_executor_destroy(ex);
    return ok;
}
