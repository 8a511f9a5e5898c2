/*
 * test_charset - language tables, name normalisation, and lossless
 * conversion on real corpus strings (Greek, Czech, Japanese) and on bytes
 * that do not decode or do not round-trip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mmfix/charset.h"
#include "mmfix/pyload.h"
#include "mmfix/strbuf.h"
#include "mmfix/value.h"
#include "mmfix/xalloc.h"
#include "test_config.h"

#define B(s) (const unsigned char *)(s), sizeof(s) - 1

/* read_all - a whole file (NUL-terminated), fails the test if unreadable */
static char *read_all(const char *path, size_t *len_r)
{
    FILE *fp = fopen(path, "rb");
    struct strbuf sb = STRBUF_INIT;
    char buf[8192];
    size_t n;

    if (fp == NULL) {
        fail_msg("cannot open %s", path);
    }
    while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
        strbuf_add(&sb, buf, n);
    }
    fclose(fp);
    return strbuf_detach(&sb, len_r);
}

/* dumpdb_str - the bytes of `    'attr': '...',` in a bin/dumpdb listing,
 * with Python 2 str escapes undone */
static void dumpdb_str(const char *file, const char *attr, struct strbuf *out)
{
    char *path = xasprintf("%s/mm21-sample-expected/dumpdb/%s", MMFIX_CORPUS_DIR, file);
    char *text = read_all(path, NULL);
    char *key = xasprintf("\n    '%s': '", attr);
    const char *p = strstr(text, key);

    if (p == NULL) {
        fail_msg("%s not in %s", attr, path);
    }
    for (p += strlen(key); *p != '\0' && *p != '\''; p++) {
        if (*p != '\\') {
            strbuf_addc(out, *p);
            continue;
        }
        p++;
        switch (*p) {
        case 'n': strbuf_addc(out, '\n'); break;
        case 't': strbuf_addc(out, '\t'); break;
        case 'x': {
            char hex[3] = { p[1], p[2], '\0' };
            strbuf_addc(out, (char)strtol(hex, NULL, 16));
            p += 2;
            break;
        }
        default: strbuf_addc(out, *p); break;
        }
    }
    free(key);
    free(text);
    free(path);
}

/* test_tables - both built-in LC_DESCRIPTIONS tables */
static void test_tables(void **state)
{
    size_t n = 0;
    const struct charset_language *t = NULL;
    size_t i;

    (void)state;
    t = charset_table(CHARSET_TABLE_2_1, &n);
    assert_int_equal(n, 19);
    for (i = 1; i < n; i++) {
        assert_true(strcmp(t[i - 1].code, t[i].code) < 0);
    }
    t = charset_table(CHARSET_TABLE_2_1_39, &n);
    assert_int_equal(n, 40);
    for (i = 1; i < n; i++) {
        assert_true(strcmp(t[i - 1].code, t[i].code) < 0);
        assert_true(charset_known(t[i].charset));
    }
    assert_null(charset_table(99, &n));
    assert_int_equal(n, 0);

    assert_string_equal(charset_for_language("big5", CHARSET_TABLE_2_1), "big5");
    assert_string_equal(charset_for_language("gb", CHARSET_TABLE_2_1), "gb2312");
    assert_string_equal(charset_for_language("ru", CHARSET_TABLE_2_1), "koi8-r");
    assert_null(charset_for_language("big5", CHARSET_TABLE_2_1_39));
    assert_null(charset_for_language("gb", CHARSET_TABLE_2_1_39));
    assert_string_equal(charset_for_language("ru", CHARSET_TABLE_2_1_39), "utf-8");
    assert_string_equal(charset_for_language("zh_TW", CHARSET_TABLE_2_1_39), "utf-8");
    assert_string_equal(charset_for_language("el", CHARSET_TABLE_2_1_39), "iso-8859-7");
    assert_string_equal(charset_for_language("ja", CHARSET_TABLE_2_1_39), "euc-jp");
    assert_string_equal(charset_for_language("en", CHARSET_TABLE_2_1), "us-ascii");
    assert_string_equal(charset_for_language("cs", CHARSET_TABLE_2_1_39), "iso-8859-2");
    assert_null(charset_for_language("xx", CHARSET_TABLE_2_1_39));
    assert_null(charset_for_language(NULL, CHARSET_TABLE_2_1_39));
    assert_true(charset_language_in_any("gb"));
    assert_true(charset_language_in_any("vi"));
    assert_false(charset_language_in_any("site"));
}

