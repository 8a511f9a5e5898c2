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
 * SECURITY
 *  Reads untrusted pickles. The opcode check in C and the unpickler's own
 *  restrictions are independent: either alone refuses every way a pickle
 *  can call something. The input size is checked before reading, memo
 *  indices are bounded (a huge one would make the unpickler allocate
 *  gigabytes), depth and object count are bounded in the converter. Python
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
#include "mmfix/pickleops.h"
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
/* Python objects -> value tree */

struct conv_entry {
    PyObject *key;       /* NULL: empty slot */
    struct value *val;
    int busy;            /* its frame is on the stack (a reference now is a cycle) */
};

enum conv_kind { K_LIST, K_TUPLE, K_DICT, K_INST };

struct conv_frame {
    PyObject *obj;       /* borrowed: the root keeps it alive */
    struct value *val;
    enum conv_kind kind;
    Py_ssize_t pos;      /* next item, or PyDict_Next position */
    PyObject *pending;   /* dict: the value of the key just converted */
};

struct conv {
    struct value_arena *arena;
    struct load_limits lim;
    size_t objects;
    struct conv_entry *map;
    size_t map_cap;      /* power of two */
    size_t map_len;
    struct conv_frame *frames;
    size_t nframes;
    size_t frames_cap;
    enum load_error kind;
    const char *error;
};

/* ptr_hash - slot for a pointer */
static size_t ptr_hash(const void *p, size_t mask)
{
    uint64_t h = (uint64_t)(uintptr_t)p;

    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return (size_t)h & mask;
}

/* map_find - the entry for key, or the empty slot where it would go */
static struct conv_entry *map_find(struct conv *c, PyObject *key)
{
    size_t mask = c->map_cap - 1;
    size_t pos = ptr_hash(key, mask);

    while (c->map[pos].key != NULL && c->map[pos].key != key) {
        pos = (pos + 1) & mask;
    }
    return &c->map[pos];
}

/* map_add - remember key -> val (key not present), busy */
static void map_add(struct conv *c, PyObject *key, struct value *val)
{
    struct conv_entry *e = NULL;

    if ((c->map_len + 1) * 2 > c->map_cap) {
        struct conv_entry *old = c->map;
        size_t old_cap = c->map_cap;
        size_t i;

        c->map_cap = old_cap == 0 ? 64 : old_cap * 2;
        c->map = xcalloc(c->map_cap, sizeof(*c->map));
        for (i = 0; i < old_cap; i++) {
            if (old[i].key != NULL) {
                *map_find(c, old[i].key) = old[i];
            }
        }
        free(old);
    }
    e = map_find(c, key);
    e->key = key;
    e->val = val;
    e->busy = 1;
    c->map_len++;
}

