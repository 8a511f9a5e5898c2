/*
 * errstr - short-lived error texts for error_r
 */
#include <stdarg.h>
#include <stdio.h>

#include "mmfix/errstr.h"

static _Thread_local char errstr_ring[ERRSTR_RING][ERRSTR_MAX];
static _Thread_local unsigned errstr_next;

/* errstr - format an error text into the ring */
const char *errstr(const char *fmt, ...)
{
    va_list ap;
    char *buf = errstr_ring[errstr_next++ % ERRSTR_RING];

    va_start(ap, fmt);
    vsnprintf(buf, ERRSTR_MAX, fmt, ap);
    va_end(ap);
    return buf;
}
