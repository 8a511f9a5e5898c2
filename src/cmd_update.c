/*
 * cmd_update - upgrade old list data to the site's Mailman (SPEC §4
 * `update`): shown first, journaled, written with Mailman's save
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "mmfix/install.h"
#include "mmfix/plan.h"
#include "mmfix/profile.h"
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
    char **names = NULL;
    size_t n = 0;
    const char *err = NULL;
    bool failed = false;
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
    rc = cmd_run_plan(&opts, &env, &plan, "update");
    if (failed && (rc == EXIT_OK || rc == EXIT_CHANGES)) {
        rc = EXIT_NOINPUT;
    }
out:
    for (i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
    profile_free(&profile);
    plan_free(&plan);
    cmd_close(&env);
    return rc;
}
