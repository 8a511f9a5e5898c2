/*
 * pyload - the embedded CPython 3: restricted unpickling and helper calls
 *
 * DESCRIPTION
 *  The interpreter boundary. pyload_init() starts one isolated interpreter
 *  whose sys.path is the helper directory (python/) and the interpreter's
 *  own standard library. pyload_unpickle() first has the opcodes checked in
 *  C (pickleplay_check), which refuses, before any Python runs, globals
 *  other than the three allowed Mailman classes, every opcode that calls an
 *  object, persistent ids, extension codes and opcodes newer than protocol
 *  2; then python/mmfix/unpickle.py unpickles with the C pickle.Unpickler
 *  restricted by find_class; then pyload_conv turns the Python objects into
 *  a value tree. With pyload_opts.keep_memo the opcodes are also replayed
 *  in C, in the same pass as the check (pickleplay_check_replay), and the
 *  converter follows that shadow to keep the file's memo; when it cannot,
 *  the tree is converted again without it.
 *
 *  Threads: the interpreter starts in the calling thread, which then lets
 *  go of the GIL (its thread state is kept in main_tstate); every entry
 *  point takes the GIL for the part that touches Python (PyGILState), so
 *  any thread may call in, one at a time. A thread that calls in often
 *  keeps a thread state between calls (pyload_thread_attach/detach).
 *  pyload_init() must have run in the main thread before another thread
 *  calls in.
 *
 *  Python.h is included by this file and pyload_conv.c (through the private
 *  src/pyload_conv.h) only. Files reach the interpreter as bytes read in C
 *  (fileread): the Python helpers open no file.
 *
 * SECURITY
 *  Reads untrusted pickles. The opcode check in C and the unpickler's own
 *  restrictions are independent: either alone refuses every way a pickle
 *  can call something. The input size is checked before reading, memo
 *  indices are bounded (a huge one would make the unpickler allocate
 *  gigabytes), depth and object count are bounded in the converter (and the
 *  shadow's node count by the same max_objects). Python errors are always
 *  fetched and cleared, never printed.
 */
#include "pyload_conv.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "mmfix/errstr.h"
#include "mmfix/fileread.h"
#include "mmfix/pickleops.h"
#include "mmfix/pickleplay.h"
#include "mmfix/pyload.h"
#include "mmfix/strbuf.h"
#include "mmfix/xalloc.h"

/* Interpreter state: set by pyload_init, cleared by pyload_deinit. */
static int py_started;
static char *init_error;              /* a failed start, reported again */
static PyObject *fn_loads;            /* mmfix.unpickle.loads */
static PyObject *exc_refused;         /* mmfix.unpickle.Refused */
static PyObject *exc_unpickling;      /* _pickle.UnpicklingError */
static PyObject *stub_types[PICKLEPLAY_N_ALLOWED]; /* the stub classes, in pickleplay_allowed order */
static PyThreadState *main_tstate;    /* the starting thread's, while it lets go of the GIL */
static _Thread_local int attached;    /* pyload_thread_attach depth of this thread */
static _Thread_local PyGILState_STATE attach_state;

/* ---------------------------------------------------------------------- */
/* errors */

/* pyload_py_error - fetch and clear the pending Python exception; return its
 * text "Type: message" prefixed by what, and classify it in *kind_r */
