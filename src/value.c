/*
 * value - the value tree of Python 2 data, arena-owned
 *
 * DESCRIPTION
 *  See include/mmfix/value.h. Nodes are bump-allocated from arena chunks;
 *  growing a container copies its array inside the arena (the old array is
 *  left to die with the arena, at most doubling the memory of a container).
 *  Dicts get an open-addressing hash index the first time they are searched
 *  with more than a handful of items, and keep it current afterwards.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include "mmfix/ptrmap.h"
#include "mmfix/value.h"
#include "mmfix/xalloc.h"

#define ARENA_CHUNK (64 * 1024)
#define ARENA_ALIGN 16
#define DICT_INDEX_MIN 8  /* below this many items, search linearly */

struct arena_chunk {
    struct arena_chunk *next;
    size_t used;
    size_t size;
    _Alignas(16) unsigned char data[];
};

struct value_arena {
    struct arena_chunk *head;
    size_t total;
};

/* value_arena_new - empty arena */
struct value_arena *value_arena_new(void)
{
    return xcalloc(1, sizeof(struct value_arena));
}

/* value_arena_free - free all chunks */
void value_arena_free(struct value_arena **arena_p)
{
    struct value_arena *arena = *arena_p;
    struct arena_chunk *c = NULL;

    if (arena == NULL) {
        return;
    }
    *arena_p = NULL;
    c = arena->head;
    while (c != NULL) {
        struct arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    free(arena);
}

/* arena_alloc_raw - uninitialised arena memory */
static void *arena_alloc_raw(struct value_arena *arena, size_t size)
{
    struct arena_chunk *c = arena->head;
    size_t need = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    void *p = NULL;

    if (need < size) {
        need = (size_t)-1;  /* overflow: let xmalloc fail below */
    }
    if (c == NULL || c->size - c->used < need) {
        size_t csize = need > ARENA_CHUNK / 4 ? need : ARENA_CHUNK;
        struct arena_chunk *nc = xmalloc(sizeof(*nc) + csize);
        nc->used = 0;
        nc->size = csize;
        if (csize == need && c != NULL) {
            /* a big block: keep the current chunk in front for small ones */
            nc->next = c->next;
            c->next = nc;
        } else {
            nc->next = c;
            arena->head = nc;
        }
        arena->total += csize;
        c = nc;
    }
    p = c->data + c->used;
    c->used += need;
    return p;
}

/* value_arena_alloc - zeroed arena memory */
void *value_arena_alloc(struct value_arena *arena, size_t size)
{
    void *p = arena_alloc_raw(arena, size);

    memset(p, 0, size);
    return p;
}

/* value_arena_bytes - total allocated */
size_t value_arena_bytes(const struct value_arena *arena)
{
    return arena->total;
}

/* value_arena_strdup - copy a C string */
const char *value_arena_strdup(struct value_arena *arena, const char *s)
{
    size_t n = strlen(s);
    char *p = value_arena_alloc(arena, n + 1);
    memcpy(p, s, n);
    return p;
}

static struct value *value_new(struct value_arena *arena, enum value_type type)
{
    struct value *v = value_arena_alloc(arena, sizeof(*v));
    v->type = type;
    return v;
}

/* value_new_none - None */
struct value *value_new_none(struct value_arena *arena)
{
    return value_new(arena, VALUE_NONE);
}

/* value_new_bool - True/False */
struct value *value_new_bool(struct value_arena *arena, bool b)
{
    struct value *v = value_new(arena, VALUE_BOOL);
    v->u.b = b;
    return v;
}

/* value_new_int - small integer */
struct value *value_new_int(struct value_arena *arena, int64_t i)
{
    struct value *v = value_new(arena, VALUE_INT);
    v->u.i = i;
    return v;
}

/* value_new_long - integer from decimal digits */
struct value *value_new_long(struct value_arena *arena, const char *digits)
{
    const char *p = digits;
    const char *start = NULL;
    struct value *v = NULL;
    char *buf = NULL;
    size_t n;
    long long ll;
    char *end = NULL;

    if (*p == '-' || *p == '+') {
        p++;
    }
    if (*p < '0' || *p > '9') {
        return NULL;
    }
    start = p;
    while (*p >= '0' && *p <= '9') {
        p++;
    }
    if (*p != '\0') {
        return NULL;
    }
    /* strip leading zeros for a canonical form */
    while (*start == '0' && start[1] != '\0') {
        start++;
    }
    errno = 0;
    ll = strtoll(digits, &end, 10);
    if (errno == 0 && *end == '\0') {
        return value_new_int(arena, (int64_t)ll);
    }
    n = strlen(start);
    buf = value_arena_alloc(arena, n + 2);
    if (digits[0] == '-') {
        buf[0] = '-';
        memcpy(buf + 1, start, n);
    } else {
        memcpy(buf, start, n);
    }
    v = value_new(arena, VALUE_LONG);
    v->u.digits = buf;
    return v;
}

/* value_new_float - float */
struct value *value_new_float(struct value_arena *arena, double f)
{
    struct value *v = value_new(arena, VALUE_FLOAT);
    v->u.f = f;
    return v;
}

static struct value *value_new_str(struct value_arena *arena, enum value_type type,
                                   const void *data, size_t len)
{
    struct value *v = value_new(arena, type);
    unsigned char *p = arena_alloc_raw(arena, len + 1);

    if (len > 0) {
        memcpy(p, data, len);
    }
    p[len] = '\0';
    v->u.str.data = p;
    v->u.str.len = len;
    return v;
}

/* value_new_bytes - Python 2 str */
struct value *value_new_bytes(struct value_arena *arena, const void *data, size_t len)
{
    return value_new_str(arena, VALUE_BYTES, data, len);
}

/* value_new_text - Python 2 unicode */
struct value *value_new_text(struct value_arena *arena, const void *utf8, size_t len)
{
    return value_new_str(arena, VALUE_TEXT, utf8, len);
}

static struct value *value_new_seq(struct value_arena *arena, enum value_type type,
                                   size_t cap)
{
    struct value *v = value_new(arena, type);
    if (cap > 0) {
        v->u.seq.items = value_arena_alloc(arena, cap * sizeof(struct value *));
    }
    v->u.seq.cap = cap;
    return v;
}

/* value_new_list - empty list */
struct value *value_new_list(struct value_arena *arena, size_t cap)
{
    return value_new_seq(arena, VALUE_LIST, cap);
}

/* value_new_tuple - empty tuple */
struct value *value_new_tuple(struct value_arena *arena, size_t cap)
{
    return value_new_seq(arena, VALUE_TUPLE, cap);
}

/* value_new_dict - empty dict */
struct value *value_new_dict(struct value_arena *arena, size_t cap)
{
    struct value *v = value_new(arena, VALUE_DICT);
    if (cap > 0) {
        v->u.dict.items = value_arena_alloc(arena, cap * sizeof(struct value_pair));
    }
    v->u.dict.cap = cap;
    return v;
}

/* value_new_instance - inert instance record */
struct value *value_new_instance(struct value_arena *arena, const char *cls,
                                 struct value *state)
{
    struct value *v = value_new(arena, VALUE_INSTANCE);
    v->u.inst.cls = value_arena_strdup(arena, cls);
    value_set_state(v, state);
    return v;
}

/* value_set_state - replace an instance's state */
void value_set_state(struct value *inst, struct value *state)
{
    if (inst->u.inst.state != NULL && inst->u.inst.state->refs > 0) {
        inst->u.inst.state->refs--;
    }
    inst->u.inst.state = state;
    if (state != NULL) {
        state->refs++;
    }
}

static size_t grow_cap(size_t cap)
{
    return cap < 4 ? 4 : cap * 2;
}

/* value_seq_append - append to list/tuple */
void value_seq_append(struct value_arena *arena, struct value *seq, struct value *item)
{
    if (seq->u.seq.len == seq->u.seq.cap) {
        size_t ncap = grow_cap(seq->u.seq.cap);
        struct value **n = value_arena_alloc(arena, ncap * sizeof(*n));
        if (seq->u.seq.len > 0) {
            memcpy(n, seq->u.seq.items, seq->u.seq.len * sizeof(*n));
        }
        seq->u.seq.items = n;
        seq->u.seq.cap = ncap;
    }
    seq->u.seq.items[seq->u.seq.len++] = item;
    item->refs++;
}

/* hash_bytes - 8 bytes at a time, multiply-xorshift mixing; dict keys are
 * mostly e-mail addresses, hashed millions of times in a large scan */
static uint64_t hash_bytes(uint64_t h, const unsigned char *p, size_t n)
{
    const uint64_t k = 0x9e3779b97f4a7c15ULL;
    uint64_t w;

    h ^= n * k;
    while (n >= 8) {
        memcpy(&w, p, 8);
        h = (h ^ w) * k;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    if (n > 0) {
        w = 0;
        memcpy(&w, p, n);
        h = (h ^ w) * k;
        h ^= h >> 29;
    }
    h *= k;
    return h ^ (h >> 32);
}

/* value_hash - hash for dict keys */
uint64_t value_hash(const struct value *v)
{
    uint64_t h = 14695981039346656037ULL;
    size_t i;

    switch (v->type) {
    case VALUE_BYTES:
    case VALUE_TEXT:
        h = hash_bytes(h ^ (uint64_t)v->type, v->u.str.data, v->u.str.len);
        break;
    case VALUE_INT:
        h = hash_bytes(h ^ 2, (const unsigned char *)&v->u.i, sizeof(v->u.i));
        break;
    case VALUE_BOOL:
        h ^= 100 + (uint64_t)v->u.b;
        break;
    case VALUE_LONG:
        h = hash_bytes(h ^ 3, (const unsigned char *)v->u.digits, strlen(v->u.digits));
        break;
    case VALUE_FLOAT: {
        double d = v->u.f == 0.0 ? 0.0 : v->u.f;
        h = hash_bytes(h ^ 4, (const unsigned char *)&d, sizeof(d));
        break;
    }
    case VALUE_TUPLE:
        for (i = 0; i < v->u.seq.len; i++) {
            h = (h ^ value_hash(v->u.seq.items[i])) * 1099511628211ULL;
        }
        break;
    default:
        h ^= (uint64_t)v->type;
        break;
    }
    return h;
}

/* value_equal - deep equality */
bool value_equal(const struct value *a, const struct value *b)
{
    size_t i;

    if (a == b) {
        return true;
    }
    if (a == NULL || b == NULL || a->type != b->type) {
        return false;
    }
    switch (a->type) {
    case VALUE_NONE:
        return true;
    case VALUE_BOOL:
        return a->u.b == b->u.b;
    case VALUE_INT:
        return a->u.i == b->u.i;
    case VALUE_LONG:
        return strcmp(a->u.digits, b->u.digits) == 0;
    case VALUE_FLOAT:
        if (isnan(a->u.f) && isnan(b->u.f)) {
            return true;
        }
        return memcmp(&a->u.f, &b->u.f, sizeof(double)) == 0 || a->u.f == b->u.f;
    case VALUE_BYTES:
    case VALUE_TEXT:
        return a->u.str.len == b->u.str.len
            && memcmp(a->u.str.data, b->u.str.data, a->u.str.len) == 0;
    case VALUE_TUPLE:
    case VALUE_LIST:
        if (a->u.seq.len != b->u.seq.len) {
            return false;
        }
        for (i = 0; i < a->u.seq.len; i++) {
            if (!value_equal(a->u.seq.items[i], b->u.seq.items[i])) {
                return false;
            }
        }
        return true;
    case VALUE_DICT:
        if (a->u.dict.len != b->u.dict.len) {
            return false;
        }
        /* order matters too: it is part of what the file says */
        for (i = 0; i < a->u.dict.len; i++) {
            if (!value_equal(a->u.dict.items[i].key, b->u.dict.items[i].key)
                || !value_equal(a->u.dict.items[i].val, b->u.dict.items[i].val)) {
                return false;
            }
        }
        return true;
    case VALUE_INSTANCE:
        return strcmp(a->u.inst.cls, b->u.inst.cls) == 0
            && value_equal(a->u.inst.state, b->u.inst.state);
    }
    return false;
}

/* The index is index_cap slots of two uint32_t: item + 1 (0 = empty) and
 * the key's hash, so a probe compares hashes before keys. */
static void dict_index_insert(struct value *d, size_t item, uint64_t hash)
{
    size_t mask = d->u.dict.index_cap - 1;
    size_t pos = (size_t)hash & mask;

    while (d->u.dict.index[2 * pos] != 0) {
        pos = (pos + 1) & mask;
    }
    d->u.dict.index[2 * pos] = (uint32_t)(item + 1);
    d->u.dict.index[2 * pos + 1] = (uint32_t)(hash >> 32);
}

/* dict_index_slot - the index slot that holds item (hash is its key's) */
static size_t dict_index_slot(const struct value *d, size_t item, uint64_t hash)
{
    size_t mask = d->u.dict.index_cap - 1;
    size_t pos = (size_t)hash & mask;

    while (d->u.dict.index[2 * pos] != (uint32_t)(item + 1)) {
        pos = (pos + 1) & mask;
    }
    return pos;
}

/* dict_index_remove - take item out of the index, shifting back the
 * entries after it in their probe run (linear probing needs no tombstones) */
static void dict_index_remove(struct value *d, size_t item, uint64_t hash)
{
    size_t mask = d->u.dict.index_cap - 1;
    size_t hole = dict_index_slot(d, item, hash);
    size_t k = (hole + 1) & mask;

    while (d->u.dict.index[2 * k] != 0) {
        size_t at = d->u.dict.index[2 * k] - 1;
        size_t home = (size_t)value_hash(d->u.dict.items[at].key) & mask;
        /* k's entry may move into the hole unless its home lies in (hole, k] */
        bool stays = hole <= k ? (home > hole && home <= k) : (home > hole || home <= k);
        if (!stays) {
            d->u.dict.index[2 * hole] = d->u.dict.index[2 * k];
            d->u.dict.index[2 * hole + 1] = d->u.dict.index[2 * k + 1];
            hole = k;
        }
        k = (k + 1) & mask;
    }
    d->u.dict.index[2 * hole] = 0;
    d->u.dict.index[2 * hole + 1] = 0;
}

/* dict_index_move - the item at position from now sits at position to */
static void dict_index_move(struct value *d, size_t from, size_t to, uint64_t hash)
{
    d->u.dict.index[2 * dict_index_slot(d, from, hash)] = (uint32_t)(to + 1);
}

static void dict_index_build(struct value_arena *arena, struct value *d, size_t want)
{
    size_t cap = 16;
    size_t i;

    while (cap < want * 2) {
        cap *= 2;
    }
    d->u.dict.index = value_arena_alloc(arena, 2 * cap * sizeof(uint32_t));
    d->u.dict.index_cap = cap;
    for (i = 0; i < d->u.dict.len; i++) {
        dict_index_insert(d, i, value_hash(d->u.dict.items[i].key));
    }
}

/* key_equal - value_equal with a fast path for the usual str keys */
static inline bool key_equal(const struct value *a, const struct value *b)
{
    if (a->type == b->type && (a->type == VALUE_BYTES || a->type == VALUE_TEXT)) {
        return a->u.str.len == b->u.str.len
            && memcmp(a->u.str.data, b->u.str.data, a->u.str.len) == 0;
    }
    return value_equal(a, b);
}

/* dict_find - position of key in items, or -1; *hash_r gets key's hash
 * when the dict has an index */
static long dict_find(struct value_arena *arena, struct value *d, const struct value *key,
                      uint64_t *hash_r)
{
    size_t i;

    if (d->u.dict.index == NULL && arena != NULL && d->u.dict.len >= DICT_INDEX_MIN
        && d->u.dict.len < UINT32_MAX / 4) {
        dict_index_build(arena, d, d->u.dict.len);
    }
    if (d->u.dict.index != NULL) {
        uint64_t hash = value_hash(key);
        size_t mask = d->u.dict.index_cap - 1;
        size_t pos = (size_t)hash & mask;
        uint32_t high = (uint32_t)(hash >> 32);

        *hash_r = hash;
        while (d->u.dict.index[2 * pos] != 0) {
            size_t item = d->u.dict.index[2 * pos] - 1;
            if (d->u.dict.index[2 * pos + 1] == high
                && key_equal(d->u.dict.items[item].key, key)) {
                return (long)item;
            }
            pos = (pos + 1) & mask;
        }
        return -1;
    }
    for (i = 0; i < d->u.dict.len; i++) {
        if (key_equal(d->u.dict.items[i].key, key)) {
            return (long)i;
        }
    }
    return -1;
}

/* value_dict_get - lookup */
struct value *value_dict_get(struct value_arena *arena, struct value *dict,
                             const struct value *key)
{
    uint64_t hash = 0;
    long pos = dict_find(arena, dict, key, &hash);
    return pos < 0 ? NULL : dict->u.dict.items[pos].val;
}

/* value_dict_key - the key object stored for key */
struct value *value_dict_key(struct value_arena *arena, struct value *dict,
                             const struct value *key)
{
    uint64_t hash = 0;
    long pos = dict_find(arena, dict, key, &hash);
    return pos < 0 ? NULL : dict->u.dict.items[pos].key;
}

/* value_dict_get_str - lookup by str name (unicode key accepted too) */
struct value *value_dict_get_str(struct value_arena *arena, struct value *dict,
                                 const char *name)
{
    struct value key;
    struct value *v = NULL;

    if (dict == NULL || dict->type != VALUE_DICT) {
        return NULL;
    }
    memset(&key, 0, sizeof(key));
    key.type = VALUE_BYTES;
    key.u.str.data = (const unsigned char *)name;
    key.u.str.len = strlen(name);
    v = value_dict_get(arena, dict, &key);
    if (v == NULL) {
        key.type = VALUE_TEXT;
        v = value_dict_get(arena, dict, &key);
    }
    return v;
}

/* value_dict_set - insert or replace */
void value_dict_set(struct value_arena *arena, struct value *d,
                    struct value *key, struct value *val)
{
    uint64_t hash = 0;
    long pos = dict_find(arena, d, key, &hash);

    if (pos >= 0) {
        struct value *old = d->u.dict.items[pos].val;
        if (old->refs > 0) {
            old->refs--;
        }
        d->u.dict.items[pos].val = val;
        val->refs++;
        return;
    }
    if (d->u.dict.len == d->u.dict.cap) {
        size_t ncap = grow_cap(d->u.dict.cap);
        struct value_pair *n = value_arena_alloc(arena, ncap * sizeof(*n));
        if (d->u.dict.len > 0) {
            memcpy(n, d->u.dict.items, d->u.dict.len * sizeof(*n));
        }
        d->u.dict.items = n;
        d->u.dict.cap = ncap;
    }
    d->u.dict.items[d->u.dict.len].key = key;
    d->u.dict.items[d->u.dict.len].val = val;
    key->refs++;
    val->refs++;
    d->u.dict.len++;
    if (d->u.dict.index != NULL) {
        if (d->u.dict.len * 2 > d->u.dict.index_cap) {
            dict_index_build(arena, d, d->u.dict.len * 2);
        } else {
            dict_index_insert(d, d->u.dict.len - 1, hash);
        }
    }
}

/* value_type_name - Python 2 type name */
const char *value_type_name(enum value_type type)
{
    switch (type) {
    case VALUE_NONE: return "NoneType";
    case VALUE_BOOL: return "bool";
    case VALUE_INT: return "int";
    case VALUE_LONG: return "long";
    case VALUE_FLOAT: return "float";
    case VALUE_BYTES: return "str";
    case VALUE_TEXT: return "unicode";
    case VALUE_TUPLE: return "tuple";
    case VALUE_LIST: return "list";
    case VALUE_DICT: return "dict";
    case VALUE_INSTANCE: return "instance";
    }
    return "?";
}

/* value_is_str - str or unicode */
bool value_is_str(const struct value *v)
{
    return v != NULL && (v->type == VALUE_BYTES || v->type == VALUE_TEXT);
}

/* value_str_eq - compare a str/unicode with a C string */
bool value_str_eq(const struct value *v, const char *s)
{
    size_t n = strlen(s);
    return value_is_str(v) && v->u.str.len == n && memcmp(v->u.str.data, s, n) == 0;
}

/* value_len - size of a container or string */
size_t value_len(const struct value *v)
{
    if (v == NULL) {
        return 0;
    }
    switch (v->type) {
    case VALUE_BYTES:
    case VALUE_TEXT:
        return v->u.str.len;
    case VALUE_TUPLE:
    case VALUE_LIST:
        return v->u.seq.len;
    case VALUE_DICT:
        return v->u.dict.len;
    default:
        return 0;
    }
}

/* value_dict_del - remove a key */
bool value_dict_del(struct value_arena *arena, struct value *d, const struct value *key)
{
    uint64_t hash = 0;
    long pos = dict_find(arena, d, key, &hash);
    size_t i = (size_t)pos;
    size_t last;

    if (pos < 0) {
        return false;
    }
    if (d->u.dict.items[i].key->refs > 0) {
        d->u.dict.items[i].key->refs--;
    }
    if (d->u.dict.items[i].val->refs > 0) {
        d->u.dict.items[i].val->refs--;
    }
    if (d->u.dict.index == NULL) {
        /* small dict: keep the order, it is cheap */
        memmove(&d->u.dict.items[i], &d->u.dict.items[i + 1],
                (d->u.dict.len - i - 1) * sizeof(struct value_pair));
        d->u.dict.len--;
        return true;
    }
    /* indexed (large) dict: O(1). Python 2 dicts have no order of their own
     * (a pickle's order is the hash table's), so the last item takes the
     * hole: a roster of 100,000 members loses members one by one in linear
     * time instead of rebuilding the index after each */
    dict_index_remove(d, i, hash);
    last = d->u.dict.len - 1;
    if (i != last) {
        uint64_t lh = value_hash(d->u.dict.items[last].key);
        d->u.dict.items[i] = d->u.dict.items[last];
        dict_index_move(d, last, i, lh);
    }
    d->u.dict.len--;
    return true;
}

/* value_dict_remove_if - filter a dict in one pass */
size_t value_dict_remove_if(struct value_arena *arena, struct value *d,
                            bool (*drop)(const struct value *key, const struct value *val,
                                         void *ctx),
                            void *ctx)
{
    size_t i;
    size_t kept = 0;
    size_t n = d->u.dict.len;

    for (i = 0; i < n; i++) {
        struct value_pair p = d->u.dict.items[i];
        if (drop(p.key, p.val, ctx)) {
            if (p.key->refs > 0) {
                p.key->refs--;
            }
            if (p.val->refs > 0) {
                p.val->refs--;
            }
            continue;
        }
        d->u.dict.items[kept++] = p;
    }
    d->u.dict.len = kept;
    if (kept != n && d->u.dict.index != NULL) {
        dict_index_build(arena, d, kept);
    }
    return n - kept;
}

/* value_seq_set_at - replace a list or tuple item in place */
void value_seq_set_at(struct value *seq, size_t i, struct value *item)
{
    struct value **slot = &seq->u.seq.items[i];

    if ((*slot)->refs > 0) {
        (*slot)->refs--;
    }
    *slot = item;
    item->refs++;
}

/* value_dict_set_at - replace an item in place */
void value_dict_set_at(struct value_arena *arena, struct value *d, size_t i,
                       struct value *key, struct value *val)
{
    struct value_pair *p = &d->u.dict.items[i];
    bool rekey = p->key != key;

    if (p->key->refs > 0) {
        p->key->refs--;
    }
    if (p->val->refs > 0) {
        p->val->refs--;
    }
    p->key = key;
    p->val = val;
    key->refs++;
    val->refs++;
    if (rekey && d->u.dict.index != NULL) {
        dict_index_build(arena, d, d->u.dict.len);
    }
}

/* is_container - a node with children */
static bool is_container(const struct value *v)
{
    return v->type == VALUE_TUPLE || v->type == VALUE_LIST || v->type == VALUE_DICT
           || v->type == VALUE_INSTANCE;
}

/* copy_scalar - a copy of a node without children, with its memo and flags */
static struct value *copy_scalar(struct value_arena *arena, const struct value *v)
{
    struct value *c = NULL;

    switch (v->type) {
    case VALUE_NONE: c = value_new_none(arena); break;
    case VALUE_BOOL: c = value_new_bool(arena, v->u.b); break;
    case VALUE_INT: c = value_new_int(arena, v->u.i); break;
    case VALUE_LONG:
        c = value_new(arena, VALUE_LONG);
        c->u.digits = value_arena_strdup(arena, v->u.digits);
        break;
    case VALUE_FLOAT: c = value_new_float(arena, v->u.f); break;
    case VALUE_BYTES: c = value_new_bytes(arena, v->u.str.data, v->u.str.len); break;
    default: c = value_new_text(arena, v->u.str.data, v->u.str.len); break;
    }
    c->memo = v->memo;
    c->flags = v->flags;
    return c;
}

/* adopt - a child just put into a container of the copy has one parent more, unless it
 * is the original's own scalar (share_scalars), whose refs stay as they are */
static void adopt(struct value *x, bool share_scalars)
{
    if (!share_scalars || is_container(x)) {
        x->refs++;
    }
}

/* copy_rec - copy of v; m maps each shared source node (refs > 1) to its copy, so
 * sharing is kept. share_scalars (value_copy_working): scalars are not copied, the copy
 * points to v's own nodes, and their refs (their parents in one tree) stay the same
 * count in both trees */
static struct value *copy_rec(struct value_arena *arena, const struct value *v,
                              struct ptrmap *m, bool share_scalars)
{
    struct value *c = NULL;
    size_t i;

    if (!is_container(v)) {
        if (share_scalars) {
            return (struct value *)v;
        }
        if (v->refs > 1) {
            /* a shared scalar (a member's address is a key of four dicts): one probe
             * finds it or makes its entry, and it has no children to move the table */
            bool added = false;
            struct ptrmap_entry *e = ptrmap_insert(m, v, &added);
            if (added) {
                e->val = copy_scalar(arena, v);
            }
            return e->val;
        }
        return copy_scalar(arena, v);
    }
    if (v->refs > 1) {
        struct ptrmap_entry *e = ptrmap_find(m, v);
        if (e != NULL) {
            return e->val;
        }
    }
    switch (v->type) {
    case VALUE_TUPLE:
    case VALUE_LIST:
        c = value_new_seq(arena, v->type, v->u.seq.len);
        for (i = 0; i < v->u.seq.len; i++) {
            struct value *x = copy_rec(arena, v->u.seq.items[i], m, share_scalars);
            c->u.seq.items[c->u.seq.len++] = x;
            adopt(x, share_scalars);
        }
        break;
    case VALUE_DICT:
        c = value_new_dict(arena, v->u.dict.len);
        for (i = 0; i < v->u.dict.len; i++) {
            struct value *k = copy_rec(arena, v->u.dict.items[i].key, m, share_scalars);
            struct value *x = copy_rec(arena, v->u.dict.items[i].val, m, share_scalars);
            /* keys of a dict are unique already: append without lookup */
            c->u.dict.items[c->u.dict.len].key = k;
            c->u.dict.items[c->u.dict.len].val = x;
            c->u.dict.len++;
            adopt(k, share_scalars);
            adopt(x, share_scalars);
        }
        break;
    case VALUE_INSTANCE:
        c = value_new_instance(arena, v->u.inst.cls, NULL);
        if (v->u.inst.state != NULL) {
            c->u.inst.state = copy_rec(arena, v->u.inst.state, m, share_scalars);
            adopt(c->u.inst.state, share_scalars);
        }
        break;
    default:
        break;
    }
    c->memo = v->memo;
    c->flags = v->flags;
    if (v->refs > 1) {
        ptrmap_insert(m, v, NULL)->val = c;
    }
    return c;
}

/* copy_tree - copy_rec from the root, with its node map */
static struct value *copy_tree(struct value_arena *arena, const struct value *v,
                               bool share_scalars)
{
    struct ptrmap m = PTRMAP_INIT;
    struct value *c = copy_rec(arena, v, &m, share_scalars);

    ptrmap_release(&m);
    return c;
}

/* value_copy_working - see value.h */
struct value *value_copy_working(struct value_arena *arena, const struct value *v)
{
    return copy_tree(arena, v, true);
}

/* value_copy - deep copy keeping sharing */
struct value *value_copy(struct value_arena *arena, const struct value *v)
{
    return copy_tree(arena, v, false);
}
