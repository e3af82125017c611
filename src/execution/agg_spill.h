/*
 * agg_spill.h — spilling for the hash aggregate (GROUP BY larger than memory).
 *
 * When a group table outgrows its share of the operator's budget, its groups are written into
 * AGG_SPILL_PARTITIONS partitions chosen by bits of each group's stored hash (the top bits at
 * level 0, the next AGG_SPILL_BITS at level 1, ...), and the table is emptied. A partition is a
 * list of temporary pool blocks (tag HASH_TABLE) holding records in a position-independent format;
 * a block is pinned only while a record is written into it or read from it, so the pool may write
 * the others to temp files. Blocks are standard blocks (the pool recycles their memory); a write
 * appends to the partition's last block while that block is still in memory, never reading one
 * back from a temp file to add to it. The same shapes serve the hash aggregate's distinct (group,
 * argument) pairs: a shape without aggregate states. Later each partition is read back into a
 * group table of its own (states merged with the functions' combine); a partition whose table
 * would pass the budget is split again with the next hash bits.
 *
 * A record holds up to 512 groups (a partition's rows gathered at a time) and never spans blocks:
 *   header       uint32 rows, uint32 bytes (the whole record, a multiple of 8), 8 bytes zero
 *   per key      rows validity bytes; then rows fixed-size values, or for VARCHAR rows uint32
 *                lengths followed by the bytes of the valid strings
 *   per state    rows x state_size bytes; for functions with spill_write (states that hold
 *                strings) followed by the bytes spill_write copied out, in row order
 * Every section starts 8-aligned. Groups' hashes are not stored: they are the hashes of their keys
 * (key_hash_vectors; 0 without keys), computed again when a record is read.
 */
#ifndef EIDER_AGG_SPILL_H
#define EIDER_AGG_SPILL_H

#include "execution/group_table.h"

#define AGG_SPILL_BITS 6
#define AGG_SPILL_PARTITIONS (1u << AGG_SPILL_BITS)
/* Deepest level: partitions there are read into one table whatever its size. */
#define AGG_SPILL_MAX_LEVEL 7

/* One set of partitions at one level. Owner: whoever created it; agg_partitions_destroy frees
 * every block (spilled or not). */
typedef struct agg_partitions {
    uint32_t level;
    block_list parts[AGG_SPILL_PARTITIONS]; /* entries: handle (NULL once read), used = bytes */
    uint64_t rows[AGG_SPILL_PARTITIONS];    /* groups written into each partition */
} agg_partitions;

/* NULL + err when out of memory. The struct is pool_malloc'ed (METADATA). */
agg_partitions *agg_partitions_create(buffer_pool *pool, uint32_t level, error *err);
void agg_partitions_destroy(agg_partitions *p);
/* Appends every block of src to dst (same level; no data is copied); src becomes empty. */
bool agg_partitions_move(agg_partitions *dst, agg_partitions *src, error *err);
/* Groups written into all partitions. */
uint64_t agg_partitions_rows(const agg_partitions *p);

/* Scratch for writing tables into partitions and reading partitions into tables, one per thread.
 * Owner: the caller; destroy with agg_spill_destroy. Its memory does not grow with the data. */
typedef struct agg_spill agg_spill;

agg_spill *agg_spill_create(buffer_pool *pool, const group_shape *shape, error *err);
void agg_spill_destroy(agg_spill *s);

/* Writes every group of t into parts (by the bits of parts->level). t is left as it was. */
bool agg_spill_write_table(agg_spill *s, group_table *t, agg_partitions *parts, error *err);

/* Reads the records of partition `part` (of a set at `level`) into t: groups are found or
 * created and the stored states combined into t's (strings of states go into strings). The
 * blocks of part are freed as they are read. When t would pass `budget` bytes (together with
 * strings) and level < AGG_SPILL_MAX_LEVEL, t is written into *sub (created at level + 1), t
 * and strings are emptied and reading goes on. On return either *sub is NULL and t holds every
 * group of the partition, or *sub holds them all and t is empty. */
bool agg_spill_read_partition(agg_spill *s, block_list *part, uint32_t level, group_table *t, arena *strings,
                              uint64_t budget, agg_partitions **sub, error *err);

#endif
