/*
 * test_fileread - the one whole-file reader: regular and empty files, the
 * size cap (before and while reading), and every kind of non-regular file
 * refused at once with its type named: a FIFO without a writer (must not
 * block), a UNIX socket, a directory, a character device, a symbolic link.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"

#include "mmfix/fileread.h"
#include "mmfix/strbuf.h"
#include "mmfix/xalloc.h"

struct fixture {
    char *dir;
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));

    f->dir = harness_tmpdir("fileread");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    harness_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* now_ms - monotonic milliseconds */
static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* expect_refused - path is refused as not regular, naming type, fast */
static void expect_refused(const char *path, const char *type)
{
    struct strbuf sb = STRBUF_INIT;
    enum fileread_status st = FILEREAD_OK;
    const char *err = NULL;
    char *want = xasprintf("%s: not a regular file (%s)", path, type);
    long long t0 = now_ms();

    strbuf_adds(&sb, "old contents");
    assert_int_equal(fileread_into(path, 1024, &sb, &st, &err), -1);
    assert_true(now_ms() - t0 < 2000);
    assert_int_equal(st, FILEREAD_NOT_REGULAR);
    if (strcmp(err, want) != 0) {
        fail_msg("got '%s', want '%s'", err, want);
    }
    assert_int_equal(sb.len, 0);
    strbuf_release(&sb);
    free(want);
}

/* test_fileread_regular - contents, NUL-terminated, buffer reused */
static void test_fileread_regular(void **state)
{
    struct fixture *f = *state;
    char *path = xasprintf("%s/config.pck", f->dir);
    struct strbuf sb = STRBUF_INIT;
    enum fileread_status st = FILEREAD_IO;
    const char *err = NULL;
    char *data = NULL;
    size_t len = 0;

    harness_write_text(path, "0123456789");
    strbuf_adds(&sb, "something longer than the file, left from before");
    assert_int_equal(fileread_into(path, 10, &sb, &st, &err), 0);
    assert_int_equal(st, FILEREAD_OK);
    assert_int_equal(sb.len, 10);
    assert_memory_equal(sb.buf, "0123456789", 11);
    assert_int_equal(fileread_alloc(path, 100, &data, &len, NULL, &err), 0);
    assert_int_equal(len, 10);
    assert_memory_equal(data, "0123456789", 11);
    free(data);
    strbuf_release(&sb);
    free(path);
}

/* test_fileread_empty - an empty file is 0 bytes, not an error */
static void test_fileread_empty(void **state)
{
    struct fixture *f = *state;
    char *path = xasprintf("%s/empty", f->dir);
    const char *err = NULL;
    char *data = NULL;
    size_t len = 99;

    harness_write_text(path, "");
    assert_int_equal(fileread_alloc(path, 0, &data, &len, NULL, &err), 0);
    assert_int_equal(len, 0);
    assert_non_null(data);
    assert_int_equal(data[0], '\0');
    free(data);
    free(path);
}

/* test_fileread_over_cap - one byte over the cap is refused, clearly */
static void test_fileread_over_cap(void **state)
{
    struct fixture *f = *state;
    char *path = xasprintf("%s/big", f->dir);
    enum fileread_status st = FILEREAD_OK;
    const char *err = NULL;
    char *data = NULL;
    size_t len = 0;

    harness_write_text(path, "0123456789");
    assert_int_equal(fileread_alloc(path, 9, &data, &len, &st, &err), -1);
    assert_null(data);
    assert_int_equal(st, FILEREAD_TOO_LARGE);
    assert_non_null(strstr(err, "larger than the limit of 9 bytes"));
    assert_memory_equal(err, path, strlen(path));
    free(path);
}

/* test_fileread_grows - a file whose fstat size says less than it holds
 * (like one growing while read: /proc files say 0) is read whole, and cut
 * off at the cap when it holds more */
static void test_fileread_grows(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    enum fileread_status st = FILEREAD_OK;
    const char *err = NULL;
    struct stat sta;

    (void)state;
    if (stat("/proc/self/status", &sta) != 0 || sta.st_size != 0) {
        skip();
    }
    assert_int_equal(fileread_into("/proc/self/status", 1 << 20, &sb, &st, &err), 0);
    assert_true(sb.len > 10);
    assert_non_null(strstr(sb.buf, "Name:"));
    assert_int_equal(strlen(sb.buf), sb.len);
    assert_int_equal(fileread_into("/proc/self/status", 10, &sb, &st, &err), -1);
    assert_int_equal(st, FILEREAD_TOO_LARGE);
    assert_int_equal(sb.len, 0);
    strbuf_release(&sb);
}

