/*
 * pickle - write a value tree as a Python 2 protocol-1 pickle
 *
 * DESCRIPTION
 *  Emits the opcodes Python 2.7's cPickle.dump(obj, f, 1) emits for the same
 *  data, so that re-encoding an unmodified file gives its bytes back:
 *
 *   dict      EMPTY_DICT [memo]; one item: key value SETITEM; more: batches
 *             of MARK key value ... SETITEMS of 1000 items, followed by one
 *             more batch, empty when the count is a multiple of 1000
 *             (cPickle 2.7's batch_dict_exact)
 *   list      EMPTY_LIST [memo]; batches MARK item ... APPENDS of 1000; a
 *             last lone item is item APPEND (cPickle's batch_list)
 *   tuple     EMPTY_TUPLE for (), never memoized; else MARK items TUPLE [memo]
 *   str       SHORT_BINSTRING (< 256 bytes) or BINSTRING
 *   unicode   BINUNICODE of the UTF-8
 *   int       BININT1 (0..255), BININT2 (256..65535), BININT (int32),
 *             INT "I%ld\n" beyond (a 64-bit Python 2 int)
 *   long      LONG "L<digits>L\n" (VALUE_LONG, or VALUE_INT flagged
 *             VALUE_FLAG_PYLONG)
 *   bool      INT "I01\n" / "I00\n";  float BINFLOAT;  None NONE
 *   instance  MARK GLOBAL "module\nname\n" [memo] OBJ [memo] state BUILD;
 *             the class is memoized at its first use and later instances
 *             refer to it with BINGET, as cPickle's save_inst/save_global do
 *
 *  Memo: cPickle memoizes an object only when its reference count is above
 *  one, which the tree cannot know; the source file's memo can (value->memo,
 *  from pyload_opts.keep_memo). A node is memoized when the source memoized
 *  it or when it is shared (refs > 1: without a memo entry its second
 *  occurrence would become a copy). Without any memo information in the
 *  tree, the writer memoizes what cPickle memoizes whatever the reference
 *  count (non-empty dicts and lists) plus shared nodes and instance states
 *  (an instance's __dict__ always has a second reference while it is saved).
 *  Indices are always handed out in write order, from 1 as cPickle's memo
 *  (from 0 if the source started at 0, as pickle.py does): when the source
 *  indices are dense and in write order, as every file cPickle wrote, this
 *  reproduces them exactly; when they are not (an edited tree), the result
 *  is a consistent renumbering and pickle_write_info.renumbered says so.
 *  A shared scalar that cPickle never memoizes (numbers, an empty tuple, a
 *  str of fewer than two characters without a source memo) is written again.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmfix/errstr.h"
#include "mmfix/pickle.h"
#include "mmfix/pickleops.h"
#include "mmfix/ptrmap.h"
#include "mmfix/xalloc.h"

#define PW_MAX_DEPTH 100000u

/* A node the writer has started (containers) or memoized (anything). */
/* The node map (ptrmap) of the writer: num is the node's memo index when
 * flags has PW_MEMOIZED; PW_BUSY while its frame is on the stack. */
#define PW_MEMOIZED 1u
#define PW_BUSY 2u

/* A memoized class: "module.Name" and its memo index. */
struct pw_class {
    const char *cls;
    uint32_t idx;
};

enum pw_phase { PW_ITEMS, PW_SINGLE, PW_END };

struct pw_frame {
    const struct value *v;
    size_t i;                  /* next item */
    size_t batch;              /* dict: current batch number */
    size_t in_batch;           /* items written in the open batch */
    size_t batch_size;         /* list: items of the open batch */
    int open;                  /* a MARK is open */
    int sub;                   /* dict: 0 key next, 1 value next */
    int single;                /* list/dict of a lone item: no MARK */
};

struct pw {
    struct strbuf *out;
    const struct value *root;
    struct ptrmap map;
    struct ptrmap_entry *by_memo;  /* the node map's entries of nodes found by their
                                    * source memo index (node_entry) */
    size_t cap_memo;
    struct pw_class *classes;
    size_t n_classes;
    struct pw_frame *frames;
    size_t n_frames;
    size_t cap_frames;
    int have_memo;             /* the tree carries source memo indices */
    int started;               /* the first memo index was handed out */
    uint32_t next_idx;
    struct pickle_write_info info;
    const char *error;
};

