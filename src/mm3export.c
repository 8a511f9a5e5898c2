/*
 * mm3export - a Mailman 2.1 list's configuration as Mailman 3's import21 takes it
 *
 * DESCRIPTION
 *  See mm3export.h. What import21 does with each value is read from Debian's
 *  mailman3 3.3.8 (mailman/utilities/importer.py, import_config_pck and
 *  _import_roster); the comments name the lines of it each step mirrors.
 *
 * SECURITY
 *  The configuration is untrusted: nesting is bounded (a cycle is refused),
 *  strings are only decoded, never interpreted; header rule patterns are
 *  compiled (never matched) by Python's re in the embedded interpreter.
 */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "mmfix/charset.h"
#include "mmfix/errstr.h"
#include "mmfix/jsonw.h"
#include "mmfix/mm3export.h"
#include "mmfix/pickle.h"
#include "mmfix/ptrmap.h"
#include "mmfix/pyload.h"
#include "mmfix/pyval.h"
#include "mmfix/xalloc.h"

/* deeper than this is a cycle or a hostile file: Mailman's own data nests 4 levels */
#define MM3EXPORT_MAX_DEPTH 1000
/* fallbacks named one by one; beyond, counted per attribute */
#define MM3EXPORT_MAX_FALLBACK_NOTES 1000

/* notes_add - one note (where and what copied) */
static void notes_add(struct mm3export_notes *n, const char *where, const char *what)
{
    if (n->len == n->cap) {
        n->cap = n->cap ? 2 * n->cap : 8;
        n->items = xreallocarray(n->items, n->cap, sizeof(*n->items));
    }
    n->items[n->len].where = xstrdup(where);
    n->items[n->len].what = xstrdup(what);
    n->len++;
}

static void notes_free(struct mm3export_notes *n)
{
    size_t i;

    for (i = 0; i < n->len; i++) {
        free(n->items[i].where);
        free(n->items[i].what);
    }
    free(n->items);
    memset(n, 0, sizeof(*n));
}

/* ---- decoding every str ---- */

/* decode_str - data in charset, else UTF-8, else Latin-1, into out; the charset that took it */
static const char *decode_str(const unsigned char *data, size_t len, const char *charset,
                              struct strbuf *out)
{
    if (charset_is_ascii(data, len)) {
        strbuf_add(out, data, len);
        return charset != NULL ? charset : "us-ascii";
    }
    if (charset != NULL && charset_decode(charset, data, len, out, NULL) == 0) {
        return charset;
    }
    if (charset_decode("utf-8", data, len, out, NULL) == 0) {
        return "utf-8";
    }
    charset_decode("iso-8859-1", data, len, out, NULL);
    return "iso-8859-1";
}

/* mm3export_text - a string value as UTF-8 */
char *mm3export_text(const struct value *v, const char *charset, const char **as_r)
{
    struct strbuf sb = STRBUF_INIT;
    const char *as = "utf-8";

    if (v == NULL || !value_is_str(v)) {
        return NULL;
    }
    if (v->type == VALUE_TEXT) {
        strbuf_add(&sb, v->u.str.data, v->u.str.len);
    } else {
        as = decode_str(v->u.str.data, v->u.str.len, charset, &sb);
    }
    if (as_r != NULL) {
        *as_r = as;
    }
    return strbuf_detach(&sb, NULL);
}

struct frame {
    const struct value *container;
    size_t index;
    bool key;            /* the item's key, not its value */
};

struct walk {
    struct value_arena *arena;
    struct mm3export *x;
    struct ptrmap seen;  /* containers done (shared ones are walked once) */
    struct frame frames[MM3EXPORT_MAX_DEPTH + 1];
    unsigned depth;
    size_t unnamed;      /* fallbacks beyond MM3EXPORT_MAX_FALLBACK_NOTES */
    struct strbuf scratch;
};

/* path_text - the Python expression of the current position: attr['key'][2] */
static void path_text(const struct walk *w, struct strbuf *out)
{
    unsigned i;

    for (i = 0; i < w->depth; i++) {
        const struct value *c = w->frames[i].container;
        size_t idx = w->frames[i].index;

        if (c->type == VALUE_DICT) {
            const struct value *k = c->u.dict.items[idx].key;
            bool str = value_is_str(k);
            if (i == 0 && str) {
                strbuf_add(out, k->u.str.data, k->u.str.len);
            } else {
                strbuf_adds(out, str ? "['" : "[");
                if (str) {
                    strbuf_add(out, k->u.str.data, k->u.str.len);
                } else {
                    strbuf_adds(out, value_type_name(k->type));
                }
                strbuf_adds(out, str ? "']" : "]");
            }
            if (w->frames[i].key) {
                strbuf_adds(out, " (the key)");
            }
        } else {
            strbuf_addf(out, "[%zu]", idx);
        }
    }
}

