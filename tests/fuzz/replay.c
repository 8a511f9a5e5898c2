/*
 * replay - a main() for the fuzz targets without libFuzzer: every file named
 * on the command line (a directory: every file in it, in name order) is fed
 * to LLVMFuzzerTestOneInput once. The plain gcc build links each target with
 * it, so the seeds and the regression inputs of tests/fuzz/ run under ctest
 * (and under ASan/UBSan in the sanitizer build) on every test run; a target
 * aborts on a broken invariant, which fails the test.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mmfix/fileread.h"
#include "mmfix/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX ((size_t)16 * 1024 * 1024)

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* one - feed the file at path; 1 when it was run, 0 when skipped, -1 unreadable */
static int one(const char *path)
{
    char *data = NULL;
    size_t len = 0;
    const char *err = NULL;

    if (fileread_alloc(path, REPLAY_MAX, &data, &len, NULL, &err) != 0) {
        fprintf(stderr, "replay: %s\n", err);
        return -1;
    }
    LLVMFuzzerTestOneInput((const uint8_t *)data, len);
    free(data);
    return 1;
}

/* dir - every regular file of path, in name order */
static int dir(const char *path, size_t *n_r)
{
    DIR *d = opendir(path);
    struct dirent *de = NULL;
    char **names = NULL;
    size_t n = 0;
    size_t i;
    int rc = 0;

    if (d == NULL) {
        perror(path);
        return -1;
    }
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] != '.') {
            names = xreallocarray(names, n + 1, sizeof(char *));
            names[n++] = xasprintf("%s/%s", path, de->d_name);
        }
    }
    closedir(d);
    if (n > 0) {
        qsort(names, n, sizeof(char *), cmp);
    }
    for (i = 0; i < n; i++) {
        struct stat st;
        if (rc == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            if (one(names[i]) < 0) {
                rc = -1;
            } else {
                (*n_r)++;
            }
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    size_t n = 0;
    int i;

    for (i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            return 2;
        }
        if (S_ISDIR(st.st_mode) ? dir(argv[i], &n) != 0 : one(argv[i]) < 0) {
            return 2;
        }
        n += S_ISDIR(st.st_mode) ? 0 : 1;
    }
    printf("replay: %zu inputs, every invariant held\n", n);
    return 0;
}
