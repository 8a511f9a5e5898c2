/*
 * initvars - the defaults Mailman 2.1.39's InitVars() gives a list
 *
 * DESCRIPTION
 *  See initvars.h. The table follows MailList.InitVars() of 2.1.39 line by
 *  line, then the mixins' InitVars() in the order of MailList's base
 *  classes, then the three that come last because they depend on the
 *  others. An attribute assigned twice (passwords) keeps its first place.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "mmfix/errstr.h"
#include "mmfix/initvars.h"
#include "mmfix/profile.h"
#include "mmfix/site.h"
#include "mmfix/strbuf.h"
#include "mmfix/xalloc.h"

enum iv_kind {
    IV_CFG,        /* mm_cfg.<setting>, a fresh copy per list */
    IV_INT,
    IV_EMPTY_STR,
    IV_FLOAT1,     /* 1.0 */
    IV_NONE,
    IV_LIST,       /* [] */
    IV_DICT,       /* {} */
    IV_SPECIAL,    /* computed: see special() */
};

struct iv {
    const char *attr;
    enum iv_kind kind;
    const char *setting;
    long long i;
};

#define CFG(a, s) { a, IV_CFG, s, 0 }
#define INT(a, v) { a, IV_INT, NULL, v }
#define EMPTY_STR(a) { a, IV_EMPTY_STR, NULL, 0 }
#define FLOAT1(a) { a, IV_FLOAT1, NULL, 0 }
#define NONE(a) { a, IV_NONE, NULL, 0 }
#define LIST(a) { a, IV_LIST, NULL, 0 }
#define DICT(a) { a, IV_DICT, NULL, 0 }
#define SPECIAL(a) { a, IV_SPECIAL, NULL, 0 }

