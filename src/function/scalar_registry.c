/*
 * scalar_registry.c — the table of scalar functions and operators, name lookup (binary search
 * over a table sorted once, case-insensitive) and the common-type rules of overload resolution.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "function/scalar_internal.h"

typedef struct scalar_entry {
    const char *name;
    scalar_bind_fn bind;
} scalar_entry;

static scalar_entry registry[] = {
    {"+", scalar_bind_add},
    {"-", scalar_bind_subtract},
    {"*", scalar_bind_multiply},
    {"/", scalar_bind_divide},
    {"//", scalar_bind_int_divide},
    {"%", scalar_bind_modulo},
    {"mod", scalar_bind_modulo},
    {"=", scalar_bind_eq},
    {"==", scalar_bind_eq},
    {"<>", scalar_bind_ne},
    {"!=", scalar_bind_ne},
    {"<", scalar_bind_lt},
    {"<=", scalar_bind_le},
    {">", scalar_bind_gt},
    {">=", scalar_bind_ge},
    {"||", scalar_bind_concat_op},
    {"~~", scalar_bind_like},
    {"like", scalar_bind_like},
    {"!~~", scalar_bind_not_like},
    {"not_like", scalar_bind_not_like},
    {"~~*", scalar_bind_ilike},
    {"ilike", scalar_bind_ilike},
    {"!~~*", scalar_bind_not_ilike},
    {"not_ilike", scalar_bind_not_ilike},
    {"concat", scalar_bind_concat},
    {"lower", scalar_bind_lower},
    {"lcase", scalar_bind_lower},
    {"upper", scalar_bind_upper},
    {"ucase", scalar_bind_upper},
    {"length", scalar_bind_length},
    {"len", scalar_bind_length},
    {"char_length", scalar_bind_length},
    {"character_length", scalar_bind_length},
    {"substring", scalar_bind_substring},
    {"substr", scalar_bind_substring},
    {"trim", scalar_bind_trim},
    {"ltrim", scalar_bind_ltrim},
    {"rtrim", scalar_bind_rtrim},
    {"replace", scalar_bind_replace},
    {"starts_with", scalar_bind_starts_with},
    {"prefix", scalar_bind_starts_with},
    {"ends_with", scalar_bind_ends_with},
    {"suffix", scalar_bind_ends_with},
    {"contains", scalar_bind_contains},
    {"strpos", scalar_bind_strpos},
    {"instr", scalar_bind_strpos},
    {"position", scalar_bind_strpos},
    {"abs", scalar_bind_abs},
    {"round", scalar_bind_round},
    {"floor", scalar_bind_floor},
    {"ceil", scalar_bind_ceil},
    {"ceiling", scalar_bind_ceil},
    {"year", scalar_bind_year},
    {"make_timestamp", scalar_bind_make_timestamp},
    {"month", scalar_bind_month},
    {"day", scalar_bind_day},
    {"dayofmonth", scalar_bind_day},
    {"coalesce", scalar_bind_coalesce},
    {"ifnull", scalar_bind_coalesce},
    {"nullif", scalar_bind_nullif},
    {"greatest", scalar_bind_greatest},
    {"least", scalar_bind_least},
};

#define REGISTRY_SIZE (sizeof registry / sizeof registry[0])

static pthread_once_t registry_once = PTHREAD_ONCE_INIT;

static int entry_cmp(const void *a, const void *b) {
    return strcasecmp(((const scalar_entry *)a)->name, ((const scalar_entry *)b)->name);
}

static void registry_sort(void) { qsort(registry, REGISTRY_SIZE, sizeof registry[0], entry_cmp); }

static const scalar_entry *lookup(const char *name) {
    pthread_once(&registry_once, registry_sort);
    scalar_entry key = {name, NULL};
    return bsearch(&key, registry, REGISTRY_SIZE, sizeof registry[0], entry_cmp);
}

bool scalar_function_exists(const char *name) { return name && lookup(name) != NULL; }

bool scalar_function_bind(const char *name, const logical_type *arg_types, uint32_t nargs, bound_scalar *out,
                          error *err) {
    const scalar_entry *e = lookup(name);
    if (!e) return error_set(err, EIDER_ERROR_CATALOG, "Scalar Function with name %s does not exist!", name);
    if (nargs > SCALAR_MAX_ARGS)
        return error_set(err, EIDER_ERROR_BINDER, "function %s takes at most %d arguments", name, SCALAR_MAX_ARGS);
    memset(out, 0, sizeof *out);
    error local;
    error_clear(&local);
    if (e->bind(arg_types, nargs, out, &local)) {
        out->name = e->name;
        out->nargs = nargs;
        return true;
    }
    if (error_is_set(&local)) {
        *err = local;
        return false;
    }
    char msg[512];
    size_t n = (size_t)snprintf(msg, sizeof msg, "%s(", name);
    for (uint32_t i = 0; i < nargs && n < sizeof msg; i++) {
        char tb[TYPE_NAME_MAX];
        n += (size_t)snprintf(msg + n, sizeof msg - n, "%s%s", i ? ", " : "", type_to_string(arg_types[i], tb));
    }
    if (n < sizeof msg) snprintf(msg + n, sizeof msg - n, ")");
    return error_set(err, EIDER_ERROR_BINDER, "No function matches the given name and argument types '%s'", msg);
}

/* ---- common types --------------------------------------------------------------------------- */

