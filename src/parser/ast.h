/*
 * ast.h — the abstract syntax tree the parser builds from SQL text, and the binder consumes.
 *
 * Conventions:
 *   - every node is a tagged struct: a `kind` enum and a union of per-kind members;
 *   - arrays are (pointer, count) pairs; a count of 0 goes with a NULL pointer;
 *   - every node carries `pos`, the byte offset into the SQL text of its first token, for
 *     error messages;
 *   - all nodes and strings live in the arena passed to parse_sql; strings are NUL-terminated
 *     and carry their length;
 *   - identifiers keep their original case; `quoted` says whether they were written in double
 *     quotes (quoted names match exactly, unquoted ones case-insensitively);
 *   - optional members are NULL (pointers) or have name == NULL (ast_ident) when absent.
 */
#ifndef EIDER_AST_H
#define EIDER_AST_H

#include <stdbool.h>
#include <stdint.h>

typedef struct ast_expr ast_expr;
typedef struct ast_query ast_query;
typedef struct ast_select ast_select;
typedef struct ast_table_ref ast_table_ref;
typedef struct ast_statement ast_statement;

/* ---- names and types -------------------------------------------------------------------- */

typedef struct ast_ident {
    const char *name; /* NULL when absent */
    uint32_t len;
    bool quoted;
    uint32_t pos;
} ast_ident;

/* [schema.]name; schema.name == NULL when not qualified. */
typedef struct ast_qualified_name {
    ast_ident schema;
    ast_ident name;
    uint32_t pos;
} ast_qualified_name;

/* A type as written: INTEGER, DECIMAL(18,3), VARCHAR(10), "TIMESTAMP"... The binder maps the
 * name (case-insensitively) to a logical type. Multi-word names are joined by one space and
 * kept as written otherwise ("DOUBLE PRECISION", "TIMESTAMP WITH TIME ZONE"). */
typedef struct ast_type_name {
    const char *name;
    uint32_t len;
    uint32_t param_count; /* 0, 1 (width) or 2 (width, scale) */
    int64_t width;
    int64_t scale;
    uint32_t array_dims;  /* number of trailing [] (INTEGER[]) */
    uint32_t pos;
} ast_type_name;

/* ---- expressions ------------------------------------------------------------------------ */

typedef enum ast_expr_kind {
    AST_EXPR_CONSTANT,     /* literal */
    AST_EXPR_COLUMN,       /* a, t.a, s.t.a */
    AST_EXPR_STAR,         /* *, t.*, * EXCLUDE (...), * REPLACE (...) */
    AST_EXPR_PARAMETER,    /* ? or $n */
    AST_EXPR_UNARY,        /* -x, +x, NOT x */
    AST_EXPR_BINARY,       /* arithmetic, comparison, ||, AND, OR */
    AST_EXPR_IS_NULL,      /* x IS [NOT] NULL (also x ISNULL, x NOTNULL) */
    AST_EXPR_IS_DISTINCT,  /* x IS [NOT] DISTINCT FROM y */
    AST_EXPR_IS_BOOL,      /* x IS [NOT] TRUE / FALSE */
    AST_EXPR_LIKE,         /* x [NOT] LIKE|ILIKE y [ESCAPE z] */
    AST_EXPR_BETWEEN,      /* x [NOT] BETWEEN lo AND hi */
    AST_EXPR_IN_LIST,      /* x [NOT] IN (a, b, ...) */
    AST_EXPR_IN_SUBQUERY,  /* x [NOT] IN (query) */
    AST_EXPR_FUNCTION,     /* f(args), aggregates, window calls */
    AST_EXPR_CASE,         /* CASE [operand] WHEN .. THEN .. [ELSE ..] END */
    AST_EXPR_CAST,         /* CAST(x AS t), TRY_CAST, x::t, DATE '...' (typed literal) */
    AST_EXPR_SUBQUERY,     /* (SELECT ...) used as a scalar */
    AST_EXPR_EXISTS,       /* EXISTS (query) */
    AST_EXPR_INTERVAL,     /* INTERVAL 3 DAY, INTERVAL '3 days' */
    AST_EXPR_STRUCT,       /* {'a': 1, b: 2} */
    AST_EXPR_LIST,         /* [1, 2, 3] */
    AST_EXPR_COLLATE,      /* x COLLATE name */
} ast_expr_kind;

