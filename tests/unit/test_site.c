/*
 * test_site - site settings read from Defaults.py / Version.py / mm_cfg.py
 * without executing them: the corpus site, a Python 2 dialect fixture, an
 * incomplete one (stock defaults), a hostile mm_cfg.py (nothing runs), site
 * files that are FIFOs or directories (reported, never read: no hang), and
 * the stock defaults alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"

#include "mmfix/charset.h"
#include "mmfix/fileread.h"
#include "mmfix/pyload.h"
#include "mmfix/site.h"
#include "mmfix/xalloc.h"
#include "test_config.h"

#define HOSTILE_MARKER "/tmp/mmfix-site-hostile-marker"

/* load - site_load or fail the test */
static struct site_settings *load(const char *dir)
{
    struct site_settings *s = NULL;
    const char *err = NULL;

    if (site_load(dir, &s, &err) != 0) {
        fail_msg("site_load(%s): %s", dir, err);
    }
    assert_non_null(s);
    return s;
}

/* has_warning - some warning contains text */
static bool has_warning(const struct site_settings *s, const char *text)
{
    size_t i;

    for (i = 0; i < s->n_warnings; i++) {
        if (strstr(s->warnings[i], text) != NULL) {
            return true;
        }
    }
    return false;
}

/* test_defaults - Mailman 2.1.39's stock settings */
static void test_defaults(void **state)
{
    struct site_settings *s = site_defaults();
    char *url = NULL;

    (void)state;
    assert_string_equal(s->default_url_pattern, "http://%s/mailman/");
    assert_string_equal(s->default_server_language, "en");
    assert_int_equal(s->data_file_version, 112);
    assert_int_equal(s->hex_version, 0x20127f0);
    assert_string_equal(s->version, "2.1.39");
    assert_string_equal(s->mailman_site_list, "mailman");
    assert_string_equal(s->mta, "Manual");
    assert_string_equal(s->postfix_alias_cmd, "/usr/sbin/postalias");
    assert_string_equal(s->postfix_map_cmd, "/usr/sbin/postmap");
    assert_string_equal(s->prefix, "/usr/local/mailman");
    assert_string_equal(s->var_prefix, "/usr/local/mailman");
    assert_string_equal(s->list_data_dir, "/usr/local/mailman/lists");
    assert_string_equal(s->private_archive_file_dir, "/usr/local/mailman/archives/private");
    assert_string_equal(s->wrapper_dir, "/usr/local/mailman/mail");
    assert_int_equal(s->list_lock_lifetime, 18000);
    assert_null(s->default_url_host);
    assert_null(s->default_email_host);
    assert_null(s->default_url);
    assert_null(s->default_host_name);
    assert_null(s->virtual_mailman_local_domain);
    assert_int_equal(s->n_virtual_hosts, 0);
    assert_int_equal(s->n_languages, 40);
    assert_int_equal(s->from_site, 0);
    assert_null(s->install_dir);
    assert_false(site_has_hosts(s));
    assert_false(site_is_known_host(s, "example.com"));
    assert_string_equal(site_language_charset(s, "ja"), "euc-jp");
    assert_string_equal(site_language(s, "ar")->direction, "rtl");
    assert_null(site_language_charset(s, "big5"));
    url = site_web_page_url(s, "www.example.org");
    assert_string_equal(url, "http://www.example.org/mailman/");
    free(url);
    site_free(&s);
    assert_null(s);
    site_free(&s);

    assert_int_equal(site_load(NULL, &s, NULL), 0);
    assert_int_equal(s->data_file_version, 112);
    site_free(&s);
}

