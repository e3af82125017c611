/*
 * test_pool.c — the buffer pool: limits and out-of-memory messages, per-tag accounting, pins,
 * eviction of destroyable blocks, spilling through hooks, lowering the limit, counted malloc,
 * and a multi-threaded smoke test.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memory/pool.h"
#include "memory/pool_persistent.h"
#include "memory/size_format.h"
#include "test_util.h"

#define KIB ((uint64_t)1024)
#define MIB (KIB * 1024)
#define BLK POOL_BLOCK_SIZE

static uint64_t tag_sum(const buffer_pool *pool) {
    uint64_t s = 0;
    for (int t = 0; t < TAG_COUNT; t++) s += pool_tag_used_bytes(pool, (memory_tag)t);
    return s;
}

static bool filled_with(const void *p, size_t n, unsigned char c) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != c) return false;
    return true;
}

/* ---- fake spill target: slots in malloc'ed memory (test scaffolding, not pool memory) ---- */

#define FAKE_SLOTS 256

typedef struct fake_spill {
    pthread_mutex_t lock;
    void *slots[FAKE_SLOTS];
    size_t sizes[FAKE_SLOTS];
    int writes, reads, discards, peeks;
    bool fail_writes, fail_peeks;
} fake_spill;

static bool fake_write(void *ctx, memory_tag tag, const void *data, size_t size, uint64_t *slot, error *err) {
    (void)tag;
    fake_spill *f = ctx;
    pthread_mutex_lock(&f->lock);
    if (f->fail_writes) {
        pthread_mutex_unlock(&f->lock);
        return error_set(err, EIDER_ERROR_TEMP_DIRECTORY_LIMIT, "temp directory full (fake)");
    }
    for (uint64_t i = 0; i < FAKE_SLOTS; i++) {
        if (f->slots[i]) continue;
        f->slots[i] = malloc(size);
        memcpy(f->slots[i], data, size);
        f->sizes[i] = size;
        f->writes++;
        *slot = i;
        pthread_mutex_unlock(&f->lock);
        return true;
    }
    pthread_mutex_unlock(&f->lock);
    return error_set(err, EIDER_ERROR_IO, "no free slot (fake)");
}

static bool fake_read(void *ctx, uint64_t slot, void *data, size_t size, error *err) {
    fake_spill *f = ctx;
    pthread_mutex_lock(&f->lock);
    if (slot >= FAKE_SLOTS || !f->slots[slot] || f->sizes[slot] != size) {
        pthread_mutex_unlock(&f->lock);
        return error_set(err, EIDER_ERROR_IO, "bad slot (fake)");
    }
    memcpy(data, f->slots[slot], size);
    free(f->slots[slot]);
    f->slots[slot] = NULL;
    f->reads++;
    pthread_mutex_unlock(&f->lock);
    return true;
}

static bool fake_peek(void *ctx, uint64_t slot, void *data, size_t size, error *err) {
    fake_spill *f = ctx;
    pthread_mutex_lock(&f->lock);
    bool ok = !f->fail_peeks && slot < FAKE_SLOTS && f->slots[slot] && f->sizes[slot] == size;
    if (ok) memcpy(data, f->slots[slot], size);
    f->peeks += ok;
    pthread_mutex_unlock(&f->lock);
    return ok || error_set(err, EIDER_ERROR_IO, "cannot read the slot (fake)");
}

static void fake_discard(void *ctx, uint64_t slot, size_t size) {
    (void)size;
    fake_spill *f = ctx;
    pthread_mutex_lock(&f->lock);
    if (slot < FAKE_SLOTS) {
        free(f->slots[slot]);
        f->slots[slot] = NULL;
    }
    f->discards++;
    pthread_mutex_unlock(&f->lock);
}

static int fake_live(fake_spill *f) {
    int n = 0;
    for (int i = 0; i < FAKE_SLOTS; i++) n += f->slots[i] != NULL;
    return n;
}

static pool_spill_hooks fake_hooks(fake_spill *f) {
    pool_spill_hooks h = {f, fake_write, fake_read, fake_discard, fake_peek};
    return h;
}

/* ---- tests -------------------------------------------------------------------------------- */

