/*
 * cmd_genaliases - Mailman 2.1.39's bin/genaliases for Postfix: data/aliases and
 * data/virtual-mailman rewritten (journaled), postalias/postmap run without a shell,
 * every list address looked up in the maps they built (SPEC §4)
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "mmfix/aliases.h"
#include "mmfix/apply.h"
#include "mmfix/charset.h"
#include "mmfix/errstr.h"
#include "mmfix/fileread.h"
#include "mmfix/install.h"
#include "mmfix/jsonw.h"
#include "mmfix/lockfile.h"
#include "mmfix/mapcmd.h"
#include "mmfix/mlist.h"
#include "mmfix/plan.h"
#include "mmfix/problem.h"
#include "mmfix/site.h"
#include "mmfix/udiff.h"
#include "mmfix/xalloc.h"

static const char genaliases_usage[] =
    "[-n|--dry-run] [-d VAR_PREFIX] [--install-dir DIR] [--json] [--journal FILE]\n"
    "       [--postalias CMD] [--postmap CMD] [--postfix-config DIR] [--lock-timeout SECONDS]";

#define ALIAS_FILE_MAX ((size_t)256 * 1024 * 1024)
/* Mailman's Postfix module: rw-rw-r-- at least, for the text files and their .db */
#define ALIAS_MODE 0664
/* what is kept of a map program's messages */
#define ALIAS_OUTPUT_MAX (64 * 1024)
/* Mailman's LockFile default lifetime, which its `creator` lock uses */
#define CREATOR_LIFETIME 15

struct alias_file {
    const char *rel;        /* "data/aliases" */
    char *path;             /* absolute */
    char *old;              /* current text, NULL when there is none */
    size_t old_len;
    struct strbuf text;     /* the new text */
    bool write;             /* the text changes */
    bool exists_after;      /* there is a file to build a map from */
};

struct map_result {
    char *command;          /* as run */
    int status;
    char *output;
};

struct gen {
    cmd_host_fn *host_for;  /* migrate: the host_name a list will have, NULL: from disk */
    void *host_ctx;
    struct aliases_list *lists;
    size_t n;
    char **owned;           /* host names */
    struct alias_file files[2];
    size_t n_virtual;
    struct map_result maps[2];
    size_t n_maps;
    size_t lookups;         /* addresses looked up */
    size_t lookups_failed;
    bool verified[2];       /* the map was checked with -q */
    struct mapcmd cmds[2];  /* postalias, postmap as run */
    bool own[2];            /* they are Postfix's own programs */
    bool blocked;           /* nothing is written or run (a problem says why) */
};

/* host_of - the host_name of a loaded list as text */
static char *host_of(struct mlist *ml)
{
    struct value *v = mlist_get(ml, "host_name");

    if (v == NULL || !value_is_str(v)) {
        return NULL;
    }
    return xstrndup((const char *)v->u.str.data, v->u.str.len);
}

/* collect - the lists the files get, in name order; the others reported */
static int collect(const struct cmd_env *env, struct gen *g, struct problem_list *problems,
                   char **site_host_r)
{
    char **names = NULL;
    size_t n = 0;
    size_t i;
    const char *err = NULL;

    *site_host_r = NULL;
    if (install_list_names(env->install, &names, &n, &err) != 0) {
        cmd_error(NULL, "%s", err);
        return EXIT_NOINPUT;
    }
    g->lists = xcalloc(n + 1, sizeof(*g->lists));
    g->owned = xcalloc(2 * n + 1, sizeof(char *));
    for (i = 0; i < n; i++) {
        struct mlist *ml = NULL;
        const char *why = NULL;
        char *host = NULL;

        if (!aliases_name_ok(names[i], &why)) {
            problem_add(problems, "alias-invalid-name", names[i], PROBLEM_ERROR,
                        "left out of the alias files: %s (Mailman 2.1.39's genaliases does "
                        "not see it either)", why);
            continue;
        }
        if (g->host_for != NULL && g->host_for(g->host_ctx, names[i], &host)) {
            /* the host_name the run gives it */
        } else if (mlist_open(env->install->lists_dir, names[i], 0, NULL, &ml, &err) != 0
            || ml->loaded < 0) {
            problem_add(problems, "alias-no-config", names[i], PROBLEM_ERROR,
                        "no configuration loads (%s): its aliases are written, but its "
                        "host_name is unknown, so it is left out of virtual-mailman; run "
                        "mmfix repair", ml == NULL ? err : "see mmfix check");
        } else {
            host = host_of(ml);
        }
        mlist_free(&ml);
        g->owned[2 * g->n] = xstrdup(names[i]);
        g->owned[2 * g->n + 1] = host;
        g->lists[g->n].name = g->owned[2 * g->n];
        g->lists[g->n].host_name = host;
        if (strcmp(names[i], env->site->mailman_site_list) == 0 && host != NULL) {
            *site_host_r = xstrdup(host);
        }
        g->n++;
    }
    install_names_free(names, n);
    return EXIT_OK;
}