logical_type scalar_as_decimal(logical_type t) {
    if (t.id == TYPE_INTEGER) return type_decimal(10, 0);
    if (t.id == TYPE_BIGINT) return type_decimal(18, 0);
    return t;
}

bool scalar_common_type(logical_type a, logical_type b, logical_type *out) {
    if (a.id == TYPE_SQLNULL) {
        *out = b;
        return true;
    }
    if (b.id == TYPE_SQLNULL || type_equals(a, b)) {
        *out = a;
        return true;
    }
    if (type_is_numeric(a) && type_is_numeric(b)) {
        if (a.id == TYPE_DOUBLE || b.id == TYPE_DOUBLE) {
            *out = type_make(TYPE_DOUBLE);
        } else if (a.id == TYPE_DECIMAL || b.id == TYPE_DECIMAL) {
            logical_type x = scalar_as_decimal(a), y = scalar_as_decimal(b);
            int scale = x.scale > y.scale ? x.scale : y.scale;
            int ix = x.width - x.scale, iy = y.width - y.scale;
            int intd = ix > iy ? ix : iy;
            if (intd + scale > DECIMAL_MAX_WIDTH) *out = type_make(TYPE_DOUBLE);
            else *out = type_decimal((uint8_t)(intd + scale), (uint8_t)scale);
        } else {
            *out = type_make(TYPE_BIGINT); /* INTEGER with BIGINT */
        }
        return true;
    }
    if ((a.id == TYPE_DATE && b.id == TYPE_TIMESTAMP) || (a.id == TYPE_TIMESTAMP && b.id == TYPE_DATE)) {
        *out = type_make(TYPE_TIMESTAMP);
        return true;
    }
    return false;
}


void scalar_args_all(bound_scalar *out, uint32_t nargs, logical_type t) {
    for (uint32_t i = 0; i < nargs && i < SCALAR_MAX_ARGS; i++) out->arg_types[i] = t;
}

char *scalar_string_alloc(chunk *out, uint32_t len, error *err) {
    if (!out->heap) {
        /* the chunk creates its heap on the first stored string; a dummy store triggers that */
        static const char dummy[STRING_INLINE_LENGTH + 1] = {0};
        string_t tmp;
        if (!chunk_store_string(out, dummy, STRING_INLINE_LENGTH + 1, &tmp, err)) return NULL;
    }
    return arena_alloc(out->heap, len, err);
}
