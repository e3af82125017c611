/*
 * temp_files.c — the temp-file manager (see temp_files.h).
 *
 * Bookkeeping: an array of file records (grown by doubling, entries reused once their file is
 * deleted). A shared file holds slots of one size class, a multiple of TF_CLASS_BYTES (1/8 of a
 * standard block): a compressed block takes the smallest class that holds it, so the files (and
 * max_temp_directory_size) count what is stored, not the blocks' size in memory. A file's length
 * covers its slots up to the highest one in use (its extent); a large file holds one block. A
 * slot id is (file record index << 32) | slot in the file; the record keeps, per slot, whether
 * the block is compressed and how many bytes were written.
 *
 * Locking: tf->lock guards every field. A write claims a slot under the lock (marking it used,
 * growing the file's extent, counting the bytes and checking the limit), then writes with pwrite
 * outside it; a failed write gives the slot back, which trims the file or deletes it, so nothing
 * the write added stays on disk. A read locates the slot under the lock, reads outside it and
 * frees the slot afterwards. A file's descriptor stays valid while any of its slots is in use,
 * so I/O outside the lock never meets a closed file.
 */
#include "memory/temp_files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "memory/size_format.h"
#include "memory/temp_codec.h"

#define TF_SLOT_SIZE ((uint64_t)POOL_BLOCK_SIZE) /* the largest slot */
#define TF_CLASSES 8
#define TF_CLASS_BYTES (TF_SLOT_SIZE / TF_CLASSES)
#define TF_WORDS (TEMP_FILES_SLOTS / 64)
#define TF_PATH_MAX 4096
#define TF_DIR_MAX (TF_PATH_MAX - 128) /* room for the file names */
#define TF_ORPHAN_SECONDS 60           /* an unlocked half-made lock file older than this is left over */
#define TF_PROBE_NS 100000000u         /* the free space is probed again after 100 ms */

_Static_assert(TEMP_FILES_SLOTS % 64 == 0, "slots come in bitmap words of 64");

typedef struct tf_file {
    int fd;                        /* -1: the record is free */
    uint32_t number;               /* n of eider_<id>_<n>.block */
    uint32_t slot_bytes;           /* its slots' size (a multiple of TF_CLASS_BYTES); 0: one large block */
    uint32_t used;                 /* slots in use (a large file: 1) */
    uint32_t writing;              /* writes in flight */
    uint64_t length;               /* bytes counted for the file: extent * slot size, or the block size */
    uint64_t bitmap[TF_WORDS];     /* shared file: slots in use */
    uint64_t compressed[TF_WORDS]; /* shared file: slots holding a compressed block */
    uint32_t stored[TEMP_FILES_SLOTS]; /* shared file: bytes written to each slot in use */
} tf_file;

struct temp_files {
    pthread_mutex_t lock;
    buffer_pool *pool;     /* counts the bookkeeping (METADATA); may be NULL */
    temp_codec *codec;     /* compression of blocks (thread-safe on its own) */
    char *dir;             /* NULL: spilling disabled */
    bool dir_ready;        /* the directory exists and the lock file is held */
    bool dir_created;      /* this manager created the directory */
    int lock_fd;           /* the held lock file, or -1 */
    char id[64];           /* instance id: <pid>-<counter>-<random hex> */
    uint64_t max_size;     /* when max_size_set */
    bool max_size_set;
    tf_file *files;
    uint32_t file_cap;     /* records in files */
    uint32_t file_count;   /* existing files */
    uint32_t next_number;  /* for the next file name */
    uint64_t bytes;        /* sum of the files' counted lengths */
    uint64_t blocks;       /* blocks stored */
    /* the default limit's probe of the file system: free space plus our own bytes, and when */
    uint64_t available;
    uint64_t available_at_ns; /* 0: not probed since the directory was set */
};

/* ---- names and paths ---------------------------------------------------------------------- */

static atomic_uint tf_instance_counter;

static void tf_make_id(temp_files *tf) {
    uint32_t rnd = 0;
    if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        rnd = (uint32_t)ts.tv_nsec ^ (uint32_t)(uintptr_t)tf;
    }
    unsigned counter = atomic_fetch_add(&tf_instance_counter, 1);
    snprintf(tf->id, sizeof tf->id, "%ld-%u-%08x", (long)getpid(), counter, (unsigned)rnd);
}

