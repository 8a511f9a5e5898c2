/*
 * pyload - the embedded CPython 3: restricted unpickling and helper calls
 *
 * DESCRIPTION
 *  The only file of mmfix that includes Python.h. pyload_init() starts one
 *  isolated interpreter whose sys.path is the helper directory (python/)
 *  and the interpreter's own standard library. pyload_unpickle() first
 *  walks the opcodes in C (pickleops) and refuses, before any Python runs,
 *  globals other than the three allowed Mailman classes, every opcode that
 *  calls an object (REDUCE, NEWOBJ, NEWOBJ_EX), persistent ids, extension
 *  codes and opcodes newer than protocol 2; then python/mmfix/unpickle.py
 *  unpickles with the C pickle.Unpickler restricted by find_class; then an
 *  iterative converter turns the Python objects into a value tree.
 *
 *  The converter keeps sharing: every dict, list, tuple and stub instance
 *  is looked up by its address in a small hash map, so an object the pickle
 *  referenced twice becomes one struct value with refs == 2. It enforces
 *  max_depth and max_objects, refuses reference cycles (nothing downstream
 *  could print or compare them) and calls no Python code per item.
 *
 *  With pyload_opts.keep_memo (for the pickle writer) the opcodes are also
 *  replayed in C into a "shadow" object graph, and the converter walks it
 *  in lock step with the Python objects to fill value->memo (the memo index
 *  each object was PUT at), VALUE_FLAG_PYLONG, and the sharing of memoized
 *  strings, which Python's object identity cannot tell (b'' and 1-byte
 *  bytes are cached singletons). Every step is checked against the Python
 *  objects (type, identity of containers, equality of strings); on any
 *  disagreement the tree is converted again without the shadow, so values
 *  never depend on it.
 *
 * SECURITY
 *  Reads untrusted pickles. The opcode check in C and the unpickler's own
 *  restrictions are independent: either alone refuses every way a pickle
 *  can call something. The input size is checked before reading, memo
 *  indices are bounded (a huge one would make the unpickler allocate
 *  gigabytes), depth and object count are bounded in the converter (and the
 *  shadow's node count by the same max_objects). Python
 *  errors are always fetched and cleared, never printed.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "mmfix/errstr.h"
#include "mmfix/fileread.h"
#include "mmfix/pickleops.h"
#include "mmfix/ptrmap.h"
#include "mmfix/pyload.h"
#include "mmfix/strbuf.h"
#include "mmfix/xalloc.h"

#define N_STUBS 3

static const char *const allowed_globals[N_STUBS] = {
    "Mailman.Bouncer._BounceInfo",
    "Mailman.UserDesc.UserDesc",
    "Mailman.Message.Message",
};

#define ALLOWED_TEXT \
    "only Mailman.Bouncer._BounceInfo, Mailman.UserDesc.UserDesc, Mailman.Message.Message"

/* Interpreter state: set by pyload_init, cleared by pyload_deinit. */
static int py_started;
static char *init_error;              /* a failed start, reported again */
static PyObject *fn_loads;            /* mmfix.unpickle.loads */
static PyObject *exc_refused;         /* mmfix.unpickle.Refused */
static PyObject *exc_unpickling;      /* _pickle.UnpicklingError */
static PyObject *stub_types[N_STUBS]; /* the stub classes, in allowed_globals order */
/* the file buffer of pyload_unpickle_file, kept between calls: reading
 * many lists one after the other then allocates once */
static struct strbuf file_buf = STRBUF_INIT;
#define FILE_BUF_KEEP ((size_t)16 * 1024 * 1024)

/* ---------------------------------------------------------------------- */
/* errors */

/* py_error - fetch and clear the pending Python exception; return its text
 * "Type: message" prefixed by what, and classify it in *kind_r */
