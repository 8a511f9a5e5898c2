/*
 * qfiles - Mailman 2.0's queue made into 2.1 queue entries, as a plan
 *
 * SECURITY
 *  Every entry is looked at with lstat (fstatat AT_SYMLINK_NOFOLLOW) and
 *  read only when it is a regular file (fileread: O_NOFOLLOW, size cap);
 *  a symbolic link is moved to bad/ as a link, never read or followed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mmfix/errstr.h"
#include "mmfix/fileread.h"
#include "mmfix/install.h"
#include "mmfix/jsonw.h"
#include "mmfix/marshal.h"
#include "mmfix/pickle.h"
#include "mmfix/qfiles.h"
#include "mmfix/sha1.h"
#include "mmfix/site.h"
#include "mmfix/strbuf.h"
#include "mmfix/value.h"
#include "mmfix/xalloc.h"

struct qent {
    char *name;
    mode_t mode;     /* lstat's st_mode */
};

struct qdir {
    struct qent *items;
    size_t len;
    size_t cap;
};

struct qctx {
    const struct install *install;
    struct plan *p;
    char *rel;                 /* the queue directory, relative to the var prefix */
    mode_t dir_mode;           /* what Switchboard's mkdir(0770) gives under rel */
    bool in_ok, in_made, bad_ok, bad_made;
    struct qdir in, bad;       /* what in/ and bad/ hold now */
    char **taken;              /* names planned into in/ and bad/ ("in/x.pck") */
    size_t n_taken;
    size_t converted;
};

static int qent_cmp(const void *a, const void *b)
{
    return strcmp(((const struct qent *)a)->name, ((const struct qent *)b)->name);
}

static void qdir_free(struct qdir *d)
{
    size_t i;

    for (i = 0; i < d->len; i++) {
        free(d->items[i].name);
    }
    free(d->items);
    d->items = NULL;
    d->len = d->cap = 0;
}

/* qdir_read - the entries of abs (lstat'd, sorted); a missing directory is empty */
static int qdir_read(const char *abs, struct qdir *d, const char **error_r)
{
    DIR *dir = opendir(abs);
    struct dirent *de;

    if (dir == NULL) {
        if (errno == ENOENT) {
            return 0;
        }
        *error_r = errstr("%s: %s", abs, strerror(errno));
        return -1;
    }
    while ((de = readdir(dir)) != NULL) {
        struct stat st;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }
        if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            continue;   /* gone meanwhile */
        }
        if (d->len == d->cap) {
            d->cap = d->cap ? d->cap * 2 : 16;
            d->items = xreallocarray(d->items, d->cap, sizeof(*d->items));
        }
        d->items[d->len].name = xstrdup(de->d_name);
        d->items[d->len].mode = st.st_mode;
        d->len++;
    }
    closedir(dir);
    if (d->len > 0) {
        qsort(d->items, d->len, sizeof(*d->items), qent_cmp);
    }
    return 0;
}

static const struct qent *qdir_find(const struct qdir *d, const char *name)
{
    struct qent key = { (char *)name, 0 };

    return d->len == 0 ? NULL : bsearch(&key, d->items, d->len, sizeof(*d->items), qent_cmp);
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s);
    size_t m = strlen(suf);

    return n >= m && strcmp(s + n - m, suf) == 0;
}

/* taken - sub/name is planned already or there on disk */
static bool taken(const struct qctx *c, const char *sub, const char *name)
{
    const struct qdir *d = strcmp(sub, "in") == 0 ? &c->in : &c->bad;
    char *key = xasprintf("%s/%s", sub, name);
    bool hit = qdir_find(d, name) != NULL;
    size_t i;

    for (i = 0; !hit && i < c->n_taken; i++) {
        hit = strcmp(c->taken[i], key) == 0;
    }
    free(key);
    return hit;
}

static void take(struct qctx *c, const char *sub, const char *name)
{
    c->taken = xreallocarray(c->taken, c->n_taken + 1, sizeof(*c->taken));
    c->taken[c->n_taken++] = xasprintf("%s/%s", sub, name);
}

/* queue_dir - sub ("in", "bad") made when missing, as Switchboard does;
 * false (with a problem) when something else is in its place */
