#ifndef MMFIX_FIXURL_H
#define MMFIX_FIXURL_H

#include <stddef.h>

#include "mmfix/hosts.h"
#include "mmfix/plan.h"

struct install;
struct site_settings;

/*
 * `fix-url` as a plan, list by list (SPEC §4): the configuration Mailman
 * would load, the rewrite of hosts.h (when pairs are given) and then
 * fix_url.py's web_page_url and host_name (hosts_fix_url), written with
 * Mailman's save when anything changed (config.pck.last kept); with
 * pairs, also the list's own templates: every regular file *.html and *.txt
 * in lists/<name>/<lang>/ for each <lang> that is a language (the site's
 * LC_DESCRIPTIONS, else Mailman 2.1.39's or 2.1's table), rewritten in that
 * language's charset and written back in place (no .last: Mailman keeps
 * none for templates), with a note per file and its count. Symbolic links,
 * files over FIXURL_TEMPLATE_MAX and files that cannot be rewritten safely
 * are left and reported. The flat 2.0 lists/<name>/ *.html, which 2.1 no
 * longer reads, are left to `update`.
 *
 * A list that Mailman would load from a fallback (config.pck.last) or from
 * 2.0's config.db is not changed: fix_url.py would run Mailman's recovery
 * or its 2.0 upgrade first, so the problem names the command that does
 * (repair, update).
 *
 * Problems (warnings) besides hosts.h's: 'url-host-not-virtual' when the
 * mail host changes because the URL host is no virtual host of the site
 * (fix_url.py moves the list's mail domain to the web host),
 * 'email-host-unknown' when --email-host names no host of the site,
 * 'template-skipped'. Errors: 'fallback-needed', 'not-upgraded',
 * 'all-files-corrupt'.
 */

#define FIXURL_TEMPLATE_MAX (4u << 20)

struct fixurl_opts {
    const struct hosts_target *target;
    const struct hosts_rewrite *rw;
    size_t n_rw;
};

/* fixurl_plan - add the fix-url of list `name` to p; -1 with error_r only
 * when the list cannot be read at all */
int fixurl_plan(const struct install *install, const struct site_settings *site,
                const struct fixurl_opts *o, const char *name, struct plan *p,
                const char **error_r);

/* fixurl_plan_tree - the --rewrite-text of the list's config and fix_url's web_page_url and
 * host_name, set on the `after` tree of list (one another step of the same run may have
 * planned already: migrate's update), with the same warnings; the caller diffs the list
 * again (plan_diff_list) and adds the write */
void fixurl_plan_tree(const struct site_settings *site, const struct fixurl_opts *o,
                      const char *name, struct plan *p, size_t list);
/* fixurl_plan_templates - the --rewrite-text of the list's own templates: those in
 * lists/<name>/<lang>/ that no other operation of the plan touches, and those another step
 * moves or copies there (rewritten bytes put at the destination after that step) */
void fixurl_plan_templates(const struct install *install, const struct site_settings *site,
                           const struct fixurl_opts *o, const char *name, struct plan *p,
                           size_t list);

#endif