const char *pyload_py_error(const char *what, enum load_error *kind_r)
{
    PyObject *type = NULL;
    PyObject *value = NULL;
    PyObject *tb = NULL;
    PyObject *str = NULL;
    const char *msg = NULL;
    const char *tname = "unknown error";
    const char *text = NULL;
    enum load_error kind = LOAD_CORRUPT;

    PyErr_Fetch(&type, &value, &tb);
    if (type == NULL) {
        if (kind_r != NULL) {
            *kind_r = LOAD_INTERNAL;
        }
        return errstr("%s: failed without a Python exception", what);
    }
    PyErr_NormalizeException(&type, &value, &tb);
    if (value != NULL) {
        str = PyObject_Str(value);
        if (str != NULL) {
            msg = PyUnicode_AsUTF8(str);
        }
        if (msg == NULL) {
            PyErr_Clear();
            msg = "(no message)";
        }
    } else {
        msg = "(no message)";
    }
    if (PyType_Check(type)) {
        tname = ((PyTypeObject *)type)->tp_name;
    }
    if (exc_refused != NULL && PyErr_GivenExceptionMatches(type, exc_refused)) {
        kind = LOAD_REFUSED;
        text = errstr("refused: %s", msg);
    } else if (PyErr_GivenExceptionMatches(type, PyExc_MemoryError)
               || PyErr_GivenExceptionMatches(type, PyExc_RecursionError)) {
        kind = LOAD_LIMIT;
        text = errstr("%s: %s: %s", what, tname, msg);
    } else if (exc_unpickling != NULL && PyErr_GivenExceptionMatches(type, exc_unpickling)) {
        text = errstr("pickle.UnpicklingError: %s", msg);
    } else {
        text = errstr("%s: %s", tname, msg);
    }
    Py_XDECREF(str);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    if (kind_r != NULL) {
        *kind_r = kind;
    }
    return text;
}

/* ---------------------------------------------------------------------- */
/* start and stop */

/* helper_dir - where python/mmfix lives */
static const char *helper_dir(void)
{
    const char *env = getenv("MMFIX_PYTHON_DIR");
    struct stat st;

    if (env != NULL && env[0] != '\0') {
        return env;
    }
    if (stat(MMFIX_INSTALL_PYTHON_DIR "/mmfix/unpickle.py", &st) == 0) {
        return MMFIX_INSTALL_PYTHON_DIR;
    }
    return MMFIX_BUILD_PYTHON_DIR;
}

/* status_error - text of a failed PyStatus */
static const char *status_error(const char *what, PyStatus status)
{
    return errstr("cannot start the embedded Python: %s: %s%s%s", what,
                  status.func != NULL ? status.func : "",
                  status.func != NULL ? ": " : "",
                  status.err_msg != NULL ? status.err_msg : "failed");
}

/* start_interpreter - Py_InitializeFromConfig with mmfix's settings; the
 * standard library path is Python's own computation (the helper dir is put
 * in front of it once the interpreter runs) */
static int start_interpreter(const char **error_r)
{
    PyConfig config;
    PyStatus status;
    int ret = -1;

    {
        PyPreConfig preconfig;

        PyPreConfig_InitIsolatedConfig(&preconfig);
        /* file names and helper arguments are UTF-8 (surrogateescape for
         * undecodable bytes) whatever the locale */
        preconfig.utf8_mode = 1;
#ifdef MMFIX_SANITIZE
        /* ASan must see every allocation: plain malloc, not pymalloc (an
         * isolated config ignores PYTHONMALLOC) */
        preconfig.allocator = PYMEM_ALLOCATOR_MALLOC;
#endif
        status = Py_PreInitialize(&preconfig);
        if (PyStatus_Exception(status)) {
            *error_r = status_error("pre-initialization", status);
            return -1;
        }
    }
    PyConfig_InitIsolatedConfig(&config);
    config.install_signal_handlers = 0;
    config.write_bytecode = 0;
    config.parse_argv = 0;
    config.site_import = 0;
    config.user_site_directory = 0;
    config.pathconfig_warnings = 0;
    /* a name not found on PATH: the standard library is then looked for
     * from libpython's own prefix, not from some python3 on PATH */
    status = PyConfig_SetBytesString(&config, &config.program_name, "mmfix");
    if (PyStatus_Exception(status)) {
        *error_r = status_error("program name", status);
        goto out;
    }
    status = Py_InitializeFromConfig(&config);
    if (PyStatus_Exception(status)) {
        *error_r = status_error("initialization", status);
        goto out;
    }
    ret = 0;
out:
    PyConfig_Clear(&config);
    return ret;
}

