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

/* ---------------------------------------------------------------------- */
/* small cases, each built from what versions.py / MailList.py do */

/* doc - a config from a typed JSON body in charset */
static struct value *doc(struct value_arena *a, const char *charset, const char *json)
{
    struct strbuf sb = STRBUF_INIT;
    struct value *root = NULL;
    enum load_error kind;
    const char *err = NULL;

    strbuf_addf(&sb, "{\"format\": \"mmfix-typed-json/1\", \"list\": \"t\", \"charset\": "
                "\"%s\", \"config\": %s}", charset, json);
    if (tjson_read(sb.buf, sb.len, NULL, a, &root, NULL, NULL, &kind, &err) != 0) {
        fail_msg("bad test JSON: %s: %s", err, json);
    }
    strbuf_release(&sb);
    return root;
}

/* run - upgrade stored as list `name`, expecting success */
static struct value *run(struct value_arena *a, const char *name, struct value *stored,
                         struct problem_list *notes)
{
    struct value *config = value_copy(a, stored);
    const char *err = NULL;

    if (upgrade_config(a, stored, config, name, site, profile, NOW, notes, &err) != 0) {
        fail_msg("upgrade failed: %s", err);
    }
    return config;
}

/* expect - attribute attr of config equals the typed JSON value want
 * (read in charset); NULL want: the attribute is absent */
static void expect_cs(struct value *config, const char *attr, const char *charset,
                      const char *want)
{
    struct value_arena *a = value_arena_new();
    struct cmp c = { STRBUF_INIT, NULL, "" };
    struct value *got = value_dict_get_str(NULL, config, attr);
    struct strbuf body = STRBUF_INIT;
    struct value *w = NULL;

    if (want == NULL) {
        if (got != NULL) {
            fail_msg("%s: present, want absent", attr);
        }
        value_arena_free(&a);
        return;
    }
    strbuf_addf(&body, "{\"v\": %s}", want);
    w = value_dict_get_str(NULL, doc(a, charset, body.buf), "v");
    strbuf_adds(&c.path, attr);
    if (got == NULL) {
        fail_msg("%s: absent, want %s", attr, want);
    }
    if (!same(&c, got, w)) {
        fail_msg("%s", c.why);
    }
    strbuf_release(&body);
    strbuf_release(&c.path);
    value_arena_free(&a);
}

static void expect(struct value *config, const char *attr, const char *want)
{
    expect_cs(config, attr, "us-ascii", want);
}

/* has_note - a note with this code was made */
static bool has_note(const struct problem_list *notes, const char *code)
{
    size_t i;

    for (i = 0; i < notes->len; i++) {
        if (strcmp(notes->items[i].code, code) == 0) {
            return true;
        }
    }
    return false;
}

/* each small case gets an arena and a notes list */
struct fx {
    struct value_arena *a;
    struct problem_list notes;
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    if (f == NULL) {
        return -1;
    }
    f->a = value_arena_new();
    problem_list_init(&f->notes);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;

    problem_list_free(&f->notes);
    value_arena_free(&f->a);
    free(f);
    return 0;
}

#define MEMBERS20 "\"members\": {\"ana@x.org\": 0, \"boss@x.org\": \"Boss@x.org\"}, " \
                  "\"digest_members\": {\"dig@x.org\": 0}, "

/* The four cases of 2.0's moderated / member_posting_only / posters, and
 * forbidden_posters: posters not members are accepted, members moderated
 * unless their key is on posters (an exact, case-sensitive match) */
