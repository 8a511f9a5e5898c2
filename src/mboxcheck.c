/*
 * mboxcheck - a pipermail mbox as hyperkitty_import will read it
 *
 * DESCRIPTION
 *  See mboxcheck.h. The mbox is read line by line with one line of
 *  lookahead (a "From " line after an empty line and before a header line
 *  is a separator), one message at a time in memory. MIME is walked far
 *  enough to find text parts: multipart bodies split at their boundary,
 *  nested up to MBOXCHECK_MAX_DEPTH levels; quoted-printable and base64
 *  undone before the charset check.
 *
 * SECURITY
 *  The mbox is opened without following a symbolic link and must be a
 *  regular file; only the fix path given is written.
 */
#define _GNU_SOURCE 1
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mmfix/charset.h"
#include "mmfix/errstr.h"
#include "mmfix/fdio.h"
#include "mmfix/mboxcheck.h"
#include "mmfix/sha1.h"
#include "mmfix/xalloc.h"

#define MBOXCHECK_MAX_DEPTH 10

static const char *const code_names[MBOXCHECK_NCODES] = {
    "from-in-body", "separator-8bit", "separator-form", "no-message-id", "bad-date",
    "bad-charset",
};

/* mboxcheck_code_name - the code's name */
const char *mboxcheck_code_name(enum mboxcheck_code code)
{
    return code < MBOXCHECK_NCODES ? code_names[code] : "?";
}

