/*
 * report - the dry-run diff report of a plan, text and JSON
 */
#include <stdlib.h>
#include <string.h>

#include "mmfix/jsonw.h"
#include "mmfix/repr.h"
#include "mmfix/report.h"
#include "mmfix/tjson.h"
#include "mmfix/xalloc.h"

/* name_of - attribute[key] or attribute[index] as Python would write it */
static void name_of(struct strbuf *out, const struct diff_change *c)
{
    if (value_is_str(c->attribute)) {
        strbuf_add(out, c->attribute->u.str.data, c->attribute->u.str.len);
    } else {
        repr_value(out, c->attribute);
    }
    if (c->key != NULL) {
        strbuf_addc(out, '[');
        repr_value(out, c->key);
        strbuf_addc(out, ']');
    } else if (c->index >= 0) {
        strbuf_addf(out, "[%ld]", c->index);
    }
}

struct lines {
    const char **start;
    size_t *len;
    size_t n;
};

static void split_lines(const struct value *v, struct lines *l)
{
    const char *p = (const char *)v->u.str.data;
    const char *end = p + v->u.str.len;

    l->n = 0;
    l->start = xcalloc(v->u.str.len + 2, sizeof(char *));
    l->len = xcalloc(v->u.str.len + 2, sizeof(size_t));
    while (p <= end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl != NULL ? nl : end;
        l->start[l->n] = p;
        l->len[l->n] = (size_t)(e - p);
        l->n++;
        if (nl == NULL) {
            break;
        }
        p = nl + 1;
    }
}

static bool line_eq(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
    return a->len[i] == b->len[j] && memcmp(a->start[i], b->start[j], a->len[i]) == 0;
}

static void put_line(struct strbuf *out, char mark, const char *s, size_t n)
{
    strbuf_addc(out, mark);
    strbuf_add(out, s, n);
    strbuf_addc(out, '\n');
}

/* text_diff - longest-common-subsequence line diff of two texts */
static void text_diff(struct strbuf *out, const struct diff_change *c)
{
    struct lines a;
    struct lines b;
    size_t *lcs = NULL;
    size_t i;
    size_t j;
    size_t w;

    split_lines(c->before, &a);
    split_lines(c->after, &b);
    w = b.n + 1;
    lcs = xcalloc((a.n + 1) * w, sizeof(size_t));
    for (i = a.n; i-- > 0;) {
        for (j = b.n; j-- > 0;) {
            lcs[i * w + j] = line_eq(&a, i, &b, j) ? lcs[(i + 1) * w + j + 1] + 1
                             : lcs[(i + 1) * w + j] > lcs[i * w + j + 1]
                               ? lcs[(i + 1) * w + j] : lcs[i * w + j + 1];
        }
    }
    strbuf_adds(out, "@@ ");
    name_of(out, c);
    strbuf_adds(out, " @@\n");
    i = 0;
    j = 0;
    while (i < a.n || j < b.n) {
        if (i < a.n && j < b.n && line_eq(&a, i, &b, j)) {
            put_line(out, ' ', a.start[i], a.len[i]);
            i++;
            j++;
        } else if (j < b.n && (i == a.n || lcs[i * w + j + 1] >= lcs[(i + 1) * w + j])) {
            put_line(out, '+', b.start[j], b.len[j]);
            j++;
        } else {
            put_line(out, '-', a.start[i], a.len[i]);
            i++;
        }
    }
    free(lcs);
    free(a.start);
    free(a.len);
    free(b.start);
    free(b.len);
}

static bool multiline(const struct value *v)
{
    return v != NULL && v->type == VALUE_BYTES && v->u.str.len < 65536
        && memchr(v->u.str.data, '\n', v->u.str.len) != NULL;
}

static const char *loaded_name(const struct plan_list *l)
{
    const struct mlist_file *f = l->ml != NULL ? mlist_loaded_file(l->ml) : NULL;
    return f != NULL ? f->name : "config.pck";
}

