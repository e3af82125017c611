/* Binding of FROM clauses: tables, CTE references, table functions, subqueries and joins, with
 * pushdown of single-item WHERE conjuncts and equality conjuncts turned into hash-join keys. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "execution/hash_join.h"
#include "execution/operators.h"
#include "function/csv.h"
#include "function/table_functions.h"
#include "planner/bind_from.h"

struct cte_binding {
    ast_cte *cte;
    cte_binding *next;
    cte_binding *scope; /* CTEs visible inside this CTE's own query */
};

bool relation_alloc(binder *b, relation *r, physical_op *op, uint32_t count) {
    r->op = op;
    r->column_count = count;
    r->columns = arena_alloc(b->arena, sizeof(scope_column) * (count ? count : 1), b->err);
    return r->columns != NULL;
}

bool relation_project(binder *b, relation *in, bound_expr **exprs, uint32_t count, const char *const *names,
                      relation *out) {
    physical_op *op = projection_create(b->arena, in->op, exprs, count, b->err);
    if (!op || !relation_alloc(b, out, op, count)) return false;
    for (uint32_t i = 0; i < count; i++) {
        out->columns[i].name = names ? names[i] : in->columns[exprs[i]->column].name;
        out->columns[i].type = exprs[i]->type;
    }
    return true;
}

bool binder_push_ctes(binder *b, ast_query *q) {
    for (uint32_t i = 0; i < q->cte_count; i++) {
        for (uint32_t j = 0; j < i; j++)
            if (ident_matches(&q->ctes[i].name, ident_text(b, &q->ctes[j].name)))
                return error_set(b->err, EIDER_ERROR_BINDER, "Duplicate CTE name \"%.*s\"", (int)q->ctes[i].name.len,
                                 q->ctes[i].name.name);
        cte_binding *c = arena_alloc(b->arena, sizeof *c, b->err);
        if (!c) return false;
        c->cte = &q->ctes[i];
        c->scope = b->ctes; /* a CTE sees the ones before it (non-recursive) */
        c->next = b->ctes;
        b->ctes = c;
    }
    return true;
}

/* Renames columns with `AS alias(c1, c2)` and sets the table name of every column. */
static bool apply_alias(binder *b, relation *r, const char *table, const ast_ident *aliases, uint32_t alias_count) {
    if (alias_count > r->column_count)
        return error_set(b->err, EIDER_ERROR_BINDER, "table \"%s\" has %u columns available but %u columns specified",
                         table ? table : "?", r->column_count, alias_count);
    for (uint32_t i = 0; i < r->column_count; i++) {
        r->columns[i].table = table;
        if (i < alias_count && !(r->columns[i].name = ident_text(b, &aliases[i]))) return false;
    }
    return true;
}

static bool bind_csv_function(binder *b, ast_table_ref *ref, ast_expr *f, bool auto_detect, relation *out);

static bool bind_base_table(binder *b, ast_table_ref *ref, relation *out) {
    const ast_ident *name = &ref->base.name;
    const char *alias = ref->alias.name ? ident_text(b, &ref->alias) : ident_text(b, name);
    if (!ref->base.schema.name) {
        for (cte_binding *c = b->ctes; c; c = c->next) {
            if (!ident_matches(name, ident_text(b, &c->cte->name))) continue;
            cte_binding *saved = b->ctes;
            b->ctes = c->scope;
            bool ok = bind_query(b, c->cte->query, out);
            b->ctes = saved;
            if (!ok) return false;
            if (!apply_alias(b, out, NULL, c->cte->columns, c->cte->column_count)) return false;
            return apply_alias(b, out, alias, ref->column_aliases, ref->column_alias_count);
        }
    } else {
        const char *schema = ident_text(b, &ref->base.schema);
        if (strcasecmp(schema, "main") != 0)
            return error_set(b->err, EIDER_ERROR_CATALOG, "Schema with name %s does not exist!", schema);
    }
    const char *table_name = ident_text(b, name);
    if (!table_name) return false;
    table_entry *t = catalog_lookup(b->db->catalog, table_name, name->quoted);
    if (!t) return error_set(b->err, EIDER_ERROR_CATALOG, "Table with name %s does not exist!", table_name);
    uint32_t ids[t->column_count ? t->column_count : 1];
    for (uint32_t i = 0; i < t->column_count; i++) ids[i] = i;
    physical_op *op = table_scan_create(b->arena, t, ids, t->column_count, b->err);
    bool ok = op && relation_alloc(b, out, op, t->column_count);
    for (uint32_t i = 0; ok && i < t->column_count; i++) {
        out->columns[i].name = arena_strdup(b->arena, t->columns[i].name, b->err);
        out->columns[i].type = t->columns[i].type;
        ok = out->columns[i].name != NULL;
    }
    table_entry_unref(t);
    return ok && apply_alias(b, out, alias, ref->column_aliases, ref->column_alias_count);
}

