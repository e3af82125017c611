/*
 * test_api.c — the public C API: config, open/close, connections, queries, and the result
 * accessors on results built by hand (every type, NULLs, several chunks and row groups,
 * out-of-range access), and that clearing a result gives every pool byte back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/vector.h"
#include "eider.h"
#include "main/database.h"
#include "main/result.h"
#include "memory/pool.h"
#include "test_util.h"

static bool text_is(char *got, const char *want) {
    bool ok = got && want ? strcmp(got, want) == 0 : got == NULL && want == NULL;
    if (!ok) fprintf(stderr, "text: got '%s', want '%s'\n", got ? got : "(null)", want ? want : "(null)");
    eider_free(got);
    return ok;
}

static bool starts_with(const char *s, const char *prefix) { return s && strncmp(s, prefix, strlen(prefix)) == 0; }

/* ---- config, open, close ------------------------------------------------------------------ */

static void test_version_and_config(void) {
    CHECK(strcmp(eider_version(), "0.1.0") == 0);
    eider_config *cfg = NULL;
    CHECK(eider_config_create(&cfg) == EIDER_SUCCESS && cfg != NULL);
    CHECK(eider_config_create(NULL) == EIDER_ERROR);
    CHECK(eider_config_set(cfg, NULL, "1") == EIDER_ERROR);
    CHECK(eider_config_set(cfg, "threads", NULL) == EIDER_ERROR);
    CHECK(eider_config_set(NULL, "threads", "1") == EIDER_ERROR);
    CHECK(eider_config_set(cfg, "threads", "1") == EIDER_SUCCESS);
    eider_config_destroy(cfg);
    eider_config_destroy(NULL);
}

/* Opens with one option and expects failure whose message contains needle. */
static bool open_fails(const char *path, const char *name, const char *value, const char *needle) {
    eider_config *cfg = NULL;
    eider_config_create(&cfg);
    if (name) eider_config_set(cfg, name, value);
    static char sentinel;
    eider_database *db = (eider_database *)&sentinel; /* eider_open must reset it to NULL */
    char *msg = NULL;
    eider_state st = eider_open(path, cfg, &db, &msg);
    bool ok = st == EIDER_ERROR && db == NULL && msg != NULL && strstr(msg, needle) != NULL;
    if (!ok) fprintf(stderr, "open with %s=%s: state %d, message %s\n", name, value, (int)st, msg ? msg : "(null)");
    eider_free(msg);
    if (db && db != (eider_database *)&sentinel) eider_close(db);
    eider_config_destroy(cfg);
    return ok;
}

static void test_open_close(void) {
    eider_database *db = NULL;
    char *msg = NULL;
    CHECK(eider_open(NULL, NULL, &db, &msg) == EIDER_SUCCESS && db != NULL && msg == NULL);
    eider_close(db);
    db = NULL;
    CHECK(eider_open(":memory:", NULL, &db, NULL) == EIDER_SUCCESS && db != NULL);
    CHECK(db->path == NULL && db->pool != NULL && db->catalog != NULL);
    eider_close(db);
    eider_close(NULL);
    CHECK(eider_open(NULL, NULL, NULL, &msg) == EIDER_ERROR);

    eider_config *cfg = NULL;
    eider_config_create(&cfg);
    eider_config_set(cfg, "memory_limit", "64MiB");
    CHECK(eider_open(NULL, cfg, &db, &msg) == EIDER_SUCCESS);
    CHECK(pool_memory_limit(db->pool) == 64ULL << 20);
    eider_close(db);
    eider_config_destroy(cfg);

    CHECK(open_fails(NULL, "memroy_limit", "1GB", "Invalid Input Error: unrecognized configuration option \"memroy_limit\""));
    CHECK(open_fails(NULL, "memroy_limit", "1GB", "memory_limit, threads"));
    CHECK(open_fails(NULL, "memory_limit", "lots", "Invalid Input Error: "));
    CHECK(open_fails(NULL, "memory_limit", "lots", "memory_limit"));
    CHECK(open_fails(NULL, "memory_limit", "1 XB", "Unknown unit for memory: 'xb'"));
    CHECK(open_fails(NULL, "memory_limit", "-1GB", "negative"));
    CHECK(open_fails(NULL, "threads", "0", "threads"));
    CHECK(open_fails(NULL, "max_temp_directory_size", "big", "max_temp_directory_size"));
    CHECK(open_fails("/tmp/eider_test_api.db", NULL, NULL, "Not implemented Error: persistent databases"));
}

