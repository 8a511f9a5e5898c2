/*
 * cmd_check_postfix - read Postfix's main.cf (or `postconf -n`) and say what will lose list
 * mail: list domains Postfix does not take, alias maps without Mailman's files, 2.0 wrapper
 * pipes left in an aliases file, a '-' recipient delimiter (SPEC §4)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmd.h"
#include "mmfix/aliases.h"
#include "mmfix/fileread.h"
#include "mmfix/install.h"
#include "mmfix/jsonw.h"
#include "mmfix/mapcmd.h"
#include "mmfix/mlist.h"
#include "mmfix/postfix.h"
#include "mmfix/problem.h"
#include "mmfix/site.h"
#include "mmfix/xalloc.h"

static const char check_postfix_usage[] =
    "[-d VAR_PREFIX] [--install-dir DIR] [--json] [--aliases FILE] [MAIN_CF]";

#define DEFAULT_MAIN_CF "/etc/postfix/main.cf"
#define CONF_MAX ((size_t)16 * 1024 * 1024)

/* a mail domain of the lists, with the first list that uses it */
struct domain {
    char *name;         /* lower case */
    char *list;
    size_t n_lists;
    bool virt;          /* in POSTFIX_STYLE_VIRTUAL_DOMAINS */
};

struct check {
    struct postfix_conf conf;
    char *source;               /* what was read */
    struct domain *domains;
    size_t n_domains;
    size_t n_lists;
    char *mm_aliases[2];        /* the Mailman alias file as the var prefix and the site name it */
    char *mm_virtual[2];
    struct problem_list findings;
    struct problem_list notes;
};

/* add_domain - count a list under its host */
static void add_domain(struct check *c, const struct site_settings *site, const char *host,
                       const char *list)
{
    struct aliases_site as;
    char *d = aliases_lower(host);
    size_t i;

    for (i = 0; i < c->n_domains; i++) {
        if (strcmp(c->domains[i].name, d) == 0) {
            c->domains[i].n_lists++;
            free(d);
            return;
        }
    }
    memset(&as, 0, sizeof(as));
    as.virtual_domains = site->postfix_style_virtual_domains;
    as.n_virtual_domains = site->n_postfix_style_virtual_domains;
    c->domains = xreallocarray(c->domains, c->n_domains + 1, sizeof(*c->domains));
    c->domains[c->n_domains].name = d;
    c->domains[c->n_domains].list = xstrdup(list);
    c->domains[c->n_domains].n_lists = 1;
    c->domains[c->n_domains].virt = aliases_is_virtual(&as, host);
    c->n_domains++;
}

/* collect - the mail domain of every list */
static int collect(const struct cmd_env *env, struct check *c)
{
    char **names = NULL;
    size_t n = 0;
    size_t i;
    const char *err = NULL;

    if (install_list_names(env->install, &names, &n, &err) != 0) {
        cmd_error(NULL, "%s", err);
        return EXIT_NOINPUT;
    }
    for (i = 0; i < n; i++) {
        struct mlist *ml = NULL;
        struct value *v = NULL;

        if (mlist_open(env->install->lists_dir, names[i], 0, NULL, &ml, &err) != 0
            || ml->loaded < 0 || (v = mlist_get(ml, "host_name")) == NULL || !value_is_str(v)) {
            problem_add(&c->notes, "list-host-unknown", names[i], PROBLEM_WARNING,
                        "no configuration loads (or it has no host_name): its domain is not "
                        "checked");
        } else {
            char *host = xstrndup((const char *)v->u.str.data, v->u.str.len);
            add_domain(c, env->site, host, names[i]);
            free(host);
        }
        mlist_free(&ml);
        c->n_lists++;
    }
    install_names_free(names, n);
    return EXIT_OK;
}

