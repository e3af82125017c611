#include "common/error.h"

#include <stdio.h>
#include <string.h>

const char *error_type_name(eider_error_type type) {
    switch (type) {
    case EIDER_ERROR_NONE: return "No Error";
    case EIDER_ERROR_PARSER: return "Parser Error";
    case EIDER_ERROR_BINDER: return "Binder Error";
    case EIDER_ERROR_CATALOG: return "Catalog Error";
    case EIDER_ERROR_CONVERSION: return "Conversion Error";
    case EIDER_ERROR_INVALID_INPUT: return "Invalid Input Error";
    case EIDER_ERROR_IO: return "IO Error";
    case EIDER_ERROR_OUT_OF_MEMORY: return "Out of Memory Error";
    case EIDER_ERROR_TEMP_DIRECTORY_LIMIT: return "Out of Memory Error";
    case EIDER_ERROR_INTERRUPTED: return "Interrupted Error";
    case EIDER_ERROR_CONSTRAINT: return "Constraint Error";
    case EIDER_ERROR_OUT_OF_RANGE: return "Out of Range Error";
    case EIDER_ERROR_NOT_IMPLEMENTED: return "Not implemented Error";
    case EIDER_ERROR_INTERNAL: return "Internal Error";
    }
    return "Error";
}

bool error_setv(error *err, eider_error_type type, const char *fmt, va_list ap) {
    if (!err || err->type != EIDER_ERROR_NONE) return false;
    err->type = type;
    int n = snprintf(err->message, sizeof err->message, "%s: ", error_type_name(type));
    if (n < 0) n = 0;
    if ((size_t)n < sizeof err->message) vsnprintf(err->message + n, sizeof err->message - (size_t)n, fmt, ap);
    return false;
}

bool error_set(error *err, eider_error_type type, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    error_setv(err, type, fmt, ap);
    va_end(ap);
    return false;
}

void error_clear(error *err) {
    err->type = EIDER_ERROR_NONE;
    err->message[0] = '\0';
}
