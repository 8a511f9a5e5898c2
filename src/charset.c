/*
 * charset - Mailman's language tables and lossless charset conversion
 *
 * DESCRIPTION
 *  The LC_DESCRIPTIONS tables of Mailman 2.1 final and 2.1.39 as built into
 *  their Defaults.py.in (add_language lines), and conversion between a list
 *  charset and UTF-8 that refuses anything it cannot undo: a conversion
 *  succeeds only if converting its result back yields the input bytes
 *  exactly. us-ascii (strict: bytes >= 0x80 are errors), utf-8 (strict) and
 *  iso-8859-1 are done in C; everything else through glibc iconv, with the
 *  decoder and encoder of each charset opened once and cached. Pure ASCII
 *  input to an ASCII-compatible charset never reaches iconv.
 *
 *  When a whole-buffer round trip fails, the input is walked again one
 *  character at a time to find the offset of the first offending byte.
 *
 * SECURITY
 *  Converts untrusted bytes from list configurations. Every length is
 *  checked before it is used; iconv output goes into a strbuf grown for
 *  each E2BIG; nothing is ever truncated or replaced silently.
 */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mmfix/charset.h"
#include "mmfix/xalloc.h"

/* Mailman 2.1 final, Mailman/Defaults.py.in (add_language had no direction
 * argument then; every language was left-to-right). */
static const struct charset_language table_2_1[] = {
    { "big5",  "Traditional Chinese", "big5",        "ltr" },
    { "cs",    "Czech",               "iso-8859-2",  "ltr" },
    { "de",    "German",              "iso-8859-1",  "ltr" },
    { "en",    "English (USA)",       "us-ascii",    "ltr" },
    { "es",    "Spanish (Spain)",     "iso-8859-1",  "ltr" },
    { "et",    "Estonian",            "iso-8859-15", "ltr" },
    { "fi",    "Finnish",             "iso-8859-1",  "ltr" },
    { "fr",    "French",              "iso-8859-1",  "ltr" },
    { "gb",    "Simplified Chinese",  "gb2312",      "ltr" },
    { "hu",    "Hungarian",           "iso-8859-2",  "ltr" },
    { "it",    "Italian",             "iso-8859-1",  "ltr" },
    { "ja",    "Japanese",            "euc-jp",      "ltr" },
    { "ko",    "Korean",              "euc-kr",      "ltr" },
    { "lt",    "Lithuanian",          "iso-8859-13", "ltr" },
    { "nl",    "Dutch",               "iso-8859-1",  "ltr" },
    { "no",    "Norwegian",           "iso-8859-1",  "ltr" },
    { "pt_BR", "Portuguese (Brazil)", "iso-8859-1",  "ltr" },
    { "ru",    "Russian",             "koi8-r",      "ltr" },
    { "sv",    "Swedish",             "iso-8859-1",  "ltr" },
};

