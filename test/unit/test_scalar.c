/* test_scalar.c — scalar functions and operators: binding, arithmetic, comparisons, strings, LIKE. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/arena.h"
#include "common/vector.h"
#include "function/cast.h"
#include "function/scalar.h"
#include "memory/pool.h"
#include "test_util.h"

static buffer_pool *pool;
static arena *mem;

#define MAX_ROWS 8

/* Binds name for the argument types, casts the arguments as the binder would, runs the function
 * over `rows` rows (args[a * rows + r]) and writes each result's text (or "ERR:...") into out. */
static void run(const char *name, uint32_t nargs, const value *args, uint32_t rows, char out[][256], logical_type *rtype) {
    error err;
    error_clear(&err);
    logical_type types[SCALAR_MAX_ARGS];
    for (uint32_t a = 0; a < nargs; a++) types[a] = args[a * rows].type;
    bound_scalar fn;
    if (!scalar_function_bind(name, types, nargs, &fn, &err)) {
        for (uint32_t r = 0; r < rows; r++) snprintf(out[r], 256, "ERR:%.250s", err.message);
        return;
    }
    if (rtype) *rtype = fn.result_type;
    logical_type ctypes[2 * SCALAR_MAX_ARGS + 1];
    for (uint32_t a = 0; a < nargs; a++) {
        ctypes[a] = types[a];
        ctypes[nargs + a] = fn.arg_types[a];
    }
    ctypes[2 * nargs] = fn.result_type;
    chunk *c = chunk_create(mem, ctypes, 2 * nargs + 1, &err);
    bool ok = c != NULL;
    for (uint32_t a = 0; ok && a < nargs; a++)
        for (uint32_t r = 0; ok && r < rows; r++) ok = vector_set_value(c, &c->columns[a], r, &args[a * rows + r], &err);
    for (uint32_t a = 0; ok && a < nargs; a++) ok = cast_vector(&c->columns[a], &c->columns[nargs + a], rows, c, &err);
    vector *res = ok ? &c->columns[2 * nargs] : NULL;
    if (ok) {
        vector_set_all_valid(res);
        if (!fn.handles_nulls)
            for (uint32_t a = 0; a < nargs; a++)
                for (uint32_t w = 0; w < VALIDITY_WORDS; w++) res->validity[w] &= c->columns[nargs + a].validity[w];
        ok = fn.fn(&c->columns[nargs], nargs, rows, res, c, &err);
    }
    for (uint32_t r = 0; r < rows; r++) {
        if (!ok) {
            snprintf(out[r], 256, "ERR:%.250s", err.message);
            continue;
        }
        value v = vector_get_value(res, r);
        char buf[200];
        value_to_text(&v, buf, sizeof buf);
        snprintf(out[r], 256, "%s", buf);
    }
    if (c) chunk_destroy(c);
}

static void expect_text(const char *where, const char *got, const char *expect) {
    if (strcmp(got, expect) == 0) passed++;
    else {
        failed++;
        fprintf(stderr, "%s: expected [%s] got [%s]\n", where, expect, got);
    }
}

/* One-row call. */
static void expect1(const char *name, uint32_t nargs, const value *args, const char *expect, const char *rtype) {
    char out[1][256];
    logical_type t = type_make(TYPE_INVALID);
    run(name, nargs, args, 1, out, &t);
    char where[300];
    snprintf(where, sizeof where, "%s/%u", name, nargs);
    expect_text(where, out[0], expect);
    if (rtype && strncmp(expect, "ERR:", 4) != 0) {
        char tb[TYPE_NAME_MAX];
        expect_text(where, type_to_string(t, tb), rtype);
    }
}

