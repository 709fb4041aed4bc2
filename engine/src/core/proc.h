/* proc.h - worker processes: the engine forks them, each runs its share of
 * every group's clients on its own threads and sends its statistics to the
 * parent once a second over a pipe; the parent merges them, notices a
 * process that dies, and stops them all. */
#ifndef THRONG_PROC_H
#define THRONG_PROC_H

#include <sys/types.h>

#include "util/buf.h"
#include "stats/stats.h"
#include "throng.h"

typedef struct throng__proc {
    pid_t pid;
    int ctl_fd;             /* parent -> child: a stop request; closing it also stops the child */
    int stats_fd;           /* child -> parent: statistics frames; end of file when it ends */
    throng__buf_t in;       /* bytes read and not yet parsed */
    throng__stats_t *last;  /* the latest statistics received */
    throng_ending_t ending; /* from the child's final frame */
    int finished;           /* the final frame arrived */
    int exited;             /* reaped */
    int lost;               /* ended without its final frame: crashed or killed */
} throng__proc_t;

/* A worker process's line to its parent (NULL in a run without processes). */
typedef struct throng__link {
    unsigned index;
    int ctl_fd;
    int stats_fd;
} throng__link_t;

/* Forks config.processes worker processes; each runs its share and never
 * returns here. Returns 0 or a THRONG_E* code (the engine's message says
 * why); on failure no process is left. */
int throng__proc_spawn(throng_engine_t *e);

/* The parent's control loop: waits for every worker process, forwarding
 * stops, merging statistics into e->total and reporting losses. Returns
 * why the run ended. */
throng_ending_t throng__proc_control(throng_engine_t *e);

/* In a worker process: sends the statistics of each of the ngroups groups
 * (kind 'S' each second, 'F' at the end with the process's ending). */
void throng__proc_send(const throng__link_t *link, char kind, throng_ending_t ending,
                       const throng__stats_t *stats, unsigned ngroups);

/* In a worker process: sends the workers' finished seconds. */
void throng__proc_send_seconds(throng_engine_t *e, const throng__link_t *link);

/* Frees what the parent kept of its processes (after throng__proc_control). */
void throng__proc_free(throng_engine_t *e);

#endif
