#include "function/table_functions.h"

#include <string.h>
#include <strings.h>

#include "common/arena.h"
#include "main/database.h"
#include "memory/temp_files.h"

/* Builds rows from text/bigint cells: cells[r * ncols + c], text for VARCHAR columns and
 * bigints for BIGINT columns. */
typedef struct row_builder {
    buffer_pool *pool;
    arena *arena;
    chunk *chunk;
    column_store *store;
} row_builder;

static bool builder_init(row_builder *b, buffer_pool *pool, const logical_type *types, uint32_t n, error *err) {
    memset(b, 0, sizeof *b);
    b->pool = pool;
    b->arena = arena_create(pool, TAG_ALLOCATOR);
    if (!b->arena) return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate an arena");
    b->chunk = chunk_create(b->arena, types, n, err);
    if (!b->chunk) return false;
    b->store = column_store_create(pool, types, n, TAG_COLUMN_DATA, TAG_COLUMN_DATA, err);
    return b->store != NULL;
}

static bool builder_flush(row_builder *b, error *err) {
    if (b->chunk->count == 0) return true;
    bool ok = column_store_append(b->store, b->chunk, err);
    chunk_reset(b->chunk);
    return ok;
}

static bool builder_set(row_builder *b, uint32_t col, const value *v, error *err) {
    return vector_set_value(b->chunk, &b->chunk->columns[col], b->chunk->count, v, err);
}

static bool builder_end_row(row_builder *b, error *err) {
    b->chunk->count++;
    return b->chunk->count < VECTOR_SIZE || builder_flush(b, err);
}

static column_store *builder_finish(row_builder *b, bool ok, error *err) {
    if (ok) ok = builder_flush(b, err);
    if (b->chunk) chunk_destroy(b->chunk);
    if (b->arena) arena_destroy(b->arena);
    if (!ok && b->store) {
        column_store_destroy(b->store);
        b->store = NULL;
    }
    return b->store;
}

static value text_value(const char *s) { return value_varchar(s, (uint32_t)strlen(s)); }

static bool memory_rows(eider_database *db, table_function_rows *out, error *err) {
    static const char *const names[] = {"tag", "memory_usage_bytes", "temporary_storage_bytes"};
    logical_type types[3] = {type_make(TYPE_VARCHAR), type_make(TYPE_BIGINT), type_make(TYPE_BIGINT)};
    row_builder b;
    bool ok = builder_init(&b, db->pool, types, 3, err);
    for (int t = 0; ok && t < TAG_COUNT; t++) {
        value tag = text_value(memory_tag_name((memory_tag)t));
        value used = value_bigint((int64_t)pool_tag_used_bytes(db->pool, (memory_tag)t));
        value temp = value_bigint((int64_t)pool_tag_temporary_bytes(db->pool, (memory_tag)t));
        ok = builder_set(&b, 0, &tag, err) && builder_set(&b, 1, &used, err) && builder_set(&b, 2, &temp, err) &&
             builder_end_row(&b, err);
    }
    out->rows = builder_finish(&b, ok, err);
    out->names = names;
    out->column_count = 3;
    return out->rows != NULL;
}

static bool settings_rows(eider_database *db, table_function_rows *out, error *err) {
    static const char *const names[] = {"name", "value", "description", "input_type"};
    logical_type types[4] = {type_make(TYPE_VARCHAR), type_make(TYPE_VARCHAR), type_make(TYPE_VARCHAR),
                             type_make(TYPE_VARCHAR)};
    row_builder b;
    bool ok = builder_init(&b, db->pool, types, 4, err);
    for (uint32_t i = 0; ok && i < settings_count(); i++) {
        char buf[1024];
        ok = settings_get(db, settings_name(i), buf, sizeof buf, err);
        if (!ok) break;
        value name = text_value(settings_name(i)), val = text_value(buf);
        value desc = text_value(settings_description(i)), type = text_value("VARCHAR");
        ok = builder_set(&b, 0, &name, err) && builder_set(&b, 1, &val, err) && builder_set(&b, 2, &desc, err) &&
             builder_set(&b, 3, &type, err) && builder_end_row(&b, err);
    }
    out->rows = builder_finish(&b, ok, err);
    out->names = names;
    out->column_count = 4;
    return out->rows != NULL;
}

