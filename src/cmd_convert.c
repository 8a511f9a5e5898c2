/*
 * cmd_convert - file to file between config.db, config.pck and typed JSON
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "mmfix/atomic.h"
#include "mmfix/charset.h"
#include "mmfix/datafile.h"
#include "mmfix/errstr.h"
#include "mmfix/mlist.h"
#include "mmfix/pickle.h"
#include "mmfix/scan.h"
#include "mmfix/site.h"
#include "mmfix/sysname.h"
#include "mmfix/tjson.h"
#include "mmfix/xalloc.h"

static const char convert_usage[] =
    "[--from db|pck|json] [--to pck|json] [--charset CS] [--install-dir DIR] IN OUT|-";

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

/* write_out - the output file, saved the way list files are saved (temp
 * file, fsync, rename; a new file is 0660: list data holds passwords), or
 * stdout for "-" */
static int write_out(const char *path, const struct strbuf *sb)
{
    char cwd[4096];
    char *abs = NULL;
    char *dir = NULL;
    const char *err = NULL;
    int rc = EXIT_OK;

    if (strcmp(path, "-") == 0) {
        return cmd_write(sb);
    }
    if (path[0] == '/') {
        abs = xstrdup(path);
    } else if (getcwd(cwd, sizeof(cwd)) != NULL) {
        abs = xasprintf("%s/%s", cwd, path);
    } else {
        cmd_error(NULL, "%s: cannot tell the current directory: %s", path, strerror(errno));
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

/* cmd_convert - the convert command */
int cmd_convert(int argc, char **argv)
{
    struct cmd_opts opts;
    struct site_settings *site = NULL;
    struct value_arena *arena = NULL;
    struct value *root = NULL;
    struct datafile_info info;
    struct strbuf out = STRBUF_INIT;
    enum datafile_format from;
    enum datafile_format to;
    enum load_error kind = LOAD_OK;
    const char *err = NULL;
    const char *in = NULL;
    const char *outpath = NULL;
    const char *charset = NULL;
    char *list = NULL;
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
    in = opts.argv[0];
    outpath = opts.argv[1];
    from = opts.from != NULL ? datafile_format_parse(opts.from) : datafile_format_for(in);
    to = opts.to != NULL ? datafile_format_parse(opts.to)
         : strcmp(outpath, "-") == 0 ? DATAFILE_JSON : datafile_format_for(outpath);
    if (from == DATAFILE_UNKNOWN || to == DATAFILE_UNKNOWN) {
        cmd_error(NULL, "convert: cannot tell the %s format from its name; say --%s "
                  "db|pck|json", from == DATAFILE_UNKNOWN ? "input" : "output",
                  from == DATAFILE_UNKNOWN ? "from" : "to");
        return EXIT_USAGE;
    }
    if (to == DATAFILE_MARSHAL) {
        cmd_error(NULL, "convert: mmfix does not write Mailman 2.0 config.db files; "
                  "write config.pck (Mailman 2.1 reads it) or typed JSON");
        return EXIT_USAGE;
    }
    if (opts.charset != NULL && !charset_known(opts.charset)) {
        cmd_error(NULL, "convert: unknown charset '%s'", opts.charset);
        return EXIT_USAGE;
    }
    if (opts.install_dir != NULL) {
        if (site_load(opts.install_dir, &site, &err) != 0) {
            cmd_error(NULL, "site settings: %s", err);
            return EXIT_DATAERR;
        }
    }
    arena = value_arena_new();
    if (datafile_load(in, from, to == DATAFILE_PICKLE ? DATAFILE_KEEP_MEMO : 0, NULL,
                      opts.charset, arena, &root, &info, &kind, &err) != 0) {
        cmd_error(in, "%s%s%s", err, kind == LOAD_REFUSED ? " (nothing was run)" : "",
                  kind == LOAD_CORRUPT || kind == LOAD_REFUSED ? fallback_hint(in) : "");
        rc = cmd_exit_for_load(kind);
        goto out;
    }
    list = info.list != NULL ? xstrdup(info.list) : list_name_for(in);
    charset = opts.charset;
    if (charset == NULL && info.charset != NULL) {
        charset = info.charset;
    }
    if (charset == NULL && root->type == VALUE_DICT) {
        charset = scan_language_charset(site,
                                        value_dict_get_str(arena, root, "preferred_language"));
    }
    if (to == DATAFILE_PICKLE) {
        if (pickle_write(&out, root, &err) != 0) {
            cmd_error(in, "cannot write a pickle: %s", err);
            rc = EXIT_DATAERR;
            goto out;
        }
    } else {
        struct convert_ctx cc = { in, 0 };
        struct tjson_writer_opts wo;
        memset(&wo, 0, sizeof(wo));
        wo.charset = charset != NULL ? charset : "us-ascii";
        wo.undecodable = convert_undecodable;
        wo.ctx = &cc;
        tjson_write_document(&out, list, root, &wo);
    }
    rc = write_out(outpath, &out);
out:
    free(list);
    strbuf_release(&out);
    value_arena_free(&arena);
    site_free(&site);
    return rc;
}
