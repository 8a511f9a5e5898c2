/*
 * test_value - the value tree: constructors, dicts, sharing, equality
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "mmfix/value.h"

static void test_value_scalars(void **state)
{
    struct value_arena *a = value_arena_new();
    struct value *v = NULL;

    (void)state;
    v = value_new_long(a, "123");
    assert_int_equal(v->type, VALUE_INT);
    assert_int_equal(v->u.i, 123);
    v = value_new_long(a, "-9223372036854775808");
    assert_int_equal(v->type, VALUE_INT);
    v = value_new_long(a, "9223372036854775808");
    assert_int_equal(v->type, VALUE_LONG);
    assert_string_equal(v->u.digits, "9223372036854775808");
    v = value_new_long(a, "-000123456789012345678901234567890");
    assert_int_equal(v->type, VALUE_LONG);
    assert_string_equal(v->u.digits, "-123456789012345678901234567890");
    assert_null(value_new_long(a, "12x"));
    assert_null(value_new_long(a, ""));
    v = value_new_bytes(a, "a\0b", 3);
    assert_int_equal(v->u.str.len, 3);
    assert_int_equal(v->u.str.data[3], 0);
    assert_false(value_equal(value_new_bytes(a, "x", 1), value_new_text(a, "x", 1)));
    value_arena_free(&a);
    assert_null(a);
}

static void test_value_dict_index(void **state)
{
    struct value_arena *a = value_arena_new();
    struct value *d = value_new_dict(a, 0);
    char key[32];
    int i;

    (void)state;
    for (i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "user%d@example.org", i);
        value_dict_set(a, d, value_new_bytes(a, key, strlen(key)), value_new_int(a, i));
    }
    assert_int_equal(d->u.dict.len, 5000);
    /* replace keeps order and count */
    value_dict_set(a, d, value_new_bytes(a, "user7@example.org", 17), value_new_int(a, -1));
    assert_int_equal(d->u.dict.len, 5000);
    assert_int_equal(value_dict_get_str(a, d, "user7@example.org")->u.i, -1);
    assert_int_equal(value_dict_get_str(a, d, "user4999@example.org")->u.i, 4999);
    assert_null(value_dict_get_str(a, d, "nobody@example.org"));
    assert_true(value_str_eq(d->u.dict.items[0].key, "user0@example.org"));
    value_arena_free(&a);
}

static void test_value_sharing(void **state)
{
    struct value_arena *a = value_arena_new();
    struct value *shared = value_new_list(a, 0);
    struct value *top = value_new_tuple(a, 2);

    (void)state;
    value_seq_append(a, shared, value_new_none(a));
    value_seq_append(a, top, shared);
    value_seq_append(a, top, shared);
    assert_int_equal(shared->refs, 2);
    assert_ptr_equal(top->u.seq.items[0], top->u.seq.items[1]);
    assert_true(value_equal(top, top));
    value_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_value_scalars),
        cmocka_unit_test(test_value_dict_index),
        cmocka_unit_test(test_value_sharing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
