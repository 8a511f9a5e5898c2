#ifndef MMFIX_LOCKFILE_H
#define MMFIX_LOCKFILE_H

/*
 * lockfile - Mailman 2.1's LockFile protocol (Mailman/LockFile.py), so that
 * mmfix and a running Mailman exclude each other on the same list lock.
 */

#include <stdbool.h>
#include <time.h>

struct lockfile;                     /* opaque */

struct lockfile_state {
    bool exists;                     /* the lock file is there */
    bool live;                       /* now <= mtime + LOCKFILE_CLOCK_SLOP (10 s) */
    bool ours_dead;                  /* claimant names this host and a pid that no longer runs */
    char claimant[1024];             /* content: the claimant's temp path ("" if unreadable) */
    time_t expires;                  /* mtime of the lock file */
};

#define LOCKFILE_CLOCK_SLOP 10
#define LOCKFILE_DEFAULT_LIFETIME (5 * 3600)   /* LIST_LOCK_LIFETIME = hours(5) */

/* lockfile_acquire - take lock_path the way Mailman 2.1's LockFile.lock() does: temp file
 * <lock_path>.<hostname>.<pid>.<counter> (umask 002) whose content is its own path and whose
 * atime/mtime are now + lifetime; link(tmp, lock_path); EEXIST -> if link count is 2 and content
 * equals our tmp path we already hold it; if now > mtime(lock) + 10 s break it (touch, read
 * claimant, unlink lock, unlink claimant's temp file — but only if that temp file is inside the
 * same locks directory: never unlink a path outside it); also break at once a lock whose claimant
 * is this host and a dead pid (ours_dead; kill(pid, 0) == ESRCH) — mmfix's own crashed run.
 * timeout_ms: 0 = one attempt, < 0 wait forever, > 0 wait up to that long (sleep 10-200 ms between
 * tries, not Mailman's up to 2 s); a stop signal (sigstop.h) ends the wait. Returns 0; or -1 with *busy_r = true when a live lock is held by
 * someone else (the caller exits 75), *busy_r = false for other errors.
 * Notes: a relative lock_path is made absolute first (the claimant text must name the temp file
 * for any process); lifetime_s 0 means LOCKFILE_DEFAULT_LIFETIME; breaking a stale or dead lock
 * does not count as waiting (timeout 0 still breaks it); the claimant's temp file is unlinked
 * only when it is a regular file in the lock's directory (compared by realpath) whose name
 * starts with "<lock name>.". */
int lockfile_acquire(const char *lock_path, unsigned lifetime_s, int timeout_ms,
                     struct lockfile **lock_r, bool *busy_r, const char **error_r);
/* lockfile_refresh - push the expiry to now + lifetime (touch both files: they are one inode
 * while held); -1 if we lost it */
int lockfile_refresh(struct lockfile *lock, const char **error_r);
/* lockfile_held - true only if link count is 2 and the lock is a second name of our temp file,
 * the file whose content is our temp path (what Mailman's locked() tells by reading it,
 * without its touch) */
bool lockfile_held(struct lockfile *lock);
/* lockfile_release - unlink the lock (if ours) then our temp file; frees, sets *lock NULL.
 * -1 (after cleaning up and freeing) when the lock was no longer ours or an unlink failed;
 * a lock that cannot be removed is marked expired (mtime in the past), so that Mailman does
 * not wait out its lifetime before it breaks it. */
int lockfile_release(struct lockfile **lock, const char **error_r);
/* lockfile_forget - free the handle but leave the lock held: its claimant names this process,
 * so once it has exited the lock is a dead one that the next mmfix breaks, while Mailman
 * keeps away from the list until then (or until it expires) */
void lockfile_forget(struct lockfile **lock);
/* lockfile_inspect - state of lock_path without touching it */
int lockfile_inspect(const char *lock_path, struct lockfile_state *st, const char **error_r);

/* lockfile_clear_dead - in locks_dir, break every lock mmfix takes ("<list>.lock" and
 * Mailman's "creator") whose claimant is a dead process of this host (a killed mmfix, or one
 * that could not remove it) and remove the claimant files such processes left */
void lockfile_clear_dead(const char *locks_dir);

/* lockfile_path - the lock path in use (absolute) */
const char *lockfile_path(const struct lockfile *lock);
/* lockfile_temp_path - our claimant temp file <lock>.<host>.<pid>.<counter> */
const char *lockfile_temp_path(const struct lockfile *lock);

#endif
