/*
 * fuzz_site - libFuzzer target for the site-settings reader (src/site.c and
 * python/mmfix/site.py, which reads Defaults.py and mm_cfg.py with ast and
 * never executes them): the input up to its first NUL byte is
 * Mailman/Defaults.py, the rest (when there is a NUL) Mailman/mm_cfg.py, of
 * an install dir in a temporary directory. site_load must never crash, leak
 * or hang, must answer settings or -1 with a reason, and every setting it
 * answers must be well formed: the directories, the site list, the MTA and
 * the map commands set and free of NUL bytes, the tables consistent.
 *
 * Needs the embedded interpreter: MMFIX_PYTHON_DIR=BUILD/python. Built by
 * CMake with -DMMFIX_FUZZ=ON (tests/fuzz/README.md); the plain build replays
 * tests/fuzz/seeds/site and tests/fuzz/regressions/site under ctest.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mmfix/site.h"
#include "mmfix/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *top;   /* the install dir: TMP/Mailman/{Defaults,mm_cfg}.py */

/* put - path holds exactly data (or is removed when data is NULL) */
static void put(const char *name, const uint8_t *data, size_t len)
{
    char *path = xasprintf("%s/Mailman/%s", top, name);
    FILE *f = NULL;

    if (data == NULL) {
        unlink(path);
    } else if ((f = fopen(path, "wb")) == NULL || fwrite(data, 1, len, f) != len
               || fclose(f) != 0) {
        perror(path);
        abort();
    }
    free(path);
}

/* text - a setting that must be set: no NUL inside */
static void text(const char *s)
{
    if (s == NULL || strlen(s) > 1u << 20) {
        abort();
    }
}

static void check(const struct site_settings *s)
{
    const char *const must[] = {
        s->prefix, s->exec_prefix, s->var_prefix, s->list_data_dir, s->data_dir, s->lock_dir,
        s->log_dir, s->queue_dir, s->public_archive_file_dir, s->private_archive_file_dir,
        s->template_dir, s->messages_dir, s->wrapper_dir, s->default_url_pattern,
        s->public_archive_url, s->mailman_site_list, s->mta, s->postfix_alias_cmd,
        s->postfix_map_cmd, s->default_server_language, s->version,
    };
    size_t i;

    for (i = 0; i < sizeof(must) / sizeof(must[0]); i++) {
        text(must[i]);
    }
    for (i = 0; i < s->n_virtual_hosts; i++) {
        text(s->virtual_hosts[i].url_host);
        text(s->virtual_hosts[i].email_host);
    }
    for (i = 0; i < s->n_postfix_style_virtual_domains; i++) {
        text(s->postfix_style_virtual_domains[i]);
    }
    for (i = 0; i < s->n_languages; i++) {
        text(s->languages[i].code);
        text(s->languages[i].charset);
    }
    for (i = 0; i < s->n_warnings; i++) {
        text(s->warnings[i]);
    }
}

/* cleanup - the temporary install dir goes at exit */
static void cleanup(void)
{
    char *m = xasprintf("%s/Mailman", top);

    put("Defaults.py", NULL, 0);
    put("mm_cfg.py", NULL, 0);
    rmdir(m);
    rmdir(top);
    free(m);
}

/* LLVMFuzzerTestOneInput - one install dir, read */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    struct site_settings *s = NULL;
    const char *err = NULL;

    if (top == NULL) {
        char tmpl[] = "/tmp/mmfix-fuzz-site-XXXXXX";
        char *m = NULL;
        if (mkdtemp(tmpl) == NULL) {
            perror("mkdtemp");
            abort();
        }
        top = xstrdup(tmpl);
        m = xasprintf("%s/Mailman", top);
        if (mkdir(m, 0700) != 0) {
            perror(m);
            abort();
        }
        free(m);
        atexit(cleanup);
    }
    put("Defaults.py", data, nul != NULL ? (size_t)(nul - data) : size);
    put("mm_cfg.py", nul != NULL ? nul + 1 : NULL, nul != NULL ? size - (size_t)(nul - data) - 1 : 0);
    if (site_load(top, &s, &err) == 0) {
        if (s == NULL) {
            abort();
        }
        check(s);
        site_free(&s);
    } else if (err == NULL || s != NULL) {
        abort();
    }
    return 0;
}