/* test_corpus_site - the settings the corpus was made with */
static void test_corpus_site(void **state)
{
    char *dir = xasprintf("%s/site", MMFIX_CORPUS_DIR);
    struct site_settings *s = load(dir);
    char *url = NULL;

    (void)state;
    assert_string_equal(s->default_url_host, "www.ldc.usb.ve");
    assert_string_equal(s->default_email_host, "ldc.usb.ve");
    assert_string_equal(s->default_url_pattern, "http://%s/mailman/");
    assert_null(s->default_url);
    assert_null(s->default_host_name);
    assert_int_equal(s->n_virtual_hosts, 2);
    assert_string_equal(s->virtual_hosts[0].url_host, "www.ldc.usb.ve");
    assert_string_equal(s->virtual_hosts[0].email_host, "ldc.usb.ve");
    assert_string_equal(s->virtual_hosts[1].url_host, "www.ci.usb.ve");
    assert_string_equal(s->virtual_hosts[1].email_host, "ci.usb.ve");
    assert_int_equal(s->n_postfix_style_virtual_domains, 1);
    assert_string_equal(s->postfix_style_virtual_domains[0], "ci.usb.ve");
    assert_string_equal(s->mta, "Postfix");
    assert_string_equal(s->postfix_alias_cmd, "/bin/true");
    assert_string_equal(s->postfix_map_cmd, "/bin/true");
    assert_string_equal(s->mailman_site_list, "mailman");
    assert_string_equal(s->prefix, "/usr/lib/mailman");
    assert_string_equal(s->var_prefix, "/usr/lib/mailman");
    assert_string_equal(s->wrapper_dir, "/usr/lib/mailman/mail");
    assert_string_equal(s->list_data_dir, "/usr/lib/mailman/lists");
    assert_string_equal(s->data_dir, "/usr/lib/mailman/data");
    assert_string_equal(s->template_dir, "/usr/lib/mailman/templates");
    assert_string_equal(s->messages_dir, "/usr/lib/mailman/messages");
    assert_string_equal(s->version, "2.1.39");
    assert_int_equal(s->hex_version, 0x20127f0);
    assert_int_equal(s->data_file_version, 112);
    assert_int_equal(s->list_lock_lifetime, 18000);
    assert_int_equal(s->list_lock_timeout, 10);
    assert_null(s->virtual_mailman_local_domain);
    /* the corpus site declares Mailman 2.1.39's whole table, each with its charset */
    assert_int_equal(s->n_languages, 40);
    assert_string_equal(site_language_charset(s, "el"), "iso-8859-7");
    assert_string_equal(site_language_charset(s, "ru"), "utf-8");
    assert_string_equal(site_language_charset(s, "ro"), "utf-8");
    assert_string_equal(site_language(s, "es")->description, "Spanish (Spain)");
    assert_string_equal(site_language_charset(s, "fr"), "iso-8859-1");
    assert_null(site_language_charset(s, "xx"));     /* no such language */
    assert_null(site_language_charset(s, NULL));
    assert_int_equal(s->n_files, 3);
    assert_string_equal(s->install_dir, dir);
    /* only the Python 2 `True = 1` try block is skipped */
    assert_int_equal(s->n_warnings, 1);
    assert_true(has_warning(s, "Defaults.py, line 7: try block not evaluated"));

    assert_true(site_from_site(s, SITE_VIRTUAL_HOSTS));
    assert_true(site_from_site(s, SITE_MTA));
    assert_true(site_from_site(s, SITE_LC_DESCRIPTIONS));
    assert_true(site_from_site(s, SITE_DATA_FILE_VERSION));
    assert_true(site_from_site(s, SITE_TEMPLATE_DIR));
    assert_false(site_from_site(s, SITE_VIRTUAL_MAILMAN_LOCAL_DOMAIN) && s->virtual_mailman_local_domain != NULL);

    assert_true(site_has_hosts(s));
    assert_string_equal(site_email_host_for_url_host(s, "WWW.CI.usb.ve"), "ci.usb.ve");
    assert_string_equal(site_email_host_for_url_host(s, "www.ldc.usb.ve"), "ldc.usb.ve");
    assert_null(site_email_host_for_url_host(s, "ci.usb.ve"));
    assert_null(site_email_host_for_url_host(s, NULL));
    assert_true(site_is_known_host(s, "ci.usb.ve"));
    assert_true(site_is_known_host(s, "WWW.LDC.USB.VE"));
    assert_false(site_is_known_host(s, "usb.ve"));
    assert_false(site_is_known_host(s, ""));
    url = site_web_page_url(s, "www.ci.usb.ve");
    assert_string_equal(url, "http://www.ci.usb.ve/mailman/");
    free(url);
    site_free(&s);
    free(dir);
}

