/*
 * slt.h — eider's sqllogictest runner (`eider_slt FILE.test...`): parses test files in
 * DuckDB's sqllogictest dialect into records and runs them through the public API.
 *
 * Records: `statement ok|error|maybe [connection]`, `query <types> [nosort|rowsort|valuesort|
 * connection] [label]`, `loop var from to` / `foreach var v1 v2...` ... `endloop`, `require`,
 * `mode skip|unskip`, `halt`, `skipif X` / `onlyif X`, `load [path]`, `restart`, `reconnect`,
 * `# comments`. `${var}` and `__TEST_DIR__` are substituted in SQL and expected text.
 */
#ifndef EIDER_SLT_H
#define EIDER_SLT_H

#include <stdbool.h>
#include <stddef.h>

typedef enum slt_kind {
    SLT_STATEMENT,
    SLT_QUERY,
    SLT_LOOP,
    SLT_FOREACH,
    SLT_ENDLOOP,
    SLT_MODE,
    SLT_HALT,
    SLT_REQUIRE,
    SLT_SKIPIF,   /* the next record is skipped when the argument names this engine */
    SLT_ONLYIF,   /* the next record runs only when the argument names this engine */
    SLT_LOAD,
    SLT_RESTART,
    SLT_RECONNECT,
    SLT_MALFORMED /* a line the parser could not read; running it reports a failure */
} slt_kind;

typedef enum slt_expect { SLT_EXPECT_OK, SLT_EXPECT_ERROR, SLT_EXPECT_MAYBE } slt_expect;
typedef enum slt_sort { SLT_SORT_NONE, SLT_SORT_ROWS, SLT_SORT_VALUES } slt_sort;

/* One record. Strings point into the file's text (owned by slt_file) except tok, which is a
 * malloc'd array of pointers into the text. */
typedef struct slt_record {
    slt_kind kind;
    int line;          /* 1-based line of the record's first line */
    char **tok;        /* words of the first line */
    int ntok;
    /* statement and query */
    slt_expect expect;
    const char *connection; /* NULL: the default connection */
    const char *types;      /* query: the type letters */
    slt_sort sort;
    const char *label;
    int sql_first, sql_count;           /* line indexes (0-based) of the SQL */
    bool has_dashes;                    /* a ---- line followed the SQL */
    int expected_first, expected_count; /* line indexes of the expected text */
    /* loop and foreach */
    const char *var;
    long from, to;
    int end; /* index of the matching SLT_ENDLOOP record */
    /* malformed */
    const char *problem;
} slt_record;

typedef struct slt_file {
    const char *path;
    char *text;   /* the file's bytes, split into lines in place */
    char **lines; /* nlines pointers into text */
    int nlines;
    slt_record *records;
    int nrecords;
} slt_file;

/* Reads and parses path. Returns false (with a message on stderr) only when the file cannot be
 * read; malformed records become SLT_MALFORMED records. */
bool slt_file_load(slt_file *f, const char *path);
void slt_file_free(slt_file *f);

typedef struct slt_totals {
    long passed;
    long failed;
    long skipped;
    bool verbose;
} slt_totals;

/* Runs every record of a parsed file against a fresh in-memory database, printing failures
 * (file:line, SQL, expected and actual) to stdout and adding to totals. */
void slt_file_run(const slt_file *f, slt_totals *totals);

#endif
