/*
 * test_marshal - the Python 2 marshal reader: every type code from
 * hand-made bytes, interned back-references, limits, truncation at every
 * prefix of real files, garbage, and every marshal file of the corpus
 * compared with what Python 3's marshal makes of it
 * (fixtures/expected/marshal, written by tests/tools/marshal_canon.py).
 */
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "mmfix/marshal.h"
#include "mmfix/repr.h"
#include "mmfix/strbuf.h"
#include "mmfix/xalloc.h"
#include "test_config.h"

#define MM20 MMFIX_CORPUS_DIR "/mm20-sample"
#define EXPECTED_DIR MMFIX_SOURCE_DIR "/fixtures/expected/marshal"
#define B(s) (s), sizeof(s) - 1

/* read_whole - a file's bytes (NUL-terminated), or NULL */
static unsigned char *read_whole(const char *path, size_t *len_r)
{
    FILE *f = fopen(path, "rb");
    struct strbuf sb = STRBUF_INIT;
    char buf[8192];
    size_t n;

    if (f == NULL) {
        return NULL;
    }
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        strbuf_add(&sb, buf, n);
    }
    fclose(f);
    strbuf_addc(&sb, '\0');  /* a buffer even for an empty file */
    sb.len--;
    return (unsigned char *)strbuf_detach(&sb, len_r);
}

/* canon_escape - quoted bytes as marshal_canon.py writes them */
static void canon_escape(struct strbuf *out, const unsigned char *s, size_t len)
{
    size_t i;

    strbuf_addc(out, '"');
    for (i = 0; i < len; i++) {
        if (s[i] >= 0x20 && s[i] <= 0x7e && s[i] != '"' && s[i] != '\\') {
            strbuf_addc(out, (char)s[i]);
        } else {
            strbuf_addf(out, "\\x%02x", (unsigned)s[i]);
        }
    }
    strbuf_addc(out, '"');
}

/* canon_render - the canonical text of marshal_canon.py for one node */
static void canon_render(struct strbuf *out, const struct value *v, int indent,
                         const char *prefix)
{
    size_t i;

    strbuf_addf(out, "%*s%s", 2 * indent, "", prefix);
    switch (v->type) {
    case VALUE_NONE:
        strbuf_adds(out, "None\n");
        break;
    case VALUE_BOOL:
        strbuf_adds(out, v->u.b ? "bool True\n" : "bool False\n");
        break;
    case VALUE_INT:
        strbuf_addf(out, "int %lld\n", (long long)v->u.i);
        break;
    case VALUE_LONG:
        strbuf_addf(out, "int %s\n", v->u.digits);
        break;
    case VALUE_FLOAT:
        if (isnan(v->u.f)) {
            strbuf_adds(out, "float nan\n");
        } else {
            strbuf_addf(out, "float %.17g\n", v->u.f);
        }
        break;
    case VALUE_BYTES:
    case VALUE_TEXT:
        strbuf_adds(out, v->type == VALUE_BYTES ? "str " : "unicode ");
        canon_escape(out, v->u.str.data, v->u.str.len);
        strbuf_addc(out, '\n');
        break;
    case VALUE_TUPLE:
    case VALUE_LIST:
        strbuf_addf(out, "%s %zu\n", v->type == VALUE_TUPLE ? "tuple" : "list",
                    v->u.seq.len);
        for (i = 0; i < v->u.seq.len; i++) {
            canon_render(out, v->u.seq.items[i], indent + 1, "");
        }
        break;
    case VALUE_DICT:
        strbuf_addf(out, "dict %zu\n", v->u.dict.len);
        for (i = 0; i < v->u.dict.len; i++) {
            canon_render(out, v->u.dict.items[i].key, indent + 1, "k ");
            canon_render(out, v->u.dict.items[i].val, indent + 1, "v ");
        }
        break;
    case VALUE_INSTANCE:
        strbuf_adds(out, "instance?\n");
        break;
    }
}

struct mcase {
    const char *name;
    const char *data;
    size_t len;
    enum load_error kind;  /* LOAD_OK: must parse */
    const char *want;      /* repr on success (NULL: skip), error substring on failure */
    int version;           /* on success */
};

#define OK(n, d, w, ver) { n, B(d), LOAD_OK, w, ver }
#define BAD(n, d, k, w) { n, B(d), k, w, 0 }

