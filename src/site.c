/*
 * site - the site settings of a Mailman 2 installation
 *
 * DESCRIPTION
 *  site_load() reads the site files (fileread) and asks
 *  python/mmfix/site.py (through pyload_call_files, bytes in) for the
 *  settings bound by Mailman/Defaults.py, Version.py and mm_cfg.py, which
 *  that module reads with ast and never executes, and turns the settings
 *  mmfix needs into a struct site_settings. Every setting the files do not
 *  define, or define with a value of the wrong type, takes Mailman 2.1.39's
 *  stock default (a warning says so for wrong types). site_defaults() is
 *  the stock settings alone, for runs without an install dir.
 *
 * SECURITY
 *  The site files are not trusted: only the values the Python side
 *  evaluated come back, as plain data, and each is type-checked here.
 *  Strings with NUL bytes are refused.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mmfix/charset.h"
#include "mmfix/errstr.h"
#include "mmfix/fileread.h"
#include "mmfix/pyload.h"
#include "mmfix/site.h"
#include "mmfix/strbuf.h"
#include "mmfix/value.h"
#include "mmfix/xalloc.h"

enum kind {
    K_DIR,       /* str, never NULL; stock derived from another dir */
    K_STR,       /* str, never NULL */
    K_STR_OPT,   /* str or None */
    K_INT,       /* int (a float is truncated) */
};

struct field {
    enum site_field id;
    const char *name;
    enum kind kind;
    size_t off;
    const char *stock;          /* K_STR / K_STR_OPT / the root K_DIR */
    long long stock_int;        /* K_INT */
    int base;                   /* K_DIR: the field it is derived from, or -1 */
    const char *sub;            /* K_DIR: path below base (NULL: same dir) */
};

#define STR_OFF(m) offsetof(struct site_settings, m)

