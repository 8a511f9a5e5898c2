/*
 * archives - bin/update's archive step for one list, as a plan
 *
 * SECURITY
 *  Entries are examined with lstat and readlink only; no link is followed
 *  to read or move anything (a link's target is lstat'ed, and resolved
 *  with realpath only to tell whether it stays in the var prefix).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mmfix/archives.h"
#include "mmfix/atomic.h"
#include "mmfix/errstr.h"
#include "mmfix/install.h"
#include "mmfix/site.h"
#include "mmfix/strbuf.h"
#include "mmfix/xalloc.h"

/* What one path is, as the plan so far leaves it */
struct aent {
    char *rel;
    enum atomic_kind kind;
    char *target;          /* a link's target text */
    bool reported;         /* in the way: said once */
    bool vacated;          /* moved away in this run: nothing may take its place */
};

struct actx {
    const struct install *install;
    const char *name;
    struct plan *p;
    size_t list;
    struct aent *ents;
    size_t n_ents;
};

static struct aent *ent(struct actx *c, const char *rel)
{
    struct atomic_meta m;
    struct stat st;
    const char *err = NULL;
    char *abs;
    size_t i;

    for (i = 0; i < c->n_ents; i++) {
        if (strcmp(c->ents[i].rel, rel) == 0) {
            return &c->ents[i];
        }
    }
    c->ents = xreallocarray(c->ents, c->n_ents + 1, sizeof(*c->ents));
    c->ents[c->n_ents].rel = xstrdup(rel);
    c->ents[c->n_ents].target = NULL;
    c->ents[c->n_ents].reported = false;
    c->ents[c->n_ents].vacated = false;
    abs = xasprintf("%s/%s", c->install->var_prefix, rel);
    if (lstat(abs, &st) != 0 && (errno == ENOENT || errno == ENOTDIR)) {
        c->ents[c->n_ents].kind = ATOMIC_ABSENT;  /* ENOTDIR: its parent is a file */
    } else if (atomic_stat(abs, &c->ents[c->n_ents].kind, &m, &c->ents[c->n_ents].target,
                           &err) != 0) {
        c->ents[c->n_ents].kind = ATOMIC_OTHER;   /* cannot be examined: never touched */
    }
    free(abs);
    return &c->ents[c->n_ents++];
}

/* link_text - a link's target text ("" when it could not be read) */
static const char *link_text(struct actx *c, const char *rel)
{
    const struct aent *e = ent(c, rel);

    return e->target != NULL ? e->target : "";
}

static void set_kind(struct actx *c, const char *rel, enum atomic_kind kind)
{
    struct aent *e = ent(c, rel);

    e->kind = kind;
    free(e->target);
    e->target = NULL;
}

/* say - a note (pl = the plan's notes: what the step does and why) or a
 * problem (the plan's problems: what it leaves for a person), a warning */
static void say(struct actx *c, struct problem_list *pl, const char *code, const char *fmt,
                ...) __attribute__((format(printf, 4, 5)));

static void say(struct actx *c, struct problem_list *pl, const char *code, const char *fmt,
                ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    problem_add(pl, code, c->name, PROBLEM_WARNING, "%s", strbuf_cstr(&sb));
    strbuf_release(&sb);
}

#define NOTES(c) (&(c)->p->notes)
#define TROUBLE(c) (&(c)->p->problems)

/* next_run - what takes the place of a path this run moves away waits for
 * the next run: the journal undoes a move by moving back, so the place
 * must be free again when the run is rolled back */
static bool next_run(struct actx *c, const char *rel, const char *what)
{
    if (!ent(c, rel)->vacated) {
        return false;
    }
    say(c, TROUBLE(c), "archive-next-run", "%s: %s waits for the next `update` run (this run moves "
            "what was there away)", rel, what);
    return true;
}

