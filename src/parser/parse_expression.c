/* Expressions (precedence climbing) and type names. */
#include <string.h>

#include "parser/parser_internal.h"

enum {
    PREC_NONE = 0,
    PREC_OR,
    PREC_AND,
    PREC_NOT,
    PREC_IS,
    PREC_CMP, /* comparisons, [NOT] LIKE / ILIKE / GLOB / SIMILAR TO / BETWEEN / IN */
    PREC_CONCAT,
    PREC_ADD,
    PREC_MUL,
    PREC_UNARY,
    PREC_POSTFIX, /* ::type, COLLATE */
};

/* ---- nodes ----------------------------------------------------------------------------------- */

ast_expr *parser_new_expr(parser *p, ast_expr_kind kind, uint32_t pos) {
    ast_expr *e = parser_alloc(p, sizeof *e);
    e->kind = kind;
    e->pos = pos;
    e->depth = 1;
    return e;
}

void parser_set_height(parser *p, ast_expr *e, uint32_t child_height) {
    uint32_t h = child_height + 1;
    if (h > p->max_expr_depth)
        parser_fail_at(p, e->pos, "expression is nested too deeply: its tree is deeper than the limit of %u levels",
                       p->max_expr_depth);
    e->depth = h;
}

const char *parser_string_value(parser *p, const token *t, uint32_t *len) {
    const char *s = p->sql + t->start + 1;
    uint32_t n = t->len - 2;
    char q = p->sql[t->start];
    char *out;
    if (!memchr(s, q, n)) {
        out = arena_strndup(p->a, s, n, p->err);
        if (!out) parser_fail(p);
        *len = n;
        return out;
    }
    out = parser_alloc(p, (size_t)n + 1);
    uint32_t o = 0;
    for (uint32_t i = 0; i < n; i++) {
        out[o++] = s[i];
        if (s[i] == q) i++; /* a doubled quote stands for one */
    }
    out[o] = '\0';
    *len = o;
    return out;
}

ast_expr *parser_string_literal(parser *p, const token *t) {
    ast_expr *e = parser_new_expr(p, AST_EXPR_CONSTANT, t->start);
    e->literal.kind = AST_LIT_STRING;
    e->literal.text = parser_string_value(p, t, &e->literal.text_len);
    return e;
}

static ast_expr *number_literal(parser *p, const token *t) {
    ast_expr *e = parser_new_expr(p, AST_EXPR_CONSTANT, t->start);
    const char *s = p->sql + t->start;
    char *text = arena_strndup(p->a, s, t->len, p->err);
    if (!text) parser_fail(p);
    e->literal.text = text;
    e->literal.text_len = t->len;
    if (t->type == TOK_DECIMAL) {
        e->literal.kind = AST_LIT_DECIMAL;
    } else if (t->type == TOK_FLOAT) {
        e->literal.kind = AST_LIT_DOUBLE;
    } else {
        uint64_t v = 0;
        bool overflow = false;
        for (uint32_t i = 0; i < t->len; i++) {
            uint64_t d = (uint64_t)(s[i] - '0');
            if (v > (UINT64_C(9223372036854775807) - d) / 10) {
                overflow = true;
                break;
            }
            v = v * 10 + d;
        }
        e->literal.kind = overflow ? AST_LIT_BIG_INTEGER : AST_LIT_INTEGER;
        e->literal.integer = overflow ? 0 : (int64_t)v;
    }
    return e;
}

/* -<numeric literal> becomes a negative literal (so -9223372036854775808 is an INTEGER). */
static bool fold_negation(parser *p, ast_expr *e) {
    if (e->kind != AST_EXPR_CONSTANT) return false;
    ast_literal *l = &e->literal;
    if (l->kind != AST_LIT_INTEGER && l->kind != AST_LIT_BIG_INTEGER && l->kind != AST_LIT_DECIMAL &&
        l->kind != AST_LIT_DOUBLE)
        return false;
    char *text;
    if (l->text[0] == '-') {
        text = arena_strndup(p->a, l->text + 1, l->text_len - 1, p->err);
    } else {
        text = parser_alloc(p, (size_t)l->text_len + 2);
        text[0] = '-';
        memcpy(text + 1, l->text, l->text_len);
    }
    if (!text) parser_fail(p);
    l->text = text;
    l->text_len = (uint32_t)strlen(text);
    if (l->kind == AST_LIT_INTEGER) {
        if (l->integer == INT64_MIN) {
            l->kind = AST_LIT_BIG_INTEGER;
            l->integer = 0;
        } else {
            l->integer = -l->integer;
        }
    } else if (l->kind == AST_LIT_BIG_INTEGER && strcmp(text, "-9223372036854775808") == 0) {
        l->kind = AST_LIT_INTEGER;
        l->integer = INT64_MIN;
    }
    return true;
}

