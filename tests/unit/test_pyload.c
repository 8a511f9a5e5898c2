/*
 * test_pyload - the embedded interpreter: every corpus pickle loads with
 * the right protocol, instances and shared objects survive, str/unicode stay
 * apart, every hostile fixture is refused without running anything, limits
 * hold, the C half of a load done ahead in another thread changes nothing,
 * and pyload_call converts a helper's result.
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
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "mmfix/pickleops.h"
#include "mmfix/pyload.h"
#include "mmfix/xalloc.h"
#include "harness.h"
#include "test_config.h"

#define PT(s) (s), sizeof(s) - 1
#define TESTING_DIR MMFIX_CORPUS_DIR "/lich-bot-mailman/src/mailman/testing"

/* load - unpickle a buffer with default limits */
static int load(const void *data, size_t len, struct value_arena *a, struct value **root,
                struct pyload_info *info, enum load_error *kind, const char **err)
{
    return pyload_unpickle(data, len, NULL, a, root, info, kind, err);
}

/* test_init - idempotent start */
static void test_init(void **state)
{
    const char *err = NULL;

    (void)state;
    if (pyload_init(&err) < 0) {
        fail_msg("pyload_init: %s", err);
    }
    assert_int_equal(pyload_init(&err), 0);
}

/* ---- the C half done ahead (pyload_pre_file) ---- */

struct pre_job {
    const char *path;
    const struct load_limits *limits;
    struct pyload_opts opts;
    struct pyload_pre *pre;
};

/* pre_thread - pyload_pre_file in a thread of its own, as prefetch's caller does it */
static void *pre_thread(void *arg)
{
    struct pre_job *job = arg;

    job->pre = pyload_pre_file(job->path, job->limits, &job->opts);
    return NULL;
}

/* pre_made - pyload_pre_file(path, limits, keep_memo) run by another thread */
static struct pyload_pre *pre_made(const char *path, const struct load_limits *limits,
                                   int keep_memo)
{
    struct pre_job job = { path, limits, { .keep_memo = keep_memo }, NULL };
    pthread_t t;

    assert_int_equal(pthread_create(&t, NULL, pre_thread, &job), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_non_null(job.pre);
    return job.pre;
}

/* expect_same_with_pre - pyload_unpickle_file_ex of path gives the same result, error kind,
 * error text, tree and info with pre (made for pre_path) as without */
static void expect_same_with_pre(const char *path, const struct load_limits *limits,
                                 int keep_memo, struct pyload_pre *pre)
{
    struct pyload_opts plain = { .keep_memo = keep_memo };
    struct pyload_opts ahead = { .keep_memo = keep_memo, .pre = pre };
    struct value_arena *a = value_arena_new();
    struct value *r1 = NULL;
    struct value *r2 = NULL;
    struct pyload_info i1;
    struct pyload_info i2;
    enum load_error k1 = LOAD_OK;
    enum load_error k2 = LOAD_OK;
    const char *e1 = NULL;
    const char *e2 = NULL;
    char *t1 = NULL;
    int rc1 = pyload_unpickle_file_ex(path, limits, &plain, a, &r1, &i1, &k1, &e1);
    int rc2;

    t1 = e1 != NULL ? xstrdup(e1) : NULL;
    rc2 = pyload_unpickle_file_ex(path, limits, &ahead, a, &r2, &i2, &k2, &e2);
    if (rc1 != rc2 || k1 != k2) {
        fail_msg("%s: %d %s (%s) without pre, %d %s (%s) with", path, rc1, load_error_name(k1),
                 t1 != NULL ? t1 : "", rc2, load_error_name(k2), e2 != NULL ? e2 : "");
    }
    if (rc1 != 0) {
        assert_null(r2);
        assert_string_equal(t1, e2);
    } else {
        assert_non_null(r2);
        assert_true(value_equal(r1, r2));
        assert_int_equal(i1.protocol, i2.protocol);
        assert_int_equal(i1.objects, i2.objects);
        assert_int_equal(i1.memo_kept, i2.memo_kept);
    }
    free(t1);
    value_arena_free(&a);
}

/* ---- corpus ---- */

static size_t corpus_files;

/* corpus_one - nftw callback: every *.pck / *.pck.last loads */
static int corpus_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    size_t n = strlen(path);
    struct value_arena *a = NULL;
    struct value *root = NULL;
    struct pyload_info info;
    enum load_error kind = LOAD_OK;
    const char *err = NULL;

    (void)st;
    (void)ftw;
    if (type != FTW_F) {
        return 0;
    }
    if (!(n > 4 && strcmp(path + n - 4, ".pck") == 0)
        && !(n > 9 && strcmp(path + n - 9, ".pck.last") == 0)) {
        return 0;
    }
    a = value_arena_new();
    if (pyload_unpickle_file(path, NULL, a, &root, &info, &kind, &err) < 0) {
        fail_msg("%s: %s (%s)", path, err, load_error_name(kind));
    }
    assert_int_equal(kind, LOAD_OK);
    assert_non_null(root);
    assert_true(info.protocol >= 0 && info.protocol <= 2);
    assert_true(info.objects > 0);
    if (strstr(path, "/heldmsg-") != NULL) {
        assert_int_equal(root->type, VALUE_INSTANCE);
        assert_string_equal(root->u.inst.cls, "Mailman.Message.Message");
        assert_non_null(root->u.inst.state);
        assert_int_equal(root->u.inst.state->type, VALUE_DICT);
    } else if (strstr(path, "/config.pck") != NULL) {
        assert_int_equal(root->type, VALUE_DICT);
        assert_non_null(value_dict_get_str(a, root, "real_name"));
    }
    value_arena_free(&a);
    /* the same, its C half done ahead by another thread */
    {
        struct pyload_pre *pre = pre_made(path, NULL, 1);
        expect_same_with_pre(path, NULL, 1, pre);
        pyload_pre_free(&pre);
        assert_null(pre);
    }
    corpus_files++;
    return 0;
}

