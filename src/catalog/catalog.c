#include "catalog/catalog.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct catalog {
    buffer_pool *pool;
    pthread_rwlock_t lock;
    table_entry **tables; /* unsorted; the number of tables is small next to their data */
    uint32_t count, capacity;
};

catalog *catalog_create(buffer_pool *pool, error *err) {
    catalog *c = pool_calloc(pool, 1, sizeof *c);
    if (!c) {
        error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate the catalog");
        return NULL;
    }
    c->pool = pool;
    pthread_rwlock_init(&c->lock, NULL);
    return c;
}

void catalog_destroy(catalog *c) {
    if (!c) return;
    for (uint32_t i = 0; i < c->count; i++) table_entry_unref(c->tables[i]);
    pool_free(c->pool, c->tables);
    pthread_rwlock_destroy(&c->lock);
    pool_free(c->pool, c);
}

table_entry *table_entry_create(buffer_pool *pool, const char *name, const table_column *columns,
                                uint32_t column_count, error *err) {
    table_entry *t = pool_calloc(pool, 1, sizeof *t);
    logical_type *types = pool_malloc(pool, sizeof(logical_type) * (column_count ? column_count : 1));
    if (!t || !types) goto oom;
    t->pool = pool;
    atomic_init(&t->refcount, 1);
    atomic_init(&t->committed_rows, 0);
    pthread_mutex_init(&t->append_lock, NULL);
    t->name = pool_strdup(pool, name);
    t->columns = pool_calloc(pool, column_count ? column_count : 1, sizeof *t->columns);
    if (!t->name || !t->columns) goto oom_entry;
    t->column_count = column_count;
    for (uint32_t i = 0; i < column_count; i++) {
        t->columns[i] = columns[i];
        t->columns[i].name = pool_strdup(pool, columns[i].name);
        if (!t->columns[i].name) goto oom_entry;
        types[i] = columns[i].type;
    }
    t->store = column_store_create(pool, types, column_count, TAG_IN_MEMORY_TABLE, TAG_OVERFLOW_STRINGS, err);
    pool_free(pool, types);
    if (!t->store) {
        table_entry_unref(t);
        return NULL;
    }
    return t;
oom_entry:
    pool_free(pool, types);
    types = NULL;
    table_entry_unref(t);
    t = NULL;
oom:
    pool_free(pool, types);
    pool_free(pool, t);
    error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate table metadata");
    return NULL;
}

void table_entry_ref(table_entry *t) { atomic_fetch_add(&t->refcount, 1); }

void table_entry_unref(table_entry *t) {
    if (!t || atomic_fetch_sub(&t->refcount, 1) != 1) return;
    buffer_pool *pool = t->pool;
    if (t->store) column_store_destroy(t->store);
    if (t->columns)
        for (uint32_t i = 0; i < t->column_count; i++) pool_free(pool, t->columns[i].name);
    pool_free(pool, t->columns);
    pool_free(pool, t->name);
    pthread_mutex_destroy(&t->append_lock);
    pool_free(pool, t);
}

static int find_locked(catalog *c, const char *name, bool quoted) {
    for (uint32_t i = 0; i < c->count; i++) {
        const char *n = c->tables[i]->name;
        if (quoted ? strcmp(n, name) == 0 : strcasecmp(n, name) == 0) return (int)i;
    }
    return -1;
}

table_entry *catalog_lookup(catalog *c, const char *name, bool quoted) {
    pthread_rwlock_rdlock(&c->lock);
    int i = find_locked(c, name, quoted);
    table_entry *t = i >= 0 ? c->tables[i] : NULL;
    if (t) table_entry_ref(t);
    pthread_rwlock_unlock(&c->lock);
    return t;
}

static void remove_locked(catalog *c, uint32_t i) {
    table_entry *t = c->tables[i];
    c->tables[i] = c->tables[--c->count];
    table_entry_unref(t);
}

bool catalog_add(catalog *c, table_entry *entry, bool replace, bool if_not_exists, bool *created, error *err) {
    if (created) *created = false;
    pthread_rwlock_wrlock(&c->lock);
    int i = find_locked(c, entry->name, false);
    if (i >= 0) {
        if (if_not_exists && !replace) {
            pthread_rwlock_unlock(&c->lock);
            return true;
        }
        if (!replace) {
            pthread_rwlock_unlock(&c->lock);
            return error_set(err, EIDER_ERROR_CATALOG, "Table with name \"%s\" already exists!", entry->name);
        }
        remove_locked(c, (uint32_t)i);
    }
    if (c->count == c->capacity) {
        uint32_t cap = c->capacity ? c->capacity * 2 : 16;
        table_entry **n = pool_realloc(c->pool, c->tables, sizeof *n * cap);
        if (!n) {
            pthread_rwlock_unlock(&c->lock);
            return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not grow the catalog");
        }
        c->tables = n;
        c->capacity = cap;
    }
    table_entry_ref(entry);
    c->tables[c->count++] = entry;
    pthread_rwlock_unlock(&c->lock);
    if (created) *created = true;
    return true;
}

bool catalog_drop(catalog *c, const char *name, bool quoted, bool if_exists, error *err) {
    pthread_rwlock_wrlock(&c->lock);
    int i = find_locked(c, name, quoted);
    if (i < 0) {
        pthread_rwlock_unlock(&c->lock);
        if (if_exists) return true;
        return error_set(err, EIDER_ERROR_CATALOG, "Table with name %s does not exist!", name);
    }
    remove_locked(c, (uint32_t)i);
    pthread_rwlock_unlock(&c->lock);
    return true;
}

static int compare_entries(const void *a, const void *b) {
    return strcmp((*(table_entry *const *)a)->name, (*(table_entry *const *)b)->name);
}

table_entry **catalog_list(catalog *c, uint32_t *count) {
    pthread_rwlock_rdlock(&c->lock);
    table_entry **list = pool_malloc(c->pool, sizeof *list * (c->count ? c->count : 1));
    *count = 0;
    if (list) {
        for (uint32_t i = 0; i < c->count; i++) {
            list[i] = c->tables[i];
            table_entry_ref(list[i]);
        }
        *count = c->count;
    }
    pthread_rwlock_unlock(&c->lock);
    if (list) qsort(list, *count, sizeof *list, compare_entries);
    return list;
}

void catalog_list_free(catalog *c, table_entry **list, uint32_t count) {
    for (uint32_t i = 0; i < count; i++) table_entry_unref(list[i]);
    pool_free(c->pool, list);
}
