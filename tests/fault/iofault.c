/*
 * iofault - an LD_PRELOAD shim that fails the Nth write-side I/O call
 *
 * SYNOPSIS
 *  MMFIX_FAULT_ROOT=DIR [MMFIX_FAULT_N=N] [MMFIX_FAULT_ERRNO=ENOSPC|EIO]
 *  [MMFIX_FAULT_STICKY=1] [MMFIX_FAULT_LOG=FILE] LD_PRELOAD=libmmfix_iofault.so mmfix ...
 *
 * DESCRIPTION
 *  Test tooling only (never installed, never linked into mmfix). The shim
 *  interposes the libc entry points through which a process changes a file
 *  system: creating opens (O_CREAT), write/pwrite/writev, fsync/fdatasync/
 *  syncfs/sync_file_range, ftruncate/fallocate, rename/link/unlink/rmdir/
 *  mkdir/symlink (and their *at forms), and the metadata calls
 *  chmod/chown/utimensat and their f/l forms. SQLite's unix VFS reaches the kernel through the same exported
 *  symbols, so the journal's writes are caught too.
 *
 *  Nothing is counted unless MMFIX_FAULT_ROOT names a directory; then a
 *  call is counted when a path it names, or the file its descriptor is
 *  open on (/proc/self/fd), lies under that directory. Writes to stdout,
 *  stderr, pipes, and files elsewhere (the embedded CPython's, say) are
 *  never counted, so the count of a run over a given tree is the same from
 *  run to run. Counted call number MMFIX_FAULT_N (1-based) fails with
 *  MMFIX_FAULT_ERRNO (default EIO) without doing anything. With
 *  MMFIX_FAULT_STICKY=1 the fault stays: with EIO every counted call from
 *  N on fails (a device gone bad); with ENOSPC every later call that needs
 *  space does (a disk that stays full: writes, creating opens, mkdir,
 *  link, symlink, rename, fsync, fallocate), while unlink, rmdir and the
 *  metadata calls go on working as they do on a full disk. MMFIX_FAULT_LOG names a file that gets one line per
 *  counted call, appended as it happens (so a crash loses none):
 *  "N CALL PATH[ -> PATH2][ FAIL]"; the number of lines of an unfaulted
 *  run is the number of fault points it has.
 *
 *  MMFIX_FAULT_CLOCK=SECONDS stops the wall clock there (clock_gettime's
 *  CLOCK_REALTIME, time, gettimeofday), so that the values a run writes
 *  (update's created_at, the alias file's date) are the same in every run
 *  and the trees of two runs can be compared byte for byte.
 *
 *  Only the process that loaded the shim first counts: it puts its pid in
 *  MMFIX_FAULT_PID, a program it executes (postalias) sees a different pid
 *  there and passes every call through, and a forked child (getpid()
 *  differs) does the same.
 *
 * BUGS
 *  Calls glibc makes internally (fwrite's write, posix_fallocate's
 *  fallocate) do not go through the exported symbols and are not seen;
 *  mmfix writes no file of the tree through stdio. close() is not failed.
 */
#define _GNU_SOURCE 1
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

static struct {
    bool on;                     /* MMFIX_FAULT_ROOT given, this is the owner */
    pid_t owner;
    char root[PATH_MAX];         /* as given, without a trailing slash */
    char rroot[PATH_MAX];        /* its realpath */
    unsigned long fail_at;       /* 0: count only */
    bool sticky;
    int errnum;
    char log[PATH_MAX];
    int log_fd;
    unsigned long calls;
    bool clock_set;              /* MMFIX_FAULT_CLOCK: the wall clock stands still */
    time_t clock;
} cfg = { .log_fd = -1, .errnum = EIO };