/* problem - count one, describe it while there is room */
static void problem(struct mboxcheck *m, enum mboxcheck_code code, size_t line, size_t msg,
                    bool fixed, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void problem(struct mboxcheck *m, enum mboxcheck_code code, size_t line, size_t msg,
                    bool fixed, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;

    m->counts[code]++;
    m->fixes += fixed;
    if (m->n_problems == MBOXCHECK_MAX_PROBLEMS) {
        return;
    }
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    m->problems = xreallocarray(m->problems, m->n_problems + 1, sizeof(*m->problems));
    m->problems[m->n_problems].code = code;
    m->problems[m->n_problems].line = line;
    m->problems[m->n_problems].message = msg;
    m->problems[m->n_problems].fixed = fixed;
    m->problems[m->n_problems].text = strbuf_detach(&sb, NULL);
    m->n_problems++;
}

/* ---- dates: email.utils.parsedate_tz (Python 3.11 _parsedate_tz) ---- */

static const char *const monthnames[] = {
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
};
static const char *const daynames[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

struct words {
    char *w[8];
    size_t n;
};

/* month_of - 1..12 for a month name (lower case), 0 if none */
static int month_of(const char *s)
{
    size_t i;

    for (i = 0; i < sizeof(monthnames) / sizeof(monthnames[0]); i++) {
        if (strcmp(s, monthnames[i]) == 0) {
            return (int)(i % 12) + 1;
        }
    }
    return 0;
}

/* int_of - Python's int() of a decimal word (sign allowed) */
static bool int_of(const char *s, long *v)
{
    char *end = NULL;

    if (*s == '\0') {
        return false;
    }
    errno = 0;
    *v = strtol(s, &end, 10);
    return errno == 0 && *end == '\0' && !isspace((unsigned char)*s);
}

static void lower(char *s)
{
    for (; *s != '\0'; s++) {
        *s = (char)tolower((unsigned char)*s);
    }
}

/* mboxcheck_date_ok - parsedate_tz gives a date datetime() takes */
bool mboxcheck_date_ok(const char *s, size_t len)
{
    char *buf = xstrndup(s, len);
    char *copy = NULL;
    char *tok = NULL;
    char *save = NULL;
    char *dd = NULL;
    char *mm = NULL;
    char *yy = NULL;
    char *tm = NULL;
    char *tzs = NULL;
    char *f[8] = { NULL };
    char *tmparts[4] = { NULL };
    size_t n = 0;
    size_t ntm = 0;
    long year = 0;
    long day = 0;
    long hh = 0;
    long mi = 0;
    long ss = 0;
    int month = 0;
    bool ok = false;
    size_t i;

    for (tok = strtok_r(buf, " \t\r\n\f\v", &save); tok != NULL && n < 8;
         tok = strtok_r(NULL, " \t\r\n\f\v", &save)) {
        f[n++] = tok;
    }
    if (n == 0) {
        goto out;
    }
    copy = xstrdup(f[0]);
    lower(copy);
    {
        bool dayname = false;
        for (i = 0; i < 7; i++) {
            dayname = dayname || strcmp(copy, daynames[i]) == 0;
        }
        if (f[0][strlen(f[0]) - 1] == ',' || dayname) {
            memmove(f, f + 1, (n - 1) * sizeof(f[0]));
            n--;
        } else {
            char *c = strrchr(f[0], ',');
            if (c != NULL) {
                f[0] = c + 1;
            }
        }
    }
    if (n == 3) {
        /* RFC 850: dd-mon-yy */
        char *a = f[0];
        char *b = strchr(a, '-');
        char *c = b != NULL ? strchr(b + 1, '-') : NULL;
        if (c != NULL && strchr(c + 1, '-') == NULL) {
            *b = '\0';
            *c = '\0';
            f[4] = f[2];
            f[3] = f[1];
            f[0] = a;
            f[1] = b + 1;
            f[2] = c + 1;
            n = 5;
        }
    }
    if (n == 4) {
        char *p = strchr(f[3], '+');
        if (p == NULL) {
            p = strchr(f[3], '-');
        }
        if (p != NULL && p > f[3]) {
            /* "12:00:00+0100": the zone split off (it needs room for its sign) */
            size_t k = (size_t)(p - f[3]);
            char *t = xasprintf("%.*s", (int)k, f[3]);
            char *z = xstrdup(p);
            f[3] = t;
            f[4] = z;
            tmparts[2] = t;
            tmparts[3] = z;
        } else {
            f[4] = "";
        }
        n = 5;
    }
    if (n < 5) {
        goto out;
    }
    dd = f[0];
    mm = f[1];
    yy = f[2];
    tm = f[3];
    tzs = f[4];
    if (*dd == '\0' || *mm == '\0' || *yy == '\0') {
        goto out;
    }
    lower(mm);
    month = month_of(mm);
    if (month == 0) {
        char *t = dd;
        dd = mm;
        mm = t;
        lower(mm);
        month = month_of(mm);
        if (month == 0) {
            goto out;
        }
    }
    if (dd[strlen(dd) - 1] == ',') {
        dd[strlen(dd) - 1] = '\0';
    }
    if (strchr(yy, ':') != NULL && strchr(yy, ':') != yy) {
        char *t = yy;
        yy = tm;
        tm = t;
    }
    if (*yy != '\0' && yy[strlen(yy) - 1] == ',') {
        yy[strlen(yy) - 1] = '\0';
        if (*yy == '\0') {
            goto out;
        }
    }
    if (*yy == '\0' || !isdigit((unsigned char)yy[0])) {
        char *t = yy;
        yy = tzs;
        tzs = t;
    }
    if (*tm == '\0') {
        goto out;
    }
    if (tm[strlen(tm) - 1] == ',') {
        tm[strlen(tm) - 1] = '\0';
    }
    {
        char *p = tm;
        char sep = strchr(tm, ':') != NULL ? ':' : '.';
        char *parts[4] = { NULL };
        if (sep == '.' && strchr(tm, '.') == NULL) {
            goto out;
        }
        parts[ntm++] = p;
        while ((p = strchr(p, sep)) != NULL && ntm < 4) {
            *p++ = '\0';
            parts[ntm++] = p;
        }
        if (ntm < 2 || ntm > 3) {
            goto out;
        }
        if (!int_of(parts[0], &hh) || !int_of(parts[1], &mi)
            || (ntm == 3 && !int_of(parts[2], &ss))) {
            goto out;
        }
    }
    (void)tzs;
    if (!int_of(yy, &year) || !int_of(dd, &day)) {
        goto out;
    }
    if (year < 100) {
        year += year > 68 ? 1900 : 2000;
    }
    /* what datetime() then accepts */
    ok = year >= 1 && year <= 9999 && day >= 1 && day <= 31 && hh >= 0 && hh <= 23 && mi >= 0
         && mi <= 59 && ss >= 0 && ss <= 61;
out:
    free(tmparts[2]);
    free(tmparts[3]);
    free(copy);
    free(buf);
    return ok;
}

/* ---- separators ---- */

/* separator_date - the asctime date at the end of a "From SENDER DATE" line, as an RFC 2822
 * Date value into out; false when the line has none */
static bool separator_date(const char *line, size_t len, struct strbuf *out)
{
    static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
    static const char *const mons[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
                                        "Aug", "Sep", "Oct", "Nov", "Dec" };
    char *s = xstrndup(line, len);
    char *f[16] = { NULL };
    char *save = NULL;
    char *tok = NULL;
    size_t n = 0;
    size_t i;
    size_t k;
    bool ok = false;

    for (tok = strtok_r(s, " \t\r\n", &save); tok != NULL && n < 16;
         tok = strtok_r(NULL, " \t\r\n", &save)) {
        f[n++] = tok;
    }
    /* From sender Www Mmm dd hh:mm[:ss] [zone] yyyy */
    for (i = 2; i + 4 < n + 1 && !ok; i++) {
        int d = -1;
        int mo = -1;
        long day = 0;
        long year = 0;
        size_t yi = i + 4;
        for (k = 0; k < 7; k++) {
            d = strcmp(f[i], days[k]) == 0 ? (int)k : d;
        }
        for (k = 0; i + 1 < n && k < 12; k++) {
            mo = strcmp(f[i + 1], mons[k]) == 0 ? (int)k : mo;
        }
        if (d < 0 || mo < 0 || i + 3 >= n || !int_of(f[i + 2], &day)
            || strchr(f[i + 3], ':') == NULL) {
            continue;
        }
        if (yi < n && !int_of(f[yi], &year) && yi + 1 < n) {
            yi++;
        }
        if (yi >= n || !int_of(f[yi], &year)) {
            continue;
        }
        strbuf_addf(out, "%s, %02ld %s %ld %s +0000", days[d], day, mons[mo], year, f[i + 3]);
        ok = true;
    }
    free(s);
    return ok;
}

/* separator_form - "From " SENDER DATE as Mailman and mailbox write it */
static bool separator_form(const char *line, size_t len)
{
    struct strbuf d = STRBUF_INIT;
    bool ok = separator_date(line, len, &d);

    strbuf_release(&d);
    return ok;
}

/* header_line - "Name:" at the start of a line (RFC 5322 field name characters) */
static bool header_line(const char *line, size_t len)
{
    size_t i;

    for (i = 0; i < len && line[i] != ':'; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c <= ' ' || c >= 0x7f) {
            return false;
        }
    }
    return i > 0 && i < len;
}

/* ---- one message ---- */

struct field {
    size_t start;        /* offset of the field's first line in the header block */
    size_t end;          /* past its last line (with the newline) */
    size_t name_len;
    size_t value;        /* offset of the value (after "Name:" and blanks) */
};

struct msg {
    struct strbuf sep;   /* the separator line as it will be written */
    struct strbuf text;  /* the rest, "From " lines in bodies already escaped */
    size_t first_line;   /* of the separator */
    size_t index;
    bool open;
};

/* parse_fields - the header fields of hdr[0..len) */
static size_t parse_fields(const char *hdr, size_t len, struct field **fields_r)
{
    struct field *f = NULL;
    size_t n = 0;
    size_t pos = 0;

    while (pos < len) {
        size_t e = pos;
        while (e < len && hdr[e] != '\n') {
            e++;
        }
        e = e < len ? e + 1 : e;
        if ((hdr[pos] == ' ' || hdr[pos] == '\t') && n > 0) {
            f[n - 1].end = e;
        } else {
            size_t c = pos;
            while (c < e && hdr[c] != ':') {
                c++;
            }
            if (c < e) {
                size_t v = c + 1;
                while (v < e && (hdr[v] == ' ' || hdr[v] == '\t')) {
                    v++;
                }
                f = xreallocarray(f, n + 1, sizeof(*f));
                f[n].start = pos;
                f[n].end = e;
                f[n].name_len = c - pos;
                while (f[n].name_len > 0 && (hdr[pos + f[n].name_len - 1] == ' '
                                             || hdr[pos + f[n].name_len - 1] == '\t')) {
                    f[n].name_len--;
                }
                f[n].value = v;
                n++;
            }
        }
        pos = e;
    }
    *fields_r = f;
    return n;
}

/* field_find - the first field called name */
static const struct field *field_find(const char *hdr, const struct field *f, size_t n,
                                      const char *name)
{
    size_t nl = strlen(name);
    size_t i;

    for (i = 0; i < n; i++) {
        if (f[i].name_len == nl && strncasecmp(hdr + f[i].start, name, nl) == 0) {
            return &f[i];
        }
    }
    return NULL;
}

/* field_value - the unfolded value of a field (free it) */
static char *field_value(const char *hdr, const struct field *f)
{
    struct strbuf sb = STRBUF_INIT;
    size_t i;

    for (i = f->value; i < f->end; i++) {
        if (hdr[i] == '\r' || hdr[i] == '\n') {
            continue;
        }
        strbuf_addc(&sb, hdr[i]);
    }
    while (sb.len > 0 && (sb.buf[sb.len - 1] == ' ' || sb.buf[sb.len - 1] == '\t')) {
        sb.buf[--sb.len] = '\0';
    }
    return strbuf_detach(&sb, NULL);
}

/* header_end - the offset of the empty line ending the header block of text[0..len), len
 * when there is none; *body_r where the body starts */
static size_t header_end(const char *text, size_t len, size_t *body_r)
{
    size_t pos = 0;

    while (pos < len) {
        if (text[pos] == '\n') {
            *body_r = pos + 1;
            return pos;
        }
        if (text[pos] == '\r' && pos + 1 < len && text[pos + 1] == '\n') {
            *body_r = pos + 2;
            return pos;
        }
        while (pos < len && text[pos] != '\n') {
            pos++;
        }
        pos++;
    }
    *body_r = len;
    return len;
}

/* param - a parameter of a header value (unquoted; free it), NULL when absent */
static char *param(const char *value, const char *name)
{
    size_t nl = strlen(name);
    const char *p = strchr(value, ';');

    while (p != NULL) {
        const char *q = p + 1;
        while (*q == ' ' || *q == '\t') {
            q++;
        }
        if (strncasecmp(q, name, nl) == 0) {
            const char *v = q + nl;
            while (*v == ' ' || *v == '\t') {
                v++;
            }
            if (*v == '=') {
                struct strbuf sb = STRBUF_INIT;
                v++;
                while (*v == ' ' || *v == '\t') {
                    v++;
                }
                if (*v == '"') {
                    for (v++; *v != '\0' && *v != '"'; v++) {
                        if (*v == '\\' && v[1] != '\0') {
                            v++;
                        }
                        strbuf_addc(&sb, *v);
                    }
                } else {
                    for (; *v != '\0' && *v != ';' && *v != ' ' && *v != '\t'; v++) {
                        strbuf_addc(&sb, *v);
                    }
                }
                return strbuf_detach(&sb, NULL);
            }
        }
        p = strchr(q, ';');
    }
    return NULL;
}

/* media_type - the lower-cased type/subtype of a Content-Type value, "text/plain" default */
static char *media_type(const char *ct)
{
    size_t n = 0;
    char *t = NULL;

    if (ct == NULL) {
        return xstrdup("text/plain");
    }
    while (*ct == ' ' || *ct == '\t') {
        ct++;
    }
    while (ct[n] != '\0' && ct[n] != ';' && ct[n] != ' ' && ct[n] != '\t') {
        n++;
    }
    t = xstrndup(ct, n);
    lower(t);
    if (strchr(t, '/') == NULL) {
        free(t);
        return xstrdup("text/plain");
    }
    return t;
}

/* qp_decode - quoted-printable */
static void qp_decode(const char *s, size_t len, struct strbuf *out)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (s[i] == '=' && i + 1 < len && (s[i + 1] == '\n' || s[i + 1] == '\r')) {
            i += s[i + 1] == '\r' && i + 2 < len && s[i + 2] == '\n' ? 2 : 1;
        } else if (s[i] == '=' && i + 2 < len && isxdigit((unsigned char)s[i + 1])
                   && isxdigit((unsigned char)s[i + 2])) {
            char h[3] = { s[i + 1], s[i + 2], '\0' };
            strbuf_addc(out, (char)strtol(h, NULL, 16));
            i += 2;
        } else {
            strbuf_addc(out, s[i]);
        }
    }
}

