/*
 * test_temp_files.c — the temp-file manager: slots and their reuse, files trimmed and deleted when
 * empty, large blocks in files of their own, read-back, compressed blocks in slots of their
 * size, the max_temp_directory_size error, I/O
 * errors (unwritable directory, a write that fails half-way) leaving nothing behind, spilling
 * disabled, instances sharing a directory, removal of dead instances' files, the directory's
 * life; then the manager under a buffer pool, several threads at once, and a database whose
 * queries fail in each of the three ways and leave nothing behind.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eider.h"
#include "main/database.h"
#include "memory/pool.h"
#include "memory/temp_files.h"
#include "test_util.h"

#define BLK POOL_BLOCK_SIZE

static char base[256]; /* a fresh directory for this run */

/* ---- helpers -------------------------------------------------------------------------------- */

static void path_in_base(char *buf, size_t cap, const char *name) { snprintf(buf, cap, "%s/%s", base, name); }

static bool exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static long long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* Entries in dir whose name starts with prefix (all when prefix is ""); -1 if dir is missing. */
static int count_entries(const char *dir, const char *prefix) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' && strncmp(e->d_name, prefix, strlen(prefix)) == 0) n++;
    closedir(d);
    return n;
}

static int count_suffix(const char *dir, const char *suffix) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name), k = strlen(suffix);
        if (len >= k && strcmp(e->d_name + len - k, suffix) == 0) n++;
    }
    closedir(d);
    return n;
}

static void touch(const char *path, size_t size) {
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return;
    if (size && ftruncate(fd, (off_t)size) != 0) perror("ftruncate");
    close(fd);
}

static void remove_tree(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) remove_tree(p);
        else unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static void fill(void *data, size_t size, unsigned seed) {
    uint32_t *w = data;
    for (size_t i = 0; i < size / 4; i++) w[i] = seed * 2654435761u + (uint32_t)i;
}

static bool check_fill(const void *data, size_t size, unsigned seed) {
    const uint32_t *w = data;
    for (size_t i = 0; i < size / 4; i++)
        if (w[i] != seed * 2654435761u + (uint32_t)i) return false;
    return true;
}

static void *buffer(size_t size) { return calloc(1, size); }

static temp_files *manager_in(const char *dir) {
    temp_files *tf = temp_files_create(NULL);
    error err;
    error_clear(&err);
    CHECK(tf && temp_files_set_directory(tf, dir, &err), "set directory %s: %s", dir, err.message);
    CHECK(!tf || temp_files_compression(tf) == TEMP_COMPRESSION_NONE, "blocks are stored as they are by default");
    return tf;
}

static bool write_block(temp_files *tf, const void *data, size_t size, uint64_t *slot) {
    error err;
    error_clear(&err);
    bool ok = temp_files_write(tf, TAG_IN_MEMORY_TABLE, data, size, slot, &err);
    if (!ok) fprintf(stderr, "write failed: %s\n", err.message);
    return ok;
}

static bool read_block(temp_files *tf, uint64_t slot, void *data, size_t size) {
    error err;
    error_clear(&err);
    bool ok = temp_files_read(tf, slot, data, size, &err);
    if (!ok) fprintf(stderr, "read failed: %s\n", err.message);
    return ok;
}

/* ---- slots, files, large blocks ---------------------------------------------------------------- */

