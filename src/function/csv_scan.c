/* csv_scan.c — the CSV scan operator: a parallel source whose morsels are byte ranges of the file.
 *
 * Ranges. A plain file is cut into ranges of range_size bytes (option buffer_size, default 8 MiB).
 * A row belongs to the range holding its first byte: a thread finishes the row that crosses its
 * range's end and starts at the first row start at or after its range's start. Every range
 * publishes where it really started and ended (the first row start at or after its end).
 *
 * Finding a range's first row start, with quoted newlines in mind:
 *   - when the previous range has already finished (always so with one thread), its published
 *     end is the exact start: no guessing;
 *   - otherwise a candidate (the byte after a newline) is accepted when the rows that follow it
 *     tokenize with strict quoting (a quote opens a field only at its start and is followed by a
 *     delimiter or a newline once closed) and have the expected number of fields; a newline
 *     inside a quoted field is followed by the field's remaining text and its closing quote,
 *     which fails that test except in contrived data.
 * After the last range, the thread that finished it checks the chain: each range must start
 * where the one before it ended. A range that rejected its true start leaves a gap, which that
 * thread then parses itself (its rows come last); a range that accepted a false start fails the
 * query with an Invalid Input error naming parallel=false, so a wrong guess never yields wrong
 * rows. Gzip files are one range read sequentially.
 *
 * Line numbers in errors are 1-based and count rows (a quoted newline does not start a line)
 * including the header and skipped lines; a range that does not start the file learns its first
 * line by counting rows from the file's start, only when an error is reported.
 *
 * Strings are not copied: a VARCHAR value points into the read buffer, which stays unchanged
 * until the next call of get_data (the buffer moves or refills only when no rows of the current
 * chunk reference it). Fields holding escapes are unescaped into the chunk's heap. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/datetime.h"
#include "common/numeric.h"
#include "function/csv_internal.h"
#include "main/database.h"

const char csv_scan_module[] = "csv_scan";
static const char *const csv_link_writer __attribute__((used)) = csv_write_module;

#define NO_POS UINT64_MAX
#define UNKNOWN_POS (UINT64_MAX - 1) /* an empty range whose following row start is not known */
#define VALIDATE_ROWS 8

typedef struct csv_scan_params {
    char *path;
    csv_options opts;
    csv_schema schema;
    csv_dialect strict; /* the dialect with strict quoting, for boundary checks */
    bool gzip;
    uint32_t ncols;
    buffer_pool *pool;
    atomic_uint_fast64_t rejected;
    const bool *used; /* columns read downstream (NULL: all); the others are not converted */
} csv_scan_params;

typedef struct csv_scan_global {
    csv_file file; /* plain files: one descriptor shared through pread */
    bool file_open;
    uint64_t size;
    uint64_t range_size;
    uint64_t range_count;
    atomic_uint_fast64_t next_range;
    atomic_uint_fast64_t finished;
    _Atomic uint64_t *starts; /* per range: first row start, NO_POS while unknown or empty */
    _Atomic uint64_t *ends;   /* per range: end, NO_POS while running */
} csv_scan_global;

typedef struct csv_scan_local {
    csv_buffer buf;
    csv_buffer field_block;
    csv_buffer scratch; /* unescaped field text */
    csv_field *fields;
    uint32_t max_fields;
    csv_file gz; /* gzip: this thread's stream */
    bool gz_open;
    bool active;
    uint64_t range;
    uint64_t range_end; /* rows starting at or after this offset belong to the next range */
    uint64_t stop_at;   /* gap parsing: the row start the gap must end at exactly */
    uint64_t forced_end; /* an empty range's published end (NO_POS: where parsing stopped) */
    bool in_gap;
    uint64_t buf_off;   /* file offset of buf.data[0] (gzip: of the uncompressed stream) */
    size_t len, pos;
    bool eof;
    uint64_t range_first_row; /* offset of the range's first row (for line numbers) */
    uint64_t rows_done;       /* rows consumed in this range */
    uint64_t skip_pending;
    bool header_pending;
    /* gaps left for this thread to parse after the last range */
    uint64_t *gaps; /* pairs (start, end), pool_malloc'ed */
    uint32_t gap_count, gap_next;
} csv_scan_local;

