#ifndef MMFIX_DATAFILE_H
#define MMFIX_DATAFILE_H

#include "mmfix/loaderr.h"
#include "mmfix/value.h"

/*
 * One Mailman data file, read by the reader its name calls for, the way
 * Mailman's MailList.__load picks its decoder: *.db and *.db.last are
 * marshal, *.pck and *.pck.last are pickles; *.json is typed JSON.
 */

enum datafile_format {
    DATAFILE_UNKNOWN,
    DATAFILE_MARSHAL,
    DATAFILE_PICKLE,
    DATAFILE_JSON,
};

struct datafile_info {
    enum datafile_format format;
    int protocol;         /* pickle protocol or marshal format version */
    const char *list;     /* typed JSON only: the document's list (arena) */
    const char *charset;  /* typed JSON only: the document's charset (arena) */
};

/* datafile_format_for - the format a file name calls for */
enum datafile_format datafile_format_for(const char *path);
/* datafile_format_name - "db", "pck", "json" */
const char *datafile_format_name(enum datafile_format f);
/* datafile_format_parse - from "db"/"marshal", "pck"/"pickle", "json" */
enum datafile_format datafile_format_parse(const char *name);

enum datafile_flags {
    DATAFILE_WANT_DICT = 1 << 0,  /* the top level must be a dict (config files) */
    DATAFILE_KEEP_MEMO = 1 << 1,  /* pickles: record the file's memo for a faithful rewrite */
};

/* datafile_load - read path as format (DATAFILE_UNKNOWN: by its name).
 * flags: enum datafile_flags; with DATAFILE_WANT_DICT a top level that is
 * not a dict is LOAD_CORRUPT, as Mailman treats it. charset is used for typed JSON
 * strings when the document names none (NULL: the document's). The error
 * text does not repeat the path: the caller names the file. */
int datafile_load(const char *path, enum datafile_format format, unsigned flags,
                  const struct load_limits *limits, const char *charset,
                  struct value_arena *arena, struct value **root_r,
                  struct datafile_info *info_r, enum load_error *kind_r,
                  const char **error_r);

struct pyload_pre;

/* datafile_load_pre - datafile_load of a pickle whose C half pyload_pre_file
 * has done ahead (pyload_opts.pre; NULL or another file's: ignored) */
int datafile_load_pre(const char *path, enum datafile_format format, unsigned flags,
                      const struct load_limits *limits, const char *charset,
                      struct pyload_pre *pre, struct value_arena *arena,
                      struct value **root_r, struct datafile_info *info_r,
                      enum load_error *kind_r, const char **error_r);

#endif
