#ifndef MMFIX_SHA1_H
#define MMFIX_SHA1_H

/*
 * SHA-1 (FIPS 180-4, OpenSSL's libcrypto), for the names Mailman gives its
 * queue files (Switchboard: <time>+<sha1 hexdigest>.pck) and the journal's
 * after-images. Not for security. Every sha1_init is finished by sha1_hex,
 * which frees what init took.
 */

#include <stddef.h>
#include <stdint.h>

struct sha1 {
    void *ctx;                 /* libcrypto's digest context, until sha1_hex */
};

/* sha1_init - start a digest */
void sha1_init(struct sha1 *s);
/* sha1_update - feed len bytes */
void sha1_update(struct sha1 *s, const void *data, size_t len);
/* sha1_hex - finish: 40 lower-case hex digits and a NUL into out */
void sha1_hex(struct sha1 *s, char out[41]);
/* sha1_of - the digest of data[0..len) at once (data may be NULL when len is 0) */
void sha1_of(const void *data, size_t len, char out[41]);

#endif