static void tf_block_path(const temp_files *tf, uint32_t number, char *buf) {
    snprintf(buf, TF_PATH_MAX, "%s/eider_%s_%u.block", tf->dir, tf->id, (unsigned)number);
}

/* suffix ".lock" for the lock file, ".lock.new" while it is being made */
static void tf_lock_path(const temp_files *tf, const char *suffix, char *buf) {
    snprintf(buf, TF_PATH_MAX, "%s/eider_%s%s", tf->dir, tf->id, suffix);
}

static bool tf_ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* If name is "eider_<id><suffix>", copies <id> into out. */
static bool tf_name_id(const char *name, const char *suffix, char *out, size_t cap) {
    size_t n = strlen(name), k = strlen(suffix);
    if (strncmp(name, "eider_", 6) != 0 || n <= 6 + k || !tf_ends_with(name, suffix)) return false;
    size_t len = n - 6 - k;
    if (len >= cap) return false;
    memcpy(out, name + 6, len);
    out[len] = '\0';
    return true;
}

static bool tf_io_error(error *err, const char *what, const char *path, int code) {
    return error_set(err, EIDER_ERROR_IO, "%s \"%s\": %s", what, path, strerror(code));
}

/* ---- instances that died ------------------------------------------------------------------ */

/* Whether name is eider_<id>_<digits>.block for this id (prefix is "eider_<id>_"). */
static bool tf_is_block_of(const char *name, const char *prefix, size_t plen) {
    if (strncmp(name, prefix, plen) != 0) return false;
    size_t digits = strspn(name + plen, "0123456789");
    return digits > 0 && strcmp(name + plen + digits, ".block") == 0;
}

/* Deletes the block files eider_<id>_<n>.block in dir. */
static void tf_remove_instance_files(const char *dir, const char *id) {
    DIR *d = opendir(dir);
    if (!d) return;
    char prefix[128];
    int plen = snprintf(prefix, sizeof prefix, "eider_%s_", id);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (tf_is_block_of(e->d_name, prefix, (size_t)plen)) unlinkat(dirfd(d), e->d_name, 0);
    closedir(d);
}

/* A lock file that can be locked belongs to an instance that died: remove its files. */
static void tf_reap_instance(const char *dir, int dfd, const char *lock_name, const char *id) {
    int fd = openat(dfd, lock_name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
        tf_remove_instance_files(dir, id);
        unlinkat(dfd, lock_name, 0);
    }
    close(fd);
}

/* A lock file left half-made (its maker died before renaming it) is removed once it is old. */
static void tf_reap_orphan(int dfd, const char *name) {
    struct stat st;
    if (fstatat(dfd, name, &st, 0) != 0 || time(NULL) - st.st_mtime < TF_ORPHAN_SECONDS) return;
    int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) unlinkat(dfd, name, 0);
    close(fd);
}

/* Removes the files of dead instances in tf->dir (lock held); a missing directory is fine. */
static void tf_remove_dead(temp_files *tf) {
    DIR *d = opendir(tf->dir);
    if (!d) return;
    struct dirent *e;
    char id[96];
    while ((e = readdir(d)) != NULL) {
        if (tf_name_id(e->d_name, ".lock", id, sizeof id)) {
            if (strcmp(id, tf->id) != 0) tf_reap_instance(tf->dir, dirfd(d), e->d_name, id);
        } else if (tf_name_id(e->d_name, ".lock.new", id, sizeof id) && strcmp(id, tf->id) != 0) {
            tf_reap_orphan(dirfd(d), e->d_name);
        }
    }
    closedir(d);
}

/* ---- the directory and the lock file ------------------------------------------------------- */

static bool tf_make_directory(temp_files *tf, error *err) {
    if (mkdir(tf->dir, 0700) == 0) {
        tf->dir_created = true;
        return true;
    }
    int code = errno;
    struct stat st;
    if (code == EEXIST && stat(tf->dir, &st) == 0 && S_ISDIR(st.st_mode)) return true;
    if (code == EEXIST) code = ENOTDIR;
    return tf_io_error(err, "could not create the temp directory", tf->dir, code);
}

/* Makes the lock file under a temporary name, locks it, then renames it: a lock file under its
 * final name is always locked while its instance lives. */
