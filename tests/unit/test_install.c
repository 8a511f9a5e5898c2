/*
 * test_install - installation discovery, list enumeration by Mailman's
 * rule, list-name validity and template-directory collisions, on
 * installations built in a temporary directory and on the corpus.
 */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "mmfix/install.h"
#include "mmfix/pyload.h"
#include "mmfix/site.h"
#include "mmfix/xalloc.h"
#include "test_config.h"

struct fixture {
    char *root;       /* the temp dir */
    char *vp;         /* root/var: a var prefix */
    char *idir;       /* root/usr: an install dir */
    char *outside;    /* root2: outside the var prefix */
};

/* rm_one - nftw callback removing one entry */
static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* rm_rf - remove a temp tree */
static void rm_rf(const char *path)
{
    if (path != NULL) {
        nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    }
}

/* mk - mkdir -p of root/rel (rel relative, '/'-separated) */
static void mk(const char *root, const char *rel)
{
    char *p = xasprintf("%s/%s", root, rel);
    char *s = p + strlen(root) + 1;

    for (;;) {
        char *slash = strchr(s, '/');
        if (slash != NULL) {
            *slash = '\0';
        }
        if (mkdir(p, 0755) != 0 && access(p, F_OK) != 0) {
            fail_msg("mkdir %s", p);
        }
        if (slash == NULL) {
            break;
        }
        *slash = '/';
        s = slash + 1;
    }
    free(p);
}

/* touch - create root/rel (its directory must exist) */
static void touch(const char *root, const char *rel)
{
    char *p = xasprintf("%s/%s", root, rel);
    FILE *fp = fopen(p, "w");

    if (fp == NULL) {
        fail_msg("create %s", p);
    }
    fclose(fp);
    free(p);
}

/* ln - symlink root/rel -> target */
static void ln(const char *target, const char *root, const char *rel)
{
    char *p = xasprintf("%s/%s", root, rel);

    if (symlink(target, p) != 0) {
        fail_msg("symlink %s", p);
    }
    free(p);
}

/* setup - a var prefix with assorted list directories */
static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    char tmpl[] = "/tmp/mmfix-test-install-XXXXXX";
    char tmpl2[] = "/tmp/mmfix-test-install-out-XXXXXX";
    char *target = NULL;

    f->root = xstrdup(mkdtemp(tmpl));
    f->outside = xstrdup(mkdtemp(tmpl2));
    f->vp = xasprintf("%s/var", f->root);
    f->idir = xasprintf("%s/usr", f->root);
    mk(f->root, "var/lists/alpha");
    touch(f->vp, "lists/alpha/config.pck");
    mk(f->root, "var/lists/beta");
    touch(f->vp, "lists/beta/config.db.last");
    mk(f->root, "var/lists/gamma");
    touch(f->vp, "lists/gamma/config.pck.last");
    mk(f->root, "var/lists/delta");
    touch(f->vp, "lists/delta/config.db");
    mk(f->root, "var/lists/nolist");
    touch(f->vp, "lists/nolist/pending.pck");
    mk(f->root, "var/lists/Upper");
    touch(f->vp, "lists/Upper/config.pck");
    mk(f->root, "var/lists/x&y");
    touch(f->vp, "lists/x&y/config.pck");
    touch(f->vp, "lists/config.pck");               /* a file, not a list */
    mk(f->root, "var/elsewhere/inside");
    touch(f->vp, "elsewhere/inside/config.pck");
    ln("../elsewhere/inside", f->vp, "lists/linked-in");
    mk(f->outside, "evil");
    touch(f->outside, "evil/config.pck");
    target = xasprintf("%s/evil", f->outside);
    ln(target, f->vp, "lists/linked-out");
    ln("/nonexistent/mmfix/dangling", f->vp, "lists/dangling");
    mk(f->root, "var/data");
    mk(f->root, "usr/Mailman");
    touch(f->idir, "Mailman/Defaults.py");
    mk(f->root, "usr/messages/xx/LC_MESSAGES");
    mk(f->root, "usr/templates/en");
    free(target);
    *state = f;
    return 0;
}

/* teardown - remove the temp trees */
static int teardown(void **state)
{
    struct fixture *f = *state;

    rm_rf(f->root);
    rm_rf(f->outside);
    free(f->root);
    free(f->outside);
    free(f->vp);
    free(f->idir);
    free(f);
    return 0;
}

