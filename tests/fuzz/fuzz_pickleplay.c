/*
 * fuzz_pickleplay - libFuzzer target for the pure-C half of the pickle
 * reader: pickleplay_check and pickleplay_replay on arbitrary bytes must
 * never crash, leak or hang, must keep the replay within max_nodes, and
 * every graph a replay returns must be walkable (each child link leads to
 * a node, each node's children end); pickleplay_check_replay, the two in
 * one pass, must give what they give apart. No interpreter: this runs thousands
 * of times faster than fuzz_pickle, which also drives the unpickler.
 *
 * Built by CMake with -DMMFIX_FUZZ=ON and run by tests/fuzz/run_fuzz.sh
 * (tests/fuzz/README.md); the plain build replays tests/fuzz/seeds/pickleplay and
 * tests/fuzz/regressions/pickleplay under ctest.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mmfix/pickleplay.h"

#define MAX_NODES 100000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* walk - every child link of every node leads to a node, and ends */
static void walk(struct pickleplay *pp)
{
    size_t i;

    if (pp->root >= pp->n_nodes) {
        abort();
    }
    for (i = 0; i < pp->n_nodes; i++) {
        uint32_t kid;
        size_t n = 0;

        while (pickleplay_next_kid(pp, (uint32_t)i, &kid) == 0) {
            if (kid >= pp->n_nodes || ++n > pp->n_links) {
                abort();
            }
        }
        if (n != pp->nodes[i].nkids) {
            abort();
        }
        if (pp->nodes[i].state != PICKLEPLAY_NIL && pp->nodes[i].state >= pp->n_nodes) {
            abort();
        }
    }
}

/* LLVMFuzzerTestOneInput - one input through the check and the replay */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pickleops_info info;
    struct pickleplay_check ck;
    struct pickleops_info info2;
    struct pickleplay_check ck2;
    struct pickleplay pp;
    struct pickleplay fused;
    const char *err = NULL;
    const char *err2 = NULL;
    int replayed = 0;
    int ret;
    int ret2;
    int rr;

    ret = pickleplay_check(data, size, &info, &ck, &err);
    if (ret != 0 && err == NULL) {
        abort();
    }
    if (ret == 0 && info.protocol > 2) {
        abort();
    }
    ret2 = pickleplay_check_replay(data, size, MAX_NODES, &info2, &ck2, &fused, &replayed,
                                   &err2);
    if (ret2 != ret || info2.opcodes != info.opcodes || info2.protocol != info.protocol
        || (ret == 1 && ck2.kind != ck.kind) || (ret != 0 && strcmp(err, err2) != 0)) {
        abort();
    }
    rr = pickleplay_replay(data, size, MAX_NODES, &pp);
    if (rr == 0) {
        /* the bound is checked after each opcode: at most one opcode's
         * worth over (TUPLE3 adds 1 node, 3 links) */
        if (pp.n_nodes > MAX_NODES + 1 || pp.n_links > MAX_NODES + 3) {
            abort();
        }
        walk(&pp);
    }
    /* fused, the replay is kept when the check passes and it replays */
    if (replayed != (ret == 0 && rr == 0 && pp.root != PICKLEPLAY_NIL)
        || (replayed && (fused.n_nodes != pp.n_nodes || fused.n_links != pp.n_links
                         || fused.root != pp.root))) {
        abort();
    }
    pickleplay_free(&pp);
    pickleplay_free(&fused);
    return 0;
}
