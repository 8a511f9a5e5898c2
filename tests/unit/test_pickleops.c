/*
 * test_pickleops - the opcode table and lexer: table sanity, hand-made
 * pickles, bounded reads on truncated data, and every corpus pickle's
 * highest protocol against Python's pickletools.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "mmfix/pickleops.h"
#include "mmfix/xalloc.h"
#include "harness.h"
#include "test_config.h"

#define PT(s) (s), sizeof(s) - 1

/* test_table - every byte maps back to its entry; names are unique */
static void test_table(void **state)
{
    size_t n = 0;
    const struct pickleop *t = pickleops_table(&n);
    size_t i;
    size_t j;

    (void)state;
    assert_int_equal(n, 68);  /* pickletools.opcodes for protocols 0-5 */
    for (i = 0; i < n; i++) {
        assert_ptr_equal(pickleops_lookup(t[i].code), &t[i]);
        assert_ptr_equal(pickleops_by_name(t[i].name), &t[i]);
        assert_true(t[i].protocol >= 0 && t[i].protocol <= 5);
        for (j = i + 1; j < n; j++) {
            assert_int_not_equal(t[i].code, t[j].code);
        }
    }
    assert_null(pickleops_lookup('x'));
    assert_null(pickleops_lookup(0xff));
    assert_null(pickleops_by_name("NOPE"));
    assert_int_equal(pickleops_by_name("SHORT_BINSTRING")->code, 'U');
    assert_int_equal(pickleops_by_name("BINSTRING")->arg, PICKLEARG_BYTES4S);
    assert_int_equal(pickleops_by_name("POP_MARK")->protocol, 1);
    assert_int_equal(pickleops_by_name("EMPTY_DICT")->protocol, 1);
    assert_int_equal(pickleops_by_name("NEWTRUE")->protocol, 2);
    assert_int_equal(pickleops_by_name("FRAME")->arg, PICKLEARG_U8);
}

/* test_next - token arguments */
static void test_next(void **state)
{
    static const char p[] = "cMailman.Bouncer\n_BounceInfo\nU\x03" "abcJ\xff\xff\xff\xffI01\n.";
    struct pickleops_token tok;
    const char *err = NULL;
    size_t pos = 0;

    (void)state;
    assert_int_equal(pickleops_next(PT(p), &pos, &tok, &err), 0);
    assert_string_equal(tok.op->name, "GLOBAL");
    assert_int_equal(tok.arg_len, strlen("Mailman.Bouncer\n_BounceInfo"));
    assert_memory_equal(tok.arg, "Mailman.Bouncer\n_BounceInfo", tok.arg_len);
    assert_int_equal(pickleops_next(PT(p), &pos, &tok, &err), 0);
    assert_string_equal(tok.op->name, "SHORT_BINSTRING");
    assert_int_equal(tok.arg_len, 3);
    assert_memory_equal(tok.arg, "abc", 3);
    assert_int_equal(pickleops_next(PT(p), &pos, &tok, &err), 0);
    assert_string_equal(tok.op->name, "BININT");
    assert_int_equal((int32_t)(uint32_t)tok.num, -1);
    assert_int_equal(pickleops_next(PT(p), &pos, &tok, &err), 0);
    assert_string_equal(tok.op->name, "INT");
    assert_memory_equal(tok.arg, "01", 2);
    assert_int_equal(pickleops_next(PT(p), &pos, &tok, &err), 0);
    assert_string_equal(tok.op->name, "STOP");
    assert_int_equal(pos, sizeof(p) - 1);
    assert_int_equal(pickleops_next(PT(p), &pos, &tok, &err), -1);
    assert_non_null(strstr(err, "truncated"));
}

/* test_scan - protocol and counts of small pickles */
static void test_scan(void **state)
{
    struct pickleops_info info;
    const char *err = NULL;

    (void)state;
    /* protocol 0 dict */
    assert_int_equal(pickleops_scan(PT("(dp0\nS'a'\np1\nI1\ns."), &info, &err), 0);
    assert_int_equal(info.protocol, 0);
    assert_int_equal(info.opcodes, 8);
    assert_int_equal(info.stop_offset, 17);
    /* protocol 1: EMPTY_DICT, BINPUT */
    assert_int_equal(pickleops_scan(PT("}q\x00U\x01" "aK\x01s."), &info, &err), 0);
    assert_int_equal(info.protocol, 1);
    /* protocol 2 header, trailing bytes after STOP ignored */
    assert_int_equal(pickleops_scan(PT("\x80\x02}q\x00.garbage"), &info, &err), 0);
    assert_int_equal(info.protocol, 2);
    assert_int_equal(info.stop_offset, 5);
    /* PROTO 0 still counts as a protocol 2 opcode (as pickletools says) */
    assert_int_equal(pickleops_scan(PT("\x80\x00N."), &info, &err), 0);
    assert_int_equal(info.protocol, 2);
    /* PROTO 4 counts 4, and newer opcodes are noted */
    assert_int_equal(pickleops_scan(PT("\x80\x04\x95\x02\x00\x00\x00\x00\x00\x00\x00N."),
                                    &info, &err), 0);
    assert_int_equal(info.protocol, 4);
    assert_non_null(info.first_newer);
    assert_string_equal(info.first_newer->name, "PROTO");
    /* counts */
    assert_int_equal(pickleops_scan(PT("cos\nsystem\n(S'x'\ntR(cMailman.Bouncer\n_BounceInfo\n"
                                       "o}bios\nsystem\n."), &info, &err), 0);
    assert_int_equal(info.globals, 2);
    assert_int_equal(info.reduces, 1);
    assert_int_equal(info.insts, 1);
    assert_int_equal(info.objs, 1);
    assert_int_equal(info.builds, 1);
    assert_null(info.first_newer);
    assert_int_equal(pickleops_scan(PT("\x80\x02\x82\x01\x83\x01\x00\x84\x01\x00\x00\x00"
                                       "PX\nQ\x81."), &info, &err), 0);
    assert_int_equal(info.exts, 3);
    assert_int_equal(info.persids, 2);
    assert_int_equal(info.newobjs, 1);
}

