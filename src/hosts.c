/*
 * hosts - fix_url's web and mail host, and the literal rewrite of an old
 * host in a list's text, in memory (see hosts.h)
 */
#define _GNU_SOURCE 1   /* memmem */
#include <stdlib.h>
#include <string.h>

#include "mmfix/charset.h"
#include "mmfix/errstr.h"
#include "mmfix/hosts.h"
#include "mmfix/ptrmap.h"
#include "mmfix/repr.h"
#include "mmfix/roster.h"
#include "mmfix/site.h"
#include "mmfix/xalloc.h"

/* HOSTS_KEPT_ATTRIBUTES - never rewritten: fix_url's own two, the roster's
 * key dicts (roster_member_dicts has the others), per-member state keyed by
 * address, secrets, and the list's identity and languages */
const char *const HOSTS_KEPT_ATTRIBUTES[] = {
    "web_page_url", "host_name", "members", "digest_members", "one_last_digest",
    "hold_and_cmd_autoresponses", "password", "mod_password", "post_password",
    "real_name", "preferred_language", "available_languages", NULL,
};

/* host_usable - a host name fix_url could put into a URL and an address */
static bool host_usable(const char *h)
{
    const unsigned char *p = (const unsigned char *)h;

    if (*p == '\0') {
        return false;
    }
    for (; *p != '\0'; p++) {
        if (*p <= ' ' || *p == 0x7f || *p == '/' || *p == '@' || *p == '\\') {
            return false;
        }
    }
    return true;
}

/* hosts_target_make - fix_url's rule */
int hosts_target_make(const struct site_settings *site, const char *url_host,
                      const char *email_host, struct hosts_target *t, const char **error_r)
{
    const char *mail = NULL;

    memset(t, 0, sizeof(*t));
    if (url_host != NULL && *url_host != '\0') {
        if (!host_usable(url_host)) {
            *error_r = errstr("'%s' is not a host name", url_host);
            return -1;
        }
        mail = site_email_host_for_url_host(site, url_host);
        t->mail_from = mail != NULL ? HOSTS_MAIL_VIRTUAL : HOSTS_MAIL_URL_HOST;
        if (mail == NULL) {
            mail = url_host;   /* VIRTUAL_HOSTS.get(urlhost.lower(), urlhost) */
        }
    } else {
        /* fix_url.py without -u: the site's defaults, legacy DEFAULT_URL ignored */
        if (site->default_url_host == NULL || site->default_email_host == NULL) {
            *error_r = "the site's DEFAULT_URL_HOST and DEFAULT_EMAIL_HOST are not known "
                       "(no install dir?): give --url-host";
            return -1;
        }
        url_host = site->default_url_host;
        mail = site->default_email_host;
        t->mail_from = HOSTS_MAIL_DEFAULT;
    }
    if (email_host != NULL) {
        if (!host_usable(email_host)) {
            *error_r = errstr("'%s' is not a host name", email_host);
            return -1;
        }
        mail = email_host;
        t->mail_from = HOSTS_MAIL_GIVEN;
    }
    t->web_page_url = site_web_page_url(site, url_host);
    if (t->web_page_url == NULL) {
        *error_r = errstr("the site's DEFAULT_URL_PATTERN '%s' is not a pattern with one %%s",
                          site->default_url_pattern);
        return -1;
    }
    t->url_host = xstrdup(url_host);
    t->host_name = xstrdup(mail);
    return 0;
}

void hosts_target_free(struct hosts_target *t)
{
    free(t->url_host);
    free(t->web_page_url);
    free(t->host_name);
    memset(t, 0, sizeof(*t));
}

/* set_str - config[name] = the str s unless it already is; 1 if changed */
static int set_str(struct value_arena *arena, struct value *config, const char *name,
                   const char *s)
{
    struct value *v = value_new_bytes(arena, s, strlen(s));
    size_t i;

    for (i = 0; i < config->u.dict.len; i++) {
        if (value_str_eq(config->u.dict.items[i].key, name)) {
            if (value_equal(config->u.dict.items[i].val, v)) {
                return 0;
            }
            value_dict_set_at(arena, config, i, config->u.dict.items[i].key, v);
            return 1;
        }
    }
    value_dict_set(arena, config, value_new_bytes(arena, name, strlen(name)), v);
    return 1;
}

/* hosts_fix_url - the two attributes fix_url sets */
int hosts_fix_url(struct value_arena *arena, struct value *config,
                  const struct hosts_target *t)
{
    return set_str(arena, config, "web_page_url", t->web_page_url)
           + set_str(arena, config, "host_name", t->host_name);
}

