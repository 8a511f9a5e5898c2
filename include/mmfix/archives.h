#ifndef MMFIX_ARCHIVES_H
#define MMFIX_ARCHIVES_H

/*
 * The archive step of `update` for one list, as a plan: what Mailman
 * 2.1.39's bin/update (dolist, step 3) does to archives/, together with
 * what the list's load (Archiver.InitVars, when the list is upgraded) and
 * its save (Archiver.CheckHTMLArchiveDir) do there during the same run.
 * Paths are Mailman's make_varabs('archives/...'), relative to the var
 * prefix. A pure step: reads the disk (lstat, readlink), writes nothing.
 *
 *  1. archives/private/<l>.mbox/ made (02775); a plain file of that name
 *     is first moved to <l>.mbox.tmp, as Mailman does;
 *  2. when archives/public/<l> and archives/private/<l> are both files
 *     (pre-2.0b6 mboxes), the one archive_private does not use is renamed
 *     *.preb6;
 *  3. an old private, then public, mbox file is moved to
 *     archives/private/<l>.mbox/<l> (Mailman's name for it);
 *  4. the pre-b6 HTML archive PREFIX/public_html/archives/<l> is moved to
 *     archives/private/<l> when PREFIX/public_html is inside the var
 *     prefix (else it is reported);
 *  5. init_vars: archives/private/<l>/ made (02775) when missing (its
 *     index.html, Mailman's emptyarchive.html, is not written here);
 *  6. the public links: save_links makes archives/public/<l> (and with
 *     public_mbox <l>.mbox) a link to archives/private/<l> for a public
 *     archive, and removes those links for a private one, as Mailman's
 *     save does. Whatever save_links says, a link whose target is missing
 *     because the tree was copied from another host (its target ends in
 *     archives/private/<l>[.mbox], which exists here) is reported
 *     (archive-link-foreign) and re-pointed into this var prefix.
 *
 * Mailman renames over whatever is in the way and follows links; mmfix
 * never does: a move whose target exists, a link pointing out of the tree
 * to something that exists (archive-link-outside), a link to nothing
 * (archive-link-dangling), and an entry that is no file, directory or link
 * (a FIFO, socket or device; Mailman renames it
 * *.mm_install-dunno_what_this_was_but_its_in_the_way, but the journal
 * cannot keep it: archive-in-the-way) are problems (warnings) in p, and
 * left as they are. Big files and directories move whole (PLAN_MOVE_WHOLE).
 */

#include <stdbool.h>
#include <stddef.h>

#include "mmfix/plan.h"
#include "mmfix/value.h"

struct install;
struct site_settings;

struct archives_opts {
    bool archive_private;  /* the list's archive_private (archives_private_of) */
    bool init_vars;        /* the list is upgraded: its load runs Archiver.InitVars */
    bool save_links;       /* its config is saved: CheckHTMLArchiveDir's links */
    bool public_mbox;      /* the site's PUBLIC_MBOX (stock: No) */
};

/* The suffix Mailman gives an entry in the way */
#define ARCHIVES_DUNNO_SUFFIX ".mm_install-dunno_what_this_was_but_its_in_the_way"

/* archives_private_of - the truth of config['archive_private'] (Python's
 * rules; missing: DEFAULT_ARCHIVE_PRIVATE, 0) */
bool archives_private_of(const struct value *config);

/* archives_plan - add list `name`'s archive step to p; ops carry list
 * (an index into p->lists, or PLAN_NO_LIST); site gives PREFIX and
 * VAR_PREFIX for step 4 (NULL: step 4 is skipped). Returns -1 with error_r
 * only when archives/ cannot be examined at all. */
int archives_plan(const struct install *install, const struct site_settings *site,
                  const char *name, const struct archives_opts *opts, struct plan *p,
                  size_t list, const char **error_r);

#endif
