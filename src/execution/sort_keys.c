/*
 * sort_keys.c — key normalization, row comparison and the radix + merge sort of ORDER BY.
 */
#include "execution/sort_keys.h"

#include <math.h>
#include <string.h>

#include "common/arena.h"

static uint32_t value_bytes(logical_type t) {
    switch (t.id) {
    case TYPE_SQLNULL:
    case TYPE_BOOLEAN: return 1;
    case TYPE_INTEGER:
    case TYPE_DATE: return 4;
    case TYPE_VARCHAR: return SORT_STRING_PREFIX;
    default: return 8;
    }
}

bool sort_layout_init(sort_layout *s, arena *a, const sort_key *keys, uint32_t key_count, const logical_type *types,
                      error *err) {
    memset(s, 0, sizeof *s);
    s->key_count = key_count;
    s->keys = arena_alloc(a, sizeof(sort_key) * (key_count + 1), err);
    s->key_types = arena_alloc(a, sizeof(logical_type) * (key_count + 1), err);
    s->norm_offsets = arena_alloc(a, sizeof(uint32_t) * (key_count + 1), err);
    if (!s->keys || !s->key_types || !s->norm_offsets) return false;
    memcpy(s->keys, keys, sizeof(sort_key) * key_count);
    uint32_t off = 0;
    for (uint32_t j = 0; j < key_count; j++) {
        s->key_types[j] = types[keys[j].column];
        s->norm_offsets[j] = off;
        off += 1 + value_bytes(s->key_types[j]);
        s->norm_count++;
        if (s->key_types[j].id == TYPE_VARCHAR) {
            s->tie_break = true;
            break;
        }
    }
    s->key_width = (off + 7) & ~7u;
    return true;
}

static inline void store_be32(uint8_t *p, uint32_t x) {
    p[0] = (uint8_t)(x >> 24), p[1] = (uint8_t)(x >> 16), p[2] = (uint8_t)(x >> 8), p[3] = (uint8_t)x;
}
static inline void store_be64(uint8_t *p, uint64_t x) {
    store_be32(p, (uint32_t)(x >> 32));
    store_be32(p + 4, (uint32_t)x);
}

static inline uint64_t double_order_bits(double d) {
    if (d == 0) d = 0; /* -0.0 sorts as 0.0 */
    uint64_t bits;
    if (isnan(d)) bits = 0x7ff8000000000000ULL; /* NaN after every number */
    else memcpy(&bits, &d, 8);
    return (bits & 0x8000000000000000ULL) ? ~bits : bits ^ 0x8000000000000000ULL;
}

void sort_normalize(const sort_layout *s, const chunk *in, uint32_t n, uint8_t *const *rows) {
    for (uint32_t j = 0; j < s->norm_count; j++) {
        const sort_key *key = &s->keys[j];
        const vector *v = &in->columns[key->column];
        uint32_t off = s->norm_offsets[j];
        uint32_t bytes = value_bytes(s->key_types[j]);
        uint8_t valid_byte = key->nulls_first ? 1 : 0;
        for (uint32_t k = 0; k < n; k++) {
            uint8_t *p = rows[k] + off;
            if (!vector_is_valid(v, k)) {
                p[0] = (uint8_t)!valid_byte;
                memset(p + 1, 0, bytes);
                continue;
            }
            p[0] = valid_byte;
            switch (s->key_types[j].id) {
            case TYPE_SQLNULL:
            case TYPE_BOOLEAN: p[1] = ((const uint8_t *)v->data)[k] ? 1 : 0; break;
            case TYPE_INTEGER:
            case TYPE_DATE: store_be32(p + 1, (uint32_t)((const int32_t *)v->data)[k] ^ 0x80000000u); break;
            case TYPE_DOUBLE: store_be64(p + 1, double_order_bits(((const double *)v->data)[k])); break;
            case TYPE_VARCHAR: {
                const string_t *str = &((const string_t *)v->data)[k];
                uint32_t len = str->length < SORT_STRING_PREFIX ? str->length : SORT_STRING_PREFIX;
                memset(p + 1, 0, SORT_STRING_PREFIX);
                memcpy(p + 1, string_data(str), len);
                break;
            }
            default: store_be64(p + 1, (uint64_t)((const int64_t *)v->data)[k] ^ 0x8000000000000000ULL); break;
            }
            if (key->descending)
                for (uint32_t b = 1; b <= bytes; b++) p[b] = (uint8_t)~p[b];
        }
    }
    /* padding bytes stay as block_alloc zeroed them or as the row copy left them: clear them */
    uint32_t used = s->norm_count ? s->norm_offsets[s->norm_count - 1] + 1 + value_bytes(s->key_types[s->norm_count - 1]) : 0;
    if (used < s->key_width)
        for (uint32_t k = 0; k < n; k++) memset(rows[k] + used, 0, s->key_width - used);
}

