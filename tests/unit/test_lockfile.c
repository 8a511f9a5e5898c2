/*
 * test_lockfile - Mailman 2.1 lock protocol: interoperation with an
 * independent Python implementation (tests/tools/mm_lockfile.py) in both
 * directions, breaking of expired locks and of locks of dead local
 * processes, the claimant-unlink confinement, held/refresh/release, the
 * clearing of what a dead mmfix left in locks/.
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "mmfix/lockfile.h"
#include "mmfix/xalloc.h"
#include "harness.h"
#include "test_config.h"

#define PYTHON "/usr/bin/python3"
#define MM_LOCKFILE MMFIX_SOURCE_DIR "/tests/tools/mm_lockfile.py"

struct fixture {
    char *root;                      /* mkdtemp */
    char *locks;                     /* root/locks */
    char *outside;                   /* root/outside: another directory */
    char *lock;                      /* root/locks/test.lock */
    char host[256];
};

/* setup - a temp dir with locks/ and outside/ */
static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    char tmpl[] = "/tmp/mmfix-test-lockfile-XXXXXX";

    assert_non_null(mkdtemp(tmpl));
    f->root = xstrdup(tmpl);
    f->locks = xasprintf("%s/locks", f->root);
    f->outside = xasprintf("%s/outside", f->root);
    f->lock = xasprintf("%s/test.lock", f->locks);
    assert_int_equal(mkdir(f->locks, 02775), 0);
    assert_int_equal(mkdir(f->outside, 0755), 0);
    assert_int_equal(gethostname(f->host, sizeof(f->host)), 0);
    f->host[sizeof(f->host) - 1] = '\0';
    *state = f;
    return 0;
}

/* teardown - remove the temp tree */
static int teardown(void **state)
{
    struct fixture *f = *state;

    harness_rmtree(f->root);
    free(f->root);
    free(f->locks);
    free(f->outside);
    free(f->lock);
    free(f);
    return 0;
}

/* set_mtime - set atime and mtime of path to now + delta seconds */
static void set_mtime(const char *path, long delta)
{
    struct timespec ts[2];

    clock_gettime(CLOCK_REALTIME, &ts[0]);
    ts[0].tv_sec += delta;
    ts[1] = ts[0];
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* now_ms - monotonic milliseconds */
static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* spawn - run argv with pipes to its stdin and from its stdout */
static pid_t spawn(char *const argv[], int *in_r, int *out_r)
{
    int in[2];
    int out[2];
    pid_t pid;

    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    *in_r = in[1];
    *out_r = out[0];
    return pid;
}

/* read_line - one line from fd within timeout_ms (without the newline) */
static void read_line(int fd, char *buf, size_t size, int timeout_ms)
{
    size_t len = 0;
    long long end = now_ms() + timeout_ms;

    buf[0] = '\0';
    while (len + 1 < size) {
        struct pollfd pfd = { fd, POLLIN, 0 };
        long long left = end - now_ms();
        char c;
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
            fail_msg("no line from the python side (got '%.*s')", (int)len, buf);
        }
        if (read(fd, &c, 1) != 1) {
            break;
        }
        if (c == '\n') {
            break;
        }
        buf[len++] = c;
        buf[len] = '\0';
    }
}

