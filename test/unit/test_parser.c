/* Unit tests of the SQL parser: the AST of each statement and expression form, precedence,
 * error messages, limits, identifier case and quoting. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "memory/pool.h"
#include "parser/parser.h"
#include "parser/tokenizer.h"
#include "test_util.h"

static buffer_pool *pool;

#define CHECK_STR(got, want)                                                                           \
    do {                                                                                               \
        const char *g_ = (got), *w_ = (want);                                                          \
        if (g_ && strcmp(g_, w_) == 0) {                                                               \
            passed++;                                                                                  \
        } else {                                                                                       \
            failed++;                                                                                  \
            fprintf(stderr, "%s:%d: got  [%s]\n%*swant [%s]\n", __FILE__, __LINE__, g_ ? g_ : "(null)", \
                    (int)strlen(__FILE__) + 6, "", w_);                                                \
        }                                                                                              \
    } while (0)

/* ---- an s-expression printer for ASTs ------------------------------------------------------ */

typedef struct sbuf {
    char data[8192];
    size_t len;
} sbuf;

static void put(sbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (b->len < sizeof b->data) {
        int n = vsnprintf(b->data + b->len, sizeof b->data - b->len, fmt, ap);
        if (n > 0) b->len += (size_t)n;
        if (b->len >= sizeof b->data) b->len = sizeof b->data - 1;
    }
    va_end(ap);
}

static void put_ident(sbuf *b, const ast_ident *id) {
    if (id->quoted) put(b, "\"%s\"", id->name);
    else put(b, "%s", id->name);
}

static void print_query(sbuf *b, const ast_query *q);
static void print_expr(sbuf *b, const ast_expr *e);

static void print_order(sbuf *b, const ast_order_by *o) {
    put(b, "(ORDER");
    if (o->all) put(b, " ALL");
    for (uint32_t i = 0; i < o->count; i++) {
        if (o->items[i].expr) {
            put(b, " ");
            print_expr(b, o->items[i].expr);
        }
        if (o->items[i].dir == AST_ORDER_ASC) put(b, " ASC");
        if (o->items[i].dir == AST_ORDER_DESC) put(b, " DESC");
        if (o->items[i].nulls == AST_NULLS_FIRST) put(b, " NULLS_FIRST");
        if (o->items[i].nulls == AST_NULLS_LAST) put(b, " NULLS_LAST");
    }
    put(b, ")");
}

static void print_bound(sbuf *b, const ast_frame_bound *fb) {
    static const char *names[] = {"DEFAULT", "UNBOUNDED_PRECEDING", "PRECEDING", "CURRENT_ROW", "FOLLOWING",
                                  "UNBOUNDED_FOLLOWING"};
    put(b, " ");
    if (fb->offset) {
        print_expr(b, fb->offset);
        put(b, "_");
    }
    put(b, "%s", names[fb->kind]);
}

static void print_type(sbuf *b, const ast_type_name *t) {
    put(b, "%s", t->name);
    if (t->param_count == 1) put(b, "(%lld)", (long long)t->width);
    if (t->param_count == 2) put(b, "(%lld,%lld)", (long long)t->width, (long long)t->scale);
    for (uint32_t i = 0; i < t->array_dims; i++) put(b, "[]");
}

static void print_expr(sbuf *b, const ast_expr *e) {
    static const char *units[] = {"", "YEAR", "MONTH", "WEEK", "DAY", "HOUR", "MINUTE", "SECOND", "MS", "US"};
    switch (e->kind) {
    case AST_EXPR_CONSTANT:
        switch (e->literal.kind) {
        case AST_LIT_NULL: put(b, "NULL"); break;
        case AST_LIT_BOOLEAN: put(b, e->literal.boolean ? "TRUE" : "FALSE"); break;
        case AST_LIT_INTEGER: put(b, "%lld", (long long)e->literal.integer); break;
        case AST_LIT_BIG_INTEGER: put(b, "big:%s", e->literal.text); break;
        case AST_LIT_DECIMAL: put(b, "dec:%s", e->literal.text); break;
        case AST_LIT_DOUBLE: put(b, "dbl:%s", e->literal.text); break;
        case AST_LIT_STRING: put(b, "'%s'", e->literal.text); break;
        }
        break;
    case AST_EXPR_COLUMN:
        for (uint32_t i = 0; i < e->column.count; i++) {
            if (i) put(b, ".");
            put_ident(b, &e->column.parts[i]);
        }
        break;
    case AST_EXPR_STAR:
        if (e->star.relation.name) put(b, "%s.", e->star.relation.name);
        put(b, "*");
        if (e->star.exclude_count) {
            put(b, " EXCLUDE(");
            for (uint32_t i = 0; i < e->star.exclude_count; i++) put(b, i ? " %s" : "%s", e->star.exclude[i].name);
            put(b, ")");
        }
        if (e->star.replace_count) {
            put(b, " REPLACE(");
            for (uint32_t i = 0; i < e->star.replace_count; i++) {
                if (i) put(b, " ");
                print_expr(b, e->star.replace_exprs[i]);
                put(b, " AS %s", e->star.replace_names[i].name);
            }
            put(b, ")");
        }
        break;
    case AST_EXPR_PARAMETER: put(b, "%s%u", e->parameter.dollar ? "$" : "?", e->parameter.index); break;
    case AST_EXPR_UNARY:
        put(b, "(%s ", e->unary.op == AST_UNARY_NOT ? "NOT" : e->unary.op == AST_UNARY_NEGATE ? "-" : "+");
        print_expr(b, e->unary.operand);
        put(b, ")");
        break;
    case AST_EXPR_BINARY:
        put(b, "(%s ", ast_binary_op_text(e->binary.op));
        print_expr(b, e->binary.left);
        put(b, " ");
        print_expr(b, e->binary.right);
        put(b, ")");
        break;
    case AST_EXPR_IS_NULL:
        put(b, e->is.negated ? "(IS_NOT_NULL " : "(IS_NULL ");
        print_expr(b, e->is.operand);
        put(b, ")");
        break;
    case AST_EXPR_IS_BOOL:
        put(b, "(IS%s_%s ", e->is.negated ? "_NOT" : "", e->is.value ? "TRUE" : "FALSE");
        print_expr(b, e->is.operand);
        put(b, ")");
        break;
    case AST_EXPR_IS_DISTINCT:
        put(b, e->distinct.negated ? "(IS_NOT_DISTINCT " : "(IS_DISTINCT ");
        print_expr(b, e->distinct.left);
        put(b, " ");
        print_expr(b, e->distinct.right);
        put(b, ")");
        break;
    case AST_EXPR_LIKE: {
        static const char *k[] = {"LIKE", "ILIKE", "GLOB", "SIMILAR"};
        put(b, "(%s%s ", e->like.negated ? "NOT_" : "", k[e->like.like_kind]);
        print_expr(b, e->like.operand);
        put(b, " ");
        print_expr(b, e->like.pattern);
        if (e->like.escape) {
            put(b, " ESCAPE ");
            print_expr(b, e->like.escape);
        }
        put(b, ")");
        break;
    }
    case AST_EXPR_BETWEEN:
        put(b, "(%sBETWEEN ", e->between.negated ? "NOT_" : "");
        print_expr(b, e->between.operand);
        put(b, " ");
        print_expr(b, e->between.low);
        put(b, " ");
        print_expr(b, e->between.high);
        put(b, ")");
        break;
    case AST_EXPR_IN_LIST:
        put(b, "(%sIN ", e->in_list.negated ? "NOT_" : "");
        print_expr(b, e->in_list.operand);
        for (uint32_t i = 0; i < e->in_list.count; i++) {
            put(b, " ");
            print_expr(b, e->in_list.items[i]);
        }
        put(b, ")");
        break;
    case AST_EXPR_IN_SUBQUERY:
        put(b, "(%sIN ", e->in_subquery.negated ? "NOT_" : "");
        print_expr(b, e->in_subquery.operand);
        put(b, " ");
        print_query(b, e->in_subquery.query);
        put(b, ")");
        break;
    case AST_EXPR_FUNCTION:
        if (e->function.schema.name) put(b, "%s.", e->function.schema.name);
        put_ident(b, &e->function.name);
        put(b, "(");
        if (e->function.distinct) put(b, "DISTINCT ");
        if (e->function.star) put(b, "*");
        for (uint32_t i = 0; i < e->function.arg_count; i++) {
            if (i) put(b, " ");
            if (e->function.arg_names && e->function.arg_names[i].name) put(b, "%s:=", e->function.arg_names[i].name);
            print_expr(b, e->function.args[i]);
        }
        if (e->function.order_by.count) {
            put(b, " ");
            print_order(b, &e->function.order_by);
        }
        put(b, ")");
        if (e->function.filter) {
            put(b, " FILTER ");
            print_expr(b, e->function.filter);
        }
        if (e->function.ignore_nulls) put(b, " IGNORE_NULLS");
        if (e->function.over) {
            const ast_window *w = e->function.over;
            put(b, " OVER(");
            if (w->name.name) put(b, "%s", w->name.name);
            if (w->partition_count) {
                put(b, "PARTITION");
                for (uint32_t i = 0; i < w->partition_count; i++) {
                    put(b, " ");
                    print_expr(b, w->partition_by[i]);
                }
            }
            if (w->order_by.count) {
                put(b, " ");
                print_order(b, &w->order_by);
            }
            if (w->frame_unit != AST_FRAME_NONE) {
                put(b, " %s", w->frame_unit == AST_FRAME_ROWS ? "ROWS" : w->frame_unit == AST_FRAME_RANGE ? "RANGE" : "GROUPS");
                print_bound(b, &w->start);
                print_bound(b, &w->end);
            }
            put(b, ")");
        }
        break;
    case AST_EXPR_CASE:
        put(b, "(CASE");
        if (e->case_.operand) {
            put(b, " ");
            print_expr(b, e->case_.operand);
        }
        for (uint32_t i = 0; i < e->case_.count; i++) {
            put(b, " (WHEN ");
            print_expr(b, e->case_.whens[i]);
            put(b, " ");
            print_expr(b, e->case_.thens[i]);
            put(b, ")");
        }
        if (e->case_.else_expr) {
            put(b, " ELSE ");
            print_expr(b, e->case_.else_expr);
        }
        put(b, ")");
        break;
    case AST_EXPR_CAST:
        put(b, "(%s ", e->cast.try_cast ? "TRY_CAST" : "CAST");
        print_expr(b, e->cast.operand);
        put(b, " ");
        print_type(b, &e->cast.type);
        put(b, ")");
        break;
    case AST_EXPR_SUBQUERY:
        put(b, "(SUBQUERY ");
        print_query(b, e->subquery.query);
        put(b, ")");
        break;
    case AST_EXPR_EXISTS:
        put(b, "(EXISTS ");
        print_query(b, e->subquery.query);
        put(b, ")");
        break;
    case AST_EXPR_INTERVAL:
        put(b, "(INTERVAL ");
        print_expr(b, e->interval.value);
        if (e->interval.unit) put(b, " %s", units[e->interval.unit]);
        put(b, ")");
        break;
    case AST_EXPR_STRUCT:
        put(b, "{");
        for (uint32_t i = 0; i < e->struct_.count; i++) {
            put(b, i ? ", %s: " : "%s: ", e->struct_.keys[i].name);
            print_expr(b, e->struct_.values[i]);
        }
        put(b, "}");
        break;
    case AST_EXPR_LIST:
        put(b, "[");
        for (uint32_t i = 0; i < e->list.count; i++) {
            if (i) put(b, " ");
            print_expr(b, e->list.items[i]);
        }
        put(b, "]");
        break;
    case AST_EXPR_COLLATE:
        put(b, "(COLLATE ");
        print_expr(b, e->collate.operand);
        put(b, " %s)", e->collate.collation.name);
        break;
    }
}

