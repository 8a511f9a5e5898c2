#ifndef MMFIX_SITE_H
#define MMFIX_SITE_H

/*
 * The site settings of a Mailman 2 installation, read from its
 * Mailman/Defaults.py, Mailman/Version.py and Mailman/mm_cfg.py WITHOUT
 * executing them (python/mmfix/site.py parses them statement by statement
 * with Python's ast and evaluates only literals and a few known calls).
 * A setting the site's files do not define takes Mailman 2.1.39's stock
 * default, built into mmfix; `from_site` says which ones came from the site.
 *
 * Settings mmfix reads, and their stock defaults (Mailman 2.1.39
 * Defaults.py.in with configure's default prefix):
 *
 *   PREFIX                        /usr/local/mailman
 *   EXEC_PREFIX                   PREFIX
 *   VAR_PREFIX                    PREFIX
 *   LIST_DATA_DIR                 VAR_PREFIX/lists
 *   DATA_DIR                      VAR_PREFIX/data
 *   LOCK_DIR                      VAR_PREFIX/locks
 *   LOG_DIR                       VAR_PREFIX/logs
 *   QUEUE_DIR                     VAR_PREFIX/qfiles
 *   PUBLIC_ARCHIVE_FILE_DIR       VAR_PREFIX/archives/public
 *   PRIVATE_ARCHIVE_FILE_DIR      VAR_PREFIX/archives/private
 *   TEMPLATE_DIR                  PREFIX/templates
 *   MESSAGES_DIR                  PREFIX/messages
 *   WRAPPER_DIR                   EXEC_PREFIX/mail
 *   DEFAULT_URL_HOST              (unknown: set by configure)
 *   DEFAULT_EMAIL_HOST            (unknown: set by configure)
 *   DEFAULT_URL_PATTERN           'http://%s/mailman/'
 *   DEFAULT_URL                   None (legacy 2.0 setting; wins when set)
 *   DEFAULT_HOST_NAME             None (legacy 2.0 setting; wins when set)
 *   PUBLIC_ARCHIVE_URL            'http://%(hostname)s/pipermail/%(listname)s'
 *   VIRTUAL_HOSTS                 {} (add_virtualhost(url, email) calls)
 *   POSTFIX_STYLE_VIRTUAL_DOMAINS []
 *   VIRTUAL_MAILMAN_LOCAL_DOMAIN  None
 *   MAILMAN_SITE_LIST             'mailman'
 *   MTA                           'Manual'
 *   POSTFIX_ALIAS_CMD             '/usr/sbin/postalias'
 *   POSTFIX_MAP_CMD               '/usr/sbin/postmap'
 *   DEFAULT_SERVER_LANGUAGE       'en'
 *   LIST_LOCK_LIFETIME            hours(5) = 18000
 *   LIST_LOCK_TIMEOUT             seconds(10) = 10
 *   VERSION                       '2.1.39'          (Version.py)
 *   HEX_VERSION                   0x20127f0         (Version.py)
 *   DATA_FILE_VERSION             112               (Version.py)
 *   LC_DESCRIPTIONS               the 2.1.39 table  (add_language calls;
 *                                 see charset.h, CHARSET_TABLE_2_1_39)
 *
 * Directory settings the site files leave out are derived from the site's
 * own PREFIX / EXEC_PREFIX / VAR_PREFIX when those are set.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mmfix/value.h"

/* Settings that can come from the site: bit (1 << SITE_x) of from_site. */
enum site_field {
    SITE_PREFIX,
    SITE_EXEC_PREFIX,
    SITE_VAR_PREFIX,
    SITE_LIST_DATA_DIR,
    SITE_DATA_DIR,
    SITE_LOCK_DIR,
    SITE_LOG_DIR,
    SITE_QUEUE_DIR,
    SITE_PUBLIC_ARCHIVE_FILE_DIR,
    SITE_PRIVATE_ARCHIVE_FILE_DIR,
    SITE_TEMPLATE_DIR,
    SITE_MESSAGES_DIR,
    SITE_WRAPPER_DIR,
    SITE_DEFAULT_URL_HOST,
    SITE_DEFAULT_EMAIL_HOST,
    SITE_DEFAULT_URL_PATTERN,
    SITE_DEFAULT_URL,
    SITE_DEFAULT_HOST_NAME,
    SITE_PUBLIC_ARCHIVE_URL,
    SITE_VIRTUAL_MAILMAN_LOCAL_DOMAIN,
    SITE_MAILMAN_SITE_LIST,
    SITE_MTA,
    SITE_POSTFIX_ALIAS_CMD,
    SITE_POSTFIX_MAP_CMD,
    SITE_DEFAULT_SERVER_LANGUAGE,
    SITE_VERSION,
    SITE_HEX_VERSION,
    SITE_DATA_FILE_VERSION,
    SITE_LIST_LOCK_LIFETIME,
    SITE_LIST_LOCK_TIMEOUT,
    SITE_VIRTUAL_HOSTS,
    SITE_POSTFIX_STYLE_VIRTUAL_DOMAINS,
    SITE_LC_DESCRIPTIONS,
    SITE_FIELD_COUNT
};

