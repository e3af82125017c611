/*
 * api.c — the public C API for databases, connections, queries and result metadata
 * (the value accessors are in result.c, next to the read cache they use; the config object is in
 * config.c).
 *
 * Ownership: eider_open creates the database (plain malloc: it owns the pool, so it cannot live
 * in it), its buffer pool, the temp-file manager (installed as the pool's spill hooks), settings
 * and catalog; eider_close destroys them in reverse order, and destroying the pool unmaps every
 * block, so nothing the database held stays mapped; destroying the manager removes its temp
 * files. Connections and results are the caller's objects (plain malloc) and are freed by
 * eider_disconnect and eider_result_destroy.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog/catalog.h"
#include "eider.h"
#include "execution/scheduler.h"
#include "main/database.h"
#include "main/result.h"
#include "main/settings.h"
#include "main/stream.h"
#include "memory/pool.h"
#include "memory/temp_files.h"

/* Read access to an eider_config (config.c). */
size_t config_option_count(const eider_config *config);
const char *config_option_name(const eider_config *config, size_t index);
const char *config_option_value(const eider_config *config, size_t index);
const char *config_get(const eider_config *config, const char *name);

#define EIDER_VERSION "0.1.0"

const char *eider_version(void) { return EIDER_VERSION; }

void eider_free(void *ptr) { free(ptr); }

/* ---- open / close ------------------------------------------------------------------------ */

static bool is_in_memory_path(const char *path) {
    return path == NULL || path[0] == '\0' || strcmp(path, ":memory:") == 0;
}

/* Every config name must be a known setting. */
static bool check_config_names(const eider_config *config, error *err) {
    for (size_t i = 0; i < config_option_count(config); i++) {
        const char *name = config_option_name(config, i);
        bool known = false;
        for (uint32_t s = 0; s < settings_count(); s++)
            if (strcasecmp(name, settings_name(s)) == 0) known = true;
        if (!known) {
            char list[256] = "";
            for (uint32_t s = 0; s < settings_count(); s++) {
                if (s) strncat(list, ", ", sizeof list - strlen(list) - 1);
                strncat(list, settings_name(s), sizeof list - strlen(list) - 1);
            }
            return error_set(err, EIDER_ERROR_INVALID_INPUT,
                             "unrecognized configuration option \"%s\" (known options: %s)", name, list);
        }
    }
    return true;
}

/* Frees what eider_open built so far; every field may still be NULL. */
static void database_free(eider_database *db, bool settings_ready) {
    if (!db) return;
    if (db->scheduler) scheduler_destroy(db->scheduler);
    if (db->catalog) catalog_destroy(db->catalog);
    if (settings_ready) settings_destroy(db);
    /* every block is freed by now (a spilled one gave its slot back through the hooks); the
     * manager goes before the pool, whose METADATA counts its bookkeeping, and takes any file
     * that is left with it */
    if (db->temp_files) {
        pool_set_spill_hooks(db->pool, NULL);
        temp_files_destroy(db->temp_files);
    }
    if (db->pool) pool_destroy(db->pool);
    free(db->path);
    free(db);
}