/* ---- reading ---------------------------------------------------------------------------------- */

/* Moves the unparsed bytes [pos, len) to the front, grows when full, and reads more. Only called
 * when no value of the chunk being filled points into the buffer. Returns the shift applied to
 * buffer positions (old position - shift = new position). */
static bool refill(csv_scan_params *p, csv_scan_global *g, csv_scan_local *l, size_t *shift, error *err) {
    size_t keep = l->len - l->pos;
    *shift = l->pos;
    if (l->pos > 0) {
        memmove(l->buf.data, l->buf.data + l->pos, keep);
        l->buf_off += l->pos;
        l->len = keep;
        l->pos = 0;
    }
    if (l->len == l->buf.cap) {
        if (l->buf.cap >= CSV_MAX_ROW_SIZE)
            return error_set(err, EIDER_ERROR_INVALID_INPUT,
                             "a row of %s is longer than the maximum line size of %zu bytes", p->path,
                             (size_t)CSV_MAX_ROW_SIZE);
        if (!csv_buffer_grow(&l->buf, l->buf.cap * 2, l->len, err)) return false;
    }
    size_t want = l->buf.cap - l->len;
    uint64_t at = l->buf_off + l->len;
    if (!p->gzip && at < l->range_end && l->range_end - at + 65536 < want) want = (size_t)(l->range_end - at + 65536);
    int64_t r = csv_file_read(p->gzip ? &l->gz : &g->file, p->path, at, l->buf.data + l->len, want, err);
    if (r < 0) return false;
    l->len += (size_t)r;
    if (p->gzip) l->eof = (size_t)r < want;
    else l->eof = l->buf_off + l->len >= g->size || (size_t)r < want;
    return true;
}

/* 1: a plausible row start; 0: not; -1: needs more data. */
static int validate_start(csv_scan_params *p, csv_scan_local *l, size_t cand) {
    size_t q = cand;
    uint32_t good = 0;
    for (int k = 0; k < VALIDATE_ROWS; k++) {
        uint32_t n;
        csv_row_status st = csv_next_row(&p->strict, l->buf.data, l->len, &q, l->eof, l->fields, l->max_fields, &n);
        if (st == CSV_ROW_END) return 1;
        if (st == CSV_ROW_INCOMPLETE) return good > 0 ? 1 : -1;
        if (st == CSV_ROW_BAD_QUOTE) return 0;
        if (csv_row_blank(l->fields, n) && p->ncols > 1) continue;
        if (n != p->ncols && !p->opts.ignore_errors) return 0;
        good++;
    }
    return 1;
}

/* Positions the buffer at the first row start at or after `from` (a file offset > 0), guessing
 * as the header comment describes. *found false: no row starts before the range's end. */
static bool find_start(csv_scan_params *p, csv_scan_global *g, csv_scan_local *l, uint64_t from, bool *found,
                       error *err) {
    *found = false;
    l->buf_off = from - 1;
    l->len = l->pos = 0;
    l->eof = false;
    size_t shift;
    if (!refill(p, g, l, &shift, err)) return false;
    size_t i = 0; /* buf[i] is the byte before the next candidate position */
    for (;;) {
        while (i < l->len && l->buf.data[i] != '\n' && l->buf.data[i] != '\r') i++;
        if (i >= l->len || (l->buf.data[i] == '\r' && i + 1 >= l->len && !l->eof)) {
            if (l->eof) return true;
            l->pos = i;
            if (!refill(p, g, l, &shift, err)) return false;
            i -= shift;
            continue;
        }
        size_t cand = i + 1;
        if (l->buf.data[i] == '\r' && cand < l->len && l->buf.data[cand] == '\n') cand++;
        if (l->buf_off + cand >= l->range_end) return true;
        int v;
        while ((v = validate_start(p, l, cand)) < 0) {
            if (l->eof) {
                v = 1;
                break;
            }
            l->pos = cand;
            if (!refill(p, g, l, &shift, err)) return false;
            cand -= shift;
        }
        if (v == 1) {
            l->pos = cand;
            *found = true;
            return true;
        }
        i = cand; /* search on from the candidate */
    }
}

/* Counts rows from the file's start up to offset `upto` (a row start): the 0-based line of the
 * row starting there. Used for error messages only. */