static void test_slots(void) {
    char dir[512];
    path_in_base(dir, sizeof dir, "slots");
    temp_files *tf = manager_in(dir);
    CHECK(!exists(dir)); /* created lazily */
    void *in = buffer(BLK), *out = buffer(BLK);
    uint64_t slot[4];
    for (unsigned i = 0; i < 3; i++) {
        fill(in, BLK, i);
        CHECK(write_block(tf, in, BLK, &slot[i]));
    }
    struct stat st;
    CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700, "directory mode %o",
          (unsigned)(st.st_mode & 0777));
    CHECK(temp_files_file_count(tf) == 1 && temp_files_block_count(tf) == 3);
    CHECK(temp_files_bytes(tf) == 3 * BLK);
    temp_file_entry *list = NULL;
    uint32_t n = 0;
    error err;
    error_clear(&err);
    CHECK(temp_files_list(tf, &list, &n, &err) && n == 1);
    if (n == 1) {
        CHECK(list[0].size == 3 * BLK && file_size(list[0].path) == (long long)(3 * BLK));
        CHECK(strncmp(list[0].path, dir, strlen(dir)) == 0 && strstr(list[0].path, ".block"));
        CHECK(stat(list[0].path, &st) == 0 && (st.st_mode & 0777) == 0600, "file mode %o", (unsigned)(st.st_mode & 0777));
    }
    temp_files_list_free(tf, list, n);
    CHECK(count_suffix(dir, ".lock") == 1);

    /* read the middle block back: equal bytes, its slot is free and reused first */
    CHECK(read_block(tf, slot[1], out, BLK) && check_fill(out, BLK, 1));
    CHECK(temp_files_block_count(tf) == 2 && temp_files_bytes(tf) == 3 * BLK);
    fill(in, BLK, 7);
    CHECK(write_block(tf, in, BLK, &slot[3]));
    CHECK(slot[3] == slot[1], "freed slot reused");
    CHECK(temp_files_bytes(tf) == 3 * BLK);

    /* a smaller block goes into a file of smaller slots (1/8 of a block: the smallest class) */
    uint64_t small;
    fill(in, 8192, 9);
    CHECK(write_block(tf, in, 8192, &small));
    CHECK(temp_files_file_count(tf) == 2 && temp_files_bytes(tf) == 3 * BLK + BLK / 8);
    CHECK(read_block(tf, small, out, 8192) && check_fill(out, 8192, 9));
    CHECK(temp_files_file_count(tf) == 1 && temp_files_bytes(tf) == 3 * BLK);

    /* freeing the tail trims the file; discarding the rest deletes it */
    CHECK(read_block(tf, slot[2], out, BLK) && check_fill(out, BLK, 2));
    CHECK(temp_files_bytes(tf) == 2 * BLK);
    temp_files_discard(tf, slot[3], BLK);
    CHECK(read_block(tf, slot[0], out, BLK) && check_fill(out, BLK, 0));
    CHECK(temp_files_file_count(tf) == 0 && temp_files_bytes(tf) == 0 && temp_files_block_count(tf) == 0);
    CHECK(count_suffix(dir, ".block") == 0, "empty file deleted");

    /* a read of a freed slot is an error, not a crash */
    error_clear(&err);
    CHECK(!temp_files_read(tf, slot[0], out, BLK, &err) && err.type == EIDER_ERROR_INTERNAL);
    temp_files_destroy(tf);
    CHECK(!exists(dir), "directory removed at destroy");
    free(in);
    free(out);
}

static void test_many_and_large(void) {
    char dir[512];
    path_in_base(dir, sizeof dir, "many");
    temp_files *tf = manager_in(dir);
    enum { N = TEMP_FILES_SLOTS + 3 };
    static uint64_t slots[N];
    void *in = buffer(BLK), *out = buffer(4 * BLK);
    for (unsigned i = 0; i < N; i++) {
        fill(in, BLK, i);
        CHECK(write_block(tf, in, BLK, &slots[i]));
    }
    CHECK(temp_files_file_count(tf) == 2, "a second shared file after %d slots", TEMP_FILES_SLOTS);
    CHECK(temp_files_bytes(tf) == (uint64_t)N * BLK);

    /* a large block gets a file of its own */
    size_t big = 3 * BLK + 4096;
    void *large = buffer(big);
    fill(large, big, 77);
    uint64_t lslot;
    CHECK(write_block(tf, large, big, &lslot));
    CHECK(temp_files_file_count(tf) == 3 && temp_files_bytes(tf) == (uint64_t)N * BLK + big);
    temp_file_entry *list = NULL;
    uint32_t n = 0;
    error err;
    error_clear(&err);
    CHECK(temp_files_list(tf, &list, &n, &err) && n == 3);
    int large_files = 0;
    for (uint32_t i = 0; i < n; i++) large_files += list[i].size == big;
    CHECK(large_files == 1);
    temp_files_list_free(tf, list, n);
    void *back = buffer(big);
    CHECK(read_block(tf, lslot, back, big) && check_fill(back, big, 77));
    CHECK(temp_files_file_count(tf) == 2);
    /* a large block discarded unread: its file goes too */
    CHECK(write_block(tf, large, big, &lslot));
    temp_files_discard(tf, lslot, big);
    CHECK(temp_files_file_count(tf) == 2);

    /* every block reads back intact; the second file empties and goes */
    bool all = true;
    for (unsigned i = N; i-- > 0;) {
        all = all && read_block(tf, slots[i], out, BLK) && check_fill(out, BLK, i);
        if (i == TEMP_FILES_SLOTS) CHECK(temp_files_file_count(tf) == 1);
    }
    CHECK(all);
    CHECK(temp_files_file_count(tf) == 0 && count_suffix(dir, ".block") == 0);
    temp_files_destroy(tf);
    CHECK(!exists(dir));
    free(in);
    free(out);
    free(large);
    free(back);
}

/* ---- compression --------------------------------------------------------------------------------- */

/* Text rows like the ones spilled by a query on strings: LZ4 shrinks them to well under half. */
static void fill_text(void *data, size_t size, unsigned seed) {
    char *p = data;
    size_t at = 0;
    for (unsigned row = 0; at < size; row++) {
        char line[64];
        int n = snprintf(line, sizeof line, "value %u of the s column %u;", row * 31 % 1000003, seed);
        for (int i = 0; i < n && at < size; i++) p[at++] = line[i];
    }
}