/* list_text - the list's block of the text report */
static void list_text(struct strbuf *out, const struct plan_list *l)
{
    size_t k;

    if (l->diff.len == 0) {
    return;
    }
    strbuf_adds(out, "--- lists/");
    strbuf_add_printable(out, l->name);
    strbuf_addf(out, "/%s\n+++ lists/", loaded_name(l));
    strbuf_add_printable(out, l->name);
    strbuf_adds(out, "/config.pck (after)\n");
    for (k = 0; k < l->diff.len; k++) {
        const struct diff_change *c = &l->diff.items[k];
        if (c->key == NULL && c->index < 0 && multiline(c->before) && multiline(c->after)) {
            text_diff(out, c);
            continue;
        }
        if (c->before != NULL) {
            strbuf_addc(out, '-');
            name_of(out, c);
            strbuf_adds(out, " = ");
            repr_value(out, c->before);
            strbuf_addc(out, '\n');
        }
        if (c->after != NULL) {
            strbuf_addc(out, '+');
            name_of(out, c);
            strbuf_adds(out, " = ");
            repr_value(out, c->after);
            strbuf_addc(out, '\n');
        }
    }
    strbuf_addc(out, '\n');
}

/* report_text - the diff report */
void report_text(struct strbuf *out, const struct plan *p, bool applied)
{
    size_t i;
    size_t k;

    for (i = 0; i < p->n_lists; i++) {
        const struct plan_list *l = &p->lists[i];
        if (l->frozen) {
            strbuf_add(out, l->sealed.buf != NULL ? l->sealed.buf : "", l->sealed.len);
        } else {
            list_text(out, l);
        }
    }
    if (p->n_ops > 0) {
        strbuf_adds(out, "files:\n");
        for (k = 0; k < p->n_ops; k++) {
            const struct plan_op *op = &p->ops[k];
            strbuf_addf(out, "  %-6s ", plan_action_name(op->action));
            strbuf_add_printable(out, op->path);
            if (op->to != NULL) {
                strbuf_adds(out, " -> ");
                strbuf_add_printable(out, op->to);
            }
            strbuf_addc(out, '\n');
        }
    }
    if (p->notes.len > 0) {
        strbuf_adds(out, "notes:\n");
        for (k = 0; k < p->notes.len; k++) {
            strbuf_adds(out, "  ");
            problem_write_line(out, &p->notes.items[k]);
        }
    }
    if (p->problems.len > 0) {
        strbuf_adds(out, "problems:\n");
        problem_write_text(out, &p->problems, "  ");
    }
    strbuf_addf(out, "%zu lists, %zu changes, %zu file operations%s\n", p->n_lists,
                plan_changes(p), p->n_ops,
                applied ? ": done" : p->n_ops > 0 ? " (dry run: nothing was changed)" : "");
}

/* list_json - the list's change objects of the JSON report */
static void list_json(struct jsonw *w, const struct plan_list *l)
{
    struct tjson_writer_opts wo;
    size_t k;

    memset(&wo, 0, sizeof(wo));
    wo.charset = l->charset;
    for (k = 0; k < l->diff.len; k++) {
        const struct diff_change *c = &l->diff.items[k];
        jsonw_object_begin(w);
        jsonw_key(w, "list");
        jsonw_string(w, l->name);
        jsonw_key(w, "attribute");
        if (value_is_str(c->attribute)) {
            jsonw_stringn(w, (const char *)c->attribute->u.str.data, c->attribute->u.str.len);
        } else {
            tjson_write_value(w, c->attribute, &wo);
        }
        if (c->key != NULL) {
            jsonw_key(w, "key");
            tjson_write_value(w, c->key, &wo);
        } else if (c->index >= 0) {
            jsonw_key(w, "index");
            jsonw_int(w, c->index);
        }
        jsonw_key(w, "before");
        if (c->before != NULL) {
            tjson_write_value(w, c->before, &wo);
        } else {
            jsonw_null(w);
        }
        jsonw_key(w, "after");
        if (c->after != NULL) {
            tjson_write_value(w, c->after, &wo);
        } else {
            jsonw_null(w);
        }
        jsonw_key(w, "present");
        jsonw_string(w, c->before == NULL ? "added" : c->after == NULL ? "removed"
                                                                         : "changed");
        jsonw_object_end(w);
    }
}

