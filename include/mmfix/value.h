#ifndef MMFIX_VALUE_H
#define MMFIX_VALUE_H

/*
 * The value tree: one C model for everything Python 2 data in Mailman's
 * files can hold. Python 2 `str` (VALUE_BYTES, raw bytes in the list's
 * charset) and `unicode` (VALUE_TEXT, stored as UTF-8) stay distinct.
 * Containers may be shared: when the source file referred to the same object
 * twice (a pickle memo reference, a marshal back-reference), the tree holds
 * the same struct value twice and its `refs` counts the parents.
 *
 * All nodes, strings and arrays of one tree live in one struct value_arena
 * and die with it; nothing in a tree is freed on its own.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum value_type {
    VALUE_NONE,
    VALUE_BOOL,
    VALUE_INT,      /* fits int64_t (Python 2 int, or a small long) */
    VALUE_LONG,     /* beyond int64_t: decimal digits with optional '-' */
    VALUE_FLOAT,
    VALUE_BYTES,    /* Python 2 str */
    VALUE_TEXT,     /* Python 2 unicode, kept as UTF-8 */
    VALUE_TUPLE,
    VALUE_LIST,
    VALUE_DICT,
    VALUE_INSTANCE, /* inert record: class name + state, never a live object */
};

struct value;

struct value_pair {
    struct value *key;
    struct value *val;
};

/* value flags: what the source file said beyond the value itself */
enum value_flag {
    VALUE_FLAG_PYLONG = 1 << 0,   /* an integer that was a Python 2 long (5L) */
};

struct value {
    enum value_type type;
    uint32_t refs;       /* parents pointing here; >1 means shared */
    uint32_t memo;       /* source pickle's memo index + 1 at which this object
                            was PUT, 0 if it was not memoized (pickle writer) */
    uint16_t flags;      /* enum value_flag */
    union {
        bool b;
        int64_t i;
        double f;
        const char *digits;                      /* VALUE_LONG */
        struct {
            const unsigned char *data;           /* NUL-terminated, may hold NULs */
            size_t len;
        } str;                                   /* VALUE_BYTES, VALUE_TEXT */
        struct {
            struct value **items;
            size_t len;
            size_t cap;
        } seq;                                   /* VALUE_TUPLE, VALUE_LIST */
        struct {
            struct value_pair *items;            /* in insertion order */
            size_t len;
            size_t cap;
            uint32_t *index;                     /* hash index, built lazily */
            size_t index_cap;
        } dict;
        struct {
            const char *cls;                     /* "Mailman.Bouncer._BounceInfo" */
            struct value *state;                 /* what BUILD set, or NULL */
        } inst;
    } u;
};

struct value_arena;

/* value_arena_new - an empty arena; free it with value_arena_free */
struct value_arena *value_arena_new(void);
/* value_arena_free - free every node of the arena, set *arena to NULL */
void value_arena_free(struct value_arena **arena);
/* value_arena_alloc - raw zeroed memory that lives as long as the arena */
void *value_arena_alloc(struct value_arena *arena, size_t size);
/* value_arena_bytes - bytes allocated so far (for limits and reports) */
size_t value_arena_bytes(const struct value_arena *arena);
/* value_arena_strdup - copy a C string into the arena */
const char *value_arena_strdup(struct value_arena *arena, const char *s);

struct value *value_new_none(struct value_arena *arena);
struct value *value_new_bool(struct value_arena *arena, bool b);
struct value *value_new_int(struct value_arena *arena, int64_t i);
/* value_new_long - from decimal digits (optional '-'); a value that fits
 * int64_t becomes VALUE_INT. Returns NULL if digits is not a number. */