/* site_of - what the alias files take from the site's settings */
static void site_of(const struct cmd_env *env, const char *site_host, struct aliases_site *site)
{
    const struct site_settings *s = env->site;

    memset(site, 0, sizeof(*site));
    site->wrapper_dir = s->wrapper_dir;
    site->data_dir = s->data_dir;
    site->site_list = s->mailman_site_list;
    site->site_list_host = site_host;
    site->virtual_domains = s->postfix_style_virtual_domains;
    site->n_virtual_domains = s->n_postfix_style_virtual_domains;
    site->local_domain = s->virtual_mailman_local_domain;
}

/* read_old - the current text of a file (none when missing); a file that is not a regular
 * file (a symbolic link is never followed) blocks the step with a problem */
static int read_old(struct gen *g, struct alias_file *f, struct problem_list *problems)
{
    enum fileread_status st;
    const char *err = NULL;

    if (fileread_alloc(f->path, ALIAS_FILE_MAX, &f->old, &f->old_len, &st, &err) == 0) {
        return EXIT_OK;
    }
    if (st == FILEREAD_MISSING) {
        f->old = NULL;
        f->old_len = 0;
        return EXIT_OK;
    }
    if (st == FILEREAD_NOT_REGULAR) {
        problem_add(problems, "alias-file-not-regular", NULL, PROBLEM_ERROR,
                    "%s: %s: never read or written through; the alias files are left as they "
                    "are and postalias/postmap are not run", f->rel, err);
        g->blocked = true;
        return EXIT_OK;
    }
    cmd_error(NULL, "%s: %s", f->path, err);
    return st == FILEREAD_IO ? EXIT_IOERR : EXIT_DATAERR;
}

/* map_links - Postfix writes its maps beside the text files (data/aliases.db, .lmdb, .cdb, a
 * lock, ...) following symbolic links: an entry data/<file>.* that is a link would let
 * postalias or postmap, run as root, overwrite its target. Such an entry blocks the step. */
static void map_links(const struct cmd_env *env, struct gen *g, struct problem_list *problems)
{
    DIR *d = opendir(env->install->data_dir);
    struct dirent *de = NULL;
    size_t i;

    while (d != NULL && (de = readdir(d)) != NULL) {
        for (i = 0; i < 2; i++) {
            const char *base = strrchr(g->files[i].rel, '/') + 1;
            size_t n = strlen(base);
            char *path = NULL;
            struct stat st;
            if (strncmp(de->d_name, base, n) != 0 || de->d_name[n] != '.') {
                continue;
            }
            path = xasprintf("%s/%s", env->install->data_dir, de->d_name);
            if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
                problem_add(problems, "alias-map-link", NULL, PROBLEM_ERROR,
                            "data/%s is a symbolic link: %s would write through it; the alias "
                            "files are left as they are and no map is rebuilt (remove the "
                            "link)", de->d_name, i == 0 ? "postalias" : "postmap");
                g->blocked = true;
            }
            free(path);
        }
    }
    if (d != NULL) {
        closedir(d);
    }
}

/* read_all - both current texts, and what blocks the step (links, the site's settings) */
static int read_all(const struct cmd_env *env, struct gen *g, struct problem_list *problems)
{
    struct aliases_site site;
    const char *why = NULL;
    size_t i;
    int rc = EXIT_OK;

    for (i = 0; i < 2 && rc == EXIT_OK; i++) {
        rc = read_old(g, &g->files[i], problems);
    }
    map_links(env, g, problems);
    site_of(env, NULL, &site);
    if (!aliases_site_ok(&site, &why)) {
        problem_add(problems, "alias-unsafe-setting", NULL, PROBLEM_ERROR,
                    "%s; the alias files are left as they are", why);
        g->blocked = true;
    }
    return rc;
}

