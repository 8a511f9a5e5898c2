#ifndef MMFIX_PTRMAP_H
#define MMFIX_PTRMAP_H

/*
 * A hash map keyed by pointer identity: "have I met this node before, and
 * what did I make of it". Open addressing with linear probing, at most half
 * full, power-of-two capacity; no removal (the walks that use it only add).
 * Each entry carries a pointer, a 32-bit number and 32 flag bits for the
 * caller, so a walk keeps what it knows per node in the map itself.
 *
 * Entry pointers are valid until the next ptrmap_insert (which may grow
 * the table); keys are never dereferenced; a NULL key is never stored.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ptrmap_entry {
    const void *key;     /* NULL: an empty slot */
    void *val;           /* the caller's */
    uint32_t num;        /* the caller's (an index, a count) */
    uint32_t flags;      /* the caller's bits */
};

struct ptrmap {
    struct ptrmap_entry *slots;
    size_t cap;          /* 0 or a power of two */
    size_t len;
};

#define PTRMAP_INIT { NULL, 0, 0 }

/* ptrmap_find - the entry for key, or NULL when key is not in the map */
struct ptrmap_entry *ptrmap_find(const struct ptrmap *m, const void *key);

/* ptrmap_insert - the entry for key, added with val, num and flags zero
 * when it was not there; *added_r (may be NULL) says which. A NULL key is
 * not stored: NULL is returned. */
struct ptrmap_entry *ptrmap_insert(struct ptrmap *m, const void *key, bool *added_r);

/* ptrmap_release - free the table, leave an empty map */
void ptrmap_release(struct ptrmap *m);

#endif
