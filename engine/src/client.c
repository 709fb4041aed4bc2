/* client.c - the client state machine.
 *
 * A session: connect, then request_count exchanges (request hook, write,
 * read and parse the response, response hook, think time), then close and
 * rest for slow_down before the next session. A fault ends the session: a
 * timed-out client rests and starts again; any other fault drops the client
 * (--on-fault drop) or restarts it after a backoff (--on-fault restart).
 *
 * One timer serves every wait, since a client waits for one thing at a
 * time: the state says what the timer means when it fires. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "worker.h"

static void connect_now(throng__client_t *c);
static void send_request(throng__client_t *c);
static void start_session(throng__client_t *c);

static uint64_t ms_of(double seconds)
{
    return seconds <= 0 ? 0 : (uint64_t)llround(seconds * 1000.0);
}

static void timer_start(throng__client_t *c, double seconds, uv_timer_cb cb)
{
    uv_timer_start(&c->timer, cb, ms_of(seconds), 0);
}

static void on_tcp_closed(uv_handle_t *h)
{
    throng__client_t *c = h->data;
    c->tcp_open = c->tcp_closing = 0;
    if (c->connect_when_closed && !c->w->stopping) {
        c->connect_when_closed = 0;
        connect_now(c);
    }
}

/* Closes the connection, if any, and gives back the response buffer. */
static void close_conn(throng__client_t *c)
{
    if (c->tcp_open && !c->tcp_closing) {
        c->tcp_closing = 1;
        uv_close((uv_handle_t *)&c->tcp, on_tcp_closed);
    }
    throng__http_response_release(&c->res);
}

/* Waits `seconds`, then starts a new session. */
static void on_rested(uv_timer_t *t);
static void rest(throng__client_t *c, double seconds)
{
    c->state = THRONG__CLIENT_RESTING;
    timer_start(c, seconds, on_rested);
}

/* The client has nothing more to do in this run. */
static void finish(throng__client_t *c)
{
    close_conn(c);
    uv_timer_stop(&c->timer);
    c->state = THRONG__CLIENT_DONE;
    throng__worker_check_done(c->w);
}

