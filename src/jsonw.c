/*
 * jsonw - streaming JSON writer
 *
 * DESCRIPTION
 *  Writes JSON text into a strbuf. Pretty output puts each member on its
 *  own line, indented two spaces per level; empty containers stay "{}"
 *  and "[]". Doubles use the shortest round-trip form, in the style of
 *  Python's repr() (so 1270420777.274485 stays readable).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmfix/jsonw.h"

/* jsonw_init - start writing into out */
void jsonw_init(struct jsonw *w, struct strbuf *out, bool compact)
{
    memset(w, 0, sizeof(*w));
    w->out = out;
    w->compact = compact;
    w->first[0] = true;
}

/* jsonw_init_at - a writer for a fragment at depth */
void jsonw_init_at(struct jsonw *w, struct strbuf *out, bool compact, unsigned depth)
{
    jsonw_init(w, out, compact);
    w->depth = depth < JSONW_MAX_DEPTH ? depth : JSONW_MAX_DEPTH - 1;
    w->first[w->depth] = true;
}

/* jsonw_splice - a fragment's elements after those already written here */
void jsonw_splice(struct jsonw *w, const char *fragment, size_t len)
{
    if (len == 0) {
        return;
    }
    if (!w->first[w->depth]) {
        strbuf_addc(w->out, ',');
    }
    strbuf_add(w->out, fragment, len);
    w->first[w->depth] = false;
}

static void jsonw_newline(struct jsonw *w)
{
    unsigned i;

    if (w->compact) {
        return;
    }
    strbuf_addc(w->out, '\n');
    for (i = 0; i < w->depth; i++) {
        strbuf_add(w->out, "  ", 2);
    }
}

/* before a value or key at the current level */
static void jsonw_sep(struct jsonw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth == 0) {
        return;
    }
    if (!w->first[w->depth]) {
        strbuf_addc(w->out, ',');
    }
    w->first[w->depth] = false;
    jsonw_newline(w);
}

static void jsonw_open(struct jsonw *w, char c)
{
    jsonw_sep(w);
    strbuf_addc(w->out, c);
    if (w->depth + 1 < JSONW_MAX_DEPTH) {
        w->depth++;
    }
    w->first[w->depth] = true;
}

static void jsonw_close(struct jsonw *w, char c)
{
    bool empty = w->first[w->depth];

    if (w->depth > 0) {
        w->depth--;
    }
    if (!empty) {
        jsonw_newline(w);
    }
    strbuf_addc(w->out, c);
    if (w->depth == 0 && !w->compact) {
        strbuf_addc(w->out, '\n');
    }
}

/* jsonw_object_begin - '{' */
void jsonw_object_begin(struct jsonw *w)
{
    jsonw_open(w, '{');
}

/* jsonw_object_end - '}' */
void jsonw_object_end(struct jsonw *w)
{
    jsonw_close(w, '}');
}

/* jsonw_array_begin - '[' */
void jsonw_array_begin(struct jsonw *w)
{
    jsonw_open(w, '[');
}

/* jsonw_array_end - ']' */
void jsonw_array_end(struct jsonw *w)
{
    jsonw_close(w, ']');
}

/* utf8_seq_len - length of the valid UTF-8 sequence at p, 0 if invalid */
static size_t utf8_seq_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    size_t len;
    size_t i;
    unsigned cp;

    if (c < 0x80) {
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len) {
        return 0;
    }
    for (i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
        || (len == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
        return 0;
    }
    return len;
}

/* jsonw_quote - append s as a quoted JSON string */
void jsonw_quote(struct strbuf *out, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    size_t run = 0;

    strbuf_grow(out, len + 2);
    strbuf_addc(out, '"');
    while (i < len) {
        unsigned char c = p[i];
        size_t n;

        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            i++;
            run++;
            continue;
        }
        strbuf_add(out, s + i - run, run);
        run = 0;
        if (c < 0x80) {
            switch (c) {
            case '"': strbuf_add(out, "\\\"", 2); break;
            case '\\': strbuf_add(out, "\\\\", 2); break;
            case '\n': strbuf_add(out, "\\n", 2); break;
            case '\t': strbuf_add(out, "\\t", 2); break;
            case '\r': strbuf_add(out, "\\r", 2); break;
            case '\b': strbuf_add(out, "\\b", 2); break;
            case '\f': strbuf_add(out, "\\f", 2); break;
            default: strbuf_addf(out, "\\u%04x", c); break;
            }
            i++;
            continue;
        }
        n = utf8_seq_len(p + i, len - i);
        if (n == 0) {
            strbuf_add(out, "\\ufffd", 6);
            i++;
        } else {
            strbuf_add(out, s + i, n);
            i += n;
        }
    }
    strbuf_add(out, s + len - run, run);
    strbuf_addc(out, '"');
}

