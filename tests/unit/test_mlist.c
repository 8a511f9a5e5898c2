/*
 * test_mlist - Mailman's load order and fallbacks over real and broken files
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

#include "mmfix/mlist.h"
#include "mmfix/pyload.h"
#include "harness.h"
#include "test_config.h"

static char tmpdir[256];

static void copy_file(const char *from, const char *to, size_t keep)
{
    FILE *in = fopen(from, "rb");
    FILE *out = fopen(to, "wb");
    char buf[8192];
    size_t n;
    size_t total = 0;

    assert_non_null(in);
    assert_non_null(out);
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
        if (keep > 0 && total + n > keep) {
            n = keep - total;
        }
        fwrite(buf, 1, n, out);
        total += n;
        if (keep > 0 && total >= keep) {
            break;
        }
    }
    fclose(in);
    fclose(out);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/mmfix-test-mlist-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    return 0;
}

static int teardown(void **state)
{

    (void)state;
    assert_int_equal(harness_rmtree(tmpdir), 0);
    pyload_deinit();
    return 0;
}

static void test_mlist_corpus(void **state)
{
    struct mlist *ml = NULL;
    const char *err = NULL;
    struct value *v = NULL;

    (void)state;
    assert_int_equal(mlist_open(MMFIX_CORPUS_DIR "/mm21-sample/lists", "cs", 0, NULL, &ml,
                                &err), 0);
    assert_int_equal(ml->loaded, 0);
    assert_true(ml->files[1].present);
    assert_false(ml->files[1].tried);
    assert_false(ml->files[2].present);
    v = mlist_get(ml, "preferred_language");
    assert_true(value_str_eq(v, "cs"));
    assert_int_equal(ml->files[0].protocol, 1);
    mlist_free(&ml);
    assert_null(ml);

    /* a 2.0 list after 2.1's update: config.pck wins over config.db */
    assert_int_equal(mlist_open(MMFIX_CORPUS_DIR "/mm20-sample/after-update-2.1.39/lists", "es",
                                MLIST_ALL_FILES, NULL, &ml, &err), 0);
    assert_int_equal(ml->loaded, 0);
    assert_int_equal(ml->files[2].status, LOAD_OK);
    assert_int_equal(ml->files[3].status, LOAD_OK);
    mlist_free(&ml);
}

static void test_mlist_fallback(void **state)
{
    struct mlist *ml = NULL;
    const char *err = NULL;
    char dir[512];
    char path[600];

    (void)state;
    snprintf(dir, sizeof(dir), "%s/l1", tmpdir);
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(path, sizeof(path), "%s/config.pck", dir);
    copy_file(MMFIX_CORPUS_DIR "/mm21-sample/lists/vacia/config.pck", path, 100);
    snprintf(path, sizeof(path), "%s/config.pck.last", dir);
    copy_file(MMFIX_CORPUS_DIR "/mm21-sample/lists/vacia/config.pck.last", path, 0);
    assert_int_equal(mlist_open(tmpdir, "l1", 0, NULL, &ml, &err), 0);
    assert_int_equal(ml->loaded, 1);
    assert_int_equal(ml->files[0].status, LOAD_CORRUPT);
    assert_non_null(ml->files[0].error);
    assert_non_null(ml->config);
    mlist_free(&ml);

    /* nothing loads */
    snprintf(path, sizeof(path), "%s/config.pck.last", dir);
    copy_file(MMFIX_CORPUS_DIR "/mm21-sample/lists/vacia/config.pck.last", path, 10);
    assert_int_equal(mlist_open(tmpdir, "l1", 0, NULL, &ml, &err), 0);
    assert_int_equal(ml->loaded, -1);
    assert_null(ml->config);
    mlist_free(&ml);

    /* a symlink is never followed */
    snprintf(path, sizeof(path), "%s/config.pck", dir);
    unlink(path);
    assert_int_equal(symlink(MMFIX_CORPUS_DIR "/mm21-sample/lists/vacia/config.pck", path), 0);
    assert_int_equal(mlist_open(tmpdir, "l1", 0, NULL, &ml, &err), 0);
    assert_int_equal(ml->files[0].status, LOAD_REFUSED);
    assert_int_equal(ml->loaded, -1);
    mlist_free(&ml);

    /* no such list */
    assert_int_equal(mlist_open(tmpdir, "nope", 0, NULL, &ml, &err), -1);
    assert_non_null(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mlist_corpus),
        cmocka_unit_test(test_mlist_fallback),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
