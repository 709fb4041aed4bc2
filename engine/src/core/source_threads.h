/* source_threads.h - the worker threads of this process as one source of
 * the control loop (control.h): each thread's loop writes one byte to the
 * source's pipe when it has ended; the source ends when all have. */
#ifndef THRONG_SOURCE_THREADS_H
#define THRONG_SOURCE_THREADS_H

#include "core/control.h"
#include "throng.h"

typedef struct throng__threads_source {
    throng__source_t base;
    throng_engine_t *engine; /* its workers: e->workers[0..nworkers) */
    int pipe[2];             /* each worker writes one 'f' to pipe[1] when its loop has ended */
    unsigned done;           /* the 'f's read */
} throng__threads_source_t;

/* Opens the source of e's worker threads (its pipe: give each worker
 * pipe[1] as its notify_fd). 0, or a THRONG_E* code with the reason in err. */
int throng__threads_source_open(throng__threads_source_t *s, throng_engine_t *e, char *err);

/* Closes its pipe (once its workers are joined, or were never started). */
void throng__threads_source_close(throng__threads_source_t *s);

#endif