/* test_normalize - canonical names */
static void test_normalize(void **state)
{
    static const char *const cases[][2] = {
        { "ISO-8859-2", "iso-8859-2" }, { "iso8859-2", "iso-8859-2" },
        { "ISO_8859-15", "iso-8859-15" }, { "iso8859_7", "iso-8859-7" },
        { "latin-1", "iso-8859-1" }, { "Latin1", "iso-8859-1" },
        { "ascii", "us-ascii" }, { "US-ASCII", "us-ascii" }, { "UTF8", "utf-8" },
        { "utf_8", "utf-8" }, { "EUC_JP", "euc-jp" }, { "eucjp", "euc-jp" },
        { "KOI8-R", "koi8-r" }, { "Big5", "big5" }, { "GB2312", "gb2312" },
        { "euc-kr", "euc-kr" }, { "Shift_JIS", "shift_jis" }, { "windows-1252", "cp1252" },
    };
    char buf[CHARSET_NAME_MAX + 1];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *n = charset_normalize(cases[i][0], buf, sizeof(buf));
        assert_non_null(n);
        assert_string_equal(n, cases[i][1]);
        assert_true(charset_known(cases[i][0]));
    }
    assert_null(charset_normalize("", buf, sizeof(buf)));
    assert_null(charset_normalize("iso 8859 1", buf, sizeof(buf)));
    assert_null(charset_normalize("utf-8/../../x", buf, sizeof(buf)));
    assert_null(charset_normalize("a-very-long-charset-name-that-no-one-uses-at-all",
                                  buf, sizeof(buf)));
    assert_false(charset_known("x-no-such-charset"));
    assert_false(charset_known(NULL));
}

/* roundtrip - decode in cs, compare with expect, encode back to the input */
static void roundtrip(const char *cs, const unsigned char *data, size_t len,
                      const char *expect)
{
    struct strbuf u = STRBUF_INIT;
    struct strbuf back = STRBUF_INIT;
    size_t bad = 12345;

    assert_int_equal(charset_decode(cs, data, len, &u, &bad), 0);
    assert_int_equal(bad, 12345);
    if (expect != NULL) {
        assert_string_equal(strbuf_cstr(&u), expect);
    }
    assert_true(charset_utf8_valid((const unsigned char *)u.buf, u.len, NULL));
    assert_int_equal(charset_encode(cs, u.buf, u.len, &back, &bad), 0);
    assert_int_equal(back.len, len);
    assert_memory_equal(back.buf, data, len);
    strbuf_release(&u);
    strbuf_release(&back);
}

/* test_greek - the info of lich-bot's config-greek.pck (protocol 0) */
static void test_greek(void **state)
{
    static const unsigned char greek[] =
        "\xc1\xf5\xf4\xde \xe5\xdf\xed\xe1\xe9 \xec\xe9\xe1 \xeb\xdf\xf3\xf4\xe1.";
    struct value_arena *arena = value_arena_new();
    struct value *root = NULL;
    struct value *info = NULL;
    enum load_error kind = LOAD_OK;
    const char *err = NULL;
    char *path = xasprintf("%s/lich-bot-mailman/src/mailman/testing/config-greek.pck",
                           MMFIX_CORPUS_DIR);

    (void)state;
    if (pyload_unpickle_file(path, NULL, arena, &root, NULL, &kind, &err) != 0) {
        fail_msg("%s: %s", path, err);
    }
    info = value_dict_get_str(arena, root, "info");
    assert_non_null(info);
    assert_int_equal(info->type, VALUE_BYTES);
    assert_int_equal(info->u.str.len, sizeof(greek) - 1);
    assert_memory_equal(info->u.str.data, greek, sizeof(greek) - 1);
    roundtrip("iso-8859-7", info->u.str.data, info->u.str.len,
              "\xce\x91\xcf\x85\xcf\x84\xce\xae \xce\xb5\xce\xaf\xce\xbd\xce\xb1\xce\xb9 "
              "\xce\xbc\xce\xb9\xce\xb1 \xce\xbb\xce\xaf\xcf\x83\xcf\x84\xce\xb1.");
    roundtrip("ISO8859-7", info->u.str.data, info->u.str.len, NULL);
    free(path);
    value_arena_free(&arena);
}

