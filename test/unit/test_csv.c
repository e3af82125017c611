/*
 * test_csv.c — the CSV reader and writer below SQL: sniffing (delimiter, quote, header, types,
 * names), quoting and escapes, quoted newlines across many small parallel ranges (one and
 * several threads give the same rows), NULLs, errors with exact line numbers, ignore_errors
 * counting, gzip, the writer's round trip with tricky strings, a failed write leaving no file,
 * and the pool's bytes back to their baseline after each scan.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "common/arena.h"
#include "common/vector.h"
#include "eider.h"
#include "execution/executor.h"
#include "execution/operators.h"
#include "function/cast.h"
#include "function/csv.h"
#include "main/database.h"
#include "main/result.h"
#include "memory/pool.h"
#include "test_util.h"

static eider_database *db;
static char dir[128];

static void expect_text(const char *where, const char *got, const char *want) {
    if (got && want && strcmp(got, want) == 0) passed++;
    else {
        failed++;
        fprintf(stderr, "%s:\n  expected [%s]\n  got      [%s]\n", where, want ? want : "(null)", got ? got : "(null)");
    }
}

static void expect_contains(const char *where, const char *got, const char *needle) {
    if (got && strstr(got, needle)) passed++;
    else {
        failed++;
        fprintf(stderr, "%s: expected to contain [%s], got [%s]\n", where, needle, got ? got : "(null)");
    }
}

static char *path_of(const char *name) {
    static char buf[4][512];
    static int k;
    char *p = buf[k++ & 3];
    snprintf(p, 512, "%s/%s", dir, name);
    return p;
}

static void write_file(const char *name, const char *text) {
    FILE *f = fopen(path_of(name), "wb");
    fwrite(text, 1, strlen(text), f);
    fclose(f);
}

static char *read_whole(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    return s;
}

/* ---- running a scan ------------------------------------------------------------------------ */

typedef struct text {
    char *s;
    size_t len, cap;
} text;

