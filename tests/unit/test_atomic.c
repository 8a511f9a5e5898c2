/*
 * test_atomic - Mailman-style atomic saves (.last hard link, temp name,
 * owner/group/mode kept, new files 0660 with the directory's group), the
 * confinement to a root (symlinks, "..", paths outside), failure paths that
 * leave the old file alone, exact restore of before-images, rename without
 * overwrite, copy and unlink; new files, directories and links owned as
 * their directory says (as root: its owner too). Checks that need root
 * check what an unprivileged run gives instead.
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"

#include "mmfix/atomic.h"
#include "mmfix/fileread.h"
#include "mmfix/xalloc.h"

#define UID_A 12345
#define GID_A 23456
#define GID_DIR 4321

struct fixture {
    char *root;                      /* mkdtemp: the root writes are confined to */
    char *dir;                       /* root/lists/foo */
    char *file;                      /* root/lists/foo/config.pck */
    char *outside;                   /* a second mkdtemp */
    char host[256];
};

/* setup - root/lists/foo and an outside directory */
static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    char tmpl[] = "/tmp/mmfix-test-atomic-XXXXXX";
    char tmpl2[] = "/tmp/mmfix-test-atomic-out-XXXXXX";
    char *lists = NULL;

    assert_non_null(mkdtemp(tmpl));
    assert_non_null(mkdtemp(tmpl2));
    f->root = xstrdup(tmpl);
    f->outside = xstrdup(tmpl2);
    lists = xasprintf("%s/lists", f->root);
    f->dir = xasprintf("%s/foo", lists);
    f->file = xasprintf("%s/config.pck", f->dir);
    assert_int_equal(mkdir(lists, 0755), 0);
    assert_int_equal(mkdir(f->dir, 0755), 0);
    assert_int_equal(gethostname(f->host, sizeof(f->host)), 0);
    f->host[sizeof(f->host) - 1] = '\0';
    free(lists);
    *state = f;
    return 0;
}

/* teardown - remove both temp trees */
static int teardown(void **state)
{
    struct fixture *f = *state;

    harness_rmtree(f->root);
    harness_rmtree(f->outside);
    free(f->root);
    free(f->outside);
    free(f->dir);
    free(f->file);
    free(f);
    return 0;
}

/* assert_content - path holds exactly text */
static void assert_content(const char *path, const char *text)
{
    char buf[4096];

    assert_true(harness_read_text(path, buf, sizeof(buf)));
    assert_string_equal(buf, text);
}

/* is_root - running as root (ownership tests need it) */
static bool is_root(void)
{
    return geteuid() == 0;
}