/* read_conf - the file given, else `postconf -n`, else /etc/postfix/main.cf */
static int read_conf(const struct cmd_opts *opts, struct check *c)
{
    const char *path = opts->argc > 0 ? opts->argv[0] : NULL;
    enum fileread_status st;
    const char *err = NULL;
    char *text = NULL;
    size_t len = 0;
    int rc = EXIT_OK;

    if (path == NULL) {
        char *const argv[] = { (char *)"postconf", (char *)"-n", NULL };
        struct strbuf out = STRBUF_INIT;
        int status = 1;
        if (access("/usr/sbin/postconf", X_OK) == 0 || access("/usr/bin/postconf", X_OK) == 0) {
            char *const full[] = { access("/usr/sbin/postconf", X_OK) == 0
                                   ? (char *)"/usr/sbin/postconf" : (char *)"/usr/bin/postconf",
                                   argv[1], NULL };
            if (mapcmd_run(full, &status, &out, &err) == 0 && status == 0) {
                c->source = xstrdup("postconf -n");
                if (postfix_parse(&c->conf, out.buf != NULL ? out.buf : "", out.len, &err)
                    != 0) {
                    cmd_error(NULL, "postconf -n: %s", err);
                    rc = EXIT_DATAERR;
                }
                strbuf_release(&out);
                return rc;
            }
        }
        strbuf_release(&out);
        path = DEFAULT_MAIN_CF;
    }
    if (fileread_alloc(path, CONF_MAX, &text, &len, &st, &err) != 0) {
        cmd_error(NULL, "%s", err);
        return st == FILEREAD_MISSING ? EXIT_NOINPUT : EXIT_IOERR;
    }
    c->source = xstrdup(path);
    if (postfix_parse(&c->conf, text, len, &err) != 0) {
        cmd_error(NULL, "%s: %s", path, err);
        rc = EXIT_DATAERR;
    }
    free(text);
    return rc;
}

/* value_of - expanded parameter; a failure becomes a finding and NULL */
static char *value_of(struct check *c, const char *name)
{
    const char *err = NULL;
    char *v = NULL;

    if (postfix_value(&c->conf, name, &v, &err) != 0) {
        problem_add(&c->findings, "postfix-expansion", NULL, PROBLEM_ERROR,
                    "%s cannot be expanded: %s; Postfix stops with 'macro processing error'; "
                    "fix: make %s refer to no parameter that refers back to it, and close "
                    "every ${", name, err, name);
        return NULL;
    }
    return v;
}

/* in_list - host is an item of the list (case-insensitive); *tables_r: the list has lookup
 * tables (type:name items), whose contents mmfix does not read */
static bool in_list(char **items, const char *host, bool *tables_r)
{
    size_t i;

    *tables_r = false;
    for (i = 0; items[i] != NULL; i++) {
        if (strchr(items[i], ':') != NULL || items[i][0] == '/') {
            *tables_r = true;
        } else if (strcasecmp(items[i], host) == 0) {
            return true;
        }
    }
    return false;
}

/* names_file - a map list names one of the paths (type:path or type:path.db) */
static bool names_file(char **maps, char *const *paths)
{
    size_t i;
    int k;

    for (i = 0; maps[i] != NULL; i++) {
        const char *colon = strchr(maps[i], ':');
        const char *p = colon != NULL ? colon + 1 : maps[i];
        for (k = 0; k < 2; k++) {
            size_t n = strlen(paths[k]);
            if (strncmp(p, paths[k], n) == 0 && (p[n] == '\0' || strcmp(p + n, ".db") == 0)) {
                return true;
            }
        }
    }
    return false;
}

/* names_mydomain - the value as written has the item $mydomain (${mydomain}, $(mydomain)) */
static bool names_mydomain(const char *raw)
{
    char **items = postfix_split(raw, NULL);
    bool found = false;
    size_t i;

    for (i = 0; items[i] != NULL && !found; i++) {
        found = strcmp(items[i], "$mydomain") == 0 || strcmp(items[i], "${mydomain}") == 0
                || strcmp(items[i], "$(mydomain)") == 0;
    }
    postfix_split_free(items);
    return found;
}

