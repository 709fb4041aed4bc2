/* worker.h - one worker thread: a libuv loop, a Lua state with one persona,
 * and the clients it runs. Nothing here is shared with other threads except
 * the stop request (an async handle) and the progress snapshot (a mutex). */
#ifndef THRONG_WORKER_H
#define THRONG_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <uv.h>

#include "util/address.h"
#include "util/buf.h"
#include "client/client.h"
#include "lua/persona.h"
#include "stats/stats.h"

/* The run's request limit: one count for every thread and worker process
 * (in memory shared across fork), so no thread's share is lost when its
 * clients leave early. */
typedef struct throng__budget {
    _Atomic uint64_t issued;
    uint64_t limit;
} throng__budget_t;

/* What a group's workers share, read-only while they run. */
typedef struct throng__worker_settings {
    throng__address_t address;
    double timeout, connect_timeout; /* seconds */
    throng_on_fault_t on_fault;
    unsigned request_count;
    double slow_down;
    double start_delay;  /* seconds before the group's clients start */
    double duration;     /* seconds the group runs once started; 0 = as long as the run */
    int once;            /* each client runs one session, then is done */
    int keep_last_reply; /* keep the last response's status and body */
    throng_log_cb log;   /* where log lines go (NULL: dropped) */
    void *log_data;
    throng_log_level_t log_level;
} throng__worker_settings_t;

#define THRONG__READ_BUFFER (64 * 1024)
#define THRONG__SECONDS_KEPT 8 /* finished seconds waiting for the engine to take them */

struct throng__worker {
    const throng__worker_settings_t *set;
    unsigned group;           /* the group's index in the engine */
    uint64_t run_start_ms;    /* the run's start, on the loop's clock (uv_now) */
    throng__budget_t *budget; /* the run's request limit, shared by every worker; NULL: none */
    int notify_fd;            /* the engine's pipe: one 'f' when the loop has ended */

    pthread_t thread;
    uv_loop_t loop;
    uv_async_t wake;        /* the engine's stop request */
    uv_timer_t tick;        /* publishes the progress snapshot */
    uv_timer_t group_timer; /* the group's start delay, then its duration */
    throng__persona_t persona;
    throng__client_t *clients;
    unsigned nclients;
    unsigned ninit;        /* clients whose handles exist */
    int loop_ready;        /* the loop and the worker's own handles exist */
    unsigned in_flight;    /* requests issued and not yet answered */
    unsigned clients_done; /* clients with nothing more to do (once, request limit) */

    throng__bufpool_t pool;      /* response buffers, lent to clients */
    throng__buf_t json;          /* scratch for encoding request.json */
    throng__address_t **targets; /* client:connect()'s servers, resolved once each */
    char **target_names;
    unsigned ntargets;
    char msg[512]; /* fault messages are formatted here */
    throng__stats_t stats;
    char read_buffer[THRONG__READ_BUFFER]; /* every read of this thread lands here */

    int log_level; /* the run's log level, or -1 without a log callback */
    int stopping;
    throng_ending_t ending; /* why this worker ended */
    _Atomic int stop_reason;

    throng__buf_t last_reply; /* keep_last_reply: the last response's body */
    int last_status;
    uint64_t last_at; /* uv_hrtime() of that response */

    int publish_stats; /* a worker process's worker: publish whole stats every second */
    unsigned ticks;
    pthread_mutex_t lock; /* guards what follows */
    throng__counts_t snapshot;
    throng__stats_t *published;                     /* with publish_stats */
    throng__second_t seconds[THRONG__SECONDS_KEPT]; /* finished seconds, oldest first */
    unsigned nseconds;
    int wake_closed;
};

/* Builds the loop, the Lua state and the clients (ids first_id..). Every
 * persona instance's init runs here, so script errors surface before any
 * load starts. Returns 0 or a THRONG_E* code with the reason in err. */
int throng__worker_init(throng__worker_t *w, const throng__worker_settings_t *set,
                        const throng__persona_spec_t *spec, const throng__persona_params_t *params,
                        unsigned nclients, uint64_t first_id, uint64_t seed, char *err);

int throng__worker_start(throng__worker_t *w, char *err);

/* Asks a running worker to stop (from the engine's thread). */
void throng__worker_request_stop(throng__worker_t *w, throng_ending_t reason);

/* Copies the latest progress snapshot. */
void throng__worker_snapshot(throng__worker_t *w, throng__counts_t *out);

/* Merges the worker's latest published stats into into (publish_stats). */
void throng__worker_merge_published(throng__worker_t *w, throng__stats_t *into);

/* Hands the worker's finished seconds to series (from the engine's thread). */
void throng__worker_take_seconds(throng__worker_t *w, throng__series_t *series);

/* ---- counting, from the worker's own thread ---- */

/* Moves the current second into the finished ones when the clock has
 * passed it. */
void throng__worker_second(throng__worker_t *w);

/* Counts a response (stats and the current second). */
void throng__worker_response(throng__worker_t *w, int name, int status, uint64_t latency_ns,
                             uint64_t ttfb_ns);

/* Counts a fault; name is the request's (-1 for none). */
void throng__worker_fault(throng__worker_t *w, int name, throng_fault_t kind, const char *msg);

void throng__worker_join(throng__worker_t *w);

/* Frees what init made (also after a failed init); the thread must have
 * been joined or never started. Returns uv_loop_close's result: 0 when
 * every handle was closed. */
int throng__worker_destroy(throng__worker_t *w);

/* ---- called by clients ---- */

/* Ends the worker's run for reason: every client is stopped, every handle
 * closed, and the loop then runs out. */
void throng__worker_shutdown(throng__worker_t *w, throng_ending_t reason);

/* Ends the run when nothing is left to do: every client gone, or the
 * request budget spent with no request in flight. */
void throng__worker_check_done(throng__worker_t *w);

/* The address of server text, resolved on first use and kept for the
 * run (client:connect). NULL with the reason in err when it cannot be. */
const throng__address_t *throng__worker_resolve(throng__worker_t *w, const char *server, char *err);

/* Writes a log line through the run's log callback (a client's, or the run's with id 0). */
void throng__worker_log(throng__worker_t *w, throng_log_level_t level, uint64_t client,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Logs when the level is wanted; below it the arguments are not even
 * evaluated, so debug lines cost nothing on the hot path. */
#define THRONG__LOG(w, level, client, ...)                                                         \
    do {                                                                                           \
        if ((int)(level) <= (w)->log_level)                                                        \
            throng__worker_log((w), (level), (client), __VA_ARGS__);                               \
    } while (0)
#define THRONG__DEBUG(w, client, ...) THRONG__LOG(w, THRONG_LOG_DEBUG, client, __VA_ARGS__)

/* 1 when the run's request limit is reached. */
static inline int throng__worker_budget_spent(const throng__worker_t *w)
{
    return w->budget &&
           atomic_load_explicit(&w->budget->issued, memory_order_relaxed) >= w->budget->limit;
}

/* Takes one request from the limit: 1 when the client may send, 0 when the
 * limit is reached. */
static inline int throng__worker_take_request(throng__worker_t *w)
{
    if (!w->budget) return 1;
    uint64_t n = atomic_load(&w->budget->issued);
    while (n < w->budget->limit)
        if (atomic_compare_exchange_weak(&w->budget->issued, &n, n + 1)) return 1;
    return 0;
}

/* Gives back a request taken but not sent. */
static inline void throng__worker_return_request(throng__worker_t *w)
{
    if (w->budget) atomic_fetch_sub(&w->budget->issued, 1);
}

#endif