/* Bytes that do not compress. */
static void fill_random(void *data, size_t size, unsigned seed) {
    uint64_t x = 0x9E3779B97F4A7C15ull * (seed + 1);
    uint8_t *p = data;
    for (size_t i = 0; i < size; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        p[i] = (uint8_t)(x >> 32);
    }
}

static bool same_as(const void *a, unsigned seed, size_t size, void (*filler)(void *, size_t, unsigned)) {
    void *want = buffer(size);
    filler(want, size, seed);
    bool same = memcmp(a, want, size) == 0;
    free(want);
    return same;
}

/* The file holding a manager's only shared file, for damaging it. */
static bool only_file(temp_files *tf, char *path, size_t cap) {
    temp_file_entry *list = NULL;
    uint32_t n = 0;
    error err;
    error_clear(&err);
    bool ok = temp_files_list(tf, &list, &n, &err) && n == 1;
    if (ok) snprintf(path, cap, "%s", list[0].path);
    temp_files_list_free(tf, list, n);
    return ok;
}

static void test_compression(void) {
    char dir[512];
    path_in_base(dir, sizeof dir, "compress");
    temp_files *tf = manager_in(dir);
    temp_files_set_compression(tf, TEMP_COMPRESSION_LZ4);
    CHECK(temp_files_compression(tf) == TEMP_COMPRESSION_LZ4);
    void *in = buffer(BLK), *out = buffer(BLK);

    /* a compressible block takes a slot of the smallest class that holds it */
    uint64_t text, noise;
    fill_text(in, BLK, 1);
    CHECK(write_block(tf, in, BLK, &text));
    uint64_t text_bytes = temp_files_bytes(tf);
    CHECK(text_bytes > 0 && text_bytes <= BLK / 2 && text_bytes % (BLK / 8) == 0, "compressed text takes %llu bytes",
          (unsigned long long)text_bytes);
    char path[1024];
    CHECK(only_file(tf, path, sizeof path) && file_size(path) > 0 && file_size(path) <= (long long)text_bytes);
    /* one that does not compress is stored as it is, in a full-size slot */
    fill_random(in, BLK, 2);
    CHECK(write_block(tf, in, BLK, &noise));
    CHECK(temp_files_bytes(tf) == text_bytes + BLK && temp_files_file_count(tf) == 2);

    /* both read back intact; a peek keeps the slot */
    error err;
    error_clear(&err);
    CHECK(temp_files_peek(tf, text, out, BLK, &err) && same_as(out, 1, BLK, fill_text), "peek: %s", err.message);
    CHECK(temp_files_block_count(tf) == 2);
    CHECK(read_block(tf, text, out, BLK) && same_as(out, 1, BLK, fill_text));
    CHECK(read_block(tf, noise, out, BLK) && same_as(out, 2, BLK, fill_random));
    CHECK(temp_files_file_count(tf) == 0 && temp_files_bytes(tf) == 0);

    /* max_temp_directory_size counts what is stored: four compressed blocks fit where two would not */
    temp_files_set_max_size(tf, 2 * BLK);
    uint64_t four[4];
    for (unsigned i = 0; i < 4; i++) {
        fill_text(in, BLK, 10 + i);
        CHECK(write_block(tf, in, BLK, &four[i]));
    }
    CHECK(temp_files_bytes(tf) <= 2 * BLK && temp_files_file_count(tf) == 1);
    for (unsigned i = 0; i < 4; i++) CHECK(read_block(tf, four[i], out, BLK) && same_as(out, 10 + i, BLK, fill_text));
    temp_files_reset_max_size(tf);

    /* a damaged compressed block is an IO error that names the file, not a crash or wrong bytes */
    fill_text(in, BLK, 3);
    CHECK(write_block(tf, in, BLK, &text));
    CHECK(only_file(tf, path, sizeof path));
    int fd = open(path, O_WRONLY);
    uint8_t junk[4096];
    memset(junk, 0xFF, sizeof junk);
    CHECK(fd >= 0 && pwrite(fd, junk, sizeof junk, 0) == (ssize_t)sizeof junk);
    if (fd >= 0) close(fd);
    error_clear(&err);
    CHECK(!temp_files_read(tf, text, out, BLK, &err) && err.type == EIDER_ERROR_IO && strstr(err.message, path) &&
              strstr(err.message, "damaged"),
          "damaged block: %s", err.message);
    temp_files_discard(tf, text, BLK);

    /* blocks written before a change of mode read back after it; 'none' stores as is */
    fill_text(in, BLK, 4);
    CHECK(write_block(tf, in, BLK, &text));
    temp_files_set_compression(tf, TEMP_COMPRESSION_NONE);
    uint64_t plain;
    CHECK(write_block(tf, in, BLK, &plain));
    CHECK(temp_files_bytes(tf) == text_bytes + BLK);
    CHECK(read_block(tf, text, out, BLK) && same_as(out, 4, BLK, fill_text));
    CHECK(read_block(tf, plain, out, BLK) && same_as(out, 4, BLK, fill_text));

    CHECK(temp_files_file_count(tf) == 0 && count_suffix(dir, ".block") == 0);
    temp_files_destroy(tf);
    CHECK(!exists(dir));
    free(in);
    free(out);
}

