/*
 * slt_main.c — the `eider_slt` command: runs sqllogictest files and prints a closing line
 * `N passed, M failed`. The exit status is 0 only when no record failed.
 *
 *   eider_slt [-v] FILE.test [FILE.test...]
 */
#include "slt.h"

#include <stdio.h>
#include <string.h>

#include "eider.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: eider_slt [-v] FILE.test [FILE.test...]\n"
               "Runs sqllogictest files (DuckDB's dialect), each against a fresh in-memory\n"
               "database. -v prints every record as it runs.\n");
}

int main(int argc, char **argv)
{
    slt_totals totals = {0};
    int nfiles = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0) {
            totals.verbose = true;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "-help") == 0 ||
                   strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        }
    }
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            continue;
        nfiles++;
        slt_file f;
        if (!slt_file_load(&f, argv[i])) {
            totals.failed++;
            slt_file_free(&f);
            continue;
        }
        slt_file_run(&f, &totals);
        slt_file_free(&f);
    }
    if (nfiles == 0) {
        usage(stderr);
        return 2;
    }
    if (totals.skipped > 0)
        printf("%ld skipped\n", totals.skipped);
    printf("%ld passed, %ld failed\n", totals.passed, totals.failed);
    fflush(stdout);
    return totals.failed > 0 ? 1 : 0;
}