static bool tf_take_lock(temp_files *tf, error *err) {
    char made[TF_PATH_MAX], final[TF_PATH_MAX];
    tf_lock_path(tf, ".lock.new", made);
    tf_lock_path(tf, ".lock", final);
    int fd = open(made, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return tf_io_error(err, "could not create a file in the temp directory", made, errno);
    if (flock(fd, LOCK_EX | LOCK_NB) != 0 || rename(made, final) != 0) {
        int code = errno;
        close(fd);
        unlink(made);
        return tf_io_error(err, "could not lock the temp file", final, code);
    }
    tf->lock_fd = fd;
    return true;
}

/* Creates the directory and takes the lock file on first use (lock held). */
static bool tf_ensure_directory(temp_files *tf, error *err) {
    if (tf->dir_ready) return true;
    if (!tf_make_directory(tf, err)) return false;
    tf_remove_dead(tf);
    if (!tf_take_lock(tf, err)) {
        if (tf->dir_created) rmdir(tf->dir);
        tf->dir_created = false;
        return false;
    }
    tf->dir_ready = true;
    return true;
}

/* ---- files --------------------------------------------------------------------------------- */

static void tf_delete_file(temp_files *tf, uint32_t index) {
    tf_file *f = &tf->files[index];
    char path[TF_PATH_MAX];
    tf_block_path(tf, f->number, path);
    unlink(path);
    close(f->fd);
    tf->bytes -= f->length;
    tf->blocks -= f->used;
    tf->file_count--;
    memset(f, 0, sizeof *f);
    f->fd = -1;
}

/* Removes every file, the lock file, and the directory if this manager created it (lock held). */
static void tf_release_directory(temp_files *tf) {
    for (uint32_t i = 0; i < tf->file_cap; i++)
        if (tf->files[i].fd >= 0) tf_delete_file(tf, i);
    if (tf->dir_ready) {
        char path[TF_PATH_MAX];
        tf_lock_path(tf, ".lock", path);
        unlink(path);
        close(tf->lock_fd);
        tf->lock_fd = -1;
        tf->dir_ready = false;
    }
    if (tf->dir_created) rmdir(tf->dir); /* fails, as it should, when others' files are in it */
    tf->dir_created = false;
}

/* A free file record, growing the array if needed; -1 when out of memory. */
static int64_t tf_free_record(temp_files *tf) {
    for (uint32_t i = 0; i < tf->file_cap; i++)
        if (tf->files[i].fd < 0) return i;
    uint32_t cap = tf->file_cap ? tf->file_cap * 2 : 16;
    tf_file *grown = pool_realloc(tf->pool, tf->files, (size_t)cap * sizeof *grown);
    if (!grown) return -1;
    for (uint32_t i = tf->file_cap; i < cap; i++) {
        memset(&grown[i], 0, sizeof grown[i]);
        grown[i].fd = -1;
    }
    int64_t first = tf->file_cap;
    tf->files = grown;
    tf->file_cap = cap;
    return first;
}

/* Creates a new block file with slots of slot_bytes, or (0) for one large block (lock held); its
 * record index, or -1 with err set. */
static int64_t tf_create_file(temp_files *tf, uint32_t slot_bytes, error *err) {
    int64_t index = tf_free_record(tf);
    if (index < 0) {
        error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not grow the list of temp files");
        return -1;
    }
    char path[TF_PATH_MAX];
    uint32_t number = tf->next_number++;
    tf_block_path(tf, number, path);
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        tf_io_error(err, "could not create the temp file", path, errno);
        return -1;
    }
    tf_file *f = &tf->files[index];
    memset(f, 0, sizeof *f);
    f->fd = fd;
    f->number = number;
    f->slot_bytes = slot_bytes;
    tf->file_count++;
    return index;
}

/* ---- slots ---------------------------------------------------------------------------------- */

/* Whether the file holds one block of its own rather than slots. */
static bool tf_large(const tf_file *f) { return f->slot_bytes == 0; }

static uint32_t tf_extent(const tf_file *f) { return (uint32_t)(f->length / f->slot_bytes); }

