/*
 * scanpool - scan lists serially or with forked worker processes
 *
 * DESCRIPTION
 *  The work goes in rounds. A round has a queue of the lists still to scan
 *  and starts up to jobs workers; each worker takes the next list from a
 *  counter in shared memory (so however many of them started, they share
 *  the whole queue), says in its own shared slot which list it holds, and
 *  writes one record per list to its pipe: [u32 length][u32 index][entry
 *  fields][problems]. The parent polls the pipes of the workers that
 *  started, decodes records as they complete (driving the progress bar) and
 *  finally appends the problems in list order, so the report does not
 *  depend on the number of workers, nor on which of them did what.
 *
 *  A worker that dies (killed, crashed, or exited non-zero) loses only the
 *  list it held: the next round scans it again, with the lists nobody took.
 *  A list held by two workers that died is not tried again (it may be what
 *  kills them) and gets an 'internal-error' problem. When not one worker
 *  starts, or a round gets nothing done, the rest is scanned in this process
 *  (except lists a dead worker held, for the same reason).
 *
 *  Fault injection for tests (testfault.h): MMFIX_TEST_FAIL_PIPE and
 *  MMFIX_TEST_FAIL_FORK fail the Nth pipe()/fork(); MMFIX_TEST_FAIL_SCAN_TAKE
 *  kills the worker taking the Nth list handed out (the first round hands
 *  out every list in order, 1 to n; later rounds number on from n + 1, so
 *  the list scans fine when tried again); MMFIX_TEST_FAIL_SCAN_LIST kills
 *  every worker that takes list number N (1-based in names).
 *
 * SECURITY
 *  Records come from our own children; they are still decoded with bounds
 *  checks, and a malformed record is an internal error (its list is scanned
 *  again).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmfix/errstr.h"
#include "mmfix/fdio.h"
#include "mmfix/install.h"
#include "mmfix/mlist.h"
#include "mmfix/pyload.h"
#include "mmfix/scanpool.h"
#include "mmfix/strbuf.h"
#include "mmfix/testfault.h"
#include "mmfix/xalloc.h"

#define SCANPOOL_MAX_JOBS 8
/* a list held by this many workers that died is not tried again */
#define SCANPOOL_MAX_DEATHS 2
#define NULLSTR 0xffffffffu

/* scanpool_default_jobs - CPUs to use */
unsigned scanpool_default_jobs(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    if (n < 1) {
        return 1;
    }
    return n > SCANPOOL_MAX_JOBS ? SCANPOOL_MAX_JOBS : (unsigned)n;
}

/* scan_one - one list: entry + problems */
static void scan_one(const struct install *install, const struct site_settings *site,
                     const char *name, struct scan_entry *e, struct problem_list *pl,
                     bool *unloadable)
{
    struct mlist *ml = NULL;
    const char *err = NULL;
    size_t k;

    if (mlist_open(install->lists_dir, name, 0, NULL, &ml, &err) != 0) {
        memset(e, 0, sizeof(*e));
        e->name = xstrdup(name);
        e->data_version = -1;
        e->problems_from = pl->len;
        problem_add(pl, "unreadable-file", name, PROBLEM_ERROR, "%s", err);
        e->problems_to = pl->len;
        *unloadable = true;
        return;
    }
    scan_list(install, site, ml, e, pl);
    if (ml->loaded < 0) {
        *unloadable = true;
    }
    for (k = e->problems_from; k < e->problems_to; k++) {
        if (strcmp(pl->items[k].code, "refused-pickle") == 0) {
            *unloadable = true;
        }
    }
    mlist_free(&ml);
}

/* ---- records ---- */

static void put_u32(struct strbuf *sb, uint32_t v)
{
    strbuf_add(sb, &v, sizeof(v));
}

static void put_u64(struct strbuf *sb, uint64_t v)
{
    strbuf_add(sb, &v, sizeof(v));
}

