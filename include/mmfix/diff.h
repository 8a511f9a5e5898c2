#ifndef MMFIX_DIFF_H
#define MMFIX_DIFF_H

#include <stddef.h>

#include "mmfix/value.h"

/*
 * What changed between two configurations of one list: one change per
 * top-level attribute, or per key for dicts present on both sides
 * (members['ana@x.org']), or per index for lists of the same length.
 * A NULL side means "absent". Values point into the two trees.
 */
struct diff_change {
    const struct value *attribute;   /* the top-level key */
    const struct value *key;         /* dict key, or NULL */
    long index;                      /* list index, or -1 */
    const struct value *before;
    const struct value *after;
};

struct diff {
    struct diff_change *items;
    size_t len;
    size_t cap;
};

void diff_init(struct diff *d);
void diff_free(struct diff *d);
/* diff_configs - changes from before to after (both dicts), in the order
 * of before's keys, then keys only after has */
void diff_configs(struct value_arena *arena, struct value *before, struct value *after,
                  struct diff *d);

#endif
