/*
 * cmd_rename - rename a list everywhere, under both names' locks, journaled
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "mmfix/apply.h"
#include "mmfix/install.h"
#include "mmfix/lockset.h"
#include "mmfix/plan.h"
#include "mmfix/rename.h"
#include "mmfix/report.h"
#include "mmfix/sigstop.h"

static const char rename_usage[] =
    "[-n|--dry-run] [-d VAR_PREFIX] [--install-dir DIR] [--json] [--lock-timeout SECONDS]\n"
    "       [--journal FILE] OLD NEW";

static int refusal_exit(enum rename_refusal r)
{
    switch (r) {
    case RENAME_BAD_NAME: return EXIT_USAGE;
    case RENAME_NO_LIST: return EXIT_NOINPUT;
    case RENAME_EXISTS: return EXIT_CANTCREAT;
    case RENAME_UNREADABLE: return EXIT_DATAERR;
    case RENAME_OK: break;
    }
    return EXIT_SOFTWARE;
}

/* cmd_rename - the rename command */
int cmd_rename(int argc, char **argv)
{
    struct cmd_opts opts;
    struct cmd_env env;
    struct plan plan;
    struct lockset *locks = NULL;
    enum rename_refusal refusal = RENAME_OK;
    const char *err = NULL;
    bool applied = false;
    bool dirs_pending = false;
    int64_t run = 0;
    int rc;

    rc = cmd_parse("rename", rename_usage, argc, argv, &opts);
    if (rc != 0) {
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (opts.argc != 2) {
        cmd_error(NULL, "rename: give the list's name and its new name");
        fprintf(stderr, "usage: mmfix rename %s\n", rename_usage);
        return EXIT_USAGE;
    }
    rc = cmd_open(&opts, &env);
    if (rc != EXIT_OK) {
        return rc;
    }
    plan_init(&plan, env.install->var_prefix);
    /* names first: nothing is locked or created for a name that cannot be */
    if (strchr(opts.argv[0], '/') != NULL
        || !rename_check_name(env.install, env.site, opts.argv[1], &err)) {
        cmd_error(opts.argv[0], "rename: %s", strchr(opts.argv[0], '/') != NULL
                  ? "the list is named, not given as a path" : err);
        rc = EXIT_USAGE;
        goto out;
    }
    rc = cmd_prepare(&opts, &env, &plan.notes, &dirs_pending);
    if (rc == EXIT_OK && !opts.dry_run) {
        /* both names: Mailman must not create NEW meanwhile, nor write OLD */
        rc = cmd_lock_lists(&opts, &env, opts.argv, 2, &locks);
    }
    if (rc != EXIT_OK) {
        goto out;
    }
    if (rename_plan(env.install, env.site, opts.argv[0], opts.argv[1], &plan, &refusal,
                    &err) != 0) {
        cmd_error(opts.argv[0], "rename: %s; nothing was changed", err);
        rc = refusal_exit(refusal);
        goto out;
    }
    if (!opts.dry_run) {
        struct apply_opts ao = { opts.lock_timeout_ms, "rename" };

        rc = cmd_apply(&opts, &plan, &env, &locks, &ao, &run);
        if (rc != EXIT_OK) {
            goto out;
        }
        applied = true;
    }
    rc = cmd_report(&opts, &plan, applied, run);
    if (rc == EXIT_OK && opts.dry_run) {
        rc = EXIT_CHANGES;
    }
    rc = cmd_late_signal(rc);
out:
    cmd_release_locks(&locks);
    plan_free(&plan);
    cmd_close(&env);
    return rc;
}