/* ---- types ----------------------------------------------------------------------------------- */

static int64_t parse_type_param(parser *p) {
    token t = parser_next(p);
    if (t.type != TOK_INTEGER || t.len > 9) parser_fail_syntax(p, &t);
    int64_t v = 0;
    for (uint32_t i = 0; i < t.len; i++) v = v * 10 + (p->sql[t.start + i] - '0');
    return v;
}

ast_type_name parser_parse_type(parser *p) {
    ast_type_name ty;
    memset(&ty, 0, sizeof ty);
    token t = parser_next(p);
    if (!parser_token_is_ident(&t, KWCAT_TYPE_FUNC)) parser_fail_syntax(p, &t);
    ty.pos = t.start;
    ast_ident first = parser_ident_from_token(p, &t);
    ty.name = first.name;
    ty.len = first.len;
    if (t.type == TOK_IDENT) {
        const token *n1 = parser_peek(p);
        bool joined = false;
        if ((parser_token_is_word(p, &t, "double") && parser_token_is_word(p, n1, "precision")) ||
            (parser_token_is_word(p, &t, "character") && parser_token_is_word(p, n1, "varying"))) {
            token w = parser_next(p);
            ty.name = arena_printf(p->a, p->err, "%s %.*s", first.name, (int)w.len, p->sql + w.start);
            joined = true;
        } else if ((parser_token_is_word(p, &t, "timestamp") || parser_token_is_word(p, &t, "time")) &&
                   ((n1->type == TOK_IDENT && n1->kw == KW_WITH) || parser_token_is_word(p, n1, "without")) &&
                   parser_token_is_word(p, parser_peek_at(p, 1), "time") &&
                   parser_token_is_word(p, parser_peek_at(p, 2), "zone")) {
            token w1 = parser_next(p), w2 = parser_next(p), w3 = parser_next(p);
            ty.name = arena_printf(p->a, p->err, "%s %.*s %.*s %.*s", first.name, (int)w1.len, p->sql + w1.start,
                                   (int)w2.len, p->sql + w2.start, (int)w3.len, p->sql + w3.start);
            joined = true;
        }
        if (joined) {
            if (!ty.name) parser_fail(p);
            ty.len = (uint32_t)strlen(ty.name);
        }
    }
    if (parser_accept(p, TOK_LPAREN)) {
        ty.width = parse_type_param(p);
        ty.param_count = 1;
        if (parser_accept(p, TOK_COMMA)) {
            ty.scale = parse_type_param(p);
            ty.param_count = 2;
        }
        parser_expect(p, TOK_RPAREN);
    }
    while (parser_is(p, TOK_LBRACKET) && parser_peek_at(p, 1)->type == TOK_RBRACKET) {
        parser_next(p);
        parser_next(p);
        ty.array_dims++;
    }
    return ty;
}

/* ---- primary expressions -------------------------------------------------------------------- */

static ast_interval_unit interval_unit(parser *p, const token *t) {
    static const struct { const char *word; ast_interval_unit unit; } units[] = {
        {"year", AST_INTERVAL_YEAR},     {"years", AST_INTERVAL_YEAR},
        {"month", AST_INTERVAL_MONTH},   {"months", AST_INTERVAL_MONTH},
        {"week", AST_INTERVAL_WEEK},     {"weeks", AST_INTERVAL_WEEK},
        {"day", AST_INTERVAL_DAY},       {"days", AST_INTERVAL_DAY},
        {"hour", AST_INTERVAL_HOUR},     {"hours", AST_INTERVAL_HOUR},
        {"minute", AST_INTERVAL_MINUTE}, {"minutes", AST_INTERVAL_MINUTE},
        {"second", AST_INTERVAL_SECOND}, {"seconds", AST_INTERVAL_SECOND},
        {"millisecond", AST_INTERVAL_MILLISECOND}, {"milliseconds", AST_INTERVAL_MILLISECOND},
        {"microsecond", AST_INTERVAL_MICROSECOND}, {"microseconds", AST_INTERVAL_MICROSECOND},
    };
    if (t->type != TOK_IDENT) return AST_INTERVAL_NONE;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (parser_token_is_word(p, t, units[i].word)) return units[i].unit;
    return AST_INTERVAL_NONE;
}

