/*
 * journal - the SQLite journal of mmfix's write runs
 *
 * DESCRIPTION
 *  One database (data/mmfix-journal.sqlite by default) with two tables:
 *  runs (one row per run: when, command, var prefix, plan summary, status,
 *  and the host and pid of the process working on it) and files (one row
 *  per path a run may touch, in recording order: the before-image with the
 *  file's bytes, mode, owner, group and mtime, and after the run the
 *  after-image with bytes, mode, owner and group). A regular file of
 *  JOURNAL_KEEP_MIN bytes or more keeps its before-image bytes in its own
 *  inode instead: a hard link <journal>.keep/<run>-<n> (a run replaces
 *  files, it never writes one in place), with the size and SHA-1 in the
 *  row; every reader goes through before_image(), which refuses a link
 *  that no longer holds those bytes.
 *
 *  The open sequence follows STYLE.md item 19: sqlite3_open_v2 with
 *  explicit flags, busy_timeout, journal_mode=WAL with the returned row
 *  checked, synchronous=FULL, foreign_keys=ON, then the schema version
 *  (PRAGMA user_version; migrations from one {version, sql} table, each in
 *  its own BEGIN IMMEDIATE transaction that also sets user_version), then
 *  every statement prepared from one table indexed by enum journal_stmt.
 *  Values reach SQL only through sqlite3_bind_*. Step wrappers check the
 *  row shape; SQLite's message is copied into an errstr() right after the
 *  failing call. Every write is one BEGIN IMMEDIATE transaction, rolled
 *  back on any error.
 *
 *  Files are restored through the atomic module (temp file, fsync, rename,
 *  owner/mode/mtime, fsync of the directory), newest recording first.
 *
 * SECURITY
 *  The journal file itself is trusted as far as SQLite's own checks go (a
 *  corrupt file gives an error, not a crash); restored paths must lie
 *  inside the root given by the caller (atomic_restore checks), and the
 *  run's recorded var prefix must be that root. The database is opened with
 *  SQLITE_OPEN_NOFOLLOW; new journals are created 0640 with their
 *  directory's group, owned and writable only by the user who made them
 *  (create_file says why). The keep directory is made 0700 by the running
 *  user, never through a symbolic link, and as root trusted only when root
 *  owns it and nobody else may write it (keep_dir, trusted_by_root); the
 *  inodes in it stay the list owner's, who can write them in place through
 *  another name: hence the size and SHA-1 check before any restore, which
 *  no --force overrides.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <sqlite3.h>

#include "mmfix/atomic.h"
#include "mmfix/errstr.h"
#include "mmfix/fileread.h"
#include "mmfix/journal.h"
#include "mmfix/sha1.h"
#include "mmfix/strbuf.h"
#include "mmfix/sysname.h"
#include "mmfix/testfault.h"
#include "mmfix/xalloc.h"

/*
 * Schema. Compatibility contract: user_version is the number of the last
 * migration applied. 0 = empty file, create from scratch; smaller than
 * JOURNAL_SCHEMA_VERSION = apply the missing steps; larger = written by a
 * newer mmfix, refused (an older mmfix must not write rows it does not
 * understand). A migration step may only add (tables, columns, indexes).
 */
struct migration {
    int version;
    const char *sql;
};

static const struct migration migrations[] = {
    { 1,
      "PRAGMA application_id = 1835886200;\n" /* JOURNAL_APPLICATION_ID */
      "CREATE TABLE runs (\n"
      "  id INTEGER PRIMARY KEY AUTOINCREMENT,\n" /* ids are never reused */
      "  started TEXT NOT NULL,\n"
      "  finished TEXT,\n"
      "  command TEXT NOT NULL,\n"
      "  var_prefix TEXT NOT NULL,\n"
      "  summary TEXT NOT NULL,\n"
      "  status TEXT NOT NULL CHECK (status IN ('planned', 'applying', 'done', 'failed',\n"
      "                              'rolling-back', 'rolled-back', 'abandoned')),\n"
      "  host TEXT NOT NULL,\n"
      "  pid INTEGER NOT NULL\n"
      ");\n"
      "CREATE INDEX runs_status ON runs (status);\n"
      "CREATE TABLE files (\n"
      "  id INTEGER PRIMARY KEY,\n" /* recording order */
      "  run INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,\n"
      "  path TEXT NOT NULL,\n"
      "  before_exists INTEGER NOT NULL CHECK (before_exists IN (0, 1)),\n"
      "  before_data BLOB,\n"
      "  before_mode INTEGER NOT NULL,\n"
      "  before_uid INTEGER NOT NULL,\n"
      "  before_gid INTEGER NOT NULL,\n"
      "  before_mtime_s INTEGER NOT NULL,\n"
      "  before_mtime_ns INTEGER NOT NULL,\n"
      "  after_recorded INTEGER NOT NULL DEFAULT 0 CHECK (after_recorded IN (0, 1)),\n"
      "  after_exists INTEGER,\n"
      "  after_data BLOB,\n"
      "  after_mode INTEGER,\n"
      "  after_uid INTEGER,\n"
      "  after_gid INTEGER,\n"
      "  UNIQUE (run, path),\n"
      "  CHECK (before_exists = 0 OR before_data IS NOT NULL),\n"
      "  CHECK (after_recorded = 0 OR after_exists = 0 OR after_data IS NOT NULL)\n"
      ");\n" },
    /* directories, symbolic links and directory moves (update, rename):
     * kind of the before-image ('move': path was renamed to before_target),
     * kind of the after-image, a link's target */
    { 2,
      "ALTER TABLE files ADD COLUMN kind TEXT NOT NULL DEFAULT 'file'\n"
      "  CHECK (kind IN ('file', 'dir', 'symlink', 'move'));\n"
      "ALTER TABLE files ADD COLUMN after_kind TEXT\n"
      "  CHECK (after_kind IS NULL OR after_kind IN ('file', 'dir', 'symlink', 'move'));\n"
      "ALTER TABLE files ADD COLUMN before_target TEXT;\n"
      "ALTER TABLE files ADD COLUMN after_target TEXT;\n" },
    /* after-images in a table of their own, a regular file's as its size and SHA-1: rollback
     * only asks whether the file is still what the run left. Recording them as columns of
     * `files` made SQLite rewrite each row with its before-image blob (the row grows), and
     * keeping the bytes doubled the journal again. Rows of older journals keep their
     * after_* columns, read where a file has no row here. */
    { 3,
      "CREATE TABLE afters (\n"
      "  file INTEGER PRIMARY KEY REFERENCES files (id) ON DELETE CASCADE,\n"
      "  present INTEGER NOT NULL CHECK (present IN (0, 1)),\n"
      "  mode INTEGER NOT NULL,\n"
      "  uid INTEGER NOT NULL,\n"
      "  gid INTEGER NOT NULL,\n"
      "  kind TEXT CHECK (kind IS NULL OR kind IN ('file', 'dir', 'symlink', 'move')),\n"
      "  target TEXT,\n"
      "  size INTEGER,\n"
      "  sha1 TEXT CHECK (sha1 IS NULL OR length(sha1) = 40)\n"
      ");\n" },
    /* a large regular file's before-image kept as a hard link in <journal>.keep/ (its name
     * there), with the size and SHA-1 it must still have when restored; before_data is then
     * X'' (the schema-1 CHECK wants it not NULL). Copying 80 MB of config.pck into the
     * database and fsyncing it was a fifth of a 2000-list migrate. */
    { 4,
      "ALTER TABLE files ADD COLUMN before_keep TEXT;\n"
      "ALTER TABLE files ADD COLUMN before_size INTEGER;\n"
      "ALTER TABLE files ADD COLUMN before_sha1 TEXT\n"
      "  CHECK (before_sha1 IS NULL OR length(before_sha1) = 40);\n" },
};

#define N_MIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

/* Column lists shared by the statements that read runs */
#define RUN_COLUMNS                                                                   \
    "r.id, r.started, r.command, r.status, r.summary, r.var_prefix, r.host, r.pid, " \
    "(SELECT count(*) FROM files f WHERE f.run = r.id)"
#define TIMESTAMP "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"

enum journal_stmt {
    STMT_BEGIN,
    STMT_COMMIT,
    STMT_ROLLBACK,
    STMT_RUN_INSERT,
    STMT_RUN_GET,
    STMT_RUN_STATUS,
    STMT_RUNS_ALL,
    STMT_RUN_SET_STATUS,
    STMT_RUN_SET_OWNER,
    STMT_RUNS_UNFINISHED,
    STMT_FILE_FIND,
    STMT_FILE_INSERT,
    STMT_FILES_OF_RUN,
    STMT_FILE_BEFORE_DATA,
    STMT_FILE_AFTER_DATA,
    STMT_FILE_SET_AFTER,
    STMT_LAST
};

/* Every statement the journal runs, prepared at open. ?N are bound with
 * db_bindf() in the order of the format string. */
