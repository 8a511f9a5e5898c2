/*
 * fuzz_tjson - libFuzzer target for the typed-JSON reader (src/tjson.c):
 * tjson_read on arbitrary bytes must never crash, leak or hang and must
 * answer a tree or -1 with a reason; a tree it reads must survive the writer
 * and the reader again unchanged (value -> JSON -> value is the identity,
 * SPEC §3), in the document's own charset.
 *
 * Built by CMake with -DMMFIX_FUZZ=ON (see tests/fuzz/README.md); the plain
 * build links it with replay.c and replays tests/fuzz/seeds/tjson and
 * tests/fuzz/regressions/tjson under ctest.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "mmfix/tjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LLVMFuzzerTestOneInput - read, write, read again, compare */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct value_arena *a = value_arena_new();
    struct value *root = NULL;
    struct value *again = NULL;
    const char *list = NULL;
    const char *charset = NULL;
    enum load_error kind = LOAD_INTERNAL;
    const char *err = NULL;
    struct strbuf out = STRBUF_INIT;
    struct tjson_writer_opts wo = { NULL, true, NULL, NULL };

    if (tjson_read((const char *)data, size, NULL, a, &root, &list, &charset, &kind,
                   &err) != 0) {
        if (root != NULL || err == NULL || kind == LOAD_OK) {
            abort();
        }
        value_arena_free(&a);
        return 0;
    }
    if (root == NULL || kind != LOAD_OK) {
        abort();
    }
    wo.charset = charset;
    tjson_write_document(&out, list != NULL ? list : "fuzz", root, &wo);
    if (tjson_read(out.buf, out.len, NULL, a, &again, NULL, NULL, &kind, &err) != 0
        || !value_equal(root, again)) {
        abort();
    }
    strbuf_release(&out);
    value_arena_free(&a);
    return 0;
}
