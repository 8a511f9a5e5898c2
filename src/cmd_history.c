/*
 * cmd_history, cmd_rollback - the journal of runs, and undoing one
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "mmfix/apply.h"
#include "mmfix/install.h"
#include "mmfix/journal.h"
#include "mmfix/jsonw.h"
#include "mmfix/sigstop.h"

static const char history_usage[] = "[-d VAR_PREFIX] [--journal FILE] [--json]";
static const char rollback_usage[] =
    "[-n|--dry-run] [-d VAR_PREFIX] [--journal FILE] [--force] [--lock-timeout S] [RUN]";

/* cmd_history - list journaled runs */
int cmd_history(int argc, char **argv)
{
    struct cmd_opts opts;
    struct cmd_env env;
    struct journal_run *runs = NULL;
    struct strbuf out = STRBUF_INIT;
    size_t n = 0;
    size_t i;
    const char *err = NULL;
    int rc;

    rc = cmd_parse("history", history_usage, argc, argv, &opts);
    if (rc != 0) {
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    }
    rc = cmd_open(&opts, &env);
    if (rc == EXIT_OK) {
        rc = cmd_open_journal(&opts, &env);
    }
    if (rc != EXIT_OK) {
        cmd_close(&env);
        return rc;
    }
    if (journal_runs(env.journal, &runs, &n, &err) != 0) {
        cmd_error(NULL, "journal: %s", err);
        cmd_close(&env);
        return EXIT_IOERR;
    }
    if (opts.json) {
        struct jsonw w;
        jsonw_init(&w, &out, false);
        jsonw_object_begin(&w);
        jsonw_key(&w, "runs");
        jsonw_array_begin(&w);
        for (i = 0; i < n; i++) {
            jsonw_object_begin(&w);
            jsonw_key(&w, "run");
            jsonw_int(&w, runs[i].id);
            jsonw_key(&w, "started");
            jsonw_string(&w, runs[i].started);
            jsonw_key(&w, "command");
            jsonw_string(&w, runs[i].command);
            jsonw_key(&w, "status");
            jsonw_string(&w, runs[i].status);
            jsonw_key(&w, "files");
            jsonw_int(&w, runs[i].files);
            jsonw_key(&w, "summary");
            jsonw_string(&w, runs[i].summary);
            jsonw_object_end(&w);
        }
        jsonw_array_end(&w);
        jsonw_object_end(&w);
    } else {
        strbuf_addf(&out, "%-5s %-20s %-10s %-12s %5s  %s\n", "RUN", "STARTED", "COMMAND",
                    "STATUS", "FILES", "SUMMARY");
        for (i = 0; i < n; i++) {
            strbuf_addf(&out, "%-5lld %-20s %-10s %-12s %5d  %s\n", (long long)runs[i].id,
                        runs[i].started, runs[i].command, runs[i].status, runs[i].files,
                        runs[i].summary);
        }
    }
    rc = cmd_write(&out);
    strbuf_release(&out);
    free(runs);
    cmd_close(&env);
    return rc;
}

struct rollback_ctx {
    struct strbuf *out;
    const char *prefix;
};

static void rollback_report(void *ctx, const char *path, const char *action)
{
    struct rollback_ctx *rc = ctx;
    size_t n = strlen(rc->prefix);

    if (strncmp(path, rc->prefix, n) == 0 && path[n] == '/') {
        path += n + 1;
    }
    strbuf_addf(rc->out, "  %-8s %s\n", action, path);
}

/* cmd_rollback - restore the files of a run */
int cmd_rollback(int argc, char **argv)
{
    struct cmd_opts opts;
    struct cmd_env env;
    struct journal_run *runs = NULL;
    struct strbuf out = STRBUF_INIT;
    struct rollback_ctx ctx;
    size_t n = 0;
    size_t i;
    int64_t run = 0;
    const char *err = NULL;
    int rc;

    rc = cmd_parse("rollback", rollback_usage, argc, argv, &opts);
    if (rc != 0) {
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (opts.argc > 1) {
        cmd_error(NULL, "rollback: name at most one run");
        return EXIT_USAGE;
    }
    if (opts.argc == 1) {
        char *end = NULL;
        run = strtoll(opts.argv[0], &end, 10);
        if (*end != '\0' || run <= 0) {
            cmd_error(NULL, "rollback: '%s' is not a run number (mmfix history)", opts.argv[0]);
            return EXIT_USAGE;
        }
    }
    rc = cmd_open(&opts, &env);
    if (rc == EXIT_OK) {
        rc = cmd_open_journal(&opts, &env);
    }
    if (rc != EXIT_OK) {
        cmd_close(&env);
        return rc;
    }
    if (run == 0) {
        if (journal_runs(env.journal, &runs, &n, &err) != 0) {
            cmd_error(NULL, "journal: %s", err);
            rc = EXIT_IOERR;
            goto out;
        }
        for (i = 0; i < n && run == 0; i++) {
            if (strcmp(runs[i].status, "done") == 0) {
                run = runs[i].id;
            }
        }
        if (run == 0) {
            cmd_error(NULL, "rollback: no finished run to roll back");
            rc = EXIT_NOINPUT;
            goto out;
        }
    }
    ctx.out = &out;
    ctx.prefix = env.install->var_prefix;
    strbuf_addf(&out, "rollback of run %lld%s:\n", (long long)run,
                opts.dry_run ? " (dry run: nothing was changed)" : "");
    if (opts.dry_run) {
        rc = journal_rollback_check(env.journal, run, env.install->var_prefix, opts.force,
                                    rollback_report, &ctx, &err);
    } else {
        enum apply_status st;

        sigstop_install();
        st = apply_rollback(env.install, env.journal, run, opts.force,
                                              opts.lock_timeout_ms, rollback_report, &ctx, &err);
        rc = st == APPLY_OK ? 0 : st == APPLY_BUSY ? EXIT_TEMPFAIL : EXIT_DATAERR;
    }
    if (rc != 0) {
        cmd_write(&out);
        cmd_error(NULL, "rollback of run %lld: %s", (long long)run, err);
        rc = rc == EXIT_TEMPFAIL ? EXIT_TEMPFAIL : EXIT_DATAERR;
        goto out;
    }
    rc = cmd_write(&out);
    if (rc == EXIT_OK && opts.dry_run) {
        rc = EXIT_CHANGES;
    }
    if (sigstop_pending() != 0) {
        cmd_error(NULL, "%s came while restoring: the rollback was finished first",
                  sigstop_name());
        rc = sigstop_exit_code();
    }
out:
    strbuf_release(&out);
    free(runs);
    cmd_close(&env);
    return rc;
}
