/*
 * atomic - crash-safe replacement of Mailman data files
 *
 * DESCRIPTION
 *  atomic_save() writes the way Mailman 2.1's MailList.__save does: the
 *  bytes go to <path>.tmp.<hostname>.<pid>, are fsynced, the previous
 *  generation becomes <path>.last (a hard link), the temp file is renamed
 *  over the path, and the directory is fsynced. The new file keeps the
 *  owner, group and mode of the file it replaces (a new one gets 0660 and
 *  the directory's group), so that Mailman, running as its own user, can
 *  still read and write what mmfix (often run as root) saved. Run as root,
 *  every new file, directory and symbolic link also gets the owner of the
 *  directory it is made in (atomic_new_owner): no root-owned entry is left
 *  in a tree Mailman owns.
 *  atomic_restore() puts a before-image back exactly (bytes, mode, owner,
 *  group, mtime); atomic_rename/copy/unlink are the other writes a repair
 *  needs, each followed by an fsync of the directory.
 *
 * SECURITY
 *  Every write is confined to a root directory (the var prefix): the path
 *  must be spelled under root, its parent must resolve inside root, and no
 *  component after root may be a symlink, so a symlink planted in the data
 *  tree cannot redirect a write (as root) elsewhere. Temp files are opened
 *  O_CREAT|O_EXCL|O_NOFOLLOW and files are read O_NOFOLLOW. The checks are
 *  done on paths before the operations: someone who can write into the
 *  directories at the same time can still race them, which is why the data
 *  tree must not be writable by untrusted users (Mailman requires the same).
 */
#define _GNU_SOURCE 1                /* renameat2, RENAME_NOREPLACE, sync_file_range */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mmfix/atomic.h"
#include "mmfix/errstr.h"
#include "mmfix/fdio.h"
#include "mmfix/sysname.h"
#include "mmfix/strbuf.h"
#include "mmfix/xalloc.h"

/* Directory fsyncs put off by atomic_sync_defer() until atomic_sync_flush(): each
 * directory once, however many entries a run made in it (archives/public gets one
 * link per list) */
static struct {
    bool on;
    char **dirs;
    size_t n;
    size_t cap;
} deferred;

/* Beyond this many directories, one syncfs per file system syncs them all (each fsync of a
 * directory is a journal commit of its own) */
#define DEFER_SYNCFS_FROM 8

/* atomic_fsync_dir - see atomic.h */
int atomic_fsync_dir(const char *dir, bool nofollow, const char **error_r)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
    int ret = 0;

    if (fd < 0) {
        *error_r = errstr("%s: cannot open directory: %s", dir, strerror(errno));
        return -1;
    }
    if (fsync(fd) != 0 && errno != EINVAL) {
        *error_r = errstr("%s: fsync: %s", dir, strerror(errno));
        ret = -1;
    }
    close(fd);
    return ret;
}

/* The file systems a run of syncfs calls has synced already */
struct fs_synced {
    dev_t dev[8];
    size_t n;
};

/* syncfs_once - syncfs of the file system holding path, unless done already; a path gone
 * since is nothing to sync when missing_ok (a rollback removed what the run made) */
