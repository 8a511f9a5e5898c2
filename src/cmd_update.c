/*
 * cmd_update - upgrade old list data to the site's Mailman (SPEC §4
 * `update`): shown first, journaled, written with Mailman's save
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "mmfix/apply.h"
#include "mmfix/install.h"
#include "mmfix/plan.h"
#include "mmfix/profile.h"
#include "mmfix/report.h"
#include "mmfix/site.h"
#include "mmfix/update.h"

static const char update_usage[] =
    "[-n|--dry-run] [-d VAR_PREFIX] [--install-dir DIR] [--json] [--lock-timeout SECONDS] "
    "[--journal FILE] [LIST...]";

/* now - the clock, as Python's time.time() */
static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* cmd_update - the update command */
int cmd_update(int argc, char **argv)
{
    struct cmd_opts opts;
    struct cmd_env env;
    struct plan plan;
    struct profile *profile = NULL;
    struct strbuf out = STRBUF_INIT;
    char **names = NULL;
    size_t n = 0;
    const char *err = NULL;
    bool applied = false;
    bool failed = false;
    int64_t run = 0;
    double clock_now = now();
    int rc;
    size_t i;

    rc = cmd_parse("update", update_usage, argc, argv, &opts);
    if (rc != 0) {
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    }
    rc = cmd_open(&opts, &env);
    if (rc != EXIT_OK) {
        return rc;
    }
    plan_init(&plan, env.install->var_prefix);
    if (profile_load(env.site, &profile, &err) != 0) {
        cmd_error(NULL, "%s", err);
        rc = EXIT_SOFTWARE;
        goto out;
    }
    if (cmd_list_names(&opts, &env, &names, &n) != 0) {
        rc = EXIT_NOINPUT;
        goto out;
    }
    for (i = 0; i < n; i++) {
        if (update_plan(env.install, env.site, profile, names[i], clock_now, &plan, &err) != 0) {
            cmd_error(names[i], "%s", err);
            failed = true;
        }
    }
    if (!opts.dry_run && plan.n_ops > 0) {
        struct apply_opts ao = { opts.lock_timeout_ms, "update" };
        enum apply_status st;

        rc = cmd_open_journal(&opts, &env);
        if (rc != EXIT_OK) {
            goto out;
        }
        st = apply_plan(&plan, env.install, env.journal, &ao, &run, &err);
        if (st != APPLY_OK) {
            cmd_error(NULL, "%s", err);
            rc = st == APPLY_BUSY ? EXIT_TEMPFAIL : EXIT_IOERR;
            goto out;
        }
        applied = true;
    }
    if (opts.json) {
        report_json(&out, &plan, applied);
    } else {
        report_text(&out, &plan, applied);
        if (applied) {
            strbuf_addf(&out, "journal: run %lld (mmfix rollback %lld undoes it)\n",
                        (long long)run, (long long)run);
        }
    }
    rc = cmd_write(&out);
    if (rc == EXIT_OK) {
        if (failed) {
            rc = EXIT_NOINPUT;
        } else if (problem_count_errors(&plan.problems, 0, plan.problems.len) > 0) {
            rc = EXIT_DATAERR;
        } else if (opts.dry_run && plan.n_ops > 0) {
            rc = EXIT_CHANGES;
        }
    }
out:
    for (i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
    strbuf_release(&out);
    profile_free(&profile);
    plan_free(&plan);
    cmd_close(&env);
    return rc;
}