static void test_moderation(void **state)
{
    static const struct {
        const char *in;
        const char *accept;
        const char *hold;
        const char *user_options;
        const char *gna;
        const char *dmm;
    } cases[] = {
        /* case 1: moderated */
        { "\"user_options\": {\"ana@x.org\": 8}, \"moderated\": 1, "
          "\"member_posting_only\": 0, \"posters\": [\"Boss@x.org\", \"out@y.org\", "
          "\"ana@x.org\"]",
          "[\"out@y.org\"]", "[]",
          "{\"ana@x.org\": 8, \"boss@x.org\": 128, \"dig@x.org\": 128}", "1", "1" },
        /* case 2: member_posting_only */
        { "\"user_options\": {\"ana@x.org\": 136}, \"moderated\": 0, "
          "\"member_posting_only\": 1, \"posters\": [\"out@y.org\"]",
          "[\"out@y.org\"]", "[]", "{\"ana@x.org\": 8}", "1", "0" },
        /* case 3: anybody */
        { "\"user_options\": {\"dig@x.org\": 128}, \"moderated\": 0, "
          "\"member_posting_only\": 0, \"posters\": []",
          "[]", "[]", "{}", "0", "0" },
        /* case 4: posters only; forbidden_posters */
        { "\"moderated\": 0, \"member_posting_only\": 0, "
          "\"posters\": [\"ana@x.org\", \"out@y.org\"], "
          "\"forbidden_posters\": [\"dig@x.org\", \"spam@z.org\"]",
          "[\"out@y.org\"]", "[\"spam@z.org\"]", "{\"boss@x.org\": 128, \"dig@x.org\": 128}",
          "1", "1" },
    };
    struct fx *f = *state;
    struct strbuf in = STRBUF_INIT;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct value *c = NULL;

        strbuf_reset(&in);
        strbuf_addf(&in, "{\"data_version\": 21, " MEMBERS20 "%s}", cases[i].in);
        c = run(f->a, "t", doc(f->a, "us-ascii", in.buf), &f->notes);
        expect(c, "accept_these_nonmembers", cases[i].accept);
        expect(c, "hold_these_nonmembers", cases[i].hold);
        expect(c, "user_options", cases[i].user_options);
        expect(c, "generic_nonmember_action", cases[i].gna);
        expect(c, "default_member_moderation", cases[i].dmm);
        expect(c, "moderated", NULL);
        expect(c, "posters", NULL);
        expect(c, "member_posting_only", NULL);
        expect(c, "forbidden_posters", NULL);
        expect(c, "members", "{\"ana@x.org\": 0, \"boss@x.org\": \"Boss@x.org\"}");
    }
    strbuf_release(&in);
    assert_true(has_note(&f->notes, "upgrade-moderation"));
}

/* UpdateOldUsers: password keys lower-cased; only a member's _BounceInfo
 * survives in bounce_info */
static void test_old_users(void **state)
{
    struct fx *f = *state;
    struct value_arena *a = f->a;
    struct value *c = NULL;

    c = run(a, "t", doc(a, "us-ascii", "{\"data_version\": 21, " MEMBERS20
                        "\"passwords\": {\"Ana@X.org\": \"p1\", \"boss@x.org\": \"p2\"}, "
                        "\"bounce_info\": {\"ana@x.org\": [1.5, 2.0, 3.0], "
                        "\"boss@x.org\": {\"$instance\": \"Mailman.Bouncer._BounceInfo\", "
                        "\"$state\": {\"score\": 1.0}}, "
                        "\"gone@x.org\": {\"$instance\": \"Mailman.Bouncer._BounceInfo\", "
                        "\"$state\": {\"score\": 2.0}}}}"), &f->notes);
    expect(c, "passwords", "{\"ana@x.org\": \"p1\", \"boss@x.org\": \"p2\"}");
    expect(c, "bounce_info", "{\"boss@x.org\": {\"$instance\": \"Mailman.Bouncer._BounceInfo\", "
           "\"$state\": {\"score\": 1.0}}}");
    assert_true(has_note(&f->notes, "upgrade-bounce-info"));
    assert_true(has_note(&f->notes, "upgrade-passwords"));
}

/* CanonicalizeUserOptions: keys lower-cased and OR-merged, non-members'
 * dropped, DisableDelivery (1) made delivery_status (UNKNOWN, now); not
 * again once useropts_version is set */
static void test_user_options(void **state)
{
    struct fx *f = *state;
    struct value_arena *a = f->a;
    struct value *c = NULL;

    c = run(a, "t", doc(a, "us-ascii", "{\"data_version\": 97, " MEMBERS20
                        "\"user_options\": {\"Ana@x.org\": 1, \"ana@x.org\": 8, "
                        "\"ghost@x.org\": 2, \"boss@x.org\": 16}, "
                        "\"delivery_status\": {\"dig@x.org\": {\"$tuple\": [2, 5.0]}}}"), &f->notes);
    expect(c, "user_options", "{\"ana@x.org\": 8, \"boss@x.org\": 16}");
    expect(c, "delivery_status", "{\"ana@x.org\": {\"$tuple\": [1, 1800000000.25]}, "
           "\"dig@x.org\": {\"$tuple\": [2, 5.0]}}");
    expect(c, "useropts_version", "1");
    assert_true(has_note(&f->notes, "upgrade-user-options"));

    c = run(a, "t", doc(a, "us-ascii", "{\"data_version\": 97, \"useropts_version\": 1, "
                        MEMBERS20 "\"user_options\": {\"Ghost@x.org\": 1}}"), &f->notes);
    expect(c, "user_options", "{\"Ghost@x.org\": 1}");
    expect(c, "delivery_status", "{}");
}

