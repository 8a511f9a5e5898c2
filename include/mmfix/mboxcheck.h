#ifndef MMFIX_MBOXCHECK_H
#define MMFIX_MBOXCHECK_H

/*
 * A list's pipermail archive (archives/private/<l>.mbox/<l>.mbox) read the
 * way HyperKitty's hyperkitty_import reads it (Python's mailbox.mbox: every
 * line that starts with "From " begins a message), and what would trouble
 * that import:
 *  - from-in-body: a body line starting with "From " (not after an empty
 *    line, or not followed by headers): the importer splits the message
 *    there; fixed as ">From ";
 *  - separator-8bit: a separator line with non-ASCII bytes (mailbox of
 *    Python 3.11+ fails on it, HyperKitty MR 620); fixed with '?' for them;
 *  - separator-form: a separator that is not "From SENDER DATE" (asctime);
 *    the importer still takes it, noted only;
 *  - no-message-id: no Message-ID header (the importer cannot thread or
 *    de-duplicate it); fixed with "<mmfix-SHA1@HOST>" from the message's bytes;
 *  - bad-date: no Date header, or one email.utils.parsedate_tz cannot read;
 *    fixed from the separator's date when it has one;
 *  - bad-charset: a text part whose body (after its transfer encoding) does
 *    not decode in its declared charset, or names a charset nobody knows;
 *    fixed (single-part messages) by declaring utf-8 when the body is valid
 *    UTF-8, else iso-8859-1 (every byte kept).
 * The original file is only read. With a fix path, a cleaned copy is written
 * there (temporary name, then rename) when anything was fixed.
 */

#include <stdbool.h>
#include <stddef.h>

#include "mmfix/jsonw.h"
#include "mmfix/strbuf.h"

/* problems described one by one; beyond, only counted */
#define MBOXCHECK_MAX_PROBLEMS 200

enum mboxcheck_code {
    MBOXCHECK_FROM_IN_BODY,
    MBOXCHECK_SEPARATOR_8BIT,
    MBOXCHECK_SEPARATOR_FORM,
    MBOXCHECK_NO_MESSAGE_ID,
    MBOXCHECK_BAD_DATE,
    MBOXCHECK_BAD_CHARSET,
    MBOXCHECK_NCODES,
};

struct mboxcheck_problem {
    enum mboxcheck_code code;
    size_t line;        /* 1-based line of the mbox */
    size_t message;     /* 1-based message number */
    char *text;
    bool fixed;
};

struct mboxcheck {
    char *path;                     /* the mbox read, NULL when there is none */
    long long bytes;
    size_t messages;
    size_t counts[MBOXCHECK_NCODES];
    struct mboxcheck_problem *problems;
    size_t n_problems;
    char *fixed_path;               /* the cleaned copy written, else NULL */
    size_t fixes;                   /* problems fixed in it */
    char *error;                    /* the mbox or the copy could not be read/written */
};

/* mboxcheck_file - check the mbox at path; host names the made-up Message-IDs; fix_path
 * non-NULL: write the cleaned copy there. Fills m; never fails (m->error says what could
 * not be read or written). */
void mboxcheck_file(const char *path, const char *host, const char *fix_path,
                    struct mboxcheck *m);

/* mboxcheck_code_name - "from-in-body", ... */
const char *mboxcheck_code_name(enum mboxcheck_code code);

/* mboxcheck_date_ok - email.utils.parsedate_tz reads the Date value s[0..len) */
bool mboxcheck_date_ok(const char *s, size_t len);

/* mboxcheck_write_json - the archive's entry of report.json */
void mboxcheck_write_json(struct jsonw *w, const struct mboxcheck *m);
/* mboxcheck_write_text - its lines of the text report, each starting with indent */
void mboxcheck_write_text(struct strbuf *out, const struct mboxcheck *m, const char *indent);

void mboxcheck_free(struct mboxcheck *m);

#endif
