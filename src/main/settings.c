/*
 * settings.c — the database's settings (memory_limit, threads, temp_directory,
 * max_temp_directory_size, temp_file_compression): parsing, validation, defaults and their text
 * form.
 *
 * memory_limit lives in the buffer pool (the pool enforces it) and temp_file_compression in the
 * temp-file manager; the other settings live in db->settings under settings.lock, and
 * temp_directory and max_temp_directory_size are handed to the temp-file manager (which refuses a
 * new directory while data is spilled to the old one).
 * Sizes are parsed and printed the way DuckDB does, so that users' habits carry over: '4GB' is
 * 4*1000^3 bytes, '4GiB' 4*1024^3, and sizes print in 1024-based units with one truncated decimal
 * ("95.3 MiB"). Unlike DuckDB, a bare number is a count of bytes.
 */
#include "main/settings.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "execution/scheduler.h"
#include "main/database.h"
#include "memory/pool.h"
#include "memory/size_format.h"
#include "memory/temp_files.h"

#define SETTINGS_MAX_THREADS 1024

typedef enum setting_id {
    SETTING_MEMORY_LIMIT = 0,
    SETTING_THREADS,
    SETTING_TEMP_DIRECTORY,
    SETTING_MAX_TEMP_DIRECTORY_SIZE,
    SETTING_TEMP_FILE_COMPRESSION,
    SETTING_COUNT
} setting_id;

static const struct {
    const char *name;
    const char *description;
} setting_info[SETTING_COUNT] = {
    {"memory_limit", "The maximum memory of the system (e.g. 1GB)"},
    {"threads", "The number of total threads used by the system"},
    {"temp_directory", "Set the directory to which to write temp files ('' disables spilling)"},
    {"max_temp_directory_size",
     "The maximum amount of data stored inside the 'temp_directory' (default: 90% of available disk space)"},
    {"temp_file_compression",
     "Compress blocks spilled to 'temp_directory': 'none' (default) or 'lz4' (less disk, more CPU)"},
};

uint32_t settings_count(void) { return SETTING_COUNT; }

const char *settings_name(uint32_t index) { return index < SETTING_COUNT ? setting_info[index].name : NULL; }

const char *settings_description(uint32_t index) {
    return index < SETTING_COUNT ? setting_info[index].description : NULL;
}

/* Finds a setting by name, case-insensitively; -1 when unknown. */
static int setting_find(const char *name) {
    if (!name) return -1;
    for (int i = 0; i < SETTING_COUNT; i++)
        if (strcasecmp(name, setting_info[i].name) == 0) return i;
    return -1;
}

static bool setting_unknown(const char *name, error *err) {
    return error_set(err, EIDER_ERROR_CATALOG, "unrecognized configuration parameter \"%s\"", name ? name : "");
}

/* ---- defaults -------------------------------------------------------------------------- */

uint64_t settings_default_memory_limit(void) {
    long pages = sysconf(_SC_PHYS_PAGES);
    long page_size = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page_size <= 0) return (uint64_t)1 << 30; /* unknown: 1 GiB */
    uint64_t total = (uint64_t)pages * (uint64_t)page_size;
    return total / 10 * 8;
}

uint32_t settings_default_threads(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) return 1;
    if (n > SETTINGS_MAX_THREADS) return SETTINGS_MAX_THREADS;
    return (uint32_t)n;
}

/* ---- sizes ------------------------------------------------------------------------------- */

static const struct {
    const char *unit;
    uint64_t multiplier;
} size_units[] = {
    {"", 1},
    {"b", 1},
    {"byte", 1},
    {"bytes", 1},
    {"k", 1000ULL},
    {"kb", 1000ULL},
    {"m", 1000ULL * 1000},
    {"mb", 1000ULL * 1000},
    {"g", 1000ULL * 1000 * 1000},
    {"gb", 1000ULL * 1000 * 1000},
    {"t", 1000ULL * 1000 * 1000 * 1000},
    {"tb", 1000ULL * 1000 * 1000 * 1000},
    {"kib", 1ULL << 10},
    {"mib", 1ULL << 20},
    {"gib", 1ULL << 30},
    {"tib", 1ULL << 40},
};

