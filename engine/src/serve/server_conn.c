/* server_conn.c - one connection of the demonstration server: HTTP/1.1
 * requests parsed with llhttp, routed to a table (/Xy), a crunch
 * (/Multiply, /Divide) or /status, answered one at a time and in order
 * (keep-alive and pipelining), delayed by the latency timer when asked,
 * held by the same timer while the server is paused (--pause-at),
 * written straight from the thread's scratch buffer when the socket takes
 * them at once. Over TLS (server_tls.c) the same, with what the socket
 * reads decrypted before it is parsed and each piece of an answer
 * encrypted before it is written. */
#include <llhttp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "serve/server.h"
#include "serve/server_tls.h"

#define URL_MAX 256            /* longer request targets get 414 */
#define HEAD_MAX (16 * 1024)   /* request line and headers; more gets 431 */
#define BODY_INLINE 128        /* bodies this small need no allocation */
#define BODY_MAX (1024 * 1024) /* larger bodies get 413 */
#define LINGER_MS 1000         /* how long a closing connection drains input */
#define HEADER_LEN 160         /* room for the status line and headers of an answer */

typedef enum {
    CONN_READING,   /* parsing input; no answer outstanding */
    CONN_ANSWERING, /* an answer is delayed or being written; input waits */
    CONN_SHUTTING,  /* the last answer is written; our side is shutting down */
    CONN_LINGERING, /* input is drained until the peer closes or time runs out */
    CONN_CLOSED     /* handles are closing; freed in the last close callback */
} conn_state_t;

/* What the dice said a table or crunch request gets. */
typedef enum { FATE_TABLE, FATE_WRONG_SIZE, FATE_BUSY, FATE_DROP } conn_fate_t;

/* The request headers the server looks at. */
typedef enum { HEADER_OTHER, HEADER_CONTENT_TYPE, HEADER_EXPECT } conn_header_t;

struct throng__server_conn {
    uv_tcp_t tcp;
    uv_timer_t timer; /* the latency delay, a pause's hold, then the lingering close */
    uv_write_t write_req;
    uv_shutdown_t shutdown_req;
    llhttp_t parser;
    throng__server_thread_t *thread;
    throng__server_conn_t *prev, *next;
    conn_state_t state;
    int handles;    /* uv handles not yet closed */
    int reading;    /* uv_read_start() is in effect */
    int keep_alive; /* of the request being answered */
    int reject;     /* status found while parsing (413, 414, 431); -1 = close silently */

    /* The request being read. */
    size_t head_bytes;
    size_t url_len;
    char url[URL_MAX];
    char field[16];
    size_t field_len;
    char value[64];
    size_t value_len;
    conn_header_t header;
    int json_body;       /* Content-Type: application/json */
    int expect_continue; /* Expect: 100-continue */
    char *body;          /* body_inline, or the heap for a larger body */
    size_t body_len, body_cap;
    char body_inline[BODY_INLINE];

    /* The answer. */
    conn_fate_t fate;
    int held;                     /* the answer waited for a pause (counted once) */
    int crunch;                   /* a crunch, answered with result or fault, not a table */
    unsigned x, y;                /* a table's shape */
    double result;                /* a crunch's result, unless it faulted */
    const char *fault;            /* a crunch's fault condition (static), or NULL */
    throng__table_cursor_t table; /* the rest of a table answer's body */
    char *out;                    /* unsent bytes, when the socket was full */
    size_t out_cap;

    /* Input that arrived behind a request still being answered. */
    char *pending;
    size_t pending_len;

    int tls_on; /* the server serves HTTPS: every byte passes through tls */
    throng__server_tls_t tls;
};

static void conn_close(throng__server_conn_t *c);
static void on_timer(uv_timer_t *timer);
static void conn_consume(throng__server_conn_t *c, const char *data, size_t len);

/* ------------------------------------------------------------ lifecycle */

/* Frees what the connection holds; runs only once every handle is closed. */
static void conn_free(throng__server_conn_t *c)
{
    free(c->pending);
    free(c->out);
    if (c->body != c->body_inline) free(c->body);
    throng__server_tls_end(&c->tls);
    free(c);
}

/* Both handles close asynchronously; the second to finish frees. */
static void on_close(uv_handle_t *h)
{
    throng__server_conn_t *c = h->data;
    if (--c->handles == 0) conn_free(c);
}