/* ---------------------------------------------------------------------- */
/* does the tree carry memo information? */

/* memoizable - a node the writer may memoize: as cPickle, never None, a bool, a number or
 * the empty tuple (a memo index such a node got from a hand-made pickle is not written) */
static int memoizable(const struct value *v)
{
    switch (v->type) {
    case VALUE_NONE:
    case VALUE_BOOL:
    case VALUE_INT:
    case VALUE_LONG:
    case VALUE_FLOAT:
        return 0;
    case VALUE_TUPLE:
        return v->u.seq.len != 0;
    default:
        return 1;
    }
}

/* tree_has_memo - some node of the tree that the writer may memoize has a source memo
 * index (one it never writes must not switch the writer to the source's numbering: the
 * bytes written would then load without it and be written differently) */
static int tree_has_memo(const struct value *root)
{
    struct ptrmap seen = PTRMAP_INIT;
    const struct value **stack = NULL;
    size_t n = 0;
    size_t cap = 0;
    int found = 0;

#define PW_PUSH(node)                                                        \
    do {                                                                     \
        const struct value *node_ = (node);                                  \
        if (node_ != NULL) {                                                 \
            if (n == cap) {                                                  \
                cap = cap == 0 ? 64 : cap * 2;                               \
                stack = xreallocarray(stack, cap, sizeof(*stack));           \
            }                                                                \
            stack[n++] = node_;                                              \
        }                                                                    \
    } while (0)

    PW_PUSH(root);
    while (n > 0 && !found) {
        const struct value *v = stack[--n];
        size_t i;

        if (v->memo != 0 && memoizable(v)) {
            found = 1;
            break;
        }
        if (v->refs > 1 || v == root) {
            /* met twice at most through sharing, or (the root) through a cycle */
            bool added = false;

            ptrmap_insert(&seen, v, &added);
            if (!added) {
                continue;
            }
        }
        switch (v->type) {
        case VALUE_TUPLE:
        case VALUE_LIST:
            for (i = 0; i < v->u.seq.len; i++) {
                PW_PUSH(v->u.seq.items[i]);
            }
            break;
        case VALUE_DICT:
            for (i = 0; i < v->u.dict.len; i++) {
                PW_PUSH(v->u.dict.items[i].key);
                PW_PUSH(v->u.dict.items[i].val);
            }
            break;
        case VALUE_INSTANCE:
            PW_PUSH(v->u.inst.state);
            break;
        default:
            break;
        }
    }
#undef PW_PUSH
    free(stack);
    ptrmap_release(&seen);
    return found;
}

/* ---------------------------------------------------------------------- */
/* opcodes */

/* put_u32le - n as 4 little-endian bytes */
static void put_u32le(struct strbuf *out, uint32_t n)
{
    char b[4];

    b[0] = (char)(n & 0xff);
    b[1] = (char)((n >> 8) & 0xff);
    b[2] = (char)((n >> 16) & 0xff);
    b[3] = (char)((n >> 24) & 0xff);
    strbuf_add(out, b, 4);
}

/* emit_memo_op - BINPUT/BINGET (index < 256) or LONG_BINPUT/LONG_BINGET */
static void emit_memo_op(struct pw *w, int get, uint32_t idx)
{
    if (idx < 256) {
        strbuf_addc(w->out, (char)(get ? PICKLEOP_BINGET : PICKLEOP_BINPUT));
        strbuf_addc(w->out, (char)idx);
    } else {
        strbuf_addc(w->out, (char)(get ? PICKLEOP_LONG_BINGET : PICKLEOP_LONG_BINPUT));
        put_u32le(w->out, idx);
    }
    if (get) {
        w->info.gets++;
    } else {
        w->info.puts++;
    }
}

/* next_index - the memo index for the next put; want is the source's
 * memo field of the node (0: none) */
static uint32_t next_index(struct pw *w, uint32_t want)
{
    uint32_t idx;

    if (!w->started) {
        /* cPickle numbers from 1; pickle.py from 0 */
        w->next_idx = want == 1 ? 0 : 1;
        w->started = 1;
    }
    idx = w->next_idx++;
    if (want != 0 && want - 1 != idx) {
        w->info.renumbered = 1;
    }
    return idx;
}