static void print_alias(sbuf *b, const ast_table_ref *r) {
    if (r->alias.name) {
        put(b, " AS ");
        put_ident(b, &r->alias);
    }
    if (r->column_alias_count) {
        put(b, "(");
        for (uint32_t i = 0; i < r->column_alias_count; i++) put(b, i ? " %s" : "%s", r->column_aliases[i].name);
        put(b, ")");
    }
}

static void print_table(sbuf *b, const ast_table_ref *r) {
    static const char *joins[] = {"INNER", "LEFT", "RIGHT", "FULL", "CROSS", "SEMI", "ANTI"};
    switch (r->kind) {
    case AST_TABLE_BASE:
        if (r->base.schema.name) put(b, "%s.", r->base.schema.name);
        put_ident(b, &r->base.name);
        break;
    case AST_TABLE_FUNCTION: print_expr(b, r->function); break;
    case AST_TABLE_FILE: put(b, "file'%s'", r->file.path); break;
    case AST_TABLE_SUBQUERY:
        put(b, "(");
        print_query(b, r->subquery);
        put(b, ")");
        break;
    case AST_TABLE_JOIN:
        put(b, "(%s%s ", r->join.natural ? "NATURAL_" : "", r->join.comma ? "COMMA" : joins[r->join.type]);
        print_table(b, r->join.left);
        put(b, " ");
        print_table(b, r->join.right);
        if (r->join.on) {
            put(b, " ON ");
            print_expr(b, r->join.on);
        }
        if (r->join.using_count) {
            put(b, " USING(");
            for (uint32_t i = 0; i < r->join.using_count; i++) put(b, i ? " %s" : "%s", r->join.using_columns[i].name);
            put(b, ")");
        }
        put(b, ")");
        return;
    }
    print_alias(b, r);
}

static void print_query(sbuf *b, const ast_query *q) {
    static const char *ops[] = {"UNION", "EXCEPT", "INTERSECT"};
    if (q->cte_count) {
        put(b, "WITH%s", q->recursive ? " RECURSIVE" : "");
        for (uint32_t i = 0; i < q->cte_count; i++) {
            put(b, " %s", q->ctes[i].name.name);
            if (q->ctes[i].column_count) {
                put(b, "(");
                for (uint32_t j = 0; j < q->ctes[i].column_count; j++) put(b, j ? " %s" : "%s", q->ctes[i].columns[j].name);
                put(b, ")");
            }
            put(b, " AS (");
            print_query(b, q->ctes[i].query);
            put(b, ")");
        }
        put(b, " ");
    }
    switch (q->kind) {
    case AST_QUERY_SELECT: {
        const ast_select *s = q->select;
        put(b, "SELECT%s%s", s->from_first ? "[FF]" : "", s->distinct ? " DISTINCT" : "");
        if (s->distinct_on_count) {
            put(b, " ON(");
            for (uint32_t i = 0; i < s->distinct_on_count; i++) {
                if (i) put(b, " ");
                print_expr(b, s->distinct_on[i]);
            }
            put(b, ")");
        }
        for (uint32_t i = 0; i < s->item_count; i++) {
            put(b, i ? ", " : " ");
            print_expr(b, s->items[i].expr);
            if (s->items[i].alias.name) {
                put(b, " AS ");
                put_ident(b, &s->items[i].alias);
            }
        }
        if (s->from) {
            put(b, " FROM ");
            print_table(b, s->from);
        }
        if (s->where) {
            put(b, " WHERE ");
            print_expr(b, s->where);
        }
        if (s->group_by_all) put(b, " GROUP BY ALL");
        for (uint32_t i = 0; i < s->group_count; i++) {
            put(b, i ? ", " : " GROUP BY ");
            print_expr(b, s->group_by[i]);
        }
        if (s->having) {
            put(b, " HAVING ");
            print_expr(b, s->having);
        }
        if (s->qualify) {
            put(b, " QUALIFY ");
            print_expr(b, s->qualify);
        }
        break;
    }
    case AST_QUERY_VALUES:
        put(b, "VALUES");
        for (uint32_t r = 0; r < q->values.row_count; r++) {
            put(b, " (");
            for (uint32_t i = 0; i < q->values.rows[r].count; i++) {
                if (i) put(b, " ");
                print_expr(b, q->values.rows[r].values[i]);
            }
            put(b, ")");
        }
        break;
    case AST_QUERY_SET_OP:
        put(b, "[%s%s%s ", ops[q->set_op.op], q->set_op.all ? "_ALL" : "", q->set_op.by_name ? "_BY_NAME" : "");
        print_query(b, q->set_op.left);
        put(b, " | ");
        print_query(b, q->set_op.right);
        put(b, "]");
        break;
    }
    if (q->order_by.count) {
        put(b, " ");
        print_order(b, &q->order_by);
    }
    if (q->limit) {
        put(b, " LIMIT ");
        print_expr(b, q->limit);
    }
    if (q->offset) {
        put(b, " OFFSET ");
        print_expr(b, q->offset);
    }
}

