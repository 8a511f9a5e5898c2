#ifndef MMFIX_TEST_HARNESS_VALUE_H
#define MMFIX_TEST_HARNESS_VALUE_H

/*
 * Value trees for unit tests, written as typed JSON (SPEC §3): inputs built
 * in one line, results compared the way Python compares the loaded objects.
 * Helpers fail the running cmocka test.
 */

#include "mmfix/value.h"

/* harness_value - the value of the typed JSON text json (us-ascii strings) */
struct value *harness_value(struct value_arena *arena, const char *json);
/* harness_expect_value - got equals the typed JSON want (value_equal);
 * on failure both reprs are printed */
void harness_expect_value(struct value_arena *arena, const struct value *got,
                          const char *want);

#endif