static const struct iv initvars[] = {
    /* MailList.InitVars() */
    SPECIAL("created_at"),
    INT("volume", 1),
    DICT("members"),
    SPECIAL("data_version"),
    INT("last_post_time", 0),
    FLOAT1("post_id"),
    DICT("user_options"),
    DICT("language"),
    DICT("usernames"),
    DICT("passwords"),
    CFG("new_member_options", "DEFAULT_NEW_MEMBER_OPTIONS"),
    CFG("respond_to_post_requests", "DEFAULT_RESPOND_TO_POST_REQUESTS"),
    CFG("advertised", "DEFAULT_LIST_ADVERTISED"),
    CFG("max_num_recipients", "DEFAULT_MAX_NUM_RECIPIENTS"),
    CFG("max_message_size", "DEFAULT_MAX_MESSAGE_SIZE"),
    SPECIAL("host_name"),
    SPECIAL("web_page_url"),
    SPECIAL("owner"),
    LIST("moderator"),
    CFG("reply_goes_to_list", "DEFAULT_REPLY_GOES_TO_LIST"),
    EMPTY_STR("reply_to_address"),
    CFG("first_strip_reply_to", "DEFAULT_FIRST_STRIP_REPLY_TO"),
    CFG("admin_immed_notify", "DEFAULT_ADMIN_IMMED_NOTIFY"),
    CFG("admin_notify_mchanges", "DEFAULT_ADMIN_NOTIFY_MCHANGES"),
    CFG("require_explicit_destination", "DEFAULT_REQUIRE_EXPLICIT_DESTINATION"),
    CFG("acceptable_aliases", "DEFAULT_ACCEPTABLE_ALIASES"),
    CFG("umbrella_list", "DEFAULT_UMBRELLA_LIST"),
    CFG("umbrella_member_suffix", "DEFAULT_UMBRELLA_MEMBER_ADMIN_SUFFIX"),
    CFG("regular_exclude_lists", "DEFAULT_REGULAR_EXCLUDE_LISTS"),
    CFG("regular_exclude_ignore", "DEFAULT_REGULAR_EXCLUDE_IGNORE"),
    CFG("regular_include_lists", "DEFAULT_REGULAR_INCLUDE_LISTS"),
    CFG("send_reminders", "DEFAULT_SEND_REMINDERS"),
    CFG("send_welcome_msg", "DEFAULT_SEND_WELCOME_MSG"),
    CFG("send_goodbye_msg", "DEFAULT_SEND_GOODBYE_MSG"),
    CFG("bounce_matching_headers", "DEFAULT_BOUNCE_MATCHING_HEADERS"),
    LIST("header_filter_rules"),
    CFG("from_is_list", "DEFAULT_FROM_IS_LIST"),
    CFG("anonymous_list", "DEFAULT_ANONYMOUS_LIST"),
    SPECIAL("real_name"),
    EMPTY_STR("description"),
    EMPTY_STR("info"),
    EMPTY_STR("welcome_msg"),
    EMPTY_STR("goodbye_msg"),
    CFG("subscribe_policy", "DEFAULT_SUBSCRIBE_POLICY"),
    CFG("subscribe_auto_approval", "DEFAULT_SUBSCRIBE_AUTO_APPROVAL"),
    CFG("unsubscribe_policy", "DEFAULT_UNSUBSCRIBE_POLICY"),
    CFG("private_roster", "DEFAULT_PRIVATE_ROSTER"),
    CFG("obscure_addresses", "DEFAULT_OBSCURE_ADDRESSES"),
    CFG("admin_member_chunksize", "DEFAULT_ADMIN_MEMBER_CHUNKSIZE"),
    CFG("administrivia", "DEFAULT_ADMINISTRIVIA"),
    CFG("drop_cc", "DEFAULT_DROP_CC"),
    SPECIAL("preferred_language"),
    LIST("available_languages"),
    INT("include_rfc2369_headers", 1),
    INT("include_list_post_header", 1),
    INT("include_sender_header", 1),
    CFG("filter_mime_types", "DEFAULT_FILTER_MIME_TYPES"),
    CFG("pass_mime_types", "DEFAULT_PASS_MIME_TYPES"),
    CFG("filter_filename_extensions", "DEFAULT_FILTER_FILENAME_EXTENSIONS"),
    CFG("pass_filename_extensions", "DEFAULT_PASS_FILENAME_EXTENSIONS"),
    CFG("filter_content", "DEFAULT_FILTER_CONTENT"),
    CFG("collapse_alternatives", "DEFAULT_COLLAPSE_ALTERNATIVES"),
    CFG("convert_html_to_plaintext", "DEFAULT_CONVERT_HTML_TO_PLAINTEXT"),
    CFG("filter_action", "DEFAULT_FILTER_ACTION"),
    CFG("nondigestable", "DEFAULT_NONDIGESTABLE"),
    INT("personalize", 0),
    CFG("default_member_moderation", "DEFAULT_DEFAULT_MEMBER_MODERATION"),
    INT("emergency", 0),
    CFG("member_verbosity_threshold", "DEFAULT_MEMBER_VERBOSITY_THRESHOLD"),
    CFG("member_verbosity_interval", "DEFAULT_MEMBER_VERBOSITY_INTERVAL"),
    INT("member_moderation_action", 0),
    EMPTY_STR("member_moderation_notice"),
    CFG("dmarc_moderation_action", "DEFAULT_DMARC_MODERATION_ACTION"),
    CFG("dmarc_quarantine_moderation_action", "DEFAULT_DMARC_QUARANTINE_MODERATION_ACTION"),
    CFG("dmarc_none_moderation_action", "DEFAULT_DMARC_NONE_MODERATION_ACTION"),
    EMPTY_STR("dmarc_moderation_notice"),
    LIST("dmarc_moderation_addresses"),
    CFG("dmarc_wrapped_message_text", "DEFAULT_DMARC_WRAPPED_MESSAGE_TEXT"),
    CFG("equivalent_domains", "DEFAULT_EQUIVALENT_DOMAINS"),
    LIST("accept_these_nonmembers"),
    LIST("hold_these_nonmembers"),
    LIST("reject_these_nonmembers"),
    LIST("discard_these_nonmembers"),
    CFG("forward_auto_discards", "DEFAULT_FORWARD_AUTO_DISCARDS"),
    CFG("generic_nonmember_action", "DEFAULT_GENERIC_NONMEMBER_ACTION"),
    EMPTY_STR("nonmember_rejection_notice"),
    LIST("ban_list"),
    EMPTY_STR("password"),
    DICT("hold_and_cmd_autoresponses"),
    /* the mixins, in MailList's base class order (HTMLFormatter, Deliverer
     * and Pending have no InitVars): ListAdmin */
    INT("next_request_id", 1),
    /* Archiver */
    CFG("archive", "DEFAULT_ARCHIVE"),
    CFG("archive_private", "DEFAULT_ARCHIVE_PRIVATE"),
    CFG("archive_volume_frequency", "DEFAULT_ARCHIVE_VOLUME_FREQUENCY"),
    /* Digester */
    CFG("digestable", "DEFAULT_DIGESTABLE"),
    CFG("digest_is_default", "DEFAULT_DIGEST_IS_DEFAULT"),
    CFG("mime_is_default_digest", "DEFAULT_MIME_IS_DEFAULT_DIGEST"),
    CFG("digest_size_threshhold", "DEFAULT_DIGEST_SIZE_THRESHHOLD"),
    CFG("digest_send_periodic", "DEFAULT_DIGEST_SEND_PERIODIC"),
    INT("next_post_number", 1),
    CFG("digest_header", "DEFAULT_DIGEST_HEADER"),
    CFG("digest_footer", "DEFAULT_DIGEST_FOOTER"),
    CFG("digest_volume_frequency", "DEFAULT_DIGEST_VOLUME_FREQUENCY"),
    DICT("one_last_digest"),
    DICT("digest_members"),
    INT("next_digest_number", 1),
    INT("digest_last_sent_at", 0),
    /* SecurityManager */
    NONE("mod_password"),
    NONE("post_password"),
    DICT("passwords"),
    /* Bouncer */
    CFG("bounce_processing", "DEFAULT_BOUNCE_PROCESSING"),
    CFG("bounce_score_threshold", "DEFAULT_BOUNCE_SCORE_THRESHOLD"),
    CFG("bounce_info_stale_after", "DEFAULT_BOUNCE_INFO_STALE_AFTER"),
    CFG("bounce_you_are_disabled_warnings", "DEFAULT_BOUNCE_YOU_ARE_DISABLED_WARNINGS"),
    CFG("bounce_you_are_disabled_warnings_interval", "DEFAULT_BOUNCE_YOU_ARE_DISABLED_WARNINGS_INTERVAL"),
    CFG("bounce_unrecognized_goes_to_list_owner", "DEFAULT_BOUNCE_UNRECOGNIZED_GOES_TO_LIST_OWNER"),
    CFG("bounce_notify_owner_on_bounce_increment", "DEFAULT_BOUNCE_NOTIFY_OWNER_ON_BOUNCE_INCREMENT"),
    CFG("bounce_notify_owner_on_disable", "DEFAULT_BOUNCE_NOTIFY_OWNER_ON_DISABLE"),
    CFG("bounce_notify_owner_on_removal", "DEFAULT_BOUNCE_NOTIFY_OWNER_ON_REMOVAL"),
    DICT("bounce_info"),
    DICT("delivery_status"),
    /* GatewayManager */
    CFG("nntp_host", "DEFAULT_NNTP_HOST"),
    EMPTY_STR("linked_newsgroup"),
    INT("gateway_to_news", 0),
    INT("gateway_to_mail", 0),
    INT("news_prefix_subject_too", 1),
    INT("news_moderation", 0),
    /* Autoresponder */
    INT("autorespond_postings", 0),
    INT("autorespond_admin", 0),
    INT("autorespond_requests", 0),
    EMPTY_STR("autoresponse_postings_text"),
    EMPTY_STR("autoresponse_admin_text"),
    EMPTY_STR("autoresponse_request_text"),
    INT("autoresponse_graceperiod", 90),
    DICT("postings_responses"),
    DICT("admin_responses"),
    DICT("request_responses"),
    /* TopicMgr */
    LIST("topics"),
    INT("topics_enabled", 0),
    INT("topics_bodylines_limit", 5),
    DICT("topics_userinterest"),
    /* last, as they depend on the others */
    SPECIAL("subject_prefix"),
    CFG("msg_header", "DEFAULT_MSG_HEADER"),
    CFG("msg_footer", "DEFAULT_MSG_FOOTER"),
    SPECIAL("encode_ascii_prefixes"),
    CFG("scrub_nondigest", "DEFAULT_SCRUB_NONDIGEST"),
    CFG("max_days_to_hold", "DEFAULT_MAX_DAYS_TO_HOLD"),
};

