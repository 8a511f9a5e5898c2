/*
 * test_archives - bin/update's archive step: over a copy of the corpus's
 * real 2.0 installation (mm20-sample/before; its archives/public links
 * point at the original prefix, /usr/lib/mailman, and dangle here: the
 * copied-tree case) compared with what real Mailman 2.1.39 made
 * (mm20-sample/after-update-2.1.39/archives); and synthetic trees for each
 * branch: pre-b6 mboxes (both, one, a file where the mbox directory
 * belongs), the pre-b6 HTML archive, a move that would replace something,
 * a FIFO in the way, links out of the tree, dangling and relative. Every
 * plan is applied with the journal and rolled back to the exact tree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "mmfix/apply.h"
#include "mmfix/archives.h"
#include "mmfix/install.h"
#include "mmfix/journal.h"
#include "mmfix/lockset.h"
#include "mmfix/marshal.h"
#include "mmfix/plan.h"
#include "mmfix/site.h"
#include "mmfix/value.h"
#include "mmfix/xalloc.h"
#include "harness.h"
#include "test_config.h"

#define OLD_PREFIX "/usr/lib/mailman"

#define fx harness_site

static char *at(const struct fx *f, const char *rel)
{
    return xasprintf("%s/%s", f->top, rel);
}

static int setup(void **state)
{
    struct fx *f = xcalloc(1, sizeof(*f));

    f->top = harness_tmpdir("archives");
    *state = f;
    return 0;
}

#define teardown harness_site_teardown

static void open_all(struct fx *f)
{
    const char *err = NULL;
    char *p = NULL;

    if (install_open(f->top, NULL, &f->ins, &err) != 0) {
        fail_msg("install_open: %s", err);
    }
    p = at(f, "data");
    mkdir(p, 02775);
    free(p);
    p = at(f, "locks");
    mkdir(p, 02775);
    free(p);
    p = at(f, "data/mmfix-journal.sqlite");
    if (journal_open(p, &f->j, &err) != 0) {
        fail_msg("journal_open: %s", err);
    }
    free(p);
}

#define count harness_count_problems

static char *link_of(const struct fx *f, const char *rel)
{
    char *p = at(f, rel);
    char *t = harness_readlink(p);

    free(p);
    return t;
}

static mode_t kind_of(const struct fx *f, const char *rel)
{
    char *p = at(f, rel);
    struct stat st;
    mode_t m = lstat(p, &st) == 0 ? (st.st_mode & S_IFMT) : 0;

    free(p);
    return m;
}

/* apply_and_back - apply p under the locks of names, run check, roll back
 * and compare with the tree before */
static void apply_and_back(struct fx *f, struct plan *p, char **names, size_t n,
                           void (*check)(struct fx *f))
{
    struct lockset *locks = NULL;
    struct apply_opts ao = { 0, "update" };
    const char *err = NULL;
    char *arch = at(f, "archives");
    char *before = harness_snapshot(arch);
    char *after = NULL;
    bool busy = false;
    int64_t run = 0;

    assert_int_equal(lockset_acquire(f->ins, names, n, 0, &locks, &busy, &err), 0);
    if (apply_plan(p, f->ins, f->j, &locks, &ao, &run, &err) != APPLY_OK) {
        fail_msg("apply: %s", err);
    }
    assert_int_equal(lockset_release(&locks, &(const char *){ NULL }), 0);
    check(f);
    if (apply_rollback(f->ins, f->j, run, false, 0, NULL, NULL, &err) != APPLY_OK) {
        fail_msg("rollback: %s", err);
    }
    after = harness_snapshot(arch);
    assert_string_equal(before, after);
    free(before);
    free(after);
    free(arch);
}

/* corpus_links - the corpus keeps archive links as files holding their
 * target (see its README): make them links again */
static void corpus_links(struct fx *f)
{
    char *dir = at(f, "archives/public");
    DIR *d = opendir(dir);
    struct dirent *de;

    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        char buf[512];
        char *p;
        if (de->d_name[0] == '.') {
            continue;
        }
        p = xasprintf("%s/%s", dir, de->d_name);
        assert_true(harness_read_text(p, buf, sizeof(buf)));
        buf[strcspn(buf, "\n")] = '\0';
        assert_true(strncmp(buf, OLD_PREFIX "/archives/private/", 34) == 0);
        assert_int_equal(unlink(p), 0);
        assert_int_equal(symlink(buf, p), 0);
        free(p);
    }
    closedir(d);
    free(dir);
}

static char **corpus_names;
static size_t corpus_n;

