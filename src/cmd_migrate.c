/*
 * cmd_migrate - the night of the migration in one run: update, fix-url and
 * genaliases, one plan, one journaled run (one rollback), one report
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "mmfix/fixurl.h"
#include "mmfix/hosts.h"
#include "mmfix/install.h"
#include "mmfix/mlist.h"
#include "mmfix/plan.h"
#include "mmfix/value.h"
#include "mmfix/xalloc.h"

static const char migrate_usage[] =
    "[-n|--dry-run] [-d VAR_PREFIX] [--install-dir DIR] [--json] [--lock-timeout SECONDS]\n"
    "       [--journal FILE] [--url-host H] [--email-host E] [--rewrite-text OLD=NEW]...\n"
    "       [--postalias CMD] [--postmap CMD] [--postfix-config DIR] [-a|--all | LIST...]";

struct migrate_ctx {
    const struct cmd_opts *opts;
    struct cmd_update_steps us;
    struct hosts_target target;
    struct hosts_rewrite rw[CMD_MAX_REWRITE];
    struct fixurl_opts fo;      /* target and rewrites */
    bool fix;                   /* --url-host or --email-host: the fix-url step */
    char **names;               /* the host_name each planned list gets */
    char **hosts;
    size_t n;
    struct cmd_aliases *ga;
};

/* remember - the host_name the run gives list name (from its after tree) */
static void remember(struct migrate_ctx *mc, const char *name, struct value *config)
{
    struct value *h = config != NULL ? value_dict_get_str(NULL, config, "host_name") : NULL;

    mc->names = xreallocarray(mc->names, mc->n + 1, sizeof(char *));
    mc->hosts = xreallocarray(mc->hosts, mc->n + 1, sizeof(char *));
    mc->names[mc->n] = xstrdup(name);
    mc->hosts[mc->n] = value_is_str(h) ? xstrndup((const char *)h->u.str.data, h->u.str.len)
                                       : NULL;
    mc->n++;
}

/* host_for - what the alias step asks: the planned host of a list */
static bool host_for(void *ctx, const char *name, char **host_r)
{
    struct migrate_ctx *mc = ctx;
    size_t i;

    for (i = 0; i < mc->n; i++) {
        if (strcmp(mc->names[i], name) == 0) {
            *host_r = mc->hosts[i] != NULL ? xstrdup(mc->hosts[i]) : NULL;
            return true;
        }
    }
    return false;
}

/* has_write - the plan writes the list's config */
static bool has_write(const struct plan *p, size_t list)
{
    size_t i;

    for (i = 0; i < p->n_ops; i++) {
        if (p->ops[i].list == list && p->ops[i].action == PLAN_WRITE) {
            return true;
        }
    }
    return false;
}

/* plan_one - update's part of the list, then fix_url's on the same tree (or,
 * for a list update leaves alone, fix-url's own plan) */
static int plan_one(void *ctx, struct cmd_env *env, const char *name, struct plan *plan,
                    const char **error_r)
{
    struct migrate_ctx *mc = ctx;
    size_t first = plan->n_lists;

    if (cmd_update_plan_list(&mc->us, env, name, plan, error_r) != 0) {
        return -1;
    }
    if (plan->n_lists > first) {
        struct plan_list *l = &plan->lists[first];
        if (mc->fix && l->after != NULL) {
            char rel[4096];
            fixurl_plan_tree(env->site, &mc->fo, name, plan, first);
            plan_diff_list(plan, first);
            if (l->diff.len > 0 && !has_write(plan, first)) {
                snprintf(rel, sizeof(rel), "lists/%s/config.pck", name);
                plan_add_op(plan, PLAN_WRITE, rel, NULL, first, true);
            }
            fixurl_plan_templates(env->install, env->site, &mc->fo, name, plan, first);
        }
        remember(mc, name, plan->lists[first].after);
        return 0;
    }
    if (mc->fix) {
        if (fixurl_plan(env->install, env->site, &mc->fo, name, plan, error_r) != 0) {
            return -1;
        }
        if (plan->n_lists > first) {
            remember(mc, name, plan->lists[first].after);
        }
    }
    return 0;
}

/* plan_global - update's site-wide part, then the alias files of every list. The alias
 * step failing (the creator lock busy or not to be made, an alias file unreadable) stops
 * the run: migrate is one run, and lists moved to the new host without their aliases would
 * lose mail */
