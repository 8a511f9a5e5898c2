/*
 * pickleops - the pickle opcode table and a bounded lexer
 *
 * DESCRIPTION
 *  Every opcode of pickle protocols 0 to 5 with its name, byte, argument
 *  layout and the protocol that introduced it, as Python's pickletools
 *  documents them. pickleops_next() lexes one opcode; pickleops_scan() walks
 *  a whole pickle to its STOP in one pass and counts what a reader must
 *  look at before letting an unpickler near the data (GLOBAL, INST, REDUCE,
 *  NEWOBJ, EXT*, PERSID, opcodes newer than protocol 2). The highest
 *  protocol is computed as pickletools does, with PROTO n also counting n.
 *
 * SECURITY
 *  Reads untrusted bytes. Every read is checked against the length first;
 *  lengths from the data are compared with what remains, never added to a
 *  pointer before that. Nothing is allocated.
 */
#include <pthread.h>
#include <string.h>

#include "mmfix/errstr.h"
#include "mmfix/pickleops.h"

static const struct pickleop table[] = {
    /* protocol 0 */
    { "MARK", '(', PICKLEARG_NONE, 0 },
    { "STOP", '.', PICKLEARG_NONE, 0 },
    { "POP", '0', PICKLEARG_NONE, 0 },
    { "POP_MARK", '1', PICKLEARG_NONE, 1 },
    { "DUP", '2', PICKLEARG_NONE, 0 },
    { "FLOAT", 'F', PICKLEARG_LINE, 0 },
    { "INT", 'I', PICKLEARG_LINE, 0 },
    { "LONG", 'L', PICKLEARG_LINE, 0 },
    { "NONE", 'N', PICKLEARG_NONE, 0 },
    { "PERSID", 'P', PICKLEARG_LINE, 0 },
    { "REDUCE", 'R', PICKLEARG_NONE, 0 },
    { "STRING", 'S', PICKLEARG_LINE, 0 },
    { "UNICODE", 'V', PICKLEARG_LINE, 0 },
    { "APPEND", 'a', PICKLEARG_NONE, 0 },
    { "BUILD", 'b', PICKLEARG_NONE, 0 },
    { "GLOBAL", 'c', PICKLEARG_LINE2, 0 },
    { "DICT", 'd', PICKLEARG_NONE, 0 },
    { "GET", 'g', PICKLEARG_LINE, 0 },
    { "INST", 'i', PICKLEARG_LINE2, 0 },
    { "LIST", 'l', PICKLEARG_NONE, 0 },
    { "PUT", 'p', PICKLEARG_LINE, 0 },
    { "SETITEM", 's', PICKLEARG_NONE, 0 },
    { "TUPLE", 't', PICKLEARG_NONE, 0 },
    /* protocol 1 */
    { "BINFLOAT", 'G', PICKLEARG_F8, 1 },
    { "BININT", 'J', PICKLEARG_I4, 1 },
    { "BININT1", 'K', PICKLEARG_U1, 1 },
    { "BININT2", 'M', PICKLEARG_U2, 1 },
    { "BINPERSID", 'Q', PICKLEARG_NONE, 1 },
    { "BINSTRING", 'T', PICKLEARG_BYTES4S, 1 },
    { "SHORT_BINSTRING", 'U', PICKLEARG_BYTES1, 1 },
    { "BINUNICODE", 'X', PICKLEARG_BYTES4, 1 },
    { "EMPTY_DICT", '}', PICKLEARG_NONE, 1 },
    { "APPENDS", 'e', PICKLEARG_NONE, 1 },
    { "BINGET", 'h', PICKLEARG_U1, 1 },
    { "LONG_BINGET", 'j', PICKLEARG_U4, 1 },
    { "EMPTY_LIST", ']', PICKLEARG_NONE, 1 },
    { "OBJ", 'o', PICKLEARG_NONE, 1 },
    { "BINPUT", 'q', PICKLEARG_U1, 1 },
    { "LONG_BINPUT", 'r', PICKLEARG_U4, 1 },
    { "SETITEMS", 'u', PICKLEARG_NONE, 1 },
    { "EMPTY_TUPLE", ')', PICKLEARG_NONE, 1 },
    /* protocol 2 */
    { "PROTO", 0x80, PICKLEARG_U1, 2 },
    { "NEWOBJ", 0x81, PICKLEARG_NONE, 2 },
    { "EXT1", 0x82, PICKLEARG_U1, 2 },
    { "EXT2", 0x83, PICKLEARG_U2, 2 },
    { "EXT4", 0x84, PICKLEARG_I4, 2 },
    { "TUPLE1", 0x85, PICKLEARG_NONE, 2 },
    { "TUPLE2", 0x86, PICKLEARG_NONE, 2 },
    { "TUPLE3", 0x87, PICKLEARG_NONE, 2 },
    { "NEWTRUE", 0x88, PICKLEARG_NONE, 2 },
    { "NEWFALSE", 0x89, PICKLEARG_NONE, 2 },
    { "LONG1", 0x8a, PICKLEARG_BYTES1, 2 },
    { "LONG4", 0x8b, PICKLEARG_BYTES4S, 2 },
    /* protocol 3 */
    { "BINBYTES", 'B', PICKLEARG_BYTES4, 3 },
    { "SHORT_BINBYTES", 'C', PICKLEARG_BYTES1, 3 },
    /* protocol 4 */
    { "SHORT_BINUNICODE", 0x8c, PICKLEARG_BYTES1, 4 },
    { "BINUNICODE8", 0x8d, PICKLEARG_BYTES8, 4 },
    { "BINBYTES8", 0x8e, PICKLEARG_BYTES8, 4 },
    { "EMPTY_SET", 0x8f, PICKLEARG_NONE, 4 },
    { "ADDITEMS", 0x90, PICKLEARG_NONE, 4 },
    { "FROZENSET", 0x91, PICKLEARG_NONE, 4 },
    { "NEWOBJ_EX", 0x92, PICKLEARG_NONE, 4 },
    { "STACK_GLOBAL", 0x93, PICKLEARG_NONE, 4 },
    { "MEMOIZE", 0x94, PICKLEARG_NONE, 4 },
    { "FRAME", 0x95, PICKLEARG_U8, 4 },
    /* protocol 5 */
    { "BYTEARRAY8", 0x96, PICKLEARG_BYTES8, 5 },
    { "NEXT_BUFFER", 0x97, PICKLEARG_NONE, 5 },
    { "READONLY_BUFFER", 0x98, PICKLEARG_NONE, 5 },
};