/* test_py2_fixture - the Python 2 dialect: octal, long, if blocks, kwargs */
static void test_py2_fixture(void **state)
{
    struct site_settings *s = load(MMFIX_FIXTURES_DIR "/site-py2");

    (void)state;
    /* EXEC_PREFIX = '${prefix}' fixed by the evaluated `if` block */
    assert_string_equal(s->exec_prefix, "/opt/mailman");
    assert_string_equal(s->wrapper_dir, "/opt/mailman/mail");
    assert_string_equal(s->var_prefix, "/var/opt/mailman");
    assert_string_equal(s->list_data_dir, "/var/opt/mailman/lists");
    /* not set by the fixture: derived from its VAR_PREFIX / PREFIX */
    assert_string_equal(s->private_archive_file_dir, "/var/opt/mailman/archives/private");
    assert_string_equal(s->log_dir, "/var/opt/mailman/logs");
    assert_false(site_from_site(s, SITE_LOG_DIR));
    assert_true(site_from_site(s, SITE_LIST_DATA_DIR));
    /* Version.py through `from Version import *`, HEX_VERSION by << and | */
    assert_int_equal(s->hex_version, 0x20127f0);
    assert_int_equal(s->data_file_version, 112);
    assert_int_equal(s->list_lock_lifetime, 5 * 3600);
    /* mm_cfg.py */
    assert_string_equal(s->default_url_host, "WWW.Example.ORG");
    assert_string_equal(s->default_email_host, "example.org");
    assert_string_equal(s->mta, "Postfix");
    assert_int_equal(s->n_virtual_hosts, 4);
    assert_string_equal(s->virtual_hosts[0].url_host, "www.example.org");
    assert_string_equal(s->virtual_hosts[0].email_host, "example.org");
    assert_string_equal(s->virtual_hosts[1].url_host, "www.second.example.net");
    assert_string_equal(s->virtual_hosts[1].email_host, "second.example.net");
    assert_string_equal(s->virtual_hosts[2].url_host, "lists.third.example");
    assert_string_equal(s->virtual_hosts[2].email_host, "third.example");
    assert_string_equal(s->virtual_hosts[3].url_host, "www.fourth.example");
    assert_int_equal(s->n_postfix_style_virtual_domains, 2);
    assert_string_equal(s->postfix_style_virtual_domains[1], "third.example");
    /* add_language with 3 arguments, a keyword, _() and a site addition */
    assert_int_equal(s->n_languages, 6);
    assert_string_equal(site_language(s, "ja")->direction, "ltr");
    assert_string_equal(site_language(s, "ar")->direction, "rtl");
    assert_string_equal(site_language(s, "ar")->description, "Arabic");
    assert_string_equal(site_language_charset(s, "big5"), "big5");
    assert_string_equal(site_language_charset(s, "de"), "iso-8859-1");
    assert_null(site_language_charset(s, "fr"));
    /* the try block, the if with a print in it, the print statement, .lower() */
    assert_true(has_warning(s, "Defaults.py, line 14: try block not evaluated"));
    assert_true(has_warning(s, "Defaults.py, line 93: cannot parse if 0:"));
    assert_true(has_warning(s, "Defaults.py, line 98: cannot parse print"));
    assert_true(has_warning(s, "mm_cfg.py, line 21: cannot evaluate BANNER"));
    assert_int_equal(s->n_warnings, 4);
    assert_true(site_is_known_host(s, "www.example.org"));
    assert_true(site_is_known_host(s, "Third.Example"));
    site_free(&s);
}

