/*
 * fuzz_pickleplay - libFuzzer target for the pure-C half of the pickle
 * reader: pickleplay_check and pickleplay_replay on arbitrary bytes must
 * never crash, leak or hang, must keep the replay within max_nodes, and
 * every graph a replay returns must be walkable (each child link leads to
 * a node, each node's children end). No interpreter: this runs thousands
 * of times faster than fuzz_pickle, which also drives the unpickler.
 *
 * Built by CMake with -DMMFIX_FUZZ=ON and run by tests/fuzz/run_fuzz.sh
 * (tests/fuzz/README.md); the plain build replays tests/fuzz/seeds/pickleplay and
 * tests/fuzz/regressions/pickleplay under ctest.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

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
    struct pickleplay pp;
    const char *err = NULL;
    int ret;

    ret = pickleplay_check(data, size, &info, &ck, &err);
    if (ret != 0 && err == NULL) {
        abort();
    }
    if (ret == 0 && info.protocol > 2) {
        abort();
    }
    if (pickleplay_replay(data, size, MAX_NODES, &pp) == 0) {
        /* the bound is checked after each opcode: at most one opcode's
         * worth over (TUPLE3 adds 1 node, 3 links) */
        if (pp.n_nodes > MAX_NODES + 1 || pp.n_links > MAX_NODES + 3) {
            abort();
        }
        walk(&pp);
    }
    pickleplay_free(&pp);
    return 0;
}
