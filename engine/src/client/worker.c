/* worker.c - one worker thread: its loop, its Lua state, its clients, and
 * the orderly end of all three. */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/session.h"
#include "client/worker.h"
#include "lua/lua_data.h"
#include "util/error.h"
#include "util/rng.h"

#define TICK_MS 250 /* how often the progress snapshot is refreshed */

static void lua_log(void *data, int level, uint64_t client, const char *msg);

/* throng.check's count, in the thread's own stats. */
static void count_check(void *data, const char *name, size_t len, int passed)
{
    throng__stats_check(data, name, len, passed);
}
static void on_client(throng__host_t *h, throng__client_event_t ev,
                      const throng__http_response_t *answer);
static void ledger_clock(void *data);
static void on_idle(throng__host_t *h, unsigned index);

/* Lends the clients what they share: the loop, the persona, the books. */
static void host_init(throng__worker_t *w)
{
    throng__host_t *h = &w->host;
    h->loop = &w->loop;
    h->set = w->set;
    h->persona = &w->persona;
    h->ledger.stats = &w->stats;
    h->ledger.clock = ledger_clock;
    h->ledger.clock_data = w;
    h->resolver = &w->resolver;
    h->log_level = w->set->log ? (int)w->set->log_level : -1;
    h->report = on_client;
    h->idle = on_idle;
    h->stop_reason = &w->stop_reason;
    throng__bufpool_init(&h->pool);
    throng__resolver_init(&w->resolver, &w->loop);
}

int throng__worker_init(throng__worker_t *w, const throng__worker_settings_t *set,
                        const throng__persona_spec_t *spec, const throng__persona_params_t *params,
                        unsigned nclients, uint64_t first_id, uint64_t seed, char *err)
{
    w->set = set;
    w->nclients = nclients;
    w->first_id = first_id;
    w->seed = seed;
    if (!w->place.procs || !w->place.threads) /* alone in its group */
        w->place = (throng__place_t){1, 0, 1, 0};
    if (w->cap < nclients) w->cap = nclients;
    w->notify_fd = -1;
    w->ending = THRONG_END_NONE;
    atomic_init(&w->stop_reason, THRONG_END_NONE);
    atomic_init(&w->fate, THRONG__WORKER_RUNNING);
    pthread_mutex_init(&w->lock, NULL);
    /* w->stats: empty, as w arrives zeroed */
    w->stats.expected_interval_ns = (uint64_t)(set->expected_interval * 1e9);
    host_init(w);
    int rc = uv_loop_init(&w->loop);
    if (rc < 0)
        return throng__fail(err, THRONG_ESYS, "cannot create an event loop: %s", uv_strerror(rc));
    throng__connects_init(&w->host.connects, &w->loop, set->max_connecting);
    uv_async_init(&w->loop, &w->wake, NULL);
    w->wake.data = w;
    uv_timer_init(&w->loop, &w->tick);
    w->tick.data = w;
    uv_timer_init(&w->loop, &w->group_timer);
    w->group_timer.data = w;
    uv_timer_init(&w->loop, &w->load_timer);
    w->load_timer.data = w;
    w->loop_ready = 1;

    if ((rc = throng__persona_open(&w->persona, spec, params, err)) != 0) return rc;
    throng__session_open(w->persona.L);
    throng__lua_data_place(w->persona.L, w->place.procs, w->place.proc, w->place.threads,
                           w->place.thread);
    w->persona.ctx->log = lua_log;
    w->persona.ctx->log_data = w;
    w->persona.ctx->log_level = w->host.log_level;
    w->persona.ctx->check = count_check;
    w->persona.ctx->check_data = &w->stats;
    /* The open model's pool may grow to cap: the array is made for it at
     * once (calloc'd pages no client touched cost no memory), so that a
     * client never moves. */
    w->clients = calloc(w->cap ? w->cap : 1, sizeof *w->clients);
    if (!w->clients)
        return throng__fail(err, THRONG_ENOMEM, "out of memory for %u clients", w->cap);
    if (set->open && !(w->free = calloc(w->cap, sizeof *w->free)))
        return throng__fail(err, THRONG_ENOMEM, "out of memory for %u clients", w->cap);
    throng__rng_seed(&w->rng, throng__mix64(seed ^ throng__mix64(~first_id)));
    for (unsigned i = 0; i < nclients; i++) {
        uint64_t id = first_id + i;
        rc = throng__client_init(&w->clients[i], &w->host, id,
                                 throng__mix64(seed ^ throng__mix64(id)), err);
        w->clients[i].index = i;
        w->ninit = i + 1; /* its handles exist, even when its persona's init failed */
        if (rc != 0) return rc;
    }
    return 0;
}

