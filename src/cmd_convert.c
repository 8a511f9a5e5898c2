/*
 * cmd_convert - file to file between config.db, config.pck and typed JSON
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "mmfix/apply.h"
#include "mmfix/atomic.h"
#include "mmfix/charset.h"
#include "mmfix/datafile.h"
#include "mmfix/errstr.h"
#include "mmfix/install.h"
#include "mmfix/lockset.h"
#include "mmfix/mlist.h"
#include "mmfix/pickle.h"
#include "mmfix/plan.h"
#include "mmfix/scan.h"
#include "mmfix/site.h"
#include "mmfix/sigstop.h"
#include "mmfix/sysname.h"
#include "mmfix/tjson.h"
#include "mmfix/xalloc.h"

static const char convert_usage[] =
    "[-n|--dry-run] [--from db|pck|json] [--to pck|json] [--charset CS] [--install-dir DIR]\n"
    "       [--lock-timeout SECONDS] [--journal FILE] IN OUT|-";

struct convert_ctx {
    const char *in;
    size_t undecodable;
};

static void convert_undecodable(void *ctx, const char *path, size_t offset)
{
    struct convert_ctx *cc = ctx;

    cc->undecodable++;
    cmd_error(cc->in, "%s: byte at offset %zu does not decode; kept as $bytes", path, offset);
}

/* list_name_for - the list a config file belongs to: its directory's name */
static char *list_name_for(const char *path)
{
    char *copy = xstrdup(path);
    char *slash = strrchr(copy, '/');
    char *name = NULL;

    if (slash == NULL) {
        free(copy);
        return xstrdup("");
    }
    *slash = '\0';
    slash = strrchr(copy, '/');
    name = xstrdup(slash != NULL ? slash + 1 : copy);
    free(copy);
    return name;
}

/* fallback_hint - for a list file that does not load, the next of
 * Mailman's four files that exists beside it ("" if none or not a list file) */
static const char *fallback_hint(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash != NULL ? slash + 1 : path;
    size_t dirlen = slash != NULL ? (size_t)(slash - path) : 0;
    int i;
    int at = -1;

    for (i = 0; i < MLIST_NFILES; i++) {
        if (strcmp(base, mlist_file_names[i]) == 0) {
            at = i;
        }
    }
    if (at < 0) {
        return "";
    }
    for (i = at + 1; i < MLIST_NFILES; i++) {
        char *cand = xasprintf("%.*s%s%s", (int)dirlen, path, slash != NULL ? "/" : "",
                               mlist_file_names[i]);
        bool exists = access(cand, F_OK) == 0;
        free(cand);
        if (exists) {
            return errstr("; Mailman 2.1.39 would fall back to %s", mlist_file_names[i]);
        }
    }
    return "; no fallback file beside it: Mailman gives up on this list";
}

/* absolute - path made absolute (lexically), NULL when the current
 * directory cannot be told */
static char *absolute(const char *path)
{
    char cwd[4096];

    if (path[0] == '/') {
        return xstrdup(path);
    }
    if (getcwd(cwd, sizeof(cwd)) == NULL) {
        cmd_error(NULL, "%s: cannot tell the current directory: %s", path, strerror(errno));
        return NULL;
    }
    return xasprintf("%s/%s", cwd, path);
}

/* base_name - the last component of path */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash != NULL ? slash + 1 : path;
}

struct list_target {
    char *var_prefix;      /* the installation OUT is in */
    char *list;            /* the list whose directory holds it */
    char *rel;             /* lists/<list>/<file> */
};

/* in_list_dir - dir is <var>/lists/<list>: fill t */
static bool in_list_dir(const char *dir, const char *file, struct list_target *t)
{
    char *lists = sysname_dir(dir);
    bool yes = strcmp(base_name(lists), "lists") == 0 && base_name(dir)[0] != '\0'
               && strcmp(base_name(dir), ".") != 0 && strcmp(base_name(dir), "..") != 0;

    if (yes) {
        t->var_prefix = sysname_dir(lists);
        t->list = xstrdup(base_name(dir));
        t->rel = xasprintf("lists/%s/%s", t->list, file);
    }
    free(lists);
    return yes;
}

/* list_target_of - OUT is a file in a list's directory of an installation
 * (<var>/lists/<list>/<file>, by its path or by its real path) */
static bool list_target_of(const char *abs, struct list_target *t)
{
    char *dir = sysname_dir(abs);
    char *real = realpath(dir, NULL);
    bool yes = (real != NULL && in_list_dir(real, base_name(abs), t))
               || in_list_dir(dir, base_name(abs), t);

    free(real);
    free(dir);
    return yes;
}