#define TABLE_LEN (sizeof(table) / sizeof(table[0]))

/* by_code[b] is 1 + the index of opcode b in table, 0 for none; built once,
 * by the first lookup of any thread */
static unsigned char by_code[256];
static pthread_once_t by_code_once = PTHREAD_ONCE_INIT;

/* build_index - fill by_code from table */
static void build_index(void)
{
    size_t i;

    for (i = 0; i < TABLE_LEN; i++) {
        by_code[table[i].code] = (unsigned char)(i + 1);
    }
}

/* pickleops_lookup - opcode entry by byte */
const struct pickleop *pickleops_lookup(unsigned char code)
{
    pthread_once(&by_code_once, build_index);
    return by_code[code] == 0 ? NULL : &table[by_code[code] - 1];
}

/* pickleops_by_name - opcode entry by name */
const struct pickleop *pickleops_by_name(const char *name)
{
    size_t i;

    for (i = 0; i < TABLE_LEN; i++) {
        if (strcmp(table[i].name, name) == 0) {
            return &table[i];
        }
    }
    return NULL;
}

/* pickleops_table - the whole table */
const struct pickleop *pickleops_table(size_t *n_r)
{
    *n_r = TABLE_LEN;
    return table;
}

/* le_uint - little-endian unsigned integer of n bytes */
static uint64_t le_uint(const unsigned char *p, size_t n)
{
    uint64_t v = 0;
    size_t i;

    for (i = n; i > 0; i--) {
        v = (v << 8) | p[i - 1];
    }
    return v;
}

