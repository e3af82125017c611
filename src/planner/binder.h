/*
 * binder.h — turns parsed queries into physical plans: resolves names against the catalog and
 * the FROM clause, types every expression, and chooses operators (scans, filters, hash joins,
 * hash aggregates, windows, sorts, limits). Column references in bound expressions are positions in the
 * input of the operator that evaluates them.
 *
 * Rewrites done while binding: IN lists and BETWEEN become comparisons, WHERE conjuncts that
 * touch one FROM item are pushed onto it, and equalities between FROM items turn cross products
 * into hash joins.
 */
#ifndef EIDER_BINDER_H
#define EIDER_BINDER_H

#include "execution/physical.h"
#include "main/database.h"
#include "parser/ast.h"
#include "planner/bound_expr.h"

/* A column visible to expressions: its table (alias) and name. */
typedef struct scope_column {
    const char *table; /* NULL when the column has no table name */
    const char *name;
    logical_type type;
    bool hidden;       /* left out of * (the right side's USING columns) */
} scope_column;

/* A bound FROM item or query: its operator and the columns it produces. */
typedef struct relation {
    physical_op *op;
    scope_column *columns;
    uint32_t column_count;
} relation;

typedef struct cte_binding cte_binding;

typedef struct binder {
    eider_database *db;
    arena *arena;
    error *err;
    cte_binding *ctes; /* innermost first */
    uint32_t depth;    /* nesting of queries being bound */
    const char *insert_target; /* table an INSERT writes to, for messages */
    const value *params;       /* values of $1..$param_count (prepared statements) */
    uint32_t param_count;
} binder;

void binder_init(binder *b, eider_database *db, arena *a, error *err);

/* Binds a query into a relation whose op produces its rows. */
bool bind_query(binder *b, ast_query *q, relation *out);
/* Binds a query whose rows go into columns of the given types (INSERT): VALUES literals are
 * converted straight to the target types, other queries get casts on top. */
bool bind_query_for_types(binder *b, ast_query *q, const logical_type *types, uint32_t count, relation *out);

/* Binds an expression with no column references (SET values, LIMIT) and folds it. */
bool bind_constant(binder *b, ast_expr *e, value *out);
/* Maps a written type to a logical type: Binder Error for unknown names. */
bool bind_type(binder *b, const ast_type_name *t, logical_type *out);
/* Text of a name as the binder stores it (arena copy of an identifier). */
const char *ident_text(binder *b, const ast_ident *id);

#endif