/* Closing is idempotent, so every error path may simply call it. */
static void conn_close(throng__server_conn_t *c)
{
    if (c->state == CONN_CLOSED) return;
    c->state = CONN_CLOSED;
    if (c->prev)
        c->prev->next = c->next;
    else
        c->thread->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    uv_close((uv_handle_t *)&c->tcp, on_close);
    uv_close((uv_handle_t *)&c->timer, on_close);
}

/* A stopping thread closes every connection; each frees itself once its
 * handles are closed, and conn_close() unlinks it from the list. */
void throng__server_close_conns(throng__server_thread_t *t)
{
    while (t->conns)
        conn_close(t->conns);
}

/* Every read lands in the thread's buffer: idle connections hold none. */
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    throng__server_conn_t *c = h->data;
    *buf = uv_buf_init(c->thread->readbuf, sizeof c->thread->readbuf);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

/* Input is read only while it can be parsed at once (or drained): a client
 * that sends faster than it is answered waits in its own socket buffer. */
static void conn_update_reading(throng__server_conn_t *c)
{
    int want = (c->state == CONN_READING && c->pending_len == 0) || c->state == CONN_LINGERING;
    if (want && !c->reading) {
        if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) {
            conn_close(c);
            return;
        }
        c->reading = 1;
    } else if (!want && c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = 0;
    }
}

/* A closing connection still drains what the client sends for a while:
 * closing with unread input would reset the connection and could destroy
 * the answer before the client reads it. */
static void on_shutdown(uv_shutdown_t *req, int status)
{
    throng__server_conn_t *c = req->data;
    if (status < 0 || c->state != CONN_SHUTTING) {
        conn_close(c);
        return;
    }
    c->state = CONN_LINGERING;
    uv_timer_start(&c->timer, on_timer, LINGER_MS, 0);
    conn_update_reading(c);
}

static int tls_flush_loose(throng__server_conn_t *c);

/* The answer is out and the client wanted no more: send FIN (after TLS's
 * close_notify), then linger. */
static void conn_shutdown(throng__server_conn_t *c)
{
    if (c->tls_on && c->tls.done) {
        throng__server_tls_close_notify(&c->tls);
        tls_flush_loose(c);
    }
    c->state = CONN_SHUTTING;
    conn_update_reading(c);
    c->shutdown_req.data = c;
    if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, on_shutdown) != 0) conn_close(c);
}

/* --------------------------------------------------------------- writing */

/* The reason phrases of the statuses this server answers. */
static const char *status_text(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 431:
        return "Request Header Fields Too Large";
    default:
        return "Internal Server Error";
    }
}

/* Formats an answer's status line and headers into dst (HEADER_LEN bytes). */
static size_t format_head(char *dst, int status, const char *type, size_t body_len, int keep_alive)
{
    int n =
        snprintf(dst, HEADER_LEN,
                 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                 "Connection: %s\r\n\r\n",
                 status, status_text(status), type, body_len, keep_alive ? "keep-alive" : "close");
    return n > 0 && n < HEADER_LEN ? (size_t)n : 0;
}

/* Once the whole answer is out, the connection reads the next request, or
 * closes when the client asked for that. */
static void conn_answered(throng__server_conn_t *c)
{
    free(c->out); /* only large or slow answers needed it: idle connections hold none */
    c->out = NULL;
    c->out_cap = 0;
    if (c->body != c->body_inline) free(c->body);
    c->body = c->body_inline;
    c->body_cap = sizeof c->body_inline;
    if (!c->keep_alive) {
        conn_shutdown(c);
        return;
    }
    c->state = CONN_READING;
}

/* Parses the input that waited behind an answer, after an asynchronous
 * step (a write or the latency timer) finished that answer. */
static void conn_continue(throng__server_conn_t *c)
{
    if (c->state != CONN_READING) return;
    char *data = c->pending;
    size_t len = c->pending_len;
    c->pending = NULL;
    c->pending_len = 0;
    if (data) conn_consume(c, data, len);
    free(data);
    if (c->state == CONN_READING) conn_update_reading(c);
}

/* The next piece of a table answer, written into the thread's scratch. */
static size_t conn_next_chunk(throng__server_conn_t *c)
{
    throng__server_thread_t *t = c->thread;
    return throng__table_write(&t->pool, &c->table, t->scratch, sizeof t->scratch);
}

