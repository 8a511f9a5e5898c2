#ifndef MMFIX_RENAME_H
#define MMFIX_RENAME_H

/*
 * rename - a list moved to a new name everywhere Mailman 2.1 keys it by
 * name (Mailman 2 has no command for it):
 *   lists/OLD/                        -> lists/NEW/ (whole, with its templates)
 *   real_name                         -> NEW in the case style of the old one
 *   subject_prefix "[Old] "           -> "[New] " when it names the list
 *   request.pck                       held-message file names and listname
 *   data/heldmsg-OLD-N.pck            -> data/heldmsg-NEW-N.pck
 *   archives/private/OLD/             -> archives/private/NEW/
 *   archives/private/OLD.mbox/OLD.mbox -> archives/private/NEW.mbox/NEW.mbox
 *   archives/public/OLD[.mbox] links  -> archives/public/NEW[.mbox], re-pointed
 * Directories, mboxes and held messages are moved whole (journaled as
 * moves: no archive bytes are copied into the journal). What it cannot
 * change is said in the notes: the aliases (regenerate them), the
 * pipermail pages that print the old name, messages still queued for OLD.
 * The plan is made under the locks of both names, taken by the caller.
 */

#include <stdbool.h>

struct install;
struct plan;
struct site_settings;

enum rename_refusal {
    RENAME_OK,
    RENAME_BAD_NAME,     /* NEW is not a valid list name, or a path (exit 64) */
    RENAME_NO_LIST,      /* OLD is not a list (exit 66) */
    RENAME_EXISTS,       /* NEW, or one of its archive names, exists (exit 73) */
    RENAME_UNREADABLE,   /* OLD's config does not load from config.pck, or a symbolic link
                            is where the rename would move something (exit 65) */
};

/* rename_check_name - NEW may be a list name: Mailman 2.1.39's characters [-+_.=a-z0-9], not
 * empty, no leading '.', not a language code, `en`, `site` or a virtual host's template
 * directory (the collisions of SPEC §5). *why_r when not. */
bool rename_check_name(const struct install *install, const struct site_settings *site,
                       const char *name, const char **why_r);

/* rename_plan - add to p the renaming of list old to new_name: the list's changed config and
 * the file operations; *refusal_r and -1 with the reason when it cannot be done (nothing is
 * added then) */
int rename_plan(const struct install *install, const struct site_settings *site,
                const char *old, const char *new_name, struct plan *p,
                enum rename_refusal *refusal_r, const char **error_r);

#endif
