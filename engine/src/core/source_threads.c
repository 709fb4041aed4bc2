/* source_threads.c - this process's worker threads as a source of the
 * control loop. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
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
    if (t->done + t->abandoned < e->nworkers) return;
    /* A shard with no client of any group (shard.c) waits out the run's
     * duration, as its peers do, and ends with it. */
    if (e->nworkers == 0 && e->cfg.duration > 0) return;
    /* Each worker set its ending before it wrote its 'f', read above. */
    throng_ending_t endings[e->nworkers ? e->nworkers : 1];
    unsigned n_ended = 0;
    for (unsigned i = 0; i < e->nworkers; i++)
        if (atomic_load(&e->workers[i]->fate) == THRONG__WORKER_ENDED)
            endings[n_ended++] = e->workers[i]->ending;
    s->ending = throng__control_own_ending(endings, n_ended);
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

/* ------------------------------------------------------ the hook watch */

/* Every abandoned worker of the process, never freed: its thread may
 * still be in it. Kept reachable, so that leak checkers see no leak. */
static throng__worker_t **abandoned_workers;
static size_t n_abandoned_workers;
static pthread_mutex_t abandoned_lock = PTHREAD_MUTEX_INITIALIZER;

static void keep_abandoned(throng__worker_t *w)
{
    pthread_mutex_lock(&abandoned_lock);
    throng__worker_t **more =
        realloc(abandoned_workers, (n_abandoned_workers + 1) * sizeof *abandoned_workers);
    if (more) {
        abandoned_workers = more;
        abandoned_workers[n_abandoned_workers++] = w;
    }
    pthread_mutex_unlock(&abandoned_lock);
}

/* A hook still running this long after the run was asked to end is
 * interrupted; an interrupted one still running this long after is
 * stuck where no interrupt reaches (an interrupt takes effect at the next
 * Lua instruction: microseconds). */
#define AFTER_STOP 1.0
#define AFTER_INTERRUPT 0.5

static void watch_worker(throng__threads_source_t *t, unsigned i, double elapsed, double stopped_at)
{
    throng_engine_t *e = t->engine;
    throng__worker_t *w = e->workers[i];
    throng__hook_watch_t *hw = &t->watch[i];
    if (hw->abandoned || atomic_load(&w->fate) != THRONG__WORKER_RUNNING) return;
    throng__lua_watch_t *lw = throng__worker_watch(w);
    uint64_t now = throng__lua_watch_sample(lw);
    if (!(now & 1) || now != hw->seen) { /* out of Lua, or in another call */
        *hw = (throng__hook_watch_t){now, elapsed, -1, 0, 0};
        return;
    }
    const char *who = e->groups[w->group].label;
    if (hw->interrupted < 0) {
        double ran = elapsed - hw->since;
        if (stopped_at < 0 && t->hook_timeout > 0 && ran >= t->hook_timeout) {
            throng__engine_log(e, THRONG_LOG_WARN,
                               "%s: a hook of %s has run for %.1fs, longer than the hook "
                               "timeout (%gs): interrupting it",
                               who, w->persona.label, ran, t->hook_timeout);
            throng__lua_watch_interrupt(lw, now, THRONG__WATCH_TIMEOUT, t->hook_timeout);
            hw->interrupted = elapsed;
        } else if (stopped_at >= 0 && elapsed - stopped_at >= AFTER_STOP) {
            /* Even one begun after the stop: the worker should have ended by now. */
            throng__engine_log(e, THRONG_LOG_WARN,
                               "%s: a hook of %s still runs %gs after the run was asked to end: "
                               "interrupting it",
                               who, w->persona.label, AFTER_STOP);
            throng__lua_watch_interrupt(lw, now, THRONG__WATCH_ENDING, AFTER_STOP);
            hw->interrupted = elapsed;
        }
        return;
    }
    if (!hw->hopeless && elapsed - hw->interrupted >= AFTER_INTERRUPT) {
        hw->hopeless = 1;
        throng__engine_log(e, THRONG_LOG_ERROR,
                           "%s: a hook of %s does not return: it is stuck outside Lua (in a C "
                           "function), where no interrupt reaches; its thread will be left "
                           "behind when the run ends",
                           who, w->persona.label);
    }
    if (hw->hopeless && stopped_at >= 0 && throng__worker_abandon(w)) {
        hw->abandoned = 1;
        t->abandoned++;
        if (!t->abandoned_sample[0])
            snprintf(t->abandoned_sample, sizeof t->abandoned_sample,
                     "%.40s: a worker thread stuck in a hook of %.60s for %.0fs was left "
                     "behind; its figures end at its last report",
                     who, w->persona.label, elapsed - hw->since);
        throng__engine_log(e, THRONG_LOG_ERROR, "%s", t->abandoned_sample);
    }
}

static void threads_watch(throng__source_t *s, double elapsed, double stopped_at)
{
    throng__threads_source_t *t = of(s);
    throng_engine_t *e = t->engine;
    if (e->nworkers == 0) return; /* without a hook timeout, still at the end of the run */
    if (!t->watch) {
        t->watch = calloc(e->nworkers, sizeof *t->watch);
        if (!t->watch) return; /* unwatched: no worse than without a timeout */
    }
    for (unsigned i = 0; i < e->nworkers; i++)
        watch_worker(t, i, elapsed, stopped_at);
}

/* Joins the workers (whose loops have ended), merges each one's stats
 * into its group's, keeps the latest reply, and frees them. An abandoned
 * worker gives its last published stats and is kept, never freed. */
static int threads_finish(throng__source_t *s, throng__stats_t *const *gstats, char *err)
{
    throng_engine_t *e = of(s)->engine;
    for (unsigned i = 0; i < e->nworkers; i++) {
        throng__worker_t *w = e->workers[i];
        if (atomic_load(&w->fate) == THRONG__WORKER_ABANDONED) {
            throng__worker_merge_published(w, gstats[w->group]);
            keep_abandoned(w);
            e->workers[i] = NULL;
            continue;
        }
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
    threads_fd,   threads_pump, threads_counts, threads_latest, threads_seconds,
    threads_stop, NULL,         threads_finish, threads_watch,
};

int throng__threads_source_open(throng__threads_source_t *s, throng_engine_t *e, char *err)
{
    memset(s, 0, sizeof *s);
    s->base.ops = &threads_ops;
    s->base.lag = 0.5; /* a worker hands a second over within a tick (250 ms) of its end */
    s->base.ending = THRONG_END_NONE;
    s->engine = e;
    s->hook_timeout = e->cfg.hook_timeout;
    if (pipe2(s->pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        s->pipe[0] = s->pipe[1] = -1;
        return throng__fail(err, THRONG_ESYS, "cannot create a pipe: %s", strerror(errno));
    }
    return 0;
}

void throng__threads_source_close(throng__threads_source_t *s)
{
    free(s->watch);
    s->watch = NULL;
    if (s->pipe[0] >= 0) close(s->pipe[0]);
    if (s->pipe[1] >= 0) close(s->pipe[1]);
    s->pipe[0] = s->pipe[1] = -1;
}
