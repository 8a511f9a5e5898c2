/*
 * repr - Python 2 repr() of value trees
 *
 * DESCRIPTION
 *  Text output for `show` and the dry-run diff: exactly what Python 2
 *  would print for the same data, so an administrator can compare it with
 *  `bin/dumpdb` and paste it into `bin/config_list` input.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mmfix/jsonw.h"
#include "mmfix/repr.h"

/* repr_bytes - Python 2 str repr */
void repr_bytes(struct strbuf *out, const unsigned char *data, size_t len)
{
    char quote = '\'';
    size_t i;

    if (memchr(data, '\'', len) != NULL && memchr(data, '"', len) == NULL) {
        quote = '"';
    }
    strbuf_grow(out, len + 2);
    strbuf_addc(out, quote);
    for (i = 0; i < len; i++) {
        unsigned char c = data[i];
        if (c == (unsigned char)quote || c == '\\') {
            strbuf_addc(out, '\\');
            strbuf_addc(out, (char)c);
        } else if (c == '\t') {
            strbuf_add(out, "\\t", 2);
        } else if (c == '\n') {
            strbuf_add(out, "\\n", 2);
        } else if (c == '\r') {
            strbuf_add(out, "\\r", 2);
        } else if (c < 0x20 || c >= 0x7f) {
            strbuf_addf(out, "\\x%02x", c);
        } else {
            strbuf_addc(out, (char)c);
        }
    }
    strbuf_addc(out, quote);
}

/* utf8_next - decode one code point (lenient: a bad byte is itself) */
static unsigned long utf8_next(const unsigned char *p, size_t n, size_t *used)
{
    unsigned c = p[0];
    size_t len = 1;
    unsigned long cp = c;
    size_t i;

    if (c >= 0xc0 && c < 0xe0) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c < 0xf0) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c < 0xf8) {
        len = 4;
        cp = c & 0x07;
    }
    if (len > n) {
        *used = 1;
        return c;
    }
    for (i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            *used = 1;
            return c;
        }
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    *used = len;
    return cp;
}

/* repr_text - Python 2 unicode repr from UTF-8 */
static void repr_text(struct strbuf *out, const unsigned char *data, size_t len)
{
    char quote = '\'';
    size_t i = 0;

    if (memchr(data, '\'', len) != NULL && memchr(data, '"', len) == NULL) {
        quote = '"';
    }
    strbuf_addc(out, 'u');
    strbuf_addc(out, quote);
    while (i < len) {
        size_t used = 1;
        unsigned long cp = utf8_next(data + i, len - i, &used);
        i += used;
        if (cp == (unsigned long)quote || cp == '\\') {
            strbuf_addc(out, '\\');
            strbuf_addc(out, (char)cp);
        } else if (cp == '\t') {
            strbuf_add(out, "\\t", 2);
        } else if (cp == '\n') {
            strbuf_add(out, "\\n", 2);
        } else if (cp == '\r') {
            strbuf_add(out, "\\r", 2);
        } else if (cp < 0x20 || (cp >= 0x7f && cp < 0x100)) {
            strbuf_addf(out, "\\x%02lx", cp);
        } else if (cp >= 0x100 && cp < 0x10000) {
            strbuf_addf(out, "\\u%04lx", cp);
        } else if (cp >= 0x10000) {
            strbuf_addf(out, "\\U%08lx", cp);
        } else {
            strbuf_addc(out, (char)cp);
        }
    }
    strbuf_addc(out, quote);
}

/* repr_value - Python 2 repr */
void repr_value(struct strbuf *out, const struct value *v)
{
    char buf[64];
    size_t i;

    if (v == NULL) {
        strbuf_adds(out, "None");
        return;
    }
    switch (v->type) {
    case VALUE_NONE:
        strbuf_adds(out, "None");
        break;
    case VALUE_BOOL:
        strbuf_adds(out, v->u.b ? "True" : "False");
        break;
    case VALUE_INT:
        strbuf_addf(out, "%lld", (long long)v->u.i);
        break;
    case VALUE_LONG:
        strbuf_addf(out, "%sL", v->u.digits);
        break;
    case VALUE_FLOAT:
        if (isnan(v->u.f)) {
            strbuf_adds(out, "nan");
        } else if (isinf(v->u.f)) {
            strbuf_adds(out, v->u.f > 0 ? "inf" : "-inf");
        } else {
            jsonw_format_double(v->u.f, buf, sizeof(buf));
            strbuf_adds(out, buf);
        }
        break;
    case VALUE_BYTES:
        repr_bytes(out, v->u.str.data, v->u.str.len);
        break;
    case VALUE_TEXT:
        repr_text(out, v->u.str.data, v->u.str.len);
        break;
    case VALUE_TUPLE:
    case VALUE_LIST:
        strbuf_addc(out, v->type == VALUE_LIST ? '[' : '(');
        for (i = 0; i < v->u.seq.len; i++) {
            if (i > 0) {
                strbuf_add(out, ", ", 2);
            }
            repr_value(out, v->u.seq.items[i]);
        }
        if (v->type == VALUE_TUPLE && v->u.seq.len == 1) {
            strbuf_addc(out, ',');
        }
        strbuf_addc(out, v->type == VALUE_LIST ? ']' : ')');
        break;
    case VALUE_DICT:
        strbuf_addc(out, '{');
        for (i = 0; i < v->u.dict.len; i++) {
            if (i > 0) {
                strbuf_add(out, ", ", 2);
            }
            repr_value(out, v->u.dict.items[i].key);
            strbuf_add(out, ": ", 2);
            repr_value(out, v->u.dict.items[i].val);
        }
        strbuf_addc(out, '}');
        break;
    case VALUE_INSTANCE:
        strbuf_addf(out, "<%s ", v->u.inst.cls);
        repr_value(out, v->u.inst.state);
        strbuf_addc(out, '>');
        break;
    }
}