static void test_size_format(void) {
    char buf[POOL_SIZE_TEXT_MAX];
    pool_format_size(0, buf, sizeof buf);
    CHECK(strcmp(buf, "0 bytes") == 0);
    pool_format_size(1, buf, sizeof buf);
    CHECK(strcmp(buf, "1 byte") == 0);
    pool_format_size(100, buf, sizeof buf);
    CHECK(strcmp(buf, "100 bytes") == 0);
    pool_format_size(1023, buf, sizeof buf);
    CHECK(strcmp(buf, "1023 bytes") == 0);
    pool_format_size(1024, buf, sizeof buf);
    CHECK(strcmp(buf, "1.0 KiB") == 0);
    pool_format_size(256 * KIB, buf, sizeof buf);
    CHECK(strcmp(buf, "256.0 KiB") == 0);
    pool_format_size(95 * MIB, buf, sizeof buf);
    CHECK(strcmp(buf, "95.0 MiB") == 0);
    pool_format_size(3 * MIB / 2 * 1024, buf, sizeof buf);
    CHECK(strcmp(buf, "1.5 GiB") == 0);
    pool_format_size(UINT64_MAX, buf, sizeof buf);
    CHECK(strcmp(buf, "15.9 EiB") == 0);
}

static void test_limit_and_message(void) {
    buffer_pool *pool = pool_create(1 * MIB);
    error err;
    error_clear(&err);
    CHECK(pool_memory_limit(pool) == MIB);
    CHECK(pool_reserve(pool, TAG_BASE_TABLE, 900 * KIB, &err));
    CHECK(pool_used_bytes(pool) == 900 * KIB);
    CHECK(block_alloc(pool, TAG_HASH_TABLE, BLOCK_TEMPORARY, BLK, &err) == NULL);
    CHECK(err.type == EIDER_ERROR_OUT_OF_MEMORY);
    CHECK(strcmp(err.message, "Out of Memory Error: failed to allocate data of size 256.0 KiB (HASH_TABLE): "
                              "900.0 KiB/1.0 MiB used") == 0);
    CHECK(pool_used_bytes(pool) == 900 * KIB);
    CHECK(pool_tag_used_bytes(pool, TAG_HASH_TABLE) == 0);
    CHECK(pool_block_count(pool) == 0);

    /* a request larger than the whole limit */
    error_clear(&err);
    CHECK(!pool_reserve(pool, TAG_ORDER_BY, 2 * MIB, &err));
    CHECK(strcmp(err.message, "Out of Memory Error: failed to allocate data of size 2.0 MiB (ORDER_BY): "
                              "900.0 KiB/1.0 MiB used") == 0);

    /* fits exactly */
    error_clear(&err);
    CHECK(pool_reserve(pool, TAG_ORDER_BY, 124 * KIB, &err));
    CHECK(pool_used_bytes(pool) == MIB);
    CHECK(!pool_reserve(pool, TAG_ORDER_BY, 1, &err));
    pool_release(pool, TAG_ORDER_BY, 124 * KIB);
    pool_release(pool, TAG_BASE_TABLE, 900 * KIB);
    CHECK(pool_used_bytes(pool) == 0);
    pool_destroy(pool);
}

static void test_tag_accounting(void) {
    buffer_pool *pool = pool_create(64 * MIB);
    error err;
    error_clear(&err);
    block_handle *a = block_alloc(pool, TAG_HASH_TABLE, BLOCK_TEMPORARY, BLK, &err);
    block_handle *b = block_alloc(pool, TAG_ORDER_BY, BLOCK_DESTROYABLE, 1000, &err);
    block_handle *c = block_alloc(pool, TAG_COLUMN_DATA, BLOCK_PERSISTENT, 3 * BLK + 1, &err);
    CHECK(a && b && c);
    CHECK(block_size(a) == BLK && block_size(b) == 4096 && block_size(c) == 3 * BLK + 4096);
    CHECK(block_tag(c) == TAG_COLUMN_DATA);
    CHECK(pool_block_count(pool) == 3);
    CHECK(pool_tag_used_bytes(pool, TAG_HASH_TABLE) == BLK);
    CHECK(pool_tag_used_bytes(pool, TAG_ORDER_BY) == 4096);
    CHECK(pool_tag_used_bytes(pool, TAG_COLUMN_DATA) == 3 * BLK + 4096);
    CHECK(pool_tag_used_bytes(pool, TAG_METADATA) > 0); /* the handles */
    CHECK(tag_sum(pool) == pool_used_bytes(pool));
    CHECK(pool_reserve(pool, TAG_WINDOW, 12345, &err));
    CHECK(tag_sum(pool) == pool_used_bytes(pool));
    /* memory is zero-filled and writable */
    CHECK(filled_with(block_data(c), block_size(c), 0));
    memset(block_data(c), 0x11, block_size(c));
    pool_release(pool, TAG_WINDOW, 12345);
    block_free(a);
    block_free(b);
    block_free(c);
    CHECK(pool_used_bytes(pool) == 0);
    CHECK(tag_sum(pool) == 0);
    CHECK(pool_block_count(pool) == 0);
    pool_destroy(pool);
}

