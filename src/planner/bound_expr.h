/*
 * bound_expr.h — expressions after binding: every name resolved, every type known, every cast
 * explicit (IN and BETWEEN are rewritten into comparisons). Column references are positions in the input chunk of the operator that evaluates
 * the expression. Nodes live in the query arena.
 */
#ifndef EIDER_BOUND_EXPR_H
#define EIDER_BOUND_EXPR_H

#include "common/vector.h"
#include "function/scalar.h"

typedef enum bexpr_kind {
    BEXPR_CONSTANT,    /* value */
    BEXPR_COLUMN,      /* input column `column` */
    BEXPR_FUNCTION,    /* fn(args) */
    BEXPR_CAST,        /* args[0] cast to type; try_cast gives NULL instead of an error */
    BEXPR_AND,         /* args[0..n) */
    BEXPR_OR,          /* args[0..n) */
    BEXPR_NOT,         /* args[0] */
    BEXPR_IS_NULL,     /* args[0] */
    BEXPR_IS_NOT_NULL, /* args[0] */
    BEXPR_CASE,        /* args: when0, then0, when1, then1, ..., else */
    BEXPR_PARAMETER,   /* $index (1-based), replaced by its value before execution */
} bexpr_kind;

typedef struct bound_expr bound_expr;
struct bound_expr {
    bexpr_kind kind;
    logical_type type;
    value constant;      /* BEXPR_CONSTANT */
    uint32_t column;     /* BEXPR_COLUMN; parameter index for BEXPR_PARAMETER */
    bound_scalar fn;     /* BEXPR_FUNCTION */
    bool try_cast;       /* BEXPR_CAST */
    bound_expr **args;
    uint32_t arg_count;
};

/* ---- construction (nodes in arena a; NULL + err on failure) ---------------------------- */

bound_expr *bexpr_constant(arena *a, value v, error *err);
bound_expr *bexpr_column(arena *a, uint32_t column, logical_type type, error *err);
/* Casts e to type; returns e itself when it already has that type. A constant is folded
 * (which may fail with a Conversion Error). */
bound_expr *bexpr_cast(arena *a, bound_expr *e, logical_type type, bool try_cast, error *err);
/* Resolves a scalar function or operator over args and inserts the casts it needs. */
bound_expr *bexpr_function(arena *a, const char *name, bound_expr **args, uint32_t nargs, error *err);
/* AND/OR/NOT/IS [NOT] NULL over args (cast to BOOLEAN where needed). */
bound_expr *bexpr_logical(arena *a, bexpr_kind kind, bound_expr **args, uint32_t nargs, error *err);

/* ---- inspection ------------------------------------------------------------------------ */

/* Structural equality (same kinds, types, constants, columns, functions, arguments). */
bool bexpr_equals(const bound_expr *a, const bound_expr *b);
/* Sets used[c] for every column c the expression references. */
void bexpr_mark_columns(const bound_expr *e, bool *used);
/* Smallest and largest column referenced; false if the expression references no column. */
bool bexpr_column_range(const bound_expr *e, uint32_t *min, uint32_t *max);
/* A copy of e in which column c becomes map[c] (map has at least max column + 1 entries). */
bound_expr *bexpr_remap(arena *a, const bound_expr *e, const uint32_t *map, error *err);
/* A copy of e in which every column c becomes c + delta. */
bound_expr *bexpr_shift(arena *a, const bound_expr *e, int64_t delta, error *err);
/* Whether the expression contains no column and no parameter (and so can be folded). */
bool bexpr_is_foldable(const bound_expr *e);

#endif