static const char *const stmt_sql[STMT_LAST] = {
    [STMT_BEGIN] = "BEGIN IMMEDIATE",
    [STMT_COMMIT] = "COMMIT",
    [STMT_ROLLBACK] = "ROLLBACK",
    /* command, var_prefix, summary, host, pid */
    [STMT_RUN_INSERT] = "INSERT INTO runs (started, command, var_prefix, summary, status, host, "
                        "pid) VALUES (" TIMESTAMP ", ?1, ?2, ?3, 'planned', ?4, ?5)",
    /* id */
    [STMT_RUN_GET] = "SELECT " RUN_COLUMNS " FROM runs r WHERE r.id = ?1",
    /* id: only the status (RUN_COLUMNS counts the run's files: per recorded
     * path, that made recording a run of N paths quadratic) */
    [STMT_RUN_STATUS] = "SELECT status FROM runs WHERE id = ?1",
    [STMT_RUNS_ALL] = "SELECT " RUN_COLUMNS " FROM runs r ORDER BY r.id DESC",
    /* id, old status, new status */
    [STMT_RUN_SET_STATUS] =
        "UPDATE runs SET status = ?3, finished = CASE WHEN ?3 IN ('done', 'failed', "
        "'rolled-back', 'abandoned') THEN " TIMESTAMP " ELSE finished END "
        "WHERE id = ?1 AND status = ?2",
    /* id, host, pid */
    [STMT_RUN_SET_OWNER] = "UPDATE runs SET host = ?2, pid = ?3 WHERE id = ?1",
    [STMT_RUNS_UNFINISHED] = "SELECT id, host, pid FROM runs "
                             "WHERE status IN ('applying', 'rolling-back') ORDER BY id",
    /* run, path */
    [STMT_FILE_FIND] = "SELECT id FROM files WHERE run = ?1 AND path = ?2",
    /* run, path, exists, data, mode, uid, gid, mtime s, mtime ns, kind, target, kept link,
     * its size, its sha1 */
    [STMT_FILE_INSERT] = "INSERT INTO files (run, path, before_exists, before_data, before_mode, "
                         "before_uid, before_gid, before_mtime_s, before_mtime_ns, kind, "
                         "before_target, before_keep, before_size, before_sha1) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    /* run; newest recording first */
    [STMT_FILES_OF_RUN] =
        "SELECT f.id, f.path, f.before_exists, f.before_mode, f.before_uid, f.before_gid, "
        "f.before_mtime_s, f.before_mtime_ns, "
        "CASE WHEN a.file IS NULL THEN f.after_recorded ELSE 1 END, "
        "CASE WHEN a.file IS NULL THEN f.after_exists ELSE a.present END, "
        "CASE WHEN a.file IS NULL THEN f.after_mode ELSE a.mode END, "
        "CASE WHEN a.file IS NULL THEN f.after_uid ELSE a.uid END, "
        "CASE WHEN a.file IS NULL THEN f.after_gid ELSE a.gid END, "
        "f.kind, CASE WHEN a.file IS NULL THEN f.after_kind ELSE a.kind END, "
        "f.before_target, CASE WHEN a.file IS NULL THEN f.after_target ELSE a.target END, "
        "f.before_keep IS NOT NULL "
        "FROM files f LEFT JOIN afters a ON a.file = f.id WHERE f.run = ?1 ORDER BY f.id DESC",
    /* file id */
    [STMT_FILE_BEFORE_DATA] = "SELECT before_data, before_keep, before_size, before_sha1 "
                              "FROM files WHERE id = ?1",
    [STMT_FILE_AFTER_DATA] = "SELECT f.after_data, a.size, a.sha1 FROM files f "
                             "LEFT JOIN afters a ON a.file = f.id WHERE f.id = ?1",
    /* file id, present, mode, uid, gid, kind, target, size, sha1 */
    [STMT_FILE_SET_AFTER] = "INSERT OR REPLACE INTO afters (file, present, mode, uid, gid, kind, "
                            "target, size, sha1) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
};

struct journal {
    sqlite3 *db;
    char *path;
    bool readonly;
    bool batch;                  /* inside journal_batch_begin/end: one transaction */
    sqlite3_stmt *stmts[STMT_LAST];
    int64_t *mine;               /* runs begun through this handle */
    size_t n_mine;
    char host[256];
    char *keep;                  /* <path>.keep: the kept links of large before-images */
    bool keep_ready;             /* it was found (or made) and checked */
    bool keep_off;               /* it cannot be made, or links cannot cross to it */
    unsigned long keep_seq;      /* the last <n> of a name <run>-<n> this handle made */
    char **keep_new;             /* names linked in the open transaction: gone if it fails */
    size_t n_keep_new;
    struct known *known;         /* files whose SHA-1 this handle knows (known_add) */
    size_t n_known;
    size_t cap_known;
    bool known_sorted;
};

/* A regular file whose SHA-1 this handle knows without reading it: the inode of a kept
 * before-image (which the run's save links as <path>.last), or a file the run wrote
 * (journal_note_written). Found by its identity: device, inode, size and mtime, the identity
 * keep_link checks between reading a file and linking it. A kept inode stays alive (its
 * link in .keep); a written one could be freed by a later save of the same path in the same
 * run and its number reused by a file of the same size and mtime: that file's after-image
 * would then be wrong, and a rollback would refuse it as changed since the run (never
 * restore wrong bytes: the before-images are checked by their own digests). */
struct known {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    char sha1[41];
};

/* One row of STMT_FILES_OF_RUN */
struct jfile {
    int64_t id;
    char *path;
    const char *kind;            /* "file" "dir" "symlink" (before-image), "move" */
    bool kept;                   /* a file's before-image is a kept link (schema 4) */
    char *before_target;         /* a link's target; a move's destination */
    struct atomic_meta before;
    bool after_recorded;
    const char *after_kind;
    char *after_target;
    struct atomic_meta after;
};

/* The state of a path now */
struct jstate {
    enum atomic_kind kind;
    struct atomic_meta m;
    char *data;                  /* a file's bytes */
    size_t len;
    char *target;                /* a link's target */
};

/* A run as read from the database */
struct jrun {
    struct journal_run pub;
    char *var_prefix;
    char *host;
    int64_t pid;
};

/* db_err - "what: SQLite's message", taken right after the failing call */
static const char *db_err(struct journal *j, const char *what)
{
    return errstr("%s: %s", what, sqlite3_errmsg(j->db));
}

/* db_reset - reset a statement and drop its bindings (SQLITE_STATIC data) */
static void db_reset(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* db_bindf - bind ?1.. by format: t text, i int64_t, b blob (const void *, size_t;
 * a NULL pointer binds NULL), n NULL. Data is bound SQLITE_STATIC: it must live
 * until the statement is reset. */
static int db_bindf(struct journal *j, sqlite3_stmt *st, const char **error_r, const char *fmt,
                    ...)
{
    va_list ap;
    int idx = 1;
    int rc = SQLITE_OK;
    const char *p = NULL;

    va_start(ap, fmt);
    for (p = fmt; *p != '\0' && rc == SQLITE_OK; p++, idx++) {
        switch (*p) {
        case 't':
            rc = sqlite3_bind_text(st, idx, va_arg(ap, const char *), -1, SQLITE_STATIC);
            break;
        case 'i':
            rc = sqlite3_bind_int64(st, idx, va_arg(ap, int64_t));
            break;
        case 'b': {
            const void *data = va_arg(ap, const void *);
            size_t len = va_arg(ap, size_t);
            if (data == NULL) {
                rc = sqlite3_bind_null(st, idx);
            } else {
                rc = sqlite3_bind_blob64(st, idx, data, len, SQLITE_STATIC);
            }
            break;
        }
        default:
            rc = sqlite3_bind_null(st, idx);
            break;
        }
    }
    va_end(ap);
    if (rc != SQLITE_OK) {
        *error_r = db_err(j, "journal: binding a value");
        db_reset(st);
        return -1;
    }
    return 0;
}

/* db_step_done - step a statement that returns no row; always resets */
static int db_step_done(struct journal *j, sqlite3_stmt *st, const char **error_r)
{
    int rc = sqlite3_step(st);

    if (rc == SQLITE_DONE) {
        db_reset(st);
        return 0;
    }
    if (rc == SQLITE_ROW) {
        *error_r = errstr("journal: extra database row found (%s)", sqlite3_sql(st));
    } else {
        *error_r = db_err(j, "journal");
    }
    db_reset(st);
    return -1;
}

/* db_step_row - step a statement that must return a row; the caller reads
 * the columns and calls db_reset(). Resets on error. */
static int db_step_row(struct journal *j, sqlite3_stmt *st, const char **error_r)
{
    int rc = sqlite3_step(st);

    if (rc == SQLITE_ROW) {
        return 0;
    }
    if (rc == SQLITE_DONE) {
        *error_r = errstr("journal: expected database row missing (%s)", sqlite3_sql(st));
    } else {
        *error_r = db_err(j, "journal");
    }
    db_reset(st);
    return -1;
}

/* db_step_maybe - step a statement that may return a row: *row_r says
 * whether it did (then the caller resets); resets at the end or on error */
static int db_step_maybe(struct journal *j, sqlite3_stmt *st, bool *row_r, const char **error_r)
{
    int rc = sqlite3_step(st);

    *row_r = false;
    if (rc == SQLITE_ROW) {
        *row_r = true;
        return 0;
    }
    if (rc == SQLITE_DONE) {
        db_reset(st);
        return 0;
    }
    *error_r = db_err(j, "journal");
    db_reset(st);
    return -1;
}

/* keep_forget - the links of the open transaction are now the database's (or gone) */
static void keep_forget(struct journal *j)
{
    size_t i;

    for (i = 0; i < j->n_keep_new; i++) {
        free(j->keep_new[i]);
    }
    free(j->keep_new);
    j->keep_new = NULL;
    j->n_keep_new = 0;
}

/* keep_drop - a transaction that made links failed: its rows are not kept, nor are the links
 * (a kill before this leaves them: harmless, removed with their run, see keep_remove_run) */
static void keep_drop(struct journal *j)
{
    size_t i;

    for (i = 0; i < j->n_keep_new; i++) {
        char *full = xasprintf("%s/%s", j->keep, j->keep_new[i]);
        unlink(full);
        free(full);
    }
    keep_forget(j);
}

/* keep_sync - before the rows naming them commit, the links made in the transaction are
 * durable: one fsync of the keep directory per transaction (a batch: per run) */
static int keep_sync(struct journal *j, const char **error_r)
{
    if (j->n_keep_new == 0) {
        return 0;
    }
    if (atomic_fsync_dir(j->keep, true, error_r) != 0) {
        *error_r = errstr("journal: the kept before-images: %s", *error_r);
        return -1;
    }
    return 0;
}

/* txn_begin - BEGIN IMMEDIATE (waits up to the busy timeout for other writers) */
static int txn_begin(struct journal *j, const char **error_r)
{
    if (j->batch) {
        return 0;                /* part of the batch's transaction */
    }
    if (db_step_done(j, j->stmts[STMT_BEGIN], error_r) != 0) {
        *error_r = errstr("journal %s: cannot start a write transaction: %s", j->path, *error_r);
        return -1;
    }
    return 0;
}

/* txn_commit - COMMIT; on failure the transaction is rolled back */
static int txn_commit(struct journal *j, const char **error_r)
{
    if (j->batch) {
        return 0;                /* committed by journal_batch_end */
    }
    if (keep_sync(j, error_r) != 0 || db_step_done(j, j->stmts[STMT_COMMIT], error_r) != 0) {
        const char *why = *error_r;
        if (!sqlite3_get_autocommit(j->db)) {
            sqlite3_step(j->stmts[STMT_ROLLBACK]);
            db_reset(j->stmts[STMT_ROLLBACK]);
        }
        keep_drop(j);
        *error_r = errstr("journal %s: commit failed: %s", j->path, why);
        return -1;
    }
    keep_forget(j);
    return 0;
}

/* txn_rollback - ROLLBACK if a transaction is open (errors ignored: the
 * caller is already reporting one) */
static void txn_rollback(struct journal *j)
{
    j->batch = false;            /* a failure ends a batch: nothing of it is kept */
    if (!sqlite3_get_autocommit(j->db)) {
        sqlite3_step(j->stmts[STMT_ROLLBACK]);
        db_reset(j->stmts[STMT_ROLLBACK]);
    }
    keep_drop(j);
}

/* copy_field - copy src into a fixed field, cut at a UTF-8 boundary */
static void copy_field(char *dst, size_t size, const char *src)
{
    size_t n = src != NULL ? strlen(src) : 0;

    if (n >= size) {
        n = size - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80) {
            n--;
        }
    }
    if (n > 0) {
        memcpy(dst, src, n);
    }
    dst[n] = '\0';
}

