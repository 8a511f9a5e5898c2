/*
 * test_report - repair plans on a copy of the fixture installation: the
 * text and JSON reports say what apply then does; apply through locks,
 * journal and atomic saves; rollback
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <cmocka.h>

#include "mmfix/apply.h"
#include "mmfix/install.h"
#include "mmfix/journal.h"
#include "mmfix/lockset.h"
#include "mmfix/pyload.h"
#include "mmfix/repair.h"
#include "mmfix/report.h"
#include "harness.h"
#include "test_config.h"

static char top[64];

static int setup(void **state)
{
    char cmd[512];

    (void)state;
    snprintf(top, sizeof(top), "/tmp/mmfix-test-report-XXXXXX");
    assert_non_null(mkdtemp(top));
    snprintf(cmd, sizeof(cmd), "cp -a '%s/mm21/.' '%s/'", MMFIX_FIXTURES_DIR, top);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static int teardown(void **state)
{

    (void)state;
    assert_int_equal(harness_rmtree(top), 0);
    pyload_deinit();
    return 0;
}

static void test_report_repair(void **state)
{
    struct install *ins = NULL;
    struct plan plan;
    struct strbuf text = STRBUF_INIT;
    struct strbuf js = STRBUF_INIT;
    struct journal *j = NULL;
    struct apply_opts ao = { 0, "repair" };
    struct lockset *locks = NULL;
    char *names[] = { "roster-mess", "broken", "de-verein" };
    bool busy = false;
    json_t *doc = NULL;
    json_error_t jerr;
    const char *err = NULL;
    char path[512];
    int64_t run = 0;

    (void)state;
    assert_int_equal(install_open(top, top, &ins, &err), 0);
    plan_init(&plan, ins->var_prefix);
    assert_int_equal(repair_plan(ins, NULL, "roster-mess", &plan, &err), 0);
    assert_int_equal(repair_plan(ins, NULL, "broken", &plan, &err), 0);
    assert_int_equal(repair_plan(ins, NULL, "de-verein", &plan, &err), 0);
    assert_int_equal(plan.n_lists, 3);
    assert_int_equal(plan.lists[2].diff.len, 0);   /* a clean list: no change */

    report_text(&text, &plan, false);
    assert_non_null(strstr(text.buf, "--- lists/roster-mess/config.pck\n"
                                     "+++ lists/roster-mess/config.pck (after)\n"));
    /* the recovery itself changes no attribute: it shows as a note + files */
    assert_null(strstr(text.buf, "--- lists/broken/"));
    assert_non_null(strstr(text.buf, "broken: recover-fallback: config.pck corrupt"));
    assert_non_null(strstr(text.buf, "  move   lists/broken/config.pck -> "
                                     "lists/broken/config.pck.corrupt\n"));
    assert_non_null(strstr(text.buf, "  copy   lists/broken/config.pck.last -> "
                                     "lists/broken/config.pck.safety\n"));
    assert_null(strstr(text.buf, "lists/de-verein"));
    assert_non_null(strstr(text.buf, "(dry run: nothing was changed)"));

    report_json(&js, &plan, false);
    doc = json_loads(js.buf, 0, &jerr);
    assert_non_null(doc);
    assert_true(json_array_size(json_object_get(doc, "changes")) == plan_changes(&plan));
    assert_true(json_array_size(json_object_get(doc, "files")) == plan.n_ops);
    assert_true(json_is_false(json_object_get(json_object_get(doc, "summary"), "applied")));
    json_decref(doc);

    snprintf(path, sizeof(path), "%s/data/mmfix-journal.sqlite", top);
    assert_int_equal(journal_open(path, &j, &err), 0);
    /* a plan made without the lists' locks is refused, changing nothing */
    assert_int_equal(apply_plan(&plan, ins, j, &locks, &ao, &run, &err), APPLY_FAILED);
    assert_non_null(strstr(err, "lock"));
    assert_int_equal(run, 0);
    assert_int_equal(lockset_acquire(ins, names, 3, 0, &locks, &busy, &err), 0);
    assert_int_equal(apply_plan(&plan, ins, j, &locks, &ao, &run, &err), APPLY_OK);
    assert_int_equal(lockset_release(&locks, &(const char *){ NULL }), 0);
    assert_true(run > 0);
    plan_free(&plan);

    /* applied: nothing left to do */
    plan_init(&plan, ins->var_prefix);
    assert_int_equal(repair_plan(ins, NULL, "broken", &plan, &err), 0);
    assert_int_equal(plan.n_ops, 0);
    plan_free(&plan);

    /* and rolled back: the recovery is planned again */
    assert_int_equal(journal_rollback(j, run, ins->var_prefix, false, NULL, NULL, &err), 0);
    plan_init(&plan, ins->var_prefix);
    assert_int_equal(repair_plan(ins, NULL, "broken", &plan, &err), 0);
    assert_true(plan.n_ops >= 3);
    plan_free(&plan);

    journal_close(&j);
    install_free(&ins);
    strbuf_release(&text);
    strbuf_release(&js);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_repair),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