/* Mailman 2.1.39, Mailman/Defaults.py.in. */
static const struct charset_language table_2_1_39[] = {
    { "ar",    "Arabic",              "utf-8",       "rtl" },
    { "ast",   "Asturian",            "iso-8859-1",  "ltr" },
    { "ca",    "Catalan",             "utf-8",       "ltr" },
    { "cs",    "Czech",               "iso-8859-2",  "ltr" },
    { "da",    "Danish",              "iso-8859-1",  "ltr" },
    { "de",    "German",              "iso-8859-1",  "ltr" },
    { "el",    "Greek",               "iso-8859-7",  "ltr" },
    { "en",    "English (USA)",       "us-ascii",    "ltr" },
    { "eo",    "Esperanto",           "utf-8",       "ltr" },
    { "es",    "Spanish (Spain)",     "iso-8859-1",  "ltr" },
    { "et",    "Estonian",            "iso-8859-15", "ltr" },
    { "eu",    "Euskara",             "iso-8859-15", "ltr" },
    { "fa",    "Persian",             "utf-8",       "rtl" },
    { "fi",    "Finnish",             "iso-8859-1",  "ltr" },
    { "fr",    "French",              "iso-8859-1",  "ltr" },
    { "gl",    "Galician",            "utf-8",       "ltr" },
    { "he",    "Hebrew",              "utf-8",       "rtl" },
    { "hr",    "Croatian",            "iso-8859-2",  "ltr" },
    { "hu",    "Hungarian",           "iso-8859-2",  "ltr" },
    { "ia",    "Interlingua",         "iso-8859-15", "ltr" },
    { "it",    "Italian",             "iso-8859-1",  "ltr" },
    { "ja",    "Japanese",            "euc-jp",      "ltr" },
    { "ko",    "Korean",              "euc-kr",      "ltr" },
    { "lt",    "Lithuanian",          "iso-8859-13", "ltr" },
    { "nl",    "Dutch",               "iso-8859-1",  "ltr" },
    { "no",    "Norwegian",           "iso-8859-1",  "ltr" },
    { "pl",    "Polish",              "iso-8859-2",  "ltr" },
    { "pt",    "Portuguese",          "iso-8859-1",  "ltr" },
    { "pt_BR", "Portuguese (Brazil)", "iso-8859-1",  "ltr" },
    { "ro",    "Romanian",            "utf-8",       "ltr" },
    { "ru",    "Russian",             "utf-8",       "ltr" },
    { "sk",    "Slovak",              "utf-8",       "ltr" },
    { "sl",    "Slovenian",           "iso-8859-2",  "ltr" },
    { "sr",    "Serbian",             "utf-8",       "ltr" },
    { "sv",    "Swedish",             "iso-8859-1",  "ltr" },
    { "tr",    "Turkish",             "iso-8859-9",  "ltr" },
    { "uk",    "Ukrainian",           "utf-8",       "ltr" },
    { "vi",    "Vietnamese",          "utf-8",       "ltr" },
    { "zh_CN", "Chinese (China)",     "utf-8",       "ltr" },
    { "zh_TW", "Chinese (Taiwan)",    "utf-8",       "ltr" },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* charset_table - a built-in table */
const struct charset_language *charset_table(int table, size_t *count_r)
{
    switch (table) {
    case CHARSET_TABLE_2_1:
        *count_r = NELEM(table_2_1);
        return table_2_1;
    case CHARSET_TABLE_2_1_39:
        *count_r = NELEM(table_2_1_39);
        return table_2_1_39;
    default:
        *count_r = 0;
        return NULL;
    }
}

/* charset_before_recode - Romanian and Russian before Mailman 2.1.19 */
const char *charset_before_recode(const char *lang)
{
    if (lang == NULL) {
        return NULL;
    }
    if (strcmp(lang, "ro") == 0) {
        return "iso-8859-2";
    }
    if (strcmp(lang, "ru") == 0) {
        return "koi8-r";
    }
    return NULL;
}

/* charset_for_language - lookup in a built-in table */
const char *charset_for_language(const char *lang, int table)
{
    size_t n = 0;
    const struct charset_language *t = charset_table(table, &n);
    size_t i;

    if (lang == NULL) {
        return NULL;
    }
    for (i = 0; i < n; i++) {
        if (strcmp(t[i].code, lang) == 0) {
            return t[i].charset;
        }
    }
    return NULL;
}

/* charset_language_in_any - code of either table */
bool charset_language_in_any(const char *lang)
{
    return charset_for_language(lang, CHARSET_TABLE_2_1) != NULL
        || charset_for_language(lang, CHARSET_TABLE_2_1_39) != NULL;
}

/* ---------------------------------------------------------------------- */
/* names */

struct alias {
    const char *name;       /* as written after lower-casing and _ -> - */
    const char *canonical;
};

static const struct alias aliases[] = {
    { "ascii", "us-ascii" },          { "us", "us-ascii" },
    { "ansi-x3.4-1968", "us-ascii" }, { "646", "us-ascii" },
    { "iso646-us", "us-ascii" },      { "utf8", "utf-8" },
    { "latin1", "iso-8859-1" },       { "latin-1", "iso-8859-1" },
    { "l1", "iso-8859-1" },           { "latin2", "iso-8859-2" },
    { "latin-2", "iso-8859-2" },      { "latin9", "iso-8859-15" },
    { "latin-9", "iso-8859-15" },     { "eucjp", "euc-jp" },
    { "ujis", "euc-jp" },             { "u-jis", "euc-jp" },
    { "euckr", "euc-kr" },            { "koi8r", "koi8-r" },
    { "big5-tw", "big5" },            { "csbig5", "big5" },
    { "euc-cn", "gb2312" },           { "euccn", "gb2312" },
    { "shift-jis", "shift_jis" },     { "sjis", "shift_jis" },
    { "s-jis", "shift_jis" },         { "windows-1252", "cp1252" },
    { "windows-1251", "cp1251" },     { "windows-1250", "cp1250" },
};

/* charset_normalize - canonical lower-case name */
const char *charset_normalize(const char *charset, char *buf, size_t size)
{
    size_t n;
    size_t i;

    if (charset == NULL || size < CHARSET_NAME_MAX + 1) {
        return NULL;
    }
    n = strlen(charset);
    if (n == 0 || n > CHARSET_NAME_MAX) {
        return NULL;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)charset[i];
        if (c >= 'A' && c <= 'Z') {
            c = (unsigned char)(c - 'A' + 'a');
        } else if (c == '_') {
            c = '-';
        } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
                     || c == '.' || c == ':')) {
            return NULL;
        }
        buf[i] = (char)c;
    }
    buf[n] = '\0';
    /* iso8859-2, iso-8859-2, iso8859_2, iso-88592 -> iso-8859-2 */
    if (strncmp(buf, "iso", 3) == 0) {
        const char *p = buf + 3;
        if (*p == '-') {
            p++;
        }
        if (strncmp(p, "8859", 4) == 0) {
            char num[8];
            p += 4;
            if (*p == '-') {
                p++;
            }
            if (*p != '\0' && strlen(p) < sizeof(num) && strspn(p, "0123456789") == strlen(p)) {
                memcpy(num, p, strlen(p) + 1);
                snprintf(buf, size, "iso-8859-%s", num);
                return buf;
            }
        }
    }
    if (strcmp(buf, "utf-8") == 0 || strcmp(buf, "us-ascii") == 0) {
        return buf;
    }
    for (i = 0; i < NELEM(aliases); i++) {
        if (strcmp(buf, aliases[i].name) == 0) {
            snprintf(buf, size, "%s", aliases[i].canonical);
            break;
        }
    }
    return buf;
}