eider_state eider_open(const char *path, const eider_config *config, eider_database **out, char **error_out) {
    error err;
    error_clear(&err);
    if (error_out) *error_out = NULL;
    if (!out) return EIDER_ERROR;
    *out = NULL;
    eider_database *db = NULL;
    bool settings_ready = false;

    if (!is_in_memory_path(path)) {
        error_set(&err, EIDER_ERROR_NOT_IMPLEMENTED,
                  "persistent databases are not supported yet: open \":memory:\" instead of \"%s\"", path);
        goto fail;
    }
    if (!check_config_names(config, &err)) goto fail;

    /* the pool starts with the configured limit when it parses; a bad value is reported below
     * through settings_set, with the same wording as SET */
    uint64_t limit = settings_default_memory_limit();
    const char *limit_text = config_get(config, "memory_limit");
    bool limit_applied = false;
    if (limit_text) {
        error ignored;
        error_clear(&ignored);
        uint64_t parsed = 0;
        if (parse_memory_size(limit_text, &parsed, &ignored)) {
            limit = parsed;
            limit_applied = true;
        }
    }

    db = calloc(1, sizeof *db);
    if (!db) {
        error_set(&err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate the database");
        goto fail;
    }
    atomic_init(&db->connection_count, 0);
    db->pool = pool_create(limit);
    if (!db->pool) {
        error_set(&err, EIDER_ERROR_OUT_OF_MEMORY, "could not create the buffer pool");
        goto fail;
    }
    db->temp_files = temp_files_create(db->pool);
    if (!db->temp_files) {
        error_set(&err, EIDER_ERROR_OUT_OF_MEMORY, "could not create the temp-file manager");
        goto fail;
    }
    pool_spill_hooks hooks = temp_files_hooks(db->temp_files);
    pool_set_spill_hooks(db->pool, &hooks);
    if (!settings_init(db, &err)) goto fail;
    settings_ready = true;
    for (size_t i = 0; i < config_option_count(config); i++) {
        const char *name = config_option_name(config, i);
        if (limit_applied && strcasecmp(name, "memory_limit") == 0) continue;
        if (!settings_set(db, name, config_option_value(config, i), &err)) goto fail;
    }
    db->catalog = catalog_create(db->pool, &err);
    if (!db->catalog) {
        if (!error_is_set(&err)) error_set(&err, EIDER_ERROR_INTERNAL, "could not create the catalog");
        goto fail;
    }
    db->scheduler = scheduler_create(db->pool, db->settings.threads, &err);
    if (!db->scheduler) goto fail;
    *out = db;
    return EIDER_SUCCESS;

fail:
    database_free(db, settings_ready);
    if (error_out) *error_out = strdup(err.message);
    return EIDER_ERROR;
}

void eider_close(eider_database *db) {
    /* all connections must be gone (documented in eider.h); the database is freed regardless */
    database_free(db, true);
}

/* ---- connections ------------------------------------------------------------------------- */

eider_state eider_connect(eider_database *db, eider_connection **out) {
    if (!out) return EIDER_ERROR;
    *out = NULL;
    if (!db) return EIDER_ERROR;
    eider_connection *conn = calloc(1, sizeof *conn);
    if (!conn) return EIDER_ERROR;
    conn->db = db;
    atomic_init(&conn->interrupted, false);
    atomic_init(&conn->progress, -1);
    atomic_fetch_add(&db->connection_count, 1);
    *out = conn;
    return EIDER_SUCCESS;
}

void eider_disconnect(eider_connection *conn) {
    if (!conn) return;
    stream_close_connection(conn);
    atomic_fetch_sub(&conn->db->connection_count, 1);
    free(conn);
}

/* A single lock-free atomic store: safe from another thread and from a signal handler. */
void eider_interrupt(eider_connection *conn) {
    if (conn) atomic_store(&conn->interrupted, true);
}

/* ---- queries --------------------------------------------------------------------------------- */

static eider_state query_api(eider_connection *conn, const char *sql, eider_result **out, bool streaming) {
    const char *fn = streaming ? "eider_query_streaming" : "eider_query";
    if (!out) return EIDER_ERROR;
    *out = NULL;
    eider_result *result = malloc(sizeof *result);
    if (!result) return EIDER_ERROR;
    result_init(result, conn ? conn->db : NULL);
    *out = result;
    if (!conn) {
        error_set(&result->err, EIDER_ERROR_INVALID_INPUT, "%s called without a connection", fn);
        return EIDER_ERROR;
    }
    if (!sql) {
        error_set(&result->err, EIDER_ERROR_INVALID_INPUT, "%s called without SQL text", fn);
        return EIDER_ERROR;
    }
    bool ok = streaming ? query_execute_streaming(conn, sql, NULL, 0, result) : query_execute(conn, sql, result);
    if (!ok && !error_is_set(&result->err))
        error_set(&result->err, EIDER_ERROR_INTERNAL, "query failed without an error message");
    return error_is_set(&result->err) ? EIDER_ERROR : EIDER_SUCCESS;
}

eider_state eider_query(eider_connection *conn, const char *sql, eider_result **out) {
    return query_api(conn, sql, out, false);
}

eider_state eider_query_streaming(eider_connection *conn, const char *sql, eider_result **out) {
    return query_api(conn, sql, out, true);
}

eider_state eider_result_fetch(eider_result *result, uint64_t *rows) {
    if (rows) *rows = 0;
    if (!result || error_is_set(&result->err)) return EIDER_ERROR;
    if (!result->stream) return EIDER_ERROR; /* a materialized result: read it by row index */
    const chunk *batch;
    uint64_t n = 0;
    if (!stream_fetch(result->stream, &batch, &n, &result->err)) {
        if (!error_is_set(&result->err))
            error_set(&result->err, EIDER_ERROR_INTERNAL, "fetch failed without an error message");
        return EIDER_ERROR;
    }
    if (rows) *rows = n;
    return EIDER_SUCCESS;
}

bool eider_result_is_streaming(const eider_result *result) { return result && result->stream; }

void eider_result_destroy(eider_result *result) {
    if (!result) return;
    result_clear(result);
    free(result);
}

/* ---- result metadata -------------------------------------------------------------------------- */

const char *eider_result_error(const eider_result *result) {
    if (!result || !error_is_set(&result->err)) return NULL;
    return result->err.message;
}

eider_error_type eider_result_error_type(const eider_result *result) {
    return result ? result->err.type : EIDER_ERROR_NONE;
}

uint64_t eider_column_count(const eider_result *result) { return result ? result->column_count : 0; }

const char *eider_column_name(const eider_result *result, uint64_t col) {
    if (!result || col >= result->column_count) return NULL;
    return result->names[col];
}

eider_type eider_column_type(const eider_result *result, uint64_t col) {
    if (!result || col >= result->column_count) return EIDER_TYPE_INVALID;
    return type_to_api(result->types[col]);
}

const char *eider_column_type_name(const eider_result *result, uint64_t col) {
    if (!result || col >= result->column_count) return NULL;
    return result->type_names[col];
}

uint64_t eider_row_count(const eider_result *result) {
    if (result && result->stream) return stream_rows_fetched(result->stream);
    if (!result || !result->rows) return 0;
    return column_store_row_count(result->rows);
}

uint64_t eider_rows_changed(const eider_result *result) { return result ? result->rows_changed : 0; }