/* the first save: 0660, the directory's group, no .last, no temp left */
static void test_save_new(void **state)
{
    struct fixture *f = *state;
    const char *err = NULL;
    char *last = xasprintf("%s.last", f->file);
    struct stat st;
    struct stat dst;

    if (is_root()) {
        assert_int_equal(chown(f->dir, UID_A, GID_DIR), 0);
        assert_int_equal(chmod(f->dir, 02775), 0);
    }
    assert_int_equal(stat(f->dir, &dst), 0);
    assert_int_equal(atomic_save(f->root, f->file, "one", 3, true, &err), 0);
    assert_content(f->file, "one");
    assert_int_equal(stat(f->file, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0660);
    assert_int_equal(st.st_gid, dst.st_gid);
    /* as root: the directory's owner, so Mailman can rewrite it */
    assert_int_equal(st.st_uid, is_root() ? UID_A : geteuid());
    assert_false(harness_exists(last));
    assert_int_equal(harness_count_entries(f->dir), 1);

    /* not setgid: the group is still the directory's (set explicitly) */
    if (is_root()) {
        char *file2 = xasprintf("%s/lists/extra.pck", f->root);
        char *lists = xasprintf("%s/lists", f->root);
        assert_int_equal(chown(lists, UID_A + 1, GID_DIR + 1), 0);
        assert_int_equal(chmod(lists, 0755), 0);
        assert_int_equal(atomic_save(f->root, file2, "", 0, true, &err), 0);
        assert_int_equal(stat(file2, &st), 0);
        assert_int_equal(st.st_gid, GID_DIR + 1);
        assert_int_equal(st.st_uid, UID_A + 1);
        assert_int_equal(st.st_mode & 07777, 0660);
        assert_int_equal(st.st_size, 0);
        free(file2);
        free(lists);
    }
    free(last);
}

/* replacing keeps mode/owner/group; .last is the previous generation's inode */
static void test_save_replace(void **state)
{
    struct fixture *f = *state;
    const char *err = NULL;
    char *last = xasprintf("%s.last", f->file);
    struct stat old;
    struct stat st;
    struct stat lst;

    harness_write_text(f->file, "generation 1");
    assert_int_equal(chmod(f->file, 0640), 0);
    if (is_root()) {
        assert_int_equal(chown(f->file, UID_A, GID_A), 0);
    }
    assert_int_equal(stat(f->file, &old), 0);

    assert_int_equal(atomic_save(f->root, f->file, "generation 2", 12, true, &err), 0);
    assert_content(f->file, "generation 2");
    assert_int_equal(stat(f->file, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    assert_int_equal(st.st_uid, old.st_uid);
    assert_int_equal(st.st_gid, old.st_gid);
    if (is_root()) {
        assert_int_equal(st.st_uid, UID_A);
        assert_int_equal(st.st_gid, GID_A);
    }
    assert_true(st.st_ino != old.st_ino);
    assert_int_equal(lstat(last, &lst), 0);
    assert_int_equal(lst.st_ino, old.st_ino);
    assert_content(last, "generation 1");
    assert_int_equal(harness_count_entries(f->dir), 2);

    /* again: .last moves on to generation 2 */
    assert_int_equal(atomic_save(f->root, f->file, "generation 3", 12, true, &err), 0);
    assert_int_equal(lstat(last, &lst), 0);
    assert_int_equal(lst.st_ino, st.st_ino);
    assert_content(last, "generation 2");
    assert_content(f->file, "generation 3");

    /* without make_last, .last stays where it was */
    assert_int_equal(atomic_save(f->root, f->file, "generation 4", 12, false, &err), 0);
    assert_content(last, "generation 2");
    assert_content(f->file, "generation 4");
    assert_int_equal(harness_count_entries(f->dir), 2);

    /* the primary is gone: saving a new one keeps the only copy in .last */
    assert_int_equal(unlink(f->file), 0);
    assert_int_equal(atomic_save(f->root, f->file, "generation 5", 12, true, &err), 0);
    assert_content(last, "generation 2");
    assert_content(f->file, "generation 5");
    assert_int_equal(harness_count_entries(f->dir), 2);
    free(last);
}

/* the temp file is <name>.tmp.<host>.<pid>: a stale one (file or symlink)
 * is replaced, never followed, and nothing is left behind */
static void test_save_temp_name(void **state)
{
    struct fixture *f = *state;
    const char *err = NULL;
    char *tmp = xasprintf("%s.tmp.%s.%ld", f->file, f->host, (long)getpid());
    char *victim = xasprintf("%s/victim", f->outside);

    harness_write_text(f->file, "old");
    harness_write_text(tmp, "stale");
    assert_int_equal(atomic_save(f->root, f->file, "new", 3, false, &err), 0);
    assert_false(harness_exists(tmp));
    assert_content(f->file, "new");

    harness_write_text(victim, "precious");
    assert_int_equal(symlink(victim, tmp), 0);
    assert_int_equal(atomic_save(f->root, f->file, "newer", 5, false, &err), 0);
    assert_false(harness_exists(tmp));
    assert_content(victim, "precious");
    assert_content(f->file, "newer");

    /* a directory there: the save fails, the old file is untouched */
    assert_int_equal(mkdir(tmp, 0755), 0);
    assert_int_equal(atomic_save(f->root, f->file, "never", 5, true, &err), -1);
    assert_content(f->file, "newer");
    assert_int_equal(rmdir(tmp), 0);
    assert_int_equal(harness_count_entries(f->dir), 1);
    free(tmp);
    free(victim);
}

/* symlinks below root, paths outside root and ".." are refused */
static void test_save_confined(void **state)
{
    struct fixture *f = *state;
    const char *err = NULL;
    char *victim = xasprintf("%s/victim", f->outside);
    char *link_file = xasprintf("%s/linked.pck", f->dir);
    char *evil_dir = xasprintf("%s/lists/evil", f->root);
    char *evil_file = xasprintf("%s/lists/evil/config.pck", f->root);
    char *alias_dir = xasprintf("%s/lists/alias", f->root);
    char *alias_file = xasprintf("%s/lists/alias/config.pck", f->root);
    char *dotdot = xasprintf("%s/lists/../lists/foo/config.pck", f->root);
    char *escape = xasprintf("%s/lists/foo/../../../x", f->root);
    char *out_file = xasprintf("%s/config.pck", f->outside);

    harness_write_text(victim, "precious");
    assert_int_equal(symlink(victim, link_file), 0);
    assert_int_equal(atomic_save(f->root, link_file, "evil", 4, true, &err), -1);
    assert_non_null(strstr(err, "symbolic link"));
    assert_content(victim, "precious");

    assert_int_equal(symlink(f->outside, evil_dir), 0);
    assert_int_equal(atomic_save(f->root, evil_file, "evil", 4, true, &err), -1);
    assert_int_equal(harness_count_entries(f->outside), 1);

    assert_int_equal(symlink(f->dir, alias_dir), 0);          /* inside, still refused */
    assert_int_equal(atomic_save(f->root, alias_file, "x", 1, true, &err), -1);
    assert_false(harness_exists(f->file));

    assert_int_equal(atomic_save(f->root, dotdot, "x", 1, true, &err), -1);
    assert_int_equal(atomic_save(f->root, escape, "x", 1, true, &err), -1);
    assert_int_equal(atomic_save(f->root, out_file, "x", 1, true, &err), -1);
    assert_non_null(strstr(err, "not under"));
    assert_int_equal(atomic_save(f->root, f->root, "x", 1, true, &err), -1);
    assert_int_equal(harness_count_entries(f->outside), 1);
    assert_int_equal(harness_count_entries(f->dir), 1);               /* the symlink only */

    /* check_inside: a non-existing leaf is fine, the root's realpath spelling too */
    assert_int_equal(atomic_check_inside(f->root, f->file, &err), 0);
    {
        char *slashed = xasprintf("%s/", f->root);
        assert_int_equal(atomic_check_inside(slashed, f->file, &err), 0);
        free(slashed);
    }
    free(victim);
    free(link_file);
    free(evil_dir);
    free(evil_file);
    free(alias_dir);
    free(alias_file);
    free(dotdot);
    free(escape);
    free(out_file);
}

/* failures leave the old file alone and no temp file behind */
static void test_save_failures(void **state)
{
    struct fixture *f = *state;
    const char *err = NULL;
    char *noparent = xasprintf("%s/nosuch/config.pck", f->dir);
    char *isdir = xasprintf("%s/adir", f->dir);
    char *last = xasprintf("%s.last", f->file);
    char *inlast = xasprintf("%s/keep", last);
    struct stat before;
    struct stat after;

    assert_int_equal(atomic_save(f->root, noparent, "x", 1, true, &err), -1);
    assert_int_equal(mkdir(isdir, 0755), 0);
    assert_int_equal(atomic_save(f->root, isdir, "x", 1, true, &err), -1);
    assert_non_null(strstr(err, "not a regular file"));

    harness_write_text(f->file, "old");
    assert_int_equal(stat(f->file, &before), 0);
    assert_int_equal(mkdir(last, 0755), 0);                   /* .last cannot be replaced */
    harness_write_text(inlast, "x");
    assert_int_equal(atomic_save(f->root, f->file, "new", 3, true, &err), -1);
    assert_content(f->file, "old");
    assert_int_equal(stat(f->file, &after), 0);
    assert_int_equal(after.st_ino, before.st_ino);
    assert_int_equal(harness_count_entries(f->dir), 3);               /* adir, file, .last */
    free(noparent);
    free(isdir);
    free(last);
    free(inlast);
}

/* restore puts back bytes, mode, owner, group and mtime, or removes */
static void test_restore(void **state)
{
    struct fixture *f = *state;
    const char *err = NULL;
    struct atomic_meta meta;
    struct atomic_meta none;
    struct timespec ts[2];
    struct stat st;
    char *data = NULL;
    char *newfile = xasprintf("%s/new.pck", f->dir);
    char *linkp = xasprintf("%s/link", f->dir);
    size_t len = 0;

    harness_write_text(f->file, "before\001\002");
    assert_int_equal(chmod(f->file, 0604), 0);
    if (is_root()) {
        assert_int_equal(chown(f->file, UID_A, GID_A), 0);
    }
    ts[0].tv_sec = 1000000000;
    ts[0].tv_nsec = 123456789;
    ts[1] = ts[0];
    assert_int_equal(utimensat(AT_FDCWD, f->file, ts, 0), 0);
    assert_int_equal(atomic_meta_of(f->file, &meta, &err), 0);
    assert_true(meta.exists);
    assert_int_equal(meta.mode, 0604);
    assert_int_equal(fileread_alloc(f->file, 1024, &data, &len, NULL, &err), 0);
    assert_int_equal(len, 8);

    /* change everything, then restore */
    assert_int_equal(atomic_save(f->root, f->file, "after", 5, true, &err), 0);
    assert_int_equal(chmod(f->file, 0666), 0);
    if (is_root()) {
        assert_int_equal(chown(f->file, 0, 0), 0);
    }
    assert_int_equal(atomic_restore(f->root, f->file, data, len, &meta, &err), 0);
    assert_content(f->file, "before\001\002");
    assert_int_equal(stat(f->file, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0604);
    assert_int_equal(st.st_uid, meta.uid);
    assert_int_equal(st.st_gid, meta.gid);
    if (is_root()) {
        assert_int_equal(st.st_uid, UID_A);
        assert_int_equal(st.st_gid, GID_A);
    }
    assert_int_equal(st.st_mtim.tv_sec, 1000000000);
    assert_int_equal(st.st_mtim.tv_nsec, 123456789);

    /* the file was deleted meanwhile: recreated */
    assert_int_equal(unlink(f->file), 0);
    assert_int_equal(atomic_restore(f->root, f->file, data, len, &meta, &err), 0);
    assert_content(f->file, "before\001\002");
    assert_int_equal(stat(f->file, &st), 0);
    assert_int_equal(st.st_mtim.tv_sec, 1000000000);

    /* it did not exist: removed (and ENOENT is fine) */
    assert_int_equal(atomic_meta_of(newfile, &none, &err), 0);
    assert_false(none.exists);
    assert_int_equal(atomic_save(f->root, newfile, "created", 7, true, &err), 0);
    assert_int_equal(atomic_restore(f->root, newfile, NULL, 0, &none, &err), 0);
    assert_false(harness_exists(newfile));
    assert_int_equal(atomic_restore(f->root, newfile, NULL, 0, &none, &err), 0);
    assert_int_equal(harness_count_entries(f->dir), 2);               /* file and its .last */

    /* symlinks: meta_of refuses, restore refuses */
    assert_int_equal(symlink(f->file, linkp), 0);
    assert_int_equal(atomic_meta_of(linkp, &none, &err), -1);
    assert_non_null(strstr(err, "symbolic link"));
    assert_int_equal(atomic_restore(f->root, linkp, data, len, &meta, &err), -1);
    free(data);
    free(newfile);
    free(linkp);
}

/* rename refuses to overwrite unless asked; copy keeps mode/owner/group */
static void test_rename_copy(void **state)
{
    struct fixture *f = *state;
    const char *err = NULL;
    char *a = xasprintf("%s/a", f->dir);
    char *b = xasprintf("%s/b", f->dir);
    char *c = xasprintf("%s/c", f->dir);
    char *out = xasprintf("%s/o", f->outside);
    struct stat st;
    time_t start = time(NULL);
    struct timespec ts[2];

    harness_write_text(a, "A");
    harness_write_text(b, "B");
    assert_int_equal(atomic_rename(f->root, a, b, false, &err), -1);
    assert_non_null(strstr(err, "exists"));
    assert_content(a, "A");
    assert_content(b, "B");
    assert_int_equal(atomic_rename(f->root, a, c, false, &err), 0);
    assert_false(harness_exists(a));
    assert_content(c, "A");
    assert_int_equal(atomic_rename(f->root, c, b, true, &err), 0);
    assert_false(harness_exists(c));
    assert_content(b, "A");
    assert_int_equal(atomic_rename(f->root, a, c, false, &err), -1);  /* from is gone */
    harness_write_text(out, "O");
    assert_int_equal(atomic_rename(f->root, out, c, false, &err), -1);
    assert_int_equal(atomic_rename(f->root, b, out, true, &err), -1);
    assert_content(out, "O");
    assert_content(b, "A");

    /* copy */
    assert_int_equal(chmod(b, 0620), 0);
    if (is_root()) {
        assert_int_equal(chown(b, UID_A, GID_A), 0);
    }
    ts[0].tv_sec = 1000;
    ts[0].tv_nsec = 0;
    ts[1] = ts[0];
    assert_int_equal(utimensat(AT_FDCWD, b, ts, 0), 0);
    assert_int_equal(atomic_copy(f->root, b, c, &err), 0);
    assert_content(c, "A");
    assert_int_equal(stat(c, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0620);
    if (is_root()) {
        assert_int_equal(st.st_uid, UID_A);
        assert_int_equal(st.st_gid, GID_A);
    }
    assert_true(st.st_mtime >= start - 1);
    harness_write_text(a, "new A");                                    /* copy over an existing file */
    assert_int_equal(atomic_copy(f->root, a, c, &err), 0);
    assert_content(c, "new A");
    assert_int_equal(atomic_copy(f->root, out, c, &err), -1);
    assert_int_equal(atomic_copy(f->root, a, out, &err), -1);
    assert_content(out, "O");
    assert_int_equal(atomic_copy(f->root, f->dir, c, &err), -1);
    assert_content(c, "new A");
    assert_int_equal(harness_count_entries(f->dir), 3);
    free(a);
    free(b);
    free(c);
    free(out);
}

/* unlink inside root only, ENOENT fine (the reader is test_fileread's) */
static void test_unlink(void **state)
{
    struct fixture *f = *state;
    const char *err = NULL;
    char *out = xasprintf("%s/o", f->outside);
    char *linkp = xasprintf("%s/link", f->dir);
    struct stat sb;

    harness_write_text(f->file, "0123456789");
    harness_write_text(out, "O");
    assert_int_equal(symlink(out, linkp), 0);

    /* unlink */
    /* a symlink inside root is removed itself, never what it points to */
    assert_int_equal(atomic_unlink(f->root, linkp, &err), 0);
    assert_int_equal(lstat(linkp, &sb), -1);
    assert_true(harness_exists(out));
    assert_int_equal(atomic_unlink(f->root, out, &err), -1);     /* outside root: refused */
    assert_true(harness_exists(out));
    assert_int_equal(atomic_unlink(f->root, f->file, &err), 0);
    assert_false(harness_exists(f->file));
    assert_int_equal(atomic_unlink(f->root, f->file, &err), 0);
    assert_int_equal(atomic_unlink(f->root, f->dir, &err), -1);
    assert_true(harness_exists(f->dir));
    free(out);
    free(linkp);
}

/* put-off directory syncs: each directory once, the operations themselves as usual, and
 * immediate syncs again after the flush */
static void test_sync_defer(void **state)
{
    struct fixture *f = *state;
    const char *err = NULL;
    char *sub = xasprintf("%s/sub", f->root);
    char *links[3];
    size_t i;

    atomic_sync_defer();
    assert_int_equal(atomic_mkdir(f->root, sub, 02775, (gid_t)-1, &err), 0);
    for (i = 0; i < 3; i++) {
        links[i] = xasprintf("%s/l%zu", sub, i);
        assert_int_equal(atomic_symlink(f->root, links[i], "target", &err), 0);
    }
    assert_int_equal(atomic_save(f->root, f->file, "x", 1, false, &err), 0);
    /* root (for sub), sub (the three links), dir (the file) */
    assert_int_equal(atomic_sync_pending(), 3);
    assert_int_equal(atomic_sync_flush(&err), 0);
    assert_int_equal(atomic_sync_pending(), 0);
    for (i = 0; i < 3; i++) {
        char t[16];
        ssize_t n = readlink(links[i], t, sizeof(t));
        assert_int_equal(n, 6);
        assert_int_equal(atomic_unlink(f->root, links[i], &err), 0);
        free(links[i]);
    }
    /* not put off any more */
    assert_int_equal(atomic_sync_pending(), 0);
    assert_content(f->file, "x");

    /* many directories: synced with one syncfs, one removed meanwhile is passed over */
    atomic_sync_defer();
    for (i = 0; i < 12; i++) {
        char *d = xasprintf("%s/d%zu", f->root, i);
        char *l = xasprintf("%s/link", d);
        assert_int_equal(atomic_mkdir(f->root, d, 02775, (gid_t)-1, &err), 0);
        assert_int_equal(atomic_symlink(f->root, l, "t", &err), 0);
        free(l);
        free(d);
    }
    assert_int_equal(atomic_sync_pending(), 13);     /* root and the twelve */
    {
        char *l = xasprintf("%s/d11/link", f->root);
        char *d = xasprintf("%s/d11", f->root);
        assert_int_equal(unlink(l), 0);
        assert_int_equal(rmdir(d), 0);
        free(l);
        free(d);
    }
    assert_int_equal(atomic_sync_flush(&err), 0);
    assert_int_equal(atomic_sync_pending(), 0);
    free(sub);
}

/* a save in two halves: the temp file first (the path untouched), then .last and the
 * rename; a discarded one leaves nothing */
static void test_prepare_commit(void **state)
{
    struct fixture *f = *state;
    struct atomic_prepared ps[2];
    const char *err = NULL;
    char *last = xasprintf("%s.last", f->file);
    char *other = xasprintf("%s/other", f->dir);
    struct stat st;

    harness_write_text(f->file, "old");
    assert_int_equal(chmod(f->file, 0640), 0);
    assert_int_equal(atomic_prepare(f->root, f->file, "new", 3, true, 0, &ps[0], &err), 0);
    assert_int_equal(atomic_prepare(f->root, other, "x", 1, true, 0, &ps[1], &err), 0);
    assert_content(f->file, "old");                   /* not yet */
    assert_int_equal(lstat(ps[0].tmp, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);       /* the replaced file's mode */
    assert_int_equal(atomic_prepared_sync(ps, 2, &err), 0);
    assert_int_equal(atomic_commit(f->root, &ps[0], &err), 0);
    assert_null(ps[0].tmp);
    assert_content(f->file, "new");
    assert_content(last, "old");
    {
        char *tmp = xstrdup(ps[1].tmp);
        atomic_prepared_discard(&ps[1]);
        assert_false(harness_exists(tmp));
        assert_false(harness_exists(other));
        free(tmp);
    }
    /* outside the root: refused before anything is written */
    {
        char *out = xasprintf("%s/o", f->outside);
        assert_int_equal(atomic_prepare(f->root, out, "x", 1, false, 0, &ps[0], &err), -1);
        assert_false(harness_exists(out));
        free(out);
    }
    free(last);
    free(other);
}

/* expect_owner - path (not followed) has owner uid and group gid */
static void expect_owner(const char *path, uid_t uid, gid_t gid)
{
    struct stat st;

    assert_int_equal(lstat(path, &st), 0);
    assert_int_equal(st.st_uid, uid);
    assert_int_equal(st.st_gid, gid);
}

/* new directories and links: the directory's group, as root its owner;
 * a replaced link keeps its owner; a restored one gets its before-image's;
 * the directory's exact mode whatever the umask */
static void test_new_entries_owner(void **state)
{
    struct fixture *f = *state;
    const char *err = NULL;
    char *sub = xasprintf("%s/en", f->dir);
    char *sub2 = xasprintf("%s/de", f->dir);
    char *lnk = xasprintf("%s/link", f->dir);
    struct atomic_meta before = { .exists = true, .mode = 0777, .uid = UID_A + 7,
                                  .gid = GID_A + 7 };
    uid_t uid = is_root() ? UID_A : geteuid();
    struct stat dst;
    struct stat st;
    mode_t old_mask = umask(077);

    if (is_root()) {
        /* not set-group-ID: the group is given, not inherited */
        assert_int_equal(chown(f->dir, UID_A, GID_DIR), 0);
        assert_int_equal(chmod(f->dir, 0750), 0);
    }
    assert_int_equal(stat(f->dir, &dst), 0);
    assert_int_equal(atomic_mkdir(f->root, sub, 02775, (gid_t)-1, &err), 0);
    assert_int_equal(stat(sub, &st), 0);
    assert_int_equal(st.st_mode & 07777, 02775);
    expect_owner(sub, uid, dst.st_gid);
    if (is_root()) {
        /* an explicit group wins; the owner is still the parent's */
        assert_int_equal(atomic_mkdir(f->root, sub2, 02770, GID_A, &err), 0);
        expect_owner(sub2, UID_A, GID_A);
        assert_int_equal(stat(sub2, &st), 0);
        assert_int_equal(st.st_mode & 07777, 02770);
    }

    assert_int_equal(atomic_symlink(f->root, lnk, "/x/one", &err), 0);
    expect_owner(lnk, uid, dst.st_gid);
    if (is_root()) {
        /* replaced: the old link's owner and group, not the directory's */
        assert_int_equal(lchown(lnk, UID_A + 3, GID_A + 3), 0);
        assert_int_equal(atomic_symlink(f->root, lnk, "/x/two", &err), 0);
        expect_owner(lnk, UID_A + 3, GID_A + 3);
        assert_int_equal(atomic_restore_symlink(f->root, lnk, "/x/one", &before, &err), 0);
        expect_owner(lnk, UID_A + 7, GID_A + 7);
    } else {
        assert_int_equal(atomic_restore_symlink(f->root, lnk, "/x/two", &before, &err), 0);
        expect_owner(lnk, geteuid(), dst.st_gid);
    }
    umask(old_mask);
    free(sub);
    free(sub2);
    free(lnk);
}

/* a file mmfix makes for itself: exactly the mode asked for whatever the
 * umask, the directory's group, as root its owner when given (a lock
 * claimant) or still ours (the journal) */
static void test_own_new_fd(void **state)
{
    struct fixture *f = *state;
    const char *err = NULL;
    char *path = xasprintf("%s/own.sqlite", f->dir);
    mode_t old_mask = umask(027);
    struct stat dst;
    struct stat st;
    int fd;

    if (is_root()) {
        assert_int_equal(chown(f->dir, UID_A, GID_DIR), 0);
        assert_int_equal(chmod(f->dir, 0750), 0);
    }
    assert_int_equal(stat(f->dir, &dst), 0);
    fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(atomic_own_new_fd(fd, path, 0664, true, &err), 0);
    close(fd);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0664);
    expect_owner(path, is_root() ? UID_A : geteuid(), dst.st_gid);
    assert_int_equal(unlink(path), 0);

    fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(atomic_own_new_fd(fd, path, 0640, false, &err), 0);
    close(fd);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    expect_owner(path, geteuid(), dst.st_gid);
    umask(old_mask);
    free(path);
}

/* main - run the tests */
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_save_new, setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_temp_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_confined, setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unlink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_defer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepare_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_entries_owner, setup, teardown),
        cmocka_unit_test_setup_teardown(test_own_new_fd, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
