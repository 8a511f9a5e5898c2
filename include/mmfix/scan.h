#ifndef MMFIX_SCAN_H
#define MMFIX_SCAN_H

#include <stddef.h>

#include "mmfix/jsonw.h"
#include "mmfix/mlist.h"
#include "mmfix/problem.h"

struct install;
struct site_settings;

/*
 * The inventory of one list (scan) and the checks that go with it
 * (SPEC §6). All strings are UTF-8, owned by the entry.
 */
struct scan_entry {
    char *name;
    char *file;                /* the file Mailman would load, NULL if none */
    const char *format;        /* "pck" / "db" / NULL (static) */
    int protocol;
    long long data_version;    /* -1 if absent */
    size_t members;
    size_t digest_members;
    char *preferred_language;
    char *charset;
    char *web_page_url;
    char *host_name;
    char **owners;
    size_t n_owners;
    size_t problems_from;      /* this list's problems in the shared list */
    size_t problems_to;
};

/* scan_list - fill e from ml and add ml's problems to pl. site and install
 * may be NULL (checks that need them are skipped). */
void scan_list(const struct install *install, const struct site_settings *site,
               struct mlist *ml, struct scan_entry *e, struct problem_list *pl);
void scan_entry_free(struct scan_entry *e);
/* scan_file_problems - corrupt/refused files of ml as problems */
void scan_file_problems(struct mlist *ml, struct problem_list *pl);
/* scan_language_charset - the charset of a preferred_language value: the
 * site's table, else Mailman 2.1.39's, else 2.1's; NULL if none knows it */
const char *scan_language_charset(const struct site_settings *site, const struct value *lang);
/* scan_config_charset - the charset of a config's str values as stored: its
 * preferred_language's, except that Romanian and Russian data older than
 * data_version 108 is in iso-8859-2 / koi8-r (the charsets of the Mailman that
 * wrote it, until update recodes it); NULL when unknown */
const char *scan_config_charset(const struct site_settings *site, struct value *config);
/* scan_list_charset - the charset of ml's preferred_language ("us-ascii"
 * when unknown) */
const char *scan_list_charset(const struct site_settings *site, struct mlist *ml);
/* scan_entry_write_json - one entry as the SPEC's scan --json object */
void scan_entry_write_json(struct jsonw *w, const struct scan_entry *e,
                           const struct problem_list *pl);

/* scan_site_problems - site-wide problems for the lists names[0..n):
 * list names that collide with global template directories */
void scan_site_problems(const struct install *install, const struct site_settings *site,
                        const char *const *names, size_t n, struct problem_list *pl);

/* scan_outside_problems - 'list-outside-tree' for every entry of lists/
 * that is a symbolic link leaving the installation, or dangling */
void scan_outside_problems(const struct install *install, struct problem_list *pl);

#endif
