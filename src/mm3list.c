/*
 * mm3list - a list's held requests, pending confirmations and own templates, for export-mm3
 *
 * DESCRIPTION
 *  See mm3list.h. Record layouts are Mailman 2.1.39's: ListAdmin.py
 *  (HELDMSG (when, sender, subject, reason, filename, msgdata),
 *  SUBSCRIPTION (when, addr, fullname, passwd, digest, lang),
 *  UNSUBSCRIPTION addr) and Pending.py ('S', UserDesc), ('U', addr),
 *  ('C', old, new, globally), ('H', id), ('E', list, addr), ('P', addr, msg)).
 *  Passwords are never copied out.
 *
 * SECURITY
 *  A request record names its held message's file: only a plain file name
 *  in data/ is read (no '/', not starting with '.'), through the bounded
 *  reader, never following a symbolic link.
 */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mmfix/datafile.h"
#include "mmfix/errstr.h"
#include "mmfix/fileread.h"
#include "mmfix/heldmsg.h"
#include "mmfix/jsonw.h"
#include "mmfix/mm3export.h"
#include "mmfix/mm3list.h"
#include "mmfix/pyval.h"
#include "mmfix/requests.h"
#include "mmfix/xalloc.h"

/* Mailman 2.1's REQUESTS_FILE_SCHEMA_VERSION */
#define MM3LIST_REQUESTS_SCHEMA 1
/* a held 2.0 text message is read up to this size */
#define MM3LIST_MAX_MESSAGE ((size_t)256 * 1024 * 1024)

/* is_seq - tuple or list */
static bool is_seq(const struct value *v)
{
    return v != NULL && (v->type == VALUE_TUPLE || v->type == VALUE_LIST);
}

/* item - v[i] of a sequence, or NULL */
static const struct value *item(const struct value *v, size_t i)
{
    return is_seq(v) && i < v->u.seq.len ? v->u.seq.items[i] : NULL;
}

/* text - a string as UTF-8 (free it), NULL for anything else */
static char *text(const struct value *v, const char *charset)
{
    return mm3export_text(v, charset, NULL);
}

/* key_text - a request id or cookie as text */
static char *key_text(const struct value *k, const char *charset)
{
    long long i = 0;

    if (pyval_as_int(k, &i)) {
        return xasprintf("%lld", i);
    }
    if (value_is_str(k)) {
        return text(k, charset);
    }
    return NULL;
}

/* json_str - "key": the string or null */
static void json_str(struct jsonw *w, const char *key, const struct value *v, const char *cs)
{
    char *t = text(v, cs);

    jsonw_key(w, key);
    if (t != NULL) {
        jsonw_string(w, t);
    } else {
        jsonw_null(w);
    }
    free(t);
}

/* json_num - "key": a number, or null */
static void json_num(struct jsonw *w, const char *key, const struct value *v)
{
    long long i = 0;

    jsonw_key(w, key);
    if (v != NULL && pyval_as_int(v, &i)) {
        jsonw_int(w, i);
    } else if (v != NULL && v->type == VALUE_FLOAT && isfinite(v->u.f)) {
        jsonw_double(w, v->u.f);
    } else {
        jsonw_null(w);
    }
}

/* plain_name - a file name in data/ that stays there */
static bool plain_name(const char *name)
{
    return name[0] != '\0' && name[0] != '.' && strchr(name, '/') == NULL;
}

/* read_held - the held message file as RFC 822 text into h->eml, or h->error */
static void read_held(const char *data_dir, struct mm3list_held *h)
{
    char *path = NULL;
    const char *err = NULL;
    size_t n = strlen(h->file);

    if (!plain_name(h->file)) {
        h->error = xstrdup("the request names a file outside data/: not read");
        return;
    }
    path = xasprintf("%s/%s", data_dir, h->file);
    if (n > 4 && strcmp(h->file + n - 4, ".txt") == 0) {
        /* 2.0 kept the message text as it came */
        if (fileread_into(path, MM3LIST_MAX_MESSAGE, &h->eml, NULL, &err) != 0) {
            h->error = xstrdup(err);
        }
    } else {
        struct value_arena *arena = value_arena_new();
        struct value *msg = NULL;
        enum load_error kind = LOAD_OK;
        if (datafile_load(path, DATAFILE_PICKLE, 0, NULL, NULL, arena, &msg, NULL, &kind,
                          &err) != 0) {
            h->error = xasprintf("data/%s: %s", h->file, err);
        } else if (heldmsg_write(msg, &h->eml, &err) != 0) {
            h->error = xasprintf("data/%s: %s", h->file, err);
        }
        value_arena_free(&arena);
    }
    free(path);
}

