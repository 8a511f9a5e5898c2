/*
 * test_journal - the SQLite journal of runs: schema version and open
 * checks (fresh, newer, corrupt, foreign, symlink), WAL, the run life
 * cycle across reopened handles, exact rollback (bytes, mode, owner,
 * group, mtime; created files removed), refusal of files changed since a
 * run unless forced, interrupted runs left by a killed process, abandoned
 * planned runs, and state errors.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <signal.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "mmfix/atomic.h"
#include "mmfix/fileread.h"
#include "mmfix/journal.h"
#include "mmfix/sha1.h"
#include "mmfix/strbuf.h"
#include "mmfix/testfault.h"
#include "mmfix/xalloc.h"
#include "harness.h"

struct fixture {
    char *dir;                   /* the temp dir */
    char *root;                  /* <dir>/var: the "var prefix" */
    char *db;                    /* <dir>/journal.sqlite (outside root) */
};

/* rm_entry - nftw callback removing one entry */
static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* setup - a temp dir with an empty var prefix */
static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    char tmpl[] = "/tmp/mmfix-journal-XXXXXX";

    if (mkdtemp(tmpl) == NULL) {
        free(f);
        return -1;
    }
    f->dir = xstrdup(tmpl);
    f->root = xasprintf("%s/var", f->dir);
    f->db = xasprintf("%s/journal.sqlite", f->dir);
    if (mkdir(f->root, 0755) != 0) {
        return -1;
    }
    *state = f;
    return 0;
}

/* teardown - remove the temp dir */
static int teardown(void **state)
{
    struct fixture *f = *state;

    nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f->dir);
    free(f->root);
    free(f->db);
    free(f);
    return 0;
}

/* path_in - <root>/name (free it) */
static char *path_in(const struct fixture *f, const char *name)
{
    return xasprintf("%s/%s", f->root, name);
}

/* write_file - create/replace path with text, mode */
static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    size_t n = strlen(text);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

/* replace_file - a new file with len bytes of data renamed over path, the way mmfix (and
 * Mailman) save: the inode path named before is left as it was */
static void replace_file(const char *path, const void *data, size_t len, mode_t mode)
{
    char *tmp = xasprintf("%s.new", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, mode);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
    assert_int_equal(rename(tmp, path), 0);
    free(tmp);
}

/* big_bytes - size bytes no two tests share (seed), malloc'ed */
static char *big_bytes(size_t size, unsigned seed)
{
    char *b = xmalloc(size);
    size_t i;

    for (i = 0; i < size; i++) {
        b[i] = (char)(i * 7 + (i >> 11) + seed);
    }
    return b;
}

/* read_text - the content of path (free it), NULL if it does not exist */
static char *read_text(const char *path)
{
    char *data = NULL;
    size_t len = 0;
    const char *err = NULL;
    struct stat sb;

    if (lstat(path, &sb) != 0) {
        return NULL;
    }
    if (fileread_alloc(path, 1 << 20, &data, &len, NULL, &err) != 0) {
        fail_msg("read %s: %s", path, err);
    }
    return data;
}

/* set_mtime - set path's mtime to sec.nsec */
static void set_mtime(const char *path, time_t sec, long nsec)
{
    struct timespec ts[2];

    ts[0].tv_sec = sec;
    ts[0].tv_nsec = nsec;
    ts[1] = ts[0];
    assert_int_equal(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0);
}

/* open_j - journal_open or fail */
static struct journal *open_j(const struct fixture *f)
{
    struct journal *j = NULL;
    const char *err = NULL;

    if (journal_open(f->db, &j, &err) != 0) {
        fail_msg("journal_open: %s", err);
    }
    return j;
}

/* reopen - close and open again, as the next process would */
static void reopen(const struct fixture *f, struct journal **j)
{
    journal_close(j);
    assert_null(*j);
    *j = open_j(f);
}

/* MUST - fail the test with err when call returns -1 */
#define MUST(call)                                      \
    do {                                                \
        if ((call) != 0) {                              \
            fail_msg("%s: %s", #call, err);             \
        }                                               \
    } while (0)

/* assert_status - run has status want */
static void assert_status(struct journal *j, int64_t run, const char *want)
{
    struct journal_run r;
    const char *err = NULL;

    if (journal_run_get(j, run, &r, &err) != 0) {
        fail_msg("journal_run_get: %s", err);
    }
    if (strcmp(r.status, want) != 0) {
        fail_msg("run %lld: status got '%s', want '%s'", (long long)run, r.status, want);
    }
}

/* sql_int - one integer from the journal file through SQLite directly */
static int64_t sql_int(const char *db, const char *sql)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    int64_t v = -1;

    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

/* sql_text - one text value, copied into out */
static void sql_text(const char *db, const char *sql, char *out, size_t size)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;

    out[0] = '\0';
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL) {
        snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
}

/* sql_exec - run SQL on the journal file directly */
static void sql_exec(const char *db, const char *sql)
{
    sqlite3 *h = NULL;

    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
}

/* collect - report callback: "action path\n" lines */
static void collect(void *ctx, const char *path, const char *action)
{
    strbuf_addf(ctx, "%s %s\n", action, path);
}

/* test_journal_fresh_schema - a new journal gets version 1, WAL, our id */
static void test_journal_fresh_schema(void **state)
{
    struct fixture *f = *state;
    struct journal *j = NULL;
    char mode[16];
    struct stat sb;
    struct stat dsb;
    mode_t old_mask = umask(022);

    if (geteuid() == 0) {
        /* as root: the directory's group (Mailman's), but still root's */
        assert_int_equal(chown(f->dir, 4242, 4343), 0);
    }
    assert_int_equal(stat(f->dir, &dsb), 0);
    j = open_j(f);
    umask(old_mask);

    journal_close(&j);
    assert_int_equal(sql_int(f->db, "PRAGMA user_version"), JOURNAL_SCHEMA_VERSION);
    assert_int_equal(sql_int(f->db, "PRAGMA application_id"), JOURNAL_APPLICATION_ID);
    sql_text(f->db, "PRAGMA journal_mode", mode, sizeof(mode));
    assert_string_equal(mode, "wal");
    assert_int_equal(stat(f->db, &sb), 0);
    assert_int_equal(sb.st_mode & 0007, 0); /* holds list data: not world-readable */
    /* whatever the umask; writable by its owner only: a rollback replays it */
    assert_int_equal(sb.st_mode & 07777, 0640);
    assert_int_equal(sb.st_gid, dsb.st_gid);
    assert_int_equal(sb.st_uid, geteuid());
    /* opening again keeps it */
    j = open_j(f);
    journal_close(&j);
    assert_int_equal(sql_int(f->db, "PRAGMA user_version"), JOURNAL_SCHEMA_VERSION);
    journal_close(&j); /* NULL is fine */
}

/* test_journal_newer_version_refused - user_version 99 is from the future */
static void test_journal_newer_version_refused(void **state)
{
    struct fixture *f = *state;
    struct journal *j = open_j(f);
    const char *err = NULL;

    journal_close(&j);
    sql_exec(f->db, "PRAGMA user_version = 99");
    assert_int_equal(journal_open(f->db, &j, &err), -1);
    assert_null(j);
    assert_non_null(strstr(err, "schema version 99"));
    assert_non_null(strstr(err, "newer"));
}

/* test_journal_root_trusts_only_root - run as root, a journal (or a -wal/-shm beside it)
 * another user owns or may write is refused before SQLite reads it; as another user there
 * is nothing to give away and the test only checks the journal opens */