/* test_minimal - an incomplete Defaults.py: the rest is stock */
static void test_minimal(void **state)
{
    struct site_settings *s = load(MMFIX_FIXTURES_DIR "/site-minimal");

    (void)state;
    assert_string_equal(s->prefix, "/srv/mailman");
    assert_string_equal(s->exec_prefix, "/srv/mailman");
    assert_string_equal(s->var_prefix, "/srv/mailman-var");
    assert_string_equal(s->list_data_dir, "/srv/mailman-var/lists");
    assert_string_equal(s->template_dir, "/srv/mailman/templates");
    assert_string_equal(s->wrapper_dir, "/srv/mailman/mail");
    assert_true(site_from_site(s, SITE_PREFIX));
    assert_false(site_from_site(s, SITE_EXEC_PREFIX));
    /* '@URLHOST@' was never configured */
    assert_null(s->default_url_host);
    assert_false(site_from_site(s, SITE_DEFAULT_URL_HOST));
    assert_string_equal(s->default_email_host, "mail.example.com");
    /* wrong types take the stock default, with a warning */
    assert_string_equal(s->mta, "Manual");
    assert_int_equal(s->data_file_version, 112);
    assert_false(site_from_site(s, SITE_MTA));
    assert_true(has_warning(s, "MTA is a int, not a string"));
    assert_true(has_warning(s, "DATA_FILE_VERSION is a"));
    assert_true(has_warning(s, "DEFAULT_URL_HOST is still the unconfigured @URLHOST@"));
    assert_true(has_warning(s, "mm_cfg.py: not found"));
    assert_true(has_warning(s, "Version.py: not found"));
    assert_string_equal(s->version, "2.1.39");
    assert_int_equal(s->n_languages, 40);
    assert_false(site_from_site(s, SITE_LC_DESCRIPTIONS));
    assert_int_equal(s->n_files, 1);
    assert_true(site_has_hosts(s));
    site_free(&s);
}

/* test_hostile - a mm_cfg.py that would run commands: nothing runs */
static void test_hostile(void **state)
{
    struct site_settings *s = NULL;
    size_t i;

    (void)state;
    unlink(HOSTILE_MARKER);
    s = load(MMFIX_FIXTURES_DIR "/site-hostile");
    assert_int_not_equal(access(HOSTILE_MARKER, F_OK), 0);
    assert_string_equal(s->mta, "Manual");
    assert_string_equal(s->default_url_host, "www.example.com");
    assert_string_equal(s->default_email_host, "example.com");
    assert_string_equal(s->mailman_site_list, "mailman");
    assert_string_equal(s->postfix_map_cmd, "/usr/sbin/postmap");
    assert_string_equal(s->postfix_alias_cmd, "/usr/sbin/postalias");
    assert_int_equal(s->n_virtual_hosts, 0);   /* its one entry is not str -> str */
    assert_true(has_warning(s, "VIRTUAL_HOSTS holds an entry that is not str -> str"));
    assert_int_equal(s->n_languages, 40);      /* an empty LC_DESCRIPTIONS: stock */
    assert_true(has_warning(s, "mm_cfg.py, line 6: cannot evaluate os.system("));
    assert_true(has_warning(s, "mm_cfg.py, line 9: cannot evaluate DEFAULT_EMAIL_HOST = eval("));
    assert_true(has_warning(s, "mm_cfg.py, line 10: cannot parse exec"));
    assert_true(has_warning(s, "mm_cfg.py, line 21: class block not evaluated"));
    assert_true(has_warning(s, "mm_cfg.py, line 24: definition of add_virtualhost() not "
                               "evaluated") == false);   /* a known helper: silent */
    assert_true(has_warning(s, "mm_cfg.py, line 28: while block not evaluated"));
    assert_true(has_warning(s, "mm_cfg.py, line 36: if block not evaluated"));
    assert_true(has_warning(s, "mm_cfg.py, line 42: cannot evaluate HUGE_STR"));
    assert_true(has_warning(s, "mm_cfg.py, line 45: cannot evaluate HUGE_LIST"));
    assert_true(has_warning(s, "mm_cfg.py, line 46: cannot evaluate HUGE_INT"));
    assert_true(has_warning(s, "mm_cfg.py, line 50: cannot evaluate NEG"));
    for (i = 0; i < s->n_warnings; i++) {
        assert_true(strlen(s->warnings[i]) < 300);
    }
    assert_true(s->n_warnings >= 30);
    site_free(&s);
    assert_int_not_equal(access(HOSTILE_MARKER, F_OK), 0);
}

