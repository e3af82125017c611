/*
 * test_vector.c — chunks, vectors, values, and type names/parsing.
 */
#include <stdio.h>
#include <string.h>

#include "common/arena.h"
#include "common/types.h"
#include "common/vector.h"
#include "memory/pool.h"
#include "test_util.h"

static bool name_is(logical_type t, const char *want) {
    char buf[TYPE_NAME_MAX];
    return strcmp(type_to_string(t, buf), want) == 0;
}

static void test_types(void) {
    CHECK(type_physical_size(type_make(TYPE_BOOLEAN)) == 1);
    CHECK(type_physical_size(type_make(TYPE_INTEGER)) == 4);
    CHECK(type_physical_size(type_make(TYPE_DATE)) == 4);
    CHECK(type_physical_size(type_make(TYPE_BIGINT)) == 8);
    CHECK(type_physical_size(type_decimal(10, 2)) == 8);
    CHECK(type_physical_size(type_make(TYPE_TIMESTAMP)) == 8);
    CHECK(type_physical_size(type_make(TYPE_VARCHAR)) == 16 && sizeof(string_t) == 16);

    CHECK(name_is(type_make(TYPE_BOOLEAN), "BOOLEAN"));
    CHECK(name_is(type_make(TYPE_INTEGER), "INTEGER"));
    CHECK(name_is(type_make(TYPE_BIGINT), "BIGINT"));
    CHECK(name_is(type_make(TYPE_DOUBLE), "DOUBLE"));
    CHECK(name_is(type_decimal(18, 3), "DECIMAL(18,3)"));
    CHECK(name_is(type_make(TYPE_VARCHAR), "VARCHAR"));
    CHECK(name_is(type_make(TYPE_DATE), "DATE"));
    CHECK(name_is(type_make(TYPE_TIMESTAMP), "TIMESTAMP"));
    CHECK(name_is(type_make(TYPE_SQLNULL), "NULL"));

    logical_type t;
    CHECK(type_from_name("int", -1, -1, &t) && t.id == TYPE_INTEGER);
    CHECK(type_from_name("INT4", -1, -1, &t) && t.id == TYPE_INTEGER);
    CHECK(type_from_name("Integer", -1, -1, &t) && t.id == TYPE_INTEGER);
    CHECK(type_from_name("int8", -1, -1, &t) && t.id == TYPE_BIGINT);
    CHECK(type_from_name("long", -1, -1, &t) && t.id == TYPE_BIGINT);
    CHECK(type_from_name("real", -1, -1, &t) && t.id == TYPE_DOUBLE);
    CHECK(type_from_name("FLOAT", -1, -1, &t) && t.id == TYPE_DOUBLE);
    CHECK(type_from_name("float8", -1, -1, &t) && t.id == TYPE_DOUBLE);
    CHECK(type_from_name("text", -1, -1, &t) && t.id == TYPE_VARCHAR);
    CHECK(type_from_name("string", -1, -1, &t) && t.id == TYPE_VARCHAR);
    CHECK(type_from_name("varchar", 20, -1, &t) && t.id == TYPE_VARCHAR);
    CHECK(type_from_name("bool", -1, -1, &t) && t.id == TYPE_BOOLEAN);
    CHECK(type_from_name("date", -1, -1, &t) && t.id == TYPE_DATE);
    CHECK(type_from_name("datetime", -1, -1, &t) && t.id == TYPE_TIMESTAMP);
    CHECK(type_from_name("decimal", -1, -1, &t) && t.id == TYPE_DECIMAL && t.width == 18 && t.scale == 3);
    CHECK(type_from_name("numeric", 10, 2, &t) && t.id == TYPE_DECIMAL && t.width == 10 && t.scale == 2);
    CHECK(type_from_name("decimal", 5, -1, &t) && t.width == 5 && t.scale == 0);
    CHECK(type_from_name("DECIMAL(12, 4)", -1, -1, &t) && t.width == 12 && t.scale == 4);
    CHECK(!type_from_name("decimal", 19, 2, &t));
    CHECK(!type_from_name("decimal", 0, 0, &t));
    CHECK(!type_from_name("decimal", 4, 5, &t));
    CHECK(type_from_name("decimal", 4, 4, &t));
    CHECK(!type_from_name("blob", -1, -1, &t));
    CHECK(!type_from_name("", -1, -1, &t));
    CHECK(!type_from_name("integer", 3, -1, &t));

    CHECK(type_to_api(type_make(TYPE_VARCHAR)) == EIDER_TYPE_VARCHAR);
    CHECK(type_to_api(type_decimal(4, 1)) == EIDER_TYPE_DECIMAL);
    CHECK(type_to_api(type_make(TYPE_DATE)) == EIDER_TYPE_DATE);

    string_t a = string_make("apple", 5), b = string_make("apples", 6), c = string_make("banana", 6);
    const char *long1 = "a rather long string value", *long2 = "a rather long string valuf";
    string_t d = string_make(long1, (uint32_t)strlen(long1)), e = string_make(long2, (uint32_t)strlen(long2));
    CHECK(string_compare(&a, &b) < 0);
    CHECK(string_compare(&b, &a) > 0);
    CHECK(string_compare(&a, &c) < 0);
    CHECK(string_compare(&a, &a) == 0);
    CHECK(string_compare(&d, &e) < 0);
    CHECK(string_compare(&d, &d) == 0);
    CHECK(string_compare(&d, &c) < 0);
}

