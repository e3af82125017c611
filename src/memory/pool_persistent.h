/*
 * pool_persistent.h — where the database file plugs into the buffer pool.
 *
 * A persistent block is a page of the database file. Under memory pressure the pool drops it
 * (it is clean: the file holds its bytes); a later pin reads it back through the reader
 * installed here. A persistent block without a page id, or any persistent block while no
 * reader is installed, comes back zero-filled and block_was_destroyed reports it, exactly like
 * a destroyable block.
 */
#ifndef EIDER_POOL_PERSISTENT_H
#define EIDER_POOL_PERSISTENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "memory/pool.h"

#define POOL_NO_PAGE UINT64_MAX

/* Reads page `page_id` of the database file into data (size bytes); false + err on failure. */
typedef bool (*pool_page_reader)(void *ctx, uint64_t page_id, void *data, size_t size, error *err);

/* Installs (or with reader NULL removes) the page reader. */
void pool_set_page_reader(buffer_pool *pool, pool_page_reader reader, void *ctx);
/* Ties a persistent block to its page so that eviction can drop it and a pin read it back. */
void block_set_page_id(block_handle *block, uint64_t page_id);

#endif
