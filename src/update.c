/*
 * update - plan the config upgrade of one list
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmfix/install.h"
#include "mmfix/members.h"
#include "mmfix/pyval.h"
#include "mmfix/site.h"
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

/* update_plan - upgrade + write */
int update_plan(const struct install *install, const struct site_settings *site,
                const struct profile *profile, const char *name, double now, struct plan *p,
                const char **error_r)
{
    struct mlist *ml = NULL;
    struct value *after = NULL;
    struct problem_list notes;
    const char *err = NULL;
    char path[4096];
    size_t idx;
    size_t i;

    if (mlist_open(install->lists_dir, name, MLIST_KEEP_MEMO, NULL, &ml, error_r) != 0) {
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
    problem_list_init(&notes);
    after = value_copy(ml->arena, ml->config);
    if (upgrade_config(ml->arena, ml->config, after, name, site, profile, now, &notes,
                       &err) != 0
        || reset_bybounce(ml->arena, after, name, &notes, &err) != 0) {
        problem_add(&p->problems, "upgrade-refused", name, PROBLEM_ERROR, "%s", err);
        problem_list_free(&notes);
        mlist_free(&ml);
        return 0;
    }
    for (i = 0; i < notes.len; i++) {
        problem_add(&p->notes, notes.items[i].code, name, notes.items[i].severity, "%s",
                    notes.items[i].message);
    }
    problem_list_free(&notes);
    idx = plan_add_list(p, ml, language_charset(site, after));
    p->lists[idx].after = after;
    plan_diff_list(p, idx);
    if (p->lists[idx].diff.len > 0) {
        snprintf(path, sizeof(path), "lists/%s/config.pck", name);
        plan_add_op(p, PLAN_WRITE, path, NULL, idx, true);
    }
    return 0;
}
