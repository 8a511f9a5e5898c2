/*
 * marshal - read Python 2 marshal data (Mailman 2.0 config.db)
 *
 * DESCRIPTION
 *  A recursive-descent reader for the marshal formats 0 to 2 of Python 2.7
 *  (Python/marshal.c): one object from a byte buffer into a value tree.
 *  Interned strings ('t', format 1) go into a table that 'R' refers back
 *  to; a back-reference yields the very node of the interned string, so
 *  the tree keeps Python's sharing. Longs ('l') come as 15-bit digits and
 *  are turned into decimal text for value_new_long. Dicts keep file order
 *  and use value_dict_set, so a repeated key replaces the value as in
 *  Python. Types Mailman never stores (StopIteration, Ellipsis, complex,
 *  sets, '0' outside a dict) are corrupt data; a code object is refused.
 *
 *  Unicode ('u') must be UTF-8 as Python 2.7 decoded it: no overlong forms,
 *  nothing beyond U+10FFFF, no broken sequences. Encoded surrogates
 *  (ED A0..BF xx) are accepted because Python 2 wrote and read them; they
 *  reach the tree as surrogatepass bytes, which typed JSON knows.
 *
 * SECURITY
 *  Reads untrusted bytes. Every length from the data is checked against the
 *  bytes that remain before anything is allocated or read, so a bogus count
 *  costs nothing. Nesting is bounded by limits->max_depth (and never more
 *  than MARSHAL_MAX_DEPTH, so the C stack is safe), the number of objects by
 *  limits->max_objects, and longs by MARSHAL_MAX_LONG_DIGITS (the decimal
 *  conversion is quadratic). Nothing here runs code: 'c' is refused.
 */
#include <locale.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mmfix/errstr.h"
#include "mmfix/fileread.h"
#include "mmfix/marshal.h"
#include "mmfix/strbuf.h"
#include "mmfix/xalloc.h"

#define MARSHAL_LONG_SHIFT 15
#define MARSHAL_LONG_BASE (1u << MARSHAL_LONG_SHIFT)
#define DEC_LIMB 1000000000u

enum slot {
    SLOT_VALUE,  /* a value must follow */
    SLOT_KEY,    /* a dict key or the '0' that ends the dict */
};

struct reader {
    const unsigned char *data;
    size_t len;
    size_t pos;
    struct value_arena *arena;
    unsigned max_depth;
    size_t max_objects;
    size_t objects;
    int version;
    struct value **strings;  /* the interned-string table, for 'R' */
    size_t nstrings;
    size_t capstrings;
    enum load_error kind;
    const char *error;
};

/* fail - record why reading stopped; always -1 */
static int fail(struct reader *r, enum load_error kind, const char *error)
{
    r->kind = kind;
    r->error = error;
    return -1;
}

/* truncated - the data ends before what is described */
static int truncated(struct reader *r, const char *what)
{
    return fail(r, LOAD_CORRUPT,
                errstr("truncated marshal data at offset %zu (%s)", r->pos, what));
}

/* remaining - bytes left to read */
static size_t remaining(const struct reader *r)
{
    return r->len - r->pos;
}

