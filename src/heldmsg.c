/*
 * heldmsg - a pickled Mailman.Message.Message as RFC 822 bytes
 *
 * DESCRIPTION
 *  See heldmsg.h. Follows Python 2.7's Lib/email/generator.py: _write
 *  (the body is generated first, so a multipart without a boundary gets one
 *  in its Content-Type before the headers are written), _dispatch by
 *  content type (multipart, message/delivery-status, other message types, anything
 *  else as text), _handle_multipart's layout of preamble, boundaries and
 *  epilogue.
 *
 * SECURITY
 *  The record comes from an untrusted pickle: every field is type-checked,
 *  nesting is bounded, nothing is interpreted beyond the Content-Type.
 */
#define _GNU_SOURCE 1
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mmfix/errstr.h"
#include "mmfix/heldmsg.h"
#include "mmfix/xalloc.h"

#define HELDMSG_MAX_DEPTH 100

/* state_of - the __dict__ of a message record, or NULL */
static const struct value *state_of(const struct value *msg)
{
    if (msg == NULL || msg->type != VALUE_INSTANCE || strcmp(msg->u.inst.cls, HELDMSG_CLASS) != 0
        || msg->u.inst.state == NULL || msg->u.inst.state->type != VALUE_DICT) {
        return NULL;
    }
    return msg->u.inst.state;
}

/* headers_of - the _headers list, or NULL */
static const struct value *headers_of(const struct value *msg)
{
    const struct value *st = state_of(msg);
    const struct value *h = st != NULL ? value_dict_get_str(NULL, (struct value *)st, "_headers")
                                       : NULL;

    return h != NULL && (h->type == VALUE_LIST || h->type == VALUE_TUPLE) ? h : NULL;
}

/* pair_ok - a (name, value) header pair of strings */
static bool pair_ok(const struct value *p)
{
    return (p->type == VALUE_TUPLE || p->type == VALUE_LIST) && p->u.seq.len == 2
           && value_is_str(p->u.seq.items[0]) && value_is_str(p->u.seq.items[1]);
}

/* heldmsg_header - msg.get(name) */
const struct value *heldmsg_header(const struct value *msg, const char *name)
{
    const struct value *h = headers_of(msg);
    size_t n = strlen(name);
    size_t i;

    for (i = 0; h != NULL && i < h->u.seq.len; i++) {
        const struct value *p = h->u.seq.items[i];
        if (pair_ok(p) && p->u.seq.items[0]->u.str.len == n
            && strncasecmp((const char *)p->u.seq.items[0]->u.str.data, name, n) == 0) {
            return p->u.seq.items[1];
        }
    }
    return NULL;
}

/* state_str - a string field of the state, or NULL (None or missing) */
static const struct value *state_str(const struct value *msg, const char *field)
{
    const struct value *v = value_dict_get_str(NULL, (struct value *)state_of(msg), field);

    return v != NULL && value_is_str(v) ? v : NULL;
}

/* content_type - get_content_type(): the lower-cased type/subtype of the Content-Type
 * header, "text/plain" when it is not one, the default type when there is none */
static void content_type(const struct value *msg, struct strbuf *out)
{
    const struct value *ct = heldmsg_header(msg, "content-type");
    const struct value *def = state_str(msg, "_default_type");
    const unsigned char *s = NULL;
    size_t len = 0;
    size_t start = 0;
    size_t end = 0;
    size_t i;
    size_t slashes = 0;

    strbuf_reset(out);
    if (ct == NULL) {
        if (def != NULL) {
            strbuf_add(out, def->u.str.data, def->u.str.len);
        } else {
            strbuf_adds(out, "text/plain");
        }
        return;
    }
    s = ct->u.str.data;
    len = ct->u.str.len;
    for (end = 0; end < len && s[end] != ';'; end++) {
    }
    while (start < end && (s[start] == ' ' || s[start] == '\t' || s[start] == '\r'
                           || s[start] == '\n')) {
        start++;
    }
    while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\t' || s[end - 1] == '\r'
                           || s[end - 1] == '\n')) {
        end--;
    }
    for (i = start; i < end; i++) {
        slashes += s[i] == '/';
        strbuf_addc(out, (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]));
    }
    if (slashes != 1) {
        strbuf_reset(out);
        strbuf_adds(out, "text/plain");
    }
}