/* test_corpus - every pickle of the corpus */
static void test_corpus(void **state)
{
    (void)state;
    corpus_files = 0;
    assert_int_equal(nftw(MMFIX_CORPUS_DIR, corpus_one, 16, FTW_PHYS), 0);
    assert_true(corpus_files >= 60);
}

/* test_protocols - pyload_info.protocol equals pickletools' highest proto */
static void test_protocols(void **state)
{
    static const char *const names[] = { "config.pck", "config-with-instances.pck",
                                         "config-greek.pck" };
    static const int protos[] = { 1, 1, 0 };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char path[1024];
        struct value_arena *a = value_arena_new();
        struct value *root = NULL;
        struct pyload_info info;
        enum load_error kind;
        const char *err = NULL;

        snprintf(path, sizeof(path), "%s/%s", TESTING_DIR, names[i]);
        if (pyload_unpickle_file(path, NULL, a, &root, &info, &kind, &err) < 0) {
            fail_msg("%s", err);
        }
        assert_int_equal(info.protocol, protos[i]);
        value_arena_free(&a);
    }
}

/* check_bounce - one _BounceInfo record of config-with-instances.pck */
static void check_bounce(struct value_arena *a, struct value *inst, const char *member)
{
    struct value *st = NULL;
    struct value *v = NULL;

    assert_int_equal(inst->type, VALUE_INSTANCE);
    assert_string_equal(inst->u.inst.cls, "Mailman.Bouncer._BounceInfo");
    st = inst->u.inst.state;
    assert_non_null(st);
    assert_int_equal(st->type, VALUE_DICT);
    /* BUILD's keys stay Python 2 str (bytes) */
    assert_int_equal(st->u.dict.items[0].key->type, VALUE_BYTES);
    v = value_dict_get_str(a, st, "score");
    assert_non_null(v);
    assert_int_equal(v->type, VALUE_FLOAT);
    assert_true(v->u.f == 1.0);
    v = value_dict_get_str(a, st, "date");
    assert_non_null(v);
    assert_int_equal(v->type, VALUE_TUPLE);
    assert_int_equal(v->u.seq.len, 3);
    assert_int_equal(v->u.seq.items[0]->u.i, 2015);
    assert_int_equal(v->u.seq.items[1]->u.i, 3);
    assert_int_equal(v->u.seq.items[2]->u.i, 24);
    v = value_dict_get_str(a, st, "cookie");
    assert_non_null(v);
    assert_int_equal(v->type, VALUE_NONE);
    v = value_dict_get_str(a, st, "noticesleft");
    assert_int_equal(v->type, VALUE_INT);
    assert_int_equal(v->u.i, 3);
    v = value_dict_get_str(a, st, "member");
    assert_int_equal(v->type, VALUE_BYTES);
    assert_true(value_str_eq(v, member));
}

