/* worker.h - one worker thread: a libuv loop, a Lua state with one persona,
 * and the clients it runs. Nothing here is shared with other threads except
 * the stop request (an async handle) and the progress snapshot (a mutex).
 *
 * The worker lends its clients a host (client/host.h) and hears from them
 * only through the host's report callback; it counts what they tell it
 * (sessions, clients active, faulted out, done), and ends its run when
 * nothing is left to do. */
#ifndef THRONG_WORKER_H
#define THRONG_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <uv.h>

#include "client/client.h"
#include "client/exchange.h"
#include "client/host.h"
#include "client/resolve.h"
#include "lua/persona.h"
#include "stats/stats.h"
#include "util/buf.h"
#include "util/rng.h"

#define THRONG__SECONDS_KEPT 8 /* finished seconds waiting for the engine to take them */

typedef struct throng__worker throng__worker_t;

/* A worker's place among its group's: procs processes, this one's index
 * proc, threads threads in it, this one's index thread. A load of n
 * (clients, a pool's cap) splits over the places exactly, each taking
 * n / parts and the first n % parts one more, first over processes, then
 * over threads; in the open model the group's arrivals go round the
 * places in turn, the k-th to slot k % (procs * threads). */
typedef struct throng__place {
    unsigned procs, proc, threads, thread;
} throng__place_t;

static inline unsigned throng__share_of(unsigned n, unsigned parts, unsigned i)
{
    return n / parts + (i < n % parts);
}

static inline unsigned throng__place_share(const throng__place_t *p, unsigned n)
{
    return throng__share_of(throng__share_of(n, p->procs, p->proc), p->threads, p->thread);
}

/* What became of a worker's thread. */
enum {
    THRONG__WORKER_RUNNING,
    THRONG__WORKER_ENDED,     /* its loop ended and it told the engine */
    THRONG__WORKER_ABANDONED, /* stuck in a hook, given up by the engine: it parks for good */
};

struct throng__worker {
    const throng__worker_settings_t *set;
    unsigned group;           /* the group's index in the engine */
    uint64_t run_start_ms;    /* the run's start, on the loop's clock (uv_now) */
    uint64_t run_start_ns;    /* the same, on uv_hrtime()'s clock (0: unknown: now) */
    throng__budget_t *budget; /* the run's request limit, shared by every worker; NULL: none */
    int notify_fd;            /* the engine's pipe: one 'f' when the loop has ended */

    pthread_t thread;
    uv_loop_t loop;
    uv_async_t wake;        /* the engine's stop request */
    uv_timer_t tick;        /* publishes the progress snapshot */
    uv_timer_t group_timer; /* the group's start delay, then its duration */
    throng__persona_t persona;
    throng__host_t host;         /* what the clients are lent: loop, persona, ledger, ... */
    throng__resolver_t resolver; /* client:connect()'s servers */
    throng__client_t *clients;
    unsigned nclients;
    unsigned ninit;    /* clients whose handles exist */
    uint64_t first_id; /* the first client's id */
    uint64_t seed;     /* the run's seed, for clients made later */

    /* The load model (client/host.h's settings.load). */
    throng__place_t place;
    unsigned cap;            /* open: the pool's cap here (0: nclients, no growth) */
    unsigned level;          /* closed: clients the schedule runs here now */
    int64_t running;         /* closed: clients in the load (started, not out, left or done) */
    unsigned unusable;       /* open: pool clients whose init failed */
    uv_timer_t load_timer;   /* the schedule's next change or arrival */
    uint64_t group_start_ns; /* uv_hrtime() at the group's start: the schedule's 0 */
    unsigned *free;          /* open: the clients free for an arrival (a stack) */
    unsigned nfree;
    uint64_t arrivals;     /* open, uniform: this worker's arrivals so far */
    double area;           /* open, poisson: the schedule's area at the next arrival */
    double next_at;        /* open: seconds from the group's start of the next arrival */
    throng__rng_t rng;     /* open, poisson: the gaps */
    int loop_ready;        /* the loop and the worker's own handles exist */
    throng__stats_t stats; /* the ledger's books, and what clients report */

    int stopping;
    throng_ending_t ending; /* why this worker ended */
    _Atomic int fate;       /* THRONG__WORKER_*: whoever changes it from RUNNING first wins */
    _Atomic int stop_reason;

    throng__buf_t last_reply; /* keep_last_reply: the last response's body */
    int last_status;
    uint64_t last_at; /* uv_hrtime() of that response */

    int publish_stats;    /* a worker process's worker: publish whole stats every second */
    pthread_mutex_t lock; /* guards what follows */
    throng__counts_t snapshot;
    throng__stats_t *published;                     /* with publish_stats */
    throng__second_t seconds[THRONG__SECONDS_KEPT]; /* finished seconds, oldest first */
    unsigned nseconds;
    int wake_closed;
};

/* Builds the loop, the Lua state and the clients (ids first_id..) in w,
 * which arrives zeroed but for its place. Every
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

/* Moves the current second into the finished ones when the clock has
 * passed it (from the worker's own thread). */
void throng__worker_second(throng__worker_t *w);

void throng__worker_join(throng__worker_t *w);

/* The watch on the worker's calls into Lua (lua/watch.h), for the engine. */
throng__lua_watch_t *throng__worker_watch(throng__worker_t *w);

/* Gives up on a worker whose thread is stuck in a hook (from the engine's
 * thread): the thread is detached and parks as soon as it leaves Lua; it
 * never touches the engine again, and its memory is never freed. Returns
 * 1, or 0 when its loop had ended meanwhile (join it as usual). */
int throng__worker_abandon(throng__worker_t *w);

/* Frees what init made (also after a failed init); the thread must have
 * been joined or never started. Returns uv_loop_close's result: 0 when
 * every handle was closed. */
int throng__worker_destroy(throng__worker_t *w);

#endif