static inline int cmp_i64(int64_t a, int64_t b) { return a < b ? -1 : a > b; }

static int compare_double(double a, double b) {
    bool na = isnan(a), nb = isnan(b);
    if (na || nb) return (int)na - (int)nb;
    return a < b ? -1 : a > b;
}

int sort_compare_rows(const sort_layout *s, const uint8_t *a, const uint8_t *b) {
    const row_layout *l = s->rows;
    for (uint32_t j = 0; j < s->key_count; j++) {
        const sort_key *key = &s->keys[j];
        uint32_t c = key->column;
        bool va = row_is_valid(l, a, c), vb = row_is_valid(l, b, c);
        if (!va || !vb) {
            if (va == vb) continue;
            return !va ? (key->nulls_first ? -1 : 1) : (key->nulls_first ? 1 : -1);
        }
        const uint8_t *pa = a + l->offsets[c], *pb = b + l->offsets[c];
        int r;
        switch (l->types[c].id) {
        case TYPE_SQLNULL:
        case TYPE_BOOLEAN: r = (int)*pa - (int)*pb; break;
        case TYPE_INTEGER:
        case TYPE_DATE: {
            int32_t x, y;
            memcpy(&x, pa, 4);
            memcpy(&y, pb, 4);
            r = cmp_i64(x, y);
            break;
        }
        case TYPE_DOUBLE: {
            double x, y;
            memcpy(&x, pa, 8);
            memcpy(&y, pb, 8);
            r = compare_double(x, y);
            break;
        }
        case TYPE_VARCHAR: {
            string_t x, y;
            memcpy(&x, pa, sizeof x);
            memcpy(&y, pb, sizeof y);
            r = string_compare(&x, &y);
            r = r < 0 ? -1 : r > 0;
            break;
        }
        default: {
            int64_t x, y;
            memcpy(&x, pa, 8);
            memcpy(&y, pb, 8);
            r = cmp_i64(x, y);
            break;
        }
        }
        if (r) return key->descending ? -r : r;
    }
    return 0;
}

uint8_t *sort_make_block_entries(const sort_layout *s, uint8_t *data, uint64_t n, uint8_t *out) {
    uint32_t ew = sort_entry_width(s), width = s->rows->width;
    for (uint64_t r = 0; r < n; r++, out += ew) {
        uint8_t *row = data + r * width;
        memcpy(out, row, s->key_width);
        memcpy(out + s->key_width, &row, sizeof row);
    }
    return out;
}

void sort_make_entries(const sort_layout *s, const row_store *store, uint8_t *entries) {
    uint8_t *out = entries;
    for (uint32_t b = 0; b < store->blocks.count; b++)
        out = sort_make_block_entries(s, store->blocks.entries[b].data, store->blocks.entries[b].used, out);
}

/* ---- merge sort (stable) ------------------------------------------------------------------ */

static inline int entry_compare(const sort_layout *s, const uint8_t *a, const uint8_t *b) {
    int r = sort_key_compare(s, a, b);
    if (r || !s->tie_break) return r;
    return sort_compare_rows(s, sort_entry_row(s, a), sort_entry_row(s, b));
}

static void insertion_sort(const sort_layout *s, uint8_t *a, uint64_t n, uint32_t ew, uint8_t *hold) {
    for (uint64_t i = 1; i < n; i++) {
        uint64_t j = i;
        if (entry_compare(s, a + (j - 1) * ew, a + i * ew) <= 0) continue;
        memcpy(hold, a + i * ew, ew);
        while (j > 0 && entry_compare(s, a + (j - 1) * ew, hold) > 0) {
            memcpy(a + j * ew, a + (j - 1) * ew, ew);
            j--;
        }
        memcpy(a + j * ew, hold, ew);
    }
}

