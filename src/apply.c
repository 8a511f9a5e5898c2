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
#include "mmfix/lockset.h"
#include "mmfix/pickle.h"
#include "mmfix/sigstop.h"
#include "mmfix/strbuf.h"
#include "mmfix/sysname.h"
#include "mmfix/xalloc.h"

#define APPLY_MAX_FILE ((size_t)1024 * 1024 * 1024)

static char *abs_path(const struct install *install, const char *rel)
{
    return xasprintf("%s/%s", install->var_prefix, rel);
}

/* test_crash_point - MMFIX_TEST_CRASH_AFTER=N kills the process after the
 * Nth file operation, and MMFIX_TEST_SIGNAL_AFTER=N:SIG sends it SIG (a
 * number) there, so tests can stop a run at every point */
static void test_crash_point(size_t done)
{
    const char *s = getenv("MMFIX_TEST_CRASH_AFTER");
    char *end = NULL;

    if (s != NULL && *s != '\0' && (size_t)strtoul(s, NULL, 10) == done) {
        raise(SIGKILL);
    }
    s = getenv("MMFIX_TEST_SIGNAL_AFTER");
    if (s != NULL && *s != '\0' && (size_t)strtoul(s, &end, 10) == done && *end == ':') {
        raise((int)strtol(end + 1, NULL, 10));
    }
}

/* record_op - before-images of every path op touches: its path, its
 * target, the .last a save relinks, and the temp file a killed save or
 * link would leave; a directory move is recorded as a move */
static int record_op(const struct plan_op *op, const struct install *install,
                     struct journal *j, int64_t run, const char **error_r)
{
    const char *temp_of = op->action == PLAN_COPY ? op->to
                          : op->action == PLAN_WRITE || op->action == PLAN_PUT
                                  || op->action == PLAN_SYMLINK ? op->path
                          : NULL;
    char *paths[3] = { NULL, NULL, NULL };
    int rc = 0;
    int k;

    paths[0] = abs_path(install, op->path);
    if (op->action == PLAN_MOVE_WHOLE) {
        char *to = abs_path(install, op->to);
        rc = atomic_check_inside(install->var_prefix, paths[0], error_r) == 0
                     && atomic_check_inside(install->var_prefix, to, error_r) == 0
                 ? journal_record_move(j, run, paths[0], to, error_r)
                 : -1;
        free(to);
        free(paths[0]);
        return rc;
    }
    if (op->to != NULL && op->action != PLAN_SYMLINK) {
        paths[1] = abs_path(install, op->to);
    } else if ((op->action == PLAN_WRITE || op->action == PLAN_PUT) && op->make_last) {
        paths[1] = xasprintf("%s.last", paths[0]);
    }
    if (temp_of != NULL) {
        char *t = abs_path(install, temp_of);
        paths[2] = atomic_temp_name(t);
        free(t);
    }
    for (k = 0; k < 3 && rc == 0; k++) {
        if (paths[k] != NULL) {
            rc = atomic_check_inside_link(install->var_prefix, paths[k], error_r);
            if (rc == 0) {
                rc = journal_record_before(j, run, paths[k], error_r);
            }
        }
    }
    for (k = 0; k < 3; k++) {
        free(paths[k]);
    }
    return rc;
}

/* apply_check_ops - see apply.h */
int apply_check_ops(const struct plan *p, const struct install *install, size_t first,
                    const char **error_r)
{
    size_t i;

    for (i = first; i < p->n_ops; i++) {
        const struct plan_op *op = &p->ops[i];
        char *path = abs_path(install, op->path);
        char *to = op->to != NULL && op->action != PLAN_SYMLINK ? abs_path(install, op->to)
                                                                 : NULL;
        int rc = op->action == PLAN_DELETE || op->action == PLAN_SYMLINK
                     ? atomic_check_inside_link(install->var_prefix, path, error_r)
                     : atomic_check_inside(install->var_prefix, path, error_r);
        if (rc == 0 && to != NULL) {
            rc = atomic_check_inside(install->var_prefix, to, error_r);
        }
        free(path);
        free(to);
        if (rc != 0) {
            return -1;
        }
    }
    return 0;
}

/* record_paths - before-images of every path the plan touches */
static int record_paths(const struct plan *p, const struct install *install,
                        struct journal *j, int64_t run, const char **error_r)
{
    size_t i;

    for (i = 0; i < p->n_ops; i++) {
        if (record_op(&p->ops[i], install, j, run, error_r) != 0) {
            return -1;
        }
    }
    return 0;
}

