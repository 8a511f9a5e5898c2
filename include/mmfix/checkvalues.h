#ifndef MMFIX_CHECKVALUES_H
#define MMFIX_CHECKVALUES_H

/*
 * Mailman 2.1.39's MailList.CheckValues(), which Load() runs after every
 * schema upgrade: a web_page_url without scheme or network location is
 * replaced by the site's default URL (DEFAULT_URL, else
 * DEFAULT_URL_PATTERN % DEFAULT_URL_HOST) and given a trailing '/'; a
 * reply_to_address in use (reply_goes_to_list) that Utils.ValidateEmail
 * refuses is cleared with reply_goes_to_list set to 0; topics that are
 * not 4-tuples are dropped (the rest become tuples).
 *
 * Mailman also drops topics whose pattern does not compile as a Python 2
 * regular expression; mmfix cannot compile those and keeps them.
 */

#include "mmfix/problem.h"
#include "mmfix/value.h"

struct site_settings;

/* checkvalues_apply - fix config in place, one note (code
 * "upgrade-check-values") per change; -1 with error_r where Mailman
 * itself fails (a web_page_url or reply_to_address that is not a string,
 * a topic pattern that is not one, a bad URL and no site default) */
int checkvalues_apply(struct value_arena *arena, struct value *config, const char *list,
                      const struct site_settings *site, struct problem_list *notes,
                      const char **error_r);

#endif
