/*
 * test_apply - carrying out plans with directory operations (what update
 * and rename need): a new directory with its mode and the group of another
 * path, a file written into it, a symbolic link re-pointed, a directory
 * moved without copying its bytes, an empty directory removed; the
 * journal's rollback puts every one back; plans outside the lock set and
 * paths outside the installation are refused before anything changes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "mmfix/apply.h"
#include "mmfix/install.h"
#include "mmfix/journal.h"
#include "mmfix/lockset.h"
#include "mmfix/plan.h"
#include "mmfix/xalloc.h"
#include "harness.h"

#define fx harness_site

static void mk(const char *top, const char *rel, mode_t mode)
{
    char *p = xasprintf("%s/%s", top, rel);

    assert_int_equal(mkdir(p, mode), 0);
    assert_int_equal(chmod(p, mode), 0);
    free(p);
}

static void put(const char *top, const char *rel, const char *text)
{
    char *p = xasprintf("%s/%s", top, rel);

    harness_write_text(p, text);
    free(p);
}

static int setup(void **state)
{
    struct fx *f = xcalloc(1, sizeof(*f));
    const char *err = NULL;
    char *jp = NULL;

    f->top = harness_tmpdir("apply");
    mk(f->top, "lists", 02775);
    mk(f->top, "lists/old", 02775);
    mk(f->top, "locks", 02775);
    mk(f->top, "data", 02775);
    mk(f->top, "archives", 02775);
    mk(f->top, "archives/private", 02771);
    mk(f->top, "archives/private/old", 02775);
    mk(f->top, "archives/public", 02775);
    mk(f->top, "lists/old/en", 02775);
    put(f->top, "lists/old/config.pck", "pickle");
    put(f->top, "archives/private/old/index.html", "archive index");
    jp = xasprintf("%s/archives/public/old", f->top);
    assert_int_equal(symlink("/old/host/archives/private/old", jp), 0);
    free(jp);
    if (install_open(f->top, NULL, &f->ins, &err) != 0) {
        fail_msg("install_open: %s", err);
    }
    jp = xasprintf("%s/data/mmfix-journal.sqlite", f->top);
    if (journal_open(jp, &f->j, &err) != 0) {
        fail_msg("journal_open: %s", err);
    }
    free(jp);
    *state = f;
    return 0;
}

#define teardown harness_site_teardown

static char *link_of(const char *top, const char *rel)
{
    char *p = xasprintf("%s/%s", top, rel);
    char *t = harness_readlink(p);

    free(p);
    return t;
}

static bool there(const char *top, const char *rel, mode_t *mode_r)
{
    char *p = xasprintf("%s/%s", top, rel);
    struct stat st;
    bool ok = lstat(p, &st) == 0;

    if (ok && mode_r != NULL) {
        *mode_r = st.st_mode & 07777;
    }
    free(p);
    return ok;
}

static void test_apply_dir_ops(void **state)
{
    struct fx *f = *state;
    struct plan plan;
    struct lockset *locks = NULL;
    struct apply_opts ao = { 0, "test" };
    char *names[] = { "old" };
    char *t = NULL;
    const char *err = NULL;
    bool busy = false;
    int64_t run = 0;
    mode_t mode = 0;
    char buf[64];

    plan_init(&plan, f->ins->var_prefix);
    plan_add_mkdir(&plan, "lists/old/cs", 02775, "lists", PLAN_NO_LIST);
    plan_add_put(&plan, "lists/old/cs/listinfo.html", "<html>", 6, PLAN_NO_LIST, false);
    plan_add_op(&plan, PLAN_RMDIR, "lists/old/en", NULL, PLAN_NO_LIST, false);
    plan_add_op(&plan, PLAN_MOVE_WHOLE, "archives/private/old", "archives/private/new",
                PLAN_NO_LIST, false);
    plan_add_op(&plan, PLAN_SYMLINK, "archives/public/old", "/var/lib/mailman/x",
                PLAN_NO_LIST, false);

    /* without the list's lock: refused, nothing done */
    assert_int_equal(apply_plan(&plan, f->ins, f->j, &locks, &ao, &run, &err), APPLY_FAILED);
    assert_false(there(f->top, "lists/old/cs", NULL));

    assert_int_equal(lockset_acquire(f->ins, names, 1, 0, &locks, &busy, &err), 0);
    if (apply_plan(&plan, f->ins, f->j, &locks, &ao, &run, &err) != APPLY_OK) {
        fail_msg("apply: %s", err);
    }
    assert_int_equal(lockset_release(&locks, &(const char *){ NULL }), 0);
    assert_true(there(f->top, "lists/old/cs", &mode));
    assert_int_equal(mode, 02775);
    t = xasprintf("%s/lists/old/cs/listinfo.html", f->top);
    assert_true(harness_read_text(t, buf, sizeof(buf)));
    assert_string_equal(buf, "<html>");
    free(t);
    assert_false(there(f->top, "lists/old/en", NULL));
    assert_false(there(f->top, "archives/private/old", NULL));
    assert_true(there(f->top, "archives/private/new/index.html", NULL));
    t = link_of(f->top, "archives/public/old");
    assert_string_equal(t, "/var/lib/mailman/x");
    free(t);

    if (apply_rollback(f->ins, f->j, run, false, 0, NULL, NULL, &err) != APPLY_OK) {
        fail_msg("rollback: %s", err);
    }
    assert_false(there(f->top, "lists/old/cs", NULL));
    assert_true(there(f->top, "lists/old/en", &mode));
    assert_int_equal(mode, 02775);
    assert_true(there(f->top, "archives/private/old/index.html", NULL));
    assert_false(there(f->top, "archives/private/new", NULL));
    t = link_of(f->top, "archives/public/old");
    assert_string_equal(t, "/old/host/archives/private/old");
    free(t);
    t = xasprintf("%s/locks", f->top);
    assert_int_equal(harness_count_entries(t), 0);
    free(t);
    plan_free(&plan);
}