/* ---- errors ------------------------------------------------------------------------------------ */

static void test_limit(void) {
    char dir[512];
    path_in_base(dir, sizeof dir, "limit");
    temp_files *tf = manager_in(dir);
    temp_files_set_max_size(tf, 2 * BLK);
    CHECK(temp_files_max_size(tf) == 2 * BLK);
    void *in = buffer(BLK);
    uint64_t a = UINT64_MAX, b = UINT64_MAX, c = UINT64_MAX;
    CHECK(write_block(tf, in, BLK, &a) && write_block(tf, in, BLK, &b));
    error err;
    error_clear(&err);
    CHECK(!temp_files_write(tf, TAG_HASH_TABLE, in, BLK, &c, &err));
    CHECK(err.type == EIDER_ERROR_TEMP_DIRECTORY_LIMIT);
    CHECK(strstr(err.message, "max_temp_directory_size") && strstr(err.message, "512.0 KiB") &&
              strstr(err.message, "768.0 KiB") && strstr(err.message, "256.0 KiB") && strstr(err.message, "HASH_TABLE"),
          "limit message: %s", err.message);
    CHECK(temp_files_bytes(tf) == 2 * BLK && temp_files_block_count(tf) == 2);
    /* a freed slot inside the file can be used again within the limit */
    temp_files_discard(tf, a, BLK);
    CHECK(write_block(tf, in, BLK, &c) && c == a);
    temp_files_discard(tf, b, BLK);
    temp_files_discard(tf, c, BLK);
    /* the default is 90% of the free space */
    temp_files_reset_max_size(tf);
    uint64_t free_space = temp_files_free_space(dir);
    CHECK(free_space > 0 && temp_files_max_size(tf) <= free_space && temp_files_max_size(tf) >= free_space / 10 * 8);
    temp_files_destroy(tf);
    CHECK(!exists(dir));
    free(in);
}

static void test_unwritable(void) {
    char file[512], dir[600];
    path_in_base(file, sizeof file, "a_file");
    touch(file, 10);
    snprintf(dir, sizeof dir, "%s/spill", file);
    temp_files *tf = manager_in(dir);
    void *in = buffer(BLK);
    uint64_t slot;
    error err;
    error_clear(&err);
    CHECK(!temp_files_write(tf, TAG_IN_MEMORY_TABLE, in, BLK, &slot, &err));
    CHECK(err.type == EIDER_ERROR_IO && strncmp(err.message, "IO Error: ", 10) == 0 && strstr(err.message, dir),
          "unwritable: %s", err.message);
    CHECK(temp_files_file_count(tf) == 0);
    temp_files_destroy(tf);
    unlink(file);

    if (geteuid() != 0) { /* permissions do not stop root */
        char ro[512], sub[600];
        path_in_base(ro, sizeof ro, "read_only");
        mkdir(ro, 0500);
        snprintf(sub, sizeof sub, "%s/spill", ro);
        tf = manager_in(sub);
        error_clear(&err);
        CHECK(!temp_files_write(tf, TAG_IN_MEMORY_TABLE, in, BLK, &slot, &err));
        CHECK(err.type == EIDER_ERROR_IO && strstr(err.message, sub) && strstr(err.message, "ermission"),
              "read-only parent: %s", err.message);
        temp_files_destroy(tf);
        rmdir(ro);
    }
    free(in);
}

/* A write that fails half-way (the file size limit stands in for a full disk) leaves no grown
 * or new file behind. */