/* Records a fault and decides the client's fate. */
static void fault(throng__client_t *c, throng_fault_t kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fault(throng__client_t *c, throng_fault_t kind, const char *fmt, ...)
{
    throng__worker_t *w = c->w;
    char msg[sizeof w->msg]; /* the arguments may point into w->msg */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    memcpy(w->msg, msg, sizeof msg);
    if (c->state == THRONG__CLIENT_WAITING) w->in_flight--;
    throng__stats_fault(&w->stats, kind, w->msg);
    uv_timer_stop(&c->timer);
    close_conn(c);

    if (kind == THRONG_FAULT_TIMED_OUT) {
        /* A slow server is measured, not a reason to leave. */
        rest(c, w->set->slow_down);
    } else if (w->set->on_fault == THRONG_ON_FAULT_RESTART) {
        /* Exponential backoff from 100 ms to 30 s, jittered by +-50%. */
        double base = 0.1 * pow(2.0, c->failures < 9 ? c->failures : 9);
        if (base > 30) base = 30;
        c->failures++;
        rest(c, base * (0.5 + throng__rng_double(&c->rng)));
    } else {
        c->state = THRONG__CLIENT_GONE;
        w->stats.n.clients_active--;
        w->stats.n.clients_faulted++;
    }
    throng__worker_check_done(w);
}

/* A session ended as it should: count it, rest, and go again. */
static void end_session(throng__client_t *c)
{
    throng__worker_t *w = c->w;
    w->stats.n.sessions++;
    c->failures = 0;
    close_conn(c);
    if (throng__worker_budget_spent(w)) {
        finish(c); /* ends the worker's run once nothing is in flight */
        return;
    }
    rest(c, w->set->slow_down);
}

static void on_timer(uv_timer_t *t)
{
    throng__client_t *c = t->data;
    throng__worker_t *w = c->w;
    switch (c->state) {
    case THRONG__CLIENT_CONNECTING:
        fault(c, THRONG_FAULT_NOT_CONNECTED, "connect to %s timed out after %gs",
              w->set->address.authority, w->set->connect_timeout);
        break;
    case THRONG__CLIENT_WAITING:
        fault(c, THRONG_FAULT_TIMED_OUT, "no complete response within %gs", c->timeout);
        break;
    case THRONG__CLIENT_THINKING:
        send_request(c);
        break;
    case THRONG__CLIENT_RESTING:
        start_session(c);
        break;
    default:
        break;
    }
}

static void on_rested(uv_timer_t *t)
{
    on_timer(t);
}

static void on_written(uv_write_t *req, int status)
{
    throng__client_t *c = req->data;
    free(c->pending);
    c->pending = NULL;
    if (status < 0 && status != UV_ECANCELED && c->state == THRONG__CLIENT_WAITING)
        fault(c, THRONG_FAULT_ABANDONED, "sending the request failed: %s", uv_strerror(status));
}

/* Writes the request in the worker's scratch buffer: directly when the
 * socket takes it all (the usual case), else the rest is copied and queued. */
static int write_request(throng__client_t *c)
{
    throng__buf_t *b = &c->w->scratch;
    uv_buf_t ub = uv_buf_init(b->data, (unsigned)b->len);
    int n = uv_try_write((uv_stream_t *)&c->tcp, &ub, 1);
    if (n == UV_EAGAIN) n = 0;
    if (n < 0) return n;
    if ((size_t)n == b->len) return 0;
    size_t rest_len = b->len - (size_t)n;
    if (!(c->pending = malloc(rest_len))) return UV_ENOMEM;
    memcpy(c->pending, b->data + n, rest_len);
    ub = uv_buf_init(c->pending, (unsigned)rest_len);
    c->write_req.data = c;
    return uv_write(&c->write_req, (uv_stream_t *)&c->tcp, &ub, 1, on_written);
}

static void send_request(throng__client_t *c)
{
    throng__worker_t *w = c->w;
    if (throng__worker_budget_spent(w)) {
        finish(c);
        return;
    }
    if (!c->tcp_open || c->tcp_closing) { /* the server ended keep-alive: reconnect */
        connect_now(c);
        return;
    }
    w->scratch.len = 0;
    throng__request_out_t req = {.out = &w->scratch, .authority = w->set->address.authority};
    switch (throng__persona_request(&w->persona, c->self, &c->rng, &req, w->msg, sizeof w->msg)) {
    case THRONG__HOOK_END:
        end_session(c);
        return;
    case THRONG__HOOK_ERROR:
        fault(c, THRONG_FAULT_SCRIPT_ERROR, "%s", w->msg);
        return;
    default:
        break;
    }
    throng__http_response_reset(&c->res, req.head);
    c->state = THRONG__CLIENT_WAITING;
    c->started = uv_hrtime();
    c->timeout = req.timeout > 0 ? req.timeout : w->set->timeout;
    w->in_flight++;
    w->stats.n.sent++;
    w->stats.n.bytes_sent += w->scratch.len;
    int rc = write_request(c);
    if (rc < 0) {
        fault(c, THRONG_FAULT_ABANDONED, "sending the request failed: %s", uv_strerror(rc));
        return;
    }
    timer_start(c, c->timeout, on_timer);
}

/* After an exchange: think, then the next request. */
static void think(throng__client_t *c)
{
    throng__worker_t *w = c->w;
    double seconds;
    if (throng__persona_delay(&w->persona, c->self, &c->rng, &seconds, w->msg, sizeof w->msg) ==
        THRONG__HOOK_ERROR) {
        fault(c, THRONG_FAULT_SCRIPT_ERROR, "%s", w->msg);
        return;
    }
    c->state = THRONG__CLIENT_THINKING;
    if (ms_of(seconds) == 0)
        send_request(c);
    else
        timer_start(c, seconds, on_timer);
}

/* A whole response has arrived: measure it, let the persona judge it. */
static void exchange_complete(throng__client_t *c, int keep_alive)
{
    throng__worker_t *w = c->w;
    uint64_t latency = uv_hrtime() - c->started;
    uv_timer_stop(&c->timer);
    w->in_flight--;
    w->stats.n.requests++;
    throng__hist_record(&w->stats.latency, latency);
    throng__stats_status(&w->stats, c->res.status);

    throng__lua_response_t *r = w->persona.res;
    r->status = c->res.status;
    r->latency = (double)latency * 1e-9;
    r->body = throng__http_response_body(&c->res, &r->body_len);
    r->headers = throng__http_response_headers(&c->res, &r->headers_len);
    throng_fault_t kind = THRONG_FAULT_INVALID;
    throng__hook_t verdict =
        throng__persona_response(&w->persona, c->self, &c->rng, &kind, w->msg, sizeof w->msg);
    c->state = THRONG__CLIENT_THINKING; /* no request in flight any more */
    if (!keep_alive)
        close_conn(c);
    else
        throng__http_response_release(&c->res);

    if (verdict == THRONG__HOOK_ERROR) {
        fault(c, THRONG_FAULT_SCRIPT_ERROR, "%s", w->msg);
        return;
    }
    if (verdict == THRONG__HOOK_FAULT) {
        if (kind != THRONG_FAULT_BUSY) {
            fault(c, kind, "%s", w->msg);
            return;
        }
        throng__stats_fault(&w->stats, THRONG_FAULT_BUSY,
                            w->msg); /* counted; the session goes on */
    }
    if (--c->left == 0) {
        end_session(c);
        return;
    }
    throng__worker_check_done(w);
    if (!w->stopping) think(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    throng__client_t *c = h->data;
    /* Reads are handled before the next one starts: one buffer per thread. */
    *buf = uv_buf_init(c->w->read_buffer, THRONG__READ_BUFFER);
}

/* The connection ended or failed while reading. */
static void on_read_end(throng__client_t *c, ssize_t err)
{
    if (c->state != THRONG__CLIENT_WAITING) {
        close_conn(c); /* an idle connection closed: reconnect when needed */
        return;
    }
    if (err == UV_EOF) {
        int rc = throng__http_response_eof(&c->res);
        if (rc == 1) {
            exchange_complete(c, 0);
            return;
        }
        fault(c, THRONG_FAULT_ABANDONED, "%s",
              rc == 0 ? "the server closed the connection without answering" : c->res.error);
        return;
    }
    fault(c, THRONG_FAULT_ABANDONED, "connection lost while waiting: %s", uv_strerror((int)err));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    throng__client_t *c = s->data;
    if (nread == 0) return;
    if (nread < 0) {
        on_read_end(c, nread);
        return;
    }
    c->w->stats.n.bytes_received += (uint64_t)nread;
    if (c->state != THRONG__CLIENT_WAITING) {
        fault(c, THRONG_FAULT_HTTP_ERROR, "the server sent %zd bytes while no request was waiting",
              nread);
        return;
    }
    size_t used = 0;
    int rc = throng__http_response_feed(&c->res, buf->base, (size_t)nread, &used);
    if (rc < 0) {
        fault(c, THRONG_FAULT_HTTP_ERROR, "%s", c->res.error);
    } else if (rc == 1) {
        /* Bytes after the response mean the connection cannot be trusted
         * for another request; the response itself stands. */
        int keep = used == (size_t)nread && throng__http_response_keep_alive(&c->res);
        exchange_complete(c, keep);
    }
}

static void on_connect(uv_connect_t *req, int status)
{
    throng__client_t *c = req->data;
    throng__worker_t *w = c->w;
    if (status == UV_ECANCELED || c->state != THRONG__CLIENT_CONNECTING) return;
    uv_timer_stop(&c->timer);
    if (status < 0) {
        fault(c, THRONG_FAULT_NOT_CONNECTED, "connect to %s: %s", w->set->address.authority,
              uv_strerror(status));
        return;
    }
    w->stats.n.connects++;
    throng__hist_record(&w->stats.connect, uv_hrtime() - c->started);
    uv_tcp_nodelay(&c->tcp, 1);
    int rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (rc < 0) {
        fault(c, THRONG_FAULT_NOT_CONNECTED, "reading from %s: %s", w->set->address.authority,
              uv_strerror(rc));
        return;
    }
    c->state = THRONG__CLIENT_THINKING;
    send_request(c);
}

static void connect_now(throng__client_t *c)
{
    throng__worker_t *w = c->w;
    if (c->tcp_closing) { /* the old handle must be closed before reuse */
        c->connect_when_closed = 1;
        return;
    }
    c->state = THRONG__CLIENT_CONNECTING;
    c->started = uv_hrtime();
    uv_tcp_init(&w->loop, &c->tcp);
    c->tcp.data = c;
    c->tcp_open = 1;
    c->connect_req.data = c;
    int rc = uv_tcp_connect(&c->connect_req, &c->tcp, (const struct sockaddr *)&w->set->address.sa,
                            on_connect);
    if (rc < 0) {
        fault(c, THRONG_FAULT_NOT_CONNECTED, "connect to %s: %s", w->set->address.authority,
              uv_strerror(rc));
        return;
    }
    timer_start(c, w->set->connect_timeout, on_timer);
}

static void start_session(throng__client_t *c)
{
    c->left = c->w->set->request_count;
    if (throng__worker_budget_spent(c->w)) {
        finish(c);
        return;
    }
    connect_now(c);
}

void throng__client_init(throng__client_t *c, throng__worker_t *w, uint64_t id)
{
    memset(c, 0, sizeof *c);
    c->w = w;
    c->id = id;
    c->state = THRONG__CLIENT_NEW;
    uv_timer_init(&w->loop, &c->timer);
    c->timer.data = c;
    throng__http_response_init(&c->res, &w->pool);
}

void throng__client_start(throng__client_t *c)
{
    c->w->stats.n.clients_active++;
    start_session(c);
}

void throng__client_stop(throng__client_t *c, throng_ending_t reason)
{
    throng__worker_t *w = c->w;
    if (c->state == THRONG__CLIENT_WAITING) {
        w->in_flight--;
        if (reason == THRONG_END_STOPPED)
            throng__stats_fault(&w->stats, THRONG_FAULT_ABORTED,
                                "stopped while waiting for a response");
        else
            w->stats.n.cancelled++;
    }
    if (c->state != THRONG__CLIENT_GONE) c->state = THRONG__CLIENT_DONE;
    c->connect_when_closed = 0;
    close_conn(c);
    uv_close((uv_handle_t *)&c->timer, NULL);
}
