/* csv_write.c — the COPY ... TO sink: writes rows as RFC 4180 CSV.
 *
 * The file is written under a temporary name (<path>.tmp-<random>) created at sink_init and
 * renamed to <path> at finalize; destroy without finalize (a failed query) removes it, so a
 * failed COPY leaves no file. Each thread formats rows into its own CSV_READER block and writes
 * whole rows under the global mutex when the block fills and at combine, so rows never interleave
 * but the order of rows from different threads is arbitrary (a single-threaded pipeline, as the
 * executor runs COPY of an ordered query, keeps its order). Gzip output (.gz or
 * compression='gzip') goes through zlib's gzwrite.
 *
 * Quoting follows DuckDB: a value is quoted when it contains the delimiter, the quote, the escape,
 * CR or LF, when it is an empty string (so it differs from NULL, written as nothing or nullstr),
 * or always with force_quote; quotes inside are doubled (or preceded by the escape character). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "common/datetime.h"
#include "common/numeric.h"
#include "function/csv_internal.h"

const char csv_write_module[] = "csv_write";
static const char *const csv_link_reader __attribute__((used)) = csv_scan_module;

typedef struct csv_write_params {
    char *path;
    char *tmp_path;
    csv_options opts;
    const char **names;
    uint32_t ncols;
    bool gzip;
    buffer_pool *pool;
    uint64_t *rows_out;
    /* global state */
    int fd;
    gzFile gz;
    bool open;
    bool finalized;
    pthread_mutex_t lock;
    bool lock_init;
    atomic_uint_fast64_t rows;
    uint64_t special[5]; /* bytes that force a field into quotes, each repeated in all 8 lanes */
    uint32_t special_count;
} csv_write_params;

typedef struct csv_write_local {
    csv_buffer buf;
    size_t len;
    uint64_t rows;
} csv_write_local;

static bool write_out(csv_write_params *p, const char *data, size_t n, error *err) {
    if (p->gz) {
        while (n > 0) {
            unsigned part = n > (1u << 30) ? (1u << 30) : (unsigned)n;
            int w = gzwrite(p->gz, data, part);
            if (w <= 0) return error_set(err, EIDER_ERROR_IO, "could not write %s: gzip write failed", p->path);
            data += w;
            n -= (size_t)w;
        }
        return true;
    }
    while (n > 0) {
        ssize_t w = write(p->fd, data, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return error_set(err, EIDER_ERROR_IO, "could not write %s: %s", p->path, strerror(errno));
        }
        data += w;
        n -= (size_t)w;
    }
    return true;
}

static bool flush_locked(csv_write_params *p, const char *data, size_t n, error *err) {
    if (n == 0) return true;
    pthread_mutex_lock(&p->lock);
    bool ok = write_out(p, data, n, err);
    pthread_mutex_unlock(&p->lock);
    return ok;
}

/* Makes room for `need` more bytes; complete rows before row_start may be written out. */
static bool reserve(csv_write_params *p, csv_write_local *l, size_t *row_start, size_t need, error *err) {
    if (l->len + need <= l->buf.cap) return true;
    if (*row_start > 0) {
        if (!flush_locked(p, l->buf.data, *row_start, err)) return false;
        memmove(l->buf.data, l->buf.data + *row_start, l->len - *row_start);
        l->len -= *row_start;
        *row_start = 0;
    }
    if (l->len + need <= l->buf.cap) return true;
    return csv_buffer_grow(&l->buf, l->len + need, l->len, err);
}

static bool needs_quote(const csv_write_params *p, const char *s, size_t n) {
    const csv_options *o = &p->opts;
    if (n == 0 || o->force_quote_all) return true;
    if (o->nullstr_len == n && memcmp(s, o->nullstr, n) == 0) return true;
    /* eight bytes at a time: a lane of x ^ special is zero where the byte matches */
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        uint64_t hit = 0;
        for (uint32_t k = 0; k < p->special_count; k++) {
            uint64_t v = x ^ p->special[k];
            hit |= (v - ones) & ~v & highs;
        }
        if (hit) return true;
    }
    for (; i < n; i++)
        for (uint32_t k = 0; k < p->special_count; k++)
            if ((uint8_t)s[i] == (uint8_t)p->special[k]) return true;
    return false;
}

static bool put_field(csv_write_params *p, csv_write_local *l, size_t *row_start, const char *s, size_t n, bool check,
                      error *err) {
    const csv_options *o = &p->opts;
    bool quote = o->quote && (check ? needs_quote(p, s, n) : o->force_quote_all);
    if (!reserve(p, l, row_start, quote ? 2 * n + 2 : n, err)) return false;
    char *w = l->buf.data + l->len;
    if (!quote) {
        memcpy(w, s, n);
        l->len += n;
        return true;
    }
    char *start = w;
    *w++ = o->quote;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == o->quote || (o->escape && c == o->escape && o->escape != o->quote)) *w++ = o->escape ? o->escape : o->quote;
        *w++ = c;
    }
    *w++ = o->quote;
    l->len += (size_t)(w - start);
    return true;
}

