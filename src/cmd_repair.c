/*
 * cmd_repair - repair lists: Mailman's fallback recovery, then the roster
 * fixes, shown first and journaled (SPEC §4)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "mmfix/install.h"
#include "mmfix/plan.h"
#include "mmfix/repair.h"

static const char repair_usage[] =
    "[-n|--dry-run] [-d VAR_PREFIX] [--json] [--lock-timeout SECONDS] [--journal FILE] LIST...";

/* cmd_repair - the repair command */
int cmd_repair(int argc, char **argv)
{
    struct cmd_opts opts;
    struct cmd_env env;
    struct plan plan;
    const char *err = NULL;
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
    for (i = 0; i < opts.argc; i++) {
        if (repair_plan(env.install, env.site, opts.argv[i], &plan, &err) != 0) {
            cmd_error(opts.argv[i], "%s", err);
            rc = EXIT_NOINPUT;
            goto out;
        }
    }
    rc = cmd_run_plan(&opts, &env, &plan, "repair");
out:
    plan_free(&plan);
    cmd_close(&env);
    return rc;
}
