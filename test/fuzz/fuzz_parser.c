/* libFuzzer target for the SQL parser: any bytes must parse or fail with an error, never crash,
 * overflow the stack or leak. Build with clang -fsanitize=fuzzer,address,undefined. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "memory/pool.h"
#include "parser/parser.h"

static buffer_pool *fuzz_pool;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!fuzz_pool) fuzz_pool = pool_create((uint64_t)1 << 30);
    char *sql = malloc(size + 1);
    if (!sql) return 0;
    memcpy(sql, data, size);
    sql[size] = '\0';
    arena *a = arena_create(fuzz_pool, TAG_ALLOCATOR);
    error err;
    error_clear(&err);
    parsed_statements st;
    if (parse_sql(a, sql, &st, &err)) {
        for (uint32_t i = 0; i < st.count; i++) {
            const ast_statement *s = st.statements[i];
            if (s->start > s->end || s->end > size) abort();
        }
    } else if (err.type == EIDER_ERROR_NONE || strncmp(err.message, "Parser Error: ", 14) != 0) {
        if (err.type != EIDER_ERROR_OUT_OF_MEMORY) abort();
    }
    error_clear(&err);
    ast_expr *e = parse_expression(a, sql, &err);
    (void)e;
    arena_destroy(a);
    free(sql);
    return 0;
}
