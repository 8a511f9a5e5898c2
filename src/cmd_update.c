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
    "[-n|--dry-run] [-d VAR_PREFIX] [--install-dir DIR] [--json] [--lock-timeout SECONDS]\n"
    "       [--journal FILE] [-a|--all | LIST...]";

/* now - the clock, as Python's time.time() */
static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct update_ctx {
    struct profile *profile;
    struct update_global *global;
    size_t n;       /* lists in the run */
    size_t done;    /* lists planned so far */
};

/* plan_one - update_plan as a batch step; after the last list, the
 * site-wide steps (so the report shows them after every list's) */
static int plan_one(void *ctx, struct cmd_env *env, const char *name, struct plan *plan,
                    const char **error_r)
{
    struct update_ctx *uc = ctx;
    int rc = update_plan(env->install, env->site, uc->profile, name, uc->global, plan,
                         error_r);

    if (++uc->done == uc->n) {
        const char *err = NULL;
        if (update_global_plan(env->install, env->site, uc->global, plan, &err) != 0) {
            cmd_error(NULL, "%s", err);
        }
    }
    return rc;
}

/* cmd_update - the update command */
int cmd_update(int argc, char **argv)
{
    struct cmd_opts opts;
    struct cmd_env env;
    struct update_ctx uc = { NULL, NULL, 0, 0 };
    char **names = NULL;
    size_t n = 0;
    const char *err = NULL;
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
    if (profile_load(env.site, &uc.profile, &err) != 0) {
        cmd_error(NULL, "%s", err);
        rc = EXIT_SOFTWARE;
    } else if (cmd_list_names(&opts, &env, &names, &n) != 0) {
        rc = EXIT_NOINPUT;
    } else if (update_global_load(env.install, env.site, opts.argc == 0, now(), &uc.global,
                                  &err) != 0) {
        cmd_error(NULL, "%s", err);
        rc = EXIT_SOFTWARE;
    } else {
        uc.n = n;
        rc = cmd_run_lists(&opts, &env, names, n, "update", plan_one, &uc);
    }
    for (i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
    update_global_free(&uc.global);
    profile_free(&uc.profile);
    cmd_close(&env);
    return rc;
}