/* get_u32 - little-endian 32-bit word at p */
static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* get_u64 - little-endian 64-bit word at p */
static uint64_t get_u64(const unsigned char *p)
{
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

/* to_i32 - two's complement reinterpretation without implementation-defined casts */
static int32_t to_i32(uint32_t u)
{
    if (u <= (uint32_t)INT32_MAX) {
        return (int32_t)u;
    }
    return (int32_t)(u - (uint32_t)INT32_MAX - 1u) + INT32_MIN;
}

/* to_i64 - two's complement reinterpretation without implementation-defined casts */
static int64_t to_i64(uint64_t u)
{
    if (u <= (uint64_t)INT64_MAX) {
        return (int64_t)u;
    }
    return (int64_t)(u - (uint64_t)INT64_MAX - 1u) + INT64_MIN;
}

/* read_i32 - a signed 32-bit little-endian integer */
static int read_i32(struct reader *r, int32_t *out_r, const char *what)
{
    if (remaining(r) < 4) {
        return truncated(r, what);
    }
    *out_r = to_i32(get_u32(r->data + r->pos));
    r->pos += 4;
    return 0;
}

/* read_count - a non-negative 32-bit count of things (noun) of at least
 * one byte each, which must fit in what remains */
static int read_count(struct reader *r, const char *what, const char *noun, size_t *count_r)
{
    size_t start = r->pos;
    int32_t n = 0;

    if (read_i32(r, &n, errstr("length of %s", what)) < 0) {
        return -1;
    }
    if (n < 0) {
        return fail(r, LOAD_CORRUPT,
                    errstr("bad marshal data at offset %zu (negative length %ld for %s)",
                           start, (long)n, what));
    }
    if ((size_t)n > remaining(r)) {
        return truncated(r, errstr("%s of %ld %s", what, (long)n, noun));
    }
    *count_r = (size_t)n;
    return 0;
}

/* utf8_valid - UTF-8 as Python 2.7 decoded it (surrogates allowed) */
static bool utf8_valid(const unsigned char *s, size_t len, size_t *bad_r)
{
    size_t i = 0;

    while (i < len) {
        unsigned char c = s[i];
        size_t n;
        size_t k;
        uint32_t cp;
        uint32_t min;

        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1fu;
            min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0fu;
            min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07u;
            min = 0x10000;
        } else {
            *bad_r = i;
            return false;
        }
        if (len - i - 1 < n) {
            *bad_r = i;
            return false;
        }
        for (k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                *bad_r = i;
                return false;
            }
            cp = cp << 6 | (s[i + k] & 0x3fu);
        }
        if (cp < min || cp > 0x10ffff) {
            *bad_r = i;
            return false;
        }
        i += n + 1;
    }
    return true;
}

/* float_text_ok - the text is a float Python 2's PyOS_string_to_double reads whole */
static bool float_text_ok(const char *s)
{
    const char *p = s;
    size_t digits = 0;

    if (*p == '+' || *p == '-') {
        p++;
    }
    if (strcasecmp(p, "inf") == 0 || strcasecmp(p, "infinity") == 0 ||
        strcasecmp(p, "nan") == 0) {
        return true;
    }
    while (*p >= '0' && *p <= '9') {
        p++;
        digits++;
    }
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') {
            p++;
            digits++;
        }
    }
    if (digits == 0) {
        return false;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') {
            p++;
        }
        if (*p < '0' || *p > '9') {
            return false;
        }
        while (*p >= '0' && *p <= '9') {
            p++;
        }
    }
    return *p == '\0';
}

/* parse_float_text - strtod on checked text, whatever LC_NUMERIC says */
static double parse_float_text(const char *text)
{
    const char *dp = localeconv()->decimal_point;
    struct strbuf sb = STRBUF_INIT;
    const char *p = NULL;
    double d;

    if (dp == NULL || strcmp(dp, ".") == 0 || strchr(text, '.') == NULL) {
        return strtod(text, NULL);
    }
    for (p = text; *p != '\0'; p++) {
        if (*p == '.') {
            strbuf_adds(&sb, dp);
        } else {
            strbuf_addc(&sb, *p);
        }
    }
    d = strtod(strbuf_cstr(&sb), NULL);
    strbuf_release(&sb);
    return d;
}