/* conv_fail - record an error; returns -1 */
static int conv_fail(struct conv *c, enum load_error kind, const char *error)
{
    c->kind = kind;
    c->error = error;
    return -1;
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
static int push_container(struct conv *c, PyObject *o, enum conv_kind kind,
                          struct value **out)
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
    map_add(c, o, v);
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

/* conv_one - convert o: scalars at once, containers as a new node whose
 * frame is pushed (filled later), or the node already made for o */
static int conv_one(struct conv *c, PyObject *o, struct value **out)
{
    PyTypeObject *t = Py_TYPE(o);

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
        struct conv_entry *e = c->map_cap > 0 ? map_find(c, o) : NULL;
        if (e != NULL && e->key != NULL) {
            if (e->busy) {
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
                              : t == &PyTuple_Type ? K_TUPLE : K_INST, out);
    }
    if (count_object(c) < 0) {
        return -1;
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

/* frame_done - pop the top frame; its object is no longer in progress */
static void frame_done(struct conv *c)
{
    struct conv_frame *f = &c->frames[--c->nframes];

    map_find(c, f->obj)->busy = 0;
}

/* frame_step - convert the next child of the top frame */
static int frame_step(struct conv *c)
{
    struct conv_frame *f = &c->frames[c->nframes - 1];
    struct value *parent = f->val;
    struct value *child = NULL;
    PyObject *o = NULL;
    PyObject *key = NULL;
    PyObject *dict = NULL;
    size_t n;

    switch (f->kind) {
    case K_LIST:
    case K_TUPLE:
        if (f->kind == K_LIST ? f->pos >= PyList_GET_SIZE(f->obj)
                              : f->pos >= PyTuple_GET_SIZE(f->obj)) {
            frame_done(c);
            return 0;
        }
        o = f->kind == K_LIST ? PyList_GET_ITEM(f->obj, f->pos) : PyTuple_GET_ITEM(f->obj, f->pos);
        f->pos++;
        if (conv_one(c, o, &child) < 0) {
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
            if (conv_one(c, o, &child) < 0) {
                return -1;
            }
            parent->u.dict.items[n].val = child;
            child->refs++;
            parent->u.dict.len = n + 1;
            return 0;
        }
        if (n >= parent->u.dict.cap || !PyDict_Next(f->obj, &f->pos, &key, &o)) {
            frame_done(c);
            return 0;
        }
        f->pending = o;
        if (conv_one(c, key, &child) < 0) {
            return -1;
        }
        parent->u.dict.items[n].key = child;
        child->refs++;
        return 0;
    case K_INST:
        if (f->pos > 0) {
            frame_done(c);
            return 0;
        }
        f->pos = 1;
        dict = PyObject_GetAttrString(f->obj, "__dict__");
        if (dict == NULL || !PyDict_CheckExact(dict)) {
            Py_XDECREF(dict);
            PyErr_Clear();
            return conv_fail(c, LOAD_INTERNAL, "a stub instance without a __dict__");
        }
        /* the instance keeps its __dict__ alive */
        Py_DECREF(dict);
        if (conv_one(c, dict, &child) < 0) {
            return -1;
        }
        value_set_state(parent, child);
        return 0;
    }
    return 0;
}

/* convert - the value tree of root */
static int convert(PyObject *root, const struct load_limits *limits,
                   struct value_arena *arena, struct value **root_r, size_t *objects_r,
                   enum load_error *kind_r, const char **error_r)
{
    struct conv c;
    int ret = -1;

    memset(&c, 0, sizeof(c));
    c.arena = arena;
    c.lim = load_limits_resolve(limits);
    if (conv_one(&c, root, root_r) < 0) {
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
    *objects_r = c.objects;
    free(c.map);
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
    struct load_limits lim = load_limits_resolve(limits);
    struct pickleops_info ops;
    struct precheck ck;
    const char *lex_error = NULL;
    PyObject *bytes = NULL;
    PyObject *obj = NULL;
    size_t objects = 0;
    int pc;
    int ret = -1;

    *root_r = NULL;
    *kind_r = LOAD_OK;
    if (info_r != NULL) {
        info_r->protocol = 0;
        info_r->objects = 0;
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
    if (convert(obj, &lim, arena, root_r, &objects, kind_r, error_r) < 0) {
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
    if (info_r != NULL) {
        info_r->protocol = ops.protocol;
        info_r->objects = objects;
    }
    return ret;
}

/* read_file - the whole file, at most max_bytes */
static int read_file(const char *path, size_t max_bytes, struct strbuf *sb,
                     enum load_error *kind_r, const char **error_r)
{
    struct stat st;
    int fd = -1;
    int ret = -1;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        *kind_r = errno == ENOENT || errno == ENOTDIR ? LOAD_MISSING : LOAD_IO;
        *error_r = errstr("%s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) < 0) {
        *kind_r = LOAD_IO;
        *error_r = errstr("%s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        *kind_r = LOAD_IO;
        *error_r = errstr("%s: not a regular file", path);
        goto out;
    }
    if ((uintmax_t)st.st_size > (uintmax_t)max_bytes) {
        *kind_r = LOAD_LIMIT;
        *error_r = errstr("%s: %jd bytes is larger than the limit of %zu bytes", path,
                          (intmax_t)st.st_size, max_bytes);
        goto out;
    }
    /* room for the file and one byte more, to see the end without growing */
    strbuf_grow(sb, (size_t)st.st_size + 1);
    for (;;) {
        ssize_t n;

        if (sb->cap - sb->len < 2) {
            strbuf_grow(sb, 65536);
        }
        n = read(fd, sb->buf + sb->len, sb->cap - sb->len - 1);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            *kind_r = LOAD_IO;
            *error_r = errstr("%s: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0) {
            break;
        }
        sb->len += (size_t)n;
        sb->buf[sb->len] = '\0';
        if (sb->len > max_bytes) {
            *kind_r = LOAD_LIMIT;
            *error_r = errstr("%s: larger than the limit of %zu bytes", path, max_bytes);
            goto out;
        }
    }
    ret = 0;
out:
    close(fd);
    return ret;
}

/* pyload_unpickle_file - read a file and unpickle it */
int pyload_unpickle_file(const char *path, const struct load_limits *limits,
                         struct value_arena *arena, struct value **root_r,
                         struct pyload_info *info_r, enum load_error *kind_r,
                         const char **error_r)
{
    struct load_limits lim = load_limits_resolve(limits);
    const char *err = NULL;
    int ret = -1;

    *root_r = NULL;
    if (info_r != NULL) {
        info_r->protocol = 0;
        info_r->objects = 0;
    }
    strbuf_reset(&file_buf);
    if (read_file(path, lim.max_bytes, &file_buf, kind_r, error_r) < 0) {
        goto out;
    }
    if (pyload_unpickle(file_buf.buf != NULL ? file_buf.buf : "", file_buf.len, &lim, arena,
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

/* pyload_call - mmfix.<module>.<func>(arg) as a value tree */
int pyload_call(const char *module, const char *func, const char *arg,
                struct value_arena *arena, struct value **result_r, const char **error_r)
{
    PyObject *mod = NULL;
    PyObject *fn = NULL;
    PyObject *parg = NULL;
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
    if (parg == NULL) {
        *error_r = errstr("%s.%s: %s", modname, func, py_error("argument", NULL));
        goto out;
    }
    res = PyObject_CallOneArg(fn, parg);
    if (res == NULL) {
        *error_r = errstr("%s.%s: %s", modname, func, py_error("call", NULL));
        goto out;
    }
    if (convert(res, NULL, arena, result_r, &objects, &kind, &err) < 0) {
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
    Py_XDECREF(parg);
    Py_XDECREF(fn);
    Py_XDECREF(mod);
    return ret;
}
