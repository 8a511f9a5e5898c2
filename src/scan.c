/*
 * scan - the inventory of one list and the problems it shows
 *
 * DESCRIPTION
 *  Everything here reads the value tree the loader produced; nothing
 *  touches the disk except the lock-file stat. Member checks use the
 *  dicts' hash index, so a 100,000-member list costs a few lookups per
 *  member, not a scan per member.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mmfix/charset.h"
#include "mmfix/install.h"
#include "mmfix/lockfile.h"
#include "mmfix/repr.h"
#include "mmfix/roster.h"
#include "mmfix/scan.h"
#include "mmfix/site.h"
#include "mmfix/strbuf.h"
#include "mmfix/templates.h"
#include "mmfix/xalloc.h"

/* Free-text attributes held as str in the list's charset. */
static const char *const text_attrs[] = {
    "real_name", "description", "info", "subject_prefix", "welcome_msg", "goodbye_msg",
    "msg_header", "msg_footer", "digest_header", "digest_footer",
    "autoresponse_postings_text", "autoresponse_admin_text", "autoresponse_request_text",
    "member_moderation_notice", "nonmember_rejection_notice", "dmarc_moderation_notice",
    "dmarc_wrapped_message_text", "bounce_matching_headers", NULL,
};

/* scan_language_charset - charset of a preferred_language value */
const char *scan_language_charset(const struct site_settings *site, const struct value *lang)
{
    char code[64];
    const char *cs = NULL;

    if (!value_is_str(lang) || lang->u.str.len >= sizeof(code)) {
        return NULL;
    }
    memcpy(code, lang->u.str.data, lang->u.str.len);
    code[lang->u.str.len] = '\0';
    cs = site != NULL ? site_language_charset(site, code) : NULL;
    if (cs == NULL) {
        cs = charset_for_language(code, CHARSET_TABLE_2_1_39);
    }
    if (cs == NULL) {
        cs = charset_for_language(code, CHARSET_TABLE_2_1);
    }
    return cs;
}

/* scan_config_charset - the charset of a config's str values as stored */
const char *scan_config_charset(const struct site_settings *site, struct value *config)
{
    const struct value *lang = NULL;
    const struct value *dv = NULL;
    const char *cs = NULL;

    if (config == NULL || config->type != VALUE_DICT) {
        return NULL;
    }
    lang = value_dict_get_str(NULL, config, "preferred_language");
    dv = value_dict_get_str(NULL, config, "data_version");
    if (value_is_str(lang) && dv != NULL && dv->type == VALUE_INT
        && dv->u.i < CHARSET_RECODED_VERSION) {
        char code[8];
        if (lang->u.str.len < sizeof(code)) {
            memcpy(code, lang->u.str.data, lang->u.str.len);
            code[lang->u.str.len] = '\0';
            cs = charset_before_recode(code);
        }
    }
    return cs != NULL ? cs : scan_language_charset(site, lang);
}

/* scan_list_charset - charset of the list's data as stored */
const char *scan_list_charset(const struct site_settings *site, struct mlist *ml)
{
    const char *cs = scan_config_charset(site, ml->config);

    return cs != NULL ? cs : "us-ascii";
}

/* str_utf8 - a str/unicode value as UTF-8 text (undecodable bytes as \x) */
static char *str_utf8(const struct value *v, const char *charset)
{
    struct strbuf sb = STRBUF_INIT;
    size_t bad = 0;

    if (v == NULL || !value_is_str(v)) {
        return NULL;
    }
    if (v->type == VALUE_TEXT) {
        strbuf_add(&sb, v->u.str.data, v->u.str.len);
    } else if (charset_decode(charset, v->u.str.data, v->u.str.len, &sb, &bad) != 0) {
        strbuf_reset(&sb);
        repr_bytes(&sb, v->u.str.data, v->u.str.len);
    }
    return strbuf_detach(&sb, NULL);
}

