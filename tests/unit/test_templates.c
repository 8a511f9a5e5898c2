/*
 * test_templates - the template step of the 2.0 -> 2.1 upgrade: on a copy
 * of the real 2.0 corpus and of our fixture installation fixtures/mm20 (a
 * list named cs beside the Czech templates/cs/, pre-2.0b4 templates of
 * veterans), every list's customised templates are moved and its copies of
 * global ones removed (the expectation is built here by comparing the files'
 * bytes, never from mmfix's output); templates/cs/ is never touched; an
 * installation an older bin/update damaged is put back (source install) or
 * given the command (install dir elsewhere); apply and rollback leave the
 * exact trees.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "mmfix/apply.h"
#include "mmfix/install.h"
#include "mmfix/journal.h"
#include "mmfix/lockset.h"
#include "mmfix/plan.h"
#include "mmfix/scan.h"
#include "mmfix/templates.h"
#include "mmfix/value.h"
#include "mmfix/xalloc.h"
#include "harness.h"
#include "test_config.h"

#define CORPUS_BEFORE MMFIX_CORPUS_DIR "/mm20-sample/before"
#define CORPUS_AFTER MMFIX_CORPUS_DIR "/mm20-sample/after-update-2.1.39"

/* An installation in a temporary directory: var prefix `var`, install dir
 * `lib` (the same directory for a source install). */
struct fx {
    char *top;
    char *var;
    char *lib;
    struct install *ins;
    struct journal *j;
};

static char *path_of(const char *dir, const char *rel)
{
    return xasprintf("%s/%s", dir, rel);
}

static void ensure_dir(const char *dir, const char *rel)
{
    char *p = path_of(dir, rel);

    if (!harness_exists(p)) {
        assert_int_equal(mkdir(p, 02775), 0);
    }
    free(p);
}

/* fx_open - open the installation once its files are in place */
static void fx_open(struct fx *f)
{
    const char *err = NULL;
    char *p = NULL;

    ensure_dir(f->lib, "Mailman");
    p = path_of(f->lib, "Mailman/Defaults.py");
    if (!harness_exists(p)) {
        harness_write_text(p, "# stand-in: the test reads no setting\n");
    }
    free(p);
    ensure_dir(f->var, "locks");
    ensure_dir(f->var, "data");
    if (install_open(f->var, f->lib, &f->ins, &err) != 0) {
        fail_msg("install_open: %s", err);
    }
    p = path_of(f->var, "data/mmfix-journal.sqlite");
    if (journal_open(p, &f->j, &err) != 0) {
        fail_msg("journal_open: %s", err);
    }
    free(p);
}

/* fx_source - a source install: var prefix == install dir == top */
static struct fx *fx_source(void)
{
    struct fx *f = xcalloc(1, sizeof(*f));
    char *t = harness_tmpdir("templates");

    f->top = t;
    f->var = path_of(t, "mailman");
    f->lib = xstrdup(f->var);
    return f;
}

/* fx_split - var prefix and install dir apart (Debian) */
static struct fx *fx_split(void)
{
    struct fx *f = xcalloc(1, sizeof(*f));

    f->top = harness_tmpdir("templates");
    f->var = path_of(f->top, "var");
    f->lib = path_of(f->top, "lib");
    return f;
}

static void fx_free(struct fx *f)
{
    journal_close(&f->j);
    install_free(&f->ins);
    assert_int_equal(harness_rmtree(f->top), 0);
    free(f->top);
    free(f->var);
    free(f->lib);
    free(f);
}

/* append - customise a copied template the way an admin edits one */
static void append(const char *dir, const char *rel, const char *text)
{
    char *p = path_of(dir, rel);
    FILE *fp = fopen(p, "a");

    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
    free(p);
}

static size_t find_op(const struct plan *p, enum plan_action a, const char *path,
                      const char *to)
{
    size_t i;

    for (i = 0; i < p->n_ops; i++) {
        const struct plan_op *op = &p->ops[i];
        if (op->action == a && strcmp(op->path, path) == 0
            && (to == NULL || (op->to != NULL && strcmp(op->to, to) == 0))) {
            return i;
        }
    }
    return (size_t)-1;
}

static bool has_op(const struct plan *p, enum plan_action a, const char *path, const char *to)
{
    return find_op(p, a, path, to) != (size_t)-1;
}

static const struct problem *find_problem(const struct problem_list *pl, const char *code,
                                          const char *needle)
{
    size_t i;

    for (i = 0; i < pl->len; i++) {
        if (strcmp(pl->items[i].code, code) == 0
            && (needle == NULL || strstr(pl->items[i].message, needle) != NULL)) {
            return &pl->items[i];
        }
    }
    return NULL;
}

