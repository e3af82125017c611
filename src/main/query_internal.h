/*
 * query_internal.h — what the statement runners share: the per-statement context and helpers
 * to run a plan and to hand rows to the result.
 */
#ifndef EIDER_QUERY_INTERNAL_H
#define EIDER_QUERY_INTERNAL_H

#include "main/database.h"
#include "main/result.h"
#include "parser/ast.h"
#include "planner/binder.h"

typedef struct statement_context {
    eider_connection *conn;
    eider_database *db;
    arena *arena;        /* statement lifetime (tag ALLOCATOR) */
    error *err;
    eider_result *result;
    const char *sql;     /* the whole text, for messages */
    const value *params; /* prepared statement parameters */
    uint32_t param_count;
    /* streaming (the last statement of eider_query_streaming, when it is a query): instead of
     * running its plan, run_into_result leaves the plan here for the stream's producer thread */
    physical_op **defer_root;
} statement_context;

/* A binder for this statement (parameters included). */
void statement_binder(statement_context *sc, binder *b);

/* Runs a plan whose root sink is already attached, then destroys the plan. */
bool run_plan(statement_context *sc, physical_op *root);
/* Runs rel and puts its rows into the result with the relation's column names (or, with
 * sc->defer_root set, declares the columns and leaves the plan there, without a row store). */
bool run_into_result(statement_context *sc, relation *rel);
/* Sets a one-row, one-column BIGINT result named `Count` (INSERT, CREATE TABLE AS). */
bool result_set_count(statement_context *sc, uint64_t count);

bool run_create_table(statement_context *sc, ast_statement *st);
bool run_drop(statement_context *sc, ast_statement *st);
bool run_insert(statement_context *sc, ast_statement *st);
bool run_set(statement_context *sc, ast_statement *st);
bool run_describe(statement_context *sc, ast_statement *st);
bool run_show(statement_context *sc, ast_statement *st);
bool run_pragma(statement_context *sc, ast_statement *st);
bool run_explain(statement_context *sc, ast_statement *st);
bool run_copy(statement_context *sc, ast_statement *st);

#endif