static bool put_char(csv_write_params *p, csv_write_local *l, size_t *row_start, char c, error *err) {
    if (!reserve(p, l, row_start, 1, err)) return false;
    l->buf.data[l->len++] = c;
    return true;
}

static bool csv_write_sink_init(physical_op *op, exec_context *ctx, error *err) {
    (void)ctx;
    csv_write_params *p = op->params;
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid() ^ (unsigned)(uintptr_t)p;
    for (int attempt = 0; attempt < 16 && !p->open; attempt++) {
        seed = seed * 1103515245u + 12345u;
        char *tmp = arena_printf(ctx->arena, err, "%s.tmp-%08x", p->path, seed);
        if (!tmp) return false;
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0) {
            if (errno == EEXIST) continue;
            return error_set(err, EIDER_ERROR_IO, "could not open %s for writing: %s", p->path, strerror(errno));
        }
        p->tmp_path = tmp;
        p->fd = fd;
        p->open = true;
    }
    if (!p->open) return error_set(err, EIDER_ERROR_IO, "could not create a temporary file next to %s", p->path);
    if (p->gzip) {
        int fd2 = dup(p->fd);
        p->gz = fd2 >= 0 ? gzdopen(fd2, "wb") : NULL;
        if (!p->gz) {
            if (fd2 >= 0) close(fd2);
            return error_set(err, EIDER_ERROR_IO, "could not open %s for gzip output", p->path);
        }
    }
    if (pthread_mutex_init(&p->lock, NULL) != 0) return error_set(err, EIDER_ERROR_INTERNAL, "mutex init failed");
    p->lock_init = true;
    if (p->opts.header && p->ncols > 0) {
        csv_write_local l;
        memset(&l, 0, sizeof l);
        if (!csv_buffer_init(&l.buf, p->pool, 64 * 1024, err)) return false;
        size_t row_start = 0;
        bool ok = true;
        for (uint32_t c = 0; ok && c < p->ncols; c++) {
            if (c) ok = put_char(p, &l, &row_start, p->opts.delim, err);
            const char *name = p->names && p->names[c] ? p->names[c] : "";
            if (ok) ok = put_field(p, &l, &row_start, name, strlen(name), true, err);
        }
        if (ok) ok = put_char(p, &l, &row_start, '\n', err);
        if (ok) ok = write_out(p, l.buf.data, l.len, err);
        csv_buffer_free(&l.buf);
        if (!ok) return false;
    }
    return true;
}

static void *csv_write_local_init(physical_op *op, exec_context *ctx, error *err) {
    (void)ctx;
    csv_write_params *p = op->params;
    csv_write_local *l = pool_calloc(p->pool, 1, sizeof *l);
    if (!l) {
        error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate the CSV writer state");
        return NULL;
    }
    if (!csv_buffer_init(&l->buf, p->pool, POOL_BLOCK_SIZE, err)) {
        pool_free(p->pool, l);
        return NULL;
    }
    return l;
}

static bool csv_write_sink(physical_op *op, exec_context *ctx, void *local, chunk *in, error *err) {
    (void)ctx;
    csv_write_params *p = op->params;
    csv_write_local *l = local;
    const csv_options *o = &p->opts;
    char tmp[64];
    for (uint32_t r = 0; r < in->count; r++) {
        size_t row_start = l->len;
        for (uint32_t c = 0; c < in->column_count; c++) {
            if (c && !put_char(p, l, &row_start, o->delim, err)) return false;
            const vector *v = &in->columns[c];
            if (!vector_is_valid(v, r)) {
                if (o->nullstr_len && !put_field(p, l, &row_start, o->nullstr, o->nullstr_len, false, err)) return false;
                continue;
            }
            size_t n;
            const char *s = tmp;
            bool check = false;
            switch (v->type.id) {
            case TYPE_BOOLEAN:
                s = ((const uint8_t *)v->data)[r] ? "true" : "false";
                n = strlen(s);
                break;
            case TYPE_INTEGER: n = numeric_format_int64(((const int32_t *)v->data)[r], tmp); check = true; break;
            case TYPE_BIGINT: n = numeric_format_int64(((const int64_t *)v->data)[r], tmp); check = true; break;
            case TYPE_DOUBLE: n = numeric_format_double(((const double *)v->data)[r], tmp); check = true; break;
            case TYPE_DECIMAL:
                n = numeric_format_decimal(((const int64_t *)v->data)[r], v->type.scale, tmp);
                check = true;
                break;
            case TYPE_DATE: n = date_format(((const int32_t *)v->data)[r], tmp); check = true; break;
            case TYPE_TIMESTAMP: n = timestamp_format(((const int64_t *)v->data)[r], tmp); check = true; break;
            case TYPE_VARCHAR: {
                const string_t *st = &((const string_t *)v->data)[r];
                s = string_data(st);
                n = st->length;
                check = true;
                break;
            }
            default:
                return error_set(err, EIDER_ERROR_NOT_IMPLEMENTED, "CSV writer does not support this column type");
            }
            if (!put_field(p, l, &row_start, s, n, check, err)) return false;
        }
        if (!put_char(p, l, &row_start, '\n', err)) return false;
        l->rows++;
    }
    return true;
}