static void test_connections(void) {
    eider_database *db = NULL;
    CHECK(eider_open(NULL, NULL, &db, NULL) == EIDER_SUCCESS);
    eider_connection *a = NULL, *b = NULL;
    CHECK(eider_connect(db, &a) == EIDER_SUCCESS && a != NULL);
    CHECK(eider_connect(db, &b) == EIDER_SUCCESS && b != NULL && a != b);
    CHECK(atomic_load(&db->connection_count) == 2);
    eider_connection *none = (eider_connection *)b;
    CHECK(eider_connect(NULL, &none) == EIDER_ERROR && none == NULL);
    CHECK(eider_connect(db, NULL) == EIDER_ERROR);
    CHECK(!atomic_load(&b->interrupted));
    eider_interrupt(b);
    CHECK(atomic_load(&b->interrupted));
    CHECK(!atomic_load(&a->interrupted));
    eider_interrupt(NULL);
    eider_disconnect(b);
    CHECK(atomic_load(&db->connection_count) == 1);
    eider_disconnect(a);
    CHECK(atomic_load(&db->connection_count) == 0);
    eider_disconnect(NULL);
    eider_close(db);
}

static void test_queries(void) {
    eider_database *db = NULL;
    eider_connection *conn = NULL;
    CHECK(eider_open(NULL, NULL, &db, NULL) == EIDER_SUCCESS);
    CHECK(eider_connect(db, &conn) == EIDER_SUCCESS);
    eider_result *res = NULL;
    CHECK(eider_query(conn, "SELECT 42", &res) == EIDER_SUCCESS);
    CHECK(eider_result_error(res) == NULL);
    CHECK(eider_result_error_type(res) == EIDER_ERROR_NONE);
    CHECK(eider_column_count(res) == 1);
    CHECK(eider_row_count(res) == 1);
    CHECK(eider_column_type(res, 0) == EIDER_TYPE_INTEGER);
    CHECK(eider_value_int64(res, 0, 0) == 42);
    CHECK(text_is(eider_value_text(res, 0, 0), "42"));
    CHECK(eider_rows_changed(res) == 0);
    eider_result_destroy(res);

    res = NULL;
    CHECK(eider_query(conn, "SELEC 1", &res) == EIDER_ERROR);
    CHECK(res != NULL);
    CHECK(eider_result_error_type(res) == EIDER_ERROR_PARSER);
    CHECK(starts_with(eider_result_error(res), "Parser Error: "));
    CHECK(eider_column_count(res) == 0 && eider_row_count(res) == 0);
    CHECK(eider_value_is_null(res, 0, 0));
    eider_result_destroy(res);

    res = NULL;
    CHECK(eider_query(NULL, "SELECT 1", &res) == EIDER_ERROR);
    CHECK(res != NULL && eider_result_error_type(res) == EIDER_ERROR_INVALID_INPUT);
    eider_result_destroy(res);
    res = NULL;
    CHECK(eider_query(conn, NULL, &res) == EIDER_ERROR);
    CHECK(res != NULL && eider_result_error(res) != NULL);
    eider_result_destroy(res);
    CHECK(eider_query(conn, "SELECT 42", NULL) == EIDER_ERROR);
    eider_result_destroy(NULL);

    eider_disconnect(conn);
    eider_close(db);
}

/* ---- results built by hand ------------------------------------------------------------------ */

enum { C_BOOL, C_INT, C_BIGINT, C_DOUBLE, C_DEC, C_STR, C_DATE, C_TS, NCOLS };
#define ROWS 5000
#define CHUNK_ROWS 999 /* not a divisor of VECTOR_SIZE: appends do not line up with scan chunks */

