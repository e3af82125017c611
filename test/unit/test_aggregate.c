/* test_aggregate.c — aggregate functions: binding, update over NULLs, combine, empty input, overflow. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/arena.h"
#include "common/vector.h"
#include "function/aggregate.h"
#include "function/cast.h"
#include "memory/pool.h"
#include "test_util.h"

static buffer_pool *pool;
static arena *mem;

static void expect_text(const char *where, const char *got, const char *expect) {
    if (strcmp(got, expect) == 0) passed++;
    else {
        failed++;
        fprintf(stderr, "%s: expected [%s] got [%s]\n", where, expect, got);
    }
}

/* Aggregates `rows` values with fn: rows [0, split) go into state A and [split, rows) into B,
 * which is then combined into A (as a parallel finalize would); gives the result's text. */
static void aggregate(const char *name, const value *vals, uint32_t rows, uint32_t split, const char *expect,
                      const char *expect_type) {
    error err;
    error_clear(&err);
    char got[ERROR_MESSAGE_MAX + 8];
    logical_type in_type = rows ? vals[0].type : type_make(TYPE_INTEGER);
    aggregate_function fn;
    uint32_t nargs = strcmp(name, "count_star") == 0 ? 0 : 1;
    if (!aggregate_function_bind(name, &in_type, nargs, &fn, &err)) {
        snprintf(got, sizeof got, "ERR:%s", err.message);
        expect_text(name, got, expect);
        return;
    }
    CHECK(fn.state_size % 8 == 0);
    logical_type types[3] = {in_type, nargs ? fn.arg_type : in_type, fn.result_type};
    chunk *c = chunk_create(mem, types, 3, &err);
    arena *strings = arena_create(pool, TAG_HASH_TABLE);
    aggregate_context ctx = {strings, &err};
    /* states at 8-byte (not 16-byte) aligned addresses, as a hash table may place them */
    uint64_t storage[2][16];
    void *sa = (char *)storage[0] + 8, *sb = (char *)storage[1] + 8;
    fn.init(sa);
    fn.init(sb);
    bool ok = true;
    for (uint32_t r = 0; ok && r < rows; r++) ok = vector_set_value(c, &c->columns[0], r, &vals[r], &err);
    if (ok && nargs) ok = cast_vector(&c->columns[0], &c->columns[1], rows, c, &err);
    void *states[16];
    for (uint32_t r = 0; r < rows; r++) states[r] = r < split ? sa : sb;
    if (ok) ok = fn.update(states, nargs ? &c->columns[1] : NULL, rows, &ctx);
    if (ok) ok = fn.combine(sa, sb, &ctx);
    if (ok) ok = fn.finalize(sa, &c->columns[2], 0, c, &ctx);
    if (ok) {
        value v = vector_get_value(&c->columns[2], 0);
        value_to_text(&v, got, sizeof got);
        char tb[TYPE_NAME_MAX];
        expect_text(name, type_to_string(fn.result_type, tb), expect_type);
    } else {
        snprintf(got, sizeof got, "ERR:%s", err.message);
    }
    expect_text(name, got, expect);
    arena_destroy(strings);
    chunk_destroy(c);
}

static value I(int32_t x) { return value_integer(x); }
static value L(int64_t x) { return value_bigint(x); }
static value D(double x) { return value_double(x); }
static value S(const char *s) { return value_varchar(s, (uint32_t)strlen(s)); }
static value N(type_id t) { return value_null(type_make(t)); }
static value DEC(int64_t raw, uint8_t w, uint8_t s) {
    value v = value_bigint(raw);
    v.type = type_decimal(w, s);
    return v;
}

#define COUNT_OF(a) (uint32_t)(sizeof(a) / sizeof((a)[0]))

