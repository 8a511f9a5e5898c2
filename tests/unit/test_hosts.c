/*
 * test_hosts - fix_url's rule and the charset-safe rewrite, on synthetic
 * trees and byte strings
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mmfix/hosts.h"
#include "mmfix/site.h"
#include "mmfix/xalloc.h"

static struct value *S(struct value_arena *a, const char *s)
{
    return value_new_bytes(a, s, strlen(s));
}

static struct value *U(struct value_arena *a, const char *s)
{
    return value_new_text(a, s, strlen(s));
}

/* a site as the corpus's: two virtual hosts and the default hosts */
static struct site_settings *corpus_site(void)
{
    struct site_settings *s = site_defaults();

    s->default_url_host = xstrdup("www.ldc.usb.ve");
    s->default_email_host = xstrdup("ldc.usb.ve");
    s->virtual_hosts = xcalloc(2, sizeof(*s->virtual_hosts));
    s->virtual_hosts[0].url_host = xstrdup("www.ldc.usb.ve");
    s->virtual_hosts[0].email_host = xstrdup("ldc.usb.ve");
    s->virtual_hosts[1].url_host = xstrdup("www.ci.usb.ve");
    s->virtual_hosts[1].email_host = xstrdup("ci.usb.ve");
    s->n_virtual_hosts = 2;
    return s;
}

static bool has(const struct problem_list *pl, const char *code, const char *text)
{
    size_t i;

    for (i = 0; i < pl->len; i++) {
        if (strcmp(pl->items[i].code, code) == 0
            && (text == NULL || strstr(pl->items[i].message, text) != NULL)) {
            return true;
        }
    }
    return false;
}

static void test_target(void **state)
{
    struct site_settings *site = corpus_site();
    struct hosts_target t;
    const char *err = NULL;

    (void)state;
    /* a virtual host: VIRTUAL_HOSTS[H.lower()], the URL keeps H as typed */
    assert_int_equal(hosts_target_make(site, "WWW.CI.usb.ve", NULL, &t, &err), 0);
    assert_string_equal(t.web_page_url, "http://WWW.CI.usb.ve/mailman/");
    assert_string_equal(t.host_name, "ci.usb.ve");
    assert_int_equal(t.mail_from, HOSTS_MAIL_VIRTUAL);
    hosts_target_free(&t);
    /* not a virtual host: the URL host itself, as typed, is the mail host */
    assert_int_equal(hosts_target_make(site, "Listas.Example.org", NULL, &t, &err), 0);
    assert_string_equal(t.web_page_url, "http://Listas.Example.org/mailman/");
    assert_string_equal(t.host_name, "Listas.Example.org");
    assert_int_equal(t.mail_from, HOSTS_MAIL_URL_HOST);
    hosts_target_free(&t);
    /* no -u (or an empty one): the site's defaults */
    assert_int_equal(hosts_target_make(site, "", NULL, &t, &err), 0);
    assert_string_equal(t.web_page_url, "http://www.ldc.usb.ve/mailman/");
    assert_string_equal(t.host_name, "ldc.usb.ve");
    assert_int_equal(t.mail_from, HOSTS_MAIL_DEFAULT);
    hosts_target_free(&t);
    /* --email-host wins */
    assert_int_equal(hosts_target_make(site, "listas.example.org", "example.org", &t, &err), 0);
    assert_string_equal(t.host_name, "example.org");
    assert_int_equal(t.mail_from, HOSTS_MAIL_GIVEN);
    hosts_target_free(&t);
    /* not host names */
    assert_int_equal(hosts_target_make(site, "a b", NULL, &t, &err), -1);
    assert_int_equal(hosts_target_make(site, "x/y", NULL, &t, &err), -1);
    assert_int_equal(hosts_target_make(site, "x.org", "a@b", &t, &err), -1);
    /* a pattern that is not one %s */
    free(site->default_url_pattern);
    site->default_url_pattern = xstrdup("http://%s/%s/");
    assert_int_equal(hosts_target_make(site, "x.org", NULL, &t, &err), -1);
    assert_non_null(strstr(err, "DEFAULT_URL_PATTERN"));
    site_free(&site);
    /* the stock site does not know its hosts: -u is needed */
    site = site_defaults();
    assert_int_equal(hosts_target_make(site, NULL, NULL, &t, &err), -1);
    assert_int_equal(hosts_target_make(site, "x.org", NULL, &t, &err), 0);
    assert_string_equal(t.host_name, "x.org");
    hosts_target_free(&t);
    site_free(&site);
}