static void test_metadata(void) {
    buffer_pool *pool = pool_create(4096);
    char *p = pool_malloc(pool, 100);
    CHECK(p != NULL);
    CHECK(pool_tag_used_bytes(pool, TAG_METADATA) == 116);
    p = pool_realloc(pool, p, 200);
    CHECK(p != NULL && pool_tag_used_bytes(pool, TAG_METADATA) == 216);
    int *z = pool_calloc(pool, 10, sizeof(int));
    CHECK(z && z[0] == 0 && z[9] == 0);
    char *s = pool_strdup(pool, "metadata");
    CHECK(s && strcmp(s, "metadata") == 0);
    CHECK(pool_used_bytes(pool) == pool_tag_used_bytes(pool, TAG_METADATA));
    /* never refused for the limit, but counted */
    void *big = pool_malloc(pool, 10000);
    CHECK(big != NULL);
    CHECK(pool_used_bytes(pool) > pool_memory_limit(pool));
    error err;
    error_clear(&err);
    CHECK(!pool_reserve(pool, TAG_HASH_TABLE, 1, &err) && err.type == EIDER_ERROR_OUT_OF_MEMORY);
    pool_free(pool, big);
    pool_free(pool, s);
    pool_free(pool, z);
    p = pool_realloc(pool, p, 50);
    CHECK(pool_tag_used_bytes(pool, TAG_METADATA) == 66);
    pool_free(pool, p);
    pool_free(pool, NULL);
    CHECK(pool_used_bytes(pool) == 0);
    pool_destroy(pool);
}

static void test_pins_and_destroyable_eviction(void) {
    buffer_pool *pool = pool_create(4 * BLK + 64 * KIB); /* 4 blocks plus room for handles */
    error err;
    error_clear(&err);
    block_handle *b[6];
    for (int i = 0; i < 4; i++) {
        b[i] = block_alloc(pool, TAG_HASH_TABLE, BLOCK_DESTROYABLE, BLK, &err);
        CHECK(b[i] != NULL);
        memset(block_data(b[i]), 'A' + i, BLK);
    }
    /* nested pins: b[0] pinned 2x then unpinned once: still pinned */
    CHECK(block_pin(b[0], &err) == block_data(b[0]));
    block_unpin(b[0]);
    /* unpin b[1], b[2], b[3] in that order (LRU order) */
    block_unpin(b[1]);
    block_unpin(b[2]);
    block_unpin(b[3]);
    CHECK(pool_block_count(pool) == 4);

    /* a fifth block: evicts b[1] (oldest unpinned), not the pinned b[0] */
    b[4] = block_alloc(pool, TAG_ORDER_BY, BLOCK_TEMPORARY, BLK, &err);
    CHECK(b[4] != NULL);
    CHECK(pool_block_count(pool) == 4);
    CHECK(filled_with(block_data(b[0]), BLK, 'A'));
    CHECK(pool_tag_used_bytes(pool, TAG_HASH_TABLE) == 3 * BLK);
    CHECK(tag_sum(pool) == pool_used_bytes(pool));

    /* b[3] is untouched; pinning it is free and it was not destroyed */
    void *d3 = block_pin(b[3], &err);
    CHECK(d3 && filled_with(d3, BLK, 'D'));
    CHECK(!block_was_destroyed(b[3]));

    /* pin b[1] back: needs memory, evicts b[2]; comes back zeroed and destroyed once */
    void *d1 = block_pin(b[1], &err);
    CHECK(d1 != NULL && filled_with(d1, BLK, 0));
    CHECK(block_was_destroyed(b[1]));
    CHECK(!block_was_destroyed(b[1]));
    CHECK(pool_block_count(pool) == 4);

    /* everything pinned now (b0, b1, b3, b4): a further allocation fails */
    CHECK(block_alloc(pool, TAG_HASH_TABLE, BLOCK_DESTROYABLE, BLK, &err) == NULL);
    CHECK(err.type == EIDER_ERROR_OUT_OF_MEMORY && strstr(err.message, "(HASH_TABLE)"));
    error_clear(&err);
    /* pinning the evicted b[2] also fails, and leaves it evicted */
    CHECK(block_pin(b[2], &err) == NULL && err.type == EIDER_ERROR_OUT_OF_MEMORY);
    error_clear(&err);
    /* free a pinned block: memory comes back at once */
    block_free(b[4]);
    CHECK(pool_block_count(pool) == 3);
    void *d2 = block_pin(b[2], &err);
    CHECK(d2 && filled_with(d2, BLK, 0) && block_was_destroyed(b[2]));

    /* persistent blocks are dropped like destroyable ones while no reader exists */
    block_unpin(b[2]);
    block_handle *p = block_alloc(pool, TAG_BASE_TABLE, BLOCK_PERSISTENT, BLK, &err);
    CHECK(p != NULL); /* evicted b[2] */
    block_unpin(p);
    block_unpin(b[0]);
    block_unpin(b[0]);
    block_unpin(b[0]); /* unbalanced unpin is ignored */
    block_handle *q = block_alloc(pool, TAG_BASE_TABLE, BLOCK_DESTROYABLE, BLK, &err);
    CHECK(q != NULL); /* evicted p (older than b[0]) */
    void *dp = block_pin(p, &err);
    CHECK(dp && block_was_destroyed(p));

    CHECK(tag_sum(pool) == pool_used_bytes(pool));
    block_free(b[0]);
    block_free(b[1]);
    block_free(b[2]);
    block_free(b[3]);
    block_free(p);
    block_free(q);
    CHECK(pool_block_count(pool) == 0);
    CHECK(pool_used_bytes(pool) == 0);
    pool_destroy(pool);
}

