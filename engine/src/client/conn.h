/* conn.h - one HTTP connection of a client: it connects when a request needs
 * it (with a TLS handshake for an https:// address), writes the request,
 * reads and parses the response, times both out,
 * keeps the connection alive when the server allows, and reports each
 * exchange's end to its owner through one callback. */
#ifndef THRONG_CONN_H
#define THRONG_CONN_H

#include <stdint.h>

#include <uv.h>

#include "client/exchange.h"
#include "client/host.h"
#include "client/tls.h"
#include "lua/shape.h"
#include "util/address.h"
#include "util/buf.h"
#include "util/http.h"
#include "throng.h"

typedef struct throng__conn throng__conn_t;

/* How the exchange x carried by conn ended: kind < 0 for a complete
 * response (in conn->res, which the owner releases), else the fault and
 * its message. The owner gives x its outcome; the conn only measures it
 * (bytes, connect time) on the way. Called exactly once per send. */
#define THRONG__CONN_OK (-1)
typedef void (*throng__conn_cb)(throng__conn_t *conn, throng__exchange_t *x, int kind,
                                const char *msg);

typedef enum {
    THRONG__CONN_IDLE,       /* no exchange */
    THRONG__CONN_CONNECTING, /* connecting for an exchange (the timer is the connect timeout),
                                or waiting in the thread's queue for a turn (no timer) */
    THRONG__CONN_HANDSHAKE,  /* connected, shaking hands over TLS (the timer: connect timeout) */
    THRONG__CONN_WAITING /* the request is written or being written (the timer is the timeout) */
} throng__conn_state_t;

/* What a conn needs only while an exchange is under way, lent by the
 * thread's pool (host->pool) from the connect attempt (or the request's
 * write, on an open connection) until the owner has handled the outcome:
 * an idle connection holds none, nor does one queued for a connect turn. */
typedef struct throng__conn_ex {
    throng__http_response_t res;
    int shape_rc;                 /* body SHAPE, once complete: 0 a table, -1 not one */
    throng__shape_stream_t shape; /* body SHAPE: the body scanned as it arrives */
    uint64_t started;             /* uv_hrtime() when the connect or the request began */
    uint64_t latency;             /* ns from the request written to the response complete */
    uint64_t ttfb;                /* ns from the request written to the response's first byte */
    uint64_t tls_started; /* uv_hrtime() when the TLS handshake began (the socket connected) */
} throng__conn_ex_t;

/* An idle conn holds its handles and a few pointers; everything an
 * exchange needs is lent while it is under way (ex, out, the connect
 * request), and TLS state is made at the first https:// connection. */
struct throng__conn {
    const throng__host_t *host;
    throng__ledger_t *ledger;      /* the host's: bytes that belong to no exchange */
    throng__bufpool_t *pool;       /* the host's: lends ex, out and connect requests */
    throng__http_budget_t *budget; /* the host's: what responses may hold at once */
    const throng__address_t *address;
    throng__conn_cb on_done;
    void *owner; /* the client; conn->owner for the callback */
    throng__conn_state_t state;

    /* The tcp handle is lent by the thread's pool per connection, from the
     * connect attempt until its close callback ran (a closed conn holds
     * none); the timer lives as long as the conn. */
    unsigned tcp_open : 1, tcp_closing : 1, connect_when_closed : 1, head : 1;
    unsigned queued : 1;     /* waiting in connects for a connect attempt */
    unsigned attempting : 1; /* its connect attempt counts in connects->in_flight */
    unsigned body : 2;       /* a throng__body_use_t: what the owner needs of the body */
    unsigned more : 7;       /* a pipeline: exchanges after x (x[1] ...) still to answer */
    unsigned released : 1;   /* set when an exchange is handed back (its callback may do it) */
    uv_tcp_t *tcp;
    uv_timer_t timer;             /* connect, handshake, or the response's deadline (due_ms) */
    uint64_t due_ms;              /* while waiting: the response's deadline, on the loop's clock */
    throng__connects_t *connects; /* the host's bound on connect attempts */
    throng__conn_t *wait_prev, *wait_next; /* its neighbours while queued */
    throng__exchange_t *x;                 /* the exchange being carried, until the callback */
    double timeout;                        /* its timeout, seconds */
    throng__conn_ex_t *ex; /* lent from the attempt until the owner is done (throng__conn_done) */
    throng__buf_t *out;    /* the request to send, lent from the pool until it is written */
    uint64_t client;       /* the owner's id, for log lines */
    throng__tls_t *tls;    /* an https:// address's TLS, made at its first connection; its
                              session outlives the socket */
};

