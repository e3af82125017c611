/*
 * result_hash.h — hashing query answers in tests that compare a run under a memory limit with a
 * run without one: each row's values as text (NULL as \N), tab-separated, hashed and mixed, so that
 * row hashes can be summed (order-independent) or chained (ordered). Header-only.
 */
#ifndef EIDER_TEST_RESULT_HASH_H
#define EIDER_TEST_RESULT_HASH_H

#include <stdint.h>
#include <string.h>

#include "eider.h"

static inline uint64_t result_hash_fnv(uint64_t h, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 0x100000001b3ULL;
    return h;
}

/* The mixed hash of row `row` of the batch or result r. */
static inline uint64_t result_row_hash(const eider_result *r, uint64_t row) {
    uint64_t h = 0xcbf29ce484222325ULL, cols = eider_column_count(r);
    for (uint64_t c = 0; c < cols; c++) {
        if (eider_value_is_null(r, c, row)) {
            h = result_hash_fnv(h, "\\N\t", 3);
            continue;
        }
        char *text = eider_value_text(r, c, row);
        h = result_hash_fnv(h, text, strlen(text));
        h = result_hash_fnv(h, "\t", 1);
        eider_free(text);
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

#endif
