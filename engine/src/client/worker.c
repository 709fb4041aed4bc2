/* worker.c - one worker thread: its loop, its Lua state, its clients, and
 * the orderly end of all three. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/error.h"
#include "client/session.h"
#include "client/worker.h"

#define TICK_MS 250 /* how often the progress snapshot is refreshed */

static void lua_log(void *data, int level, uint64_t client, const char *msg);

int throng__worker_init(throng__worker_t *w, const throng__worker_settings_t *set,
                        const throng__persona_spec_t *spec, const throng__persona_params_t *params,
                        unsigned nclients, uint64_t first_id, uint64_t seed, char *err)
{
    w->set = set;
    w->nclients = nclients;
    w->notify_fd = -1;
    w->ending = THRONG_END_NONE;
    atomic_init(&w->stop_reason, THRONG_END_NONE);
    pthread_mutex_init(&w->lock, NULL);
    throng__bufpool_init(&w->pool);
    throng__stats_init(&w->stats);
    int rc = uv_loop_init(&w->loop);
    if (rc < 0)
        return throng__fail(err, THRONG_ESYS, "cannot create an event loop: %s", uv_strerror(rc));
    uv_async_init(&w->loop, &w->wake, NULL);
    w->wake.data = w;
    uv_timer_init(&w->loop, &w->tick);
    w->tick.data = w;
    uv_timer_init(&w->loop, &w->group_timer);
    w->group_timer.data = w;
    w->loop_ready = 1;

    if ((rc = throng__persona_open(&w->persona, spec, params, err)) != 0) return rc;
    throng__session_open(w->persona.L);
    w->persona.ctx->log = lua_log;
    w->persona.ctx->log_data = w;
    w->log_level = set->log ? (int)set->log_level : -1;
    w->persona.ctx->log_level = w->log_level;
    w->clients = calloc(nclients ? nclients : 1, sizeof *w->clients);
    if (!w->clients)
        return throng__fail(err, THRONG_ENOMEM, "out of memory for %u clients", nclients);
    for (unsigned i = 0; i < nclients; i++) {
        throng__client_t *c = &w->clients[i];
        throng__client_init(c, w, first_id + i);
        w->ninit = i + 1;
        throng__rng_seed(&c->who.rng, throng__mix64(seed ^ throng__mix64(first_id + i)));
        if ((rc = throng__persona_instance(&w->persona, &c->who, &c->self, err)) != 0) return rc;
    }
    return 0;
}

/* throng.log's lines, through the run's log callback. */
static void lua_log(void *data, int level, uint64_t client, const char *msg)
{
    throng__worker_t *w = data;
    if (w->set->log) w->set->log((throng_log_level_t)level, client, msg, w->set->log_data);
}

void throng__worker_log(throng__worker_t *w, throng_log_level_t level, uint64_t client,
                        const char *fmt, ...)
{
    if ((int)level > w->log_level) return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    w->set->log(level, client, msg, w->set->log_data);
}

const throng__address_t *throng__worker_resolve(throng__worker_t *w, const char *server, char *err)
{
    for (unsigned i = 0; i < w->ntargets; i++)
        if (strcmp(w->target_names[i], server) == 0) return w->targets[i];
    throng__address_t a;
    if (throng__address_parse(server, 80, "server", &a, err) != 0 ||
        throng__address_resolve(&a, err) != 0)
        return NULL;
    throng__address_t **targets = realloc(w->targets, (w->ntargets + 1) * sizeof *targets);
    if (targets) w->targets = targets;
    char **names = realloc(w->target_names, (w->ntargets + 1) * sizeof *names);
    if (names) w->target_names = names;
    throng__address_t *copy = malloc(sizeof *copy);
    char *name = strdup(server);
    if (!targets || !names || !copy || !name) {
        free(copy);
        free(name);
        snprintf(err, THRONG__ERRMSG_LEN, "out of memory resolving %s", server);
        return NULL;
    }
    *copy = a;
    w->targets[w->ntargets] = copy;
    w->target_names[w->ntargets++] = name;
    return copy;
}

/* Counts for the progress line every tick; in a worker process, the whole
 * stats every fourth tick (a second), for the reports to the parent. */
static void publish(throng__worker_t *w, int whole)
{
    pthread_mutex_lock(&w->lock);
    w->snapshot = w->stats.n;
    if (whole && w->published) throng__stats_copy(w->published, &w->stats);
    pthread_mutex_unlock(&w->lock);
}

static void on_tick(uv_timer_t *t)
{
    throng__worker_t *w = t->data;
    throng__worker_second(w);
    publish(w, ++w->ticks % 4 == 0);
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
}