static const struct mcase cases[] = {
    OK("none", "N", "None", 0),
    OK("true", "T", "True", 0),
    OK("false", "F", "False", 0),
    OK("int", "i\x2a\x00\x00\x00", "42", 0),
    OK("int -1", "i\xff\xff\xff\xff", "-1", 0),
    OK("int min", "i\x00\x00\x00\x80", "-2147483648", 0),
    OK("int max", "i\xff\xff\xff\x7f", "2147483647", 0),
    OK("int64", "I\x00\x00\x00\x00\x01\x00\x00\x00", "4294967296", 0),
    OK("int64 -1", "I\xff\xff\xff\xff\xff\xff\xff\xff", "-1", 0),
    OK("int64 min", "I\x00\x00\x00\x00\x00\x00\x00\x80", "-9223372036854775808", 0),
    OK("long 0", "l\x00\x00\x00\x00", "0", 0),
    OK("long 5", "l\x01\x00\x00\x00\x05\x00", "5", 0),
    OK("long -5", "l\xff\xff\xff\xff\x05\x00", "-5", 0),
    OK("long 32768", "l\x02\x00\x00\x00\x00\x00\x01\x00", "32768", 0),
    OK("long int64 max", "l\x05\x00\x00\x00\xff\x7f\xff\x7f\xff\x7f\xff\x7f\x07\x00",
       "9223372036854775807", 0),
    OK("long int64 min", "l\xfb\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x08\x00",
       "-9223372036854775808", 0),
    OK("long 2**63", "l\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x08\x00",
       "9223372036854775808L", 0),
    OK("long 2**100", "l\x07\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
       "\x00\x00\x00\x04", "1267650600228229401496703205376L", 0),
    OK("long -2**100", "l\xf9\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
       "\x00\x00\x00\x04", "-1267650600228229401496703205376L", 0),
    OK("long 23 digits", "l\x05\x00\x00\x00\xcb\x44\x84\x62\xd9\x39\xb2\x15\xd4\x29",
       "12345678901234567890123L", 0),
    OK("float text", "f\x03" "1.5", "1.5", 0),
    OK("float text exp", "f\x05" "1e+10", NULL, 0),
    OK("float text -inf", "f\x04-inf", NULL, 0),  /* value checked in test_values */
    OK("float text nan", "f\x03nan", "nan", 0),
    OK("float binary", "g\x00\x00\x00\x00\x00\x00\xf8\x3f", "1.5", 2),
    OK("str", "s\x03\x00\x00\x00" "abc", "'abc'", 0),
    OK("str empty", "s\x00\x00\x00\x00", "''", 0),
    OK("str latin-1", "s\x01\x00\x00\x00\xe9", "'\\xe9'", 0),
    OK("str NUL", "s\x03\x00\x00\x00" "a\x00" "b", "'a\\x00" "b'", 0),
    OK("interned", "t\x02\x00\x00\x00" "ab", "'ab'", 1),
    OK("unicode", "u\x02\x00\x00\x00\xc3\xa9", "u'\\xe9'", 0),
    OK("unicode 4-byte", "u\x04\x00\x00\x00\xf0\x9f\x98\x80", NULL, 0),
    OK("unicode surrogate", "u\x03\x00\x00\x00\xed\xa0\x80", NULL, 0),
    OK("tuple", "(\x02\x00\x00\x00i\x01\x00\x00\x00N", "(1, None)", 0),
    OK("tuple 1", "(\x01\x00\x00\x00i\x01\x00\x00\x00", "(1,)", 0),
    OK("tuple 0", "(\x00\x00\x00\x00", "()", 0),
    OK("list", "[\x02\x00\x00\x00TF", "[True, False]", 0),
    OK("list 0", "[\x00\x00\x00\x00", "[]", 0),
    OK("dict 0", "{0", "{}", 0),
    OK("dict", "{s\x01\x00\x00\x00" "ai\x01\x00\x00\x00" "0", "{'a': 1}", 0),
    OK("dict order", "{s\x01\x00\x00\x00" "bi\x01\x00\x00\x00s\x01\x00\x00\x00" "ai\x02\x00\x00\x00" "0",
       "{'b': 1, 'a': 2}", 0),
    OK("dict dup key", "{s\x01\x00\x00\x00" "ai\x01\x00\x00\x00s\x01\x00\x00\x00" "bi\x02\x00\x00\x00"
       "s\x01\x00\x00\x00" "ai\x03\x00\x00\x00" "0", "{'a': 3, 'b': 2}", 0),
    OK("dict tuple key", "{(\x01\x00\x00\x00i\x01\x00\x00\x00N0", "{(1,): None}", 0),
    OK("dict nested", "{t\x01\x00\x00\x00" "a{R\x00\x00\x00\x00[\x00\x00\x00\x00" "00",
       "{'a': {'a': []}}", 1),
    OK("stringref", "(\x02\x00\x00\x00t\x01\x00\x00\x00" "aR\x00\x00\x00\x00", "('a', 'a')", 1),
    OK("version 2 wins", "(\x02\x00\x00\x00g\x00\x00\x00\x00\x00\x00\xf8\x3ft\x00\x00\x00\x00",
       "(1.5, '')", 2),

    BAD("empty", "", LOAD_CORRUPT, "empty"),
    BAD("unknown", "?", LOAD_CORRUPT, "offset 0 (unknown type code 0x3f)"),
    BAD("unknown nested", "(\x01\x00\x00\x00?", LOAD_CORRUPT,
        "offset 5 (unknown type code 0x3f)"),
    BAD("py3 flag", "\xf3\x01\x00\x00\x00" "a", LOAD_CORRUPT, "unknown type code 0xf3"),
    BAD("py3 ref", "r\x00\x00\x00\x00", LOAD_CORRUPT, "unknown type code 0x72"),
    BAD("null top", "0", LOAD_CORRUPT, "NULL object outside a dict"),
    BAD("null in list", "[\x01\x00\x00\x00" "0", LOAD_CORRUPT, "offset 5 (NULL object"),
    BAD("null dict value", "{i\x01\x00\x00\x00" "0", LOAD_CORRUPT, "offset 6 (NULL object"),
    BAD("stopiteration", "S", LOAD_CORRUPT, "StopIteration"),
    BAD("ellipsis", "[\x01\x00\x00\x00.", LOAD_CORRUPT, "offset 5 (Ellipsis"),
    BAD("complex text", "x\x01" "1\x01" "1", LOAD_CORRUPT, "complex"),
    BAD("complex binary", "y\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
        LOAD_CORRUPT, "complex"),
    BAD("set", "<\x00\x00\x00\x00", LOAD_CORRUPT, "a set"),
    BAD("frozenset", ">\x00\x00\x00\x00", LOAD_CORRUPT, "a frozenset"),
    BAD("code", "c\x00\x00\x00\x00", LOAD_REFUSED, "marshal code object refused at offset 0"),
    BAD("code nested", "{s\x01\x00\x00\x00" "fc", LOAD_REFUSED, "refused at offset 7"),
    BAD("str negative", "s\xff\xff\xff\xff", LOAD_CORRUPT, "negative length -1"),
    BAD("str huge", "s\x00\x00\x00\x7f", LOAD_CORRUPT,
        "truncated marshal data at offset 5 (string of 2130706432 bytes)"),
    BAD("str short", "s\x05\x00\x00\x00" "ab", LOAD_CORRUPT,
        "truncated marshal data at offset 5 (string of 5 bytes)"),
    BAD("str no length", "s\x05\x00", LOAD_CORRUPT, "offset 1 (length of string)"),
    BAD("unicode huge", "u\xff\xff\xff\x7f", LOAD_CORRUPT, "unicode of 2147483647 bytes"),
    BAD("unicode bad byte", "u\x02\x00\x00\x00" "a\xff", LOAD_CORRUPT, "invalid UTF-8"),
    BAD("unicode overlong", "u\x02\x00\x00\x00\xc0\x80", LOAD_CORRUPT, "offset 5 (invalid UTF-8"),
    BAD("unicode overlong 3", "u\x03\x00\x00\x00\xe0\x80\x80", LOAD_CORRUPT, "invalid UTF-8"),
    BAD("unicode > 10ffff", "u\x04\x00\x00\x00\xf4\x90\x80\x80", LOAD_CORRUPT, "invalid UTF-8"),
    BAD("unicode cut", "u\x02\x00\x00\x00\xe2\x82", LOAD_CORRUPT, "invalid UTF-8"),
    BAD("unicode lone cont", "u\x01\x00\x00\x00\x80", LOAD_CORRUPT, "invalid UTF-8"),
    BAD("tuple huge", "(\xff\xff\xff\x7f", LOAD_CORRUPT, "(tuple of 2147483647 items)"),
    BAD("tuple negative", "(\x00\x00\x00\x80", LOAD_CORRUPT, "negative length"),
    BAD("list short", "[\x02\x00\x00\x00N", LOAD_CORRUPT,
        "truncated marshal data at offset 5 (list of 2 items)"),
    BAD("list cut", "[\x02\x00\x00\x00s\x00\x00\x00\x00", LOAD_CORRUPT,
        "truncated marshal data at offset 10 (type code expected)"),
    BAD("dict open", "{", LOAD_CORRUPT, "offset 1 (type code expected)"),
    BAD("dict no value", "{N", LOAD_CORRUPT, "offset 2 (type code expected)"),
    BAD("dict list key", "{[\x00\x00\x00\x00i\x01\x00\x00\x00" "0", LOAD_CORRUPT,
        "offset 1 (unhashable dict key of type list)"),
    BAD("dict dict key", "{{0N0", LOAD_CORRUPT, "unhashable dict key of type dict"),
    BAD("dict tuple-list key", "{(\x01\x00\x00\x00[\x00\x00\x00\x00N0", LOAD_CORRUPT,
        "unhashable dict key of type tuple"),
    BAD("int short", "i\x01\x00", LOAD_CORRUPT, "offset 1 (int32)"),
    BAD("int64 short", "I\x01", LOAD_CORRUPT, "offset 1 (int64)"),
    BAD("binary float short", "g\x00\x00", LOAD_CORRUPT, "offset 1 (binary float)"),
    BAD("float no length", "f", LOAD_CORRUPT, "offset 1 (length of float text)"),
    BAD("float short", "f\x05" "1.", LOAD_CORRUPT, "offset 2 (float text of 5 bytes)"),
    BAD("float empty", "f\x00", LOAD_CORRUPT, "float text is not a number"),
    BAD("float word", "f\x03" "abc", LOAD_CORRUPT, "offset 0 (float text is not a number)"),
    BAD("float hex", "f\x05" "0x1p3", LOAD_CORRUPT, "not a number"),
    BAD("float space", "f\x04 1.5", LOAD_CORRUPT, "not a number"),
    BAD("float trailing", "f\x04" "1.5x", LOAD_CORRUPT, "not a number"),
    BAD("float NUL", "f\x03" "1\x00" "5", LOAD_CORRUPT, "not a number"),
    BAD("long short", "l\x02\x00\x00\x00\x01\x00", LOAD_CORRUPT, "(long of 2 digits)"),
    BAD("long int32 min", "l\x00\x00\x00\x80", LOAD_CORRUPT, "long of 2147483648 digits"),
    BAD("long digit", "l\x02\x00\x00\x00\x01\x00\x00\x80", LOAD_CORRUPT,
        "offset 7 (digit out of range in long)"),
    BAD("long unnormalized", "l\x02\x00\x00\x00\x01\x00\x00\x00", LOAD_CORRUPT,
        "offset 7 (unnormalized long data)"),
    BAD("stringref empty", "R\x00\x00\x00\x00", LOAD_CORRUPT,
        "offset 0 (string reference 0 out of range, 0 interned)"),
    BAD("stringref past", "(\x02\x00\x00\x00t\x01\x00\x00\x00" "aR\x01\x00\x00\x00", LOAD_CORRUPT,
        "offset 11 (string reference 1 out of range, 1 interned)"),
    BAD("stringref negative", "R\xff\xff\xff\xff", LOAD_CORRUPT, "string reference -1"),
    BAD("stringref short", "R\x00", LOAD_CORRUPT, "offset 1 (string reference)"),
    BAD("trailing", "NN", LOAD_CORRUPT, "trailing data at offset 1 (1 bytes after"),
    BAD("trailing dict", "{0\n", LOAD_CORRUPT, "trailing data at offset 2"),
};

