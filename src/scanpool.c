/*
 * scanpool - scan lists serially or with forked worker processes
 *
 * DESCRIPTION
 *  A worker scans every jobs-th list and writes one record per list to its
 *  pipe: [u32 length][u32 index][entry fields][problems]. The parent polls
 *  all pipes, decodes records as they complete (driving the progress bar)
 *  and finally appends the problems in list order, so the report does not
 *  depend on the number of workers.
 *
 * SECURITY
 *  Records come from our own children; they are still decoded with bounds
 *  checks, and a short or malformed record marks the worker as failed.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmfix/errstr.h"
#include "mmfix/fdio.h"
#include "mmfix/install.h"
#include "mmfix/mlist.h"
#include "mmfix/pyload.h"
#include "mmfix/scanpool.h"
#include "mmfix/strbuf.h"
#include "mmfix/xalloc.h"

#define SCANPOOL_MAX_JOBS 8
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

/* record_decode - one record into entries[index] and per-list problems */
static int record_decode(const unsigned char *p, size_t len, size_t n,
                         struct scan_entry *entries, struct problem_list *lp,
                         bool *done, bool *unloadable)
{
    struct reader r = { p, len, false };
    uint32_t index = get_u32(&r);
    struct scan_entry *e = NULL;
    uint32_t count;
    uint32_t i;

    if (r.bad || index >= n || done[index]) {
        return -1;
    }
    e = &entries[index];
    if (get_u32(&r) != 0) {
        *unloadable = true;
    }
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
            problem_add(&lp[index], code, list,
                        sev == PROBLEM_ERROR ? PROBLEM_ERROR : PROBLEM_WARNING, "%s", msg);
        }
        free(code);
        free(list);
        free(msg);
    }
    if (r.bad || r.left != 0 || e->name == NULL) {
        return -1;
    }
    done[index] = true;
    return 0;
}

/* worker - child process k of jobs: never returns */
static void worker(const struct install *install, const struct site_settings *site,
                   char *const *names, size_t n, unsigned k, unsigned jobs, int fd)
{
    struct strbuf sb = STRBUF_INIT;
    size_t i;
    int status = 0;

    pyload_after_fork_child();
    for (i = k; i < n; i += jobs) {
        struct scan_entry e;
        struct problem_list pl;
        bool unloadable = false;

        problem_list_init(&pl);
        scan_one(install, site, names[i], &e, &pl, &unloadable);
        strbuf_reset(&sb);
        record_encode(&sb, (uint32_t)i, &e, &pl, unloadable);
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

/* scanpool_run - serial or parallel scan */
int scanpool_run(const struct install *install, const struct site_settings *site,
                 char *const *names, size_t n, unsigned jobs, struct progress *prog,
                 struct scan_entry *entries, struct problem_list *pl, bool *unloadable_r,
                 const char **error_r)
{
    struct problem_list *lp = NULL;
    struct strbuf *bufs = NULL;
    struct pollfd *fds = NULL;
    pid_t *pids = NULL;
    bool *done = NULL;
    size_t finished = 0;
    unsigned open_fds = 0;
    unsigned k;
    size_t i;
    int ret = 0;

    *unloadable_r = false;
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
    lp = xcalloc(n, sizeof(*lp));
    bufs = xcalloc(jobs, sizeof(*bufs));
    fds = xcalloc(jobs, sizeof(*fds));
    pids = xcalloc(jobs, sizeof(*pids));
    done = xcalloc(n, sizeof(*done));
    fflush(NULL);
    for (k = 0; k < jobs; k++) {
        int p[2];

        fds[k].fd = -1;
        if (pipe(p) != 0) {
            *error_r = errstr("pipe: %s", strerror(errno));
            ret = -1;
            break;
        }
        pids[k] = fork();
        if (pids[k] < 0) {
            *error_r = errstr("fork: %s", strerror(errno));
            close(p[0]);
            close(p[1]);
            ret = -1;
            break;
        }
        if (pids[k] == 0) {
            unsigned j;
            close(p[0]);
            for (j = 0; j < k; j++) {
                if (fds[j].fd >= 0) {
                    close(fds[j].fd);
                }
            }
            worker(install, site, names, n, k, jobs, p[1]);
        }
        close(p[1]);
        fds[k].fd = p[0];
        fds[k].events = POLLIN;
        open_fds++;
    }
    while (open_fds > 0) {
        if (poll(fds, jobs, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            *error_r = errstr("poll: %s", strerror(errno));
            ret = -1;
            break;
        }
        for (k = 0; k < jobs; k++) {
            char chunk[65536];
            ssize_t got;
            size_t off = 0;

            if (fds[k].fd < 0 || fds[k].revents == 0) {
                continue;
            }
            got = read(fds[k].fd, chunk, sizeof(chunk));
            if (got < 0 && errno == EINTR) {
                continue;
            }
            if (got <= 0) {
                close(fds[k].fd);
                fds[k].fd = -1;
                open_fds--;
                continue;
            }
            strbuf_add(&bufs[k], chunk, (size_t)got);
            while (bufs[k].len - off >= sizeof(uint32_t)) {
                uint32_t len;
                memcpy(&len, bufs[k].buf + off, sizeof(len));
                if (bufs[k].len - off - sizeof(len) < len) {
                    break;
                }
                if (record_decode((const unsigned char *)bufs[k].buf + off + sizeof(len), len,
                                  n, entries, lp, done, unloadable_r) != 0) {
                    *error_r = errstr("scan worker %u sent a malformed record", k);
                    ret = -1;
                }
                off += sizeof(len) + len;
                finished++;
                progress_update(prog, finished);
            }
            if (off > 0) {
                memmove(bufs[k].buf, bufs[k].buf + off, bufs[k].len - off);
                bufs[k].len -= off;
            }
        }
    }
    for (k = 0; k < jobs; k++) {
        int status = 0;
        if (fds[k].fd >= 0) {
            close(fds[k].fd);
        }
        if (pids[k] > 0 && (waitpid(pids[k], &status, 0) < 0 || !WIFEXITED(status)
                            || WEXITSTATUS(status) != 0)) {
            *error_r = errstr("scan worker %u failed", k);
            ret = -1;
        }
        strbuf_release(&bufs[k]);
    }
    for (i = 0; i < n; i++) {
        size_t j;
        if (!done[i]) {
            memset(&entries[i], 0, sizeof(entries[i]));
            entries[i].name = xstrdup(names[i]);
            entries[i].data_version = -1;
            problem_add(&lp[i], "internal-error", names[i], PROBLEM_ERROR,
                        "the worker scanning this list failed");
            *unloadable_r = true;
        }
        entries[i].problems_from = pl->len;
        for (j = 0; j < lp[i].len; j++) {
            problem_add(pl, lp[i].items[j].code, lp[i].items[j].list, lp[i].items[j].severity,
                        "%s", lp[i].items[j].message);
        }
        entries[i].problems_to = pl->len;
        problem_list_free(&lp[i]);
    }
    free(lp);
    free(bufs);
    free(fds);
    free(pids);
    free(done);
    return ret;
}
