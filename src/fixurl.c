/*
 * fixurl - plan the fix-url of one list (see fixurl.h)
 */
#define _DEFAULT_SOURCE 1   /* scandir, alphasort */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mmfix/charset.h"
#include "mmfix/fileread.h"
#include "mmfix/fixurl.h"
#include "mmfix/install.h"
#include "mmfix/scan.h"
#include "mmfix/site.h"
#include "mmfix/xalloc.h"

/* language_charset - the charset of a language directory's templates, NULL
 * when the name is no language */
static const char *language_charset(const struct site_settings *site, const char *lang)
{
    const char *cs = site_language_charset(site, lang);

    if (cs == NULL) {
        cs = charset_for_language(lang, CHARSET_TABLE_2_1_39);
    }
    return cs != NULL ? cs : charset_for_language(lang, CHARSET_TABLE_2_1);
}

/* is_template - *.html or *.txt */
static bool is_template(const char *name)
{
    size_t n = strlen(name);

    return (n > 5 && strcmp(name + n - 5, ".html") == 0)
        || (n > 4 && strcmp(name + n - 4, ".txt") == 0);
}

/* template_name - the scandir() filter of is_template */
static int template_name(const struct dirent *de)
{
    return is_template(de->d_name);
}

/* visible - not . nor .. */
static int visible(const struct dirent *de)
{
    return strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
}

/* rewrite_template - one template file: a PUT of its rewritten bytes */
static void rewrite_template(const struct site_settings *site, const struct fixurl_opts *o,
                             const char *name, const char *path, const char *rel,
                             const char *lang, size_t idx, struct plan *p, struct strbuf *data,
                             struct strbuf *out)
{
    const char *cs = language_charset(site, lang);
    const char *err = NULL;
    enum fileread_status st = FILEREAD_OK;
    enum hosts_how how = HOSTS_TEXT;
    size_t count = 0;
    size_t bad = 0;

    if (fileread_into(path, FIXURL_TEMPLATE_MAX, data, &st, &err) != 0) {
        problem_add(&p->problems, "template-skipped", name, PROBLEM_WARNING,
                    "%s: %s: not searched", rel,
                    st == FILEREAD_NOT_REGULAR ? "not a regular file (a link is left to "
                                                 "the file it points at)"
                    : st == FILEREAD_TOO_LARGE ? "larger than a template can be" : err);
        return;
    }
    hosts_rewrite_bytes(cs, (const unsigned char *)data->buf, data->len, o->rw, o->n_rw, out,
                        &count, &how, &bad);
    switch (how) {
    case HOSTS_TEXT:
    case HOSTS_BYTES:
        if (count == 0) {
            return;
        }
        plan_add_put(p, rel, out->buf, out->len, idx, false);
        problem_add(&p->notes, "template-rewritten", name, PROBLEM_WARNING,
                    "%s: %zu occurrence%s rewritten%s", rel, count, count == 1 ? "" : "s",
                    how == HOSTS_BYTES ? " as bytes (not valid in the language's charset; "
                                         "the other bytes unchanged)" : "");
        return;
    case HOSTS_UNDECODABLE:
        problem_add(&p->problems, "rewrite-undecodable", name, PROBLEM_WARNING,
                    "%s: not valid %s at byte %zu and the text to rewrite is not ASCII: not "
                    "searched", rel, cs, bad);
        return;
    case HOSTS_UNENCODABLE:
        problem_add(&p->problems, "rewrite-unencodable", name, PROBLEM_WARNING,
                    "%s: '%s' cannot be written in %s: left as it is", rel, o->rw[bad].new,
                    cs);
        return;
    }
}

/* planned_elsewhere - another step of the run already moves, copies, deletes or writes rel
 * (a template update moves out of the list's directory, say) */
static bool planned_elsewhere(const struct plan *p, size_t list, const char *rel)
{
    size_t i;

    for (i = 0; i < p->n_ops; i++) {
        const struct plan_op *op = &p->ops[i];
        if (op->list == list
            && (strcmp(op->path, rel) == 0 || (op->to != NULL && strcmp(op->to, rel) == 0))) {
            return true;
        }
    }
    return false;
}

/* rewrite_moved - a template another step moves or copies into lists/<name>/<lang>/: its
 * bytes rewritten and put at the destination after that move */
