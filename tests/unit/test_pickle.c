/*
 * test_pickle - the protocol-1 pickle writer: every corpus pickle re-encodes
 * to a file that loads equal (pyload and Python 3), with only protocol 0-1
 * opcodes, and byte for byte equal for (at least 90% of) the protocol-1
 * files Mailman wrote; config.db files (marshal) pickle and load back equal;
 * hand-made trees give cPickle's exact opcodes (ints by size, booleans,
 * longs, tuples, shared objects, instances sharing their GLOBAL, batches);
 * pyload's memo capture (pyload_opts.keep_memo) and its fallback.
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

#include "mmfix/marshal.h"
#include "mmfix/pickle.h"
#include "mmfix/pickleops.h"
#include "mmfix/pyload.h"
#include "mmfix/strbuf.h"
#include "mmfix/xalloc.h"
#include "test_config.h"

#define PT(s) (s), sizeof(s) - 1
#define CHECKER MMFIX_SOURCE_DIR "/tests/tools/check_pickle.py"

/* ---- helpers ---- */

/* load_mem - pyload with memo capture */
static struct value *load_mem(struct value_arena *a, const void *data, size_t len,
                              int keep_memo, struct pyload_info *info)
{
    struct pyload_opts opts = { .keep_memo = keep_memo };
    struct value *root = NULL;
    enum load_error kind = LOAD_OK;
    const char *err = NULL;

    if (pyload_unpickle_ex(data, len, NULL, &opts, a, &root, info, &kind, &err) < 0) {
        fail_msg("pyload: %s (%s)", err, load_error_name(kind));
    }
    return root;
}

/* write_tree - pickle_write into a fresh buffer, failing the test on error */
static void write_tree(struct strbuf *sb, const struct value *root,
                       struct pickle_write_info *info)
{
    const char *err = NULL;

    strbuf_reset(sb);
    if (pickle_write_ex(sb, root, info, &err) < 0) {
        fail_msg("pickle_write: %s", err);
    }
}

/* max_protocol - the highest protocol among the opcodes of data */
static int max_protocol(const void *data, size_t len)
{
    struct pickleops_info info;
    const char *err = NULL;

    if (pickleops_scan(data, len, &info, &err) < 0) {
        fail_msg("pickleops_scan: %s", err);
    }
    assert_int_equal(info.stop_offset, len - 1);
    return info.protocol;
}

/* assert_bytes - sb holds exactly want[0..n) */
static void assert_bytes(const struct strbuf *sb, const char *want, size_t n)
{
    size_t i;

    for (i = 0; i < n && i < sb->len; i++) {
        if ((unsigned char)sb->buf[i] != (unsigned char)want[i]) {
            fail_msg("byte %zu: got 0x%02x, want 0x%02x", i, (unsigned char)sb->buf[i],
                     (unsigned char)want[i]);
        }
    }
    assert_int_equal(sb->len, n);
}

/* reload_equal - the pickle in sb loads (plain pyload) equal to want */
static void reload_equal(const struct strbuf *sb, const struct value *want)
{
    struct value_arena *a = value_arena_new();
    struct value *got = load_mem(a, sb->buf, sb->len, 0, NULL);

    assert_true(value_equal(want, got));
    value_arena_free(&a);
}

/* bytes_node - a str node of a C string */
static struct value *bytes_node(struct value_arena *a, const char *s)
{
    return value_new_bytes(a, s, strlen(s));
}

/* ---- the checker run over many outputs ---- */

static char tmpdir[64];
static struct strbuf checker_cmd = STRBUF_INIT;
static size_t checker_files;

/* checker_add - queue (orig, out) for check_pickle.py; orig may be "-" */
static void checker_add(const char *orig, const struct strbuf *out)
{
    char path[128];
    FILE *fp = NULL;

    if (tmpdir[0] == '\0') {
        char *d = NULL;

        snprintf(tmpdir, sizeof(tmpdir), "/tmp/mmfix-test-pickle-XXXXXX");
        d = mkdtemp(tmpdir);
        assert_non_null(d);
    }
    snprintf(path, sizeof(path), "%s/%zu.pck", tmpdir, checker_files++);
    fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(out->buf, 1, out->len, fp), out->len);
    assert_int_equal(fclose(fp), 0);
    strbuf_addf(&checker_cmd, " '%s' '%s'", orig, path);
}