/* tracked - a node the walk can meet more than once, so the node map keeps it: a shared
 * one (refs > 1), or the root (met again only through a cycle). A node with one parent is
 * met once: looking it up would only miss. */
static int tracked(const struct pw *w, const struct value *v)
{
    return v->refs > 1 || v == w->root;
}

/* The node map, by memo index first: a node loaded with its file's memo (keep_memo) has a
 * memo index unique in its tree, so its entry sits at by_memo[v->memo], found without
 * hashing (a list of 100,000 members meets each shared address several times). A node
 * without one, one whose index another node holds already (a node from another tree), or
 * an index out of proportion, lives in the pointer map. */
#define PW_MEMO_DIRECT_MAX ((uint32_t)1 << 24)

/* node_entry - v's entry in the node map, made (zeroed) when add and not there yet; NULL
 * when not there and not add */
static struct ptrmap_entry *node_entry(struct pw *w, const struct value *v, bool add)
{
    uint32_t m = v->memo;

    if (m != 0 && m < PW_MEMO_DIRECT_MAX) {
        struct ptrmap_entry *e = NULL;
        if (m >= w->cap_memo) {
            size_t cap = w->cap_memo != 0 ? w->cap_memo : 1024;
            if (!add) {
                goto hashed;
            }
            while (cap <= m) {
                cap *= 2;
            }
            w->by_memo = xreallocarray(w->by_memo, cap, sizeof(*w->by_memo));
            memset(w->by_memo + w->cap_memo, 0, (cap - w->cap_memo) * sizeof(*w->by_memo));
            w->cap_memo = cap;
        }
        e = &w->by_memo[m];
        if (e->key == v) {
            return e;
        }
        if (e->key == NULL) {
            /* a free slot: v was never added (it would hold it, as slots stay taken) */
            if (!add) {
                return NULL;
            }
            e->key = v;
            return e;
        }
    }
hashed:
    return add ? ptrmap_insert(&w->map, v, NULL) : ptrmap_find(&w->map, v);
}

/* emit_put - memoize v now */
static void emit_put(struct pw *w, const struct value *v)
{
    uint32_t idx = next_index(w, v->memo);

    if (tracked(w, v)) {
        struct ptrmap_entry *e = node_entry(w, v, true);
        e->num = idx;
        e->flags |= PW_MEMOIZED;
    }
    emit_memo_op(w, 0, idx);
}

/* short_str - a str/unicode cPickle never memoizes (fewer than 2 chars) */
static int short_str(const struct value *v)
{
    size_t i;
    size_t chars = 0;

    if (v->type == VALUE_BYTES) {
        return v->u.str.len < 2;
    }
    if (v->type != VALUE_TEXT) {
        return 0;
    }
    /* code points of the UTF-8 (a narrow Python 2 build counts UTF-16
     * units; the difference only concerns one astral character) */
    for (i = 0; i < v->u.str.len && chars < 2; i++) {
        if ((v->u.str.data[i] & 0xc0) != 0x80) {
            chars++;
        }
    }
    return chars < 2;
}

/* want_memo - whether v gets a memo entry when written; is_state: it is an
 * instance's state */
static int want_memo(const struct pw *w, const struct value *v, int is_state)
{
    if (!memoizable(v)) {
        return 0;
    }
    if (v->memo != 0) {
        return 1;
    }
    if (v->refs > 1 && !short_str(v)) {
        return 1;
    }
    if (w->have_memo) {
        return 0;
    }
    if (v->type == VALUE_DICT) {
        return v->u.dict.len > 0 || is_state;
    }
    if (v->type == VALUE_LIST) {
        return v->u.seq.len > 0;
    }
    return 0;
}

/* emit_int - an int as cPickle's save_int (or a long) */
static void emit_int(struct pw *w, const struct value *v)
{
    int64_t i = v->u.i;

    if (v->flags & VALUE_FLAG_PYLONG) {
        strbuf_addf(w->out, "%c%lldL\n", PICKLEOP_LONG, (long long)i);
    } else if (i >= 0 && i <= 0xff) {
        strbuf_addc(w->out, (char)PICKLEOP_BININT1);
        strbuf_addc(w->out, (char)i);
    } else if (i >= 0 && i <= 0xffff) {
        strbuf_addc(w->out, (char)PICKLEOP_BININT2);
        strbuf_addc(w->out, (char)(i & 0xff));
        strbuf_addc(w->out, (char)((i >> 8) & 0xff));
    } else if (i >= INT32_MIN && i <= INT32_MAX) {
        strbuf_addc(w->out, (char)PICKLEOP_BININT);
        put_u32le(w->out, (uint32_t)i);
    } else {
        strbuf_addf(w->out, "%c%lld\n", PICKLEOP_INT, (long long)i);
    }
}

