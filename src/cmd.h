#ifndef MMFIX_CMD_H
#define MMFIX_CMD_H

/*
 * What the command files share: parsed options, the opened installation,
 * exit codes (SPEC §8) and stderr messages "mmfix: LIST: what happened".
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* --rewrite-text may be given this many times */
#define CMD_MAX_REWRITE 32

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
    bool all;             /* -a/--all: every list of the installation */
    unsigned jobs;        /* -j: worker processes, 0 = one per CPU */
    const char *journal;  /* --journal FILE (default VAR/data/mmfix-journal.sqlite) */
    int lock_timeout_ms;  /* --lock-timeout SECONDS */
    bool force;
    const char *url_host;     /* --url-host H (fix-url) */
    const char *email_host;   /* --email-host E (fix-url) */
    const char *rewrite_text[CMD_MAX_REWRITE];   /* --rewrite-text OLD=NEW, in order */
    size_t n_rewrite_text;
    const char *postalias;       /* genaliases --postalias CMD */
    const char *postmap;         /* genaliases --postmap CMD */
    const char *postfix_config;  /* genaliases --postfix-config DIR (postalias -c DIR) */
    const char *aliases_file;    /* check-postfix --aliases FILE */
    const char *out_dir;         /* export-mm3 --out DIR */
    const char *mailman;         /* export-mm3 --mailman CMD */
    bool fix_mbox;               /* export-mm3 --fix-mbox */
    int argc;             /* positional arguments */
    char **argv;
};

struct journal;
struct prefetch;

struct cmd_env {
    struct install *install;
    struct site_settings *site;
    struct journal *journal;   /* opened by cmd_open_journal */
    /* a command whose plan_list first opens its list with mlist_open(...,
     * read_ahead, NULL, ...) sets it: cmd_run_steps then reads the lists
     * ahead on a second thread (prefetch), which plan_list takes them from
     * (update_plan's pf) */
    unsigned read_ahead;
    struct prefetch *prefetch;
};

/* cmd_parse - common option parsing; returns -1 (usage printed) on error,
 * 1 when --help was handled. */
int cmd_parse(const char *command, const char *usage, int argc, char **argv,
              struct cmd_opts *opts);
/* cmd_start - cmd_parse, at most max_args positional arguments (else why and the usage on
 * stderr), then cmd_open. *stop_r true: the command ends with the returned exit status
 * (0 after --help); false: opts and env are ready (cmd_close env). */
int cmd_start(const char *command, const char *usage, int argc, char **argv, int max_args,
              const char *why_too_many, struct cmd_opts *opts, struct cmd_env *env,
              bool *stop_r);
/* cmd_open - open the installation and its site settings */
int cmd_open(const struct cmd_opts *opts, struct cmd_env *env);
void cmd_close(struct cmd_env *env);
/* cmd_open_journal - open (create) the journal of the installation */
int cmd_open_journal(const struct cmd_opts *opts, struct cmd_env *env);
/* cmd_list_names - the lists named on the command line, else every list of
 * the installation (message printed on failure) */
int cmd_list_names(const struct cmd_opts *opts, const struct cmd_env *env, char ***names_r,
                   size_t *n_r);
struct lockset;
struct plan;
struct apply_opts;
struct problem_list;
/* cmd_prepare - before a writing command takes its locks: data/ and locks/ missing from a var
 * prefix copied from another host are created as Mailman's install makes them (02775, the
 * group of lists/): data/ first (the journal lives there), then locks/ as a journaled run;
 * each said in notes. With --dry-run only the note of what would be made (*pending_r: there
 * is something to make). EXIT_OK or the exit code after a message. */
int cmd_prepare(const struct cmd_opts *opts, struct cmd_env *env, struct problem_list *notes,
                bool *pending_r);
/* cmd_tree_check - lists/, data/ and locks/ of the var prefix are its own (not symbolic links
 * out of it; locks/ may lead to the site's own LOCK_DIR): EXIT_OK, else EXIT_DATAERR after a
 * message saying which (none when quiet). Every command that opens the journal, takes a lock or
 * writes checks it first. */
int cmd_tree_check(const struct cmd_env *env, bool quiet);
/* cmd_tree_name_check - a list named on the command line is a name (not a path: no '/', not
 * empty, '.' or '..') whose lists/<name> does not link out of the installation: EXIT_OK, else
 * EXIT_DATAERR (a link) or EXIT_USAGE (a path) after a message */
int cmd_tree_name_check(const struct cmd_env *env, const char *name);
/* cmd_drop_blocked - a step's operations from first on that apply would refuse
 * (apply_check_ops: a symbolic link planted in the tree) are taken back with an error problem
 * (path-blocked) for list (NULL: the site's files): that part is left as it is and the run
 * does not stop half-way. cmd_run_steps calls it after each list and after the global step. */
void cmd_drop_blocked(const struct cmd_env *env, struct plan *plan, size_t first,
                      const char *list);
/* cmd_lock_lists - catch stop signals from now on and take the locks of names (the lists a
 * writing command will read and change), waiting up to --lock-timeout; EXIT_OK, or the exit
 * code after a message (75 locked, 128 + signal when stopped while waiting) */
int cmd_lock_lists(const struct cmd_opts *opts, const struct cmd_env *env, char *const *names,
                   size_t n, struct lockset **locks_r);
/* cmd_release_locks - lockset_release; a lock that stays is a warning on stderr */
void cmd_release_locks(struct lockset **locks);
/* cmd_apply - carry out plan under *locks, opening the journal when there is something to do;
 * EXIT_OK or the exit code after a message */
int cmd_apply(const struct cmd_opts *opts, const struct plan *plan, struct cmd_env *env,
              struct lockset **locks, const struct apply_opts *ao, int64_t *run_r);
