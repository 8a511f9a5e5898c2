/*
 * datafile - read one Mailman data file by the decoder its name calls for
 *
 * SECURITY
 *  Every reader enforces the size, depth and object limits; pickles only
 *  go through the restricted unpickler behind pyload.
 */
#include <stdlib.h>
#include <string.h>

#include "mmfix/datafile.h"
#include "mmfix/errstr.h"
#include "mmfix/fileread.h"
#include "mmfix/marshal.h"
#include "mmfix/pyload.h"
#include "mmfix/strbuf.h"
#include "mmfix/tjson.h"
#include "mmfix/xalloc.h"

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s);
    size_t m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* datafile_format_for - by file name */
enum datafile_format datafile_format_for(const char *path)
{
    if (ends_with(path, ".db") || ends_with(path, ".db.last")) {
        return DATAFILE_MARSHAL;
    }
    if (ends_with(path, ".pck") || ends_with(path, ".pck.last")) {
        return DATAFILE_PICKLE;
    }
    if (ends_with(path, ".json")) {
        return DATAFILE_JSON;
    }
    return DATAFILE_UNKNOWN;
}

/* datafile_format_name - short name */
const char *datafile_format_name(enum datafile_format f)
{
    switch (f) {
    case DATAFILE_MARSHAL: return "db";
    case DATAFILE_PICKLE: return "pck";
    case DATAFILE_JSON: return "json";
    case DATAFILE_UNKNOWN: break;
    }
    return "unknown";
}

/* datafile_format_parse - from a name given on the command line */
enum datafile_format datafile_format_parse(const char *name)
{
    if (strcmp(name, "db") == 0 || strcmp(name, "marshal") == 0) {
        return DATAFILE_MARSHAL;
    }
    if (strcmp(name, "pck") == 0 || strcmp(name, "pickle") == 0) {
        return DATAFILE_PICKLE;
    }
    if (strcmp(name, "json") == 0) {
        return DATAFILE_JSON;
    }
    return DATAFILE_UNKNOWN;
}

/* datafile_load - read and decode */
int datafile_load(const char *path, enum datafile_format format, unsigned flags,
                  const struct load_limits *limits, const char *charset,
                  struct value_arena *arena, struct value **root_r,
                  struct datafile_info *info_r, enum load_error *kind_r,
                  const char **error_r)
{
    return datafile_load_pre(path, format, flags, limits, charset, NULL, arena, root_r, info_r,
                             kind_r, error_r);
}

/* datafile_load_pre - datafile_load with a pickle's C half done ahead */
int datafile_load_pre(const char *path, enum datafile_format format, unsigned flags,
                      const struct load_limits *limits, const char *charset,
                      struct pyload_pre *pre, struct value_arena *arena,
                      struct value **root_r, struct datafile_info *info_r,
                      enum load_error *kind_r, const char **error_r)
{
    struct load_limits lim = load_limits_resolve(limits);
    struct datafile_info info;
    int ret = -1;

    memset(&info, 0, sizeof(info));
    if (format == DATAFILE_UNKNOWN) {
        format = datafile_format_for(path);
    }
    info.format = format;
    *root_r = NULL;
    switch (format) {
    case DATAFILE_MARSHAL: {
        struct marshal_info mi;
        memset(&mi, 0, sizeof(mi));
        ret = marshal_read_file(path, &lim, arena, root_r, &mi, kind_r, error_r);
        info.protocol = mi.version;
        break;
    }
    case DATAFILE_PICKLE: {
        struct pyload_info pi;
        struct pyload_opts po;
        memset(&pi, 0, sizeof(pi));
        memset(&po, 0, sizeof(po));
        po.keep_memo = (flags & DATAFILE_KEEP_MEMO) != 0;
        po.pre = pre;
        ret = pyload_unpickle_file_ex(path, &lim, &po, arena, root_r, &pi, kind_r, error_r);
        info.protocol = pi.protocol;
        break;
    }
    case DATAFILE_JSON: {
        struct strbuf sb = STRBUF_INIT;
        enum fileread_status fs = FILEREAD_OK;

        ret = fileread_into(path, lim.max_bytes, &sb, &fs, error_r);
        if (ret < 0) {
            *kind_r = load_error_from_fileread(fs);
        } else {
            ret = tjson_read(strbuf_cstr(&sb), sb.len, charset, arena, root_r,
                             &info.list, &info.charset, kind_r, error_r);
        }
        strbuf_release(&sb);
        break;
    }
    case DATAFILE_UNKNOWN:
        *kind_r = LOAD_CORRUPT;
        *error_r = errstr("%s: cannot tell the format from the name "
                          "(*.db, *.pck, *.json, or say --from)", path);
        return -1;
    }
    if (ret == 0 && (flags & DATAFILE_WANT_DICT) && (*root_r)->type != VALUE_DICT) {
        *kind_r = LOAD_CORRUPT;
        *error_r = errstr("top level is a %s, not a dict", value_type_name((*root_r)->type));
        ret = -1;
    }
    if (ret == 0) {
        *kind_r = LOAD_OK;
    } else if (*error_r == NULL) {
        *error_r = "unknown error";
    } else if (strncmp(*error_r, path, strlen(path)) == 0
               && strncmp(*error_r + strlen(path), ": ", 2) == 0) {
        *error_r += strlen(path) + 2;  /* the readers name the file; callers do */
    }
    if (info_r != NULL) {
        *info_r = info;
    }
    return ret;
}