static bool template_file(const char *name)
{
    size_t l = strlen(name);

    return (l > 5 && strcmp(name + l - 5, ".html") == 0)
           || (l > 4 && strcmp(name + l - 4, ".txt") == 0);
}

static bool is_file(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* expect_list - what the rule of templates.h says for every template file of
 * lists/<name>/, worked out here by comparing bytes with the global ones
 * (flat templates/F, templates/<lang>/F, templates/en/F, and for a list
 * named like a global directory templates/<name>/F); returns the number of
 * file operations expected for them */
static size_t expect_list(const struct fx *f, const struct plan *p, const char *name,
                          const char *lang, bool collides)
{
    char *ldir = xasprintf("%s/lists/%s", f->var, name);
    DIR *d = opendir(ldir);
    struct dirent *de = NULL;
    size_t ops = 0;
    bool moved = false;

    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        char *file = NULL;
        char *rel = NULL;
        char *to = NULL;
        const char *subs[4] = { "", lang, "en", collides ? name : "" };
        bool same = false;
        size_t k;

        if (!template_file(de->d_name)) {
            continue;
        }
        file = path_of(ldir, de->d_name);
        if (!is_file(file)) {
            free(file);
            continue;
        }
        for (k = 0; k < 4 && !same; k++) {
            char *g = xasprintf("%s/templates/%s/%s", f->lib, subs[k], de->d_name);
            same = harness_same_bytes(file, g);
            free(g);
        }
        rel = xasprintf("lists/%s/%s", name, de->d_name);
        to = xasprintf("lists/%s/%s/%s", name, lang, de->d_name);
        if (same) {
            if (!has_op(p, PLAN_DELETE, rel, NULL)) {
                fail_msg("%s is a copy of a global template: expected its removal", rel);
            }
            assert_non_null(find_problem(&p->notes, "template-removed", rel));
        } else {
            if (!has_op(p, PLAN_MOVE, rel, to)) {
                fail_msg("%s is customised: expected its move to %s", rel, to);
            }
            assert_non_null(find_problem(&p->notes, "template-moved", rel));
            moved = true;
        }
        ops++;
        free(rel);
        free(to);
        free(file);
    }
    closedir(d);
    if (moved) {
        char *dest = xasprintf("lists/%s/%s", name, lang);
        char *group = xasprintf("lists/%s", name);
        size_t i = find_op(p, PLAN_MKDIR, dest, NULL);
        size_t k;
        assert_true(i != (size_t)-1);
        assert_int_equal(p->ops[i].mode, 02775);
        assert_string_equal(p->ops[i].group_of, group);
        /* the directory is made before anything moves into it */
        for (k = 0; k < p->n_ops; k++) {
            const struct plan_op *op = &p->ops[k];
            if (op->action == PLAN_MOVE && strncmp(op->to, dest, strlen(dest)) == 0) {
                assert_true(k > i);
            }
        }
        free(dest);
        free(group);
        ops++;
    }
    free(ldir);
    return ops;
}

