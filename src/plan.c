/*
 * plan - ordered changes and file operations for all lists of a run
 */
#include <stdlib.h>
#include <string.h>

#include "mmfix/pickle.h"
#include "mmfix/plan.h"
#include "mmfix/sha1.h"
#include "mmfix/xalloc.h"

/* plan_init - empty plan */
void plan_init(struct plan *p, const char *var_prefix)
{
    memset(p, 0, sizeof(*p));
    p->var_prefix = xstrdup(var_prefix);
    problem_list_init(&p->problems);
    problem_list_init(&p->notes);
}

/* plan_free - everything, including the lists' trees */
void plan_free(struct plan *p)
{
    size_t i;

    for (i = 0; i < p->n_lists; i++) {
        free(p->lists[i].name);
        free(p->lists[i].charset);
        diff_free(&p->lists[i].diff);
        mlist_free(&p->lists[i].ml);
        strbuf_release(&p->lists[i].sealed);
    }
    plan_truncate_ops(p, 0);
    free(p->lists);
    free(p->ops);
    free(p->var_prefix);
    problem_list_free(&p->problems);
    problem_list_free(&p->notes);
    memset(p, 0, sizeof(*p));
}

/* plan_truncate_ops - drop the operations after the first n */
void plan_truncate_ops(struct plan *p, size_t n)
{
    while (p->n_ops > n) {
        struct plan_op *op = &p->ops[--p->n_ops];
        free(op->path);
        free(op->to);
        free(op->data);
        free(op->group_of);
    }
}

/* plan_add_list - a list and a working copy of its config */
size_t plan_add_list(struct plan *p, struct mlist *ml, const char *charset)
{
    return plan_add_list_tree(p, ml, charset,
                              ml->config != NULL ? value_copy_working(ml->arena, ml->config) : NULL);
}

/* plan_add_list_tree - a list and the working tree a step made already */
size_t plan_add_list_tree(struct plan *p, struct mlist *ml, const char *charset,
                          struct value *after)
{
    struct plan_list *l = NULL;

    if (p->n_lists == p->cap_lists) {
        p->cap_lists = p->cap_lists ? p->cap_lists * 2 : 8;
        p->lists = xreallocarray(p->lists, p->cap_lists, sizeof(*p->lists));
    }
    l = &p->lists[p->n_lists];
    memset(l, 0, sizeof(*l));
    l->name = xstrdup(ml->name);
    l->charset = xstrdup(charset != NULL ? charset : "us-ascii");
    l->ml = ml;
    l->before = ml->config;
    l->after = after;
    diff_init(&l->diff);
    strbuf_init(&l->sealed);
    return p->n_lists++;
}

/* plan_add_op - append an operation */
void plan_add_op(struct plan *p, enum plan_action action, const char *path, const char *to,
                 size_t list, bool make_last)
{
    struct plan_op *op = NULL;

    if (p->n_ops == p->cap_ops) {
        p->cap_ops = p->cap_ops ? p->cap_ops * 2 : 8;
        p->ops = xreallocarray(p->ops, p->cap_ops, sizeof(*p->ops));
    }
    op = &p->ops[p->n_ops++];
    memset(op, 0, sizeof(*op));     /* no data, mode, group_of or sha1 */
    op->action = action;
    op->path = xstrdup(path);
    op->to = to != NULL ? xstrdup(to) : NULL;
    op->list = list;
    op->make_last = make_last;
}

/* plan_add_mkdir - a new directory */
void plan_add_mkdir(struct plan *p, const char *path, unsigned mode, const char *group_of,
                    size_t list)
{
    struct plan_op *op = NULL;

    plan_add_op(p, PLAN_MKDIR, path, NULL, list, false);
    op = &p->ops[p->n_ops - 1];
    op->mode = mode;
    op->group_of = group_of != NULL ? xstrdup(group_of) : NULL;
}

/* plan_add_put - a write of given bytes */
void plan_add_put(struct plan *p, const char *path, const void *data, size_t len, size_t list,
                  bool make_last)
{
    struct plan_op *op = NULL;

    plan_add_op(p, PLAN_PUT, path, NULL, list, make_last);
    op = &p->ops[p->n_ops - 1];
    op->data = xmalloc(len + 1);
    if (len > 0) {
        memcpy(op->data, data, len);
    }
    op->len = len;
}

/* plan_path_list - "lists/<name>/..." -> name */
char *plan_path_list(const char *path)
{
    const char *name = NULL;
    const char *slash = NULL;

    if (strncmp(path, "lists/", 6) != 0) {
        return NULL;
    }
    name = path + 6;
    slash = strchr(name, '/');
    if (slash == NULL || slash == name) {
        return NULL;
    }
    return xstrndup(name, (size_t)(slash - name));
}

/* plan_diff_list - diff before/after */
void plan_diff_list(struct plan *p, size_t list)
{
    struct plan_list *l = &p->lists[list];

    diff_free(&l->diff);
    if (l->before == NULL || l->after == NULL) {
        return;
    }
    /* an unchanged after stays the working copy: a later step changes it rather than
     * copy again, and a write writes it (value_copy_working: before is only read) */
    diff_configs(l->ml->arena, l->before, l->after, &l->diff);
}

/* plan_freeze_list - pickle what will be written, free the trees */
int plan_freeze_list(struct plan *p, size_t list, const char **error_r)
{
    struct plan_list *l = &p->lists[list];
    size_t i;

    if (l->frozen) {
        return 0;
    }
    for (i = 0; i < p->n_ops; i++) {
        struct plan_op *op = &p->ops[i];
        if (op->list == list && op->action == PLAN_WRITE) {
            struct strbuf sb = STRBUF_INIT;
            if (pickle_write(&sb, l->after, error_r) != 0) {
                strbuf_release(&sb);
                return -1;
            }
            op->len = sb.len;
            op->data = strbuf_detach(&sb, NULL);
            op->action = PLAN_PUT;
            /* the journal's after-image of the file: done here, on the planning thread
             * that reading keeps busy only part of the time, not while the lists are
             * locked and being written */
            sha1_of(op->data, op->len, op->sha1);
        }
    }
    l->n_changes = l->diff.len;
    diff_free(&l->diff);
    l->before = NULL;
    l->after = NULL;
    mlist_free(&l->ml);
    l->frozen = true;
    return 0;
}

/* plan_changes - total changes */
size_t plan_changes(const struct plan *p)
{
    size_t i;
    size_t n = 0;

    for (i = 0; i < p->n_lists; i++) {
        n += p->lists[i].frozen ? p->lists[i].n_changes : p->lists[i].diff.len;
    }
    return n;
}

/* plan_action_name - text */
const char *plan_action_name(enum plan_action a)
{
    switch (a) {
    case PLAN_WRITE:
    case PLAN_PUT: return "write";
    case PLAN_MOVE:
    case PLAN_MOVE_WHOLE: return "move";
    case PLAN_MKDIR: return "mkdir";
    case PLAN_RMDIR: return "rmdir";
    case PLAN_SYMLINK: return "link";
    case PLAN_COPY: return "copy";
    case PLAN_DELETE: return "delete";
    }
    return "?";
}
