/*
 * testfault - fail the Nth call of a point, as the environment says
 *
 * DESCRIPTION
 *  MMFIX_TEST_FAIL_<POINT>=N[,N...] or "*". Calls are counted only while
 *  the variable is set, so an unset one costs a getenv() and nothing else.
 *  The counts live in a small table of point names, sized for the points
 *  the code has; a point beyond it never fires in testfault_hit().
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmfix/testfault.h"

#define TESTFAULT_POINTS 16
#define TESTFAULT_NAME_MAX 32

static struct {
    char name[TESTFAULT_NAME_MAX];
    unsigned long calls;
} testfault_counts[TESTFAULT_POINTS];

/* spec_of - the variable's value for point, NULL when unset or empty */
static const char *spec_of(const char *point)
{
    char var[sizeof("MMFIX_TEST_FAIL_") + TESTFAULT_NAME_MAX];
    size_t len = strlen(point);
    const char *s = NULL;
    size_t i;

    if (len >= TESTFAULT_NAME_MAX) {
        return NULL;
    }
    memcpy(var, "MMFIX_TEST_FAIL_", sizeof("MMFIX_TEST_FAIL_") - 1);
    for (i = 0; i < len; i++) {
        var[sizeof("MMFIX_TEST_FAIL_") - 1 + i] = (char)toupper((unsigned char)point[i]);
    }
    var[sizeof("MMFIX_TEST_FAIL_") - 1 + len] = '\0';
    s = getenv(var);
    return s != NULL && *s != '\0' ? s : NULL;
}

/* listed - n in "N,N,..." or "*"; a value that is not such a list, in
 * whole, lists nothing */
static bool listed(const char *spec, unsigned long n)
{
    const char *p = spec;
    bool found = false;

    if (strcmp(spec, "*") == 0) {
        return true;
    }
    for (;;) {
        char *end = NULL;

        if (!isdigit((unsigned char)*p)) {
            return false;
        }
        found |= strtoul(p, &end, 10) == n;
        p = end;
        if (*p == '\0') {
            return found;
        }
        if (*p != ',') {
            return false;
        }
        p++;
    }
}

/* count_call - the number of this call at point, 0 when the table is full */
static unsigned long count_call(const char *point)
{
    size_t i;

    for (i = 0; i < TESTFAULT_POINTS; i++) {
        if (testfault_counts[i].name[0] == '\0') {
            snprintf(testfault_counts[i].name, TESTFAULT_NAME_MAX, "%s", point);
        }
        if (strcmp(testfault_counts[i].name, point) == 0) {
            return ++testfault_counts[i].calls;
        }
    }
    return 0;
}

/* testfault_hit - count a call, fail it when listed */
bool testfault_hit(const char *point, int errnum)
{
    const char *spec = spec_of(point);
    unsigned long n;

    if (spec == NULL) {
        return false;
    }
    n = count_call(point);
    if (n == 0 || !listed(spec, n)) {
        return false;
    }
    errno = errnum;
    return true;
}

/* testfault_at - is n listed */
bool testfault_at(const char *point, unsigned long n)
{
    const char *spec = spec_of(point);

    return spec != NULL && listed(spec, n);
}

/* testfault_reset - forget the counts */
void testfault_reset(void)
{
    memset(testfault_counts, 0, sizeof(testfault_counts));
}
