#ifndef MMFIX_HELDMSG_H
#define MMFIX_HELDMSG_H

/*
 * A held message as RFC 822 bytes. Mailman 2.1 pickles the message it
 * holds for the moderator (data/heldmsg-<list>-<id>.pck) as a
 * Mailman.Message.Message, an email.Message.Message of Python 2's email
 * package 4; mmfix's restricted unpickler loads it as an inert record
 * whose state is the object's __dict__: _headers (a list of (name, value)
 * pairs in order), _payload (a str, or a list of the parts' records),
 * _unixfrom, preamble, epilogue, _default_type.
 *
 * heldmsg_write flattens that record the way Python 2.7's
 * email.generator.Generator does (msg.as_string()), except that header
 * values are written as stored, never re-folded: the headers and body a
 * mail parser reads back are the ones Mailman held.
 */

#include <stdbool.h>

#include "mmfix/strbuf.h"
#include "mmfix/value.h"

/* The class of the records heldmsg_write takes */
#define HELDMSG_CLASS "Mailman.Message.Message"

/* heldmsg_write - append the message record msg as RFC 822 text to out (lines end in "\n",
 * as Mailman stored them; no "From " line). -1 with error_r when msg is not such a record
 * (a header that is not a (str, str) pair, a payload of the wrong kind, parts nested
 * deeper than 100 levels); out is then as it was. */
int heldmsg_write(const struct value *msg, struct strbuf *out, const char **error_r);

/* heldmsg_header - the value of the first header called name (case-insensitive) of the
 * message record, or NULL */
const struct value *heldmsg_header(const struct value *msg, const char *name);

#endif