/* One row per temp file: path, size. The list is a snapshot taken before any row is built, so
 * building rows (which may spill) never runs under the manager's lock. */
static bool temporary_files_rows(eider_database *db, table_function_rows *out, error *err) {
    static const char *const names[] = {"path", "size"};
    logical_type types[2] = {type_make(TYPE_VARCHAR), type_make(TYPE_BIGINT)};
    temp_file_entry *list = NULL;
    uint32_t count = 0;
    if (db->temp_files && !temp_files_list(db->temp_files, &list, &count, err)) return false;
    row_builder b;
    bool ok = builder_init(&b, db->pool, types, 2, err);
    for (uint32_t i = 0; ok && i < count; i++) {
        value path = text_value(list[i].path), size = value_bigint((int64_t)list[i].size);
        ok = builder_set(&b, 0, &path, err) && builder_set(&b, 1, &size, err) && builder_end_row(&b, err);
    }
    if (db->temp_files) temp_files_list_free(db->temp_files, list, count);
    out->rows = builder_finish(&b, ok, err);
    out->names = names;
    out->column_count = 2;
    return out->rows != NULL;
}

static bool is_temporary_files(const char *name) {
    return !strcasecmp(name, "eider_temporary_files") || !strcasecmp(name, "duckdb_temporary_files");
}

bool table_function_is_builtin(const char *name) {
    return !strcasecmp(name, "eider_memory") || !strcasecmp(name, "duckdb_memory") ||
           !strcasecmp(name, "eider_settings") || !strcasecmp(name, "duckdb_settings") || is_temporary_files(name);
}

bool table_function_rows_make(eider_database *db, const char *name, table_function_rows *out, error *err) {
    if (!strcasecmp(name, "eider_memory") || !strcasecmp(name, "duckdb_memory")) return memory_rows(db, out, err);
    if (!strcasecmp(name, "eider_settings") || !strcasecmp(name, "duckdb_settings"))
        return settings_rows(db, out, err);
    if (is_temporary_files(name)) return temporary_files_rows(db, out, err);
    return error_set(err, EIDER_ERROR_CATALOG, "Table Function with name %s does not exist!", name);
}

bool show_tables_rows(eider_database *db, table_function_rows *out, error *err) {
    static const char *const names[] = {"name"};
    logical_type type = type_make(TYPE_VARCHAR);
    row_builder b;
    bool ok = builder_init(&b, db->pool, &type, 1, err);
    uint32_t count = 0;
    table_entry **list = ok ? catalog_list(db->catalog, &count) : NULL;
    for (uint32_t i = 0; ok && i < count; i++) {
        value v = text_value(list[i]->name);
        ok = builder_set(&b, 0, &v, err) && builder_end_row(&b, err);
    }
    if (list) catalog_list_free(db->catalog, list, count);
    out->rows = builder_finish(&b, ok, err);
    out->names = names;
    out->column_count = 1;
    return out->rows != NULL;
}

bool describe_rows(eider_database *db, const char *const *names_in, const logical_type *types_in,
                   const bool *not_null, uint32_t count, table_function_rows *out, error *err) {
    static const char *const names[] = {"column_name", "column_type", "null", "key", "default", "extra"};
    logical_type types[6];
    for (int i = 0; i < 6; i++) types[i] = type_make(TYPE_VARCHAR);
    row_builder b;
    bool ok = builder_init(&b, db->pool, types, 6, err);
    for (uint32_t i = 0; ok && i < count; i++) {
        char tname[TYPE_NAME_MAX];
        value name = text_value(names_in[i]), type = text_value(type_to_string(types_in[i], tname));
        value nullable = text_value(not_null && not_null[i] ? "NO" : "YES");
        value null = value_null(type_make(TYPE_VARCHAR));
        ok = builder_set(&b, 0, &name, err) && builder_set(&b, 1, &type, err) && builder_set(&b, 2, &nullable, err) &&
             builder_set(&b, 3, &null, err) && builder_set(&b, 4, &null, err) && builder_set(&b, 5, &null, err) &&
             builder_end_row(&b, err);
    }
    out->rows = builder_finish(&b, ok, err);
    out->names = names;
    out->column_count = 6;
    return out->rows != NULL;
}
