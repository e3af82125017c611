/* csv_common.c — CSV options, file access, pool buffers and the row tokenizer. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "function/csv_internal.h"

/* ---- options ------------------------------------------------------------------------------- */

static bool ieq(const char *a, const char *b) { return strcasecmp(a, b) == 0; }

static bool opt_bool(const csv_option *o, bool *out, error *err) {
    const value *v = &o->value;
    if (!v->is_null) {
        switch (v->type.id) {
        case TYPE_BOOLEAN: *out = v->u.boolean; return true;
        case TYPE_INTEGER: *out = v->u.i32 != 0; return true;
        case TYPE_BIGINT: *out = v->u.i64 != 0; return true;
        case TYPE_VARCHAR:
            if (csv_parse_bool(v->u.str.data, v->u.str.length, out)) return true;
            break;
        default: break;
        }
    }
    return error_set(err, EIDER_ERROR_BINDER, "CSV option \"%s\" expects a boolean", o->name);
}

static bool opt_int(const csv_option *o, int64_t *out, error *err) {
    const value *v = &o->value;
    if (!v->is_null) {
        if (v->type.id == TYPE_INTEGER) return *out = v->u.i32, true;
        if (v->type.id == TYPE_BIGINT) return *out = v->u.i64, true;
    }
    return error_set(err, EIDER_ERROR_BINDER, "CSV option \"%s\" expects an integer", o->name);
}

static bool opt_string(const csv_option *o, const char **s, uint32_t *len, error *err) {
    const value *v = &o->value;
    if (v->is_null || v->type.id != TYPE_VARCHAR)
        return error_set(err, EIDER_ERROR_BINDER, "CSV option \"%s\" expects a string", o->name);
    *s = v->u.str.data;
    *len = v->u.str.length;
    return true;
}

/* A single-character option; '' gives '\0' when allow_empty; "\t" written as two characters is a tab. */
static bool opt_char(const csv_option *o, bool allow_empty, char *out, error *err) {
    const char *s = NULL;
    uint32_t n = 0;
    if (!opt_string(o, &s, &n, err)) return false;
    if (n == 0 && allow_empty) return *out = '\0', true;
    if (n == 1) return *out = s[0], true;
    if (n == 2 && s[0] == '\\' && s[1] == 't') return *out = '\t', true;
    return error_set(err, EIDER_ERROR_BINDER, "CSV option \"%s\" must be a single character, got '%.*s'", o->name,
                     (int)n, s);
}

