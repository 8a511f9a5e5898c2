/*
 * templates - the template layout of the 2.0 -> 2.1 upgrade, and the
 * damage an older bin/update did to lists named like a language
 *
 * DESCRIPTION
 *  The rules are in templates.h. Everything here reads the installation
 *  and adds operations and notes to a plan; apply.c carries them out.
 *
 * SECURITY
 *  Directory entries are untrusted names. A list directory, a language
 *  directory inside it and a template file are used only when lstat says
 *  they are a real directory / regular file (never a symbolic link), and
 *  files are read with O_NOFOLLOW. Names are quoted for the shell in the
 *  commands the notes print; nothing is ever run.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mmfix/atomic.h"
#include "mmfix/errstr.h"
#include "mmfix/fileread.h"
#include "mmfix/install.h"
#include "mmfix/site.h"
#include "mmfix/strbuf.h"
#include "mmfix/templates.h"
#include "mmfix/value.h"
#include "mmfix/xalloc.h"

/* templates are a few KB; anything beyond this is no template */
#define TEMPLATE_MAX_BYTES (4u << 20)

const char *const TEMPLATES_ENGLISH_NAMES[] = {
    "adminaddrchgack.txt", "admindbdetails.html", "admindbpreamble.html",
    "admindbsummary.html", "adminsubscribeack.txt", "adminunsubscribeack.txt",
    "admlogin.html", "approve.txt", "archidxentry.html", "archidxfoot.html",
    "archidxhead.html", "archlistend.html", "archliststart.html", "archtoc.html",
    "archtocentry.html", "archtocnombox.html", "article.html", "bounce.txt", "checkdbs.txt",
    "convert.txt", "cronpass.txt", "disabled.txt", "emptyarchive.html", "headfoot.html",
    "help.txt", "invite.txt", "listinfo.html", "masthead.txt", "newlist.txt",
    "nomoretoday.txt", "options.html", "postack.txt", "postauth.txt", "postheld.txt",
    "private.html", "probe.txt", "refuse.txt", "roster.html", "subauth.txt",
    "subscribe.html", "subscribeack.txt", "unsub.txt", "unsubauth.txt", "userpass.txt",
    "verify.txt", NULL,
};

/* A sorted set of names. */
struct names {
    char **v;
    size_t n;
    size_t cap;
};

static void names_add(struct names *ns, const char *s)
{
    if (ns->n == ns->cap) {
        ns->cap = ns->cap != 0 ? 2 * ns->cap : 16;
        ns->v = xreallocarray(ns->v, ns->cap, sizeof(*ns->v));
    }
    ns->v[ns->n++] = xstrdup(s);
}