/* bytes that never occur in a valid address (Mailman's Utils.ValidateEmail
 * specials, controls, space, 8-bit) */
static bool address_special(unsigned char c)
{
    static bool table[256];
    static bool ready;

    if (!ready) {
        const char *sp = "()<>[]|;^,\"\\";
        int i;
        for (i = 0; i < 256; i++) {
            table[i] = i <= ' ' || i >= 0x7f;
        }
        for (; *sp != '\0'; sp++) {
            table[(unsigned char)*sp] = true;
        }
        ready = true;
    }
    return table[c];
}

/* address_valid - roughly Mailman's Utils.ValidateEmail */
static bool address_valid(const struct value *k)
{
    const unsigned char *p = k->u.str.data;
    size_t n = k->u.str.len;
    size_t at = n;
    size_t i;

    if (k->type != VALUE_BYTES || n == 0) {
        return false;
    }
    for (i = 0; i < n; i++) {
        if (address_special(p[i])) {
            return false;
        }
        if (p[i] == '@') {
            if (at != n) {
                return false;
            }
            at = i;
        }
    }
    if (at == 0 || at == n || at + 1 >= n) {
        return false;
    }
    return memchr(p + at + 1, '.', n - at - 1) != NULL && p[n - 1] != '.';
}

/* The per-member dicts usually list their keys in the roster's own order
 * (Mailman fills them together), so a cursor over each roster answers
 * most membership questions with one comparison and no hash lookup. */
struct roster_cursor {
    struct value *members;
    struct value *digest;
    size_t im;
    size_t id;
};

static bool same_key(const struct value *a, const struct value *b)
{
    return a == b || (a->type == b->type && value_is_str(a)
                      && a->u.str.len == b->u.str.len
                      && memcmp(a->u.str.data, b->u.str.data, a->u.str.len) == 0);
}

#define ROSTER_LOOKAHEAD 8

/* cursor_match - k within the next few roster keys? advance past it */
static bool cursor_match(const struct value *roster, size_t *pos, const struct value *k)
{
    size_t i;

    for (i = *pos; roster != NULL && i < roster->u.dict.len && i < *pos + ROSTER_LOOKAHEAD; i++) {
        if (same_key(roster->u.dict.items[i].key, k)) {
            *pos = i + 1;
            return true;
        }
    }
    return false;
}

/* roster_has - is k a member (regular or digest)? A dict that holds a
 * subset of the roster in roster order (usernames) is followed by looking
 * a few keys ahead; anything else falls back to the hash index. */
static bool roster_has(struct value_arena *arena, struct roster_cursor *c,
                       const struct value *k)
{
    if (cursor_match(c->members, &c->im, k) || cursor_match(c->digest, &c->id, k)) {
        return true;
    }
    return (c->members != NULL && value_dict_get(arena, c->members, k) != NULL)
        || (c->digest != NULL && value_dict_get(arena, c->digest, k) != NULL);
}