/* The slot size that holds bytes: the next multiple of TF_CLASS_BYTES. */
static uint32_t tf_slot_bytes_for(size_t bytes) {
    return (uint32_t)((bytes + TF_CLASS_BYTES - 1) / TF_CLASS_BYTES * TF_CLASS_BYTES);
}

static bool tf_bit(const uint64_t *bits, uint32_t s) { return (bits[s / 64] >> (s % 64)) & 1; }

static void tf_set_bit(uint64_t *bits, uint32_t s, bool on) {
    if (on) bits[s / 64] |= (uint64_t)1 << (s % 64);
    else bits[s / 64] &= ~((uint64_t)1 << (s % 64));
}

static int tf_lowest_free(const tf_file *f) {
    for (int w = 0; w < TF_WORDS; w++)
        if (~f->bitmap[w]) return w * 64 + __builtin_ctzll(~f->bitmap[w]);
    return -1;
}

/* One past the highest slot in use. */
static uint32_t tf_used_extent(const tf_file *f) {
    for (int w = TF_WORDS - 1; w >= 0; w--)
        if (f->bitmap[w]) return (uint32_t)(w * 64 + 64 - __builtin_clzll(f->bitmap[w]));
    return 0;
}

/* The shared file with slots of slot_bytes and the slot for a block: a free slot inside a file's
 * length first (no growth), else the end of a file with room; -1 when every such file is full.
 * Files with a write in flight are passed over: buffered writes to one file take its inode's lock
 * in turn, so threads that spill at once write to files of their own (-1 then makes one). */
static int64_t tf_pick_slot(const temp_files *tf, uint32_t slot_bytes, uint32_t *slot) {
    int64_t grow = -1;
    for (uint32_t i = 0; i < tf->file_cap; i++) {
        const tf_file *f = &tf->files[i];
        if (f->fd < 0 || f->slot_bytes != slot_bytes || f->used == TEMP_FILES_SLOTS || f->writing > 0) continue;
        int s = tf_lowest_free(f);
        if ((uint32_t)s < tf_extent(f)) {
            *slot = (uint32_t)s;
            return i;
        }
        if (grow < 0) {
            grow = i;
            *slot = (uint32_t)s;
        }
    }
    return grow;
}

static uint64_t tf_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The limit (lock held). The default one probes the file system (statvfs) at most every
 * TF_PROBE_NS unless fresh is asked for: a probe per spilled block would serialize every spill
 * behind a system call. Our own files count as available, so the probe stays right while only
 * they grow. */
static uint64_t tf_limit_probed(temp_files *tf, bool fresh) {
    if (tf->max_size_set) return tf->max_size;
    uint64_t now = tf_now_ns();
    if (fresh || tf->available_at_ns == 0 || now - tf->available_at_ns > TF_PROBE_NS) {
        tf->available = temp_files_free_space(tf->dir ? tf->dir : "") + tf->bytes;
        tf->available_at_ns = now ? now : 1;
    }
    return tf->available / 10 * 9;
}

/* The limit in force, probed now (lock held). */
static uint64_t tf_limit(temp_files *tf) { return tf_limit_probed(tf, true); }

static bool tf_check_limit(temp_files *tf, memory_tag tag, size_t size, uint64_t growth, error *err) {
    if (growth == 0) return true;
    uint64_t limit = tf_limit_probed(tf, false);
    if (tf->bytes <= limit && growth <= limit - tf->bytes) return true;
    limit = tf_limit_probed(tf, true); /* a spill is refused only on a fresh probe */
    if (tf->bytes <= limit && growth <= limit - tf->bytes) return true;
    char block[POOL_SIZE_TEXT_MAX], would[POOL_SIZE_TEXT_MAX], max[POOL_SIZE_TEXT_MAX];
    pool_format_size(size, block, sizeof block);
    pool_format_size(tf->bytes + growth, would, sizeof would);
    pool_format_size(limit, max, sizeof max);
    return error_set(err, EIDER_ERROR_TEMP_DIRECTORY_LIMIT,
                     "failed to offload data block of size %s (%s): the temporary files would grow to %s, past "
                     "max_temp_directory_size of %s (SET max_temp_directory_size='...' to change it)",
                     block, memory_tag_name(tag), would, max);
}

/* Where one block's I/O goes: stored bytes at offset, compressed or not. */
typedef struct tf_io {
    int fd;
    uint64_t offset;
    uint64_t slot;
    uint32_t stored;
    bool compressed;
    char path[TF_PATH_MAX];
} tf_io;