static void put_str(struct strbuf *sb, const char *s)
{
    if (s == NULL) {
        put_u32(sb, NULLSTR);
        return;
    }
    put_u32(sb, (uint32_t)strlen(s));
    strbuf_adds(sb, s);
}

static void record_encode(struct strbuf *sb, uint32_t index, const struct scan_entry *e,
                          const struct problem_list *pl, bool unloadable)
{
    size_t start = sb->len;
    uint32_t len;
    size_t i;

    put_u32(sb, 0);  /* length, patched below */
    put_u32(sb, index);
    put_u32(sb, unloadable);
    put_str(sb, e->name);
    put_str(sb, e->file);
    put_str(sb, e->format);
    put_u64(sb, (uint64_t)(int64_t)e->protocol);
    put_u64(sb, (uint64_t)e->data_version);
    put_u64(sb, e->members);
    put_u64(sb, e->digest_members);
    put_str(sb, e->preferred_language);
    put_str(sb, e->charset);
    put_str(sb, e->web_page_url);
    put_str(sb, e->host_name);
    put_u32(sb, (uint32_t)e->n_owners);
    for (i = 0; i < e->n_owners; i++) {
        put_str(sb, e->owners[i]);
    }
    put_u32(sb, (uint32_t)(e->problems_to - e->problems_from));
    for (i = e->problems_from; i < e->problems_to; i++) {
        put_str(sb, pl->items[i].code);
        put_str(sb, pl->items[i].list);
        put_u32(sb, pl->items[i].severity);
        put_str(sb, pl->items[i].message);
    }
    len = (uint32_t)(sb->len - start - sizeof(uint32_t));
    memcpy(sb->buf + start, &len, sizeof(len));
}

struct reader {
    const unsigned char *p;
    size_t left;
    bool bad;
};

static uint32_t get_u32(struct reader *r)
{
    uint32_t v = 0;

    if (r->left < sizeof(v)) {
        r->bad = true;
        return 0;
    }
    memcpy(&v, r->p, sizeof(v));
    r->p += sizeof(v);
    r->left -= sizeof(v);
    return v;
}

static uint64_t get_u64(struct reader *r)
{
    uint64_t v = 0;

    if (r->left < sizeof(v)) {
        r->bad = true;
        return 0;
    }
    memcpy(&v, r->p, sizeof(v));
    r->p += sizeof(v);
    r->left -= sizeof(v);
    return v;
}

static char *get_str(struct reader *r)
{
    uint32_t n = get_u32(r);

    if (r->bad || n == NULLSTR) {
        return NULL;
    }
    if (n > r->left) {
        r->bad = true;
        return NULL;
    }
    r->p += n;
    r->left -= n;
    return xstrndup((const char *)r->p - n, n);
}

static const char *static_format(char *s)
{
    const char *f = NULL;

    if (s != NULL) {
        f = strcmp(s, "pck") == 0 ? "pck" : strcmp(s, "db") == 0 ? "db" : NULL;
    }
    free(s);
    return f;
}

