/*
 * harness - temporary trees and file helpers for the unit tests
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "mmfix/xalloc.h"

/* harness_tmpdir - a fresh temporary directory */
char *harness_tmpdir(const char *tag)
{
    char *tmpl = xasprintf("/tmp/mmfix-test-%s-XXXXXX", tag);

    assert_non_null(mkdtemp(tmpl));
    return tmpl;
}

/* rm_one - nftw callback removing one entry */
static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* harness_rmtree - remove a tree */
int harness_rmtree(const char *path)
{
    return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* harness_write_text - write a small text file */
void harness_write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
}

/* harness_read_text - read a small text file */
bool harness_read_text(const char *path, char *buf, size_t size)
{
    FILE *fp = fopen(path, "r");
    size_t n = 0;

    buf[0] = '\0';
    if (fp == NULL) {
        return false;
    }
    n = fread(buf, 1, size - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return true;
}

/* harness_exists - lstat succeeds */
bool harness_exists(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0;
}

/* harness_count_entries - directory size */
int harness_count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de = NULL;
    int n = 0;

    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            n++;
        }
    }
    closedir(d);
    return n;
}