/* test_errors - truncation and garbage never read past the end */
static void test_errors(void **state)
{
    static const char good[] = "(dp0\nS'real_name'\np1\nS'Test'\np2\nsT\x03\x00\x00\x00" "abcX"
                               "\x02\x00\x00\x00hi\x8a\x02\x01\x02G\x00\x00\x00\x00\x00\x00"
                               "\x00\x00.";
    struct pickleops_info info;
    const char *err = NULL;
    size_t i;

    (void)state;
    assert_int_equal(pickleops_scan(PT(good), &info, &err), 0);
    for (i = 0; i < sizeof(good) - 1; i++) {
        /* a heap copy of exactly i bytes: ASan catches any overread */
        char *cut = xmemdup(good, i);
        assert_int_equal(pickleops_scan(cut, i, &info, &err), -1);
        assert_non_null(err);
        free(cut);
    }
    assert_int_equal(pickleops_scan(PT("x"), &info, &err), -1);
    assert_non_null(strstr(err, "unknown pickle opcode 0x78"));
    assert_int_equal(pickleops_scan(PT("T\xff\xff\xff\xff."), &info, &err), -1);
    assert_non_null(strstr(err, "negative"));
    assert_int_equal(pickleops_scan(PT("\x8b\x00\x00\x00\x80."), &info, &err), -1);
    assert_int_equal(pickleops_scan(PT("\x8e\xff\xff\xff\xff\xff\xff\xff\xff."), &info, &err), -1);
    assert_int_equal(pickleops_scan(PT("\x80\x06N."), &info, &err), -1);
    assert_non_null(strstr(err, "unsupported pickle protocol: 6"));
    assert_int_equal(pickleops_scan(PT("N"), &info, &err), -1);
    assert_int_equal(pickleops_scan("", 0, &info, &err), -1);
    assert_int_equal(pickleops_scan(PT("cos\nsystem"), &info, &err), -1);
}

/* test_corpus - pickletools' highest protocol for every corpus pickle */
static void test_corpus(void **state)
{
    /* pickletools' STRING reader decodes as ASCII: Python 2 pickles of
     * non-ASCII str (config-greek.pck) need a byte-level reader */
    const char *py = "import os, sys, pickletools\n"
                     "def nl(f):\n"
                     "    d = f.readline()\n"
                     "    if not d.endswith(b'\\n'): raise ValueError('no newline')\n"
                     "    return d[:-1]\n"
                     "pickletools.stringnl.reader = nl\n"
                     "for top, dirs, files in sorted(os.walk(sys.argv[1])):\n"
                     "    dirs.sort()\n"
                     "    for f in sorted(files):\n"
                     "        if f.endswith(('.pck', '.pck.last')):\n"
                     "            p = os.path.join(top, f)\n"
                     "            m = max(op.proto for op, arg, pos in pickletools.genops(open(p, 'rb')))\n"
                     "            print(m, p)\n";
    char cmd[4096];
    char line[4096];
    FILE *pipe = NULL;
    size_t files = 0;
    FILE *script = NULL;
    char tmpl[] = "/tmp/mmfix-test-pickleops-XXXXXX";
    int fd;

    (void)state;
    fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    script = fdopen(fd, "w");
    assert_non_null(script);
    fputs(py, script);
    fclose(script);
    snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s '%s'", tmpl, MMFIX_CORPUS_DIR);
    pipe = popen(cmd, "r");
    assert_non_null(pipe);
    while (fgets(line, sizeof(line), pipe) != NULL) {
        int proto = atoi(line);
        char *path = strchr(line, ' ');
        char *data = NULL;
        size_t len = 0;
        struct pickleops_info info;
        const char *err = NULL;

        assert_non_null(path);
        path++;
        path[strcspn(path, "\n")] = '\0';
        data = harness_read_file(path, &len);
        assert_non_null(data);
        if (pickleops_scan(data, len, &info, &err) < 0) {
            fail_msg("%s: %s", path, err);
        }
        if (info.protocol != proto) {
            fail_msg("%s: protocol %d, pickletools says %d", path, info.protocol, proto);
        }
        assert_null(info.first_newer);
        free(data);
        files++;
    }
    assert_int_equal(pclose(pipe), 0);
    unlink(tmpl);
    assert_true(files >= 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_next),
        cmocka_unit_test(test_scan),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
