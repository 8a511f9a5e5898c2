/*
 * test_roster - the repair steps on member data, and the diff they produce
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "mmfix/diff.h"
#include "mmfix/pyload.h"
#include "mmfix/roster.h"

static struct value *S(struct value_arena *a, const char *s)
{
    return value_new_bytes(a, s, strlen(s));
}

static struct value *dict_of(struct value_arena *a, struct value *config, const char *name)
{
    struct value *d = value_new_dict(a, 0);
    value_dict_set(a, config, S(a, name), d);
    return d;
}

static bool has_note(const struct problem_list *pl, const char *code)
{
    size_t i;

    for (i = 0; i < pl->len; i++) {
        if (strcmp(pl->items[i].code, code) == 0) {
            return true;
        }
    }
    return false;
}

static void test_roster_fixes(void **state)
{
    struct value_arena *a = value_arena_new();
    struct value *c = value_new_dict(a, 0);
    struct value *members = dict_of(a, c, "members");
    struct value *digest = dict_of(a, c, "digest_members");
    struct value *passwords = dict_of(a, c, "passwords");
    struct value *opts = dict_of(a, c, "user_options");
    struct value *status = dict_of(a, c, "delivery_status");
    struct value *st = value_new_tuple(a, 2);
    struct value *before = NULL;
    struct value *v = NULL;
    struct problem_list notes;
    struct diff d;

    (void)state;
    problem_list_init(&notes);
    value_dict_set(a, c, S(a, "preferred_language"), S(a, "big5"));
    value_dict_set(a, members, S(a, "Ana.Diaz@Example.ORG"), value_new_int(a, 0));
    value_dict_set(a, members, S(a, "bo@example.org"), value_new_int(a, 0));
    value_dict_set(a, members, S(a, "cy@example.org"), value_new_int(a, 0));
    value_dict_set(a, digest, S(a, "bo@example.org"), value_new_int(a, 0));
    value_dict_set(a, passwords, S(a, "Ana.Diaz@Example.ORG"), S(a, "pw"));
    value_dict_set(a, passwords, S(a, "ghost@example.org"), S(a, "boo"));
    value_dict_set(a, opts, S(a, "ghost@example.org"), value_new_int(a, 8));
    value_seq_append(a, st, value_new_int(a, 4));
    value_seq_append(a, st, value_new_float(a, 1.0));
    value_dict_set(a, status, S(a, "cy@example.org"), st);
    before = value_copy(a, c);

    roster_repair(a, c, NULL, "l", &notes);
    /* key case: lower-case key, written form kept with the domain lowered */
    assert_null(value_dict_get_str(a, members, "Ana.Diaz@Example.ORG"));
    v = value_dict_get_str(a, members, "ana.diaz@example.org");
    assert_non_null(v);
    assert_true(value_str_eq(v, "Ana.Diaz@example.org"));
    assert_true(value_str_eq(value_dict_get_str(a, passwords, "ana.diaz@example.org"), "pw"));
    /* both rosters: regular kept */
    assert_non_null(value_dict_get_str(a, members, "bo@example.org"));
    assert_null(value_dict_get_str(a, digest, "bo@example.org"));
    /* orphans gone */
    assert_null(value_dict_get_str(a, passwords, "ghost@example.org"));
    assert_int_equal(opts->u.dict.len, 0);
    /* bybounce without info re-enabled */
    assert_int_equal(status->u.dict.len, 0);
    /* big5 -> zh_TW */
    assert_true(value_str_eq(value_dict_get_str(a, c, "preferred_language"), "zh_TW"));
    assert_true(has_note(&notes, "fixed-roster-key-case"));
    assert_true(has_note(&notes, "fixed-roster-both"));
    assert_true(has_note(&notes, "fixed-roster-orphans"));
    assert_true(has_note(&notes, "fixed-roster-bybounce-no-info"));
    assert_true(has_note(&notes, "fixed-unknown-language"));

    /* the diff names each member change */
    diff_init(&d);
    diff_configs(a, before, c, &d);
    assert_true(d.len >= 7);
    {
        size_t i;
        bool saw_member = false;
        for (i = 0; i < d.len; i++) {
            if (value_str_eq(d.items[i].attribute, "members") && d.items[i].key != NULL
                && value_str_eq(d.items[i].key, "ana.diaz@example.org")) {
                assert_null(d.items[i].before);
                saw_member = true;
            }
        }
        assert_true(saw_member);
    }
    diff_free(&d);

    /* a clean config is left alone */
    problem_list_free(&notes);
    before = value_copy(a, c);
    roster_repair(a, c, NULL, "l", &notes);
    assert_int_equal(notes.len, 0);
    assert_true(value_equal(before, c));
    problem_list_free(&notes);
    value_arena_free(&a);
}

static void test_value_copy_sharing(void **state)
{
    struct value_arena *a = value_arena_new();
    struct value *shared = value_new_list(a, 0);
    struct value *top = value_new_list(a, 0);
    struct value *c = NULL;

    (void)state;
    shared->memo = 5;
    value_seq_append(a, top, shared);
    value_seq_append(a, top, shared);
    c = value_copy(a, top);
    assert_ptr_equal(c->u.seq.items[0], c->u.seq.items[1]);
    assert_ptr_not_equal(c->u.seq.items[0], shared);
    assert_int_equal(c->u.seq.items[0]->memo, 5);
    assert_true(value_equal(c, top));
    value_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roster_fixes),
        cmocka_unit_test(test_value_copy_sharing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
