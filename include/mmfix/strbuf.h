#ifndef MMFIX_STRBUF_H
#define MMFIX_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

/* A growable byte buffer, always NUL-terminated after its len bytes (the
 * terminator is not counted). It may hold NUL bytes. Pointers into buf die
 * when the buffer grows. */
struct strbuf {
    char *buf;
    size_t len;
    size_t cap;
};

#define STRBUF_INIT { NULL, 0, 0 }

void strbuf_init(struct strbuf *sb);
/* strbuf_release - free the storage, leave an empty buffer */
void strbuf_release(struct strbuf *sb);
/* strbuf_detach - hand the storage to the caller (free() it), reset sb */
char *strbuf_detach(struct strbuf *sb, size_t *len_r);
void strbuf_reset(struct strbuf *sb);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addc(struct strbuf *sb, char c);
void strbuf_adds(struct strbuf *sb, const char *s);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* strbuf_add_printable - append C string s with every control byte (below 0x20, 0x7f) as
 * \xNN: names and messages from the data (a list directory named with a newline) cannot
 * start a line of their own in a report */
void strbuf_add_printable(struct strbuf *sb, const char *s);
/* strbuf_cstr - the contents as a C string (never NULL) */
const char *strbuf_cstr(const struct strbuf *sb);

#endif
