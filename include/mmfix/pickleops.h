#ifndef MMFIX_PICKLEOPS_H
#define MMFIX_PICKLEOPS_H

/*
 * The pickle opcode stream without Python: a table of every opcode of
 * protocols 0 to 5 (name, code, argument kind, protocol) and a lexer that
 * walks a pickle up to its STOP with bounded reads. readers use it to learn
 * a file's protocol and to refuse dangerous opcodes before any unpickling;
 * the pickle writer builds on the same table.
 */

#include <stddef.h>
#include <stdint.h>

/* How an opcode's argument is laid out after the opcode byte. */
enum pickleop_arg {
    PICKLEARG_NONE,    /* no argument */
    PICKLEARG_LINE,    /* bytes up to '\n' (INT, STRING, GET, ...) */
    PICKLEARG_LINE2,   /* two '\n'-terminated lines (GLOBAL, INST) */
    PICKLEARG_U1,      /* 1-byte unsigned */
    PICKLEARG_U2,      /* 2-byte unsigned little-endian */
    PICKLEARG_I4,      /* 4-byte signed little-endian (BININT) */
    PICKLEARG_U4,      /* 4-byte unsigned little-endian */
    PICKLEARG_F8,      /* 8-byte big-endian IEEE double (BINFLOAT) */
    PICKLEARG_U8,      /* 8-byte unsigned little-endian (FRAME) */
    PICKLEARG_BYTES1,  /* 1-byte length, then that many bytes */
    PICKLEARG_BYTES4S, /* 4-byte signed length (negative is an error), then bytes */
    PICKLEARG_BYTES4,  /* 4-byte unsigned length, then bytes */
    PICKLEARG_BYTES8,  /* 8-byte unsigned length, then bytes */
};

/* Opcode bytes, named as in Python's pickle module. */
enum pickleop_code {
    PICKLEOP_MARK = '(', PICKLEOP_STOP = '.', PICKLEOP_POP = '0',
    PICKLEOP_POP_MARK = '1', PICKLEOP_DUP = '2', PICKLEOP_FLOAT = 'F',
    PICKLEOP_INT = 'I', PICKLEOP_BININT = 'J', PICKLEOP_BININT1 = 'K',
    PICKLEOP_LONG = 'L', PICKLEOP_BININT2 = 'M', PICKLEOP_NONE = 'N',
    PICKLEOP_PERSID = 'P', PICKLEOP_BINPERSID = 'Q', PICKLEOP_REDUCE = 'R',
    PICKLEOP_STRING = 'S', PICKLEOP_BINSTRING = 'T', PICKLEOP_SHORT_BINSTRING = 'U',
    PICKLEOP_UNICODE = 'V', PICKLEOP_BINUNICODE = 'X', PICKLEOP_APPEND = 'a',
    PICKLEOP_BUILD = 'b', PICKLEOP_GLOBAL = 'c', PICKLEOP_DICT = 'd',
    PICKLEOP_EMPTY_DICT = '}', PICKLEOP_APPENDS = 'e', PICKLEOP_GET = 'g',
    PICKLEOP_BINGET = 'h', PICKLEOP_INST = 'i', PICKLEOP_LONG_BINGET = 'j',
    PICKLEOP_LIST = 'l', PICKLEOP_EMPTY_LIST = ']', PICKLEOP_OBJ = 'o',
    PICKLEOP_PUT = 'p', PICKLEOP_BINPUT = 'q', PICKLEOP_LONG_BINPUT = 'r',
    PICKLEOP_SETITEM = 's', PICKLEOP_TUPLE = 't', PICKLEOP_EMPTY_TUPLE = ')',
    PICKLEOP_SETITEMS = 'u', PICKLEOP_BINFLOAT = 'G',
    /* protocol 2 */
    PICKLEOP_PROTO = 0x80, PICKLEOP_NEWOBJ = 0x81, PICKLEOP_EXT1 = 0x82,
    PICKLEOP_EXT2 = 0x83, PICKLEOP_EXT4 = 0x84, PICKLEOP_TUPLE1 = 0x85,
    PICKLEOP_TUPLE2 = 0x86, PICKLEOP_TUPLE3 = 0x87, PICKLEOP_NEWTRUE = 0x88,
    PICKLEOP_NEWFALSE = 0x89, PICKLEOP_LONG1 = 0x8a, PICKLEOP_LONG4 = 0x8b,
    /* protocol 3 */
    PICKLEOP_BINBYTES = 'B', PICKLEOP_SHORT_BINBYTES = 'C',
    /* protocol 4 */
    PICKLEOP_SHORT_BINUNICODE = 0x8c, PICKLEOP_BINUNICODE8 = 0x8d,
    PICKLEOP_BINBYTES8 = 0x8e, PICKLEOP_EMPTY_SET = 0x8f, PICKLEOP_ADDITEMS = 0x90,
    PICKLEOP_FROZENSET = 0x91, PICKLEOP_NEWOBJ_EX = 0x92, PICKLEOP_STACK_GLOBAL = 0x93,
    PICKLEOP_MEMOIZE = 0x94, PICKLEOP_FRAME = 0x95,
    /* protocol 5 */
    PICKLEOP_BYTEARRAY8 = 0x96, PICKLEOP_NEXT_BUFFER = 0x97, PICKLEOP_READONLY_BUFFER = 0x98,
};

