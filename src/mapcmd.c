/*
 * mapcmd - run Postfix's map programs without a shell (mapcmd.h)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmfix/errstr.h"
#include "mmfix/mapcmd.h"
#include "mmfix/testfault.h"
#include "mmfix/xalloc.h"

#define MAPCMD_OUTPUT_MAX (64 * 1024)

/* mapcmd_parse - words of a command setting */
int mapcmd_parse(const char *command, struct mapcmd *cmd, const char **error_r)
{
    static const char shell_only[] = "\"'\\`$;|&<>(){}*?[]~#!\n";
    const char *p = command;
    size_t cap = 4;

    cmd->argc = 0;
    cmd->argv = xcalloc(cap, sizeof(char *));
    for (p = command; *p != '\0'; p++) {
        if (strchr(shell_only, *p) != NULL) {
            *error_r = errstr("'%s': the command holds '%c', which only a shell would "
                              "interpret; mmfix runs no shell: give the program and its "
                              "arguments plainly", command, *p);
            mapcmd_free(cmd);
            return -1;
        }
    }
    p = command;
    for (;;) {
        size_t n;
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        if (*p == '\0') {
            break;
        }
        n = strcspn(p, " \t");
        if (cmd->argc + 2 > cap) {
            cap *= 2;
            cmd->argv = xreallocarray(cmd->argv, cap, sizeof(char *));
        }
        cmd->argv[cmd->argc++] = xstrndup(p, n);
        cmd->argv[cmd->argc] = NULL;
        p += n;
    }
    if (cmd->argc == 0) {
        *error_r = errstr("the command is empty");
        mapcmd_free(cmd);
        return -1;
    }
    return 0;
}

/* mapcmd_free - free the words */
void mapcmd_free(struct mapcmd *cmd)
{
    size_t i;

    if (cmd->argv != NULL) {
        for (i = 0; i < cmd->argc; i++) {
            free(cmd->argv[i]);
        }
    }
    free(cmd->argv);
    cmd->argv = NULL;
    cmd->argc = 0;
}

/* mapcmd_is - the program's file name is name */
bool mapcmd_is(const struct mapcmd *cmd, const char *name)
{
    const char *base = NULL;

    if (cmd->argc == 0) {
        return false;
    }
    base = strrchr(cmd->argv[0], '/');
    base = base != NULL ? base + 1 : cmd->argv[0];
    return strcmp(base, name) == 0;
}

/* mapcmd_text - argv as one line */
char *mapcmd_text(char *const *argv)
{
    struct strbuf sb = STRBUF_INIT;
    size_t i;

    for (i = 0; argv[i] != NULL; i++) {
        if (i > 0) {
            strbuf_addc(&sb, ' ');
        }
        strbuf_adds(&sb, argv[i]);
    }
    return strbuf_detach(&sb, NULL);
}

/* child - stdin in_fd (or /dev/null when it is -1), stdout out_fd, stderr err_fd, then exec */
static void child(char *const *argv, int in_fd, int out_fd, int err_fd)
{
    int fd = in_fd >= 0 ? in_fd : open("/dev/null", O_RDONLY);

    if (fd < 0 || dup2(fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) {
        _exit(127);
    }
    if (fd > 2) {
        close(fd);
    }
    if (out_fd > 2) {
        close(out_fd);
    }
    if (err_fd > 2 && err_fd != out_fd) {
        close(err_fd);
    }
    signal(SIGPIPE, SIG_DFL);
    execvp(argv[0], argv);
    _exit(127);
}

/* input_file - an unlinked temp file holding input, positioned at its start */
static FILE *input_file(const char *input, size_t len, const char *prog, const char **error_r)
{
    FILE *f = tmpfile();

    if (f == NULL) {
        *error_r = errstr("%s: cannot make a temp file for its input: %s", prog, strerror(errno));
        return NULL;
    }
    if ((len > 0 && fwrite(input, 1, len, f) != len) || fflush(f) != 0
        || lseek(fileno(f), 0, SEEK_SET) != 0) {
        *error_r = errstr("%s: cannot write its input to a temp file: %s", prog,
                          strerror(errno));
        fclose(f);
        return NULL;
    }
    return f;
}

/* mapcmd_run - fork/execvp, collect the output, wait */
int mapcmd_run(char *const *argv, int *status_r, struct strbuf *output, const char **error_r)
{
    return mapcmd_run_input(argv, NULL, 0, MAPCMD_OUTPUT_MAX, status_r, output, error_r);
}

/* run - fork/execvp with input on stdin, stdout to out_fd (-1: the pipe), stderr to the
 * pipe; collect the pipe (up to output_max), wait */
static int run(char *const *argv, const char *input, size_t input_len, int out_fd,
               size_t output_max, int *status_r, struct strbuf *output, const char **error_r)
{
    FILE *in = NULL;
    int fds[2];
    pid_t pid;
    int st = 0;
    char buf[4096];

    if (input != NULL && (in = input_file(input, input_len, argv[0], error_r)) == NULL) {
        return -1;
    }
    if (testfault_hit("pipe", EMFILE) || pipe(fds) != 0) {
        *error_r = errstr("%s: cannot make a pipe: %s", argv[0], strerror(errno));
        if (in != NULL) {
            fclose(in);
        }
        return -1;
    }
    pid = testfault_hit("fork", EAGAIN) ? -1 : fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        if (in != NULL) {
            fclose(in);
        }
        *error_r = errstr("%s: cannot start it: %s", argv[0], strerror(e));
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        child(argv, in != NULL ? fileno(in) : -1, out_fd >= 0 ? out_fd : fds[1], fds[1]);
    }
    close(fds[1]);
    if (in != NULL) {
        fclose(in);
    }
    for (;;) {
        ssize_t r = read(fds[0], buf, sizeof(buf));
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            break;
        }
        if (output != NULL && output->len < output_max) {
            strbuf_add(output, buf, (size_t)r);
        }
    }
    close(fds[0]);
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            *error_r = errstr("%s: waitpid: %s", argv[0], strerror(errno));
            return -1;
        }
    }
    *status_r = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
    return 0;
}

/* mapcmd_run_input - mapcmd_run with input on stdin and an output limit */
int mapcmd_run_input(char *const *argv, const char *input, size_t input_len, size_t output_max,
                     int *status_r, struct strbuf *output, const char **error_r)
{
    return run(argv, input, input_len, -1, output_max, status_r, output, error_r);
}

/* mapcmd_run_to - mapcmd_run with stdout into out_fd */
int mapcmd_run_to(char *const *argv, int out_fd, int *status_r, struct strbuf *errors,
                  const char **error_r)
{
    return run(argv, NULL, 0, out_fd, MAPCMD_OUTPUT_MAX, status_r, errors, error_r);
}