static uint64_t rows_before(csv_scan_params *p, csv_scan_global *g, uint64_t upto) {
    if (upto == 0 || p->gzip) return 0;
    error err;
    error_clear(&err);
    csv_buffer buf;
    if (!csv_buffer_init(&buf, p->pool, CSV_READ_SIZE, &err)) return 0;
    csv_field field;
    uint64_t rows = 0, off = 0;
    size_t len = 0, pos = 0;
    bool eof = false;
    while (off + pos < upto) {
        size_t q = pos;
        bool complete;
        if (rows < p->opts.skip) { /* skipped lines are raw lines */
            q = csv_skip_lines(buf.data, len, pos, 1);
            complete = q > pos && (q < len || eof);
        } else {
            uint32_t n;
            csv_row_status st = csv_next_row(&p->schema.dialect, buf.data, len, &q, eof, &field, 1, &n);
            if (st == CSV_ROW_END) break;
            if (st == CSV_ROW_BAD_QUOTE) {
                q = csv_skip_lines(buf.data, len, pos, 1);
                complete = q > pos && (q < len || eof);
            } else {
                complete = st == CSV_ROW_OK;
            }
        }
        if (complete) {
            pos = q;
            rows++;
            continue;
        }
        if (eof) break;
        memmove(buf.data, buf.data + pos, len - pos);
        off += pos;
        len -= pos;
        pos = 0;
        if (len == buf.cap && !csv_buffer_grow(&buf, buf.cap * 2, len, &err)) break;
        int64_t r = csv_file_read(&g->file, p->path, off + len, buf.data + len, buf.cap - len, &err);
        if (r < 0) break;
        len += (size_t)r;
        eof = r == 0 || off + len >= g->size;
    }
    csv_buffer_free(&buf);
    return rows;
}

static uint64_t current_line(csv_scan_params *p, csv_scan_global *g, csv_scan_local *l) {
    return rows_before(p, g, l->range_first_row) + l->rows_done + 1;
}

/* ---- converting a row ------------------------------------------------------------------------- */

static const char *type_error_name(logical_type t, char *buf) {
    switch (t.id) {
    case TYPE_BOOLEAN: return "BOOL";
    case TYPE_INTEGER: return "INT32";
    case TYPE_BIGINT: return "INT64";
    default: return type_to_string(t, buf);
    }
}

static bool conversion_error(csv_scan_params *p, csv_scan_global *g, csv_scan_local *l, uint32_t col,
                             const char *s, size_t n, error *err) {
    char tb[TYPE_NAME_MAX];
    if (n > 200) n = 200;
    return error_set(err, EIDER_ERROR_CONVERSION, "Could not convert string '%.*s' to %s at line %llu of %s, column '%s'",
                     (int)n, s, type_error_name(p->schema.types[col], tb),
                     (unsigned long long)current_line(p, g, l), p->path, p->schema.names[col]);
}

