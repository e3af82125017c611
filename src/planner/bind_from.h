/*
 * bind_from.h — binding of FROM clauses and helpers for relations, shared by the query binder.
 */
#ifndef EIDER_BIND_FROM_H
#define EIDER_BIND_FROM_H

#include "planner/bind_internal.h"

/* Allocates the scope of a relation with count columns. */
bool relation_alloc(binder *b, relation *r, physical_op *op, uint32_t count);
/* A projection of in; names NULL: the names of the projected columns (exprs must be columns). */
bool relation_project(binder *b, relation *in, bound_expr **exprs, uint32_t count, const char *const *names,
                      relation *out);
/* Makes the CTEs of q visible to the binder (until the caller restores b->ctes). */
bool binder_push_ctes(binder *b, ast_query *q);
/* Binds FROM (items, joins) and WHERE together: WHERE conjuncts are pushed to the items they
 * touch and equalities between items become hash-join keys. */
bool bind_from_where(binder *b, ast_table_ref *from, ast_expr *where, relation *out);

#endif