/* throng.log's lines, through the run's log callback. */
static void lua_log(void *data, int level, uint64_t client, const char *msg)
{
    throng__worker_t *w = data;
    if (w->set->log) w->set->log((throng_log_level_t)level, client, msg, w->set->log_data);
}

/* Counts for the progress line every tick; in a worker process, the whole
 * stats every fourth tick (a second), for the reports to the parent. Every
 * exchange begun is accounted for in what is published. */
static void publish(throng__worker_t *w, int whole)
{
    assert(throng__stats_balanced(&w->stats));
    pthread_mutex_lock(&w->lock);
    w->snapshot = w->stats.n;
    if (whole && w->published) throng__stats_copy(w->published, &w->stats);
    pthread_mutex_unlock(&w->lock);
}

static uint64_t active_clients(const throng__worker_t *w);
static double group_time(const throng__worker_t *w);

/* The load now, into the current second (the last write of a second
 * stays): this worker's share of the target and the clients busy. */
static void note_load(throng__worker_t *w)
{
    throng__second_t *cur = &w->stats.second;
    if (!w->group_start_ns) return; /* the group has not started */
    if (w->set->open) {
        /* The arrivals the schedule plans for this second: its integral
         * over the second, from where the clock is in it. */
        const throng__place_t *p = &w->place;
        double now = group_time(w),
               into = (double)((uv_now(&w->loop) - w->run_start_ms) % 1000) / 1000;
        double from = now - into, to = from + 1;
        cur->target = (throng__schedule_area(&w->set->load, to) -
                       throng__schedule_area(&w->set->load, from > 0 ? from : 0)) /
                      ((double)p->procs * p->threads);
        cur->open = 1;
    } else {
        cur->target = w->level;
    }
    cur->active = active_clients(w);
}

static void on_tick(uv_timer_t *t)
{
    throng__worker_t *w = t->data;
    throng__worker_second(w);
    note_load(w);
    publish(w, 1); /* whole stats too, when someone reads them (a live report, a parent) */
    throng__bufpool_trim(&w->host.pool); /* what a burst of exchanges left behind */
}

/* The second of the run the loop's clock is in, from 1. */
static uint64_t current_second(throng__worker_t *w)
{
    return (uv_now(&w->loop) - w->run_start_ms) / 1000 + 1;
}

void throng__worker_second(throng__worker_t *w)
{
    uint64_t t = current_second(w);
    throng__second_t *cur = &w->stats.second;
    if (cur->t == t) return;
    if (cur->t) {
        pthread_mutex_lock(&w->lock);
        if (w->nseconds == THRONG__SECONDS_KEPT) { /* nobody took them: drop the oldest */
            memmove(w->seconds, w->seconds + 1, (THRONG__SECONDS_KEPT - 1) * sizeof *w->seconds);
            w->nseconds--;
        }
        w->seconds[w->nseconds++] = *cur;
        pthread_mutex_unlock(&w->lock);
        /* Seconds with nothing in them still count, so the series has no holes. */
        for (uint64_t gap = cur->t + 1; gap < t && w->nseconds < THRONG__SECONDS_KEPT; gap++) {
            pthread_mutex_lock(&w->lock);
            throng__second_reset(&w->seconds[w->nseconds++], gap);
            pthread_mutex_unlock(&w->lock);
        }
    }
    throng__second_reset(cur, t);
    note_load(w);
}

/* The ledger is about to count: the current second must be the clock's. */
static void ledger_clock(void *data)
{
    throng__worker_second(data);
}

void throng__worker_take_seconds(throng__worker_t *w, throng__series_t *series)
{
    pthread_mutex_lock(&w->lock);
    for (unsigned i = 0; i < w->nseconds; i++)
        throng__series_add_group(series, w->group, &w->seconds[i]);
    w->nseconds = 0;
    pthread_mutex_unlock(&w->lock);
}

