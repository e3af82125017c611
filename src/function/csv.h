/*
 * csv.h — reading and writing CSV files: the read_csv / read_csv_auto table functions and
 * `FROM 'file.csv'`, COPY ... FROM and COPY ... TO.
 *
 * Reading streams: the file is read in buffers tagged CSV_READER (never whole), split into
 * ranges that threads parse in parallel, each range resynchronizing on a row boundary (quoted
 * newlines handled). Gzip-compressed files (.gz) are read through zlib. A sniffer detects the
 * delimiter, quote, header and column types from a sample when asked to (auto_detect).
 */
#ifndef EIDER_CSV_H
#define EIDER_CSV_H

#include "common/vector.h"
#include "execution/physical.h"

typedef struct eider_database eider_database;

/* One named option as written: read_csv('x', header=true, delim=';') or COPY (HEADER, DELIMITER ';').
 * Names are lower-case; a bare COPY option (HEADER) has value TRUE. Options known: header,
 * delim / sep / delimiter, quote, escape, nullstr / null, ignore_errors, auto_detect,
 * sample_size, compression ('auto', 'gzip', 'none'), dateformat, timestampformat, all_varchar,
 * new_line, skip, force_quote (writer), format ('csv'). Unknown options: Binder Error. */
typedef struct csv_option {
    const char *name;
    value value;
} csv_option;

/* columns={'a': 'BIGINT', ...}: names and types, in order (disables type detection). */
typedef struct csv_column {
    const char *name;
    logical_type type;
} csv_column;

typedef struct csv_read_request {
    const char *path;
    const csv_option *options;
    uint32_t option_count;
    const csv_column *columns; /* NULL when not given */
    uint32_t column_count;
    bool auto_detect;          /* read_csv_auto and FROM 'file': detect unless told otherwise */
    /* COPY t FROM: the target table's columns, used as the file's schema */
    const logical_type *target_types;
    uint32_t target_count;
} csv_read_request;

typedef struct csv_scan_plan {
    physical_op *op; /* a source operator (parallel: morsels are file ranges) */
    uint32_t column_count;
    const char **names;
    logical_type *types;
} csv_scan_plan;

/* Opens the file, sniffs what it must, and makes the scan operator (allocated in a; its blocks
 * and file handles are released by its destroy). Missing file: IO Error with the path. Rows that
 * do not parse fail the query with "Conversion Error: ... at line N of x.csv, column c: value 'v'"
 * unless ignore_errors. */
bool csv_scan_plan_create(eider_database *db, arena *a, const csv_read_request *req, csv_scan_plan *out, error *err);

typedef struct csv_write_request {
    const char *path;
    const csv_option *options;
    uint32_t option_count;
    const char *const *names; /* column names, for the header */
} csv_write_request;

/* A sink that writes its input rows to a CSV file (RFC 4180 quoting). The file is written to a
 * temporary name and renamed at finalize, so a failed COPY leaves no partial file. *rows_out
 * receives the number of rows written. */
physical_op *csv_write_create(arena *a, physical_op *child, const csv_write_request *req, uint64_t *rows_out,
                              error *err);

/* Rows skipped so far by a CSV scan operator made by csv_scan_plan_create (ignore_errors=true);
 * 0 for any other operator. */
uint64_t csv_scan_rejected_rows(const physical_op *op);
/* What the scan decided (given or detected): whether the first row is a header, and the
 * delimiter. */
bool csv_scan_header(const physical_op *op);
char csv_scan_delimiter(const physical_op *op);

#endif
