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

#include "mmfix/pickle.h"
#include "mmfix/strbuf.h"
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

/* pickled - the pickle of v as a NUL-terminated copy in sb */
static void pickled(struct strbuf *sb, const struct value *v)
{
    const char *err = NULL;

    strbuf_reset(sb);
    assert_int_equal(pickle_write(sb, v, &err), 0);
}

/* the working copy: containers new (a shared one shared again), scalars the original's
 * own nodes with their refs as they were; it pickles as the original does, and once
 * changed the refs count its parents in the copy */
static void test_value_copy_working(void **state)
{
    struct value_arena *a = value_arena_new();
    struct value *d = value_new_dict(a, 0);
    struct value *members = value_new_dict(a, 0);
    struct value *names = value_new_dict(a, 0);
    struct value *addr = value_new_bytes(a, "a@example.org", 13);
    struct value *shared = value_new_list(a, 0);
    struct value *inst = NULL;
    struct value *c = NULL;
    struct strbuf p1 = STRBUF_INIT;
    struct strbuf p2 = STRBUF_INIT;

    (void)state;
    value_dict_set(a, members, addr, value_new_int(a, 0));
    value_dict_set(a, names, addr, value_new_text(a, "A", 1));
    value_dict_set(a, d, value_new_bytes(a, "members", 7), members);
    value_dict_set(a, d, value_new_bytes(a, "usernames", 9), names);
    value_seq_append(a, shared, value_new_bytes(a, "x@example.org", 13));
    value_dict_set(a, d, value_new_bytes(a, "one", 3), shared);
    value_dict_set(a, d, value_new_bytes(a, "two", 3), shared);
    inst = value_new_instance(a, "Mailman.Bouncer._BounceInfo", value_new_dict(a, 0));
    value_dict_set(a, d, value_new_bytes(a, "bounce", 6), inst);
    assert_int_equal(addr->refs, 2);

    c = value_copy_working(a, d);
    assert_true(value_equal(c, d));
    assert_ptr_not_equal(c, d);
    assert_ptr_not_equal(value_dict_get_str(a, c, "members"), members);
    assert_ptr_equal(value_dict_get_str(a, c, "members")->u.dict.items[0].key, addr);
    assert_int_equal(addr->refs, 2);
    assert_ptr_equal(value_dict_get_str(a, c, "one"), value_dict_get_str(a, c, "two"));
    assert_ptr_not_equal(value_dict_get_str(a, c, "one"), shared);
    assert_int_equal(value_dict_get_str(a, c, "one")->refs, 2);
    assert_int_equal(value_dict_get_str(a, c, "members")->refs, 1);
    assert_ptr_not_equal(value_dict_get_str(a, c, "bounce")->u.inst.state, inst->u.inst.state);
    assert_int_equal(value_dict_get_str(a, c, "bounce")->u.inst.state->refs, 1);
    pickled(&p1, d);
    pickled(&p2, c);
    assert_int_equal(p1.len, p2.len);
    assert_memory_equal(p1.buf, p2.buf, p1.len);

    /* changed: the address leaves usernames in the copy; the original is as it was */
    assert_true(value_dict_del(a, value_dict_get_str(a, c, "usernames"), addr));
    assert_int_equal(addr->refs, 1);
    assert_int_equal(names->u.dict.len, 1);
    assert_false(value_equal(c, d));
    strbuf_release(&p1);
    strbuf_release(&p2);
    value_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_value_scalars),
        cmocka_unit_test(test_value_dict_index),
        cmocka_unit_test(test_value_sharing),
        cmocka_unit_test(test_value_copy_working),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
