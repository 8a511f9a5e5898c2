/*
 * tjson - typed JSON: lossless JSON for Python 2 value trees
 *
 * DESCRIPTION
 *  Writing walks the tree with jsonw; a Python 2 str becomes a JSON string
 *  only when its bytes decode in the list charset and encode back to the
 *  same bytes, otherwise {"$bytes": ...} and a report through the caller's
 *  callback. Reading parses with jansson and rebuilds the tree.
 *
 * SECURITY
 *  Input JSON is untrusted: nesting depth is bounded, every tagged object
 *  is checked for exactly its expected shape, and strings are encoded into
 *  the charset with errors reported, never replaced.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmfix/charset.h"
#include "mmfix/errstr.h"
#include "mmfix/repr.h"
#include "mmfix/tjson.h"
#include "mmfix/xalloc.h"

#define TJSON_MAX_DEPTH 200
#define INT53 9007199254740992LL

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* tjson_base64_encode - standard base64 with padding */
void tjson_base64_encode(struct strbuf *out, const unsigned char *p, size_t len)
{
    size_t i;

    strbuf_grow(out, (len + 2) / 3 * 4);
    for (i = 0; i + 2 < len; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        strbuf_addc(out, b64chars[v >> 18 & 63]);
        strbuf_addc(out, b64chars[v >> 12 & 63]);
        strbuf_addc(out, b64chars[v >> 6 & 63]);
        strbuf_addc(out, b64chars[v & 63]);
    }
    if (i < len) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < len ? (unsigned)p[i + 1] << 8 : 0);
        strbuf_addc(out, b64chars[v >> 18 & 63]);
        strbuf_addc(out, b64chars[v >> 12 & 63]);
        strbuf_addc(out, i + 1 < len ? b64chars[v >> 6 & 63] : '=');
        strbuf_addc(out, '=');
    }
}

static int b64val(char c)
{
    const char *p = c != '\0' ? strchr(b64chars, c) : NULL;
    return p == NULL ? -1 : (int)(p - b64chars);
}

/* tjson_base64_decode - strict decode; -1 on any invalid character */
int tjson_base64_decode(const char *text, size_t len, struct strbuf *out)
{
    size_t i;

    if (len % 4 != 0) {
        return -1;
    }
    for (i = 0; i < len; i += 4) {
        int a = b64val(text[i]);
        int b = b64val(text[i + 1]);
        int c = text[i + 2] == '=' ? -2 : b64val(text[i + 2]);
        int d = text[i + 3] == '=' ? -2 : b64val(text[i + 3]);
        unsigned v;

        if (a < 0 || b < 0 || c == -1 || d == -1 || (c == -2 && d != -2)
            || ((c == -2 || d == -2) && i + 4 != len)) {
            return -1;
        }
        v = (unsigned)a << 18 | (unsigned)b << 12 | (unsigned)(c < 0 ? 0 : c) << 6
            | (unsigned)(d < 0 ? 0 : d);
        strbuf_addc(out, (char)(v >> 16));
        if (c >= 0) {
            strbuf_addc(out, (char)(v >> 8 & 0xff));
        }
        if (d >= 0) {
            strbuf_addc(out, (char)(v & 0xff));
        }
    }
    return 0;
}

/* ---- writing ---- */

struct tjson_path {
    const struct value *container;
    size_t index;
};

struct tjson_wstate {
    const struct tjson_writer_opts *opts;
    struct strbuf scratch;
    struct tjson_path path[TJSON_MAX_DEPTH];
    unsigned depth;
};

/* the Python expression of the current position, for reports */
static void tjson_path_text(const struct tjson_wstate *st, struct strbuf *out)
{
    unsigned i;

    for (i = 0; i < st->depth; i++) {
        const struct value *c = st->path[i].container;
        size_t idx = st->path[i].index;

        if (c->type == VALUE_DICT) {
            const struct value *k = c->u.dict.items[idx].key;
            if (i == 0 && value_is_str(k)) {
                strbuf_add(out, k->u.str.data, k->u.str.len);
            } else {
                strbuf_addc(out, '[');
                repr_value(out, k);
                strbuf_addc(out, ']');
            }
        } else if (c->type == VALUE_INSTANCE) {
            strbuf_adds(out, ".__dict__");
        } else {
            strbuf_addf(out, "[%zu]", idx);
        }
    }
}