/* build - the new texts and what changes */
static int build(const struct cmd_env *env, struct gen *g, const char *site_host)
{
    struct aliases_site site;
    struct aliases_old old;
    const char *err = NULL;
    size_t i;

    site_of(env, site_host, &site);
    old.aliases = g->files[0].old;
    old.aliases_len = g->files[0].old_len;
    old.virt = g->files[1].old;
    old.virt_len = g->files[1].old_len;
    if (aliases_build(g->lists, g->n, &site, &old, time(NULL), &g->files[0].text,
                      &g->files[1].text, &g->n_virtual, &err) != 0) {
        cmd_error(NULL, "%s", err);
        return EXIT_SOFTWARE;
    }
    for (i = 0; i < 2; i++) {
        struct alias_file *f = &g->files[i];
        /* genaliases truncates an existing virtual-mailman even when no list is virtual */
        bool wanted = i == 0 || g->n_virtual > 0 || f->old != NULL;
        f->exists_after = wanted;
        f->write = wanted && (f->old == NULL || f->old_len != f->text.len
                              || memcmp(f->old, f->text.buf, f->text.len) != 0);
    }
    return EXIT_OK;
}

/* map_command - the words to run for one map: the command setting, -c DIR for Postfix's own
 * programs, then extra words */
static int map_command(const char *setting, const char *postfix_name, const char *config_dir,
                       struct mapcmd *cmd, bool *own_r)
{
    const char *err = NULL;

    if (mapcmd_parse(setting, cmd, &err) != 0) {
        cmd_error(NULL, "%s", err);
        return EXIT_USAGE;
    }
    *own_r = mapcmd_is(cmd, postfix_name);
    if (*own_r && config_dir != NULL) {
        size_t k;
        cmd->argv = xreallocarray(cmd->argv, cmd->argc + 4, sizeof(char *));
        for (k = cmd->argc; k >= 1; k--) {
            cmd->argv[k + 2] = cmd->argv[k];
        }
        cmd->argv[1] = xstrdup("-c");
        cmd->argv[2] = xstrdup(config_dir);
        cmd->argc += 2;
    }
    return EXIT_OK;
}

/* run_words - run cmd with extra words appended; status and output */
static int run_words(const struct mapcmd *cmd, const char *const *extra, const char *input,
                     size_t input_len, int *status_r, struct strbuf *out)
{
    size_t n_extra = 0;
    char **argv = NULL;
    const char *err = NULL;
    size_t k;
    int rc = 0;

    while (extra[n_extra] != NULL) {
        n_extra++;
    }
    argv = xcalloc(cmd->argc + n_extra + 1, sizeof(char *));
    for (k = 0; k < cmd->argc; k++) {
        argv[k] = cmd->argv[k];
    }
    for (k = 0; k < n_extra; k++) {
        argv[cmd->argc + k] = (char *)extra[k];
    }
    if (mapcmd_run_input(argv, input, input_len, input != NULL ? SIZE_MAX : ALIAS_OUTPUT_MAX,
                         status_r, out, &err) != 0) {
        cmd_error(NULL, "%s", err);
        rc = -1;
    }
    free(argv);
    return rc;
}

/* fix_db - Mailman's fixom: the .db Postfix built gets at least rw-rw-r--
 * and, as root, the owner and group of its text file (Mailman gives it
 * MAILMAN_USER and MAILMAN_GROUP: a .db left to root would stop Mailman
 * from rebuilding it) */
static void fix_db(const char *path, struct problem_list *notes)
{
    char *db = xasprintf("%s.db", path);
    struct stat st;
    struct stat txt;

    if (lstat(db, &st) != 0 || !S_ISREG(st.st_mode)) {
        free(db);
        return;
    }
    if ((st.st_mode & ALIAS_MODE) != ALIAS_MODE
        && chmod(db, (st.st_mode & 07777) | ALIAS_MODE) != 0) {
        problem_add(notes, "alias-db-mode", NULL, PROBLEM_WARNING, "%s: cannot chmod to %04o: %s",
                    db, (unsigned)((st.st_mode & 07777) | ALIAS_MODE), strerror(errno));
    }
    if (geteuid() == 0 && lstat(path, &txt) == 0 && S_ISREG(txt.st_mode)
        && (st.st_uid != txt.st_uid || st.st_gid != txt.st_gid)
        && lchown(db, txt.st_uid, txt.st_gid) != 0) {
        problem_add(notes, "alias-db-mode", NULL, PROBLEM_WARNING,
                    "%s: cannot give it owner %ld and group %ld: %s", db, (long)txt.st_uid,
                    (long)txt.st_gid, strerror(errno));
    }
    free(db);
}

/* the addresses one map is asked for, in one `-q -` run */
struct query {
    struct strbuf keys;     /* one a line */
    char **key;             /* each, malloc'd */
    const char **list;      /* the list each belongs to (NULL: the site) */
    size_t n;
};