static const char *py_error(const char *what, enum load_error *kind_r)
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
        *error_r = errstr("cannot set sys.path: %s", py_error("sys.path", NULL));
        goto out;
    }
    mod = PyImport_ImportModule("mmfix.unpickle");
    if (mod == NULL) {
        *error_r = errstr("cannot load the Python helpers from %s: %s", dir,
                          py_error("import", NULL));
        goto out;
    }
    pmod = PyImport_ImportModule("_pickle");
    if (pmod == NULL) {
        *error_r = py_error("import _pickle", NULL);
        goto out;
    }
    fn_loads = PyObject_GetAttrString(mod, "loads");
    exc_refused = PyObject_GetAttrString(mod, "Refused");
    exc_unpickling = PyObject_GetAttrString(pmod, "UnpicklingError");
    stubs = PyObject_GetAttrString(mod, "STUBS");
    if (fn_loads == NULL || exc_refused == NULL || exc_unpickling == NULL || stubs == NULL) {
        *error_r = errstr("mmfix.unpickle from %s is incomplete: %s", dir,
                          py_error("import", NULL));
        goto out;
    }
    if (!PyTuple_CheckExact(stubs) || PyTuple_GET_SIZE(stubs) != N_STUBS) {
        *error_r = errstr("mmfix.unpickle from %s: STUBS is not a tuple of %d classes",
                          dir, N_STUBS);
        goto out;
    }
    for (i = 0; i < N_STUBS; i++) {
        PyObject *cls = PyTuple_GET_ITEM(stubs, (Py_ssize_t)i);
        const char *s = NULL;

        Py_CLEAR(name);
        if (!PyType_Check(cls)) {
            *error_r = errstr("mmfix.unpickle: STUBS[%zu] is not a class", i);
            goto out;
        }
        name = PyObject_GetAttrString(cls, "mmfix_class");
        s = name != NULL && PyUnicode_Check(name) ? PyUnicode_AsUTF8(name) : NULL;
        if (s == NULL || strcmp(s, allowed_globals[i]) != 0) {
            PyErr_Clear();
            *error_r = errstr("mmfix.unpickle: STUBS[%zu] is not %s", i, allowed_globals[i]);
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
    for (i = 0; i < N_STUBS; i++) {
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
    return 0;
}

/* pyload_after_fork_child - make a forked child's copy of the interpreter
 * usable (Python's own fork bookkeeping) */
void pyload_after_fork_child(void)
{
    if (py_started) {
        PyOS_AfterFork_Child();
    }
}

/* pyload_deinit - stop the interpreter */
void pyload_deinit(void)
{
    if (py_started) {
        drop_helpers();
        Py_FinalizeEx();
        py_started = 0;
    }
    free(init_error);
    init_error = NULL;
    strbuf_release(&file_buf);
}

/* ---------------------------------------------------------------------- */
/* the shadow: the pickle's object graph from its opcodes alone
 *
 * To know which objects the file memoized (and which Python 2 integers were
 * longs), the opcodes are replayed without Python: every opcode that makes
 * an object makes a shadow node, containers collect their children in the
 * order the unpickler adds them, PUT records its memo index on the node on
 * top of the stack and GET pushes the node again. The converter then walks
 * the loaded Python objects and the shadow in lock step (the children of a
 * Python container are the children of its shadow node, in order) and
 * checks that they agree: the Python type fits the opcode, a container
 * reached twice is the same Python object, a str reached twice is equal.
 * On any disagreement the shadow is dropped and the tree converted without
 * it: values always come from Python, the shadow only adds memo indices,
 * long flags and the sharing of memoized strings. */

#define SH_NIL UINT32_MAX

enum sh_kind {
    SH_INTOP,   /* INT: an int, or a bool for I00/I01 */
    SH_INT,     /* BININT*: an int */
    SH_LONG,    /* LONG, LONG1, LONG4: a Python 2 long */
    SH_BOOL,    /* NEWTRUE, NEWFALSE */
    SH_FLOAT,
    SH_NONE,
    SH_BYTES,   /* STRING, BINSTRING, SHORT_BINSTRING (encoding='bytes') */
    SH_TEXT,    /* UNICODE, BINUNICODE */
    SH_TUPLE,
    SH_LIST,
    SH_DICT,
    SH_INST,
    SH_CLASS,   /* GLOBAL: not a tree node */
};

struct sh_node {
    uint8_t kind;         /* enum sh_kind */
    uint8_t busy;         /* its conversion frame is on the stack */
    uint32_t memo;        /* first memo index put + 1, 0 if none */
    uint32_t head;        /* first child link, SH_NIL if none */
    uint32_t tail;        /* last child link */
    uint32_t cursor;      /* next child link the converter takes */
    uint32_t nkids;
    uint32_t state;       /* SH_INST: node BUILD set, SH_NIL if none */
    struct value *val;    /* the tree node made for it */
    PyObject *obj;        /* the Python object it was made from (borrowed) */
};

struct sh_link {
    uint32_t node;
    uint32_t next;
};

struct shadow {
    struct sh_node *nodes;
    size_t n_nodes, cap_nodes;
    struct sh_link *links;
    size_t n_links, cap_links;
    uint32_t *stack;
    size_t n_stack, cap_stack;
    size_t *marks;
    size_t n_marks, cap_marks;
    uint32_t *memo;       /* memo index -> node, SH_NIL when unset */
    size_t cap_memo;
    uint32_t root;
};

/* the largest memo index the shadow follows (the precheck bounds it too) */
#define SH_MAX_MEMO ((size_t)1 << 26)

/* shadow_free - release the shadow's arrays */
static void shadow_free(struct shadow *sh)
{
    free(sh->nodes);
    free(sh->links);
    free(sh->stack);
    free(sh->marks);
    free(sh->memo);
    memset(sh, 0, sizeof(*sh));
}

/* sh_new - a new node of kind; its id */
static uint32_t sh_new(struct shadow *sh, enum sh_kind kind)
{
    struct sh_node *n = NULL;

    if (sh->n_nodes == sh->cap_nodes) {
        sh->cap_nodes = sh->cap_nodes == 0 ? 256 : sh->cap_nodes * 2;
        sh->nodes = xreallocarray(sh->nodes, sh->cap_nodes, sizeof(*sh->nodes));
    }
    n = &sh->nodes[sh->n_nodes];
    memset(n, 0, sizeof(*n));
    n->kind = (uint8_t)kind;
    n->head = SH_NIL;
    n->tail = SH_NIL;
    n->cursor = SH_NIL;
    n->state = SH_NIL;
    return (uint32_t)sh->n_nodes++;
}

/* sh_add_kid - append child kid to node id */
static void sh_add_kid(struct shadow *sh, uint32_t id, uint32_t kid)
{
    struct sh_node *n = &sh->nodes[id];
    uint32_t l;

    if (sh->n_links == sh->cap_links) {
        sh->cap_links = sh->cap_links == 0 ? 256 : sh->cap_links * 2;
        sh->links = xreallocarray(sh->links, sh->cap_links, sizeof(*sh->links));
    }
    l = (uint32_t)sh->n_links++;
    sh->links[l].node = kid;
    sh->links[l].next = SH_NIL;
    if (n->tail == SH_NIL) {
        n->head = l;
        n->cursor = l;
    } else {
        sh->links[n->tail].next = l;
    }
    n->tail = l;
    n->nkids++;
}

/* sh_push - push node id on the stack */
static void sh_push(struct shadow *sh, uint32_t id)
{
    if (sh->n_stack == sh->cap_stack) {
        sh->cap_stack = sh->cap_stack == 0 ? 64 : sh->cap_stack * 2;
        sh->stack = xreallocarray(sh->stack, sh->cap_stack, sizeof(*sh->stack));
    }
    sh->stack[sh->n_stack++] = id;
}

/* sh_fence - stack length at the innermost mark (0 without marks) */
static size_t sh_fence(const struct shadow *sh)
{
    return sh->n_marks > 0 ? sh->marks[sh->n_marks - 1] : 0;
}

/* sh_pop - pop the top node above the fence into *id_r; -1 if none */
static int sh_pop(struct shadow *sh, uint32_t *id_r)
{
    if (sh->n_stack <= sh_fence(sh)) {
        return -1;
    }
    *id_r = sh->stack[--sh->n_stack];
    return 0;
}

/* sh_pop_mark - the stack position of the innermost mark, removed; -1 if none */
static int sh_pop_mark(struct shadow *sh, size_t *pos_r)
{
    if (sh->n_marks == 0 || sh->marks[sh->n_marks - 1] > sh->n_stack) {
        return -1;
    }
    *pos_r = sh->marks[--sh->n_marks];
    return 0;
}

/* sh_top - the node on top of the stack (above the fence); -1 if none */
static int sh_top(const struct shadow *sh, uint32_t *id_r)
{
    if (sh->n_stack <= sh_fence(sh)) {
        return -1;
    }
    *id_r = sh->stack[sh->n_stack - 1];
    return 0;
}

/* sh_decimal - a GET/PUT text argument: plain decimal digits only */
static int sh_decimal(const unsigned char *s, size_t n, size_t *v_r)
{
    size_t v = 0;
    size_t i;

    if (n == 0 || n > 9) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (size_t)(s[i] - '0');
    }
    *v_r = v;
    return 0;
}

/* sh_put - memo[idx] = top of the stack */
static int sh_put(struct shadow *sh, size_t idx)
{
    uint32_t top;

    if (idx >= SH_MAX_MEMO || sh_top(sh, &top) < 0) {
        return -1;
    }
    if (idx >= sh->cap_memo) {
        size_t old = sh->cap_memo;
        size_t cap = old == 0 ? 256 : old;

        while (cap <= idx) {
            cap *= 2;
        }
        sh->memo = xreallocarray(sh->memo, cap, sizeof(*sh->memo));
        memset(sh->memo + old, 0xff, (cap - old) * sizeof(*sh->memo));
        sh->cap_memo = cap;
    }
    sh->memo[idx] = top;
    if (sh->nodes[top].memo == 0) {
        sh->nodes[top].memo = (uint32_t)idx + 1;
    }
    return 0;
}

/* sh_get - push memo[idx] */
static int sh_get(struct shadow *sh, size_t idx)
{
    if (idx >= sh->cap_memo || sh->memo[idx] == SH_NIL) {
        return -1;
    }
    sh_push(sh, sh->memo[idx]);
    return 0;
}

/* sh_collect - pop everything above the innermost mark (and the mark) into
 * a new node of kind; pairs: the count must be even */
static int sh_collect(struct shadow *sh, enum sh_kind kind, int pairs, uint32_t *id_r)
{
    size_t pos;
    size_t i;
    uint32_t id;

    if (sh_pop_mark(sh, &pos) < 0 || (pairs && (sh->n_stack - pos) % 2 != 0)) {
        return -1;
    }
    id = sh_new(sh, kind);
    for (i = pos; i < sh->n_stack; i++) {
        sh_add_kid(sh, id, sh->stack[i]);
    }
    sh->n_stack = pos;
    *id_r = id;
    return 0;
}

/* sh_extend - pop the items above the innermost mark (and the mark) and
 * append them to the container below the mark, of kind */
static int sh_extend(struct shadow *sh, enum sh_kind kind)
{
    size_t pos;
    size_t i;
    uint32_t target;

    if (sh_pop_mark(sh, &pos) < 0 || pos <= sh_fence(sh) || pos == 0) {
        return -1;
    }
    target = sh->stack[pos - 1];
    if (sh->nodes[target].kind != kind
        || (kind == SH_DICT && (sh->n_stack - pos) % 2 != 0)) {
        return -1;
    }
    for (i = pos; i < sh->n_stack; i++) {
        sh_add_kid(sh, target, sh->stack[i]);
    }
    sh->n_stack = pos;
    return 0;
}

/* sh_step - replay one opcode; -1 when the shadow cannot follow */
static int sh_step(struct shadow *sh, const struct pickleops_token *tok)
{
    uint32_t a;
    uint32_t b;
    uint32_t id;
    size_t idx;
    size_t pos;
    size_t i;

    switch (tok->op->code) {
    case PICKLEOP_PROTO:
        return 0;
    case PICKLEOP_MARK:
        if (sh->n_marks == sh->cap_marks) {
            sh->cap_marks = sh->cap_marks == 0 ? 32 : sh->cap_marks * 2;
            sh->marks = xreallocarray(sh->marks, sh->cap_marks, sizeof(*sh->marks));
        }
        sh->marks[sh->n_marks++] = sh->n_stack;
        return 0;
    case PICKLEOP_INT:
        sh_push(sh, sh_new(sh, SH_INTOP));
        return 0;
    case PICKLEOP_BININT:
    case PICKLEOP_BININT1:
    case PICKLEOP_BININT2:
        sh_push(sh, sh_new(sh, SH_INT));
        return 0;
    case PICKLEOP_LONG:
    case PICKLEOP_LONG1:
    case PICKLEOP_LONG4:
        sh_push(sh, sh_new(sh, SH_LONG));
        return 0;
    case PICKLEOP_NEWTRUE:
    case PICKLEOP_NEWFALSE:
        sh_push(sh, sh_new(sh, SH_BOOL));
        return 0;
    case PICKLEOP_FLOAT:
    case PICKLEOP_BINFLOAT:
        sh_push(sh, sh_new(sh, SH_FLOAT));
        return 0;
    case PICKLEOP_NONE:
        sh_push(sh, sh_new(sh, SH_NONE));
        return 0;
    case PICKLEOP_STRING:
    case PICKLEOP_BINSTRING:
    case PICKLEOP_SHORT_BINSTRING:
        sh_push(sh, sh_new(sh, SH_BYTES));
        return 0;
    case PICKLEOP_UNICODE:
    case PICKLEOP_BINUNICODE:
        sh_push(sh, sh_new(sh, SH_TEXT));
        return 0;
    case PICKLEOP_EMPTY_TUPLE:
        sh_push(sh, sh_new(sh, SH_TUPLE));
        return 0;
    case PICKLEOP_EMPTY_LIST:
        sh_push(sh, sh_new(sh, SH_LIST));
        return 0;
    case PICKLEOP_EMPTY_DICT:
        sh_push(sh, sh_new(sh, SH_DICT));
        return 0;
    case PICKLEOP_TUPLE:
        if (sh_collect(sh, SH_TUPLE, 0, &id) < 0) {
            return -1;
        }
        sh_push(sh, id);
        return 0;
    case PICKLEOP_LIST:
        if (sh_collect(sh, SH_LIST, 0, &id) < 0) {
            return -1;
        }
        sh_push(sh, id);
        return 0;
    case PICKLEOP_DICT:
        if (sh_collect(sh, SH_DICT, 1, &id) < 0) {
            return -1;
        }
        sh_push(sh, id);
        return 0;
    case PICKLEOP_TUPLE1:
    case PICKLEOP_TUPLE2:
    case PICKLEOP_TUPLE3:
        i = (size_t)(tok->op->code - PICKLEOP_TUPLE1) + 1;
        if (sh->n_stack < sh_fence(sh) + i) {
            return -1;
        }
        id = sh_new(sh, SH_TUPLE);
        for (pos = sh->n_stack - i; pos < sh->n_stack; pos++) {
            sh_add_kid(sh, id, sh->stack[pos]);
        }
        sh->n_stack -= i;
        sh_push(sh, id);
        return 0;
    case PICKLEOP_APPEND:
        if (sh_pop(sh, &a) < 0 || sh_top(sh, &id) < 0 || sh->nodes[id].kind != SH_LIST) {
            return -1;
        }
        sh_add_kid(sh, id, a);
        return 0;
    case PICKLEOP_APPENDS:
        return sh_extend(sh, SH_LIST);
    case PICKLEOP_SETITEM:
        if (sh_pop(sh, &b) < 0 || sh_pop(sh, &a) < 0 || sh_top(sh, &id) < 0
            || sh->nodes[id].kind != SH_DICT) {
            return -1;
        }
        sh_add_kid(sh, id, a);
        sh_add_kid(sh, id, b);
        return 0;
    case PICKLEOP_SETITEMS:
        return sh_extend(sh, SH_DICT);
    case PICKLEOP_GLOBAL:
        sh_push(sh, sh_new(sh, SH_CLASS));
        return 0;
    case PICKLEOP_INST:
        /* MARK INST: the stubs take no arguments */
        if (sh_pop_mark(sh, &pos) < 0 || pos != sh->n_stack) {
            return -1;
        }
        sh_push(sh, sh_new(sh, SH_INST));
        return 0;
    case PICKLEOP_OBJ:
        /* MARK class OBJ */
        if (sh_pop_mark(sh, &pos) < 0 || sh->n_stack != pos + 1
            || sh->nodes[sh->stack[pos]].kind != SH_CLASS) {
            return -1;
        }
        sh->n_stack = pos;
        sh_push(sh, sh_new(sh, SH_INST));
        return 0;
    case PICKLEOP_BUILD:
        if (sh_pop(sh, &a) < 0 || sh_top(sh, &id) < 0 || sh->nodes[id].kind != SH_INST
            || sh->nodes[id].state != SH_NIL || sh->nodes[a].kind != SH_DICT) {
            return -1;
        }
        sh->nodes[id].state = a;
        return 0;
    case PICKLEOP_PUT:
        return sh_decimal(tok->arg, tok->arg_len, &idx) < 0 ? -1 : sh_put(sh, idx);
    case PICKLEOP_BINPUT:
    case PICKLEOP_LONG_BINPUT:
        return sh_put(sh, (size_t)tok->num);
    case PICKLEOP_GET:
        return sh_decimal(tok->arg, tok->arg_len, &idx) < 0 ? -1 : sh_get(sh, idx);
    case PICKLEOP_BINGET:
    case PICKLEOP_LONG_BINGET:
        return sh_get(sh, (size_t)tok->num);
    case PICKLEOP_DUP:
        if (sh_top(sh, &id) < 0) {
            return -1;
        }
        sh_push(sh, id);
        return 0;
    case PICKLEOP_POP:
        if (sh->n_marks > 0 && sh->marks[sh->n_marks - 1] == sh->n_stack) {
            sh->n_marks--;
            return 0;
        }
        return sh_pop(sh, &a);
    case PICKLEOP_POP_MARK:
        if (sh_pop_mark(sh, &pos) < 0) {
            return -1;
        }
        sh->n_stack = pos;
        return 0;
    case PICKLEOP_STOP:
        return sh_top(sh, &sh->root);
    default:
        /* REDUCE, NEWOBJ, PERSID, EXT*: refused before; anything newer too */
        return -1;
    }
}

/* shadow_build - replay data's opcodes up to STOP; -1 when not followed or
 * when it would take more than max_nodes nodes */
static int shadow_build(const void *data, size_t len, size_t max_nodes, struct shadow *sh)
{
    struct pickleops_token tok;
    const char *err = NULL;
    size_t pos = 0;

    memset(sh, 0, sizeof(*sh));
    sh->root = SH_NIL;
    for (;;) {
        if (pickleops_next(data, len, &pos, &tok, &err) < 0) {
            return -1;
        }
        if (sh_step(sh, &tok) < 0) {
            return -1;
        }
        if (tok.op->code == PICKLEOP_STOP) {
            return 0;
        }
        if (sh->n_nodes > max_nodes || sh->n_links > max_nodes
            || sh->n_nodes >= UINT32_MAX / 2 || sh->n_links >= UINT32_MAX / 2) {
            return -1;
        }
    }
}

/* ---------------------------------------------------------------------- */
/* Python objects -> value tree */

/* The converter's map (ptrmap) from each container met to its node (val);
 * CONV_BUSY while its frame is on the stack (a reference now is a cycle). */
#define CONV_BUSY 1u

enum conv_kind { K_LIST, K_TUPLE, K_DICT, K_INST };

struct conv_frame {
    PyObject *obj;       /* borrowed: the root keeps it alive */
    struct value *val;
    enum conv_kind kind;
    Py_ssize_t pos;      /* next item, or PyDict_Next position */
    PyObject *pending;   /* dict: the value of the key just converted */
    uint32_t sid;        /* its shadow node (SH_NIL without a shadow) */
    int mapped;          /* obj is in the map under this frame (clear busy at the end) */
};

struct conv {
    struct value_arena *arena;
    struct load_limits lim;
    size_t objects;
    struct ptrmap map;
    struct conv_frame *frames;
    size_t nframes;
    size_t frames_cap;
    struct shadow *sh;   /* the lock-step shadow, or NULL */
    int sh_lost;         /* the shadow disagreed: convert again without it */
    enum load_error kind;
    const char *error;
};

/* conv_fail - record an error; returns -1 */
static int conv_fail(struct conv *c, enum load_error kind, const char *error)
{
    c->kind = kind;
    c->error = error;
    return -1;
}

/* sh_lost - the shadow does not match the objects; returns -1 (the caller
 * converts again without it) */
static int sh_lost(struct conv *c)
{
    c->sh_lost = 1;
    return conv_fail(c, LOAD_INTERNAL, "the opcode shadow does not match the objects");
}

/* sh_next_kid - the next child of shadow node sid for the converter, or
 * SH_NIL when there is no shadow */
static int sh_next_kid(struct conv *c, uint32_t sid, uint32_t *kid_r)
{
    struct sh_node *n = NULL;

    *kid_r = SH_NIL;
    if (c->sh == NULL) {
        return 0;
    }
    n = &c->sh->nodes[sid];
    if (n->cursor == SH_NIL) {
        return sh_lost(c);
    }
    *kid_r = c->sh->links[n->cursor].node;
    n->cursor = c->sh->links[n->cursor].next;
    return 0;
}

/* count_object - one more node; -1 past max_objects */
static int count_object(struct conv *c)
{
    if (++c->objects > c->lim.max_objects) {
        return conv_fail(c, LOAD_LIMIT,
                         errstr("more than %zu objects (limit)", c->lim.max_objects));
    }
    return 0;
}

/* push_container - new node for a container, mapped and put on the stack */
static int push_container(struct conv *c, PyObject *o, enum conv_kind kind, uint32_t sid,
                          int map_it, struct value **out)
{
    struct value *v = NULL;
    struct conv_frame *f = NULL;
    size_t i;

    if (c->nframes >= c->lim.max_depth) {
        return conv_fail(c, LOAD_LIMIT,
                         errstr("nesting deeper than %u levels (limit)", c->lim.max_depth));
    }
    switch (kind) {
    case K_LIST:
        v = value_new_list(c->arena, (size_t)PyList_GET_SIZE(o));
        break;
    case K_TUPLE:
        v = value_new_tuple(c->arena, (size_t)PyTuple_GET_SIZE(o));
        break;
    case K_DICT:
        v = value_new_dict(c->arena, (size_t)PyDict_GET_SIZE(o));
        break;
    case K_INST:
        for (i = 0; i < N_STUBS; i++) {
            if ((PyObject *)Py_TYPE(o) == stub_types[i]) {
                break;
            }
        }
        v = value_new_instance(c->arena, allowed_globals[i], NULL);
        break;
    }
    if (map_it) {
        struct ptrmap_entry *e = ptrmap_insert(&c->map, o, NULL);

        e->val = v;
        e->flags = CONV_BUSY;
    }
    if (c->nframes == c->frames_cap) {
        c->frames_cap = c->frames_cap == 0 ? 32 : c->frames_cap * 2;
        c->frames = xreallocarray(c->frames, c->frames_cap, sizeof(*c->frames));
    }
    f = &c->frames[c->nframes++];
    f->obj = o;
    f->val = v;
    f->kind = kind;
    f->pos = 0;
    f->pending = NULL;
    f->sid = sid;
    f->mapped = map_it;
    if (c->sh != NULL && sid != SH_NIL) {
        c->sh->nodes[sid].busy = 1;
        c->sh->nodes[sid].val = v;
        c->sh->nodes[sid].obj = o;
        v->memo = c->sh->nodes[sid].memo;
    }
    *out = v;
    return 0;
}

/* is_stub - o is an instance of one of the stub classes */
static int is_stub(PyObject *o)
{
    size_t i;

    for (i = 0; i < N_STUBS; i++) {
        if ((PyObject *)Py_TYPE(o) == stub_types[i]) {
            return 1;
        }
    }
    return 0;
}

/* conv_text - a str as UTF-8; lone surrogates (Python 2 unicode can hold
 * them) are kept through "surrogatepass" */
static int conv_text(struct conv *c, PyObject *o, struct value **out)
{
    const char *s = NULL;
    Py_ssize_t n = 0;
    PyObject *enc = NULL;

    s = PyUnicode_AsUTF8AndSize(o, &n);
    if (s != NULL) {
        *out = value_new_text(c->arena, s, (size_t)n);
        return 0;
    }
    PyErr_Clear();
    enc = PyUnicode_AsEncodedString(o, "utf-8", "surrogatepass");
    if (enc == NULL) {
        return conv_fail(c, LOAD_CORRUPT, py_error("unicode string", NULL));
    }
    *out = value_new_text(c->arena, PyBytes_AS_STRING(enc), (size_t)PyBytes_GET_SIZE(enc));
    Py_DECREF(enc);
    return 0;
}

/* conv_int - int to VALUE_INT, or VALUE_LONG from its decimal digits */
static int conv_int(struct conv *c, PyObject *o, struct value **out)
{
    int overflow = 0;
    long long ll = PyLong_AsLongLongAndOverflow(o, &overflow);
    PyObject *str = NULL;
    const char *digits = NULL;

    if (overflow == 0 && !(ll == -1 && PyErr_Occurred())) {
        *out = value_new_int(c->arena, (int64_t)ll);
        return 0;
    }
    PyErr_Clear();
    str = PyObject_Str(o);
    digits = str != NULL ? PyUnicode_AsUTF8(str) : NULL;
    if (digits == NULL) {
        Py_XDECREF(str);
        return conv_fail(c, LOAD_LIMIT, py_error("integer too large", NULL));
    }
    *out = value_new_long(c->arena, digits);
    Py_DECREF(str);
    if (*out == NULL) {
        return conv_fail(c, LOAD_INTERNAL, errstr("integer %.40s... is not decimal", digits));
    }
    return 0;
}

/* sh_kind_fits - the Python object o can come from a shadow node of kind */
static int sh_kind_fits(enum sh_kind kind, PyObject *o)
{
    PyTypeObject *t = Py_TYPE(o);

    switch (kind) {
    case SH_INTOP:
        return t == &PyLong_Type || t == &PyBool_Type;
    case SH_INT:
    case SH_LONG:
        return t == &PyLong_Type;
    case SH_BOOL:
        return t == &PyBool_Type;
    case SH_FLOAT:
        return t == &PyFloat_Type;
    case SH_NONE:
        return o == Py_None;
    case SH_BYTES:
        return t == &PyBytes_Type;
    case SH_TEXT:
        return t == &PyUnicode_Type;
    case SH_TUPLE:
        return t == &PyTuple_Type;
    case SH_LIST:
        return t == &PyList_Type;
    case SH_DICT:
        return t == &PyDict_Type;
    case SH_INST:
        return is_stub(o);
    case SH_CLASS:
        return 0;
    }
    return 0;
}

/* sh_scalar_same - the scalar node v (made earlier for the same shadow
 * node) holds what o holds */
static int sh_scalar_same(struct conv *c, const struct value *v, PyObject *o)
{
    struct value *tmp = NULL;
    PyTypeObject *t = Py_TYPE(o);

    if (t == &PyBytes_Type) {
        return v->type == VALUE_BYTES && v->u.str.len == (size_t)PyBytes_GET_SIZE(o)
            && memcmp(v->u.str.data, PyBytes_AS_STRING(o), v->u.str.len) == 0;
    }
    if (t == &PyUnicode_Type) {
        Py_ssize_t n = 0;
        const char *s = PyUnicode_AsUTF8AndSize(o, &n);

        if (s == NULL) {
            /* lone surrogates: rare, not worth a second encoding here */
            PyErr_Clear();
            return 0;
        }
        return v->type == VALUE_TEXT && v->u.str.len == (size_t)n
            && memcmp(v->u.str.data, s, (size_t)n) == 0;
    }
    if (t == &PyBool_Type) {
        return v->type == VALUE_BOOL && v->u.b == (o == Py_True);
    }
    if (t == &PyFloat_Type) {
        double d = PyFloat_AS_DOUBLE(o);
        return v->type == VALUE_FLOAT && memcmp(&d, &v->u.f, sizeof(d)) == 0;
    }
    if (o == Py_None) {
        return v->type == VALUE_NONE;
    }
    if (t == &PyLong_Type) {
        /* a fresh node to compare with (the arena keeps it: rare path) */
        if (conv_int(c, o, &tmp) < 0) {
            return 0;
        }
        return value_equal(v, tmp);
    }
    return 0;
}

/* conv_scalar - a new node for a scalar o */
static int conv_scalar(struct conv *c, PyObject *o, struct value **out)
{
    PyTypeObject *t = Py_TYPE(o);

    if (count_object(c) < 0) {
        return -1;
    }
    if (t == &PyBytes_Type) {
        *out = value_new_bytes(c->arena, PyBytes_AS_STRING(o), (size_t)PyBytes_GET_SIZE(o));
        return 0;
    }
    if (t == &PyLong_Type) {
        return conv_int(c, o, out);
    }
    if (t == &PyUnicode_Type) {
        return conv_text(c, o, out);
    }
    if (o == Py_None) {
        *out = value_new_none(c->arena);
        return 0;
    }
    if (t == &PyBool_Type) {
        *out = value_new_bool(c->arena, o == Py_True);
        return 0;
    }
    if (t == &PyFloat_Type) {
        *out = value_new_float(c->arena, PyFloat_AS_DOUBLE(o));
        return 0;
    }
    return conv_fail(c, LOAD_CORRUPT,
                     errstr("unsupported Python object of type %.80s", t->tp_name));
}

/* conv_kind_of - the container kind of o, or -1 for a scalar */
static int conv_kind_of(PyObject *o)
{
    PyTypeObject *t = Py_TYPE(o);

    if (t == &PyDict_Type) {
        return K_DICT;
    }
    if (t == &PyList_Type) {
        return K_LIST;
    }
    if (t == &PyTuple_Type) {
        return K_TUPLE;
    }
    if (is_stub(o)) {
        return K_INST;
    }
    return -1;
}

/* conv_one_shadow - conv_one in lock step with shadow node sid */
static int conv_one_shadow(struct conv *c, PyObject *o, uint32_t sid, struct value **out)
{
    struct sh_node *n = &c->sh->nodes[sid];
    int kind = conv_kind_of(o);
    struct ptrmap_entry *e = NULL;

    if (!sh_kind_fits((enum sh_kind)n->kind, o)) {
        return sh_lost(c);
    }
    if (kind >= 0) {
        e = ptrmap_find(&c->map, o);
        if (e != NULL && (e->flags & CONV_BUSY)) {
            return conv_fail(c, LOAD_CORRUPT,
                             "the data holds a reference cycle (a container inside itself)");
        }
        if (n->val != NULL) {
            /* the file referred to this container again: the same object */
            if (n->obj != o || n->busy) {
                return sh_lost(c);
            }
            *out = n->val;
            return 0;
        }
        if (e != NULL && kind != K_TUPLE) {
            /* a mutable object the shadow made twice */
            return sh_lost(c);
        }
        if (count_object(c) < 0) {
            return -1;
        }
        return push_container(c, o, (enum conv_kind)kind, sid, e == NULL, out);
    }
    if (n->val != NULL) {
        if (!sh_scalar_same(c, n->val, o)) {
            return sh_lost(c);
        }
        *out = n->val;
        return 0;
    }
    if (conv_scalar(c, o, out) < 0) {
        return -1;
    }
    n->val = *out;
    n->obj = o;
    (*out)->memo = n->memo;
    if (n->kind == SH_LONG) {
        (*out)->flags |= VALUE_FLAG_PYLONG;
    }
    return 0;
}

/* conv_one - convert o: scalars at once, containers as a new node whose
 * frame is pushed (filled later), or the node already made for o. With a
 * shadow, sid is o's shadow node. */
static int conv_one(struct conv *c, PyObject *o, uint32_t sid, struct value **out)
{
    PyTypeObject *t = Py_TYPE(o);

    if (c->sh != NULL) {
        return conv_one_shadow(c, o, sid, out);
    }
    /* the common scalars first: most of a config.pck is str and int */
    if (t == &PyBytes_Type) {
        if (count_object(c) < 0) {
            return -1;
        }
        *out = value_new_bytes(c->arena, PyBytes_AS_STRING(o), (size_t)PyBytes_GET_SIZE(o));
        return 0;
    }
    if (t == &PyLong_Type) {
        return count_object(c) < 0 ? -1 : conv_int(c, o, out);
    }
    if (t == &PyUnicode_Type) {
        return count_object(c) < 0 ? -1 : conv_text(c, o, out);
    }
    if (t == &PyDict_Type || t == &PyList_Type || t == &PyTuple_Type || is_stub(o)) {
        struct ptrmap_entry *e = ptrmap_find(&c->map, o);
        if (e != NULL) {
            if (e->flags & CONV_BUSY) {
                return conv_fail(c, LOAD_CORRUPT,
                                 "the data holds a reference cycle (a container inside itself)");
            }
            *out = e->val;
            return 0;
        }
        if (count_object(c) < 0) {
            return -1;
        }
        return push_container(c, o,
                              t == &PyDict_Type ? K_DICT
                              : t == &PyList_Type ? K_LIST
                              : t == &PyTuple_Type ? K_TUPLE : K_INST, SH_NIL, 1, out);
    }
    return conv_scalar(c, o, out);
}

/* frame_done - pop the top frame; its object is no longer in progress. With
 * a shadow, every child of its shadow node must have been taken. */
static int frame_done(struct conv *c)
{
    struct conv_frame *f = &c->frames[--c->nframes];

    if (f->mapped) {
        ptrmap_find(&c->map, f->obj)->flags &= ~CONV_BUSY;
    }
    if (c->sh != NULL && f->sid != SH_NIL) {
        struct sh_node *n = &c->sh->nodes[f->sid];

        n->busy = 0;
        if (f->kind != K_INST && n->cursor != SH_NIL) {
            return sh_lost(c);
        }
    }
    return 0;
}

/* frame_inst_state - convert the __dict__ of the stub instance on the top frame */
static int frame_inst_state(struct conv *c, struct conv_frame *f)
{
    struct value *parent = f->val;
    struct value *child = NULL;
    PyObject *dict = NULL;
    uint32_t state = SH_NIL;
    uint32_t sid = f->sid;

    f->pos = 1;
    dict = PyObject_GetAttrString(f->obj, "__dict__");
    if (dict == NULL || !PyDict_CheckExact(dict)) {
        Py_XDECREF(dict);
        PyErr_Clear();
        return conv_fail(c, LOAD_INTERNAL, "a stub instance without a __dict__");
    }
    /* the instance keeps its __dict__ alive */
    Py_DECREF(dict);
    if (c->sh != NULL) {
        state = c->sh->nodes[sid].state;
        if (state == SH_NIL) {
            /* no BUILD: an empty __dict__, not in the file */
            if (PyDict_GET_SIZE(dict) != 0) {
                return sh_lost(c);
            }
            if (count_object(c) < 0) {
                return -1;
            }
            value_set_state(parent, value_new_dict(c->arena, 0));
            return 0;
        }
        if (c->sh->nodes[state].val != NULL) {
            /* the state dict is also referred to elsewhere: BUILD copied it
             * into __dict__, so the objects differ */
            return sh_lost(c);
        }
        /* __dict__ stands for the state dict the file built */
        if (count_object(c) < 0) {
            return -1;
        }
        if (push_container(c, dict, K_DICT, state, 1, &child) < 0) {
            return -1;
        }
        value_set_state(parent, child);
        return 0;
    }
    if (conv_one(c, dict, SH_NIL, &child) < 0) {
        return -1;
    }
    value_set_state(parent, child);
    return 0;
}

/* frame_step - convert the next child of the top frame */
static int frame_step(struct conv *c)
{
    struct conv_frame *f = &c->frames[c->nframes - 1];
    struct value *parent = f->val;
    struct value *child = NULL;
    PyObject *o = NULL;
    PyObject *key = NULL;
    uint32_t kid = SH_NIL;
    size_t n;

    switch (f->kind) {
    case K_LIST:
    case K_TUPLE:
        if (f->kind == K_LIST ? f->pos >= PyList_GET_SIZE(f->obj)
                              : f->pos >= PyTuple_GET_SIZE(f->obj)) {
            return frame_done(c);
        }
        o = f->kind == K_LIST ? PyList_GET_ITEM(f->obj, f->pos) : PyTuple_GET_ITEM(f->obj, f->pos);
        f->pos++;
        if (sh_next_kid(c, f->sid, &kid) < 0 || conv_one(c, o, kid, &child) < 0) {
            return -1;
        }
        /* the list was sized at creation: no reallocation here */
        parent->u.seq.items[parent->u.seq.len++] = child;
        child->refs++;
        return 0;
    case K_DICT:
        n = parent->u.dict.len;
        if (f->pending != NULL) {
            o = f->pending;
            f->pending = NULL;
            if (sh_next_kid(c, f->sid, &kid) < 0 || conv_one(c, o, kid, &child) < 0) {
                return -1;
            }
            parent->u.dict.items[n].val = child;
            child->refs++;
            parent->u.dict.len = n + 1;
            return 0;
        }
        if (n >= parent->u.dict.cap || !PyDict_Next(f->obj, &f->pos, &key, &o)) {
            return frame_done(c);
        }
        f->pending = o;
        if (sh_next_kid(c, f->sid, &kid) < 0 || conv_one(c, key, kid, &child) < 0) {
            return -1;
        }
        parent->u.dict.items[n].key = child;
        child->refs++;
        return 0;
    case K_INST:
        if (f->pos > 0) {
            return frame_done(c);
        }
        return frame_inst_state(c, f);
    }
    return 0;
}

/* convert - the value tree of root; sh (may be NULL) is the opcode shadow
 * to follow in lock step. With sh, *sh_lost_r tells whether it failed
 * because the shadow did not match. */
static int convert(PyObject *root, const struct load_limits *limits, struct shadow *sh,
                   struct value_arena *arena, struct value **root_r, size_t *objects_r,
                   int *sh_lost_r, enum load_error *kind_r, const char **error_r)
{
    struct conv c;
    int ret = -1;

    memset(&c, 0, sizeof(c));
    c.arena = arena;
    c.lim = load_limits_resolve(limits);
    c.sh = sh;
    if (conv_one(&c, root, sh != NULL ? sh->root : SH_NIL, root_r) < 0) {
        goto out;
    }
    while (c.nframes > 0) {
        if (frame_step(&c) < 0) {
            goto out;
        }
    }
    ret = 0;
out:
    if (ret < 0) {
        *kind_r = c.kind;
        *error_r = c.error;
    }
    if (sh_lost_r != NULL) {
        *sh_lost_r = c.sh_lost;
    }
    *objects_r = c.objects;
    ptrmap_release(&c.map);
    free(c.frames);
    return ret;
}

/* ---------------------------------------------------------------------- */
/* the opcode check */

struct precheck {
    size_t max_memo;     /* highest memo index put */
    enum load_error kind;
};

/* memo_index - the decimal argument of PUT, saturating */
static size_t memo_index(const unsigned char *s, size_t n)
{
    size_t v = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            break;
        }
        if (v > (SIZE_MAX - 9) / 10) {
            return SIZE_MAX;
        }
        v = v * 10 + (size_t)(s[i] - '0');
    }
    return v;
}

