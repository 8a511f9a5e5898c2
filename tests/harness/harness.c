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

#include "mmfix/pyload.h"
#include "harness.h"
#include "mmfix/xalloc.h"
#include "mmfix/install.h"
#include "mmfix/journal.h"
#include "mmfix/problem.h"

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

/* harness_read_file - a whole file */
char *harness_read_file(const char *path, size_t *len_r)
{
    FILE *fp = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0;
    size_t cap = 0;
    size_t n;

    if (fp == NULL) {
        return NULL;
    }
    do {
        if (cap - len < 4096) {
            cap = cap * 2 + 8192;
            buf = xrealloc(buf, cap);
        }
        n = fread(buf + len, 1, cap - len - 1, fp);
        len += n;
    } while (n > 0);
    fclose(fp);
    buf[len] = '\0';
    *len_r = len;
    return buf;
}

/* harness_same_bytes - byte comparison of two files */
bool harness_same_bytes(const char *a, const char *b)
{
    size_t la = 0;
    size_t lb = 0;
    char *da = harness_read_file(a, &la);
    char *db = harness_read_file(b, &lb);
    bool same = da != NULL && db != NULL && la == lb && memcmp(da, db, la) == 0;

    free(da);
    free(db);
    return same;
}

/* harness_copy_tree - recursive copy, links kept as links */
void harness_copy_tree(const char *from, const char *to)
{
    DIR *d = opendir(from);
    struct dirent *de = NULL;

    assert_non_null(d);
    assert_int_equal(mkdir(to, 0755), 0);
    while ((de = readdir(d)) != NULL) {
        char *src = NULL;
        char *dst = NULL;
        struct stat st;

        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }
        src = xasprintf("%s/%s", from, de->d_name);
        dst = xasprintf("%s/%s", to, de->d_name);
        assert_int_equal(lstat(src, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            harness_copy_tree(src, dst);
        } else if (S_ISLNK(st.st_mode)) {
            char target[4096];
            ssize_t n = readlink(src, target, sizeof(target) - 1);
            assert_true(n >= 0);
            target[n] = '\0';
            assert_int_equal(symlink(target, dst), 0);
        } else {
            size_t len = 0;
            char *data = harness_read_file(src, &len);
            FILE *fp = fopen(dst, "wb");
            assert_non_null(data);
            assert_non_null(fp);
            assert_int_equal(fwrite(data, 1, len, fp), len);
            assert_int_equal(fclose(fp), 0);
            free(data);
        }
        free(src);
        free(dst);
    }
    closedir(d);
}

struct state_lines {
    char **v;
    size_t n;
    size_t skip;    /* length of the top directory's path + 1 */
};

static struct state_lines *state_acc;

/* state_one - nftw callback: one line per entry */
static int state_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    struct state_lines *s = state_acc;
    const char *rel = strlen(path) > s->skip ? path + s->skip : ".";
    char *line = NULL;

    (void)ftw;
    if (flag == FTW_SL) {
        char target[4096];
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        target[n > 0 ? n : 0] = '\0';
        line = xasprintf("%s link %s", rel, target);
    } else if (S_ISDIR(st->st_mode)) {
        line = xasprintf("%s dir %o", rel, (unsigned)(st->st_mode & 07777));
    } else {
        size_t len = 0;
        char *data = harness_read_file(path, &len);
        uint64_t h = 1469598103934665603ULL;
        size_t i;
        for (i = 0; data != NULL && i < len; i++) {
            h = (h ^ (unsigned char)data[i]) * 1099511628211ULL;
        }
        free(data);
        line = xasprintf("%s file %o %zu %016llx", rel, (unsigned)(st->st_mode & 07777), len,
                         (unsigned long long)h);
    }
    s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
    s->v[s->n++] = line;
    return 0;
}

static int cmp_line(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* harness_tree_state - sorted description of a tree */
char *harness_tree_state(const char *dir)
{
    struct state_lines s = { NULL, 0, strlen(dir) + 1 };
    size_t total = 1;
    size_t i;
    char *out = NULL;
    char *p = NULL;

    state_acc = &s;
    assert_int_equal(nftw(dir, state_one, 16, FTW_PHYS), 0);
    state_acc = NULL;
    if (s.n > 0) {
        qsort(s.v, s.n, sizeof(*s.v), cmp_line);
    }
    for (i = 0; i < s.n; i++) {
        total += strlen(s.v[i]) + 1;
    }
    out = p = xmalloc(total);
    for (i = 0; i < s.n; i++) {
        size_t l = strlen(s.v[i]);
        memcpy(p, s.v[i], l);
        p[l] = '\n';
        p += l + 1;
        free(s.v[i]);
    }
    *p = '\0';
    free(s.v);
    return out;
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

/* harness_python_teardown - see harness.h */
int harness_python_teardown(void **state)
{
    (void)state;
    pyload_deinit();
    return 0;
}