/* test_instances - both _BounceInfo records with their state */
static void test_instances(void **state)
{
    struct value_arena *a = value_arena_new();
    struct value *root = NULL;
    struct value *bi = NULL;
    struct pyload_info info;
    enum load_error kind;
    const char *err = NULL;

    (void)state;
    if (pyload_unpickle_file(TESTING_DIR "/config-with-instances.pck", NULL, a, &root, &info,
                             &kind, &err) < 0) {
        fail_msg("%s", err);
    }
    bi = value_dict_get_str(a, root, "bounce_info");
    assert_non_null(bi);
    assert_int_equal(bi->type, VALUE_DICT);
    assert_int_equal(bi->u.dict.len, 2);
    check_bounce(a, bi->u.dict.items[0].val, "xxxxxx@examplexxxxxx.org");
    check_bounce(a, bi->u.dict.items[1].val, "xxxxxxxx@exampl.com");
    assert_ptr_not_equal(bi->u.dict.items[0].val, bi->u.dict.items[1].val);
    value_arena_free(&a);
}

/* test_instances_shared_global - the second OBJ reuses the memoized GLOBAL */
static void test_instances_shared_global(void **state)
{
    /* dict of two _BounceInfo: GLOBAL once, BINGET for the second */
    static const char p[] =
        "}q\x00(U\x01" "a(cMailman.Bouncer\n_BounceInfo\nq\x01oq\x02}q\x03U\x05scoreG?\xf0"
        "\x00\x00\x00\x00\x00\x00sbU\x01" "b(h\x01oq\x04}q\x05U\x05scoreG@\x00\x00\x00\x00\x00"
        "\x00\x00sbu.";
    struct value_arena *a = value_arena_new();
    struct value *root = NULL;
    struct pyload_info info;
    struct pickleops_info ops;
    enum load_error kind;
    const char *err = NULL;

    (void)state;
    assert_int_equal(pickleops_scan(PT(p), &ops, &err), 0);
    assert_int_equal(ops.globals, 1);
    assert_int_equal(ops.objs, 2);
    if (load(PT(p), a, &root, &info, &kind, &err) < 0) {
        fail_msg("%s", err);
    }
    assert_int_equal(root->u.dict.len, 2);
    assert_string_equal(root->u.dict.items[0].val->u.inst.cls, "Mailman.Bouncer._BounceInfo");
    assert_string_equal(root->u.dict.items[1].val->u.inst.cls, "Mailman.Bouncer._BounceInfo");
    assert_true(value_dict_get_str(a, root->u.dict.items[1].val->u.inst.state, "score")->u.f
                == 2.0);
    value_arena_free(&a);
}

/* test_greek - protocol 0 non-ASCII str stays raw bytes */
static void test_greek(void **state)
{
    static const unsigned char info_bytes[] = { 0xc1, 0xf5, 0xf4, 0xde, ' ', 0xe5, 0xdf, 0xed,
                                                0xe1, 0xe9, ' ', 0xec, 0xe9, 0xe1, ' ', 0xeb,
                                                0xdf, 0xf3, 0xf4, 0xe1, '.' };
    struct value_arena *a = value_arena_new();
    struct value *root = NULL;
    struct value *v = NULL;
    struct pyload_info info;
    enum load_error kind;
    const char *err = NULL;

    (void)state;
    if (pyload_unpickle_file(TESTING_DIR "/config-greek.pck", NULL, a, &root, &info, &kind,
                             &err) < 0) {
        fail_msg("%s", err);
    }
    assert_int_equal(info.protocol, 0);
    v = value_dict_get_str(a, root, "info");
    assert_non_null(v);
    assert_int_equal(v->type, VALUE_BYTES);
    assert_int_equal(v->u.str.len, 21);
    assert_memory_equal(v->u.str.data, info_bytes, 21);
    value_arena_free(&a);
}

