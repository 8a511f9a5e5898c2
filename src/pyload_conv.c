/*
 * pyload_conv - Python objects to value trees (behind the pyload boundary)
 *
 * DESCRIPTION
 *  One of the two files that include Python.h, both named pyload*: pyload.c
 *  owns the interpreter and calls into it, this one only reads the objects
 *  it returns. An iterative converter turns them into a value tree.
 *
 *  It keeps sharing: every dict, list, tuple and stub instance is looked up
 *  by its address in a ptrmap, so an object the pickle referenced twice
 *  becomes one struct value with refs == 2. It enforces max_depth and
 *  max_objects, refuses reference cycles (nothing downstream could print or
 *  compare them) and calls no Python code per item.
 *
 *  Given the opcode shadow (pickleplay_replay), it walks it in lock step
 *  with the Python objects to fill value->memo (the memo index each object
 *  was PUT at), VALUE_FLAG_PYLONG, and the sharing of memoized strings,
 *  which Python's object identity cannot tell (b'' and 1-byte bytes are
 *  cached singletons). Every step is checked against the Python objects
 *  (type, identity of containers, equality of strings); on any disagreement
 *  it fails with *sh_lost_r set and the caller converts again without the
 *  shadow, so values never depend on it.
 *
 * SECURITY
 *  The objects come from the restricted unpickler; depth, count and cycles
 *  are bounded here. Python errors are fetched and cleared
 *  (pyload_py_error), never printed.
 */
#include "pyload_conv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mmfix/errstr.h"
#include "mmfix/pickleplay.h"
#include "mmfix/ptrmap.h"
#include "mmfix/xalloc.h"

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
    uint32_t sid;        /* its shadow node (PICKLEPLAY_NIL without a shadow) */
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
    struct pickleplay *sh;  /* the lock-step replay, or NULL */
    PyObject *const *stubs; /* the stub classes, in pickleplay_allowed order */
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
 * PICKLEPLAY_NIL when there is no shadow */
static int sh_next_kid(struct conv *c, uint32_t sid, uint32_t *kid_r)
{
    *kid_r = PICKLEPLAY_NIL;
    if (c->sh == NULL) {
        return 0;
    }
    return pickleplay_next_kid(c->sh, sid, kid_r) < 0 ? sh_lost(c) : 0;
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
        for (i = 0; i < PICKLEPLAY_N_ALLOWED; i++) {
            if ((PyObject *)Py_TYPE(o) == c->stubs[i]) {
                break;
            }
        }
        v = value_new_instance(c->arena, pickleplay_allowed[i], NULL);
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
    if (c->sh != NULL && sid != PICKLEPLAY_NIL) {
        c->sh->nodes[sid].busy = 1;
        c->sh->nodes[sid].val = v;
        c->sh->nodes[sid].obj = o;
        v->memo = c->sh->nodes[sid].memo;
    }
    *out = v;
    return 0;
}

/* is_stub - o is an instance of one of the stub classes */
static int is_stub(const struct conv *c, PyObject *o)
{
    size_t i;

    for (i = 0; i < PICKLEPLAY_N_ALLOWED; i++) {
        if ((PyObject *)Py_TYPE(o) == c->stubs[i]) {
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
        return conv_fail(c, LOAD_CORRUPT, pyload_py_error("unicode string", NULL));
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
        return conv_fail(c, LOAD_LIMIT, pyload_py_error("integer too large", NULL));
    }
    *out = value_new_long(c->arena, digits);
    Py_DECREF(str);
    if (*out == NULL) {
        return conv_fail(c, LOAD_INTERNAL, errstr("integer %.40s... is not decimal", digits));
    }
    return 0;
}

/* sh_kind_fits - the Python object o can come from a shadow node of kind */
static int sh_kind_fits(const struct conv *c, enum pickleplay_kind kind, PyObject *o)
{
    PyTypeObject *t = Py_TYPE(o);

    switch (kind) {
    case PICKLEPLAY_INTOP:
        return t == &PyLong_Type || t == &PyBool_Type;
    case PICKLEPLAY_INT:
    case PICKLEPLAY_LONG:
        return t == &PyLong_Type;
    case PICKLEPLAY_BOOL:
        return t == &PyBool_Type;
    case PICKLEPLAY_FLOAT:
        return t == &PyFloat_Type;
    case PICKLEPLAY_NONE:
        return o == Py_None;
    case PICKLEPLAY_BYTES:
        return t == &PyBytes_Type;
    case PICKLEPLAY_TEXT:
        return t == &PyUnicode_Type;
    case PICKLEPLAY_TUPLE:
        return t == &PyTuple_Type;
    case PICKLEPLAY_LIST:
        return t == &PyList_Type;
    case PICKLEPLAY_DICT:
        return t == &PyDict_Type;
    case PICKLEPLAY_INST:
        return is_stub(c, o);
    case PICKLEPLAY_CLASS:
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
static int conv_kind_of(const struct conv *c, PyObject *o)
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
    if (is_stub(c, o)) {
        return K_INST;
    }
    return -1;
}

/* conv_one_shadow - conv_one in lock step with shadow node sid */
static int conv_one_shadow(struct conv *c, PyObject *o, uint32_t sid, struct value **out)
{
    struct pickleplay_node *n = &c->sh->nodes[sid];
    int kind = conv_kind_of(c, o);
    struct ptrmap_entry *e = NULL;

    if (!sh_kind_fits(c, (enum pickleplay_kind)n->kind, o)) {
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
    if (n->kind == PICKLEPLAY_LONG) {
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
    if (t == &PyDict_Type || t == &PyList_Type || t == &PyTuple_Type || is_stub(c, o)) {
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
                              : t == &PyTuple_Type ? K_TUPLE : K_INST, PICKLEPLAY_NIL, 1, out);
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
    if (c->sh != NULL && f->sid != PICKLEPLAY_NIL) {
        struct pickleplay_node *n = &c->sh->nodes[f->sid];

        n->busy = 0;
        if (f->kind != K_INST && n->cursor != PICKLEPLAY_NIL) {
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
    uint32_t state = PICKLEPLAY_NIL;
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
        if (state == PICKLEPLAY_NIL) {
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
    if (conv_one(c, dict, PICKLEPLAY_NIL, &child) < 0) {
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
    uint32_t kid = PICKLEPLAY_NIL;
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

/* pyload_conv_tree - the value tree of root */
int pyload_conv_tree(PyObject *root, PyObject *const *stubs, const struct load_limits *limits,
                     struct pickleplay *sh, struct value_arena *arena, struct value **root_r,
                     size_t *objects_r, int *sh_lost_r, enum load_error *kind_r,
                     const char **error_r)
{
    struct conv c;
    int ret = -1;

    memset(&c, 0, sizeof(c));
    c.arena = arena;
    c.lim = load_limits_resolve(limits);
    c.sh = sh;
    c.stubs = stubs;
    if (conv_one(&c, root, sh != NULL ? sh->root : PICKLEPLAY_NIL, root_r) < 0) {
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
