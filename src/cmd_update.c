/*
 * cmd_update - upgrade old list data to the site's Mailman (SPEC §4
 * `update`): shown first, journaled, written with Mailman's save
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "mmfix/archives.h"
#include "mmfix/install.h"
#include "mmfix/mlist.h"
#include "mmfix/plan.h"
#include "mmfix/profile.h"
#include "mmfix/qfiles.h"
#include "mmfix/site.h"
#include "mmfix/templates.h"
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


/* list_refused - a step refused the list (an error problem): nothing else
 * is done to it */
static bool list_refused(const struct plan *p, const char *name)
{
    size_t i;

    for (i = 0; i < p->problems.len; i++) {
        const struct problem *pr = &p->problems.items[i];
        if (pr->severity == PROBLEM_ERROR && pr->list != NULL && strcmp(pr->list, name) == 0) {
            return true;
        }
    }
    return false;
}

/* cmd_update_plan_list - a list's part of bin/update: its config and data files
 * (update_plan), then, for a list that is upgraded, its templates (2.0
 * layout, the language-code collision) and its archives (dolist) */
int cmd_update_plan_list(void *ctx, struct cmd_env *env, const char *name, struct plan *plan,
                         const char **error_r)
{
    struct cmd_update_steps *uc = ctx;
    size_t first = plan->n_lists;
    struct plan_list *l = NULL;
    struct archives_opts ao;
    bool from_20;

    if (update_plan(env->install, env->site, uc->profile, name, uc->global, env->prefetch,
                    plan, error_r) != 0) {
        return -1;
    }
    if (plan->n_lists == first || list_refused(plan, name)) {
        return 0;               /* nothing to upgrade, or left alone */
    }
    l = &plan->lists[first];
    from_20 = l->ml != NULL && l->ml->loaded >= 2;
    if ((from_20 ? templates_plan_list(env->install, env->site, name,
                                       templates_list_language(l->after), first, plan,
                                       error_r)
                 : templates_plan_restore(env->install, env->site, name, first, plan,
                                          error_r)) != 0) {
        return -1;
    }
    memset(&ao, 0, sizeof(ao));
    ao.archive_private = archives_private_of(l->after);
    ao.init_vars = true;
    ao.save_links = true;
    ao.public_mbox = uc->public_mbox;
    return archives_plan(env->install, env->site, name, &ao, plan, first, error_r);
}

/* cmd_update_plan_global - what bin/update does once, after every list: the site-wide
 * data files, the queue, the flat 2.0 templates */
int cmd_update_plan_global(void *ctx, struct cmd_env *env, struct plan *plan,
                           const char **error_r)
{
    struct cmd_update_steps *uc = ctx;

    if (update_global_plan(env->install, env->site, uc->global, plan, error_r) != 0
        || qfiles_plan(env->install, env->site, uc->global->now, plan, error_r) != 0) {
        return -1;
    }
    return templates_plan_site(env->install, env->site, false, plan, error_r);
}

/* public_mbox - the site's PUBLIC_MBOX (stock: No) */
static bool public_mbox(const struct site_settings *site)
{
    struct value *v = site != NULL && site->raw != NULL
                          ? value_dict_get_str(NULL, site->raw, "PUBLIC_MBOX") : NULL;

    return v != NULL && ((v->type == VALUE_INT && v->u.i != 0)
                         || (v->type == VALUE_BOOL && v->u.b));
}

/* cmd_update_open - the profile, the site-wide files and PUBLIC_MBOX */
int cmd_update_open(const struct cmd_opts *opts, struct cmd_env *env,
                    struct cmd_update_steps *us)
{
    const char *err = NULL;

    memset(us, 0, sizeof(*us));
    if (profile_load(env->site, &us->profile, &err) != 0
        || update_global_load(env->install, env->site, opts->argc == 0, now(), &us->global,
                              &err) != 0) {
        cmd_error(NULL, "%s", err);
        return EXIT_SOFTWARE;
    }
    us->public_mbox = public_mbox(env->site);
    return EXIT_OK;
}

/* cmd_update_close - free them */
void cmd_update_close(struct cmd_update_steps *us)
{
    update_global_free(&us->global);
    profile_free(&us->profile);
}

/* cmd_update - the update command */
int cmd_update(int argc, char **argv)
{
    struct cmd_opts opts;
    struct cmd_env env;
    struct cmd_update_steps us;
    char **names = NULL;
    size_t n = 0;
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
    memset(&us, 0, sizeof(us));
    rc = cmd_update_open(&opts, &env, &us);
    if (rc == EXIT_OK && cmd_list_names(&opts, &env, &names, &n) != 0) {
        rc = EXIT_NOINPUT;
    }
    if (rc == EXIT_OK) {
        env.read_ahead = MLIST_KEEP_MEMO;       /* update_plan's mlist_open */
        rc = cmd_run_steps(&opts, &env, names, n, "update", cmd_update_plan_list,
                           cmd_update_plan_global, NULL, &us);
    }
    for (i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
    cmd_update_close(&us);
    cmd_close(&env);
    return rc;
}