static bool constant_bigint(binder *b, ast_expr *e, int64_t *out) {
    value v;
    if (!bind_constant(b, e, &v)) return false;
    if (v.is_null || !type_is_integral(v.type))
        return error_set(b->err, EIDER_ERROR_BINDER, "range() expects integer arguments");
    *out = v.type.id == TYPE_INTEGER ? v.u.i32 : v.u.i64;
    return true;
}

static bool bind_table_function(binder *b, ast_table_ref *ref, relation *out) {
    ast_expr *f = ref->function;
    const char *name = ident_text(b, &f->function.name);
    if (!name) return false;
    const char *alias = ref->alias.name ? ident_text(b, &ref->alias) : name;
    if (!strcasecmp(name, "range") || !strcasecmp(name, "generate_series")) {
        uint32_t n = f->function.arg_count;
        int64_t args[3] = {0, 0, 1};
        if (n < 1 || n > 3) return error_set(b->err, EIDER_ERROR_BINDER, "%s() takes 1 to 3 arguments", name);
        for (uint32_t i = 0; i < n; i++)
            if (!constant_bigint(b, f->function.args[i], &args[i])) return false;
        int64_t start = n == 1 ? 0 : args[0], end = n == 1 ? args[0] : args[1], step = n == 3 ? args[2] : 1;
        if (!strcasecmp(name, "generate_series")) { /* inclusive end */
            if (step > 0 && end < INT64_MAX) end++;
            else if (step < 0 && end > INT64_MIN) end--;
        }
        physical_op *op = range_create(b->arena, start, end, step, b->err);
        if (!op || !relation_alloc(b, out, op, 1)) return false;
        out->columns[0].name = !strcasecmp(name, "range") ? "range" : "generate_series";
        out->columns[0].type = type_make(TYPE_BIGINT);
        return apply_alias(b, out, alias, ref->column_aliases, ref->column_alias_count);
    }
    if (!strcasecmp(name, "read_csv")) return bind_csv_function(b, ref, f, true, out);
    if (!strcasecmp(name, "read_csv_auto")) return bind_csv_function(b, ref, f, true, out);
    if (table_function_is_builtin(name)) {
        if (f->function.arg_count)
            return error_set(b->err, EIDER_ERROR_BINDER, "%s() takes no arguments", name);
        table_function_rows rows;
        if (!table_function_rows_make(b->db, name, &rows, b->err)) return false;
        physical_op *op = collection_source_create(b->arena, rows.rows, b->err);
        if (!op || !relation_alloc(b, out, op, rows.column_count)) return false;
        for (uint32_t i = 0; i < rows.column_count; i++) {
            out->columns[i].name = rows.names[i];
            out->columns[i].type = op->types[i];
        }
        return apply_alias(b, out, alias, ref->column_aliases, ref->column_alias_count);
    }
    return error_set(b->err, EIDER_ERROR_CATALOG, "Table Function with name %s does not exist!", name);
}

