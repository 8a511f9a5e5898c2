/*
 * udiff - unified diff of two texts (udiff.h)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mmfix/udiff.h"
#include "mmfix/xalloc.h"

#define CONTEXT 3

struct text_lines {
    const char **s;
    size_t *n;
    size_t count;
};

/* lines_of - split at '\n' (a last line without one counts too) */
static void lines_of(const char *t, size_t len, struct text_lines *l)
{
    size_t cap = 16;
    const char *p = t;
    const char *end = t + len;

    l->count = 0;
    l->s = xcalloc(cap, sizeof(char *));
    l->n = xcalloc(cap, sizeof(size_t));
    while (t != NULL && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl != NULL ? nl : end;
        if (l->count == cap) {
            cap *= 2;
            l->s = xreallocarray(l->s, cap, sizeof(char *));
            l->n = xreallocarray(l->n, cap, sizeof(size_t));
        }
        l->s[l->count] = p;
        l->n[l->count] = (size_t)(e - p);
        l->count++;
        p = e < end ? e + 1 : end;
    }
}

static int same(const struct text_lines *a, size_t i, const struct text_lines *b, size_t j)
{
    return a->n[i] == b->n[j] && memcmp(a->s[i], b->s[j], a->n[i]) == 0;
}

/* edit - the script: ' ' keep, '-' remove a line of a, '+' add a line of b */
static char *edit(const struct text_lines *a, const struct text_lines *b, size_t *len_r)
{
    size_t pre = 0;
    size_t suf = 0;
    size_t m;
    size_t n;
    size_t k = 0;
    size_t i;
    size_t j;
    char *ops = xmalloc(a->count + b->count + 1);

    while (pre < a->count && pre < b->count && same(a, pre, b, pre)) {
        pre++;
    }
    while (suf < a->count - pre && suf < b->count - pre
           && same(a, a->count - 1 - suf, b, b->count - 1 - suf)) {
        suf++;
    }
    m = a->count - pre - suf;
    n = b->count - pre - suf;
    memset(ops, ' ', pre);
    k = pre;
    if (m > 0 && n > 0 && (m + 1) <= UDIFF_MAX_CELLS / (n + 1)) {
        uint32_t *t = xcalloc((m + 1) * (n + 1), sizeof(uint32_t));
        size_t w = n + 1;
        for (i = m; i-- > 0;) {
            for (j = n; j-- > 0;) {
                t[i * w + j] = same(a, pre + i, b, pre + j) ? t[(i + 1) * w + j + 1] + 1
                               : t[(i + 1) * w + j] > t[i * w + j + 1] ? t[(i + 1) * w + j]
                                                                        : t[i * w + j + 1];
            }
        }
        i = 0;
        j = 0;
        while (i < m || j < n) {
            if (i < m && j < n && same(a, pre + i, b, pre + j)) {
                ops[k++] = ' ';
                i++;
                j++;
            } else if (i < m && (j == n || t[(i + 1) * w + j] >= t[i * w + j + 1])) {
                ops[k++] = '-';
                i++;
            } else {
                ops[k++] = '+';
                j++;
            }
        }
        free(t);
    } else {
        memset(ops + k, '-', m);
        k += m;
        memset(ops + k, '+', n);
        k += n;
    }
    memset(ops + k, ' ', suf);
    k += suf;
    *len_r = k;
    return ops;
}

/* udiff_text - the unified diff */
void udiff_text(struct strbuf *out, const char *label, const char *a, size_t alen,
                const char *b, size_t blen)
{
    struct text_lines la;
    struct text_lines lb;
    size_t len = 0;
    char *ops = NULL;
    size_t k = 0;
    int header = 0;

    lines_of(a, alen, &la);
    lines_of(b, blen, &lb);
    ops = edit(&la, &lb, &len);
    while (k < len) {
        size_t start;
        size_t end;
        size_t ai = 0;
        size_t bi = 0;
        size_t na = 0;
        size_t nb = 0;
        size_t q;

        while (k < len && ops[k] == ' ') {
            k++;
        }
        if (k == len) {
            break;
        }
        start = k > CONTEXT ? k - CONTEXT : 0;
        /* extend over changes less than 2 * CONTEXT equal lines apart */
        end = k;
        for (;;) {
            size_t run = 0;
            while (end < len && ops[end] != ' ') {
                end++;
            }
            while (end + run < len && ops[end + run] == ' ') {
                run++;
            }
            if (end + run == len || run > 2 * CONTEXT) {
                end += run < CONTEXT ? run : CONTEXT;
                break;
            }
            end += run;
        }
        for (q = 0; q < start; q++) {
            ai += ops[q] != '+';
            bi += ops[q] != '-';
        }
        for (q = start; q < end; q++) {
            na += ops[q] != '+';
            nb += ops[q] != '-';
        }
        if (!header) {
            strbuf_addf(out, "--- %s\n+++ %s (after)\n", label, label);
            header = 1;
        }
        strbuf_addf(out, "@@ -%zu,%zu +%zu,%zu @@\n", na > 0 ? ai + 1 : ai, na,
                    nb > 0 ? bi + 1 : bi, nb);
        for (q = start; q < end; q++) {
            if (ops[q] == '+') {
                strbuf_addc(out, '+');
                strbuf_add(out, lb.s[bi], lb.n[bi]);
                bi++;
            } else {
                strbuf_addc(out, ops[q]);
                strbuf_add(out, la.s[ai], la.n[ai]);
                ai++;
                bi += ops[q] == ' ';
            }
            strbuf_addc(out, '\n');
        }
        k = end;
    }
    free(ops);
    free(la.s);
    free(la.n);
    free(lb.s);
    free(lb.n);
}
