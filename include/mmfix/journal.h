#ifndef MMFIX_JOURNAL_H
#define MMFIX_JOURNAL_H

/*
 * journal - the SQLite journal of mmfix's write runs (SPEC §7)
 *
 * Every run that changes files is recorded before the first byte changes:
 * the before-image of each file it may touch (bytes, mode, owner, group,
 * mtime, or "did not exist"). After the run the after-images (bytes, mode,
 * owner, group) are recorded, so a later rollback can tell whether a file
 * changed since. A run moves through these states:
 *
 *   planned -> applying -> done | failed -> rolling-back -> rolled-back
 *   planned -> abandoned                 (rolled back before it changed anything)
 *   applying -> rolling-back -> rolled-back   (interrupted or failed run)
 *
 * A run in 'applying' or 'rolling-back' whose process is gone was killed:
 * journal_interrupted() finds it and journal_rollback() puts its files back.
 *
 * All functions return 0 or -1 with the reason in *error_r (an errstr()
 * text). Strings returned in structs are copies (cut at a UTF-8 character
 * boundary when they do not fit).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The schema version this code writes (PRAGMA user_version). A journal with
 * a smaller version is migrated, one with a larger one is refused. */
#define JOURNAL_SCHEMA_VERSION 4
/* PRAGMA application_id of an mmfix journal ('mmfx') */
#define JOURNAL_APPLICATION_ID 0x6d6d6678
/* The largest file whose image the journal keeps */
#define JOURNAL_MAX_FILE ((size_t)256 << 20)
/* A regular file of at least this many bytes has its before-image kept as a hard link in
 * <journal>.keep/ (schema 4) rather than copied into the database: a block's worth, below
 * which a copy costs SQLite about what a directory entry and an inode reference cost */
#define JOURNAL_KEEP_MIN ((size_t)4096)

struct journal;

/* journal_open - open/create path (data/mmfix-journal.sqlite by default): open_v2 with explicit
 * flags, busy_timeout 5000, PRAGMA journal_mode=WAL (check the returned row), synchronous=FULL
 * (a journal must survive power loss), foreign_keys=ON; schema versioned with user_version
 * (JOURNAL_SCHEMA_VERSION 1; 0 = create; newer = refuse); statements prepared from one table.
 * A new file is created with mode 0660 (minus umask) first. A symbolic link, a file that is not
 * an SQLite database, another program's database and a read-only journal that needs a schema
 * upgrade are refused. A read-only journal with the current schema opens (reads work, writes
 * fail with an error). Run as root, a journal (or -wal, -shm, or .keep directory beside it)
 * that root does not own or that others may write is refused. */
int journal_open(const char *path, struct journal **j_r, const char **error_r);
/* journal_close - finalize the statements, close the database, free, set *j NULL (NULL ok) */
void journal_close(struct journal **j);

/* journal_run_begin - a new run (status 'planned'), returns its id. command: the mmfix command
 * ("repair", "convert", ...); var_prefix: the installation the run writes in (rollback
 * requires the same root); summary: the plan summary text shown by history (any length). */
int journal_run_begin(struct journal *j, const char *command, const char *var_prefix,
                      const char *summary, int64_t *run_r, const char **error_r);
/* journal_record_before - the before-image of path for run: a regular file (bytes, mode, uid,
 * gid, mtime; from JOURNAL_KEEP_MIN bytes on, when a hard link can be made, the bytes stay in
 * the file's own inode, linked as <journal>.keep/<run>-<n>, and the row keeps their size and
 * SHA-1: a rollback refuses a kept link that no longer has them, even forced), a directory (mode, uid, gid: a rollback re-creates it, or removes one that did
 * not exist, which must be empty by then), a symbolic link (its target, never followed), or
 * "did not exist"; any other kind of file is refused. Idempotent per (run, path). path must be
 * absolute; the run must be 'planned'. Committed when it returns 0. Schema 2 (this version)
 * added directories, links and moves. */
int journal_record_before(struct journal *j, int64_t run, const char *path, const char **error_r);
/* journal_record_move - the run will rename directory (or file) `from` to `to` (both absolute): no bytes
 * are kept; a rollback renames it back when `to` is there and `from` is not. The run must be
 * 'planned'; from must not be recorded otherwise in the run. */
int journal_record_move(struct journal *j, int64_t run, const char *from, const char *to,
                        const char **error_r);
/* journal_batch_begin - the journal_record_before/journal_record_move calls until
 * journal_batch_end are one transaction (one commit, one fsync, instead of one per path: a
 * run over thousands of lists records tens of thousands of paths). A failing call inside
 * drops the whole batch. */
int journal_batch_begin(struct journal *j, const char **error_r);
/* journal_batch_end - commit the batch (commit) or drop it; committing a batch that a failure
 * already dropped is an error */
