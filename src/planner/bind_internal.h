/*
 * bind_internal.h — what the binder's files share: expression scopes, aggregate collection,
 * and helpers for names and types.
 */
#ifndef EIDER_BIND_INTERNAL_H
#define EIDER_BIND_INTERNAL_H

#include "execution/hash_aggregate.h"
#include "execution/window.h"
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

/* Window function calls found while binding the SELECT list, ORDER BY and QUALIFY. Until the
 * window operators exist, the result of call j is referred to as column WINDOW_COLUMN_BASE + j;
 * bind_plan_windows places the operators and bind_remap_windows rewrites those references. */
#define WINDOW_COLUMN_BASE (UINT32_C(1) << 30)

typedef struct win_call {
    window_expr_spec spec;    /* columns are filled in by bind_plan_windows */
    bound_expr *arg;          /* NULL when the function takes none */
    bound_expr *default_value;/* lag/lead default, NULL when absent */
    bound_expr *offset;       /* non-constant offset, NULL when constant */
    bound_expr *frame_offsets[2]; /* non-constant ROWS offsets of the frame's start and end, or NULL */
    bound_expr **partitions;
    uint32_t partition_count;
    bound_expr **orders;
    sort_key *order_keys;     /* direction of each order expression (column unset) */
    uint32_t order_count;
} win_call;

typedef struct win_binding {
    win_call *calls;
    uint32_t count, capacity;
    const ast_named_window *named; /* the SELECT's WINDOW clause */
    uint32_t named_count;
} win_binding;

typedef struct expr_scope {
    relation *rel;              /* columns in scope (the input of the evaluating operator) */
    agg_binding *agg;           /* non-NULL: expressions are evaluated after aggregation */
    win_binding *win;           /* non-NULL: window functions are allowed (and collected here) */
    ast_select_item *aliases;   /* SELECT list, for references to its aliases */
    uint32_t alias_count;
    const char *clause;         /* "WHERE", "GROUP BY", ... for messages */
    uint32_t alias_depth;       /* guards alias substitution against cycles */
} expr_scope;

bound_expr *bind_expr(binder *b, expr_scope *s, ast_expr *e);
/* Whether e contains an aggregate call (not looking into subqueries). */
bool ast_contains_aggregate(const ast_expr *e);
/* Whether e contains a window function call (not looking into subqueries). */
bool ast_contains_window(const ast_expr *e);
/* A call with OVER: checks and binds it into s->win and returns a reference to its result. */
bound_expr *bind_window_call(binder *b, expr_scope *s, ast_expr *e, const char *name);
/* Puts the window operators on input (which becomes their output): a projection that adds the
 * keys and arguments as columns, then one operator per distinct (PARTITION BY, ORDER BY). *map
 * receives the output column of each call. */
bool bind_plan_windows(binder *b, relation *input, win_binding *wb, uint32_t **map);
/* Rewrites the references to window results in e (in place) to map's columns. */
void bind_remap_windows(bound_expr *e, const uint32_t *map);
/* The result column name of an expression, as DuckDB names it: the alias-less text. */
const char *ast_expr_name(binder *b, const ast_expr *e);
/* The type both a and b convert to, or a Binder Error. */
bool bind_common_type(binder *b, logical_type a, logical_type t2, logical_type *out);
/* Whether an identifier matches a stored name (quoted: exactly; else case-insensitively). */
bool ident_matches(const ast_ident *id, const char *name);

#endif
