/*
 * rename - plan moving a list to a new name everywhere Mailman keys it
 *
 * DESCRIPTION
 *  A step like repair: it reads the list (under the locks its caller took
 *  for both names), changes its config (real_name, subject_prefix) and
 *  request.pck in memory, and adds the file operations to the plan; it
 *  never touches the disk. Directories, mboxes and held messages are moved
 *  whole (journal moves); config.pck is saved Mailman's way before its
 *  directory moves, so .last keeps the generation with the old name.
 *
 * SECURITY
 *  Both names are checked before any path is made from them (no '/', no
 *  "..", Mailman's list-name characters); every path is relative to the
 *  var prefix and checked again by apply. Archive links are read, never
 *  followed; the new link's target is the old one's directory + the new
 *  name, the way Mailman made it.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mmfix/apply.h"
#include "mmfix/atomic.h"
#include "mmfix/datafile.h"
#include "mmfix/errstr.h"
#include "mmfix/fileread.h"
#include "mmfix/install.h"
#include "mmfix/mlist.h"
#include "mmfix/pickle.h"
#include "mmfix/plan.h"
#include "mmfix/rename.h"
#include "mmfix/scan.h"
#include "mmfix/strbuf.h"
#include "mmfix/xalloc.h"

/* rename_check_name - a valid, collision-free new list name */
bool rename_check_name(const struct install *install, const struct site_settings *site,
                       const char *name, const char **why_r)
{
    const char *what = NULL;

    if (strchr(name, '/') != NULL) {
        *why_r = errstr("'%s' is a path, not a list name", name);
        return false;
    }
    if (!install_list_valid_name(name, why_r)) {
        return false;
    }
    if (name[0] == '.') {
        *why_r = errstr("list name '%s' starts with '.'", name);
        return false;
    }
    if (install_list_collisions(install, site, name, &what) != INSTALL_COLLISION_NONE) {
        *why_r = errstr("%s: choose another name", what);
        return false;
    }
    return true;
}

/* exists - lstat succeeds */
static bool exists(const char *path, struct stat *st)
{
    struct stat dummy;

    return lstat(path, st != NULL ? st : &dummy) == 0;
}

/* movable - rel (relative to the var prefix) may be moved whole: absent, or a directory or a
 * regular file with no symbolic link on its way from the var prefix (a link is never followed
 * or moved: apply would refuse it half-way through the run) */
static bool movable(const struct install *install, const char *rel, const char **error_r)
{
    char *abs = xasprintf("%s/%s", install->var_prefix, rel);
    struct stat st;
    bool ok = atomic_check_inside(install->var_prefix, abs, error_r) == 0;

    if (ok && lstat(abs, &st) == 0 && !S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
        *error_r = errstr("%s: is a %s, not a directory or a regular file", rel,
                          fileread_type_name(st.st_mode));
        ok = false;
    } else if (!ok) {
        *error_r = errstr("%s: never followed or moved", *error_r);
    }
    free(abs);
    return ok;
}

/* new_real_name - NEW in the case style of the old real_name: "es"/"Es"/"ES" */
static char *new_real_name(const char *old_real, const char *old, const char *new_name)
{
    char *r = xstrdup(new_name);
    size_t i;

    if (old_real == NULL || strcasecmp(old_real, old) != 0 || strcmp(old_real, old) == 0) {
        return r;
    }
    if (strlen(old_real) > 1 && old_real[0] >= 'A' && old_real[0] <= 'Z'
        && strcmp(old_real + 1, old + 1) == 0) {
        if (r[0] >= 'a' && r[0] <= 'z') {
            r[0] = (char)(r[0] - 'a' + 'A');
        }
        return r;
    }
    for (i = 0; old_real[i] != '\0' && (old_real[i] < 'a' || old_real[i] > 'z'); i++) {
    }
    if (old_real[i] == '\0') {          /* all upper case */
        for (i = 0; r[i] != '\0'; i++) {
            if (r[i] >= 'a' && r[i] <= 'z') {
                r[i] = (char)(r[i] - 'a' + 'A');
            }
        }
    }
    return r;
}

/* str_of - a str or unicode value as C text (NULL otherwise, and for text holding a NUL byte,
 * which C text would cut short; arena-owned) */
static const char *str_of(const struct value *v)
{
    return v != NULL && value_is_str(v) && memchr(v->u.str.data, '\0', v->u.str.len) == NULL
               ? (const char *)v->u.str.data : NULL;
}

