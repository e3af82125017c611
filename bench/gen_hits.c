/* gen_hits — writes a hits-like CSV file for the benchmarks (bench/run).
 *
 *   bench_gen_hits --rows N --out FILE [--seed S]
 *
 * Columns (with a header line):
 *   WatchID BIGINT       distinct, scattered over 62 bits
 *   UserID BIGINT        about one distinct value per 8 rows
 *   IPNetworkID BIGINT   about one distinct value per 3 rows
 *   UserAgent VARCHAR    about 1,000 distinct strings of about 100 bytes, skewed frequencies
 *   URL VARCHAR          about 60 bytes, mostly distinct
 *   EventTime TIMESTAMP  'YYYY-MM-DD HH:MM:SS', non-decreasing over July 2013
 * No field holds a comma, a quote or a line break, so no field is quoted.
 * The output depends only on --rows and --seed. Without arguments it prints its usage and exits 0. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USER_AGENTS 1000
#define OUT_BUFFER (1u << 20)

static uint64_t rng_state;

/* splitmix64: a bijective mixer, also used as the generator step */
static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t next_random(void) {
    rng_state += 0x9e3779b97f4a7c15ULL;
    return mix64(rng_state);
}

/* uniform in [0, n) without modulo bias that matters at these sizes */
static uint64_t random_below(uint64_t n) {
    return (uint64_t)(((unsigned __int128)next_random() * n) >> 64);
}

typedef struct out_buffer {
    FILE *file;
    char *data;
    size_t used;
    int failed;
} out_buffer;

static void out_flush(out_buffer *o) {
    if (o->used && fwrite(o->data, 1, o->used, o->file) != o->used)
        o->failed = 1;
    o->used = 0;
}

static void out_bytes(out_buffer *o, const char *s, size_t n) {
    if (o->used + n > OUT_BUFFER)
        out_flush(o);
    memcpy(o->data + o->used, s, n);
    o->used += n;
}

static void out_char(out_buffer *o, char c) {
    if (o->used + 1 > OUT_BUFFER)
        out_flush(o);
    o->data[o->used++] = c;
}

static void out_u64(out_buffer *o, uint64_t v) {
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (o->used + (size_t)n > OUT_BUFFER)
        out_flush(o);
    while (n)
        o->data[o->used++] = tmp[--n];
}

static void out_2digits(out_buffer *o, unsigned v) {
    out_char(o, (char)('0' + v / 10));
    out_char(o, (char)('0' + v % 10));
}

static const char *const platforms[] = {
    "Windows NT 10.0; Win64; x64", "Windows NT 6.1; WOW64", "Macintosh; Intel Mac OS X 10_15_7",
    "X11; Linux x86_64", "X11; Ubuntu; Linux i686", "iPhone; CPU iPhone OS 16_5 like Mac OS X",
    "Linux; Android 13; SM-S911B", "iPad; CPU OS 15_7 like Mac OS X"};
static const char *const engines[] = {"AppleWebKit/537.36 (KHTML like Gecko)", "Gecko/20100101",
                                      "AppleWebKit/605.1.15 (KHTML like Gecko)", "Trident/7.0"};
static const char *const browsers[] = {"Chrome", "Firefox", "Safari", "YaBrowser", "OPR", "Edg"};

/* builds USER_AGENTS distinct strings of about 100 bytes into one block of fixed-width slots */
static void build_user_agents(char *slots, size_t slot, size_t *lengths) {
    for (size_t i = 0; i < USER_AGENTS; i++) {
        const char *p = platforms[i % 8];
        const char *e = engines[(i / 8) % 4];
        const char *b = browsers[(i / 32) % 6];
        unsigned major = 40 + (unsigned)(i % 97), minor = (unsigned)((i * 7919) % 5000);
        int n = snprintf(slots + i * slot, slot, "Mozilla/5.0 (%s) %s %s/%u.0.%u.%u Mobile Safari/537.36", p,
                         e, b, major, minor, (unsigned)(i % 211));
        lengths[i] = (size_t)n < slot ? (size_t)n : slot - 1;
    }
}

static const char *const hosts[] = {"www.example-shop.com", "news.example.org", "mail.example.net",
                                    "video.example.tv", "maps.example.com", "market.example.ru"};
static const char *const paths[] = {"catalog/item", "article/read", "inbox/message", "watch/clip",
                                    "search/results", "product/view"};

static void usage(FILE *f) {
    fprintf(f, "usage: bench_gen_hits --rows N --out FILE [--seed S]\n"
               "writes a hits-like CSV (WatchID, UserID, IPNetworkID, UserAgent, URL, EventTime)\n");
}

