/*
 * types.h — SQL types, their physical representation, and the 16-byte string value.
 *
 * Physical layout per type (one value in a vector or a column segment):
 *   BOOLEAN   uint8_t (0/1)          INTEGER  int32_t         BIGINT  int64_t
 *   DOUBLE    double                 DECIMAL  int64_t, value * 10^scale (precision <= 18)
 *   VARCHAR   string_t               DATE     int32_t days since 1970-01-01
 *   TIMESTAMP int64_t microseconds since 1970-01-01 00:00:00
 * TYPE_SQLNULL is the type of an untyped NULL literal before binding gives it a real type.
 */
#ifndef EIDER_TYPES_H
#define EIDER_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "eider.h"

typedef enum type_id {
    TYPE_INVALID = 0,
    TYPE_SQLNULL,
    TYPE_BOOLEAN,
    TYPE_INTEGER,
    TYPE_BIGINT,
    TYPE_DOUBLE,
    TYPE_DECIMAL,
    TYPE_VARCHAR,
    TYPE_DATE,
    TYPE_TIMESTAMP
} type_id;

typedef struct logical_type {
    type_id id;
    uint8_t width; /* DECIMAL precision (1..18) */
    uint8_t scale; /* DECIMAL scale (0..width) */
} logical_type;

#define DECIMAL_MAX_WIDTH 18
#define TYPE_NAME_MAX 32

static inline logical_type type_make(type_id id) {
    logical_type t = {id, 0, 0};
    return t;
}
static inline logical_type type_decimal(uint8_t width, uint8_t scale) {
    logical_type t = {TYPE_DECIMAL, width, scale};
    return t;
}
static inline bool type_equals(logical_type a, logical_type b) {
    return a.id == b.id && (a.id != TYPE_DECIMAL || (a.width == b.width && a.scale == b.scale));
}
static inline bool type_is_numeric(logical_type t) {
    return t.id == TYPE_INTEGER || t.id == TYPE_BIGINT || t.id == TYPE_DOUBLE || t.id == TYPE_DECIMAL;
}
static inline bool type_is_integral(logical_type t) { return t.id == TYPE_INTEGER || t.id == TYPE_BIGINT; }

/* Bytes one value takes in a vector. */
size_t type_physical_size(logical_type t);
/* "INTEGER", "DECIMAL(18,3)", ...; writes into buf (TYPE_NAME_MAX bytes) and returns it. */
const char *type_to_string(logical_type t, char *buf);
/* Parses a type name as written in SQL (INT, INT4, INTEGER, BIGINT, INT8, LONG, DOUBLE, FLOAT8,
 * REAL->DOUBLE, FLOAT->DOUBLE, DECIMAL/NUMERIC[(p[,s])] (default 18,3), VARCHAR/TEXT/STRING,
 * BOOL/BOOLEAN, DATE, TIMESTAMP/DATETIME), case-insensitively; width/scale < 0 mean not given. */
bool type_from_name(const char *name, int width, int scale, logical_type *out);
eider_type type_to_api(logical_type t);

/* ---- strings -------------------------------------------------------------------------- */

#define STRING_INLINE_LENGTH 12

/* A string value: 16 bytes. Up to 12 bytes are stored inline; longer strings keep their first
 * 4 bytes as a prefix and point at the bytes, which live in a heap owned by the vector's chunk
 * or in a pinned block. Not NUL-terminated. */
typedef struct string_t {
    uint32_t length;
    union {
        char inlined[STRING_INLINE_LENGTH];
        struct __attribute__((packed)) {
            char prefix[4];
            const char *ptr; /* at offset 8 of the 8-aligned string_t: naturally aligned */
        } pointer;
    } value;
} __attribute__((aligned(8))) string_t;

_Static_assert(sizeof(string_t) == 16, "string_t must be 16 bytes");

static inline const char *string_data(const string_t *s) {
    return s->length <= STRING_INLINE_LENGTH ? s->value.inlined : s->value.pointer.ptr;
}
/* Makes a string_t of bytes that stay alive as long as the string_t is used (not copied). */
static inline string_t string_make(const char *data, uint32_t length) {
    string_t s;
    memset(&s, 0, sizeof s);
    s.length = length;
    if (length <= STRING_INLINE_LENGTH) {
        if (length) memcpy(s.value.inlined, data, length);
    } else {
        memcpy(s.value.pointer.prefix, data, 4);
        s.value.pointer.ptr = data;
    }
    return s;
}
static inline bool string_equals(const string_t *a, const string_t *b) {
    if (a->length != b->length) return false;
    if (a->length <= STRING_INLINE_LENGTH) return memcmp(a->value.inlined, b->value.inlined, a->length) == 0;
    if (memcmp(a->value.pointer.prefix, b->value.pointer.prefix, 4) != 0) return false;
    return memcmp(a->value.pointer.ptr, b->value.pointer.ptr, a->length) == 0;
}
/* Byte-wise comparison: <0, 0, >0. */
int string_compare(const string_t *a, const string_t *b);

#endif
