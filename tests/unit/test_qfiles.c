/*
 * test_qfiles - the 2.0 queue made into 2.1 queue entries: a copy of
 * fixtures/qfiles20 (written as Mailman 2.0 writes its queue, see its
 * README) planned, applied and checked by tests/tools/check_qpck.py
 * against Mailman 2.1.39's rules; every entry that cannot be converted,
 * a symbolic link among them, in qfiles/bad/ unchanged; rollback gives the
 * exact tree back. Also: no queue, and a queue whose in/ is not a
 * directory.
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
#include "mmfix/qfiles.h"
#include "mmfix/xalloc.h"
#include "harness.h"
#include "test_config.h"

#define NOW 1764460800.25

#define fx harness_site

static char *at(const struct fx *f, const char *rel)
{
    return xasprintf("%s/%s", f->top, rel);
}

static int setup(void **state)
{
    struct fx *f = xcalloc(1, sizeof(*f));
    char *p;

    f->top = harness_tmpdir("qfiles");
    p = at(f, "lists");
    assert_int_equal(mkdir(p, 02775), 0);
    free(p);
    *state = f;
    return 0;
}

#define teardown harness_site_teardown

static void open_install(struct fx *f)
{
    const char *err = NULL;

    if (install_open(f->top, NULL, &f->ins, &err) != 0) {
        fail_msg("install_open: %s", err);
    }
}

#define notes_with harness_count_problems

static void test_qfiles_convert(void **state)
{
    struct fx *f = *state;
    struct plan plan;
    struct journal *j = NULL;
    struct lockset *locks = NULL;
    struct apply_opts ao = { 0, "update" };
    const char *err = NULL;
    char *q = at(f, "qfiles");
    char *p = NULL;
    char *before = NULL;
    char *after = NULL;
    char buf[256];
    bool busy = false;
    int64_t run = 0;
    const char *bad[] = { "a0garbage.db", "a0garbage.msg", "a1code.db", "a1code.msg",
                          "a2list.db", "a2list.msg", "a3orphan.msg", "a4orphan.db",
                          "a5link.db", "a5link.msg",
                          "out/975000160.5+2222222222222222222222222222222222222222.db",
                          "out/975000160.5+2222222222222222222222222222222222222222.pck" };
    size_t i;

    harness_copy_tree(MMFIX_FIXTURES_DIR "/qfiles20/qfiles", q);
    /* a symbolic link entry: never read, moved as a link */
    p = at(f, "qfiles/a5link.msg");
    assert_int_equal(symlink("/etc/passwd", p), 0);
    free(p);
    p = at(f, "qfiles/a5link.db");
    harness_write_text(p, "{0");
    free(p);
    open_install(f);
    before = harness_snapshot(f->top);

    plan_init(&plan, f->ins->var_prefix);
    if (qfiles_plan(f->ins, NULL, NOW, &plan, &err) != 0) {
        fail_msg("qfiles_plan: %s", err);
    }
    assert_int_equal(plan.problems.len, 0);
    assert_int_equal(notes_with(&plan.notes, "qfile-converted", "5 queued"), 1);
    assert_int_equal(notes_with(&plan.notes, "qfile-bad", "a0garbage"), 1);
    assert_int_equal(notes_with(&plan.notes, "qfile-bad", "a1code"), 1);
    assert_int_equal(notes_with(&plan.notes, "qfile-bad", "not a dict"), 1);
    assert_int_equal(notes_with(&plan.notes, "qfile-bad", "without its .db"), 1);
    assert_int_equal(notes_with(&plan.notes, "qfile-bad", "without its message"), 1);
    assert_int_equal(notes_with(&plan.notes, "qfile-bad", "symbolic link"), 1);
    assert_int_equal(notes_with(&plan.notes, "qfile-bad", "refused by the restricted "
                                "unpickler"), 1);
    assert_int_equal(notes_with(&plan.notes, "qfile-bak", "qfiles/out holds 1"), 1);
    /* a step: nothing changed yet */
    after = harness_snapshot(f->top);
    assert_string_equal(before, after);
    free(after);

    p = at(f, "data");
    assert_int_equal(mkdir(p, 02775), 0);
    free(p);
    p = at(f, "data/mmfix-journal.sqlite");
    if (journal_open(p, &j, &err) != 0) {
        fail_msg("journal_open: %s", err);
    }
    free(p);
    free(before);
    before = harness_snapshot(q);
    assert_int_equal(lockset_acquire(f->ins, NULL, 0, 0, &locks, &busy, &err), 0);
    if (apply_plan(&plan, f->ins, j, &locks, &ao, &run, &err) != APPLY_OK) {
        fail_msg("apply: %s", err);
    }
    assert_int_equal(lockset_release(&locks, &(const char *){ NULL }), 0);

    /* no 2.0 entry is left at the top; the bad ones are in bad/, unchanged */
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *from = xasprintf("%s/qfiles/%s", f->top, bad[i]);
        const char *slash = strrchr(bad[i], '/');
        char *to = xasprintf("%s/qfiles/bad/%s", f->top, slash != NULL ? slash + 1 : bad[i]);
        assert_false(harness_exists(from));
        assert_true(harness_exists(to));
        free(from);
        free(to);
    }
    p = at(f, "qfiles/bad/a5link.msg");
    after = harness_readlink(p);
    assert_string_equal(after, "/etc/passwd");
    free(after);
    free(p);
    p = at(f, "qfiles/bad/a1code.db");
    assert_true(harness_read_text(p, buf, sizeof(buf)));
    assert_int_equal(buf[0], 'c');
    free(p);
    p = at(f, "qfiles");
    assert_int_equal(harness_count_entries(p), 3);   /* in, bad, out */
    free(p);
    p = at(f, "qfiles/out");
    assert_int_equal(harness_count_entries(p), 4);   /* 2 converted, current, .bak */
    free(p);
    /* what 2.1.39's Switchboard reads */
    p = xasprintf("/usr/bin/python3 '%s/tests/tools/check_qpck.py' '%s/qfiles' %.17g",
                  MMFIX_SOURCE_DIR, f->top, NOW);
    assert_int_equal(system(p), 0);
    free(p);

    if (apply_rollback(f->ins, j, run, false, 0, NULL, NULL, &err) != APPLY_OK) {
        fail_msg("rollback: %s", err);
    }
    after = harness_snapshot(q);
    assert_string_equal(before, after);
    free(after);
    free(before);
    free(q);
    journal_close(&j);
    plan_free(&plan);
}

