/*
 * csv_internal.h — what the CSV modules share: the parsed options, the file access layer
 * (plain files read with pread at any offset, gzip files read sequentially through zlib), the
 * row tokenizer, and the sniffer that detects dialect, header and column types.
 *
 * The tokenizer works on a byte buffer and splits one row at a time into field spans (offsets
 * into the buffer); it never copies bytes. A row that the buffer's end cuts off is reported as
 * incomplete, and the caller refills and tokenizes it again from its start.
 */
#ifndef EIDER_CSV_INTERNAL_H
#define EIDER_CSV_INTERNAL_H

#include <stdio.h>

#include "function/csv.h"
#include "memory/pool.h"

#define CSV_DEFAULT_RANGE_SIZE ((uint64_t)8 << 20)  /* bytes of file per parallel morsel */
#define CSV_READ_SIZE ((size_t)1 << 20)              /* initial read buffer */
#define CSV_MAX_ROW_SIZE ((size_t)64 << 20)          /* a row longer than this is an error */
#define CSV_DEFAULT_SAMPLE_ROWS 20480
#define CSV_SNIFF_MAX_BYTES ((size_t)16 << 20)       /* the sniffer reads at most this much */
#define CSV_MAX_COLUMNS 100000

typedef enum csv_compression { CSV_COMPRESSION_AUTO, CSV_COMPRESSION_NONE, CSV_COMPRESSION_GZIP } csv_compression;

/* Options after parsing; *_set says whether the user gave the value (else the sniffer may
 * choose it). quote / escape '\0' mean none. */
typedef struct csv_options {
    char delim, quote, escape;
    bool delim_set, quote_set, escape_set;
    bool header, header_set;
    const char *nullstr; /* NUL-terminated, in the arena */
    uint32_t nullstr_len;
    bool ignore_errors;
    bool auto_detect;
    bool all_varchar;
    bool parallel;
    bool force_quote_all; /* writer: quote every non-NULL value */
    uint64_t sample_rows;
    uint64_t skip;
    uint64_t range_size;
    csv_compression compression;
} csv_options;

/* Parses req-style options. `writer` selects the writer's defaults (header true) and the
 * options it accepts. Unknown options or bad values: Binder Error. */
bool csv_options_parse(const csv_option *opts, uint32_t count, bool auto_detect, bool writer, arena *a,
                       csv_options *out, error *err);

/* Whether a path names a gzip file under these options (.gz suffix with compression auto). */
bool csv_is_gzip(const char *path, csv_compression c);

/* ---- file access ---------------------------------------------------------------------------- */

typedef struct csv_file {
    int fd;           /* plain file, -1 when gzip */
    void *gz;         /* gzFile, NULL when plain */
    uint64_t size;    /* plain: file size */
} csv_file;

/* Opens path; a missing file gives the IO Error DuckDB gives. */
bool csv_file_open(csv_file *f, const char *path, bool gzip, error *err);
void csv_file_close(csv_file *f);
/* Plain: reads up to n bytes at offset (short only at end of file). Gzip: reads the next n bytes
 * of the stream (offset ignored). Returns bytes read, or -1 with err set. */
int64_t csv_file_read(csv_file *f, const char *path, uint64_t offset, char *buf, size_t n, error *err);

/* ---- a growable buffer in pool blocks (tag CSV_READER) -------------------------------------- */

typedef struct csv_buffer {
    buffer_pool *pool;
    block_handle *block;
    char *data;
    size_t cap;
} csv_buffer;

bool csv_buffer_init(csv_buffer *b, buffer_pool *pool, size_t cap, error *err);
/* Grows to at least min_cap keeping the first `keep` bytes. */
bool csv_buffer_grow(csv_buffer *b, size_t min_cap, size_t keep, error *err);
void csv_buffer_free(csv_buffer *b);

/* ---- tokenizer ------------------------------------------------------------------------------- */

#define CSV_FIELD_QUOTED 1u  /* the field was quoted */
#define CSV_FIELD_ESCAPED 2u /* the field holds escape sequences: unescape before use */

typedef struct csv_field {
    uint32_t start; /* offset in the buffer of the field's content (inside the quotes) */
    uint32_t length;
    uint32_t flags;
} csv_field;

typedef enum csv_row_status {
    CSV_ROW_OK,
    CSV_ROW_INCOMPLETE, /* the buffer ends inside the row (and the input does not) */
    CSV_ROW_END,        /* no more rows: pos is at the end of the input */
    CSV_ROW_BAD_QUOTE   /* unterminated quote, or text after a closing quote */
} csv_row_status;

typedef struct csv_dialect {
    char delim, quote, escape; /* quote/escape '\0': none */
    bool strict;               /* a quote inside an unquoted field is an error (boundary checks) */
    uint8_t special[256];      /* delim, CR, LF (and quote when strict) */
} csv_dialect;

void csv_dialect_init(csv_dialect *d, char delim, char quote, char escape, bool strict);

/* Splits the row starting at *pos of buf[0..len) into fields (up to max_fields spans kept in
 * fields; *field_count receives the full count). eof: buf ends where the input ends. On
 * CSV_ROW_OK *pos moves past the row's terminator. */
csv_row_status csv_next_row(const csv_dialect *d, const char *buf, size_t len, size_t *pos, bool eof,
                            csv_field *fields, uint32_t max_fields, uint32_t *field_count);

/* Copies the field's content into out (room for f->length bytes) resolving escapes; returns
 * the new length. */
uint32_t csv_unescape(const csv_dialect *d, const char *buf, const csv_field *f, char *out);

/* Position after `lines` raw lines (each ended by CR, LF or CRLF) from pos, or len. */
size_t csv_skip_lines(const char *buf, size_t len, size_t pos, uint64_t lines);

/* True when a row is blank (one empty unquoted field). */
static inline bool csv_row_blank(const csv_field *fields, uint32_t count) {
    return count == 1 && fields[0].length == 0 && !(fields[0].flags & CSV_FIELD_QUOTED);
}

/* ---- sniffer --------------------------------------------------------------------------------- */

typedef struct csv_schema {
    csv_dialect dialect;
    bool header;
    uint32_t column_count;
    char **names;        /* in the arena */
    logical_type *types; /* in the arena */
} csv_schema;

/* Decides dialect, header, names and types (from options, the request and the file's first
 * rows). */
bool csv_sniff(buffer_pool *pool, arena *a, const csv_read_request *req, const csv_options *o, bool gzip,
               csv_schema *out, error *err);

/* Each of csv_scan.c and csv_write.c defines one of these and references the other's, so linking
 * either object from the static library links both (their public functions then replace any
 * weak fallbacks). */
extern const char csv_scan_module[];
extern const char csv_write_module[];

/* Parses a BOOLEAN as casts do (true/t/yes/y/1, false/f/no/n/0, any case, surrounding spaces). */
bool csv_parse_bool(const char *s, size_t len, bool *out);

#endif
