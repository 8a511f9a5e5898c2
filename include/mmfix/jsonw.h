#ifndef MMFIX_JSONW_H
#define MMFIX_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mmfix/strbuf.h"

/*
 * A streaming JSON writer into a strbuf: reports and typed JSON documents.
 * The writer tracks nesting and commas itself; output is indented by two
 * spaces per level, one member per line, keys in the order written. Strings
 * given to it must be UTF-8 (jsonw_string escapes control characters and
 * quotes; invalid UTF-8 is the caller's bug and is written as U+FFFD).
 * Parsing is jansson's job; this only writes.
 */

#define JSONW_MAX_DEPTH 512

struct jsonw {
    struct strbuf *out;
    unsigned depth;
    bool first[JSONW_MAX_DEPTH];  /* nothing written yet at this level */
    bool after_key;
    bool compact;                 /* no newlines/indentation */
};

void jsonw_init(struct jsonw *w, struct strbuf *out, bool compact);
/* jsonw_init_at - a writer for a fragment that will stand at depth (inside that many open
 * objects/arrays) of another writer's output, as its first element: jsonw_splice puts it there */
void jsonw_init_at(struct jsonw *w, struct strbuf *out, bool compact, unsigned depth);
/* jsonw_splice - the elements of a fragment written by jsonw_init_at at w's depth */
void jsonw_splice(struct jsonw *w, const char *fragment, size_t len);
void jsonw_object_begin(struct jsonw *w);
void jsonw_object_end(struct jsonw *w);
void jsonw_array_begin(struct jsonw *w);
void jsonw_array_end(struct jsonw *w);
/* jsonw_key - the next value's key (inside an object) */
void jsonw_key(struct jsonw *w, const char *key);
void jsonw_keyn(struct jsonw *w, const char *key, size_t len);
void jsonw_string(struct jsonw *w, const char *s);
void jsonw_stringn(struct jsonw *w, const char *s, size_t len);
void jsonw_int(struct jsonw *w, int64_t i);
void jsonw_uint(struct jsonw *w, uint64_t u);
/* jsonw_double - shortest text that reads back as the same double; always
 * has a '.' or an exponent so a reader sees a real. Finite values only. */
void jsonw_double(struct jsonw *w, double d);
void jsonw_bool(struct jsonw *w, bool b);
void jsonw_null(struct jsonw *w);
/* jsonw_raw - an already-encoded JSON value */
void jsonw_raw(struct jsonw *w, const char *json);

/* jsonw_quote - append s (len bytes of UTF-8) as a quoted JSON string */
void jsonw_quote(struct strbuf *out, const char *s, size_t len);

/* jsonw_format_double - the number text jsonw_double writes (buf >= 32) */
void jsonw_format_double(double d, char *buf, size_t size);

#endif
