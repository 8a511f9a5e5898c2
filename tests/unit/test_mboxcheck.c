/*
 * test_mboxcheck - an archive mbox as hyperkitty_import reads it: dates as
 * email.utils.parsedate_tz reads them, separators, message boundaries, the
 * problems found and the cleaned copy
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <unistd.h>

#include "mmfix/mboxcheck.h"
#include "mmfix/xalloc.h"
#include "harness.h"

/* the dates Python's parsedate_tz reads into values datetime() takes (checked against
 * Python 3.11: 'x' for a year swaps with the zone and reads as 2000), and some it does not
 * read or reads into a day 32 or an hour 25 */
static void test_dates(void **state)
{
    static const char *const good[] = {
        "Mon, 01 Jan 2024 10:00:00 +0000", "1 Jan 2024 10:00 -0500", "Jan 1 2024 10:00:00 GMT",
        "Mon,1 Jan 24 10:00:00 EST", "Tue, 2 Jan 2024 10:00:00+0100", "1-Jan-24 10:00:00 GMT",
        "Wed, 03 Jan 2024 10.00.00 +0000", "Mon, 01 Jan x 10:00:00 +0000",
        "Mon, 01 Jan 2024 10:00:00 xx",
    };
    static const char *const bad[] = {
        "", "   ", "sometime last week", "Mon, 01 Foo 2024 10:00:00 +0000",
        "Mon, 01 Jan 2024", "Mon, 32 Jan 2024 10:00:00 +0000", "Mon, 01 Jan 2024 25:00:00 +0000",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (!mboxcheck_date_ok(good[i], strlen(good[i]))) {
            fail_msg("got unreadable, want readable: '%s'", good[i]);
        }
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (mboxcheck_date_ok(bad[i], strlen(bad[i]))) {
            fail_msg("got readable, want unreadable: '%s'", bad[i]);
        }
    }
}

static const char mbox[] =
    "From a@x.org Mon Jan  1 10:00:00 2024\n"
    "From: a@x.org\nDate: Mon, 01 Jan 2024 10:00:00 +0000\nMessage-ID: <1@x>\n\n"
    "text\n\nFrom me to you\nmore\n\n"                      /* after a blank, no header: body */
    "From b@x.org Tue Jan  2 10:00:00 2024\n"
    "From: b@x.org\nDate: Tue, 02 Jan 2024 10:00:00 +0000\nMessage-ID: <2@x>\n"
    "Content-Type: multipart/mixed; boundary=\"B\"\n\n"
    "--B\nContent-Type: text/plain; charset=iso-8859-2\n\n\xe8\n"
    "--B\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n/w==\n"
    "--B--\n\n"
    "From c@x.org\n"                                         /* a separator without a date */
    "From: c@x.org\nDate: Wed, 03 Jan 2024 10:00:00 +0000\nMessage-ID: <3@x>\n"
    "Content-Type: text/plain; charset=x-unknown-cs\n\nbody\n";

/* the problems of a small mbox: a body "From " line, a multipart whose second text part
 * is not in its charset (not fixable), a separator without a date, an unknown charset */
static void test_problems(void **state)
{
    char *dir = harness_tmpdir("mboxcheck");
    char *path = NULL;
    char *fix = NULL;
    struct mboxcheck m;
    size_t len = 0;
    char *copy = NULL;

    (void)state;
    path = xasprintf("%s/l.mbox", dir);
    fix = xasprintf("%s/fixed.mbox", dir);
    harness_write_text(path, mbox);
    mboxcheck_file(path, "x.org", NULL, &m);
    assert_null(m.error);
    assert_int_equal(m.messages, 3);
    assert_int_equal(m.counts[MBOXCHECK_FROM_IN_BODY], 1);
    assert_int_equal(m.counts[MBOXCHECK_SEPARATOR_FORM], 1);
    assert_int_equal(m.counts[MBOXCHECK_BAD_CHARSET], 2);
    assert_int_equal(m.counts[MBOXCHECK_NO_MESSAGE_ID], 0);
    assert_int_equal(m.counts[MBOXCHECK_BAD_DATE], 0);
    assert_int_equal(m.problems[0].line, 8);
    assert_null(m.fixed_path);
    mboxcheck_free(&m);

    /* the copy: the body line escaped, the unknown charset of a single part declared
     * anew; the multipart's part stays as it was (reported, not fixed) */
    mboxcheck_file(path, "x.org", fix, &m);
    assert_null(m.error);
    assert_string_equal(m.fixed_path, fix);
    assert_int_equal(m.fixes, 2);
    copy = harness_read_file(fix, &len);
    assert_non_null(copy);
    assert_non_null(strstr(copy, "\n>From me to you\n"));
    assert_non_null(strstr(copy, "Content-Type: text/plain; charset=\"utf-8\"\n"));
    assert_non_null(strstr(copy, "charset=iso-8859-2\n\n\xe8\n"));
    free(copy);
    mboxcheck_free(&m);

    /* nothing to fix: no copy */
    harness_write_text(path, "From a@x.org Mon Jan  1 10:00:00 2024\nMessage-ID: <1@x>\n"
                             "Date: Mon, 01 Jan 2024 10:00:00 +0000\n\nok\n");
    unlink(fix);
    mboxcheck_file(path, "x.org", fix, &m);
    assert_int_equal(m.messages, 1);
    assert_int_equal(m.n_problems, 0);
    assert_null(m.fixed_path);
    assert_false(harness_exists(fix));
    mboxcheck_free(&m);

    /* a missing Message-ID and Date: made up and taken from the separator */
    harness_write_text(path, "From a@x.org Mon Jan  1 10:00:00 2024\nSubject: s\n\nok\n");
    mboxcheck_file(path, "x.org", fix, &m);
    assert_int_equal(m.fixes, 2);
    copy = harness_read_file(fix, &len);
    assert_non_null(strstr(copy, "Date: Mon, 01 Jan 2024 10:00:00 +0000\n"));
    assert_non_null(strstr(copy, "Message-ID: <mmfix-"));
    assert_non_null(strstr(copy, "@x.org>\n\nok\n"));
    free(copy);
    mboxcheck_free(&m);

    mboxcheck_file("/nonexistent/l.mbox", NULL, NULL, &m);
    assert_non_null(m.error);
    mboxcheck_free(&m);
    free(path);
    free(fix);
    assert_int_equal(harness_rmtree(dir), 0);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_problems),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