struct site_host {
    char *url_host;     /* key of VIRTUAL_HOSTS, lower case */
    char *email_host;   /* its value, lower case */
};

struct site_language {
    char *code;         /* "cs" */
    char *description;  /* "Czech" */
    char *charset;      /* "iso-8859-2" as the site wrote it */
    char *direction;    /* "ltr" / "rtl" */
};

struct site_settings {
    /* directories (never NULL) */
    char *prefix;
    char *exec_prefix;
    char *var_prefix;
    char *list_data_dir;
    char *data_dir;
    char *lock_dir;
    char *log_dir;
    char *queue_dir;
    char *public_archive_file_dir;
    char *private_archive_file_dir;
    char *template_dir;
    char *messages_dir;
    char *wrapper_dir;
    /* hosts and URLs (NULL when unknown / None) */
    char *default_url_host;
    char *default_email_host;
    char *default_url_pattern;          /* never NULL */
    char *default_url;                  /* legacy, usually NULL */
    char *default_host_name;            /* legacy, usually NULL */
    char *public_archive_url;           /* never NULL */
    char *virtual_mailman_local_domain; /* NULL = None */
    /* MTA and site list (never NULL) */
    char *mailman_site_list;
    char *mta;
    char *postfix_alias_cmd;
    char *postfix_map_cmd;
    char *default_server_language;
    /* version (Version.py) */
    char *version;
    long long hex_version;
    long long data_file_version;
    long long list_lock_lifetime;       /* seconds */
    long long list_lock_timeout;        /* seconds */
    /* tables, in the order the site defined them */
    struct site_host *virtual_hosts;
    size_t n_virtual_hosts;
    char **postfix_style_virtual_domains;
    size_t n_postfix_style_virtual_domains;
    struct site_language *languages;
    size_t n_languages;
    /* what reading the site said: "mm_cfg.py, line 12: cannot evaluate ..." */
    char **warnings;
    size_t n_warnings;
    char **files;                       /* the files read */
    size_t n_files;
    char *install_dir;                  /* NULL: stock defaults only */
    uint64_t from_site;                 /* bit (1 << enum site_field) */
    /* every name the site's files bound, as read (the list defaults of
     * profile.h come from here); NULL with the stock defaults */
    struct value *raw;
    struct value_arena *raw_arena;
};

/* site_defaults - Mailman 2.1.39's stock settings (hosts unknown); free
 * with site_free */
struct site_settings *site_defaults(void);

/* site_load - the settings of the installation whose install dir (holding
 * Mailman/Defaults.py) is install_dir, read through the embedded
 * interpreter (python/mmfix/site.py); install_dir NULL gives
 * site_defaults(). Fails when Defaults.py cannot be read or the
 * interpreter cannot start; statements that cannot be evaluated are only
 * warnings (site->warnings). */
int site_load(const char *install_dir, struct site_settings **site_r, const char **error_r);

/* site_free - free the settings, set *site to NULL */
void site_free(struct site_settings **site);

/* site_from_site - the setting came from the site's files */
bool site_from_site(const struct site_settings *site, enum site_field field);

/* site_has_hosts - the site names at least one web or mail host */
bool site_has_hosts(const struct site_settings *site);

/* site_email_host_for_url_host - VIRTUAL_HOSTS[urlhost] (case-insensitive),
 * NULL if the host is not a virtual host */
const char *site_email_host_for_url_host(const struct site_settings *site,
                                         const char *url_host);

/* site_is_known_host - host (case-insensitive) is a web or mail host of the
 * site: DEFAULT_URL_HOST, DEFAULT_EMAIL_HOST, DEFAULT_HOST_NAME, the host
 * of DEFAULT_URL, a VIRTUAL_HOSTS key or value, or a
 * POSTFIX_STYLE_VIRTUAL_DOMAINS entry */
bool site_is_known_host(const struct site_settings *site, const char *host);

/* site_language - the site's LC_DESCRIPTIONS entry for lang, or NULL */
const struct site_language *site_language(const struct site_settings *site, const char *lang);

/* site_language_charset - the charset of lang, NULL if the site has no
 * such language */
const char *site_language_charset(const struct site_settings *site, const char *lang);

/* site_web_page_url - DEFAULT_URL_PATTERN % url_host, as fix_url.py sets
 * web_page_url (malloc'd); NULL if the pattern is not one '%s' (with '%%'
 * escapes) */
char *site_web_page_url(const struct site_settings *site, const char *url_host);

#endif
