/* host.h - what a worker thread lends the clients it runs: its loop, its
 * persona, its books (the ledger), its name resolver, scratch buffers, the
 * group's settings and the log, and the one callback through which a
 * client tells its worker what became of it.
 *
 * The worker embeds one and fills it; clients, their sessions and their
 * connections read it and call the callback, and never reach the worker
 * itself. */
#ifndef THRONG_HOST_H
#define THRONG_HOST_H

#include <stdint.h>

#include <stdatomic.h>

#include <uv.h>

#include "client/exchange.h"
#include "client/tls.h"
#include "lua/persona.h"
#include "util/address.h"
#include "util/buf.h"
#include "util/http.h"
#include "util/source.h"
#include "util/stages.h"
#include "throng.h"

/* What a group's workers share, read-only while they run. */
typedef struct throng__worker_settings {
    throng__address_t address;
    throng__sources_t sources; /* local addresses to connect from, client k taking address
                                k mod sources.count (0: the system chooses); owned by the group */
    throng__tls_ctx_t *tls;    /* the group's TLS context (https:// servers), owned by the group */
    double timeout, connect_timeout; /* seconds */
    size_t max_body;                 /* bytes a response body may hold; 0: the default */
    size_t buffer_budget; /* bytes of responses a worker thread may hold at once; 0: no limit */
    throng_on_fault_t on_fault;
    unsigned request_count;
    double slow_down;
    double start_delay;       /* seconds before the group's clients start */
    double duration;          /* seconds the group runs once started; 0 = as long as the run */
    int once;                 /* each client runs one session, then is done */
    int keep_last_reply;      /* keep the last response's status and body */
    double expected_interval; /* seconds; > 0: record the corrected distribution too */
    /* The load model: the level over time from the group's start is the
     * number of clients running (closed) or arrivals per second (open).
     * A closed model with no schedule (load.n == 0) runs every client
     * from the start. */
    int open;                   /* arrivals on a schedule, each taken by a free client */
    throng_arrivals_t arrivals; /* open: how they are spaced */
    unsigned max_clients;       /* open: the group's pool cap */
    double arrivals_end;        /* open: seconds from the group's start after which no
                                   arrival falls due (the run's or the group's end);
                                   INFINITY, or 0: none */
    throng__schedule_t load;
    unsigned max_connecting; /* connect attempts in flight per worker thread; 0: no bound */
    throng_log_cb log;       /* where log lines go (NULL: dropped) */
    void *log_data;
    throng_log_level_t log_level;
} throng__worker_settings_t;

#define THRONG__READ_BUFFER (64 * 1024)

/* What a client tells its worker. After any of them the worker checks
 * whether its run is over, and may stop every client (this one too) before
 * the call returns: a client reports last, then looks at its own state. */
typedef enum {
    THRONG__CLIENT_ANSWER,         /* an exchange was answered (the response is given) */
    THRONG__CLIENT_EXCHANGE_ENDED, /* an exchange ended, and the client goes on */
    THRONG__CLIENT_SESSION_DONE,   /* a session completed */
    THRONG__CLIENT_LEFT,           /* the client left the run after a fault */
    THRONG__CLIENT_FINISHED        /* the client has nothing more to do (limit, once) */
} throng__client_event_t;

typedef struct throng__resolver throng__resolver_t;
typedef struct throng__host throng__host_t;

/* The thread's connect attempts: at most limit in flight (a TCP connect
 * under way, from uv_tcp_connect to its callback or timeout), so that a
 * thousand clients starting at once do not make the kernel search a
 * thousand free local ports in one loop turn, nor overflow the server's
 * accept queue, while every connect timer runs out unread. A connection
 * over the limit waits here, first come first served, without a timer
 * (its connect timeout counts from its attempt), and is started from the
 * loop's idle phase once an attempt ends: never inside another
 * connection's callback. The conns are linked through their own fields
 * (conn.c); a conn that closes while waiting leaves the queue. */
typedef struct throng__connects {
    unsigned limit;     /* 0: no bound (and the queue and its handle are unused) */
    unsigned in_flight; /* attempts under way */
    unsigned waiting;   /* conns queued */
    unsigned most;      /* the most attempts in flight at once so far (tests, logs) */
    struct throng__conn *head, *tail;
    uv_idle_t pump; /* started while attempts may start (conn.c) */
} throng__connects_t;

/* Prepares the queue on loop; limit 0 leaves it off. */
static inline void throng__connects_init(throng__connects_t *q, uv_loop_t *loop, unsigned limit)
{
    *q = (throng__connects_t){.limit = limit};
    if (limit) {
        uv_idle_init(loop, &q->pump);
        q->pump.data = q;
    }
}

/* Closes its handle (the loop's end); every conn has left it by then. */
static inline void throng__connects_close(throng__connects_t *q)
{
    if (q->limit && !uv_is_closing((uv_handle_t *)&q->pump))
        uv_close((uv_handle_t *)&q->pump, NULL);
}

struct throng__host {
    uv_loop_t *loop;
    const throng__worker_settings_t *set;
    throng__persona_t *persona; /* NULL for clients without Lua (tests of conn) */
    throng__ledger_t ledger;
    throng__resolver_t *resolver; /* client:connect()'s servers */
    throng__bufpool_t pool;       /* response buffers, lent to connections */
    throng__http_budget_t budget; /* what those buffers may hold at once (set by the conns) */
    throng__buf_t json;           /* scratch for encoding request.json */
    throng__connects_t connects;  /* the connect attempts' bound and queue */
    int log_level;                /* the run's log level, or -1 without a log callback */
    _Atomic int *stop_reason;     /* the worker's stop request (a throng_ending_t), set from
                                     another thread before the loop hears of it; NULL: none */

    /* The worker's ear; answer is the response for THRONG__CLIENT_ANSWER
     * (valid during the call only), else NULL. Never called for ANSWER in
     * a way that ends the run. */
    void (*report)(throng__host_t *h, throng__client_event_t ev,
                   const throng__http_response_t *answer);
    /* The client at index (in the worker's array) is out of the load: in
     * the open model, free for the next arrival (between sessions, or
     * between two requests of one); in the closed model, taken out by a
     * ramp (or a client that ran parked before the run's end). */
    void (*idle)(throng__host_t *h, unsigned index);

    char msg[512];                         /* fault messages are formatted here */
    char read_buffer[THRONG__READ_BUFFER]; /* every read of this thread lands here */
};

/* The run was asked to end: no hook starts any more (a stuck one would
 * hold the end up), even before the loop runs the stop itself. */
static inline int throng__host_stopping(const throng__host_t *h)
{
    return h->stop_reason &&
           atomic_load_explicit(h->stop_reason, memory_order_relaxed) != THRONG_END_NONE;
}

/* Writes a log line through the run's log callback. */
void throng__host_log(const throng__host_t *h, throng_log_level_t level, uint64_t client,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Logs when the level is wanted; below it the arguments are not even
 * evaluated, so debug lines cost nothing on the hot path. */
#define THRONG__LOG(h, level, client, ...)                                                         \
    do {                                                                                           \
        if ((int)(level) <= (h)->log_level) throng__host_log((h), (level), (client), __VA_ARGS__); \
    } while (0)
#define THRONG__DEBUG(h, client, ...) THRONG__LOG(h, THRONG_LOG_DEBUG, client, __VA_ARGS__)

#endif