/* Writes row `fields` into out at out->count. false: the row failed (err set). */
static bool convert_row(csv_scan_params *p, csv_scan_global *g, csv_scan_local *l, chunk *out, error *err) {
    const char *buf = l->buf.data;
    uint32_t row = out->count;
    const csv_options *o = &p->opts;
    for (uint32_t c = 0; c < p->ncols; c++) {
        if (p->used && !p->used[c]) continue;
        const csv_field *f = &l->fields[c];
        vector *v = &out->columns[c];
        logical_type t = v->type;
        const char *s = buf + f->start;
        uint32_t n = f->length;
        bool is_null = n == 0 ? (t.id != TYPE_VARCHAR || o->nullstr_len == 0)
                              : (o->nullstr_len == n && !(f->flags & CSV_FIELD_QUOTED) && memcmp(s, o->nullstr, n) == 0);
        if (is_null) {
            vector_set_null(v, row);
            continue;
        }
        bool unescaped = false;
        if (f->flags & CSV_FIELD_ESCAPED) {
            /* unescape into the scratch buffer (the text never grows) */
            if (l->scratch.cap < n && !csv_buffer_grow(&l->scratch, n, 0, err)) return false;
            n = csv_unescape(&p->schema.dialect, buf, f, l->scratch.data);
            s = l->scratch.data;
            unescaped = true;
        }
        switch (t.id) {
        case TYPE_VARCHAR:
            if (unescaped) {
                if (!chunk_store_string(out, s, n, &((string_t *)v->data)[row], err)) return false;
            } else {
                ((string_t *)v->data)[row] = string_make(s, n);
            }
            break;
        case TYPE_BIGINT:
            if (!numeric_parse_int64(s, n, &((int64_t *)v->data)[row])) return conversion_error(p, g, l, c, s, n, err);
            break;
        case TYPE_INTEGER: {
            int64_t x;
            if (!numeric_parse_int64(s, n, &x) || x < INT32_MIN || x > INT32_MAX)
                return conversion_error(p, g, l, c, s, n, err);
            ((int32_t *)v->data)[row] = (int32_t)x;
            break;
        }
        case TYPE_DOUBLE:
            if (!numeric_parse_double(s, n, &((double *)v->data)[row])) return conversion_error(p, g, l, c, s, n, err);
            break;
        case TYPE_DECIMAL:
            if (!numeric_parse_decimal(s, n, t.width, t.scale, &((int64_t *)v->data)[row]))
                return conversion_error(p, g, l, c, s, n, err);
            break;
        case TYPE_BOOLEAN: {
            bool b;
            if (!csv_parse_bool(s, n, &b)) return conversion_error(p, g, l, c, s, n, err);
            ((uint8_t *)v->data)[row] = b;
            break;
        }
        case TYPE_DATE:
            if (date_parse(s, n, &((int32_t *)v->data)[row]) != DATETIME_OK) return conversion_error(p, g, l, c, s, n, err);
            break;
        case TYPE_TIMESTAMP:
            if (timestamp_parse(s, n, &((int64_t *)v->data)[row]) != DATETIME_OK)
                return conversion_error(p, g, l, c, s, n, err);
            break;
        default:
            return error_set(err, EIDER_ERROR_NOT_IMPLEMENTED, "CSV reader does not support this column type");
        }
    }
    return true;
}

/* ---- ranges ----------------------------------------------------------------------------------- */

static bool ensure_buffers(csv_scan_params *p, csv_scan_local *l, error *err) {
    if (l->buf.block) return true;
    if (!csv_buffer_init(&l->buf, p->pool, CSV_READ_SIZE, err)) return false;
    if (!csv_buffer_init(&l->scratch, p->pool, 64 * 1024, err)) return false;
    size_t fb = (size_t)(p->ncols + 1) * sizeof(csv_field);
    if (!csv_buffer_init(&l->field_block, p->pool, fb, err)) return false;
    l->fields = (csv_field *)l->field_block.data;
    l->max_fields = (uint32_t)(l->field_block.cap / sizeof(csv_field));
    return true;
}

/* Takes the next range (or gap); false with no error: nothing left. */
static bool start_range(csv_scan_params *p, csv_scan_global *g, csv_scan_local *l, bool *have, error *err) {
    *have = false;
    if (!ensure_buffers(p, l, err)) return false;
    l->in_gap = false;
    l->stop_at = NO_POS;
    l->forced_end = NO_POS;
    if (l->gap_next < l->gap_count) {
        uint64_t a = l->gaps[2 * l->gap_next], b = l->gaps[2 * l->gap_next + 1];
        l->gap_next++;
        l->in_gap = true;
        l->stop_at = b;
        l->range_end = b;
        l->buf_off = a;
        l->len = l->pos = 0;
        l->eof = false;
        l->range_first_row = a;
        l->rows_done = 0;
        l->skip_pending = 0;
        l->header_pending = false;
        l->active = true;
        *have = true;
        return true;
    }
    uint64_t r = atomic_fetch_add(&g->next_range, 1);
    if (r >= g->range_count) return true;
    l->range = r;
    l->active = true;
    *have = true;
    l->rows_done = 0;
    l->skip_pending = 0;
    l->header_pending = false;
    l->eof = false;
    l->len = l->pos = 0;
    uint64_t S = r * g->range_size;
    l->range_end = p->gzip ? NO_POS : (r + 1 == g->range_count ? g->size : S + g->range_size);
    if (r == 0) {
        if (p->gzip) {
            if (!csv_file_open(&l->gz, p->path, true, err)) return false;
            l->gz_open = true;
        }
        l->buf_off = 0;
        l->range_first_row = 0;
        l->skip_pending = p->opts.skip;
        l->header_pending = p->schema.header;
        atomic_store(&g->starts[0], (uint64_t)0);
        return true;
    }
    uint64_t prev_end = atomic_load(&g->ends[r - 1]);
    if (prev_end < UNKNOWN_POS) { /* the previous range is done: its end is this range's start */
        l->buf_off = prev_end;
        l->range_first_row = prev_end;
        if (prev_end >= l->range_end) { /* no row starts in this range */
            atomic_store(&g->starts[r], NO_POS);
            l->forced_end = prev_end;
        } else {
            atomic_store(&g->starts[r], prev_end);
        }
        return true;
    }
    bool found;
    if (!find_start(p, g, l, S, &found, err)) return false;
    if (!found) {
        l->buf_off = l->range_end;
        l->len = l->pos = 0;
        l->range_first_row = l->range_end;
        l->forced_end = UNKNOWN_POS;
        atomic_store(&g->starts[r], NO_POS);
        return true;
    }
    l->range_first_row = l->buf_off + l->pos;
    atomic_store(&g->starts[r], l->range_first_row);
    return true;
}