/* apply_all - carry the plan out under the locks of the lists it touches */
static int64_t apply_all(struct fx *f, const struct plan *p)
{
    struct lockset *locks = NULL;
    struct apply_opts ao = { 0, "test" };
    char **names = xcalloc(p->n_ops + 1, sizeof(char *));
    size_t n = 0;
    size_t i;
    int k;
    bool busy = false;
    const char *err = NULL;
    int64_t run = 0;

    for (i = 0; i < p->n_ops; i++) {
        const char *paths[2] = { p->ops[i].path, p->ops[i].to };
        for (k = 0; k < 2; k++) {
            char *name = paths[k] != NULL ? plan_path_list(paths[k]) : NULL;
            if (name != NULL) {
                names[n++] = name;
                break;
            }
        }
    }
    if (lockset_acquire(f->ins, names, n, 0, &locks, &busy, &err) != 0) {
        fail_msg("lockset_acquire: %s", err);
    }
    if (apply_plan(p, f->ins, f->j, &locks, &ao, &run, &err) != APPLY_OK) {
        fail_msg("apply_plan: %s", err);
    }
    assert_int_equal(lockset_release(&locks, &(const char *){ NULL }), 0);
    for (i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
    return run;
}

static void rollback(struct fx *f, int64_t run)
{
    const char *err = NULL;

    if (apply_rollback(f->ins, f->j, run, false, 0, NULL, NULL, &err) != APPLY_OK) {
        fail_msg("apply_rollback: %s", err);
    }
}

/* state - lists/ and templates/ of the installation, for exact comparisons */
static char *state(const struct fx *f)
{
    char *l = path_of(f->var, "lists");
    char *t = path_of(f->lib, "templates");
    char *sl = harness_tree_state(l);
    char *st = harness_tree_state(t);
    char *s = xasprintf("%s--\n%s", sl, st);

    free(l);
    free(t);
    free(sl);
    free(st);
    return s;
}

static char *dir_state(const char *dir, const char *rel)
{
    char *p = path_of(dir, rel);
    char *s = harness_tree_state(p);

    free(p);
    return s;
}

static void plan_lists(const struct fx *f, struct plan *p, const char *lang_of_cs)
{
    char **names = NULL;
    size_t n = 0;
    size_t i;
    const char *err = NULL;

    assert_int_equal(install_list_names(f->ins, &names, &n, &err), 0);
    for (i = 0; i < n; i++) {
        const char *lang = strcmp(names[i], "cs") == 0 ? lang_of_cs : NULL;
        if (templates_plan_list(f->ins, NULL, names[i], lang, PLAN_NO_LIST, p, &err) != 0) {
            fail_msg("templates_plan_list %s: %s", names[i], err);
        }
    }
    install_names_free(names, n);
}

/* plan_one - a fresh plan with the template step of one list */
static void plan_one(const struct fx *f, struct plan *p, const char *name, const char *lang)
{
    const char *err = NULL;

    plan_init(p, f->ins->var_prefix);
    if (templates_plan_list(f->ins, NULL, name, lang, PLAN_NO_LIST, p, &err) != 0) {
        fail_msg("templates_plan_list %s: %s", name, err);
    }
}

/* test_templates_corpus - the real 2.0 lists: what is customised moves,
 * what equals the flat 2.0 template is removed; against what real 2.1.39
 * did to the same lists */
static void test_templates_corpus(void **state_)
{
    struct fx *f = fx_source();
    struct plan p;
    char **names = NULL;
    size_t n = 0;
    size_t i;
    size_t expected = 0;
    const char *err = NULL;
    char *before = NULL;
    char *after = NULL;
    char *flat_before = NULL;
    char *flat_after = NULL;
    int64_t run;

    (void)state_;
    assert_int_equal(mkdir(f->var, 0755), 0);
    {
        char *l = path_of(f->var, "lists");
        char *t = path_of(f->var, "templates");
        harness_copy_tree(CORPUS_BEFORE "/lists", l);
        harness_copy_tree(CORPUS_BEFORE "/templates", t);
        free(l);
        free(t);
    }
    /* the corpus lists hold only stock copies; an admin's edits of two */
    append(f->var, "lists/es/listinfo.html", "<!-- nuestra portada -->\n");
    append(f->var, "lists/ldc-anuncios/options.html", "<!-- opciones locales -->\n");
    fx_open(f);
    plan_init(&p, f->ins->var_prefix);
    assert_int_equal(install_list_names(f->ins, &names, &n, &err), 0);
    assert_int_equal(n, 5);
    for (i = 0; i < n; i++) {
        if (templates_plan_list(f->ins, NULL, names[i], NULL, PLAN_NO_LIST, &p, &err) != 0) {
            fail_msg("%s: %s", names[i], err);
        }
    }
    for (i = 0; i < n; i++) {
        expected += expect_list(f, &p, names[i], "en", false);
    }
    assert_int_equal(p.n_ops, expected);
    assert_true(has_op(&p, PLAN_MOVE, "lists/es/listinfo.html", "lists/es/en/listinfo.html"));
    assert_true(has_op(&p, PLAN_DELETE, "lists/cs/listinfo.html", NULL));

    /* real 2.1.39: it compares every list's copy with the flat templates/F,
     * which the update of the first list it processed had already deleted,
     * so it kept every copy of these lists (all stock). It deleted none that
     * we keep; the ones it kept are stock copies, which we remove. */
    for (i = 0; i < n; i++) {
        char *bdir = xasprintf("%s/lists/%s", CORPUS_BEFORE, names[i]);
        DIR *d = opendir(bdir);
        struct dirent *de = NULL;
        size_t seen = 0;
        assert_non_null(d);
        while ((de = readdir(d)) != NULL) {
            char *b = NULL;
            char *a = NULL;
            char *flat = NULL;
            char *rel = NULL;
            if (!template_file(de->d_name)) {
                continue;
            }
            b = path_of(bdir, de->d_name);
            a = xasprintf("%s/lists/%s/%s", CORPUS_AFTER, names[i], de->d_name);
            flat = xasprintf("%s/templates/%s", CORPUS_BEFORE, de->d_name);
            rel = xasprintf("lists/%s/%s", names[i], de->d_name);
            if (!harness_exists(a)) {
                assert_true(has_op(&p, PLAN_DELETE, rel, NULL));
            } else {
                assert_true(harness_same_bytes(a, b));
                assert_true(harness_same_bytes(b, flat));
                if (strcmp(rel, "lists/es/listinfo.html") != 0
                    && strcmp(rel, "lists/ldc-anuncios/options.html") != 0) {
                    assert_true(has_op(&p, PLAN_DELETE, rel, NULL));
                }
            }
            seen++;
            free(b);
            free(a);
            free(flat);
            free(rel);
        }
        closedir(d);
        assert_true(seen > 0);
        free(bdir);
    }

    /* the flat 2.0 templates: kept, and a note says so */
    assert_int_equal(templates_plan_site(f->ins, NULL, false, &p, &err), 0);
    assert_int_equal(p.n_ops, expected);
    assert_non_null(find_problem(&p.notes, "templates-old-global", "kept"));

    before = state(f);
    flat_before = dir_state(f->var, "templates");
    run = apply_all(f, &p);
    flat_after = dir_state(f->var, "templates");
    assert_string_equal(flat_before, flat_after);
    {
        char *moved = path_of(f->var, "lists/es/en/listinfo.html");
        char *gone = path_of(f->var, "lists/cs/listinfo.html");
        char *mine = NULL;
        size_t len = 0;
        assert_true(is_file(moved));
        mine = harness_read_file(moved, &len);
        assert_non_null(strstr(mine, "nuestra portada"));
        assert_false(harness_exists(gone));
        free(mine);
        free(moved);
        free(gone);
    }
    rollback(f, run);
    after = state(f);
    assert_string_equal(before, after);
    free(before);
    free(after);
    free(flat_before);
    free(flat_after);
    install_names_free(names, n);
    plan_free(&p);
    fx_free(f);
}

/* copy_fixture - fixtures/mm20 into f (split: lists/ data/ archives/ into
 * var, Mailman/ templates/ messages/ into lib) */
static void copy_fixture(struct fx *f)
{
    const char *var_parts[] = { "lists", "data" };
    const char *lib_parts[] = { "Mailman", "templates", "messages" };
    size_t i;

    assert_int_equal(mkdir(f->var, 0755), 0);
    if (strcmp(f->var, f->lib) != 0) {
        assert_int_equal(mkdir(f->lib, 0755), 0);
    }
    for (i = 0; i < 2; i++) {
        char *from = xasprintf("%s/mm20/%s", MMFIX_FIXTURES_DIR, var_parts[i]);
        char *to = path_of(f->var, var_parts[i]);
        harness_copy_tree(from, to);
        free(from);
        free(to);
    }
    for (i = 0; i < 3; i++) {
        char *from = xasprintf("%s/mm20/%s", MMFIX_FIXTURES_DIR, lib_parts[i]);
        char *to = path_of(f->lib, lib_parts[i]);
        harness_copy_tree(from, to);
        free(from);
        free(to);
    }
}

/* test_templates_cs_collision - a list named cs beside the Czech
 * templates/cs/: templates/cs/ is never taken for the list's own; the
 * list's customisation goes to lists/cs/cs/; veterans' pre-2.0b4
 * templates/veterans/ is the list's own */
static void test_templates_cs_collision(void **state_)
{
    struct fx *f = fx_source();
    struct plan p;
    char *cs_before = NULL;
    char *cs_after = NULL;
    char *before = NULL;
    char *after = NULL;
    size_t i;
    int64_t run;

    (void)state_;
    copy_fixture(f);
    append(f->var, "lists/cs/listinfo.html", "<!-- nase vlastni stranka -->\n");
    fx_open(f);
    plan_init(&p, f->ins->var_prefix);
    plan_lists(f, &p, "cs");
    for (i = 0; i < p.n_ops; i++) {
        const struct plan_op *op = &p.ops[i];
        assert_true(strncmp(op->path, "templates/cs", 12) != 0);
        assert_true(strncmp(op->path, "templates/en", 12) != 0);
        assert_true(op->to == NULL || strncmp(op->to, "templates/", 10) != 0);
    }
    expect_list(f, &p, "cs", "cs", true);
    expect_list(f, &p, "es-general", "en", false);
    expect_list(f, &p, "mailman", "en", false);
    expect_list(f, &p, "veterans", "en", false);
    assert_true(has_op(&p, PLAN_MOVE, "lists/cs/listinfo.html", "lists/cs/cs/listinfo.html"));
    assert_non_null(find_problem(&p.notes, "template-moved",
                                 "lists/cs/listinfo.html: customised, moved to lists/cs/cs/ so "
                                 "Mailman 2.1 keeps using it"));
    /* veterans: the pre-b4 subscribeack.txt is its own (differs from the flat
     * one) and moves; its pre-b4 listinfo.html stays, as lists/veterans/ has one */
    {
        char *a = path_of(f->lib, "templates/veterans/subscribeack.txt");
        char *b = path_of(f->lib, "templates/subscribeack.txt");
        assert_false(harness_same_bytes(a, b));
        free(a);
        free(b);
    }
    assert_true(has_op(&p, PLAN_MOVE, "templates/veterans/subscribeack.txt",
                       "lists/veterans/en/subscribeack.txt"));
    assert_false(has_op(&p, PLAN_MOVE, "templates/veterans/listinfo.html", NULL));
    assert_non_null(find_problem(&p.notes, "template-kept", "templates/veterans/listinfo.html"));
    assert_false(has_op(&p, PLAN_RMDIR, "templates/veterans", NULL));

    cs_before = dir_state(f->lib, "templates/cs");
    before = state(f);
    run = apply_all(f, &p);
    cs_after = dir_state(f->lib, "templates/cs");
    assert_string_equal(cs_before, cs_after);
    {
        char *mine = path_of(f->var, "lists/cs/cs/listinfo.html");
        char *ref = path_of(f->var, "lists/cs/cs");
        struct stat st;
        size_t len = 0;
        char *data = harness_read_file(mine, &len);
        assert_non_null(data);
        assert_non_null(strstr(data, "nase vlastni stranka"));
        assert_int_equal(lstat(ref, &st), 0);
        assert_int_equal(st.st_mode & 07777, 02775);
        free(data);
        free(mine);
        free(ref);
    }
    rollback(f, run);
    after = state(f);
    assert_string_equal(before, after);
    free(before);
    free(after);
    free(cs_before);
    free(cs_after);
    plan_free(&p);
    fx_free(f);
}

/* Czech templates the test adds to the fixture's templates/cs/ so that the
 * language has as many .txt as a real one needs to be recognised */
static const char *const extra_czech[][2] = {
    { "help.txt", "Nápověda pro konferenci %(listname)s\n" },
    { "verify.txt", "Potvrzení přihlášky do konference %(listname)s\n" },
    { "postheld.txt", "Váš příspěvek čeká na schválení\n" },
    { "article.html", "<html><!-- článek --></html>\n" },
};

/* damage - what bin/update of Mailman 2.1 final (up to 2.1.10) does for a
 * list named cs: every templates/cs/F renamed to lists/cs/F unless that
 * exists */
static void damage(struct fx *f)
{
    char *tdir = path_of(f->lib, "templates/cs");
    DIR *d = opendir(tdir);
    struct dirent *de = NULL;

    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        char *from = NULL;
        char *to = NULL;
        if (de->d_name[0] == '.') {
            continue;
        }
        from = path_of(tdir, de->d_name);
        to = xasprintf("%s/lists/cs/%s", f->var, de->d_name);
        if (!harness_exists(to)) {
            assert_int_equal(rename(from, to), 0);
        }
        free(from);
        free(to);
    }
    closedir(d);
    free(tdir);
}

