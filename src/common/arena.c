/*
 * arena.c — bump allocation in pool blocks.
 *
 * Each block the arena takes starts with a small header that links it to the block taken before
 * it, so the arena's bookkeeping lives in its own blocks and grows with them. Blocks stay pinned
 * for the arena's life (they are never evicted, so the links stay valid). Small requests are
 * bumped out of the current standard block; requests above a quarter of a standard block get a
 * block of their own. Memory handed out is zero: fresh blocks come zeroed from the pool, and the
 * first block is cleared when arena_reset rewinds it.
 */
#include "common/arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ARENA_ALIGN 16
#define ARENA_LARGE (POOL_BLOCK_SIZE / 4)

typedef struct arena_block {
    block_handle *handle;
    struct arena_block *prev; /* block taken before this one */
    size_t size;              /* whole block, header included */
    size_t pad;
} arena_block;

#define ARENA_HEADER ((sizeof(arena_block) + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1))

typedef struct arena_cleanup {
    void (*fn)(void *ctx);
    void *ctx;
    struct arena_cleanup *next; /* registered before this one */
} arena_cleanup;

struct arena {
    buffer_pool *pool;
    arena_cleanup *cleanups; /* newest first; run by arena_destroy and arena_reset */
    memory_tag tag;
    arena_block *first;   /* first standard block: kept by arena_reset */
    arena_block *current; /* standard block being filled */
    arena_block *last;    /* newest block of any size; the chain runs through prev */
    size_t offset;        /* next free byte in current */
    size_t first_used;    /* bytes of first handed out before current moved on */
    uint64_t bytes;
};

arena *arena_create(buffer_pool *pool, memory_tag tag) {
    arena *a = pool_calloc(pool, 1, sizeof *a);
    if (!a) return NULL;
    a->pool = pool;
    a->tag = tag;
    return a;
}

static void arena_free_chain(arena *a, arena_block *keep) {
    arena_block *b = a->last;
    while (b) {
        arena_block *prev = b->prev;
        if (b != keep) {
            a->bytes -= b->size;
            block_free(b->handle);
        }
        b = prev;
    }
}

static void arena_run_cleanups(arena *a) {
    while (a->cleanups) {
        arena_cleanup *c = a->cleanups;
        a->cleanups = c->next;
        c->fn(c->ctx);
    }
}

bool arena_defer(arena *a, void (*fn)(void *ctx), void *ctx, error *err) {
    arena_cleanup *c = arena_alloc(a, sizeof *c, err);
    if (!c) return false;
    c->fn = fn;
    c->ctx = ctx;
    c->next = a->cleanups;
    a->cleanups = c;
    return true;
}

void arena_destroy(arena *a) {
    if (!a) return;
    arena_run_cleanups(a);
    arena_free_chain(a, NULL);
    pool_free(a->pool, a);
}

void arena_reset(arena *a) {
    arena_run_cleanups(a);
    size_t used = a->current == a->first ? a->offset : a->first_used;
    arena_free_chain(a, a->first);
    a->last = a->first;
    a->current = a->first;
    if (a->first) {
        a->first->prev = NULL;
        if (used > ARENA_HEADER) memset((char *)a->first + ARENA_HEADER, 0, used - ARENA_HEADER);
        a->offset = ARENA_HEADER;
        a->bytes = a->first->size;
    } else {
        a->offset = 0;
        a->bytes = 0;
    }
    a->first_used = 0;
}

static arena_block *arena_new_block(arena *a, size_t size, error *err) {
    block_handle *h = block_alloc(a->pool, a->tag, BLOCK_TEMPORARY, size, err);
    if (!h) return NULL;
    arena_block *b = block_data(h);
    b->handle = h;
    b->size = block_size(h);
    b->prev = a->last;
    a->last = b;
    a->bytes += b->size;
    return b;
}

void *arena_alloc(arena *a, size_t size, error *err) {
    if (size == 0) size = 1;
    if (size > SIZE_MAX - ARENA_HEADER - ARENA_ALIGN) {
        error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "arena allocation of %zu bytes is too large", size);
        return NULL;
    }
    size = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (size > ARENA_LARGE) {
        arena_block *b = arena_new_block(a, ARENA_HEADER + size, err);
        return b ? (char *)b + ARENA_HEADER : NULL;
    }
    if (!a->current || a->offset + size > a->current->size) {
        arena_block *b = arena_new_block(a, POOL_BLOCK_SIZE, err);
        if (!b) return NULL;
        if (!a->first) a->first = b;
        else if (a->current == a->first) a->first_used = a->offset;
        a->current = b;
        a->offset = ARENA_HEADER;
    }
    void *p = (char *)a->current + a->offset;
    a->offset += size;
    return p;
}

char *arena_strndup(arena *a, const char *s, size_t n, error *err) {
    char *p = arena_alloc(a, n + 1, err);
    if (!p) return NULL;
    if (n) memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(arena *a, const char *s, error *err) { return arena_strndup(a, s, strlen(s), err); }

char *arena_printf(arena *a, error *err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        error_set(err, EIDER_ERROR_INTERNAL, "invalid format string");
        return NULL;
    }
    char *p = arena_alloc(a, (size_t)n + 1, err);
    if (!p) return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

buffer_pool *arena_pool(const arena *a) { return a->pool; }
uint64_t arena_bytes(const arena *a) { return a->bytes; }