static void test_spill(void) {
    buffer_pool *pool = pool_create(4 * BLK + 64 * KIB);
    fake_spill f;
    memset(&f, 0, sizeof f);
    pthread_mutex_init(&f.lock, NULL);
    error err;
    error_clear(&err);
    block_handle *b[6];
    for (int i = 0; i < 4; i++) {
        b[i] = block_alloc(pool, TAG_IN_MEMORY_TABLE, BLOCK_TEMPORARY, BLK, &err);
        CHECK(b[i] != NULL);
        memset(block_data(b[i]), 'a' + i, BLK);
        block_unpin(b[i]);
    }
    /* without hooks, temporary blocks stay: out of memory */
    CHECK(block_alloc(pool, TAG_IN_MEMORY_TABLE, BLOCK_TEMPORARY, BLK, &err) == NULL);
    CHECK(err.type == EIDER_ERROR_OUT_OF_MEMORY);
    error_clear(&err);

    pool_spill_hooks hooks = fake_hooks(&f);
    pool_set_spill_hooks(pool, &hooks);
    b[4] = block_alloc(pool, TAG_IN_MEMORY_TABLE, BLOCK_TEMPORARY, BLK, &err);
    CHECK(b[4] != NULL);
    if (b[4]) memset(block_data(b[4]), 'e', BLK);
    CHECK(f.writes == 1 && fake_live(&f) == 1);
    CHECK(pool_tag_temporary_bytes(pool, TAG_IN_MEMORY_TABLE) == BLK);
    CHECK(pool_tag_used_bytes(pool, TAG_IN_MEMORY_TABLE) == 4 * BLK);
    CHECK(pool_block_count(pool) == 4);
    CHECK(tag_sum(pool) == pool_used_bytes(pool));

    /* pin b[0] (spilled): reads it back after spilling b[1] */
    void *d0 = block_pin(b[0], &err);
    CHECK(d0 && filled_with(d0, BLK, 'a'));
    CHECK(!block_was_destroyed(b[0]));
    CHECK(f.writes == 2 && f.reads == 1 && fake_live(&f) == 1);
    CHECK(pool_tag_temporary_bytes(pool, TAG_IN_MEMORY_TABLE) == BLK);

    /* a failing write: the reservation fails with the hook's error, the block stays */
    f.fail_writes = true;
    block_handle *x = block_alloc(pool, TAG_HASH_TABLE, BLOCK_TEMPORARY, BLK, &err);
    CHECK(x == NULL && err.type == EIDER_ERROR_TEMP_DIRECTORY_LIMIT);
    CHECK(strstr(err.message, "temp directory full") != NULL);
    error_clear(&err);
    f.fail_writes = false;
    CHECK(pool_block_count(pool) == 4);
    void *d2 = block_pin(b[2], &err); /* b[2] still resident */
    CHECK(d2 && filled_with(d2, BLK, 'c'));
    CHECK(f.writes == 2);
    block_unpin(b[2]);

    /* block_read of spilled b[1]: read into the buffer, the block stays spilled with its slot */
    unsigned char *buffer = malloc(BLK);
    bool pinned = true;
    const void *r1 = block_read(b[1], buffer, &pinned, &err);
    CHECK(r1 == buffer && !pinned && filled_with(buffer, BLK, 'b'));
    CHECK(f.peeks == 1 && f.reads == 1 && f.writes == 2 && fake_live(&f) == 1);
    CHECK(pool_tag_temporary_bytes(pool, TAG_IN_MEMORY_TABLE) == BLK);
    CHECK(block_pin_resident(b[1]) == NULL);
    /* ...a failed read leaves it spilled too, and reloads still work */
    f.fail_peeks = true;
    CHECK(block_read(b[1], buffer, &pinned, &err) == NULL && err.type == EIDER_ERROR_IO);
    error_clear(&err);
    f.fail_peeks = false;
    /* of resident b[2]: pinned, not copied */
    const void *r2 = block_read(b[2], buffer, &pinned, &err);
    CHECK(r2 == block_data(b[2]) && pinned && f.peeks == 1);
    block_unpin(b[2]);
    CHECK(block_pin_resident(b[2]) == block_data(b[2]));
    block_unpin(b[2]);
    free(buffer);

    /* free b[1] while spilled: the slot is discarded */
    block_free(b[1]);
    CHECK(f.discards == 1 && fake_live(&f) == 0);
    CHECK(pool_tag_temporary_bytes(pool, TAG_IN_MEMORY_TABLE) == 0);

    /* spill several, then read all back */
    block_unpin(b[0]);
    block_unpin(b[4]);
    block_handle *big = block_alloc(pool, TAG_ORDER_BY, BLOCK_TEMPORARY, 3 * BLK, &err);
    CHECK(big != NULL);
    CHECK(pool_tag_temporary_bytes(pool, TAG_IN_MEMORY_TABLE) == 3 * BLK);
    block_free(big);
    const int order[4] = {0, 2, 3, 4};
    for (int k = 0; k < 4; k++) {
        int i = order[k];
        void *d = block_pin(b[i], &err);
        CHECK(d && filled_with(d, BLK, (unsigned char)('a' + i)));
        block_unpin(b[i]);
    }
    CHECK(tag_sum(pool) == pool_used_bytes(pool));
    for (int k = 0; k < 4; k++) block_free(b[order[k]]);
    CHECK(fake_live(&f) == 0);
    CHECK(pool_tag_temporary_bytes(pool, TAG_IN_MEMORY_TABLE) == 0);
    CHECK(pool_block_count(pool) == 0 && pool_used_bytes(pool) == 0);
    pool_set_spill_hooks(pool, NULL);
    pool_destroy(pool);
    pthread_mutex_destroy(&f.lock);
}

