#ifndef MMFIX_REPR_H
#define MMFIX_REPR_H

#include "mmfix/strbuf.h"
#include "mmfix/value.h"

/*
 * Python 2 repr() of a value, as `bin/dumpdb` and `config_list -o` print
 * them: 'str' with \x escapes, u'unicode' with \x/\u escapes, 5L for longs,
 * True/False, (1,) tuples. Instances print as <Module.Class {state}>.
 * Shared containers print once per reference (Python does the same).
 */

/* repr_value - append the repr of v to out */
void repr_value(struct strbuf *out, const struct value *v);
/* repr_bytes - the repr of a Python 2 str */
void repr_bytes(struct strbuf *out, const unsigned char *data, size_t len);

#endif
