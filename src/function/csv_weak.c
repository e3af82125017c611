/* Fallbacks for builds without the CSV module: weak symbols that the CSV reader and writer
 * (csv_read.c, csv_write.c) override. */
#include "function/csv.h"

__attribute__((weak)) bool csv_scan_plan_create(eider_database *db, arena *a, const csv_read_request *req,
                                                csv_scan_plan *out, error *err) {
    (void)db, (void)a, (void)out;
    return error_set(err, EIDER_ERROR_NOT_IMPLEMENTED, "reading CSV files is not available: '%s'", req->path);
}

__attribute__((weak)) physical_op *csv_write_create(arena *a, physical_op *child, const csv_write_request *req,
                                                    uint64_t *rows_out, error *err) {
    (void)a, (void)child, (void)rows_out;
    error_set(err, EIDER_ERROR_NOT_IMPLEMENTED, "writing CSV files is not available: '%s'", req->path);
    return NULL;
}