/* query_add - one more address to look up */
static void query_add(struct query *q, char *key, const char *list)
{
    q->key = xreallocarray(q->key, q->n + 1, sizeof(char *));
    q->list = xreallocarray(q->list, q->n + 1, sizeof(char *));
    q->key[q->n] = key;
    q->list[q->n] = list;
    q->n++;
    strbuf_adds(&q->keys, key);
    strbuf_addc(&q->keys, '\n');
}

/* query_free - the addresses */
static void query_free(struct query *q)
{
    size_t i;

    for (i = 0; i < q->n; i++) {
        free(q->key[i]);
    }
    free(q->key);
    free(q->list);
    strbuf_release(&q->keys);
    memset(q, 0, sizeof(*q));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* found_keys - the keys of the `key:<TAB>value` (postalias) or `key<TAB>value` (postmap)
 * lines of out, sorted; other lines (warnings on stderr) are not keys */
static char **found_keys(const struct strbuf *out, size_t *n_r)
{
    char **keys = NULL;
    size_t n = 0;
    const char *p = out->buf != NULL ? out->buf : "";
    const char *end = p + out->len;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl != NULL ? nl : end;
        const char *tab = memchr(p, '\t', (size_t)(line_end - p));

        if (tab != NULL && tab > p) {
            const char *k_end = tab[-1] == ':' ? tab - 1 : tab;
            keys = xreallocarray(keys, n + 1, sizeof(char *));
            keys[n++] = xstrndup(p, (size_t)(k_end - p));
        }
        p = line_end + 1;
    }
    if (n > 1) {
        qsort(keys, n, sizeof(char *), cmp_str);
    }
    *n_r = n;
    return keys;
}

/* lookup - every address of q in one map with one `-q -` run (postalias and postmap read
 * the keys from stdin and print a line for each one found); each one not found is a
 * problem */
static int lookup(struct gen *g, const struct mapcmd *cmd, struct query *q, const char *file,
                  struct problem_list *problems)
{
    const char *extra[] = { "-q", "-", file, NULL };
    struct strbuf out = STRBUF_INIT;
    char **found = NULL;
    size_t n_found = 0;
    int status = 0;
    size_t i;

    if (q->n == 0) {
        return 0;
    }
    g->lookups += q->n;
    if (run_words(cmd, extra, q->keys.buf, q->keys.len, &status, &out) != 0) {
        strbuf_release(&out);
        return -1;
    }
    if (status > 1) {
        /* exit 1 is "none found"; more is the program failing */
        g->lookups_failed += q->n;
        problem_add(problems, "alias-lookup-failed", NULL, PROBLEM_ERROR,
                    "%s -q - %s failed (exit %d%s%.*s): %zu addresses not checked",
                    cmd->argv[0], file, status, out.len > 0 ? ": " : "",
                    (int)(out.len > 0 && out.buf[out.len - 1] == '\n' ? out.len - 1 : out.len),
                    out.buf != NULL ? out.buf : "", q->n);
        strbuf_release(&out);
        return 0;
    }
    found = found_keys(&out, &n_found);
    for (i = 0; i < q->n; i++) {
        if (n_found == 0
            || bsearch(&q->key[i], found, n_found, sizeof(char *), cmp_str) == NULL) {
            g->lookups_failed++;
            problem_add(problems, "alias-lookup-failed", q->list[i], PROBLEM_ERROR,
                        "%s -q %s %s finds nothing: mail to it will bounce", cmd->argv[0],
                        q->key[i], file);
        }
    }
    for (i = 0; i < n_found; i++) {
        free(found[i]);
    }
    free(found);
    strbuf_release(&out);
    return 0;
}