static void test_journal_root_trusts_only_root(void **state)
{
    struct fixture *f = *state;
    struct journal *j = NULL;
    const char *err = NULL;
    char *wal = xasprintf("%s-wal", f->db);
    int fd;

    j = open_j(f);
    journal_close(&j);
    if (geteuid() != 0) {
        j = open_j(f);
        journal_close(&j);
        free(wal);
        return;
    }
    assert_int_equal(chown(f->db, 4321, 4321), 0);
    assert_int_equal(journal_open(f->db, &j, &err), -1);
    assert_null(j);
    assert_non_null(strstr(err, "owned by uid 4321"));
    assert_int_equal(chown(f->db, 0, 4321), 0);
    assert_int_equal(chmod(f->db, 0660), 0);
    assert_int_equal(journal_open(f->db, &j, &err), -1);
    assert_non_null(strstr(err, "writable by its group"));
    assert_int_equal(chmod(f->db, 0640), 0);
    j = open_j(f);
    journal_close(&j);
    /* a -wal planted beside it: SQLite would replay it into the journal */
    fd = open(wal, O_WRONLY | O_CREAT | O_EXCL, 0644);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(chown(wal, 4321, 0), 0);
    assert_int_equal(journal_open(f->db, &j, &err), -1);
    assert_non_null(strstr(err, wal));
    assert_int_equal(unlink(wal), 0);
    j = open_j(f);
    journal_close(&j);
    free(wal);
}

/* test_journal_corrupt_refused - garbage, another program's db, a symlink */
static void test_journal_corrupt_refused(void **state)
{
    struct fixture *f = *state;
    struct journal *j = NULL;
    const char *err = NULL;
    char *other = xasprintf("%s/other.sqlite", f->dir);
    char *link = xasprintf("%s/link.sqlite", f->dir);
    char garbage[8192];
    char mode[16];
    int fd;

    memset(garbage, 'x', sizeof(garbage));
    memcpy(garbage, "this is not a database\n", 23);
    fd = open(f->db, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, garbage, sizeof(garbage)), (ssize_t)sizeof(garbage));
    close(fd);
    assert_int_equal(journal_open(f->db, &j, &err), -1);
    assert_null(j);
    assert_non_null(strstr(err, f->db));
    assert_non_null(strstr(err, "not a database"));

    /* a truncated real journal: the header survives, the pages do not */
    assert_int_equal(unlink(f->db), 0);
    j = open_j(f);
    journal_close(&j);
    sql_exec(f->db, "PRAGMA wal_checkpoint(TRUNCATE)");
    fd = open(f->db, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, garbage, 4096, 100), 4096);
    close(fd);
    err = NULL;
    if (journal_open(f->db, &j, &err) == 0) {
        int64_t run = 0;
        /* SQLite may only notice at the first real use: still a clean error */
        assert_int_equal(journal_run_begin(j, "repair", f->root, "", &run, &err), -1);
        journal_close(&j);
    }
    assert_non_null(err);

    sql_exec(other, "CREATE TABLE t (x)");
    assert_int_equal(journal_open(other, &j, &err), -1);
    assert_non_null(strstr(err, "not an mmfix journal"));
    sql_text(other, "PRAGMA journal_mode", mode, sizeof(mode));
    assert_string_equal(mode, "delete"); /* refused before anything was written */

    assert_int_equal(symlink(other, link), 0);
    assert_int_equal(journal_open(link, &j, &err), -1);
    assert_non_null(strstr(err, "symbolic link"));

    free(other);
    free(link);
}

/* test_journal_rollback_exact - bytes, mode, owner, group and mtime come
 * back; a file the run created goes; the journal survives reopening */
