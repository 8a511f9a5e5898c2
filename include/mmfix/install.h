#ifndef MMFIX_INSTALL_H
#define MMFIX_INSTALL_H

/*
 * A Mailman 2 installation on disk: its var prefix (lists/, data/,
 * archives/, locks/) and its install dir (Mailman/, templates/,
 * messages/), the same directory in a source install, /var/mailman +
 * /usr/lib/mailman on Red Hat, /var/lib/mailman + /usr/lib/mailman on
 * Debian. Finds them, enumerates the lists the way Mailman does, and says
 * which list names are invalid or collide with global template
 * directories.
 */

#include <stdbool.h>
#include <stddef.h>

struct site_settings;

struct install {
    char *var_prefix;             /* absolute, no trailing slash */
    char *install_dir;            /* NULL when none was found */
    char *no_install_dir_reason;  /* why install_dir is NULL, else NULL */
    char *lists_dir;              /* var_prefix/lists */
    char *data_dir;               /* var_prefix/data */
    char *archives_dir;           /* var_prefix/archives */
    char *locks_dir;              /* var_prefix/locks */
    char *templates_dir;          /* install_dir/templates, NULL without one */
    char *messages_dir;           /* install_dir/messages, NULL without one */
};

/* The places tried when nothing names the installation. */
#define INSTALL_VAR_PREFIXES { "/usr/local/mailman", "/var/lib/mailman", "/var/mailman", NULL }
#define INSTALL_DIRS { "/usr/lib/mailman", "/usr/local/mailman", NULL }

/* install_open - find the installation. var_prefix NULL: $MMFIX_VAR_PREFIX,
 * else the first of INSTALL_VAR_PREFIXES that has a lists/ directory.
 * install_dir NULL: the var prefix if it has Mailman/Defaults.py, else the
 * first of INSTALL_DIRS that has one, else none (install_dir NULL with
 * no_install_dir_reason set; that is not an error). A var prefix without
 * lists/, or a given install dir without Mailman/Defaults.py, is an error. */
int install_open(const char *var_prefix, const char *install_dir, struct install **install_r,
                 const char **error_r);

/* install_open_search - install_open with the candidate lists given
 * (NULL-terminated; NULL means none); for tests */
int install_open_search(const char *var_prefix, const char *install_dir,
                        const char *const *var_candidates,
                        const char *const *install_candidates,
                        struct install **install_r, const char **error_r);

/* install_free - free it, set *install to NULL */
void install_free(struct install **install);

/* install_list_names - the lists, sorted (strcmp): every entry of lists/
 * that is a directory (a symlink only when it stays inside the var prefix)
 * holding config.pck, config.pck.last, config.db or config.db.last.
 * Free with install_names_free. */
int install_list_names(const struct install *install, char ***names_r, size_t *count_r,
                       const char **error_r);
/* install_list_outside - entries of lists/ that are symbolic links leaving
 * the var prefix, or dangling: never read or written (scan reports them).
 * Sorted; free with install_names_free. */
int install_list_outside(const struct install *install, char ***names_r, size_t *count_r,
                         const char **error_r);

/* install_link_out - when VAR/rel (a directory of the var prefix: "lists", "data", "locks",
 * "archives", or "lists/<name>") is a symbolic link whose target leaves the var prefix or
 * does not resolve: that target as the link says it (malloc'd); else NULL (no such entry,
 * not a link, or a link that stays inside). A directory of a Mailman tree that links out of
 * it is never read or written through (the callers refuse it, SPEC §7). */
char *install_link_out(const struct install *install, const char *rel);

/* install_names_free - free what install_list_names returned */
void install_names_free(char **names, size_t count);

/* install_list_valid_name - name is a list name Mailman 2.1.20+ accepts
 * ([-+_.=a-z0-9], not empty, not . or ..); else false with *why_r saying
 * what is wrong (upper case, shell metacharacter, other character) */
bool install_list_valid_name(const char *name, const char **why_r);

enum install_collision {
    INSTALL_COLLISION_NONE = 0,
    INSTALL_COLLISION_LANGUAGE,      /* a code of LC_DESCRIPTIONS (built-in or the site's) */
    INSTALL_COLLISION_MESSAGES,      /* a directory in messages/ */
    INSTALL_COLLISION_ENGLISH,       /* "en" */
    INSTALL_COLLISION_SITE,          /* "site": templates/site/ */
    INSTALL_COLLISION_VIRTUAL_HOST,  /* templates/<host>/ of a site host */
};

/* install_list_collisions - whether templates/<name>/ is a global template
 * directory rather than a 2.0 list's own (SPEC §5). site and install may be
 * NULL. what_r (may be NULL) gets a one-line explanation for the scan
 * problem 'language-collision'. */
enum install_collision install_list_collisions(const struct install *install,
                                               const struct site_settings *site,
                                               const char *name, const char **what_r);

/* install_collision_name - "language", "messages", "english", "site",
 * "virtual-host", "none" */
const char *install_collision_name(enum install_collision c);

#endif