static bool csv_write_combine(physical_op *op, exec_context *ctx, void *local, error *err) {
    (void)ctx;
    csv_write_params *p = op->params;
    csv_write_local *l = local;
    if (!flush_locked(p, l->buf.data, l->len, err)) return false;
    l->len = 0;
    atomic_fetch_add(&p->rows, l->rows);
    l->rows = 0;
    return true;
}

static void csv_write_local_destroy(physical_op *op, void *local) {
    csv_write_params *p = op->params;
    csv_write_local *l = local;
    if (!l) return;
    csv_buffer_free(&l->buf);
    pool_free(p->pool, l);
}

static void close_files(csv_write_params *p) {
    if (p->gz) gzclose(p->gz);
    p->gz = NULL;
    if (p->fd >= 0) close(p->fd);
    p->fd = -1;
}

static bool csv_write_finalize(physical_op *op, exec_context *ctx, error *err) {
    (void)ctx;
    csv_write_params *p = op->params;
    if (p->gz) {
        int rc = gzclose(p->gz);
        p->gz = NULL;
        if (rc != Z_OK) return error_set(err, EIDER_ERROR_IO, "could not write %s: gzip close failed", p->path);
    }
    if (p->fd >= 0) {
        int rc = close(p->fd);
        p->fd = -1;
        if (rc != 0) return error_set(err, EIDER_ERROR_IO, "could not write %s: %s", p->path, strerror(errno));
    }
    if (rename(p->tmp_path, p->path) != 0)
        return error_set(err, EIDER_ERROR_IO, "could not create %s: %s", p->path, strerror(errno));
    p->finalized = true;
    if (p->rows_out) *p->rows_out = atomic_load(&p->rows);
    return true;
}

static void csv_write_destroy(physical_op *op) {
    csv_write_params *p = op->params;
    if (!p) return;
    close_files(p);
    if (p->open && !p->finalized && p->tmp_path) unlink(p->tmp_path);
    p->open = false;
    if (p->lock_init) pthread_mutex_destroy(&p->lock);
    p->lock_init = false;
}

static const physical_op_vtable csv_write_vtable = {
    .name = "COPY_TO_CSV",
    .flags = OP_KEEPS_ORDER,
    .sink_init = csv_write_sink_init,
    .sink_local_init = csv_write_local_init,
    .sink = csv_write_sink,
    .combine = csv_write_combine,
    .sink_local_destroy = csv_write_local_destroy,
    .finalize = csv_write_finalize,
    .destroy = csv_write_destroy,
};

physical_op *csv_write_create(arena *a, physical_op *child, const csv_write_request *req, uint64_t *rows_out,
                              error *err) {
    csv_write_params *p = arena_alloc(a, sizeof *p, err);
    if (!p) return NULL;
    p->fd = -1;
    p->pool = arena_pool(a);
    p->rows_out = rows_out;
    if (rows_out) *rows_out = 0;
    atomic_init(&p->rows, 0);
    if (!(p->path = arena_strdup(a, req->path, err))) return NULL;
    if (!csv_options_parse(req->options, req->option_count, false, true, a, &p->opts, err)) return NULL;
    p->gzip = csv_is_gzip(p->path, p->opts.compression);
    const char special[5] = {p->opts.delim, '\n', '\r', p->opts.quote, p->opts.escape};
    for (uint32_t k = 0; k < 5; k++)
        if (special[k]) p->special[p->special_count++] = 0x0101010101010101ULL * (uint8_t)special[k];
    p->ncols = child->column_count;
    p->names = arena_alloc(a, sizeof(char *) * (p->ncols ? p->ncols : 1), err);
    if (!p->names) return NULL;
    for (uint32_t c = 0; c < p->ncols; c++) {
        const char *n = req->names && req->names[c] ? req->names[c] : "";
        if (!(p->names[c] = arena_strdup(a, n, err))) return NULL;
    }
    physical_op *op = physical_op_create(a, &csv_write_vtable, NULL, 0, err);
    if (!op) return NULL;
    op->params = p;
    op->children[0] = child;
    op->child_count = 1;
    return op;
}
