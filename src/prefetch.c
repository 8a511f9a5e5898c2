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
 *  The caller helps while it waits: rather than sit idle until the list it
 *  is at has been read, it does the part of reading a list ahead that
 *  needs no Python (the file, the opcode check, the replay:
 *  pyload_pre_file) for the next list no reader has begun, and the reader
 *  that takes that list later uses it. That part is about a third of
 *  reading a list, and the GIL is not needed for it, so the two threads
 *  share the reading when the reader is the slower of them.
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

enum pf_pre {
    PRE_NONE,               /* nobody has begun this list */
    PRE_BUSY,               /* the caller is doing its C half */
    PRE_DONE,               /* its C half is in pre */
    PRE_CLAIMED,            /* a reader has it (with or without pre) */
};

struct pf_slot {
    bool done;              /* read: rc, ml, error are set */
    bool taken;             /* handed to the caller */
    enum pf_pre pre_state;
    struct pyload_pre *pre; /* the C half of reading config.pck, done by the caller */
    size_t pre_bytes;       /* of pre's file, counted in held until a reader takes pre */
    size_t bytes;           /* of the file read, counted in held until taken or passed by */
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
    size_t ahead_bytes;
    size_t held;            /* bytes of the lists read, or read ahead by the caller, and
                             * not yet taken or passed by */
    struct pf_slot *slots;
    size_t next;            /* the next list the thread reads */
    size_t at;              /* the list the caller is at */
    bool stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t n_threads;
    pthread_t threads[PREFETCH_MAX_THREADS];
};

/* slot_clear - free what a slot holds; its bytes no longer count */
static void slot_clear(struct prefetch *pf, struct pf_slot *s)
{
    pf->held -= s->bytes + s->pre_bytes;
    s->bytes = 0;
    s->pre_bytes = 0;
    pyload_pre_free(&s->pre);
    mlist_free(&s->ml);
    free(s->error);
    s->error = NULL;
}

/* too_far - the next list to read is beyond what may be read ahead: more than `ahead`
 * lists, or the lists read (or read ahead by the caller) and not yet taken hold more than
 * ahead_bytes of files (a list of 100,000 members is some 8 MB of pickle and several times
 * that as a tree). The list right after the caller's is always read. */
static bool too_far(const struct prefetch *pf)
{
    return pf->next > pf->at + pf->ahead || (pf->held > pf->ahead_bytes && pf->next > pf->at + 1);
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
        struct pyload_pre *pre = NULL;
        const char *err = NULL;

        if (pf->next < pf->at) {
            pf->next = pf->at;          /* the caller passed these by */
        }
        while (!pf->stop && pf->next < pf->n && too_far(pf)) {
            pthread_cond_wait(&pf->cv, &pf->mu);
            if (pf->next < pf->at) {
                pf->next = pf->at;
            }
        }
        if (pf->stop || pf->next >= pf->n) {
            break;
        }
        i = pf->next++;
        while (pf->slots[i].pre_state == PRE_BUSY) {
            pthread_cond_wait(&pf->cv, &pf->mu);    /* the caller is about to finish it */
        }
        pf->slots[i].pre_state = PRE_CLAIMED;
        pre = pf->slots[i].pre;
        pf->slots[i].pre = NULL;
        pf->held -= pf->slots[i].pre_bytes;     /* counted again once read */
        pf->slots[i].pre_bytes = 0;
        pthread_mutex_unlock(&pf->mu);
        rc = mlist_open_pre(pf->lists_dir, pf->names[i], pf->flags, NULL, pre, &ml, &err);
        pyload_pre_free(&pre);
        pthread_mutex_lock(&pf->mu);
        pf->slots[i].rc = rc;
        pf->slots[i].ml = ml;
        pf->slots[i].error = rc != 0 ? xstrdup(err != NULL ? err : "cannot be read") : NULL;
        pf->slots[i].done = true;
        if (ml != NULL && ml->loaded >= 0) {
            pf->slots[i].bytes = (size_t)ml->files[ml->loaded].size;
            pf->held += pf->slots[i].bytes;
        }
        if (i < pf->at) {
            slot_clear(pf, &pf->slots[i]);  /* passed by while it was read */
        }
        pthread_cond_broadcast(&pf->cv);
    }
    pthread_mutex_unlock(&pf->mu);
    pyload_thread_detach();
    return NULL;
}

/* prefetch_start - see prefetch.h */
int prefetch_start(const char *lists_dir, char *const *names, size_t n, unsigned flags,
                   size_t threads, size_t ahead, size_t ahead_bytes, struct prefetch **pf_r,
                   const char **error_r)
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
    pf->ahead_bytes = ahead_bytes;
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
        if (pf->slots[k].done || pf->slots[k].pre_state == PRE_DONE) {
            slot_clear(pf, &pf->slots[k]);
        }
    }
    if (i > pf->at) {
        pf->at = i;
    }
    pthread_cond_broadcast(&pf->cv);
    pthread_mutex_unlock(&pf->mu);
}

/* help - called with pf->mu held by the caller while it waits: the C half of
 * the first list within reach that no thread has begun, if any (true); none once the
 * lists read ahead hold the byte budget (a reader stuck on one huge list must not let the
 * caller read hundreds of lists into memory) */
static bool help(struct prefetch *pf)
{
    struct pyload_opts po;
    struct pyload_pre *pre = NULL;
    size_t end = pf->at + pf->ahead + 1 < pf->n ? pf->at + pf->ahead + 1 : pf->n;
    size_t k;
    char *path = NULL;

    if (pf->held > pf->ahead_bytes) {
        return false;
    }
    for (k = pf->next > pf->at ? pf->next : pf->at; k < end; k++) {
        if (pf->slots[k].pre_state == PRE_NONE) {
            break;
        }
    }
    if (k >= end) {
        return false;
    }
    pf->slots[k].pre_state = PRE_BUSY;
    pthread_mutex_unlock(&pf->mu);
    memset(&po, 0, sizeof(po));
    po.keep_memo = (pf->flags & MLIST_KEEP_MEMO) != 0;
    path = mlist_file_path(pf->lists_dir, pf->names[k], 0);
    pre = pyload_pre_file(path, NULL, &po);
    free(path);
    pthread_mutex_lock(&pf->mu);
    pf->slots[k].pre = pre;
    pf->slots[k].pre_bytes = pyload_pre_bytes(pre);
    pf->held += pf->slots[k].pre_bytes;
    pf->slots[k].pre_state = PRE_DONE;
    pthread_cond_broadcast(&pf->cv);
    return true;
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
        if (!help(pf)) {
            pthread_cond_wait(&pf->cv, &pf->mu);
        }
    }
    s->taken = true;
    pf->held -= s->bytes;
    s->bytes = 0;
    pthread_cond_broadcast(&pf->cv);        /* a reader may wait for the budget */
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
        slot_clear(pf, &pf->slots[i]);
    }
    pthread_cond_destroy(&pf->cv);
    pthread_mutex_destroy(&pf->mu);
    free(pf->slots);
    free(pf);
    *pf_p = NULL;
}