/* str_as_json - can these bytes be a plain JSON string? (utf8 in scratch) */
static bool str_as_json(struct tjson_wstate *st, const struct value *v, size_t *bad_r)
{
    const char *cs = st->opts->charset != NULL ? st->opts->charset : "us-ascii";

    strbuf_reset(&st->scratch);
    return charset_decode(cs, v->u.str.data, v->u.str.len, &st->scratch, bad_r) == 0;
}

/* tagged_scalar - {"$tag": "text"} on one line */
static void tagged_scalar(struct jsonw *w, const char *tag, const char *text, size_t len)
{
    struct strbuf sb = STRBUF_INIT;

    strbuf_addc(&sb, '{');
    jsonw_quote(&sb, tag, strlen(tag));
    strbuf_add(&sb, w->compact ? ":" : ": ", w->compact ? 1 : 2);
    jsonw_quote(&sb, text, len);
    strbuf_addc(&sb, '}');
    jsonw_raw(w, strbuf_cstr(&sb));
    strbuf_release(&sb);
}

static void tjson_write_bytes(struct jsonw *w, struct tjson_wstate *st, const struct value *v)
{
    size_t bad = 0;

    if (str_as_json(st, v, &bad)) {
        jsonw_stringn(w, st->scratch.buf != NULL ? st->scratch.buf : "", st->scratch.len);
        return;
    }
    if (st->opts->undecodable != NULL) {
        struct strbuf path = STRBUF_INIT;
        tjson_path_text(st, &path);
        st->opts->undecodable(st->opts->ctx, strbuf_cstr(&path), bad);
        strbuf_release(&path);
    }
    strbuf_reset(&st->scratch);
    tjson_base64_encode(&st->scratch, v->u.str.data, v->u.str.len);
    tagged_scalar(w, "$bytes", strbuf_cstr(&st->scratch), st->scratch.len);
}

/* can this dict be a plain JSON object? all keys py2 str, decodable, no '$' */
static bool dict_plain(struct tjson_wstate *st, const struct value *d)
{
    size_t i;
    size_t bad;

    for (i = 0; i < d->u.dict.len; i++) {
        const struct value *k = d->u.dict.items[i].key;
        if (k->type != VALUE_BYTES || (k->u.str.len > 0 && k->u.str.data[0] == '$')
            || memchr(k->u.str.data, '\0', k->u.str.len) != NULL) {
            /* jansson reads no NUL in an object key: such a dict is a $dict */
            return false;
        }
        if (!str_as_json(st, k, &bad)) {
            return false;
        }
    }
    return true;
}

static void tjson_emit(struct jsonw *w, struct tjson_wstate *st, const struct value *v);

static void tjson_push(struct tjson_wstate *st, const struct value *c, size_t idx)
{
    if (st->depth < TJSON_MAX_DEPTH) {
        st->path[st->depth].container = c;
        st->path[st->depth].index = idx;
    }
    st->depth++;
}

static void tjson_emit_seq(struct jsonw *w, struct tjson_wstate *st, const struct value *v)
{
    size_t i;

    jsonw_array_begin(w);
    for (i = 0; i < v->u.seq.len; i++) {
        tjson_push(st, v, i);
        tjson_emit(w, st, v->u.seq.items[i]);
        st->depth--;
    }
    jsonw_array_end(w);
}

static void tjson_emit_dict(struct jsonw *w, struct tjson_wstate *st, const struct value *v)
{
    size_t i;

    if (dict_plain(st, v)) {
        jsonw_object_begin(w);
        for (i = 0; i < v->u.dict.len; i++) {
            const struct value *k = v->u.dict.items[i].key;
            size_t bad;
            str_as_json(st, k, &bad);
            jsonw_keyn(w, st->scratch.buf != NULL ? st->scratch.buf : "", st->scratch.len);
            tjson_push(st, v, i);
            tjson_emit(w, st, v->u.dict.items[i].val);
            st->depth--;
        }
        jsonw_object_end(w);
        return;
    }
    jsonw_object_begin(w);
    jsonw_key(w, "$dict");
    jsonw_array_begin(w);
    for (i = 0; i < v->u.dict.len; i++) {
        tjson_push(st, v, i);
        jsonw_array_begin(w);
        tjson_emit(w, st, v->u.dict.items[i].key);
        tjson_emit(w, st, v->u.dict.items[i].val);
        jsonw_array_end(w);
        st->depth--;
    }
    jsonw_array_end(w);
    jsonw_object_end(w);
}

