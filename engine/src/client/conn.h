/* conn.h - one HTTP connection of a client: it connects when a request needs
 * it, writes the request, reads and parses the response, times both out,
 * keeps the connection alive when the server allows, and reports each
 * exchange's end to its owner through one callback. */
#ifndef THRONG_CONN_H
#define THRONG_CONN_H

#include <stdint.h>

#include <uv.h>

#include "util/address.h"
#include "util/buf.h"
#include "util/http.h"
#include "throng.h"

typedef struct throng__worker throng__worker_t;
typedef struct throng__conn throng__conn_t;

/* How an exchange ended: kind < 0 for a complete response (in conn->res,
 * which the owner releases), else the fault and its message. */
#define THRONG__CONN_OK (-1)
typedef void (*throng__conn_cb)(throng__conn_t *conn, int kind, const char *msg);

typedef enum {
    THRONG__CONN_IDLE,       /* no exchange */
    THRONG__CONN_CONNECTING, /* connecting for an exchange (the timer is the connect timeout) */
    THRONG__CONN_WAITING /* the request is written or being written (the timer is the timeout) */
} throng__conn_state_t;

struct throng__conn {
    throng__worker_t *w;
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

    throng__buf_t out; /* the request to send; kept for reuse */
    char *pending;     /* what a partial write left over (rare) */
    throng__http_response_t res;
    double timeout;   /* this exchange's timeout, seconds */
    uint64_t started; /* uv_hrtime() when the connect or the request began */
    uint64_t latency; /* ns from the request written to the response complete */
    uint64_t ttfb;    /* ns from the request written to the response's first byte */
    int name_idx;     /* the request name's index in the worker's stats */
    uint64_t client;  /* the owner's id, for log lines */
    char name[48];    /* the request's name, kept for debug log lines only */
    unsigned slot;    /* session style: where this exchange's response goes */
    int role;         /* session style: what an extra connection serves this session */
};

void throng__conn_init(throng__conn_t *c, throng__worker_t *w, const throng__address_t *address,
                       throng__conn_cb on_done, void *owner, uint64_t client);

/* Sends the request in c->out, connecting first when needed; on_done is
 * called once, later, with the outcome. The conn must be idle. name is the
 * request's label (for log lines). */
void throng__conn_send(throng__conn_t *c, double timeout, int head, const char *name,
                       size_t name_len);

/* Closes the connection (the next send reconnects). An exchange in flight
 * is dropped without a callback; the owner decides what it was. */
void throng__conn_close(throng__conn_t *c);

/* Ends the conn for good (worker shutdown): closes the connection and the
 * timer. Returns 1 when an exchange was under way (connecting or waiting). */
int throng__conn_stop(throng__conn_t *c);

/* Frees what the conn holds outside its handles (after the loop ended). */
void throng__conn_free(throng__conn_t *c);

#endif