static void test_failed_write(void) {
    char dir[512];
    path_in_base(dir, sizeof dir, "fsize");
    temp_files *tf = manager_in(dir);
    void *in = buffer(4 * BLK);
    uint64_t a = UINT64_MAX, b = UINT64_MAX, c = UINT64_MAX;
    CHECK(write_block(tf, in, BLK, &a) && write_block(tf, in, BLK, &b));
    temp_file_entry *list = NULL;
    uint32_t n = 0;
    error err;
    error_clear(&err);
    CHECK(temp_files_list(tf, &list, &n, &err) && n == 1);
    char shared[1024] = "";
    if (n == 1) snprintf(shared, sizeof shared, "%s", list[0].path);
    temp_files_list_free(tf, list, n);

    struct rlimit old;
    getrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = old;
    small.rlim_cur = 2 * BLK + BLK / 2; /* the third slot can only be half written */
    CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0);
    error_clear(&err);
    CHECK(!temp_files_write(tf, TAG_IN_MEMORY_TABLE, in, BLK, &c, &err));
    CHECK(err.type == EIDER_ERROR_IO && strstr(err.message, shared) && strstr(err.message, "too large"),
          "half-written slot: %s", err.message);
    CHECK(file_size(shared) == (long long)(2 * BLK), "file back to %lld bytes", file_size(shared));
    CHECK(temp_files_bytes(tf) == 2 * BLK && temp_files_block_count(tf) == 2);
    /* a large block whose own file cannot be written: the file is gone */
    error_clear(&err);
    CHECK(!temp_files_write(tf, TAG_IN_MEMORY_TABLE, in, 4 * BLK, &c, &err));
    CHECK(err.type == EIDER_ERROR_IO && strstr(err.message, dir), "large: %s", err.message);
    CHECK(temp_files_file_count(tf) == 1 && count_suffix(dir, ".block") == 1);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, SIG_DFL);

    /* all is well again */
    CHECK(write_block(tf, in, BLK, &c));
    temp_files_discard(tf, a, BLK);
    temp_files_discard(tf, b, BLK);
    temp_files_discard(tf, c, BLK);
    CHECK(count_suffix(dir, ".block") == 0);
    temp_files_destroy(tf);
    CHECK(!exists(dir));
    free(in);
}

static void test_disabled_and_directory_change(void) {
    temp_files *tf = temp_files_create(NULL);
    void *in = buffer(BLK);
    uint64_t slot;
    error err;
    error_clear(&err);
    /* no directory: the write declines without an error */
    CHECK(!temp_files_write(tf, TAG_IN_MEMORY_TABLE, in, BLK, &slot, &err) && !error_is_set(&err));
    CHECK(temp_files_set_directory(tf, "", &err));
    CHECK(!temp_files_write(tf, TAG_IN_MEMORY_TABLE, in, BLK, &slot, &err) && !error_is_set(&err));

    char one[512], two[512];
    path_in_base(one, sizeof one, "one");
    path_in_base(two, sizeof two, "two");
    CHECK(temp_files_set_directory(tf, one, &err));
    CHECK(write_block(tf, in, BLK, &slot));
    CHECK(!temp_files_set_directory(tf, two, &err) && err.type == EIDER_ERROR_INVALID_INPUT &&
              strstr(err.message, "temp_directory") && strstr(err.message, one),
          "change while spilled: %s", err.message);
    error_clear(&err);
    CHECK(temp_files_set_directory(tf, one, &err), "the same directory is fine");
    CHECK(!temp_files_set_directory(tf, "", &err));
    error_clear(&err);
    temp_files_discard(tf, slot, BLK);
    CHECK(temp_files_set_directory(tf, two, &err));
    CHECK(!exists(one), "the old directory (created by the manager, now empty) is removed");
    CHECK(write_block(tf, in, BLK, &slot) && exists(two));
    temp_files_discard(tf, slot, BLK);

    /* a directory that existed before stays at destroy */
    char pre[512];
    path_in_base(pre, sizeof pre, "pre_existing");
    mkdir(pre, 0755);
    CHECK(temp_files_set_directory(tf, pre, &err));
    CHECK(!exists(two));
    CHECK(write_block(tf, in, BLK, &slot));
    temp_files_destroy(tf);
    CHECK(exists(pre) && count_entries(pre, "") == 0, "pre-existing directory kept, emptied");
    rmdir(pre);
    free(in);
}

/* ---- instances ----------------------------------------------------------------------------- */

