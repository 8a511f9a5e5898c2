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

/* atomic_new_owner - the owner and group a new entry of directory dir gets: the directory's
 * group; when running as root the directory's owner (so that Mailman, running as its own
 * user, can still rewrite what mmfix made), else our own uid */
int atomic_new_owner(const char *dir, uid_t *uid_r, gid_t *gid_r, const char **error_r);
/* atomic_own_new_fd - give a file this process just created (open as fd, at path) the group
 * of its directory, exactly mode (umask aside) and, if give_owner, atomic_new_owner's owner
 * (else it stays ours). Unprivileged, a group the kernel refuses (EPERM) leaves the one it
 * gave. For mmfix's own files: lock claimants (given), the journal (kept). */
int atomic_own_new_fd(int fd, const char *path, mode_t mode, bool give_owner,
                      const char **error_r);

/* atomic_meta_of - lstat a path into meta (exists=false for ENOENT); -1 on other errors or a
 * symlink (refused: "is a symbolic link") */
int atomic_meta_of(const char *path, struct atomic_meta *m, const char **error_r);
/* atomic_check_inside - path (existing or not) resolves inside root (realpath of the parent dir
 * starts with realpath(root) + "/", or is realpath(root) itself), and no component after root is
 * a symlink. path must be spelled under root (root's own spelling or its realpath), without
 * "." or ".." components after it. A path below a directory that does not exist yet passes
 * when the part that exists is inside root (it is what a run that makes the directory
 * records). */
int atomic_check_inside(const char *root, const char *path, const char **error_r);
/* atomic_check_inside_link - atomic_check_inside, except that path itself may be a symbolic
 * link (one that is removed or replaced, never followed) */
int atomic_check_inside_link(const char *root, const char *path, const char **error_r);
/* atomic_save - replace path with data as Mailman does: write <path>.tmp.<hostname>.<pid>
 * (O_CREAT|O_EXCL|O_NOFOLLOW), fsync; if make_last: unlink <path>.last (ENOENT ok), link(path,
 * <path>.last) (ENOENT ok: first save); rename(tmp, path); fsync the directory. The new file
 * keeps owner, group and mode of the file it replaces (fchown/fchmod on the temp file before the
 * rename; fchown failures for non-root are ignored only if the owner is already right); a new
 * file gets mode 0660 and atomic_new_owner's owner and group (the directory's). Checks
 * atomic_check_inside(root, path) first. On any failure the temp file is removed and the old
 * file is untouched. When path does not exist, an existing <path>.last is left alone (Mailman
 * would unlink it; it may be the only copy left). */
int atomic_save(const char *root, const char *path, const void *data, size_t len,
                bool make_last, const char **error_r);
/* atomic_save_add_mode - atomic_save, with the mode bits add_mode added to the kept (or new
 * 0660) mode: Mailman's Postfix module makes its alias files at least 0664 */
int atomic_save_add_mode(const char *root, const char *path, const void *data, size_t len,
                         bool make_last, unsigned add_mode, const char **error_r);
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
/* atomic_unlink - unlink + fsync dir, inside root; ENOENT ok; path may be a symlink (removed,
 * not followed) */
int atomic_unlink(const char *root, const char *path, const char **error_r);

/* What a path is (lstat) */
enum atomic_kind {
    ATOMIC_ABSENT,
    ATOMIC_FILE,
    ATOMIC_DIR,
    ATOMIC_SYMLINK,
    ATOMIC_OTHER,                    /* fifo, socket, device */
};

/* atomic_stat - lstat path into kind and meta; *target_r (may be NULL) gets a symlink's target
 * (malloc'd) */
int atomic_stat(const char *path, enum atomic_kind *kind_r, struct atomic_meta *m,
                char **target_r, const char **error_r);
/* atomic_mkdir - mkdir path inside root with exactly mode (e.g. 02775), group gid
 * ((gid_t)-1: the parent's) and atomic_new_owner's owner; fsync the parent */