/* checker_run - run check_pickle.py over what was queued */
static void checker_run(void)
{
    struct strbuf cmd = STRBUF_INIT;
    int rc;

    if (checker_cmd.len == 0) {
        return;
    }
    strbuf_addf(&cmd, "/usr/bin/python3 '%s'%s", CHECKER, strbuf_cstr(&checker_cmd));
    rc = system(cmd.buf);
    strbuf_release(&cmd);
    strbuf_reset(&checker_cmd);
    assert_int_equal(rc, 0);
}

/* rm_one - nftw callback removing the temporary files */
static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

/* ---- corpus ---- */

#define MAX_FILES 512

static char *pck_files[MAX_FILES];
static size_t n_pck;
static char *db_files[MAX_FILES];
static size_t n_db;

/* collect_one - nftw callback: the pickles and config.db files to test */
static int collect_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    const char *base = path + ftw->base;

    (void)st;
    if (type != FTW_F) {
        return 0;
    }
    if (strcmp(base, "config.pck") == 0 || strcmp(base, "config.pck.last") == 0
        || strcmp(base, "pending.pck") == 0 || strcmp(base, "request.pck") == 0) {
        if (n_pck < MAX_FILES) {
            pck_files[n_pck++] = xstrdup(path);
        }
    } else if (strcmp(base, "config.db") == 0 || strcmp(base, "config.db.last") == 0) {
        if (n_db < MAX_FILES) {
            db_files[n_db++] = xstrdup(path);
        }
    }
    return 0;
}

/* collect - the corpus file lists, once */
static void collect(void)
{
    if (n_pck == 0) {
        assert_int_equal(nftw(MMFIX_CORPUS_DIR, collect_one, 16, FTW_PHYS), 0);
    }
}

/* read_all - a whole file */
static void read_all(const char *path, struct strbuf *sb)
{
    FILE *fp = fopen(path, "rb");
    char buf[65536];
    size_t n;

    assert_non_null(fp);
    strbuf_reset(sb);
    while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
        strbuf_add(sb, buf, n);
    }
    fclose(fp);
}

/* test_corpus_pickles - re-encode every corpus pickle */
static void test_corpus_pickles(void **state)
{
    struct strbuf in = STRBUF_INIT;
    struct strbuf out = STRBUF_INIT;
    size_t proto1 = 0;
    size_t same = 0;
    size_t i;

    (void)state;
    collect();
    assert_true(n_pck >= 50);
    for (i = 0; i < n_pck; i++) {
        struct value_arena *a = value_arena_new();
        struct pyload_info info;
        struct pickle_write_info winfo;
        struct value *root = NULL;

        read_all(pck_files[i], &in);
        root = load_mem(a, in.buf, in.len, 1, &info);
        write_tree(&out, root, &winfo);
        /* (3) only protocol 0-1 opcodes */
        assert_true(max_protocol(out.buf, out.len) <= 1);
        /* (2) loads back equal */
        reload_equal(&out, root);
        /* (1) byte fidelity for what cPickle wrote with protocol 1 */
        if (info.protocol == 1) {
            proto1++;
            assert_true(info.memo_kept);
            if (out.len == in.len && memcmp(out.buf, in.buf, in.len) == 0) {
                same++;
            } else {
                print_message("not byte-identical: %s (%zu -> %zu bytes)\n", pck_files[i],
                              in.len, out.len);
            }
        }
        checker_add(pck_files[i], &out);
        value_arena_free(&a);
    }
    print_message("byte-identical: %zu of %zu protocol-1 files (%.1f%%)\n", same, proto1,
                  proto1 > 0 ? 100.0 * (double)same / (double)proto1 : 0.0);
    assert_true(proto1 >= 40);
    assert_true(same * 100 >= proto1 * 90);
    checker_run();
    strbuf_release(&in);
    strbuf_release(&out);
}

