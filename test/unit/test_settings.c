/*
 * test_settings.c — sizes (parse_memory_size, format_memory_size) and the settings of a database:
 * set, get, reset, defaults, errors, and options given through eider_config.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eider.h"
#include "main/database.h"
#include "main/settings.h"
#include "memory/pool.h"
#include "memory/temp_files.h"
#include "test_util.h"

static uint64_t size_of(const char *text) {
    uint64_t v = 0;
    error err;
    error_clear(&err);
    if (!parse_memory_size(text, &v, &err)) {
        fprintf(stderr, "unexpected parse failure for '%s': %s\n", text, err.message);
        return UINT64_MAX;
    }
    return v;
}

/* Parses text expecting a failure whose message contains `needle`. */
static bool size_fails(const char *text, const char *needle) {
    uint64_t v = 0;
    error err;
    error_clear(&err);
    if (parse_memory_size(text, &v, &err)) return false;
    if (err.type != EIDER_ERROR_INVALID_INPUT) return false;
    if (strncmp(err.message, "Invalid Input Error: ", 21) != 0) return false;
    if (!strstr(err.message, text)) return false; /* names the value */
    if (needle && !strstr(err.message, needle)) {
        fprintf(stderr, "message for '%s' lacks '%s': %s\n", text, needle, err.message);
        return false;
    }
    return true;
}

static void test_parse_memory_size(void) {
    /* every unit */
    CHECK(size_of("100") == 100);
    CHECK(size_of("100B") == 100);
    CHECK(size_of("1 byte") == 1);
    CHECK(size_of("7 bytes") == 7);
    CHECK(size_of("1KB") == 1000);
    CHECK(size_of("1K") == 1000);
    CHECK(size_of("1MB") == 1000000);
    CHECK(size_of("2M") == 2000000);
    CHECK(size_of("1GB") == 1000000000ULL);
    CHECK(size_of("3G") == 3000000000ULL);
    CHECK(size_of("1TB") == 1000000000000ULL);
    CHECK(size_of("1T") == 1000000000000ULL);
    CHECK(size_of("1KiB") == 1024);
    CHECK(size_of("512KiB") == 512 * 1024);
    CHECK(size_of("1MiB") == 1048576);
    CHECK(size_of("4GiB") == 4ULL << 30);
    CHECK(size_of("2TiB") == 2ULL << 40);
    /* case and spaces */
    CHECK(size_of("4gb") == 4000000000ULL);
    CHECK(size_of("4Gb") == 4000000000ULL);
    CHECK(size_of("4GIB") == 4ULL << 30);
    CHECK(size_of("4 gib") == 4ULL << 30);
    CHECK(size_of("  10 MB  ") == 10000000);
    CHECK(size_of("\t500MB") == 500000000);
    /* fractions and exponents */
    CHECK(size_of("1.5GiB") == 1610612736ULL);
    CHECK(size_of("1.5 GB") == 1500000000ULL);
    CHECK(size_of("0.5KiB") == 512);
    CHECK(size_of(".5KiB") == 512);
    CHECK(size_of("2.KiB") == 2048);
    CHECK(size_of("1e3 MB") == 1000000000ULL);
    CHECK(size_of("0") == 0);
    CHECK(size_of("0GB") == 0);
    CHECK(size_of("+1KB") == 1000);
    CHECK(size_of("00000000000000000000000000000000000000000000000000000000000000000000000001KB") == 1000);
    /* errors */
    CHECK(size_fails("", "must have a number"));
    CHECK(size_fails("   ", "must have a number"));
    CHECK(size_fails("GB", "must have a number"));
    CHECK(size_fails("foo", "must have a number"));
    CHECK(size_fails("-1GB", "negative"));
    CHECK(size_fails(" -5", "negative"));
    CHECK(size_fails("10XB", "Unknown unit for memory: 'xb'"));
    CHECK(size_fails("1 PB", "Unknown unit for memory: 'pb'"));
    CHECK(size_fails("1.5.3GB", "expected a number and a unit"));
    CHECK(size_fails("10 20 MB", "expected a number and a unit"));
    CHECK(size_fails("10MB!", "expected a number and a unit"));
    CHECK(size_fails("1GB 2", "expected a number and a unit"));
    CHECK(size_fails("99999999999TB", "out of range"));
    CHECK(size_fails("1e30", "out of range"));
    CHECK(size_fails("nan", "must have a number"));
    CHECK(size_fails("inf GB", "must have a number"));
    error err;
    error_clear(&err);
    uint64_t v = 0;
    CHECK(!parse_memory_size(NULL, &v, &err));
}