/* column_text - a text column as a C string ("" for NULL) */
static const char *column_text(sqlite3_stmt *st, int col)
{
    const unsigned char *s = sqlite3_column_text(st, col);

    return s != NULL ? (const char *)s : "";
}

/* pragma_text - run a PRAGMA that returns one row and copy its first column */
static int pragma_text(struct journal *j, const char *sql, char *out, size_t size,
                       const char **error_r)
{
    sqlite3_stmt *st = NULL;
    int rc;

    /* errors are SQLite's message alone: the callers say what they were doing */
    if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK) {
        *error_r = errstr("%s", sqlite3_errmsg(j->db));
        return -1;
    }
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        *error_r = rc == SQLITE_DONE ? errstr("%s: no result row", sql)
                                     : errstr("%s", sqlite3_errmsg(j->db));
        sqlite3_finalize(st);
        return -1;
    }
    copy_field(out, size, column_text(st, 0));
    sqlite3_finalize(st);
    return 0;
}

/* pragma_int - run a PRAGMA (or query) that returns one integer */
static int pragma_int(struct journal *j, const char *sql, int64_t *value_r, const char **error_r)
{
    char buf[32];

    if (pragma_text(j, sql, buf, sizeof(buf), error_r) != 0) {
        return -1;
    }
    *value_r = strtoll(buf, NULL, 10);
    return 0;
}