/* verify - every list address in the maps the Postfix programs built */
static int verify(const struct cmd_env *env, struct gen *g, const struct mapcmd *cmds,
                  const bool *own, struct problem_list *problems)
{
    struct query q[2];
    struct aliases_site s;
    size_t i;
    size_t k;
    int rc = 0;

    memset(q, 0, sizeof(q));
    memset(&s, 0, sizeof(s));
    s.virtual_domains = env->site->postfix_style_virtual_domains;
    s.n_virtual_domains = env->site->n_postfix_style_virtual_domains;
    if (own[0]) {
        query_add(&q[0], xasprintf("%s-loop", env->site->mailman_site_list), NULL);
        g->verified[0] = true;
    }
    if (own[1] && g->files[1].exists_after) {
        g->verified[1] = true;
    }
    for (i = 0; i < g->n; i++) {
        bool virt = g->verified[1] && g->n_virtual > 0
                    && aliases_is_virtual(&s, g->lists[i].host_name);
        for (k = 0; k < ALIASES_PER_LIST; k++) {
            char *addr = aliases_address(g->lists[i].name, k);
            if (virt) {
                query_add(&q[1], xasprintf("%s@%s", addr, g->lists[i].host_name),
                          g->lists[i].name);
            }
            if (own[0]) {
                query_add(&q[0], addr, g->lists[i].name);
            } else {
                free(addr);
            }
        }
    }
    for (i = 0; i < 2 && rc == 0; i++) {
        rc = lookup(g, &cmds[i], &q[i], g->files[i].path, problems);
    }
    query_free(&q[0]);
    query_free(&q[1]);
    return rc;
}

/* rebuild - postalias / postmap as Mailman's _update_maps runs them (under the creator lock,
 * as Mailman does) */
static int rebuild(const struct cmd_opts *opts, const struct cmd_env *env, struct gen *g,
                   struct problem_list *problems, struct problem_list *notes)
{
    const char *settings[2] = { opts->postalias != NULL ? opts->postalias
                                                        : env->site->postfix_alias_cmd,
                                opts->postmap != NULL ? opts->postmap
                                                      : env->site->postfix_map_cmd };
    const char *names[2] = { "postalias", "postmap" };
    int rc = EXIT_OK;
    size_t i;

    if (!g->blocked) {
        /* again just before they run: a link made since the plan blocks them too */
        map_links(env, g, problems);
    }
    if (g->blocked) {
        return EXIT_OK;
    }
    for (i = 0; i < 2 && rc == EXIT_OK; i++) {
        rc = map_command(settings[i], names[i], opts->postfix_config, &g->cmds[i], &g->own[i]);
    }
    for (i = 0; i < 2 && rc == EXIT_OK; i++) {
        const char *extra[] = { g->files[i].path, NULL };
        struct strbuf out = STRBUF_INIT;
        struct map_result *m = NULL;
        char *text = NULL;

        if (!g->files[i].exists_after) {
            continue;
        }
        m = &g->maps[g->n_maps++];
        if (run_words(&g->cmds[i], extra, NULL, 0, &m->status, &out) != 0) {
            strbuf_release(&out);
            rc = EXIT_SOFTWARE;
            break;
        }
        text = mapcmd_text(g->cmds[i].argv);
        m->command = xasprintf("%s %s", text, g->files[i].path);
        free(text);
        m->output = strbuf_detach(&out, NULL);
        if (m->status != 0) {
            problem_add(problems, "alias-map-failed", NULL, PROBLEM_ERROR,
                        "command failed: %s (exit %d): %s", m->command, m->status,
                        m->output != NULL ? m->output : "");
            rc = EXIT_IOERR;
            break;
        }
        fix_db(g->files[i].path, notes);
        if (!g->own[i]) {
            problem_add(notes, "alias-maps-unverified", NULL, PROBLEM_WARNING,
                        "%s is not Postfix's %s (the site's %s or --%s): the map of %s was "
                        "not verified", g->cmds[i].argv[0], names[i],
                        i == 0 ? "POSTFIX_ALIAS_CMD" : "POSTFIX_MAP_CMD", names[i],
                        g->files[i].rel);
        }
    }
    return rc;
}

/* check_maps - the lookups, once the creator lock is released (they can take longer than
 * its 15 seconds) */
static int check_maps(const struct cmd_env *env, struct gen *g, struct problem_list *problems)
{
    if (g->blocked) {
        return EXIT_OK;
    }
    if (verify(env, g, g->cmds, g->own, problems) != 0) {
        return EXIT_SOFTWARE;
    }
    return g->lookups_failed > 0 ? EXIT_SOFTWARE : EXIT_OK;
}

