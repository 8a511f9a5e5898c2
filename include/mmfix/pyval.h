#ifndef MMFIX_PYVAL_H
#define MMFIX_PYVAL_H

/*
 * Python 2 semantics on value trees, for code that must do what a line of
 * Mailman's Python 2 does: truth, ==, str.lower(), `in`, and the UTF-8
 * decoder's idea of valid input.
 *
 * Known limit: lower() is ASCII-only for unicode too (Python 2 lower-cases
 * all of Unicode there; member addresses are str in real data).
 */

#include <stdbool.h>
#include <stddef.h>

#include "mmfix/strbuf.h"
#include "mmfix/value.h"

/* pyval_truth - bool(v) */
bool pyval_truth(const struct value *v);

/* pyval_eq - v == w: str and unicode are equal when the str is ASCII and
 * the same characters; bool, int, long and float compare by value;
 * containers element by element */
bool pyval_eq(const struct value *v, const struct value *w);

/* pyval_in - x in seq (a list or tuple); false for other types */
bool pyval_in(const struct value *x, const struct value *seq);

/* pyval_lower - a new str/unicode of v lower-cased (ASCII letters) */
struct value *pyval_lower(struct value_arena *arena, const struct value *v);

/* pyval_is_lower - v.lower() == v */
bool pyval_is_lower(const struct value *v);

/* pyval_utf8_valid - Python 2.7's UTF-8 decoder accepts data: strict
 * UTF-8 except that encoded surrogates (U+D800..U+DFFF) are accepted */
bool pyval_utf8_valid(const unsigned char *data, size_t len);

/* pyval_as_int - v is a bool or an int: its value in *i_r */
bool pyval_as_int(const struct value *v, long long *i_r);

/* Dicts as Python 2 sees their keys: a str and a unicode of the same
 * ASCII text are the same key (the first key object stays). */
/* pyval_dict_key - the key object of dict equal to key, or NULL */
struct value *pyval_dict_key(struct value_arena *arena, struct value *dict,
                             const struct value *key);
/* pyval_dict_get - d.get(key): the value, or NULL */
struct value *pyval_dict_get(struct value_arena *arena, struct value *dict,
                             const struct value *key);
/* pyval_dict_set - d[key] = val */
void pyval_dict_set(struct value_arena *arena, struct value *dict, struct value *key,
                    struct value *val);
/* pyval_dict_del - del d[key] when present; true if it was */
bool pyval_dict_del(struct value_arena *arena, struct value *dict, const struct value *key);

/* pyval_repr_short - repr(v), cut to 60 characters with "...", in sb
 * (reset first); returns its text */
const char *pyval_repr_short(struct strbuf *sb, const struct value *v);

#endif