/* Parses text as a size; on failure writes the reason (without class prefix) into why. */
static bool parse_size_reason(const char *text, uint64_t *out, char *why, size_t cap) {
    if (!text) {
        snprintf(why, cap, "Memory must have a number (e.g. 1GB)");
        return false;
    }
    const char *p = text;
    while (isspace((unsigned char)*p)) p++;
    if (*p == '-') {
        snprintf(why, cap, "a memory size must not be negative");
        return false;
    }
    if (*p == '+') p++;
    /* the number: digits, an optional fraction, an optional exponent */
    const char *num = p;
    size_t digits = 0;
    while (isdigit((unsigned char)*p)) p++, digits++;
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p)) p++, digits++;
    }
    if (digits == 0) {
        snprintf(why, cap, "Memory must have a number (e.g. 1GB)");
        return false;
    }
    if ((*p == 'e' || *p == 'E')) {
        const char *q = p + 1;
        if (*q == '+' || *q == '-') q++;
        if (isdigit((unsigned char)*q)) {
            while (isdigit((unsigned char)*q)) q++;
            p = q;
        }
    }
    if (*p == '.' || isdigit((unsigned char)*p)) {
        snprintf(why, cap, "expected a number and a unit (e.g. 1GB, 512MiB)");
        return false;
    }
    /* the unit */
    while (isspace((unsigned char)*p)) p++;
    const char *unit = p;
    while (isalpha((unsigned char)*p)) p++;
    size_t unit_len = (size_t)(p - unit);
    while (isspace((unsigned char)*p)) p++;
    if (*p != '\0') {
        snprintf(why, cap, "expected a number and a unit (e.g. 1GB, 512MiB)");
        return false;
    }
    uint64_t multiplier = 0;
    for (size_t i = 0; i < sizeof size_units / sizeof size_units[0]; i++) {
        if (strlen(size_units[i].unit) == unit_len && strncasecmp(unit, size_units[i].unit, unit_len) == 0) {
            multiplier = size_units[i].multiplier;
            break;
        }
    }
    if (multiplier == 0) {
        char lower[32];
        size_t n = unit_len < sizeof lower - 1 ? unit_len : sizeof lower - 1;
        for (size_t i = 0; i < n; i++) lower[i] = (char)tolower((unsigned char)unit[i]);
        lower[n] = '\0';
        snprintf(why, cap,
                 "Unknown unit for memory: '%s' (expected: KB, MB, GB, TB for 1000^i units or KiB, MiB, GiB, TiB "
                 "for 1024^i units)",
                 lower);
        return false;
    }
    errno = 0;
    /* num..p is a plain decimal and p is at a unit letter, a space or the end, so strtold reads
     * exactly the number (no unit starts with a letter strtold would take: e, x, p, i, n) */
    long double number = strtold(num, NULL);
    long double bytes = number * (long double)multiplier;
    if (errno == ERANGE || !isfinite((double)bytes) || bytes >= 18446744073709551615.0L) {
        snprintf(why, cap, "the memory size is out of range");
        return false;
    }
    *out = (uint64_t)(bytes + 0.5L);
    return true;
}

bool parse_memory_size(const char *text, uint64_t *out, error *err) {
    char why[512];
    if (parse_size_reason(text, out, why, sizeof why)) return true;
    return error_set(err, EIDER_ERROR_INVALID_INPUT, "invalid memory size '%s': %s", text ? text : "", why);
}

/* The pool's formatter prints exactly what DuckDB prints ("95.3 MiB": 1024-based units, one
 * truncated decimal, "1 byte"/"N bytes" below 1 KiB); sizes of an EiB and more use EiB, where
 * DuckDB would stay in PiB. */
void format_memory_size(uint64_t bytes, char *buf, size_t cap) { pool_format_size(bytes, buf, cap); }

/* ---- effective values -------------------------------------------------------------------- */

/* The temp directory in use (lock held): the explicit one, or <path>.tmp / .tmp. */
static void effective_temp_directory(eider_database *db, char *buf, size_t cap) {
    if (db->settings.temp_directory_set && db->settings.temp_directory)
        snprintf(buf, cap, "%s", db->settings.temp_directory);
    else if (db->path)
        snprintf(buf, cap, "%s.tmp", db->path);
    else
        snprintf(buf, cap, ".tmp");
}