static ast_expr *parse_interval(parser *p) {
    token kw = parser_next(p);
    ast_expr *e = parser_new_expr(p, AST_EXPR_INTERVAL, kw.start);
    if (parser_is(p, TOK_STRING)) {
        token s = parser_next(p);
        e->interval.value = parser_string_literal(p, &s);
        ast_interval_unit u = interval_unit(p, parser_peek(p));
        if (u != AST_INTERVAL_NONE) parser_next(p);
        e->interval.unit = u;
    } else {
        e->interval.value = parser_parse_expr_prec(p, PREC_UNARY);
        ast_interval_unit u = interval_unit(p, parser_peek(p));
        if (u == AST_INTERVAL_NONE) parser_fail_syntax(p, parser_peek(p));
        parser_next(p);
        e->interval.unit = u;
    }
    parser_set_height(p, e, e->interval.value->depth);
    return e;
}

/* Type names that may prefix a string to form a typed literal: DATE '2020-01-01'. */
static bool is_typed_literal_name(parser *p, const token *t) {
    static const char *const names[] = {"date",    "time",    "timestamp", "timestamptz", "datetime", "varchar",
                                        "text",    "integer", "int",       "bigint",      "double",   "real",
                                        "float",   "decimal", "numeric",   "boolean",     "bool",     "smallint",
                                        "tinyint", "hugeint", "blob",      "uuid",        "json"};
    if (t->type != TOK_IDENT || t->kw != KW_NONE) return false;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (parser_token_is_word(p, t, names[i])) return true;
    return false;
}

static ast_expr *parse_case(parser *p) {
    token kw = parser_next(p);
    ast_expr *e = parser_new_expr(p, AST_EXPR_CASE, kw.start);
    uint32_t height = 0, cap_w = 0, cap_t = 0, nt = 0;
    if (!parser_is_kw(p, KW_WHEN)) {
        e->case_.operand = parser_parse_expr(p);
        parser_height_max(&height, e->case_.operand);
    }
    while (parser_accept_kw(p, KW_WHEN)) {
        ast_expr *w = parser_parse_expr(p);
        parser_expect_kw(p, KW_THEN);
        ast_expr *t = parser_parse_expr(p);
        parser_height_max(&height, w);
        parser_height_max(&height, t);
        parser_push(p, &e->case_.whens, &e->case_.count, &cap_w, sizeof w, &w);
        parser_push(p, &e->case_.thens, &nt, &cap_t, sizeof t, &t);
    }
    if (e->case_.count == 0) parser_fail_syntax(p, parser_peek(p));
    if (parser_accept_kw(p, KW_ELSE)) {
        e->case_.else_expr = parser_parse_expr(p);
        parser_height_max(&height, e->case_.else_expr);
    }
    parser_expect_kw(p, KW_END);
    parser_set_height(p, e, height);
    return e;
}

static ast_expr *parse_cast(parser *p) {
    token kw = parser_next(p);
    ast_expr *e = parser_new_expr(p, AST_EXPR_CAST, kw.start);
    e->cast.try_cast = kw.kw == KW_TRY_CAST;
    parser_expect(p, TOK_LPAREN);
    e->cast.operand = parser_parse_expr(p);
    parser_expect_kw(p, KW_AS);
    e->cast.type = parser_parse_type(p);
    parser_expect(p, TOK_RPAREN);
    parser_set_height(p, e, e->cast.operand->depth);
    return e;
}

static ast_expr *parse_subquery_expr(parser *p, ast_expr_kind kind, uint32_t pos) {
    ast_expr *e = parser_new_expr(p, kind, pos);
    parser_expect(p, TOK_LPAREN);
    e->subquery.query = parser_parse_query(p);
    parser_expect(p, TOK_RPAREN);
    return e;
}