/* move_whole - plan from -> to when to is free; false with a problem if not */
static bool move_whole(struct actx *c, const char *from, const char *to, const char *why)
{
    if (next_run(c, to, "moving it here")) {
        return false;
    }
    if (ent(c, to)->kind != ATOMIC_ABSENT) {
        say(c, TROUBLE(c), "archive-move-blocked",
                "%s not moved: %s is in the way (Mailman would replace it); move one of them "
                "by hand", from, to);
        return false;
    }
    plan_add_op(c->p, PLAN_MOVE_WHOLE, from, to, c->list, false);
    say(c, NOTES(c), "archive-moved", "%s moved to %s: %s", from, to, why);
    set_kind(c, to, ent(c, from)->kind);
    set_kind(c, from, ATOMIC_ABSENT);
    ent(c, from)->vacated = true;
    return true;
}

static void make_dir(struct actx *c, const char *rel, const char *why)
{
    if (next_run(c, rel, "making the directory")) {
        return;
    }
    plan_add_mkdir(c->p, rel, 02775, NULL, c->list);
    say(c, NOTES(c), "archive-mkdir", "%s made (02775): %s", rel, why);
    set_kind(c, rel, ATOMIC_DIR);
}

/* in_the_way - an entry Mailman would rename aside and the journal cannot keep */
static bool in_the_way(struct actx *c, const char *rel)
{
    struct aent *e = ent(c, rel);

    if (e->kind != ATOMIC_OTHER) {
        return false;
    }
    if (e->reported) {
        return true;
    }
    e->reported = true;
    say(c, TROUBLE(c), "archive-in-the-way",
            "%s is no file, directory or link (Mailman would rename it %s): left as it is",
            rel, ARCHIVES_DUNNO_SUFFIX);
    return true;
}

enum link_class {
    LINK_INSIDE,     /* stays in the var prefix */
    LINK_FOREIGN,    /* another host's prefix: to nothing, Mailman's link to what is here */
    LINK_OUTSIDE,    /* out of the tree, to something that exists */
    LINK_DANGLING,   /* to nothing, and not Mailman's link to what is here */
};