/* test_pending_inst - protocol 0 pending.pck with UserDesc made by INST */
static void test_pending_inst(void **state)
{
    struct value_arena *a = value_arena_new();
    struct value *root = NULL;
    struct pyload_info info;
    enum load_error kind;
    const char *err = NULL;
    size_t i;
    size_t found = 0;

    (void)state;
    if (pyload_unpickle_file(MMFIX_CORPUS_DIR "/mm21-sample/lists/es/pending.pck", NULL, a,
                             &root, &info, &kind, &err) < 0) {
        fail_msg("%s", err);
    }
    assert_int_equal(info.protocol, 0);
    assert_int_equal(root->type, VALUE_DICT);
    for (i = 0; i < root->u.dict.len; i++) {
        struct value *v = root->u.dict.items[i].val;
        size_t j;
        if (v->type != VALUE_TUPLE) {
            continue;
        }
        for (j = 0; j < v->u.seq.len; j++) {
            struct value *x = v->u.seq.items[j];
            if (x->type == VALUE_INSTANCE) {
                assert_string_equal(x->u.inst.cls, "Mailman.UserDesc.UserDesc");
                assert_non_null(x->u.inst.state);
                found++;
            }
        }
    }
    assert_true(found > 0);
    value_arena_free(&a);
}

/* test_types - scalars, unicode vs str, longs, surrogates, bools */
static void test_types(void **state)
{
    /* protocol 2: [None, True, False, 'str', u'uni', u'\ud800', 2**70, -5, 1.5, I01, ()] */
    static const char p[] =
        "\x80\x02](N\x88\x89U\x03strX\x03\x00\x00\x00uniX\x03\x00\x00\x00\xed\xa0\x80"
        "\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x40J\xfb\xff\xff\xffG?\xf8\x00\x00\x00\x00"
        "\x00\x00I01\n)e.";
    struct value_arena *a = value_arena_new();
    struct value *root = NULL;
    struct value **it = NULL;
    struct pyload_info info;
    enum load_error kind;
    const char *err = NULL;

    (void)state;
    if (load(PT(p), a, &root, &info, &kind, &err) < 0) {
        fail_msg("%s", err);
    }
    assert_int_equal(info.protocol, 2);
    assert_int_equal(root->type, VALUE_LIST);
    assert_int_equal(root->u.seq.len, 11);
    it = root->u.seq.items;
    assert_int_equal(it[0]->type, VALUE_NONE);
    assert_int_equal(it[1]->type, VALUE_BOOL);
    assert_true(it[1]->u.b);
    assert_int_equal(it[2]->type, VALUE_BOOL);
    assert_false(it[2]->u.b);
    assert_int_equal(it[3]->type, VALUE_BYTES);
    assert_true(value_str_eq(it[3], "str"));
    assert_int_equal(it[4]->type, VALUE_TEXT);
    assert_true(value_str_eq(it[4], "uni"));
    assert_int_equal(it[5]->type, VALUE_TEXT);
    assert_int_equal(it[5]->u.str.len, 3);
    assert_memory_equal(it[5]->u.str.data, "\xed\xa0\x80", 3);
    assert_int_equal(it[6]->type, VALUE_LONG);
    assert_string_equal(it[6]->u.digits, "1180591620717411303424");
    assert_int_equal(it[7]->type, VALUE_INT);
    assert_int_equal(it[7]->u.i, -5);
    assert_int_equal(it[8]->type, VALUE_FLOAT);
    assert_true(it[8]->u.f == 1.5);
    assert_int_equal(it[9]->type, VALUE_BOOL);
    assert_true(it[9]->u.b);
    assert_int_equal(it[10]->type, VALUE_TUPLE);
    assert_int_equal(info.objects, 12);
    value_arena_free(&a);
}

/* test_sharing - one list referenced twice via BINGET is one node */
static void test_sharing(void **state)
{
    /* protocol 1: {'a': [1], 'b': <the same list>} */
    static const char p[] = "}q\x00(U\x01" "a]q\x01K\x01" "aU\x01" "bh\x01u.";
    struct value_arena *a = value_arena_new();
    struct value *root = NULL;
    struct value *x = NULL;
    struct value *y = NULL;
    struct pyload_info info;
    enum load_error kind;
    const char *err = NULL;

    (void)state;
    if (load(PT(p), a, &root, &info, &kind, &err) < 0) {
        fail_msg("%s", err);
    }
    assert_int_equal(info.protocol, 1);
    x = value_dict_get_str(a, root, "a");
    y = value_dict_get_str(a, root, "b");
    assert_non_null(x);
    assert_ptr_equal(x, y);
    assert_int_equal(x->type, VALUE_LIST);
    assert_int_equal(x->refs, 2);
    assert_int_equal(x->u.seq.len, 1);
    /* dict, 2 keys, list, its int: the shared list counts once */
    assert_int_equal(info.objects, 5);
    value_arena_free(&a);
}