static void tjson_emit(struct jsonw *w, struct tjson_wstate *st, const struct value *v)
{
    switch (v->type) {
    case VALUE_NONE:
        jsonw_null(w);
        break;
    case VALUE_BOOL:
        jsonw_bool(w, v->u.b);
        break;
    case VALUE_INT:
        if (v->u.i > -INT53 && v->u.i < INT53) {
            jsonw_int(w, v->u.i);
        } else {
            char buf[32];
            snprintf(buf, sizeof(buf), "%lld", (long long)v->u.i);
            tagged_scalar(w, "$long", buf, strlen(buf));
        }
        break;
    case VALUE_LONG:
        tagged_scalar(w, "$long", v->u.digits, strlen(v->u.digits));
        break;
    case VALUE_FLOAT:
        if (v->u.f != v->u.f || v->u.f > 1.7976931348623157e308
            || v->u.f < -1.7976931348623157e308) {
            const char *f = v->u.f != v->u.f ? "nan" : v->u.f > 0 ? "inf" : "-inf";
            tagged_scalar(w, "$float", f, strlen(f));
        } else {
            jsonw_double(w, v->u.f);
        }
        break;
    case VALUE_BYTES:
        tjson_write_bytes(w, st, v);
        break;
    case VALUE_TEXT:
        if (charset_utf8_valid(v->u.str.data, v->u.str.len, NULL)) {
            tagged_scalar(w, "$unicode", (const char *)v->u.str.data, v->u.str.len);
        } else {
            strbuf_reset(&st->scratch);
            tjson_base64_encode(&st->scratch, v->u.str.data, v->u.str.len);
            tagged_scalar(w, "$unicode_utf8b", strbuf_cstr(&st->scratch), st->scratch.len);
        }
        break;
    case VALUE_TUPLE:
        jsonw_object_begin(w);
        jsonw_key(w, "$tuple");
        tjson_emit_seq(w, st, v);
        jsonw_object_end(w);
        break;
    case VALUE_LIST:
        tjson_emit_seq(w, st, v);
        break;
    case VALUE_DICT:
        tjson_emit_dict(w, st, v);
        break;
    case VALUE_INSTANCE:
        jsonw_object_begin(w);
        jsonw_key(w, "$instance");
        jsonw_string(w, v->u.inst.cls);
        jsonw_key(w, "$state");
        if (v->u.inst.state == NULL) {
            jsonw_null(w);
        } else {
            tjson_push(st, v, 0);
            tjson_emit(w, st, v->u.inst.state);
            st->depth--;
        }
        jsonw_object_end(w);
        break;
    }
}

/* tjson_write_value - one value */
void tjson_write_value(struct jsonw *w, const struct value *v,
                       const struct tjson_writer_opts *opts)
{
    struct tjson_wstate st;

    memset(&st, 0, sizeof(st));
    st.opts = opts;
    strbuf_init(&st.scratch);
    tjson_emit(w, &st, v);
    strbuf_release(&st.scratch);
}

/* tjson_write_document - the typed JSON document */
void tjson_write_document(struct strbuf *out, const char *list, const struct value *root,
                          const struct tjson_writer_opts *opts)
{
    struct jsonw w;

    jsonw_init(&w, out, opts->compact);
    jsonw_object_begin(&w);
    jsonw_key(&w, "format");
    jsonw_string(&w, TJSON_FORMAT);
    jsonw_key(&w, "list");
    jsonw_string(&w, list);
    jsonw_key(&w, "charset");
    jsonw_string(&w, opts->charset != NULL ? opts->charset : "us-ascii");
    jsonw_key(&w, "config");
    tjson_write_value(&w, root, opts);
    jsonw_object_end(&w);
}

/* ---- reading ---- */

struct tjson_rstate {
    struct value_arena *arena;
    const char *charset;
    struct strbuf scratch;
    const char *error;
};

static struct value *tjson_build(struct tjson_rstate *st, json_t *j, unsigned depth);

/* a tagged object: exactly one key (or $instance + $state) */
static const char *tag_of(json_t *j)
{
    const char *key = NULL;
    json_t *val = NULL;
    size_t n = json_object_size(j);

    if (n == 2 && json_object_get(j, "$instance") != NULL
        && json_object_get(j, "$state") != NULL) {
        return "$instance";
    }
    if (n != 1) {
        return NULL;
    }
    json_object_foreach(j, key, val) {
        (void)val;
        if (key[0] == '$') {
            return key;
        }
    }
    return NULL;
}

