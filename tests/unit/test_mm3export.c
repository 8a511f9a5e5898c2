/*
 * test_mm3export - a list's configuration made ready for Mailman 3's import21:
 * every str decoded (list charset, else UTF-8, else Latin-1, fallbacks named),
 * what import21 cannot take left out, its rules and rosters as import21 reads
 * them (importer.py of Debian's mailman3 3.3.8)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mmfix/mm3export.h"
#include "mmfix/pyload.h"
#include "mmfix/strbuf.h"
#include "harness.h"
#include "harness_value.h"

#define tj harness_value
#define same harness_expect_value

/* note_for - the note whose `where` is where, or NULL */
static const struct mm3export_note *note_for(const struct mm3export_notes *n, const char *where)
{
    size_t i;

    for (i = 0; i < n->len; i++) {
        if (strcmp(n->items[i].where, where) == 0) {
            return &n->items[i];
        }
    }
    return NULL;
}

/* attr - config[name] equals the typed JSON want (the key may be str or unicode) */
static void attr(struct value_arena *a, struct value *c, const char *name, const char *want)
{
    struct value *v = value_dict_get_str(a, c, name);

    if (v == NULL) {
        fail_msg("no attribute %s", name);
    }
    same(a, v, want);
}

/* keys_text - every key of the dict is unicode, and there are n of them */
static void keys_text(const struct value *c, size_t n)
{
    size_t i;

    assert_int_equal(c->u.dict.len, n);
    for (i = 0; i < n; i++) {
        assert_int_equal(c->u.dict.items[i].key->type, VALUE_TEXT);
    }
}

/* A Czech list (iso-8859-2): its own text decodes in its charset, a UTF-8 str
 * and a Latin-1-only str take the fallbacks, each named; unicode stays */
static void test_decode_fallbacks(void **state)
{
    struct value_arena *a = value_arena_new();
    struct mm3export x;
    const char *err = NULL;
    /* "\xc8esk\xe1" is "Česká" in iso-8859-2; "caf\xc3\xa9" (UTF-8 "café") is also
     * iso-8859-2 text ("cafĂŠ"): the list's charset comes first */
    struct value *c = tj(a, "{\"real_name\": {\"$bytes\": \"yGVza+E=\"},"
                            " \"info\": {\"$bytes\": \"Y2Fmw6k=\"},"
                            " \"description\": {\"$unicode\": \"\\u010cesk\\u00e1\"},"
                            " \"usernames\": {\"a@x.org\": {\"$bytes\": \"yGVza+E=\"}},"
                            " \"host_name\": \"x.org\"}");

    (void)state;
    assert_int_equal(mm3export_prepare(a, c, "l", "iso-8859-2", &x, &err), 0);
    keys_text(c, 5);
    attr(a, c, "real_name", "{\"$unicode\": \"\\u010cesk\\u00e1\"}");
    attr(a, c, "info", "{\"$unicode\": \"caf\\u0102\\u0160\"}");
    attr(a, c, "description", "{\"$unicode\": \"\\u010cesk\\u00e1\"}");
    attr(a, c, "usernames", "{\"$dict\": [[{\"$unicode\": \"a@x.org\"},"
                            " {\"$unicode\": \"\\u010cesk\\u00e1\"}]]}");
    attr(a, c, "host_name", "{\"$unicode\": \"x.org\"}");
    assert_int_equal(x.fallbacks.len, 0);
    assert_string_equal(x.fqdn, "l@x.org");
    assert_string_equal(x.display_name, "\xc4\x8c" "esk\xc3\xa1");
    mm3export_free(&x);
    value_arena_free(&a);

    /* an English (us-ascii) list: UTF-8 and Latin-1 fallbacks, named by path */
    a = value_arena_new();
    c = tj(a, "{\"info\": {\"$bytes\": \"Y2Fmw6k=\"},"
              " \"description\": {\"$bytes\": \"Y2Fm6Q==\"},"
              " \"usernames\": {\"a@x.org\": {\"$bytes\": \"UmVu6Q==\"}},"
              " \"owner\": [\"a@x.org\"]}");
    assert_int_equal(mm3export_prepare(a, c, "l", "us-ascii", &x, &err), 0);
    keys_text(c, 4);
    attr(a, c, "info", "{\"$unicode\": \"caf\\u00e9\"}");
    attr(a, c, "description", "{\"$unicode\": \"caf\\u00e9\"}");
    attr(a, c, "usernames", "{\"$dict\": [[{\"$unicode\": \"a@x.org\"},"
                            " {\"$unicode\": \"Ren\\u00e9\"}]]}");
    attr(a, c, "owner", "[{\"$unicode\": \"a@x.org\"}]");
    assert_int_equal(x.fallbacks.len, 3);
    assert_string_equal(note_for(&x.fallbacks, "info")->what, "utf-8");
    assert_string_equal(note_for(&x.fallbacks, "description")->what, "iso-8859-1");
    assert_string_equal(note_for(&x.fallbacks, "usernames['a@x.org']")->what, "iso-8859-1");
    assert_int_equal(x.strings, 9);   /* keys too */
    mm3export_free(&x);
    value_arena_free(&a);
}

