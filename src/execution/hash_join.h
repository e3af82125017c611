/*
 * hash_join.h — equality joins: the build side (children[1]) is sunk into a hash table in pool
 * blocks (tag HASH_TABLE); the probe side (children[0]) streams through.
 *
 * Output: the probe columns, then the build columns (none for SEMI and ANTI). NULL keys never
 * match. LEFT emits probe rows without a match with NULL build columns; RIGHT emits build rows
 * without a match (NULL keys included) with NULL probe columns, after the probe; FULL does both.
 */
#ifndef EIDER_HASH_JOIN_H
#define EIDER_HASH_JOIN_H

#include "execution/physical.h"

typedef enum join_type { JOIN_INNER, JOIN_LEFT, JOIN_RIGHT, JOIN_FULL, JOIN_SEMI, JOIN_ANTI } join_type;

/* Sink: the build side. Streaming operator: the probe. Arrays are copied; key types must be
 * equal pairwise (the planner casts). */
physical_op *hash_join_create(arena *a, physical_op *probe, physical_op *build, join_type type,
                              const uint32_t *probe_keys, const uint32_t *build_keys, uint32_t key_count, error *err);

#endif
