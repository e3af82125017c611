/* libFuzzer target for the CSV reader: the input is written to a temporary file and read with
 * auto-detection (whole, and in tiny ranges handed alternately to two scan states, which forces
 * the guessed range starts and their check), then with fixed options (ignore_errors on and off).
 * Every read must end in rows or an error, never a crash or a leak, and give back every pool byte.
 * Build with clang -fsanitize=fuzzer,address,undefined. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/arena.h"
#include "eider.h"
#include "execution/physical.h"
#include "function/csv.h"
#include "main/database.h"
#include "memory/pool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static eider_database *db;
static char path[64];

/* Reads the file with the options; `interleave` runs two local states on this thread in turns. */
static void read_once(const csv_option *opts, uint32_t nopts, const csv_column *cols, uint32_t ncols,
                      bool interleave) {
    buffer_pool *pool = db->pool;
    uint64_t base = pool_used_bytes(pool);
    arena *a = arena_create(pool, TAG_ALLOCATOR);
    error err;
    error_clear(&err);
    csv_read_request req = {path, opts, nopts, cols, ncols, true, NULL, 0};
    csv_scan_plan plan;
    if (csv_scan_plan_create(db, a, &req, &plan, &err)) {
        exec_context ctx = {.pool = pool, .arena = a, .threads = 2};
        physical_op *op = plan.op;
        if (op->vt->source_init(op, &ctx, &err)) {
            uint32_t n = interleave ? 2 : 1;
            void *local[2] = {NULL, NULL};
            chunk *c[2] = {NULL, NULL};
            bool live[2] = {false, false};
            bool ok = true;
            for (uint32_t i = 0; i < n && ok; i++) {
                local[i] = op->vt->source_local_init(op, &ctx, &err);
                c[i] = chunk_create(a, op->types, op->column_count, &err);
                ok = !error_is_set(&err) && c[i];
                live[i] = ok;
            }
            while (ok && (live[0] || live[1])) {
                for (uint32_t i = 0; i < n && ok; i++) {
                    if (!live[i]) continue;
                    chunk_reset(c[i]);
                    ok = op->vt->get_data(op, &ctx, local[i], c[i], &err);
                    if (ok && c[i]->count == 0) live[i] = false;
                }
            }
            for (uint32_t i = 0; i < n; i++) {
                if (local[i]) op->vt->source_local_destroy(op, local[i]);
                if (c[i]) chunk_destroy(c[i]);
            }
        }
    }
    if (error_is_set(&err) && strstr(err.message, "Error: ") == NULL) abort();
    arena_destroy(a);
    if (pool_used_bytes(pool) != base) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!db) {
        char *msg = NULL;
        if (eider_open(NULL, NULL, &db, &msg) != EIDER_SUCCESS) abort();
        snprintf(path, sizeof path, "/tmp/eider_fuzz_csv_%d.csv", (int)getpid());
    }
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    if (size) fwrite(data, 1, size, f);
    fclose(f);

    read_once(NULL, 0, NULL, 0, false);
    csv_option small = {"buffer_size", value_bigint(1 + (size ? data[0] % 48 : 0))};
    read_once(&small, 1, NULL, 0, true);

    csv_column cols[3] = {{"a", type_make(TYPE_VARCHAR)}, {"b", type_make(TYPE_BIGINT)}, {"c", type_make(TYPE_DATE)}};
    csv_option fixed[5] = {{"delim", value_varchar(",", 1)},
                           {"quote", value_varchar("\"", 1)},
                           {"header", value_boolean(false)},
                           {"buffer_size", value_bigint(16)},
                           {"ignore_errors", value_boolean(true)}};
    read_once(fixed, 5, cols, 3, true);
    read_once(fixed, 4, cols, 3, false);
    csv_option esc[3] = {{"escape", value_varchar("\\", 1)}, {"sample_size", value_bigint(2)}, {"parallel", value_boolean(false)}};
    read_once(esc, 3, NULL, 0, false);
    unlink(path);
    return 0;
}
