/*
 * pending - pending confirmations and bin/update's update_pending()
 *
 * DESCRIPTION
 *  See pending.h. Python 2 semantics (==, dict keys, isMember) are
 *  pyval.h's and members.h's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmfix/errstr.h"
#include "mmfix/members.h"
#include "mmfix/pending.h"
#include "mmfix/pyval.h"
#include "mmfix/strbuf.h"

/* What bin/update does with a record mmfix leaves out */
enum skip { IGNORED, FATAL, CONVERTED };

/* note - a site-wide note about one record left out */
static void note(struct problem_list *notes, const struct value *cookie, enum skip how,
                 const char *why)
{
    struct strbuf sb = STRBUF_INIT;

    problem_add(notes, "pending-skipped", NULL, PROBLEM_WARNING,
                "pending request %s: %s; Mailman's bin/update would %s; left out (it stays in "
                "the renamed site-wide file)",
                pyval_repr_short(&sb, cookie), why,
                how == IGNORED ? "ignore it too"
                : how == FATAL ? "fail on it"
                               : "re-pend it under str() of its cookie");
    strbuf_release(&sb);
}

/* is_seq - tuple or list */
static bool is_seq(const struct value *v)
{
    return v->type == VALUE_TUPLE || v->type == VALUE_LIST;
}

/* bstr - a new str */
static struct value *bstr(struct value_arena *arena, const char *s)
{
    return value_new_bytes(arena, s, strlen(s));
}

/* cookie_str - str(cookie) for an int or a str, else NULL */
static struct value *cookie_str(struct value_arena *arena, struct value *cookie)
{
    char buf[32];

    if (cookie->type == VALUE_BYTES) {
        return cookie;
    }
    if (cookie->type == VALUE_INT) {
        snprintf(buf, sizeof(buf), "%" PRId64, cookie->u.i);
        return bstr(arena, buf);
    }
    if (cookie->type == VALUE_LONG) {
        return bstr(arena, cookie->u.digits);
    }
    return NULL;
}

/* userdesc - UserDesc(address, '', password, digest, lang): __init__ sets
 * only what is not None */
static struct value *userdesc(struct value_arena *arena, struct value *const *data,
                              const char *lang)
{
    struct value *state = value_new_dict(arena, 5);
    const char *names[5] = { "address", "fullname", "password", "digest", "language" };
    struct value *vals[5] = { data[0], value_new_bytes(arena, "", 0), data[1], data[2],
                              bstr(arena, lang) };
    size_t i;

    for (i = 0; i < 5; i++) {
        if (vals[i]->type != VALUE_NONE) {
            value_dict_set(arena, state, bstr(arena, names[i]), vals[i]);
        }
    }
    return value_new_instance(arena, PENDING_USERDESC_CLASS, state);
}

/* pending_from_20 - Pending._update */
int pending_from_20(struct value_arena *arena, struct value *old, const char *lang,
                    double life, struct value **db_r, struct problem_list *notes,
                    const char **error_r)
{
    struct value *db = NULL;
    struct value *ev = NULL;
    size_t i;

    if (old->type != VALUE_DICT) {
        *error_r = errstr("the 2.0 pending database is a %s, not a dict",
                          value_type_name(old->type));
        return -1;
    }
    db = value_new_dict(arena, old->u.dict.len + 1);
    ev = value_new_dict(arena, old->u.dict.len);
    value_dict_set(arena, db, bstr(arena, "evictions"), ev);
    for (i = 0; i < old->u.dict.len; i++) {
        struct value *key = old->u.dict.items[i].key;
        struct value *data = old->u.dict.items[i].val;
        struct value *cookie = NULL;
        struct value *rec = NULL;
        struct value *when = NULL;
        struct value *evict = NULL;

        if (value_str_eq(key, "lastculltime")) {
            continue;
        }
        cookie = cookie_str(arena, key);
        if (cookie == NULL) {
            note(notes, key, CONVERTED, "the cookie is neither an int nor a str");
            continue;
        }
        if (!is_seq(data) || data->u.seq.len < 3) {
            note(notes, key, FATAL, "not a record (address, password, digest, ..., time)");
            continue;
        }
        when = data->u.seq.items[data->u.seq.len - 1];
        if (when->type == VALUE_INT) {
            evict = value_new_int(arena, when->u.i + (int64_t)life);
        } else if (when->type == VALUE_FLOAT) {
            evict = value_new_float(arena, when->u.f + life);
        } else {
            note(notes, key, FATAL, "its time is not a number");
            continue;
        }
        rec = value_new_tuple(arena, 2);
        value_seq_append(arena, rec, bstr(arena, "S"));
        value_seq_append(arena, rec, userdesc(arena, data->u.seq.items, lang));
        pyval_dict_set(arena, db, cookie, rec);
        pyval_dict_set(arena, ev, cookie, evict);
    }
    *db_r = db;
    return 0;
}

