#ifndef MMFIX_ATOMIC_H
#define MMFIX_ATOMIC_H

/*
 * atomic - crash-safe writes of Mailman data files, the way Mailman's
 * MailList.__save does (temp file, fsync, .last hard link, rename), keeping
 * ownership and mode, and never writing outside a root directory.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

struct atomic_meta {
    bool exists;
    mode_t mode;                     /* permission bits (st_mode & 07777) */
    uid_t uid;
    gid_t gid;
    struct timespec mtime;
};

/* atomic_meta_of - lstat a path into meta (exists=false for ENOENT); -1 on other errors or a
 * symlink (refused: "is a symbolic link") */
int atomic_meta_of(const char *path, struct atomic_meta *m, const char **error_r);
/* atomic_check_inside - path (existing or not) resolves inside root (realpath of the parent dir
 * starts with realpath(root) + "/", or is realpath(root) itself), and no component after root is
 * a symlink. path must be spelled under root (root's own spelling or its realpath), without
 * "." or ".." components after it. */
int atomic_check_inside(const char *root, const char *path, const char **error_r);
/* atomic_save - replace path with data as Mailman does: write <path>.tmp.<hostname>.<pid>
 * (O_CREAT|O_EXCL|O_NOFOLLOW), fsync; if make_last: unlink <path>.last (ENOENT ok), link(path,
 * <path>.last) (ENOENT ok: first save); rename(tmp, path); fsync the directory. The new file
 * keeps owner, group and mode of the file it replaces (fchown/fchmod on the temp file before the
 * rename; fchown failures for non-root are ignored only if the owner is already right); a new
 * file gets mode 0660 and the directory's group. Checks atomic_check_inside(root, path) first.
 * On any failure the temp file is removed and the old file is untouched. When path does not
 * exist, an existing <path>.last is left alone (Mailman would unlink it; it may be the only
 * copy left). */
int atomic_save(const char *root, const char *path, const void *data, size_t len,
                bool make_last, const char **error_r);
/* atomic_restore - put back a before-image exactly: if !meta->exists remove path (ENOENT ok);
 * else write data via temp+fsync+rename with meta's mode, uid, gid, and set mtime (utimensat);
 * fsync the directory. No .last handling. */
int atomic_restore(const char *root, const char *path, const void *data, size_t len,
                   const struct atomic_meta *meta, const char **error_r);
/* atomic_rename - rename(from, to) + fsync dir; both checked inside root; refuses to overwrite
 * an existing `to` unless overwrite */
int atomic_rename(const char *root, const char *from, const char *to, bool overwrite,
                  const char **error_r);
/* atomic_copy - copy from -> to (to replaced atomically via temp+rename), keeping from's mode,
 * owner, group; mtime of the copy = now */
int atomic_copy(const char *root, const char *from, const char *to, const char **error_r);
/* atomic_unlink - unlink + fsync dir, inside root; ENOENT ok */
int atomic_unlink(const char *root, const char *path, const char **error_r);

/* atomic_temp_name - the temp file this process writes before replacing
 * path: <path>.tmp.<hostname>.<pid> (malloc'd). A journal records it as
 * absent so that a rollback removes what a killed save left behind. */
char *atomic_temp_name(const char *path);

#endif
