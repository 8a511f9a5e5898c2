/*
 * test_heldmsg - a held Mailman.Message.Message record flattened as Python 2.7's
 * email Generator does (msg.as_string()), headers as stored
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mmfix/heldmsg.h"
#include "mmfix/strbuf.h"
#include "harness.h"
#include "harness_value.h"

/* MSG - a message record of typed JSON headers, payload and the rest of its state */
#define MSG(headers, payload, rest) \
    "{\"$instance\": \"Mailman.Message.Message\", \"$state\": {\"_headers\": [" headers "]," \
    " \"_payload\": " payload ", \"_unixfrom\": null, \"_default_type\": \"text/plain\"" rest "}}"
#define H(n, v) "{\"$tuple\": [\"" n "\", \"" v "\"]}"

/* flat - heldmsg_write of the typed JSON record; its text */
static char *flat(struct value_arena *a, const char *json, int want_rc, const char **err_r)
{
    struct strbuf sb = STRBUF_INIT;

    assert_int_equal(heldmsg_write(harness_value(a, json), &sb, err_r), want_rc);
    return strbuf_detach(&sb, NULL);
}

/* a plain message: headers in order, as stored (a folded one stays folded), the blank
 * line, the body; no From_ line */
static void test_plain(void **state)
{
    struct value_arena *a = value_arena_new();
    const char *err = NULL;
    char *t = flat(a, MSG(H("From", "a@x.org") "," H("Subject", "long\\n\\tfolded")
                          "," H("Message-ID", "<1@x>"), "\"body\\n\"", ""), 0, &err);

    (void)state;
    assert_string_equal(t, "From: a@x.org\nSubject: long\n\tfolded\nMessage-ID: <1@x>\n\nbody\n");
    assert_string_equal((const char *)heldmsg_header(harness_value(a, MSG(H("X", "1") ","
        H("subject", "s"), "null", "")), "SUBJECT")->u.str.data, "s");
    free(t);
    value_arena_free(&a);
}

/* multipart: preamble, boundaries, parts, close delimiter, epilogue; a multipart
 * without a boundary gets one, declared in its Content-Type */
static void test_multipart(void **state)
{
    struct value_arena *a = value_arena_new();
    const char *err = NULL;
    char *t = flat(a, MSG(H("Content-Type", "multipart/mixed; boundary=\\\"BB\\\""),
                          "[" MSG(H("Content-Type", "text/plain"), "\"one\\n\"", "") ","
                          MSG("", "\"two\"", "") "]",
                          ", \"preamble\": \"pre\", \"epilogue\": \"epi\\n\""), 0, &err);
    char *b = NULL;

    (void)state;
    assert_string_equal(t, "Content-Type: multipart/mixed; boundary=\"BB\"\n\npre\n--BB\n"
                           "Content-Type: text/plain\n\none\n\n--BB\n\ntwo\n--BB--\nepi\n");
    free(t);
    t = flat(a, MSG(H("Content-Type", "multipart/alternative"),
                    "[" MSG("", "\"x\"", "") "]", ", \"preamble\": null, \"epilogue\": null"),
             0, &err);
    b = strstr(t, "boundary=\"");
    assert_non_null(b);
    b += 10;
    *strchr(b, '"') = '\0';
    assert_non_null(strstr(b + strlen(b) + 1, b));   /* the parts are delimited by it */
    free(t);
    value_arena_free(&a);
}

/* message/rfc822 flattens its one part; delivery-status its header blocks */
static void test_message_types(void **state)
{
    struct value_arena *a = value_arena_new();
    const char *err = NULL;
    char *t = flat(a, MSG(H("Content-Type", "message/rfc822"),
                          "[" MSG(H("Subject", "inner"), "\"in\\n\"", "") "]", ""), 0, &err);

    (void)state;
    assert_string_equal(t, "Content-Type: message/rfc822\n\nSubject: inner\n\nin\n");
    free(t);
    t = flat(a, MSG(H("Content-Type", "message/delivery-status"),
                    "[" MSG(H("Reporting-MTA", "dns; x"), "null", "") ","
                    MSG(H("Action", "failed"), "null", "") "]", ""), 0, &err);
    assert_string_equal(t, "Content-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\n"
                           "Action: failed\n");
    free(t);
    value_arena_free(&a);
}

/* what is not a message record is refused, with the reason */
static void test_refused(void **state)
{
    struct value_arena *a = value_arena_new();
    const char *err = NULL;
    char *t = flat(a, "{\"_headers\": []}", -1, &err);

    (void)state;
    assert_non_null(strstr(err, "not a Mailman.Message.Message"));
    free(t);
    t = flat(a, MSG("{\"$tuple\": [\"From\", 5]}", "\"b\"", ""), -1, &err);
    assert_non_null(strstr(err, "header 0"));
    free(t);
    t = flat(a, MSG(H("Content-Type", "text/plain"), "[1]", ""), -1, &err);
    assert_non_null(strstr(err, "payload"));
    free(t);
    t = flat(a, MSG(H("Content-Type", "multipart/mixed; boundary=b"), "[5]", ""), -1, &err);
    assert_non_null(strstr(err, "part 0"));
    free(t);
    value_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_multipart),
        cmocka_unit_test(test_message_types),
        cmocka_unit_test(test_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
