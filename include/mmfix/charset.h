#ifndef MMFIX_CHARSET_H
#define MMFIX_CHARSET_H

/*
 * Languages, their charsets, and byte-exact conversion between a charset
 * and UTF-8. Mailman 2.1 stores a list's free text as Python 2 str bytes in
 * the charset of its preferred_language (LC_DESCRIPTIONS); mmfix converts
 * such bytes only when the conversion is lossless both ways, and otherwise
 * reports the offset of the first byte that is not.
 *
 * Charset names are normalised ("ISO_8859-2", "iso8859-2" -> "iso-8859-2",
 * "latin-1" -> "iso-8859-1", "ascii" -> "us-ascii", "eucjp" -> "euc-jp",
 * "utf8" -> "utf-8", ...). us-ascii, utf-8 and iso-8859-1 are converted in
 * C; every other charset through glibc iconv with one cached pair of
 * descriptors per charset (not thread-safe; mmfix is single-threaded per
 * process).
 */

#include <stdbool.h>
#include <stddef.h>

#include "mmfix/strbuf.h"

/* The built-in LC_DESCRIPTIONS tables. */
#define CHARSET_TABLE_2_1    1   /* Mailman 2.1 final .. 2.1.5 (DATA_FILE_VERSION 88..) */
#define CHARSET_TABLE_2_1_39 2   /* Mailman 2.1.39 (DATA_FILE_VERSION 112) */

/* Returned in *bad_offset_r when the charset itself is unknown. */
#define CHARSET_UNKNOWN ((size_t)-1)

/* Longest normalised charset name charset_normalize() produces. */
#define CHARSET_NAME_MAX 40

struct charset_language {
    const char *code;         /* "cs", "pt_BR" */
    const char *description;  /* "Czech" (English, as in Defaults.py) */
    const char *charset;      /* "iso-8859-2" */
    const char *direction;    /* "ltr" / "rtl" */
};

/* charset_table - the built-in table (CHARSET_TABLE_*) sorted by code, or
 * NULL for an unknown table number */
const struct charset_language *charset_table(int table, size_t *count_r);

/* CHARSET_RECODED_VERSION - the data_version from which Mailman stores Romanian and Russian as
 * UTF-8 (2.1.19 changed their charsets; versions.py recodes older data) */
#define CHARSET_RECODED_VERSION 108
/* charset_before_recode - the charset Mailman wrote lang's text in before data_version 108
 * ("iso-8859-2" for ro, "koi8-r" for ru), NULL for every other language */
const char *charset_before_recode(const char *lang);
/* charset_for_language - the charset of lang in the built-in table, NULL
 * if the table has no such language */
const char *charset_for_language(const char *lang, int table);

/* charset_language_in_any - lang is a code of either built-in table */
bool charset_language_in_any(const char *lang);

/* charset_normalize - the canonical lower-case name of charset written to
 * buf (size >= CHARSET_NAME_MAX + 1); NULL if the name is empty, too long
 * or holds characters no charset name has */
const char *charset_normalize(const char *charset, char *buf, size_t size);

/* charset_known - charset can be converted (built in or known to iconv) */
bool charset_known(const char *charset);

/* charset_ascii_transparent - every byte below 0x80 is always that ASCII
 * character in charset, never part of a multibyte one: us-ascii, utf-8,
 * iso-8859-*, the EUC family (euc-jp, euc-kr, gb2312), koi8-*, cp125x. Not
 * big5, shift_jis, gbk, gb18030 (ASCII trail bytes), nor stateful or wide
 * charsets. So an ASCII string can be searched and replaced in such bytes
 * without decoding them. */
bool charset_ascii_transparent(const char *charset);

/* charset_is_ascii - every byte < 0x80 */
bool charset_is_ascii(const unsigned char *data, size_t len);

/* charset_utf8_valid - data is strict UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF); else false with the offset of the
 * first byte of the first bad sequence (bad_offset_r may be NULL) */
bool charset_utf8_valid(const unsigned char *data, size_t len, size_t *bad_offset_r);

/* charset_decode - append data[0..len) converted from charset to UTF-8 to
 * *utf8_r. Returns 0 only when every byte decodes AND encoding the result
 * back gives exactly the same bytes (round-trip safe). Otherwise returns
 * -1, leaves *utf8_r as it was, and sets *bad_offset_r to the offset of the
 * first byte that does not decode or round-trip (CHARSET_UNKNOWN when the
 * charset is not known). bad_offset_r may be NULL. Never drops or
 * replaces a byte. */
int charset_decode(const char *charset, const unsigned char *data, size_t len,
                   struct strbuf *utf8_r, size_t *bad_offset_r);

/* charset_encode - the inverse: append utf8[0..len) converted to charset to
 * *out. -1 with the offset in the UTF-8 input of the first character that
 * is not valid UTF-8, cannot be encoded or does not round-trip. */
int charset_encode(const char *charset, const char *utf8, size_t len, struct strbuf *out,
                   size_t *bad_offset_r);

/* charset_cleanup - close the cached iconv descriptors (optional, at exit) */
void charset_cleanup(void);

#endif
