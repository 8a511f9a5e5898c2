/*
 * test_pickleplay - the opcode check and the replay, in pure C: nothing
 * here calls pyload, so no Python interpreter is started. Pickles
 * are byte strings written out here, opcode by opcode, plus the fixture
 * installations' real config.pck files and the hostile fixtures.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mmfix/fileread.h"
#include "mmfix/pickleplay.h"
#include "mmfix/strbuf.h"
#include "mmfix/xalloc.h"
#include "test_config.h"

#define P(s) (s), sizeof(s) - 1

struct check_case {
    const char *name;
    const char *data;
    size_t len;
    int want;                 /* 0 may unpickle, 1 refused, -1 does not lex */
    enum load_error want_kind;
    const char *want_text;    /* in the error, or NULL */
    int want_protocol;        /* when want == 0 */
};

static const struct check_case check_cases[] = {
    { "protocol 0 dict", P("(dp0\nS'a'\np1\nI1\ns."), 0, LOAD_OK, NULL, 0 },
    { "protocol 1 dict", P("}q\x00U\x01" "aq\x01K\x01s."), 0, LOAD_OK, NULL, 1 },
    { "protocol 2 bool", P("\x80\x02\x88."), 0, LOAD_OK, NULL, 2 },
    { "allowed global", P("(cMailman.Bouncer\n_BounceInfo\nq\x00o}b."), 0, LOAD_OK, NULL, 1 },
    { "allowed INST", P("(iMailman.UserDesc\nUserDesc\np0\n(dp1\nb."), 0, LOAD_OK, NULL, 0 },
    { "os.system", P("cos\nsystem\n(S'id'\ntR."), 1, LOAD_REFUSED,
      "refused: global os.system is not allowed", 0 },
    { "INST of os.system", P("(S'id'\nios\nsystem\n."), 1, LOAD_REFUSED,
      "global os.system is not allowed", 0 },
    { "REDUCE on an allowed class", P("cMailman.Bouncer\n_BounceInfo\n)R."), 1, LOAD_REFUSED,
      "opcode REDUCE at offset 30", 0 },
    { "NEWOBJ", P("\x80\x02" "cMailman.Bouncer\n_BounceInfo\n)\x81."), 1, LOAD_REFUSED,
      "opcode NEWOBJ", 0 },
    { "PERSID", P("P1\n."), 1, LOAD_REFUSED, "persistent id opcode PERSID", 0 },
    { "BINPERSID", P("K\x01Q."), 1, LOAD_REFUSED, "persistent id opcode BINPERSID", 0 },
    { "EXT1", P("\x80\x02\x82\x01."), 1, LOAD_REFUSED, "extension code opcode EXT1", 0 },
    { "protocol 3", P("\x80\x03}."), 1, LOAD_CORRUPT, "pickle protocol 3", 0 },
    { "protocol 4 opcode", P("\x80\x02\x8c\x01" "a."), 1, LOAD_CORRUPT,
      "SHORT_BINUNICODE (protocol 4)", 0 },
    { "STACK_GLOBAL", P("\x80\x02\x93."), 1, LOAD_REFUSED, "opcode STACK_GLOBAL", 0 },
    { "memo index far out", P("N\x72\x00\x00\x00\x10."), 1, LOAD_LIMIT,
      "memo index 268435456", 0 },
    { "truncated", P("(dp0\nS'a"), -1, LOAD_OK, NULL, 0 },
    { "unknown opcode", P("\xff."), -1, LOAD_OK, NULL, 0 },
    { "no STOP", P("N"), -1, LOAD_OK, NULL, 0 },
};

/* same_as_apart - pickleplay_check_replay(data, len, max_nodes) gives what pickleplay_check
 * and pickleplay_replay give one after the other: the verdict, error, kind and summary of
 * the one, the graph of the other (when the check lets the pickle by and it replays) */
