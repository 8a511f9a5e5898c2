/*
 * cmd_common - option parsing, installation opening and messages shared
 * by the command files
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <errno.h>

#include "cmd.h"
#include "mmfix/apply.h"
#include "mmfix/atomic.h"
#include "mmfix/install.h"
#include "mmfix/journal.h"
#include "mmfix/loaderr.h"
#include "mmfix/plan.h"
#include "mmfix/prefetch.h"
#include "mmfix/progress.h"
#include "mmfix/lockfile.h"
#include "mmfix/lockset.h"
#include "mmfix/report.h"
#include "mmfix/sigstop.h"
#include "mmfix/site.h"
#include "mmfix/xalloc.h"

/* the threads that read lists ahead of the one planned (prefetch), and how
 * far they may be ahead: enough to even out lists of different sizes, and a
 * budget of file bytes, as a list of 100,000 members is some 8 MB of pickle
 * and holds some 100 MB as a tree (16 MB: about 200 MB of trees). One
 * thread: the reading is mostly CPython's unpickler and the conversion,
 * under the GIL, and a second reader measured no faster on two cores
 * (tests/bench/RESULTS.md) */
#define READ_THREADS 1
#define READ_AHEAD 256
#define READ_AHEAD_BYTES ((size_t)16 << 20)

enum {
    OPT_INSTALL_DIR = 256,
    OPT_JSON,
    OPT_CHARSET,
    OPT_ATTR,
    OPT_FROM,
    OPT_TO,
    OPT_JOURNAL,
    OPT_LOCK_TIMEOUT,
    OPT_FORCE,
    OPT_URL_HOST,
    OPT_EMAIL_HOST,
    OPT_REWRITE_TEXT,
    OPT_POSTALIAS,
    OPT_POSTMAP,
    OPT_POSTFIX_CONFIG,
    OPT_ALIASES,
    OPT_OUT,
    OPT_MAILMAN,
    OPT_FIX_MBOX,
};

