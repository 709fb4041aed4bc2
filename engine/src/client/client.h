/* client.h - one simulated client and its session cycle: a session of
 * request_count exchanges (request style) or one run of the persona's
 * session function (session style), then rest for slow_down and start
 * again; a fault ends the session and decides whether the client stays.
 *
 * A client begins and ends its exchanges (client/exchange.h), is told by
 * its connections through their callback, and tells its worker what
 * became of it through the host's report callback, last. */
#ifndef THRONG_CLIENT_H
#define THRONG_CLIENT_H

#include <stdint.h>

#include <uv.h>

#include "client/host.h"
#include "client/session.h"
#include "lua/lua_throng.h"
#include "throng.h"

typedef enum {
    THRONG__CLIENT_NEW,
    THRONG__CLIENT_BUSY,     /* in a session: exchanging, or waiting for a sleep */
    THRONG__CLIENT_THINKING, /* between exchanges (the timer is the think time) */
    THRONG__CLIENT_RESTING,  /* between sessions or after a fault (the timer restarts it) */
    THRONG__CLIENT_DONE,     /* no more work: the request limit was reached or the run ended */
    THRONG__CLIENT_GONE,     /* left the run after a fault */
    THRONG__CLIENT_PARKED,   /* between sessions, waiting for the load model: an open model's
                                free client, or one a closed model's ramp took out */
    THRONG__CLIENT_IDLE      /* open model, request style: in a session, free for the
                                arrival that sends its next request */
} throng__client_state_t;

typedef struct throng__client {
    throng__host_t *host;
    int self; /* the persona instance (registry reference) */
    int session_style;
    throng__client_state_t state;
    throng__lua_caller_t who; /* the client's generator and id, for Lua */
    uv_timer_t timer;         /* think time or rest */
    throng__lane_t lane;      /* the client's first connection and its exchange */

    unsigned left;            /* request style: exchanges left in this session */
    unsigned exchanges;       /* request style: exchanges answered in this session */
    unsigned failures;        /* faults in a row, for the restart backoff */
    uint64_t session_start;   /* uv_hrtime() */
    unsigned index;           /* in its worker's array: what host->idle says */
    int retire;               /* closed model's ramp down: leave when this exchange ends */
    uint64_t intended;        /* open model: the arrival's intended time, for the next
                                 exchange begun (uv_hrtime(); 0: none) */
    throng__session_t *s;     /* the session style's side (NULL in the request style) */
    throng__exchange_t *pipe; /* request style: a pipeline's exchanges, lent by the thread's
                                 pool while it is under way (THRONG__PIPELINE_MAX of them) */
} throng__client_t;

/* Prepares a client on host's loop, seeds its generator and makes its
 * persona instance (running the persona's init). Returns 0, or
 * THRONG_ESCRIPT with the reason in err; either way the client's handles
 * exist, and it must be stopped and freed. */
int throng__client_init(throng__client_t *c, throng__host_t *host, uint64_t id, uint64_t seed,
                        char *err);

/* Starts the client's first session. */
void throng__client_start(throng__client_t *c);

/* Open model: an arrival meant for intended_ns (uv_hrtime()) for a free
 * client (PARKED, NEW or IDLE): it starts a session, or sends the next
 * request of its session. The client tells host->idle when it is free
 * again. */
void throng__client_arrive(throng__client_t *c, uint64_t intended_ns);

/* Closed model's ramps: retire takes the client out of the run's load
 * (at once when it is between exchanges, else when its exchange ends: the
 * session ends there, no fault), and tells host->idle when it is out;
 * resume puts it back: it starts a session when the client is out
 * (returning 1: the client runs again), or cancels a retirement still to
 * come (0, as for a client done or gone). */
void throng__client_retire(throng__client_t *c);
int throng__client_resume(throng__client_t *c);

/* Ends the client's part in the run: an exchange under way is settled
 * (faulted aborted for reason THRONG_END_STOPPED, else cancelled), and
 * every handle is closed. Reports nothing. */
void throng__client_stop(throng__client_t *c, throng_ending_t reason);

/* Frees what the client holds outside its handles (the loop has ended). */
void throng__client_free(throng__client_t *c);

#endif