static void check_roster(struct mlist *ml, struct problem_list *pl)
{
    struct value *members = mlist_get(ml, "members");
    struct value *digest = mlist_get(ml, "digest_members");
    struct value *status = mlist_get(ml, "delivery_status");
    struct value *bounce = mlist_get(ml, "bounce_info");
    struct problem_examples ex = PROBLEM_EXAMPLES_INIT;
    struct value *rosters[2];
    size_t r;
    size_t i;
    int d;

    if (members == NULL || members->type != VALUE_DICT) {
        members = NULL;
    }
    if (digest == NULL || digest->type != VALUE_DICT) {
        digest = NULL;
    }
    rosters[0] = members;
    rosters[1] = digest;
    for (r = 0; r < 2; r++) {
        for (i = 0; rosters[r] != NULL && i < rosters[r]->u.dict.len; i++) {
            const struct value *k = rosters[r]->u.dict.items[i].key;
            if (roster_key_has_upper(k)) {
                problem_examples_add(&ex, k);
            }
        }
    }
    problem_examples_report(&ex, pl, "roster-key-case", ml->name, PROBLEM_ERROR,
                   "member keys not lower-case (Mailman cannot find these members)");
    for (r = 0; r < 2; r++) {
        for (i = 0; rosters[r] != NULL && i < rosters[r]->u.dict.len; i++) {
            const struct value *k = rosters[r]->u.dict.items[i].key;
            if (!address_valid(k)) {
                problem_examples_add(&ex, k);
            }
        }
    }
    problem_examples_report(&ex, pl, "roster-invalid-address", ml->name, PROBLEM_WARNING,
                   "invalid member addresses");
    if (digest != NULL && members != NULL && digest->u.dict.len > 0 && members->u.dict.len > 0) {
        /* probe the smaller roster's index: it stays in cache */
        struct value *small = digest->u.dict.len < members->u.dict.len ? digest : members;
        struct value *big = small == digest ? members : digest;
        for (i = 0; i < big->u.dict.len; i++) {
            const struct value *k = big->u.dict.items[i].key;
            if (value_dict_get(ml->arena, small, k) != NULL) {
                problem_examples_add(&ex, k);
            }
        }
    }
    problem_examples_report(&ex, pl, "roster-both", ml->name, PROBLEM_ERROR,
                   "addresses in both members and digest_members");
    for (d = 0; roster_member_dicts[d] != NULL; d++) {
        struct value *dict = mlist_get(ml, roster_member_dicts[d]);
        char what[128];

        struct roster_cursor cur = { members, digest, 0, 0 };

        for (i = 0; dict != NULL && dict->type == VALUE_DICT && i < dict->u.dict.len; i++) {
            const struct value *k = dict->u.dict.items[i].key;
            if (!roster_has(ml->arena, &cur, k)) {
                problem_examples_add(&ex, k);
            }
        }
        snprintf(what, sizeof(what), "%s entries for addresses that are not members",
                 roster_member_dicts[d]);
        problem_examples_report(&ex, pl, "roster-orphans", ml->name, PROBLEM_WARNING, what);
    }
    for (i = 0; status != NULL && status->type == VALUE_DICT && i < status->u.dict.len; i++) {
        const struct value *k = status->u.dict.items[i].key;
        const struct value *s = status->u.dict.items[i].val;
        if (s->type == VALUE_TUPLE && s->u.seq.len >= 1 && s->u.seq.items[0]->type == VALUE_INT
            && s->u.seq.items[0]->u.i == 4
            && (bounce == NULL || bounce->type != VALUE_DICT
                || value_dict_get(ml->arena, bounce, k) == NULL)) {
            problem_examples_add(&ex, k);
        }
    }
    problem_examples_report(&ex, pl, "roster-bybounce-no-info", ml->name, PROBLEM_WARNING,
                   "members disabled by bounces without bounce info "
                   "(Mailman's bin/update re-enables them)");
}

static void check_text(struct mlist *ml, const char *charset, bool no_language,
                       struct problem_list *pl)
{
    /* a 2.0 list has no language: its bytes are in whatever charset its
     * owner typed, and 2.1 will call them us-ascii until one is chosen */
    const char *why = no_language ? "; a 2.0 list has no language yet: choose one when "
                                    "upgrading" : "";
    struct strbuf sb = STRBUF_INIT;
    struct value *usernames = mlist_get(ml, "usernames");
    size_t bad = 0;
    size_t i;
    int a;

