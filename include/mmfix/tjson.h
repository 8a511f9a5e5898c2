#ifndef MMFIX_TJSON_H
#define MMFIX_TJSON_H

#include <stdbool.h>

#include "mmfix/jsonw.h"
#include "mmfix/loaderr.h"
#include "mmfix/strbuf.h"
#include "mmfix/value.h"

/*
 * Typed JSON (SPEC §3): a lossless JSON form of a value tree.
 *   {"format": "mmfix-typed-json/1", "list": NAME, "charset": CS, "config": V}
 * A JSON string is a Python 2 str whose bytes are that text encoded in CS;
 * {"$unicode": s}, {"$bytes": base64}, {"$tuple": [...]}, {"$long": digits},
 * {"$float": "nan"|"inf"|"-inf"}, {"$dict": [[k, v], ...]},
 * {"$instance": "Module.Class", "$state": V} say the rest. A str whose bytes
 * do not survive decode+encode in CS is written as $bytes and reported.
 * Unicode that is not valid UTF-8 (lone surrogates from Python 2) is
 * {"$unicode_utf8b": base64} of its surrogatepass bytes.
 */

#define TJSON_FORMAT "mmfix-typed-json/1"

/* Called for every str that does not decode in the charset: path is the
 * Python expression of where it sits (info, usernames['a@b']), offset the
 * first bad byte. */
typedef void tjson_undecodable_fn(void *ctx, const char *path, size_t offset);

struct tjson_writer_opts {
    const char *charset;             /* list charset; NULL = us-ascii */
    bool compact;
    tjson_undecodable_fn *undecodable; /* may be NULL */
    void *ctx;
};

/* tjson_write_document - the whole document for list */
void tjson_write_document(struct strbuf *out, const char *list, const struct value *root,
                          const struct tjson_writer_opts *opts);
/* tjson_write_value - one value into an open writer */
void tjson_write_value(struct jsonw *w, const struct value *v,
                       const struct tjson_writer_opts *opts);

/* tjson_read - parse a typed JSON document. The list name and charset are
 * returned in arena memory (list_r/charset_r may be NULL). charset_override
 * (may be NULL) replaces the document's charset for encoding strings. */
int tjson_read(const char *text, size_t len, const char *charset_override,
               struct value_arena *arena, struct value **root_r,
               const char **list_r, const char **charset_r,
               enum load_error *kind_r, const char **error_r);

/* base64 helpers (RFC 4648, with padding) */
void tjson_base64_encode(struct strbuf *out, const unsigned char *data, size_t len);
int tjson_base64_decode(const char *text, size_t len, struct strbuf *out);

#endif
