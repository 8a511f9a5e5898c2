#ifndef MMFIX_APPLY_H
#define MMFIX_APPLY_H

#include <stdbool.h>
#include <stdint.h>

#include "mmfix/plan.h"

struct install;
struct journal;

/*
 * Carrying out a plan, the only place that writes list data:
 *  1. take every touched list's lock with Mailman's LockFile protocol (all
 *     or none: a list held by a live process stops the run, nothing is
 *     changed: busy);
 *  2. journal the run and the before-image of every path an operation
 *     touches, committed before the first byte changes;
 *  3. the operations in plan order, each with Mailman's atomic save;
 *  4. journal the after-images, mark the run done, release the locks.
 * A failure in 3 rolls the run back from the journal at once.
 */

struct apply_opts {
    int lock_timeout_ms;     /* 0: fail at once when a list is locked */
    const char *command;     /* "repair", ... for the journal */
};

enum apply_status {
    APPLY_OK,
    APPLY_BUSY,      /* a list is locked by a live process (exit 75) */
    APPLY_FAILED,    /* I/O or journal error; rolled back where possible (exit 74) */
};

/* apply_plan - execute p; *run_r gets the journal's run id (0 if none) */
enum apply_status apply_plan(const struct plan *p, const struct install *install,
                             struct journal *journal, const struct apply_opts *opts,
                             int64_t *run_r, const char **error_r);

/* apply_rollback - roll back a journaled run under the locks of every list
 * it touched (a list held by a live process: APPLY_BUSY, nothing
 * restored). report (may be NULL) is called per file. */
enum apply_status apply_rollback(const struct install *install, struct journal *journal,
                                 int64_t run, bool force, int lock_timeout_ms,
                                 void (*report)(void *ctx, const char *path,
                                                const char *action),
                                 void *ctx, const char **error_r);

/* apply_recover - roll back a run left unfinished by a killed mmfix (and
 * clear the locks its dead process left); *run_r gets its id or 0 */
int apply_recover(const struct install *install, struct journal *journal, int64_t *run_r,
                  const char **error_r);

#endif
