/*
 * profile - the target Mailman's list defaults (stock, or the site's)
 *
 * DESCRIPTION
 *  See profile.h. The stock table holds every mm_cfg name that Mailman
 *  2.1.39's MailList.InitVars(), its mixins' InitVars() and versions.py
 *  read, with the value its Defaults.py.in gives (Yes/No/On/Off are
 *  True/False there, days(7) is 604800). profile_load() asks the same
 *  reader as site_load() (python/mmfix/site.py, ast only) for the names the
 *  site binds and takes the site's value for those of the table.
 *
 *  The site reader gives Python 3 values: its str becomes a Python 2 str
 *  (UTF-8 bytes, the bytes of a UTF-8 or ASCII source file) wherever it
 *  appears, as Mailman's Defaults.py literals are Python 2 str.
 */
#include <stdlib.h>
#include <string.h>

#include "mmfix/errstr.h"
#include "mmfix/profile.h"
#include "mmfix/site.h"
#include "mmfix/xalloc.h"

enum stock_kind {
    SK_BOOL,
    SK_INT,
    SK_FLOAT,
    SK_STR,
    SK_STRLIST,     /* list of str, NULL-terminated in `list` */
};

struct stock {
    const char *name;
    enum stock_kind kind;
    long long i;            /* SK_BOOL, SK_INT */
    double f;               /* SK_FLOAT */
    const char *s;          /* SK_STR */
    const char *const *list;
};

static const char *const none_list[] = { NULL };
static const char *const pass_mime_types[] = {
    "multipart", "message/rfc822", "application/pgp-signature", "text/plain", NULL,
};
static const char *const filter_filename_extensions[] = {
    "exe", "bat", "cmd", "com", "pif", "scr", "vbs", "cpl", NULL,
};

#define B(n, v) { n, SK_BOOL, v, 0, NULL, NULL }
#define I(n, v) { n, SK_INT, v, 0, NULL, NULL }
#define F(n, v) { n, SK_FLOAT, 0, v, NULL, NULL }
#define S(n, v) { n, SK_STR, 0, 0, v, NULL }
#define L(n, v) { n, SK_STRLIST, 0, 0, NULL, v }

#define DAY (24LL * 60 * 60)