/* After the last range finished: checks the chain of ranges; gaps go to this thread. */
static bool check_ranges(csv_scan_params *p, csv_scan_global *g, csv_scan_local *l, error *err) {
    uint64_t expect = atomic_load(&g->ends[0]);
    uint32_t gaps = 0;
    uint64_t *list = NULL;
    for (uint64_t r = 1; r <= g->range_count; r++) {
        uint64_t s = r < g->range_count ? atomic_load(&g->starts[r]) : g->size;
        if (r < g->range_count && s == NO_POS) continue; /* empty range */
        if (s != expect) {
            if (s < expect) {
                pool_free(p->pool, list);
                return error_set(err, EIDER_ERROR_INVALID_INPUT,
                                 "could not split %s into parallel ranges (a quoted field holds text that looks like "
                                 "rows); read it with parallel=false",
                                 p->path);
            }
            uint64_t *nl = pool_realloc(p->pool, list, sizeof(uint64_t) * 2 * (gaps + 1));
            if (!nl) {
                pool_free(p->pool, list);
                return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate the CSV range list");
            }
            list = nl;
            list[2 * gaps] = expect;
            list[2 * gaps + 1] = s;
            gaps++;
        }
        if (r < g->range_count) expect = atomic_load(&g->ends[r]);
    }
    l->gaps = list;
    l->gap_count = gaps;
    l->gap_next = 0;
    return true;
}

static void finish_range(csv_scan_global *g, csv_scan_local *l) {
    atomic_store(&g->ends[l->range], l->forced_end != NO_POS ? l->forced_end : l->buf_off + l->pos);
}