/* report - diffs, file operations, map commands, notes, problems, summary */
static void report(const struct cmd_opts *opts, const struct gen *g,
                   const struct problem_list *problems, const struct problem_list *notes,
                   bool applied, int64_t run, struct strbuf *out)
{
    size_t n_write = (size_t)g->files[0].write + (size_t)g->files[1].write;
    size_t i;

    if (opts->json) {
        struct jsonw w;
        jsonw_init(&w, out, false);
        jsonw_object_begin(&w);
        jsonw_key(&w, "lists");
        jsonw_uint(&w, g->n);
        jsonw_key(&w, "virtual_lists");
        jsonw_uint(&w, g->n_virtual);
        jsonw_key(&w, "files");
        jsonw_array_begin(&w);
        for (i = 0; i < 2; i++) {
            struct strbuf d = STRBUF_INIT;
            if (!g->files[i].write) {
                continue;
            }
            udiff_text(&d, g->files[i].rel, g->files[i].old, g->files[i].old_len,
                       g->files[i].text.buf, g->files[i].text.len);
            jsonw_object_begin(&w);
            jsonw_key(&w, "action");
            jsonw_string(&w, "write");
            jsonw_key(&w, "path");
            jsonw_string(&w, g->files[i].rel);
            jsonw_key(&w, "diff");
            jsonw_stringn(&w, d.buf != NULL ? d.buf : "", d.len);
            jsonw_object_end(&w);
            strbuf_release(&d);
        }
        jsonw_array_end(&w);
        jsonw_key(&w, "maps");
        jsonw_array_begin(&w);
        for (i = 0; i < g->n_maps; i++) {
            jsonw_object_begin(&w);
            jsonw_key(&w, "command");
            jsonw_string(&w, g->maps[i].command);
            jsonw_key(&w, "status");
            jsonw_int(&w, g->maps[i].status);
            jsonw_object_end(&w);
        }
        jsonw_array_end(&w);
        jsonw_key(&w, "lookups");
        jsonw_uint(&w, g->lookups);
        jsonw_key(&w, "lookups_failed");
        jsonw_uint(&w, g->lookups_failed);
        jsonw_key(&w, "verified");
        jsonw_array_begin(&w);
        for (i = 0; i < 2; i++) {
            if (g->verified[i]) {
                jsonw_string(&w, g->files[i].rel);
            }
        }
        jsonw_array_end(&w);
        jsonw_key(&w, "notes");
        problem_write_json(&w, notes, 0, notes->len);
        jsonw_key(&w, "problems");
        problem_write_json(&w, problems, 0, problems->len);
        jsonw_key(&w, "summary");
        jsonw_object_begin(&w);
        jsonw_key(&w, "writes");
        jsonw_uint(&w, n_write);
        jsonw_key(&w, "applied");
        jsonw_bool(&w, applied);
        jsonw_key(&w, "run");
        jsonw_int(&w, run);
        jsonw_object_end(&w);
        jsonw_object_end(&w);
        strbuf_addc(out, '\n');
        return;
    }
    for (i = 0; i < 2; i++) {
        if (g->files[i].write) {
            udiff_text(out, g->files[i].rel, g->files[i].old, g->files[i].old_len,
                       g->files[i].text.buf, g->files[i].text.len);
        }
    }
    if (n_write > 0) {
        strbuf_adds(out, "files:\n");
        for (i = 0; i < 2; i++) {
            if (g->files[i].write) {
                strbuf_addf(out, "  write  %s\n", g->files[i].rel);
            }
        }
    }
    for (i = 0; i < g->n_maps; i++) {
        strbuf_addf(out, "ran: %s (exit %d)\n", g->maps[i].command, g->maps[i].status);
    }
    if (g->lookups > 0) {
        strbuf_addf(out, "looked up %zu addresses: %zu not found\n", g->lookups,
                    g->lookups_failed);
    }
    if (notes->len > 0) {
        strbuf_adds(out, "notes:\n");
        problem_write_text(out, notes, "  ");
    }
    if (problems->len > 0) {
        strbuf_adds(out, "problems:\n");
        problem_write_text(out, problems, "  ");
    }
    strbuf_addf(out, "%zu lists (%zu in virtual-mailman), %zu files to write%s\n", g->n,
                g->n_virtual, n_write,
                applied ? (run > 0 ? ": done" : ": nothing changed")
                        : n_write > 0 ? " (dry run: nothing was changed)" : "");
    if (applied && run > 0) {
        strbuf_addf(out, "journal run %lld (mmfix rollback %lld puts the files back)\n",
                    (long long)run, (long long)run);
    }
}

/* creator_lock - Mailman's genaliases holds LOCK_DIR/creator while it writes */
static int creator_lock(const struct cmd_opts *opts, const struct cmd_env *env,
                        struct lockfile **lock_r)
{
    char *path = xasprintf("%s/creator", env->install->locks_dir);
    const char *err = NULL;
    bool busy = false;
    int rc = EXIT_OK;

    if (lockfile_acquire(path, CREATOR_LIFETIME, opts->lock_timeout_ms, lock_r, &busy,
                         &err) != 0) {
        cmd_error(NULL, "%s", err);
        rc = busy ? EXIT_TEMPFAIL : EXIT_CANTCREAT;
    }
    free(path);
    return rc;
}