/* columns={'a': 'BIGINT', ...} */
static bool csv_columns_arg(binder *b, ast_expr *e, csv_read_request *req) {
    if (e->kind != AST_EXPR_STRUCT)
        return error_set(b->err, EIDER_ERROR_BINDER, "read_csv: columns must be a struct like {'a': 'BIGINT'}");
    csv_column *cols = arena_alloc(b->arena, sizeof *cols * (e->struct_.count ? e->struct_.count : 1), b->err);
    if (!cols) return false;
    for (uint32_t i = 0; i < e->struct_.count; i++) {
        value v;
        if (!(cols[i].name = ident_text(b, &e->struct_.keys[i])) || !bind_constant(b, e->struct_.values[i], &v))
            return false;
        if (v.is_null || v.type.id != TYPE_VARCHAR)
            return error_set(b->err, EIDER_ERROR_BINDER, "read_csv: the type of column \"%s\" must be a string",
                             cols[i].name);
        char *type_name = arena_strndup(b->arena, v.u.str.data, v.u.str.length, b->err);
        if (!type_name) return false;
        if (!type_from_name(type_name, -1, -1, &cols[i].type))
            return error_set(b->err, EIDER_ERROR_CATALOG, "Type with name %s does not exist!", type_name);
    }
    req->columns = cols;
    req->column_count = e->struct_.count;
    return true;
}

/* read_csv(path, name=value, ...), read_csv_auto(...) and FROM 'file.csv'. */
static bool bind_csv(binder *b, ast_table_ref *ref, const char *path, ast_expr *call, bool auto_detect,
                     relation *out) {
    csv_read_request req;
    memset(&req, 0, sizeof req);
    req.path = path;
    req.auto_detect = auto_detect;
    if (call) {
        uint32_t n = call->function.arg_count;
        csv_option *opts = arena_alloc(b->arena, sizeof *opts * (n ? n : 1), b->err);
        if (!opts) return false;
        for (uint32_t i = 0; i < n; i++) {
            const ast_ident *name = call->function.arg_names ? &call->function.arg_names[i] : NULL;
            if (!name || !name->name) {
                if (i == 0) continue; /* the path */
                return error_set(b->err, EIDER_ERROR_BINDER, "read_csv takes one positional argument, the path");
            }
            char *lower = arena_strndup(b->arena, name->name, name->len, b->err);
            if (!lower) return false;
            for (char *c = lower; *c; c++) *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
            if (!strcmp(lower, "columns")) {
                if (!csv_columns_arg(b, call->function.args[i], &req)) return false;
                continue;
            }
            opts[req.option_count].name = lower;
            if (!bind_constant(b, call->function.args[i], &opts[req.option_count].value)) return false;
            req.option_count++;
        }
        req.options = opts;
    }
    csv_scan_plan plan;
    if (!csv_scan_plan_create(b->db, b->arena, &req, &plan, b->err)) return false;
    if (!relation_alloc(b, out, plan.op, plan.column_count)) return false;
    for (uint32_t i = 0; i < plan.column_count; i++) {
        out->columns[i].name = plan.names[i];
        out->columns[i].type = plan.types[i];
    }
    const char *alias = ref->alias.name ? ident_text(b, &ref->alias) : NULL;
    if (!alias) { /* the table is named after the file, without directories and extensions */
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        const char *dot = strchr(base, '.');
        alias = arena_strndup(b->arena, base, dot ? (size_t)(dot - base) : strlen(base), b->err);
        if (!alias) return false;
    }
    return apply_alias(b, out, alias, ref->column_aliases, ref->column_alias_count);
}

static bool bind_file_ref(binder *b, ast_table_ref *ref, relation *out) {
    const char *path = arena_strndup(b->arena, ref->file.path, ref->file.path_len, b->err);
    return path && bind_csv(b, ref, path, NULL, true, out);
}

static bool bind_csv_function(binder *b, ast_table_ref *ref, ast_expr *f, bool auto_detect, relation *out) {
    if (f->function.arg_count < 1 || (f->function.arg_names && f->function.arg_names[0].name))
        return error_set(b->err, EIDER_ERROR_BINDER, "read_csv needs the file path as its first argument");
    value v;
    if (!bind_constant(b, f->function.args[0], &v)) return false;
    if (v.is_null || v.type.id != TYPE_VARCHAR)
        return error_set(b->err, EIDER_ERROR_BINDER, "read_csv: the path must be a string");
    const char *path = arena_strndup(b->arena, v.u.str.data, v.u.str.length, b->err);
    return path && bind_csv(b, ref, path, f, auto_detect, out);
}

