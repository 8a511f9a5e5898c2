#ifndef MMFIX_UPGRADE_H
#define MMFIX_UPGRADE_H

/*
 * The upgrade step (SPEC §4 `update`): a list's stored configuration, as
 * Mailman 2.0 (config.db) or an older 2.1 (config.pck) left it, made into
 * what Mailman 2.1.39's MailList.Load() holds after it finds the data
 * older than its DATA_FILE_VERSION: CheckVersion() (InitVars defaults,
 * the stored values laid over them, versions.Update(), data_version set)
 * and then CheckValues(). It never touches the disk: value tree in, value
 * tree out, one note per kind of change.
 *
 * versions.Update() in 2.1.39's order:
 *  - ZapOldVars: 2.0-only attributes deleted;
 *  - UpdateOldUsers: password keys lower-cased; bounce_info entries that
 *    are not a member's _BounceInfo record dropped (all of 2.0's);
 *  - NewVars: nothing left to add once InitVars has run, but the list's
 *    preferred_language must be a site language (Mailman fails otherwise);
 *  - UpdateOldVars: dont_respond_to_post_requests dropped, the 2.0
 *    moderation attributes (moderated, member_posting_only, posters,
 *    forbidden_posters) mapped to Moderate flags and the nonmember
 *    filters, 1.0-era renames, open_subscribe -> subscribe_policy,
 *    members/digest_members made dicts with lower-case keys, topic
 *    patterns de-verbosed below data_version 106, Romanian and Russian
 *    text recoded to UTF-8 below 108, author_is_list -> from_is_list;
 *  - CanonicalizeUserOptions (unless useropts_version > 0): user_options
 *    keys lower-cased and merged, non-members' dropped, the obsolete
 *    DisableDelivery flag made delivery_status (UNKNOWN, now);
 *  - NewRequestsDatabase: pre-1.2 in-config requests are refused (they
 *    would need Mailman's HoldMessage).
 * CheckValues: web_page_url without scheme or host replaced by the site's
 * default and given a trailing '/', an invalid reply_to_address cleared,
 * topics that are not 4-tuples dropped. (Mailman also drops topics whose
 * regular expression does not compile; mmfix cannot compile Python 2
 * regular expressions and keeps them.)
 *
 * What Mailman takes from the clock is taken from `now`: created_at of a
 * list that had none (2.0) and the time of new delivery_status entries.
 */

#include <stdbool.h>

#include "mmfix/problem.h"
#include "mmfix/value.h"

struct profile;
struct site_settings;

/* The DATA_FILE_VERSION of Mailman 2.1.39, whose upgrade this is; a site
 * with another one gets the same upgrade and a note saying so */
#define UPGRADE_DATA_VERSION 112

/* upgrade_needed - Mailman would upgrade config: its data_version is older
 * than the site's DATA_FILE_VERSION (or None). A config without
 * data_version counts as needing it (upgrade_config then refuses it). */
bool upgrade_needed(const struct value *config, const struct site_settings *site);

/* upgrade_config - upgrade list `list` in place. stored is the config as
 * loaded (not changed); config must start as a copy of it (plan.h's
 * `after`) and ends as the upgraded config. A config that needs no
 * upgrade is left as it is. notes get one note per kind of change, code
 * "upgrade-<what>". Returns -1 with error_r where Mailman 2.1.39 itself
 * would fail to upgrade the list; config is then unspecified. */
int upgrade_config(struct value_arena *arena, const struct value *stored, struct value *config,
                   const char *list, const struct site_settings *site,
                   const struct profile *profile, double now, struct problem_list *notes,
                   const char **error_r);

#endif