static struct value *tjson_str(struct tjson_rstate *st, const char *s, size_t len)
{
    size_t bad = 0;

    strbuf_reset(&st->scratch);
    if (charset_encode(st->charset, s, len, &st->scratch, &bad) != 0) {
        st->error = errstr("string cannot be encoded in %s at offset %zu", st->charset, bad);
        return NULL;
    }
    return value_new_bytes(st->arena, st->scratch.buf != NULL ? st->scratch.buf : "",
                           st->scratch.len);
}

static struct value *tjson_seq(struct tjson_rstate *st, json_t *arr, struct value *seq,
                               unsigned depth)
{
    size_t i;
    json_t *item = NULL;

    json_array_foreach(arr, i, item) {
        struct value *v = tjson_build(st, item, depth + 1);
        if (v == NULL) {
            return NULL;
        }
        value_seq_append(st->arena, seq, v);
    }
    return seq;
}

/* cstr - a JSON string that is used as C text (a tag's argument, the charset, the list name):
 * NULL when it is no string or holds a NUL byte, which C text would cut short */
static const char *cstr(json_t *s)
{
    return json_is_string(s) && strlen(json_string_value(s)) == json_string_length(s)
               ? json_string_value(s) : NULL;
}

static struct value *tjson_tagged(struct tjson_rstate *st, const char *tag, json_t *j,
                                  unsigned depth)
{
    json_t *arg = json_object_get(j, tag);

    if (strcmp(tag, "$unicode") == 0 && json_is_string(arg)) {
        return value_new_text(st->arena, json_string_value(arg), json_string_length(arg));
    }
    if ((strcmp(tag, "$bytes") == 0 || strcmp(tag, "$unicode_utf8b") == 0)
        && json_is_string(arg)) {
        strbuf_reset(&st->scratch);
        if (tjson_base64_decode(json_string_value(arg), json_string_length(arg),
                                &st->scratch) != 0) {
            st->error = errstr("%s: invalid base64", tag);
            return NULL;
        }
        if (tag[1] == 'b') {
            return value_new_bytes(st->arena, st->scratch.buf ? st->scratch.buf : "",
                                   st->scratch.len);
        }
        return value_new_text(st->arena, st->scratch.buf ? st->scratch.buf : "",
                              st->scratch.len);
    }
    if (strcmp(tag, "$tuple") == 0 && json_is_array(arg)) {
        return tjson_seq(st, arg, value_new_tuple(st->arena, json_array_size(arg)), depth);
    }
    if (strcmp(tag, "$long") == 0 && cstr(arg) != NULL) {
        struct value *v = value_new_long(st->arena, json_string_value(arg));
        if (v == NULL) {
            st->error = errstr("$long: not an integer: %.40s", json_string_value(arg));
        }
        return v;
    }
    if (strcmp(tag, "$float") == 0 && cstr(arg) != NULL) {
        const char *s = json_string_value(arg);
        if (strcmp(s, "nan") == 0) {
            return value_new_float(st->arena, __builtin_nan(""));
        } else if (strcmp(s, "inf") == 0) {
            return value_new_float(st->arena, __builtin_inf());
        } else if (strcmp(s, "-inf") == 0) {
            return value_new_float(st->arena, -__builtin_inf());
        }
        st->error = errstr("$float: expected nan, inf or -inf");
        return NULL;
    }
    if (strcmp(tag, "$dict") == 0 && json_is_array(arg)) {
        struct value *d = value_new_dict(st->arena, json_array_size(arg));
        size_t i;
        json_t *pair = NULL;

        json_array_foreach(arg, i, pair) {
            struct value *k = NULL;
            struct value *v = NULL;
            if (!json_is_array(pair) || json_array_size(pair) != 2) {
                st->error = errstr("$dict: item %zu is not a [key, value] pair", i);
                return NULL;
            }
            k = tjson_build(st, json_array_get(pair, 0), depth + 1);
            v = k != NULL ? tjson_build(st, json_array_get(pair, 1), depth + 1) : NULL;
            if (v == NULL) {
                return NULL;
            }
            value_dict_set(st->arena, d, k, v);
        }
        return d;
    }
    if (strcmp(tag, "$instance") == 0 && cstr(arg) != NULL) {
        json_t *state = json_object_get(j, "$state");
        struct value *s = NULL;
        if (!json_is_null(state)) {
            s = tjson_build(st, state, depth + 1);
            if (s == NULL) {
                return NULL;
            }
        }
        return value_new_instance(st->arena, json_string_value(arg), s);
    }
    st->error = errstr("unknown or malformed tag %s", tag);
    return NULL;
}