/* ---- hostile fixtures ---- */

/* kind_by_name - enum load_error from load_error_name() */
static enum load_error kind_by_name(const char *name)
{
    enum load_error k;

    for (k = LOAD_OK; k <= LOAD_INTERNAL; k++) {
        if (strcmp(load_error_name(k), name) == 0) {
            return k;
        }
    }
    fail_msg("unknown kind %s", name);
    return LOAD_INTERNAL;
}

/* test_hostile - every fixture as fixtures/hostile/EXPECTED says */
static void test_hostile(void **state)
{
    FILE *f = fopen(MMFIX_FIXTURES_DIR "/hostile/EXPECTED", "r");
    char line[512];
    size_t n = 0;

    (void)state;
    assert_non_null(f);
    unlink("/tmp/mmfix-pwned-fixture");
    while (fgets(line, sizeof(line), f) != NULL) {
        char name[256];
        char kname[64];
        char path[1024];
        struct value_arena *a = NULL;
        struct value *root = NULL;
        struct pyload_info info;
        enum load_error want;
        enum load_error kind = LOAD_OK;
        const char *err = NULL;
        int ret;

        if (line[0] == '#' || sscanf(line, "%255s %63s", name, kname) != 2) {
            continue;
        }
        want = kind_by_name(kname);
        snprintf(path, sizeof(path), "%s/hostile/%s", MMFIX_FIXTURES_DIR, name);
        a = value_arena_new();
        ret = pyload_unpickle_file(path, NULL, a, &root, &info, &kind, &err);
        if (want == LOAD_OK) {
            if (ret < 0) {
                fail_msg("%s: %s", name, err);
            }
        } else {
            if (ret == 0) {
                fail_msg("%s: loaded, expected %s", name, kname);
            }
            assert_null(root);
            if (kind != want) {
                fail_msg("%s: %s (%s), expected %s", name, load_error_name(kind), err, kname);
            }
            assert_non_null(err);
            if (want == LOAD_REFUSED) {
                assert_non_null(strstr(err, "refused: "));
            }
        }
        value_arena_free(&a);
        n++;
    }
    fclose(f);
    assert_true(n >= 40);
    assert_int_equal(access("/tmp/mmfix-pwned-fixture", F_OK), -1);
}

/* test_hostile_messages - the texts a user sees */
static void test_hostile_messages(void **state)
{
    static const struct {
        const char *file;
        const char *text;
    } cases[] = {
        { "os_system.pck", "refused: global os.system is not allowed (only "
                           "Mailman.Bouncer._BounceInfo, Mailman.UserDesc.UserDesc, "
                           "Mailman.Message.Message)" },
        { "truncated.pck", "pickle.UnpicklingError: pickle data was truncated" },
        { "garbage.pck", "pickle.UnpicklingError: invalid load key, 'x'." },
        { "empty.pck", "EOFError: Ran out of input" },
        { "reduce_allowed.pck", "refused: opcode REDUCE" },
        { "inst_allowed_args.pck", "refused: calling Mailman.UserDesc.UserDesc is not allowed" },
        { "deep_list.pck", "nesting deeper than 200 levels" },
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char path[1024];
        struct value_arena *a = value_arena_new();
        struct value *root = NULL;
        enum load_error kind;
        const char *err = NULL;

        snprintf(path, sizeof(path), "%s/hostile/%s", MMFIX_FIXTURES_DIR, cases[i].file);
        assert_int_equal(pyload_unpickle_file(path, NULL, a, &root, NULL, &kind, &err), -1);
        if (strstr(err, cases[i].text) == NULL) {
            fail_msg("%s: got \"%s\", want \"%s\"", cases[i].file, err, cases[i].text);
        }
        value_arena_free(&a);
    }
}

