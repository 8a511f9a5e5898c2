#ifndef MMFIX_LOCKSET_H
#define MMFIX_LOCKSET_H

/*
 * lockset - the list locks one writing run holds, taken before the run reads
 * its lists and kept until its files are settled.
 *
 * A writer that read a list before taking its lock would write back a tree
 * that misses whatever Mailman saved while it waited. So every writing
 * command takes the locks of the lists it will touch first (all or none,
 * in name order), then reads and plans under them, then applies; the plan
 * is checked against the set before the first byte changes.
 */

#include <stdbool.h>
#include <stddef.h>

struct install;
struct lockset;

/* lockset_acquire - take locks/<name>.lock of each name (duplicates once), waiting up to
 * timeout_ms for each (0: not at all). All or none: on failure the locks already taken are
 * released. -1 with *busy_r = true when a live process holds one (exit 75); false for
 * other errors, or a stop signal while waiting (sigstop_pending() tells). */
int lockset_acquire(const struct install *install, char *const *names, size_t n, int timeout_ms,
                    struct lockset **ls_r, bool *busy_r, const char **error_r);
/* lockset_covers - name's lock is in the set */
bool lockset_covers(const struct lockset *ls, const char *name);
/* lockset_check - every lock of the set is still ours (Mailman broke none of them) */
int lockset_check(const struct lockset *ls, const char **error_r);
/* lockset_release - release every lock; frees, sets *ls NULL (NULL ok). -1 when a lock
 * could not be removed (it is marked expired then, so Mailman breaks it at its next try)
 * or was no longer ours: *error_r names the first */
int lockset_release(struct lockset **ls, const char **error_r);
/* lockset_keep - leave every lock file in place (their claimant dies with this process, so
 * Mailman keeps away until the next mmfix command settles the run); frees, sets *ls NULL */
void lockset_keep(struct lockset **ls);

#endif
