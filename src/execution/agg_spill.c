/*
 * agg_spill.c — partitions of spilled groups: writing group tables into records, reading records
 * back into group tables (see agg_spill.h for the record format).
 */
#include "execution/agg_spill.h"

#include <string.h>

#include "execution/key_hash.h"

#define RECORD_HEADER 16
/* Rows of a partition gathered before they are written as one record: the lists of all the
 * partitions fill one standard block. */
#define PENDING_ROWS (POOL_BLOCK_SIZE / (AGG_SPILL_PARTITIONS * sizeof(uint8_t *)))

struct agg_spill {
    buffer_pool *pool;
    const group_shape *shape;
    uint32_t fixed_row;     /* bytes of one group in a record, strings and spilled bytes apart */
    uint32_t sections;      /* sections of a record (each may add up to 7 bytes of padding) */
    block_handle *pending_block; /* only while a table is written */
    uint8_t **pending;      /* AGG_SPILL_PARTITIONS x PENDING_ROWS rows waiting to be written */
    uint32_t pending_count[AGG_SPILL_PARTITIONS];
    group_scratch probe;
    vector *keys;           /* one vector per key column, VECTOR_SIZE values each */
    const vector **key_ptrs;
};

static inline uint64_t align8(uint64_t x) { return (x + 7) & ~(uint64_t)7; }

static inline uint32_t partition_of(uint64_t hash, uint32_t level) {
    return (uint32_t)(hash >> (64 - AGG_SPILL_BITS * (level + 1))) & (AGG_SPILL_PARTITIONS - 1);
}

static bool oom(error *err, const char *what) {
    return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate %s", what);
}

/* ---- partitions ------------------------------------------------------------------------------ */

agg_partitions *agg_partitions_create(buffer_pool *pool, uint32_t level, error *err) {
    agg_partitions *p = pool_calloc(pool, 1, sizeof *p);
    if (!p) return oom(err, "aggregate partitions"), NULL;
    p->level = level;
    for (uint32_t i = 0; i < AGG_SPILL_PARTITIONS; i++) block_list_init(&p->parts[i], pool, TAG_HASH_TABLE);
    return p;
}

void agg_partitions_destroy(agg_partitions *p) {
    if (!p) return;
    buffer_pool *pool = p->parts[0].pool;
    for (uint32_t i = 0; i < AGG_SPILL_PARTITIONS; i++) block_list_free(&p->parts[i]);
    pool_free(pool, p);
}

bool agg_partitions_move(agg_partitions *dst, agg_partitions *src, error *err) {
    for (uint32_t i = 0; i < AGG_SPILL_PARTITIONS; i++) {
        if (!block_list_move(&dst->parts[i], &src->parts[i], err)) return false;
        dst->rows[i] += src->rows[i];
        src->rows[i] = 0;
    }
    return true;
}

uint64_t agg_partitions_rows(const agg_partitions *p) {
    uint64_t n = 0;
    for (uint32_t i = 0; i < AGG_SPILL_PARTITIONS; i++) n += p->rows[i];
    return n;
}

/* ---- scratch ------------------------------------------------------------------------------- */

agg_spill *agg_spill_create(buffer_pool *pool, const group_shape *shape, error *err) {
    const row_layout *l = &shape->layout;
    agg_spill *s = pool_calloc(pool, 1, sizeof *s);
    if (!s) return oom(err, "aggregate spill scratch"), NULL;
    s->pool = pool;
    s->shape = shape;
    s->fixed_row = 0;
    s->sections = 0;
    for (uint32_t c = 0; c < l->column_count; c++) {
        bool str = l->types[c].id == TYPE_VARCHAR;
        s->fixed_row += 1 + (str ? (uint32_t)sizeof(uint32_t) : (uint32_t)type_physical_size(l->types[c]));
        s->sections += str ? 3 : 2;
    }
    for (uint32_t f = 0; f < shape->function_count; f++) {
        s->fixed_row += shape->functions[f].state_size;
        s->sections += shape->functions[f].spill_write ? 2 : 1;
    }
    uint32_t cols = l->column_count;
    s->keys = pool_calloc(pool, cols + 1, sizeof(vector) + VECTOR_SIZE * sizeof(string_t));
    s->key_ptrs = pool_calloc(pool, cols + 1, sizeof(vector *));
    if (!s->keys || !s->key_ptrs) {
        if (!error_is_set(err)) oom(err, "aggregate spill scratch");
        agg_spill_destroy(s);
        return NULL;
    }
    uint8_t *data = (uint8_t *)(s->keys + cols + 1);
    for (uint32_t c = 0; c < cols; c++) {
        s->keys[c].type = l->types[c];
        s->keys[c].data = data + (size_t)c * VECTOR_SIZE * sizeof(string_t);
        s->key_ptrs[c] = &s->keys[c];
    }
    return s;
}

