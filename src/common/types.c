/*
 * types.c — SQL type names, physical sizes, parsing of type names, string comparison.
 */
#include "common/types.h"

#include <ctype.h>
#include <stdio.h>
#include <strings.h>

size_t type_physical_size(logical_type t) {
    switch (t.id) {
    case TYPE_BOOLEAN: return sizeof(uint8_t);
    case TYPE_INTEGER: return sizeof(int32_t);
    case TYPE_BIGINT: return sizeof(int64_t);
    case TYPE_DOUBLE: return sizeof(double);
    case TYPE_DECIMAL: return sizeof(int64_t);
    case TYPE_VARCHAR: return sizeof(string_t);
    case TYPE_DATE: return sizeof(int32_t);
    case TYPE_TIMESTAMP: return sizeof(int64_t);
    case TYPE_SQLNULL: return sizeof(uint8_t); /* never read; keeps buffers non-empty */
    case TYPE_INVALID: return 0;
    }
    return 0;
}

const char *type_to_string(logical_type t, char *buf) {
    const char *name = "INVALID";
    switch (t.id) {
    case TYPE_INVALID: name = "INVALID"; break;
    case TYPE_SQLNULL: name = "NULL"; break;
    case TYPE_BOOLEAN: name = "BOOLEAN"; break;
    case TYPE_INTEGER: name = "INTEGER"; break;
    case TYPE_BIGINT: name = "BIGINT"; break;
    case TYPE_DOUBLE: name = "DOUBLE"; break;
    case TYPE_DECIMAL:
        snprintf(buf, TYPE_NAME_MAX, "DECIMAL(%u,%u)", (unsigned)t.width, (unsigned)t.scale);
        return buf;
    case TYPE_VARCHAR: name = "VARCHAR"; break;
    case TYPE_DATE: name = "DATE"; break;
    case TYPE_TIMESTAMP: name = "TIMESTAMP"; break;
    }
    snprintf(buf, TYPE_NAME_MAX, "%s", name);
    return buf;
}

typedef struct type_alias {
    const char *name;
    type_id id;
} type_alias;

static const type_alias TYPE_ALIASES[] = {
    {"INTEGER", TYPE_INTEGER},  {"INT", TYPE_INTEGER},        {"INT4", TYPE_INTEGER},
    {"INT32", TYPE_INTEGER},    {"SIGNED", TYPE_INTEGER},     {"SMALLINT", TYPE_INTEGER},
    {"INT2", TYPE_INTEGER},     {"TINYINT", TYPE_INTEGER},    {"INT1", TYPE_INTEGER},
    {"BIGINT", TYPE_BIGINT},    {"INT8", TYPE_BIGINT},        {"INT64", TYPE_BIGINT},
    {"LONG", TYPE_BIGINT},      {"DOUBLE", TYPE_DOUBLE},      {"FLOAT8", TYPE_DOUBLE},
    {"REAL", TYPE_DOUBLE},      {"FLOAT", TYPE_DOUBLE},       {"FLOAT4", TYPE_DOUBLE},
    {"DOUBLE PRECISION", TYPE_DOUBLE},
    {"DECIMAL", TYPE_DECIMAL},  {"NUMERIC", TYPE_DECIMAL},    {"VARCHAR", TYPE_VARCHAR},
    {"TEXT", TYPE_VARCHAR},     {"STRING", TYPE_VARCHAR},     {"CHAR", TYPE_VARCHAR},
    {"BPCHAR", TYPE_VARCHAR},   {"BOOL", TYPE_BOOLEAN},       {"BOOLEAN", TYPE_BOOLEAN},
    {"LOGICAL", TYPE_BOOLEAN},  {"DATE", TYPE_DATE},          {"TIMESTAMP", TYPE_TIMESTAMP},
    {"DATETIME", TYPE_TIMESTAMP},
};

