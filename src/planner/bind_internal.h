/*
 * bind_internal.h — what the binder's files share: expression scopes, aggregate collection,
 * and helpers for names and types.
 */
#ifndef EIDER_BIND_INTERNAL_H
#define EIDER_BIND_INTERNAL_H

#include "execution/hash_aggregate.h"
#include "planner/binder.h"

/* Aggregation being bound: groups are bound against the input relation; aggregate calls found
 * while binding the SELECT list, HAVING and ORDER BY are collected here. After the aggregate
 * operator, column i < group_count is group i, column group_count + j is aggregate j. */
typedef struct agg_binding {
    relation *input;
    bound_expr **groups;
    uint32_t group_count;
    aggregate_spec *aggs;
    bound_expr **agg_args; /* argument bound against input; NULL for count(*) */
    uint32_t agg_count, agg_capacity;
} agg_binding;

typedef struct expr_scope {
    relation *rel;              /* columns in scope (the input of the evaluating operator) */
    agg_binding *agg;           /* non-NULL: expressions are evaluated after aggregation */
    ast_select_item *aliases;   /* SELECT list, for references to its aliases */
    uint32_t alias_count;
    const char *clause;         /* "WHERE", "GROUP BY", ... for messages */
    uint32_t alias_depth;       /* guards alias substitution against cycles */
} expr_scope;

bound_expr *bind_expr(binder *b, expr_scope *s, ast_expr *e);
/* Whether e contains an aggregate call (not looking into subqueries). */
bool ast_contains_aggregate(const ast_expr *e);
/* The result column name of an expression, as DuckDB names it: the alias-less text. */
const char *ast_expr_name(binder *b, const ast_expr *e);
/* The type both a and b convert to, or a Binder Error. */
bool bind_common_type(binder *b, logical_type a, logical_type t2, logical_type *out);
/* Whether an identifier matches a stored name (quoted: exactly; else case-insensitively). */
bool ident_matches(const ast_ident *id, const char *name);

#endif
