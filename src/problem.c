/*
 * problem - the problems scan and check report
 */
#include <stdarg.h>
#include <stdlib.h>

#include "mmfix/problem.h"
#include "mmfix/repr.h"
#include "mmfix/strbuf.h"
#include "mmfix/xalloc.h"

/* problem_list_init - empty list */
void problem_list_init(struct problem_list *pl)
{
    pl->items = NULL;
    pl->len = 0;
    pl->cap = 0;
}

/* problem_list_free - free all problems */
void problem_list_free(struct problem_list *pl)
{
    size_t i;

    for (i = 0; i < pl->len; i++) {
        free(pl->items[i].code);
        free(pl->items[i].list);
        free(pl->items[i].message);
    }
    free(pl->items);
    problem_list_init(pl);
}

/* problem_add - append */
void problem_add(struct problem_list *pl, const char *code, const char *list,
                 enum problem_severity severity, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    struct problem *p = NULL;
    va_list ap;

    if (pl->len == pl->cap) {
        pl->cap = pl->cap ? pl->cap * 2 : 8;
        pl->items = xreallocarray(pl->items, pl->cap, sizeof(*pl->items));
    }
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    p = &pl->items[pl->len++];
    p->code = xstrdup(code);
    p->list = list != NULL ? xstrdup(list) : NULL;
    p->severity = severity;
    p->message = strbuf_detach(&sb, NULL);
}

/* problem_write_line - "LIST: CODE: MESSAGE\n", control bytes of the list name and the
 * message (they come from the data) escaped */
void problem_write_line(struct strbuf *out, const struct problem *pr)
{
    strbuf_add_printable(out, pr->list != NULL ? pr->list : "(site)");
    strbuf_addf(out, ": %s: ", pr->code);
    strbuf_add_printable(out, pr->message);
    strbuf_addc(out, '\n');
}

/* problem_write_text - the text lines */
void problem_write_text(struct strbuf *out, const struct problem_list *pl, const char *indent)
{
    size_t k;

    for (k = 0; k < pl->len; k++) {
        const struct problem *pr = &pl->items[k];
        strbuf_addf(out, "%s%-7s ", indent, problem_severity_name(pr->severity));
        problem_write_line(out, pr);
    }
}

/* problem_severity_name - text */
const char *problem_severity_name(enum problem_severity s)
{
    return s == PROBLEM_ERROR ? "error" : "warning";
}

/* problem_write_json - array of problem objects */
void problem_write_json(struct jsonw *w, const struct problem_list *pl, size_t from, size_t to)
{
    size_t i;

    jsonw_array_begin(w);
    for (i = from; i < to && i < pl->len; i++) {
        const struct problem *p = &pl->items[i];
        jsonw_object_begin(w);
        jsonw_key(w, "code");
        jsonw_string(w, p->code);
        jsonw_key(w, "list");
        jsonw_string(w, p->list);
        jsonw_key(w, "severity");
        jsonw_string(w, problem_severity_name(p->severity));
        jsonw_key(w, "message");
        jsonw_string(w, p->message);
        jsonw_object_end(w);
    }
    jsonw_array_end(w);
}

/* problem_count_errors - errors in a range */
size_t problem_count_errors(const struct problem_list *pl, size_t from, size_t to)
{
    size_t i;
    size_t n = 0;

    for (i = from; i < to && i < pl->len; i++) {
        n += pl->items[i].severity == PROBLEM_ERROR;
    }
    return n;
}

/* problem_examples_add - count and keep a few examples */
void problem_examples_add(struct problem_examples *ex, const struct value *key)
{
    if (ex->count++ < PROBLEM_EXAMPLES) {
        if (ex->text.len > 0) {
            strbuf_add(&ex->text, ", ", 2);
        }
        repr_value(&ex->text, key);
    }
}

/* problem_examples_report - one problem for all of them */
void problem_examples_report(struct problem_examples *ex, struct problem_list *pl,
                             const char *code, const char *list,
                             enum problem_severity severity, const char *what)
{
    if (ex->count > 0) {
        problem_add(pl, code, list, severity, "%zu %s: %s%s", ex->count, what,
                    strbuf_cstr(&ex->text), ex->count > PROBLEM_EXAMPLES ? ", ..." : "");
    }
    strbuf_release(&ex->text);
    ex->count = 0;
}