static void rewrite_moved(const struct install *install, const struct site_settings *site,
                          const struct fixurl_opts *o, const char *name, size_t idx,
                          struct plan *p)
{
    struct strbuf data = STRBUF_INIT;
    struct strbuf out = STRBUF_INIT;
    char prefix[4096];
    size_t n_ops = p->n_ops;
    size_t pl;
    size_t i;

    snprintf(prefix, sizeof(prefix), "lists/%s/", name);
    pl = strlen(prefix);
    for (i = 0; i < n_ops; i++) {
        const struct plan_op *op = &p->ops[i];
        const char *rest = NULL;
        const char *slash = NULL;
        char lang[64];
        char path[4096];

        if (op->list != idx || (op->action != PLAN_MOVE && op->action != PLAN_COPY)
            || op->to == NULL || strncmp(op->to, prefix, pl) != 0) {
            continue;
        }
        rest = op->to + pl;
        slash = strchr(rest, '/');
        if (slash == NULL || (size_t)(slash - rest) >= sizeof(lang)
            || strchr(slash + 1, '/') != NULL) {
            continue;
        }
        memcpy(lang, rest, (size_t)(slash - rest));
        lang[slash - rest] = '\0';
        if (language_charset(site, lang) == NULL || !is_template(slash + 1)) {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", install->var_prefix, op->path);
        /* op may move when p->ops grows: copy what is needed first */
        {
            char *to = xstrdup(op->to);
            rewrite_template(site, o, name, path, to, lang, idx, p, &data, &out);
            free(to);
        }
    }
    strbuf_release(&data);
    strbuf_release(&out);
}

/* rewrite_templates - every lists/<name>/<lang>/ *.html, *.txt */
static void rewrite_templates(const struct site_settings *site, const struct fixurl_opts *o,
                              const char *name, const char *dir, size_t idx, struct plan *p)
{
    struct dirent **langs = NULL;
    struct strbuf data = STRBUF_INIT;
    struct strbuf out = STRBUF_INIT;
    int n_langs = scandir(dir, &langs, visible, alphasort);
    int i;
    int k;

    for (i = 0; i < n_langs; i++) {
        char sub[4096];
        struct stat st;
        struct dirent **files = NULL;
        int n_files = 0;

        snprintf(sub, sizeof(sub), "%s/%s", dir, langs[i]->d_name);
        if (language_charset(site, langs[i]->d_name) == NULL || lstat(sub, &st) != 0) {
            /* not a language directory */
        } else if (S_ISDIR(st.st_mode)) {
            n_files = scandir(sub, &files, template_name, alphasort);
        } else if (S_ISLNK(st.st_mode)) {
            problem_add(&p->problems, "template-skipped", name, PROBLEM_WARNING,
                        "lists/%s/%s/: a symbolic link: never followed; its templates are not "
                        "searched", name, langs[i]->d_name);
        }
        for (k = 0; k < n_files; k++) {
            char path[4096];
            char rel[4096];
            snprintf(path, sizeof(path), "%s/%s/%s", dir, langs[i]->d_name, files[k]->d_name);
            snprintf(rel, sizeof(rel), "lists/%s/%s/%s", name, langs[i]->d_name,
                     files[k]->d_name);
            if (!planned_elsewhere(p, idx, rel)) {
                rewrite_template(site, o, name, path, rel, langs[i]->d_name, idx, p, &data,
                                 &out);
            }
            free(files[k]);
        }
        free(files);
        free(langs[i]);
    }
    free(langs);
    strbuf_release(&data);
    strbuf_release(&out);
}

/* host_problems - what fix_url's rule does to the list's mail domain */
static void host_problems(const struct site_settings *site, const struct hosts_target *t,
                          const char *name, struct value *before, struct plan *p)
{
    const struct value *old = value_dict_get_str(NULL, before, "host_name");
    char was[256] = "";

    if (value_is_str(old) && value_str_eq(old, t->host_name)) {
        return;   /* the mail domain stays */
    }
    if (value_is_str(old) && old->u.str.len < sizeof(was)) {
        memcpy(was, old->u.str.data, old->u.str.len);
        was[old->u.str.len] = '\0';
    }
    if (t->mail_from == HOSTS_MAIL_URL_HOST) {
        problem_add(&p->problems, "url-host-not-virtual", name, PROBLEM_WARNING,
                    "host_name '%s' -> '%s': %s is not in the site's VIRTUAL_HOSTS, so "
                    "fix_url.py makes the web host the list's mail domain too (posts go to "
                    "%s@%s); add add_virtualhost('%s', 'MAILHOST') to mm_cfg.py, or give "
                    "--email-host", was, t->host_name, t->url_host, name, t->host_name,
                    t->url_host);
    } else if (t->mail_from == HOSTS_MAIL_GIVEN && site_has_hosts(site)
               && !site_is_known_host(site, t->host_name)) {
        problem_add(&p->problems, "email-host-unknown", name, PROBLEM_WARNING,
                    "host_name '%s' -> '%s': the site names no such mail host (VIRTUAL_HOSTS, "
                    "DEFAULT_EMAIL_HOST, POSTFIX_STYLE_VIRTUAL_DOMAINS)", was, t->host_name);
    }
}

/* fixurl_plan - rewrite, then fix_url's two attributes, then templates */
int fixurl_plan(const struct install *install, const struct site_settings *site,
                const struct fixurl_opts *o, const char *name, struct plan *p,
                const char **error_r)
{
    struct mlist *ml = NULL;
    struct plan_list *l = NULL;
    char path[4096];
    size_t idx;

    if (mlist_open(install->lists_dir, name, MLIST_KEEP_MEMO, NULL, &ml, error_r) != 0) {
        return -1;
    }
    if (ml->loaded < 0) {
        problem_add(&p->problems, "all-files-corrupt", name, PROBLEM_ERROR,
                    "none of config.pck, config.pck.last, config.db, config.db.last loads: "
                    "nothing to fix");
        mlist_free(&ml);
        return 0;
    }
    if (ml->loaded != 0) {
        bool old = ml->loaded >= 2;
        problem_add(&p->problems, old ? "not-upgraded" : "fallback-needed", name,
                    PROBLEM_ERROR, "only %s loads: Mailman would first %s; run mmfix %s, "
                    "then fix-url", mlist_loaded_file(ml)->name,
                    old ? "upgrade the Mailman 2.0 data" : "recover from it",
                    old ? "update" : "repair");
        mlist_free(&ml);
        return 0;
    }
    idx = plan_add_list(p, ml, scan_list_charset(site, ml));
    l = &p->lists[idx];
    if (l->after == NULL || l->after->type != VALUE_DICT) {
        problem_add(&p->problems, "not-a-dict", name, PROBLEM_ERROR,
                    "config.pck does not hold a dict: nothing to fix");
        return 0;
    }
    fixurl_plan_tree(site, o, name, p, idx);
    plan_diff_list(p, idx);
    if (l->diff.len > 0) {
        snprintf(path, sizeof(path), "lists/%s/config.pck", name);
        plan_add_op(p, PLAN_WRITE, path, NULL, idx, true);
    }
    fixurl_plan_templates(install, site, o, name, p, idx);
    return 0;
}

/* fixurl_plan_tree - the rewrite and fix_url's two values on a list another step planned */
void fixurl_plan_tree(const struct site_settings *site, const struct fixurl_opts *o,
                      const char *name, struct plan *p, size_t list)
{
    struct plan_list *l = &p->lists[list];

    if (l->after == NULL || l->after->type != VALUE_DICT) {
        return;
    }
    if (l->after == l->before) {
        l->after = value_copy_working(l->ml->arena, l->before);
    }
    hosts_rewrite_config(l->ml->arena, l->after, l->charset, o->rw, o->n_rw, name, &p->notes,
                         &p->problems);
    hosts_fix_url(l->ml->arena, l->after, o->target);
    host_problems(site, o->target, name, l->before, p);
}

/* fixurl_plan_templates - the rewrite in the list's own templates */
void fixurl_plan_templates(const struct install *install, const struct site_settings *site,
                           const struct fixurl_opts *o, const char *name, struct plan *p,
                           size_t list)
{
    if (o->n_rw > 0 && p->lists[list].ml != NULL) {
        rewrite_templates(site, o, name, p->lists[list].ml->dir, list, p);
        rewrite_moved(install, site, o, name, list, p);
    }
}
