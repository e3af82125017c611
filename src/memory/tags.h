/*
 * tags.h — what a pool byte is used for. The order and names are those eider_memory() shows.
 */
#ifndef EIDER_TAGS_H
#define EIDER_TAGS_H

typedef enum memory_tag {
    TAG_BASE_TABLE = 0,
    TAG_HASH_TABLE,
    TAG_PARQUET_READER,
    TAG_CSV_READER,
    TAG_ORDER_BY,
    TAG_ART_INDEX,
    TAG_COLUMN_DATA,
    TAG_METADATA,
    TAG_OVERFLOW_STRINGS,
    TAG_IN_MEMORY_TABLE,
    TAG_ALLOCATOR,
    TAG_EXTENSION,
    TAG_WINDOW,
    TAG_COUNT
} memory_tag;

/* "BASE_TABLE", "HASH_TABLE", ... */
const char *memory_tag_name(memory_tag tag);

#endif