/* held_entry - one HELDMSG record */
static void held_entry(const char *data_dir, const struct value *key, const struct value *info,
                       const char *charset, struct mm3list_requests *r, struct jsonw *w)
{
    struct mm3list_held *h = NULL;
    const struct value *when = item(info, 0);

    r->held = xreallocarray(r->held, r->n_held + 1, sizeof(*r->held));
    h = &r->held[r->n_held++];
    memset(h, 0, sizeof(*h));
    h->id = key_text(key, charset);
    h->when = when != NULL && when->type == VALUE_FLOAT ? when->u.f
              : when != NULL && when->type == VALUE_INT ? (double)when->u.i : 0;
    h->sender = text(item(info, 1), charset);
    h->subject = text(item(info, 2), charset);
    h->reason = text(item(info, 3), charset);
    h->file = text(item(info, 4), charset);
    if (h->file == NULL) {
        h->error = xstrdup("the request names no file");
    } else {
        read_held(data_dir, h);
    }
    jsonw_object_begin(w);
    jsonw_key(w, "id");
    jsonw_string(w, h->id != NULL ? h->id : "");
    json_num(w, "time", when);
    json_str(w, "sender", item(info, 1), charset);
    json_str(w, "subject", item(info, 2), charset);
    json_str(w, "reason", item(info, 3), charset);
    json_str(w, "data_file", item(info, 4), charset);
    jsonw_key(w, "eml");
    if (h->error == NULL && h->id != NULL) {
        char *e = xasprintf("held/%s.eml", h->id);
        jsonw_string(w, e);
        free(e);
    } else {
        jsonw_null(w);
    }
    if (h->error != NULL) {
        jsonw_key(w, "error");
        jsonw_string(w, h->error);
    }
    jsonw_object_end(w);
}

/* subscription_fields - (when, addr, fullname, passwd, digest, lang): all but the password */
static void subscription_fields(struct jsonw *w, const struct value *info, const char *cs)
{
    json_num(w, "time", item(info, 0));
    json_str(w, "address", item(info, 1), cs);
    json_str(w, "fullname", item(info, 2), cs);
    jsonw_key(w, "digest");
    jsonw_bool(w, item(info, 4) != NULL && pyval_truth(item(info, 4)));
    json_str(w, "language", item(info, 5), cs);
}

/* held_requests - request.pck (or request.db) */
static void held_requests(const char *list_dir, const char *data_dir, const char *charset,
                          struct value *lang, struct mm3list_requests *r, struct jsonw *w)
{
    struct value_arena *arena = value_arena_new();
    struct value *db = NULL;
    enum requests_source src = REQUESTS_NONE;
    bool both = false;
    size_t changed = 0;
    const char *err = NULL;
    int pass;
    size_t i;