int journal_batch_end(struct journal *j, bool commit, const char **error_r);
/* journal_run_start - all before-images recorded: status 'applying' (committed, fsynced) */
int journal_run_start(struct journal *j, int64_t run, const char **error_r);
/* journal_note_written - path (absolute, a regular file) has just been written with
 * data[0..len) by this run: journal_record_after takes its SHA-1 from data (or sha1, its 40
 * hex digits when the caller has them already; else NULL) instead of reading the file
 * back, as long as the file keeps the device, inode, size and mtime it has now (as it does
 * the inodes of the before-images it kept as links). Nothing is noted when path is not
 * such a file of len bytes. */
void journal_note_written(struct journal *j, const char *path, const void *data, size_t len,
                          const char *sha1);
/* journal_record_after - after-images (full bytes + exists, mode, uid, gid) of every path
 * recorded for run, which must be 'applying'; a later rollback compares them byte for byte */
int journal_record_after(struct journal *j, int64_t run, const char **error_r);
/* journal_run_finish - status 'done' (or 'failed'), from 'applying' */
int journal_run_finish(struct journal *j, int64_t run, const char *status, const char **error_r);

struct journal_run {
    int64_t id;
    char started[32];            /* UTC, "2024-05-01T12:00:00Z" */
    char command[64];
    char status[16];             /* planned applying done failed rolling-back rolled-back abandoned */
    char summary[256];           /* first 255 bytes; journal_run_summary() has all of it */
    int files;                   /* before-images recorded */
};

/* journal_runs - every run, newest first; *runs_r is malloc'ed (free() it), NULL when none */
int journal_runs(struct journal *j, struct journal_run **runs_r, size_t *n_r, const char **error_r);
/* journal_run_get - one run; -1 ("no run N in the journal") when there is none */
int journal_run_get(struct journal *j, int64_t run, struct journal_run *r, const char **error_r);
/* journal_run_summary - the full summary text of run (malloc'ed, free() it) */
int journal_run_summary(struct journal *j, int64_t run, char **summary_r, const char **error_r);

/* journal_rollback - restore every file of run to its before-image (atomic_restore, reverse
 * order of recording); files whose current state differs from the recorded after-image are
 * refused (all-or-nothing: nothing restored, error lists them) unless force; a run in status
 * 'applying' (interrupted) has no after-images: restore everything. Sets status 'rolled-back'.
 * root = var prefix (writes stay inside it). report(ctx, path, action) is called per file
 * ("restore", "remove", "refuse"). report may be NULL.
 * Details: a file already back in its before-state passes the check too (a rollback that
 * stopped half-way can be run again). A 'planned' run changed nothing: it is marked
 * 'abandoned'. 'rolled-back' and 'abandoned' runs are refused, and so is a run that another
 * live process on this host is applying or rolling back. A 'done'/'failed' file without an
 * after-image is refused unless force. root must be the run's var_prefix. While files are
 * being restored the run is 'rolling-back' (so a kill is found by journal_interrupted); if a
 * restore fails the run returns to its previous status and the error says how many files
 * were restored. Actions are reported after each file is restored; "refuse" before nothing
 * is done. A file whose before-image is a kept link that is missing or no longer has the
 * recorded size and SHA-1 (its inode was written in place since) is refused even when
 * forced. A run rolled back (or abandoned) has its kept links removed. */
int journal_rollback(struct journal *j, int64_t run, const char *root, bool force,
                     void (*report)(void *ctx, const char *path, const char *action), void *ctx,
                     const char **error_r);
/* A guard for rolling back an interrupted run: trusted(ctx, path) says whether the file can
 * have changed only through the run itself (its list's lock was held from the run until now).
 * An untrusted file is restored only if it is still in its before-state; otherwise the
 * rollback is refused as a whole, naming it, since Mailman may have saved it since. */
struct journal_guard {
    bool (*trusted)(void *ctx, const char *path);
    void *ctx;
};
/* journal_rollback_guarded - journal_rollback with a guard (NULL: none) */
int journal_rollback_guarded(struct journal *j, int64_t run, const char *root, bool force,
                             const struct journal_guard *guard,
                             void (*report)(void *ctx, const char *path, const char *action),
                             void *ctx, const char **error_r);
/* journal_rollback_check - what journal_rollback would do, changing nothing: report(ctx, path,
 * action) per file ("restore", "remove", "refuse"); -1 with error_r when it would refuse */
int journal_rollback_check(struct journal *j, int64_t run, const char *root, bool force,
                           void (*report)(void *ctx, const char *path, const char *action),
                           void *ctx, const char **error_r);
/* journal_interrupted - id of a run left in 'applying' (killed), 0 if none. Also a run left in
 * 'rolling-back'. A run is left over when it was not begun through this handle and its
 * process is gone: recorded on another host, the pid no longer runs, or it is our own pid (a
 * reused pid, as in a container). The oldest such run is returned. */
int journal_interrupted(struct journal *j, int64_t *run_r, const char **error_r);

#endif
