#ifndef MMFIX_POSTFIX_H
#define MMFIX_POSTFIX_H

/*
 * Postfix's main.cf (or `postconf -n` output) as Postfix reads it, and its
 * parameter expansion, for check-postfix.
 *
 * Syntax (postconf(5)): "name = value" logical lines; a line that starts
 * with whitespace continues the previous one; empty lines and lines whose
 * first non-blank character is '#' are ignored; a later definition of a
 * name replaces an earlier one. Values are used after expansion:
 * $name, ${name} and $(name) are replaced by the expanded value of name
 * (an undefined name by the empty string, as Postfix does after its
 * warning), ${name?text} / ${name?{text}} by text when name's value is not
 * empty, ${name:text} / ${name:{text}} by text when it is; "$$" is a '$'.
 * Expansion is recursive; more than POSTFIX_MAX_NESTING nested calls is
 * Postfix's "unreasonable macro call nesting" error (a loop such as
 * a = $b, b = $a).
 *
 * Parameters the file leaves out take Postfix's built-in defaults
 * (`postconf -d`, Postfix 3.7):
 *   myhostname            the host name if it has a dot, else
 *                         host.$mydomain (host.localdomain when mydomain
 *                         is not set either)
 *   mydomain              $myhostname without its first label, or
 *                         "localdomain" when it has none
 *   myorigin              $myhostname
 *   mydestination         $myhostname, localhost.$mydomain, localhost
 *   alias_maps            hash:/etc/aliases, nis:mail.aliases
 *   alias_database        hash:/etc/aliases
 *   virtual_alias_maps    $virtual_maps
 *   virtual_maps          (empty)
 *   virtual_alias_domains $virtual_alias_maps
 *   recipient_delimiter   (empty)
 */

#include <stdbool.h>
#include <stddef.h>

#define POSTFIX_MAX_NESTING 100

struct postfix_param {
    char *name;
    char *value;        /* as written, continuation lines joined with one space */
};

struct postfix_conf {
    struct postfix_param *params;
    size_t n;
    char *hostname;     /* gethostname(), for the myhostname default */
};

/* postfix_init - an empty configuration; hostname NULL: gethostname() */
void postfix_init(struct postfix_conf *conf, const char *hostname);
/* postfix_free - free it */
void postfix_free(struct postfix_conf *conf);
/* postfix_parse - add the parameters of a main.cf text; -1 with "line N: ..." for a line
 * that is not "name = value" */
int postfix_parse(struct postfix_conf *conf, const char *text, size_t len, const char **error_r);
/* postfix_is_set - the configuration sets name */
bool postfix_is_set(const struct postfix_conf *conf, const char *name);
/* postfix_raw - the value of name as written, else its built-in default (malloc'd), else
 * NULL */
char *postfix_raw(const struct postfix_conf *conf, const char *name);
/* postfix_expand - text with every parameter reference expanded (malloc'd into *out_r) */
int postfix_expand(const struct postfix_conf *conf, const char *text, char **out_r,
                   const char **error_r);
/* postfix_value - the expanded value of parameter name ("" when undefined) */
int postfix_value(const struct postfix_conf *conf, const char *name, char **out_r,
                  const char **error_r);
/* postfix_split - the items of a list value, separated by commas and/or whitespace
 * (NULL-terminated, malloc'd; free with postfix_split_free) */
char **postfix_split(const char *value, size_t *n_r);
void postfix_split_free(char **items);

#endif
