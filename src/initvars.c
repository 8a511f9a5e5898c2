/*
 * initvars - the defaults Mailman 2.1.39's InitVars() gives a list
 *
 * DESCRIPTION
 *  See initvars.h. The assignments follow MailList.InitVars() of 2.1.39
 *  line by line, then the mixins' InitVars() in the order of MailList's
 *  base classes, then the three that come last because they depend on the
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

struct build {
    struct value_arena *arena;
    const struct profile *profile;
    struct value *d;
    const char *missing;    /* first profile name not found */
};

static void set(struct build *b, const char *attr, struct value *v)
{
    value_dict_set(b->arena, b->d, value_new_bytes(b->arena, attr, strlen(attr)), v);
}

static void set_int(struct build *b, const char *attr, long long i)
{
    set(b, attr, value_new_int(b->arena, i));
}

static void set_str(struct build *b, const char *attr, const char *s)
{
    set(b, attr, value_new_bytes(b->arena, s, strlen(s)));
}

/* set_cfg - attr = mm_cfg.<setting>, a fresh copy for this list */
static void set_cfg(struct build *b, const char *attr, const char *setting)
{
    const struct value *v = profile_get(b->profile, setting);

    if (v == NULL) {
        b->missing = b->missing != NULL ? b->missing : setting;
        set(b, attr, value_new_none(b->arena));
        return;
    }
    set(b, attr, value_copy(b->arena, v));
}

static bool has(const struct value *stored, const char *attr)
{
    return stored != NULL && value_dict_get_str(NULL, (struct value *)stored, attr) != NULL;
}

/* format_lookup - the instance dict of the moment: the defaults so far
 * over the stored values */
static const struct value *format_lookup(const struct build *b, const struct value *stored,
                                         const char *key)
{
    const struct value *v = value_dict_get_str(NULL, b->d, key);

    if (v == NULL && stored != NULL) {
        v = value_dict_get_str(NULL, (struct value *)stored, key);
    }
    return v;
}

/* format_prefix - Python's `fmt % dict` for the conversions a subject
 * prefix uses (%(key)s, %(key)d, %%); a unicode argument makes the result
 * unicode, as in Python 2. */
static int format_prefix(struct build *b, const struct value *stored, const struct value *fmt,
                         struct value **out_r, const char **error_r)
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
        v = format_lookup(b, stored, key);
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