/* prepare_damaged - the fixture with a fuller Czech set, the list's own
 * listinfo.html customised, then damaged; returns templates/cs/'s state
 * before the damage */
static char *prepare_damaged(struct fx *f)
{
    char *cs = NULL;
    size_t i;

    copy_fixture(f);
    for (i = 0; i < sizeof(extra_czech) / sizeof(extra_czech[0]); i++) {
        char *rel = xasprintf("templates/cs/%s", extra_czech[i][0]);
        char *p = path_of(f->lib, rel);
        harness_write_text(p, extra_czech[i][1]);
        free(p);
        free(rel);
    }
    append(f->var, "lists/cs/listinfo.html", "<!-- nase vlastni stranka -->\n");
    cs = dir_state(f->lib, "templates/cs");
    damage(f);
    fx_open(f);
    return cs;
}

/* the files damage() moved, as the test knows them */
static const char *const strays[] = {
    "article.html", "bounce.txt", "help.txt", "postheld.txt", "subscribeack.txt", "verify.txt",
};

/* test_templates_damaged_source - templates/ inside the var prefix: the
 * stray global templates go back, the list's own customisation goes to
 * lists/cs/cs/, and rollback restores the damaged tree exactly */
static void test_templates_damaged_source(void **state_)
{
    struct fx *f = fx_source();
    char *cs_orig = prepare_damaged(f);
    char *cs_now = NULL;
    char *before = NULL;
    char *after = NULL;
    struct plan p;
    struct problem_list pl;
    const char *names[] = { "cs" };
    size_t i;
    int64_t run;

    (void)state_;
    problem_list_init(&pl);
    scan_site_problems(f->ins, NULL, names, 1, &pl);
    assert_non_null(find_problem(&pl, "templates-damaged", "holds 6 global templates"));
    problem_list_free(&pl);

    plan_one(f, &p, "cs", "cs");
    for (i = 0; i < sizeof(strays) / sizeof(strays[0]); i++) {
        char *from = xasprintf("lists/cs/%s", strays[i]);
        char *to = xasprintf("templates/cs/%s", strays[i]);
        assert_true(has_op(&p, PLAN_MOVE, from, to));
        assert_non_null(find_problem(&p.notes, "templates-restored", from + 9));
        free(from);
        free(to);
    }
    /* the list's own listinfo.html (templates/cs/listinfo.html stayed, so
     * this one is the list's) moves to lists/cs/cs/, never to templates/ */
    assert_true(has_op(&p, PLAN_MOVE, "lists/cs/listinfo.html", "lists/cs/cs/listinfo.html"));
    assert_false(has_op(&p, PLAN_MOVE, "lists/cs/listinfo.html", "templates/cs/listinfo.html"));
    assert_true(has_op(&p, PLAN_DELETE, "lists/cs/options.html", NULL));
    assert_int_equal(p.problems.len, 0);

    before = state(f);
    run = apply_all(f, &p);
    cs_now = dir_state(f->lib, "templates/cs");
    assert_string_equal(cs_orig, cs_now);
    {
        char *mine = path_of(f->var, "lists/cs/cs/listinfo.html");
        size_t len = 0;
        char *data = harness_read_file(mine, &len);
        assert_non_null(data);
        assert_non_null(strstr(data, "nase vlastni stranka"));
        free(data);
        free(mine);
    }
    problem_list_init(&pl);
    scan_site_problems(f->ins, NULL, names, 1, &pl);
    assert_null(find_problem(&pl, "templates-damaged", NULL));
    problem_list_free(&pl);

    rollback(f, run);
    after = state(f);
    assert_string_equal(before, after);
    free(before);
    free(after);
    free(cs_now);
    free(cs_orig);
    plan_free(&p);
    fx_free(f);
}