/* b64_decode - base64, other characters skipped */
static void b64_decode(const char *s, size_t len, struct strbuf *out)
{
    unsigned acc = 0;
    int bits = 0;
    size_t i;

    for (i = 0; i < len; i++) {
        const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const char *p = s[i] != '\0' ? strchr(a, s[i]) : NULL;
        if (s[i] == '=') {
            break;
        }
        if (p == NULL) {
            continue;
        }
        acc = (acc << 6) | (unsigned)(p - a);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            strbuf_addc(out, (char)((acc >> bits) & 0xff));
        }
    }
}

struct part_result {
    char *bad;           /* why a text part does not decode, first one */
    char *relabel;       /* single part: the charset to declare instead */
};

/* check_part - the text parts of a MIME entity (headers hdr, body) decode in their charset */
static void check_part(const char *hdr, size_t hlen, const char *body, size_t blen,
                       unsigned depth, bool top, struct part_result *res)
{
    struct field *f = NULL;
    size_t n = parse_fields(hdr, hlen, &f);
    const struct field *ctf = field_find(hdr, f, n, "content-type");
    const struct field *tef = field_find(hdr, f, n, "content-transfer-encoding");
    char *ct = ctf != NULL ? field_value(hdr, ctf) : NULL;
    char *te = tef != NULL ? field_value(hdr, tef) : NULL;
    char *type = media_type(ct);
    char *cs = NULL;

    if (res->bad != NULL || depth > MBOXCHECK_MAX_DEPTH) {
        goto out;
    }
    if (strncmp(type, "multipart/", 10) == 0) {
        char *b = ct != NULL ? param(ct, "boundary") : NULL;
        size_t bl = b != NULL ? strlen(b) : 0;
        size_t pos = 0;
        const char *part = NULL;
        while (b != NULL && bl > 0 && pos < blen) {
            size_t e = pos;
            while (e < blen && body[e] != '\n') {
                e++;
            }
            if (e - pos >= bl + 2 && body[pos] == '-' && body[pos + 1] == '-'
                && memcmp(body + pos + 2, b, bl) == 0) {
                if (part != NULL) {
                    size_t plen = (size_t)(body + pos - part);
                    size_t pb = 0;
                    size_t ph = header_end(part, plen, &pb);
                    check_part(part, ph, part + pb, plen - pb, depth + 1, false, res);
                }
                bool last = e - pos >= bl + 4 && body[pos + 2 + bl] == '-'
                            && body[pos + 3 + bl] == '-';
                part = last ? NULL : body + (e < blen ? e + 1 : e);
                if (last) {
                    break;
                }
            }
            pos = e + 1;
        }
        free(b);
        goto out;
    }
    if (strncmp(type, "text/", 5) != 0) {
        goto out;
    }
    cs = ct != NULL ? param(ct, "charset") : NULL;
    {
        struct strbuf raw = STRBUF_INIT;
        struct strbuf utf8 = STRBUF_INIT;
        const char *data = body;
        size_t len = blen;
        size_t bad = 0;
        if (te != NULL) {
            lower(te);
        }
        if (te != NULL && strcmp(te, "quoted-printable") == 0) {
            qp_decode(body, blen, &raw);
            data = raw.buf != NULL ? raw.buf : "";
            len = raw.len;
        } else if (te != NULL && strcmp(te, "base64") == 0) {
            b64_decode(body, blen, &raw);
            data = raw.buf != NULL ? raw.buf : "";
            len = raw.len;
        }
        if (cs != NULL && !charset_known(cs)) {
            res->bad = xasprintf("charset \"%s\" is not known", cs);
        } else if (charset_decode(cs != NULL ? cs : "us-ascii", (const unsigned char *)data,
                                  len, &utf8, &bad) != 0) {
            res->bad = xasprintf("body not in its charset %s (byte 0x%02x at offset %zu of "
                                 "the decoded body)", cs != NULL ? cs : "us-ascii",
                                 (unsigned char)data[bad < len ? bad : 0], bad);
        }
        if (res->bad != NULL && top) {
            res->relabel = xstrdup(charset_utf8_valid((const unsigned char *)data, len, NULL)
                                   ? "utf-8" : "iso-8859-1");
        }
        strbuf_release(&raw);
        strbuf_release(&utf8);
    }
out:
    free(cs);
    free(type);
    free(ct);
    free(te);
    free(f);
}

