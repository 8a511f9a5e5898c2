/*
 * apply - execute a plan: locks, journal, atomic saves
 *
 * SECURITY
 *  Every path is relative to the var prefix and checked to stay inside it
 *  (atomic_check_inside) before anything is read or written; symbolic
 *  links are never followed.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mmfix/apply.h"
#include "mmfix/atomic.h"
#include "mmfix/errstr.h"
#include "mmfix/install.h"
#include "mmfix/journal.h"
#include "mmfix/lockfile.h"
#include "mmfix/pickle.h"
#include "mmfix/strbuf.h"
#include "mmfix/sysname.h"
#include "mmfix/xalloc.h"

#define APPLY_MAX_FILE ((size_t)1024 * 1024 * 1024)

static char *abs_path(const struct install *install, const char *rel)
{
    return xasprintf("%s/%s", install->var_prefix, rel);
}

/* test_crash_point - MMFIX_TEST_CRASH_AFTER=N kills the process after the
 * Nth file operation, so tests can stop a run at every point */
static void test_crash_point(size_t done)
{
    const char *s = getenv("MMFIX_TEST_CRASH_AFTER");

    if (s != NULL && *s != '\0' && (size_t)strtoul(s, NULL, 10) == done) {
        raise(SIGKILL);
    }
}

static void release_all(struct lockfile **locks, size_t n)
{
    size_t i;
    const char *err = NULL;

    for (i = 0; i < n; i++) {
        if (locks[i] != NULL) {
            lockfile_release(&locks[i], &err);
        }
    }
}

/* record_paths - before-images of every path the plan touches */
static int record_paths(const struct plan *p, const struct install *install,
                        struct journal *j, int64_t run, const char **error_r)
{
    size_t i;

    for (i = 0; i < p->n_ops; i++) {
        const struct plan_op *op = &p->ops[i];
        /* what the op touches: its path, its target, the .last a save
         * relinks, and the temp file a killed save would leave */
        const char *target = op->action == PLAN_COPY ? op->to
                             : op->action == PLAN_WRITE ? op->path : NULL;
        char *paths[4] = { NULL, NULL, NULL, NULL };
        int rc = 0;
        int k;

        paths[0] = abs_path(install, op->path);
        if (op->to != NULL) {
            paths[1] = abs_path(install, op->to);
        } else if (op->action == PLAN_WRITE && op->make_last) {
            paths[1] = xasprintf("%s.last", paths[0]);
        }
        if (target != NULL) {
            char *t = abs_path(install, target);
            paths[2] = atomic_temp_name(t);
            free(t);
        }
        for (k = 0; k < 3 && rc == 0; k++) {
            if (paths[k] != NULL) {
                rc = atomic_check_inside(install->var_prefix, paths[k], error_r);
                if (rc == 0) {
                    rc = journal_record_before(j, run, paths[k], error_r);
                }
            }
        }
        for (k = 0; k < 3; k++) {
            free(paths[k]);
        }
        if (rc != 0) {
            return -1;
        }
    }
    return 0;
}

static int do_op(const struct plan *p, const struct plan_op *op, const struct install *install,
                 const char **error_r)
{
    char *path = abs_path(install, op->path);
    char *to = op->to != NULL ? abs_path(install, op->to) : NULL;
    struct strbuf data = STRBUF_INIT;
    int rc = -1;

    switch (op->action) {
    case PLAN_WRITE:
        if (pickle_write(&data, p->lists[op->list].after, error_r) == 0) {
            rc = atomic_save(install->var_prefix, path, data.buf, data.len, op->make_last,
                             error_r);
        }
        break;
    case PLAN_MOVE:
        rc = atomic_rename(install->var_prefix, path, to, true, error_r);
        break;
    case PLAN_COPY:
        rc = atomic_copy(install->var_prefix, path, to, error_r);
        break;
    case PLAN_DELETE:
        rc = atomic_unlink(install->var_prefix, path, error_r);
        break;
    }
    strbuf_release(&data);
    free(path);
    free(to);
    return rc;
}

