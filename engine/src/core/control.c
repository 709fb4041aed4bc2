/* control.c - the one control loop of a run (see control.h). */
#include <assert.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "core/control.h"

void throng__control_init(throng__control_t *c)
{
    memset(c, 0, sizeof *c);
    c->tick = 1;
    c->grace = 10;
    c->wake_fd = -1;
    c->progress_interval = 1;
    c->ending = THRONG_END_NONE;
}

static double elapsed_of(const throng__control_t *c)
{
    return (double)(uv_hrtime() - c->started_ns) * 1e-9;
}

static void lock(throng__control_t *c)
{
    if (c->lock) pthread_mutex_lock(c->lock);
}

static void unlock(throng__control_t *c)
{
    if (c->lock) pthread_mutex_unlock(c->lock);
}

static void say(const throng__control_t *c, throng_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(const throng__control_t *c, throng_log_level_t level, const char *fmt, ...)
{
    if (!c->log || c->log_level < level) return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->log(level, 0, msg, c->log_data);
}

throng_ending_t throng__control_own_ending(const throng_ending_t *endings, unsigned n)
{
    int all_clients = n > 0, all_duration = n > 0, any_once = 0;
    for (unsigned i = 0; i < n; i++) {
        all_clients &= endings[i] == THRONG_END_CLIENTS;
        all_duration &= endings[i] == THRONG_END_DURATION; /* groups with their own duration */
        any_once |= endings[i] == THRONG_END_ONCE;
    }
    return all_clients    ? THRONG_END_CLIENTS
           : all_duration ? THRONG_END_DURATION
           : any_once     ? THRONG_END_ONCE
                          : THRONG_END_REQUESTS;
}

/* Why the run ended when every source ended on its own: what the sources
 * that were not lost say; when every one was lost, that. */
static throng_ending_t ending_of_sources(const throng__control_t *c)
{
    throng_ending_t endings[c->nsources ? c->nsources : 1];
    unsigned n = 0;
    unsigned idle = 0;
    for (unsigned i = 0; i < c->nsources; i++) {
        const throng__source_t *s = c->sources[i];
        idle += s->idle;
        if (!s->lost && (!s->idle || idle == c->nsources)) endings[n++] = s->ending;
    }
    if (n == 0 && c->nsources > idle) return THRONG_END_PROCESSES;
    return throng__control_own_ending(endings, n);
}

void throng__control_settle(throng__control_t *c, uint64_t before)
{
    lock(c);
    throng__series_settle(c->series, before);
    if (c->series->npoints) c->last_p99 = c->series->points[c->series->npoints - 1].p99;
    unlock(c);
}

/* Settles the seconds every running source has surely handed over: second
 * t (the run's [t-1, t)) once t + lag has passed for the slowest one. */
static void settle_complete(throng__control_t *c, double elapsed)
{
    double lag = 0;
    for (unsigned i = 0; i < c->nsources; i++)
        if (!c->sources[i]->finished && c->sources[i]->lag > lag) lag = c->sources[i]->lag;
    if (elapsed - lag >= 1) throng__control_settle(c, (uint64_t)floor(elapsed - lag) + 1);
}

void throng__control_latest(throng__control_t *c, throng__stats_t *groups)
{
    for (unsigned g = 0; g < c->ngroups; g++)
        throng__stats_merge(&groups[g], c->gstats[g]);
    for (unsigned i = 0; i < c->nsources; i++)
        if (!c->sources[i]->finished) c->sources[i]->ops->latest(c->sources[i], groups);
}

/* The progress line: the finished sources' final counts and the running
 * ones' latest. */
static void progress(throng__control_t *c, double elapsed)
{
    throng__counts_t sum;
    memset(&sum, 0, sizeof sum);
    lock(c);
    for (unsigned g = 0; g < c->ngroups; g++)
        throng__counts_add(&sum, &c->gstats[g]->n);
    for (unsigned i = 0; i < c->nsources; i++)
        if (!c->sources[i]->finished) c->sources[i]->ops->counts(c->sources[i], &sum);
    unlock(c);
    throng_progress_t p = {0};
    p.elapsed = elapsed;
    p.requests = sum.requests;
    p.failures = throng__counts_failures(&sum);
    p.clients_active = sum.clients_active;
    p.clients_faulted = sum.clients_faulted;
    p.clients_finished = sum.clients_finished;
    p.p99 = c->last_p99;
    double dt = elapsed - c->last_progress_at;
    p.rate = dt > 0 ? (double)(sum.requests - c->last_requests) / dt : 0;
    c->last_requests = sum.requests;
    c->last_progress_at = elapsed;
    c->progress(&p, c->progress_data);
}

/* Every tick: the sources' finished seconds; then either the uplink hears
 * of them, or the complete ones are settled here. */
static void tick(throng__control_t *c, double elapsed)
{
    lock(c);
    for (unsigned i = 0; i < c->nsources; i++)
        if (!c->sources[i]->finished) c->sources[i]->ops->seconds(c->sources[i], c->series);
    unlock(c);
    if (c->uplink)
        c->uplink->tick(c->uplink, c);
    else
        settle_complete(c, elapsed);
}

/* A source that has ended: its last seconds and its final statistics go
 * to the run, exactly once; a loss is counted and told. */
static void finish_source(throng__control_t *c, throng__source_t *s)
{
    assert(s->ended && !s->finished);
    char err[sizeof c->errmsg] = "";
    lock(c);
    s->ops->seconds(s, c->series);
    int rc = s->ops->finish(s, c->gstats, err);
    s->finished = 1;
    unlock(c);
    if (rc && !c->rc) {
        c->rc = rc;
        snprintf(c->errmsg, sizeof c->errmsg, "%s", err);
    }
    if (s->lost) {
        c->lost++;
        if (!c->lost_sample[0]) snprintf(c->lost_sample, sizeof c->lost_sample, "%s", s->why);
        say(c, THRONG_LOG_ERROR, "%s", s->why);
    }
}

/* Ends the run for reason: every source still running is asked to stop. */
static void stop_all(throng__control_t *c, throng_ending_t reason, double elapsed)
{
    c->ending = reason;
    c->stopped_at = elapsed;
    for (unsigned i = 0; i < c->nsources; i++)
        if (!c->sources[i]->ended) c->sources[i]->ops->stop(c->sources[i], reason);
}

/* Decides whether the run ends now: the uplink, a stop asked for, or the
 * duration, in that order. */
static void decide(throng__control_t *c, double elapsed)
{
    throng_ending_t asked;
    if (c->uplink && c->uplink->heard(c->uplink, &asked)) {
        say(c, THRONG_LOG_DEBUG, "stopping: the parent asked after %.2fs", elapsed);
        stop_all(c, asked, elapsed);
    } else if (c->stop_requested && atomic_load(c->stop_requested)) {
        int how = atomic_load(c->stop_requested);
        say(c, THRONG_LOG_INFO, "stopping: asked to %s after %.2fs",
            how == THRONG__STOP_FINISH ? "finish" : "stop", elapsed);
        stop_all(c, how == THRONG__STOP_FINISH ? THRONG_END_FINISHED : THRONG_END_STOPPED, elapsed);
    } else if (c->duration > 0 && elapsed >= c->duration) {
        say(c, THRONG_LOG_INFO, "stopping: the duration (%gs) is reached", c->duration);
        stop_all(c, THRONG_END_DURATION, elapsed);
    }
}

/* After the grace of a stop, the sources that can be killed and have not
 * ended are. */
static void kill_late(throng__control_t *c)
{
    for (unsigned i = 0; i < c->nsources; i++) {
        throng__source_t *s = c->sources[i];
        if (s->ended || !s->ops->kill) continue;
        s->ops->kill(s);
    }
}

/* Milliseconds until the next thing the loop must do (at most a second). */
static int next_wakeup(const throng__control_t *c, double elapsed, double next_tick)
{
    double until = next_tick - elapsed;
    if (until > 1) until = 1;
    if (c->watch_every > 0 && c->watch_every < until) until = c->watch_every;
    if (c->progress && !c->uplink && c->next_progress - elapsed < until)
        until = c->next_progress - elapsed;
    if (c->ending == THRONG_END_NONE && c->duration > 0 && c->duration - elapsed < until)
        until = c->duration - elapsed;
    double grace_left = c->stopped_at + c->grace - elapsed; /* past it: nothing more to do */
    if (c->ending != THRONG_END_NONE && grace_left > 0 && grace_left < until) until = grace_left;
    if (until < 0) until = 0;
    return (int)(until * 1000) + 1;
}

/* Sleeps until a source, the uplink or a stop request has news, or
 * timeout ms have passed. */
static void wait_news(throng__control_t *c, int timeout)
{
    struct pollfd pfd[c->nsources + 2];
    nfds_t n = 0;
    if (c->wake_fd >= 0) pfd[n++] = (struct pollfd){c->wake_fd, POLLIN, 0};
    if (c->uplink && c->ending == THRONG_END_NONE)
        pfd[n++] = (struct pollfd){c->uplink->fd, POLLIN, 0};
    for (unsigned i = 0; i < c->nsources; i++) {
        throng__source_t *s = c->sources[i];
        int fd = s->ended ? -1 : s->ops->fd(s);
        if (fd >= 0) pfd[n++] = (struct pollfd){fd, POLLIN, 0};
    }
    if (poll(pfd, n, timeout) > 0 && c->wake_fd >= 0 && (pfd[0].revents & POLLIN)) {
        char buf[64]; /* wake-ups left over wake the next poll, which is harmless */
        ssize_t got = read(c->wake_fd, buf, sizeof buf);
        (void)got;
    }
}

throng_ending_t throng__control_run(throng__control_t *c)
{
    double next_tick = c->tick > 0 ? c->tick : 1;
    double interval = c->progress_interval > 0 ? c->progress_interval : 1;
    c->next_progress = interval;
    for (;;) {
        unsigned running = 0;
        for (unsigned i = 0; i < c->nsources; i++) {
            throng__source_t *s = c->sources[i];
            if (s->finished) continue;
            if (!s->ended) {
                if (s->ops->watch)
                    s->ops->watch(s, elapsed_of(c),
                                  c->ending != THRONG_END_NONE ? c->stopped_at : -1);
                lock(c);
                s->ops->pump(s);
                unlock(c);
            }
            if (s->ended)
                finish_source(c, s);
            else
                running++;
        }
        if (running == 0) break;
        double elapsed = elapsed_of(c);
        if (c->ending == THRONG_END_NONE) {
            decide(c, elapsed);
            if (c->ending != THRONG_END_NONE) continue; /* a source may end at once */
        } else if (elapsed - c->stopped_at >= c->grace) {
            kill_late(c);
        }
        if (elapsed >= next_tick) {
            tick(c, elapsed);
            while (next_tick <= elapsed)
                next_tick += c->tick > 0 ? c->tick : 1;
        }
        if (c->progress && !c->uplink && elapsed >= c->next_progress) {
            progress(c, elapsed);
            while (c->next_progress <= elapsed)
                c->next_progress += interval;
        }
        wait_news(c, next_wakeup(c, elapsed, next_tick));
    }
    if (c->ending == THRONG_END_NONE) c->ending = ending_of_sources(c);
    return c->ending;
}
