/*
 * test_ptrmap - the pointer-keyed map: insert and find, the entry's fields
 * kept, growth (entries survive rehashing), many keys at arena-like
 * strides, missing keys, NULL keys refused, release.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "mmfix/ptrmap.h"
#include "mmfix/xalloc.h"

/* test_ptrmap_insert_find - one key: added once, found, fields kept */
static void test_ptrmap_insert_find(void **state)
{
    struct ptrmap m = PTRMAP_INIT;
    int a = 1;
    int b = 2;
    bool added = false;
    struct ptrmap_entry *e = NULL;

    (void)state;
    assert_null(ptrmap_find(&m, &a));  /* empty map: no table yet */
    e = ptrmap_insert(&m, &a, &added);
    assert_non_null(e);
    assert_true(added);
    assert_ptr_equal(e->key, &a);
    assert_null(e->val);
    assert_int_equal(e->num, 0);
    assert_int_equal(e->flags, 0);
    e->val = &b;
    e->num = 42;
    e->flags = 5;
    e = ptrmap_insert(&m, &a, &added);
    assert_false(added);
    assert_ptr_equal(e->val, &b);
    assert_int_equal(e->num, 42);
    assert_int_equal(e->flags, 5);
    assert_int_equal(m.len, 1);
    e = ptrmap_find(&m, &a);
    assert_non_null(e);
    assert_int_equal(e->num, 42);
    ptrmap_release(&m);
    assert_null(m.slots);
    assert_int_equal(m.len, 0);
    assert_null(ptrmap_find(&m, &a));
}

/* test_ptrmap_missing - keys never added are not found, including
 * neighbours of keys that are */
static void test_ptrmap_missing(void **state)
{
    struct ptrmap m = PTRMAP_INIT;
    char buf[64];
    size_t i;

    (void)state;
    for (i = 0; i < 64; i += 2) {
        ptrmap_insert(&m, &buf[i], NULL)->num = (uint32_t)i;
    }
    for (i = 0; i < 64; i++) {
        struct ptrmap_entry *e = ptrmap_find(&m, &buf[i]);
        if (i % 2 == 0) {
            assert_non_null(e);
            assert_int_equal(e->num, i);
        } else {
            assert_null(e);
        }
    }
    assert_null(ptrmap_find(&m, NULL));
    ptrmap_release(&m);
}

/* test_ptrmap_null_key - NULL marks empty slots: never stored */
static void test_ptrmap_null_key(void **state)
{
    struct ptrmap m = PTRMAP_INIT;
    bool added = true;

    (void)state;
    assert_null(ptrmap_insert(&m, NULL, &added));
    assert_false(added);
    assert_int_equal(m.len, 0);
    ptrmap_release(&m);
}

/* test_ptrmap_growth - the table doubles, stays at most half full, and
 * every entry (with its fields) survives each rehash */
static void test_ptrmap_growth(void **state)
{
    struct ptrmap m = PTRMAP_INIT;
    int keys[1000];
    size_t last_cap = 0;
    int grew = 0;
    size_t i;
    size_t j;

    (void)state;
    for (i = 0; i < 1000; i++) {
        struct ptrmap_entry *e = ptrmap_insert(&m, &keys[i], NULL);
        e->val = &keys[999 - i];
        e->num = (uint32_t)(i * 7);
        e->flags = (uint32_t)(i & 3);
        assert_int_equal(m.len, i + 1);
        assert_true(m.len * 2 <= m.cap);
        assert_int_equal(m.cap & (m.cap - 1), 0);
        if (m.cap != last_cap) {
            grew++;
            last_cap = m.cap;
            for (j = 0; j <= i; j++) {
                struct ptrmap_entry *f = ptrmap_find(&m, &keys[j]);
                assert_non_null(f);
                assert_ptr_equal(f->val, &keys[999 - j]);
                assert_int_equal(f->num, j * 7);
                assert_int_equal(f->flags, j & 3);
            }
        }
    }
    assert_true(grew >= 5);
    ptrmap_release(&m);
}

/* test_ptrmap_many - a million keys at a node-like stride, found again */
static void test_ptrmap_many(void **state)
{
    enum { N = 1000000, STRIDE = 48 };
    struct ptrmap m = PTRMAP_INIT;
    char *arena = xmalloc((size_t)N * STRIDE);
    bool added = false;
    size_t i;

    (void)state;
    for (i = 0; i < N; i++) {
        ptrmap_insert(&m, arena + i * STRIDE, &added)->num = (uint32_t)i;
        assert_true(added);
    }
    assert_int_equal(m.len, N);
    for (i = 0; i < N; i++) {
        struct ptrmap_entry *e = ptrmap_find(&m, arena + i * STRIDE);
        assert_non_null(e);
        assert_int_equal(e->num, i);
        /* the bytes between keys are not keys */
        assert_null(ptrmap_find(&m, arena + i * STRIDE + 8));
    }
    for (i = 0; i < N; i += 1000) {
        ptrmap_insert(&m, arena + i * STRIDE, &added);
        assert_false(added);
    }
    assert_int_equal(m.len, N);
    ptrmap_release(&m);
    free(arena);
}

/* main - run the tests */
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ptrmap_insert_find),
        cmocka_unit_test(test_ptrmap_missing),
        cmocka_unit_test(test_ptrmap_null_key),
        cmocka_unit_test(test_ptrmap_growth),
        cmocka_unit_test(test_ptrmap_many),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