/* hosts_rewrite_parse - OLD=NEW */
int hosts_rewrite_parse(const char *arg, struct hosts_rewrite *rw, const char **error_r)
{
    const char *eq = strchr(arg, '=');

    memset(rw, 0, sizeof(*rw));
    if (eq == NULL || eq == arg) {
        *error_r = errstr("--rewrite-text '%s': want OLD=NEW with OLD not empty", arg);
        return -1;
    }
    if (!charset_utf8_valid((const unsigned char *)arg, strlen(arg), NULL)) {
        *error_r = errstr("--rewrite-text: not valid UTF-8");
        return -1;
    }
    rw->old = xstrndup(arg, (size_t)(eq - arg));
    rw->new = xstrdup(eq + 1);
    return 0;
}

void hosts_rewrite_free(struct hosts_rewrite *rw)
{
    free(rw->old);
    free(rw->new);
    memset(rw, 0, sizeof(*rw));
}

/* inside_new - the occurrence of old at s + pos lies inside an occurrence
 * of new (new contains old): it is what an earlier rewrite wrote */
static bool inside_new(const unsigned char *s, size_t n, size_t pos, const char *old,
                       size_t olen, const char *new, size_t nlen)
{
    const char *k = new;

    while (nlen >= olen && (k = memmem(k, nlen - (size_t)(k - new), old, olen)) != NULL) {
        size_t off = (size_t)(k - new);

        if (off <= pos && pos - off + nlen <= n && memcmp(s + pos - off, new, nlen) == 0) {
            return true;
        }
        k++;
        if ((size_t)(k - new) + olen > nlen) {
            break;
        }
    }
    return false;
}

/* replace_pair - s[0..n) with the occurrences of old replaced by new, left
 * to right without overlaps (Python's str.replace), into out; how many */
static size_t replace_pair(const unsigned char *s, size_t n, const struct hosts_rewrite *rw,
                           struct strbuf *out)
{
    size_t olen = strlen(rw->old);
    size_t nlen = strlen(rw->new);
    size_t done = 0;
    size_t count = 0;
    const unsigned char *hit = NULL;

    strbuf_reset(out);
    while (done < n && (hit = memmem(s + done, n - done, rw->old, olen)) != NULL) {
        size_t pos = (size_t)(hit - s);

        strbuf_add(out, s + done, pos - done);
        if (inside_new(s, n, pos, rw->old, olen, rw->new, nlen)) {
            strbuf_add(out, hit, olen);
        } else {
            strbuf_add(out, rw->new, nlen);
            count++;
        }
        done = pos + olen;
    }
    strbuf_add(out, s + done, n - done);
    return count;
}

/* replace_all - every pair in turn over s[0..n), the result in *out */
static size_t replace_all(const unsigned char *s, size_t n, const struct hosts_rewrite *rw,
                          size_t n_rw, struct strbuf *out)
{
    struct strbuf tmp = STRBUF_INIT;
    size_t count = 0;
    size_t i;

    strbuf_reset(out);
    strbuf_add(out, s, n);
    for (i = 0; i < n_rw; i++) {
        size_t c = replace_pair((const unsigned char *)out->buf, out->len, &rw[i], &tmp);

        if (c > 0) {
            struct strbuf swap = *out;
            *out = tmp;
            tmp = swap;
            count += c;
        }
    }
    strbuf_release(&tmp);
    return count;
}

/* all_ascii - every OLD and NEW is ASCII */
static bool all_ascii(const struct hosts_rewrite *rw, size_t n_rw)
{
    size_t i;

    for (i = 0; i < n_rw; i++) {
        if (!charset_is_ascii((const unsigned char *)rw[i].old, strlen(rw[i].old))
            || !charset_is_ascii((const unsigned char *)rw[i].new, strlen(rw[i].new))) {
            return false;
        }
    }
    return true;
}