/* Unknown language (no charset): UTF-8, else Latin-1, both named */
static void test_decode_unknown_charset(void **state)
{
    struct value_arena *a = value_arena_new();
    struct mm3export x;
    const char *err = NULL;
    struct value *c = tj(a, "{\"info\": {\"$bytes\": \"Y2Fmw6k=\"}, \"d\": \"ascii\"}");

    (void)state;
    assert_int_equal(mm3export_prepare(a, c, "l", NULL, &x, &err), 0);
    assert_int_equal(x.fallbacks.len, 1);
    assert_string_equal(x.fallbacks.items[0].what, "utf-8");
    assert_null(x.charset);
    mm3export_free(&x);
    value_arena_free(&a);
}

/* _BounceInfo records, other instances, non-string keys and out-of-range enums
 * are left out and noted; an empty bounce_info goes silently */
static void test_left_out(void **state)
{
    struct value_arena *a = value_arena_new();
    struct mm3export x;
    const char *err = NULL;
    struct value *c = tj(a,
        "{\"$dict\": [[\"bounce_info\", {\"a@x.org\": {\"$instance\": \"Mailman.Bouncer._BounceInfo\","
        " \"$state\": {\"score\": 1.0}}, \"b@x.org\": {\"$instance\": \"Mailman.Bouncer._BounceInfo\","
        " \"$state\": {}}}],"
        " [\"odd\", [1, {\"$instance\": \"Mailman.UserDesc.UserDesc\", \"$state\": {}}]],"
        " [5, \"int key\"],"
        " [\"reply_goes_to_list\", 7], [\"subscribe_policy\", 3], [\"filter_action\", -1],"
        " [\"digest_volume_frequency\", true], [\"personalize\", null],"
        " [\"info\", \"kept\"]]}");

    (void)state;
    assert_int_equal(mm3export_prepare(a, c, "l", "us-ascii", &x, &err), 0);
    keys_text(c, 3);
    attr(a, c, "subscribe_policy", "3");
    attr(a, c, "digest_volume_frequency", "true");
    attr(a, c, "info", "{\"$unicode\": \"kept\"}");
    assert_int_equal(x.bounce_info, 2);
    assert_non_null(strstr(note_for(&x.left_out, "bounce_info")->what, "2 bounce records"));
    assert_non_null(note_for(&x.left_out, "odd"));
    assert_non_null(note_for(&x.left_out, "a key of type int"));
    assert_non_null(strstr(note_for(&x.left_out, "reply_goes_to_list")->what,
                           "fail on the whole list"));
    assert_non_null(strstr(note_for(&x.left_out, "filter_action")->what, "drop it"));
    assert_non_null(note_for(&x.left_out, "personalize"));
    assert_int_equal(x.left_out.len, 6);
    mm3export_free(&x);
    value_arena_free(&a);

    a = value_arena_new();
    c = tj(a, "{\"bounce_info\": {}}");
    assert_int_equal(mm3export_prepare(a, c, "l", "us-ascii", &x, &err), 0);
    same(a, c, "{}");
    assert_int_equal(x.left_out.len, 0);
    mm3export_free(&x);
    value_arena_free(&a);
}

