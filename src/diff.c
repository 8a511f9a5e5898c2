/*
 * diff - attribute-level differences between two list configurations
 *
 * DESCRIPTION
 *  The dry-run report shows what an administrator would check by hand:
 *  which attribute changed and, for the member dicts, which member. Dicts
 *  on both sides are compared per key using the after side's hash index,
 *  so a 100,000-member list costs one pass.
 */
#include <stdlib.h>

#include "mmfix/diff.h"
#include "mmfix/xalloc.h"

/* diff_init - empty */
void diff_init(struct diff *d)
{
    d->items = NULL;
    d->len = 0;
    d->cap = 0;
}

/* diff_free - release the array (values belong to the trees) */
void diff_free(struct diff *d)
{
    free(d->items);
    diff_init(d);
}

static void diff_add(struct diff *d, const struct value *attr, const struct value *key,
                     long index, const struct value *before, const struct value *after)
{
    struct diff_change *c = NULL;

    if (d->len == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->items = xreallocarray(d->items, d->cap, sizeof(*d->items));
    }
    c = &d->items[d->len++];
    c->attribute = attr;
    c->key = key;
    c->index = index;
    c->before = before;
    c->after = after;
}

static void diff_attr(struct value_arena *arena, const struct value *attr,
                      struct value *b, struct value *a, struct diff *d)
{
    size_t i;

    if (value_equal(b, a)) {
        return;
    }
    if (b->type == VALUE_DICT && a->type == VALUE_DICT) {
        for (i = 0; i < b->u.dict.len; i++) {
            const struct value *k = b->u.dict.items[i].key;
            const struct value *av = value_dict_get(arena, a, k);
            if (av == NULL || !value_equal(b->u.dict.items[i].val, av)) {
                diff_add(d, attr, k, -1, b->u.dict.items[i].val, av);
            }
        }
        for (i = 0; i < a->u.dict.len; i++) {
            const struct value *k = a->u.dict.items[i].key;
            if (value_dict_get(arena, b, k) == NULL) {
                diff_add(d, attr, k, -1, NULL, a->u.dict.items[i].val);
            }
        }
        return;
    }
    if (b->type == VALUE_LIST && a->type == VALUE_LIST && b->u.seq.len == a->u.seq.len) {
        for (i = 0; i < b->u.seq.len; i++) {
            if (!value_equal(b->u.seq.items[i], a->u.seq.items[i])) {
                diff_add(d, attr, NULL, (long)i, b->u.seq.items[i], a->u.seq.items[i]);
            }
        }
        return;
    }
    diff_add(d, attr, NULL, -1, b, a);
}

/* diff_configs - all changes */
void diff_configs(struct value_arena *arena, struct value *before, struct value *after,
                  struct diff *d)
{
    size_t i;

    for (i = 0; i < before->u.dict.len; i++) {
        const struct value *k = before->u.dict.items[i].key;
        struct value *av = value_dict_get(arena, after, k);
        if (av == NULL) {
            diff_add(d, k, NULL, -1, before->u.dict.items[i].val, NULL);
        } else {
            diff_attr(arena, k, before->u.dict.items[i].val, av, d);
        }
    }
    for (i = 0; i < after->u.dict.len; i++) {
        const struct value *k = after->u.dict.items[i].key;
        if (value_dict_get(arena, before, k) == NULL) {
            diff_add(d, k, NULL, -1, NULL, after->u.dict.items[i].val);
        }
    }
}
