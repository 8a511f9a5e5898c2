/*
 * fdio - whole writes on file descriptors
 */
#include <errno.h>
#include <unistd.h>

#include "mmfix/fdio.h"

/* fdio_write_all - write everything */
int fdio_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;

    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}
