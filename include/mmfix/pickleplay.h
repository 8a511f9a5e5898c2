#ifndef MMFIX_PICKLEPLAY_H
#define MMFIX_PICKLEPLAY_H

/*
 * A Mailman pickle played in C, without Python, on top of the pickleops
 * lexer: the check that decides whether the unpickler may see the bytes at
 * all, and the replay of the opcodes into the pickle's object graph (which
 * objects the file memoized, at which index, which integers were Python 2
 * longs, which children each container got in which order). Pure C: it is
 * tested and fuzzed without an interpreter. pyload runs the check before
 * any Python, and its converter walks the replayed graph in lock step with
 * the objects Python made.
 */

#include <stddef.h>
#include <stdint.h>

#include "mmfix/loaderr.h"
#include "mmfix/pickleops.h"
#include "mmfix/value.h"

/* The only globals a Mailman pickle may name (GLOBAL, INST), as
 * "module.Name"; pyload's stub classes come in this order. */
#define PICKLEPLAY_N_ALLOWED 3
extern const char *const pickleplay_allowed[PICKLEPLAY_N_ALLOWED];

/* What pickleplay_check found besides the opcode summary. */
struct pickleplay_check {
    size_t max_memo;       /* highest memo index put */
    enum load_error kind;  /* when refused: LOAD_REFUSED, LOAD_CORRUPT or LOAD_LIMIT */
};

/* pickleplay_check - walk the opcodes up to STOP; refuse what may call code
 * (REDUCE, NEWOBJ, NEWOBJ_EX, STACK_GLOBAL, a GLOBAL/INST not in
 * pickleplay_allowed, extension codes, persistent ids), what is not Python 2
 * (an opcode or PROTO above protocol 2) and memo indices far beyond the
 * opcode count (they only serve to make an unpickler allocate). Returns 0
 * when the pickle may be unpickled; 1 when refused (ck->kind, error_r);
 * -1 when the opcodes do not lex (error_r). *info_r covers the opcodes
 * walked (its protocol is the highest seen). */
int pickleplay_check(const void *data, size_t len, struct pickleops_info *info_r,
                     struct pickleplay_check *ck, const char **error_r);

/* ---------------------------------------------------------------------- */
/* the replayed object graph */

#define PICKLEPLAY_NIL UINT32_MAX

/* What opcode made a node. */
enum pickleplay_kind {
    PICKLEPLAY_INTOP,   /* INT: an int, or a bool for I00/I01 */
    PICKLEPLAY_INT,     /* BININT*: an int */
    PICKLEPLAY_LONG,    /* LONG, LONG1, LONG4: a Python 2 long */
    PICKLEPLAY_BOOL,    /* NEWTRUE, NEWFALSE */
    PICKLEPLAY_FLOAT,
    PICKLEPLAY_NONE,
    PICKLEPLAY_BYTES,   /* STRING, BINSTRING, SHORT_BINSTRING */
    PICKLEPLAY_TEXT,    /* UNICODE, BINUNICODE */
    PICKLEPLAY_TUPLE,
    PICKLEPLAY_LIST,
    PICKLEPLAY_DICT,
    PICKLEPLAY_INST,
    PICKLEPLAY_CLASS,   /* GLOBAL: not a tree node */
};

/* One object the opcodes make. kind, memo, head, tail, nkids and state are
 * the replay's; busy, cursor, val and obj are the walker's to use (cursor
 * starts at the first child link, see pickleplay_next_kid). */
struct pickleplay_node {
    uint8_t kind;         /* enum pickleplay_kind */
    uint8_t busy;         /* walker: its frame is on the walker's stack */
    uint32_t memo;        /* first memo index put + 1, 0 if none */
    uint32_t head;        /* first child link, PICKLEPLAY_NIL if none */
    uint32_t tail;        /* last child link */
    uint32_t cursor;      /* walker: next child link to take */
    uint32_t nkids;
    uint32_t state;       /* PICKLEPLAY_INST: node BUILD set, PICKLEPLAY_NIL if none */
    struct value *val;    /* walker: the tree node made for it */
    const void *obj;      /* walker: what it was made from (never dereferenced here) */
};

struct pickleplay_link {
    uint32_t node;
    uint32_t next;
};

/* The graph; root is the node on top of the stack at STOP. */
struct pickleplay {
    struct pickleplay_node *nodes;
    size_t n_nodes, cap_nodes;
    struct pickleplay_link *links;
    size_t n_links, cap_links;
    uint32_t *stack;
    size_t n_stack, cap_stack;
    size_t *marks;
    size_t n_marks, cap_marks;
    uint32_t *memo;       /* memo index -> node, PICKLEPLAY_NIL when unset */
    size_t cap_memo;
    uint32_t root;
};

/* pickleplay_replay - replay data's opcodes up to STOP into *pp (whose
 * previous contents are not freed). 0 on success (pp->root is set); -1
 * when the replay cannot follow the opcodes (a refused or newer opcode, a
 * stack or memo the opcodes misuse, no STOP) or would take more than
 * max_nodes nodes or links. Either way pickleplay_free releases *pp. */
int pickleplay_replay(const void *data, size_t len, size_t max_nodes, struct pickleplay *pp);

/* pickleplay_check_replay - pickleplay_check, whose result, *ck, *info_r and error_r it
 * gives exactly, and with sh (not NULL) the replay of pickleplay_replay(data, len,
 * max_nodes, sh) in the same pass over the opcodes (they are lexed once, not twice): when
 * the check returns 0 and the replay follows the opcodes to STOP, *replayed_r is 1 and sh
 * holds the graph (free it with pickleplay_free); else *replayed_r is 0 and sh is empty. */
int pickleplay_check_replay(const void *data, size_t len, size_t max_nodes,
                            struct pickleops_info *info_r, struct pickleplay_check *ck,
                            struct pickleplay *sh, int *replayed_r, const char **error_r);

/* pickleplay_next_kid - the next child of node id by its cursor, advanced;
 * -1 when it has no more */
int pickleplay_next_kid(struct pickleplay *pp, uint32_t id, uint32_t *kid_r);

/* pickleplay_free - release the graph's arrays; *pp is left empty */
void pickleplay_free(struct pickleplay *pp);

#endif
