/*
 * roster - repair of a list's member data, in memory
 *
 * DESCRIPTION
 *  See roster.h. Every fix works on the tree only; counts and a few
 *  example addresses go into the notes so the report says what and why.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmfix/charset.h"
#include "mmfix/roster.h"
#include "mmfix/site.h"
#include "mmfix/strbuf.h"
#include "mmfix/xalloc.h"

/* roster_member_dicts - the per-member dicts that must only hold members */
const char *const roster_member_dicts[] = {
    "passwords", "user_options", "language", "usernames", "topics_userinterest",
    "delivery_status", "bounce_info", NULL,
};

static struct value *get_dict(struct value_arena *arena, struct value *config, const char *name)
{
    struct value *v = value_dict_get_str(arena, config, name);
    return v != NULL && v->type == VALUE_DICT ? v : NULL;
}

/* roster_key_has_upper - a str/unicode key with an ASCII capital letter */
bool roster_key_has_upper(const struct value *k)
{
    size_t i;

    for (i = 0; value_is_str(k) && i < k->u.str.len; i++) {
        if (k->u.str.data[i] >= 'A' && k->u.str.data[i] <= 'Z') {
            return true;
        }
    }
    return false;
}

/* lower_key - the lower-cased str */
static struct value *lower_key(struct value_arena *arena, const struct value *k)
{
    struct value *n = value_new_bytes(arena, k->u.str.data, k->u.str.len);
    unsigned char *p = (unsigned char *)n->u.str.data;
    size_t i;

    for (i = 0; i < n->u.str.len; i++) {
        p[i] = (unsigned char)tolower(p[i]);
    }
    return n;
}

/* preserved_value - what Mailman stores for a member: 0 when the local
 * part has no upper case, else the address with its domain lower-cased */
static struct value *preserved_value(struct value_arena *arena, const struct value *k)
{
    const unsigned char *at = memchr(k->u.str.data, '@', k->u.str.len);
    size_t local = at != NULL ? (size_t)(at - k->u.str.data) : k->u.str.len;
    struct value *v = NULL;
    unsigned char *p = NULL;
    size_t i;
    bool upper = false;

    for (i = 0; i < local; i++) {
        upper = upper || isupper(k->u.str.data[i]);
    }
    if (!upper) {
        return value_new_int(arena, 0);
    }
    v = value_new_bytes(arena, k->u.str.data, k->u.str.len);
    p = (unsigned char *)v->u.str.data;
    for (i = local; i < v->u.str.len; i++) {
        p[i] = (unsigned char)tolower(p[i]);
    }
    return v;
}

/* rekey - move entries of upper-case keys to lower-case keys */
static void fix_key_case(struct value_arena *arena, struct value *config, const char *list,
                         struct problem_list *notes)
{
    static const char *const rosters[] = { "members", "digest_members", NULL };
    struct problem_examples t = PROBLEM_EXAMPLES_INIT;
    struct problem_examples clash = PROBLEM_EXAMPLES_INIT;
    int r;
    int d;
    size_t i;

    for (r = 0; rosters[r] != NULL; r++) {
        struct value *roster = get_dict(arena, config, rosters[r]);
        for (i = 0; roster != NULL && i < roster->u.dict.len; i++) {
            struct value *k = roster->u.dict.items[i].key;
            struct value *lk = NULL;

            if (k->type != VALUE_BYTES || !roster_key_has_upper(k)) {
                continue;
            }
            lk = lower_key(arena, k);
            if (value_dict_get(arena, roster, lk) != NULL) {
                /* both spellings are members: keep the lower-case one */
                problem_examples_add(&clash, k);
                value_dict_del(arena, roster, k);
                i--;
                continue;
            }
            problem_examples_add(&t, k);
            value_dict_set_at(arena, roster, i, lk, preserved_value(arena, k));
            for (d = 0; roster_member_dicts[d] != NULL; d++) {
                struct value *md = get_dict(arena, config, roster_member_dicts[d]);
                struct value *v = md != NULL ? value_dict_get(arena, md, k) : NULL;
                if (v != NULL && value_dict_get(arena, md, lk) == NULL) {
                    value_dict_set(arena, md, lk, v);
                }
                if (v != NULL) {
                    value_dict_del(arena, md, k);
                }
            }
        }
    }
    problem_examples_report(&t, notes, "fixed-roster-key-case", list, PROBLEM_WARNING,
               "member keys lower-cased, the written form kept as Mailman keeps it");
    problem_examples_report(&clash, notes, "fixed-roster-key-case", list, PROBLEM_WARNING,
               "members listed twice in different case: the lower-case entry kept");
}