typedef enum ast_literal_kind {
    AST_LIT_NULL,
    AST_LIT_BOOLEAN,     /* boolean */
    AST_LIT_INTEGER,     /* integer that fits int64: integer (text holds the digits too) */
    AST_LIT_BIG_INTEGER, /* integer literal beyond int64: text only */
    AST_LIT_DECIMAL,     /* digits with a '.', no exponent (1.5, .5, 2.): text */
    AST_LIT_DOUBLE,      /* with an exponent (1e10, 1.5E-3): text */
    AST_LIT_STRING,      /* 'text' with '' unescaped: text/text_len */
} ast_literal_kind;

typedef struct ast_literal {
    ast_literal_kind kind;
    bool boolean;
    int64_t integer;
    const char *text; /* numbers as written (with a leading '-' when a unary minus was folded
                         into the literal), strings unescaped; NULL for NULL/TRUE/FALSE */
    uint32_t text_len;
} ast_literal;

typedef enum ast_unary_op {
    AST_UNARY_NEGATE, /* -x (not produced for numeric literals: those fold into the literal) */
    AST_UNARY_PLUS,   /* +x */
    AST_UNARY_NOT,    /* NOT x */
} ast_unary_op;

typedef enum ast_binary_op {
    AST_BINARY_ADD,     /* + */
    AST_BINARY_SUB,     /* - */
    AST_BINARY_MUL,     /* * */
    AST_BINARY_DIV,     /* / */
    AST_BINARY_INT_DIV, /* // */
    AST_BINARY_MOD,     /* % */
    AST_BINARY_CONCAT,  /* || */
    AST_BINARY_EQ,      /* = or == */
    AST_BINARY_NE,      /* <> or != */
    AST_BINARY_LT,
    AST_BINARY_LE,
    AST_BINARY_GT,
    AST_BINARY_GE,
    AST_BINARY_AND,
    AST_BINARY_OR,
} ast_binary_op;

typedef enum ast_order_dir { AST_ORDER_DEFAULT, AST_ORDER_ASC, AST_ORDER_DESC } ast_order_dir;
typedef enum ast_nulls_order { AST_NULLS_DEFAULT, AST_NULLS_FIRST, AST_NULLS_LAST } ast_nulls_order;

typedef struct ast_order_item {
    ast_expr *expr; /* NULL only for the single item of ORDER BY ALL */
    ast_order_dir dir;
    ast_nulls_order nulls;
    uint32_t pos;
} ast_order_item;

/* ORDER BY list. `all` is ORDER BY ALL [ASC|DESC] [NULLS ...]: then count == 1 and
 * items[0].expr == NULL carries the direction. */
typedef struct ast_order_by {
    ast_order_item *items;
    uint32_t count;
    bool all;
} ast_order_by;

typedef enum ast_frame_unit { AST_FRAME_NONE, AST_FRAME_ROWS, AST_FRAME_RANGE, AST_FRAME_GROUPS } ast_frame_unit;
typedef enum ast_frame_bound_kind {
    AST_BOUND_DEFAULT,             /* not written */
    AST_BOUND_UNBOUNDED_PRECEDING,
    AST_BOUND_PRECEDING,           /* offset PRECEDING */
    AST_BOUND_CURRENT_ROW,
    AST_BOUND_FOLLOWING,           /* offset FOLLOWING */
    AST_BOUND_UNBOUNDED_FOLLOWING,
} ast_frame_bound_kind;

typedef struct ast_frame_bound {
    ast_frame_bound_kind kind;
    ast_expr *offset; /* PRECEDING / FOLLOWING */
} ast_frame_bound;