/* test_corpus_text - Czech (iso-8859-2) and Japanese (euc-jp) list info */
static void test_corpus_text(void **state)
{
    struct strbuf cs = STRBUF_INIT;
    struct strbuf ja = STRBUF_INIT;
    struct strbuf u = STRBUF_INIT;
    size_t bad = 0;

    (void)state;
    dumpdb_str("cs.config.pck.txt", "info", &cs);
    roundtrip("iso-8859-2", (const unsigned char *)cs.buf, cs.len,
              "Diskusn\xc3\xad konference pro \xc4\x8d" "esk\xc3\xa9 u\xc5\xbeivatele.\n"
              "P\xc5\x99\xc3\xadsp\xc4\x9bvky pi\xc5\xa1te \xc4\x8d" "esky, pros\xc3\xadm. "
              "D\xc4\x9bkujeme!");
    /* the same bytes are not us-ascii, and not utf-8: offset of the first */
    assert_int_equal(charset_decode("us-ascii", (const unsigned char *)cs.buf, cs.len, &u,
                                    &bad), -1);
    assert_int_equal(bad, 7);  /* "Diskusn" + 0xED */
    assert_int_equal(charset_decode("utf-8", (const unsigned char *)cs.buf, cs.len, &u, &bad),
                     -1);
    assert_int_equal(bad, 7);  /* "Diskusn" + 0xED */
    assert_int_equal(u.len, 0);

    dumpdb_str("ja-users.config.pck.txt", "info", &ja);
    roundtrip("euc-jp", (const unsigned char *)ja.buf, ja.len,
              "\xe3\x81\x93\xe3\x81\xae\xe3\x83\xaa\xe3\x82\xb9\xe3\x83\x88\xe3\x81\xaf"
              "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xa7\xe8\xad\xb0\xe8\xab\x96"
              "\xe3\x81\x99\xe3\x82\x8b\xe3\x81\x9f\xe3\x82\x81\xe3\x81\xae\xe3\x82\x82"
              "\xe3\x81\xae\xe3\x81\xa7\xe3\x81\x99\xe3\x80\x82\n"
              "\xe6\x8a\x95\xe7\xa8\xbf\xe3\x81\xaf\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"
              "\xe3\x81\xa7\xe3\x81\x8a\xe9\xa1\x98\xe3\x81\x84\xe3\x81\x97\xe3\x81\xbe"
              "\xe3\x81\x99\xe3\x80\x82");
    /* euc-jp text cut in the middle of a character */
    assert_int_equal(charset_decode("euc-jp", (const unsigned char *)ja.buf, 5, &u, &bad), -1);
    assert_int_equal(bad, 4);
    strbuf_release(&cs);
    strbuf_release(&ja);
    strbuf_release(&u);
}

/* test_invalid - bytes that do not decode, with their offsets */
static void test_invalid(void **state)
{
    static const struct {
        const char *cs;
        const char *data;
        size_t len;
        size_t bad;
    } cases[] = {
        { "us-ascii", "abc\xe9" "d", 5, 3 },
        { "us-ascii", "\x80", 1, 0 },
        { "utf-8", "ab\xc3", 3, 2 },
        { "utf-8", "a\xed\xa0\x80", 4, 1 },          /* surrogate */
        { "utf-8", "ab\xc0\xaf", 4, 2 },             /* overlong '/' */
        { "utf-8", "\xf4\x90\x80\x80", 4, 0 },       /* above U+10FFFF */
        { "euc-jp", "ab\xa4\xb3\xff\xfe", 6, 4 },
        { "euc-jp", "ab\xa4", 3, 2 },                /* incomplete */
        { "iso-8859-7", "\xc1\xd2", 2, 1 },          /* 0xD2 unassigned */
        { "euc-kr", "x\xff", 2, 1 },
        { "gb2312", "xy\xa1", 3, 2 },
        /* big5 0xA2CC decodes to U+5341, which encodes as 0xA451: valid in the
         * charset but not round-trip safe */
        { "big5", "x\xa2\xcc", 3, 1 },
        { "big5", "\xa4\x51\xa2\xce", 4, 2 },
    };
    struct strbuf u = STRBUF_INIT;
    size_t i;

    (void)state;
    strbuf_adds(&u, "kept");
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t bad = 9999;
        int r = charset_decode(cases[i].cs, (const unsigned char *)cases[i].data, cases[i].len,
                               &u, &bad);
        if (r != -1 || bad != cases[i].bad) {
            fail_msg("case %zu (%s): r=%d bad=%zu, expected bad=%zu", i, cases[i].cs, r, bad,
                     cases[i].bad);
        }
        assert_string_equal(strbuf_cstr(&u), "kept");
    }
    /* unknown charset */
    {
        size_t bad = 0;
        assert_int_equal(charset_decode("x-no-such", B("abc"), &u, &bad), -1);
        assert_int_equal(bad, CHARSET_UNKNOWN);
        assert_int_equal(charset_decode("bad name!", B("abc"), &u, &bad), -1);
        assert_int_equal(bad, CHARSET_UNKNOWN);
        assert_int_equal(charset_decode("x-no-such", B("abc"), &u, NULL), -1);
    }
    strbuf_release(&u);
}

