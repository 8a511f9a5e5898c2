#ifndef MMFIX_MM3LIST_H
#define MMFIX_MM3LIST_H

/*
 * What of a Mailman 2.1 list lives beside its configuration and never
 * reaches Mailman 3 through import21, gathered for the export: the held
 * requests of lists/<l>/request.pck (request.db of older Mailmans, its
 * records widened as ListAdmin._UpdateRecords does) with the held messages
 * they name (data/heldmsg-<l>-<id>.pck as RFC 822 text, heldmsg.h; 2.0's
 * .txt as it is), the confirmations waiting in lists/<l>/pending.pck, and
 * the list's own templates.
 */

#include <stddef.h>

#include "mmfix/strbuf.h"
#include "mmfix/value.h"

struct mm3list_held {
    char *id;           /* the request id, decimal */
    double when;
    char *sender;       /* UTF-8 (the list's charset, else UTF-8, else Latin-1) */
    char *subject;
    char *reason;
    char *file;         /* the data/ file name the record gives */
    struct strbuf eml;  /* the message, when it could be read */
    char *error;        /* why it could not, else NULL */
};

struct mm3list_requests {
    struct mm3list_held *held;
    size_t n_held;
    size_t subscriptions;      /* held for the moderator */
    size_t unsubscriptions;
    size_t confirmations;      /* pending.pck records waiting for the member */
    struct strbuf json;        /* requests.json */
    char *error;               /* request.pck or pending.pck did not load, else NULL */
};

/* mm3list_requests - read the list's held requests and pending confirmations (list_dir:
 * lists/<l>, data_dir: the installation's data/), lang its preferred_language value (for
 * 2.0 records), charset its charset (may be NULL). Never fails: what cannot be read is in
 * r->error or an entry's error. Free with mm3list_requests_free. */
void mm3list_requests(const char *list_dir, const char *data_dir, const char *list,
                      const char *charset, struct value *lang, struct mm3list_requests *r);
void mm3list_requests_free(struct mm3list_requests *r);

/* mm3list_templates - the list's own templates: *.html and *.txt in lists/<l>/ and in its
 * subdirectories (lists/<l>/<lang>/), as paths under lists/, sorted. Free with
 * mm3list_paths_free. */
void mm3list_templates(const char *list_dir, const char *list, char ***paths_r, size_t *n_r);
void mm3list_paths_free(char **paths, size_t n);

#endif
