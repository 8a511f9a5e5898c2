/*
 * aliases - the text of Mailman 2.1.39's Postfix alias files (aliases.h)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mmfix/aliases.h"
#include "mmfix/errstr.h"
#include "mmfix/install.h"
#include "mmfix/xalloc.h"

static const char *const extensions[ALIASES_PER_LIST] = {
    NULL, "admin", "bounces", "confirm", "join", "leave", "owner", "request", "subscribe",
    "unsubscribe",
};

#define STANZA_START "# STANZA START: "
#define STANZA_END "# STANZA END: "
#define CREATED "# CREATED: "

/* the longest extension, which sets the value column */
#define LONGEST_EXT "-unsubscribe"

/* aliases_command - wrapper command of the i-th address */
const char *aliases_command(size_t i)
{
    return i == 0 ? "post" : extensions[i];
}

/* aliases_address - the i-th address of a list */
char *aliases_address(const char *name, size_t i)
{
    return i == 0 ? xstrdup(name) : xasprintf("%s-%s", name, extensions[i]);
}

/* aliases_name_ok - a name the files may carry */
bool aliases_name_ok(const char *name, const char **why_r)
{
    return install_list_valid_name(name, why_r);
}

/* aliases_is_virtual - Postfix.py's _isvirtual */
bool aliases_is_virtual(const struct aliases_site *site, const char *host)
{
    size_t i;

    if (host == NULL) {
        return false;
    }
    for (i = 0; i < site->n_virtual_domains; i++) {
        if (strcasecmp(site->virtual_domains[i], host) == 0) {
            return true;
        }
    }
    return false;
}

/* aliases_shell_escape - the name as the pipe command gets it */
char *aliases_shell_escape(const char *name)
{
    static const char plain[] = "-+_.=,:@%/";
    struct strbuf sb = STRBUF_INIT;
    const unsigned char *p = NULL;

    for (p = (const unsigned char *)name; *p != '\0'; p++) {
        if (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\') {
            strbuf_release(&sb);
            return NULL;
        }
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
              || strchr(plain, *p) != NULL)) {
            strbuf_addc(&sb, '\\');
        }
        strbuf_addc(&sb, (char)*p);
    }
    return strbuf_detach(&sb, NULL);
}

