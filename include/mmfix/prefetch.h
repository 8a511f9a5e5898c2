/*
 * prefetch - lists read ahead on a second thread while the caller plans
 * the one before
 */
#ifndef MMFIX_PREFETCH_H
#define MMFIX_PREFETCH_H

#include <stdbool.h>
#include <stddef.h>

#include "mmfix/mlist.h"

struct prefetch;

#define PREFETCH_MAX_THREADS 4

/* prefetch_start - `threads` threads (1 to PREFETCH_MAX_THREADS) that read
 * names[0..n) in order with mlist_open(lists_dir, name, flags, NULL), at
 * most `ahead` lists before the one the caller is at, and only while the
 * lists read (or read ahead by the caller, prefetch_take) and not yet taken
 * come from no more than ahead_bytes of files (the next list is read
 * whatever its size). The interpreter is
 * started first (pyload_init, in the calling thread). names and lists_dir
 * must outlive the prefetch. -1 (nothing started, *error_r set) when no
 * thread can be made; the caller then reads its lists itself. */
int prefetch_start(const char *lists_dir, char *const *names, size_t n, unsigned flags,
                   size_t threads, size_t ahead, size_t ahead_bytes, struct prefetch **pf_r,
                   const char **error_r);

/* prefetch_at - the caller now plans names[i]: what was read for the
 * lists before it is dropped */
void prefetch_at(struct prefetch *pf, size_t i);

/* prefetch_take - mlist_open(lists_dir, name, flags, NULL, ml_r, error_r)
 * for the list the caller is at (while it is being read, the caller does
 * the C half of reading the lists after it: pyload_pre_file), when name and flags are the ones read
 * ahead: true, and *rc_r, *ml_r, *error_r are what mlist_open gave (the
 * list read once: a second take of it is false). Else false: the caller
 * reads it itself. pf may be NULL. */
bool prefetch_take(struct prefetch *pf, const char *name, unsigned flags, int *rc_r,
                   struct mlist **ml_r, const char **error_r);

/* prefetch_stop - stop the threads (a list one is reading is finished
 * first), free what was not taken; *pf_p NULL */
void prefetch_stop(struct prefetch **pf_p);

#endif
