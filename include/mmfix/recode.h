#ifndef MMFIX_RECODE_H
#define MMFIX_RECODE_H

/*
 * versions.py's recode of a list whose language changed its charset
 * (Romanian iso-8859-2 and Russian koi8-r became UTF-8 in Mailman 2.1.19):
 * every Python 2 str in a value, recursively through lists, tuples and
 * dict values (not dict keys, not unicode, not instances), that decodes in
 * the old charset and is not UTF-8 already (by Python 2.7's decoder) is
 * replaced by its UTF-8 form. Lists and dicts change in place, a tuple is
 * made anew, as Python does.
 */

#include <stddef.h>

#include "mmfix/value.h"

/* Python's recursion limit, less what Mailman's own frames take */
#define RECODE_MAX_DEPTH 950

/* recode_value - recode v from charset `from`; *nv_r is the new value, or
 * NULL when nothing changed; *count_r grows by the strings recoded.
 * -1 with error_r for nesting deeper than RECODE_MAX_DEPTH (where Python
 * fails with RuntimeError) or a reference cycle. */
int recode_value(struct value_arena *arena, struct value *v, const char *from,
                 struct value **nv_r, size_t *count_r, const char **error_r);

#endif
