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

/* stdin from the input, however large (more than a pipe holds), and the output limit */
static void test_input(void **state)
{
    char *cat[] = { "cat", NULL };
    char *wc[] = { "wc", "-l", NULL };
    struct strbuf in = STRBUF_INIT;
    struct strbuf out = STRBUF_INIT;
    const char *err = NULL;
    int status = -1;
    size_t i;

    (void)state;
    for (i = 0; i < 50000; i++) {
        strbuf_addf(&in, "list%zu-owner\n", i);
    }
    assert_int_equal(mapcmd_run_input(cat, in.buf, in.len, SIZE_MAX, &status, &out, &err), 0);
    assert_int_equal(status, 0);
    assert_int_equal(out.len, in.len);
    assert_memory_equal(out.buf, in.buf, in.len);
    strbuf_release(&out);
    assert_int_equal(mapcmd_run_input(wc, in.buf, in.len, 4, &status, &out, &err), 0);
    assert_int_equal(status, 0);
    assert_true(out.len >= 4 && out.len <= 4096);
    assert_int_equal(strncmp(out.buf, "50000", 5), 0);
    strbuf_release(&out);
    /* empty input: stdin at its end at once */
    assert_int_equal(mapcmd_run_input(wc, "", 0, SIZE_MAX, &status, &out, &err), 0);
    assert_string_equal(out.buf, "0\n");
    strbuf_release(&out);
    strbuf_release(&in);
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
        cmocka_unit_test(test_input),
        cmocka_unit_test(test_run),
        cmocka_unit_test(test_faults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