/* read_long - the digits of an 'l' object as a value */
static int read_long(struct reader *r, size_t start, struct value **v_r)
{
    int32_t n = 0;
    size_t size;
    size_t i;
    size_t j;
    uint16_t *digits = NULL;
    uint32_t *limbs = NULL;
    size_t nlimbs = 0;
    struct strbuf sb = STRBUF_INIT;
    int ret = -1;

    if (read_i32(r, &n, "length of long") < 0) {
        return -1;
    }
    size = n < 0 ? (size_t)(-(int64_t)n) : (size_t)n;
    if (size > remaining(r) / 2) {
        return truncated(r, errstr("long of %zu digits", size));
    }
    if (size > MARSHAL_MAX_LONG_DIGITS) {
        return fail(r, LOAD_LIMIT,
                    errstr("marshal long at offset %zu has %zu digits (limit %u)",
                           start, size, MARSHAL_MAX_LONG_DIGITS));
    }
    digits = xreallocarray(NULL, size + 1, sizeof(*digits));
    for (i = 0; i < size; i++) {
        const unsigned char *p = r->data + r->pos + 2 * i;
        digits[i] = (uint16_t)(p[0] | p[1] << 8);
        if (digits[i] >= MARSHAL_LONG_BASE) {
            r->pos += 2 * i;
            fail(r, LOAD_CORRUPT,
                 errstr("bad marshal data at offset %zu (digit out of range in long)", r->pos));
            goto out;
        }
    }
    if (size > 0 && digits[size - 1] == 0) {
        r->pos += 2 * (size - 1);
        fail(r, LOAD_CORRUPT,
             errstr("bad marshal data at offset %zu (unnormalized long data)", r->pos));
        goto out;
    }
    r->pos += 2 * size;

    /* base 2^15 -> base 10^9, most significant marshal digit first; each
     * limb holds more than 29 bits, so 15 * size / 29 + 1 limbs suffice */
    limbs = xreallocarray(NULL, size * 15 / 29 + 2, sizeof(*limbs));
    for (i = size; i-- > 0;) {
        uint32_t carry = digits[i];

        for (j = 0; j < nlimbs; j++) {
            uint64_t t = (uint64_t)limbs[j] * MARSHAL_LONG_BASE + carry;
            limbs[j] = (uint32_t)(t % DEC_LIMB);
            carry = (uint32_t)(t / DEC_LIMB);
        }
        while (carry != 0) {
            limbs[nlimbs++] = carry % DEC_LIMB;
            carry /= DEC_LIMB;
        }
    }
    if (nlimbs == 0) {
        strbuf_addc(&sb, '0');
    } else {
        if (n < 0) {
            strbuf_addc(&sb, '-');
        }
        strbuf_addf(&sb, "%u", (unsigned)limbs[nlimbs - 1]);
        for (i = nlimbs - 1; i-- > 0;) {
            strbuf_addf(&sb, "%09u", (unsigned)limbs[i]);
        }
    }
    *v_r = value_new_long(r->arena, strbuf_cstr(&sb));
    if (*v_r == NULL) {
        fail(r, LOAD_INTERNAL, errstr("marshal long at offset %zu: bad digits", start));
        goto out;
    }
    ret = 0;
out:
    free(digits);
    free(limbs);
    strbuf_release(&sb);
    return ret;
}

/* read_float_text - an 'f' object: one length byte and the repr text */
static int read_float_text(struct reader *r, size_t start, struct value **v_r)
{
    char buf[256];
    size_t n;

    if (remaining(r) < 1) {
        return truncated(r, "length of float text");
    }
    n = r->data[r->pos++];
    if (remaining(r) < n) {
        return truncated(r, errstr("float text of %zu bytes", n));
    }
    memcpy(buf, r->data + r->pos, n);
    buf[n] = '\0';
    if (memchr(buf, '\0', n) != NULL || !float_text_ok(buf)) {
        return fail(r, LOAD_CORRUPT,
                    errstr("bad marshal data at offset %zu (float text is not a number)", start));
    }
    r->pos += n;
    *v_r = value_new_float(r->arena, parse_float_text(buf));
    return 0;
}

/* read_string - an 's', 't' or 'u' object */
static int read_string(struct reader *r, unsigned char code, size_t start, struct value **v_r)
{
    const unsigned char *s = NULL;
    size_t n = 0;
    size_t bad = 0;

    if (read_count(r, code == 'u' ? "unicode" : "string", "bytes", &n) < 0) {
        return -1;
    }
    s = r->data + r->pos;
    if (code == 'u') {
        if (!utf8_valid(s, n, &bad)) {
            return fail(r, LOAD_CORRUPT,
                        errstr("bad marshal data at offset %zu (invalid UTF-8 in unicode "
                               "object at offset %zu)", r->pos + bad, start));
        }
        *v_r = value_new_text(r->arena, s, n);
    } else {
        *v_r = value_new_bytes(r->arena, s, n);
    }
    r->pos += n;
    if (code == 't') {
        if (r->nstrings == r->capstrings) {
            r->capstrings = r->capstrings ? 2 * r->capstrings : 64;
            r->strings = xreallocarray(r->strings, r->capstrings, sizeof(*r->strings));
        }
        r->strings[r->nstrings++] = *v_r;
        if (r->version < 1) {
            r->version = 1;
        }
    }
    return 0;
}

/* hashable - Python could use v as a dict key */
static bool hashable(const struct value *v)
{
    size_t i;

    if (v->type == VALUE_LIST || v->type == VALUE_DICT) {
        return false;
    }
    if (v->type == VALUE_TUPLE) {
        for (i = 0; i < v->u.seq.len; i++) {
            if (!hashable(v->u.seq.items[i])) {
                return false;
            }
        }
    }
    return true;
}

static int read_object(struct reader *r, unsigned depth, enum slot slot, struct value **v_r);

