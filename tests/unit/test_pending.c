/*
 * test_pending - Pending._update and bin/update's update_pending() of
 * Mailman 2.1.39 on small site-wide databases built from what 2.0's
 * Pending.py and 2.1's Pending.py store
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mmfix/pending.h"
#include "harness_value.h"

#define LIFE 259200.0
#define NOW 1800000000.5

/* tj, same - typed JSON values in, compared with value_equal */
#define tj harness_value
#define same harness_expect_value

#define UD(addr, pw, digest)                                                                \
    "{\"$instance\": \"Mailman.UserDesc.UserDesc\", \"$state\": {\"address\": \"" addr      \
    "\", \"fullname\": \"\", \"password\": \"" pw "\", \"digest\": " digest ", "            \
    "\"language\": \"en\"}}"

/* 2.0's { int cookie: (addr, passwd, digest, [list,] time), 'lastculltime': t }:
 * str cookies, ('S', UserDesc), evictions at time + life; what _update would
 * crash on is left out with a note */
static void test_from_20(void **state)
{
    struct value_arena *a = value_arena_new();
    struct value *db = NULL;
    struct problem_list notes;
    const char *err = NULL;

    (void)state;
    problem_list_init(&notes);
    assert_int_equal(pending_from_20(a, tj(a,
        "{\"$dict\": ["
        "[151465, {\"$tuple\": [\"p@x.org\", \"pw\", 0, \"lst\", 1000]}],"
        "[\"lastculltime\", 1000],"
        "[200000, {\"$tuple\": [\"q@x.org\", null, 1, 2000.5]}],"
        "[300000, {\"$tuple\": [\"r@x.org\"]}],"
        "[400000, {\"$tuple\": [\"s@x.org\", \"pw\", 0, \"soon\"]}]]}"),
                                     "en", LIFE, &db, &notes, &err), 0);
    same(a, db,
        "{\"evictions\": {\"151465\": 260200, \"200000\": 261200.5},"
        " \"151465\": {\"$tuple\": [\"S\", " UD("p@x.org", "pw", "0") "]},"
        " \"200000\": {\"$tuple\": [\"S\", {\"$instance\": \"Mailman.UserDesc.UserDesc\", "
        "\"$state\": {\"address\": \"q@x.org\", \"fullname\": \"\", \"digest\": 1, "
        "\"language\": \"en\"}}]}}");
    assert_int_equal(notes.len, 2);
    assert_non_null(strstr(notes.items[0].message, "300000"));
    assert_non_null(strstr(notes.items[1].message, "400000"));
    assert_int_equal(pending_from_20(a, tj(a, "[1]"), "en", LIFE, &db, &notes, &err), -1);
    problem_list_free(&notes);
    value_arena_free(&a);
}

/* the 2.1.0-2.1.4 site-wide database, sorted and handed out list by list
 * as update_pending() does */
static const char site_db[] =
    "{\"$dict\": ["
    "[\"evictions\", {}], [\"version\", 1],"
    "[\"c-sub-new\", {\"$tuple\": [\"S\", " UD("New@x.org", "pw", "0") "]}],"
    "[\"c-sub-member\", {\"$tuple\": [\"S\", " UD("m@x.org", "pw", "0") "]}],"
    "[\"c-unsub-member\", {\"$tuple\": [\"U\", \"M@X.org\"]}],"
    "[\"c-unsub-stranger\", {\"$tuple\": [\"U\", \"z@x.org\"]}],"
    "[\"c-coa-digest\", {\"$tuple\": [\"C\", \"d@x.org\", \"e@x.org\"]}],"
    "[\"c-reenable\", {\"$tuple\": [\"E\", \"one\", \"m@x.org\"]}],"
    "[\"c-held\", {\"$tuple\": [\"H\", 2]}],"
    "[\"c-held-again\", {\"$tuple\": [\"H\", 2]}],"
    "[\"c-probe\", {\"$tuple\": [\"P\", \"m@x.org\", \"one\"]}],"
    "[\"c-empty\", {\"$tuple\": []}]]}";

static const char list_config[] =
    "{\"members\": {\"m@x.org\": 0}, \"digest_members\": {\"d@x.org\": \"D@x.org\"}}";