static bool bind_subquery_ref(binder *b, ast_table_ref *ref, relation *out) {
    if (!bind_query(b, ref->subquery, out)) return false;
    const char *alias = ref->alias.name ? ident_text(b, &ref->alias) : NULL;
    return apply_alias(b, out, alias, ref->column_aliases, ref->column_alias_count);
}

/* ---- joins -------------------------------------------------------------------------------- */

static bool concat_scope(binder *b, const relation *l, const relation *r, physical_op *op, relation *out) {
    if (!relation_alloc(b, out, op, l->column_count + r->column_count)) return false;
    memcpy(out->columns, l->columns, sizeof(scope_column) * l->column_count);
    memcpy(out->columns + l->column_count, r->columns, sizeof(scope_column) * r->column_count);
    return true;
}

static uint32_t count_conjuncts(const bound_expr *e) {
    if (e->kind != BEXPR_AND) return 1;
    uint32_t n = 0;
    for (uint32_t i = 0; i < e->arg_count; i++) n += count_conjuncts(e->args[i]);
    return n;
}

static uint32_t split_conjuncts(bound_expr *e, bound_expr **out) {
    if (e->kind != BEXPR_AND) {
        out[0] = e;
        return 1;
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < e->arg_count; i++) n += split_conjuncts(e->args[i], out + n);
    return n;
}

/* Splits an expression into its AND-ed conjuncts. */
static bool conjunct_list(binder *b, bound_expr *e, bound_expr ***out, uint32_t *count) {
    *out = arena_alloc(b->arena, sizeof(bound_expr *) * count_conjuncts(e), b->err);
    if (!*out) return false;
    *count = split_conjuncts(e, *out);
    return true;
}

static bound_expr *and_all(binder *b, bound_expr **list, uint32_t n) {
    if (n == 1) return list[0];
    return bexpr_logical(b->arena, BEXPR_AND, list, n, b->err);
}

/* Side of a conjunct: 1 = only left columns, 2 = only right, 3 = both, 0 = none. */
static int conjunct_side(const bound_expr *e, uint32_t left_count) {
    uint32_t lo, hi;
    if (!bexpr_column_range(e, &lo, &hi)) return 0;
    if (hi < left_count) return 1;
    if (lo >= left_count) return 2;
    return 3;
}

static bool is_equality(const bound_expr *e) {
    return e->kind == BEXPR_FUNCTION && e->arg_count == 2 && !strcmp(e->fn.name, "=");
}

/* Wraps rel's op in a filter on pred (columns of rel). */
static bool push_filter(binder *b, relation *rel, bound_expr *pred) {
    physical_op *f = filter_create(b->arena, rel->op, pred, b->err);
    if (!f) return false;
    rel->op = f;
    return true;
}

/* Projects rel's columns plus the given extra key expressions; returns the key columns. */
static bool add_key_columns(binder *b, relation *rel, bound_expr **keys, uint32_t n, uint32_t *key_columns) {
    bool need = false;
    for (uint32_t i = 0; i < n; i++) {
        if (keys[i]->kind == BEXPR_COLUMN) key_columns[i] = keys[i]->column;
        else need = true;
    }
    if (!need) return true;
    uint32_t total = rel->column_count + n;
    bound_expr **exprs = arena_alloc(b->arena, sizeof *exprs * total, b->err);
    if (!exprs) return false;
    for (uint32_t i = 0; i < rel->column_count; i++)
        if (!(exprs[i] = bexpr_column(b->arena, i, rel->columns[i].type, b->err))) return false;
    for (uint32_t i = 0; i < n; i++) {
        exprs[rel->column_count + i] = keys[i];
        key_columns[i] = rel->column_count + i;
    }
    physical_op *op = projection_create(b->arena, rel->op, exprs, total, b->err);
    if (!op) return false;
    rel->op = op;
    return true;
}

/* Joins left and right on conjuncts (columns of left ++ right). Equalities across the sides
 * become hash keys; conjuncts on one side are pushed down onto a side whose rows the join does
 * not keep (INNER: both; LEFT, SEMI, ANTI: the right; RIGHT: the left; FULL: neither); what is
 * left filters the result (INNER) or is refused (the other joins). */