/* emit_float - BINFLOAT: the IEEE double, big-endian */
static void emit_float(struct pw *w, double d)
{
    uint64_t bits;
    char b[9];
    int k;

    memcpy(&bits, &d, sizeof(bits));
    b[0] = (char)PICKLEOP_BINFLOAT;
    for (k = 0; k < 8; k++) {
        b[1 + k] = (char)((bits >> (56 - 8 * k)) & 0xff);
    }
    strbuf_add(w->out, b, sizeof(b));
}

/* emit_str - SHORT_BINSTRING / BINSTRING / BINUNICODE */
static int emit_str(struct pw *w, const struct value *v)
{
    size_t len = v->u.str.len;

    if (len > INT32_MAX) {
        w->error = errstr("a %s of %zu bytes is too long to pickle",
                          value_type_name(v->type), len);
        return -1;
    }
    if (v->type == VALUE_TEXT) {
        strbuf_addc(w->out, (char)PICKLEOP_BINUNICODE);
        put_u32le(w->out, (uint32_t)len);
    } else if (len < 256) {
        strbuf_addc(w->out, (char)PICKLEOP_SHORT_BINSTRING);
        strbuf_addc(w->out, (char)len);
    } else {
        strbuf_addc(w->out, (char)PICKLEOP_BINSTRING);
        put_u32le(w->out, (uint32_t)len);
    }
    strbuf_add(w->out, v->u.str.data, len);
    return 0;
}

/* emit_class - GLOBAL "module\nname\n" and its memo, or BINGET of the class
 * already written */
static int emit_class(struct pw *w, const char *cls)
{
    const char *dot = cls != NULL ? strrchr(cls, '.') : NULL;
    size_t i;

    for (i = 0; i < w->n_classes; i++) {
        if (strcmp(w->classes[i].cls, cls) == 0) {
            emit_memo_op(w, 1, w->classes[i].idx);
            return 0;
        }
    }
    if (dot == NULL || dot == cls || dot[1] == '\0' || strchr(cls, '\n') != NULL) {
        w->error = errstr("instance class \"%.100s\" is not \"module.Name\"",
                          cls != NULL ? cls : "(null)");
        return -1;
    }
    strbuf_addc(w->out, (char)PICKLEOP_GLOBAL);
    strbuf_add(w->out, cls, (size_t)(dot - cls));
    strbuf_addc(w->out, '\n');
    strbuf_adds(w->out, dot + 1);
    strbuf_addc(w->out, '\n');
    w->classes = xreallocarray(w->classes, w->n_classes + 1, sizeof(*w->classes));
    w->classes[w->n_classes].cls = cls;
    /* cPickle memoizes the class: its reference count is never 1; the
     * source's index is not in the tree, next_index keeps the sequence */
    w->classes[w->n_classes].idx = next_index(w, 0);
    emit_memo_op(w, 0, w->classes[w->n_classes].idx);
    w->n_classes++;
    return 0;
}

/* push_frame - start writing the children of container v */
static int push_frame(struct pw *w, const struct value *v)
{
    struct pw_frame *f = NULL;

    if (w->n_frames >= PW_MAX_DEPTH) {
        w->error = errstr("nesting deeper than %u levels", PW_MAX_DEPTH);
        return -1;
    }
    if (w->n_frames == w->cap_frames) {
        w->cap_frames = w->cap_frames == 0 ? 32 : w->cap_frames * 2;
        w->frames = xreallocarray(w->frames, w->cap_frames, sizeof(*w->frames));
    }
    f = &w->frames[w->n_frames++];
    memset(f, 0, sizeof(*f));
    f->v = v;
    return 0;
}

/* write_value - write v: scalars at once, containers opened (a frame
 * pushed), a memoized node met again as BINGET. is_state: v is an
 * instance's state. */
