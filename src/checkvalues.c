/*
 * checkvalues - Mailman 2.1.39's MailList.CheckValues()
 *
 * DESCRIPTION
 *  See checkvalues.h. The URL test follows Python 2.7's urlparse.urlsplit,
 *  the address test Utils.ValidateEmail (on characters: a unicode
 *  address is checked character by character, as Python does).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mmfix/checkvalues.h"
#include "mmfix/errstr.h"
#include "mmfix/pyval.h"
#include "mmfix/site.h"
#include "mmfix/strbuf.h"
#include "mmfix/xalloc.h"

#define CODE "upgrade-check-values"

struct cv {
    struct value_arena *arena;
    struct value *config;
    const char *list;
    const struct site_settings *site;
    struct problem_list *notes;
};

/* put - setattr(l, attr, v) */
static void put(struct cv *c, const char *attr, struct value *v)
{
    value_dict_set(c->arena, c->config, value_new_bytes(c->arena, attr, strlen(attr)), v);
}

/* url_ok - urlparse(url) has a scheme and a network location */
static bool url_ok(const unsigned char *s, size_t n)
{
    const unsigned char *colon = memchr(s, ':', n);
    size_t i = 0;
    size_t start = 0;
    bool scheme = false;

    if (colon != NULL && colon > s) {
        size_t sl = (size_t)(colon - s);
        bool valid = true;
        bool digits_only = true;

        for (i = 0; i < sl; i++) {
            unsigned char c = s[i];
            valid = valid && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                              || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.');
        }
        for (i = sl + 1; i < n; i++) {
            digits_only = digits_only && s[i] >= '0' && s[i] <= '9';
        }
        /* "http:" always starts a scheme; otherwise "x:123" is a port */
        if (valid && ((sl == 4 && memcmp(s, "http", 4) == 0) || sl + 1 == n || !digits_only)) {
            scheme = true;
            start = sl + 1;
        }
    }
    if (!scheme || n - start < 2 || s[start] != '/' || s[start + 1] != '/') {
        return false;
    }
    /* the network location runs to the first '/', '?' or '#' */
    return start + 2 < n && s[start + 2] != '/' && s[start + 2] != '?' && s[start + 2] != '#';
}

/* chars_of - the characters of a str (its bytes) or a unicode (its code
 * points, from UTF-8) */
static uint32_t *chars_of(const struct value *v, size_t *n_r)
{
    const unsigned char *s = v->u.str.data;
    uint32_t *out = xcalloc(v->u.str.len + 1, sizeof(*out));
    size_t n = 0;
    size_t i = 0;

    while (i < v->u.str.len) {
        uint32_t c = s[i];
        size_t extra = 0;

        if (v->type == VALUE_TEXT && c >= 0xc0) {
            extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
            c &= 0x3f >> extra;
            while (extra-- > 0 && ++i < v->u.str.len) {
                c = (c << 6) | (s[i] & 0x3f);
            }
        }
        out[n++] = c;
        i++;
    }
    *n_r = n;
    return out;
}

/* is_alnum - an ASCII letter or digit */
static bool is_alnum(uint32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* bad_email - Utils.ValidateEmail raises for s */
static bool bad_email(const uint32_t *s, size_t n)
{
    static const char bad[] = "[]()<>|:;^,\\\"";
    size_t at = n;
    size_t part = 0;
    size_t parts = 1;
    size_t i;

    if (n == 0) {
        return true;
    }
    for (i = 0; i < n; i++) {
        if (s[i] == ' ' || s[i] < 0x20 || (s[i] >= 0x7f && s[i] <= 0xff)
            || (s[i] < 0x80 && strchr(bad, (int)s[i]) != NULL)) {
            return true;
        }
        if (s[i] == '@' && at == n) {
            at = i;
        }
    }
    if (at == n || at == 0) {
        return true;
    }
    /* every dot-separated domain part: [-a-z0-9]+, not starting with '-' */
    for (i = at + 1; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (part == 0) {
                return true;
            }
            parts += i < n;
            part = 0;
            continue;
        }
        if ((part == 0 && s[i] == '-') || !(is_alnum(s[i]) || s[i] == '-')) {
            return true;
        }
        part++;
    }
    return parts < 2;
}