static void tf_io_fill(const temp_files *tf, uint32_t index, uint32_t s, tf_io *io) {
    const tf_file *f = &tf->files[index];
    io->fd = f->fd;
    io->offset = tf_large(f) ? 0 : (uint64_t)s * f->slot_bytes;
    io->slot = ((uint64_t)index << 32) | s;
    io->stored = tf_large(f) ? 0 : f->stored[s];
    io->compressed = !tf_large(f) && tf_bit(f->compressed, s);
    tf_block_path(tf, f->number, io->path);
}

/* Claims a slot of a shared file for stored bytes (up to one standard block) of a block of size
 * bytes, compressed or not (lock held). */
static bool tf_claim_slot(temp_files *tf, memory_tag tag, size_t size, size_t stored, bool compressed, tf_io *io,
                          error *err) {
    uint32_t slot_bytes = tf_slot_bytes_for(stored), s = 0;
    int64_t index = tf_pick_slot(tf, slot_bytes, &s);
    uint64_t growth = slot_bytes;
    if (index >= 0) {
        uint32_t extent = tf_extent(&tf->files[index]);
        growth = s < extent ? 0 : (uint64_t)(s + 1 - extent) * slot_bytes;
    }
    if (!tf_check_limit(tf, tag, size, growth, err)) return false;
    if (index < 0) {
        index = tf_create_file(tf, slot_bytes, err);
        if (index < 0) return false;
        s = 0;
    }
    tf_file *f = &tf->files[index];
    tf_set_bit(f->bitmap, s, true);
    tf_set_bit(f->compressed, s, compressed);
    f->stored[s] = (uint32_t)stored;
    f->used++;
    f->writing++;
    if (s >= tf_extent(f)) {
        tf->bytes += (uint64_t)(s + 1 - tf_extent(f)) * slot_bytes;
        f->length = (uint64_t)(s + 1) * slot_bytes;
    }
    tf->blocks++;
    tf_io_fill(tf, (uint32_t)index, s, io);
    return true;
}

/* Creates a file of its own for a block larger than a slot (lock held). */
static bool tf_claim_file(temp_files *tf, memory_tag tag, size_t size, tf_io *io, error *err) {
    if (!tf_check_limit(tf, tag, size, size, err)) return false;
    int64_t index = tf_create_file(tf, 0, err);
    if (index < 0) return false;
    tf_file *f = &tf->files[index];
    f->used = 1;
    f->writing = 1;
    f->length = size;
    tf->bytes += size;
    tf->blocks++;
    tf_io_fill(tf, (uint32_t)index, 0, io);
    return true;
}

/* Shortens a shared file to its highest slot in use. A failed truncate keeps the old length. */
static void tf_trim(temp_files *tf, tf_file *f) {
    uint32_t extent = tf_used_extent(f);
    if (extent >= tf_extent(f)) return;
    uint64_t length = (uint64_t)extent * f->slot_bytes;
    if (ftruncate(f->fd, (off_t)length) != 0) return;
    tf->bytes -= f->length - length;
    f->length = length;
}

/* Frees a slot (lock held): the file is trimmed, or deleted once empty; the last file's going
 * frees the bookkeeping that grew with the files. */
static void tf_release(temp_files *tf, uint64_t slot) {
    uint32_t index = (uint32_t)(slot >> 32), s = (uint32_t)slot;
    tf_file *f = &tf->files[index];
    if (!tf_large(f)) tf_set_bit(f->bitmap, s, false);
    f->used--;
    tf->blocks--;
    if (f->used == 0) tf_delete_file(tf, index);
    else if (!tf_large(f)) tf_trim(tf, f);
    if (tf->file_count == 0) { /* idle: keep neither file records nor scratch buffers */
        pool_free(tf->pool, tf->files);
        tf->files = NULL;
        tf->file_cap = 0;
        temp_codec_drop_spares(tf->codec);
    }
}