/* add_pair - d.setdefault(key, []).append((cookie, rec)) */
static void add_pair(struct value_arena *arena, struct value *d, struct value *key,
                     struct value *cookie, struct value *rec)
{
    struct value *l = pyval_dict_get(arena, d, key);
    struct value *p = value_new_tuple(arena, 2);

    if (l == NULL) {
        l = value_new_list(arena, 1);
        pyval_dict_set(arena, d, key, l);
    }
    value_seq_append(arena, p, cookie);
    value_seq_append(arena, p, rec);
    value_seq_append(arena, l, p);
}

/* op_is - the record's kind is the one-letter str c */
static bool op_is(const struct value *op, char c)
{
    return op->type == VALUE_BYTES && op->u.str.len == 1 && op->u.str.data[0] == (unsigned char)c;
}

/* sort_one - one record into s */
static void sort_one(struct value_arena *arena, struct pending_sort *s, struct value *cookie,
                     struct value *val, struct problem_list *notes)
{
    struct value *op = NULL;
    struct value *d0 = NULL;

    if (!is_seq(val) || val->u.seq.len == 0) {
        if (is_seq(val)) {
            note(notes, cookie, IGNORED, "an empty record");
        } else {
            note(notes, cookie, FATAL, "not a tuple");
        }
        return;
    }
    op = val->u.seq.items[0];
    d0 = val->u.seq.len > 1 ? val->u.seq.items[1] : NULL;
    if (op_is(op, PENDING_UNSUBSCRIPTION) || op_is(op, PENDING_CHANGE_OF_ADDRESS)
        || op_is(op, PENDING_RE_ENABLE)) {
        if (d0 == NULL || !value_is_str(d0)) {
            note(notes, cookie, FATAL, "its address or list name is missing or not a string");
            return;
        }
        add_pair(arena, op_is(op, PENDING_RE_ENABLE) ? s->reenables : s->addrops, d0, cookie,
                 val);
    } else if (op_is(op, PENDING_SUBSCRIPTION)) {
        struct value *addr = NULL;
        if (d0 != NULL && d0->type == VALUE_INSTANCE && d0->u.inst.state != NULL
            && d0->u.inst.state->type == VALUE_DICT) {
            addr = value_dict_get_str(arena, d0->u.inst.state, "address");
        }
        if (addr == NULL || !value_is_str(addr)) {
            note(notes, cookie, FATAL, "a subscription without a UserDesc address");
            return;
        }
        add_pair(arena, s->subs, addr, cookie, val);
    } else if (op_is(op, PENDING_HELD_MESSAGE)) {
        struct value *p = NULL;
        if (d0 == NULL || (d0->type != VALUE_INT && d0->type != VALUE_LONG
                           && !value_is_str(d0))) {
            note(notes, cookie, FATAL, "a held message without a request id");
            return;
        }
        if (pyval_dict_get(arena, s->holds, d0) != NULL) {
            note(notes, cookie, IGNORED, "a second request for the same held message id");
            return;
        }
        p = value_new_tuple(arena, 2);
        value_seq_append(arena, p, cookie);
        value_seq_append(arena, p, val);
        pyval_dict_set(arena, s->holds, d0, p);
    } else {
        note(notes, cookie, IGNORED, "a kind of request update_pending() does not re-pend");
        return;
    }
    s->records++;
}

/* pending_sort - the buckets of update_pending() */
int pending_sort(struct value_arena *arena, struct value *db, struct pending_sort *s,
                 struct problem_list *notes, const char **error_r)
{
    size_t i;