/* load_helpers - import mmfix.unpickle and keep what the loader needs */
static int load_helpers(const char *dir, const char **error_r)
{
    PyObject *mod = NULL;
    PyObject *pmod = NULL;
    PyObject *stubs = NULL;
    PyObject *name = NULL;
    PyObject *path = NULL;
    PyObject *pdir = NULL;
    int ret = -1;
    size_t i;

    path = PySys_GetObject("path");  /* borrowed */
    pdir = PyUnicode_DecodeFSDefault(dir);
    if (path == NULL || !PyList_Check(path) || pdir == NULL || PyList_Insert(path, 0, pdir) < 0) {
        *error_r = errstr("cannot set sys.path: %s", pyload_py_error("sys.path", NULL));
        goto out;
    }
    mod = PyImport_ImportModule("mmfix.unpickle");
    if (mod == NULL) {
        *error_r = errstr("cannot load the Python helpers from %s: %s", dir,
                          pyload_py_error("import", NULL));
        goto out;
    }
    pmod = PyImport_ImportModule("_pickle");
    if (pmod == NULL) {
        *error_r = pyload_py_error("import _pickle", NULL);
        goto out;
    }
    fn_loads = PyObject_GetAttrString(mod, "loads");
    exc_refused = PyObject_GetAttrString(mod, "Refused");
    exc_unpickling = PyObject_GetAttrString(pmod, "UnpicklingError");
    stubs = PyObject_GetAttrString(mod, "STUBS");
    if (fn_loads == NULL || exc_refused == NULL || exc_unpickling == NULL || stubs == NULL) {
        *error_r = errstr("mmfix.unpickle from %s is incomplete: %s", dir,
                          pyload_py_error("import", NULL));
        goto out;
    }
    if (!PyTuple_CheckExact(stubs) || PyTuple_GET_SIZE(stubs) != PICKLEPLAY_N_ALLOWED) {
        *error_r = errstr("mmfix.unpickle from %s: STUBS is not a tuple of %d classes",
                          dir, PICKLEPLAY_N_ALLOWED);
        goto out;
    }
    for (i = 0; i < PICKLEPLAY_N_ALLOWED; i++) {
        PyObject *cls = PyTuple_GET_ITEM(stubs, (Py_ssize_t)i);
        const char *s = NULL;

        Py_CLEAR(name);
        if (!PyType_Check(cls)) {
            *error_r = errstr("mmfix.unpickle: STUBS[%zu] is not a class", i);
            goto out;
        }
        name = PyObject_GetAttrString(cls, "mmfix_class");
        s = name != NULL && PyUnicode_Check(name) ? PyUnicode_AsUTF8(name) : NULL;
        if (s == NULL || strcmp(s, pickleplay_allowed[i]) != 0) {
            PyErr_Clear();
            *error_r = errstr("mmfix.unpickle: STUBS[%zu] is not %s", i, pickleplay_allowed[i]);
            goto out;
        }
        Py_INCREF(cls);
        stub_types[i] = cls;
    }
    ret = 0;
out:
    Py_XDECREF(pdir);
    Py_XDECREF(name);
    Py_XDECREF(stubs);
    Py_XDECREF(pmod);
    Py_XDECREF(mod);
    return ret;
}

/* drop_helpers - release the references load_helpers kept */
static void drop_helpers(void)
{
    size_t i;

    Py_CLEAR(fn_loads);
    Py_CLEAR(exc_refused);
    Py_CLEAR(exc_unpickling);
    for (i = 0; i < PICKLEPLAY_N_ALLOWED; i++) {
        Py_CLEAR(stub_types[i]);
    }
}

/* pyload_init - start the interpreter once */
int pyload_init(const char **error_r)
{
    const char *dir = NULL;
    const char *err = NULL;

    if (py_started) {
        return 0;
    }
    if (init_error != NULL) {
        *error_r = init_error;
        return -1;
    }
    if (Py_IsInitialized()) {
        *error_r = "cannot start the embedded Python: an interpreter is already running";
        return -1;
    }
    dir = helper_dir();
    if (start_interpreter(&err) < 0) {
        init_error = xstrdup(err);
        *error_r = init_error;
        return -1;
    }
    if (load_helpers(dir, &err) < 0) {
        init_error = xstrdup(err);
        drop_helpers();
        Py_FinalizeEx();
        *error_r = init_error;
        return -1;
    }
    py_started = 1;
    /* no thread holds the GIL between calls: each takes it for its call */
    main_tstate = PyEval_SaveThread();
    return 0;
}