/* exec_sql - run SQL without parameters (schema, pragmas) */
static int exec_sql(struct journal *j, const char *sql, const char **error_r)
{
    char *msg = NULL;

    if (sqlite3_exec(j->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        *error_r = errstr("%s", msg != NULL ? msg : sqlite3_errmsg(j->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* identify - before anything is written: the file is an SQLite database,
 * ours or empty, and not from a newer mmfix. Sets *version_r. */
static int identify(struct journal *j, int64_t *version_r, const char **error_r)
{
    int64_t version = 0;
    int64_t appid = 0;
    int64_t objects = 0;

    *version_r = 0;
    /* the first read of the file: a corrupt or non-SQLite file fails here */
    if (pragma_int(j, "PRAGMA user_version", &version, error_r) != 0) {
        *error_r = errstr("cannot open journal %s: %s", j->path, *error_r);
        return -1;
    }
    if (pragma_int(j, "PRAGMA application_id", &appid, error_r) != 0
        || pragma_int(j, "SELECT count(*) FROM sqlite_master", &objects, error_r) != 0) {
        *error_r = errstr("cannot open journal %s: %s", j->path, *error_r);
        return -1;
    }
    if ((version > 0 && appid != JOURNAL_APPLICATION_ID) || (version == 0 && objects > 0)) {
        *error_r = errstr("%s is not an mmfix journal (another program's database)", j->path);
        return -1;
    }
    if (version > JOURNAL_SCHEMA_VERSION) {
        *error_r = errstr("journal %s has schema version %lld, newer than this mmfix knows (%d); "
                          "use a newer mmfix", j->path, (long long)version,
                          JOURNAL_SCHEMA_VERSION);
        return -1;
    }
    *version_r = version;
    return 0;
}

/* migrate - bring the schema from version to JOURNAL_SCHEMA_VERSION, one
 * step per transaction */
static int migrate(struct journal *j, int64_t version, const char **error_r)
{
    size_t i;
    int64_t objects = 0;

    if (version == JOURNAL_SCHEMA_VERSION) {
        return 0;
    }
    if (j->readonly) {
        *error_r = errstr("journal %s needs a schema upgrade (version %lld to %d) but is "
                          "read-only", j->path, (long long)version, JOURNAL_SCHEMA_VERSION);
        return -1;
    }
    for (i = 0; i < N_MIGRATIONS; i++) {
        char setver[64];
        int64_t now = 0;

        if (migrations[i].version <= version) {
            continue;
        }
        if (exec_sql(j, "BEGIN IMMEDIATE", error_r) != 0) {
            *error_r = errstr("journal %s: cannot start the schema upgrade: %s", j->path,
                              *error_r);
            return -1;
        }
        /* another process may have migrated while we waited for the lock */
        if (pragma_int(j, "PRAGMA user_version", &now, error_r) != 0) {
            goto fail;
        }
        if (now >= migrations[i].version) {
            if (exec_sql(j, "COMMIT", error_r) != 0) {
                goto fail;
            }
            version = now;
            continue;
        }
        if (now == 0) {
            /* version 0 with tables in it: some other program's database */
            if (pragma_int(j, "SELECT count(*) FROM sqlite_master", &objects, error_r) != 0) {
                goto fail;
            }
            if (objects > 0) {
                sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
                *error_r = errstr("%s is not an mmfix journal (another program's database)",
                                  j->path);
                return -1;
            }
        }
        snprintf(setver, sizeof(setver), "PRAGMA user_version = %d", migrations[i].version);
        if (exec_sql(j, migrations[i].sql, error_r) != 0 || exec_sql(j, setver, error_r) != 0
            || exec_sql(j, "COMMIT", error_r) != 0) {
            goto fail;
        }
        version = migrations[i].version;
    }
    return 0;
fail:
    {
        const char *why = *error_r;
        if (!sqlite3_get_autocommit(j->db)) {
            sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
        }
        *error_r = errstr("journal %s: schema upgrade to version %d failed: %s", j->path,
                          migrations[i].version, why);
    }
    return -1;
}

/* create_file - create a missing journal file first, so that its group
 * and mode are ours to set: its directory's group, mode 0640. It holds
 * copies of list data, clear-text passwords among them: never readable by
 * others (the group may read, as it may read config.pck). It stays the
 * running user's and writable by nobody else: a rollback, and the next
 * command after a killed run, restores whatever bytes, owner and mode it
 * records to any path in the tree, so whoever could write it could have
 * root make a set-user-ID file or rewrite a script root runs. SQLite gives
 * the -wal, -shm and -journal files the same mode and, as root, the same
 * owner and group. */
static int create_file(const char *path, const char **error_r)
{
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    const char *why = NULL;

    if (fd < 0) {
        if (errno == EEXIST) {
            return 0;
        }
        *error_r = errstr("cannot create journal %s: %s", path, strerror(errno));
        return -1;
    }
    if (atomic_own_new_fd(fd, path, 0640, false, &why) != 0) {
        *error_r = errstr("cannot create journal %s: %s", path, why);
        close(fd);
        unlink(path);
        return -1;
    }
    close(fd);
    return 0;
}

/* trusted_by_root - run as root, the journal and the -wal/-shm files SQLite reads with
 * it (and the .keep directory of its kept links) must be root's and writable by nobody
 * else: a rollback (and the next command after a killed run) restores whatever bytes,
 * owner and mode they record, so a journal the list owners' user could write (an older one made by a run as that user, or a -wal planted
 * beside it in data/) would let that user have root write anything in the tree. Refused
 * with what to do; not root: SQLite's and the file system's own checks apply. */
static int trusted_by_root(const char *path, const char **error_r)
{
    static const char *const suffixes[] = { "", "-wal", "-shm", ".keep" };
    size_t i;

    if (geteuid() != 0) {
        return 0;
    }
    for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        char *f = xasprintf("%s%s", path, suffixes[i]);
        bool dir = strcmp(suffixes[i], ".keep") == 0;   /* the kept links: keep_dir */
        struct stat st;
        const char *why = NULL;

        if (lstat(f, &st) != 0) {
            why = errno == ENOENT ? NULL : strerror(errno);
        } else if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
            why = dir ? "not a directory" : "not a regular file";
        } else if (st.st_uid != 0) {
            why = errstr("owned by uid %ld, not root", (long)st.st_uid);
        } else if (st.st_mode & 022) {
            why = errstr("writable by %s (mode %04o)", st.st_mode & 002 ? "others" : "its group",
                         (unsigned)(st.st_mode & 07777));
        }
        if (why != NULL) {
            *error_r = errstr("journal %s: %s; run as root, mmfix only reads a journal only "
                              "root can write (what it holds is put back as root): check it, "
                              "then chown root and chmod go-w, or give --journal a file in a "
                              "directory only root can write", f, why);
            free(f);
            return -1;
        }
        free(f);
    }
    return 0;
}

/* journal_open - open or create the journal */
int journal_open(const char *path, struct journal **j_r, const char **error_r)
{
    struct journal *j = NULL;
    struct stat sb;
    char mode[32];
    int64_t version = 0;
    int rc;
    size_t i;

    *j_r = NULL;
    if (lstat(path, &sb) == 0) {
        if (S_ISLNK(sb.st_mode)) {
            *error_r = errstr("journal %s is a symbolic link; refusing it", path);
            return -1;
        }
        if (!S_ISREG(sb.st_mode)) {
            *error_r = errstr("journal %s is not a regular file", path);
            return -1;
        }
    } else if (errno != ENOENT) {
        *error_r = errstr("journal %s: %s", path, strerror(errno));
        return -1;
    } else if (create_file(path, error_r) != 0) {
        return -1;
    }
    if (trusted_by_root(path, error_r) != 0) {
        return -1;
    }

    j = xcalloc(1, sizeof(*j));
    j->path = xstrdup(path);
    j->keep = xasprintf("%s.keep", path);
    if (gethostname(j->host, sizeof(j->host) - 1) != 0) {
        copy_field(j->host, sizeof(j->host), "localhost");
    }
    rc = sqlite3_open_v2(path, &j->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW,
                         NULL);
    if (rc != SQLITE_OK) {
        /* copy the message before sqlite3_close frees it */
        *error_r = errstr("cannot open journal %s: %s", path,
                          j->db != NULL ? sqlite3_errmsg(j->db) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_extended_result_codes(j->db, 1);
    /* other mmfix runs hold the write lock for milliseconds; wait for them */
    sqlite3_busy_timeout(j->db, 5000);
    j->readonly = sqlite3_db_readonly(j->db, "main") == 1;

    if (identify(j, &version, error_r) != 0) {
        goto fail;
    }
    /* WAL: readers (history) never block the writer, and a commit is one
     * append + fsync */
    if (pragma_text(j, "PRAGMA journal_mode = WAL", mode, sizeof(mode), error_r) != 0) {
        *error_r = errstr("cannot open journal %s: %s", path, *error_r);
        goto fail;
    }
    if (strcasecmp(mode, "wal") != 0 && !j->readonly) {
        *error_r = errstr("journal %s: WAL mode did not take effect (journal_mode is %s)", path,
                          mode);
        goto fail;
    }
    /* FULL: a committed before-image must survive a power loss, since the
     * files change right after the commit */
    if (exec_sql(j, "PRAGMA synchronous = FULL", error_r) != 0
        /* files rows belong to their run */
        || exec_sql(j, "PRAGMA foreign_keys = ON", error_r) != 0) {
        *error_r = errstr("journal %s: %s", path, *error_r);
        goto fail;
    }
    if (migrate(j, version, error_r) != 0) {
        goto fail;
    }
    for (i = 0; i < STMT_LAST; i++) {
        if (sqlite3_prepare_v3(j->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &j->stmts[i],
                               NULL) != SQLITE_OK) {
            *error_r = errstr("journal %s: preparing \"%s\": %s", path, stmt_sql[i],
                              sqlite3_errmsg(j->db));
            goto fail;
        }
    }
    *j_r = j;
    return 0;
fail:
    journal_close(&j);
    return -1;
}

/* journal_close - finalize every statement, close, free */
void journal_close(struct journal **jp)
{
    struct journal *j = *jp;
    size_t i;

    if (j == NULL) {
        return;
    }
    for (i = 0; i < STMT_LAST; i++) {
        sqlite3_finalize(j->stmts[i]);
    }
    if (j->db != NULL) {
        sqlite3_close(j->db);
    }
    free(j->mine);
    free(j->path);
    keep_forget(j);
    free(j->keep);
    free(j->known);
    free(j);
    *jp = NULL;
}

/* jrun_free - free the strings of a jrun */
static void jrun_free(struct jrun *r)
{
    free(r->var_prefix);
    free(r->host);
    r->var_prefix = NULL;
    r->host = NULL;
}

/* read_run - fill a jrun from a row of RUN_COLUMNS */
static void read_run(sqlite3_stmt *st, struct jrun *r)
{
    memset(r, 0, sizeof(*r));
    r->pub.id = sqlite3_column_int64(st, 0);
    copy_field(r->pub.started, sizeof(r->pub.started), column_text(st, 1));
    copy_field(r->pub.command, sizeof(r->pub.command), column_text(st, 2));
    copy_field(r->pub.status, sizeof(r->pub.status), column_text(st, 3));
    copy_field(r->pub.summary, sizeof(r->pub.summary), column_text(st, 4));
    r->var_prefix = xstrdup(column_text(st, 5));
    r->host = xstrdup(column_text(st, 6));
    r->pid = sqlite3_column_int64(st, 7);
    r->pub.files = sqlite3_column_int(st, 8);
}

/* get_run - read run id; -1 if there is none */
static int get_run(struct journal *j, int64_t run, struct jrun *r, const char **error_r)
{
    sqlite3_stmt *st = j->stmts[STMT_RUN_GET];
    bool row = false;

    if (db_bindf(j, st, error_r, "i", run) != 0 || db_step_maybe(j, st, &row, error_r) != 0) {
        return -1;
    }
    if (!row) {
        *error_r = errstr("no run %lld in the journal", (long long)run);
        return -1;
    }
    read_run(st, r);
    db_reset(st);
    return 0;
}

/* is_mine - run was begun through this handle */
static bool is_mine(const struct journal *j, int64_t run)
{
    size_t i;

    for (i = 0; i < j->n_mine; i++) {
        if (j->mine[i] == run) {
            return true;
        }
    }
    return false;
}

/* live_elsewhere - another process on this host that still runs owns the run */
static bool live_elsewhere(const struct journal *j, int64_t run, const char *host, int64_t pid)
{
    if (is_mine(j, run) || strcmp(host, j->host) != 0 || pid <= 0 || pid > INT_MAX
        || (pid_t)pid == getpid()) {
        return false;
    }
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* set_status - move run from status old to status new; -1 if it was not in old */
static int set_status(struct journal *j, int64_t run, const char *old, const char *new,
                      const char **error_r)
{
    sqlite3_stmt *st = j->stmts[STMT_RUN_SET_STATUS];

    if (db_bindf(j, st, error_r, "itt", run, old, new) != 0 || db_step_done(j, st, error_r) != 0) {
        return -1;
    }
    if (sqlite3_changes(j->db) != 1) {
        *error_r = errstr("run %lld is not '%s'", (long long)run, old);
        return -1;
    }
    return 0;
}

/* set_status_txn - set_status in its own transaction, with a clear error */
static int set_status_txn(struct journal *j, int64_t run, const char *old, const char *new,
                          const char **error_r)
{
    struct jrun r;

    if (txn_begin(j, error_r) != 0) {
        return -1;
    }
    if (set_status(j, run, old, new, error_r) != 0) {
        txn_rollback(j);
        if (get_run(j, run, &r, error_r) == 0) {
            *error_r = errstr("run %lld is '%s', not '%s'", (long long)run, r.pub.status, old);
            jrun_free(&r);
        }
        return -1;
    }
    return txn_commit(j, error_r);
}

/* journal_run_begin - insert a planned run */
int journal_run_begin(struct journal *j, const char *command, const char *var_prefix,
                      const char *summary, int64_t *run_r, const char **error_r)
{
    sqlite3_stmt *st = j->stmts[STMT_RUN_INSERT];
    int64_t id;

    *run_r = 0;
    if (txn_begin(j, error_r) != 0) {
        return -1;
    }
    if (db_bindf(j, st, error_r, "tttti", command, var_prefix, summary != NULL ? summary : "",
                 j->host, (int64_t)getpid()) != 0
        || db_step_done(j, st, error_r) != 0) {
        txn_rollback(j);
        return -1;
    }
    id = sqlite3_last_insert_rowid(j->db);
    if (txn_commit(j, error_r) != 0) {
        return -1;
    }
    j->mine = xreallocarray(j->mine, j->n_mine + 1, sizeof(*j->mine));
    j->mine[j->n_mine++] = id;
    *run_r = id;
    return 0;
}

/* kind_name - the journal's name of a kind of path ("file" for absent) */
static const char *kind_name(enum atomic_kind k)
{
    return k == ATOMIC_DIR ? "dir" : k == ATOMIC_SYMLINK ? "symlink" : "file";
}

/* kind_const - a kind read from the database, as a static string */
static const char *kind_const(const char *k)
{
    static const char *const names[] = { "file", "dir", "symlink", "move" };
    size_t i;

    for (i = 0; k != NULL && i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(k, names[i]) == 0) {
            return names[i];
        }
    }
    return "file";
}

static void jstate_free(struct jstate *s)
{
    free(s->data);
    free(s->target);
    memset(s, 0, sizeof(*s));
}

/* known_cmp - order of struct known by device and inode */
static int known_cmp(const void *a, const void *b)
{
    const struct known *x = a;
    const struct known *y = b;

    if (x->dev != y->dev) {
        return x->dev < y->dev ? -1 : 1;
    }
    return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* known_add - the regular file st is (now) the bytes whose SHA-1 is hex */
static void known_add(struct journal *j, const struct stat *st, const char hex[41])
{
    struct known *k;

    if (j->n_known == j->cap_known) {
        j->cap_known = j->cap_known != 0 ? 2 * j->cap_known : 64;
        j->known = xreallocarray(j->known, j->cap_known, sizeof(*j->known));
    }
    k = &j->known[j->n_known++];
    k->dev = st->st_dev;
    k->ino = st->st_ino;
    k->size = st->st_size;
    k->mtime = st->st_mtim;
    memcpy(k->sha1, hex, sizeof(k->sha1));
    j->known_sorted = false;
}

/* known_find - the SHA-1 of the regular file st when this handle knows it: same device,
 * inode, size and mtime as when it was learnt */
static bool known_find(struct journal *j, const struct stat *st, char hex_r[41])
{
    struct known key;
    struct known *k;

    if (j->n_known == 0) {
        return false;
    }
    if (!j->known_sorted) {
        qsort(j->known, j->n_known, sizeof(*j->known), known_cmp);
        j->known_sorted = true;
    }
    memset(&key, 0, sizeof(key));
    key.dev = st->st_dev;
    key.ino = st->st_ino;
    k = bsearch(&key, j->known, j->n_known, sizeof(*j->known), known_cmp);
    if (k == NULL) {
        return false;
    }
    /* the one of that inode with this size and mtime, if any */
    while (k > j->known && known_cmp(k - 1, &key) == 0) {
        k--;
    }
    for (; k < j->known + j->n_known && known_cmp(k, &key) == 0; k++) {
        if (k->size == st->st_size && k->mtime.tv_sec == st->st_mtim.tv_sec
            && k->mtime.tv_nsec == st->st_mtim.tv_nsec) {
            memcpy(hex_r, k->sha1, 41);
            return true;
        }
    }
    return false;
}

/* read_state - what path is now: a file with its bytes, a directory, a
 * symbolic link with its target, or absent; anything else is refused */
static int read_state(const char *path, struct jstate *s, const char **error_r)
{
    memset(s, 0, sizeof(*s));
    /* both name the path in their errors */
    if (atomic_stat(path, &s->kind, &s->m, &s->target, error_r) != 0) {
        return -1;
    }
    if (s->kind == ATOMIC_OTHER) {
        *error_r = errstr("%s: not a regular file, directory or symbolic link", path);
        return -1;
    }
    if (s->kind == ATOMIC_FILE
        && fileread_alloc(path, JOURNAL_MAX_FILE, &s->data, &s->len, NULL, error_r) != 0) {
        jstate_free(s);
        return -1;
    }
    return 0;
}

/* keep_dir - the keep directory (<journal>.keep) is there and may be used: a directory, not
 * a symbolic link, and run as root, root's and writable by nobody else (trusted_by_root says
 * why). create: make it when missing, mode 0700 (it holds links to list data: others have
 * no business in it), owned by the running user, its entry fsynced in the journal's
 * directory before any link in it is. */
static int keep_dir(struct journal *j, bool create, const char **error_r)
{
    struct stat st;
    bool made = false;

    if (j->keep_ready) {
        return 0;
    }
    if (lstat(j->keep, &st) != 0) {
        if (errno != ENOENT || !create) {
            *error_r = errstr("%s: %s", j->keep, strerror(errno));
            return -1;
        }
        /* mkdir never follows a symbolic link planted at the name: EEXIST */
        if (mkdir(j->keep, 0700) != 0 || lstat(j->keep, &st) != 0) {
            *error_r = errstr("cannot make %s: %s", j->keep, strerror(errno));
            return -1;
        }
        made = true;
    }
    if (!S_ISDIR(st.st_mode)) {
        *error_r = errstr("%s is not a directory", j->keep);
        return -1;
    }
    if (trusted_by_root(j->path, error_r) != 0) {
        return -1;
    }
    if (made) {
        char *parent = sysname_dir(j->keep);
        int rc = 0;
        /* a set-group-ID data/ gives its bit to a new directory */
        if ((st.st_mode & 07777) != 0700) {
            rc = chmod(j->keep, 0700);
            if (rc != 0) {
                *error_r = errstr("%s: chmod: %s", j->keep, strerror(errno));
            }
        }
        if (rc == 0) {
            rc = atomic_fsync_dir(parent, true, error_r);
        }
        free(parent);
        if (rc != 0) {
            return -1;
        }
    }
    j->keep_ready = true;
    return 0;
}

/* keep_link - keep the before-image cur of the regular file path (cur.len bytes, already
 * read) as a hard link: *name_r (free it) on success. Any failure (another file system,
 * EPERM of protected_hardlinks, EMLINK, a keep directory that cannot be made, the file
 * replaced while it was read) says no, and the caller copies the bytes as before: the link
 * is an optimisation, never needed for correctness. */
static bool keep_link(struct journal *j, int64_t run, const char *path, const struct jstate *cur,
                      char **name_r, struct stat *st_r)
{
    const char *err = NULL;
    struct stat st;
    char *name = NULL;
    char *full = NULL;

    *name_r = NULL;
    if (j->keep_off || cur->len < JOURNAL_KEEP_MIN) {
        return false;
    }
    if (keep_dir(j, true, &err) != 0) {
        j->keep_off = true;      /* once per handle, not once per file */
        return false;
    }
    name = xasprintf("%lld-%lu", (long long)run, ++j->keep_seq);
    full = xasprintf("%s/%s", j->keep, name);
    /* link(2) never follows a symbolic link at path */
    if (testfault_hit("journal_keep", EXDEV) || link(path, full) != 0) {
        if (errno == EXDEV) {
            j->keep_off = true;
        }
        free(full);
        free(name);
        return false;
    }
    /* the inode linked is the one read: same size, mtime, owner, group and mode */
    if (lstat(full, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size != cur->len
        || st.st_mtim.tv_sec != cur->m.mtime.tv_sec || st.st_mtim.tv_nsec != cur->m.mtime.tv_nsec
        || st.st_uid != cur->m.uid || st.st_gid != cur->m.gid
        || (st.st_mode & 07777) != (cur->m.mode & 07777)) {
        unlink(full);
        free(full);
        free(name);
        return false;
    }
    free(full);
    *st_r = st;
    j->keep_new = xreallocarray(j->keep_new, j->n_keep_new + 1, sizeof(*j->keep_new));
    j->keep_new[j->n_keep_new++] = xstrdup(name);
    *name_r = name;
    return true;
}

/* keep_remove_run - the kept links of run (<run>-*), once nothing can restore from them
 * (the run was rolled back or abandoned); links a killed recording left go too. Failures
 * leave a link behind, which only costs its disk space. */
static void keep_remove_run(struct journal *j, int64_t run)
{
    char prefix[32];
    size_t plen;
    struct dirent *e;
    DIR *d = NULL;
    int fd = open(j->keep, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0 || (d = fdopendir(fd)) == NULL) {
        if (fd >= 0) {
            close(fd);
        }
        return;
    }
    plen = (size_t)snprintf(prefix, sizeof(prefix), "%lld-", (long long)run);
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, plen) == 0) {
            unlinkat(dirfd(d), e->d_name, 0);
        }
    }
    closedir(d);
}

/* record_open - the start of recording path for run: absolute path, a
 * transaction, the run still 'planned'; *row_r: path is recorded already.
 * On failure the transaction is rolled back. */
static int record_open(struct journal *j, int64_t run, const char *path, bool *row_r,
                       const char **error_r)
{
    sqlite3_stmt *st = j->stmts[STMT_RUN_STATUS];
    bool row = false;

    *row_r = false;
    if (path[0] != '/') {
        *error_r = errstr("journal: %s: path is not absolute", path);
        return -1;
    }
    if (txn_begin(j, error_r) != 0) {
        return -1;
    }
    if (db_bindf(j, st, error_r, "i", run) != 0 || db_step_maybe(j, st, &row, error_r) != 0) {
        goto fail;
    }
    if (!row) {
        *error_r = errstr("no run %lld in the journal", (long long)run);
        goto fail;
    }
    if (strcmp(column_text(st, 0), "planned") != 0) {
        *error_r = errstr("run %lld is '%s': paths are recorded before it starts",
                          (long long)run, column_text(st, 0));
        db_reset(st);
        goto fail;
    }
    db_reset(st);
    st = j->stmts[STMT_FILE_FIND];
    if (db_bindf(j, st, error_r, "it", run, path) != 0 || db_step_maybe(j, st, row_r, error_r) != 0) {
        goto fail;
    }
    if (*row_r) {
        db_reset(st);
    }
    return 0;
fail:
    txn_rollback(j);
    return -1;
}

/* record_close - commit (ret 0) or roll back what record_open began */
static int record_close(struct journal *j, int ret, const char **error_r)
{
    if (ret == 0) {
        ret = txn_commit(j, error_r);
    } else {
        txn_rollback(j);
    }
    return ret;
}

/* journal_record_before - save the before-image of path for run */
int journal_record_before(struct journal *j, int64_t run, const char *path, const char **error_r)
{
    sqlite3_stmt *st = j->stmts[STMT_FILE_INSERT];
    struct jstate cur;
    bool row = false;
    int ret = -1;

    if (record_open(j, run, path, &row, error_r) != 0) {
        return -1;
    }
    if (row) {
        return record_close(j, 0, error_r);    /* already recorded */
    }
    if (read_state(path, &cur, error_r) == 0) {
        char *keep = NULL;
        char hex[41] = "";
        struct stat kept;
        /* a large file: a hard link and its size and SHA-1, not a copy (schema 4) */
        if (cur.m.exists && cur.kind == ATOMIC_FILE
            && keep_link(j, run, path, &cur, &keep, &kept)) {
            sha1_of(cur.data, cur.len, hex);
            known_add(j, &kept, hex);
        }
        if (db_bindf(j, st, error_r, keep != NULL ? "itibiiiiitttit" : "itibiiiiittnnn", run,
                     path, (int64_t)cur.m.exists,
                     cur.m.exists ? (const void *)(cur.data != NULL && keep == NULL ? cur.data
                                                                                     : "")
                                  : NULL,
                     keep != NULL ? (size_t)0 : cur.len, (int64_t)cur.m.mode,
                     (int64_t)cur.m.uid, (int64_t)cur.m.gid, (int64_t)cur.m.mtime.tv_sec,
                     (int64_t)cur.m.mtime.tv_nsec, kind_name(cur.kind), cur.target, keep,
                     (int64_t)cur.len, hex) == 0
            && db_step_done(j, st, error_r) == 0) {
            ret = 0;
        }
        free(keep);
        jstate_free(&cur);
    }
    return record_close(j, ret, error_r);
}

/* journal_record_move - the run will rename directory from to `to` */
int journal_record_move(struct journal *j, int64_t run, const char *from, const char *to,
                        const char **error_r)
{
    sqlite3_stmt *st = j->stmts[STMT_FILE_INSERT];
    bool row = false;
    int ret = -1;

    if (to[0] != '/') {
        *error_r = errstr("journal: %s -> %s: path is not absolute", from, to);
        return -1;
    }
    if (record_open(j, run, from, &row, error_r) != 0) {
        return -1;
    }
    if (row) {
        *error_r = errstr("journal: %s is recorded twice in run %lld", from, (long long)run);
    } else if (db_bindf(j, st, error_r, "itibiiiiittnnn", run, from, (int64_t)1, "",
                        (size_t)0, (int64_t)0, (int64_t)0, (int64_t)0, (int64_t)0, (int64_t)0,
                        "move", to) == 0
               && db_step_done(j, st, error_r) == 0) {
        ret = 0;
    }
    return record_close(j, ret, error_r);
}

/* journal_batch_begin - one transaction for many records */
int journal_batch_begin(struct journal *j, const char **error_r)
{
    if (j->batch) {
        *error_r = errstr("journal: a batch is already open");
        return -1;
    }
    if (txn_begin(j, error_r) != 0) {
        return -1;
    }
    j->batch = true;
    return 0;
}

/* journal_batch_end - commit (or drop) the batch */
int journal_batch_end(struct journal *j, bool commit, const char **error_r)
{
    if (!j->batch) {
        if (commit) {
            *error_r = errstr("journal: the batch failed and was not kept");
            return -1;
        }
        return 0;
    }
    j->batch = false;
    if (!commit) {
        txn_rollback(j);
        return 0;
    }
    return txn_commit(j, error_r);
}

/* journal_run_start - planned -> applying */
int journal_run_start(struct journal *j, int64_t run, const char **error_r)
{
    return set_status_txn(j, run, "planned", "applying", error_r);
}

/* jfiles_free - free a list of jfile */
static void jfiles_free(struct jfile *files, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(files[i].path);
        free(files[i].before_target);
        free(files[i].after_target);
    }
    free(files);
}

/* load_files - the files of run, newest recording first, without their bytes */
static int load_files(struct journal *j, int64_t run, struct jfile **files_r, size_t *n_r,
                      const char **error_r)
{
    sqlite3_stmt *st = j->stmts[STMT_FILES_OF_RUN];
    struct jfile *files = NULL;
    size_t n = 0;
    int rc;

    *files_r = NULL;
    *n_r = 0;
    if (db_bindf(j, st, error_r, "i", run) != 0) {
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct jfile *f = NULL;
        files = xreallocarray(files, n + 1, sizeof(*files));
        f = &files[n++];
        memset(f, 0, sizeof(*f));
        f->id = sqlite3_column_int64(st, 0);
        f->path = xstrdup(column_text(st, 1));
        f->before.exists = sqlite3_column_int(st, 2) != 0;
        f->before.mode = (mode_t)sqlite3_column_int64(st, 3);
        f->before.uid = (uid_t)sqlite3_column_int64(st, 4);
        f->before.gid = (gid_t)sqlite3_column_int64(st, 5);
        f->before.mtime.tv_sec = (time_t)sqlite3_column_int64(st, 6);
        f->before.mtime.tv_nsec = (long)sqlite3_column_int64(st, 7);
        f->after_recorded = sqlite3_column_int(st, 8) != 0;
        f->after.exists = sqlite3_column_int(st, 9) != 0;
        f->after.mode = (mode_t)sqlite3_column_int64(st, 10);
        f->after.uid = (uid_t)sqlite3_column_int64(st, 11);
        f->after.gid = (gid_t)sqlite3_column_int64(st, 12);
        f->kind = kind_const(column_text(st, 13));
        f->after_kind = kind_const(column_text(st, 14));
        if (sqlite3_column_type(st, 15) != SQLITE_NULL) {
            f->before_target = xstrdup(column_text(st, 15));
        }
        if (sqlite3_column_type(st, 16) != SQLITE_NULL) {
            f->after_target = xstrdup(column_text(st, 16));
        }
        f->kept = sqlite3_column_int(st, 17) != 0;
    }
    if (rc != SQLITE_DONE) {
        *error_r = db_err(j, "journal: reading the files of a run");
        db_reset(st);
        jfiles_free(files, n);
        return -1;
    }
    db_reset(st);
    *files_r = files;
    *n_r = n;
    return 0;
}

/* move_state - where a recorded move stands: 1 done (the destination is
 * there, the source is not), 0 not done (the source is there, or neither
 * is: a move inside a directory whose own move was not done or was undone
 * first), -1 both are there (someone made one of them since) */
static int move_state(const struct jfile *f)
{
    struct stat a;
    struct stat b;
    bool from = lstat(f->path, &a) == 0;
    bool to = lstat(f->before_target, &b) == 0;

    return from && to ? -1 : to ? 1 : 0;
}

/* known_state - path is a regular file whose SHA-1 this handle knows (known_find): its
 * state, without its bytes, and the digest */
static bool known_state(struct journal *j, const char *path, struct jstate *s, char hex_r[41])
{
    struct stat st;

    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || !known_find(j, &st, hex_r)) {
        return false;
    }
    memset(s, 0, sizeof(*s));
    s->kind = ATOMIC_FILE;
    s->m.exists = true;
    s->m.mode = st.st_mode & 07777;
    s->m.uid = st.st_uid;
    s->m.gid = st.st_gid;
    s->m.mtime = st.st_mtim;
    s->len = (size_t)st.st_size;
    return true;
}

/* journal_note_written - see journal.h */
void journal_note_written(struct journal *j, const char *path, const void *data, size_t len,
                          const char *sha1)
{
    struct stat st;
    char hex[41];

    if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == len) {
        if (sha1 != NULL && strnlen(sha1, 41) == 40) {
            memcpy(hex, sha1, sizeof(hex));
        } else {
            sha1_of(data, len, hex);
        }
        known_add(j, &st, hex);
    }
}

/* journal_record_after - save the after-image of every file of run */
int journal_record_after(struct journal *j, int64_t run, const char **error_r)
{
    sqlite3_stmt *st = j->stmts[STMT_FILE_SET_AFTER];
    struct jfile *files = NULL;
    struct jrun r;
    size_t n = 0;
    size_t i;
    int ret = -1;

    if (testfault_hit("journal_after", EIO)) {
        *error_r = errstr("journal: recording the after-images: injected fault (test)");
        return -1;
    }
    memset(&r, 0, sizeof(r));
    if (txn_begin(j, error_r) != 0) {
        return -1;
    }
    if (get_run(j, run, &r, error_r) != 0) {
        goto out;
    }
    if (strcmp(r.pub.status, "applying") != 0) {
        *error_r = errstr("run %lld is '%s', not 'applying': no after-images recorded",
                          (long long)run, r.pub.status);
        goto out;
    }
    if (load_files(j, run, &files, &n, error_r) != 0) {
        goto out;
    }
    for (i = 0; i < n; i++) {
        struct jstate cur;
        char hex[41];
        int rc;

        if (strcmp(files[i].kind, "move") == 0) {
            /* a move's after-state: done (1) or not (0); see move_state */
            rc = db_bindf(j, st, error_r, "iiiiitnnn", files[i].id,
                          (int64_t)(move_state(&files[i]) == 1), (int64_t)0, (int64_t)0,
                          (int64_t)0, "move");
        } else {
            /* a file: its size and digest (schema 3), known without reading it when this
             * run wrote it or kept its inode */
            bool known = known_state(j, files[i].path, &cur, hex);
            bool file;
            if (!known && read_state(files[i].path, &cur, error_r) != 0) {
                goto out;
            }
            file = cur.m.exists && cur.kind == ATOMIC_FILE;
            if (file && !known) {
                sha1_of(cur.data, cur.len, hex);
            }
            rc = db_bindf(j, st, error_r, "iiiiittit", files[i].id, (int64_t)cur.m.exists,
                          (int64_t)cur.m.mode, (int64_t)cur.m.uid, (int64_t)cur.m.gid,
                          kind_name(cur.kind), cur.target, (int64_t)cur.len,
                          file ? hex : NULL);
            if (rc == 0) {
                rc = db_step_done(j, st, error_r);     /* before cur's texts go */
            }
            jstate_free(&cur);
            if (rc != 0) {
                goto out;
            }
            continue;
        }
        if (rc == 0) {
            rc = db_step_done(j, st, error_r);
        }
        if (rc != 0) {
            goto out;
        }
    }
    ret = 0;
out:
    if (ret == 0) {
        ret = txn_commit(j, error_r);
    } else {
        txn_rollback(j);
    }
    jfiles_free(files, n);
    jrun_free(&r);
    return ret;
}

/* journal_run_finish - applying -> done or failed */
int journal_run_finish(struct journal *j, int64_t run, const char *status, const char **error_r)
{
    if (strcmp(status, "done") != 0 && strcmp(status, "failed") != 0) {
        *error_r = errstr("journal: a run finishes 'done' or 'failed', not '%s'", status);
        return -1;
    }
    return set_status_txn(j, run, "applying", status, error_r);
}

/* journal_runs - all runs, newest first */
int journal_runs(struct journal *j, struct journal_run **runs_r, size_t *n_r, const char **error_r)
{
    sqlite3_stmt *st = j->stmts[STMT_RUNS_ALL];
    struct journal_run *runs = NULL;
    size_t n = 0;
    int rc;

    *runs_r = NULL;
    *n_r = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct jrun r;
        read_run(st, &r);
        runs = xreallocarray(runs, n + 1, sizeof(*runs));
        runs[n++] = r.pub;
        jrun_free(&r);
    }
    if (rc != SQLITE_DONE) {
        *error_r = db_err(j, "journal: listing runs");
        db_reset(st);
        free(runs);
        return -1;
    }
    db_reset(st);
    *runs_r = runs;
    *n_r = n;
    return 0;
}