static void names_free(struct names *ns)
{
    size_t i;

    for (i = 0; i < ns->n; i++) {
        free(ns->v[i]);
    }
    free(ns->v);
    ns->v = NULL;
    ns->n = ns->cap = 0;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool names_has(const struct names *ns, const char *s)
{
    return ns->n > 0 && bsearch(&s, ns->v, ns->n, sizeof(*ns->v), cmp_name) != NULL;
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t ls = strlen(s);
    size_t lx = strlen(suffix);

    return ls > lx && strcmp(s + ls - lx, suffix) == 0;
}

/* template_name - F ends in .html or .txt */
static bool template_name(const char *f)
{
    return f[0] != '.' && (has_suffix(f, ".html") || has_suffix(f, ".txt"));
}

/* safe_component - usable as one directory name under lists/ or templates/ */
static bool safe_component(const char *s)
{
    const char *c;

    if (s == NULL || *s == '\0' || strcmp(s, ".") == 0 || strcmp(s, "..") == 0
        || strlen(s) > 64) {
        return false;
    }
    for (c = s; *c != '\0'; c++) {
        if (*c == '/' || (unsigned char)*c < 0x21 || (unsigned char)*c > 0x7e) {
            return false;
        }
    }
    return true;
}

enum kind { K_NONE, K_FILE, K_DIR, K_OTHER };

/* kind_of - what path is, without following a final symbolic link */
static enum kind kind_of(const char *path)
{
    struct stat st;

    if (lstat(path, &st) != 0) {
        return K_NONE;
    }
    if (S_ISREG(st.st_mode)) {
        return K_FILE;
    }
    return S_ISDIR(st.st_mode) ? K_DIR : K_OTHER;
}

/* is_link - path is a symbolic link (lstat) */
static bool is_link(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

/* dir_names - the entries of dir (other than . and ..), sorted; 0, or -1
 * when dir cannot be read (errno set) */
static int dir_names(const char *dir, struct names *ns)
{
    DIR *d = opendir(dir);
    struct dirent *de = NULL;

    if (d == NULL) {
        return -1;
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            names_add(ns, de->d_name);
        }
    }
    closedir(d);
    if (ns->n > 0) {
        qsort(ns->v, ns->n, sizeof(*ns->v), cmp_name);
    }
    return 0;
}

/* same_bytes - a and b are regular files with the same bytes */
static bool same_bytes(const char *a, const char *b)
{
    char *da = NULL;
    char *db = NULL;
    size_t la = 0;
    size_t lb = 0;
    const char *err = NULL;
    bool same = false;

    if (fileread_alloc(a, TEMPLATE_MAX_BYTES, &da, &la, NULL, &err) == 0
        && fileread_alloc(b, TEMPLATE_MAX_BYTES, &db, &lb, NULL, &err) == 0) {
        same = la == lb && memcmp(da, db, la) == 0;
    }
    free(da);
    free(db);
    return same;
}

/* shell_quote - s in single quotes for a POSIX shell */
static void shell_quote(struct strbuf *sb, const char *s)
{
    strbuf_addc(sb, '\'');
    for (; *s != '\0'; s++) {
        if (*s == '\'') {
            strbuf_adds(sb, "'\\''");
        } else {
            strbuf_addc(sb, *s);
        }
    }
    strbuf_addc(sb, '\'');
}

/* What the step needs of the installation. */
struct tctx {
    const struct install *install;
    const struct site_settings *site;
    const char *tdir;          /* absolute templates/, NULL when unknown */
    char *vdir;                /* the var prefix's own templates/ when it is another
                                * directory: a 2.0 tree copied whole brings its flat
                                * 2.0 templates there (NULL when none) */
    char *trel;                /* templates/ relative to the var prefix, NULL when outside */
    struct names english;      /* global template names */
};

/* templates_rel - templates/ relative to the var prefix when it is inside */
static char *templates_rel(const struct install *install)
{
    char tbuf[PATH_MAX];
    char vbuf[PATH_MAX];
    size_t lv;

    if (install == NULL || install->templates_dir == NULL
        || realpath(install->templates_dir, tbuf) == NULL
        || realpath(install->var_prefix, vbuf) == NULL) {
        return NULL;
    }
    lv = strlen(vbuf);
    if (strncmp(tbuf, vbuf, lv) != 0 || tbuf[lv] != '/' || tbuf[lv + 1] == '\0') {
        return NULL;
    }
    return xstrdup(tbuf + lv + 1);
}

static void tctx_init(struct tctx *t, const struct install *install,
                      const struct site_settings *site)
{
    size_t i;

    memset(t, 0, sizeof(*t));
    t->install = install;
    t->site = site;
    t->tdir = install != NULL ? install->templates_dir : NULL;
    t->trel = templates_rel(install);
    if (install != NULL) {
        char *v = xasprintf("%s/templates", install->var_prefix);
        char *rv = realpath(v, NULL);
        char *rt = t->tdir != NULL ? realpath(t->tdir, NULL) : NULL;
        if (rv != NULL && kind_of(v) == K_DIR && (rt == NULL || strcmp(rv, rt) != 0)) {
            t->vdir = v;
            v = NULL;
        }
        free(v);
        free(rv);
        free(rt);
    }
    if (t->tdir != NULL) {
        char *en = xasprintf("%s/en", t->tdir);
        if (dir_names(en, &t->english) != 0) {
            names_free(&t->english);
        }
        free(en);
    }
    for (i = 0; TEMPLATES_ENGLISH_NAMES[i] != NULL; i++) {
        if (!names_has(&t->english, TEMPLATES_ENGLISH_NAMES[i])) {
            names_add(&t->english, TEMPLATES_ENGLISH_NAMES[i]);
        }
    }
    qsort(t->english.v, t->english.n, sizeof(*t->english.v), cmp_name);
}

static void tctx_free(struct tctx *t)
{
    free(t->vdir);
    free(t->trel);
    names_free(&t->english);
}

/* global_same - the global template that file (named f) equals, as
 * "templates/<sub>f" (malloc'd), or NULL. Candidates: the flat 2.0
 * templates/f, templates/<lang>/f, templates/en/f, templates/<coll>/f
 * (coll: the list's own name when it is a global template directory). */
static char *global_same(const struct tctx *t, const char *file, const char *f,
                         const char *lang, const char *coll)
{
    const char *subs[4] = { "", lang, "en", coll };
    size_t i;

    if (t->vdir != NULL) {
        char *g = xasprintf("%s/%s", t->vdir, f);
        bool same = same_bytes(file, g);
        free(g);
        if (same) {
            return xasprintf("templates/%s (the copied 2.0 tree's)", f);
        }
    }
    if (t->tdir == NULL) {
        return NULL;
    }
    for (i = 0; i < 4; i++) {
        char *g = NULL;
        size_t j;
        bool seen = subs[i] == NULL;
        for (j = 0; j < i && !seen; j++) {
            seen = strcmp(subs[i], subs[j]) == 0;
        }
        if (seen) {
            continue;
        }
        g = xasprintf("%s/%s%s%s", t->tdir, subs[i], *subs[i] != '\0' ? "/" : "", f);
        if (same_bytes(file, g)) {
            free(g);
            return xasprintf("templates/%s%s%s", subs[i], *subs[i] != '\0' ? "/" : "", f);
        }
        free(g);
    }
    return NULL;
}

/* damage_find - the rule of templates.h, on a prepared context */
static int damage_find(const struct tctx *t, const char *name, struct templates_damage *d,
                       const char **error_r)
{
    const struct install *in = t->install;
    struct names entries = { NULL, 0, 0 };
    char *ldir = NULL;
    char *tl = NULL;
    enum kind tk = K_NONE;
    size_t i;

    memset(d, 0, sizeof(*d));
    if (in == NULL || !safe_component(name)
        || install_list_collisions(in, t->site, name, NULL) == INSTALL_COLLISION_NONE) {
        return 0;
    }
    ldir = xasprintf("%s/%s", in->lists_dir, name);
    if (kind_of(ldir) != K_DIR) {
        free(ldir);
        return 0;
    }
    if (dir_names(ldir, &entries) != 0) {
        *error_r = errstr("lists/%s: %s", name, strerror(errno));
        free(ldir);
        return -1;
    }
    if (t->tdir != NULL) {
        tl = xasprintf("%s/%s", t->tdir, name);
        tk = kind_of(tl);
        if (tk == K_OTHER) {
            /* a link: follow it for reading, as Mailman does */
            struct stat st;
            tk = stat(tl, &st) == 0 && S_ISDIR(st.st_mode) ? K_DIR : K_OTHER;
        }
    }
    for (i = 0; i < entries.n; i++) {
        const char *f = entries.v[i];
        char *lf = xasprintf("%s/%s", ldir, f);
        bool stray = names_has(&t->english, f) && kind_of(lf) == K_FILE;
        if (stray && tl != NULL) {
            char *gf = xasprintf("%s/%s", tl, f);
            char *flat = xasprintf("%s/%s", t->tdir, f);
            struct stat st;
            stray = lstat(gf, &st) != 0 && errno == ENOENT && !same_bytes(lf, flat);
            free(gf);
            free(flat);
        }
        if (stray) {
            d->stray = xreallocarray(d->stray, d->n_stray + 1, sizeof(*d->stray));
            d->stray[d->n_stray++] = xstrdup(f);
            d->n_txt += has_suffix(f, ".txt");
        }
        free(lf);
    }
    d->damaged = d->n_txt >= TEMPLATES_DAMAGE_MIN_TXT && (tl == NULL || tk == K_DIR);
    if (d->damaged) {
        if (tl != NULL) {
            d->dest_abs = xstrdup(tl);
        } else if (t->site != NULL && t->site->template_dir != NULL) {
            d->dest_abs = xasprintf("%s/%s", t->site->template_dir, name);
        }
        if (t->trel != NULL) {
            d->dest_rel = xasprintf("%s/%s", t->trel, name);
        } else if (d->dest_abs != NULL) {
            struct strbuf sb = STRBUF_INIT;
            char *dest = NULL;
            strbuf_adds(&sb, "cd ");
            shell_quote(&sb, ldir);
            strbuf_adds(&sb, " && mv -n --");
            for (i = 0; i < d->n_stray; i++) {
                strbuf_addc(&sb, ' ');
                shell_quote(&sb, d->stray[i]);
            }
            dest = xasprintf("%s/", d->dest_abs);
            strbuf_addc(&sb, ' ');
            shell_quote(&sb, dest);
            free(dest);
            d->command = strbuf_detach(&sb, NULL);
        }
    }
    names_free(&entries);
    free(ldir);
    free(tl);
    return 0;
}

/* templates_damage_find - public entry of damage_find */
int templates_damage_find(const struct install *install, const struct site_settings *site,
                          const char *name, struct templates_damage *d, const char **error_r)
{
    struct tctx t;
    int rc;

    tctx_init(&t, install, site);
    rc = damage_find(&t, name, d, error_r);
    tctx_free(&t);
    return rc;
}

void templates_damage_free(struct templates_damage *d)
{
    size_t i;

    for (i = 0; i < d->n_stray; i++) {
        free(d->stray[i]);
    }
    free(d->stray);
    free(d->dest_rel);
    free(d->dest_abs);
    free(d->command);
    memset(d, 0, sizeof(*d));
}

/* restore - plan the moves back, or the problem with the command */
static void restore(const struct templates_damage *d, const char *name, size_t list,
                    struct plan *p)
{
    size_t i;

    if (!d->damaged) {
        return;
    }
    if (d->dest_rel == NULL) {
        problem_add(&p->problems, "templates-damaged", name, PROBLEM_ERROR,
                    "lists/%s/ holds %zu of the global templates of templates/%s/ (an earlier "
                    "bin/update moved them there); mmfix cannot write %s: %s%s",
                    name, d->n_stray, name,
                    d->dest_abs != NULL ? d->dest_abs : "the install's templates",
                    d->command != NULL ? "put them back with: " : "name the install dir "
                    "with --install-dir to put them back",
                    d->command != NULL ? d->command : "");
        return;
    }
    for (i = 0; i < d->n_stray; i++) {
        char *from = xasprintf("lists/%s/%s", name, d->stray[i]);
        char *to = xasprintf("%s/%s", d->dest_rel, d->stray[i]);
        plan_add_op(p, PLAN_MOVE, from, to, list, false);
        problem_add(&p->notes, "templates-restored", name, PROBLEM_WARNING,
                    "%s: a global template of %s/ that an earlier bin/update moved into "
                    "lists/%s/: put back into %s/", d->stray[i], d->dest_rel, name,
                    d->dest_rel);
        free(from);
        free(to);
    }
}

/* templates_plan_restore - the damage put right */
int templates_plan_restore(const struct install *install, const struct site_settings *site,
                           const char *name, size_t list, struct plan *p,
                           const char **error_r)
{
    struct templates_damage d;

    if (templates_damage_find(install, site, name, &d, error_r) != 0) {
        return -1;
    }
    restore(&d, name, list, p);
    templates_damage_free(&d);
    return 0;
}

/* The layout of one list being planned. */
struct lctx {
    const struct tctx *t;
    struct plan *p;
    const char *name;
    const char *lang;
    const char *coll;          /* name when it is a global template directory */
    size_t list;
    char *dest_rel;            /* lists/<name>/<lang> */
    char *dest_abs;
    bool dest_made;            /* exists, or its mkdir is planned */
    struct names removed_dest; /* files of dest_rel this plan removes */
};

/* ensure_dest - plan the mkdir of lists/<name>/<lang> once */
static void ensure_dest(struct lctx *c)
{
    if (!c->dest_made) {
        char *group = xasprintf("lists/%s", c->name);
        plan_add_mkdir(c->p, c->dest_rel, 02775, group, c->list);
        c->dest_made = true;
        free(group);
    }
}

/* why_customised - what the note says of a template no global one equals:
 * without the 2.0 templates/F a stock 2.0 copy cannot be told from an
 * edited one, and the admin should know */
static const char *why_customised(const struct tctx *t, const char *f)
{
    char *flat = NULL;
    enum kind k;

    if (t->vdir != NULL) {
        flat = xasprintf("%s/%s", t->vdir, f);
        k = kind_of(flat);
        free(flat);
        if (k == K_FILE) {
            return "customised";
        }
    }
    if (t->tdir == NULL) {
        return "no global templates to compare with (no install dir)";
    }
    flat = xasprintf("%s/%s", t->tdir, f);
    k = kind_of(flat);
    free(flat);
    return k == K_FILE ? "customised"
                       : "unlike every global template (there is no 2.0 templates/ copy of it "
                         "to tell a stock 2.0 copy by)";
}

/* place - one template of the list at file (rel: its path relative to the
 * var prefix): removed when it is a copy of a global one, else moved into
 * lists/<name>/<lang>/; false when it stays where it is */
static bool place(struct lctx *c, const char *file, const char *rel, const char *f)
{
    char *g = global_same(c->t, file, f, c->lang, c->coll);
    char *to_abs = NULL;
    char *to_rel = NULL;
    enum kind tk;
    bool gone = true;

    if (g != NULL) {
        plan_add_op(c->p, PLAN_DELETE, rel, NULL, c->list, false);
        problem_add(&c->p->notes, "template-removed", c->name, PROBLEM_WARNING,
                    "%s: same as the global template %s: removed (%s)", rel, g,
                    names_has(&c->t->english, f)
                        ? "Mailman's bin/update removes it too; 2.1 uses its own global one"
                        : "2.1 has no template of that name; Mailman's bin/update leaves "
                          "it behind, unused");
        free(g);
        return true;
    }
    if (strcmp(why_customised(c->t, f), "customised") != 0) {
        /* no 2.0 copy to tell a stock file from an edited one: moved into
         * lists/L/LANG/, a stock 2.0 template would replace 2.1's own and
         * break its pages, so it stays where 2.1 does not look */
        problem_add(&c->p->notes, "template-kept", c->name, PROBLEM_WARNING,
                    "%s: %s: left where Mailman 2.1 does not read it; if the list's owner "
                    "edited it, move it to %s/ (a stock 2.0 template there would replace "
                    "2.1's own)", rel, why_customised(c->t, f), c->dest_rel);
        return false;
    }
    to_abs = xasprintf("%s/%s", c->dest_abs, f);
    to_rel = xasprintf("%s/%s", c->dest_rel, f);
    tk = names_has(&c->removed_dest, f) ? K_NONE : kind_of(to_abs);
    if (tk == K_NONE) {
        ensure_dest(c);
        plan_add_op(c->p, PLAN_MOVE, rel, to_rel, c->list, false);
        problem_add(&c->p->notes, "template-moved", c->name, PROBLEM_WARNING,
                    "%s: %s, moved to %s/ so Mailman 2.1 keeps using it%s", rel,
                    why_customised(c->t, f), c->dest_rel, names_has(&c->t->english, f) ? ""
                    : " (2.1 has no global template of that name, so it does not read it)");
    } else if (tk == K_FILE && same_bytes(file, to_abs)) {
        plan_add_op(c->p, PLAN_DELETE, rel, NULL, c->list, false);
        problem_add(&c->p->notes, "template-removed", c->name, PROBLEM_WARNING,
                    "%s: the same file is already in %s/: removed", rel, c->dest_rel);
    } else {
        problem_add(&c->p->notes, "template-kept", c->name, PROBLEM_WARNING,
                    "%s: customised, but %s already exists and differs: left in place "
                    "(Mailman 2.1 uses %s; merge them by hand)", rel, to_rel, to_rel);
        gone = false;
    }
    free(to_abs);
    free(to_rel);
    return gone;
}

/* list_dir_templates - lists/<name>/F, F.prev and lists/<name>/en/F */
static void list_dir_templates(struct lctx *c, const char *ldir, const struct names *entries,
                               const struct templates_damage *d)
{
    size_t i;
    size_t k;
    char *en = xasprintf("%s/en", ldir);
    struct names enames = { NULL, 0, 0 };
    struct names stray = { NULL, 0, 0 };

    for (k = 0; k < d->n_stray && d->damaged; k++) {
        names_add(&stray, d->stray[k]);
    }
    /* lists/<name>/en/F equal to a global template: Mailman removes it */
    if (kind_of(en) == K_DIR && dir_names(en, &enames) == 0) {
        for (i = 0; i < enames.n; i++) {
            char *file = xasprintf("%s/%s", en, enames.v[i]);
            char *g = NULL;
            if (template_name(enames.v[i]) && kind_of(file) == K_FILE
                && (g = global_same(c->t, file, enames.v[i], "en", NULL)) != NULL) {
                char *rel = xasprintf("lists/%s/en/%s", c->name, enames.v[i]);
                plan_add_op(c->p, PLAN_DELETE, rel, NULL, c->list, false);
                problem_add(&c->p->notes, "template-removed", c->name, PROBLEM_WARNING,
                            "%s: same as the global template %s: removed (as Mailman's "
                            "bin/update does)", rel, g);
                if (strcmp(c->lang, "en") == 0) {
                    names_add(&c->removed_dest, enames.v[i]);
                }
                free(rel);
                free(g);
            }
            free(file);
        }
        qsort(c->removed_dest.v, c->removed_dest.n, sizeof(char *), cmp_name);
    }
    for (i = 0; i < entries->n; i++) {
        const char *f = entries->v[i];
        char *file = xasprintf("%s/%s", ldir, f);
        char *rel = xasprintf("lists/%s/%s", c->name, f);

        if (template_name(f) && is_link(file)) {
            problem_add(&c->p->notes, "template-kept", c->name, PROBLEM_WARNING,
                        "%s: a symbolic link: never followed, read or moved; left where it is "
                        "(Mailman 2.1 does not read it there)", rel);
        } else if (kind_of(file) != K_FILE || names_has(&stray, f)) {
            /* not a file, or a global template that goes back to templates/ */
        } else if (template_name(f)) {
            place(c, file, rel, f);
        } else if (has_suffix(f, ".prev")) {
            char *base = xstrndup(f, strlen(f) - 5);
            char *g = template_name(base) ? global_same(c->t, file, base, c->lang, c->coll)
                                          : NULL;
            if (g != NULL) {
                plan_add_op(c->p, PLAN_DELETE, rel, NULL, c->list, false);
                problem_add(&c->p->notes, "template-removed", c->name, PROBLEM_WARNING,
                            "%s: an old copy of the global template %s: removed (as Mailman's "
                            "bin/update does)", rel, g);
            }
            free(g);
            free(base);
        }
        free(file);
        free(rel);
    }
    names_free(&enames);
    names_free(&stray);
    free(en);
}

/* blocked_preb4 - a pre-2.0b4 template outside the var prefix: a copy of
 * a global one needs nothing; the list's own gets the command that keeps it */
static void blocked_preb4(struct lctx *c, const char *file, const char *f)
{
    char *g = global_same(c->t, file, f, c->lang, NULL);
    struct strbuf cmd = STRBUF_INIT;
    char *dest = NULL;

    if (g != NULL) {
        problem_add(&c->p->notes, "template-kept", c->name, PROBLEM_WARNING,
                    "%s: a pre-2.0b4 copy of the global template %s: nothing to keep; left in "
                    "place (outside the var prefix)", file, g);
        free(g);
        return;
    }
    dest = xasprintf("%s/", c->dest_abs);
    strbuf_adds(&cmd, "mkdir -p ");
    shell_quote(&cmd, c->dest_abs);
    strbuf_adds(&cmd, " && cp -n -p -- ");
    shell_quote(&cmd, file);
    strbuf_addc(&cmd, ' ');
    shell_quote(&cmd, dest);
    problem_add(&c->p->problems, "template-blocked", c->name, PROBLEM_WARNING,
                "%s: the list's own pre-2.0b4 template, outside the var prefix, which mmfix "
                "does not write: keep it for Mailman 2.1 with: %s", file, strbuf_cstr(&cmd));
    strbuf_release(&cmd);
    free(dest);
}

/* preb4_templates - a pre-2.0b4 templates/<name>/ of the list's own */
static void preb4_templates(struct lctx *c, const struct names *entries)
{
    const struct tctx *t = c->t;
    char *tl = xasprintf("%s/%s", t->tdir, c->name);
    struct names own = { NULL, 0, 0 };
    size_t i;
    size_t gone = 0;

    if (kind_of(tl) != K_DIR || dir_names(tl, &own) != 0) {
        free(tl);
        return;
    }
    for (i = 0; i < own.n; i++) {
        const char *f = own.v[i];
        char *file = xasprintf("%s/%s", tl, f);
        char *rel = t->trel != NULL ? xasprintf("%s/%s/%s", t->trel, c->name, f) : NULL;

        if (kind_of(file) != K_FILE) {
            problem_add(&c->p->notes, "template-kept", c->name, PROBLEM_WARNING,
                        "%s: not a regular file: left in place", file);
        } else if (names_has(entries, f)) {
            problem_add(&c->p->notes, "template-kept", c->name, PROBLEM_WARNING,
                        "templates/%s/%s: a pre-2.0b4 template, but lists/%s/%s (the newer "
                        "place) exists too: left in place, as Mailman's bin/update leaves it",
                        c->name, f, c->name, f);
        } else if (rel == NULL) {
            blocked_preb4(c, file, f);
        } else if (place(c, file, rel, f)) {
            gone++;
        }
        free(file);
        free(rel);
    }
    if (gone == own.n && t->trel != NULL) {
        char *rel = xasprintf("%s/%s", t->trel, c->name);
        plan_add_op(c->p, PLAN_RMDIR, rel, NULL, c->list, false);
        problem_add(&c->p->notes, "template-removed", c->name, PROBLEM_WARNING,
                    "%s/: the list's pre-2.0b4 template directory, now empty: removed", rel);
        free(rel);
    }
    names_free(&own);
    free(tl);
}

/* templates_plan_list - the 2.0 -> 2.1 layout of one list */
int templates_plan_list(const struct install *install, const struct site_settings *site,
                        const char *name, const char *lang, size_t list, struct plan *p,
                        const char **error_r)
{
    struct tctx t;
    struct lctx c;
    struct templates_damage d;
    struct names entries = { NULL, 0, 0 };
    char *ldir = NULL;
    enum kind dk;
    int rc = -1;

    if (!safe_component(name)) {
        *error_r = errstr("%s: not a usable list directory name", name);
        return -1;
    }
    memset(&c, 0, sizeof(c));
    tctx_init(&t, install, site);
    memset(&d, 0, sizeof(d));
    if (!safe_component(lang)) {
        lang = site != NULL && safe_component(site->default_server_language)
                   ? site->default_server_language : "en";
    }
    ldir = xasprintf("%s/%s", install->lists_dir, name);
    if (kind_of(ldir) != K_DIR) {
        problem_add(&p->problems, "template-blocked", name, PROBLEM_WARNING,
                    "lists/%s is not a plain directory (a symbolic link is not followed): "
                    "its templates are left where they are", name);
        rc = 0;
        goto out;
    }
    if (dir_names(ldir, &entries) != 0) {
        *error_r = errstr("lists/%s: %s", name, strerror(errno));
        goto out;
    }
    if (damage_find(&t, name, &d, error_r) != 0) {
        goto out;
    }
    restore(&d, name, list, p);
    c.t = &t;
    c.p = p;
    c.name = name;
    c.lang = lang;
    c.list = list;
    c.coll = install_list_collisions(install, site, name, NULL) != INSTALL_COLLISION_NONE
                 ? name : NULL;
    c.dest_rel = xasprintf("lists/%s/%s", name, lang);
    c.dest_abs = xasprintf("%s/%s", ldir, lang);
    dk = kind_of(c.dest_abs);
    if (dk == K_FILE || dk == K_OTHER) {
        problem_add(&p->problems, "template-blocked", name, PROBLEM_ERROR,
                    "%s is %s: the list's templates are left where they are", c.dest_rel,
                    is_link(c.dest_abs) ? "a symbolic link (never followed)" : "not a directory");
        rc = 0;
        goto out;
    }
    c.dest_made = dk == K_DIR;
    list_dir_templates(&c, ldir, &entries, &d);
    if (c.coll == NULL && t.tdir != NULL) {
        preb4_templates(&c, &entries);
    }
    rc = 0;
out:
    names_free(&c.removed_dest);
    free(c.dest_rel);
    free(c.dest_abs);
    templates_damage_free(&d);
    names_free(&entries);
    free(ldir);
    tctx_free(&t);
    return rc;
}

/* templates_plan_site - the flat 2.0 global templates */
int templates_plan_site(const struct install *install, const struct site_settings *site,
                        bool remove_flat, struct plan *p, const char **error_r)
{
    struct tctx t;
    struct names all = { NULL, 0, 0 };
    struct names flat = { NULL, 0, 0 };
    struct strbuf cmd = STRBUF_INIT;
    size_t i;

    (void)error_r;
    tctx_init(&t, install, site);
    if (t.tdir == NULL || dir_names(t.tdir, &all) != 0) {
        tctx_free(&t);
        return 0;
    }
    for (i = 0; i < all.n; i++) {
        char *file = xasprintf("%s/%s", t.tdir, all.v[i]);
        char *base = has_suffix(all.v[i], ".prev")
                         ? xstrndup(all.v[i], strlen(all.v[i]) - 5) : xstrdup(all.v[i]);
        if (template_name(base) && kind_of(file) == K_FILE) {
            names_add(&flat, all.v[i]);
        }
        free(base);
        free(file);
    }
    if (flat.n == 0) {
        goto out;
    }
    strbuf_adds(&cmd, "cd ");
    shell_quote(&cmd, t.tdir);
    strbuf_adds(&cmd, " && rm --");
    for (i = 0; i < flat.n; i++) {
        strbuf_addc(&cmd, ' ');
        shell_quote(&cmd, flat.v[i]);
    }
    if (!remove_flat) {
        problem_add(&p->notes, "templates-old-global", NULL, PROBLEM_WARNING,
                    "templates/: %zu Mailman 2.0 global templates (%s, ...) kept: 2.1 never "
                    "reads them and its bin/update deletes them, but they tell a 2.0 list's "
                    "stock copies from its customised ones; once every list is upgraded, "
                    "remove them with: %s", flat.n, flat.v[0], strbuf_cstr(&cmd));
    } else if (t.trel == NULL) {
        problem_add(&p->problems, "template-blocked", NULL, PROBLEM_WARNING,
                    "%s is outside the var prefix, which mmfix does not write: remove the "
                    "%zu Mailman 2.0 global templates with: %s", t.tdir, flat.n,
                    strbuf_cstr(&cmd));
    } else {
        for (i = 0; i < flat.n; i++) {
            char *rel = xasprintf("%s/%s", t.trel, flat.v[i]);
            plan_add_op(p, PLAN_DELETE, rel, NULL, PLAN_NO_LIST, false);
            problem_add(&p->notes, "template-removed", NULL, PROBLEM_WARNING,
                        "%s: a Mailman 2.0 global template, which 2.1 never reads: removed "
                        "(as Mailman's bin/update removes it)", rel);
            free(rel);
        }
    }
out:
    strbuf_release(&cmd);
    names_free(&flat);
    names_free(&all);
    tctx_free(&t);
    return 0;
}

/* templates_list_language - preferred_language when usable as a directory */
const char *templates_list_language(struct value *config)
{
    struct value *v = NULL;

    if (config == NULL || config->type != VALUE_DICT) {
        return NULL;
    }
    v = value_dict_get_str(NULL, config, "preferred_language");
    if (v == NULL || (v->type != VALUE_BYTES && v->type != VALUE_TEXT)
        || strlen((const char *)v->u.str.data) != v->u.str.len
        || !safe_component((const char *)v->u.str.data)) {
        return NULL;
    }
    return (const char *)v->u.str.data;
}