/* main_vars - MailList.InitVars() up to the mixins */
static int main_vars(struct build *b, const char *name, const struct value *stored,
                     const struct site_settings *site, double now, const char **error_r)
{
    const char *host = site->default_host_name != NULL && site->default_host_name[0] != '\0'
                           ? site->default_host_name : site->default_email_host;
    char *url = NULL;
    struct value *owner = NULL;
    char *real = NULL;

    set(b, "created_at", value_new_float(b->arena, now));
    set_int(b, "volume", 1);
    set(b, "members", value_new_dict(b->arena, 0));
    set_int(b, "data_version", site->data_file_version);
    set_int(b, "last_post_time", 0);
    set(b, "post_id", value_new_float(b->arena, 1.0));
    set(b, "user_options", value_new_dict(b->arena, 0));
    set(b, "language", value_new_dict(b->arena, 0));
    set(b, "usernames", value_new_dict(b->arena, 0));
    set(b, "passwords", value_new_dict(b->arena, 0));
    set_cfg(b, "new_member_options", "DEFAULT_NEW_MEMBER_OPTIONS");
    set_cfg(b, "respond_to_post_requests", "DEFAULT_RESPOND_TO_POST_REQUESTS");
    set_cfg(b, "advertised", "DEFAULT_LIST_ADVERTISED");
    set_cfg(b, "max_num_recipients", "DEFAULT_MAX_NUM_RECIPIENTS");
    set_cfg(b, "max_message_size", "DEFAULT_MAX_MESSAGE_SIZE");
    if (host != NULL) {
        set_str(b, "host_name", host);
    } else if (!has(stored, "host_name")) {
        *error_r = errstr("the list has no host_name and the site's DEFAULT_EMAIL_HOST is "
                          "unknown (name the install dir)");
        return -1;
    }
    if (site->default_url != NULL && site->default_url[0] != '\0') {
        url = xstrdup(site->default_url);
    } else if (site->default_url_host != NULL) {
        url = site_web_page_url(site, site->default_url_host);
    }
    if (url != NULL) {
        set_str(b, "web_page_url", url);
        free(url);
    } else if (!has(stored, "web_page_url")) {
        *error_r = errstr("the list has no web_page_url and the site's DEFAULT_URL_HOST is "
                          "unknown (name the install dir)");
        return -1;
    }
    owner = value_new_list(b->arena, 1);
    value_seq_append(b->arena, owner, value_new_bytes(b->arena, "", 0));
    set(b, "owner", owner);
    set(b, "moderator", value_new_list(b->arena, 0));
    set_cfg(b, "reply_goes_to_list", "DEFAULT_REPLY_GOES_TO_LIST");
    set_str(b, "reply_to_address", "");
    set_cfg(b, "first_strip_reply_to", "DEFAULT_FIRST_STRIP_REPLY_TO");
    set_cfg(b, "admin_immed_notify", "DEFAULT_ADMIN_IMMED_NOTIFY");
    set_cfg(b, "admin_notify_mchanges", "DEFAULT_ADMIN_NOTIFY_MCHANGES");
    set_cfg(b, "require_explicit_destination", "DEFAULT_REQUIRE_EXPLICIT_DESTINATION");
    set_cfg(b, "acceptable_aliases", "DEFAULT_ACCEPTABLE_ALIASES");
    set_cfg(b, "umbrella_list", "DEFAULT_UMBRELLA_LIST");
    set_cfg(b, "umbrella_member_suffix", "DEFAULT_UMBRELLA_MEMBER_ADMIN_SUFFIX");
    set_cfg(b, "regular_exclude_lists", "DEFAULT_REGULAR_EXCLUDE_LISTS");
    set_cfg(b, "regular_exclude_ignore", "DEFAULT_REGULAR_EXCLUDE_IGNORE");
    set_cfg(b, "regular_include_lists", "DEFAULT_REGULAR_INCLUDE_LISTS");
    set_cfg(b, "send_reminders", "DEFAULT_SEND_REMINDERS");
    set_cfg(b, "send_welcome_msg", "DEFAULT_SEND_WELCOME_MSG");
    set_cfg(b, "send_goodbye_msg", "DEFAULT_SEND_GOODBYE_MSG");
    set_cfg(b, "bounce_matching_headers", "DEFAULT_BOUNCE_MATCHING_HEADERS");
    set(b, "header_filter_rules", value_new_list(b->arena, 0));
    set_cfg(b, "from_is_list", "DEFAULT_FROM_IS_LIST");
    set_cfg(b, "anonymous_list", "DEFAULT_ANONYMOUS_LIST");
    /* the internal name with its first character upper-cased */
    real = xstrdup(name);
    real[0] = (char)toupper((unsigned char)real[0]);
    set_str(b, "real_name", real);
    free(real);
    set_str(b, "description", "");
    set_str(b, "info", "");
    set_str(b, "welcome_msg", "");
    set_str(b, "goodbye_msg", "");
    set_cfg(b, "subscribe_policy", "DEFAULT_SUBSCRIBE_POLICY");
    set_cfg(b, "subscribe_auto_approval", "DEFAULT_SUBSCRIBE_AUTO_APPROVAL");
    set_cfg(b, "unsubscribe_policy", "DEFAULT_UNSUBSCRIBE_POLICY");
    set_cfg(b, "private_roster", "DEFAULT_PRIVATE_ROSTER");
    set_cfg(b, "obscure_addresses", "DEFAULT_OBSCURE_ADDRESSES");
    set_cfg(b, "admin_member_chunksize", "DEFAULT_ADMIN_MEMBER_CHUNKSIZE");
    set_cfg(b, "administrivia", "DEFAULT_ADMINISTRIVIA");
    set_cfg(b, "drop_cc", "DEFAULT_DROP_CC");
    set_str(b, "preferred_language", site->default_server_language);
    set(b, "available_languages", value_new_list(b->arena, 0));
    set_int(b, "include_rfc2369_headers", 1);
    set_int(b, "include_list_post_header", 1);
    set_int(b, "include_sender_header", 1);
    set_cfg(b, "filter_mime_types", "DEFAULT_FILTER_MIME_TYPES");
    set_cfg(b, "pass_mime_types", "DEFAULT_PASS_MIME_TYPES");
    set_cfg(b, "filter_filename_extensions", "DEFAULT_FILTER_FILENAME_EXTENSIONS");
    set_cfg(b, "pass_filename_extensions", "DEFAULT_PASS_FILENAME_EXTENSIONS");
    set_cfg(b, "filter_content", "DEFAULT_FILTER_CONTENT");
    set_cfg(b, "collapse_alternatives", "DEFAULT_COLLAPSE_ALTERNATIVES");
    set_cfg(b, "convert_html_to_plaintext", "DEFAULT_CONVERT_HTML_TO_PLAINTEXT");
    set_cfg(b, "filter_action", "DEFAULT_FILTER_ACTION");
    set_cfg(b, "nondigestable", "DEFAULT_NONDIGESTABLE");
    set_int(b, "personalize", 0);
    set_cfg(b, "default_member_moderation", "DEFAULT_DEFAULT_MEMBER_MODERATION");
    set_int(b, "emergency", 0);
    set_cfg(b, "member_verbosity_threshold", "DEFAULT_MEMBER_VERBOSITY_THRESHOLD");
    set_cfg(b, "member_verbosity_interval", "DEFAULT_MEMBER_VERBOSITY_INTERVAL");
    set_int(b, "member_moderation_action", 0);
    set_str(b, "member_moderation_notice", "");
    set_cfg(b, "dmarc_moderation_action", "DEFAULT_DMARC_MODERATION_ACTION");
    set_cfg(b, "dmarc_quarantine_moderation_action",
            "DEFAULT_DMARC_QUARANTINE_MODERATION_ACTION");
    set_cfg(b, "dmarc_none_moderation_action", "DEFAULT_DMARC_NONE_MODERATION_ACTION");
    set_str(b, "dmarc_moderation_notice", "");
    set(b, "dmarc_moderation_addresses", value_new_list(b->arena, 0));
    set_cfg(b, "dmarc_wrapped_message_text", "DEFAULT_DMARC_WRAPPED_MESSAGE_TEXT");
    set_cfg(b, "equivalent_domains", "DEFAULT_EQUIVALENT_DOMAINS");
    set(b, "accept_these_nonmembers", value_new_list(b->arena, 0));
    set(b, "hold_these_nonmembers", value_new_list(b->arena, 0));
    set(b, "reject_these_nonmembers", value_new_list(b->arena, 0));
    set(b, "discard_these_nonmembers", value_new_list(b->arena, 0));
    set_cfg(b, "forward_auto_discards", "DEFAULT_FORWARD_AUTO_DISCARDS");
    set_cfg(b, "generic_nonmember_action", "DEFAULT_GENERIC_NONMEMBER_ACTION");
    set_str(b, "nonmember_rejection_notice", "");
    set(b, "ban_list", value_new_list(b->arena, 0));
    set_str(b, "password", "");
    set(b, "hold_and_cmd_autoresponses", value_new_dict(b->arena, 0));
    return 0;
}

