/* The query engine's entry: parse, then bind, plan and run each statement in its own arena. */
#include <string.h>

#include "execution/executor.h"
#include "execution/operators.h"
#include "main/query_internal.h"
#include "main/stream.h"
#include "parser/parser.h"

/* The AST height an expression may have (as DuckDB's max_expression_depth). */
#define QUERY_MAX_EXPRESSION_DEPTH 1000

void statement_binder(statement_context *sc, binder *b) {
    binder_init(b, sc->db, sc->arena, sc->err);
    b->params = sc->params;
    b->param_count = sc->param_count;
}

bool run_plan(statement_context *sc, physical_op *root) {
    exec_context ctx = {
        .pool = sc->db->pool,
        .arena = sc->arena,
        .interrupted = &sc->conn->interrupted,
        .threads = sc->db->settings.threads,
        .scheduler = sc->db->scheduler,
        .progress = &sc->conn->progress,
    };
    return executor_run(&ctx, root, sc->err);
}

bool run_into_result(statement_context *sc, relation *rel) {
    uint32_t n = rel->column_count;
    const char **names = arena_alloc(sc->arena, sizeof *names * (n ? n : 1), sc->err);
    logical_type *types = arena_alloc(sc->arena, sizeof *types * (n ? n : 1), sc->err);
    if (!names || !types) return false;
    for (uint32_t i = 0; i < n; i++) names[i] = rel->columns[i].name, types[i] = rel->columns[i].type;
    if (!result_set_columns(sc->result, names, types, n, sc->err)) return false;
    physical_op *root = result_collector_create(sc->arena, rel->op, sc->result, sc->err);
    if (!root) return false;
    if (sc->defer_root) { /* streamed: the rows go to the stream's batches, not to a store */
        column_store_destroy(sc->result->rows);
        sc->result->rows = NULL;
        *sc->defer_root = root;
        return true;
    }
    return run_plan(sc, root);
}

bool result_set_count(statement_context *sc, uint64_t count) {
    const char *name = "Count";
    logical_type type = type_make(TYPE_BIGINT);
    if (!result_set_columns(sc->result, &name, &type, 1, sc->err)) return false;
    chunk *c = chunk_create(sc->arena, &type, 1, sc->err);
    if (!c) return false;
    ((int64_t *)c->columns[0].data)[0] = (int64_t)count;
    c->count = 1;
    bool ok = result_append(sc->result, c, sc->err);
    chunk_destroy(c);
    sc->result->rows_changed = count;
    return ok;
}

static bool run_select(statement_context *sc, ast_statement *st) {
    binder b;
    statement_binder(sc, &b);
    relation rel;
    return bind_query(&b, st->query, &rel) && run_into_result(sc, &rel);
}

static bool run_transaction(statement_context *sc, ast_statement *st) {
    switch (st->transaction.transaction_kind) {
    case AST_TRANSACTION_BEGIN:
    case AST_TRANSACTION_COMMIT: return true; /* every statement commits on its own */
    case AST_TRANSACTION_ROLLBACK:
        return error_set(sc->err, EIDER_ERROR_NOT_IMPLEMENTED,
                         "ROLLBACK is not supported: every statement commits on its own");
    }
    return true;
}

static bool run_statement(statement_context *sc, ast_statement *st) {
    switch (st->kind) {
    case AST_STMT_SELECT: return run_select(sc, st);
    case AST_STMT_CREATE_TABLE: return run_create_table(sc, st);
    case AST_STMT_DROP: return run_drop(sc, st);
    case AST_STMT_INSERT: return run_insert(sc, st);
    case AST_STMT_SET:
    case AST_STMT_RESET: return run_set(sc, st);
    case AST_STMT_DESCRIBE: return run_describe(sc, st);
    case AST_STMT_SHOW: return run_show(sc, st);
    case AST_STMT_PRAGMA: return run_pragma(sc, st);
    case AST_STMT_EXPLAIN: return run_explain(sc, st);
    case AST_STMT_TRANSACTION: return run_transaction(sc, st);
    case AST_STMT_CHECKPOINT: return true; /* an in-memory database has nothing to write */
    case AST_STMT_DELETE:
    case AST_STMT_UPDATE:
        return error_set(sc->err, EIDER_ERROR_NOT_IMPLEMENTED, "%s is not supported yet",
                         ast_statement_kind_name(st->kind));
    case AST_STMT_COPY: return run_copy(sc, st);
    }
    return error_set(sc->err, EIDER_ERROR_INTERNAL, "unknown statement kind %d", (int)st->kind);
}