static void test_journal_rollback_exact(void **state)
{
    struct fixture *f = *state;
    struct journal *j = open_j(f);
    struct journal_run *runs = NULL;
    struct strbuf rep = STRBUF_INIT;
    char *a = path_in(f, "a.pck");
    char *b = path_in(f, "b.pck");
    char *c = path_in(f, "c.pck");
    char *summary = NULL;
    char *text = NULL;
    const char *err = NULL;
    bool root = getuid() == 0;
    struct stat sb;
    int64_t run = 0;
    size_t n = 0;

    write_file(a, "before A", 0640);
    write_file(b, "", 0600); /* empty file: an empty blob, not NULL */
    if (root) {
        assert_int_equal(chown(a, 1234, 5678), 0);
    }
    set_mtime(a, 1000000000, 123456789);
    set_mtime(b, 1100000000, 0);

    MUST(journal_run_begin(j, "repair", f->root, "1 list, 2 changes\nwrite a.pck", &run, &err));
    assert_true(run > 0);
    assert_status(j, run, "planned");
    reopen(f, &j);
    MUST(journal_record_before(j, run, a, &err));
    MUST(journal_record_before(j, run, b, &err));
    MUST(journal_record_before(j, run, c, &err));
    MUST(journal_record_before(j, run, a, &err)); /* idempotent */
    reopen(f, &j);
    MUST(journal_run_start(j, run, &err));
    assert_status(j, run, "applying");

    /* the run changes everything */
    write_file(a, "after A, longer", 0660);
    if (root) {
        assert_int_equal(chown(a, 42, 43), 0);
    }
    write_file(b, "now b has bytes", 0644);
    write_file(c, "created", 0660);
    MUST(journal_record_after(j, run, &err));
    MUST(journal_run_finish(j, run, "done", &err));
    reopen(f, &j);

    MUST(journal_runs(j, &runs, &n, &err));
    assert_int_equal(n, 1);
    assert_int_equal(runs[0].id, run);
    assert_string_equal(runs[0].command, "repair");
    assert_string_equal(runs[0].status, "done");
    assert_string_equal(runs[0].summary, "1 list, 2 changes\nwrite a.pck");
    assert_int_equal(runs[0].files, 3);
    assert_int_equal(strlen(runs[0].started), 20);
    assert_int_equal(runs[0].started[19], 'Z');
    free(runs);
    MUST(journal_run_summary(j, run, &summary, &err));
    assert_string_equal(summary, "1 list, 2 changes\nwrite a.pck");
    free(summary);

    /* dry run: changes nothing, says what would happen, newest first */
    MUST(journal_rollback_check(j, run, f->root, false, collect, &rep, &err));
    text = xasprintf("remove %s\nrestore %s\nrestore %s\n", c, b, a);
    assert_string_equal(strbuf_cstr(&rep), text);
    free(text);
    assert_status(j, run, "done");
    assert_int_equal(access(c, F_OK), 0);

    strbuf_reset(&rep);
    MUST(journal_rollback(j, run, f->root, false, collect, &rep, &err));
    text = xasprintf("remove %s\nrestore %s\nrestore %s\n", c, b, a);
    assert_string_equal(strbuf_cstr(&rep), text);
    free(text);
    assert_status(j, run, "rolled-back");

    text = read_text(a);
    assert_string_equal(text, "before A");
    free(text);
    assert_int_equal(stat(a, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0640);
    assert_int_equal(sb.st_mtim.tv_sec, 1000000000);
    assert_int_equal(sb.st_mtim.tv_nsec, 123456789);
    if (root) {
        assert_int_equal(sb.st_uid, 1234);
        assert_int_equal(sb.st_gid, 5678);
    }
    text = read_text(b);
    assert_string_equal(text, "");
    free(text);
    assert_int_equal(stat(b, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0600);
    assert_int_equal(sb.st_size, 0);
    assert_int_equal(sb.st_mtim.tv_sec, 1100000000);
    assert_null(read_text(c));

    /* twice is refused */
    assert_int_equal(journal_rollback(j, run, f->root, true, NULL, NULL, &err), -1);
    assert_non_null(strstr(err, "already rolled back"));
    /* unknown runs */
    assert_int_equal(journal_rollback(j, run + 7, f->root, true, NULL, NULL, &err), -1);
    assert_non_null(strstr(err, "no run"));

    strbuf_release(&rep);
    journal_close(&j);
    free(a);
    free(b);
    free(c);
}

/* done_run - a finished run that rewrote a and created c */
static int64_t done_run(const struct fixture *f, struct journal *j, const char *a, const char *c)
{
    const char *err = NULL;
    int64_t run = 0;

    MUST(journal_run_begin(j, "convert", f->root, "convert", &run, &err));
    MUST(journal_record_before(j, run, a, &err));
    MUST(journal_record_before(j, run, c, &err));
    MUST(journal_run_start(j, run, &err));
    write_file(a, "after", 0660);
    write_file(c, "new", 0660);
    MUST(journal_record_after(j, run, &err));
    MUST(journal_run_finish(j, run, "done", &err));
    return run;
}

/* test_journal_rollback_refuses_changed - all or nothing, unless forced */
static void test_journal_rollback_refuses_changed(void **state)
{
    struct fixture *f = *state;
    struct journal *j = open_j(f);
    struct strbuf rep = STRBUF_INIT;
    char *a = path_in(f, "a.pck");
    char *c = path_in(f, "c.pck");
    char *text = NULL;
    const char *err = NULL;
    int64_t run;

    write_file(a, "before", 0640);
    run = done_run(f, j, a, c);
    write_file(c, "changed by Mailman later", 0660);

    assert_int_equal(journal_rollback_check(j, run, f->root, false, collect, &rep, &err), -1);
    assert_non_null(strstr(err, c));
    assert_non_null(strstr(err, "changed since run"));
    text = xasprintf("refuse %s\nrestore %s\n", c, a);
    assert_string_equal(strbuf_cstr(&rep), text);
    free(text);

    strbuf_reset(&rep);
    assert_int_equal(journal_rollback(j, run, f->root, false, collect, &rep, &err), -1);
    assert_non_null(strstr(err, "nothing was restored"));
    text = xasprintf("refuse %s\n", c);
    assert_string_equal(strbuf_cstr(&rep), text);
    free(text);
    text = read_text(a);
    assert_string_equal(text, "after"); /* nothing restored */
    free(text);
    assert_status(j, run, "done");

    /* the after-image is the size and SHA-1 in a table of its own (schema 3), not the
     * bytes again, and the row with the before-image is not rewritten; a change that keeps
     * the size is still a change */
    assert_int_equal(sql_int(f->db, "SELECT count(*) FROM files WHERE after_data IS NOT NULL "
                                    "OR after_recorded != 0"), 0);
    assert_int_equal(sql_int(f->db, "SELECT count(*) FROM afters"), 2);
    {
        char hex[64];
        sql_text(f->db, "SELECT a.sha1 FROM afters a JOIN files f ON f.id = a.file "
                        "WHERE f.path LIKE '%/c.pck'", hex, sizeof(hex));
        assert_string_equal(hex, "c2a6b03f190dfb2b4aa91f8af8d477a9bc3401dc");
    }
    write_file(c, "NEW", 0660);
    assert_int_equal(journal_rollback_check(j, run, f->root, false, NULL, NULL, &err), -1);
    assert_non_null(strstr(err, "changed since run"));

    /* a mode change counts as a change too */
    write_file(c, "new", 0600);
    assert_int_equal(journal_rollback_check(j, run, f->root, false, NULL, NULL, &err), -1);
    write_file(c, "new", 0660);
    MUST(journal_rollback_check(j, run, f->root, false, NULL, NULL, &err));

    /* forced */
    write_file(c, "changed by Mailman later", 0660);
    MUST(journal_rollback(j, run, f->root, true, NULL, NULL, &err));
    text = read_text(a);
    assert_string_equal(text, "before");
    free(text);
    assert_null(read_text(c));
    assert_status(j, run, "rolled-back");

    strbuf_release(&rep);
    journal_close(&j);
    free(a);
    free(c);
}

/* test_journal_rollback_half_done - a file already back in its before-state
 * passes the check (a rollback that stopped half-way can run again) */
static void test_journal_rollback_half_done(void **state)
{
    struct fixture *f = *state;
    struct journal *j = open_j(f);
    char *a = path_in(f, "a.pck");
    char *c = path_in(f, "c.pck");
    char *text = NULL;
    const char *err = NULL;
    int64_t run;

    write_file(a, "before", 0640);
    run = done_run(f, j, a, c);
    assert_int_equal(unlink(c), 0); /* c already "restored": it did not exist */
    MUST(journal_rollback(j, run, f->root, false, NULL, NULL, &err));
    text = read_text(a);
    assert_string_equal(text, "before");
    free(text);
    journal_close(&j);
    free(a);
    free(c);
}

/* test_journal_killed_rollback - a rollback killed half-way ('rolling-back',
 * here recorded by another host) is found and finished without checks */
static void test_journal_killed_rollback(void **state)
{
    struct fixture *f = *state;
    struct journal *j = open_j(f);
    char *a = path_in(f, "a.pck");
    char *c = path_in(f, "c.pck");
    char *text = NULL;
    const char *err = NULL;
    int64_t found = -1;
    int64_t run;

    write_file(a, "before", 0640);
    run = done_run(f, j, a, c);
    journal_close(&j);
    sql_exec(f->db, "UPDATE runs SET status = 'rolling-back', host = 'elsewhere.example', "
                    "pid = 1");
    write_file(a, "something else", 0600); /* unknown state: no check */
    j = open_j(f);
    MUST(journal_interrupted(j, &found, &err));
    assert_int_equal(found, run);
    MUST(journal_rollback(j, run, f->root, false, NULL, NULL, &err));
    text = read_text(a);
    assert_string_equal(text, "before");
    free(text);
    assert_null(read_text(c));
    assert_status(j, run, "rolled-back");
    MUST(journal_interrupted(j, &found, &err));
    assert_int_equal(found, 0);
    journal_close(&j);
    free(a);
    free(c);
}

/* test_journal_interrupted - a process killed while applying: the next
 * process finds the run and rolls it back without the after-image check */
static void test_journal_interrupted(void **state)
{
    struct fixture *f = *state;
    struct journal *j = NULL;
    char *a = path_in(f, "a.pck");
    char *c = path_in(f, "c.pck");
    char *text = NULL;
    const char *err = NULL;
    int64_t run = 0;
    int64_t found = -1;
    int64_t mine = 0;
    pid_t pid;
    int wst = 0;

    write_file(a, "before", 0640);
    set_mtime(a, 1200000000, 5);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* the doomed run: killed after changing files, no after-images */
        int64_t r = 0;
        if (journal_open(f->db, &j, &err) != 0 || journal_run_begin(j, "repair", f->root, "s", &r, &err) != 0
            || journal_record_before(j, r, a, &err) != 0
            || journal_record_before(j, r, c, &err) != 0 || journal_run_start(j, r, &err) != 0) {
            _exit(1);
        }
        write_file(a, "half written", 0600);
        write_file(c, "created", 0660);
        raise(SIGKILL);
        _exit(2);
    }
    assert_int_equal(waitpid(pid, &wst, 0), pid);
    assert_true(WIFSIGNALED(wst));

    j = open_j(f);
    MUST(journal_interrupted(j, &found, &err));
    assert_true(found > 0);
    run = found;
    assert_status(j, run, "applying");

    /* a run this handle is applying is not "interrupted" */
    MUST(journal_run_begin(j, "repair", f->root, "live", &mine, &err));
    MUST(journal_run_start(j, mine, &err));
    MUST(journal_interrupted(j, &found, &err));
    assert_int_equal(found, run);

    MUST(journal_rollback(j, run, f->root, false, NULL, NULL, &err));
    assert_status(j, run, "rolled-back");
    text = read_text(a);
    assert_string_equal(text, "before");
    free(text);
    assert_null(read_text(c));
    MUST(journal_interrupted(j, &found, &err));
    assert_int_equal(found, 0);

    /* the live run, seen from another handle of the same process: our own
     * pid, so it counts as left over (a reused pid) */
    journal_close(&j);
    j = open_j(f);
    MUST(journal_interrupted(j, &found, &err));
    assert_int_equal(found, mine);
    journal_close(&j);
    free(a);
    free(c);
}

/* test_journal_live_run_not_interrupted - a run another live process is
 * applying is neither interrupted nor rolled back */
static void test_journal_live_run_not_interrupted(void **state)
{
    struct fixture *f = *state;
    struct journal *j = NULL;
    char *a = path_in(f, "a.pck");
    const char *err = NULL;
    int64_t found = -1;
    int go[2];
    int done[2];
    char ch = 0;
    pid_t pid;

    write_file(a, "before", 0640);
    assert_int_equal(pipe(go), 0);
    assert_int_equal(pipe(done), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int64_t r = 0;
        close(go[0]);
        close(done[1]);
        if (journal_open(f->db, &j, &err) != 0 || journal_run_begin(j, "repair", f->root, "s", &r, &err) != 0
            || journal_record_before(j, r, a, &err) != 0 || journal_run_start(j, r, &err) != 0) {
            _exit(1);
        }
        journal_close(&j);
        ch = 'x';
        if (write(go[1], &ch, 1) != 1 || read(done[0], &ch, 1) < 0) {
            _exit(1);
        }
        _exit(0);
    }
    close(go[1]);
    close(done[0]);
    assert_int_equal(read(go[0], &ch, 1), 1);
    j = open_j(f);
    MUST(journal_interrupted(j, &found, &err));
    assert_int_equal(found, 0);
    assert_int_equal(journal_rollback(j, 1, f->root, true, NULL, NULL, &err), -1);
    assert_non_null(strstr(err, "still running"));
    close(done[1]);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    MUST(journal_interrupted(j, &found, &err));
    assert_int_equal(found, 1);
    close(go[0]);
    journal_close(&j);
    free(a);
}

/* test_journal_planned_abandoned - a run that never started changed nothing */
static void test_journal_planned_abandoned(void **state)
{
    struct fixture *f = *state;
    struct journal *j = open_j(f);
    char *a = path_in(f, "a.pck");
    char *text = NULL;
    const char *err = NULL;
    int64_t run = 0;

    write_file(a, "before", 0640);
    MUST(journal_run_begin(j, "repair", f->root, "s", &run, &err));
    MUST(journal_record_before(j, run, a, &err));
    write_file(a, "someone else's later change", 0640);
    MUST(journal_rollback(j, run, f->root, false, NULL, NULL, &err));
    assert_status(j, run, "abandoned");
    text = read_text(a);
    assert_string_equal(text, "someone else's later change");
    free(text);
    assert_int_equal(journal_rollback(j, run, f->root, false, NULL, NULL, &err), -1);
    assert_non_null(strstr(err, "abandoned"));
    journal_close(&j);
    free(a);
}

/* test_journal_state_errors - steps out of order, bad arguments */
static void test_journal_state_errors(void **state)
{
    struct fixture *f = *state;
    struct journal *j = open_j(f);
    char *a = path_in(f, "a.pck");
    char *lnk = path_in(f, "link.pck");
    char *fifo = path_in(f, "fifo.pck");
    char *other = xasprintf("%s/elsewhere", f->dir);
    const char *err = NULL;
    int64_t run = 0;
    int64_t run2 = 0;

    write_file(a, "before", 0640);
    assert_int_equal(symlink(a, lnk), 0);
    MUST(journal_run_begin(j, "repair", f->root, "s", &run, &err));
    assert_int_equal(journal_record_before(j, run, "relative/path", &err), -1);
    assert_non_null(strstr(err, "not absolute"));
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(journal_record_before(j, run, fifo, &err), -1);
    assert_non_null(strstr(err, "not a regular file, directory or symbolic link"));
    assert_int_equal(journal_record_before(j, run + 100, a, &err), -1);
    assert_non_null(strstr(err, "no run"));
    assert_int_equal(journal_record_after(j, run, &err), -1);
    assert_non_null(strstr(err, "not 'applying'"));
    assert_int_equal(journal_run_finish(j, run, "done", &err), -1);
    assert_non_null(strstr(err, "'planned', not 'applying'"));
    MUST(journal_record_before(j, run, a, &err));
    MUST(journal_run_start(j, run, &err));
    assert_int_equal(journal_run_start(j, run, &err), -1);
    assert_int_equal(journal_record_before(j, run, lnk, &err), -1);
    assert_non_null(strstr(err, "before it starts"));
    assert_int_equal(journal_run_finish(j, run, "great", &err), -1);
    MUST(journal_record_after(j, run, &err));
    MUST(journal_run_finish(j, run, "failed", &err));
    assert_status(j, run, "failed");

    /* rollback only in the run's own var prefix */
    assert_int_equal(mkdir(other, 0755), 0);
    assert_int_equal(journal_rollback(j, run, other, true, NULL, NULL, &err), -1);
    assert_non_null(strstr(err, "was made in"));

    /* a done run without after-images is refused unless forced */
    MUST(journal_run_begin(j, "repair", f->root, "s", &run2, &err));
    MUST(journal_record_before(j, run2, a, &err));
    MUST(journal_run_start(j, run2, &err));
    MUST(journal_run_finish(j, run2, "done", &err));
    assert_int_equal(journal_rollback(j, run2, f->root, false, NULL, NULL, &err), -1);
    assert_non_null(strstr(err, "no after-image"));
    MUST(journal_rollback(j, run2, f->root, true, NULL, NULL, &err));
    assert_status(j, run2, "rolled-back");

    journal_close(&j);
    free(a);
    free(lnk);
    free(fifo);
    free(other);
}

/* test_journal_big_file - a file of a few MB round-trips */
static void test_journal_big_file(void **state)
{
    struct fixture *f = *state;
    struct journal *j = open_j(f);
    char *a = path_in(f, "config.pck");
    size_t size = 3u << 20;
    char *big = xmalloc(size);
    char *data = NULL;
    size_t len = 0;
    const char *err = NULL;
    int64_t run = 0;
    size_t i;
    int fd;

    for (i = 0; i < size; i++) {
        big[i] = (char)(i * 7 + (i >> 11));
    }
    fd = open(a, O_WRONLY | O_CREAT | O_TRUNC, 0660);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, big, size), (ssize_t)size);
    close(fd);
    MUST(journal_run_begin(j, "repair", f->root, "s", &run, &err));
    MUST(journal_record_before(j, run, a, &err));
    MUST(journal_run_start(j, run, &err));
    replace_file(a, "small now", 9, 0660);   /* as mmfix does: a new file renamed over it */
    MUST(journal_record_after(j, run, &err));
    MUST(journal_run_finish(j, run, "done", &err));
    reopen(f, &j);
    MUST(journal_rollback(j, run, f->root, false, NULL, NULL, &err));
    MUST(fileread_alloc(a, size + 1, &data, &len, NULL, &err));
    assert_int_equal(len, size);
    assert_memory_equal(data, big, size);
    free(data);
    free(big);
    free(a);
    journal_close(&j);
}