void agg_spill_destroy(agg_spill *s) {
    if (!s) return;
    if (s->pending_block) block_free(s->pending_block);
    if (s->keys) pool_free(s->pool, s->keys);
    if (s->key_ptrs) pool_free(s->pool, s->key_ptrs);
    pool_free(s->pool, s);
}

/* ---- writing ---------------------------------------------------------------------------------- */

/* Bytes of a row outside the fixed part: its strings and the bytes its states spill. */
static uint64_t row_variable_bytes(const agg_spill *s, const uint8_t *row) {
    const group_shape *shape = s->shape;
    const row_layout *l = &shape->layout;
    uint64_t n = 0;
    if (l->has_strings)
        for (uint32_t c = 0; c < l->column_count; c++)
            if (l->types[c].id == TYPE_VARCHAR && row_is_valid(l, row, c)) {
                string_t str;
                memcpy(&str, row + l->offsets[c], sizeof str);
                n += str.length;
            }
    for (uint32_t f = 0; f < shape->function_count; f++)
        if (shape->functions[f].spill_size) n += shape->functions[f].spill_size(row + shape->state_offsets[f]);
    return n;
}

/* How many of rows[0..n) fit in a record of at most room bytes; *bytes gets an upper bound of
 * that record's size. */
static uint32_t rows_that_fit(const agg_spill *s, uint8_t *const *rows, uint32_t n, uint64_t room, uint64_t *bytes) {
    uint64_t total = RECORD_HEADER + 8 * (uint64_t)s->sections;
    uint32_t m = 0;
    for (; m < n; m++) {
        uint64_t next = total + s->fixed_row + row_variable_bytes(s, rows[m]);
        if (next > room) break;
        total = next;
    }
    *bytes = total;
    return m;
}

/* Copies the `size` bytes at offset off of rows[k] (k < m) to out, one after another; the usual
 * sizes with constant-size copies. */
static void copy_fields(uint8_t *out, uint8_t *const *rows, uint32_t off, uint32_t size, uint32_t m) {
    switch (size) {
    case 8:
        for (uint32_t k = 0; k < m; k++) memcpy(out + (size_t)k * 8, rows[k] + off, 8);
        break;
    case 16:
        for (uint32_t k = 0; k < m; k++) memcpy(out + (size_t)k * 16, rows[k] + off, 16);
        break;
    default:
        for (uint32_t k = 0; k < m; k++) memcpy(out + (size_t)k * size, rows[k] + off, size);
    }
}

static uint64_t write_key_column(const row_layout *l, uint32_t c, uint8_t *const *rows, uint32_t m, uint8_t *out) {
    uint64_t off = 0;
    uint32_t voff = l->validity_offset + c, coff = l->offsets[c];
    for (uint32_t k = 0; k < m; k++) out[k] = rows[k][voff];
    off = align8(m);
    if (l->types[c].id != TYPE_VARCHAR) {
        size_t size = type_physical_size(l->types[c]);
        copy_fields(out + off, rows, coff, (uint32_t)size, m);
        return off + align8(m * size);
    }
    uint8_t *lengths = out + off, *bytes = out + off + align8((uint64_t)m * sizeof(uint32_t));
    uint64_t used = 0;
    for (uint32_t k = 0; k < m; k++) {
        string_t str;
        memcpy(&str, rows[k] + coff, sizeof str);
        uint32_t len = rows[k][voff] ? str.length : 0;
        memcpy(lengths + k * sizeof(uint32_t), &len, sizeof len);
        if (len) memcpy(bytes + used, string_data(&str), len);
        used += len;
    }
    return (uint64_t)(bytes - out) + align8(used);
}

static uint64_t write_states(const aggregate_function *fn, uint32_t state_offset, uint8_t *const *rows, uint32_t m,
                             uint8_t *out) {
    uint32_t size = fn->state_size;
    copy_fields(out, rows, state_offset, size, m);
    uint64_t off = (uint64_t)m * size;
    if (!fn->spill_write) return off;
    uint64_t used = 0;
    for (uint32_t k = 0; k < m; k++) {
        void *copy = out + (size_t)k * size;
        uint32_t extra = fn->spill_size(copy);
        fn->spill_write(copy, out + off + used);
        used += extra;
    }
    return off + align8(used);
}

