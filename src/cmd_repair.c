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
    "[-n|--dry-run] [-d VAR_PREFIX] [--json] [--lock-timeout SECONDS] [--journal FILE]\n"
    "       (-a|--all | LIST...)";

/* plan_one - repair_plan as a batch step */
static int plan_one(void *ctx, struct cmd_env *env, const char *name, struct plan *plan,
                    const char **error_r)
{
    (void)ctx;
    return repair_plan(env->install, env->site, name, plan, error_r);
}

/* cmd_repair - the repair command */
int cmd_repair(int argc, char **argv)
{
    struct cmd_opts opts;
    struct cmd_env env;
    char **names = NULL;
    size_t n = 0;
    size_t i;
    int rc;

    rc = cmd_parse("repair", repair_usage, argc, argv, &opts);
    if (rc != 0) {
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (opts.argc < 1 && !opts.all) {
        cmd_error(NULL, "repair: name the lists to repair, or -a for all of them");
        fprintf(stderr, "usage: mmfix repair %s\n", repair_usage);
        return EXIT_USAGE;
    }
    rc = cmd_open(&opts, &env);
    if (rc != EXIT_OK) {
        return rc;
    }
    if (cmd_list_names(&opts, &env, &names, &n) != 0) {
        rc = EXIT_NOINPUT;
    } else {
        rc = cmd_run_lists(&opts, &env, names, n, "repair", plan_one, NULL);
    }
    for (i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
    cmd_close(&env);
    return rc;
}