static int page_reads;

static bool fake_page_reader(void *ctx, uint64_t page_id, void *data, size_t size, error *err) {
    (void)ctx;
    if (page_id == 99) return error_set(err, EIDER_ERROR_IO, "page 99 is unreadable (fake)");
    page_reads++;
    memset(data, (int)(page_id & 0xFF), size);
    return true;
}

static void test_persistent_reader(void) {
    buffer_pool *pool = pool_create(2 * BLK + 64 * KIB);
    error err;
    error_clear(&err);
    pool_set_page_reader(pool, fake_page_reader, NULL);
    block_handle *p = block_alloc(pool, TAG_BASE_TABLE, BLOCK_PERSISTENT, BLK, &err);
    block_handle *bad = block_alloc(pool, TAG_BASE_TABLE, BLOCK_PERSISTENT, BLK, &err);
    CHECK(p && bad);
    block_set_page_id(p, 7);
    block_set_page_id(bad, 99);
    memset(block_data(p), 7, BLK);
    block_unpin(p);
    block_unpin(bad);
    /* two more blocks evict both pages */
    block_handle *x = block_alloc(pool, TAG_HASH_TABLE, BLOCK_DESTROYABLE, BLK, &err);
    block_handle *y = block_alloc(pool, TAG_HASH_TABLE, BLOCK_DESTROYABLE, BLK, &err);
    CHECK(x && y && pool_block_count(pool) == 2);
    block_unpin(x);
    block_unpin(y);
    void *d = block_pin(p, &err);
    CHECK(d && filled_with(d, BLK, 7) && page_reads == 1);
    CHECK(!block_was_destroyed(p));
    CHECK(block_pin(bad, &err) == NULL && err.type == EIDER_ERROR_IO);
    CHECK(strstr(err.message, "unreadable") != NULL);
    CHECK(tag_sum(pool) == pool_used_bytes(pool));
    block_free(p);
    block_free(bad);
    block_free(x);
    block_free(y);
    CHECK(pool_used_bytes(pool) == 0 && pool_block_count(pool) == 0);
    pool_destroy(pool);
}