static bool join_relations(binder *b, relation *left, relation *right, join_type type, bound_expr **conj,
                           uint32_t conj_count, relation *out) {
    uint32_t lc = left->column_count, rc = right->column_count;
    bound_expr **lkeys = arena_alloc(b->arena, sizeof(bound_expr *) * (conj_count + 1), b->err);
    bound_expr **rkeys = arena_alloc(b->arena, sizeof(bound_expr *) * (conj_count + 1), b->err);
    bound_expr **rest = arena_alloc(b->arena, sizeof(bound_expr *) * (conj_count + 1), b->err);
    if (!lkeys || !rkeys || !rest) return false;
    uint32_t nkeys = 0, nrest = 0;
    for (uint32_t i = 0; i < conj_count; i++) {
        bound_expr *c = conj[i];
        int side = conjunct_side(c, lc);
        if (side == 2 && type != JOIN_RIGHT && type != JOIN_FULL) { /* right side only: filter the right input */
            bound_expr *shifted = bexpr_shift(b->arena, c, -(int64_t)lc, b->err);
            if (!shifted || !push_filter(b, right, shifted)) return false;
            continue;
        }
        if (side == 1 && (type == JOIN_INNER || type == JOIN_RIGHT)) {
            if (!push_filter(b, left, c)) return false;
            continue;
        }
        if (side == 3 && is_equality(c)) {
            int s0 = conjunct_side(c->args[0], lc), s1 = conjunct_side(c->args[1], lc);
            if ((s0 == 1 && s1 == 2) || (s0 == 2 && s1 == 1)) {
                bound_expr *l = s0 == 1 ? c->args[0] : c->args[1];
                bound_expr *r = s0 == 1 ? c->args[1] : c->args[0];
                if (!(r = bexpr_shift(b->arena, r, -(int64_t)lc, b->err))) return false;
                lkeys[nkeys] = l;
                rkeys[nkeys++] = r;
                continue;
            }
        }
        rest[nrest++] = c;
    }
    if (nrest && type != JOIN_INNER)
        return error_set(b->err, EIDER_ERROR_NOT_IMPLEMENTED,
                         "this join condition is not supported yet for outer, semi and anti joins: only equalities "
                         "between the two sides and conditions on the side whose rows the join does not keep");
    physical_op *op;
    if (nkeys == 0) {
        if (type != JOIN_INNER)
            return error_set(b->err, EIDER_ERROR_NOT_IMPLEMENTED,
                             "outer, semi and anti joins need at least one equality between the two sides");
        op = cross_product_create(b->arena, left->op, right->op, b->err);
        if (!op || !concat_scope(b, left, right, op, out)) return false;
    } else {
        uint32_t lcols[nkeys], rcols[nkeys];
        uint32_t l_before = left->column_count, r_before = right->column_count;
        if (!add_key_columns(b, left, lkeys, nkeys, lcols) || !add_key_columns(b, right, rkeys, nkeys, rcols))
            return false;
        /* the right side is the build side, except that a LEFT, RIGHT or FULL join whose right
         * side is expected to be much larger than its left builds the left side (as a RIGHT, LEFT
         * or FULL join); an INNER join picks its build side when the plan is pruned, knowing which
         * columns each side must produce (join_prune in hash_join.c) */
        uint64_t l_rows = left->op->estimated_rows, r_rows = right->op->estimated_rows;
        bool swap = (type == JOIN_LEFT || type == JOIN_RIGHT || type == JOIN_FULL) && l_rows > 0 && r_rows / 2 > l_rows;
        static const join_type mirrored[] = {
            [JOIN_LEFT] = JOIN_RIGHT, [JOIN_RIGHT] = JOIN_LEFT, [JOIN_FULL] = JOIN_FULL};
        if (swap)
            op = hash_join_create(b->arena, right->op, left->op, mirrored[type], rcols, lcols, nkeys, b->err);
        else op = hash_join_create(b->arena, left->op, right->op, type, lcols, rcols, nkeys, b->err);
        if (!op) return false;
        bool projected = swap || left->op->column_count != l_before || right->op->column_count != r_before;
        if (type == JOIN_SEMI || type == JOIN_ANTI) {
            relation joined = {.op = op, .columns = left->columns, .column_count = lc};
            if (projected) { /* drop the key columns added to the left side */
                bound_expr **ex = arena_alloc(b->arena, sizeof *ex * lc, b->err);
                if (!ex) return false;
                for (uint32_t i = 0; i < lc; i++)
                    if (!(ex[i] = bexpr_column(b->arena, i, left->columns[i].type, b->err))) return false;
                if (!(joined.op = projection_create(b->arena, op, ex, lc, b->err))) return false;
            }
            *out = joined;
            return true;
        }
        if (projected) { /* the left columns, then the right ones, without added key columns */
            uint32_t l_at = swap ? right->op->column_count : 0, r_at = swap ? 0 : left->op->column_count;
            bound_expr **ex = arena_alloc(b->arena, sizeof *ex * (lc + rc), b->err);
            if (!ex) return false;
            for (uint32_t i = 0; i < lc; i++)
                if (!(ex[i] = bexpr_column(b->arena, l_at + i, left->columns[i].type, b->err))) return false;
            for (uint32_t i = 0; i < rc; i++)
                if (!(ex[lc + i] = bexpr_column(b->arena, r_at + i, right->columns[i].type, b->err))) return false;
            if (!(op = projection_create(b->arena, op, ex, lc + rc, b->err))) return false;
        }
        if (!concat_scope(b, left, right, op, out)) return false;
    }
    if (nrest) return push_filter(b, out, and_all(b, rest, nrest));
    return true;
}

