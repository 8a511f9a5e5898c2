/*
 * postfix - main.cf parameters and their expansion (postfix.h)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmfix/errstr.h"
#include "mmfix/postfix.h"
#include "mmfix/strbuf.h"
#include "mmfix/xalloc.h"

/* the built-in defaults that are plain text (myhostname and mydomain are computed) */
static const struct {
    const char *name;
    const char *value;
} defaults[] = {
    { "myorigin", "$myhostname" },
    { "mydestination", "$myhostname, localhost.$mydomain, localhost" },
    { "alias_maps", "hash:/etc/aliases, nis:mail.aliases" },
    { "alias_database", "hash:/etc/aliases" },
    { "virtual_alias_maps", "$virtual_maps" },
    { "virtual_maps", "" },
    { "virtual_alias_domains", "$virtual_alias_maps" },
    { "recipient_delimiter", "" },
};

/* postfix_init - empty */
void postfix_init(struct postfix_conf *conf, const char *hostname)
{
    char buf[256];

    memset(conf, 0, sizeof(*conf));
    if (hostname == NULL) {
        if (gethostname(buf, sizeof(buf) - 1) != 0) {
            snprintf(buf, sizeof(buf), "%s", "localhost");
        }
        buf[sizeof(buf) - 1] = '\0';
        hostname = buf;
    }
    conf->hostname = xstrdup(hostname);
}

/* postfix_free - free */
void postfix_free(struct postfix_conf *conf)
{
    size_t i;

    for (i = 0; i < conf->n; i++) {
        free(conf->params[i].name);
        free(conf->params[i].value);
    }
    free(conf->params);
    free(conf->hostname);
    memset(conf, 0, sizeof(*conf));
}

static struct postfix_param *find(const struct postfix_conf *conf, const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < conf->n; i++) {
        if (strlen(conf->params[i].name) == len && memcmp(conf->params[i].name, name, len) == 0) {
            return &conf->params[i];
        }
    }
    return NULL;
}

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* set - define (or redefine) name from one logical line */
static int set_line(struct postfix_conf *conf, const char *line, size_t len, size_t lineno,
                    const char **error_r)
{
    const char *eq = memchr(line, '=', len);
    const char *ne = NULL;
    const char *v = NULL;
    const char *ve = line + len;
    struct postfix_param *p = NULL;

    if (eq == NULL) {
        *error_r = errstr("line %zu: missing '=' after parameter name", lineno);
        return -1;
    }
    for (ne = eq; ne > line && blank(ne[-1]); ne--) {
    }
    if (ne == line) {
        *error_r = errstr("line %zu: missing parameter name before '='", lineno);
        return -1;
    }
    for (v = eq + 1; v < ve && blank(*v); v++) {
    }
    while (ve > v && blank(ve[-1])) {
        ve--;
    }
    p = find(conf, line, (size_t)(ne - line));
    if (p == NULL) {
        conf->params = xreallocarray(conf->params, conf->n + 1, sizeof(*conf->params));
        p = &conf->params[conf->n++];
        p->name = xstrndup(line, (size_t)(ne - line));
    } else {
        free(p->value);
    }
    p->value = xstrndup(v, (size_t)(ve - v));
    return 0;
}

/* postfix_parse - logical lines of main.cf */
int postfix_parse(struct postfix_conf *conf, const char *text, size_t len, const char **error_r)
{
    struct strbuf logical = STRBUF_INIT;
    const char *p = text;
    const char *end = text + len;
    size_t lineno = 0;
    size_t start_line = 0;
    int rc = 0;

    while (p < end && rc == 0) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl != NULL ? nl : end;
        const char *q = p;

        lineno++;
        while (q < e && blank(*q)) {
            q++;
        }
        if (q == e || *q == '#') {
            /* ignored; it does not end a logical line either */
        } else if (q > p) {
            if (logical.len == 0) {
                *error_r = errstr("line %zu: a continuation line with nothing to continue",
                                  lineno);
                rc = -1;
            } else {
                strbuf_addc(&logical, ' ');
                strbuf_add(&logical, q, (size_t)(e - q));
            }
        } else {
            if (logical.len > 0) {
                rc = set_line(conf, logical.buf, logical.len, start_line, error_r);
            }
            strbuf_reset(&logical);
            strbuf_add(&logical, p, (size_t)(e - p));
            start_line = lineno;
        }
        p = nl != NULL ? nl + 1 : end;
    }
    if (rc == 0 && logical.len > 0) {
        rc = set_line(conf, logical.buf, logical.len, start_line, error_r);
    }
    strbuf_release(&logical);
    return rc;
}