    if (requests_load(list_dir, arena, &db, &src, &both, &err) != 0
        || (db != NULL && requests_update(arena, db, lang, MM3LIST_REQUESTS_SCHEMA, &changed,
                                          &err) != 0)) {
        r->error = xstrdup(err);
        db = NULL;
    }
    /* three arrays: held messages, subscriptions, unsubscriptions */
    for (pass = 0; pass < 3; pass++) {
        static const char *const names[] = { "held_messages", "held_subscriptions",
                                             "held_unsubscriptions" };
        jsonw_key(w, names[pass]);
        jsonw_array_begin(w);
        for (i = 0; db != NULL && i < db->u.dict.len; i++) {
            const struct value *rec = db->u.dict.items[i].val;
            const struct value *info = item(rec, 1);
            long long op = -1;
            char *id = NULL;
            if (item(rec, 0) == NULL || !pyval_as_int(item(rec, 0), &op) || op != pass + 1) {
                continue;
            }
            if (pass == 0) {
                held_entry(data_dir, db->u.dict.items[i].key, info, charset, r, w);
                continue;
            }
            id = key_text(db->u.dict.items[i].key, charset);
            jsonw_object_begin(w);
            jsonw_key(w, "id");
            jsonw_string(w, id != NULL ? id : "");
            if (pass == 1) {
                subscription_fields(w, info, charset);
                r->subscriptions++;
            } else {
                json_str(w, "address", info, charset);
                r->unsubscriptions++;
            }
            jsonw_object_end(w);
            free(id);
        }
        jsonw_array_end(w);
    }
    value_arena_free(&arena);
}

/* pending_kind - Pending.py's op codes */
static const char *pending_kind(const struct value *op)
{
    static const char *const kinds[][2] = {
        { "S", "subscription" }, { "U", "unsubscription" }, { "C", "change_of_address" },
        { "H", "held_message" }, { "E", "re_enable" }, { "P", "probe_bounce" },
    };
    size_t i;

    for (i = 0; op != NULL && i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (value_str_eq(op, kinds[i][0])) {
            return kinds[i][1];
        }
    }
    return NULL;
}

/* pending_record - one confirmation waiting in pending.pck */
static void pending_record(struct jsonw *w, const char *cookie, const struct value *rec,
                           const struct value *expires, const char *cs)
{
    const char *kind = pending_kind(item(rec, 0));
    const struct value *a = item(rec, 1);

    jsonw_object_begin(w);
    jsonw_key(w, "cookie");
    jsonw_string(w, cookie);
    jsonw_key(w, "type");
    jsonw_string(w, kind);
    json_num(w, "expires", expires);
    if (strcmp(kind, "subscription") == 0) {
        const struct value *st = a != NULL && a->type == VALUE_INSTANCE ? a->u.inst.state : NULL;
        if (st != NULL && st->type == VALUE_DICT) {
            struct value *d = (struct value *)st;
            const struct value *digest = value_dict_get_str(NULL, d, "digest");
            json_str(w, "address", value_dict_get_str(NULL, d, "address"), cs);
            json_str(w, "fullname", value_dict_get_str(NULL, d, "fullname"), cs);
            jsonw_key(w, "digest");
            jsonw_bool(w, digest != NULL && pyval_truth(digest));
            json_str(w, "language", value_dict_get_str(NULL, d, "language"), cs);
        }
    } else if (strcmp(kind, "unsubscription") == 0 || strcmp(kind, "probe_bounce") == 0) {
        json_str(w, "address", a, cs);
    } else if (strcmp(kind, "change_of_address") == 0) {
        json_str(w, "address", a, cs);
        json_str(w, "new_address", item(rec, 2), cs);
        jsonw_key(w, "globally");
        jsonw_bool(w, item(rec, 3) != NULL && pyval_truth(item(rec, 3)));
    } else if (strcmp(kind, "held_message") == 0) {
        json_num(w, "id", a);
    } else if (strcmp(kind, "re_enable") == 0) {
        json_str(w, "address", item(rec, 2), cs);
    }
    jsonw_object_end(w);
}

/* confirmations - pending.pck */
static void confirmations(const char *list_dir, const char *charset, struct mm3list_requests *r,
                          struct jsonw *w)
{
    struct value_arena *arena = value_arena_new();
    struct value *db = NULL;
    struct value *ev = NULL;
    char *path = xasprintf("%s/pending.pck", list_dir);
    enum load_error kind = LOAD_OK;
    const char *err = NULL;
    size_t i;