static const char *const col_names[NCOLS] = {"b", "i", "big", "d", "dec", "s", "day", "ts"};

static logical_type col_type(int c) {
    switch (c) {
    case C_BOOL: return type_make(TYPE_BOOLEAN);
    case C_INT: return type_make(TYPE_INTEGER);
    case C_BIGINT: return type_make(TYPE_BIGINT);
    case C_DOUBLE: return type_make(TYPE_DOUBLE);
    case C_DEC: return type_decimal(18, 3);
    case C_STR: return type_make(TYPE_VARCHAR);
    case C_DATE: return type_make(TYPE_DATE);
    default: return type_make(TYPE_TIMESTAMP);
    }
}

static bool row_is_null(uint64_t row, int c) { return row % 7 == (uint64_t)c % 7 && row % 3 == 0; }

/* The string of a row: short for even rows, longer than the inline length for odd ones. */
static void row_string(uint64_t row, char *buf, size_t cap) {
    if (row % 2) snprintf(buf, cap, "a longer string for row %llu", (unsigned long long)row);
    else snprintf(buf, cap, "r%llu", (unsigned long long)row);
}

static value row_value(uint64_t row, int c, char *sbuf, size_t scap) {
    logical_type t = col_type(c);
    if (row_is_null(row, c)) return value_null(t);
    value v = value_null(t);
    v.is_null = false;
    switch (c) {
    case C_BOOL: v.u.boolean = row % 2 == 1; break;
    case C_INT: v.u.i32 = (int32_t)row - 100; break;
    case C_BIGINT: v.u.i64 = (int64_t)row * 1000000000LL; break;
    case C_DOUBLE: v.u.f64 = (double)row + 0.5; break;
    case C_DEC: v.u.i64 = (int64_t)row * 250 - 500000; break; /* row*0.25 - 500 */
    case C_STR:
        row_string(row, sbuf, scap);
        v.u.str.data = sbuf;
        v.u.str.length = (uint32_t)strlen(sbuf);
        break;
    case C_DATE: v.u.i32 = (int32_t)row; break;
    default: v.u.i64 = (int64_t)row * 1000000; break;
    }
    return v;
}

static bool fill_result(eider_result *res, buffer_pool *pool, uint64_t rows) {
    error err;
    error_clear(&err);
    logical_type types[NCOLS];
    for (int c = 0; c < NCOLS; c++) types[c] = col_type(c);
    if (!result_set_columns(res, col_names, types, NCOLS, &err)) {
        fprintf(stderr, "result_set_columns: %s\n", err.message);
        return false;
    }
    arena *a = arena_create(pool, TAG_ALLOCATOR);
    chunk *ch = chunk_create(a, types, NCOLS, &err);
    bool ok = ch != NULL;
    for (uint64_t row = 0; ok && row < rows; row++) {
        uint32_t i = ch->count;
        for (int c = 0; ok && c < NCOLS; c++) {
            char sbuf[64];
            value v = row_value(row, c, sbuf, sizeof sbuf);
            ok = vector_set_value(ch, &ch->columns[c], i, &v, &err);
        }
        ch->count++;
        if (ok && (ch->count == CHUNK_ROWS || row + 1 == rows)) {
            ok = result_append(res, ch, &err);
            chunk_reset(ch);
        }
    }
    if (!ok) fprintf(stderr, "fill_result: %s\n", err.message);
    if (ch) chunk_destroy(ch);
    arena_destroy(a);
    return ok;
}