/* test_corpus_db - config.db (marshal) -> pickle -> pyload: equal */
static void test_corpus_db(void **state)
{
    struct strbuf out = STRBUF_INIT;
    size_t i;

    (void)state;
    collect();
    assert_true(n_db >= 10);
    for (i = 0; i < n_db; i++) {
        struct value_arena *a = value_arena_new();
        struct value *root = NULL;
        struct marshal_info minfo;
        struct pickle_write_info winfo;
        enum load_error kind = LOAD_OK;
        const char *err = NULL;

        if (marshal_read_file(db_files[i], NULL, a, &root, &minfo, &kind, &err) < 0) {
            fail_msg("%s: %s", db_files[i], err);
        }
        write_tree(&out, root, &winfo);
        assert_false(winfo.had_memo);
        assert_true(max_protocol(out.buf, out.len) <= 1);
        reload_equal(&out, root);
        checker_add("-", &out);
        value_arena_free(&a);
    }
    checker_run();
    strbuf_release(&out);
}

/* ---- hand-made trees ---- */

/* test_scalars - ints by size, booleans, longs, floats, None */
static void test_scalars(void **state)
{
    struct value_arena *a = value_arena_new();
    struct value *l = value_new_list(a, 0);
    struct value *pylong = value_new_int(a, 5);
    struct strbuf out = STRBUF_INIT;
    static const char want[] =
        "]q\x01(" "I01\n" "I00\n" "N" "K\x00" "K\xff" "M\x00\x01" "M\xff\xff"
        "J\x00\x00\x01\x00" "J\xff\xff\xff\xff" "J\xff\xff\xff\x7f" "I2147483648\n"
        "J\x00\x00\x00\x80" "I-2147483649\n" "I1099511627776\n" "L5L\n"
        "L123456789012345678901234567890L\n" "L-98765432109876543210L\n"
        "G\x3f\xf8\x00\x00\x00\x00\x00\x00" "e.";

    (void)state;
    pylong->flags |= VALUE_FLAG_PYLONG;
    value_seq_append(a, l, value_new_bool(a, true));
    value_seq_append(a, l, value_new_bool(a, false));
    value_seq_append(a, l, value_new_none(a));
    value_seq_append(a, l, value_new_int(a, 0));
    value_seq_append(a, l, value_new_int(a, 255));
    value_seq_append(a, l, value_new_int(a, 256));
    value_seq_append(a, l, value_new_int(a, 65535));
    value_seq_append(a, l, value_new_int(a, 65536));
    value_seq_append(a, l, value_new_int(a, -1));
    value_seq_append(a, l, value_new_int(a, INT32_MAX));
    value_seq_append(a, l, value_new_int(a, (int64_t)INT32_MAX + 1));
    value_seq_append(a, l, value_new_int(a, INT32_MIN));
    value_seq_append(a, l, value_new_int(a, (int64_t)INT32_MIN - 1));
    value_seq_append(a, l, value_new_int(a, (int64_t)1 << 40));
    value_seq_append(a, l, pylong);
    value_seq_append(a, l, value_new_long(a, "123456789012345678901234567890"));
    value_seq_append(a, l, value_new_long(a, "-98765432109876543210"));
    value_seq_append(a, l, value_new_float(a, 1.5));
    write_tree(&out, l, NULL);
    assert_bytes(&out, want, sizeof(want) - 1);
    reload_equal(&out, l);
    checker_add("-", &out);
    checker_run();
    strbuf_release(&out);
    value_arena_free(&a);
}

/* test_strings - short/long str, unicode as UTF-8, never-memoized short ones */
static void test_strings(void **state)
{
    struct value_arena *a = value_arena_new();
    struct value *t = value_new_tuple(a, 0);
    struct value *big = NULL;
    struct strbuf out = STRBUF_INIT;
    struct strbuf want = STRBUF_INIT;
    char *long_str = xmalloc(300);

    (void)state;
    memset(long_str, 'x', 300);
    big = value_new_bytes(a, long_str, 300);
    value_seq_append(a, t, bytes_node(a, "ab"));
    value_seq_append(a, t, big);
    value_seq_append(a, t, value_new_text(a, "\xc3\xa9t\xc3\xa9", 5));
    value_seq_append(a, t, value_new_bytes(a, "", 0));
    write_tree(&out, t, NULL);
    strbuf_add(&want, PT("(U\x02" "ab" "T\x2c\x01\x00\x00"));
    strbuf_add(&want, long_str, 300);
    strbuf_add(&want, PT("X\x05\x00\x00\x00\xc3\xa9t\xc3\xa9" "U\x00" "t."));
    assert_bytes(&out, want.buf, want.len);
    reload_equal(&out, t);
    free(long_str);
    strbuf_release(&want);
    strbuf_release(&out);
    value_arena_free(&a);
}

