/*
 * update - bin/update as a plan: each list's data files, then the site's
 *
 * DESCRIPTION
 *  See update.h. The configuration upgrade is upgrade.h's, the held
 *  requests requests.h's, the pending confirmations pending.h's; this file
 *  reads the files, puts the steps in bin/update's order and turns their
 *  results into file operations and notes.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mmfix/datafile.h"
#include "mmfix/errstr.h"
#include "mmfix/install.h"
#include "mmfix/members.h"
#include "mmfix/pickle.h"
#include "mmfix/pyval.h"
#include "mmfix/requests.h"
#include "mmfix/site.h"
#include "mmfix/strbuf.h"
#include "mmfix/prefetch.h"
#include "mmfix/update.h"
#include "mmfix/upgrade.h"
#include "mmfix/xalloc.h"

/* language_charset - the charset of config's preferred_language */
static const char *language_charset(const struct site_settings *site, struct value *config)
{
    const struct value *lang = value_dict_get_str(NULL, config, "preferred_language");
    char code[64];

    if (lang == NULL || !value_is_str(lang) || lang->u.str.len >= sizeof(code)) {
        return NULL;
    }
    memcpy(code, lang->u.str.data, lang->u.str.len);
    code[lang->u.str.len] = '\0';
    return site_language_charset(site, code);
}

/* reset_bybounce - bin/update's check of the invariant that a member
 * disabled by bounces has bounce information: those without are enabled
 * again (setDeliveryStatus ENABLED), for every list it updates */
static int reset_bybounce(struct value_arena *arena, struct value *config, const char *name,
                          struct problem_list *notes, const char **error_r)
{
    struct value *ds = value_dict_get_str(arena, config, "delivery_status");
    struct value *bi = value_dict_get_str(arena, config, "bounce_info");
    struct value *noinfo = NULL;
    size_t i;

    if (ds == NULL || bi == NULL || ds->type != VALUE_DICT || bi->type != VALUE_DICT) {
        *error_r = "delivery_status or bounce_info is not a dict (bin/update fails on it)";
        return -1;
    }
    noinfo = value_new_list(arena, 0);
    for (i = 0; i < ds->u.dict.len; i++) {
        const struct value *st = ds->u.dict.items[i].val;
        long long reason = 0;

        if ((st->type != VALUE_TUPLE && st->type != VALUE_LIST) || st->u.seq.len != 2) {
            *error_r = "a delivery_status entry is not a (status, time) pair (bin/update "
                       "fails on it)";
            return -1;
        }
        if (pyval_as_int(st->u.seq.items[0], &reason) && reason == MEMBERS_STATUS_BYBOUNCE
            && pyval_dict_get(arena, bi, ds->u.dict.items[i].key) == NULL) {
            value_seq_append(arena, noinfo, ds->u.dict.items[i].key);
        }
    }
    for (i = 0; i < noinfo->u.seq.len; i++) {
        if (members_enable(arena, config, noinfo->u.seq.items[i], error_r) != 0) {
            return -1;
        }
    }
    if (noinfo->u.seq.len > 0) {
        problem_add(notes, "upgrade-bybounce", name, PROBLEM_WARNING,
                    "delivery_status: %zu members disabled by bounces without bounce "
                    "information enabled again, as bin/update does", noinfo->u.seq.len);
    }
    return 0;
}

/* Suffixes of the files update keeps under names Mailman never reads */
#define OLD20_SUFFIX ".mm20"     /* written only by Mailman 2.0 */
#define PRE215_SUFFIX ".pre215"  /* formats 2.1.5 replaced */

/* exists - lstat finds path */
static bool exists(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0;
}

