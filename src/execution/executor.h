/*
 * executor.h — cuts a physical plan into pipelines and runs them.
 *
 * The root of the plan must be a sink (result collector, insert, create-table-as). A pipeline
 * runs when every sink it reads from (its source, a join's build side) has been finalized; a sink
 * is finalized once the last pipeline feeding it has run. Each pipeline run gets local states
 * for its source, operators and sink; the structure is the one morsel-driven parallelism uses
 * (N threads each running the pipeline with their own local states).
 *
 * An operator that is both a streaming operator and a source (a hash join: it streams the probe
 * side, then joins what it spilled) gets a tail pipeline: its source is the operator, its
 * operators those downstream of it, its sink the same sink (which is finalized only after the
 * tail ran). The tail runs once every pipeline that has the operator among its streaming
 * operators is done; each thread of those pipelines calls the operator's op_finish when its input
 * is exhausted.
 */
#ifndef EIDER_EXECUTOR_H
#define EIDER_EXECUTOR_H

#include "execution/physical.h"

/* Marks an operator as UNION ALL: its two children feed the same consumer. */
extern const physical_op_vtable union_all_vtable;

/* A query runs on at most one thread per this much of memory_limit: each thread holds chunks,
 * pinned scan blocks and scratch (a few MB, whatever the limit), and below about this much per
 * thread that leaves the operators too little to spill with. */
#define EXECUTOR_MEMORY_PER_THREAD ((uint64_t)8 * 1000 * 1000)

/* Runs the plan to completion (on ctx->threads threads, lowered first to what memory_limit allows:
 * EXECUTOR_MEMORY_PER_THREAD). The operators are destroyed with the arena they live in. */
bool executor_run(exec_context *ctx, physical_op *root, error *err);

#endif