/* Ends the worker's run for reason: every client is stopped (its exchange
 * under way settled), every handle closed, and the loop then runs out. */
static void shutdown_run(throng__worker_t *w, throng_ending_t reason)
{
    if (w->stopping) return;
    w->stopping = 1;
    w->ending = reason;
    for (unsigned i = 0; i < w->nclients; i++)
        throng__client_stop(&w->clients[i], reason);
    throng__resolver_close(&w->resolver);
    throng__connects_close(&w->host.connects); /* every conn left it as its client stopped */
    uv_close((uv_handle_t *)&w->tick, NULL);
    uv_close((uv_handle_t *)&w->group_timer, NULL);
    uv_close((uv_handle_t *)&w->load_timer, NULL);
    pthread_mutex_lock(&w->lock);
    w->wake_closed = 1;
    pthread_mutex_unlock(&w->lock);
    uv_close((uv_handle_t *)&w->wake, NULL);
}

/* Ends the run when nothing is left to do: every client gone, or the
 * request limit spent with no exchange in flight, or every client done. */
static void check_done(throng__worker_t *w)
{
    if (w->stopping) return;
    uint64_t in_flight = w->stats.n.in_flight;
    if (w->stats.n.clients_active == 0 && w->stats.n.clients_finished == 0)
        shutdown_run(w, THRONG_END_CLIENTS);
    else if (in_flight == 0 && throng__ledger_spent(&w->host.ledger))
        shutdown_run(w, THRONG_END_REQUESTS);
    else if (in_flight == 0 && w->stats.n.clients_active == 0)
        shutdown_run(w, w->set->once ? THRONG_END_ONCE : THRONG_END_REQUESTS);
}

/* What a client tells its worker: the one way up from the clients. */
static void on_client(throng__host_t *h, throng__client_event_t ev,
                      const throng__http_response_t *answer)
{
    throng__worker_t *w = (throng__worker_t *)((char *)h - offsetof(throng__worker_t, host));
    switch (ev) {
    case THRONG__CLIENT_ANSWER:
        if (w->set->keep_last_reply && answer) {
            size_t len;
            const char *body = throng__http_response_body(answer, &len);
            w->last_reply.len = 0;
            throng__buf_append(&w->last_reply, body, len);
            w->last_status = answer->status;
            w->last_at = uv_hrtime();
        }
        return; /* the verdict is still to come: never the end of the run */
    case THRONG__CLIENT_SESSION_DONE:
        w->stats.n.sessions++;
        break;
    case THRONG__CLIENT_LEFT:
        w->stats.n.clients_active--;
        w->stats.n.clients_faulted++;
        w->running -= !w->set->open;
        break;
    case THRONG__CLIENT_FINISHED:
        /* Finished, not running: a --once report says so. */
        w->stats.n.clients_active--;
        w->stats.n.clients_finished++;
        w->running -= !w->set->open;
        break;
    case THRONG__CLIENT_EXCHANGE_ENDED:
        break;
    }
    check_done(w);
}

static void on_wake(uv_async_t *a)
{
    throng__worker_t *w = a->data;
    shutdown_run(w, (throng_ending_t)atomic_load(&w->stop_reason));
}

static uint64_t ms_of(double seconds)
{
    return seconds > 0 ? (uint64_t)(seconds * 1000 + 0.5) : 0;
}

/* The group's own duration is over. */
static void on_group_end(uv_timer_t *t)
{
    shutdown_run(t->data, THRONG_END_DURATION);
}

/* ------------------------------------------------------- the load model */

/* Seconds since the group started: the schedule's clock. */
static double group_time(const throng__worker_t *w)
{
    return (double)(uv_hrtime() - w->group_start_ns) * 1e-9;
}

static void on_load(uv_timer_t *t);

/* Wakes the worker at `at` (seconds on the schedule's clock; now is the
 * clock's reading), on the millisecond before it (the timer's
 * resolution: what is due within it is taken early), and never sooner
 * than the next millisecond: libuv runs a timer restarted with no delay
 * from its own callback again at once, before any I/O (the stop request
 * among it), so a timer that keeps finding work due would starve the
 * loop. Never, when it never comes. */