    if (db->type != VALUE_DICT) {
        *error_r = errstr("the pending database is a %s, not a dict",
                          value_type_name(db->type));
        return -1;
    }
    if (s->reenables == NULL) {
        s->reenables = value_new_dict(arena, 0);
        s->addrops = value_new_dict(arena, 0);
        s->subs = value_new_dict(arena, 0);
        s->holds = value_new_dict(arena, 0);
        s->placed = value_new_dict(arena, 0);
    }
    for (i = 0; i < db->u.dict.len; i++) {
        struct value *key = db->u.dict.items[i].key;

        if (value_str_eq(key, "evictions") || value_str_eq(key, "version")) {
            continue;
        }
        sort_one(arena, s, key, db->u.dict.items[i].val, notes);
    }
    return 0;
}

/* take - append the pairs of l to out and count them as placed */
static void take(struct value_arena *arena, struct pending_sort *s, struct value *out,
                 struct value *l)
{
    size_t i;

    for (i = 0; l != NULL && i < l->u.seq.len; i++) {
        struct value *p = l->u.seq.items[i];
        struct value *n = pyval_dict_get(arena, s->placed, p->u.seq.items[0]);
        value_seq_append(arena, out, p);
        pyval_dict_set(arena, s->placed, p->u.seq.items[0],
                       value_new_int(arena, n != NULL ? n->u.i + 1 : 1));
    }
}

/* by_membership - the pairs of d whose address is (want true) or is not a member */
static int by_membership(struct value_arena *arena, struct pending_sort *s, struct value *d,
                         bool want, struct value_arena *list_arena, struct value *config,
                         struct value *out, const char **error_r)
{
    size_t i;

    for (i = 0; i < d->u.dict.len; i++) {
        bool is = false;
        if (members_is(list_arena, config, d->u.dict.items[i].key, &is, error_r) != 0) {
            return -1;
        }
        if (is == want) {
            take(arena, s, out, d->u.dict.items[i].val);
        }
    }
    return 0;
}

/* pending_for_list - the pairs for one list */
int pending_for_list(struct value_arena *arena, struct pending_sort *s, const char *name,
                     struct value_arena *list_arena, struct value *config,
                     struct value *requests, struct value **pairs_r, const char **error_r)
{
    struct value *out = value_new_list(arena, 0);
    size_t i;

    *pairs_r = out;
    if (s->reenables == NULL) {
        return 0;
    }
    take(arena, s, out, pyval_dict_get(arena, s->reenables, bstr(arena, name)));
    for (i = 0; i < s->holds->u.dict.len;) {
        struct value *id = s->holds->u.dict.items[i].key;
        if (requests != NULL && pyval_dict_get(list_arena, requests, id) != NULL) {
            struct value *l = value_new_list(arena, 1);
            value_seq_append(arena, l, s->holds->u.dict.items[i].val);
            take(arena, s, out, l);
            pyval_dict_del(arena, s->holds, id);
        } else {
            i++;
        }
    }
    if (by_membership(arena, s, s->subs, false, list_arena, config, out, error_r) != 0
        || by_membership(arena, s, s->addrops, true, list_arena, config, out, error_r) != 0) {
        return -1;
    }
    return 0;
}

/* pending_repend - pend_repend of each pair + __save's version */
int pending_repend(struct value_arena *arena, struct value *db, struct value *pairs,
                   double now, double life, long long schema, struct value **db_r,
                   const char **error_r)
{
    struct value *ev = NULL;
    size_t i;

    if (db == NULL) {
        db = value_new_dict(arena, pairs->u.seq.len + 2);
        value_dict_set(arena, db, bstr(arena, "evictions"), value_new_dict(arena, 0));
    }
    if (db->type != VALUE_DICT) {
        *error_r = errstr("pending.pck holds a %s, not a dict", value_type_name(db->type));
        return -1;
    }
    ev = value_dict_get_str(arena, db, "evictions");
    if (ev == NULL || ev->type != VALUE_DICT) {
        *error_r = "pending.pck has no evictions dict (Mailman fails on it)";
        return -1;
    }
    for (i = 0; i < pairs->u.seq.len; i++) {
        struct value *p = pairs->u.seq.items[i];
        struct value *cookie = value_copy(arena, p->u.seq.items[0]);
        pyval_dict_set(arena, db, cookie, value_copy(arena, p->u.seq.items[1]));
        pyval_dict_set(arena, ev, cookie, value_new_float(arena, now + life));
    }
    pyval_dict_set(arena, db, bstr(arena, "version"), value_new_int(arena, schema));
    *db_r = db;
    return 0;
}
