#ifndef MMFIX_LOADERR_H
#define MMFIX_LOADERR_H

#include <stddef.h>

#include "mmfix/fileread.h"

/* Why a data file did not load: shared by every reader (marshal, pickle,
 * typed JSON) so that check/scan can say what Mailman would do next. */
enum load_error {
    LOAD_OK = 0,
    LOAD_MISSING,   /* no such file */
    LOAD_CORRUPT,   /* truncated, garbage, wrong type: Mailman falls back */
    LOAD_REFUSED,   /* would run code or names a class we do not allow */
    LOAD_LIMIT,     /* size, depth or object-count limit hit */
    LOAD_IO,        /* read error, permission */
    LOAD_INTERNAL,  /* our bug or the interpreter failed to start */
};

/* load_error_name - "ok", "missing", "corrupt", "refused", ... */
const char *load_error_name(enum load_error e);

/* load_error_from_fileread - the load error of a failed fileread: missing
 * is LOAD_MISSING, over the cap LOAD_LIMIT, a file that is not a regular
 * file (fifo, socket, directory, device, link) or cannot be read LOAD_IO */
enum load_error load_error_from_fileread(enum fileread_status status);

/* Limits every reader enforces; 0 fields mean the defaults below. */
struct load_limits {
    size_t max_bytes;     /* input size, default 512 MiB */
    unsigned max_depth;   /* container nesting, default 200 */
    size_t max_objects;   /* nodes in the tree, default 50 million */
};

#define LOAD_DEFAULT_MAX_BYTES ((size_t)512 * 1024 * 1024)
#define LOAD_DEFAULT_MAX_DEPTH 200u
#define LOAD_DEFAULT_MAX_OBJECTS ((size_t)50 * 1000 * 1000)

/* load_limits_resolve - copy of lim (or defaults if NULL) with 0s filled */
struct load_limits load_limits_resolve(const struct load_limits *lim);

#endif
