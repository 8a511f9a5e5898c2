/*
 * cmd_export_mm3 - hand every list to Mailman 3 with nothing lost
 *
 * DESCRIPTION
 *  mmfix export-mm3 [-d VAR_PREFIX] [--install-dir DIR] --out DIR
 *                   [--mailman CMD] [--fix-mbox] [--json] [-n] [-a | LIST...]
 *  For each list: DIR/<list>/config.pck (mm3export.h: every str decoded,
 *  what import21 cannot take left out), DIR/<list>/held/<id>.eml and
 *  DIR/<list>/requests.json (mm3list.h), the archive checked for
 *  hyperkitty_import (mboxcheck.h); then DIR/import.sh, DIR/report.json and
 *  the report on stdout. With --mailman CMD the import is run list by list
 *  (CMD split at blanks, run without a shell) and checked with CMD members
 *  and CMD lists (mm3verify.h).
 *
 *  Nothing in the installation is changed; the export directory is
 *  written file by file (temporary name, then rename).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "mmfix/errstr.h"
#include "mmfix/fdio.h"
#include "mmfix/install.h"
#include "mmfix/jsonw.h"
#include "mmfix/mapcmd.h"
#include "mmfix/mboxcheck.h"
#include "mmfix/mlist.h"
#include "mmfix/mm3export.h"
#include "mmfix/mm3list.h"
#include "mmfix/mm3verify.h"
#include "mmfix/progress.h"
#include "mmfix/scan.h"
#include "mmfix/site.h"
#include "mmfix/xalloc.h"

static const char export_usage[] =
    "[-d VAR_PREFIX] [--install-dir DIR] --out DIR [--mailman CMD] [--fix-mbox]\n"
    "       [--json] [-n] (-a|--all | LIST...)";

/* import21 messages kept in the report per list */
#define EXPORT_MAX_MESSAGES 20

struct xlist {
    char *name;
    int rc;                      /* EXIT_OK, or why the list was not exported */
    char *error;
    bool unknown_language;
    bool site_list;              /* MAILMAN_SITE_LIST: Mailman 3 has none */
    struct mm3export x;
    struct mm3list_requests req;
    char **templates;
    size_t n_templates;
    long long digest_queue;      /* bytes waiting in lists/<l>/digest.mbox, -1 none */
    struct mboxcheck mbox;       /* the archive (mbox.path NULL: none) */
    /* --mailman */
    bool import_tried;
    bool created;
    char *import_error;          /* create or import21 failed, else NULL */
    char **messages;             /* what import21 printed on stderr */
    size_t n_messages;
    struct mm3verify verify;
};

struct run {
    const struct cmd_opts *opts;
    struct cmd_env *env;
    char *out;                   /* the export directory, absolute */
    struct xlist *lists;
    size_t n;
    struct mapcmd mm;
    bool have_mm;
    char *mm_error;              /* CMD lists failed, else NULL */
};

/* ---- files ---- */

