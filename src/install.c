/*
 * install - finding a Mailman installation and enumerating its lists
 *
 * DESCRIPTION
 *  install_open() settles the var prefix (argument, $MMFIX_VAR_PREFIX, or
 *  the usual places) and the install dir (argument, the var prefix when it
 *  holds Mailman/Defaults.py, or the usual places; none is allowed and
 *  explained). install_list_names() applies Mailman's own rule
 *  (Site.get_listnames + Utils.list_exists): an entry of lists/ is a list
 *  when config.pck, config.pck.last, config.db or config.db.last exists in
 *  it. install_list_valid_name() and install_list_collisions() say which
 *  names Mailman 2.1.20+ cannot see and which names are also global
 *  template directories (a language code, en, site, a host).
 *
 * SECURITY
 *  Directory entries are untrusted names: a list directory that is a
 *  symlink is followed only when its target stays inside the var prefix,
 *  and names are never passed to a shell. Nothing here writes.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mmfix/charset.h"
#include "mmfix/errstr.h"
#include "mmfix/install.h"
#include "mmfix/site.h"
#include "mmfix/strbuf.h"
#include "mmfix/xalloc.h"

static const char *const list_files[] = {
    "config.pck", "config.pck.last", "config.db", "config.db.last",
};

/* is_dir - path is a directory (following symlinks) */
static bool is_dir(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* has_file - dir/rel exists (following symlinks, as os.path.exists) */
static bool has_file(const char *dir, const char *rel)
{
    struct stat st;
    char *p = xasprintf("%s/%s", dir, rel);
    bool ok = stat(p, &st) == 0;

    free(p);
    return ok;
}

/* absolute - realpath of path (malloc'd), NULL with errno on failure */
static char *absolute(const char *path)
{
    char buf[PATH_MAX];

    if (realpath(path, buf) == NULL) {
        return NULL;
    }
    return xstrdup(buf);
}

/* install_free - free the installation */
void install_free(struct install **install)
{
    struct install *in = *install;

    if (in == NULL) {
        return;
    }
    free(in->var_prefix);
    free(in->install_dir);
    free(in->no_install_dir_reason);
    free(in->lists_dir);
    free(in->data_dir);
    free(in->archives_dir);
    free(in->locks_dir);
    free(in->templates_dir);
    free(in->messages_dir);
    free(in);
    *install = NULL;
}

/* join_candidates - "a, b or c" */
static void join_candidates(struct strbuf *sb, const char *first, const char *const *c)
{
    size_t n = 0;
    size_t total = (first != NULL ? 1 : 0);
    size_t i;

    for (i = 0; c != NULL && c[i] != NULL; i++) {
        total++;
    }
    if (first != NULL) {
        strbuf_adds(sb, first);
        n++;
    }
    for (i = 0; c != NULL && c[i] != NULL; i++) {
        if (first != NULL && strcmp(c[i], first) == 0) {
            total--;
            continue;
        }
        if (n > 0) {
            strbuf_adds(sb, n + 1 == total ? " or " : ", ");
        }
        strbuf_adds(sb, c[i]);
        n++;
    }
}

/* install_open_search - install_open with explicit candidates */
int install_open_search(const char *var_prefix, const char *install_dir,
                        const char *const *var_candidates,
                        const char *const *install_candidates,
                        struct install **install_r, const char **error_r)
{
    struct install *in = NULL;
    struct strbuf sb = STRBUF_INIT;
    const char *vp = var_prefix;
    size_t i;
    int ret = -1;

    *install_r = NULL;
    if (vp == NULL || *vp == '\0') {
        vp = getenv("MMFIX_VAR_PREFIX");
    }
    if (vp == NULL || *vp == '\0') {
        vp = NULL;
        for (i = 0; var_candidates != NULL && var_candidates[i] != NULL; i++) {
            char *lists = xasprintf("%s/lists", var_candidates[i]);
            bool ok = is_dir(lists);
            free(lists);
            if (ok) {
                vp = var_candidates[i];
                break;
            }
        }
        if (vp == NULL) {
            join_candidates(&sb, NULL, var_candidates);
            *error_r = errstr("no Mailman installation found (no lists/ directory in %s); "
                              "name one with -d/--var-prefix or MMFIX_VAR_PREFIX",
                              sb.len > 0 ? strbuf_cstr(&sb) : "any known place");
            goto out;
        }
    }
    in = xcalloc(1, sizeof(*in));
    in->var_prefix = absolute(vp);
    if (in->var_prefix == NULL) {
        *error_r = errstr("var prefix %s: %s", vp, strerror(errno));
        goto out;
    }
    if (!is_dir(in->var_prefix)) {
        *error_r = errstr("var prefix %s is not a directory", vp);
        goto out;
    }
    in->lists_dir = xasprintf("%s/lists", in->var_prefix);
    if (!is_dir(in->lists_dir)) {
        *error_r = errstr("%s is not a Mailman var prefix: it has no lists/ directory", vp);
        goto out;
    }
    in->data_dir = xasprintf("%s/data", in->var_prefix);
    in->archives_dir = xasprintf("%s/archives", in->var_prefix);
    in->locks_dir = xasprintf("%s/locks", in->var_prefix);

    if (install_dir != NULL && *install_dir != '\0') {
        if (!has_file(install_dir, "Mailman/Defaults.py")) {
            *error_r = errstr("%s is not a Mailman install dir: it has no Mailman/Defaults.py",
                              install_dir);
            goto out;
        }
        in->install_dir = absolute(install_dir);
        if (in->install_dir == NULL) {
            *error_r = errstr("install dir %s: %s", install_dir, strerror(errno));
            goto out;
        }
    } else if (has_file(in->var_prefix, "Mailman/Defaults.py")) {
        in->install_dir = xstrdup(in->var_prefix);
    } else {
        for (i = 0; install_candidates != NULL && install_candidates[i] != NULL; i++) {
            if (has_file(install_candidates[i], "Mailman/Defaults.py")) {
                in->install_dir = absolute(install_candidates[i]);
                if (in->install_dir != NULL) {
                    break;
                }
            }
        }
        if (in->install_dir == NULL) {
            strbuf_reset(&sb);
            join_candidates(&sb, in->var_prefix, install_candidates);
            in->no_install_dir_reason = xasprintf("no Mailman/Defaults.py in %s",
                                                  strbuf_cstr(&sb));
        }
    }
    if (in->install_dir != NULL) {
        in->templates_dir = xasprintf("%s/templates", in->install_dir);
        in->messages_dir = xasprintf("%s/messages", in->install_dir);
    }
    *install_r = in;
    in = NULL;
    ret = 0;
out:
    install_free(&in);
    strbuf_release(&sb);
    return ret;
}

/* install_open - find the installation in the usual places */
int install_open(const char *var_prefix, const char *install_dir, struct install **install_r,
                 const char **error_r)
{
    static const char *const vars[] = INSTALL_VAR_PREFIXES;
    static const char *const dirs[] = INSTALL_DIRS;

    return install_open_search(var_prefix, install_dir, vars, dirs, install_r, error_r);
}

/* cmp_names - qsort by strcmp */
static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* inside - path (absolute, resolved) is root or below it */
static bool inside(const char *path, const char *root)
{
    size_t n = strlen(root);

    return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static int walk_lists(const struct install *install, bool outside, char ***names_r,
                      size_t *count_r, const char **error_r);

/* install_link_out - VAR/rel is a symbolic link out of the var prefix (or dangling) */
char *install_link_out(const struct install *install, const char *rel)
{
    char *path = xasprintf("%s/%s", install->var_prefix, rel);
    char *real = NULL;
    char *target = NULL;
    char buf[PATH_MAX];
    struct stat st;
    ssize_t n;

    if (lstat(path, &st) != 0 || !S_ISLNK(st.st_mode)) {
        goto out;
    }
    real = absolute(path);
    if (real != NULL && inside(real, install->var_prefix)) {
        goto out;
    }
    n = readlink(path, buf, sizeof(buf) - 1);
    target = n < 0 ? xstrdup("(unreadable)") : xstrndup(buf, (size_t)n);
out:
    free(real);
    free(path);
    return target;
}

/* install_list_names - the lists */
int install_list_names(const struct install *install, char ***names_r, size_t *count_r,
                       const char **error_r)
{
    return walk_lists(install, false, names_r, count_r, error_r);
}

/* install_list_outside - symlinks in lists/ that mmfix will not follow */
int install_list_outside(const struct install *install, char ***names_r, size_t *count_r,
                         const char **error_r)
{
    return walk_lists(install, true, names_r, count_r, error_r);
}

/* install_names_free - free a name array */
void install_names_free(char **names, size_t count)
{
    size_t i;

    for (i = 0; i < count; i++) {
        free(names[i]);
    }
    free(names);
}

/* install_list_names - the lists Mailman would see (and invalid names too) */
/* walk_lists - the entries of lists/ that are lists (outside == false), or
 * the symbolic links there that leave the var prefix or dangle (true) */
static int walk_lists(const struct install *install, bool outside, char ***names_r,
                      size_t *count_r, const char **error_r)
{
    DIR *d = NULL;
    struct dirent *de = NULL;
    char **names = NULL;
    size_t n = 0;
    size_t cap = 0;
    char *path = NULL;
    char *real = NULL;
    int ret = -1;

    *names_r = NULL;
    *count_r = 0;
    d = opendir(install->lists_dir);
    if (d == NULL) {
        *error_r = errstr("%s: %s", install->lists_dir, strerror(errno));
        goto out;
    }
    for (;;) {
        struct stat st;
        size_t i;
        bool is_list = false;

        errno = 0;
        de = readdir(d);
        if (de == NULL) {
            if (errno != 0) {
                *error_r = errstr("%s: %s", install->lists_dir, strerror(errno));
                goto out;
            }
            break;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }
        free(path);
        path = xasprintf("%s/%s", install->lists_dir, de->d_name);
        if (lstat(path, &st) != 0) {
            continue;
        }
        if (S_ISLNK(st.st_mode)) {
            free(real);
            real = absolute(path);
            if (real == NULL || !inside(real, install->var_prefix) || stat(path, &st) != 0) {
                /* dangling, or leaves the tree: never followed */
                if (outside) {
                    goto add;
                }
                continue;
            }
        }
        if (outside || !S_ISDIR(st.st_mode)) {
            continue;
        }
        for (i = 0; i < sizeof(list_files) / sizeof(list_files[0]); i++) {
            if (has_file(path, list_files[i])) {
                is_list = true;
                break;
            }
        }
        if (!is_list) {
            continue;
        }
add:
        if (n == cap) {
            cap = cap == 0 ? 16 : cap * 2;
            names = xreallocarray(names, cap, sizeof(*names));
        }
        names[n++] = xstrdup(de->d_name);
    }
    if (n > 0) {
        qsort(names, n, sizeof(*names), cmp_names);
    }
    *names_r = names;
    *count_r = n;
    names = NULL;
    n = 0;
    ret = 0;
out:
    if (d != NULL) {
        closedir(d);
    }
    install_names_free(names, n);
    free(path);
    free(real);
    return ret;
}

/* show_byte - a byte as 'c' or \xNN for the messages */
static const char *show_byte(unsigned char c)
{
    if (c > 0x20 && c < 0x7f && c != '\'') {
        return errstr("'%c'", c);
    }
    if (c == ' ') {
        return "a space";
    }
    return errstr("\\x%02x", c);
}

/* install_list_valid_name - Mailman 2.1.20+'s ACCEPTABLE_LISTNAME_CHARACTERS */
bool install_list_valid_name(const char *name, const char **why_r)
{
    static const char shell_meta[] = ";|&$`\\\"'<>()*?[]{}~!#";
    const unsigned char *p = NULL;
    const char *why = NULL;

    if (name == NULL || *name == '\0') {
        why = "empty list name";
        goto bad;
    }
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        why = errstr("list name '%s' is a path component", name);
        goto bad;
    }
    for (p = (const unsigned char *)name; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f || *p == ' ' || *p == '\t'
            || strchr(shell_meta, *p) != NULL) {
            why = errstr("list name contains the shell metacharacter %s (an alias pipe "
                         "would run what follows it); Mailman 2.1.20+ cannot see this list: "
                         "rename it", show_byte(*p));
            goto bad;
        }
    }
    for (p = (const unsigned char *)name; *p != '\0'; p++) {
        if (*p >= 'A' && *p <= 'Z') {
            why = errstr("list name contains the upper-case letter '%c' (Mailman list names "
                         "are lower case); Mailman 2.1.20+ cannot see this list: rename it",
                         *p);
            goto bad;
        }
    }
    for (p = (const unsigned char *)name; *p != '\0'; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')
              || strchr("-+_.=", *p) != NULL)) {
            why = errstr("list name contains %s, outside [-+_.=a-z0-9]; Mailman 2.1.20+ "
                         "cannot see this list: rename it", show_byte(*p));
            goto bad;
        }
    }
    return true;