/* test_tuples - nested tuples, the empty tuple, a shared tuple */
static void test_tuples(void **state)
{
    struct value_arena *a = value_arena_new();
    struct value *root = value_new_tuple(a, 0);
    struct value *inner = value_new_tuple(a, 0);
    struct value *one = value_new_tuple(a, 0);
    struct value *empty = value_new_tuple(a, 0);
    struct strbuf out = STRBUF_INIT;
    static const char want[] = "((K\x01(K\x02tq\x01t)h\x01)t.";

    (void)state;
    value_seq_append(a, one, value_new_int(a, 2));
    value_seq_append(a, inner, value_new_int(a, 1));
    value_seq_append(a, inner, one);
    value_seq_append(a, root, inner);
    value_seq_append(a, root, empty);
    value_seq_append(a, root, one);     /* (2,) shared: memoized */
    value_seq_append(a, root, empty);   /* () shared: never memoized */
    write_tree(&out, root, NULL);
    assert_bytes(&out, want, sizeof(want) - 1);
    reload_equal(&out, root);
    checker_add("-", &out);
    checker_run();
    strbuf_release(&out);
    value_arena_free(&a);
}

/* test_shared_list - one list under two keys: BINPUT then BINGET */
static void test_shared_list(void **state)
{
    struct value_arena *a = value_arena_new();
    struct value *d = value_new_dict(a, 0);
    struct value *l = value_new_list(a, 0);
    struct value_arena *b = NULL;
    struct value *back = NULL;
    struct strbuf out = STRBUF_INIT;
    static const char want[] = "}q\x01(U\x01" "a]q\x02(K\x01K\x02" "eU\x01" "bh\x02u.";

    (void)state;
    value_seq_append(a, l, value_new_int(a, 1));
    value_seq_append(a, l, value_new_int(a, 2));
    value_dict_set(a, d, bytes_node(a, "a"), l);
    value_dict_set(a, d, bytes_node(a, "b"), l);
    write_tree(&out, d, NULL);
    assert_bytes(&out, want, sizeof(want) - 1);
    /* the sharing survives the round trip */
    b = value_arena_new();
    back = load_mem(b, out.buf, out.len, 1, NULL);
    assert_ptr_equal(back->u.dict.items[0].val, back->u.dict.items[1].val);
    assert_int_equal(back->u.dict.items[0].val->refs, 2);
    value_arena_free(&b);
    strbuf_release(&out);
    value_arena_free(&a);
}

/* bounce - a _BounceInfo instance with state {'x': n} */
static struct value *bounce(struct value_arena *a, int n)
{
    struct value *st = value_new_dict(a, 0);

    value_dict_set(a, st, bytes_node(a, "x"), value_new_int(a, n));
    return value_new_instance(a, "Mailman.Bouncer._BounceInfo", st);
}

/* test_instances - two instances: GLOBAL memoized once, then BINGET */
static void test_instances(void **state)
{
    struct value_arena *a = value_arena_new();
    struct value *l = value_new_list(a, 0);
    struct value *bad = NULL;
    struct strbuf out = STRBUF_INIT;
    const char *err = NULL;
    static const char want[] =
        "]q\x01((cMailman.Bouncer\n_BounceInfo\nq\x02o}q\x03U\x01xK\x01sb"
        "(h\x02o}q\x04U\x01xK\x02sbe.";

    (void)state;
    value_seq_append(a, l, bounce(a, 1));
    value_seq_append(a, l, bounce(a, 2));
    write_tree(&out, l, NULL);
    assert_bytes(&out, want, sizeof(want) - 1);
    reload_equal(&out, l);
    checker_add("-", &out);
    checker_run();
    /* a class name without a module is refused, out is left as it was */
    bad = value_new_instance(a, "NoModule", NULL);
    strbuf_reset(&out);
    strbuf_adds(&out, "keep");
    assert_int_equal(pickle_write(&out, bad, &err), -1);
    assert_non_null(strstr(err, "module.Name"));
    assert_int_equal(out.len, 4);
    strbuf_release(&out);
    value_arena_free(&a);
}