/* pyload_thread_attach - the calling thread (not the one that started the
 * interpreter) keeps a Python thread state until pyload_thread_detach, so
 * each call it makes only takes the GIL; pyload_init must have run */
void pyload_thread_attach(void)
{
    if (py_started && attached++ == 0) {
        attach_state = PyGILState_Ensure();
        /* the GIL is let go at once; the thread state stays */
        PyEval_SaveThread();
    }
}

/* pyload_thread_detach - undo pyload_thread_attach */
void pyload_thread_detach(void)
{
    if (py_started && attached > 0 && --attached == 0) {
        PyEval_RestoreThread(PyGILState_GetThisThreadState());
        PyGILState_Release(attach_state);
    }
}

/* pyload_after_fork_child - make a forked child's copy of the interpreter
 * usable (Python's own fork bookkeeping) */
void pyload_after_fork_child(void)
{
    if (py_started) {
        /* fork() is called with no thread holding the GIL (no other thread
         * runs then): the child takes it back with its only thread state */
        PyEval_RestoreThread(main_tstate);
        PyOS_AfterFork_Child();
        main_tstate = PyEval_SaveThread();
    }
}

/* pyload_deinit - stop the interpreter */
void pyload_deinit(void)
{
    if (py_started) {
        PyEval_RestoreThread(main_tstate);
        main_tstate = NULL;
        drop_helpers();
        Py_FinalizeEx();
        py_started = 0;
    }
    free(init_error);
    init_error = NULL;
}

/* ---------------------------------------------------------------------- */
/* unpickling */

/* pyload_unpickle - check, unpickle, convert */
int pyload_unpickle(const void *data, size_t len, const struct load_limits *limits,
                    struct value_arena *arena, struct value **root_r,
                    struct pyload_info *info_r, enum load_error *kind_r,
                    const char **error_r)
{
    return pyload_unpickle_ex(data, len, limits, NULL, arena, root_r, info_r, kind_r,
                              error_r);
}

/* The C half of one unpickling (pyload_pre_file, or made in place by
 * pyload_unpickle_ex): the bytes, the size limit, the opcode check and, with
 * keep_memo, the shadow. Texts are the struct's own (malloc'd), not errstr's,
 * as another thread may have made it. */
struct pyload_pre {
    char *path;                     /* the file read (pyload_pre_file), or NULL */
    int used;                       /* taken by pyload_unpickle_file_ex (its shadow is spent) */
    struct load_limits lim;
    int keep_memo;
    struct strbuf file;             /* the file's bytes (pyload_pre_file) */
    int read_failed;                /* fileread failed: read_status, error */
    enum fileread_status read_status;
    int refused;                    /* too large or refused by the check: kind, error */
    enum load_error kind;
    char *error;
    int pc;                         /* pickleplay_check's result */
    char *lex_error;                /* its text when pc < 0 */
    struct pickleops_info ops;
    struct pickleplay sh;           /* the shadow, when have_shadow */
    int have_shadow;
};

/* pre_run - the C half over data[0..len): nothing here takes the GIL */
static void pre_run(struct pyload_pre *pre, const void *data, size_t len)
{
    struct pickleplay_check ck;
    const char *lex_error = NULL;

    if (len > pre->lim.max_bytes) {
        pre->refused = 1;
        pre->kind = LOAD_LIMIT;
        pre->error = xasprintf("pickle of %zu bytes is larger than the limit of %zu bytes", len,
                               pre->lim.max_bytes);
        return;
    }
    /* with keep_memo, the shadow is replayed in the same pass: the objects the opcodes
     * make, ignored or not, are bounded like the tree, so it never costs more than the
     * conversion */
    pre->pc = pickleplay_check_replay(data, len, pre->lim.max_objects, &pre->ops, &ck,
                                      pre->keep_memo ? &pre->sh : NULL, &pre->have_shadow,
                                      &lex_error);
    if (pre->pc > 0) {
        pre->refused = 1;
        pre->kind = ck.kind;
        pre->error = xstrdup(lex_error != NULL ? lex_error : "refused by the opcode check");
    } else if (pre->pc < 0) {
        pre->lex_error = xstrdup(lex_error != NULL ? lex_error : "the opcodes do not lex");
    }
}

