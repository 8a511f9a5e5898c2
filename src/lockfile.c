/*
 * lockfile - Mailman 2.1's list lock protocol
 *
 * DESCRIPTION
 *  Mailman 2.1 (Mailman/LockFile.py) locks a list by creating a claimant
 *  temp file <lock>.<hostname>.<pid>.<counter> whose content is its own
 *  path and whose mtime is the expiry time (now + lifetime), and then
 *  hard-linking it to the lock path: link() is atomic, also over NFS. The
 *  lock is held while the lock file has link count 2 and names our temp
 *  file. A lock whose mtime is more than CLOCK_SLOP (10 s) in the past is
 *  broken: touched, its claimant read, the lock unlinked, the claimant's
 *  temp file unlinked. mmfix speaks exactly this protocol so that it and a
 *  running Mailman exclude each other; in addition it breaks at once a
 *  lock whose claimant is a dead process of this host (a crashed run).
 *
 * SECURITY
 *  The lock file's content is untrusted: it names the file that breaking
 *  the lock unlinks. mmfix unlinks it only when it is a regular file in
 *  the lock's own directory (compared by realpath) whose name starts with
 *  "<lock name>.", never any other path. Files are opened O_NOFOLLOW and
 *  touched without following symlinks; a claimant text that does not fit
 *  the buffer or holds a NUL byte counts as unreadable.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mmfix/atomic.h"
#include "mmfix/errstr.h"
#include "mmfix/fileread.h"
#include "mmfix/sigstop.h"
#include "mmfix/sysname.h"
#include "mmfix/lockfile.h"
#include "mmfix/strbuf.h"
#include "mmfix/xalloc.h"

struct lockfile {
    char *lock_path;                 /* absolute */
    char *tmp_path;                  /* our claimant: <lock>.<host>.<pid>.<counter> */
    unsigned lifetime;               /* seconds */
};

/* the per-process counter of Mailman 2.1's claimant names */
static unsigned lock_counter;
static unsigned long long lock_rand_state;

/* base_of - the last component of path */
static const char *base_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash == NULL ? path : slash + 1;
}

/* read_claim - content of path (a regular file, not a link) into buf; -1
 * if unreadable, longer than size - 1 or holding a NUL byte */
static int read_claim(const char *path, char *buf, size_t size)
{
    struct strbuf sb = STRBUF_INIT;
    const char *err = NULL;
    int ret = -1;

    buf[0] = '\0';
    if (size > 0 && fileread_into(path, size - 1, &sb, NULL, &err) == 0
        && strlen(strbuf_cstr(&sb)) == sb.len) {
        memcpy(buf, strbuf_cstr(&sb), sb.len + 1);
        ret = 0;
    }
    strbuf_release(&sb);
    return ret;
}

/* touch - set atime and mtime of path (not following a symlink) to now + lifetime */
static int touch(const char *path, unsigned lifetime)
{
    struct timespec times[2];

    clock_gettime(CLOCK_REALTIME, &times[0]);
    times[0].tv_sec += (time_t)lifetime;
    times[1] = times[0];
    return utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW);
}

/* claimant_pid - the pid in a claimant name <lock name>.<this host>.<pid>[.<counter>]
 * (base names); 0 when it is not of this form or names another host. The one
 * parser of claimant names: lock files' contents and leftover claimant files. */
static long claimant_pid(const char *lbase, const char *cbase)
{
    char host[256];
    size_t ln = strlen(lbase);
    size_t hn = 0;
    const char *p = NULL;
    long pid = 0;

    if (cbase[0] == '\0' || strncmp(cbase, lbase, ln) != 0 || cbase[ln] != '.') {
        return 0;
    }
    sysname_host(host, sizeof(host));
    hn = strlen(host);
    p = cbase + ln + 1;
    if (strncmp(p, host, hn) != 0 || p[hn] != '.') {
        return 0;
    }
    p += hn + 1;
    if (*p < '0' || *p > '9') {
        return 0;
    }
    while (*p >= '0' && *p <= '9') {
        if (pid > 10000000L) {
            return 0;
        }
        pid = pid * 10 + (*p++ - '0');
    }
    if (*p == '.') {
        p++;
        if (*p == '\0') {
            return 0;
        }
        while (*p >= '0' && *p <= '9') {
            p++;
        }
    }
    return *p == '\0' ? pid : 0;
}

