#ifndef MMFIX_UDIFF_H
#define MMFIX_UDIFF_H

/*
 * A unified diff (diff -u, three lines of context) of two texts, for the
 * dry-run report of files mmfix writes whole (the alias files). Lines are
 * matched by a longest common subsequence between the first and the last
 * difference; when that middle part is too large for it (more than
 * UDIFF_MAX_CELLS line pairs) it is shown as removed, then added.
 */

#include <stddef.h>

#include "mmfix/strbuf.h"

#define UDIFF_MAX_CELLS ((size_t)4 * 1024 * 1024)

/* udiff_text - "--- label\n+++ label (after)\n" and the hunks turning a into b; nothing
 * when they are equal. a or b may be NULL (empty). */
void udiff_text(struct strbuf *out, const char *label, const char *a, size_t alen,
                const char *b, size_t blen);

#endif