static void test_two_instances(void) {
    char dir[512];
    path_in_base(dir, sizeof dir, "shared");
    temp_files *a = manager_in(dir), *b = manager_in(dir);
    void *in = buffer(BLK), *out = buffer(BLK);
    uint64_t sa[3], sb[3];
    for (unsigned i = 0; i < 3; i++) {
        fill(in, BLK, 100 + i);
        CHECK(write_block(a, in, BLK, &sa[i]));
        fill(in, BLK, 200 + i);
        CHECK(write_block(b, in, BLK, &sb[i]));
    }
    CHECK(count_suffix(dir, ".block") == 2 && count_suffix(dir, ".lock") == 2);
    temp_file_entry *la = NULL, *lb = NULL;
    uint32_t na = 0, nb = 0;
    error err;
    error_clear(&err);
    CHECK(temp_files_list(a, &la, &na, &err) && temp_files_list(b, &lb, &nb, &err) && na == 1 && nb == 1);
    if (na == 1 && nb == 1) CHECK(strcmp(la[0].path, lb[0].path) != 0);
    temp_files_list_free(a, la, na);
    temp_files_list_free(b, lb, nb);
    /* a third manager opening the directory takes nothing of the live ones */
    temp_files *c = manager_in(dir);
    CHECK(count_suffix(dir, ".block") == 2 && count_suffix(dir, ".lock") == 2);
    temp_files_destroy(c);
    for (unsigned i = 0; i < 3; i++) {
        CHECK(read_block(a, sa[i], out, BLK) && check_fill(out, BLK, 100 + i));
        if (i == 0) {
            /* a's file stays while it has blocks; b's is untouched */
            CHECK(count_suffix(dir, ".block") == 2);
        }
    }
    temp_files_destroy(a);
    CHECK(exists(dir), "b still uses the directory");
    CHECK(count_suffix(dir, ".block") == 1 && count_suffix(dir, ".lock") == 1);
    for (unsigned i = 0; i < 3; i++) CHECK(read_block(b, sb[i], out, BLK) && check_fill(out, BLK, 200 + i));
    temp_files_destroy(b);
    /* whichever manager created the directory removes it only when empty: it may stay */
    rmdir(dir);
    free(in);
    free(out);
}

static void test_dead_instances(void) {
    char dir[512], p[1024];
    path_in_base(dir, sizeof dir, "dead");
    mkdir(dir, 0700);
    /* a dead instance: lock file that nobody holds, and its blocks */
    snprintf(p, sizeof p, "%s/eider_999-0-deadbeef.lock", dir);
    touch(p, 0);
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/eider_999-0-deadbeef_%d.block", dir, i);
        touch(p, BLK);
    }
    /* a live one (the lock held here), and someone else's file */
    snprintf(p, sizeof p, "%s/eider_888-0-cafe.lock", dir);
    touch(p, 0);
    int live = open(p, O_RDONLY);
    CHECK(live >= 0 && flock(live, LOCK_EX | LOCK_NB) == 0);
    snprintf(p, sizeof p, "%s/eider_888-0-cafe_0.block", dir);
    touch(p, BLK);
    snprintf(p, sizeof p, "%s/notes.txt", dir);
    touch(p, 5);
    /* a real live manager in the same directory */
    temp_files *other = manager_in(dir);
    void *in = buffer(BLK);
    uint64_t slot;
    CHECK(write_block(other, in, BLK, &slot));

    /* a new manager on the directory removes the dead instance's files, nothing else */
    temp_files *tf = manager_in(dir);
    CHECK(count_entries(dir, "eider_999-0-deadbeef") == 0, "dead instance's files removed");
    CHECK(count_entries(dir, "eider_888-0-cafe") == 2, "live instance's files kept");
    CHECK(count_entries(dir, "notes.txt") == 1);
    CHECK(count_suffix(dir, ".block") == 2 && count_suffix(dir, ".lock") == 2);
    temp_files_destroy(tf);

    /* when the live one dies (its lock is released), the next manager cleans up after it too */
    close(live);
    tf = manager_in(dir);
    CHECK(count_entries(dir, "eider_888-0-cafe") == 0);
    CHECK(count_suffix(dir, ".block") == 1, "the other manager's block stays");
    temp_files_destroy(tf);
    temp_files_discard(other, slot, BLK);
    temp_files_destroy(other);
    CHECK(count_entries(dir, "eider_") == 0);
    snprintf(p, sizeof p, "%s/notes.txt", dir);
    unlink(p);
    rmdir(dir);
    free(in);
}

/* ---- under a buffer pool ----------------------------------------------------------------------- */

