/*
 * test_upgrade - the upgrade step against what real Mailman 2.1.39 made of
 * real 2.0 and 2.1.10 lists, and small cases built from versions.py
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "mmfix/mlist.h"
#include "mmfix/profile.h"
#include "mmfix/pyload.h"
#include "mmfix/repr.h"
#include "mmfix/site.h"
#include "mmfix/strbuf.h"
#include "mmfix/tjson.h"
#include "mmfix/upgrade.h"
#include "harness.h"
#include "test_config.h"

#define NOW 1800000000.25

static struct site_settings *site;
static struct profile *profile;

static int setup(void **state)
{
    const char *err = NULL;

    (void)state;
    if (site_load(MMFIX_CORPUS_DIR "/site", &site, &err) != 0
        || profile_load(site, &profile, &err) != 0) {
        fprintf(stderr, "cannot read the corpus site: %s\n", err);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    profile_free(&profile);
    site_free(&site);
    pyload_deinit();
    return 0;
}

/* ---------------------------------------------------------------------- */
/* comparing trees the way Python compares the loaded objects */

struct cmp {
    struct strbuf path;
    const struct value *before;  /* the stored config: what the clock may set */
    char why[256];
};

static bool same(struct cmp *c, const struct value *got, const struct value *want);

static bool differ(struct cmp *c, const char *fmt, const struct value *got,
                   const struct value *want)
{
    struct strbuf g = STRBUF_INIT;
    struct strbuf w = STRBUF_INIT;

    if (got != NULL) {
        repr_value(&g, got);
    }
    if (want != NULL) {
        repr_value(&w, want);
    }
    snprintf(c->why, sizeof(c->why), "%s: %s: got %.90s, want %.90s", strbuf_cstr(&c->path),
             fmt, got != NULL ? strbuf_cstr(&g) : "(absent)",
             want != NULL ? strbuf_cstr(&w) : "(absent)");
    strbuf_release(&g);
    strbuf_release(&w);
    return false;
}

static bool same_dict(struct cmp *c, const struct value *got, const struct value *want,
                      bool top)
{
    size_t mark = c->path.len;
    size_t i;

    for (i = 0; i < want->u.dict.len; i++) {
        const struct value *k = want->u.dict.items[i].key;
        const struct value *g = value_dict_get(NULL, (struct value *)got, k);
        const struct value *w = want->u.dict.items[i].val;

        if (top) {
            strbuf_add(&c->path, k->u.str.data, k->u.str.len);
        } else {
            strbuf_addc(&c->path, '[');
            repr_value(&c->path, k);
            strbuf_addc(&c->path, ']');
        }
        if (g == NULL) {
            return differ(c, "missing", NULL, w);
        }
        /* the clock: created_at of a list that had none */
        if (top && value_str_eq(k, "created_at")
            && value_dict_get_str(NULL, (struct value *)c->before, "created_at") == NULL) {
            if (g->type != VALUE_FLOAT) {
                return differ(c, "not a float", g, w);
            }
        } else if (!same(c, g, w)) {
            return false;
        }
        c->path.len = mark;
        c->path.buf[mark] = '\0';
    }
    for (i = 0; i < got->u.dict.len; i++) {
        const struct value *k = got->u.dict.items[i].key;
        if (value_dict_get(NULL, (struct value *)want, k) == NULL) {
            if (top) {
                strbuf_add(&c->path, k->u.str.data, k->u.str.len);
            }
            return differ(c, "extra", got->u.dict.items[i].val, NULL);
        }
    }
    return true;
}

static bool same(struct cmp *c, const struct value *got, const struct value *want)
{
    size_t i;
    size_t mark = c->path.len;

    if (got->type != want->type) {
        return differ(c, "types differ", got, want);
    }
    switch (want->type) {
    case VALUE_DICT:
        if (got->u.dict.len != want->u.dict.len) {
            differ(c, "sizes differ", NULL, NULL);
        }
        return same_dict(c, got, want, false);
    case VALUE_LIST:
    case VALUE_TUPLE:
        if (got->u.seq.len != want->u.seq.len) {
            return differ(c, "lengths differ", got, want);
        }
        for (i = 0; i < want->u.seq.len; i++) {
            strbuf_addf(&c->path, "[%zu]", i);
            if (!same(c, got->u.seq.items[i], want->u.seq.items[i])) {
                return false;
            }
            c->path.len = mark;
            c->path.buf[mark] = '\0';
        }
        return true;
    case VALUE_INSTANCE:
        if (strcmp(got->u.inst.cls, want->u.inst.cls) != 0) {
            return differ(c, "classes differ", got, want);
        }
        if (got->u.inst.state == NULL || want->u.inst.state == NULL) {
            return got->u.inst.state == want->u.inst.state
                       ? true : differ(c, "state", got, want);
        }
        return same(c, got->u.inst.state, want->u.inst.state);
    default:
        return value_equal(got, want) ? true : differ(c, "values differ", got, want);
    }
}

