/* source_threads.c - this process's worker threads as a source of the
 * control loop. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "core/engine.h"
#include "core/source_threads.h"

static throng__threads_source_t *of(throng__source_t *s)
{
    return (throng__threads_source_t *)s;
}

static int threads_fd(throng__source_t *s)
{
    return of(s)->pipe[0];
}

/* Counts the workers whose loop has ended; when all have, the source has,
 * for the reason their endings make together. */
static void threads_pump(throng__source_t *s)
{
    throng__threads_source_t *t = of(s);
    throng_engine_t *e = t->engine;
    char buf[64];
    ssize_t n;
    while ((n = read(t->pipe[0], buf, sizeof buf)) > 0)
        for (ssize_t i = 0; i < n; i++)
            t->done += buf[i] == 'f';
    if (t->done < e->nworkers) return;
    /* Each worker set its ending before it wrote its 'f', read above. */
    throng_ending_t endings[e->nworkers ? e->nworkers : 1];
    for (unsigned i = 0; i < e->nworkers; i++)
        endings[i] = e->workers[i]->ending;
    s->ending = throng__control_own_ending(endings, e->nworkers);
    s->ended = 1;
}

static void threads_counts(throng__source_t *s, throng__counts_t *sum)
{
    throng_engine_t *e = of(s)->engine;
    throng__counts_t one;
    for (unsigned i = 0; i < e->nworkers; i++) {
        throng__worker_snapshot(e->workers[i], &one);
        throng__counts_add(sum, &one);
    }
}

static void threads_latest(throng__source_t *s, throng__stats_t *groups)
{
    throng_engine_t *e = of(s)->engine;
    for (unsigned i = 0; i < e->nworkers; i++)
        throng__worker_merge_published(e->workers[i], &groups[e->workers[i]->group]);
}

static void threads_seconds(throng__source_t *s, throng__series_t *series)
{
    throng_engine_t *e = of(s)->engine;
    for (unsigned i = 0; i < e->nworkers; i++)
        throng__worker_take_seconds(e->workers[i], series);
}

static void threads_stop(throng__source_t *s, throng_ending_t reason)
{
    throng_engine_t *e = of(s)->engine;
    for (unsigned i = 0; i < e->nworkers; i++)
        throng__worker_request_stop(e->workers[i], reason);
}

/* Joins the workers (whose loops have ended), merges each one's stats
 * into its group's, keeps the latest reply, and frees them. */
static int threads_finish(throng__source_t *s, throng__stats_t *const *gstats, char *err)
{
    throng_engine_t *e = of(s)->engine;
    for (unsigned i = 0; i < e->nworkers; i++) {
        throng__worker_t *w = e->workers[i];
        throng__worker_join(w);
        throng__stats_merge(gstats[w->group], &w->stats);
        if (w->last_at && w->last_at >= e->last_at) {
            e->last_reply.len = 0;
            throng__buf_append(&e->last_reply, w->last_reply.data ? w->last_reply.data : "",
                               w->last_reply.len);
            e->last_status = w->last_status;
            e->last_at = w->last_at;
        }
    }
    if (throng__engine_destroy_workers(e) != 0)
        return throng__fail(err, THRONG_ESYS, "a worker's event loop kept a handle open");
    return 0;
}

static const throng__source_ops_t threads_ops = {
    threads_fd,      threads_pump, threads_counts, threads_latest,
    threads_seconds, threads_stop, NULL,           threads_finish,
};

int throng__threads_source_open(throng__threads_source_t *s, throng_engine_t *e, char *err)
{
    memset(s, 0, sizeof *s);
    s->base.ops = &threads_ops;
    s->base.lag = 0.5; /* a worker hands a second over within a tick (250 ms) of its end */
    s->base.ending = THRONG_END_NONE;
    s->engine = e;
    if (pipe2(s->pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        s->pipe[0] = s->pipe[1] = -1;
        return throng__fail(err, THRONG_ESYS, "cannot create a pipe: %s", strerror(errno));
    }
    return 0;
}

void throng__threads_source_close(throng__threads_source_t *s)
{
    if (s->pipe[0] >= 0) close(s->pipe[0]);
    if (s->pipe[1] >= 0) close(s->pipe[1]);
    s->pipe[0] = s->pipe[1] = -1;
}
