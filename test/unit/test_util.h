/*
 * test_util.h — helpers shared by the C unit tests: pass/fail counters, the CHECK macro and the
 * closing "N passed, M failed" line; for tests that define TEST_UTIL_OPERATORS before including
 * it, a harness that drives physical operators over hand-built chunks and turns their output into
 * text lines; and for tests that define TEST_UTIL_SQL, queries through the public API and the
 * checks the spilling tests make after each query. Header-only (static and static inline only): each test/unit/test_*.c is
 * built into its own executable.
 */
#ifndef EIDER_TEST_UTIL_H
#define EIDER_TEST_UTIL_H

#include <stdarg.h>
#include <stdio.h>

/* ---- counters and checks -------------------------------------------------------------------- */

static int passed, failed;

static inline void test_util_fail_(const char *file, int line, const char *cond) {
    fprintf(stderr, "%s:%d: check failed: %s\n", file, line, cond);
}

__attribute__((format(printf, 3, 4))) static inline void test_util_fail_msg_(const char *file, int line,
                                                                              const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s:%d: check failed: ", file, line);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

#define TEST_UTIL_CHECK_COND_(text, cond)                            \
    do {                                                             \
        if (cond) passed++;                                          \
        else {                                                       \
            failed++;                                                \
            test_util_fail_(__FILE__, __LINE__, text);               \
        }                                                            \
    } while (0)

#define TEST_UTIL_CHECK_MSG_(text, cond, ...)                        \
    do {                                                             \
        if (cond) passed++;                                          \
        else {                                                       \
            failed++;                                                \
            test_util_fail_msg_(__FILE__, __LINE__, __VA_ARGS__);    \
        }                                                            \
    } while (0)

#define TEST_UTIL_PICK_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, name, ...) name

/*
 * CHECK(cond) or CHECK(cond, fmt, ...): counts a pass when cond holds; otherwise counts a failure
 * and prints "file:line: check failed: " followed by the text of cond (first form) or by the
 * printf-style message (second form, up to 14 arguments after fmt). cond must not contain a comma
 * outside parentheses.
 */
#define CHECK(...)                                                                                                  \
    TEST_UTIL_PICK_(__VA_ARGS__, TEST_UTIL_CHECK_MSG_, TEST_UTIL_CHECK_MSG_, TEST_UTIL_CHECK_MSG_,                  \
                    TEST_UTIL_CHECK_MSG_, TEST_UTIL_CHECK_MSG_, TEST_UTIL_CHECK_MSG_, TEST_UTIL_CHECK_MSG_,         \
                    TEST_UTIL_CHECK_MSG_, TEST_UTIL_CHECK_MSG_, TEST_UTIL_CHECK_MSG_, TEST_UTIL_CHECK_MSG_,         \
                    TEST_UTIL_CHECK_MSG_, TEST_UTIL_CHECK_MSG_, TEST_UTIL_CHECK_MSG_, TEST_UTIL_CHECK_MSG_,         \
                    TEST_UTIL_CHECK_COND_, unused)                                                                  \
    (#__VA_ARGS__, __VA_ARGS__)

/* Prints the closing line "N passed, M failed"; gives the process exit code (1 if any failed). */
static inline int test_summary(void) {
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

/* ---- operator harness (define TEST_UTIL_OPERATORS before including) -------------------------- */

#ifdef TEST_UTIL_OPERATORS

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/vector.h"
#include "execution/physical.h"
#include "memory/pool.h"

/* A pool with a limit, an arena on it, and an execution context using both with two threads. */
typedef struct harness {
    buffer_pool *pool;
    arena *arena;
    exec_context ctx;
    error err;
} harness;

static inline void harness_init(harness *h, uint64_t limit) {
    memset(h, 0, sizeof *h);
    h->pool = pool_create(limit);
    h->arena = arena_create(h->pool, TAG_ALLOCATOR);
    h->ctx.pool = h->pool;
    h->ctx.arena = h->arena;
    h->ctx.threads = 2;
}

/* Checks that the operator gave back every byte under its tag, then that the pool is empty once
 * the arena is gone; destroys both. */
static inline void harness_done(harness *h, memory_tag operator_tag) {
    CHECK(pool_tag_used_bytes(h->pool, operator_tag) == 0);
    arena_destroy(h->arena);
    CHECK(pool_used_bytes(h->pool) == 0);
    pool_destroy(h->pool);
}

static const physical_op_vtable test_source_vt = {.name = "TEST_SOURCE"};

/* An operator with the given output types and no behaviour, to stand as an operator's child. */
static inline physical_op *fake_child(harness *h, const logical_type *types, uint32_t n) {
    return physical_op_create(h->arena, &test_source_vt, types, n, &h->err);
}

/* Stores s as row `row` of VARCHAR column `col` of c. */
static inline void set_str(chunk *c, uint32_t col, uint32_t row, const char *s) {
    string_t *dst = &((string_t *)c->columns[col].data)[row];
    error err;
    error_clear(&err);
    chunk_store_string(c, s, (uint32_t)strlen(s), dst, &err);
}

static const logical_type BIGINT = {TYPE_BIGINT, 0, 0};
static const logical_type VARCHAR = {TYPE_VARCHAR, 0, 0};
static const logical_type INTEGER = {TYPE_INTEGER, 0, 0};

/* Output rows as text lines "a|b|c", sorted for comparison. */
typedef struct lines {
    char **v;
    size_t n, cap;
} lines;

static inline void lines_add(lines *l, const char *s) {
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = realloc(l->v, sizeof(char *) * l->cap);
    }
    l->v[l->n++] = strdup(s);
}

static inline int lines_cmp_(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static inline void lines_sort(lines *l) {
    if (l->n) qsort(l->v, l->n, sizeof(char *), lines_cmp_);
}

static inline void lines_free(lines *l) {
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* The text of one value: NULL, true/false, integers, doubles with 3 decimals, strings as is. */
static inline void format_value(const vector *v, uint32_t row, char *buf, size_t size) {
    if (!vector_is_valid(v, row)) {
        snprintf(buf, size, "NULL");
        return;
    }
    switch (v->type.id) {
    case TYPE_BOOLEAN: snprintf(buf, size, "%s", ((uint8_t *)v->data)[row] ? "true" : "false"); break;
    case TYPE_INTEGER: snprintf(buf, size, "%d", ((int32_t *)v->data)[row]); break;
    case TYPE_DOUBLE: snprintf(buf, size, "%.3f", ((double *)v->data)[row]); break;
    case TYPE_VARCHAR: {
        const string_t *s = &((string_t *)v->data)[row];
        snprintf(buf, size, "%.*s", (int)s->length, string_data(s));
        break;
    }
    default: snprintf(buf, size, "%" PRId64, ((int64_t *)v->data)[row]); break;
    }
}

/* Adds one line per row of c, its values joined by '|'. */
static inline void chunk_lines(const chunk *c, lines *out) {
    char line[1024], val[512];
    for (uint32_t r = 0; r < c->count; r++) {
        line[0] = 0;
        for (uint32_t col = 0; col < c->column_count; col++) {
            format_value(&c->columns[col], r, val, sizeof val);
            if (col) strcat(line, "|");
            strncat(line, val, sizeof line - strlen(line) - 1);
        }
        lines_add(out, line);
    }
}

#endif /* TEST_UTIL_OPERATORS */

/* ---- queries through the public API (define TEST_UTIL_SQL before including) ----------------- */

#ifdef TEST_UTIL_SQL

#include <inttypes.h>

#include "eider.h"

static inline eider_result *run(eider_connection *con, const char *sql) {
    eider_result *r = NULL;
    eider_query(con, sql, &r);
    return r;
}

/* Runs a statement; false (and the error on stderr) when it fails. */
static inline bool run_ok(eider_connection *con, const char *sql) {
    eider_result *r = run(con, sql);
    bool ok = r && !eider_result_error(r);
    if (!ok) fprintf(stderr, "%s: %s\n", sql, r && eider_result_error(r) ? eider_result_error(r) : "no result");
    eider_result_destroy(r);
    return ok;
}

/* The first value of the first row; -1 (and why on stderr) on an error, no row or NULL. */
static inline int64_t query_int(eider_connection *con, const char *sql) {
    eider_result *r = run(con, sql);
    int64_t v = -1;
    if (r && !eider_result_error(r) && eider_row_count(r) > 0 && !eider_value_is_null(r, 0, 0)) v = eider_value_int64(r, 0, 0);
    else fprintf(stderr, "%s: %s\n", sql, r && eider_result_error(r) ? eider_result_error(r) : "no value");
    eider_result_destroy(r);
    return v;
}

/* Bytes the tables hold, resident and spilled. */
static inline int64_t table_bytes(eider_connection *con) {
    return query_int(con, "SELECT sum(memory_usage_bytes + temporary_storage_bytes) FROM eider_memory() "
                          "WHERE tag IN ('IN_MEMORY_TABLE', 'OVERFLOW_STRINGS', 'BASE_TABLE')");
}

/* After a query: the tables hold what they held before it, and a temp file remains only while
 * some block is spilled. */
static inline void check_tables_and_temp_files(eider_connection *con, int64_t tables_before, const char *what) {
    CHECK(table_bytes(con) == tables_before, "%s: table bytes %" PRId64 " vs %" PRId64, what, table_bytes(con),
          tables_before);
    int64_t spilled = query_int(con, "SELECT sum(temporary_storage_bytes) FROM eider_memory()");
    int64_t files = query_int(con, "SELECT count(*) FROM eider_temporary_files()");
    CHECK(spilled > 0 || files == 0, "%s: %" PRId64 " temp files with nothing spilled", what, files);
}

#endif /* TEST_UTIL_SQL */

#endif /* EIDER_TEST_UTIL_H */
