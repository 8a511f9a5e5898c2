#ifndef MMFIX_PYLOAD_H
#define MMFIX_PYLOAD_H

/*
 * The boundary to the embedded Python 3 interpreter: the restricted
 * unpickler for Mailman 2 pickles and calls into the helper modules of
 * python/mmfix/. Only C types cross this header; src/pyload.c (the
 * interpreter) and src/pyload_conv.c (objects to value trees, through the
 * private src/pyload_conv.h) are the only files that include Python.h. The
 * opcode check and replay that need no Python are pickleplay.h's.
 */

#include <stddef.h>

#include "mmfix/loaderr.h"
#include "mmfix/value.h"

struct pyload_info {
    int protocol;    /* highest pickle protocol among the opcodes, 0-2 (from pickleops) */
    size_t objects;  /* struct value nodes made (a shared node counts once) */
    int memo_kept;   /* pyload_opts.keep_memo was asked and the memo was captured */
};

struct pyload_pre;

/* Options of pyload_unpickle_ex; all-zero (or NULL) is pyload_unpickle. */
struct pyload_opts {
    /* Capture what the pickle writer needs to re-emit the file's bytes:
     * each node's value->memo (memo index + 1 of its PUT, 0 if none),
     * VALUE_FLAG_PYLONG on integers that were Python 2 longs, and sharing
     * as the file had it: a str/unicode the file memoized and referred to
     * again (BINGET) is one node with refs > 1, like a shared container.
     * The opcodes are replayed in C alongside the conversion; when they do
     * not match the objects (never for files Python 2 wrote) the tree is
     * made as without this option and info->memo_kept stays 0. */
    int keep_memo;
    /* pyload_unpickle_file_ex only: the C half of this very call, done
     * ahead by pyload_pre_file (in any thread) with the same path, limits
     * and keep_memo; used once, else ignored and the file read as usual.
     * The caller still frees it. */
    struct pyload_pre *pre;
};

/* pyload_init - start the embedded interpreter once (idempotent): isolated
 * config, no signal handlers, no bytecode writing, no site import; sys.path
 * is the helper dir followed by the interpreter's own standard library (no
 * site-packages, no current directory, no PYTHONPATH). The helper dir is
 * $MMFIX_PYTHON_DIR if set, else the installed one if it holds
 * mmfix/unpickle.py, else the build tree's. A failed start is remembered and
 * reported again by later calls. */
int pyload_init(const char **error_r);

/* pyload_after_fork_child - call first thing in a child forked after
 * pyload_init (worker processes of parallel scans) */
void pyload_after_fork_child(void);

/* pyload_thread_attach - a thread other than the one that ran pyload_init,
 * about to call in many times, keeps a Python thread state until
 * pyload_thread_detach (calls work without, each making its own) */
void pyload_thread_attach(void);
/* pyload_thread_detach - undo pyload_thread_attach, in the same thread */
void pyload_thread_detach(void);

/* pyload_deinit - finalize the interpreter if pyload_init started it */
void pyload_deinit(void);

/* pyload_unpickle - unpickle data[0..len) with the restricted unpickler and
 * convert the result to a value tree in arena. On failure returns -1 with
 * *kind_r (LOAD_CORRUPT, LOAD_REFUSED, LOAD_LIMIT, LOAD_INTERNAL) and
 * error_r; on success *kind_r is LOAD_OK. limits may be NULL (defaults);
 * info_r may be NULL. Starts the interpreter if needed. */
int pyload_unpickle(const void *data, size_t len, const struct load_limits *limits,
                    struct value_arena *arena, struct value **root_r,
                    struct pyload_info *info_r, enum load_error *kind_r,
                    const char **error_r);

/* pyload_unpickle_ex - pyload_unpickle with options (opts may be NULL) */
int pyload_unpickle_ex(const void *data, size_t len, const struct load_limits *limits,
                       const struct pyload_opts *opts, struct value_arena *arena,
                       struct value **root_r, struct pyload_info *info_r,
                       enum load_error *kind_r, const char **error_r);

/* pyload_unpickle_file - pyload_unpickle of a file's contents; the size
 * limit is checked before reading. LOAD_MISSING when it does not exist,
 * LOAD_IO when it cannot be read. */
int pyload_unpickle_file(const char *path, const struct load_limits *limits,
                         struct value_arena *arena, struct value **root_r,
                         struct pyload_info *info_r, enum load_error *kind_r,
                         const char **error_r);

/* pyload_unpickle_file_ex - pyload_unpickle_file with options (opts may be NULL) */
int pyload_unpickle_file_ex(const char *path, const struct load_limits *limits,
                            const struct pyload_opts *opts, struct value_arena *arena,
                            struct value **root_r, struct pyload_info *info_r,
                            enum load_error *kind_r, const char **error_r);

/* pyload_pre_file - the part of pyload_unpickle_file_ex that needs no
 * Python, done ahead and by any thread, even while another one unpickles:
 * the file read, the size limit, the opcode check, and with keep_memo the
 * replay. Whatever it meets (a missing file, a refused opcode) is kept and
 * reported by the pyload_unpickle_file_ex that is given it in opts->pre,
 * exactly as that call would report it. Never fails; free with
 * pyload_pre_free. */
struct pyload_pre *pyload_pre_file(const char *path, const struct load_limits *limits,
                                   const struct pyload_opts *opts);
/* pyload_pre_bytes - the size of the file pre holds (0 when it could not be read) */
size_t pyload_pre_bytes(const struct pyload_pre *pre);
/* pyload_pre_free - free what pyload_pre_file made; *pre_p NULL (may be NULL) */
void pyload_pre_free(struct pyload_pre **pre_p);

/* pyload_call - call func(arg) from the helper module python/mmfix/<module>.py,
 * arg passed as a Python str (decoded like a file name: undecodable bytes
 * become surrogate escapes), and convert what it returns (str, bytes, int,
 * float, bool, None, list, tuple, dict) to a value tree in arena. */
int pyload_call(const char *module, const char *func, const char *arg,
                struct value_arena *arena, struct value **result_r, const char **error_r);

/* One file's contents handed to a helper: the Python side opens no file,
 * C reads them (fileread) and passes the bytes. */
struct pyload_file {
    const char *name;   /* the key the helper looks it up by */
    const char *data;   /* the contents, or NULL when not read */
    size_t len;
    const char *error;  /* data == NULL: why it could not be read, or NULL
                         * when it does not exist */
};

/* pyload_call_files - pyload_call of func(arg, files), files a dict from
 * each name to its contents as bytes, None when it does not exist, or a str
 * (the error) when it could not be read */
int pyload_call_files(const char *module, const char *func, const char *arg,
                      const struct pyload_file *files, size_t n_files,
                      struct value_arena *arena, struct value **result_r,
                      const char **error_r);

#endif