/* same_kind_str - a new string value of v's type (str or unicode) */
static struct value *same_kind_str(struct value_arena *a, const struct value *v, const char *s)
{
    return v->type == VALUE_TEXT ? value_new_text(a, s, strlen(s))
                                 : value_new_bytes(a, s, strlen(s));
}

/* rename_config - real_name and a subject_prefix that names the list */
static void rename_config(struct plan *p, size_t idx, const char *old, const char *new_name)
{
    struct plan_list *l = &p->lists[idx];
    struct value_arena *a = l->ml->arena;
    struct value *rn = value_dict_get_str(a, l->after, "real_name");
    struct value *sp = value_dict_get_str(a, l->after, "subject_prefix");
    const char *old_real = str_of(rn);
    char *real = new_real_name(old_real, old, new_name);
    const char *prefix = str_of(sp);

    value_dict_set(a, l->after, value_new_bytes(a, "real_name", 9),
                   rn != NULL ? same_kind_str(a, rn, real) : value_new_bytes(a, real,
                                                                           strlen(real)));
    if (prefix != NULL) {
        const char *names[2] = { old_real, old };
        const char *news[2] = { real, new_name };
        int k;
        for (k = 0; k < 2; k++) {
            char *want = names[k] != NULL ? xasprintf("[%s]", names[k]) : NULL;
            const char *at = want != NULL ? strstr(prefix, want) : NULL;
            if (at != NULL) {
                char *np = xasprintf("%.*s[%s]%s", (int)(at - prefix), prefix, news[k],
                                     at + strlen(want));
                value_dict_set(a, l->after, value_new_bytes(a, "subject_prefix", 14),
                               same_kind_str(a, sp, np));
                free(np);
                free(want);
                break;
            }
            free(want);
        }
        if (k == 2) {
            problem_add(&p->notes, "rename-subject-prefix", old, PROBLEM_WARNING,
                        "subject_prefix does not name the list: left as it is");
        }
    }
    free(real);
}

/* held_id - "N.pck" of "heldmsg-<old>-N.pck" (or "N.txt": Mailman 2.0 held
 * messages as text, which 2.1.39 still reads), or NULL */
static const char *held_id(const char *name, const char *old)
{
    size_t ol = strlen(old);
    size_t n = strlen(name);
    const char *id = NULL;

    if (strncmp(name, "heldmsg-", 8) != 0 || strncmp(name + 8, old, ol) != 0
        || name[8 + ol] != '-' || n < 8 + ol + 1 + 4 + 1
        || (strcmp(name + n - 4, ".pck") != 0 && strcmp(name + n - 4, ".txt") != 0)) {
        return NULL;
    }
    id = name + 8 + ol + 1;
    for (const char *c = id; c < name + n - 4; c++) {
        if (*c < '0' || *c > '9') {
            return NULL;
        }
    }
    return id;
}

/* rename_requests - request.pck: held messages name their data/ file and
 * their list; a changed copy is written before the directory moves */