/* Writes rows[0..m) as one record at out; returns its size. */
static uint64_t write_record(const agg_spill *s, uint8_t *const *rows, uint32_t m, uint8_t *out) {
    const group_shape *shape = s->shape;
    const row_layout *l = &shape->layout;
    uint64_t off = RECORD_HEADER;
    memset(out, 0, RECORD_HEADER);
    for (uint32_t c = 0; c < l->column_count; c++) off += write_key_column(l, c, rows, m, out + off);
    for (uint32_t f = 0; f < shape->function_count; f++)
        off += write_states(&shape->functions[f], shape->state_offsets[f], rows, m, out + off);
    uint32_t rows32 = m, bytes32 = (uint32_t)off;
    memcpy(out, &rows32, sizeof rows32);
    memcpy(out + 4, &bytes32, sizeof bytes32);
    return off;
}

/* Appends rows[0..n) to partition `part` as records, each in its last block when the
 * record fits there and that block is still in memory, else in a new standard block (larger only
 * for a record that needs it). A last block that has gone to a temp file is not read back to add
 * a little. Standard blocks come from and go back to the pool's free-block cache: partitions do not
 * map and unmap memory of odd sizes, which costs more than their unused tails. */
static bool write_rows(agg_spill *s, block_list *part, uint8_t *const *rows, uint32_t n, error *err) {
    while (n > 0) {
        block_entry *e = part->count ? &part->entries[part->count - 1] : NULL;
        uint8_t *data = e ? block_pin_resident(e->handle) : NULL;
        uint64_t bytes = 0;
        uint32_t m = data ? rows_that_fit(s, rows, n, block_size(e->handle) - e->used, &bytes) : 0;
        if (m == 0) {
            if (data) block_unpin(e->handle);
            rows_that_fit(s, rows, 1, UINT64_MAX, &bytes);
            if (!(e = block_list_add(part, bytes > POOL_BLOCK_SIZE ? (size_t)bytes : POOL_BLOCK_SIZE, err))) return false;
            data = e->data;
            m = rows_that_fit(s, rows, n, block_size(e->handle), &bytes);
        }
        e->used += write_record(s, rows, m, data + e->used);
        block_unpin(e->handle);
        e->data = NULL;
        rows += m;
        n -= m;
    }
    return true;
}

static bool flush_pending(agg_spill *s, agg_partitions *parts, uint32_t p, error *err) {
    uint32_t n = s->pending_count[p];
    s->pending_count[p] = 0;
    if (!n) return true;
    parts->rows[p] += n;
    return write_rows(s, &parts->parts[p], s->pending + (size_t)p * PENDING_ROWS, n, err);
}

static bool write_table(agg_spill *s, group_table *t, agg_partitions *parts, error *err) {
    uint32_t width = t->shape->layout.width;
    memset(s->pending_count, 0, sizeof s->pending_count);
    for (uint32_t b = 0; b < t->rows.blocks.count; b++) {
        block_entry *e = &t->rows.blocks.entries[b];
        for (uint64_t r = 0; r < e->used; r++) {
            uint8_t *row = e->data + r * width;
            uint64_t hash;
            memcpy(&hash, row, sizeof hash);
            uint32_t p = partition_of(hash, parts->level);
            s->pending[(size_t)p * PENDING_ROWS + s->pending_count[p]++] = row;
            if (s->pending_count[p] == PENDING_ROWS && !flush_pending(s, parts, p, err)) return false;
        }
    }
    for (uint32_t p = 0; p < AGG_SPILL_PARTITIONS; p++)
        if (!flush_pending(s, parts, p, err)) return false;
    return true;
}

/* The row lists (one standard block) are taken only while writing, so an idle scratch stays
 * small: a thread may hold one per DISTINCT aggregate. */
bool agg_spill_write_table(agg_spill *s, group_table *t, agg_partitions *parts, error *err) {
    if (t->count == 0) return true;
    s->pending_block = block_alloc(s->pool, TAG_HASH_TABLE, BLOCK_TEMPORARY,
                                   (size_t)AGG_SPILL_PARTITIONS * PENDING_ROWS * sizeof(uint8_t *), err);
    if (!s->pending_block) return false;
    s->pending = block_data(s->pending_block);
    bool ok = write_table(s, t, parts, err);
    block_free(s->pending_block);
    s->pending_block = NULL;
    s->pending = NULL;
    return ok;
}

/* ---- reading ------------------------------------------------------------------------------------ */

static uint64_t read_key_column(agg_spill *s, uint32_t c, const uint8_t *in, uint32_t m) {
    const row_layout *l = &s->shape->layout;
    vector *v = &s->keys[c];
    for (uint32_t k = 0; k < m; k++) vector_set_validity(v, k, in[k] != 0);
    uint64_t off = align8(m);
    if (l->types[c].id != TYPE_VARCHAR) {
        size_t size = type_physical_size(l->types[c]);
        memcpy(v->data, in + off, m * size);
        return off + align8(m * size);
    }
    const uint8_t *lengths = in + off, *bytes = in + off + align8((uint64_t)m * sizeof(uint32_t));
    string_t *out = v->data;
    uint64_t used = 0;
    for (uint32_t k = 0; k < m; k++) {
        uint32_t len;
        memcpy(&len, lengths + k * sizeof(uint32_t), sizeof len);
        out[k] = string_make((const char *)bytes + used, len);
        used += len;
    }
    return (uint64_t)(bytes - in) + align8(used);
}

