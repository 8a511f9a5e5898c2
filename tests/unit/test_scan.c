/*
 * test_scan - the inventory of one list and its problems, on the real
 * corpus and on our fixture installation; the damaged-templates check
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "mmfix/install.h"
#include "mmfix/pyload.h"
#include "mmfix/scan.h"
#include "mmfix/site.h"
#include "harness.h"
#include "test_config.h"

static bool has_code(const struct problem_list *pl, size_t from, size_t to, const char *code)
{
    size_t i;

    for (i = from; i < to; i++) {
        if (strcmp(pl->items[i].code, code) == 0) {
            return true;
        }
    }
    return false;
}

static void scan_one(const char *lists, const struct site_settings *site, const char *name,
                     struct scan_entry *e, struct problem_list *pl)
{
    struct mlist *ml = NULL;
    const char *err = NULL;

    assert_int_equal(mlist_open(lists, name, 0, NULL, &ml, &err), 0);
    scan_list(NULL, site, ml, e, pl);
    mlist_free(&ml);
}

static void test_scan_corpus(void **state)
{
    struct site_settings *site = NULL;
    struct problem_list pl;
    struct scan_entry e;
    const char *err = NULL;

    (void)state;
    problem_list_init(&pl);
    assert_int_equal(site_load(MMFIX_CORPUS_DIR "/site", &site, &err), 0);
    scan_one(MMFIX_CORPUS_DIR "/mm21-sample/lists", site, "ja-users", &e, &pl);
    assert_string_equal(e.file, "lists/ja-users/config.pck");
    assert_string_equal(e.format, "pck");
    assert_int_equal(e.protocol, 1);
    assert_int_equal(e.data_version, 112);
    assert_string_equal(e.charset, "euc-jp");
    assert_string_equal(e.preferred_language, "ja");
    assert_true(e.members > 0);
    assert_false(has_code(&pl, e.problems_from, e.problems_to, "host-mismatch"));
    assert_false(has_code(&pl, e.problems_from, e.problems_to, "undecodable-text"));
    scan_entry_free(&e);

    /* a 2.0 list: marshal, data version 21, not upgraded */
    scan_one(MMFIX_CORPUS_DIR "/mm20-sample/before/lists", site, "es", &e, &pl);
    assert_string_equal(e.format, "db");
    assert_int_equal(e.data_version, 21);
    assert_true(has_code(&pl, e.problems_from, e.problems_to, "not-upgraded"));
    scan_entry_free(&e);
    problem_list_free(&pl);
    site_free(&site);
}

static void test_scan_fixture_problems(void **state)
{
    struct problem_list pl;
    struct scan_entry e;

    (void)state;
    problem_list_init(&pl);
    scan_one(MMFIX_FIXTURES_DIR "/mm21/lists", NULL, "roster-mess", &e, &pl);
    assert_true(has_code(&pl, e.problems_from, e.problems_to, "roster-key-case"));
    assert_true(has_code(&pl, e.problems_from, e.problems_to, "roster-both"));
    assert_true(has_code(&pl, e.problems_from, e.problems_to, "roster-orphans"));
    assert_true(has_code(&pl, e.problems_from, e.problems_to, "roster-invalid-address"));
    assert_true(has_code(&pl, e.problems_from, e.problems_to, "roster-bybounce-no-info"));
    scan_entry_free(&e);
    scan_one(MMFIX_FIXTURES_DIR "/mm21/lists", NULL, "zh-old", &e, &pl);
    assert_true(has_code(&pl, e.problems_from, e.problems_to, "unknown-language"));
    assert_string_equal(e.charset, "big5");
    scan_entry_free(&e);
    scan_one(MMFIX_FIXTURES_DIR "/mm21/lists", NULL, "Upper-Case", &e, &pl);
    assert_true(has_code(&pl, e.problems_from, e.problems_to, "invalid-list-name"));
    scan_entry_free(&e);
    problem_list_free(&pl);
}

static void write_file(const char *path)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("x\n", fp);
    fclose(fp);
}

static void test_scan_templates_damaged(void **state)
{
    char top[] = "/tmp/mmfix-test-scan-XXXXXX";
    char path[512];
    struct install *ins = NULL;
    struct problem_list pl;
    const char *names[] = { "cs" };
    const char *err = NULL;
    const char *txt[] = { "subscribeack.txt", "verify.txt", "bounce.txt", "help.txt" };
    size_t i;

    (void)state;
    problem_list_init(&pl);
    assert_non_null(mkdtemp(top));
    snprintf(path, sizeof(path), "%s/lists", top);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/lists/cs", top);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/templates", top);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/templates/cs", top);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/Mailman", top);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/Mailman/Defaults.py", top);
    write_file(path);
    for (i = 0; i < 4; i++) {
        snprintf(path, sizeof(path), "%s/lists/cs/%s", top, txt[i]);
        write_file(path);
    }
    assert_int_equal(install_open(top, top, &ins, &err), 0);
    scan_site_problems(ins, NULL, names, 1, &pl);
    assert_true(has_code(&pl, 0, pl.len, "language-collision"));
    assert_true(has_code(&pl, 0, pl.len, "templates-damaged"));
    problem_list_free(&pl);

    /* the global templates still in place: a collision, no damage */
    snprintf(path, sizeof(path), "%s/templates/cs/listinfo.html", top);
    write_file(path);
    scan_site_problems(ins, NULL, names, 1, &pl);
    assert_true(has_code(&pl, 0, pl.len, "language-collision"));
    assert_false(has_code(&pl, 0, pl.len, "templates-damaged"));
    problem_list_free(&pl);
    install_free(&ins);
    assert_int_equal(harness_rmtree(top), 0);
}

static int teardown(void **state)
{
    (void)state;
    pyload_deinit();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_corpus),
        cmocka_unit_test(test_scan_fixture_problems),
        cmocka_unit_test(test_scan_templates_damaged),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