static int plan_global(void *ctx, struct cmd_env *env, struct plan *plan, const char **error_r)
{
    struct migrate_ctx *mc = ctx;
    size_t first = plan->n_ops;
    int rc;

    if (cmd_update_plan_global(&mc->us, env, plan, error_r) != 0) {
        return -1;
    }
    /* update's site files apart: what blocks them must not take the alias files along */
    cmd_drop_blocked(env, plan, first, NULL);
    rc = cmd_aliases_plan(mc->opts, env, host_for, mc, plan, &mc->ga);
    return rc == EXIT_OK ? 0 : rc;
}

/* after - the maps rebuilt and checked; the alias part of the report */
static int after(void *ctx, struct cmd_env *env, bool applied, int64_t run, struct strbuf *out)
{
    struct migrate_ctx *mc = ctx;
    struct strbuf part = STRBUF_INIT;
    int rc = EXIT_OK;

    if (mc->ga == NULL) {
        return EXIT_OK;
    }
    if (!mc->opts->dry_run) {
        rc = cmd_aliases_after(mc->opts, env, mc->ga);
    }
    cmd_aliases_report(mc->opts, mc->ga, applied, run, &part);
    if (mc->opts->json) {
        /* the plan's object gets an "aliases" member */
        while (out->len > 0 && (out->buf[out->len - 1] == '\n' || out->buf[out->len - 1] == '}')) {
            bool brace = out->buf[out->len - 1] == '}';
            out->len--;
            if (brace) {
                break;
            }
        }
        out->buf[out->len] = '\0';
        strbuf_adds(out, ",\n  \"aliases\": ");
        while (part.len > 0 && part.buf[part.len - 1] == '\n') {
            part.len--;
        }
        strbuf_add(out, part.buf != NULL ? part.buf : "", part.len);
        strbuf_adds(out, "\n}\n");
    } else {
        strbuf_adds(out, "\naliases:\n");
        strbuf_add(out, part.buf != NULL ? part.buf : "", part.len);
    }
    strbuf_release(&part);
    if (rc == EXIT_OK && cmd_aliases_errors(mc->ga) > 0) {
        rc = EXIT_DATAERR;
    }
    return rc;
}

/* cmd_migrate - the migrate command */
int cmd_migrate(int argc, char **argv)
{
    struct cmd_opts opts;
    struct cmd_env env;
    struct migrate_ctx mc;
    char **names = NULL;
    size_t n = 0;
    const char *err = NULL;
    size_t i;
    int rc;

    rc = cmd_parse("migrate", migrate_usage, argc, argv, &opts);
    if (rc != 0) {
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    }
    rc = cmd_open(&opts, &env);
    if (rc != EXIT_OK) {
        return rc;
    }
    memset(&mc, 0, sizeof(mc));
    mc.opts = &opts;
    mc.fo.target = &mc.target;
    mc.fo.rw = mc.rw;
    mc.fix = opts.url_host != NULL || opts.email_host != NULL;
    for (i = 0; i < opts.n_rewrite_text && rc == EXIT_OK; i++) {
        if (hosts_rewrite_parse(opts.rewrite_text[i], &mc.rw[mc.fo.n_rw], &err) != 0) {
            cmd_error(NULL, "migrate: %s", err);
            rc = EXIT_USAGE;
        } else {
            mc.fo.n_rw++;
        }
    }
    if (rc == EXIT_OK && opts.n_rewrite_text > 0 && !mc.fix) {
        cmd_error(NULL, "migrate: --rewrite-text goes with --url-host or --email-host");
        rc = EXIT_USAGE;
    }
    if (rc == EXIT_OK && mc.fix
        && hosts_target_make(env.site, opts.url_host, opts.email_host, &mc.target, &err) != 0) {
        cmd_error(NULL, "migrate: %s", err);
        rc = EXIT_USAGE;
    }
    if (rc == EXIT_OK) {
        rc = cmd_update_open(&opts, &env, &mc.us);
    }
    if (rc == EXIT_OK && cmd_list_names(&opts, &env, &names, &n) != 0) {
        rc = EXIT_NOINPUT;
    }
    if (rc == EXIT_OK) {
        env.read_ahead = MLIST_KEEP_MEMO;       /* update_plan's mlist_open */
        rc = cmd_run_steps(&opts, &env, names, n, "migrate", plan_one, plan_global, after, &mc);
    }
    for (i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
    for (i = 0; i < mc.n; i++) {
        free(mc.names[i]);
        free(mc.hosts[i]);
    }
    free(mc.names);
    free(mc.hosts);
    cmd_aliases_free(&mc.ga);
    if (mc.fix) {
        hosts_target_free(&mc.target);
    }
    for (i = 0; i < mc.fo.n_rw; i++) {
        hosts_rewrite_free(&mc.rw[i]);
    }
    cmd_update_close(&mc.us);
    cmd_close(&env);
    return rc;
}