    for (a = 0; text_attrs[a] != NULL; a++) {
        struct value *v = mlist_get(ml, text_attrs[a]);
        strbuf_reset(&sb);
        /* every charset Mailman uses is a superset of ASCII */
        if (v != NULL && v->type == VALUE_BYTES && !charset_is_ascii(v->u.str.data, v->u.str.len)
            && charset_decode(charset, v->u.str.data, v->u.str.len, &sb, &bad) != 0) {
            problem_add(pl, "undecodable-text", ml->name, PROBLEM_WARNING,
                        "%s: byte 0x%02x at offset %zu is not %s (kept as bytes%s)",
                        text_attrs[a], v->u.str.data[bad], bad, charset, why);
        }
    }
    for (i = 0; usernames != NULL && usernames->type == VALUE_DICT
         && i < usernames->u.dict.len; i++) {
        const struct value *v = usernames->u.dict.items[i].val;
        strbuf_reset(&sb);
        if (v->type == VALUE_BYTES && !charset_is_ascii(v->u.str.data, v->u.str.len)
            && charset_decode(charset, v->u.str.data, v->u.str.len, &sb, &bad) != 0) {
            struct strbuf key = STRBUF_INIT;
            repr_value(&key, usernames->u.dict.items[i].key);
            problem_add(pl, "undecodable-text", ml->name, PROBLEM_WARNING,
                        "usernames[%s]: byte 0x%02x at offset %zu is not %s (kept as bytes%s)",
                        strbuf_cstr(&key), v->u.str.data[bad], bad, charset, why);
            strbuf_release(&key);
        }
    }
    strbuf_release(&sb);
}

/* scan_file_problems - report files that did not load */
void scan_file_problems(struct mlist *ml, struct problem_list *pl)
{
    const struct mlist_file *used = mlist_loaded_file(ml);
    int i;

    for (i = 0; i < MLIST_NFILES; i++) {
        const struct mlist_file *f = &ml->files[i];
        const char *code = NULL;
        char fallback[128];

        if (!f->tried || f->status == LOAD_OK || f->status == LOAD_MISSING) {
            continue;
        }
        if (used != NULL && used != f) {
            snprintf(fallback, sizeof(fallback), "%s loads", used->name);
        } else {
            snprintf(fallback, sizeof(fallback), "no fallback loads");
        }
        switch (f->status) {
        case LOAD_REFUSED:
            code = "refused-pickle";
            problem_add(pl, code, ml->name, PROBLEM_ERROR,
                        "%s refused: %s; Mailman itself would unpickle it and run that code; %s",
                        f->name, f->error, fallback);
            continue;
        case LOAD_LIMIT:
            code = "too-large";
            break;
        case LOAD_IO:
            code = "unreadable-file";
            break;
        default:
            code = "corrupt-file";
            break;
        }
        if (i < MLIST_NFILES - 1 && used != NULL && used > f) {
            problem_add(pl, code, ml->name, PROBLEM_ERROR,
                        "%s: %s; Mailman 2.1.39 falls back to %s "
                        "(2.1 before 2.1.6 stops instead)", f->name, f->error, used->name);
        } else {
            problem_add(pl, code, ml->name, PROBLEM_ERROR, "%s: %s; %s", f->name, f->error,
                        fallback);
        }
    }
    if (ml->loaded < 0) {
        problem_add(pl, "all-files-corrupt", ml->name, PROBLEM_ERROR,
                    "none of config.pck, config.pck.last, config.db, config.db.last loads: "
                    "Mailman gives up on this list");
    }
}

static void check_formats(struct mlist *ml, struct problem_list *pl)
{
    const struct mlist_file *pck = &ml->files[0];
    const struct mlist_file *db = &ml->files[2];

    if (pck->present && db->present
        && (db->mtime.tv_sec > pck->mtime.tv_sec
            || (db->mtime.tv_sec == pck->mtime.tv_sec
                && db->mtime.tv_nsec > pck->mtime.tv_nsec))) {
        problem_add(pl, "stale-format-newer", ml->name, PROBLEM_WARNING,
                    "config.db is newer than config.pck, but Mailman 2.1 reads config.pck "
                    "and never looks at config.db: changes made under 2.0 after the upgrade "
                    "are not in effect");
    }
}

