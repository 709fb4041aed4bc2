/* client.h - one simulated client: its connection, its timer and its place
 * in the session cycle (connect, exchanges with think time, close, rest,
 * start again). */
#ifndef THRONG_CLIENT_H
#define THRONG_CLIENT_H

#include <stdint.h>

#include <uv.h>

#include "http.h"
#include "rng.h"
#include "throng.h"

typedef struct throng__worker throng__worker_t;

typedef enum {
    THRONG__CLIENT_NEW,
    THRONG__CLIENT_CONNECTING, /* connect in progress (the timer is the connect timeout) */
    THRONG__CLIENT_WAITING,    /* a request is in flight (the timer is the request timeout) */
    THRONG__CLIENT_THINKING,   /* between exchanges (the timer is the think time) */
    THRONG__CLIENT_RESTING,    /* between sessions or after a fault (the timer restarts it) */
    THRONG__CLIENT_DONE,       /* no more work: the request limit was reached or the run ended */
    THRONG__CLIENT_GONE        /* left the run after a fault */
} throng__client_state_t;

typedef struct throng__client {
    throng__worker_t *w;
    uint64_t id;
    int self; /* the persona instance (registry reference) */
    throng__client_state_t state;

    /* Handles live inside the client; each is closed before the worker's
     * loop ends, and the tcp handle is re-initialised per connection only
     * after its close callback has run. */
    uv_tcp_t tcp;
    uv_connect_t connect_req;
    uv_write_t write_req;
    uv_timer_t timer; /* connect timeout, request timeout, think time or rest */
    unsigned tcp_open : 1, tcp_closing : 1, connect_when_closed : 1;

    throng__http_response_t res;
    throng__rng_t rng;
    unsigned left;     /* exchanges left in this session */
    unsigned failures; /* faults in a row, for the restart backoff */
    uint64_t started;  /* uv_hrtime() when the connect or the request began */
    double timeout;    /* this request's timeout, seconds */
    char *pending;     /* request bytes a partial write left over (rare) */
} throng__client_t;

/* Prepares a client of worker w (its timer is initialised on w's loop). */
void throng__client_init(throng__client_t *c, throng__worker_t *w, uint64_t id);

/* Starts the client's first session. */
void throng__client_start(throng__client_t *c);

/* Ends the client's part in the run: an exchange in flight is counted as
 * aborted (reason THRONG_END_STOPPED) or cancelled, and every handle is
 * closed. */
void throng__client_stop(throng__client_t *c, throng_ending_t reason);

#endif
