/*
 * cmd_tree - the directories of a var prefix that must be its own
 *
 * DESCRIPTION
 *  mmfix reads and writes lists/, data/ (its journal lives there) and
 *  locks/ of the var prefix. When one of them is a symbolic link out of
 *  the var prefix, everything below it is outside the tree mmfix may touch
 *  (SPEC §7): cmd_tree_check says so before any command reads a list,
 *  opens the journal or takes a lock, and the command stops. The one
 *  exception is a locks/ link to the lock directory the site's own
 *  settings name (Debian's LOCK_DIR = '/var/lock/mailman' with
 *  /var/lib/mailman/locks linked to it): Mailman locks there, so mmfix
 *  must too.
 *
 * SECURITY
 *  The link targets are only compared (realpath), never read or written.
 *  The site's LOCK_DIR vouches for a locks/ link only when it is spelled
 *  elsewhere than through that link (else the link would vouch for
 *  itself).
 */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "mmfix/install.h"
#include "mmfix/site.h"
#include "mmfix/xalloc.h"

/* through_var - path is the var prefix's own locks/ (or below the var prefix), as the site
 * or this run spells it */
static bool through_var(const char *path, const struct cmd_env *env)
{
    const char *roots[2] = { env->install->var_prefix, env->site->var_prefix };
    int k;

    for (k = 0; k < 2; k++) {
        size_t n = roots[k] != NULL ? strlen(roots[k]) : 0;
        if (n > 0 && strncmp(path, roots[k], n) == 0 && (path[n] == '/' || path[n] == '\0')) {
            return true;
        }
    }
    return false;
}

/* site_lock_dir - locks/ leads where the site's own LOCK_DIR is */
static bool site_lock_dir(const struct cmd_env *env)
{
    const char *ld = env->site != NULL ? env->site->lock_dir : NULL;
    char *mine = NULL;
    char *theirs = NULL;
    bool same = false;

    if (ld == NULL || ld[0] != '/' || through_var(ld, env)) {
        return false;
    }
    mine = realpath(env->install->locks_dir, NULL);
    theirs = realpath(ld, NULL);
    same = mine != NULL && theirs != NULL && strcmp(mine, theirs) == 0;
    free(mine);
    free(theirs);
    return same;
}

/* cmd_tree_check - see cmd.h */
int cmd_tree_check(const struct cmd_env *env, bool quiet)
{
    static const char *const dirs[] = { "lists", "data", "locks" };
    size_t k;

    for (k = 0; k < sizeof(dirs) / sizeof(dirs[0]); k++) {
        char *target = install_link_out(env->install, dirs[k]);
        if (target == NULL || (strcmp(dirs[k], "locks") == 0 && site_lock_dir(env))) {
            free(target);
            continue;
        }
        if (!quiet) {
            cmd_error(NULL, "%s/ is a symbolic link to %s, out of the installation %s: mmfix "
                      "neither reads nor writes through it (%s); nothing was changed. Make "
                      "it a directory of the var prefix (a bind mount keeps the data "
                      "elsewhere)%s", dirs[k], target, env->install->var_prefix,
                      k == 0 ? "every list is below it"
                      : k == 1 ? "the journal and the site's data files are below it"
                               : "the list locks are below it",
                      k == 2 ? ", or set LOCK_DIR in mm_cfg.py to where Mailman locks" : "");
        }
        free(target);
        return EXIT_DATAERR;
    }
    return EXIT_OK;
}

/* cmd_tree_name_check - see cmd.h */
int cmd_tree_name_check(const struct cmd_env *env, const char *name)
{
    char *rel = NULL;
    char *target = NULL;

    if (*name == '\0' || strchr(name, '/') != NULL || strcmp(name, ".") == 0
        || strcmp(name, "..") == 0) {
        cmd_error(name, "the list is named, not given as a path");
        return EXIT_USAGE;
    }
    rel = xasprintf("lists/%s", name);
    target = install_link_out(env->install, rel);
    if (target != NULL) {
        cmd_error(name, "lists/%s is a symbolic link to %s, out of the installation: never "
                  "read or written", name, target);
    }
    free(rel);
    free(target);
    return target != NULL ? EXIT_DATAERR : EXIT_OK;
}
