/*
 * settings.h — the database's settings: memory_limit, threads, temp_directory,
 * max_temp_directory_size, temp_file_compression. Set from the C API's config at open, from SQL with SET/RESET, read
 * with current_setting() and eider_settings().
 */
#ifndef EIDER_SETTINGS_H
#define EIDER_SETTINGS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

typedef struct eider_database eider_database;

typedef struct settings {
    pthread_mutex_t lock;
    uint32_t threads;                 /* worker threads; default: number of cores */
    char *temp_directory;             /* NULL: default (<db>.tmp or .tmp); "" disables spilling */
    bool temp_directory_set;          /* set explicitly (otherwise the default applies) */
    uint64_t max_temp_directory_size; /* bytes; 0 with max_temp_set false: 90% of free space */
    bool max_temp_set;
} settings;

/* Defaults: memory_limit 80% of physical RAM, threads = cores. */
uint64_t settings_default_memory_limit(void);
uint32_t settings_default_threads(void);

bool settings_init(eider_database *db, error *err);
void settings_destroy(eider_database *db);

/* SET name = text. Names are case-insensitive. Unknown name: Catalog Error
 * 'unrecognized configuration parameter "x"'; bad value: Invalid Input Error naming the setting
 * and the value. memory_limit goes to the pool (lowering below use: error, nothing changes). */
bool settings_set(eider_database *db, const char *name, const char *text, error *err);
/* RESET name: back to the default. */
bool settings_reset(eider_database *db, const char *name, error *err);
/* Current value as text (e.g. "4.0 GiB" for memory_limit, as DuckDB prints sizes; "2" for
 * threads). Writes into buf (cap bytes). */
bool settings_get(eider_database *db, const char *name, char *buf, size_t cap, error *err);

/* The list of settings, for eider_settings(): index < settings_count(). */
uint32_t settings_count(void);
const char *settings_name(uint32_t index);
const char *settings_description(uint32_t index);

/* Parses a size: a number (fraction allowed) and a unit B, KB, MB, GB, TB (powers of 1000), KiB,
 * MiB, GiB, TiB (powers of 1024), case-insensitive, spaces allowed between; a bare number is bytes. */
bool parse_memory_size(const char *text, uint64_t *out, error *err);
/* Renders a byte count as DuckDB does: "1.5 GiB", "500.0 MiB", "256 bytes". */
void format_memory_size(uint64_t bytes, char *buf, size_t cap);

#endif