static void wake_at(throng__worker_t *w, double at, double now)
{
    if (w->stopping || throng__host_stopping(&w->host) || !isfinite(at)) return;
    double ms = (at - now) * 1000;
    uint64_t delay = ms < 1 ? 1 : ms > 1e12 ? (uint64_t)1e12 : (uint64_t)floor(ms);
    uv_timer_start(&w->load_timer, on_load, delay, 0);
}

/* Closed model: runs the first `level` clients here, retiring those past
 * it (each finishes its exchange and leaves; no fault) and resuming or
 * starting those below it. */
static void set_level(throng__worker_t *w, unsigned level)
{
    if (level > w->nclients) level = w->nclients;
    unsigned was = w->level;
    w->level = level;
    for (unsigned i = level; i < was; i++)
        throng__client_retire(&w->clients[i]);
    for (unsigned i = was; i < level && !w->stopping; i++)
        w->running += throng__client_resume(&w->clients[i]);
}

static void closed_tick(throng__worker_t *w)
{
    const throng__schedule_t *load = &w->set->load;
    if (load->n == 0) { /* settings with no schedule: every client at once */
        set_level(w, w->nclients);
        return;
    }
    double now = group_time(w);
    set_level(w, throng__place_share(&w->place, throng__schedule_count(load, now)));
    throng__worker_second(w);
    note_load(w);
    wake_at(w, throng__schedule_next_change(load, now), now);
}

/* Open model: when this worker's next arrival is due. Uniform: the
 * group's k-th arrival falls when the schedule's area reaches k + 1/2,
 * and this worker takes every (procs * threads)-th from its slot. Poisson:
 * each worker's arrivals are a Poisson process of its share of the rate
 * (together, one of the whole rate), the area between two of them an
 * exponential gap. */
static void next_arrival(throng__worker_t *w)
{
    const throng__place_t *p = &w->place;
    double slots = (double)p->procs * p->threads;
    if (w->set->arrivals == THRONG_ARRIVALS_POISSON)
        w->area += slots * -log1p(-throng__rng_double(&w->rng));
    else
        w->area = (double)w->arrivals * slots + (p->thread * p->procs + p->proc) + 0.5;
    w->next_at = throng__schedule_when(&w->set->load, w->area);
}

/* A client more for the pool: its persona instance made now. NULL when
 * the pool is full or the persona's init failed (counted). */
static throng__client_t *grow_pool(throng__worker_t *w)
{
    if (w->nclients >= w->cap) return NULL;
    unsigned i = w->nclients;
    /* Ids beyond every group's first clients: (group + 1) * 10^9, then
     * the worker's slot and turn, so that no two clients share one. */
    const throng__place_t *p = &w->place;
    uint64_t id = (uint64_t)(w->group + 1) * 1000000000u + (p->thread * p->procs + p->proc) +
                  (uint64_t)i * p->procs * p->threads;
    char err[THRONG__ERRMSG_LEN];
    int rc = throng__client_init(&w->clients[i], &w->host, id,
                                 throng__mix64(w->seed ^ throng__mix64(id)), err);
    w->clients[i].index = i;
    w->ninit = w->nclients = i + 1; /* its handles exist, even when its init failed */
    w->stats.n.clients_added++;
    if (rc != 0) {
        /* Never started, never free: it waits for the end with the others. */
        throng__ledger_fault(&w->host.ledger, THRONG_FAULT_SCRIPT_ERROR, err);
        w->stats.n.clients_faulted++;
        w->unusable++;
        return NULL;
    }
    w->stats.n.clients_active++;
    return &w->clients[i];
}

/* One arrival, meant for intended_ns: a free client takes it, or a new
 * one, or it is dropped (counted). */
static void arrive(throng__worker_t *w, uint64_t intended_ns)
{
    throng__client_t *c = w->nfree ? &w->clients[w->free[--w->nfree]] : grow_pool(w);
    throng__ledger_arrival(&w->host.ledger, c == NULL);
    if (c) throng__client_arrive(c, intended_ns);
}

#define ARRIVALS_PER_WAKE 10000 /* then the loop does other work before the rest */

/* The loop's timers have a millisecond's resolution: an arrival due within
 * it is sent now, a little early, rather than a little late. Its latency
 * still counts from its intended time, and a request sent before that time
 * is never counted as having waited (exchange.c: never less than its
 * service time). */