/* pre_init - an empty C half for limits and opts */
static void pre_init(struct pyload_pre *pre, const struct load_limits *limits,
                     const struct pyload_opts *opts)
{
    memset(pre, 0, sizeof(*pre));
    pre->lim = load_limits_resolve(limits);
    pre->keep_memo = opts != NULL && opts->keep_memo;
    strbuf_init(&pre->file);
}

/* pre_release - free what a C half holds */
static void pre_release(struct pyload_pre *pre)
{
    free(pre->path);
    strbuf_release(&pre->file);
    free(pre->error);
    free(pre->lex_error);
    pickleplay_free(&pre->sh);
}

/* finish - the Python half: report what the C half refused, else unpickle
 * data[0..len) and convert it following the shadow */
static int finish(struct pyload_pre *pre, const void *data, size_t len,
                  struct value_arena *arena, struct value **root_r,
                  struct pyload_info *info_r, enum load_error *kind_r, const char **error_r)
{
    int lost = 0;
    int memo_kept = 0;
    PyObject *bytes = NULL;
    PyObject *obj = NULL;
    PyGILState_STATE gil;
    size_t objects = 0;
    int ret = -1;

    *root_r = NULL;
    *kind_r = LOAD_OK;
    if (info_r != NULL) {
        info_r->protocol = 0;
        info_r->objects = 0;
        info_r->memo_kept = 0;
    }
    if (pre->refused) {
        *kind_r = pre->kind;
        *error_r = errstr("%s", pre->error);
        return -1;
    }
    if (pyload_init(error_r) < 0) {
        *kind_r = LOAD_INTERNAL;
        return -1;
    }
    gil = PyGILState_Ensure();
    /* when the opcodes do not lex, the unpickler still runs (on opcodes that
     * all passed the check) so that the error is Python's own */
    bytes = PyBytes_FromStringAndSize(data, (Py_ssize_t)len);
    if (bytes == NULL) {
        *error_r = pyload_py_error("unpickling", kind_r);
        goto out;
    }
    obj = PyObject_CallOneArg(fn_loads, bytes);
    if (obj == NULL) {
        *error_r = pyload_py_error("unpickling", kind_r);
        goto out;
    }
    if (pre->pc < 0) {
        *kind_r = LOAD_CORRUPT;
        *error_r = errstr("%s", pre->lex_error);
        goto out;
    }
    if (pre->have_shadow) {
        if (pyload_conv_tree(obj, stub_types, &pre->lim, &pre->sh, arena, root_r, &objects,
                             &lost, kind_r, error_r) == 0) {
            memo_kept = 1;
            ret = 0;
            goto out;
        }
        *root_r = NULL;
        if (!lost) {
            goto out;
        }
        /* the shadow did not follow this file: convert without it (the
         * nodes made so far stay unused in the arena) */
        *kind_r = LOAD_OK;
        objects = 0;
    }
    if (pyload_conv_tree(obj, stub_types, &pre->lim, NULL, arena, root_r, &objects, NULL,
                         kind_r, error_r) < 0) {
        *root_r = NULL;
        goto out;
    }
    ret = 0;
out:
    if (PyErr_Occurred()) {
        PyErr_Clear();
    }
    Py_XDECREF(obj);
    Py_XDECREF(bytes);
    PyGILState_Release(gil);
    if (info_r != NULL) {
        info_r->protocol = pre->ops.protocol;
        info_r->objects = objects;
        info_r->memo_kept = memo_kept;
    }
    return ret;
}

/* pyload_unpickle_ex - pyload_unpickle with options */
int pyload_unpickle_ex(const void *data, size_t len, const struct load_limits *limits,
                       const struct pyload_opts *opts, struct value_arena *arena,
                       struct value **root_r, struct pyload_info *info_r,
                       enum load_error *kind_r, const char **error_r)
{
    struct pyload_pre pre;
    int ret;

    pre_init(&pre, limits, opts);
    pre_run(&pre, data, len);
    ret = finish(&pre, data, len, arena, root_r, info_r, kind_r, error_r);
    pre_release(&pre);
    return ret;
}