static void text_add(text *t, const char *s, size_t n) {
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->s = realloc(t->s, t->cap);
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

/* Appends each row as "v1|v2|...\n" (NULL for NULL, newlines as \n). */
static void format_chunk(text *t, const chunk *c) {
    char buf[4096];
    for (uint32_t r = 0; r < c->count; r++) {
        for (uint32_t col = 0; col < c->column_count; col++) {
            if (col) text_add(t, "|", 1);
            value v = vector_get_value(&c->columns[col], r);
            if (v.is_null) {
                text_add(t, "NULL", 4);
                continue;
            }
            size_t n = value_to_text(&v, buf, sizeof buf);
            if (n >= sizeof buf) n = sizeof buf - 1;
            for (size_t i = 0; i < n; i++) {
                if (buf[i] == '\n') text_add(t, "\\n", 2);
                else if (buf[i] == '\r') text_add(t, "\\r", 2);
                else text_add(t, &buf[i], 1);
            }
        }
        text_add(t, "\n", 1);
    }
}

typedef struct worker {
    physical_op *op;
    exec_context *ctx;
    chunk *c;
    text out;
    error err;
    bool ok;
} worker;

static void *run_worker(void *arg) {
    worker *w = arg;
    error_clear(&w->err);
    void *local = w->op->vt->source_local_init(w->op, w->ctx, &w->err);
    w->ok = !error_is_set(&w->err);
    while (w->ok) {
        chunk_reset(w->c);
        w->ok = w->op->vt->get_data(w->op, w->ctx, local, w->c, &w->err);
        if (!w->ok || w->c->count == 0) break;
        format_chunk(&w->out, w->c);
    }
    if (local) w->op->vt->source_local_destroy(w->op, local);
    return NULL;
}

static int cmp_lines(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Sorts the lines of s in place (rows from several threads come in any order). */
static void sort_lines(char *s) {
    size_t n = 0;
    for (char *p = s; *p; p++) n += *p == '\n';
    char **lines = malloc(sizeof(char *) * (n + 1));
    char *copy = strdup(s);
    size_t k = 0;
    for (char *p = strtok(copy, "\n"); p; p = strtok(NULL, "\n")) lines[k++] = p;
    qsort(lines, k, sizeof(char *), cmp_lines);
    char *w = s;
    for (size_t i = 0; i < k; i++) w += sprintf(w, "%s\n", lines[i]);
    *w = '\0';
    free(lines);
    free(copy);
}

typedef struct scan_result {
    char *rows;   /* malloc'ed; NULL on error */
    char header[1024]; /* "name:TYPE,name:TYPE" */
    char error[ERROR_MESSAGE_MAX];
    uint64_t rejected;
    bool has_header;
    char delim;
} scan_result;

static void scan_result_free(scan_result *r) { free(r->rows); }

/* Reads path with the options (name, VARCHAR or BOOLEAN/BIGINT value) on `threads` threads;
 * checks that the pool's CSV_READER bytes and total bytes come back to where they were. */
static scan_result run_scan_full(const char *path, const csv_option *opts, uint32_t nopts, const csv_column *cols,
                                 uint32_t ncols, bool auto_detect, uint32_t threads, bool sorted) {
    scan_result res;
    memset(&res, 0, sizeof res);
    buffer_pool *pool = db->pool;
    uint64_t base = pool_used_bytes(pool);
    arena *a = arena_create(pool, TAG_ALLOCATOR);
    error err;
    error_clear(&err);
    csv_read_request req = {path, opts, nopts, cols, ncols, auto_detect, NULL, 0};
    csv_scan_plan plan;
    if (!csv_scan_plan_create(db, a, &req, &plan, &err)) {
        snprintf(res.error, sizeof res.error, "%s", err.message);
        arena_destroy(a);
        CHECK(pool_used_bytes(pool) == base);
        return res;
    }
    size_t hl = 0;
    for (uint32_t c = 0; c < plan.column_count; c++) {
        char tb[TYPE_NAME_MAX];
        hl += (size_t)snprintf(res.header + hl, sizeof res.header - hl, "%s%s:%s", c ? "," : "", plan.names[c],
                               type_to_string(plan.types[c], tb));
        if (hl >= sizeof res.header) hl = sizeof res.header - 1;
    }
    res.has_header = csv_scan_header(plan.op);
    res.delim = csv_scan_delimiter(plan.op);
    exec_context ctx = {.pool = pool, .arena = a, .threads = threads};
    physical_op *op = plan.op;
    bool ok = op->vt->source_init(op, &ctx, &err);
    worker w[8];
    memset(w, 0, sizeof w);
    for (uint32_t t = 0; ok && t < threads; t++) {
        w[t].op = op;
        w[t].ctx = &ctx;
        w[t].c = chunk_create(a, op->types, op->column_count, &err);
        ok = w[t].c != NULL;
    }
    if (ok) {
        pthread_t th[8];
        for (uint32_t t = 0; t < threads; t++) pthread_create(&th[t], NULL, run_worker, &w[t]);
        for (uint32_t t = 0; t < threads; t++) pthread_join(th[t], NULL);
        text all = {0};
        text_add(&all, "", 0);
        for (uint32_t t = 0; t < threads; t++) {
            if (!w[t].ok && !error_is_set(&err)) err = w[t].err;
            if (w[t].out.s) text_add(&all, w[t].out.s, w[t].out.len);
        }
        if (!error_is_set(&err)) {
            if (sorted) sort_lines(all.s);
            res.rows = all.s;
        } else {
            free(all.s);
        }
    }
    for (uint32_t t = 0; t < threads; t++) {
        free(w[t].out.s);
        if (w[t].c) chunk_destroy(w[t].c);
    }
    if (error_is_set(&err)) snprintf(res.error, sizeof res.error, "%s", err.message);
    res.rejected = csv_scan_rejected_rows(op);
    arena_destroy(a);
    CHECK(pool_tag_used_bytes(pool, TAG_CSV_READER) == 0);
    CHECK(pool_used_bytes(pool) == base);
    return res;
}

static scan_result run_scan(const char *path, const csv_option *opts, uint32_t nopts) {
    return run_scan_full(path, opts, nopts, NULL, 0, true, 1, false);
}

static csv_option opt_s(const char *name, const char *v) {
    csv_option o = {name, value_varchar(v, (uint32_t)strlen(v))};
    return o;
}
static csv_option opt_b(const char *name, bool v) {
    csv_option o = {name, value_boolean(v)};
    return o;
}
static csv_option opt_i(const char *name, int64_t v) {
    csv_option o = {name, value_bigint(v)};
    return o;
}

/* Reads and compares header and rows (rows in file order). */
static void expect_scan(const char *where, const char *name, const csv_option *opts, uint32_t nopts,
                        const char *header, const char *rows) {
    scan_result r = run_scan(path_of(name), opts, nopts);
    if (r.error[0]) {
        failed++;
        fprintf(stderr, "%s: unexpected error %s\n", where, r.error);
    } else {
        expect_text(where, r.header, header);
        expect_text(where, r.rows, rows);
    }
    scan_result_free(&r);
}

/* ---- sniffing and parsing -------------------------------------------------------------------- */

static void test_basic(void) {
    write_file("basic.csv", "a,b,c\n1,hello,2.5\n2,world,3\n");
    expect_scan("basic", "basic.csv", NULL, 0, "a:BIGINT,b:VARCHAR,c:DOUBLE", "1|hello|2.5\n2|world|3.0\n");
    write_file("noheader.csv", "1,hello\n2,world\n");
    expect_scan("no header", "noheader.csv", NULL, 0, "column0:BIGINT,column1:VARCHAR", "1|hello\n2|world\n");
    write_file("noeol.csv", "x,y\n1,2");
    expect_scan("no final newline", "noeol.csv", NULL, 0, "x:BIGINT,y:BIGINT", "1|2\n");
    write_file("crlf.csv", "x,y\r\n1,a\r\n2,b\r\n");
    expect_scan("crlf", "crlf.csv", NULL, 0, "x:BIGINT,y:VARCHAR", "1|a\n2|b\n");
    write_file("empty.csv", "");
    expect_scan("empty file", "empty.csv", NULL, 0, "column0:VARCHAR", "");
    write_file("headeronly.csv", "foo;bar\n");
    expect_scan("header only", "headeronly.csv", NULL, 0, "foo:VARCHAR,bar:VARCHAR", "");
    write_file("dup.csv", "a,a,b,A\n1,2,3,4\n");
    expect_scan("duplicate names", "dup.csv", NULL, 0, "a:BIGINT,a_1:BIGINT,b:BIGINT,A_2:BIGINT", "1|2|3|4\n");
    write_file("wide.csv", "0,1,2,3,4,5,6,7,8,9,10,11\n");
    csv_option nh = opt_b("header", false);
    scan_result r = run_scan(path_of("wide.csv"), &nh, 1);
    expect_contains("padded names", r.header, "column00:BIGINT,column01:BIGINT");
    expect_contains("padded names", r.header, "column11:BIGINT");
    scan_result_free(&r);
    write_file("blank.csv", "a,b\n1,2\n\n3,4\n");
    expect_scan("blank lines skipped", "blank.csv", NULL, 0, "a:BIGINT,b:BIGINT", "1|2\n3|4\n");
    write_file("onecol.csv", "x\n1\n\n2\n");
    expect_scan("blank line is NULL in one column", "onecol.csv", NULL, 0, "x:BIGINT", "1\nNULL\n2\n");
    write_file("skip.csv", "junk line\nmore, junk\na,b\n1,2\n");
    csv_option sk = opt_i("skip", 2);
    expect_scan("skip", "skip.csv", &sk, 1, "a:BIGINT,b:BIGINT", "1|2\n");
}

static void test_sniff_dialect(void) {
    write_file("semi.csv", "a;b\n1;x,y\n2;z\n");
    expect_scan("semicolon", "semi.csv", NULL, 0, "a:BIGINT,b:VARCHAR", "1|x,y\n2|z\n");
    write_file("pipe.csv", "a|b|c\n1|2|3\n");
    expect_scan("pipe", "pipe.csv", NULL, 0, "a:BIGINT,b:BIGINT,c:BIGINT", "1|2|3\n");
    write_file("tab.tsv", "a\tb\n1\t\"x\ny\"\n2\tz\n");
    scan_result r = run_scan(path_of("tab.tsv"), NULL, 0);
    CHECK(r.delim == '\t');
    expect_text("tab", r.rows, "1|x\\ny\n2|z\n");
    scan_result_free(&r);
    write_file("single.csv", "a,b\n'x,1',2\n'y',3\n");
    expect_scan("single quote", "single.csv", NULL, 0, "a:VARCHAR,b:BIGINT", "x,1|2\ny|3\n");
    write_file("inch.csv", "name,size\n5\" screen,3\nbig,4\n");
    expect_scan("stray quote: no quoting", "inch.csv", NULL, 0, "name:VARCHAR,size:BIGINT", "5\" screen|3\nbig|4\n");
    csv_option d[2] = {opt_s("delim", "|"), opt_b("header", true)};
    write_file("given.csv", "a|b\n1,5|2\n");
    expect_scan("given delimiter", "given.csv", d, 2, "a:VARCHAR,b:BIGINT", "1,5|2\n");
}

static void test_quoting(void) {
    write_file("q.csv", "id,s\n1,\"a,b\"\n2,\"say \"\"hi\"\"\"\n3,\"multi\nline\"\n4,\"\"\n5,plain\n");
    expect_scan("quotes", "q.csv", NULL, 0, "id:BIGINT,s:VARCHAR",
                "1|a,b\n2|say \"hi\"\n3|multi\\nline\n4|NULL\n5|plain\n");
    write_file("esc.csv", "id,s\n1,\"a\\\"b\"\n2,\"c\\\\d\"\n");
    csv_option e[2] = {opt_s("escape", "\\"), opt_s("quote", "\"")};
    expect_scan("backslash escape", "esc.csv", e, 2, "id:BIGINT,s:VARCHAR", "1|a\"b\n2|c\\d\n");
    write_file("badq.csv", "a,b\n1,\"x\n2,y\n");
    csv_option q[2] = {opt_s("quote", "\""), opt_b("header", true)};
    scan_result r = run_scan(path_of("badq.csv"), q, 2);
    expect_contains("unterminated quote", r.error, "Invalid Input Error: unterminated quoted field");
    expect_contains("unterminated quote", r.error, "line 2 of");
    scan_result_free(&r);
    write_file("longs.csv", "s\n\"a string longer than twelve bytes, with \"\"quotes\"\" inside\"\nshort\n");
    expect_scan("long strings", "longs.csv", NULL, 0, "s:VARCHAR",
                "a string longer than twelve bytes, with \"quotes\" inside\nshort\n");
}

static void test_types_and_nulls(void) {
    write_file("types.csv", "b,i,d,dt,ts,s\n"
                            "true,1,1.5,2020-01-01,2020-01-01 10:00:00,x\n"
                            "false,-20,2,2021-12-31,2021-12-31T23:59:59.5,y\n"
                            ",,,,,\n");
    expect_scan("types", "types.csv", NULL, 0, "b:BOOLEAN,i:BIGINT,d:DOUBLE,dt:DATE,ts:TIMESTAMP,s:VARCHAR",
                "true|1|1.5|2020-01-01|2020-01-01 10:00:00|x\n"
                "false|-20|2.0|2021-12-31|2021-12-31 23:59:59.5|y\n"
                "NULL|NULL|NULL|NULL|NULL|NULL\n");
    write_file("nullstr.csv", "a,b\n1,NA\nNA,x\n3,\"NA\"\n");
    csv_option n = opt_s("nullstr", "NA");
    expect_scan("nullstr", "nullstr.csv", &n, 1, "a:BIGINT,b:VARCHAR", "1|NULL\nNULL|x\n3|NA\n");
    csv_option av = opt_b("all_varchar", true);
    expect_scan("all_varchar", "basic.csv", &av, 1, "a:VARCHAR,b:VARCHAR,c:VARCHAR", "1|hello|2.5\n2|world|3\n");
    /* columns given */
    csv_column cols[2] = {{"x", type_make(TYPE_INTEGER)}, {"y", type_decimal(10, 2)}};
    write_file("cols.csv", "x,y\n1,2.345\n-7,0.5\n");
    scan_result r = run_scan_full(path_of("cols.csv"), NULL, 0, cols, 2, true, 1, false);
    expect_text("columns", r.header, "x:INTEGER,y:DECIMAL(10,2)");
    expect_text("columns", r.rows, "1|2.35\n-7|0.50\n");
    CHECK(r.has_header);
    scan_result_free(&r);
    r = run_scan_full(path_of("cols.csv"), NULL, 0, NULL, 0, false, 1, false);
    expect_contains("no columns without auto_detect", r.error, "Binder Error: read_csv requires columns");
    scan_result_free(&r);
    /* a mixed column falls back to VARCHAR; an int column with a later double is DOUBLE */
    write_file("mixed.csv", "a,b\n1,1\nx,2.5\n");
    expect_scan("mixed", "mixed.csv", NULL, 0, "a:VARCHAR,b:DOUBLE", "1|1.0\nx|2.5\n");
}

static void test_errors(void) {
    scan_result r = run_scan(path_of("missing.csv"), NULL, 0);
    char want[600];
    snprintf(want, sizeof want, "IO Error: No files found that match the pattern \"%s\"", path_of("missing.csv"));
    expect_text("missing file", r.error, want);
    scan_result_free(&r);

    /* a conversion error far into the file, found in one of many small ranges */
    text t = {0};
    text_add(&t, "a,b\n", 4);
    char line[64];
    for (int i = 1; i <= 3000; i++) {
        int n = i == 2500 ? snprintf(line, sizeof line, "abc,\"q\nq\"\n") : snprintf(line, sizeof line, "%d,\"v\n%d\"\n", i, i);
        text_add(&t, line, (size_t)n);
    }
    write_file("late.csv", t.s);
    free(t.s);
    csv_column cols[2] = {{"a", type_make(TYPE_BIGINT)}, {"b", type_make(TYPE_VARCHAR)}};
    snprintf(want, sizeof want,
             "Conversion Error: Could not convert string 'abc' to INT64 at line 2501 of %s, column 'a'",
             path_of("late.csv"));
    for (uint32_t threads = 1; threads <= 3; threads += 2) {
        for (int64_t rs = 33; rs <= 1 << 20; rs *= 177) {
            csv_option o[2] = {opt_i("buffer_size", rs), opt_b("header", true)};
            r = run_scan_full(path_of("late.csv"), o, 2, cols, 2, true, threads, true);
            expect_text("conversion error line", r.error, want);
            scan_result_free(&r);
        }
    }
    csv_option ig[2] = {opt_b("ignore_errors", true), opt_b("header", true)};
    r = run_scan_full(path_of("late.csv"), ig, 2, cols, 2, true, 1, false);
    CHECK(r.rows != NULL && r.rejected == 1);
    CHECK(r.rows && strstr(r.rows, "2499|v\\n2499\n2501|v\\n2501\n"));
    scan_result_free(&r);

    write_file("fields.csv", "a,b\n1,2\n3,4,5\n6\n7,8\n");
    csv_option h = opt_b("header", true);
    csv_column c2[2] = {{"a", type_make(TYPE_BIGINT)}, {"b", type_make(TYPE_BIGINT)}};
    r = run_scan_full(path_of("fields.csv"), &h, 1, c2, 2, true, 1, false);
    snprintf(want, sizeof want,
             "Invalid Input Error: CSV row has the wrong number of fields: expected 2 fields, found 3 at line 3 of %s",
             path_of("fields.csv"));
    expect_text("too many fields", r.error, want);
    scan_result_free(&r);
    csv_option hi[2] = {opt_b("header", true), opt_b("ignore_errors", true)};
    r = run_scan_full(path_of("fields.csv"), hi, 2, c2, 2, true, 1, false);
    expect_text("ignore_errors rows", r.rows, "1|2\n7|8\n");
    CHECK(r.rejected == 2);
    scan_result_free(&r);

    csv_option bad = opt_s("bogus", "1");
    r = run_scan(path_of("basic.csv"), &bad, 1);
    expect_text("unknown option", r.error, "Binder Error: Unrecognized option \"bogus\" for read_csv");
    scan_result_free(&r);
}

/* Quoted newlines everywhere, read in ranges of many sizes on 1 and 4 threads: the same rows as a
 * single read. */
static void test_parallel_ranges(void) {
    text t = {0};
    text_add(&t, "id,s,n\n", 7);
    char line[256];
    srand(7);
    for (int i = 0; i < 2000; i++) {
        int kind = rand() % 5, n;
        switch (kind) {
        case 0: n = snprintf(line, sizeof line, "%d,\"multi\nline %d\n\",%d\n", i, i, i * 3); break;
        case 1: n = snprintf(line, sizeof line, "%d,\"with \"\"quotes\"\", and, commas\",%d\n", i, -i); break;
        case 2: n = snprintf(line, sizeof line, "%d,plain%d,\r\n", i, i); break;
        case 3: n = snprintf(line, sizeof line, "%d,\"\n\n\",%d\n", i, i); break;
        default: n = snprintf(line, sizeof line, "%d,\"a longer value that spans more bytes than a tiny range %d\",%d\n", i, i, i); break;
        }
        text_add(&t, line, (size_t)n);
    }
    write_file("par.csv", t.s);
    free(t.s);
    csv_option one = opt_b("parallel", false);
    scan_result ref = run_scan_full(path_of("par.csv"), &one, 1, NULL, 0, true, 1, true);
    expect_text("parallel reference header", ref.header, "id:BIGINT,s:VARCHAR,n:BIGINT");
    CHECK(ref.rows && strlen(ref.rows) > 1000);
    scan_result ordered = run_scan_full(path_of("par.csv"), &one, 1, NULL, 0, true, 1, false);
    static const int64_t sizes[] = {1, 7, 31, 64, 100, 1000, 4096, 65536};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        csv_option o = opt_i("buffer_size", sizes[k]);
        scan_result r = run_scan_full(path_of("par.csv"), &o, 1, NULL, 0, true, 1, false);
        char where[64];
        snprintf(where, sizeof where, "one thread, ranges of %lld", (long long)sizes[k]);
        expect_text(where, r.rows, ordered.rows); /* one thread keeps file order */
        scan_result_free(&r);
        r = run_scan_full(path_of("par.csv"), &o, 1, NULL, 0, true, 4, true);
        snprintf(where, sizeof where, "four threads, ranges of %lld", (long long)sizes[k]);
        if (r.rows) expect_text(where, r.rows, ref.rows);
        else expect_contains(where, r.error, "parallel=false"); /* never wrong rows */
        scan_result_free(&r);
    }
    scan_result_free(&ordered);
    scan_result_free(&ref);

    /* quoted fields that hold text looking like rows: either the right rows or a clear error */
    t = (text){0};
    text_add(&t, "a,b\n", 4);
    for (int i = 0; i < 500; i++) {
        int n = snprintf(line, sizeof line, "%d,\"x\n%d,y\n%d,z\"\n", i, i, i);
        text_add(&t, line, (size_t)n);
    }
    write_file("tricky.csv", t.s);
    free(t.s);
    ref = run_scan_full(path_of("tricky.csv"), &one, 1, NULL, 0, true, 1, true);
    CHECK(ref.rows != NULL);
    int right = 0, refused = 0;
    for (int64_t rs = 5; rs < 5000; rs *= 3) {
        csv_option o = opt_i("buffer_size", rs);
        scan_result r = run_scan_full(path_of("tricky.csv"), &o, 1, NULL, 0, true, 4, true);
        if (r.rows) expect_text("tricky parallel", r.rows, ref.rows), right++;
        else expect_contains("tricky parallel", r.error, "parallel=false"), refused++;
        scan_result_free(&r);
    }
    printf("row-like quoted fields on 4 threads: %d reads right, %d refused with the parallel=false error\n", right,
           refused);
    scan_result_free(&ref);
}

static void test_gzip(void) {
    gzFile gz = gzopen(path_of("z.csv.gz"), "wb");
    const char *body = "a,b\n1,\"x\ny\"\n2,z\n";
    gzwrite(gz, body, (unsigned)strlen(body));
    for (int i = 3; i < 10000; i++) gzprintf(gz, "%d,v%d\n", i, i);
    gzclose(gz);
    scan_result r = run_scan_full(path_of("z.csv.gz"), NULL, 0, NULL, 0, true, 2, false);
    expect_text("gzip header", r.header, "a:BIGINT,b:VARCHAR");
    if (r.error[0]) fprintf(stderr, "gzip: %s\n", r.error);
    CHECK(r.rows && strncmp(r.rows, "1|x\\ny\n2|z\n3|v3\n", 16) == 0);
    size_t lines = 0;
    for (char *p = r.rows; p && *p; p++) lines += *p == '\n';
    CHECK(lines == 9999);
    scan_result_free(&r);
    rename(path_of("z.csv.gz"), path_of("z.bin"));
    csv_option c = opt_s("compression", "gzip");
    r = run_scan(path_of("z.bin"), &c, 1);
    CHECK(r.rows && strncmp(r.rows, "1|x\\ny\n", 7) == 0);
    scan_result_free(&r);
}

/* ---- the writer ------------------------------------------------------------------------------ */

static bool dir_has_tmp(void) {
    DIR *d = opendir(dir);
    bool found = false;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strstr(e->d_name, ".tmp-")) found = true;
    if (d) closedir(d);
    return found;
}