static void test_fix_url(void **state)
{
    struct value_arena *a = value_arena_new();
    struct value *c = value_new_dict(a, 0);
    struct hosts_target t = { NULL, NULL, NULL, HOSTS_MAIL_VIRTUAL };
    struct value *v = NULL;

    (void)state;
    t.web_page_url = xstrdup("http://www.ci.usb.ve/mailman/");
    t.host_name = xstrdup("ci.usb.ve");
    value_dict_set(a, c, S(a, "web_page_url"), U(a, "http://www.ldc.usb.ve/mailman/"));
    value_dict_set(a, c, S(a, "host_name"), S(a, "ci.usb.ve"));
    assert_int_equal(hosts_fix_url(a, c, &t), 1);
    v = value_dict_get_str(a, c, "web_page_url");
    assert_int_equal(v->type, VALUE_BYTES);   /* fix_url writes a str */
    assert_true(value_str_eq(v, "http://www.ci.usb.ve/mailman/"));
    assert_int_equal(hosts_fix_url(a, c, &t), 0);
    assert_int_equal(c->u.dict.len, 2);
    hosts_target_free(&t);
    value_arena_free(&a);
}

static void rewrite(const char *cs, const char *in, size_t len, const char *old,
                    const char *new, const char *want, size_t want_count, enum hosts_how want_how)
{
    struct hosts_rewrite rw = { (char *)old, (char *)new };
    struct strbuf out = STRBUF_INIT;
    size_t count = 99;
    size_t bad = 0;
    enum hosts_how how = HOSTS_TEXT;

    hosts_rewrite_bytes(cs, (const unsigned char *)in, len, &rw, 1, &out, &count, &how, &bad);
    assert_int_equal(how, want_how);
    assert_int_equal(count, want_count);
    assert_int_equal(out.len, strlen(want));
    assert_memory_equal(out.buf, want, out.len);
    strbuf_release(&out);
}

/* RW - rewrite() of a string literal, its length without the NUL */
#define RW(cs, in, ...) rewrite(cs, in, sizeof(in) - 1, __VA_ARGS__)