/* decode_node - a str becomes unicode (the node itself changes, so every
 * reference to it sees the text) */
static void decode_node(struct walk *w, struct value *v)
{
    const char *as = NULL;
    char *data = NULL;
    size_t len = 0;

    strbuf_reset(&w->scratch);
    as = decode_str(v->u.str.data, v->u.str.len, w->x->charset, &w->scratch);
    w->x->strings++;
    if (strcmp(as, "us-ascii") != 0 && (w->x->charset == NULL || strcmp(as, w->x->charset) != 0)) {
        if (w->x->fallbacks.len < MM3EXPORT_MAX_FALLBACK_NOTES) {
            struct strbuf path = STRBUF_INIT;
            path_text(w, &path);
            notes_add(&w->x->fallbacks, strbuf_cstr(&path), as);
            strbuf_release(&path);
        } else {
            w->unnamed++;
        }
    }
    data = value_arena_alloc(w->arena, w->scratch.len + 1);
    memcpy(data, w->scratch.buf, w->scratch.len);
    len = w->scratch.len;
    v->type = VALUE_TEXT;
    v->u.str.data = (const unsigned char *)data;
    v->u.str.len = len;
}

static int walk_value(struct walk *w, struct value *v, const char **error_r);

/* walk_item - walk v as item index (key or value) of container c */
static int walk_item(struct walk *w, const struct value *c, size_t index, bool key,
                     struct value *v, const char **error_r)
{
    int rc;

    if (w->depth == MM3EXPORT_MAX_DEPTH) {
        *error_r = errstr("values nested deeper than %d levels (or a cycle)",
                          MM3EXPORT_MAX_DEPTH);
        return -1;
    }
    w->frames[w->depth].container = c;
    w->frames[w->depth].index = index;
    w->frames[w->depth].key = key;
    w->depth++;
    rc = walk_value(w, v, error_r);
    w->depth--;
    return rc;
}

/* rebuild_dict - d's items again, keys decoded: a key equal to an earlier
 * one (a str and a unicode of the same text) is left out and noted */
static void rebuild_dict(struct walk *w, struct value *d)
{
    struct value *nd = value_new_dict(w->arena, d->u.dict.len);
    size_t i;

    for (i = 0; i < d->u.dict.len; i++) {
        struct value *k = d->u.dict.items[i].key;
        struct value *v = d->u.dict.items[i].val;
        if (value_dict_get(w->arena, nd, k) != NULL) {
            struct strbuf path = STRBUF_INIT;
            w->frames[w->depth].container = d;
            w->frames[w->depth].index = i;
            w->frames[w->depth].key = false;
            w->depth++;
            path_text(w, &path);
            w->depth--;
            notes_add(&w->x->left_out, strbuf_cstr(&path),
                      "a second key of the same text once decoded (str and unicode): "
                      "the first is kept");
            strbuf_release(&path);
        } else {
            value_dict_set(w->arena, nd, k, v);
        }
        k->refs--;
        v->refs--;
    }
    d->u.dict = nd->u.dict;
}

/* walk_value - decode every str under v */
static int walk_value(struct walk *w, struct value *v, const char **error_r)
{
    bool added = false;
    size_t i;

    switch (v->type) {
    case VALUE_BYTES:
        decode_node(w, v);
        return 0;
    case VALUE_TUPLE:
    case VALUE_LIST:
    case VALUE_DICT:
        break;
    case VALUE_INSTANCE:
        /* taken out before the walk: prepare refuses what is left */
        *error_r = errstr("an instance of %s inside a value", v->u.inst.cls);
        return -1;
    default:
        return 0;
    }
    ptrmap_insert(&w->seen, v, &added);
    if (!added) {
        return 0;
    }
    if (v->type == VALUE_DICT) {
        for (i = 0; i < v->u.dict.len; i++) {
            if (walk_item(w, v, i, true, v->u.dict.items[i].key, error_r) != 0
                || walk_item(w, v, i, false, v->u.dict.items[i].val, error_r) != 0) {
                return -1;
            }
        }
        rebuild_dict(w, v);
        return 0;
    }
    for (i = 0; i < v->u.seq.len; i++) {
        if (walk_item(w, v, i, false, v->u.seq.items[i], error_r) != 0) {
            return -1;
        }
    }
    return 0;
}

/* ---- what import21 cannot take ---- */