/* Reads `in` (with options) and writes it to `out`; returns the error message or "" . */
static const char *copy_csv(const char *in, const csv_option *ropts, uint32_t nr, const char *out,
                            const csv_option *wopts, uint32_t nw, uint64_t *rows) {
    static char msg[ERROR_MESSAGE_MAX];
    msg[0] = '\0';
    buffer_pool *pool = db->pool;
    uint64_t base = pool_used_bytes(pool);
    arena *a = arena_create(pool, TAG_ALLOCATOR);
    error err;
    error_clear(&err);
    csv_read_request req = {in, ropts, nr, NULL, 0, true, NULL, 0};
    csv_scan_plan plan;
    bool ok = csv_scan_plan_create(db, a, &req, &plan, &err);
    if (ok) {
        csv_write_request w = {out, wopts, nw, plan.names};
        physical_op *sink = csv_write_create(a, plan.op, &w, rows, &err);
        exec_context ctx = {.pool = pool, .arena = a, .threads = 1};
        ok = sink && executor_run(&ctx, sink, &err);
    }
    if (!ok) snprintf(msg, sizeof msg, "%s", err.message);
    arena_destroy(a);
    CHECK(pool_used_bytes(pool) == base);
    return msg;
}

static void test_writer(void) {
    write_file("tricky_in.csv", "id,s,d,b\n"
                                "1,\"comma, inside\",1.5,true\n"
                                "2,\"quote \"\" inside\",,false\n"
                                "3,\"new\nline\",-0.25,\n"
                                "4,,3,true\n"
                                "5,\"cr\rhere\",4,false\n"
                                "6,plain,5,true\n");
    uint64_t rows = 0;
    const char *e = copy_csv(path_of("tricky_in.csv"), NULL, 0, path_of("out.csv"), NULL, 0, &rows);
    expect_text("write", e, "");
    CHECK(rows == 6);
    char *got = read_whole(path_of("out.csv"));
    expect_text("written text", got,
                "id,s,d,b\n1,\"comma, inside\",1.5,true\n2,\"quote \"\" inside\",,false\n3,\"new\nline\",-0.25,\n"
                "4,,3.0,true\n5,\"cr\rhere\",4.0,false\n6,plain,5.0,true\n");
    free(got);
    scan_result a = run_scan(path_of("tricky_in.csv"), NULL, 0);
    scan_result b = run_scan(path_of("out.csv"), NULL, 0);
    expect_text("round trip header", b.header, a.header);
    expect_text("round trip rows", b.rows, a.rows);
    scan_result_free(&a);
    scan_result_free(&b);

    /* options: no header, another delimiter, nullstr, force_quote, gzip */
    csv_option w[4] = {opt_b("header", false), opt_s("delim", ";"), opt_s("nullstr", "NULL"), opt_s("force_quote", "*")};
    e = copy_csv(path_of("basic.csv"), NULL, 0, path_of("out2.csv"), w, 4, &rows);
    expect_text("write options", e, "");
    got = read_whole(path_of("out2.csv"));
    expect_text("written with options", got, "\"1\";\"hello\";\"2.5\"\n\"2\";\"world\";\"3.0\"\n");
    free(got);
    e = copy_csv(path_of("tricky_in.csv"), NULL, 0, path_of("out3.csv.gz"), NULL, 0, &rows);
    expect_text("write gzip", e, "");
    a = run_scan(path_of("tricky_in.csv"), NULL, 0);
    b = run_scan(path_of("out3.csv.gz"), NULL, 0);
    expect_text("gzip round trip", b.rows, a.rows);
    scan_result_free(&a);
    scan_result_free(&b);

    /* a failing query leaves neither the file nor a temporary file */
    text t = {0};
    text_add(&t, "a\n", 2);
    for (int i = 0; i < 50000; i++) {
        char line[32];
        int n = snprintf(line, sizeof line, i == 45000 ? "oops\n" : "%d\n", i);
        text_add(&t, line, (size_t)n);
    }
    write_file("fails.csv", t.s);
    free(t.s);
    csv_column col = {"a", type_make(TYPE_BIGINT)};
    (void)col;
    csv_option ro = opt_i("sample_size", 10);
    e = copy_csv(path_of("fails.csv"), &ro, 1, path_of("never.csv"), NULL, 0, &rows);
    expect_contains("failed write", e, "Conversion Error: Could not convert string 'oops' to INT64 at line 45002");
    CHECK(access(path_of("never.csv"), F_OK) != 0);
    CHECK(!dir_has_tmp());
    /* an unwritable destination */
    e = copy_csv(path_of("basic.csv"), NULL, 0, "/nonexistent-dir/x.csv", NULL, 0, &rows);
    expect_contains("unwritable", e, "IO Error: could not open /nonexistent-dir/x.csv for writing");
}