static const struct option long_opts[] = {
    { "var-prefix", required_argument, NULL, 'd' },
    { "install-dir", required_argument, NULL, OPT_INSTALL_DIR },
    { "json", no_argument, NULL, OPT_JSON },
    { "charset", required_argument, NULL, OPT_CHARSET },
    { "attr", required_argument, NULL, OPT_ATTR },
    { "from", required_argument, NULL, OPT_FROM },
    { "to", required_argument, NULL, OPT_TO },
    { "dry-run", no_argument, NULL, 'n' },
    { "all", no_argument, NULL, 'a' },
    { "jobs", required_argument, NULL, 'j' },
    { "journal", required_argument, NULL, OPT_JOURNAL },
    { "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT },
    { "force", no_argument, NULL, OPT_FORCE },
    { "url-host", required_argument, NULL, OPT_URL_HOST },
    { "email-host", required_argument, NULL, OPT_EMAIL_HOST },
    { "rewrite-text", required_argument, NULL, OPT_REWRITE_TEXT },
    { "postalias", required_argument, NULL, OPT_POSTALIAS },
    { "postmap", required_argument, NULL, OPT_POSTMAP },
    { "postfix-config", required_argument, NULL, OPT_POSTFIX_CONFIG },
    { "aliases", required_argument, NULL, OPT_ALIASES },
    { "out", required_argument, NULL, OPT_OUT },
    { "mailman", required_argument, NULL, OPT_MAILMAN },
    { "fix-mbox", no_argument, NULL, OPT_FIX_MBOX },
    { "quiet", no_argument, NULL, 'q' },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

/* cmd_error - message on stderr */
void cmd_error(const char *list, const char *fmt, ...)
{
    struct strbuf msg = STRBUF_INIT;
    struct strbuf line = STRBUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    strbuf_vaddf(&msg, fmt, ap);
    va_end(ap);
    /* names and messages from the data stay on one line */
    strbuf_adds(&line, "mmfix: ");
    if (list != NULL) {
        strbuf_add_printable(&line, list);
        strbuf_adds(&line, ": ");
    }
    strbuf_add_printable(&line, strbuf_cstr(&msg));
    strbuf_addc(&line, '\n');
    fwrite(line.buf, 1, line.len, stderr);
    strbuf_release(&msg);
    strbuf_release(&line);
}

/* cmd_parse - shared options */
int cmd_parse(const char *command, const char *usage, int argc, char **argv,
              struct cmd_opts *opts)
{
    int c;

    memset(opts, 0, sizeof(*opts));
    opts->var_prefix = getenv("MMFIX_VAR_PREFIX");
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "ad:j:nqvh", long_opts, NULL)) != -1) {
        switch (c) {
        case 'd': opts->var_prefix = optarg; break;
        case OPT_INSTALL_DIR: opts->install_dir = optarg; break;
        case OPT_JSON: opts->json = true; break;
        case OPT_CHARSET: opts->charset = optarg; break;
        case OPT_ATTR: opts->attr = optarg; break;
        case OPT_FROM: opts->from = optarg; break;
        case OPT_TO: opts->to = optarg; break;
        case 'n': opts->dry_run = true; break;
        case 'a': opts->all = true; break;
        case OPT_JOURNAL: opts->journal = optarg; break;
        case OPT_FORCE: opts->force = true; break;
        case OPT_URL_HOST: opts->url_host = optarg; break;
        case OPT_EMAIL_HOST: opts->email_host = optarg; break;
        case OPT_REWRITE_TEXT:
            if (opts->n_rewrite_text == CMD_MAX_REWRITE) {
                cmd_error(NULL, "%s: at most %d --rewrite-text", command, CMD_MAX_REWRITE);
                return -1;
            }
            opts->rewrite_text[opts->n_rewrite_text++] = optarg;
            break;
        case OPT_POSTALIAS: opts->postalias = optarg; break;
        case OPT_POSTMAP: opts->postmap = optarg; break;
        case OPT_POSTFIX_CONFIG: opts->postfix_config = optarg; break;
        case OPT_ALIASES: opts->aliases_file = optarg; break;
        case OPT_OUT: opts->out_dir = optarg; break;
        case OPT_MAILMAN: opts->mailman = optarg; break;
        case OPT_FIX_MBOX: opts->fix_mbox = true; break;
        case OPT_LOCK_TIMEOUT: {
            char *end = NULL;
            double t = strtod(optarg, &end);
            if (*end != '\0' || t < 0 || t > 86400) {
                cmd_error(NULL, "%s: --lock-timeout wants seconds (0 to 86400)", command);
                return -1;
            }
            opts->lock_timeout_ms = (int)(t * 1000);
            break;
        }
        case 'j': {
            char *end = NULL;
            long j = strtol(optarg, &end, 10);
            if (*end != '\0' || j < 1 || j > 64) {
                cmd_error(NULL, "%s: -j wants a number of workers from 1 to 64", command);
                return -1;
            }
            opts->jobs = (unsigned)j;
            break;
        }
        case 'q': opts->quiet = true; break;
        case 'v': opts->verbose = true; break;
        case 'h':
            printf("usage: mmfix %s %s\n", command, usage);
            return 1;
        default:
            cmd_error(NULL, "%s: unknown or incomplete option '%s'", command,
                      argv[optind - 1]);
            fprintf(stderr, "usage: mmfix %s %s\n", command, usage);
            return -1;
        }
    }
    opts->argc = argc - optind;
    opts->argv = argv + optind;
    return 0;
}

static int cmd_recover(const struct cmd_opts *opts, struct cmd_env *env);