/* test_templates_damaged_elsewhere - templates/ in another install dir:
 * mmfix plans nothing there, gives the exact command (which works), and
 * does not take the strays for the list's customisations */
static void test_templates_damaged_elsewhere(void **state_)
{
    struct fx *f = fx_split();
    char *cs_orig = prepare_damaged(f);
    char *cs_now = NULL;
    struct plan p;
    const struct problem *pr = NULL;
    const char *cmd = NULL;
    size_t i;

    (void)state_;
    plan_one(f, &p, "cs", "cs");
    for (i = 0; i < p.n_ops; i++) {
        assert_true(strncmp(p.ops[i].path, "templates/", 10) != 0);
        assert_true(p.ops[i].to == NULL || strncmp(p.ops[i].to, "templates/", 10) != 0);
    }
    for (i = 0; i < sizeof(strays) / sizeof(strays[0]); i++) {
        char *from = xasprintf("lists/cs/%s", strays[i]);
        size_t k;
        for (k = 0; k < p.n_ops; k++) {
            assert_string_not_equal(p.ops[k].path, from);
        }
        free(from);
    }
    assert_true(has_op(&p, PLAN_MOVE, "lists/cs/listinfo.html", "lists/cs/cs/listinfo.html"));
    pr = find_problem(&p.problems, "templates-damaged", "put them back with: ");
    assert_non_null(pr);
    cmd = strstr(pr->message, "put them back with: ") + strlen("put them back with: ");
    /* the command does what it says */
    assert_int_equal(system(cmd), 0);
    cs_now = dir_state(f->lib, "templates/cs");
    assert_string_equal(cs_orig, cs_now);
    free(cs_now);
    free(cs_orig);
    plan_free(&p);
    fx_free(f);
}

