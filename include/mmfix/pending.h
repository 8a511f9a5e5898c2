#ifndef MMFIX_PENDING_H
#define MMFIX_PENDING_H

/*
 * Pending confirmations (Mailman 2.1.39 Mailman/Pending.py) and how
 * bin/update's update_pending() moves the site-wide databases of older
 * Mailmans into each list's lists/<l>/pending.pck:
 *   { cookie: (op, data...), 'evictions': { cookie: time }, 'version': N }.
 * Mailman 2.0 kept data/pending_subscriptions.db (marshal,
 * { int cookie: (addr, passwd, digest, ..., time), 'lastculltime': t }),
 * 2.1.0-2.1.4 data/pending.pck (the 2.1 layout, site-wide).
 */

#include <stdbool.h>
#include <stddef.h>

#include "mmfix/problem.h"
#include "mmfix/value.h"

/* Kinds of pending records (Pending.py) */
#define PENDING_SUBSCRIPTION 'S'
#define PENDING_UNSUBSCRIPTION 'U'
#define PENDING_CHANGE_OF_ADDRESS 'C'
#define PENDING_HELD_MESSAGE 'H'
#define PENDING_RE_ENABLE 'E'
#define PENDING_PROBE_BOUNCE 'P'

/* The class of the subscription data */
#define PENDING_USERDESC_CLASS "Mailman.UserDesc.UserDesc"

/* pending_from_20 - Pending._update: the 2.0 database old as the 2.1 one,
 * { str(cookie): ('S', UserDesc(address, fullname '', password, digest,
 * lang)), 'evictions': { str(cookie): time + life } }, 'lastculltime'
 * dropped. A record Mailman would crash on (not a tuple of at least 3
 * items, a time that is not a number, a cookie neither int nor str) is
 * left out, with a note in notes. -1 only when old is not a dict. */
int pending_from_20(struct value_arena *arena, struct value *old, const char *lang,
                    double life, struct value **db_r, struct problem_list *notes,
                    const char **error_r);

/* What update_pending() sorts a site-wide database into (dicts in the
 * arena; each list value holds (cookie, record) pairs) */
struct pending_sort {
    struct value *reenables;  /* list name -> pairs (RE_ENABLE: data[0] is the list) */
    struct value *addrops;    /* address -> pairs (UNSUBSCRIPTION, CHANGE_OF_ADDRESS) */
    struct value *subs;       /* address -> pairs (SUBSCRIPTION: data[0].address) */
    struct value *holds;      /* held-message id -> pair (HELD_MESSAGE; first one kept) */
    struct value *placed;     /* cookie -> number of lists it was re-pended to */
    size_t records;           /* records sorted (all kinds) */
};

/* pending_sort - update_pending()'s sorting of db. What Mailman ignores or
 * crashes on (a record that is not a tuple, an unknown kind such as
 * PROBE_BOUNCE, a second HELD_MESSAGE for one id, an address or list name
 * that is not a string, a subscription without a UserDesc) is left out with
 * a note; it stays in the renamed site-wide file. */
int pending_sort(struct value_arena *arena, struct value *db, struct pending_sort *s,
                 struct problem_list *notes, const char **error_r);

/* pending_for_list - the (cookie, record) pairs update_pending() re-pends
 * into list `name`, config its (upgraded) configuration, requests its
 * (updated) held requests or NULL: the RE_ENABLEs of the list, the
 * HELD_MESSAGEs whose id is one of its requests (taken out of s->holds, so
 * the first list in the run's order gets them), SUBSCRIPTIONs of addresses
 * that are not members, UNSUBSCRIPTIONs and CHANGE_OF_ADDRESSes of
 * members. *pairs_r is a new list in arena. */
int pending_for_list(struct value_arena *arena, struct pending_sort *s, const char *name,
                     struct value_arena *list_arena, struct value *config,
                     struct value *requests, struct value **pairs_r, const char **error_r);

/* pending_repend - Pending.pend_repend of each pair into db (the list's
 * pending.pck as loaded, or NULL: a new { 'evictions': {} }), copied into
 * arena: db[cookie] = record, evictions[cookie] = now + life, and the
 * 'version' entry __save writes. Entries already there are kept as they
 * are (Mailman's __save would also drop those past their eviction time;
 * Mailman's next save still does). -1 when db is not a dict or its
 * evictions is not a dict. */
int pending_repend(struct value_arena *arena, struct value *db, struct value *pairs,
                   double now, double life, long long schema, struct value **db_r,
                   const char **error_r);

#endif