/* Whether slot names a stored block of `size` bytes (lock held). */
static bool tf_slot_valid(const temp_files *tf, uint64_t slot, size_t size) {
    uint32_t index = (uint32_t)(slot >> 32), s = (uint32_t)slot;
    if (index >= tf->file_cap || tf->files[index].fd < 0) return false;
    const tf_file *f = &tf->files[index];
    if (tf_large(f)) return s == 0 && f->length == size;
    return s < TEMP_FILES_SLOTS && size <= TF_SLOT_SIZE && tf_bit(f->bitmap, s) &&
           (tf_bit(f->compressed, s) || f->stored[s] == size);
}

/* ---- I/O ------------------------------------------------------------------------------------- */

static bool tf_pwrite_all(int fd, const void *data, size_t size, uint64_t offset) {
    const char *p = data;
    while (size > 0) {
        ssize_t n = pwrite(fd, p, size, (off_t)offset);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) errno = EIO;
            return false;
        }
        p += n;
        size -= (size_t)n;
        offset += (uint64_t)n;
    }
    return true;
}

static bool tf_pread_all(int fd, void *data, size_t size, uint64_t offset) {
    char *p = data;
    while (size > 0) {
        ssize_t n = pread(fd, p, size, (off_t)offset);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) errno = EIO; /* the file is shorter than what was written */
            return false;
        }
        p += n;
        size -= (size_t)n;
        offset += (uint64_t)n;
    }
    return true;
}

/* ---- the hooks ---------------------------------------------------------------------------- */

/* Claims where stored bytes of a block of size bytes go and writes them; false + err (or false
 * alone when spilling is disabled). */
static bool tf_store(temp_files *tf, memory_tag tag, size_t size, const void *stored, size_t stored_len,
                     bool compressed, uint64_t *slot, error *err) {
    tf_io io;
    pthread_mutex_lock(&tf->lock);
    if (!tf->dir) { /* spilling disabled: decline, the pool reports out of memory */
        pthread_mutex_unlock(&tf->lock);
        return false;
    }
    bool ok = tf_ensure_directory(tf, err) &&
              (size <= TF_SLOT_SIZE ? tf_claim_slot(tf, tag, size, stored_len, compressed, &io, err)
                                    : tf_claim_file(tf, tag, size, &io, err));
    pthread_mutex_unlock(&tf->lock);
    if (!ok) return false;
    bool written = tf_pwrite_all(io.fd, stored, stored_len, io.offset);
    int code = errno;
    pthread_mutex_lock(&tf->lock);
    tf->files[io.slot >> 32].writing--;
    if (!written) tf_release(tf, io.slot); /* trims what the write grew, deletes a file it created */
    pthread_mutex_unlock(&tf->lock);
    if (written) {
        *slot = io.slot;
        return true;
    }
    return tf_io_error(err, "could not write to the temp file", io.path, code);
}

bool temp_files_write(void *ctx, memory_tag tag, const void *data, size_t size, uint64_t *slot, error *err) {
    temp_files *tf = ctx;
    void *scratch = temp_codec_compresses(tf->codec, size) ? temp_codec_scratch_take(tf->codec) : NULL;
    size_t compressed_len = scratch ? temp_codec_compress(data, size, scratch) : 0;
    bool ok = compressed_len ? tf_store(tf, tag, size, scratch, compressed_len, true, slot, err)
                             : tf_store(tf, tag, size, data, size, false, slot, err);
    temp_codec_scratch_return(tf->codec, scratch, ok);
    return ok;
}

/* Reads a stored block back: a compressed one into a scratch buffer, then decompressed. */
static bool tf_load(temp_files *tf, const tf_io *io, void *data, size_t size, error *err) {
    if (!io->compressed) {
        if (tf_pread_all(io->fd, data, size, io->offset)) return true;
        return tf_io_error(err, "could not read from the temp file", io->path, errno);
    }
    void *scratch = temp_codec_scratch_take(tf->codec);
    if (!scratch) return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not read back a compressed temp block");
    bool ok = tf_pread_all(io->fd, scratch, io->stored, io->offset);
    if (!ok) tf_io_error(err, "could not read from the temp file", io->path, errno);
    else if (!(ok = temp_codec_decompress(scratch, io->stored, data, size)))
        error_set(err, EIDER_ERROR_IO, "the temp file \"%s\" holds a damaged compressed block", io->path);
    temp_codec_scratch_return(tf->codec, scratch, true);
    return ok;
}

