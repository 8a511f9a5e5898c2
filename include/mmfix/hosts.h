#ifndef MMFIX_HOSTS_H
#define MMFIX_HOSTS_H

/*
 * The re-hosting step of `fix-url` (SPEC §4), in memory: the web and mail
 * host a list gets, set the way Mailman 2.1.39's bin/fix_url.py sets them,
 * and the literal rewrite of an old host (or any text) in a list's text
 * values and template bytes. Nothing here reads or writes a file.
 *
 * What fix_url.py does (`bin/withlist -l -r fix_url LIST [-u H] [-v]`):
 *  - with -u H: web_page_url = DEFAULT_URL_PATTERN % H (H as typed), and
 *    host_name = VIRTUAL_HOSTS.get(H.lower(), H): the virtual host's mail
 *    host when H is a virtual host, else H itself, as typed. A web host the
 *    site has no add_virtualhost() for therefore silently becomes the list's
 *    mail domain (the posting address, the aliases, the owner address);
 *  - without -u (or with an empty H): DEFAULT_URL_PATTERN % DEFAULT_URL_HOST
 *    and DEFAULT_EMAIL_HOST (the legacy DEFAULT_URL / DEFAULT_HOST_NAME are
 *    ignored);
 *  - both are plain Python 2 str (bytes) whatever they were before; -v only
 *    prints; nothing else of the list changes.
 * mmfix adds --email-host E, which sets host_name = E instead of the rule.
 *
 * The rewrite (--rewrite-text OLD=NEW, repeatable, applied in the order
 * given): every literal, case-sensitive occurrence of OLD becomes NEW in
 *  - every str and unicode value of the configuration, also inside lists,
 *    tuples and dict values (never dict keys, never instances), except the
 *    attributes HOSTS_KEPT_ATTRIBUTES: the roster (member addresses are the
 *    members' own mailboxes, which do not move with the list, and they key
 *    eight dicts), secrets, the list's identity and language, and
 *    web_page_url / host_name, which fix_url's rule sets. The list's own
 *    addresses that are settings (owner, moderator, acceptable_aliases,
 *    reply_to_address, the *_these_nonmembers filters, ban_list,
 *    regular_include_lists, ...) are rewritten;
 *  - the bytes of the list's own templates (hosts_rewrite_bytes).
 * A Python 2 str holds bytes in the list's charset: it is decoded (only when
 * the decoding round-trips byte for byte), rewritten, and encoded back, so
 * every byte around an occurrence stays what it was and a multibyte
 * character is never cut. A value that does not decode in its charset is
 * rewritten as bytes only when OLD and NEW are ASCII and the charset is one
 * whose ASCII bytes are always ASCII characters (charset_ascii_transparent);
 * otherwise it is left and reported, as is a value NEW cannot be encoded
 * in. unicode values are rewritten as text. Types are kept (str stays str).
 * When NEW itself contains OLD, an occurrence of OLD that is part of an
 * occurrence of NEW is left alone, so a second run finds nothing to do.
 */

#include <stdbool.h>
#include <stddef.h>

#include "mmfix/problem.h"
#include "mmfix/strbuf.h"
#include "mmfix/value.h"

struct site_settings;

/* Attributes the rewrite never touches, NULL-terminated (besides these:
 * roster_member_dicts). */
extern const char *const HOSTS_KEPT_ATTRIBUTES[];

/* One OLD=NEW pair, both UTF-8 (OLD not empty), owned. */
struct hosts_rewrite {
    char *old;
    char *new;
};

/* What fix_url sets, for every list of a run. */
struct hosts_target {
    char *url_host;        /* the web host used (H, or DEFAULT_URL_HOST) */
    char *web_page_url;    /* DEFAULT_URL_PATTERN % url_host */
    char *host_name;       /* the mail host */
    enum {
        HOSTS_MAIL_VIRTUAL,   /* VIRTUAL_HOSTS[url_host.lower()] */
        HOSTS_MAIL_URL_HOST,  /* url_host itself: not a virtual host */
        HOSTS_MAIL_DEFAULT,   /* no url host given: DEFAULT_EMAIL_HOST */
        HOSTS_MAIL_GIVEN,     /* --email-host */
    } mail_from;
};

/* hosts_target_make - fix_url's values for url_host (NULL or "": the site's
 * defaults) and email_host (NULL: fix_url's rule). -1 when a host is not a
 * usable host name (empty, white space, control characters, '/', '@'), the
 * site's DEFAULT_URL_PATTERN is not one '%s', or no url host is given and
 * the site does not say DEFAULT_URL_HOST / DEFAULT_EMAIL_HOST. */
int hosts_target_make(const struct site_settings *site, const char *url_host,
                      const char *email_host, struct hosts_target *t, const char **error_r);
void hosts_target_free(struct hosts_target *t);

/* hosts_fix_url - set config's web_page_url and host_name to t's values as
 * Python 2 str; how many of the two changed */
int hosts_fix_url(struct value_arena *arena, struct value *config,
                  const struct hosts_target *t);

/* hosts_rewrite_parse - "OLD=NEW" (split at the first '='; OLD not empty,
 * both valid UTF-8, no NUL) into rw (free with hosts_rewrite_free); -1 with
 * the reason */
int hosts_rewrite_parse(const char *arg, struct hosts_rewrite *rw, const char **error_r);
void hosts_rewrite_free(struct hosts_rewrite *rw);

/* Outcome of rewriting one byte string. */
enum hosts_how {
    HOSTS_TEXT,        /* decoded, rewritten, encoded back */
    HOSTS_BYTES,       /* undecodable, rewritten as bytes (ASCII OLD/NEW) */
    HOSTS_UNDECODABLE, /* undecodable and not rewritable as bytes: left */
    HOSTS_UNENCODABLE, /* NEW cannot be written in the charset: left */
};

/* hosts_rewrite_bytes - data[0..len) in charset with every pair applied,
 * into *out (emptied first), *count_r occurrences replaced (0: *out is a
 * copy of data), *how_r how, *bad_r the offset that stopped it (for
 * HOSTS_BYTES and HOSTS_UNDECODABLE: the first byte that does not decode;
 * HOSTS_UNENCODABLE: the index of the pair whose NEW did not encode). */
void hosts_rewrite_bytes(const char *charset, const unsigned char *data, size_t len,
                         const struct hosts_rewrite *rw, size_t n_rw, struct strbuf *out,
                         size_t *count_r, enum hosts_how *how_r, size_t *bad_r);

/* hosts_rewrite_config - apply the pairs to config (a dict; the `after`
 * tree) as described above. charset: the charset of its str values. Each
 * rewritten attribute gets a note 'text-rewritten' with the count; values
 * left alone get a warning problem ('rewrite-undecodable',
 * 'rewrite-unencodable') naming the attribute; member addresses that hold
 * OLD get one note 'rewrite-members-kept'. Returns the number of
 * occurrences replaced. */
size_t hosts_rewrite_config(struct value_arena *arena, struct value *config,
                            const char *charset, const struct hosts_rewrite *rw, size_t n_rw,
                            const char *list, struct problem_list *notes,
                            struct problem_list *problems);

#endif