/* test_cases - the table of hand-made marshal data */
static void test_cases(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct mcase *c = &cases[i];
        struct value_arena *arena = value_arena_new();
        struct value *root = NULL;
        struct marshal_info info;
        enum load_error kind = LOAD_INTERNAL;
        const char *err = NULL;
        struct strbuf sb = STRBUF_INIT;
        int ret;

        ret = marshal_read(c->data, c->len, NULL, arena, &root, &info, &kind, &err);
        if (c->kind == LOAD_OK) {
            if (ret != 0) {
                fail_msg("%s: failed: %s", c->name, err);
            }
            assert_non_null(root);
            assert_int_equal(kind, LOAD_OK);
            if (info.version != c->version) {
                fail_msg("%s: version %d, want %d", c->name, info.version, c->version);
            }
            if (c->want != NULL) {
                repr_value(&sb, root);
                if (strcmp(strbuf_cstr(&sb), c->want) != 0) {
                    fail_msg("%s: got %s, want %s", c->name, strbuf_cstr(&sb), c->want);
                }
            }
        } else {
            if (ret != -1) {
                fail_msg("%s: parsed, want an error", c->name);
            }
            assert_null(root);
            assert_non_null(err);
            if (kind != c->kind) {
                fail_msg("%s: kind %s, want %s (%s)", c->name, load_error_name(kind),
                         load_error_name(c->kind), err);
            }
            if (strstr(err, c->want) == NULL || strstr(err, "offset") == NULL) {
                fail_msg("%s: error '%s' lacks '%s'", c->name, err, c->want);
            }
        }
        strbuf_release(&sb);
        value_arena_free(&arena);
    }
}