static value I(int32_t x) { return value_integer(x); }
static value L(int64_t x) { return value_bigint(x); }
static value D(double x) { return value_double(x); }
static value S(const char *s) { return value_varchar(s, (uint32_t)strlen(s)); }
static value B(bool b) { return value_boolean(b); }
static value N(type_id t) { return value_null(type_make(t)); }
static value DEC(int64_t raw, uint8_t w, uint8_t s) {
    value v = value_bigint(raw);
    v.type = type_decimal(w, s);
    return v;
}
static value DATE(int32_t days) {
    value v = value_integer(days);
    v.type = type_make(TYPE_DATE);
    return v;
}
static value TS(int64_t micros) {
    value v = value_bigint(micros);
    v.type = type_make(TYPE_TIMESTAMP);
    return v;
}

#define E2(name, a, b, expect, rtype)                \
    do {                                             \
        value args_[2] = {a, b};                     \
        expect1(name, 2, args_, expect, rtype);      \
    } while (0)
#define E1(name, a, expect, rtype)                   \
    do {                                             \
        value args_[1] = {a};                        \
        expect1(name, 1, args_, expect, rtype);      \
    } while (0)
#define E3(name, a, b, c, expect, rtype)             \
    do {                                             \
        value args_[3] = {a, b, c};                  \
        expect1(name, 3, args_, expect, rtype);      \
    } while (0)