/* jsonw_keyn - write a key */
void jsonw_keyn(struct jsonw *w, const char *key, size_t len)
{
    jsonw_sep(w);
    jsonw_quote(w->out, key, len);
    strbuf_add(w->out, w->compact ? ":" : ": ", w->compact ? 1 : 2);
    w->after_key = true;
}

/* jsonw_key - write a C-string key */
void jsonw_key(struct jsonw *w, const char *key)
{
    jsonw_keyn(w, key, strlen(key));
}

/* jsonw_stringn - write a string value */
void jsonw_stringn(struct jsonw *w, const char *s, size_t len)
{
    jsonw_sep(w);
    jsonw_quote(w->out, s, len);
}

/* jsonw_string - write a C string value, or null for NULL */
void jsonw_string(struct jsonw *w, const char *s)
{
    if (s == NULL) {
        jsonw_null(w);
        return;
    }
    jsonw_stringn(w, s, strlen(s));
}

/* jsonw_int - signed integer */
void jsonw_int(struct jsonw *w, int64_t i)
{
    jsonw_sep(w);
    strbuf_addf(w->out, "%lld", (long long)i);
}

/* jsonw_uint - unsigned integer */
void jsonw_uint(struct jsonw *w, uint64_t u)
{
    jsonw_sep(w);
    strbuf_addf(w->out, "%llu", (unsigned long long)u);
}

/* jsonw_format_double - shortest round-trip text, Python repr layout */
void jsonw_format_double(double d, char *buf, size_t size)
{
    char digits[40];
    char mant[40];
    int prec;
    int exp10 = 0;
    char *e = NULL;
    size_t nd = 0;
    size_t i;
    char *p = NULL;

    if (d == 0.0) {
        snprintf(buf, size, signbit(d) ? "-0.0" : "0.0");
        return;
    }
    if (!isfinite(d)) {
        /* not JSON: callers write {"$float": ...}; keep this total anyway */
        snprintf(buf, size, "%s", isnan(d) ? "nan" : d > 0 ? "inf" : "-inf");
        return;
    }
    for (prec = 1; prec <= 17; prec++) {
        snprintf(digits, sizeof(digits), "%.*e", prec - 1, d);
        if (strtod(digits, NULL) == d) {
            break;
        }
    }
    /* digits looks like [-]D.DDDDe[+-]XX: split mantissa digits and exponent */
    e = strchr(digits, 'e');
    exp10 = atoi(e + 1);
    *e = '\0';
    p = digits;
    for (i = 0; p[i] != '\0'; i++) {
        if (p[i] >= '0' && p[i] <= '9') {
            mant[nd++] = p[i];
        }
    }
    mant[nd] = '\0';
    while (nd > 1 && mant[nd - 1] == '0') {
        mant[--nd] = '\0';
    }
    if (exp10 < -4 || exp10 >= 16) {
        /* scientific: D[.DDD]e[+-]XX like Python */
        if (nd == 1) {
            snprintf(buf, size, "%s%ce%c%02d", d < 0 ? "-" : "", mant[0],
                     exp10 < 0 ? '-' : '+', abs(exp10));
        } else {
            snprintf(buf, size, "%s%c.%se%c%02d", d < 0 ? "-" : "", mant[0], mant + 1,
                     exp10 < 0 ? '-' : '+', abs(exp10));
        }
    } else if (exp10 < 0) {
        snprintf(buf, size, "%s0.%0*d%s", d < 0 ? "-" : "", -exp10 - 1, 0, mant);
        if (exp10 == -1) {
            snprintf(buf, size, "%s0.%s", d < 0 ? "-" : "", mant);
        }
    } else if ((size_t)exp10 + 1 >= nd) {
        snprintf(buf, size, "%s%s%0*d.0", d < 0 ? "-" : "", mant,
                 (int)((size_t)exp10 + 1 - nd), 0);
        if ((size_t)exp10 + 1 == nd) {
            snprintf(buf, size, "%s%s.0", d < 0 ? "-" : "", mant);
        }
    } else {
        snprintf(buf, size, "%s%.*s.%s", d < 0 ? "-" : "", exp10 + 1, mant,
                 mant + exp10 + 1);
    }
}

/* jsonw_double - shortest float */
void jsonw_double(struct jsonw *w, double d)
{
    char buf[64];

    jsonw_sep(w);
    jsonw_format_double(d, buf, sizeof(buf));
    strbuf_adds(w->out, buf);
}

/* jsonw_bool - true/false */
void jsonw_bool(struct jsonw *w, bool b)
{
    jsonw_sep(w);
    strbuf_adds(w->out, b ? "true" : "false");
}

/* jsonw_null - null */
void jsonw_null(struct jsonw *w)
{
    jsonw_sep(w);
    strbuf_add(w->out, "null", 4);
}

/* jsonw_raw - pre-encoded value */
void jsonw_raw(struct jsonw *w, const char *json)
{
    jsonw_sep(w);
    strbuf_adds(w->out, json);
}
