#ifndef MMFIX_PLAN_H
#define MMFIX_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "mmfix/diff.h"
#include "mmfix/mlist.h"
#include "mmfix/problem.h"
#include "mmfix/strbuf.h"

/*
 * The plan: for every list the configuration before and after the steps,
 * their difference, and the ordered file operations that make it so.
 * The dry-run report prints a plan; apply executes the same plan. Paths
 * are relative to the var prefix ("lists/cs/config.pck").
 */

enum plan_action {
    PLAN_WRITE,    /* write the list's `after` config to path (Mailman's save) */
    PLAN_MOVE,     /* rename path to `to` */
    PLAN_COPY,     /* copy path to `to` */
    PLAN_DELETE,   /* remove path */
    PLAN_PUT,      /* write the op's own bytes to path (Mailman's save) */
    PLAN_MKDIR,    /* create directory path with `mode`, group of `group_of` (else the parent's) */
    PLAN_RMDIR,    /* remove the empty directory path */
    PLAN_SYMLINK,  /* make path a symbolic link to `to` (the target text) */
    PLAN_MOVE_WHOLE, /* rename a directory or file path to `to` whole (journaled as a move: no
                        bytes copied, so for archives and mboxes), never over anything */
};

struct plan_op {
    enum plan_action action;
    char *path;
    char *to;
    size_t list;       /* index into plan.lists */
    bool make_last;    /* PLAN_WRITE, PLAN_PUT: keep the previous generation as .last */
    char *data;        /* PLAN_PUT: the bytes */
    size_t len;
    char sha1[41];     /* PLAN_PUT of a pickled config (plan_freeze_list): the SHA-1 of data,
                        * worked out while the lists are planned; else "" */
    unsigned mode;     /* PLAN_MKDIR: the mode; PLAN_PUT: bits added to the file's mode */
    char *group_of;    /* PLAN_MKDIR: take the group of this path (relative), NULL: parent's */
};

#define PLAN_NO_LIST ((size_t)-1)

struct plan_list {
    char *name;
    char *charset;
    struct mlist *ml;       /* owns the arena of both trees */
    struct value *before;   /* the config Mailman would load */
    struct value *after;    /* what will be written: a working copy of before
                               (value_copy_working), or before itself */
    struct diff diff;
    /* once frozen (plan_freeze_list), the trees are gone: what the report
     * says of the list was rendered before (report_seal_list) */
    bool frozen;
    size_t n_changes;       /* diff.len when it was frozen */
    struct strbuf sealed;   /* the list's part of the report */
    bool sealed_json;       /* ... is JSON change objects (else the text block) */
};

struct plan {
    char *var_prefix;
    struct plan_list *lists;
    size_t n_lists;
    size_t cap_lists;
    struct plan_op *ops;
    size_t n_ops;
    size_t cap_ops;
    struct problem_list problems;   /* what stops or needs a person */
    struct problem_list notes;      /* what each step did and why */
};

void plan_init(struct plan *p, const char *var_prefix);
void plan_free(struct plan *p);
/* plan_add_list - take ownership of ml; after starts as a copy of the
 * loaded config for the steps to change; returns the list's index */
size_t plan_add_list(struct plan *p, struct mlist *ml, const char *charset);
/* plan_add_list_tree - plan_add_list with the working tree a step made already from
 * ml->config (in ml's arena): no second copy */
size_t plan_add_list_tree(struct plan *p, struct mlist *ml, const char *charset,
                          struct value *after);
/* plan_add_op - append a file operation */
void plan_add_op(struct plan *p, enum plan_action action, const char *path, const char *to,
                 size_t list, bool make_last);
/* plan_truncate_ops - drop every operation after the first n (a step that gives up
 * takes back what it added) */
void plan_truncate_ops(struct plan *p, size_t n);
/* plan_add_put - append a write of the given bytes (copied) to path; list may be
 * PLAN_NO_LIST */
void plan_add_put(struct plan *p, const char *path, const void *data, size_t len, size_t list,
                  bool make_last);
/* plan_add_mkdir - append the creation of directory path (mode e.g. 02775; group_of may be
 * NULL) */
void plan_add_mkdir(struct plan *p, const char *path, unsigned mode, const char *group_of,
                    size_t list);
/* plan_op_list_name - the list whose directory path is in ("lists/<name>/..."), as a new
 * string, or NULL */
char *plan_path_list(const char *path);
/* plan_diff_list - compute the list's diff (again) once its steps are done */
void plan_diff_list(struct plan *p, size_t list);
/* plan_freeze_list - the list's trees are done with: every PLAN_WRITE of it becomes a PLAN_PUT
 * of the pickled `after` (what apply would write), and the trees and diff are freed, so a run
 * over thousands of lists holds one list's trees at a time. Seal its report first. */
int plan_freeze_list(struct plan *p, size_t list, const char **error_r);
/* plan_changes - number of attribute changes over all lists */
size_t plan_changes(const struct plan *p);
/* plan_action_name - "write" (PLAN_WRITE and PLAN_PUT), "move", "copy", "delete", "mkdir",
 * "rmdir", "link", "move" (PLAN_MOVE_WHOLE) */
const char *plan_action_name(enum plan_action a);

#endif
