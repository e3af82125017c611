/*
 * key_hash.h — vectorized 64-bit hashing of key columns for the hash aggregate and hash join.
 *
 * One hash per row over all key columns; NULL hashes to a constant, -0.0 hashes like 0.0 and
 * every NaN alike, so equal keys (as row_match sees them) hash equal. The bits are well mixed: the
 * low bits pick a hash table slot, the high bits can pick a partition.
 */
#ifndef EIDER_KEY_HASH_H
#define EIDER_KEY_HASH_H

#include "common/vector.h"

static inline uint64_t key_hash_u64(uint64_t x) {
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    return x;
}

static inline uint64_t key_hash_combine(uint64_t a, uint64_t b) { return (a * 0xbf58476d1ce4e5b9ULL) ^ b; }

uint64_t key_hash_bytes(const void *data, size_t length);

/* hashes[i] = hash of row i (i < count) over the key columns cols[0..col_count); 0 columns
 * hash every row to 0. */
void key_hash_vectors(const vector *const *cols, uint32_t col_count, uint32_t count, uint64_t *hashes);

#endif
