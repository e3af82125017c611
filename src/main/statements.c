/* Statements other than queries: CREATE TABLE [AS], DROP, INSERT, SET/RESET, DESCRIBE, SHOW,
 * PRAGMA and EXPLAIN. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "catalog/catalog.h"
#include "execution/operators.h"
#include "function/cast.h"
#include "function/csv.h"
#include "function/table_functions.h"
#include "main/query_internal.h"
#include "parser/parser.h"

static const char *name_text(statement_context *sc, const ast_ident *id) {
    return arena_strndup(sc->arena, id->name, id->len, sc->err);
}

static bool check_schema(statement_context *sc, const ast_qualified_name *q) {
    if (!q->schema.name) return true;
    if (q->schema.len == 4 && !strncasecmp(q->schema.name, "main", 4)) return true;
    return error_set(sc->err, EIDER_ERROR_CATALOG, "Schema with name %.*s does not exist!", (int)q->schema.len,
                     q->schema.name);
}

/* Rows go into result as a materialized table (SHOW, DESCRIBE). */
static bool rows_into_result(statement_context *sc, table_function_rows *rows) {
    physical_op *op = collection_source_create(sc->arena, rows->rows, sc->err);
    if (!op) return false;
    relation rel;
    rel.op = op;
    rel.column_count = rows->column_count;
    rel.columns = arena_alloc(sc->arena, sizeof(scope_column) * rows->column_count, sc->err);
    if (!rel.columns) return false;
    for (uint32_t i = 0; i < rows->column_count; i++) {
        rel.columns[i].name = rows->names[i];
        rel.columns[i].type = op->types[i];
    }
    return run_into_result(sc, &rel);
}

static table_entry *lookup_table(statement_context *sc, const ast_qualified_name *q) {
    if (!check_schema(sc, q)) return NULL;
    const char *name = name_text(sc, &q->name);
    if (!name) return NULL;
    table_entry *t = catalog_lookup(sc->db->catalog, name, q->name.quoted);
    if (!t) error_set(sc->err, EIDER_ERROR_CATALOG, "Table with name %s does not exist!", name);
    return t;
}

/* ---- CREATE TABLE ------------------------------------------------------------------------- */

static bool check_duplicate_columns(statement_context *sc, const table_column *cols, uint32_t n) {
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < i; j++)
            if (!strcasecmp(cols[i].name, cols[j].name))
                return error_set(sc->err, EIDER_ERROR_CATALOG, "Column with name %s already exists!", cols[i].name);
    return true;
}

static bool create_as(statement_context *sc, ast_statement *st, const char *name) {
    binder b;
    statement_binder(sc, &b);
    relation rel;
    if (!bind_query(&b, st->create_table.as_query, &rel)) return false;
    table_column *cols = arena_alloc(sc->arena, sizeof *cols * (rel.column_count ? rel.column_count : 1), sc->err);
    if (!cols) return false;
    for (uint32_t i = 0; i < rel.column_count; i++) {
        cols[i].name = (char *)rel.columns[i].name;
        cols[i].type = rel.columns[i].type;
        if (cols[i].type.id == TYPE_SQLNULL) cols[i].type = type_make(TYPE_INTEGER);
        cols[i].not_null = false;
    }
    if (!check_duplicate_columns(sc, cols, rel.column_count)) return false;
    table_entry *t = table_entry_create(sc->db->pool, name, cols, rel.column_count, sc->err);
    if (!t) return false;
    uint64_t rows = 0;
    physical_op *root = insert_create(sc->arena, rel.op, t, &rows, sc->err);
    bool ok = root && run_plan(sc, root);
    bool created = false;
    if (ok) ok = catalog_add(sc->db->catalog, t, st->create_table.or_replace, st->create_table.if_not_exists,
                             &created, sc->err);
    table_entry_unref(t); /* the catalog holds its own reference when it took the table */
    return ok && result_set_count(sc, created ? rows : 0);
}