static bool formats(uint64_t bytes, const char *want) {
    char buf[64];
    format_memory_size(bytes, buf, sizeof buf);
    if (strcmp(buf, want) != 0) {
        fprintf(stderr, "format_memory_size(%llu) = '%s', want '%s'\n", (unsigned long long)bytes, buf, want);
        return false;
    }
    return true;
}

static void test_format_memory_size(void) {
    /* the texts DuckDB prints for the same sizes */
    CHECK(formats(0, "0 bytes"));
    CHECK(formats(1, "1 byte"));
    CHECK(formats(256, "256 bytes"));
    CHECK(formats(1023, "1023 bytes"));
    CHECK(formats(1024, "1.0 KiB"));
    CHECK(formats(2000, "1.9 KiB"));
    CHECK(formats(1536, "1.5 KiB"));
    CHECK(formats(100000, "97.6 KiB"));
    CHECK(formats(512 * 1024, "512.0 KiB"));
    CHECK(formats(100000000, "95.3 MiB"));
    CHECK(formats(1000000000ULL, "953.6 MiB"));
    CHECK(formats(1500000000ULL, "1.3 GiB"));
    CHECK(formats(1ULL << 30, "1.0 GiB"));
    CHECK(formats(2000000000000ULL, "1.8 TiB"));
    CHECK(formats((2ULL << 30) - 1, "1.9 GiB"));
    /* a tiny buffer truncates without overflowing */
    char small[4];
    format_memory_size(1ULL << 30, small, sizeof small);
    CHECK(strlen(small) == 3);
}

static bool get_is(eider_database *db, const char *name, const char *want) {
    char buf[256];
    error err;
    error_clear(&err);
    if (!settings_get(db, name, buf, sizeof buf, &err)) {
        fprintf(stderr, "settings_get(%s) failed: %s\n", name, err.message);
        return false;
    }
    if (want && strcmp(buf, want) != 0) {
        fprintf(stderr, "settings_get(%s) = '%s', want '%s'\n", name, buf, want);
        return false;
    }
    return true;
}

/* settings_set expecting failure with this type and a message containing needle. */
static bool set_fails(eider_database *db, const char *name, const char *text, eider_error_type type,
                      const char *needle) {
    error err;
    error_clear(&err);
    if (settings_set(db, name, text, &err)) return false;
    if (err.type != type) {
        fprintf(stderr, "SET %s='%s': wrong error type: %s\n", name, text, err.message);
        return false;
    }
    if (needle && !strstr(err.message, needle)) {
        fprintf(stderr, "SET %s='%s': message lacks '%s': %s\n", name, text, needle, err.message);
        return false;
    }
    return true;
}

static bool set_ok(eider_database *db, const char *name, const char *text) {
    error err;
    error_clear(&err);
    if (!settings_set(db, name, text, &err)) {
        fprintf(stderr, "SET %s='%s' failed: %s\n", name, text, err.message);
        return false;
    }
    return true;
}