/* main - run the journal tests */
#define link_target harness_readlink

/* test_journal_dirs_links_moves - a run that creates a directory (with a
 * file in it), re-points a symbolic link, removes a directory and moves a
 * big directory is rolled back exactly; once done, a changed link or a
 * directory moved back by hand is refused unless forced */
static void test_journal_dirs_links_moves(void **state)
{
    struct fixture *f = *state;
    struct journal *j = open_j(f);
    char *newdir = path_in(f, "lists-x-en");
    char *newfile = path_in(f, "lists-x-en/listinfo.html");
    char *lnk = path_in(f, "public-x");
    char *gone = path_in(f, "empty-dir");
    char *arch = path_in(f, "private-old");
    char *arch_to = path_in(f, "private-new");
    char *msg = path_in(f, "private-old/2026-November.txt");
    char *t = NULL;
    const char *err = NULL;
    int64_t run = 0;
    struct stat sb;
    uid_t link_owner;
    gid_t link_group;

    assert_int_equal(symlink("/old/host/archives/private/x", lnk), 0);
    if (geteuid() == 0) {
        assert_int_equal(lchown(lnk, 4242, 4343), 0);
    }
    assert_int_equal(lstat(lnk, &sb), 0);
    link_owner = sb.st_uid;
    link_group = sb.st_gid;
    assert_int_equal(mkdir(gone, 02775), 0);
    assert_int_equal(chmod(gone, 02775), 0);
    assert_int_equal(mkdir(arch, 0771), 0);
    assert_int_equal(chmod(arch, 0771), 0);
    write_file(msg, "From a@b  Mon Nov 30 2026\n\nhi\n", 0664);

    MUST(journal_run_begin(j, "rename", f->root, "s", &run, &err));
    MUST(journal_record_before(j, run, newdir, &err));
    MUST(journal_record_before(j, run, newfile, &err));
    MUST(journal_record_before(j, run, lnk, &err));
    MUST(journal_record_before(j, run, gone, &err));
    MUST(journal_record_move(j, run, arch, arch_to, &err));
    assert_int_equal(journal_record_move(j, run, arch, arch_to, &err), -1);
    assert_non_null(strstr(err, "recorded twice"));
    MUST(journal_run_start(j, run, &err));
    MUST(atomic_mkdir(f->root, newdir, 02775, (gid_t)-1, &err));
    write_file(newfile, "custom", 0660);
    MUST(atomic_symlink(f->root, lnk, "/var/lib/mailman/archives/private/x", &err));
    MUST(atomic_rmdir(f->root, gone, &err));
    MUST(atomic_move_whole(f->root, arch, arch_to, &err));
    /* never over an existing directory */
    assert_int_equal(mkdir(arch, 0700), 0);
    assert_int_equal(atomic_move_whole(f->root, arch_to, arch, &err), -1);
    assert_int_equal(rmdir(arch), 0);
    MUST(journal_record_after(j, run, &err));
    MUST(journal_run_finish(j, run, "done", &err));

    /* changed since: the link re-pointed by hand */
    MUST(atomic_symlink(f->root, lnk, "/elsewhere", &err));
    assert_int_equal(journal_rollback(j, run, f->root, false, NULL, NULL, &err), -1);
    assert_non_null(strstr(err, "public-x"));
    MUST(atomic_symlink(f->root, lnk, "/var/lib/mailman/archives/private/x", &err));
    if (geteuid() == 0) {
        /* the owner comes from the before-image, not from the link replaced */
        assert_int_equal(lchown(lnk, 0, 0), 0);
    }
    MUST(journal_rollback(j, run, f->root, false, NULL, NULL, &err));

    assert_int_equal(lstat(newdir, &sb), -1);          /* created: removed again */
    t = link_target(lnk);
    assert_string_equal(t, "/old/host/archives/private/x");
    free(t);
    assert_int_equal(lstat(lnk, &sb), 0);               /* and its owner */
    assert_int_equal(sb.st_uid, link_owner);
    assert_int_equal(sb.st_gid, link_group);
    assert_int_equal(lstat(gone, &sb), 0);              /* removed: back, mode and all */
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(sb.st_mode & 07777, 02775);
    assert_int_equal(lstat(arch_to, &sb), -1);          /* moved: back */
    t = read_text(msg);
    assert_string_equal(t, "From a@b  Mon Nov 30 2026\n\nhi\n");
    free(t);
    assert_int_equal(lstat(arch, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0771);
    journal_close(&j);
    free(newdir);
    free(newfile);
    free(lnk);
    free(gone);
    free(arch);
    free(arch_to);
    free(msg);
}

/* test_journal_schema1_migrated - a journal written by the schema-1 mmfix
 * is upgraded in place, and its runs still roll back */
static void test_journal_schema1_migrated(void **state)
{
    struct fixture *f = *state;
    struct journal *j = NULL;
    struct journal_run *runs = NULL;
    char *a = path_in(f, "a.pck");
    char *sql = NULL;
    char *t = NULL;
    const char *err = NULL;
    size_t n = 0;

    write_file(a, "after", 0660);
    sql_exec(f->db,
             "PRAGMA application_id = 1835886200;"
             "CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, started TEXT NOT NULL, "
             "finished TEXT, command TEXT NOT NULL, var_prefix TEXT NOT NULL, summary TEXT NOT "
             "NULL, status TEXT NOT NULL CHECK (status IN ('planned', 'applying', 'done', "
             "'failed', 'rolling-back', 'rolled-back', 'abandoned')), host TEXT NOT NULL, pid "
             "INTEGER NOT NULL);"
             "CREATE INDEX runs_status ON runs (status);"
             "CREATE TABLE files (id INTEGER PRIMARY KEY, run INTEGER NOT NULL REFERENCES runs "
             "(id) ON DELETE CASCADE, path TEXT NOT NULL, before_exists INTEGER NOT NULL CHECK "
             "(before_exists IN (0, 1)), before_data BLOB, before_mode INTEGER NOT NULL, "
             "before_uid INTEGER NOT NULL, before_gid INTEGER NOT NULL, before_mtime_s INTEGER "
             "NOT NULL, before_mtime_ns INTEGER NOT NULL, after_recorded INTEGER NOT NULL "
             "DEFAULT 0 CHECK (after_recorded IN (0, 1)), after_exists INTEGER, after_data "
             "BLOB, after_mode INTEGER, after_uid INTEGER, after_gid INTEGER, UNIQUE (run, "
             "path), CHECK (before_exists = 0 OR before_data IS NOT NULL), CHECK "
             "(after_recorded = 0 OR after_exists = 0 OR after_data IS NOT NULL));"
             "PRAGMA user_version = 1;");
    sql = xasprintf("INSERT INTO runs VALUES (1, '2026-01-01T00:00:00Z', "
                    "'2026-01-01T00:00:01Z', 'repair', '%s', 's', 'done', 'elsewhere', 1);"
                    "INSERT INTO files VALUES (1, 1, '%s', 1, CAST('before' AS BLOB), 416, %d, "
                    "%d, 0, 0, 1, 1, CAST('after' AS BLOB), 432, %d, %d);",
                    f->root, a, (int)getuid(), (int)getgid(), (int)getuid(), (int)getgid());
    sql_exec(f->db, sql);
    j = open_j(f);
    assert_int_equal(sql_int(f->db, "PRAGMA user_version"), JOURNAL_SCHEMA_VERSION);
    MUST(journal_runs(j, &runs, &n, &err));
    assert_int_equal(n, 1);
    assert_string_equal(runs[0].status, "done");
    MUST(journal_rollback(j, 1, f->root, false, NULL, NULL, &err));
    t = read_text(a);
    assert_string_equal(t, "before");
    free(t);
    free(runs);
    free(sql);
    free(a);
    journal_close(&j);
}


/* keep_path - <journal>.keep/name (free it) */
static char *keep_path(const struct fixture *f, const char *name)
{
    return xasprintf("%s.keep/%s", f->db, name);
}

/* keep_entries - the number of entries in <journal>.keep (-1: no such directory) */
static int keep_entries(const struct fixture *f)
{
    char *d = xasprintf("%s.keep", f->db);
    DIR *dir = opendir(d);
    struct dirent *e;
    int n = 0;

    free(d);
    if (dir == NULL) {
        return -1;
    }
    while ((e = readdir(dir)) != NULL) {
        n += e->d_name[0] != '.';
    }
    closedir(dir);
    return n;
}

/* big_run - a done run that replaced the big file a (size bytes of big_bytes(seed), mode
 * 0640, mtime 1e9.5) and the small file s (absent: not recorded); *run_r */
static void big_run(const struct fixture *f, struct journal **j, const char *a, const char *sm,
                    size_t size, unsigned seed, int64_t *run_r)
{
    char *big = big_bytes(size, seed);
    const char *err = NULL;

    replace_file(a, big, size, 0640);
    if (getuid() == 0) {
        assert_int_equal(chown(a, 1234, 5678), 0);
    }
    set_mtime(a, 1000000000, 500000000);
    if (sm != NULL) {
        write_file(sm, "a small file stays a copy", 0600);
    }
    MUST(journal_run_begin(*j, "repair", f->root, "s", run_r, &err));
    MUST(journal_batch_begin(*j, &err));
    MUST(journal_record_before(*j, *run_r, a, &err));
    if (sm != NULL) {
        MUST(journal_record_before(*j, *run_r, sm, &err));
    }
    MUST(journal_batch_end(*j, true, &err));
    MUST(journal_run_start(*j, *run_r, &err));
    replace_file(a, "after", 5, 0660);
    if (sm != NULL) {
        replace_file(sm, "small after", 11, 0600);
    }
    MUST(journal_record_after(*j, *run_r, &err));
    MUST(journal_run_finish(*j, *run_r, "done", &err));
    reopen(f, j);
    free(big);
}

/* test_journal_keep_link - a large file's before-image is a hard link in <journal>.keep
 * (0700), the row has no bytes, only the link's name, size and SHA-1; a small file stays a
 * copy; the rollback restores bytes, mode, owner, group and mtime exactly and removes the
 * link */
static void test_journal_keep_link(void **state)
{
    struct fixture *f = *state;
    struct journal *j = open_j(f);
    char *a = path_in(f, "config.pck");
    char *sm = path_in(f, "small.pck");
    size_t size = 64 * 1024;
    char *big = big_bytes(size, 3);
    char *data = NULL;
    char *kp = NULL;
    char name[64];
    char sha[64];
    const char *err = NULL;
    struct stat sa;
    struct stat sk;
    size_t len = 0;
    int64_t run = 0;

    big_run(f, &j, a, sm, size, 3, &run);
    assert_int_equal(sql_int(f->db, "PRAGMA user_version"), 4);
    sql_text(f->db, "SELECT before_keep FROM files WHERE path LIKE '%config.pck'", name,
             sizeof(name));
    assert_true(name[0] != '\0');
    assert_int_equal(sql_int(f->db, "SELECT length(before_data) FROM files WHERE path LIKE "
                                    "'%config.pck'"), 0);
    assert_int_equal(sql_int(f->db, "SELECT before_size FROM files WHERE path LIKE "
                                    "'%config.pck'"), (int64_t)size);
    sql_text(f->db, "SELECT before_sha1 FROM files WHERE path LIKE '%config.pck'", sha,
             sizeof(sha));
    assert_int_equal(strlen(sha), 40);
    /* the small file: its bytes in the row, no link */
    assert_int_equal(sql_int(f->db, "SELECT before_keep IS NULL AND length(before_data) = 25 "
                                    "FROM files WHERE path LIKE '%small.pck'"), 1);
    kp = keep_path(f, "");
    assert_int_equal(lstat(kp, &sk), 0);
    assert_true(S_ISDIR(sk.st_mode));
    assert_int_equal(sk.st_mode & 07777, 0700);
    assert_int_equal(sk.st_uid, geteuid());
    free(kp);
    kp = keep_path(f, name);
    assert_int_equal(lstat(kp, &sk), 0);
    assert_int_equal(sk.st_size, (off_t)size);
    assert_int_equal(sk.st_mode & 07777, 0640);   /* the file's own inode: its mode, owner */
    if (getuid() == 0) {
        assert_int_equal(sk.st_uid, 1234);
    }
    assert_int_equal(keep_entries(f), 1);

    MUST(journal_rollback(j, run, f->root, false, NULL, NULL, &err));
    MUST(fileread_alloc(a, size + 1, &data, &len, NULL, &err));
    assert_int_equal(len, size);
    assert_memory_equal(data, big, size);
    assert_int_equal(lstat(a, &sa), 0);
    assert_int_equal(sa.st_mode & 07777, 0640);
    assert_int_equal(sa.st_mtim.tv_sec, 1000000000);
    assert_int_equal(sa.st_mtim.tv_nsec, 500000000);
    if (getuid() == 0) {
        assert_int_equal(sa.st_uid, 1234);
        assert_int_equal(sa.st_gid, 5678);
    }
    free(data);
    data = read_text(sm);
    assert_string_equal(data, "a small file stays a copy");
    /* rolled back: the link is not needed any more */
    assert_int_equal(lstat(kp, &sk), -1);
    assert_int_equal(keep_entries(f), 0);
    free(data);
    free(kp);
    free(big);
    free(a);
    free(sm);
    journal_close(&j);
}

/* test_journal_keep_tampered - the kept inode written in place (through another name, as
 * Mailman's user could through config.pck.last) or its link removed: the rollback refuses
 * the file, forced too, and the interrupted-run recovery as well; nothing is restored */
static void test_journal_keep_tampered(void **state)
{
    struct fixture *f = *state;
    struct journal *j = open_j(f);
    char *a = path_in(f, "config.pck");
    char *last = path_in(f, "config.pck.last");
    char *kp = NULL;
    char *t = NULL;
    char name[64];
    const char *err = NULL;
    int64_t run = 0;
    int64_t run2 = 0;
    int fd;

    big_run(f, &j, a, NULL, 16384, 5, &run);
    /* the old inode is still config.pck.last's in a real tree: link it there */
    sql_text(f->db, "SELECT before_keep FROM files WHERE run = 1", name, sizeof(name));
    kp = keep_path(f, name);
    assert_int_equal(link(kp, last), 0);
    fd = open(last, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "XX", 2, 100), 2);     /* same size, other bytes */
    close(fd);
    assert_int_equal(journal_rollback(j, run, f->root, false, NULL, NULL, &err), -1);
    assert_non_null(strstr(err, "written in place"));
    assert_int_equal(journal_rollback(j, run, f->root, true, NULL, NULL, &err), -1);
    assert_non_null(strstr(err, "written in place"));
    assert_non_null(strstr(err, "not even forced"));
    assert_int_equal(journal_rollback_check(j, run, f->root, true, NULL, NULL, &err), -1);
    assert_status(j, run, "done");
    t = read_text(a);
    assert_string_equal(t, "after");                  /* nothing restored */
    free(t);

    /* the link removed: refused the same way */
    assert_int_equal(unlink(kp), 0);
    assert_int_equal(journal_rollback(j, run, f->root, true, NULL, NULL, &err), -1);
    assert_non_null(strstr(err, "which is gone"));
    assert_status(j, run, "done");

    /* an interrupted run (the recovery rolls it back forced): refused too */
    MUST(journal_run_begin(j, "repair", f->root, "s", &run2, &err));
    MUST(journal_record_before(j, run2, a, &err));    /* "after": small, a copy */
    MUST(journal_record_before(j, run2, last, &err)); /* 16 KB: kept */
    MUST(journal_run_start(j, run2, &err));
    assert_int_equal(sql_int(f->db, "SELECT count(before_keep) FROM files WHERE run = 2"), 1);
    free(kp);
    sql_text(f->db, "SELECT before_keep FROM files WHERE run = 2 AND before_keep IS NOT NULL",
             name, sizeof(name));
    kp = keep_path(f, name);
    fd = open(last, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "YY", 2, 10), 2);
    close(fd);
    assert_int_equal(journal_rollback(j, run2, f->root, true, NULL, NULL, &err), -1);
    assert_non_null(strstr(err, "written in place"));
    assert_status(j, run2, "applying");
    free(kp);
    free(a);
    free(last);
    journal_close(&j);
}

