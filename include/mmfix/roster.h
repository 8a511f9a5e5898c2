#ifndef MMFIX_ROSTER_H
#define MMFIX_ROSTER_H

#include "mmfix/problem.h"
#include "mmfix/value.h"

struct site_settings;

/*
 * The repair step for a list's member data (SPEC §4 `repair`): a value
 * tree in, the same tree fixed in place, one note per kind of fix. It
 * never touches the disk; the planner shows the difference and apply
 * writes it.
 *
 * Fixes, in this order:
 *  - member keys that are not lower case: re-keyed lower case, the
 *    case-preserved address kept as the value the way Mailman stores it,
 *    and the member's options, password, name, language moved along;
 *  - an address in both members and digest_members: kept as a regular
 *    member (Mailman delivers to it once, regular);
 *  - passwords, user_options, language, usernames, topics_userinterest,
 *    delivery_status, bounce_info entries of addresses that are not
 *    members: removed;
 *  - delivery_status BYBOUNCE without bounce_info: re-enabled, as 2.1's
 *    bin/update does;
 *  - preferred_language not in the site's languages: big5 -> zh_TW,
 *    gb -> zh_CN (Mailman 2.1.6 renamed them), anything else -> the
 *    site's DEFAULT_SERVER_LANGUAGE; member languages likewise.
 * Invalid addresses are reported, never removed: that needs a person.
 */

/* roster_member_dicts - NULL-terminated names of the per-member dicts
 * (passwords, user_options, ...) that must hold only members */
extern const char *const roster_member_dicts[];

/* roster_key_has_upper - a str/unicode key holding an ASCII capital */
bool roster_key_has_upper(const struct value *k);

/* roster_repair - fix config in place; notes get one problem per fix
 * (code "fixed-<what>", severity warning) or per thing left alone */
void roster_repair(struct value_arena *arena, struct value *config,
                   const struct site_settings *site, const char *list,
                   struct problem_list *notes);

#endif