/* record_decode - one record into *e and *lp; its list index in *index_r */
static int record_decode(const unsigned char *p, size_t len, size_t n, const bool *done,
                         uint32_t *index_r, struct scan_entry *e, struct problem_list *lp,
                         bool *unloadable_r)
{
    struct reader r = { p, len, false };
    uint32_t index = get_u32(&r);
    uint32_t count;
    uint32_t i;

    if (r.bad || index >= n || done[index]) {
        return -1;
    }
    *index_r = index;
    *unloadable_r = get_u32(&r) != 0;
    e->name = get_str(&r);
    e->file = get_str(&r);
    e->format = static_format(get_str(&r));
    e->protocol = (int)(int64_t)get_u64(&r);
    e->data_version = (long long)get_u64(&r);
    e->members = (size_t)get_u64(&r);
    e->digest_members = (size_t)get_u64(&r);
    e->preferred_language = get_str(&r);
    e->charset = get_str(&r);
    e->web_page_url = get_str(&r);
    e->host_name = get_str(&r);
    count = get_u32(&r);
    if (r.bad || count > r.left / 4) {
        return -1;
    }
    e->owners = xcalloc(count + 1, sizeof(char *));
    for (i = 0; i < count && !r.bad; i++) {
        char *o = get_str(&r);
        if (o != NULL) {
            e->owners[e->n_owners++] = o;
        }
    }
    count = get_u32(&r);
    for (i = 0; i < count && !r.bad; i++) {
        char *code = get_str(&r);
        char *list = get_str(&r);
        uint32_t sev = get_u32(&r);
        char *msg = get_str(&r);
        if (!r.bad && code != NULL && msg != NULL) {
            problem_add(lp, code, list,
                        sev == PROBLEM_ERROR ? PROBLEM_ERROR : PROBLEM_WARNING, "%s", msg);
        }
        free(code);
        free(list);
        free(msg);
    }
    if (r.bad || r.left != 0 || e->name == NULL) {
        return -1;
    }
    return 0;
}

/* What the workers of a round share with the parent (MAP_SHARED) */
struct pool_shared {
    atomic_uint next;                       /* next queue position to take */
    atomic_uint held[SCANPOOL_MAX_JOBS];    /* position + 1 a worker holds, 0 none */
};

struct pool_slot {
    pid_t pid;                              /* -1: not started */
    int fd;                                 /* read end, -1: not open */
    struct strbuf buf;                      /* bytes of a record not complete yet */
};

/* One scanpool_run: the lists, where results go, and how far it got */
struct pool {
    const struct install *install;
    const struct site_settings *site;
    char *const *names;
    size_t n;
    struct progress *prog;
    struct scan_entry *entries;
    struct problem_list *lp;                /* each list's problems */
    bool *done;
    unsigned char *deaths;                  /* workers that died holding the list */
    int *death_status;                      /* the wait status of the last of them */
    size_t finished;
    bool unloadable;
    bool malformed;
    unsigned long handed_out;               /* queue positions of earlier rounds */
    struct pool_shared *shared;
    struct scanpool_stats *stats;
};

/* take_error - keep the first reason the pool could not do as asked */
static void take_error(struct pool *P, const char *what)
{
    if (P->stats->start_error[0] == '\0') {
        snprintf(P->stats->start_error, sizeof(P->stats->start_error), "%s: %s", what,
                 strerror(errno));
    }
}

/* worker - child process in slot k of a round over queue[0..qn): never
 * returns */
static void worker(struct pool *P, const uint32_t *queue, size_t qn, unsigned k, int fd)
{
    struct strbuf sb = STRBUF_INIT;
    int status = 0;

    pyload_after_fork_child();
    for (;;) {
        unsigned pos = atomic_fetch_add(&P->shared->next, 1);
        struct scan_entry e;
        struct problem_list pl;
        bool unloadable = false;
        uint32_t i;

        if (pos >= qn) {
            break;
        }
        i = queue[pos];
        atomic_store(&P->shared->held[k], pos + 1);
        if (testfault_at("scan_take", P->handed_out + pos + 1)
            || testfault_at("scan_list", (unsigned long)i + 1)) {
            raise(SIGKILL);
        }
        problem_list_init(&pl);
        scan_one(P->install, P->site, P->names[i], &e, &pl, &unloadable);
        strbuf_reset(&sb);
        record_encode(&sb, i, &e, &pl, unloadable);
        if (fdio_write_all(fd, sb.buf, sb.len) != 0) {
            status = 1;
        }
        scan_entry_free(&e);
        problem_list_free(&pl);
        if (status != 0) {
            break;
        }
    }
    strbuf_release(&sb);
    close(fd);
    _exit(status);
}

/* slot_start - pipe + fork for slot k; false (and the slot unused) when
 * either fails */
