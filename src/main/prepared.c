/*
 * prepared.c — prepared statements: the text is parsed once to check it and count its
 * parameters; each execution binds and plans it again with the values bound by then (binding is
 * a few microseconds, and a fresh plan sees the catalog as it is at that moment).
 */
#include <stdlib.h>
#include <string.h>

#include "main/database.h"
#include "main/result.h"
#include "parser/parser.h"

struct eider_prepared_statement {
    eider_connection *conn;
    char *sql;         /* pool_strdup'ed */
    uint32_t nparams;
    value *params;     /* pool_calloc'ed, nparams entries; string bytes pool_malloc'ed */
    bool *bound;
    error err;
};

static buffer_pool *ps_pool(const eider_prepared_statement *ps) { return ps->conn->db->pool; }

eider_state eider_prepare(eider_connection *conn, const char *sql, eider_prepared_statement **out) {
    if (!out) return EIDER_ERROR;
    eider_prepared_statement *ps = calloc(1, sizeof *ps);
    *out = ps;
    if (!ps) return EIDER_ERROR;
    error_clear(&ps->err);
    if (!conn || !sql) {
        error_set(&ps->err, EIDER_ERROR_INVALID_INPUT, "eider_prepare needs a connection and SQL text");
        return EIDER_ERROR;
    }
    ps->conn = conn;
    arena *a = arena_create(conn->db->pool, TAG_ALLOCATOR);
    if (!a) {
        error_set(&ps->err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate the parser's memory");
        return EIDER_ERROR;
    }
    parsed_statements parsed;
    bool ok = parse_sql(a, sql, &parsed, &ps->err);
    if (ok && parsed.count != 1)
        ok = error_set(&ps->err, EIDER_ERROR_INVALID_INPUT, "Cannot prepare %s statements at once",
                       parsed.count ? "multiple" : "zero");
    if (ok) {
        ps->nparams = parsed.parameter_count;
        ps->sql = pool_strdup(ps_pool(ps), sql);
        ps->params = pool_calloc(ps_pool(ps), ps->nparams ? ps->nparams : 1, sizeof *ps->params);
        ps->bound = pool_calloc(ps_pool(ps), ps->nparams ? ps->nparams : 1, sizeof *ps->bound);
        if (!ps->sql || !ps->params || !ps->bound)
            ok = error_set(&ps->err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate the prepared statement");
    }
    arena_destroy(a);
    return ok ? EIDER_SUCCESS : EIDER_ERROR;
}

const char *eider_prepare_error(const eider_prepared_statement *ps) {
    return ps && error_is_set(&ps->err) ? ps->err.message : NULL;
}

eider_error_type eider_prepare_error_type(const eider_prepared_statement *ps) {
    return ps ? ps->err.type : EIDER_ERROR_INVALID_INPUT;
}

uint64_t eider_nparams(const eider_prepared_statement *ps) { return ps && ps->sql ? ps->nparams : 0; }

static void release_value(eider_prepared_statement *ps, uint64_t i) {
    if (ps->bound[i] && !ps->params[i].is_null && ps->params[i].type.id == TYPE_VARCHAR)
        pool_free(ps_pool(ps), (void *)ps->params[i].u.str.data);
    ps->bound[i] = false;
}

static eider_state bind_value(eider_prepared_statement *ps, uint64_t index, value v) {
    if (!ps) return EIDER_ERROR;
    if (!ps->sql) return EIDER_ERROR; /* preparing failed: its error stays */
    error_clear(&ps->err);
    if (index < 1 || index > ps->nparams) {
        error_set(&ps->err, EIDER_ERROR_INVALID_INPUT, "Could not bind parameter %llu: the statement has %u parameters",
                  (unsigned long long)index, ps->nparams);
        return EIDER_ERROR;
    }
    release_value(ps, index - 1);
    if (!v.is_null && v.type.id == TYPE_VARCHAR) {
        char *copy = pool_malloc(ps_pool(ps), v.u.str.length + 1);
        if (!copy) {
            error_set(&ps->err, EIDER_ERROR_OUT_OF_MEMORY, "could not copy the bound string");
            return EIDER_ERROR;
        }
        if (v.u.str.length) memcpy(copy, v.u.str.data, v.u.str.length);
        copy[v.u.str.length] = '\0';
        v.u.str.data = copy;
    }
    ps->params[index - 1] = v;
    ps->bound[index - 1] = true;
    return EIDER_SUCCESS;
}

eider_state eider_bind_null(eider_prepared_statement *ps, uint64_t index) {
    return bind_value(ps, index, value_null(type_make(TYPE_SQLNULL)));
}
eider_state eider_bind_bool(eider_prepared_statement *ps, uint64_t index, bool v) {
    return bind_value(ps, index, value_boolean(v));
}
eider_state eider_bind_int32(eider_prepared_statement *ps, uint64_t index, int32_t v) {
    return bind_value(ps, index, value_integer(v));
}
eider_state eider_bind_int64(eider_prepared_statement *ps, uint64_t index, int64_t v) {
    return bind_value(ps, index, value_bigint(v));
}
eider_state eider_bind_double(eider_prepared_statement *ps, uint64_t index, double v) {
    return bind_value(ps, index, value_double(v));
}
eider_state eider_bind_varchar_length(eider_prepared_statement *ps, uint64_t index, const char *v, uint64_t length) {
    if (!v) return eider_bind_null(ps, index);
    if (length > UINT32_MAX) {
        if (ps) error_set(&ps->err, EIDER_ERROR_INVALID_INPUT, "bound string is too long");
        return EIDER_ERROR;
    }
    return bind_value(ps, index, value_varchar(v, (uint32_t)length));
}
eider_state eider_bind_varchar(eider_prepared_statement *ps, uint64_t index, const char *v) {
    return eider_bind_varchar_length(ps, index, v, v ? strlen(v) : 0);
}
eider_state eider_bind_date(eider_prepared_statement *ps, uint64_t index, int32_t days) {
    value v = value_integer(days);
    v.type = type_make(TYPE_DATE);
    return bind_value(ps, index, v);
}
eider_state eider_bind_timestamp(eider_prepared_statement *ps, uint64_t index, int64_t micros) {
    value v = value_bigint(micros);
    v.type = type_make(TYPE_TIMESTAMP);
    return bind_value(ps, index, v);
}

eider_state eider_clear_bindings(eider_prepared_statement *ps) {
    if (!ps || !ps->sql) return EIDER_ERROR;
    for (uint32_t i = 0; i < ps->nparams; i++) release_value(ps, i);
    return EIDER_SUCCESS;
}

static eider_state execute(eider_prepared_statement *ps, eider_result **out, bool streaming) {
    if (!out) return EIDER_ERROR;
    eider_result *result = malloc(sizeof *result);
    *out = result;
    if (!result) return EIDER_ERROR;
    result_init(result, ps && ps->conn ? ps->conn->db : NULL);
    if (!ps || !ps->sql) {
        error_set(&result->err, EIDER_ERROR_INVALID_INPUT, "%s",
                  ps && error_is_set(&ps->err) ? ps->err.message : "the statement was not prepared");
        return EIDER_ERROR;
    }
    for (uint32_t i = 0; i < ps->nparams; i++) {
        if (ps->bound[i]) continue;
        error_set(&result->err, EIDER_ERROR_INVALID_INPUT, "Values were not provided for the following prepared "
                                                           "statement parameters: %u",
                  i + 1);
        return EIDER_ERROR;
    }
    bool ok = streaming ? query_execute_streaming(ps->conn, ps->sql, ps->params, ps->nparams, result)
                        : query_execute_params(ps->conn, ps->sql, ps->params, ps->nparams, result);
    if (!ok && !error_is_set(&result->err))
        error_set(&result->err, EIDER_ERROR_INTERNAL, "query failed without an error message");
    return error_is_set(&result->err) ? EIDER_ERROR : EIDER_SUCCESS;
}

eider_state eider_execute(eider_prepared_statement *ps, eider_result **out) { return execute(ps, out, false); }

/* The values bound are copied for the stream: binding again does not touch a running stream. */
eider_state eider_execute_streaming(eider_prepared_statement *ps, eider_result **out) {
    return execute(ps, out, true);
}

void eider_prepared_destroy(eider_prepared_statement *ps) {
    if (!ps) return;
    if (ps->sql) {
        eider_clear_bindings(ps);
        pool_free(ps_pool(ps), ps->params);
        pool_free(ps_pool(ps), ps->bound);
        pool_free(ps_pool(ps), ps->sql);
    }
    free(ps);
}
