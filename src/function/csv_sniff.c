/* csv_sniff.c — detects a CSV file's dialect, header, column names and types from its first rows.
 *
 * The sample is the start of the file (at most CSV_SNIFF_MAX_BYTES, read into a CSV_READER
 * block). Dialect: every candidate (delimiter , | ; tab x quote " ' none) tokenizes the first
 * rows with strict quoting; the winner has a multi-column row shape shared by at least half of
 * the rows, then the most rows of that shape, then the most columns. Types: each column starts
 * as any of BOOLEAN, BIGINT, DOUBLE, DATE, TIMESTAMP and loses the ones a sample value does not
 * parse as; what remains first (in that order) wins, VARCHAR otherwise. Header: the first row
 * is a header when one of its values does not fit its column's detected type, or, when every
 * column is VARCHAR, when none of its values is empty. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/datetime.h"
#include "common/numeric.h"
#include "function/csv_internal.h"

#define SNIFF_DIALECT_ROWS 1000

/* CAND_SEEN: the column had a non-NULL value (a column of NULLs only is VARCHAR, as in DuckDB) */
enum { CAND_BOOL = 1, CAND_BIGINT = 2, CAND_DOUBLE = 4, CAND_DATE = 8, CAND_TIMESTAMP = 16, CAND_ALL = 31, CAND_SEEN = 32 };

typedef struct sample {
    csv_buffer buf;
    size_t len;
    bool eof;      /* the sample holds the whole file */
    size_t start;  /* after the skipped lines */
    csv_field *fields;
    uint32_t max_fields;
    csv_buffer field_block;
} sample;

static bool read_sample(buffer_pool *pool, const char *path, bool gzip, sample *s, error *err) {
    csv_file f;
    if (!csv_file_open(&f, path, gzip, err)) return false;
    bool ok = csv_buffer_init(&s->buf, pool, CSV_READ_SIZE, err);
    s->len = 0;
    s->eof = false;
    while (ok) {
        if (s->len == s->buf.cap) {
            if (s->buf.cap >= CSV_SNIFF_MAX_BYTES) break;
            if (!(ok = csv_buffer_grow(&s->buf, s->buf.cap * 2, s->len, err))) break;
        }
        int64_t r = csv_file_read(&f, path, s->len, s->buf.data + s->len, s->buf.cap - s->len, err);
        if (r < 0) ok = false;
        else if (r == 0) s->eof = true;
        else s->len += (size_t)r;
        if (r <= 0) break;
        if (!f.gz && s->len >= f.size) { s->eof = true; break; }
    }
    csv_file_close(&f);
    return ok;
}

size_t csv_skip_lines(const char *buf, size_t len, size_t pos, uint64_t lines) {
    for (uint64_t i = 0; i < lines && pos < len; i++) {
        while (pos < len && buf[pos] != '\n' && buf[pos] != '\r') pos++;
        if (pos < len) pos += (buf[pos] == '\r' && pos + 1 < len && buf[pos + 1] == '\n') ? 2 : 1;
    }
    return pos;
}

