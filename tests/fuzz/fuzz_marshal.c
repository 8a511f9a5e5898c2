/*
 * fuzz_marshal - libFuzzer target for the Python 2 marshal reader:
 * marshal_read on arbitrary bytes must never crash, leak or hang, must
 * answer 0 with a tree or -1 with a reason, and must hold its limits.
 *
 * Built by CMake with -DMMFIX_FUZZ=ON and run by tests/fuzz/run_fuzz.sh
 * (tests/fuzz/README.md); the plain build replays tests/fuzz/seeds/marshal and
 * tests/fuzz/regressions/marshal under ctest.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "mmfix/marshal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check_tree - every node is well formed; returns the deepest nesting */
static unsigned check_tree(const struct value *v, size_t *nodes)
{
    unsigned deepest = 0;
    unsigned d;
    size_t i;

    (*nodes)++;
    if (v->refs == 0 && *nodes > 1) {
        abort();
    }
    switch (v->type) {
    case VALUE_TUPLE:
    case VALUE_LIST:
        for (i = 0; i < v->u.seq.len; i++) {
            d = check_tree(v->u.seq.items[i], nodes);
            deepest = d > deepest ? d : deepest;
        }
        return deepest + 1;
    case VALUE_DICT:
        for (i = 0; i < v->u.dict.len; i++) {
            if (v->u.dict.items[i].key->type == VALUE_LIST ||
                v->u.dict.items[i].key->type == VALUE_DICT) {
                abort();
            }
            d = check_tree(v->u.dict.items[i].key, nodes);
            deepest = d > deepest ? d : deepest;
            d = check_tree(v->u.dict.items[i].val, nodes);
            deepest = d > deepest ? d : deepest;
        }
        return deepest + 1;
    case VALUE_INSTANCE:
        abort();  /* marshal never makes instances */
    default:
        return 0;
    }
}

/* run - one parse under lim; checks the contract */
static void run(const uint8_t *data, size_t size, const struct load_limits *lim)
{
    struct value_arena *arena = value_arena_new();
    struct value *root = NULL;
    struct marshal_info info;
    enum load_error kind = LOAD_INTERNAL;
    const char *err = NULL;
    size_t nodes = 0;
    int ret;

    ret = marshal_read(data, size, lim, arena, &root, &info, &kind, &err);
    if (ret == 0) {
        if (root == NULL || kind != LOAD_OK || info.version < 0 || info.version > 2) {
            abort();
        }
        if (check_tree(root, &nodes) > lim->max_depth || info.objects > lim->max_objects) {
            abort();
        }
    } else {
        if (ret != -1 || root != NULL || err == NULL || kind == LOAD_OK ||
            kind == LOAD_INTERNAL || kind == LOAD_MISSING || kind == LOAD_IO) {
            abort();
        }
    }
    value_arena_free(&arena);
}

/* LLVMFuzzerTestOneInput - one input under generous and under tight limits */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct load_limits wide = { 1 << 20, 200, 1000000 };
    struct load_limits tight = { 1 << 20, 3, 64 };

    run(data, size, &wide);
    run(data, size, &tight);
    return 0;
}