/* check_lock - the list's lock, judged by lockfile's one expiry rule */
/* check_archive_links - archives/public/<list>[.mbox] of a tree copied from
 * another host: a link into the old host's prefix, or one that dangles */
static void check_archive_links(const struct install *install, struct mlist *ml,
                                struct problem_list *pl)
{
    static const char *const exts[] = { "", ".mbox" };
    size_t k;

    if (install == NULL) {
        return;
    }
    for (k = 0; k < 2; k++) {
        char *path = xasprintf("%s/archives/public/%s%s", install->var_prefix, ml->name,
                               exts[k]);
        char target[4096];
        struct stat st;
        ssize_t n = -1;

        if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)
            && (n = readlink(path, target, sizeof(target) - 1)) > 0) {
            char *priv = NULL;
            target[n] = '\0';
            priv = xasprintf("%s/archives/private/%s%s", install->var_prefix, ml->name,
                             exts[k]);
            if (stat(path, &st) != 0) {
                problem_add(pl, "archive-link-dangling", ml->name, PROBLEM_WARNING,
                            "archives/public/%s%s points to %s, which is not there (a tree "
                            "copied from another host?)%s", ml->name, exts[k], target,
                            lstat(priv, &st) == 0 ? ": mmfix update or migrate re-points it "
                                                    "to this installation's private archive"
                                                  : "");
            }
            free(priv);
        }
        free(path);
    }
}

static void check_lock(const struct install *install, struct mlist *ml,
                       struct problem_list *pl)
{
    struct lockfile_state ls;
    const char *err = NULL;
    char *path = NULL;
    time_t now = time(NULL);

    if (install == NULL || install->locks_dir == NULL) {
        return;
    }
    path = xasprintf("%s/%s.lock", install->locks_dir, ml->name);
    if (lockfile_inspect(path, &ls, &err) == 0 && ls.exists) {
        if (ls.ours_dead) {
            problem_add(pl, "lock-stale", ml->name, PROBLEM_WARNING,
                        "locks/%s.lock was left by a killed mmfix (process gone); the next "
                        "writing mmfix command clears it", ml->name);
        } else if (!ls.live) {
            problem_add(pl, "lock-stale", ml->name, PROBLEM_WARNING,
                        "locks/%s.lock expired %lld s ago (Mailman breaks it on the next lock)",
                        ml->name, (long long)(now - ls.expires));
        } else {
            problem_add(pl, "lock-live", ml->name, PROBLEM_WARNING,
                        "locks/%s.lock is held (expires in %lld s): Mailman is working on "
                        "this list", ml->name, (long long)(ls.expires - now));
        }
    }
    free(path);
}

static void check_hosts(const struct site_settings *site, struct scan_entry *e,
                        struct problem_list *pl)
{
    const char *url = e->web_page_url;
    char host[256];
    size_t n = 0;

    if (site == NULL || !site_has_hosts(site)) {
        return;
    }
    if (e->host_name != NULL && !site_is_known_host(site, e->host_name)) {
        problem_add(pl, "host-mismatch", e->name, PROBLEM_WARNING,
                    "host_name %s is not one of the site's mail hosts", e->host_name);
    }
    if (url != NULL) {
        const char *p = strstr(url, "://");
        p = p != NULL ? p + 3 : url;
        while (p[n] != '\0' && p[n] != '/' && p[n] != ':' && n + 1 < sizeof(host)) {
            host[n] = (char)tolower((unsigned char)p[n]);
            n++;
        }
        host[n] = '\0';
        if (!site_is_known_host(site, host)) {
            problem_add(pl, "host-mismatch", e->name, PROBLEM_WARNING,
                        "web_page_url host %s is not one of the site's web hosts", host);
        }
    }
}

/* scan_list - inventory and checks */
void scan_list(const struct install *install, const struct site_settings *site,
               struct mlist *ml, struct scan_entry *e, struct problem_list *pl)
{
    const struct mlist_file *used = NULL;
    struct value *v = NULL;
    const char *why = NULL;
    long long target = site != NULL ? site->data_file_version : 112;
    size_t i;