/* Tokenizes the next row, growing the field array when a row has more fields than it holds. */
static csv_row_status sample_row(sample *s, const csv_dialect *d, size_t *pos, uint32_t *count, error *err,
                                 bool *failed) {
    for (;;) {
        size_t p = *pos;
        csv_row_status st = csv_next_row(d, s->buf.data, s->len, &p, s->eof, s->fields, s->max_fields, count);
        if (st == CSV_ROW_OK && *count > s->max_fields) {
            if (*count > CSV_MAX_COLUMNS) {
                *failed = true;
                error_set(err, EIDER_ERROR_INVALID_INPUT, "CSV file has more than %d columns", CSV_MAX_COLUMNS);
                return CSV_ROW_END;
            }
            if (!csv_buffer_grow(&s->field_block, (size_t)*count * sizeof(csv_field), 0, err)) {
                *failed = true;
                return CSV_ROW_END;
            }
            s->fields = (csv_field *)s->field_block.data;
            s->max_fields = (uint32_t)(s->field_block.cap / sizeof(csv_field));
            continue;
        }
        if (st == CSV_ROW_OK) *pos = p;
        return st;
    }
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct dialect_score {
    bool valid_shape;
    uint64_t consistent;
    uint32_t columns;
} dialect_score;

static bool score_dialect(sample *s, const csv_dialect *d, dialect_score *out, error *err) {
    uint32_t counts[SNIFF_DIALECT_ROWS];
    uint32_t n = 0;
    size_t pos = s->start;
    bool failed = false;
    while (n < SNIFF_DIALECT_ROWS) {
        uint32_t c;
        csv_row_status st = sample_row(s, d, &pos, &c, err, &failed);
        if (failed) return false;
        if (st != CSV_ROW_OK) break;
        if (csv_row_blank(s->fields, c)) continue;
        counts[n++] = c;
    }
    memset(out, 0, sizeof *out);
    if (n == 0) return true;
    qsort(counts, n, sizeof counts[0], cmp_u32);
    uint32_t best = counts[0], best_run = 0;
    for (uint32_t i = 0; i < n;) {
        uint32_t j = i;
        while (j < n && counts[j] == counts[i]) j++;
        if (j - i > best_run || (j - i == best_run && counts[i] > best)) best = counts[i], best_run = j - i;
        i = j;
    }
    out->consistent = best_run;
    out->columns = best;
    out->valid_shape = best > 1 && (uint64_t)best_run * 2 >= n;
    return true;
}

static bool better(const dialect_score *a, const dialect_score *b) {
    if (a->valid_shape != b->valid_shape) return a->valid_shape;
    if (a->consistent != b->consistent) return a->consistent > b->consistent;
    return a->columns > b->columns;
}

static bool all_digits(const char *p, size_t n) {
    while (n && (*p == ' ' || *p == '\t')) p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
    if (n && (*p == '-' || *p == '+')) p++, n--;
    if (!n) return false;
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9') return false;
    return true;
}

/* Which candidate types the text fits. */
static unsigned fits(const char *p, size_t n, unsigned cand) {
    unsigned out = 0;
    if (cand & CAND_BOOL) {
        const char *q = p;
        size_t m = n;
        while (m && (*q == ' ' || *q == '\t')) q++, m--;
        while (m && (q[m - 1] == ' ' || q[m - 1] == '\t')) m--;
        if ((m == 4 && strncasecmp(q, "true", 4) == 0) || (m == 5 && strncasecmp(q, "false", 5) == 0))
            out |= CAND_BOOL;
    }
    int64_t i;
    if ((cand & CAND_BIGINT) && all_digits(p, n) && numeric_parse_int64(p, n, &i)) out |= CAND_BIGINT;
    double d;
    if ((cand & CAND_DOUBLE) && numeric_parse_double(p, n, &d)) out |= CAND_DOUBLE;
    int32_t dt;
    if ((cand & CAND_DATE) && !memchr(p, ':', n) && date_parse(p, n, &dt) == DATETIME_OK) out |= CAND_DATE;
    int64_t ts;
    if ((cand & CAND_TIMESTAMP) && timestamp_parse(p, n, &ts) == DATETIME_OK) out |= CAND_TIMESTAMP;
    return out;
}

static bool is_null_field(const csv_options *o, const char *buf, const csv_field *f) {
    if (f->length == 0) return true;
    return !(f->flags & CSV_FIELD_QUOTED) && o->nullstr_len && f->length == o->nullstr_len &&
           memcmp(buf + f->start, o->nullstr, f->length) == 0;
}

/* Narrows the column candidates with one row's values. */
static void narrow(const csv_options *o, const csv_dialect *d, const char *buf, const csv_field *fields,
                   uint32_t n, unsigned *cand) {
    char scratch[256];
    for (uint32_t c = 0; c < n; c++) {
        if (is_null_field(o, buf, &fields[c])) continue;
        if (!(cand[c] & CAND_ALL)) {
            cand[c] |= CAND_SEEN;
            continue;
        }
        const char *p = buf + fields[c].start;
        size_t len = fields[c].length;
        if (fields[c].flags & CSV_FIELD_ESCAPED) {
            if (len > sizeof scratch) {
                cand[c] = CAND_SEEN;
                continue;
            }
            len = csv_unescape(d, buf, &fields[c], scratch);
            p = scratch;
        }
        cand[c] = fits(p, len, cand[c] & CAND_ALL) | CAND_SEEN;
    }
}

static logical_type cand_type(unsigned c) {
    if (!(c & CAND_SEEN)) return type_make(TYPE_VARCHAR);
    if (c & CAND_BOOL) return type_make(TYPE_BOOLEAN);
    if (c & CAND_BIGINT) return type_make(TYPE_BIGINT);
    if (c & CAND_DOUBLE) return type_make(TYPE_DOUBLE);
    if (c & CAND_DATE) return type_make(TYPE_DATE);
    if (c & CAND_TIMESTAMP) return type_make(TYPE_TIMESTAMP);
    return type_make(TYPE_VARCHAR);
}

/* Whether a value fits a given type (header detection against given types). */
static bool fits_type(const char *p, size_t n, logical_type t) {
    switch (t.id) {
    case TYPE_BOOLEAN: { bool b; return csv_parse_bool(p, n, &b); }
    case TYPE_INTEGER:
    case TYPE_BIGINT: { int64_t i; return numeric_parse_int64(p, n, &i); }
    case TYPE_DOUBLE: { double d; return numeric_parse_double(p, n, &d); }
    case TYPE_DECIMAL: { int64_t i; return numeric_parse_decimal(p, n, t.width, t.scale, &i); }
    case TYPE_DATE: { int32_t d; return date_parse(p, n, &d) == DATETIME_OK; }
    case TYPE_TIMESTAMP: { int64_t ts; return timestamp_parse(p, n, &ts) == DATETIME_OK; }
    default: return true;
    }
}

static char *column_name(arena *a, uint32_t i, uint32_t count, error *err) {
    int width = 1;
    for (uint32_t m = count ? count - 1 : 0; m >= 10; m /= 10) width++;
    return arena_printf(a, err, "column%0*u", width, i);
}

static bool dedupe_names(arena *a, char **names, uint32_t n, error *err) {
    for (uint32_t i = 1; i < n; i++) {
        for (uint32_t k = 1;; k++) {
            bool clash = false;
            for (uint32_t j = 0; j < i && !clash; j++) clash = strcasecmp(names[j], names[i]) == 0;
            if (!clash) break;
            const char *base = names[i];
            size_t bl = strlen(base);
            /* strip a suffix added by an earlier attempt */
            if (k > 1) {
                const char *u = strrchr(base, '_');
                if (u) bl = (size_t)(u - base);
            }
            names[i] = arena_printf(a, err, "%.*s_%u", (int)bl, base, k);
            if (!names[i]) return false;
        }
    }
    return true;
}

bool csv_sniff(buffer_pool *pool, arena *a, const csv_read_request *req, const csv_options *o, bool gzip,
               csv_schema *out, error *err) {
    memset(out, 0, sizeof *out);
    bool fixed_types = req->columns || req->target_types;
    if (!o->auto_detect && !fixed_types)
        return error_set(err, EIDER_ERROR_BINDER,
                         "read_csv requires columns to be specified through the 'columns' option. Use "
                         "read_csv_auto or set read_csv(..., AUTO_DETECT=TRUE) to automatically guess columns.");
    sample s;
    memset(&s, 0, sizeof s);
    bool ok = read_sample(pool, req->path, gzip, &s, err) &&
              csv_buffer_init(&s.field_block, pool, 1024 * sizeof(csv_field), err);
    if (ok) {
        s.fields = (csv_field *)s.field_block.data;
        s.max_fields = (uint32_t)(s.field_block.cap / sizeof(csv_field));
        s.start = csv_skip_lines(s.buf.data, s.len, 0, o->skip);
    }

    /* ---- dialect ---- */
    csv_dialect best;
    csv_dialect_init(&best, o->delim, o->quote, o->escape, false);
    if (ok && o->auto_detect && (!o->delim_set || !o->quote_set)) {
        static const char delims[] = {',', '|', ';', '\t'};
        static const char quotes[] = {'"', '\'', '\0'};
        /* per delimiter, the first quote candidate with the best shape (a quote that is not used
         * must not win just because it splits quoted fields into more columns); then the best
         * delimiter, preferring more columns */
        dialect_score best_score;
        bool have = false;
        for (int di = 0; ok && di < 4; di++) {
            char dl = o->delim_set ? o->delim : delims[di];
            if (o->delim_set && di > 0) break;
            dialect_score dscore;
            csv_dialect dbest;
            bool dhave = false;
            for (int qi = 0; ok && qi < 3; qi++) {
                char q = o->quote_set ? o->quote : quotes[qi];
                if (o->quote_set && qi > 0) break;
                if (q && q == dl) continue;
                char e = o->escape_set ? o->escape : q;
                csv_dialect d;
                csv_dialect_init(&d, dl, q, e, true);
                dialect_score sc;
                if (!(ok = score_dialect(&s, &d, &sc, err))) break;
                if (!dhave || sc.valid_shape > dscore.valid_shape ||
                    (sc.valid_shape == dscore.valid_shape && sc.consistent > dscore.consistent)) {
                    dhave = true;
                    dscore = sc;
                    csv_dialect_init(&dbest, dl, q, e, false);
                }
            }
            if (dhave && (!have || better(&dscore, &best_score))) {
                have = true;
                best_score = dscore;
                best = dbest;
            }
        }
    }
    out->dialect = best;

    /* ---- shape: the column count ---- */
    uint32_t ncols = 0;
    if (req->columns) ncols = req->column_count;
    else if (req->target_types) ncols = req->target_count;
    else if (ok) {
        dialect_score sc;
        ok = score_dialect(&s, &best, &sc, err);
        ncols = sc.columns;
    }
    if (ok && ncols == 0) ncols = 1; /* an empty file: one VARCHAR column */
    unsigned *cand = ok ? arena_alloc(a, sizeof(unsigned) * ncols, err) : NULL;
    out->types = ok ? arena_alloc(a, sizeof(logical_type) * ncols, err) : NULL;
    out->names = ok ? arena_alloc(a, sizeof(char *) * ncols, err) : NULL;
    ok = ok && cand && out->types && out->names;
    out->column_count = ncols;

    /* ---- types and header ---- */
    size_t pos = ok ? s.start : 0;
    bool failed = false;
    uint32_t first_count = 0;
    size_t first_pos = pos;
    csv_row_status first_st = CSV_ROW_END;
    /* first non-blank row */
    while (ok) {
        first_pos = pos;
        first_st = sample_row(&s, &best, &pos, &first_count, err, &failed);
        if (failed) ok = false;
        if (first_st != CSV_ROW_OK || !csv_row_blank(s.fields, first_count) || ncols == 1) break;
    }
    bool have_first = ok && first_st == CSV_ROW_OK;
    for (uint32_t c = 0; ok && c < ncols; c++) cand[c] = o->auto_detect ? CAND_ALL : 0;
    uint64_t rows = 0; /* sample rows after the first */
    if (ok && o->auto_detect && !fixed_types) {
        size_t p = pos;
        while (rows < o->sample_rows) {
            uint32_t n;
            csv_row_status st = sample_row(&s, &best, &p, &n, err, &failed);
            if (failed) ok = false;
            if (st != CSV_ROW_OK) break;
            if (csv_row_blank(s.fields, n) && ncols > 1) continue;
            if (n != ncols) continue;
            narrow(o, &best, s.buf.data, s.fields, n, cand);
            rows++;
        }
        if (rows == 0)
            for (uint32_t c = 0; c < ncols; c++) cand[c] = 0; /* nothing but the first row: VARCHAR */
    }
    if (ok) {
        for (uint32_t c = 0; c < ncols; c++)
            out->types[c] = req->columns ? req->columns[c].type
                            : req->target_types ? req->target_types[c]
                                                : cand_type(cand[c]);
    }
    /* re-tokenize the first row (sample_row may have reused the field array) */
    if (have_first) {
        size_t p = first_pos;
        first_st = sample_row(&s, &best, &p, &first_count, err, &failed);
        if (failed) ok = false;
    }
    bool header = false;
    if (ok && o->header_set) header = o->header;
    else if (ok && o->auto_detect && have_first && first_count == ncols) {
        bool all_varchar = true, mismatch = false, any_null = false;
        char scratch[256];
        for (uint32_t c = 0; c < ncols; c++) {
            const csv_field *f = &s.fields[c];
            if (is_null_field(o, s.buf.data, f)) {
                any_null = true;
                continue;
            }
            if (out->types[c].id == TYPE_VARCHAR) continue;
            all_varchar = false;
            const char *p = s.buf.data + f->start;
            size_t len = f->length;
            if ((f->flags & CSV_FIELD_ESCAPED) && len <= sizeof scratch) {
                len = csv_unescape(&best, s.buf.data, f, scratch);
                p = scratch;
            }
            if (fixed_types ? !fits_type(p, len, out->types[c]) : !(fits(p, len, cand[c] & CAND_ALL) & cand[c])) mismatch = true;
        }
        header = mismatch || (all_varchar && !any_null);
    }
    out->header = header;
    /* without a header, the first row's values count for the types too */
    if (ok && !header && have_first && o->auto_detect && !fixed_types && first_count == ncols &&
        !csv_row_blank(s.fields, first_count)) {
        if (rows == 0) /* the first row is the only row */
            for (uint32_t c = 0; c < ncols; c++) cand[c] = CAND_ALL;
        narrow(o, &best, s.buf.data, s.fields, first_count, cand);
        for (uint32_t c = 0; c < ncols; c++) out->types[c] = cand_type(cand[c]);
    }
    if (ok && o->all_varchar && !fixed_types)
        for (uint32_t c = 0; c < ncols; c++) out->types[c] = type_make(TYPE_VARCHAR);

    /* ---- names ---- */
    for (uint32_t c = 0; ok && c < ncols; c++) {
        if (req->columns) {
            ok = (out->names[c] = arena_strdup(a, req->columns[c].name, err)) != NULL;
        } else if (header && c < first_count && s.fields[c].length > 0) {
            const csv_field *f = &s.fields[c];
            char *name = arena_alloc(a, f->length + 1, err);
            if (!(ok = name != NULL)) break;
            uint32_t n = (f->flags & CSV_FIELD_ESCAPED) ? csv_unescape(&best, s.buf.data, f, name)
                                                         : (memcpy(name, s.buf.data + f->start, f->length), f->length);
            name[n] = '\0';
            out->names[c] = name;
        } else {
            ok = (out->names[c] = column_name(a, c, ncols, err)) != NULL;
        }
    }
    if (ok && !req->columns) ok = dedupe_names(a, out->names, ncols, err);
    csv_buffer_free(&s.field_block);
    csv_buffer_free(&s.buf);
    return ok;
}