/* Mailman 2.1.39 Defaults.py.in, the names InitVars and versions.py read */
static const struct stock stock_table[] = {
    B("ALLOW_OPEN_SUBSCRIBE", 0),
    B("DEFAULT_ADMINISTRIVIA", 1),
    B("DEFAULT_ADMIN_IMMED_NOTIFY", 1),
    I("DEFAULT_ADMIN_MEMBER_CHUNKSIZE", 30),
    B("DEFAULT_ADMIN_NOTIFY_MCHANGES", 0),
    B("DEFAULT_ANONYMOUS_LIST", 0),
    B("DEFAULT_ARCHIVE", 1),
    I("DEFAULT_ARCHIVE_PRIVATE", 0),
    I("DEFAULT_ARCHIVE_VOLUME_FREQUENCY", 1),
    S("DEFAULT_ACCEPTABLE_ALIASES", "\n"),
    I("DEFAULT_BOUNCE_INFO_STALE_AFTER", 7 * DAY),
    S("DEFAULT_BOUNCE_MATCHING_HEADERS",
      "\n"
      "# Lines that *start* with a '#' are comments.\n"
      "to: friend@public.com\n"
      "message-id: relay.comanche.denmark.eu\n"
      "from: list@listme.com\n"
      "from: .*@uplinkpro.com\n"),
    B("DEFAULT_BOUNCE_NOTIFY_OWNER_ON_BOUNCE_INCREMENT", 0),
    B("DEFAULT_BOUNCE_NOTIFY_OWNER_ON_DISABLE", 1),
    B("DEFAULT_BOUNCE_NOTIFY_OWNER_ON_REMOVAL", 1),
    B("DEFAULT_BOUNCE_PROCESSING", 1),
    F("DEFAULT_BOUNCE_SCORE_THRESHOLD", 5.0),
    B("DEFAULT_BOUNCE_UNRECOGNIZED_GOES_TO_LIST_OWNER", 1),
    I("DEFAULT_BOUNCE_YOU_ARE_DISABLED_WARNINGS", 3),
    I("DEFAULT_BOUNCE_YOU_ARE_DISABLED_WARNINGS_INTERVAL", 7 * DAY),
    B("DEFAULT_COLLAPSE_ALTERNATIVES", 1),
    B("DEFAULT_CONVERT_HTML_TO_PLAINTEXT", 1),
    B("DEFAULT_DEFAULT_MEMBER_MODERATION", 0),
    B("DEFAULT_DIGESTABLE", 1),
    S("DEFAULT_DIGEST_FOOTER",
      "%(real_name)s mailing list\n"
      "%(real_name)s@%(host_name)s\n"
      "%(web_page_url)slistinfo%(cgiext)s/%(_internal_name)s\n"),
    S("DEFAULT_DIGEST_HEADER", ""),
    B("DEFAULT_DIGEST_IS_DEFAULT", 0),
    B("DEFAULT_DIGEST_SEND_PERIODIC", 1),
    I("DEFAULT_DIGEST_SIZE_THRESHHOLD", 30),
    I("DEFAULT_DIGEST_VOLUME_FREQUENCY", 1),
    I("DEFAULT_DMARC_MODERATION_ACTION", 0),
    B("DEFAULT_DMARC_NONE_MODERATION_ACTION", 0),
    B("DEFAULT_DMARC_QUARANTINE_MODERATION_ACTION", 1),
    S("DEFAULT_DMARC_WRAPPED_MESSAGE_TEXT", ""),
    B("DEFAULT_DROP_CC", 1),
    S("DEFAULT_EQUIVALENT_DOMAINS", ""),
    I("DEFAULT_FILTER_ACTION", 0),
    B("DEFAULT_FILTER_CONTENT", 0),
    L("DEFAULT_FILTER_FILENAME_EXTENSIONS", filter_filename_extensions),
    L("DEFAULT_FILTER_MIME_TYPES", none_list),
    B("DEFAULT_FIRST_STRIP_REPLY_TO", 0),
    B("DEFAULT_FORWARD_AUTO_DISCARDS", 1),
    I("DEFAULT_FROM_IS_LIST", 0),
    I("DEFAULT_GENERIC_NONMEMBER_ACTION", 1),
    B("DEFAULT_LIST_ADVERTISED", 1),
    I("DEFAULT_MAX_DAYS_TO_HOLD", 0),
    I("DEFAULT_MAX_MESSAGE_SIZE", 40),
    I("DEFAULT_MAX_NUM_RECIPIENTS", 10),
    I("DEFAULT_MEMBER_VERBOSITY_INTERVAL", 300),
    I("DEFAULT_MEMBER_VERBOSITY_THRESHOLD", 0),
    B("DEFAULT_MIME_IS_DEFAULT_DIGEST", 0),
    S("DEFAULT_MSG_FOOTER",
      "-- \n"
      "%(real_name)s mailing list\n"
      "%(real_name)s@%(host_name)s\n"
      "%(web_page_url)slistinfo%(cgiext)s/%(_internal_name)s\n"),
    S("DEFAULT_MSG_HEADER", ""),
    I("DEFAULT_NEW_MEMBER_OPTIONS", 256),
    S("DEFAULT_NNTP_HOST", ""),
    B("DEFAULT_NONDIGESTABLE", 1),
    B("DEFAULT_OBSCURE_ADDRESSES", 1),
    L("DEFAULT_PASS_FILENAME_EXTENSIONS", none_list),
    L("DEFAULT_PASS_MIME_TYPES", pass_mime_types),
    I("DEFAULT_PRIVATE_ROSTER", 1),
    L("DEFAULT_REGULAR_EXCLUDE_LISTS", none_list),
    B("DEFAULT_REGULAR_EXCLUDE_IGNORE", 1),
    L("DEFAULT_REGULAR_INCLUDE_LISTS", none_list),
    I("DEFAULT_REPLY_GOES_TO_LIST", 0),
    B("DEFAULT_REQUIRE_EXPLICIT_DESTINATION", 1),
    B("DEFAULT_RESPOND_TO_POST_REQUESTS", 1),
    B("DEFAULT_SCRUB_NONDIGEST", 0),
    B("DEFAULT_SEND_GOODBYE_MSG", 1),
    B("DEFAULT_SEND_REMINDERS", 1),
    B("DEFAULT_SEND_WELCOME_MSG", 1),
    S("DEFAULT_SUBJECT_PREFIX", "[%(real_name)s] "),
    L("DEFAULT_SUBSCRIBE_AUTO_APPROVAL", none_list),
    I("DEFAULT_SUBSCRIBE_POLICY", 1),
    B("DEFAULT_UMBRELLA_LIST", 0),
    S("DEFAULT_UMBRELLA_MEMBER_ADMIN_SUFFIX", "-owner"),
    I("DEFAULT_UNSUBSCRIBE_POLICY", 0),
};

