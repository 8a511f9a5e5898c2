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
 * interpreter) take every jobs-th list and send back their entries and
 * problems through a pipe; the result is the same as a serial scan, in the
 * same order.
 */

/* scanpool_run - scan names[0..n) into entries[0..n) (zeroed by the
 * caller), appending problems to pl in list order. *unloadable_r is set
 * when a list has no loadable file or holds a refused pickle. Returns -1
 * only when workers could not be started or died; the lists they did not
 * report are then marked with an 'internal-error' problem. */
int scanpool_run(const struct install *install, const struct site_settings *site,
                 char *const *names, size_t n, unsigned jobs, struct progress *prog,
                 struct scan_entry *entries, struct problem_list *pl, bool *unloadable_r,
                 const char **error_r);

/* scanpool_default_jobs - online CPUs, at most 8 */
unsigned scanpool_default_jobs(void);

#endif
