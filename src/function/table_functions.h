/*
 * table_functions.h — table functions whose rows are computed when the query starts:
 * eider_memory() (alias duckdb_memory()), eider_settings() (alias duckdb_settings()),
 * eider_temporary_files() (alias duckdb_temporary_files()), and the catalog views behind
 * SHOW TABLES and DESCRIBE. range() is an operator (operators.h).
 */
#ifndef EIDER_TABLE_FUNCTIONS_H
#define EIDER_TABLE_FUNCTIONS_H

#include "catalog/catalog.h"
#include "storage/column_store.h"

typedef struct eider_database eider_database;

/* A materialized table: column names plus rows. */
typedef struct table_function_rows {
    uint32_t column_count;
    const char *const *names;
    column_store *rows; /* owned by the receiver */
} table_function_rows;

/* Which table function a name denotes (case-insensitive); false if none. */
bool table_function_is_builtin(const char *name);
/* Computes the rows of the named zero-argument table function. */
bool table_function_rows_make(eider_database *db, const char *name, table_function_rows *out, error *err);
/* SHOW TABLES: one column `name`. */
bool show_tables_rows(eider_database *db, table_function_rows *out, error *err);
/* DESCRIBE: column_name, column_type, null, key, default, extra — one row per column given. */
bool describe_rows(eider_database *db, const char *const *names, const logical_type *types,
                   const bool *not_null, uint32_t count, table_function_rows *out, error *err);

#endif