bool run_create_table(statement_context *sc, ast_statement *st) {
    if (!check_schema(sc, &st->create_table.name)) return false;
    const char *name = name_text(sc, &st->create_table.name.name);
    if (!name) return false;
    if (st->create_table.if_not_exists && !st->create_table.or_replace) {
        table_entry *existing = catalog_lookup(sc->db->catalog, name, false);
        if (existing) {
            table_entry_unref(existing);
            return true;
        }
    }
    if (st->create_table.as_query) return create_as(sc, st, name);
    uint32_t n = st->create_table.column_count;
    table_column *cols = arena_alloc(sc->arena, sizeof *cols * (n ? n : 1), sc->err);
    if (!cols) return false;
    binder b;
    statement_binder(sc, &b);
    for (uint32_t i = 0; i < n; i++) {
        ast_column_def *d = &st->create_table.columns[i];
        if (d->default_value)
            return error_set(sc->err, EIDER_ERROR_NOT_IMPLEMENTED, "DEFAULT values are not supported yet");
        if (!(cols[i].name = (char *)name_text(sc, &d->name)) || !bind_type(&b, &d->type, &cols[i].type))
            return false;
        cols[i].not_null = d->not_null || d->primary_key;
    }
    for (uint32_t k = 0; k < st->create_table.primary_key_count; k++)
        for (uint32_t i = 0; i < n; i++)
            if (!strcasecmp(cols[i].name, name_text(sc, &st->create_table.primary_key[k]))) cols[i].not_null = true;
    if (!check_duplicate_columns(sc, cols, n)) return false;
    table_entry *t = table_entry_create(sc->db->pool, name, cols, n, sc->err);
    if (!t) return false;
    bool ok = catalog_add(sc->db->catalog, t, st->create_table.or_replace, st->create_table.if_not_exists, NULL,
                          sc->err);
    table_entry_unref(t);
    return ok;
}

bool run_drop(statement_context *sc, ast_statement *st) {
    if (st->drop.object != AST_DROP_TABLE)
        return error_set(sc->err, EIDER_ERROR_NOT_IMPLEMENTED, "only DROP TABLE is supported");
    /* all or nothing: every table must exist before any is dropped */
    for (uint32_t i = 0; i < st->drop.count && !st->drop.if_exists; i++) {
        table_entry *t = lookup_table(sc, &st->drop.names[i]);
        if (!t) return false;
        table_entry_unref(t);
    }
    for (uint32_t i = 0; i < st->drop.count; i++) {
        ast_qualified_name *q = &st->drop.names[i];
        if (!check_schema(sc, q)) return false;
        const char *name = name_text(sc, &q->name);
        if (!name || !catalog_drop(sc->db->catalog, name, q->name.quoted, st->drop.if_exists, sc->err)) return false;
    }
    return true;
}

/* ---- INSERT --------------------------------------------------------------------------------- */