    memset(e, 0, sizeof(*e));
    e->name = xstrdup(ml->name);
    e->data_version = -1;
    e->problems_from = pl->len;
    if (!install_list_valid_name(ml->name, &why)) {
        problem_add(pl, "invalid-list-name", ml->name, PROBLEM_ERROR, "%s", why);
    }
    scan_file_problems(ml, pl);
    check_formats(ml, pl);
    check_lock(install, ml, pl);
    check_archive_links(install, ml, pl);
    used = mlist_loaded_file(ml);
    if (used != NULL) {
        e->file = xasprintf("lists/%s/%s", ml->name, used->name);
        e->format = ml->loaded < 2 ? "pck" : "db";
        e->protocol = used->protocol;
        e->charset = xstrdup(scan_list_charset(site, ml));
        v = mlist_get(ml, "data_version");
        if (v != NULL && v->type == VALUE_INT) {
            e->data_version = v->u.i;
        }
        e->members = value_len(mlist_get(ml, "members"));
        e->digest_members = value_len(mlist_get(ml, "digest_members"));
        e->preferred_language = str_utf8(mlist_get(ml, "preferred_language"), "us-ascii");
        e->web_page_url = str_utf8(mlist_get(ml, "web_page_url"), e->charset);
        e->host_name = str_utf8(mlist_get(ml, "host_name"), e->charset);
        v = mlist_get(ml, "owner");
        if (v != NULL && (v->type == VALUE_LIST || v->type == VALUE_TUPLE)) {
            e->owners = xcalloc(v->u.seq.len + 1, sizeof(char *));
            for (i = 0; i < v->u.seq.len; i++) {
                char *o = str_utf8(v->u.seq.items[i], e->charset);
                if (o != NULL) {
                    e->owners[e->n_owners++] = o;
                }
            }
        }
        if (e->format[0] == 'd' || e->data_version < target) {
            problem_add(pl, "not-upgraded", ml->name, PROBLEM_WARNING,
                        "%s data (data_version %lld), this site runs data version %lld: "
                        "run mmfix update", e->format[0] == 'd' ? "Mailman 2.0" : "older",
                        e->data_version, target);
        }
        if (e->preferred_language == NULL) {
            if (e->format[0] != 'd') {
                problem_add(pl, "unknown-language", ml->name, PROBLEM_WARNING,
                            "no preferred_language");
            }
        } else if ((site != NULL && site_language_charset(site, e->preferred_language) == NULL)
                   || (site == NULL
                       && charset_for_language(e->preferred_language,
                                               CHARSET_TABLE_2_1_39) == NULL)) {
            problem_add(pl, "unknown-language", ml->name, PROBLEM_ERROR,
                        "preferred_language '%s' is not a language of this site "
                        "(Mailman raises KeyError on it; mmfix repair can fix it)",
                        e->preferred_language);
        }
        check_text(ml, e->charset, e->preferred_language == NULL, pl);
        check_roster(ml, pl);
        check_hosts(site, e, pl);
    }
    e->problems_to = pl->len;
}

/* scan_entry_free - free the strings */
void scan_entry_free(struct scan_entry *e)
{
    size_t i;

    free(e->name);
    free(e->file);
    free(e->preferred_language);
    free(e->charset);
    free(e->web_page_url);
    free(e->host_name);
    for (i = 0; i < e->n_owners; i++) {
        free(e->owners[i]);
    }
    free(e->owners);
    memset(e, 0, sizeof(*e));
}