static bool queue_dir(struct qctx *c, const char *sub)
{
    bool *ok = strcmp(sub, "in") == 0 ? &c->in_ok : &c->bad_ok;
    bool *made = strcmp(sub, "in") == 0 ? &c->in_made : &c->bad_made;
    const struct qent *e = NULL;
    struct qdir top = { NULL, 0, 0 };
    char *abs = xasprintf("%s/%s", c->install->var_prefix, c->rel);
    const char *err = NULL;

    if (*ok || *made) {
        free(abs);
        return *ok;
    }
    *made = true;
    if (qdir_read(abs, &top, &err) != 0) {
        problem_add(&c->p->problems, "qfile-queue-dir", NULL, PROBLEM_ERROR, "%s", err);
    } else if ((e = qdir_find(&top, sub)) == NULL) {
        char *path = xasprintf("%s/%s", c->rel, sub);
        plan_add_mkdir(c->p, path, (unsigned)c->dir_mode, c->rel, PLAN_NO_LIST);
        free(path);
        *ok = true;
    } else if (S_ISDIR(e->mode)) {
        *ok = true;
    } else {
        problem_add(&c->p->problems, "qfile-queue-dir", NULL, PROBLEM_ERROR,
                    "%s/%s is a %s, not a queue directory: the 2.0 queue is left as it is",
                    c->rel, sub, fileread_type_name(e->mode));
    }
    qdir_free(&top);
    free(abs);
    return *ok;
}

/* relink - plan the link at from (relative) anew at to; false (with a
 * problem) when its target cannot be read */
static bool relink(struct qctx *c, const char *from, const char *to)
{
    char *abs = xasprintf("%s/%s", c->install->var_prefix, from);
    char buf[PATH_MAX];
    ssize_t n = readlink(abs, buf, sizeof(buf) - 1);

    free(abs);
    if (n < 0) {
        problem_add(&c->p->problems, "qfile-bad", NULL, PROBLEM_ERROR,
                    "%s: cannot read the link (%s): left where it is", from, strerror(errno));
        return false;
    }
    buf[n] = '\0';
    plan_add_op(c->p, PLAN_SYMLINK, to, buf, PLAN_NO_LIST, false);
    plan_add_op(c->p, PLAN_DELETE, from, NULL, PLAN_NO_LIST, false);
    return true;
}

/* to_bad - move the parts of an entry to bad/ unchanged (a link as a link) */
static void to_bad(struct qctx *c, const struct qent **parts, size_t n, const char *why)
{
    struct strbuf names = STRBUF_INIT;
    size_t i;

    if (!queue_dir(c, "bad")) {
        return;
    }
    for (i = 0; i < n; i++) {
        if (parts[i] == NULL) {
            continue;
        }
        if (taken(c, "bad", parts[i]->name)) {
            problem_add(&c->p->problems, "qfile-bad", NULL, PROBLEM_ERROR,
                        "%s/%s cannot be converted (%s) and %s/bad/%s exists: left where it "
                        "is", c->rel, parts[i]->name, why, c->rel, parts[i]->name);
            continue;
        }
        char *from = xasprintf("%s/%s", c->rel, parts[i]->name);
        char *to = xasprintf("%s/bad/%s", c->rel, parts[i]->name);
        if (S_ISLNK(parts[i]->mode)) {
            /* apply moves no link: the same link made in bad/, the old one removed */
            if (!relink(c, from, to)) {
                free(from);
                free(to);
                continue;
            }
        } else {
            plan_add_op(c->p, PLAN_MOVE_WHOLE, from, to, PLAN_NO_LIST, false);
        }
        take(c, "bad", parts[i]->name);
        strbuf_addf(&names, "%s%s", names.len ? ", " : "", parts[i]->name);
        free(from);
        free(to);
    }
    if (names.len > 0) {
        problem_add(&c->p->notes, "qfile-bad", NULL, PROBLEM_WARNING,
                    "queued 2.0 message %s moved to %s/bad/ unchanged: %s",
                    strbuf_cstr(&names), c->rel, why);
    }
    strbuf_release(&names);
}

static bool drop_volatile(const struct value *key, const struct value *val, void *ctx)
{
    (void)val;
    (void)ctx;
    return key->u.str.len > 0 && key->u.str.data[0] == '_';
}

/* metadata - 2.1.39's dequeue() and enqueue() on the 2.0 dict: NULL with
 * *why_r when Mailman could not use it */