/* parse - marshal_read that must succeed */
static struct value *parse(struct value_arena *arena, const char *data, size_t len,
                           struct marshal_info *info)
{
    struct value *root = NULL;
    const char *err = NULL;

    if (marshal_read(data, len, NULL, arena, &root, info, NULL, &err) < 0) {
        fail_msg("parse failed: %s", err);
    }
    return root;
}

/* test_values - node types and exact values, beyond repr */
static void test_values(void **state)
{
    struct value_arena *arena = value_arena_new();
    struct marshal_info info;
    struct value *v = NULL;

    (void)state;
    v = parse(arena, B("l\x07\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
                       "\x00\x00\x00\x04"), &info);
    assert_int_equal(v->type, VALUE_LONG);
    assert_string_equal(v->u.digits, "1267650600228229401496703205376");
    v = parse(arena, B("l\xfb\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x08\x00"), &info);
    assert_int_equal(v->type, VALUE_INT);
    assert_true(v->u.i == INT64_MIN);
    v = parse(arena, B("l\x05\x00\x00\x00\xff\x7f\xff\x7f\xff\x7f\xff\x7f\x0f\x00"), &info);
    assert_int_equal(v->type, VALUE_LONG);  /* 2**64 - 1 */
    assert_string_equal(v->u.digits, "18446744073709551615");
    v = parse(arena, B("f\x05" "1e+10"), &info);
    assert_int_equal(v->type, VALUE_FLOAT);
    assert_true(v->u.f == 1e10);
    v = parse(arena, B("f\x13" "0.10000000000000001"), &info);
    assert_true(v->u.f == 0.1);
    v = parse(arena, B("f\x04-inf"), &info);
    assert_true(isinf(v->u.f) && v->u.f < 0);
    v = parse(arena, B("f\x03nan"), &info);
    assert_true(isnan(v->u.f));
    v = parse(arena, B("f\x08Infinity"), &info);
    assert_true(isinf(v->u.f) && v->u.f > 0);
    v = parse(arena, B("g\x00\x00\x00\x00\x00\x00\xf0\x7f"), &info);
    assert_true(isinf(v->u.f));
    v = parse(arena, B("g\x00\x00\x00\x00\x00\x00\x00\x80"), &info);
    assert_true(v->u.f == 0.0 && signbit(v->u.f));
    v = parse(arena, B("s\x03\x00\x00\x00" "a\x00" "b"), &info);
    assert_int_equal(v->type, VALUE_BYTES);
    assert_int_equal(v->u.str.len, 3);
    assert_memory_equal(v->u.str.data, "a\0b", 4);
    v = parse(arena, B("u\x03\x00\x00\x00\xed\xa0\x80"), &info);
    assert_int_equal(v->type, VALUE_TEXT);
    assert_memory_equal(v->u.str.data, "\xed\xa0\x80", 3);
    v = parse(arena, B("t\x01\x00\x00\x00x"), &info);
    assert_int_equal(v->type, VALUE_BYTES);
    assert_int_equal(info.interned, 1);
    assert_int_equal(info.objects, 1);
    value_arena_free(&arena);
}

/* test_interned_shared - 'R' gives the very node of its 't' */
static void test_interned_shared(void **state)
{
    /* ['ab', R0, R0, 'cd', R1, 'ab' (plain s)] */
    static const char data[] = "[\x06\x00\x00\x00t\x02\x00\x00\x00" "abR\x00\x00\x00\x00"
                               "R\x00\x00\x00\x00t\x02\x00\x00\x00" "cdR\x01\x00\x00\x00"
                               "s\x02\x00\x00\x00" "ab";
    struct value_arena *arena = value_arena_new();
    struct marshal_info info;
    struct value *v = NULL;
    struct value **it = NULL;

    (void)state;
    v = parse(arena, B(data), &info);
    assert_int_equal(v->type, VALUE_LIST);
    assert_int_equal(v->u.seq.len, 6);
    it = v->u.seq.items;
    assert_ptr_equal(it[0], it[1]);
    assert_ptr_equal(it[0], it[2]);
    assert_ptr_equal(it[3], it[4]);
    assert_ptr_not_equal(it[0], it[3]);
    assert_ptr_not_equal(it[0], it[5]);
    assert_true(value_equal(it[0], it[5]));
    assert_int_equal(it[0]->refs, 3);
    assert_int_equal(it[3]->refs, 2);
    assert_int_equal(it[5]->refs, 1);
    assert_int_equal(info.version, 1);
    assert_int_equal(info.interned, 2);
    assert_int_equal(info.objects, 7);
    value_arena_free(&arena);
}