/* check_domains - each list domain is local or virtual to Postfix */
static void check_domains(struct check *c, char **mydest, char **vdomains, const char *raw_dest,
                          const char *mydomain)
{
    size_t i;

    for (i = 0; i < c->n_domains; i++) {
        const struct domain *d = &c->domains[i];
        bool dest_tables = false;
        bool virt_tables = false;
        bool local = in_list(mydest, d->name, &dest_tables);
        bool virt = in_list(vdomains, d->name, &virt_tables);

        if (local && virt) {
            problem_add(&c->findings, "domain-both", d->list, PROBLEM_ERROR,
                        "%s is in both mydestination and virtual_alias_domains: Postfix "
                        "refuses such a domain ('do not list domain %s in BOTH "
                        "mydestination and virtual_alias_domains'); fix: keep it in one of "
                        "them", d->name, d->name);
        } else if (virt && !d->virt) {
            problem_add(&c->findings, "domain-not-mailman-virtual", d->list, PROBLEM_ERROR,
                        "%s is a virtual alias domain but not in the site's "
                        "POSTFIX_STYLE_VIRTUAL_DOMAINS: virtual-mailman has no entry for "
                        "%s@%s, which will bounce with 'User unknown in virtual alias "
                        "table'; fix: add '%s' to POSTFIX_STYLE_VIRTUAL_DOMAINS in mm_cfg.py "
                        "and run mmfix genaliases", d->name, d->list, d->name, d->name);
        } else if (!local && !virt && (dest_tables || virt_tables)) {
            problem_add(&c->notes, "domain-in-table", d->list, PROBLEM_WARNING,
                        "%s is not listed literally in mydestination or "
                        "virtual_alias_domains, which name lookup tables mmfix does not "
                        "read: check that one of them has it", d->name);
        } else if (!local && !virt) {
            bool lacks_mydomain = strcasecmp(d->name, mydomain) == 0
                                  && !names_mydomain(raw_dest);
            if (lacks_mydomain) {
                problem_add(&c->findings, "mydestination-lacks-mydomain", d->list,
                            PROBLEM_ERROR,
                            "mydestination lacks $mydomain: mail to %s@%s will bounce with "
                            "'loops back to myself'; fix: mydestination = %s%s$mydomain",
                            d->list, d->name, raw_dest, raw_dest[0] != '\0' ? ", " : "");
            } else {
                problem_add(&c->findings, "domain-not-local", d->list, PROBLEM_ERROR,
                            "%s is neither in mydestination nor a virtual alias domain: mail "
                            "to %s@%s will bounce with 'loops back to myself'; fix: add %s to "
                            "%s", d->name, d->list, d->name, d->name,
                            d->virt ? "virtual_alias_domains (it is one of the site's "
                                      "POSTFIX_STYLE_VIRTUAL_DOMAINS)"
                                    : "mydestination");
            }
        }
    }
}

/* check_maps - alias_maps names data/aliases; virtual_alias_maps names virtual-mailman when
 * a list is virtual, and the local domain its right-hand sides fall into is local (not
 * checked when mydest is NULL: mydestination could not be expanded) */
static void check_maps(struct check *c, const struct site_settings *site, char **mydest)
{
    char *alias_maps = value_of(c, "alias_maps");
    char *virtual_maps = value_of(c, "virtual_alias_maps");
    char **am = alias_maps != NULL ? postfix_split(alias_maps, NULL) : NULL;
    char **vm = virtual_maps != NULL ? postfix_split(virtual_maps, NULL) : NULL;
    bool any_virtual = false;
    size_t i;

    for (i = 0; i < c->n_domains; i++) {
        any_virtual = any_virtual || c->domains[i].virt;
    }
    if (am != NULL && c->n_lists > 0 && !names_file(am, c->mm_aliases)) {
        problem_add(&c->findings, "alias-maps", NULL, PROBLEM_ERROR,
                    "alias_maps (= %s) does not name %s: mail to every list will bounce with "
                    "'User unknown in local recipient table'; fix: alias_maps = %s%shash:%s",
                    alias_maps, c->mm_aliases[0], alias_maps, alias_maps[0] != '\0' ? ", " : "",
                    c->mm_aliases[0]);
    }
    if (vm != NULL && any_virtual && !names_file(vm, c->mm_virtual)) {
        problem_add(&c->findings, "virtual-alias-maps", NULL, PROBLEM_ERROR,
                    "virtual_alias_maps (= %s) does not name %s: mail to the lists of the "
                    "site's POSTFIX_STYLE_VIRTUAL_DOMAINS will bounce; fix: "
                    "virtual_alias_maps = %s%shash:%s", virtual_maps, c->mm_virtual[0],
                    virtual_maps, virtual_maps[0] != '\0' ? ", " : "", c->mm_virtual[0]);
    }
    if (any_virtual && mydest != NULL) {
        /* virtual-mailman's right-hand sides are bare local parts, which Postfix completes
         * with @$myorigin, or carry @VIRTUAL_MAILMAN_LOCAL_DOMAIN */
        char *origin = site->virtual_mailman_local_domain != NULL
                       ? xstrdup(site->virtual_mailman_local_domain) : value_of(c, "myorigin");
        bool tables = false;
        if (origin != NULL && !in_list(mydest, origin, &tables) && !tables) {
            problem_add(&c->findings, "virtual-local-domain", NULL, PROBLEM_ERROR,
                        "virtual-mailman sends the virtual lists' mail to %s (%s), which is "
                        "not in mydestination: it will not reach data/aliases and bounces "
                        "with 'loops back to myself'; fix: add %s to mydestination",
                        origin, site->virtual_mailman_local_domain != NULL
                        ? "VIRTUAL_MAILMAN_LOCAL_DOMAIN" : "$myorigin", origin);
        }
        free(origin);
    }
    postfix_split_free(am);
    postfix_split_free(vm);
    free(alias_maps);
    free(virtual_maps);
}