/* OVER (...) or OVER name. Frames are checked as written (a start of UNBOUNDED FOLLOWING, an end
 * of UNBOUNDED PRECEDING, and a frame that starts after its end by construction are errors). */
typedef struct ast_window {
    ast_ident name;            /* OVER w, or OVER (w ...): the base window's name */
    bool bare_name;            /* written OVER w, without parentheses */
    ast_expr **partition_by;
    uint32_t partition_count;
    ast_order_by order_by;
    ast_frame_unit frame_unit; /* AST_FRAME_NONE when no frame was written */
    ast_frame_bound start;     /* ROWS x alone is start = x, end = DEFAULT */
    ast_frame_bound end;
    uint32_t pos;
} ast_window;

typedef enum ast_interval_unit {
    AST_INTERVAL_NONE, /* INTERVAL '3 days': the string carries the unit */
    AST_INTERVAL_YEAR,
    AST_INTERVAL_MONTH,
    AST_INTERVAL_WEEK,
    AST_INTERVAL_DAY,
    AST_INTERVAL_HOUR,
    AST_INTERVAL_MINUTE,
    AST_INTERVAL_SECOND,
    AST_INTERVAL_MILLISECOND,
    AST_INTERVAL_MICROSECOND,
} ast_interval_unit;

typedef enum ast_like_kind { AST_LIKE, AST_ILIKE, AST_GLOB, AST_SIMILAR } ast_like_kind;

struct ast_expr {
    ast_expr_kind kind;
    uint32_t pos;
    /* Height of this expression tree (1 for a leaf); a subquery counts as a leaf. */
    uint32_t depth;
    union {
        ast_literal literal; /* CONSTANT */

        struct { /* COLUMN: parts[0].parts[1]... e.g. t.a is {t, a} */
            ast_ident *parts;
            uint32_t count;
        } column;

        struct { /* STAR */
            ast_ident relation;       /* t in t.*; name NULL for * */
            ast_ident *exclude;       /* * EXCLUDE (a, b) */
            uint32_t exclude_count;
            ast_expr **replace_exprs; /* * REPLACE (expr AS name, ...) */
            ast_ident *replace_names;
            uint32_t replace_count;
        } star;

        struct { /* PARAMETER */
            uint32_t index;  /* 1-based: ? numbered by appearance, $n as written */
            bool dollar;     /* written $n */
        } parameter;

        struct { /* UNARY */
            ast_unary_op op;
            ast_expr *operand;
        } unary;

        struct { /* BINARY */
            ast_binary_op op;
            ast_expr *left, *right;
        } binary;

        struct { /* IS_NULL, IS_BOOL (value = TRUE/FALSE) */
            ast_expr *operand;
            bool negated; /* IS NOT NULL / IS NOT TRUE */
            bool value;   /* IS_BOOL only */
        } is;

        struct { /* IS_DISTINCT: left IS [NOT] DISTINCT FROM right */
            ast_expr *left, *right;
            bool negated; /* IS NOT DISTINCT FROM */
        } distinct;

        struct { /* LIKE */
            ast_like_kind like_kind;
            bool negated;
            ast_expr *operand, *pattern, *escape; /* escape NULL when absent */
        } like;

        struct { /* BETWEEN */
            bool negated;
            ast_expr *operand, *low, *high;
        } between;

        struct { /* IN_LIST */
            bool negated;
            ast_expr *operand;
            ast_expr **items;
            uint32_t count;
        } in_list;

        struct { /* IN_SUBQUERY */
            bool negated;
            ast_expr *operand;
            ast_query *query;
        } in_subquery;