static bool slot_start(struct pool *P, struct pool_slot *slots, unsigned k,
                       const uint32_t *queue, size_t qn)
{
    int p[2];
    unsigned j;

    if (testfault_hit("pipe", EMFILE) || pipe(p) != 0) {
        take_error(P, "pipe");
        return false;
    }
    slots[k].pid = testfault_hit("fork", EAGAIN) ? -1 : fork();
    if (slots[k].pid < 0) {
        take_error(P, "fork");
        close(p[0]);
        close(p[1]);
        return false;
    }
    if (slots[k].pid == 0) {
        close(p[0]);
        for (j = 0; j < k; j++) {
            if (slots[j].fd >= 0) {
                close(slots[j].fd);
            }
        }
        worker(P, queue, qn, k, p[1]);
    }
    close(p[1]);
    slots[k].fd = p[0];
    return true;
}

/* take_records - decode the complete records in the slot's buffer */
static void take_records(struct pool *P, struct pool_slot *slot)
{
    size_t off = 0;

    while (slot->buf.len - off >= sizeof(uint32_t)) {
        const unsigned char *rec = (const unsigned char *)slot->buf.buf + off;
        struct scan_entry e;
        struct problem_list pl;
        bool unloadable = false;
        uint32_t index = 0;
        uint32_t len;

        memcpy(&len, rec, sizeof(len));
        if (slot->buf.len - off - sizeof(len) < len) {
            break;
        }
        memset(&e, 0, sizeof(e));
        problem_list_init(&pl);
        if (record_decode(rec + sizeof(len), len, P->n, P->done, &index, &e, &pl,
                          &unloadable) != 0) {
            /* the list, if the index was good, is scanned again */
            P->malformed = true;
            scan_entry_free(&e);
            problem_list_free(&pl);
        } else {
            P->entries[index] = e;
            problem_list_free(&P->lp[index]);
            P->lp[index] = pl;
            P->done[index] = true;
            P->unloadable |= unloadable;
            P->finished++;
            progress_update(P->prog, P->finished);
        }
        off += sizeof(len) + len;
    }
    if (off > 0) {
        memmove(slot->buf.buf, slot->buf.buf + off, slot->buf.len - off);
        slot->buf.len -= off;
    }
}

/* slot_read - read what the slot's worker sent; false at its end */
static bool slot_read(struct pool *P, struct pool_slot *slot)
{
    char chunk[65536];
    ssize_t got;

    do {
        got = read(slot->fd, chunk, sizeof(chunk));
    } while (got < 0 && errno == EINTR);
    if (got <= 0) {
        return false;
    }
    strbuf_add(&slot->buf, chunk, (size_t)got);
    take_records(P, slot);
    return true;
}

/* collect - read every started worker's pipe to its end; -1 if poll failed
 * (the workers still running are then killed) */