static void test_lower_limit(void) {
    buffer_pool *pool = pool_create(64 * MIB);
    error err;
    error_clear(&err);
    block_handle *b[4];
    for (int i = 0; i < 4; i++) b[i] = block_alloc(pool, TAG_HASH_TABLE, BLOCK_DESTROYABLE, BLK, &err);
    block_unpin(b[0]);
    block_unpin(b[1]);
    /* lowering to 2 blocks + slack evicts the two unpinned ones */
    CHECK(pool_set_memory_limit(pool, 2 * BLK + 64 * KIB, &err));
    CHECK(pool_memory_limit(pool) == 2 * BLK + 64 * KIB);
    CHECK(pool_block_count(pool) == 2);
    /* lowering below the pinned blocks fails and changes nothing */
    CHECK(!pool_set_memory_limit(pool, BLK, &err));
    CHECK(err.type == EIDER_ERROR_INVALID_INPUT);
    char want[256];
    char used[POOL_SIZE_TEXT_MAX];
    pool_format_size(pool_used_bytes(pool), used, sizeof used);
    snprintf(want, sizeof want,
             "Invalid Input Error: could not lower memory_limit to 256.0 KiB: %s in use that cannot be evicted", used);
    CHECK(strcmp(err.message, want) == 0);
    CHECK(pool_memory_limit(pool) == 2 * BLK + 64 * KIB);
    CHECK(pool_block_count(pool) == 2);
    /* raising always works */
    error_clear(&err);
    CHECK(pool_set_memory_limit(pool, 1024 * MIB, &err));
    for (int i = 0; i < 4; i++) block_free(b[i]);
    CHECK(pool_used_bytes(pool) == 0 && pool_block_count(pool) == 0);
    pool_destroy(pool);
}

static void test_destroy_frees_leftovers(void) {
    buffer_pool *pool = pool_create(64 * MIB);
    error err;
    error_clear(&err);
    block_handle *b = block_alloc(pool, TAG_EXTENSION, BLOCK_TEMPORARY, BLK, &err);
    CHECK(b != NULL);
    fprintf(stderr, "(the leak warning below is expected)\n");
    pool_destroy(pool); /* frees b; LeakSanitizer would report otherwise */
}

/* ---- threads ------------------------------------------------------------------------------ */

typedef struct worker {
    buffer_pool *pool;
    int id;
    int failures;
} worker;

static void *worker_main(void *arg) {
    worker *w = arg;
    error err;
    block_handle *held[4] = {0};
    unsigned char tag_of[4] = {0};
    for (int it = 0; it < 150; it++) {
        int slot = it % 4;
        if (held[slot]) {
            error_clear(&err);
            void *d = block_pin(held[slot], &err);
            if (!d) {
                w->failures++;
            } else {
                /* temporary blocks keep their bytes; destroyable ones may come back empty */
                unsigned char *c = d;
                bool destroyed = block_was_destroyed(held[slot]);
                if (!(c[0] == tag_of[slot] && c[BLK - 1] == tag_of[slot]) && !(destroyed && c[0] == 0)) w->failures++;
                block_pin(held[slot], &err); /* nested */
                block_unpin(held[slot]);
                block_unpin(held[slot]);
            }
            block_free(held[slot]);
            held[slot] = NULL;
        }
        error_clear(&err);
        block_kind kind = (it + w->id) % 2 ? BLOCK_TEMPORARY : BLOCK_DESTROYABLE;
        block_handle *b = block_alloc(w->pool, (memory_tag)(it % 3), kind, BLK, &err);
        if (!b) {
            w->failures++;
            continue;
        }
        tag_of[slot] = (unsigned char)(1 + (it + w->id * 7) % 250);
        memset(block_data(b), tag_of[slot], BLK);
        block_unpin(b);
        held[slot] = b;
        void *m = pool_malloc(w->pool, 64);
        pool_free(w->pool, m);
    }
    for (int i = 0; i < 4; i++) block_free(held[i]);
    return NULL;
}

static void test_threads(void) {
    /* each worker keeps two temporary blocks resident at all times: 8 > 6 forces spilling */
    buffer_pool *pool = pool_create(6 * BLK);
    fake_spill f;
    memset(&f, 0, sizeof f);
    pthread_mutex_init(&f.lock, NULL);
    pool_spill_hooks hooks = fake_hooks(&f);
    pool_set_spill_hooks(pool, &hooks);
    pthread_t th[4];
    worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){pool, i, 0};
        pthread_create(&th[i], NULL, worker_main, &w[i]);
    }
    int failures = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        failures += w[i].failures;
    }
    CHECK(failures == 0);
    CHECK(pool_used_bytes(pool) == 0);
    CHECK(tag_sum(pool) == 0);
    CHECK(pool_block_count(pool) == 0);
    uint64_t temp = 0;
    for (int t = 0; t < TAG_COUNT; t++) temp += pool_tag_temporary_bytes(pool, (memory_tag)t);
    CHECK(temp == 0);
    CHECK(fake_live(&f) == 0);
    CHECK(f.writes > 0); /* the pressure did make it spill */
    pool_destroy(pool);
    pthread_mutex_destroy(&f.lock);
}