/* pid_gone - no process pid runs on this host */
static bool pid_gone(long pid)
{
    return pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* claimant_dead - claimant is <lock>.<this host>.<pid>[.<counter>] and pid is gone */
static bool claimant_dead(const char *lock_path, const char *claimant)
{
    return claimant[0] != '\0' && pid_gone(claimant_pid(base_of(lock_path), base_of(claimant)));
}

/* claimant_removable - claimant is a regular file "<lock name>.*" in the lock's directory */
static bool claimant_removable(const char *lock_path, const char *claimant)
{
    const char *lbase = base_of(lock_path);
    const char *cbase = base_of(claimant);
    size_t ln = strlen(lbase);
    char *ldir = NULL;
    char *cdir = NULL;
    char *rl = NULL;
    char *rc = NULL;
    struct stat st;
    bool ok = false;

    if (claimant[0] != '/' || strncmp(cbase, lbase, ln) != 0 || cbase[ln] != '.' ||
        cbase[ln + 1] == '\0') {
        return false;
    }
    ldir = sysname_dir(lock_path);
    cdir = sysname_dir(claimant);
    rl = realpath(ldir, NULL);
    rc = realpath(cdir, NULL);
    ok = rl != NULL && rc != NULL && strcmp(rl, rc) == 0 && lstat(claimant, &st) == 0 &&
         S_ISREG(st.st_mode);
    free(rl);
    free(rc);
    free(ldir);
    free(cdir);
    return ok;
}

/* expire - set path's mtime (the lock's expiry) to just past the clock slop, so that
 * Mailman and mmfix break the lock at their next try */
static int expire(const char *path)
{
    struct timespec times[2];

    clock_gettime(CLOCK_REALTIME, &times[0]);
    times[0].tv_sec -= LOCKFILE_CLOCK_SLOP + 1;
    times[1] = times[0];
    return utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW);
}

/* write_claim - (re)create our temp file: content its own path, mode 0664
 * (Mailman's LockFile writes under umask 002), the lock directory's group
 * and, as root, its owner (no root-owned file in Mailman's locks/, even
 * after a killed run), atime/mtime now + lifetime */
static int write_claim(const struct lockfile *lk, const char **error_r)
{
    size_t len = strlen(lk->tmp_path);
    size_t off = 0;
    int fd = open(lk->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0664);

    if (fd < 0) {
        *error_r = errstr("%s: cannot create: %s", lk->tmp_path, strerror(errno));
        return -1;
    }
    if (atomic_own_new_fd(fd, lk->tmp_path, 0664, true, error_r) != 0) {
        goto fail;
    }
    while (off < len) {
        ssize_t n = write(fd, lk->tmp_path + off, len - off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            *error_r = errstr("%s: write: %s", lk->tmp_path, strerror(errno));
            goto fail;
        }
        off += (size_t)n;
    }
    if (close(fd) != 0) {
        fd = -1;
        *error_r = errstr("%s: close: %s", lk->tmp_path, strerror(errno));
        goto fail;
    }
    fd = -1;
    if (touch(lk->tmp_path, lk->lifetime) != 0) {
        *error_r = errstr("%s: touch: %s", lk->tmp_path, strerror(errno));
        goto fail;
    }
    return 0;
fail:
    if (fd >= 0) {
        close(fd);
    }
    unlink(lk->tmp_path);
    return -1;
}