static int parse_u64(const char *s, uint64_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-')
        return 0;
    *out = v;
    return 1;
}

int main(int argc, char **argv) {
    uint64_t rows = 0, seed = 42;
    const char *path = NULL;
    if (argc == 1) {
        usage(stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rows") && i + 1 < argc) {
            if (!parse_u64(argv[++i], &rows)) {
                fprintf(stderr, "bench_gen_hits: bad --rows '%s'\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            if (!parse_u64(argv[++i], &seed)) {
                fprintf(stderr, "bench_gen_hits: bad --seed '%s'\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
            path = argv[++i];
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!path) {
        usage(stderr);
        return 2;
    }

    FILE *f = strcmp(path, "-") ? fopen(path, "wb") : stdout;
    if (!f) {
        fprintf(stderr, "bench_gen_hits: cannot open '%s': %s\n", path, strerror(errno));
        return 1;
    }
    enum { UA_SLOT = 160 };
    out_buffer o = {f, malloc(OUT_BUFFER), 0, 0};
    char *ua = malloc((size_t)USER_AGENTS * UA_SLOT);
    size_t ua_len[USER_AGENTS];
    if (!o.data || !ua) {
        fprintf(stderr, "bench_gen_hits: out of memory\n");
        return 1;
    }
    build_user_agents(ua, UA_SLOT, ua_len);
    rng_state = mix64(seed);

    /* IPNetworkID: uniform over M values with rows/M = 2.82 leaves about rows/3 distinct values
     * (M * (1 - e^(-2.82)) = rows / 3). */
    uint64_t ip_space = rows * 100 / 282 + 1;
    uint64_t user_space = rows / 8 + 1;
    /* EventTime: starts at 2013-07-01 00:00:00 and advances by a random step in microseconds so
     * that the last row falls near the end of the month */
    const uint64_t month_us = 31ull * 86400 * 1000000;
    uint64_t step_span = 2 * (month_us / (rows + 1)) + 1;
    uint64_t t_us = 0;

    const char header[] = "WatchID,UserID,IPNetworkID,UserAgent,URL,EventTime\n";
    out_bytes(&o, header, sizeof header - 1);
    for (uint64_t r = 0; r < rows; r++) {
        out_u64(&o, mix64(r ^ seed) >> 2);
        out_char(&o, ',');
        out_u64(&o, mix64(random_below(user_space) + 0x5bd1e995ULL) >> 2);
        out_char(&o, ',');
        out_u64(&o, mix64(random_below(ip_space) + 0x2545f491ULL) >> 24);
        out_char(&o, ',');
        /* skewed: the product of two uniforms favours low indexes */
        uint64_t a = random_below(USER_AGENTS), b = random_below(USER_AGENTS);
        uint64_t u = (a * b) / (USER_AGENTS - 1);
        if (u >= USER_AGENTS)
            u = USER_AGENTS - 1;
        if (random_below(4) == 0)
            u = random_below(USER_AGENTS); /* keep every string present */
        out_bytes(&o, ua + u * UA_SLOT, ua_len[u]);
        out_char(&o, ',');
        uint64_t x = next_random();
        out_bytes(&o, "https://", 8);
        const char *h = hosts[x % 6];
        out_bytes(&o, h, strlen(h));
        out_char(&o, '/');
        const char *p = paths[(x >> 8) % 6];
        out_bytes(&o, p, strlen(p));
        out_bytes(&o, "?id=", 4);
        out_u64(&o, (x >> 16) % 100000000);
        out_bytes(&o, "&ref=", 5);
        out_u64(&o, (x >> 48) % 10000);
        out_char(&o, ',');
        t_us += random_below(step_span);
        uint64_t s = (t_us < month_us ? t_us : month_us - 1) / 1000000;
        out_bytes(&o, "2013-07-", 8);
        out_2digits(&o, (unsigned)(1 + s / 86400));
        out_char(&o, ' ');
        out_2digits(&o, (unsigned)(s % 86400 / 3600));
        out_char(&o, ':');
        out_2digits(&o, (unsigned)(s % 3600 / 60));
        out_char(&o, ':');
        out_2digits(&o, (unsigned)(s % 60));
        out_char(&o, '\n');
    }
    out_flush(&o);
    int failed = o.failed;
    if (f != stdout) {
        if (fclose(f) != 0)
            failed = 1;
    } else if (fflush(f) != 0) {
        failed = 1;
    }
    free(o.data);
    free(ua);
    if (failed) {
        fprintf(stderr, "bench_gen_hits: write to '%s' failed: %s\n", path, strerror(errno));
        return 1;
    }
    return 0;
}