/* The free-block cache: while a query runs, a freed or evicted standard block's memory is reused
 * by the next block of more than half the standard size (zero-filled again, counted as a standard
 * block), stays counted under ALLOCATOR and within the limit, is given back to make room for
 * other sizes, and is unmapped when the last query ends. */
static void test_free_block_cache(void) {
    buffer_pool *pool = pool_create(64 * MIB); /* room for 8 cached blocks */
    fake_spill f;
    memset(&f, 0, sizeof f);
    pthread_mutex_init(&f.lock, NULL);
    pool_spill_hooks hooks = fake_hooks(&f);
    pool_set_spill_hooks(pool, &hooks);
    error err;
    error_clear(&err);

    /* outside a query nothing is cached */
    block_handle *a = block_alloc(pool, TAG_HASH_TABLE, BLOCK_TEMPORARY, BLK, &err);
    block_free(a);
    CHECK(pool_used_bytes(pool) == 0);

    pool_query_begin(pool);
    pool_query_begin(pool); /* a second query */
    a = block_alloc(pool, TAG_HASH_TABLE, BLOCK_TEMPORARY, BLK, &err);
    CHECK(a != NULL);
    void *mem = block_data(a);
    memset(mem, 0x5a, BLK);
    block_free(a);
    CHECK(pool_used_bytes(pool) == BLK && pool_tag_used_bytes(pool, TAG_ALLOCATOR) == BLK);
    CHECK(pool_tag_used_bytes(pool, TAG_HASH_TABLE) == 0 && pool_block_count(pool) == 0);
    /* a block a little smaller than a standard one takes it, and counts as one */
    block_handle *b = block_alloc(pool, TAG_ORDER_BY, BLOCK_TEMPORARY, BLK - 3 * 4096 - 10, &err);
    CHECK(b && block_data(b) == mem && filled_with(mem, BLK - 3 * 4096, 0));
    CHECK(block_size(b) == BLK - 3 * 4096 && block_memory(b) == BLK);
    CHECK(pool_tag_used_bytes(pool, TAG_ALLOCATOR) == 0 && pool_tag_used_bytes(pool, TAG_ORDER_BY) == BLK);
    block_free(b);
    pool_query_end(pool);
    CHECK(pool_tag_used_bytes(pool, TAG_ALLOCATOR) == BLK); /* one query still runs */

    /* fill the limit with unpinned temporary blocks: each further block evicts one and reuses its
     * memory, so the count never passes the limit */
    enum { N = 64 * MIB / BLK };
    block_handle *blocks[N + 8];
    int made = 0;
    while (made < N + 8) {
        blocks[made] = block_alloc(pool, TAG_HASH_TABLE, BLOCK_TEMPORARY, BLK, &err);
        if (!blocks[made]) break;
        memset(block_data(blocks[made]), made & 0xff, BLK);
        block_unpin(blocks[made]);
        made++;
        CHECK(pool_used_bytes(pool) <= 64 * MIB);
    }
    CHECK(made == N + 8 && f.writes >= 8);
    CHECK(tag_sum(pool) == pool_used_bytes(pool));
    /* spilled blocks come back with their contents */
    for (int i = 0; i < made; i++) {
        uint8_t *d = block_pin(blocks[i], &err);
        CHECK(d && filled_with(d, BLK, (unsigned char)(i & 0xff)));
        block_unpin(blocks[i]);
    }
    /* a reservation of another size is served by unmapping cached blocks first */
    for (int i = 0; i < made; i++) block_free(blocks[i]);
    CHECK(pool_tag_used_bytes(pool, TAG_ALLOCATOR) > 0);
    CHECK(pool_reserve(pool, TAG_WINDOW, 64 * MIB - 4096, &err));
    CHECK(pool_tag_used_bytes(pool, TAG_ALLOCATOR) == 0);
    pool_release(pool, TAG_WINDOW, 64 * MIB - 4096);
    block_free(block_alloc(pool, TAG_HASH_TABLE, BLOCK_TEMPORARY, BLK, &err));
    CHECK(pool_tag_used_bytes(pool, TAG_ALLOCATOR) == BLK);
    pool_query_end(pool); /* the last query: the cache goes */
    CHECK(pool_used_bytes(pool) == 0 && pool_block_count(pool) == 0 && fake_live(&f) == 0);
    pool_destroy(pool);
    pthread_mutex_destroy(&f.lock);
}

