#ifndef MMFIX_APPLY_H
#define MMFIX_APPLY_H

#include <stdbool.h>
#include <stdint.h>

#include "mmfix/plan.h"

struct install;
struct journal;
struct lockset;

/*
 * Carrying out a plan, the only place that writes list data:
 *  0. the caller takes the lock of every list it will touch (lockset.h)
 *     BEFORE it reads them, and plans under the locks; apply_plan refuses
 *     a plan with a list or path outside the set, and one whose locks
 *     are no longer ours;
 *  1. journal the run and the before-image of every path an operation
 *     touches, committed before the first byte changes;
 *  2. the operations in plan order, each with Mailman's atomic save; a
 *     stop signal (sigstop.h) is honoured between two operations;
 *  3. journal the after-images and mark the run done.
 * A failure or a stop in 2 or 3 rolls the run back from the journal at
 * once, while the locks are still held. If that rollback fails too, the
 * locks are kept (lockset_keep: *locks becomes NULL), so that Mailman
 * cannot write the lists before the next mmfix command rolls the run back.
 * The caller releases the locks afterwards.
 */

struct apply_opts {
    int lock_timeout_ms;     /* 0: fail at once when a list is locked */
    const char *command;     /* "repair", ... for the journal */
};

enum apply_status {
    APPLY_OK,
    APPLY_BUSY,      /* a list is locked by a live process (exit 75) */
    APPLY_FAILED,    /* I/O or journal error; rolled back where possible (exit 74) */
    APPLY_INTERRUPTED, /* a stop signal: rolled back, or nothing done (exit 128 + signal) */
};

/* apply_check_ops - the operations of p from first on would pass apply's own checks as the
 * tree is now: every path inside the var prefix with no symbolic link on its way, and none
 * where a file, directory or link is written, moved or copied (a link may only be removed or
 * replaced by one). Steps call it when they plan, so that a link planted in the tree drops
 * the step with a problem instead of stopping the run half-way. -1 with error_r naming the
 * first path that does not pass. */
int apply_check_ops(const struct plan *p, const struct install *install, size_t first,
                    const char **error_r);
/* apply_plan - execute p under *locks; *run_r gets the journal's run id (0 if none) */
enum apply_status apply_plan(const struct plan *p, const struct install *install,
                             struct journal *journal, struct lockset **locks,
                             const struct apply_opts *opts, int64_t *run_r,
                             const char **error_r);

/* apply_rollback - roll back a journaled run under the locks of every list
 * it touched (a list held by a live process: APPLY_BUSY, nothing
 * restored). report (may be NULL) is called per file. */
enum apply_status apply_rollback(const struct install *install, struct journal *journal,
                                 int64_t run, bool force, int lock_timeout_ms,
                                 void (*report)(void *ctx, const char *path,
                                                const char *action),
                                 void *ctx, const char **error_r);

/* apply_recover - roll back a run left unfinished by a killed mmfix (and
 * clear the locks its dead process left); *run_r gets its id or 0. The
 * files of a list whose lock the dead run no longer held (it expired and
 * was broken, or was removed by hand) may have been saved by Mailman since:
 * such a file is restored only if it is still in its before-state, else
 * nothing is restored and the run is marked 'failed' with the reason. */
int apply_recover(const struct install *install, struct journal *journal, int64_t *run_r,
                  const char **error_r);

#endif
