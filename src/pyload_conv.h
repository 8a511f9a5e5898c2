#ifndef MMFIX_PYLOAD_CONV_H
#define MMFIX_PYLOAD_CONV_H

/*
 * Private to the Python boundary: only pyload.c and pyload_conv.c include
 * this header (it is not in include/mmfix/, and it brings Python.h).
 * Nothing outside them sees a PyObject.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stddef.h>

#include "mmfix/loaderr.h"
#include "mmfix/pickleplay.h"
#include "mmfix/value.h"

/* pyload_conv_tree - the value tree (in arena) of the Python object root:
 * dict, list, tuple, stub instances (stubs: the stub classes, in
 * pickleplay_allowed order), bytes, str, int, float, bool, None. Sharing is
 * kept; limits (NULL: defaults) bound depth and node count; cycles are
 * LOAD_CORRUPT. sh (may be NULL) is the opcode shadow to follow in lock
 * step; with it, *sh_lost_r (may be NULL) says whether a failure was the
 * shadow not matching (convert again without it). *objects_r: nodes made.
 * -1 with *kind_r and error_r on failure; the pending Python error, if any,
 * is cleared. */
int pyload_conv_tree(PyObject *root, PyObject *const *stubs, const struct load_limits *limits,
                     struct pickleplay *sh, struct value_arena *arena, struct value **root_r,
                     size_t *objects_r, int *sh_lost_r, enum load_error *kind_r,
                     const char **error_r);

/* pyload_py_error - (pyload.c) fetch and clear the pending Python
 * exception; its text "Type: message" (what prefixes some), classified in
 * *kind_r (may be NULL) */
const char *pyload_py_error(const char *what, enum load_error *kind_r);

#endif