/* Sorts a[0..n) stably using tmp[0..n). */
static void merge_sort(const sort_layout *s, uint8_t *a, uint8_t *tmp, uint64_t n, uint32_t ew, uint8_t *hold) {
    if (n <= 24) {
        insertion_sort(s, a, n, ew, hold);
        return;
    }
    uint64_t half = n / 2;
    merge_sort(s, a, tmp, half, ew, hold);
    merge_sort(s, a + half * ew, tmp, n - half, ew, hold);
    if (entry_compare(s, a + (half - 1) * ew, a + half * ew) <= 0) return; /* already in order */
    uint64_t i = 0, j = half, k = 0;
    while (i < half && j < n) {
        if (entry_compare(s, a + j * ew, a + i * ew) < 0) memcpy(tmp + (k++) * ew, a + (j++) * ew, ew);
        else memcpy(tmp + (k++) * ew, a + (i++) * ew, ew);
    }
    if (i < half) memcpy(tmp + k * ew, a + i * ew, (half - i) * ew), k += half - i;
    if (j < n) memcpy(tmp + k * ew, a + j * ew, (n - j) * ew), k += n - j;
    memcpy(a, tmp, n * ew);
}

/* ---- radix sort ------------------------------------------------------------------------------ */

#define RADIX_SCATTER(EW)                                                                                  \
    for (uint64_t i = 0; i < n; i++) {                                                                     \
        const uint8_t *e = src + i * (EW);                                                                 \
        memcpy(dst + (offsets[e[pos]]++) * (EW), e, (EW));                                                 \
    }

static void radix_pass(const uint8_t *src, uint8_t *dst, uint64_t n, uint32_t ew, uint32_t pos,
                       const uint64_t *counts) {
    uint64_t offsets[256];
    uint64_t sum = 0;
    for (int b = 0; b < 256; b++) {
        offsets[b] = sum;
        sum += counts[b];
    }
    switch (ew) {
    case 16: RADIX_SCATTER(16); break;
    case 24: RADIX_SCATTER(24); break;
    case 32: RADIX_SCATTER(32); break;
    case 40: RADIX_SCATTER(40); break;
    default: RADIX_SCATTER(ew); break;
    }
}

/* Stable LSD radix sort of a[0..n) by the key bytes pos[0..npos) (most significant first), with
 * tmp as scratch; counts (npos * 256) receives the histograms. Bytes equal in all entries are
 * skipped. */
static void lsd_radix(uint8_t *a, uint8_t *tmp, uint64_t n, uint32_t ew, const uint32_t *pos, uint32_t npos,
                      uint64_t *counts) {
    memset(counts, 0, sizeof(uint64_t) * 256 * npos);
    for (uint64_t i = 0; i < n; i++) {
        const uint8_t *e = a + i * ew;
        for (uint32_t j = 0; j < npos; j++) counts[(size_t)j * 256 + e[pos[j]]]++;
    }
    uint8_t *src = a, *dst = tmp;
    for (uint32_t j = npos; j-- > 0;) {
        const uint64_t *c = counts + (size_t)j * 256;
        if (c[a[pos[j]]] == n) continue; /* every entry has this byte */
        radix_pass(src, dst, n, ew, pos[j], c);
        uint8_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != a) memcpy(a, src, n * ew);
}

#define MSD_MIN_ENTRIES 65536 /* below this one LSD sort over every varying byte is faster */

/* Stable radix sort by the key bytes. Large inputs are first split by their most significant
 * varying byte (MSD), then each piece, a fraction of the input that stays in cache, is sorted by
 * the other bytes (LSD; small pieces by merge sort): passes over the whole input scatter it across
 * memory, passes over a piece do not. */