/* postfix_is_set - set in the file */
bool postfix_is_set(const struct postfix_conf *conf, const char *name)
{
    return find(conf, name, strlen(name)) != NULL;
}

/* raw_n - value as written or the default, for a name of len bytes; NULL undefined */
static char *raw_n(const struct postfix_conf *conf, const char *name, size_t len, int depth,
                   const char **error_r, bool *failed_r);

static int expand(const struct postfix_conf *conf, const char *text, int depth,
                  struct strbuf *out, const char **error_r);

/* value_n - the expanded value of name ("" undefined) appended to out */
static int value_n(const struct postfix_conf *conf, const char *name, size_t len, int depth,
                   struct strbuf *out, const char **error_r)
{
    bool failed = false;
    char *raw = NULL;
    int rc = 0;

    if (depth > POSTFIX_MAX_NESTING) {
        *error_r = errstr("unreasonable macro call nesting: \"%.*s\" (a parameter that refers "
                          "to itself)", (int)len, name);
        return -1;
    }
    raw = raw_n(conf, name, len, depth, error_r, &failed);
    if (failed) {
        return -1;
    }
    if (raw != NULL) {
        rc = expand(conf, raw, depth + 1, out, error_r);
    }
    free(raw);
    return rc;
}

static char *raw_n(const struct postfix_conf *conf, const char *name, size_t len, int depth,
                   const char **error_r, bool *failed_r)
{
    const struct postfix_param *p = find(conf, name, len);
    size_t i;

    *failed_r = false;
    if (p != NULL) {
        return xstrdup(p->value);
    }
    if (len == 10 && memcmp(name, "myhostname", 10) == 0) {
        if (strchr(conf->hostname, '.') != NULL) {
            return xstrdup(conf->hostname);
        }
        return postfix_is_set(conf, "mydomain") ? xasprintf("%s.$mydomain", conf->hostname)
                                                : xasprintf("%s.localdomain", conf->hostname);
    }
    if (len == 8 && memcmp(name, "mydomain", 8) == 0) {
        struct strbuf host = STRBUF_INIT;
        const char *dot = NULL;
        char *r = NULL;
        if (value_n(conf, "myhostname", 10, depth + 1, &host, error_r) != 0) {
            strbuf_release(&host);
            *failed_r = true;
            return NULL;
        }
        dot = host.buf != NULL ? strchr(host.buf, '.') : NULL;
        r = xstrdup(dot != NULL && dot[1] != '\0' ? dot + 1 : "localdomain");
        strbuf_release(&host);
        return r;
    }
    for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
        if (strlen(defaults[i].name) == len && memcmp(defaults[i].name, name, len) == 0) {
            return xstrdup(defaults[i].value);
        }
    }
    return NULL;
}

/* postfix_raw - as written or default */
char *postfix_raw(const struct postfix_conf *conf, const char *name)
{
    const char *err = NULL;
    bool failed = false;

    return raw_n(conf, name, strlen(name), 0, &err, &failed);
}

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
           || c == '_';
}

/* conditional - ${name?text} / ${name:text}; p at the '?' or ':', returns past the '}' */
static const char *conditional(const struct postfix_conf *conf, const char *name, size_t len,
                               const char *p, int depth, struct strbuf *out,
                               const char **error_r)
{
    char op = *p++;
    const char *t = p;
    int level = 0;
    struct strbuf val = STRBUF_INIT;
    char *text = NULL;
    size_t tl;
    int rc;

    for (; *p != '\0'; p++) {
        if (*p == '{') {
            level++;
        } else if (*p == '}') {
            if (level == 0) {
                break;
            }
            level--;
        }
    }
    if (*p != '}') {
        *error_r = errstr("\"${%.*s%c\": no closing '}'", (int)len, name, op);
        return NULL;
    }
    tl = (size_t)(p - t);
    if (tl >= 2 && t[0] == '{' && t[tl - 1] == '}') {
        t++;
        tl -= 2;
    }
    if (value_n(conf, name, len, depth + 1, &val, error_r) != 0) {
        strbuf_release(&val);
        return NULL;
    }
    rc = 0;
    if ((op == '?') == (val.len > 0)) {
        text = xstrndup(t, tl);
        rc = expand(conf, text, depth + 1, out, error_r);
        free(text);
    }
    strbuf_release(&val);
    return rc == 0 ? p + 1 : NULL;
}

