/*
 * test_repr - Python 2 repr of values
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mmfix/repr.h"

static void want_repr(const struct value *v, const char *want)
{
    struct strbuf sb = STRBUF_INIT;

    repr_value(&sb, v);
    if (strcmp(strbuf_cstr(&sb), want) != 0) {
        fail_msg("got '%s', want '%s'", strbuf_cstr(&sb), want);
    }
    strbuf_release(&sb);
}

static void test_repr_scalars(void **state)
{
    struct value_arena *a = value_arena_new();

    (void)state;
    want_repr(value_new_none(a), "None");
    want_repr(value_new_bool(a, true), "True");
    want_repr(value_new_int(a, -5), "-5");
    want_repr(value_new_long(a, "123456789012345678901234567890"),
              "123456789012345678901234567890L");
    want_repr(value_new_float(a, 0.5), "0.5");
    want_repr(value_new_float(a, __builtin_inf()), "inf");
    want_repr(value_new_float(a, -__builtin_inf()), "-inf");
    want_repr(value_new_float(a, __builtin_nan("")), "nan");
    want_repr(value_new_bytes(a, "it's", 4), "\"it's\"");
    want_repr(value_new_bytes(a, "a'b\"c", 5), "'a\\'b\"c'");
    want_repr(value_new_bytes(a, "\xc8" "esk\xe1\n", 6), "'\\xc8esk\\xe1\\n'");
    want_repr(value_new_text(a, "\xc3\xa9\xe2\x82\xac", 5), "u'\\xe9\\u20ac'");
    value_arena_free(&a);
}

static void test_repr_containers(void **state)
{
    struct value_arena *a = value_arena_new();
    struct value *t = value_new_tuple(a, 1);
    struct value *d = value_new_dict(a, 2);
    struct value *l = value_new_list(a, 0);

    (void)state;
    value_seq_append(a, t, value_new_int(a, 1));
    want_repr(t, "(1,)");
    want_repr(value_new_tuple(a, 0), "()");
    value_dict_set(a, d, value_new_bytes(a, "k", 1), t);
    value_dict_set(a, d, value_new_bytes(a, "l", 1), l);
    value_seq_append(a, l, value_new_none(a));
    want_repr(d, "{'k': (1,), 'l': [None]}");
    want_repr(value_new_instance(a, "Mailman.Bouncer._BounceInfo", d),
              "<Mailman.Bouncer._BounceInfo {'k': (1,), 'l': [None]}>");
    value_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_repr_scalars),
        cmocka_unit_test(test_repr_containers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