/* boundary - get_boundary(): the boundary parameter of Content-Type, unquoted and
 * right-stripped, into out; false when there is none */
static bool boundary(const struct value *msg, struct strbuf *out)
{
    const struct value *ct = heldmsg_header(msg, "content-type");
    const unsigned char *s = NULL;
    size_t len = 0;
    size_t i = 0;

    strbuf_reset(out);
    if (ct == NULL) {
        return false;
    }
    s = ct->u.str.data;
    len = ct->u.str.len;
    /* skip the type, then parameter by parameter (';' inside quotes does not split) */
    while (i < len && s[i] != ';') {
        i++;
    }
    while (i < len) {
        size_t name = ++i;
        size_t name_end = 0;
        bool quoted = false;
        while (i < len && s[i] != '=' && s[i] != ';') {
            i++;
        }
        name_end = i;
        while (name < name_end && (s[name] == ' ' || s[name] == '\t' || s[name] == '\r'
                                   || s[name] == '\n')) {
            name++;
        }
        while (name_end > name && (s[name_end - 1] == ' ' || s[name_end - 1] == '\t')) {
            name_end--;
        }
        if (i < len && s[i] == '=') {
            bool want = name_end - name == 8 && strncasecmp((const char *)s + name, "boundary",
                                                            8) == 0;
            i++;
            while (i < len && (s[i] == ' ' || s[i] == '\t')) {
                i++;
            }
            strbuf_reset(out);
            while (i < len && (quoted || s[i] != ';')) {
                if (s[i] == '"') {
                    quoted = !quoted;
                } else if (quoted && s[i] == '\\' && i + 1 < len) {
                    strbuf_addc(out, (char)s[++i]);
                } else {
                    strbuf_addc(out, (char)s[i]);
                }
                i++;
            }
            if (want) {
                while (out->len > 0 && (out->buf[out->len - 1] == ' '
                                        || out->buf[out->len - 1] == '\t'
                                        || out->buf[out->len - 1] == '\r'
                                        || out->buf[out->len - 1] == '\n')) {
                    out->len--;
                }
                out->buf[out->len] = '\0';
                return out->len > 0;
            }
        }
        while (i < len && s[i] != ';') {
            i++;
        }
    }
    strbuf_reset(out);
    return false;
}

struct gen {
    const char *error;
};

static int flatten(struct gen *g, const struct value *msg, unsigned depth, struct strbuf *out);

/* write_headers - "Name: value\n" each, then the blank line; new_boundary (set_boundary()
 * of a multipart that had none) is added to the first Content-Type */
static int write_headers(struct gen *g, const struct value *msg, const char *new_boundary,
                         struct strbuf *out)
{
    const struct value *h = headers_of(msg);
    bool boundary_set = false;
    size_t i;

    if (h == NULL) {
        g->error = errstr("the message record has no _headers list");
        return -1;
    }
    for (i = 0; i < h->u.seq.len; i++) {
        const struct value *p = h->u.seq.items[i];
        if (!pair_ok(p)) {
            g->error = errstr("header %zu is not a (name, value) pair of strings", i);
            return -1;
        }
        strbuf_add(out, p->u.seq.items[0]->u.str.data, p->u.seq.items[0]->u.str.len);
        strbuf_adds(out, ": ");
        strbuf_add(out, p->u.seq.items[1]->u.str.data, p->u.seq.items[1]->u.str.len);
        if (new_boundary != NULL && !boundary_set
            && p->u.seq.items[0]->u.str.len == 12
            && strncasecmp((const char *)p->u.seq.items[0]->u.str.data, "content-type", 12)
                   == 0) {
            /* set_boundary(): the parameter added to the first Content-Type */
            strbuf_addf(out, "; boundary=\"%s\"", new_boundary);
            boundary_set = true;
        }
        strbuf_addc(out, '\n');
    }
    strbuf_addc(out, '\n');
    return 0;
}