static void test_settings_on_database(void) {
    eider_database *db = NULL;
    char *msg = NULL;
    CHECK(eider_open(NULL, NULL, &db, &msg) == EIDER_SUCCESS);
    CHECK(msg == NULL);
    if (!db) return;
    error err;
    error_clear(&err);

    /* defaults */
    char want[64];
    format_memory_size(settings_default_memory_limit(), want, sizeof want);
    CHECK(get_is(db, "memory_limit", want));
    snprintf(want, sizeof want, "%u", (unsigned)settings_default_threads());
    CHECK(get_is(db, "threads", want));
    CHECK(settings_default_threads() >= 1);
    CHECK(get_is(db, "temp_directory", ".tmp"));
    char buf[128];
    CHECK(settings_get(db, "max_temp_directory_size", buf, sizeof buf, &err));
    CHECK(strchr(buf, ' ') != NULL); /* a size such as "12.3 GiB" */
    uint64_t free_size = 0;
    CHECK(parse_memory_size(buf, &free_size, &err));

    /* memory_limit: stored in the pool, printed as DuckDB prints it */
    CHECK(set_ok(db, "memory_limit", "100MB"));
    CHECK(pool_memory_limit(db->pool) == 100000000ULL);
    CHECK(get_is(db, "memory_limit", "95.3 MiB"));
    CHECK(set_ok(db, "MEMORY_LIMIT", "1GiB"));
    CHECK(get_is(db, "Memory_Limit", "1.0 GiB"));
    CHECK(set_fails(db, "memory_limit", "foo", EIDER_ERROR_INVALID_INPUT, "'foo'"));
    CHECK(set_fails(db, "memory_limit", "foo", EIDER_ERROR_INVALID_INPUT, "memory_limit"));
    CHECK(set_fails(db, "memory_limit", "-1GB", EIDER_ERROR_INVALID_INPUT, "negative"));
    CHECK(set_fails(db, "memory_limit", "10XB", EIDER_ERROR_INVALID_INPUT, "Unknown unit"));
    CHECK(get_is(db, "memory_limit", "1.0 GiB")); /* failed SETs changed nothing */
    CHECK(settings_reset(db, "memory_limit", &err));
    CHECK(pool_memory_limit(db->pool) == settings_default_memory_limit());

    /* threads */
    CHECK(set_ok(db, "threads", "3"));
    CHECK(db->settings.threads == 3);
    CHECK(get_is(db, "THREADS", "3"));
    CHECK(set_ok(db, "threads", " 1024 "));
    CHECK(get_is(db, "threads", "1024"));
    CHECK(set_ok(db, "threads", "1.5"));
    CHECK(get_is(db, "threads", "2"));
    CHECK(set_fails(db, "threads", "0", EIDER_ERROR_INVALID_INPUT, "threads"));
    CHECK(set_fails(db, "threads", "-1", EIDER_ERROR_INVALID_INPUT, "between 1 and 1024"));
    CHECK(set_fails(db, "threads", "1025", EIDER_ERROR_INVALID_INPUT, "'1025'"));
    CHECK(set_fails(db, "threads", "abc", EIDER_ERROR_INVALID_INPUT, "'abc'"));
    CHECK(set_fails(db, "threads", "", EIDER_ERROR_INVALID_INPUT, NULL));
    CHECK(set_fails(db, "threads", "4x", EIDER_ERROR_INVALID_INPUT, NULL));
    CHECK(get_is(db, "threads", "2"));
    CHECK(settings_reset(db, "threads", &err));
    CHECK(db->settings.threads == settings_default_threads());

    /* temp_directory */
    CHECK(set_ok(db, "temp_directory", "/tmp/eider_test_spill"));
    CHECK(get_is(db, "temp_directory", "/tmp/eider_test_spill"));
    CHECK(db->settings.temp_directory_set);
    CHECK(set_ok(db, "temp_directory", ""));
    CHECK(get_is(db, "temp_directory", ""));
    CHECK(db->settings.temp_directory_set && db->settings.temp_directory[0] == '\0');
    /* a directory that does not exist: the free space is that of its nearest existing ancestor */
    CHECK(set_ok(db, "temp_directory", "/tmp/eider_no_such_dir/a/b"));
    CHECK(get_is(db, "max_temp_directory_size", NULL));
    CHECK(settings_reset(db, "temp_directory", &err));
    CHECK(get_is(db, "temp_directory", ".tmp"));
    CHECK(!db->settings.temp_directory_set);

    /* max_temp_directory_size */
    CHECK(set_ok(db, "max_temp_directory_size", "1GB"));
    CHECK(db->settings.max_temp_set && db->settings.max_temp_directory_size == 1000000000ULL);
    CHECK(get_is(db, "max_temp_directory_size", "953.6 MiB"));
    CHECK(set_ok(db, "max_temp_directory_size", "0 bytes"));
    CHECK(get_is(db, "max_temp_directory_size", "0 bytes"));
    CHECK(set_fails(db, "max_temp_directory_size", "lots", EIDER_ERROR_INVALID_INPUT, "max_temp_directory_size"));
    CHECK(settings_reset(db, "max_temp_directory_size", &err));
    CHECK(!db->settings.max_temp_set);

    /* temp_file_compression: the manager's mode */
    CHECK(get_is(db, "temp_file_compression", "none"));
    CHECK(set_ok(db, "temp_file_compression", "LZ4"));
    CHECK(get_is(db, "temp_file_compression", "lz4"));
    CHECK(temp_files_compression(db->temp_files) == TEMP_COMPRESSION_LZ4);
    CHECK(set_fails(db, "temp_file_compression", "zip", EIDER_ERROR_INVALID_INPUT,
                    "invalid value 'zip' for setting \"temp_file_compression\": expected 'none' or 'lz4'"));
    CHECK(get_is(db, "temp_file_compression", "lz4"));
    CHECK(settings_reset(db, "temp_file_compression", &err));
    CHECK(get_is(db, "temp_file_compression", "none"));
    CHECK(temp_files_compression(db->temp_files) == TEMP_COMPRESSION_NONE);

    /* unknown names */
    CHECK(set_fails(db, "foo", "1", EIDER_ERROR_CATALOG, "Catalog Error: unrecognized configuration parameter \"foo\""));
    error_clear(&err);
    CHECK(!settings_get(db, "foo", buf, sizeof buf, &err));
    CHECK(err.type == EIDER_ERROR_CATALOG);
    error_clear(&err);
    CHECK(!settings_reset(db, "bar", &err));
    CHECK(strcmp(err.message, "Catalog Error: unrecognized configuration parameter \"bar\"") == 0);

    /* the list for eider_settings() */
    CHECK(settings_count() == 5);
    for (uint32_t i = 0; i < settings_count(); i++) {
        CHECK(settings_name(i) != NULL);
        CHECK(settings_description(i) != NULL && settings_description(i)[0] != '\0');
        CHECK(get_is(db, settings_name(i), NULL));
    }
    CHECK(settings_name(settings_count()) == NULL);
    eider_close(db);
}