static void same_as_apart(const char *name, const void *data, size_t len, size_t max_nodes)
{
    struct pickleops_info i1;
    struct pickleops_info i2;
    struct pickleplay_check c1;
    struct pickleplay_check c2;
    struct pickleplay p1;
    struct pickleplay p2;
    const char *e1 = NULL;
    const char *e2 = NULL;
    char *t1 = NULL;
    int replayed = -1;
    int r1 = pickleplay_check(data, len, &i1, &c1, &e1);
    int r2;
    int rp;
    size_t k;

    t1 = e1 != NULL ? xstrdup(e1) : NULL;
    rp = r1 == 0 ? pickleplay_replay(data, len, max_nodes, &p1) : -1;
    r2 = pickleplay_check_replay(data, len, max_nodes, &i2, &c2, &p2, &replayed, &e2);
    if (r1 != r2) {
        fail_msg("%s: check %d, fused %d", name, r1, r2);
    }
    if (r1 != 0) {
        assert_string_equal(t1, e2);
    }
    if (r1 == 1) {
        assert_int_equal(c1.kind, c2.kind);
    }
    assert_int_equal(i1.protocol, i2.protocol);
    assert_int_equal(i1.opcodes, i2.opcodes);
    assert_int_equal(i1.stop_offset, i2.stop_offset);
    assert_int_equal(c1.max_memo, c2.max_memo);
    if (replayed != (rp == 0 && p1.root != PICKLEPLAY_NIL)) {
        fail_msg("%s: replayed %d apart, %d fused", name, rp == 0, replayed);
    }
    if (replayed) {
        assert_int_equal(p1.root, p2.root);
        assert_int_equal(p1.n_nodes, p2.n_nodes);
        assert_int_equal(p1.n_links, p2.n_links);
        for (k = 0; k < p1.n_nodes; k++) {
            assert_int_equal(p1.nodes[k].kind, p2.nodes[k].kind);
            assert_int_equal(p1.nodes[k].memo, p2.nodes[k].memo);
            assert_int_equal(p1.nodes[k].head, p2.nodes[k].head);
            assert_int_equal(p1.nodes[k].nkids, p2.nodes[k].nkids);
            assert_int_equal(p1.nodes[k].state, p2.nodes[k].state);
        }
        assert_memory_equal(p1.links, p2.links, p1.n_links * sizeof(*p1.links));
    } else {
        assert_null(p2.nodes);
        assert_int_equal(p2.n_nodes, 0);
    }
    if (r1 == 0) {
        pickleplay_free(&p1);
    }
    pickleplay_free(&p2);
    free(t1);
}

/* test_pickleplay_check - the table above */
static void test_pickleplay_check(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
        const struct check_case *c = &check_cases[i];
        struct pickleops_info info;
        struct pickleplay_check ck;
        const char *err = NULL;
        int got = pickleplay_check(c->data, c->len, &info, &ck, &err);

        if (got != c->want) {
            fail_msg("%s: got %d, want %d (%s)", c->name, got, c->want, err ? err : "");
        }
        if (got == 1 && ck.kind != c->want_kind) {
            fail_msg("%s: got kind %s, want %s", c->name, load_error_name(ck.kind),
                     load_error_name(c->want_kind));
        }
        if (c->want_text != NULL && (err == NULL || strstr(err, c->want_text) == NULL)) {
            fail_msg("%s: got '%s', want it to hold '%s'", c->name, err ? err : "(none)",
                     c->want_text);
        }
        if (got == 0 && info.protocol != c->want_protocol) {
            fail_msg("%s: got protocol %d, want %d", c->name, info.protocol,
                     c->want_protocol);
        }
        same_as_apart(c->name, c->data, c->len, 1000000);
        same_as_apart(c->name, c->data, c->len, 2);     /* a replay over its limit */
    }
}

/* kids - the children of node id, in order, into out (at most max); count */
static size_t kids(struct pickleplay *pp, uint32_t id, uint32_t *out, size_t max)
{
    size_t n = 0;
    uint32_t kid;

    while (pickleplay_next_kid(pp, id, &kid) == 0) {
        assert_true(n < max);
        out[n++] = kid;
    }
    return n;
}

/* test_pickleplay_replay_memo - protocol 0 with PUT/GET: a dict whose
 * fourth child is the node GET fetched; memo indices on the nodes */
static void test_pickleplay_replay_memo(void **state)
{
    static const char data[] = "(dp0\nS'a'\np1\nI1\nsS'b'\np2\ng1\ns.";
    struct pickleplay pp;
    uint32_t k[8];
    struct pickleplay_node *root = NULL;

    (void)state;
    assert_int_equal(pickleplay_replay(data, sizeof(data) - 1, 100, &pp), 0);
    assert_int_not_equal(pp.root, PICKLEPLAY_NIL);
    root = &pp.nodes[pp.root];
    assert_int_equal(root->kind, PICKLEPLAY_DICT);
    assert_int_equal(root->memo, 1);          /* p0 */
    assert_int_equal(root->nkids, 4);
    assert_int_equal(kids(&pp, pp.root, k, 8), 4);
    assert_int_equal(pp.nodes[k[0]].kind, PICKLEPLAY_BYTES);
    assert_int_equal(pp.nodes[k[0]].memo, 2);  /* p1 */
    assert_int_equal(pp.nodes[k[1]].kind, PICKLEPLAY_INTOP);
    assert_int_equal(pp.nodes[k[1]].memo, 0);
    assert_int_equal(pp.nodes[k[2]].memo, 3);  /* p2 */
    assert_int_equal(k[3], k[0]);              /* g1: the same node */
    assert_int_equal(pickleplay_next_kid(&pp, pp.root, &k[0]), -1);
    pickleplay_free(&pp);
    assert_null(pp.nodes);
}