static void test_rewrite_bytes(void **state)
{
    (void)state;
    /* iso-8859-2: c-caron (0xe8) and r-caron (0xf8) right around the host */
    RW("iso-8859-2", "\xe8www.a.org\xf8 www.a.org", "www.a.org", "lists.b.org",
            "\xe8lists.b.org\xf8 lists.b.org", 2, HOSTS_TEXT);
    /* euc-jp: nihongo before, no after */
    RW("euc-jp", "\xc6\xfc\xcb\xdc\xb8\xecwww.a.org\xa4\xce", "www.a.org", "b.jp",
            "\xc6\xfc\xcb\xdc\xb8\xec" "b.jp\xa4\xce", 1, HOSTS_TEXT);
    /* a non-ASCII OLD and NEW in the list's charset (iso-8859-1) */
    RW("iso-8859-1", "M\xfcnchen.de", "M\xc3\xbcnchen", "Muenchen", "Muenchen.de",
            1, HOSTS_TEXT);
    /* Latin-1 bytes in a us-ascii list: ASCII pair, rewritten as bytes */
    RW("us-ascii", "caf\xe9 www.a.org", "www.a.org", "b.org", "caf\xe9 b.org", 1,
            HOSTS_BYTES);
    /* ... but not with a non-ASCII NEW */
    RW("us-ascii", "caf\xe9 www.a.org", "www.a.org", "b\xc3\xa9.org",
            "caf\xe9 www.a.org", 0, HOSTS_UNDECODABLE);
    /* big5: ASCII bytes can be trail bytes, so undecodable big5 is left */
    RW("big5", "\xa4\x40\xff www.a.org", "www.a.org", "b.org",
            "\xa4\x40\xff www.a.org", 0, HOSTS_UNDECODABLE);
    /* ... while valid big5 is decoded: 0xa4 0x40 is one character, kept */
    RW("big5", "\xa4\x40www.a.org", "www.a.org", "b.org", "\xa4\x40" "b.org", 1,
            HOSTS_TEXT);
    /* NEW that the charset cannot hold: left */
    RW("iso-8859-1", "www.a.org", "www.a.org", "\xe6\x97\xa5.jp", "www.a.org", 0,
            HOSTS_UNENCODABLE);
    /* NEW containing OLD: what a first run wrote is not rewritten again */
    RW("us-ascii", "a.org lists.a.org x.a.org", "a.org", "lists.a.org",
            "lists.a.org lists.a.org x.lists.a.org", 2, HOSTS_TEXT);
    /* nothing to do: a copy, count 0 */
    RW("utf-8", "nada", "www.a.org", "b", "nada", 0, HOSTS_TEXT);
}

static void test_rewrite_parse(void **state)
{
    struct hosts_rewrite rw;
    const char *err = NULL;

    (void)state;
    assert_int_equal(hosts_rewrite_parse("a.org=b=c", &rw, &err), 0);
    assert_string_equal(rw.old, "a.org");
    assert_string_equal(rw.new, "b=c");
    hosts_rewrite_free(&rw);
    assert_int_equal(hosts_rewrite_parse("a.org=", &rw, &err), 0);
    assert_string_equal(rw.new, "");
    hosts_rewrite_free(&rw);
    assert_int_equal(hosts_rewrite_parse("=b", &rw, &err), -1);
    assert_int_equal(hosts_rewrite_parse("ab", &rw, &err), -1);
    assert_int_equal(hosts_rewrite_parse("a\xff=b", &rw, &err), -1);
}