/* test_open_explicit - var prefix and install dir given */
static void test_open_explicit(void **state)
{
    struct fixture *f = *state;
    struct install *in = NULL;
    const char *err = NULL;
    char *lists = xasprintf("%s/lists", f->vp);

    assert_int_equal(install_open_search(f->vp, f->idir, NULL, NULL, &in, &err), 0);
    assert_string_equal(in->var_prefix, f->vp);
    assert_string_equal(in->install_dir, f->idir);
    assert_null(in->no_install_dir_reason);
    assert_string_equal(in->lists_dir, lists);
    assert_non_null(strstr(in->data_dir, "/var/data"));
    assert_non_null(strstr(in->archives_dir, "/var/archives"));
    assert_non_null(strstr(in->locks_dir, "/var/locks"));
    assert_non_null(strstr(in->templates_dir, "/usr/templates"));
    assert_non_null(strstr(in->messages_dir, "/usr/messages"));
    install_free(&in);
    assert_null(in);
    install_free(&in);

    /* an install dir without Mailman/Defaults.py is an error */
    assert_int_equal(install_open_search(f->vp, f->vp, NULL, NULL, &in, &err), -1);
    assert_null(in);
    assert_non_null(strstr(err, "not a Mailman install dir"));
    /* a var prefix without lists/ is an error */
    assert_int_equal(install_open_search(f->idir, NULL, NULL, NULL, &in, &err), -1);
    assert_non_null(strstr(err, "no lists/ directory"));
    assert_int_equal(install_open_search("/nonexistent/mmfix", NULL, NULL, NULL, &in, &err),
                     -1);
    assert_null(in);
    free(lists);
}

/* test_open_search - environment and candidate places */
static void test_open_search(void **state)
{
    struct fixture *f = *state;
    struct install *in = NULL;
    const char *err = NULL;
    const char *vars[] = { "/nonexistent/mmfix/a", NULL, NULL };
    const char *dirs[] = { "/nonexistent/mmfix/b", NULL, NULL };
    const char *none[] = { "/nonexistent/mmfix/a", "/nonexistent/mmfix/c", NULL };

    vars[1] = f->vp;
    dirs[1] = f->idir;
    unsetenv("MMFIX_VAR_PREFIX");
    assert_int_equal(install_open_search(NULL, NULL, vars, dirs, &in, &err), 0);
    assert_string_equal(in->var_prefix, f->vp);
    assert_string_equal(in->install_dir, f->idir);
    install_free(&in);

    /* no install dir anywhere: not an error, but explained */
    assert_int_equal(install_open_search(f->vp, NULL, NULL, none, &in, &err), 0);
    assert_null(in->install_dir);
    assert_null(in->templates_dir);
    assert_null(in->messages_dir);
    assert_non_null(in->no_install_dir_reason);
    assert_non_null(strstr(in->no_install_dir_reason, "no Mailman/Defaults.py in"));
    assert_non_null(strstr(in->no_install_dir_reason, "/nonexistent/mmfix/c"));
    install_free(&in);

    /* the environment names the var prefix */
    setenv("MMFIX_VAR_PREFIX", f->vp, 1);
    assert_int_equal(install_open_search(NULL, NULL, none, dirs, &in, &err), 0);
    assert_string_equal(in->var_prefix, f->vp);
    install_free(&in);
    unsetenv("MMFIX_VAR_PREFIX");

    /* nothing anywhere */
    assert_int_equal(install_open_search(NULL, NULL, none, dirs, &in, &err), -1);
    assert_non_null(strstr(err, "no Mailman installation found"));
    assert_non_null(strstr(err, "/nonexistent/mmfix/a or /nonexistent/mmfix/c"));
    assert_null(in);
}

/* test_open_source_install - var prefix == install dir */
static void test_open_source_install(void **state)
{
    struct fixture *f = *state;
    struct install *in = NULL;
    const char *err = NULL;
    const char *none[] = { NULL };

    mk(f->vp, "Mailman");
    touch(f->vp, "Mailman/Defaults.py");
    assert_int_equal(install_open_search(f->vp, NULL, none, none, &in, &err), 0);
    assert_string_equal(in->install_dir, f->vp);
    install_free(&in);
}

