/*
 * size_format.h — renders byte counts for messages and settings: "100 bytes", "256.0 KiB",
 * "1.5 GiB" (binary units, one decimal, truncated).
 */
#ifndef EIDER_SIZE_FORMAT_H
#define EIDER_SIZE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/* Largest text pool_format_size writes, terminator included. */
#define POOL_SIZE_TEXT_MAX 32

void pool_format_size(uint64_t bytes, char *buf, size_t cap);

#endif