/* test_journal_keep_fallback - no link can be made (the journal on another file system:
 * EXDEV; or any link failure, injected): the bytes are copied as before, and restored */
static void test_journal_keep_fallback(void **state)
{
    struct fixture *f = *state;
    struct journal *j = NULL;
    char *a = path_in(f, "config.pck");
    char *big = big_bytes(20000, 9);
    char *data = NULL;
    char shm[] = "/dev/shm/mmfix-keep-XXXXXX";
    const char *err = NULL;
    struct stat s1;
    struct stat s2;
    size_t len = 0;
    int64_t run = 0;
    int pass;

    for (pass = 0; pass < 2; pass++) {
        if (pass == 0) {
            /* /dev/shm is a tmpfs, /tmp another file system: link() says EXDEV */
            if (mkdtemp(shm) == NULL || stat(shm, &s1) != 0 || stat(f->root, &s2) != 0
                || s1.st_dev == s2.st_dev) {
                continue;
            }
            free(f->db);
            f->db = xasprintf("%s/journal.sqlite", shm);
        } else {
            free(f->db);
            f->db = xasprintf("%s/journal2.sqlite", f->dir);
            setenv("MMFIX_TEST_FAIL_JOURNAL_KEEP", "1", 1);
            testfault_reset();
        }
        j = open_j(f);
        big_run(f, &j, a, NULL, 20000, 9, &run);
        unsetenv("MMFIX_TEST_FAIL_JOURNAL_KEEP");
        assert_int_equal(sql_int(f->db, "SELECT before_keep IS NULL AND length(before_data) = "
                                        "20000 FROM files"), 1);
        assert_true(keep_entries(f) <= 0);
        MUST(journal_rollback(j, run, f->root, false, NULL, NULL, &err));
        MUST(fileread_alloc(a, 1 << 20, &data, &len, NULL, &err));
        assert_int_equal(len, 20000);
        assert_memory_equal(data, big, len);
        free(data);
        journal_close(&j);
        if (pass == 0) {
            char *cmd = xasprintf("rm -rf '%s'", shm);
            assert_int_equal(system(cmd), 0);
            free(cmd);
        }
    }
    free(big);
    free(a);
}