#define PICKLEOPS_HIGHEST_PROTOCOL 5

struct pickleop {
    const char *name;        /* "SHORT_BINSTRING" */
    unsigned char code;      /* opcode byte */
    enum pickleop_arg arg;   /* argument layout */
    int protocol;            /* protocol that introduced it, 0-5 */
};

/* One lexed opcode: the table entry, where it starts, and its argument. */
struct pickleops_token {
    const struct pickleop *op;
    size_t offset;               /* offset of the opcode byte */
    const unsigned char *arg;    /* argument bytes (payload for BYTES*), or NULL */
    size_t arg_len;              /* LINE: without '\n'; LINE2: both lines with the
                                    '\n' between them, without the last */
    uint64_t num;                /* U1/U2/I4 (as int64 bits)/U4/U8 values; PROTO's n */
};

struct pickleops_info {
    int protocol;          /* highest protocol among opcodes; PROTO n counts as max(2, n) */
    size_t opcodes;        /* opcodes up to and including STOP */
    size_t stop_offset;    /* offset of the STOP opcode */
    size_t globals;        /* GLOBAL and STACK_GLOBAL */
    size_t insts;          /* INST */
    size_t objs;           /* OBJ */
    size_t reduces;        /* REDUCE */
    size_t newobjs;        /* NEWOBJ and NEWOBJ_EX */
    size_t exts;           /* EXT1, EXT2, EXT4 */
    size_t persids;        /* PERSID and BINPERSID */
    size_t builds;         /* BUILD */
    /* first opcode introduced after protocol 2 (or a PROTO above 2), or NULL */
    const struct pickleop *first_newer;
    size_t first_newer_offset;
};

/* pickleops_lookup - the table entry of opcode byte code, or NULL */
const struct pickleop *pickleops_lookup(unsigned char code);
/* pickleops_by_name - the table entry named name ("BINPUT"), or NULL */
const struct pickleop *pickleops_by_name(const char *name);
/* pickleops_table - every opcode, count in *n_r */
const struct pickleop *pickleops_table(size_t *n_r);

/* pickleops_next - lex the opcode at data[*pos]; on success fill *tok and move
 * *pos past it. Returns 0, or -1 with error_r at an unknown opcode or an
 * argument that runs past len (or is invalid, such as a negative length). */
int pickleops_next(const void *data, size_t len, size_t *pos, struct pickleops_token *tok,
                   const char **error_r);

/* pickleops_scan - walk data[0..len) to the first STOP and fill *info_r.
 * Returns -1 with error_r on a lexing error or when there is no STOP; *info_r
 * then describes the opcodes before the error. One pass, no allocation. */
int pickleops_scan(const void *data, size_t len, struct pickleops_info *info_r,
                   const char **error_r);

#endif
