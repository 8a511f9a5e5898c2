/*
 * fuzz_pickle - libFuzzer target for the pickle reader: pickleops_scan and
 * pyload_unpickle on arbitrary bytes must never crash, leak, run code or
 * load anything but a value tree.
 *
 * Built by CMake with -DMMFIX_FUZZ=ON and run by tests/fuzz/run_fuzz.sh
 * (tests/fuzz/README.md); the plain build replays tests/fuzz/seeds/pickle and
 * tests/fuzz/regressions/pickle under ctest.
 * Needs the embedded interpreter: MMFIX_PYTHON_DIR=BUILD/python.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "mmfix/pickleops.h"
#include "mmfix/pyload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LLVMFuzzerTestOneInput - one input through the lexer and the loader */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int started;
    struct pickleops_info info;
    struct load_limits lim = { 1 << 20, 64, 100000 };
    struct value_arena *arena = NULL;
    struct value *root = NULL;
    struct pyload_info pi;
    enum load_error kind = LOAD_OK;
    const char *err = NULL;
    int ret;

    if (!started) {
        if (pyload_init(&err) < 0) {
            fprintf(stderr, "fuzz_pickle: %s\n", err);
            abort();
        }
        started = 1;
    }
    (void)pickleops_scan(data, size, &info, &err);
    arena = value_arena_new();
    ret = pyload_unpickle(data, size, &lim, arena, &root, &pi, &kind, &err);
    if (ret == 0 && (root == NULL || kind != LOAD_OK || pi.protocol > 2)) {
        abort();
    }
    if (ret < 0 && (root != NULL || kind == LOAD_OK || err == NULL)) {
        abort();
    }
    if (ret < 0 && kind == LOAD_INTERNAL) {
        fprintf(stderr, "fuzz_pickle: internal error: %s\n", err);
        abort();
    }
    value_arena_free(&arena);
    return 0;
}