/* Budgets: an even share of POOL_OPERATOR_PERCENT of the limit among registered operators. */
static void test_budgets(void) {
    buffer_pool *pool = pool_create(100 * 1024 * 1024);
    uint64_t share = 100 * 1024 * 1024 / 100 * POOL_OPERATOR_PERCENT;
    pool_budget a = {0}, b = {0};
    pool_budget_register(pool, &a);
    CHECK(pool_budget_bytes(&a) == share);
    pool_budget_register(pool, &b);
    CHECK(pool_budget_bytes(&a) == share / 2 && pool_budget_bytes(&b) == share / 2);
    pool_budget_unregister(&b);
    pool_budget_unregister(&b); /* twice is harmless */
    CHECK(pool_budget_bytes(&a) == share);
    pool_budget_unregister(&a);
    buffer_pool *tiny = pool_create(1024 * 1024);
    pool_budget t = {0};
    pool_budget_register(tiny, &t);
    CHECK(pool_budget_bytes(&t) == POOL_MIN_BUDGET);
    pool_budget_unregister(&t);
    pool_destroy(tiny);
    pool_destroy(pool);
}

/* At a small limit, what others hold and cannot give back shrinks the shares: pinned blocks,
 * reservations and metadata of other tags do, their unpinned blocks and the operators' own blocks
 * do not. */
static uint64_t budget_left(buffer_pool *pool, uint64_t held, uint32_t workers, uint32_t users) {
    uint64_t taken = held + pool_tag_used_bytes(pool, TAG_METADATA) + POOL_WORKER_HEADROOM * workers;
    return (pool_memory_limit(pool) - taken) / users;
}

static void test_budgets_see_held_memory(void) {
    error err;
    error_clear(&err);
    buffer_pool *pool = pool_create(16 * MIB);
    uint64_t flat = 16 * MIB / 100 * POOL_OPERATOR_PERCENT;
    pool_budget a = {0}, b = {0};
    pool_budget_register(pool, &a);
    CHECK(pool_budget_bytes(&a) == flat);
    /* a scan pins 8 MiB of table blocks: the operator gets what is left, less one worker's room */
    block_handle *held[32];
    for (int i = 0; i < 32; i++) CHECK((held[i] = block_alloc(pool, TAG_IN_MEMORY_TABLE, BLOCK_TEMPORARY, BLK, &err)));
    CHECK(pool_budget_bytes(&a) == budget_left(pool, 8 * MIB, 1, 1));
    pool_budget_register(pool, &b);
    CHECK(pool_budget_bytes(&b) == budget_left(pool, 8 * MIB, 1, 2));
    pool_budget_unregister(&b);
    /* unpinned, the blocks could be evicted: they no longer count */
    for (int i = 0; i < 32; i++) block_unpin(held[i]);
    CHECK(pool_budget_bytes(&a) == flat);
    for (int i = 0; i < 32; i++) block_free(held[i]);
    /* the operators' own blocks are what the budget covers: they never shrink it */
    block_handle *own[24];
    for (int i = 0; i < 24; i++) CHECK((own[i] = block_alloc(pool, TAG_HASH_TABLE, BLOCK_TEMPORARY, BLK, &err)));
    CHECK(pool_budget_bytes(&a) == flat);
    /* a reservation of another tag counts like a pinned block; two workers take room each */
    CHECK(pool_reserve(pool, TAG_ALLOCATOR, 8 * MIB, &err));
    pool_worker_enter(pool);
    pool_worker_enter(pool);
    CHECK(pool_budget_bytes(&a) == budget_left(pool, 8 * MIB, 2, 1));
    pool_worker_leave(pool);
    pool_worker_leave(pool);
    pool_release(pool, TAG_ALLOCATOR, 8 * MIB);
    for (int i = 0; i < 24; i++) block_free(own[i]);
    /* never below the minimum */
    CHECK(pool_reserve(pool, TAG_ALLOCATOR, 15 * MIB, &err));
    CHECK(pool_budget_bytes(&a) == POOL_MIN_BUDGET);
    pool_release(pool, TAG_ALLOCATOR, 15 * MIB);
    pool_budget_unregister(&a);
    CHECK(pool_used_bytes(pool) == 0);
    pool_destroy(pool);
}

int main(void) {
    test_free_block_cache();
    test_budgets();
    test_budgets_see_held_memory();
    test_size_format();
    test_limit_and_message();
    test_tag_accounting();
    test_metadata();
    test_pins_and_destroyable_eviction();
    test_spill();
    test_persistent_reader();
    test_lower_limit();
    test_destroy_frees_leftovers();
    test_threads();
    return test_summary();
}