/* parts_of - the payload as a list of message records: a list, one record, or none */
static int parts_of(struct gen *g, const struct value *payload, const struct value ***parts_r,
                    size_t *n_r)
{
    *parts_r = NULL;
    *n_r = 0;
    if (payload == NULL || payload->type == VALUE_NONE) {
        return 0;
    }
    if (payload->type == VALUE_INSTANCE) {
        *parts_r = xmalloc(sizeof(**parts_r));
        (*parts_r)[0] = payload;
        *n_r = 1;
        return 0;
    }
    if (payload->type == VALUE_LIST || payload->type == VALUE_TUPLE) {
        size_t i;
        *parts_r = xcalloc(payload->u.seq.len + 1, sizeof(**parts_r));
        for (i = 0; i < payload->u.seq.len; i++) {
            if (state_of(payload->u.seq.items[i]) == NULL) {
                free(*parts_r);
                *parts_r = NULL;
                g->error = errstr("part %zu of a multipart payload is not a %s", i,
                                  HELDMSG_CLASS);
                return -1;
            }
            (*parts_r)[i] = payload->u.seq.items[i];
        }
        *n_r = payload->u.seq.len;
        return 0;
    }
    g->error = errstr("a payload of type %s", value_type_name(payload->type));
    return -1;
}

/* make_boundary - _make_boundary(): one that no part's text holds */
static char *make_boundary(struct strbuf *texts, size_t n, const struct value *msg)
{
    unsigned long long seed = (unsigned long long)(uintptr_t)msg;
    char *b = NULL;
    size_t i;
    bool clash = true;

    while (clash) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        free(b);
        b = xasprintf("===============%019llu==", seed % 10000000000000000000ULL);
        clash = false;
        for (i = 0; i < n && !clash; i++) {
            clash = memmem(texts[i].buf != NULL ? texts[i].buf : "", texts[i].len, b,
                           strlen(b)) != NULL;
        }
    }
    return b;
}

/* multipart - _handle_multipart; *new_boundary_r the boundary it had to make (free it) */
static int multipart(struct gen *g, const struct value *msg, unsigned depth, struct strbuf *out,
                     char **new_boundary_r)
{
    const struct value *payload = value_dict_get_str(NULL, (struct value *)state_of(msg),
                                                     "_payload");
    const struct value *pre = state_str(msg, "preamble");
    const struct value *epi = state_str(msg, "epilogue");
    const struct value **parts = NULL;
    struct strbuf *texts = NULL;
    struct strbuf b = STRBUF_INIT;
    size_t n = 0;
    size_t i;
    int rc = -1;

    if (payload != NULL && value_is_str(payload)) {
        /* a non-strict parse of a message with no starting boundary */
        strbuf_add(out, payload->u.str.data, payload->u.str.len);
        return 0;
    }
    if (parts_of(g, payload, &parts, &n) != 0) {
        return -1;
    }
    texts = xcalloc(n + 1, sizeof(*texts));
    for (i = 0; i < n; i++) {
        if (flatten(g, parts[i], depth + 1, &texts[i]) != 0) {
            goto out;
        }
    }
    if (!boundary(msg, &b)) {
        *new_boundary_r = make_boundary(texts, n, msg);
        strbuf_reset(&b);
        strbuf_adds(&b, *new_boundary_r);
    }
    if (pre != NULL) {
        strbuf_add(out, pre->u.str.data, pre->u.str.len);
        strbuf_addc(out, '\n');
    }
    strbuf_addf(out, "--%s\n", strbuf_cstr(&b));
    for (i = 0; i < n; i++) {
        if (i > 0) {
            strbuf_addf(out, "\n--%s\n", strbuf_cstr(&b));
        }
        strbuf_add(out, texts[i].buf, texts[i].len);
    }
    strbuf_addf(out, "\n--%s--", strbuf_cstr(&b));
    if (epi != NULL) {
        strbuf_addc(out, '\n');
        strbuf_add(out, epi->u.str.data, epi->u.str.len);
    }
    rc = 0;
out:
    for (i = 0; i < n; i++) {
        strbuf_release(&texts[i]);
    }
    free(texts);
    free(parts);
    strbuf_release(&b);
    return rc;
}