static int syncfs_once(const char *path, int open_flags, bool missing_ok, struct fs_synced *done,
                       const char **error_r)
{
    struct stat st;
    size_t k;
    int fd;

    if (lstat(path, &st) != 0) {
        if (missing_ok && errno == ENOENT) {
            return 0;
        }
        *error_r = errstr("%s: %s", path, strerror(errno));
        return -1;
    }
    for (k = 0; k < done->n; k++) {
        if (done->dev[k] == st.st_dev) {
            return 0;
        }
    }
    fd = open(path, open_flags | O_RDONLY | O_CLOEXEC);
    if (fd < 0 || syncfs(fd) != 0) {
        *error_r = errstr("%s: %s: %s", path, fd < 0 ? "cannot open" : "syncfs",
                          strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    close(fd);
    if (done->n < sizeof(done->dev) / sizeof(done->dev[0])) {
        done->dev[done->n++] = st.st_dev;
    }
    return 0;
}

/* syncfs_dirs - one syncfs per file system holding the directories (all are tried, the
 * first error kept) */
static int syncfs_dirs(char **dirs, size_t n, const char **error_r)
{
    struct fs_synced done = { .n = 0 };
    const char *err = NULL;
    int ret = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        if (syncfs_once(dirs[i], O_DIRECTORY, true, &done, &err) != 0 && ret == 0) {
            *error_r = err;
            ret = -1;
        }
    }
    return ret;
}

/* flush_deferred - sync every put-off directory: an fsync each when they are few, one
 * syncfs per file system when they are many (all are tried, the first error kept) */
static int flush_deferred(const char **error_r)
{
    const char *err = NULL;
    int ret = 0;
    size_t i;

    if (deferred.n > DEFER_SYNCFS_FROM) {
        ret = syncfs_dirs(deferred.dirs, deferred.n, error_r);
    } else {
        for (i = 0; i < deferred.n; i++) {
            struct stat st;
            /* a directory gone since (a rollback removed what the run made) has nothing
             * left to sync */
            if (lstat(deferred.dirs[i], &st) != 0 && errno == ENOENT) {
                continue;
            }
            if (atomic_fsync_dir(deferred.dirs[i], false, &err) != 0 && ret == 0) {
                *error_r = err;
                ret = -1;
            }
        }
    }
    for (i = 0; i < deferred.n; i++) {
        free(deferred.dirs[i]);
    }
    deferred.n = 0;
    return ret;
}

/* fsync_dir - fsync the directory holding path (or note it, when put off) */
static int fsync_dir(const char *path, const char **error_r)
{
    char *dir = sysname_dir(path);
    int ret = 0;
    size_t i;

    if (!deferred.on) {
        ret = atomic_fsync_dir(dir, false, error_r);
        free(dir);
        return ret;
    }
    /* the newest first: a run makes its entries list by list */
    for (i = deferred.n; i-- > 0;) {
        if (strcmp(deferred.dirs[i], dir) == 0) {
            free(dir);
            return 0;
        }
    }
    if (deferred.n == deferred.cap) {
        deferred.cap = deferred.cap == 0 ? 64 : deferred.cap * 2;
        deferred.dirs = xreallocarray(deferred.dirs, deferred.cap, sizeof(char *));
    }
    deferred.dirs[deferred.n++] = dir;
    return ret;
}

/* flush_before_move - a directory about to be moved or removed takes the entries made in
 * it (and in those below it) along: the put-off syncs are made first */
static int flush_before_move(const char **error_r)
{
    return deferred.on ? flush_deferred(error_r) : 0;
}

/* atomic_sync_defer - put off directory fsyncs until atomic_sync_flush */
void atomic_sync_defer(void)
{
    deferred.on = true;
}

/* atomic_sync_pending - directories waiting for their fsync */
size_t atomic_sync_pending(void)
{
    return deferred.n;
}

/* atomic_sync_flush - fsync the put-off directories; fsyncs are immediate again */
int atomic_sync_flush(const char **error_r)
{
    int rc;

    deferred.on = false;
    rc = flush_deferred(error_r);
    free(deferred.dirs);
    deferred.dirs = NULL;
    deferred.cap = 0;
    return rc;
}

/* atomic_temp_name - <path>.tmp.<host>.<pid>, the temp file of this process */
char *atomic_temp_name(const char *path)
{
    char host[256];

    sysname_host(host, sizeof(host));
    return xasprintf("%s.tmp.%s.%ld", path, host, (long)getpid());
}

/* remove_entry - unlink (or rmdir) path, fsync its directory; ENOENT is
 * nothing to do (not even the directory need exist) */
static int remove_entry(const char *path, bool dir, const char **error_r)
{
    if ((dir ? rmdir(path) : unlink(path)) != 0) {
        if (errno == ENOENT) {
            return 0;
        }
        *error_r = errstr("%s: cannot remove%s: %s", path, dir ? " the directory" : "",
                          strerror(errno));
        return -1;
    }
    return fsync_dir(path, error_r);
}

/* make_temp - create <path>.tmp.<host>.<pid> exclusively; a leftover of
 * an earlier process with the same pid on this host is removed once */
static int make_temp(const char *path, char **tmp_r, int *fd_r, const char **error_r)
{
    char *tmp = atomic_temp_name(path);
    int fd = -1;

    for (int attempt = 0; attempt < 2; attempt++) {
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0 || errno != EEXIST || attempt > 0) {
            break;
        }
        struct stat st;
        if (lstat(tmp, &st) != 0 || S_ISDIR(st.st_mode) || unlink(tmp) != 0) {
            break;
        }
    }
    if (fd < 0) {
        *error_r = errstr("%s: cannot create: %s", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    *tmp_r = tmp;
    *fd_r = fd;
    return 0;
}

/* atomic_new_owner - the directory's group, and its owner when we are root */
int atomic_new_owner(const char *dir, uid_t *uid_r, gid_t *gid_r, const char **error_r)
{
    struct stat st;

    if (stat(dir, &st) != 0) {
        *error_r = errstr("%s: %s", dir, strerror(errno));
        return -1;
    }
    *uid_r = geteuid() == 0 ? st.st_uid : geteuid();
    *gid_r = st.st_gid;
    return 0;
}

/* atomic_own_new_fd - a file we just made: its directory's group, exactly
 * mode, and (give_owner, as root) its directory's owner */
int atomic_own_new_fd(int fd, const char *path, mode_t mode, bool give_owner,
                      const char **error_r)
{
    char *dir = sysname_dir(path);
    uid_t uid;
    gid_t gid;
    int ret = -1;

    if (atomic_new_owner(dir, &uid, &gid, error_r) != 0) {
        goto out;
    }
    if (!give_owner) {
        uid = (uid_t)-1;
    }
    if (fchown(fd, uid, gid) != 0 && (errno != EPERM || geteuid() == 0)) {
        *error_r = errstr("%s: cannot give it owner %ld and group %ld: %s", path, (long)uid,
                          (long)gid, strerror(errno));
        goto out;
    }
    if (fchmod(fd, mode & 07777) != 0) {
        *error_r = errstr("%s: chmod %04o: %s", path, (unsigned)(mode & 07777), strerror(errno));
        goto out;
    }
    ret = 0;
out:
    free(dir);
    return ret;
}

/* apply_meta - give the open temp file owner, group, mode and (if mtime is
 * not NULL) that mtime; a failed fchown is fine when they are already right */
static int apply_meta(int fd, const char *tmp, uid_t uid, gid_t gid, mode_t mode,
                      const struct timespec *mtime, const char **error_r)
{
    struct stat st;

    if (fchown(fd, uid, gid) != 0) {
        int e = errno;
        if (fstat(fd, &st) != 0 || st.st_uid != uid || st.st_gid != gid) {
            *error_r = errstr("%s: cannot give it owner %ld and group %ld: %s", tmp,
                              (long)uid, (long)gid, strerror(e));
            return -1;
        }
    }
    if (fchmod(fd, mode & 07777) != 0) {
        *error_r = errstr("%s: chmod %04o: %s", tmp, (unsigned)(mode & 07777), strerror(errno));
        return -1;
    }
    if (mtime != NULL) {
        struct timespec times[2];
        times[0].tv_sec = 0;
        times[0].tv_nsec = UTIME_NOW;
        times[1] = *mtime;
        if (futimens(fd, times) != 0) {
            *error_r = errstr("%s: cannot set the mtime: %s", tmp, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* start_writeback - have the kernel begin writing fd's pages now, without waiting: the
 * one syncfs that puts a batch of temp files on disk (atomic_prepared_sync) then finds most
 * of them written while the rest were being made. Only a hint: failure changes nothing. */
static void start_writeback(int fd)
{
#ifdef SYNC_FILE_RANGE_WRITE
    (void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd;
#endif
}

/* close_temp - close the temp file, not synced (fd is -1 afterwards) */
static int close_temp(int *fd, const char *tmp, const char **error_r)
{
    int rc = close(*fd);

    *fd = -1;
    if (rc != 0) {
        *error_r = errstr("%s: close: %s", tmp, strerror(errno));
        return -1;
    }
    return 0;
}

/* finish_temp - fsync and close the temp file (fd is -1 afterwards) */
static int finish_temp(int *fd, const char *tmp, const char **error_r)
{
    int rc = 0;

    if (fsync(*fd) != 0) {
        *error_r = errstr("%s: fsync: %s", tmp, strerror(errno));
        rc = -1;
    }
    if (close(*fd) != 0 && rc == 0) {
        *error_r = errstr("%s: close: %s", tmp, strerror(errno));
        rc = -1;
    }
    *fd = -1;
    return rc;
}

/* atomic_meta_of - lstat a path into meta */
int atomic_meta_of(const char *path, struct atomic_meta *m, const char **error_r)
{
    struct stat st;

    memset(m, 0, sizeof(*m));
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT) {
            return 0;
        }
        *error_r = errstr("%s: %s", path, strerror(errno));
        return -1;
    }
    if (S_ISLNK(st.st_mode)) {
        *error_r = errstr("%s: is a symbolic link", path);
        return -1;
    }
    m->exists = true;
    m->mode = st.st_mode & 07777;
    m->uid = st.st_uid;
    m->gid = st.st_gid;
    m->mtime = st.st_mtim;
    return 0;
}

/* under - the part of path after prefix dir r ("" if path is r), NULL if not under it */
static const char *under(const char *path, const char *r)
{
    size_t n = strlen(r);

    if (n == 1 && r[0] == '/') {
        return path[0] == '/' ? path + 1 : NULL;
    }
    if (strncmp(path, r, n) != 0) {
        return NULL;
    }
    if (path[n] == '\0') {
        return path + n;
    }
    return path[n] == '/' ? path + n + 1 : NULL;
}

/* check_missing_rest - the components after a missing directory have no
 * "." or ".." either */
static int check_missing_rest(const char *rel, const char *path, const char **error_r)
{
    while (*rel != '\0') {
        size_t n = strcspn(rel, "/");
        if ((n == 1 && rel[0] == '.') || (n == 2 && rel[0] == '.' && rel[1] == '.')) {
            *error_r = errstr("%s: has a '.' or '..' component", path);
            return -1;
        }
        rel += n;
        while (*rel == '/') {
            rel++;
        }
    }
    return 0;
}

/* resolved_root - realpath(root), malloc'd; the last root asked about is remembered (a run
 * checks every path it touches against the same var prefix) */
static char *resolved_root(const char *root, const char **error_r)
{
    static char *last_root;
    static char *last_resolved;
    char *r = NULL;

    if (last_root != NULL && strcmp(last_root, root) == 0) {
        return xstrdup(last_resolved);
    }
    r = realpath(root, NULL);
    if (r == NULL) {
        *error_r = errstr("%s: %s", root, strerror(errno));
        return NULL;
    }
    free(last_root);
    free(last_resolved);
    last_root = xstrdup(root);
    last_resolved = xstrdup(r);
    return r;
}

/* check_inside - path stays inside root, with no symlink after it (but
 * for path itself when link_ok: a link that is replaced or removed, never
 * followed) */
static int check_inside(const char *root, const char *path, bool link_ok, const char **error_r)
{
    char *rroot = NULL;
    char *troot = NULL;
    char *parent = NULL;
    struct strbuf cur = STRBUF_INIT;
    const char *rel = NULL;
    const char *base = NULL;
    int ret = -1;

    rroot = resolved_root(root, error_r);
    if (rroot == NULL) {
        goto out;
    }
    troot = xstrdup(root);
    for (size_t n = strlen(troot); n > 1 && troot[n - 1] == '/'; n--) {
        troot[n - 1] = '\0';
    }
    base = troot;
    rel = under(path, troot);
    if (rel == NULL) {
        base = rroot;
        rel = under(path, rroot);
    }
    if (rel == NULL) {
        *error_r = errstr("%s: is not under %s", path, root);
        goto out;
    }
    strbuf_adds(&cur, base);
    while (*rel == '/') {
        rel++;
    }
    if (*rel == '\0') {
        *error_r = errstr("%s: is the root directory itself, not a file inside it", path);
        goto out;
    }
    while (*rel != '\0') {
        size_t n = strcspn(rel, "/");
        const char *next = rel + n;
        struct stat st;

        while (*next == '/') {
            next++;
        }
        if ((n == 1 && rel[0] == '.') || (n == 2 && rel[0] == '.' && rel[1] == '.')) {
            *error_r = errstr("%s: has a '.' or '..' component", path);
            goto out;
        }
        if (cur.len == 0 || cur.buf[cur.len - 1] != '/') {
            strbuf_addc(&cur, '/');
        }
        strbuf_add(&cur, rel, n);
        if (lstat(cur.buf, &st) != 0) {
            if (errno != ENOENT) {
                *error_r = errstr("%s: %s", cur.buf, strerror(errno));
                goto out;
            }
            if (*next != '\0') {
                /* a directory still to be made: nothing below it exists,
                 * so it is inside root if what does exist is */
                if (check_missing_rest(next, path, error_r) != 0) {
                    goto out;
                }
                cur.len -= n;
                cur.buf[cur.len] = '\0';
                parent = xstrdup(cur.buf);
                break;
            }
        } else if (S_ISLNK(st.st_mode) && !(link_ok && *next == '\0')) {
            *error_r = errstr("%s: is a symbolic link (refused below %s)", cur.buf, root);
            goto out;
        } else if (*next != '\0' && !S_ISDIR(st.st_mode)) {
            *error_r = errstr("%s: %s", cur.buf, strerror(ENOTDIR));
            goto out;
        }
        rel = next;
    }
    /* every component from the root down was looked at and none is a link (but the path
     * itself, when link_ok): the path resolves inside the root, no realpath() of it needed
     * (which looked at each component of the whole path again) */
    ret = 0;
out:
    strbuf_release(&cur);
    free(parent);
    free(troot);
    free(rroot);
    return ret;
}

/* atomic_check_inside - path stays inside root, with no symlink after it */
int atomic_check_inside(const char *root, const char *path, const char **error_r)
{
    return check_inside(root, path, false, error_r);
}

/* atomic_check_inside_link - the same, but path itself may be a symlink */
int atomic_check_inside_link(const char *root, const char *path, const char **error_r)
{
    return check_inside(root, path, true, error_r);
}

/* write_temp - path's temp file holding data with that owner, group, mode (and mtime),
 * fsynced when sync; *tmp_r its name. Nothing is left behind on failure. */
static int write_temp(const char *path, const void *data, size_t len, uid_t uid, gid_t gid,
                      mode_t mode, const struct timespec *mtime, bool sync, char **tmp_r,
                      const char **error_r)
{
    char *tmp = NULL;
    int fd = -1;

    if (make_temp(path, &tmp, &fd, error_r) != 0) {
        return -1;
    }
    if (fdio_write_all(fd, data, len) != 0) {
        *error_r = errstr("%s: write: %s", tmp, strerror(errno));
    } else if (apply_meta(fd, tmp, uid, gid, mode, mtime, error_r) != 0) {
        /* error_r set */
    } else if (sync ? finish_temp(&fd, tmp, error_r) == 0
                    : (start_writeback(fd), close_temp(&fd, tmp, error_r) == 0)) {
        *tmp_r = tmp;
        return 0;
    }
    if (fd >= 0) {
        close(fd);
    }
    unlink(tmp);
    free(tmp);
    return -1;
}

/* commit_temp - the previous generation linked as .last (when asked), the temp file
 * renamed over path, the directory synced; the temp file is gone either way */
static int commit_temp(const char *path, char **tmp, bool make_last, const char **error_r)
{
    char *last = NULL;
    int ret = -1;

    if (make_last) {
        last = xasprintf("%s.last", path);
        if (unlink(last) != 0 && errno != ENOENT) {
            *error_r = errstr("%s: cannot remove: %s", last, strerror(errno));
            goto out;
        }
        if (link(path, last) != 0 && errno != ENOENT) {
            *error_r = errstr("%s: cannot link to %s: %s", last, path, strerror(errno));
            goto out;
        }
    }
    if (rename(*tmp, path) != 0) {
        *error_r = errstr("%s: cannot rename to %s: %s", *tmp, path, strerror(errno));
        goto out;
    }
    free(*tmp);
    *tmp = NULL;
    if (fsync_dir(path, error_r) != 0) {
        goto out;
    }
    ret = 0;
out:
    if (*tmp != NULL) {
        unlink(*tmp);
        free(*tmp);
        *tmp = NULL;
    }
    free(last);
    return ret;
}

/* replace - write a temp file, fsync, link .last, rename over path, fsync the directory */
static int replace(const char *path, const void *data, size_t len, uid_t uid, gid_t gid,
                   mode_t mode, const struct timespec *mtime, bool make_last,
                   const char **error_r)
{
    char *tmp = NULL;

    if (write_temp(path, data, len, uid, gid, mode, mtime, true, &tmp, error_r) != 0) {
        return -1;
    }
    return commit_temp(path, &tmp, make_last, error_r);
}

/* atomic_save - replace path with data as Mailman's __save does */
int atomic_save(const char *root, const char *path, const void *data, size_t len,
                bool make_last, const char **error_r)
{
    return atomic_save_add_mode(root, path, data, len, make_last, 0, error_r);
}

/* save_meta - what a save of path gives the file: the owner, group and mode of the file it
 * replaces (add_mode added), or for a new one the directory's group and 0660; *replacing_r
 * false for a new file (no .last is made then: an existing one may be the only copy left,
 * where Mailman would unlink it) */
static int save_meta(const char *root, const char *path, unsigned add_mode, uid_t *uid_r,
                     gid_t *gid_r, mode_t *mode_r, bool *replacing_r, const char **error_r)
{
    struct stat old;
    uid_t uid;
    gid_t gid;
    char *dir = NULL;
    int ret = -1;

    if (atomic_check_inside(root, path, error_r) != 0) {
        return -1;
    }
    dir = sysname_dir(path);
    if (atomic_new_owner(dir, &uid, &gid, error_r) != 0) {
        /* *error_r set */
    } else if (lstat(path, &old) == 0) {
        if (!S_ISREG(old.st_mode)) {
            *error_r = errstr("%s: is not a regular file", path);
        } else {
            *uid_r = old.st_uid;
            *gid_r = old.st_gid;
            *mode_r = (old.st_mode & 07777) | (add_mode & 07777);
            *replacing_r = true;
            ret = 0;
        }
    } else if (errno == ENOENT) {
        *uid_r = uid;
        *gid_r = gid;
        *mode_r = 0660 | (add_mode & 07777);
        *replacing_r = false;
        ret = 0;
    } else {
        *error_r = errstr("%s: %s", path, strerror(errno));
    }
    free(dir);
    return ret;
}

/* atomic_save_add_mode - atomic_save, the mode bits add_mode added */
int atomic_save_add_mode(const char *root, const char *path, const void *data, size_t len,
                         bool make_last, unsigned add_mode, const char **error_r)
{
    uid_t uid;
    gid_t gid;
    mode_t mode;
    bool replacing = false;

    if (save_meta(root, path, add_mode, &uid, &gid, &mode, &replacing, error_r) != 0) {
        return -1;
    }
    return replace(path, data, len, uid, gid, mode, NULL, make_last && replacing, error_r);
}

/* atomic_prepare - the first half of atomic_save_add_mode: the temp file written, not
 * synced */
int atomic_prepare(const char *root, const char *path, const void *data, size_t len,
                   bool make_last, unsigned add_mode, struct atomic_prepared *p,
                   const char **error_r)
{
    uid_t uid;
    gid_t gid;
    mode_t mode;
    bool replacing = false;

    memset(p, 0, sizeof(*p));
    if (save_meta(root, path, add_mode, &uid, &gid, &mode, &replacing, error_r) != 0
        || write_temp(path, data, len, uid, gid, mode, NULL, false, &p->tmp, error_r) != 0) {
        return -1;
    }
    p->path = xstrdup(path);
    p->make_last = make_last && replacing;
    return 0;
}

/* atomic_prepared_sync - every prepared temp file on disk: one syncfs per file system */
int atomic_prepared_sync(const struct atomic_prepared *ps, size_t n, const char **error_r)
{
    struct fs_synced done = { .n = 0 };
    size_t i;

    for (i = 0; i < n; i++) {
        if (ps[i].tmp != NULL && syncfs_once(ps[i].tmp, O_NOFOLLOW, false, &done, error_r) != 0) {
            return -1;
        }
    }
    return 0;
}

/* atomic_commit - the second half: .last linked, the temp file renamed over the path */
int atomic_commit(const char *root, struct atomic_prepared *p, const char **error_r)
{
    int rc = 0;

    if (atomic_check_inside(root, p->path, error_r) != 0) {
        atomic_prepared_discard(p);
        return -1;
    }
    rc = commit_temp(p->path, &p->tmp, p->make_last, error_r);
    atomic_prepared_discard(p);
    return rc;
}

/* atomic_prepared_discard - the temp file removed (if still there), the memory freed */
void atomic_prepared_discard(struct atomic_prepared *p)
{
    if (p->tmp != NULL) {
        unlink(p->tmp);
    }
    free(p->tmp);
    free(p->path);
    memset(p, 0, sizeof(*p));
}

/* atomic_restore - put back a before-image exactly */
int atomic_restore(const char *root, const char *path, const void *data, size_t len,
                   const struct atomic_meta *meta, const char **error_r)
{
    struct stat st;

    if ((meta->exists ? atomic_check_inside(root, path, error_r)
                      : atomic_check_inside_link(root, path, error_r)) != 0) {
        return -1;
    }
    if (!meta->exists) {
        return remove_entry(path, false, error_r);   /* ENOENT: never made */
    }
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        *error_r = errstr("%s: is not a regular file", path);
        return -1;
    }
    return replace(path, data, len, meta->uid, meta->gid, meta->mode, &meta->mtime, false,
                   error_r);
}

/* atomic_rename - rename inside root, refusing to overwrite unless asked */
int atomic_rename(const char *root, const char *from, const char *to, bool overwrite,
                  const char **error_r)
{
    struct stat st;
    struct stat tst;
    char *dfrom = NULL;
    char *dto = NULL;
    int ret = -1;

    if (flush_before_move(error_r) != 0) {
        return -1;
    }
    if (atomic_check_inside(root, from, error_r) != 0 ||
        atomic_check_inside(root, to, error_r) != 0) {
        goto out;
    }
    if (lstat(from, &st) != 0) {
        *error_r = errstr("%s: %s", from, strerror(errno));
        goto out;
    }
    if (overwrite) {
        if (rename(from, to) != 0) {
            *error_r = errstr("cannot rename %s to %s: %s", from, to, strerror(errno));
            goto out;
        }
    } else {
        if (lstat(to, &tst) == 0 || errno != ENOENT) {
            *error_r = errstr("%s: already exists (not overwritten)", to);
            goto out;
        }
        /* link + unlink cannot replace a file that appeared meanwhile */
        if (!S_ISDIR(st.st_mode) && link(from, to) == 0) {
            if (unlink(from) != 0) {
                *error_r = errstr("%s: cannot remove after linking to %s: %s", from, to,
                                  strerror(errno));
                goto out;
            }
        } else if (!S_ISDIR(st.st_mode) && errno == EEXIST) {
            *error_r = errstr("%s: already exists (not overwritten)", to);
            goto out;
        } else if (rename(from, to) != 0) {
            *error_r = errstr("cannot rename %s to %s: %s", from, to, strerror(errno));
            goto out;
        }
    }
    dfrom = sysname_dir(from);
    dto = sysname_dir(to);
    if (fsync_dir(to, error_r) != 0 ||
        (strcmp(dfrom, dto) != 0 && fsync_dir(from, error_r) != 0)) {
        goto out;
    }
    ret = 0;
out:
    free(dfrom);
    free(dto);
    return ret;
}

/* atomic_copy - copy from to to, keeping from's mode, owner and group */
int atomic_copy(const char *root, const char *from, const char *to, const char **error_r)
{
    struct stat st;
    struct stat tst;
    char *tmp = NULL;
    char *buf = NULL;
    int in = -1;
    int fd = -1;
    int ret = -1;

    if (atomic_check_inside(root, from, error_r) != 0 ||
        atomic_check_inside(root, to, error_r) != 0) {
        goto out;
    }
    /* O_NONBLOCK: a FIFO put in from's place must not block the open */
    in = open(from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (in < 0) {
        *error_r = errstr("%s: %s", from, strerror(errno));
        goto out;
    }
    if (fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
        *error_r = errstr("%s: is not a regular file", from);
        goto out;
    }
    if (lstat(to, &tst) == 0 && !S_ISREG(tst.st_mode)) {
        *error_r = errstr("%s: is not a regular file", to);
        goto out;
    }
    if (make_temp(to, &tmp, &fd, error_r) != 0) {
        goto out;
    }
    buf = xmalloc(65536);
    for (;;) {
        ssize_t n = read(in, buf, 65536);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            *error_r = errstr("%s: read: %s", from, strerror(errno));
            goto out;
        }
        if (n == 0) {
            break;
        }
        if (fdio_write_all(fd, buf, (size_t)n) != 0) {
            *error_r = errstr("%s: write: %s", tmp, strerror(errno));
            goto out;
        }
    }
    if (apply_meta(fd, tmp, st.st_uid, st.st_gid, st.st_mode & 07777, NULL, error_r) != 0 ||
        finish_temp(&fd, tmp, error_r) != 0) {
        goto out;
    }
    if (rename(tmp, to) != 0) {
        *error_r = errstr("%s: cannot rename to %s: %s", tmp, to, strerror(errno));
        goto out;
    }
    free(tmp);
    tmp = NULL;
    if (fsync_dir(to, error_r) != 0) {
        goto out;
    }
    ret = 0;
out:
    if (fd >= 0) {
        close(fd);
    }
    if (in >= 0) {
        close(in);
    }
    if (tmp != NULL) {
        unlink(tmp);
    }
    free(tmp);
    free(buf);
    return ret;
}

/* atomic_unlink - unlink inside root and fsync the directory */
int atomic_unlink(const char *root, const char *path, const char **error_r)
{
    if (atomic_check_inside_link(root, path, error_r) != 0) {
        return -1;
    }
    return remove_entry(path, false, error_r);
}

/* atomic_stat - what path is now (lstat), and a symlink's target */
int atomic_stat(const char *path, enum atomic_kind *kind_r, struct atomic_meta *m,
                char **target_r, const char **error_r)
{
    struct stat st;

    memset(m, 0, sizeof(*m));
    *kind_r = ATOMIC_ABSENT;
    if (target_r != NULL) {
        *target_r = NULL;
    }
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT) {
            return 0;
        }
        *error_r = errstr("%s: %s", path, strerror(errno));
        return -1;
    }
    m->exists = true;
    m->mode = st.st_mode & 07777;
    m->uid = st.st_uid;
    m->gid = st.st_gid;
    m->mtime = st.st_mtim;
    *kind_r = S_ISREG(st.st_mode) ? ATOMIC_FILE : S_ISDIR(st.st_mode) ? ATOMIC_DIR
              : S_ISLNK(st.st_mode) ? ATOMIC_SYMLINK : ATOMIC_OTHER;
    if (*kind_r == ATOMIC_SYMLINK && target_r != NULL) {
        char buf[PATH_MAX + 1];
        ssize_t n = readlink(path, buf, sizeof(buf));
        if (n < 0 || (size_t)n >= sizeof(buf)) {
            *error_r = errstr("%s: cannot read the link: %s", path,
                              n < 0 ? strerror(errno) : "too long");
            return -1;
        }
        *target_r = xstrndup(buf, (size_t)n);
    }
    return 0;
}

/* parent_owner - atomic_new_owner of the directory holding path */
static int parent_owner(const char *path, uid_t *uid_r, gid_t *gid_r, const char **error_r)
{
    char *dir = sysname_dir(path);
    int rc = atomic_new_owner(dir, uid_r, gid_r, error_r);

    free(dir);
    return rc;
}

/* atomic_mkdir - a new directory with mode (exactly, umask aside), group
 * gid ((gid_t)-1: its parent's) and (as root) its parent's owner, parent
 * fsynced. Unprivileged, a group the kernel refuses leaves the one it gave
 * (the parent's, when the parent is set-group-ID). */
int atomic_mkdir(const char *root, const char *path, mode_t mode, gid_t gid,
                 const char **error_r)
{
    uid_t uid;
    gid_t pgid;

    if (atomic_check_inside(root, path, error_r) != 0
        || parent_owner(path, &uid, &pgid, error_r) != 0) {
        return -1;
    }
    if (gid == (gid_t)-1) {
        gid = pgid;
    }
    if (mkdir(path, 0700) != 0) {
        *error_r = errstr("%s: cannot create: %s", path, strerror(errno));
        return -1;
    }
    if ((lchown(path, uid, gid) != 0 && (errno != EPERM || geteuid() == 0))
        || chmod(path, mode) != 0) {
        *error_r = errstr("%s: cannot set owner, group and mode: %s", path, strerror(errno));
        rmdir(path);
        return -1;
    }
    return fsync_dir(path, error_r);
}

/* atomic_rmdir - remove an empty directory (ENOENT ok), parent fsynced */
int atomic_rmdir(const char *root, const char *path, const char **error_r)
{
    if (flush_before_move(error_r) != 0 || atomic_check_inside(root, path, error_r) != 0) {
        return -1;
    }
    return remove_entry(path, true, error_r);
}

/* make_symlink - path becomes a symlink to target: a new link under a
 * temp name renamed over it, so path is the old link or the new one at any
 * moment; refuses when path is anything but a symlink or absent. The link
 * gets owner's owner and group; without one, those of the link it replaces,
 * or of a new entry of its directory. */
static int make_symlink(const char *root, const char *path, const char *target,
                        const struct atomic_meta *owner, const char **error_r)
{
    struct stat st;
    char *tmp = NULL;
    uid_t uid;
    gid_t gid;
    int ret = -1;

    if (atomic_check_inside_link(root, path, error_r) != 0) {
        return -1;
    }
    if (lstat(path, &st) == 0) {
        if (!S_ISLNK(st.st_mode)) {
            *error_r = errstr("%s: exists and is not a symbolic link (not replaced)", path);
            return -1;
        }
        uid = st.st_uid;
        gid = st.st_gid;
    } else if (parent_owner(path, &uid, &gid, error_r) != 0) {
        return -1;
    }
    if (owner != NULL) {
        uid = owner->uid;
        gid = owner->gid;
    }
    tmp = atomic_temp_name(path);
    unlink(tmp);
    if (symlink(target, tmp) != 0) {
        *error_r = errstr("%s: cannot create a symbolic link: %s", tmp, strerror(errno));
        goto out;
    }
    if (lchown(tmp, uid, gid) != 0 && (errno != EPERM || geteuid() == 0)) {
        *error_r = errstr("%s: cannot give it owner %ld and group %ld: %s", tmp, (long)uid,
                          (long)gid, strerror(errno));
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, path) != 0) {
        *error_r = errstr("cannot rename %s to %s: %s", tmp, path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    ret = fsync_dir(path, error_r);
out:
    free(tmp);
    return ret;
}

/* atomic_symlink - path becomes a symlink to target, owned as the link it
 * replaces or as a new entry of its directory */
int atomic_symlink(const char *root, const char *path, const char *target,
                   const char **error_r)
{
    return make_symlink(root, path, target, NULL, error_r);
}

/* atomic_restore_symlink - a symlink's before-image: target, owner, group */
int atomic_restore_symlink(const char *root, const char *path, const char *target,
                           const struct atomic_meta *meta, const char **error_r)
{
    return make_symlink(root, path, target, meta, error_r);
}

/* atomic_move_whole - rename a directory or file whole, never over anything */
int atomic_move_whole(const char *root, const char *from, const char *to, const char **error_r)
{
    struct stat st;

    if (flush_before_move(error_r) != 0 || atomic_check_inside(root, from, error_r) != 0
        || atomic_check_inside(root, to, error_r) != 0) {
        return -1;
    }
    if (lstat(from, &st) != 0) {
        *error_r = errstr("%s: %s", from, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
        *error_r = errstr("%s: not a directory or a regular file", from);
        return -1;
    }
    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) != 0) {
        *error_r = errstr("cannot rename %s to %s: %s", from, to, strerror(errno));
        return -1;
    }
    if (fsync_dir(to, error_r) != 0) {
        return -1;
    }
    return fsync_dir(from, error_r);
}

/* atomic_restore_dir - a directory's before-image: present (created with
 * its mode, owner and group when missing) or absent (removed: it must be
 * empty by then, or someone put something in it since) */
int atomic_restore_dir(const char *root, const char *path, const struct atomic_meta *meta,
                       const char **error_r)
{
    struct stat st;

    if (!meta->exists) {
        return atomic_rmdir(root, path, error_r);
    }
    if (atomic_check_inside(root, path, error_r) != 0) {
        return -1;
    }
    if (lstat(path, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            *error_r = errstr("%s: is not a directory any more", path);
            return -1;
        }
    } else if (mkdir(path, 0700) != 0) {
        *error_r = errstr("%s: cannot create: %s", path, strerror(errno));
        return -1;
    }
    if ((lchown(path, meta->uid, meta->gid) != 0 && errno != EPERM)
        || chmod(path, meta->mode) != 0) {
        *error_r = errstr("%s: cannot set owner and mode: %s", path, strerror(errno));
        return -1;
    }
    return fsync_dir(path, error_r);
}