/* test_pickleplay_replay_kinds - protocol 2 opcodes make the kinds the
 * converter checks Python's types against; LONG1 is a long */
static void test_pickleplay_replay_kinds(void **state)
{
    static const char data[] =
        "\x80\x02}q\x00(U\x01" "aq\x01\x8a\x01\x05U\x01" "bq\x02h\x01U\x01" "c"
        "]q\x03(\x88\x89NG?\xf8\x00\x00\x00\x00\x00\x00X\x01\x00\x00\x00x"
        "K\x01\x85q\x04" "e" "U\x01" "d"
        "(cMailman.Bouncer\n_BounceInfo\nq\x05oq\x06}q\x07" "b"
        "u.";
    static const enum pickleplay_kind want[] = {
        PICKLEPLAY_BOOL, PICKLEPLAY_BOOL, PICKLEPLAY_NONE, PICKLEPLAY_FLOAT,
        PICKLEPLAY_TEXT, PICKLEPLAY_TUPLE,
    };
    struct pickleplay pp;
    uint32_t k[16];
    uint32_t items[16];
    uint32_t one[2];
    size_t i;

    (void)state;
    assert_int_equal(pickleplay_replay(data, sizeof(data) - 1, 100, &pp), 0);
    assert_int_equal(kids(&pp, pp.root, k, 16), 8);
    assert_int_equal(pp.nodes[k[1]].kind, PICKLEPLAY_LONG);
    assert_int_equal(k[3], k[0]);                       /* h\x01 */
    assert_int_equal(pp.nodes[k[5]].kind, PICKLEPLAY_LIST);
    assert_int_equal(pp.nodes[k[5]].memo, 4);
    assert_int_equal(kids(&pp, k[5], items, 16), 6);
    for (i = 0; i < 6; i++) {
        assert_int_equal(pp.nodes[items[i]].kind, want[i]);
    }
    assert_int_equal(kids(&pp, items[5], one, 2), 1);  /* TUPLE1 of K\x01 */
    assert_int_equal(pp.nodes[one[0]].kind, PICKLEPLAY_INT);
    assert_int_equal(pp.nodes[k[7]].kind, PICKLEPLAY_INST);
    assert_int_equal(pp.nodes[k[7]].memo, 7);          /* q\x06 */
    assert_int_not_equal(pp.nodes[k[7]].state, PICKLEPLAY_NIL);
    assert_int_equal(pp.nodes[pp.nodes[k[7]].state].kind, PICKLEPLAY_DICT);
    pickleplay_free(&pp);
}

/* test_pickleplay_replay_fails - what the replay cannot follow fails */
static void test_pickleplay_replay_fails(void **state)
{
    static const struct {
        const char *name;
        const char *data;
        size_t len;
    } bad[] = {
        { "REDUCE", P("cMailman.Bouncer\n_BounceInfo\n)R.") },
        { "SETITEM on an empty stack", P("s.") },
        { "APPEND to a dict", P("}Na.") },
        { "GET of an unset index", P("g5\n.") },
        { "BINGET of an unset index", P("h\x05.") },
        { "PUT on an empty stack", P("p0\n.") },
        { "memo index past the bound", P("Nr\xff\xff\xff\x7f.") },
        { "odd DICT", P("(NNNd.") },
        { "BUILD without an instance", P("}}b.") },
        { "no STOP", P("N") },
        { "protocol 4 opcode", P("\x8c\x01" "a.") },
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct pickleplay pp;
        if (pickleplay_replay(bad[i].data, bad[i].len, 100, &pp) != -1) {
            fail_msg("%s: replayed, want -1", bad[i].name);
        }
        pickleplay_free(&pp);
    }
}

/* test_pickleplay_replay_limit - max_nodes bounds the graph */
static void test_pickleplay_replay_limit(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    struct pickleplay pp;
    size_t i;

    (void)state;
    strbuf_adds(&sb, "](");
    for (i = 0; i < 1000; i++) {
        strbuf_adds(&sb, "N");
    }
    strbuf_adds(&sb, "e.");
    assert_int_equal(pickleplay_replay(sb.buf, sb.len, 10000, &pp), 0);
    assert_int_equal(pp.nodes[pp.root].nkids, 1000);
    pickleplay_free(&pp);
    assert_int_equal(pickleplay_replay(sb.buf, sb.len, 500, &pp), -1);
    pickleplay_free(&pp);
    strbuf_release(&sb);
}