static ast_expr *parse_list_literal(parser *p) {
    token open = parser_next(p);
    ast_expr *e = parser_new_expr(p, AST_EXPR_LIST, open.start);
    uint32_t cap = 0, height = 0;
    if (!parser_is(p, TOK_RBRACKET)) {
        do {
            ast_expr *item = parser_parse_expr(p);
            parser_height_max(&height, item);
            parser_push(p, &e->list.items, &e->list.count, &cap, sizeof item, &item);
        } while (parser_accept(p, TOK_COMMA));
    }
    parser_expect(p, TOK_RBRACKET);
    parser_set_height(p, e, height);
    return e;
}

static ast_expr *parse_struct_literal(parser *p) {
    token open = parser_next(p);
    ast_expr *e = parser_new_expr(p, AST_EXPR_STRUCT, open.start);
    uint32_t cap_k = 0, cap_v = 0, nv = 0, height = 0;
    if (!parser_is(p, TOK_RBRACE)) {
        do {
            ast_ident key;
            if (parser_is(p, TOK_STRING)) {
                token s = parser_next(p);
                key.name = parser_string_value(p, &s, &key.len);
                key.quoted = true;
                key.pos = s.start;
            } else {
                key = parser_parse_label(p);
            }
            parser_expect(p, TOK_COLON);
            ast_expr *v = parser_parse_expr(p);
            parser_height_max(&height, v);
            parser_push(p, &e->struct_.keys, &e->struct_.count, &cap_k, sizeof key, &key);
            parser_push(p, &e->struct_.values, &nv, &cap_v, sizeof v, &v);
        } while (parser_accept(p, TOK_COMMA));
    }
    parser_expect(p, TOK_RBRACE);
    parser_set_height(p, e, height);
    return e;
}

static ast_expr *parse_parameter(parser *p) {
    token t = parser_next(p);
    ast_expr *e = parser_new_expr(p, AST_EXPR_PARAMETER, t.start);
    if (t.type == TOK_PARAM) {
        e->parameter.index = ++p->param_counter;
    } else {
        uint64_t v = 0;
        for (uint32_t i = 1; i < t.len && v <= 65535; i++) v = v * 10 + (uint64_t)(p->sql[t.start + i] - '0');
        if (v == 0 || v > 65535) parser_fail_at(p, t.start, "parameter number out of range (1 to 65535)");
        e->parameter.index = (uint32_t)v;
        e->parameter.dollar = true;
    }
    if (e->parameter.index > p->param_max) p->param_max = e->parameter.index;
    return e;
}

/* A column reference, t.*, or a function call, starting at an identifier. */
static ast_expr *parse_name_expr(parser *p) {
    token first = parser_next(p);
    ast_ident id = parser_ident_from_token(p, &first);
    if (parser_is(p, TOK_LPAREN)) {
        ast_ident none = {NULL, 0, false, 0};
        return parser_parse_function_call(p, none, id, false);
    }
    if (first.type == TOK_IDENT && keyword_category_of(first.kw) == KWCAT_TYPE_FUNC)
        parser_fail_syntax(p, &first);
    ast_ident parts[3];
    uint32_t count = 1;
    parts[0] = id;
    while (parser_is(p, TOK_DOT)) {
        parser_next(p);
        if (parser_is(p, TOK_STAR)) {
            parser_next(p);
            ast_expr *e = parser_new_expr(p, AST_EXPR_STAR, first.start);
            e->star.relation = parts[count - 1];
            return e;
        }
        if (count == 3) parser_fail_syntax(p, parser_peek(p));
        parts[count++] = parser_parse_label(p);
        if (count == 2 && parser_is(p, TOK_LPAREN)) return parser_parse_function_call(p, parts[0], parts[1], false);
    }
    ast_expr *e = parser_new_expr(p, AST_EXPR_COLUMN, first.start);
    e->column.parts = parser_alloc(p, sizeof(ast_ident) * count);
    memcpy(e->column.parts, parts, sizeof(ast_ident) * count);
    e->column.count = count;
    return e;
}