/* Reads a slot; release: frees it afterwards. */
static bool tf_read(temp_files *tf, uint64_t slot, void *data, size_t size, bool release, error *err) {
    tf_io io;
    pthread_mutex_lock(&tf->lock);
    bool valid = tf_slot_valid(tf, slot, size);
    if (valid) tf_io_fill(tf, (uint32_t)(slot >> 32), (uint32_t)slot, &io);
    pthread_mutex_unlock(&tf->lock);
    if (!valid)
        return error_set(err, EIDER_ERROR_INTERNAL, "temp file slot %llu of %zu bytes is not in use",
                         (unsigned long long)slot, size);
    if (!tf_load(tf, &io, data, size, err)) return false;
    if (!release) return true;
    pthread_mutex_lock(&tf->lock);
    tf_release(tf, slot);
    pthread_mutex_unlock(&tf->lock);
    return true;
}

bool temp_files_read(void *ctx, uint64_t slot, void *data, size_t size, error *err) {
    return tf_read(ctx, slot, data, size, true, err);
}

bool temp_files_peek(void *ctx, uint64_t slot, void *data, size_t size, error *err) {
    return tf_read(ctx, slot, data, size, false, err);
}

void temp_files_discard(void *ctx, uint64_t slot, size_t size) {
    temp_files *tf = ctx;
    pthread_mutex_lock(&tf->lock);
    if (tf_slot_valid(tf, slot, size)) tf_release(tf, slot);
    pthread_mutex_unlock(&tf->lock);
}

pool_spill_hooks temp_files_hooks(temp_files *tf) {
    pool_spill_hooks hooks = {tf, temp_files_write, temp_files_read, temp_files_discard, temp_files_peek};
    return hooks;
}

/* ---- create / destroy / settings ------------------------------------------------------------ */

temp_files *temp_files_create(buffer_pool *pool) {
    temp_files *tf = pool_calloc(pool, 1, sizeof *tf);
    if (!tf) return NULL;
    if (pthread_mutex_init(&tf->lock, NULL) != 0) {
        pool_free(pool, tf);
        return NULL;
    }
    tf->pool = pool;
    tf->lock_fd = -1;
    tf->codec = temp_codec_create(pool);
    if (!tf->codec) {
        pthread_mutex_destroy(&tf->lock);
        pool_free(pool, tf);
        return NULL;
    }
    tf_make_id(tf);
    return tf;
}

void temp_files_destroy(temp_files *tf) {
    if (!tf) return;
    pthread_mutex_lock(&tf->lock);
    tf_release_directory(tf);
    pthread_mutex_unlock(&tf->lock);
    pool_free(tf->pool, tf->dir);
    pool_free(tf->pool, tf->files);
    temp_codec_destroy(tf->codec);
    pthread_mutex_destroy(&tf->lock);
    pool_free(tf->pool, tf);
}

