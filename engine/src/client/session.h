/* session.h - the session style: a persona's session(self, client) runs as
 * a coroutine, and the client object's methods (get, post, concurrently,
 * sleep, connect, ...) yield to the engine until what they wait for has
 * happened. A session tells its owner (the client) how it ended through
 * one callback; the exchanges it began end with it. */
#ifndef THRONG_SESSION_H
#define THRONG_SESSION_H

#include <lua.h>
#include <uv.h>

#include "client/conn.h"
#include "client/exchange.h"
#include "client/host.h"
#include "lua/lua_throng.h"

/* A connection and the exchange it carries. conn comes first: a conn's
 * callback finds its lane from it. */
typedef struct throng__lane {
    throng__conn_t conn;
    throng__exchange_t x;
    unsigned slot;               /* session style: where this exchange's response goes */
    int role;                    /* session style: what an extra connection serves this session */
    int cookies;                 /* the response's Set-Cookie lines go to the client's jar */
    struct throng__redirect *rd; /* follow = N: the exchange's hops (client/redirect.h) */
    double timeout;              /* the exchange's, for its hops */
    int head, body_use;
} throng__lane_t;

/* Ends the lane's exchange, if one is begun and has no outcome, as the
 * end of the run makes it: faulted aborted when the run was stopped
 * (aborted), else cancelled; and closes the connection. */
void throng__lane_settle(throng__lane_t *lane, int aborted);

/* How a session ended. */
typedef enum {
    THRONG__SESSION_OK,    /* the session function returned */
    THRONG__SESSION_FAULT, /* an exchange faulted, a check failed, or a script error (counted) */
    THRONG__SESSION_SPENT  /* the request limit was reached: the client has nothing more to do */
} throng__session_end_t;

typedef void (*throng__session_cb)(void *owner, throng__session_end_t how, throng_fault_t kind,
                                   const char *msg);

typedef struct throng__session {
    throng__host_t *host;
    throng__lua_caller_t *who; /* the client's generator and id */
    int self;                  /* the persona instance (registry reference) */
    throng__lane_t *main;      /* the client's own connection */
    throng__session_cb on_end;
    void *owner;
    uv_timer_t timer; /* client:sleep */

    lua_State *co;       /* the coroutine (NULL between sessions) */
    int co_ref;          /* keeps it alive */
    int object_ref;      /* the client object passed to session(self, client) */
    uint64_t generation; /* counts sessions, so a connection object knows its own */
    unsigned waiting;    /* exchanges the coroutine waits for */
    int results_ref;     /* the responses so far, by slot */
    unsigned nresults;
    int live_ref; /* the responses whose buffers the client's next exchange gives back */
    unsigned nlive;
    unsigned answered;      /* exchanges answered in this session */
    uint64_t intended_ns;   /* open model: the arrival's intended time, for the session's
                               first exchange (uv_hrtime(); 0: none) */
    unsigned running : 1;   /* inside lua_resume */
    unsigned ready : 1;     /* what the coroutine waits for arrived while it ran */
    unsigned faulted : 1;   /* an exchange it waits for faulted */
    unsigned sleeping : 1;  /* waiting for client:sleep */
    unsigned stopped : 1;   /* the run ended for this session's client */
    unsigned by_method : 1; /* the coroutine's yield came from a client method */
    int fault_kind;
    char fault_msg[256];
    /* client:transaction: the one open (they do not nest), for the session
     * of generation txn_generation only */
    int txn;                 /* its index in the stats' transactions */
    uint64_t txn_start_ns;   /* uv_hrtime() at its start */
    uint64_t txn_generation; /* the session it was opened in; 0: none open */
    unsigned txn_failed : 1; /* a check failed inside it */
    throng__lane_t **extra;  /* connections beyond the first: concurrently, connect() */
    unsigned nextra;
} throng__session_t;

/* Before a new request's buffer is taken: the lane back to its own
 * server after a redirect took it to another (its connection closed). */
void throng__lane_home(throng__lane_t *lane);

/* Sets up req's cookies and the persona's compressed = true for a request
 * of who's on lane (lua_request.h). */
void throng__lane_prepare(throng__lane_t *lane, throng__lua_caller_t *who,
                          throng__request_out_t *req);

/* The lane's answered exchange, res: its Set-Cookie lines to who's jar. */
void throng__lane_keep_cookies(throng__lane_t *lane, throng__lua_caller_t *who,
                               const throng__http_response_t *res);

/* After encoding req into the lane's buffer: arms the lane's redirects
 * with follow hops (the request's follow, else the persona's, else dflt).
 * 0, or -1 when memory ran out. */
int throng__lane_arm(throng__lane_t *lane, throng__lua_caller_t *who,
                     const throng__request_out_t *req, int dflt);

/* The lane's exchange was answered: 1 when a redirect's next hop is under
 * way on it (its response comes to the conn's callback again, the
 * exchange still open), 0 when the answer is final, -1 when the exchange
 * faults with the reason in msg. resolver, when not NULL, lets a hop go
 * to another server (the session style); else only to the lane's own. */
int throng__lane_follow(throng__lane_t *lane, throng__lua_caller_t *who,
                        struct throng__resolver *resolver, char *msg, size_t msglen);

/* Frees what the lane holds besides its conn. */
void throng__lane_free(throng__lane_t *lane);

/* After an answered exchange: the redirect state goes (about 1.3 KB with
 * its copy of the request), so that a thinking client holds none; the next
 * request that may follow makes it again. A lane on another server keeps
 * it, to find its way home (throng__lane_home). */
void throng__lane_rest(throng__lane_t *lane);

/* Registers the client and connection objects' metatables in a state. */
void throng__session_open(lua_State *L);

/* Prepares the session side of a client: main is its own connection,
 * on_end(owner, ...) hears how each session ended. */
void throng__session_init(throng__session_t *s, throng__host_t *host, throng__lua_caller_t *who,
                          int self, throng__lane_t *main, throng__session_cb on_end, void *owner);

/* Runs a new session: a fresh coroutine calling session(self, client). */
void throng__session_start(throng__session_t *s);

/* The connections' callback in the session style (owner: the session). */
void throng__session_on_exchange(throng__conn_t *conn, throng__exchange_t *x, int kind,
                                 const char *msg);

/* The session is over: drops the coroutine, cancels every exchange still
 * open on its connections (the client's own among them) and closes them. */
void throng__session_end(throng__session_t *s);

/* The run ended: every open exchange is settled (aborted, or cancelled)
 * and every handle of the session closed. */
void throng__session_stop(throng__session_t *s, int aborted);

/* Frees the extra connections (after the loop ended). */
void throng__session_free(throng__session_t *s);

#endif