/* Fills out from the current range. *range_done when the range has no more rows. */
static bool fill(csv_scan_params *p, csv_scan_global *g, csv_scan_local *l, chunk *out, bool *range_done,
                 error *err) {
    *range_done = false;
    const csv_dialect *d = &p->schema.dialect;
    size_t shift;
    while (out->count < VECTOR_SIZE) {
        if (l->buf_off + l->pos >= l->range_end && !(l->skip_pending || l->header_pending)) {
            if (l->in_gap && l->buf_off + l->pos != l->stop_at)
                return error_set(err, EIDER_ERROR_INVALID_INPUT,
                                 "could not split %s into parallel ranges (a quoted field holds text that looks "
                                 "like rows); read it with parallel=false",
                                 p->path);
            *range_done = true;
            return true;
        }
        if (l->pos >= l->len && l->eof) {
            *range_done = true;
            return true;
        }
        if (l->skip_pending) {
            size_t np = csv_skip_lines(l->buf.data, l->len, l->pos, 1);
            if ((np == l->len && !l->eof) || l->len == 0) {
                if (out->count) return true;
                if (!refill(p, g, l, &shift, err)) return false;
                if (l->len == 0 && l->eof) l->skip_pending = 0;
                continue;
            }
            l->pos = np;
            l->skip_pending--;
            l->rows_done++;
            continue;
        }
        uint32_t n;
        size_t q = l->pos;
        csv_row_status st = csv_next_row(d, l->buf.data, l->len, &q, l->eof, l->fields, l->max_fields, &n);
        if (st == CSV_ROW_INCOMPLETE) {
            if (out->count) return true; /* values point into the buffer: refill on the next call */
            if (!refill(p, g, l, &shift, err)) return false;
            continue;
        }
        if (st == CSV_ROW_END) {
            *range_done = true;
            return true;
        }
        if (st == CSV_ROW_BAD_QUOTE) {
            if (!p->opts.ignore_errors)
                return error_set(err, EIDER_ERROR_INVALID_INPUT,
                                 "unterminated quoted field or text after a closing quote at line %llu of %s",
                                 (unsigned long long)current_line(p, g, l), p->path);
            size_t np = csv_skip_lines(l->buf.data, l->len, l->pos, 1);
            if (np == l->len && !l->eof) {
                if (out->count) return true;
                if (!refill(p, g, l, &shift, err)) return false;
                continue;
            }
            atomic_fetch_add(&p->rejected, 1);
            l->pos = np;
            l->rows_done++;
            continue;
        }
        if (l->header_pending) {
            l->header_pending = false;
            l->pos = q;
            l->rows_done++;
            continue;
        }
        if (csv_row_blank(l->fields, n) && p->ncols > 1) {
            l->pos = q;
            l->rows_done++;
            continue;
        }
        if (n != p->ncols) {
            if (!p->opts.ignore_errors)
                return error_set(err, EIDER_ERROR_INVALID_INPUT,
                                 "CSV row has the wrong number of fields: expected %u fields, found %u at line %llu of %s",
                                 p->ncols, n, (unsigned long long)current_line(p, g, l), p->path);
            atomic_fetch_add(&p->rejected, 1);
            l->pos = q;
            l->rows_done++;
            continue;
        }
        if (!convert_row(p, g, l, out, err)) {
            if (!p->opts.ignore_errors || err->type != EIDER_ERROR_CONVERSION) return false;
            error_clear(err);
            for (uint32_t c = 0; c < p->ncols; c++) vector_set_valid(&out->columns[c], out->count);
            atomic_fetch_add(&p->rejected, 1);
            l->pos = q;
            l->rows_done++;
            continue;
        }
        out->count++;
        l->pos = q;
        l->rows_done++;
    }
    return true;
}

/* ---- operator --------------------------------------------------------------------------------- */

static bool csv_source_init(physical_op *op, exec_context *ctx, error *err) {
    csv_scan_params *p = op->params;
    csv_scan_global *g = arena_alloc(ctx->arena, sizeof *g, err);
    if (!g) return false;
    op->source_state = g;
    g->file.fd = -1;
    if (!p->gzip) {
        if (!csv_file_open(&g->file, p->path, false, err)) return false;
        g->file_open = true;
        g->size = g->file.size;
    }
    g->range_size = p->opts.range_size;
    if (p->gzip || !p->opts.parallel || g->size == 0) {
        g->range_count = 1;
        g->range_size = g->size ? g->size : 1;
    } else {
        g->range_count = (g->size + g->range_size - 1) / g->range_size;
    }
    g->starts = arena_alloc(ctx->arena, sizeof(uint64_t) * g->range_count, err);
    g->ends = arena_alloc(ctx->arena, sizeof(uint64_t) * g->range_count, err);
    if (!g->starts || !g->ends) return false;
    for (uint64_t r = 0; r < g->range_count; r++) {
        atomic_init(&g->starts[r], NO_POS);
        atomic_init(&g->ends[r], NO_POS);
    }
    atomic_init(&g->next_range, 0);
    atomic_init(&g->finished, 0);
    return true;
}

static void *csv_local_init(physical_op *op, exec_context *ctx, error *err) {
    (void)ctx;
    csv_scan_params *p = op->params;
    csv_scan_local *l = pool_calloc(p->pool, 1, sizeof *l);
    if (!l) error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate the CSV scan state");
    else l->gz.fd = -1;
    return l;
}

static void csv_local_destroy(physical_op *op, void *local) {
    csv_scan_params *p = op->params;
    csv_scan_local *l = local;
    if (!l) return;
    csv_buffer_free(&l->buf);
    csv_buffer_free(&l->field_block);
    csv_buffer_free(&l->scratch);
    if (l->gz_open) csv_file_close(&l->gz);
    pool_free(p->pool, l->gaps);
    pool_free(p->pool, l);
}

