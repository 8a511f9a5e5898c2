/*
 * fuzz_roundtrip - libFuzzer target for the pickle writer (src/pickle.c):
 * a value tree derived from the input (the input unpickled by the restricted
 * unpickler, once as a plain tree and once with the file's memo kept) is
 * written with pickle_write; the bytes written must pass mmfix's own opcode
 * check (pickleplay_check: nothing that calls code, protocol 2 at most),
 * must load again to an equal tree, and writing that tree again must give
 * the same bytes (the writer's output is a fixed point: an unchanged file
 * comes back byte for byte).
 *
 * Needs the embedded interpreter: MMFIX_PYTHON_DIR=BUILD/python. Built by
 * CMake with -DMMFIX_FUZZ=ON (tests/fuzz/README.md); the plain build replays
 * tests/fuzz/seeds/roundtrip and tests/fuzz/regressions/roundtrip under
 * ctest. Seeds: any Mailman pickle (config.pck, request.pck, pending.pck).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmfix/pickle.h"
#include "mmfix/pickleplay.h"
#include "mmfix/pyload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* load - the restricted unpickler; NULL when it refuses (never for what the writer wrote) */
static struct value *load(const void *data, size_t len, int keep_memo, struct value_arena *a)
{
    struct load_limits lim = { 1 << 20, 64, 100000 };
    struct pyload_opts opts = { .keep_memo = keep_memo };
    struct value *root = NULL;
    enum load_error kind = LOAD_OK;
    const char *err = NULL;

    if (pyload_unpickle_ex(data, len, &lim, &opts, a, &root, NULL, &kind, &err) != 0) {
        if (kind == LOAD_INTERNAL) {
            fprintf(stderr, "fuzz_roundtrip: internal error: %s\n", err);
            abort();
        }
        return NULL;
    }
    return root;
}

/* round_trip - v written, checked, read back equal, written again the same */
static void round_trip(const struct value *v, int keep_memo)
{
    struct value_arena *a = value_arena_new();
    struct strbuf b1 = STRBUF_INIT;
    struct strbuf b2 = STRBUF_INIT;
    struct pickleops_info info;
    struct pickleplay_check ck;
    struct value *again = NULL;
    const char *err = NULL;

    if (pickle_write(&b1, v, &err) != 0) {
        /* a tree the unpickler made is always writable */
        fprintf(stderr, "fuzz_roundtrip: pickle_write: %s\n", err);
        abort();
    }
    if (pickleplay_check(b1.buf, b1.len, &info, &ck, &err) != 0
        || info.stop_offset + 1 != b1.len || info.protocol > 2) {
        fprintf(stderr, "fuzz_roundtrip: the writer's own output is refused: %s\n",
                err != NULL ? err : "bytes after STOP");
        abort();
    }
    again = load(b1.buf, b1.len, keep_memo, a);
    if (again == NULL || !value_equal(v, again)) {
        fprintf(stderr, "fuzz_roundtrip: what was written does not load as the same tree\n");
        abort();
    }
    if (pickle_write(&b2, again, &err) != 0 || b2.len != b1.len
        || memcmp(b1.buf, b2.buf, b1.len) != 0) {
        fprintf(stderr, "fuzz_roundtrip: writing what was read back changes the bytes\n");
        abort();
    }
    strbuf_release(&b1);
    strbuf_release(&b2);
    value_arena_free(&a);
}

/* LLVMFuzzerTestOneInput - the input as a tree, twice (without and with its memo) */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int started;
    const char *err = NULL;
    int keep_memo;

    if (!started) {
        if (pyload_init(&err) < 0) {
            fprintf(stderr, "fuzz_roundtrip: %s\n", err);
            abort();
        }
        started = 1;
    }
    for (keep_memo = 0; keep_memo < 2; keep_memo++) {
        struct value_arena *a = value_arena_new();
        struct value *v = load(data, size, keep_memo, a);
        if (v != NULL) {
            round_trip(v, keep_memo);
        }
        value_arena_free(&a);
    }
    return 0;
}