/* apply_plan - locks, journal, operations */
enum apply_status apply_plan(const struct plan *p, const struct install *install,
                             struct journal *j, const struct apply_opts *opts,
                             int64_t *run_r, const char **error_r)
{
    struct lockfile **locks = NULL;
    enum apply_status st = APPLY_FAILED;
    const char *err2 = NULL;
    int64_t run = 0;
    size_t i;
    char summary[256];

    *run_r = 0;
    if (p->n_ops == 0) {
        return APPLY_OK;
    }
    locks = xcalloc(p->n_lists + 1, sizeof(*locks));
    for (i = 0; i < p->n_lists; i++) {
        char *lock = xasprintf("%s/%s.lock", install->locks_dir, p->lists[i].name);
        bool busy = false;
        int rc = lockfile_acquire(lock, LOCKFILE_DEFAULT_LIFETIME, opts->lock_timeout_ms,
                                  &locks[i], &busy, error_r);
        free(lock);
        if (rc != 0) {
            if (busy) {
                *error_r = errstr("%s: locked by a running Mailman process (%s); nothing "
                                  "was changed", p->lists[i].name, *error_r);
            }
            release_all(locks, i);
            free(locks);
            return busy ? APPLY_BUSY : APPLY_FAILED;
        }
    }
    snprintf(summary, sizeof(summary), "%zu lists, %zu changes, %zu file operations",
             p->n_lists, plan_changes(p), p->n_ops);
    if (journal_run_begin(j, opts->command, install->var_prefix, summary, &run, error_r) != 0
        || record_paths(p, install, j, run, error_r) != 0
        || journal_run_start(j, run, error_r) != 0) {
        goto out;
    }
    *run_r = run;
    for (i = 0; i < p->n_ops; i++) {
        if (do_op(p, &p->ops[i], install, error_r) != 0) {
            const char *why = errstr("%s %s: %s", plan_action_name(p->ops[i].action),
                                     p->ops[i].path, *error_r);
            if (journal_rollback(j, run, install->var_prefix, true, NULL, NULL, &err2) != 0) {
                *error_r = errstr("%s; rolling back failed too: %s", why, err2);
            } else {
                *error_r = errstr("%s; the run was rolled back", why);
            }
            goto out;
        }
        test_crash_point(i + 1);
    }
    if (journal_record_after(j, run, error_r) != 0
        || journal_run_finish(j, run, "done", error_r) != 0) {
        goto out;
    }
    st = APPLY_OK;
out:
    release_all(locks, p->n_lists);
    free(locks);
    return st;
}

/* dead_claimant_file - name is <list>.lock.<this host>.<pid>.<n> of a pid
 * that no longer runs: the claimant file of a process killed while it was
 * taking a lock, never linked as the lock */
static bool dead_claimant_file(const char *dir, const char *name)
{
    const char *p = strstr(name, ".lock.");
    char host[256];
    size_t hl;
    char *end = NULL;
    long pid;
    char *path = NULL;
    struct stat st;
    bool dead = false;

    if (p == NULL) {
        return false;
    }
    p += 6;
    sysname_host(host, sizeof(host));
    hl = strlen(host);
    if (strncmp(p, host, hl) != 0 || p[hl] != '.') {
        return false;
    }
    pid = strtol(p + hl + 1, &end, 10);
    if (pid <= 0 || *end != '.' || (kill((pid_t)pid, 0) == 0 || errno != ESRCH)) {
        return false;
    }
    path = xasprintf("%s/%s", dir, name);
    dead = lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1;
    free(path);
    return dead;
}

/* clear_dead_locks - break the locks a killed mmfix left (lockfile breaks
 * a lock whose claimant is this host and a dead pid), and remove claimant
 * files of dead processes that never became a lock */
static void clear_dead_locks(const struct install *install)
{
    DIR *d = opendir(install->locks_dir);
    struct dirent *de = NULL;

    if (d == NULL) {
        return;
    }
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        struct lockfile_state ls;
        const char *err = NULL;
        char *path = NULL;

        if (dead_claimant_file(install->locks_dir, de->d_name)) {
            path = xasprintf("%s/%s", install->locks_dir, de->d_name);
            unlink(path);
            free(path);
            continue;
        }
        if (n < 6 || strcmp(de->d_name + n - 5, ".lock") != 0) {
            continue;
        }
        path = xasprintf("%s/%s", install->locks_dir, de->d_name);
        if (lockfile_inspect(path, &ls, &err) == 0 && ls.exists && ls.ours_dead) {
            struct lockfile *lk = NULL;
            bool busy = false;
            if (lockfile_acquire(path, LOCKFILE_DEFAULT_LIFETIME, 0, &lk, &busy, &err) == 0) {
                lockfile_release(&lk, &err);
            }
        }
        free(path);
    }
    closedir(d);
}

