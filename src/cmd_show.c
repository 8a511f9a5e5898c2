/*
 * cmd_show - the decoded configuration of one list (SPEC §4)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "mmfix/install.h"
#include "mmfix/mlist.h"
#include "mmfix/repr.h"
#include "mmfix/scan.h"
#include "mmfix/tjson.h"
#include "mmfix/value.h"
#include "mmfix/xalloc.h"

static const char show_usage[] = "[-d VAR_PREFIX] [--json] [--attr NAME] [--charset CS] LIST";

struct show_ctx {
    const char *list;
    size_t undecodable;
};

static void show_undecodable(void *ctx, const char *path, size_t offset)
{
    struct show_ctx *sc = ctx;

    sc->undecodable++;
    cmd_error(sc->list, "%s: byte at offset %zu does not decode; kept as $bytes", path, offset);
}

static int cmp_keys(const void *a, const void *b)
{
    const struct value_pair *pa = *(const struct value_pair *const *)a;
    const struct value_pair *pb = *(const struct value_pair *const *)b;
    size_t n = pa->key->u.str.len < pb->key->u.str.len ? pa->key->u.str.len
                                                        : pb->key->u.str.len;
    int c = memcmp(pa->key->u.str.data, pb->key->u.str.data, n);

    if (c != 0) {
        return c;
    }
    return pa->key->u.str.len < pb->key->u.str.len ? -1
           : pa->key->u.str.len > pb->key->u.str.len;
}

/* show_text - one `name = repr` line per attribute, sorted like dumpdb */
static void show_text(const struct value *config, struct strbuf *out)
{
    const struct value_pair **sorted = NULL;
    size_t n = config->u.dict.len;
    size_t i;

    sorted = xcalloc(n + 1, sizeof(*sorted));
    for (i = 0; i < n; i++) {
        sorted[i] = &config->u.dict.items[i];
    }
    for (i = 0; i < n && value_is_str(sorted[i]->key); i++) {
    }
    if (i == n) {
        qsort(sorted, n, sizeof(*sorted), cmp_keys);
    }
    for (i = 0; i < n; i++) {
        if (value_is_str(sorted[i]->key)) {
            strbuf_add(out, sorted[i]->key->u.str.data, sorted[i]->key->u.str.len);
        } else {
            repr_value(out, sorted[i]->key);
        }
        strbuf_add(out, " = ", 3);
        repr_value(out, sorted[i]->val);
        strbuf_addc(out, '\n');
    }
    free(sorted);
}

/* cmd_show - the show command */
int cmd_show(int argc, char **argv)
{
    struct cmd_opts opts;
    struct cmd_env env;
    struct mlist *ml = NULL;
    struct strbuf out = STRBUF_INIT;
    const struct mlist_file *used = NULL;
    struct value *config = NULL;
    const char *err = NULL;
    const char *name = NULL;
    int rc;
    int i;

    rc = cmd_parse("show", show_usage, argc, argv, &opts);
    if (rc != 0) {
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (opts.argc != 1) {
        cmd_error(NULL, "show: name exactly one list");
        fprintf(stderr, "usage: mmfix show %s\n", show_usage);
        return EXIT_USAGE;
    }
    name = opts.argv[0];
    rc = cmd_open(&opts, &env);
    if (rc != EXIT_OK) {
        return rc;
    }
    if (mlist_open(env.install->lists_dir, name, 0, NULL, &ml, &err) != 0) {
        cmd_error(name, "no such list (%s)", err);
        rc = EXIT_NOINPUT;
        goto out;
    }
    for (i = 0; i < MLIST_NFILES; i++) {
        const struct mlist_file *f = &ml->files[i];
        if (!f->tried || f->status == LOAD_OK || f->status == LOAD_MISSING) {
            continue;
        }
        if (f->status == LOAD_REFUSED) {
            cmd_error(name, "%s refused: %s. Nothing was run. Mailman itself would run it: "
                      "take the list out of service%s%s.", f->name, f->error,
                      ml->loaded >= 0 ? "; the fallback that loads is " : "",
                      ml->loaded >= 0 ? ml->files[ml->loaded].name : "");
            rc = EXIT_DATAERR;
            goto out;
        }
        /* a file after the one that loads (only a non-regular one is
         * looked at there) is no reason to fall back */
        cmd_error(name, "%s: %s%s%s", f->name, f->error,
                  ml->loaded > i ? "; showing the fallback Mailman would use, "
                  : ml->loaded >= 0 ? "; showing " : "",
                  ml->loaded >= 0 ? ml->files[ml->loaded].name : "");
    }
    used = mlist_loaded_file(ml);
    if (used == NULL) {
        bool any = false;
        for (i = 0; i < MLIST_NFILES; i++) {
            any = any || ml->files[i].present;
        }
        cmd_error(name, any ? "no file of this list loads" : "no such list");
        rc = any ? EXIT_DATAERR : EXIT_NOINPUT;
        goto out;
    }
    config = ml->config;
    if (opts.attr != NULL) {
        struct value *v = mlist_get(ml, opts.attr);
        if (v == NULL) {
            cmd_error(name, "no attribute '%s'", opts.attr);
            rc = EXIT_NOINPUT;
            goto out;
        }
        config = value_new_dict(ml->arena, 1);
        value_dict_set(ml->arena, config, value_new_bytes(ml->arena, opts.attr,
                                                          strlen(opts.attr)), v);
    }
    if (opts.json) {
        struct show_ctx sc = { name, 0 };
        struct tjson_writer_opts wo;
        memset(&wo, 0, sizeof(wo));
        wo.charset = opts.charset != NULL ? opts.charset : scan_list_charset(env.site, ml);
        wo.undecodable = show_undecodable;
        wo.ctx = &sc;
        tjson_write_document(&out, name, config, &wo);
    } else if (opts.attr != NULL) {
        repr_value(&out, mlist_get(ml, opts.attr));
        strbuf_addc(&out, '\n');
    } else {
        show_text(config, &out);
    }
    rc = cmd_write(&out);
out:
    strbuf_release(&out);
    mlist_free(&ml);
    cmd_close(&env);
    return rc;
}
