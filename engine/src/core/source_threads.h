/* source_threads.h - the worker threads of this process as one source of
 * the control loop (control.h): each thread's loop writes one byte to the
 * source's pipe when it has ended; the source ends when all have.
 *
 * It also watches the workers' calls into Lua (lua/watch.h): a hook that
 * runs longer than the hook timeout is interrupted (its client faults with
 * a script error naming file and line), and so is one still running a
 * second after the run was asked to end. A hook that an interrupt cannot
 * reach (stuck in C code) leaves its thread abandoned when the run ends:
 * the run ends on time with that worker's figures as last published (at
 * most a tick old), and the thread parks for good, its memory never
 * freed (a worker process exits, which ends it). */
#ifndef THRONG_SOURCE_THREADS_H
#define THRONG_SOURCE_THREADS_H

#include "core/control.h"
#include "throng.h"

/* The watcher's view of one worker's calls into Lua. */
typedef struct throng__hook_watch {
    uint64_t seen;      /* the calls counter last sampled (odd: in a call) */
    double since;       /* when that call was first seen, run seconds */
    double interrupted; /* when it was interrupted; < 0: not yet */
    int hopeless;       /* interrupted, and it did not return: it is stuck in C */
    int abandoned;      /* given up (throng__worker_abandon) */
} throng__hook_watch_t;

typedef struct throng__threads_source {
    throng__source_t base;
    throng_engine_t *engine; /* its workers: e->workers[0..nworkers) */
    int pipe[2];             /* each worker writes one 'f' to pipe[1] when its loop has ended */
    unsigned done;           /* the 'f's read */
    int stopped;             /* asked to stop, for stop_reason */
    throng_ending_t stop_reason;
    double hook_timeout;                      /* seconds a hook may run (0: not watched) */
    throng__hook_watch_t *watch;              /* one per worker, made at the first watch */
    unsigned abandoned;                       /* workers given up, stuck in a hook */
    char abandoned_sample[THRONG_SAMPLE_LEN]; /* what happened to the first */
} throng__threads_source_t;

/* Opens the source of e's worker threads (its pipe: give each worker
 * pipe[1] as its notify_fd). 0, or a THRONG_E* code with the reason in err. */
int throng__threads_source_open(throng__threads_source_t *s, throng_engine_t *e, char *err);

/* Closes its pipe (once its workers are joined, or were never started). */
void throng__threads_source_close(throng__threads_source_t *s);

#endif