        struct { /* FUNCTION */
            ast_ident schema;     /* s in s.f(...); name NULL when not qualified */
            ast_ident name;
            ast_expr **args;
            ast_ident *arg_names; /* per argument: name := x or name = x (table functions);
                                     arg_names[i].name NULL for positional ones; the whole
                                     array is NULL when no argument is named */
            uint32_t arg_count;
            bool distinct;        /* f(DISTINCT x) */
            bool star;            /* f(*): arg_count == 0 */
            ast_order_by order_by;/* f(x ORDER BY y) */
            ast_expr *filter;     /* f(x) FILTER (WHERE cond) */
            bool ignore_nulls;    /* f(x IGNORE NULLS) / f(x) IGNORE NULLS */
            ast_window *over;     /* NULL unless a window call */
        } function;

        struct { /* CASE */
            ast_expr *operand;  /* CASE x WHEN ...: NULL for searched CASE */
            ast_expr **whens;
            ast_expr **thens;
            uint32_t count;
            ast_expr *else_expr; /* NULL when absent */
        } case_;

        struct { /* CAST */
            ast_expr *operand;
            ast_type_name type;
            bool try_cast;
            bool typed_literal; /* DATE '2020-01-01' style */
            bool postfix;       /* x::t */
        } cast;

        struct { /* SUBQUERY, EXISTS */
            ast_query *query;
        } subquery;

        struct { /* INTERVAL */
            ast_expr *value;         /* INTERVAL 3 DAY: 3; INTERVAL '3 days': the string */
            ast_interval_unit unit;  /* NONE for the string-only form */
        } interval;

        struct { /* STRUCT */
            ast_ident *keys;  /* 'a' or a; quoted is true for string keys */
            ast_expr **values;
            uint32_t count;
        } struct_;

        struct { /* LIST */
            ast_expr **items;
            uint32_t count;
        } list;

        struct { /* COLLATE */
            ast_expr *operand;
            ast_ident collation;
        } collate;
    };
};

/* ---- queries ------------------------------------------------------------------------------- */

typedef struct ast_select_item {
    ast_expr *expr;
    ast_ident alias; /* name NULL when no alias */
    uint32_t pos;
} ast_select_item;

typedef enum ast_join_type {
    AST_JOIN_INNER,
    AST_JOIN_LEFT,
    AST_JOIN_RIGHT,
    AST_JOIN_FULL,
    AST_JOIN_CROSS, /* CROSS JOIN and comma */
    AST_JOIN_SEMI,
    AST_JOIN_ANTI,
} ast_join_type;

typedef enum ast_table_ref_kind {
    AST_TABLE_BASE,     /* [schema.]name */
    AST_TABLE_FUNCTION, /* range(10), read_csv('x', header=true) */
    AST_TABLE_FILE,     /* 'file.csv' */
    AST_TABLE_SUBQUERY, /* (query) */
    AST_TABLE_JOIN,     /* left JOIN right */
} ast_table_ref_kind;

struct ast_table_ref {
    ast_table_ref_kind kind;
    uint32_t pos;
    /* alias and column aliases: `AS r(i, j)`; not used for JOIN */
    ast_ident alias;
    ast_ident *column_aliases;
    uint32_t column_alias_count;
    union {
        ast_qualified_name base; /* BASE */
        ast_expr *function;      /* FUNCTION: an AST_EXPR_FUNCTION node */
        struct {                 /* FILE */
            const char *path;
            uint32_t path_len;
        } file;
        ast_query *subquery;     /* SUBQUERY */
        struct {                 /* JOIN */
            ast_join_type type;
            bool natural;
            bool comma;          /* written as FROM a, b */
            ast_table_ref *left, *right;
            ast_expr *on;        /* NULL when absent */
            ast_ident *using_columns;
            uint32_t using_count;
        } join;
    };
};

typedef struct ast_cte {
    ast_ident name;
    ast_ident *columns;
    uint32_t column_count;
    ast_query *query;
    bool materialized;     /* AS MATERIALIZED (...) */
    bool not_materialized; /* AS NOT MATERIALIZED (...) */
    uint32_t pos;
} ast_cte;

/* WINDOW name AS (...) of a SELECT. */
typedef struct ast_named_window {
    ast_ident name;
    ast_window *window;
} ast_named_window;