static void test_sort_and_place(void **state)
{
    struct value_arena *a = value_arena_new();
    struct pending_sort s;
    struct problem_list notes;
    struct value *pairs = NULL;
    struct value *config = tj(a, list_config);
    const char *err = NULL;

    (void)state;
    memset(&s, 0, sizeof(s));
    problem_list_init(&notes);
    assert_int_equal(pending_sort(a, tj(a, site_db), &s, &notes, &err), 0);
    /* the second hold of one id, PROBE_BOUNCE, the empty record */
    assert_int_equal(notes.len, 3);
    assert_int_equal(s.records, 7);

    /* list "one": holds request 2, so it gets the held-message cookie */
    assert_int_equal(pending_for_list(a, &s, "one", a, config,
                                      tj(a, "{\"$dict\": [[2, {\"$tuple\": [1, 0]}]]}"), &pairs,
                                      &err), 0);
    same(a, pairs,
        "[{\"$tuple\": [\"c-reenable\", {\"$tuple\": [\"E\", \"one\", \"m@x.org\"]}]},"
        " {\"$tuple\": [\"c-held\", {\"$tuple\": [\"H\", 2]}]},"
        " {\"$tuple\": [\"c-sub-new\", {\"$tuple\": [\"S\", " UD("New@x.org", "pw", "0")
        "]}]},"
        " {\"$tuple\": [\"c-unsub-member\", {\"$tuple\": [\"U\", \"M@X.org\"]}]},"
        " {\"$tuple\": [\"c-coa-digest\", {\"$tuple\": [\"C\", \"d@x.org\", \"e@x.org\"]}]}]");
    /* list "two", with the same request id: the hold went to the first list */
    assert_int_equal(pending_for_list(a, &s, "two", a, tj(a, "{\"members\": {}, "
                                                          "\"digest_members\": {}}"),
                                      tj(a, "{\"$dict\": [[2, 0]]}"), &pairs, &err), 0);
    same(a, pairs,
        "[{\"$tuple\": [\"c-sub-new\", {\"$tuple\": [\"S\", " UD("New@x.org", "pw", "0")
        "]}]},"
        " {\"$tuple\": [\"c-sub-member\", {\"$tuple\": [\"S\", " UD("m@x.org", "pw", "0")
        "]}]}]");
    /* the unsubscription of a stranger went nowhere */
    assert_null(value_dict_get(a, s.placed, value_new_bytes(a, "c-unsub-stranger", 16)));
    assert_int_equal(value_dict_get(a, s.placed, value_new_bytes(a, "c-sub-new", 9))->u.i, 2);
    problem_list_free(&notes);
    value_arena_free(&a);
}

/* pend_repend into a new and into an existing pending.pck */
static void test_repend(void **state)
{
    struct value_arena *a = value_arena_new();
    struct value *db = NULL;
    struct value *pairs = tj(a, "[{\"$tuple\": [\"k\", {\"$tuple\": [\"U\", \"m@x.org\"]}]}]");
    const char *err = NULL;

    (void)state;
    assert_int_equal(pending_repend(a, NULL, pairs, NOW, LIFE, 2, &db, &err), 0);
    same(a, db, "{\"evictions\": {\"k\": 1800259200.5}, \"k\": {\"$tuple\": [\"U\", "
                "\"m@x.org\"]}, \"version\": 2}");
    db = tj(a, "{\"evictions\": {\"old\": 5.0}, \"old\": {\"$tuple\": [\"E\", \"l\", "
               "\"a@x.org\"]}, \"version\": 2}");
    assert_int_equal(pending_repend(a, db, pairs, NOW, LIFE, 2, &db, &err), 0);
    same(a, db, "{\"evictions\": {\"old\": 5.0, \"k\": 1800259200.5}, \"old\": {\"$tuple\": "
                "[\"E\", \"l\", \"a@x.org\"]}, \"version\": 2, \"k\": {\"$tuple\": [\"U\", "
                "\"m@x.org\"]}}");
    assert_int_equal(pending_repend(a, tj(a, "{\"version\": 2}"), pairs, NOW, LIFE, 2, &db,
                                    &err), -1);
    value_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_from_20),
        cmocka_unit_test(test_sort_and_place),
        cmocka_unit_test(test_repend),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
