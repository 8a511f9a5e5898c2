/*
 * test_requests - ListAdmin._UpdateRecords of Mailman 2.1.39 on small held
 * request databases built from what ListAdmin.py of 2.0, 2.1 and 2.1.39
 * store, and which of request.db / request.pck it reads
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mmfix/pickle.h"
#include "mmfix/pyload.h"
#include "mmfix/requests.h"
#include "mmfix/strbuf.h"
#include "harness.h"
#include "harness_value.h"

/* tj, same - typed JSON values in, compared with value_equal */
#define tj harness_value
#define same harness_expect_value

/* update - requests_update on db (typed JSON), lang 'de', schema 1 */
static int update(struct value_arena *a, struct value **db_r, const char *json,
                  size_t *changed_r, const char **err_r)
{
    *db_r = tj(a, json);
    return requests_update(a, *db_r, value_new_bytes(a, "de", 2), 1, changed_r, err_r);
}

/* Mailman 2.0's request.db: 4-item subscriptions (when, addr, passwd,
 * digest), 5-item held messages (pre-2.0b3) and 6-item ones */
static void test_layout_20(void **state)
{
    struct value_arena *a = value_arena_new();
    struct value *db = NULL;
    size_t changed = 9;
    const char *err = NULL;

    (void)state;
    assert_int_equal(update(a, &db,
        "{\"$dict\": ["
        "[1, {\"$tuple\": [2, {\"$tuple\": [1.5, \"a@x.org\", \"pw\", 0]}]}],"
        "[2, {\"$tuple\": [1, {\"$tuple\": [2.5, \"s@x.org\", \"Subj\", \"Why\", "
        "\"heldmsg-l-2.txt\"]}]}],"
        "[3, {\"$tuple\": [1, {\"$tuple\": [3.5, \"t@x.org\", \"S\", \"W\", "
        "\"heldmsg-l-3.txt\", {\"tolist\": 1}]}]}]]}", &changed, &err), 0);
    assert_int_equal(changed, 2);
    same(a, db,
        "{\"$dict\": ["
        "[1, {\"$tuple\": [2, {\"$tuple\": [1.5, \"a@x.org\", \"\", \"pw\", 0, \"de\"]}]}],"
        "[2, {\"$tuple\": [1, {\"$tuple\": [2.5, \"s@x.org\", \"Subj\", \"Why\", "
        "\"heldmsg-l-2.txt\", {}]}]}],"
        "[3, {\"$tuple\": [1, {\"$tuple\": [3.5, \"t@x.org\", \"S\", \"W\", "
        "\"heldmsg-l-3.txt\", {\"tolist\": 1}]}]}],"
        "[\"version\", {\"$tuple\": [0, 1]}]]}");
    assert_string_equal((const char *)requests_held_file(
                            value_dict_get(a, db, value_new_int(a, 2)))->u.str.data,
                        "heldmsg-l-2.txt");
    assert_null(requests_held_file(value_dict_get(a, db, value_new_int(a, 1))));
    assert_true(requests_has(a, db, value_new_int(a, 3)));
    assert_false(requests_has(a, db, value_new_int(a, 4)));
    value_arena_free(&a);
}

/* 2.1a2-2.1a3: 5-item subscriptions with the language; the 2.1.1-2.1.11
 * bug records of 6 bare items; other request types untouched */