/* test_list_names - Mailman's rule, sorted, symlinks kept inside */
static void test_list_names(void **state)
{
    struct fixture *f = *state;
    struct install *in = NULL;
    const char *err = NULL;
    char **names = NULL;
    size_t n = 0;
    static const char *const want[] = {
        "Upper", "alpha", "beta", "delta", "gamma", "linked-in", "x&y",
    };
    size_t i;

    assert_int_equal(install_open_search(f->vp, f->idir, NULL, NULL, &in, &err), 0);
    assert_int_equal(install_list_names(in, &names, &n, &err), 0);
    if (n != sizeof(want) / sizeof(want[0])) {
        for (i = 0; i < n; i++) {
            print_message("list: %s\n", names[i]);
        }
        fail_msg("%zu lists", n);
    }
    for (i = 0; i < n; i++) {
        assert_string_equal(names[i], want[i]);
    }
    install_names_free(names, n);

    /* the links the fixture plants that leave the tree or dangle */
    assert_int_equal(install_list_outside(in, &names, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "dangling");
    assert_string_equal(names[1], "linked-out");
    for (i = 0; i < n; i++) {
        bool listed = false;
        size_t k;
        for (k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
            listed = listed || strcmp(names[i], want[k]) == 0;
        }
        assert_false(listed);
    }
    install_names_free(names, n);

    /* install_link_out: the target of a link that leaves or dangles, nothing for the rest */
    {
        char *t = install_link_out(in, "lists/linked-out");
        assert_non_null(t);
        assert_non_null(strstr(t, "/evil"));
        free(t);
        t = install_link_out(in, "lists/dangling");
        assert_string_equal(t, "/nonexistent/mmfix/dangling");
        free(t);
        assert_null(install_link_out(in, "lists/linked-in"));
        assert_null(install_link_out(in, "lists/alpha"));
        assert_null(install_link_out(in, "lists/no-such-list"));
        assert_null(install_link_out(in, "lists"));
    }

    /* lists/ vanished after install_open */
    free(in->lists_dir);
    in->lists_dir = xasprintf("%s/no-lists-here", f->vp);
    assert_int_equal(install_list_names(in, &names, &n, &err), -1);
    assert_null(names);
    assert_int_equal(n, 0);
    install_free(&in);
}

/* test_corpus_lists - the nine lists of mm21-sample */
static void test_corpus_lists(void **state)
{
    struct install *in = NULL;
    const char *err = NULL;
    char **names = NULL;
    size_t n = 0;
    const char *none[] = { NULL };
    static const char *const want[] = {
        "ci-noticias", "cs", "de-forum", "es", "ja-users", "mailman", "profesores",
        "test-en", "vacia",
    };
    size_t i;

    (void)state;
    assert_int_equal(install_open_search(MMFIX_CORPUS_DIR "/mm21-sample",
                                         MMFIX_CORPUS_DIR "/site", none, none, &in, &err), 0);
    assert_int_equal(install_list_names(in, &names, &n, &err), 0);
    assert_int_equal(n, 9);
    for (i = 0; i < n; i++) {
        assert_string_equal(names[i], want[i]);
        assert_true(install_list_valid_name(names[i], NULL));
    }
    install_names_free(names, n);
    /* the 2.0 installation before its update: config.db lists */
    install_free(&in);
    assert_int_equal(install_open_search(MMFIX_CORPUS_DIR "/mm20-sample/before", NULL, none,
                                         none, &in, &err), 0);
    assert_null(in->install_dir);
    assert_int_equal(install_list_names(in, &names, &n, &err), 0);
    assert_int_equal(n, 5);
    assert_string_equal(names[0], "cs");
    install_names_free(names, n);
    install_free(&in);
}

/* test_valid_names - [-+_.=a-z0-9] only */
static void test_valid_names(void **state)
{
    static const char *const good[] = {
        "cs", "test-en", "a+b", "x_y", "list.name", "a=b", "0", "mailman",
    };
    static const struct {
        const char *name;
        const char *why;
    } bad[] = {
        { "", "empty" },
        { ".", "path component" },
        { "..", "path component" },
        { "Upper", "upper-case letter 'U'" },
        { "x&y", "shell metacharacter '&'" },
        { "a;rm -rf", "shell metacharacter ';'" },
        { "a|b", "shell metacharacter '|'" },
        { "a`b`", "shell metacharacter '`'" },
        { "a$b", "shell metacharacter '$'" },
        { "has space", "shell metacharacter a space" },
        { "tab\tx", "\\x09" },
        { "quote'x", "shell metacharacter \\x27" },
        { "Mixed&Case", "shell metacharacter '&'" },
        { "a@b", "'@', outside [-+_.=a-z0-9]" },
        { "a,b", "','" },
        { "caf\xc3\xa9", "\\xc3" },
    };
    const char *why = NULL;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        assert_true(install_list_valid_name(good[i], &why));
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why = NULL;
        assert_false(install_list_valid_name(bad[i].name, &why));
        assert_non_null(why);
        if (strstr(why, bad[i].why) == NULL) {
            fail_msg("%s: '%s' lacks '%s'", bad[i].name, why, bad[i].why);
        }
    }
    assert_false(install_list_valid_name(NULL, NULL));
}