/* test_templates_site_remove - the flat 2.0 templates removed on request
 * inside the var prefix, and a command instead when templates/ is elsewhere */
static void test_templates_site_remove(void **state_)
{
    struct fx *f = fx_source();
    struct fx *g = fx_split();
    struct plan p;
    const char *err = NULL;
    char *tdir = NULL;
    DIR *d = NULL;
    struct dirent *de = NULL;
    size_t flat = 0;

    (void)state_;
    copy_fixture(f);
    fx_open(f);
    plan_init(&p, f->ins->var_prefix);
    assert_int_equal(templates_plan_site(f->ins, NULL, true, &p, &err), 0);
    tdir = path_of(f->lib, "templates");
    d = opendir(tdir);
    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        char *file = path_of(tdir, de->d_name);
        char *rel = xasprintf("templates/%s", de->d_name);
        if (template_file(de->d_name) && is_file(file)) {
            assert_true(has_op(&p, PLAN_DELETE, rel, NULL));
            flat++;
        }
        free(file);
        free(rel);
    }
    closedir(d);
    free(tdir);
    assert_true(flat > 0);
    assert_int_equal(p.n_ops, flat);
    plan_free(&p);

    copy_fixture(g);
    fx_open(g);
    plan_init(&p, g->ins->var_prefix);
    assert_int_equal(templates_plan_site(g->ins, NULL, true, &p, &err), 0);
    assert_int_equal(p.n_ops, 0);
    assert_non_null(find_problem(&p.problems, "template-blocked", "&& rm -- "));
    plan_free(&p);
    fx_free(f);
    fx_free(g);
}