bool run_insert(statement_context *sc, ast_statement *st) {
    if (st->insert.or_replace || st->insert.or_ignore)
        return error_set(sc->err, EIDER_ERROR_NOT_IMPLEMENTED, "INSERT OR REPLACE/IGNORE is not supported yet");
    if (st->insert.default_values)
        return error_set(sc->err, EIDER_ERROR_NOT_IMPLEMENTED, "INSERT ... DEFAULT VALUES is not supported yet");
    table_entry *t = lookup_table(sc, &st->insert.table);
    if (!t) return false;
    bool ok = false;
    uint32_t tc = t->column_count, nc = st->insert.column_count ? st->insert.column_count : tc;
    int32_t *source_of = arena_alloc(sc->arena, sizeof(int32_t) * (tc ? tc : 1), sc->err); /* per table column */
    logical_type *types = arena_alloc(sc->arena, sizeof(logical_type) * (nc ? nc : 1), sc->err);
    if (!source_of || !types) goto done;
    for (uint32_t c = 0; c < tc; c++) source_of[c] = st->insert.column_count ? -1 : (int32_t)c;
    for (uint32_t i = 0; i < st->insert.column_count; i++) {
        ast_ident *id = &st->insert.columns[i];
        int found = -1;
        for (uint32_t c = 0; c < tc && found < 0; c++)
            if (id->quoted ? !strncmp(t->columns[c].name, id->name, id->len) && strlen(t->columns[c].name) == id->len
                           : strlen(t->columns[c].name) == id->len && !strncasecmp(t->columns[c].name, id->name, id->len))
                found = (int)c;
        if (found < 0) {
            error_set(sc->err, EIDER_ERROR_BINDER, "Table \"%s\" does not have a column with name \"%.*s\"", t->name,
                      (int)id->len, id->name);
            goto done;
        }
        if (source_of[found] >= 0) {
            error_set(sc->err, EIDER_ERROR_BINDER, "Duplicate column name \"%.*s\" in INSERT", (int)id->len, id->name);
            goto done;
        }
        source_of[found] = (int32_t)i;
    }
    for (uint32_t c = 0; c < tc; c++)
        if (source_of[c] >= 0) types[source_of[c]] = t->columns[c].type;
    binder b;
    statement_binder(sc, &b);
    b.insert_target = t->name;
    relation rel;
    if (!bind_query_for_types(&b, st->insert.query, types, nc, &rel)) goto done;
    /* the rows in table column order; columns not named are NULL */
    bound_expr **ex = arena_alloc(sc->arena, sizeof *ex * (tc ? tc : 1), sc->err);
    const char **names = arena_alloc(sc->arena, sizeof *names * (tc ? tc : 1), sc->err);
    if (!ex || !names) goto done;
    for (uint32_t c = 0; c < tc; c++) {
        names[c] = t->columns[c].name;
        ex[c] = source_of[c] >= 0 ? bexpr_column(sc->arena, (uint32_t)source_of[c], t->columns[c].type, sc->err)
                                  : bexpr_constant(sc->arena, value_null(t->columns[c].type), sc->err);
        if (!ex[c]) goto done;
    }
    physical_op *proj = projection_create(sc->arena, rel.op, ex, tc, sc->err);
    uint64_t rows = 0;
    physical_op *root = proj ? insert_create(sc->arena, proj, t, &rows, sc->err) : NULL;
    ok = root && run_plan(sc, root) && result_set_count(sc, rows);
done:
    table_entry_unref(t);
    return ok;
}

/* ---- SET / RESET ---------------------------------------------------------------------------- */

bool run_set(statement_context *sc, ast_statement *st) {
    const char *name = name_text(sc, &st->set.name);
    if (!name) return false;
    if (!st->set.value) return settings_reset(sc->db, name, sc->err);
    binder b;
    statement_binder(sc, &b);
    value v;
    /* SET x = word: a bare identifier is taken as text, as in DuckDB */
    if (st->set.value->kind == AST_EXPR_COLUMN && st->set.value->column.count == 1) {
        const ast_ident *id = &st->set.value->column.parts[0];
        v = value_varchar(id->name, id->len);
    } else if (!bind_constant(&b, st->set.value, &v)) {
        return false;
    }
    if (v.is_null) return error_set(sc->err, EIDER_ERROR_INVALID_INPUT, "SET %s: the value cannot be NULL", name);
    size_t need = value_to_text(&v, NULL, 0) + 1;
    char *text = arena_alloc(sc->arena, need, sc->err);
    if (!text) return false;
    value_to_text(&v, text, need);
    return settings_set(sc->db, name, text, sc->err);
}

/* ---- DESCRIBE / SHOW ------------------------------------------------------------------------ */

static bool describe_table(statement_context *sc, table_entry *t) {
    uint32_t n = t->column_count;
    const char **names = arena_alloc(sc->arena, sizeof *names * (n ? n : 1), sc->err);
    logical_type *types = arena_alloc(sc->arena, sizeof *types * (n ? n : 1), sc->err);
    bool *not_null = arena_alloc(sc->arena, sizeof *not_null * (n ? n : 1), sc->err);
    if (!names || !types || !not_null) return false;
    for (uint32_t i = 0; i < n; i++)
        names[i] = t->columns[i].name, types[i] = t->columns[i].type, not_null[i] = t->columns[i].not_null;
    table_function_rows rows;
    if (!describe_rows(sc->db, names, types, not_null, n, &rows, sc->err)) return false;
    return rows_into_result(sc, &rows);
}