static bool bind_from_item(binder *b, ast_table_ref *ref, relation *out);

/* USING (a, b) / NATURAL: equalities on same-named columns; the right copies are hidden. pairs
 * receives, per equality, the left column and the right one (columns of left ++ right). */
static bool using_conjuncts(binder *b, ast_table_ref *ref, relation *l, relation *r, bound_expr ***conj,
                            uint32_t *count, uint32_t **pairs) {
    uint32_t cap = ref->join.using_count + r->column_count + 1;
    *conj = arena_alloc(b->arena, sizeof(bound_expr *) * cap, b->err);
    *pairs = arena_alloc(b->arena, sizeof(uint32_t) * 2 * cap, b->err);
    if (!*conj || !*pairs) return false;
    *count = 0;
    for (uint32_t ri = 0; ri < r->column_count; ri++) {
        bool wanted = false;
        if (ref->join.natural) {
            for (uint32_t li = 0; li < l->column_count && !wanted; li++)
                wanted = !strcasecmp(l->columns[li].name, r->columns[ri].name);
        } else {
            for (uint32_t u = 0; u < ref->join.using_count && !wanted; u++)
                wanted = ident_matches(&ref->join.using_columns[u], r->columns[ri].name);
        }
        if (!wanted) continue;
        int li = -1;
        for (uint32_t k = 0; k < l->column_count; k++)
            if (!l->columns[k].hidden && !strcasecmp(l->columns[k].name, r->columns[ri].name)) li = (int)k;
        if (li < 0)
            return error_set(b->err, EIDER_ERROR_BINDER, "Column \"%s\" does not exist on left side of join!",
                             r->columns[ri].name);
        bound_expr *le = bexpr_column(b->arena, (uint32_t)li, l->columns[li].type, b->err);
        bound_expr *re = bexpr_column(b->arena, l->column_count + ri, r->columns[ri].type, b->err);
        bound_expr *args[2] = {le, re};
        (*pairs)[2 * *count] = (uint32_t)li;
        (*pairs)[2 * *count + 1] = l->column_count + ri;
        if (!le || !re || !((*conj)[(*count)++] = bexpr_function(b->arena, "=", args, 2, b->err))) return false;
        r->columns[ri].hidden = true;
    }
    if (!ref->join.natural && *count < ref->join.using_count)
        return error_set(b->err, EIDER_ERROR_BINDER, "a column named in USING does not exist on both sides of the join");
    return true;
}

/* RIGHT and FULL JOIN with USING or NATURAL: an unqualified USING column is the non-NULL one of
 * the two sides' (coalesce, as in DuckDB), in the left column's place; the left column itself is
 * kept, hidden, for references that name its table. pairs[2k], pairs[2k+1]: a left column and the
 * right column it equals (columns of `in`). */
