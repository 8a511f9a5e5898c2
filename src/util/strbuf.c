/*
 * strbuf - growable byte buffers
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmfix/strbuf.h"
#include "mmfix/xalloc.h"

/* strbuf_init - empty buffer */
void strbuf_init(struct strbuf *sb)
{
    sb->buf = NULL;
    sb->len = 0;
    sb->cap = 0;
}

/* strbuf_release - free storage */
void strbuf_release(struct strbuf *sb)
{
    free(sb->buf);
    strbuf_init(sb);
}

/* strbuf_detach - give away storage */
char *strbuf_detach(struct strbuf *sb, size_t *len_r)
{
    char *p = NULL;

    strbuf_grow(sb, 0);
    p = sb->buf;
    if (len_r != NULL) {
        *len_r = sb->len;
    }
    strbuf_init(sb);
    return p;
}

/* strbuf_reset - make empty, keep storage */
void strbuf_reset(struct strbuf *sb)
{
    sb->len = 0;
    if (sb->buf != NULL) {
        sb->buf[0] = '\0';
    }
}

/* strbuf_grow - make room for extra more bytes plus the terminator */
void strbuf_grow(struct strbuf *sb, size_t extra)
{
    size_t need = sb->len + extra + 1;

    if (need < sb->len) {
        need = (size_t)-1; /* overflow: xrealloc will fail loudly */
    }
    if (need > sb->cap) {
        size_t cap = sb->cap ? sb->cap : 64;
        while (cap < need) {
            cap = cap * 2 > cap ? cap * 2 : need;
        }
        sb->buf = xrealloc(sb->buf, cap);
        sb->cap = cap;
    }
    sb->buf[sb->len] = '\0';
}

/* strbuf_add - append bytes */
void strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
    strbuf_grow(sb, len);
    if (len > 0) {
        memcpy(sb->buf + sb->len, data, len);
    }
    sb->len += len;
    sb->buf[sb->len] = '\0';
}

/* strbuf_addc - append one byte */
void strbuf_addc(struct strbuf *sb, char c)
{
    strbuf_grow(sb, 1);
    sb->buf[sb->len++] = c;
    sb->buf[sb->len] = '\0';
}

/* strbuf_adds - append a C string */
void strbuf_adds(struct strbuf *sb, const char *s)
{
    strbuf_add(sb, s, strlen(s));
}

/* strbuf_add_printable - append s, control bytes as \xNN */
void strbuf_add_printable(struct strbuf *sb, const char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f) {
            strbuf_addf(sb, "\\x%02x", c);
        } else {
            strbuf_addc(sb, (char)c);
        }
    }
}

/* strbuf_vaddf - append formatted text */
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n <= 0) {
        return;
    }
    strbuf_grow(sb, (size_t)n);
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
}

/* strbuf_addf - append formatted text */
void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    strbuf_vaddf(sb, fmt, ap);
    va_end(ap);
}

/* strbuf_cstr - contents as a C string */
const char *strbuf_cstr(const struct strbuf *sb)
{
    return sb->buf != NULL ? sb->buf : "";
}
