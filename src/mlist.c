/*
 * mlist - a list directory and the configuration Mailman would load
 *
 * DESCRIPTION
 *  Follows Mailman 2.1.39's MailList.Load(): config.pck, config.pck.last,
 *  config.db, config.db.last, the first that loads wins. Unlike Mailman,
 *  a pickle that names a forbidden global is refused, not executed, and a
 *  file that is not a regular file (a FIFO would hang Mailman's open) is
 *  not read at all: it counts as unreadable, and is reported even when an
 *  earlier file loads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mmfix/errstr.h"
#include "mmfix/fileread.h"
#include "mmfix/mlist.h"
#include "mmfix/xalloc.h"

const char *const mlist_file_names[MLIST_NFILES] = {
    "config.pck", "config.pck.last", "config.db", "config.db.last",
};

/* mlist_file_path - <lists_dir>/<name>/<mlist_file_names[i]> */
char *mlist_file_path(const char *lists_dir, const char *name, int i)
{
    return xasprintf("%s/%s/%s", lists_dir, name, mlist_file_names[i]);
}

/* mlist_open - stat all four files, load in Mailman's order */
int mlist_open(const char *lists_dir, const char *name, unsigned flags,
               const struct load_limits *limits, struct mlist **ml_r,
               const char **error_r)
{
    return mlist_open_pre(lists_dir, name, flags, limits, NULL, ml_r, error_r);
}

/* mlist_open_pre - mlist_open, config.pck's C half perhaps done ahead */
int mlist_open_pre(const char *lists_dir, const char *name, unsigned flags,
                   const struct load_limits *limits, struct pyload_pre *pre,
                   struct mlist **ml_r, const char **error_r)
{
    struct mlist *ml = xcalloc(1, sizeof(*ml));
    struct stat st;
    int i;

    ml->name = xstrdup(name);
    ml->dir = xasprintf("%s/%s", lists_dir, name);
    ml->loaded = -1;
    ml->arena = value_arena_new();
    if (stat(ml->dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        *error_r = errstr("%s: %s", ml->dir, errno ? strerror(errno) : "not a directory");
        mlist_free(&ml);
        return -1;
    }
    for (i = 0; i < MLIST_NFILES; i++) {
        struct mlist_file *f = &ml->files[i];
        char *path = mlist_file_path(lists_dir, name, i);

        f->name = mlist_file_names[i];
        f->status = LOAD_MISSING;
        if (lstat(path, &st) == 0) {
            f->present = true;
            f->irregular = S_ISREG(st.st_mode) ? NULL : fileread_type_name(st.st_mode);
            f->mtime = st.st_mtim;
            f->size = st.st_size;
        }
        if (f->present && f->irregular != NULL && !S_ISLNK(st.st_mode)) {
            /* a fifo, socket, directory or device is never read, and is
             * reported whether or not an earlier file loads: Mailman would
             * fail on it, and its next save would replace it */
            f->tried = true;
            f->status = LOAD_IO;
            f->error = xasprintf("not a regular file (%s)", f->irregular);
        } else if (f->present && (ml->loaded < 0 || (flags & MLIST_ALL_FILES))) {
            struct value_arena *arena = ml->loaded < 0 ? ml->arena : value_arena_new();
            struct value *root = NULL;
            struct datafile_info info;
            const char *err = NULL;

            f->tried = true;
            if (S_ISLNK(st.st_mode)) {
                f->status = LOAD_REFUSED;
                f->error = xstrdup("is a symbolic link; mmfix does not follow links in lists/");
            } else if (datafile_load_pre(path, DATAFILE_UNKNOWN,
                                         DATAFILE_WANT_DICT
                                         | ((flags & MLIST_KEEP_MEMO) ? DATAFILE_KEEP_MEMO : 0),
                                         limits, NULL, i == 0 ? pre : NULL, arena, &root,
                                         &info, &f->status, &err) != 0) {
                f->error = xstrdup(err);
                if (f->status == LOAD_MISSING) {
                    f->present = false;
                }
            } else {
                f->protocol = info.protocol;
                if (ml->loaded < 0) {
                    ml->loaded = i;
                    ml->config = root;
                }
            }
            if (arena != ml->arena) {
                value_arena_free(&arena);
            }
        }
        free(path);
    }
    *ml_r = ml;
    return 0;
}

/* mlist_free - free everything */
void mlist_free(struct mlist **ml_p)
{
    struct mlist *ml = *ml_p;
    int i;

    if (ml == NULL) {
        return;
    }
    *ml_p = NULL;
    for (i = 0; i < MLIST_NFILES; i++) {
        free(ml->files[i].error);
    }
    value_arena_free(&ml->arena);
    free(ml->name);
    free(ml->dir);
    free(ml);
}

/* mlist_loaded_file - the file used */
const struct mlist_file *mlist_loaded_file(const struct mlist *ml)
{
    return ml->loaded >= 0 ? &ml->files[ml->loaded] : NULL;
}

/* mlist_get - top-level attribute */
struct value *mlist_get(struct mlist *ml, const char *attr)
{
    return ml->config != NULL ? value_dict_get_str(ml->arena, ml->config, attr) : NULL;
}
