#ifndef MMFIX_PROFILE_H
#define MMFIX_PROFILE_H

/*
 * The target Mailman's list defaults: the mm_cfg settings that
 * MailList.InitVars() and versions.py read when Mailman 2.1.39 upgrades a
 * list (DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MSG_FOOTER, ALLOW_OPEN_SUBSCRIBE,
 * ...). Each takes Mailman 2.1.39's stock value (Defaults.py.in), built into
 * mmfix, unless the site's Defaults.py / mm_cfg.py bind it: then the site's
 * value wins, exactly as mm_cfg's `from Defaults import *` and later
 * assignments make it. The host, URL, language and version settings are not
 * here: they are in struct site_settings (site.h).
 *
 * Values are Python 2 data as Mailman holds them (Yes/No are bools, strings
 * are Python 2 str); they live in the profile's own arena, so a user copies
 * them (value_copy) into the arena of the tree it builds.
 */

#include <stdbool.h>

#include "mmfix/value.h"

struct site_settings;
struct profile;

/* profile_stock - Mailman 2.1.39's stock values only; free with profile_free */
struct profile *profile_stock(void);

/* profile_load - the stock values overlaid with what the site's files bind;
 * the site's files are read (with ast, never executed) from
 * site->install_dir, or not at all when it is NULL. Fails only when the
 * site files cannot be read at all. */
int profile_load(const struct site_settings *site, struct profile **profile_r,
                 const char **error_r);

/* profile_free - free the profile, set *profile to NULL */
void profile_free(struct profile **profile);

/* profile_get - the value of setting name; NULL for a name the profile
 * does not hold */
const struct value *profile_get(const struct profile *profile, const char *name);

/* profile_from_site - the site's files bound setting name */
bool profile_from_site(const struct profile *profile, const char *name);

#endif
