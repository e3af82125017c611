/*
 * size_format.c — human-readable byte counts.
 */
#include "memory/size_format.h"

#include <stdio.h>

void pool_format_size(uint64_t bytes, char *buf, size_t cap) {
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (!buf || cap == 0) return;
    if (bytes < 1024) {
        snprintf(buf, cap, "%llu %s", (unsigned long long)bytes, bytes == 1 ? "byte" : "bytes");
        return;
    }
    unsigned u = 0;
    uint64_t unit = 1024;
    while (u + 1 < sizeof units / sizeof units[0] && bytes / unit >= 1024) {
        unit *= 1024;
        u++;
    }
    uint64_t whole = bytes / unit;
    uint64_t tenth = (bytes % unit) * 10 / unit; /* remainder < 2^60: no overflow */
    snprintf(buf, cap, "%llu.%llu %s", (unsigned long long)whole, (unsigned long long)tenth, units[u]);
}