static bool coalesce_using_columns(binder *b, relation *in, const uint32_t *pairs, uint32_t n, relation *out) {
    uint32_t total = in->column_count + n;
    bound_expr **ex = arena_alloc(b->arena, sizeof *ex * total, b->err);
    const char **names = arena_alloc(b->arena, sizeof *names * total, b->err);
    if (!ex || !names) return false;
    for (uint32_t i = 0; i < in->column_count; i++) {
        if (!(ex[i] = bexpr_column(b->arena, i, in->columns[i].type, b->err))) return false;
        names[i] = in->columns[i].name;
    }
    for (uint32_t k = 0; k < n; k++) {
        uint32_t li = pairs[2 * k], ri = pairs[2 * k + 1];
        bound_expr *args[2] = {ex[li], ex[ri]};
        ex[in->column_count + k] = ex[li];
        names[in->column_count + k] = in->columns[li].name;
        if (!(ex[li] = bexpr_function(b->arena, "coalesce", args, 2, b->err))) return false;
    }
    if (!relation_project(b, in, ex, total, names, out)) return false;
    for (uint32_t i = 0; i < in->column_count; i++) {
        out->columns[i].table = in->columns[i].table;
        out->columns[i].hidden = in->columns[i].hidden;
    }
    for (uint32_t k = 0; k < n; k++) {
        uint32_t li = pairs[2 * k];
        out->columns[li].table = NULL;
        out->columns[in->column_count + k].table = in->columns[li].table;
        out->columns[in->column_count + k].hidden = true;
    }
    return true;
}

static bool bind_join(binder *b, ast_table_ref *ref, relation *out) {
    relation l, r;
    if (!bind_from_item(b, ref->join.left, &l) || !bind_from_item(b, ref->join.right, &r)) return false;
    ast_join_type jt = ref->join.type;
    if (jt == AST_JOIN_CROSS) {
        physical_op *op = cross_product_create(b->arena, l.op, r.op, b->err);
        return op && concat_scope(b, &l, &r, op, out);
    }
    bound_expr **conj = NULL;
    uint32_t count = 0, *pairs = NULL;
    bool using = ref->join.using_count || ref->join.natural;
    if (using) {
        if (!using_conjuncts(b, ref, &l, &r, &conj, &count, &pairs)) return false;
    } else if (ref->join.on) {
        relation both;
        if (!concat_scope(b, &l, &r, NULL, &both)) return false;
        expr_scope s = {.rel = &both, .clause = "JOIN conditions"};
        bound_expr *on = bind_expr(b, &s, ref->join.on);
        if (!on || !(on = bexpr_cast(b->arena, on, type_make(TYPE_BOOLEAN), false, b->err))) return false;
        if (!conjunct_list(b, on, &conj, &count)) return false;
    } else {
        physical_op *op = cross_product_create(b->arena, l.op, r.op, b->err);
        return op && concat_scope(b, &l, &r, op, out);
    }
    join_type type = jt == AST_JOIN_LEFT    ? JOIN_LEFT
                     : jt == AST_JOIN_RIGHT ? JOIN_RIGHT
                     : jt == AST_JOIN_FULL  ? JOIN_FULL
                     : jt == AST_JOIN_SEMI  ? JOIN_SEMI
                     : jt == AST_JOIN_ANTI  ? JOIN_ANTI
                                            : JOIN_INNER;
    /* RIGHT and FULL are joined natively, the right side as the build side: the hash join emits the
     * build rows no probe row matched after the probe */
    if (!using || (type != JOIN_RIGHT && type != JOIN_FULL)) return join_relations(b, &l, &r, type, conj, count, out);
    relation joined;
    return join_relations(b, &l, &r, type, conj, count, &joined) &&
           coalesce_using_columns(b, &joined, pairs, count, out);
}