/* Checks every accessor of one row against the values it was built from. */
static bool check_row(const eider_result *res, uint64_t row) {
    bool ok = true;
    char sbuf[64];
    for (int c = 0; c < NCOLS; c++)
        if (eider_value_is_null(res, (uint64_t)c, row) != row_is_null(row, c)) {
            fprintf(stderr, "row %llu col %d: wrong NULL flag\n", (unsigned long long)row, c);
            ok = false;
        }
    if (!row_is_null(row, C_BOOL)) ok &= eider_value_bool(res, C_BOOL, row) == (row % 2 == 1);
    if (!row_is_null(row, C_INT)) ok &= eider_value_int64(res, C_INT, row) == (int64_t)row - 100;
    if (!row_is_null(row, C_BIGINT)) ok &= eider_value_int64(res, C_BIGINT, row) == (int64_t)row * 1000000000LL;
    if (!row_is_null(row, C_DOUBLE)) ok &= eider_value_double(res, C_DOUBLE, row) == (double)row + 0.5;
    if (!row_is_null(row, C_DEC)) ok &= eider_value_double(res, C_DEC, row) == (double)row * 0.25 - 500;
    if (!row_is_null(row, C_STR)) {
        row_string(row, sbuf, sizeof sbuf);
        ok &= text_is(eider_value_text(res, C_STR, row), sbuf);
    } else {
        ok &= eider_value_text(res, C_STR, row) == NULL;
    }
    if (!row_is_null(row, C_DATE)) {
        char *t = eider_value_text(res, C_DATE, row);
        ok &= t != NULL;
        eider_free(t);
    }
    if (!ok) fprintf(stderr, "row %llu: wrong values\n", (unsigned long long)row);
    return ok;
}