int atomic_mkdir(const char *root, const char *path, mode_t mode, gid_t gid,
                 const char **error_r);
/* atomic_rmdir - remove an empty directory inside root (ENOENT ok) */
int atomic_rmdir(const char *root, const char *path, const char **error_r);
/* atomic_symlink - make path (absent or a symlink, inside root) a symlink to target, replacing
 * an old link atomically (temp link + rename); the link keeps the owner and group of the link
 * it replaces, a new one gets atomic_new_owner's */
int atomic_symlink(const char *root, const char *path, const char *target,
                   const char **error_r);
/* atomic_restore_symlink - atomic_symlink with meta's owner and group (a before-image) */
int atomic_restore_symlink(const char *root, const char *path, const char *target,
                           const struct atomic_meta *meta, const char **error_r);
/* atomic_move_whole - rename a directory or a regular file from to `to` (both inside root)
 * whole, refusing to replace anything (RENAME_NOREPLACE); fsync both parents. For what is too
 * big to copy into the journal (archives, mboxes): journal_record_move records it. */
int atomic_move_whole(const char *root, const char *from, const char *to, const char **error_r);
/* atomic_restore_dir - a directory's before-image: meta->exists: there (created if missing),
 * with meta's mode, owner, group; else removed (it must be empty) */
int atomic_restore_dir(const char *root, const char *path, const struct atomic_meta *meta,
                       const char **error_r);

/* atomic_temp_name - the temp file this process writes before replacing
 * path: <path>.tmp.<hostname>.<pid> (malloc'd). A journal records it as
 * absent so that a rollback removes what a killed save left behind. */
char *atomic_temp_name(const char *path);

/* atomic_sync_defer - from now on the fsync of a directory an operation changed is put off
 * until atomic_sync_flush, and made once per directory: a run that makes one link per list
 * in archives/public syncs it once, not 2000 times. The files themselves are still fsynced
 * before they are renamed into place. For a journaled run, which can be rolled back from
 * either state of a directory entry. */
void atomic_sync_defer(void);
/* atomic_sync_pending - how many directories wait for their fsync */
size_t atomic_sync_pending(void);
/* atomic_fsync_dir - fsync directory dir itself (nofollow: never through a symbolic link
 * at its name); EINVAL (a file system that cannot) is no error */
int atomic_fsync_dir(const char *dir, bool nofollow, const char **error_r);
/* atomic_sync_flush - fsync every directory put off (all are tried; -1 with the first
 * error) and stop putting them off */
int atomic_sync_flush(const char **error_r);

/* A save in two halves, for a run of many: every temp file written first (atomic_prepare),
 * all of them put on disk at once (atomic_prepared_sync: one syncfs per file system instead
 * of an fsync per file, which on a busy or slow disk costs a journal commit each), then each
 * linked and renamed in the run's order (atomic_commit). The result is atomic_save_add_mode's:
 * the same temp name, owner, group, mode, .last and directory sync; the data is on disk before
 * any rename. */
struct atomic_prepared {
    char *path;         /* NULL: nothing prepared */
    char *tmp;
    bool make_last;
};
/* atomic_prepare - path's temp file written (owner, group, mode as atomic_save_add_mode
 * would give), not synced; p filled */
int atomic_prepare(const char *root, const char *path, const void *data, size_t len,
                   bool make_last, unsigned add_mode, struct atomic_prepared *p,
                   const char **error_r);
/* atomic_prepared_sync - syncfs of the file system of each prepared temp file, once each */
int atomic_prepared_sync(const struct atomic_prepared *ps, size_t n, const char **error_r);
/* atomic_commit - .last linked (when the save replaces a file and asked), temp renamed over
 * path, directory synced (or put off, atomic_sync_defer); p is discarded either way */
int atomic_commit(const char *root, struct atomic_prepared *p, const char **error_r);
/* atomic_prepared_discard - remove the temp file if still there; free */
void atomic_prepared_discard(struct atomic_prepared *p);

#endif
