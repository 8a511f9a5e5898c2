/*
 * progress - a quiet progress bar for long scans
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "mmfix/progress.h"

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* progress_start - begin timing */
void progress_start(struct progress *p, const char *label, size_t total, bool allowed)
{
    p->label = label;
    p->total = total;
    p->enabled = allowed && isatty(STDERR_FILENO);
    p->shown = false;
    p->start = p->enabled ? now_s() : 0;
    p->last = 0;
}

/* progress_update - redraw at most ten times a second, after the first second */
void progress_update(struct progress *p, size_t done)
{
    double t;
    int width = 30;
    int fill;
    int i;

    if (!p->enabled) {
        return;
    }
    t = now_s();
    if (t - p->start < 1.0 || t - p->last < 0.1) {
        return;
    }
    p->last = t;
    p->shown = true;
    fill = p->total > 0 ? (int)((double)done / (double)p->total * width) : 0;
    fprintf(stderr, "\r%s [", p->label);
    for (i = 0; i < width; i++) {
        fputc(i < fill ? '#' : '.', stderr);
    }
    fprintf(stderr, "] %zu/%zu", done, p->total);
    fflush(stderr);
}

/* progress_done - erase the bar */
void progress_done(struct progress *p)
{
    if (p->enabled && p->shown) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
    }
    p->shown = false;
}