/* count_ops - how often opcode code occurs in the pickle */
static size_t count_ops(const struct strbuf *sb, unsigned char code)
{
    struct pickleops_token tok;
    const char *err = NULL;
    size_t pos = 0;
    size_t n = 0;

    while (pos < sb->len) {
        if (pickleops_next(sb->buf, sb->len, &pos, &tok, &err) < 0) {
            fail_msg("%s", err);
        }
        if (tok.op->code == code) {
            n++;
        }
    }
    return n;
}

/* check_dict_batches - a dict of n int items: marks, SETITEMS, SETITEM */
static void check_dict_batches(size_t n, size_t marks, size_t setitems, size_t setitem)
{
    struct value_arena *a = value_arena_new();
    struct value *d = value_new_dict(a, n);
    struct strbuf out = STRBUF_INIT;
    size_t i;

    for (i = 0; i < n; i++) {
        value_dict_set(a, d, value_new_int(a, (int64_t)i), value_new_int(a, (int64_t)i * 7));
    }
    write_tree(&out, d, NULL);
    assert_int_equal(count_ops(&out, PICKLEOP_MARK), marks);
    assert_int_equal(count_ops(&out, PICKLEOP_SETITEMS), setitems);
    assert_int_equal(count_ops(&out, PICKLEOP_SETITEM), setitem);
    reload_equal(&out, d);
    strbuf_release(&out);
    value_arena_free(&a);
}

/* check_list_batches - a list of n items: marks, APPENDS, APPEND */
static void check_list_batches(size_t n, size_t marks, size_t appends, size_t append)
{
    struct value_arena *a = value_arena_new();
    struct value *l = value_new_list(a, n);
    struct strbuf out = STRBUF_INIT;
    size_t i;

    for (i = 0; i < n; i++) {
        value_seq_append(a, l, value_new_int(a, (int64_t)i));
    }
    write_tree(&out, l, NULL);
    assert_int_equal(count_ops(&out, PICKLEOP_MARK), marks);
    assert_int_equal(count_ops(&out, PICKLEOP_APPENDS), appends);
    assert_int_equal(count_ops(&out, PICKLEOP_APPEND), append);
    reload_equal(&out, l);
    strbuf_release(&out);
    value_arena_free(&a);
}

/* test_batches - cPickle 2.7: dicts by batch_dict_exact (a trailing batch,
 * empty at multiples of 1000; one item: SETITEM), lists by batch_list (a
 * lone last item: APPEND) */
static void test_batches(void **state)
{
    (void)state;
    check_dict_batches(0, 0, 0, 0);
    check_dict_batches(1, 0, 0, 1);
    check_dict_batches(2, 1, 1, 0);
    check_dict_batches(999, 1, 1, 0);
    check_dict_batches(1000, 2, 2, 0);
    check_dict_batches(1001, 2, 2, 0);
    check_dict_batches(2500, 3, 3, 0);
    check_list_batches(0, 0, 0, 0);
    check_list_batches(1, 0, 0, 1);
    check_list_batches(2, 1, 1, 0);
    check_list_batches(1000, 1, 1, 0);
    check_list_batches(1001, 1, 1, 1);
    check_list_batches(2002, 3, 3, 0);
    check_list_batches(2000, 2, 2, 0);
    check_dict_batches(2000, 3, 3, 0);
    check_list_batches(2001, 2, 2, 1);
}

