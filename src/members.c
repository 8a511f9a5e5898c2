/*
 * members - Mailman 2.1's OldStyleMemberships over a config dict
 *
 * DESCRIPTION
 *  See members.h.
 */
#include <stddef.h>

#include "mmfix/errstr.h"
#include "mmfix/members.h"
#include "mmfix/pyval.h"
#include "mmfix/repr.h"

/* attr_dict - the dict attribute name, or an error naming what it is */
static int attr_dict(struct value_arena *arena, struct value *config, const char *name,
                     struct value **dict_r, const char **error_r)
{
    struct value *v = value_dict_get_str(arena, config, name);

    if (v == NULL || v->type != VALUE_DICT) {
        *error_r = errstr("%s is %s, not a dict (Mailman fails on it)", name,
                          v == NULL ? "missing" : value_type_name(v->type));
        return -1;
    }
    *dict_r = v;
    return 0;
}

/* need_str - the address must be a str or unicode (Python calls .lower()) */
static int need_str(const struct value *addr, const char **error_r)
{
    if (!value_is_str(addr)) {
        *error_r = errstr("a %s where an address belongs (Mailman fails on it)",
                          value_type_name(addr->type));
        return -1;
    }
    return 0;
}

/* members_is - isMember */
int members_is(struct value_arena *arena, struct value *config, const struct value *addr,
               bool *is_r, const char **error_r)
{
    struct value *members = NULL;
    struct value *digest = NULL;
    struct value *lc = NULL;

    *is_r = false;
    if (need_str(addr, error_r) != 0 || attr_dict(arena, config, "members", &members,
                                                  error_r) != 0) {
        return -1;
    }
    lc = pyval_lower(arena, addr);
    if (pyval_dict_get(arena, members, lc) != NULL) {
        *is_r = true;
        return 0;
    }
    if (attr_dict(arena, config, "digest_members", &digest, error_r) != 0) {
        return -1;
    }
    *is_r = pyval_dict_get(arena, digest, lc) != NULL;
    return 0;
}

/* members_keys - getMembers */
int members_keys(struct value_arena *arena, struct value *config, struct value **keys_r,
                 const char **error_r)
{
    struct value *members = NULL;
    struct value *digest = NULL;
    struct value *keys = NULL;
    size_t i;

    if (attr_dict(arena, config, "members", &members, error_r) != 0
        || attr_dict(arena, config, "digest_members", &digest, error_r) != 0) {
        return -1;
    }
    keys = value_new_list(arena, members->u.dict.len + digest->u.dict.len);
    for (i = 0; i < members->u.dict.len; i++) {
        value_seq_append(arena, keys, members->u.dict.items[i].key);
    }
    for (i = 0; i < digest->u.dict.len; i++) {
        value_seq_append(arena, keys, digest->u.dict.items[i].key);
    }
    *keys_r = keys;
    return 0;
}

/* assert_member - __assertIsMember */
static int assert_member(struct value_arena *arena, struct value *config,
                         const struct value *member, const char **error_r)
{
    bool is = false;
    struct strbuf sb = STRBUF_INIT;

    if (members_is(arena, config, member, &is, error_r) != 0) {
        return -1;
    }
    if (!is) {
        repr_value(&sb, member);
        *error_r = errstr("%s is not a member (Mailman raises NotAMemberError)",
                          strbuf_cstr(&sb));
        strbuf_release(&sb);
        return -1;
    }
    return 0;
}

/* option_of - user_options[key] as an int (0 when absent) */
static int option_of(struct value_arena *arena, struct value *uo, const struct value *key,
                     long long *flags_r, const char **error_r)
{
    const struct value *v = pyval_dict_get(arena, uo, key);

    *flags_r = 0;
    if (v != NULL && !pyval_as_int(v, flags_r)) {
        *error_r = errstr("a user_options value is a %s, not an int", value_type_name(v->type));
        return -1;
    }
    return 0;
}

/* members_get_option - getMemberOption for a bit flag */
int members_get_option(struct value_arena *arena, struct value *config,
                       const struct value *member, long long flag, bool *on_r,
                       const char **error_r)
{
    struct value *uo = NULL;
    long long flags = 0;

    *on_r = false;
    if (assert_member(arena, config, member, error_r) != 0
        || attr_dict(arena, config, "user_options", &uo, error_r) != 0
        || option_of(arena, uo, pyval_lower(arena, member), &flags, error_r) != 0) {
        return -1;
    }
    *on_r = (flags & flag) != 0;
    return 0;
}

/* members_set_option - setMemberOption for a bit flag */
int members_set_option(struct value_arena *arena, struct value *config,
                       const struct value *member, long long flag, bool on,
                       const char **error_r)
{
    struct value *uo = NULL;
    struct value *key = NULL;
    long long flags = 0;

    if (assert_member(arena, config, member, error_r) != 0
        || attr_dict(arena, config, "user_options", &uo, error_r) != 0) {
        return -1;
    }
    key = pyval_lower(arena, member);
    if (option_of(arena, uo, key, &flags, error_r) != 0) {
        return -1;
    }
    flags = on ? (flags | flag) : (flags & ~flag);
    if (flags == 0) {
        pyval_dict_del(arena, uo, key);
    } else {
        pyval_dict_set(arena, uo, key, value_new_int(arena, flags));
    }
    return 0;
}

/* members_set_delivery_status - setDeliveryStatus, not ENABLED */
int members_set_delivery_status(struct value_arena *arena, struct value *config,
                                const struct value *member, int status, double now,
                                const char **error_r)
{
    struct value *ds = NULL;
    struct value *t = NULL;

    if (assert_member(arena, config, member, error_r) != 0
        || attr_dict(arena, config, "delivery_status", &ds, error_r) != 0) {
        return -1;
    }
    t = value_new_tuple(arena, 2);
    value_seq_append(arena, t, value_new_int(arena, status));
    value_seq_append(arena, t, value_new_float(arena, now));
    pyval_dict_set(arena, ds, pyval_lower(arena, member), t);
    return 0;
}

/* members_enable - setDeliveryStatus(member, ENABLED) */
int members_enable(struct value_arena *arena, struct value *config, const struct value *member,
                   const char **error_r)
{
    struct value *bi = NULL;
    struct value *ds = NULL;
    struct value *key = NULL;

    if (assert_member(arena, config, member, error_r) != 0
        || attr_dict(arena, config, "bounce_info", &bi, error_r) != 0
        || attr_dict(arena, config, "delivery_status", &ds, error_r) != 0) {
        return -1;
    }
    key = pyval_lower(arena, member);
    pyval_dict_del(arena, bi, key);
    pyval_dict_del(arena, ds, key);
    return 0;
}