/* pyload_unpickle_file - read a file and unpickle it */
int pyload_unpickle_file(const char *path, const struct load_limits *limits,
                         struct value_arena *arena, struct value **root_r,
                         struct pyload_info *info_r, enum load_error *kind_r,
                         const char **error_r)
{
    return pyload_unpickle_file_ex(path, limits, NULL, arena, root_r, info_r, kind_r, error_r);
}

/* pre_file - the C half of unpickling the file at path, into pre (pre_init'ed) */
static void pre_file(struct pyload_pre *pre, const char *path)
{
    const char *err = NULL;

    pre->path = xstrdup(path);
    if (fileread_into(path, pre->lim.max_bytes, &pre->file, &pre->read_status, &err) < 0) {
        pre->read_failed = 1;
        pre->error = xstrdup(err != NULL ? err : "cannot be read");
        return;
    }
    pre_run(pre, pre->file.buf != NULL ? pre->file.buf : "", pre->file.len);
}

/* pre_matches - pre is the C half of path for these limits and options */
static int pre_matches(const struct pyload_pre *pre, const char *path,
                       const struct load_limits *lim, int keep_memo)
{
    return pre->path != NULL && strcmp(pre->path, path) == 0
           && pre->lim.max_bytes == lim->max_bytes && pre->lim.max_depth == lim->max_depth
           && pre->lim.max_objects == lim->max_objects && pre->keep_memo == keep_memo;
}

/* pyload_pre_file - see pyload.h */
struct pyload_pre *pyload_pre_file(const char *path, const struct load_limits *limits,
                                   const struct pyload_opts *opts)
{
    struct pyload_pre *pre = xmalloc(sizeof(*pre));

    pre_init(pre, limits, opts);
    pre_file(pre, path);
    return pre;
}

/* pyload_pre_bytes - see pyload.h */
size_t pyload_pre_bytes(const struct pyload_pre *pre)
{
    return pre != NULL ? pre->file.len : 0;
}

/* pyload_pre_free - see pyload.h */
void pyload_pre_free(struct pyload_pre **pre_p)
{
    if (*pre_p != NULL) {
        pre_release(*pre_p);
        free(*pre_p);
        *pre_p = NULL;
    }
}

/* pyload_unpickle_file_ex - pyload_unpickle_file with options */
int pyload_unpickle_file_ex(const char *path, const struct load_limits *limits,
                            const struct pyload_opts *opts, struct value_arena *arena,
                            struct value **root_r, struct pyload_info *info_r,
                            enum load_error *kind_r, const char **error_r)
{
    struct load_limits lim = load_limits_resolve(limits);
    int keep_memo = opts != NULL && opts->keep_memo;
    struct pyload_pre own;
    struct pyload_pre *pre = &own;
    const char *err = NULL;
    int ret = -1;

    if (opts != NULL && opts->pre != NULL && !opts->pre->used
        && pre_matches(opts->pre, path, &lim, keep_memo)) {
        pre = opts->pre;        /* done ahead, by this thread or another */
        pre->used = 1;
    } else {
        pre_init(&own, limits, opts);
        pre_file(&own, path);
    }
    if (pre->read_failed) {
        *root_r = NULL;
        if (info_r != NULL) {
            memset(info_r, 0, sizeof(*info_r));
        }
        *kind_r = load_error_from_fileread(pre->read_status);
        *error_r = errstr("%s", pre->error);
    } else if (finish(pre, pre->file.buf != NULL ? pre->file.buf : "", pre->file.len, arena,
                      root_r, info_r, kind_r, &err) < 0) {
        *error_r = errstr("%s: %s", path, err);
    } else {
        ret = 0;
    }
    if (pre == &own) {
        pre_release(&own);
    }
    return ret;
}

/* ---------------------------------------------------------------------- */
/* helper calls */

/* name_ok - a plain public Python identifier (no dots, no leading '_') */
static int name_ok(const char *s)
{
    size_t i;

    if (s == NULL || s[0] == '\0' || s[0] == '_' || (s[0] >= '0' && s[0] <= '9')) {
        return 0;
    }
    for (i = 0; s[i] != '\0'; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')
              || ch == '_')) {
            return 0;
        }
    }
    return i <= 64;
}

