#include "execution/executor.h"

#include <pthread.h>
#include <string.h>

#include "execution/scheduler.h"

const physical_op_vtable union_all_vtable = {.name = "UNION_ALL"};

#define MAX_PIPELINES 256
#define MAX_PIPELINE_OPS 64

typedef struct pipeline {
    physical_op *source;
    physical_op *ops[MAX_PIPELINE_OPS]; /* streaming operators, in the order data flows */
    uint32_t op_count;
    physical_op *sink;
    bool done;
} pipeline;

typedef struct sink_info {
    physical_op *op;
    uint32_t pending;   /* pipelines still to run into this sink */
    bool initialized;
    bool finalized;
    bool source_initialized;
} sink_info;

typedef struct plan_pipelines {
    pipeline *pipes[MAX_PIPELINES];
    uint32_t count;
    sink_info sinks[MAX_PIPELINES];
    uint32_t sink_count;
    arena *arena;
} plan_pipelines;

static bool is_sink(const physical_op *op) { return op->vt->sink != NULL; }
static bool is_source(const physical_op *op) { return op->vt->get_data != NULL; }
static bool is_streaming(const physical_op *op) { return op->vt->execute != NULL; }

static sink_info *find_sink(plan_pipelines *pp, physical_op *op) {
    for (uint32_t i = 0; i < pp->sink_count; i++)
        if (pp->sinks[i].op == op) return &pp->sinks[i];
    return NULL;
}

static pipeline *new_pipeline(plan_pipelines *pp, physical_op *sink, error *err) {
    if (pp->count == MAX_PIPELINES || pp->sink_count == MAX_PIPELINES) {
        error_set(err, EIDER_ERROR_NOT_IMPLEMENTED, "query too complex: more than %d pipelines", MAX_PIPELINES);
        return NULL;
    }
    pipeline *p = arena_alloc(pp->arena, sizeof *p, err);
    if (!p) return NULL;
    p->sink = sink;
    pp->pipes[pp->count++] = p;
    sink_info *si = find_sink(pp, sink);
    if (!si) {
        si = &pp->sinks[pp->sink_count++];
        memset(si, 0, sizeof *si);
        si->op = sink;
    }
    si->pending++;
    return p;
}

static bool prepend_op(pipeline *p, physical_op *op, error *err) {
    if (p->op_count == MAX_PIPELINE_OPS)
        return error_set(err, EIDER_ERROR_NOT_IMPLEMENTED, "query too complex: pipeline too long");
    memmove(p->ops + 1, p->ops, sizeof(p->ops[0]) * p->op_count);
    p->ops[0] = op;
    p->op_count++;
    return true;
}

static bool build(plan_pipelines *pp, physical_op *op, pipeline *current, error *err) {
    if (op->vt == &union_all_vtable) {
        pipeline *fork = new_pipeline(pp, current->sink, err);
        if (!fork) return false;
        memcpy(fork->ops, current->ops, sizeof(current->ops[0]) * current->op_count);
        fork->op_count = current->op_count;
        return build(pp, op->children[1], fork, err) && build(pp, op->children[0], current, err);
    }
    if (is_streaming(op)) {
        if (is_source(op)) { /* the tail: the operator emits into what is downstream of it */
            pipeline *tail = new_pipeline(pp, current->sink, err);
            if (!tail) return false;
            memcpy(tail->ops, current->ops, sizeof(current->ops[0]) * current->op_count);
            tail->op_count = current->op_count;
            tail->source = op;
        }
        if (!prepend_op(current, op, err)) return false;
        if (is_sink(op)) { /* join-like: children[1] is sunk first */
            pipeline *b = new_pipeline(pp, op, err);
            if (!b || !build(pp, op->children[1], b, err)) return false;
        }
        return build(pp, op->children[0], current, err);
    }
    if (is_source(op)) {
        current->source = op;
        if (is_sink(op)) {
            pipeline *child = new_pipeline(pp, op, err);
            if (!child || !build(pp, op->children[0], child, err)) return false;
        }
        return true;
    }
    return error_set(err, EIDER_ERROR_INTERNAL, "operator %s cannot be placed in a pipeline", op->vt->name);
}