static struct value *tjson_build(struct tjson_rstate *st, json_t *j, unsigned depth)
{
    if (depth > TJSON_MAX_DEPTH) {
        st->error = errstr("nesting deeper than %d", TJSON_MAX_DEPTH);
        return NULL;
    }
    switch (json_typeof(j)) {
    case JSON_NULL:
        return value_new_none(st->arena);
    case JSON_TRUE:
        return value_new_bool(st->arena, true);
    case JSON_FALSE:
        return value_new_bool(st->arena, false);
    case JSON_INTEGER:
        return value_new_int(st->arena, (int64_t)json_integer_value(j));
    case JSON_REAL:
        return value_new_float(st->arena, json_real_value(j));
    case JSON_STRING:
        return tjson_str(st, json_string_value(j), json_string_length(j));
    case JSON_ARRAY:
        return tjson_seq(st, j, value_new_list(st->arena, json_array_size(j)), depth);
    case JSON_OBJECT: {
        const char *tag = tag_of(j);
        const char *key = NULL;
        json_t *val = NULL;
        struct value *d = NULL;

        if (tag != NULL) {
            return tjson_tagged(st, tag, j, depth);
        }
        d = value_new_dict(st->arena, json_object_size(j));
        json_object_foreach(j, key, val) {
            struct value *k = NULL;
            struct value *v = NULL;
            if (key[0] == '$') {
                st->error = errstr("unexpected key %.40s", key);
                return NULL;
            }
            k = tjson_str(st, key, strlen(key));
            v = k != NULL ? tjson_build(st, val, depth + 1) : NULL;
            if (v == NULL) {
                return NULL;
            }
            value_dict_set(st->arena, d, k, v);
        }
        return d;
    }
    }
    st->error = errstr("unexpected JSON type");
    return NULL;
}

/* tjson_read - parse a typed JSON document */
int tjson_read(const char *text, size_t len, const char *charset_override,
               struct value_arena *arena, struct value **root_r,
               const char **list_r, const char **charset_r,
               enum load_error *kind_r, const char **error_r)
{
    json_error_t jerr;
    json_t *doc = NULL;
    json_t *fmt = NULL;
    json_t *list = NULL;
    json_t *cs = NULL;
    json_t *config = NULL;
    struct tjson_rstate st;
    int ret = -1;

    memset(&st, 0, sizeof(st));
    strbuf_init(&st.scratch);
    *kind_r = LOAD_CORRUPT;
    /* a Python 2 str may hold NUL bytes: the writer writes them as \u0000 */
    doc = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (doc == NULL) {
        *error_r = errstr("JSON, line %d column %d: %s", jerr.line, jerr.column, jerr.text);
        goto out;
    }
    fmt = json_object_get(doc, "format");
    list = json_object_get(doc, "list");
    cs = json_object_get(doc, "charset");
    config = json_object_get(doc, "config");
    if (cstr(fmt) == NULL || strcmp(json_string_value(fmt), TJSON_FORMAT) != 0) {
        *error_r = errstr("not a typed JSON document (format is not \"%s\")", TJSON_FORMAT);
        goto out;
    }
    if (config == NULL || (cs != NULL && cstr(cs) == NULL)) {
        *error_r = errstr("typed JSON document without config or with a bad charset");
        goto out;
    }
    st.arena = arena;
    st.charset = charset_override != NULL ? charset_override
                 : cs != NULL ? value_arena_strdup(arena, json_string_value(cs)) : "us-ascii";
    *root_r = tjson_build(&st, config, 0);
    if (*root_r == NULL) {
        *error_r = errstr("typed JSON: %s", st.error != NULL ? st.error : "bad value");
        goto out;
    }
    if (list_r != NULL) {
        *list_r = cstr(list) != NULL ? value_arena_strdup(arena, json_string_value(list)) : NULL;
    }
    if (charset_r != NULL) {
        *charset_r = st.charset;
    }
    *kind_r = LOAD_OK;
    ret = 0;
out:
    json_decref(doc);
    strbuf_release(&st.scratch);
    return ret;
}