/* break_lock - break a stale or dead lock as Mailman's __break does, if its
 * claimant is still the one we judged (seen) */
static void break_lock(const struct lockfile *lk, const char *seen)
{
    char winner[PATH_MAX + 2];

    if (touch(lk->lock_path, lk->lifetime) != 0 && errno == ENOENT) {
        return;
    }
    read_claim(lk->lock_path, winner, sizeof(winner));
    if (strcmp(winner, seen) != 0) {
        return;                      /* someone else took it meanwhile */
    }
    unlink(lk->lock_path);
    if (winner[0] != '\0' && strcmp(winner, lk->tmp_path) != 0 &&
        claimant_removable(lk->lock_path, winner)) {
        unlink(winner);
    }
}

/* now_ms - monotonic milliseconds */
static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* nap - sleep a random 10-200 ms, at most max_ms (if >= 0) */
static void nap(long long max_ms)
{
    long long ms = 0;
    struct timespec ts;

    if (lock_rand_state == 0) {
        lock_rand_state = (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 16) ^ 0x9e37ULL;
    }
    lock_rand_state = lock_rand_state * 6364136223846793005ULL + 1442695040888963407ULL;
    ms = 10 + (long long)((lock_rand_state >> 33) % 191);
    if (max_ms >= 0 && ms > max_ms) {
        ms = max_ms;
    }
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* lockfile_free - free a handle */
static void lockfile_free(struct lockfile *lk)
{
    if (lk != NULL) {
        free(lk->lock_path);
        free(lk->tmp_path);
        free(lk);
    }
}

/* lockfile_acquire - take lock_path as Mailman's LockFile.lock() does */
int lockfile_acquire(const char *lock_path, unsigned lifetime_s, int timeout_ms,
                     struct lockfile **lock_r, bool *busy_r, const char **error_r)
{
    struct lockfile *lk = NULL;
    struct lockfile_state st;
    char host[256];
    char *cwd = NULL;
    long long deadline = 0;
    int vanished = 0;
    int breaks = 0;
    int ret = -1;

    *busy_r = false;
    *lock_r = NULL;
    if (lock_path[0] == '\0') {
        *error_r = errstr("empty lock path");
        return -1;
    }
    lk = xcalloc(1, sizeof(*lk));
    if (lock_path[0] == '/') {
        lk->lock_path = xstrdup(lock_path);
    } else {
        cwd = getcwd(NULL, 0);
        if (cwd == NULL) {
            *error_r = errstr("getcwd: %s", strerror(errno));
            goto out;
        }
        lk->lock_path = xasprintf("%s/%s", cwd, lock_path);
    }
    lk->lifetime = lifetime_s == 0 ? LOCKFILE_DEFAULT_LIFETIME : lifetime_s;
    sysname_host(host, sizeof(host));
    lk->tmp_path = xasprintf("%s.%s.%ld.%u", lk->lock_path, host, (long)getpid(),
                             lock_counter++);
    if (write_claim(lk, error_r) != 0) {
        goto out;
    }
    deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        if (link(lk->tmp_path, lk->lock_path) == 0) {
            touch(lk->tmp_path, lk->lifetime);
            break;
        }
        if (errno == ENOENT) {
            /* our claim vanished (someone broke it), or there is no directory */
            struct stat tst;
            if (++vanished > 100) {
                *error_r = errstr("%s: cannot link: %s", lk->lock_path, strerror(ENOENT));
                goto fail;
            }
            if (lstat(lk->tmp_path, &tst) != 0 && write_claim(lk, error_r) != 0) {
                goto out;
            }
            continue;
        }
        if (errno != EEXIST) {
            *error_r = errstr("%s: cannot link %s to it: %s", lk->lock_path, lk->tmp_path,
                              strerror(errno));
            goto fail;
        }
        if (lockfile_held(lk)) {
            break;
        }
        if (lockfile_inspect(lk->lock_path, &st, error_r) != 0) {
            goto fail;
        }
        if (!st.exists) {
            if (++vanished > 100) {
                *error_r = errstr("%s: keeps appearing and vanishing", lk->lock_path);
                goto fail;
            }
            continue;
        }
        if (!st.live || st.ours_dead) {
            if (++breaks > 100) {
                *error_r = errstr("%s: cannot break the stale lock", lk->lock_path);
                goto fail;
            }
            break_lock(lk, st.claimant);
            continue;
        }
        if (sigstop_pending() != 0) {
            *error_r = errstr("%s: %s while waiting for the lock", lk->lock_path,
                              sigstop_name());
            goto fail;
        }
        if (timeout_ms == 0 || (timeout_ms > 0 && now_ms() >= deadline)) {
            *busy_r = true;
            *error_r = errstr("%s: locked by %s until %lld", lk->lock_path,
                              st.claimant[0] != '\0' ? st.claimant : "an unknown claimant",
                              (long long)st.expires);
            goto fail;
        }
        nap(timeout_ms > 0 ? deadline - now_ms() : -1);
    }
    *lock_r = lk;
    lk = NULL;
    ret = 0;
    goto out;
fail:
    unlink(lk->tmp_path);
out:
    lockfile_free(lk);
    free(cwd);
    return ret;
}