/* ---------------------------------------------------------------------- */
/* iconv descriptor cache */

#define CACHE_SIZE 24

struct cd_entry {
    char name[CHARSET_NAME_MAX + 1];
    iconv_t dec;   /* charset -> UTF-8 */
    iconv_t enc;   /* UTF-8 -> charset */
};

static struct cd_entry cache[CACHE_SIZE];
static size_t cache_len;

#define CD_NONE ((iconv_t)-1)

/* open_pair - the decoder and encoder of a canonical name; 0 or -1 */
static int open_pair(const char *name, iconv_t *dec_r, iconv_t *enc_r, bool *cached_r)
{
    const char *iname = name;
    size_t i;

    for (i = 0; i < cache_len; i++) {
        if (strcmp(cache[i].name, name) == 0) {
            *dec_r = cache[i].dec;
            *enc_r = cache[i].enc;
            *cached_r = true;
            return 0;
        }
    }
    if (strcmp(name, "shift_jis") == 0) {
        iname = "SHIFT_JIS";
    }
    *dec_r = iconv_open("UTF-8", iname);
    if (*dec_r == CD_NONE) {
        return -1;
    }
    *enc_r = iconv_open(iname, "UTF-8");
    if (*enc_r == CD_NONE) {
        iconv_close(*dec_r);
        *dec_r = CD_NONE;
        return -1;
    }
    if (cache_len < CACHE_SIZE) {
        snprintf(cache[cache_len].name, sizeof(cache[cache_len].name), "%s", name);
        cache[cache_len].dec = *dec_r;
        cache[cache_len].enc = *enc_r;
        cache_len++;
        *cached_r = true;
    } else {
        *cached_r = false;
    }
    return 0;
}