static void test_basic(void) {
    value ints[] = {I(3), N(TYPE_INTEGER), I(1), I(7), N(TYPE_INTEGER), I(-2)};
    uint32_t n = COUNT_OF(ints);
    aggregate("count_star", ints, n, 3, "6", "BIGINT");
    aggregate("count", ints, n, 3, "4", "BIGINT");
    aggregate("sum", ints, n, 3, "9", "BIGINT");
    aggregate("avg", ints, n, 3, "2.25", "DOUBLE");
    aggregate("min", ints, n, 3, "-2", "INTEGER");
    aggregate("max", ints, n, 3, "7", "INTEGER");
    aggregate("MAX", ints, n, 0, "7", "INTEGER");
    aggregate("any_value", ints, n, 6, "3", "INTEGER");
    aggregate("first", ints, n, 0, "3", "INTEGER");

    value nulls[] = {N(TYPE_INTEGER), N(TYPE_INTEGER)};
    aggregate("count", nulls, 2, 1, "0", "BIGINT");
    aggregate("count_star", nulls, 2, 1, "2", "BIGINT");
    aggregate("sum", nulls, 2, 1, "NULL", "BIGINT");
    aggregate("avg", nulls, 2, 1, "NULL", "DOUBLE");
    aggregate("min", nulls, 2, 1, "NULL", "INTEGER");
    aggregate("max", nulls, 2, 1, "NULL", "INTEGER");

    /* empty input */
    aggregate("count", NULL, 0, 0, "0", "BIGINT");
    aggregate("count_star", NULL, 0, 0, "0", "BIGINT");
    aggregate("sum", NULL, 0, 0, "NULL", "BIGINT");
    aggregate("avg", NULL, 0, 0, "NULL", "DOUBLE");
    aggregate("max", NULL, 0, 0, "NULL", "INTEGER");

    value dbls[] = {D(0.1), D(0.2), N(TYPE_DOUBLE), D(NAN), D(-1.0)};
    aggregate("max", dbls, 5, 2, "nan", "DOUBLE");
    aggregate("min", dbls, 5, 2, "-1.0", "DOUBLE");
    aggregate("sum", dbls, 2, 1, "0.30000000000000004", "DOUBLE");
    aggregate("avg", dbls, 2, 1, "0.15000000000000002", "DOUBLE");

    value decs[] = {DEC(150, 4, 2), DEC(-25, 4, 2), N(TYPE_DECIMAL), DEC(1, 4, 2)};
    decs[2].type = type_decimal(4, 2);
    aggregate("sum", decs, 4, 2, "1.26", "DECIMAL(18,2)");
    aggregate("avg", decs, 4, 2, "0.42", "DOUBLE");
    aggregate("min", decs, 4, 2, "-0.25", "DECIMAL(4,2)");
    aggregate("max", decs, 4, 1, "1.50", "DECIMAL(4,2)");
}

static void test_sum_overflow(void) {
    value big[] = {L(9223372036854775807LL), L(1)};
    aggregate("sum", big, 2, 1, "ERR:Out of Range Error: Overflow in SUM: the result does not fit in BIGINT", NULL);
    /* intermediate overflow that comes back into range is fine with a 128-bit state */
    value back[] = {L(9223372036854775807LL), L(9223372036854775807LL), L(-9223372036854775807LL),
                    L(-9223372036854775807LL), L(5)};
    aggregate("sum", back, 5, 2, "5", "BIGINT");
    value ints[] = {I(2147483647), I(2147483647), I(2147483647)};
    aggregate("sum", ints, 3, 1, "6442450941", "BIGINT");
    aggregate("avg", ints, 3, 1, "2147483647.0", "DOUBLE");
    value decs[] = {DEC(999999999999999999LL, 18, 2), DEC(1, 18, 2)};
    aggregate("sum", decs, 2, 1, "ERR:Out of Range Error: Overflow in SUM: the result does not fit in DECIMAL(18,2)", NULL);
}

static void test_strings(void) {
    value strs[] = {S("pear"), N(TYPE_VARCHAR), S("apple but a much longer string than sixteen bytes"),
                    S("zebra is the longest string in this whole test list"), S("banana"),
                    S("zebra is the longest"), S("apple")};
    uint32_t n = COUNT_OF(strs);
    aggregate("min", strs, n, 3, "apple", "VARCHAR");
    aggregate("max", strs, n, 3, "zebra is the longest string in this whole test list", "VARCHAR");
    aggregate("max", strs, n, 0, "zebra is the longest string in this whole test list", "VARCHAR");
    aggregate("min", strs, 4, 4, "apple but a much longer string than sixteen bytes", "VARCHAR");
    aggregate("count", strs, n, 3, "6", "BIGINT");
    aggregate("any_value", strs, n, 1, "pear", "VARCHAR");
    value empty_str[] = {S(""), S("a")};
    aggregate("min", empty_str, 2, 1, "", "VARCHAR");
}