bool csv_options_parse(const csv_option *opts, uint32_t count, bool auto_detect, bool writer, arena *a,
                       csv_options *o, error *err) {
    memset(o, 0, sizeof *o);
    o->delim = ',';
    o->quote = '"';
    o->escape = '"';
    o->header = writer;
    o->nullstr = "";
    o->auto_detect = auto_detect;
    o->parallel = true;
    o->sample_rows = CSV_DEFAULT_SAMPLE_ROWS;
    o->range_size = CSV_DEFAULT_RANGE_SIZE;
    o->compression = CSV_COMPRESSION_AUTO;
    for (uint32_t i = 0; i < count; i++) {
        const csv_option *op = &opts[i];
        const char *n = op->name;
        int64_t iv = 0;
        const char *s = NULL;
        uint32_t len = 0;
        if (ieq(n, "header")) {
            if (!opt_bool(op, &o->header, err)) return false;
            o->header_set = true;
        } else if (ieq(n, "delim") || ieq(n, "sep") || ieq(n, "delimiter")) {
            if (!opt_char(op, false, &o->delim, err)) return false;
            if (o->delim == '\n' || o->delim == '\r')
                return error_set(err, EIDER_ERROR_BINDER, "CSV delimiter cannot be a newline");
            o->delim_set = true;
        } else if (ieq(n, "quote")) {
            if (!opt_char(op, true, &o->quote, err)) return false;
            o->quote_set = true;
            if (!o->escape_set) o->escape = o->quote;
        } else if (ieq(n, "escape")) {
            if (!opt_char(op, true, &o->escape, err)) return false;
            o->escape_set = true;
        } else if (ieq(n, "nullstr") || ieq(n, "null")) {
            if (!opt_string(op, &s, &len, err)) return false;
            char *copy = arena_strndup(a, s, len, err);
            if (!copy) return false;
            o->nullstr = copy;
            o->nullstr_len = len;
        } else if (ieq(n, "ignore_errors")) {
            if (!opt_bool(op, &o->ignore_errors, err)) return false;
        } else if (ieq(n, "auto_detect")) {
            if (!opt_bool(op, &o->auto_detect, err)) return false;
        } else if (ieq(n, "all_varchar")) {
            if (!opt_bool(op, &o->all_varchar, err)) return false;
        } else if (ieq(n, "parallel")) {
            if (!opt_bool(op, &o->parallel, err)) return false;
        } else if (ieq(n, "sample_size")) {
            if (!opt_int(op, &iv, err)) return false;
            o->sample_rows = iv <= 0 ? UINT64_MAX : (uint64_t)iv;
        } else if (ieq(n, "skip")) {
            if (!opt_int(op, &iv, err)) return false;
            if (iv < 0) return error_set(err, EIDER_ERROR_BINDER, "CSV option \"skip\" must not be negative");
            o->skip = (uint64_t)iv;
        } else if (ieq(n, "buffer_size")) {
            if (!opt_int(op, &iv, err)) return false;
            if (iv < 1) return error_set(err, EIDER_ERROR_BINDER, "CSV option \"buffer_size\" must be positive");
            o->range_size = (uint64_t)iv;
        } else if (ieq(n, "compression")) {
            if (!opt_string(op, &s, &len, err)) return false;
            if (len == 4 && strncasecmp(s, "auto", 4) == 0) o->compression = CSV_COMPRESSION_AUTO;
            else if (len == 4 && strncasecmp(s, "gzip", 4) == 0) o->compression = CSV_COMPRESSION_GZIP;
            else if ((len == 4 && strncasecmp(s, "none", 4) == 0) ||
                     (len == 12 && strncasecmp(s, "uncompressed", 12) == 0))
                o->compression = CSV_COMPRESSION_NONE;
            else
                return error_set(err, EIDER_ERROR_BINDER, "Unsupported compression \"%.*s\" (auto, gzip or none)",
                                 (int)len, s);
        } else if (ieq(n, "format")) {
            if (!opt_string(op, &s, &len, err)) return false;
            if (!(len == 3 && strncasecmp(s, "csv", 3) == 0))
                return error_set(err, EIDER_ERROR_BINDER, "Unsupported format \"%.*s\"", (int)len, s);
        } else if (ieq(n, "dateformat") || ieq(n, "date_format") || ieq(n, "timestampformat") ||
                   ieq(n, "timestamp_format")) {
            if (!opt_string(op, &s, &len, err)) return false;
            bool iso = (len == 8 && memcmp(s, "%Y-%m-%d", 8) == 0) ||
                       (len == 17 && memcmp(s, "%Y-%m-%d %H:%M:%S", 17) == 0) ||
                       (len == 20 && memcmp(s, "%Y-%m-%d %H:%M:%S.%f", 20) == 0);
            if (!iso)
                return error_set(err, EIDER_ERROR_NOT_IMPLEMENTED,
                                 "CSV option \"%s\" supports only ISO formats (%%Y-%%m-%%d [%%H:%%M:%%S]), got '%.*s'",
                                 n, (int)len, s);
        } else if (ieq(n, "new_line") || ieq(n, "newline")) {
            if (!opt_string(op, &s, &len, err)) return false; /* CR, LF and CRLF are all recognized */
        } else if (writer && ieq(n, "force_quote")) {
            if (op->value.type.id == TYPE_VARCHAR && op->value.u.str.length == 1 && op->value.u.str.data[0] == '*')
                o->force_quote_all = true;
            else if (!opt_bool(op, &o->force_quote_all, err))
                return false;
        } else {
            return error_set(err, EIDER_ERROR_BINDER, "Unrecognized option \"%s\" for %s", n,
                             writer ? "COPY ... TO (CSV)" : "read_csv");
        }
    }
    if (o->quote && o->quote == o->delim)
        return error_set(err, EIDER_ERROR_BINDER, "CSV quote and delimiter must differ");
    if (o->escape && !o->quote) o->escape = '\0';
    return true;
}

