/*
 * test_postfix - main.cf syntax and Postfix's parameter expansion: $name,
 * ${name}, $(name), nesting, undefined names, ${name?text} / ${name:text},
 * loops, the built-in defaults of myhostname / mydomain / mydestination,
 * list splitting. The expected values are what Postfix 3.7's
 * `postconf -x` prints for the same main.cf.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mmfix/postfix.h"

static void conf_of(struct postfix_conf *c, const char *hostname, const char *text)
{
    const char *err = NULL;

    postfix_init(c, hostname);
    assert_int_equal(postfix_parse(c, text, strlen(text), &err), 0);
}

static void assert_value(const struct postfix_conf *c, const char *name, const char *want)
{
    const char *err = NULL;
    char *v = NULL;

    assert_int_equal(postfix_value(c, name, &v, &err), 0);
    assert_string_equal(v, want);
    free(v);
}

static void test_syntax(void **state)
{
    struct postfix_conf c;
    const char *err = NULL;

    (void)state;
    conf_of(&c, "h.example",
            "# comment\n"
            "mydestination = a,\n"
            "    b\n"
            "  # an indented comment does not end the logical line\n"
            "\tc\n"
            "\n"
            "alias_maps=hash:/etc/aliases   \n"
            "alias_maps = hash:/x\n");
    assert_value(&c, "mydestination", "a, b c");
    assert_value(&c, "alias_maps", "hash:/x");
    assert_true(postfix_is_set(&c, "alias_maps"));
    assert_false(postfix_is_set(&c, "myorigin"));
    assert_int_equal(postfix_parse(&c, "no equals sign\n", 15, &err), -1);
    assert_non_null(strstr(err, "line 1"));
    postfix_free(&c);
    postfix_init(&c, "h");
    assert_int_equal(postfix_parse(&c, "  leading = x\n", 14, &err), -1);
    assert_non_null(strstr(err, "continuation"));
    postfix_free(&c);
}

static void test_expand(void **state)
{
    struct postfix_conf c;
    const char *err = NULL;
    char *v = NULL;

    (void)state;
    conf_of(&c, "vm",
            "myhostname = mail.ldc.usb.ve\n"
            "a = [$myhostname|${mydomain}|$(myorigin)]\n"
            "b = $a $a\n"
            "c = ${undefined_x}|$undefined_y|end\n"
            "d = ${myhostname?yes}|${recipient_delimiter:empty}|${mydomain?{x $mydomain}}\n"
            "e = ${recipient_delimiter?never}|${myhostname:never}|$$5\n"
            "loop1 = $loop2\n"
            "loop2 = x${loop1}\n"
            "self = $self\n"
            "bad = ${{$compatibility_level} < {2} ? {a} : {b}}\n"
            "unclosed = ${myhostname\n");
    assert_value(&c, "a", "[mail.ldc.usb.ve|ldc.usb.ve|mail.ldc.usb.ve]");
    assert_value(&c, "b", "[mail.ldc.usb.ve|ldc.usb.ve|mail.ldc.usb.ve] "
                          "[mail.ldc.usb.ve|ldc.usb.ve|mail.ldc.usb.ve]");
    assert_value(&c, "c", "||end");
    assert_value(&c, "d", "yes|empty|x ldc.usb.ve");
    assert_value(&c, "e", "||$5");
    assert_value(&c, "mydestination", "mail.ldc.usb.ve, localhost.ldc.usb.ve, localhost");
    assert_value(&c, "nonexistent", "");
    assert_int_equal(postfix_value(&c, "loop1", &v, &err), -1);
    assert_non_null(strstr(err, "unreasonable macro call nesting"));
    assert_int_equal(postfix_value(&c, "self", &v, &err), -1);
    assert_non_null(strstr(err, "nesting"));
    assert_int_equal(postfix_value(&c, "bad", &v, &err), -1);
    assert_int_equal(postfix_value(&c, "unclosed", &v, &err), -1);
    assert_null(v);
    assert_int_equal(postfix_expand(&c, "to $mydomain", &v, &err), 0);
    assert_string_equal(v, "to ldc.usb.ve");
    free(v);
    postfix_free(&c);
}

static void test_defaults(void **state)
{
    struct postfix_conf c;
    char *raw = NULL;

    (void)state;
    /* a host name without a dot: myhostname = vm.localdomain, as postconf -d shows */
    conf_of(&c, "vm", "");
    assert_value(&c, "myhostname", "vm.localdomain");
    assert_value(&c, "mydomain", "localdomain");
    assert_value(&c, "mydestination", "vm.localdomain, localhost.localdomain, localhost");
    assert_value(&c, "alias_maps", "hash:/etc/aliases, nis:mail.aliases");
    assert_value(&c, "virtual_alias_domains", "");
    raw = postfix_raw(&c, "mydestination");
    assert_string_equal(raw, "$myhostname, localhost.$mydomain, localhost");
    free(raw);
    assert_null(postfix_raw(&c, "no_such_parameter"));
    postfix_free(&c);
    /* with mydomain set, a short host name gets it */
    conf_of(&c, "vm", "mydomain = example.org\n");
    assert_value(&c, "myhostname", "vm.example.org");
    postfix_free(&c);
    /* an FQDN host name: mydomain is the rest */
    conf_of(&c, "mx1.cs.example.org", "virtual_maps = hash:/v\n");
    assert_value(&c, "mydomain", "cs.example.org");
    assert_value(&c, "virtual_alias_domains", "hash:/v");
    postfix_free(&c);
}

static void test_split(void **state)
{
    size_t n = 0;
    char **items = postfix_split(" a, b ,,c\td\n e ", &n);

    (void)state;
    assert_int_equal(n, 5);
    assert_string_equal(items[0], "a");
    assert_string_equal(items[2], "c");
    assert_string_equal(items[4], "e");
    assert_null(items[5]);
    postfix_split_free(items);
    items = postfix_split("", &n);
    assert_int_equal(n, 0);
    postfix_split_free(items);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_syntax),
        cmocka_unit_test(test_expand),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
