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
#include "mmfix/install.h"
#include "mmfix/journal.h"
#include "mmfix/problem.h"
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

/* snapshot state: nftw has no context argument */
static char **snap_lines;
static size_t snap_len;
static size_t snap_top;

static int snap_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    const char *rel = path + snap_top;
    char extra[1100] = "";
    (void)ftw;

    if (flag == FTW_SL) {
        char buf[1024];
        ssize_t n = readlink(path, buf, sizeof(buf) - 1);
        buf[n < 0 ? 0 : n] = '\0';
        snprintf(extra, sizeof(extra), "-> %s", buf);
    } else if (S_ISREG(st->st_mode)) {
        FILE *fp = fopen(path, "rb");
        uint64_t h = 1469598103934665603ull;
        int c;
        if (fp != NULL) {
            while ((c = getc(fp)) != EOF) {
                h = (h ^ (uint64_t)(unsigned char)c) * 1099511628211ull;
            }
            fclose(fp);
        }
        snprintf(extra, sizeof(extra), "%lld %016llx", (long long)st->st_size,
                 (unsigned long long)h);
    }
    snap_lines = xreallocarray(snap_lines, snap_len + 1, sizeof(*snap_lines));
    snap_lines[snap_len++] = xasprintf("%s %s %04o %s", *rel ? rel : ".",
                                       S_ISDIR(st->st_mode) ? "dir" : flag == FTW_SL ? "link"
                                       : S_ISREG(st->st_mode) ? "file" : "other",
                                       (unsigned)(st->st_mode & 07777), extra);
    return 0;
}

static int snap_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* harness_snapshot - every entry as a line, sorted */
char *harness_snapshot(const char *top)
{
    size_t total = 1;
    char *out;
    size_t i;

    snap_lines = NULL;
    snap_len = 0;
    snap_top = strlen(top);
    assert_int_equal(nftw(top, snap_one, 16, FTW_PHYS), 0);
    qsort(snap_lines, snap_len, sizeof(*snap_lines), snap_cmp);
    for (i = 0; i < snap_len; i++) {
        total += strlen(snap_lines[i]) + 1;
    }
    out = xmalloc(total);
    out[0] = '\0';
    for (i = 0; i < snap_len; i++) {
        strcat(out, snap_lines[i]);
        strcat(out, "\n");
        free(snap_lines[i]);
    }
    free(snap_lines);
    snap_lines = NULL;
    return out;
}

/* harness_copy_tree - through cp -a, which keeps modes and links */
void harness_copy_tree(const char *from, const char *to)
{
    char *cmd = xasprintf("cp -a '%s' '%s'", from, to);

    assert_int_equal(system(cmd), 0);
    free(cmd);
}

/* harness_readlink - readlink into a new string */
char *harness_readlink(const char *path)
{
    char buf[4096];
    ssize_t n = readlink(path, buf, sizeof(buf) - 1);

    if (n < 0) {
        return NULL;
    }
    buf[n] = '\0';
    return xstrdup(buf);
}

/* harness_count_problems - by code and text */
size_t harness_count_problems(const struct problem_list *pl, const char *code,
                              const char *text)
{
    size_t n = 0;
    size_t i;

    for (i = 0; i < pl->len; i++) {
        if (strcmp(pl->items[i].code, code) == 0
            && (text == NULL || strstr(pl->items[i].message, text) != NULL)) {
            n++;
        }
    }
    return n;
}

/* harness_site_teardown - everything of a test installation */
int harness_site_teardown(void **state)
{
    struct harness_site *f = *state;

    journal_close(&f->j);
    install_free(&f->ins);
    assert_int_equal(harness_rmtree(f->top), 0);
    free(f->top);
    free(f);
    return 0;
}