static void conn_send(throng__server_conn_t *c, const char *buf, size_t n);

/* The socket took the rest of a piece: write the next one, or finish the
 * answer and read the requests waiting behind it. */
static void on_write(uv_write_t *req, int status)
{
    throng__server_conn_t *c = req->data;
    if (status < 0 || c->state != CONN_ANSWERING) {
        conn_close(c);
        return;
    }
    size_t n = conn_next_chunk(c);
    if (n > 0)
        conn_send(c, c->thread->scratch, n);
    else
        conn_answered(c);
    conn_continue(c);
}

/* The socket is full: the unsent bytes move to the connection's own buffer
 * until uv_write() has sent them. */
static void conn_write_rest(throng__server_conn_t *c, const char *buf, size_t n)
{
    if (c->out_cap < n) {
        char *out = realloc(c->out, n);
        if (!out) {
            conn_close(c);
            return;
        }
        c->out = out;
        c->out_cap = n;
    }
    memcpy(c->out, buf, n);
    uv_buf_t b = uv_buf_init(c->out, (unsigned)n);
    c->write_req.data = c;
    if (uv_write(&c->write_req, (uv_stream_t *)&c->tcp, &b, 1, on_write) != 0) conn_close(c);
}

/* TLS bytes outside an answer (handshake flights, 100 Continue, the
 * closing alert): written at once when the socket takes them, else queued
 * with a request of their own (libuv keeps queued writes in order, and
 * uv_try_write() declines while any is queued). 0, or -1. */
typedef struct loose_write {
    uv_write_t req;
    char data[];
} loose_write_t;

static void on_loose_written(uv_write_t *req, int status)
{
    throng__server_conn_t *c = req->data;
    free(req); /* the first member of its loose_write_t */
    if (status < 0 && status != UV_ECANCELED) conn_close(c);
}

static int tls_flush_loose(throng__server_conn_t *c)
{
    const char *data;
    size_t n = throng__server_tls_output(&c->tls, &data);
    if (n == 0) return 0;
    uv_buf_t b = uv_buf_init((char *)data, (unsigned)n);
    int r = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    if (r == UV_EAGAIN) r = 0;
    if (r >= 0 && (size_t)r < n) {
        loose_write_t *q = malloc(sizeof *q + (n - (size_t)r));
        if (!q) {
            r = UV_ENOMEM;
        } else {
            memcpy(q->data, data + r, n - (size_t)r);
            q->req.data = c;
            b = uv_buf_init(q->data, (unsigned)(n - (size_t)r));
            r = uv_write(&q->req, (uv_stream_t *)&c->tcp, &b, 1, on_loose_written);
            if (r < 0) free(q);
        }
    }
    throng__server_tls_taken(&c->tls);
    return r < 0 ? -1 : 0;
}

/* conn_send over TLS: each piece encrypted, the ciphertext written as a
 * plain answer's bytes are, the socket's backpressure pacing the pieces. */
static void conn_send_tls(throng__server_conn_t *c, const char *buf, size_t n)
{
    while (n > 0) {
        if (throng__server_tls_write(&c->tls, buf, n) != 0) {
            conn_close(c);
            return;
        }
        const char *data;
        size_t len = throng__server_tls_output(&c->tls, &data);
        uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
        int r = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
        if (r == UV_EAGAIN) r = 0;
        if (r < 0) {
            throng__server_tls_taken(&c->tls);
            conn_close(c);
            return;
        }
        if ((size_t)r < len) {
            conn_write_rest(c, data + r, len - (size_t)r);
            throng__server_tls_taken(&c->tls);
            return;
        }
        throng__server_tls_taken(&c->tls);
        n = conn_next_chunk(c);
        buf = c->thread->scratch;
    }
    conn_answered(c);
}

/* Writes buf[0..n) and then the rest of the answer. Most answers leave in
 * one uv_try_write() with no copy; a full socket falls back to uv_write(). */