/* ---- helpers ------------------------------------------------------------------------------- */

static arena *A;
static sbuf out_buf;

/* Parses one expression and prints it; on error returns the message. */
static const char *expr(const char *sql) {
    error err;
    error_clear(&err);
    arena_reset(A);
    ast_expr *e = parse_expression(A, sql, &err);
    out_buf.len = 0;
    out_buf.data[0] = '\0';
    if (!e) {
        put(&out_buf, "%s", err.message);
        return out_buf.data;
    }
    print_expr(&out_buf, e);
    return out_buf.data;
}

static parsed_statements parsed;
static error perr;

static bool parse(const char *sql) {
    error_clear(&perr);
    arena_reset(A);
    bool ok = parse_sql(A, sql, &parsed, &perr);
    if (!ok && perr.type == EIDER_ERROR_NONE) fprintf(stderr, "parse failed without error: %s\n", sql);
    return ok;
}

/* Parses a single query statement and prints it. */
static const char *query(const char *sql) {
    out_buf.len = 0;
    out_buf.data[0] = '\0';
    if (!parse(sql)) {
        put(&out_buf, "%s", perr.message);
        return out_buf.data;
    }
    if (parsed.count != 1 || parsed.statements[0]->kind != AST_STMT_SELECT) return "not one query";
    print_query(&out_buf, parsed.statements[0]->query);
    return out_buf.data;
}

static const char *error_of(const char *sql) {
    if (parse(sql)) return "(no error)";
    return perr.message;
}

