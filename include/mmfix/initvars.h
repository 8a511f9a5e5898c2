#ifndef MMFIX_INITVARS_H
#define MMFIX_INITVARS_H

/*
 * The defaults Mailman 2.1.39 gives a list before it lays the stored
 * values over them: the attributes MailList.InitVars() and the InitVars()
 * of its mixins (Archiver, Digester, SecurityManager, Bouncer,
 * GatewayManager, Autoresponder, TopicMgr, ListAdmin) assign, in the order
 * they assign them, with the values of the target's settings (profile.h,
 * site.h). MailList.CheckVersion() calls InitVars() with no arguments, so
 * owner is [''], password is '' and the web host is DEFAULT_URL_HOST.
 *
 * Two of them depend on more than the settings: created_at is the clock
 * (the caller's `now`), and subject_prefix is DEFAULT_SUBJECT_PREFIX
 * formatted with the instance dict of that moment: the stored values with
 * the defaults assigned so far over them.
 */

#include "mmfix/value.h"

struct profile;
struct site_settings;

/* initvars_defaults - a new dict in arena holding the InitVars attributes
 * of list `name`. stored is the list's stored dict (may be NULL: none).
 * host_name and web_page_url need the site's hosts only when stored lacks
 * them. Returns -1 with error_r when a default cannot be computed (unknown
 * hosts, DEFAULT_SERVER_LANGUAGE not a site language, a subject prefix
 * format Mailman itself would fail on). */
int initvars_defaults(struct value_arena *arena, const char *name, const struct value *stored,
                      const struct site_settings *site, const struct profile *profile,
                      double now, struct value **defaults_r, const char **error_r);

#endif