struct build {
    struct value_arena *arena;
    const char *name;
    const struct value *stored;
    const struct site_settings *site;
    const struct profile *profile;
    double now;
    struct value *d;
};

/* set - attr = v in the defaults */
static void set(struct build *b, const char *attr, struct value *v)
{
    value_dict_set(b->arena, b->d, value_new_bytes(b->arena, attr, strlen(attr)), v);
}

/* str - a Python 2 str */
static struct value *str(struct build *b, const char *s)
{
    return value_new_bytes(b->arena, s, strlen(s));
}

/* stored_has - the stored dict has attr */
static bool stored_has(const struct build *b, const char *attr)
{
    return b->stored != NULL && value_dict_get_str(NULL, (struct value *)b->stored, attr) != NULL;
}

/* format_lookup - the instance dict of the moment: the defaults so far
 * over the stored values */
static const struct value *format_lookup(const struct build *b, const char *key)
{
    const struct value *v = value_dict_get_str(NULL, b->d, key);

    if (v == NULL && b->stored != NULL) {
        v = value_dict_get_str(NULL, (struct value *)b->stored, key);
    }
    return v;
}

/* format_prefix - Python's `fmt % dict` for the conversions a subject
 * prefix uses (%(key)s, %(key)d, %%); a unicode argument makes the result
 * unicode, as in Python 2. */