static bool radix_sort(const sort_layout *s, buffer_pool *pool, uint8_t *entries, uint8_t *tmp, uint64_t n,
                       error *err) {
    uint32_t kw = s->key_width, ew = sort_entry_width(s);
    uint64_t *counts = pool_calloc(pool, (size_t)kw * 256 * 2, sizeof(uint64_t));
    uint32_t *pos = pool_malloc(pool, sizeof(uint32_t) * kw);
    if (!counts || !pos) {
        pool_free(pool, counts);
        pool_free(pool, pos);
        return error_set(err, EIDER_ERROR_OUT_OF_MEMORY, "could not allocate sort histograms");
    }
    uint32_t npos = 0;
    uint64_t *first = counts + (size_t)kw * 256; /* the histogram of the first varying byte */
    for (uint64_t i = 0; i < n; i++) {
        const uint8_t *e = entries + i * ew;
        for (uint32_t p = 0; p < kw; p++) counts[(size_t)p * 256 + e[p]]++;
    }
    for (uint32_t p = 0; p < kw; p++)
        if (counts[(size_t)p * 256 + entries[p]] != n) pos[npos++] = p;
    if (npos < 2 || n < MSD_MIN_ENTRIES) {
        lsd_radix(entries, tmp, n, ew, pos, npos, counts);
    } else {
        memcpy(first, counts + (size_t)pos[0] * 256, sizeof(uint64_t) * 256);
        radix_pass(entries, tmp, n, ew, pos[0], first);
        uint8_t hold[ew];
        uint64_t start = 0;
        for (int b = 0; b < 256; b++) {
            uint64_t m = first[b];
            uint8_t *piece = tmp + start * ew, *scratch = entries + start * ew;
            if (m > 256) lsd_radix(piece, scratch, m, ew, pos + 1, npos - 1, counts);
            else if (m > 1) merge_sort(s, piece, scratch, m, ew, hold);
            start += m;
        }
        memcpy(entries, tmp, n * ew);
    }
    pool_free(pool, counts);
    pool_free(pool, pos);
    return true;
}

bool sort_entries(const sort_layout *s, buffer_pool *pool, uint8_t *entries, uint8_t *tmp, uint64_t n, error *err) {
    uint32_t ew = sort_entry_width(s);
    uint8_t hold[ew];
    if (n < 2) return true;
    if (n <= 256) {
        merge_sort(s, entries, tmp, n, ew, hold);
        return true;
    }
    if (s->key_width && !radix_sort(s, pool, entries, tmp, n, err)) return false;
    if (!s->tie_break) return true;
    /* runs of equal prefixes: order by the full comparison */
    uint64_t start = 0;
    while (start < n) {
        uint64_t end = start + 1;
        while (end < n && memcmp(entries + start * ew, entries + end * ew, s->key_width) == 0) end++;
        if (end - start > 1) merge_sort(s, entries + start * ew, tmp, end - start, ew, hold);
        start = end;
    }
    return true;
}

void sort_merge_runs(const sort_layout *s, const uint8_t *const *runs, const uint64_t *counts, uint32_t k,
                     uint8_t *out) {
    uint32_t ew = sort_entry_width(s);
    uint64_t pos[k ? k : 1];
    for (uint32_t i = 0; i < k; i++) pos[i] = 0;
    for (;;) {
        int best = -1;
        for (uint32_t i = 0; i < k; i++) {
            if (pos[i] == counts[i]) continue;
            if (best < 0 || entry_compare(s, runs[i] + pos[i] * ew, runs[best] + pos[best] * ew) < 0) best = (int)i;
        }
        if (best < 0) return;
        memcpy(out, runs[best] + pos[best] * ew, ew);
        out += ew;
        pos[best]++;
    }
}

/* ---- sort space ------------------------------------------------------------------------------ */

uint64_t sort_space_need(const sort_layout *s, const sort_space *sp, uint64_t n) {
    uint64_t need = 2 * n * sort_entry_width(s), held = 0;
    if (sp->entries) held += block_memory(sp->entries);
    if (sp->scratch) held += block_memory(sp->scratch);
    return need > held ? need : held;
}

bool sort_space_reserve(const sort_layout *s, sort_space *sp, buffer_pool *pool, memory_tag tag, uint64_t n,
                        error *err) {
    size_t bytes = (size_t)n * sort_entry_width(s);
    return block_reserve(pool, tag, &sp->entries, bytes, err) && block_reserve(pool, tag, &sp->scratch, bytes, err);
}

bool sort_space_sort(const sort_layout *s, sort_space *sp, buffer_pool *pool, uint64_t n, error *err) {
    return sort_entries(s, pool, block_data(sp->entries), block_data(sp->scratch), n, err);
}

void sort_space_free(sort_space *sp) {
    block_free(sp->entries);
    block_free(sp->scratch);
    sp->entries = sp->scratch = NULL;
}