bool run_describe(statement_context *sc, ast_statement *st) {
    if (st->describe.query) {
        binder b;
        statement_binder(sc, &b);
        relation rel;
        if (!bind_query(&b, st->describe.query, &rel)) return false;
        uint32_t n = rel.column_count;
        const char **names = arena_alloc(sc->arena, sizeof *names * (n ? n : 1), sc->err);
        logical_type *types = arena_alloc(sc->arena, sizeof *types * (n ? n : 1), sc->err);
        if (!names || !types) return false;
        for (uint32_t i = 0; i < n; i++) names[i] = rel.columns[i].name, types[i] = rel.columns[i].type;
        table_function_rows rows;
        if (!describe_rows(sc->db, names, types, NULL, n, &rows, sc->err)) return false;
        return rows_into_result(sc, &rows);
    }
    table_entry *t = lookup_table(sc, &st->describe.table);
    if (!t) return false;
    bool ok = describe_table(sc, t);
    table_entry_unref(t);
    return ok;
}

bool run_show(statement_context *sc, ast_statement *st) {
    if (st->show.tables || st->show.all_tables) {
        table_function_rows rows;
        return show_tables_rows(sc->db, &rows, sc->err) && rows_into_result(sc, &rows);
    }
    const char *name = name_text(sc, &st->show.name.name);
    if (!name) return false;
    table_entry *t = catalog_lookup(sc->db->catalog, name, st->show.name.name.quoted);
    if (t) {
        bool ok = describe_table(sc, t);
        table_entry_unref(t);
        return ok;
    }
    char buf[1024];
    if (!settings_get(sc->db, name, buf, sizeof buf, sc->err)) return false;
    const char *col = name;
    logical_type type = type_make(TYPE_VARCHAR);
    if (!result_set_columns(sc->result, &col, &type, 1, sc->err)) return false;
    chunk *c = chunk_create(sc->arena, &type, 1, sc->err);
    if (!c) return false;
    value v = value_varchar(buf, (uint32_t)strlen(buf));
    bool ok = vector_set_value(c, &c->columns[0], 0, &v, sc->err);
    c->count = 1;
    ok = ok && result_append(sc->result, c, sc->err);
    chunk_destroy(c);
    return ok;
}

/* ---- PRAGMA --------------------------------------------------------------------------------- */

bool run_pragma(statement_context *sc, ast_statement *st) {
    const char *name = name_text(sc, &st->pragma.name);
    if (!name) return false;
    if (!strcasecmp(name, "show_tables")) {
        table_function_rows rows;
        return show_tables_rows(sc->db, &rows, sc->err) && rows_into_result(sc, &rows);
    }
    if ((!strcasecmp(name, "table_info") || !strcasecmp(name, "show")) && st->pragma.arg_count == 1) {
        binder b;
        statement_binder(sc, &b);
        value v;
        if (!bind_constant(&b, st->pragma.args[0], &v)) return false;
        if (v.is_null || v.type.id != TYPE_VARCHAR)
            return error_set(sc->err, EIDER_ERROR_BINDER, "PRAGMA %s expects a table name", name);
        char *tname = arena_strndup(sc->arena, v.u.str.data, v.u.str.length, sc->err);
        table_entry *t = tname ? catalog_lookup(sc->db->catalog, tname, false) : NULL;
        if (!t) return tname && error_set(sc->err, EIDER_ERROR_CATALOG, "Table with name %s does not exist!", tname);
        bool ok = describe_table(sc, t);
        table_entry_unref(t);
        return ok;
    }
    if (st->pragma.pragma_kind == AST_PRAGMA_ASSIGN) {
        ast_statement set = {.kind = AST_STMT_SET};
        set.set.name = st->pragma.name;
        set.set.value = st->pragma.args[0];
        return run_set(sc, &set);
    }
    return error_set(sc->err, EIDER_ERROR_CATALOG, "Pragma Function with name %s does not exist!", name);
}

/* ---- EXPLAIN -------------------------------------------------------------------------------- */

static bool explain_lines(statement_context *sc, physical_op *op, int depth, chunk *c, table_function_rows *rows) {
    char line[256], detail[128] = "";
    if (op->vt->explain) op->vt->explain(op, detail, sizeof detail);
    snprintf(line, sizeof line, "%*s%s%s%s", depth * 2, "", op->vt->name ? op->vt->name : "?", detail[0] ? " " : "",
             detail);
    value v = value_varchar(line, (uint32_t)strlen(line));
    if (!vector_set_value(c, &c->columns[0], c->count, &v, sc->err)) return false;
    if (++c->count == VECTOR_SIZE) {
        if (!column_store_append(rows->rows, c, sc->err)) return false;
        chunk_reset(c);
    }
    for (uint32_t i = 0; i < op->child_count; i++)
        if (!explain_lines(sc, op->children[i], depth + 1, c, rows)) return false;
    return true;
}

