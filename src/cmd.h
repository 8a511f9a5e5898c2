#ifndef MMFIX_CMD_H
#define MMFIX_CMD_H

/*
 * What the command files share: parsed options, the opened installation,
 * exit codes (SPEC §8) and stderr messages "mmfix: LIST: what happened".
 */

#include <stdbool.h>
#include <stddef.h>

#include "mmfix/strbuf.h"

struct install;
struct site_settings;

enum cmd_exit {
    EXIT_OK = 0,
    EXIT_CHANGES = 1,     /* dry run with changes; scan/check found problems */
    EXIT_USAGE = 64,
    EXIT_DATAERR = 65,
    EXIT_NOINPUT = 66,
    EXIT_SOFTWARE = 70,
    EXIT_CANTCREAT = 73,
    EXIT_IOERR = 74,
    EXIT_TEMPFAIL = 75,
    EXIT_NOPERM = 77,
};

struct cmd_opts {
    const char *var_prefix;
    const char *install_dir;
    const char *charset;
    const char *attr;
    const char *from;
    const char *to;
    bool json;
    bool quiet;
    bool verbose;
    bool dry_run;
    unsigned jobs;        /* -j: worker processes, 0 = one per CPU */
    const char *journal;  /* --journal FILE (default VAR/data/mmfix-journal.sqlite) */
    int lock_timeout_ms;  /* --lock-timeout SECONDS */
    bool force;
    int argc;             /* positional arguments */
    char **argv;
};

struct journal;

struct cmd_env {
    struct install *install;
    struct site_settings *site;
    struct journal *journal;   /* opened by cmd_open_journal */
};

/* cmd_parse - common option parsing; returns -1 (usage printed) on error,
 * 1 when --help was handled. */
int cmd_parse(const char *command, const char *usage, int argc, char **argv,
              struct cmd_opts *opts);
/* cmd_open - open the installation and its site settings */
int cmd_open(const struct cmd_opts *opts, struct cmd_env *env);
void cmd_close(struct cmd_env *env);
/* cmd_open_journal - open (create) the journal of the installation */
int cmd_open_journal(const struct cmd_opts *opts, struct cmd_env *env);
/* cmd_list_names - the lists named on the command line, else every list of
 * the installation (message printed on failure) */
int cmd_list_names(const struct cmd_opts *opts, const struct cmd_env *env, char ***names_r,
                   size_t *n_r);
/* cmd_error - "mmfix: [list: ]message" on stderr */
void cmd_error(const char *list, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* cmd_write - print a report buffer to stdout; EXIT_IOERR on failure */
int cmd_write(const struct strbuf *sb);
struct plan;
/* cmd_run_plan - carry out the plan of a changing command (journaled,
 * under the lists' locks) unless it is a dry run, print its report; the
 * exit code: 0 done or nothing to do, 1 a dry run with changes, 65 a list
 * the plan could not handle, 75 a list locked, 74 an I/O error */
int cmd_run_plan(const struct cmd_opts *opts, struct cmd_env *env, struct plan *plan,
                 const char *command);
/* cmd_exit_for_load - exit code for a load_error */
int cmd_exit_for_load(int load_error);

int cmd_scan(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_repair(int argc, char **argv);
int cmd_update(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_rollback(int argc, char **argv);

#endif
