/*
 * pyval - Python 2 semantics on value trees
 *
 * DESCRIPTION
 *  See pyval.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mmfix/pyval.h"
#include "mmfix/repr.h"

/* pyval_truth - bool(v) */
bool pyval_truth(const struct value *v)
{
    switch (v->type) {
    case VALUE_NONE:
        return false;
    case VALUE_BOOL:
        return v->u.b;
    case VALUE_INT:
        return v->u.i != 0;
    case VALUE_LONG:
        return strcmp(v->u.digits, "0") != 0 && strcmp(v->u.digits, "-0") != 0;
    case VALUE_FLOAT:
        return v->u.f != 0.0;
    case VALUE_BYTES:
    case VALUE_TEXT:
        return v->u.str.len > 0;
    case VALUE_TUPLE:
    case VALUE_LIST:
        return v->u.seq.len > 0;
    case VALUE_DICT:
        return v->u.dict.len > 0;
    case VALUE_INSTANCE:
        return true;
    }
    return true;
}

/* pyval_as_int - bool or int */
bool pyval_as_int(const struct value *v, long long *i_r)
{
    if (v->type == VALUE_BOOL) {
        *i_r = v->u.b ? 1 : 0;
        return true;
    }
    if (v->type == VALUE_INT) {
        *i_r = v->u.i;
        return true;
    }
    return false;
}

/* as_number - a bool, int or float as a number */
static bool as_number(const struct value *v, double *d_r, long long *i_r, bool *is_int_r)
{
    if (pyval_as_int(v, i_r)) {
        *is_int_r = true;
        return true;
    }
    if (v->type == VALUE_FLOAT) {
        *d_r = v->u.f;
        *is_int_r = false;
        return true;
    }
    return false;
}

/* ascii_only - every byte of a str/unicode < 0x80 */
static bool ascii_only(const struct value *v)
{
    size_t i;

    for (i = 0; i < v->u.str.len; i++) {
        if (v->u.str.data[i] >= 0x80) {
            return false;
        }
    }
    return true;
}

/* pyval_eq - v == w */
bool pyval_eq(const struct value *v, const struct value *w)
{
    double dv = 0;
    double dw = 0;
    long long iv = 0;
    long long iw = 0;
    bool intv = false;
    bool intw = false;
    size_t i;

    if (value_is_str(v) && value_is_str(w)) {
        if (v->type != w->type && !(ascii_only(v) && ascii_only(w))) {
            /* the str does not decode as ASCII: Python 2 says unequal */
            return false;
        }
        return v->u.str.len == w->u.str.len
            && memcmp(v->u.str.data, w->u.str.data, v->u.str.len) == 0;
    }
    if (as_number(v, &dv, &iv, &intv) && as_number(w, &dw, &iw, &intw)) {
        if (intv && intw) {
            return iv == iw;
        }
        return (intv ? (double)iv : dv) == (intw ? (double)iw : dw);
    }
    if ((v->type == VALUE_LIST || v->type == VALUE_TUPLE) && v->type == w->type) {
        if (v->u.seq.len != w->u.seq.len) {
            return false;
        }
        for (i = 0; i < v->u.seq.len; i++) {
            if (!pyval_eq(v->u.seq.items[i], w->u.seq.items[i])) {
                return false;
            }
        }
        return true;
    }
    return value_equal(v, w);
}

/* pyval_in - membership in a list or tuple */
bool pyval_in(const struct value *x, const struct value *seq)
{
    size_t i;

    if (seq->type != VALUE_LIST && seq->type != VALUE_TUPLE) {
        return false;
    }
    for (i = 0; i < seq->u.seq.len; i++) {
        if (pyval_eq(x, seq->u.seq.items[i])) {
            return true;
        }
    }
    return false;
}

