/*
 * fuzz_qfiles - libFuzzer target for the reader of Mailman 2.0 and pre-2.1.5
 * queue entries (src/qfiles.c, qfiles_entry_make: the .db marshal metadata
 * and the .msg text or .pck pickle made into a 2.1.5 entry). Input layout:
 * byte 0 bit 0 set: the message is a .pck (else .msg text); bytes 1-2 the
 * length of the .db (little-endian); then the .db bytes; the rest is the
 * message. Never a crash, leak or hang; an entry made is two pickles that
 * mmfix's own check lets through (the message and the metadata dict with
 * version 3, a finite received_time and _parsemsg), under a Switchboard file
 * name; an entry refused says why.
 *
 * A .pck message goes through the restricted unpickler: MMFIX_PYTHON_DIR=
 * BUILD/python. Built by CMake with -DMMFIX_FUZZ=ON (tests/fuzz/README.md);
 * the plain build replays tests/fuzz/seeds/qfiles and
 * tests/fuzz/regressions/qfiles under ctest.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mmfix/pickle.h"
#include "mmfix/pickleplay.h"
#include "mmfix/qfiles.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1000000000.25

/* allowed - a pickle the entry holds passes mmfix's own check, up to its STOP at the end */
static void allowed(const char *p, size_t len)
{
    struct pickleops_info info;
    struct pickleplay_check ck;
    const char *err = NULL;

    if (pickleplay_check(p, len, &info, &ck, &err) != 0 || info.stop_offset + 1 != len) {
        abort();
    }
}

/* LLVMFuzzerTestOneInput - one old entry made into a new one */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct value_arena *a = NULL;
    struct strbuf out = STRBUF_INIT;
    struct strbuf meta_pickle = STRBUF_INIT;
    struct value *meta = NULL;
    struct value *v = NULL;
    double rcvtime = 0;
    const char *why = NULL;
    char *name = NULL;
    size_t db_len;

    if (size < 3) {
        return 0;
    }
    db_len = (size_t)data[1] | (size_t)data[2] << 8;
    if (db_len > size - 3) {
        db_len = size - 3;
    }
    a = value_arena_new();
    if (!qfiles_entry_make(a, (const char *)data + 3, db_len, (const char *)data + 3 + db_len,
                           size - 3 - db_len, (data[0] & 1) != 0, NOW, &out, &meta, &rcvtime,
                           &why)) {
        if (why == NULL || meta != NULL) {
            abort();
        }
        goto out;
    }
    if (meta == NULL || meta->type != VALUE_DICT || !isfinite(rcvtime) || out.len == 0) {
        abort();
    }
    v = value_dict_get_str(a, meta, "version");
    if (v == NULL || v->type != VALUE_INT || v->u.i != QFILES_SCHEMA_VERSION) {
        abort();
    }
    v = value_dict_get_str(a, meta, "_parsemsg");
    if (v == NULL || v->type != VALUE_BOOL) {
        abort();
    }
    v = value_dict_get_str(a, meta, "received_time");
    if (v == NULL || v->type != VALUE_FLOAT || v->u.f != rcvtime) {
        abort();
    }
    allowed(out.buf, out.len);
    if (pickle_write(&meta_pickle, meta, &why) == 0) {
        allowed(meta_pickle.buf, meta_pickle.len);
    }
    name = qfiles_entry_name(&out, meta, rcvtime, NOW);
    if (strchr(name, '/') != NULL || strchr(name, '+') == NULL
        || strcmp(name + strlen(name) - 4, ".pck") != 0) {
        abort();
    }
    free(name);
out:
    strbuf_release(&out);
    strbuf_release(&meta_pickle);
    value_arena_free(&a);
    return 0;
}