/* mixin_vars - the mixins' InitVars(), in MailList's base class order
 * (HTMLFormatter, Deliverer and Pending have none) */
static void mixin_vars(struct build *b)
{
    /* ListAdmin */
    set_int(b, "next_request_id", 1);
    /* Archiver */
    set_cfg(b, "archive", "DEFAULT_ARCHIVE");
    set_cfg(b, "archive_private", "DEFAULT_ARCHIVE_PRIVATE");
    set_cfg(b, "archive_volume_frequency", "DEFAULT_ARCHIVE_VOLUME_FREQUENCY");
    /* Digester */
    set_cfg(b, "digestable", "DEFAULT_DIGESTABLE");
    set_cfg(b, "digest_is_default", "DEFAULT_DIGEST_IS_DEFAULT");
    set_cfg(b, "mime_is_default_digest", "DEFAULT_MIME_IS_DEFAULT_DIGEST");
    set_cfg(b, "digest_size_threshhold", "DEFAULT_DIGEST_SIZE_THRESHHOLD");
    set_cfg(b, "digest_send_periodic", "DEFAULT_DIGEST_SEND_PERIODIC");
    set_int(b, "next_post_number", 1);
    set_cfg(b, "digest_header", "DEFAULT_DIGEST_HEADER");
    set_cfg(b, "digest_footer", "DEFAULT_DIGEST_FOOTER");
    set_cfg(b, "digest_volume_frequency", "DEFAULT_DIGEST_VOLUME_FREQUENCY");
    set(b, "one_last_digest", value_new_dict(b->arena, 0));
    set(b, "digest_members", value_new_dict(b->arena, 0));
    set_int(b, "next_digest_number", 1);
    set_int(b, "digest_last_sent_at", 0);
    /* SecurityManager */
    set(b, "mod_password", value_new_none(b->arena));
    set(b, "post_password", value_new_none(b->arena));
    set(b, "passwords", value_new_dict(b->arena, 0));
    /* Bouncer */
    set_cfg(b, "bounce_processing", "DEFAULT_BOUNCE_PROCESSING");
    set_cfg(b, "bounce_score_threshold", "DEFAULT_BOUNCE_SCORE_THRESHOLD");
    set_cfg(b, "bounce_info_stale_after", "DEFAULT_BOUNCE_INFO_STALE_AFTER");
    set_cfg(b, "bounce_you_are_disabled_warnings", "DEFAULT_BOUNCE_YOU_ARE_DISABLED_WARNINGS");
    set_cfg(b, "bounce_you_are_disabled_warnings_interval",
            "DEFAULT_BOUNCE_YOU_ARE_DISABLED_WARNINGS_INTERVAL");
    set_cfg(b, "bounce_unrecognized_goes_to_list_owner",
            "DEFAULT_BOUNCE_UNRECOGNIZED_GOES_TO_LIST_OWNER");
    set_cfg(b, "bounce_notify_owner_on_bounce_increment",
            "DEFAULT_BOUNCE_NOTIFY_OWNER_ON_BOUNCE_INCREMENT");
    set_cfg(b, "bounce_notify_owner_on_disable", "DEFAULT_BOUNCE_NOTIFY_OWNER_ON_DISABLE");
    set_cfg(b, "bounce_notify_owner_on_removal", "DEFAULT_BOUNCE_NOTIFY_OWNER_ON_REMOVAL");
    set(b, "bounce_info", value_new_dict(b->arena, 0));
    set(b, "delivery_status", value_new_dict(b->arena, 0));
    /* GatewayManager */
    set_cfg(b, "nntp_host", "DEFAULT_NNTP_HOST");
    set_str(b, "linked_newsgroup", "");
    set_int(b, "gateway_to_news", 0);
    set_int(b, "gateway_to_mail", 0);
    set_int(b, "news_prefix_subject_too", 1);
    set_int(b, "news_moderation", 0);
    /* Autoresponder */
    set_int(b, "autorespond_postings", 0);
    set_int(b, "autorespond_admin", 0);
    set_int(b, "autorespond_requests", 0);
    set_str(b, "autoresponse_postings_text", "");
    set_str(b, "autoresponse_admin_text", "");
    set_str(b, "autoresponse_request_text", "");
    set_int(b, "autoresponse_graceperiod", 90);
    set(b, "postings_responses", value_new_dict(b->arena, 0));
    set(b, "admin_responses", value_new_dict(b->arena, 0));
    set(b, "request_responses", value_new_dict(b->arena, 0));
    /* TopicMgr */
    set(b, "topics", value_new_list(b->arena, 0));
    set_int(b, "topics_enabled", 0);
    set_int(b, "topics_bodylines_limit", 5);
    set(b, "topics_userinterest", value_new_dict(b->arena, 0));
}

