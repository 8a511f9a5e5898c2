/*
 * cmd_fix_url - move lists to another web and mail host the way Mailman's
 * `withlist -l -r fix_url LIST -u H` does, and rewrite the old host in
 * their texts and templates (SPEC §4 `fix-url`): shown first, journaled
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "mmfix/fixurl.h"
#include "mmfix/install.h"
#include "mmfix/plan.h"

static const char fix_url_usage[] =
    "[-n|--dry-run] [-d VAR_PREFIX] [--install-dir DIR] [--json] [--lock-timeout SECONDS]\n"
    "       [--journal FILE] [--url-host H] [--email-host E] [--rewrite-text OLD=NEW]...\n"
    "       [-a|--all | LIST...]";

/* plan_one - fixurl_plan as a batch step */
static int plan_one(void *ctx, struct cmd_env *env, const char *name, struct plan *plan,
                    const char **error_r)
{
    return fixurl_plan(env->install, env->site, ctx, name, plan, error_r);
}

/* cmd_fix_url - the fix-url command */
int cmd_fix_url(int argc, char **argv)
{
    struct cmd_opts opts;
    struct cmd_env env;
    struct hosts_target target;
    struct hosts_rewrite rw[CMD_MAX_REWRITE];
    struct fixurl_opts fo = { &target, rw, 0 };
    char **names = NULL;
    size_t n = 0;
    const char *err = NULL;
    size_t i;
    int rc;

    memset(&target, 0, sizeof(target));
    rc = cmd_parse("fix-url", fix_url_usage, argc, argv, &opts);
    if (rc != 0) {
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    }
    for (i = 0; i < opts.n_rewrite_text; i++) {
        if (hosts_rewrite_parse(opts.rewrite_text[i], &rw[fo.n_rw], &err) != 0) {
            cmd_error(NULL, "fix-url: %s", err);
            rc = EXIT_USAGE;
            goto free_rw;
        }
        fo.n_rw++;
    }
    rc = cmd_open(&opts, &env);
    if (rc != EXIT_OK) {
        goto free_rw;
    }
    if (hosts_target_make(env.site, opts.url_host, opts.email_host, &target, &err) != 0) {
        cmd_error(NULL, "fix-url: %s", err);
        rc = EXIT_USAGE;
    } else if (cmd_list_names(&opts, &env, &names, &n) != 0) {
        rc = EXIT_NOINPUT;
    } else {
        rc = cmd_run_lists(&opts, &env, names, n, "fix-url", plan_one, &fo);
    }
    for (i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
    hosts_target_free(&target);
    cmd_close(&env);
free_rw:
    for (i = 0; i < fo.n_rw; i++) {
        hosts_rewrite_free(&rw[i]);
    }
    return rc;
}