bool csv_is_gzip(const char *path, csv_compression c) {
    if (c == CSV_COMPRESSION_GZIP) return true;
    if (c == CSV_COMPRESSION_NONE) return false;
    size_t n = strlen(path);
    return n >= 3 && strcmp(path + n - 3, ".gz") == 0;
}

/* ---- files --------------------------------------------------------------------------------- */

bool csv_file_open(csv_file *f, const char *path, bool gzip, error *err) {
    f->fd = -1;
    f->gz = NULL;
    f->size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return error_set(err, EIDER_ERROR_IO, "No files found that match the pattern \"%s\"", path);
        return error_set(err, EIDER_ERROR_IO, "could not open %s: %s", path, strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        int e = S_ISDIR(st.st_mode) ? EISDIR : errno;
        close(fd);
        return error_set(err, EIDER_ERROR_IO, "could not open %s: %s", path, strerror(e));
    }
    if (!gzip) {
        f->fd = fd;
        f->size = (uint64_t)st.st_size;
        return true;
    }
    gzFile gz = gzdopen(fd, "rb");
    if (!gz) {
        close(fd);
        return error_set(err, EIDER_ERROR_IO, "could not open %s as gzip", path);
    }
    gzbuffer(gz, 256 * 1024);
    f->gz = gz;
    return true;
}

void csv_file_close(csv_file *f) {
    if (f->gz) gzclose((gzFile)f->gz);
    else if (f->fd >= 0) close(f->fd);
    f->gz = NULL;
    f->fd = -1;
}

int64_t csv_file_read(csv_file *f, const char *path, uint64_t offset, char *buf, size_t n, error *err) {
    size_t done = 0;
    if (f->gz) {
        while (done < n) {
            unsigned want = n - done > (1u << 30) ? (1u << 30) : (unsigned)(n - done);
            int r = gzread((gzFile)f->gz, buf + done, want);
            if (r < 0) {
                int zerr;
                const char *msg = gzerror((gzFile)f->gz, &zerr);
                error_set(err, EIDER_ERROR_IO, "could not read %s: %s", path, msg ? msg : "gzip error");
                return -1;
            }
            if (r == 0) break;
            done += (size_t)r;
        }
        return (int64_t)done;
    }
    while (done < n) {
        ssize_t r = pread(f->fd, buf + done, n - done, (off_t)(offset + done));
        if (r < 0) {
            if (errno == EINTR) continue;
            error_set(err, EIDER_ERROR_IO, "could not read %s: %s", path, strerror(errno));
            return -1;
        }
        if (r == 0) break;
        done += (size_t)r;
    }
    return (int64_t)done;
}

/* ---- buffers ------------------------------------------------------------------------------- */

bool csv_buffer_init(csv_buffer *b, buffer_pool *pool, size_t cap, error *err) {
    b->pool = pool;
    b->block = block_alloc(pool, TAG_CSV_READER, BLOCK_TEMPORARY, cap, err);
    if (!b->block) {
        b->data = NULL;
        b->cap = 0;
        return false;
    }
    b->data = block_data(b->block);
    b->cap = block_size(b->block);
    return true;
}

bool csv_buffer_grow(csv_buffer *b, size_t min_cap, size_t keep, error *err) {
    size_t cap = b->cap ? b->cap : CSV_READ_SIZE;
    while (cap < min_cap) cap *= 2;
    block_handle *nb = block_alloc(b->pool, TAG_CSV_READER, BLOCK_TEMPORARY, cap, err);
    if (!nb) return false;
    char *nd = block_data(nb);
    if (keep) memcpy(nd, b->data, keep);
    if (b->block) block_free(b->block);
    b->block = nb;
    b->data = nd;
    b->cap = block_size(nb);
    return true;
}

void csv_buffer_free(csv_buffer *b) {
    if (b->block) block_free(b->block);
    b->block = NULL;
    b->data = NULL;
    b->cap = 0;
}

/* ---- tokenizer ----------------------------------------------------------------------------- */

void csv_dialect_init(csv_dialect *d, char delim, char quote, char escape, bool strict) {
    memset(d, 0, sizeof *d);
    d->delim = delim;
    d->quote = quote;
    d->escape = quote ? escape : '\0';
    d->strict = strict;
    d->special[(uint8_t)delim] = 1;
    d->special['\n'] = 1;
    d->special['\r'] = 1;
    if (strict && quote) d->special[(uint8_t)quote] = 1;
}