/* test_no_side_effect - a pickle that would create a file, all variants */
static void test_no_side_effect(void **state)
{
    char target[128];
    char cmd[256];
    char pk[1024];
    static const struct {
        const char *pre;
        const char *post;
    } parts[] = {
        { "cos\nsystem\n(S'", "'\ntR." },
        { "cposix\nsystem\n(S'", "'\ntR." },
        { "(S'", "'\nios\nsystem\n." },
        { "\x80\x02" "cos\nsystem\nS'", "'\n\x85\x81." },
        { "c__builtin__\ngetattr\n(c__builtin__\n__import__\n(S'os'\ntRS'system'\ntR(S'",
          "'\ntR." },
    };
    size_t i;

    (void)state;
    snprintf(target, sizeof(target), "/tmp/mmfix-pwned-%ld", (long)getpid());
    snprintf(cmd, sizeof(cmd), "touch %s", target);
    unlink(target);
    for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        struct value_arena *a = value_arena_new();
        struct value *root = NULL;
        enum load_error kind;
        const char *err = NULL;
        int n = snprintf(pk, sizeof(pk), "%s%s%s", parts[i].pre, cmd, parts[i].post);

        assert_true(n > 0 && (size_t)n < sizeof(pk));
        assert_int_equal(load(pk, (size_t)n, a, &root, NULL, &kind, &err), -1);
        assert_int_equal(kind, LOAD_REFUSED);
        value_arena_free(&a);
    }
    assert_int_equal(access(target, F_OK), -1);
}

/* test_limits - size, depth, object count */
static void test_limits(void **state)
{
    static const char p[] = "(lp0\n(lp1\n(lp2\nI1\naaa.";  /* [[[1]]] */
    struct load_limits lim;
    struct value_arena *a = value_arena_new();
    struct value *root = NULL;
    struct pyload_info info;
    enum load_error kind;
    const char *err = NULL;

    (void)state;
    memset(&lim, 0, sizeof(lim));
    lim.max_bytes = 10;
    assert_int_equal(pyload_unpickle(PT(p), &lim, a, &root, &info, &kind, &err), -1);
    assert_int_equal(kind, LOAD_LIMIT);
    lim.max_bytes = 0;
    lim.max_depth = 2;
    assert_int_equal(pyload_unpickle(PT(p), &lim, a, &root, &info, &kind, &err), -1);
    assert_int_equal(kind, LOAD_LIMIT);
    assert_non_null(strstr(err, "nesting"));
    lim.max_depth = 3;
    assert_int_equal(pyload_unpickle(PT(p), &lim, a, &root, &info, &kind, &err), 0);
    lim.max_objects = 3;
    assert_int_equal(pyload_unpickle(PT(p), &lim, a, &root, &info, &kind, &err), -1);
    assert_int_equal(kind, LOAD_LIMIT);
    assert_non_null(strstr(err, "objects"));
    lim.max_objects = 4;
    assert_int_equal(pyload_unpickle(PT(p), &lim, a, &root, &info, &kind, &err), 0);
    assert_int_equal(info.objects, 4);
    lim.max_bytes = 5;
    assert_int_equal(pyload_unpickle_file(TESTING_DIR "/config.pck", &lim, a, &root, &info,
                                          &kind, &err), -1);
    assert_int_equal(kind, LOAD_LIMIT);
    value_arena_free(&a);
}

/* test_file_errors - missing and unreadable */
static void test_file_errors(void **state)
{
    struct value_arena *a = value_arena_new();
    struct value *root = NULL;
    enum load_error kind;
    const char *err = NULL;

    (void)state;
    assert_int_equal(pyload_unpickle_file("/nonexistent/config.pck", NULL, a, &root, NULL,
                                          &kind, &err), -1);
    assert_int_equal(kind, LOAD_MISSING);
    assert_non_null(strstr(err, "/nonexistent/config.pck"));
    assert_int_equal(pyload_unpickle_file(MMFIX_FIXTURES_DIR, NULL, a, &root, NULL, &kind,
                                          &err), -1);
    assert_int_equal(kind, LOAD_IO);
    value_arena_free(&a);
}

/* test_pre_errors - a C half done ahead reports exactly what the call would have: every
 * hostile fixture, a missing file, a directory, each limit; one made for another file or
 * other options is not used, nor one already used */