static int format_prefix(struct build *b, const struct value *fmt, struct value **out_r,
                         const char **error_r)
{
    struct strbuf sb = STRBUF_INIT;
    bool text = fmt->type == VALUE_TEXT;
    size_t i = 0;
    const char *s = (const char *)fmt->u.str.data;
    size_t n = fmt->u.str.len;

    while (i < n) {
        const char *close = NULL;
        const struct value *v = NULL;
        char key[256];
        size_t klen;

        if (s[i] != '%') {
            strbuf_addc(&sb, s[i++]);
            continue;
        }
        if (i + 1 < n && s[i + 1] == '%') {
            strbuf_addc(&sb, '%');
            i += 2;
            continue;
        }
        close = i + 1 < n && s[i + 1] == '(' ? memchr(s + i + 2, ')', n - i - 2) : NULL;
        klen = close != NULL ? (size_t)(close - (s + i + 2)) : 0;
        if (close == NULL || klen >= sizeof(key) || (size_t)(close - s) + 1 >= n) {
            goto bad;
        }
        memcpy(key, s + i + 2, klen);
        key[klen] = '\0';
        v = format_lookup(b, key);
        if (v == NULL) {
            goto bad;
        }
        if (close[1] == 's' && value_is_str(v)) {
            strbuf_add(&sb, v->u.str.data, v->u.str.len);
            text = text || v->type == VALUE_TEXT;
        } else if ((close[1] == 's' || close[1] == 'd') && v->type == VALUE_INT) {
            strbuf_addf(&sb, "%lld", (long long)v->u.i);
        } else {
            goto bad;
        }
        i = (size_t)(close - s) + 2;
    }
    *out_r = text ? value_new_text(b->arena, sb.buf != NULL ? sb.buf : "", sb.len)
                  : value_new_bytes(b->arena, sb.buf != NULL ? sb.buf : "", sb.len);
    strbuf_release(&sb);
    return 0;
bad:
    strbuf_release(&sb);
    *error_r = errstr("DEFAULT_SUBJECT_PREFIX %.*s cannot be formatted with the list's "
                      "attributes (Mailman would fail the same way)", (int)n, s);
    return -1;
}

/* special - the defaults computed from more than one setting; *v_r NULL:
 * leave the attribute out (the stored value will be there) */