/* UpdateOldVars: a list-typed roster becomes a dict; keys lower-cased
 * with the written address (domain lower-cased) as value; a value that is
 * not the key's written form becomes 0 */
static void test_rosters(void **state)
{
    struct fx *f = *state;
    struct value_arena *a = f->a;
    struct value *c = NULL;

    c = run(a, "t", doc(a, "us-ascii", "{\"data_version\": 21, \"members\": "
                        "{\"Ana@X.Org\": 1, \"bob@x.org\": 1, \"cy@x.org\": \"Dee@x.org\", "
                        "\"ed@x.org\": \"Ed@x.org\"}, \"digest_members\": [\"dig@x.org\"]}"),
            &f->notes);
    expect(c, "members", "{\"ana@x.org\": \"Ana@x.org\", \"bob@x.org\": 0, \"cy@x.org\": 0, "
           "\"ed@x.org\": \"Ed@x.org\"}");
    expect(c, "digest_members", "{\"dig@x.org\": 0}");
    assert_true(has_note(&f->notes, "upgrade-members"));
}

/* The 1.0-era renames (PreferStored), open_subscribe, the old
 * dont_respond_to_post_requests, author_is_list, and the data_version
 * <= 10 rule for posters */
static void test_renames(void **state)
{
    struct fx *f = *state;
    struct value_arena *a = f->a;
    struct value *c = NULL;

    c = run(a, "t", doc(a, "us-ascii", "{\"data_version\": 5, \"auto_subscribe\": 1, "
                        "\"closed\": 1, \"private_roster\": 2, \"reminders_to_admins\": 1, "
                        "\"dont_respond_to_post_requests\": 1, \"author_is_list\": 2, "
                        "\"posters\": [\"a@b.org\"]}"), &f->notes);
    expect(c, "subscribe_policy", "1");        /* ALLOW_OPEN_SUBSCRIBE is No */
    expect(c, "open_subscribe", NULL);
    expect(c, "auto_subscribe", NULL);
    expect(c, "private_roster", "2");          /* stored: the old name loses */
    expect(c, "closed", NULL);
    expect(c, "umbrella_list", "1");
    expect(c, "reminders_to_admins", NULL);
    expect(c, "respond_to_post_requests", "true");   /* InitVars set it first */
    expect(c, "dont_respond_to_post_requests", NULL);
    expect(c, "from_is_list", "2");
    expect(c, "author_is_list", NULL);
    expect(c, "member_posting_only", "0");
    expect(c, "posters", "[\"a@b.org\"]");
    assert_true(has_note(&f->notes, "upgrade-rename"));
}

/* Below 108 a Romanian list's str values (recursively; not unicode, not
 * dict keys) that are not UTF-8 are recoded from iso-8859-2 */
static void test_recode(void **state)
{
    static const char *const body =
        "\"preferred_language\": \"ro\", \"description\": \"List\u0103\", "
        "\"subject_prefix\": {\"$unicode\": \"[\u0219]\"}, "
        "\"info\": {\"$bytes\": \"xINs\"}, "
        "\"usernames\": {\"b\u0103@x.org\": \"B\u0103lan\"}, "
        "\"topics\": [{\"$tuple\": [\"\u0163\", \"x\", \"d\", 0]}]}";
    struct fx *f = *state;
    struct value_arena *a = f->a;
    struct strbuf sb = STRBUF_INIT;
    struct value *c = NULL;

    strbuf_addf(&sb, "{\"data_version\": 97, %s", body);
    c = run(a, "ro", doc(a, "iso-8859-2", sb.buf), &f->notes);
    expect_cs(c, "description", "utf-8", "\"List\u0103\"");
    expect_cs(c, "subject_prefix", "utf-8", "{\"$unicode\": \"[\u0219]\"}");
    expect(c, "info", "{\"$bytes\": \"xINs\"}");    /* UTF-8 already */
    expect_cs(c, "usernames", "iso-8859-2", "{\"b\u0103@x.org\": {\"$bytes\": \"QsSDbGFu\"}}");
    expect_cs(c, "topics", "utf-8", "[{\"$tuple\": [\"\u0163\", \"x\", \"d\", 0]}]");
    assert_true(has_note(&f->notes, "upgrade-recode"));

    /* from 108 on, or for another language, nothing is recoded */
    strbuf_reset(&sb);
    strbuf_addf(&sb, "{\"data_version\": 108, %s", body);
    c = run(a, "ro", doc(a, "iso-8859-2", sb.buf), &f->notes);
    expect_cs(c, "description", "iso-8859-2", "\"List\u0103\"");
    strbuf_reset(&sb);
    strbuf_addf(&sb, "{\"data_version\": 97, \"preferred_language\": \"cs\", %s",
                strstr(body, "\"description\""));
    c = run(a, "cs", doc(a, "iso-8859-2", sb.buf), &f->notes);
    expect_cs(c, "description", "iso-8859-2", "\"List\u0103\"");
    strbuf_release(&sb);
}

