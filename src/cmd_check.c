/*
 * cmd_check - read all four files of each list; say which load and which
 * one Mailman would use (SPEC §4, check --json shape in §8)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "mmfix/install.h"
#include "mmfix/jsonw.h"
#include "mmfix/mlist.h"
#include "mmfix/progress.h"
#include "mmfix/xalloc.h"

static const char check_usage[] = "[-d VAR_PREFIX] [--json] [LIST...]";

static const char *file_status(const struct mlist_file *f)
{
    if (!f->present) {
        return "missing";
    }
    switch (f->status) {
    case LOAD_OK: return "ok";
    case LOAD_MISSING: return "missing";
    case LOAD_REFUSED: return "refused";
    default: return "corrupt";
    }
}

/* cmd_check - the check command */
int cmd_check(int argc, char **argv)
{
    struct cmd_opts opts;
    struct cmd_env env;
    struct strbuf out = STRBUF_INIT;
    struct jsonw w;
    struct progress prog;
    char **names = NULL;
    size_t n = 0;
    size_t i;
    size_t bad_files = 0;
    size_t dead_lists = 0;
    const char *err = NULL;
    int rc;
    int k;

    rc = cmd_parse("check", check_usage, argc, argv, &opts);
    if (rc != 0) {
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    }
    rc = cmd_open(&opts, &env);
    if (rc != EXIT_OK) {
        return rc;
    }
    if (cmd_list_names(&opts, &env, &names, &n) != 0) {
        cmd_close(&env);
        return EXIT_NOINPUT;
    }
    if (opts.json) {
        jsonw_init(&w, &out, false);
        jsonw_object_begin(&w);
        jsonw_key(&w, "lists");
        jsonw_array_begin(&w);
    }
    progress_start(&prog, "checking", n, !opts.quiet);
    for (i = 0; i < n; i++) {
        struct mlist *ml = NULL;
        const char *loads = NULL;

        progress_update(&prog, i);
        if (mlist_open(env.install->lists_dir, names[i], MLIST_ALL_FILES, NULL, &ml, &err) != 0) {
            cmd_error(names[i], "%s", err);
            dead_lists++;
            continue;
        }
        loads = ml->loaded >= 0 ? ml->files[ml->loaded].name : NULL;
        dead_lists += ml->loaded < 0;
        if (opts.json) {
            jsonw_object_begin(&w);
            jsonw_key(&w, "name");
            jsonw_string(&w, ml->name);
            jsonw_key(&w, "files");
            jsonw_array_begin(&w);
        } else {
            strbuf_addf(&out, "%s:\n", ml->name);
        }
        for (k = 0; k < MLIST_NFILES; k++) {
            const struct mlist_file *f = &ml->files[k];
            const char *st = file_status(f);
            bad_files += f->present && f->status != LOAD_OK;
            if (opts.json) {
                jsonw_object_begin(&w);
                jsonw_key(&w, "path");
                jsonw_string(&w, f->name);
                jsonw_key(&w, "status");
                jsonw_string(&w, st);
                if (f->present && f->status == LOAD_OK) {
                    jsonw_key(&w, "protocol");
                    jsonw_int(&w, f->protocol);
                }
                if (f->error != NULL && f->present) {
                    jsonw_key(&w, "error");
                    jsonw_string(&w, f->error);
                }
                jsonw_object_end(&w);
            } else {
                strbuf_addf(&out, "  %-16s %-8s%s%s%s\n", f->name, st,
                            f->error != NULL && f->present ? " " : "",
                            f->error != NULL && f->present ? f->error : "",
                            loads != NULL && strcmp(loads, f->name) == 0
                                ? "  <- Mailman loads this one" : "");
            }
        }
        if (opts.json) {
            jsonw_array_end(&w);
            jsonw_key(&w, "loads_from");
            jsonw_string(&w, loads);
            jsonw_object_end(&w);
        } else if (loads == NULL) {
            strbuf_adds(&out, "  no file loads: Mailman gives up on this list\n");
        }
        mlist_free(&ml);
    }
    progress_done(&prog);
    if (opts.json) {
        jsonw_array_end(&w);
        jsonw_object_end(&w);
    } else {
        strbuf_addf(&out, "\n%zu lists, %zu files that do not load, %zu lists with no "
                    "loadable file\n", n, bad_files, dead_lists);
    }
    rc = cmd_write(&out);
    if (rc == EXIT_OK) {
        rc = dead_lists > 0 ? EXIT_DATAERR : bad_files > 0 ? EXIT_CHANGES : EXIT_OK;
    }
    strbuf_release(&out);
    for (i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
    cmd_close(&env);
    return rc;
}
