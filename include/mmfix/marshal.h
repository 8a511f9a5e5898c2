#ifndef MMFIX_MARSHAL_H
#define MMFIX_MARSHAL_H

/*
 * A reader for Python 2 `marshal` data, formats 0 to 2, as Mailman 2.0
 * wrote it in config.db, config.db.last, request.db and
 * pending_subscriptions.db. Pure C, no interpreter.
 *
 * Mapping: 'N' None, 'T'/'F' bool, 'i'/'I' int, 'l' long (VALUE_INT when it
 * fits int64_t, else VALUE_LONG), 'f'/'g' float, 's'/'t' str (VALUE_BYTES),
 * 'u' unicode (VALUE_TEXT, strictly valid UTF-8), '(' tuple, '[' list,
 * '{' dict (file order; a repeated key replaces the value, as Python does).
 * An 'R' back-reference yields the same node as the interned 't' string it
 * names, so sharing is kept.
 *
 * Refused as LOAD_CORRUPT (Mailman never stores them): StopIteration,
 * Ellipsis, complex, set, frozenset, '0' outside a dict, unknown codes,
 * unhashable dict keys, trailing bytes after the object. A code object is
 * LOAD_REFUSED. Depth, object count and input size are LOAD_LIMIT; so is a
 * long of more than MARSHAL_MAX_LONG_DIGITS 15-bit digits. Every error text
 * names the byte offset.
 */

#include <stddef.h>

#include "mmfix/loaderr.h"
#include "mmfix/value.h"

/* Hard caps that hold whatever the limits say. */
#define MARSHAL_MAX_DEPTH 2000u        /* Python 2's MAX_MARSHAL_STACK_DEPTH */
#define MARSHAL_MAX_LONG_DIGITS 4096u  /* about 19700 decimal digits */

struct marshal_info {
    int version;        /* 0, 1 or 2: highest format feature seen: 1 = interned
                           strings ('t'/'R'), 2 = binary floats ('g'); else 0 */
    size_t objects;     /* nodes read (back-references count too) */
    size_t interned;    /* entries in the interned-string table */
};

/* marshal_read - parse one marshal object from data[0..len); trailing bytes
 * are an error (LOAD_CORRUPT). On success *root_r is the tree (in arena);
 * on failure *root_r is NULL and *kind_r / *error_r say why. info_r and
 * kind_r may be NULL. limits NULL means the defaults. */
int marshal_read(const void *data, size_t len, const struct load_limits *limits,
                 struct value_arena *arena, struct value **root_r,
                 struct marshal_info *info_r, enum load_error *kind_r,
                 const char **error_r);

/* marshal_read_file - read the file at path (size checked against
 * limits->max_bytes before reading) and parse it with marshal_read.
 * LOAD_MISSING for a missing file, LOAD_IO for other read errors and for
 * something that is not a regular file. */
int marshal_read_file(const char *path, const struct load_limits *limits,
                      struct value_arena *arena, struct value **root_r,
                      struct marshal_info *info_r, enum load_error *kind_r,
                      const char **error_r);

#endif