/* test_qfiles_none - no queue directory: nothing to do */
static void test_qfiles_none(void **state)
{
    struct fx *f = *state;
    struct plan plan;
    const char *err = NULL;

    open_install(f);
    plan_init(&plan, f->ins->var_prefix);
    assert_int_equal(qfiles_plan(f->ins, NULL, NOW, &plan, &err), 0);
    assert_int_equal(plan.n_ops, 0);
    assert_int_equal(plan.notes.len + plan.problems.len, 0);
    plan_free(&plan);
}

/* test_qfiles_in_not_dir - qfiles/in is a file: a problem, the good
 * entries stay where they are (the bad ones still go to bad/) */
static void test_qfiles_in_not_dir(void **state)
{
    struct fx *f = *state;
    struct plan plan;
    const char *err = NULL;
    char *q = at(f, "qfiles");
    char *p = NULL;
    size_t i;

    harness_copy_tree(MMFIX_FIXTURES_DIR "/qfiles20/qfiles", q);
    p = at(f, "qfiles/in");
    harness_write_text(p, "in the way");
    free(p);
    open_install(f);
    plan_init(&plan, f->ins->var_prefix);
    assert_int_equal(qfiles_plan(f->ins, NULL, NOW, &plan, &err), 0);
    assert_int_equal(notes_with(&plan.problems, "qfile-queue-dir", "qfiles/in is a regular"),
                     1);
    /* the 2.1 queue out/ is converted in place all the same */
    assert_int_equal(notes_with(&plan.notes, "qfile-converted", "2 queued"), 1);
    for (i = 0; i < plan.n_ops; i++) {
        /* bad/ made, the a* entries moved there, out/ converted; 2.0's
         * good entries stay */
        if (plan.ops[i].action == PLAN_PUT || plan.ops[i].action == PLAN_DELETE) {
            assert_int_equal(strncmp(plan.ops[i].path, "qfiles/out/", 11), 0);
        } else {
            assert_true(plan.ops[i].action == PLAN_MKDIR
                        || strncmp(plan.ops[i].path, "qfiles/a", 8) == 0
                        || strncmp(plan.ops[i].path, "qfiles/out/", 11) == 0);
        }
    }
    plan_free(&plan);
    free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_qfiles_convert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_qfiles_none, setup, teardown),
        cmocka_unit_test_setup_teardown(test_qfiles_in_not_dir, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