/* has_instance - an instance anywhere under v (bounded; a cycle counts as none) */
static bool has_instance(const struct value *v, unsigned depth)
{
    size_t i;

    if (depth > MM3EXPORT_MAX_DEPTH) {
        return false;
    }
    switch (v->type) {
    case VALUE_INSTANCE:
        return true;
    case VALUE_TUPLE:
    case VALUE_LIST:
        for (i = 0; i < v->u.seq.len; i++) {
            if (has_instance(v->u.seq.items[i], depth + 1)) {
                return true;
            }
        }
        return false;
    case VALUE_DICT:
        for (i = 0; i < v->u.dict.len; i++) {
            if (has_instance(v->u.dict.items[i].key, depth + 1)
                || has_instance(v->u.dict.items[i].val, depth + 1)) {
                return true;
            }
        }
        return false;
    default:
        return false;
    }
}

/* The attributes import21 converts to an enum (TYPES) or through a mapping
 * dict: outside the range Enum() raises ValueError and the mappings of the
 * DMARC actions KeyError, which abort the import of the whole list; the
 * mappings of filter_action and generic_nonmember_action raise a KeyError
 * import21 catches, printing a message and dropping the value. */
static const struct enum_range {
    const char *attr;
    long long max;
    const char *to;
    bool aborts;
} enum_ranges[] = {
    { "autorespond_requests", 2, "ResponseAction", true },
    { "digest_volume_frequency", 4, "DigestFrequency", true },
    { "bounce_unrecognized_goes_to_list_owner", 2, "UnrecognizedBounceDisposition", true },
    { "news_moderation", 2, "NewsgroupModeration", true },
    { "personalize", 2, "Personalization", true },
    { "reply_goes_to_list", 3, "ReplyToMunging", true },
    { "subscribe_policy", 3, "SubscriptionPolicy", true },
    { "dmarc_moderation_action", 4, "DMARCMitigateAction", true },
    { "from_is_list", 4, "DMARCMitigateAction", true },
    { "generic_nonmember_action", 3, "nonmember Action", false },
    { "filter_action", 3, "FilterAction", false },
};

/* drop_item - remove item i of config and note why */
static void drop_item(struct value_arena *arena, struct value *config, size_t i,
                      struct mm3export *x, const char *what)
{
    struct value *key = config->u.dict.items[i].key;
    struct strbuf where = STRBUF_INIT;

    if (value_is_str(key)) {
        strbuf_add(&where, key->u.str.data, key->u.str.len);
    } else {
        strbuf_addf(&where, "a key of type %s", value_type_name(key->type));
    }
    notes_add(&x->left_out, strbuf_cstr(&where), what);
    strbuf_release(&where);
    value_dict_del(arena, config, key);
}

/* take_out - what import21 cannot take, before the strs are decoded */
static void take_out(struct value_arena *arena, struct value *config, struct mm3export *x)
{
    size_t i = 0;

    while (i < config->u.dict.len) {
        struct value *k = config->u.dict.items[i].key;
        struct value *v = config->u.dict.items[i].val;
        if (!value_is_str(k)) {
            /* hasattr(mlist, key) raises TypeError on it: the import dies */
            drop_item(arena, config, i, x, "not a string: import21 fails on such a key");
        } else if (value_str_eq(k, "bounce_info")) {
            /* import21 has no use for it (Mailman 3's list has no such attribute) and
             * needs its fake Mailman.Bouncer module to load it: left out, noted when
             * there are records */
            x->bounce_info = v->type == VALUE_DICT ? v->u.dict.len : value_len(v);
            if (x->bounce_info > 0) {
                char *what = xasprintf("%zu bounce record%s (Mailman.Bouncer._BounceInfo): "
                                       "Mailman 3 imports no bounce information",
                                       x->bounce_info, x->bounce_info == 1 ? "" : "s");
                drop_item(arena, config, i, x, what);
                free(what);
            } else {
                value_dict_del(arena, config, k);
            }
        } else if (has_instance(v, 0)) {
            drop_item(arena, config, i, x, "holds a class instance import21 cannot load");
        } else {
            i++;
        }
    }
}

/* check_enums - enum-valued attributes in range (after decoding) */
static void check_enums(struct value_arena *arena, struct value *config, struct mm3export *x)
{
    struct strbuf r = STRBUF_INIT;
    size_t i;
    size_t k;

    for (i = 0; i < sizeof(enum_ranges) / sizeof(enum_ranges[0]); i++) {
        const struct enum_range *e = &enum_ranges[i];
        for (k = 0; k < config->u.dict.len; k++) {
            struct value *v = config->u.dict.items[k].val;
            long long n = 0;
            char *what = NULL;
            if (!value_str_eq(config->u.dict.items[k].key, e->attr)) {
                continue;
            }
            if (pyval_as_int(v, &n) && n >= 0 && n <= e->max) {
                break;
            }
            what = xasprintf("%s is not a %s (0 to %lld): import21 %s", pyval_repr_short(&r, v),
                             e->to, e->max, e->aborts ? "would fail on the whole list"
                             : "would drop it with a conversion error");
            drop_item(arena, config, k, x, what);
            free(what);
            break;
        }
    }
    strbuf_release(&r);
}