static void test_layout_21(void **state)
{
    struct value_arena *a = value_arena_new();
    struct value *db = NULL;
    size_t changed = 0;
    const char *err = NULL;

    (void)state;
    assert_int_equal(update(a, &db,
        "{\"$dict\": ["
        "[\"version\", {\"$tuple\": [0, 1]}],"
        "[1, {\"$tuple\": [2, {\"$tuple\": [1.5, \"a@x.org\", \"pw\", 1, \"fr\"]}]}],"
        "[2, {\"$tuple\": [1.5, \"b@x.org\", \"Bea\", \"pw\", true, \"en\"]}],"
        "[3, {\"$tuple\": [2.5, \"s@x.org\", \"Subj\", \"Why\", \"heldmsg-l-3.pck\", {}]}],"
        "[4, {\"$tuple\": [3, {\"$tuple\": [4.5, \"u@x.org\"]}]}],"
        "[5, {\"$tuple\": [2, {\"$tuple\": [1.5, \"c@x.org\", \"C\", \"pw\", 0, \"en\"]}]}]"
        "]}", &changed, &err), 0);
    assert_int_equal(changed, 3);
    same(a, db,
        "{\"$dict\": ["
        "[\"version\", {\"$tuple\": [0, 1]}],"
        "[1, {\"$tuple\": [2, {\"$tuple\": [1.5, \"a@x.org\", \"\", \"pw\", 1, \"fr\"]}]}],"
        "[2, {\"$tuple\": [2, {\"$tuple\": [1.5, \"b@x.org\", \"Bea\", \"pw\", true, "
        "\"en\"]}]}],"
        "[3, {\"$tuple\": [1, {\"$tuple\": [2.5, \"s@x.org\", \"Subj\", \"Why\", "
        "\"heldmsg-l-3.pck\", {}]}]}],"
        "[4, {\"$tuple\": [3, {\"$tuple\": [4.5, \"u@x.org\"]}]}],"
        "[5, {\"$tuple\": [2, {\"$tuple\": [1.5, \"c@x.org\", \"C\", \"pw\", 0, \"en\"]}]}]"
        "]}");
    /* a current database changes nothing */
    {
        struct value *copy = value_copy(a, db);
        assert_int_equal(requests_update(a, db, value_new_bytes(a, "de", 2), 1, &changed,
                                         &err), 0);
        assert_int_equal(changed, 0);
        assert_true(value_equal(copy, db));
    }
    value_arena_free(&a);
}

/* layouts ListAdmin's asserts refuse: bin/update dies, mmfix refuses */
static void test_refused(void **state)
{
    static const char *const bad[] = {
        "{\"$dict\": [[1, {\"$tuple\": [2, 3, 4]}]]}",
        "{\"$dict\": [[1, {\"$tuple\": [2, {\"$tuple\": [1, 2, 3]}]}]]}",
        "{\"$dict\": [[1, {\"$tuple\": [1, {\"$tuple\": [1, 2, 3, 4, 5, 6, 7]}]}]]}",
        "{\"$dict\": [[1, {\"$tuple\": [1, 5]}]]}",
        "{\"$dict\": [[1, 7]]}",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct value_arena *a = value_arena_new();
        struct value *db = NULL;
        size_t changed = 0;
        const char *err = NULL;
        assert_int_equal(update(a, &db, bad[i], &changed, &err), -1);
        assert_non_null(strstr(err, "request 1"));
        value_arena_free(&a);
    }
}

/* write - a file of len bytes */
static void write_bytes(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* request.db is read first (a marshal), then request.pck; both is said */
static void test_load(void **state)
{
    char *dir = harness_tmpdir("requests");
    char path[4096];
    struct value_arena *a = value_arena_new();
    struct value *db = NULL;
    enum requests_source src;
    bool both = true;
    const char *err = NULL;
    struct strbuf pck = STRBUF_INIT;
    /* marshal.dumps({1: (2, 7)}) */
    static const char marshal_db[] = "{i\x01\x00\x00\x00(\x02\x00\x00\x00i\x02\x00\x00\x00"
                                     "i\x07\x00\x00\x00" "0";

    (void)state;
    assert_int_equal(requests_load(dir, a, &db, &src, &both, &err), 0);
    assert_null(db);
    assert_int_equal(src, REQUESTS_NONE);
    assert_false(both);

    assert_int_equal(pickle_write(&pck, tj(a, "{\"$dict\": [[\"version\", {\"$tuple\": [0, "
                                              "1]}]]}"), &err), 0);
    snprintf(path, sizeof(path), "%s/request.pck", dir);
    write_bytes(path, pck.buf, pck.len);
    assert_int_equal(requests_load(dir, a, &db, &src, &both, &err), 0);
    assert_int_equal(src, REQUESTS_PCK);
    same(a, db, "{\"$dict\": [[\"version\", {\"$tuple\": [0, 1]}]]}");

    snprintf(path, sizeof(path), "%s/request.db", dir);
    write_bytes(path, marshal_db, sizeof(marshal_db) - 1);
    assert_int_equal(requests_load(dir, a, &db, &src, &both, &err), 0);
    assert_int_equal(src, REQUESTS_DB);
    assert_true(both);
    same(a, db, "{\"$dict\": [[1, {\"$tuple\": [2, 7]}]]}");

    write_bytes(path, "{i", 2);
    assert_int_equal(requests_load(dir, a, &db, &src, &both, &err), -1);
    assert_non_null(strstr(err, "request.db"));

    strbuf_release(&pck);
    value_arena_free(&a);
    assert_int_equal(harness_rmtree(dir), 0);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_20),
        cmocka_unit_test(test_layout_21),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_load),
    };

    return cmocka_run_group_tests(tests, NULL, harness_python_teardown);
}
