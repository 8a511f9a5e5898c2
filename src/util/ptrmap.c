/*
 * ptrmap - hash map keyed by pointer identity
 *
 * DESCRIPTION
 *  Open addressing, linear probing, grown (doubled) before it is half
 *  full, so a probe ends at an empty slot after a few steps. The pointer
 *  is mixed by the 64-bit finalizer of MurmurHash3: arena nodes lie at
 *  regular strides, and their low bits alone would cluster.
 *
 *  The pickle writer, the Python-object converter and value_copy() each
 *  look up every shared node of a list's tree once or more: a large scan
 *  does this millions of times, hence no indirection per entry.
 */
#include <stdint.h>
#include <stdlib.h>

#include "mmfix/ptrmap.h"
#include "mmfix/xalloc.h"

#define PTRMAP_FIRST_CAP 64

/* slot_of - the home slot of key in a table of mask + 1 slots */
static size_t slot_of(const void *key, size_t mask)
{
    uint64_t h = (uint64_t)(uintptr_t)key;

    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return (size_t)h & mask;
}

/* probe - the slot holding key, or the empty slot where it would go */
static struct ptrmap_entry *probe(const struct ptrmap *m, const void *key)
{
    size_t mask = m->cap - 1;
    size_t pos = slot_of(key, mask);

    while (m->slots[pos].key != NULL && m->slots[pos].key != key) {
        pos = (pos + 1) & mask;
    }
    return &m->slots[pos];
}

/* grow - double the table (or make the first one) and re-place every entry */
static void grow(struct ptrmap *m)
{
    struct ptrmap_entry *old = m->slots;
    size_t old_cap = m->cap;
    size_t i;

    m->cap = old_cap == 0 ? PTRMAP_FIRST_CAP : old_cap * 2;
    m->slots = xcalloc(m->cap, sizeof(*m->slots));
    for (i = 0; i < old_cap; i++) {
        if (old[i].key != NULL) {
            *probe(m, old[i].key) = old[i];
        }
    }
    free(old);
}

/* ptrmap_find - look key up */
struct ptrmap_entry *ptrmap_find(const struct ptrmap *m, const void *key)
{
    struct ptrmap_entry *e = NULL;

    if (m->cap == 0 || key == NULL) {
        return NULL;
    }
    e = probe(m, key);
    return e->key != NULL ? e : NULL;
}

/* ptrmap_insert - find or add key */
struct ptrmap_entry *ptrmap_insert(struct ptrmap *m, const void *key, bool *added_r)
{
    struct ptrmap_entry *e = NULL;

    if (added_r != NULL) {
        *added_r = false;
    }
    if (key == NULL) {
        return NULL;  /* never stored: NULL marks an empty slot */
    }
    if (m->cap > 0) {
        e = probe(m, key);
        if (e->key != NULL) {
            return e;
        }
    }
    if (m->cap == 0 || (m->len + 1) * 2 > m->cap) {
        grow(m);
        e = probe(m, key);
    }
    e->key = key;
    m->len++;
    if (added_r != NULL) {
        *added_r = true;
    }
    return e;
}

/* ptrmap_release - free the table */
void ptrmap_release(struct ptrmap *m)
{
    free(m->slots);
    m->slots = NULL;
    m->cap = 0;
    m->len = 0;
}