/* relabelled - a Content-Type value with its charset parameter replaced (or added) */
static char *relabelled(const char *ct, const char *charset)
{
    struct strbuf sb = STRBUF_INIT;
    const char *p = ct != NULL ? ct : "text/plain";
    const char *semi = NULL;

    for (;;) {
        semi = strchr(p, ';');
        {
            const char *q = p;
            size_t n = semi != NULL ? (size_t)(semi - p) : strlen(p);
            while (n > 0 && (*q == ' ' || *q == '\t')) {
                q++;
                n--;
            }
            if (p == (ct != NULL ? ct : "text/plain") || strncasecmp(q, "charset", 7) != 0) {
                if (sb.len > 0) {
                    strbuf_addc(&sb, ';');
                }
                strbuf_add(&sb, p, semi != NULL ? (size_t)(semi - p) : strlen(p));
            }
        }
        if (semi == NULL) {
            break;
        }
        p = semi + 1;
    }
    strbuf_addf(&sb, "; charset=\"%s\"", charset);
    return strbuf_detach(&sb, NULL);
}

/* host_ok - a host name fit for a Message-ID's right side: letters, digits, '.', '-' */
static bool host_ok(const char *h)
{
    if (h == NULL || *h == '\0') {
        return false;
    }
    for (; *h != '\0'; h++) {
        if (!isalnum((unsigned char)*h) && *h != '.' && *h != '-') {
            return false;
        }
    }
    return true;
}

