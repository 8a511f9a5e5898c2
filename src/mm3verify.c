/*
 * mm3verify - what Mailman 3 holds after import21, against what mmfix read
 *
 * DESCRIPTION
 *  See mm3verify.h. The outputs are parsed line by line; a line that is
 *  not what the command prints for an address is skipped (warnings that a
 *  Python program may print on the same stream).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mmfix/mm3verify.h"
#include "mmfix/xalloc.h"

static void add(char ***arr, size_t *n, char *s)
{
    *arr = xreallocarray(*arr, *n + 1, sizeof(**arr));
    (*arr)[(*n)++] = s;
}

/* next_line - the line at *pos (without its "\n" or "\r\n"), *pos moved past it; false at
 * the end */
static bool next_line(const char *out, size_t len, size_t *pos, const char **line_r,
                      size_t *n_r)
{
    size_t s = *pos;
    size_t e = s;

    if (s >= len) {
        return false;
    }
    while (e < len && out[e] != '\n') {
        e++;
    }
    *pos = e < len ? e + 1 : e;
    if (e > s && out[e - 1] == '\r') {
        e--;
    }
    *line_r = out + s;
    *n_r = e - s;
    return true;
}

struct got {
    char *email;     /* lower case */
    char *display;   /* NULL: printed without one */
};

static int cmp_got(const void *a, const void *b)
{
    return strcmp(((const struct got *)a)->email, ((const struct got *)b)->email);
}

/* lower_dup - lower-cased copy of s[0..n) */
static char *lower_dup(const char *s, size_t n)
{
    char *r = xstrndup(s, n);
    size_t i;

    for (i = 0; r[i] != '\0'; i++) {
        if (r[i] >= 'A' && r[i] <= 'Z') {
            r[i] = (char)(r[i] + 32);
        }
    }
    return r;
}

/* mm3verify_members - addresses and display names */
void mm3verify_members(const char *output, size_t len, const struct mm3export *x,
                       struct mm3verify *v)
{
    struct got *got = NULL;
    size_t n_got = 0;
    size_t pos = 0;
    const char *line = NULL;
    size_t n = 0;
    size_t i;

    while (next_line(output, len, &pos, &line, &n)) {
        const char *lt = NULL;
        const char *p = NULL;
        struct got g = { NULL, NULL };
        if (n == 0) {
            continue;
        }
        /* "Display Name <email>": the last " <" of a line ending in '>' */
        for (p = line; p + 1 < line + n; p++) {
            if (p[0] == ' ' && p[1] == '<') {
                lt = p;
            }
        }
        if (line[n - 1] == '>' && lt != NULL) {
            g.display = xstrndup(line, (size_t)(lt - line));
            g.email = lower_dup(lt + 2, (size_t)(line + n - 1 - (lt + 2)));
        } else if (memchr(line, ' ', n) == NULL && memchr(line, '@', n) != NULL) {
            g.email = lower_dup(line, n);
        } else {
            continue;
        }
        got = xreallocarray(got, n_got + 1, sizeof(*got));
        got[n_got++] = g;
    }
    if (n_got > 1) {
        qsort(got, n_got, sizeof(*got), cmp_got);
    }
    for (i = 0; i < x->n_addresses; i++) {
        const struct mm3export_address *a = &x->addresses[i];
        struct got key = { a->email, NULL };
        const struct got *g = n_got > 0 ? bsearch(&key, got, n_got, sizeof(*got), cmp_got)
                                        : NULL;
        v->addresses++;
        if (g == NULL) {
            add(&v->missing, &v->n_missing, xstrdup(a->original));
            continue;
        }
        if (a->display == NULL) {
            continue;
        }
        v->display_names++;
        if (strcmp(a->display, g->display != NULL ? g->display : "") != 0) {
            add(&v->wrong, &v->n_wrong,
                xasprintf("%s: display name '%s', not '%s'", a->original,
                          g->display != NULL ? g->display : "", a->display));
        }
    }
    for (i = 0; i < n_got; i++) {
        free(got[i].email);
        free(got[i].display);
    }
    free(got);
}

/* mm3verify_list - the list's display name and description */
void mm3verify_list(const char *output, size_t len, const struct mm3export *x,
                    bool with_description, struct mm3verify *v)
{
    size_t fl = strlen(x->fqdn);
    const char *want = x->display_name != NULL ? x->display_name : "";
    size_t wl = strlen(want);
    size_t pos = 0;
    const char *line = NULL;
    size_t n = 0;

    while (next_line(output, len, &pos, &line, &n)) {
        const char *rest = NULL;
        size_t rn = 0;
        if (n < fl + 2 || strncasecmp(line, x->fqdn, fl) != 0 || line[fl] != ' '
            || line[fl + 1] != '[') {
            continue;
        }
        v->display_names++;
        rest = line + fl + 2;
        rn = n - fl - 2;
        if (rn < wl + 1 || memcmp(rest, want, wl) != 0 || rest[wl] != ']') {
            add(&v->wrong, &v->n_wrong, xasprintf("%s: the list's line '%.*s' does not show "
                                                  "its display name '%s'", x->fqdn, (int)n,
                                                  line, want));
            return;
        }
        if (!with_description) {
            return;
        }
        rest += wl + 1;
        rn -= wl + 1;
        while (rn > 0 && *rest == ' ') {
            rest++;
            rn--;
        }
        if (rn >= 2 && rest[0] == '-' && rest[1] == ' ') {
            const char *d = x->description != NULL ? x->description : "";
            size_t dl = strlen(d);
            rest += 2;
            rn -= 2;
            while (rn > 0 && rest[rn - 1] == ' ') {
                rn--;
            }
            while (dl > 0 && d[dl - 1] == ' ') {
                dl--;
            }
            if (rn != dl || memcmp(rest, d, dl) != 0) {
                add(&v->wrong, &v->n_wrong, xasprintf("%s: description '%.*s', not '%.*s'",
                                                      x->fqdn, (int)rn, rest, (int)dl, d));
            }
        }
        return;
    }
    add(&v->missing, &v->n_missing, xstrdup(x->fqdn));
}

/* mm3verify_has_list - a line of `lists -q` is fqdn */
bool mm3verify_has_list(const char *output, size_t len, const char *fqdn)
{
    size_t fl = strlen(fqdn);
    size_t pos = 0;
    const char *line = NULL;
    size_t n = 0;

    while (next_line(output, len, &pos, &line, &n)) {
        while (n > 0 && line[n - 1] == ' ') {
            n--;
        }
        if (n == fl && strncasecmp(line, fqdn, fl) == 0) {
            return true;
        }
    }
    return false;
}

void mm3verify_free(struct mm3verify *v)
{
    size_t i;

    for (i = 0; i < v->n_missing; i++) {
        free(v->missing[i]);
    }
    for (i = 0; i < v->n_wrong; i++) {
        free(v->wrong[i]);
    }
    free(v->missing);
    free(v->wrong);
    memset(v, 0, sizeof(*v));
}
