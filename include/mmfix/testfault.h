#ifndef MMFIX_TESTFAULT_H
#define MMFIX_TESTFAULT_H

#include <stdbool.h>

/*
 * Fault injection for tests: make the Nth call of a system call (or the Nth
 * event of any kind) fail, chosen from the environment, so tests can reach
 * error paths that a healthy machine never takes. A point is a short
 * lower-case name ("fork", "pipe"); its variable is MMFIX_TEST_FAIL_ followed
 * by the name in upper case (MMFIX_TEST_FAIL_FORK). The value is a comma
 * list of 1-based numbers ("2", "1,3,4") or "*" for every one. With the
 * variable unset or empty nothing ever fails and nothing is counted; the
 * cost is one getenv(). A value that is not such a list, in whole, fails
 * nothing. Not thread-safe (the call counts are per process; a forked child starts
 * with its parent's counts).
 */

/* testfault_hit - count one call at point; true, with errno set to errnum,
 * when this call's number is listed in MMFIX_TEST_FAIL_<POINT> */
bool testfault_hit(const char *point, int errnum);

/* testfault_at - true when n is listed in MMFIX_TEST_FAIL_<POINT>; for
 * events the caller numbers itself (the Nth list, the Nth worker); counts
 * nothing */
bool testfault_at(const char *point, unsigned long n);

/* testfault_reset - forget the call counts (unit tests) */
void testfault_reset(void);

#endif