/* expand - text into out */
static int expand(const struct postfix_conf *conf, const char *text, int depth,
                  struct strbuf *out, const char **error_r)
{
    const char *p = text;

    if (depth > POSTFIX_MAX_NESTING) {
        *error_r = errstr("unreasonable macro call nesting (a parameter that refers to "
                          "itself)");
        return -1;
    }
    while (*p != '\0') {
        const char *name = NULL;
        size_t len = 0;
        char close = '\0';

        if (*p != '$') {
            strbuf_addc(out, *p++);
            continue;
        }
        p++;
        if (*p == '$') {
            strbuf_addc(out, '$');
            p++;
            continue;
        }
        if (*p == '{' || *p == '(') {
            close = *p == '{' ? '}' : ')';
            p++;
        }
        name = p;
        while (name_char(*p)) {
            p++;
        }
        len = (size_t)(p - name);
        if (len == 0) {
            if (close != '\0') {
                *error_r = errstr("\"$%c%s\": not a parameter name (Postfix expressions are "
                                  "not supported)", close == '}' ? '{' : '(', p);
                return -1;
            }
            strbuf_addc(out, '$');
            continue;
        }
        if (close == '}' && (*p == '?' || *p == ':')) {
            p = conditional(conf, name, len, p, depth, out, error_r);
            if (p == NULL) {
                return -1;
            }
            continue;
        }
        if (close != '\0') {
            if (*p != close) {
                *error_r = errstr("\"$%c%.*s\": no closing '%c'", close == '}' ? '{' : '(',
                                  (int)len, name, close);
                return -1;
            }
            p++;
        }
        if (value_n(conf, name, len, depth + 1, out, error_r) != 0) {
            return -1;
        }
    }
    return 0;
}

/* postfix_expand - expand a text */
int postfix_expand(const struct postfix_conf *conf, const char *text, char **out_r,
                   const char **error_r)
{
    struct strbuf out = STRBUF_INIT;

    *out_r = NULL;
    if (expand(conf, text, 0, &out, error_r) != 0) {
        strbuf_release(&out);
        return -1;
    }
    *out_r = out.buf != NULL ? strbuf_detach(&out, NULL) : xstrdup("");
    return 0;
}

/* postfix_value - a parameter's expanded value */
int postfix_value(const struct postfix_conf *conf, const char *name, char **out_r,
                  const char **error_r)
{
    struct strbuf out = STRBUF_INIT;

    *out_r = NULL;
    if (value_n(conf, name, strlen(name), 0, &out, error_r) != 0) {
        strbuf_release(&out);
        return -1;
    }
    *out_r = out.buf != NULL ? strbuf_detach(&out, NULL) : xstrdup("");
    return 0;
}

/* postfix_split - list items */
char **postfix_split(const char *value, size_t *n_r)
{
    size_t cap = 4;
    size_t n = 0;
    char **items = xcalloc(cap, sizeof(char *));
    const char *p = value;

    for (;;) {
        size_t len;
        while (*p == ',' || blank(*p) || *p == '\n') {
            p++;
        }
        if (*p == '\0') {
            break;
        }
        len = strcspn(p, ", \t\r\n\f\v");
        if (n + 2 > cap) {
            cap *= 2;
            items = xreallocarray(items, cap, sizeof(char *));
        }
        items[n++] = xstrndup(p, len);
        items[n] = NULL;
        p += len;
    }
    if (n_r != NULL) {
        *n_r = n;
    }
    return items;
}

/* postfix_split_free - free the items */
void postfix_split_free(char **items)
{
    size_t i;

    if (items == NULL) {
        return;
    }
    for (i = 0; items[i] != NULL; i++) {
        free(items[i]);
    }
    free(items);
}