/* what the filters below need to decide, and the tally of what they drop */
struct filter {
    struct value_arena *arena;
    struct value *members;
    struct value *digest;
    struct value *bounce;
    struct problem_examples t;
};

static bool drop_regular(const struct value *k, const struct value *v, void *ctx)
{
    struct filter *f = ctx;

    (void)v;
    if (value_dict_get(f->arena, f->members, k) != NULL) {
        problem_examples_add(&f->t, k);
        return true;
    }
    return false;
}

static bool is_member(struct value_arena *arena, struct value *members, struct value *digest,
                      const struct value *k)
{
    return (members != NULL && value_dict_get(arena, members, k) != NULL)
        || (digest != NULL && value_dict_get(arena, digest, k) != NULL);
}

static bool drop_non_member(const struct value *k, const struct value *v, void *ctx)
{
    struct filter *f = ctx;

    (void)v;
    if (!is_member(f->arena, f->members, f->digest, k)) {
        problem_examples_add(&f->t, k);
        return true;
    }
    return false;
}

static bool drop_bybounce(const struct value *k, const struct value *s, void *ctx)
{
    struct filter *f = ctx;

    if (s->type == VALUE_TUPLE && s->u.seq.len >= 1 && s->u.seq.items[0]->type == VALUE_INT
        && s->u.seq.items[0]->u.i == 4
        && (f->bounce == NULL || value_dict_get(f->arena, f->bounce, k) == NULL)) {
        problem_examples_add(&f->t, k);
        return true;
    }
    return false;
}

static void fix_both(struct value_arena *arena, struct value *config, const char *list,
                     struct problem_list *notes)
{
    struct filter f = { arena, get_dict(arena, config, "members"),
                        get_dict(arena, config, "digest_members"), NULL, PROBLEM_EXAMPLES_INIT };

    if (f.members != NULL && f.digest != NULL) {
        value_dict_remove_if(arena, f.digest, drop_regular, &f);
    }
    problem_examples_report(&f.t, notes, "fixed-roster-both", list, PROBLEM_WARNING,
               "addresses in both rosters kept as regular members only");
}

static void fix_orphans(struct value_arena *arena, struct value *config, const char *list,
                        struct problem_list *notes)
{
    struct filter f = { arena, get_dict(arena, config, "members"),
                        get_dict(arena, config, "digest_members"), NULL, PROBLEM_EXAMPLES_INIT };
    int d;

    for (d = 0; roster_member_dicts[d] != NULL; d++) {
        struct value *md = get_dict(arena, config, roster_member_dicts[d]);
        char what[128];

        if (md != NULL) {
            value_dict_remove_if(arena, md, drop_non_member, &f);
        }
        snprintf(what, sizeof(what), "%s entries of non-members removed", roster_member_dicts[d]);
        problem_examples_report(&f.t, notes, "fixed-roster-orphans", list, PROBLEM_WARNING, what);
    }
}

static void fix_bybounce(struct value_arena *arena, struct value *config, const char *list,
                         struct problem_list *notes)
{
    struct value *status = get_dict(arena, config, "delivery_status");
    struct filter f = { arena, NULL, NULL, get_dict(arena, config, "bounce_info"),
                        PROBLEM_EXAMPLES_INIT };