static bool bind_from_item(binder *b, ast_table_ref *ref, relation *out) {
    if (++b->depth > 200) return error_set(b->err, EIDER_ERROR_BINDER, "query nesting is too deep");
    bool ok;
    switch (ref->kind) {
    case AST_TABLE_BASE: ok = bind_base_table(b, ref, out); break;
    case AST_TABLE_FUNCTION: ok = bind_table_function(b, ref, out); break;
    case AST_TABLE_SUBQUERY: ok = bind_subquery_ref(b, ref, out); break;
    case AST_TABLE_JOIN: ok = bind_join(b, ref, out); break;
    case AST_TABLE_FILE: ok = bind_file_ref(b, ref, out); break;
    default: ok = error_set(b->err, EIDER_ERROR_INTERNAL, "unknown FROM item"); break;
    }
    b->depth--;
    return ok;
}

/* Flattens a tree of comma joins / CROSS JOINs into its items. */
static uint32_t flatten_cross(ast_table_ref *ref, ast_table_ref **items, uint32_t cap) {
    if (ref->kind == AST_TABLE_JOIN && ref->join.type == AST_JOIN_CROSS && cap > 1) {
        uint32_t n = flatten_cross(ref->join.left, items, cap - 1);
        items[n++] = ref->join.right;
        return n;
    }
    items[0] = ref;
    return 1;
}

#define MAX_FROM_ITEMS 64

bool bind_from_where(binder *b, ast_table_ref *from, ast_expr *where, relation *out) {
    ast_table_ref *items[MAX_FROM_ITEMS];
    uint32_t n = flatten_cross(from, items, MAX_FROM_ITEMS);
    relation rels[MAX_FROM_ITEMS];
    uint32_t offset[MAX_FROM_ITEMS + 1];
    offset[0] = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!bind_from_item(b, items[i], &rels[i])) return false;
        offset[i + 1] = offset[i] + rels[i].column_count;
    }
    /* the whole scope, to bind WHERE */
    relation all;
    if (!relation_alloc(b, &all, NULL, offset[n])) return false;
    for (uint32_t i = 0; i < n; i++)
        memcpy(all.columns + offset[i], rels[i].columns, sizeof(scope_column) * rels[i].column_count);
    bound_expr **conj = NULL;
    uint32_t count = 0;
    if (where) {
        if (ast_contains_aggregate(where))
            return error_set(b->err, EIDER_ERROR_BINDER, "WHERE clause cannot contain aggregates!");
        expr_scope s = {.rel = &all, .clause = "WHERE"};
        bound_expr *pred = bind_expr(b, &s, where);
        if (!pred || !(pred = bexpr_cast(b->arena, pred, type_make(TYPE_BOOLEAN), false, b->err))) return false;
        if (!conjunct_list(b, pred, &conj, &count)) return false;
    }
    /* join left to right: at step i the accumulated relation holds items 0..i-1 */
    bool *used = arena_alloc(b->arena, sizeof(bool) * (count + 1), b->err);
    if (!used) return false;
    relation acc = rels[0];
    for (uint32_t i = 1; i <= n; i++) {
        /* conjuncts that are now fully available and touch the newest item */
        bound_expr **now = arena_alloc(b->arena, sizeof(bound_expr *) * (count + 1), b->err);
        if (!now) return false;
        uint32_t nnow = 0;
        for (uint32_t c = 0; c < count; c++) {
            uint32_t mn, mx;
            if (used[c]) continue;
            bool any = bexpr_column_range(conj[c], &mn, &mx);
            (void)mn;
            if (i == n || !any || mx < offset[i]) { /* evaluable on acc: items 0..i-1 */
                now[nnow++] = conj[c];
                used[c] = true;
            }
        }
        if (nnow && !push_filter(b, &acc, and_all(b, now, nnow))) return false;
        if (i == n) break;
        /* join acc with item i on the conjuncts that need exactly these columns */
        nnow = 0;
        uint32_t hi2 = offset[i + 1];
        for (uint32_t c = 0; c < count; c++) {
            uint32_t mn, mx;
            if (used[c] || !bexpr_column_range(conj[c], &mn, &mx) || mx >= hi2) continue;
            now[nnow++] = conj[c];
            used[c] = true;
        }
        relation joined;
        if (!join_relations(b, &acc, &rels[i], JOIN_INNER, now, nnow, &joined)) return false;
        acc = joined;
    }
    *out = acc;
    return true;
}