/* journal_run_get - one run */
int journal_run_get(struct journal *j, int64_t run, struct journal_run *out, const char **error_r)
{
    struct jrun r;

    if (get_run(j, run, &r, error_r) != 0) {
        return -1;
    }
    *out = r.pub;
    jrun_free(&r);
    return 0;
}

/* journal_run_summary - the full summary of run */
int journal_run_summary(struct journal *j, int64_t run, char **summary_r, const char **error_r)
{
    sqlite3_stmt *st = j->stmts[STMT_RUN_GET];

    *summary_r = NULL;
    if (db_bindf(j, st, error_r, "i", run) != 0 || db_step_row(j, st, error_r) != 0) {
        *error_r = errstr("no run %lld in the journal (%s)", (long long)run, *error_r);
        return -1;
    }
    *summary_r = xstrdup(column_text(st, 4));
    db_reset(st);
    return 0;
}

/* A regular file's before-image as the journal holds it: the bytes of a blob (in the
 * statement's row until image_release) or of a kept link (read into owned), or, asked for
 * no bytes, a kept link's recorded size and SHA-1 */
struct jimage {
    const void *data;
    size_t len;
    char *owned;
    bool kept;
    int64_t size;                /* a kept link's recorded size and SHA-1 */
    char sha1[41];
    const char *refused;         /* a kept link that is missing or not the before-image */
    sqlite3_stmt *st;
};

