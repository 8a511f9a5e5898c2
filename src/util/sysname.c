/*
 * sysname - the host name and a path's directory, spelled one way
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mmfix/sysname.h"
#include "mmfix/xalloc.h"

/* sysname_host - this host's name, safe inside a file name */
void sysname_host(char *buf, size_t size)
{
    if (gethostname(buf, size) != 0) {
        snprintf(buf, size, "localhost");
    }
    buf[size - 1] = '\0';
    for (char *p = buf; *p != '\0'; p++) {
        if (*p == '/') {
            *p = '_';
        }
    }
}

/* sysname_dir - directory part of a path */
char *sysname_dir(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL) {
        return xstrdup(".");
    }
    while (slash > path && slash[-1] == '/') {
        slash--;
    }
    if (slash == path) {
        return xstrdup("/");
    }
    return xstrndup(path, (size_t)(slash - path));
}