/* test_errors - no Defaults.py; bad patterns */
static void test_errors(void **state)
{
    struct site_settings *s = NULL;
    const char *err = NULL;
    char *url = NULL;

    (void)state;
    assert_int_equal(site_load(MMFIX_FIXTURES_DIR "/no-such-dir", &s, &err), -1);
    assert_null(s);
    assert_non_null(strstr(err, "Defaults.py"));
    assert_int_equal(site_load(MMFIX_CORPUS_DIR "/mm21-sample", &s, &err), -1);
    assert_null(s);

    s = site_defaults();
    free(s->default_url_pattern);
    s->default_url_pattern = xstrdup("https://%s/%%7Emailman/");
    url = site_web_page_url(s, "h.example");
    assert_string_equal(url, "https://h.example/%7Emailman/");
    free(url);
    free(s->default_url_pattern);
    s->default_url_pattern = xstrdup("http://%s/%s/");
    assert_null(site_web_page_url(s, "h"));
    free(s->default_url_pattern);
    s->default_url_pattern = xstrdup("http://%d/");
    assert_null(site_web_page_url(s, "h"));
    free(s->default_url_pattern);
    s->default_url_pattern = xstrdup("http://nohost/");
    assert_null(site_web_page_url(s, "h"));
    site_free(&s);
}

/* test_nonregular - a FIFO or directory in place of a site file is not
 * read (a FIFO would block Python's open() forever): an optional file is
 * skipped with a warning naming it and its type, Defaults.py fails */
static void test_nonregular(void **state)
{
    char *dir = harness_tmpdir("site-fifo");
    char *mailman = xasprintf("%s/Mailman", dir);
    char *defaults = xasprintf("%s/Defaults.py", mailman);
    char *version = xasprintf("%s/Version.py", mailman);
    char *cfg = xasprintf("%s/mm_cfg.py", mailman);
    struct site_settings *s = NULL;
    const char *err = NULL;
    char *text = NULL;
    size_t len = 0;

    (void)state;
    assert_int_equal(fileread_alloc(MMFIX_FIXTURES_DIR "/site-minimal/Mailman/Defaults.py",
                                    1 << 20, &text, &len, NULL, &err), 0);
    assert_int_equal(mkdir(mailman, 0755), 0);
    harness_write_text(defaults, text);
    assert_int_equal(mkfifo(cfg, 0644), 0);
    assert_int_equal(mkdir(version, 0755), 0);
    alarm(20);  /* a hang fails the test */
    s = load(dir);
    assert_true(has_warning(s, "mm_cfg.py: not a regular file (fifo); skipped"));
    assert_true(has_warning(s, "Version.py: not a regular file (directory); skipped"));
    assert_string_equal(s->prefix, "/srv/mailman");
    assert_int_equal(s->n_files, 1);
    site_free(&s);
    assert_int_equal(unlink(defaults), 0);
    assert_int_equal(mkfifo(defaults, 0644), 0);
    assert_int_equal(site_load(dir, &s, &err), -1);
    assert_null(s);
    assert_non_null(strstr(err, "Defaults.py: not a regular file (fifo)"));
    alarm(0);
    free(text);
    harness_rmtree(dir);
    free(cfg);
    free(version);
    free(defaults);
    free(mailman);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_corpus_site),
        cmocka_unit_test(test_py2_fixture),
        cmocka_unit_test(test_minimal),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_nonregular),
    };

    return cmocka_run_group_tests(tests, NULL, harness_python_teardown);
}