/* test_collisions - language codes, en, site, messages/, hosts */
static void test_collisions(void **state)
{
    struct fixture *f = *state;
    struct install *in = NULL;
    struct site_settings *site = NULL;
    const char *err = NULL;
    const char *what = NULL;

    assert_int_equal(install_open_search(f->vp, f->idir, NULL, NULL, &in, &err), 0);
    assert_int_equal(install_list_collisions(in, NULL, "cs", &what), INSTALL_COLLISION_LANGUAGE);
    assert_non_null(strstr(what, "Czech"));
    assert_non_null(strstr(what, "templates/cs/"));
    assert_int_equal(install_list_collisions(in, NULL, "big5", NULL),
                     INSTALL_COLLISION_LANGUAGE);     /* 2.1 final's table */
    assert_int_equal(install_list_collisions(in, NULL, "zh_TW", NULL),
                     INSTALL_COLLISION_LANGUAGE);     /* 2.1.39's table */
    assert_int_equal(install_list_collisions(in, NULL, "en", &what), INSTALL_COLLISION_ENGLISH);
    assert_int_equal(install_list_collisions(in, NULL, "site", &what), INSTALL_COLLISION_SITE);
    assert_int_equal(install_list_collisions(in, NULL, "xx", &what),
                     INSTALL_COLLISION_MESSAGES);     /* messages/xx/ exists */
    assert_non_null(strstr(what, "messages/"));
    assert_int_equal(install_list_collisions(NULL, NULL, "xx", &what), INSTALL_COLLISION_NONE);
    assert_null(what);
    assert_int_equal(install_list_collisions(in, NULL, "test-en", &what),
                     INSTALL_COLLISION_NONE);
    assert_int_equal(install_list_collisions(in, NULL, "..", NULL), INSTALL_COLLISION_NONE);
    assert_int_equal(install_list_collisions(in, NULL, "", NULL), INSTALL_COLLISION_NONE);

    /* with the corpus site: its hosts and its own language table */
    if (site_load(MMFIX_CORPUS_DIR "/site", &site, &err) != 0) {
        fail_msg("site_load: %s", err);
    }
    assert_int_equal(install_list_collisions(in, site, "ci.usb.ve", &what),
                     INSTALL_COLLISION_VIRTUAL_HOST);
    assert_non_null(strstr(what, "templates/ci.usb.ve/"));
    assert_int_equal(install_list_collisions(in, site, "LDC.usb.ve", NULL),
                     INSTALL_COLLISION_VIRTUAL_HOST);
    assert_int_equal(install_list_collisions(in, site, "el", &what),
                     INSTALL_COLLISION_LANGUAGE);
    assert_non_null(strstr(what, "Greek"));
    assert_int_equal(install_list_collisions(in, site, "fr", NULL),
                     INSTALL_COLLISION_LANGUAGE);     /* built-in table still counts */
    assert_int_equal(install_list_collisions(in, site, "ja-users", NULL),
                     INSTALL_COLLISION_NONE);
    site_free(&site);

    assert_string_equal(install_collision_name(INSTALL_COLLISION_LANGUAGE), "language");
    assert_string_equal(install_collision_name(INSTALL_COLLISION_VIRTUAL_HOST), "virtual-host");
    assert_string_equal(install_collision_name(INSTALL_COLLISION_NONE), "none");
    install_free(&in);
}

/* group_teardown - stop the interpreter */
static int group_teardown(void **state)
{
    (void)state;
    pyload_deinit();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_explicit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_search, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_source_install, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_names, setup, teardown),
        cmocka_unit_test(test_corpus_lists),
        cmocka_unit_test(test_valid_names),
        cmocka_unit_test_setup_teardown(test_collisions, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, group_teardown);
}