bad:
    if (why_r != NULL) {
        *why_r = why;
    }
    return false;
}

/* language_description - the description of a language code, or NULL */
static const char *language_description(const struct site_settings *site, const char *name)
{
    static const int tables[] = { CHARSET_TABLE_2_1_39, CHARSET_TABLE_2_1 };
    size_t t;
    size_t i;

    if (site != NULL) {
        const struct site_language *l = site_language(site, name);
        if (l != NULL) {
            return l->description;
        }
    }
    for (t = 0; t < 2; t++) {
        size_t n = 0;
        const struct charset_language *tab = charset_table(tables[t], &n);
        for (i = 0; i < n; i++) {
            if (strcmp(tab[i].code, name) == 0) {
                return tab[i].description;
            }
        }
    }
    return NULL;
}

/* site_host_named - name is one of the site's hosts (case-insensitive) */
static bool site_host_named(const struct site_settings *site, const char *name)
{
    size_t i;

    if (site == NULL) {
        return false;
    }
    if ((site->default_email_host != NULL && strcasecmp(site->default_email_host, name) == 0)
        || (site->default_url_host != NULL && strcasecmp(site->default_url_host, name) == 0)
        || (site->default_host_name != NULL && strcasecmp(site->default_host_name, name) == 0)) {
        return true;
    }
    for (i = 0; i < site->n_virtual_hosts; i++) {
        if (strcasecmp(site->virtual_hosts[i].email_host, name) == 0
            || strcasecmp(site->virtual_hosts[i].url_host, name) == 0) {
            return true;
        }
    }
    return false;
}

