#ifndef MMFIX_XALLOC_H
#define MMFIX_XALLOC_H

#include <stddef.h>

/* Allocate-or-die wrappers: on out-of-memory they print one line and exit
 * with status 70, so callers never test for NULL. xmalloc(0) returns a
 * valid unique pointer. */
void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
/* xreallocarray - xrealloc(ptr, nmemb * size) with overflow check */
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);
/* xasprintf - printf into a freshly allocated string */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
