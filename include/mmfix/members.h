#ifndef MMFIX_MEMBERS_H
#define MMFIX_MEMBERS_H

/*
 * Mailman 2.1's OldStyleMemberships over a list's config dict: the member
 * adaptor versions.py calls (isMember, getMembers, getMemberOption,
 * setMemberOption, setDeliveryStatus), with its exact semantics: member
 * keys are lower-cased addresses in `members` (regular) and
 * `digest_members`; user_options holds an int bitfield only for members
 * with a flag set; delivery_status maps a member to (status, time).
 *
 * Where Mailman would raise (an address that is not a member, an
 * attribute of the wrong type) these return -1 with error_r, so the
 * caller can refuse the list as Mailman would fail on it.
 */

#include <stdbool.h>

#include "mmfix/value.h"

/* user_options flags (Defaults.py) and delivery status (MemberAdaptor.py) */
#define MEMBERS_DISABLE_DELIVERY 1
#define MEMBERS_MODERATE 128
#define MEMBERS_STATUS_UNKNOWN 1
#define MEMBERS_STATUS_BYBOUNCE 4

/* members_is - isMember(addr) into *is_r */
int members_is(struct value_arena *arena, struct value *config, const struct value *addr,
               bool *is_r, const char **error_r);

/* members_keys - getMembers(): a new list of the keys of members, then of
 * digest_members */
int members_keys(struct value_arena *arena, struct value *config, struct value **keys_r,
                 const char **error_r);

/* members_get_option - getMemberOption(member, flag) for a bit flag */
int members_get_option(struct value_arena *arena, struct value *config,
                       const struct value *member, long long flag, bool *on_r,
                       const char **error_r);

/* members_set_option - setMemberOption(member, flag, on) for a bit flag
 * (the entry is dropped when no flag is left) */
int members_set_option(struct value_arena *arena, struct value *config,
                       const struct value *member, long long flag, bool on,
                       const char **error_r);

/* members_set_delivery_status - setDeliveryStatus(member, status) for a
 * status other than ENABLED: delivery_status[key] = (status, now) */
int members_set_delivery_status(struct value_arena *arena, struct value *config,
                                const struct value *member, int status, double now,
                                const char **error_r);

/* members_enable - setDeliveryStatus(member, ENABLED): the member's
 * bounce_info and delivery_status entries are removed */
int members_enable(struct value_arena *arena, struct value *config, const struct value *member,
                   const char **error_r);

#endif
