#ifndef MMFIX_SIGSTOP_H
#define MMFIX_SIGSTOP_H

/*
 * sigstop - SIGINT, SIGTERM and SIGHUP turned into a request to stop at the
 * next safe point. A writing command installs it before it takes any list
 * lock; from then on a signal only records itself, and the code that holds
 * locks asks sigstop_pending() between steps, rolls back or finishes, and
 * releases every lock before it exits. Further signals change nothing (the
 * first one is kept), so a second Ctrl-C cannot leave a worse state.
 * Reading commands do not install it: Ctrl-C ends them at once.
 */

/* sigstop_install - catch SIGINT, SIGTERM, SIGHUP (SA_RESTART off, so a
 * wait for a lock wakes up); idempotent */
void sigstop_install(void);
/* sigstop_restore - back to the default action for the three signals; one caught meanwhile is
 * raised again now (so a read command stops as it would have) */
void sigstop_restore(void);
/* sigstop_pending - the first signal caught, 0 if none */
int sigstop_pending(void);
/* sigstop_exit_code - 128 + the signal caught (130 SIGINT, 143 SIGTERM, 129 SIGHUP) */
int sigstop_exit_code(void);
/* sigstop_name - "SIGINT", "SIGTERM", "SIGHUP" or "signal" */
const char *sigstop_name(void);
/* sigstop_reset - forget a caught signal (tests) */
void sigstop_reset(void);

#endif