/* same_delivery_status - entries the stored data had are compared whole;
 * a new entry's time is the clock */
static bool same_delivery_status(struct cmp *c, struct value *got, struct value *want)
{
    const struct value *old = value_dict_get_str(NULL, (struct value *)c->before,
                                                 "delivery_status");
    size_t i;

    if (got == NULL || want == NULL || got->type != VALUE_DICT || want->type != VALUE_DICT
        || got->u.dict.len != want->u.dict.len) {
        strbuf_adds(&c->path, "delivery_status");
        return differ(c, "dicts differ", got, want);
    }
    for (i = 0; i < want->u.dict.len; i++) {
        const struct value *k = want->u.dict.items[i].key;
        const struct value *w = want->u.dict.items[i].val;
        const struct value *g = value_dict_get(NULL, got, k);
        bool clock = old == NULL || old->type != VALUE_DICT
                     || value_dict_get(NULL, (struct value *)old, k) == NULL;

        strbuf_reset(&c->path);
        strbuf_adds(&c->path, "delivery_status[");
        repr_value(&c->path, k);
        strbuf_addc(&c->path, ']');
        if (g == NULL) {
            return differ(c, "missing", NULL, w);
        }
        if (clock && w->type == VALUE_TUPLE && w->u.seq.len == 2) {
            if (g->type != VALUE_TUPLE || g->u.seq.len != 2
                || !value_equal(g->u.seq.items[0], w->u.seq.items[0])
                || g->u.seq.items[1]->type != VALUE_FLOAT) {
                return differ(c, "status differs", g, w);
            }
        } else if (!same(c, g, w)) {
            return false;
        }
    }
    strbuf_reset(&c->path);
    return true;
}

/* configs_match - got equals want value for value, but for the clock */
static bool configs_match(struct cmp *c, struct value *got, struct value *want)
{
    struct value_arena *a = value_arena_new();
    struct value *g = value_copy(a, got);
    struct value *w = value_copy(a, want);
    struct value *ds = NULL;
    bool ok = false;

    if (!same_delivery_status(c, value_dict_get_str(a, g, "delivery_status"),
                              value_dict_get_str(a, w, "delivery_status"))) {
        goto out;
    }
    ds = value_new_bytes(a, "delivery_status", strlen("delivery_status"));
    value_dict_del(a, g, ds);
    value_dict_del(a, w, ds);
    ok = same_dict(c, g, w, true);
out:
    value_arena_free(&a);
    return ok;
}

/* ---------------------------------------------------------------------- */
/* the corpus */

static void check_corpus_list(const char *before_dir, const char *after_dir, const char *name,
                              int before_file)
{
    struct mlist *before = NULL;
    struct mlist *after = NULL;
    struct problem_list notes;
    struct cmp c = { STRBUF_INIT, NULL, "" };
    struct value *config = NULL;
    const char *err = NULL;

    problem_list_init(&notes);
    assert_int_equal(mlist_open(before_dir, name, 0, NULL, &before, &err), 0);
    assert_int_equal(before->loaded, before_file);
    assert_int_equal(mlist_open(after_dir, name, 0, NULL, &after, &err), 0);
    assert_int_equal(after->loaded, 0);
    assert_true(upgrade_needed(before->config, site));
    assert_false(upgrade_needed(after->config, site));
    config = value_copy(before->arena, before->config);
    if (upgrade_config(before->arena, before->config, config, name, site, profile, NOW, &notes,
                       &err) != 0) {
        fail_msg("%s: %s", name, err);
    }
    c.before = before->config;
    if (!configs_match(&c, config, after->config)) {
        fail_msg("%s: %s", name, c.why);
    }
    assert_true(notes.len > 0);
    strbuf_release(&c.path);
    problem_list_free(&notes);
    mlist_free(&before);
    mlist_free(&after);
}

static void test_corpus_mm20(void **state)
{
    static const char *const lists[] = { "cs", "es", "mailman", "vacia", "ldc-anuncios" };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        check_corpus_list(MMFIX_CORPUS_DIR "/mm20-sample/before/lists",
                          MMFIX_CORPUS_DIR "/mm20-sample/after-update-2.1.39/lists", lists[i], 2);
    }
}

static void test_corpus_mm2110(void **state)
{
    static const char *const lists[] = { "ro-studenti", "cs-konference", "vacia" };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        check_corpus_list(MMFIX_CORPUS_DIR "/mm2110-sample/before/lists",
                          MMFIX_CORPUS_DIR "/mm2110-sample/after-2.1.39/lists", lists[i], 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_mm20),
        cmocka_unit_test(test_corpus_mm2110),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
