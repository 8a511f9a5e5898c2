#ifndef MMFIX_FDIO_H
#define MMFIX_FDIO_H

#include <stddef.h>

/* fdio_write_all - write len bytes to fd, through short writes and EINTR;
 * 0, or -1 with errno set */
int fdio_write_all(int fd, const void *data, size_t len);

#endif