/* check_delimiter - with '-' as recipient delimiter, L-anything is L */
static void check_delimiter(struct check *c)
{
    char *delim = value_of(c, "recipient_delimiter");

    if (delim != NULL && strchr(delim, '-') != NULL && c->n_lists > 0) {
        problem_add(&c->findings, "recipient-delimiter", NULL, PROBLEM_ERROR,
                    "recipient_delimiter = %s: a mistyped list address such as "
                    "%s-reqest@%s is delivered to the list's posting address, not bounced "
                    "(Postfix drops the '-' extension); fix: recipient_delimiter = +", delim,
                    c->n_domains > 0 ? c->domains[0].list : "LIST",
                    c->n_domains > 0 ? c->domains[0].name : "DOMAIN");
    }
    free(delim);
}

/* check_aliases_file - 2.0 mail/wrapper pipes left in an aliases file */
static int check_aliases_file(struct check *c, const char *path)
{
    static const char *const cmds[] = { "post", "mailcmd", "mailowner" };
    enum fileread_status st;
    const char *err = NULL;
    char *text = NULL;
    size_t len = 0;
    char *line = NULL;
    char *save = NULL;
    size_t lineno = 0;

    if (fileread_alloc(path, CONF_MAX, &text, &len, &st, &err) != 0) {
        cmd_error(NULL, "%s", err);
        return st == FILEREAD_MISSING ? EXIT_NOINPUT : EXIT_IOERR;
    }
    for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        const char *w = strstr(line, "/wrapper ");
        size_t k;
        lineno++;
        if (line[0] == '#' || w == NULL) {
            continue;
        }
        for (k = 0; k < 3; k++) {
            size_t n = strlen(cmds[k]);
            if (strncmp(w + 9, cmds[k], n) == 0 && w[9 + n] == ' ') {
                const char *colon = strchr(line, ':');
                problem_add(&c->findings, "aliases-2.0-pipe", NULL, PROBLEM_ERROR,
                            "%s: alias %.*s pipes to Mailman 2.0's mail/wrapper, which 2.1 "
                            "no longer has: its mail will bounce, and it shadows the 2.1 "
                            "alias when %s comes first in alias_maps; fix: delete it, run "
                            "newaliases, and let mmfix genaliases write data/aliases", path,
                            colon != NULL ? (int)(colon - line) : (int)strlen(line), line,
                            path);
                break;
            }
        }
    }
    free(text);
    return EXIT_OK;
}

