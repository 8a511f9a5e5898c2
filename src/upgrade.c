/*
 * upgrade - Mailman 2.1.39's schema upgrade of a list, in memory
 *
 * DESCRIPTION
 *  See upgrade.h. Each function below is one function of Mailman 2.1.39's
 *  Mailman/versions.py or MailList.py and says which; the Python 2
 *  semantics they need (truth, ==, lower()) are pyval.h's, the member
 *  adaptor is members.h's.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmfix/checkvalues.h"
#include "mmfix/charset.h"
#include "mmfix/errstr.h"
#include "mmfix/initvars.h"
#include "mmfix/members.h"
#include "mmfix/profile.h"
#include "mmfix/pyval.h"
#include "mmfix/recode.h"
#include "mmfix/site.h"
#include "mmfix/strbuf.h"
#include "mmfix/upgrade.h"
#include "mmfix/xalloc.h"

/* The class of 2.1's bounce records */
#define BOUNCE_INFO_CLASS "Mailman.Bouncer._BounceInfo"

struct up {
    struct value_arena *arena;
    const struct value *stored;
    struct value *config;
    const char *list;
    const struct site_settings *site;
    const struct profile *profile;
    double now;
    struct problem_list *notes;
    long long stored_version;
};

/* ---------------------------------------------------------------------- */
/* small helpers */

/* get - the list attribute attr, or NULL */
static struct value *get(struct up *u, const char *attr)
{
    return value_dict_get_str(u->arena, u->config, attr);
}

/* key_of - attr as a Python 2 str key */
static struct value *key_of(struct up *u, const char *attr)
{
    return value_new_bytes(u->arena, attr, strlen(attr));
}

/* put - setattr(l, attr, v) */
static void put(struct up *u, const char *attr, struct value *v)
{
    value_dict_set(u->arena, u->config, key_of(u, attr), v);
}

/* del - delattr(l, attr) if it is there */
static bool del(struct up *u, const char *attr)
{
    struct value *k = key_of(u, attr);

    return value_dict_del(u->arena, u->config, k);
}

/* stored_has - stored_state.has_key(attr) */
static bool stored_has(struct up *u, const char *attr)
{
    return value_dict_get_str(NULL, (struct value *)u->stored, attr) != NULL;
}

