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
#include <unistd.h>
#include <cmocka.h>

#include "mmfix/install.h"
#include "mmfix/pyload.h"
#include "mmfix/scan.h"
#include "mmfix/site.h"
#include "mmfix/xalloc.h"
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

static void write_at(const char *top, const char *rel, const char *text)
{
    char path[2048];

    snprintf(path, sizeof(path), "%s/%s", top, rel);
    harness_write_text(path, text);
}

static void mkdir_at(const char *top, const char *rel)
{
    char path[2048];

    snprintf(path, sizeof(path), "%s/%s", top, rel);
    assert_int_equal(mkdir(path, 0755), 0);
}

static const struct problem *find_code(const struct problem_list *pl, const char *code)
{
    size_t i;

    for (i = 0; i < pl->len; i++) {
        if (strcmp(pl->items[i].code, code) == 0) {
            return &pl->items[i];
        }
    }
    return NULL;
}

/* test_scan_templates_damaged - what an older bin/update leaves: the Czech
 * templates the list did not have in lists/cs/ renamed into it, the ones it
 * had (listinfo.html) still in templates/cs/ */
static void test_scan_templates_damaged(void **state)
{
    char top[] = "/tmp/mmfix-test-scan-XXXXXX";
    char path[512];
    struct install *ins = NULL;
    struct problem_list pl;
    const struct problem *pr = NULL;
    const char *names[] = { "cs" };
    const char *err = NULL;
    const char *txt[] = { "subscribeack.txt", "verify.txt", "bounce.txt", "help.txt" };
    size_t i;

    (void)state;
    problem_list_init(&pl);
    assert_non_null(mkdtemp(top));
    mkdir_at(top, "lists");
    mkdir_at(top, "lists/cs");
    mkdir_at(top, "templates");
    mkdir_at(top, "templates/cs");
    mkdir_at(top, "Mailman");
    write_at(top, "Mailman/Defaults.py", "x\n");
    write_at(top, "templates/cs/listinfo.html", "Czech listinfo\n");
    write_at(top, "lists/cs/listinfo.html", "the list's own listinfo\n");
    for (i = 0; i < 4; i++) {
        snprintf(path, sizeof(path), "lists/cs/%s", txt[i]);
        write_at(top, path, "Czech text\n");
    }
    assert_int_equal(install_open(top, top, &ins, &err), 0);
    scan_site_problems(ins, NULL, names, 1, &pl);
    assert_true(has_code(&pl, 0, pl.len, "language-collision"));
    pr = find_code(&pl, "templates-damaged");
    assert_non_null(pr);
    assert_string_equal(pr->list, "cs");
    /* four strays, not the list's own listinfo.html; a source install: mmfix can move them */
    assert_non_null(strstr(pr->message, "holds 4 global templates"));
    assert_non_null(strstr(pr->message, "moves them back into templates/cs"));
    problem_list_free(&pl);

    /* a .txt that is the 2.0 flat template is the 2.0 list's stock copy, not
     * a stray: three strays are still enough */
    write_at(top, "templates/help.txt", "Czech text\n");
    scan_site_problems(ins, NULL, names, 1, &pl);
    pr = find_code(&pl, "templates-damaged");
    assert_non_null(pr);
    assert_non_null(strstr(pr->message, "holds 3 global templates"));
    problem_list_free(&pl);

    /* the global templates reinstalled in templates/cs/: a collision, no damage */
    for (i = 0; i < 4; i++) {
        snprintf(path, sizeof(path), "templates/cs/%s", txt[i]);
        write_at(top, path, "Czech text\n");
    }
    scan_site_problems(ins, NULL, names, 1, &pl);
    assert_true(has_code(&pl, 0, pl.len, "language-collision"));
    assert_false(has_code(&pl, 0, pl.len, "templates-damaged"));
    problem_list_free(&pl);
    install_free(&ins);
    assert_int_equal(harness_rmtree(top), 0);
}

/* test_scan_templates_damaged_elsewhere - templates/ outside the var prefix
 * (Debian): the problem gives the command that puts them back */
static void test_scan_templates_damaged_elsewhere(void **state)
{
    char *top = harness_tmpdir("scan");
    char var[600];
    char lib[600];
    char path[700];
    struct install *ins = NULL;
    struct problem_list pl;
    const struct problem *pr = NULL;
    const char *names[] = { "de" };
    const char *err = NULL;
    const char *txt[] = { "approve.txt", "bounce.txt", "postheld.txt" };
    char *want = NULL;
    size_t i;

    (void)state;
    problem_list_init(&pl);
    snprintf(var, sizeof(var), "%s/var", top);
    snprintf(lib, sizeof(lib), "%s/lib", top);
    mkdir_at(top, "var");
    mkdir_at(top, "lib");
    mkdir_at(var, "lists");
    mkdir_at(var, "lists/de");
    mkdir_at(lib, "Mailman");
    mkdir_at(lib, "templates");
    mkdir_at(lib, "templates/de");
    write_at(lib, "Mailman/Defaults.py", "x\n");
    for (i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "lists/de/%s", txt[i]);
        write_at(var, path, "deutsch\n");
    }
    /* not a global template name: the list's own, never moved */
    write_at(var, "lists/de/notes.txt", "ours\n");
    assert_int_equal(install_open(var, lib, &ins, &err), 0);
    scan_site_problems(ins, NULL, names, 1, &pl);
    pr = find_code(&pl, "templates-damaged");
    assert_non_null(pr);
    want = xasprintf("put them back with: cd '%s/lists/de' && mv -n -- 'approve.txt' "
                     "'bounce.txt' 'postheld.txt' '%s/templates/de/'", var, lib);
    if (strstr(pr->message, want) == NULL) {
        fprintf(stderr, "%s\n does not say\n%s\n", pr->message, want);
        fail();
    }
    free(want);
    problem_list_free(&pl);

    /* two stray .txt only: not enough to call it damage */
    snprintf(path, sizeof(path), "%s/lists/de/postheld.txt", var);
    assert_int_equal(unlink(path), 0);
    scan_site_problems(ins, NULL, names, 1, &pl);
    assert_false(has_code(&pl, 0, pl.len, "templates-damaged"));
    problem_list_free(&pl);
    install_free(&ins);
    assert_int_equal(harness_rmtree(top), 0);
    free(top);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_corpus),
        cmocka_unit_test(test_scan_fixture_problems),
        cmocka_unit_test(test_scan_templates_damaged),
        cmocka_unit_test(test_scan_templates_damaged_elsewhere),
    };
    return cmocka_run_group_tests(tests, NULL, harness_python_teardown);
}