csv_row_status csv_next_row(const csv_dialect *d, const char *buf, size_t len, size_t *pos, bool eof,
                            csv_field *fields, uint32_t max_fields, uint32_t *field_count) {
    size_t p = *pos;
    if (p >= len) return eof ? CSV_ROW_END : CSV_ROW_INCOMPLETE;
    const uint8_t *s = (const uint8_t *)buf;
    const uint8_t *special = d->special;
    const char quote = d->quote, escape = d->escape, delim = d->delim;
    uint32_t n = 0;
    for (;;) {
        size_t start;
        uint32_t flags = 0;
        if (quote && p < len && buf[p] == quote) {
            flags = CSV_FIELD_QUOTED;
            size_t q = p + 1;
            start = q;
            for (;;) {
                if (escape == quote || !escape) {
                    const void *hit = q < len ? memchr(buf + q, quote, len - q) : NULL;
                    q = hit ? (size_t)((const char *)hit - buf) : len;
                } else {
                    while (q < len && buf[q] != quote && buf[q] != escape) q++;
                }
                if (q >= len) return eof ? CSV_ROW_BAD_QUOTE : CSV_ROW_INCOMPLETE;
                if (buf[q] != quote) { /* escape character (distinct from the quote) */
                    if (q + 1 >= len) return eof ? CSV_ROW_BAD_QUOTE : CSV_ROW_INCOMPLETE;
                    q += 2;
                    flags |= CSV_FIELD_ESCAPED;
                    continue;
                }
                if (escape == quote) {
                    if (q + 1 >= len && !eof) return CSV_ROW_INCOMPLETE;
                    if (q + 1 < len && buf[q + 1] == quote) {
                        q += 2;
                        flags |= CSV_FIELD_ESCAPED;
                        continue;
                    }
                }
                break;
            }
            if (n < max_fields) {
                fields[n].start = (uint32_t)start;
                fields[n].length = (uint32_t)(q - start);
                fields[n].flags = flags;
            }
            n++;
            p = q + 1;
            if (p < len && buf[p] != delim && buf[p] != '\n' && buf[p] != '\r') return CSV_ROW_BAD_QUOTE;
        } else {
            start = p;
            while (p < len && !special[s[p]]) p++;
            if (p < len && d->strict && quote && buf[p] == quote) return CSV_ROW_BAD_QUOTE;
            if (n < max_fields) {
                fields[n].start = (uint32_t)start;
                fields[n].length = (uint32_t)(p - start);
                fields[n].flags = 0;
            }
            n++;
        }
        if (p >= len) {
            if (!eof) return CSV_ROW_INCOMPLETE;
            *pos = p;
            *field_count = n;
            return CSV_ROW_OK;
        }
        char c = buf[p];
        if (c == delim) {
            p++;
            continue;
        }
        if (c == '\r') {
            if (p + 1 >= len && !eof) return CSV_ROW_INCOMPLETE;
            p++;
            if (p < len && buf[p] == '\n') p++;
        } else {
            p++;
        }
        *pos = p;
        *field_count = n;
        return CSV_ROW_OK;
    }
}

uint32_t csv_unescape(const csv_dialect *d, const char *buf, const csv_field *f, char *out) {
    const char *s = buf + f->start;
    uint32_t n = 0;
    for (uint32_t i = 0; i < f->length; i++) {
        char c = s[i];
        if (d->escape && c == d->escape && i + 1 < f->length && (d->escape != d->quote || s[i + 1] == d->quote)) {
            out[n++] = s[++i];
            continue;
        }
        out[n++] = c;
    }
    return n;
}

bool csv_parse_bool(const char *s, size_t len, bool *out) {
    while (len && (*s == ' ' || *s == '\t')) s++, len--;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
    static const char *const yes[] = {"true", "t", "yes", "y", "1"};
    static const char *const no[] = {"false", "f", "no", "n", "0"};
    for (int i = 0; i < 5; i++) {
        if (strlen(yes[i]) == len && strncasecmp(s, yes[i], len) == 0) return *out = true, true;
        if (strlen(no[i]) == len && strncasecmp(s, no[i], len) == 0) return *out = false, true;
    }
    return false;
}
