#ifndef MMFIX_MM3EXPORT_H
#define MMFIX_MM3EXPORT_H

/*
 * A Mailman 2.1 list's configuration made into what Mailman 3's
 * `mailman import21` takes without loss (Debian's 3.3.8,
 * mailman/utilities/importer.py), and what it will not take.
 *
 * import21 decodes every Python 2 str of config.pck with one charset for
 * the whole file and errors='ignore'; unicode objects pass untouched. So
 * every str is made unicode here: decoded in the list's charset, else as
 * UTF-8 when it is valid UTF-8, else as Latin-1 (every byte kept), each
 * fallback noted. Values import21 cannot take are left out and noted: the
 * _BounceInfo records (bounce_info), any other instance, integers its
 * enum conversions refuse (a ValueError there aborts the whole import),
 * header_filter_rules entries it cannot unpack, dict keys that collide
 * once decoded. What it takes but Mailman 3 does not use, or drops on
 * its own (passwords, topics, @list and invalid non-member entries,
 * header rules it cannot map), is counted and noted for the report.
 */

#include <stdbool.h>
#include <stddef.h>

#include "mmfix/strbuf.h"
#include "mmfix/value.h"

enum mm3export_role {
    MM3EXPORT_MEMBER,
    MM3EXPORT_OWNER,
    MM3EXPORT_MODERATOR,
    MM3EXPORT_NONMEMBER,
};

/* one report line about one value */
struct mm3export_note {
    char *where;   /* "usernames['ana@x.org']", "bounce_info", a rule's text */
    char *what;    /* what happened, or the charset a fallback decoded with */
};

struct mm3export_notes {
    struct mm3export_note *items;
    size_t len;
    size_t cap;
};

/* an address import21 subscribes */
struct mm3export_address {
    char *email;      /* as import21 keys it: lower case */
    char *original;   /* the case it keeps (a member's value in members/digest_members) */
    char *display;    /* usernames[email], NULL when none */
    enum mm3export_role role;
};

struct mm3export {
    char *list;                 /* the list's name */
    char *fqdn;                 /* list@host_name, lower case ("" host when unknown) */
    const char *charset;        /* the charset strs were decoded with first, NULL if none */
    char *display_name;         /* real_name, NULL when not text */
    char *description;
    size_t strings;             /* strs decoded */
    size_t members;             /* len(members), len(digest_members), ... as import21 reads them */
    size_t digest_members;
    size_t owners;
    size_t moderators;
    struct mm3export_notes fallbacks;        /* where: path, what: "utf-8"/"iso-8859-1" */
    struct mm3export_notes left_out;         /* values not written, and why */
    struct mm3export_notes nonmember_rules;  /* *_these_nonmembers entries import21 does not
                                              * subscribe (regexps it keeps as legacy rules,
                                              * @list references and non-addresses it drops) */
    struct mm3export_notes header_rules;     /* header_filter_rules lines it cannot map */
    struct mm3export_notes refused;          /* roster addresses it will not subscribe:
                                              * banned, or not valid for Mailman 3 */
    size_t bounce_info;         /* bounce records left out */
    size_t passwords;           /* member passwords (Mailman 3 does not import them) */
    size_t topics;              /* topics (Mailman 3 stores, never uses them) */
    size_t topic_interests;     /* members' topic choices (not imported) */
    struct mm3export_address *addresses;
    size_t n_addresses;
    size_t cap_addresses;
};

/* mm3export_prepare - decode config (the list's loaded dict, changed in place: every str
 * becomes unicode, what import21 cannot take is removed) and fill x. charset is the list's
 * (NULL when its language is unknown: UTF-8, else Latin-1). -1 with error_r when config is
 * not a dict, nests too deep or holds a cycle. */
int mm3export_prepare(struct value_arena *arena, struct value *config, const char *list,
                      const char *charset, struct mm3export *x, const char **error_r);

/* mm3export_pickle - the prepared config as the protocol-1 pickle written to config.pck */
int mm3export_pickle(const struct value *config, struct strbuf *out, const char **error_r);

/* mm3export_text - a str or unicode value as UTF-8 the way mm3export_prepare decodes it
 * (charset, else UTF-8, else Latin-1); *as_r (may be NULL) the charset that took it. NULL
 * when v is not a string. Free it. */
char *mm3export_text(const struct value *v, const char *charset, const char **as_r);

/* mm3export_role_name - "member", "owner", "moderator", "nonmember" */
const char *mm3export_role_name(enum mm3export_role role);

void mm3export_free(struct mm3export *x);

#endif
