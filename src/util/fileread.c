/*
 * fileread - read a whole regular file, bounded, never blocking
 *
 * DESCRIPTION
 *  Every data file mmfix reads (config.pck, config.db, typed JSON, the
 *  journal's before-images) comes through fileread_into(). The path is
 *  looked at with lstat() first, so a device or FIFO is refused without
 *  even being opened (opening some devices does things); then it is opened
 *  with O_NONBLOCK (a FIFO that appeared since cannot block the open),
 *  O_NOFOLLOW (a final symbolic link is refused, ELOOP), O_NOCTTY and
 *  O_CLOEXEC, and fstat() on the open descriptor has the last word.
 *
 *  The buffer is sized from fstat and grows, when the file grows while it
 *  is read, by doubling up to max + 1 bytes and never beyond: one byte past
 *  the cap is how a file over the cap is seen.
 *
 * DIAGNOSTICS
 *  -1 with a fileread_status and an errstr() text that starts with the path.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mmfix/errstr.h"
#include "mmfix/fileread.h"

#define FILEREAD_GROW_MIN ((size_t)4096)

/* fileread_type_name - what kind of file a mode says */
const char *fileread_type_name(mode_t mode)
{
    if (S_ISREG(mode)) {
        return "regular file";
    }
    if (S_ISDIR(mode)) {
        return "directory";
    }
    if (S_ISFIFO(mode)) {
        return "fifo";
    }
    if (S_ISSOCK(mode)) {
        return "socket";
    }
    if (S_ISCHR(mode)) {
        return "character device";
    }
    if (S_ISBLK(mode)) {
        return "block device";
    }
    if (S_ISLNK(mode)) {
        return "symbolic link";
    }
    return "unknown file type";
}

/* fail - set the status, return -1 */
static int fail(enum fileread_status *status_r, enum fileread_status status)
{
    if (status_r != NULL) {
        *status_r = status;
    }
    return -1;
}

/* open_error - classify a failed open() of path */
static int open_error(const char *path, int err, enum fileread_status *status_r,
                      const char **error_r)
{
    struct stat st;

    if (err == ENOENT || err == ENOTDIR) {
        *error_r = errstr("%s: %s", path, strerror(err));
        return fail(status_r, FILEREAD_MISSING);
    }
    /* ELOOP: O_NOFOLLOW met a final symbolic link; ENXIO: a socket; in
     * both cases (and any other) a non-regular file says so by its type */
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        *error_r = errstr("%s: not a regular file (%s)", path, fileread_type_name(st.st_mode));
        return fail(status_r, FILEREAD_NOT_REGULAR);
    }
    *error_r = errstr("%s: %s", path, strerror(err));
    return fail(status_r, FILEREAD_IO);
}

/* too_large - the error for a file over max */
static int too_large(const char *path, size_t max, enum fileread_status *status_r,
                     const char **error_r)
{
    *error_r = errstr("%s: larger than the limit of %zu bytes", path, max);
    return fail(status_r, FILEREAD_TOO_LARGE);
}

/* read_fd - read fd to its end into sb (empty), at most max bytes */
static int read_fd(int fd, const char *path, size_t max, off_t size, struct strbuf *sb,
                   enum fileread_status *status_r, const char **error_r)
{
    /* hold at most max + 1 bytes: the extra one shows a file over the cap */
    size_t hold = max < SIZE_MAX - 1 ? max + 1 : SIZE_MAX - 1;
    /* the fstat size and one byte more: the end is seen without growing */
    size_t want = (uintmax_t)size < (uintmax_t)hold ? (size_t)size + 1 : hold;

    strbuf_grow(sb, want);
    for (;;) {
        size_t room = sb->cap - sb->len - 1;  /* strbuf keeps a terminator */
        ssize_t n;

        if (sb->len + room > hold) {
            room = hold - sb->len;
        }
        if (room == 0) {
            if (sb->len >= hold) {
                return too_large(path, max, status_r, error_r);
            }
            /* the file grew past its fstat size: double, within hold */
            size_t extra = sb->len > 0 ? sb->len : FILEREAD_GROW_MIN;

            if (extra > hold - sb->len) {
                extra = hold - sb->len;
            }
            strbuf_grow(sb, extra);
            continue;
        }
        n = read(fd, sb->buf + sb->len, room);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            *error_r = errstr("%s: read: %s", path, strerror(errno));
            return fail(status_r, FILEREAD_IO);
        }
        if (n == 0) {
            break;
        }
        sb->len += (size_t)n;
        sb->buf[sb->len] = '\0';
    }
    if (sb->len > max) {
        return too_large(path, max, status_r, error_r);
    }
    return 0;
}

/* fileread_into - the whole regular file at path into sb */
int fileread_into(const char *path, size_t max, struct strbuf *sb,
                  enum fileread_status *status_r, const char **error_r)
{
    struct stat st;
    int fd = -1;
    int ret = -1;

    strbuf_reset(sb);
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        /* refused before open(): opening a device may do things */
        *error_r = errstr("%s: not a regular file (%s)", path, fileread_type_name(st.st_mode));
        return fail(status_r, FILEREAD_NOT_REGULAR);
    }
    fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        return open_error(path, errno, status_r, error_r);
    }
    /* the descriptor has the last word: the path may have changed since */
    if (fstat(fd, &st) != 0) {
        *error_r = errstr("%s: fstat: %s", path, strerror(errno));
        fail(status_r, FILEREAD_IO);
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        *error_r = errstr("%s: not a regular file (%s)", path, fileread_type_name(st.st_mode));
        fail(status_r, FILEREAD_NOT_REGULAR);
        goto out;
    }
    if (st.st_size < 0 || (uintmax_t)st.st_size > (uintmax_t)max) {
        *error_r = errstr("%s: %jd bytes, larger than the limit of %zu bytes", path,
                          (intmax_t)st.st_size, max);
        fail(status_r, FILEREAD_TOO_LARGE);
        goto out;
    }
    if (read_fd(fd, path, max, st.st_size, sb, status_r, error_r) < 0) {
        goto out;
    }
    if (status_r != NULL) {
        *status_r = FILEREAD_OK;
    }
    ret = 0;
out:
    close(fd);
    if (ret < 0) {
        strbuf_reset(sb);
    }
    return ret;
}

/* fileread_alloc - fileread_into a buffer of its own */
int fileread_alloc(const char *path, size_t max, char **data_r, size_t *len_r,
                   enum fileread_status *status_r, const char **error_r)
{
    struct strbuf sb = STRBUF_INIT;

    *data_r = NULL;
    if (fileread_into(path, max, &sb, status_r, error_r) < 0) {
        strbuf_release(&sb);
        return -1;
    }
    *data_r = strbuf_detach(&sb, len_r);
    return 0;
}
