/* conn.c - a client's HTTP connection and its exchanges.
 *
 * One exchange at a time: connect if the connection is not open, write the
 * request (directly when the socket takes it all, the usual case), parse
 * the response as it arrives into a buffer borrowed from the thread's pool,
 * and report the end to the owner. A connection the server closes while
 * idle is closed quietly and reopened by the next exchange.
 *
 * For an https:// address TLS sits between the socket and the parser
 * (tls.c): the handshake runs between the connect and the first request,
 * within the connect timeout; what the socket reads goes to TLS, the
 * plaintext it gives back to the parser, and the request is encrypted
 * before it is written. A TLS failure ends the exchange as a `tls` fault
 * with OpenSSL's reason. */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/conn.h"
#include "lua/lua_request.h"
#include "stats/stats.h"

static void connect_now(throng__conn_t *c);
static void write_request(throng__conn_t *c);

static uint64_t ms_of(double seconds)
{
    return seconds <= 0 ? 0 : (uint64_t)llround(seconds * 1000.0);
}

/* Sets the response's deadline, timeout seconds after since_ns
 * (uv_hrtime). A libuv timer counts from the loop's clock, read when this
 * iteration of the loop began: on a busy loop that may be milliseconds
 * before since_ns, and a request would time out before it had waited its
 * timeout. The timer of an earlier exchange on the connection, left
 * running when its response came (release), is kept when it is due first:
 * on_timer then finds the deadline ahead and starts it again for the rest.
 * So a keep-alive connection's timer is started once per timeout, not
 * stopped and started in libuv's heap for every request. */
static void on_timer(uv_timer_t *t);
static void start_timer_from(throng__conn_t *c, uint64_t since_ns, double timeout)
{
    uint64_t ms = ms_of(timeout), since_ms = since_ns / 1000000, loop_ms = uv_now(c->host->loop);
    if (ms) ms += (since_ms > loop_ms ? since_ms - loop_ms : 0) + 1; /* +1: both clocks floored */
    c->due_ms = loop_ms + ms;
    if (ms && uv_is_active((uv_handle_t *)&c->timer) && uv_timer_get_due_in(&c->timer) <= ms)
        return;
    uv_timer_start(&c->timer, on_timer, ms, 0);
}

static void on_tcp_closed(uv_handle_t *h)
{
    throng__conn_t *c = h->data;
    throng__bufpool_block_put(c->pool, h, sizeof *c->tcp); /* libuv is done with it */
    c->tcp = NULL;
    c->tcp_open = c->tcp_closing = 0;
    if (c->tls) throng__tls_end(c->tls); /* the kept session stays for the next handshake */
    if (c->connect_when_closed) {
        c->connect_when_closed = 0;
        connect_now(c);
    }
}

/* Closes the socket, if open, and gives back the response buffer. */
static void close_tcp(throng__conn_t *c)
{
    if (c->tcp_open && !c->tcp_closing) {
        THRONG__DEBUG(c->host, c->client, "closing the connection to %s", c->address->authority);
        c->tcp_closing = 1;
        uv_close((uv_handle_t *)c->tcp, on_tcp_closed);
    }
    if (c->ex) throng__http_response_release(&c->ex->res);
}

/* ------------------------------------------ state lent while under way */

static throng__bufpool_t *pool_of(const throng__conn_t *c)
{
    return c->pool;
}

/* Gives the request buffer back to the thread's pool. */
static void put_out(throng__conn_t *c)
{
    throng__bufpool_put(pool_of(c), c->out);
    c->out = NULL;
}

/* Gives the exchange state back (its response's buffer and budget first). */
static void put_ex(throng__conn_t *c)
{
    if (!c->ex) return;
    throng__http_response_release(&c->ex->res);
    throng__bufpool_block_put(pool_of(c), c->ex, sizeof *c->ex);
    c->ex = NULL;
}

/* The exchange state for a send: the one still attached (its owner did
 * not say it was done), or one from the pool. NULL when memory runs out. */
static throng__conn_ex_t *take_ex(throng__conn_t *c)
{
    if (c->ex) return c->ex;
    throng__conn_ex_t *ex = throng__bufpool_block(pool_of(c), sizeof *ex);
    if (!ex) return NULL;
    memset(ex, 0, sizeof *ex);
    throng__http_response_init(&ex->res, pool_of(c));
    if (c->host->set->max_body) ex->res.max_body = c->host->set->max_body;
    ex->res.budget = c->budget;
    return c->ex = ex;
}

