/*
 * sha1 - SHA-1 through OpenSSL's libcrypto (sha1.h)
 *
 * DESCRIPTION
 *  libcrypto's SHA-1 is tested by everyone and uses the CPU's SHA
 *  instructions where it has them: five to ten times the speed of a
 *  portable C loop, which matters when every file a run leaves is hashed
 *  for the journal (migrate over 2000 lists hashes 80 MB of config.pck).
 *  An allocation failure is treated as xalloc treats one.
 */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "mmfix/sha1.h"

/* sha1_die - libcrypto could not give a digest context: out of memory */
static void sha1_die(void)
{
    fputs("mmfix: out of memory (SHA-1 context)\n", stderr);
    exit(70);
}

/* sha1_init - a fresh digest */
void sha1_init(struct sha1 *s)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        sha1_die();
    }
    s->ctx = ctx;
}

/* sha1_update - feed bytes */
void sha1_update(struct sha1 *s, const void *data, size_t len)
{
    if (len > 0 && EVP_DigestUpdate(s->ctx, data, len) != 1) {
        sha1_die();
    }
}

/* sha1_of - init, one update, hex */
void sha1_of(const void *data, size_t len, char out[41])
{
    struct sha1 s;

    sha1_init(&s);
    sha1_update(&s, data, len);
    sha1_hex(&s, out);
}

/* sha1_hex - finish: 40 lowercase hex digits and a NUL; the context is freed */
void sha1_hex(struct sha1 *s, char out[41])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    unsigned int i;

    if (EVP_DigestFinal_ex(s->ctx, md, &n) != 1 || n != 20) {
        sha1_die();
    }
    EVP_MD_CTX_free(s->ctx);
    s->ctx = NULL;
    for (i = 0; i < 20; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[40] = '\0';
}