/* nested_lists - k one-item lists around None */
static char *nested_lists(unsigned k, size_t *len_r)
{
    char *buf = xmalloc(5 * (size_t)k + 1);
    unsigned i;

    for (i = 0; i < k; i++) {
        memcpy(buf + 5 * (size_t)i, "[\x01\x00\x00\x00", 5);
    }
    buf[5 * (size_t)k] = 'N';
    *len_r = 5 * (size_t)k + 1;
    return buf;
}

/* try_read - marshal_read with limits; the kind */
static enum load_error try_read(const char *data, size_t len, const struct load_limits *lim,
                                const char **err_r)
{
    struct value_arena *arena = value_arena_new();
    struct value *root = NULL;
    enum load_error kind = LOAD_INTERNAL;
    int ret;

    *err_r = NULL;
    ret = marshal_read(data, len, lim, arena, &root, NULL, &kind, err_r);
    assert_int_equal(ret == 0, kind == LOAD_OK);
    assert_int_equal(ret == 0, root != NULL);
    value_arena_free(&arena);
    return kind;
}

/* test_depth_limit - nesting beyond max_depth (and the hard cap) is LOAD_LIMIT */
static void test_depth_limit(void **state)
{
    struct load_limits lim = { 0, 5, 0 };
    const char *err = NULL;
    char *buf = NULL;
    size_t len = 0;

    (void)state;
    buf = nested_lists(5, &len);
    assert_int_equal(try_read(buf, len, &lim, &err), LOAD_OK);
    free(buf);
    buf = nested_lists(6, &len);
    assert_int_equal(try_read(buf, len, &lim, &err), LOAD_LIMIT);
    assert_non_null(strstr(err, "nested deeper than 5 at offset 25"));
    free(buf);
    buf = nested_lists(LOAD_DEFAULT_MAX_DEPTH, &len);
    assert_int_equal(try_read(buf, len, NULL, &err), LOAD_OK);
    free(buf);
    buf = nested_lists(LOAD_DEFAULT_MAX_DEPTH + 1, &len);
    assert_int_equal(try_read(buf, len, NULL, &err), LOAD_LIMIT);
    free(buf);
    /* a huge limit is still capped: no stack overflow */
    lim.max_depth = 1000000;
    buf = nested_lists(100000, &len);
    assert_int_equal(try_read(buf, len, &lim, &err), LOAD_LIMIT);
    assert_non_null(strstr(err, "deeper than 2000"));
    free(buf);
    /* dicts count as nesting too */
    lim.max_depth = 2;
    assert_int_equal(try_read(B("{N{N{0000"), &lim, &err), LOAD_LIMIT);
    assert_int_equal(try_read(B("{N{00"), &lim, &err), LOAD_OK);
}

/* test_object_limit - more than max_objects nodes is LOAD_LIMIT */
static void test_object_limit(void **state)
{
    struct load_limits lim = { 0, 0, 4 };
    struct load_limits small = { 3, 0, 0 };
    const char *err = NULL;
    struct value_arena *arena = value_arena_new();
    struct value *root = NULL;
    struct marshal_info info;

    (void)state;
    assert_int_equal(try_read(B("(\x03\x00\x00\x00NNN"), &lim, &err), LOAD_OK);
    assert_int_equal(try_read(B("(\x04\x00\x00\x00NNNN"), &lim, &err), LOAD_LIMIT);
    assert_non_null(strstr(err, "more than 4 objects (offset 8)"));
    /* back-references count: each one is a node of the tree */
    assert_int_equal(try_read(B("(\x03\x00\x00\x00t\x00\x00\x00\x00R\x00\x00\x00\x00"
                                "R\x00\x00\x00\x00"), &lim, &err), LOAD_OK);
    assert_int_equal(marshal_read(B("{s\x01\x00\x00\x00" "ai\x01\x00\x00\x00" "0"), NULL, arena,
                                  &root, &info, NULL, &err), 0);
    assert_int_equal(info.objects, 3);
    assert_int_equal(try_read(B("NNNN"), &small, &err), LOAD_LIMIT);
    assert_non_null(strstr(err, "exceeds the limit of 3"));
    value_arena_free(&arena);
}

/* test_long_limit - longs beyond MARSHAL_MAX_LONG_DIGITS are LOAD_LIMIT */
static void test_long_limit(void **state)
{
    size_t n = MARSHAL_MAX_LONG_DIGITS;
    size_t len = 5 + 2 * (n + 1);
    unsigned char *buf = xcalloc(1, len);
    struct value_arena *arena = value_arena_new();
    struct value *root = NULL;
    const char *err = NULL;
    size_t i;

    (void)state;
    /* 2**(15 * n) - 1: every digit 0x7fff, n digits, the longest allowed */
    buf[0] = 'l';
    buf[1] = (unsigned char)(n & 0xff);
    buf[2] = (unsigned char)(n >> 8);
    for (i = 0; i < n; i++) {
        buf[5 + 2 * i] = 0xff;
        buf[6 + 2 * i] = 0x7f;
    }
    assert_int_equal(marshal_read(buf, 5 + 2 * n, NULL, arena, &root, NULL, NULL, &err), 0);
    assert_int_equal(root->type, VALUE_LONG);
    assert_int_equal(strlen(root->u.digits), 18496);  /* len(str(2**61440 - 1)) */
    assert_memory_equal(root->u.digits, "1918375", 7);
    assert_string_equal(root->u.digits + 18496 - 5, "71775");
    n++;
    buf[1] = (unsigned char)(n & 0xff);
    buf[2] = (unsigned char)(n >> 8);
    buf[5 + 2 * (n - 1)] = 0x01;
    assert_int_equal(try_read((const char *)buf, len, NULL, &err), LOAD_LIMIT);
    assert_non_null(strstr(err, "offset 0 has 4097 digits"));
    free(buf);
    value_arena_free(&arena);
}