struct checker {
    struct mboxcheck *m;
    const char *host;
    int fix_fd;                /* -1: no copy */
    struct strbuf out;         /* what to write for the message */
};

/* finish - check one whole message and write its cleaned form */
static void finish(struct checker *c, struct msg *msg)
{
    struct mboxcheck *m = c->m;
    const char *text = msg->text.buf != NULL ? msg->text.buf : "";
    size_t body = 0;
    size_t hlen = header_end(text, msg->text.len, &body);
    struct field *f = NULL;
    size_t n = parse_fields(text, hlen, &f);
    const struct field *mid = field_find(text, f, n, "message-id");
    const struct field *date = field_find(text, f, n, "date");
    const struct field *ctf = field_find(text, f, n, "content-type");
    char *v = NULL;
    char *add_id = NULL;
    char *new_date = NULL;
    char *new_ct = NULL;
    struct part_result pr = { NULL, NULL };
    struct strbuf d = STRBUF_INIT;
    bool fixing = c->fix_fd >= 0;
    size_t i;

    if (!msg->open) {
        return;
    }
    m->messages++;
    v = mid != NULL ? field_value(text, mid) : NULL;
    if (v == NULL || v[0] == '\0') {
        struct sha1 s;
        char hex[41];
        sha1_init(&s);
        sha1_update(&s, msg->sep.buf, msg->sep.len);
        sha1_update(&s, text, msg->text.len);
        sha1_hex(&s, hex);
        add_id = xasprintf("<mmfix-%.32s@%s>", hex, host_ok(c->host) ? c->host : "localhost");
        problem(m, MBOXCHECK_NO_MESSAGE_ID, msg->first_line, msg->index, fixing,
                "no Message-ID%s%s", fixing ? ": added " : "", fixing ? add_id : "");
    }
    free(v);
    v = date != NULL ? field_value(text, date) : NULL;
    if (v == NULL || !mboxcheck_date_ok(v, strlen(v))) {
        bool can = separator_date(msg->sep.buf, msg->sep.len, &d);
        if (can) {
            new_date = strbuf_detach(&d, NULL);
        }
        problem(m, MBOXCHECK_BAD_DATE, msg->first_line, msg->index, fixing && can,
                "%s%s%s%s", v == NULL ? "no Date" : "a Date no parser reads: ",
                v == NULL ? "" : v, fixing && can ? "; set from the separator: " : "",
                fixing && can ? new_date : "");
    }
    free(v);
    check_part(text, hlen, text + body, msg->text.len - body, 0, true, &pr);
    if (pr.bad != NULL) {
        char *ct = ctf != NULL ? field_value(text, ctf) : NULL;
        char *type = media_type(ct);
        bool can = pr.relabel != NULL && strncmp(type, "multipart/", 10) != 0;
        if (can) {
            new_ct = relabelled(ct, pr.relabel);
        }
        problem(m, MBOXCHECK_BAD_CHARSET, msg->first_line, msg->index, fixing && can, "%s%s%s",
                pr.bad, fixing && can ? "; declared as " : "", fixing && can ? pr.relabel : "");
        free(type);
        free(ct);
    }
    if (fixing) {
        strbuf_reset(&c->out);
        strbuf_add(&c->out, msg->sep.buf, msg->sep.len);
        for (i = 0; i < n; i++) {
            if (new_date != NULL && &f[i] == date) {
                strbuf_addf(&c->out, "Date: %s\n", new_date);
            } else if (add_id != NULL && &f[i] == mid) {
                continue;   /* an empty Message-ID: replaced below */
            } else if (new_ct != NULL && &f[i] == ctf) {
                strbuf_addf(&c->out, "Content-Type: %s\n", new_ct);
            } else {
                strbuf_add(&c->out, text + f[i].start, f[i].end - f[i].start);
            }
        }
        if (new_ct != NULL && ctf == NULL) {
            strbuf_addf(&c->out, "Content-Type: %s\n", new_ct);
        }
        if (new_date != NULL && date == NULL) {
            strbuf_addf(&c->out, "Date: %s\n", new_date);
        }
        if (add_id != NULL) {
            strbuf_addf(&c->out, "Message-ID: %s\n", add_id);
        }
        strbuf_add(&c->out, text + hlen, msg->text.len - hlen);
        if (fdio_write_all(c->fix_fd, c->out.buf, c->out.len) != 0 && m->error == NULL) {
            m->error = xasprintf("%s: %s", m->fixed_path, strerror(errno));
        }
    }
    free(f);
    free(add_id);
    free(new_date);
    free(new_ct);
    free(pr.bad);
    free(pr.relabel);
    strbuf_release(&d);
    strbuf_reset(&msg->sep);
    strbuf_reset(&msg->text);
    msg->open = false;
}