static int rename_requests(const struct install *install, struct plan *p, size_t idx,
                           const char *old, const char *new_name, const char **error_r)
{
    char *path = xasprintf("%s/%s/request.pck", install->lists_dir, old);
    struct value_arena *a = value_arena_new();
    struct value *root = NULL;
    struct datafile_info info;
    enum load_error kind = LOAD_OK;
    struct strbuf out = STRBUF_INIT;
    size_t changed = 0;
    size_t i;
    int ret = -1;

    if (!exists(path, NULL)) {
        ret = 0;
        goto out;
    }
    if (datafile_load(path, DATAFILE_PICKLE, DATAFILE_KEEP_MEMO, NULL, NULL, a, &root, &info,
                      &kind, error_r) != 0) {
        *error_r = errstr("lists/%s/request.pck: %s (repair or remove it first)", old,
                          *error_r);
        goto out;
    }
    for (i = 0; root->type == VALUE_DICT && i < root->u.dict.len; i++) {
        /* {id: (type, (when, sender, subject, reason, filename, msgdata))} */
        struct value *rec = root->u.dict.items[i].val;
        struct value *data = NULL;
        const char *fname = NULL;
        const char *id = NULL;
        if (rec->type != VALUE_TUPLE || rec->u.seq.len != 2
            || rec->u.seq.items[1]->type != VALUE_TUPLE) {
            continue;
        }
        data = rec->u.seq.items[1];
        if (data->u.seq.len >= 5 && (fname = str_of(data->u.seq.items[4])) != NULL
            && (id = held_id(fname, old)) != NULL) {
            char *nf = xasprintf("heldmsg-%s-%s", new_name, id);
            data->u.seq.items[4] = same_kind_str(a, data->u.seq.items[4], nf);
            free(nf);
            changed++;
        }
        if (data->u.seq.len >= 6 && data->u.seq.items[5]->type == VALUE_DICT) {
            struct value *md = data->u.seq.items[5];
            struct value *ln = value_dict_get_str(a, md, "listname");
            if (ln != NULL && str_of(ln) != NULL && strcmp(str_of(ln), old) == 0) {
                value_dict_set(a, md, value_new_bytes(a, "listname", 8),
                               same_kind_str(a, ln, new_name));
                changed++;
            }
        }
    }
    if (changed > 0) {
        char *rel = xasprintf("lists/%s/request.pck", old);
        if (pickle_write(&out, root, error_r) != 0) {
            free(rel);
            goto out;
        }
        plan_add_put(p, rel, out.buf, out.len, idx, false);
        problem_add(&p->notes, "rename-requests", old, PROBLEM_WARNING,
                    "request.pck: %zu held-message file names and list names changed to %s",
                    changed, new_name);
        free(rel);
    }
    ret = 0;
out:
    strbuf_release(&out);
    value_arena_free(&a);
    free(path);
    return ret;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* rename_held - data/heldmsg-<old>-N.pck -> data/heldmsg-<new>-N.pck */
static void rename_held(const struct install *install, struct plan *p, size_t idx,
                        const char *old, const char *new_name)
{
    DIR *d = opendir(install->data_dir);
    struct dirent *de = NULL;
    char **names = NULL;
    size_t n = 0;
    size_t i;

    if (d == NULL) {
        return;
    }
    while ((de = readdir(d)) != NULL) {
        if (held_id(de->d_name, old) != NULL) {
            names = xreallocarray(names, n + 1, sizeof(char *));
            names[n++] = xstrdup(de->d_name);
        }
    }
    closedir(d);
    if (n > 1) {
        qsort(names, n, sizeof(char *), cmp_names);
    }
    for (i = 0; i < n; i++) {
        char *from = xasprintf("data/%s", names[i]);
        char *to = xasprintf("data/heldmsg-%s-%s", new_name, held_id(names[i], old));
        plan_add_op(p, PLAN_MOVE_WHOLE, from, to, idx, false);
        free(from);
        free(to);
        free(names[i]);
    }
    free(names);
}

/* private_target - a link target (as written) that names the installation's own
 * archives/private/<name>: relative to archives/public/, or absolute with a directory that
 * resolves to archives/private/ of the var prefix */
static bool private_target(const struct install *install, const char *target)
{
    char *dir = NULL;
    char *real = NULL;
    char *want = NULL;
    char *mine = NULL;
    const char *slash = strrchr(target, '/');
    bool ok = false;

    if (slash == NULL || slash == target) {
        return false;
    }
    dir = target[0] == '/' ? xstrndup(target, (size_t)(slash - target))
                           : xasprintf("%s/archives/public/%.*s", install->var_prefix,
                                       (int)(slash - target), target);
    want = xasprintf("%s/archives/private", install->var_prefix);
    real = realpath(dir, NULL);
    mine = realpath(want, NULL);
    ok = real != NULL && mine != NULL && strcmp(real, mine) == 0;
    free(dir);
    free(real);
    free(want);
    free(mine);
    return ok;
}

/* relink - archives/public/<old><ext> -> <new><ext>, pointing where the old
 * link's directory + the new name says */
static void relink(const struct install *install, struct plan *p, size_t idx, const char *old,
                   const char *new_name, const char *ext)
{
    char *path = xasprintf("%s/archives/public/%s%s", install->var_prefix, old, ext);
    char target[PATH_MAX + 1];
    const char *err = NULL;
    struct stat st;
    ssize_t n;

    if (!exists(path, &st)) {
        goto out;
    }
    if (!S_ISLNK(st.st_mode)) {
        problem_add(&p->notes, "rename-public-archive", old, PROBLEM_WARNING,
                    "archives/public/%s%s is not a symbolic link: left as it is", old, ext);
        goto out;
    }
    if (atomic_check_inside_link(install->var_prefix, path, &err) != 0) {
        problem_add(&p->notes, "rename-public-archive", old, PROBLEM_WARNING,
                    "archives/public/%s%s is not re-pointed: %s", old, ext, err);
        goto out;
    }
    n = readlink(path, target, sizeof(target) - 1);
    if (n > 0) {
        char *slash = NULL;
        char *from = xasprintf("archives/public/%s%s", old, ext);
        char *to = xasprintf("archives/public/%s%s", new_name, ext);
        char *nt = NULL;
        target[n] = '\0';
        slash = strrchr(target, '/');
        nt = slash != NULL ? xasprintf("%.*s/%s%s", (int)(slash - target), target, new_name, ext)
                           : xasprintf("%s%s", new_name, ext);
        if (!private_target(install, nt)) {
            /* a link Mailman did not make: its new name would point out of the tree too */
            problem_add(&p->notes, "rename-public-archive", old, PROBLEM_WARNING,
                        "archives/public/%s%s points to %s, not into this installation's "
                        "archives/private/: not followed, left as it is (Mailman makes "
                        "archives/public/%s%s when it next saves the list, if its archive is "
                        "public)", old, ext, target, new_name, ext);
            free(from);
            free(to);
            free(nt);
            goto out;
        }
        plan_add_op(p, PLAN_SYMLINK, to, nt, idx, false);
        plan_add_op(p, PLAN_DELETE, from, NULL, idx, false);
        free(from);
        free(to);
        free(nt);
    }
out:
    free(path);
}

/* queued_files - how many entries qfiles/ holds (messages in flight) */
static size_t queued_files(const struct install *install)
{
    char *q = xasprintf("%s/qfiles", install->var_prefix);
    DIR *d = opendir(q);
    struct dirent *de = NULL;
    size_t n = 0;

    while (d != NULL && (de = readdir(d)) != NULL) {
        char *sub = NULL;
        DIR *sd = NULL;
        struct dirent *se = NULL;
        if (de->d_name[0] == '.') {
            continue;
        }
        sub = xasprintf("%s/%s", q, de->d_name);
        sd = opendir(sub);
        while (sd != NULL && (se = readdir(sd)) != NULL) {
            n += se->d_name[0] != '.';
        }
        if (sd != NULL) {
            closedir(sd);
        }
        free(sub);
    }
    if (d != NULL) {
        closedir(d);
    }
    free(q);
    return n;
}

/* rename_plan - the whole rename as a plan */
int rename_plan(const struct install *install, const struct site_settings *site,
                const char *old, const char *new_name, struct plan *p,
                enum rename_refusal *refusal_r, const char **error_r)
{
    static const char *const exts[] = { "", ".mbox" };
    struct mlist *ml = NULL;
    char *path = NULL;
    char rel[PATH_MAX];
    char to[PATH_MAX];
    size_t n_ops = p->n_ops;
    size_t idx;
    size_t q;
    int k;

    *refusal_r = RENAME_BAD_NAME;
    if (strchr(old, '/') != NULL || strcmp(old, ".") == 0 || strcmp(old, "..") == 0
        || old[0] == '\0') {
        *error_r = errstr("'%s' is a path, not a list name", old);
        return -1;
    }
    if (!rename_check_name(install, site, new_name, error_r)) {
        return -1;
    }
    *refusal_r = RENAME_NO_LIST;
    path = xasprintf("%s/%s", install->lists_dir, old);
    if (!exists(path, NULL)) {
        *error_r = errstr("no list '%s' (no %s)", old, path);
        free(path);
        return -1;
    }
    free(path);
    *refusal_r = RENAME_EXISTS;
    for (k = 0; k < 5; k++) {
        static const char *const where[] = { "lists", "archives/private", "archives/private",
                                             "archives/public", "archives/public" };
        path = xasprintf("%s/%s/%s%s", install->var_prefix, where[k], new_name,
                         k == 2 || k == 4 ? ".mbox" : "");
        if (exists(path, NULL)) {
            *error_r = errstr("%s already exists: choose another name", path);
            free(path);
            return -1;
        }
        free(path);
    }
    *refusal_r = RENAME_UNREADABLE;
    snprintf(rel, sizeof(rel), "lists/%s", old);
    path = xasprintf("%s/%s", install->var_prefix, rel);
    if (atomic_check_inside(install->var_prefix, path, error_r) != 0) {
        /* the list's directory is a link: not read, never moved */
        *error_r = errstr("%s: never followed or moved", *error_r);
        free(path);
        return -1;
    }
    free(path);
    if (mlist_open(install->lists_dir, old, MLIST_KEEP_MEMO, NULL, &ml, error_r) != 0) {
        return -1;
    }
    if (ml->loaded != 0) {
        *error_r = ml->loaded < 0 ? errstr("none of its config files loads: repair it first")
                   : ml->loaded == 1 ? errstr("config.pck does not load: repair it first")
                                     : errstr("it holds Mailman 2.0 data: update it first");
        mlist_free(&ml);
        return -1;
    }
    idx = plan_add_list(p, ml, scan_list_charset(site, ml));
    rename_config(p, idx, old, new_name);
    plan_diff_list(p, idx);
    snprintf(rel, sizeof(rel), "lists/%s/config.pck", old);
    plan_add_op(p, PLAN_WRITE, rel, NULL, idx, true);
    if (rename_requests(install, p, idx, old, new_name, error_r) != 0) {
        /* leave the plan as it was: only the list entry stays (its diff is shown) */
        plan_truncate_ops(p, n_ops);
        return -1;
    }
    rename_held(install, p, idx, old, new_name);
    snprintf(rel, sizeof(rel), "lists/%s", old);
    snprintf(to, sizeof(to), "lists/%s", new_name);
    plan_add_op(p, PLAN_MOVE_WHOLE, rel, to, idx, false);
    snprintf(rel, sizeof(rel), "%s/archives/private/%s", install->var_prefix, old);
    if (exists(rel, NULL)) {
        snprintf(rel, sizeof(rel), "archives/private/%s", old);
        snprintf(to, sizeof(to), "archives/private/%s", new_name);
        plan_add_op(p, PLAN_MOVE_WHOLE, rel, to, idx, false);
        problem_add(&p->notes, "rename-archive-pages", old, PROBLEM_WARNING,
                    "the pipermail pages in archives/private/%s still print the old name and "
                    "links: rebuild them with Mailman's bin/arch --wipe %s", new_name, new_name);
    }
    snprintf(rel, sizeof(rel), "%s/archives/private/%s.mbox", install->var_prefix, old);
    if (exists(rel, NULL)) {
        snprintf(rel, sizeof(rel), "archives/private/%s.mbox", old);
        snprintf(to, sizeof(to), "archives/private/%s.mbox", new_name);
        plan_add_op(p, PLAN_MOVE_WHOLE, rel, to, idx, false);
        snprintf(rel, sizeof(rel), "%s/archives/private/%s.mbox/%s.mbox", install->var_prefix,
                 old, old);
        if (exists(rel, NULL)) {
            snprintf(rel, sizeof(rel), "archives/private/%s.mbox/%s.mbox", new_name, old);
            snprintf(to, sizeof(to), "archives/private/%s.mbox/%s.mbox", new_name, new_name);
            plan_add_op(p, PLAN_MOVE_WHOLE, rel, to, idx, false);
        }
    }
    for (k = 0; k < 2; k++) {
        relink(install, p, idx, old, new_name, exts[k]);
    }
    /* what moves must be there to move: a symbolic link on the way is never followed, and
     * apply would stop at it half-way through the run */
    snprintf(rel, sizeof(rel), "archives/private/%s.mbox/%s.mbox", old, old);
    if (!movable(install, rel, error_r)) {
        plan_truncate_ops(p, n_ops);
        return -1;
    }
    for (q = n_ops; q < p->n_ops; q++) {
        if (p->ops[q].action == PLAN_MOVE_WHOLE
            && (!movable(install, p->ops[q].path, error_r)
                || !movable(install, p->ops[q].to, error_r))) {
            plan_truncate_ops(p, n_ops);
            return -1;
        }
    }
    if (apply_check_ops(p, install, n_ops, error_r) != 0) {
        plan_truncate_ops(p, n_ops);
        return -1;
    }
    problem_add(&p->notes, "rename-aliases", old, PROBLEM_WARNING,
                "the mail aliases still route %s: regenerate them (Mailman's bin/genaliases) "
                "and tell the list's users its new address", old);
    q = queued_files(install);
    if (q > 0) {
        problem_add(&p->notes, "rename-queue", old, PROBLEM_WARNING,
                    "qfiles/ holds %zu queued entries; any for %s will not find the list: let "
                    "Mailman's queue drain before renaming", q, old);
    }
    *refusal_r = RENAME_OK;
    return 0;
}
