/*
 * test_tjson - typed JSON: every value type round-trips, charsets are
 * honoured, hostile JSON is refused
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "mmfix/tjson.h"

struct undec {
    int count;
    char path[128];
    size_t offset;
};

static void on_undec(void *ctx, const char *path, size_t offset)
{
    struct undec *u = ctx;

    u->count++;
    snprintf(u->path, sizeof(u->path), "%s", path);
    u->offset = offset;
}

static struct value *sample(struct value_arena *a)
{
    struct value *d = value_new_dict(a, 0);
    struct value *t = value_new_tuple(a, 0);
    struct value *members = value_new_dict(a, 0);
    struct value *odd = value_new_dict(a, 0);
    struct value *st = value_new_dict(a, 0);

    value_seq_append(a, t, value_new_int(a, 2015));
    value_seq_append(a, t, value_new_int(a, 3));
    value_dict_set(a, d, value_new_bytes(a, "date", 4), t);
    value_dict_set(a, d, value_new_bytes(a, "info", 4),
                   value_new_bytes(a, "\xc8" "esk\xe1 konference", 16));
    value_dict_set(a, d, value_new_bytes(a, "bad", 3), value_new_bytes(a, "ok\xff", 3));
    value_dict_set(a, d, value_new_bytes(a, "u", 1), value_new_text(a, "\xc3\xa9", 2));
    value_dict_set(a, d, value_new_bytes(a, "big", 3),
                   value_new_long(a, "123456789012345678901234567890"));
    value_dict_set(a, d, value_new_bytes(a, "i53", 3), value_new_int(a, 9007199254740993LL));
    value_dict_set(a, d, value_new_bytes(a, "f", 1), value_new_float(a, 1270420777.274485));
    value_dict_set(a, d, value_new_bytes(a, "nan", 3), value_new_float(a, __builtin_nan("")));
    value_dict_set(a, d, value_new_bytes(a, "b", 1), value_new_bool(a, false));
    value_dict_set(a, d, value_new_bytes(a, "n", 1), value_new_none(a));
    value_dict_set(a, members, value_new_bytes(a, "ana@x.org", 9), value_new_int(a, 0));
    value_dict_set(a, d, value_new_bytes(a, "members", 7), members);
    value_dict_set(a, odd, value_new_int(a, 1), value_new_list(a, 0));
    value_dict_set(a, odd, value_new_bytes(a, "$tuple", 6), value_new_none(a));
    value_dict_set(a, d, value_new_bytes(a, "odd", 3), odd);
    value_dict_set(a, st, value_new_bytes(a, "score", 5), value_new_float(a, 1.0));
    value_dict_set(a, d, value_new_bytes(a, "bi", 2),
                   value_new_instance(a, "Mailman.Bouncer._BounceInfo", st));
    return d;
}

static void test_tjson_roundtrip(void **state)
{
    struct value_arena *a = value_arena_new();
    struct value *root = sample(a);
    struct value *back = NULL;
    struct strbuf j1 = STRBUF_INIT;
    struct strbuf j2 = STRBUF_INIT;
    struct tjson_writer_opts wo;
    struct undec u;
    const char *list = NULL;
    const char *cs = NULL;
    const char *err = NULL;
    enum load_error kind;

    (void)state;
    memset(&u, 0, sizeof(u));
    memset(&wo, 0, sizeof(wo));
    wo.charset = "iso-8859-2";
    wo.undecodable = on_undec;
    wo.ctx = &u;
    tjson_write_document(&j1, "cs", root, &wo);
    /* 0xff is not iso-8859-2? it is (dot above): nothing undecodable here */
    assert_int_equal(tjson_read(j1.buf, j1.len, NULL, a, &back, &list, &cs, &kind, &err), 0);
    assert_string_equal(list, "cs");
    assert_string_equal(cs, "iso-8859-2");
    assert_true(value_equal(root, back));
    tjson_write_document(&j2, "cs", back, &wo);
    assert_string_equal(j1.buf, j2.buf);
    assert_non_null(strstr(j1.buf, "\"info\": \"\xc4\x8c" "esk\xc3\xa1 konference\""));
    assert_non_null(strstr(j1.buf, "\"i53\": {\"$long\": \"9007199254740993\"}"));
    assert_non_null(strstr(j1.buf, "\"u\": {\"$unicode\": \"\xc3\xa9\"}"));
    strbuf_release(&j1);
    strbuf_release(&j2);

    /* in us-ascii the Czech and the 0xff bytes are $bytes and reported */
    wo.charset = "us-ascii";
    tjson_write_document(&j1, "cs", root, &wo);
    assert_int_equal(u.count, 2);
    assert_string_equal(u.path, "bad");
    assert_int_equal(u.offset, 2);
    assert_int_equal(tjson_read(j1.buf, j1.len, NULL, a, &back, NULL, NULL, &kind, &err), 0);
    assert_true(value_equal(root, back));
    strbuf_release(&j1);
    value_arena_free(&a);
}