static void image_release(struct jimage *img)
{
    if (img->st != NULL) {
        db_reset(img->st);
    }
    free(img->owned);
    memset(img, 0, sizeof(*img));
}

/* before_image - the one reader of a regular file's before-image (f of kind "file" that
 * existed). bytes: read them (a kept link is opened without following a symbolic link,
 * read, and must have the recorded size and SHA-1: Mailman's user, who owns the inode, can
 * write it in place through another name, as config.pck.last; otherwise img->refused says
 * why and nothing is to be restored from it). Not bytes: a kept link's size and SHA-1 only.
 * -1 only for errors of the journal itself. */
static int before_image(struct journal *j, const struct jfile *f, bool bytes,
                        struct jimage *img, const char **error_r)
{
    sqlite3_stmt *st = j->stmts[STMT_FILE_BEFORE_DATA];
    enum fileread_status status = FILEREAD_OK;
    const char *err = NULL;
    char *full = NULL;
    char hex[41];

    memset(img, 0, sizeof(*img));
    if (db_bindf(j, st, error_r, "i", f->id) != 0 || db_step_row(j, st, error_r) != 0) {
        return -1;
    }
    img->st = st;
    if (sqlite3_column_type(st, 1) == SQLITE_NULL) {
        img->data = sqlite3_column_blob(st, 0);
        img->len = (size_t)sqlite3_column_bytes(st, 0);
        if (img->data == NULL && img->len == 0 && sqlite3_errcode(j->db) == SQLITE_NOMEM) {
            *error_r = db_err(j, "journal: reading a before-image");
            image_release(img);
            return -1;
        }
        if (img->data == NULL) {
            img->data = "";
        }
        return 0;
    }
    img->kept = true;
    img->size = sqlite3_column_int64(st, 2);
    copy_field(img->sha1, sizeof(img->sha1), column_text(st, 3));
    full = xasprintf("%s/%s", j->keep, column_text(st, 1));
    db_reset(st);
    img->st = NULL;
    if (!bytes) {
        free(full);
        return 0;
    }
    if (keep_dir(j, false, &err) != 0) {
        img->refused = errstr("its before-image was kept as %s, and %s", full, err);
    } else if (fileread_alloc(full, JOURNAL_MAX_FILE, &img->owned, &img->len, &status, &err)
               != 0) {
        img->refused = status == FILEREAD_MISSING
                           ? errstr("its before-image was kept as %s, which is gone", full)
                           : errstr("its before-image cannot be read: %s", err);
    } else {
        sha1_of(img->owned, img->len, hex);
        if ((int64_t)img->len != img->size || strcmp(hex, img->sha1) != 0) {
            img->refused = errstr("its before-image, kept as %s, was written in place since "
                                  "(%zu bytes, SHA-1 %s; recorded %lld bytes, %s): it is not "
                                  "the before-image any more", full, img->len, hex,
                                  (long long)img->size, img->sha1);
        }
        img->data = img->owned;
    }
    if (img->refused != NULL) {
        free(img->owned);
        img->owned = NULL;
        img->data = NULL;
        img->len = 0;
    }
    free(full);
    return 0;
}

