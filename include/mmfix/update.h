#ifndef MMFIX_UPDATE_H
#define MMFIX_UPDATE_H

#include "mmfix/plan.h"

struct install;
struct profile;
struct site_settings;

/*
 * `update` as a plan, list by list, what Mailman 2.1.39's bin/update does
 * to a list's configuration: the configuration Mailman would load
 * (config.pck, else 2.0's config.db), upgraded by upgrade.h's step when
 * its data_version is older than the site's DATA_FILE_VERSION, then
 * bin/update's reset of members disabled by bounces (BYBOUNCE) that have
 * no bounce information; written, when anything changed, as config.pck
 * with Mailman's save (the old config.pck, if any, kept as
 * config.pck.last). 2.0's config.db and config.db.last stay where they
 * are, as bin/update leaves them.
 *
 * Not (yet) part of it: the other work of bin/update (request.db,
 * pending_subscriptions.db, qfiles, archives, Usenet watermarks, the
 * template layout of SPEC §5) and a list whose only loadable file is a
 * .last fallback.
 */

/* update_plan - add the update of list `name` to p; now is the clock
 * Mailman would read (created_at of 2.0 lists, new delivery_status
 * entries). Returns -1 with error_r only when the list cannot be read at
 * all; a list that cannot be upgraded gets a problem (severity error) and
 * nothing else, a list with nothing to change nothing at all. */
int update_plan(const struct install *install, const struct site_settings *site,
                const struct profile *profile, const char *name, double now, struct plan *p,
                const char **error_r);

#endif