static void gen_free(struct gen *g)
{
    size_t i;

    for (i = 0; i < 2 * g->n; i++) {
        free(g->owned[i]);
    }
    free(g->owned);
    free(g->lists);
    for (i = 0; i < 2; i++) {
        free(g->files[i].path);
        free(g->files[i].old);
        strbuf_release(&g->files[i].text);
    }
    for (i = 0; i < g->n_maps; i++) {
        free(g->maps[i].command);
        free(g->maps[i].output);
    }
    mapcmd_free(&g->cmds[0]);
    mapcmd_free(&g->cmds[1]);
}

/* apply - write the changed files as one journaled run */
static int apply(const struct cmd_opts *opts, struct cmd_env *env, struct gen *g,
                 int64_t *run_r)
{
    struct plan plan;
    struct lockset *none = NULL;
    struct apply_opts ao = { 0, "genaliases" };
    size_t i;
    int rc;

    plan_init(&plan, env->install->var_prefix);
    for (i = 0; i < 2; i++) {
        if (g->files[i].write) {
            plan_add_put(&plan, g->files[i].rel, g->files[i].text.buf != NULL
                         ? g->files[i].text.buf : "", g->files[i].text.len, PLAN_NO_LIST,
                         false);
            plan.ops[plan.n_ops - 1].mode = ALIAS_MODE;
        }
    }
    rc = cmd_apply(opts, &plan, env, &none, &ao, run_r);
    plan_free(&plan);
    return rc;
}

/* cmd_genaliases - the genaliases command */
int cmd_genaliases(int argc, char **argv)
{
    struct cmd_opts opts;
    struct cmd_env env;
    struct gen g;
    struct problem_list problems;
    struct problem_list notes;
    struct lockfile *lock = NULL;
    struct strbuf out = STRBUF_INIT;
    char *site_host = NULL;
    bool pending = false;
    int64_t run = 0;
    int rc;
    int wrc;
    size_t i;

    bool stop = false;

    rc = cmd_start("genaliases", genaliases_usage, argc, argv, 0,
                   "takes no list names (it writes the aliases of every list)", &opts, &env,
                   &stop);
    if (stop) {
        return rc;
    }
    memset(&g, 0, sizeof(g));
    problem_list_init(&problems);
    problem_list_init(&notes);
    g.files[0].rel = "data/aliases";
    g.files[1].rel = "data/virtual-mailman";
    for (i = 0; i < 2; i++) {
        g.files[i].path = xasprintf("%s/%s", env.install->var_prefix, g.files[i].rel);
        strbuf_init(&g.files[i].text);
    }
    if (strcmp(env.site->mta, "Postfix") != 0) {
        problem_add(&notes, "alias-mta", NULL, PROBLEM_WARNING,
                    "the site's MTA is '%s', not 'Postfix': Mailman itself will not keep these "
                    "files up to date when lists are created or removed (set MTA = 'Postfix' "
                    "in mm_cfg.py)", env.site->mta);
    }
    rc = cmd_prepare(&opts, &env, &notes, &pending);
    if (rc == EXIT_OK && !opts.dry_run) {
        rc = creator_lock(&opts, &env, &lock);
    }
    if (rc == EXIT_OK) {
        rc = collect(&env, &g, &problems, &site_host);
    }
    if (rc == EXIT_OK && site_host == NULL && env.site->n_postfix_style_virtual_domains > 0) {
        problem_add(&notes, "alias-no-site-list", NULL, PROBLEM_WARNING,
                    "the site list '%s' does not load: its addresses are written in every "
                    "virtual domain (Mailman 2.1.39's genaliases would stop here)",
                    env.site->mailman_site_list);
    }
    if (rc == EXIT_OK) {
        rc = read_all(&env, &g, &problems);
    }
    if (rc == EXIT_OK && !g.blocked) {
        rc = build(&env, &g, site_host);
    }
    if (rc == EXIT_OK && !opts.dry_run) {
        rc = apply(&opts, &env, &g, &run);
        if (rc == EXIT_OK) {
            rc = rebuild(&opts, &env, &g, &problems, &notes);
        }
    }
    if (lock != NULL) {
        const char *err = NULL;
        if (lockfile_release(&lock, &err) != 0) {
            cmd_error(NULL, "%s", err);
        }
    }
    if (rc == EXIT_OK && !opts.dry_run) {
        rc = check_maps(&env, &g, &problems);
    }
    if (rc == EXIT_OK || rc == EXIT_SOFTWARE || rc == EXIT_IOERR) {
        report(&opts, &g, &problems, &notes, !opts.dry_run, run, &out);
        wrc = cmd_write(&out);
        if (rc == EXIT_OK) {
            rc = wrc;
        }
    }
    if (rc == EXIT_OK && problem_count_errors(&problems, 0, problems.len) > 0) {
        rc = EXIT_DATAERR;
    }
    if (rc == EXIT_OK && opts.dry_run && (g.files[0].write || g.files[1].write || pending)) {
        rc = EXIT_CHANGES;
    }
    strbuf_release(&out);
    free(site_host);
    gen_free(&g);
    problem_list_free(&problems);
    problem_list_free(&notes);
    cmd_close(&env);
    return rc;
}