/* Combines the states of one function from a record into the groups found for its rows. */
static bool read_states(agg_spill *s, uint32_t f, uint8_t *in, uint32_t m, aggregate_context *actx, uint64_t *size) {
    const aggregate_function *fn = &s->shape->functions[f];
    uint32_t off = s->shape->state_offsets[f], ss = fn->state_size;
    uint8_t *extra = in + (size_t)m * ss;
    uint64_t used = 0;
    for (uint32_t k = 0; k < m; k++) {
        void *copy = in + (size_t)k * ss;
        if (fn->spill_read) {
            fn->spill_read(copy, extra + used);
            used += fn->spill_size(copy);
        }
        if (!fn->combine(s->probe.groups[k] + off, copy, actx)) {
            if (!error_is_set(actx->err)) error_set(actx->err, EIDER_ERROR_INTERNAL, "aggregate %s failed", fn->name);
            return false;
        }
    }
    *size = (uint64_t)m * ss + (fn->spill_read ? align8(used) : 0);
    return true;
}

/* Finds or creates the groups of one record in t and merges their states; returns its size. */
static bool read_record(agg_spill *s, uint8_t *in, group_table *t, aggregate_context *actx, uint64_t *size) {
    uint32_t m, bytes;
    memcpy(&m, in, sizeof m);
    memcpy(&bytes, in + 4, sizeof bytes);
    uint64_t off = RECORD_HEADER;
    const row_layout *l = &s->shape->layout;
    for (uint32_t c = 0; c < l->column_count; c++) off += read_key_column(s, c, in + off, m);
    /* the groups' hashes are those of their keys: computed again rather than stored */
    key_hash_vectors(s->key_ptrs, l->column_count, m, s->probe.hashes);
    if (!group_table_find_or_create(t, s->key_ptrs, m, &s->probe, actx->err)) return false;
    for (uint32_t f = 0; f < s->shape->function_count; f++) {
        uint64_t n;
        if (!read_states(s, f, in + off, m, actx, &n)) return false;
        off += n;
    }
    *size = bytes;
    return true;
}

static uint32_t record_rows(const uint8_t *in) {
    uint32_t m;
    memcpy(&m, in, sizeof m);
    return m;
}

/* Writes t into *sub (creating it) and empties t and strings. */
static bool spill_to_sub(agg_spill *s, group_table *t, arena *strings, uint32_t level, agg_partitions **sub,
                         error *err) {
    if (!*sub && !(*sub = agg_partitions_create(s->pool, level + 1, err))) return false;
    if (!agg_spill_write_table(s, t, *sub, err)) return false;
    group_table_reset(t); /* keeps the directory: the table fills up to the same size again */
    arena_reset(strings);
    return true;
}

/* Reads the records of one pinned block into t, splitting into *sub when t outgrows budget. */
static bool read_block(agg_spill *s, uint8_t *data, uint64_t used, uint32_t level, group_table *t, arena *strings,
                       uint64_t budget, agg_partitions **sub, error *err) {
    aggregate_context actx = {strings, err};
    bool may_split = level < AGG_SPILL_MAX_LEVEL;
    for (uint64_t pos = 0; pos < used;) {
        uint32_t m = record_rows(data + pos);
        if (may_split && t->count > 0 && group_table_bytes_after(t, m) + arena_bytes(strings) > budget &&
            !spill_to_sub(s, t, strings, level, sub, err))
            return false;
        uint64_t size;
        if (!read_record(s, data + pos, t, &actx, &size)) return false;
        pos += size;
    }
    return true;
}

bool agg_spill_read_partition(agg_spill *s, block_list *part, uint32_t level, group_table *t, arena *strings,
                              uint64_t budget, agg_partitions **sub, error *err) {
    *sub = NULL;
    for (uint32_t b = 0; b < part->count; b++) {
        block_entry *e = &part->entries[b];
        uint8_t *data = block_pin(e->handle, err);
        if (!data) return false;
        bool ok = read_block(s, data, e->used, level, t, strings, budget, sub, err);
        block_free(e->handle);
        e->handle = NULL;
        if (!ok) return false;
    }
    block_list_free(part);
    if (*sub) return spill_to_sub(s, t, strings, level, sub, err);
    return true;
}