static ast_expr *parse_primary(parser *p) {
    const token *t = parser_peek(p);
    switch (t->type) {
    case TOK_INTEGER:
    case TOK_DECIMAL:
    case TOK_FLOAT: {
        token n = parser_next(p);
        return number_literal(p, &n);
    }
    case TOK_STRING: {
        token s = parser_next(p);
        return parser_string_literal(p, &s);
    }
    case TOK_PARAM:
    case TOK_DOLLAR_PARAM:
        return parse_parameter(p);
    case TOK_LPAREN: {
        uint32_t pos = t->start;
        if (parser_starts_query(p, 1)) return parse_subquery_expr(p, AST_EXPR_SUBQUERY, pos);
        parser_next(p);
        ast_expr *e = parser_parse_expr(p);
        parser_expect(p, TOK_RPAREN);
        return e;
    }
    case TOK_LBRACKET:
        return parse_list_literal(p);
    case TOK_LBRACE:
        return parse_struct_literal(p);
    case TOK_QUOTED_IDENT:
        return parse_name_expr(p);
    case TOK_IDENT:
        break;
    default:
        parser_fail_syntax(p, t);
    }
    const token *t1 = parser_peek_at(p, 1);
    switch (t->kw) {
    case KW_NULL:
    case KW_TRUE:
    case KW_FALSE: {
        token k = parser_next(p);
        ast_expr *e = parser_new_expr(p, AST_EXPR_CONSTANT, k.start);
        e->literal.kind = k.kw == KW_NULL ? AST_LIT_NULL : AST_LIT_BOOLEAN;
        e->literal.boolean = k.kw == KW_TRUE;
        return e;
    }
    case KW_CASE:
        return parse_case(p);
    case KW_CAST:
    case KW_TRY_CAST:
        if (t1->type == TOK_LPAREN) return parse_cast(p);
        break;
    case KW_EXISTS:
        if (t1->type == TOK_LPAREN) {
            uint32_t pos = parser_next(p).start;
            return parse_subquery_expr(p, AST_EXPR_EXISTS, pos);
        }
        break;
    case KW_INTERVAL:
        if (t1->type == TOK_STRING || t1->type == TOK_INTEGER || t1->type == TOK_DECIMAL || t1->type == TOK_FLOAT ||
            t1->type == TOK_LPAREN || t1->type == TOK_MINUS || t1->type == TOK_PARAM || t1->type == TOK_DOLLAR_PARAM)
            return parse_interval(p);
        break;
    default:
        break;
    }
    if (t1->type == TOK_STRING && is_typed_literal_name(p, t)) {
        ast_expr *e = parser_new_expr(p, AST_EXPR_CAST, t->start);
        e->cast.type = parser_parse_type(p);
        token s = parser_next(p);
        e->cast.operand = parser_string_literal(p, &s);
        e->cast.typed_literal = true;
        parser_set_height(p, e, 1);
        return e;
    }
    if (!parser_token_is_ident(t, KWCAT_TYPE_FUNC)) parser_fail_syntax(p, t);
    return parse_name_expr(p);
}

static ast_expr *parse_prefix(parser *p) {
    const token *t = parser_peek(p);
    if (t->type == TOK_IDENT && t->kw == KW_NOT) {
        token k = parser_next(p);
        ast_expr *e = parser_new_expr(p, AST_EXPR_UNARY, k.start);
        e->unary.op = AST_UNARY_NOT;
        e->unary.operand = parser_parse_expr_prec(p, PREC_NOT);
        parser_set_height(p, e, e->unary.operand->depth);
        return e;
    }
    if (t->type == TOK_MINUS || t->type == TOK_PLUS) {
        token k = parser_next(p);
        ast_expr *operand = parser_parse_expr_prec(p, PREC_UNARY);
        if (k.type == TOK_MINUS && fold_negation(p, operand)) {
            operand->pos = k.start;
            return operand;
        }
        ast_expr *e = parser_new_expr(p, AST_EXPR_UNARY, k.start);
        e->unary.op = k.type == TOK_MINUS ? AST_UNARY_NEGATE : AST_UNARY_PLUS;
        e->unary.operand = operand;
        parser_set_height(p, e, operand->depth);
        return e;
    }
    return parse_primary(p);
}

