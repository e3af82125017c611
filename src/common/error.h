/*
 * error.h — the error value that fallible internal functions fill in.
 *
 * Convention: a function that can fail returns bool (true = success) or a pointer (NULL =
 * failure) and takes an `error *err` it fills on failure. Messages start with their class
 * ("Parser Error: ...", "Out of Memory Error: ...") as SQL users expect; error_set adds the
 * prefix from the type, so callers pass only the body.
 */
#ifndef EIDER_ERROR_H
#define EIDER_ERROR_H

#include <stdarg.h>
#include <stdbool.h>

#include "eider.h"

#define ERROR_MESSAGE_MAX 2048

typedef struct error {
    eider_error_type type; /* EIDER_ERROR_NONE while no error is set */
    char message[ERROR_MESSAGE_MAX];
} error;

/* "Parser Error", "Out of Memory Error", ... */
const char *error_type_name(eider_error_type type);

/* Sets the error: message becomes "<Type Name>: <formatted body>". Keeps the first error if one
 * is already set (the root cause wins). Returns false so callers can `return error_set(...)`. */
bool error_set(error *err, eider_error_type type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
bool error_setv(error *err, eider_error_type type, const char *fmt, va_list ap);

void error_clear(error *err);
static inline bool error_is_set(const error *err) { return err->type != EIDER_ERROR_NONE; }

#endif
