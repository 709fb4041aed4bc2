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

struct throng__conn {
    const throng__host_t *host;
    throng__ledger_t *ledger; /* the host's: bytes that belong to no exchange */
    const throng__address_t *address;
    throng__conn_cb on_done;
    void *owner; /* the client; conn->owner for the callback */
    throng__conn_state_t state;

    /* The tcp handle is re-initialised per connection, only after the
     * previous one's close callback ran; the timer lives as long as the conn. */
    uv_tcp_t tcp;
    uv_connect_t connect_req;
    uv_write_t write_req;
    uv_timer_t timer;
    unsigned tcp_open : 1, tcp_closing : 1, connect_when_closed : 1, head : 1;
    unsigned queued : 1;                   /* waiting in connects for a connect attempt */
    unsigned attempting : 1;               /* its connect attempt counts in connects->in_flight */
    throng__connects_t *connects;          /* the host's bound on connect attempts */
    throng__conn_t *wait_prev, *wait_next; /* its neighbours while queued */
    throng__body_use_t body;      /* what the exchange's owner needs of the response's body */
    int shape_rc;                 /* body SHAPE, once complete: 0 a table, -1 not one */
    throng__shape_stream_t shape; /* body SHAPE: the body scanned as it arrives */

    throng__exchange_t *x; /* the exchange being carried, until the callback */
    throng__buf_t out;     /* the request to send; kept for reuse */
    char *pending;         /* what a partial write left over (rare) */
    throng__http_response_t res;
    double timeout;       /* this exchange's timeout, seconds */
    uint64_t started;     /* uv_hrtime() when the connect or the request began */
    uint64_t latency;     /* ns from the request written to the response complete */
    uint64_t ttfb;        /* ns from the request written to the response's first byte */
    uint64_t client;      /* the owner's id, for log lines */
    uint64_t tls_started; /* uv_hrtime() when the TLS handshake began (the socket connected) */
    throng__tls_t tls;    /* an https:// address's TLS; its session outlives the socket */
    char name[48];        /* the request's name, kept for debug log lines only */
};

/* Prepares a conn on host's loop; on_done reports to owner. */
void throng__conn_init(throng__conn_t *c, throng__host_t *host, const throng__address_t *address,
                       throng__conn_cb on_done, void *owner, uint64_t client);

/* Sends the request in c->out for the open exchange x, connecting first
 * when needed; on_done is called exactly once with the outcome, possibly
 * before this returns (a connect that fails at once). The conn must be
 * idle. body says what the owner needs of the response's body: kept
 * whole (within max_body), only its table shape (scanned as it streams,
 * never buffered, for throng__conn_shape) or nothing. name is the
 * request's label (for log lines). */
void throng__conn_send(throng__conn_t *c, throng__exchange_t *x, double timeout, int head,
                       throng__body_use_t body, const char *name, size_t name_len);

/* After a complete response whose body was asked for as SHAPE: 1 and the
 * table's rows and columns, or -1 and why it is not a table, in *out;
 * otherwise 0. */
static inline int throng__conn_shape(const throng__conn_t *c, throng__shape_t *out)
{
    if (c->body != THRONG__BODY_SHAPE) return 0;
    *out = c->shape.out;
    return c->shape_rc == 0 ? 1 : -1;
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