/* wait_status - exit status of pid */
static int wait_status(pid_t pid)
{
    int status = 0;

    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* run_python_try - mm_lockfile.py try LOCK --timeout t; its exit status */
static int run_python_try(const char *lock, const char *timeout)
{
    char *argv[] = { PYTHON, MM_LOCKFILE, "try", (char *)lock, "--timeout", (char *)timeout,
                     "--max-sleep", "0.1", "--lifetime", "60", NULL };
    char line[4096];
    int in = -1;
    int out = -1;
    pid_t pid = spawn(argv, &in, &out);
    int rc = 0;

    close(in);
    read_line(out, line, sizeof(line), 20000);
    rc = wait_status(pid);
    close(out);
    return rc;
}

/* (a) a live Python lock: timeout 0 is busy, timeout 3000 gets it after release */
static void test_python_holds(void **state)
{
    struct fixture *f = *state;
    char *argv[] = { PYTHON, MM_LOCKFILE, "hold", f->lock, "--seconds", "1.2",
                     "--lifetime", "60", NULL };
    struct lockfile *lk = NULL;
    struct lockfile_state st;
    const char *err = NULL;
    char line[4096];
    char pytmp[4096];
    bool busy = false;
    int in = -1;
    int out = -1;
    pid_t pid = spawn(argv, &in, &out);
    long long t0 = 0;

    read_line(out, line, sizeof(line), 20000);
    assert_true(strncmp(line, "locked ", 7) == 0);
    snprintf(pytmp, sizeof(pytmp), "%s", line + 7);
    assert_int_equal(lockfile_inspect(f->lock, &st, &err), 0);
    assert_true(st.exists);
    assert_true(st.live);
    assert_false(st.ours_dead);
    assert_string_equal(st.claimant, pytmp);

    assert_int_equal(lockfile_acquire(f->lock, 60, 0, &lk, &busy, &err), -1);
    assert_true(busy);
    assert_null(lk);
    assert_non_null(strstr(err, pytmp));
    assert_true(harness_exists(pytmp));
    assert_int_equal(harness_count_entries(f->locks), 2);      /* our claim is gone */

    t0 = now_ms();
    assert_int_equal(lockfile_acquire(f->lock, 60, 3000, &lk, &busy, &err), 0);
    assert_true(now_ms() - t0 >= 300);
    assert_true(lockfile_held(lk));
    read_line(out, line, sizeof(line), 20000);
    assert_string_equal(line, "released");
    assert_int_equal(wait_status(pid), 0);
    close(in);
    close(out);
    assert_false(harness_exists(pytmp));
    assert_int_equal(lockfile_inspect(f->lock, &st, &err), 0);
    assert_string_equal(st.claimant, lockfile_temp_path(lk));
    assert_int_equal(lockfile_release(&lk, &err), 0);
    assert_null(lk);
    assert_int_equal(harness_count_entries(f->locks), 0);
}

/* (b) our lock makes the Python side time out; after release it gets it */
static void test_python_waits(void **state)
{
    struct fixture *f = *state;
    struct lockfile *lk = NULL;
    const char *err = NULL;
    bool busy = false;

    assert_int_equal(lockfile_acquire(f->lock, 60, 0, &lk, &busy, &err), 0);
    assert_int_equal(run_python_try(f->lock, "0.5"), 2);
    assert_true(lockfile_held(lk));
    assert_int_equal(harness_count_entries(f->locks), 2);
    assert_int_equal(lockfile_release(&lk, &err), 0);
    assert_int_equal(harness_count_entries(f->locks), 0);
    assert_int_equal(run_python_try(f->lock, "0.5"), 0);
    assert_int_equal(harness_count_entries(f->locks), 0);
}

/* make_claim - a claimant file at tmp (content claim_text) linked to the lock,
 * with mtime now + delta */
static void make_claim(struct fixture *f, const char *tmp, const char *claim_text, long delta)
{
    harness_write_text(tmp, claim_text);
    set_mtime(tmp, delta);
    assert_int_equal(link(tmp, f->lock), 0);
}

/* (c) an expired lock is broken; the claimant file only inside locks/ is removed */
static void test_expired(void **state)
{
    struct fixture *f = *state;
    struct lockfile *lk = NULL;
    struct lockfile_state st;
    const char *err = NULL;
    bool busy = false;
    char *in_tmp = xasprintf("%s/test.lock.otherhost.example.4242.0", f->locks);
    char *out_tmp = xasprintf("%s/test.lock.otherhost.example.4242.0", f->outside);
    char *other = xasprintf("%s/other.lock.otherhost.4242.0", f->locks);
    char *dotdot = xasprintf("%s/../outside/test.lock.otherhost.example.4242.0", f->locks);
    char buf[4096];

    /* within the slop: still live, busy */
    make_claim(f, in_tmp, in_tmp, -5);
    assert_int_equal(lockfile_inspect(f->lock, &st, &err), 0);
    assert_true(st.live);
    assert_false(st.ours_dead);
    assert_int_equal(lockfile_acquire(f->lock, 60, 0, &lk, &busy, &err), -1);
    assert_true(busy);

    /* expired: broken, claimant inside locks/ removed */
    set_mtime(in_tmp, -20);
    assert_int_equal(lockfile_inspect(f->lock, &st, &err), 0);
    assert_false(st.live);
    assert_int_equal(lockfile_acquire(f->lock, 60, 0, &lk, &busy, &err), 0);
    assert_false(harness_exists(in_tmp));
    assert_true(lockfile_held(lk));
    assert_int_equal(lockfile_release(&lk, &err), 0);

    /* claimant outside locks/: the lock is broken, the file stays */
    harness_write_text(out_tmp, out_tmp);
    harness_write_text(f->lock, out_tmp);
    set_mtime(f->lock, -20);
    assert_int_equal(lockfile_acquire(f->lock, 60, 0, &lk, &busy, &err), 0);
    assert_true(harness_exists(out_tmp));
    harness_read_text(out_tmp, buf, sizeof(buf));
    assert_string_equal(buf, out_tmp);
    assert_int_equal(lockfile_release(&lk, &err), 0);

    /* the same through a ".." spelling */
    harness_write_text(f->lock, dotdot);
    set_mtime(f->lock, -20);
    assert_int_equal(lockfile_acquire(f->lock, 60, 0, &lk, &busy, &err), 0);
    assert_true(harness_exists(out_tmp));
    assert_int_equal(lockfile_release(&lk, &err), 0);

    /* another lock's claimant in locks/ is not ours to remove either */
    harness_write_text(other, other);
    harness_write_text(f->lock, other);
    set_mtime(f->lock, -20);
    assert_int_equal(lockfile_acquire(f->lock, 60, 0, &lk, &busy, &err), 0);
    assert_true(harness_exists(other));
    assert_int_equal(lockfile_release(&lk, &err), 0);
    assert_int_equal(unlink(other), 0);

    /* an absurd claimant (/etc/passwd) is never unlinked */
    harness_write_text(f->lock, "/etc/passwd");
    set_mtime(f->lock, -20);
    assert_int_equal(lockfile_acquire(f->lock, 60, 0, &lk, &busy, &err), 0);
    assert_true(harness_exists("/etc/passwd"));
    assert_int_equal(lockfile_release(&lk, &err), 0);

    /* the Python side breaks an expired lock left by "us" the same way */
    assert_int_equal(lockfile_acquire(f->lock, 60, 0, &lk, &busy, &err), 0);
    set_mtime(f->lock, -20);
    assert_int_equal(run_python_try(f->lock, "5"), 0);
    assert_false(lockfile_held(lk));
    assert_false(harness_exists(lockfile_temp_path(lk)));
    assert_int_equal(lockfile_release(&lk, &err), -1);
    assert_int_equal(harness_count_entries(f->locks), 0);

    free(in_tmp);
    free(out_tmp);
    free(other);
    free(dotdot);
}

/* (d) a lock of a dead process of this host is broken at once; a live
 * process's or another host's is not */
static void test_dead_pid(void **state)
{
    struct fixture *f = *state;
    struct lockfile *lk = NULL;
    struct lockfile_state st;
    const char *err = NULL;
    bool busy = false;
    char *child_tmp = NULL;
    char *live_tmp = NULL;
    char *far_tmp = NULL;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        struct lockfile *clk = NULL;
        const char *cerr = NULL;
        bool cbusy = false;
        _exit(lockfile_acquire(f->lock, 600, 0, &clk, &cbusy, &cerr) == 0 ? 0 : 1);
    }
    assert_int_equal(wait_status(pid), 0);
    child_tmp = xasprintf("%s.%s.%ld.", f->lock, f->host, (long)pid);
    assert_int_equal(lockfile_inspect(f->lock, &st, &err), 0);
    assert_true(st.exists);
    assert_true(st.live);
    assert_true(st.ours_dead);
    assert_true(strncmp(st.claimant, child_tmp, strlen(child_tmp)) == 0);
    free(child_tmp);
    child_tmp = xstrdup(st.claimant);
    assert_true(st.expires > time(NULL) + 500);
    assert_int_equal(lockfile_acquire(f->lock, 60, 0, &lk, &busy, &err), 0);
    assert_false(harness_exists(child_tmp));
    assert_int_equal(lockfile_release(&lk, &err), 0);
    assert_int_equal(harness_count_entries(f->locks), 0);

    /* a live process of this host (our parent) in the 2.0 three-part form */
    live_tmp = xasprintf("%s.%s.%ld", f->lock, f->host, (long)getppid());
    make_claim(f, live_tmp, live_tmp, 60);
    assert_int_equal(lockfile_inspect(f->lock, &st, &err), 0);
    assert_false(st.ours_dead);
    assert_int_equal(lockfile_acquire(f->lock, 60, 0, &lk, &busy, &err), -1);
    assert_true(busy);
    assert_int_equal(unlink(f->lock), 0);
    assert_int_equal(unlink(live_tmp), 0);

    /* the dead pid, but claimed from another host: not ours to judge */
    far_tmp = xasprintf("%s.not-%s.%ld.3", f->lock, f->host, (long)pid);
    make_claim(f, far_tmp, far_tmp, 60);
    assert_int_equal(lockfile_inspect(f->lock, &st, &err), 0);
    assert_false(st.ours_dead);
    assert_int_equal(lockfile_acquire(f->lock, 60, 0, &lk, &busy, &err), -1);
    assert_true(busy);
    assert_true(harness_exists(far_tmp));

    free(child_tmp);
    free(live_tmp);
    free(far_tmp);
}