/* The request buffer: the owner writes the request here before the send.
 * Lent from the thread's pool (emptied when first lent) until the request
 * is written or the exchange ends; NULL when memory runs out. */
throng__buf_t *throng__conn_out(throng__conn_t *c);

/* The response of the exchange that just completed: valid from the
 * callback until throng__conn_done. */
static inline throng__http_response_t *throng__conn_res(const throng__conn_t *c)
{
    return &c->ex->res;
}

/* The owner has handled the completed exchange's outcome: the response's
 * buffer (unless taken away), and the conn's exchange state, go back to
 * the thread's pool. Nothing when there is none. */
void throng__conn_done(throng__conn_t *c);

/* Prepares a conn on host's loop; on_done reports to owner. */
void throng__conn_init(throng__conn_t *c, throng__host_t *host, const throng__address_t *address,
                       throng__conn_cb on_done, void *owner, uint64_t client);

/* Sends the request in throng__conn_out(c) for the open exchange x, connecting first
 * when needed; on_done is called exactly once with the outcome, possibly
 * before this returns (a connect that fails at once). The conn must be
 * idle. body says what the owner needs of the response's body: kept
 * whole (within max_body), only its table shape (scanned as it streams,
 * never buffered, for throng__conn_shape) or nothing. name is the
 * request's label (for log lines). */
void throng__conn_send(throng__conn_t *c, throng__exchange_t *x, double timeout, int head,
                       throng__body_use_t body, const char *name, size_t name_len);

/* Pipelining: sends the n requests in throng__conn_out(c), one after
 * another, in one write for the open exchanges x[0] .. x[n-1] (n at most
 * THRONG__PIPELINE_MAX), and reads their responses in order on the
 * connection. on_done is called once per exchange, in order; for every
 * response but the last the conn is still under way in the callback
 * (throng__conn_idle() says 0), and its owner may close it. A fault ends
 * the exchange it came on, and the conn: the exchanges after it are left
 * open, for the owner to settle. Each answer's latency runs from the
 * write; the write's bytes are counted with x[0]. throng__conn_send is
 * this with n = 1. */
void throng__conn_send_n(throng__conn_t *c, throng__exchange_t *x, unsigned n, double timeout,
                         int head, throng__body_use_t body);

/* After a complete response whose body was asked for as SHAPE: 1 and the
 * table's rows and columns, or -1 and why it is not a table, in *out;
 * otherwise 0. */
static inline int throng__conn_shape(const throng__conn_t *c, throng__shape_t *out)
{
    if (!c->ex || c->body != THRONG__BODY_SHAPE) return 0;
    *out = c->ex->shape.out;
    return c->ex->shape_rc == 0 ? 1 : -1;
}

/* Closes the connection (the next send reconnects). An exchange under way
 * is dropped without a callback and handed back: its owner gives it its
 * outcome. Returns it, or NULL when the conn was idle. */
throng__exchange_t *throng__conn_close(throng__conn_t *c);

/* Ends the conn for good (worker shutdown): closes the connection and the
 * timer. Returns the exchange that was under way, or NULL. */
throng__exchange_t *throng__conn_stop(throng__conn_t *c);

/* 1 when no exchange is under way. */
static inline int throng__conn_idle(const throng__conn_t *c)
{
    return c->state == THRONG__CONN_IDLE;
}

/* Frees what the conn holds outside its handles (after the loop ended). */
void throng__conn_free(throng__conn_t *c);

#endif