static void test_arithmetic(void) {
    E2("+", I(1), I(2), "3", "INTEGER");
    E2("+", I(1), L(2), "3", "BIGINT");
    E2("+", I(1), D(1.5), "2.5", "DOUBLE");
    E2("+", I(2147483646), I(1), "2147483647", "INTEGER");
    E2("+", I(2147483647), I(1), "ERR:Out of Range Error: Overflow in addition of INT32 (2147483647 + 1)!", NULL);
    E2("-", I(-2147483647), I(2), "ERR:Out of Range Error: Overflow in subtraction of INT32 (-2147483647 - 2)!", NULL);
    E2("*", I(2147483647), I(2), "ERR:Out of Range Error: Overflow in multiplication of INT32 (2147483647 * 2)!", NULL);
    E2("+", L(9223372036854775807LL), L(1),
       "ERR:Out of Range Error: Overflow in addition of INT64 (9223372036854775807 + 1)!", NULL);
    E2("-", L(-9223372036854775807LL), I(2),
       "ERR:Out of Range Error: Overflow in subtraction of INT64 (-9223372036854775807 - 2)!", NULL);
    E2("*", L(4611686018427387904LL), I(2),
       "ERR:Out of Range Error: Overflow in multiplication of INT64 (4611686018427387904 * 2)!", NULL);
    E2("*", L(4611686018427387903LL), I(2), "9223372036854775806", "BIGINT");
    E1("-", I(5), "-5", "INTEGER");
    E1("-", I(-2147483647 - 1), "ERR:Out of Range Error: Overflow in negation of numeric value!", NULL);
    E1("-", D(0.0), "-0.0", "DOUBLE");
    /* division */
    E2("/", I(1), I(2), "0.5", "DOUBLE");
    E2("/", I(6), I(3), "2.0", "DOUBLE");
    E2("/", I(1), I(3), "0.3333333333333333", "DOUBLE");
    E2("/", I(5), I(0), "inf", "DOUBLE");
    E2("/", I(-5), I(0), "-inf", "DOUBLE");
    E2("/", I(0), I(0), "nan", "DOUBLE");
    E2("/", DEC(15, 4, 1), DEC(225, 5, 2), "0.6666666666666666", "DOUBLE");
    E2("//", I(7), I(2), "3", "INTEGER");
    E2("//", I(-7), I(2), "-3", "INTEGER");
    E2("//", I(7), I(-2), "-3", "INTEGER");
    E2("//", I(5), I(0), "NULL", "INTEGER");
    E2("//", L(3000000000LL), I(7), "428571428", "BIGINT");
    E2("//", I(-2147483647 - 1), I(-1), "ERR:Out of Range Error: Overflow in division of -2147483648 / -1", NULL);
    E2("//", D(7.5), I(2), "3.75", "DOUBLE");
    E2("//", D(7.5), I(0), "NULL", "DOUBLE");
    E2("%", I(7), I(3), "1", "INTEGER");
    E2("%", I(-7), I(3), "-1", "INTEGER");
    E2("%", I(7), I(-3), "1", "INTEGER");
    E2("%", I(5), I(0), "NULL", "INTEGER");
    E2("%", I(-2147483647 - 1), I(-1), "0", "INTEGER");
    E2("%", D(7.5), I(2), "1.5", "DOUBLE");
    E2("%", D(-7.5), I(2), "-1.5", "DOUBLE");
    E2("%", D(7.5), I(0), "nan", "DOUBLE");
    E2("%", DEC(75, 2, 1), I(2), "1.5", "DECIMAL(11,1)");
    E2("/", N(TYPE_SQLNULL), I(2), "NULL", "DOUBLE");
    E2("+", N(TYPE_SQLNULL), N(TYPE_SQLNULL), "NULL", "INTEGER");
    /* decimals */
    E2("+", DEC(15, 4, 1), DEC(225, 5, 2), "3.75", "DECIMAL(6,2)");
    E2("-", DEC(15, 4, 1), DEC(225, 5, 2), "-0.75", "DECIMAL(6,2)");
    E2("*", DEC(15, 4, 1), DEC(225, 5, 2), "3.375", "DECIMAL(9,3)");
    E2("*", DEC(15, 10, 1), DEC(15, 10, 1), "2.25", "DECIMAL(18,2)");
    E2("+", DEC(15, 4, 1), I(1), "2.5", "DECIMAL(12,1)");
    E2("+", DEC(15, 4, 1), D(1.5), "3.0", "DOUBLE");
    E2("+", DEC(999999999999999999LL, 18, 0), DEC(1, 18, 0),
       "ERR:Out of Range Error: Overflow in addition of DECIMAL(18) (999999999999999999 + 1). You might want to add "
       "an explicit cast to a bigger decimal.",
       NULL);
    E2("*", DEC(9999999999LL, 10, 2), DEC(9999999999LL, 10, 2),
       "ERR:Out of Range Error: Overflow in multiplication of DECIMAL(18) (9999999999 * 9999999999). You might want to "
       "add an explicit cast to a bigger decimal.",
       NULL);
    E2("*", DEC(15, 18, 9), DEC(15, 18, 10), "2.25e-17", "DOUBLE");
    E1("-", DEC(15, 4, 1), "-1.5", "DECIMAL(4,1)");
    /* dates */
    E2("+", DATE(18266), I(3), "2020-01-08", "DATE");
    E2("+", I(3), DATE(18266), "2020-01-08", "DATE");
    E2("-", DATE(18266), I(3), "2020-01-02", "DATE");
    E2("-", DATE(18266), DATE(18262), "4", "BIGINT");
    E2("+", DATE(18266), I(2147483647), "ERR:Out of Range Error: Date out of range", NULL);
    /* no overload */
    E2("+", S("a"), I(1), "ERR:Binder Error: No function matches the given name and argument types '+(VARCHAR, INTEGER)'", NULL);
}

static void test_overflow_skips_null_rows(void) {
    /* a NULL row holding a value that would overflow must not raise an error */
    value args[4] = {I(1), I(2147483647), I(5), I(1)};
    char out[2][256];
    error err;
    error_clear(&err);
    logical_type types[3] = {type_make(TYPE_INTEGER), type_make(TYPE_INTEGER), type_make(TYPE_INTEGER)};
    chunk *c = chunk_create(mem, types, 3, &err);
    for (uint32_t r = 0; r < 2; r++) {
        vector_set_value(c, &c->columns[0], r, &args[r], &err);
        vector_set_value(c, &c->columns[1], r, &args[2 + r], &err);
    }
    vector_set_null(&c->columns[0], 1);
    bound_scalar fn;
    CHECK(scalar_function_bind("+", types, 2, &fn, &err));
    vector *res = &c->columns[2];
    vector_set_all_valid(res);
    for (uint32_t w = 0; w < VALIDITY_WORDS; w++) res->validity[w] &= c->columns[0].validity[w] & c->columns[1].validity[w];
    CHECK(fn.fn(c->columns, 2, 2, res, c, &err));
    CHECK(((int32_t *)res->data)[0] == 6 && !vector_is_valid(res, 1));
    (void)out;
    chunk_destroy(c);
}