static struct value *metadata(struct value_arena *a, struct value *d, double now,
                              double *rcvtime_r, const char **why_r)
{
    struct value *v = NULL;
    size_t i;

    if (d->type != VALUE_DICT) {
        *why_r = errstr("its .db holds a %s, not a dict", value_type_name(d->type));
        return NULL;
    }
    for (i = 0; i < d->u.dict.len; i++) {
        if (d->u.dict.items[i].key->type != VALUE_BYTES) {
            *why_r = "its .db has a key that is not a string";
            return NULL;
        }
    }
    v = value_dict_get_str(a, d, "version");
    if (v != NULL && v->type == VALUE_INT && v->u.i == 2) {
        struct value *k = value_new_bytes(a, "filebase", 8);
        value_dict_del(a, d, k);
    }
    v = value_dict_get_str(a, d, "received_time");
    if (v == NULL) {
        value_dict_set(a, d, value_new_bytes(a, "received_time", 13), value_new_float(a, now));
        *rcvtime_r = now;
    } else if (v->type == VALUE_BYTES) {
        /* pre-2.1.5 stored repr(float); Mailman eval()s it */
        char *end = NULL;
        double t = strtod((const char *)v->u.str.data, &end);
        if (v->u.str.len == 0 || end != (const char *)v->u.str.data + v->u.str.len
            || !isfinite(t)) {
            *why_r = "its received_time is not a number";
            return NULL;
        }
        value_dict_set(a, d, value_new_bytes(a, "received_time", 13), value_new_float(a, t));
        *rcvtime_r = t;
    } else {
        *why_r = "its received_time is not a repr() string";
        return NULL;
    }
    v = value_dict_get_str(a, d, "rejection-notice");
    if (v != NULL) {
        value_dict_set(a, d, value_new_bytes(a, "rejection_notice", 16), v);
        value_dict_del(a, d, value_new_bytes(a, "rejection-notice", 16));
    }
    value_dict_set(a, d, value_new_bytes(a, "version", 7), value_new_int(a, QFILES_SCHEMA_VERSION));
    value_dict_remove_if(a, d, drop_volatile, NULL);
    value_dict_set(a, d, value_new_bytes(a, "_parsemsg", 9), value_new_bool(a, true));
    v = value_dict_get_str(a, d, "listname");
    if (v != NULL && v->type != VALUE_BYTES) {
        *why_r = "its listname is not a string";
        return NULL;
    }
    return d;
}

/* entry_name - Switchboard's <repr(rcvtime)>+<sha1(msgsave + listname + repr(now))> */
static char *entry_name(const struct strbuf *msgsave, const struct value *meta, double rcvtime,
                        double now)
{
    struct sha1 s;
    char hex[41];
    char t[64];
    char r[64];
    const struct value *l = value_dict_get_str(NULL, (struct value *)meta, "listname");

    sha1_init(&s);
    sha1_update(&s, msgsave->buf, msgsave->len);
    if (l != NULL) {
        sha1_update(&s, l->u.str.data, l->u.str.len);
    } else {
        sha1_update(&s, "--nolist--", 10);
    }
    jsonw_format_double(now, t, sizeof(t));
    sha1_update(&s, t, strlen(t));
    sha1_hex(&s, hex);
    jsonw_format_double(rcvtime, r, sizeof(r));
    return xasprintf("%s+%s.pck", r, hex);
}

/* convert - one .db/.msg pair into in/; false with *why_r when it cannot be */
static bool convert(struct qctx *c, const char *base, double now, const char **why_r)
{
    struct value_arena *a = value_arena_new();
    struct value *root = NULL;
    struct value *meta = NULL;
    struct strbuf out = STRBUF_INIT;
    char *db = xasprintf("%s/%s/%s.db", c->install->var_prefix, c->rel, base);
    char *msg = xasprintf("%s/%s/%s.msg", c->install->var_prefix, c->rel, base);
    char *data = NULL;
    char *name = NULL;
    size_t len = 0;
    size_t msglen = 0;
    double rcvtime = now;
    enum load_error kind = LOAD_OK;
    const char *err = NULL;
    bool ok = false;
    int k;

    if (fileread_alloc(db, QFILES_MAX_DB, &data, &len, NULL, &err) != 0) {
        *why_r = errstr("its .db cannot be read (%s)", err);
    } else if (marshal_read(data, len, NULL, a, &root, NULL, &kind, &err) != 0) {
        *why_r = errstr("its .db is not marshal data Mailman can load (%s: %s)",
                        load_error_name(kind), err);
    } else if ((meta = metadata(a, root, now, &rcvtime, why_r)) != NULL) {
        free(data);
        data = NULL;
        if (fileread_alloc(msg, QFILES_MAX_MSG, &data, &msglen, NULL, &err) != 0) {
            *why_r = errstr("its .msg cannot be read (%s)", err);
        } else if (pickle_write(&out, value_new_bytes(a, data, msglen), &err) != 0) {
            *why_r = errstr("its text cannot be pickled (%s)", err);
        } else {
            for (k = 0;; k++) {
                free(name);
                name = entry_name(&out, meta, rcvtime, now + k * 1e-6);
                if (!taken(c, "in", name)) {
                    break;
                }
            }
            if (pickle_write(&out, meta, &err) != 0) {
                *why_r = errstr("its metadata cannot be pickled (%s)", err);
            } else {
                char *path = xasprintf("%s/in/%s", c->rel, name);
                plan_add_put(c->p, path, out.buf, out.len, PLAN_NO_LIST, false);
                take(c, "in", name);
                free(path);
                path = xasprintf("%s/%s.db", c->rel, base);
                plan_add_op(c->p, PLAN_DELETE, path, NULL, PLAN_NO_LIST, false);
                free(path);
                path = xasprintf("%s/%s.msg", c->rel, base);
                plan_add_op(c->p, PLAN_DELETE, path, NULL, PLAN_NO_LIST, false);
                free(path);
                ok = true;
            }
        }
    }
    free(name);
    free(data);
    free(db);
    free(msg);
    strbuf_release(&out);
    value_arena_free(&a);
    return ok;
}

