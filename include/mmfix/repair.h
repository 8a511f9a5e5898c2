#ifndef MMFIX_REPAIR_H
#define MMFIX_REPAIR_H

#include "mmfix/plan.h"

struct install;
struct site_settings;

/*
 * `repair LIST` as a plan: first the recovery Mailman 2.1.39 itself makes
 * when config.pck does not load (__fix_corrupt_pckfile: config.pck moved
 * to config.pck.corrupt, the loadable config.pck.last copied to
 * config.pck.safety and to config.pck), then the roster fixes of roster.h.
 * A list whose only loadable data is 2.0's config.db is left to `update`.
 */

/* repair_plan - add the repair of list `name` to p. Returns -1 with
 * error_r when the list cannot be read at all; problems that stop the
 * repair of this list go into p->problems (severity error). */
int repair_plan(const struct install *install, const struct site_settings *site,
                const char *name, struct plan *p, const char **error_r);

#endif
