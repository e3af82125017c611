/*
 * config.c — eider_config: the name/value option pairs a program passes to eider_open.
 *
 * Names and values are kept as given (names matched case-insensitively; setting a name again
 * replaces its value). Nothing is validated here: eider_open checks names and values, so that
 * every mistake is reported in one place with one wording. The config is the caller's object and
 * is allocated with plain malloc (no database exists yet).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "eider.h"

typedef struct config_option {
    char *name;
    char *value;
} config_option;

struct eider_config {
    config_option *options;
    size_t count, capacity;
};

/* Read access for eider_open (declared in api.c, which is the only user). */
size_t config_option_count(const eider_config *config);
const char *config_option_name(const eider_config *config, size_t index);
const char *config_option_value(const eider_config *config, size_t index);
const char *config_get(const eider_config *config, const char *name);

eider_state eider_config_create(eider_config **out) {
    if (!out) return EIDER_ERROR;
    *out = calloc(1, sizeof(eider_config));
    return *out ? EIDER_SUCCESS : EIDER_ERROR;
}

eider_state eider_config_set(eider_config *config, const char *name, const char *value) {
    if (!config || !name || !value) return EIDER_ERROR;
    for (size_t i = 0; i < config->count; i++) {
        if (strcasecmp(config->options[i].name, name) == 0) {
            char *copy = strdup(value);
            if (!copy) return EIDER_ERROR;
            free(config->options[i].value);
            config->options[i].value = copy;
            return EIDER_SUCCESS;
        }
    }
    if (config->count == config->capacity) {
        size_t cap = config->capacity ? config->capacity * 2 : 8;
        config_option *grown = realloc(config->options, cap * sizeof *grown);
        if (!grown) return EIDER_ERROR;
        config->options = grown;
        config->capacity = cap;
    }
    char *n = strdup(name);
    char *v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        return EIDER_ERROR;
    }
    config->options[config->count].name = n;
    config->options[config->count].value = v;
    config->count++;
    return EIDER_SUCCESS;
}

void eider_config_destroy(eider_config *config) {
    if (!config) return;
    for (size_t i = 0; i < config->count; i++) {
        free(config->options[i].name);
        free(config->options[i].value);
    }
    free(config->options);
    free(config);
}

const char *config_get(const eider_config *config, const char *name) {
    if (!config) return NULL;
    for (size_t i = 0; i < config->count; i++)
        if (strcasecmp(config->options[i].name, name) == 0) return config->options[i].value;
    return NULL;
}

size_t config_option_count(const eider_config *config) { return config ? config->count : 0; }

const char *config_option_name(const eider_config *config, size_t index) {
    return config && index < config->count ? config->options[index].name : NULL;
}

const char *config_option_value(const eider_config *config, size_t index) {
    return config && index < config->count ? config->options[index].value : NULL;
}