    jsonw_key(w, "pending_confirmations");
    jsonw_array_begin(w);
    if (datafile_load(path, DATAFILE_PICKLE, DATAFILE_WANT_DICT, NULL, NULL, arena, &db, NULL,
                      &kind, &err) != 0) {
        if (kind != LOAD_MISSING && r->error == NULL) {
            r->error = xasprintf("pending.pck: %s", err);
        }
        db = NULL;
    }
    ev = db != NULL ? value_dict_get_str(arena, db, "evictions") : NULL;
    for (i = 0; db != NULL && i < db->u.dict.len; i++) {
        const struct value *k = db->u.dict.items[i].key;
        const struct value *rec = db->u.dict.items[i].val;
        char *cookie = NULL;
        if (!value_is_str(k) || value_str_eq(k, "evictions") || value_str_eq(k, "version")
            || pending_kind(item(rec, 0)) == NULL) {
            continue;
        }
        cookie = text(k, charset);
        pending_record(w, cookie, rec,
                       ev != NULL && ev->type == VALUE_DICT
                       ? value_dict_get(arena, ev, k) : NULL, charset);
        r->confirmations++;
        free(cookie);
    }
    jsonw_array_end(w);
    free(path);
    value_arena_free(&arena);
}

/* mm3list_requests - held requests and confirmations, requests.json */
void mm3list_requests(const char *list_dir, const char *data_dir, const char *list,
                      const char *charset, struct value *lang, struct mm3list_requests *r)
{
    struct jsonw w;

    memset(r, 0, sizeof(*r));
    jsonw_init(&w, &r->json, false);
    jsonw_object_begin(&w);
    jsonw_key(&w, "list");
    jsonw_string(&w, list);
    held_requests(list_dir, data_dir, charset, lang, r, &w);
    confirmations(list_dir, charset, r, &w);
    if (r->error != NULL) {
        jsonw_key(&w, "error");
        jsonw_string(&w, r->error);
    }
    jsonw_object_end(&w);
    strbuf_addc(&r->json, '\n');
}

void mm3list_requests_free(struct mm3list_requests *r)
{
    size_t i;

    for (i = 0; i < r->n_held; i++) {
        free(r->held[i].id);
        free(r->held[i].sender);
        free(r->held[i].subject);
        free(r->held[i].reason);
        free(r->held[i].file);
        free(r->held[i].error);
        strbuf_release(&r->held[i].eml);
    }
    free(r->held);
    strbuf_release(&r->json);
    free(r->error);
    memset(r, 0, sizeof(*r));
}

/* template_name - *.html or *.txt */
static bool template_name(const char *name)
{
    size_t n = strlen(name);

    return name[0] != '.' && ((n > 5 && strcmp(name + n - 5, ".html") == 0)
                              || (n > 4 && strcmp(name + n - 4, ".txt") == 0));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* collect - the template files of dir (and, at depth 0, of its subdirectories) */
static void collect(const char *dir, const char *rel, int depth, char ***paths, size_t *n)
{
    DIR *d = opendir(dir);
    struct dirent *e = NULL;

    if (d == NULL) {
        return;
    }
    while ((e = readdir(d)) != NULL) {
        char *p = NULL;
        struct stat st;
        if (e->d_name[0] == '.') {
            continue;
        }
        p = xasprintf("%s/%s", dir, e->d_name);
        if (lstat(p, &st) == 0) {
            if (S_ISREG(st.st_mode) && template_name(e->d_name)) {
                *paths = xreallocarray(*paths, *n + 1, sizeof(**paths));
                (*paths)[(*n)++] = xasprintf("%s/%s", rel, e->d_name);
            } else if (S_ISDIR(st.st_mode) && depth == 0) {
                char *r = xasprintf("%s/%s", rel, e->d_name);
                collect(p, r, 1, paths, n);
                free(r);
            }
        }
        free(p);
    }
    closedir(d);
}

/* mm3list_templates - the list's own templates */
void mm3list_templates(const char *list_dir, const char *list, char ***paths_r, size_t *n_r)
{
    char *rel = xasprintf("lists/%s", list);

    *paths_r = NULL;
    *n_r = 0;
    collect(list_dir, rel, 0, paths_r, n_r);
    if (*n_r > 1) {
        qsort(*paths_r, *n_r, sizeof(**paths_r), cmp_str);
    }
    free(rel);
}

void mm3list_paths_free(char **paths, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(paths[i]);
    }
    free(paths);
}