static void test_rewrite_config(void **state)
{
    struct value_arena *a = value_arena_new();
    struct value *c = value_new_dict(a, 0);
    struct value *members = value_new_dict(a, 0);
    struct value *pw = value_new_dict(a, 0);
    struct value *owners = value_new_list(a, 0);
    struct value *topics = value_new_list(a, 0);
    struct value *topic = value_new_tuple(a, 0);
    struct value *nested = value_new_dict(a, 0);
    struct hosts_rewrite rw = { "old.org", "new.org" };
    struct problem_list notes;
    struct problem_list problems;
    struct value *v = NULL;

    (void)state;
    problem_list_init(&notes);
    problem_list_init(&problems);
    value_dict_set(a, c, S(a, "description"), S(a, "Lista de old.org"));
    value_dict_set(a, c, S(a, "info"), U(a, "F\xc3\xbcr old.org und old.org"));
    value_seq_append(a, owners, S(a, "admin@old.org"));
    value_dict_set(a, c, S(a, "owner"), owners);
    value_dict_set(a, c, S(a, "moderator"), owners);   /* shared: walked once */
    value_seq_append(a, topic, S(a, "t"));
    value_seq_append(a, topic, S(a, "old\\.org"));
    value_seq_append(a, topic, S(a, "about old.org"));
    value_seq_append(a, topics, topic);
    value_dict_set(a, c, S(a, "topics"), topics);
    value_dict_set(a, nested, S(a, "k@old.org"), S(a, "v old.org"));
    value_dict_set(a, c, S(a, "extra"), nested);
    value_dict_set(a, members, S(a, "ana@old.org"), value_new_int(a, 0));
    value_dict_set(a, c, S(a, "members"), members);
    value_dict_set(a, pw, S(a, "ana@old.org"), S(a, "pw-old.org"));
    value_dict_set(a, c, S(a, "passwords"), pw);
    value_dict_set(a, c, S(a, "web_page_url"), S(a, "http://old.org/mailman/"));
    value_dict_set(a, c, S(a, "preferred_language"), S(a, "es"));

    assert_int_equal(hosts_rewrite_config(a, c, "iso-8859-1", &rw, 1, "l", &notes, &problems),
                     6);
    assert_true(value_str_eq(value_dict_get_str(a, c, "description"), "Lista de new.org"));
    v = value_dict_get_str(a, c, "info");
    assert_int_equal(v->type, VALUE_TEXT);   /* unicode stays unicode */
    assert_true(value_str_eq(v, "F\xc3\xbcr new.org und new.org"));
    assert_true(value_str_eq(owners->u.seq.items[0], "admin@new.org"));
    assert_ptr_equal(value_dict_get_str(a, c, "moderator"), owners);
    assert_true(value_str_eq(topic->u.seq.items[1], "old\\.org"));   /* not literal */
    assert_true(value_str_eq(topic->u.seq.items[2], "about new.org"));
    /* dict values yes, dict keys never */
    assert_true(value_str_eq(nested->u.dict.items[0].key, "k@old.org"));
    assert_true(value_str_eq(nested->u.dict.items[0].val, "v new.org"));
    /* roster, secrets and fix_url's own attributes are kept */
    assert_true(value_str_eq(members->u.dict.items[0].key, "ana@old.org"));
    assert_true(value_str_eq(pw->u.dict.items[0].val, "pw-old.org"));
    assert_true(value_str_eq(value_dict_get_str(a, c, "web_page_url"),
                             "http://old.org/mailman/"));
    assert_true(has(&notes, "text-rewritten", "info: 2 occurrences"));
    assert_true(has(&notes, "text-rewritten", "owner: 1 occurrence"));
    assert_true(has(&notes, "text-rewritten", "topics: 1 occurrence"));
    assert_true(has(&notes, "rewrite-members-kept", "'ana@old.org'"));
    assert_int_equal(problems.len, 0);
    /* the second run has nothing to do */
    assert_int_equal(hosts_rewrite_config(a, c, "iso-8859-1", &rw, 1, "l", &notes, &problems),
                     0);
    problem_list_free(&notes);
    problem_list_free(&problems);
    value_arena_free(&a);
}

static void test_rewrite_config_left(void **state)
{
    struct value_arena *a = value_arena_new();
    struct value *c = value_new_dict(a, 0);
    struct hosts_rewrite rw = { "old.org", "n\xc3\xa9w.org" };
    struct problem_list notes;
    struct problem_list problems;

    (void)state;
    problem_list_init(&notes);
    problem_list_init(&problems);
    /* undecodable in us-ascii, non-ASCII NEW: left and reported */
    value_dict_set(a, c, S(a, "info"), S(a, "caf\xe9 old.org"));
    assert_int_equal(hosts_rewrite_config(a, c, "us-ascii", &rw, 1, "l", &notes, &problems), 0);
    assert_true(has(&problems, "rewrite-undecodable", "info: not valid us-ascii at byte 3"));
    /* decodable, but NEW does not fit koi8-r */
    value_dict_set(a, c, S(a, "info"), S(a, "old.org"));
    assert_int_equal(hosts_rewrite_config(a, c, "koi8-r", &rw, 1, "l", &notes, &problems), 0);
    assert_true(has(&problems, "rewrite-unencodable", "info"));
    assert_true(value_str_eq(value_dict_get_str(a, c, "info"), "old.org"));
    problem_list_free(&notes);
    problem_list_free(&problems);
    value_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_target),
        cmocka_unit_test(test_fix_url),
        cmocka_unit_test(test_rewrite_bytes),
        cmocka_unit_test(test_rewrite_parse),
        cmocka_unit_test(test_rewrite_config),
        cmocka_unit_test(test_rewrite_config_left),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