static ast_statement *stmt1(const char *sql) {
    if (!parse(sql)) {
        fprintf(stderr, "unexpected error for [%s]: %s\n", sql, perr.message);
        return NULL;
    }
    return parsed.count == 1 ? parsed.statements[0] : NULL;
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_keywords(void) {
    for (int k = KW_NONE + 1; k < KW_COUNT; k++) {
        const char *name = keyword_name((keyword)k);
        if (keyword_lookup(name, (uint32_t)strlen(name)) != (keyword)k) {
            fprintf(stderr, "keyword %s is out of order\n", name);
            failed++;
        } else {
            passed++;
        }
    }
    CHECK(keyword_lookup("select", 6) == KW_SELECT);
    CHECK(keyword_lookup("SeLeCt", 6) == KW_SELECT);
    CHECK(keyword_lookup("selects", 7) == KW_NONE);
    CHECK(keyword_lookup("x", 1) == KW_NONE);
    CHECK(keyword_lookup("try_cast", 8) == KW_TRY_CAST);
}

static void test_literals(void) {
    CHECK_STR(expr("42"), "42");
    CHECK_STR(expr("-42"), "-42");
    CHECK_STR(expr("9223372036854775807"), "9223372036854775807");
    CHECK_STR(expr("9223372036854775808"), "big:9223372036854775808");
    CHECK_STR(expr("-9223372036854775808"), "-9223372036854775808");
    CHECK_STR(expr("123456789012345678901234567890"), "big:123456789012345678901234567890");
    CHECK_STR(expr("1.5"), "dec:1.5");
    CHECK_STR(expr(".5"), "dec:.5");
    CHECK_STR(expr("-1.5"), "dec:-1.5");
    CHECK_STR(expr("1e10"), "dbl:1e10");
    CHECK_STR(expr("1.5E-3"), "dbl:1.5E-3");
    CHECK_STR(expr("- -1"), "1");
    CHECK_STR(expr("'it''s'"), "'it's'");
    CHECK_STR(expr("''"), "''");
    CHECK_STR(expr("TRUE"), "TRUE");
    CHECK_STR(expr("false"), "FALSE");
    CHECK_STR(expr("NULL"), "NULL");
    CHECK_STR(expr("DATE '2020-01-01'"), "(CAST '2020-01-01' DATE)");
    CHECK_STR(expr("TIMESTAMP '2020-01-01 10:00:00'"), "(CAST '2020-01-01 10:00:00' TIMESTAMP)");
    CHECK_STR(expr("INTERVAL 3 DAY"), "(INTERVAL 3 DAY)");
    CHECK_STR(expr("INTERVAL 2 hours"), "(INTERVAL 2 HOUR)");
    CHECK_STR(expr("INTERVAL '3 days'"), "(INTERVAL '3 days')");
    CHECK_STR(expr("INTERVAL (x + 1) MONTH"), "(INTERVAL (+ x 1) MONTH)");
    CHECK_STR(expr("d + INTERVAL 1 YEAR"), "(+ d (INTERVAL 1 YEAR))");
    CHECK_STR(expr("{'a': 'BIGINT', b: 2}"), "{a: 'BIGINT', b: 2}");
    CHECK_STR(expr("[1, 2, 3]"), "[1 2 3]");
    CHECK_STR(expr("[]"), "[]");
    /* literal details */
    arena_reset(A);
    error err;
    error_clear(&err);
    ast_expr *e = parse_expression(A, "-9223372036854775808", &err);
    CHECK(e && e->literal.kind == AST_LIT_INTEGER && e->literal.integer == INT64_MIN);
    e = parse_expression(A, "'a''b'", &err);
    CHECK(e && e->literal.kind == AST_LIT_STRING && e->literal.text_len == 3);
    e = parse_expression(A, "3.14", &err);
    CHECK(e && e->literal.kind == AST_LIT_DECIMAL && strcmp(e->literal.text, "3.14") == 0);
}

static void test_precedence(void) {
    CHECK_STR(expr("1 + 2 * 3"), "(+ 1 (* 2 3))");
    CHECK_STR(expr("1 * 2 + 3"), "(+ (* 1 2) 3)");
    CHECK_STR(expr("1 - 2 - 3"), "(- (- 1 2) 3)");
    CHECK_STR(expr("8 / 4 // 2 % 3"), "(% (// (/ 8 4) 2) 3)");
    CHECK_STR(expr("(1 + 2) * 3"), "(* (+ 1 2) 3)");
    CHECK_STR(expr("a OR b AND c"), "(OR a (AND b c))");
    CHECK_STR(expr("a AND b OR c"), "(OR (AND a b) c)");
    CHECK_STR(expr("NOT a AND b"), "(AND (NOT a) b)");
    CHECK_STR(expr("NOT a = b"), "(NOT (= a b))");
    CHECK_STR(expr("NOT NOT a"), "(NOT (NOT a))");
    CHECK_STR(expr("a = 1 OR b <> 2"), "(OR (= a 1) (<> b 2))");
    CHECK_STR(expr("a == 1 AND b != 2"), "(AND (= a 1) (<> b 2))");
    CHECK_STR(expr("a < b AND c <= d AND e > f AND g >= h"), "(AND (AND (AND (< a b) (<= c d)) (> e f)) (>= g h))");
    CHECK_STR(expr("a || b = c"), "(= (|| a b) c)");
    CHECK_STR(expr("a || b + c"), "(|| a (+ b c))");
    CHECK_STR(expr("-a * b"), "(* (- a) b)");
    CHECK_STR(expr("-x::int"), "(- (CAST x int))");
    CHECK_STR(expr("-1::varchar"), "(- (CAST 1 varchar))");
    CHECK_STR(expr("1 + 2::bigint"), "(+ 1 (CAST 2 bigint))");
    CHECK_STR(expr("a::decimal(18,3)::varchar"), "(CAST (CAST a decimal(18,3)) varchar)");
    CHECK_STR(expr("a IS NULL"), "(IS_NULL a)");
    CHECK_STR(expr("a IS NOT NULL AND b"), "(AND (IS_NOT_NULL a) b)");
    CHECK_STR(expr("NOT a IS NULL"), "(NOT (IS_NULL a))");
    CHECK_STR(expr("a = b IS NULL"), "(IS_NULL (= a b))");
    CHECK_STR(expr("a ISNULL"), "(IS_NULL a)");
    CHECK_STR(expr("a NOTNULL"), "(IS_NOT_NULL a)");
    CHECK_STR(expr("a IS DISTINCT FROM b"), "(IS_DISTINCT a b)");
    CHECK_STR(expr("a IS NOT DISTINCT FROM b + 1"), "(IS_NOT_DISTINCT a (+ b 1))");
    CHECK_STR(expr("a IS TRUE"), "(IS_TRUE a)");
    CHECK_STR(expr("a IS NOT FALSE"), "(IS_NOT_FALSE a)");
    CHECK_STR(expr("a LIKE 'x%' AND b"), "(AND (LIKE a 'x%') b)");
    CHECK_STR(expr("a NOT LIKE 'x%'"), "(NOT_LIKE a 'x%')");
    CHECK_STR(expr("a ILIKE 'X' ESCAPE '\\'"), "(ILIKE a 'X' ESCAPE '\\')");
    CHECK_STR(expr("a NOT ILIKE b || 'x'"), "(NOT_ILIKE a (|| b 'x'))");
    CHECK_STR(expr("a GLOB '*.csv'"), "(GLOB a '*.csv')");
    CHECK_STR(expr("a SIMILAR TO 'x'"), "(SIMILAR a 'x')");
    CHECK_STR(expr("a BETWEEN 1 AND 2"), "(BETWEEN a 1 2)");
    CHECK_STR(expr("a BETWEEN 1 AND 2 AND b"), "(AND (BETWEEN a 1 2) b)");
    CHECK_STR(expr("a NOT BETWEEN b + 1 AND c * 2"), "(NOT_BETWEEN a (+ b 1) (* c 2))");
    CHECK_STR(expr("a IN (1, 2, 3)"), "(IN a 1 2 3)");
    CHECK_STR(expr("a NOT IN ('x')"), "(NOT_IN a 'x')");
    CHECK_STR(expr("a IN (SELECT b FROM t)"), "(IN a SELECT b FROM t)");
    CHECK_STR(expr("a NOT IN (SELECT 1) OR c"), "(OR (NOT_IN a SELECT 1) c)");
    CHECK_STR(expr("x COLLATE nocase = 'a'"), "(= (COLLATE x nocase) 'a')");
}

static void test_expression_forms(void) {
    CHECK_STR(expr("a"), "a");
    CHECK_STR(expr("t.a"), "t.a");
    CHECK_STR(expr("s.t.a"), "s.t.a");
    CHECK_STR(expr("\"Quoted Name\""), "\"Quoted Name\"");
    CHECK_STR(expr("\"a\"\"b\""), "\"a\"b\"");
    CHECK_STR(expr("f(1, 2)"), "f(1 2)");
    CHECK_STR(expr("f()"), "f()");
    CHECK_STR(expr("count(*)"), "count(*)");
    CHECK_STR(expr("count(DISTINCT x)"), "count(DISTINCT x)");
    CHECK_STR(expr("main.f(x)"), "main.f(x)");
    CHECK_STR(expr("f(a := 1, b => 2)"), "f(a:=1 b:=2)");
    CHECK_STR(expr("f(x = 1)"), "f((= x 1))");
    CHECK_STR(expr("string_agg(s, ',' ORDER BY s DESC)"), "string_agg(s ',' (ORDER s DESC))");
    CHECK_STR(expr("sum(x) FILTER (WHERE x > 0)"), "sum(x) FILTER (> x 0)");
    CHECK_STR(expr("left('abc', 2)"), "left('abc' 2)");
    CHECK_STR(expr("CASE WHEN a THEN 1 WHEN b THEN 2 ELSE 3 END"), "(CASE (WHEN a 1) (WHEN b 2) ELSE 3)");
    CHECK_STR(expr("CASE x WHEN 1 THEN 'a' END"), "(CASE x (WHEN 1 'a'))");
    CHECK_STR(expr("CAST(x AS INTEGER)"), "(CAST x INTEGER)");
    CHECK_STR(expr("TRY_CAST(x AS DECIMAL(10, 2))"), "(TRY_CAST x DECIMAL(10,2))");
    CHECK_STR(expr("CAST(x AS VARCHAR(10))"), "(CAST x VARCHAR(10))");
    CHECK_STR(expr("CAST(x AS DOUBLE PRECISION)"), "(CAST x DOUBLE PRECISION)");
    CHECK_STR(expr("CAST(x AS TIMESTAMP WITH TIME ZONE)"), "(CAST x TIMESTAMP WITH TIME ZONE)");
    CHECK_STR(expr("CAST(x AS INTEGER[])"), "(CAST x INTEGER[])");
    CHECK_STR(expr("x::\"VARCHAR\""), "(CAST x VARCHAR)");
    CHECK_STR(expr("?"), "?1");
    CHECK_STR(expr("? + ?"), "(+ ?1 ?2)");
    CHECK_STR(expr("$2 + $1"), "(+ $2 $1)");
    CHECK_STR(expr("(SELECT 1)"), "(SUBQUERY SELECT 1)");
    CHECK_STR(expr("(SELECT max(x) FROM t) + 1"), "(+ (SUBQUERY SELECT max(x) FROM t) 1)");
    CHECK_STR(expr("EXISTS (SELECT 1)"), "(EXISTS SELECT 1)");
    CHECK_STR(expr("NOT EXISTS (SELECT 1 FROM t)"), "(NOT (EXISTS SELECT 1 FROM t))");
    CHECK_STR(expr("((1))"), "1");
    CHECK_STR(expr("row_number() OVER ()"), "row_number() OVER()");
    CHECK_STR(expr("sum(x) OVER (PARTITION BY a, b ORDER BY c ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"),
              "sum(x) OVER(PARTITION a b (ORDER c) ROWS UNBOUNDED_PRECEDING CURRENT_ROW)");
    CHECK_STR(expr("avg(x) OVER (ORDER BY d RANGE BETWEEN 3 PRECEDING AND 2 FOLLOWING)"),
              "avg(x) OVER( (ORDER d) RANGE 3_PRECEDING 2_FOLLOWING)");
    CHECK_STR(expr("lag(x) IGNORE NULLS OVER w"), "lag(x) IGNORE_NULLS OVER(w)");
    CHECK_STR(expr("first(x ORDER BY y NULLS LAST)"), "first(x (ORDER y NULLS_LAST))");
    /* non-reserved keywords as names */
    CHECK_STR(expr("name + type + value + range + key + data + first + last"),
              "(+ (+ (+ (+ (+ (+ (+ name type) value) range) key) data) first) last)");
    CHECK_STR(expr("interval"), "interval");
    CHECK_STR(expr("filter"), "filter");
    /* expression depth is recorded */
    arena_reset(A);
    error err;
    error_clear(&err);
    ast_expr *e = parse_expression(A, "1 + 2 * 3", &err);
    CHECK(e && e->depth == 3);
    e = parse_expression(A, "a", &err);
    CHECK(e && e->depth == 1);
}

static void test_identifiers(void) {
    ast_statement *s = stmt1("SELECT MyCol, \"MyCol\", \"select\" FROM MyTable AS \"T\"");
    CHECK(s != NULL);
    if (!s) return;
    ast_select *sel = s->query->select;
    CHECK(sel->item_count == 3);
    CHECK(strcmp(sel->items[0].expr->column.parts[0].name, "MyCol") == 0);
    CHECK(!sel->items[0].expr->column.parts[0].quoted);
    CHECK(strcmp(sel->items[1].expr->column.parts[0].name, "MyCol") == 0);
    CHECK(sel->items[1].expr->column.parts[0].quoted);
    CHECK(strcmp(sel->items[2].expr->column.parts[0].name, "select") == 0);
    CHECK(strcmp(sel->from->base.name.name, "MyTable") == 0);
    CHECK(!sel->from->base.name.quoted);
    CHECK(strcmp(sel->from->alias.name, "T") == 0 && sel->from->alias.quoted);
    CHECK(sel->items[1].pos == 14);
    CHECK(sel->from->pos == 37);
    /* keywords are case-insensitive and keep their case as identifiers */
    CHECK_STR(query("sElEcT Name fRoM Data"), "SELECT Name FROM Data");
    CHECK_STR(query("select 1 -- comment\n, /* block /* nested */ comment */ 2"), "SELECT 1, 2");
    CHECK_STR(error_of("SELECT \"\" FROM t"),
              "Parser Error: zero-length delimited identifier (line 1, column 8)\nLINE 1: SELECT \"\" FROM t\n               ^");
}

static void test_select(void) {
    CHECK_STR(query("SELECT 1"), "SELECT 1");
    CHECK_STR(query("SELECT a AS x, b y, c FROM t"), "SELECT a AS x, b AS y, c FROM t");
    CHECK_STR(query("SELECT a AS \"X Y\", b AS 'str' FROM t"), "SELECT a AS \"X Y\", b AS \"str\" FROM t");
    CHECK_STR(query("SELECT DISTINCT a FROM t"), "SELECT DISTINCT a FROM t");
    CHECK_STR(query("SELECT ALL a FROM t"), "SELECT a FROM t");
    CHECK_STR(query("SELECT DISTINCT ON (a) a, b FROM t"), "SELECT DISTINCT ON(a) a, b FROM t");
    CHECK_STR(query("SELECT * FROM t"), "SELECT * FROM t");
    CHECK_STR(query("SELECT t.*, u.x FROM t, u"), "SELECT t.*, u.x FROM (COMMA t u)");
    CHECK_STR(query("SELECT * EXCLUDE (a, b) FROM t"), "SELECT * EXCLUDE(a b) FROM t");
    CHECK_STR(query("SELECT * EXCLUDE a FROM t"), "SELECT * EXCLUDE(a) FROM t");
    CHECK_STR(query("SELECT * REPLACE (a + 1 AS a) FROM t"), "SELECT * REPLACE((+ a 1) AS a) FROM t");
    CHECK_STR(query("SELECT t.* EXCLUDE (x) FROM t"), "SELECT t.* EXCLUDE(x) FROM t");
    CHECK_STR(query("SELECT a, b, FROM t"), "SELECT a, b FROM t");
    CHECK_STR(query("SELECT a FROM t WHERE a > 1 GROUP BY a, b HAVING count(*) > 1"),
              "SELECT a FROM t WHERE (> a 1) GROUP BY a, b HAVING (> count(*) 1)");
    CHECK_STR(query("SELECT a, sum(b) FROM t GROUP BY ALL"), "SELECT a, sum(b) FROM t GROUP BY ALL");
    CHECK_STR(query("SELECT a FROM t QUALIFY row_number() OVER (PARTITION BY a) = 1"),
              "SELECT a FROM t QUALIFY (= row_number() OVER(PARTITION a) 1)");
    CHECK_STR(query("SELECT a FROM t ORDER BY a DESC NULLS FIRST, b ASC LIMIT 10 OFFSET 5"),
              "SELECT a FROM t (ORDER a DESC NULLS_FIRST b ASC) LIMIT 10 OFFSET 5");
    CHECK_STR(query("SELECT a FROM t ORDER BY ALL DESC"), "SELECT a FROM t (ORDER ALL DESC)");
    CHECK_STR(query("SELECT a FROM t OFFSET 5"), "SELECT a FROM t OFFSET 5");
    CHECK_STR(query("SELECT a FROM t OFFSET 5 LIMIT 2"), "SELECT a FROM t LIMIT 2 OFFSET 5");
    CHECK_STR(query("SELECT a FROM t LIMIT ALL"), "SELECT a FROM t");
    CHECK_STR(query("SELECT a FROM t LIMIT ?"), "SELECT a FROM t LIMIT ?1");
    /* FROM-first */
    CHECK_STR(query("FROM t"), "SELECT[FF] * FROM t");
    CHECK_STR(query("FROM t WHERE a = 1"), "SELECT[FF] * FROM t WHERE (= a 1)");
    CHECK_STR(query("FROM t SELECT a, b WHERE a > 0"), "SELECT[FF] a, b FROM t WHERE (> a 0)");
    CHECK_STR(query("FROM 'data.csv'"), "SELECT[FF] * FROM file'data.csv'");
    /* VALUES */
    CHECK_STR(query("VALUES (1, 'a'), (2, 'b')"), "VALUES (1 'a') (2 'b')");
    CHECK_STR(query("SELECT * FROM (VALUES (1), (2)) v(x)"), "SELECT * FROM (VALUES (1) (2)) AS v(x)");
    /* WITH */
    CHECK_STR(query("WITH x AS (SELECT 1 AS a), y(b) AS (SELECT 2) SELECT * FROM x, y"),
              "WITH x AS (SELECT 1 AS a) y(b) AS (SELECT 2) SELECT * FROM (COMMA x y)");
    CHECK_STR(query("WITH RECURSIVE r AS (SELECT 1) SELECT * FROM r"), "WITH RECURSIVE r AS (SELECT 1) SELECT * FROM r");
    CHECK_STR(query("WITH x AS MATERIALIZED (SELECT 1) FROM x"), "WITH x AS (SELECT 1) SELECT[FF] * FROM x");
}

static void test_set_operations(void) {
    CHECK_STR(query("SELECT 1 UNION SELECT 2"), "[UNION SELECT 1 | SELECT 2]");
    CHECK_STR(query("SELECT 1 UNION ALL SELECT 2 UNION SELECT 3"), "[UNION [UNION_ALL SELECT 1 | SELECT 2] | SELECT 3]");
    CHECK_STR(query("SELECT 1 UNION SELECT 2 INTERSECT SELECT 3"), "[UNION SELECT 1 | [INTERSECT SELECT 2 | SELECT 3]]");
    CHECK_STR(query("SELECT 1 INTERSECT SELECT 2 EXCEPT SELECT 3"), "[EXCEPT [INTERSECT SELECT 1 | SELECT 2] | SELECT 3]");
    CHECK_STR(query("(SELECT 1 UNION SELECT 2) INTERSECT SELECT 3"), "[INTERSECT [UNION SELECT 1 | SELECT 2] | SELECT 3]");
    CHECK_STR(query("SELECT a FROM t UNION SELECT b FROM u ORDER BY 1 LIMIT 3"),
              "[UNION SELECT a FROM t | SELECT b FROM u] (ORDER 1) LIMIT 3");
    CHECK_STR(query("(SELECT a FROM t LIMIT 1) UNION ALL (SELECT b FROM u LIMIT 2)"),
              "[UNION_ALL SELECT a FROM t LIMIT 1 | SELECT b FROM u LIMIT 2]");
    CHECK_STR(query("(SELECT a FROM t ORDER BY a LIMIT 5) ORDER BY a DESC"),
              "SELECT * FROM (SELECT a FROM t (ORDER a) LIMIT 5) (ORDER a DESC)");
    CHECK_STR(query("SELECT 1 UNION BY NAME SELECT 2"), "[UNION_BY_NAME SELECT 1 | SELECT 2]");
    CHECK_STR(query("SELECT * FROM ((SELECT 1) UNION (SELECT 2)) u"), "SELECT * FROM ([UNION SELECT 1 | SELECT 2]) AS u");
}

static void test_from(void) {
    CHECK_STR(query("SELECT * FROM s.t"), "SELECT * FROM s.t");
    CHECK_STR(query("SELECT * FROM t x"), "SELECT * FROM t AS x");
    CHECK_STR(query("SELECT * FROM t AS x(a, b)"), "SELECT * FROM t AS x(a b)");
    CHECK_STR(query("SELECT * FROM range(10) r(i)"), "SELECT * FROM range(10) AS r(i)");
    CHECK_STR(query("SELECT * FROM read_csv('x.csv', header=true, columns={'a': 'BIGINT'})"),
              "SELECT * FROM read_csv('x.csv' header:=TRUE columns:={a: 'BIGINT'})");
    CHECK_STR(query("SELECT * FROM read_csv('x.csv', delim := '|')"), "SELECT * FROM read_csv('x.csv' delim:='|')");
    CHECK_STR(query("SELECT * FROM 'file.csv' f"), "SELECT * FROM file'file.csv' AS f");
    CHECK_STR(query("SELECT * FROM (SELECT 1) AS s(x)"), "SELECT * FROM (SELECT 1) AS s(x)");
    CHECK_STR(query("SELECT * FROM (SELECT 1) s"), "SELECT * FROM (SELECT 1) AS s");
    CHECK_STR(query("SELECT * FROM a JOIN b ON a.x = b.x"), "SELECT * FROM (INNER a b ON (= a.x b.x))");
    CHECK_STR(query("SELECT * FROM a INNER JOIN b USING (x, y)"), "SELECT * FROM (INNER a b USING(x y))");
    CHECK_STR(query("SELECT * FROM a LEFT OUTER JOIN b ON true RIGHT JOIN c ON false"),
              "SELECT * FROM (RIGHT (LEFT a b ON TRUE) c ON FALSE)");
    CHECK_STR(query("SELECT * FROM a FULL JOIN b ON 1 = 1"), "SELECT * FROM (FULL a b ON (= 1 1))");
    CHECK_STR(query("SELECT * FROM a CROSS JOIN b"), "SELECT * FROM (CROSS a b)");
    CHECK_STR(query("SELECT * FROM a SEMI JOIN b ON a.x = b.x"), "SELECT * FROM (SEMI a b ON (= a.x b.x))");
    CHECK_STR(query("SELECT * FROM a ANTI JOIN b USING (x)"), "SELECT * FROM (ANTI a b USING(x))");
    CHECK_STR(query("SELECT * FROM a NATURAL JOIN b"), "SELECT * FROM (NATURAL_INNER a b)");
    CHECK_STR(query("SELECT * FROM a, b JOIN c ON b.x = c.x"), "SELECT * FROM (COMMA a (INNER b c ON (= b.x c.x)))");
    CHECK_STR(query("SELECT * FROM (a JOIN b ON true)"), "SELECT * FROM (INNER a b ON TRUE)");
    CHECK_STR(query("SELECT * FROM t1 AS a LEFT JOIN t2 b ON a.id = b.id"),
              "SELECT * FROM (LEFT t1 AS a t2 AS b ON (= a.id b.id))");
    CHECK_STR(error_of("SELECT * FROM a JOIN b"),
              "Parser Error: syntax error at end of input (line 1, column 23)\nLINE 1: SELECT * FROM a JOIN b\n"
              "                              ^");
}

static void test_create_drop(void) {
    ast_statement *s = stmt1("CREATE TABLE t (a INTEGER NOT NULL, b VARCHAR(10) DEFAULT 'x', c DECIMAL(18,3), "
                             "d DOUBLE, \"E\" BOOLEAN PRIMARY KEY, f TIMESTAMP NULL)");
    CHECK(s && s->kind == AST_STMT_CREATE_TABLE);
    if (s) {
        CHECK(s->create_table.column_count == 6);
        CHECK(!s->create_table.or_replace && !s->create_table.if_not_exists && !s->create_table.as_query);
        ast_column_def *c = s->create_table.columns;
        CHECK(strcmp(c[0].name.name, "a") == 0 && strcmp(c[0].type.name, "INTEGER") == 0 && c[0].not_null);
        CHECK(strcmp(c[1].type.name, "VARCHAR") == 0 && c[1].type.param_count == 1 && c[1].type.width == 10);
        CHECK(c[1].default_value && c[1].default_value->literal.kind == AST_LIT_STRING && !c[1].not_null);
        CHECK(c[2].type.param_count == 2 && c[2].type.width == 18 && c[2].type.scale == 3);
        CHECK(c[4].name.quoted && c[4].primary_key && c[4].not_null);
        CHECK(!c[5].not_null);
    }
    s = stmt1("CREATE OR REPLACE TABLE IF NOT EXISTS main.t AS SELECT 1 AS x");
    CHECK(s && s->kind == AST_STMT_CREATE_TABLE && s->create_table.or_replace && s->create_table.if_not_exists &&
          s->create_table.as_query && strcmp(s->create_table.name.schema.name, "main") == 0 &&
          strcmp(s->create_table.name.name.name, "t") == 0);
    s = stmt1("CREATE TABLE t (a INT, b INT, PRIMARY KEY (a, b))");
    CHECK(s && s->create_table.column_count == 2 && s->create_table.primary_key_count == 2);
    s = stmt1("CREATE TEMP TABLE t (name VARCHAR, type INT, value DOUBLE, key INT, data TEXT)");
    CHECK(s && s->create_table.temporary && s->create_table.column_count == 5);
    s = stmt1("DROP TABLE t");
    CHECK(s && s->kind == AST_STMT_DROP && s->drop.object == AST_DROP_TABLE && s->drop.count == 1 && !s->drop.if_exists);
    s = stmt1("DROP TABLE IF EXISTS a, s.b CASCADE");
    CHECK(s && s->drop.if_exists && s->drop.count == 2 && s->drop.cascade &&
          strcmp(s->drop.names[1].schema.name, "s") == 0);
}

static void test_dml(void) {
    ast_statement *s = stmt1("INSERT INTO t VALUES (1, 2, 3, 'a', 'b', 4.5, NULL, true, 9, 10)");
    CHECK(s && s->kind == AST_STMT_INSERT && s->insert.query && s->insert.query->kind == AST_QUERY_VALUES &&
          s->insert.query->values.row_count == 1 && s->insert.query->values.rows[0].count == 10 &&
          s->insert.column_count == 0);
    s = stmt1("INSERT INTO s.t (a, b) VALUES (1, 2), (3, 4)");
    CHECK(s && s->insert.column_count == 2 && s->insert.query->values.row_count == 2 &&
          strcmp(s->insert.table.schema.name, "s") == 0);
    s = stmt1("INSERT INTO t SELECT * FROM u");
    CHECK(s && s->insert.query && s->insert.query->kind == AST_QUERY_SELECT);
    s = stmt1("INSERT INTO t (SELECT 1)");
    CHECK(s && s->insert.query && s->insert.column_count == 0);
    s = stmt1("INSERT OR REPLACE INTO t DEFAULT VALUES");
    CHECK(s && s->insert.or_replace && s->insert.default_values && !s->insert.query);
    s = stmt1("DELETE FROM t WHERE a = 1");
    CHECK(s && s->kind == AST_STMT_DELETE && s->delete_.where && !s->delete_.alias.name);
    s = stmt1("DELETE FROM t");
    CHECK(s && s->kind == AST_STMT_DELETE && !s->delete_.where);
    s = stmt1("UPDATE t SET a = a + 1, b = 'x' WHERE c");
    CHECK(s && s->kind == AST_STMT_UPDATE && s->update.count == 2 && s->update.where &&
          strcmp(s->update.columns[1].name, "b") == 0 && !s->update.alias.name);
    s = stmt1("UPDATE t AS x SET a = 1 FROM u WHERE x.id = u.id");
    CHECK(s && s->update.alias.name && s->update.from && s->update.count == 1);
}

static void test_utility(void) {
    ast_statement *s = stmt1("SET memory_limit = '4GB'");
    CHECK(s && s->kind == AST_STMT_SET && strcmp(s->set.name.name, "memory_limit") == 0 &&
          s->set.scope == AST_SCOPE_DEFAULT && s->set.value->literal.kind == AST_LIT_STRING);
    s = stmt1("SET GLOBAL threads TO 4");
    CHECK(s && s->kind == AST_STMT_SET && s->set.scope == AST_SCOPE_GLOBAL && s->set.value->literal.integer == 4);
    s = stmt1("SET SESSION a.b = 1");
    CHECK(s && s->set.scope == AST_SCOPE_SESSION && strcmp(s->set.name.name, "a.b") == 0);
    s = stmt1("RESET threads");
    CHECK(s && s->kind == AST_STMT_RESET && strcmp(s->set.name.name, "threads") == 0 && !s->set.value);
    s = stmt1("SET threads TO DEFAULT");
    CHECK(s && s->kind == AST_STMT_RESET);
    s = stmt1("DESCRIBE t");
    CHECK(s && s->kind == AST_STMT_DESCRIBE && strcmp(s->describe.table.name.name, "t") == 0 && !s->describe.query);
    s = stmt1("DESCRIBE SELECT 1");
    CHECK(s && s->kind == AST_STMT_DESCRIBE && s->describe.query && !s->describe.table.name.name);
    s = stmt1("SHOW TABLES");
    CHECK(s && s->kind == AST_STMT_SHOW && s->show.tables);
    s = stmt1("SHOW ALL TABLES");
    CHECK(s && s->kind == AST_STMT_SHOW && s->show.all_tables);
    s = stmt1("SHOW memory_limit");
    CHECK(s && s->kind == AST_STMT_SHOW && !s->show.tables && strcmp(s->show.name.name.name, "memory_limit") == 0);
    s = stmt1("PRAGMA version");
    CHECK(s && s->kind == AST_STMT_PRAGMA && s->pragma.pragma_kind == AST_PRAGMA_PLAIN);
    s = stmt1("PRAGMA table_info('t')");
    CHECK(s && s->pragma.pragma_kind == AST_PRAGMA_CALL && s->pragma.arg_count == 1);
    s = stmt1("PRAGMA threads = 2");
    CHECK(s && s->pragma.pragma_kind == AST_PRAGMA_ASSIGN && s->pragma.arg_count == 1 &&
          s->pragma.args[0]->literal.integer == 2);
    s = stmt1("COPY t FROM 'data.csv' (HEADER, DELIMITER ',', FORMAT csv)");
    CHECK(s && s->kind == AST_STMT_COPY && s->copy.is_from && strcmp(s->copy.path, "data.csv") == 0 &&
          s->copy.option_count == 3);
    if (s && s->copy.option_count == 3) {
        CHECK(strcmp(s->copy.options[0].name.name, "HEADER") == 0 && !s->copy.options[0].value);
        CHECK(strcmp(s->copy.options[1].name.name, "DELIMITER") == 0 &&
              strcmp(s->copy.options[1].value->literal.text, ",") == 0);
        CHECK(s->copy.options[2].value->literal.kind == AST_LIT_STRING &&
              strcmp(s->copy.options[2].value->literal.text, "csv") == 0);
    }
    s = stmt1("COPY t (a, b) TO 'out.csv' WITH (HEADER true, FORCE_QUOTE (a, b))");
    CHECK(s && !s->copy.is_from && s->copy.column_count == 2 && s->copy.option_count == 2 &&
          s->copy.options[1].value->kind == AST_EXPR_LIST);
    s = stmt1("COPY (SELECT * FROM t) TO 'out.csv'");
    CHECK(s && s->copy.query && !s->copy.table.name.name && s->copy.option_count == 0);
    s = stmt1("COPY t FROM 'x.csv' DELIMITER '|' CSV HEADER");
    CHECK(s && s->copy.option_count == 3 && s->copy.options[0].value && !s->copy.options[1].value);
    s = stmt1("EXPLAIN SELECT 1");
    CHECK(s && s->kind == AST_STMT_EXPLAIN && !s->explain.analyze && s->explain.statement->kind == AST_STMT_SELECT);
    s = stmt1("EXPLAIN ANALYZE SELECT 1");
    CHECK(s && s->explain.analyze);
    s = stmt1("BEGIN TRANSACTION");
    CHECK(s && s->kind == AST_STMT_TRANSACTION && s->transaction.transaction_kind == AST_TRANSACTION_BEGIN);
    s = stmt1("begin");
    CHECK(s && s->transaction.transaction_kind == AST_TRANSACTION_BEGIN);
    s = stmt1("COMMIT");
    CHECK(s && s->transaction.transaction_kind == AST_TRANSACTION_COMMIT);
    s = stmt1("ROLLBACK");
    CHECK(s && s->transaction.transaction_kind == AST_TRANSACTION_ROLLBACK);
    s = stmt1("CHECKPOINT");
    CHECK(s && s->kind == AST_STMT_CHECKPOINT && !s->checkpoint.force);
    s = stmt1("FORCE CHECKPOINT");
    CHECK(s && s->kind == AST_STMT_CHECKPOINT && s->checkpoint.force);
}

static void test_multiple_statements(void) {
    const char *sql = "  SELECT 1;;\n INSERT INTO t VALUES (?, ?) ; ; SELECT $3  ;";
    CHECK(parse(sql));
    CHECK(parsed.count == 3);
    if (parsed.count == 3) {
        ast_statement *s = parsed.statements[1];
        CHECK(s->kind == AST_STMT_INSERT);
        CHECK(strncmp(sql + s->start, "INSERT INTO t VALUES (?, ?)", s->end - s->start) == 0 &&
              s->end - s->start == strlen("INSERT INTO t VALUES (?, ?)"));
        CHECK(s->parameter_count == 2);
        CHECK(parsed.statements[0]->start == 2 && parsed.statements[0]->end == 10);
        CHECK(parsed.statements[2]->parameter_count == 3);
        CHECK(parsed.parameter_count == 3);
    }
    CHECK(parse(""));
    CHECK(parsed.count == 0);
    CHECK(parse(" ; -- nothing\n ; "));
    CHECK(parsed.count == 0);
}

static void test_errors(void) {
    CHECK_STR(error_of("SELECT * FORM t;"),
              "Parser Error: syntax error at or near \"FORM\" (line 1, column 10)\n"
              "LINE 1: SELECT * FORM t;\n"
              "                 ^");
    CHECK_STR(error_of("SELECT *\nFROM t\nWHERE a = = 1"),
              "Parser Error: syntax error at or near \"=\" (line 3, column 11)\n"
              "LINE 3: WHERE a = = 1\n"
              "                  ^");
    CHECK_STR(error_of("SELECT 1 +"),
              "Parser Error: syntax error at end of input (line 1, column 11)\n"
              "LINE 1: SELECT 1 +\n"
              "                  ^");
    CHECK_STR(error_of("SELECT 'abc"),
              "Parser Error: unterminated quoted string (line 1, column 8)\n"
              "LINE 1: SELECT 'abc\n"
              "               ^");
    CHECK_STR(error_of("SELECT \"abc"),
              "Parser Error: unterminated quoted identifier (line 1, column 8)\n"
              "LINE 1: SELECT \"abc\n"
              "               ^");
    CHECK_STR(error_of("SELECT 1 /* open"),
              "Parser Error: unterminated /* comment (line 1, column 10)\n"
              "LINE 1: SELECT 1 /* open\n"
              "                 ^");
    CHECK_STR(error_of("SELECT 1 # 2"),
              "Parser Error: syntax error at or near \"#\" (line 1, column 10)\n"
              "LINE 1: SELECT 1 # 2\n"
              "                 ^");
    CHECK_STR(error_of("SELECT 1 2"),
              "Parser Error: syntax error at or near \"2\" (line 1, column 10)\n"
              "LINE 1: SELECT 1 2\n"
              "                 ^");
    CHECK_STR(error_of("SELEC 1"),
              "Parser Error: syntax error at or near \"SELEC\" (line 1, column 1)\n"
              "LINE 1: SELEC 1\n"
              "        ^");
    CHECK_STR(error_of("SELECT 'é', ) FROM t"),
              "Parser Error: syntax error at or near \")\" (line 1, column 13)\n"
              "LINE 1: SELECT 'é', ) FROM t\n"
              "                    ^");
    /* FORM after an expression is an alias, so the error is at the next token */
    CHECK_STR(error_of("SELECT 1 FORM t"),
              "Parser Error: syntax error at or near \"t\" (line 1, column 15)\n"
              "LINE 1: SELECT 1 FORM t\n"
              "                      ^");
    CHECK_STR(error_of("SELECT select"),
              "Parser Error: syntax error at or near \"select\" (line 1, column 8)\n"
              "LINE 1: SELECT select\n"
              "               ^");
    CHECK_STR(error_of("SELECT $0"),
              "Parser Error: parameter number out of range (1 to 65535) (line 1, column 8)\n"
              "LINE 1: SELECT $0\n"
              "               ^");
    /* a long line shows a window around the token */
    char sql[1024];
    strcpy(sql, "SELECT ");
    for (int i = 0; i < 50; i++) strcat(sql, "aaaaaaa + ");
    strcat(sql, ") + ");
    for (int i = 0; i < 20; i++) strcat(sql, "bbbbbbb + ");
    strcat(sql, "1");
    const char *m = error_of(sql);
    CHECK(strstr(m, "syntax error at or near \")\" (line 1, column 508)\nLINE 1: ...") != NULL);
    const char *line = strstr(m, "LINE 1: ");
    const char *caret = line ? strchr(line, '\n') : NULL;
    CHECK(caret != NULL);
    if (line && caret) {
        const char *form = strstr(line, ") + bbb");
        size_t col = (size_t)(form - line);
        CHECK(strlen(caret + 1) == col + 1 && caret[1 + col] == '^');
        CHECK(strlen(line) - strlen(caret) < 140); /* the shown line is cut */
    }
}

static char *repeat(const char *head, const char *unit, int n, const char *tail) {
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
    char *s = malloc(hl + ul * (size_t)n + tl + 1);
    memcpy(s, head, hl);
    for (int i = 0; i < n; i++) memcpy(s + hl + ul * (size_t)i, unit, ul);
    memcpy(s + hl + ul * (size_t)n, tail, tl + 1);
    return s;
}

static void test_limits(void) {
    /* 10,000 nested parentheses: a clear error, no stack overflow */
    char *open = repeat("SELECT ", "(", 10000, "1");
    char *sql = repeat(open, ")", 10000, "");
    CHECK(strncmp(error_of(sql), "Parser Error: maximum nesting depth exceeded", 44) == 0);
    free(open);
    free(sql);
    /* 500 nested parentheses parse */
    open = repeat("SELECT ", "(", 500, "1");
    sql = repeat(open, ")", 500, "");
    CHECK(parse(sql));
    free(open);
    free(sql);
    /* nested subqueries count too */
    open = repeat("", "SELECT * FROM (", 2000, "SELECT 1");
    sql = repeat(open, ")", 2000, "");
    CHECK(strstr(error_of(sql), "maximum nesting depth exceeded") != NULL);
    free(open);
    free(sql);
    sql = repeat("SELECT ", "NOT ", 5000, "TRUE");
    CHECK(strstr(error_of(sql), "maximum nesting depth exceeded") != NULL);
    free(sql);
    sql = repeat("SELECT ", "- ", 5000, "1");
    CHECK(strstr(error_of(sql), "maximum nesting depth exceeded") != NULL);
    free(sql);
    sql = repeat("SELECT ", "[", 5000, "");
    CHECK(strstr(error_of(sql), "maximum nesting depth exceeded") != NULL);
    free(sql);
    /* every recursive form hits the nesting limit with a clear error */
    static const char *const forms[][3] = {
        {"SELECT ", "CASE WHEN x THEN ", "1 END"},
        {"SELECT ", "f(", "1)"},
        {"SELECT ", "(SELECT ", "1)"},
        {"SELECT ", "EXISTS (SELECT ", "1)"},
        {"SELECT ", "1 IN (", "1)"},
        {"SELECT ", "{'a': ", "1}"},
        {"SELECT ", "CAST(", "1 AS INT)"},
        {"SELECT ", "1 + (", "1)"},
        {"SELECT * FROM ", "(", "t)"},
        {"SELECT * FROM ", "(SELECT * FROM ", "t)"},
        {"", "(", "SELECT 1)"},
        {"", "WITH x AS (", "SELECT 1)"},
        {"", "EXPLAIN ", "SELECT 1"},
        {"SELECT ", "INTERVAL (", "1) DAY"},
        {"SELECT ", "sum(x) OVER (ORDER BY ", "1)"},
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        char *head = repeat(forms[i][0], forms[i][1], 10000, forms[i][2]);
        sql = repeat(head, ")", 10000, "");
        const char *m = error_of(sql);
        if (!strstr(m, "maximum nesting depth exceeded")) {
            fprintf(stderr, "form %zu: %.200s\n", i, m);
            failed++;
        } else {
            passed++;
        }
        free(head);
        free(sql);
    }
    /* a flat 100,000-term sum: over the default expression depth, a clear error ... */
    sql = repeat("SELECT 1", "+1", 99999, "");
    CHECK(strstr(error_of(sql), "Parser Error: expression is nested too deeply") != NULL);
    /* ... and it parses without that limit */
    parser_options opts = {0, UINT32_MAX, 0};
    error err;
    error_clear(&err);
    arena_reset(A);
    parsed_statements st;
    CHECK(parse_sql_ex(A, sql, &opts, &st, &err));
    CHECK(st.count == 1 && st.statements[0]->query->select->items[0].expr->depth == 100000);
    free(sql);
    /* 9,000 terms are within the default */
    sql = repeat("SELECT 1", "+1", 8999, "");
    CHECK(parse(sql));
    free(sql);
    /* statement size limit */
    parser_options small = {0, 0, 100};
    error_clear(&err);
    sql = repeat("SELECT 1", "+1", 100, "");
    CHECK(!parse_sql_ex(A, sql, &small, &st, &err));
    CHECK(strstr(err.message, "Parser Error: SQL text is too large") != NULL);
    free(sql);
}

static void test_misc_forms(void) {
    CHECK_STR(query("SELECT count(*) AS n, sum(x) FILTER (WHERE x > 1) FROM t"),
              "SELECT count(*) AS n, sum(x) FILTER (> x 1) FROM t");
    CHECK_STR(query("SELECT a value, b name, c data FROM t"), "SELECT a AS value, b AS name, c AS data FROM t");
    CHECK_STR(query("SELECT key, range FROM t"), "SELECT key, range FROM t");
    CHECK_STR(query("SELECT * FROM t WHERE x IN (SELECT y FROM u WHERE u.z = t.z)"),
              "SELECT * FROM t WHERE (IN x SELECT y FROM u WHERE (= u.z t.z))");
    CHECK_STR(query("(SELECT 1)"), "SELECT 1");
    CHECK_STR(query("SELECT CASE WHEN a > 0 THEN 'pos' ELSE 'neg' END AS sign FROM t"),
              "SELECT (CASE (WHEN (> a 0) 'pos') ELSE 'neg') AS sign FROM t");
    CHECK_STR(query("SELECT DATE '2020-01-01' + INTERVAL 3 DAY"),
              "SELECT (+ (CAST '2020-01-01' DATE) (INTERVAL 3 DAY))");
}

int main(void) {
    pool = pool_create((uint64_t)1 << 30);
    A = arena_create(pool, TAG_ALLOCATOR);
    test_keywords();
    test_literals();
    test_precedence();
    test_expression_forms();
    test_identifiers();
    test_select();
    test_set_operations();
    test_from();
    test_create_drop();
    test_dml();
    test_utility();
    test_multiple_statements();
    test_errors();
    test_limits();
    test_misc_forms();
    arena_destroy(A);
    pool_destroy(pool);
    return test_summary();
}