static void test_pool_spill(void) {
    char dir[512];
    path_in_base(dir, sizeof dir, "pool");
    buffer_pool *pool = pool_create(4 * BLK + 64 * 1024);
    temp_files *tf = temp_files_create(pool);
    error err;
    error_clear(&err);
    CHECK(temp_files_set_directory(tf, dir, &err));
    pool_spill_hooks hooks = temp_files_hooks(tf);
    pool_set_spill_hooks(pool, &hooks);

    enum { N = 16 };
    block_handle *b[N];
    bool all = true;
    for (unsigned i = 0; i < N; i++) {
        b[i] = block_alloc(pool, TAG_IN_MEMORY_TABLE, BLOCK_TEMPORARY, BLK, &err);
        all = all && b[i];
        if (!b[i]) break;
        fill(block_data(b[i]), BLK, 300 + i);
        block_unpin(b[i]);
    }
    CHECK(all, "allocations spill: %s", err.message);
    if (!all) return;
    CHECK(pool_tag_temporary_bytes(pool, TAG_IN_MEMORY_TABLE) >= (N - 4) * BLK);
    CHECK(pool_tag_temporary_bytes(pool, TAG_IN_MEMORY_TABLE) + pool_tag_used_bytes(pool, TAG_IN_MEMORY_TABLE) ==
          N * BLK);
    CHECK(temp_files_block_count(tf) * BLK == pool_tag_temporary_bytes(pool, TAG_IN_MEMORY_TABLE));
    CHECK(count_suffix(dir, ".block") >= 1);
    for (unsigned i = 0; i < N; i++) {
        void *d = block_pin(b[i], &err);
        CHECK(d && check_fill(d, BLK, 300 + i), "block %u back", i);
        block_unpin(b[i]);
    }
    CHECK(pool_tag_temporary_bytes(pool, TAG_IN_MEMORY_TABLE) + pool_tag_used_bytes(pool, TAG_IN_MEMORY_TABLE) ==
          N * BLK);
    for (unsigned i = 0; i < N; i++) block_free(b[i]);
    CHECK(count_suffix(dir, ".block") == 0 && temp_files_file_count(tf) == 0);
    CHECK(pool_tag_temporary_bytes(pool, TAG_IN_MEMORY_TABLE) == 0 && pool_tag_used_bytes(pool, TAG_IN_MEMORY_TABLE) == 0);
    CHECK(pool_block_count(pool) == 0);

    /* spilling disabled: the pool's own out-of-memory error */
    CHECK(temp_files_set_directory(tf, "", &err));
    for (unsigned i = 0; i < 4; i++) {
        b[i] = block_alloc(pool, TAG_IN_MEMORY_TABLE, BLOCK_TEMPORARY, BLK, &err);
        if (b[i]) block_unpin(b[i]);
    }
    error_clear(&err);
    block_handle *x = block_alloc(pool, TAG_IN_MEMORY_TABLE, BLOCK_TEMPORARY, BLK, &err);
    CHECK(!x && err.type == EIDER_ERROR_OUT_OF_MEMORY && strstr(err.message, "Out of Memory Error: failed to allocate"),
          "disabled: %s", err.message);
    for (unsigned i = 0; i < 4; i++) block_free(b[i]);
    CHECK(!exists(dir));

    pool_set_spill_hooks(pool, NULL);
    temp_files_destroy(tf);
    CHECK(pool_used_bytes(pool) == 0, "bookkeeping returned: %llu", (unsigned long long)pool_used_bytes(pool));
    pool_destroy(pool);
}

typedef struct worker_arg {
    temp_files *tf;
    unsigned id;
    bool ok;
} worker_arg;

static void *worker(void *p) {
    worker_arg *w = p;
    enum { N = 24 };
    uint64_t slots[N];
    size_t sizes[N];
    void *buf = buffer(2 * BLK);
    w->ok = true;
    for (int round = 0; round < 3 && w->ok; round++) {
        for (unsigned i = 0; i < N && w->ok; i++) {
            sizes[i] = i % 7 == 3 ? 2 * BLK : BLK - (i % 3) * 4096;
            fill(buf, sizes[i], w->id * 1000 + i);
            w->ok = write_block(w->tf, buf, sizes[i], &slots[i]);
        }
        for (unsigned i = 0; i < N && w->ok; i++)
            w->ok = read_block(w->tf, slots[i], buf, sizes[i]) && check_fill(buf, sizes[i], w->id * 1000 + i);
    }
    free(buf);
    return NULL;
}

static void test_threads(void) {
    char dir[512];
    path_in_base(dir, sizeof dir, "threads");
    temp_files *tf = manager_in(dir);
    pthread_t t[4];
    worker_arg args[4];
    for (unsigned i = 0; i < 4; i++) {
        args[i] = (worker_arg){tf, i, false};
        pthread_create(&t[i], NULL, worker, &args[i]);
    }
    for (unsigned i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK(args[i].ok, "worker %u", i);
    }
    CHECK(temp_files_file_count(tf) == 0 && temp_files_bytes(tf) == 0 && count_suffix(dir, ".block") == 0);
    temp_files_destroy(tf);
    CHECK(!exists(dir));
}

/* ---- a database ---------------------------------------------------------------------------------- */

static eider_result *run(eider_connection *con, const char *sql) {
    eider_result *r = NULL;
    eider_query(con, sql, &r);
    return r;
}

static bool run_ok(eider_connection *con, const char *sql) {
    eider_result *r = run(con, sql);
    bool ok = r && !eider_result_error(r);
    if (!ok) fprintf(stderr, "%s: %s\n", sql, r ? eider_result_error(r) : "no result");
    eider_result_destroy(r);
    return ok;
}

static int64_t query_int(eider_connection *con, const char *sql) {
    eider_result *r = run(con, sql);
    int64_t v = r && !eider_result_error(r) && eider_row_count(r) ? eider_value_int64(r, 0, 0) : -1;
    eider_result_destroy(r);
    return v;
}

