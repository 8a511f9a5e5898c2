/*
 * loaderr - names of load errors and reader limits
 */
#include <stddef.h>

#include "mmfix/loaderr.h"

/* load_error_name - stable name used in reports and JSON */
const char *load_error_name(enum load_error e)
{
    switch (e) {
    case LOAD_OK: return "ok";
    case LOAD_MISSING: return "missing";
    case LOAD_CORRUPT: return "corrupt";
    case LOAD_REFUSED: return "refused";
    case LOAD_LIMIT: return "too-large";
    case LOAD_IO: return "unreadable";
    case LOAD_INTERNAL: return "internal-error";
    }
    return "?";
}

/* load_error_from_fileread - why a file could not be read, as a load error */
enum load_error load_error_from_fileread(enum fileread_status status)
{
    switch (status) {
    case FILEREAD_OK: return LOAD_OK;
    case FILEREAD_MISSING: return LOAD_MISSING;
    case FILEREAD_TOO_LARGE: return LOAD_LIMIT;
    case FILEREAD_NOT_REGULAR:
    case FILEREAD_IO: break;
    }
    return LOAD_IO;
}

/* load_limits_resolve - fill defaults */
struct load_limits load_limits_resolve(const struct load_limits *lim)
{
    struct load_limits r = { 0, 0, 0 };

    if (lim != NULL) {
        r = *lim;
    }
    if (r.max_bytes == 0) {
        r.max_bytes = LOAD_DEFAULT_MAX_BYTES;
    }
    if (r.max_depth == 0) {
        r.max_depth = LOAD_DEFAULT_MAX_DEPTH;
    }
    if (r.max_objects == 0) {
        r.max_objects = LOAD_DEFAULT_MAX_OBJECTS;
    }
    return r;
}