static void test_result_accessors(void) {
    eider_database *db = NULL;
    CHECK(eider_open(NULL, NULL, &db, NULL) == EIDER_SUCCESS);
    if (!db) return;
    eider_result *res = malloc(sizeof *res);
    result_init(res, db);
    CHECK(eider_column_count(res) == 0 && eider_row_count(res) == 0);
    CHECK(fill_result(res, db->pool, ROWS));
    res->rows_changed = 12;

    /* metadata */
    CHECK(eider_result_error(res) == NULL);
    CHECK(eider_column_count(res) == NCOLS);
    CHECK(eider_row_count(res) == ROWS);
    CHECK(eider_rows_changed(res) == 12);
    CHECK(strcmp(eider_column_name(res, C_DEC), "dec") == 0);
    CHECK(strcmp(eider_column_name(res, C_TS), "ts") == 0);
    CHECK(eider_column_type(res, C_BOOL) == EIDER_TYPE_BOOLEAN);
    CHECK(eider_column_type(res, C_INT) == EIDER_TYPE_INTEGER);
    CHECK(eider_column_type(res, C_BIGINT) == EIDER_TYPE_BIGINT);
    CHECK(eider_column_type(res, C_DOUBLE) == EIDER_TYPE_DOUBLE);
    CHECK(eider_column_type(res, C_DEC) == EIDER_TYPE_DECIMAL);
    CHECK(eider_column_type(res, C_STR) == EIDER_TYPE_VARCHAR);
    CHECK(eider_column_type(res, C_DATE) == EIDER_TYPE_DATE);
    CHECK(eider_column_type(res, C_TS) == EIDER_TYPE_TIMESTAMP);
    CHECK(strcmp(eider_column_type_name(res, C_DEC), "DECIMAL(18,3)") == 0);
    CHECK(strcmp(eider_column_type_name(res, C_STR), "VARCHAR") == 0);
    CHECK(strcmp(eider_column_type_name(res, C_INT), "INTEGER") == 0);

    /* every row in order (crosses chunk windows), then backwards, then jumping around */
    bool all = true;
    for (uint64_t row = 0; row < ROWS; row++) all &= check_row(res, row);
    CHECK(all);
    all = true;
    for (uint64_t row = ROWS; row-- > 0;) all &= check_row(res, row);
    CHECK(all);
    all = true;
    for (uint64_t k = 0; k < 500; k++) all &= check_row(res, (k * 2654435761ULL) % ROWS);
    CHECK(all);
    CHECK(check_row(res, 2047) && check_row(res, 2048) && check_row(res, 4095) && check_row(res, 4096));

    /* conversions */
    CHECK(eider_value_int64(res, C_BOOL, 1) == 1);
    CHECK(eider_value_double(res, C_INT, 200) == 100.0);
    CHECK(eider_value_bool(res, C_INT, 100) == false); /* 100 - 100 = 0 */
    CHECK(eider_value_bool(res, C_INT, 101) == true);
    CHECK(eider_value_int64(res, C_DOUBLE, 1) == 2);    /* 1.5 rounds half to even */
    CHECK(eider_value_int64(res, C_DOUBLE, 2) == 2);    /* 2.5 rounds half to even */
    CHECK(eider_value_int64(res, C_DEC, 2002) == 1);    /* 0.500 rounds away from zero */
    CHECK(eider_value_int64(res, C_DEC, 1998) == -1);   /* -0.500 */
    CHECK(eider_value_int64(res, C_DEC, 1999) == 0);    /* -0.250 */
    CHECK(eider_value_int64(res, C_DEC, 2004) == 1);    /* 1.000 */
    CHECK(text_is(eider_value_text(res, C_DEC, 2002), "0.500"));
    CHECK(text_is(eider_value_text(res, C_DEC, 1), "-499.750"));
    CHECK(text_is(eider_value_text(res, C_INT, 1), "-99"));
    CHECK(text_is(eider_value_text(res, C_BIGINT, 2), "2000000000"));
    CHECK(text_is(eider_value_text(res, C_BOOL, 1), "true"));
    CHECK(text_is(eider_value_text(res, C_BOOL, 2), "false"));
    CHECK(text_is(eider_value_text(res, C_DOUBLE, 1), "1.5"));
    CHECK(eider_value_int64(res, C_STR, 1) == 0);   /* not a number */
    CHECK(eider_value_double(res, C_STR, 2) == 0.0); /* "r2" */
    CHECK(eider_value_bool(res, C_STR, 2) == false);
    CHECK(eider_value_int64(res, C_DATE, 5) == 0);   /* no cast DATE -> BIGINT */
    CHECK(eider_value_int64(res, C_INT, 100) == 0 && !eider_value_is_null(res, C_INT, 100));

    /* NULLs read as 0 / false / NULL text */
    CHECK(eider_value_is_null(res, C_BOOL, 0));
    CHECK(eider_value_int64(res, C_BOOL, 0) == 0 && !eider_value_bool(res, C_BOOL, 0));
    CHECK(eider_value_is_null(res, C_STR, 12));
    CHECK(eider_value_text(res, C_STR, 12) == NULL);

    /* out of range: safe defaults */
    CHECK(eider_value_is_null(res, NCOLS, 0));
    CHECK(eider_value_is_null(res, 0, ROWS));
    CHECK(eider_value_is_null(res, UINT64_MAX, UINT64_MAX));
    CHECK(eider_value_int64(res, 1, ROWS) == 0);
    CHECK(eider_value_double(res, NCOLS + 5, 1) == 0.0);
    CHECK(!eider_value_bool(res, 0, ROWS + 100));
    CHECK(eider_value_text(res, 1, ROWS) == NULL);
    CHECK(eider_column_name(res, NCOLS) == NULL);
    CHECK(eider_column_type(res, NCOLS) == EIDER_TYPE_INVALID);
    CHECK(eider_column_type_name(res, UINT64_MAX) == NULL);
    CHECK(check_row(res, ROWS - 1)); /* still fine after the misses */

    /* NULL result */
    CHECK(eider_column_count(NULL) == 0 && eider_row_count(NULL) == 0 && eider_rows_changed(NULL) == 0);
    CHECK(eider_result_error(NULL) == NULL && eider_result_error_type(NULL) == EIDER_ERROR_NONE);
    CHECK(eider_value_is_null(NULL, 0, 0) && eider_value_text(NULL, 0, 0) == NULL);
    CHECK(eider_column_name(NULL, 0) == NULL);

    /* appending after reads refreshes the cache */
    error err;
    error_clear(&err);
    uint64_t before = eider_row_count(res);
    CHECK(check_row(res, before - 1));
    logical_type types[NCOLS];
    for (int c = 0; c < NCOLS; c++) types[c] = col_type(c);
    arena *a = arena_create(db->pool, TAG_ALLOCATOR);
    chunk *ch = chunk_create(a, types, NCOLS, &err);
    for (int c = 0; c < NCOLS; c++) {
        char sbuf[64];
        value v = row_value(before, c, sbuf, sizeof sbuf);
        CHECK(vector_set_value(ch, &ch->columns[c], 0, &v, &err));
    }
    ch->count = 1;
    CHECK(result_append(res, ch, &err));
    chunk_destroy(ch);
    arena_destroy(a);
    CHECK(eider_row_count(res) == before + 1);
    CHECK(check_row(res, before));

    eider_result_destroy(res);
    eider_close(db);
}