/* test_apply_outside_refused - a link or a move out of the installation is
 * refused before anything is changed */
static void test_apply_outside_refused(void **state)
{
    struct fx *f = *state;
    struct plan plan;
    struct lockset *locks = NULL;
    struct apply_opts ao = { 0, "test" };
    char *names[] = { "old" };
    const char *err = NULL;
    bool busy = false;
    int64_t run = 0;

    plan_init(&plan, f->ins->var_prefix);
    plan_add_mkdir(&plan, "lists/old/de", 02775, NULL, PLAN_NO_LIST);
    plan_add_op(&plan, PLAN_MOVE_WHOLE, "archives/private/old", "../escaped", PLAN_NO_LIST,
                false);
    assert_int_equal(lockset_acquire(f->ins, names, 1, 0, &locks, &busy, &err), 0);
    assert_int_equal(apply_plan(&plan, f->ins, f->j, &locks, &ao, &run, &err), APPLY_FAILED);
    assert_int_equal(lockset_release(&locks, &(const char *){ NULL }), 0);
    assert_false(there(f->top, "lists/old/de", NULL));
    assert_true(there(f->top, "archives/private/old", NULL));
    plan_free(&plan);

    /* a lock that is no longer ours when released (removed behind our back) is said */
    assert_int_equal(lockset_acquire(f->ins, names, 1, 0, &locks, &busy, &err), 0);
    {
        char *lock = xasprintf("%s/locks/old.lock", f->top);
        assert_int_equal(unlink(lock), 0);
        free(lock);
    }
    err = NULL;
    assert_int_equal(lockset_release(&locks, &err), -1);
    assert_null(locks);
    assert_non_null(strstr(err, "no longer ours"));
}

/* test_apply_check_ops - the plan-time check refuses what apply would refuse: a write, move
 * or mkdir where a symbolic link is, or through one; a link may be removed or re-pointed */
static void test_apply_check_ops(void **state)
{
    struct fx *f = *state;
    struct plan plan;
    const char *err = NULL;
    char *out = harness_tmpdir("apply-outside");
    char *p = xasprintf("%s/data/last", f->top);
    char *q = xasprintf("%s/lists/old/es", f->top);

    assert_int_equal(symlink(out, p), 0);
    assert_int_equal(symlink(out, q), 0);
    plan_init(&plan, f->ins->var_prefix);
    plan_add_mkdir(&plan, "lists/old/de", 02775, NULL, PLAN_NO_LIST);
    plan_add_op(&plan, PLAN_DELETE, "data/last", NULL, PLAN_NO_LIST, false);
    plan_add_op(&plan, PLAN_SYMLINK, "archives/public/old", "/x", PLAN_NO_LIST, false);
    assert_int_equal(apply_check_ops(&plan, f->ins, 0, &err), 0);
    /* a save over the link, a file below the linked directory, a move into it */
    plan_add_put(&plan, "data/last", "x", 1, PLAN_NO_LIST, false);
    assert_int_equal(apply_check_ops(&plan, f->ins, 0, &err), -1);
    assert_non_null(strstr(err, "symbolic link"));
    plan_truncate_ops(&plan, 3);
    plan_add_put(&plan, "lists/old/es/listinfo.html", "x", 1, PLAN_NO_LIST, false);
    assert_int_equal(apply_check_ops(&plan, f->ins, 0, &err), -1);
    /* only the operations from first on are looked at */
    assert_int_equal(apply_check_ops(&plan, f->ins, 4, &err), 0);
    plan_truncate_ops(&plan, 3);
    plan_add_op(&plan, PLAN_MOVE_WHOLE, "archives/private/old", "lists/old/es/old",
                PLAN_NO_LIST, false);
    assert_int_equal(apply_check_ops(&plan, f->ins, 0, &err), -1);
    assert_int_equal(harness_count_entries(out), 0);
    plan_free(&plan);
    harness_rmtree(out);
    free(out);
    free(p);
    free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_apply_dir_ops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apply_outside_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apply_check_ops, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