/* Fails the result with err, dropping whatever rows it had. */
static void result_fail(eider_result *result, eider_database *db, const error *err) {
    result_clear(result);
    result_init(result, db);
    result->err = *err;
}

/* Copies the parameters' values into arena a (strings too), for a plan that outlives the call. */
static const value *copy_params(arena *a, const value *params, uint32_t n, error *err) {
    if (n == 0) return params;
    value *copy = arena_alloc(a, sizeof *copy * n, err);
    if (!copy) return NULL;
    for (uint32_t i = 0; i < n; i++) {
        copy[i] = params[i];
        if (params[i].is_null || params[i].type.id != TYPE_VARCHAR) continue;
        copy[i].u.str.data = arena_strndup(a, params[i].u.str.data, params[i].u.str.length, err);
        if (!copy[i].u.str.data) return NULL;
    }
    return copy;
}

/* Runs the statements of sql. streaming: the last statement's rows are streamed (stream.h):
 * when it is a query its plan goes to a producer thread, which takes the plan's and the parse's
 * arenas (the SQL text and the parameters are copied into the latter first, since the plan may
 * point into them and outlives the call). */
static bool query_run(eider_connection *conn, const char *sql, const value *params, uint32_t param_count,
                      eider_result *result, bool streaming) {
    eider_database *db = conn->db;
    stream_close_connection(conn); /* a new query closes the connection's open stream */
    atomic_store(&conn->interrupted, false);
    atomic_store(&conn->progress, 0);
    error err;
    error_clear(&err);
    arena *parse_arena = arena_create(db->pool, TAG_ALLOCATOR);
    if (!parse_arena) {
        error_set(&err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate the parser's memory");
        atomic_store(&conn->progress, -1);
        result_fail(result, db, &err);
        return false;
    }
    bool ok = true;
    if (streaming) {
        sql = arena_strdup(parse_arena, sql, &err);
        params = sql ? copy_params(parse_arena, params, param_count, &err) : NULL;
        ok = sql && (params || param_count == 0);
    }
    parsed_statements ps;
    parser_options opts = {.max_expression_depth = QUERY_MAX_EXPRESSION_DEPTH};
    ok = ok && parse_sql_ex(parse_arena, sql, &opts, &ps, &err);
    physical_op *deferred = NULL;
    arena *deferred_arena = NULL;
    for (uint32_t i = 0; ok && i < ps.count; i++) {
        result_clear(result);
        result_init(result, db);
        arena *a = arena_create(db->pool, TAG_ALLOCATOR);
        if (!a) {
            ok = error_set(&err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate the statement's memory");
            break;
        }
        bool stream_this = streaming && i + 1 == ps.count && ps.statements[i]->kind == AST_STMT_SELECT;
        statement_context sc = {.conn = conn,
                                .db = db,
                                .arena = a,
                                .err = &err,
                                .result = result,
                                .sql = sql,
                                .params = params,
                                .param_count = param_count,
                                .defer_root = stream_this ? &deferred : NULL};
        ok = run_statement(&sc, ps.statements[i]);
        if (ok && deferred) {
            deferred_arena = a;
            break;
        }
        arena_destroy(a);
    }
    if (ok && deferred) {
        /* the producer thread owns both arenas from here, and resets the progress when done */
        ok = stream_start(result, conn, deferred_arena, parse_arena, deferred, &err);
        parse_arena = NULL;
        if (ok) return true;
    } else if (ok && streaming) {
        ok = stream_start_materialized(result, conn, &err);
    }
    if (parse_arena) arena_destroy(parse_arena);
    atomic_store(&conn->progress, -1);
    if (!ok) result_fail(result, db, &err);
    return ok;
}

bool query_execute(eider_connection *conn, const char *sql, eider_result *result) {
    return query_run(conn, sql, NULL, 0, result, false);
}

bool query_execute_params(eider_connection *conn, const char *sql, const value *params, uint32_t param_count,
                          eider_result *result) {
    return query_run(conn, sql, params, param_count, result, false);
}

bool query_execute_streaming(eider_connection *conn, const char *sql, const value *params, uint32_t param_count,
                             eider_result *result) {
    return query_run(conn, sql, params, param_count, result, true);
}

double eider_query_progress(eider_connection *conn) {
    if (!conn) return -1;
    int permille = atomic_load(&conn->progress);
    return permille < 0 ? -1 : permille / 10.0;
}
