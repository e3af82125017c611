/*
 * sort_prefetch.h — the k-way merge of spilled sorted runs (sort_run.h) run ahead on a thread of
 * its own, for ORDER BY's source: while the consumer turns one batch of merged rows into a chunk
 * and hands it downstream (an INSERT that writes a table, a result), the producer merges the next
 * batches, loading the runs' blocks as it goes. Rows come out in the merge's order.
 *
 * The producer fills a ring of SORT_PREFETCH_BATCHES batches of up to VECTOR_SIZE row addresses;
 * with each batch go the blocks the merge moved past while filling it. The consumer takes batches
 * in order; the blocks that came with a batch are freed when the consumer asks for the next one,
 * by which time every row of theirs was handed out (a block's rows precede the batch that passes
 * it), so the addresses of a batch stay valid until the next call.
 *
 * The producer skips `skip` rows first (an OFFSET) and stops after `limit` rows, at the merge's
 * end, at an error, or when interrupted is set (an Interrupted error); the consumer sees the error
 * after the rows merged before it. sort_prefetch_stop stops the producer wherever it is, joins it
 * and frees the blocks of batches not consumed.
 *
 * Ownership: the prefetch owns its thread, its ring (pool_malloc'ed: METADATA, fixed size) and the
 * blocks handed to batches; the merger and its runs stay the caller's, and must outlive the
 * prefetch.
 */
#ifndef EIDER_SORT_PREFETCH_H
#define EIDER_SORT_PREFETCH_H

#include <stdatomic.h>

#include "execution/sort_run.h"

#define SORT_PREFETCH_BATCHES 3

typedef struct sort_prefetch sort_prefetch;

/* Starts the producer over merger m; NULL + err when the thread or its memory cannot be had. */
sort_prefetch *sort_prefetch_start(sort_merger *m, buffer_pool *pool, uint64_t skip, uint64_t limit,
                                   atomic_bool *interrupted, error *err);
/* The next batch: *rows (valid until the next call) and *count (0 at the end). */
bool sort_prefetch_next(sort_prefetch *p, uint8_t *const **rows, uint32_t *count, error *err);
/* Stops and joins the producer and frees everything the prefetch holds (NULL is fine). */
void sort_prefetch_stop(sort_prefetch *p);

#endif
