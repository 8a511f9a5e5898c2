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
#include "mmfix/pickleops.h"
#include "mmfix/pyload.h"
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
    char **taken;              /* paths planned (relative to the var prefix) */
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

/* taken - dir/name is planned already or there on disk */
static bool taken(const struct qctx *c, const char *dir, const char *name)
{
    char *key = xasprintf("%s/%s", dir, name);
    char *abs = xasprintf("%s/%s", c->install->var_prefix, key);
    struct stat st;
    bool hit = lstat(abs, &st) == 0 || errno != ENOENT;
    size_t i;

    for (i = 0; !hit && i < c->n_taken; i++) {
        hit = strcmp(c->taken[i], key) == 0;
    }
    free(key);
    free(abs);
    return hit;
}

static void take(struct qctx *c, const char *dir, const char *name)
{
    c->taken = xreallocarray(c->taken, c->n_taken + 1, sizeof(*c->taken));
    c->taken[c->n_taken++] = xasprintf("%s/%s", dir, name);
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

/* to_bad - move the parts of an entry from dir to bad/ unchanged (a link as a link) */
static void to_bad(struct qctx *c, const char *dir, const struct qent **parts, size_t n,
                   const char *why)
{
    struct strbuf names = STRBUF_INIT;
    char *bad = xasprintf("%s/bad", c->rel);
    size_t i;

    if (!queue_dir(c, "bad")) {
        free(bad);
        return;
    }
    for (i = 0; i < n; i++) {
        char *from;
        char *to;
        if (parts[i] == NULL) {
            continue;
        }
        if (taken(c, bad, parts[i]->name)) {
            problem_add(&c->p->problems, "qfile-bad", NULL, PROBLEM_ERROR,
                        "%s/%s cannot be converted (%s) and %s/%s exists: left where it is",
                        dir, parts[i]->name, why, bad, parts[i]->name);
            continue;
        }
        from = xasprintf("%s/%s", dir, parts[i]->name);
        to = xasprintf("%s/%s", bad, parts[i]->name);
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
        take(c, bad, parts[i]->name);
        strbuf_addf(&names, "%s%s", names.len ? ", " : "", from);
        free(from);
        free(to);
    }
    if (names.len > 0) {
        problem_add(&c->p->notes, "qfile-bad", NULL, PROBLEM_WARNING,
                    "queued message %s moved to %s/ unchanged: %s", strbuf_cstr(&names), bad,
                    why);
    }
    strbuf_release(&names);
    free(bad);
}

static bool drop_volatile(const struct value *key, const struct value *val, void *ctx)
{
    (void)val;
    (void)ctx;
    return key->u.str.len > 0 && key->u.str.data[0] == '_';
}

/* metadata - 2.1.39's dequeue() and enqueue() on the old dict: NULL with
 * *why_r when Mailman could not use it */
static struct value *metadata(struct value_arena *a, struct value *d, double now,
                              bool parsemsg, double *rcvtime_r, const char **why_r)
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
        value_dict_del(a, d, value_new_bytes(a, "filebase", 8));
    }
    v = value_dict_get_str(a, d, "received_time");
    if (v == NULL) {
        *rcvtime_r = now;
    } else if (v->type == VALUE_BYTES) {
        /* stored as repr(float); Mailman eval()s it */
        char *end = NULL;
        double t = strtod((const char *)v->u.str.data, &end);
        if (v->u.str.len == 0 || end != (const char *)v->u.str.data + v->u.str.len
            || !isfinite(t)) {
            *why_r = "its received_time is not a number";
            return NULL;
        }
        *rcvtime_r = t;
    } else if (v->type == VALUE_FLOAT && isfinite(v->u.f)) {
        *rcvtime_r = v->u.f;
    } else {
        *why_r = "its received_time is not a time";
        return NULL;
    }
    value_dict_set(a, d, value_new_bytes(a, "received_time", 13), value_new_float(a, *rcvtime_r));
    v = value_dict_get_str(a, d, "rejection-notice");
    if (v != NULL) {
        value_dict_set(a, d, value_new_bytes(a, "rejection_notice", 16), v);
        value_dict_del(a, d, value_new_bytes(a, "rejection-notice", 16));
    }
    value_dict_set(a, d, value_new_bytes(a, "version", 7),
                   value_new_int(a, QFILES_SCHEMA_VERSION));
    value_dict_remove_if(a, d, drop_volatile, NULL);
    value_dict_set(a, d, value_new_bytes(a, "_parsemsg", 9), value_new_bool(a, parsemsg));
    v = value_dict_get_str(a, d, "listname");
    if (v != NULL && v->type != VALUE_BYTES) {
        *why_r = "its listname is not a string";
        return NULL;
    }
    return d;
}