/* test_templates_conflicts - a target already in lists/<l>/<lang>/ (same:
 * the copy goes; different: both stay), a link is never touched, .prev and
 * lists/<l>/en/ copies of the global template go */
static void test_templates_conflicts(void **state_)
{
    struct fx *f = fx_source();
    struct plan p;
    char *flat = NULL;
    size_t len = 0;

    (void)state_;
    copy_fixture(f);
    flat = harness_read_file(MMFIX_FIXTURES_DIR "/mm20/templates/roster.html", &len);
    assert_non_null(flat);
    ensure_dir(f->var, "lists/mailman/en");
    append(f->var, "lists/mailman/options.html", "<!-- ours -->\n");
    append(f->var, "lists/mailman/en/options.html", "<!-- ours, and newer -->\n");
    append(f->var, "lists/mailman/subscribe.html", "<!-- ours -->\n");
    append(f->var, "lists/mailman/admindbpreamble.html", "<!-- no 2.0 global of it here -->\n");
    {
        char *a = path_of(f->var, "lists/mailman/subscribe.html");
        char *b = path_of(f->var, "lists/mailman/en/subscribe.html");
        char *c = path_of(f->var, "lists/mailman/en/roster.html");
        char *e = path_of(f->var, "lists/mailman/roster.html.prev");
        char *l = path_of(f->var, "lists/mailman/evil.html");
        size_t n = 0;
        char *data = harness_read_file(a, &n);
        FILE *fp = fopen(b, "wb");
        assert_non_null(fp);
        assert_int_equal(fwrite(data, 1, n, fp), n);
        assert_int_equal(fclose(fp), 0);
        harness_write_text(c, flat);
        harness_write_text(e, flat);
        assert_int_equal(symlink("/etc/passwd", l), 0);
        free(data);
        free(a);
        free(b);
        free(c);
        free(e);
        free(l);
    }
    fx_open(f);
    plan_one(f, &p, "mailman", NULL);
    assert_false(has_op(&p, PLAN_MOVE, "lists/mailman/options.html", NULL));
    assert_false(has_op(&p, PLAN_DELETE, "lists/mailman/options.html", NULL));
    assert_non_null(find_problem(&p.notes, "template-kept", "lists/mailman/options.html"));
    assert_true(has_op(&p, PLAN_DELETE, "lists/mailman/subscribe.html", NULL));
    assert_true(has_op(&p, PLAN_DELETE, "lists/mailman/en/roster.html", NULL));
    assert_true(has_op(&p, PLAN_DELETE, "lists/mailman/roster.html.prev", NULL));
    /* roster.html: lists/mailman/en/roster.html goes, so the stock
     * lists/mailman/roster.html is simply removed too */
    assert_true(has_op(&p, PLAN_DELETE, "lists/mailman/roster.html", NULL));
    assert_false(has_op(&p, PLAN_DELETE, "lists/mailman/evil.html", NULL));
    assert_false(has_op(&p, PLAN_MOVE, "lists/mailman/evil.html", NULL));
    assert_false(has_op(&p, PLAN_MKDIR, "lists/mailman/en", NULL));
    /* no flat templates/admindbpreamble.html: it cannot be told from a stock
     * 2.0 copy, so it stays where 2.1 does not read it, and the note says so */
    assert_false(has_op(&p, PLAN_MOVE, "lists/mailman/admindbpreamble.html", NULL));
    assert_false(has_op(&p, PLAN_DELETE, "lists/mailman/admindbpreamble.html", NULL));
    assert_non_null(find_problem(&p.notes, "template-kept",
                                 "admindbpreamble.html: unlike every global template (there is "
                                 "no 2.0 templates/ copy"));
    free(flat);
    plan_free(&p);
    fx_free(f);
}

/* test_templates_preb4 - veterans' pre-2.0b4 templates/veterans/: every
 * file its own (lists/veterans/listinfo.html gone), so all move and the
 * emptied directory goes; with templates/ elsewhere, the command */
