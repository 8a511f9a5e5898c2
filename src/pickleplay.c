/*
 * pickleplay - a Mailman pickle played in C: the opcode check and the replay
 *
 * DESCRIPTION
 *  pickleplay_check() walks the opcodes (pickleops) and refuses, before any
 *  Python runs, globals other than the three allowed Mailman classes, every
 *  opcode that calls an object (REDUCE, NEWOBJ, NEWOBJ_EX, STACK_GLOBAL),
 *  persistent ids, extension codes, opcodes newer than protocol 2 and memo
 *  indices out of all proportion to the opcode count.
 *
 *  pickleplay_replay() replays the opcodes into the object graph they
 *  describe, without making any object: every opcode that makes an object
 *  makes a node, containers collect their children in the order an
 *  unpickler adds them, PUT records its memo index on the node on top of
 *  the stack and GET pushes that node again. pyload's converter walks this
 *  graph in lock step with the Python objects to learn what Python's object
 *  identity cannot tell: memo indices, Python 2 longs, shared strings.
 *
 * SECURITY
 *  Reads untrusted pickles, without Python. Every stack and memo access is
 *  checked, memo indices are bounded (PICKLEPLAY_MAX_MEMO), and the graph's
 *  size by the caller's max_nodes; what the replay cannot follow makes it
 *  fail, never guess.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mmfix/errstr.h"
#include "mmfix/pickleops.h"
#include "mmfix/pickleplay.h"
#include "mmfix/xalloc.h"

const char *const pickleplay_allowed[PICKLEPLAY_N_ALLOWED] = {
    "Mailman.Bouncer._BounceInfo",
    "Mailman.UserDesc.UserDesc",
    "Mailman.Message.Message",
};

#define ALLOWED_TEXT \
    "only Mailman.Bouncer._BounceInfo, Mailman.UserDesc.UserDesc, Mailman.Message.Message"


/* ---------------------------------------------------------------------- */
/* the opcode check */

/* plain_decimal - a PUT/GET argument as Python 2 writes it: decimal digits only. Python's
 * unpickler reads more (int(): blanks around it, a sign, underscores), which would let an
 * index this check misread make the memo table huge. */
static int plain_decimal(const unsigned char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }
    return n > 0;
}