/* Executes a scan through the executor into a result collector (the way SQL runs it). */
static void test_executor(void) {
    arena *a = arena_create(db->pool, TAG_ALLOCATOR);
    error err;
    error_clear(&err);
    csv_read_request req = {path_of("q.csv"), NULL, 0, NULL, 0, true, NULL, 0};
    csv_scan_plan plan;
    CHECK(csv_scan_plan_create(db, a, &req, &plan, &err));
    eider_result res;
    result_init(&res, db);
    CHECK(result_set_columns(&res, plan.names, plan.types, plan.column_count, &err));
    physical_op *root = result_collector_create(a, plan.op, &res, &err);
    exec_context ctx = {.pool = db->pool, .arena = a, .threads = 1};
    CHECK(root && executor_run(&ctx, root, &err));
    CHECK(eider_row_count(&res) == 5);
    arena_destroy(a);
    result_clear(&res);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/eider_test_csv_%d", (int)getpid());
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", dir, dir);
    if (system(cmd) != 0) return 1;
    char *msg = NULL;
    if (eider_open(NULL, NULL, &db, &msg) != EIDER_SUCCESS) {
        fprintf(stderr, "open: %s\n", msg);
        return 1;
    }
    test_basic();
    test_sniff_dialect();
    test_quoting();
    test_types_and_nulls();
    test_errors();
    test_parallel_ranges();
    test_gzip();
    test_writer();
    test_executor();
    eider_close(db);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) return 1;
    return test_summary();
}
