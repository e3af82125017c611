/*
 * temp_codec.h — compression of spilled blocks (the temp_file_compression setting): LZ4 for
 * blocks of up to one standard block, and the scratch buffers it works in.
 *
 * Modes: 'none' (the default) stores every block as it is; 'lz4' compresses every block that
 * shrinks to 7/8 or less, and the block then takes a smaller slot (temp_files.h). Measured on
 * the out-of-core benchmark, spilled rows and runs shrink to 40-45%, which cuts the bytes the temp
 * files hold (and count against max_temp_directory_size) by more than half; with a fast disk and
 * a page cache large enough to absorb the writes, the compression costs more time than the
 * smaller writes save, so it is off unless asked for. It pays where writes are slow or the temp
 * directory's space is short.
 *
 * Thread-safe: the mode is an atomic, the scratch buffers a locked stack. Scratch buffers (about
 * one standard block each, one per block being compressed or read back at that moment) are
 * counted under METADATA in the pool given at create.
 */
#ifndef EIDER_TEMP_CODEC_H
#define EIDER_TEMP_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memory/pool.h"

typedef enum temp_compression {
    TEMP_COMPRESSION_NONE = 0,
    TEMP_COMPRESSION_LZ4,
} temp_compression;

/* 'none', 'lz4' <-> the mode (parse: case-insensitive; false for anything else). */
const char *temp_compression_name(temp_compression mode);
bool temp_compression_parse(const char *text, temp_compression *out);

typedef struct temp_codec temp_codec;

/* pool (may be NULL) counts the codec and its scratch buffers; it must outlive the codec. NULL
 * when out of memory. */
temp_codec *temp_codec_create(buffer_pool *pool);
void temp_codec_destroy(temp_codec *codec);

void temp_codec_set_mode(temp_codec *codec, temp_compression mode);
temp_compression temp_codec_mode(temp_codec *codec);

/* Whether a block of size bytes is to be compressed (never one larger than a standard block). */
bool temp_codec_compresses(temp_codec *codec, size_t size);

/* A scratch buffer big enough for a compressed block (or one read back); NULL when out of
 * memory. Give it back with temp_codec_scratch_return: kept for the next block, or (keep false)
 * freed. temp_codec_drop_spares frees the kept ones: the manager calls it when it stores no block,
 * so that an idle database holds none. */
void *temp_codec_scratch_take(temp_codec *codec);
void temp_codec_scratch_return(temp_codec *codec, void *scratch, bool keep);
void temp_codec_drop_spares(temp_codec *codec);

/* Compresses size bytes of data into out (a scratch buffer): the compressed length, or 0 when
 * the block does not shrink to 7/8 of its size or less (store it as it is). */
size_t temp_codec_compress(const void *data, size_t size, void *out);
/* Decompresses compressed_len bytes into data, which must come out exactly size bytes. */
bool temp_codec_decompress(const void *compressed, size_t compressed_len, void *data, size_t size);

#endif