/* aliases_ctime - Python's time.ctime(): "%a %b %e %H:%M:%S %Y", C names */
void aliases_ctime(time_t t, char *buf, size_t size)
{
    static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    struct tm tm;

    if (localtime_r(&t, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0
        || tm.tm_mon > 11) {
        snprintf(buf, size, "%s", "?");
        return;
    }
    snprintf(buf, size, "%s %s %2d %02d:%02d:%02d %d", days[tm.tm_wday], months[tm.tm_mon],
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
}

/* A stanza of the previous file: its name, CREATED line and alias lines
 * (pointers into the old text). */
struct old_stanza {
    const char *name;
    size_t name_len;
    const char *created;   /* the whole "# CREATED: ..." line, without newline */
    size_t created_len;
    const char *body;      /* the lines between CREATED and END, newlines included */
    size_t body_len;
};

struct old_index {
    struct old_stanza *items;
    size_t n;
};

static const char *line_end(const char *p, const char *end)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    return nl != NULL ? nl : end;
}

/* next_line - the start of the line after the one ending at e (end when it is the last) */
static const char *next_line(const char *e, const char *end)
{
    return e < end ? e + 1 : end;
}

static bool starts(const char *p, const char *e, const char *prefix)
{
    size_t n = strlen(prefix);
    return (size_t)(e - p) >= n && memcmp(p, prefix, n) == 0;
}

static int old_cmp(const void *a, const void *b)
{
    const struct old_stanza *x = a;
    const struct old_stanza *y = b;
    size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
    int c = memcmp(x->name, y->name, n);
    return c != 0 ? c : (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

/* old_index_build - the well-formed stanzas of text (START, CREATED, lines, END of the same
 * name), sorted by name */
static void old_index_build(const char *text, size_t len, struct old_index *ix)
{
    const char *p = text;
    const char *end = text + len;
    size_t cap = 0;

    ix->items = NULL;
    ix->n = 0;
    while (text != NULL && p < end) {
        const char *e = line_end(p, end);
        struct old_stanza s;
        const char *q = NULL;
        const char *qe = NULL;

        if (!starts(p, e, STANZA_START) || e == end) {
            p = next_line(e, end);
            continue;
        }
        s.name = p + strlen(STANZA_START);
        s.name_len = (size_t)(e - s.name);
        q = next_line(e, end);
        qe = line_end(q, end);
        if (!starts(q, qe, CREATED) || qe == end) {
            p = q;
            continue;
        }
        s.created = q;
        s.created_len = (size_t)(qe - q);
        s.body = next_line(qe, end);
        for (q = s.body; q < end; q = next_line(qe, end)) {
            qe = line_end(q, end);
            if (starts(q, qe, STANZA_START)) {
                break;
            }
            if (starts(q, qe, STANZA_END) && (size_t)(qe - q) == strlen(STANZA_END) + s.name_len
                && memcmp(q + strlen(STANZA_END), s.name, s.name_len) == 0) {
                s.body_len = (size_t)(q - s.body);
                if (ix->n == cap) {
                    cap = cap ? cap * 2 : 16;
                    ix->items = xreallocarray(ix->items, cap, sizeof(*ix->items));
                }
                ix->items[ix->n++] = s;
                break;
            }
        }
        p = q;
    }
    if (ix->n > 1) {
        qsort(ix->items, ix->n, sizeof(*ix->items), old_cmp);
    }
}

/* old_created - the CREATED line to keep for a stanza whose alias lines are body */
static const struct old_stanza *old_find(const struct old_index *ix, const char *name,
                                         const char *body, size_t body_len)
{
    struct old_stanza key;
    const struct old_stanza *s = NULL;

    if (ix->n == 0) {
        return NULL;
    }
    memset(&key, 0, sizeof(key));
    key.name = name;
    key.name_len = strlen(name);
    s = bsearch(&key, ix->items, ix->n, sizeof(*ix->items), old_cmp);
    return s != NULL && s->body_len == body_len && memcmp(s->body, body, body_len) == 0 ? s
                                                                                       : NULL;
}

/* stanza - "# STANZA START", CREATED (kept or new), body, "# STANZA END", blank line */
static void stanza(struct strbuf *out, const char *name, const struct strbuf *body,
                   const struct old_index *ix, const char *now)
{
    const struct old_stanza *s = old_find(ix, name, body->buf, body->len);

    strbuf_addf(out, STANZA_START "%s\n", name);
    if (s != NULL) {
        strbuf_add(out, s->created, s->created_len);
        strbuf_addc(out, '\n');
    } else {
        strbuf_addf(out, CREATED "%s\n", now);
    }
    strbuf_add(out, body->buf, body->len);
    strbuf_addf(out, STANZA_END "%s\n\n", name);
}

static void pad(struct strbuf *out, size_t n)
{
    while (n-- > 0) {
        strbuf_addc(out, ' ');
    }
}

/* aliases_lower - ASCII lower case, as Python 2's str.lower() */
char *aliases_lower(const char *s)
{
    char *r = xstrdup(s);
    char *p = NULL;

    for (p = r; *p != '\0'; p++) {
        if (*p >= 'A' && *p <= 'Z') {
            *p = (char)(*p - 'A' + 'a');
        }
    }
    return r;
}

/* dest - local part [@VIRTUAL_MAILMAN_LOCAL_DOMAIN] */
static char *dest(const struct aliases_site *site, const char *local)
{
    char *l = aliases_lower(local);
    char *r = site->local_domain != NULL ? xasprintf("%s@%s", l, site->local_domain) : xstrdup(l);
    free(l);
    return r;
}

/* virtual_domain_lines - the loop line and the four site lines of one virtual domain */
static void virtual_domain_lines(const struct aliases_site *site, const char *host,
                                 struct strbuf *loop, struct strbuf *sites)
{
    static const char *const site_ext[] = { NULL, "owner", "bounces", "request" };
    bool own = site->site_list_host != NULL && strcasecmp(site->site_list_host, host) == 0;
    char *local = xasprintf("%s-loop", site->site_list);
    char *d = dest(site, local);
    size_t i;

    strbuf_addf(loop, "%s@%s\t%s\n", local, host, d);
    free(d);
    free(local);
    for (i = 0; i < 4; i++) {
        local = site_ext[i] == NULL ? xstrdup(site->site_list)
                                    : xasprintf("%s-%s", site->site_list, site_ext[i]);
        d = dest(site, local);
        strbuf_addf(sites, "%s%s@%s\t%s\n", own ? "#" : "", local, host, d);
        free(d);
        free(local);
    }
}

static const char aliases_header[] =
    "# This file is generated by Mailman, and is kept in sync with the\n"
    "# binary hash file aliases.db.  YOU SHOULD NOT MANUALLY EDIT THIS FILE\n"
    "# unless you know what you're doing, and can keep the two files properly\n"
    "# in sync.  If you screw it up, you're on your own.\n"
    "\n"
    "# The ultimate loop stopper address\n";

static const char virtual_header[] =
    "# This file is generated by Mailman, and is kept in sync with the binary hash\n"
    "# file virtual-mailman.db.  YOU SHOULD NOT MANUALLY EDIT THIS FILE unless you\n"
    "# know what you're doing, and can keep the two files properly in sync.  If you\n"
    "# screw it up, you're on your own.\n"
    "#\n"
    "# Note that you should already have this virtual domain set up properly in\n"
    "# your Postfix installation.  See README.POSTFIX for details.\n"
    "\n"
    "# LOOP ADDRESSES START\n";

static const char virtual_middle[] =
    "# LOOP ADDRESSES END\n"
    "\n"
    "# We also add the site list address in each virtual domain as that address\n"
    "# is exposed on admin and listinfo overviews, and we add the site list-owner,\n"
    "# -bounces and -request addresses as they are exposed in the list created\n"
    "# and/or password reminder email notices.\n"
    "\n"
    "# SITE ADDRESSES START\n";

static const char virtual_end[] = "# SITE ADDRESSES END\n";

/* alias_body - the ten "name: value" lines of data/aliases */
static int alias_body(const struct aliases_site *site, const char *name, struct strbuf *body,
                      const char **error_r)
{
    char *safe = aliases_shell_escape(name);
    size_t field = strlen(name) + strlen(LONGEST_EXT);
    size_t i;

    if (safe == NULL) {
        *error_r = errstr("%s: the list name cannot be put into an alias pipe", name);
        return -1;
    }
    for (i = 0; i < ALIASES_PER_LIST; i++) {
        char *addr = aliases_address(name, i);
        strbuf_addf(body, "%s: ", addr);
        pad(body, field - strlen(addr));
        strbuf_addf(body, "\"|%s/mailman %s %s\"\n", site->wrapper_dir, aliases_command(i), safe);
        free(addr);
    }
    free(safe);
    return 0;
}

/* virtual_body - the ten "name@host  name" lines of data/virtual-mailman */
static void virtual_body(const struct aliases_site *site, const char *name, const char *host,
                         struct strbuf *body)
{
    size_t field = strlen(name) + strlen(LONGEST_EXT);
    size_t i;

    for (i = 0; i < ALIASES_PER_LIST; i++) {
        char *addr = aliases_address(name, i);
        /* Python 2's print puts a space on each side of the (possibly empty) padding */
        strbuf_addf(body, "%s@%s ", addr, host);
        pad(body, field - strlen(addr));
        if (site->local_domain != NULL) {
            strbuf_addf(body, " %s@%s\n", addr, site->local_domain);
        } else {
            strbuf_addf(body, " %s\n", addr);
        }
        free(addr);
    }
}

/* seen_domain - host was already given its loop and site lines (exact string, as the lines
 * are written with host_name as the list has it) */
static bool seen_domain(char **domains, size_t n, const char *host)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (strcmp(domains[i], host) == 0) {
            return true;
        }
    }
    return false;
}

/* aliases_build - both texts */
/* only_of - s is not empty and every byte of it is in set */
static bool only_of(const char *s, const char *set)
{
    return s != NULL && *s != '\0' && strspn(s, set) == strlen(s);
}

#define ALIASES_HOST_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_"

/* aliases_site_ok - see aliases.h */
bool aliases_site_ok(const struct aliases_site *site, const char **why_r)
{
    static const char path_chars[] = ALIASES_HOST_CHARS "/+=@%~";
    const char *dirs[2] = { site->wrapper_dir, site->data_dir };
    const char *names[2] = { "WRAPPER_DIR", "DATA_DIR" };
    size_t i;

    for (i = 0; i < 2; i++) {
        if (dirs[i] == NULL || dirs[i][0] != '/' || !only_of(dirs[i], path_chars)) {
            *why_r = errstr("the site's %s '%s' is not a plain absolute path ([A-Za-z0-9/._+=@%%~-]"
                            "): written into data/aliases it would end the pipe and start "
                            "another alias or command", names[i], dirs[i] != NULL ? dirs[i] : "");
            return false;
        }
    }
    if (!only_of(site->site_list, ALIASES_HOST_CHARS "+=")) {
        *why_r = errstr("the site's MAILMAN_SITE_LIST '%s' is not a list name ([-+_.=a-z0-9])",
                        site->site_list != NULL ? site->site_list : "");
        return false;
    }
    if (site->local_domain != NULL && !only_of(site->local_domain, ALIASES_HOST_CHARS)) {
        *why_r = errstr("the site's VIRTUAL_MAILMAN_LOCAL_DOMAIN '%s' is not a host name",
                        site->local_domain);
        return false;
    }
    for (i = 0; i < site->n_virtual_domains; i++) {
        if (!only_of(site->virtual_domains[i], ALIASES_HOST_CHARS)) {
            *why_r = errstr("'%s' in the site's POSTFIX_STYLE_VIRTUAL_DOMAINS is not a host name",
                            site->virtual_domains[i]);
            return false;
        }
    }
    return true;
}

int aliases_build(const struct aliases_list *lists, size_t n, const struct aliases_site *site,
                  const struct aliases_old *old, time_t now, struct strbuf *aliases,
                  struct strbuf *virt, size_t *n_virtual_r, const char **error_r)
{
    struct old_index ix_a;
    struct old_index ix_v;
    struct strbuf body = STRBUF_INIT;
    struct strbuf vstanzas = STRBUF_INIT;
    struct strbuf loop = STRBUF_INIT;
    struct strbuf sites = STRBUF_INIT;
    char **domains = xcalloc(n + 1, sizeof(char *));
    size_t n_domains = 0;
    char stamp[64];
    char *loop_local = NULL;
    size_t i;
    int ret = -1;

    *n_virtual_r = 0;
    if (!aliases_site_ok(site, error_r)) {
        free(domains);
        return -1;
    }
    old_index_build(old != NULL ? old->aliases : NULL, old != NULL ? old->aliases_len : 0,
                    &ix_a);
    old_index_build(old != NULL ? old->virt : NULL, old != NULL ? old->virt_len : 0, &ix_v);
    aliases_ctime(now, stamp, sizeof(stamp));

    strbuf_adds(aliases, aliases_header);
    loop_local = xasprintf("%s-loop", site->site_list);
    {
        char *l = aliases_lower(loop_local);
        strbuf_addf(aliases, "%s: %s/owner-bounces.mbox\n\n", l, site->data_dir);
        free(l);
    }
    for (i = 0; i < n; i++) {
        const char *why = NULL;
        if (!aliases_name_ok(lists[i].name, &why)) {
            *error_r = errstr("%s: %s", lists[i].name, why);
            goto out;
        }
        strbuf_reset(&body);
        if (alias_body(site, lists[i].name, &body, error_r) != 0) {
            goto out;
        }
        stanza(aliases, lists[i].name, &body, &ix_a, stamp);
        if (!aliases_is_virtual(site, lists[i].host_name)) {
            continue;
        }
        if (!seen_domain(domains, n_domains, lists[i].host_name)) {
            domains[n_domains++] = xstrdup(lists[i].host_name);
            virtual_domain_lines(site, lists[i].host_name, &loop, &sites);
        }
        strbuf_reset(&body);
        virtual_body(site, lists[i].name, lists[i].host_name, &body);
        stanza(&vstanzas, lists[i].name, &body, &ix_v, stamp);
        (*n_virtual_r)++;
    }
    if (*n_virtual_r > 0) {
        strbuf_adds(virt, virtual_header);
        strbuf_add(virt, loop.buf, loop.len);
        strbuf_adds(virt, virtual_middle);
        strbuf_add(virt, sites.buf, sites.len);
        strbuf_adds(virt, virtual_end);
        /* the header's own blank line, then the stanzas */
        strbuf_addc(virt, '\n');
        strbuf_add(virt, vstanzas.buf, vstanzas.len);
    }
    ret = 0;
out:
    for (i = 0; i < n_domains; i++) {
        free(domains[i]);
    }
    free(domains);
    free(loop_local);
    free(ix_a.items);
    free(ix_v.items);
    strbuf_release(&body);
    strbuf_release(&vstanzas);
    strbuf_release(&loop);
    strbuf_release(&sites);
    return ret;
}