static void conn_send(throng__server_conn_t *c, const char *buf, size_t n)
{
    if (c->tls_on) {
        conn_send_tls(c, buf, n);
        return;
    }
    while (n > 0) {
        uv_buf_t b = uv_buf_init((char *)buf, (unsigned)n);
        int r = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
        if (r == UV_EAGAIN) r = 0;
        if (r < 0) {
            conn_close(c);
            return;
        }
        if ((size_t)r < n) {
            conn_write_rest(c, buf + r, n - (size_t)r);
            return;
        }
        n = conn_next_chunk(c);
        buf = c->thread->scratch;
    }
    conn_answered(c);
}

/* Answers with a small body given whole. */
static void answer_body(throng__server_conn_t *c, int status, const char *type, const char *body,
                        size_t len)
{
    char *dst = c->thread->scratch;
    size_t head = format_head(dst, status, type, len, c->keep_alive);
    memcpy(dst + head, body, len);
    c->table.stage = 3; /* nothing more to write after this */
    conn_send(c, dst, head + len);
}

/* Answers a client error with a one-line explanation. */
static void answer_error(throng__server_conn_t *c, int status, const char *why)
{
    char line[256];
    int n = snprintf(line, sizeof line, "%s\n", why);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    throng__count(&c->thread->counters.requests);
    throng__count(&c->thread->counters.bad);
    answer_body(c, status, "text/plain", line, len);
}

/* Answers with a table of rows x cols; its body is written as it goes. */
static void answer_table(throng__server_conn_t *c, unsigned cols, unsigned rows)
{
    throng__server_thread_t *t = c->thread;
    size_t head = format_head(t->scratch, 200, "application/json",
                              throng__table_body_len(cols, rows), c->keep_alive);
    unsigned start = (unsigned)(throng__rng_next(&t->rng) % THRONG__TABLE_STARTS);
    throng__table_cursor_init(&c->table, cols, rows, start);
    size_t body =
        throng__table_write(&t->pool, &c->table, t->scratch + head, sizeof t->scratch - head);
    throng__count(&t->counters.requests);
    throng__count(&t->counters.tables);
    conn_send(c, t->scratch, head + body);
}

/* Answers a crunch with its result, made wrong when asked so that clients'
 * checks can be tested, or with its fault and status 500. */
static void answer_crunch(throng__server_conn_t *c, int wrong)
{
    throng__server_thread_t *t = c->thread;
    char body[256];
    size_t n;
    int status = 200;
    if (c->fault) {
        n = throng__crunch_fault_json(body, sizeof body, c->fault);
        status = 500;
    } else {
        double v = wrong ? throng__crunch_wrong(c->result) : c->result;
        n = throng__crunch_output_json(body, sizeof body, v);
    }
    throng__count(&t->counters.requests);
    throng__count(&t->counters.crunch);
    answer_body(c, status, "application/json", body, n);
}

/* GET /status: the counters of every thread, never delayed nor counted. */
static void answer_status(throng__server_conn_t *c)
{
    throng_server_stats_t stats;
    char body[512];
    throng__server_totals(c->thread->server, &stats);
    size_t n = throng__table_status_json(body, sizeof body, &stats);
    answer_body(c, 200, "application/json", body, n);
}

/* ------------------------------------------------------------- answering */

/* Gives a table or crunch request the answer its fate says, after any
 * latency. */
static void conn_deliver(throng__server_conn_t *c)
{
    throng__server_thread_t *t = c->thread;
    switch (c->fate) {
    case FATE_DROP:
        throng__count(&t->counters.dropped);
        conn_close(c);
        break;
    case FATE_BUSY:
        throng__count(&t->counters.requests);
        throng__count(&t->counters.busy);
        answer_body(c, 500, "application/json", throng__table_busy_body, throng__table_busy_len);
        break;
    case FATE_WRONG_SIZE:
        if (c->crunch)
            answer_crunch(c, 1);
        else
            answer_table(c, c->x, c->y + 1);
        break;
    case FATE_TABLE:
        if (c->crunch)
            answer_crunch(c, 0);
        else
            answer_table(c, c->x, c->y);
        break;
    }
}

/* An answer is due: it goes now, unless the server is paused; then the
 * timer holds it until the pause ends (and on_timer asks again, since a
 * loop's clock may fire the timer a little early). */