    if (status != NULL) {
        value_dict_remove_if(arena, status, drop_bybounce, &f);
    }
    problem_examples_report(&f.t, notes, "fixed-roster-bybounce-no-info", list, PROBLEM_WARNING,
               "members disabled by bounces without bounce info re-enabled "
               "(as Mailman's bin/update does)");
}

/* known_language - in the site's table (or 2.1.39's without a site) */
static bool known_language(const struct site_settings *site, const char *lang)
{
    if (site != NULL) {
        return site_language_charset(site, lang) != NULL;
    }
    return charset_for_language(lang, CHARSET_TABLE_2_1_39) != NULL;
}

/* language_for - replacement for an unknown language code */
static const char *language_for(const struct site_settings *site, const char *lang)
{
    const char *dflt = site != NULL && site->default_server_language != NULL
                       ? site->default_server_language : "en";

    if (strcmp(lang, "big5") == 0 && known_language(site, "zh_TW")) {
        return "zh_TW";
    }
    if (strcmp(lang, "gb") == 0 && known_language(site, "zh_CN")) {
        return "zh_CN";
    }
    return dflt;
}

static bool str_lang(const struct value *v, char *buf, size_t size)
{
    if (v == NULL || v->type != VALUE_BYTES || v->u.str.len == 0 || v->u.str.len >= size) {
        return false;
    }
    memcpy(buf, v->u.str.data, v->u.str.len);
    buf[v->u.str.len] = '\0';
    return true;
}

static void fix_languages(struct value_arena *arena, struct value *config,
                          const struct site_settings *site, const char *list,
                          struct problem_list *notes)
{
    struct value *pref = value_dict_get_str(arena, config, "preferred_language");
    struct value *avail = value_dict_get_str(arena, config, "available_languages");
    struct value *langs = get_dict(arena, config, "language");
    struct problem_examples t = PROBLEM_EXAMPLES_INIT;
    char code[64];
    size_t i;

    if (str_lang(pref, code, sizeof(code)) && !known_language(site, code)) {
        const char *to = language_for(site, code);
        value_dict_set(arena, config, value_new_bytes(arena, "preferred_language", 18),
                       value_new_bytes(arena, to, strlen(to)));
        problem_add(notes, "fixed-unknown-language", list, PROBLEM_WARNING,
                    "preferred_language '%s' is not a language of this site: set to '%s'",
                    code, to);
    }
    for (i = 0; avail != NULL && avail->type == VALUE_LIST && i < avail->u.seq.len; i++) {
        if (str_lang(avail->u.seq.items[i], code, sizeof(code)) && !known_language(site, code)) {
            const char *to = language_for(site, code);
            struct value *nv = value_new_bytes(arena, to, strlen(to));
            avail->u.seq.items[i]->refs--;
            avail->u.seq.items[i] = nv;
            nv->refs++;
            problem_examples_add(&t, value_new_bytes(arena, code, strlen(code)));
        }
    }
    problem_examples_report(&t, notes, "fixed-unknown-language", list, PROBLEM_WARNING,
               "available_languages entries replaced");
    for (i = 0; langs != NULL && i < langs->u.dict.len; i++) {
        if (str_lang(langs->u.dict.items[i].val, code, sizeof(code))
            && !known_language(site, code)) {
            const char *to = language_for(site, code);
            problem_examples_add(&t, langs->u.dict.items[i].key);
            value_dict_set_at(arena, langs, i, langs->u.dict.items[i].key,
                              value_new_bytes(arena, to, strlen(to)));
        }
    }
    problem_examples_report(&t, notes, "fixed-unknown-language", list, PROBLEM_WARNING,
               "member languages that this site does not have replaced");
}

/* roster_repair - all fixes */
void roster_repair(struct value_arena *arena, struct value *config,
                   const struct site_settings *site, const char *list,
                   struct problem_list *notes)
{
    if (config == NULL || config->type != VALUE_DICT) {
        return;
    }
    fix_key_case(arena, config, list, notes);
    fix_both(arena, config, list, notes);
    fix_orphans(arena, config, list, notes);
    fix_bybounce(arena, config, list, notes);
    fix_languages(arena, config, site, list, notes);
}
