#ifndef MMFIX_MAPCMD_H
#define MMFIX_MAPCMD_H

/*
 * Running Postfix's map programs (postalias, postmap, postconf) or a site's
 * stand-in for them, never through a shell: a command setting such as
 * Mailman's POSTFIX_ALIAS_CMD ('/usr/sbin/postalias', or '/bin/true') is
 * split at blanks into an argument vector and run with fork/execvp; a
 * setting that needs a shell to mean what it says (quotes, $, ;, |, ...)
 * is refused.
 */

#include <stdbool.h>
#include <stddef.h>

#include "mmfix/strbuf.h"

struct mapcmd {
    char **argv;    /* the words of the command, NULL-terminated */
    size_t argc;
};

/* mapcmd_parse - split a command setting at blanks; -1 when it is empty or holds a
 * character only a shell would give a meaning ("'\`$;|&<>(){}*?[]~#!) */
int mapcmd_parse(const char *command, struct mapcmd *cmd, const char **error_r);
/* mapcmd_free - free the words */
void mapcmd_free(struct mapcmd *cmd);
/* mapcmd_is - the command's program is Postfix's `name` (its file name is name) */
bool mapcmd_is(const struct mapcmd *cmd, const char *name);
/* mapcmd_text - the argument vector as one line for messages (malloc'd) */
char *mapcmd_text(char *const *argv);

/* mapcmd_run - run argv (argv[0] looked up in PATH when it has no '/') with stdin from
 * /dev/null and its stdout and stderr into *output (may be NULL: discarded, at most 64 KiB
 * kept); *status_r gets the exit status, or 128 + signal. -1 only when it could not be run
 * at all (fork or pipe failed); a program that cannot be executed exits 127. */
int mapcmd_run(char *const *argv, int *status_r, struct strbuf *output, const char **error_r);
/* mapcmd_run_input - mapcmd_run with stdin reading input (input_len bytes, from an unlinked
 * temp file, so that no pipe can fill up while the output is read) when input is not NULL,
 * and at most output_max bytes of the output kept */
int mapcmd_run_input(char *const *argv, const char *input, size_t input_len, size_t output_max,
                     int *status_r, struct strbuf *output, const char **error_r);
/* mapcmd_run_to - mapcmd_run with the program's stdout going to out_fd (a file the caller
 * opened; however long the output) and only its stderr into *errors (at most 64 KiB kept) */
int mapcmd_run_to(char *const *argv, int out_fd, int *status_r, struct strbuf *errors,
                  const char **error_r);

#endif