/* test_journal_keep_root_trust - run as root, a keep directory root does not own, or that
 * others may write, or that is a symbolic link, makes the journal refused before it is read */
static void test_journal_keep_root_trust(void **state)
{
    struct fixture *f = *state;
    struct journal *j = open_j(f);
    char *kd = xasprintf("%s.keep", f->db);
    const char *err = NULL;

    if (geteuid() != 0) {
        free(kd);
        journal_close(&j);
        skip();
    }
    journal_close(&j);
    assert_int_equal(mkdir(kd, 0700), 0);
    assert_int_equal(chown(kd, 1234, 0), 0);
    assert_int_equal(journal_open(f->db, &j, &err), -1);
    assert_non_null(strstr(err, ".keep: owned by uid 1234"));
    assert_int_equal(chown(kd, 0, 0), 0);
    assert_int_equal(chmod(kd, 0770), 0);
    assert_int_equal(journal_open(f->db, &j, &err), -1);
    assert_non_null(strstr(err, "writable by its group"));
    assert_int_equal(rmdir(kd), 0);
    assert_int_equal(symlink(f->dir, kd), 0);
    assert_int_equal(journal_open(f->db, &j, &err), -1);
    assert_non_null(strstr(err, "not a directory"));
    free(kd);
}

/* test_journal_schema3_migrated - a schema-3 journal (no kept links) is upgraded by adding
 * columns; its rows still restore, and new runs keep links */