static void test_bools_and_binding(void) {
    value bools[] = {value_boolean(true), N(TYPE_BOOLEAN), value_boolean(false)};
    aggregate("bool_and", bools, 3, 1, "false", "BOOLEAN");
    aggregate("bool_or", bools, 3, 1, "true", "BOOLEAN");
    aggregate("bool_and", bools, 2, 1, "true", "BOOLEAN");
    aggregate("max", bools, 3, 1, "true", "BOOLEAN");
    value dates[] = {I(10), I(5)};
    dates[0].type = dates[1].type = type_make(TYPE_DATE);
    aggregate("min", dates, 2, 1, "1970-01-06", "DATE");

    value strs[] = {S("a")};
    aggregate("sum", strs, 1, 1, "ERR:Binder Error: No function matches the given name and argument types 'sum(VARCHAR)'", NULL);
    aggregate("median_of_nothing", strs, 1, 1,
              "ERR:Catalog Error: Aggregate Function with name median_of_nothing does not exist!", NULL);
    CHECK(aggregate_function_exists("count"));
    CHECK(aggregate_function_exists("SUM"));
    CHECK(aggregate_function_exists("count_star"));
    CHECK(!aggregate_function_exists("lower"));
    error err;
    error_clear(&err);
    aggregate_function fn;
    CHECK(aggregate_function_bind("count", NULL, 0, &fn, &err) && strcmp(fn.name, "count_star") == 0);
    logical_type t = type_make(TYPE_SQLNULL);
    CHECK(aggregate_function_bind("sum", &t, 1, &fn, &err) && fn.result_type.id == TYPE_BIGINT);
}

static void test_vectorized_many_groups(void) {
    /* 2048 rows spread over 4 groups, with every third row NULL */
    error err;
    error_clear(&err);
    logical_type it = type_make(TYPE_BIGINT);
    aggregate_function sum, cnt;
    CHECK(aggregate_function_bind("sum", &it, 1, &sum, &err));
    CHECK(aggregate_function_bind("count", &it, 1, &cnt, &err));
    logical_type types[1] = {it};
    chunk *c = chunk_create(mem, types, 1, &err);
    int64_t *d = c->columns[0].data;
    uint64_t sum_states[4][4], cnt_states[4][1];
    for (int g = 0; g < 4; g++) {
        sum.init(sum_states[g]);
        cnt.init(cnt_states[g]);
    }
    void *ss[VECTOR_SIZE], *cs[VECTOR_SIZE];
    int64_t expect_sum[4] = {0}, expect_cnt[4] = {0};
    for (uint32_t i = 0; i < VECTOR_SIZE; i++) {
        d[i] = (int64_t)i * 1000003;
        ss[i] = sum_states[i % 4];
        cs[i] = cnt_states[i % 4];
        if (i % 3 == 0) vector_set_null(&c->columns[0], i);
        else {
            expect_sum[i % 4] += d[i];
            expect_cnt[i % 4]++;
        }
    }
    aggregate_context ctx = {NULL, &err};
    CHECK(sum.update(ss, &c->columns[0], VECTOR_SIZE, &ctx));
    CHECK(cnt.update(cs, &c->columns[0], VECTOR_SIZE, &ctx));
    logical_type rt[2] = {sum.result_type, cnt.result_type};
    chunk *r = chunk_create(mem, rt, 2, &err);
    bool all = true;
    for (uint32_t g = 0; g < 4; g++) {
        CHECK(sum.finalize(sum_states[g], &r->columns[0], g, r, &ctx));
        CHECK(cnt.finalize(cnt_states[g], &r->columns[1], g, r, &ctx));
        all = all && ((int64_t *)r->columns[0].data)[g] == expect_sum[g] && ((int64_t *)r->columns[1].data)[g] == expect_cnt[g];
    }
    CHECK(all);
    chunk_destroy(c);
    chunk_destroy(r);
}

int main(void) {
    pool = pool_create((uint64_t)256 << 20);
    mem = arena_create(pool, TAG_ALLOCATOR);
    test_basic();
    test_sum_overflow();
    test_strings();
    test_bools_and_binding();
    test_vectorized_many_groups();
    arena_destroy(mem);
    pool_destroy(pool);
    return test_summary();
}