/* memo_index - the decimal argument of PUT (plain_decimal), saturating */
static size_t memo_index(const unsigned char *s, size_t n)
{
    size_t v = 0;
    size_t i;

    for (i = 0; i < n; i++) {
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

    for (i = 0; i < PICKLEPLAY_N_ALLOWED; i++) {
        const char *g = pickleplay_allowed[i];
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

/* check_token - the check of one token: 0 to go on, 1 refused (ck->kind, error_r), 2 at
 * STOP (the pickle may be unpickled). *proto carries the protocol from token to token. */
static int check_token(const struct pickleops_token *tok, struct pickleops_info *info_r,
                       struct pickleplay_check *ck, int *proto, const char **error_r)
{
    unsigned char code;

    info_r->opcodes++;
    code = tok->op->code;
    *proto = tok->op->protocol;
    if (code == PICKLEOP_PROTO && (int)tok->num > *proto) {
        *proto = tok->num > PICKLEOPS_HIGHEST_PROTOCOL ? 99 : (int)tok->num;
    }
    if (*proto > info_r->protocol) {
        info_r->protocol = *proto;
    }
    switch (code) {
    case PICKLEOP_STOP:
        info_r->stop_offset = tok->offset;
        return 2;
    case PICKLEOP_GLOBAL:
    case PICKLEOP_INST:
        if (!global_allowed(tok->arg, tok->arg_len)) {
            const unsigned char *nl = memchr(tok->arg, '\n', tok->arg_len);
            size_t mlen = nl != NULL ? (size_t)(nl - tok->arg) : tok->arg_len;
            int ml = mlen > 100 ? 100 : (int)mlen;
            size_t nlen = tok->arg_len - mlen - (nl != NULL ? 1 : 0);
            int nl_ = nlen > 100 ? 100 : (int)nlen;
            ck->kind = LOAD_REFUSED;
            *error_r = errstr("refused: global %.*s.%.*s is not allowed (" ALLOWED_TEXT ")",
                              ml, (const char *)tok->arg, nl_,
                              (const char *)tok->arg + tok->arg_len - nlen);
            return 1;
        }
        break;
    case PICKLEOP_REDUCE:
    case PICKLEOP_NEWOBJ:
    case PICKLEOP_NEWOBJ_EX:
    case PICKLEOP_STACK_GLOBAL:
        ck->kind = LOAD_REFUSED;
        *error_r = errstr("refused: opcode %s at offset %zu is not allowed (it calls or "
                          "imports an object)", tok->op->name, tok->offset);
        return 1;
    case PICKLEOP_EXT1:
    case PICKLEOP_EXT2:
    case PICKLEOP_EXT4:
        ck->kind = LOAD_REFUSED;
        *error_r = errstr("refused: extension code opcode %s at offset %zu is not allowed",
                          tok->op->name, tok->offset);
        return 1;
    case PICKLEOP_PERSID:
    case PICKLEOP_BINPERSID:
        ck->kind = LOAD_REFUSED;
        *error_r = errstr("refused: persistent id opcode %s at offset %zu is not allowed",
                          tok->op->name, tok->offset);
        return 1;
    case PICKLEOP_PUT:
    case PICKLEOP_GET:
        if (!plain_decimal(tok->arg, tok->arg_len)) {
            ck->kind = LOAD_CORRUPT;
            *error_r = errstr("%s at offset %zu: its memo index is not plain decimal "
                              "digits", tok->op->name, tok->offset);
            return 1;
        }
        if (code == PICKLEOP_PUT && memo_index(tok->arg, tok->arg_len) > ck->max_memo) {
            ck->max_memo = memo_index(tok->arg, tok->arg_len);
        }
        break;
    case PICKLEOP_BINPUT:
    case PICKLEOP_LONG_BINPUT:
        if (tok->num > ck->max_memo) {
            ck->max_memo = (size_t)tok->num;
        }
        break;
    default:
        break;
    }
    if (*proto > 2) {
        ck->kind = LOAD_CORRUPT;
        if (code == PICKLEOP_PROTO) {
            *error_r = errstr("pickle protocol %d: not a Python 2 pickle (Mailman writes "
                              "protocols 0 to 2)", *proto == 99 ? (int)tok->num : *proto);
        } else {
            *error_r = errstr("opcode %s (protocol %d) at offset %zu: not a Python 2 pickle",
                              tok->op->name, *proto, tok->offset);
        }
        return 1;
    }
    /* Python 2 numbers memo entries 0, 1, 2, ...: an index far beyond
     * the number of opcodes only serves to make the unpickler's memo
     * table huge */
    if (ck->max_memo > 2 * info_r->opcodes + 1024) {
        ck->kind = LOAD_LIMIT;
        *error_r = errstr("memo index %zu at offset %zu is out of range (limit)",
                          ck->max_memo, tok->offset);
        return 1;
    }
    return 0;
}

/* lex_failed - the check's verdict on opcodes that stopped lexing at pos: a newer opcode
 * the unpickler must not see either (1, refused), else -1 */
static int lex_failed(const void *data, size_t len, size_t pos, struct pickleplay_check *ck,
                      const char **error_r)
{
    const struct pickleop *op = pos < len ? pickleops_lookup(((const unsigned char *)data)[pos])
                                          : NULL;

    /* the unpickler must not see a broken newer opcode either: it would allocate what its
     * length says before reading */
    if (op != NULL && op->protocol > 2) {
        ck->kind = LOAD_CORRUPT;
        *error_r = errstr("opcode %s (protocol %d) at offset %zu: not a Python 2 pickle",
                          op->name, op->protocol, pos);
        return 1;
    }
    return -1;
}

/* pickleplay_check - walk the opcodes; refuse what may call code, is not
 * Python 2 or would make the unpickler allocate without bound. Returns 0
 * when the pickle may be unpickled, 1 when refused (ck->kind, error_r), -1
 * when the opcodes do not lex (error_r; info_r covers what came before). */
int pickleplay_check(const void *data, size_t len, struct pickleops_info *info_r,
                     struct pickleplay_check *ck, const char **error_r)
{
    return pickleplay_check_replay(data, len, 0, info_r, ck, NULL, NULL, error_r);
}

/* ---------------------------------------------------------------------- */
/* the replay: the pickle's object graph from its opcodes alone
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

/* the largest memo index the shadow follows (the precheck bounds it too) */
#define PICKLEPLAY_MAX_MEMO ((size_t)1 << 26)

/* pickleplay_free - release the graph's arrays */
void pickleplay_free(struct pickleplay *sh)
{
    free(sh->nodes);
    free(sh->links);
    free(sh->stack);
    free(sh->marks);
    free(sh->memo);
    memset(sh, 0, sizeof(*sh));
}

/* sh_new - a new node of kind; its id */
static uint32_t sh_new(struct pickleplay *sh, enum pickleplay_kind kind)
{
    struct pickleplay_node *n = NULL;

    if (sh->n_nodes == sh->cap_nodes) {
        sh->cap_nodes = sh->cap_nodes == 0 ? 256 : sh->cap_nodes * 2;
        sh->nodes = xreallocarray(sh->nodes, sh->cap_nodes, sizeof(*sh->nodes));
    }
    n = &sh->nodes[sh->n_nodes];
    memset(n, 0, sizeof(*n));
    n->kind = (uint8_t)kind;
    n->head = PICKLEPLAY_NIL;
    n->tail = PICKLEPLAY_NIL;
    n->cursor = PICKLEPLAY_NIL;
    n->state = PICKLEPLAY_NIL;
    return (uint32_t)sh->n_nodes++;
}

/* sh_add_kid - append child kid to node id */
static void sh_add_kid(struct pickleplay *sh, uint32_t id, uint32_t kid)
{
    struct pickleplay_node *n = &sh->nodes[id];
    uint32_t l;

    if (sh->n_links == sh->cap_links) {
        sh->cap_links = sh->cap_links == 0 ? 256 : sh->cap_links * 2;
        sh->links = xreallocarray(sh->links, sh->cap_links, sizeof(*sh->links));
    }
    l = (uint32_t)sh->n_links++;
    sh->links[l].node = kid;
    sh->links[l].next = PICKLEPLAY_NIL;
    if (n->tail == PICKLEPLAY_NIL) {
        n->head = l;
        n->cursor = l;
    } else {
        sh->links[n->tail].next = l;
    }
    n->tail = l;
    n->nkids++;
}

/* sh_push - push node id on the stack */
static void sh_push(struct pickleplay *sh, uint32_t id)
{
    if (sh->n_stack == sh->cap_stack) {
        sh->cap_stack = sh->cap_stack == 0 ? 64 : sh->cap_stack * 2;
        sh->stack = xreallocarray(sh->stack, sh->cap_stack, sizeof(*sh->stack));
    }
    sh->stack[sh->n_stack++] = id;
}

/* sh_fence - stack length at the innermost mark (0 without marks) */
static size_t sh_fence(const struct pickleplay *sh)
{
    return sh->n_marks > 0 ? sh->marks[sh->n_marks - 1] : 0;
}

/* sh_pop - pop the top node above the fence into *id_r; -1 if none */
static int sh_pop(struct pickleplay *sh, uint32_t *id_r)
{
    if (sh->n_stack <= sh_fence(sh)) {
        return -1;
    }
    *id_r = sh->stack[--sh->n_stack];
    return 0;
}

/* sh_pop_mark - the stack position of the innermost mark, removed; -1 if none */
static int sh_pop_mark(struct pickleplay *sh, size_t *pos_r)
{
    if (sh->n_marks == 0 || sh->marks[sh->n_marks - 1] > sh->n_stack) {
        return -1;
    }
    *pos_r = sh->marks[--sh->n_marks];
    return 0;
}

/* sh_top - the node on top of the stack (above the fence); -1 if none */
static int sh_top(const struct pickleplay *sh, uint32_t *id_r)
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
static int sh_put(struct pickleplay *sh, size_t idx)
{
    uint32_t top;

    if (idx >= PICKLEPLAY_MAX_MEMO || sh_top(sh, &top) < 0) {
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
static int sh_get(struct pickleplay *sh, size_t idx)
{
    if (idx >= sh->cap_memo || sh->memo[idx] == PICKLEPLAY_NIL) {
        return -1;
    }
    sh_push(sh, sh->memo[idx]);
    return 0;
}

/* sh_collect - pop everything above the innermost mark (and the mark) into
 * a new node of kind; pairs: the count must be even */
static int sh_collect(struct pickleplay *sh, enum pickleplay_kind kind, int pairs, uint32_t *id_r)
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
static int sh_extend(struct pickleplay *sh, enum pickleplay_kind kind)
{
    size_t pos;
    size_t i;
    uint32_t target;

    if (sh_pop_mark(sh, &pos) < 0 || pos <= sh_fence(sh) || pos == 0) {
        return -1;
    }
    target = sh->stack[pos - 1];
    if (sh->nodes[target].kind != kind
        || (kind == PICKLEPLAY_DICT && (sh->n_stack - pos) % 2 != 0)) {
        return -1;
    }
    for (i = pos; i < sh->n_stack; i++) {
        sh_add_kid(sh, target, sh->stack[i]);
    }
    sh->n_stack = pos;
    return 0;
}

/* sh_step - replay one opcode; -1 when the shadow cannot follow */
static int sh_step(struct pickleplay *sh, const struct pickleops_token *tok)
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
        sh_push(sh, sh_new(sh, PICKLEPLAY_INTOP));
        return 0;
    case PICKLEOP_BININT:
    case PICKLEOP_BININT1:
    case PICKLEOP_BININT2:
        sh_push(sh, sh_new(sh, PICKLEPLAY_INT));
        return 0;
    case PICKLEOP_LONG:
    case PICKLEOP_LONG1:
    case PICKLEOP_LONG4:
        sh_push(sh, sh_new(sh, PICKLEPLAY_LONG));
        return 0;
    case PICKLEOP_NEWTRUE:
    case PICKLEOP_NEWFALSE:
        sh_push(sh, sh_new(sh, PICKLEPLAY_BOOL));
        return 0;
    case PICKLEOP_FLOAT:
    case PICKLEOP_BINFLOAT:
        sh_push(sh, sh_new(sh, PICKLEPLAY_FLOAT));
        return 0;
    case PICKLEOP_NONE:
        sh_push(sh, sh_new(sh, PICKLEPLAY_NONE));
        return 0;
    case PICKLEOP_STRING:
    case PICKLEOP_BINSTRING:
    case PICKLEOP_SHORT_BINSTRING:
        sh_push(sh, sh_new(sh, PICKLEPLAY_BYTES));
        return 0;
    case PICKLEOP_UNICODE:
    case PICKLEOP_BINUNICODE:
        sh_push(sh, sh_new(sh, PICKLEPLAY_TEXT));
        return 0;
    case PICKLEOP_EMPTY_TUPLE:
        sh_push(sh, sh_new(sh, PICKLEPLAY_TUPLE));
        return 0;
    case PICKLEOP_EMPTY_LIST:
        sh_push(sh, sh_new(sh, PICKLEPLAY_LIST));
        return 0;
    case PICKLEOP_EMPTY_DICT:
        sh_push(sh, sh_new(sh, PICKLEPLAY_DICT));
        return 0;
    case PICKLEOP_TUPLE:
        if (sh_collect(sh, PICKLEPLAY_TUPLE, 0, &id) < 0) {
            return -1;
        }
        sh_push(sh, id);
        return 0;
    case PICKLEOP_LIST:
        if (sh_collect(sh, PICKLEPLAY_LIST, 0, &id) < 0) {
            return -1;
        }
        sh_push(sh, id);
        return 0;
    case PICKLEOP_DICT:
        if (sh_collect(sh, PICKLEPLAY_DICT, 1, &id) < 0) {
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
        id = sh_new(sh, PICKLEPLAY_TUPLE);
        for (pos = sh->n_stack - i; pos < sh->n_stack; pos++) {
            sh_add_kid(sh, id, sh->stack[pos]);
        }
        sh->n_stack -= i;
        sh_push(sh, id);
        return 0;
    case PICKLEOP_APPEND:
        if (sh_pop(sh, &a) < 0 || sh_top(sh, &id) < 0 || sh->nodes[id].kind != PICKLEPLAY_LIST) {
            return -1;
        }
        sh_add_kid(sh, id, a);
        return 0;
    case PICKLEOP_APPENDS:
        return sh_extend(sh, PICKLEPLAY_LIST);
    case PICKLEOP_SETITEM:
        if (sh_pop(sh, &b) < 0 || sh_pop(sh, &a) < 0 || sh_top(sh, &id) < 0
            || sh->nodes[id].kind != PICKLEPLAY_DICT) {
            return -1;
        }
        sh_add_kid(sh, id, a);
        sh_add_kid(sh, id, b);
        return 0;
    case PICKLEOP_SETITEMS:
        return sh_extend(sh, PICKLEPLAY_DICT);
    case PICKLEOP_GLOBAL:
        sh_push(sh, sh_new(sh, PICKLEPLAY_CLASS));
        return 0;
    case PICKLEOP_INST:
        /* MARK INST: the stubs take no arguments */
        if (sh_pop_mark(sh, &pos) < 0 || pos != sh->n_stack) {
            return -1;
        }
        sh_push(sh, sh_new(sh, PICKLEPLAY_INST));
        return 0;
    case PICKLEOP_OBJ:
        /* MARK class OBJ */
        if (sh_pop_mark(sh, &pos) < 0 || sh->n_stack != pos + 1
            || sh->nodes[sh->stack[pos]].kind != PICKLEPLAY_CLASS) {
            return -1;
        }
        sh->n_stack = pos;
        sh_push(sh, sh_new(sh, PICKLEPLAY_INST));
        return 0;
    case PICKLEOP_BUILD:
        if (sh_pop(sh, &a) < 0 || sh_top(sh, &id) < 0 || sh->nodes[id].kind != PICKLEPLAY_INST
            || sh->nodes[id].state != PICKLEPLAY_NIL || sh->nodes[a].kind != PICKLEPLAY_DICT) {
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

/* replay_token - one token into the graph: 1 at STOP, 0 to go on, -1 when the replay cannot
 * follow it or the graph would grow past max_nodes nodes or links (checked after each
 * opcode but STOP) */
static int replay_token(struct pickleplay *sh, const struct pickleops_token *tok,
                        size_t max_nodes)
{
    if (sh_step(sh, tok) < 0) {
        return -1;
    }
    if (tok->op->code == PICKLEOP_STOP) {
        return 1;
    }
    if (sh->n_nodes > max_nodes || sh->n_links > max_nodes || sh->n_nodes >= UINT32_MAX / 2
        || sh->n_links >= UINT32_MAX / 2) {
        return -1;
    }
    return 0;
}

/* pickleplay_replay - replay data's opcodes up to STOP; -1 when not
 * followed or when it would take more than max_nodes nodes */
int pickleplay_replay(const void *data, size_t len, size_t max_nodes, struct pickleplay *sh)
{
    struct pickleops_token tok;
    const char *err = NULL;
    size_t pos = 0;
    int rc = 0;

    memset(sh, 0, sizeof(*sh));
    sh->root = PICKLEPLAY_NIL;
    while (rc == 0) {
        if (pickleops_next(data, len, &pos, &tok, &err) < 0) {
            return -1;
        }
        rc = replay_token(sh, &tok, max_nodes);
    }
    return rc > 0 ? 0 : -1;
}

/* pickleplay_check_replay - see pickleplay.h */
int pickleplay_check_replay(const void *data, size_t len, size_t max_nodes,
                            struct pickleops_info *info_r, struct pickleplay_check *ck,
                            struct pickleplay *sh, int *replayed_r, const char **error_r)
{
    struct pickleops_token tok;
    size_t pos = 0;
    int proto = 0;
    bool replaying = sh != NULL;
    int rc;

    memset(info_r, 0, sizeof(*info_r));
    ck->max_memo = 0;
    ck->kind = LOAD_OK;
    if (sh != NULL) {
        memset(sh, 0, sizeof(*sh));
        sh->root = PICKLEPLAY_NIL;
        *replayed_r = 0;
    }
    for (;;) {
        if (pickleops_next(data, len, &pos, &tok, error_r) < 0) {
            rc = lex_failed(data, len, pos, ck, error_r);
            break;
        }
        rc = check_token(&tok, info_r, ck, &proto, error_r);
        if (rc == 1) {
            break;
        }
        /* the replay, as pickleplay_replay makes it, of the opcodes the check let by */
        if (replaying && replay_token(sh, &tok, max_nodes) < 0) {
            replaying = false;
        }
        if (rc == 2) {
            rc = 0;
            break;
        }
    }
    if (sh != NULL) {
        if (rc == 0 && replaying && sh->root != PICKLEPLAY_NIL) {
            *replayed_r = 1;
        } else {
            pickleplay_free(sh);
        }
    }
    return rc;
}

/* pickleplay_next_kid - the next child of node id by its cursor */
int pickleplay_next_kid(struct pickleplay *pp, uint32_t id, uint32_t *kid_r)
{
    struct pickleplay_node *n = &pp->nodes[id];

    if (n->cursor == PICKLEPLAY_NIL) {
        return -1;
    }
    *kid_r = pp->links[n->cursor].node;
    n->cursor = pp->links[n->cursor].next;
    return 0;
}