/* Parses "(p)" or "(p,s)" at *s; returns false on malformed input. */
static bool parse_type_args(const char *s, int *width, int *scale, const char **end) {
    const char *p = s;
    if (*p != '(') return false;
    p++;
    int vals[2] = {-1, -1};
    int n = 0;
    for (;;) {
        while (isspace((unsigned char)*p)) p++;
        if (!isdigit((unsigned char)*p) || n >= 2) return false;
        long v = 0;
        while (isdigit((unsigned char)*p)) {
            v = v * 10 + (*p - '0');
            if (v > 1000) return false;
            p++;
        }
        vals[n++] = (int)v;
        while (isspace((unsigned char)*p)) p++;
        if (*p == ',') { p++; continue; }
        if (*p == ')') { p++; break; }
        return false;
    }
    *width = vals[0];
    *scale = vals[1];
    *end = p;
    return true;
}

bool type_from_name(const char *name, int width, int scale, logical_type *out) {
    if (!name) return false;
    while (isspace((unsigned char)*name)) name++;
    size_t len = strlen(name);
    while (len > 0 && isspace((unsigned char)name[len - 1])) len--;
    /* A name may carry its own "(p,s)" suffix. */
    const char *paren = memchr(name, '(', len);
    size_t base_len = paren ? (size_t)(paren - name) : len;
    while (base_len > 0 && isspace((unsigned char)name[base_len - 1])) base_len--;
    if (paren) {
        const char *end = NULL;
        int w = -1, s = -1;
        if (width >= 0 || scale >= 0) return false;
        if (!parse_type_args(paren, &w, &s, &end)) return false;
        if ((size_t)(end - name) != len) return false;
        width = w;
        scale = s;
    }
    if (base_len == 0) return false;
    for (size_t i = 0; i < sizeof TYPE_ALIASES / sizeof TYPE_ALIASES[0]; i++) {
        const type_alias *al = &TYPE_ALIASES[i];
        if (strlen(al->name) != base_len || strncasecmp(al->name, name, base_len) != 0) continue;
        if (al->id == TYPE_DECIMAL) {
            if (width < 0 && scale < 0) {
                width = 18;
                scale = 3;
            } else if (width < 0) {
                return false;
            } else if (scale < 0) {
                scale = 0;
            }
            if (width < 1 || width > DECIMAL_MAX_WIDTH || scale < 0 || scale > width) return false;
            *out = type_decimal((uint8_t)width, (uint8_t)scale);
            return true;
        }
        if (al->id == TYPE_VARCHAR) {
            /* VARCHAR(n): the length is accepted and ignored */
            if (scale >= 0) return false;
        } else if (width >= 0 || scale >= 0) {
            return false;
        }
        *out = type_make(al->id);
        return true;
    }
    return false;
}

eider_type type_to_api(logical_type t) {
    switch (t.id) {
    case TYPE_BOOLEAN: return EIDER_TYPE_BOOLEAN;
    case TYPE_INTEGER: return EIDER_TYPE_INTEGER;
    case TYPE_BIGINT: return EIDER_TYPE_BIGINT;
    case TYPE_DOUBLE: return EIDER_TYPE_DOUBLE;
    case TYPE_DECIMAL: return EIDER_TYPE_DECIMAL;
    case TYPE_VARCHAR: return EIDER_TYPE_VARCHAR;
    case TYPE_DATE: return EIDER_TYPE_DATE;
    case TYPE_TIMESTAMP: return EIDER_TYPE_TIMESTAMP;
    case TYPE_SQLNULL:
    case TYPE_INVALID: return EIDER_TYPE_INVALID;
    }
    return EIDER_TYPE_INVALID;
}

int string_compare(const string_t *a, const string_t *b) {
    uint32_t n = a->length < b->length ? a->length : b->length;
    if (n > 0) {
        int c = memcmp(string_data(a), string_data(b), n);
        if (c != 0) return c;
    }
    return a->length < b->length ? -1 : (a->length > b->length ? 1 : 0);
}