/* check_web_page_url - a URL with scheme and host, ending in '/' */
static int check_web_page_url(struct cv *c, const char **error_r)
{
    struct value *url = value_dict_get_str(c->arena, c->config, "web_page_url");
    struct strbuf sb = STRBUF_INIT;
    char *dflt = NULL;

    if (url == NULL || !value_is_str(url)) {
        *error_r = errstr("web_page_url is %s, not a string (Mailman fails on it)",
                          url == NULL ? "missing" : value_type_name(url->type));
        return -1;
    }
    if (!url_ok(url->u.str.data, url->u.str.len)) {
        if (c->site->default_url != NULL && c->site->default_url[0] != '\0') {
            dflt = xstrdup(c->site->default_url);
        } else if (c->site->default_url_host != NULL) {
            dflt = site_web_page_url(c->site, c->site->default_url_host);
        }
        if (dflt == NULL) {
            *error_r = errstr("web_page_url %s is not a URL and the site's default URL is "
                              "unknown (name the install dir)", pyval_repr_short(&sb, url));
            strbuf_release(&sb);
            return -1;
        }
        problem_add(c->notes, CODE, c->list, PROBLEM_WARNING,
                    "web_page_url %s is not a URL: the site's %s instead",
                    pyval_repr_short(&sb, url), dflt);
        url = value_new_bytes(c->arena, dflt, strlen(dflt));
        put(c, "web_page_url", url);
        free(dflt);
    }
    if (url->u.str.len > 0 && url->u.str.data[url->u.str.len - 1] != '/') {
        strbuf_reset(&sb);
        strbuf_add(&sb, url->u.str.data, url->u.str.len);
        strbuf_addc(&sb, '/');
        put(c, "web_page_url", url->type == VALUE_TEXT
                                   ? value_new_text(c->arena, sb.buf, sb.len)
                                   : value_new_bytes(c->arena, sb.buf, sb.len));
        problem_add(c->notes, CODE, c->list, PROBLEM_WARNING,
                    "web_page_url given its trailing '/'");
    }
    strbuf_release(&sb);
    return 0;
}

/* check_reply_to - a reply_to_address in use must be valid */
static int check_reply_to(struct cv *c, const char **error_r)
{
    const struct value *rta = value_dict_get_str(c->arena, c->config, "reply_to_address");
    const struct value *rgtl = value_dict_get_str(c->arena, c->config, "reply_goes_to_list");
    struct strbuf sb = STRBUF_INIT;
    uint32_t *chars = NULL;
    size_t n = 0;
    size_t b = 0;
    size_t e = 0;
    bool bad = false;

    if (rta == NULL || rgtl == NULL || !value_is_str(rta)) {
        *error_r = errstr("reply_to_address or reply_goes_to_list is missing or of the "
                          "wrong type (Mailman fails on it)");
        return -1;
    }
    /* reply_to_address.strip() and reply_goes_to_list */
    e = rta->u.str.len;
    while (b < e && strchr(" \t\n\r\f\v", rta->u.str.data[b]) != NULL) {
        b++;
    }
    while (e > b && strchr(" \t\n\r\f\v", rta->u.str.data[e - 1]) != NULL) {
        e--;
    }
    if (b == e || !pyval_truth(rgtl)) {
        return 0;
    }
    chars = chars_of(rta, &n);
    bad = bad_email(chars, n);
    free(chars);
    if (!bad) {
        return 0;
    }
    problem_add(c->notes, CODE, c->list, PROBLEM_WARNING,
                "reply_to_address %s is not a valid address: cleared, reply_goes_to_list=0",
                pyval_repr_short(&sb, rta));
    strbuf_release(&sb);
    put(c, "reply_to_address", value_new_bytes(c->arena, "", 0));
    put(c, "reply_goes_to_list", value_new_int(c->arena, 0));
    return 0;
}

/* check_topics - only 4-tuples */
static int check_topics(struct cv *c, const char **error_r)
{
    struct value *topics = value_dict_get_str(c->arena, c->config, "topics");
    struct value *good = NULL;
    size_t dropped = 0;
    bool changed = false;
    size_t i;

    if (topics == NULL || (topics->type != VALUE_LIST && topics->type != VALUE_TUPLE)) {
        *error_r = errstr("topics is not a list (Mailman fails on it)");
        return -1;
    }
    good = value_new_list(c->arena, topics->u.seq.len);
    for (i = 0; i < topics->u.seq.len; i++) {
        struct value *t = topics->u.seq.items[i];
        struct value *nt = t;
        size_t k;

        if ((t->type != VALUE_TUPLE && t->type != VALUE_LIST) || t->u.seq.len != 4) {
            dropped++;
            changed = true;
            continue;
        }
        if (!value_is_str(t->u.seq.items[1])) {
            *error_r = errstr("topic %zu has a %s pattern (Mailman fails on it)", i,
                              value_type_name(t->u.seq.items[1]->type));
            return -1;
        }
        if (t->type != VALUE_TUPLE) {
            nt = value_new_tuple(c->arena, 4);
            for (k = 0; k < 4; k++) {
                value_seq_append(c->arena, nt, t->u.seq.items[k]);
            }
            changed = true;
        }
        value_seq_append(c->arena, good, nt);
    }
    if (changed || topics->type != VALUE_LIST) {
        put(c, "topics", good);
    }
    if (dropped > 0) {
        problem_add(c->notes, CODE, c->list, PROBLEM_WARNING,
                    "topics: %zu entries that are not (name, pattern, description, "
                    "emptyflag) dropped", dropped);
    }
    return 0;
}

/* checkvalues_apply - CheckValues */
int checkvalues_apply(struct value_arena *arena, struct value *config, const char *list,
                      const struct site_settings *site, struct problem_list *notes,
                      const char **error_r)
{
    struct cv c = { arena, config, list, site, notes };

    if (check_web_page_url(&c, error_r) != 0 || check_reply_to(&c, error_r) != 0
        || check_topics(&c, error_r) != 0) {
        return -1;
    }
    return 0;
}
