/*
 * test_mm3verify - what `mailman members -R any` and `mailman lists -q -n -d` of
 * Mailman 3.3.8 print, checked against the addresses and names mmfix read
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mmfix/mm3verify.h"
#include "mmfix/xalloc.h"

/* a list of three addresses: one with a display name and its own case, one without a
 * name, one with a name Mailman 3 must show */
static void make(struct mm3export *x)
{
    static const struct { const char *e, *o, *d; } a[] = {
        { "ana@x.org", "Ana@X.org", "Ana Čapková" },
        { "bob@x.org", "bob@x.org", NULL },
        { "kim@x.org", "kim@x.org", "金 正" },
    };
    size_t i;

    memset(x, 0, sizeof(*x));
    x->fqdn = xstrdup("cs@x.org");
    x->display_name = xstrdup("Česká");
    x->description = xstrdup("Konference – test");
    x->addresses = xcalloc(3, sizeof(*x->addresses));
    x->n_addresses = 3;
    for (i = 0; i < 3; i++) {
        x->addresses[i].email = xstrdup(a[i].e);
        x->addresses[i].original = xstrdup(a[i].o);
        x->addresses[i].display = a[i].d != NULL ? xstrdup(a[i].d) : NULL;
    }
}

static void test_members(void **state)
{
    struct mm3export x;
    struct mm3verify v;
    const char *ok = "Ana Čapková <Ana@X.org>\nbob@x.org\n金 正 <kim@x.org>\n";
    const char *lost = "Ana apkov <Ana@X.org>\nsome warning: <x>\n金 正 <kim@x.org>\n";

    (void)state;
    make(&x);
    memset(&v, 0, sizeof(v));
    mm3verify_members(ok, strlen(ok), &x, &v);
    assert_int_equal(v.addresses, 3);
    assert_int_equal(v.display_names, 2);
    assert_int_equal(v.n_missing, 0);
    assert_int_equal(v.n_wrong, 0);
    mm3verify_free(&v);
    mm3verify_members(lost, strlen(lost), &x, &v);
    assert_int_equal(v.n_missing, 1);
    assert_string_equal(v.missing[0], "bob@x.org");
    assert_int_equal(v.n_wrong, 1);
    assert_non_null(strstr(v.wrong[0], "'Ana apkov', not 'Ana Čapková'"));
    mm3verify_free(&v);
    mm3export_free(&x);
}

static void test_lists(void **state)
{
    struct mm3export x;
    struct mm3verify v;
    /* as cli_lists.py formats it: identifier padded to the longest, " - ", description */
    const char *ok = "cs@x.org [Česká]          - Konference – test         \n"
                     "longer-name@x.org [Other] - other\n";
    const char *bad = "cs@x.org [esk] - Konference  test\n";

    (void)state;
    make(&x);
    memset(&v, 0, sizeof(v));
    mm3verify_list(ok, strlen(ok), &x, true, &v);
    assert_int_equal(v.n_wrong + v.n_missing, 0);
    mm3verify_list(bad, strlen(bad), &x, true, &v);
    assert_int_equal(v.n_wrong, 1);
    assert_non_null(strstr(v.wrong[0], "display name"));
    mm3verify_free(&v);
    bad = "cs@x.org [Česká] - wrong\n";
    mm3verify_list(bad, strlen(bad), &x, true, &v);
    assert_int_equal(v.n_wrong, 1);
    assert_non_null(strstr(v.wrong[0], "description 'wrong'"));
    mm3verify_free(&v);
    mm3verify_list("other@x.org [x]\n", 16, &x, false, &v);
    assert_int_equal(v.n_missing, 1);
    mm3verify_free(&v);
    assert_true(mm3verify_has_list("a@x.org\nCS@x.org  \n", 19, "cs@x.org"));
    assert_false(mm3verify_has_list("cs@x.org.uk\n", 12, "cs@x.org"));
    mm3export_free(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_members),
        cmocka_unit_test(test_lists),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