/* install_list_collisions - is templates/<name>/ a global directory */
enum install_collision install_list_collisions(const struct install *install,
                                               const struct site_settings *site,
                                               const char *name, const char **what_r)
{
    enum install_collision c = INSTALL_COLLISION_NONE;
    const char *what = NULL;
    const char *desc = NULL;

    if (name == NULL || *name == '\0') {
        goto out;
    }
    if (strcmp(name, "en") == 0) {
        c = INSTALL_COLLISION_ENGLISH;
        what = "list name 'en' is the English language code: templates/en/ holds Mailman's "
               "default templates, not this list's";
    } else if (strcmp(name, "site") == 0) {
        c = INSTALL_COLLISION_SITE;
        what = "list name 'site' is the site template directory: templates/site/ holds the "
               "site's own templates, not this list's";
    } else if ((desc = language_description(site, name)) != NULL) {
        c = INSTALL_COLLISION_LANGUAGE;
        what = errstr("list name '%s' is the language code of %s: templates/%s/ holds "
                      "Mailman's %s templates, not this list's", name, desc, name, desc);
    } else if (install != NULL && install->messages_dir != NULL && strchr(name, '/') == NULL
               && strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
        char *p = xasprintf("%s/%s", install->messages_dir, name);
        bool dir = is_dir(p);
        free(p);
        if (dir) {
            c = INSTALL_COLLISION_MESSAGES;
            what = errstr("list name '%s' is a language of messages/: templates/%s/ holds "
                          "that language's templates, not this list's", name, name);
        }
    }
    if (c == INSTALL_COLLISION_NONE && site_host_named(site, name)) {
        c = INSTALL_COLLISION_VIRTUAL_HOST;
        what = errstr("list name '%s' is a host of this site: templates/%s/ holds that "
                      "host's templates, not this list's", name, name);
    }
out:
    if (what_r != NULL) {
        *what_r = what;
    }
    return c;
}

/* install_collision_name - short name of a collision kind */
const char *install_collision_name(enum install_collision c)
{
    switch (c) {
    case INSTALL_COLLISION_LANGUAGE:
        return "language";
    case INSTALL_COLLISION_MESSAGES:
        return "messages";
    case INSTALL_COLLISION_ENGLISH:
        return "english";
    case INSTALL_COLLISION_SITE:
        return "site";
    case INSTALL_COLLISION_VIRTUAL_HOST:
        return "virtual-host";
    case INSTALL_COLLISION_NONE:
        break;
    }
    return "none";
}