/* check_corpus - what real 2.1.39 left in archives/, in this prefix */
static void check_corpus(struct fx *f)
{
    const char *after = MMFIX_CORPUS_DIR "/mm20-sample/after-update-2.1.39/archives";
    char *dir = xasprintf("%s/public", after);
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t links = 0;
    size_t i;

    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        char buf[512];
        char *p;
        char *rel;
        char *got;
        char *want;
        if (de->d_name[0] == '.') {
            continue;
        }
        p = xasprintf("%s/%s", dir, de->d_name);
        assert_true(harness_read_text(p, buf, sizeof(buf)));
        buf[strcspn(buf, "\n")] = '\0';
        rel = xasprintf("archives/public/%s", de->d_name);
        got = link_of(f, rel);
        want = xasprintf("%s%s", f->ins->var_prefix, buf + strlen(OLD_PREFIX));
        assert_non_null(got);
        assert_string_equal(got, want);
        /* and it leads somewhere now */
        assert_int_equal(kind_of(f, want + strlen(f->top) + 1), S_IFDIR);
        links++;
        free(p);
        free(rel);
        free(got);
        free(want);
    }
    closedir(d);
    free(dir);
    assert_int_equal(links, 2 * corpus_n);
    /* archives/private/<l>/ as 2.1.39 made it; <l>.mbox/ too (the corpus
     * cannot keep empty directories) */
    for (i = 0; i < corpus_n; i++) {
        char *rel = xasprintf("archives/private/%s", corpus_names[i]);
        char *want = xasprintf("%s/private/%s", after, corpus_names[i]);
        char *mbox = xasprintf("%s.mbox", rel);
        struct stat st;
        assert_int_equal(lstat(want, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(kind_of(f, rel), S_IFDIR);
        assert_int_equal(kind_of(f, mbox), S_IFDIR);
        free(rel);
        free(want);
        free(mbox);
    }
    dir = at(f, "archives/private");
    assert_int_equal(harness_count_entries(dir), (int)(2 * corpus_n));
    free(dir);
}

static void test_archives_corpus(void **state)
{
    struct fx *f = *state;
    struct plan plan;
    const char *err = NULL;
    char *p = NULL;
    size_t i;

    p = xasprintf("chmod -R u+w '%s'", f->top);
    free(f->top);
    f->top = harness_tmpdir("archives");
    assert_int_equal(rmdir(f->top), 0);
    harness_copy_tree(MMFIX_CORPUS_DIR "/mm20-sample/before", f->top);
    free(p);
    p = xasprintf("chmod -R u+w '%s'", f->top);
    assert_int_equal(system(p), 0);
    free(p);
    p = at(f, "archives/private");
    assert_int_equal(mkdir(p, 02771), 0);    /* the corpus cannot keep it: it was empty */
    free(p);
    corpus_links(f);
    open_all(f);
    assert_int_equal(install_list_names(f->ins, &corpus_names, &corpus_n, &err), 0);
    assert_int_equal(corpus_n, 5);

    plan_init(&plan, f->ins->var_prefix);
    for (i = 0; i < corpus_n; i++) {
        struct value_arena *a = value_arena_new();
        struct value *cfg = NULL;
        struct archives_opts o = { false, true, true, false };
        char *db = xasprintf("%s/lists/%s/config.db", f->top, corpus_names[i]);
        if (marshal_read_file(db, NULL, a, &cfg, NULL, NULL, &err) != 0) {
            fail_msg("%s: %s", db, err);
        }
        o.archive_private = archives_private_of(cfg);
        assert_false(o.archive_private);    /* the links in after/ say public */
        if (archives_plan(f->ins, NULL, corpus_names[i], &o, &plan, PLAN_NO_LIST, &err) != 0) {
            fail_msg("archives_plan: %s", err);
        }
        free(db);
        value_arena_free(&a);
    }
    assert_int_equal(plan.problems.len, 0);
    assert_int_equal(count(&plan.notes, "archive-link-foreign", OLD_PREFIX), 2 * corpus_n);
    assert_int_equal(count(&plan.notes, "archive-mkdir", NULL), 2 * corpus_n);
    apply_and_back(f, &plan, corpus_names, corpus_n, check_corpus);
    plan_free(&plan);
    install_names_free(corpus_names, corpus_n);
}

/* the synthetic tree */
static void put(struct fx *f, const char *rel, const char *text)
{
    char *p = at(f, rel);

    harness_write_text(p, text);
    free(p);
}

static void dir(struct fx *f, const char *rel)
{
    char *p = at(f, rel);

    assert_int_equal(mkdir(p, 02775), 0);
    free(p);
}

static void lnk(struct fx *f, const char *rel, const char *target)
{
    char *p = at(f, rel);

    assert_int_equal(symlink(target, p), 0);
    free(p);
}

static void read_is(struct fx *f, const char *rel, const char *text)
{
    char buf[256];
    char *p = at(f, rel);

    assert_true(harness_read_text(p, buf, sizeof(buf)));
    assert_string_equal(buf, text);
    free(p);
}

static void check_unchanged(struct fx *f)
{
    char *t = NULL;

    read_is(f, "archives/private/blocked", "From old\n");
    read_is(f, "archives/private/blocked.mbox/blocked", "From newer\n");
    assert_int_equal(kind_of(f, "archives/public/fifo"), S_IFIFO);
    t = link_of(f, "archives/public/outside");
    assert_string_equal(t, "/etc");
    free(t);
    t = link_of(f, "archives/public/dangle");
    assert_string_equal(t, "/nonexistent/elsewhere/dangle");
    free(t);
    t = link_of(f, "archives/public/rel");
    assert_string_equal(t, "../private/rel");
    free(t);
    /* priv: a private archive's public links removed (Mailman's save) */
    assert_int_equal(kind_of(f, "archives/public/priv"), 0);
    assert_int_equal(kind_of(f, "archives/public/priv.mbox"), 0);
}

/* check_run1 - what one run does; what would take the place of a path
 * the run moves away waits for the next run */
static void check_run1(struct fx *f)
{
    /* old: both mboxes; a private archive keeps the private one */
    read_is(f, "archives/private/old.mbox/old", "From private\n");
    read_is(f, "archives/public/old.preb6", "From public\n");
    assert_int_equal(kind_of(f, "archives/public/old"), 0);
    assert_int_equal(kind_of(f, "archives/private/old"), 0);
    read_is(f, "public_html/archives/old/index.html", "pre-b6 html");
    /* pubone: a file where the mbox directory belongs, moved aside */
    read_is(f, "archives/private/pubone.mbox.tmp", "stray");
    assert_int_equal(kind_of(f, "archives/private/pubone.mbox"), 0);
    read_is(f, "archives/public/pubone", "From pub1\n");
    assert_int_equal(kind_of(f, "archives/private/pubone"), S_IFDIR);
    /* rel2: its public mbox moved in */
    read_is(f, "archives/private/rel2.mbox/rel2", "From rel2\n");
    assert_int_equal(kind_of(f, "archives/public/rel2"), 0);
    check_unchanged(f);
}

static void check_run2(struct fx *f)
{
    char *t = NULL;
    char *want = NULL;

    read_is(f, "archives/private/old/index.html", "pre-b6 html");   /* the HTML moved */
    assert_int_equal(kind_of(f, "public_html/archives/old"), 0);
    read_is(f, "archives/private/pubone.mbox/pubone", "From pub1\n");
    t = link_of(f, "archives/public/rel2");
    want = xasprintf("%s/archives/private/rel2", f->ins->var_prefix);
    assert_string_equal(t, want);
    free(t);
    free(want);
    check_unchanged(f);
}

static char *branch_names[] = { "blocked", "dangle", "fifo", "old", "outside", "priv",
                                "pubone", "rel", "rel2" };
static const bool branch_private[] = { false, false, false, true, true, true, false, false,
                                       false };
#define N_BRANCH 9

static void plan_branches(struct fx *f, const struct site_settings *site, struct plan *plan)
{
    const char *err = NULL;
    size_t i;

    plan_init(plan, f->ins->var_prefix);
    for (i = 0; i < N_BRANCH; i++) {
        struct archives_opts o = { branch_private[i], true, true, false };
        if (archives_plan(f->ins, site, branch_names[i], &o, plan, PLAN_NO_LIST, &err) != 0) {
            fail_msg("archives_plan: %s", err);
        }
    }
}

static void make_branches(struct fx *f)
{
    char *p = NULL;
    size_t i;

    dir(f, "lists");
    for (i = 0; i < N_BRANCH; i++) {
        char *rel = xasprintf("lists/%s", branch_names[i]);
        dir(f, rel);
        free(rel);
    }
    dir(f, "archives");
    dir(f, "archives/private");
    dir(f, "archives/public");
    dir(f, "public_html");
    dir(f, "public_html/archives");
    dir(f, "public_html/archives/old");
    put(f, "public_html/archives/old/index.html", "pre-b6 html");
    put(f, "archives/private/old", "From private\n");
    put(f, "archives/public/old", "From public\n");
    put(f, "archives/private/pubone.mbox", "stray");
    put(f, "archives/public/pubone", "From pub1\n");
    put(f, "archives/private/blocked", "From old\n");
    dir(f, "archives/private/blocked.mbox");
    put(f, "archives/private/blocked.mbox/blocked", "From newer\n");
    p = at(f, "archives/public/fifo");
    assert_int_equal(mkfifo(p, 0644), 0);
    free(p);
    lnk(f, "archives/public/outside", "/etc");
    lnk(f, "archives/public/dangle", "/nonexistent/elsewhere/dangle");
    dir(f, "archives/private/rel");
    lnk(f, "archives/public/rel", "../private/rel");
    put(f, "archives/public/rel2", "From rel2\n");    /* a public mbox: moved, then linked */
    dir(f, "archives/private/priv");
    dir(f, "archives/private/priv.mbox");
    lnk(f, "archives/public/priv", "/old/host/archives/private/priv");
    lnk(f, "archives/public/priv.mbox", "../private/priv.mbox");
}

static int64_t run_plan(struct fx *f, const struct plan *plan)
{
    struct lockset *locks = NULL;
    struct apply_opts ao = { 0, "update" };
    const char *err = NULL;
    bool busy = false;
    int64_t run = 0;

    assert_int_equal(lockset_acquire(f->ins, branch_names, N_BRANCH, 0, &locks, &busy, &err),
                     0);
    if (apply_plan(plan, f->ins, f->j, &locks, &ao, &run, &err) != APPLY_OK) {
        fail_msg("apply: %s", err);
    }
    assert_int_equal(lockset_release(&locks, &(const char *){ NULL }), 0);
    return run;
}

static void roll_back(struct fx *f, int64_t run)
{
    const char *err = NULL;

    if (apply_rollback(f->ins, f->j, run, false, 0, NULL, NULL, &err) != APPLY_OK) {
        fail_msg("rollback: %s", err);
    }
}

static void test_archives_branches(void **state)
{
    struct fx *f = *state;
    struct plan plan;
    struct site_settings *site = site_defaults();
    const char *err = NULL;
    char *arch = NULL;
    char *before = NULL;
    char *after = NULL;
    int64_t run1;
    int64_t run2;

    make_branches(f);
    open_all(f);
    free(site->prefix);
    free(site->var_prefix);
    site->prefix = xstrdup("/srv/old-mailman");
    site->var_prefix = xstrdup("/srv/old-mailman");
    arch = at(f, "");
    before = harness_snapshot(arch);

    plan_branches(f, site, &plan);
    assert_int_equal(count(&plan.notes, "archive-moved", "public/old moved to archives/public/"
                           "old.preb6"), 1);
    assert_int_equal(count(&plan.notes, "archive-moved", "private/old moved to archives/"
                           "private/old.mbox/old"), 1);
    assert_int_equal(count(&plan.notes, "archive-moved", "pubone.mbox.tmp"), 1);
    assert_int_equal(count(&plan.notes, "archive-moved", "rel2.mbox/rel2"), 1);
    assert_int_equal(count(&plan.problems, "archive-move-blocked", "blocked.mbox/blocked is "
                           "in the way"), 1);
    assert_int_equal(count(&plan.problems, "archive-in-the-way", "public/fifo"), 1);
    assert_int_equal(count(&plan.problems, "archive-link-outside", "/etc"), 1);
    assert_int_equal(count(&plan.problems, "archive-link-dangling", "/nonexistent"), 1);
    assert_int_equal(count(&plan.problems, "archive-next-run", "private/old: moving"), 1);
    assert_int_equal(count(&plan.problems, "archive-next-run", "private/old: making"), 1);
    assert_int_equal(count(&plan.problems, "archive-next-run", "pubone.mbox: making"), 1);
    assert_int_equal(count(&plan.problems, "archive-next-run", "public/pubone: moving"), 1);
    assert_int_equal(count(&plan.problems, "archive-next-run", "public/rel2: the public link"),
                     1);
    assert_int_equal(count(&plan.notes, "archive-link-removed", "public/priv"), 2);
    assert_int_equal(count(&plan.notes, "archive-link-foreign", NULL), 0);
    assert_int_equal(plan.problems.len, 9);
    /* a step: planning changed nothing */
    after = harness_snapshot(arch);
    assert_string_equal(before, after);
    free(after);
    run1 = run_plan(f, &plan);
    plan_free(&plan);
    check_run1(f);

    /* the next run does what waited */
    plan_branches(f, site, &plan);
    assert_int_equal(count(&plan.notes, "archive-moved", "HTML archive"), 1);
    assert_int_equal(count(&plan.notes, "archive-link-made", "public/rel2"), 1);
    assert_int_equal(count(&plan.problems, "archive-next-run", NULL), 1);   /* pubone's link */
    run2 = run_plan(f, &plan);
    plan_free(&plan);
    check_run2(f);

    roll_back(f, run2);
    roll_back(f, run1);
    after = harness_snapshot(arch);
    /* the journal itself is new */
    assert_non_null(strstr(after, "data/mmfix-journal.sqlite"));
    {
        char *a = after;
        char *b = before;
        while (*a != '\0' && *b != '\0') {
            size_t la = strcspn(a, "\n");
            size_t lb = strcspn(b, "\n");
            if (strncmp(a, "data", 4) == 0 || strncmp(a, "locks", 5) == 0) {
                a += la + (a[la] != '\0');
                continue;
            }
            if (strncmp(b, "data", 4) == 0 || strncmp(b, "locks", 5) == 0) {
                b += lb + (b[lb] != '\0');
                continue;
            }
            assert_int_equal(la, lb);
            assert_memory_equal(a, b, la);
            a += la + (a[la] != '\0');
            b += lb + (b[lb] != '\0');
        }
    }
    free(before);
    free(after);
    free(arch);

    /* a list whose links are in order: only bin/update's mbox directory;
     * a name that is no list name */
    plan_init(&plan, f->ins->var_prefix);
    {
        struct archives_opts o = { false, false, false, false };
        assert_int_equal(archives_plan(f->ins, site, "rel", &o, &plan, PLAN_NO_LIST, &err), 0);
        assert_int_equal(plan.n_ops, 1);
        assert_int_equal(plan.ops[0].action, PLAN_MKDIR);
        assert_string_equal(plan.ops[0].path, "archives/private/rel.mbox");
        assert_int_equal(plan.problems.len, 0);
        assert_int_equal(archives_plan(f->ins, site, "../x", &o, &plan, PLAN_NO_LIST, &err),
                         -1);
    }
    plan_free(&plan);
    site_free(&site);
}

/* test_archives_no_public - without archives/public no link is planned
 * into it; without archives/private the step is skipped */
static void test_archives_no_public(void **state)
{
    struct fx *f = *state;
    struct plan plan;
    struct archives_opts o = { false, true, true, true };
    const char *err = NULL;

    dir(f, "lists");
    dir(f, "lists/pub");
    dir(f, "archives");
    dir(f, "archives/private");
    open_all(f);
    plan_init(&plan, f->ins->var_prefix);
    assert_int_equal(archives_plan(f->ins, NULL, "pub", &o, &plan, PLAN_NO_LIST, &err), 0);
    assert_int_equal(count(&plan.problems, "archive-dir-missing", "public/pub is not made"), 1);
    assert_int_equal(count(&plan.problems, "archive-dir-missing", "public/pub.mbox is not"), 1);
    assert_int_equal(plan.n_ops, 2);    /* the two directories */
    assert_int_equal(plan.ops[0].action, PLAN_MKDIR);
    assert_int_equal(plan.ops[1].action, PLAN_MKDIR);
    plan_free(&plan);
    plan_init(&plan, f->ins->var_prefix);
    assert_int_equal(rmdir(f->ins->archives_dir), -1);   /* not empty */
    {
        char *p = at(f, "archives/private");
        assert_int_equal(rmdir(p), 0);
        free(p);
    }
    assert_int_equal(archives_plan(f->ins, NULL, "pub", &o, &plan, PLAN_NO_LIST, &err), 0);
    assert_int_equal(count(&plan.problems, "archive-dir-missing", "archives/private"), 1);
    assert_int_equal(plan.n_ops, 0);
    plan_free(&plan);
}

/* test_archives_private_of - Python's truth of archive_private */
static void test_archives_private_of(void **state)
{
    struct value_arena *a = value_arena_new();
    struct value *d = value_new_dict(a, 1);
    (void)state;

    assert_false(archives_private_of(d));
    assert_false(archives_private_of(NULL));
    value_dict_set(a, d, value_new_bytes(a, "archive_private", 15), value_new_int(a, 1));
    assert_true(archives_private_of(d));
    value_dict_set(a, d, value_new_bytes(a, "archive_private", 15), value_new_bool(a, false));
    assert_false(archives_private_of(d));
    value_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_archives_corpus, setup, teardown),
        cmocka_unit_test_setup_teardown(test_archives_branches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_archives_no_public, setup, teardown),
        cmocka_unit_test(test_archives_private_of),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