#define NSTOCK (sizeof(stock_table) / sizeof(stock_table[0]))

struct profile {
    struct value_arena *arena;
    struct value *values[NSTOCK];
    bool from_site[NSTOCK];
};

/* stock_value - one table entry as a value */
static struct value *stock_value(struct value_arena *arena, const struct stock *st)
{
    struct value *v = NULL;
    size_t i;

    switch (st->kind) {
    case SK_BOOL:
        return value_new_bool(arena, st->i != 0);
    case SK_INT:
        return value_new_int(arena, st->i);
    case SK_FLOAT:
        return value_new_float(arena, st->f);
    case SK_STR:
        return value_new_bytes(arena, st->s, strlen(st->s));
    case SK_STRLIST:
        v = value_new_list(arena, 8);
        for (i = 0; st->list[i] != NULL; i++) {
            value_seq_append(arena, v, value_new_bytes(arena, st->list[i], strlen(st->list[i])));
        }
        return v;
    }
    return value_new_none(arena);
}

/* as_python2 - a copy of a site value with every Python 3 str made a
 * Python 2 str (UTF-8 bytes) */
static struct value *as_python2(struct value_arena *arena, const struct value *v)
{
    struct value *c = NULL;
    size_t i;

    switch (v->type) {
    case VALUE_TEXT:
        return value_new_bytes(arena, v->u.str.data, v->u.str.len);
    case VALUE_LIST:
    case VALUE_TUPLE:
        c = v->type == VALUE_LIST ? value_new_list(arena, v->u.seq.len)
                                  : value_new_tuple(arena, v->u.seq.len);
        for (i = 0; i < v->u.seq.len; i++) {
            value_seq_append(arena, c, as_python2(arena, v->u.seq.items[i]));
        }
        return c;
    case VALUE_DICT:
        c = value_new_dict(arena, v->u.dict.len);
        for (i = 0; i < v->u.dict.len; i++) {
            value_dict_set(arena, c, as_python2(arena, v->u.dict.items[i].key),
                           as_python2(arena, v->u.dict.items[i].val));
        }
        return c;
    default:
        return value_copy(arena, v);
    }
}

/* profile_stock - stock values */
struct profile *profile_stock(void)
{
    struct profile *p = xcalloc(1, sizeof(*p));
    size_t i;

    p->arena = value_arena_new();
    for (i = 0; i < NSTOCK; i++) {
        p->values[i] = stock_value(p->arena, &stock_table[i]);
    }
    return p;
}

/* profile_load - stock values overlaid with the site's */
int profile_load(const struct site_settings *site, struct profile **profile_r,
                 const char **error_r)
{
    struct profile *p = profile_stock();
    struct value *res = site != NULL ? site->raw : NULL;
    size_t i;

    *profile_r = NULL;
    if (site == NULL || site->install_dir == NULL) {
        *profile_r = p;
        return 0;
    }
    if (res == NULL || res->type != VALUE_DICT) {
        *error_r = errstr("cannot read the site's list defaults in %s: the settings were "
                          "not kept", site->install_dir);
        profile_free(&p);
        return -1;
    }
    for (i = 0; i < NSTOCK; i++) {
        const struct value *v = value_dict_get_str(NULL, res, stock_table[i].name);
        if (v != NULL) {
            p->values[i] = as_python2(p->arena, v);
            p->from_site[i] = true;
        }
    }
    *profile_r = p;
    return 0;
}

/* profile_free - free it */
void profile_free(struct profile **profile)
{
    if (*profile == NULL) {
        return;
    }
    value_arena_free(&(*profile)->arena);
    free(*profile);
    *profile = NULL;
}

/* find - index of name in the table, -1 if absent */
static long find(const char *name)
{
    size_t i;

    for (i = 0; i < NSTOCK; i++) {
        if (strcmp(stock_table[i].name, name) == 0) {
            return (long)i;
        }
    }
    return -1;
}

/* profile_get - value of a setting */
const struct value *profile_get(const struct profile *profile, const char *name)
{
    long i = find(name);

    return i < 0 ? NULL : profile->values[i];
}

/* profile_from_site - did the site bind it */
bool profile_from_site(const struct profile *profile, const char *name)
{
    long i = find(name);

    return i >= 0 && profile->from_site[i];
}