/* one_entry - the 2.0 entry base: converted, or its parts to bad/ */
static void one_entry(struct qctx *c, const struct qdir *top, const char *base, double now)
{
    char *dbn = xasprintf("%s.db", base);
    char *msgn = xasprintf("%s.msg", base);
    const struct qent *parts[2] = { qdir_find(top, dbn), qdir_find(top, msgn) };
    const char *why = NULL;
    int i;

    for (i = 0; i < 2 && why == NULL; i++) {
        if (parts[i] != NULL && S_ISLNK(parts[i]->mode)) {
            why = errstr("%s is a symbolic link (never followed)", parts[i]->name);
        } else if (parts[i] != NULL && !S_ISREG(parts[i]->mode)) {
            why = errstr("%s is a %s", parts[i]->name, fileread_type_name(parts[i]->mode));
        }
    }
    if (why == NULL && parts[1] == NULL) {
        why = "a .db without its .msg: there is no message (Mailman 2.1.39 would leave the "
              ".db in qfiles/in/ forever)";
    } else if (why == NULL && parts[0] == NULL) {
        why = "a .msg without its .db: no metadata says which list it is for";
    }
    /* when in/ is unusable (reported once) the entry stays where it is */
    if (why == NULL && queue_dir(c, "in")
        && convert(c, base, now + (double)c->converted * 1e-3, &why)) {
        c->converted++;
    } else if (why != NULL) {
        to_bad(c, parts, 2, why);
    }
    free(dbn);
    free(msgn);
}

/* old_queues - 2.1 queue directories: pre-2.1.5 entries and .bak files are reported */
static void old_queues(struct qctx *c, const struct qdir *top)
{
    size_t i;
    size_t j;

    for (i = 0; i < top->len; i++) {
        const struct qent *e = &top->items[i];
        struct qdir d = { NULL, 0, 0 };
        size_t dbs = 0;
        size_t baks = 0;
        const char *err = NULL;
        char *abs;
        if (S_ISLNK(e->mode)) {
            problem_add(&c->p->notes, "qfile-link", NULL, PROBLEM_WARNING,
                        "%s/%s is a symbolic link: not followed, left as it is", c->rel,
                        e->name);
            continue;
        }
        if (!S_ISDIR(e->mode) || strcmp(e->name, "bad") == 0) {
            continue;
        }
        abs = xasprintf("%s/%s/%s", c->install->var_prefix, c->rel, e->name);
        if (qdir_read(abs, &d, &err) != 0) {
            problem_add(&c->p->problems, "qfile-queue-dir", NULL, PROBLEM_ERROR, "%s", err);
        }
        for (j = 0; j < d.len; j++) {
            dbs += has_suffix(d.items[j].name, ".db");
            baks += has_suffix(d.items[j].name, ".bak");
        }
        if (dbs > 0) {
            problem_add(&c->p->notes, "qfile-old-format", NULL, PROBLEM_WARNING,
                        "%s/%s holds %zu queue entries older than Mailman 2.1.5 (.db "
                        "metadata): not converted; let a 2.1.4 qrunner drain them first",
                        c->rel, e->name, dbs);
        }
        if (baks > 0) {
            problem_add(&c->p->notes, "qfile-bak", NULL, PROBLEM_WARNING,
                        "%s/%s holds %zu .bak files (messages a qrunner was handling): kept; "
                        "Mailman's bin/update deletes them, its qrunners recover them",
                        c->rel, e->name, baks);
        }
        qdir_free(&d);
        free(abs);
    }
}