/* pickleops_next - lex one opcode */
int pickleops_next(const void *data, size_t len, size_t *pos, struct pickleops_token *tok,
                   const char **error_r)
{
    const unsigned char *d = data;
    size_t p = *pos;
    size_t rest;
    const struct pickleop *op = NULL;
    const unsigned char *nl = NULL;
    uint64_t n = 0;
    size_t fixed = 0;

    if (p >= len) {
        *error_r = errstr("pickle data was truncated at offset %zu (no STOP opcode)", p);
        return -1;
    }
    op = pickleops_lookup(d[p]);
    if (op == NULL) {
        *error_r = errstr("unknown pickle opcode 0x%02x at offset %zu", d[p], p);
        return -1;
    }
    tok->op = op;
    tok->offset = p;
    tok->arg = NULL;
    tok->arg_len = 0;
    tok->num = 0;
    p++;
    rest = len - p;
    switch (op->arg) {
    case PICKLEARG_NONE:
        break;
    case PICKLEARG_LINE:
    case PICKLEARG_LINE2:
        nl = memchr(d + p, '\n', rest);
        if (nl != NULL && op->arg == PICKLEARG_LINE2) {
            size_t first = (size_t)(nl - (d + p)) + 1;
            nl = memchr(d + p + first, '\n', rest - first);
        }
        if (nl == NULL) {
            *error_r = errstr("pickle data was truncated in the argument of %s at offset %zu",
                              op->name, tok->offset);
            return -1;
        }
        tok->arg = d + p;
        tok->arg_len = (size_t)(nl - (d + p));
        p += tok->arg_len + 1;
        break;
    case PICKLEARG_U1:
        fixed = 1;
        break;
    case PICKLEARG_U2:
        fixed = 2;
        break;
    case PICKLEARG_I4:
    case PICKLEARG_U4:
        fixed = 4;
        break;
    case PICKLEARG_F8:
    case PICKLEARG_U8:
        fixed = 8;
        break;
    case PICKLEARG_BYTES1:
    case PICKLEARG_BYTES4S:
    case PICKLEARG_BYTES4:
    case PICKLEARG_BYTES8: {
        size_t lenlen = op->arg == PICKLEARG_BYTES1 ? 1 : op->arg == PICKLEARG_BYTES8 ? 8 : 4;
        if (rest < lenlen) {
            *error_r = errstr("pickle data was truncated in the length of %s at offset %zu",
                              op->name, tok->offset);
            return -1;
        }
        n = le_uint(d + p, lenlen);
        if (op->arg == PICKLEARG_BYTES4S && (n & 0x80000000u) != 0) {
            *error_r = errstr("%s with a negative byte count at offset %zu", op->name,
                              tok->offset);
            return -1;
        }
        p += lenlen;
        rest -= lenlen;
        if (n > rest) {
            *error_r = errstr("pickle data was truncated in the data of %s at offset %zu",
                              op->name, tok->offset);
            return -1;
        }
        tok->arg = d + p;
        tok->arg_len = (size_t)n;
        tok->num = n;
        p += (size_t)n;
        break;
    }
    }
    if (fixed > 0) {
        if (rest < fixed) {
            *error_r = errstr("pickle data was truncated in the argument of %s at offset %zu",
                              op->name, tok->offset);
            return -1;
        }
        tok->arg = d + p;
        tok->arg_len = fixed;
        tok->num = op->arg == PICKLEARG_F8 ? 0 : le_uint(d + p, fixed);
        p += fixed;
    }
    *pos = p;
    return 0;
}

/* note_newer - remember the first opcode above protocol 2 */
static void note_newer(struct pickleops_info *info, const struct pickleops_token *tok)
{
    if (info->first_newer == NULL) {
        info->first_newer = tok->op;
        info->first_newer_offset = tok->offset;
    }
}

/* pickleops_scan - one pass to STOP */
int pickleops_scan(const void *data, size_t len, struct pickleops_info *info_r,
                   const char **error_r)
{
    struct pickleops_token tok;
    size_t pos = 0;

    memset(info_r, 0, sizeof(*info_r));
    for (;;) {
        int proto;

        if (pickleops_next(data, len, &pos, &tok, error_r) < 0) {
            return -1;
        }
        info_r->opcodes++;
        proto = tok.op->protocol;
        switch (tok.op->code) {
        case PICKLEOP_STOP:
            info_r->stop_offset = tok.offset;
            return 0;
        case PICKLEOP_PROTO:
            if (tok.num > PICKLEOPS_HIGHEST_PROTOCOL) {
                *error_r = errstr("unsupported pickle protocol: %d", (int)tok.num);
                return -1;
            }
            if ((int)tok.num > proto) {
                proto = (int)tok.num;
            }
            break;
        case PICKLEOP_GLOBAL:
        case PICKLEOP_STACK_GLOBAL:
            info_r->globals++;
            break;
        case PICKLEOP_INST:
            info_r->insts++;
            break;
        case PICKLEOP_OBJ:
            info_r->objs++;
            break;
        case PICKLEOP_REDUCE:
            info_r->reduces++;
            break;
        case PICKLEOP_NEWOBJ:
        case PICKLEOP_NEWOBJ_EX:
            info_r->newobjs++;
            break;
        case PICKLEOP_EXT1:
        case PICKLEOP_EXT2:
        case PICKLEOP_EXT4:
            info_r->exts++;
            break;
        case PICKLEOP_PERSID:
        case PICKLEOP_BINPERSID:
            info_r->persids++;
            break;
        case PICKLEOP_BUILD:
            info_r->builds++;
            break;
        default:
            break;
        }
        if (proto > 2) {
            note_newer(info_r, &tok);
        }
        if (proto > info_r->protocol) {
            info_r->protocol = proto;
        }
    }
}