/* write_file - path with data, via a temporary name and rename */
static int write_file(const char *path, const void *data, size_t len, mode_t mode,
                      const char **error_r)
{
    char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
    int rc = -1;

    if (fd < 0) {
        *error_r = errstr("%s: %s", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    if (fdio_write_all(fd, data, len) != 0) {
        *error_r = errstr("%s: %s", tmp, strerror(errno));
        close(fd);
    } else if (close(fd) != 0) {
        *error_r = errstr("%s: %s", tmp, strerror(errno));
    } else if (rename(tmp, path) != 0) {
        *error_r = errstr("%s: %s", path, strerror(errno));
    } else {
        rc = 0;
    }
    if (rc != 0) {
        unlink(tmp);
    }
    free(tmp);
    return rc;
}

/* make_dir - mkdir that an existing directory satisfies */
static int make_dir(const char *path, const char **error_r)
{
    struct stat st;

    if (mkdir(path, 0755) == 0 || (errno == EEXIST && lstat(path, &st) == 0
                                   && S_ISDIR(st.st_mode))) {
        return 0;
    }
    *error_r = errstr("%s: %s", path, errno == EEXIST ? "exists and is not a directory"
                                                      : strerror(errno));
    return -1;
}

/* shell_quote - s as one word for sh */
static void shell_quote(struct strbuf *out, const char *s)
{
    strbuf_addc(out, '\'');
    for (; *s != '\0'; s++) {
        if (*s == '\'') {
            strbuf_adds(out, "'\\''");
        } else {
            strbuf_addc(out, *s);
        }
    }
    strbuf_addc(out, '\'');
}

/* ---- one list ---- */

/* file_size - size of a regular file, -1 when there is none */
static long long file_size(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0 && S_ISREG(st.st_mode) ? (long long)st.st_size : -1;
}

/* write_list - the list's files in the export directory */
static int write_list(struct run *r, struct xlist *l, const struct strbuf *pck,
                      const char **error_r)
{
    char *dir = xasprintf("%s/%s", r->out, l->name);
    char *path = NULL;
    int rc = -1;
    size_t i;

    if (make_dir(dir, error_r) != 0) {
        goto out;
    }
    path = xasprintf("%s/config.pck", dir);
    if (write_file(path, pck->buf, pck->len, 0640, error_r) != 0) {
        goto out;
    }
    free(path);
    path = xasprintf("%s/requests.json", dir);
    if (write_file(path, l->req.json.buf, l->req.json.len, 0640, error_r) != 0) {
        goto out;
    }
    for (i = 0; i < l->req.n_held; i++) {
        const struct mm3list_held *h = &l->req.held[i];
        if (h->error != NULL || h->id == NULL) {
            continue;
        }
        free(path);
        path = xasprintf("%s/held", dir);
        if (make_dir(path, error_r) != 0) {
            goto out;
        }
        free(path);
        path = xasprintf("%s/held/%s.eml", dir, h->id);
        if (write_file(path, h->eml.buf != NULL ? h->eml.buf : "", h->eml.len, 0640,
                       error_r) != 0) {
            goto out;
        }
    }
    rc = 0;
out:
    free(path);
    free(dir);
    return rc;
}

/* valid_name - a list name that is one directory entry of lists/ */
static bool valid_name(const char *name)
{
    return name[0] != '\0' && name[0] != '.' && strchr(name, '/') == NULL;
}

/* export_one - read, decode and write one list */
static void export_one(struct run *r, struct xlist *l)
{
    struct install *in = r->env->install;
    struct mlist *ml = NULL;
    struct strbuf pck = STRBUF_INIT;
    const struct mlist_file *used = NULL;
    const char *charset = NULL;
    const char *err = NULL;
    char *path = NULL;

    l->digest_queue = -1;
    if (!valid_name(l->name)) {
        l->rc = EXIT_NOINPUT;
        l->error = xstrdup("not a list name");
        return;
    }
    if (mlist_open(in->lists_dir, l->name, 0, NULL, &ml, &err) != 0) {
        l->rc = EXIT_NOINPUT;
        l->error = xasprintf("no such list (%s)", err);
        return;
    }
    used = mlist_loaded_file(ml);
    if (used == NULL) {
        int i;
        bool any = false;
        for (i = 0; i < MLIST_NFILES; i++) {
            any = any || ml->files[i].present;
        }
        l->rc = any ? EXIT_DATAERR : EXIT_NOINPUT;
        l->error = xstrdup(any ? "no file of this list loads (mmfix check)" : "no such list");
        goto out;
    }
    if (strncmp(used->name, "config.db", 9) == 0) {
        l->rc = EXIT_DATAERR;
        l->error = xasprintf("Mailman 2.0 data (%s): run `mmfix update` first", used->name);
        goto out;
    }
    l->site_list = r->env->site->mailman_site_list != NULL
                   && strcmp(l->name, r->env->site->mailman_site_list) == 0;
    charset = scan_config_charset(r->env->site, ml->config);
    l->unknown_language = charset == NULL;
    if (mm3export_prepare(ml->arena, ml->config, l->name, charset, &l->x, &err) != 0
        || mm3export_pickle(ml->config, &pck, &err) != 0) {
        l->rc = EXIT_DATAERR;
        l->error = xstrdup(err);
        goto out;
    }
    mm3list_requests(ml->dir, in->data_dir, l->name, charset,
                     value_dict_get_str(ml->arena, ml->config, "preferred_language"), &l->req);
    mm3list_templates(ml->dir, l->name, &l->templates, &l->n_templates);
    path = xasprintf("%s/digest.mbox", ml->dir);
    l->digest_queue = file_size(path);
    free(path);
    if (!r->opts->dry_run && write_list(r, l, &pck, &err) != 0) {
        l->rc = EXIT_CANTCREAT;
        l->error = xstrdup(err);
        goto out;
    }
    path = xasprintf("%s/private/%s.mbox/%s.mbox", in->archives_dir, l->name, l->name);
    if (file_size(path) >= 0) {
        /* the cleaned copy beside the export: DIR/<list>/<list>.mbox */
        char *fix = r->opts->fix_mbox && !r->opts->dry_run
                    ? xasprintf("%s/%s/%s.mbox", r->out, l->name, l->name) : NULL;
        const char *at = strchr(l->x.fqdn, '@');
        mboxcheck_file(path, at != NULL ? at + 1 : NULL, fix, &l->mbox);
        free(fix);
    }
    free(path);
out:
    strbuf_release(&pck);
    mlist_free(&ml);
}

static void xlist_free(struct xlist *l)
{
    size_t i;

    free(l->name);
    free(l->error);
    mm3export_free(&l->x);
    mm3list_requests_free(&l->req);
    mm3list_paths_free(l->templates, l->n_templates);
    mboxcheck_free(&l->mbox);
    free(l->import_error);
    for (i = 0; i < l->n_messages; i++) {
        free(l->messages[i]);
    }
    free(l->messages);
    mm3verify_free(&l->verify);
}

/* ---- import.sh ---- */

/* import_script - DIR/import.sh */
static void import_script(const struct run *r, struct strbuf *sh)
{
    size_t i;

    strbuf_adds(sh, "#!/bin/sh\n"
                "# Written by mmfix export-mm3: creates each list in Mailman 3 when it does "
                "not\n# exist yet and imports its configuration. Every string in these "
                "config.pck\n# files is already decoded, so import21 needs no --charset.\n"
                "#   MAILMAN='mailman -C /etc/mailman3/mailman.cfg' sh import.sh\n"
                "# Archives go through HyperKitty's hyperkitty_import (commented lines).\n"
                "set -e\ncd \"$(dirname \"$0\")\"\n: \"${MAILMAN:=mailman}\"\n"
                "existing=$($MAILMAN lists -q)\n"
                "create() {\n"
                "    printf '%s\\n' \"$existing\" | grep -qixF -e \"$1\" || $MAILMAN create -- "
                "\"$1\"\n}\n");
    for (i = 0; i < r->n; i++) {
        const struct xlist *l = &r->lists[i];
        char *pck = NULL;
        if (l->rc != EXIT_OK) {
            continue;
        }
        strbuf_adds(sh, "\ncreate ");
        shell_quote(sh, l->x.fqdn);
        strbuf_adds(sh, "\n$MAILMAN import21 -- ");
        shell_quote(sh, l->x.fqdn);
        strbuf_addc(sh, ' ');
        pck = xasprintf("%s/config.pck", l->name);
        shell_quote(sh, pck);
        free(pck);
        strbuf_addc(sh, '\n');
        if (l->mbox.path != NULL) {
            char *mbox = xstrdup(l->mbox.fixed_path != NULL ? l->mbox.fixed_path
                                                            : l->mbox.path);
            strbuf_adds(sh, "# mailman-web hyperkitty_import -l ");
            shell_quote(sh, l->x.fqdn);
            strbuf_addc(sh, ' ');
            shell_quote(sh, mbox);
            strbuf_addc(sh, '\n');
            free(mbox);
        }
    }
}

/* ---- --mailman ---- */

/* mm_run - CMD args..., stdout into *out (however long), stderr into *err */
static int mm_run(struct run *r, const char *const *args, size_t nargs, int *status_r,
                  struct strbuf *out, struct strbuf *err, const char **error_r)
{
    char **argv = xcalloc(r->mm.argc + nargs + 1, sizeof(*argv));
    FILE *tf = tmpfile();
    char buf[8192];
    size_t i;
    int rc = -1;

    for (i = 0; i < r->mm.argc; i++) {
        argv[i] = r->mm.argv[i];
    }
    for (i = 0; i < nargs; i++) {
        argv[r->mm.argc + i] = (char *)args[i];
    }
    strbuf_reset(out);
    strbuf_reset(err);
    if (tf == NULL) {
        *error_r = errstr("a temporary file: %s", strerror(errno));
        goto out;
    }
    if (mapcmd_run_to(argv, fileno(tf), status_r, err, error_r) != 0) {
        goto out;
    }
    rewind(tf);
    while ((i = fread(buf, 1, sizeof(buf), tf)) > 0) {
        strbuf_add(out, buf, i);
    }
    rc = 0;
    if (*status_r == 127) {
        *error_r = errstr("%s: cannot be run (exit 127)", argv[0]);
    }
out:
    if (tf != NULL) {
        fclose(tf);
    }
    free(argv);
    return rc;
}

/* keep_messages - the non-empty lines of import21's stderr */
static void keep_messages(struct xlist *l, const struct strbuf *err)
{
    const char *p = strbuf_cstr(err);

    while (*p != '\0') {
        const char *e = strchr(p, '\n');
        size_t n = e != NULL ? (size_t)(e - p) : strlen(p);
        if (n > 0 && l->n_messages < EXPORT_MAX_MESSAGES) {
            l->messages = xreallocarray(l->messages, l->n_messages + 1, sizeof(*l->messages));
            l->messages[l->n_messages++] = xstrndup(p, n);
        }
        p += n + (e != NULL);
    }
}

/* failed_text - "exit N: last line of output" */
static char *failed_text(const char *what, int status, const struct strbuf *err)
{
    const char *s = strbuf_cstr(err);
    size_t n = err->len;
    size_t start = 0;

    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ')) {
        n--;
    }
    for (start = n; start > 0 && s[start - 1] != '\n'; start--) {
    }
    return xasprintf("%s exited %d%s%.*s", what, status, n > start ? ": " : "",
                     (int)(n - start), s + start);
}

/* step - CMD args...; false, with the list's import_error, when it fails */
static bool step(struct run *r, struct xlist *l, const char *const *args, size_t n,
                 struct strbuf *out, struct strbuf *err)
{
    const char *e = NULL;
    int status = 0;

    if (mm_run(r, args, n, &status, out, err, &e) == 0 && status == 0) {
        return true;
    }
    l->import_error = e != NULL ? xstrdup(e) : failed_text(args[0], status, err);
    return false;
}

/* import_one - create when missing, import21, members */
static void import_one(struct run *r, struct xlist *l, const struct strbuf *existing)
{
    struct strbuf out = STRBUF_INIT;
    struct strbuf err = STRBUF_INIT;
    char *pck = xasprintf("%s/%s/config.pck", r->out, l->name);
    const char *create[] = { "create", "--", l->x.fqdn };
    const char *import[] = { "import21", "--", l->x.fqdn, pck };
    const char *members[] = { "members", "-R", "any", "--", l->x.fqdn };

    l->import_tried = true;
    if (!mm3verify_has_list(existing->buf, existing->len, l->x.fqdn)) {
        if (!step(r, l, create, 3, &out, &err)) {
            goto out;
        }
        l->created = true;
    }
    if (!step(r, l, import, 4, &out, &err)) {
        keep_messages(l, &err);
        goto out;
    }
    keep_messages(l, &err);
    if (step(r, l, members, 5, &out, &err)) {
        mm3verify_members(out.buf != NULL ? out.buf : "", out.len, &l->x, &l->verify);
    }
out:
    free(pck);
    strbuf_release(&out);
    strbuf_release(&err);
}

/* import_all - run the import of every exported list, then check the lists' names */
static void import_all(struct run *r)
{
    struct strbuf existing = STRBUF_INIT;
    struct strbuf out = STRBUF_INIT;
    struct strbuf err = STRBUF_INIT;
    struct progress prog;
    const char *e = NULL;
    int status = 0;
    bool described = true;
    size_t i;

    setenv("PYTHONIOENCODING", "utf-8", 1);
    {
        const char *args[] = { "lists", "-q" };
        if (mm_run(r, args, 2, &status, &existing, &err, &e) != 0 || status != 0) {
            r->mm_error = e != NULL ? xstrdup(e) : failed_text("lists -q", status, &err);
            goto out;
        }
    }
    progress_start(&prog, "importing", r->n, !r->opts->quiet);
    for (i = 0; i < r->n; i++) {
        progress_update(&prog, i);
        if (r->lists[i].rc == EXIT_OK) {
            import_one(r, &r->lists[i], &existing);
        }
    }
    progress_done(&prog);
    {
        /* `lists -d` formats the description to a width of 70 less the longest name and
         * fails when that is negative: then the display names alone */
        const char *args[] = { "lists", "-q", "-n", "-d" };
        if (mm_run(r, args, 4, &status, &out, &err, &e) != 0 || status != 0) {
            described = false;
            if (mm_run(r, args, 3, &status, &out, &err, &e) != 0 || status != 0) {
                r->mm_error = e != NULL ? xstrdup(e) : failed_text("lists -q -n", status, &err);
                goto out;
            }
        }
    }
    for (i = 0; i < r->n; i++) {
        struct xlist *l = &r->lists[i];
        if (l->import_tried && l->import_error == NULL) {
            mm3verify_list(out.buf != NULL ? out.buf : "", out.len, &l->x, described,
                           &l->verify);
        }
    }
out:
    strbuf_release(&existing);
    strbuf_release(&out);
    strbuf_release(&err);
}

/* ---- the report ---- */

static void json_notes(struct jsonw *w, const char *key, const struct mm3export_notes *n,
                       const char *where, const char *what)
{
    size_t i;

    jsonw_key(w, key);
    jsonw_array_begin(w);
    for (i = 0; i < n->len; i++) {
        jsonw_object_begin(w);
        jsonw_key(w, where);
        jsonw_string(w, n->items[i].where);
        jsonw_key(w, what);
        jsonw_string(w, n->items[i].what);
        jsonw_object_end(w);
    }
    jsonw_array_end(w);
}

static void json_strings(struct jsonw *w, const char *key, char *const *s, size_t n)
{
    size_t i;

    jsonw_key(w, key);
    jsonw_array_begin(w);
    for (i = 0; i < n; i++) {
        jsonw_string(w, s[i]);
    }
    jsonw_array_end(w);
}

static void json_count(struct jsonw *w, const char *key, size_t n)
{
    jsonw_key(w, key);
    jsonw_uint(w, n);
}

/* json_list - one list's entry of report.json */
static void json_list(const struct run *r, struct jsonw *w, const struct xlist *l)
{
    size_t i;

    jsonw_object_begin(w);
    jsonw_key(w, "name");
    jsonw_string(w, l->name);
    jsonw_key(w, "status");
    jsonw_string(w, l->rc == EXIT_OK ? "exported" : "failed");
    if (l->error != NULL) {
        jsonw_key(w, "error");
        jsonw_string(w, l->error);
    }
    if (l->x.fqdn == NULL) {
        jsonw_object_end(w);
        return;
    }
    jsonw_key(w, "fqdn");
    jsonw_string(w, l->x.fqdn);
    jsonw_key(w, "charset");
    if (l->x.charset != NULL) {
        jsonw_string(w, l->x.charset);
    } else {
        jsonw_null(w);
    }
    jsonw_key(w, "config");
    {
        char *p = xasprintf("%s/config.pck", l->name);
        jsonw_string(w, p);
        free(p);
    }
    jsonw_key(w, "site_list");
    jsonw_bool(w, l->site_list);
    json_count(w, "strings_decoded", l->x.strings);
    json_count(w, "members", l->x.members);
    json_count(w, "digest_members", l->x.digest_members);
    json_count(w, "owners", l->x.owners);
    json_count(w, "moderators", l->x.moderators);
    json_notes(w, "fallbacks", &l->x.fallbacks, "path", "decoded_as");
    json_notes(w, "left_out", &l->x.left_out, "attribute", "why");
    jsonw_key(w, "not_imported");
    jsonw_object_begin(w);
    json_count(w, "bounce_info", l->x.bounce_info);
    json_count(w, "passwords", l->x.passwords);
    json_count(w, "topics", l->x.topics);
    json_count(w, "topic_interests", l->x.topic_interests);
    json_strings(w, "templates", l->templates, l->n_templates);
    json_notes(w, "nonmember_rules", &l->x.nonmember_rules, "rule", "why");
    json_notes(w, "header_filter_rules", &l->x.header_rules, "line", "why");
    json_notes(w, "addresses", &l->x.refused, "address", "why");
    jsonw_key(w, "digest_queue_bytes");
    if (l->digest_queue >= 0) {
        jsonw_int(w, l->digest_queue);
    } else {
        jsonw_null(w);
    }
    jsonw_object_end(w);
    jsonw_key(w, "held_messages");
    jsonw_array_begin(w);
    for (i = 0; i < l->req.n_held; i++) {
        const struct mm3list_held *h = &l->req.held[i];
        jsonw_object_begin(w);
        jsonw_key(w, "id");
        jsonw_string(w, h->id != NULL ? h->id : "");
        jsonw_key(w, "data_file");
        jsonw_string(w, h->file != NULL ? h->file : "");
        if (h->error == NULL) {
            char *p = xasprintf("%s/held/%s.eml", l->name, h->id);
            jsonw_key(w, "eml");
            jsonw_string(w, p);
            free(p);
        } else {
            jsonw_key(w, "error");
            jsonw_string(w, h->error);
        }
        jsonw_object_end(w);
    }
    jsonw_array_end(w);
    jsonw_key(w, "requests");
    jsonw_object_begin(w);
    jsonw_key(w, "file");
    {
        char *p = xasprintf("%s/requests.json", l->name);
        jsonw_string(w, p);
        free(p);
    }
    json_count(w, "held_subscriptions", l->req.subscriptions);
    json_count(w, "held_unsubscriptions", l->req.unsubscriptions);
    json_count(w, "pending_confirmations", l->req.confirmations);
    if (l->req.error != NULL) {
        jsonw_key(w, "error");
        jsonw_string(w, l->req.error);
    }
    jsonw_object_end(w);
    jsonw_key(w, "archive");
    if (l->mbox.path != NULL) {
        mboxcheck_write_json(w, &l->mbox);
    } else {
        jsonw_null(w);
    }
    if (r->have_mm) {
        jsonw_key(w, "import");
        jsonw_object_begin(w);
        jsonw_key(w, "tried");
        jsonw_bool(w, l->import_tried);
        jsonw_key(w, "created");
        jsonw_bool(w, l->created);
        if (l->import_error != NULL) {
            jsonw_key(w, "error");
            jsonw_string(w, l->import_error);
        }
        json_strings(w, "messages", l->messages, l->n_messages);
        json_count(w, "addresses_checked", l->verify.addresses);
        json_count(w, "display_names_checked", l->verify.display_names);
        json_strings(w, "missing", l->verify.missing, l->verify.n_missing);
        json_strings(w, "wrong", l->verify.wrong, l->verify.n_wrong);
        jsonw_object_end(w);
    }
    jsonw_object_end(w);
}

/* report_json - report.json */
static void report_json(const struct run *r, struct strbuf *out)
{
    struct jsonw w;
    size_t i;

    jsonw_init(&w, out, false);
    jsonw_object_begin(&w);
    jsonw_key(&w, "var_prefix");
    jsonw_string(&w, r->env->install->var_prefix);
    jsonw_key(&w, "out");
    jsonw_string(&w, r->out);
    jsonw_key(&w, "dry_run");
    jsonw_bool(&w, r->opts->dry_run);
    if (r->have_mm) {
        jsonw_key(&w, "mailman");
        jsonw_string(&w, r->opts->mailman);
        if (r->mm_error != NULL) {
            jsonw_key(&w, "mailman_error");
            jsonw_string(&w, r->mm_error);
        }
    }
    jsonw_key(&w, "lists");
    jsonw_array_begin(&w);
    for (i = 0; i < r->n; i++) {
        json_list(r, &w, &r->lists[i]);
    }
    jsonw_array_end(&w);
    jsonw_object_end(&w);
    strbuf_addc(out, '\n');
}

/* text_notes - "  label: where: what" per note, at most max (then a count) */
static void text_notes(struct strbuf *out, const char *label, const struct mm3export_notes *n,
                       size_t max)
{
    size_t i;

    for (i = 0; i < n->len && i < max; i++) {
        strbuf_addf(out, "  %s: %s: %s\n", label, n->items[i].where, n->items[i].what);
    }
    if (n->len > max) {
        strbuf_addf(out, "  %s: %zu more (report.json)\n", label, n->len - max);
    }
}

/* text_list - one list's block of the text report */
static void text_list(const struct run *r, struct strbuf *out, const struct xlist *l)
{
    size_t i;

    if (l->rc != EXIT_OK && l->x.fqdn == NULL) {
        strbuf_addf(out, "%s: not exported: %s\n", l->name, l->error);
        return;
    }
    strbuf_addf(out, "%s -> %s (%s, %zu strings decoded)\n", l->name, l->x.fqdn,
                l->x.charset != NULL ? l->x.charset : "no charset", l->x.strings);
    if (l->rc != EXIT_OK) {
        strbuf_addf(out, "  not exported: %s\n", l->error);
    }
    strbuf_addf(out, "  %s %s/config.pck: %zu members, %zu digest members, %zu owners, "
                "%zu moderators\n", r->opts->dry_run ? "would write" : "wrote", l->name,
                l->x.members, l->x.digest_members, l->x.owners, l->x.moderators);
    if (l->site_list) {
        strbuf_adds(out, "  the site list (MAILMAN_SITE_LIST): Mailman 3 has none and needs "
                    "none; it is imported as an ordinary list\n");
    }
    if (l->unknown_language) {
        strbuf_adds(out, "  its preferred_language is in no language table: strings decoded "
                    "as UTF-8, else Latin-1\n");
    }
    for (i = 0; i < l->x.fallbacks.len && i < 10; i++) {
        strbuf_addf(out, "  decoded as %s%s%s: %s\n", l->x.fallbacks.items[i].what,
                    l->x.charset != NULL ? ", not " : "", l->x.charset != NULL
                    ? l->x.charset : "", l->x.fallbacks.items[i].where);
    }
    if (l->x.fallbacks.len > 10) {
        strbuf_addf(out, "  decoded with a fallback: %zu more (report.json)\n",
                    l->x.fallbacks.len - 10);
    }
    text_notes(out, "left out", &l->x.left_out, 20);
    if (l->x.passwords > 0) {
        strbuf_addf(out, "  not imported by Mailman 3: %zu member passwords\n", l->x.passwords);
    }
    if (l->x.topics > 0 || l->x.topic_interests > 0) {
        strbuf_addf(out, "  not used by Mailman 3: %zu topics, %zu members' topic choices\n",
                    l->x.topics, l->x.topic_interests);
    }
    for (i = 0; i < l->n_templates; i++) {
        strbuf_addf(out, "  not imported by Mailman 3: template %s\n", l->templates[i]);
    }
    text_notes(out, "non-member rule", &l->x.nonmember_rules, 20);
    text_notes(out, "header filter rule", &l->x.header_rules, 20);
    text_notes(out, "address", &l->x.refused, 20);
    if (l->digest_queue > 0) {
        strbuf_addf(out, "  not imported by Mailman 3: %lld bytes of a digest not yet sent "
                    "(lists/%s/digest.mbox)\n", l->digest_queue, l->name);
    }
    for (i = 0; i < l->req.n_held; i++) {
        const struct mm3list_held *h = &l->req.held[i];
        if (h->error == NULL) {
            strbuf_addf(out, "  held message %s -> %s/held/%s.eml\n", h->id, l->name, h->id);
        } else {
            strbuf_addf(out, "  held message %s: not exported: %s\n", h->id != NULL ? h->id
                        : "?", h->error);
        }
    }
    if (l->req.subscriptions + l->req.unsubscriptions + l->req.confirmations > 0) {
        strbuf_addf(out, "  requests: %zu held subscriptions, %zu held unsubscriptions, %zu "
                    "pending confirmations -> %s/requests.json\n", l->req.subscriptions,
                    l->req.unsubscriptions, l->req.confirmations, l->name);
    }
    if (l->req.error != NULL) {
        strbuf_addf(out, "  requests: %s\n", l->req.error);
    }
    if (l->mbox.path != NULL) {
        mboxcheck_write_text(out, &l->mbox, "  ");
    }
    if (l->import_tried) {
        if (l->import_error != NULL) {
            strbuf_addf(out, "  import FAILED: %s\n", l->import_error);
        } else {
            strbuf_addf(out, "  imported%s: %zu addresses and %zu display names checked, %zu "
                        "missing, %zu wrong\n", l->created ? " (list created)" : "",
                        l->verify.addresses, l->verify.display_names, l->verify.n_missing,
                        l->verify.n_wrong);
        }
        for (i = 0; i < l->n_messages; i++) {
            strbuf_addf(out, "  import21: %s\n", l->messages[i]);
        }
        for (i = 0; i < l->verify.n_missing; i++) {
            strbuf_addf(out, "  did not arrive: %s\n", l->verify.missing[i]);
        }
        for (i = 0; i < l->verify.n_wrong; i++) {
            strbuf_addf(out, "  arrived wrong: %s\n", l->verify.wrong[i]);
        }
    }
}

/* report_text - the text report */
static void report_text(const struct run *r, struct strbuf *out, size_t failed,
                        size_t losses)
{
    size_t i;

    for (i = 0; i < r->n; i++) {
        text_list(r, out, &r->lists[i]);
    }
    if (r->mm_error != NULL) {
        strbuf_addf(out, "Mailman 3: %s\n", r->mm_error);
    }
    strbuf_addf(out, "%s %s/import.sh, %s/report.json and report.txt\n",
                r->opts->dry_run ? "would write" : "wrote", r->out, r->out);
    strbuf_addf(out, "%zu list%s exported, %zu failed", r->n - failed, r->n - failed == 1
                ? "" : "s", failed);
    if (r->have_mm && r->mm_error != NULL && losses == 0) {
        strbuf_adds(out, "; the import was not checked (Mailman 3 failed)");
    } else if (r->have_mm) {
        strbuf_addf(out, "; %zu imported with something missing or wrong", losses);
    }
    strbuf_adds(out, r->opts->dry_run ? " (dry run: nothing written)\n" : "\n");
}

/* ---- the command ---- */

/* absolute_out - the export directory as an absolute path (it need not exist yet) */
static char *absolute_out(const char *dir)
{
    char cwd[PATH_MAX];

    if (dir[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL) {
        return xstrdup(dir);
    }
    return xasprintf("%s/%s", cwd, dir);
}

/* cmd_export_mm3 - the export-mm3 command */
int cmd_export_mm3(int argc, char **argv)
{
    struct cmd_opts opts;
    struct cmd_env env;
    struct run r;
    struct strbuf out = STRBUF_INIT;
    struct strbuf js = STRBUF_INIT;
    struct strbuf txt = STRBUF_INIT;
    struct progress prog;
    char **names = NULL;
    size_t n = 0;
    size_t failed = 0;
    size_t losses = 0;
    const char *err = NULL;
    int rc = cmd_parse("export-mm3", export_usage, argc, argv, &opts);
    size_t i;

    if (rc != 0) {
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (opts.out_dir == NULL || (opts.argc < 1 && !opts.all)) {
        cmd_error(NULL, "export-mm3: %s", opts.out_dir == NULL ? "--out DIR is required"
                  : "name the lists to export, or -a for all of them");
        fprintf(stderr, "usage: mmfix export-mm3 %s\n", export_usage);
        return EXIT_USAGE;
    }
    memset(&r, 0, sizeof(r));
    r.opts = &opts;
    r.env = &env;
    if (opts.mailman != NULL) {
        if (mapcmd_parse(opts.mailman, &r.mm, &err) != 0) {
            cmd_error(NULL, "export-mm3: --mailman: %s", err);
            return EXIT_USAGE;
        }
        r.have_mm = true;
    }
    rc = cmd_open(&opts, &env);
    if (rc != EXIT_OK) {
        mapcmd_free(&r.mm);
        return rc;
    }
    if (cmd_list_names(&opts, &env, &names, &n) != 0) {
        rc = EXIT_USAGE;
        goto out;
    }
    r.out = absolute_out(opts.out_dir);
    if (!opts.dry_run && make_dir(r.out, &err) != 0) {
        cmd_error(NULL, "export-mm3: %s", err);
        rc = EXIT_CANTCREAT;
        goto out;
    }
    r.lists = xcalloc(n ? n : 1, sizeof(*r.lists));
    r.n = n;
    progress_start(&prog, "exporting", n, !opts.quiet);
    for (i = 0; i < n; i++) {
        progress_update(&prog, i);
        r.lists[i].name = xstrdup(names[i]);
        export_one(&r, &r.lists[i]);
        if (r.lists[i].rc != EXIT_OK) {
            cmd_error(r.lists[i].name, "%s", r.lists[i].error);
        }
    }
    progress_done(&prog);
    if (r.have_mm && !opts.dry_run) {
        import_all(&r);
    }
    rc = EXIT_OK;
    for (i = 0; i < n; i++) {
        const struct xlist *l = &r.lists[i];
        if (l->rc != EXIT_OK) {
            failed++;
            rc = rc == EXIT_OK || l->rc < rc ? l->rc : rc;
        } else if (l->import_tried && (l->import_error != NULL || l->verify.n_missing > 0
                                       || l->verify.n_wrong > 0)) {
            losses++;
        }
    }
    if (rc == EXIT_OK && (losses > 0 || r.mm_error != NULL)) {
        rc = EXIT_CHANGES;
    }
    if (rc == EXIT_OK && opts.dry_run && failed < n) {
        rc = EXIT_CHANGES;
    }
    report_json(&r, &js);
    report_text(&r, &txt, failed, losses);
    if (!opts.dry_run) {
        struct strbuf sh = STRBUF_INIT;
        const struct {
            const char *name;
            const struct strbuf *data;
            mode_t mode;
        } files[] = {
            { "import.sh", &sh, 0755 }, { "report.json", &js, 0644 },
            { "report.txt", &txt, 0644 },
        };
        import_script(&r, &sh);
        for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
            char *p = xasprintf("%s/%s", r.out, files[i].name);
            if (write_file(p, files[i].data->buf, files[i].data->len, files[i].mode,
                           &err) != 0) {
                cmd_error(NULL, "export-mm3: %s", err);
                rc = EXIT_CANTCREAT;
            }
            free(p);
        }
        strbuf_release(&sh);
    }
    strbuf_add(&out, opts.json ? js.buf : txt.buf, opts.json ? js.len : txt.len);
    if (cmd_write(&out) != EXIT_OK && rc == EXIT_OK) {
        rc = EXIT_IOERR;
    }
out:
    for (i = 0; i < r.n; i++) {
        xlist_free(&r.lists[i]);
    }
    free(r.lists);
    free(r.out);
    free(r.mm_error);
    mapcmd_free(&r.mm);
    install_names_free(names, n);
    strbuf_release(&out);
    strbuf_release(&js);
    strbuf_release(&txt);
    cmd_close(&env);
    return rc;
}
