#ifndef MMFIX_FILEREAD_H
#define MMFIX_FILEREAD_H

/*
 * The one reader of whole data files: a regular file, not followed through
 * a final symbolic link, read to its end with a size cap the caller gives.
 * Anything else at the path (a FIFO, a socket, a directory, a device, a
 * symbolic link) is refused at once with an error that names its type:
 * nothing is read from it and nothing can block.
 */

#include <stddef.h>
#include <sys/types.h>

#include "mmfix/strbuf.h"

enum fileread_status {
    FILEREAD_OK = 0,
    FILEREAD_MISSING,      /* no such file (ENOENT, ENOTDIR) */
    FILEREAD_NOT_REGULAR,  /* fifo, socket, directory, device, symbolic link */
    FILEREAD_TOO_LARGE,    /* more than the cap, checked before and while reading */
    FILEREAD_IO,           /* permission, read error, ... */
};

/* fileread_into - empty sb, then read the whole regular file at path into
 * it (NUL-terminated after len, like every strbuf; sb keeps its storage, so
 * one buffer can serve many files). At most max bytes: a file that is, or
 * grows while being read to, more than max is FILEREAD_TOO_LARGE and
 * nothing more than max + 1 bytes is ever held. Opens with O_NONBLOCK |
 * O_NOFOLLOW | O_NOCTTY | O_CLOEXEC; fstat must say S_ISREG. Reads through
 * EINTR and short reads. On failure returns -1, sb is empty, *status_r (if
 * not NULL) says why and *error_r is "PATH: what happened" (an errstr()
 * text), e.g. "PATH: not a regular file (fifo)". */
int fileread_into(const char *path, size_t max, struct strbuf *sb,
                  enum fileread_status *status_r, const char **error_r);

/* fileread_alloc - fileread_into a new buffer: *data_r (malloc'd,
 * NUL-terminated, caller frees) and *len_r; *data_r is NULL on failure */
int fileread_alloc(const char *path, size_t max, char **data_r, size_t *len_r,
                   enum fileread_status *status_r, const char **error_r);

/* fileread_type_name - "fifo", "socket", "directory", "character device",
 * "block device", "symbolic link", "regular file" for a st_mode */
const char *fileread_type_name(mode_t mode);

#endif
