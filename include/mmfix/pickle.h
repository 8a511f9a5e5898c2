#ifndef MMFIX_PICKLE_H
#define MMFIX_PICKLE_H

/*
 * The pickle writer: a value tree as the Python 2 protocol-1 pickle that
 * `cPickle.dump(d, f, 1)` of Python 2.7 writes for the same data (SPEC §3).
 *
 * Memoization follows the tree: a node whose value->memo is set (the source
 * file memoized it; see pyload_opts.keep_memo) gets a BINPUT right after it
 * is made, a shared node (refs > 1) too, and a node met again is a BINGET.
 * A tree that carries no memo information at all (from marshal or typed
 * JSON) is memoized as cPickle memoizes what it cannot prove unshared:
 * every non-empty dict and list, instance states, and shared nodes. Memo
 * indices are handed out in write order from 1 as cPickle does (from 0 when
 * the source's first index was 0), so an unmodified tree gets its source
 * indices back and an edited one is renumbered consistently.
 */

#include <stddef.h>

#include "mmfix/strbuf.h"
#include "mmfix/value.h"

/* cPickle's BATCHSIZE: items per MARK ... SETITEMS / APPENDS */
#define PICKLE_BATCHSIZE 1000

struct pickle_write_info {
    size_t puts;        /* memo entries written (BINPUT / LONG_BINPUT) */
    size_t gets;        /* memo references written (BINGET / LONG_BINGET) */
    int had_memo;       /* the tree carried source memo indices */
    int renumbered;     /* some source memo index could not be kept */
};

/* pickle_write - append the protocol-1 pickle of root (ending in STOP) to
 * out. Fails (-1, error_r, out as it was) on a reference cycle, nesting
 * deeper than 100000 levels, a string longer than 2 GiB or an instance
 * class name that is not "module.Name". */
int pickle_write(struct strbuf *out, const struct value *root, const char **error_r);

/* pickle_write_ex - pickle_write that also fills *info_r (may be NULL) */
int pickle_write_ex(struct strbuf *out, const struct value *root,
                    struct pickle_write_info *info_r, const char **error_r);

#endif
