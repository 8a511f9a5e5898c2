/*
 * test_sha1 - the FIPS 180 test vectors, messages that end at and around
 * the 55/56/64-byte padding boundaries (against Python's hashlib values),
 * and input fed in uneven pieces.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mmfix/sha1.h"

/* hex_of - the digest through init/update/hex, which sha1_of must give too */
static void hex_of(const void *data, size_t len, char out[41])
{
    struct sha1 s;
    char once[41];

    sha1_init(&s);
    sha1_update(&s, data, len);
    sha1_hex(&s, out);
    sha1_of(data, len, once);
    assert_string_equal(once, out);
}

static void test_sha1_vectors(void **state)
{
    char hex[41];
    char a55[55], a56[56], a64[64];
    (void)state;

    hex_of("", 0, hex);
    assert_string_equal(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    hex_of("abc", 3, hex);
    assert_string_equal(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
    assert_string_equal(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    memset(a55, 'a', sizeof(a55));
    memset(a56, 'a', sizeof(a56));
    memset(a64, 'a', sizeof(a64));
    hex_of(a55, sizeof(a55), hex);
    assert_string_equal(hex, "c1c8bbdc22796e28c0e15163d20899b65621d65a");
    hex_of(a56, sizeof(a56), hex);
    assert_string_equal(hex, "c2db330f6083854c99d4b5bfb6e8f29f201be699");
    hex_of(a64, sizeof(a64), hex);
    assert_string_equal(hex, "0098ba824b5c16427bd7a1122a5a442a25ec644d");
}

static void test_sha1_million(void **state)
{
    struct sha1 s;
    char chunk[997];
    char hex[41];
    size_t left = 1000000;
    (void)state;

    memset(chunk, 'a', sizeof(chunk));
    sha1_init(&s);
    while (left > 0) {
        size_t n = left < sizeof(chunk) ? left : sizeof(chunk);
        sha1_update(&s, chunk, n);
        left -= n;
    }
    sha1_hex(&s, hex);
    assert_string_equal(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha1_vectors),
        cmocka_unit_test(test_sha1_million),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