/* Mailman's recode recurses; nesting beyond Python's recursion limit (or
 * a cycle) makes it fail, and the list is refused rather than looped on */
static void test_recode_depth(void **state)
{
    struct fx *f = *state;
    struct value *stored = doc(f->a, "us-ascii", "{\"data_version\": 97, "
                               "\"preferred_language\": \"ro\"}");
    struct value *inner = value_new_list(f->a, 1);
    struct value *config = NULL;
    const char *err = NULL;
    int i;

    config = value_copy(f->a, stored);
    value_seq_append(f->a, inner, inner);       /* a list holding itself */
    value_dict_set(f->a, stored, value_new_bytes(f->a, "x", 1), inner);
    value_dict_set(f->a, config, value_new_bytes(f->a, "x", 1), inner);
    assert_int_equal(upgrade_config(f->a, stored, config, "ro", site, profile, NOW,
                                    &f->notes, &err), -1);
    assert_non_null(strstr(err, "deeper"));

    inner = value_new_bytes(f->a, "\xba", 1);
    for (i = 0; i < 100; i++) {
        struct value *outer = value_new_list(f->a, 1);
        value_seq_append(f->a, outer, inner);
        inner = outer;
    }
    stored = doc(f->a, "us-ascii", "{\"data_version\": 97, \"preferred_language\": \"ro\"}");
    value_dict_set(f->a, stored, value_new_bytes(f->a, "x", 1), inner);
    config = run(f->a, "ro", stored, &f->notes);
    for (inner = value_dict_get_str(NULL, config, "x"); inner->type == VALUE_LIST;
         inner = inner->u.seq.items[0]) {
    }
    assert_memory_equal(inner->u.str.data, "\xc5\x9f", 2);   /* iso-8859-2 0xba: U+015F */
}

/* Below 106 topic patterns were verbose: whitespace outside classes and
 * comments go, escaped and in-class characters stay, CR/LF become \r \n */
static void test_verbose_topics(void **state)
{
    struct fx *f = *state;
    struct value_arena *a = f->a;
    struct value *c = NULL;

    c = run(a, "t", doc(a, "us-ascii", "{\"data_version\": 97, \"topics\": [{\"$tuple\": "
                        "[\"t\", \"foo  # a comment\\n bar\\\\ baz [ #\\n] q\\\\\\n\", \"d\", 0]}]}"),
            &f->notes);
    expect(c, "topics", "[{\"$tuple\": [\"t\", \"foobar\\\\ baz[ #\\\\n]q\\\\\\\\n\", \"d\", 0]}]");
    assert_true(has_note(&f->notes, "upgrade-topics"));

    c = run(a, "t", doc(a, "us-ascii", "{\"data_version\": 106, \"topics\": [{\"$tuple\": "
                        "[\"t\", \"a b\", \"d\", 0]}]}"), &f->notes);
    expect(c, "topics", "[{\"$tuple\": [\"t\", \"a b\", \"d\", 0]}]");
}

/* CheckValues: a web_page_url without scheme or host takes the site's
 * default, one without trailing '/' gets it; an invalid reply_to_address
 * in use is cleared; topics that are not 4-tuples are dropped */