/* In dependency order: a derived directory comes after its base. */
static const struct field fields[] = {
    { SITE_PREFIX, "PREFIX", K_DIR, STR_OFF(prefix), "/usr/local/mailman", 0, -1, NULL },
    { SITE_EXEC_PREFIX, "EXEC_PREFIX", K_DIR, STR_OFF(exec_prefix), NULL, 0, SITE_PREFIX, NULL },
    { SITE_VAR_PREFIX, "VAR_PREFIX", K_DIR, STR_OFF(var_prefix), NULL, 0, SITE_PREFIX, NULL },
    { SITE_LIST_DATA_DIR, "LIST_DATA_DIR", K_DIR, STR_OFF(list_data_dir), NULL, 0,
      SITE_VAR_PREFIX, "lists" },
    { SITE_DATA_DIR, "DATA_DIR", K_DIR, STR_OFF(data_dir), NULL, 0, SITE_VAR_PREFIX, "data" },
    { SITE_LOCK_DIR, "LOCK_DIR", K_DIR, STR_OFF(lock_dir), NULL, 0, SITE_VAR_PREFIX, "locks" },
    { SITE_LOG_DIR, "LOG_DIR", K_DIR, STR_OFF(log_dir), NULL, 0, SITE_VAR_PREFIX, "logs" },
    { SITE_QUEUE_DIR, "QUEUE_DIR", K_DIR, STR_OFF(queue_dir), NULL, 0, SITE_VAR_PREFIX,
      "qfiles" },
    { SITE_PUBLIC_ARCHIVE_FILE_DIR, "PUBLIC_ARCHIVE_FILE_DIR", K_DIR,
      STR_OFF(public_archive_file_dir), NULL, 0, SITE_VAR_PREFIX, "archives/public" },
    { SITE_PRIVATE_ARCHIVE_FILE_DIR, "PRIVATE_ARCHIVE_FILE_DIR", K_DIR,
      STR_OFF(private_archive_file_dir), NULL, 0, SITE_VAR_PREFIX, "archives/private" },
    { SITE_TEMPLATE_DIR, "TEMPLATE_DIR", K_DIR, STR_OFF(template_dir), NULL, 0, SITE_PREFIX,
      "templates" },
    { SITE_MESSAGES_DIR, "MESSAGES_DIR", K_DIR, STR_OFF(messages_dir), NULL, 0, SITE_PREFIX,
      "messages" },
    { SITE_WRAPPER_DIR, "WRAPPER_DIR", K_DIR, STR_OFF(wrapper_dir), NULL, 0, SITE_EXEC_PREFIX,
      "mail" },
    { SITE_DEFAULT_URL_HOST, "DEFAULT_URL_HOST", K_STR_OPT, STR_OFF(default_url_host), NULL, 0,
      -1, NULL },
    { SITE_DEFAULT_EMAIL_HOST, "DEFAULT_EMAIL_HOST", K_STR_OPT, STR_OFF(default_email_host),
      NULL, 0, -1, NULL },
    { SITE_DEFAULT_URL_PATTERN, "DEFAULT_URL_PATTERN", K_STR, STR_OFF(default_url_pattern),
      "http://%s/mailman/", 0, -1, NULL },
    { SITE_DEFAULT_URL, "DEFAULT_URL", K_STR_OPT, STR_OFF(default_url), NULL, 0, -1, NULL },
    { SITE_DEFAULT_HOST_NAME, "DEFAULT_HOST_NAME", K_STR_OPT, STR_OFF(default_host_name), NULL,
      0, -1, NULL },
    { SITE_PUBLIC_ARCHIVE_URL, "PUBLIC_ARCHIVE_URL", K_STR, STR_OFF(public_archive_url),
      "http://%(hostname)s/pipermail/%(listname)s", 0, -1, NULL },
    { SITE_VIRTUAL_MAILMAN_LOCAL_DOMAIN, "VIRTUAL_MAILMAN_LOCAL_DOMAIN", K_STR_OPT,
      STR_OFF(virtual_mailman_local_domain), NULL, 0, -1, NULL },
    { SITE_MAILMAN_SITE_LIST, "MAILMAN_SITE_LIST", K_STR, STR_OFF(mailman_site_list),
      "mailman", 0, -1, NULL },
    { SITE_MTA, "MTA", K_STR, STR_OFF(mta), "Manual", 0, -1, NULL },
    { SITE_POSTFIX_ALIAS_CMD, "POSTFIX_ALIAS_CMD", K_STR, STR_OFF(postfix_alias_cmd),
      "/usr/sbin/postalias", 0, -1, NULL },
    { SITE_POSTFIX_MAP_CMD, "POSTFIX_MAP_CMD", K_STR, STR_OFF(postfix_map_cmd),
      "/usr/sbin/postmap", 0, -1, NULL },
    { SITE_DEFAULT_SERVER_LANGUAGE, "DEFAULT_SERVER_LANGUAGE", K_STR,
      STR_OFF(default_server_language), "en", 0, -1, NULL },
    { SITE_VERSION, "VERSION", K_STR, STR_OFF(version), "2.1.39", 0, -1, NULL },
    { SITE_HEX_VERSION, "HEX_VERSION", K_INT, STR_OFF(hex_version), NULL, 0x20127f0, -1, NULL },
    { SITE_DATA_FILE_VERSION, "DATA_FILE_VERSION", K_INT, STR_OFF(data_file_version), NULL, 112,
      -1, NULL },
    { SITE_LIST_LOCK_LIFETIME, "LIST_LOCK_LIFETIME", K_INT, STR_OFF(list_lock_lifetime), NULL,
      5 * 60 * 60, -1, NULL },
    { SITE_LIST_LOCK_TIMEOUT, "LIST_LOCK_TIMEOUT", K_INT, STR_OFF(list_lock_timeout), NULL, 10,
      -1, NULL },
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* str_slot - the char * member of a field */
static char **str_slot(struct site_settings *s, const struct field *f)
{
    return (char **)(void *)((char *)s + f->off);
}

/* int_slot - the long long member of a field */
static long long *int_slot(struct site_settings *s, const struct field *f)
{
    return (long long *)(void *)((char *)s + f->off);
}

/* field_by_id - the table entry of a field */
static const struct field *field_by_id(int id)
{
    size_t i;

    for (i = 0; i < NFIELDS; i++) {
        if ((int)fields[i].id == id) {
            return &fields[i];
        }
    }
    return NULL;
}

/* add_warning - append a warning to the settings */
static void add_warning(struct site_settings *s, const char *text)
{
    s->warnings = xreallocarray(s->warnings, s->n_warnings + 1, sizeof(*s->warnings));
    s->warnings[s->n_warnings++] = xstrdup(text);
}

/* stock_field - set one field to its stock (or derived) value */
static void stock_field(struct site_settings *s, const struct field *f)
{
    if (f->kind == K_INT) {
        *int_slot(s, f) = f->stock_int;
        return;
    }
    free(*str_slot(s, f));
    *str_slot(s, f) = NULL;
    if (f->kind == K_DIR && f->base >= 0) {
        const struct field *b = field_by_id(f->base);
        const char *base = *str_slot(s, b);
        if (f->sub == NULL) {
            *str_slot(s, f) = xstrdup(base);
        } else {
            size_t n = strlen(base);
            *str_slot(s, f) = xasprintf("%s%s%s", base,
                                        n > 0 && base[n - 1] == '/' ? "" : "/", f->sub);
        }
    } else if (f->stock != NULL) {
        *str_slot(s, f) = xstrdup(f->stock);
    }
}

/* set_languages_stock - the 2.1.39 LC_DESCRIPTIONS */
static void set_languages_stock(struct site_settings *s)
{
    size_t n = 0;
    const struct charset_language *t = charset_table(CHARSET_TABLE_2_1_39, &n);
    size_t i;

    s->languages = xcalloc(n, sizeof(*s->languages));
    for (i = 0; i < n; i++) {
        s->languages[i].code = xstrdup(t[i].code);
        s->languages[i].description = xstrdup(t[i].description);
        s->languages[i].charset = xstrdup(t[i].charset);
        s->languages[i].direction = xstrdup(t[i].direction);
    }
    s->n_languages = n;
}

/* site_defaults - the stock settings */
struct site_settings *site_defaults(void)
{
    struct site_settings *s = xcalloc(1, sizeof(*s));
    size_t i;

    for (i = 0; i < NFIELDS; i++) {
        stock_field(s, &fields[i]);
    }
    set_languages_stock(s);
    return s;
}

/* site_free - free everything */
void site_free(struct site_settings **site)
{
    struct site_settings *s = *site;
    size_t i;

    if (s == NULL) {
        return;
    }
    for (i = 0; i < NFIELDS; i++) {
        if (fields[i].kind != K_INT) {
            free(*str_slot(s, &fields[i]));
        }
    }
    for (i = 0; i < s->n_virtual_hosts; i++) {
        free(s->virtual_hosts[i].url_host);
        free(s->virtual_hosts[i].email_host);
    }
    free(s->virtual_hosts);
    for (i = 0; i < s->n_postfix_style_virtual_domains; i++) {
        free(s->postfix_style_virtual_domains[i]);
    }
    free(s->postfix_style_virtual_domains);
    for (i = 0; i < s->n_languages; i++) {
        free(s->languages[i].code);
        free(s->languages[i].description);
        free(s->languages[i].charset);
        free(s->languages[i].direction);
    }
    free(s->languages);
    for (i = 0; i < s->n_warnings; i++) {
        free(s->warnings[i]);
    }
    free(s->warnings);
    for (i = 0; i < s->n_files; i++) {
        free(s->files[i]);
    }
    free(s->files);
    free(s->install_dir);
    value_arena_free(&s->raw_arena);
    free(s);
    *site = NULL;
}

/* ---------------------------------------------------------------------- */
/* from the Python result */

/* value_cstr - a str/unicode value without NUL bytes as a new C string */
static char *value_cstr(const struct value *v)
{
    if (v == NULL || (v->type != VALUE_TEXT && v->type != VALUE_BYTES)
        || memchr(v->u.str.data, '\0', v->u.str.len) != NULL) {
        return NULL;
    }
    return xstrndup((const char *)v->u.str.data, v->u.str.len);
}

/* is_placeholder - an unconfigured Defaults.py.in value such as @MAILHOST@ */
static bool is_placeholder(const char *s)
{
    size_t n = strlen(s);
    size_t i;

    if (n < 3 || s[0] != '@' || s[n - 1] != '@') {
        return false;
    }
    for (i = 1; i + 1 < n; i++) {
        if (!(isupper((unsigned char)s[i]) || s[i] == '_')) {
            return false;
        }
    }
    return true;
}

/* load_field - set one field from the result dict, else stock */
static void load_field(struct site_settings *s, struct value *dict, const struct field *f)
{
    struct value *v = value_dict_get_str(NULL, dict, f->name);
    char *str = NULL;

    if (v == NULL) {
        stock_field(s, f);
        return;
    }
    if (f->kind == K_INT) {
        if (v->type == VALUE_INT) {
            *int_slot(s, f) = (long long)v->u.i;
            s->from_site |= UINT64_C(1) << f->id;
            return;
        }
        if (v->type == VALUE_FLOAT && v->u.f > -1e15 && v->u.f < 1e15) {
            *int_slot(s, f) = (long long)v->u.f;
            s->from_site |= UINT64_C(1) << f->id;
            return;
        }
        add_warning(s, errstr("%s is a %s, not a number; using the stock default", f->name,
                              value_type_name(v->type)));
        stock_field(s, f);
        return;
    }
    if (v->type == VALUE_NONE && f->kind == K_STR_OPT) {
        free(*str_slot(s, f));
        *str_slot(s, f) = NULL;
        s->from_site |= UINT64_C(1) << f->id;
        return;
    }
    str = value_cstr(v);
    if (str == NULL) {
        add_warning(s, errstr("%s is a %s, not a string; using the stock default", f->name,
                              value_type_name(v->type)));
        stock_field(s, f);
        return;
    }
    if (is_placeholder(str)) {
        add_warning(s, errstr("%s is still the unconfigured %s; using the stock default",
                              f->name, str));
        free(str);
        stock_field(s, f);
        return;
    }
    free(*str_slot(s, f));
    *str_slot(s, f) = str;
    s->from_site |= UINT64_C(1) << f->id;
}

/* load_virtual_hosts - VIRTUAL_HOSTS in insertion order */
static void load_virtual_hosts(struct site_settings *s, struct value *dict)
{
    struct value *vh = value_dict_get_str(NULL, dict, "VIRTUAL_HOSTS");
    size_t i;

    if (vh == NULL || vh->type != VALUE_DICT) {
        return;
    }
    s->virtual_hosts = xcalloc(vh->u.dict.len + 1, sizeof(*s->virtual_hosts));
    for (i = 0; i < vh->u.dict.len; i++) {
        char *url = value_cstr(vh->u.dict.items[i].key);
        char *email = value_cstr(vh->u.dict.items[i].val);
        char *p = NULL;
        if (url == NULL || email == NULL) {
            add_warning(s, "VIRTUAL_HOSTS holds an entry that is not str -> str; ignored");
            free(url);
            free(email);
            continue;
        }
        for (p = url; *p != '\0'; p++) {
            *p = (char)tolower((unsigned char)*p);
        }
        for (p = email; *p != '\0'; p++) {
            *p = (char)tolower((unsigned char)*p);
        }
        s->virtual_hosts[s->n_virtual_hosts].url_host = url;
        s->virtual_hosts[s->n_virtual_hosts].email_host = email;
        s->n_virtual_hosts++;
    }
    s->from_site |= UINT64_C(1) << SITE_VIRTUAL_HOSTS;
}

/* load_postfix_domains - POSTFIX_STYLE_VIRTUAL_DOMAINS */
static void load_postfix_domains(struct site_settings *s, struct value *dict)
{
    struct value *v = value_dict_get_str(NULL, dict, "POSTFIX_STYLE_VIRTUAL_DOMAINS");
    size_t i;

    if (v == NULL) {
        return;
    }
    if (v->type != VALUE_LIST && v->type != VALUE_TUPLE) {
        add_warning(s, "POSTFIX_STYLE_VIRTUAL_DOMAINS is not a list; using []");
        return;
    }
    s->postfix_style_virtual_domains = xcalloc(v->u.seq.len + 1, sizeof(char *));
    for (i = 0; i < v->u.seq.len; i++) {
        char *d = value_cstr(v->u.seq.items[i]);
        if (d == NULL) {
            add_warning(s, "POSTFIX_STYLE_VIRTUAL_DOMAINS holds a non-string; ignored");
            continue;
        }
        s->postfix_style_virtual_domains[s->n_postfix_style_virtual_domains++] = d;
    }
    s->from_site |= UINT64_C(1) << SITE_POSTFIX_STYLE_VIRTUAL_DOMAINS;
}

/* load_languages - LC_DESCRIPTIONS: code -> (description, charset[, dir]) */
static void load_languages(struct site_settings *s, struct value *dict)
{
    struct value *lc = value_dict_get_str(NULL, dict, "LC_DESCRIPTIONS");
    size_t i;

    if (lc == NULL || lc->type != VALUE_DICT || lc->u.dict.len == 0) {
        set_languages_stock(s);
        return;
    }
    s->languages = xcalloc(lc->u.dict.len + 1, sizeof(*s->languages));
    for (i = 0; i < lc->u.dict.len; i++) {
        struct value *t = lc->u.dict.items[i].val;
        char *code = value_cstr(lc->u.dict.items[i].key);
        char *desc = NULL;
        char *cs = NULL;
        char *dir = NULL;
        struct site_language *l = NULL;

        if (code != NULL && t != NULL && (t->type == VALUE_TUPLE || t->type == VALUE_LIST)
            && t->u.seq.len >= 2) {
            desc = value_cstr(t->u.seq.items[0]);
            cs = value_cstr(t->u.seq.items[1]);
            dir = t->u.seq.len >= 3 ? value_cstr(t->u.seq.items[2]) : xstrdup("ltr");
        }
        if (desc == NULL || cs == NULL || dir == NULL) {
            add_warning(s, errstr("LC_DESCRIPTIONS[%s] is not (description, charset[, "
                                  "direction]); ignored", code != NULL ? code : "?"));
            free(code);
            free(desc);
            free(cs);
            free(dir);
            continue;
        }
        l = &s->languages[s->n_languages++];
        l->code = code;
        l->description = desc;
        l->charset = cs;
        l->direction = dir;
    }
    s->from_site |= UINT64_C(1) << SITE_LC_DESCRIPTIONS;
}

/* load_strings - a list of str in the result as a new array */
static void load_strings(struct value *dict, const char *name, char ***arr_r, size_t *n_r)
{
    struct value *v = value_dict_get_str(NULL, dict, name);
    size_t i;

    if (v == NULL || v->type != VALUE_LIST) {
        return;
    }
    *arr_r = xreallocarray(*arr_r, *n_r + v->u.seq.len + 1, sizeof(char *));
    for (i = 0; i < v->u.seq.len; i++) {
        char *str = value_cstr(v->u.seq.items[i]);
        if (str != NULL) {
            (*arr_r)[(*n_r)++] = str;
        }
    }
}

/* The site files, read here and handed to site.py as bytes (Python opens
 * no file); the cap is site.py's MAX_FILE_BYTES. */
static const char *const site_file_names[] = { "Defaults.py", "Version.py", "mm_cfg.py" };
#define SITE_NFILES (sizeof(site_file_names) / sizeof(site_file_names[0]))
#define SITE_MAX_FILE_BYTES ((size_t)4 * 1024 * 1024)

/* read_site_files - each site file's bytes, or why not (NULL error: missing) */
static void read_site_files(const char *install_dir, struct pyload_file *files,
                            char **data)
{
    size_t i;

    for (i = 0; i < SITE_NFILES; i++) {
        char *path = xasprintf("%s/Mailman/%s", install_dir, site_file_names[i]);
        enum fileread_status st = FILEREAD_OK;
        const char *err = NULL;

        files[i].name = site_file_names[i];
        files[i].error = NULL;
        files[i].len = 0;
        data[i] = NULL;
        if (fileread_alloc(path, SITE_MAX_FILE_BYTES, &data[i], &files[i].len, &st, &err) < 0
            && st != FILEREAD_MISSING) {
            files[i].error = err;  /* errstr ring: used before 16 more errors */
        }
        files[i].data = data[i];
        free(path);
    }
}

/* site_load - read an installation's settings */
int site_load(const char *install_dir, struct site_settings **site_r, const char **error_r)
{
    struct value_arena *arena = NULL;
    struct value *res = NULL;
    struct site_settings *s = NULL;
    struct pyload_file files[SITE_NFILES];
    char *data[SITE_NFILES] = { NULL, NULL, NULL };
    const char *err = NULL;
    size_t i;
    int ret = -1;

    *site_r = NULL;
    if (install_dir == NULL) {
        *site_r = site_defaults();
        return 0;
    }
    arena = value_arena_new();
    read_site_files(install_dir, files, data);
    if (pyload_call_files("site", "read_site", install_dir, files, SITE_NFILES, arena, &res,
                          &err) != 0) {
        *error_r = errstr("cannot read the site settings in %s: %s", install_dir, err);
        goto out;
    }
    if (res == NULL || res->type != VALUE_DICT) {
        *error_r = errstr("cannot read the site settings in %s: the reader returned no dict",
                          install_dir);
        goto out;
    }
    s = xcalloc(1, sizeof(*s));
    s->install_dir = xstrdup(install_dir);
    load_strings(res, "__warnings__", &s->warnings, &s->n_warnings);
    load_strings(res, "__files__", &s->files, &s->n_files);
    for (i = 0; i < NFIELDS; i++) {
        load_field(s, res, &fields[i]);
    }
    load_virtual_hosts(s, res);
    load_postfix_domains(s, res);
    load_languages(s, res);
    s->raw = res;
    s->raw_arena = arena;
    arena = NULL;
    *site_r = s;
    s = NULL;
    ret = 0;
out:
    site_free(&s);
    value_arena_free(&arena);
    for (i = 0; i < SITE_NFILES; i++) {
        free(data[i]);
    }
    return ret;
}

/* ---------------------------------------------------------------------- */
/* queries */

/* site_from_site - did the site set it */
bool site_from_site(const struct site_settings *site, enum site_field field)
{
    return (unsigned)field < SITE_FIELD_COUNT && (site->from_site & (UINT64_C(1) << field)) != 0;
}

/* site_has_hosts - any host known */
bool site_has_hosts(const struct site_settings *site)
{
    return site->default_url_host != NULL || site->default_email_host != NULL
        || site->default_host_name != NULL || site->default_url != NULL
        || site->n_virtual_hosts > 0;
}

/* site_email_host_for_url_host - VIRTUAL_HOSTS lookup */
const char *site_email_host_for_url_host(const struct site_settings *site,
                                         const char *url_host)
{
    size_t i;

    if (url_host == NULL) {
        return NULL;
    }
    for (i = 0; i < site->n_virtual_hosts; i++) {
        if (strcasecmp(site->virtual_hosts[i].url_host, url_host) == 0) {
            return site->virtual_hosts[i].email_host;
        }
    }
    return NULL;
}

/* url_host_is - the host part of url equals host (case-insensitive) */
static bool url_host_is(const char *url, const char *host)
{
    const char *p = strstr(url, "://");
    size_t n = 0;

    p = p != NULL ? p + 3 : url;
    while (p[n] != '\0' && p[n] != '/' && p[n] != ':') {
        n++;
    }
    return n == strlen(host) && strncasecmp(p, host, n) == 0;
}

/* site_is_known_host - a web or mail host of the site */
bool site_is_known_host(const struct site_settings *site, const char *host)
{
    size_t i;

    if (host == NULL || *host == '\0') {
        return false;
    }
    if ((site->default_url_host != NULL && strcasecmp(site->default_url_host, host) == 0)
        || (site->default_email_host != NULL && strcasecmp(site->default_email_host, host) == 0)
        || (site->default_host_name != NULL && strcasecmp(site->default_host_name, host) == 0)
        || (site->default_url != NULL && url_host_is(site->default_url, host))) {
        return true;
    }
    for (i = 0; i < site->n_virtual_hosts; i++) {
        if (strcasecmp(site->virtual_hosts[i].url_host, host) == 0
            || strcasecmp(site->virtual_hosts[i].email_host, host) == 0) {
            return true;
        }
    }
    for (i = 0; i < site->n_postfix_style_virtual_domains; i++) {
        if (strcasecmp(site->postfix_style_virtual_domains[i], host) == 0) {
            return true;
        }
    }
    return false;
}

/* site_language - LC_DESCRIPTIONS entry */
const struct site_language *site_language(const struct site_settings *site, const char *lang)
{
    size_t i;

    if (lang == NULL) {
        return NULL;
    }
    for (i = 0; i < site->n_languages; i++) {
        if (strcmp(site->languages[i].code, lang) == 0) {
            return &site->languages[i];
        }
    }
    return NULL;
}

/* site_language_charset - charset of a language of the site */
const char *site_language_charset(const struct site_settings *site, const char *lang)
{
    const struct site_language *l = site_language(site, lang);

    return l != NULL ? l->charset : NULL;
}

/* site_web_page_url - DEFAULT_URL_PATTERN % host */
char *site_web_page_url(const struct site_settings *site, const char *url_host)
{
    struct strbuf sb = STRBUF_INIT;
    const char *p = site->default_url_pattern;
    int subs = 0;

    for (; *p != '\0'; p++) {
        if (*p != '%') {
            strbuf_addc(&sb, *p);
        } else if (p[1] == '%') {
            strbuf_addc(&sb, '%');
            p++;
        } else if (p[1] == 's' && subs == 0) {
            strbuf_adds(&sb, url_host);
            subs++;
            p++;
        } else {
            strbuf_release(&sb);
            return NULL;
        }
    }
    if (subs != 1) {
        strbuf_release(&sb);
        return NULL;
    }
    return strbuf_detach(&sb, NULL);
}