struct run_lists {
    const struct install *install;
    char **names;
    size_t n;
    size_t cap;
};

/* collect_list - the list a journaled path belongs to (lists/<name>/...) */
static void collect_list(void *ctx, const char *path, const char *action)
{
    struct run_lists *rl = ctx;
    size_t dl = strlen(rl->install->lists_dir);
    const char *name = NULL;
    const char *slash = NULL;
    size_t i;

    (void)action;
    if (strncmp(path, rl->install->lists_dir, dl) != 0 || path[dl] != '/') {
        return;
    }
    name = path + dl + 1;
    slash = strchr(name, '/');
    if (slash == NULL) {
        return;
    }
    for (i = 0; i < rl->n; i++) {
        if (strlen(rl->names[i]) == (size_t)(slash - name)
            && strncmp(rl->names[i], name, (size_t)(slash - name)) == 0) {
            return;
        }
    }
    if (rl->n == rl->cap) {
        rl->cap = rl->cap ? rl->cap * 2 : 8;
        rl->names = xreallocarray(rl->names, rl->cap, sizeof(char *));
    }
    rl->names[rl->n++] = xstrndup(name, (size_t)(slash - name));
}

/* apply_rollback - rollback under the lists' locks */
enum apply_status apply_rollback(const struct install *install, struct journal *j,
                                 int64_t run, bool force, int lock_timeout_ms,
                                 void (*report)(void *ctx, const char *path,
                                                const char *action),
                                 void *ctx, const char **error_r)
{
    struct run_lists rl = { install, NULL, 0, 0 };
    struct lockfile **locks = NULL;
    enum apply_status st = APPLY_FAILED;
    size_t i;

    /* which lists: the paths the run recorded (force: only the names) */
    if (journal_rollback_check(j, run, install->var_prefix, true, collect_list, &rl,
                               error_r) != 0) {
        goto out;
    }
    locks = xcalloc(rl.n + 1, sizeof(*locks));
    for (i = 0; i < rl.n; i++) {
        char *lock = xasprintf("%s/%s.lock", install->locks_dir, rl.names[i]);
        bool busy = false;
        int rc = lockfile_acquire(lock, LOCKFILE_DEFAULT_LIFETIME, lock_timeout_ms, &locks[i],
                                  &busy, error_r);
        free(lock);
        if (rc != 0) {
            if (busy) {
                *error_r = errstr("%s: locked by a running Mailman process (%s); nothing "
                                  "was restored", rl.names[i], *error_r);
                st = APPLY_BUSY;
            }
            goto out;
        }
    }
    if (journal_rollback(j, run, install->var_prefix, force, report, ctx, error_r) == 0) {
        st = APPLY_OK;
    }
out:
    if (locks != NULL) {
        release_all(locks, rl.n);
    }
    free(locks);
    for (i = 0; i < rl.n; i++) {
        free(rl.names[i]);
    }
    free(rl.names);
    return st;
}

/* apply_recover - finish off an interrupted run by rolling it back */
int apply_recover(const struct install *install, struct journal *j, int64_t *run_r,
                  const char **error_r)
{
    int64_t run = 0;

    *run_r = 0;
    /* a killed mmfix leaves its list locks behind, live-looking for hours */
    clear_dead_locks(install);
    if (journal_interrupted(j, &run, error_r) != 0) {
        return -1;
    }
    if (run == 0) {
        return 0;
    }
    /* under the lists' locks: Mailman may be running again by now */
    if (apply_rollback(install, j, run, true, 10 * 1000, NULL, NULL, error_r) != APPLY_OK) {
        return -1;
    }
    *run_r = run;
    return 0;
}