/* test_memo_capture - keep_memo: memo fields, long flags, shared strings */
static void test_memo_capture(void **state)
{
    /* the shape of a Mailman file: a memoized key used twice (BINGET) */
    static const char src[] =
        "}q\x01(U\x03keyq\x02(U\x04nameq\x03K\x01tq\x04U\x05otherq\x05}q\x06h\x02"
        "L7L\nsu.";
    struct value_arena *a = value_arena_new();
    struct value *root = NULL;
    struct value *k1 = NULL;
    struct value *k2 = NULL;
    struct value *inner = NULL;
    struct pyload_info info;
    struct strbuf out = STRBUF_INIT;

    (void)state;
    root = load_mem(a, PT(src), 1, &info);
    assert_true(info.memo_kept);
    assert_int_equal(root->memo, 2);
    k1 = root->u.dict.items[0].key;
    inner = root->u.dict.items[1].val;
    k2 = inner->u.dict.items[0].key;
    assert_ptr_equal(k1, k2);           /* BINGET: one node, shared */
    assert_int_equal(k1->refs, 2);
    assert_int_equal(k1->memo, 3);
    assert_int_equal(root->u.dict.items[0].val->memo, 5);   /* the tuple */
    assert_int_equal(inner->memo, 7);
    assert_int_equal(inner->u.dict.items[0].val->type, VALUE_INT);
    assert_true(inner->u.dict.items[0].val->flags & VALUE_FLAG_PYLONG);
    write_tree(&out, root, NULL);
    assert_bytes(&out, src, sizeof(src) - 1);
    /* without keep_memo: no memo, no flags, strings not shared */
    value_arena_free(&a);
    a = value_arena_new();
    root = load_mem(a, PT(src), 0, &info);
    assert_false(info.memo_kept);
    assert_int_equal(root->memo, 0);
    assert_true(root->u.dict.items[0].key != root->u.dict.items[1].val->u.dict.items[0].key);
    strbuf_release(&out);
    value_arena_free(&a);
}

/* test_memo_protocols - protocol 0 and 2 sources: memo from PUT text, LONG1 */
static void test_memo_protocols(void **state)
{
    static const char p0[] = "(dp0\nS'ab'\np1\n(lp2\ng1\naI5\naL9L\nas.";
    static const char p2[] = "\x80\x02}q\x00U\x02" "ab" "q\x01\x8a\x01\x05s.";
    struct value_arena *a = value_arena_new();
    struct value *root = NULL;
    struct value *l = NULL;
    struct pyload_info info;
    struct strbuf out = STRBUF_INIT;

    (void)state;
    root = load_mem(a, PT(p0), 1, &info);
    assert_true(info.memo_kept);
    assert_int_equal(root->memo, 1);    /* PUT 0 */
    l = root->u.dict.items[0].val;
    assert_ptr_equal(l->u.seq.items[0], root->u.dict.items[0].key);
    assert_false(l->u.seq.items[1]->flags & VALUE_FLAG_PYLONG);
    assert_true(l->u.seq.items[2]->flags & VALUE_FLAG_PYLONG);
    write_tree(&out, root, NULL);
    /* numbered from 0 like the source */
    assert_bytes(&out, PT("}q\x00U\x02" "abq\x01]q\x02(h\x01K\x05L9L\nes."));
    reload_equal(&out, root);
    value_arena_free(&a);
    a = value_arena_new();
    root = load_mem(a, PT(p2), 1, &info);
    assert_true(info.memo_kept);
    assert_true(root->u.dict.items[0].val->flags & VALUE_FLAG_PYLONG);
    write_tree(&out, root, NULL);
    assert_bytes(&out, PT("}q\x00U\x02" "abq\x01L5L\ns."));
    strbuf_release(&out);
    value_arena_free(&a);
}

/* test_memo_fallback - opcodes the shadow cannot follow: no memo, same values */
static void test_memo_fallback(void **state)
{
    /* the state dict BUILD copied into __dict__ is also referred to later */
    static const char src[] =
        "]q\x00((cMailman.Bouncer\n_BounceInfo\nq\x01o}q\x02U\x02" "abK\x01sbh\x02" "e.";
    struct value_arena *a = value_arena_new();
    struct value_arena *b = value_arena_new();
    struct value *root = NULL;
    struct value *plain = NULL;
    struct pyload_info info;
    struct strbuf out = STRBUF_INIT;

    (void)state;
    root = load_mem(a, PT(src), 1, &info);
    assert_false(info.memo_kept);
    assert_int_equal(root->memo, 0);
    plain = load_mem(b, PT(src), 0, NULL);
    assert_true(value_equal(root, plain));
    write_tree(&out, root, NULL);
    reload_equal(&out, root);
    strbuf_release(&out);
    value_arena_free(&a);
    value_arena_free(&b);
}

