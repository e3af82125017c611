/*
 * key_hash.c — vectorized key hashing.
 */
#include "execution/key_hash.h"

#include <math.h>
#include <string.h>

#define NULL_HASH 0x9e3779b97f4a7c15ULL

uint64_t key_hash_bytes(const void *data, size_t length) {
    const uint8_t *p = data;
    uint64_t h = 0xcbf29ce484222325ULL ^ (length * 0x100000001b3ULL);
    while (length >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ key_hash_u64(w)) * 0x9e3779b97f4a7c15ULL;
        p += 8;
        length -= 8;
    }
    if (length) {
        uint64_t w = 0;
        memcpy(&w, p, length);
        h = (h ^ key_hash_u64(w ^ 0xff)) * 0x9e3779b97f4a7c15ULL;
    }
    return key_hash_u64(h);
}

static inline uint64_t hash_double(double d) {
    if (d == 0) d = 0; /* -0.0 -> 0.0 */
    if (isnan(d)) return 0x7ff8000000000000ULL * 31;
    uint64_t bits;
    memcpy(&bits, &d, 8);
    return key_hash_u64(bits);
}

static inline uint64_t hash_string(const string_t *s) { return key_hash_bytes(string_data(s), s->length); }

/* Hash of one column, either stored (first column) or combined into hashes. */
static void hash_column(const vector *v, uint32_t count, uint64_t *hashes, bool first) {
    bool all_valid = vector_all_valid(v, count);
#define HASH_LOOP(EXPR)                                                                                   \
    for (uint32_t i = 0; i < count; i++) {                                                                \
        uint64_t h = (all_valid || vector_is_valid(v, i)) ? (EXPR) : NULL_HASH;                           \
        hashes[i] = first ? h : key_hash_combine(hashes[i], h);                                           \
    }
    switch (v->type.id) {
    case TYPE_SQLNULL:
    case TYPE_BOOLEAN: {
        const uint8_t *d = v->data;
        HASH_LOOP(key_hash_u64(d[i] ? 1 : 0));
        break;
    }
    case TYPE_INTEGER:
    case TYPE_DATE: {
        const int32_t *d = v->data;
        HASH_LOOP(key_hash_u64((uint64_t)(int64_t)d[i]));
        break;
    }
    case TYPE_DOUBLE: {
        const double *d = v->data;
        HASH_LOOP(hash_double(d[i]));
        break;
    }
    case TYPE_VARCHAR: {
        const string_t *d = v->data;
        HASH_LOOP(hash_string(&d[i]));
        break;
    }
    default: {
        const int64_t *d = v->data;
        HASH_LOOP(key_hash_u64((uint64_t)d[i]));
        break;
    }
    }
#undef HASH_LOOP
}

void key_hash_vectors(const vector *const *cols, uint32_t col_count, uint32_t count, uint64_t *hashes) {
    if (col_count == 0) {
        memset(hashes, 0, sizeof(uint64_t) * count);
        return;
    }
    for (uint32_t c = 0; c < col_count; c++) hash_column(cols[c], count, hashes, c == 0);
}