bool run_explain(statement_context *sc, ast_statement *st) {
    if (st->explain.analyze) return error_set(sc->err, EIDER_ERROR_NOT_IMPLEMENTED, "EXPLAIN ANALYZE is not supported yet");
    if (st->explain.statement->kind != AST_STMT_SELECT)
        return error_set(sc->err, EIDER_ERROR_NOT_IMPLEMENTED, "EXPLAIN supports queries only");
    binder b;
    statement_binder(sc, &b);
    relation rel;
    if (!bind_query(&b, st->explain.statement->query, &rel)) return false;
    /* what the plan would run: pruning picks each INNER join's build side */
    if (!physical_prune(rel.op, sc->arena, NULL, sc->err)) return false;
    static const char *const names[] = {"physical_plan"};
    logical_type type = type_make(TYPE_VARCHAR);
    table_function_rows rows = {.column_count = 1, .names = names};
    rows.rows = column_store_create(sc->db->pool, &type, 1, TAG_COLUMN_DATA, TAG_COLUMN_DATA, sc->err);
    chunk *c = rows.rows ? chunk_create(sc->arena, &type, 1, sc->err) : NULL;
    bool ok = c && explain_lines(sc, rel.op, 0, c, &rows) && column_store_append(rows.rows, c, sc->err);
    if (c) chunk_destroy(c);
    if (!ok) {
        if (rows.rows) column_store_destroy(rows.rows);
        return false;
    }
    return rows_into_result(sc, &rows);
}

/* ---- COPY ----------------------------------------------------------------------------------- */

/* COPY options as the CSV module takes them: lower-case names, a bare name means TRUE. */
static bool copy_options(statement_context *sc, ast_statement *st, csv_option **out, uint32_t *count) {
    uint32_t n = st->copy.option_count;
    csv_option *opts = arena_alloc(sc->arena, sizeof *opts * (n ? n : 1), sc->err);
    if (!opts) return false;
    binder b;
    statement_binder(sc, &b);
    for (uint32_t i = 0; i < n; i++) {
        ast_copy_option *o = &st->copy.options[i];
        char *name = arena_strndup(sc->arena, o->name.name, o->name.len, sc->err);
        if (!name) return false;
        for (char *c = name; *c; c++) *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
        opts[i].name = name;
        if (!o->value) opts[i].value = value_boolean(true);
        else if (!bind_constant(&b, o->value, &opts[i].value)) return false;
    }
    *out = opts;
    *count = n;
    return true;
}