/* global_allowed - "module\nname" names an allowed class */
static int global_allowed(const unsigned char *arg, size_t len)
{
    size_t i;

    for (i = 0; i < N_STUBS; i++) {
        const char *g = allowed_globals[i];
        const char *dot = strrchr(g, '.');
        size_t mlen = (size_t)(dot - g);
        size_t nlen = strlen(dot + 1);
        if (len == mlen + 1 + nlen && memcmp(arg, g, mlen) == 0 && arg[mlen] == '\n'
            && memcmp(arg + mlen + 1, dot + 1, nlen) == 0) {
            return 1;
        }
    }
    return 0;
}

/* precheck - walk the opcodes; refuse what may call code, is not Python 2
 * or would make the unpickler allocate without bound. Returns 0 when the
 * pickle may be unpickled, 1 when refused (ck->kind, error_r), -1 when the
 * opcodes do not lex (error_r; info_r covers what came before). */
static int precheck(const void *data, size_t len, struct pickleops_info *info_r,
                    struct precheck *ck, const char **error_r)
{
    struct pickleops_token tok;
    size_t pos = 0;
    int proto = 0;

    memset(info_r, 0, sizeof(*info_r));
    ck->max_memo = 0;
    ck->kind = LOAD_OK;
    for (;;) {
        unsigned char code;

        if (pickleops_next(data, len, &pos, &tok, error_r) < 0) {
            const struct pickleop *op = pos < len ? pickleops_lookup(((const unsigned char *)
                                                                      data)[pos]) : NULL;
            /* the unpickler must not see a broken newer opcode either: it
             * would allocate what its length says before reading */
            if (op != NULL && op->protocol > 2) {
                ck->kind = LOAD_CORRUPT;
                *error_r = errstr("opcode %s (protocol %d) at offset %zu: not a Python 2 pickle",
                                  op->name, op->protocol, pos);
                return 1;
            }
            return -1;
        }
        info_r->opcodes++;
        code = tok.op->code;
        proto = tok.op->protocol;
        if (code == PICKLEOP_PROTO && (int)tok.num > proto) {
            proto = tok.num > PICKLEOPS_HIGHEST_PROTOCOL ? 99 : (int)tok.num;
        }
        if (proto > info_r->protocol) {
            info_r->protocol = proto;
        }
        switch (code) {
        case PICKLEOP_STOP:
            info_r->stop_offset = tok.offset;
            return 0;
        case PICKLEOP_GLOBAL:
        case PICKLEOP_INST:
            if (!global_allowed(tok.arg, tok.arg_len)) {
                const unsigned char *nl = memchr(tok.arg, '\n', tok.arg_len);
                size_t mlen = nl != NULL ? (size_t)(nl - tok.arg) : tok.arg_len;
                int ml = mlen > 100 ? 100 : (int)mlen;
                size_t nlen = tok.arg_len - mlen - (nl != NULL ? 1 : 0);
                int nl_ = nlen > 100 ? 100 : (int)nlen;
                ck->kind = LOAD_REFUSED;
                *error_r = errstr("refused: global %.*s.%.*s is not allowed (" ALLOWED_TEXT ")",
                                  ml, (const char *)tok.arg, nl_,
                                  (const char *)tok.arg + tok.arg_len - nlen);
                return 1;
            }
            break;
        case PICKLEOP_REDUCE:
        case PICKLEOP_NEWOBJ:
        case PICKLEOP_NEWOBJ_EX:
        case PICKLEOP_STACK_GLOBAL:
            ck->kind = LOAD_REFUSED;
            *error_r = errstr("refused: opcode %s at offset %zu is not allowed (it calls or "
                              "imports an object)", tok.op->name, tok.offset);
            return 1;
        case PICKLEOP_EXT1:
        case PICKLEOP_EXT2:
        case PICKLEOP_EXT4:
            ck->kind = LOAD_REFUSED;
            *error_r = errstr("refused: extension code opcode %s at offset %zu is not allowed",
                              tok.op->name, tok.offset);
            return 1;
        case PICKLEOP_PERSID:
        case PICKLEOP_BINPERSID:
            ck->kind = LOAD_REFUSED;
            *error_r = errstr("refused: persistent id opcode %s at offset %zu is not allowed",
                              tok.op->name, tok.offset);
            return 1;
        case PICKLEOP_PUT:
            if (memo_index(tok.arg, tok.arg_len) > ck->max_memo) {
                ck->max_memo = memo_index(tok.arg, tok.arg_len);
            }
            break;
        case PICKLEOP_BINPUT:
        case PICKLEOP_LONG_BINPUT:
            if (tok.num > ck->max_memo) {
                ck->max_memo = (size_t)tok.num;
            }
            break;
        default:
            break;
        }
        if (proto > 2) {
            ck->kind = LOAD_CORRUPT;
            if (code == PICKLEOP_PROTO) {
                *error_r = errstr("pickle protocol %d: not a Python 2 pickle (Mailman writes "
                                  "protocols 0 to 2)", proto == 99 ? (int)tok.num : proto);
            } else {
                *error_r = errstr("opcode %s (protocol %d) at offset %zu: not a Python 2 pickle",
                                  tok.op->name, proto, tok.offset);
            }
            return 1;
        }
        /* Python 2 numbers memo entries 0, 1, 2, ...: an index far beyond
         * the number of opcodes only serves to make the unpickler's memo
         * table huge */
        if (ck->max_memo > 2 * info_r->opcodes + 1024) {
            ck->kind = LOAD_LIMIT;
            *error_r = errstr("memo index %zu at offset %zu is out of range (limit)",
                              ck->max_memo, tok.offset);
            return 1;
        }
    }
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

/* pyload_unpickle_ex - pyload_unpickle with options */
int pyload_unpickle_ex(const void *data, size_t len, const struct load_limits *limits,
                       const struct pyload_opts *opts, struct value_arena *arena,
                       struct value **root_r, struct pyload_info *info_r,
                       enum load_error *kind_r, const char **error_r)
{
    struct load_limits lim = load_limits_resolve(limits);
    struct pickleops_info ops;
    struct precheck ck;
    struct shadow sh;
    int have_shadow = 0;
    int lost = 0;
    int memo_kept = 0;
    const char *lex_error = NULL;
    PyObject *bytes = NULL;
    PyObject *obj = NULL;
    size_t objects = 0;
    int pc;
    int ret = -1;

