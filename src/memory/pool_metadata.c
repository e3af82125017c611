/*
 * pool_metadata.c — counted malloc for long-lived small objects, under tag METADATA.
 *
 * Each allocation carries a 16-byte header holding its size, so the count can be given back
 * on free; the counted size is the request plus the header. A NULL pool is allowed and means
 * "not counted" (the header is still there, so pool_free(NULL, p) pairs with it).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "memory/pool_internal.h"

#define META_HEADER 16

typedef union meta_header {
    size_t size;
    _Alignas(16) char pad[META_HEADER];
} meta_header;

_Static_assert(sizeof(meta_header) == META_HEADER, "metadata header must stay 16 bytes");

void *pool_malloc(buffer_pool *pool, size_t size) {
    if (size > SIZE_MAX - META_HEADER) return NULL;
    meta_header *h = malloc(META_HEADER + size);
    if (!h) return NULL;
    h->size = size;
    if (pool) pool_count_add(pool, TAG_METADATA, META_HEADER + size);
    return (char *)h + META_HEADER;
}

void *pool_calloc(buffer_pool *pool, size_t count, size_t size) {
    if (size && count > SIZE_MAX / size) return NULL;
    void *p = pool_malloc(pool, count * size);
    if (p) memset(p, 0, count * size);
    return p;
}

void *pool_realloc(buffer_pool *pool, void *ptr, size_t size) {
    if (!ptr) return pool_malloc(pool, size);
    if (size > SIZE_MAX - META_HEADER) return NULL;
    meta_header *h = (meta_header *)((char *)ptr - META_HEADER);
    size_t old = h->size;
    meta_header *n = realloc(h, META_HEADER + size);
    if (!n) return NULL;
    n->size = size;
    if (pool) {
        if (size > old) pool_count_add(pool, TAG_METADATA, size - old);
        else if (size < old) pool_count_sub(pool, TAG_METADATA, old - size);
    }
    return (char *)n + META_HEADER;
}

char *pool_strdup(buffer_pool *pool, const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s);
    char *p = pool_malloc(pool, n + 1);
    if (p) memcpy(p, s, n + 1);
    return p;
}

void pool_free(buffer_pool *pool, void *ptr) {
    if (!ptr) return;
    meta_header *h = (meta_header *)((char *)ptr - META_HEADER);
    if (pool) pool_count_sub(pool, TAG_METADATA, META_HEADER + h->size);
    free(h);
}