void throng__worker_take_seconds(throng__worker_t *w, throng__series_t *series)
{
    pthread_mutex_lock(&w->lock);
    for (unsigned i = 0; i < w->nseconds; i++)
        throng__series_add(series, &w->seconds[i]);
    w->nseconds = 0;
    pthread_mutex_unlock(&w->lock);
}

void throng__worker_response(throng__worker_t *w, int name, int status, uint64_t latency_ns,
                             uint64_t ttfb_ns)
{
    throng__worker_second(w);
    throng__stats_response(&w->stats, name, status, latency_ns, ttfb_ns);
}

void throng__worker_fault(throng__worker_t *w, int name, throng_fault_t kind, const char *msg)
{
    throng__worker_second(w);
    throng__stats_fault(&w->stats, name, kind, msg);
}

static void on_wake(uv_async_t *a)
{
    throng__worker_t *w = a->data;
    throng__worker_shutdown(w, (throng_ending_t)atomic_load(&w->stop_reason));
}

static uint64_t ms_of(double seconds)
{
    return seconds > 0 ? (uint64_t)(seconds * 1000 + 0.5) : 0;
}

/* The group's own duration is over. */
static void on_group_end(uv_timer_t *t)
{
    throng__worker_shutdown(t->data, THRONG_END_DURATION);
}

static void start_clients(throng__worker_t *w)
{
    for (unsigned i = 0; i < w->nclients && !w->stopping; i++)
        throng__client_start(&w->clients[i]);
    if (!w->stopping && w->set->duration > 0)
        uv_timer_start(&w->group_timer, on_group_end, ms_of(w->set->duration), 0);
}

/* The group's start delay is over. */
static void on_group_start(uv_timer_t *t)
{
    start_clients(t->data);
}

static void *worker_main(void *arg)
{
    throng__worker_t *w = arg;
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
    /* The last second, cut short by the end of the run. */
    pthread_mutex_lock(&w->lock);
    if (w->nseconds == THRONG__SECONDS_KEPT) w->nseconds--;
    w->seconds[w->nseconds++] = w->stats.second;
    pthread_mutex_unlock(&w->lock);
    throng__second_reset(&w->stats.second, 0);
    publish(w, 1);
    if (w->notify_fd >= 0) {
        ssize_t n;
        do
            n = write(w->notify_fd, "f", 1);
        while (n < 0);
    }
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

void throng__worker_shutdown(throng__worker_t *w, throng_ending_t reason)
{
    if (w->stopping) return;
    w->stopping = 1;
    w->ending = reason;
    for (unsigned i = 0; i < w->nclients; i++)
        throng__client_stop(&w->clients[i], reason);
    uv_close((uv_handle_t *)&w->tick, NULL);
    uv_close((uv_handle_t *)&w->group_timer, NULL);
    pthread_mutex_lock(&w->lock);
    w->wake_closed = 1;
    pthread_mutex_unlock(&w->lock);
    uv_close((uv_handle_t *)&w->wake, NULL);
}

void throng__worker_check_done(throng__worker_t *w)
{
    if (w->stopping) return;
    if (w->stats.n.clients_active == 0)
        throng__worker_shutdown(w, THRONG_END_CLIENTS);
    else if (w->in_flight == 0 && throng__worker_budget_spent(w))
        throng__worker_shutdown(w, THRONG_END_REQUESTS);
    else if (w->in_flight == 0 && w->clients_done == w->stats.n.clients_active)
        throng__worker_shutdown(w, w->set->once ? THRONG_END_ONCE : THRONG_END_REQUESTS);
}

void throng__worker_join(throng__worker_t *w)
{
    pthread_join(w->thread, NULL);
}

/* Closes every handle of a loop that never ran, so it can be closed. */
static void close_unstarted(throng__worker_t *w)
{
    if (w->stopping) return;
    w->stopping = 1;
    for (unsigned i = 0; i < w->ninit; i++) {
        uv_close((uv_handle_t *)&w->clients[i].timer, NULL);
        throng__conn_stop(&w->clients[i].conn);
    }
    uv_close((uv_handle_t *)&w->tick, NULL);
    uv_close((uv_handle_t *)&w->group_timer, NULL);
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
    throng__persona_close(&w->persona); /* collects responses: before the pool goes */
    throng__bufpool_destroy(&w->pool);
    throng__buf_free(&w->json);
    throng__buf_free(&w->last_reply);
    throng__stats_free(&w->stats);
    if (w->published) throng__stats_free(w->published);
    free(w->published);
    for (unsigned i = 0; i < w->ntargets; i++) {
        free(w->targets[i]);
        free(w->target_names[i]);
    }
    free(w->targets);
    free(w->target_names);
    pthread_mutex_destroy(&w->lock);
    return rc;
}
