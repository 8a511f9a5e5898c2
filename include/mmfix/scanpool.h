#ifndef MMFIX_SCANPOOL_H
#define MMFIX_SCANPOOL_H

#include <stdbool.h>
#include <stddef.h>

#include "mmfix/problem.h"
#include "mmfix/progress.h"
#include "mmfix/scan.h"

struct install;
struct site_settings;

/*
 * Scanning many lists, in this process or in worker processes. Each list
 * is independent, so `jobs` forked workers (each with its own copy of the
 * interpreter) take lists one at a time from a shared queue and send back
 * their entries and problems through a pipe; the result is the same as a
 * serial scan, in the same order, however many workers could be started
 * and whichever of them died.
 */

/* What happened to the workers, for a note to the user */
struct scanpool_stats {
    unsigned jobs;              /* workers wanted; 0: scanned in this process */
    unsigned started;           /* of them, started in the first round */
    unsigned died;              /* workers that died or failed, all rounds */
    size_t rescanned;           /* lists scanned again after a worker died */
    char start_error[160];      /* the first pipe/fork/poll failure, or "" */
};

/* scanpool_run - scan names[0..n) into entries[0..n) (zeroed by the
 * caller), appending problems to pl in list order. *unloadable_r is set
 * when a list has no loadable file or holds a refused pickle. Workers that
 * cannot be started leave their share to the others, or to this process
 * when none starts; the list a dead worker held is scanned again by a new
 * worker. Returns -1 only when a list could not be scanned that way (it
 * was held by two workers that died, or one died and no other could be
 * started: the list gets an 'internal-error' problem) or a worker sent a
 * malformed record. */
int scanpool_run(const struct install *install, const struct site_settings *site,
                 char *const *names, size_t n, unsigned jobs, struct progress *prog,
                 struct scan_entry *entries, struct problem_list *pl, bool *unloadable_r,
                 struct scanpool_stats *stats, const char **error_r);

/* scanpool_default_jobs - online CPUs, at most 8 */
unsigned scanpool_default_jobs(void);

#endif