static void test_comparisons(void) {
    E2("=", I(1), I(1), "true", "BOOLEAN");
    E2("<>", I(1), I(1), "false", "BOOLEAN");
    E2("<", I(1), L(2), "true", "BOOLEAN");
    E2("=", I(1), D(1.0), "true", "BOOLEAN");
    E2("<", DEC(15, 10, 1), I(2), "true", "BOOLEAN");
    E2(">=", DEC(150, 10, 2), DEC(15, 4, 1), "true", "BOOLEAN");
    E2("<", DATE(18262), TS(18262LL * 86400000000LL + 1), "true", "BOOLEAN");
    E2("=", DATE(18262), TS(18262LL * 86400000000LL), "true", "BOOLEAN");
    E2("<", S("a"), S("b"), "true", "BOOLEAN");
    E2("<", S("abc"), S("ab"), "false", "BOOLEAN");
    E2("=", S("a long string value!"), S("a long string value!"), "true", "BOOLEAN");
    E2(">", S("a long string value!"), S("a long string value"), "true", "BOOLEAN");
    E2(">", B(true), B(false), "true", "BOOLEAN");
    E2("=", D(NAN), D(NAN), "true", "BOOLEAN");
    E2(">", D(NAN), D(INFINITY), "true", "BOOLEAN");
    E2("<=", N(TYPE_SQLNULL), I(1), "NULL", "BOOLEAN");
    E2("=", S("a"), I(1), "ERR:Binder Error: Cannot compare values of type VARCHAR and type INTEGER - an explicit cast is required", NULL);
    E2("!=", L(3), I(3), "false", "BOOLEAN");
}