/* files_dict - {name: bytes | None | str} of files; NULL with a Python error */
static PyObject *files_dict(const struct pyload_file *files, size_t n_files)
{
    PyObject *d = PyDict_New();
    size_t i;

    for (i = 0; d != NULL && i < n_files; i++) {
        const struct pyload_file *f = &files[i];
        PyObject *v = NULL;

        if (f->data != NULL) {
            v = PyBytes_FromStringAndSize(f->data, (Py_ssize_t)f->len);
        } else if (f->error != NULL) {
            v = PyUnicode_DecodeFSDefault(f->error);
        } else {
            v = Py_NewRef(Py_None);
        }
        if (v == NULL || PyDict_SetItemString(d, f->name, v) < 0) {
            Py_CLEAR(d);
        }
        Py_XDECREF(v);
    }
    return d;
}

/* call_helper - mmfix.<module>.<func>(arg) or (arg, files) as a value tree */
static int call_helper(const char *module, const char *func, const char *arg,
                       const struct pyload_file *files, size_t n_files, int with_files,
                       struct value_arena *arena, struct value **result_r,
                       const char **error_r)
{
    PyObject *mod = NULL;
    PyObject *fn = NULL;
    PyObject *parg = NULL;
    PyObject *pfiles = NULL;
    PyObject *res = NULL;
    PyGILState_STATE gil;
    enum load_error kind = LOAD_OK;
    size_t objects = 0;
    const char *err = NULL;
    char modname[80];
    int ret = -1;

    *result_r = NULL;
    if (!name_ok(module) || !name_ok(func)) {
        *error_r = errstr("bad helper name %.80s.%.80s", module != NULL ? module : "(null)",
                          func != NULL ? func : "(null)");
        return -1;
    }
    if (pyload_init(error_r) < 0) {
        return -1;
    }
    gil = PyGILState_Ensure();
    snprintf(modname, sizeof(modname), "mmfix.%s", module);
    mod = PyImport_ImportModule(modname);
    if (mod == NULL) {
        *error_r = errstr("%s: %s", modname, pyload_py_error("import", NULL));
        goto out;
    }
    fn = PyObject_GetAttrString(mod, func);
    if (fn == NULL) {
        *error_r = errstr("%s.%s: %s", modname, func, pyload_py_error("lookup", NULL));
        goto out;
    }
    parg = PyUnicode_DecodeFSDefault(arg != NULL ? arg : "");
    pfiles = with_files ? files_dict(files, n_files) : NULL;
    if (parg == NULL || (with_files && pfiles == NULL)) {
        *error_r = errstr("%s.%s: %s", modname, func, pyload_py_error("argument", NULL));
        goto out;
    }
    res = with_files ? PyObject_CallFunctionObjArgs(fn, parg, pfiles, NULL)
                     : PyObject_CallOneArg(fn, parg);
    if (res == NULL) {
        *error_r = errstr("%s.%s: %s", modname, func, pyload_py_error("call", NULL));
        goto out;
    }
    if (pyload_conv_tree(res, stub_types, NULL, NULL, arena, result_r, &objects, NULL, &kind,
                         &err) < 0) {
        *result_r = NULL;
        *error_r = errstr("%s.%s: result: %s", modname, func, err);
        goto out;
    }
    ret = 0;
out:
    if (PyErr_Occurred()) {
        PyErr_Clear();
    }
    Py_XDECREF(res);
    Py_XDECREF(pfiles);
    Py_XDECREF(parg);
    Py_XDECREF(fn);
    Py_XDECREF(mod);
    PyGILState_Release(gil);
    return ret;
}

/* pyload_call - mmfix.<module>.<func>(arg) as a value tree */
int pyload_call(const char *module, const char *func, const char *arg,
                struct value_arena *arena, struct value **result_r, const char **error_r)
{
    return call_helper(module, func, arg, NULL, 0, 0, arena, result_r, error_r);
}

/* pyload_call_files - mmfix.<module>.<func>(arg, files) as a value tree */
int pyload_call_files(const char *module, const char *func, const char *arg,
                      const struct pyload_file *files, size_t n_files,
                      struct value_arena *arena, struct value **result_r,
                      const char **error_r)
{
    return call_helper(module, func, arg, files, n_files, 1, arena, result_r, error_r);
}