/* queue_rel - QUEUE_DIR relative to the var prefix */
static char *queue_rel(const struct site_settings *site)
{
    if (site != NULL && site->queue_dir != NULL && site->var_prefix != NULL) {
        size_t n = strlen(site->var_prefix);
        if (strncmp(site->queue_dir, site->var_prefix, n) == 0 && site->queue_dir[n] == '/'
            && site->queue_dir[n + 1] != '\0' && strstr(site->queue_dir + n, "/..") == NULL) {
            return xstrdup(site->queue_dir + n + 1);
        }
    }
    return xstrdup("qfiles");
}

/* qfiles_plan - see qfiles.h */
int qfiles_plan(const struct install *install, const struct site_settings *site, double now,
                struct plan *p, const char **error_r)
{
    struct qctx c;
    struct qdir top = { NULL, 0, 0 };
    struct stat st;
    char *abs = NULL;
    char **bases = NULL;
    size_t n_bases = 0;
    size_t i;
    int rc = -1;

    memset(&c, 0, sizeof(c));
    c.install = install;
    c.p = p;
    c.rel = queue_rel(site);
    abs = xasprintf("%s/%s", install->var_prefix, c.rel);
    if (lstat(abs, &st) != 0) {
        rc = errno == ENOENT ? 0 : -1;
        if (rc != 0) {
            *error_r = errstr("%s: %s", abs, strerror(errno));
        }
        goto out;
    }
    if (!S_ISDIR(st.st_mode)) {
        problem_add(&p->problems, "qfile-queue-dir", NULL, PROBLEM_ERROR,
                    "%s is a %s, not the queue directory: left as it is", c.rel,
                    fileread_type_name(st.st_mode));
        rc = 0;
        goto out;
    }
    c.dir_mode = 0770 | (st.st_mode & S_ISGID);
    if (qdir_read(abs, &top, error_r) != 0) {
        goto out;
    }
    free(abs);
    abs = xasprintf("%s/%s/in", install->var_prefix, c.rel);
    if (qdir_find(&top, "in") != NULL && S_ISDIR(qdir_find(&top, "in")->mode)
        && qdir_read(abs, &c.in, error_r) != 0) {
        goto out;
    }
    free(abs);
    abs = xasprintf("%s/%s/bad", install->var_prefix, c.rel);
    if (qdir_find(&top, "bad") != NULL && S_ISDIR(qdir_find(&top, "bad")->mode)
        && qdir_read(abs, &c.bad, error_r) != 0) {
        goto out;
    }
    for (i = 0; i < top.len; i++) {
        const char *n = top.items[i].name;
        size_t cut = has_suffix(n, ".db") ? 3 : has_suffix(n, ".msg") ? 4 : 0;
        if (cut > 0 && strlen(n) > cut) {
            bases = xreallocarray(bases, n_bases + 1, sizeof(*bases));
            bases[n_bases++] = xstrndup(n, strlen(n) - cut);
        }
    }
    if (n_bases > 0) {
        qsort(bases, n_bases, sizeof(*bases), str_cmp);
    }
    for (i = 0; i < n_bases; i++) {
        if (i == 0 || strcmp(bases[i - 1], bases[i]) != 0) {
            one_entry(&c, &top, bases[i], now);
        }
    }
    if (c.converted > 0) {
        problem_add(&p->notes, "qfile-converted", NULL, PROBLEM_WARNING,
                    "%zu queued 2.0 message%s converted into %s/in/ as Mailman 2.1.39's "
                    "bin/update converts them (message text kept exactly, to be parsed "
                    "when dequeued)", c.converted, c.converted == 1 ? "" : "s", c.rel);
    }
    old_queues(&c, &top);
    rc = 0;
out:
    for (i = 0; i < c.n_taken; i++) {
        free(c.taken[i]);
    }
    free(c.taken);
    for (i = 0; i < n_bases; i++) {
        free(bases[i]);
    }
    free(bases);
    qdir_free(&top);
    qdir_free(&c.in);
    qdir_free(&c.bad);
    free(c.rel);
    free(abs);
    return rc;
}