/* enter - one more level of nesting, within the limit */
static int enter(struct reader *r, unsigned depth, size_t start)
{
    if (depth + 1 > r->max_depth) {
        return fail(r, LOAD_LIMIT,
                    errstr("marshal data nested deeper than %u at offset %zu",
                           r->max_depth, start));
    }
    return 0;
}

/* read_seq - a '(' tuple or '[' list */
static int read_seq(struct reader *r, unsigned char code, unsigned depth, size_t start,
                    struct value **v_r)
{
    struct value *seq = NULL;
    struct value *item = NULL;
    size_t n = 0;
    size_t i;

    if (read_count(r, code == '(' ? "tuple" : "list", "items", &n) < 0 ||
        enter(r, depth, start) < 0) {
        return -1;
    }
    seq = code == '(' ? value_new_tuple(r->arena, n) : value_new_list(r->arena, n);
    for (i = 0; i < n; i++) {
        if (read_object(r, depth + 1, SLOT_VALUE, &item) < 0) {
            return -1;
        }
        value_seq_append(r->arena, seq, item);
    }
    *v_r = seq;
    return 0;
}

/* read_dict - a '{' dict: key/value pairs up to a '0' */
static int read_dict(struct reader *r, unsigned depth, size_t start, struct value **v_r)
{
    struct value *dict = NULL;
    struct value *key = NULL;
    struct value *val = NULL;
    size_t key_pos;

    if (enter(r, depth, start) < 0) {
        return -1;
    }
    dict = value_new_dict(r->arena, 0);
    for (;;) {
        key_pos = r->pos;
        if (read_object(r, depth + 1, SLOT_KEY, &key) < 0) {
            return -1;
        }
        if (key == NULL) {
            break;
        }
        if (!hashable(key)) {
            return fail(r, LOAD_CORRUPT,
                        errstr("bad marshal data at offset %zu (unhashable dict key of "
                               "type %s)", key_pos, value_type_name(key->type)));
        }
        if (read_object(r, depth + 1, SLOT_VALUE, &val) < 0) {
            return -1;
        }
        value_dict_set(r->arena, dict, key, val);
    }
    *v_r = dict;
    return 0;
}

/* not_data - a type code Python 2 knows but Mailman never stores */
static int not_data(struct reader *r, size_t start, const char *what)
{
    return fail(r, LOAD_CORRUPT,
                errstr("bad marshal data at offset %zu (%s is not Mailman data)", start, what));
}

/* read_object - one object of any type; in a key slot '0' gives NULL */
static int read_object(struct reader *r, unsigned depth, enum slot slot, struct value **v_r)
{
    size_t start = r->pos;
    unsigned char code;
    int32_t i32 = 0;

    *v_r = NULL;
    if (remaining(r) < 1) {
        return truncated(r, "type code expected");
    }
    code = r->data[r->pos++];
    if (code != '0') {
        if (r->objects >= r->max_objects) {
            return fail(r, LOAD_LIMIT,
                        errstr("marshal data has more than %zu objects (offset %zu)",
                               r->max_objects, start));
        }
        r->objects++;
    }
    switch (code) {
    case '0':
        if (slot != SLOT_KEY) {
            return fail(r, LOAD_CORRUPT,
                        errstr("bad marshal data at offset %zu (NULL object outside a dict)",
                               start));
        }
        return 0;
    case 'N':
        *v_r = value_new_none(r->arena);
        return 0;
    case 'F':
    case 'T':
        *v_r = value_new_bool(r->arena, code == 'T');
        return 0;
    case 'i':
        if (read_i32(r, &i32, "int32") < 0) {
            return -1;
        }
        *v_r = value_new_int(r->arena, i32);
        return 0;
    case 'I':
        if (remaining(r) < 8) {
            return truncated(r, "int64");
        }
        *v_r = value_new_int(r->arena, to_i64(get_u64(r->data + r->pos)));
        r->pos += 8;
        return 0;
    case 'l':
        return read_long(r, start, v_r);
    case 'f':
        return read_float_text(r, start, v_r);
    case 'g': {
        uint64_t bits;
        double d;

        if (remaining(r) < 8) {
            return truncated(r, "binary float");
        }
        bits = get_u64(r->data + r->pos);
        memcpy(&d, &bits, sizeof(d));
        r->pos += 8;
        *v_r = value_new_float(r->arena, d);
        r->version = 2;
        return 0;
    }
    case 's':
    case 't':
    case 'u':
        return read_string(r, code, start, v_r);
    case 'R':
        if (read_i32(r, &i32, "string reference") < 0) {
            return -1;
        }
        if (i32 < 0 || (size_t)i32 >= r->nstrings) {
            return fail(r, LOAD_CORRUPT,
                        errstr("bad marshal data at offset %zu (string reference %ld out of "
                               "range, %zu interned)", start, (long)i32, r->nstrings));
        }
        *v_r = r->strings[i32];
        if (r->version < 1) {
            r->version = 1;
        }
        return 0;
    case '(':
    case '[':
        return read_seq(r, code, depth, start, v_r);
    case '{':
        return read_dict(r, depth, start, v_r);
    case 'S':
        return not_data(r, start, "StopIteration");
    case '.':
        return not_data(r, start, "Ellipsis");
    case 'x':
    case 'y':
        return not_data(r, start, "a complex number");
    case '<':
        return not_data(r, start, "a set");
    case '>':
        return not_data(r, start, "a frozenset");
    case 'c':
        return fail(r, LOAD_REFUSED,
                    errstr("marshal code object refused at offset %zu", start));
    default:
        return fail(r, LOAD_CORRUPT,
                    errstr("bad marshal data at offset %zu (unknown type code 0x%02x)",
                           start, (unsigned)code));
    }
}

