/*
 * test_jsonw - JSON writing: escaping, nesting, shortest doubles
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mmfix/jsonw.h"

static void test_jsonw_nesting(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;

    (void)state;
    jsonw_init(&w, &sb, true);
    jsonw_object_begin(&w);
    jsonw_key(&w, "a");
    jsonw_array_begin(&w);
    jsonw_int(&w, 1);
    jsonw_null(&w);
    jsonw_bool(&w, true);
    jsonw_array_end(&w);
    jsonw_key(&w, "e");
    jsonw_object_begin(&w);
    jsonw_object_end(&w);
    jsonw_key(&w, "s");
    jsonw_string(&w, "q\"\\\n\x01\xc3\xa9");
    jsonw_object_end(&w);
    assert_string_equal(strbuf_cstr(&sb),
                        "{\"a\":[1,null,true],\"e\":{},\"s\":\"q\\\"\\\\\\n\\u0001\xc3\xa9\"}");
    strbuf_release(&sb);

    jsonw_init(&w, &sb, false);
    jsonw_array_begin(&w);
    jsonw_int(&w, 1);
    jsonw_array_begin(&w);
    jsonw_array_end(&w);
    jsonw_array_end(&w);
    assert_string_equal(strbuf_cstr(&sb), "[\n  1,\n  []\n]\n");
    strbuf_release(&sb);
}

static void test_jsonw_invalid_utf8(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;

    (void)state;
    jsonw_init(&w, &sb, true);
    jsonw_string(&w, "a\xff" "b\xed\xa0\x80");
    assert_string_equal(strbuf_cstr(&sb), "\"a\\ufffdb\\ufffd\\ufffd\\ufffd\"");
    strbuf_release(&sb);
}

static void test_jsonw_doubles(void **state)
{
    static const struct {
        double d;
        const char *want;
    } cases[] = {
        { 1270420777.274485, "1270420777.274485" },
        { 1.0, "1.0" },
        { 0.1, "0.1" },
        { 5.0, "5.0" },
        { -2.5, "-2.5" },
        { 0.0, "0.0" },
        { 1e16, "1e+16" },
        { 1.5e-5, "1.5e-05" },
        { 0.001, "0.001" },
        { 123456789.0, "123456789.0" },
        { 1e22, "1e+22" },
        { 1000000000000000.0, "1000000000000000.0" },
        { 2.2250738585072014e-308, "2.2250738585072014e-308" },
        { 1796087638.022826, "1796087638.022826" },
    };
    char buf[64];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        jsonw_format_double(cases[i].d, buf, sizeof(buf));
        if (strcmp(buf, cases[i].want) != 0) {
            fail_msg("double %.17g: got '%s', want '%s'", cases[i].d, buf, cases[i].want);
        }
        assert_true(strtod(buf, NULL) == cases[i].d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jsonw_nesting),
        cmocka_unit_test(test_jsonw_invalid_utf8),
        cmocka_unit_test(test_jsonw_doubles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
