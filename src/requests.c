/*
 * requests - a list's held requests and ListAdmin._UpdateRecords
 *
 * DESCRIPTION
 *  See requests.h. The Python 2 semantics needed (==, dict keys) are
 *  pyval.h's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mmfix/datafile.h"
#include "mmfix/errstr.h"
#include "mmfix/pyval.h"
#include "mmfix/requests.h"
#include "mmfix/strbuf.h"
#include "mmfix/xalloc.h"

/* exists - lstat finds path */
static bool exists(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0;
}

/* requests_load - request.db, else request.pck, else nothing */
int requests_load(const char *dir, struct value_arena *arena, struct value **db_r,
                  enum requests_source *src_r, bool *both_r, const char **error_r)
{
    char *db = xasprintf("%s/request.db", dir);
    char *pck = xasprintf("%s/request.pck", dir);
    const char *path = NULL;
    enum load_error kind = LOAD_OK;
    const char *err = NULL;
    int rc = 0;

    *db_r = NULL;
    *src_r = REQUESTS_NONE;
    *both_r = exists(db) && exists(pck);
    if (exists(db)) {
        *src_r = REQUESTS_DB;
        path = db;
    } else if (exists(pck)) {
        *src_r = REQUESTS_PCK;
        path = pck;
    }
    if (path != NULL
        && datafile_load(path, DATAFILE_UNKNOWN, DATAFILE_WANT_DICT | DATAFILE_KEEP_MEMO, NULL,
                         NULL, arena, db_r, NULL, &kind, &err) != 0) {
        *error_r = errstr("%s: %s", *src_r == REQUESTS_DB ? "request.db" : "request.pck", err);
        rc = -1;
    }
    free(db);
    free(pck);
    return rc;
}

/* is_seq - a tuple or a list (what Python unpacks and len()s) */
static bool is_seq(const struct value *v)
{
    return v->type == VALUE_TUPLE || v->type == VALUE_LIST;
}

/* tuple_of - a new tuple of n items */
static struct value *tuple_of(struct value_arena *arena, struct value *const *items, size_t n)
{
    struct value *t = value_new_tuple(arena, n);
    size_t i;

    for (i = 0; i < n; i++) {
        value_seq_append(arena, t, items[i]);
    }
    return t;
}

/* pair - the record (op, info) */
static struct value *pair(struct value_arena *arena, struct value *op, struct value *info)
{
    struct value *items[2] = { op, info };

    return tuple_of(arena, items, 2);
}

/* is_op - op == code, by Python 2's == */
static bool is_op(const struct value *op, long long code)
{
    long long i = 0;

    return (pyval_as_int(op, &i) && i == code)
           || (op->type == VALUE_FLOAT && op->u.f == (double)code);
}

/* update_record - one record of _UpdateRecords: *new_r the new record, or
 * NULL when it stays as it is */
static int update_record(struct value_arena *arena, struct value *x, struct value *lang,
                         struct value **new_r, const char **error_r)
{
    struct value *op = NULL;
    struct value *info = NULL;
    struct value **it = NULL;