struct ast_select {
    bool distinct;          /* SELECT DISTINCT */
    ast_expr **distinct_on; /* SELECT DISTINCT ON (a, b) */
    uint32_t distinct_on_count;
    ast_select_item *items; /* FROM-first without SELECT: one item, a plain STAR */
    uint32_t item_count;
    bool from_first;        /* written FROM t [SELECT ...] */
    ast_table_ref *from;    /* NULL when no FROM; commas and joins form a left-deep tree */
    ast_expr *where;
    ast_expr **group_by;
    uint32_t group_count;
    bool group_by_all;      /* GROUP BY ALL: group_count == 0 */
    ast_expr *having;
    ast_named_window *windows; /* WINDOW w AS (...), ...: names are distinct */
    uint32_t window_count;
    ast_expr *qualify;
    uint32_t pos;
};

typedef enum ast_query_kind {
    AST_QUERY_SELECT,
    AST_QUERY_VALUES, /* VALUES (..), (..) */
    AST_QUERY_SET_OP, /* left UNION|EXCEPT|INTERSECT [ALL] right */
} ast_query_kind;

typedef enum ast_set_op {
    AST_SET_UNION,
    AST_SET_EXCEPT,
    AST_SET_INTERSECT,
} ast_set_op;

typedef struct ast_values_row {
    ast_expr **values;
    uint32_t count;
    uint32_t pos;
} ast_values_row;

/* A query. ORDER BY / LIMIT / OFFSET and WITH belong to the query node they were written on: on
 * a SET_OP they apply to the whole set operation. */
struct ast_query {
    ast_query_kind kind;
    uint32_t pos;
    ast_cte *ctes; /* WITH ... */
    uint32_t cte_count;
    bool recursive; /* WITH RECURSIVE */
    union {
        ast_select *select; /* SELECT */
        struct {            /* VALUES */
            ast_values_row *rows;
            uint32_t row_count;
        } values;
        struct {            /* SET_OP */
            ast_set_op op;
            bool all;       /* UNION ALL */
            bool by_name;   /* UNION [ALL] BY NAME */
            ast_query *left, *right;
        } set_op;
    };
    ast_order_by order_by;
    ast_expr *limit;  /* NULL when absent */
    ast_expr *offset; /* NULL when absent */
};

/* ---- statements ------------------------------------------------------------------------- */

typedef enum ast_statement_kind {
    AST_STMT_SELECT,       /* any query: SELECT, VALUES, FROM-first, set operations */
    AST_STMT_CREATE_TABLE,
    AST_STMT_DROP,
    AST_STMT_INSERT,
    AST_STMT_DELETE,
    AST_STMT_UPDATE,
    AST_STMT_SET,
    AST_STMT_RESET,
    AST_STMT_DESCRIBE,
    AST_STMT_SHOW,
    AST_STMT_PRAGMA,
    AST_STMT_COPY,
    AST_STMT_EXPLAIN,
    AST_STMT_TRANSACTION,
    AST_STMT_CHECKPOINT,
} ast_statement_kind;

typedef struct ast_column_def {
    ast_ident name;
    ast_type_name type;
    bool not_null;
    bool primary_key; /* column PRIMARY KEY (implies NOT NULL) */
    bool unique;
    ast_expr *default_value; /* NULL when absent */
    uint32_t pos;
} ast_column_def;

typedef enum ast_drop_kind { AST_DROP_TABLE, AST_DROP_VIEW, AST_DROP_SCHEMA } ast_drop_kind;
typedef enum ast_set_scope { AST_SCOPE_DEFAULT, AST_SCOPE_GLOBAL, AST_SCOPE_SESSION, AST_SCOPE_LOCAL } ast_set_scope;
typedef enum ast_transaction_kind { AST_TRANSACTION_BEGIN, AST_TRANSACTION_COMMIT, AST_TRANSACTION_ROLLBACK } ast_transaction_kind;
typedef enum ast_pragma_kind {
    AST_PRAGMA_PLAIN,  /* PRAGMA name */
    AST_PRAGMA_CALL,   /* PRAGMA name(args) */
    AST_PRAGMA_ASSIGN, /* PRAGMA name = value: args[0] is the value */
} ast_pragma_kind;

