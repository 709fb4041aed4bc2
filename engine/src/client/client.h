/* client.h - one simulated client and its session cycle: a session of
 * request_count exchanges (request style) or one run of the persona's
 * session function (session style), then rest for slow_down and start
 * again; a fault ends the session and decides whether the client stays. */
#ifndef THRONG_CLIENT_H
#define THRONG_CLIENT_H

#include <stdint.h>

#include <lua.h>
#include <uv.h>

#include "client/conn.h"
#include "lua/lua_throng.h"
#include "throng.h"

typedef struct throng__worker throng__worker_t;

typedef enum {
    THRONG__CLIENT_NEW,
    THRONG__CLIENT_BUSY,     /* in a session: exchanging, or waiting for a sleep */
    THRONG__CLIENT_THINKING, /* between exchanges (the timer is the think time) */
    THRONG__CLIENT_RESTING,  /* between sessions or after a fault (the timer restarts it) */
    THRONG__CLIENT_DONE,     /* no more work: the request limit was reached or the run ended */
    THRONG__CLIENT_GONE      /* left the run after a fault */
} throng__client_state_t;

/* The session style's state: the coroutine running the session function
 * and what it waits for. */
typedef struct throng__session {
    lua_State *co;       /* the coroutine (NULL between sessions) */
    int co_ref;          /* keeps it alive */
    int object_ref;      /* the client object passed to session(self, client) */
    uint64_t generation; /* counts sessions, so a connection object knows its own */
    unsigned waiting;    /* exchanges the coroutine waits for */
    int results_ref;     /* the responses so far, by slot */
    unsigned nresults;
    unsigned running : 1;  /* inside lua_resume */
    unsigned ready : 1;    /* what the coroutine waits for arrived while it ran */
    unsigned faulted : 1;  /* an exchange it waits for faulted */
    unsigned sleeping : 1; /* waiting for client:sleep */
    int fault_kind;
    int fault_name;
    unsigned prepared; /* client:concurrently's requests taken from the limit, not yet sent */
    char fault_msg[256];
    throng__conn_t **extra; /* connections beyond the first: concurrently, connect() */
    unsigned nextra;
} throng__session_t;

typedef struct throng__client {
    throng__worker_t *w;
    int self; /* the persona instance (registry reference) */
    throng__client_state_t state;
    throng__lua_caller_t who; /* the client's generator and id, for Lua */
    uv_timer_t timer;         /* think time, rest, or client:sleep */
    throng__conn_t conn;      /* the client's first connection */

    unsigned left;          /* request style: exchanges left in this session */
    unsigned exchanges;     /* exchanges completed in this session */
    unsigned failures;      /* faults in a row, for the restart backoff */
    uint64_t session_start; /* uv_hrtime() */
    throng__session_t s;
} throng__client_t;

/* Prepares a client of worker w; its handles live on w's loop. */
void throng__client_init(throng__client_t *c, throng__worker_t *w, uint64_t id);

/* Starts the client's first session. */
void throng__client_start(throng__client_t *c);

/* Ends the client's part in the run: an exchange in flight is counted as
 * aborted (reason THRONG_END_STOPPED) or cancelled, and every handle is
 * closed. */
void throng__client_stop(throng__client_t *c, throng_ending_t reason);

/* Frees what the client holds outside its handles (the loop has ended). */
void throng__client_free(throng__client_t *c);

/* ---- for the session style (session.c) ---- */

/* The session ended well: count it, call done, rest, start again. */
void throng__client_end_session(throng__client_t *c);

/* The session ended with a fault: count it (for request name index name,
 * or -1) and decide the client's fate. */
void throng__client_fault(throng__client_t *c, int name, throng_fault_t kind, const char *msg);

/* The request limit is spent: the client has nothing more to do. */
void throng__client_finish(throng__client_t *c);

/* Waits seconds on the client's timer, then throng__session_wake(). */
void throng__client_sleep(throng__client_t *c, double seconds);

/* Counts a completed exchange of conn (latency, status). */
void throng__client_count_response(throng__client_t *c, throng__conn_t *conn);

#endif
