#ifndef MMFIX_QFILES_H
#define MMFIX_QFILES_H

/*
 * The queue step of `update`, as Mailman 2.1.39's bin/update (update_qfiles,
 * dequeue, Switchboard.enqueue) does it: every queue entry older than
 * Mailman 2.1.5 becomes one <repr(received_time)>+<sha1 hex>.pck holding
 * two pickles, the message and the metadata.
 *  - 2.0's queue: qfiles/<sha>.msg (the message text) beside
 *    qfiles/<sha>.db (a marshal dict) becomes an entry of qfiles/in/;
 *  - a 2.1 queue before 2.1.5: qfiles/<queue>/<base>.db beside <base>.msg
 *    (text) or <base>.pck (the pickled message) becomes an entry of the
 *    same queue. A .pck alone is already current and is left alone.
 * The metadata is the old dict with `filebase` dropped (schema version 2),
 * `received_time` from its repr() text (or the time of the run when
 * absent), `rejection-notice` renamed `rejection_notice`, `version` 3
 * (QFILE_SCHEMA_VERSION), the volatile `_` keys dropped. A text message is
 * kept as its exact text with `_parsemsg` True, the form Switchboard writes
 * for plain-text messages, so dequeue() parses it as update_qfiles would
 * have; a pickled message is kept byte for byte (`_parsemsg` False) once
 * the restricted unpickler has loaded it as a Mailman.Message.Message (or
 * a str). A pure step: reads the disk, writes nothing.
 *
 * No queued message is lost: the new entry is written before the old files
 * are deleted, and an entry that cannot be converted (a .db that is no
 * marshal dict, a message without its .db or the reverse, a pickle the
 * restricted unpickler refuses or that is no message, a file that is not a
 * regular file, a symbolic link, text too large) is moved to qfiles/bad/
 * under its own name, unchanged, with a note (code qfile-bad) that names it
 * and says why. Symbolic links are never followed or read (a link entry is
 * made again in bad/ with the same target). .bak files (being handled by a
 * queue runner) are kept and reported (qfile-bak); Mailman deletes them.
 *
 * Mailman's queue runners must be stopped while this runs (bin/update
 * assumes so too): qfiles/ has no list lock.
 */

#include <stdbool.h>

#include "mmfix/plan.h"
#include "mmfix/strbuf.h"
#include "mmfix/value.h"

struct install;
struct site_settings;

/* The 2.1.39 metadata schema version written (Version.py QFILE_SCHEMA_VERSION) */
#define QFILES_SCHEMA_VERSION 3
/* Message text above this size is moved to bad/ rather than read */
#define QFILES_MAX_MSG ((size_t)64 * 1024 * 1024)
/* A .db metadata file above this size is not metadata */
#define QFILES_MAX_DB ((size_t)4 * 1024 * 1024)

/* qfiles_entry_make - an old entry's bytes made into the new entry's, as update_qfiles and
 * Switchboard.enqueue make it: db (its .db, a marshal dict) and msg (its .msg text, or its
 * .pck when pickled). out gets the first pickle (the message), *meta_r the metadata (in a; the
 * second pickle is its pickle_write), *rcvtime_r its received_time (now when it has none).
 * false with *why_r when Mailman could not use the entry. Reads no file (fuzzed alone). */
bool qfiles_entry_make(struct value_arena *a, const char *db, size_t db_len, const char *msg,
                       size_t msg_len, bool pickled, double now, struct strbuf *out,
                       struct value **meta_r, double *rcvtime_r, const char **why_r);

/* qfiles_entry_name - the entry's file name, as Switchboard makes it:
 * <repr(rcvtime)>+<sha1 of the message pickle, the list name, repr(now)>.pck (malloc'd) */
char *qfiles_entry_name(const struct strbuf *msgsave, const struct value *meta, double rcvtime,
                        double now);

/* qfiles_plan - add to p the conversion of the 2.0 queue of the
 * installation's queue directory (the site's QUEUE_DIR when it is under its
 * VAR_PREFIX, else qfiles/; site may be NULL). now is the clock Mailman
 * would read (received_time of each converted entry; entry k gets now +
 * k/1000 so their order is kept). A missing queue directory is nothing to
 * do. Returns -1 with error_r only when the queue directory cannot be
 * listed; everything else is a note or a problem in p. */
int qfiles_plan(const struct install *install, const struct site_settings *site, double now,
                struct plan *p, const char **error_r);

#endif
