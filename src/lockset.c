/*
 * lockset - the list locks of one writing run, all or none
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmfix/errstr.h"
#include "mmfix/install.h"
#include "mmfix/lockfile.h"
#include "mmfix/lockset.h"
#include "mmfix/xalloc.h"

struct lockset {
    char **names;              /* sorted, unique */
    struct lockfile **locks;
    size_t n;
};

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* lockset_acquire - all the locks, in name order */
int lockset_acquire(const struct install *install, char *const *names, size_t n, int timeout_ms,
                    struct lockset **ls_r, bool *busy_r, const char **error_r)
{
    struct lockset *ls = xcalloc(1, sizeof(*ls));
    size_t i;

    *ls_r = NULL;
    *busy_r = false;
    ls->names = xcalloc(n + 1, sizeof(char *));
    ls->locks = xcalloc(n + 1, sizeof(struct lockfile *));
    for (i = 0; i < n; i++) {
        ls->names[i] = xstrdup(names[i]);
    }
    qsort(ls->names, n, sizeof(char *), cmp_name);
    for (i = 0; i < n; i++) {
        if (ls->n > 0 && strcmp(ls->names[ls->n - 1], ls->names[i]) == 0) {
            free(ls->names[i]);
            continue;
        }
        ls->names[ls->n++] = ls->names[i];
    }
    for (i = 0; i < ls->n; i++) {
        char *lock = xasprintf("%s/%s.lock", install->locks_dir, ls->names[i]);
        int rc = lockfile_acquire(lock, LOCKFILE_DEFAULT_LIFETIME, timeout_ms, &ls->locks[i],
                                  busy_r, error_r);
        free(lock);
        if (rc != 0) {
            if (*busy_r) {
                *error_r = errstr("%s: locked by a running Mailman process (%s); nothing "
                                  "was changed", ls->names[i], *error_r);
            }
            const char *err = NULL;
            /* the locks taken so far go; the error is the one that stopped us */
            (void)lockset_release(&ls, &err);
            return -1;
        }
    }
    *ls_r = ls;
    return 0;
}

/* lockset_covers - binary search of the sorted names */
bool lockset_covers(const struct lockset *ls, const char *name)
{
    return ls != NULL && ls->n > 0
           && bsearch(&name, ls->names, ls->n, sizeof(char *), cmp_name) != NULL;
}

/* lockset_check - every lock still ours */
int lockset_check(const struct lockset *ls, const char **error_r)
{
    size_t i;

    for (i = 0; ls != NULL && i < ls->n; i++) {
        if (!lockfile_held(ls->locks[i])) {
            *error_r = errstr("%s: the list's lock is no longer ours (broken by another "
                              "process?); nothing was changed", ls->names[i]);
            return -1;
        }
    }
    return 0;
}

static int lockset_free(struct lockset *ls, bool release, const char **error_r)
{
    const char *err = NULL;
    char *first = NULL;
    size_t failed = 0;
    size_t i;

    for (i = 0; i < ls->n; i++) {
        if (ls->locks[i] != NULL) {
            if (!release) {
                lockfile_forget(&ls->locks[i]);
            } else if (lockfile_release(&ls->locks[i], &err) != 0 && failed++ == 0) {
                first = xstrdup(err);
            }
        }
        free(ls->names[i]);
    }
    free(ls->names);
    free(ls->locks);
    free(ls);
    if (failed > 0) {
        *error_r = failed > 1 ? errstr("%s (and %zu more list locks)", first, failed - 1)
                              : errstr("%s", first);
        free(first);
        return -1;
    }
    return 0;
}

/* lockset_release - release and free */
int lockset_release(struct lockset **ls, const char **error_r)
{
    int rc = 0;

    if (*ls != NULL) {
        rc = lockset_free(*ls, true, error_r);
        *ls = NULL;
    }
    return rc;
}

/* lockset_keep - free, leaving the lock files */
void lockset_keep(struct lockset **ls)
{
    const char *err = NULL;

    if (*ls != NULL) {
        lockset_free(*ls, false, &err);
        *ls = NULL;
    }
}