/* A pipeline may run once every sink it reads from is finalized; a tail pipeline (its source is a
 * streaming operator) once every pipeline streaming through that operator is done. */
static bool ready(plan_pipelines *pp, pipeline *p) {
    if (is_streaming(p->source))
        for (uint32_t i = 0; i < pp->count; i++) {
            pipeline *q = pp->pipes[i];
            if (q == p || q->done) continue;
            for (uint32_t j = 0; j < q->op_count; j++)
                if (q->ops[j] == p->source) return false;
        }
    if (is_sink(p->source)) {
        sink_info *si = find_sink(pp, p->source);
        if (si && !si->finalized) return false;
    }
    for (uint32_t i = 0; i < p->op_count; i++) {
        if (!is_sink(p->ops[i])) continue;
        sink_info *si = find_sink(pp, p->ops[i]);
        if (si && !si->finalized) return false;
    }
    return true;
}

typedef struct run_state {
    exec_context *ctx;
    double progress_base, progress_span; /* this pipeline's share of the whole query */
    pipeline *p;
    void *op_locals[MAX_PIPELINE_OPS];
    chunk *op_out[MAX_PIPELINE_OPS];
    void *sink_local;
    bool finished;      /* an operator said no more output will come */
    atomic_bool *stop;  /* another thread of the pipeline failed */
} run_state;

static bool check_interrupt(const run_state *rs, error *err) {
    exec_context *ctx = rs->ctx;
    if (ctx->interrupted && atomic_load(ctx->interrupted))
        return error_set(err, EIDER_ERROR_INTERRUPTED, "Interrupted!");
    if (rs->stop && atomic_load(rs->stop)) return error_set(err, EIDER_ERROR_INTERRUPTED, "stopped");
    return true;
}

static bool push(run_state *rs, chunk *in, uint32_t idx, error *err) {
    pipeline *p = rs->p;
    if (idx == p->op_count) {
        if (in->count == 0) return true;
        return p->sink->vt->sink(p->sink, rs->ctx, rs->sink_local, in, err);
    }
    physical_op *op = p->ops[idx];
    chunk *out = rs->op_out[idx];
    for (;;) {
        chunk_reset(out);
        op_result r = op->vt->execute(op, rs->ctx, rs->op_locals[idx], in, out, err);
        if (r == OP_ERROR) return false;
        if (out->count > 0 && !push(rs, out, idx + 1, err)) return false;
        if (rs->finished) return true;
        if (r == OP_FINISHED) {
            rs->finished = true;
            return true;
        }
        if (r == OP_NEED_MORE_INPUT) return true;
        if (!check_interrupt(rs, err)) return false;
    }
}

/* One thread's run of a pipeline: its local states, the chunk loop, and the combine. */
static void report_progress(const run_state *rs) {
    physical_op *src = rs->p->source;
    if (!rs->ctx->progress || !src->vt->progress) return;
    double f = src->vt->progress(src);
    if (f < 0) return;
    if (f > 1) f = 1;
    atomic_store(rs->ctx->progress, (int)(1000 * (rs->progress_base + rs->progress_span * f)));
}