static void test_pre_errors(void **state)
{
    FILE *f = fopen(MMFIX_FIXTURES_DIR "/hostile/EXPECTED", "r");
    char line[512];
    struct load_limits lim;
    struct pyload_pre *pre = NULL;
    size_t n = 0;
    const char *cfg = TESTING_DIR "/config.pck";

    (void)state;
    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        char name[256];
        char kname[64];
        char path[1024];

        if (line[0] == '#' || sscanf(line, "%255s %63s", name, kname) != 2) {
            continue;
        }
        snprintf(path, sizeof(path), "%s/hostile/%s", MMFIX_FIXTURES_DIR, name);
        pre = pre_made(path, NULL, 1);
        expect_same_with_pre(path, NULL, 1, pre);
        pyload_pre_free(&pre);
        pre = pre_made(path, NULL, 0);
        expect_same_with_pre(path, NULL, 0, pre);
        pyload_pre_free(&pre);
        n++;
    }
    fclose(f);
    assert_true(n >= 40);
    assert_int_equal(access("/tmp/mmfix-pwned-fixture", F_OK), -1);
    pre = pre_made("/nonexistent/config.pck", NULL, 1);
    assert_int_equal(pyload_pre_bytes(pre), 0);
    expect_same_with_pre("/nonexistent/config.pck", NULL, 1, pre);
    pyload_pre_free(&pre);
    {
        struct stat sb;
        assert_int_equal(stat(cfg, &sb), 0);
        pre = pre_made(cfg, NULL, 1);
        assert_int_equal(pyload_pre_bytes(pre), (size_t)sb.st_size);
        pyload_pre_free(&pre);
        assert_int_equal(pyload_pre_bytes(NULL), 0);
    }
    pre = pre_made(MMFIX_FIXTURES_DIR, NULL, 1);
    expect_same_with_pre(MMFIX_FIXTURES_DIR, NULL, 1, pre);
    pyload_pre_free(&pre);
    memset(&lim, 0, sizeof(lim));
    lim.max_bytes = 5;
    pre = pre_made(cfg, &lim, 1);
    expect_same_with_pre(cfg, &lim, 1, pre);
    pyload_pre_free(&pre);
    lim.max_bytes = 0;
    lim.max_objects = 3;
    pre = pre_made(cfg, &lim, 1);
    expect_same_with_pre(cfg, &lim, 1, pre);
    pyload_pre_free(&pre);
    /* made for other limits, options or another file: each call reads its own file */
    pre = pre_made(cfg, &lim, 1);
    expect_same_with_pre(cfg, NULL, 1, pre);
    pyload_pre_free(&pre);
    pre = pre_made(cfg, NULL, 0);
    expect_same_with_pre(cfg, NULL, 1, pre);
    pyload_pre_free(&pre);
    pre = pre_made(MMFIX_FIXTURES_DIR "/hostile/os_system.pck", NULL, 1);
    expect_same_with_pre(cfg, NULL, 1, pre);
    pyload_pre_free(&pre);
    /* used once: the second call is the first's equal, read afresh (its shadow is spent) */
    pre = pre_made(cfg, NULL, 1);
    expect_same_with_pre(cfg, NULL, 1, pre);
    expect_same_with_pre(cfg, NULL, 1, pre);
    pyload_pre_free(&pre);
    pyload_pre_free(&pre);
}

