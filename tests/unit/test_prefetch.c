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

#include <sys/stat.h>

#include "mmfix/mlist.h"
#include "mmfix/pickle.h"
#include "mmfix/prefetch.h"
#include "mmfix/strbuf.h"
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
    assert_int_equal(prefetch_start(LISTS, names, N_NAMES, MLIST_KEEP_MEMO, 2, 2, SIZE_MAX, &pf, &err), 0);
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
    assert_int_equal(prefetch_start(LISTS, names, N_NAMES, MLIST_KEEP_MEMO, 1, 3, SIZE_MAX, &pf, &err), 0);
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
    assert_int_equal(prefetch_start(LISTS, names, 0, MLIST_KEEP_MEMO, 9, 2, SIZE_MAX, &pf, &err), 0);
    assert_false(prefetch_take(pf, "cs", MLIST_KEEP_MEMO, &rc, &ml, &err));
    prefetch_stop(&pf);
    assert_false(prefetch_take(NULL, "cs", MLIST_KEEP_MEMO, &rc, &ml, &err));
    prefetch_at(NULL, 1);
}

/* write_big_list - dir/big/config.pck: a config of `members` members (some 40 bytes of
 * pickle each), slow to read next to the corpus lists */
static void write_big_list(const char *dir, size_t members)
{
    struct value_arena *a = value_arena_new();
    struct value *cfg = value_new_dict(a, 4);
    struct value *m = value_new_dict(a, members);
    struct strbuf sb = STRBUF_INIT;
    const char *err = NULL;
    char path[1024];
    FILE *f;
    size_t i;

    for (i = 0; i < members; i++) {
        char addr[64];
        int n = snprintf(addr, sizeof(addr), "member%07zu@example.org", i);
        value_dict_set(a, m, value_new_bytes(a, addr, (size_t)n), value_new_int(a, 0));
    }
    value_dict_set(a, cfg, value_new_bytes(a, "members", 7), m);
    value_dict_set(a, cfg, value_new_bytes(a, "real_name", 9), value_new_bytes(a, "Big", 3));
    assert_int_equal(pickle_write(&sb, cfg, &err), 0);
    snprintf(path, sizeof(path), "%s/big", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof(path), "%s/big/config.pck", dir);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(sb.buf, 1, sb.len, f), sb.len);
    assert_int_equal(fclose(f), 0);
    strbuf_release(&sb);
    value_arena_free(&a);
}

/* take_all - take every list of `names` in order through pf (started on dir) and compare
 * it with mlist_open there */
static void take_all(struct prefetch *pf, const char *dir, char **list, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        struct mlist *ml = NULL;
        struct mlist *direct = NULL;
        const char *err = NULL;
        const char *derr = NULL;
        int rc = 99;
        int drc;

        prefetch_at(pf, i);
        assert_true(prefetch_take(pf, list[i], MLIST_KEEP_MEMO, &rc, &ml, &err));
        drc = mlist_open(dir, list[i], MLIST_KEEP_MEMO, NULL, &direct, &derr);
        assert_int_equal(rc, drc);
        if (drc == 0) {
            assert_int_equal(ml->loaded, direct->loaded);
            if (direct->loaded >= 0) {
                assert_true(value_equal(ml->config, direct->config));
                assert_int_equal(ml->files[ml->loaded].size,
                                 direct->files[direct->loaded].size);
            }
        } else {
            assert_string_equal(err, derr);
        }
        mlist_free(&ml);
        mlist_free(&direct);
    }
}

/* a list slow to read first: the caller, waiting for it, does the C half of reading the
 * lists after it, and every list is still what mlist_open gives; with no byte budget left
 * the reader stays one list ahead, and the results are the same */
static void test_prefetch_caller_helps(void **state)
{
    char *dir = harness_tmpdir("prefetch");
    char *list[N_NAMES + 1];
    char from[1024];
    char to[1024];
    struct prefetch *pf = NULL;
    const char *err = NULL;
    size_t i;

    (void)state;
    write_big_list(dir, 200000);
    list[0] = "big";
    for (i = 0; i < N_NAMES; i++) {
        list[i + 1] = names[i];
        snprintf(from, sizeof(from), "%s/%s", LISTS, names[i]);
        snprintf(to, sizeof(to), "%s/%s", dir, names[i]);
        if (harness_exists(from)) {
            harness_copy_tree(from, to);
        }
    }
    assert_int_equal(prefetch_start(dir, list, N_NAMES + 1, MLIST_KEEP_MEMO, 1, N_NAMES + 1,
                                    SIZE_MAX, &pf, &err), 0);
    take_all(pf, dir, list, N_NAMES + 1);
    prefetch_stop(&pf);
    assert_int_equal(prefetch_start(dir, list, N_NAMES + 1, MLIST_KEEP_MEMO, 1, N_NAMES + 1, 0,
                                    &pf, &err), 0);
    take_all(pf, dir, list, N_NAMES + 1);
    prefetch_stop(&pf);
    assert_null(pf);
    assert_int_equal(harness_rmtree(dir), 0);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefetch_in_order),
        cmocka_unit_test(test_prefetch_skip_and_stop),
        cmocka_unit_test(test_prefetch_caller_helps),
    };

    return cmocka_run_group_tests(tests, NULL, harness_python_teardown);
}