/* Results larger than a row group: reads cross the row-group boundary. */
static void test_result_row_groups(void) {
    eider_database *db = NULL;
    CHECK(eider_open(NULL, NULL, &db, NULL) == EIDER_SUCCESS);
    if (!db) return;
    error err;
    error_clear(&err);
    eider_result *res = malloc(sizeof *res);
    result_init(res, db);
    logical_type t = type_make(TYPE_BIGINT);
    const char *name = "n";
    CHECK(result_set_columns(res, &name, &t, 1, &err));
    arena *a = arena_create(db->pool, TAG_ALLOCATOR);
    chunk *ch = chunk_create(a, &t, 1, &err);
    const uint64_t rows = COLUMN_STORE_ROW_GROUP_SIZE + 3000;
    for (uint64_t row = 0; row < rows; row += VECTOR_SIZE) {
        uint32_t n = rows - row < VECTOR_SIZE ? (uint32_t)(rows - row) : VECTOR_SIZE;
        for (uint32_t i = 0; i < n; i++) ((int64_t *)ch->columns[0].data)[i] = (int64_t)(row + i);
        ch->count = n;
        CHECK(result_append(res, ch, &err));
    }
    chunk_destroy(ch);
    arena_destroy(a);
    CHECK(eider_row_count(res) == rows);
    bool ok = true;
    for (uint64_t row = 0; row < rows; row++) ok &= eider_value_int64(res, 0, row) == (int64_t)row;
    CHECK(ok);
    uint64_t rg = COLUMN_STORE_ROW_GROUP_SIZE;
    CHECK(eider_value_int64(res, 0, rg) == (int64_t)rg);
    CHECK(eider_value_int64(res, 0, rg - 1) == (int64_t)rg - 1);
    CHECK(eider_value_int64(res, 0, rg + 2047) == (int64_t)rg + 2047);
    CHECK(eider_value_int64(res, 0, 5) == 5);
    CHECK(eider_value_int64(res, 0, rows - 1) == (int64_t)rows - 1);
    CHECK(eider_value_is_null(res, 0, rows));
    eider_result_destroy(res);
    eider_close(db);
}

/* A result on a pool the test owns: result_clear gives back every byte and block. */
static void test_result_clear_returns_memory(void) {
    eider_database db;
    memset(&db, 0, sizeof db);
    db.pool = pool_create(256ULL << 20);
    CHECK(pool_used_bytes(db.pool) == 0);
    eider_result res;
    result_init(&res, &db);
    CHECK(fill_result(&res, db.pool, ROWS));
    CHECK(pool_used_bytes(db.pool) > 0);
    CHECK(pool_tag_used_bytes(db.pool, TAG_COLUMN_DATA) > 0);
    CHECK(check_row(&res, 3000)); /* opens the read cache */
    CHECK(eider_value_int64(&res, C_STR, 3) == 0); /* a failed cast on the way */
    result_clear(&res);
    CHECK(pool_used_bytes(db.pool) == 0);
    CHECK(pool_block_count(db.pool) == 0);
    CHECK(eider_row_count(&res) == 0 && eider_column_count(&res) == 0);
    /* a cleared result can be filled again */
    CHECK(fill_result(&res, db.pool, 10));
    CHECK(check_row(&res, 9));
    result_clear(&res);
    CHECK(pool_used_bytes(db.pool) == 0);
    pool_destroy(db.pool);
}

int main(void) {
    test_version_and_config();
    test_open_close();
    test_connections();
    test_queries();
    test_result_accessors();
    test_result_row_groups();
    test_result_clear_returns_memory();
    return test_summary();
}