/* qfiles_entry_name - Switchboard's <repr(rcvtime)>+<sha1(msgsave + listname + repr(now))> */
char *qfiles_entry_name(const struct strbuf *msgsave, const struct value *meta, double rcvtime,
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

/* message - the first pickle of the new entry into out, from the old
 * message file's bytes: text (.msg) pickled as a str, to be parsed when dequeued;
 * a pickle (.pck) kept byte for byte when it is one pickle the restricted
 * unpickler loads as a Mailman message or a str. *parsemsg_r says which. */
static bool message(struct value_arena *a, const char *data, size_t len, bool pickled,
                    struct strbuf *out, bool *parsemsg_r, const char **why_r)
{
    struct pickleops_info info;
    struct value *root = NULL;
    enum load_error kind = LOAD_OK;
    const char *err = NULL;
    bool ok = false;

    if (!pickled) {
        *parsemsg_r = true;
        ok = pickle_write(out, value_new_bytes(a, data, len), &err) == 0;
        if (!ok) {
            *why_r = errstr("its text cannot be pickled (%s)", err);
        }
    } else if (pickleops_scan(data, len, &info, &err) != 0 || info.stop_offset + 1 != len) {
        *why_r = errstr("its .pck is not one pickle (%s)", err != NULL ? err : "bytes after it");
    } else if (pyload_unpickle(data, len, NULL, a, &root, NULL, &kind, &err) != 0) {
        *why_r = errstr("its .pck was %s by the restricted unpickler (%s)",
                        kind == LOAD_REFUSED ? "refused" : "not loaded", err);
    } else if (root->type == VALUE_BYTES
               || (root->type == VALUE_INSTANCE
                   && strcmp(root->u.inst.cls, "Mailman.Message.Message") == 0)) {
        *parsemsg_r = root->type == VALUE_BYTES;
        strbuf_add(out, data, len);
        ok = true;
    } else {
        *why_r = errstr("its .pck holds a %s, not a message", root->type == VALUE_INSTANCE
                        ? root->u.inst.cls : value_type_name(root->type));
    }
    return ok;
}

/* qfiles_entry_make - see qfiles.h */
bool qfiles_entry_make(struct value_arena *a, const char *db, size_t db_len, const char *msg,
                       size_t msg_len, bool pickled, double now, struct strbuf *out,
                       struct value **meta_r, double *rcvtime_r, const char **why_r)
{
    struct value *root = NULL;
    enum load_error kind = LOAD_OK;
    const char *err = NULL;
    bool parsemsg = true;

    *meta_r = NULL;
    *rcvtime_r = now;
    if (marshal_read(db, db_len, NULL, a, &root, NULL, &kind, &err) != 0) {
        *why_r = errstr("its .db is not marshal data Mailman can load (%s: %s)",
                        load_error_name(kind), err);
        return false;
    }
    if (!message(a, msg, msg_len, pickled, out, &parsemsg, why_r)) {
        return false;
    }
    *meta_r = metadata(a, root, now, parsemsg, rcvtime_r, why_r);
    return *meta_r != NULL;
}

/* convert - dir/base.db with dir/base<ext> into one entry of queue dst;
 * false with *why_r when it cannot be */
static bool convert(struct qctx *c, const char *dir, const char *base, const char *ext,
                    const char *dst, double now, const char **why_r)
{
    struct value_arena *a = value_arena_new();
    struct value *meta = NULL;
    struct strbuf out = STRBUF_INIT;
    char *db = xasprintf("%s/%s/%s.db", c->install->var_prefix, dir, base);
    char *msg = xasprintf("%s/%s/%s%s", c->install->var_prefix, dir, base, ext);
    char *data = NULL;
    char *text = NULL;
    char *name = NULL;
    char *path = NULL;
    size_t len = 0;
    size_t text_len = 0;
    double rcvtime = now;
    const char *err = NULL;
    bool ok = false;
    int k;

    if (fileread_alloc(db, QFILES_MAX_DB, &data, &len, NULL, &err) != 0) {
        *why_r = errstr("its .db cannot be read (%s)", err);
    } else if (fileread_alloc(msg, QFILES_MAX_MSG, &text, &text_len, NULL, &err) != 0) {
        *why_r = errstr("its message cannot be read (%s)", err);
    } else if (qfiles_entry_make(a, data, len, text, text_len, strcmp(ext, ".pck") == 0, now,
                                 &out, &meta, &rcvtime, why_r)) {
        for (k = 0;; k++) {
            free(name);
            name = qfiles_entry_name(&out, meta, rcvtime, now + k * 1e-6);
            if (!taken(c, dst, name)) {
                break;
            }
        }
        if (pickle_write(&out, meta, &err) != 0) {
            *why_r = errstr("its metadata cannot be pickled (%s)", err);
        } else {
            path = xasprintf("%s/%s", dst, name);
            plan_add_put(c->p, path, out.buf, out.len, PLAN_NO_LIST, false);
            take(c, dst, name);
            free(path);
            path = xasprintf("%s/%s.db", dir, base);
            plan_add_op(c->p, PLAN_DELETE, path, NULL, PLAN_NO_LIST, false);
            free(path);
            path = xasprintf("%s/%s%s", dir, base, ext);
            plan_add_op(c->p, PLAN_DELETE, path, NULL, PLAN_NO_LIST, false);
            free(path);
            ok = true;
        }
    }
    free(name);
    free(data);
    free(text);
    free(db);
    free(msg);
    strbuf_release(&out);
    value_arena_free(&a);
    return ok;
}

/* one_entry - the old entry base of dir (listed in d): converted into dst,
 * or its parts to bad/. top: 2.0's queue (.db + .msg); else a 2.1 queue
 * older than 2.1.5 (.db + .pck or .msg; a .pck alone is current) */
static void one_entry(struct qctx *c, const char *dir, const struct qdir *d, const char *base,
                      bool top, double now)
{
    static const char *const exts[3] = { ".db", ".msg", ".pck" };
    const struct qent *parts[3];
    const char *dst = NULL;
    const char *why = NULL;
    int i;

    for (i = 0; i < 3; i++) {
        char *n = xasprintf("%s%s", base, exts[i]);
        parts[i] = top && i == 2 ? NULL : qdir_find(d, n);
        free(n);
    }
    if (!top && parts[0] == NULL && parts[1] == NULL) {
        return;   /* a current entry */
    }
    for (i = 0; i < 3 && why == NULL; i++) {
        if (parts[i] != NULL && S_ISLNK(parts[i]->mode)) {
            why = errstr("%s is a symbolic link (never followed)", parts[i]->name);
        } else if (parts[i] != NULL && !S_ISREG(parts[i]->mode)) {
            why = errstr("%s is a %s", parts[i]->name, fileread_type_name(parts[i]->mode));
        }
    }
    if (why == NULL && parts[1] == NULL && parts[2] == NULL) {
        why = "a .db without its message: there is nothing to deliver (Mailman 2.1.39 would "
              "leave the .db where no queue runner reads it)";
    } else if (why == NULL && parts[0] == NULL) {
        why = "a message without its .db: no metadata says which list it is for";
    } else if (why == NULL && parts[1] != NULL && parts[2] != NULL) {
        why = "both a .msg and a .pck for one .db";
    }
    if (why == NULL) {
        /* when in/ is unusable (reported once) the entry stays where it is */
        if (top && !queue_dir(c, "in")) {
            return;
        }
        dst = top ? xasprintf("%s/in", c->rel) : xstrdup(dir);
        if (convert(c, dir, base, parts[1] != NULL ? ".msg" : ".pck", dst,
                    now + (double)c->converted * 1e-3, &why)) {
            c->converted++;
        }
        free((char *)dst);
    }
    if (why != NULL) {
        to_bad(c, dir, parts, 3, why);
    }
}

/* entries - every old entry of dir (listed in d), in the order of their names */
static void entries(struct qctx *c, const char *dir, const struct qdir *d, bool top,
                    double now)
{
    char **bases = NULL;
    size_t n = 0;
    size_t baks = 0;
    size_t i;

    for (i = 0; i < d->len; i++) {
        const char *name = d->items[i].name;
        size_t cut = has_suffix(name, ".db") ? 3 : has_suffix(name, ".msg") ? 4
                     : !top && has_suffix(name, ".pck") ? 4 : 0;
        baks += has_suffix(name, ".bak");
        if (cut > 0 && strlen(name) > cut) {
            bases = xreallocarray(bases, n + 1, sizeof(*bases));
            bases[n++] = xstrndup(name, strlen(name) - cut);
        }
    }
    if (n > 0) {
        qsort(bases, n, sizeof(*bases), str_cmp);
    }
    for (i = 0; i < n; i++) {
        if (i == 0 || strcmp(bases[i - 1], bases[i]) != 0) {
            one_entry(c, dir, d, bases[i], top, now);
        }
    }
    for (i = 0; i < n; i++) {
        free(bases[i]);
    }
    free(bases);
    if (!top && baks > 0) {
        problem_add(&c->p->notes, "qfile-bak", NULL, PROBLEM_WARNING,
                    "%s holds %zu .bak file%s (messages a queue runner was handling): kept; "
                    "Mailman's bin/update deletes them, its queue runners recover them", dir,
                    baks, baks == 1 ? "" : "s");
    }
}

/* queues - the 2.1 queue directories: entries older than 2.1.5 converted in place */
static void queues(struct qctx *c, const struct qdir *top, double now)
{
    size_t i;

    for (i = 0; i < top->len; i++) {
        const struct qent *e = &top->items[i];
        struct qdir d = { NULL, 0, 0 };
        const char *err = NULL;
        char *dir;
        char *abs;
        if (S_ISLNK(e->mode)) {
            problem_add(&c->p->notes, "qfile-link", NULL, PROBLEM_WARNING,
                        "%s/%s is a symbolic link: not followed, left as it is", c->rel,
                        e->name);
            continue;
        }
        if (!S_ISDIR(e->mode) || strcmp(e->name, "bad") == 0) {
            continue;   /* bin/update: files in qfiles/bad can't possibly be pickles */
        }
        dir = xasprintf("%s/%s", c->rel, e->name);
        abs = xasprintf("%s/%s", c->install->var_prefix, dir);
        if (qdir_read(abs, &d, &err) != 0) {
            problem_add(&c->p->problems, "qfile-queue-dir", NULL, PROBLEM_ERROR, "%s", err);
        } else {
            entries(c, dir, &d, false, now);
        }
        qdir_free(&d);
        free(dir);
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
    /* 2.0's queue first (bin/update moves it into in/, then converts every queue) */
    entries(&c, c.rel, &top, true, now);
    queues(&c, &top, now);
    if (c.converted > 0) {
        problem_add(&p->notes, "qfile-converted", NULL, PROBLEM_WARNING,
                    "%zu queued message%s converted to Mailman 2.1.5's queue format as 2.1.39's "
                    "bin/update converts them (2.0's queue into %s/in/; a message kept as "
                    "text is parsed when dequeued)", c.converted,
                    c.converted == 1 ? "" : "s", c.rel);
    }
    rc = 0;
out:
    for (i = 0; i < c.n_taken; i++) {
        free(c.taken[i]);
    }
    free(c.taken);
    qdir_free(&top);
    free(c.rel);
    free(abs);
    return rc;
}