/* message - _handle_message: flatten(the first part), "" when there is no part */
static int message(struct gen *g, const struct value *msg, unsigned depth, struct strbuf *out)
{
    const struct value *payload = value_dict_get_str(NULL, (struct value *)state_of(msg),
                                                     "_payload");
    const struct value **parts = NULL;
    size_t n = 0;
    int rc = 0;

    if (payload != NULL && value_is_str(payload)) {
        strbuf_add(out, payload->u.str.data, payload->u.str.len);
        return 0;
    }
    if (parts_of(g, payload, &parts, &n) != 0) {
        return -1;
    }
    if (n > 0) {
        rc = flatten(g, parts[0], depth + 1, out);
    }
    free(parts);
    return rc;
}

/* delivery_status - _handle_message_delivery_status: each part's header block, the blank
 * line that ends it dropped, joined by newlines */
static int delivery_status(struct gen *g, const struct value *msg, unsigned depth,
                           struct strbuf *out)
{
    const struct value *payload = value_dict_get_str(NULL, (struct value *)state_of(msg),
                                                     "_payload");
    const struct value **parts = NULL;
    struct strbuf s = STRBUF_INIT;
    size_t n = 0;
    size_t i;
    int rc = 0;

    if (payload != NULL && value_is_str(payload)) {
        strbuf_add(out, payload->u.str.data, payload->u.str.len);
        return 0;
    }
    if (parts_of(g, payload, &parts, &n) != 0) {
        return -1;
    }
    for (i = 0; i < n && rc == 0; i++) {
        strbuf_reset(&s);
        rc = flatten(g, parts[i], depth + 1, &s);
        if (s.len > 0 && s.buf[s.len - 1] == '\n') {
            s.len--;
        }
        if (i > 0) {
            strbuf_addc(out, '\n');
        }
        strbuf_add(out, s.buf, s.len);
    }
    strbuf_release(&s);
    free(parts);
    return rc;
}

/* text - _handle_text: the payload string as it is, nothing for None */
static int text(struct gen *g, const struct value *msg, struct strbuf *out)
{
    const struct value *payload = value_dict_get_str(NULL, (struct value *)state_of(msg),
                                                     "_payload");

    if (payload == NULL || payload->type == VALUE_NONE) {
        return 0;
    }
    if (!value_is_str(payload)) {
        g->error = errstr("a %s payload where the content type calls for a string",
                          value_type_name(payload->type));
        return -1;
    }
    strbuf_add(out, payload->u.str.data, payload->u.str.len);
    return 0;
}

/* flatten - Generator._write: the body by content type, then the headers, then the body */
static int flatten(struct gen *g, const struct value *msg, unsigned depth, struct strbuf *out)
{
    struct strbuf ct = STRBUF_INIT;
    struct strbuf body = STRBUF_INIT;
    char *nb = NULL;
    int rc = -1;

    if (state_of(msg) == NULL) {
        g->error = errstr("not a %s record", HELDMSG_CLASS);
        return -1;
    }
    if (depth > HELDMSG_MAX_DEPTH) {
        g->error = errstr("parts nested deeper than %d levels", HELDMSG_MAX_DEPTH);
        return -1;
    }
    content_type(msg, &ct);
    if (strncmp(strbuf_cstr(&ct), "multipart/", 10) == 0) {
        rc = multipart(g, msg, depth, &body, &nb);
    } else if (strcmp(strbuf_cstr(&ct), "message/delivery-status") == 0) {
        rc = delivery_status(g, msg, depth, &body);
    } else if (strncmp(strbuf_cstr(&ct), "message/", 8) == 0) {
        rc = message(g, msg, depth, &body);
    } else {
        rc = text(g, msg, &body);
    }
    if (rc == 0) {
        rc = write_headers(g, msg, nb, out);
    }
    if (rc == 0) {
        strbuf_add(out, body.buf, body.len);
    }
    free(nb);
    strbuf_release(&ct);
    strbuf_release(&body);
    return rc;
}

/* heldmsg_write - the message record as RFC 822 text */
int heldmsg_write(const struct value *msg, struct strbuf *out, const char **error_r)
{
    struct gen g = { NULL };
    struct strbuf sb = STRBUF_INIT;

    if (flatten(&g, msg, 0, &sb) != 0) {
        *error_r = g.error;
        strbuf_release(&sb);
        return -1;
    }
    strbuf_add(out, sb.buf, sb.len);
    strbuf_release(&sb);
    return 0;
}