/* The alias step of a migrate run (cmd.h) */
struct cmd_aliases {
    struct gen g;
    struct lockfile *lock;
    struct problem_list problems;
    struct problem_list notes;
    bool ran;
};

/* cmd_aliases_plan - alias files of every list, hosts from host_for */
int cmd_aliases_plan(const struct cmd_opts *opts, struct cmd_env *env, cmd_host_fn *host_for,
                     void *ctx, struct plan *plan, struct cmd_aliases **ga_r)
{
    struct cmd_aliases *ga = xcalloc(1, sizeof(*ga));
    char *site_host = NULL;
    size_t i;
    int rc;

    *ga_r = ga;
    problem_list_init(&ga->problems);
    problem_list_init(&ga->notes);
    ga->g.host_for = host_for;
    ga->g.host_ctx = ctx;
    ga->g.files[0].rel = "data/aliases";
    ga->g.files[1].rel = "data/virtual-mailman";
    for (i = 0; i < 2; i++) {
        ga->g.files[i].path = xasprintf("%s/%s", env->install->var_prefix, ga->g.files[i].rel);
        strbuf_init(&ga->g.files[i].text);
    }
    rc = opts->dry_run ? EXIT_OK : creator_lock(opts, env, &ga->lock);
    if (rc == EXIT_OK) {
        rc = collect(env, &ga->g, &ga->problems, &site_host);
    }
    if (rc == EXIT_OK) {
        rc = read_all(env, &ga->g, &ga->problems);
    }
    if (rc == EXIT_OK && !ga->g.blocked) {
        rc = build(env, &ga->g, site_host);
    }
    free(site_host);
    for (i = 0; i < 2 && rc == EXIT_OK; i++) {
        if (ga->g.files[i].write) {
            plan_add_put(plan, ga->g.files[i].rel, ga->g.files[i].text.buf != NULL
                         ? ga->g.files[i].text.buf : "", ga->g.files[i].text.len,
                         PLAN_NO_LIST, false);
            plan->ops[plan->n_ops - 1].mode = ALIAS_MODE;
        }
    }
    return rc;
}

/* cmd_aliases_after - the maps rebuilt and every address looked up */
int cmd_aliases_after(const struct cmd_opts *opts, struct cmd_env *env,
                      struct cmd_aliases *ga)
{
    const char *err = NULL;
    int rc = rebuild(opts, env, &ga->g, &ga->problems, &ga->notes);

    if (ga->lock != NULL && lockfile_release(&ga->lock, &err) != 0) {
        cmd_error(NULL, "%s", err);
    }
    if (rc == EXIT_OK) {
        rc = check_maps(env, &ga->g, &ga->problems);
    }
    ga->ran = true;
    return rc;
}

/* cmd_aliases_report - the alias part of the report */
void cmd_aliases_report(const struct cmd_opts *opts, const struct cmd_aliases *ga,
                        bool applied, int64_t run, struct strbuf *out)
{
    report(opts, &ga->g, &ga->problems, &ga->notes, applied, run, out);
}

/* cmd_aliases_errors - error problems of the alias step */
size_t cmd_aliases_errors(const struct cmd_aliases *ga)
{
    return problem_count_errors(&ga->problems, 0, ga->problems.len);
}

/* cmd_aliases_free - release the creator lock (if held), free */
void cmd_aliases_free(struct cmd_aliases **ga)
{
    const char *err = NULL;

    if (*ga == NULL) {
        return;
    }
    if ((*ga)->lock != NULL) {
        lockfile_release(&(*ga)->lock, &err);
    }
    gen_free(&(*ga)->g);
    problem_list_free(&(*ga)->problems);
    problem_list_free(&(*ga)->notes);
    free(*ga);
    *ga = NULL;
}