/* cmd_report - print plan's report (text or --json; the journal line when applied) */
int cmd_report(const struct cmd_opts *opts, const struct plan *plan, bool applied, int64_t run);
/* cmd_report_into - the same into out */
void cmd_report_into(const struct cmd_opts *opts, const struct plan *plan, bool applied,
                     int64_t run, struct strbuf *out);
/* cmd_report_write - out on stdout, coloured on a terminal (text, no NO_COLOR) */
int cmd_report_write(const struct cmd_opts *opts, struct strbuf *out);
/* cmd_late_signal - rc, or 128 + the signal (with a message) when a stop signal came while a
 * run that was not stopped completed */
int cmd_late_signal(int rc);
struct profile;
struct update_global;
/* The steps of `update`, for update and migrate */
struct cmd_update_steps {
    struct profile *profile;
    struct update_global *global;
    bool public_mbox;
};
/* cmd_update_open - load what the steps need (the profile, the site-wide files) */
int cmd_update_open(const struct cmd_opts *opts, struct cmd_env *env,
                    struct cmd_update_steps *us);
void cmd_update_close(struct cmd_update_steps *us);
/* cmd_update_plan_list - a list's part of update (a cmd_plan_fn; ctx: cmd_update_steps) */
int cmd_update_plan_list(void *ctx, struct cmd_env *env, const char *name, struct plan *plan,
                         const char **error_r);
/* cmd_update_plan_global - update's site-wide part (a cmd_global_fn) */
int cmd_update_plan_global(void *ctx, struct cmd_env *env, struct plan *plan,
                           const char **error_r);
/* cmd_error - "mmfix: [list: ]message" on stderr */
void cmd_error(const char *list, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* cmd_write - print a report buffer to stdout; EXIT_IOERR on failure */
int cmd_write(const struct strbuf *sb);
struct plan;
/* cmd_plan_fn - plan one list into plan (under its lock unless a dry run); -1 with the reason
 * when the list cannot be planned (the batch goes on) */
typedef int cmd_plan_fn(void *ctx, struct cmd_env *env, const char *name, struct plan *plan,
                        const char **error_r);
/* cmd_run_lists - a writing batch command: missing data/ and locks/ made (cmd_prepare), the
 * lists' locks taken (not in a dry run), each list planned under them, the plan carried out
 * (journaled) unless a dry run, the report printed. Exit: 65 a list has an error problem, 66
 * a list could not be planned, 1 a dry run with changes, 75 locked, 128 + signal, else 0. */
int cmd_run_lists(const struct cmd_opts *opts, struct cmd_env *env, char *const *names,
                  size_t n, const char *command, cmd_plan_fn *plan_list, void *ctx);
/* cmd_host_fn - the host_name list `name` gets in this run: true with *host_r (malloc'd, NULL
 * when unknown) when the run plans the list, false to read it from disk */
typedef bool cmd_host_fn(void *ctx, const char *name, char **host_r);
struct cmd_aliases;
/* cmd_aliases_plan - genaliases as a step of a bigger run (migrate): the alias files of every
 * list (host names from host_for where it knows them), a PLAN_PUT for each that changes;
 * takes Mailman's creator lock unless a dry run. EXIT_OK or an exit code after a message;
 * *ga_r is set either way (free it). */
int cmd_aliases_plan(const struct cmd_opts *opts, struct cmd_env *env, cmd_host_fn *host_for,
                     void *ctx, struct plan *plan, struct cmd_aliases **ga_r);
/* cmd_aliases_after - once the files are written: postalias/postmap and every address
 * looked up with -q; the creator lock released */
int cmd_aliases_after(const struct cmd_opts *opts, struct cmd_env *env,
                      struct cmd_aliases *ga);
/* cmd_aliases_report - genaliases' report of the step (alias diffs, maps, lookups) */
void cmd_aliases_report(const struct cmd_opts *opts, const struct cmd_aliases *ga,
                        bool applied, int64_t run, struct strbuf *out);
/* cmd_aliases_errors - how many error problems the step found */
size_t cmd_aliases_errors(const struct cmd_aliases *ga);
void cmd_aliases_free(struct cmd_aliases **ga);
/* cmd_global_fn - the steps of a run that belong to no list (queues, global templates),
 * planned after every list; -1 with the reason (the run goes on without them, as past a
 * broken list), or an exit code > 0 (said on stderr already) when the run must not go on:
 * then nothing is changed */
typedef int cmd_global_fn(void *ctx, struct cmd_env *env, struct plan *plan,
                          const char **error_r);
/* cmd_after_fn - once the plan is carried out (applied) or shown (a dry run): more work and
 * its part of the report, appended to out (--json: inside the report's object); EXIT_OK or
 * the exit code of what failed */
typedef int cmd_after_fn(void *ctx, struct cmd_env *env, bool applied, int64_t run,
                         struct strbuf *out);
/* cmd_run_steps - cmd_run_lists with a global step after the lists and an after step once
 * the plan is carried out (either may be NULL) */
int cmd_run_steps(const struct cmd_opts *opts, struct cmd_env *env, char *const *names,
                  size_t n, const char *command, cmd_plan_fn *plan_list,
                  cmd_global_fn *global, cmd_after_fn *after, void *ctx);
/* cmd_exit_for_load - exit code for a load_error */
int cmd_exit_for_load(int load_error);

int cmd_scan(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_repair(int argc, char **argv);
int cmd_rename(int argc, char **argv);
int cmd_update(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_fix_url(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_rollback(int argc, char **argv);
int cmd_genaliases(int argc, char **argv);
int cmd_check_postfix(int argc, char **argv);
int cmd_export_mm3(int argc, char **argv);

#endif