/* image_refusal - *why_r: why f cannot be restored from its before-image (a kept link missing
 * or written in place), NULL when it can; refused even when forced */
static int image_refusal(struct journal *j, const struct jfile *f, const char **why_r,
                         const char **error_r)
{
    struct jimage img;

    *why_r = NULL;
    if (!f->kept || strcmp(f->kind, "file") != 0 || !f->before.exists) {
        return 0;                /* a copy in the journal: as intact as the journal */
    }
    if (before_image(j, f, true, &img, error_r) != 0) {
        return -1;
    }
    *why_r = img.refused;
    image_release(&img);
    return 0;
}

/* same_digest - the file cur has size bytes with this SHA-1 */
static bool same_digest(const struct jstate *cur, int64_t size, const char *sha1)
{
    char hex[41];

    if (size < 0 || (uint64_t)size != cur->len) {
        return false;
    }
    sha1_of(cur->data, cur->len, hex);
    return strcmp(hex, sha1) == 0;
}

/* same_as_image - current state cur of f equals its before or after image
 * (a file's bytes, mode, owner, group; a directory's mode, owner, group; a
 * link's target) */
static int same_as_image(struct journal *j, const struct jfile *f, bool after,
                         const struct jstate *cur, bool *same_r, const char **error_r)
{
    const struct atomic_meta *img = after ? &f->after : &f->before;
    const char *kind = after ? f->after_kind : f->kind;
    sqlite3_stmt *st = j->stmts[STMT_FILE_AFTER_DATA];
    const void *blob = NULL;
    size_t n;

    *same_r = false;
    if (strcmp(f->kind, "move") == 0) {
        *same_r = move_state(f) == (after ? 1 : 0);
        return 0;
    }
    if (cur->m.exists != img->exists) {
        return 0;
    }
    if (!cur->m.exists) {
        *same_r = true;
        return 0;
    }
    if (strcmp(kind_name(cur->kind), kind) != 0) {
        return 0;
    }
    if (cur->kind == ATOMIC_SYMLINK) {
        const char *t = after ? f->after_target : f->before_target;
        *same_r = t != NULL && cur->target != NULL && strcmp(t, cur->target) == 0;
        return 0;
    }
    if (cur->m.mode != img->mode || cur->m.uid != img->uid || cur->m.gid != img->gid) {
        return 0;
    }
    if (cur->kind == ATOMIC_DIR) {
        *same_r = true;
        return 0;
    }
    if (!after) {
        /* a kept link's size and SHA-1 say what the before-image is */
        struct jimage bi;
        if (before_image(j, f, false, &bi, error_r) != 0) {
            return -1;
        }
        *same_r = bi.kept ? same_digest(cur, bi.size, bi.sha1)
                          : bi.len == cur->len && (bi.len == 0
                                                   || memcmp(bi.data, cur->data, bi.len) == 0);
        image_release(&bi);
        return 0;
    }
    if (db_bindf(j, st, error_r, "i", f->id) != 0 || db_step_row(j, st, error_r) != 0) {
        return -1;
    }
    if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
        /* schema 3: the size and SHA-1 of the file the run left */
        *same_r = same_digest(cur, sqlite3_column_int64(st, 1), column_text(st, 2));
        db_reset(st);
        return 0;
    }
    blob = sqlite3_column_blob(st, 0);
    n = (size_t)sqlite3_column_bytes(st, 0);
    if (n == cur->len && (n == 0 || memcmp(blob, cur->data, n) == 0)) {
        *same_r = true;
    } else if (blob == NULL && n == 0 && sqlite3_errcode(j->db) == SQLITE_NOMEM) {
        *error_r = db_err(j, "journal: reading an image");
        db_reset(st);
        return -1;
    }
    db_reset(st);
    return 0;
}

/* file_refusal - *why_r: NULL when f may be restored, else why not */
static int file_refusal(struct journal *j, const struct jfile *f, bool check, int64_t run,
                        const char **why_r, const char **error_r)
{
    struct jstate cur;
    const char *err = NULL;
    bool same = false;

    *why_r = NULL;
    if (!check) {
        return 0;
    }
    if (!f->after_recorded) {
        *why_r = "no after-image was recorded";
        return 0;
    }
    if (read_state(f->path, &cur, &err) != 0) {
        *why_r = errstr("cannot read it: %s", err);
        return 0;
    }
    if (same_as_image(j, f, true, &cur, &same, error_r) != 0
        || (!same && same_as_image(j, f, false, &cur, &same, error_r) != 0)) {
        jstate_free(&cur);
        return -1;
    }
    jstate_free(&cur);
    if (!same) {
        *why_r = errstr("changed since run %lld", (long long)run);
    }
    return 0;
}

/* same_root - the run's var prefix and root name the same directory */
static bool same_root(const char *a, const char *b)
{
    char *ra = NULL;
    char *rb = NULL;
    bool same;

    if (strcmp(a, b) == 0) {
        return true;
    }
    ra = realpath(a, NULL);
    rb = realpath(b, NULL);
    same = ra != NULL && rb != NULL && strcmp(ra, rb) == 0;
    free(ra);
    free(rb);
    return same;
}

typedef void report_fn(void *ctx, const char *path, const char *action);

/* untrusted_refusal - an interrupted run's file that someone else may have
 * written since (its list's lock was not held all along): restored only
 * when it is still in its before-state, i.e. when nothing needs restoring */
static int untrusted_refusal(struct journal *j, const struct jfile *f, const char **why_r,
                             const char **error_r)
{
    struct jstate cur;
    const char *err = NULL;
    bool same = false;

    *why_r = NULL;
    if (read_state(f->path, &cur, &err) != 0) {
        *why_r = errstr("cannot read it: %s", err);
        return 0;
    }
    if (same_as_image(j, f, false, &cur, &same, error_r) != 0) {
        jstate_free(&cur);
        return -1;
    }
    jstate_free(&cur);
    if (!same) {
        *why_r = "its list's lock was not held since the run stopped, so Mailman may have "
                 "saved it";
    }
    return 0;
}