/* scan_entry_write_json - SPEC's scan entry */
void scan_entry_write_json(struct jsonw *w, const struct scan_entry *e,
                           const struct problem_list *pl)
{
    size_t i;

    jsonw_object_begin(w);
    jsonw_key(w, "name");
    jsonw_string(w, e->name);
    jsonw_key(w, "file");
    jsonw_string(w, e->file);
    jsonw_key(w, "format");
    jsonw_string(w, e->format);
    jsonw_key(w, "protocol");
    if (e->file != NULL) {
        jsonw_int(w, e->protocol);
    } else {
        jsonw_null(w);
    }
    jsonw_key(w, "data_version");
    if (e->data_version >= 0) {
        jsonw_int(w, e->data_version);
    } else {
        jsonw_null(w);
    }
    jsonw_key(w, "members");
    jsonw_uint(w, e->members);
    jsonw_key(w, "digest_members");
    jsonw_uint(w, e->digest_members);
    jsonw_key(w, "preferred_language");
    jsonw_string(w, e->preferred_language);
    jsonw_key(w, "charset");
    jsonw_string(w, e->charset);
    jsonw_key(w, "web_page_url");
    jsonw_string(w, e->web_page_url);
    jsonw_key(w, "host_name");
    jsonw_string(w, e->host_name);
    jsonw_key(w, "owners");
    jsonw_array_begin(w);
    for (i = 0; i < e->n_owners; i++) {
        jsonw_string(w, e->owners[i]);
    }
    jsonw_array_end(w);
    jsonw_key(w, "problems");
    problem_write_json(w, pl, e->problems_from, e->problems_to);
    jsonw_object_end(w);
}

/* scan_site_problems - collisions with global template directories */
void scan_site_problems(const struct install *install, const struct site_settings *site,
                        const char *const *names, size_t n, struct problem_list *pl)
{
    size_t i;

    for (i = 0; i < n; i++) {
        const char *what = NULL;
        enum install_collision c = install_list_collisions(install, site, names[i], &what);
        struct templates_damage d;
        const char *err = NULL;

        if (c == INSTALL_COLLISION_NONE) {
            continue;
        }
        problem_add(pl, "language-collision", names[i], PROBLEM_WARNING,
                    "%s: Mailman's bin/update before 2.1.11 takes the global templates/%s/ "
                    "for this list's own and empties it; mmfix leaves it alone",
                    what != NULL ? what : install_collision_name(c), names[i]);
        if (install == NULL || templates_damage_find(install, site, names[i], &d, &err) != 0) {
            continue;
        }
        if (d.damaged) {
            problem_add(pl, "templates-damaged", names[i], PROBLEM_ERROR,
                        "lists/%s/ holds %zu global templates of templates/%s/ (%zu .txt, "
                        "none of them a list's own): an earlier bin/update moved them there, "
                        "and Mailman 2.1 no longer finds them; %s%s",
                        names[i], d.n_stray, names[i], d.n_txt,
                        d.dest_rel != NULL ? "mmfix update moves them back into "
                        : d.command != NULL ? "put them back with: "
                        : "name the install dir with --install-dir to see where they belong",
                        d.dest_rel != NULL ? d.dest_rel : d.command != NULL ? d.command : "");
        }
        templates_damage_free(&d);
    }
}

/* scan_outside_problems - list directories that are links out of the tree */
void scan_outside_problems(const struct install *install, struct problem_list *pl)
{
    char **names = NULL;
    size_t n = 0;
    size_t i;
    const char *err = NULL;

    if (install_list_outside(install, &names, &n, &err) != 0) {
        return;
    }
    for (i = 0; i < n; i++) {
        char *path = xasprintf("%s/%s", install->lists_dir, names[i]);
        char target[1024];
        ssize_t len = readlink(path, target, sizeof(target) - 1);

        target[len > 0 ? len : 0] = '\0';
        problem_add(pl, "list-outside-tree", names[i], PROBLEM_WARNING,
                    "lists/%s is a symbolic link to %s, outside the installation (or "
                    "dangling): mmfix does not follow it, Mailman does", names[i],
                    len > 0 ? target : "?");
        free(path);
    }
    install_names_free(names, n);
}