static bool run_locals(pipeline *p, exec_context *ctx, double base, double span, atomic_bool *stop, error *err) {
    run_state rs;
    memset(&rs, 0, sizeof rs);
    rs.ctx = ctx;
    rs.p = p;
    rs.stop = stop;
    rs.progress_base = base;
    rs.progress_span = span;
    uint32_t chunks = 0;
    bool ok = true;
    void *source_local = NULL;
    chunk *source_chunk = NULL;
    if (p->source->vt->source_local_init) {
        source_local = p->source->vt->source_local_init(p->source, ctx, err);
        if (error_is_set(err)) ok = false;
    }
    if (ok) ok = (source_chunk = chunk_create(ctx->arena, p->source->types, p->source->column_count, err)) != NULL;
    for (uint32_t i = 0; ok && i < p->op_count; i++) {
        physical_op *op = p->ops[i];
        if (op->vt->op_local_init) {
            rs.op_locals[i] = op->vt->op_local_init(op, ctx, err);
            if (error_is_set(err)) ok = false;
        }
        if (ok) ok = (rs.op_out[i] = chunk_create(ctx->arena, op->types, op->column_count, err)) != NULL;
    }
    if (ok && p->sink->vt->sink_local_init) {
        rs.sink_local = p->sink->vt->sink_local_init(p->sink, ctx, err);
        if (error_is_set(err)) ok = false;
    }
    while (ok && !rs.finished) {
        ok = check_interrupt(&rs, err);
        if (!ok) break;
        chunk_reset(source_chunk);
        ok = p->source->vt->get_data(p->source, ctx, source_local, source_chunk, err);
        if (!ok || source_chunk->count == 0) break;
        ok = push(&rs, source_chunk, 0, err);
        if ((++chunks & 63) == 0) report_progress(&rs);
    }
    for (uint32_t i = 0; ok && i < p->op_count; i++)
        if (p->ops[i]->vt->op_finish) ok = p->ops[i]->vt->op_finish(p->ops[i], ctx, rs.op_locals[i], err);
    if (ok && p->sink->vt->combine) ok = p->sink->vt->combine(p->sink, ctx, rs.sink_local, err);
    /* local states and chunks go away on every path */
    if (rs.sink_local && p->sink->vt->sink_local_destroy) p->sink->vt->sink_local_destroy(p->sink, rs.sink_local);
    for (uint32_t i = 0; i < p->op_count; i++) {
        if (rs.op_locals[i] && p->ops[i]->vt->op_local_destroy) p->ops[i]->vt->op_local_destroy(p->ops[i], rs.op_locals[i]);
        if (rs.op_out[i]) chunk_destroy(rs.op_out[i]);
    }
    if (source_local && p->source->vt->source_local_destroy) p->source->vt->source_local_destroy(p->source, source_local);
    if (source_chunk) chunk_destroy(source_chunk);
    return ok;
}

/* What the threads of one pipeline share. */
typedef struct pipeline_job {
    pipeline *p;
    exec_context *ctx;
    double progress_base, progress_span;
    atomic_bool stop;
    pthread_mutex_t lock;
    error err; /* the first failure */
} pipeline_job;

