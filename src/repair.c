/*
 * repair - plan the repair of one list
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mmfix/install.h"
#include "mmfix/repair.h"
#include "mmfix/roster.h"
#include "mmfix/scan.h"
#include "mmfix/xalloc.h"

/* irregular_files - report each of the list's files that is there but is
 * not a regular file; their count. Mailman's recovery would move such a
 * thing aside and its save would replace it: what it is and who put it
 * there is for the administrator to see first, so the list is left alone. */
static size_t irregular_files(const struct mlist *ml, struct plan *p)
{
    size_t n = 0;
    int i;

    for (i = 0; i < MLIST_NFILES; i++) {
        const struct mlist_file *f = &ml->files[i];

        if (f->present && f->irregular != NULL) {
            problem_add(&p->problems, "unreadable-file", ml->name, PROBLEM_ERROR,
                        "%s: not a regular file (%s); nothing in this list is repaired "
                        "until it is a regular file again or is removed", f->name,
                        f->irregular);
            n++;
        }
    }
    return n;
}

/* repair_plan - recovery + roster fixes */
int repair_plan(const struct install *install, const struct site_settings *site,
                const char *name, struct plan *p, const char **error_r)
{
    struct mlist *ml = NULL;
    struct plan_list *l = NULL;
    const struct mlist_file *used = NULL;
    size_t idx;
    char path[4096];
    char to[4096];
    struct stat st;
    bool recover = false;

    if (mlist_open(install->lists_dir, name, MLIST_KEEP_MEMO, NULL, &ml, error_r) != 0) {
        return -1;
    }
    if (irregular_files(ml, p) > 0) {
        mlist_free(&ml);
        return 0;
    }
    used = mlist_loaded_file(ml);
    if (used == NULL) {
        problem_add(&p->problems, "all-files-corrupt", name, PROBLEM_ERROR,
                    "none of config.pck, config.pck.last, config.db, config.db.last loads: "
                    "nothing to repair from");
        mlist_free(&ml);
        return 0;
    }
    if (ml->loaded >= 2) {
        problem_add(&p->problems, "not-upgraded", name, PROBLEM_ERROR,
                    "only the Mailman 2.0 %s loads: Mailman would re-run the 2.0 upgrade "
                    "from it; run mmfix update", used->name);
        mlist_free(&ml);
        return 0;
    }
    recover = ml->loaded == 1;
    idx = plan_add_list(p, ml, scan_list_charset(site, ml));
    l = &p->lists[idx];
    if (recover) {
        const struct mlist_file *bad = &ml->files[0];
        problem_add(&p->notes, "recover-fallback", name, PROBLEM_WARNING,
                    "config.pck %s (%s): restored from config.pck.last the way Mailman 2.1.39 "
                    "does, the bad file kept as config.pck.corrupt",
                    bad->present ? load_error_name(bad->status) : "is missing",
                    bad->error != NULL ? bad->error : "no such file");
        if (bad->present) {
            snprintf(path, sizeof(path), "lists/%s/config.pck", name);
            snprintf(to, sizeof(to), "lists/%s/config.pck.corrupt", name);
            plan_add_op(p, PLAN_MOVE, path, to, idx, false);
        }
        snprintf(path, sizeof(path), "%s/config.pck.safety", ml->dir);
        if (lstat(path, &st) == 0) {
            snprintf(path, sizeof(path), "lists/%s/config.pck.safety", name);
            plan_add_op(p, PLAN_DELETE, path, NULL, idx, false);
        }
        snprintf(path, sizeof(path), "lists/%s/config.pck.last", name);
        snprintf(to, sizeof(to), "lists/%s/config.pck.safety", name);
        plan_add_op(p, PLAN_COPY, path, to, idx, false);
    }
    roster_repair(ml->arena, l->after, site, name, &p->notes);
    plan_diff_list(p, idx);
    if (recover || l->diff.len > 0) {
        snprintf(path, sizeof(path), "lists/%s/config.pck", name);
        /* after a recovery config.pck.last is the good generation: keep it */
        plan_add_op(p, PLAN_WRITE, path, NULL, idx, !recover);
    }
    return 0;
}