/* close_pair - close descriptors that are not in the cache */
static void close_pair(iconv_t dec, iconv_t enc, bool cached)
{
    if (!cached) {
        if (dec != CD_NONE) {
            iconv_close(dec);
        }
        if (enc != CD_NONE) {
            iconv_close(enc);
        }
    }
}

/* charset_cleanup - close cached descriptors */
void charset_cleanup(void)
{
    size_t i;

    for (i = 0; i < cache_len; i++) {
        iconv_close(cache[i].dec);
        iconv_close(cache[i].enc);
    }
    cache_len = 0;
}

enum builtin { BUILTIN_NONE, BUILTIN_ASCII, BUILTIN_UTF8, BUILTIN_LATIN1 };

/* builtin_of - which C converter handles a canonical name */
static enum builtin builtin_of(const char *name)
{
    if (strcmp(name, "us-ascii") == 0) {
        return BUILTIN_ASCII;
    }
    if (strcmp(name, "utf-8") == 0) {
        return BUILTIN_UTF8;
    }
    if (strcmp(name, "iso-8859-1") == 0) {
        return BUILTIN_LATIN1;
    }
    return BUILTIN_NONE;
}

/* ascii_compatible - ASCII bytes mean ASCII in this charset (stateless
 * charsets only: not UTF-16/32, not ISO-2022, not UTF-7) */
static bool ascii_compatible(const char *name)
{
    return strncmp(name, "utf-16", 6) != 0 && strncmp(name, "utf-32", 6) != 0
        && strncmp(name, "ucs", 3) != 0 && strncmp(name, "iso-2022", 8) != 0
        && strcmp(name, "utf-7") != 0 && strncmp(name, "hz", 2) != 0
        && strncmp(name, "cp037", 5) != 0 && strncmp(name, "ebcdic", 6) != 0;
}

/* charset_ascii_transparent - ASCII bytes are always ASCII characters */
bool charset_ascii_transparent(const char *charset)
{
    static const char *const prefixes[] = {
        "iso-8859-", "euc-", "koi8-", "cp125", "windows-125", NULL,
    };
    char buf[CHARSET_NAME_MAX + 1];
    const char *name = charset_normalize(charset, buf, sizeof(buf));
    size_t i;

    if (name == NULL) {
        return false;
    }
    if (strcmp(name, "us-ascii") == 0 || strcmp(name, "utf-8") == 0
        || strcmp(name, "gb2312") == 0) {
        return true;
    }
    for (i = 0; prefixes[i] != NULL; i++) {
        if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0) {
            return true;
        }
    }
    return false;
}

/* charset_known - convertible charset */
bool charset_known(const char *charset)
{
    char buf[CHARSET_NAME_MAX + 1];
    const char *name = charset_normalize(charset, buf, sizeof(buf));
    iconv_t dec = CD_NONE;
    iconv_t enc = CD_NONE;
    bool cached = false;

    if (name == NULL) {
        return false;
    }
    if (builtin_of(name) != BUILTIN_NONE) {
        return true;
    }
    if (open_pair(name, &dec, &enc, &cached) != 0) {
        return false;
    }
    close_pair(dec, enc, cached);
    return true;
}

/* ---------------------------------------------------------------------- */
/* C converters */

