/*
 * test_testfault - MMFIX_TEST_FAIL_<POINT> fails exactly the calls it lists
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "mmfix/testfault.h"

/* hits - which of the first 8 calls of point fail, as a bit mask */
static unsigned hits(const char *point, int errnum)
{
    unsigned mask = 0;
    unsigned i;

    for (i = 0; i < 8; i++) {
        errno = 0;
        if (testfault_hit(point, errnum)) {
            assert_int_equal(errno, errnum);
            mask |= 1u << i;
        } else {
            assert_int_equal(errno, 0);
        }
    }
    return mask;
}

static int setup(void **state)
{
    (void)state;
    unsetenv("MMFIX_TEST_FAIL_FORK");
    unsetenv("MMFIX_TEST_FAIL_PIPE");
    testfault_reset();
    return 0;
}

static void test_testfault_unset(void **state)
{
    (void)state;
    assert_int_equal(hits("fork", EAGAIN), 0);
    setenv("MMFIX_TEST_FAIL_FORK", "", 1);
    assert_int_equal(hits("fork", EAGAIN), 0);
    assert_false(testfault_at("fork", 1));
    /* calls made while unset are not counted */
    setenv("MMFIX_TEST_FAIL_FORK", "1", 1);
    assert_int_equal(hits("fork", EAGAIN), 0x01);
}

/* which of the first 8 forks each value fails; a value that is not a list
 * of numbers, in whole, fails nothing */
static void test_testfault_specs(void **state)
{
    static const struct {
        const char *spec;
        unsigned want;
    } cases[] = {
        { "2", 0x02 }, { "1,3,8", 0x85 }, { "*", 0xff }, { "9", 0 },
        { "x", 0 }, { "2;3", 0 }, { "2,x,3", 0 }, { "2,", 0 }, { "-1", 0 }, { " 2", 0 },
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned got;

        testfault_reset();
        setenv("MMFIX_TEST_FAIL_FORK", cases[i].spec, 1);
        got = hits("fork", EAGAIN);
        if (got != cases[i].want) {
            fail_msg("'%s': got 0x%02x, want 0x%02x", cases[i].spec, got, cases[i].want);
        }
    }
    /* counting goes on without a reset: the 9th call fails */
    testfault_reset();
    setenv("MMFIX_TEST_FAIL_FORK", "9", 1);
    assert_int_equal(hits("fork", EAGAIN), 0);
    assert_int_equal(hits("fork", EAGAIN), 0x01);
}

static void test_testfault_points_apart(void **state)
{
    (void)state;
    setenv("MMFIX_TEST_FAIL_PIPE", "2", 1);
    setenv("MMFIX_TEST_FAIL_FORK", "3", 1);
    assert_false(testfault_hit("pipe", EMFILE));
    assert_false(testfault_hit("fork", EAGAIN));
    assert_false(testfault_hit("fork", EAGAIN));
    assert_true(testfault_hit("pipe", EMFILE));
    assert_int_equal(errno, EMFILE);
    assert_true(testfault_hit("fork", EAGAIN));
    assert_int_equal(errno, EAGAIN);
    assert_false(testfault_hit("other", EIO));
}

static void test_testfault_at(void **state)
{
    (void)state;
    setenv("MMFIX_TEST_FAIL_SCAN_LIST", "4,12", 1);
    assert_false(testfault_at("scan_list", 1));
    assert_true(testfault_at("scan_list", 4));
    assert_true(testfault_at("scan_list", 4));
    assert_true(testfault_at("scan_list", 12));
    assert_false(testfault_at("scan_list", 1));
    /* the point's name in upper case makes the variable */
    assert_false(testfault_at("scan_lis", 4));
    unsetenv("MMFIX_TEST_FAIL_SCAN_LIST");
    assert_false(testfault_at("scan_list", 4));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_testfault_unset, setup),
        cmocka_unit_test_setup(test_testfault_specs, setup),
        cmocka_unit_test_setup(test_testfault_points_apart, setup),
        cmocka_unit_test_setup(test_testfault_at, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