static void test_chunks(buffer_pool *pool) {
    error err;
    error_clear(&err);
    arena *a = arena_create(pool, TAG_ALLOCATOR);
    logical_type types[3] = {type_make(TYPE_INTEGER), type_make(TYPE_VARCHAR), type_make(TYPE_DOUBLE)};
    chunk *src = chunk_create(a, types, 3, &err);
    chunk *dst = chunk_create(a, types, 3, &err);
    CHECK(src && dst);
    if (!src || !dst) return;
    CHECK(src->count == 0 && src->column_count == 3);
    CHECK(vector_all_valid(&src->columns[0], VECTOR_SIZE));
    CHECK(src->heap == NULL);

    /* fill src with 10 rows: i, "short"/"long ... i", i * 0.5; row 3 has NULL strings */
    char buf[64];
    for (uint32_t i = 0; i < 10; i++) {
        value v = value_integer((int32_t)i);
        CHECK(vector_set_value(src, &src->columns[0], i, &v, &err));
        if (i == 3) {
            value n = value_null(types[1]);
            CHECK(vector_set_value(src, &src->columns[1], i, &n, &err));
        } else {
            int len = snprintf(buf, sizeof buf, i % 2 ? "short%u" : "a long string number %u", i);
            value s = value_varchar(buf, (uint32_t)len);
            CHECK(vector_set_value(src, &src->columns[1], i, &s, &err));
        }
        value d = value_double(i * 0.5);
        CHECK(vector_set_value(src, &src->columns[2], i, &d, &err));
    }
    src->count = 10;
    memset(buf, 'X', sizeof buf); /* values were copied, not referenced */
    CHECK(src->heap != NULL);

    value g = vector_get_value(&src->columns[1], 4);
    CHECK(!g.is_null && g.u.str.length == strlen("a long string number 4") &&
          memcmp(g.u.str.data, "a long string number 4", g.u.str.length) == 0);
    g = vector_get_value(&src->columns[1], 5);
    CHECK(g.u.str.length == 6 && memcmp(g.u.str.data, "short5", 6) == 0);
    g = vector_get_value(&src->columns[1], 3);
    CHECK(g.is_null && g.type.id == TYPE_VARCHAR);
    g = vector_get_value(&src->columns[0], 7);
    CHECK(!g.is_null && g.u.i32 == 7);
    g = vector_get_value(&src->columns[2], 7);
    CHECK(g.u.f64 == 3.5);
    CHECK(!vector_all_valid(&src->columns[1], 10));
    CHECK(vector_all_valid(&src->columns[1], 3));

    /* append rows 8, 3, 4 of src into dst */
    CHECK(chunk_append_row(dst, src, 8, &err));
    CHECK(chunk_append_row(dst, src, 3, &err));
    CHECK(chunk_append_row(dst, src, 4, &err));
    CHECK(dst->count == 3);
    g = vector_get_value(&dst->columns[1], 0);
    CHECK(g.u.str.length == strlen("a long string number 8") && memcmp(g.u.str.data, "a long string number 8", g.u.str.length) == 0);
    const string_t *s0 = (const string_t *)dst->columns[1].data;
    const string_t *srcs = (const string_t *)src->columns[1].data;
    CHECK(s0[0].value.pointer.ptr != srcs[8].value.pointer.ptr); /* copied into dst's heap */
    CHECK(!vector_is_valid(&dst->columns[1], 1));
    CHECK(vector_is_valid(&dst->columns[0], 1) && ((int32_t *)dst->columns[0].data)[1] == 3);

    /* destroying src's heap does not affect dst's strings */
    chunk_reset(src);
    CHECK(src->count == 0 && vector_all_valid(&src->columns[1], VECTOR_SIZE));
    g = vector_get_value(&dst->columns[1], 2);
    CHECK(memcmp(g.u.str.data, "a long string number 4", g.u.str.length) == 0);

    /* compact: keep rows 0 and 2 of dst */
    uint32_t sel[2] = {0, 2};
    chunk_compact(dst, sel, 2);
    CHECK(dst->count == 2);
    CHECK(((int32_t *)dst->columns[0].data)[0] == 8 && ((int32_t *)dst->columns[0].data)[1] == 4);
    CHECK(vector_is_valid(&dst->columns[1], 1));
    g = vector_get_value(&dst->columns[1], 1);
    CHECK(memcmp(g.u.str.data, "a long string number 4", g.u.str.length) == 0);
    CHECK(vector_all_valid(&dst->columns[1], VECTOR_SIZE));

    /* store_string: inline and heap */
    string_t st;
    CHECK(chunk_store_string(dst, "tiny", 4, &st, &err) && st.length == 4 && memcmp(string_data(&st), "tiny", 4) == 0);
    const char *longs = "this one is longer than twelve";
    CHECK(chunk_store_string(dst, longs, (uint32_t)strlen(longs), &st, &err));
    CHECK(string_data(&st) != longs && memcmp(string_data(&st), longs, strlen(longs)) == 0);
    CHECK(memcmp(st.value.pointer.prefix, "this", 4) == 0);

    /* copy_value shares strings */
    vector_copy_value(&src->columns[1], 0, &dst->columns[1], 0);
    CHECK(((string_t *)src->columns[1].data)[0].value.pointer.ptr == s0[0].value.pointer.ptr);

    /* other types round trip */
    logical_type t2[4] = {type_make(TYPE_BOOLEAN), type_make(TYPE_BIGINT), type_decimal(10, 2), type_make(TYPE_TIMESTAMP)};
    chunk *c2 = chunk_create(a, t2, 4, &err);
    CHECK(c2 != NULL);
    if (c2) {
        value vb = value_boolean(true), vi = value_bigint(-1234567890123LL);
        value vd = value_null(t2[2]);
        vd.is_null = false;
        vd.u.i64 = 12345;
        value vt = value_null(t2[3]);
        vt.is_null = false;
        vt.u.i64 = 1700000000000000LL;
        CHECK(vector_set_value(c2, &c2->columns[0], 2047, &vb, &err));
        CHECK(vector_set_value(c2, &c2->columns[1], 2047, &vi, &err));
        CHECK(vector_set_value(c2, &c2->columns[2], 2047, &vd, &err));
        CHECK(vector_set_value(c2, &c2->columns[3], 2047, &vt, &err));
        CHECK(vector_get_value(&c2->columns[0], 2047).u.boolean == true);
        CHECK(vector_get_value(&c2->columns[1], 2047).u.i64 == -1234567890123LL);
        value rd = vector_get_value(&c2->columns[2], 2047);
        CHECK(rd.u.i64 == 12345 && rd.type.width == 10 && rd.type.scale == 2);
        CHECK(vector_get_value(&c2->columns[3], 2047).u.i64 == 1700000000000000LL);
        CHECK(c2->heap == NULL); /* no strings, no heap */
        chunk_destroy(c2);
    }

    /* a full chunk refuses more rows */
    logical_type it = type_make(TYPE_INTEGER);
    chunk *c3 = chunk_create(a, &it, 1, &err);
    chunk *one = chunk_create(a, &it, 1, &err);
    CHECK(c3 && one);
    if (c3 && one) {
        one->count = 1;
        ((int32_t *)one->columns[0].data)[0] = 42;
        bool ok = true;
        for (uint32_t i = 0; i < VECTOR_SIZE && ok; i++) ok = chunk_append_row(c3, one, 0, &err);
        CHECK(ok && c3->count == VECTOR_SIZE);
        error e2;
        error_clear(&e2);
        CHECK(!chunk_append_row(c3, one, 0, &e2) && error_is_set(&e2));
        CHECK(((int32_t *)c3->columns[0].data)[VECTOR_SIZE - 1] == 42);
        chunk_destroy(c3);
        chunk_destroy(one);
    }

    CHECK(!error_is_set(&err));
    chunk_destroy(src);
    chunk_destroy(dst);
    arena_destroy(a);
}

int main(void) {
    buffer_pool *pool = pool_create((uint64_t)64 << 20);
    test_types();
    test_chunks(pool);
    CHECK(pool_used_bytes(pool) == 0);
    CHECK(pool_block_count(pool) == 0);
    pool_destroy(pool);
    return test_summary();
}