/* charset_is_ascii - no byte >= 0x80 */
bool charset_is_ascii(const unsigned char *data, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (data[i] >= 0x80) {
            return false;
        }
    }
    return true;
}

/* utf8_seq - length of the valid UTF-8 sequence at data[0..left), 0 if bad */
static size_t utf8_seq(const unsigned char *d, size_t left)
{
    unsigned char c = d[0];

    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        return left >= 2 && (d[1] & 0xc0) == 0x80 ? 2 : 0;
    }
    if (c >= 0xe0 && c <= 0xef) {
        if (left < 3 || (d[1] & 0xc0) != 0x80 || (d[2] & 0xc0) != 0x80) {
            return 0;
        }
        if (c == 0xe0 && d[1] < 0xa0) {
            return 0;           /* overlong */
        }
        if (c == 0xed && d[1] >= 0xa0) {
            return 0;           /* surrogate */
        }
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (left < 4 || (d[1] & 0xc0) != 0x80 || (d[2] & 0xc0) != 0x80
            || (d[3] & 0xc0) != 0x80) {
            return 0;
        }
        if (c == 0xf0 && d[1] < 0x90) {
            return 0;           /* overlong */
        }
        if (c == 0xf4 && d[1] >= 0x90) {
            return 0;           /* above U+10FFFF */
        }
        return 4;
    }
    return 0;
}

/* charset_utf8_valid - strict UTF-8 check */
bool charset_utf8_valid(const unsigned char *data, size_t len, size_t *bad_offset_r)
{
    size_t i = 0;

    while (i < len) {
        size_t n = utf8_seq(data + i, len - i);
        if (n == 0) {
            if (bad_offset_r != NULL) {
                *bad_offset_r = i;
            }
            return false;
        }
        i += n;
    }
    return true;
}

/* latin1_decode - every byte is the code point of the same value */
static void latin1_decode(const unsigned char *data, size_t len, struct strbuf *out)
{
    size_t i;

    strbuf_grow(out, len * 2);
    for (i = 0; i < len; i++) {
        if (data[i] < 0x80) {
            strbuf_addc(out, (char)data[i]);
        } else {
            strbuf_addc(out, (char)(0xc0 | (data[i] >> 6)));
            strbuf_addc(out, (char)(0x80 | (data[i] & 0x3f)));
        }
    }
}

/* latin1_encode - UTF-8 (already valid) to Latin-1; -1 at a code point
 * above U+00FF */