/* test_call - pyload_call on python/mmfix/selftest.py */
static void test_call(void **state)
{
    struct value_arena *a = value_arena_new();
    struct value *r = NULL;
    struct value *v = NULL;
    struct value key;
    const char *err = NULL;

    (void)state;
    if (pyload_call("selftest", "nested", "h\xc3\xa9llo", a, &r, &err) < 0) {
        fail_msg("%s", err);
    }
    assert_int_equal(r->type, VALUE_DICT);
    v = value_dict_get_str(a, r, "arg");
    assert_int_equal(v->type, VALUE_TEXT);
    assert_true(value_str_eq(v, "h\xc3\xa9llo"));
    v = value_dict_get_str(a, r, "bytes");
    assert_int_equal(v->type, VALUE_BYTES);
    assert_memory_equal(v->u.str.data, "\xc1\xf5", 2);
    assert_int_equal(value_dict_get_str(a, r, "int")->u.i, -7);
    v = value_dict_get_str(a, r, "big");
    assert_int_equal(v->type, VALUE_LONG);
    assert_string_equal(v->u.digits, "1180591620717411303424");
    assert_true(value_dict_get_str(a, r, "float")->u.f == 1.5);
    v = value_dict_get_str(a, r, "flags");
    assert_int_equal(v->type, VALUE_TUPLE);
    assert_int_equal(v->u.seq.items[0]->type, VALUE_BOOL);
    assert_true(v->u.seq.items[0]->u.b);
    assert_int_equal(v->u.seq.items[2]->type, VALUE_NONE);
    v = value_dict_get_str(a, r, "list");
    assert_int_equal(v->type, VALUE_LIST);
    assert_ptr_equal(v->u.seq.items[0], v->u.seq.items[1]);
    assert_int_equal(v->u.seq.items[0]->refs, 2);
    memset(&key, 0, sizeof(key));
    key.type = VALUE_INT;
    key.u.i = 1;
    v = value_dict_get(a, r, &key);
    assert_non_null(v);
    assert_int_equal(v->type, VALUE_DICT);
    /* undecodable bytes in the argument survive as surrogate escapes */
    assert_int_equal(pyload_call("selftest", "echo", "a\xff", a, &r, &err), 0);
    assert_int_equal(r->type, VALUE_TEXT);
    /* errors */
    assert_int_equal(pyload_call("selftest", "fail", "boom", a, &r, &err), -1);
    assert_non_null(strstr(err, "ValueError: selftest failure: boom"));
    assert_null(r);
    assert_int_equal(pyload_call("selftest", "nope", "", a, &r, &err), -1);
    assert_non_null(strstr(err, "AttributeError"));
    assert_int_equal(pyload_call("nosuchmodule", "f", "", a, &r, &err), -1);
    assert_non_null(strstr(err, "ModuleNotFoundError"));
    assert_int_equal(pyload_call("../os", "system", "", a, &r, &err), -1);
    assert_int_equal(pyload_call("selftest", "__import__", "", a, &r, &err), -1);
    value_arena_free(&a);
}

/* test_call_files - pyload_call_files hands over bytes (NUL bytes kept),
 * None for a missing file and the error text for an unreadable one */
static void test_call_files(void **state)
{
    static const struct pyload_file files[] = {
        { "Defaults.py", "a\0b", 3, NULL },
        { "Version.py", NULL, 0, NULL },
        { "mm_cfg.py", NULL, 0, "/x/mm_cfg.py: not a regular file (fifo)" },
        { "empty.py", "", 0, NULL },
    };
    struct value_arena *a = value_arena_new();
    struct value *r = NULL;
    struct value *d = NULL;
    struct value *v = NULL;
    const char *err = NULL;

    (void)state;
    if (pyload_call_files("selftest", "files", "dir", files, 4, a, &r, &err) < 0) {
        fail_msg("%s", err);
    }
    assert_int_equal(r->type, VALUE_TUPLE);
    assert_true(value_str_eq(r->u.seq.items[0], "dir"));
    d = r->u.seq.items[1];
    assert_int_equal(d->type, VALUE_DICT);
    assert_int_equal(d->u.dict.len, 4);
    v = value_dict_get(a, d, value_new_text(a, "Defaults.py", 11));
    assert_int_equal(v->type, VALUE_BYTES);
    assert_int_equal(v->u.str.len, 3);
    assert_memory_equal(v->u.str.data, "a\0b", 3);
    v = value_dict_get(a, d, value_new_text(a, "Version.py", 10));
    assert_int_equal(v->type, VALUE_NONE);
    v = value_dict_get(a, d, value_new_text(a, "mm_cfg.py", 9));
    assert_int_equal(v->type, VALUE_TEXT);
    assert_true(value_str_eq(v, "/x/mm_cfg.py: not a regular file (fifo)"));
    v = value_dict_get(a, d, value_new_text(a, "empty.py", 8));
    assert_int_equal(v->type, VALUE_BYTES);
    assert_int_equal(v->u.str.len, 0);
    /* no files at all: an empty dict, still a second argument */
    assert_int_equal(pyload_call_files("selftest", "files", "", NULL, 0, a, &r, &err), 0);
    assert_int_equal(r->u.seq.items[1]->type, VALUE_DICT);
    assert_int_equal(r->u.seq.items[1]->u.dict.len, 0);
    value_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_protocols),
        cmocka_unit_test(test_instances),
        cmocka_unit_test(test_instances_shared_global),
        cmocka_unit_test(test_greek),
        cmocka_unit_test(test_pending_inst),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_sharing),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_hostile_messages),
        cmocka_unit_test(test_no_side_effect),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_pre_errors),
        cmocka_unit_test(test_call),
        cmocka_unit_test(test_call_files),
    };
    return cmocka_run_group_tests(tests, NULL, harness_python_teardown);
}