struct value *value_new_long(struct value_arena *arena, const char *digits);
struct value *value_new_float(struct value_arena *arena, double f);
/* value_new_bytes - Python 2 str; the data is copied */
struct value *value_new_bytes(struct value_arena *arena, const void *data, size_t len);
/* value_new_text - Python 2 unicode from UTF-8 the caller has validated */
struct value *value_new_text(struct value_arena *arena, const void *utf8, size_t len);
/* value_new_list/tuple/dict - empty container with room for cap items */
struct value *value_new_list(struct value_arena *arena, size_t cap);
struct value *value_new_tuple(struct value_arena *arena, size_t cap);
struct value *value_new_dict(struct value_arena *arena, size_t cap);
/* value_new_instance - inert record of class cls ("Module.Class") */
struct value *value_new_instance(struct value_arena *arena, const char *cls,
                                 struct value *state);

/* value_seq_append - append item to a list or tuple (item->refs grows) */
void value_seq_append(struct value_arena *arena, struct value *seq, struct value *item);
/* value_seq_set_at - replace item i of a list or tuple (refs maintained) */
void value_seq_set_at(struct value *seq, size_t i, struct value *item);
/* value_dict_set - set key to val, replacing the value of an equal key
 * (Python dict semantics; the first key object is kept). */
void value_dict_set(struct value_arena *arena, struct value *dict,
                    struct value *key, struct value *val);
/* value_dict_get - the value for key, or NULL */
struct value *value_dict_get(struct value_arena *arena, struct value *dict,
                             const struct value *key);
/* value_dict_key - the key object the dict holds for key (equal to it), or NULL */
struct value *value_dict_key(struct value_arena *arena, struct value *dict,
                             const struct value *key);
/* value_dict_get_str - the value for the str (or unicode) key name, or NULL.
 * arena may be NULL: then no index is built and the search is linear. */
struct value *value_dict_get_str(struct value_arena *arena, struct value *dict,
                                 const char *name);
/* value_dict_del - remove key (order of the rest kept); true if it was there */
bool value_dict_del(struct value_arena *arena, struct value *dict, const struct value *key);
/* value_dict_remove_if - remove every item for which drop(key, val, ctx)
 * is true, in one pass (order of the rest kept); returns how many */
size_t value_dict_remove_if(struct value_arena *arena, struct value *dict,
                            bool (*drop)(const struct value *key, const struct value *val,
                                         void *ctx),
                            void *ctx);
/* value_dict_set_at - replace the key and value of item i (refs maintained) */
void value_dict_set_at(struct value_arena *arena, struct value *dict, size_t i,
                       struct value *key, struct value *val);
/* value_copy - deep copy into arena; nodes shared in v stay shared in the
 * copy, memo and flags are kept */
struct value *value_copy(struct value_arena *arena, const struct value *v);
/* value_copy_working - a working copy of v for a step to change, in v's own arena: its
 * containers are copied (shared ones kept shared), its scalars are v's own nodes, which
 * nothing changes in place. A scalar's refs counts its parents in one tree, the same in
 * both; once the copy is changed, it counts them in the copy: v is then only read
 * (compared, shown), never written, copied or changed. */
struct value *value_copy_working(struct value_arena *arena, const struct value *v);
/* value_set_state - set an instance's state (refs maintained) */
void value_set_state(struct value *inst, struct value *state);

/* value_equal - deep equality: same types (int and long compare by value),
 * same contents; bytes never equals text. */
bool value_equal(const struct value *a, const struct value *b);
/* value_hash - hash consistent with value_equal for scalar and tuple keys */
uint64_t value_hash(const struct value *v);
/* value_type_name - "str", "unicode", "dict", ... (Python 2 names) */
const char *value_type_name(enum value_type type);
/* value_is_str - VALUE_BYTES or VALUE_TEXT */
bool value_is_str(const struct value *v);
/* value_str_eq - v is a str/unicode whose bytes equal the C string s */
bool value_str_eq(const struct value *v, const char *s);
/* value_len - items of a container, bytes of a string, 0 otherwise */
size_t value_len(const struct value *v);

#endif
