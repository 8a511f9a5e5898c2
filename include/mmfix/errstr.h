#ifndef MMFIX_ERRSTR_H
#define MMFIX_ERRSTR_H

/*
 * Error texts for the `const char **error_r` convention. errstr() formats
 * into one of a small ring of static buffers and returns it: the text stays
 * valid until errstr() has been called ERRSTR_RING more times, which is long
 * enough for a caller to print it or wrap it in another errstr(). Callers
 * that keep an error longer copy it. Texts longer than ERRSTR_MAX are cut.
 */

#define ERRSTR_RING 16
#define ERRSTR_MAX 1024

const char *errstr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