/* A COPY option: HEADER, DELIMITER ',', FORCE_QUOTE (a, b). value NULL for a bare name; a
 * parenthesized list is an AST_EXPR_LIST. */
typedef struct ast_copy_option {
    ast_ident name;
    ast_expr *value;
    uint32_t pos;
} ast_copy_option;

struct ast_statement {
    ast_statement_kind kind;
    uint32_t pos;
    /* The statement's own text is sql[start, end): from its first token to the end of its last
     * token, without the ';'. */
    uint32_t start;
    uint32_t end;
    /* Number of parameters in this statement: the highest `?` / `$n` index. */
    uint32_t parameter_count;
    union {
        ast_query *query; /* SELECT */

        struct { /* CREATE_TABLE */
            ast_qualified_name name;
            bool or_replace;
            bool if_not_exists;
            bool temporary;
            ast_column_def *columns;  /* empty with AS query */
            uint32_t column_count;
            ast_ident *primary_key;   /* table constraint PRIMARY KEY (a, b) */
            uint32_t primary_key_count;
            ast_query *as_query;      /* CREATE TABLE ... AS query; NULL otherwise */
        } create_table;

        struct { /* DROP */
            ast_drop_kind object;
            bool if_exists;
            bool cascade;
            ast_qualified_name *names;
            uint32_t count;
        } drop;

        struct { /* INSERT */
            ast_qualified_name table;
            ast_ident *columns; /* NULL/0 when no column list */
            uint32_t column_count;
            ast_query *query;   /* VALUES rows are an AST_QUERY_VALUES query */
            bool or_replace;    /* INSERT OR REPLACE */
            bool or_ignore;     /* INSERT OR IGNORE */
            bool default_values;/* INSERT INTO t DEFAULT VALUES: query NULL */
        } insert;

        struct { /* DELETE */
            ast_qualified_name table;
            ast_ident alias;
            ast_expr *where; /* NULL when absent */
        } delete_;

        struct { /* UPDATE */
            ast_qualified_name table;
            ast_ident alias;
            ast_ident *columns;
            ast_expr **values;
            uint32_t count;
            ast_table_ref *from; /* UPDATE ... FROM ...; NULL when absent */
            ast_expr *where;
        } update;

        struct { /* SET (value set), RESET (value NULL) */
            ast_set_scope scope;
            ast_ident name; /* dotted names are kept whole: "a.b" */
            ast_expr *value;
        } set;

        struct { /* DESCRIBE: either a table or a query */
            ast_qualified_name table; /* table.name.name NULL when describing a query */
            ast_query *query;
        } describe;

        struct { /* SHOW */
            bool tables;     /* SHOW TABLES */
            bool all_tables; /* SHOW ALL TABLES */
            ast_qualified_name name; /* SHOW name (a setting or a table; the binder decides) */
        } show;

        struct { /* PRAGMA */
            ast_pragma_kind pragma_kind;
            ast_ident name;
            ast_expr **args;
            uint32_t arg_count;
        } pragma;

        struct { /* COPY */
            bool is_from;              /* COPY t FROM 'file' (else TO) */
            ast_qualified_name table;  /* table.name.name NULL for COPY (query) TO */
            ast_ident *columns;
            uint32_t column_count;
            ast_query *query;          /* COPY (query) TO */
            const char *path;
            uint32_t path_len;
            ast_copy_option *options;
            uint32_t option_count;
        } copy;

        struct { /* EXPLAIN */
            bool analyze;
            ast_statement *statement;
        } explain;

        struct { /* TRANSACTION */
            ast_transaction_kind transaction_kind;
        } transaction;

        struct { /* CHECKPOINT */
            bool force;
        } checkpoint;
    };
};

#endif