/* ---- rosters ---- */

/* mm3_address_valid - Mailman 3's Validator.is_valid (mailman/email/validate.py) */
static bool mm3_address_valid(const char *email)
{
    static const char local_ok[] = "-!#$%&'*+./=?@_`{}~";
    const char *at = strchr(email, '@');
    const char *p = NULL;
    size_t parts = 0;
    bool part_start = true;

    if (at == NULL || at == email) {
        return false;
    }
    for (p = email; p < at; p++) {
        unsigned char c = (unsigned char)*p;
        if (!((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
            && strchr(local_ok, c) == NULL) {
            return false;
        }
    }
    /* the domain split on dots: at least two parts, none empty, none starting with '-',
     * only [-a-z0-9] */
    for (p = at + 1;; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '.' || c == '\0') {
            if (part_start) {
                return false;
            }
            parts++;
            part_start = true;
            if (c == '\0') {
                break;
            }
            continue;
        }
        if (part_start && c == '-') {
            return false;
        }
        if (!((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '-')) {
            return false;
        }
        part_start = false;
    }
    return parts >= 2;
}

/* lower_ascii - a lower-cased copy (Python's str.lower() for the addresses real data holds) */
static char *lower_ascii(const unsigned char *s, size_t len)
{
    char *r = xmalloc(len + 1);
    size_t i;

    for (i = 0; i < len; i++) {
        r[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
    }
    r[len] = '\0';
    return r;
}

/* text_dup - a decoded string value as a C string (NUL bytes end it) */
static char *text_dup(const struct value *v)
{
    return v != NULL && value_is_str(v) ? xstrndup((const char *)v->u.str.data, v->u.str.len)
                                        : NULL;
}

struct roster {
    struct value_arena *arena;
    struct value *config;
    struct value *seen;          /* email -> True, in the arena */
    struct value *bans;          /* ban_list, or NULL */
    regex_t *ban_re;             /* the '^' bans compiled ... */
    bool *ban_ok;                /* ... where regcomp took them */
    size_t n_bans;
};

/* banned - IBanManager.is_banned for the list's own bans: the address itself, or a '^'
 * pattern matching it, case-insensitively (POSIX extended regexps stand in for
 * Python's re; a pattern they cannot read bans nothing here) */
static bool banned(const struct roster *r, const char *email)
{
    size_t i;

    for (i = 0; i < r->n_bans; i++) {
        const struct value *b = r->bans->u.seq.items[i];
        if (!value_is_str(b)) {
            continue;
        }
        if (b->u.str.len > 0 && b->u.str.data[0] == '^') {
            if (r->ban_ok[i] && regexec(&r->ban_re[i], email, 0, NULL, 0) == 0) {
                return true;
            }
        } else if (strlen(email) == b->u.str.len && memcmp(email, b->u.str.data,
                                                             b->u.str.len) == 0) {
            return true;
        }
    }
    return false;
}

/* add_address - one address _import_roster subscribes (the first role it gets) */
static void add_address(struct roster *r, struct mm3export *x, const struct value *addr,
                        enum mm3export_role role)
{
    struct value *usernames = value_dict_get_str(r->arena, r->config, "usernames");
    struct value *key = NULL;
    struct value *orig = NULL;
    struct mm3export_address *a = NULL;
    char *email = NULL;
    size_t k;

    if (!value_is_str(addr)) {
        return;
    }
    email = lower_ascii(addr->u.str.data, addr->u.str.len);
    key = value_new_text(r->arena, email, strlen(email));
    if (value_dict_get(r->arena, r->seen, key) != NULL) {
        free(email);
        return;
    }
    value_dict_set(r->arena, r->seen, key, value_new_bool(r->arena, true));
    if (x->n_addresses == x->cap_addresses) {
        x->cap_addresses = x->cap_addresses ? 2 * x->cap_addresses : 64;
        x->addresses = xreallocarray(x->addresses, x->cap_addresses, sizeof(*x->addresses));
    }
    a = &x->addresses[x->n_addresses++];
    memset(a, 0, sizeof(*a));
    a->email = email;
    a->role = role;
    /* merged_members (members updated with digest_members, so a digest entry wins)
     * .get(email, 0) != 0: the case a member's address keeps */
    for (k = 0; k < 2; k++) {
        struct value *m = value_dict_get_str(r->arena, r->config,
                                             k == 0 ? "digest_members" : "members");
        struct value *o = m != NULL && m->type == VALUE_DICT ? value_dict_get(r->arena, m, key)
                                                             : NULL;
        if (o != NULL) {
            orig = value_is_str(o) && o->u.str.len > 0 ? o : NULL;
            break;
        }
    }
    a->original = orig != NULL ? text_dup(orig) : xstrdup(email);
    if (!mm3_address_valid(a->original)) {
        free(a->original);
        a->original = xstrdup(email);
    }
    if (usernames != NULL && usernames->type == VALUE_DICT) {
        a->display = text_dup(value_dict_get(r->arena, usernames, key));
    }
    if (banned(r, email)) {
        notes_add(&x->refused, email, "banned (ban_list): import21 does not subscribe it");
    } else if (!mm3_address_valid(email)) {
        notes_add(&x->refused, email, "not an address Mailman 3 accepts: import21 skips it");
    }
}

/* add_keys - the keys of config[attr] (a dict) */
static void add_keys(struct roster *r, struct mm3export *x, const char *attr)
{
    struct value *d = value_dict_get_str(r->arena, r->config, attr);
    size_t i;

    if (d != NULL && d->type == VALUE_DICT) {
        for (i = 0; i < d->u.dict.len; i++) {
            add_address(r, x, d->u.dict.items[i].key, MM3EXPORT_MEMBER);
        }
    }
}

/* add_items - the items of config[attr] (a list) */
static void add_items(struct roster *r, struct mm3export *x, const char *attr,
                      enum mm3export_role role)
{
    struct value *l = value_dict_get_str(r->arena, r->config, attr);
    size_t i;

    if (l != NULL && (l->type == VALUE_LIST || l->type == VALUE_TUPLE)) {
        for (i = 0; i < l->u.seq.len; i++) {
            add_address(r, x, l->u.seq.items[i], role);
        }
    }
}

static const char *const nonmember_attrs[] = {
    "accept_these_nonmembers", "hold_these_nonmembers", "reject_these_nonmembers",
    "discard_these_nonmembers",
};

/* nonmembers - the *_these_nonmembers entries: addresses subscribed as nonmembers, the
 * rest noted (import21 keeps '^' regexps in the legacy attribute and drops the others) */
static void nonmembers(struct roster *r, struct mm3export *x)
{
    size_t a;
    size_t i;

    for (a = 0; a < sizeof(nonmember_attrs) / sizeof(nonmember_attrs[0]); a++) {
        struct value *l = value_dict_get_str(r->arena, r->config, nonmember_attrs[a]);
        if (l == NULL || (l->type != VALUE_LIST && l->type != VALUE_TUPLE)) {
            continue;
        }
        for (i = 0; i < l->u.seq.len; i++) {
            const struct value *e = l->u.seq.items[i];
            char *where = NULL;
            char *lower = NULL;
            if (!value_is_str(e)) {
                continue;
            }
            where = xasprintf("%s: %.*s", nonmember_attrs[a], (int)e->u.str.len,
                              (const char *)e->u.str.data);
            lower = lower_ascii(e->u.str.data, e->u.str.len);
            if (e->u.str.len > 0 && e->u.str.data[0] == '^') {
                notes_add(&x->nonmember_rules, where,
                          "a regular expression: kept as a legacy rule, which Mailman 3 "
                          "applies only to senders with no nonmember action of their own");
            } else if (e->u.str.len > 0 && e->u.str.data[0] == '@') {
                notes_add(&x->nonmember_rules, where,
                          "another list's members: Mailman 3 has no such rule, import21 "
                          "drops it");
            } else if (!mm3_address_valid(lower)) {
                notes_add(&x->nonmember_rules, where,
                          "not an address Mailman 3 accepts: import21 drops it");
            } else {
                add_address(r, x, e, MM3EXPORT_NONMEMBER);
            }
            free(lower);
            free(where);
        }
    }
}

/* rosters - every address import21 subscribes, in its order */
static void rosters(struct value_arena *arena, struct value *config, struct mm3export *x)
{
    struct roster r;
    size_t i;

    memset(&r, 0, sizeof(r));
    r.arena = arena;
    r.config = config;
    r.seen = value_new_dict(arena, 64);
    r.bans = value_dict_get_str(arena, config, "ban_list");
    if (r.bans != NULL && (r.bans->type == VALUE_LIST || r.bans->type == VALUE_TUPLE)) {
        r.n_bans = r.bans->u.seq.len;
        r.ban_re = xcalloc(r.n_bans ? r.n_bans : 1, sizeof(*r.ban_re));
        r.ban_ok = xcalloc(r.n_bans ? r.n_bans : 1, sizeof(*r.ban_ok));
        for (i = 0; i < r.n_bans; i++) {
            char *pat = text_dup(r.bans->u.seq.items[i]);
            r.ban_ok[i] = pat != NULL && pat[0] == '^'
                          && regcomp(&r.ban_re[i], pat, REG_EXTENDED | REG_ICASE | REG_NOSUB) == 0;
            free(pat);
        }
    }
    add_keys(&r, x, "members");
    add_keys(&r, x, "digest_members");
    add_items(&r, x, "owner", MM3EXPORT_OWNER);
    add_items(&r, x, "moderator", MM3EXPORT_MODERATOR);
    nonmembers(&r, x);
    for (i = 0; i < r.n_bans; i++) {
        if (r.ban_ok[i]) {
            regfree(&r.ban_re[i]);
        }
    }
    free(r.ban_re);
    free(r.ban_ok);
}

/* ---- header_filter_rules ---- */

/* line_break - the length of the line break at s (Python's str.splitlines() breaks: \n, \r,
 * \r\n, \v, \f, \x1c-\x1e, U+0085, U+2028, U+2029 in UTF-8), 0 if none */
static size_t line_break(const unsigned char *s, size_t left)
{
    if (s[0] == '\r') {
        return left > 1 && s[1] == '\n' ? 2 : 1;
    }
    if (s[0] == '\n' || s[0] == '\v' || s[0] == '\f' || (s[0] >= 0x1c && s[0] <= 0x1e)) {
        return 1;
    }
    if (left > 1 && s[0] == 0xc2 && s[1] == 0x85) {
        return 2;
    }
    if (left > 2 && s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9)) {
        return 3;
    }
    return 0;
}

/* is_space - Python's str.strip() set for ASCII (what header names hold) */
static bool is_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

struct header_line {
    char *line;       /* the rule's line, as written */
    char *header;     /* lower-cased header name, as import21 makes it */
    char *pattern;    /* ".*" when the line names only the header */
    const char *chain;
};

/* chain_for - action_to_chain(): the Mailman 3 chain of a 2.1 header rule action; NULL
 * for approve (1), subscribe (4), unsubscribe (5) and anything else */
static const char *chain_for(const struct value *action)
{
    long long a = -1;

    if (!pyval_as_int(action, &a)) {
        return NULL;
    }
    switch (a) {
    case 0: return "defer";
    case 2: return "reject";
    case 3: return "discard";
    case 6: return "accept";
    case 7: return "hold";
    default: return NULL;
    }
}

/* split_rule_line - header and pattern of one line, as import21 partitions it at the first
 * of ': ', ':.*', ':.', ':'; false when the line has no ':' (it matches any header) */
static bool split_rule_line(const char *line, char **header_r, char **pattern_r)
{
    static const char *const seps[] = { ": ", ":.*", ":.", ":" };
    const char *at = NULL;
    const char *h = NULL;
    const char *e = NULL;
    struct strbuf sb = STRBUF_INIT;
    size_t i;

    for (i = 0; i < 4 && at == NULL; i++) {
        at = strstr(line, seps[i]);
    }
    if (at == NULL) {
        return false;
    }
    i--;
    *pattern_r = xstrdup(at + strlen(seps[i]));
    /* header.strip().lstrip('^').lower().replace('\\', '') */
    for (h = line; h < at && is_space((unsigned char)*h); h++) {
    }
    for (e = at; e > h && is_space((unsigned char)e[-1]); e--) {
    }
    while (h < e && *h == '^') {
        h++;
    }
    for (; h < e; h++) {
        if (*h != '\\') {
            strbuf_addc(&sb, (char)(*h >= 'A' && *h <= 'Z' ? *h + 32 : *h));
        }
    }
    *header_r = strbuf_detach(&sb, NULL);
    return true;
}

/* check_patterns - which of the patterns Python's re refuses (bad[i] true) */
static void check_patterns(const struct header_line *lines, size_t n, bool *bad)
{
    struct value_arena *arena = NULL;
    struct value *res = NULL;
    struct strbuf arg = STRBUF_INIT;
    const char *err = NULL;
    size_t i;

    if (n == 0) {
        return;
    }
    strbuf_addc(&arg, '[');
    for (i = 0; i < n; i++) {
        if (i > 0) {
            strbuf_addc(&arg, ',');
        }
        jsonw_quote(&arg, lines[i].pattern, strlen(lines[i].pattern));
    }
    strbuf_addc(&arg, ']');
    arena = value_arena_new();
    if (pyload_call("mm3", "bad_patterns", strbuf_cstr(&arg), arena, &res, &err) == 0
        && res->type == VALUE_LIST) {
        for (i = 0; i < res->u.seq.len; i++) {
            long long k = -1;
            if (pyval_as_int(res->u.seq.items[i], &k) && k >= 0 && (size_t)k < n) {
                bad[k] = true;
            }
        }
    }
    value_arena_free(&arena);
    strbuf_release(&arg);
}

/* header_rules - header_filter_rules as import21 maps them to header matches: rules it would
 * fail on are left out, lines it skips noted */
static void header_rules(struct value_arena *arena, struct value *config, struct mm3export *x)
{
    struct value *rules = value_dict_get_str(arena, config, "header_filter_rules");
    struct header_line *lines = NULL;
    size_t n = 0;
    size_t cap = 0;
    bool *bad = NULL;
    size_t orig = 0;
    size_t i;
    size_t k;

    if (rules == NULL || (rules->type != VALUE_LIST && rules->type != VALUE_TUPLE)) {
        return;
    }
    i = 0;
    for (orig = 0; i < rules->u.seq.len; orig++) {
        struct value *r = rules->u.seq.items[i];
        struct value *text = NULL;
        const char *chain = NULL;
        const unsigned char *s = NULL;
        size_t len = 0;
        size_t pos = 0;
        if ((r->type != VALUE_TUPLE && r->type != VALUE_LIST) || r->u.seq.len != 3
            || !value_is_str(r->u.seq.items[0])
            || (r->u.seq.items[1]->type == VALUE_LIST || r->u.seq.items[1]->type == VALUE_DICT)) {
            /* `for line_patterns, action, _unused in ...` and .splitlines() fail on it */
            struct strbuf w = STRBUF_INIT;
            strbuf_addf(&w, "header_filter_rules[%zu]", orig);
            notes_add(&x->left_out, strbuf_cstr(&w),
                      "not a (patterns, action, flag) rule: import21 would fail on the list");
            strbuf_release(&w);
            r->refs--;
            memmove(&rules->u.seq.items[i], &rules->u.seq.items[i + 1],
                    (rules->u.seq.len - i - 1) * sizeof(rules->u.seq.items[0]));
            rules->u.seq.len--;
            continue;
        }
        text = r->u.seq.items[0];
        chain = chain_for(r->u.seq.items[1]);
        s = text->u.str.data;
        len = text->u.str.len;
        while (pos < len) {
            size_t end = pos;
            size_t br = 0;
            char *line = NULL;
            char *hdr = NULL;
            char *pat = NULL;
            bool blank = true;
            while (end < len && (br = line_break(s + end, len - end)) == 0) {
                blank = blank && is_space(s[end]);
                end++;
            }
            line = xstrndup((const char *)s + pos, end - pos);
            pos = end + br;
            if (blank) {
                free(line);
                continue;
            }
            if (chain == NULL) {
                struct strbuf w = STRBUF_INIT;
                char *what = xasprintf("action %s (approve, subscribe, unsubscribe, ...) has "
                                       "no Mailman 3 chain: import21 skips the rule",
                                       pyval_repr_short(&w, r->u.seq.items[1]));
                notes_add(&x->header_rules, line, what);
                free(what);
                strbuf_release(&w);
            } else if (!split_rule_line(line, &hdr, &pat)) {
                notes_add(&x->header_rules, line,
                          "no header name (the rule matches any header): import21 skips it");
            } else if (hdr[0] == '\0') {
                notes_add(&x->header_rules, line, "empty header name: import21 skips it");
                free(hdr);
                free(pat);
            } else {
                if (n == cap) {
                    cap = cap ? 2 * cap : 8;
                    lines = xreallocarray(lines, cap, sizeof(*lines));
                }
                lines[n].line = line;
                lines[n].header = hdr;
                lines[n].pattern = pat[0] != '\0' ? pat : (free(pat), xstrdup(".*"));
                lines[n].chain = chain;
                n++;
                continue;
            }
            free(line);
        }
        i++;
    }
    bad = xcalloc(n ? n : 1, sizeof(*bad));
    check_patterns(lines, n, bad);
    for (i = 0; i < n; i++) {
        bool dup = false;
        if (bad[i]) {
            notes_add(&x->header_rules, lines[i].line,
                      "not a regular expression Python's re compiles: import21 skips it");
            continue;
        }
        for (k = 0; k < i && !dup; k++) {
            dup = !bad[k] && strcmp(lines[k].header, lines[i].header) == 0
                  && strcmp(lines[k].pattern, lines[i].pattern) == 0;
        }
        if (dup) {
            notes_add(&x->header_rules, lines[i].line,
                      "the same header and pattern as an earlier line: import21 skips it");
        }
    }
    for (i = 0; i < n; i++) {
        free(lines[i].line);
        free(lines[i].header);
        free(lines[i].pattern);
    }
    free(lines);
    free(bad);
}

/* ---- the whole list ---- */

/* drop_non_str_entries - *_these_nonmembers entries that are not strings: addr.startswith()
 * fails on them */
static void drop_non_str_entries(struct value_arena *arena, struct value *config,
                                 struct mm3export *x)
{
    size_t a;
    size_t i;
    size_t orig;

    for (a = 0; a < sizeof(nonmember_attrs) / sizeof(nonmember_attrs[0]); a++) {
        struct value *l = value_dict_get_str(arena, config, nonmember_attrs[a]);
        if (l == NULL || (l->type != VALUE_LIST && l->type != VALUE_TUPLE)) {
            continue;
        }
        i = 0;
        for (orig = 0; i < l->u.seq.len; orig++) {
            if (value_is_str(l->u.seq.items[i])) {
                i++;
                continue;
            }
            {
                char *w = xasprintf("%s[%zu]", nonmember_attrs[a], orig);
                notes_add(&x->left_out, w, "not a string: import21 would fail on the list");
                free(w);
            }
            l->u.seq.items[i]->refs--;
            memmove(&l->u.seq.items[i], &l->u.seq.items[i + 1],
                    (l->u.seq.len - i - 1) * sizeof(l->u.seq.items[0]));
            l->u.seq.len--;
        }
    }
}

/* attr_len - len(config[attr]) when it is a dict or a sequence, else 0 */
static size_t attr_len(struct value_arena *arena, struct value *config, const char *attr)
{
    const struct value *v = value_dict_get_str(arena, config, attr);

    return v == NULL ? 0 : value_len(v);
}

/* mm3export_prepare - decode, take out, note */
int mm3export_prepare(struct value_arena *arena, struct value *config, const char *list,
                      const char *charset, struct mm3export *x, const char **error_r)
{
    struct walk *w = NULL;
    char *host = NULL;
    char *fq = NULL;
    int rc = -1;

    memset(x, 0, sizeof(*x));
    x->list = xstrdup(list);
    x->charset = charset;
    if (config == NULL || config->type != VALUE_DICT) {
        *error_r = errstr("the configuration is not a dict");
        return -1;
    }
    take_out(arena, config, x);
    drop_non_str_entries(arena, config, x);
    w = xcalloc(1, sizeof(*w));
    w->arena = arena;
    w->x = x;
    if (walk_value(w, config, error_r) != 0) {
        goto out;
    }
    if (w->unnamed > 0) {
        char *what = xasprintf("%zu more strings decoded with a fallback charset", w->unnamed);
        notes_add(&x->fallbacks, "...", what);
        free(what);
    }
    check_enums(arena, config, x);
    header_rules(arena, config, x);
    rosters(arena, config, x);
    x->display_name = text_dup(value_dict_get_str(arena, config, "real_name"));
    x->description = text_dup(value_dict_get_str(arena, config, "description"));
    x->members = attr_len(arena, config, "members");
    x->digest_members = attr_len(arena, config, "digest_members");
    x->owners = attr_len(arena, config, "owner");
    x->moderators = attr_len(arena, config, "moderator");
    x->passwords = attr_len(arena, config, "passwords");
    x->topics = attr_len(arena, config, "topics");
    x->topic_interests = attr_len(arena, config, "topics_userinterest");
    host = text_dup(value_dict_get_str(arena, config, "host_name"));
    fq = xasprintf("%s@%s", list, host != NULL ? host : "");
    x->fqdn = lower_ascii((const unsigned char *)fq, strlen(fq));
    rc = 0;
out:
    free(fq);
    free(host);
    strbuf_release(&w->scratch);
    ptrmap_release(&w->seen);
    free(w);
    return rc;
}

/* mm3export_pickle - protocol 1, as cPickle writes it */
int mm3export_pickle(const struct value *config, struct strbuf *out, const char **error_r)
{
    return pickle_write(out, config, error_r);
}

/* mm3export_role_name - the role's name in Mailman 3 */
const char *mm3export_role_name(enum mm3export_role role)
{
    switch (role) {
    case MM3EXPORT_MEMBER: return "member";
    case MM3EXPORT_OWNER: return "owner";
    case MM3EXPORT_MODERATOR: return "moderator";
    case MM3EXPORT_NONMEMBER: return "nonmember";
    }
    return "member";
}

/* mm3export_free - everything x holds */
void mm3export_free(struct mm3export *x)
{
    size_t i;

    free(x->list);
    free(x->fqdn);
    free(x->display_name);
    free(x->description);
    notes_free(&x->fallbacks);
    notes_free(&x->left_out);
    notes_free(&x->nonmember_rules);
    notes_free(&x->header_rules);
    notes_free(&x->refused);
    for (i = 0; i < x->n_addresses; i++) {
        free(x->addresses[i].email);
        free(x->addresses[i].original);
        free(x->addresses[i].display);
    }
    free(x->addresses);
    memset(x, 0, sizeof(*x));
}
