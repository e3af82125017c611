/*
 * catalog.h — the tables of a database and their storage.
 *
 * Table names are unique case-insensitively. A lookup with an unquoted name matches
 * case-insensitively; a quoted name must match exactly. Entries are reference counted: a
 * running query or a prepared statement holds a reference; DROP TABLE unlinks the entry at
 * once and the last reference frees it with every block of its storage.
 *
 * Locking: the catalog's reader-writer lock guards the name map; lookups take it shortly for
 * reading, DDL for writing. A table's append lock serializes appends; committed_rows is published
 * with one atomic store after a whole batch is appended, and scans read it once at their start.
 */
#ifndef EIDER_CATALOG_H
#define EIDER_CATALOG_H

#include <pthread.h>
#include <stdatomic.h>

#include "common/error.h"
#include "common/types.h"
#include "memory/pool.h"
#include "storage/column_store.h"

typedef struct catalog catalog;

typedef struct table_column {
    char *name;
    logical_type type;
    bool not_null;
} table_column;

typedef struct table_entry {
    atomic_uint refcount;
    buffer_pool *pool;
    char *name;
    uint32_t column_count;
    table_column *columns;
    column_store *store;
    pthread_mutex_t append_lock;
    atomic_uint_fast64_t committed_rows;
} table_entry;

/* Owner: the database. */
catalog *catalog_create(buffer_pool *pool, error *err);
void catalog_destroy(catalog *c);

/* Creates a detached table entry (refcount 1, empty storage) with copies of the names. */
table_entry *table_entry_create(buffer_pool *pool, const char *name, const table_column *columns,
                                uint32_t column_count, error *err);
void table_entry_ref(table_entry *t);
/* Drops one reference; the last one frees the entry and its storage. */
void table_entry_unref(table_entry *t);

/* Finds a table; returns it with a reference the caller drops, or NULL (no error set). */
table_entry *catalog_lookup(catalog *c, const char *name, bool quoted);
/* Adds entry (the catalog takes its own reference). If a table of that name exists: with
 * replace, it is dropped; with if_not_exists, nothing happens and *created is false; otherwise a
 * Catalog Error. */
bool catalog_add(catalog *c, table_entry *entry, bool replace, bool if_not_exists, bool *created, error *err);
/* Unlinks a table. Missing table: Catalog Error unless if_exists. */
bool catalog_drop(catalog *c, const char *name, bool quoted, bool if_exists, error *err);
/* References to all tables sorted by name, in an array pool_malloc'ed; release with
 * catalog_list_free. */
table_entry **catalog_list(catalog *c, uint32_t *count);
void catalog_list_free(catalog *c, table_entry **list, uint32_t count);

#endif
