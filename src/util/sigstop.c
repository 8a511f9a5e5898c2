/*
 * sigstop - a stop request from SIGINT/SIGTERM/SIGHUP, asked for at safe points
 */
#include <signal.h>
#include <stddef.h>
#include <string.h>

#include "mmfix/sigstop.h"

static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
    if (caught == 0) {
        caught = sig;
    }
}

/* sigstop_install - catch the three stop signals */
void sigstop_install(void)
{
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
    struct sigaction sa;
    size_t i;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        sigaddset(&sa.sa_mask, sigs[i]);
    }
    for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        sigaction(sigs[i], &sa, NULL);
    }
}

/* sigstop_restore - default actions again; a caught signal is raised */
void sigstop_restore(void)
{
    int sig = (int)caught;

    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    if (sig != 0) {
        caught = 0;
        raise(sig);
    }
}

/* sigstop_pending - the first signal caught */
int sigstop_pending(void)
{
    return (int)caught;
}

/* sigstop_exit_code - 128 + signal */
int sigstop_exit_code(void)
{
    return caught != 0 ? 128 + (int)caught : 0;
}

/* sigstop_name - the caught signal's name */
const char *sigstop_name(void)
{
    switch ((int)caught) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    default: return "signal";
    }
}

/* sigstop_reset - forget it */
void sigstop_reset(void)
{
    caught = 0;
}