/* ---- infix operators --------------------------------------------------------------------------- */

static bool is_like_kw(keyword kw) {
    return kw == KW_LIKE || kw == KW_ILIKE || kw == KW_GLOB || kw == KW_SIMILAR || kw == KW_BETWEEN || kw == KW_IN;
}

static int infix_precedence(parser *p, const token *t) {
    switch (t->type) {
    case TOK_IDENT:
        switch (t->kw) {
        case KW_OR: return PREC_OR;
        case KW_AND: return PREC_AND;
        case KW_IS:
        case KW_ISNULL:
        case KW_NOTNULL: return PREC_IS;
        case KW_LIKE:
        case KW_ILIKE:
        case KW_GLOB:
        case KW_SIMILAR:
        case KW_BETWEEN:
        case KW_IN: return PREC_CMP;
        case KW_NOT: {
            const token *n = parser_peek_at(p, 1);
            return n->type == TOK_IDENT && is_like_kw(n->kw) ? PREC_CMP : PREC_NONE;
        }
        case KW_COLLATE: return PREC_POSTFIX;
        default: return PREC_NONE;
        }
    case TOK_EQ:
    case TOK_EQ_EQ:
    case TOK_NE:
    case TOK_LT:
    case TOK_LE:
    case TOK_GT:
    case TOK_GE: return PREC_CMP;
    case TOK_CONCAT: return PREC_CONCAT;
    case TOK_PLUS:
    case TOK_MINUS: return PREC_ADD;
    case TOK_STAR:
    case TOK_SLASH:
    case TOK_SLASH_SLASH:
    case TOK_PERCENT: return PREC_MUL;
    case TOK_DOUBLE_COLON: return PREC_POSTFIX;
    default: return PREC_NONE;
    }
}

static ast_binary_op binary_op_of(const token *t) {
    switch (t->type) {
    case TOK_PLUS: return AST_BINARY_ADD;
    case TOK_MINUS: return AST_BINARY_SUB;
    case TOK_STAR: return AST_BINARY_MUL;
    case TOK_SLASH: return AST_BINARY_DIV;
    case TOK_SLASH_SLASH: return AST_BINARY_INT_DIV;
    case TOK_PERCENT: return AST_BINARY_MOD;
    case TOK_CONCAT: return AST_BINARY_CONCAT;
    case TOK_EQ:
    case TOK_EQ_EQ: return AST_BINARY_EQ;
    case TOK_NE: return AST_BINARY_NE;
    case TOK_LT: return AST_BINARY_LT;
    case TOK_LE: return AST_BINARY_LE;
    case TOK_GT: return AST_BINARY_GT;
    case TOK_GE: return AST_BINARY_GE;
    default: return t->kw == KW_AND ? AST_BINARY_AND : AST_BINARY_OR;
    }
}