/* hosts_rewrite_bytes - decode, rewrite, encode back (or bytes, or left) */
void hosts_rewrite_bytes(const char *charset, const unsigned char *data, size_t len,
                         const struct hosts_rewrite *rw, size_t n_rw, struct strbuf *out,
                         size_t *count_r, enum hosts_how *how_r, size_t *bad_r)
{
    struct strbuf text = STRBUF_INIT;
    struct strbuf done = STRBUF_INIT;
    struct strbuf probe = STRBUF_INIT;
    size_t bad = 0;
    size_t count = 0;
    size_t i;

    *how_r = HOSTS_TEXT;
    *bad_r = 0;
    if (charset_decode(charset, data, len, &text, &bad) != 0) {
        *bad_r = bad;
        if (all_ascii(rw, n_rw) && charset_ascii_transparent(charset)) {
            *how_r = HOSTS_BYTES;
            count = replace_all(data, len, rw, n_rw, out);
        } else {
            *how_r = HOSTS_UNDECODABLE;
        }
        goto out;
    }
    count = replace_all((const unsigned char *)text.buf, text.len, rw, n_rw, &done);
    if (count == 0) {
        goto out;
    }
    for (i = 0; i < n_rw; i++) {
        strbuf_reset(&probe);
        if (charset_encode(charset, rw[i].new, strlen(rw[i].new), &probe, &bad) != 0) {
            *how_r = HOSTS_UNENCODABLE;
            *bad_r = i;
            count = 0;
            goto out;
        }
    }
    strbuf_reset(out);
    if (charset_encode(charset, done.buf, done.len, out, &bad) != 0) {
        *how_r = HOSTS_UNENCODABLE;
        count = 0;
    }
out:
    if (count == 0) {
        strbuf_reset(out);
        strbuf_add(out, data, len);
    }
    *count_r = count;
    strbuf_release(&text);
    strbuf_release(&done);
    strbuf_release(&probe);
}

/* The walk of one configuration. */
struct walk {
    struct value_arena *arena;
    const char *charset;
    const struct hosts_rewrite *rw;
    size_t n_rw;
    const char *list;
    struct problem_list *problems;
    struct ptrmap seen;        /* containers already walked (shared ones once) */
    struct strbuf path;        /* attribute[key][index] of the value at hand */
    struct strbuf out;
    size_t as_bytes;           /* occurrences replaced as bytes in this attribute */
    size_t first_bad;          /* and the offset that made them bytes */
};

static struct value *walk_value(struct walk *w, struct value *v, size_t *count);

/* path_cut - back to the first mark bytes of the path */
static void path_cut(struct walk *w, size_t mark)
{
    if (w->path.buf != NULL) {
        w->path.len = mark;
        w->path.buf[mark] = '\0';
    }
}

/* walk_string - the rewritten copy of a str/unicode v, or v */
static struct value *walk_string(struct walk *w, struct value *v, size_t *count)
{
    enum hosts_how how = HOSTS_TEXT;
    size_t n = 0;
    size_t bad = 0;

    if (v->type == VALUE_TEXT) {
        n = replace_all(v->u.str.data, v->u.str.len, w->rw, w->n_rw, &w->out);
        *count += n;
        return n > 0 ? value_new_text(w->arena, w->out.buf, w->out.len) : v;
    }
    hosts_rewrite_bytes(w->charset, v->u.str.data, v->u.str.len, w->rw, w->n_rw, &w->out, &n,
                        &how, &bad);
    switch (how) {
    case HOSTS_TEXT:
        break;
    case HOSTS_BYTES:
        if (n > 0 && w->as_bytes++ == 0) {
            w->first_bad = bad;
        }
        break;
    case HOSTS_UNDECODABLE:
        if (replace_all(v->u.str.data, v->u.str.len, w->rw, w->n_rw, &w->out) > 0) {
            problem_add(w->problems, "rewrite-undecodable", w->list, PROBLEM_WARNING,
                        "%s: not valid %s at byte %zu and the text to rewrite is not ASCII: "
                        "left as it is", strbuf_cstr(&w->path), w->charset, bad);
        }
        break;
    case HOSTS_UNENCODABLE:
        problem_add(w->problems, "rewrite-unencodable", w->list, PROBLEM_WARNING,
                    "%s: '%s' cannot be written in the list's charset %s: left as it is",
                    strbuf_cstr(&w->path), w->rw[bad].new, w->charset);
        break;
    }
    *count += n;
    return n > 0 ? value_new_bytes(w->arena, w->out.buf, w->out.len) : v;
}

/* walk_value - v with its strings rewritten: containers in place, strings
 * as new nodes (returned; v itself when nothing changed) */
static struct value *walk_value(struct walk *w, struct value *v, size_t *count)
{
    bool added = false;
    size_t mark = w->path.len;
    size_t i;

    switch (v->type) {
    case VALUE_BYTES:
    case VALUE_TEXT:
        return walk_string(w, v, count);
    case VALUE_LIST:
    case VALUE_TUPLE:
    case VALUE_DICT:
        break;
    default:
        return v;   /* numbers, None, instances (Mailman objects) */
    }
    ptrmap_insert(&w->seen, v, &added);
    if (!added) {
        return v;
    }
    if (v->type == VALUE_DICT) {
        for (i = 0; i < v->u.dict.len; i++) {
            struct value_pair *it = &v->u.dict.items[i];
            struct value *nv = NULL;

            strbuf_addc(&w->path, '[');
            repr_value(&w->path, it->key);
            strbuf_addc(&w->path, ']');
            nv = walk_value(w, it->val, count);
            if (nv != it->val) {
                value_dict_set_at(w->arena, v, i, it->key, nv);
            }
            path_cut(w, mark);
        }
        return v;
    }
    for (i = 0; i < v->u.seq.len; i++) {
        struct value *nv = NULL;

        strbuf_addf(&w->path, "[%zu]", i);
        nv = walk_value(w, v->u.seq.items[i], count);
        if (nv != v->u.seq.items[i]) {
            value_seq_set_at(v, i, nv);
        }
        path_cut(w, mark);
    }
    return v;
}