throng__buf_t *throng__conn_out(throng__conn_t *c)
{
    if (!c->out) c->out = throng__bufpool_get(pool_of(c));
    return c->out;
}

void throng__conn_done(throng__conn_t *c)
{
    if (c->state == THRONG__CONN_IDLE) put_ex(c);
}

/* ------------------------------------------- the bound on connect attempts */

static void pump_connects(uv_idle_t *idle);

/* Joins the queue's tail. */
static void queue_wait(throng__conn_t *c)
{
    throng__connects_t *q = c->connects;
    c->queued = 1;
    c->wait_next = NULL;
    c->wait_prev = q->tail;
    if (q->tail)
        q->tail->wait_next = c;
    else
        q->head = c;
    q->tail = c;
    q->waiting++;
    THRONG__DEBUG(c->host, c->client,
                  "connect to %s waits: %u attempts in flight (at most %u), %u waiting",
                  c->address->authority, q->in_flight, q->limit, q->waiting);
}

/* Leaves the queue, from wherever it stands. */
static void queue_leave(throng__conn_t *c)
{
    throng__connects_t *q = c->connects;
    assert(c->queued && q->waiting > 0);
    if (c->wait_prev)
        c->wait_prev->wait_next = c->wait_next;
    else
        q->head = c->wait_next;
    if (c->wait_next)
        c->wait_next->wait_prev = c->wait_prev;
    else
        q->tail = c->wait_prev;
    c->wait_prev = c->wait_next = NULL;
    c->queued = 0;
    q->waiting--;
}

/* The conn's attempt ended (connected, failed, timed out or closed): the
 * next waiting conn gets its turn from the loop's idle phase. */
static void attempt_over(throng__conn_t *c)
{
    throng__connects_t *q = c->connects;
    if (!c->attempting) return;
    c->attempting = 0;
    assert(q->in_flight > 0);
    q->in_flight--;
    if (q->waiting && !uv_is_closing((uv_handle_t *)&q->pump))
        uv_idle_start(&q->pump, pump_connects);
}

/* Hands the exchange back: the conn is idle again. */
static throng__exchange_t *release(throng__conn_t *c)
{
    if (c->queued) queue_leave(c);
    attempt_over(c);
    throng__exchange_t *x = c->state != THRONG__CONN_IDLE ? c->x : NULL;
    c->x = NULL;
    c->more = 0;
    c->released = 1;
    /* A response's deadline timer is left running (start_timer_from). */
    if (c->state != THRONG__CONN_WAITING) uv_timer_stop(&c->timer);
    c->state = THRONG__CONN_IDLE;
    return x;
}