static ast_expr *parse_infix(parser *p, ast_expr *left, int prec) {
    token op = parser_next(p);
    uint32_t pos = left->pos;
    uint32_t height = left->depth;
    ast_expr *e;
    if (op.type == TOK_DOUBLE_COLON) {
        e = parser_new_expr(p, AST_EXPR_CAST, pos);
        e->cast.operand = left;
        e->cast.type = parser_parse_type(p);
        e->cast.postfix = true;
        parser_set_height(p, e, height);
        return e;
    }
    if (op.type != TOK_IDENT || op.kw == KW_AND || op.kw == KW_OR) {
        e = parser_new_expr(p, AST_EXPR_BINARY, pos);
        e->binary.op = binary_op_of(&op);
        e->binary.left = left;
        e->binary.right = parser_parse_expr_prec(p, prec + 1);
        parser_height_max(&height, e->binary.right);
        parser_set_height(p, e, height);
        return e;
    }
    bool negated = false;
    switch (op.kw) {
    case KW_COLLATE:
        e = parser_new_expr(p, AST_EXPR_COLLATE, pos);
        e->collate.operand = left;
        e->collate.collation = parser_parse_label(p);
        break;
    case KW_ISNULL:
    case KW_NOTNULL:
        e = parser_new_expr(p, AST_EXPR_IS_NULL, pos);
        e->is.operand = left;
        e->is.negated = op.kw == KW_NOTNULL;
        break;
    case KW_IS: {
        negated = parser_accept_kw(p, KW_NOT);
        token what = parser_next(p);
        if (what.type == TOK_IDENT && what.kw == KW_NULL) {
            e = parser_new_expr(p, AST_EXPR_IS_NULL, pos);
            e->is.operand = left;
            e->is.negated = negated;
        } else if (what.type == TOK_IDENT && (what.kw == KW_TRUE || what.kw == KW_FALSE)) {
            e = parser_new_expr(p, AST_EXPR_IS_BOOL, pos);
            e->is.operand = left;
            e->is.negated = negated;
            e->is.value = what.kw == KW_TRUE;
        } else if (what.type == TOK_IDENT && what.kw == KW_DISTINCT) {
            parser_expect_kw(p, KW_FROM);
            e = parser_new_expr(p, AST_EXPR_IS_DISTINCT, pos);
            e->distinct.left = left;
            e->distinct.negated = negated;
            e->distinct.right = parser_parse_expr_prec(p, PREC_IS + 1);
            parser_height_max(&height, e->distinct.right);
        } else {
            parser_fail_syntax(p, &what);
        }
        break;
    }
    default: {
        if (op.kw == KW_NOT) {
            negated = true;
            op = parser_next(p);
        }
        if (op.kw == KW_BETWEEN) {
            e = parser_new_expr(p, AST_EXPR_BETWEEN, pos);
            e->between.negated = negated;
            e->between.operand = left;
            e->between.low = parser_parse_expr_prec(p, PREC_CMP + 1);
            parser_expect_kw(p, KW_AND);
            e->between.high = parser_parse_expr_prec(p, PREC_CMP + 1);
            parser_height_max(&height, e->between.low);
            parser_height_max(&height, e->between.high);
        } else if (op.kw == KW_IN) {
            if (!parser_is(p, TOK_LPAREN)) parser_fail_syntax(p, parser_peek(p));
            if (parser_starts_query(p, 1)) {
                parser_next(p);
                e = parser_new_expr(p, AST_EXPR_IN_SUBQUERY, pos);
                e->in_subquery.negated = negated;
                e->in_subquery.operand = left;
                e->in_subquery.query = parser_parse_query(p);
            } else {
                parser_next(p);
                e = parser_new_expr(p, AST_EXPR_IN_LIST, pos);
                e->in_list.negated = negated;
                e->in_list.operand = left;
                uint32_t cap = 0;
                do {
                    ast_expr *item = parser_parse_expr(p);
                    parser_height_max(&height, item);
                    parser_push(p, &e->in_list.items, &e->in_list.count, &cap, sizeof item, &item);
                } while (parser_accept(p, TOK_COMMA));
            }
            parser_expect(p, TOK_RPAREN);
        } else {
            e = parser_new_expr(p, AST_EXPR_LIKE, pos);
            e->like.negated = negated;
            e->like.operand = left;
            if (op.kw == KW_SIMILAR) {
                parser_expect_kw(p, KW_TO);
                e->like.like_kind = AST_SIMILAR;
            } else {
                e->like.like_kind = op.kw == KW_LIKE ? AST_LIKE : op.kw == KW_ILIKE ? AST_ILIKE : AST_GLOB;
            }
            e->like.pattern = parser_parse_expr_prec(p, PREC_CMP + 1);
            parser_height_max(&height, e->like.pattern);
            if (parser_accept_kw(p, KW_ESCAPE)) {
                e->like.escape = parser_parse_expr_prec(p, PREC_CMP + 1);
                parser_height_max(&height, e->like.escape);
            }
        }
        break;
    }
    }
    parser_set_height(p, e, height);
    return e;
}

ast_expr *parser_parse_expr_prec(parser *p, int min_prec) {
    parser_depth_enter(p, parser_peek(p)->start);
    ast_expr *left = parse_prefix(p);
    for (;;) {
        int prec = infix_precedence(p, parser_peek(p));
        if (prec == PREC_NONE || prec < min_prec) break;
        left = parse_infix(p, left, prec);
    }
    parser_depth_leave(p);
    return left;
}

ast_expr *parser_parse_expr(parser *p) { return parser_parse_expr_prec(p, PREC_OR); }