static void report(const struct cmd_opts *opts, const struct check *c, struct strbuf *out)
{
    size_t i;

    if (opts->json) {
        struct jsonw w;
        jsonw_init(&w, out, false);
        jsonw_object_begin(&w);
        jsonw_key(&w, "main_cf");
        jsonw_string(&w, c->source);
        jsonw_key(&w, "domains");
        jsonw_array_begin(&w);
        for (i = 0; i < c->n_domains; i++) {
            jsonw_object_begin(&w);
            jsonw_key(&w, "domain");
            jsonw_string(&w, c->domains[i].name);
            jsonw_key(&w, "lists");
            jsonw_uint(&w, c->domains[i].n_lists);
            jsonw_key(&w, "virtual");
            jsonw_bool(&w, c->domains[i].virt);
            jsonw_object_end(&w);
        }
        jsonw_array_end(&w);
        jsonw_key(&w, "findings");
        problem_write_json(&w, &c->findings, 0, c->findings.len);
        jsonw_key(&w, "notes");
        problem_write_json(&w, &c->notes, 0, c->notes.len);
        jsonw_object_end(&w);
        strbuf_addc(out, '\n');
        return;
    }
    problem_write_text(out, &c->findings, "");
    problem_write_text(out, &c->notes, "");
    strbuf_addf(out, "%s: %zu lists in %zu domains, %zu findings\n", c->source, c->n_lists,
                c->n_domains, c->findings.len);
}

static void check_free(struct check *c)
{
    size_t i;

    for (i = 0; i < c->n_domains; i++) {
        free(c->domains[i].name);
        free(c->domains[i].list);
    }
    free(c->domains);
    for (i = 0; i < 2; i++) {
        free(c->mm_aliases[i]);
        free(c->mm_virtual[i]);
    }
    free(c->source);
    postfix_free(&c->conf);
    problem_list_free(&c->findings);
    problem_list_free(&c->notes);
}

/* run_checks - every check over the read configuration */
static void run_checks(struct check *c, const struct site_settings *site)
{
    char *dest = value_of(c, "mydestination");
    char *vdom = value_of(c, "virtual_alias_domains");
    char *mydomain = value_of(c, "mydomain");
    char *raw_dest = postfix_raw(&c->conf, "mydestination");
    char **mydest = postfix_split(dest != NULL ? dest : "", NULL);
    char **vdomains = postfix_split(vdom != NULL ? vdom : "", NULL);

    if (dest != NULL && vdom != NULL && mydomain != NULL) {
        check_domains(c, mydest, vdomains, raw_dest != NULL ? raw_dest : "", mydomain);
    }
    check_maps(c, site, dest != NULL ? mydest : NULL);
    check_delimiter(c);
    postfix_split_free(mydest);
    postfix_split_free(vdomains);
    free(dest);
    free(vdom);
    free(mydomain);
    free(raw_dest);
}

/* cmd_check_postfix - the check-postfix command */
int cmd_check_postfix(int argc, char **argv)
{
    struct cmd_opts opts;
    struct cmd_env env;
    struct check c;
    struct strbuf out = STRBUF_INIT;
    bool stop = false;
    int rc;

    rc = cmd_start("check-postfix", check_postfix_usage, argc, argv, 1, "at most one main.cf",
                   &opts, &env, &stop);
    if (stop) {
        return rc;
    }
    memset(&c, 0, sizeof(c));
    postfix_init(&c.conf, NULL);
    problem_list_init(&c.findings);
    problem_list_init(&c.notes);
    c.mm_aliases[0] = xasprintf("%s/aliases", env.install->data_dir);
    c.mm_aliases[1] = xasprintf("%s/aliases", env.site->data_dir);
    c.mm_virtual[0] = xasprintf("%s/virtual-mailman", env.install->data_dir);
    c.mm_virtual[1] = xasprintf("%s/virtual-mailman", env.site->data_dir);
    rc = read_conf(&opts, &c);
    if (rc == EXIT_OK) {
        rc = collect(&env, &c);
    }
    if (rc == EXIT_OK) {
        run_checks(&c, env.site);
        if (opts.aliases_file != NULL) {
            rc = check_aliases_file(&c, opts.aliases_file);
        }
    }
    if (rc == EXIT_OK) {
        report(&opts, &c, &out);
        rc = cmd_write(&out);
        if (rc == EXIT_OK && c.findings.len > 0) {
            rc = EXIT_CHANGES;
        }
    }
    strbuf_release(&out);
    check_free(&c);
    cmd_close(&env);
    return rc;
}
