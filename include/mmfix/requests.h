#ifndef MMFIX_REQUESTS_H
#define MMFIX_REQUESTS_H

/*
 * A list's held requests (Mailman 2.1.39 Mailman/ListAdmin.py): the
 * database of held messages and subscriptions waiting for the moderator,
 * { id: (op, info), ..., 'version': (0, REQUESTS_FILE_SCHEMA_VERSION) }.
 * Mailman 2.0 and 2.1 before 2.1.5 kept it as the marshal lists/<l>/request.db,
 * 2.1.5 and later as the protocol-1 pickle lists/<l>/request.pck.
 *
 * requests_update is ListAdmin._UpdateRecords, which bin/update runs on
 * every list: old record layouts widened to the current ones.
 */

#include <stdbool.h>
#include <stddef.h>

#include "mmfix/value.h"

/* Request types (ListAdmin.py) */
#define REQUESTS_IGN 0
#define REQUESTS_HELDMSG 1
#define REQUESTS_SUBSCRIPTION 2
#define REQUESTS_UNSUBSCRIPTION 3

enum requests_source {
    REQUESTS_NONE,   /* neither file: _UpdateRecords starts from {} */
    REQUESTS_DB,     /* request.db (marshal), which _UpdateRecords reads first */
    REQUESTS_PCK,    /* request.pck */
};

/* requests_load - what _UpdateRecords reads from the list directory dir:
 * request.db if it exists, else request.pck, else nothing (*db_r = NULL).
 * *both_r says both files exist (Mailman would replace request.pck with
 * request.db's records). -1 with error_r when the file it reads does not
 * load or is not a dict (Mailman's bin/update dies on it). */
int requests_load(const char *dir, struct value_arena *arena, struct value **db_r,
                  enum requests_source *src_r, bool *both_r, const char **error_r);

/* requests_update - _UpdateRecords on db in place, then the version entry
 * that ListAdmin.__closedb sets: subscription records of 4 items
 * (when, addr, passwd, digest) and of 5 (... lang) become
 * (when, addr, fullname '', passwd, digest, lang), lang the list's
 * preferred_language when the record has none; held-message records of 5
 * items get an empty msgdata dict; the 2.1.1-2.1.11 bug records of 6 bare
 * items get their op back (SUBSCRIPTION when item 4 is 0 or 1, else HELDMSG).
 * *changed_r: records changed. -1 with error_r on a record whose layout
 * Mailman's asserts refuse (bin/update dies on it). */
int requests_update(struct value_arena *arena, struct value *db, struct value *lang,
                    long long schema, size_t *changed_r, const char **error_r);

/* requests_held_file - the file name (in DATA_DIR) of a held-message record
 * (op, info) of the updated database, or NULL for any other record */
const struct value *requests_held_file(const struct value *rec);

/* requests_has - GetRecord(id) finds a record */
bool requests_has(struct value_arena *arena, struct value *db, const struct value *id);

#endif