static bool copy_from(statement_context *sc, ast_statement *st, const char *path) {
    table_entry *t = lookup_table(sc, &st->copy.table);
    if (!t) return false;
    bool ok = false;
    uint32_t tc = t->column_count, nc = st->copy.column_count ? st->copy.column_count : tc;
    int32_t *source_of = arena_alloc(sc->arena, sizeof(int32_t) * (tc ? tc : 1), sc->err);
    logical_type *types = arena_alloc(sc->arena, sizeof(logical_type) * (nc ? nc : 1), sc->err);
    csv_option *opts;
    uint32_t nopts;
    if (!source_of || !types || !copy_options(sc, st, &opts, &nopts)) goto done;
    for (uint32_t c = 0; c < tc; c++) source_of[c] = st->copy.column_count ? -1 : (int32_t)c;
    for (uint32_t i = 0; i < st->copy.column_count; i++) {
        int found = -1;
        for (uint32_t c = 0; c < tc && found < 0; c++)
            if (strlen(t->columns[c].name) == st->copy.columns[i].len &&
                !strncasecmp(t->columns[c].name, st->copy.columns[i].name, st->copy.columns[i].len))
                found = (int)c;
        if (found < 0) {
            error_set(sc->err, EIDER_ERROR_BINDER, "Table \"%s\" does not have a column with name \"%.*s\"", t->name,
                      (int)st->copy.columns[i].len, st->copy.columns[i].name);
            goto done;
        }
        source_of[found] = (int32_t)i;
    }
    for (uint32_t c = 0; c < tc; c++)
        if (source_of[c] >= 0) types[source_of[c]] = t->columns[c].type;
    csv_read_request req = {.path = path, .options = opts, .option_count = nopts, .target_types = types,
                            .target_count = nc};
    csv_scan_plan plan;
    if (!csv_scan_plan_create(sc->db, sc->arena, &req, &plan, sc->err)) goto done;
    bound_expr **ex = arena_alloc(sc->arena, sizeof *ex * (tc ? tc : 1), sc->err);
    if (!ex) goto done;
    for (uint32_t c = 0; c < tc; c++) {
        if (source_of[c] < 0) ex[c] = bexpr_constant(sc->arena, value_null(t->columns[c].type), sc->err);
        else {
            bound_expr *col = bexpr_column(sc->arena, (uint32_t)source_of[c], plan.types[source_of[c]], sc->err);
            ex[c] = col ? bexpr_cast(sc->arena, col, t->columns[c].type, false, sc->err) : NULL;
        }
        if (!ex[c]) goto done;
    }
    physical_op *proj = projection_create(sc->arena, plan.op, ex, tc, sc->err);
    uint64_t rows = 0;
    physical_op *root = proj ? insert_create(sc->arena, proj, t, &rows, sc->err) : NULL;
    ok = root && run_plan(sc, root) && result_set_count(sc, rows);
done:
    table_entry_unref(t);
    return ok;
}

static bool copy_to(statement_context *sc, ast_statement *st, const char *path) {
    binder b;
    statement_binder(sc, &b);
    relation rel;
    if (st->copy.query) {
        if (!bind_query(&b, st->copy.query, &rel)) return false;
    } else {
        /* COPY t [(cols)] TO: the table's rows, or the listed columns */
        ast_select sel;
        memset(&sel, 0, sizeof sel);
        ast_table_ref from;
        memset(&from, 0, sizeof from);
        from.kind = AST_TABLE_BASE;
        from.base = st->copy.table;
        sel.from = &from;
        uint32_t n = st->copy.column_count ? st->copy.column_count : 1;
        ast_select_item *items = arena_alloc(sc->arena, sizeof *items * n, sc->err);
        ast_expr *exprs = arena_alloc(sc->arena, sizeof *exprs * n, sc->err);
        if (!items || !exprs) return false;
        for (uint32_t i = 0; i < n; i++) {
            items[i].expr = &exprs[i];
            exprs[i].depth = 1;
            if (st->copy.column_count) {
                exprs[i].kind = AST_EXPR_COLUMN;
                exprs[i].column.parts = &st->copy.columns[i];
                exprs[i].column.count = 1;
            } else {
                exprs[i].kind = AST_EXPR_STAR;
            }
        }
        sel.items = items;
        sel.item_count = n;
        ast_query q;
        memset(&q, 0, sizeof q);
        q.kind = AST_QUERY_SELECT;
        q.select = &sel;
        if (!bind_query(&b, &q, &rel)) return false;
    }
    csv_option *opts;
    uint32_t nopts;
    if (!copy_options(sc, st, &opts, &nopts)) return false;
    const char **names = arena_alloc(sc->arena, sizeof *names * (rel.column_count ? rel.column_count : 1), sc->err);
    if (!names) return false;
    for (uint32_t i = 0; i < rel.column_count; i++) names[i] = rel.columns[i].name;
    csv_write_request req = {.path = path, .options = opts, .option_count = nopts, .names = names};
    uint64_t rows = 0;
    physical_op *root = csv_write_create(sc->arena, rel.op, &req, &rows, sc->err);
    return root && run_plan(sc, root) && result_set_count(sc, rows);
}

bool run_copy(statement_context *sc, ast_statement *st) {
    const char *path = arena_strndup(sc->arena, st->copy.path, st->copy.path_len, sc->err);
    if (!path) return false;
    return st->copy.is_from ? copy_from(sc, st, path) : copy_to(sc, st, path);
}