/* (e) held, refresh, release, the claimant file, other handles and errors */
static void test_held_refresh(void **state)
{
    struct fixture *f = *state;
    struct lockfile *lk = NULL;
    struct lockfile *lk2 = NULL;
    struct lockfile_state st;
    struct stat sb;
    const char *err = NULL;
    bool busy = false;
    char *prefix = xasprintf("%s.%s.%ld.", f->lock, f->host, (long)getpid());
    char *thief = xasprintf("%s/test.lock.thief.1.0", f->locks);
    char *missing = xasprintf("%s/nodir/x.lock", f->root);
    char *cwd = getcwd(NULL, 0);
    char buf[4096];
    char tmp1[4096];
    long long t0 = 0;

    assert_int_equal(lockfile_inspect(f->lock, &st, &err), 0);
    assert_false(st.exists);
    assert_string_equal(st.claimant, "");

    assert_int_equal(lockfile_acquire(f->lock, 100, 0, &lk, &busy, &err), 0);
    assert_true(lockfile_held(lk));
    assert_string_equal(lockfile_path(lk), f->lock);
    assert_true(strncmp(lockfile_temp_path(lk), prefix, strlen(prefix)) == 0);
    harness_read_text(f->lock, buf, sizeof(buf));
    assert_string_equal(buf, lockfile_temp_path(lk));
    assert_int_equal(lstat(f->lock, &sb), 0);
    assert_int_equal(sb.st_nlink, 2);
    assert_int_equal(sb.st_mode & 0777, 0664);
    assert_int_equal(lockfile_inspect(f->lock, &st, &err), 0);
    assert_true(st.live);
    assert_false(st.ours_dead);
    assert_true(st.expires >= time(NULL) + 98 && st.expires <= time(NULL) + 101);

    /* refresh pushes the expiry again */
    set_mtime(f->lock, 5);
    assert_int_equal(lockfile_refresh(lk, &err), 0);
    assert_int_equal(lockfile_inspect(f->lock, &st, &err), 0);
    assert_true(st.expires >= time(NULL) + 98);

    /* a second handle in this process is just another claimant */
    assert_int_equal(lockfile_acquire(f->lock, 100, 0, &lk2, &busy, &err), -1);
    assert_true(busy);
    t0 = now_ms();
    assert_int_equal(lockfile_acquire(f->lock, 100, 300, &lk2, &busy, &err), -1);
    assert_true(busy);
    assert_true(now_ms() - t0 >= 290);
    assert_int_equal(harness_count_entries(f->locks), 2);

    /* released, a new acquisition uses a new counter */
    snprintf(tmp1, sizeof(tmp1), "%s", lockfile_temp_path(lk));
    assert_int_equal(lockfile_release(&lk, &err), 0);
    assert_false(harness_exists(f->lock));
    assert_false(harness_exists(tmp1));
    assert_int_equal(lockfile_release(&lk, &err), 0);          /* NULL: no-op */
    assert_int_equal(lockfile_acquire(f->lock, 100, 0, &lk, &busy, &err), 0);
    assert_string_not_equal(lockfile_temp_path(lk), tmp1);

    /* lost: someone broke it and took it */
    assert_int_equal(unlink(f->lock), 0);
    make_claim(f, thief, thief, 60);
    assert_false(lockfile_held(lk));
    assert_int_equal(lockfile_refresh(lk, &err), -1);
    assert_non_null(strstr(err, "no longer ours"));
    assert_int_equal(lockfile_release(&lk, &err), -1);
    assert_null(lk);
    assert_true(harness_exists(f->lock));
    assert_true(harness_exists(thief));
    assert_int_equal(harness_count_entries(f->locks), 2);
    assert_int_equal(unlink(f->lock), 0);
    assert_int_equal(unlink(thief), 0);

    /* lost to a lock that only names us: the lock is another file (link count 2) whose
     * text is our claimant's name; it is not our claim's inode, so it is not ours */
    assert_int_equal(lockfile_acquire(f->lock, 100, 0, &lk, &busy, &err), 0);
    snprintf(tmp1, sizeof(tmp1), "%s", lockfile_temp_path(lk));
    assert_int_equal(unlink(f->lock), 0);
    make_claim(f, thief, tmp1, 60);
    harness_read_text(f->lock, buf, sizeof(buf));
    assert_string_equal(buf, tmp1);
    assert_false(lockfile_held(lk));
    assert_int_equal(lockfile_release(&lk, &err), -1);
    assert_non_null(strstr(err, "no longer ours"));
    assert_true(harness_exists(f->lock));       /* not ours: left alone */
    assert_false(harness_exists(tmp1));
    assert_int_equal(unlink(f->lock), 0);
    assert_int_equal(unlink(thief), 0);

    /* broken the way Mailman breaks a lock (the lock and our temp file both removed) and
     * taken by another claimant, whose new file may even get our old inode number: ours
     * only while our temp file is the lock's second name */
    assert_int_equal(lockfile_acquire(f->lock, 100, 0, &lk, &busy, &err), 0);
    snprintf(tmp1, sizeof(tmp1), "%s", lockfile_temp_path(lk));
    assert_int_equal(unlink(f->lock), 0);
    assert_int_equal(unlink(tmp1), 0);
    make_claim(f, thief, thief, 60);
    assert_false(lockfile_held(lk));
    assert_int_equal(lockfile_release(&lk, &err), -1);
    assert_true(harness_exists(f->lock));
    assert_true(harness_exists(thief));
    assert_int_equal(unlink(f->lock), 0);
    assert_int_equal(unlink(thief), 0);

    /* a relative lock path is made absolute (the claimant text must be) */
    assert_int_equal(chdir(f->root), 0);
    assert_int_equal(lockfile_acquire("locks/rel.lock", 60, 0, &lk, &busy, &err), 0);
    assert_int_equal(chdir(cwd), 0);
    assert_true(lockfile_path(lk)[0] == '/');
    harness_read_text(lockfile_path(lk), buf, sizeof(buf));
    assert_string_equal(buf, lockfile_temp_path(lk));
    assert_true(buf[0] == '/');
    assert_int_equal(lockfile_release(&lk, &err), 0);

    /* no directory: an error, not busy */
    assert_int_equal(lockfile_acquire(missing, 60, 0, &lk, &busy, &err), -1);
    assert_false(busy);
    assert_null(lk);

    /* a lock that is a symlink is not followed and is not "held" */
    assert_int_equal(symlink("/etc/passwd", f->lock), 0);
    assert_int_equal(lockfile_inspect(f->lock, &st, &err), 0);
    assert_true(st.exists);
    assert_string_equal(st.claimant, "");
    assert_int_equal(unlink(f->lock), 0);
    assert_int_equal(harness_count_entries(f->locks), 0);

    free(prefix);
    free(thief);
    free(missing);
    free(cwd);
}