/* test_fast_paths - ASCII, Latin-1, empty input */
static void test_fast_paths(void **state)
{
    struct strbuf u = STRBUF_INIT;
    size_t bad = 0;
    unsigned char all[256];
    size_t i;

    (void)state;
    assert_int_equal(charset_decode("euc-jp", B("plain ascii"), &u, &bad), 0);
    assert_string_equal(strbuf_cstr(&u), "plain ascii");
    strbuf_reset(&u);
    assert_int_equal(charset_decode("koi8-r", B(""), &u, &bad), 0);
    assert_int_equal(u.len, 0);
    for (i = 0; i < 256; i++) {
        all[i] = (unsigned char)i;
    }
    roundtrip("iso-8859-1", all, sizeof(all), NULL);
    roundtrip("latin-1", all, sizeof(all), NULL);
    roundtrip("cp1252", (const unsigned char *)"\x80 euro", 6, "\xe2\x82\xac euro");
    roundtrip("koi8-r", (const unsigned char *)"\xf0\xd2\xc9\xd7\xc5\xd4", 6,
              "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");
    roundtrip("utf-8", (const unsigned char *)"\xe2\x82\xac\xf0\x9f\x98\x80", 7, NULL);
    assert_true(charset_is_ascii(B("abc")));
    assert_false(charset_is_ascii(B("ab\x80")));
    strbuf_release(&u);
}

/* test_encode - UTF-8 to a charset, with failures at UTF-8 offsets */
static void test_encode(void **state)
{
    struct strbuf out = STRBUF_INIT;
    size_t bad = 0;

    (void)state;
    assert_int_equal(charset_encode("iso-8859-2", "\xc4\x8d" "esky", 6, &out, &bad), 0);
    assert_memory_equal(out.buf, "\xe8" "esky", 5);
    strbuf_reset(&out);
    assert_int_equal(charset_encode("us-ascii", "ab\xc3\xa9", 4, &out, &bad), -1);
    assert_int_equal(bad, 2);
    assert_int_equal(charset_encode("iso-8859-1", "ab\xc3\xa9\xc4\x8d", 6, &out, &bad), -1);
    assert_int_equal(bad, 4);
    /* Greek omega has no place in iso-8859-2 */
    assert_int_equal(charset_encode("iso-8859-2", "xy\xcf\x89", 4, &out, &bad), -1);
    assert_int_equal(bad, 2);
    /* invalid UTF-8 input */
    assert_int_equal(charset_encode("euc-jp", "ok\xff", 3, &out, &bad), -1);
    assert_int_equal(bad, 2);
    assert_int_equal(out.len, 0);
    assert_int_equal(charset_encode("nope-charset", "x", 1, &out, &bad), -1);
    assert_int_equal(bad, CHARSET_UNKNOWN);
    assert_int_equal(charset_encode("iso-8859-1", "caf\xc3\xa9", 5, &out, &bad), 0);
    assert_memory_equal(out.buf, "caf\xe9", 4);
    strbuf_release(&out);
}

/* teardown - close descriptors and the interpreter */
static int teardown(void **state)
{
    (void)state;
    charset_cleanup();
    pyload_deinit();
    return 0;
}

/* an unencodable first character into an empty buffer (the rewrite's probe
 * of a NEW text): -1 and the buffer still empty, for the built-in Latin-1
 * and for iconv */
static void test_encode_empty_fail(void **state)
{
    struct strbuf out = STRBUF_INIT;
    size_t bad = 99;

    (void)state;
    assert_int_equal(charset_encode("iso-8859-1", "\xe6\x97\xa5", 3, &out, &bad), -1);
    assert_int_equal(bad, 0);
    assert_int_equal(out.len, 0);
    assert_int_equal(charset_encode("koi8-r", "\xe6\x97\xa5", 3, &out, &bad), -1);
    assert_int_equal(out.len, 0);
    strbuf_release(&out);
}

/* ASCII bytes are ASCII characters in EUC, Latin and UTF-8, not in big5 */
static void test_ascii_transparent(void **state)
{
    (void)state;
    assert_true(charset_ascii_transparent("euc-jp"));
    assert_true(charset_ascii_transparent("ISO-8859-2"));
    assert_true(charset_ascii_transparent("utf8"));
    assert_true(charset_ascii_transparent("gb2312"));
    assert_true(charset_ascii_transparent("koi8-r"));
    assert_false(charset_ascii_transparent("big5"));
    assert_false(charset_ascii_transparent("shift_jis"));
    assert_false(charset_ascii_transparent("iso-2022-jp"));
    assert_false(charset_ascii_transparent("utf-16"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables),
        cmocka_unit_test(test_encode_empty_fail),
        cmocka_unit_test(test_ascii_transparent),
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_greek),
        cmocka_unit_test(test_corpus_text),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_fast_paths),
        cmocka_unit_test(test_encode),
    };

    return cmocka_run_group_tests(tests, NULL, teardown);
}