/* lockfile_held - link count 2 and the lock is a second name of our temp file: the same
 * device and inode under both names at once (Mailman reads the lock and compares the name in
 * it with its own; our temp file holds ours). Two lstats, not an lstat and a read: thousands
 * of locks are checked before a run writes and again as they are released. Both names are
 * looked at, not an inode number remembered: once a broken lock's files are gone, their
 * number may be another claimant's. */
bool lockfile_held(struct lockfile *lock)
{
    struct stat st;
    struct stat mine;

    if (lock == NULL || lstat(lock->lock_path, &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_nlink != 2) {
        return false;
    }
    return lstat(lock->tmp_path, &mine) == 0 && S_ISREG(mine.st_mode) &&
           mine.st_dev == st.st_dev && mine.st_ino == st.st_ino;
}

/* lockfile_refresh - push the expiry to now + lifetime */
int lockfile_refresh(struct lockfile *lock, const char **error_r)
{
    if (!lockfile_held(lock)) {
        *error_r = errstr("%s: the lock is no longer ours", lock->lock_path);
        return -1;
    }
    if (touch(lock->tmp_path, lock->lifetime) != 0) {
        *error_r = errstr("%s: touch: %s", lock->tmp_path, strerror(errno));
        return -1;
    }
    if (!lockfile_held(lock)) {
        *error_r = errstr("%s: the lock is no longer ours", lock->lock_path);
        return -1;
    }
    return 0;
}

/* lockfile_release - unlink the lock if ours, then our temp file; free */
int lockfile_release(struct lockfile **lock, const char **error_r)
{
    struct lockfile *lk = *lock;
    bool held = false;
    int ret = 0;

    if (lk == NULL) {
        return 0;
    }
    *lock = NULL;
    held = lockfile_held(lk);
    if (held && unlink(lk->lock_path) != 0 && errno != ENOENT) {
        int e = errno;
        /* a lock left in place would keep Mailman out for its whole lifetime (hours) */
        bool expired = expire(lk->lock_path) == 0;
        *error_r = errstr("%s: cannot remove: %s%s", lk->lock_path, strerror(e),
                          expired ? " (marked expired: Mailman breaks it at its next try)"
                                  : "");
        ret = -1;
    }
    if (unlink(lk->tmp_path) != 0 && errno != ENOENT && ret == 0) {
        *error_r = errstr("%s: cannot remove: %s", lk->tmp_path, strerror(errno));
        ret = -1;
    }
    if (!held && ret == 0) {
        *error_r = errstr("%s: the lock was no longer ours when released", lk->lock_path);
        ret = -1;
    }
    lockfile_free(lk);
    return ret;
}

/* lockfile_forget - free the handle, leaving the lock and its claimant file in place */
void lockfile_forget(struct lockfile **lock)
{
    lockfile_free(*lock);
    *lock = NULL;
}

/* lockfile_inspect - state of lock_path without touching it */
int lockfile_inspect(const char *lock_path, struct lockfile_state *st, const char **error_r)
{
    struct stat sb;
    struct timespec now;

    memset(st, 0, sizeof(*st));
    if (lstat(lock_path, &sb) != 0) {
        if (errno == ENOENT) {
            return 0;
        }
        *error_r = errstr("%s: %s", lock_path, strerror(errno));
        return -1;
    }
    clock_gettime(CLOCK_REALTIME, &now);
    st->exists = true;
    st->expires = sb.st_mtim.tv_sec;
    st->live = now.tv_sec < sb.st_mtim.tv_sec + LOCKFILE_CLOCK_SLOP ||
               (now.tv_sec == sb.st_mtim.tv_sec + LOCKFILE_CLOCK_SLOP &&
                now.tv_nsec <= sb.st_mtim.tv_nsec);
    read_claim(lock_path, st->claimant, sizeof(st->claimant));
    st->ours_dead = claimant_dead(lock_path, st->claimant);
    return 0;
}

/* lockfile_path - the lock path in use */
const char *lockfile_path(const struct lockfile *lock)
{
    return lock->lock_path;
}

/* lockfile_temp_path - our claimant temp file */
const char *lockfile_temp_path(const struct lockfile *lock)
{
    return lock->tmp_path;
}

/* is_lock_name - a lock mmfix takes: "<list>.lock", or Mailman's "creator" (genaliases) */
static bool is_lock_name(const char *name)
{
    size_t n = strlen(name);

    return (n > 5 && strcmp(name + n - 5, ".lock") == 0) || strcmp(name, "creator") == 0;
}

/* dead_claimant_file - name (in dir) is "<x>.lock.<this host>.<pid>.<n>"
 * (or "creator.<this host>.<pid>.<n>") of a pid that no longer runs, a
 * regular file with one link: the claimant file of a process killed while
 * it was taking a lock, never the lock */
static bool dead_claimant_file(const char *dir, const char *name)
{
    const char *p = strstr(name, ".lock.");
    char *lbase = NULL;
    char *path = NULL;
    struct stat st;
    bool dead = false;

    if (p == NULL && strncmp(name, "creator.", 8) != 0) {
        return false;
    }
    lbase = xstrndup(name, p != NULL ? (size_t)(p - name) + 5 : 7);
    if (pid_gone(claimant_pid(lbase, name))) {
        path = xasprintf("%s/%s", dir, name);
        dead = lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1;
        free(path);
    }
    free(lbase);
    return dead;
}

/* lockfile_clear_dead - break the locks in locks_dir whose claimant is a
 * dead process of this host, and remove such processes' leftover claimant
 * files */
void lockfile_clear_dead(const char *locks_dir)
{
    DIR *d = opendir(locks_dir);
    struct dirent *de = NULL;

    if (d == NULL) {
        return;
    }
    while ((de = readdir(d)) != NULL) {
        struct lockfile_state ls;
        const char *err = NULL;
        char *path = xasprintf("%s/%s", locks_dir, de->d_name);

        if (dead_claimant_file(locks_dir, de->d_name)) {
            unlink(path);
        } else if (is_lock_name(de->d_name) && lockfile_inspect(path, &ls, &err) == 0
                   && ls.exists && ls.ours_dead) {
            struct lockfile *lk = NULL;
            bool busy = false;
            if (lockfile_acquire(path, LOCKFILE_DEFAULT_LIFETIME, 0, &lk, &busy, &err) == 0) {
                lockfile_release(&lk, &err);
            }
        }
        free(path);
    }
    closedir(d);
}