/* initvars_defaults - the InitVars attributes of a list */
int initvars_defaults(struct value_arena *arena, const char *name, const struct value *stored,
                      const struct site_settings *site, const struct profile *profile,
                      double now, struct value **defaults_r, const char **error_r)
{
    struct build b = { arena, profile, value_new_dict(arena, 160), NULL };
    const struct value *fmt = profile_get(profile, "DEFAULT_SUBJECT_PREFIX");
    const char *charset = site_language_charset(site, site->default_server_language);
    struct value *prefix = NULL;

    *defaults_r = NULL;
    if (name == NULL || name[0] == '\0') {
        *error_r = errstr("a list needs a name");
        return -1;
    }
    if (main_vars(&b, name, stored, site, now, error_r) != 0) {
        return -1;
    }
    mixin_vars(&b);
    /* these come last: they depend on the others */
    if (fmt == NULL || !value_is_str(fmt)) {
        *error_r = errstr("DEFAULT_SUBJECT_PREFIX is not a string");
        return -1;
    }
    if (format_prefix(&b, stored, fmt, &prefix, error_r) != 0) {
        return -1;
    }
    set(&b, "subject_prefix", prefix);
    set_cfg(&b, "msg_header", "DEFAULT_MSG_HEADER");
    set_cfg(&b, "msg_footer", "DEFAULT_MSG_FOOTER");
    if (charset == NULL) {
        *error_r = errstr("DEFAULT_SERVER_LANGUAGE %s is not a language of the site "
                          "(Mailman fails with KeyError)", site->default_server_language);
        return -1;
    }
    set_int(&b, "encode_ascii_prefixes", strcmp(charset, "us-ascii") == 0 ? 0 : 2);
    set_cfg(&b, "scrub_nondigest", "DEFAULT_SCRUB_NONDIGEST");
    set_cfg(&b, "max_days_to_hold", "DEFAULT_MAX_DAYS_TO_HOLD");
    if (b.missing != NULL) {
        *error_r = errstr("internal error: the profile has no %s", b.missing);
        return -1;
    }
    *defaults_r = b.d;
    return 0;
}