/* start - a separator line begins message number ++index */
static void start(struct checker *c, struct msg *msg, const char *line, size_t len,
                  size_t lineno)
{
    size_t i;
    bool eight = false;

    msg->open = true;
    msg->index++;
    msg->first_line = lineno;
    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)line[i];
        eight = eight || ch >= 0x80;
        strbuf_addc(&msg->sep, (char)(ch >= 0x80 && c->fix_fd >= 0 ? '?' : ch));
    }
    if (eight) {
        problem(c->m, MBOXCHECK_SEPARATOR_8BIT, lineno, msg->index, c->fix_fd >= 0,
                "non-ASCII bytes in the separator line%s",
                c->fix_fd >= 0 ? ": replaced by '?'" : "");
    }
    if (!separator_form(line, len)) {
        problem(c->m, MBOXCHECK_SEPARATOR_FORM, lineno, msg->index, false,
                "the separator is not \"From SENDER DATE\": %.60s", line);
    }
}

/* mboxcheck_file - read and check the mbox, write the cleaned copy */
void mboxcheck_file(const char *path, const char *host, const char *fix_path,
                    struct mboxcheck *m)
{
    struct checker c;
    struct msg msg;
    struct stat st;
    FILE *fp = NULL;
    char *tmp = NULL;
    char *cur = NULL;
    char *next = NULL;
    size_t cap_cur = 0;
    size_t cap_next = 0;
    ssize_t lcur = 0;
    ssize_t lnext = 0;
    size_t lineno = 0;
    bool prev_blank = true;
    int fd = -1;