static void test_default_temp_directory_of_file_database(void) {
    /* a database with a path defaults to <path>.tmp (built by hand: a file path is not opened yet) */
    eider_database db;
    memset(&db, 0, sizeof db);
    db.pool = pool_create(1 << 20);
    error err;
    error_clear(&err);
    CHECK(settings_init(&db, &err));
    char path[] = "/tmp/some.db";
    db.path = path;
    CHECK(get_is(&db, "temp_directory", "/tmp/some.db.tmp"));
    CHECK(get_is(&db, "max_temp_directory_size", NULL));
    CHECK(set_ok(&db, "temp_directory", "x"));
    CHECK(get_is(&db, "temp_directory", "x"));
    settings_destroy(&db);
    CHECK(pool_used_bytes(db.pool) == 0);
    pool_destroy(db.pool);
}

static void test_config_options(void) {
    eider_config *cfg = NULL;
    CHECK(eider_config_create(&cfg) == EIDER_SUCCESS);
    CHECK(eider_config_set(cfg, "memory_limit", "1GB") == EIDER_SUCCESS);
    CHECK(eider_config_set(cfg, "Memory_Limit", "256MiB") == EIDER_SUCCESS); /* replaces */
    CHECK(eider_config_set(cfg, "threads", "2") == EIDER_SUCCESS);
    CHECK(eider_config_set(cfg, "temp_directory", "/tmp/eider_cfg_tmp") == EIDER_SUCCESS);
    CHECK(eider_config_set(cfg, "max_temp_directory_size", "10GB") == EIDER_SUCCESS);
    eider_database *db = NULL;
    char *msg = NULL;
    CHECK(eider_open(":memory:", cfg, &db, &msg) == EIDER_SUCCESS);
    CHECK(msg == NULL);
    if (db) {
        CHECK(pool_memory_limit(db->pool) == 256ULL << 20);
        CHECK(get_is(db, "memory_limit", "256.0 MiB"));
        CHECK(get_is(db, "threads", "2"));
        CHECK(get_is(db, "temp_directory", "/tmp/eider_cfg_tmp"));
        CHECK(get_is(db, "max_temp_directory_size", "9.3 GiB"));
        eider_close(db);
    }

    /* a bad value: the open fails with the same message SET gives */
    CHECK(eider_config_set(cfg, "threads", "zero") == EIDER_SUCCESS);
    db = NULL;
    CHECK(eider_open(NULL, cfg, &db, &msg) == EIDER_ERROR);
    CHECK(db == NULL);
    CHECK(msg && strstr(msg, "Invalid Input Error: ") == msg && strstr(msg, "threads") && strstr(msg, "'zero'"));
    eider_free(msg);
    msg = NULL;
    eider_config_destroy(cfg);
}

int main(void) {
    test_parse_memory_size();
    test_format_memory_size();
    test_settings_on_database();
    test_default_temp_directory_of_file_database();
    test_config_options();
    return test_summary();
}