/* header_filter_rules: the lines import21 skips, each with its reason; a rule it
 * cannot unpack is left out */
static void test_header_rules(void **state)
{
    struct value_arena *a = value_arena_new();
    struct mm3export x;
    const char *err = NULL;
    struct value *c = tj(a, "{\"header_filter_rules\": ["
        "{\"$tuple\": [\"^Subject: spam\\n\\n^X-Spam:.*yes\", 3, false]},"
        "{\"$tuple\": [\"From: a\", 1, false]},"
        "{\"$tuple\": [\"anything\", 2, false]},"
        "{\"$tuple\": [\"^: x\", 2, false]},"
        "{\"$tuple\": [\"To: [unclosed\", 7, false]},"
        "{\"$tuple\": [\"subject: spam\", 6, false]},"
        "{\"$tuple\": [\"two\", 2]}, 5]}");
    const struct mm3export_note *n = NULL;

    (void)state;
    assert_int_equal(mm3export_prepare(a, c, "l", "us-ascii", &x, &err), 0);
    assert_int_equal(value_len(value_dict_get_str(a, c, "header_filter_rules")), 6);
    assert_non_null(note_for(&x.left_out, "header_filter_rules[6]"));
    assert_non_null(note_for(&x.left_out, "header_filter_rules[7]"));
    assert_int_equal(x.header_rules.len, 5);
    n = note_for(&x.header_rules, "From: a");
    assert_non_null(n);
    assert_non_null(strstr(n->what, "action 1"));
    assert_non_null(strstr(note_for(&x.header_rules, "anything")->what, "any header"));
    assert_non_null(strstr(note_for(&x.header_rules, "^: x")->what, "empty header"));
    assert_non_null(strstr(note_for(&x.header_rules, "To: [unclosed")->what, "re compiles"));
    assert_non_null(strstr(note_for(&x.header_rules, "subject: spam")->what, "earlier line"));
    assert_null(note_for(&x.header_rules, "^Subject: spam"));
    assert_null(note_for(&x.header_rules, "^X-Spam:.*yes"));
    mm3export_free(&x);
    value_arena_free(&a);
}

/* The addresses import21 subscribes: members (with the case members[] keeps and
 * usernames' names), owners, moderators, non-member addresses; regexps, @list
 * and non-addresses noted; banned and invalid addresses noted */
static void test_rosters(void **state)
{
    struct value_arena *a = value_arena_new();
    struct mm3export x;
    const char *err = NULL;
    struct value *c = tj(a, "{\"members\": {\"ana@x.org\": \"Ana@X.org\", \"bob@x.org\": 0,"
        " \"spam@bad.org\": 0},"
        " \"digest_members\": {\"dora@x.org\": 0, \"no-domain\": 0},"
        " \"usernames\": {\"ana@x.org\": \"Ana\", \"owner@x.org\": \"The Owner\"},"
        " \"owner\": [\"Owner@X.org\", \"ana@x.org\"], \"moderator\": [\"mod@x.org\"],"
        " \"accept_these_nonmembers\": [\"^.*@ok\\\\.org$\", \"@other\", \"friend@y.org\","
        " \"bad address\"],"
        " \"hold_these_nonmembers\": [\"friend@y.org\"],"
        " \"ban_list\": [\"^spam@.*\"], \"host_name\": \"X.org\"}");
    size_t i;
    int seen = 0;

    (void)state;
    assert_int_equal(mm3export_prepare(a, c, "L", "us-ascii", &x, &err), 0);
    assert_string_equal(x.fqdn, "l@x.org");
    assert_int_equal(x.n_addresses, 8);
    for (i = 0; i < x.n_addresses; i++) {
        const struct mm3export_address *ad = &x.addresses[i];
        if (strcmp(ad->email, "ana@x.org") == 0) {
            assert_string_equal(ad->original, "Ana@X.org");
            assert_string_equal(ad->display, "Ana");
            assert_int_equal(ad->role, MM3EXPORT_MEMBER);
            seen |= 1;
        } else if (strcmp(ad->email, "owner@x.org") == 0) {
            assert_string_equal(ad->original, "owner@x.org");
            assert_string_equal(ad->display, "The Owner");
            assert_int_equal(ad->role, MM3EXPORT_OWNER);
            seen |= 2;
        } else if (strcmp(ad->email, "friend@y.org") == 0) {
            assert_int_equal(ad->role, MM3EXPORT_NONMEMBER);
            assert_null(ad->display);
            seen |= 4;
        }
    }
    assert_int_equal(seen, 7);
    assert_int_equal(x.nonmember_rules.len, 3);
    assert_non_null(strstr(note_for(&x.nonmember_rules, "accept_these_nonmembers: @other")->what,
                           "drops it"));
    assert_int_equal(x.refused.len, 2);
    assert_non_null(strstr(note_for(&x.refused, "spam@bad.org")->what, "banned"));
    assert_non_null(strstr(note_for(&x.refused, "no-domain")->what, "not an address"));
    assert_int_equal(x.members, 3);
    assert_int_equal(x.digest_members, 2);
    assert_int_equal(x.owners, 2);
    mm3export_free(&x);
    value_arena_free(&a);
}