/* check_prefixes - every proper prefix (every step-th) of a real file fails cleanly */
static void check_prefixes(const char *path, size_t step)
{
    size_t len = 0;
    unsigned char *data = read_whole(path, &len);
    size_t i;

    assert_non_null(data);
    for (i = 0; i < len; i += step) {
        struct value_arena *arena = value_arena_new();
        struct value *root = NULL;
        enum load_error kind = LOAD_OK;
        const char *err = NULL;

        if (marshal_read(data, i, NULL, arena, &root, NULL, &kind, &err) != -1 ||
            kind != LOAD_CORRUPT || root != NULL || strstr(err, "offset") == NULL) {
            fail_msg("%s: prefix of %zu bytes: kind %s, error %s", path, i,
                     load_error_name(kind), err ? err : "(none)");
        }
        value_arena_free(&arena);
    }
    free(data);
}

/* test_truncated - real files cut short at every length */
static void test_truncated(void **state)
{
    (void)state;
    check_prefixes(MM20 "/before/lists/vacia/config.db", 1);         /* format 1 */
    check_prefixes(MM20 "/before/lists/mailman/config.db", 1);       /* format 0 */
    check_prefixes(MM20 "/before/lists/es/request.db", 1);           /* format 2 */
    check_prefixes(MM20 "/before/data/pending_subscriptions.db", 1);
    check_prefixes(MM20 "/before/lists/es/config.db", 7);
    check_prefixes(MMFIX_CORPUS_DIR "/lich-bot-mailman/misc/pending_subscriptions.db", 1);
}