/* regular - path is a regular file */
static bool regular(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* keep_name - rel + suffix, or with ".N" after it when that exists already
 * (an older copy is never overwritten); a new string relative to the var
 * prefix */
static char *keep_name(const struct install *install, const char *rel, const char *suffix)
{
    char *name = xasprintf("%s%s", rel, suffix);
    unsigned n = 1;

    for (;;) {
        char *abs = xasprintf("%s/%s", install->var_prefix, name);
        bool taken = exists(abs);
        free(abs);
        if (!taken) {
            return name;
        }
        free(name);
        name = xasprintf("%s%s.%u", rel, suffix, n++);
    }
}

/* site_raw_number - a number the site's files bound (Version.py, Defaults.py,
 * mm_cfg.py), else dflt */
static double site_raw_number(const struct site_settings *site, const char *name, double dflt)
{
    const struct value *v = site->raw != NULL ? value_dict_get_str(NULL, site->raw, name) : NULL;

    if (v != NULL && v->type == VALUE_INT) {
        return (double)v->u.i;
    }
    if (v != NULL && v->type == VALUE_FLOAT) {
        return v->u.f;
    }
    return dflt;
}

/* load_site_file - one site-wide data file, read as format, into g->arena: *root_r NULL when
 * it does not exist; a problem when it does not load */
static void load_site_file(struct update_global *g, const struct install *install,
                           const char *name, enum datafile_format format, struct value **root_r)
{
    char *path = xasprintf("%s/%s", install->data_dir, name);
    enum load_error kind = LOAD_OK;
    const char *err = NULL;

    *root_r = NULL;
    if (exists(path)
        && datafile_load(path, format, DATAFILE_WANT_DICT, NULL, NULL, g->arena, root_r,
                         NULL, &kind, &err) != 0) {
        problem_add(&g->problems, "site-data-unreadable", NULL, PROBLEM_ERROR,
                    "data/%s: %s; Mailman's bin/update would stop on it; left as it is", name,
                    err);
        *root_r = NULL;
    }
    free(path);
}

/* update_global_load - the site-wide files bin/update reads */
int update_global_load(const struct install *install, const struct site_settings *site,
                       bool all_lists, double now, struct update_global **g_r,
                       const char **error_r)
{
    struct update_global *g = xcalloc(1, sizeof(*g));
    struct value *p20 = NULL;
    struct value *p214 = NULL;

    g->all_lists = all_lists;
    g->now = now;
    g->arena = value_arena_new();
    problem_list_init(&g->problems);
    problem_list_init(&g->notes);
    /* Defaults.py: PENDING_REQUEST_LIFE = days(3); Version.py: the schemas */
    g->pending_life = site_raw_number(site, "PENDING_REQUEST_LIFE", 3 * 24 * 60 * 60);
    g->pending_schema = (long long)site_raw_number(site, "PENDING_FILE_SCHEMA_VERSION", 2);
    g->requests_schema = (long long)site_raw_number(site, "REQUESTS_FILE_SCHEMA_VERSION", 1);
    *g_r = g;
    if (!all_lists) {
        return 0;
    }
    /* bin/update reads them with marshal.load, marshal.load, cPickle.load */
    load_site_file(g, install, "gate_watermarks", DATAFILE_MARSHAL, &g->watermarks);
    load_site_file(g, install, "pending_subscriptions.db", DATAFILE_MARSHAL, &p20);
    load_site_file(g, install, "pending.pck", DATAFILE_PICKLE, &p214);
    if (p20 != NULL) {
        struct value *db = NULL;
        if (pending_from_20(g->arena, p20, site->default_server_language, g->pending_life, &db,
                            &g->notes, error_r) != 0
            || pending_sort(g->arena, db, &g->pending, &g->notes, error_r) != 0) {
            problem_add(&g->problems, "site-data-unreadable", NULL, PROBLEM_ERROR,
                        "data/pending_subscriptions.db: %s; left as it is", *error_r);
        } else {
            g->pending20 = true;
        }
    }
    if (p214 != NULL) {
        /* bin/update reads it only without a 2.0 file and deletes both:
         * mmfix re-pends both, so neither is lost */
        if (pending_sort(g->arena, p214, &g->pending, &g->notes, error_r) != 0) {
            problem_add(&g->problems, "site-data-unreadable", NULL, PROBLEM_ERROR,
                        "data/pending.pck: %s; left as it is", *error_r);
        } else {
            g->pending214 = true;
        }
    }
    return 0;
}

/* update_global_free - free g */
void update_global_free(struct update_global **g)
{
    if (*g == NULL) {
        return;
    }
    value_arena_free(&(*g)->arena);
    problem_list_free(&(*g)->problems);
    problem_list_free(&(*g)->notes);
    free(*g);
    *g = NULL;
}

/* set_watermark - bin/update's "Updating Usenet watermarks":
 * usenet_watermark = gate_watermarks[name] or None */
static void set_watermark(struct update_global *g, struct value_arena *arena,
                          struct value *after, const char *name, struct problem_list *notes)
{
    struct value *wm = NULL;
    struct value *v = NULL;
    struct strbuf sb = STRBUF_INIT;

    if (!g->all_lists || g->watermarks == NULL) {
        return;
    }
    wm = value_dict_get_str(g->arena, g->watermarks, name);
    if (wm == NULL) {
        return;
    }
    v = pyval_truth(wm) ? value_copy(arena, wm) : value_new_none(arena);
    pyval_dict_set(arena, after, value_new_bytes(arena, "usenet_watermark", 16), v);
    problem_add(notes, "update-watermark", name, PROBLEM_WARNING,
                "usenet_watermark = %s from data/gate_watermarks, as bin/update sets it (0 "
                "becomes None)", pyval_repr_short(&sb, v));
    strbuf_release(&sb);
}

/* serialize - the protocol-1 pickle of v */
static int serialize(const struct value *v, struct strbuf *out, const char **error_r)
{
    strbuf_reset(out);
    return pickle_write(out, v, error_r);
}

/* held_name_of - file is heldmsg-<list>-<id>.txt|pck of the list whose
 * prefix "heldmsg-<list>-" is given (not of a list whose name only starts
 * the same) */
static bool held_name_of(const char *file, const char *prefix)
{
    const char *p = file + strlen(prefix);
    size_t digits;

    if (strncmp(file, prefix, strlen(prefix)) != 0) {
        return false;
    }
    digits = strspn(p, "0123456789");
    return digits > 0 && (strcmp(p + digits, ".txt") == 0 || strcmp(p + digits, ".pck") == 0);
}

/* held_files - the held messages the list's requests name: each must be in
 * data/, where 2.1.39 reads it (.pck, or 2.0's .txt); files
 * data/heldmsg-<name>-*.* that no request names are reported too */
static void held_files(const struct install *install, const char *name, struct value *db,
                       bool converted, struct plan *p)
{
    size_t kept = 0;
    size_t i;
    char *prefix = xasprintf("heldmsg-%s-", name);
    DIR *d = NULL;
    struct dirent *e = NULL;
    struct strbuf first = STRBUF_INIT;

    for (i = 0; db != NULL && i < db->u.dict.len; i++) {
        const struct value *f = requests_held_file(db->u.dict.items[i].val);
        char *path = NULL;

        if (f == NULL) {
            continue;
        }
        if (memchr(f->u.str.data, '/', f->u.str.len) != NULL
            || memchr(f->u.str.data, '\0', f->u.str.len) != NULL) {
            problem_add(&p->problems, "held-message-missing", name, PROBLEM_WARNING,
                        "a held message names the file \"%.*s\", which is not in data/: "
                        "Mailman will report it lost", (int)f->u.str.len,
                        (const char *)f->u.str.data);
            continue;
        }
        path = xasprintf("%s/%.*s", install->data_dir, (int)f->u.str.len,
                         (const char *)f->u.str.data);
        if (!exists(path)) {
            problem_add(&p->problems, "held-message-missing", name, PROBLEM_WARNING,
                        "held message data/%.*s is missing: Mailman will report it lost when "
                        "the moderator handles it", (int)f->u.str.len,
                        (const char *)f->u.str.data);
        } else {
            if (kept++ == 0) {
                strbuf_addf(&first, "data/%.*s", (int)f->u.str.len,
                            (const char *)f->u.str.data);
            }
        }
        free(path);
    }
    if (kept > 0 && converted) {
        problem_add(&p->notes, "update-held-kept", name, PROBLEM_WARNING,
                    "%zu held message%s (%s%s) stay%s in data/ where Mailman 2.1.39 reads "
                    "%s (it still reads 2.0's .txt files)", kept, kept == 1 ? "" : "s",
                    strbuf_cstr(&first), kept > 1 ? ", ..." : "", kept == 1 ? "s" : "",
                    kept == 1 ? "it" : "them");
    }
    d = opendir(install->data_dir);
    while (d != NULL && (e = readdir(d)) != NULL) {
        bool named = false;
        size_t k;

        if (!held_name_of(e->d_name, prefix)) {
            continue;
        }
        for (k = 0; db != NULL && k < db->u.dict.len && !named; k++) {
            const struct value *f = requests_held_file(db->u.dict.items[k].val);
            named = f != NULL && f->u.str.len == strlen(e->d_name)
                    && memcmp(f->u.str.data, e->d_name, f->u.str.len) == 0;
        }
        if (!named) {
            problem_add(&p->notes, "held-message-orphan", name, PROBLEM_WARNING,
                        "data/%s is a held message no request of the list names; kept as it "
                        "is", e->d_name);
        }
    }
    if (d != NULL) {
        closedir(d);
    }
    strbuf_release(&first);
    free(prefix);
}

/* plan_requests - _UpdateRecords: request.pck written when request.db is
 * converted, when an existing request.pck changes, or (as bin/update writes
 * it for every list) when an upgraded list has neither; *db_r the updated
 * database (NULL when it could not be read) */
static void plan_requests(const struct install *install, struct update_global *g,
                          size_t idx, bool upgraded, struct plan *p, struct value **db_r,
                          bool *written_r)
{
    struct plan_list *l = &p->lists[idx];
    struct value_arena *arena = l->ml->arena;
    const char *name = l->name;
    char *dir = xasprintf("%s/%s", install->lists_dir, name);
    struct value *db = NULL;
    struct value *orig = NULL;
    enum requests_source src = REQUESTS_NONE;
    bool both = false;
    size_t changed = 0;
    const char *err = NULL;
    struct strbuf out = STRBUF_INIT;
    struct value *lang = value_dict_get_str(arena, l->after, "preferred_language");

    *db_r = NULL;
    *written_r = false;
    if (requests_load(dir, arena, &db, &src, &both, &err) != 0) {
        problem_add(&p->problems, "requests-unreadable", name, PROBLEM_ERROR,
                    "%s: Mailman's bin/update would stop on it; left as it is", err);
        goto out;
    }
    if (both) {
        problem_add(&p->problems, "requests-both", name, PROBLEM_ERROR,
                    "both request.db and request.pck exist: bin/update would replace "
                    "request.pck's requests with request.db's; left as they are (merge them "
                    "by hand)");
        goto out;
    }
    if (db == NULL) {
        if (!upgraded) {
            goto out;
        }
        db = value_new_dict(arena, 1);
    }
    orig = value_copy(arena, db);
    if (lang == NULL) {
        lang = value_new_bytes(arena, "en", 2);
    }
    if (requests_update(arena, db, lang, g->requests_schema, &changed, &err) != 0) {
        problem_add(&p->problems, "requests-refused", name, PROBLEM_ERROR,
                    "%s: Mailman's bin/update would stop on it; left as it is", err);
        goto out;
    }
    *db_r = db;
    if (src == REQUESTS_PCK && value_equal(orig, db)) {
        goto out;
    }
    if (serialize(db, &out, &err) != 0) {
        problem_add(&p->problems, "requests-refused", name, PROBLEM_ERROR, "request.pck: %s",
                    err);
        *db_r = NULL;
        goto out;
    }
    {
        char *rel = xasprintf("lists/%s/request.pck", name);
        plan_add_put(p, rel, out.buf, out.len, idx, false);
        free(rel);
    }
    *written_r = true;
    if (src == REQUESTS_DB) {
        char *rel = xasprintf("lists/%s/request.db", name);
        char *to = keep_name(install, rel, PRE215_SUFFIX);
        plan_add_op(p, PLAN_MOVE, rel, to, idx, false);
        problem_add(&p->notes, "update-requests", name, PROBLEM_WARNING,
                    "request.db (marshal) -> request.pck as bin/update's _UpdateRecords makes "
                    "it: %zu request%s, %zu in an old layout widened; request.db kept as %s, "
                    "a name Mailman never reads", db->u.dict.len - 1,
                    db->u.dict.len == 2 ? "" : "s", changed, strrchr(to, '/') + 1);
        free(to);
        free(rel);
    } else if (src == REQUESTS_PCK) {
        problem_add(&p->notes, "update-requests", name, PROBLEM_WARNING,
                    "request.pck: %zu request%s in an old layout widened, as bin/update's "
                    "_UpdateRecords does", changed, changed == 1 ? "" : "s");
    } else {
        problem_add(&p->notes, "update-requests", name, PROBLEM_WARNING,
                    "request.pck: the empty held-requests database bin/update writes for "
                    "every list it updates");
    }
out:
    strbuf_release(&out);
    free(dir);
}

/* plan_pending - update_pending() for one list: the site-wide confirmations
 * that belong here re-pended into its pending.pck */
static void plan_pending(const struct install *install, struct update_global *g, size_t idx,
                         struct value *requests, struct plan *p)
{
    struct plan_list *l = &p->lists[idx];
    struct value_arena *arena = l->ml->arena;
    struct value *pairs = NULL;
    struct value *db = NULL;
    char *path = NULL;
    const char *err = NULL;
    enum load_error kind = LOAD_OK;
    struct strbuf out = STRBUF_INIT;

    if (!g->all_lists || (!g->pending20 && !g->pending214)) {
        return;
    }
    if (pending_for_list(g->arena, &g->pending, l->name, arena, l->after, requests, &pairs,
                         &err) != 0) {
        problem_add(&p->problems, "pending-refused", l->name, PROBLEM_ERROR,
                    "re-pending the site-wide confirmations: %s", err);
        return;
    }
    if (pairs->u.seq.len == 0) {
        return;
    }
    path = xasprintf("%s/%s/pending.pck", install->lists_dir, l->name);
    if (exists(path)
        && datafile_load(path, DATAFILE_PICKLE, DATAFILE_WANT_DICT | DATAFILE_KEEP_MEMO, NULL,
                         NULL, arena, &db, NULL, &kind, &err) != 0) {
        problem_add(&p->problems, "pending-refused", l->name, PROBLEM_ERROR,
                    "pending.pck: %s; the site-wide confirmations for this list are not "
                    "re-pended", err);
        goto out;
    }
    if (pending_repend(arena, db, pairs, g->now, g->pending_life, g->pending_schema, &db,
                       &err) != 0
        || serialize(db, &out, &err) != 0) {
        problem_add(&p->problems, "pending-refused", l->name, PROBLEM_ERROR, "pending.pck: %s",
                    err);
        goto out;
    }
    {
        char *rel = xasprintf("lists/%s/pending.pck", l->name);
        plan_add_put(p, rel, out.buf, out.len, idx, false);
        free(rel);
    }
    problem_add(&p->notes, "update-pending", l->name, PROBLEM_WARNING,
                "pending.pck: %zu confirmation%s re-pended from the site-wide %s as "
                "bin/update does (subscriptions of non-members, unsubscriptions of members, "
                "the list's re-enables and held messages), each to expire "
                "PENDING_REQUEST_LIFE from now", pairs->u.seq.len,
                pairs->u.seq.len == 1 ? "" : "s",
                g->pending20 ? "data/pending_subscriptions.db" : "data/pending.pck");
out:
    strbuf_release(&out);
    free(path);
}

/* plan_old_config - config.db and config.db.last renamed once config.pck
 * holds the list, so Mailman never falls back to the 2.0 data */
static void plan_old_config(const struct install *install, size_t idx, struct plan *p)
{
    struct plan_list *l = &p->lists[idx];
    struct strbuf what = STRBUF_INIT;
    size_t k;

    for (k = 2; k < MLIST_NFILES; k++) {
        char *rel = xasprintf("lists/%s/%s", l->name, mlist_file_names[k]);
        char *abs = xasprintf("%s/%s", install->var_prefix, rel);

        if (regular(abs)) {
            char *to = keep_name(install, rel, OLD20_SUFFIX);
            plan_add_op(p, PLAN_MOVE, rel, to, idx, false);
            strbuf_addf(&what, "%s%s as %s", what.len > 0 ? ", " : "", mlist_file_names[k],
                        strrchr(to, '/') + 1);
            free(to);
        }
        free(abs);
        free(rel);
    }
    if (what.len > 0) {
        problem_add(&p->notes, "update-config-db-kept", l->name, PROBLEM_WARNING,
                    "2.0 data kept: %s (Mailman loads config.pck, config.pck.last, config.db, "
                    "config.db.last in turn, and would fall back to the stale 2.0 data if "
                    "config.pck broke; bin/update leaves them)", strbuf_cstr(&what));
    }
    strbuf_release(&what);
}

/* update_plan - one list: upgrade, watermark, config.pck, requests,
 * pending, the 2.0 files out of Mailman's way */
int update_plan(const struct install *install, const struct site_settings *site,
                const struct profile *profile, const char *name, struct update_global *g,
                struct prefetch *pf, struct plan *p, const char **error_r)
{
    struct mlist *ml = NULL;
    struct value *after = NULL;
    struct value *requests = NULL;
    struct problem_list notes;
    const char *err = NULL;
    char path[4096];
    size_t idx;
    size_t i;
    bool from_db;
    bool upgraded;
    bool written = false;
    int orc = 0;

    if (!prefetch_take(pf, name, MLIST_KEEP_MEMO, &orc, &ml, error_r)) {
        orc = mlist_open(install->lists_dir, name, MLIST_KEEP_MEMO, NULL, &ml, error_r);
    }
    if (orc != 0) {
        g->failed++;
        return -1;
    }
    if (ml->loaded < 0) {
        problem_add(&p->problems, "all-files-corrupt", name, PROBLEM_ERROR,
                    "none of config.pck, config.pck.last, config.db, config.db.last loads: "
                    "nothing to upgrade");
        mlist_free(&ml);
        return 0;
    }
    if (ml->loaded == 1 || ml->loaded == 3) {
        problem_add(&p->problems, "fallback-needed", name, PROBLEM_ERROR,
                    "only %s loads: Mailman would first recover from it; run mmfix repair "
                    "(not done by update yet)", mlist_loaded_file(ml)->name);
        mlist_free(&ml);
        return 0;
    }
    from_db = ml->loaded == 2;
    problem_list_init(&notes);
    after = value_copy_working(ml->arena, ml->config);
    if (upgrade_config(ml->arena, ml->config, after, name, site, profile, g->now, &notes,
                       &err) != 0
        || reset_bybounce(ml->arena, after, name, &notes, &err) != 0) {
        problem_add(&p->problems, "upgrade-refused", name, PROBLEM_ERROR, "%s", err);
        problem_list_free(&notes);
        mlist_free(&ml);
        return 0;
    }
    set_watermark(g, ml->arena, after, name, &notes);
    for (i = 0; i < notes.len; i++) {
        problem_add(&p->notes, notes.items[i].code, name, notes.items[i].severity, "%s",
                    notes.items[i].message);
    }
    problem_list_free(&notes);
    idx = plan_add_list_tree(p, ml, language_charset(site, after), after);
    plan_diff_list(p, idx);
    upgraded = p->lists[idx].diff.len > 0;
    if (upgraded || from_db) {
        snprintf(path, sizeof(path), "lists/%s/config.pck", name);
        plan_add_op(p, PLAN_WRITE, path, NULL, idx, true);
    }
    plan_requests(install, g, idx, upgraded || from_db, p, &requests, &written);
    held_files(install, name, requests, written, p);
    plan_pending(install, g, idx, requests, p);
    plan_old_config(install, idx, p);
    return 0;
}

/* unplaced - the pending requests re-pended to no list */
static size_t unplaced(struct update_global *g, struct strbuf *first)
{
    struct value *buckets[3] = { g->pending.reenables, g->pending.subs, g->pending.addrops };
    size_t n = 0;
    size_t b;
    size_t i;
    size_t k;

    for (b = 0; b < 3; b++) {
        for (i = 0; buckets[b] != NULL && i < buckets[b]->u.dict.len; i++) {
            struct value *pairs = buckets[b]->u.dict.items[i].val;
            for (k = 0; k < pairs->u.seq.len; k++) {
                struct value *cookie = pairs->u.seq.items[k]->u.seq.items[0];
                if (pyval_dict_get(g->arena, g->pending.placed, cookie) == NULL
                    && n++ == 0) {
                    pyval_repr_short(first, cookie);
                }
            }
        }
    }
    for (i = 0; g->pending.holds != NULL && i < g->pending.holds->u.dict.len; i++) {
        if (n++ == 0) {
            pyval_repr_short(first, g->pending.holds->u.dict.items[i].val->u.seq.items[0]);
        }
    }
    return n;
}

/* keep_site_file - rename a site-wide file bin/update deletes */
static void keep_site_file(const struct install *install, struct plan *p, const char *name,
                           const char *suffix, const char *what)
{
    char *rel = xasprintf("data/%s", name);
    char *to = keep_name(install, rel, suffix);

    plan_add_op(p, PLAN_MOVE, rel, to, PLAN_NO_LIST, false);
    problem_add(&p->notes, "update-site-file-kept", NULL, PROBLEM_WARNING,
                "%s: %s; kept as %s (bin/update deletes it)", rel, what, to);
    free(to);
    free(rel);
}

/* plan_version - data/last_mailman_version = hex(HEX_VERSION) + "\n", as
 * bin/update records the version it upgraded to */
static void plan_version(const struct install *install, const struct site_settings *site,
                         struct plan *p)
{
    char *path = xasprintf("%s/last_mailman_version", install->data_dir);
    char want[64];
    char have[64] = "";
    FILE *f = fopen(path, "r");
    size_t n = 0;

    snprintf(want, sizeof(want), "0x%llx\n", (unsigned long long)site->hex_version);
    if (f != NULL) {
        n = fread(have, 1, sizeof(have) - 1, f);
        have[n] = '\0';
        fclose(f);
    }
    if (strcmp(have, want) != 0) {
        char *shown = xstrdup(have);
        shown[strcspn(shown, "\n")] = '\0';
        plan_add_put(p, "data/last_mailman_version", want, strlen(want), PLAN_NO_LIST, false);
        want[strcspn(want, "\n")] = '\0';
        problem_add(&p->notes, "update-version", NULL, PROBLEM_WARNING,
                    "data/last_mailman_version: %s -> %s, as bin/update records the version "
                    "it upgraded to", f != NULL ? shown : "(none)", want);
        free(shown);
    }
    free(path);
}

/* update_global_plan - the site-wide steps */
int update_global_plan(const struct install *install, const struct site_settings *site,
                       struct update_global *g, struct plan *p, const char **error_r)
{
    static const char *const site_files[] = { "gate_watermarks", "pending_subscriptions.db",
                                              "pending.pck" };
    struct strbuf first = STRBUF_INIT;
    size_t i;

    (void)error_r;
    for (i = 0; i < g->problems.len; i++) {
        problem_add(&p->problems, g->problems.items[i].code, NULL,
                    g->problems.items[i].severity, "%s", g->problems.items[i].message);
    }
    for (i = 0; i < g->notes.len; i++) {
        problem_add(&p->notes, g->notes.items[i].code, NULL, g->notes.items[i].severity, "%s",
                    g->notes.items[i].message);
    }
    if (!g->all_lists) {
        for (i = 0; i < sizeof(site_files) / sizeof(site_files[0]); i++) {
            char *path = xasprintf("%s/%s", install->data_dir, site_files[i]);
            if (regular(path)) {
                problem_add(&p->notes, "update-site-skipped", NULL, PROBLEM_WARNING,
                            "data/%s is converted only by an update of every list (no list "
                            "names), as bin/update always runs", site_files[i]);
            }
            free(path);
        }
        return 0;
    }
    if (g->watermarks != NULL) {
        keep_site_file(install, p, "gate_watermarks", OLD20_SUFFIX,
                       "each list's usenet_watermark set from it");
    }
    if (g->pending20 || g->pending214) {
        size_t n = unplaced(g, &first);
        if (g->failed > 0 || problem_count_errors(&p->problems, 0, p->problems.len) > 0) {
            problem_add(&p->notes, "pending-incomplete", NULL, PROBLEM_WARNING,
                        "lists that could not be updated got none of the site-wide pending "
                        "confirmations; they stay in the renamed site-wide file");
        }
        if (n > 0) {
            problem_add(&p->notes, "pending-unplaced", NULL, PROBLEM_WARNING,
                        "%zu pending confirmation%s (first %s) belong%s to no list here "
                        "(bin/update drops them); kept in the renamed site-wide file", n,
                        n == 1 ? "" : "s", strbuf_cstr(&first), n == 1 ? "s" : "");
        }
    }
    if (g->pending20) {
        keep_site_file(install, p, "pending_subscriptions.db", OLD20_SUFFIX,
                       "its confirmations re-pended into the lists' pending.pck");
    }
    if (g->pending214) {
        keep_site_file(install, p, "pending.pck", PRE215_SUFFIX,
                       "its confirmations re-pended into the lists' pending.pck");
    }
    if (g->failed == 0 && problem_count_errors(&p->problems, 0, p->problems.len) == 0) {
        plan_version(install, site, p);
    }
    strbuf_release(&first);
    return 0;
}