static int collect(struct pool *P, struct pool_slot *slots, unsigned want)
{
    struct pollfd fds[SCANPOOL_MAX_JOBS];
    unsigned open_fds = 0;
    unsigned k;
    int ret = 0;

    for (k = 0; k < want; k++) {
        /* poll() ignores negative descriptors: a slot that did not start
         * is never polled, read or closed */
        fds[k].fd = slots[k].fd;
        fds[k].events = POLLIN;
        fds[k].revents = 0;
        open_fds += slots[k].fd >= 0;
    }
    while (open_fds > 0) {
        if (poll(fds, want, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            take_error(P, "poll");
            ret = -1;
            break;
        }
        for (k = 0; k < want; k++) {
            if (fds[k].fd < 0 || fds[k].revents == 0) {
                continue;
            }
            if (!slot_read(P, &slots[k])) {
                close(slots[k].fd);
                slots[k].fd = -1;
                fds[k].fd = -1;
                open_fds--;
            }
        }
    }
    for (k = 0; k < want; k++) {
        if (slots[k].fd >= 0) {
            close(slots[k].fd);
            slots[k].fd = -1;
            kill(slots[k].pid, SIGKILL);
        }
    }
    return ret;
}

/* reap - wait for the started workers; a list held by one that died
 * counts a death. True when a death was counted. */
static bool reap(struct pool *P, struct pool_slot *slots, unsigned want, const uint32_t *queue,
                 size_t qn)
{
    bool counted = false;
    unsigned k;

    for (k = 0; k < want; k++) {
        int status = 0;
        pid_t r;
        unsigned held;

        if (slots[k].pid <= 0) {
            continue;
        }
        do {
            r = waitpid(slots[k].pid, &status, 0);
        } while (r < 0 && errno == EINTR);
        slots[k].pid = -1;
        if (r > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            continue;
        }
        P->stats->died++;
        held = atomic_load(&P->shared->held[k]);
        if (held > 0 && held <= qn && !P->done[queue[held - 1]]) {
            P->deaths[queue[held - 1]]++;
            P->death_status[queue[held - 1]] = r > 0 ? status : -1;
            counted = true;
        }
    }
    return counted;
}

/* round_run - one round over queue[0..qn) with up to want workers; the
 * number that started, 0 also when the round went wrong. *progress_r: a
 * list got done or a death was counted. */
static unsigned round_run(struct pool *P, const uint32_t *queue, size_t qn, unsigned want,
                          bool *progress_r)
{
    struct pool_slot slots[SCANPOOL_MAX_JOBS];
    size_t before = P->finished;
    unsigned started = 0;
    unsigned k;
    int rc;

    atomic_store(&P->shared->next, 0);
    for (k = 0; k < SCANPOOL_MAX_JOBS; k++) {
        atomic_store(&P->shared->held[k], 0);
        slots[k].pid = -1;
        slots[k].fd = -1;
        strbuf_init(&slots[k].buf);
    }
    fflush(NULL);
    for (k = 0; k < want; k++) {
        started += slot_start(P, slots, k, queue, qn);
    }
    rc = started > 0 ? collect(P, slots, want) : 0;
    *progress_r = reap(P, slots, want, queue, qn) || P->finished > before;
    for (k = 0; k < want; k++) {
        strbuf_release(&slots[k].buf);
    }
    P->handed_out += qn;
    return rc == 0 ? started : 0;
}

/* death_text - how a worker ended, from its wait status */
static const char *death_text(int status)
{
    if (status < 0) {
        return "lost";
    }
    if (WIFSIGNALED(status)) {
        return errstr("killed by signal %d", WTERMSIG(status));
    }
    return errstr("exit status %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* in_process - scan the lists not done, but for those a dead worker held */
static void in_process(struct pool *P)
{
    size_t i;

    for (i = 0; i < P->n; i++) {
        if (!P->done[i] && P->deaths[i] == 0) {
            scan_one(P->install, P->site, P->names[i], &P->entries[i], &P->lp[i],
                     &P->unloadable);
            P->done[i] = true;
            P->finished++;
            progress_update(P->prog, P->finished);
        }
    }
}

/* pool_run - rounds until every list is done, given up, or scanned here */
static void pool_run(struct pool *P, unsigned jobs)
{
    uint32_t *queue = xcalloc(P->n, sizeof(*queue));
    bool first = true;

    for (;;) {
        size_t qn = 0;
        size_t i;
        unsigned want;
        unsigned started;
        bool progress = false;

        for (i = 0; i < P->n; i++) {
            if (!P->done[i] && P->deaths[i] < SCANPOOL_MAX_DEATHS) {
                queue[qn++] = (uint32_t)i;
            }
        }
        if (qn == 0) {
            break;
        }
        want = qn < jobs ? (unsigned)qn : jobs;
        started = round_run(P, queue, qn, want, &progress);
        if (first) {
            P->stats->started = started;
            first = false;
        }
        if (started == 0 || !progress) {
            in_process(P);
            break;
        }
    }
    free(queue);
}

/* give_up - the problem of a list no worker could scan */
static void give_up(struct pool *P, size_t i)
{
    struct scan_entry *e = &P->entries[i];

    memset(e, 0, sizeof(*e));
    e->name = xstrdup(P->names[i]);
    e->data_version = -1;
    if (P->deaths[i] >= SCANPOOL_MAX_DEATHS) {
        problem_add(&P->lp[i], "internal-error", P->names[i], PROBLEM_ERROR,
                    "%u scan workers died while scanning this list (the last: %s)",
                    (unsigned)P->deaths[i], death_text(P->death_status[i]));
    } else {
        problem_add(&P->lp[i], "internal-error", P->names[i], PROBLEM_ERROR,
                    "the scan worker scanning this list died (%s) and no other could "
                    "scan it again (%s)", death_text(P->death_status[i]),
                    P->stats->start_error[0] != '\0' ? P->stats->start_error
                    : "no progress");
    }
    P->unloadable = true;
}

/* scanpool_run - serial or parallel scan */
int scanpool_run(const struct install *install, const struct site_settings *site,
                 char *const *names, size_t n, unsigned jobs, struct progress *prog,
                 struct scan_entry *entries, struct problem_list *pl, bool *unloadable_r,
                 struct scanpool_stats *stats, const char **error_r)
{
    struct pool P;
    size_t given_up = 0;
    size_t i;
    void *shared = MAP_FAILED;

    *unloadable_r = false;
    memset(stats, 0, sizeof(*stats));
    if (jobs > SCANPOOL_MAX_JOBS) {
        jobs = SCANPOOL_MAX_JOBS;
    }
    if (jobs <= 1 || n < 2 * (size_t)jobs) {
        for (i = 0; i < n; i++) {
            progress_update(prog, i);
            scan_one(install, site, names[i], &entries[i], pl, unloadable_r);
        }
        return 0;
    }
    stats->jobs = jobs;
    memset(&P, 0, sizeof(P));
    P.install = install;
    P.site = site;
    P.names = names;
    P.n = n;
    P.prog = prog;
    P.entries = entries;
    P.stats = stats;
    P.lp = xcalloc(n, sizeof(*P.lp));
    P.done = xcalloc(n, sizeof(*P.done));
    P.deaths = xcalloc(n, sizeof(*P.deaths));
    P.death_status = xcalloc(n, sizeof(*P.death_status));
    for (i = 0; i < n; i++) {
        problem_list_init(&P.lp[i]);
    }
    if (!testfault_hit("mmap", ENOMEM)) {
        shared = mmap(NULL, sizeof(struct pool_shared), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    }
    if (shared == MAP_FAILED) {
        take_error(&P, "mmap");
        in_process(&P);
    } else {
        P.shared = shared;
        atomic_init(&P.shared->next, 0);
        for (i = 0; i < SCANPOOL_MAX_JOBS; i++) {
            atomic_init(&P.shared->held[i], 0);
        }
        pool_run(&P, jobs);
        munmap(shared, sizeof(struct pool_shared));
    }
    for (i = 0; i < n; i++) {
        size_t j;

        if (!P.done[i]) {
            give_up(&P, i);
            given_up++;
        } else if (P.deaths[i] > 0) {
            stats->rescanned++;
        }
        entries[i].problems_from = pl->len;
        for (j = 0; j < P.lp[i].len; j++) {
            problem_add(pl, P.lp[i].items[j].code, P.lp[i].items[j].list,
                        P.lp[i].items[j].severity, "%s", P.lp[i].items[j].message);
        }
        entries[i].problems_to = pl->len;
        problem_list_free(&P.lp[i]);
    }
    *unloadable_r = P.unloadable;
    free(P.lp);
    free(P.done);
    free(P.deaths);
    free(P.death_status);
    if (P.malformed) {
        *error_r = errstr("a scan worker sent a malformed record");
        return -1;
    }
    if (given_up > 0) {
        *error_r = errstr("scan workers died on %zu list%s", given_up, given_up == 1 ? "" : "s");
        return -1;
    }
    return 0;
}