static void test_strings(void) {
    E2("||", S("a"), S("b"), "ab", "VARCHAR");
    E2("||", S("a"), N(TYPE_VARCHAR), "NULL", "VARCHAR");
    E2("||", I(1), I(2), "12", "VARCHAR");
    E2("||", S("x"), D(1.5), "x1.5", "VARCHAR");
    E2("||", S("a fairly long "), S("string to concatenate"), "a fairly long string to concatenate", "VARCHAR");
    {
        value a[4] = {S("a"), N(TYPE_VARCHAR), I(1), D(1.5)};
        expect1("concat", 4, a, "a11.5", "VARCHAR");
    }
    E1("lower", S("AbC"), "abc", "VARCHAR");
    E1("UPPER", S("abc déf and more"), "ABC DÉF AND MORE", "VARCHAR");
    E1("lower", I(1), "ERR:Binder Error: No function matches the given name and argument types 'lower(INTEGER)'", NULL);
    E1("length", S("héllo"), "5", "BIGINT");
    E1("length", S(""), "0", "BIGINT");
    E1("length", S("日本語のテキストです"), "10", "BIGINT");
    E3("substring", S("hello"), I(0), I(2), "h", "VARCHAR");
    E3("substring", S("hello"), I(-1), I(3), "o", "VARCHAR");
    E2("substring", S("hello"), I(-3), "llo", "VARCHAR");
    E2("substring", S("hello"), I(2), "ello", "VARCHAR");
    E3("substring", S("hello"), I(2), I(-1), "h", "VARCHAR");
    E2("substring", S("hello"), I(10), "", "VARCHAR");
    E3("substr", S("héllo"), I(2), I(2), "él", "VARCHAR");
    E2("substring", S("hello"), I(0), "hello", "VARCHAR");
    E3("substring", S("hello"), I(-10), I(3), "", "VARCHAR");
    E3("substring", S("hello"), I(-6), I(2), "h", "VARCHAR");
    E3("substring", S("hello"), I(-10), I(6), "h", "VARCHAR");
    E2("substring", S("hello"), I(-10), "hello", "VARCHAR");
    E3("substring", S("hello"), I(3), I(-5), "he", "VARCHAR");
    E3("substring", S("hello"), I(10), I(-7), "llo", "VARCHAR");
    E3("substring", S("hello"), I(-2), I(-2), "el", "VARCHAR");
    E3("substring", S("hello"), L(-9223372036854775807LL - 1), L(-9223372036854775807LL - 1), "", "VARCHAR");
    E3("substring", S("hello"), L(9223372036854775807LL), L(9223372036854775807LL), "", "VARCHAR");
    E3("substring", S("hello"), L(2), L(9223372036854775807LL), "ello", "VARCHAR");
    E3("substring", S("日本語のテキストです"), I(3), I(4), "語のテキ", "VARCHAR");
    E1("trim", S("  a b  "), "a b", "VARCHAR");
    E1("ltrim", S("  a "), "a ", "VARCHAR");
    E1("rtrim", S(" a  "), " a", "VARCHAR");
    E2("trim", S("xxaxx"), S("x"), "a", "VARCHAR");
    E2("trim", S("  a  "), S(" a"), "", "VARCHAR");
    E2("trim", S("éaé"), S("é"), "a", "VARCHAR");
    E3("replace", S("abcabc"), S("bc"), S("X"), "aXaX", "VARCHAR");
    E3("replace", S("abc"), S(""), S("X"), "abc", "VARCHAR");
    E3("replace", S("aaaa"), S("a"), S("a long replacement "), "a long replacement a long replacement a long replacement a long replacement ", "VARCHAR");
    E2("starts_with", S("abc"), S("ab"), "true", "BOOLEAN");
    E2("prefix", S("abc"), S("b"), "false", "BOOLEAN");
    E2("ends_with", S("abc"), S("bc"), "true", "BOOLEAN");
    E2("contains", S("abc"), S("bc"), "true", "BOOLEAN");
    E2("contains", S("abc"), S("x"), "false", "BOOLEAN");
    E2("strpos", S("abc"), S("c"), "3", "BIGINT");
    E2("strpos", S("abc"), S("z"), "0", "BIGINT");
    E2("strpos", S("héllo"), S("l"), "3", "BIGINT");
    E2("strpos", S("abc"), S(""), "1", "BIGINT");
    E2("contains", S("abc"), S(""), "true", "BOOLEAN");
    E3("replace", S("aaaa"), S("a"), S("xy"), "xyxyxyxy", "VARCHAR");
}