static void conn_due(throng__server_conn_t *c)
{
    throng__server_thread_t *t = c->thread;
    const throng__server_settings_t *s = t->settings;
    if (s->npauses > 0) {
        uint64_t now = uv_hrtime();
        uint64_t origin = atomic_load_explicit(s->pause_origin, memory_order_relaxed);
        uint64_t until = throng__pause_until(s->pauses, s->npauses, origin, now);
        if (until > 0) {
            if (!c->held) throng__count(&t->counters.held);
            c->held = 1;
            uv_timer_start(&c->timer, on_timer, (until - now + 999999) / 1000000, 0);
            return;
        }
    }
    conn_deliver(c);
}

/* The latency timer (and a pause's hold) also ends a lingering close. */
static void on_timer(uv_timer_t *timer)
{
    throng__server_conn_t *c = timer->data;
    if (c->state != CONN_ANSWERING) {
        conn_close(c);
        return;
    }
    conn_due(c);
    conn_continue(c);
}

/* Decides with the thread's generator whether the request is dropped,
 * answered Busy, or answered wrong (a table of the wrong size, a wrong
 * result); each share is drawn on its own so that each flag alone means
 * exactly its share. */
static conn_fate_t draw_fate(throng__server_thread_t *t)
{
    const throng__server_settings_t *s = t->settings;
    if (s->drop > 0 && throng__rng_double(&t->rng) < s->drop) return FATE_DROP;
    if (s->busy > 0 && throng__rng_double(&t->rng) < s->busy) return FATE_BUSY;
    if (s->wrong_size > 0 && throng__rng_double(&t->rng) < s->wrong_size) return FATE_WRONG_SIZE;
    return FATE_TABLE;
}

/* A valid table or crunch request: its fate is drawn now, answered after
 * the latency and any pause. */
static void conn_schedule(throng__server_conn_t *c)
{
    throng__server_thread_t *t = c->thread;
    c->fate = draw_fate(t);
    c->held = 0;
    /* The first request, on any thread, sets the origin; a plain load
     * first, so that later requests do not write the shared line. */
    if (t->settings->pause_from_first &&
        atomic_load_explicit(t->settings->pause_origin, memory_order_relaxed) == 0) {
        uint64_t none = 0;
        atomic_compare_exchange_strong(t->settings->pause_origin, &none, uv_hrtime());
    }
    if (t->settings->latency_ms == 0) {
        conn_due(c);
        return;
    }
    uv_timer_start(&c->timer, on_timer, t->settings->latency_ms, 0);
}

/* POST /Xy with a JSON body, or GET /Xy?x=X&y=Y. */
static void route_table(throng__server_conn_t *c, const char *query, size_t query_len)
{
    unsigned x, y;
    const char *why;
    int rc;
    if (c->parser.method == HTTP_POST) {
        if (!c->json_body) {
            answer_error(c, 415, "the body must be sent as Content-Type: application/json");
            return;
        }
        rc = throng__table_parse_json(c->body, c->body_len, &x, &y, &why);
    } else if (c->parser.method == HTTP_GET) {
        rc = throng__table_parse_query(query, query_len, &x, &y, &why);
    } else {
        answer_error(c, 405, "/Xy takes POST or GET");
        return;
    }
    if (rc != 0) {
        answer_error(c, 400, why);
        return;
    }
    c->crunch = 0;
    c->x = x;
    c->y = y;
    conn_schedule(c);
}

/* POST /Multiply or /Divide with a JSON body: the crunch operations of the
 * described system. Their result is computed now; a fault it raises (a
 * division by zero) is an answer like any other, Busy or delay included. */
static void route_crunch(throng__server_conn_t *c, throng__crunch_op_t op, const char *takes)
{
    double x, y;
    const char *why;
    if (c->parser.method != HTTP_POST) {
        answer_error(c, 405, takes);
        return;
    }
    if (!c->json_body) {
        answer_error(c, 415, "the body must be sent as Content-Type: application/json");
        return;
    }
    if (throng__crunch_parse_json(c->body, c->body_len, &x, &y, &why) != 0) {
        answer_error(c, 400, why);
        return;
    }
    c->crunch = 1;
    c->fault = NULL;
    throng__crunch_compute(op, x, y, &c->result, &c->fault);
    conn_schedule(c);
}

/* Whether the request's path, path[0..len), is want. */
static int path_is(const char *path, size_t len, const char *want)
{
    return len == strlen(want) && memcmp(path, want, len) == 0;
}