/* test_fileread_missing - ENOENT and ENOTDIR are "missing" */
static void test_fileread_missing(void **state)
{
    struct fixture *f = *state;
    char *path = xasprintf("%s/nope", f->dir);
    char *below = xasprintf("%s/file/below", f->dir);
    char *file = xasprintf("%s/file", f->dir);
    enum fileread_status st = FILEREAD_OK;
    const char *err = NULL;
    char *data = NULL;
    size_t len = 0;

    assert_int_equal(fileread_alloc(path, 100, &data, &len, &st, &err), -1);
    assert_int_equal(st, FILEREAD_MISSING);
    assert_non_null(strstr(err, "No such file"));
    harness_write_text(file, "x");
    assert_int_equal(fileread_alloc(below, 100, &data, &len, &st, &err), -1);
    assert_int_equal(st, FILEREAD_MISSING);
    free(path);
    free(below);
    free(file);
}

/* test_fileread_fifo - a FIFO with no writer: refused at once, not read */
static void test_fileread_fifo(void **state)
{
    struct fixture *f = *state;
    char *path = xasprintf("%s/config.pck", f->dir);

    assert_int_equal(mkfifo(path, 0600), 0);
    alarm(10);  /* a hang fails the test instead of stopping the suite */
    expect_refused(path, "fifo");
    alarm(0);
    free(path);
}

/* test_fileread_socket - a bound UNIX socket (open() says ENXIO) */
static void test_fileread_socket(void **state)
{
    struct fixture *f = *state;
    char *path = xasprintf("%s/sock", f->dir);
    struct sockaddr_un sa;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    assert_true(strlen(path) < sizeof(sa.sun_path));
    memcpy(sa.sun_path, path, strlen(path) + 1);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    expect_refused(path, "socket");
    close(fd);
    free(path);
}

/* test_fileread_directory - a directory opens, but fstat says no */
static void test_fileread_directory(void **state)
{
    struct fixture *f = *state;
    char *path = xasprintf("%s/config.pck", f->dir);

    assert_int_equal(mkdir(path, 0700), 0);
    expect_refused(path, "directory");
    free(path);
}

/* test_fileread_device - /dev/null is a character device */
static void test_fileread_device(void **state)
{
    (void)state;
    expect_refused("/dev/null", "character device");
}

/* test_fileread_symlink - a final symbolic link is not followed, even to a
 * regular file */
static void test_fileread_symlink(void **state)
{
    struct fixture *f = *state;
    char *target = xasprintf("%s/target", f->dir);
    char *link = xasprintf("%s/config.pck", f->dir);

    harness_write_text(target, "data");
    assert_int_equal(symlink(target, link), 0);
    expect_refused(link, "symbolic link");
    free(target);
    free(link);
}

/* test_fileread_type_name - every type has its name */
static void test_fileread_type_name(void **state)
{
    (void)state;
    assert_string_equal(fileread_type_name(S_IFREG | 0644), "regular file");
    assert_string_equal(fileread_type_name(S_IFDIR), "directory");
    assert_string_equal(fileread_type_name(S_IFIFO), "fifo");
    assert_string_equal(fileread_type_name(S_IFSOCK), "socket");
    assert_string_equal(fileread_type_name(S_IFCHR), "character device");
    assert_string_equal(fileread_type_name(S_IFBLK), "block device");
    assert_string_equal(fileread_type_name(S_IFLNK), "symbolic link");
}

/* main - run the tests */
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fileread_regular, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fileread_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fileread_over_cap, setup, teardown),
        cmocka_unit_test(test_fileread_grows),
        cmocka_unit_test_setup_teardown(test_fileread_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fileread_fifo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fileread_socket, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fileread_directory, setup, teardown),
        cmocka_unit_test(test_fileread_device),
        cmocka_unit_test_setup_teardown(test_fileread_symlink, setup, teardown),
        cmocka_unit_test(test_fileread_type_name),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
