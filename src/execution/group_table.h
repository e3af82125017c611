/*
 * group_table.h — the hash table of the hash aggregate: one row per distinct key (rows in pool
 * blocks, see row_layout.h) and a linear-probing directory of (hash salt, row) entries in its own
 * pool block, doubled when half full.
 *
 * A row is: the key's hash (8 bytes), the key values and validity, then the aggregate states.
 * Keys compare column-wise, NULL equal to NULL. The stored hash lets the table grow without
 * rehashing keys, and lets a later milestone partition rows by hash bits.
 */
#ifndef EIDER_GROUP_TABLE_H
#define EIDER_GROUP_TABLE_H

#include "execution/row_layout.h"
#include "function/aggregate.h"

/* A directory slot: the row's address in the low 48 bits and the top 16 bits of its hash above
 * them (0: empty). Eight bytes keep the directory small enough to stay in cache longer; the salt
 * rules out almost every non-matching row without reading it. */
typedef uint64_t group_entry;

/* What a table's rows hold; shared read-only by all tables of one operator. */
typedef struct group_shape {
    row_layout layout;                   /* header 8 bytes (hash); the key columns; states as extra */
    const aggregate_function *functions; /* states to initialize in each new row */
    const uint32_t *state_offsets;       /* byte offset of each function's state in a row */
    uint32_t function_count;
} group_shape;

/* Per-caller scratch for probing one chunk (VECTOR_SIZE rows). */
typedef struct group_scratch {
    uint64_t hashes[VECTOR_SIZE];
    uint64_t slots[VECTOR_SIZE];
    uint32_t sel[VECTOR_SIZE];
    uint32_t compare[VECTOR_SIZE];
    uint32_t no_match[VECTOR_SIZE];
    uint32_t fresh[VECTOR_SIZE];
    uint8_t *groups[VECTOR_SIZE]; /* result: the group row of each input row */
} group_scratch;

typedef struct group_table {
    const group_shape *shape;
    buffer_pool *pool;
    memory_tag tag;
    row_store rows;
    string_heap strings;
    block_handle *directory_block;
    group_entry *directory;
    uint64_t capacity; /* slots, a power of two (0 before the first insert) */
    uint64_t count;    /* groups */
} group_table;

/* Owner: the caller; group_table_free frees every block. No memory is taken until the first
 * insert. A freed table is empty and may be used again. */
void group_table_init(group_table *t, const group_shape *shape, buffer_pool *pool, memory_tag tag);
void group_table_free(group_table *t);
/* Empties the table but keeps its directory (cleared) and its large row blocks for the next
 * groups: a table refilled again and again (spills, one partition after another) does not map and
 * unmap its memory each time. */
void group_table_reset(group_table *t);
/* Bytes of pool blocks the table holds (rows, string heap, directory). */
uint64_t group_table_bytes(const group_table *t);
/* Bytes the table would hold after `count` more groups, at most: today's plus their rows and,
 * when the directory must grow for them, the new directory (the old one is freed after). */
uint64_t group_table_bytes_after(const group_table *t, uint32_t count);
/* Swaps the contents of two tables of the same shape. */
void group_table_swap(group_table *a, group_table *b);

/* Finds or creates the group of each input row i < count, whose key is keys[j] row i
 * (j < key columns of the shape), with hash s->hashes[i] (the caller fills it, e.g. with
 * key_hash_vectors). New groups get their keys copied (strings too) and their states initialized.
 * The group row of input row i is left in s->groups[i]. */
bool group_table_find_or_create(group_table *t, const vector *const *keys, uint32_t count, group_scratch *s,
                                error *err);

#endif