/* Answers a complete request: the parser is paused on it until then. */
static void conn_dispatch(throng__server_conn_t *c)
{
    c->state = CONN_ANSWERING;
    const char *query = memchr(c->url, '?', c->url_len);
    size_t path_len = query ? (size_t)(query - c->url) : c->url_len;
    size_t query_len = query ? c->url_len - path_len - 1 : 0;
    if (path_is(c->url, path_len, "/Xy")) {
        route_table(c, query ? query + 1 : "", query_len);
    } else if (path_is(c->url, path_len, "/Multiply")) {
        route_crunch(c, THRONG__CRUNCH_MULTIPLY, "/Multiply takes POST");
    } else if (path_is(c->url, path_len, "/Divide")) {
        route_crunch(c, THRONG__CRUNCH_DIVIDE, "/Divide takes POST");
    } else if (path_is(c->url, path_len, "/status")) {
        if (c->parser.method == HTTP_GET)
            answer_status(c);
        else
            answer_error(c, 405, "/status takes GET");
    } else {
        answer_error(c, 404,
                     "no such path: the service answers /Xy, /Multiply, /Divide and /status");
    }
}

/* Answers input that is not HTTP, or too large, then closes. */
static void conn_refuse(throng__server_conn_t *c)
{
    c->state = CONN_ANSWERING;
    c->keep_alive = 0;
    switch (c->reject) {
    case -1:
        conn_close(c);
        break;
    case 413:
        answer_error(c, 413, "the body is larger than 1 MiB");
        break;
    case 414:
        answer_error(c, 414, "the request target is too long");
        break;
    case 431:
        answer_error(c, 431, "the request headers are too large");
        break;
    default: {
        const char *reason = llhttp_get_error_reason(&c->parser);
        answer_error(c, 400, reason ? reason : "malformed request");
        break;
    }
    }
}

/* ---------------------------------------------------------------- input */

/* Feeds input to the parser until a request is complete (it pauses there)
 * or the input runs out; returns the bytes consumed. */
static size_t conn_parse(throng__server_conn_t *c, const char *data, size_t len)
{
    llhttp_errno_t err = llhttp_execute(&c->parser, data, len);
    if (err == HPE_OK) return len;
    if (err == HPE_PAUSED) {
        size_t used = (size_t)(llhttp_get_error_pos(&c->parser) - data);
        llhttp_resume(&c->parser); /* nothing is parsed until the answer is out */
        conn_dispatch(c);
        return used;
    }
    conn_refuse(c);
    return len;
}

/* Keeps input that came behind a request being answered. */
static void conn_keep_pending(throng__server_conn_t *c, const char *data, size_t len)
{
    char *p = realloc(c->pending, c->pending_len + len);
    if (!p) {
        conn_close(c);
        return;
    }
    memcpy(p + c->pending_len, data, len);
    c->pending = p;
    c->pending_len += len;
}

/* Parses and answers requests in order, as long as each is answered at
 * once; the rest waits in pending until the current answer is out. */
static void conn_consume(throng__server_conn_t *c, const char *data, size_t len)
{
    while (len > 0 && c->state == CONN_READING) {
        size_t used = conn_parse(c, data, len);
        data += used;
        len -= used;
    }
    if (len > 0 && c->state == CONN_ANSWERING && c->keep_alive) conn_keep_pending(c, data, len);
    if (c->state != CONN_CLOSED) conn_update_reading(c);
}

/* A plain HTTP request came to the TLS port: say so in plain HTTP, as
 * nginx does, then close. */
static void tls_refuse_plain(throng__server_conn_t *c)
{
    static const char answer[] = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
                                 "Content-Length: 43\r\nConnection: close\r\n\r\n"
                                 "a plain HTTP request sent to an HTTPS port\n";
    throng__count(&c->thread->counters.bad);
    uv_buf_t b = uv_buf_init((char *)answer, sizeof answer - 1);
    if (uv_try_write((uv_stream_t *)&c->tcp, &b, 1) != (int)b.len) {
        conn_close(c);
        return;
    }
    conn_shutdown(c);
}

/* Ciphertext read: the handshake's, then records whose plaintext is parsed
 * as a plain connection's input is (the read buffer is free again once
 * TLS has copied its input, so the plaintext lands in it). */