/* pyval_lower - ASCII lower case */
struct value *pyval_lower(struct value_arena *arena, const struct value *v)
{
    struct value *n = v->type == VALUE_TEXT
                          ? value_new_text(arena, v->u.str.data, v->u.str.len)
                          : value_new_bytes(arena, v->u.str.data, v->u.str.len);
    unsigned char *p = (unsigned char *)n->u.str.data;
    size_t i;

    for (i = 0; i < n->u.str.len; i++) {
        if (p[i] >= 'A' && p[i] <= 'Z') {
            p[i] = (unsigned char)(p[i] - 'A' + 'a');
        }
    }
    return n;
}

/* pyval_is_lower - no ASCII capital */
bool pyval_is_lower(const struct value *v)
{
    size_t i;

    for (i = 0; i < v->u.str.len; i++) {
        if (v->u.str.data[i] >= 'A' && v->u.str.data[i] <= 'Z') {
            return false;
        }
    }
    return true;
}

/* pyval_utf8_valid - Python 2.7's UTF-8 decoder */
bool pyval_utf8_valid(const unsigned char *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        unsigned char c = s[i];
        size_t n;
        size_t k;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
        } else {
            return false;
        }
        if (i + n >= len) {
            return false;
        }
        for (k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return false;
            }
        }
        /* overlong forms and code points above U+10FFFF; surrogates pass */
        if ((c == 0xe0 && s[i + 1] < 0xa0) || (c == 0xf0 && s[i + 1] < 0x90)
            || (c == 0xf4 && s[i + 1] > 0x8f)) {
            return false;
        }
        i += n + 1;
    }
    return true;
}

/* pyval_repr_short - repr(v) cut to 60 characters */
const char *pyval_repr_short(struct strbuf *sb, const struct value *v)
{
    strbuf_reset(sb);
    repr_value(sb, v);
    if (sb->len > 60) {
        sb->len = 57;
        strbuf_adds(sb, "...");
    }
    return strbuf_cstr(sb);
}

/* other_type - key as the other string type, when Python 2 holds the two
 * equal (ASCII text); NULL otherwise */
static struct value *other_type(struct value_arena *arena, const struct value *key)
{
    if (!value_is_str(key) || !ascii_only(key)) {
        return NULL;
    }
    return key->type == VALUE_TEXT ? value_new_bytes(arena, key->u.str.data, key->u.str.len)
                                   : value_new_text(arena, key->u.str.data, key->u.str.len);
}

/* pyval_dict_key - the key object of dict equal to key */
struct value *pyval_dict_key(struct value_arena *arena, struct value *dict,
                             const struct value *key)
{
    struct value *k = value_dict_key(arena, dict, key);
    struct value *alt = NULL;

    if (k == NULL && (alt = other_type(arena, key)) != NULL) {
        k = value_dict_key(arena, dict, alt);
    }
    return k;
}

/* pyval_dict_get - d.get(key) */
struct value *pyval_dict_get(struct value_arena *arena, struct value *dict,
                             const struct value *key)
{
    struct value *v = value_dict_get(arena, dict, key);
    struct value *alt = NULL;

    if (v == NULL && (alt = other_type(arena, key)) != NULL) {
        v = value_dict_get(arena, dict, alt);
    }
    return v;
}

/* pyval_dict_set - d[key] = val */
void pyval_dict_set(struct value_arena *arena, struct value *dict, struct value *key,
                    struct value *val)
{
    struct value *k = pyval_dict_get(arena, dict, key) != NULL
                          ? pyval_dict_key(arena, dict, key) : NULL;

    value_dict_set(arena, dict, k != NULL ? k : key, val);
}

/* pyval_dict_del - del d[key] if present */
bool pyval_dict_del(struct value_arena *arena, struct value *dict, const struct value *key)
{
    struct value *k = NULL;

    if (value_dict_del(arena, dict, key)) {
        return true;
    }
    k = pyval_dict_get(arena, dict, key) != NULL ? pyval_dict_key(arena, dict, key) : NULL;
    return k != NULL && value_dict_del(arena, dict, k);
}