static void list_target_free(struct list_target *t)
{
    free(t->var_prefix);
    free(t->list);
    free(t->rel);
}

/* write_out - the output file, saved the way list files are saved (temp
 * file, fsync, rename; a new file is 0660: list data holds passwords), or
 * stdout for "-" */
static int write_out(const char *path, const struct strbuf *sb)
{
    char *abs = NULL;
    char *dir = NULL;
    const char *err = NULL;
    int rc = EXIT_OK;

    if (strcmp(path, "-") == 0) {
        return cmd_write(sb);
    }
    abs = absolute(path);
    if (abs == NULL) {
        return EXIT_CANTCREAT;
    }
    dir = sysname_dir(abs);
    if (atomic_save(dir, abs, sb->buf != NULL ? sb->buf : "", sb->len, false, &err) != 0) {
        cmd_error(NULL, "%s", err);
        rc = EXIT_CANTCREAT;
    }
    free(dir);
    free(abs);
    return rc;
}

struct convert_job {
    const struct cmd_opts *opts;
    const char *in;
    enum datafile_format from;
    enum datafile_format to;
    struct site_settings *site;
};

/* convert_bytes - load IN and encode it as OUT's format into out; EXIT_OK or an exit code
 * after a message */
static int convert_bytes(const struct convert_job *cj, struct strbuf *out)
{
    struct value_arena *arena = value_arena_new();
    struct value *root = NULL;
    struct datafile_info info;
    enum load_error kind = LOAD_OK;
    const char *err = NULL;
    const char *charset = NULL;
    char *list = NULL;
    int rc = EXIT_OK;

    if (datafile_load(cj->in, cj->from, cj->to == DATAFILE_PICKLE ? DATAFILE_KEEP_MEMO : 0,
                      NULL, cj->opts->charset, arena, &root, &info, &kind, &err) != 0) {
        cmd_error(cj->in, "%s%s%s", err, kind == LOAD_REFUSED ? " (nothing was run)" : "",
                  kind == LOAD_CORRUPT || kind == LOAD_REFUSED ? fallback_hint(cj->in) : "");
        rc = cmd_exit_for_load(kind);
        goto out;
    }
    list = info.list != NULL ? xstrdup(info.list) : list_name_for(cj->in);
    charset = cj->opts->charset;
    if (charset == NULL && info.charset != NULL) {
        charset = info.charset;
    }
    if (charset == NULL && root->type == VALUE_DICT) {
        charset = scan_config_charset(cj->site, root);
    }
    if (cj->to == DATAFILE_PICKLE) {
        if (pickle_write(out, root, &err) != 0) {
            cmd_error(cj->in, "cannot write a pickle: %s", err);
            rc = EXIT_DATAERR;
        }
    } else {
        struct convert_ctx cc = { cj->in, 0 };
        struct tjson_writer_opts wo;
        memset(&wo, 0, sizeof(wo));
        wo.charset = charset != NULL ? charset : "us-ascii";
        wo.undecodable = convert_undecodable;
        wo.ctx = &cc;
        tjson_write_document(out, list, root, &wo);
    }
out:
    free(list);
    value_arena_free(&arena);
    return rc;
}

/* convert_into_list - OUT is a file of a list in an installation: the
 * list's lock first, IN read under it, OUT saved with .last (config.pck)
 * and journaled like every other write */