/* rollback_prepare - check run and its files; reports per file when
 * report_all, else only refusals. *files_r is set for restoring. */
static int rollback_prepare(struct journal *j, int64_t run, const char *root, bool force,
                            const struct journal_guard *guard, report_fn *report, void *ctx,
                            bool report_all, struct jrun *r, struct jfile **files_r,
                            size_t *n_r, const char **error_r)
{
    struct strbuf refused = STRBUF_INIT;
    struct jfile *files = NULL;
    size_t n = 0;
    size_t n_refused = 0;
    size_t n_damaged = 0;
    size_t i;
    bool check;
    int ret = -1;

    *files_r = NULL;
    *n_r = 0;
    if (get_run(j, run, r, error_r) != 0) {
        return -1;
    }
    if (strcmp(r->pub.status, "rolled-back") == 0) {
        *error_r = errstr("run %lld was already rolled back", (long long)run);
        goto out;
    }
    if (strcmp(r->pub.status, "abandoned") == 0) {
        *error_r = errstr("run %lld was abandoned before it changed anything", (long long)run);
        goto out;
    }
    if ((strcmp(r->pub.status, "applying") == 0 || strcmp(r->pub.status, "rolling-back") == 0)
        && live_elsewhere(j, run, r->host, r->pid)) {
        *error_r = errstr("run %lld is '%s' by process %lld, which is still running",
                          (long long)run, r->pub.status, (long long)r->pid);
        goto out;
    }
    if (!same_root(r->var_prefix, root)) {
        *error_r = errstr("run %lld was made in %s, not in %s", (long long)run, r->var_prefix,
                          root);
        goto out;
    }
    if (strcmp(r->pub.status, "planned") == 0) {
        ret = 0;                 /* nothing was changed: nothing to restore */
        goto out;
    }
    /* an interrupted run's files are in an unknown state by definition */
    check = !force && strcmp(r->pub.status, "applying") != 0
            && strcmp(r->pub.status, "rolling-back") != 0;
    if (load_files(j, run, &files, &n, error_r) != 0) {
        goto out;
    }
    for (i = 0; i < n; i++) {
        const char *why = NULL;
        /* a before-image that is not intact is never restored, forced or not */
        if (image_refusal(j, &files[i], &why, error_r) != 0) {
            goto out;
        }
        if (why != NULL) {
            n_damaged++;
        } else if (file_refusal(j, &files[i], check, run, &why, error_r) != 0) {
            goto out;
        }
        if (why == NULL && guard != NULL && !guard->trusted(guard->ctx, files[i].path)
            && untrusted_refusal(j, &files[i], &why, error_r) != 0) {
            goto out;
        }
        if (why != NULL) {
            strbuf_addf(&refused, "%s%s (%s)", n_refused > 0 ? "; " : "", files[i].path, why);
            n_refused++;
            if (report != NULL) {
                report(ctx, files[i].path, "refuse");
            }
        } else if (report != NULL && report_all) {
            report(ctx, files[i].path, files[i].before.exists ? "restore" : "remove");
        }
    }
    if (n_damaged > 0) {
        *error_r = errstr("%zu file%s of run %lld cannot be restored, nothing was restored "
                          "(not even forced: mmfix never puts back bytes that are not the "
                          "before-image): %s", n_refused, n_refused == 1 ? "" : "s",
                          (long long)run, strbuf_cstr(&refused));
        goto out;
    }
    if (n_refused > 0) {
        *error_r = errstr("%zu file%s changed since run %lld, nothing was restored (force to "
                          "roll back anyway): %s", n_refused, n_refused == 1 ? "" : "s",
                          (long long)run, strbuf_cstr(&refused));
        goto out;
    }
    ret = 0;
out:
    strbuf_release(&refused);
    if (ret == 0) {
        *files_r = files;
        *n_r = n;
    } else {
        jfiles_free(files, n);
        jrun_free(r);
    }
    return ret;
}

/* journal_rollback_check - a dry run of journal_rollback */
int journal_rollback_check(struct journal *j, int64_t run, const char *root, bool force,
                           void (*report)(void *ctx, const char *path, const char *action),
                           void *ctx, const char **error_r)
{
    struct jfile *files = NULL;
    struct jrun r;
    size_t n = 0;

    if (rollback_prepare(j, run, root, force, NULL, report, ctx, true, &r, &files, &n,
                         error_r) != 0) {
        return -1;
    }
    jfiles_free(files, n);
    jrun_free(&r);
    return 0;
}

/* set_owner - record who works on run now (in the current transaction) */
static int set_owner(struct journal *j, int64_t run, const char *host, int64_t pid,
                     const char **error_r)
{
    sqlite3_stmt *st = j->stmts[STMT_RUN_SET_OWNER];

    return db_bindf(j, st, error_r, "iti", run, host, pid) == 0 ? db_step_done(j, st, error_r)
                                                                : -1;
}

/* restore_one - put back the before-image of f */
static int restore_one(struct journal *j, const struct jfile *f, const char *root,
                       const char **error_r)
{
    struct jimage img;
    int rc;

    if (strcmp(f->kind, "move") == 0) {
        switch (move_state(f)) {
        case 0:
            return 0;            /* never done */
        case 1:
            return atomic_move_whole(root, f->before_target, f->path, error_r);
        default:
            *error_r = errstr("%s was moved to %s, and now both exist", f->path,
                              f->before_target);
            return -1;
        }
    }
    if (!f->before.exists) {
        struct stat cur;
        if (lstat(f->path, &cur) == 0 && S_ISDIR(cur.st_mode)) {
            return atomic_rmdir(root, f->path, error_r);
        }
        return atomic_restore(root, f->path, "", 0, &f->before, error_r);
    }
    if (strcmp(f->kind, "dir") == 0) {
        return atomic_restore_dir(root, f->path, &f->before, error_r);
    }
    if (strcmp(f->kind, "symlink") == 0) {
        return atomic_restore_symlink(root, f->path,
                                      f->before_target != NULL ? f->before_target : "",
                                      &f->before, error_r);
    }
    if (before_image(j, f, true, &img, error_r) != 0) {
        return -1;
    }
    if (img.refused != NULL) {
        /* checked before anything was restored; changed since */
        *error_r = errstr("not restored: %s", img.refused);
        image_release(&img);
        return -1;
    }
    rc = atomic_restore(root, f->path, img.data, img.len, &f->before, error_r);
    image_release(&img);
    return rc;
}

/* journal_rollback - restore the before-images of run */
int journal_rollback(struct journal *j, int64_t run, const char *root, bool force,
                     void (*report)(void *ctx, const char *path, const char *action), void *ctx,
                     const char **error_r)
{
    return journal_rollback_guarded(j, run, root, force, NULL, report, ctx, error_r);
}



/* journal_rollback_guarded - journal_rollback, refusing untrusted files that changed */
int journal_rollback_guarded(struct journal *j, int64_t run, const char *root, bool force,
                             const struct journal_guard *guard,
                             void (*report)(void *ctx, const char *path, const char *action),
                             void *ctx, const char **error_r)
{
    struct jfile *files = NULL;
    struct jrun r;
    const char *err2 = NULL;

    if (testfault_hit("journal_rollback", EIO)) {
        *error_r = errstr("journal: rolling back: injected fault (test)");
        return -1;
    }
    size_t n = 0;
    size_t i;
    int ret = -1;

    if (rollback_prepare(j, run, root, force, guard, report, ctx, false, &r, &files, &n,
                         error_r) != 0) {
        return -1;
    }
    if (strcmp(r.pub.status, "planned") == 0) {
        ret = set_status_txn(j, run, "planned", "abandoned", error_r);
        if (ret == 0) {
            keep_remove_run(j, run);
        }
        goto out;
    }
    /* mark it, so that a kill while restoring is found by journal_interrupted */
    if (txn_begin(j, error_r) != 0) {
        goto out;
    }
    if (set_status(j, run, r.pub.status, "rolling-back", error_r) != 0
        || set_owner(j, run, j->host, (int64_t)getpid(), error_r) != 0) {
        txn_rollback(j);
        *error_r = errstr("run %lld: %s (changed by another process?)", (long long)run,
                          *error_r);
        goto out;
    }
    if (txn_commit(j, error_r) != 0) {
        goto out;
    }
    for (i = 0; i < n; i++) {
        if (restore_one(j, &files[i], root, error_r) != 0) {
            const char *why = errstr("restoring %s: %s; %zu of %zu files restored, run %lld "
                                     "left '%s' (roll it back again)", files[i].path, *error_r,
                                     i, n, (long long)run, r.pub.status);
            /* back to where it was, so it can be rolled back again */
            if (txn_begin(j, &err2) == 0) {
                if (set_status(j, run, "rolling-back", r.pub.status, &err2) == 0
                    && set_owner(j, run, r.host, r.pid, &err2) == 0) {
                    txn_commit(j, &err2);
                } else {
                    txn_rollback(j);
                }
            }
            *error_r = why;
            goto out;
        }
        if (report != NULL) {
            report(ctx, files[i].path, files[i].before.exists ? "restore" : "remove");
        }
    }
    ret = set_status_txn(j, run, "rolling-back", "rolled-back", error_r);
    if (ret == 0) {
        /* the before-images are back in place: nothing restores from the links again */
        keep_remove_run(j, run);
    }
out:
    jfiles_free(files, n);
    jrun_free(&r);
    return ret;
}

/* journal_interrupted - the oldest run a killed process left unfinished */
int journal_interrupted(struct journal *j, int64_t *run_r, const char **error_r)
{
    sqlite3_stmt *st = j->stmts[STMT_RUNS_UNFINISHED];
    int rc;

    *run_r = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        int64_t pid = sqlite3_column_int64(st, 2);
        /* the text stays valid until the next step: live_elsewhere does not use the db */
        if (!is_mine(j, id) && !live_elsewhere(j, id, column_text(st, 1), pid)) {
            *run_r = id;
            break;
        }
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        *error_r = db_err(j, "journal: looking for interrupted runs");
        db_reset(st);
        return -1;
    }
    db_reset(st);
    return 0;
}
