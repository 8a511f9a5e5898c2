/*
 * cmd_repair - repair lists: Mailman's fallback recovery, then the roster
 * fixes, shown first and journaled (SPEC §4)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "mmfix/apply.h"
#include "mmfix/install.h"
#include "mmfix/lockset.h"
#include "mmfix/plan.h"
#include "mmfix/repair.h"
#include "mmfix/report.h"
#include "mmfix/sigstop.h"

static const char repair_usage[] =
    "[-n|--dry-run] [-d VAR_PREFIX] [--json] [--lock-timeout SECONDS] [--journal FILE] LIST...";

/* cmd_repair - the repair command */
int cmd_repair(int argc, char **argv)
{
    struct cmd_opts opts;
    struct cmd_env env;
    struct plan plan;
    struct lockset *locks = NULL;
    struct strbuf out = STRBUF_INIT;
    const char *err = NULL;
    bool applied = false;
    bool dirs_pending = false;
    int64_t run = 0;
    int rc;
    int i;

    rc = cmd_parse("repair", repair_usage, argc, argv, &opts);
    if (rc != 0) {
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (opts.argc < 1) {
        cmd_error(NULL, "repair: name the lists to repair");
        fprintf(stderr, "usage: mmfix repair %s\n", repair_usage);
        return EXIT_USAGE;
    }
    rc = cmd_open(&opts, &env);
    if (rc != EXIT_OK) {
        return rc;
    }
    plan_init(&plan, env.install->var_prefix);
    rc = cmd_prepare(&opts, &env, &plan.notes, &dirs_pending);
    if (rc != EXIT_OK) {
        goto out;
    }
    if (!opts.dry_run) {
        /* the lists are read under their locks: what Mailman saves while
         * mmfix waits for a lock is in the tree mmfix plans from */
        rc = cmd_lock_lists(&opts, &env, opts.argv, (size_t)opts.argc, &locks);
        if (rc != EXIT_OK) {
            goto out;
        }
    }
    for (i = 0; i < opts.argc; i++) {
        if (repair_plan(env.install, env.site, opts.argv[i], &plan, &err) != 0) {
            cmd_error(opts.argv[i], "%s", err);
            rc = EXIT_NOINPUT;
            goto out;
        }
        if (sigstop_pending() != 0) {
            cmd_error(NULL, "stopped by %s before anything was changed", sigstop_name());
            rc = sigstop_exit_code();
            goto out;
        }
    }
    if (!opts.dry_run && plan.n_ops > 0) {
        struct apply_opts ao = { opts.lock_timeout_ms, "repair" };

        rc = cmd_apply(&opts, &plan, &env, &locks, &ao, &run);
        if (rc != EXIT_OK) {
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
        if (problem_count_errors(&plan.problems, 0, plan.problems.len) > 0) {
            rc = EXIT_DATAERR;
        } else if (opts.dry_run && (plan.n_ops > 0 || dirs_pending)) {
            rc = EXIT_CHANGES;
        }
    }
    if (sigstop_pending() != 0) {
        cmd_error(NULL, "%s came after the run was complete: its changes are kept",
                  sigstop_name());
        rc = sigstop_exit_code();
    }
out:
    lockset_release(&locks);
    strbuf_release(&out);
    plan_free(&plan);
    cmd_close(&env);
    return rc;
}