static void pipeline_thread(void *arg, uint32_t index) {
    (void)index;
    pipeline_job *job = arg;
    exec_context local = *job->ctx;
    error err;
    error_clear(&err);
    /* each thread allocates its local states from an arena of its own */
    pool_worker_enter(job->ctx->pool);
    local.arena = arena_create(job->ctx->pool, TAG_ALLOCATOR);
    bool ok = local.arena ? run_locals(job->p, &local, job->progress_base, job->progress_span, &job->stop, &err)
                          : error_set(&err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate a thread's arena");
    arena_destroy(local.arena);
    pool_worker_leave(job->ctx->pool);
    if (ok) return;
    atomic_store(&job->stop, true);
    pthread_mutex_lock(&job->lock);
    /* a thread stopped because another failed does not hide the real error */
    if (!error_is_set(&job->err) || (job->err.type == EIDER_ERROR_INTERRUPTED && err.type != EIDER_ERROR_INTERRUPTED))
        job->err = err;
    pthread_mutex_unlock(&job->lock);
}

/* Threads for a pipeline. Sorted output is read by one thread; rows that go to a result or a
 * table in scan order keep it, and a LIMIT over them takes the first rows in that order
 * (insertion order is preserved, as in DuckDB); small sources are not worth splitting. */
static uint32_t pipeline_threads(const pipeline *p, const exec_context *ctx) {
    uint32_t n = ctx->threads ? ctx->threads : 1;
    if (p->source->vt->flags & OP_SORTED_SOURCE) return 1;
    if ((p->source->vt->flags & OP_ORDERED_SOURCE) && (p->sink->vt->flags & OP_KEEPS_ORDER)) return 1;
    if (p->source->vt->flags & OP_ORDERED_SOURCE)
        for (uint32_t i = 0; i < p->op_count; i++)
            if (p->ops[i]->vt->flags & OP_TAKES_FIRST_ROWS) return 1;
    uint64_t rows = p->source->estimated_rows;
    if (rows && rows <= 2 * VECTOR_SIZE) return 1;
    return n;
}

static bool run_pipeline(plan_pipelines *pp, pipeline *p, uint32_t done, exec_context *ctx, error *err) {
    sink_info *si = find_sink(pp, p->sink);
    if (!si->initialized) {
        if (p->sink->vt->sink_init && !p->sink->vt->sink_init(p->sink, ctx, err)) return false;
        si->initialized = true;
    }
    sink_info *src_info = is_sink(p->source) ? find_sink(pp, p->source) : NULL;
    bool src_initialized = src_info ? src_info->source_initialized : false;
    if (!src_initialized) {
        if (p->source->vt->source_init && !p->source->vt->source_init(p->source, ctx, err)) return false;
        if (src_info) src_info->source_initialized = true;
    }
    pipeline_job job = {.p = p, .ctx = ctx, .progress_base = (double)done / pp->count, .progress_span = 1.0 / pp->count};
    atomic_init(&job.stop, false);
    pthread_mutex_init(&job.lock, NULL);
    error_clear(&job.err);
    scheduler_run(ctx->scheduler, pipeline_threads(p, ctx), pipeline_thread, &job);
    pthread_mutex_destroy(&job.lock);
    if (error_is_set(&job.err)) {
        *err = job.err;
        return false;
    }
    p->done = true;
    if (--si->pending == 0) {
        if (p->sink->vt->finalize && !p->sink->vt->finalize(p->sink, ctx, err)) return false;
        si->finalized = true;
    }
    return true;
}

static bool run_plan_pipelines(exec_context *ctx, physical_op *root, error *err) {
    if (!is_sink(root)) return error_set(err, EIDER_ERROR_INTERNAL, "plan root %s is not a sink", root->vt->name);
    if (!physical_prune(root, ctx->arena, NULL, err)) return false;
    plan_pipelines pp;
    memset(&pp, 0, sizeof pp);
    pp.arena = ctx->arena;
    pipeline *top = new_pipeline(&pp, root, err);
    if (!top || !build(&pp, root->children[0], top, err)) return false;
    /* pipelines created later are dependencies of earlier ones: scan from the end */
    for (uint32_t remaining = pp.count; remaining > 0;) {
        bool progressed = false;
        for (uint32_t i = pp.count; i-- > 0;) {
            pipeline *p = pp.pipes[i];
            if (p->done || !ready(&pp, p)) continue;
            if (!run_pipeline(&pp, p, pp.count - remaining, ctx, err)) return false;
            remaining--;
            progressed = true;
            break;
        }
        if (!progressed) return error_set(err, EIDER_ERROR_INTERNAL, "pipelines have a dependency cycle");
    }
    return true;
}

bool executor_run(exec_context *ctx, physical_op *root, error *err) {
    uint64_t most = pool_memory_limit(ctx->pool) / EXECUTOR_MEMORY_PER_THREAD;
    if (ctx->threads > most) ctx->threads = most ? (uint32_t)most : 1;
    pool_query_begin(ctx->pool);
    bool ok = run_plan_pipelines(ctx, root, err);
    pool_query_end(ctx->pool);
    return ok;
}