static bool tf_same_directory(const char *a, const char *b) {
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

bool temp_files_set_directory(temp_files *tf, const char *dir, error *err) {
    const char *want = dir && dir[0] ? dir : NULL;
    if (want && strlen(want) > TF_DIR_MAX)
        return error_set(err, EIDER_ERROR_INVALID_INPUT, "temp_directory is too long (%zu bytes, at most %d)",
                         strlen(want), TF_DIR_MAX);
    pthread_mutex_lock(&tf->lock);
    if (tf_same_directory(want, tf->dir)) {
        pthread_mutex_unlock(&tf->lock);
        return true;
    }
    if (tf->file_count > 0) {
        char held[POOL_SIZE_TEXT_MAX];
        pool_format_size(tf->bytes, held, sizeof held);
        error_set(err, EIDER_ERROR_INVALID_INPUT,
                  "cannot change temp_directory while %s of data is spilled to \"%s\"; try again when less "
                  "data is spilled (after the queries or tables that use it are gone)",
                  held, tf->dir);
        pthread_mutex_unlock(&tf->lock);
        return false;
    }
    char *copy = want ? pool_strdup(tf->pool, want) : NULL;
    if (want && !copy) {
        pthread_mutex_unlock(&tf->lock);
        return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not store temp_directory");
    }
    tf_release_directory(tf);
    pool_free(tf->pool, tf->dir);
    tf->dir = copy;
    tf->available_at_ns = 0;
    if (copy) tf_remove_dead(tf);
    pthread_mutex_unlock(&tf->lock);
    return true;
}

void temp_files_set_compression(temp_files *tf, temp_compression mode) { temp_codec_set_mode(tf->codec, mode); }

temp_compression temp_files_compression(temp_files *tf) { return temp_codec_mode(tf->codec); }

void temp_files_set_max_size(temp_files *tf, uint64_t bytes) {
    pthread_mutex_lock(&tf->lock);
    tf->max_size = bytes;
    tf->max_size_set = true;
    pthread_mutex_unlock(&tf->lock);
}

void temp_files_reset_max_size(temp_files *tf) {
    pthread_mutex_lock(&tf->lock);
    tf->max_size = 0;
    tf->max_size_set = false;
    pthread_mutex_unlock(&tf->lock);
}

uint64_t temp_files_max_size(temp_files *tf) {
    pthread_mutex_lock(&tf->lock);
    uint64_t limit = tf_limit(tf);
    pthread_mutex_unlock(&tf->lock);
    return limit;
}

uint64_t temp_files_free_space(const char *dir) {
    char path[TF_PATH_MAX];
    snprintf(path, sizeof path, "%s", dir && dir[0] ? dir : ".");
    for (;;) {
        struct statvfs st;
        if (statvfs(path, &st) == 0) return (uint64_t)st.f_bavail * (uint64_t)st.f_frsize;
        /* one component up: strip trailing slashes, then the last component */
        size_t len = strlen(path);
        while (len > 1 && path[len - 1] == '/') path[--len] = '\0';
        char *slash = strrchr(path, '/');
        if (!slash) {
            if (strcmp(path, ".") == 0) return 0;
            snprintf(path, sizeof path, ".");
        } else if (slash == path) {
            if (strcmp(path, "/") == 0) return 0;
            path[1] = '\0';
        } else {
            *slash = '\0';
        }
    }
}

/* ---- statistics and listing ----------------------------------------------------------------- */

uint64_t temp_files_bytes(temp_files *tf) {
    pthread_mutex_lock(&tf->lock);
    uint64_t bytes = tf->bytes;
    pthread_mutex_unlock(&tf->lock);
    return bytes;
}

uint32_t temp_files_file_count(temp_files *tf) {
    pthread_mutex_lock(&tf->lock);
    uint32_t count = tf->file_count;
    pthread_mutex_unlock(&tf->lock);
    return count;
}

uint64_t temp_files_block_count(temp_files *tf) {
    pthread_mutex_lock(&tf->lock);
    uint64_t blocks = tf->blocks;
    pthread_mutex_unlock(&tf->lock);
    return blocks;
}

void temp_files_list_free(temp_files *tf, temp_file_entry *list, uint32_t count) {
    if (!list) return;
    for (uint32_t i = 0; i < count; i++) pool_free(tf->pool, list[i].path);
    pool_free(tf->pool, list);
}

/* Fills list with the existing files (lock held); false when out of memory. */
static bool tf_list_fill(temp_files *tf, temp_file_entry *list, uint32_t *count) {
    for (uint32_t i = 0; i < tf->file_cap && *count < tf->file_count; i++) {
        const tf_file *f = &tf->files[i];
        if (f->fd < 0) continue;
        char path[TF_PATH_MAX];
        tf_block_path(tf, f->number, path);
        struct stat st;
        temp_file_entry *e = &list[*count];
        e->size = fstat(f->fd, &st) == 0 ? (uint64_t)st.st_size : f->length;
        e->path = pool_strdup(tf->pool, path);
        if (!e->path) return false;
        (*count)++;
    }
    return true;
}

bool temp_files_list(temp_files *tf, temp_file_entry **out, uint32_t *count, error *err) {
    *out = NULL;
    *count = 0;
    pthread_mutex_lock(&tf->lock);
    temp_file_entry *list = tf->file_count ? pool_calloc(tf->pool, tf->file_count, sizeof *list) : NULL;
    bool ok = !tf->file_count || (list && tf_list_fill(tf, list, count));
    pthread_mutex_unlock(&tf->lock);
    if (!ok) {
        temp_files_list_free(tf, list, *count);
        *count = 0;
        return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not list the temporary files");
    }
    *out = list;
    return true;
}