/* test_renumber - an edited tree: indices renumbered, consistent */
static void test_renumber(void **state)
{
    static const char src[] =
        "}q\x01(U\x03keyq\x02(U\x04nameq\x03K\x01tq\x04U\x05otherq\x05}q\x06h\x02"
        "L7L\nsu.";
    struct value_arena *a = value_arena_new();
    struct value *root = NULL;
    struct value *fresh = NULL;
    struct pickle_write_info winfo;
    struct strbuf out = STRBUF_INIT;

    (void)state;
    root = load_mem(a, PT(src), 1, NULL);
    /* replace the first value (tuple, memo 5): later indices move down */
    fresh = value_new_int(a, 3);
    value_dict_set(a, root, root->u.dict.items[0].key, fresh);
    write_tree(&out, root, &winfo);
    assert_true(winfo.had_memo);
    assert_true(winfo.renumbered);
    assert_bytes(&out, PT("}q\x01(U\x03keyq\x02K\x03U\x05otherq\x03}q\x04h\x02L7L\nsu."));
    reload_equal(&out, root);
    strbuf_release(&out);
    value_arena_free(&a);
}

/* same_outcome - data loads the same with and without keep_memo: both fail
 * with the same kind, or both give equal trees; a kept memo re-encodes to a
 * pickle that loads equal. Returns 1 if it loaded. */
static int same_outcome(const void *data, size_t len)
{
    struct value_arena *a = value_arena_new();
    struct value_arena *b = value_arena_new();
    struct pyload_opts opts = { .keep_memo = 1 };
    struct value *r0 = NULL;
    struct value *r1 = NULL;
    struct pyload_info info;
    enum load_error k0 = LOAD_OK;
    enum load_error k1 = LOAD_OK;
    const char *err = NULL;
    int ok0;
    int ok1;

    ok0 = pyload_unpickle_ex(data, len, NULL, NULL, a, &r0, NULL, &k0, &err) == 0;
    ok1 = pyload_unpickle_ex(data, len, NULL, &opts, b, &r1, &info, &k1, &err) == 0;
    assert_int_equal(ok0, ok1);
    assert_int_equal(k0, k1);
    if (ok1) {
        struct strbuf out = STRBUF_INIT;

        assert_true(value_equal(r0, r1));
        if (pickle_write(&out, r1, &err) == 0) {
            reload_equal(&out, r1);
        } else {
            /* only a cycle can stop the writer, and pyload refuses those */
            fail_msg("pickle_write: %s", err);
        }
        strbuf_release(&out);
    }
    value_arena_free(&a);
    value_arena_free(&b);
    return ok1;
}

/* hostile_one - nftw callback: every hostile fixture */
static size_t hostile_files;
static int hostile_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    struct strbuf in = STRBUF_INIT;

    (void)st;
    (void)ftw;
    if (type != FTW_F || strstr(path, ".pck") == NULL) {
        return 0;
    }
    read_all(path, &in);
    same_outcome(in.buf != NULL ? in.buf : "", in.len);
    strbuf_release(&in);
    hostile_files++;
    return 0;
}

/* test_memo_hostile - keep_memo changes no outcome on hostile fixtures and
 * on mutated corpus pickles (a fixed pseudo-random sequence) */