static bool under(const char *path, const char *dir)
{
    size_t n = strlen(dir);

    return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* normal - "a/b/../c" as "a/c"; NULL when it climbs above its start */
static char *normal(const char *path)
{
    char *out = xmalloc(strlen(path) + 2);
    char *copy = xstrdup(path);
    char *save = NULL;
    char *part;
    size_t len = 0;

    out[0] = '\0';
    for (part = strtok_r(copy, "/", &save); part != NULL; part = strtok_r(NULL, "/", &save)) {
        if (strcmp(part, ".") == 0) {
            continue;
        }
        if (strcmp(part, "..") == 0) {
            char *slash;
            if (len == 0) {
                free(copy);
                free(out);
                return NULL;
            }
            slash = strrchr(out, '/');
            len = slash != NULL ? (size_t)(slash - out) : 0;
            out[len] = '\0';
            continue;
        }
        len += (size_t)sprintf(out + len, "%s%s", len ? "/" : "", part);
    }
    free(copy);
    return out;
}

/* classify - what the link at rel points to; tail is what Mailman's own
 * link ends in ("archives/private/<l>"), here whether that exists now */
static enum link_class classify(struct actx *c, const char *rel, const char *target,
                                const char *tail, bool here)
{
    const char *vp = c->install->var_prefix;
    char *abs = NULL;
    char real[PATH_MAX];
    char realvp[PATH_MAX];
    struct stat st;
    enum link_class k;

    if (target[0] != '/') {
        char *dir = xstrdup(rel);
        char *slash = strrchr(dir, '/');
        char *joined;
        char *n;
        if (slash != NULL) {
            *slash = '\0';
        }
        joined = xasprintf("%s/%s", slash != NULL ? dir : ".", target);
        n = normal(joined);
        free(joined);
        if (n != NULL) {
            free(n);
            free(dir);
            return LINK_INSIDE;
        }
        abs = xasprintf("%s/%s/%s", vp, slash != NULL ? dir : ".", target);
        free(dir);
    } else {
        if (under(target, vp)) {
            return LINK_INSIDE;
        }
        abs = xstrdup(target);
    }
    if (lstat(abs, &st) == 0) {
        k = realpath(abs, real) != NULL && realpath(vp, realvp) != NULL && under(real, realvp)
                ? LINK_INSIDE : LINK_OUTSIDE;
    } else {
        size_t tl = strlen(tail);
        size_t al = strlen(abs);
        k = here && al > tl && strcmp(abs + al - tl, tail) == 0 && abs[al - tl - 1] == '/'
                ? LINK_FOREIGN : LINK_DANGLING;
    }
    free(abs);
    return k;
}

/* not_dir - why rel (a directory of archives/) cannot be used: a link is never followed */
static char *not_dir(struct actx *c, const char *rel)
{
    return ent(c, rel)->kind == ATOMIC_SYMLINK
               ? xasprintf("%s is a symbolic link (to %s), never followed", rel,
                           link_text(c, rel))
               : xasprintf("%s is not a directory", rel);
}

/* public_link - archives/public/<l>[.mbox]: Mailman's save, and the copied-tree repair */
static void public_link(struct actx *c, const struct archives_opts *o, const char *pub,
                        const char *priv, bool want)
{
    bool here = ent(c, priv)->kind == ATOMIC_DIR;
    enum atomic_kind kind = ent(c, pub)->kind;
    char *target = xasprintf("%s/%s", c->install->var_prefix, priv);

    if (kind != ATOMIC_ABSENT && ent(c, "archives/public")->kind != ATOMIC_DIR) {
        char *why = not_dir(c, "archives/public");
        say(c, TROUBLE(c), "archive-dir-missing", "%s: %s is left as it is", why, pub);
        free(why);
        free(target);
        return;
    }
    if (in_the_way(c, pub)) {
        free(target);
        return;
    }
    if (kind == ATOMIC_ABSENT) {
        if (o->save_links && !o->archive_private && want && here
            && ent(c, "archives/public")->kind != ATOMIC_DIR) {
            char *why = not_dir(c, "archives/public");
            say(c, TROUBLE(c), "archive-dir-missing", "%s: %s is not made", why, pub);
            free(why);
        } else if (o->save_links && !o->archive_private && want && here
                   && !next_run(c, pub, "the public link")) {
            plan_add_op(c->p, PLAN_SYMLINK, pub, target, c->list, false);
            say(c, NOTES(c), "archive-link-made", "%s made a link to %s, as Mailman's save does for a "
                 "public archive", pub, target);
            set_kind(c, pub, ATOMIC_SYMLINK);
        }
    } else if (kind == ATOMIC_SYMLINK) {
        char *text = xstrdup(link_text(c, pub));
        enum link_class k = classify(c, pub, text, priv, here);
        if (k == LINK_OUTSIDE) {
            say(c, TROUBLE(c), "archive-link-outside", "%s points out of the installation, to %s, "
                    "which exists: not followed, left as it is", pub, text);
        } else if (o->save_links && o->archive_private) {
            plan_add_op(c->p, PLAN_DELETE, pub, NULL, c->list, false);
            say(c, NOTES(c), "archive-link-removed", "%s (a link to %s) removed, as Mailman's save "
                 "does for a private archive", pub, text);
            set_kind(c, pub, ATOMIC_ABSENT);
        } else if (k == LINK_FOREIGN) {
            plan_add_op(c->p, PLAN_SYMLINK, pub, target, c->list, false);
            problem_add(&c->p->notes, "archive-link-foreign", c->name, PROBLEM_WARNING,
                        "%s points into another host's prefix (%s, missing here): re-pointed "
                        "to %s", pub, text, target);
        } else if (k == LINK_DANGLING) {
            say(c, TROUBLE(c), "archive-link-dangling", "%s points to %s, which does not exist: left "
                    "as it is", pub, text);
        }
        free(text);
    } else if (o->save_links && o->archive_private) {
        say(c, TROUBLE(c), "archive-public-not-link", "%s is a %s, not a link: Mailman's save would "
                "try to remove it; left as it is", pub,
                kind == ATOMIC_DIR ? "directory" : "file");
    }
    free(target);
}

/* html_rel - PREFIX/public_html/archives/<l> relative to the var prefix,
 * or NULL (with *abs_r the absolute path) when it is outside */
static char *html_rel(const struct site_settings *site, const char *name, char **abs_r)
{
    size_t n = strlen(site->var_prefix);

    *abs_r = xasprintf("%s/public_html/archives/%s", site->prefix, name);
    if (strcmp(site->prefix, site->var_prefix) == 0) {
        return xasprintf("public_html/archives/%s", name);
    }
    if (under(site->prefix, site->var_prefix) && strstr(site->prefix + n, "/..") == NULL) {
        return xasprintf("%s/public_html/archives/%s", site->prefix + n + 1, name);
    }
    return NULL;
}

static void old_html(struct actx *c, const struct site_settings *site, const char *pri)
{
    char *abs = NULL;
    char *rel = html_rel(site, c->name, &abs);
    struct stat st;

    if (rel == NULL) {
        if (lstat(abs, &st) == 0 && S_ISDIR(st.st_mode)) {
            say(c, TROUBLE(c), "archive-html-outside", "the pre-2.0b6 HTML archive %s is outside the "
                    "var prefix: not moved to %s", abs, pri);
        }
    } else if (ent(c, rel)->kind == ATOMIC_DIR) {
        move_whole(c, rel, pri, "the pre-2.0b6 HTML archive, as bin/update moves it (its "
                   "mode is not changed to 02775)");
    } else if (ent(c, rel)->kind == ATOMIC_SYMLINK) {
        say(c, TROUBLE(c), "archive-html-link", "%s is a link (to %s): not followed, not moved", rel,
                link_text(c, rel));
    }
    free(rel);
    free(abs);
}

/* old_mbox - step 3 for one of the old mbox places */
static void old_mbox(struct actx *c, const char *old, const char *mbox_dir,
                     const char *mbox_file)
{
    if (in_the_way(c, old)) {
        return;
    }
    if (ent(c, old)->kind == ATOMIC_FILE) {
        if (ent(c, mbox_dir)->vacated) {
            say(c, TROUBLE(c), "archive-next-run", "%s: moving it into %s waits for the next `update` "
                    "run (this run moves the file there away)", old, mbox_dir);
            return;
        }
        if (ent(c, mbox_dir)->kind != ATOMIC_DIR) {
            say(c, TROUBLE(c), "archive-move-blocked", "%s not moved: %s is not a directory", old,
                    mbox_dir);
            return;
        }
        move_whole(c, old, mbox_file, "an old mbox, as bin/update moves it");
    }
}

/* archives_private_of - archive_private's truth */
bool archives_private_of(const struct value *config)
{
    const struct value *v = config != NULL && config->type == VALUE_DICT
                                ? value_dict_get_str(NULL, (struct value *)config,
                                                     "archive_private")
                                : NULL;

    if (v == NULL) {
        return false;
    }
    switch (v->type) {
    case VALUE_BOOL:
        return v->u.b;
    case VALUE_INT:
        return v->u.i != 0;
    case VALUE_NONE:
        return false;
    case VALUE_FLOAT:
        return v->u.f != 0.0;
    case VALUE_LONG:
        return true;          /* beyond int64_t: never 0 */
    default:
        return value_len(v) > 0;
    }
}

/* archives_plan - see archives.h */
int archives_plan(const struct install *install, const struct site_settings *site,
                  const char *name, const struct archives_opts *opts, struct plan *p,
                  size_t list, const char **error_r)
{
    struct actx c = { install, name, p, list, NULL, 0 };
    char *mbox_dir = xasprintf("archives/private/%s.mbox", name);
    char *mbox_tmp = xasprintf("%s.tmp", mbox_dir);
    char *mbox_file = xasprintf("%s/%s", mbox_dir, name);
    char *pub = xasprintf("archives/public/%s", name);
    char *pri = xasprintf("archives/private/%s", name);
    char *pub_mbox = xasprintf("%s.mbox", pub);
    char *preb6 = NULL;
    int rc = -1;
    size_t i;

    if (strchr(name, '/') != NULL || name[0] == '.' || name[0] == '\0') {
        *error_r = errstr("%s: not a list name archives/ can hold", name);
        goto out;
    }
    for (i = 0; i < 2; i++) {
        /* archives/ itself first: lstat of archives/private would follow a link there */
        const char *dir = i == 0 ? "archives" : "archives/private";
        if (ent(&c, dir)->kind != ATOMIC_DIR) {
            char *why = not_dir(&c, dir);
            say(&c, TROUBLE(&c), "archive-dir-missing", "%s: the archive step is skipped", why);
            free(why);
            rc = 0;
            goto out;
        }
    }
    /* 1. the mbox directory */
    if (ent(&c, mbox_dir)->kind == ATOMIC_FILE) {
        if (move_whole(&c, mbox_dir, mbox_tmp, "a file where the mbox directory belongs, "
                       "as bin/update moves it")) {
            make_dir(&c, mbox_dir, "the list's mbox directory (bin/update)");
        }
    } else if (ent(&c, mbox_dir)->kind == ATOMIC_ABSENT) {
        make_dir(&c, mbox_dir, "the list's mbox directory (bin/update)");
    } else if (ent(&c, mbox_dir)->kind == ATOMIC_SYMLINK) {
        say(&c, TROUBLE(&c), "archive-link-mbox-dir", "%s is a link (to %s): not followed; old mboxes "
                "are not moved into it", mbox_dir, link_text(&c, mbox_dir));
    } else {
        in_the_way(&c, mbox_dir);
    }
    /* 2. both old mboxes: the inactive one aside */
    if (ent(&c, pri)->kind == ATOMIC_FILE && ent(&c, pub)->kind == ATOMIC_FILE) {
        const char *inactive = opts->archive_private ? pub : pri;
        preb6 = xasprintf("%s.preb6", inactive);
        move_whole(&c, inactive, preb6, opts->archive_private
                   ? "both old mboxes exist and the list archives privately: the private "
                     "one is kept active (bin/update)"
                   : "both old mboxes exist and the list archives publicly: the public one "
                     "is kept active (bin/update)");
    }
    /* 3. the old mboxes into the mbox directory */
    old_mbox(&c, pri, mbox_dir, mbox_file);
    old_mbox(&c, pub, mbox_dir, mbox_file);
    if (ent(&c, pri)->kind == ATOMIC_SYMLINK) {
        enum link_class k = classify(&c, pri, link_text(&c, pri), pri, false);
        if (k != LINK_INSIDE) {
            say(&c, TROUBLE(&c), "archive-link-private", "%s is a link to %s, out of the installation "
                    "or to nothing: not followed, left as it is", pri, link_text(&c, pri));
        }
    }
    /* 4. the pre-b6 HTML archive */
    if (site != NULL && ent(&c, pri)->kind == ATOMIC_ABSENT) {
        old_html(&c, site, pri);
    }
    /* 5. Archiver.InitVars at the list's load */
    if (opts->init_vars && ent(&c, pri)->kind == ATOMIC_ABSENT) {
        make_dir(&c, pri, "the HTML archive directory, as Mailman's load makes it; its "
                 "index.html (the empty-archive page) is not written");
    }
    /* 6. the public links */
    public_link(&c, opts, pub, pri, true);
    public_link(&c, opts, pub_mbox, mbox_dir, opts->public_mbox);
    rc = 0;
out:
    for (i = 0; i < c.n_ents; i++) {
        free(c.ents[i].rel);
        free(c.ents[i].target);
    }
    free(c.ents);
    free(mbox_dir);
    free(mbox_tmp);
    free(mbox_file);
    free(pub);
    free(pri);
    free(pub_mbox);
    free(preb6);
    return rc;
}