/* report_seal_list - render the list's part now */
void report_seal_list(struct plan *p, size_t list, bool json)
{
    struct plan_list *l = &p->lists[list];

    strbuf_reset(&l->sealed);
    l->sealed_json = json;
    if (json) {
        struct jsonw w;
        /* as deep as the "changes" array of report_json */
        jsonw_init_at(&w, &l->sealed, false, 2);
        list_json(&w, l);
    } else {
        list_text(&l->sealed, l);
    }
}

/* report_json - the JSON plan */
void report_json(struct strbuf *out, const struct plan *p, bool applied)
{
    struct jsonw w;
    size_t i;
    size_t k;

    jsonw_init(&w, out, false);
    jsonw_object_begin(&w);
    jsonw_key(&w, "changes");
    jsonw_array_begin(&w);
    for (i = 0; i < p->n_lists; i++) {
        const struct plan_list *l = &p->lists[i];
        if (l->frozen) {
            jsonw_splice(&w, l->sealed.buf != NULL ? l->sealed.buf : "", l->sealed.len);
        } else {
            list_json(&w, l);
        }
    }
    jsonw_array_end(&w);
    jsonw_key(&w, "files");
    jsonw_array_begin(&w);
    for (k = 0; k < p->n_ops; k++) {
        const struct plan_op *op = &p->ops[k];
        jsonw_object_begin(&w);
        jsonw_key(&w, "action");
        jsonw_string(&w, plan_action_name(op->action));
        jsonw_key(&w, "path");
        jsonw_string(&w, op->path);
        if (op->to != NULL) {
            jsonw_key(&w, "to");
            jsonw_string(&w, op->to);
        }
        jsonw_object_end(&w);
    }
    jsonw_array_end(&w);
    jsonw_key(&w, "problems");
    problem_write_json(&w, &p->problems, 0, p->problems.len);
    jsonw_key(&w, "notes");
    problem_write_json(&w, &p->notes, 0, p->notes.len);
    jsonw_key(&w, "summary");
    jsonw_object_begin(&w);
    jsonw_key(&w, "lists");
    jsonw_uint(&w, p->n_lists);
    jsonw_key(&w, "changes");
    jsonw_uint(&w, plan_changes(p));
    jsonw_key(&w, "files");
    jsonw_uint(&w, p->n_ops);
    jsonw_key(&w, "applied");
    jsonw_bool(&w, applied);
    jsonw_object_end(&w);
    jsonw_object_end(&w);
}

/* report_colorize - ANSI colours for a text report shown on a terminal:
 * the diff headers bold, hunk lines cyan, removed lines red, added green */
void report_colorize(struct strbuf *text)
{
    struct strbuf out = STRBUF_INIT;
    const char *p = text->buf != NULL ? text->buf : "";
    const char *end = p + text->len;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        const char *color = NULL;

        if (n >= 4 && (memcmp(p, "--- ", 4) == 0 || memcmp(p, "+++ ", 4) == 0)) {
            color = "\033[1m";
        } else if (n >= 2 && memcmp(p, "@@", 2) == 0) {
            color = "\033[36m";
        } else if (n >= 1 && p[0] == '-') {
            color = "\033[31m";
        } else if (n >= 1 && p[0] == '+') {
            color = "\033[32m";
        }
        if (color != NULL) {
            strbuf_adds(&out, color);
            strbuf_add(&out, p, n);
            strbuf_adds(&out, "\033[0m");
        } else {
            strbuf_add(&out, p, n);
        }
        if (nl != NULL) {
            strbuf_addc(&out, '\n');
            n++;
        }
        p += n;
    }
    strbuf_release(text);
    *text = out;
}
