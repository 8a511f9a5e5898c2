/*
 * sha1 - SHA-1 as FIPS 180-4 defines it
 */
#include <string.h>

#include "mmfix/sha1.h"

static uint32_t rol(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32u - n));
}

static void sha1_block(struct sha1 *s, const unsigned char *b)
{
    uint32_t w[80];
    uint32_t a = s->h[0], bb = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4];
    unsigned i;

    for (i = 0; i < 16; i++) {
        w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16
               | (uint32_t)b[4 * i + 2] << 8 | (uint32_t)b[4 * i + 3];
    }
    for (i = 16; i < 80; i++) {
        w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    }
    for (i = 0; i < 80; i++) {
        uint32_t f;
        uint32_t k;
        uint32_t t;
        if (i < 20) {
            f = (bb & c) | (~bb & d);
            k = 0x5a827999u;
        } else if (i < 40) {
            f = bb ^ c ^ d;
            k = 0x6ed9eba1u;
        } else if (i < 60) {
            f = (bb & c) | (bb & d) | (c & d);
            k = 0x8f1bbcdcu;
        } else {
            f = bb ^ c ^ d;
            k = 0xca62c1d6u;
        }
        t = rol(a, 5) + f + e + k + w[i];
        e = d;
        d = c;
        c = rol(bb, 30);
        bb = a;
        a = t;
    }
    s->h[0] += a;
    s->h[1] += bb;
    s->h[2] += c;
    s->h[3] += d;
    s->h[4] += e;
}

/* sha1_init - the initial hash value */
void sha1_init(struct sha1 *s)
{
    static const uint32_t init[5] = { 0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u,
                                      0xc3d2e1f0u };

    memcpy(s->h, init, sizeof(init));
    s->total = 0;
    s->used = 0;
}

/* sha1_update - fill the block, compress each full one */
void sha1_update(struct sha1 *s, const void *data, size_t len)
{
    const unsigned char *p = data;

    s->total += len;
    while (len > 0) {
        size_t n = sizeof(s->block) - s->used;
        if (n > len) {
            n = len;
        }
        memcpy(s->block + s->used, p, n);
        s->used += n;
        p += n;
        len -= n;
        if (s->used == sizeof(s->block)) {
            sha1_block(s, s->block);
            s->used = 0;
        }
    }
}

/* sha1_hex - pad with 0x80, zeros and the bit length, then print */
void sha1_hex(struct sha1 *s, char out[41])
{
    static const char digits[] = "0123456789abcdef";
    uint64_t bits = s->total * 8u;
    unsigned char pad[72];
    size_t npad = (s->used < 56 ? 56 - s->used : 120 - s->used);
    unsigned i;

    memset(pad, 0, sizeof(pad));
    pad[0] = 0x80;
    for (i = 0; i < 8; i++) {
        pad[npad + i] = (unsigned char)(bits >> (56 - 8 * i));
    }
    sha1_update(s, pad, npad + 8);
    for (i = 0; i < 20; i++) {
        unsigned char byte = (unsigned char)(s->h[i / 4] >> (24 - 8 * (i % 4)));
        out[2 * i] = digits[byte >> 4];
        out[2 * i + 1] = digits[byte & 15];
    }
    out[40] = '\0';
}
