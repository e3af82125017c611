/*
 * temp_files.h — the temp-file manager: where temporary blocks go when the buffer pool evicts
 * them (spilling), and where they come back from on pin.
 *
 * The manager is installed as the pool's spill hooks (temp_files_hooks). Blocks of up to
 * POOL_BLOCK_SIZE bytes go into slots of shared files (TEMP_FILES_SLOTS slots a file, a free-slot
 * bitmap each, freed slots reused first), compressed with LZ4 when temp_file_compression says so
 * (temp_codec.h); a file's slots are all of one size, a multiple of 1/8 of a standard block, and a
 * block takes the smallest that holds what it stores. Larger blocks get a file of their own, as
 * they are. A block read back or discarded frees its slot; a file whose slots are all free is
 * deleted, and a file's free tail is truncated away, so the files hold exactly what is spilled.
 *
 * The directory (temp_directory) is created lazily (mode 0700) on the first spill and removed at
 * destroy if the manager created it and it is empty; files are created 0600. '' (or no
 * directory) disables spilling: a write then declines without an error and the pool reports its
 * usual Out of Memory error. The directory may change only while nothing is spilled.
 *
 * Files are named per manager instance — eider_<id>_<n>.block, id = pid, counter and random
 * bits — so databases in one process, or several processes, may share a directory. An instance
 * holds flock(LOCK_EX) on its own eider_<id>.lock while it uses the directory; when a manager
 * starts using a directory it removes the files of instances whose lock file nobody holds
 * (processes that died), and leaves live instances' files alone.
 *
 * Errors: a spill that would take the files past max_temp_directory_size fails with
 * EIDER_ERROR_TEMP_DIRECTORY_LIMIT (naming the setting, the size and the limit); a full disk,
 * an unwritable directory or any other I/O failure gives EIDER_ERROR_IO with the path. A failed
 * write leaves no bytes behind (no grown or new file).
 *
 * All functions are thread-safe: one mutex guards the bookkeeping, and block I/O (pread/pwrite)
 * runs outside it. Bookkeeping memory (a small record and bitmap per file) is counted under
 * METADATA in the pool given at create.
 */
#ifndef EIDER_TEMP_FILES_H
#define EIDER_TEMP_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "memory/pool.h"
#include "memory/temp_codec.h"

#define TEMP_FILES_SLOTS 256 /* slots in one shared file */

typedef struct temp_files temp_files;

/* Creates a manager with spilling disabled (no directory) and the default maximum size. pool
 * (may be NULL) counts the bookkeeping under METADATA and must outlive the manager. Owner: the
 * database; destroy with temp_files_destroy, which removes every file the manager made, its lock
 * file, and the directory if the manager created it and it is empty. NULL when out of memory. */
temp_files *temp_files_create(buffer_pool *pool);
void temp_files_destroy(temp_files *tf);

/* The hooks to install with pool_set_spill_hooks; ctx is tf. */
pool_spill_hooks temp_files_hooks(temp_files *tf);

/* Sets the directory ('' or NULL: spilling disabled). Nothing is created here; if the directory
 * exists, files of dead instances in it are removed. Fails with an Invalid Input error while
 * anything is spilled (unless the directory stays the same). */
bool temp_files_set_directory(temp_files *tf, const char *dir, error *err);
/* Whether spilled blocks are compressed: 'none' (the default) or 'lz4' (temp_codec.h). A change
 * applies to blocks written afterwards; blocks already stored read back either way. */
void temp_files_set_compression(temp_files *tf, temp_compression mode);
temp_compression temp_files_compression(temp_files *tf);

/* The maximum bytes of all files: set explicitly, or (reset) the default of 90% of the space
 * available on the directory's file system, counting the manager's own files as available. */
void temp_files_set_max_size(temp_files *tf, uint64_t bytes);
void temp_files_reset_max_size(temp_files *tf);
uint64_t temp_files_max_size(temp_files *tf);

/* Bytes available to unprivileged users on the file system holding dir, or its nearest existing
 * parent ("" means the working directory); 0 when unknown. */
uint64_t temp_files_free_space(const char *dir);

/* The spill hooks (pool_spill_hooks' contract). write: stores size bytes and returns the slot;
 * declines (false, err untouched) when spilling is disabled. read: reads the slot back and frees
 * it (on failure the slot stays). discard: frees the slot unread. peek: reads the slot and keeps it. */
bool temp_files_write(void *ctx, memory_tag tag, const void *data, size_t size, uint64_t *slot, error *err);
bool temp_files_read(void *ctx, uint64_t slot, void *data, size_t size, error *err);
bool temp_files_peek(void *ctx, uint64_t slot, void *data, size_t size, error *err);
void temp_files_discard(void *ctx, uint64_t slot, size_t size);

/* Totals: bytes of all files (their lengths), number of files, blocks stored. */
uint64_t temp_files_bytes(temp_files *tf);
uint32_t temp_files_file_count(temp_files *tf);
uint64_t temp_files_block_count(temp_files *tf);

/* One existing file, for eider_temporary_files(). */
typedef struct temp_file_entry {
    char *path;
    uint64_t size;
} temp_file_entry;

/* A snapshot of the existing block files, in pool_malloc'ed memory that the caller frees with
 * temp_files_list_free. *out is NULL when there are none. */
bool temp_files_list(temp_files *tf, temp_file_entry **out, uint32_t *count, error *err);
void temp_files_list_free(temp_files *tf, temp_file_entry *list, uint32_t count);

#endif