/* cmd_start - parse, check the argument count, open */
int cmd_start(const char *command, const char *usage, int argc, char **argv, int max_args,
              const char *why_too_many, struct cmd_opts *opts, struct cmd_env *env,
              bool *stop_r)
{
    int rc = cmd_parse(command, usage, argc, argv, opts);

    *stop_r = true;
    if (rc != 0) {
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (opts->argc > max_args) {
        cmd_error(NULL, "%s: %s", command, why_too_many);
        fprintf(stderr, "usage: mmfix %s %s\n", command, usage);
        return EXIT_USAGE;
    }
    rc = cmd_open(opts, env);
    *stop_r = rc != EXIT_OK;
    return rc;
}

/* cmd_open - installation + site settings; rolls back an interrupted run */
int cmd_open(const struct cmd_opts *opts, struct cmd_env *env)
{
    const char *err = NULL;
    size_t i;

    memset(env, 0, sizeof(*env));
    if (install_open(opts->var_prefix, opts->install_dir, &env->install, &err) != 0) {
        cmd_error(NULL, "%s", err);
        return EXIT_NOINPUT;
    }
    if (site_load(env->install->install_dir, &env->site, &err) != 0) {
        cmd_error(NULL, "site settings: %s", err);
        cmd_close(env);
        return EXIT_DATAERR;
    }
    if (env->install->install_dir == NULL && !opts->quiet) {
        cmd_error(NULL, "no Mailman install dir found (%s); using Mailman 2.1.39's stock "
                  "settings: host checks are skipped", env->install->no_install_dir_reason
                  ? env->install->no_install_dir_reason : "give --install-dir");
    }
    if (opts->verbose) {
        for (i = 0; i < env->site->n_warnings; i++) {
            cmd_error(NULL, "site: %s", env->site->warnings[i]);
        }
    }
    return cmd_recover(opts, env);
}

/* journal_path - where the journal is */
static char *journal_path(const struct cmd_opts *opts, const struct cmd_env *env)
{
    if (opts->journal != NULL) {
        return xstrdup(opts->journal);
    }
    return xasprintf("%s/mmfix-journal.sqlite", env->install->data_dir);
}

/* cmd_open_journal - open or create the journal */
int cmd_open_journal(const struct cmd_opts *opts, struct cmd_env *env)
{
    char *path = NULL;
    const char *err = NULL;
    int rc = EXIT_OK;

    if (env->journal != NULL) {
        return EXIT_OK;
    }
    rc = cmd_tree_check(env, false);
    if (rc != EXIT_OK) {
        return rc;
    }
    path = journal_path(opts, env);
    if (journal_open(path, &env->journal, &err) != 0) {
        cmd_error(NULL, "journal %s: %s", path, err);
        rc = EXIT_CANTCREAT;
    }
    free(path);
    return rc;
}

/* cmd_recover - an earlier run was killed: roll it back before anything else */
static int cmd_recover(const struct cmd_opts *opts, struct cmd_env *env)
{
    char *path = NULL;
    struct stat st;
    int64_t run = 0;
    const char *err = NULL;
    int rc = EXIT_OK;

    if (cmd_tree_check(env, true) != EXIT_OK) {
        /* nothing is read or locked through a link out of the tree (a writing
         * command says so when it starts) */
        return EXIT_OK;
    }
    path = journal_path(opts, env);
    if (stat(path, &st) != 0) {
        free(path);
        /* no journal: nothing was ever changed by mmfix; but an mmfix killed
         * while it planned under its list locks left them behind */
        lockfile_clear_dead(env->install->locks_dir);
        return EXIT_OK;
    }
    free(path);
    rc = cmd_open_journal(opts, env);
    if (rc != EXIT_OK) {
        cmd_close(env);
        return rc;
    }
    /* a stop signal waits until the recovery has released its locks */
    sigstop_install();
    if (apply_recover(env->install, env->journal, &run, &err) != 0) {
        sigstop_restore();
        cmd_error(NULL, "an interrupted run could not be rolled back: %s", err);
        cmd_close(env);
        return EXIT_IOERR;
    }
    sigstop_restore();
    if (run != 0) {
        cmd_error(NULL, "run %lld was interrupted; its changes were rolled back "
                  "(mmfix history)", (long long)run);
    }
    return EXIT_OK;
}


/* cmd_list_names - positional list names or all lists */
int cmd_list_names(const struct cmd_opts *opts, const struct cmd_env *env, char ***names_r,
                   size_t *n_r)
{
    const char *err = NULL;
    size_t i;

    if (opts->argc > 0 && opts->all) {
        cmd_error(NULL, "give list names or -a/--all, not both");
        return -1;
    }
    for (i = 0; i < (size_t)opts->argc; i++) {
        if (cmd_tree_name_check(env, opts->argv[i]) != EXIT_OK) {
            return -1;
        }
    }
    if (opts->argc > 0) {
        *n_r = (size_t)opts->argc;
        *names_r = xcalloc(*n_r, sizeof(char *));
        for (i = 0; i < *n_r; i++) {
            (*names_r)[i] = xstrdup(opts->argv[i]);
        }
        return 0;
    }
    if (install_list_names(env->install, names_r, n_r, &err) != 0) {
        cmd_error(NULL, "%s", err);
        return -1;
    }
    return 0;
}

/* group_of_lists - the group of lists/ ((gid_t)-1 if it cannot be told) */
static gid_t group_of_lists(const struct install *install)
{
    struct stat st;

    return lstat(install->lists_dir, &st) == 0 ? st.st_gid : (gid_t)-1;
}

/* cmd_prepare - the directories a writing command needs */
int cmd_prepare(const struct cmd_opts *opts, struct cmd_env *env, struct problem_list *notes,
                bool *pending_r)
{
    struct stat st;
    const char *err = NULL;
    bool need_data = lstat(env->install->data_dir, &st) != 0 && errno == ENOENT;
    bool need_locks = lstat(env->install->locks_dir, &st) != 0 && errno == ENOENT;
    int rc = cmd_tree_check(env, false);

    *pending_r = need_data || need_locks;
    if (rc != EXIT_OK) {
        return rc;
    }
    if (opts->dry_run) {
        if (need_data || need_locks) {
            problem_add(notes, "create-dirs", NULL, PROBLEM_WARNING,
                        "%s%s%s missing (a var prefix copied from another host?): would be "
                        "created as Mailman's install makes them (mode 02775, group of lists/)",
                        need_data ? "data/" : "", need_data && need_locks ? " and " : "",
                        need_locks ? "locks/" : "");
        }
        return EXIT_OK;
    }
    if (need_data) {
        /* where the journal lives: made before there is a journal to record it */
        if (atomic_mkdir(env->install->var_prefix, env->install->data_dir, 02775,
                         group_of_lists(env->install), &err) != 0) {
            cmd_error(NULL, "%s", err);
            return EXIT_CANTCREAT;
        }
        problem_add(notes, "create-dirs", NULL, PROBLEM_WARNING,
                    "data/ was missing: created (mode 02775, group of lists/) for the journal; "
                    "a rollback leaves it");
    }
    if (!need_locks) {
        return EXIT_OK;
    }
    {
        struct plan plan;
        struct lockset *none = NULL;
        struct apply_opts ao = { 0, "prepare" };
        int64_t run = 0;

        plan_init(&plan, env->install->var_prefix);
        plan_add_mkdir(&plan, "locks", 02775, "lists", PLAN_NO_LIST);
        rc = cmd_apply(opts, &plan, env, &none, &ao, &run);
        plan_free(&plan);
        if (rc == EXIT_OK) {
            problem_add(notes, "create-dirs", NULL, PROBLEM_WARNING,
                        "locks/ was missing: created (mode 02775, group of lists/), journal "
                        "run %lld", (long long)run);
        }
    }
    return rc;
}

/* cmd_release_locks - release the list locks; one that stays is said on stderr */
void cmd_release_locks(struct lockset **locks)
{
    const char *err = NULL;

    if (lockset_release(locks, &err) != 0) {
        cmd_error(NULL, "warning: list lock not released: %s", err);
    }
}

/* cmd_lock_lists - a writing command takes its lists' locks before it reads them */
int cmd_lock_lists(const struct cmd_opts *opts, const struct cmd_env *env, char *const *names,
                   size_t n, struct lockset **locks_r)
{
    const char *err = NULL;
    bool busy = false;

    sigstop_install();
    if (lockset_acquire(env->install, names, n, opts->lock_timeout_ms, locks_r, &busy,
                        &err) != 0) {
        if (sigstop_pending() != 0) {
            cmd_error(NULL, "stopped by %s while waiting for a list lock; nothing was "
                      "changed", sigstop_name());
            return sigstop_exit_code();
        }
        cmd_error(NULL, "%s", err);
        return busy ? EXIT_TEMPFAIL : EXIT_CANTCREAT;
    }
    return EXIT_OK;
}

/* cmd_apply - apply_plan, its failures as messages and exit codes */
int cmd_apply(const struct cmd_opts *opts, const struct plan *plan, struct cmd_env *env,
              struct lockset **locks, const struct apply_opts *ao, int64_t *run_r)
{
    const char *err = NULL;
    int rc;

    *run_r = 0;
    if (plan->n_ops == 0) {
        return EXIT_OK;
    }
    /* opened only now: a run that changes nothing leaves no journal behind */
    rc = cmd_open_journal(opts, env);
    if (rc != EXIT_OK) {
        return rc;
    }
    switch (apply_plan(plan, env->install, env->journal, locks, ao, run_r, &err)) {
    case APPLY_OK:
        return EXIT_OK;
    case APPLY_BUSY:
        cmd_error(NULL, "%s", err);
        return EXIT_TEMPFAIL;
    case APPLY_INTERRUPTED:
        cmd_error(NULL, "%s", err);
        return sigstop_exit_code();
    case APPLY_FAILED:
        break;
    }
    cmd_error(NULL, "%s", err);
    return EXIT_IOERR;
}

/* cmd_close - free the environment */
void cmd_close(struct cmd_env *env)
{
    journal_close(&env->journal);
    site_free(&env->site);
    install_free(&env->install);
}

/* cmd_write - report to stdout */
int cmd_write(const struct strbuf *sb)
{
    if (sb->len > 0 && fwrite(sb->buf, 1, sb->len, stdout) != sb->len) {
        cmd_error(NULL, "writing the report: I/O error");
        return EXIT_IOERR;
    }
    if (fflush(stdout) != 0) {
        cmd_error(NULL, "writing the report: I/O error");
        return EXIT_IOERR;
    }
    return EXIT_OK;
}

/* cmd_exit_for_load - SPEC §8 code for a reader failure */
int cmd_exit_for_load(int e)
{
    switch ((enum load_error)e) {
    case LOAD_OK: return EXIT_OK;
    case LOAD_MISSING: return EXIT_NOINPUT;
    case LOAD_CORRUPT:
    case LOAD_REFUSED:
    case LOAD_LIMIT: return EXIT_DATAERR;
    case LOAD_IO: return EXIT_IOERR;
    case LOAD_INTERNAL: return EXIT_SOFTWARE;
    }
    return EXIT_SOFTWARE;
}

/* cmd_run_lists - cmd_run_steps without a global step */
int cmd_run_lists(const struct cmd_opts *opts, struct cmd_env *env, char *const *names,
                  size_t n, const char *command, cmd_plan_fn *plan_list, void *ctx)
{
    return cmd_run_steps(opts, env, names, n, command, plan_list, NULL, NULL, ctx);
}

/* cmd_drop_blocked - see cmd.h */
void cmd_drop_blocked(const struct cmd_env *env, struct plan *plan, size_t first,
                      const char *list)
{
    const char *err = NULL;

    if (apply_check_ops(plan, env->install, first, &err) != 0) {
        plan_truncate_ops(plan, first);
        problem_add(&plan->problems, "path-blocked", list, PROBLEM_ERROR,
                    "%s: never followed or written through; %s", err,
                    list != NULL ? "the list is left as it is"
                                 : "the site's files are left as they are");
    }
}

/* cmd_run_steps - the shape of a writing batch command, lists read under their locks */
int cmd_run_steps(const struct cmd_opts *opts, struct cmd_env *env, char *const *names,
                  size_t n, const char *command, cmd_plan_fn *plan_list,
                  cmd_global_fn *global, cmd_after_fn *after, void *ctx)
{
    struct strbuf out = STRBUF_INIT;
    int arc = EXIT_OK;
    struct progress prog;
    struct plan plan;
    struct lockset *locks = NULL;
    const char *err = NULL;
    bool applied = false;
    bool dirs_pending = false;
    bool failed = false;
    int64_t run = 0;
    size_t i;
    int rc;

    plan_init(&plan, env->install->var_prefix);
    rc = cmd_prepare(opts, env, &plan.notes, &dirs_pending);
    if (rc == EXIT_OK && !opts->dry_run) {
        /* the lists are read under their locks: what Mailman saves while
         * mmfix waits for a lock is in the tree mmfix plans from */
        rc = cmd_lock_lists(opts, env, names, n, &locks);
    }
    if (rc != EXIT_OK) {
        goto out;
    }
    if (env->read_ahead != 0 && n > 1
        && prefetch_start(env->install->lists_dir, names, n, env->read_ahead, READ_THREADS,
                          READ_AHEAD, READ_AHEAD_BYTES, &env->prefetch, &err) != 0) {
        /* no second thread: the lists are read one by one as they are planned */
        env->prefetch = NULL;
    }
    progress_start(&prog, command, n, !opts->quiet);
    for (i = 0; i < n; i++) {
        size_t first = plan.n_lists;
        size_t first_op = plan.n_ops;
        size_t k;

        progress_update(&prog, i);
        prefetch_at(env->prefetch, i);
        if (plan_list(ctx, env, names[i], &plan, &err) != 0) {
            /* a batch goes on past a broken list, and says so */
            cmd_error(names[i], "%s", err);
            failed = true;
        }
        cmd_drop_blocked(env, &plan, first_op, names[i]);
        /* its report rendered and what will be written pickled, the list's
         * trees go: one list's trees in memory at a time */
        for (k = first; k < plan.n_lists; k++) {
            report_seal_list(&plan, k, opts->json);
            if (plan_freeze_list(&plan, k, &err) != 0) {
                cmd_error(names[i], "%s", err);
                rc = EXIT_SOFTWARE;
                progress_done(&prog);
                goto out;
            }
        }
        if (sigstop_pending() != 0) {
            progress_done(&prog);
            cmd_error(NULL, "stopped by %s before anything was changed", sigstop_name());
            rc = sigstop_exit_code();
            goto out;
        }
    }
    progress_done(&prog);
    prefetch_stop(&env->prefetch);
    i = plan.n_ops;
    if (global != NULL) {
        int grc = global(ctx, env, &plan, &err);
        if (grc > 0) {
            cmd_error(NULL, "%s: stopped before anything was changed", command);
            rc = grc;
            goto out;
        }
        if (grc != 0) {
            cmd_error(NULL, "%s", err);
            failed = true;
        }
    }
    cmd_drop_blocked(env, &plan, i, NULL);
    if (!opts->dry_run && plan.n_ops > 0) {
        struct apply_opts ao = { opts->lock_timeout_ms, command };

        rc = cmd_apply(opts, &plan, env, &locks, &ao, &run);
        if (rc != EXIT_OK) {
            goto out;
        }
        applied = true;
    }
    cmd_report_into(opts, &plan, applied, run, &out);
    if (after != NULL) {
        arc = after(ctx, env, applied, run, &out);
    }
    rc = cmd_report_write(opts, &out);
    if (rc == EXIT_OK && arc != EXIT_OK) {
        rc = arc;
    } else if (rc == EXIT_OK) {
        if (problem_count_errors(&plan.problems, 0, plan.problems.len) > 0) {
            rc = EXIT_DATAERR;
        } else if (failed) {
            rc = EXIT_NOINPUT;
        } else if (opts->dry_run && (plan.n_ops > 0 || dirs_pending)) {
            rc = EXIT_CHANGES;
        }
    }
    rc = cmd_late_signal(rc);
out:
    prefetch_stop(&env->prefetch);
    cmd_release_locks(&locks);
    strbuf_release(&out);
    plan_free(&plan);
    return rc;
}

/* cmd_report_into - the report of a plan, and the journal line */
void cmd_report_into(const struct cmd_opts *opts, const struct plan *plan, bool applied,
                     int64_t run, struct strbuf *out)
{
    if (opts->json) {
        report_json(out, plan, applied);
    } else {
        report_text(out, plan, applied);
        if (applied) {
            strbuf_addf(out, "journal: run %lld (mmfix rollback %lld undoes it)\n",
                        (long long)run, (long long)run);
        }
    }
}

/* cmd_report_write - a report on stdout, coloured on a terminal */
int cmd_report_write(const struct cmd_opts *opts, struct strbuf *out)
{
    const char *nc = getenv("NO_COLOR");

    /* colour on a terminal only, and never with NO_COLOR (no-color.org) */
    if (!opts->json && isatty(STDOUT_FILENO) && (nc == NULL || *nc == '\0')) {
        report_colorize(out);
    }
    return cmd_write(out);
}

/* cmd_report - the report of a plan on stdout */
int cmd_report(const struct cmd_opts *opts, const struct plan *plan, bool applied, int64_t run)
{
    struct strbuf out = STRBUF_INIT;
    int rc;

    cmd_report_into(opts, plan, applied, run, &out);
    rc = cmd_report_write(opts, &out);
    strbuf_release(&out);
    return rc;
}

/* cmd_late_signal - a stop signal that came once the run was complete */
int cmd_late_signal(int rc)
{
    if (sigstop_pending() == 0) {
        return rc;
    }
    cmd_error(NULL, "%s came after the run was complete: its changes are kept",
              sigstop_name());
    return sigstop_exit_code();
}