    memset(m, 0, sizeof(*m));
    memset(&c, 0, sizeof(c));
    memset(&msg, 0, sizeof(msg));
    m->path = xstrdup(path);
    c.m = m;
    c.host = host;
    c.fix_fd = -1;
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        m->error = xasprintf("%s: %s", path, fd < 0 ? strerror(errno) : "not a regular file");
        if (fd >= 0) {
            close(fd);
        }
        return;
    }
    m->bytes = (long long)st.st_size;
    fp = fdopen(fd, "rb");
    if (fp == NULL) {
        m->error = xasprintf("%s: %s", path, strerror(errno));
        close(fd);
        return;
    }
    if (fix_path != NULL) {
        tmp = xasprintf("%s.tmp.%ld", fix_path, (long)getpid());
        c.fix_fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0640);
        if (c.fix_fd < 0) {
            m->error = xasprintf("%s: %s", tmp, strerror(errno));
        }
        m->fixed_path = xstrdup(fix_path);
    }
    lcur = getline(&cur, &cap_cur, fp);
    while (lcur >= 0) {
        char *t = NULL;
        size_t tcap = 0;
        lineno++;
        lnext = getline(&next, &cap_next, fp);
        if (lcur >= 5 && memcmp(cur, "From ", 5) == 0) {
            bool head = lnext >= 0 && header_line(next, (size_t)lnext);
            if (prev_blank && (separator_form(cur, (size_t)lcur) || head)) {
                finish(&c, &msg);
                start(&c, &msg, cur, (size_t)lcur, lineno);
            } else {
                problem(m, MBOXCHECK_FROM_IN_BODY, lineno, msg.index, c.fix_fd >= 0,
                        "a body line starts with \"From \": the importer would begin a new "
                        "message there%s", c.fix_fd >= 0 ? "; written as \">From \"" : "");
                if (!msg.open) {
                    msg.open = true;
                    msg.index++;
                    msg.first_line = lineno;
                }
                if (c.fix_fd >= 0) {
                    strbuf_addc(&msg.text, '>');
                }
                strbuf_add(&msg.text, cur, (size_t)lcur);
            }
        } else {
            if (!msg.open) {
                msg.open = true;
                msg.index++;
                msg.first_line = lineno;
            }
            strbuf_add(&msg.text, cur, (size_t)lcur);
        }
        prev_blank = (lcur == 1 && cur[0] == '\n') || (lcur == 2 && cur[0] == '\r'
                                                        && cur[1] == '\n');
        /* the next line becomes the current one */
        t = cur;
        cur = next;
        next = t;
        tcap = cap_cur;
        cap_cur = cap_next;
        cap_next = tcap;
        lcur = lnext;
    }
    if (ferror(fp) && m->error == NULL) {
        m->error = xasprintf("%s: %s", path, strerror(errno));
    }
    finish(&c, &msg);
    fclose(fp);
    free(cur);
    free(next);
    strbuf_release(&msg.sep);
    strbuf_release(&msg.text);
    strbuf_release(&c.out);
    if (c.fix_fd >= 0) {
        if (close(c.fix_fd) != 0 && m->error == NULL) {
            m->error = xasprintf("%s: %s", tmp, strerror(errno));
        }
        if (m->error == NULL && m->fixes > 0 && rename(tmp, fix_path) != 0) {
            m->error = xasprintf("%s: %s", fix_path, strerror(errno));
        }
        if (m->error != NULL || m->fixes == 0) {
            unlink(tmp);
        }
    }
    if (m->fixes == 0 || m->error != NULL) {
        free(m->fixed_path);
        m->fixed_path = NULL;
    }
    free(tmp);
}