static int convert_into_list(const struct convert_job *cj, const struct list_target *t)
{
    struct cmd_opts o = *cj->opts;
    struct cmd_env env;
    struct lockset *locks = NULL;
    struct strbuf data = STRBUF_INIT;
    struct strbuf rep = STRBUF_INIT;
    struct plan plan;
    struct apply_opts ao = { cj->opts->lock_timeout_ms, "convert" };
    char *names[1];
    bool dirs_pending = false;
    int64_t run = 0;
    size_t i;
    int rc;

    o.var_prefix = t->var_prefix;
    o.quiet = true;
    rc = cmd_open(&o, &env);
    if (rc != EXIT_OK) {
        return rc;
    }
    plan_init(&plan, env.install->var_prefix);
    names[0] = t->list;
    rc = cmd_prepare(&o, &env, &plan.notes, &dirs_pending);
    for (i = 0; i < plan.notes.len; i++) {
        cmd_error(NULL, "note: %s", plan.notes.items[i].message);
    }
    if (rc == EXIT_OK && !o.dry_run) {
        rc = cmd_lock_lists(&o, &env, names, 1, &locks);
    }
    if (rc != EXIT_OK) {
        goto out;
    }
    rc = convert_bytes(cj, &data);
    if (rc != EXIT_OK) {
        goto out;
    }
    plan_add_put(&plan, t->rel, data.buf != NULL ? data.buf : "", data.len, PLAN_NO_LIST,
                 strcmp(base_name(t->rel), "config.pck") == 0);
    if (o.dry_run) {
        strbuf_addf(&rep, "would write %s in %s (%zu bytes, under the list's lock, "
                    "journaled)%s\n", t->rel, env.install->var_prefix, data.len,
                    plan.ops[0].make_last ? "; the current file kept as config.pck.last" : "");
        rc = cmd_write(&rep);
        if (rc == EXIT_OK) {
            rc = EXIT_CHANGES;
        }
        goto out;
    }
    rc = cmd_apply(&o, &plan, &env, &locks, &ao, &run);
    if (rc == EXIT_OK) {
        strbuf_addf(&rep, "wrote %s in %s%s; journal: run %lld (mmfix rollback %lld undoes "
                    "it)\n", t->rel, env.install->var_prefix,
                    plan.ops[0].make_last ? " (the previous file is config.pck.last)" : "",
                    (long long)run, (long long)run);
        rc = cmd_write(&rep);
    }
    if (rc == EXIT_OK && sigstop_pending() != 0) {
        cmd_error(NULL, "%s came after the file was written: it is kept", sigstop_name());
        rc = sigstop_exit_code();
    }
out:
    cmd_release_locks(&locks);
    strbuf_release(&data);
    strbuf_release(&rep);
    plan_free(&plan);
    cmd_close(&env);
    return rc;
}

/* cmd_convert - the convert command */
int cmd_convert(int argc, char **argv)
{
    struct cmd_opts opts;
    struct convert_job cj;
    struct list_target target;
    struct strbuf out = STRBUF_INIT;
    const char *err = NULL;
    const char *outpath = NULL;
    char *abs = NULL;
    int rc;

    rc = cmd_parse("convert", convert_usage, argc, argv, &opts);
    if (rc != 0) {
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (opts.argc != 2) {
        cmd_error(NULL, "convert: give an input and an output file");
        fprintf(stderr, "usage: mmfix convert %s\n", convert_usage);
        return EXIT_USAGE;
    }
    memset(&cj, 0, sizeof(cj));
    memset(&target, 0, sizeof(target));
    cj.opts = &opts;
    cj.in = opts.argv[0];
    outpath = opts.argv[1];
    cj.from = opts.from != NULL ? datafile_format_parse(opts.from) : datafile_format_for(cj.in);
    cj.to = opts.to != NULL ? datafile_format_parse(opts.to)
            : strcmp(outpath, "-") == 0 ? DATAFILE_JSON : datafile_format_for(outpath);
    if (cj.from == DATAFILE_UNKNOWN || cj.to == DATAFILE_UNKNOWN) {
        cmd_error(NULL, "convert: cannot tell the %s format from its name; say --%s "
                  "db|pck|json", cj.from == DATAFILE_UNKNOWN ? "input" : "output",
                  cj.from == DATAFILE_UNKNOWN ? "from" : "to");
        return EXIT_USAGE;
    }
    if (cj.to == DATAFILE_MARSHAL) {
        cmd_error(NULL, "convert: mmfix does not write Mailman 2.0 config.db files; "
                  "write config.pck (Mailman 2.1 reads it) or typed JSON");
        return EXIT_USAGE;
    }
    if (opts.charset != NULL && !charset_known(opts.charset)) {
        cmd_error(NULL, "convert: unknown charset '%s'", opts.charset);
        return EXIT_USAGE;
    }
    if (opts.install_dir != NULL) {
        if (site_load(opts.install_dir, &cj.site, &err) != 0) {
            cmd_error(NULL, "site settings: %s", err);
            return EXIT_DATAERR;
        }
    }
    if (strcmp(outpath, "-") != 0) {
        abs = absolute(outpath);
        if (abs == NULL) {
            rc = EXIT_CANTCREAT;
            goto out;
        }
        if (list_target_of(abs, &target)) {
            rc = convert_into_list(&cj, &target);
            goto out;
        }
    }
    if (opts.dry_run) {
        rc = convert_bytes(&cj, &out);
        if (rc == EXIT_OK) {
            printf("would write %s (%zu bytes)\n", outpath, out.len);
            rc = EXIT_CHANGES;
        }
        goto out;
    }
    rc = convert_bytes(&cj, &out);
    if (rc == EXIT_OK) {
        rc = write_out(outpath, &out);
    }
out:
    list_target_free(&target);
    free(abs);
    strbuf_release(&out);
    site_free(&cj.site);
    return rc;
}