/* marshal_read - parse one object filling the whole buffer */
int marshal_read(const void *data, size_t len, const struct load_limits *limits,
                 struct value_arena *arena, struct value **root_r,
                 struct marshal_info *info_r, enum load_error *kind_r,
                 const char **error_r)
{
    struct load_limits lim = load_limits_resolve(limits);
    struct reader r;
    struct value *root = NULL;
    int ret = -1;

    memset(&r, 0, sizeof(r));
    r.data = data;
    r.len = len;
    r.arena = arena;
    r.max_depth = lim.max_depth < MARSHAL_MAX_DEPTH ? lim.max_depth : MARSHAL_MAX_DEPTH;
    r.max_objects = lim.max_objects;
    r.kind = LOAD_OK;
    *root_r = NULL;
    if (len > lim.max_bytes) {
        fail(&r, LOAD_LIMIT, errstr("marshal data of %zu bytes exceeds the limit of %zu",
                                    len, lim.max_bytes));
        goto out;
    }
    if (len == 0) {
        fail(&r, LOAD_CORRUPT, "empty marshal data (no type code at offset 0)");
        goto out;
    }
    if (read_object(&r, 0, SLOT_VALUE, &root) < 0) {
        goto out;
    }
    if (r.pos != r.len) {
        fail(&r, LOAD_CORRUPT,
             errstr("trailing data at offset %zu (%zu bytes after the marshal object)",
                    r.pos, r.len - r.pos));
        goto out;
    }
    *root_r = root;
    ret = 0;
out:
    if (info_r != NULL) {
        info_r->version = r.version;
        info_r->objects = r.objects;
        info_r->interned = r.nstrings;
    }
    if (kind_r != NULL) {
        *kind_r = ret == 0 ? LOAD_OK : r.kind;
    }
    if (ret < 0 && error_r != NULL) {
        *error_r = r.error;
    }
    free(r.strings);
    return ret;
}

/* marshal_read_file - read and parse a marshal file */
int marshal_read_file(const char *path, const struct load_limits *limits,
                      struct value_arena *arena, struct value **root_r,
                      struct marshal_info *info_r, enum load_error *kind_r,
                      const char **error_r)
{
    struct load_limits lim = load_limits_resolve(limits);
    struct strbuf buf = STRBUF_INIT;
    enum fileread_status fs = FILEREAD_OK;
    enum load_error kind = LOAD_OK;
    const char *error = NULL;
    int ret = -1;

    *root_r = NULL;
    if (info_r != NULL) {
        memset(info_r, 0, sizeof(*info_r));
    }
    if (fileread_into(path, lim.max_bytes, &buf, &fs, &error) < 0) {
        kind = load_error_from_fileread(fs);
        goto out;
    }
    ret = marshal_read(strbuf_cstr(&buf), buf.len, &lim, arena, root_r, info_r, &kind, &error);
out:
    strbuf_release(&buf);
    if (kind_r != NULL) {
        *kind_r = ret == 0 ? LOAD_OK : kind;
    }
    if (ret < 0 && error_r != NULL) {
        *error_r = error;
    }
    return ret;
}