static int special(struct build *b, const char *attr, struct value **v_r, const char **error_r)
{
    const struct site_settings *site = b->site;
    char *s = NULL;

    *v_r = NULL;
    if (strcmp(attr, "created_at") == 0) {
        *v_r = value_new_float(b->arena, b->now);
    } else if (strcmp(attr, "data_version") == 0) {
        *v_r = value_new_int(b->arena, site->data_file_version);
    } else if (strcmp(attr, "host_name") == 0) {
        /* DEFAULT_HOST_NAME or DEFAULT_EMAIL_HOST */
        s = site->default_host_name != NULL && site->default_host_name[0] != '\0'
                ? xstrdup(site->default_host_name)
                : site->default_email_host != NULL ? xstrdup(site->default_email_host) : NULL;
    } else if (strcmp(attr, "web_page_url") == 0) {
        /* DEFAULT_URL or DEFAULT_URL_PATTERN % DEFAULT_URL_HOST */
        s = site->default_url != NULL && site->default_url[0] != '\0'
                ? xstrdup(site->default_url)
                : site->default_url_host != NULL
                      ? site_web_page_url(site, site->default_url_host) : NULL;
    } else if (strcmp(attr, "owner") == 0) {
        *v_r = value_new_list(b->arena, 1);
        value_seq_append(b->arena, *v_r, str(b, ""));
    } else if (strcmp(attr, "real_name") == 0) {
        /* the internal name with its first character upper-cased */
        s = xstrdup(b->name);
        s[0] = (char)toupper((unsigned char)s[0]);
    } else if (strcmp(attr, "preferred_language") == 0) {
        *v_r = str(b, site->default_server_language);
    } else if (strcmp(attr, "subject_prefix") == 0) {
        const struct value *fmt = profile_get(b->profile, "DEFAULT_SUBJECT_PREFIX");
        if (fmt == NULL || !value_is_str(fmt)) {
            *error_r = errstr("DEFAULT_SUBJECT_PREFIX is not a string");
            return -1;
        }
        return format_prefix(b, fmt, v_r, error_r);
    } else if (strcmp(attr, "encode_ascii_prefixes") == 0) {
        const char *charset = site_language_charset(site, site->default_server_language);
        if (charset == NULL) {
            *error_r = errstr("DEFAULT_SERVER_LANGUAGE %s is not a language of the site "
                              "(Mailman fails with KeyError)", site->default_server_language);
            return -1;
        }
        *v_r = value_new_int(b->arena, strcmp(charset, "us-ascii") == 0 ? 0 : 2);
    }
    if (s != NULL) {
        *v_r = str(b, s);
        free(s);
    }
    if (*v_r == NULL && !stored_has(b, attr)) {
        *error_r = errstr("the list has no %s and the site's default for it is unknown "
                          "(name the install dir)", attr);
        return -1;
    }
    return 0;
}

/* initvars_defaults - the InitVars attributes of a list */
int initvars_defaults(struct value_arena *arena, const char *name, const struct value *stored,
                      const struct site_settings *site, const struct profile *profile,
                      double now, struct value **defaults_r, const char **error_r)
{
    struct build b = { arena, name, stored, site, profile, now, NULL };
    size_t i;

    *defaults_r = NULL;
    if (name == NULL || name[0] == '\0') {
        *error_r = errstr("a list needs a name");
        return -1;
    }
    b.d = value_new_dict(arena, sizeof(initvars) / sizeof(initvars[0]));
    for (i = 0; i < sizeof(initvars) / sizeof(initvars[0]); i++) {
        const struct iv *iv = &initvars[i];
        const struct value *cfg = NULL;
        struct value *v = NULL;

        switch (iv->kind) {
        case IV_CFG:
            cfg = profile_get(profile, iv->setting);
            if (cfg == NULL) {
                *error_r = errstr("internal error: the profile has no %s", iv->setting);
                return -1;
            }
            v = value_copy(arena, cfg);
            break;
        case IV_INT:
            v = value_new_int(arena, iv->i);
            break;
        case IV_EMPTY_STR:
            v = str(&b, "");
            break;
        case IV_FLOAT1:
            v = value_new_float(arena, 1.0);
            break;
        case IV_NONE:
            v = value_new_none(arena);
            break;
        case IV_LIST:
            v = value_new_list(arena, 0);
            break;
        case IV_DICT:
            v = value_new_dict(arena, 0);
            break;
        case IV_SPECIAL:
            if (special(&b, iv->attr, &v, error_r) != 0) {
                return -1;
            }
            break;
        }
        if (v != NULL) {
            set(&b, iv->attr, v);
        }
    }
    *defaults_r = b.d;
    return 0;
}
