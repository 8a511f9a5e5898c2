/*
 * prefetch - lists read ahead on a second thread while the caller plans
 * the one before
 *
 * DESCRIPTION
 *  Reading a list (the file, the opcode check, CPython's unpickler, the
 *  conversion to a value tree) is about half of what a batch command
 *  spends per list, and planning it (the upgrade, fix_url's values, the
 *  diff, the pickle to write) most of the rest; they need not wait for each
 *  other. Reading threads take the lists in the caller's order, at most
 *  `ahead` lists before the one the caller is at, and keep each result
 *  (exactly what mlist_open returned) until the caller takes it or passes
 *  it by. More than one thread can read (the opcode check and replay of one
 *  list run while another holds the GIL). The caller reports and plans in
 *  its own order, so nothing it prints or writes depends on the threads'
 *  timing.
 *
 *  The threads only read: the files were locked by the caller before they
 *  started, and they run Python only through pyload (which takes the GIL
 *  per call). They block every signal, so SIGINT/SIGTERM reach the main thread's
 *  handlers as before; a stop waits for the list being read.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "mmfix/errstr.h"
#include "mmfix/prefetch.h"
#include "mmfix/pyload.h"
#include "mmfix/xalloc.h"

struct pf_slot {
    bool done;              /* read: rc, ml, error are set */
    bool taken;             /* handed to the caller */
    int rc;
    struct mlist *ml;
    char *error;            /* mlist_open's error text when rc != 0 */
};

struct prefetch {
    const char *lists_dir;
    char *const *names;
    size_t n;
    unsigned flags;
    size_t ahead;
    struct pf_slot *slots;
    size_t next;            /* the next list the thread reads */
    size_t at;              /* the list the caller is at */
    bool stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t n_threads;
    pthread_t threads[PREFETCH_MAX_THREADS];
};

/* slot_clear - free what a slot holds */
static void slot_clear(struct pf_slot *s)
{
    mlist_free(&s->ml);
    free(s->error);
    s->error = NULL;
}

/* reader - a reading thread: read names[next] while it is within `ahead` of the caller */
static void *reader(void *arg)
{
    struct prefetch *pf = arg;

    pyload_thread_attach();
    pthread_mutex_lock(&pf->mu);
    for (;;) {
        size_t i;
        int rc;
        struct mlist *ml = NULL;
        const char *err = NULL;

        if (pf->next < pf->at) {
            pf->next = pf->at;          /* the caller passed these by */
        }
        while (!pf->stop && pf->next < pf->n && pf->next > pf->at + pf->ahead) {
            pthread_cond_wait(&pf->cv, &pf->mu);
            if (pf->next < pf->at) {
                pf->next = pf->at;
            }
        }
        if (pf->stop || pf->next >= pf->n) {
            break;
        }
        i = pf->next++;
        pthread_mutex_unlock(&pf->mu);
        rc = mlist_open(pf->lists_dir, pf->names[i], pf->flags, NULL, &ml, &err);
        pthread_mutex_lock(&pf->mu);
        pf->slots[i].rc = rc;
        pf->slots[i].ml = ml;
        pf->slots[i].error = rc != 0 ? xstrdup(err != NULL ? err : "cannot be read") : NULL;
        pf->slots[i].done = true;
        if (i < pf->at) {
            slot_clear(&pf->slots[i]);  /* passed by while it was read */
        }
        pthread_cond_broadcast(&pf->cv);
    }
    pthread_mutex_unlock(&pf->mu);
    pyload_thread_detach();
    return NULL;
}

/* prefetch_start - see prefetch.h */
int prefetch_start(const char *lists_dir, char *const *names, size_t n, unsigned flags,
                   size_t threads, size_t ahead, struct prefetch **pf_r, const char **error_r)
{
    struct prefetch *pf = NULL;
    sigset_t all;
    sigset_t old;
    int rc = 0;

    *pf_r = NULL;
    /* the interpreter starts in this thread, whatever the reader does */
    if (pyload_init(error_r) != 0) {
        return -1;
    }
    pf = xcalloc(1, sizeof(*pf));
    pf->lists_dir = lists_dir;
    pf->names = names;
    pf->n = n;
    pf->flags = flags;
    pf->ahead = ahead;
    pf->slots = xcalloc(n > 0 ? n : 1, sizeof(*pf->slots));
    pthread_mutex_init(&pf->mu, NULL);
    pthread_cond_init(&pf->cv, NULL);
    if (threads < 1) {
        threads = 1;
    } else if (threads > PREFETCH_MAX_THREADS) {
        threads = PREFETCH_MAX_THREADS;
    }
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    while (pf->n_threads < threads
           && (rc = pthread_create(&pf->threads[pf->n_threads], NULL, reader, pf)) == 0) {
        pf->n_threads++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (pf->n_threads == 0) {
        *error_r = errstr("cannot start a reading thread: %s", strerror(rc));
        pthread_cond_destroy(&pf->cv);
        pthread_mutex_destroy(&pf->mu);
        free(pf->slots);
        free(pf);
        return -1;
    }
    *pf_r = pf;
    return 0;
}

/* prefetch_at - see prefetch.h */
void prefetch_at(struct prefetch *pf, size_t i)
{
    size_t k;

    if (pf == NULL) {
        return;
    }
    pthread_mutex_lock(&pf->mu);
    for (k = pf->at; k < i && k < pf->n; k++) {
        if (pf->slots[k].done) {
            slot_clear(&pf->slots[k]);
        }
    }
    if (i > pf->at) {
        pf->at = i;
    }
    pthread_cond_broadcast(&pf->cv);
    pthread_mutex_unlock(&pf->mu);
}

/* prefetch_take - see prefetch.h */
bool prefetch_take(struct prefetch *pf, const char *name, unsigned flags, int *rc_r,
                   struct mlist **ml_r, const char **error_r)
{
    struct pf_slot *s = NULL;

    if (pf == NULL || flags != pf->flags) {
        return false;
    }
    pthread_mutex_lock(&pf->mu);
    if (pf->at >= pf->n || strcmp(pf->names[pf->at], name) != 0
        || pf->slots[pf->at].taken) {
        pthread_mutex_unlock(&pf->mu);
        return false;
    }
    s = &pf->slots[pf->at];
    while (!s->done) {
        pthread_cond_wait(&pf->cv, &pf->mu);
    }
    s->taken = true;
    *rc_r = s->rc;
    *ml_r = s->ml;
    s->ml = NULL;
    if (s->rc != 0) {
        *error_r = errstr("%s", s->error);
    }
    free(s->error);
    s->error = NULL;
    pthread_mutex_unlock(&pf->mu);
    return true;
}

/* prefetch_stop - see prefetch.h */
void prefetch_stop(struct prefetch **pf_p)
{
    struct prefetch *pf = *pf_p;
    size_t i;

    if (pf == NULL) {
        return;
    }
    pthread_mutex_lock(&pf->mu);
    pf->stop = true;
    pthread_cond_broadcast(&pf->cv);
    pthread_mutex_unlock(&pf->mu);
    for (i = 0; i < pf->n_threads; i++) {
        pthread_join(pf->threads[i], NULL);
    }
    for (i = 0; i < pf->n; i++) {
        slot_clear(&pf->slots[i]);
    }
    pthread_cond_destroy(&pf->cv);
    pthread_mutex_destroy(&pf->mu);
    free(pf->slots);
    free(pf);
    *pf_p = NULL;
}