static void test_journal_schema3_migrated(void **state)
{
    struct fixture *f = *state;
    struct journal *j = open_j(f);
    char *a = path_in(f, "config.pck");
    char *b = path_in(f, "b.pck");
    char *big = big_bytes(10000, 11);
    char *data = NULL;
    const char *err = NULL;
    size_t len = 0;
    int64_t run = 0;

    /* a schema-3 journal: today's, without schema 4's columns */
    journal_close(&j);
    sql_exec(f->db, "ALTER TABLE files DROP COLUMN before_keep;"
                    "ALTER TABLE files DROP COLUMN before_size;"
                    "ALTER TABLE files DROP COLUMN before_sha1;"
                    "PRAGMA user_version = 3;");
    replace_file(a, big, 10000, 0660);
    write_file(b, "bbb", 0660);
    /* a run recorded by the schema-3 mmfix: the bytes in the row */
    {
        char *sql = xasprintf("INSERT INTO runs (id, started, command, var_prefix, summary, "
                              "status, host, pid) VALUES (1, 'x', 'repair', '%s', 's', "
                              "'done', 'elsewhere', 1);"
                              "INSERT INTO files (id, run, path, before_exists, before_data, "
                              "before_mode, before_uid, before_gid, before_mtime_s, "
                              "before_mtime_ns, kind) VALUES (1, 1, '%s', 1, "
                              "CAST('old bytes' AS BLOB), 432, %d, %d, 0, 0, 'file');"
                              "INSERT INTO afters VALUES (1, 1, 432, %d, %d, 'file', NULL, "
                              "10000, NULL);",
                              f->root, b, (int)getuid(), (int)getgid(), (int)getuid(),
                              (int)getgid());
        sql_exec(f->db, sql);
        free(sql);
    }
    j = open_j(f);
    assert_int_equal(sql_int(f->db, "PRAGMA user_version"), 4);
    assert_int_equal(sql_int(f->db, "SELECT count(*) FROM files WHERE before_keep IS NULL"), 1);
    MUST(journal_rollback(j, 1, f->root, true, NULL, NULL, &err));
    data = read_text(b);
    assert_string_equal(data, "old bytes");
    free(data);
    /* a new run over the migrated journal keeps a link */
    MUST(journal_run_begin(j, "repair", f->root, "s", &run, &err));
    assert_true(run == 2);
    MUST(journal_record_before(j, run, a, &err));
    MUST(journal_run_start(j, run, &err));
    assert_int_equal(sql_int(f->db, "SELECT count(before_keep) FROM files WHERE run = 2"), 1);
    replace_file(a, "new", 3, 0660);
    MUST(journal_record_after(j, run, &err));
    MUST(journal_run_finish(j, run, "done", &err));
    MUST(journal_rollback(j, run, f->root, false, NULL, NULL, &err));
    MUST(fileread_alloc(a, 1 << 20, &data, &len, NULL, &err));
    assert_int_equal(len, 10000);
    assert_memory_equal(data, big, len);
    free(data);
    free(big);
    free(a);
    free(b);
    journal_close(&j);
}

