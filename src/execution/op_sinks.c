/* Sinks at the root of a plan: the result collector and INSERT. */
#include <pthread.h>

#include "execution/operators.h"
#include "main/result.h"

/* ---- result collector ------------------------------------------------------------------- */

typedef struct collector_params {
    eider_result *result;
    pthread_mutex_t lock;
} collector_params;

static bool collector_sink(physical_op *op, exec_context *ctx, void *local, chunk *in, error *err) {
    (void)ctx, (void)local;
    collector_params *p = op->params;
    pthread_mutex_lock(&p->lock);
    bool ok = result_append(p->result, in, err);
    pthread_mutex_unlock(&p->lock);
    return ok;
}

static void collector_destroy(physical_op *op) {
    collector_params *p = op->params;
    if (p) pthread_mutex_destroy(&p->lock);
}

static const physical_op_vtable collector_vtable = {
    .name = "RESULT_COLLECTOR",
    .flags = OP_KEEPS_ORDER,
    .sink = collector_sink,
    .destroy = collector_destroy,
};

physical_op *result_collector_create(arena *a, physical_op *child, eider_result *result, error *err) {
    physical_op *op = physical_op_create(a, &collector_vtable, child->types, child->column_count, err);
    collector_params *p = op ? arena_alloc(a, sizeof *p, err) : NULL;
    if (!p) return NULL;
    p->result = result;
    pthread_mutex_init(&p->lock, NULL);
    op->params = p;
    op->children[0] = child;
    op->child_count = 1;
    return op;
}

/* ---- insert ------------------------------------------------------------------------------ */

/* The append lock is held from sink_init until finalize publishes the new row count, or until
 * destroy rolls the appended rows back after a failure. */
typedef struct insert_params {
    table_entry *table;
    pthread_mutex_t sink_lock; /* threads of the pipeline append one at a time */
    uint64_t *rows_out;
    uint64_t start_rows;
    bool locked;
    bool committed;
} insert_params;

static bool insert_sink_init(physical_op *op, exec_context *ctx, error *err) {
    (void)ctx, (void)err;
    insert_params *p = op->params;
    pthread_mutex_lock(&p->table->append_lock);
    p->locked = true;
    p->start_rows = column_store_row_count(p->table->store);
    return true;
}

static bool insert_sink(physical_op *op, exec_context *ctx, void *local, chunk *in, error *err) {
    (void)ctx, (void)local;
    insert_params *p = op->params;
    table_entry *t = p->table;
    for (uint32_t c = 0; c < t->column_count; c++) {
        if (!t->columns[c].not_null || vector_all_valid(&in->columns[c], in->count)) continue;
        return error_set(err, EIDER_ERROR_CONSTRAINT, "NOT NULL constraint failed: %s.%s", t->name,
                         t->columns[c].name);
    }
    pthread_mutex_lock(&p->sink_lock);
    bool ok = column_store_append(t->store, in, err);
    pthread_mutex_unlock(&p->sink_lock);
    return ok;
}

static bool insert_finalize(physical_op *op, exec_context *ctx, error *err) {
    (void)ctx, (void)err;
    insert_params *p = op->params;
    uint64_t rows = column_store_row_count(p->table->store);
    atomic_store(&p->table->committed_rows, rows);
    *p->rows_out = rows - p->start_rows;
    p->committed = true;
    pthread_mutex_unlock(&p->table->append_lock);
    p->locked = false;
    return true;
}

static void insert_destroy(physical_op *op) {
    insert_params *p = op->params;
    if (!p || !p->table) return;
    if (p->locked) {
        if (!p->committed) column_store_truncate(p->table->store, p->start_rows);
        pthread_mutex_unlock(&p->table->append_lock);
        p->locked = false;
    }
    table_entry_unref(p->table);
    p->table = NULL;
    pthread_mutex_destroy(&p->sink_lock);
}

static const physical_op_vtable insert_vtable = {
    .name = "INSERT",
    .flags = OP_KEEPS_ORDER,
    .sink_init = insert_sink_init,
    .sink = insert_sink,
    .finalize = insert_finalize,
    .destroy = insert_destroy,
};

physical_op *insert_create(arena *a, physical_op *child, table_entry *t, uint64_t *rows_out, error *err) {
    physical_op *op = physical_op_create(a, &insert_vtable, NULL, 0, err);
    insert_params *p = op ? arena_alloc(a, sizeof *p, err) : NULL;
    if (!p) return NULL;
    table_entry_ref(t);
    p->table = t;
    pthread_mutex_init(&p->sink_lock, NULL);
    p->rows_out = rows_out;
    *rows_out = 0;
    op->params = p;
    op->children[0] = child;
    op->child_count = 1;
    return op;
}