/* each_pck - run fn on every *.pck file of dir (non-recursive); count */
static size_t each_pck(const char *dir, void (*fn)(const char *, const char *, size_t))
{
    DIR *d = opendir(dir);
    struct dirent *de = NULL;
    struct strbuf sb = STRBUF_INIT;
    size_t n = 0;

    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        char *path = NULL;
        const char *err = NULL;

        if (len < 4 || strcmp(de->d_name + len - 4, ".pck") != 0) {
            continue;
        }
        path = xasprintf("%s/%s", dir, de->d_name);
        if (fileread_into(path, 1 << 24, &sb, NULL, &err) != 0) {
            fail_msg("%s", err);
        }
        fn(de->d_name, sb.buf, sb.len);
        free(path);
        n++;
    }
    closedir(d);
    strbuf_release(&sb);
    return n;
}

/* real_config - a Mailman-written pickle (config.pck, request.pck,
 * pending.pck) passes the check and replays to a dict */
static void real_config(const char *name, const char *data, size_t len)
{
    struct pickleops_info info;
    struct pickleplay_check ck;
    struct pickleplay pp;
    const char *err = NULL;

    if (pickleplay_check(data, len, &info, &ck, &err) != 0) {
        fail_msg("%s: check: %s", name, err);
    }
    same_as_apart(name, data, len, 1000000);
    if (pickleplay_replay(data, len, 1000000, &pp) != 0) {
        fail_msg("%s: does not replay", name);
    }
    assert_int_equal(pp.nodes[pp.root].kind, PICKLEPLAY_DICT);
    assert_int_equal(pp.nodes[pp.root].nkids % 2, 0);
    if (strcmp(name, "config.pck") == 0) {
        /* Mailman writes protocol 1; a MailList has 145 attributes */
        assert_int_equal(info.protocol, 1);
        assert_int_equal(pp.nodes[pp.root].nkids, 2 * 145);
    }
    pickleplay_free(&pp);
}

/* test_pickleplay_fixtures - every list of fixtures/mm21 */
static void test_pickleplay_fixtures(void **state)
{
    static const char *const lists[] = { "cs", "de-verein", "el-club", "en-only", "ja-test",
                                         "roster-mess", "zh-old" };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        char *dir = xasprintf(MMFIX_FIXTURES_DIR "/mm21/lists/%s", lists[i]);
        assert_true(each_pck(dir, real_config) >= 1);
        free(dir);
    }
}

/* hostile - the opcode check alone refuses each hostile fixture that would
 * call or import something; the few the interpreter refuses are those
 * whose opcodes are all allowed (their objects are not) */
static void hostile(const char *name, const char *data, size_t len)
{
    /* refused by the unpickler's object checks, not by opcodes */
    static const char *const by_objects[] = {
        "inst_allowed_args.pck", "obj_allowed_args.pck", "build_setstate.pck",
        "build_setstate_planted.pck", "not_dict.pck", "cycle.pck", "cycle_dict.pck",
        "deep_list.pck", "deep_tuple.pck", "deep_mark.pck", "stack_underflow.pck",
        "get_missing.pck", "bad_int.pck", "huge_memo.pck", "huge_put.pck",
        "truncated.pck", "truncated_binstring.pck", "garbage.pck", "empty.pck",
        "negative_binstring.pck",
    };
    struct pickleops_info info;
    struct pickleplay_check ck;
    struct pickleplay pp;
    const char *err = NULL;
    int got = pickleplay_check(data, len, &info, &ck, &err);
    size_t i;

    for (i = 0; i < sizeof(by_objects) / sizeof(by_objects[0]); i++) {
        if (strcmp(name, by_objects[i]) == 0) {
            break;
        }
    }
    if (i == sizeof(by_objects) / sizeof(by_objects[0]) && got != 1) {
        fail_msg("%s: the opcode check let it through (%d)", name, got);
    }
    /* whatever it holds, the replay stays within bounds */
    (void)pickleplay_replay(data, len, 100000, &pp);
    pickleplay_free(&pp);
    same_as_apart(name, data, len, 100000);
}

/* test_pickleplay_hostile - fixtures/hostile */
static void test_pickleplay_hostile(void **state)
{
    (void)state;
    assert_true(each_pck(MMFIX_FIXTURES_DIR "/hostile", hostile) >= 40);
}

/* main - run the tests */
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pickleplay_check),
        cmocka_unit_test(test_pickleplay_replay_memo),
        cmocka_unit_test(test_pickleplay_replay_kinds),
        cmocka_unit_test(test_pickleplay_replay_fails),
        cmocka_unit_test(test_pickleplay_replay_limit),
        cmocka_unit_test(test_pickleplay_fixtures),
        cmocka_unit_test(test_pickleplay_hostile),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