/* test_journal_keep_dropped - a batch that fails takes its links with it; links no row
 * names (a recording killed before its commit) go when the planned run is abandoned */
static void test_journal_keep_dropped(void **state)
{
    struct fixture *f = *state;
    struct journal *j = open_j(f);
    char *a = path_in(f, "config.pck");
    char *big = big_bytes(8192, 13);
    char *orphan = NULL;
    const char *err = NULL;
    int64_t run = 0;

    replace_file(a, big, 8192, 0660);
    MUST(journal_run_begin(j, "repair", f->root, "s", &run, &err));
    MUST(journal_batch_begin(j, &err));
    MUST(journal_record_before(j, run, a, &err));
    assert_int_equal(keep_entries(f), 1);
    MUST(journal_batch_end(j, false, &err));
    assert_int_equal(keep_entries(f), 0);
    assert_int_equal(sql_int(f->db, "SELECT count(*) FROM files"), 0);
    /* what a kill between link() and the commit leaves: a link no row names */
    orphan = xasprintf("%s.keep/%lld-7", f->db, (long long)run);
    assert_int_equal(link(a, orphan), 0);
    free(orphan);
    /* another run's link stays */
    orphan = xasprintf("%s.keep/%lld-1", f->db, (long long)run + 1);
    assert_int_equal(link(a, orphan), 0);
    MUST(journal_rollback(j, run, f->root, false, NULL, NULL, &err));
    assert_status(j, run, "abandoned");
    assert_int_equal(keep_entries(f), 1);
    assert_int_equal(access(orphan, F_OK), 0);
    free(orphan);
    free(big);
    free(a);
    journal_close(&j);
}

/* after_sha1 - the after-image digest recorded for the path ending in /name */
static void after_sha1(const struct fixture *f, const char *name, char out[64])
{
    char *sql = xasprintf("SELECT a.sha1 FROM afters a JOIN files f ON f.id = a.file "
                          "WHERE f.path LIKE '%%/%s'", name);

    sql_text(f->db, sql, out, 64);
    free(sql);
}

/* test_journal_known_digests - after-images the run already knows: a file it wrote and
 * noted (journal_note_written) is not read back while it keeps its inode, size and mtime,
 * and the kept inode of a before-image, linked as .last by the save, has the before-image's
 * digest; a file changed since (another size or mtime) or noted with other bytes' length is
 * read and digested as it is; the rollback puts everything back */
static void test_journal_known_digests(void **state)
{
    struct fixture *f = *state;
    struct journal *j = open_j(f);
    char *a = path_in(f, "config.pck");
    char *last = path_in(f, "config.pck.last");
    char *b = path_in(f, "b.pck");
    char *c = path_in(f, "c.pck");
    char *d = path_in(f, "d.pck");
    size_t size = 64 * 1024;
    char *big = big_bytes(size, 11);
    char *text = NULL;
    char want[41];
    char got[64];
    char before[64];
    const char *err = NULL;
    struct stat st;
    int64_t run = 0;

    replace_file(a, big, size, 0640);
    write_file(b, "b before", 0640);
    write_file(c, "c before", 0640);
    write_file(d, "d before", 0640);
    MUST(journal_run_begin(j, "repair", f->root, "s", &run, &err));
    MUST(journal_batch_begin(j, &err));
    MUST(journal_record_before(j, run, a, &err));
    MUST(journal_record_before(j, run, last, &err));
    MUST(journal_record_before(j, run, b, &err));
    MUST(journal_record_before(j, run, c, &err));
    MUST(journal_record_before(j, run, d, &err));
    MUST(journal_batch_end(j, true, &err));
    MUST(journal_run_start(j, run, &err));
    /* the save of a: the old inode becomes .last, the new bytes are renamed over a */
    assert_int_equal(link(a, last), 0);
    replace_file(a, "a after", 7, 0640);
    sha1_of("a after", 7, want);
    journal_note_written(j, a, "a after", 7, want);    /* its digest given */
    /* b: written and noted, then rewritten in place with the size and mtime it had when
     * noted: the noted digest stands (it is not read back) */
    replace_file(b, "b after", 7, 0640);
    journal_note_written(j, b, "b after", 7, NULL);
    assert_int_equal(lstat(b, &st), 0);
    write_file(b, "B AFTER", 0640);
    set_mtime(b, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    /* c: noted, then changed (another size): read */
    replace_file(c, "c after", 7, 0640);
    journal_note_written(j, c, "c after", 7, NULL);
    write_file(c, "c changed after", 0640);
    /* d: noted with another length than the file has: nothing noted, read */
    replace_file(d, "d after", 7, 0640);
    journal_note_written(j, d, "d after, longer", 15, NULL);
    MUST(journal_record_after(j, run, &err));
    MUST(journal_run_finish(j, run, "done", &err));

    sha1_of("a after", 7, want);
    after_sha1(f, "config.pck", got);
    assert_string_equal(got, want);
    sql_text(f->db, "SELECT before_sha1 FROM files WHERE path LIKE '%/config.pck'", before,
             sizeof(before));
    sha1_of(big, size, want);
    assert_string_equal(before, want);
    after_sha1(f, "config.pck.last", got);
    assert_string_equal(got, want);
    assert_int_equal(sql_int(f->db, "SELECT a.size FROM afters a JOIN files f ON f.id = a.file "
                                    "WHERE f.path LIKE '%/config.pck.last'"), (int64_t)size);
    sha1_of("b after", 7, want);
    after_sha1(f, "b.pck", got);
    assert_string_equal(got, want);
    sha1_of("c changed after", 15, want);
    after_sha1(f, "c.pck", got);
    assert_string_equal(got, want);
    sha1_of("d after", 7, want);
    after_sha1(f, "d.pck", got);
    assert_string_equal(got, want);

    /* b's bytes are not what was recorded: a rollback refuses it unless forced */
    assert_int_equal(journal_rollback_check(j, run, f->root, false, NULL, NULL, &err), -1);
    write_file(b, "b after", 0640);
    MUST(journal_rollback_check(j, run, f->root, false, NULL, NULL, &err));
    MUST(journal_rollback(j, run, f->root, false, NULL, NULL, &err));
    assert_int_equal(lstat(last, &st), -1);     /* it did not exist before the run */
    text = read_text(b);
    assert_string_equal(text, "b before");
    free(text);
    {
        char *data = NULL;
        size_t len = 0;
        MUST(fileread_alloc(a, size + 1, &data, &len, NULL, &err));
        assert_int_equal(len, size);
        assert_memory_equal(data, big, size);
        free(data);
    }
    free(big);
    free(a);
    free(last);
    free(b);
    free(c);
    free(d);
    journal_close(&j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_journal_fresh_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_newer_version_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_corrupt_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_root_trusts_only_root, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_rollback_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_rollback_refuses_changed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_rollback_half_done, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_killed_rollback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_interrupted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_live_run_not_interrupted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_planned_abandoned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_state_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_big_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_dirs_links_moves, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_schema1_migrated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_keep_link, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_keep_tampered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_keep_fallback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_keep_root_trust, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_schema3_migrated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_keep_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_known_digests, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