static void test_check_values(void **state)
{
    struct fx *f = *state;
    struct value_arena *a = f->a;
    struct value *c = NULL;

    c = run(a, "t", doc(a, "us-ascii", "{\"data_version\": 106, \"web_page_url\": "
                        "\"www.x.org/mailman/\", \"reply_to_address\": \"not an address\", "
                        "\"reply_goes_to_list\": 2, \"topics\": [{\"$tuple\": [\"a\", \"b\", "
                        "\"c\"]}, [\"n\", \"p\", \"d\", 0]]}"), &f->notes);
    expect(c, "web_page_url", "\"http://www.ldc.usb.ve/mailman/\"");
    expect(c, "reply_to_address", "\"\"");
    expect(c, "reply_goes_to_list", "0");
    expect(c, "topics", "[{\"$tuple\": [\"n\", \"p\", \"d\", 0]}]");
    assert_true(has_note(&f->notes, "upgrade-check-values"));

    c = run(a, "t", doc(a, "us-ascii", "{\"data_version\": 97, \"web_page_url\": "
                        "\"https://lists.x.org/mailman\", \"reply_to_address\": "
                        "\"list@x.org\", \"reply_goes_to_list\": 2}"), &f->notes);
    expect(c, "web_page_url", "\"https://lists.x.org/mailman/\"");
    expect(c, "reply_to_address", "\"list@x.org\"");
    expect(c, "reply_goes_to_list", "2");
}

/* InitVars: the defaults of a list that has nothing, computed from the
 * site (hosts, URL pattern, language) and the clock */
static void test_defaults(void **state)
{
    struct fx *f = *state;
    struct value_arena *a = f->a;
    struct value *c = NULL;

    c = run(a, "my-list", doc(a, "us-ascii", "{\"data_version\": 21, \"real_name\": \"MY-LIST\"}"),
            &f->notes);
    expect(c, "real_name", "\"MY-LIST\"");
    expect(c, "subject_prefix", "\"[My-list] \"");  /* from InitVars' own real_name */
    expect(c, "host_name", "\"ldc.usb.ve\"");
    expect(c, "web_page_url", "\"http://www.ldc.usb.ve/mailman/\"");
    expect(c, "created_at", "1800000000.25");
    expect(c, "owner", "[\"\"]");
    expect(c, "max_message_size", "40");
    expect(c, "bounce_score_threshold", "5.0");
    expect(c, "archive", "true");
    expect(c, "encode_ascii_prefixes", "0");
    expect(c, "data_version", "112");
    expect(c, "useropts_version", "1");
    assert_int_equal(c->u.dict.len, 146);
    assert_true(has_note(&f->notes, "upgrade-defaults"));
    assert_true(has_note(&f->notes, "upgrade-data-version"));
}

/* A list at the target's data version is left alone; what Mailman fails
 * on is refused */
static void test_current_and_refused(void **state)
{
    struct fx *f = *state;
    struct value_arena *a = f->a;
    struct value *stored = NULL;
    struct value *config = NULL;
    const char *err = NULL;

    stored = doc(a, "us-ascii", "{\"data_version\": 112, \"moderated\": 1}");
    assert_false(upgrade_needed(stored, site));
    config = run(a, "t", stored, &f->notes);
    assert_true(value_equal(config, stored));
    assert_int_equal(f->notes.len, 0);

    stored = doc(a, "us-ascii", "{\"data_version\": 97, \"preferred_language\": \"big5\"}");
    config = value_copy(a, stored);
    assert_int_equal(upgrade_config(a, stored, config, "t", site, profile, NOW, &f->notes, &err),
                     -1);
    assert_non_null(strstr(err, "big5"));

    stored = doc(a, "us-ascii", "{\"real_name\": \"T\"}");
    assert_true(upgrade_needed(stored, site));
    config = value_copy(a, stored);
    assert_int_equal(upgrade_config(a, stored, config, "t", site, profile, NOW, &f->notes, &err),
                     -1);

    stored = doc(a, "us-ascii", "{\"data_version\": 21, \"moderated\": 1, "
                 "\"member_posting_only\": 0, \"posters\": [], "
                 "\"members\": {\"Ana@x.org\": 0}}");
    config = value_copy(a, stored);
    assert_int_equal(upgrade_config(a, stored, config, "t", site, profile, NOW, &f->notes, &err),
                     -1);
    assert_non_null(strstr(err, "not a member"));
}

/* Python 2's orderings decide: None is older than any data_version, a
 * string useropts_version is newer than 0; a unicode reply_to_address is
 * checked by characters (a non-Latin-1 local part is valid) */
