/*
 * test_mapcmd - command settings split into words without a shell (and the
 * ones only a shell could run refused), Postfix's programs told from
 * stand-ins, children run with their output and exit status, and the
 * failures of pipe() and fork() (testfault points "pipe", "fork").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mmfix/mapcmd.h"
#include "mmfix/testfault.h"

static void test_parse(void **state)
{
    struct mapcmd cmd;
    const char *err = NULL;
    const char *refused[] = { "postalias; touch /tmp/x", "postalias $(id)", "a|b", "a && b",
                              "'/usr/sbin/postalias'", "post\\alias", "a > f", "", "  \t " };
    size_t i;

    (void)state;
    assert_int_equal(mapcmd_parse("  /usr/sbin/postalias\t-o  -v ", &cmd, &err), 0);
    assert_int_equal(cmd.argc, 3);
    assert_string_equal(cmd.argv[0], "/usr/sbin/postalias");
    assert_string_equal(cmd.argv[1], "-o");
    assert_string_equal(cmd.argv[2], "-v");
    assert_null(cmd.argv[3]);
    assert_true(mapcmd_is(&cmd, "postalias"));
    assert_false(mapcmd_is(&cmd, "postmap"));
    mapcmd_free(&cmd);
    assert_int_equal(mapcmd_parse("postmap", &cmd, &err), 0);
    assert_true(mapcmd_is(&cmd, "postmap"));
    mapcmd_free(&cmd);
    assert_int_equal(mapcmd_parse("/bin/true", &cmd, &err), 0);
    assert_false(mapcmd_is(&cmd, "postalias"));
    mapcmd_free(&cmd);
    for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        err = NULL;
        assert_int_equal(mapcmd_parse(refused[i], &cmd, &err), -1);
        assert_non_null(err);
        assert_null(cmd.argv);
    }
}

static void test_run(void **state)
{
    char *echo[] = { "echo", "a&b;", "$(x)", NULL };
    char *sh_false[] = { "/bin/false", NULL };
    char *missing[] = { "/nonexistent/postalias", NULL };
    struct strbuf out = STRBUF_INIT;
    const char *err = NULL;
    int status = -1;
    char *text = NULL;

    (void)state;
    /* no shell: the metacharacters arrive as they are */
    assert_int_equal(mapcmd_run(echo, &status, &out, &err), 0);
    assert_int_equal(status, 0);
    assert_string_equal(out.buf, "a&b; $(x)\n");
    text = mapcmd_text(echo);
    assert_string_equal(text, "echo a&b; $(x)");
    free(text);
    assert_int_equal(mapcmd_run(sh_false, &status, NULL, &err), 0);
    assert_int_equal(status, 1);
    assert_int_equal(mapcmd_run(missing, &status, NULL, &err), 0);
    assert_int_equal(status, 127);
    strbuf_release(&out);
}

static void test_faults(void **state)
{
    char *echo[] = { "echo", "x", NULL };
    const char *err = NULL;
    int status = -1;

    (void)state;
    setenv("MMFIX_TEST_FAIL_PIPE", "1", 1);
    testfault_reset();
    assert_int_equal(mapcmd_run(echo, &status, NULL, &err), -1);
    assert_non_null(strstr(err, "pipe"));
    unsetenv("MMFIX_TEST_FAIL_PIPE");
    setenv("MMFIX_TEST_FAIL_FORK", "1", 1);
    testfault_reset();
    assert_int_equal(mapcmd_run(echo, &status, NULL, &err), -1);
    assert_non_null(strstr(err, "cannot start"));
    unsetenv("MMFIX_TEST_FAIL_FORK");
    testfault_reset();
    assert_int_equal(mapcmd_run(echo, &status, NULL, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_run),
        cmocka_unit_test(test_faults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