/* rng - a small deterministic generator */
static uint32_t rng(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

/* test_garbage - random bytes and mutated real files never crash or leak */
static void test_garbage(void **state)
{
    static const char codes[] = "0NFTiIlfgstuR([{<>cSxy.?";
    unsigned char buf[96];
    uint32_t seed = 12345;
    size_t len = 0;
    unsigned char *real = read_whole(MM20 "/before/lists/vacia/config.db", &len);
    int round;
    size_t i;
    int ok = 0;

    (void)state;
    assert_non_null(real);
    for (round = 0; round < 20000; round++) {
        size_t n = rng(&seed) % sizeof(buf);
        struct value_arena *arena = value_arena_new();
        struct value *root = NULL;
        enum load_error kind = LOAD_INTERNAL;
        const char *err = NULL;
        int ret;

        for (i = 0; i < n; i++) {
            uint32_t r = rng(&seed);
            switch (r % 4) {
            case 0:
                buf[i] = (unsigned char)codes[(r >> 2) % (sizeof(codes) - 1)];
                break;
            case 1:
                buf[i] = (unsigned char)((r >> 2) % 4);  /* small lengths */
                break;
            default:
                buf[i] = (unsigned char)(r >> 2);
                break;
            }
        }
        ret = marshal_read(buf, n, NULL, arena, &root, NULL, &kind, &err);
        assert_true(ret == 0 || ret == -1);
        if (ret == 0) {
            ok++;
            assert_non_null(root);
        } else {
            assert_null(root);
            assert_non_null(err);
            assert_int_not_equal(kind, LOAD_OK);
            assert_int_not_equal(kind, LOAD_INTERNAL);
        }
        value_arena_free(&arena);
    }
    assert_true(ok > 0);
    for (round = 0; round < 3000; round++) {
        unsigned char *copy = xmemdup(real, len);
        struct value_arena *arena = value_arena_new();
        struct value *root = NULL;
        enum load_error kind = LOAD_INTERNAL;
        const char *err = NULL;
        int flips = 1 + (int)(rng(&seed) % 4);

        while (flips-- > 0) {
            copy[rng(&seed) % len] = (unsigned char)rng(&seed);
        }
        if (marshal_read(copy, len, NULL, arena, &root, NULL, &kind, &err) < 0) {
            assert_non_null(err);
            assert_int_not_equal(kind, LOAD_INTERNAL);
        }
        value_arena_free(&arena);
        free(copy);
    }
    free(real);
}

/* load - marshal_read_file that must succeed */
static struct value *load(struct value_arena *arena, const char *path, struct marshal_info *info)
{
    struct value *root = NULL;
    enum load_error kind = LOAD_INTERNAL;
    const char *err = NULL;

    if (marshal_read_file(path, NULL, arena, &root, info, &kind, &err) < 0) {
        fail_msg("%s: %s (%s)", path, err, load_error_name(kind));
    }
    assert_int_equal(kind, LOAD_OK);
    return root;
}

/* count_shared_strings - str nodes with more than one parent */
static size_t count_shared_strings(const struct value *v)
{
    size_t n = 0;
    size_t i;

    if (v->type == VALUE_BYTES && v->refs > 1) {
        return 1;
    }
    if (v->type == VALUE_TUPLE || v->type == VALUE_LIST) {
        for (i = 0; i < v->u.seq.len; i++) {
            n += count_shared_strings(v->u.seq.items[i]);
        }
    } else if (v->type == VALUE_DICT) {
        for (i = 0; i < v->u.dict.len; i++) {
            n += count_shared_strings(v->u.dict.items[i].key);
            n += count_shared_strings(v->u.dict.items[i].val);
        }
    }
    return n;
}

/* test_small_files - the two-byte empty dict and the small data files */
static void test_small_files(void **state)
{
    struct value_arena *arena = value_arena_new();
    struct marshal_info info;
    struct value *v = NULL;
    struct value *e = NULL;

    (void)state;
    v = load(arena, MMFIX_CORPUS_DIR "/lich-bot-mailman/misc/pending_subscriptions.db", &info);
    assert_int_equal(v->type, VALUE_DICT);
    assert_int_equal(value_len(v), 0);
    assert_int_equal(info.version, 0);
    assert_int_equal(info.objects, 1);

    v = load(arena, MM20 "/before/lists/es/request.db", &info);
    assert_int_equal(info.version, 2);
    assert_int_equal(v->type, VALUE_DICT);
    assert_int_equal(value_len(v), 2);
    e = v->u.dict.items[0].val;  /* {1: (2, (when, addr, pw, digest))} */
    assert_int_equal(v->u.dict.items[0].key->u.i, 1);
    assert_int_equal(e->type, VALUE_TUPLE);
    assert_int_equal(e->u.seq.items[0]->u.i, 2);
    e = e->u.seq.items[1];
    assert_int_equal(e->type, VALUE_TUPLE);
    assert_true(e->u.seq.items[0]->type == VALUE_FLOAT &&
                e->u.seq.items[0]->u.f == 1795827825.888828);
    assert_true(value_str_eq(e->u.seq.items[1], "nuevo.usuario@gmail.com"));
    assert_true(value_str_eq(e->u.seq.items[2], "clave123"));

    v = load(arena, MM20 "/before/data/pending_subscriptions.db", &info);
    assert_int_equal(info.version, 1);
    assert_int_equal(v->type, VALUE_DICT);
    e = value_dict_get_str(arena, v, "lastculltime");
    assert_non_null(e);
    assert_int_equal(e->type, VALUE_INT);
    assert_int_equal(e->u.i, 1795827826);
    value_arena_free(&arena);
}

/* test_corpus_lists - the 2.0 lists: formats per the corpus README, known values */
static void test_corpus_lists(void **state)
{
    static const struct {
        const char *list;
        int version;
    } lists[] = {
        { "cs", 0 }, { "mailman", 0 }, { "es", 1 }, { "ldc-anuncios", 1 }, { "vacia", 1 },
    };
    static const char *const trees[] = { "before", "after-update-2.1.39" };
    static const char *const files[] = { "config.db", "config.db.last" };
    size_t i;
    size_t j;
    size_t k;

    (void)state;
    for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        for (j = 0; j < 2; j++) {
            for (k = 0; k < 2; k++) {
                char *path = xasprintf("%s/%s/lists/%s/%s", MM20, trees[j], lists[i].list,
                                       files[k]);
                struct value_arena *arena = value_arena_new();
                struct marshal_info info;
                struct value *v = load(arena, path, &info);

                assert_int_equal(v->type, VALUE_DICT);
                if (info.version != lists[i].version) {
                    fail_msg("%s: version %d, want %d", path, info.version, lists[i].version);
                }
                assert_non_null(value_dict_get_str(arena, v, "real_name"));
                assert_non_null(value_dict_get_str(arena, v, "members"));
                assert_non_null(value_dict_get_str(arena, v, "data_version"));
                if (lists[i].version == 0) {
                    assert_int_equal(info.interned, 0);
                    assert_int_equal(count_shared_strings(v), 0);
                } else {
                    assert_true(info.interned > 0);
                    assert_true(count_shared_strings(v) > 0);
                }
                value_arena_free(&arena);
                free(path);
            }
        }
    }
}

/* test_cs_values - values of before/lists/cs/config.db, as python3 printed them */
static void test_cs_values(void **state)
{
    struct value_arena *arena = value_arena_new();
    struct marshal_info info;
    struct value *v = load(arena, MM20 "/before/lists/cs/config.db", &info);
    struct value *e = NULL;
    struct value *b = NULL;

    (void)state;
    assert_int_equal(v->type, VALUE_DICT);
    assert_int_equal(value_len(v), 84);
    assert_true(value_str_eq(v->u.dict.items[0].key, "next_digest_number"));
    assert_true(value_str_eq(v->u.dict.items[1].key, "private_roster"));
    e = value_dict_get_str(arena, v, "real_name");
    assert_int_equal(e->type, VALUE_BYTES);
    assert_true(value_str_eq(e, "Cs"));
    e = value_dict_get_str(arena, v, "members");
    assert_int_equal(e->type, VALUE_DICT);
    assert_int_equal(value_len(e), 102);
    assert_true(value_str_eq(e->u.dict.items[0].key, "mdolezal90@seznam.cz"));
    assert_int_equal(e->u.dict.items[0].val->u.i, 0);
    assert_int_equal(value_len(value_dict_get_str(arena, v, "digest_members")), 18);
    assert_int_equal(value_len(value_dict_get_str(arena, v, "passwords")), 120);
    e = value_dict_get_str(arena, v, "passwords");
    assert_true(value_str_eq(value_dict_get_str(arena, e, "mdolezal90@seznam.cz"), "aceduk"));
    e = value_dict_get_str(arena, v, "owner");
    assert_int_equal(e->type, VALUE_LIST);
    assert_true(value_str_eq(e->u.seq.items[0], "admin-cs@ldc.usb.ve"));
    assert_int_equal(value_dict_get_str(arena, v, "data_version")->u.i, 21);
    assert_true(value_str_eq(value_dict_get_str(arena, v, "host_name"), "ldc.usb.ve"));
    assert_true(value_str_eq(value_dict_get_str(arena, v, "web_page_url"),
                             "http://www.ldc.usb.ve/mailman/"));
    e = value_dict_get_str(arena, v, "description");
    assert_int_equal(e->type, VALUE_BYTES);
    assert_int_equal(e->u.str.len, 26);
    assert_memory_equal(e->u.str.data, "\xc8" "esk\xe1 konference u\xbe" "ivatel\xf9", 26);
    e = value_dict_get_str(arena, v, "bounce_info");
    b = value_dict_get_str(arena, e, "pcerny87@email.cz");
    assert_int_equal(b->type, VALUE_LIST);
    assert_true(b->u.seq.items[0]->u.f == 1795827825.873252);
    assert_true(b->u.seq.items[1]->u.f == 605.0);
    assert_true(b->u.seq.items[2]->u.f == 608.0);
    value_arena_free(&arena);
}