static int write_value(struct pw *w, const struct value *v, int is_state)
{
    struct ptrmap_entry *e = NULL;

    if (v == NULL) {
        w->error = "a NULL node in the tree";
        return -1;
    }
    e = tracked(w, v) ? node_entry(w, v, false) : NULL;
    if (e != NULL) {
        if ((e->flags & (PW_MEMOIZED | PW_BUSY)) == PW_MEMOIZED) {
            emit_memo_op(w, 1, e->num);
            return 0;
        }
        if (e->flags & PW_BUSY) {
            w->error = "the tree holds a reference cycle (a container inside itself)";
            return -1;
        }
        /* written before without a memo entry: write it again */
    }
    switch (v->type) {
    case VALUE_NONE:
        strbuf_addc(w->out, (char)PICKLEOP_NONE);
        return 0;
    case VALUE_BOOL:
        strbuf_adds(w->out, v->u.b ? "I01\n" : "I00\n");
        return 0;
    case VALUE_INT:
        emit_int(w, v);
        return 0;
    case VALUE_LONG:
        strbuf_addf(w->out, "%c%sL\n", PICKLEOP_LONG, v->u.digits);
        return 0;
    case VALUE_FLOAT:
        emit_float(w, v->u.f);
        return 0;
    case VALUE_BYTES:
    case VALUE_TEXT:
        if (emit_str(w, v) < 0) {
            return -1;
        }
        if (want_memo(w, v, 0)) {
            emit_put(w, v);
        }
        return 0;
    case VALUE_TUPLE:
        if (v->u.seq.len == 0) {
            strbuf_addc(w->out, (char)PICKLEOP_EMPTY_TUPLE);
            return 0;
        }
        strbuf_addc(w->out, (char)PICKLEOP_MARK);
        break;
    case VALUE_LIST:
        strbuf_addc(w->out, (char)PICKLEOP_EMPTY_LIST);
        if (want_memo(w, v, 0)) {
            emit_put(w, v);
        }
        break;
    case VALUE_DICT:
        strbuf_addc(w->out, (char)PICKLEOP_EMPTY_DICT);
        if (want_memo(w, v, is_state)) {
            emit_put(w, v);
        }
        break;
    case VALUE_INSTANCE:
        strbuf_addc(w->out, (char)PICKLEOP_MARK);
        if (emit_class(w, v->u.inst.cls) < 0) {
            return -1;
        }
        strbuf_addc(w->out, (char)PICKLEOP_OBJ);
        if (want_memo(w, v, 0)) {
            emit_put(w, v);
        }
        break;
    default:
        w->error = errstr("a node of unknown type %d", (int)v->type);
        return -1;
    }
    if (tracked(w, v)) {
        node_entry(w, v, true)->flags |= PW_BUSY;
    }
    return push_frame(w, v);
}

/* frame_done - the top frame's container is complete */
static void frame_done(struct pw *w)
{
    struct pw_frame *f = &w->frames[--w->n_frames];
    struct ptrmap_entry *e = tracked(w, f->v) ? node_entry(w, f->v, false) : NULL;

    if (e != NULL) {
        e->flags &= ~PW_BUSY;
    }
}

/* step_list - next step of a list: batch_list of cPickle */
static int step_list(struct pw *w, struct pw_frame *f)
{
    const struct value *v = f->v;
    size_t n = v->u.seq.len;

    if (f->single) {
        strbuf_addc(w->out, (char)PICKLEOP_APPEND);
        frame_done(w);
        return 0;
    }
    if (!f->open) {
        size_t left = n - f->i;

        if (left == 0) {
            frame_done(w);
            return 0;
        }
        if (left == 1) {
            f->single = 1;
            return write_value(w, v->u.seq.items[f->i++], 0);
        }
        strbuf_addc(w->out, (char)PICKLEOP_MARK);
        f->open = 1;
        f->in_batch = 0;
        f->batch_size = left < PICKLE_BATCHSIZE ? left : PICKLE_BATCHSIZE;
        return 0;
    }
    if (f->in_batch == f->batch_size) {
        strbuf_addc(w->out, (char)PICKLEOP_APPENDS);
        f->open = 0;
        if (f->batch_size < PICKLE_BATCHSIZE) {
            frame_done(w);
        }
        return 0;
    }
    f->in_batch++;
    return write_value(w, v->u.seq.items[f->i++], 0);
}