static void on_read_tls(throng__server_conn_t *c, const char *data, size_t n)
{
    if (c->state != CONN_READING) return; /* lingering: drained */
    if (throng__server_tls_feed(&c->tls, data, n) != 0) {
        conn_close(c);
        return;
    }
    if (!c->tls.done) {
        int h = throng__server_tls_handshake(&c->tls);
        if (h == THRONG__SERVER_TLS_PLAIN) {
            tls_refuse_plain(c);
            return;
        }
        if (tls_flush_loose(c) != 0 || h < 0) { /* an alert went out first */
            conn_close(c);
            return;
        }
        if (h == 0) return;
    }
    char *plain = c->thread->readbuf;
    while (c->state == CONN_READING || c->state == CONN_ANSWERING) {
        int r = throng__server_tls_read(&c->tls, plain, sizeof c->thread->readbuf);
        if (r == 0) break;
        if (r < 0) { /* the client closed the stream, or sent garbage */
            conn_close(c);
            return;
        }
        conn_consume(c, plain, (size_t)r);
    }
    if (c->state != CONN_CLOSED && tls_flush_loose(c) != 0) conn_close(c);
}

/* Reads are parsed while reading; a lingering connection drops them. */
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    throng__server_conn_t *c = s->data;
    if (nread < 0) {
        conn_close(c); /* the end of input, or an error: no request is left to answer */
        return;
    }
    if (c->tls_on)
        on_read_tls(c, buf->base, (size_t)nread);
    else if (c->state == CONN_READING)
        conn_consume(c, buf->base, (size_t)nread);
}

/* ------------------------------------------------------ parser callbacks */

/* Each request starts from a clean slate; the body buffer is kept. */
static int on_message_begin(llhttp_t *p)
{
    throng__server_conn_t *c = p->data;
    c->head_bytes = 0;
    c->url_len = 0;
    c->field_len = 0;
    c->value_len = 0;
    c->header = HEADER_OTHER;
    c->json_body = 0;
    c->expect_continue = 0;
    c->body_len = 0;
    return 0;
}

/* Bounds what a client may send before its body: nothing is kept of most
 * headers, but an endless header must not keep the connection forever. */
static int head_grow(throng__server_conn_t *c, size_t len)
{
    c->head_bytes += len;
    if (c->head_bytes <= HEAD_MAX) return 0;
    c->reject = 431;
    return -1;
}

/* The target may come in pieces; it is kept whole for routing. */
static int on_url(llhttp_t *p, const char *at, size_t len)
{
    throng__server_conn_t *c = p->data;
    if (c->url_len + len > sizeof c->url) {
        c->reject = 414;
        return -1;
    }
    memcpy(c->url + c->url_len, at, len);
    c->url_len += len;
    return head_grow(c, len);
}

/* Only short names can be ones we look for, so only those are kept. */
static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
    throng__server_conn_t *c = p->data;
    if (c->field_len + len <= sizeof c->field) memcpy(c->field + c->field_len, at, len);
    c->field_len += len;
    return head_grow(c, len);
}

/* Names are matched case-insensitively, as HTTP wants. */
static int on_header_field_complete(llhttp_t *p)
{
    throng__server_conn_t *c = p->data;
    c->header = HEADER_OTHER;
    if (c->field_len == 12 && strncasecmp(c->field, "Content-Type", 12) == 0)
        c->header = HEADER_CONTENT_TYPE;
    else if (c->field_len == 6 && strncasecmp(c->field, "Expect", 6) == 0)
        c->header = HEADER_EXPECT;
    c->field_len = 0;
    c->value_len = 0;
    return 0;
}

/* Values are kept only for the headers we look at. */
static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
    throng__server_conn_t *c = p->data;
    if (c->header != HEADER_OTHER && c->value_len + len <= sizeof c->value)
        memcpy(c->value + c->value_len, at, len);
    c->value_len += len;
    return head_grow(c, len);
}

/* Content-Type must be application/json, parameters (charset) allowed. */
static int is_json_type(const char *v, size_t len)
{
    static const char json[] = "application/json";
    size_t n = sizeof json - 1;
    if (len < n || strncasecmp(v, json, n) != 0) return 0;
    return len == n || v[n] == ';' || v[n] == ' ' || v[n] == '\t';
}

