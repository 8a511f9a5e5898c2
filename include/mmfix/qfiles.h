#ifndef MMFIX_QFILES_H
#define MMFIX_QFILES_H

/*
 * The queue step of `update`: Mailman 2.0's queue (qfiles/<sha>.msg, the
 * message text, beside qfiles/<sha>.db, a marshal dict of metadata) made
 * into entries of Mailman 2.1's incoming queue, as 2.1.39's bin/update
 * (update_qfiles + dequeue + Switchboard.enqueue) makes them:
 * qfiles/in/<repr(received_time)>+<sha1 hex>.pck holding two pickles, the
 * message and the metadata. The metadata is 2.0's dict with `filebase`
 * dropped (schema version 2), `rejection-notice` renamed
 * `rejection_notice`, `received_time` set to the time of the run when
 * absent, `version` 3 (QFILE_SCHEMA_VERSION), the volatile `_` keys
 * dropped. The message is kept as its exact text and `_parsemsg` is True,
 * the form Switchboard writes for plain-text messages: dequeue() parses it
 * as update_qfiles would have. A pure step: reads the disk, writes nothing.
 *
 * No queued message is lost: the new entry is written before the old
 * files are deleted, and an entry that cannot be converted (a .db that is
 * no marshal dict, a .msg without its .db or the reverse, a file that is
 * not a regular file, a symbolic link, text too large) is moved to
 * qfiles/bad/ under its own name, unchanged, with a note (code qfile-bad)
 * that names it and says why. Symbolic links are never followed or read.
 * 2.1 queue entries older than 2.1.5 (a .db beside a .msg or .pck in
 * qfiles/<queue>/) and .bak files are reported (qfile-old-format,
 * qfile-bak), not converted or removed.
 *
 * Mailman's queue runners must be stopped while this runs (bin/update
 * assumes so too): qfiles/ has no list lock.
 */

#include "mmfix/plan.h"

struct install;
struct site_settings;

/* The 2.1.39 metadata schema version written (Version.py QFILE_SCHEMA_VERSION) */
#define QFILES_SCHEMA_VERSION 3
/* Message text above this size is moved to bad/ rather than read */
#define QFILES_MAX_MSG ((size_t)64 * 1024 * 1024)
/* A .db metadata file above this size is not metadata */
#define QFILES_MAX_DB ((size_t)4 * 1024 * 1024)

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