/* A str and a unicode of the same text as keys of one dict: one is left out;
 * nesting deeper than the bound is refused; the pickle written loads as unicode */
static void test_collisions_depth_pickle(void **state)
{
    struct value_arena *a = value_arena_new();
    struct mm3export x;
    const char *err = NULL;
    struct strbuf pck = STRBUF_INIT;
    struct value *c = tj(a, "{\"usernames\": {\"$dict\": [[{\"$bytes\": \"Y2Fm6Q==\"}, \"one\"],"
                            " [{\"$unicode\": \"caf\\u00e9\"}, \"two\"]]}}");
    struct value *deep = NULL;
    struct value *v = NULL;
    struct value *back = NULL;
    enum load_error kind = LOAD_OK;
    int i;

    (void)state;
    assert_int_equal(mm3export_prepare(a, c, "l", "iso-8859-1", &x, &err), 0);
    keys_text(c, 1);
    attr(a, c, "usernames", "{\"$dict\": [[{\"$unicode\": \"caf\\u00e9\"},"
                            " {\"$unicode\": \"one\"}]]}");
    assert_int_equal(x.left_out.len, 1);
    assert_non_null(strstr(x.left_out.items[0].where, "usernames"));
    assert_int_equal(mm3export_pickle(c, &pck, &err), 0);
    assert_int_equal(pyload_unpickle(pck.buf, pck.len, NULL, a, &back, NULL, &kind, &err), 0);
    same(a, back, "{\"$dict\": [[{\"$unicode\": \"usernames\"}, {\"$dict\": [[{\"$unicode\":"
                  " \"caf\\u00e9\"}, {\"$unicode\": \"one\"}]]}]]}");
    mm3export_free(&x);

    deep = value_new_dict(a, 1);
    v = value_new_list(a, 1);
    value_dict_set(a, deep, value_new_bytes(a, "x", 1), v);
    for (i = 0; i < 1100; i++) {
        struct value *n = value_new_list(a, 1);
        value_seq_append(a, v, n);
        v = n;
    }
    assert_int_equal(mm3export_prepare(a, deep, "l", "us-ascii", &x, &err), -1);
    assert_non_null(strstr(err, "nested"));
    mm3export_free(&x);
    strbuf_release(&pck);
    value_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_fallbacks),
        cmocka_unit_test(test_decode_unknown_charset),
        cmocka_unit_test(test_left_out),
        cmocka_unit_test(test_header_rules),
        cmocka_unit_test(test_rosters),
        cmocka_unit_test(test_collisions_depth_pickle),
    };

    return cmocka_run_group_tests(tests, NULL, harness_python_teardown);
}