static void test_templates_preb4(void **state_)
{
    struct fx *f = fx_source();
    struct fx *g = fx_split();
    struct plan p;
    const struct problem *pr = NULL;
    char *before = NULL;
    char *after = NULL;
    char *x = NULL;
    size_t rm;
    int64_t run;

    (void)state_;
    copy_fixture(f);
    x = path_of(f->var, "lists/veterans/listinfo.html");
    assert_int_equal(unlink(x), 0);
    free(x);
    fx_open(f);
    plan_one(f, &p, "veterans", NULL);
    assert_true(has_op(&p, PLAN_MOVE, "templates/veterans/listinfo.html",
                       "lists/veterans/en/listinfo.html"));
    assert_true(has_op(&p, PLAN_MOVE, "templates/veterans/subscribeack.txt",
                       "lists/veterans/en/subscribeack.txt"));
    rm = find_op(&p, PLAN_RMDIR, "templates/veterans", NULL);
    assert_int_equal(rm, p.n_ops - 1);
    before = state(f);
    run = apply_all(f, &p);
    x = path_of(f->lib, "templates/veterans");
    assert_false(harness_exists(x));
    free(x);
    x = path_of(f->var, "lists/veterans/en/listinfo.html");
    assert_true(harness_same_bytes(x, MMFIX_FIXTURES_DIR "/mm20/templates/veterans/listinfo.html"));
    free(x);
    rollback(f, run);
    after = state(f);
    assert_string_equal(before, after);
    plan_free(&p);

    copy_fixture(g);
    fx_open(g);
    plan_one(g, &p, "veterans", NULL);
    assert_false(has_op(&p, PLAN_RMDIR, "templates/veterans", NULL));
    assert_non_null(find_problem(&p.notes, "template-kept", "templates/veterans/listinfo.html"));
    pr = find_problem(&p.problems, "template-blocked", "subscribeack.txt");
    assert_non_null(pr);
    assert_int_equal(system(strstr(pr->message, "with: ") + 6), 0);
    x = path_of(g->var, "lists/veterans/en/subscribeack.txt");
    assert_true(harness_same_bytes(x,
                                   MMFIX_FIXTURES_DIR "/mm20/templates/veterans/subscribeack.txt"));
    free(x);
    free(before);
    free(after);
    plan_free(&p);
    fx_free(f);
    fx_free(g);
}

/* test_templates_global_names - lists named en or site never take
 * templates/en/ or templates/site/ for pre-2.0b4 templates of their own;
 * a linked list directory is left alone */
static void test_templates_global_names(void **state_)
{
    struct fx *f = fx_source();
    const char *names[] = { "en", "site" };
    size_t i;
    size_t k;

    (void)state_;
    copy_fixture(f);
    ensure_dir(f->lib, "templates/site");
    ensure_dir(f->lib, "templates/site/en");
    append(f->lib, "templates/site/en/listinfo.html", "<!-- the site's own -->\n");
    for (i = 0; i < 2; i++) {
        char *from = xasprintf("%s/lists/mailman", f->var);
        char *to = xasprintf("%s/lists/%s", f->var, names[i]);
        harness_copy_tree(from, to);
        free(from);
        free(to);
    }
    {
        /* a list directory that is a link (inside the tree) is not followed */
        char *l = xasprintf("%s/lists/linked", f->var);
        assert_int_equal(symlink("mailman", l), 0);
        free(l);
    }
    fx_open(f);
    {
        struct plan p;
        plan_one(f, &p, "linked", NULL);
        assert_int_equal(p.n_ops, 0);
        assert_non_null(find_problem(&p.problems, "template-blocked", "lists/linked"));
        plan_free(&p);
    }
    for (i = 0; i < 2; i++) {
        struct plan p;
        plan_one(f, &p, names[i], NULL);
        assert_true(p.n_ops > 0);
        for (k = 0; k < p.n_ops; k++) {
            assert_true(strncmp(p.ops[k].path, "templates/", 10) != 0);
            assert_true(p.ops[k].to == NULL || strncmp(p.ops[k].to, "templates/", 10) != 0);
        }
        plan_free(&p);
    }
    fx_free(f);
}

/* test_templates_list_language - preferred_language as a directory name */
static void test_templates_list_language(void **state_)
{
    struct value_arena *a = value_arena_new();
    struct value *config = value_new_dict(a, 4);
    struct value *key = value_new_bytes(a, "preferred_language", 18);

    (void)state_;
    assert_null(templates_list_language(config));
    value_dict_set(a, config, key, value_new_bytes(a, "pt_BR", 5));
    assert_string_equal(templates_list_language(config), "pt_BR");
    value_dict_set(a, config, key, value_new_bytes(a, "..", 2));
    assert_null(templates_list_language(config));
    value_dict_set(a, config, key, value_new_bytes(a, "cs/../..", 8));
    assert_null(templates_list_language(config));
    value_dict_set(a, config, key, value_new_bytes(a, "c\0s", 3));
    assert_null(templates_list_language(config));
    value_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_templates_corpus),
        cmocka_unit_test(test_templates_cs_collision),
        cmocka_unit_test(test_templates_damaged_source),
        cmocka_unit_test(test_templates_damaged_elsewhere),
        cmocka_unit_test(test_templates_site_remove),
        cmocka_unit_test(test_templates_conflicts),
        cmocka_unit_test(test_templates_preb4),
        cmocka_unit_test(test_templates_global_names),
        cmocka_unit_test(test_templates_list_language),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