/* The statement fails with the given error type and message part; afterwards no temp file is
 * left, the pool holds nothing for it, and the next query works. */
static void fails_cleanly(eider_database *db, eider_connection *con, eider_error_type type, const char *part) {
    const char *sql = "CREATE TABLE t AS SELECT range AS i, 'row number ' || range AS s FROM range(5000000)";
    eider_result *r = run(con, sql);
    const char *msg = r ? eider_result_error(r) : NULL;
    CHECK(msg && eider_result_error_type(r) == type && strstr(msg, part), "expected %s, got %s", part,
          msg ? msg : "success");
    eider_result_destroy(r);
    CHECK(query_int(con, "SELECT count(*) FROM eider_temporary_files()") == 0);
    CHECK(temp_files_file_count(db->temp_files) == 0);
    for (int t = 0; t < TAG_COUNT; t++) {
        if (t == TAG_METADATA || t == TAG_ALLOCATOR) continue;
        CHECK(pool_tag_used_bytes(db->pool, (memory_tag)t) == 0 && pool_tag_temporary_bytes(db->pool, (memory_tag)t) == 0,
              "%s holds %llu + %llu bytes", memory_tag_name((memory_tag)t),
              (unsigned long long)pool_tag_used_bytes(db->pool, (memory_tag)t),
              (unsigned long long)pool_tag_temporary_bytes(db->pool, (memory_tag)t));
    }
    CHECK(query_int(con, "SELECT count(*) FROM range(1000)") == 1000);
    CHECK(query_int(con, "SELECT count(*) FROM (SELECT * FROM t)") == -1, "no table t");
}

static void test_database(void) {
    char dir[512], sql[1024], file[512];
    path_in_base(dir, sizeof dir, "db_spill");
    eider_database *db = NULL;
    eider_connection *con = NULL;
    CHECK(eider_open(NULL, NULL, &db, NULL) == EIDER_SUCCESS && eider_connect(db, &con) == EIDER_SUCCESS);
    if (!con) return;
    snprintf(sql, sizeof sql, "SET temp_directory='%s'", dir);
    CHECK(run_ok(con, sql) && run_ok(con, "SET memory_limit='64MB'"));

    /* spilling works, and the table reads back */
    CHECK(run_ok(con, "CREATE TABLE t AS SELECT range AS i, 'row number ' || range AS s FROM range(2000000)"));
    CHECK(query_int(con, "SELECT count(*) FROM eider_temporary_files()") > 0);
    CHECK(query_int(con, "SELECT sum(temporary_storage_bytes) FROM eider_memory()") > 0);
    CHECK(query_int(con, "SELECT sum(i) FROM t") == 1999999000000LL);
    /* the directory cannot move while the table is spilled to it */
    eider_result *r = run(con, "SET temp_directory=''");
    CHECK(r && eider_result_error_type(r) == EIDER_ERROR_INVALID_INPUT);
    eider_result_destroy(r);
    CHECK(run_ok(con, "DROP TABLE t"));
    CHECK(query_int(con, "SELECT count(*) FROM eider_temporary_files()") == 0);
    CHECK(query_int(con, "SELECT count(*) FROM duckdb_temporary_files()") == 0);

    /* the three ways to fail */
    CHECK(run_ok(con, "SET max_temp_directory_size='16MB'"));
    fails_cleanly(db, con, EIDER_ERROR_TEMP_DIRECTORY_LIMIT, "max_temp_directory_size");
    CHECK(run_ok(con, "RESET max_temp_directory_size"));
    path_in_base(file, sizeof file, "db_file");
    touch(file, 1);
    snprintf(sql, sizeof sql, "SET temp_directory='%s/sub'", file);
    CHECK(run_ok(con, sql));
    fails_cleanly(db, con, EIDER_ERROR_IO, file);
    unlink(file);
    CHECK(run_ok(con, "SET temp_directory=''"));
    fails_cleanly(db, con, EIDER_ERROR_OUT_OF_MEMORY, "Out of Memory Error: failed to allocate");
    eider_disconnect(con);
    eider_close(db);
    CHECK(!exists(dir));
}

int main(void) {
    snprintf(base, sizeof base, "/tmp/eider_test_temp_files_XXXXXX");
    if (!mkdtemp(base)) {
        perror("mkdtemp");
        return 1;
    }
    test_slots();
    test_compression();
    test_many_and_large();
    test_limit();
    test_unwritable();
    test_failed_write();
    test_disabled_and_directory_change();
    test_two_instances();
    test_dead_instances();
    test_pool_spill();
    test_threads();
    test_database();
    CHECK(count_entries(base, "") == 0, "nothing left in %s", base);
    remove_tree(base);
    return test_summary();
}
