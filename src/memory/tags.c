#include "memory/tags.h"

const char *memory_tag_name(memory_tag tag) {
    static const char *const names[TAG_COUNT] = {
        "BASE_TABLE", "HASH_TABLE",       "PARQUET_READER",  "CSV_READER", "ORDER_BY",
        "ART_INDEX",  "COLUMN_DATA",      "METADATA",        "OVERFLOW_STRINGS",
        "IN_MEMORY_TABLE", "ALLOCATOR",   "EXTENSION",       "WINDOW",
    };
    return (unsigned)tag < TAG_COUNT ? names[tag] : "UNKNOWN";
}
