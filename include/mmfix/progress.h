#ifndef MMFIX_PROGRESS_H
#define MMFIX_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A progress bar on stderr, only when stderr is a terminal and the work
 * has already taken more than a second; never with --quiet. It erases
 * itself when done so reports on stdout stay clean.
 */
struct progress {
    const char *label;
    size_t total;
    bool enabled;
    bool shown;
    double start;
    double last;
};

void progress_start(struct progress *p, const char *label, size_t total, bool allowed);
void progress_update(struct progress *p, size_t done);
void progress_done(struct progress *p);

#endif
