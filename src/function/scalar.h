/*
 * scalar.h — scalar functions and operators, resolved by name and argument types.
 *
 * The binder calls scalar_function_bind with the argument types; it gets back the function, the
 * types each argument must be cast to (the binder inserts the casts) and the result type.
 * Operators are functions too, under their symbol: + - * / // % = <> < <= > >= || ~~ (LIKE)
 * !~~ (NOT LIKE), and "-" with one argument (negation). Named functions: abs, round, lower,
 * upper, length, substring/substr, coalesce, and what else is registered. AND/OR/NOT, IS NULL,
 * CASE, IN and BETWEEN are not functions: the expression executor handles them.
 */
#ifndef EIDER_SCALAR_H
#define EIDER_SCALAR_H

#include "common/vector.h"

#define SCALAR_MAX_ARGS 16

/* Computes result rows [0,count) from args (each already of the bound argument type).
 * Unless the function is marked handles_nulls, a row with any NULL argument is NULL in the
 * result and the function may skip it. New strings go into out's heap (out owns result). */
typedef bool (*scalar_fn)(const vector *args, uint32_t nargs, uint32_t count, vector *result, chunk *out,
                          error *err);

typedef struct bound_scalar {
    const char *name;
    scalar_fn fn;
    uint32_t nargs;
    logical_type arg_types[SCALAR_MAX_ARGS]; /* cast each argument to this first */
    logical_type result_type;
    bool handles_nulls; /* the function sees NULL rows itself (coalesce) */
} bound_scalar;

/* Resolves name (case-insensitive) for these argument types. Unknown function or no matching
 * overload: Binder Error naming the function and the types, e.g.
 * "Binder Error: No function matches the given name and argument types 'lower(INTEGER)'". */
bool scalar_function_bind(const char *name, const logical_type *arg_types, uint32_t nargs, bound_scalar *out,
                          error *err);
/* Whether a scalar function of this name exists (any overload). */
bool scalar_function_exists(const char *name);

#endif