static bool csv_get_data(physical_op *op, exec_context *ctx, void *local, chunk *out, error *err) {
    (void)ctx;
    csv_scan_params *p = op->params;
    csv_scan_global *g = op->source_state;
    csv_scan_local *l = local;
    for (;;) {
        if (!l->active) {
            bool have;
            if (!start_range(p, g, l, &have, err)) return false;
            if (!have) return true;
        }
        bool done;
        if (!fill(p, g, l, out, &done, err)) return false;
        if (done) {
            l->active = false;
            if (!l->in_gap) {
                finish_range(g, l);
                if (atomic_fetch_add(&g->finished, 1) + 1 == g->range_count && g->range_count > 1 &&
                    !check_ranges(p, g, l, err))
                    return false;
            }
        }
        if (out->count > 0) return true;
    }
}

static void csv_scan_destroy(physical_op *op) {
    csv_scan_global *g = op->source_state;
    if (g && g->file_open) csv_file_close(&g->file);
    if (g) g->file_open = false;
}

static bool csv_prune(physical_op *op, arena *a, const bool *used, error *err) {
    (void)a, (void)err;
    ((csv_scan_params *)op->params)->used = used;
    return true;
}

static const physical_op_vtable csv_scan_vtable = {
    .name = "READ_CSV",
    .prune = csv_prune,
    .flags = OP_ORDERED_SOURCE,
    .source_init = csv_source_init,
    .source_local_init = csv_local_init,
    .get_data = csv_get_data,
    .source_local_destroy = csv_local_destroy,
    .destroy = csv_scan_destroy,
};

bool csv_scan_plan_create(eider_database *db, arena *a, const csv_read_request *req, csv_scan_plan *out, error *err) {
    memset(out, 0, sizeof *out);
    csv_scan_params *p = arena_alloc(a, sizeof *p, err);
    if (!p) return false;
    p->pool = db->pool;
    if (!(p->path = arena_strdup(a, req->path, err))) return false;
    /* COPY ... FROM (target types given) sniffs dialect and header as DuckDB does */
    bool auto_detect = req->auto_detect || req->target_types != NULL;
    if (!csv_options_parse(req->options, req->option_count, auto_detect, false, a, &p->opts, err)) return false;
    if (req->columns && req->column_count == 0)
        return error_set(err, EIDER_ERROR_BINDER, "read_csv: 'columns' must name at least one column");
    for (uint32_t c = 0; req->columns && c < req->column_count; c++)
        for (uint32_t k = 0; k < c; k++)
            if (strcasecmp(req->columns[c].name, req->columns[k].name) == 0)
                return error_set(err, EIDER_ERROR_BINDER, "read_csv: duplicate column name \"%s\" in 'columns'",
                                 req->columns[c].name);
    p->gzip = csv_is_gzip(p->path, p->opts.compression);
    if (!csv_sniff(db->pool, a, req, &p->opts, p->gzip, &p->schema, err)) return false;
    p->ncols = p->schema.column_count;
    csv_dialect_init(&p->strict, p->schema.dialect.delim, p->schema.dialect.quote, p->schema.dialect.escape, true);
    atomic_init(&p->rejected, 0);
    physical_op *op = physical_op_create(a, &csv_scan_vtable, p->schema.types, p->ncols, err);
    if (!op) return false;
    op->params = p;
    out->op = op;
    out->column_count = p->ncols;
    out->names = (const char **)p->schema.names;
    out->types = p->schema.types;
    return true;
}

uint64_t csv_scan_rejected_rows(const physical_op *op) {
    if (!op || op->vt != &csv_scan_vtable) return 0;
    csv_scan_params *p = op->params;
    return atomic_load(&p->rejected);
}

bool csv_scan_header(const physical_op *op) {
    if (!op || op->vt != &csv_scan_vtable) return false;
    return ((csv_scan_params *)op->params)->schema.header;
}

char csv_scan_delimiter(const physical_op *op) {
    if (!op || op->vt != &csv_scan_vtable) return '\0';
    return ((csv_scan_params *)op->params)->schema.dialect.delim;
}