static void test_tjson_refuses(void **state)
{
    static const char *const bad[] = {
        "{",
        "[]",
        "{\"format\": \"other\", \"config\": {}}",
        "{\"format\": \"mmfix-typed-json/1\", \"charset\": \"us-ascii\", \"config\": {\"a\": \"\xc3\xa9\"}}",
        "{\"format\": \"mmfix-typed-json/1\", \"config\": {\"$bytes\": \"!!\"}}",
        "{\"format\": \"mmfix-typed-json/1\", \"config\": {\"$long\": \"12a\"}}",
        "{\"format\": \"mmfix-typed-json/1\", \"config\": {\"$dict\": [[1]]}}",
        "{\"format\": \"mmfix-typed-json/1\", \"config\": {\"$what\": 1}}",
        "{\"format\": \"mmfix-typed-json/1\", \"config\": {\"a\": 1, \"a\": 2}}",
    };
    struct value_arena *a = value_arena_new();
    struct value *root = NULL;
    const char *err = NULL;
    enum load_error kind;
    size_t i;
    char deep[4096];

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err = NULL;
        if (tjson_read(bad[i], strlen(bad[i]), NULL, a, &root, NULL, NULL, &kind, &err) != -1) {
            fail_msg("accepted: %s", bad[i]);
        }
        assert_int_equal(kind, LOAD_CORRUPT);
        assert_non_null(err);
    }
    /* nesting deeper than the limit */
    strcpy(deep, "{\"format\": \"mmfix-typed-json/1\", \"config\": ");
    for (i = 0; i < 300; i++) {
        strcat(deep, "[");
    }
    for (i = 0; i < 300; i++) {
        strcat(deep, "]");
    }
    strcat(deep, "}");
    assert_int_equal(tjson_read(deep, strlen(deep), NULL, a, &root, NULL, NULL, &kind, &err), -1);
    value_arena_free(&a);
}

/* test_tjson_nul - NUL bytes in a str value and in a str dict key survive the writer and the
 * reader (found by fuzz_tjson: the writer wrote \u0000, the reader refused it); a NUL where C
 * text is used (a $long, the charset) is refused, not cut short */
static void test_tjson_nul(void **state)
{
    static const char *const bad[] = {
        "{\"format\": \"mmfix-typed-json/1\", \"config\": {\"$long\": \"12\\u00003\"}}",
        "{\"format\": \"mmfix-typed-json/1\", \"config\": {\"$float\": \"nan\\u0000x\"}}",
        "{\"format\": \"mmfix-typed-json/1\", \"charset\": \"us-ascii\\u0000\", \"config\": 1}",
        "{\"format\": \"mmfix-typed-json/1\\u0000\", \"config\": 1}",
    };
    struct value_arena *a = value_arena_new();
    struct value *d = value_new_dict(a, 0);
    struct value *back = NULL;
    struct strbuf j = STRBUF_INIT;
    struct tjson_writer_opts wo;
    const char *err = NULL;
    enum load_error kind;
    size_t i;

    (void)state;
    memset(&wo, 0, sizeof(wo));
    wo.charset = "iso-8859-1";
    value_dict_set(a, d, value_new_bytes(a, "v", 1), value_new_bytes(a, "a\0b", 3));
    value_dict_set(a, d, value_new_bytes(a, "k\0ey", 4), value_new_text(a, "x\0y", 3));
    tjson_write_document(&j, "l", d, &wo);
    assert_int_equal(tjson_read(j.buf, j.len, NULL, a, &back, NULL, NULL, &kind, &err), 0);
    assert_true(value_equal(d, back));
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (tjson_read(bad[i], strlen(bad[i]), NULL, a, &back, NULL, NULL, &kind, &err) != -1) {
            fail_msg("accepted: %s", bad[i]);
        }
    }
    strbuf_release(&j);
    value_arena_free(&a);
}

static void test_tjson_base64(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    struct strbuf back = STRBUF_INIT;
    const char *inputs[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
    const char *want[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
    size_t i;

    (void)state;
    for (i = 0; i < 7; i++) {
        strbuf_reset(&sb);
        strbuf_reset(&back);
        tjson_base64_encode(&sb, (const unsigned char *)inputs[i], strlen(inputs[i]));
        assert_string_equal(strbuf_cstr(&sb), want[i]);
        assert_int_equal(tjson_base64_decode(sb.buf ? sb.buf : "", sb.len, &back), 0);
        assert_string_equal(strbuf_cstr(&back), inputs[i]);
    }
    assert_int_equal(tjson_base64_decode("Zg=a", 4, &back), -1);
    assert_int_equal(tjson_base64_decode("Zg", 2, &back), -1);
    strbuf_release(&sb);
    strbuf_release(&back);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tjson_roundtrip),
        cmocka_unit_test(test_tjson_refuses),
        cmocka_unit_test(test_tjson_nul),
        cmocka_unit_test(test_tjson_base64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
