/* proc.h - worker processes: the engine forks them, each runs its share of
 * one group's clients on its own threads (the same control loop as any run,
 * its parent the authority for stops and time) and sends its statistics to
 * the parent once a second over a pipe. To the parent's control loop each
 * is a source (control.h): it reads their frames, stops them, kills one
 * that outlasts the grace, and notices one that is lost. */
#ifndef THRONG_PROC_H
#define THRONG_PROC_H

#include <sys/types.h>

#include "core/control.h"
#include "core/frame.h"
#include "util/buf.h"
#include "stats/series.h"
#include "stats/stats.h"
#include "throng.h"

typedef struct throng__proc {
    throng__source_t base; /* the control loop's view: first, so a source is a proc */
    throng_engine_t *engine;
    unsigned group; /* it runs share `part` of group's clients */
    unsigned part;
    pid_t pid;
    int ctl_fd;              /* parent -> child: a stop request; closing it also stops the child */
    int stats_fd;            /* child -> parent: frames; end of file when it ends */
    throng__frames_t frames; /* what it sent */
    int exited;              /* reaped */
    int killed;              /* sent SIGKILL after the grace of a stop */
} throng__proc_t;

/* Forks e->forks worker processes: for each group with procs > 1, one per
 * share of its clients. Each runs its share and never returns here.
 * Returns 0 or a THRONG_E* code (the engine's message says why); on
 * failure no process is left. */
int throng__proc_spawn(throng_engine_t *e);

/* Worker process i as a source of the parent's control loop. */
throng__source_t *throng__proc_source(throng_engine_t *e, unsigned i);

/* Kills what is still running and frees what the parent kept of its
 * processes. */
void throng__proc_free(throng_engine_t *e);

#endif
