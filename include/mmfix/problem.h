#ifndef MMFIX_PROBLEM_H
#define MMFIX_PROBLEM_H

#include <stddef.h>

#include "mmfix/jsonw.h"
#include "mmfix/strbuf.h"
#include "mmfix/value.h"

/*
 * Problems that scan and check report (SPEC §6): a stable code, the list
 * (NULL for site-wide ones), a severity and one line of text.
 *
 * Codes: corrupt-file, unreadable-file, refused-pickle, too-large,
 * all-files-corrupt, stale-format-newer, lock-live, lock-stale,
 * language-collision, invalid-list-name, undecodable-text,
 * unknown-language, roster-key-case, roster-both, roster-orphans,
 * roster-bybounce-no-info, roster-invalid-address, host-mismatch,
 * not-upgraded, not-a-dict, templates-damaged, list-outside-tree,
 * internal-error; in plans also template-blocked (templates.h), and from
 * fix-url url-host-not-virtual, email-host-unknown, template-skipped,
 * rewrite-undecodable, rewrite-unencodable (fixurl.h, hosts.h).
 */

enum problem_severity {
    PROBLEM_WARNING,
    PROBLEM_ERROR,
};

struct problem {
    char *code;
    char *list;
    enum problem_severity severity;
    char *message;
};

struct problem_list {
    struct problem *items;
    size_t len;
    size_t cap;
};

void problem_list_init(struct problem_list *pl);
void problem_list_free(struct problem_list *pl);
/* problem_add - append one problem (list may be NULL) */
void problem_add(struct problem_list *pl, const char *code, const char *list,
                 enum problem_severity severity, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* problem_write_json - items [from, to) as a JSON array */
void problem_write_json(struct jsonw *w, const struct problem_list *pl, size_t from, size_t to);
/* problem_write_line - "LIST: CODE: MESSAGE\n" of one problem ((site) without a list), the
 * control bytes of the list name and the message written as \xNN */
void problem_write_line(struct strbuf *out, const struct problem *pr);
/* problem_write_text - one line per problem: indent, severity padded to 7, "LIST: code:
 * message" (LIST "(site)" for site-wide ones) */
void problem_write_text(struct strbuf *out, const struct problem_list *pl, const char *indent);
/* problem_severity_name - "error" / "warning" */
const char *problem_severity_name(enum problem_severity s);
/* problem_count_errors - how many of [from, to) are errors */
size_t problem_count_errors(const struct problem_list *pl, size_t from, size_t to);

/* A problem about many keys (members, addresses): the count and the first
 * PROBLEM_EXAMPLES of them, as Python reprs. */
#define PROBLEM_EXAMPLES 3

struct problem_examples {
    size_t count;
    struct strbuf text;
};

#define PROBLEM_EXAMPLES_INIT { 0, STRBUF_INIT }

/* problem_examples_add - count one more, keep its repr if among the first */
void problem_examples_add(struct problem_examples *ex, const struct value *key);
/* problem_examples_report - if any were counted, add "N what: a, b, c, ..."
 * as one problem; then reset ex for the next use */
void problem_examples_report(struct problem_examples *ex, struct problem_list *pl,
                             const char *code, const char *list,
                             enum problem_severity severity, const char *what);

#endif
