/*
 * test_prefetch - lists read ahead on a second thread: the same results as
 * mlist_open in the caller's thread, in the caller's order, whatever it
 * skips or stops
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mmfix/mlist.h"
#include "mmfix/prefetch.h"
#include "mmfix/pyload.h"
#include "harness.h"
#include "test_config.h"

#define LISTS MMFIX_CORPUS_DIR "/mm21-sample/lists"

static char *names[] = { "cs", "es", "nosuch", "de-forum", "ja-users", "mailman", "test-en",
                         "vacia", "profesores", "ci-noticias" };
#define N_NAMES (sizeof(names) / sizeof(names[0]))

/* expect_same - what the prefetch gave for names[i] is what mlist_open gives here */
static void expect_same(size_t i, int rc, struct mlist *ml, const char *err)
{
    struct mlist *direct = NULL;
    const char *derr = NULL;
    int drc = mlist_open(LISTS, names[i], MLIST_KEEP_MEMO, NULL, &direct, &derr);

    assert_int_equal(rc, drc);
    if (drc != 0) {
        assert_null(ml);
        assert_string_equal(err, derr);
        return;
    }
    assert_non_null(ml);
    assert_string_equal(ml->name, direct->name);
    assert_int_equal(ml->loaded, direct->loaded);
    assert_true(value_equal(ml->config, direct->config));
    mlist_free(&direct);
}

/* every list taken in order; a second take, another name or other flags are refused */
static void test_prefetch_in_order(void **state)
{
    struct prefetch *pf = NULL;
    const char *err = NULL;
    size_t i;

    (void)state;
    assert_int_equal(prefetch_start(LISTS, names, N_NAMES, MLIST_KEEP_MEMO, 2, 2, &pf, &err), 0);
    for (i = 0; i < N_NAMES; i++) {
        struct mlist *ml = NULL;
        int rc = 99;

        prefetch_at(pf, i);
        assert_false(prefetch_take(pf, names[(i + 1) % N_NAMES], MLIST_KEEP_MEMO, &rc, &ml,
                                   &err));
        assert_false(prefetch_take(pf, names[i], 0, &rc, &ml, &err));
        err = NULL;
        assert_true(prefetch_take(pf, names[i], MLIST_KEEP_MEMO, &rc, &ml, &err));
        expect_same(i, rc, ml, err);
        assert_false(prefetch_take(pf, names[i], MLIST_KEEP_MEMO, &rc, &ml, &err));
        mlist_free(&ml);
    }
    prefetch_stop(&pf);
    assert_null(pf);
    prefetch_stop(&pf);
}

/* lists passed by are dropped; a stop with lists read and not taken frees them; the main
 * thread unpickles on its own while the reader runs */
static void test_prefetch_skip_and_stop(void **state)
{
    struct prefetch *pf = NULL;
    struct mlist *ml = NULL;
    const char *err = NULL;
    int rc = 99;

    (void)state;
    assert_int_equal(prefetch_start(LISTS, names, N_NAMES, MLIST_KEEP_MEMO, 1, 3, &pf, &err), 0);
    prefetch_at(pf, 3);
    assert_true(prefetch_take(pf, "de-forum", MLIST_KEEP_MEMO, &rc, &ml, &err));
    expect_same(3, rc, ml, err);
    mlist_free(&ml);
    assert_int_equal(mlist_open(LISTS, "es", MLIST_KEEP_MEMO, NULL, &ml, &err), 0);
    assert_int_equal(ml->loaded, 0);
    mlist_free(&ml);
    prefetch_at(pf, 1);         /* never back */
    assert_false(prefetch_take(pf, "es", MLIST_KEEP_MEMO, &rc, &ml, &err));
    prefetch_at(pf, 5);
    prefetch_stop(&pf);
    assert_null(pf);
    /* no lists, or none but the one planned */
    assert_int_equal(prefetch_start(LISTS, names, 0, MLIST_KEEP_MEMO, 9, 2, &pf, &err), 0);
    assert_false(prefetch_take(pf, "cs", MLIST_KEEP_MEMO, &rc, &ml, &err));
    prefetch_stop(&pf);
    assert_false(prefetch_take(NULL, "cs", MLIST_KEEP_MEMO, &rc, &ml, &err));
    prefetch_at(NULL, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefetch_in_order),
        cmocka_unit_test(test_prefetch_skip_and_stop),
    };

    return cmocka_run_group_tests(tests, NULL, harness_python_teardown);
}
