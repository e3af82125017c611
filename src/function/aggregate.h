/*
 * aggregate.h — aggregate functions: count, sum, min, max, avg (and count(*)).
 *
 * An aggregate keeps a fixed-size state per group. The hash aggregate operator stores states in
 * its pool blocks and calls update with one state pointer per input row; combine merges a
 * thread-local state into another (parallel finalize); finalize writes the result value.
 * DISTINCT is not the function's business: the hash aggregate deduplicates (group, argument)
 * pairs before calling update.
 * States must be position-independent (no pointers), except min/max over VARCHAR, whose state
 * points into string memory the operator owns (aggregate_context.strings) for the query's life;
 * such functions provide spill_size/spill_write/spill_read so the states can still be spilled.
 */
#ifndef EIDER_AGGREGATE_H
#define EIDER_AGGREGATE_H

#include "common/vector.h"

typedef struct aggregate_context {
    arena *strings; /* where min/max(VARCHAR) copy the strings they keep */
    error *err;
} aggregate_context;

typedef struct aggregate_function {
    const char *name;      /* "count_star", "count", "sum", ... */
    logical_type arg_type; /* the binder casts the argument to this (unused for count_star) */
    logical_type result_type;
    uint32_t state_size;   /* bytes, a multiple of 8 */
    void (*init)(void *state);
    /* states[i] is the state of input row i; input is NULL for count_star. */
    bool (*update)(void **states, const vector *input, uint32_t count, aggregate_context *ctx);
    /* Optional: every row goes into the one state (aggregates without GROUP BY): a tight loop. */
    bool (*simple_update)(void *state, const vector *input, uint32_t count, aggregate_context *ctx);
    /* Merges source into target (both of this function). */
    bool (*combine)(void *target, const void *source, aggregate_context *ctx);
    /* Writes the result of state into row `row` of out (sets NULL where the result is NULL;
     * result strings go into heap_owner's heap). */
    bool (*finalize)(const void *state, vector *out, uint32_t row, chunk *heap_owner, aggregate_context *ctx);
    /* Optional, for states that point outside themselves (min/max/any_value over VARCHAR keep
     * long strings in ctx->strings); NULL: the state's bytes are position independent. A spilled
     * state is a copy of its state_size bytes plus spill_size(copy) bytes stored elsewhere:
     * spill_write copies those bytes to out and makes the copy position independent; spill_read
     * points a copy back at them, after which it is a valid combine source while they stay put. */
    uint32_t (*spill_size)(const void *state);
    void (*spill_write)(void *copy, uint8_t *out);
    void (*spill_read)(void *copy, const uint8_t *in);
} aggregate_function;

/* Resolves an aggregate by name and argument type; nargs is 0 only for count(*) (name "count"
 * with no argument, or "count_star"). sum(INTEGER/BIGINT) -> HUGEINT in DuckDB; here
 * sum of integers returns BIGINT (state may be __int128; finalize gives "Out of Range Error" if the sum does not fit), sum(DECIMAL)
 * -> DECIMAL(18,s), sum(DOUBLE) -> DOUBLE, avg -> DOUBLE (DECIMAL avg -> DOUBLE). */
bool aggregate_function_bind(const char *name, const logical_type *arg_types, uint32_t nargs,
                             aggregate_function *out, error *err);
bool aggregate_function_exists(const char *name);

#endif