/* mkdir_op - the directory with its mode and the group of group_of */
static int mkdir_op(const struct plan_op *op, const struct install *install, const char *path,
                    const char **error_r)
{
    gid_t gid = (gid_t)-1;

    if (op->group_of != NULL) {
        char *g = abs_path(install, op->group_of);
        struct stat st;
        if (lstat(g, &st) == 0) {
            gid = st.st_gid;
        }
        free(g);
    }
    return atomic_mkdir(install->var_prefix, path, (mode_t)op->mode, gid, error_r);
}

static int do_op(const struct plan *p, const struct plan_op *op, const struct install *install,
                 const char **error_r)
{
    char *path = abs_path(install, op->path);
    char *to = op->to != NULL && op->action != PLAN_SYMLINK ? abs_path(install, op->to) : NULL;
    struct strbuf data = STRBUF_INIT;
    int rc = -1;

    switch (op->action) {
    case PLAN_WRITE:
        if (pickle_write(&data, p->lists[op->list].after, error_r) == 0) {
            rc = atomic_save(install->var_prefix, path, data.buf, data.len, op->make_last,
                             error_r);
        }
        break;
    case PLAN_PUT:
        rc = atomic_save_add_mode(install->var_prefix, path, op->data, op->len, op->make_last,
                                  op->mode, error_r);
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
    case PLAN_MKDIR:
        rc = mkdir_op(op, install, path, error_r);
        break;
    case PLAN_RMDIR:
        rc = atomic_rmdir(install->var_prefix, path, error_r);
        break;
    case PLAN_SYMLINK:
        rc = atomic_symlink(install->var_prefix, path, op->to, error_r);
        break;
    case PLAN_MOVE_WHOLE:
        rc = atomic_move_whole(install->var_prefix, path, to, error_r);
        break;
    }
    strbuf_release(&data);
    free(path);
    free(to);
    return rc;
}

/* check_covered - every list the plan reads or writes is locked */
static int check_covered(const struct plan *p, const struct lockset *locks,
                         const char **error_r)
{
    size_t i;

    for (i = 0; i < p->n_lists; i++) {
        if (!lockset_covers(locks, p->lists[i].name)) {
            *error_r = errstr("%s: internal error: planned without the list's lock; nothing "
                              "was changed", p->lists[i].name);
            return -1;
        }
    }
    for (i = 0; i < p->n_ops; i++) {
        const char *paths[2] = { p->ops[i].path,
                                 p->ops[i].action == PLAN_SYMLINK ? NULL : p->ops[i].to };
        int k;
        for (k = 0; k < 2; k++) {
            char *name = paths[k] != NULL ? plan_path_list(paths[k]) : NULL;
            bool ok = name == NULL || lockset_covers(locks, name);
            free(name);
            if (!ok) {
                *error_r = errstr("%s: internal error: the list's lock is not held; nothing "
                                  "was changed", paths[k]);
                return -1;
            }
        }
    }
    return 0;
}

/* settle - the run failed or was stopped after files changed: roll it back
 * while the locks are still held. If that fails too, the locks stay (their
 * claimant is this process: Mailman keeps away until the next mmfix command
 * rolls the run back), so no one changes a file the journal may restore. */
static void settle(struct journal *j, int64_t run, const struct install *install,
                   struct lockset **locks, const char *why, const char **error_r)
{
    const char *err2 = NULL;

    if (journal_rollback(j, run, install->var_prefix, true, NULL, NULL, &err2) == 0) {
        *error_r = errstr("%s; run %lld was rolled back, nothing is changed", why,
                          (long long)run);
        return;
    }
    lockset_keep(locks);
    *error_r = errstr("%s; rolling back failed too (%s): the lists stay locked, so that "
                      "Mailman does not write them, until the next mmfix command rolls "
                      "run %lld back", why, err2, (long long)run);
}

/* A path an operation names (as its path or its destination), and the operation */
struct named {
    const char *path;
    size_t op;
};

static int cmp_named(const void *a, const void *b)
{
    const struct named *x = a;
    const struct named *y = b;
    int c = strcmp(x->path, y->path);

    return c != 0 ? c : x->op < y->op ? -1 : x->op > y->op;
}

