#ifndef MMFIX_SYSNAME_H
#define MMFIX_SYSNAME_H

#include <stddef.h>

/* Names the system gives: this host's, a path's directory. Mailman puts
 * the host name into lock claimant and temp file names, so both the lock
 * and the save code must spell it the same way. */

/* sysname_host - gethostname() with '/' replaced by '_', "localhost" if
 * unknown; always NUL-terminated */
void sysname_host(char *buf, size_t size);
/* sysname_dir - the directory part of path (malloc'd; "." when there is
 * none, "/" for a file in the root) */
char *sysname_dir(const char *path);

#endif
