#ifndef MMFIX_UPDATE_H
#define MMFIX_UPDATE_H

#include "mmfix/plan.h"

struct prefetch;
struct install;
struct profile;
struct site_settings;

#include <stdbool.h>

#include "mmfix/pending.h"
#include "mmfix/problem.h"
#include "mmfix/value.h"

/*
 * `update` as a plan: what Mailman 2.1.39's bin/update does to the data
 * files, list by list (update_plan), then once for the site
 * (update_global_plan):
 *
 * - the configuration Mailman would load (config.pck, else 2.0's
 *   config.db), upgraded by upgrade.h's step when its data_version is older
 *   than the site's DATA_FILE_VERSION, bin/update's reset of members
 *   disabled by bounces without bounce information, and the Usenet
 *   watermark of data/gate_watermarks; written, when anything changed (and
 *   always for a list loaded from config.db), as config.pck with Mailman's
 *   save;
 * - 2.0's config.db and config.db.last renamed to config.db.mm20 and
 *   config.db.last.mm20 once config.pck holds the list (Mailman's loader
 *   reads only the four names config.pck[.last], config.db[.last], and
 *   would otherwise fall back to the stale 2.0 data);
 * - the held requests: request.db (marshal) or request.pck through
 *   ListAdmin._UpdateRecords (requests.h), written as request.pck
 *   (protocol 1, no .last, as ListAdmin.__closedb writes it), request.db
 *   kept as request.db.pre215; an upgraded list without either gets the
 *   empty database bin/update writes; held-message files are left in
 *   data/ where 2.1.39 reads them (2.0's .txt too), a missing one reported;
 * - the site-wide pending confirmations (data/pending_subscriptions.db of
 *   2.0, data/pending.pck of 2.1.0-2.1.4) re-pended into each list's
 *   pending.pck as update_pending() does (pending.h);
 * and for the site: the site-wide files renamed (pending_subscriptions.db.mm20,
 * pending.pck.pre215, gate_watermarks.mm20) rather than deleted, what went to
 * no list said in a note, and data/last_mailman_version written with the
 * site's HEX_VERSION as bin/update records it when no list failed.
 *
 * The site-wide steps (watermarks, pending, last_mailman_version) run only
 * when the update covers every list, as bin/update always does; with list
 * names they are left for a run over all lists, with a note.
 *
 * Not (yet) part of it: qfiles, archives, the template layout of SPEC §5,
 * and a list whose only loadable file is a .last fallback.
 */

/* What the site-wide files hold, read once before the lists */
struct update_global {
    bool all_lists;            /* the run covers every list */
    double now;                /* the clock Mailman would read */
    struct value_arena *arena;
    struct value *watermarks;  /* data/gate_watermarks (a dict), or NULL */
    bool pending20;            /* data/pending_subscriptions.db was read */
    bool pending214;           /* data/pending.pck was read */
    struct pending_sort pending;
    double pending_life;       /* PENDING_REQUEST_LIFE, seconds */
    long long pending_schema;  /* PENDING_FILE_SCHEMA_VERSION */
    long long requests_schema; /* REQUESTS_FILE_SCHEMA_VERSION */
    struct problem_list problems; /* the site-wide files that could not be read */
    struct problem_list notes;    /* what reading them skipped */
    size_t failed;             /* lists that could not be planned (no version recorded) */
};

/* update_global_load - read data/gate_watermarks, data/pending_subscriptions.db
 * and data/pending.pck of install (all_lists: the run covers every list;
 * otherwise only whether they exist matters). A file that does not load
 * becomes a problem of *g_r (its steps are not planned). -1 only on an
 * internal error. */
int update_global_load(const struct install *install, const struct site_settings *site,
                       bool all_lists, double now, struct update_global **g_r,
                       const char **error_r);
void update_global_free(struct update_global **g);

/* update_plan - add the update of list `name` to p (g from
 * update_global_load; the list read by pf when it has read it ahead, with
 * MLIST_KEEP_MEMO, else here). Returns -1 with error_r only when the list cannot be
 * read at all; a list that cannot be upgraded gets a problem (severity
 * error) and nothing else, a list with nothing to change nothing at all. */
int update_plan(const struct install *install, const struct site_settings *site,
                const struct profile *profile, const char *name, struct update_global *g,
                struct prefetch *pf, struct plan *p, const char **error_r);

/* update_global_plan - after every list: the site-wide steps, appended to p
 * after the lists' operations */
int update_global_plan(const struct install *install, const struct site_settings *site,
                       struct update_global *g, struct plan *p, const char **error_r);

#endif