static void test_python2_semantics(void **state)
{
    struct fx *f = *state;
    struct value *stored = NULL;
    struct value *c = NULL;

    stored = doc(f->a, "us-ascii", "{\"data_version\": null, \"posters\": [\"a@b.org\"], "
                 "\"useropts_version\": \"x\", " MEMBERS20
                 "\"user_options\": {\"Ghost@x.org\": 1}, \"reply_goes_to_list\": 2, "
                 "\"reply_to_address\": {\"$unicode\": \"\u010dlen@x.org\"}}");
    assert_true(upgrade_needed(stored, site));
    c = run(f->a, "t", stored, &f->notes);
    expect(c, "data_version", "112");
    expect(c, "member_posting_only", "0");
    expect(c, "user_options", "{\"Ghost@x.org\": 1}");
    expect_cs(c, "reply_to_address", "utf-8", "{\"$unicode\": \"\u010dlen@x.org\"}");
    expect(c, "reply_goes_to_list", "2");

    stored = doc(f->a, "us-ascii", "{\"data_version\": \"112\"}");
    assert_false(upgrade_needed(stored, site));

    /* a unicode member key and a str options key are one address */
    c = run(f->a, "t", doc(f->a, "us-ascii", "{\"data_version\": 97, \"members\": "
                           "{\"$dict\": [[{\"$unicode\": \"ana@x.org\"}, 0]]}, "
                           "\"user_options\": {\"ana@x.org\": 1}}"), &f->notes);
    expect(c, "user_options", "{}");
    expect(c, "delivery_status", "{\"ana@x.org\": {\"$tuple\": [1, 1800000000.25]}}");
}

/* The site's own Defaults.py / mm_cfg.py settings win over the stock ones */
static void test_site_profile(void **state)
{
    char *dir = harness_tmpdir("upgrade-site");
    struct site_settings *s = NULL;
    struct profile *p = NULL;
    struct fx *f = *state;
    struct value_arena *a = f->a;
    struct value *stored = NULL;
    struct value *config = NULL;
    const char *err = NULL;
    char path[512];

    snprintf(path, sizeof(path), "%s/Mailman", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof(path), "%s/Mailman/Defaults.py", dir);
    harness_write_text(path, "Yes = yes = On = on = True\nNo = no = Off = off = False\n"
                             "DEFAULT_EMAIL_HOST = 'example.org'\n"
                             "DEFAULT_URL_HOST = 'www.example.org'\n"
                             "DEFAULT_URL_PATTERN = 'https://%s/mm/'\n"
                             "DEFAULT_MAX_MESSAGE_SIZE = 40\n"
                             "DATA_FILE_VERSION = 108\n");
    snprintf(path, sizeof(path), "%s/Mailman/mm_cfg.py", dir);
    harness_write_text(path, "from Defaults import *\nDEFAULT_MAX_MESSAGE_SIZE = 400\n"
                             "DEFAULT_SEND_REMINDERS = No\n"
                             "DEFAULT_SUBJECT_PREFIX = '[%(real_name)s %%d] '\n");
    assert_int_equal(site_load(dir, &s, &err), 0);
    assert_int_equal(profile_load(s, &p, &err), 0);
    assert_true(profile_from_site(p, "DEFAULT_MAX_MESSAGE_SIZE"));
    assert_false(profile_from_site(p, "DEFAULT_ARCHIVE"));
    assert_false(profile_from_site(profile, "DEFAULT_MAX_MESSAGE_SIZE"));
    stored = doc(a, "us-ascii", "{\"data_version\": 21}");
    config = value_copy(a, stored);
    assert_int_equal(upgrade_config(a, stored, config, "t", s, p, NOW, &f->notes, &err), 0);
    expect(config, "max_message_size", "400");
    expect(config, "send_reminders", "false");
    expect(config, "subject_prefix", "\"[T %d] \"");
    expect(config, "host_name", "\"example.org\"");
    expect(config, "web_page_url", "\"https://www.example.org/mm/\"");
    expect(config, "data_version", "108");
    assert_true(has_note(&f->notes, "upgrade-target"));
    profile_free(&p);
    site_free(&s);
    assert_int_equal(harness_rmtree(dir), 0);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_mm20),
        cmocka_unit_test(test_corpus_mm2110),
        cmocka_unit_test_setup_teardown(test_moderation, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_old_users, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_user_options, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rosters, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_renames, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_recode, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_recode_depth, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_verbose_topics, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_check_values, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_defaults, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_current_and_refused, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_python2_semantics, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_site_profile, fx_setup, fx_teardown),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