static uint64_t effective_max_temp_size(eider_database *db) {
    if (db->settings.max_temp_set) return db->settings.max_temp_directory_size;
    if (db->temp_files) return temp_files_max_size(db->temp_files);
    char dir[4096];
    effective_temp_directory(db, dir, sizeof dir);
    return temp_files_free_space(dir) / 10 * 9;
}

/* Points the temp-file manager at the directory the settings name (lock held); with dir NULL the
 * default applies. */
static bool apply_temp_directory(eider_database *db, const char *dir, bool set, error *err) {
    if (!db->temp_files) return true;
    char path[4096];
    if (set) snprintf(path, sizeof path, "%s", dir ? dir : "");
    else if (db->path) snprintf(path, sizeof path, "%s.tmp", db->path);
    else snprintf(path, sizeof path, ".tmp");
    return temp_files_set_directory(db->temp_files, path, err);
}

/* ---- init / destroy ------------------------------------------------------------------------ */

bool settings_init(eider_database *db, error *err) {
    settings *s = &db->settings;
    memset(s, 0, sizeof *s);
    if (pthread_mutex_init(&s->lock, NULL) != 0)
        return error_set(err, EIDER_ERROR_INTERNAL, "could not initialize the settings lock");
    s->threads = settings_default_threads();
    return apply_temp_directory(db, NULL, false, err);
}

void settings_destroy(eider_database *db) {
    settings *s = &db->settings;
    if (s->temp_directory) pool_free(db->pool, s->temp_directory);
    s->temp_directory = NULL;
    pthread_mutex_destroy(&s->lock);
}

/* ---- set / reset / get ------------------------------------------------------------------- */

static bool invalid_value(const char *name, const char *text, const char *why, error *err) {
    return error_set(err, EIDER_ERROR_INVALID_INPUT, "invalid value '%s' for setting \"%s\": %s", text ? text : "",
                     name, why);
}

/* Parses a thread count: an integer (a fraction is rounded) in [1, 1024]. */
static bool parse_threads(const char *text, uint32_t *out, error *err) {
    const char *p = text ? text : "";
    while (isspace((unsigned char)*p)) p++;
    char *end = NULL;
    errno = 0;
    double v = *p ? strtod(p, &end) : 0.0;
    bool ok = *p && end != p && errno == 0 && isfinite(v);
    if (ok) {
        while (isspace((unsigned char)*end)) end++;
        ok = *end == '\0';
    }
    if (!ok) return invalid_value("threads", text, "expected an integer number of threads", err);
    double r = nearbyint(v);
    if (r < 1 || r > SETTINGS_MAX_THREADS)
        return invalid_value("threads", text, "the number of threads must be between 1 and 1024", err);
    *out = (uint32_t)r;
    return true;
}

bool settings_set(eider_database *db, const char *name, const char *text, error *err) {
    int id = setting_find(name);
    if (id < 0) return setting_unknown(name, err);
    const char *canonical = setting_info[id].name;
    settings *s = &db->settings;
    switch ((setting_id)id) {
    case SETTING_MEMORY_LIMIT:
    case SETTING_MAX_TEMP_DIRECTORY_SIZE: {
        uint64_t bytes = 0;
        char why[512];
        if (!parse_size_reason(text, &bytes, why, sizeof why)) return invalid_value(canonical, text, why, err);
        if (id == SETTING_MEMORY_LIMIT) return pool_set_memory_limit(db->pool, bytes, err);
        pthread_mutex_lock(&s->lock);
        s->max_temp_directory_size = bytes;
        s->max_temp_set = true;
        if (db->temp_files) temp_files_set_max_size(db->temp_files, bytes);
        pthread_mutex_unlock(&s->lock);
        return true;
    }
    case SETTING_THREADS: {
        uint32_t threads = 0;
        if (!parse_threads(text, &threads, err)) return false;
        if (db->scheduler && !scheduler_set_threads(db->scheduler, threads, err)) return false;
        pthread_mutex_lock(&s->lock);
        s->threads = threads;
        pthread_mutex_unlock(&s->lock);
        return true;
    }
    case SETTING_TEMP_DIRECTORY: {
        char *copy = pool_strdup(db->pool, text ? text : "");
        if (!copy) return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not store temp_directory");
        pthread_mutex_lock(&s->lock);
        if (!apply_temp_directory(db, copy, true, err)) {
            pthread_mutex_unlock(&s->lock);
            pool_free(db->pool, copy);
            return false;
        }
        char *old = s->temp_directory;
        s->temp_directory = copy;
        s->temp_directory_set = true;
        pthread_mutex_unlock(&s->lock);
        if (old) pool_free(db->pool, old);
        return true;
    }
    case SETTING_TEMP_FILE_COMPRESSION: {
        temp_compression mode;
        if (!temp_compression_parse(text, &mode))
            return invalid_value(canonical, text, "expected 'none' or 'lz4'", err);
        if (db->temp_files) temp_files_set_compression(db->temp_files, mode);
        return true;
    }
    case SETTING_COUNT: break;
    }
    return setting_unknown(name, err);
}