#define ARRIVAL_SLACK 0.001

static void open_tick(throng__worker_t *w)
{
    double now = group_time(w);
    for (unsigned n = 0; w->next_at <= now + ARRIVAL_SLACK && !w->stopping &&
                         !throng__host_stopping(&w->host) && n < ARRIVALS_PER_WAKE;
         n++) {
        if (throng__ledger_spent(&w->host.ledger) ||
            (w->set->arrivals_end > 0 && w->next_at >= w->set->arrivals_end)) {
            /* No arrival can send any more: the thread ends once nothing
             * is in flight, whatever its clients were doing. */
            w->next_at = INFINITY;
            check_done(w);
            return;
        }
        uint64_t intended = w->group_start_ns + (uint64_t)(w->next_at * 1e9);
        w->arrivals++;
        next_arrival(w);
        arrive(w, intended);
    }
    wake_at(w, w->next_at, now);
}

static void on_load(uv_timer_t *t)
{
    throng__worker_t *w = t->data;
    if (w->set->open)
        open_tick(w);
    else
        closed_tick(w);
}

/* A client is out of the load: an open model's is free for the next
 * arrival. */
static void on_idle(throng__host_t *h, unsigned index)
{
    throng__worker_t *w = (throng__worker_t *)((char *)h - offsetof(throng__worker_t, host));
    if (!w->set->open)
        w->running--;
    else if (w->nfree < w->cap)
        w->free[w->nfree++] = index;
}

/* Clients busy in the load now, for the per-second series. */
static uint64_t active_clients(const throng__worker_t *w)
{
    if (w->set->open) return w->nclients - w->unusable - w->nfree;
    return w->running > 0 ? (uint64_t)w->running : 0;
}

static void start_clients(throng__worker_t *w)
{
    /* The schedule counts from the run's start (and the group's delay), not
     * from when this thread got going: a worker that starts late (a worker
     * process, a sanitizer build) sends what fell due meanwhile at once,
     * each request timed from its intended start, instead of losing it. */
    uint64_t now = uv_hrtime(), planned = w->run_start_ns + ms_of(w->set->start_delay) * 1000000;
    w->group_start_ns = w->run_start_ns && planned < now ? planned : now;
    if (w->set->open) {
        for (unsigned i = w->nclients; i-- > 0;) /* the first on top */
            w->free[w->nfree++] = i;
        next_arrival(w);
        open_tick(w);
    } else {
        closed_tick(w);
    }
    if (!w->stopping && w->set->duration > 0)
        uv_timer_start(&w->group_timer, on_group_end, ms_of(w->set->duration), 0);
}

/* The group's start delay is over. */
static void on_group_start(uv_timer_t *t)
{
    start_clients(t->data);
}

/* Tells the engine the loop has ended: one byte, which the threads'
 * source counts (a worker writes it once, so the pipe cannot be full).
 * Only an interrupted write is tried again, so that a pipe gone bad
 * cannot keep the thread spinning. */
static void notify_engine(int fd)
{
    if (fd < 0) return;
    ssize_t n;
    do
        n = write(fd, "f", 1);
    while (n < 0 && errno == EINTR);
}

static void *worker_main(void *arg)
{
    throng__worker_t *w = arg;
    w->host.ledger.budget = w->budget; /* the engine sets it after init */
    uv_update_time(&w->loop);
    throng__worker_second(w);
    /* Every client counts as active before any starts, so that one faulting
     * at once does not look like the last one leaving. */
    w->stats.n.clients_active = w->nclients;
    if (w->set->start_delay > 0)
        uv_timer_start(&w->group_timer, on_group_start, ms_of(w->set->start_delay), 0);
    else
        start_clients(w);
    if (!w->stopping) uv_timer_start(&w->tick, on_tick, TICK_MS, TICK_MS);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    assert(w->stats.n.in_flight == 0); /* every exchange has its outcome */
    /* The last second, cut short by the end of the run. */
    pthread_mutex_lock(&w->lock);
    if (w->nseconds == THRONG__SECONDS_KEPT) w->nseconds--;
    w->seconds[w->nseconds++] = w->stats.second;
    pthread_mutex_unlock(&w->lock);
    throng__second_reset(&w->stats.second, 0);
    publish(w, 1);
    /* An abandoned worker's engine no longer waits for it, and may be gone. */
    int running = THRONG__WORKER_RUNNING;
    if (atomic_compare_exchange_strong(&w->fate, &running, THRONG__WORKER_ENDED))
        notify_engine(w->notify_fd);
    return NULL;
}