/* test_corpus_canonical - every corpus marshal file agrees with Python 3's marshal */
static void test_corpus_canonical(void **state)
{
    DIR *dir = opendir(EXPECTED_DIR);
    struct dirent *de = NULL;
    size_t files = 0;

    (void)state;
    assert_non_null(dir);
    while ((de = readdir(dir)) != NULL) {
        size_t nlen = strlen(de->d_name);
        struct strbuf rel = STRBUF_INIT;
        struct strbuf got = STRBUF_INIT;
        struct value_arena *arena = NULL;
        struct marshal_info info;
        struct value *v = NULL;
        char *path = NULL;
        char *expected_path = NULL;
        unsigned char *want = NULL;
        size_t want_len = 0;
        const char *p = NULL;

        if (nlen < 5 || strcmp(de->d_name + nlen - 4, ".txt") != 0) {
            continue;
        }
        /* a__b__c.db.txt -> a/b/c.db */
        for (p = de->d_name; p < de->d_name + nlen - 4; p++) {
            if (p[0] == '_' && p[1] == '_') {
                strbuf_addc(&rel, '/');
                p++;
            } else {
                strbuf_addc(&rel, *p);
            }
        }
        path = xasprintf("%s/%s", MMFIX_CORPUS_DIR, strbuf_cstr(&rel));
        expected_path = xasprintf("%s/%s", EXPECTED_DIR, de->d_name);
        arena = value_arena_new();
        v = load(arena, path, &info);
        strbuf_addf(&got, "version %d\n", info.version);
        canon_render(&got, v, 0, "");
        want = read_whole(expected_path, &want_len);
        assert_non_null(want);
        if (want_len != got.len || memcmp(want, got.buf, got.len) != 0) {
            size_t i = 0;

            while (i < want_len && i < got.len && want[i] == (unsigned char)got.buf[i]) {
                i++;
            }
            fail_msg("%s differs from %s at byte %zu: got '%.60s', want '%.60s'", path,
                     expected_path, i, got.buf + i, (const char *)want + i);
        }
        files++;
        free(want);
        free(path);
        free(expected_path);
        strbuf_release(&rel);
        strbuf_release(&got);
        value_arena_free(&arena);
    }
    closedir(dir);
    assert_int_equal(files, 23);
}

/* test_read_file_errors - missing, not a file, too big, trailing bytes */
static void test_read_file_errors(void **state)
{
    struct value_arena *arena = value_arena_new();
    struct value *root = NULL;
    struct marshal_info info;
    enum load_error kind = LOAD_OK;
    const char *err = NULL;
    struct load_limits lim = { 1000, 0, 0 };
    char tmpl[] = "/tmp/test_marshal.XXXXXX";
    int fd;

    (void)state;
    assert_int_equal(marshal_read_file(MM20 "/before/lists/cs/no-such.db", NULL, arena, &root,
                                       &info, &kind, &err), -1);
    assert_int_equal(kind, LOAD_MISSING);
    assert_null(root);
    assert_non_null(strstr(err, "no-such.db"));
    assert_int_equal(marshal_read_file(MM20 "/before/lists/cs", NULL, arena, &root, &info,
                                       &kind, &err), -1);
    assert_int_equal(kind, LOAD_IO);
    assert_non_null(strstr(err, "not a regular file (directory)"));
    assert_int_equal(marshal_read_file(MM20 "/before/lists/cs/config.db", &lim, arena, &root,
                                       &info, &kind, &err), -1);
    assert_int_equal(kind, LOAD_LIMIT);
    assert_non_null(strstr(err, "14713 bytes, larger than the limit of 1000 bytes"));
    lim.max_bytes = 2;
    assert_int_equal(marshal_read_file(MMFIX_CORPUS_DIR "/lich-bot-mailman/misc/"
                                       "pending_subscriptions.db", &lim, arena, &root, &info,
                                       &kind, &err), 0);
    assert_int_equal(kind, LOAD_OK);

    fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "{0{0", 4), 4);
    close(fd);
    assert_int_equal(marshal_read_file(tmpl, NULL, arena, &root, &info, &kind, &err), -1);
    assert_int_equal(kind, LOAD_CORRUPT);
    assert_non_null(strstr(err, "trailing data at offset 2"));
    fd = open(tmpl, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(marshal_read_file(tmpl, NULL, arena, &root, &info, &kind, &err), -1);
    assert_int_equal(kind, LOAD_CORRUPT);
    unlink(tmpl);
    value_arena_free(&arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_interned_shared),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_object_limit),
        cmocka_unit_test(test_long_limit),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_small_files),
        cmocka_unit_test(test_corpus_lists),
        cmocka_unit_test(test_cs_values),
        cmocka_unit_test(test_corpus_canonical),
        cmocka_unit_test(test_read_file_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