bool settings_reset(eider_database *db, const char *name, error *err) {
    int id = setting_find(name);
    if (id < 0) return setting_unknown(name, err);
    settings *s = &db->settings;
    switch ((setting_id)id) {
    case SETTING_MEMORY_LIMIT: return pool_set_memory_limit(db->pool, settings_default_memory_limit(), err);
    case SETTING_THREADS:
        if (db->scheduler && !scheduler_set_threads(db->scheduler, settings_default_threads(), err)) return false;
        pthread_mutex_lock(&s->lock);
        s->threads = settings_default_threads();
        pthread_mutex_unlock(&s->lock);
        return true;
    case SETTING_TEMP_DIRECTORY: {
        pthread_mutex_lock(&s->lock);
        if (!apply_temp_directory(db, NULL, false, err)) {
            pthread_mutex_unlock(&s->lock);
            return false;
        }
        char *old = s->temp_directory;
        s->temp_directory = NULL;
        s->temp_directory_set = false;
        pthread_mutex_unlock(&s->lock);
        if (old) pool_free(db->pool, old);
        return true;
    }
    case SETTING_MAX_TEMP_DIRECTORY_SIZE:
        pthread_mutex_lock(&s->lock);
        s->max_temp_directory_size = 0;
        s->max_temp_set = false;
        if (db->temp_files) temp_files_reset_max_size(db->temp_files);
        pthread_mutex_unlock(&s->lock);
        return true;
    case SETTING_TEMP_FILE_COMPRESSION:
        if (db->temp_files) temp_files_set_compression(db->temp_files, TEMP_COMPRESSION_NONE);
        return true;
    case SETTING_COUNT: break;
    }
    return setting_unknown(name, err);
}

bool settings_get(eider_database *db, const char *name, char *buf, size_t cap, error *err) {
    int id = setting_find(name);
    if (id < 0) return setting_unknown(name, err);
    if (!buf || cap == 0) return true;
    settings *s = &db->settings;
    switch ((setting_id)id) {
    case SETTING_MEMORY_LIMIT: format_memory_size(pool_memory_limit(db->pool), buf, cap); return true;
    case SETTING_THREADS:
        pthread_mutex_lock(&s->lock);
        snprintf(buf, cap, "%u", (unsigned)s->threads);
        pthread_mutex_unlock(&s->lock);
        return true;
    case SETTING_TEMP_DIRECTORY:
        pthread_mutex_lock(&s->lock);
        effective_temp_directory(db, buf, cap);
        pthread_mutex_unlock(&s->lock);
        return true;
    case SETTING_MAX_TEMP_DIRECTORY_SIZE: {
        pthread_mutex_lock(&s->lock);
        uint64_t bytes = effective_max_temp_size(db);
        pthread_mutex_unlock(&s->lock);
        format_memory_size(bytes, buf, cap);
        return true;
    }
    case SETTING_TEMP_FILE_COMPRESSION:
        snprintf(buf, cap, "%s",
                 temp_compression_name(db->temp_files ? temp_files_compression(db->temp_files)
                                                      : TEMP_COMPRESSION_NONE));
        return true;
    case SETTING_COUNT: break;
    }
    return setting_unknown(name, err);
}
