/*
 * arena.h — bump allocator on pool blocks for objects that live as long as a query or a
 * statement (plan nodes, expression state, chunk buffers). Everything is freed at once by
 * arena_destroy or arena_reset, after the cleanups registered with arena_defer. Blocks are
 * pinned for the arena's life and counted under the arena's tag (ALLOCATOR for query state).
 * Not thread-safe: one arena per thread or per owner.
 */
#ifndef EIDER_ARENA_H
#define EIDER_ARENA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "memory/pool.h"

typedef struct arena arena;

/* Creates an empty arena drawing blocks from pool under tag. Owner: the caller; destroy with
 * arena_destroy. Never fails: the first block is taken on first allocation. */
arena *arena_create(buffer_pool *pool, memory_tag tag);
void arena_destroy(arena *a);
/* Runs the deferred cleanups, then frees every block but the first, which is kept for reuse. */
void arena_reset(arena *a);
/* Registers fn(ctx) to run when the arena is reset or destroyed, before its memory goes; the
 * newest registration runs first. This is how objects that live in the arena but hold other
 * resources (pool blocks, references) are released on every path, error paths included. */
bool arena_defer(arena *a, void (*fn)(void *ctx), void *ctx, error *err);

/* Allocates size bytes aligned to 16, zero-filled. Requests larger than a quarter of a standard
 * block get a block of their own. Returns NULL and sets err on out-of-memory. */
void *arena_alloc(arena *a, size_t size, error *err);
/* Copies n bytes of s into the arena and terminates them with '\0'. */
char *arena_strndup(arena *a, const char *s, size_t n, error *err);
char *arena_strdup(arena *a, const char *s, error *err);
/* printf into the arena. */
char *arena_printf(arena *a, error *err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

buffer_pool *arena_pool(const arena *a);
/* Bytes held in the arena's blocks. */
uint64_t arena_bytes(const arena *a);

#endif
