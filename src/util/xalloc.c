/*
 * xalloc - allocate or die
 *
 * The only place besides main.c that may terminate the process: running out
 * of memory leaves nothing sensible to report through error_r.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmfix/xalloc.h"

static void xalloc_die(size_t size)
{
    fprintf(stderr, "mmfix: out of memory allocating %zu bytes\n", size);
    exit(70);
}

/* xmalloc - malloc that never returns NULL */
void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (p == NULL) {
        xalloc_die(size);
    }
    return p;
}

/* xcalloc - calloc that never returns NULL */
void *xcalloc(size_t nmemb, size_t size)
{
    void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
    if (p == NULL) {
        xalloc_die(nmemb * size);
    }
    return p;
}

/* xrealloc - realloc that never returns NULL */
void *xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (p == NULL) {
        xalloc_die(size);
    }
    return p;
}

/* xreallocarray - realloc of an array, overflow-checked */
void *xreallocarray(void *ptr, size_t nmemb, size_t size)
{
    if (size != 0 && nmemb > SIZE_MAX / size) {
        xalloc_die(SIZE_MAX);
    }
    return xrealloc(ptr, nmemb * size);
}

/* xstrdup - strdup that never returns NULL */
char *xstrdup(const char *s)
{
    return xmemdup(s, strlen(s) + 1);
}

/* xstrndup - copy at most n bytes of s, NUL-terminated */
char *xstrndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

/* xmemdup - copy n bytes */
void *xmemdup(const void *src, size_t n)
{
    void *p = xmalloc(n);
    if (n > 0) {
        memcpy(p, src, n);
    }
    return p;
}

/* xasprintf - allocate and format */
char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_list ap2;
    int n;
    char *p = NULL;

    va_start(ap, fmt);
    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        va_end(ap2);
        xalloc_die(0);
    }
    p = xmalloc((size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}