    *new_r = NULL;
    if (!is_seq(x)) {
        *error_r = errstr("a record is a %s, not a tuple", value_type_name(x->type));
        return -1;
    }
    if (x->u.seq.len == 6) {
        /* 2.1.1-2.1.11 stored the bare info: a digest flag in slot 4
         * tells a subscription */
        op = value_new_int(arena, is_op(x->u.seq.items[4], 0) || is_op(x->u.seq.items[4], 1)
                                          ? REQUESTS_SUBSCRIPTION
                                          : REQUESTS_HELDMSG);
        *new_r = pair(arena, op, x);
        return 0;
    }
    if (x->u.seq.len != 2) {
        *error_r = errstr("a record of %zu items (Mailman's _UpdateRecords refuses it)",
                          x->u.seq.len);
        return -1;
    }
    op = x->u.seq.items[0];
    info = x->u.seq.items[1];
    if (!is_op(op, REQUESTS_SUBSCRIPTION) && !is_op(op, REQUESTS_HELDMSG)) {
        return 0;
    }
    if (!is_seq(info)) {
        *error_r = errstr("a request's data is a %s, not a tuple", value_type_name(info->type));
        return -1;
    }
    it = info->u.seq.items;
    if (is_op(op, REQUESTS_SUBSCRIPTION)) {
        struct value *empty = value_new_bytes(arena, "", 0);
        if (info->u.seq.len == 4 || info->u.seq.len == 5) {
            /* (when, addr, passwd, digest[, lang]) */
            struct value *items[6] = { it[0], it[1], empty, it[2], it[3],
                                       info->u.seq.len == 5 ? it[4] : lang };
            *new_r = pair(arena, op, tuple_of(arena, items, 6));
            return 0;
        }
        if (info->u.seq.len != 6) {
            *error_r = errstr("a subscription record of %zu items (Mailman's "
                              "_UpdateRecords refuses it)", info->u.seq.len);
            return -1;
        }
        return 0;
    }
    if (info->u.seq.len == 5) {
        /* (when, sender, subject, reason, filename) + msgdata */
        struct value *items[6] = { it[0], it[1], it[2], it[3], it[4],
                                   value_new_dict(arena, 0) };
        *new_r = pair(arena, op, tuple_of(arena, items, 6));
        return 0;
    }
    if (info->u.seq.len != 6) {
        *error_r = errstr("a held-message record of %zu items (Mailman's _UpdateRecords "
                          "refuses it)", info->u.seq.len);
        return -1;
    }
    return 0;
}

/* requests_update - _UpdateRecords + the version entry */
int requests_update(struct value_arena *arena, struct value *db, struct value *lang,
                    long long schema, size_t *changed_r, const char **error_r)
{
    struct value *version = NULL;
    struct value *key = NULL;
    struct value *old = NULL;
    size_t i;

    *changed_r = 0;
    if (db->type != VALUE_DICT) {
        *error_r = errstr("the requests database is a %s, not a dict",
                          value_type_name(db->type));
        return -1;
    }
    for (i = 0; i < db->u.dict.len; i++) {
        struct value *rec = NULL;
        const char *err = NULL;
        struct strbuf sb = STRBUF_INIT;

        if (update_record(arena, db->u.dict.items[i].val, lang, &rec, &err) != 0) {
            *error_r = errstr("request %s: %s", pyval_repr_short(&sb, db->u.dict.items[i].key),
                              err);
            strbuf_release(&sb);
            return -1;
        }
        strbuf_release(&sb);
        if (rec != NULL) {
            value_dict_set_at(arena, db, i, db->u.dict.items[i].key, rec);
            (*changed_r)++;
        }
    }
    key = value_new_bytes(arena, "version", 7);
    {
        struct value *items[2] = { value_new_int(arena, REQUESTS_IGN),
                                   value_new_int(arena, schema) };
        version = tuple_of(arena, items, 2);
    }
    old = pyval_dict_get(arena, db, key);
    if (old == NULL || !value_equal(old, version)) {
        pyval_dict_set(arena, db, key, version);
    }
    return 0;
}

/* requests_held_file - info[4] of a HELDMSG record */
const struct value *requests_held_file(const struct value *rec)
{
    const struct value *info = NULL;

    if (!is_seq(rec) || rec->u.seq.len != 2 || !is_op(rec->u.seq.items[0], REQUESTS_HELDMSG)) {
        return NULL;
    }
    info = rec->u.seq.items[1];
    if (!is_seq(info) || info->u.seq.len != 6 || !value_is_str(info->u.seq.items[4])) {
        return NULL;
    }
    return info->u.seq.items[4];
}

/* requests_has - the id is a key of db */
bool requests_has(struct value_arena *arena, struct value *db, const struct value *id)
{
    return db != NULL && db->type == VALUE_DICT && pyval_dict_get(arena, db, id) != NULL;
}
