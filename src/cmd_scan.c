/*
 * cmd_scan - inventory of every list of an installation (SPEC §4, §6)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "mmfix/install.h"
#include "mmfix/jsonw.h"
#include "mmfix/mlist.h"
#include "mmfix/progress.h"
#include "mmfix/scan.h"
#include "mmfix/scanpool.h"
#include "mmfix/site.h"
#include "mmfix/xalloc.h"

static const char scan_usage[] =
    "[-d VAR_PREFIX] [--install-dir DIR] [--json] [-j WORKERS] [LIST...]";

static void scan_text(const struct cmd_env *env, struct scan_entry *entries, size_t n,
                      const struct problem_list *pl, size_t site_from, struct strbuf *out)
{
    size_t i;
    size_t members = 0;
    size_t digest = 0;

    strbuf_addf(out, "%-24s %-7s %5s %8s %7s %-6s %-12s %s\n", "LIST", "FILE", "DATA",
                "MEMBERS", "DIGEST", "LANG", "CHARSET", "HOST");
    for (i = 0; i < n; i++) {
        const struct scan_entry *e = &entries[i];
        char fmt[16];
        snprintf(fmt, sizeof(fmt), "%s/%d", e->format != NULL ? e->format : "-", e->protocol);
        if (e->file == NULL) {
            strbuf_addf(out, "%-24s %-7s (no file loads)\n", e->name, "-");
            continue;
        }
        strbuf_addf(out, "%-24s %-7s %5lld %8zu %7zu %-6s %-12s %s\n", e->name, fmt,
                    e->data_version, e->members, e->digest_members,
                    e->preferred_language != NULL ? e->preferred_language : "-",
                    e->charset != NULL ? e->charset : "-",
                    e->host_name != NULL ? e->host_name : "-");
        members += e->members;
        digest += e->digest_members;
    }
    if (pl->len > 0) {
        strbuf_adds(out, "\nproblems:\n");
        for (i = 0; i < pl->len; i++) {
            const struct problem *p = &pl->items[i];
            strbuf_addf(out, "  %-7s %s: %s: %s\n", problem_severity_name(p->severity),
                        p->list != NULL ? p->list : "(site)", p->code, p->message);
        }
    }
    strbuf_addf(out, "\n%zu lists, %zu members, %zu digest members, %zu problems "
                "(%zu errors)\n", n, members, digest, pl->len,
                problem_count_errors(pl, 0, pl->len));
    (void)env;
    (void)site_from;
}

/* pool_notes - what the worker pool could not do as asked, on stderr */
static void pool_notes(const struct scanpool_stats *st)
{
    const char *why = st->start_error[0] != '\0' ? st->start_error : "no reason given";

    if (st->jobs > 0 && st->started == 0) {
        cmd_error(NULL, "note: no scan worker could be started (%s); scanning in this "
                  "process", why);
    } else if (st->started < st->jobs) {
        cmd_error(NULL, "note: %u of %u scan workers started (%s)", st->started, st->jobs,
                  why);
    }
    if (st->died > 0) {
        cmd_error(NULL, "warning: %u scan worker%s died; %zu list%s scanned again",
                  st->died, st->died == 1 ? "" : "s", st->rescanned,
                  st->rescanned == 1 ? "" : "s");
    }
}

/* cmd_scan - the scan command */
int cmd_scan(int argc, char **argv)
{
    struct cmd_opts opts;
    struct cmd_env env;
    struct problem_list pl;
    struct scan_entry *entries = NULL;
    char **names = NULL;
    size_t n = 0;
    size_t i;
    size_t site_from;
    struct strbuf out = STRBUF_INIT;
    struct progress prog;
    struct scanpool_stats pool_stats;
    const char *err = NULL;
    bool unloadable = false;
    bool failed = false;
    int rc;

    rc = cmd_parse("scan", scan_usage, argc, argv, &opts);
    if (rc != 0) {
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    }
    rc = cmd_open(&opts, &env);
    if (rc != EXIT_OK) {
        return rc;
    }
    problem_list_init(&pl);
    if (cmd_list_names(&opts, &env, &names, &n) != 0) {
        cmd_close(&env);
        return EXIT_NOINPUT;
    }
    entries = xcalloc(n + 1, sizeof(*entries));
    progress_start(&prog, "scanning", n, !opts.quiet);
    if (scanpool_run(env.install, env.site, names, n,
                     opts.jobs != 0 ? opts.jobs : scanpool_default_jobs(), &prog, entries, &pl,
                     &unloadable, &pool_stats, &err) != 0) {
        failed = true;
    }
    progress_done(&prog);
    pool_notes(&pool_stats);
    if (failed) {
        cmd_error(NULL, "%s", err);
    }
    site_from = pl.len;
    scan_site_problems(env.install, env.site, (const char *const *)names, n, &pl);
    if (opts.argc == 0) {
        scan_outside_problems(env.install, &pl);
    }

    if (opts.json) {
        struct jsonw w;
        jsonw_init(&w, &out, false);
        jsonw_object_begin(&w);
        jsonw_key(&w, "var_prefix");
        jsonw_string(&w, env.install->var_prefix);
        jsonw_key(&w, "install_dir");
        jsonw_string(&w, env.install->install_dir);
        jsonw_key(&w, "lists");
        jsonw_array_begin(&w);
        for (i = 0; i < n; i++) {
            scan_entry_write_json(&w, &entries[i], &pl);
        }
        jsonw_array_end(&w);
        jsonw_key(&w, "problems");
        problem_write_json(&w, &pl, site_from, pl.len);
        jsonw_object_end(&w);
    } else {
        scan_text(&env, entries, n, &pl, site_from, &out);
    }
    rc = cmd_write(&out);
    if (rc == EXIT_OK) {
        rc = failed ? EXIT_SOFTWARE : unloadable ? EXIT_DATAERR
             : pl.len > 0 ? EXIT_CHANGES : EXIT_OK;
    }
    strbuf_release(&out);
    for (i = 0; i < n; i++) {
        scan_entry_free(&entries[i]);
        free(names[i]);
    }
    free(entries);
    free(names);
    problem_list_free(&pl);
    cmd_close(&env);
    return rc;
}