/* Ends the exchange with a fault: the connection cannot be trusted. */
static void fail(throng__conn_t *c, throng_fault_t kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(throng__conn_t *c, throng_fault_t kind, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    throng__exchange_t *x = release(c);
    close_tcp(c);
    put_ex(c);
    put_out(c);
    c->on_done(c, x, (int)kind, msg);
}

static void begin_response(throng__conn_t *c);

/* A pipeline's response, not its last, is complete in c->ex->res: its
 * exchange is answered while the conn stays under way for the next one.
 * 1 when the conn goes on reading for it; 0 when the owner ended the conn
 * in its callback, or the server will not send more (the next exchange
 * faulted here). */
static int answer_in_pipeline(throng__conn_t *c, int keep_alive)
{
    throng__exchange_t *x = c->x;
    c->ex->latency = uv_hrtime() - c->ex->started;
    if (c->body == THRONG__BODY_SHAPE) c->ex->shape_rc = throng__shape_end(&c->ex->shape);
    THRONG__DEBUG(c->host, c->client, "pipelined response received: status %d, %.3fms, %u to come",
                  c->ex->res.status, (double)c->ex->latency * 1e-6, (unsigned)c->more);
    c->x = x + 1;
    c->more--;
    c->released = 0;
    c->on_done(c, x, THRONG__CONN_OK, NULL);
    if (c->released) return 0; /* its owner closed the conn, and may have sent again */
    if (!keep_alive) {
        fail(c, THRONG_FAULT_ABANDONED,
             "the server ended the connection with %u pipelined requests unanswered",
             (unsigned)c->more + 1);
        return 0;
    }
    begin_response(c);
    return 1;
}

/* Ends the exchange with a complete response in c->ex->res. */
static void complete(throng__conn_t *c, int keep_alive)
{
    if (c->more > 0) { /* a pipeline's response, delimited by the connection's end */
        (void)answer_in_pipeline(c, keep_alive);
        return;
    }
    c->ex->latency = uv_hrtime() - c->ex->started;
    throng__exchange_t *x = release(c);
    if (c->body == THRONG__BODY_SHAPE) c->ex->shape_rc = throng__shape_end(&c->ex->shape);
    THRONG__DEBUG(c->host, c->client, "response received: status %d, %llu bytes%s, %.3fms",
                  c->ex->res.status, (unsigned long long)c->ex->res.body_bytes,
                  c->body == THRONG__BODY_KEEP ? "" : " (streamed, not kept)",
                  (double)c->ex->latency * 1e-6);
    if (!keep_alive && c->tcp_open && !c->tcp_closing) {
        /* Close the socket but keep the response for the owner. */
        THRONG__DEBUG(c->host, c->client, "closing the connection to %s (no keep-alive)",
                      c->address->authority);
        c->tcp_closing = 1;
        uv_close((uv_handle_t *)c->tcp, on_tcp_closed);
    }
    c->on_done(c, x, THRONG__CONN_OK, NULL);
}

static void on_timer(uv_timer_t *t)
{
    throng__conn_t *c = t->data;
    if (c->state == THRONG__CONN_CONNECTING)
        fail(c, THRONG_FAULT_NOT_CONNECTED, "connect to %s timed out after %gs",
             c->address->authority, c->host->set->connect_timeout);
    else if (c->state == THRONG__CONN_HANDSHAKE)
        fail(c, THRONG_FAULT_TLS, "TLS handshake with %s timed out after %gs",
             c->address->authority, c->host->set->connect_timeout);
    else if (c->state == THRONG__CONN_WAITING && c->due_ms > uv_now(c->host->loop))
        uv_timer_start(t, on_timer, c->due_ms - uv_now(c->host->loop), 0); /* a later deadline */
    else if (c->state == THRONG__CONN_WAITING)
        fail(c, THRONG_FAULT_TIMED_OUT, "no complete response within %gs", c->timeout);
}

/* Bytes a full socket left over, queued with a write request of their
 * own (rare): a plain request's rest, or TLS's ciphertext, which may have
 * several flights out at once. */
typedef struct queued_write {
    uv_write_t req;
    char data[];
} queued_write_t;

static void on_written(uv_write_t *req, int status)
{
    throng__conn_t *c = req->data;
    free(req); /* the first member of its queued_write_t */
    if (status < 0 && status != UV_ECANCELED && c->state == THRONG__CONN_WAITING)
        fail(c, THRONG_FAULT_ABANDONED, "sending the request failed: %s", uv_strerror(status));
}

/* Writes c->out: directly when the socket takes it all, else the rest is
 * copied and queued. */
static int write_out(throng__conn_t *c)
{
    uv_buf_t ub = uv_buf_init(c->out->data, (unsigned)c->out->len);
    int n = uv_try_write((uv_stream_t *)c->tcp, &ub, 1);
    if (n == UV_EAGAIN) n = 0;
    if (n < 0) return n;
    if ((size_t)n == c->out->len) return 0;
    size_t rest = c->out->len - (size_t)n;
    queued_write_t *q = malloc(sizeof *q + rest);
    if (!q) return UV_ENOMEM;
    memcpy(q->data, c->out->data + n, rest);
    ub = uv_buf_init(q->data, (unsigned)rest);
    q->req.data = c;
    int rc = uv_write(&q->req, (uv_stream_t *)c->tcp, &ub, 1, on_written);
    if (rc < 0) free(q);
    return rc;
}

static void on_tls_written(uv_write_t *req, int status)
{
    throng__conn_t *c = req->data;
    free(req); /* the first member of its queued_write_t */
    if (status < 0 && status != UV_ECANCELED && c->state != THRONG__CONN_IDLE)
        fail(c, c->state == THRONG__CONN_HANDSHAKE ? THRONG_FAULT_TLS : THRONG_FAULT_ABANDONED,
             "sending to %s failed: %s", c->address->authority, uv_strerror(status));
}

/* Writes what TLS has for the server: directly when the socket takes it
 * all, else the rest is copied and queued (libuv keeps queued writes in
 * order, and uv_try_write() declines while any is queued). */
static int tls_flush(throng__conn_t *c)
{
    const char *data;
    size_t n = throng__tls_output(c->tls, &data);
    if (n == 0) return 0;
    uv_buf_t ub = uv_buf_init((char *)data, (unsigned)n);
    int w = uv_try_write((uv_stream_t *)c->tcp, &ub, 1);
    if (w == UV_EAGAIN) w = 0;
    if (w >= 0 && (size_t)w < n) {
        size_t rest = n - (size_t)w;
        queued_write_t *q = malloc(sizeof *q + rest);
        if (!q) {
            w = UV_ENOMEM;
        } else {
            memcpy(q->data, data + w, rest);
            q->req.data = c;
            ub = uv_buf_init(q->data, (unsigned)rest);
            w = uv_write(&q->req, (uv_stream_t *)c->tcp, &ub, 1, on_tls_written);
            if (w < 0) free(q);
        }
    }
    throng__tls_sent(c->tls, n);
    return w < 0 ? w : 0;
}

/* The handshake as far as the server's bytes allow; once done, the
 * request goes out. */
static void handshake_step(throng__conn_t *c)
{
    int rc = throng__tls_handshake(c->tls);
    int w = tls_flush(c); /* an alert too, when it failed */
    if (rc < 0) {
        fail(c, THRONG_FAULT_TLS, "TLS handshake with %s: %s", c->address->authority,
             c->tls->error);
        return;
    }
    if (w < 0) {
        fail(c, THRONG_FAULT_TLS, "TLS handshake with %s: sending failed: %s",
             c->address->authority, uv_strerror(w));
        return;
    }
    if (rc == 0) return;
    uint64_t took = uv_hrtime() - c->ex->tls_started;
    uv_timer_stop(&c->timer);
    throng__exchange_tls(c->x, took, c->tls->resumed);
    THRONG__DEBUG(c->host, c->client, "TLS handshake with %s done in %.0fus%s",
                  c->address->authority, (double)took * 1e-3,
                  c->tls->resumed ? " (session resumed)" : "");
    write_request(c);
}

/* The socket is connected to an https:// address: shake hands first. */
static void start_tls(throng__conn_t *c)
{
    const throng__host_t *h = c->host;
    c->state = THRONG__CONN_HANDSHAKE;
    c->ex->tls_started = uv_hrtime();
    if (!h->set->tls) {
        fail(c, THRONG_FAULT_TLS, "TLS with %s: no TLS context", c->address->authority);
        return;
    }
    if (!c->tls && !(c->tls = calloc(1, sizeof *c->tls))) {
        fail(c, THRONG_FAULT_TLS, "TLS with %s: out of memory", c->address->authority);
        return;
    }
    if (throng__tls_begin(c->tls, h->set->tls, c->address->host, c->address) != 0) {
        fail(c, THRONG_FAULT_TLS, "TLS with %s: %s", c->address->authority, c->tls->error);
        return;
    }
    uv_timer_start(&c->timer, on_timer, ms_of(h->set->connect_timeout), 0);
    handshake_step(c);
}

/* A piece of a body asked for as SHAPE. */
static void shape_piece(void *data, const char *at, size_t n)
{
    throng__shape_feed(data, at, n);
}

/* Readies the parser for the next response. */
static void begin_response(throng__conn_t *c)
{
    c->ex->shape_rc = -1;
    c->ex->ttfb = 0;
    throng__http_response_reset(&c->ex->res, c->head);
    if (c->body == THRONG__BODY_SHAPE) {
        throng__shape_begin(&c->ex->shape);
        throng__http_response_stream(&c->ex->res, shape_piece, &c->ex->shape);
    } else if (c->body == THRONG__BODY_DISCARD) {
        throng__http_response_stream(&c->ex->res, NULL, NULL);
    }
}

/* The connection is open: write the request (a pipeline's requests, all
 * in one write) and wait for the response. */
static void write_request(throng__conn_t *c)
{
    const throng__host_t *h = c->host;
    if (!take_ex(c)) {
        fail(c, THRONG_FAULT_ABANDONED, "out of memory for the exchange");
        return;
    }
    begin_response(c);
    c->state = THRONG__CONN_WAITING;
    c->ex->started = uv_hrtime();
    for (unsigned i = 0; i <= c->more; i++)
        c->x[i].sent_ns = c->ex->started; /* the exchanges' service time starts here */
    throng__exchange_bytes(c->x, c->out->len, 0);
    if (c->address->tls && throng__tls_write(c->tls, c->out->data, c->out->len) != 0) {
        fail(c, THRONG_FAULT_TLS, "encrypting the request failed: %s", c->tls->error);
        return;
    }
    int rc = c->address->tls ? tls_flush(c) : write_out(c);
    if (rc < 0) {
        fail(c, THRONG_FAULT_ABANDONED, "sending the request failed: %s", uv_strerror(rc));
        return;
    }
    start_timer_from(c, c->ex->started, c->timeout);
    if (THRONG_LOG_DEBUG <= h->log_level) {
        /* The request line without its " HTTP/1.1". */
        const char *line = c->out->data, *eol = memchr(line, '\r', c->out->len);
        int n = eol ? (int)(eol - line) : 0;
        while (n > 0 && line[n - 1] != ' ')
            n--;
        if (n > 0) n--;
        const throng__stats_t *st = c->x->ledger->stats;
        THRONG__DEBUG(h, c->client, "request sent: %.*s (name %s, %zu bytes, timeout %gs)%s%u", n,
                      line, c->x->name >= 0 ? st->names[c->x->name]->name : "", c->out->len,
                      c->timeout, c->more ? ", pipelined with " : "", (unsigned)c->more);
    }
    put_out(c); /* the socket, the queued write or TLS has what it needs */
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    throng__conn_t *c = h->data;
    /* Reads are handled before the next one starts: one buffer per thread. */
    *buf = uv_buf_init((char *)c->host->read_buffer, THRONG__READ_BUFFER);
}

/* The connection ended or failed while reading. */
static void on_read_end(throng__conn_t *c, ssize_t err)
{
    if (c->state == THRONG__CONN_HANDSHAKE) {
        fail(c, THRONG_FAULT_TLS, "TLS handshake with %s: %s", c->address->authority,
             err == UV_EOF ? "the server closed the connection" : uv_strerror((int)err));
        return;
    }
    if (c->state != THRONG__CONN_WAITING) {
        THRONG__DEBUG(c->host, c->client, "the server closed the idle connection: %s",
                      uv_strerror((int)err));
        close_tcp(c); /* reopened when needed */
        return;
    }
    if (err == UV_EOF) {
        int rc = throng__http_response_eof(&c->ex->res);
        if (rc == 1 && c->address->tls && !throng__tls_close_notified(c->tls)) {
            /* A body delimited by the connection's end is whole only if
             * TLS says the stream ended: a bare TCP close may cut it. */
            fail(c, THRONG_FAULT_TLS,
                 "TLS with %s: the server closed without close_notify: the body may be "
                 "truncated",
                 c->address->authority);
            return;
        }
        if (rc == 1) {
            complete(c, 0);
            return;
        }
        fail(c, THRONG_FAULT_ABANDONED, "%s",
             rc == 0 ? "the server closed the connection without answering" : c->ex->res.error);
        return;
    }
    fail(c, THRONG_FAULT_ABANDONED, "connection lost while waiting: %s", uv_strerror((int)err));
}

/* Response bytes (plaintext): parsed for the exchange waiting, or, when
 * none waits, the end of a connection that cannot be trusted. */
static void received(throng__conn_t *c, const char *data, ssize_t nread)
{
    if (c->state != THRONG__CONN_WAITING) {
        /* Nobody asked (a second response to one request, say): the
         * connection cannot be trusted any more. A protocol event of the
         * connection, not a failed request: every request so far got its
         * answer. */
        THRONG__DEBUG(c->host, c->client,
                      "the server sent %zd bytes while no request was waiting; closing", nread);
        throng__ledger_unsolicited(c->ledger, (uint64_t)nread);
        close_tcp(c);
        return;
    }
    size_t n = (size_t)nread;
    for (;;) {
        if (!c->ex->ttfb) c->ex->ttfb = uv_hrtime() - c->ex->started;
        size_t used = 0;
        int rc = throng__http_response_feed(&c->ex->res, data, n, &used);
        /* A pipeline's response counts the bytes it used; the next one,
         * the rest. */
        throng__exchange_bytes(c->x, 0, rc == 1 && c->more > 0 ? used : n);
        if (rc < 0) {
            fail(c, THRONG_FAULT_HTTP_ERROR, "%s", c->ex->res.error);
            return;
        }
        if (rc == 0) return;
        if (c->more > 0) { /* the next response of a pipeline may follow */
            if (!answer_in_pipeline(c, throng__http_response_keep_alive(&c->ex->res))) return;
            data += used;
            n -= used;
            if (n == 0) return;
            continue;
        }
        /* Bytes after the response mean the connection cannot carry another
         * request; the response itself stands. They were unsolicited, as
         * are bytes arriving later while no request waits (their bytes
         * are already the exchange's). */
        if (used < n) throng__ledger_unsolicited(c->ledger, 0);
        complete(c, used == n && throng__http_response_keep_alive(&c->ex->res));
        return;
    }
}

/* 1 while the socket is open and not closing: a callback may have closed it. */
static int socket_live(const throng__conn_t *c)
{
    return c->tcp_open && !c->tcp_closing;
}

/* Ciphertext from the server: the handshake's, or records whose plaintext
 * goes to the parser. The read buffer is free again once TLS has copied
 * its input, so the plaintext lands in it. */
static void received_tls(throng__conn_t *c, const char *data, size_t n)
{
    if (throng__tls_feed(c->tls, data, n) != 0) {
        if (c->state == THRONG__CONN_IDLE)
            close_tcp(c);
        else
            fail(c, THRONG_FAULT_TLS, "TLS with %s: %s", c->address->authority, c->tls->error);
        return;
    }
    if (c->state == THRONG__CONN_HANDSHAKE) handshake_step(c);
    char *plain = (char *)c->host->read_buffer;
    while (socket_live(c) && c->tls->done) {
        int r = throng__tls_read(c->tls, plain, THRONG__READ_BUFFER);
        if (r == 0) break;
        if (r == THRONG__TLS_CLOSED) {
            on_read_end(c, UV_EOF);
        } else if (r < 0) {
            if (c->state == THRONG__CONN_IDLE) {
                THRONG__DEBUG(c->host, c->client, "TLS error on the idle connection: %s",
                              c->tls->error);
                close_tcp(c);
            } else {
                fail(c, THRONG_FAULT_TLS, "TLS with %s: %s", c->address->authority, c->tls->error);
            }
        } else {
            received(c, plain, r);
            continue;
        }
        break;
    }
    /* Reading may have produced something to send (a key update's answer). */
    if (socket_live(c) && tls_flush(c) < 0) close_tcp(c);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    throng__conn_t *c = s->data;
    if (nread == 0) return;
    if (nread < 0) {
        on_read_end(c, nread);
        return;
    }
    if (c->address->tls)
        received_tls(c, buf->base, (size_t)nread);
    else
        received(c, buf->base, nread);
}

/* "connected from 127.0.0.1:40312 to 127.0.0.1:5050 in 85us" */
static void log_connected(throng__conn_t *c)
{
    struct sockaddr_storage local, remote;
    int llen = sizeof local, rlen = sizeof remote;
    char ltext[64] = "?", rtext[64] = "?";
    if (uv_tcp_getsockname(c->tcp, (struct sockaddr *)&local, &llen) == 0)
        throng__sockaddr_text((struct sockaddr *)&local, ltext, sizeof ltext);
    if (uv_tcp_getpeername(c->tcp, (struct sockaddr *)&remote, &rlen) == 0)
        throng__sockaddr_text((struct sockaddr *)&remote, rtext, sizeof rtext);
    THRONG__DEBUG(c->host, c->client, "connected from %s to %s in %.0fus", ltext, rtext,
                  (double)(uv_hrtime() - c->ex->started) * 1e-3);
}

static void on_connect(uv_connect_t *req, int status)
{
    throng__conn_t *c = req->data;
    throng__bufpool_block_put(pool_of(c), req, sizeof *req); /* libuv is done with it */
    if (status == UV_ECANCELED || c->state != THRONG__CONN_CONNECTING) return;
    uv_timer_stop(&c->timer);
    if (status < 0) {
        fail(c, THRONG_FAULT_NOT_CONNECTED, "connect to %s: %s", c->address->authority,
             uv_strerror(status));
        return;
    }
    attempt_over(c);
    throng__exchange_connected(c->x, uv_hrtime() - c->ex->started);
    if (THRONG_LOG_DEBUG <= c->host->log_level) log_connected(c);
    if (c->address->tls)
        start_tls(c);
    else
        write_request(c);
}

#ifndef IP_LOCAL_PORT_RANGE
#define IP_LOCAL_PORT_RANGE 51 /* Linux 6.3's, for older headers */
#endif

/* Makes c's handle with the socket of a connect attempt, its options set
 * before the bind or connect that picks its local port. libuv opens the
 * socket non-blocking (uv_tcp_open of a socket of ours would cost an
 * ioctl more), and TCP_NODELAY goes on before the connect, not after it.
 * IP_LOCAL_PORT_RANGE (Linux 6.3), set to the widest range, which the
 * kernel narrows to its ip_local_port_range, makes connect() search the
 * ports in turn from where the last search for that destination ended.
 * Without a range of its own a socket takes even ports first and an odd
 * one only after scanning every even one: past about 14,000 connections to
 * one destination (and source) each connect scans some 14,000 ports, the
 * loop spends seconds in the kernel for each thousand, and connect timers
 * run out unread. An older
 * kernel refuses the option, and the search stays as it was. no_port:
 * IP_BIND_ADDRESS_NO_PORT, for a bind that leaves the port to connect().
 * 0 with the handle open (c->tcp_open), or a negative libuv error with no
 * handle made. */
static int open_socket(throng__conn_t *c, int family, int no_port)
{
    if (!(c->tcp = throng__bufpool_block(pool_of(c), sizeof *c->tcp))) return UV_ENOMEM;
    int rc = uv_tcp_init_ex(c->host->loop, c->tcp, (unsigned)family);
    if (rc < 0) {
        throng__bufpool_block_put(pool_of(c), c->tcp, sizeof *c->tcp);
        c->tcp = NULL;
        return rc;
    }
    c->tcp->data = c;
    c->tcp_open = 1;
    uv_os_fd_t fd;
    if ((rc = uv_fileno((const uv_handle_t *)c->tcp, &fd)) < 0) return rc;
    uint32_t range = 0xffffu << 16 | 1u; /* high << 16 | low */
    (void)setsockopt(fd, IPPROTO_IP, IP_LOCAL_PORT_RANGE, &range, sizeof range);
#ifdef IP_BIND_ADDRESS_NO_PORT
    int on = 1; /* without it (an old kernel) the bind takes a port itself */
    if (no_port) (void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on);
#else
    (void)no_port;
#endif
    return uv_tcp_nodelay(c->tcp, 1);
}

/* Binds the socket about to connect to the client's source address
 * (--source): client k takes address k mod n. IP_BIND_ADDRESS_NO_PORT,
 * set before the bind, leaves the port to connect(), which may then give
 * one port to several destinations: the kernel's ~28,000 ports count per
 * source and destination, not per source. A failed bind (an address that
 * is not local: EADDRNOTAVAIL) is a not-connected fault naming the address;
 * it happens before any packet is sent. 0, or -1 with the exchange failed. */
static int bind_source(throng__conn_t *c)
{
    const throng__sources_t *src = &c->host->set->sources;
    struct sockaddr_storage ss;
    throng__sources_pick(src, c->client, &ss);
    char text[64];
    throng__sources_text((struct sockaddr *)&ss, text, sizeof text);
    if (ss.ss_family != c->address->sa.ss_family) { /* client:connect()'s servers */
        fail(c, THRONG_FAULT_NOT_CONNECTED, "connect to %s from source %s: not the same family",
             c->address->authority, text);
        return -1;
    }
    int rc = open_socket(c, ss.ss_family, 1);
    if (rc == 0) rc = uv_tcp_bind(c->tcp, (const struct sockaddr *)&ss, 0);
    if (rc < 0) {
        fail(c, THRONG_FAULT_NOT_CONNECTED, "connect to %s: bind to source %s: %s (%s)",
             c->address->authority, text, uv_strerror(rc), uv_err_name(rc));
        return -1;
    }
    THRONG__DEBUG(c->host, c->client, "bound to source %s", text);
    return 0;
}

/* Starts the TCP connect; the connect timeout counts from here. */
static void attempt(throng__conn_t *c)
{
    const throng__host_t *h = c->host;
    throng__connects_t *q = c->connects;
    if (!take_ex(c)) {
        fail(c, THRONG_FAULT_NOT_CONNECTED, "connect to %s: out of memory for the exchange",
             c->address->authority);
        return;
    }
    c->ex->started = uv_hrtime();
    THRONG__DEBUG(h, c->client, "connecting to %s", c->address->authority);
    if (h->set->sources.count) {
        if (bind_source(c) != 0) return; /* before it takes a slot */
    } else {
        int rc = open_socket(c, c->address->sa.ss_family, 0);
        if (rc < 0) {
            fail(c, THRONG_FAULT_NOT_CONNECTED, "connect to %s: %s", c->address->authority,
                 uv_strerror(rc));
            return;
        }
    }
    if (q->limit) {
        c->attempting = 1;
        if (++q->in_flight > q->most) q->most = q->in_flight;
    }
    uv_connect_t *req = throng__bufpool_block(pool_of(c), sizeof *req);
    int rc = UV_ENOMEM;
    if (req) {
        req->data = c;
        rc = uv_tcp_connect(req, c->tcp, (const struct sockaddr *)&c->address->sa, on_connect);
        if (rc < 0) throng__bufpool_block_put(pool_of(c), req, sizeof *req);
    }
    /* Reading starts with the connect, so the socket enters epoll once,
     * for both: started in on_connect, it would cost two more epoll_ctl
     * calls per connection (libuv's ADD, refused as the fd is still there,
     * then a MOD). libuv reports the connect before any read. */
    if (rc == 0) rc = uv_read_start((uv_stream_t *)c->tcp, on_alloc, on_read);
    if (rc < 0) {
        fail(c, THRONG_FAULT_NOT_CONNECTED, "connect to %s: %s", c->address->authority,
             uv_strerror(rc));
        return;
    }
    uv_timer_start(&c->timer, on_timer, ms_of(h->set->connect_timeout), 0);
}

/* Starts waiting conns, oldest first, while the bound allows. An attempt
 * that fails at once ends its exchange here, and its owner may close
 * other conns (the queue changes under the loop) or stop the run (the
 * queue empties). */
static void pump_connects(uv_idle_t *idle)
{
    throng__connects_t *q = idle->data;
    while (q->head && q->in_flight < q->limit) {
        throng__conn_t *c = q->head;
        queue_leave(c);
        attempt(c);
    }
    if (!q->head || q->in_flight >= q->limit) uv_idle_stop(idle);
}

static void connect_now(throng__conn_t *c)
{
    throng__connects_t *q = c->connects;
    c->state = THRONG__CONN_CONNECTING;
    /* A response's timer left running (release) must not fire on a conn
     * waiting for its turn or its old socket's close: the connect timeout
     * starts with the attempt. */
    uv_timer_stop(&c->timer);
    if (c->tcp_closing) { /* the old handle must be closed before reuse */
        c->connect_when_closed = 1;
        return;
    }
    /* Behind those already waiting, even when an attempt just ended. */
    if (q->limit && (q->in_flight >= q->limit || q->waiting)) {
        queue_wait(c);
        return;
    }
    attempt(c);
}

void throng__conn_init(throng__conn_t *c, throng__host_t *host, const throng__address_t *address,
                       throng__conn_cb on_done, void *owner, uint64_t client)
{
    memset(c, 0, sizeof *c);
    c->client = client;
    c->host = host;
    c->ledger = &host->ledger;
    c->connects = &host->connects;
    c->address = address;
    c->on_done = on_done;
    c->owner = owner;
    c->pool = &host->pool;
    uv_timer_init(host->loop, &c->timer);
    c->timer.data = c;
    /* The thread's budget, shared by its connections: the same limit
     * whichever of them sets it. */
    host->budget.limit = host->set->buffer_budget;
    c->budget = &host->budget;
}

void throng__conn_send(throng__conn_t *c, throng__exchange_t *x, double timeout, int head,
                       throng__body_use_t body, const char *name, size_t name_len)
{
    (void)name; /* debug log lines take the name from the exchange */
    (void)name_len;
    throng__conn_send_n(c, x, 1, timeout, head, body);
}

void throng__conn_send_n(throng__conn_t *c, throng__exchange_t *x, unsigned n, double timeout,
                         int head, throng__body_use_t body)
{
    assert(c->state == THRONG__CONN_IDLE && throng__exchange_open(x));
    assert(n >= 1 && n <= THRONG__PIPELINE_MAX);
    c->x = x;
    if (!throng__conn_out(c)) {
        c->state = THRONG__CONN_CONNECTING; /* so that fail() hands x back */
        fail(c, THRONG_FAULT_ABANDONED, "out of memory for the exchange");
        return;
    }
    c->more = n - 1;
    c->timeout = timeout;
    c->head = head ? 1 : 0;
    /* A kept last reply (--print) needs the body whole: scanned for a
     * shape, table_shape(res) then reads it from the body. */
    c->body = c->host->set->keep_last_reply ? THRONG__BODY_KEEP : body;
    if (c->tcp_open && !c->tcp_closing)
        write_request(c);
    else
        connect_now(c);
}

throng__exchange_t *throng__conn_close(throng__conn_t *c)
{
    throng__exchange_t *x = release(c);
    c->connect_when_closed = 0;
    close_tcp(c);
    put_ex(c);
    put_out(c);
    return x;
}

throng__exchange_t *throng__conn_stop(throng__conn_t *c)
{
    throng__exchange_t *x = throng__conn_close(c);
    uv_close((uv_handle_t *)&c->timer, NULL);
    return x;
}

void throng__conn_free(throng__conn_t *c)
{
    put_ex(c);
    put_out(c);
    if (c->tls) throng__tls_free(c->tls);
    free(c->tls);
    c->tls = NULL;
}