static void test_like(void) {
    struct {
        const char *t, *p;
        bool like, ilike;
    } cases[] = {
        {"hello", "hello", true, true},   {"hello", "h%", true, true},      {"hello", "%o", true, true},
        {"hello", "%ll%", true, true},    {"hello", "h_llo", true, true},   {"hello", "h_lo", false, false},
        {"hello", "%", true, true},       {"", "%", true, true},            {"", "_", false, false},
        {"", "", true, true},             {"a", "", false, false},          {"HeLLo", "hello", false, true},
        {"é", "_", true, true},           {"aé", "A_", false, true},        {"aéb", "a_b", true, true},
        {"abc", "a%c%", true, true},      {"abcbc", "%bc", true, true},     {"mississippi", "%iss%ppi", true, true},
        {"mississippi", "m%s%s%z", false, false}, {"a%", "a\\%", false, false}, {"a\\b", "a\\b", true, true},
        {"abc", "___", true, true},       {"abc", "____", false, false},    {"abc", "%%%_", true, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        E2("~~", S(cases[i].t), S(cases[i].p), cases[i].like ? "true" : "false", "BOOLEAN");
        E2("!~~", S(cases[i].t), S(cases[i].p), cases[i].like ? "false" : "true", "BOOLEAN");
        E2("~~*", S(cases[i].t), S(cases[i].p), cases[i].ilike ? "true" : "false", "BOOLEAN");
        E2("!~~*", S(cases[i].t), S(cases[i].p), cases[i].ilike ? "false" : "true", "BOOLEAN");
    }
    /* pathological pattern: must finish quickly */
    char text[4001], pat[64];
    memset(text, 'a', 4000);
    text[4000] = '\0';
    strcpy(pat, "%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%b");
    E2("~~", S(text), S(pat), "false", "BOOLEAN");
}

static void test_math(void) {
    E1("abs", I(-5), "5", "INTEGER");
    E1("abs", L(-5), "5", "BIGINT");
    E1("abs", D(-1.5), "1.5", "DOUBLE");
    E1("abs", DEC(-15, 2, 1), "1.5", "DECIMAL(2,1)");
    E1("abs", L(-9223372036854775807LL - 1), "ERR:Out of Range Error: Overflow on abs(-9223372036854775808)", NULL);
    E1("round", DEC(25, 2, 1), "3", "DECIMAL(2,0)");
    E1("round", DEC(-25, 2, 1), "-3", "DECIMAL(2,0)");
    E1("round", D(2.5), "3.0", "DOUBLE");
    E1("round", D(-2.5), "-3.0", "DOUBLE");
    E2("round", D(1.2345), I(2), "1.23", "DOUBLE");
    E2("round", D(155.5), I(-1), "160.0", "DOUBLE");
    E2("round", DEC(12345, 5, 4), I(2), "1.23", "DOUBLE");
    E2("round", DEC(1005, 4, 3), I(2), "1.01", "DOUBLE");
    E2("round", DEC(9995, 4, 2), I(1), "100.0", "DOUBLE");
    E2("round", DEC(1235, 4, 2), I(5), "12.35", "DOUBLE");
    E2("round", I(12345), I(-2), "12300", "INTEGER");
    E2("round", I(12350), I(-2), "12400", "INTEGER");
    E2("round", I(2147483647), I(-1), "ERR:Out of Range Error: Overflow in round(2147483647, -1)", NULL);
    E2("round", I(2), I(1), "2", "INTEGER");
    E1("round", I(5), "5", "INTEGER");
    E1("floor", DEC(15, 2, 1), "1", "DECIMAL(2,0)");
    E1("floor", DEC(-15, 2, 1), "-2", "DECIMAL(2,0)");
    E1("ceil", DEC(12, 2, 1), "2", "DECIMAL(2,0)");
    E1("ceiling", DEC(-12, 2, 1), "-1", "DECIMAL(2,0)");
    E1("floor", D(-1.5), "-2.0", "DOUBLE");
    E1("ceil", D(-1.2), "-1.0", "DOUBLE");
    E1("floor", I(5), "5.0", "DOUBLE");
    E1("year", DATE(18326), "2020", "BIGINT");
    E1("month", TS(18326LL * 86400000000LL + 36000000000LL), "3", "BIGINT");
    E1("day", DATE(18326), "5", "BIGINT");
    E1("day", TS(-1), "31", "BIGINT");
}

static void test_select(void) {
    {
        value a[3] = {N(TYPE_SQLNULL), I(1), I(2)};
        expect1("coalesce", 3, a, "1", "INTEGER");
    }
    {
        value a[2] = {I(1), D(2.5)};
        expect1("coalesce", 2, a, "1.0", "DOUBLE");
    }
    {
        value a[2] = {N(TYPE_VARCHAR), S("a long string that is shared")};
        expect1("COALESCE", 2, a, "a long string that is shared", "VARCHAR");
    }
    {
        value a[2] = {N(TYPE_INTEGER), N(TYPE_INTEGER)};
        expect1("coalesce", 2, a, "NULL", "INTEGER");
    }
    E2("nullif", I(1), I(1), "NULL", "INTEGER");
    E2("nullif", I(1), I(2), "1", "INTEGER");
    E2("nullif", I(1), N(TYPE_INTEGER), "1", "INTEGER");
    E2("nullif", N(TYPE_INTEGER), I(1), "NULL", "INTEGER");
    E2("nullif", S("abc"), S("abc"), "NULL", "VARCHAR");
    {
        value a[3] = {I(1), DEC(25, 2, 1), I(3)};
        expect1("greatest", 3, a, "3.0", "DECIMAL(11,1)");
    }
    {
        value a[3] = {I(1), N(TYPE_INTEGER), I(3)};
        expect1("greatest", 3, a, "3", "INTEGER");
    }
    E2("least", S("b"), S("a"), "a", "VARCHAR");
    E2("least", N(TYPE_INTEGER), N(TYPE_INTEGER), "NULL", "INTEGER");
    E2("greatest", DATE(1), TS(1), "1970-01-02 00:00:00", "TIMESTAMP");
    E2("coalesce", S("a"), I(1), "ERR:Binder Error: No function matches the given name and argument types 'coalesce(VARCHAR, INTEGER)'", NULL);
}

static void test_registry(void) {
    CHECK(scalar_function_exists("lower"));
    CHECK(scalar_function_exists("LoWeR"));
    CHECK(scalar_function_exists("+"));
    CHECK(scalar_function_exists("!~~*"));
    CHECK(!scalar_function_exists("no_such_function"));
    E1("no_such_function", I(1), "ERR:Catalog Error: Scalar Function with name no_such_function does not exist!", NULL);
    {
        value none[1] = {I(0)};
        char out[1][256];
        run("concat", 0, none, 1, out, NULL);
        expect_text("concat()", out[0], "ERR:Binder Error: No function matches the given name and argument types 'concat()'");
    }
}

static void test_multi_row(void) {
    /* rows: (1,2), (NULL,3), (4,NULL), (7,0) for + and // */
    value args[8] = {I(1), N(TYPE_INTEGER), I(4), I(7), I(2), I(3), N(TYPE_INTEGER), I(0)};
    char out[4][256];
    run("+", 2, args, 4, out, NULL);
    CHECK(strcmp(out[0], "3") == 0 && strcmp(out[1], "NULL") == 0 && strcmp(out[2], "NULL") == 0 &&
          strcmp(out[3], "7") == 0);
    run("//", 2, args, 4, out, NULL);
    CHECK(strcmp(out[0], "0") == 0 && strcmp(out[1], "NULL") == 0 && strcmp(out[2], "NULL") == 0 &&
          strcmp(out[3], "NULL") == 0);
    value sargs[6] = {S("abc"), N(TYPE_VARCHAR), S("a string longer than twelve"), S("b"), S("x"), N(TYPE_VARCHAR)};
    run("||", 2, sargs, 3, out, NULL);
    CHECK(strcmp(out[0], "abcb") == 0 && strcmp(out[1], "NULL") == 0 && strcmp(out[2], "NULL") == 0);
    run("concat", 2, sargs, 3, out, NULL);
    CHECK(strcmp(out[0], "abcb") == 0 && strcmp(out[1], "x") == 0 && strcmp(out[2], "a string longer than twelve") == 0);
    run("coalesce", 2, sargs, 3, out, NULL);
    CHECK(strcmp(out[0], "abc") == 0 && strcmp(out[1], "x") == 0 && strcmp(out[2], "a string longer than twelve") == 0);
}

int main(void) {
    pool = pool_create((uint64_t)256 << 20);
    mem = arena_create(pool, TAG_ALLOCATOR);
    test_arithmetic();
    test_overflow_skips_null_rows();
    test_comparisons();
    test_strings();
    test_like();
    test_math();
    test_select();
    test_registry();
    test_multi_row();
    arena_destroy(mem);
    pool_destroy(pool);
    return test_summary();
}