/* note - one note, code "upgrade-<what>" */
static void note(struct up *u, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void note(struct up *u, const char *what, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    char code[64];
    va_list ap;

    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    snprintf(code, sizeof(code), "upgrade-%s", what);
    problem_add(u->notes, code, u->list, PROBLEM_WARNING, "%s", strbuf_cstr(&sb));
    strbuf_release(&sb);
}

/* need - attribute attr as a dict/list, or Mailman's failure */
static struct value *need(struct up *u, const char *attr, enum value_type type,
                          const char **error_r)
{
    struct value *v = get(u, attr);

    if (v == NULL || v->type != type) {
        *error_r = errstr("%s is %s, not a %s (Mailman fails on it)", attr,
                          v == NULL ? "missing" : value_type_name(v->type),
                          value_type_name(type));
        return NULL;
    }
    return v;
}

/* keys_snapshot - the keys of dict now (Python's d.keys() before a loop
 * that changes d) */
static struct value **keys_snapshot(const struct value *d, size_t *n_r)
{
    struct value **keys = xcalloc(d->u.dict.len + 1, sizeof(*keys));
    size_t i;

    for (i = 0; i < d->u.dict.len; i++) {
        keys[i] = d->u.dict.items[i].key;
    }
    *n_r = d->u.dict.len;
    return keys;
}

/* ---------------------------------------------------------------------- */
/* MailList.CheckVersion: InitVars, then the stored values over them */

static int lay_defaults(struct up *u, const char **error_r)
{
    struct value *defaults = NULL;
    struct strbuf added = STRBUF_INIT;
    size_t n = 0;
    size_t i;

    if (initvars_defaults(u->arena, u->list, u->stored, u->site, u->profile, u->now,
                          &defaults, error_r) != 0) {
        return -1;
    }
    for (i = 0; i < defaults->u.dict.len; i++) {
        struct value *k = defaults->u.dict.items[i].key;
        if (value_dict_get(u->arena, u->config, k) == NULL) {
            value_dict_set(u->arena, u->config, k, defaults->u.dict.items[i].val);
            if (n++ < 8) {
                strbuf_adds(&added, n > 1 ? ", " : "");
                strbuf_add(&added, k->u.str.data, k->u.str.len);
            }
        }
    }
    if (n > 8) {
        strbuf_addf(&added, " and %zu more", n - 8);
    }
    if (n > 0) {
        note(u, "defaults", "%zu attributes added with Mailman 2.1.39's defaults (InitVars): %s",
             n, strbuf_cstr(&added));
    }
    strbuf_release(&added);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* versions.ZapOldVars */

static void zap_old_vars(struct up *u)
{
    static const char *const old[] = {
        "num_spawns", "filter_prog", "clobber_date", "public_archive_file_dir",
        "private_archive_file_dir", "archive_directory", "minimum_removal_date",
        "minimum_post_count_before_bounce_action", "automatic_bounce_action",
        "max_posts_between_bounces", NULL,
    };
    struct strbuf gone = STRBUF_INIT;
    size_t n = 0;
    size_t i;

    for (i = 0; old[i] != NULL; i++) {
        if (del(u, old[i])) {
            strbuf_adds(&gone, n++ > 0 ? ", " : "");
            strbuf_adds(&gone, old[i]);
        }
    }
    if (n > 0) {
        note(u, "obsolete", "%s deleted: Mailman 2.1 no longer has them (2.0's archive "
             "paths, filter program and bounce actions)", strbuf_cstr(&gone));
    }
    strbuf_release(&gone);
}

/* ---------------------------------------------------------------------- */
/* versions.UpdateOldUsers */

static int update_old_users(struct up *u, const char **error_r)
{
    struct value *pw = need(u, "passwords", VALUE_DICT, error_r);
    struct value *bi = NULL;
    struct value *npw = NULL;
    struct value **keys = NULL;
    size_t n = 0;
    size_t old = 0;
    size_t orphans = 0;
    size_t i;

    if (pw == NULL) {
        return -1;
    }
    npw = value_new_dict(u->arena, pw->u.dict.len);
    for (i = 0; i < pw->u.dict.len; i++) {
        struct value *k = pw->u.dict.items[i].key;
        if (!value_is_str(k)) {
            *error_r = errstr("passwords has a %s key (Mailman fails on it)",
                              value_type_name(k->type));
            return -1;
        }
        if (!pyval_is_lower(k)) {
            n++;
        }
        pyval_dict_set(u->arena, npw, pyval_lower(u->arena, k), pw->u.dict.items[i].val);
    }
    put(u, "passwords", npw);
    if (n > 0) {
        note(u, "passwords", "passwords: %zu keys lower-cased", n);
    }
    bi = need(u, "bounce_info", VALUE_DICT, error_r);
    if (bi == NULL) {
        return -1;
    }
    keys = keys_snapshot(bi, &n);
    for (i = 0; i < n; i++) {
        bool member = false;
        const struct value *info = NULL;

        if (members_is(u->arena, u->config, keys[i], &member, error_r) != 0) {
            free(keys);
            return -1;
        }
        if (member) {
            info = pyval_dict_get(u->arena, bi, pyval_lower(u->arena, keys[i]));
        }
        if (!member || info == NULL || info->type != VALUE_INSTANCE
            || strcmp(info->u.inst.cls, BOUNCE_INFO_CLASS) != 0) {
            orphans += !member;
            old += member;
            value_dict_del(u->arena, bi, keys[i]);
        }
    }
    free(keys);
    if (old > 0) {
        note(u, "bounce-info", "bounce_info: %zu records dropped that are not 2.1 _BounceInfo "
             "records (2.0's [time, first, last] lists; 2.1 starts their bounce scores anew)",
             old);
    }
    if (orphans > 0) {
        note(u, "bounce-info", "bounce_info: %zu records of non-members dropped", orphans);
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* versions.NewVars: every attribute it adds InitVars has already set; what
 * is left is its look-up of the list's charset, which fails for a
 * language the site does not have */

static int new_vars(struct up *u, const char **error_r)
{
    const struct value *lang = get(u, "preferred_language");
    char code[64];

    if (lang == NULL || !value_is_str(lang) || lang->u.str.len >= sizeof(code)
        || memchr(lang->u.str.data, '\0', lang->u.str.len) != NULL) {
        *error_r = errstr("preferred_language is not a language code (Mailman fails on it)");
        return -1;
    }
    memcpy(code, lang->u.str.data, lang->u.str.len);
    code[lang->u.str.len] = '\0';
    if (site_language_charset(u->site, code) == NULL) {
        *error_r = errstr("preferred_language %s is not a language of the site: Mailman "
                          "2.1.39 fails to upgrade the list (KeyError); run mmfix repair "
                          "first", code);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* versions.UpdateOldVars */

/* moderate_members - Moderate flag of every member: on, or (when
 * posters_exempt) on unless the member's key is in posters */
static int moderate_members(struct up *u, const struct value *posters, bool posters_exempt,
                            bool on, size_t *moderated_r, const char **error_r)
{
    struct value *keys = NULL;
    size_t i;

    *moderated_r = 0;
    if (members_keys(u->arena, u->config, &keys, error_r) != 0) {
        return -1;
    }
    for (i = 0; i < keys->u.seq.len; i++) {
        bool flag = on && !(posters_exempt && pyval_in(keys->u.seq.items[i], posters));
        if (members_set_option(u->arena, u->config, keys->u.seq.items[i], MEMBERS_MODERATE,
                               flag, error_r) != 0) {
            return -1;
        }
        *moderated_r += flag;
    }
    return 0;
}

/* accept_posters - non-members among posters appended to the list attr */
static int posters_to(struct up *u, const struct value *posters, const char *attr,
                      size_t *n_r, const char **error_r)
{
    struct value *to = need(u, attr, VALUE_LIST, error_r);
    size_t i;

    *n_r = 0;
    if (to == NULL) {
        return -1;
    }
    for (i = 0; i < posters->u.seq.len; i++) {
        bool member = false;
        if (members_is(u->arena, u->config, posters->u.seq.items[i], &member, error_r) != 0) {
            return -1;
        }
        if (!member) {
            value_seq_append(u->arena, to, posters->u.seq.items[i]);
            (*n_r)++;
        }
    }
    return 0;
}

/* update_moderation - the four cases of 2.0's moderated /
 * member_posting_only / posters */
static int update_moderation(struct up *u, const char **error_r)
{
    struct value *moderated = get(u, "moderated");
    struct value *mpo = get(u, "member_posting_only");
    struct value *posters = get(u, "posters");
    struct strbuf r1 = STRBUF_INIT;
    struct strbuf r2 = STRBUF_INIT;
    struct strbuf r3 = STRBUF_INIT;
    size_t accepted = 0;
    size_t held = 0;
    int gna = 0;
    int dmm = 0;
    int which = 0;
    int ret = -1;

    if (moderated == NULL) {
        return 0;
    }
    if (posters == NULL || (posters->type != VALUE_LIST && posters->type != VALUE_TUPLE)
        || mpo == NULL) {
        *error_r = errstr("moderated without a posters list and member_posting_only "
                          "(Mailman fails on it)");
        return -1;
    }
    if (pyval_truth(moderated) || (!pyval_truth(mpo) && pyval_truth(posters))) {
        /* cases 1 and 4: only posters may post unheld */
        which = pyval_truth(moderated) ? 1 : 4;
        if (posters_to(u, posters, "accept_these_nonmembers", &accepted, error_r) != 0
            || moderate_members(u, posters, true, true, &held, error_r) != 0) {
            goto out;
        }
        gna = 1;
        dmm = 1;
    } else if (pyval_truth(mpo)) {
        /* case 2: members and posters post unheld, others are held */
        which = 2;
        if (posters_to(u, posters, "accept_these_nonmembers", &accepted, error_r) != 0
            || moderate_members(u, posters, false, false, &held, error_r) != 0) {
            goto out;
        }
        gna = 1;
    } else {
        /* case 3: anybody could post */
        which = 3;
        if (moderate_members(u, posters, false, false, &held, error_r) != 0) {
            goto out;
        }
    }
    put(u, "generic_nonmember_action", value_new_int(u->arena, gna));
    put(u, "default_member_moderation", value_new_int(u->arena, dmm));
    note(u, "moderation", "moderated=%s, member_posting_only=%s, posters=%s -> "
         "default_member_moderation=%d, generic_nonmember_action=%d (%s), %zu members "
         "moderated, %zu posters added to accept_these_nonmembers (versions.py case %d)",
         pyval_repr_short(&r1, moderated), pyval_repr_short(&r2, mpo), pyval_repr_short(&r3, posters), dmm,
         gna, gna ? "hold" : "accept", held, accepted, which);
    del(u, "moderated");
    del(u, "posters");
    del(u, "member_posting_only");
    ret = 0;
out:
    strbuf_release(&r1);
    strbuf_release(&r2);
    strbuf_release(&r3);
    return ret;
}

/* update_forbidden - 2.0's forbidden_posters: members moderated, others
 * held as non-members */
static int update_forbidden(struct up *u, const char **error_r)
{
    struct value *fp = get(u, "forbidden_posters");
    struct value *hold = NULL;
    size_t moderated = 0;
    size_t held = 0;
    size_t i;

    if (fp == NULL) {
        return 0;
    }
    if (fp->type != VALUE_LIST && fp->type != VALUE_TUPLE) {
        *error_r = errstr("forbidden_posters is a %s (Mailman fails on it)",
                          value_type_name(fp->type));
        return -1;
    }
    hold = need(u, "hold_these_nonmembers", VALUE_LIST, error_r);
    if (hold == NULL) {
        return -1;
    }
    for (i = 0; i < fp->u.seq.len; i++) {
        bool member = false;
        if (members_is(u->arena, u->config, fp->u.seq.items[i], &member, error_r) != 0) {
            return -1;
        }
        if (member) {
            if (members_set_option(u->arena, u->config, fp->u.seq.items[i], MEMBERS_MODERATE,
                                   true, error_r) != 0) {
                return -1;
            }
            moderated++;
        } else {
            value_seq_append(u->arena, hold, fp->u.seq.items[i]);
            held++;
        }
    }
    del(u, "forbidden_posters");
    if (fp->u.seq.len == 0) {
        return 0;
    }
    note(u, "moderation", "forbidden_posters (%zu addresses) -> %zu members moderated, %zu "
         "added to hold_these_nonmembers", fp->u.seq.len, moderated, held);
    return 0;
}

/* prefer_stored - versions.py's PreferStored: the old attribute's value
 * goes to the new name unless the stored data had the new name; the old
 * one is deleted; dflt (may be NULL) fills a still missing new name */
static void prefer_stored(struct up *u, const char *oldname, const char *newname,
                          const struct value *dflt)
{
    struct value *old = get(u, oldname);

    if (old != NULL) {
        if (!stored_has(u, newname)) {
            put(u, newname, old);
            note(u, "rename", "%s -> %s", oldname, newname);
        } else {
            note(u, "rename", "%s dropped: %s was stored too", oldname, newname);
        }
        del(u, oldname);
    }
    if (get(u, newname) == NULL && dflt != NULL) {
        put(u, newname, value_copy(u->arena, dflt));
    }
}

/* update_subscribe - 1.0's open_subscribe -> subscribe_policy */
static void update_subscribe(struct up *u)
{
    const struct value *os = get(u, "open_subscribe");
    const struct value *allow = profile_get(u->profile, "ALLOW_OPEN_SUBSCRIBE");
    int policy = 2;

    if (os == NULL) {
        return;
    }
    if (pyval_truth(os)) {
        policy = allow != NULL && pyval_truth(allow) ? 0 : 1;
    }
    put(u, "subscribe_policy", value_new_int(u->arena, policy));
    del(u, "open_subscribe");
    note(u, "rename", "open_subscribe -> subscribe_policy=%d", policy);
}

/* update_posters_includes - the attribute 1.0 added and removed again */
static int update_posters_includes(struct up *u, const char **error_r)
{
    const struct value *pim = get(u, "posters_includes_members");
    const struct value *posters = get(u, "posters");

    if (pim != NULL) {
        if (posters == NULL) {
            *error_r = errstr("posters_includes_members without posters (Mailman fails on it)");
            return -1;
        }
        if (pyval_truth(posters)) {
            put(u, "member_posting_only", value_new_int(u->arena, pyval_truth(pim) ? 1 : 0));
        }
        del(u, "posters_includes_members");
        note(u, "rename", "posters_includes_members dropped");
        return 0;
    }
    /* 1.0b5 and before (data_version None counts as 0, as in Python 2) */
    if (u->stored_version <= 10) {
        if (posters == NULL) {
            *error_r = errstr("data_version %lld without posters (Mailman fails on it)",
                              u->stored_version);
            return -1;
        }
        if (pyval_truth(posters)) {
            put(u, "member_posting_only", value_new_int(u->arena, 0));
        }
    }
    return 0;
}

/* roster_to_dict - a list-typed roster (pre-1.0b11) made a dict of 1s */
static void roster_to_dict(struct up *u, const char *attr)
{
    struct value *r = get(u, attr);
    struct value *d = NULL;
    size_t i;

    if (r == NULL || r->type != VALUE_LIST) {
        return;
    }
    d = value_new_dict(u->arena, r->u.seq.len);
    for (i = 0; i < r->u.seq.len; i++) {
        pyval_dict_set(u->arena, d, r->u.seq.items[i], value_new_int(u->arena, 1));
    }
    put(u, attr, d);
    note(u, "members", "%s: the 1.0 list of %zu addresses made a dict", attr, r->u.seq.len);
}

/* lc_domain - Utils.LCDomain: the address with its domain lower-cased */
static struct value *lc_domain(struct value_arena *arena, const struct value *addr)
{
    const unsigned char *at = memchr(addr->u.str.data, '@', addr->u.str.len);
    struct value *v = addr->type == VALUE_TEXT
                          ? value_new_text(arena, addr->u.str.data, addr->u.str.len)
                          : value_new_bytes(arena, addr->u.str.data, addr->u.str.len);
    unsigned char *p = (unsigned char *)v->u.str.data;
    size_t i;

    for (i = at != NULL ? (size_t)(at - addr->u.str.data) : v->u.str.len; i < v->u.str.len;
         i++) {
        if (p[i] >= 'A' && p[i] <= 'Z') {
            p[i] = (unsigned char)(p[i] - 'A' + 'a');
        }
    }
    return v;
}

/* normalize_roster - keys lower-cased with the case-preserved address as
 * value; a value that is not that str becomes 0 */
static int normalize_roster(struct up *u, const char *attr, const char **error_r)
{
    struct value *r = need(u, attr, VALUE_DICT, error_r);
    struct value **keys = NULL;
    size_t rekeyed = 0;
    size_t zeroed = 0;
    size_t n = 0;
    size_t i;

    if (r == NULL) {
        return -1;
    }
    keys = keys_snapshot(r, &n);
    for (i = 0; i < n; i++) {
        struct value *k = keys[i];
        struct value *v = NULL;
        struct value *lv = NULL;

        if (!value_is_str(k)) {
            free(keys);
            *error_r = errstr("%s has a %s key (Mailman fails on it)", attr,
                              value_type_name(k->type));
            return -1;
        }
        if (!pyval_is_lower(k)) {
            pyval_dict_set(u->arena, r, pyval_lower(u->arena, k), lc_domain(u->arena, k));
            value_dict_del(u->arena, r, k);
            rekeyed++;
            continue;
        }
        v = value_dict_get(u->arena, r, k);
        if (v != NULL && v->type == VALUE_BYTES) {
            lv = pyval_lower(u->arena, v);
            if (pyval_eq(k, lv)) {
                continue;
            }
        }
        if (!(v != NULL && v->type == VALUE_INT && v->u.i == 0)) {
            zeroed++;
        }
        value_dict_set(u->arena, r, k, value_new_int(u->arena, 0));
    }
    free(keys);
    if (rekeyed > 0) {
        note(u, "members", "%s: %zu keys lower-cased, the address as written kept as the "
             "value", attr, rekeyed);
    }
    if (zeroed > 0) {
        note(u, "members", "%s: %zu values made 0 (lower-case addresses)", attr, zeroed);
    }
    return 0;
}

/* strip_verbose - Utils.strip_verbose_pattern: a verbose regular
 * expression without its whitespace and comments, CR/LF written \r \n */
static struct value *strip_verbose(struct value_arena *arena, const struct value *pattern)
{
    struct strbuf out = STRBUF_INIT;
    const unsigned char *s = pattern->u.str.data;
    bool inclass = false;
    bool skiptoeol = false;
    bool copynext = false;
    struct value *v = NULL;
    size_t i;

    for (i = 0; i < pattern->u.str.len; i++) {
        unsigned char c = s[i];
        bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';

        if (copynext) {
            copynext = false;
        } else if (skiptoeol) {
            skiptoeol = c != '\n';
            continue;
        } else if (c == '#' && !inclass) {
            skiptoeol = true;
            continue;
        } else if (c == '[' && !inclass) {
            inclass = true;
            copynext = true;
        } else if (c == ']' && inclass) {
            inclass = false;
        } else if (space && !inclass) {
            continue;
        } else if (c == '\\' && !inclass) {
            copynext = true;
        }
        if (c == '\n') {
            strbuf_adds(&out, "\\n");
        } else if (c == '\r') {
            strbuf_adds(&out, "\\r");
        } else {
            strbuf_addc(&out, (char)c);
        }
    }
    v = value_new_bytes(arena, out.buf != NULL ? out.buf : "", out.len);
    strbuf_release(&out);
    return v;
}

/* update_topics - below data_version 106 the stored topic patterns were
 * verbose regular expressions */
static int update_topics(struct up *u, const char **error_r)
{
    const struct value *st = value_dict_get_str(NULL, (struct value *)u->stored, "topics");
    struct value *topics = NULL;
    size_t changed = 0;
    size_t i;

    if (u->stored_version >= 106 || st == NULL) {
        return 0;
    }
    if (st->type != VALUE_LIST && st->type != VALUE_TUPLE) {
        *error_r = errstr("topics is a %s (Mailman fails on it)", value_type_name(st->type));
        return -1;
    }
    topics = value_new_list(u->arena, st->u.seq.len);
    for (i = 0; i < st->u.seq.len; i++) {
        const struct value *t = st->u.seq.items[i];
        struct value *nt = NULL;
        struct value *pattern = NULL;
        size_t k;

        if ((t->type != VALUE_TUPLE && t->type != VALUE_LIST) || t->u.seq.len != 4) {
            *error_r = errstr("topic %zu is not a 4-tuple (Mailman fails on it)", i);
            return -1;
        }
        pattern = t->u.seq.items[1];
        if (pattern->type == VALUE_BYTES) {
            pattern = strip_verbose(u->arena, pattern);
            changed += !value_equal(pattern, t->u.seq.items[1]);
        }
        nt = value_new_tuple(u->arena, 4);
        for (k = 0; k < 4; k++) {
            value_seq_append(u->arena, nt, k == 1 ? pattern : t->u.seq.items[k]);
        }
        value_seq_append(u->arena, topics, nt);
    }
    put(u, "topics", topics);
    if (changed > 0) {
        note(u, "topics", "topics: %zu patterns rewritten from verbose to plain regular "
             "expressions (stored data_version %lld < 106)", changed, u->stored_version);
    }
    return 0;
}

/* update_charset - 2.1.19 made Romanian and Russian UTF-8; older data
 * of such lists is recoded */
static int update_charset(struct up *u, const char **error_r)
{
    /* the languages charset_before_recode() knows */
    static const char *const moved[] = { "ro", "ru" };
    const struct value *lang = get(u, "preferred_language");
    struct strbuf attrs = STRBUF_INIT;
    size_t total = 0;
    size_t nattrs = 0;
    size_t m;
    size_t i;

    if (u->stored_version >= CHARSET_RECODED_VERSION || lang == NULL) {
        return 0;
    }
    for (m = 0; m < sizeof(moved) / sizeof(moved[0]); m++) {
        struct value code = { 0 };
        const char *cs = NULL;

        code.type = VALUE_BYTES;
        code.u.str.data = (const unsigned char *)moved[m];
        code.u.str.len = strlen(moved[m]);
        if (!pyval_eq(lang, &code)) {
            continue;
        }
        cs = site_language_charset(u->site, moved[m]);
        if (cs == NULL) {
            *error_r = errstr("preferred_language %s is not a language of the site "
                              "(Mailman fails with KeyError)", moved[m]);
            return -1;
        }
        if (strcmp(cs, "utf-8") != 0) {
            continue;
        }
        for (i = 0; i < u->config->u.dict.len; i++) {
            struct value *k = u->config->u.dict.items[i].key;
            struct value *nv = NULL;
            size_t count = 0;

            if (value_is_str(k) && k->u.str.len > 0 && k->u.str.data[0] == '_') {
                continue;
            }
            if (recode_value(u->arena, u->config->u.dict.items[i].val, charset_before_recode(moved[m]), &nv,
                             &count, error_r) != 0) {
                strbuf_release(&attrs);
                return -1;
            }
            if (nv != NULL) {
                value_dict_set_at(u->arena, u->config, i, k, nv);
            }
            if (count > 0) {
                strbuf_adds(&attrs, nattrs++ > 0 ? ", " : "");
                strbuf_add(&attrs, k->u.str.data, k->u.str.len);
                total += count;
            }
        }
        if (total > 0) {
            note(u, "recode", "%zu strings recoded from %s to utf-8 (the %s charset since "
                 "Mailman 2.1.19; stored data_version %lld < 108): %s", total, charset_before_recode(moved[m]),
                 moved[m], u->stored_version, strbuf_cstr(&attrs));
        }
    }
    strbuf_release(&attrs);
    return 0;
}

/* update_old_vars - versions.UpdateOldVars, in its order */
static int update_old_vars(struct up *u, const char **error_r)
{
    const struct value *dflt = NULL;

    if (get(u, "dont_respond_to_post_requests") != NULL) {
        struct value *old = get(u, "dont_respond_to_post_requests");
        if (get(u, "respond_to_post_requests") == NULL) {
            put(u, "respond_to_post_requests", value_new_bool(u->arena, !pyval_truth(old)));
        } else if (pyval_truth(old)) {
            note(u, "rename", "dont_respond_to_post_requests was set, but Mailman 2.1.39 "
                 "keeps respond_to_post_requests at its default (check it)");
        }
        del(u, "dont_respond_to_post_requests");
    }
    /* default_member_moderation, the four *_these_nonmembers,
     * forward_auto_discards and generic_nonmember_action are InitVars
     * attributes: present here */
    if (update_moderation(u, error_r) != 0 || update_forbidden(u, error_r) != 0) {
        return -1;
    }
    dflt = profile_get(u->profile, "DEFAULT_UMBRELLA_LIST");
    prefer_stored(u, "reminders_to_admins", "umbrella_list", dflt);
    prefer_stored(u, "auto_subscribe", "open_subscribe", NULL);
    prefer_stored(u, "closed", "private_roster", NULL);
    prefer_stored(u, "mimimum_post_count_before_removal",
                  "mimimum_post_count_before_bounce_action", NULL);
    prefer_stored(u, "bad_posters", "forbidden_posters", NULL);
    prefer_stored(u, "automatically_remove", "automatic_bounce_action", NULL);
    update_subscribe(u);
    /* administrivia, admin_member_chunksize, admin_notify_mchanges: InitVars */
    if (update_posters_includes(u, error_r) != 0) {
        return -1;
    }
    roster_to_dict(u, "members");
    roster_to_dict(u, "digest_members");
    if (normalize_roster(u, "members", error_r) != 0
        || normalize_roster(u, "digest_members", error_r) != 0
        || update_topics(u, error_r) != 0 || update_charset(u, error_r) != 0) {
        return -1;
    }
    prefer_stored(u, "author_is_list", "from_is_list",
                  profile_get(u->profile, "DEFAULT_FROM_IS_LIST"));
    return 0;
}

/* ---------------------------------------------------------------------- */
/* versions.CanonicalizeUserOptions */

/* what drop_non_member needs, and its first failure */
struct non_member {
    struct up *u;
    const char *error;      /* the first failure */
};

/* drop_non_member - a user_options key that is not a member */
static bool drop_non_member(const struct value *k, const struct value *v, void *ctx)
{
    struct non_member *nm = ctx;
    bool member = true;

    (void)v;
    if (nm->error == NULL
        && members_is(nm->u->arena, nm->u->config, k, &member, &nm->error) != 0) {
        return false;
    }
    return !member;
}

/* canonicalize_user_options - versions.CanonicalizeUserOptions */
static int canonicalize_user_options(struct up *u, const char **error_r)
{
    struct non_member nm = { u, NULL };
    const struct value *uv = get(u, "useropts_version");
    struct value *uo = NULL;
    struct value *merged = NULL;
    struct value **keys = NULL;
    long long version = 0;
    size_t n = 0;
    size_t merges = 0;
    size_t dropped = 0;
    size_t disabled = 0;
    size_t i;

    /* getattr(l, 'useropts_version', 0) > 0, in Python 2's ordering: a
     * string is greater than any number, None is not */
    if (uv != NULL && (pyval_as_int(uv, &version) ? version > 0
                       : uv->type == VALUE_FLOAT ? uv->u.f > 0 : value_is_str(uv))) {
        return 0;
    }
    uo = need(u, "user_options", VALUE_DICT, error_r);
    if (uo == NULL) {
        return -1;
    }
    merged = value_new_dict(u->arena, uo->u.dict.len);
    for (i = 0; i < uo->u.dict.len; i++) {
        struct value *k = uo->u.dict.items[i].key;
        struct value *lk = NULL;
        const struct value *prev = NULL;
        long long flags = 0;
        long long v = 0;

        if (k->type == VALUE_NONE) {
            continue;
        }
        if (!value_is_str(k) || !pyval_as_int(uo->u.dict.items[i].val, &v)) {
            *error_r = errstr("user_options holds a %s key or value that is not an address "
                              "and an int (Mailman fails on it)", value_type_name(k->type));
            return -1;
        }
        lk = pyval_lower(u->arena, k);
        prev = pyval_dict_get(u->arena, merged, lk);
        if (prev != NULL) {
            pyval_as_int(prev, &flags);
            merges++;
        }
        pyval_dict_set(u->arena, merged, lk, value_new_int(u->arena, flags | v));
    }
    put(u, "user_options", merged);
    /* the entries of non-members go, in one pass (members do not change) */
    dropped = value_dict_remove_if(u->arena, merged, drop_non_member, &nm);
    if (nm.error != NULL) {
        *error_r = nm.error;
        return -1;
    }
    keys = keys_snapshot(merged, &n);
    for (i = 0; i < n; i++) {
        bool off = false;

        if (members_get_option(u->arena, u->config, keys[i], MEMBERS_DISABLE_DELIVERY, &off,
                               error_r) != 0) {
            goto fail;
        }
        if (off) {
            if (members_set_delivery_status(u->arena, u->config, keys[i],
                                            MEMBERS_STATUS_UNKNOWN, u->now, error_r) != 0
                || members_set_option(u->arena, u->config, keys[i], MEMBERS_DISABLE_DELIVERY,
                                      false, error_r) != 0) {
                goto fail;
            }
            disabled++;
        }
    }
    free(keys);
    put(u, "useropts_version", value_new_int(u->arena, 1));
    if (merges > 0) {
        note(u, "user-options", "user_options: %zu entries merged into their lower-case key",
             merges);
    }
    if (dropped > 0) {
        note(u, "user-options", "user_options: %zu entries of non-members dropped", dropped);
    }
    if (disabled > 0) {
        note(u, "user-options", "user_options: %zu members' DisableDelivery flag (1) made "
             "delivery_status (UNKNOWN, now), as 2.1 keeps it", disabled);
    }
    return 0;
fail:
    free(keys);
    return -1;
}

/* ---------------------------------------------------------------------- */
/* versions.NewRequestsDatabase */

static int new_requests_database(struct up *u, const char **error_r)
{
    const struct value *r = get(u, "requests");

    if (r != NULL && pyval_truth(r)) {
        *error_r = errstr("the list holds pre-1.2 requests in its config; Mailman would "
                          "re-hold them as new requests, which mmfix cannot do");
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------- */

/* version_of - data_version as a number; false if it is not one */
static bool version_of(const struct value *config, long long *v_r, bool *none_r)
{
    const struct value *dv = value_dict_get_str(NULL, (struct value *)config, "data_version");

    *none_r = dv != NULL && dv->type == VALUE_NONE;
    if (dv == NULL) {
        return false;
    }
    if (pyval_as_int(dv, v_r)) {
        return true;
    }
    if (dv->type == VALUE_FLOAT && dv->u.f > -1e15 && dv->u.f < 1e15) {
        *v_r = (long long)dv->u.f;
        return true;
    }
    return false;
}

/* upgrade_needed - older than the site's DATA_FILE_VERSION */
bool upgrade_needed(const struct value *config, const struct site_settings *site)
{
    long long v = 0;
    bool none = false;

    if (config == NULL || config->type != VALUE_DICT) {
        return false;
    }
    if (value_dict_get_str(NULL, (struct value *)config, "data_version") == NULL) {
        return true;
    }
    if (version_of(config, &v, &none)) {
        return v < site->data_file_version;
    }
    /* None is older than any number in Python 2; a string is newer */
    return none;
}

/* upgrade_config - CheckVersion + CheckValues */
int upgrade_config(struct value_arena *arena, const struct value *stored, struct value *config,
                   const char *list, const struct site_settings *site,
                   const struct profile *profile, double now, struct problem_list *notes,
                   const char **error_r)
{
    struct up u = { arena, stored, config, list, site, profile, now, notes, 0 };
    bool none = false;

    if (stored == NULL || stored->type != VALUE_DICT || config == NULL
        || config->type != VALUE_DICT) {
        *error_r = errstr("the stored config is not a dict");
        return -1;
    }
    if (!upgrade_needed(stored, site)) {
        return 0;
    }
    if (!version_of(stored, &u.stored_version, &none) && !none) {
        *error_r = errstr("the config has no data_version (Mailman fails on it)");
        return -1;
    }
    if (lay_defaults(&u, error_r) != 0) {
        return -1;
    }
    zap_old_vars(&u);
    if (update_old_users(&u, error_r) != 0 || new_vars(&u, error_r) != 0
        || update_old_vars(&u, error_r) != 0 || canonicalize_user_options(&u, error_r) != 0
        || new_requests_database(&u, error_r) != 0) {
        return -1;
    }
    put(&u, "data_version", value_new_int(arena, site->data_file_version));
    if (site->data_file_version != UPGRADE_DATA_VERSION) {
        note(&u, "target", "the site's Mailman has data version %lld, not 2.1.39's %d: the "
             "list was upgraded as Mailman 2.1.39 upgrades it", site->data_file_version,
             UPGRADE_DATA_VERSION);
    }
    note(&u, "data-version", "data_version %lld -> %lld (Mailman %s)", u.stored_version,
         site->data_file_version, site->version != NULL ? site->version : "?");
    return checkvalues_apply(arena, config, list, site, notes, error_r);
}