/* named_before - an operation before op names path (v sorted by path, then op) */
static bool named_before(const struct named *v, size_t n, const char *path, size_t len,
                         size_t op)
{
    size_t lo = 0;
    size_t hi = n;

    while (lo < hi) {   /* the first entry not below path */
        size_t mid = lo + (hi - lo) / 2;
        int c = strncmp(v[mid].path, path, len);
        if (c == 0 && v[mid].path[len] != '\0') {
            c = 1;
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < n && strncmp(v[lo].path, path, len) == 0 && v[lo].path[len] == '\0'
           && v[lo].op < op;
}

/* first_naming - for each operation, whether an earlier one names its path or a directory
 * above it (as its path or destination): what a save of it finds, or where, is only known
 * when it comes. Sorted (path, op) pairs, O(n log n). */
static bool *first_naming(const struct plan *p)
{
    struct named *v = xcalloc(2 * p->n_ops + 1, sizeof(*v));
    bool *later = xcalloc(p->n_ops + 1, sizeof(bool));
    size_t n = 0;
    size_t i;

    for (i = 0; i < p->n_ops; i++) {
        v[n].path = p->ops[i].path;
        v[n++].op = i;
        if (p->ops[i].to != NULL) {
            v[n].path = p->ops[i].to;
            v[n++].op = i;
        }
    }
    qsort(v, n, sizeof(*v), cmp_named);
    for (i = 0; i < p->n_ops; i++) {
        const char *path = p->ops[i].path;
        size_t len = strlen(path);

        if (p->ops[i].action != PLAN_PUT) {
            continue;
        }
        /* the path itself, then each directory above it */
        while (len > 0 && !later[i]) {
            later[i] = named_before(v, n, path, len, i);
            while (len > 0 && path[len - 1] != '/') {
                len--;
            }
            while (len > 0 && path[len - 1] == '/') {
                len--;
            }
        }
    }
    free(v);
    return later;
}

/* discard_saves - the temp files of the saves not carried out, removed */
static void discard_saves(struct atomic_prepared *prep, size_t n)
{
    size_t i;

    for (i = 0; prep != NULL && i < n; i++) {
        atomic_prepared_discard(&prep[i]);
    }
    free(prep);
}

/* prepare_saves - the run's saves (PLAN_PUT of a path no earlier operation touches) have
 * their temp files written first and put on disk together: one syncfs, not an fsync per
 * file (2000 lists: 2000 journal commits on a busy disk). *prep_r[i].path is NULL for an
 * operation done the ordinary way. A run with fewer than two such saves prepares none. */
static int prepare_saves(const struct plan *p, const struct install *install,
                         struct atomic_prepared **prep_r, const char **error_r)
{
    struct atomic_prepared *prep = NULL;
    bool *later = NULL;
    size_t n = 0;
    size_t i;

    *prep_r = NULL;
    for (i = 0; i < p->n_ops; i++) {
        n += p->ops[i].action == PLAN_PUT;
    }
    if (n < 2) {
        return 0;
    }
    prep = xcalloc(p->n_ops, sizeof(*prep));
    later = first_naming(p);
    for (i = 0; i < p->n_ops; i++) {
        const struct plan_op *op = &p->ops[i];
        char *path = NULL;
        int rc;

        if (op->action != PLAN_PUT || later[i]) {
            continue;
        }
        path = abs_path(install, op->path);
        rc = atomic_prepare(install->var_prefix, path, op->data, op->len, op->make_last,
                            op->mode, &prep[i], error_r);
        free(path);
        if (rc != 0) {
            discard_saves(prep, p->n_ops);
            free(later);
            return -1;
        }
    }
    free(later);
    if (atomic_prepared_sync(prep, p->n_ops, error_r) != 0) {
        discard_saves(prep, p->n_ops);
        return -1;
    }
    *prep_r = prep;
    return 0;
}

/* apply_plan - journal, operations, under the caller's locks */
enum apply_status apply_plan(const struct plan *p, const struct install *install,
                             struct journal *j, struct lockset **locks,
                             const struct apply_opts *opts, int64_t *run_r,
                             const char **error_r)
{
    const char *err2 = NULL;
    struct atomic_prepared *prep = NULL;
    int64_t run = 0;
    size_t i;
    char summary[256];

    *run_r = 0;
    if (p->n_ops == 0) {
        return APPLY_OK;
    }
    if (check_covered(p, *locks, error_r) != 0) {
        return APPLY_FAILED;
    }
    if (lockset_check(*locks, error_r) != 0) {
        return APPLY_BUSY;
    }
    if (sigstop_pending() != 0) {
        *error_r = errstr("stopped by %s before anything was changed", sigstop_name());
        return APPLY_INTERRUPTED;
    }
    snprintf(summary, sizeof(summary), "%zu lists, %zu changes, %zu file operations",
             p->n_lists, plan_changes(p), p->n_ops);
    if (journal_run_begin(j, opts->command, install->var_prefix, summary, &run, error_r) != 0) {
        return APPLY_FAILED;
    }
    if (journal_batch_begin(j, error_r) != 0
        || record_paths(p, install, j, run, error_r) != 0
        || journal_batch_end(j, true, error_r) != 0
        || journal_run_start(j, run, error_r) != 0) {
        /* nothing changed yet: the run is marked abandoned (a run left 'planned'
         * is never rolled back, so a failure here harms nothing either) */
        const char *why = *error_r;
        journal_batch_end(j, false, &err2);
        journal_rollback(j, run, install->var_prefix, true, NULL, NULL, &err2);
        *error_r = errstr("%s; nothing was changed", why);
        return APPLY_FAILED;
    }
    *run_r = run;
    test_crash_point(0);
    /* the directories are synced once each, before the journal says the run is done
     * (a crash before that rolls the run back from whatever state they are in) */
    atomic_sync_defer();
    if (prepare_saves(p, install, &prep, error_r) != 0) {
        const char *why = errstr("%s; nothing was changed", *error_r);
        atomic_sync_flush(&err2);
        settle(j, run, install, locks, why, error_r);
        return APPLY_FAILED;
    }
    for (i = 0; i < p->n_ops; i++) {
        int rc;
        if (sigstop_pending() != 0) {
            discard_saves(prep, p->n_ops);
            atomic_sync_flush(&err2);
            settle(j, run, install, locks,
                   errstr("stopped by %s after %zu of %zu file operations", sigstop_name(),
                          i, p->n_ops), error_r);
            return APPLY_INTERRUPTED;
        }
        rc = prep != NULL && prep[i].path != NULL
                 ? atomic_commit(install->var_prefix, &prep[i], error_r)
                 : do_op(p, &p->ops[i], install, error_r);
        if (rc != 0) {
            const char *why = errstr("%s %s: %s", plan_action_name(p->ops[i].action),
                                     p->ops[i].path, *error_r);
            discard_saves(prep, p->n_ops);
            atomic_sync_flush(&err2);
            settle(j, run, install, locks, why, error_r);
            return APPLY_FAILED;
        }
        if (p->ops[i].action == PLAN_PUT) {
            /* its after-image is these bytes: no need to read them back */
            char *path = abs_path(install, p->ops[i].path);
            journal_note_written(j, path, p->ops[i].data, p->ops[i].len,
                                 p->ops[i].sha1[0] != '\0' ? p->ops[i].sha1 : NULL);
            free(path);
        }
        test_crash_point(i + 1);
    }
    discard_saves(prep, p->n_ops);
    if (atomic_sync_flush(error_r) != 0) {
        settle(j, run, install, locks, errstr("syncing the directories: %s", *error_r),
               error_r);
        return APPLY_FAILED;
    }
    /* every file is written: a signal now waits for the journal to say so */
    if (journal_record_after(j, run, error_r) != 0
        || journal_run_finish(j, run, "done", error_r) != 0) {
        settle(j, run, install, locks, errstr("journal: %s", *error_r), error_r);
        return APPLY_FAILED;
    }
    return APPLY_OK;
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

static void run_lists_free(struct run_lists *rl)
{
    size_t i;

    for (i = 0; i < rl->n; i++) {
        free(rl->names[i]);
    }
    free(rl->names);
    rl->names = NULL;
    rl->n = rl->cap = 0;
}

/* rollback_locked - take the run's list locks, roll back with guard, release */
static enum apply_status rollback_locked(const struct install *install, struct journal *j,
                                         int64_t run, bool force, int lock_timeout_ms,
                                         const struct run_lists *rl,
                                         const struct journal_guard *guard,
                                         void (*report)(void *ctx, const char *path,
                                                        const char *action),
                                         void *ctx, const char **error_r)
{
    struct lockset *locks = NULL;
    enum apply_status st = APPLY_FAILED;
    bool busy = false;

    if (lockset_acquire(install, rl->names, rl->n, lock_timeout_ms, &locks, &busy,
                        error_r) != 0) {
        if (busy) {
            *error_r = errstr("%s (nothing was restored)", *error_r);
        }
        return busy ? APPLY_BUSY : APPLY_FAILED;
    }
    if (journal_rollback_guarded(j, run, install->var_prefix, force, guard, report, ctx,
                                 error_r) == 0) {
        st = APPLY_OK;
    }
    /* a lock that cannot be removed is marked expired (Mailman breaks it at its next
     * try); the rollback itself is done */
    {
        const char *err = NULL;
        (void)lockset_release(&locks, &err);
    }
    return st;
}

/* apply_rollback - rollback under the lists' locks */
enum apply_status apply_rollback(const struct install *install, struct journal *j,
                                 int64_t run, bool force, int lock_timeout_ms,
                                 void (*report)(void *ctx, const char *path,
                                                const char *action),
                                 void *ctx, const char **error_r)
{
    struct run_lists rl = { install, NULL, 0, 0 };
    enum apply_status st = APPLY_FAILED;

    /* which lists: the paths the run recorded (force: only the names) */
    if (journal_rollback_check(j, run, install->var_prefix, true, collect_list, &rl,
                               error_r) == 0) {
        st = rollback_locked(install, j, run, force, lock_timeout_ms, &rl, NULL, report, ctx,
                             error_r);
    }
    run_lists_free(&rl);
    return st;
}

struct held_lists {
    const struct install *install;
    struct run_lists *rl;
    bool *held;            /* per rl name: a dead mmfix still held its lock */
};

/* trusted_path - the file's list was locked by the dead run all along */
static bool trusted_path(void *ctx, const char *path)
{
    struct held_lists *hl = ctx;
    size_t dl = strlen(hl->install->lists_dir);
    const char *name = NULL;
    const char *slash = NULL;
    size_t i;

    if (strncmp(path, hl->install->lists_dir, dl) != 0 || path[dl] != '/') {
        return true;       /* not list data: Mailman does not write it under a list lock */
    }
    name = path + dl + 1;
    slash = strchr(name, '/');
    for (i = 0; slash != NULL && i < hl->rl->n; i++) {
        if (strlen(hl->rl->names[i]) == (size_t)(slash - name)
            && strncmp(hl->rl->names[i], name, (size_t)(slash - name)) == 0) {
            return hl->held[i];
        }
    }
    return false;
}

/* apply_recover - finish off an interrupted run by rolling it back */
int apply_recover(const struct install *install, struct journal *j, int64_t *run_r,
                  const char **error_r)
{
    struct run_lists rl = { install, NULL, 0, 0 };
    struct held_lists hl = { install, &rl, NULL };
    struct journal_guard guard = { trusted_path, &hl };
    enum apply_status st = APPLY_FAILED;
    bool all_held = true;
    int64_t run = 0;
    size_t i;
    int ret = -1;

    *run_r = 0;
    if (journal_interrupted(j, &run, error_r) != 0) {
        return -1;
    }
    if (run == 0) {
        /* a killed mmfix may still have left claimant files behind */
        lockfile_clear_dead(install->locks_dir);
        return 0;
    }
    if (journal_rollback_check(j, run, install->var_prefix, true, collect_list, &rl,
                               error_r) != 0) {
        goto out;
    }
    /* before breaking them: which of the run's lists are still locked by the
     * dead run? Those files cannot have changed since it stopped. */
    hl.held = xcalloc(rl.n + 1, sizeof(bool));
    for (i = 0; i < rl.n; i++) {
        char *lock = xasprintf("%s/%s.lock", install->locks_dir, rl.names[i]);
        struct lockfile_state ls;
        const char *err = NULL;
        hl.held[i] = lockfile_inspect(lock, &ls, &err) == 0 && ls.exists && ls.ours_dead;
        all_held = all_held && hl.held[i];
        free(lock);
    }
    /* a killed mmfix leaves its list locks behind, live-looking for hours */
    lockfile_clear_dead(install->locks_dir);
    /* under the lists' locks: Mailman may be running again by now */
    st = rollback_locked(install, j, run, true, 10 * 1000, &rl, all_held ? NULL : &guard, NULL,
                         NULL, error_r);
    if (st != APPLY_OK) {
        const char *why = *error_r;
        const char *err2 = NULL;
        /* settled as 'failed', so that it stops every later command: the
         * administrator decides (history shows it; rollback --force) */
        if (!all_held && journal_run_finish(j, run, "failed", &err2) == 0) {
            *error_r = errstr("run %lld was interrupted and is not rolled back: %s; it is "
                              "marked failed (mmfix history; mmfix rollback --force %lld "
                              "restores its before-images)", (long long)run, why,
                              (long long)run);
        }
        goto out;
    }
    *run_r = run;
    ret = 0;
out:
    free(hl.held);
    run_lists_free(&rl);
    return ret;
}