/* kept_attribute - the rewrite leaves this attribute alone */
static bool kept_attribute(const struct value *key)
{
    size_t i;

    for (i = 0; HOSTS_KEPT_ATTRIBUTES[i] != NULL; i++) {
        if (value_str_eq(key, HOSTS_KEPT_ATTRIBUTES[i])) {
            return true;
        }
    }
    for (i = 0; roster_member_dicts[i] != NULL; i++) {
        if (value_str_eq(key, roster_member_dicts[i])) {
            return true;
        }
    }
    return false;
}

/* members_holding - member addresses (members, digest_members keys) that
 * hold an OLD: one note, for the administrator to decide */
static void members_holding(struct value *config, const struct hosts_rewrite *rw, size_t n_rw,
                            const char *list, struct problem_list *notes)
{
    static const char *const rosters[] = { "members", "digest_members", NULL };
    struct problem_examples ex = PROBLEM_EXAMPLES_INIT;
    size_t r;
    size_t i;
    size_t k;

    for (r = 0; rosters[r] != NULL; r++) {
        struct value *d = value_dict_get_str(NULL, config, rosters[r]);

        for (i = 0; d != NULL && d->type == VALUE_DICT && i < d->u.dict.len; i++) {
            const struct value *key = d->u.dict.items[i].key;

            for (k = 0; value_is_str(key) && k < n_rw; k++) {
                if (memmem(key->u.str.data, key->u.str.len, rw[k].old, strlen(rw[k].old))
                    != NULL) {
                    problem_examples_add(&ex, key);
                    break;
                }
            }
        }
    }
    problem_examples_report(&ex, notes, "rewrite-members-kept", list, PROBLEM_WARNING,
                            "member addresses hold the text to rewrite and are kept (they "
                            "are the members' own mailboxes, which do not move with the "
                            "list; change them with Mailman's bin/clone_member if they "
                            "should)");
}

/* hosts_rewrite_config - every string value outside the kept attributes */
size_t hosts_rewrite_config(struct value_arena *arena, struct value *config,
                            const char *charset, const struct hosts_rewrite *rw, size_t n_rw,
                            const char *list, struct problem_list *notes,
                            struct problem_list *problems)
{
    struct walk w;
    size_t total = 0;
    size_t i;

    if (config == NULL || config->type != VALUE_DICT || n_rw == 0) {
        return 0;
    }
    memset(&w, 0, sizeof(w));
    w.arena = arena;
    w.charset = charset;
    w.rw = rw;
    w.n_rw = n_rw;
    w.list = list;
    w.problems = problems;
    strbuf_init(&w.path);
    strbuf_init(&w.out);
    for (i = 0; i < config->u.dict.len; i++) {
        struct value_pair *it = &config->u.dict.items[i];
        struct value *nv = NULL;
        size_t count = 0;

        if (kept_attribute(it->key)) {
            continue;
        }
        strbuf_reset(&w.path);
        if (value_is_str(it->key)) {
            strbuf_add(&w.path, it->key->u.str.data, it->key->u.str.len);
        } else {
            repr_value(&w.path, it->key);
        }
        w.as_bytes = 0;
        nv = walk_value(&w, it->val, &count);
        if (nv != it->val) {
            value_dict_set_at(arena, config, i, it->key, nv);
        }
        if (count > 0) {
            if (w.as_bytes > 0) {
                problem_add(notes, "text-rewritten", list, PROBLEM_WARNING,
                            "%s: %zu occurrence%s rewritten (%zu value%s not valid %s, from "
                            "byte %zu: rewritten as bytes, the other bytes unchanged)",
                            strbuf_cstr(&w.path), count, count == 1 ? "" : "s", w.as_bytes,
                            w.as_bytes == 1 ? "" : "s", charset, w.first_bad);
            } else {
                problem_add(notes, "text-rewritten", list, PROBLEM_WARNING,
                            "%s: %zu occurrence%s rewritten", strbuf_cstr(&w.path), count,
                            count == 1 ? "" : "s");
            }
        }
        total += count;
    }
    members_holding(config, rw, n_rw, list, notes);
    ptrmap_release(&w.seen);
    strbuf_release(&w.path);
    strbuf_release(&w.out);
    return total;
}
