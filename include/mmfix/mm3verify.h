#ifndef MMFIX_MM3VERIFY_H
#define MMFIX_MM3VERIFY_H

/*
 * Did a list arrive in Mailman 3 as mmfix read it? Compares what Mailman 3's
 * own commands print after the import with what mm3export expects:
 *  - `mailman members -R any LIST` (Debian's 3.3.8 cli_members.py): one line
 *    per address, "Display Name <original@email>" or the address alone;
 *  - `mailman lists -q -n -d` (cli_lists.py): "fqdn [display_name]" padded,
 *    " - ", the description padded.
 * Addresses compare without case (Mailman 3 keys them lower-cased), display
 * names and descriptions byte for byte (UTF-8).
 */

#include <stddef.h>

#include "mmfix/mm3export.h"

struct mm3verify {
    size_t addresses;        /* addresses checked */
    size_t display_names;    /* display names checked */
    char **missing;          /* addresses that did not arrive */
    size_t n_missing;
    char **wrong;            /* "address: display name 'got', not 'want'" lines */
    size_t n_wrong;
};

/* mm3verify_members - check the output of `members -R any` against x's addresses (those
 * with a display name in usernames also by name); adds to v */
void mm3verify_members(const char *output, size_t len, const struct mm3export *x,
                       struct mm3verify *v);

/* mm3verify_list - check x's display name and description in the output of
 * `lists -q -n -d` (with_description false: of `lists -q -n`); adds to v */
void mm3verify_list(const char *output, size_t len, const struct mm3export *x,
                    bool with_description, struct mm3verify *v);

/* mm3verify_has_list - the output of `lists -q` names fqdn (without case) */
bool mm3verify_has_list(const char *output, size_t len, const char *fqdn);

void mm3verify_free(struct mm3verify *v);

#endif
