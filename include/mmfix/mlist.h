#ifndef MMFIX_MLIST_H
#define MMFIX_MLIST_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "mmfix/datafile.h"
#include "mmfix/loaderr.h"
#include "mmfix/value.h"

/*
 * One mailing list's directory and the configuration Mailman would load
 * from it: Mailman 2.1 tries config.pck, config.pck.last, config.db,
 * config.db.last in that order and uses the first that loads.
 */

#define MLIST_NFILES 4

struct mlist_file {
    const char *name;          /* "config.pck", ... */
    bool present;
    const char *irregular;     /* present but not a regular file: what it is ("fifo",
                                * "socket", "directory", "symbolic link", ...;
                                * fileread_type_name), else NULL. Never read. */
    bool tried;                /* read (all of them with MLIST_ALL_FILES); an irregular
                                * file is always "tried" (LOAD_IO), never read */
    enum load_error status;    /* of the read, when tried */
    char *error;               /* why it did not load */
    int protocol;              /* pickle protocol / marshal version */
    struct timespec mtime;
    off_t size;                /* as lstat saw it, when present */
};

struct mlist {
    char *name;
    char *dir;
    struct mlist_file files[MLIST_NFILES];
    int loaded;                /* index of the file used, -1 if none loads */
    struct value_arena *arena;
    struct value *config;      /* the loaded dict, NULL if none */
};

enum mlist_flags {
    MLIST_ALL_FILES = 1 << 0,  /* read all four files, not just up to the first good one */
    MLIST_KEEP_MEMO = 1 << 1,  /* keep the pickle memo: the config will be written back */
};

/* mlist_file_names - the four names in Mailman's load order */
extern const char *const mlist_file_names[MLIST_NFILES];

/* mlist_open - read list `name` under lists_dir. Fails (-1) only when the
 * directory cannot be read at all; a list none of whose files loads is
 * returned with loaded == -1 and each file's reason. */
int mlist_open(const char *lists_dir, const char *name, unsigned flags,
               const struct load_limits *limits, struct mlist **ml_r,
               const char **error_r);
/* mlist_file_path - the path mlist_open reads file i of list name at (malloc'd) */
char *mlist_file_path(const char *lists_dir, const char *name, int i);
struct pyload_pre;
/* mlist_open_pre - mlist_open with the C half of loading config.pck done
 * ahead (pyload_pre_file of mlist_file_path(lists_dir, name, 0), the same
 * string, with the limits and keep_memo of flags; NULL: none). The caller
 * still frees pre. */
int mlist_open_pre(const char *lists_dir, const char *name, unsigned flags,
                   const struct load_limits *limits, struct pyload_pre *pre,
                   struct mlist **ml_r, const char **error_r);
void mlist_free(struct mlist **ml);
/* mlist_loaded_file - the file used, or NULL */
const struct mlist_file *mlist_loaded_file(const struct mlist *ml);
/* mlist_get - attribute of the loaded config, or NULL */
struct value *mlist_get(struct mlist *ml, const char *attr);

#endif