/* step_dict - next step of a dict: batch_dict_exact of cPickle 2.7 */
static int step_dict(struct pw *w, struct pw_frame *f)
{
    const struct value *v = f->v;
    size_t n = v->u.dict.len;
    size_t batches = n / PICKLE_BATCHSIZE + 1;
    size_t size;

    if (n == 0) {
        frame_done(w);
        return 0;
    }
    if (n == 1) {
        if (f->sub == 0) {
            f->sub = 1;
            return write_value(w, v->u.dict.items[0].key, 0);
        }
        if (f->sub == 1) {
            f->sub = 2;
            return write_value(w, v->u.dict.items[0].val, 0);
        }
        strbuf_addc(w->out, (char)PICKLEOP_SETITEM);
        frame_done(w);
        return 0;
    }
    if (!f->open) {
        if (f->batch == batches) {
            frame_done(w);
            return 0;
        }
        strbuf_addc(w->out, (char)PICKLEOP_MARK);
        f->open = 1;
        f->in_batch = 0;
        return 0;
    }
    size = n - f->batch * PICKLE_BATCHSIZE;
    if (size > PICKLE_BATCHSIZE) {
        size = PICKLE_BATCHSIZE;
    }
    if (f->sub == 0 && f->in_batch == size) {
        strbuf_addc(w->out, (char)PICKLEOP_SETITEMS);
        f->open = 0;
        f->batch++;
        return 0;
    }
    if (f->sub == 0) {
        f->sub = 1;
        return write_value(w, v->u.dict.items[f->i].key, 0);
    }
    f->sub = 0;
    f->in_batch++;
    return write_value(w, v->u.dict.items[f->i++].val, 0);
}

/* step - advance the top frame by one child or closing opcode */
static int step(struct pw *w)
{
    struct pw_frame *f = &w->frames[w->n_frames - 1];
    const struct value *v = f->v;

    switch (v->type) {
    case VALUE_LIST:
        return step_list(w, f);
    case VALUE_DICT:
        return step_dict(w, f);
    case VALUE_TUPLE:
        if (f->i < v->u.seq.len) {
            return write_value(w, v->u.seq.items[f->i++], 0);
        }
        strbuf_addc(w->out, (char)PICKLEOP_TUPLE);
        frame_done(w);
        if (want_memo(w, v, 0)) {
            emit_put(w, v);
        }
        return 0;
    case VALUE_INSTANCE:
        if (f->i == 0) {
            f->i = 1;
            if (v->u.inst.state == NULL) {
                /* no state: the empty __dict__ cPickle would save */
                strbuf_addc(w->out, (char)PICKLEOP_EMPTY_DICT);
                if (!w->have_memo) {
                    emit_memo_op(w, 0, next_index(w, 0));
                }
                return 0;
            }
            return write_value(w, v->u.inst.state, 1);
        }
        strbuf_addc(w->out, (char)PICKLEOP_BUILD);
        frame_done(w);
        return 0;
    default:
        w->error = "internal: a frame for a scalar";
        return -1;
    }
}

/* pickle_write_ex - the pickle of root, with statistics */
int pickle_write_ex(struct strbuf *out, const struct value *root,
                    struct pickle_write_info *info_r, const char **error_r)
{
    struct pw w;
    size_t start = out->len;
    int ret = -1;

    memset(&w, 0, sizeof(w));
    w.out = out;
    w.root = root;
    w.have_memo = root != NULL && tree_has_memo(root);
    w.info.had_memo = w.have_memo;
    if (write_value(&w, root, 0) < 0) {
        goto out;
    }
    while (w.n_frames > 0) {
        if (step(&w) < 0) {
            goto out;
        }
    }
    strbuf_addc(out, (char)PICKLEOP_STOP);
    ret = 0;
out:
    if (ret < 0) {
        *error_r = w.error != NULL ? w.error : "cannot pickle the tree";
        out->len = start;
        if (out->buf != NULL) {
            out->buf[start] = '\0';
        }
    }
    if (info_r != NULL) {
        *info_r = w.info;
    }
    ptrmap_release(&w.map);
    free(w.by_memo);
    free(w.classes);
    free(w.frames);
    return ret;
}

/* pickle_write - the pickle of root */
int pickle_write(struct strbuf *out, const struct value *root, const char **error_r)
{
    return pickle_write_ex(out, root, NULL, error_r);
}