int throng__worker_start(throng__worker_t *w, char *err)
{
    /* The async handle was created without a callback so that a stop
     * cannot arrive before the thread runs; give it one now. */
    w->wake.async_cb = on_wake;
    /* Worker threads take no process signals: a write to a connection the
     * server closed must fail with EPIPE, not kill the embedding program
     * with SIGPIPE, and SIGINT/SIGTERM belong to the program's own thread.
     * The thread inherits the mask it is created with. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGPIPE);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int rc = pthread_create(&w->thread, NULL, worker_main, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        return throng__fail(err, THRONG_ESYS, "cannot start a worker thread: %s", strerror(rc));
    return 0;
}

void throng__worker_request_stop(throng__worker_t *w, throng_ending_t reason)
{
    int none = THRONG_END_NONE;
    atomic_compare_exchange_strong(&w->stop_reason, &none, (int)reason);
    pthread_mutex_lock(&w->lock);
    if (!w->wake_closed) uv_async_send(&w->wake);
    pthread_mutex_unlock(&w->lock);
}

void throng__worker_merge_published(throng__worker_t *w, throng__stats_t *into)
{
    pthread_mutex_lock(&w->lock);
    if (w->published) throng__stats_merge(into, w->published);
    pthread_mutex_unlock(&w->lock);
}

void throng__worker_snapshot(throng__worker_t *w, throng__counts_t *out)
{
    pthread_mutex_lock(&w->lock);
    *out = w->snapshot;
    pthread_mutex_unlock(&w->lock);
}

void throng__worker_join(throng__worker_t *w)
{
    pthread_join(w->thread, NULL);
}

throng__lua_watch_t *throng__worker_watch(throng__worker_t *w)
{
    return &w->persona.ctx->watch;
}

int throng__worker_abandon(throng__worker_t *w)
{
    throng__lua_watch_t *watch = throng__worker_watch(w);
    /* First the flag, so that a hook returning from now on parks; then
     * the fate, which the thread's own end may have taken first. */
    atomic_store(&watch->abandoned, 1);
    int running = THRONG__WORKER_RUNNING;
    if (!atomic_compare_exchange_strong(&w->fate, &running, THRONG__WORKER_ABANDONED)) {
        atomic_store(&watch->abandoned, 0); /* it ended: it runs no more hooks */
        return 0;
    }
    pthread_detach(w->thread);
    return 1;
}

/* Closes every handle of a loop that never ran, so it can be closed. */
static void close_unstarted(throng__worker_t *w)
{
    if (w->stopping) return;
    w->stopping = 1;
    for (unsigned i = 0; i < w->ninit; i++)
        throng__client_stop(&w->clients[i], THRONG_END_NONE);
    throng__connects_close(&w->host.connects);
    uv_close((uv_handle_t *)&w->tick, NULL);
    uv_close((uv_handle_t *)&w->group_timer, NULL);
    uv_close((uv_handle_t *)&w->load_timer, NULL);
    uv_close((uv_handle_t *)&w->wake, NULL);
    uv_run(&w->loop, UV_RUN_DEFAULT);
}

int throng__worker_destroy(throng__worker_t *w)
{
    int rc = 0;
    if (w->loop_ready) {
        close_unstarted(w);
        rc = uv_loop_close(&w->loop); /* UV_EBUSY would mean a handle left open */
    }
    for (unsigned i = 0; i < w->ninit; i++)
        throng__client_free(&w->clients[i]);
    free(w->clients);
    free(w->free);
    throng__persona_close(&w->persona); /* collects responses: before the pool goes */
    throng__bufpool_destroy(&w->host.pool);
    throng__buf_free(&w->host.json);
    throng__buf_free(&w->last_reply);
    throng__resolver_free(&w->resolver);
    throng__stats_free(&w->stats);
    if (w->published) throng__stats_free(w->published);
    free(w->published);
    pthread_mutex_destroy(&w->lock);
    return rc;
}