/* (f) lockfile_clear_dead: the list locks and Mailman's `creator` lock a
 * dead mmfix left (killed, or unable to remove them) are broken, with their
 * dead claimant files; a live process's and another host's are kept */
static void test_clear_dead(void **state)
{
    struct fixture *f = *state;
    char *creator = xasprintf("%s/creator", f->locks);
    char *stray = NULL;
    char *live = NULL;
    char *far = NULL;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        struct lockfile *a = NULL;
        struct lockfile *b = NULL;
        const char *cerr = NULL;
        bool cbusy = false;
        _exit(lockfile_acquire(f->lock, 600, 0, &a, &cbusy, &cerr) == 0
              && lockfile_acquire(creator, 15, 0, &b, &cbusy, &cerr) == 0 ? 0 : 1);
    }
    assert_int_equal(wait_status(pid), 0);
    /* a claimant file the dead process left while taking the creator lock */
    stray = xasprintf("%s/creator.%s.%ld.7", f->locks, f->host, (long)pid);
    harness_write_text(stray, stray);
    assert_int_equal(harness_count_entries(f->locks), 5);
    lockfile_clear_dead(f->locks);
    assert_int_equal(harness_count_entries(f->locks), 0);

    /* the creator lock of a live process of this host (our parent) stays */
    live = xasprintf("%s.%s.%ld.0", creator, f->host, (long)getppid());
    harness_write_text(live, live);
    set_mtime(live, 60);
    assert_int_equal(link(live, creator), 0);
    lockfile_clear_dead(f->locks);
    assert_true(harness_exists(creator));
    assert_true(harness_exists(live));
    assert_int_equal(unlink(creator), 0);
    assert_int_equal(unlink(live), 0);

    /* the dead pid's claim from another host stays too */
    far = xasprintf("%s.not-%s.%ld.0", creator, f->host, (long)pid);
    harness_write_text(far, far);
    set_mtime(far, 60);
    assert_int_equal(link(far, creator), 0);
    lockfile_clear_dead(f->locks);
    assert_true(harness_exists(creator));
    assert_true(harness_exists(far));

    free(creator);
    free(stray);
    free(live);
    free(far);
}

/* main - run the tests */
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_python_holds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_python_waits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expired, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_pid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_held_refresh, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clear_dead, setup, teardown),
    };

    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