static void test_memo_hostile(void **state)
{
    static const char *const files[] = {
        "/mm21-sample/lists/es/request.pck",
        "/mm21-sample/lists/es/pending.pck",
        "/mm21-sample/lists/vacia/config.pck",
        "/mm2110-sample/before/lists/cs-konference/config.pck",
    };
    struct strbuf in = STRBUF_INIT;
    struct strbuf m = STRBUF_INIT;
    uint64_t rnd = 0x9e3779b97f4a7c15ULL;
    size_t loaded = 0;
    size_t f;
    int k;

    (void)state;
    hostile_files = 0;
    assert_int_equal(nftw(MMFIX_FIXTURES_DIR "/hostile", hostile_one, 16, FTW_PHYS), 0);
    assert_true(hostile_files >= 20);
    for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
        strbuf_reset(&m);
        strbuf_addf(&m, "%s%s", MMFIX_CORPUS_DIR, files[f]);
        read_all(m.buf, &in);
        for (k = 0; k < 150; k++) {
            size_t pos;
            int flips = 1 + k % 3;
            struct strbuf mut = STRBUF_INIT;

            strbuf_add(&mut, in.buf, in.len);
            while (flips-- > 0) {
                rnd ^= rnd << 13;
                rnd ^= rnd >> 7;
                rnd ^= rnd << 17;
                pos = (size_t)(rnd % mut.len);
                switch ((rnd >> 32) % 4) {
                case 0:   /* an opcode-ish byte */
                    mut.buf[pos] = "()th2q0a1seu]}"[(rnd >> 40) % 14];
                    break;
                case 1:
                    mut.buf[pos] = (char)(rnd >> 48);
                    break;
                case 2:   /* a memo index */
                    mut.buf[pos] = (char)((rnd >> 40) % 8);
                    break;
                default:  /* truncate */
                    mut.len = pos + 1;
                    mut.buf[mut.len] = '\0';
                    break;
                }
            }
            loaded += (size_t)same_outcome(mut.buf, mut.len);
            strbuf_release(&mut);
        }
    }
    print_message("mutated pickles that still loaded: %zu of %zu\n", loaded,
                  sizeof(files) / sizeof(files[0]) * 150);
    strbuf_release(&in);
    strbuf_release(&m);
}

/* teardown - stop the interpreter, free the lists, remove temporaries */
static int teardown(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < n_pck; i++) {
        free(pck_files[i]);
    }
    for (i = 0; i < n_db; i++) {
        free(db_files[i]);
    }
    strbuf_release(&checker_cmd);
    if (tmpdir[0] != '\0') {
        nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    }
    pyload_deinit();
    return 0;
}

/* a shared node is written once and fetched again (BINGET), a node met once is not
 * memoized for nothing, and a cycle is refused at the root and below it */
static void test_sharing_and_cycles(void **state)
{
    struct value_arena *a = value_arena_new();
    struct value *root = value_new_list(a, 4);
    struct value *s = value_new_bytes(a, "shared", 6);
    struct value *inner = value_new_list(a, 2);
    struct strbuf out = STRBUF_INIT;
    const char *err = NULL;
    size_t n = 0;
    size_t i;

    (void)state;
    value_seq_append(a, root, s);
    value_seq_append(a, root, s);
    value_seq_append(a, root, value_new_bytes(a, "once", 4));
    assert_int_equal(pickle_write(&out, root, &err), 0);
    for (i = 0; i + 6 <= out.len; i++) {
        n += memcmp(out.buf + i, "shared", 6) == 0;
    }
    assert_int_equal(n, 1);                          /* written once, fetched again */
    assert_non_null(memchr(out.buf, 'h', out.len));  /* BINGET */
    reload_equal(&out, root);
    strbuf_release(&out);

    value_seq_append(a, root, inner);
    value_seq_append(a, inner, root);                /* root inside itself */
    assert_int_equal(pickle_write(&out, root, &err), -1);
    assert_non_null(strstr(err, "cycle"));
    strbuf_release(&out);

    value_seq_append(a, inner, inner);               /* and a cycle below the root */
    assert_int_equal(pickle_write(&out, inner, &err), -1);
    assert_non_null(strstr(err, "cycle"));
    strbuf_release(&out);
    value_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sharing_and_cycles),
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_tuples),
        cmocka_unit_test(test_shared_list),
        cmocka_unit_test(test_instances),
        cmocka_unit_test(test_batches),
        cmocka_unit_test(test_memo_capture),
        cmocka_unit_test(test_memo_protocols),
        cmocka_unit_test(test_memo_fallback),
        cmocka_unit_test(test_renumber),
        cmocka_unit_test(test_corpus_pickles),
        cmocka_unit_test(test_corpus_db),
        cmocka_unit_test(test_memo_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