static int latin1_encode(const unsigned char *u, size_t len, struct strbuf *out,
                         size_t *bad_r)
{
    size_t i = 0;

    while (i < len) {
        if (u[i] < 0x80) {
            strbuf_addc(out, (char)u[i]);
            i++;
        } else if ((u[i] == 0xc2 || u[i] == 0xc3) && i + 1 < len) {
            strbuf_addc(out, (char)(((u[i] & 0x03) << 6) | (u[i + 1] & 0x3f)));
            i += 2;
        } else {
            *bad_r = i;
            return -1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* iconv conversion */

/* run_iconv - convert all of in[0..len) with cd, appending to out; on
 * failure -1 with the input offset where conversion stopped */
static int run_iconv(iconv_t cd, const unsigned char *in, size_t len, struct strbuf *out,
                     size_t *bad_r)
{
    char *ip = (char *)(uintptr_t)in;
    size_t ileft = len;
    size_t room;
    char *op = NULL;
    size_t oleft;
    size_t r;

    iconv(cd, NULL, NULL, NULL, NULL);
    room = len * 2 + 16;
    for (;;) {
        strbuf_grow(out, room);
        op = out->buf + out->len;
        oleft = out->cap - out->len - 1;
        r = iconv(cd, ileft > 0 ? &ip : NULL, ileft > 0 ? &ileft : NULL, &op, &oleft);
        out->len = (size_t)(op - out->buf);
        out->buf[out->len] = '\0';
        if (r != (size_t)-1) {
            if (ileft == 0) {
                break;          /* input done (or flushed, when ileft was 0) */
            }
            continue;
        }
        if (errno == E2BIG) {
            room = room * 2;
            continue;
        }
        *bad_r = (size_t)((const unsigned char *)ip - in);
        return -1;
    }
    /* flush a stateful encoder's final shift sequence */
    for (;;) {
        strbuf_grow(out, 16);
        op = out->buf + out->len;
        oleft = out->cap - out->len - 1;
        r = iconv(cd, NULL, NULL, &op, &oleft);
        out->len = (size_t)(op - out->buf);
        out->buf[out->len] = '\0';
        if (r != (size_t)-1) {
            return 0;
        }
        if (errno != E2BIG) {
            *bad_r = len;
            return -1;
        }
    }
}

/* first_bad_unit - walk in[0..len) one character at a time through fwd and
 * back through rev; the offset of the first character that fails either
 * way, or the first differing byte when every character passes on its own */
static size_t first_bad_unit(iconv_t fwd, iconv_t rev, const unsigned char *in, size_t len,
                             const unsigned char *whole, size_t whole_len)
{
    struct strbuf a = STRBUF_INIT;
    struct strbuf b = STRBUF_INIT;
    size_t p = 0;
    size_t bad = 0;
    size_t i;

    while (p < len) {
        size_t n;
        int ok = 0;
        for (n = 1; n <= 8 && p + n <= len; n++) {
            char *ip = (char *)(uintptr_t)(in + p);
            size_t ileft = n;
            char *op = NULL;
            size_t oleft;
            size_t r;

            strbuf_reset(&a);
            strbuf_grow(&a, 64);
            op = a.buf;
            oleft = a.cap - 1;
            iconv(fwd, NULL, NULL, NULL, NULL);
            r = iconv(fwd, &ip, &ileft, &op, &oleft);
            a.len = (size_t)(op - a.buf);
            if (r == (size_t)-1 && errno == EINVAL) {
                continue;       /* incomplete: take one more byte */
            }
            if (r == (size_t)-1 || ileft != 0) {
                break;
            }
            strbuf_reset(&b);
            if (run_iconv(rev, (const unsigned char *)a.buf, a.len, &b, &bad) == 0
                && b.len == n && memcmp(b.buf, in + p, n) == 0) {
                ok = 1;
            }
            break;
        }
        if (!ok) {
            bad = p;
            goto out;
        }
        p += n;
    }
    /* every character round-trips alone: report the first difference */
    for (i = 0; i < len && i < whole_len && in[i] == whole[i]; i++) {
    }
    bad = i < len ? i : len;
out:
    strbuf_release(&a);
    strbuf_release(&b);
    return bad;
}

/* convert - in -> out through fwd, checked by converting back through rev */
static int convert(iconv_t fwd, iconv_t rev, const unsigned char *in, size_t len,
                   struct strbuf *out, size_t *bad_r)
{
    struct strbuf back = STRBUF_INIT;
    size_t start = out->len;
    size_t bad = 0;
    int ret = -1;

    if (run_iconv(fwd, in, len, out, &bad) != 0) {
        goto out;
    }
    if (run_iconv(rev, (const unsigned char *)out->buf + start, out->len - start, &back,
                  &bad) != 0
        || back.len != len || memcmp(back.buf, in, len) != 0) {
        bad = first_bad_unit(fwd, rev, in, len, (const unsigned char *)back.buf, back.len);
        goto out;
    }
    ret = 0;
out:
    if (ret != 0) {
        out->len = start;
        if (out->buf != NULL) {
            out->buf[start] = '\0';
        }
        *bad_r = bad;
    }
    strbuf_release(&back);
    return ret;
}

/* ---------------------------------------------------------------------- */
/* public conversion */

/* charset_decode - charset bytes to UTF-8, round-trip checked */
int charset_decode(const char *charset, const unsigned char *data, size_t len,
                   struct strbuf *utf8_r, size_t *bad_offset_r)
{
    char buf[CHARSET_NAME_MAX + 1];
    const char *name = charset_normalize(charset, buf, sizeof(buf));
    iconv_t dec = CD_NONE;
    iconv_t enc = CD_NONE;
    bool cached = false;
    size_t bad = 0;
    int ret = -1;

    if (name == NULL) {
        bad = CHARSET_UNKNOWN;
        goto out;
    }
    switch (builtin_of(name)) {
    case BUILTIN_ASCII:
        if (!charset_is_ascii(data, len)) {
            for (bad = 0; data[bad] < 0x80; bad++) {
            }
            goto out;
        }
        strbuf_add(utf8_r, data, len);
        ret = 0;
        goto out;
    case BUILTIN_UTF8:
        if (!charset_utf8_valid(data, len, &bad)) {
            goto out;
        }
        strbuf_add(utf8_r, data, len);
        ret = 0;
        goto out;
    case BUILTIN_LATIN1:
        latin1_decode(data, len, utf8_r);
        ret = 0;
        goto out;
    case BUILTIN_NONE:
        break;
    }
    if (charset_is_ascii(data, len) && ascii_compatible(name)
        && charset_known(name)) {
        strbuf_add(utf8_r, data, len);
        ret = 0;
        goto out;
    }
    if (open_pair(name, &dec, &enc, &cached) != 0) {
        bad = CHARSET_UNKNOWN;
        goto out;
    }
    ret = convert(dec, enc, data, len, utf8_r, &bad);
    close_pair(dec, enc, cached);
out:
    if (ret != 0 && bad_offset_r != NULL) {
        *bad_offset_r = bad;
    }
    return ret;
}

/* charset_encode - UTF-8 to charset bytes, round-trip checked */
int charset_encode(const char *charset, const char *utf8, size_t len, struct strbuf *out,
                   size_t *bad_offset_r)
{
    char buf[CHARSET_NAME_MAX + 1];
    const char *name = charset_normalize(charset, buf, sizeof(buf));
    const unsigned char *u = (const unsigned char *)utf8;
    iconv_t dec = CD_NONE;
    iconv_t enc = CD_NONE;
    bool cached = false;
    size_t start = out->len;
    size_t bad = 0;
    int ret = -1;

    if (name == NULL) {
        bad = CHARSET_UNKNOWN;
        goto out;
    }
    if (!charset_utf8_valid(u, len, &bad)) {
        goto out;
    }
    switch (builtin_of(name)) {
    case BUILTIN_ASCII:
        if (!charset_is_ascii(u, len)) {
            for (bad = 0; u[bad] < 0x80; bad++) {
            }
            goto out;
        }
        strbuf_add(out, u, len);
        ret = 0;
        goto out;
    case BUILTIN_UTF8:
        strbuf_add(out, u, len);
        ret = 0;
        goto out;
    case BUILTIN_LATIN1:
        if (latin1_encode(u, len, out, &bad) != 0) {
            out->len = start;
            if (out->buf != NULL) {   /* nothing was added to an empty buffer */
                out->buf[start] = '\0';
            }
            goto out;
        }
        ret = 0;
        goto out;
    case BUILTIN_NONE:
        break;
    }
    if (charset_is_ascii(u, len) && ascii_compatible(name) && charset_known(name)) {
        strbuf_add(out, u, len);
        ret = 0;
        goto out;
    }
    if (open_pair(name, &dec, &enc, &cached) != 0) {
        bad = CHARSET_UNKNOWN;
        goto out;
    }
    ret = convert(enc, dec, u, len, out, &bad);
    close_pair(dec, enc, cached);
out:
    if (ret != 0 && bad_offset_r != NULL) {
        *bad_offset_r = bad;
    }
    return ret;
}