/* Judges a Content-Type or Expect value once it is whole. */
static int on_header_value_complete(llhttp_t *p)
{
    throng__server_conn_t *c = p->data;
    size_t len = c->value_len;
    if (len > sizeof c->value) return 0; /* too long to be a value we care for */
    while (len > 0 && (c->value[len - 1] == ' ' || c->value[len - 1] == '\t'))
        len--;
    if (c->header == HEADER_CONTENT_TYPE)
        c->json_body = is_json_type(c->value, len);
    else if (c->header == HEADER_EXPECT)
        c->expect_continue = len == 12 && strncasecmp(c->value, "100-continue", 12) == 0;
    return 0;
}

/* A body announced too large is refused before it is sent; a client that
 * waits for "100 Continue" is told to go on. */
static int on_headers_complete(llhttp_t *p)
{
    static const char go_on[] = "HTTP/1.1 100 Continue\r\n\r\n";
    throng__server_conn_t *c = p->data;
    if (p->content_length > BODY_MAX) {
        c->reject = 413;
        return -1;
    }
    if (c->expect_continue && c->tls_on) {
        if (throng__server_tls_write(&c->tls, go_on, sizeof go_on - 1) != 0 ||
            tls_flush_loose(c) != 0) {
            c->reject = -1;
            return -1;
        }
    } else if (c->expect_continue) {
        uv_buf_t b = uv_buf_init((char *)go_on, sizeof go_on - 1);
        if (uv_try_write((uv_stream_t *)&c->tcp, &b, 1) != (int)b.len) {
            c->reject = -1; /* a half-written interim answer cannot be finished */
            return -1;
        }
    }
    return 0;
}

/* Small bodies stay inline; a larger one grows on the heap up to BODY_MAX. */
static int on_body(llhttp_t *p, const char *at, size_t len)
{
    throng__server_conn_t *c = p->data;
    if (c->body_len + len > BODY_MAX) {
        c->reject = 413;
        return -1;
    }
    if (c->body_len + len > c->body_cap) {
        size_t cap = c->body_cap * 2 > c->body_len + len ? c->body_cap * 2 : c->body_len + len;
        char *body = c->body == c->body_inline ? malloc(cap) : realloc(c->body, cap);
        if (!body) {
            c->reject = -1;
            return -1;
        }
        if (c->body == c->body_inline) memcpy(body, c->body_inline, c->body_len);
        c->body = body;
        c->body_cap = cap;
    }
    memcpy(c->body + c->body_len, at, len);
    c->body_len += len;
    return 0;
}

/* Pausing here answers requests one at a time, in order. */
static int on_message_complete(llhttp_t *p)
{
    throng__server_conn_t *c = p->data;
    /* After an upgrade or CONNECT the stream is no longer HTTP: answer, then close. */
    c->keep_alive = llhttp_should_keep_alive(p) && !p->upgrade;
    return HPE_PAUSED;
}

static const llhttp_settings_t parser_settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_header_field_complete = on_header_field_complete,
    .on_header_value_complete = on_header_value_complete,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* ---------------------------------------------------------------- accept */

/* Sets up a connection in its thread's loop; reading starts at once. */
void throng__server_accept(uv_stream_t *listener, int status)
{
    throng__server_thread_t *t = listener->data;
    if (status < 0) return;
    throng__server_conn_t *c = calloc(1, sizeof *c);
    if (!c) return;
    c->thread = t;
    c->body = c->body_inline;
    c->body_cap = sizeof c->body_inline;
    uv_tcp_init(&t->loop, &c->tcp);
    uv_timer_init(&t->loop, &c->timer);
    c->tcp.data = c;
    c->timer.data = c;
    c->handles = 2;
    c->state = CONN_READING;
    c->next = t->conns;
    if (t->conns) t->conns->prev = c;
    t->conns = c;
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0) {
        conn_close(c);
        return;
    }
    throng__count(&t->counters.connections);
    uv_tcp_nodelay(&c->tcp, 1);
    if (t->settings->tls) {
        if (throng__server_tls_begin(&c->tls, t->settings->tls) != 0) {
            conn_close(c);
            return;
        }
        c->tls_on = 1;
    }
    llhttp_init(&c->parser, HTTP_REQUEST, &parser_settings);
    c->parser.data = c;
    conn_update_reading(c);
}