    *root_r = NULL;
    *kind_r = LOAD_OK;
    memset(&sh, 0, sizeof(sh));
    if (info_r != NULL) {
        info_r->protocol = 0;
        info_r->objects = 0;
        info_r->memo_kept = 0;
    }
    if (len > lim.max_bytes) {
        *kind_r = LOAD_LIMIT;
        *error_r = errstr("pickle of %zu bytes is larger than the limit of %zu bytes", len,
                          lim.max_bytes);
        return -1;
    }
    pc = precheck(data, len, &ops, &ck, &lex_error);
    if (pc > 0) {
        *kind_r = ck.kind;
        *error_r = lex_error;
        return -1;
    }
    if (pyload_init(error_r) < 0) {
        *kind_r = LOAD_INTERNAL;
        return -1;
    }
    /* when the opcodes do not lex, the unpickler still runs (on opcodes that
     * all passed the check) so that the error is Python's own */
    bytes = PyBytes_FromStringAndSize(data, (Py_ssize_t)len);
    if (bytes == NULL) {
        *error_r = py_error("unpickling", kind_r);
        goto out;
    }
    obj = PyObject_CallOneArg(fn_loads, bytes);
    if (obj == NULL) {
        *error_r = py_error("unpickling", kind_r);
        goto out;
    }
    if (pc < 0) {
        *kind_r = LOAD_CORRUPT;
        *error_r = lex_error;
        goto out;
    }
    if (opts != NULL && opts->keep_memo) {
        /* the objects the opcodes make, ignored or not, are bounded like
         * the tree: the shadow never costs more than the conversion */
        if (shadow_build(data, len, lim.max_objects, &sh) == 0 && sh.root != SH_NIL) {
            have_shadow = 1;
        } else {
            shadow_free(&sh);
        }
    }
    if (have_shadow) {
        if (convert(obj, &lim, &sh, arena, root_r, &objects, &lost, kind_r, error_r) == 0) {
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
    if (convert(obj, &lim, NULL, arena, root_r, &objects, NULL, kind_r, error_r) < 0) {
        *root_r = NULL;
        goto out;
    }
    ret = 0;
out:
    if (PyErr_Occurred()) {
        PyErr_Clear();
    }
    shadow_free(&sh);
    Py_XDECREF(obj);
    Py_XDECREF(bytes);
    if (info_r != NULL) {
        info_r->protocol = ops.protocol;
        info_r->objects = objects;
        info_r->memo_kept = memo_kept;
    }
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

/* pyload_unpickle_file_ex - pyload_unpickle_file with options */
int pyload_unpickle_file_ex(const char *path, const struct load_limits *limits,
                            const struct pyload_opts *opts, struct value_arena *arena,
                            struct value **root_r, struct pyload_info *info_r,
                            enum load_error *kind_r, const char **error_r)
{
    struct load_limits lim = load_limits_resolve(limits);
    enum fileread_status fs = FILEREAD_OK;
    const char *err = NULL;
    int ret = -1;

    *root_r = NULL;
    if (info_r != NULL) {
        info_r->protocol = 0;
        info_r->objects = 0;
        info_r->memo_kept = 0;
    }
    if (fileread_into(path, lim.max_bytes, &file_buf, &fs, error_r) < 0) {
        *kind_r = load_error_from_fileread(fs);
        goto out;
    }
    if (pyload_unpickle_ex(file_buf.buf != NULL ? file_buf.buf : "", file_buf.len, &lim, opts, arena,
                        root_r, info_r, kind_r, &err) < 0) {
        *error_r = errstr("%s: %s", path, err);
        goto out;
    }
    ret = 0;
out:
    if (file_buf.cap > FILE_BUF_KEEP) {
        strbuf_release(&file_buf);
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
    snprintf(modname, sizeof(modname), "mmfix.%s", module);
    mod = PyImport_ImportModule(modname);
    if (mod == NULL) {
        *error_r = errstr("%s: %s", modname, py_error("import", NULL));
        goto out;
    }
    fn = PyObject_GetAttrString(mod, func);
    if (fn == NULL) {
        *error_r = errstr("%s.%s: %s", modname, func, py_error("lookup", NULL));
        goto out;
    }
    parg = PyUnicode_DecodeFSDefault(arg != NULL ? arg : "");
    pfiles = with_files ? files_dict(files, n_files) : NULL;
    if (parg == NULL || (with_files && pfiles == NULL)) {
        *error_r = errstr("%s.%s: %s", modname, func, py_error("argument", NULL));
        goto out;
    }
    res = with_files ? PyObject_CallFunctionObjArgs(fn, parg, pfiles, NULL)
                     : PyObject_CallOneArg(fn, parg);
    if (res == NULL) {
        *error_r = errstr("%s.%s: %s", modname, func, py_error("call", NULL));
        goto out;
    }
    if (convert(res, NULL, NULL, arena, result_r, &objects, NULL, &kind, &err) < 0) {
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
