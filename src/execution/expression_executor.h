/*
 * expression_executor.h — evaluates bound expressions over a chunk, vector at a time.
 *
 * An executor is made for a list of expressions and holds scratch vectors for every inner node;
 * strings that the expressions create live in the executor's heap until the next call. One
 * executor per thread.
 */
#ifndef EIDER_EXPRESSION_EXECUTOR_H
#define EIDER_EXPRESSION_EXECUTOR_H

#include "planner/bound_expr.h"

typedef struct expr_executor expr_executor;

/* Prepares evaluation of exprs[0..count); scratch comes from arena a (pool blocks). */
expr_executor *expr_executor_create(arena *a, bound_expr **exprs, uint32_t count, error *err);
void expr_executor_destroy(expr_executor *ex);

/* Evaluates expression i over the rows of input into result (a vector of the expression's type,
 * owned by out, whose heap receives new strings). input may be NULL for constant expressions,
 * then `count` rows are produced. */
bool expr_execute(expr_executor *ex, uint32_t i, const chunk *input, uint32_t count, vector *result, chunk *out,
                  error *err);
/* Evaluates all expressions into the columns of out (out->count = rows of input). */
bool expr_execute_all(expr_executor *ex, const chunk *input, chunk *out, error *err);
/* Evaluates boolean expression i and writes the indexes of rows where it is true into sel;
 * returns the number of such rows, or -1 on error. */
int64_t expr_select(expr_executor *ex, uint32_t i, const chunk *input, uint32_t *sel, error *err);

/* Evaluates a constant expression (no column references) to a value; strings in arena a. */
bool expr_evaluate_constant(arena *a, bound_expr *e, value *out, error *err);

#endif
