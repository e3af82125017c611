/*
 * physical.h — physical operators and the interface the pipeline executor drives.
 *
 * A query's physical plan is a tree of operators. The executor cuts it into pipelines:
 * source -> operators... -> sink. A blocking operator (hash aggregate, sort, join build, result
 * collector, insert) is the sink of one pipeline and, once finalized, the source of the next.
 * Every state is split the morsel-driven way: a global state per operator (sink_state,
 * source_state) and a local state per thread, so pipelines can run on N threads: each thread
 * gets its own local states, pushes chunks, then combines its local sink state into the global
 * one; finalize runs once after all threads combined.
 *
 * Operator parameters are set by the planner in op->params (each operator defines its struct).
 * Every pool block an operator takes must be freed by destroy (or by local_destroy for local
 * states), also after an error part-way through: after any query the pool holds nothing for it.
 */
#ifndef EIDER_PHYSICAL_H
#define EIDER_PHYSICAL_H

#include <stdatomic.h>

#include "common/arena.h"
#include "common/vector.h"
#include "memory/pool.h"

typedef struct exec_context {
    buffer_pool *pool;
    arena *arena;                /* query-lifetime allocations (tag ALLOCATOR); single-threaded use */
    atomic_bool *interrupted;    /* set by eider_interrupt: stop with an Interrupted error */
    uint32_t threads;            /* threads a pipeline may use */
    struct scheduler *scheduler; /* the database's workers (NULL: run on the calling thread) */
    atomic_int *progress;        /* the query's progress in per mille, updated as it runs (may be NULL) */
} exec_context;

typedef enum op_result {
    OP_NEED_MORE_INPUT,  /* out holds rows (maybe 0); give the next input chunk */
    OP_HAVE_MORE_OUTPUT, /* out holds rows; call again with the same input */
    OP_FINISHED,         /* no more output will ever come (e.g. LIMIT reached) */
    OP_ERROR
} op_result;

typedef struct physical_op physical_op;

/* How an operator relates to row order (the executor decides threads from these). */
enum {
    OP_ORDERED_SOURCE = 1,  /* emits rows in a meaningful order (scan order, file order) */
    OP_SORTED_SOURCE = 2,   /* emits rows in sorted order: read by one thread */
    OP_KEEPS_ORDER = 4,     /* a sink that keeps the order it receives rows in (results, tables) */
    OP_TAKES_FIRST_ROWS = 8, /* a streaming operator whose output depends on the order of its input (LIMIT) */
};

typedef struct physical_op_vtable {
    const char *name;
    uint32_t flags;
    /* ---- source side (NULL if the operator is not a source) ---- */
    /* Global source state, after the operator's sink (if any) was finalized. */
    bool (*source_init)(physical_op *op, exec_context *ctx, error *err);
    void *(*source_local_init)(physical_op *op, exec_context *ctx, error *err); /* NULL result + no err = none */
    /* Fills out with the next rows for this thread; out->count == 0 means exhausted. */
    bool (*get_data)(physical_op *op, exec_context *ctx, void *local, chunk *out, error *err);
    void (*source_local_destroy)(physical_op *op, void *local);
    /* ---- streaming operator side (NULL if not a streaming operator) ---- */
    void *(*op_local_init)(physical_op *op, exec_context *ctx, error *err);
    op_result (*execute)(physical_op *op, exec_context *ctx, void *local, chunk *in, chunk *out, error *err);
    void (*op_local_destroy)(physical_op *op, void *local);
    /* Optional: called once per thread after the thread's input is exhausted (and the run had no
     * error), before op_local_destroy: the thread hands what it kept over to the global state.
     * Produces no output. An operator that has both execute and get_data (a hash join that
     * spilled) is also the source of a tail pipeline: the executor runs it after every pipeline
     * that has the operator as a streaming operator is done, into the operators downstream of it
     * and the same sink (see executor.h). */
    bool (*op_finish)(physical_op *op, exec_context *ctx, void *local, error *err);
    /* ---- sink side (NULL if not a sink) ---- */
    bool (*sink_init)(physical_op *op, exec_context *ctx, error *err);
    void *(*sink_local_init)(physical_op *op, exec_context *ctx, error *err);
    /* Consumes one input chunk (the chunk is only valid during the call). */
    bool (*sink)(physical_op *op, exec_context *ctx, void *local, chunk *in, error *err);
    /* Merges a thread's local state into the global state (the local is destroyed after). */
    bool (*combine)(physical_op *op, exec_context *ctx, void *local, error *err);
    void (*sink_local_destroy)(physical_op *op, void *local);
    /* After every thread combined. */
    bool (*finalize)(physical_op *op, exec_context *ctx, error *err);
    /* ---- always ---- */
    /* Frees global states, params and every block still held; safe after any failure. */
    void (*destroy)(physical_op *op);
    /* Optional: the share of the source's rows handed out so far, 0..1 (progress bars). */
    double (*progress)(physical_op *op);
    /* Optional: learns which output columns its consumer reads (used[i]; the others may be left
     * unfilled) and prunes its children in turn with physical_prune. Without it, every column
     * of every child counts as used. */
    bool (*prune)(physical_op *op, arena *a, const bool *used, error *err);
    /* Optional: what EXPLAIN shows after the operator's name (the table a scan reads, a join's
     * type), written into out as a string. */
    void (*explain)(const physical_op *op, char *out, size_t size);
} physical_op_vtable;

struct physical_op {
    const physical_op_vtable *vt;
    uint32_t column_count;   /* output columns */
    logical_type *types;     /* output types */
    physical_op *children[2];
    uint32_t child_count;
    void *params;            /* operator-specific, allocated in the query arena */
    void *sink_state;        /* global sink state */
    void *source_state;      /* global source state */
    uint64_t estimated_rows; /* planner's guess, 0 if unknown */
};

/* Allocates an operator node in the query arena with room for the output types. The operator's
 * destroy runs when the arena is destroyed or reset (operators created later are destroyed
 * first), so a plan is released on every path without walking it. */
physical_op *physical_op_create(arena *a, const physical_op_vtable *vt, const logical_type *types,
                                uint32_t column_count, error *err);

/* Tells op which of its output columns are read (used NULL: all), before the plan runs: scans
 * then skip the columns nobody reads and joins stop copying them. An operator that does not fill
 * a column must not be asked for it, so this runs once, from the root, on a complete plan. */
bool physical_prune(physical_op *op, arena *a, const bool *used, error *err);
/* A zero-filled mask of n columns in arena a (NULL + err on failure). */
bool *physical_used_mask(arena *a, uint32_t n, error *err);

#endif