/* real - the next definition of name (libc's, or a sanitizer's interceptor) */
static void *real(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

/* REAL - real_fn: the next definition of the function fn (same type) */
#define REAL(fn) \
    static __typeof__(fn) *real_fn = NULL; \
    if (real_fn == NULL) { \
        real_fn = (__typeof__(fn) *)real(#fn); \
    }

/* iofault_init - read the environment once, before main */
__attribute__((constructor)) static void iofault_init(void)
{
    const char *root = getenv("MMFIX_FAULT_ROOT");
    const char *owner = getenv("MMFIX_FAULT_PID");
    const char *s = NULL;
    char pid[32];
    size_t n;

    cfg.owner = getpid();
    if (root == NULL || root[0] != '/' || strlen(root) >= sizeof(cfg.root)) {
        return;
    }
    if (owner != NULL && strtol(owner, NULL, 10) != (long)cfg.owner) {
        return;                  /* a program mmfix runs: not counted */
    }
    snprintf(pid, sizeof(pid), "%ld", (long)cfg.owner);
    setenv("MMFIX_FAULT_PID", pid, 1);
    snprintf(cfg.root, sizeof(cfg.root), "%s", root);
    for (n = strlen(cfg.root); n > 1 && cfg.root[n - 1] == '/'; n--) {
        cfg.root[n - 1] = '\0';
    }
    if (realpath(cfg.root, cfg.rroot) == NULL) {
        snprintf(cfg.rroot, sizeof(cfg.rroot), "%s", cfg.root);
    }
    s = getenv("MMFIX_FAULT_N");
    cfg.fail_at = s != NULL ? strtoul(s, NULL, 10) : 0;
    s = getenv("MMFIX_FAULT_STICKY");
    cfg.sticky = s != NULL && strcmp(s, "1") == 0;
    s = getenv("MMFIX_FAULT_ERRNO");
    cfg.errnum = s != NULL && strcmp(s, "ENOSPC") == 0 ? ENOSPC : EIO;
    s = getenv("MMFIX_FAULT_CLOCK");
    if (s != NULL && *s != '\0') {
        cfg.clock = (time_t)strtoll(s, NULL, 10);
        cfg.clock_set = true;
    }
    s = getenv("MMFIX_FAULT_LOG");
    if (s != NULL && strlen(s) < sizeof(cfg.log)) {
        snprintf(cfg.log, sizeof(cfg.log), "%s", s);
    }
    cfg.on = true;
}

/* active - counting in this process */
static bool active(void)
{
    return cfg.on && getpid() == cfg.owner;
}

/* is_under - p is r or below it */
static bool is_under(const char *p, const char *r)
{
    size_t n = strlen(r);

    return strncmp(p, r, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

/* fd_path - the path fd is open on ("" when it cannot be told) */
static void fd_path(int fd, char *buf, size_t size)
{
    char link[64];
    ssize_t n;

    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    n = readlink(link, buf, size - 1);
    buf[n > 0 ? (size_t)n : 0] = '\0';
}

/* full_path - path as an absolute name: relative to dirfd or the cwd */
static void full_path(int dirfd, const char *path, char *buf, size_t size)
{
    char dir[PATH_MAX];
    int n;

    buf[0] = '\0';
    if (path == NULL) {
        return;
    }
    if (path[0] == '/') {
        snprintf(buf, size, "%s", path);
        return;
    }
    if (dirfd == AT_FDCWD) {
        if (getcwd(dir, sizeof(dir)) == NULL) {
            return;
        }
    } else {
        fd_path(dirfd, dir, sizeof(dir));
    }
    n = snprintf(buf, size, "%s/%s", dir, path);
    if (n < 0 || (size_t)n >= size) {
        buf[0] = '\0';   /* too long to be a path of the tree: not counted */
    }
}

/* in_tree - a path (absolute, or empty) the shim counts */
static bool in_tree(const char *p)
{
    return p[0] == '/' && (is_under(p, cfg.root) || is_under(p, cfg.rroot));
}

/* log_call - one line per counted call */
static void log_call(unsigned long n, const char *call, const char *a, const char *b,
                     bool fail)
{
    static ssize_t (*real_write)(int, const void *, size_t) = NULL;
    static int (*real_open)(const char *, int, ...) = NULL;
    char line[2 * PATH_MAX + 128];
    int len;

    if (cfg.log[0] == '\0') {
        return;
    }
    if (real_write == NULL) {
        real_write = (ssize_t (*)(int, const void *, size_t))real("write");
        real_open = (int (*)(const char *, int, ...))real("open");
    }
    if (cfg.log_fd < 0) {
        cfg.log_fd = real_open(cfg.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (cfg.log_fd < 0) {
            return;
        }
    }
    len = snprintf(line, sizeof(line), "%lu %s %s%s%s%s\n", n, call, a,
                   b != NULL ? " -> " : "", b != NULL ? b : "", fail ? " FAIL" : "");
    if (len > 0) {
        (void)real_write(cfg.log_fd, line, (size_t)len < sizeof(line) ? (size_t)len
                                                                        : sizeof(line) - 1);
    }
}

/* needs_space - a call that a full disk fails (ENOSPC) */
static bool needs_space(const char *call)
{
    static const char *const frees[] = { "unlink", "unlinkat", "rmdir", "chmod", "fchmod",
                                         "fchmodat", "chown", "lchown", "fchown", "fchownat",
                                         "utimensat", "futimens", "ftruncate", "ftruncate64",
                                         "truncate", "truncate64" };
    size_t i;

    for (i = 0; i < sizeof(frees) / sizeof(frees[0]); i++) {
        if (strcmp(call, frees[i]) == 0) {
            return false;
        }
    }
    return true;
}

/* hit - count a call on paths a (and b); true: fail it (errno is set) */
static bool hit(const char *call, const char *a, const char *b)
{
    unsigned long n;
    bool fail;

    if (!in_tree(a) && (b == NULL || !in_tree(b))) {
        return false;
    }
    n = __atomic_add_fetch(&cfg.calls, 1, __ATOMIC_SEQ_CST);
    fail = cfg.fail_at != 0
           && (n == cfg.fail_at
               || (cfg.sticky && n > cfg.fail_at
                   && (cfg.errnum != ENOSPC || needs_space(call))));
    log_call(n, call, a, b, fail);
    if (fail) {
        errno = cfg.errnum;
    }
    return fail;
}

/* hit_fd - hit() for a call on a descriptor */
static bool hit_fd(const char *call, int fd)
{
    char p[PATH_MAX];
    int saved = errno;
    bool fail = false;

    if (!active()) {
        return false;
    }
    fd_path(fd, p, sizeof(p));
    fail = hit(call, p, NULL);
    if (!fail) {
        errno = saved;
    }
    return fail;
}

/* hit_at - hit() for a call on dirfd-relative paths (b may be NULL) */
static bool hit_at(const char *call, int dfa, const char *a, int dfb, const char *b)
{
    char pa[PATH_MAX];
    char pb[PATH_MAX];
    int saved = errno;
    bool fail = false;

    if (!active()) {
        return false;
    }
    full_path(dfa, a, pa, sizeof(pa));
    full_path(dfb, b, pb, sizeof(pb));
    fail = hit(call, pa, b != NULL ? pb : NULL);
    if (!fail) {
        errno = saved;
    }
    return fail;
}

#define FAIL_FD(call, fd) \
    if (hit_fd(call, fd)) { \
        return -1; \
    }
#define FAIL_AT(call, dfa, a, dfb, b) \
    if (hit_at(call, dfa, a, dfb, b)) { \
        return -1; \
    }

/* mode_arg - the mode of a creating open */
#define MODE_ARG(flags, mode) \
    mode_t mode = 0; \
    if ((flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE) { \
        va_list ap; \
        va_start(ap, flags); \
        mode = (mode_t)va_arg(ap, int); \
        va_end(ap); \
    }

/* -- creating opens */

#define OPEN_WRAPPER(name) \
    EXPORT int name(const char *path, int flags, ...) \
    { \
        MODE_ARG(flags, mode); \
        REAL(name); \
        if ((flags & O_CREAT) != 0) { \
            FAIL_AT(#name, AT_FDCWD, path, AT_FDCWD, NULL); \
        } \
        return real_fn(path, flags, mode); \
    }
OPEN_WRAPPER(open)
OPEN_WRAPPER(open64)

#define OPENAT_WRAPPER(name) \
    EXPORT int name(int dirfd, const char *path, int flags, ...) \
    { \
        MODE_ARG(flags, mode); \
        REAL(name); \
        if ((flags & O_CREAT) != 0) { \
            FAIL_AT(#name, dirfd, path, AT_FDCWD, NULL); \
        } \
        return real_fn(dirfd, path, flags, mode); \
    }
OPENAT_WRAPPER(openat)
OPENAT_WRAPPER(openat64)

#define CREAT_WRAPPER(name) \
    EXPORT int name(const char *path, mode_t mode) \
    { \
        REAL(name); \
        FAIL_AT(#name, AT_FDCWD, path, AT_FDCWD, NULL); \
        return real_fn(path, mode); \
    }
CREAT_WRAPPER(creat)
CREAT_WRAPPER(creat64)

/* -- writes and syncs on descriptors */

EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
    REAL(write);
    FAIL_FD("write", fd);
    return real_fn(fd, buf, n);
}

#define PWRITE_WRAPPER(name) \
    EXPORT ssize_t name(int fd, const void *buf, size_t n, off_t off) \
    { \
        REAL(name); \
        FAIL_FD(#name, fd); \
        return real_fn(fd, buf, n, off); \
    }
PWRITE_WRAPPER(pwrite)
PWRITE_WRAPPER(pwrite64)

EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    REAL(writev);
    FAIL_FD("writev", fd);
    return real_fn(fd, iov, cnt);
}

#define PWRITEV_WRAPPER(name) \
    EXPORT ssize_t name(int fd, const struct iovec *iov, int cnt, off_t off) \
    { \
        REAL(name); \
        FAIL_FD(#name, fd); \
        return real_fn(fd, iov, cnt, off); \
    }
PWRITEV_WRAPPER(pwritev)
PWRITEV_WRAPPER(pwritev64)

#define FD_WRAPPER(name) \
    EXPORT int name(int fd) \
    { \
        REAL(name); \
        FAIL_FD(#name, fd); \
        return real_fn(fd); \
    }
FD_WRAPPER(fsync)
FD_WRAPPER(fdatasync)
FD_WRAPPER(syncfs)

EXPORT int sync_file_range(int fd, off_t off, off_t n, unsigned flags)
{
    REAL(sync_file_range);
    FAIL_FD("sync_file_range", fd);
    return real_fn(fd, off, n, flags);
}

#define FTRUNCATE_WRAPPER(name) \
    EXPORT int name(int fd, off_t len) \
    { \
        REAL(name); \
        FAIL_FD(#name, fd); \
        return real_fn(fd, len); \
    }
FTRUNCATE_WRAPPER(ftruncate)
FTRUNCATE_WRAPPER(ftruncate64)

#define TRUNCATE_WRAPPER(name) \
    EXPORT int name(const char *path, off_t len) \
    { \
        REAL(name); \
        FAIL_AT(#name, AT_FDCWD, path, AT_FDCWD, NULL); \
        return real_fn(path, len); \
    }
TRUNCATE_WRAPPER(truncate)
TRUNCATE_WRAPPER(truncate64)

#define FALLOCATE_WRAPPER(name) \
    EXPORT int name(int fd, int mode, off_t off, off_t len) \
    { \
        REAL(name); \
        FAIL_FD(#name, fd); \
        return real_fn(fd, mode, off, len); \
    }
FALLOCATE_WRAPPER(fallocate)
FALLOCATE_WRAPPER(fallocate64)

/* -- names: rename, link, unlink, directories, symbolic links */

EXPORT int rename(const char *from, const char *to)
{
    REAL(rename);
    FAIL_AT("rename", AT_FDCWD, from, AT_FDCWD, to);
    return real_fn(from, to);
}

EXPORT int renameat(int dfa, const char *from, int dfb, const char *to)
{
    REAL(renameat);
    FAIL_AT("renameat", dfa, from, dfb, to);
    return real_fn(dfa, from, dfb, to);
}

EXPORT int renameat2(int dfa, const char *from, int dfb, const char *to, unsigned flags)
{
    REAL(renameat2);
    FAIL_AT("renameat2", dfa, from, dfb, to);
    return real_fn(dfa, from, dfb, to, flags);
}

EXPORT int link(const char *from, const char *to)
{
    REAL(link);
    FAIL_AT("link", AT_FDCWD, from, AT_FDCWD, to);
    return real_fn(from, to);
}

EXPORT int linkat(int dfa, const char *from, int dfb, const char *to, int flags)
{
    REAL(linkat);
    FAIL_AT("linkat", dfa, from, dfb, to);
    return real_fn(dfa, from, dfb, to, flags);
}

EXPORT int unlink(const char *path)
{
    REAL(unlink);
    FAIL_AT("unlink", AT_FDCWD, path, AT_FDCWD, NULL);
    return real_fn(path);
}

EXPORT int unlinkat(int dirfd, const char *path, int flags)
{
    REAL(unlinkat);
    FAIL_AT("unlinkat", dirfd, path, AT_FDCWD, NULL);
    return real_fn(dirfd, path, flags);
}

EXPORT int rmdir(const char *path)
{
    REAL(rmdir);
    FAIL_AT("rmdir", AT_FDCWD, path, AT_FDCWD, NULL);
    return real_fn(path);
}

EXPORT int mkdir(const char *path, mode_t mode)
{
    REAL(mkdir);
    FAIL_AT("mkdir", AT_FDCWD, path, AT_FDCWD, NULL);
    return real_fn(path, mode);
}

EXPORT int mkdirat(int dirfd, const char *path, mode_t mode)
{
    REAL(mkdirat);
    FAIL_AT("mkdirat", dirfd, path, AT_FDCWD, NULL);
    return real_fn(dirfd, path, mode);
}

EXPORT int symlink(const char *target, const char *path)
{
    REAL(symlink);
    FAIL_AT("symlink", AT_FDCWD, path, AT_FDCWD, NULL);
    return real_fn(target, path);
}

EXPORT int symlinkat(const char *target, int dirfd, const char *path)
{
    REAL(symlinkat);
    FAIL_AT("symlinkat", dirfd, path, AT_FDCWD, NULL);
    return real_fn(target, dirfd, path);
}

/* -- metadata: mode, owner, times */

EXPORT int chmod(const char *path, mode_t mode)
{
    REAL(chmod);
    FAIL_AT("chmod", AT_FDCWD, path, AT_FDCWD, NULL);
    return real_fn(path, mode);
}

EXPORT int fchmod(int fd, mode_t mode)
{
    REAL(fchmod);
    FAIL_FD("fchmod", fd);
    return real_fn(fd, mode);
}

EXPORT int fchmodat(int dirfd, const char *path, mode_t mode, int flags)
{
    REAL(fchmodat);
    FAIL_AT("fchmodat", dirfd, path, AT_FDCWD, NULL);
    return real_fn(dirfd, path, mode, flags);
}

#define CHOWN_WRAPPER(name) \
    EXPORT int name(const char *path, uid_t uid, gid_t gid) \
    { \
        REAL(name); \
        FAIL_AT(#name, AT_FDCWD, path, AT_FDCWD, NULL); \
        return real_fn(path, uid, gid); \
    }
CHOWN_WRAPPER(chown)
CHOWN_WRAPPER(lchown)

EXPORT int fchown(int fd, uid_t uid, gid_t gid)
{
    REAL(fchown);
    FAIL_FD("fchown", fd);
    return real_fn(fd, uid, gid);
}

EXPORT int fchownat(int dirfd, const char *path, uid_t uid, gid_t gid, int flags)
{
    REAL(fchownat);
    FAIL_AT("fchownat", dirfd, path, AT_FDCWD, NULL);
    return real_fn(dirfd, path, uid, gid, flags);
}

EXPORT int utimensat(int dirfd, const char *path, const struct timespec times[2], int flags)
{
    /* glibc declares path nonnull, but futimens passes NULL: a volatile
     * copy keeps the compiler from folding the test away */
    const char *volatile p = path;

    REAL(utimensat);
    if (p == NULL) {
        FAIL_FD("utimensat", dirfd);
    } else {
        FAIL_AT("utimensat", dirfd, path, AT_FDCWD, NULL);
    }
    return real_fn(dirfd, path, times, flags);
}

EXPORT int futimens(int fd, const struct timespec times[2])
{
    REAL(futimens);
    FAIL_FD("futimens", fd);
    return real_fn(fd, times);
}

/* -- the wall clock, stopped for comparable runs */

EXPORT int clock_gettime(clockid_t id, struct timespec *ts)
{
    REAL(clock_gettime);
    if (id == CLOCK_REALTIME && cfg.clock_set && active()) {
        ts->tv_sec = cfg.clock;
        ts->tv_nsec = 0;
        return 0;
    }
    return real_fn(id, ts);
}

EXPORT time_t time(time_t *t)
{
    REAL(time);
    if (cfg.clock_set && active()) {
        if (t != NULL) {
            *t = cfg.clock;
        }
        return cfg.clock;
    }
    return real_fn(t);
}

EXPORT int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
    struct timeval *volatile out = tv;     /* declared nonnull, may be NULL */

    REAL(gettimeofday);
    if (cfg.clock_set && active() && out != NULL) {
        out->tv_sec = cfg.clock;
        out->tv_usec = 0;
        return 0;
    }
    return real_fn(tv, tz);
}