/* mboxcheck_write_json - {"mbox", "bytes", "messages", "counts", "problems", "fixed"} */
void mboxcheck_write_json(struct jsonw *w, const struct mboxcheck *m)
{
    size_t i;

    jsonw_object_begin(w);
    jsonw_key(w, "mbox");
    jsonw_string(w, m->path);
    jsonw_key(w, "bytes");
    jsonw_int(w, m->bytes);
    jsonw_key(w, "messages");
    jsonw_uint(w, m->messages);
    jsonw_key(w, "counts");
    jsonw_object_begin(w);
    for (i = 0; i < MBOXCHECK_NCODES; i++) {
        jsonw_key(w, code_names[i]);
        jsonw_uint(w, m->counts[i]);
    }
    jsonw_object_end(w);
    jsonw_key(w, "problems");
    jsonw_array_begin(w);
    for (i = 0; i < m->n_problems; i++) {
        const struct mboxcheck_problem *p = &m->problems[i];
        jsonw_object_begin(w);
        jsonw_key(w, "code");
        jsonw_string(w, code_names[p->code]);
        jsonw_key(w, "line");
        jsonw_uint(w, p->line);
        jsonw_key(w, "message");
        jsonw_uint(w, p->message);
        jsonw_key(w, "fixed");
        jsonw_bool(w, p->fixed);
        jsonw_key(w, "text");
        jsonw_string(w, p->text);
        jsonw_object_end(w);
    }
    jsonw_array_end(w);
    jsonw_key(w, "fixed_copy");
    if (m->fixed_path != NULL) {
        jsonw_string(w, m->fixed_path);
    } else {
        jsonw_null(w);
    }
    if (m->error != NULL) {
        jsonw_key(w, "error");
        jsonw_string(w, m->error);
    }
    jsonw_object_end(w);
}

/* mboxcheck_write_text - the archive's lines of the text report */
void mboxcheck_write_text(struct strbuf *out, const struct mboxcheck *m, const char *indent)
{
    size_t total = 0;
    size_t i;

    for (i = 0; i < MBOXCHECK_NCODES; i++) {
        total += m->counts[i];
    }
    strbuf_addf(out, "%sarchive %s: %zu messages, %lld bytes, %zu problems for "
                "hyperkitty_import%s\n", indent, m->path, m->messages, m->bytes, total,
                total == 0 ? "" : ":");
    for (i = 0; i < m->n_problems && i < 20; i++) {
        const struct mboxcheck_problem *p = &m->problems[i];
        strbuf_addf(out, "%s  line %zu (message %zu): %s: %s\n", indent, p->line, p->message,
                    code_names[p->code], p->text);
    }
    if (total > 20) {
        strbuf_addf(out, "%s  %zu more (report.json)\n", indent, total - 20);
    }
    if (m->fixed_path != NULL) {
        strbuf_addf(out, "%s  cleaned copy (%zu fixes): %s\n", indent, m->fixes, m->fixed_path);
    }
    if (m->error != NULL) {
        strbuf_addf(out, "%s  %s\n", indent, m->error);
    }
}

/* mboxcheck_free - everything m holds */
void mboxcheck_free(struct mboxcheck *m)
{
    size_t i;

    for (i = 0; i < m->n_problems; i++) {
        free(m->problems[i].text);
    }
    free(m->problems);
    free(m->path);
    free(m->fixed_path);
    free(m->error);
    memset(m, 0, sizeof(*m));
}
