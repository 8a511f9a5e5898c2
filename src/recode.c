/*
 * recode - versions.py's recode of a list's str values to UTF-8
 *
 * DESCRIPTION
 *  See recode.h. doitem() of versions.py, with a depth bound where Python
 *  would hit its recursion limit (and loop for ever on a cycle).
 */
#include "mmfix/charset.h"
#include "mmfix/errstr.h"
#include "mmfix/pyval.h"
#include "mmfix/recode.h"
#include "mmfix/strbuf.h"

/* item - doitem(v) at depth */
static int item(struct value_arena *arena, struct value *v, const char *from, size_t depth,
                struct value **nv_r, size_t *count_r, const char **error_r)
{
    struct strbuf sb = STRBUF_INIT;
    struct value *nv = NULL;
    struct value *nt = NULL;
    size_t i;

    *nv_r = NULL;
    if (depth > RECODE_MAX_DEPTH) {
        *error_r = errstr("values nested deeper than %d levels (or a cycle): Mailman's "
                          "recode fails on them", RECODE_MAX_DEPTH);
        return -1;
    }
    switch (v->type) {
    case VALUE_BYTES:
        /* converted only if it decodes in `from` and is not UTF-8 */
        if (!pyval_utf8_valid(v->u.str.data, v->u.str.len)
            && charset_decode(from, v->u.str.data, v->u.str.len, &sb, NULL) == 0) {
            *nv_r = value_new_bytes(arena, sb.buf, sb.len);
            (*count_r)++;
        }
        strbuf_release(&sb);
        return 0;
    case VALUE_LIST:
        for (i = 0; i < v->u.seq.len; i++) {
            if (item(arena, v->u.seq.items[i], from, depth + 1, &nv, count_r, error_r) != 0) {
                return -1;
            }
            if (nv != NULL) {
                v->u.seq.items[i]->refs--;
                v->u.seq.items[i] = nv;
                nv->refs++;
                *nv_r = v;
            }
        }
        return 0;
    case VALUE_TUPLE:
        nt = value_new_tuple(arena, v->u.seq.len);
        for (i = 0; i < v->u.seq.len; i++) {
            if (item(arena, v->u.seq.items[i], from, depth + 1, &nv, count_r, error_r) != 0) {
                return -1;
            }
            value_seq_append(arena, nt, nv != NULL ? nv : v->u.seq.items[i]);
            *nv_r = nv != NULL ? nt : *nv_r;
        }
        return 0;
    case VALUE_DICT:
        for (i = 0; i < v->u.dict.len; i++) {
            if (item(arena, v->u.dict.items[i].val, from, depth + 1, &nv, count_r,
                     error_r) != 0) {
                return -1;
            }
            if (nv != NULL) {
                value_dict_set_at(arena, v, i, v->u.dict.items[i].key, nv);
                *nv_r = v;
            }
        }
        return 0;
    default:
        return 0;
    }
}

/* recode_value - doitem() */
int recode_value(struct value_arena *arena, struct value *v, const char *from,
                 struct value **nv_r, size_t *count_r, const char **error_r)
{
    return item(arena, v, from, 0, nv_r, count_r, error_r);
}
