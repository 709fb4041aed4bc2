/* client.c - the client's session cycle, and the request style's exchanges.
 *
 * Request style: a session is request_count exchanges (request hook, the
 * exchange on the client's connection, response hook, think time from the
 * delay hook), then the connection closes. Session style (session.c): a
 * session is one run of the persona's session function. After a session
 * the client rests for slow_down and starts again. A fault ends the
 * session: a timed-out client rests and starts again; any other fault
 * drops the client (--on-fault drop) or restarts it after a backoff
 * (--on-fault restart).
 *
 * The client's timer serves every wait of its own (think time, rest,
 * client:sleep); the state says what it means when it fires. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "client/client.h"
#include "client/session.h"
#include "client/worker.h"

static void send_next(throng__client_t *c);
static void start_session(throng__client_t *c);

static const char *timer_purpose(const throng__client_t *c)
{
    return c->state == THRONG__CLIENT_THINKING  ? "think time"
           : c->state == THRONG__CLIENT_RESTING ? "rest"
                                                : "sleep";
}

static void on_timer(uv_timer_t *t)
{
    throng__client_t *c = t->data;
    THRONG__DEBUG(c->w, c->who.id, "timer fired (%s)", timer_purpose(c));
    switch (c->state) {
    case THRONG__CLIENT_THINKING:
        send_next(c);
        break;
    case THRONG__CLIENT_RESTING:
        start_session(c);
        break;
    case THRONG__CLIENT_BUSY:
        throng__session_wake(c); /* client:sleep is over */
        break;
    default:
        break;
    }
}

static void timer_start(throng__client_t *c, double seconds)
{
    uint64_t ms = seconds <= 0 ? 0 : (uint64_t)llround(seconds * 1000.0);
    THRONG__DEBUG(c->w, c->who.id, "timer started (%s, %.3fs)", timer_purpose(c), seconds);
    uv_timer_start(&c->timer, on_timer, ms, 0);
}

static void rest(throng__client_t *c, double seconds)
{
    c->state = THRONG__CLIENT_RESTING;
    timer_start(c, seconds);
}

static int session_style(const throng__client_t *c)
{
    return throng__persona_session_style(&c->w->persona);
}

/* The session is over: let the persona's done hook know, and clear the
 * session style's coroutine and extra connections. */
static void session_over(throng__client_t *c, int fault, const char *msg)
{
    throng__worker_t *w = c->w;
    if (session_style(c)) throng__session_end(c);
    throng__conn_close(&c->conn);
    throng__session_info_t info = {c->exchanges, (double)(uv_hrtime() - c->session_start) * 1e-9,
                                   fault, msg};
    if (throng__persona_done(&w->persona, c->self, &c->who, &info, w->msg, sizeof w->msg) ==
        THRONG__HOOK_ERROR)
        throng__worker_fault(w, -1, THRONG_FAULT_SCRIPT_ERROR, w->msg);
}

void throng__client_finish(throng__client_t *c)
{
    if (session_style(c)) throng__session_end(c);
    throng__conn_close(&c->conn);
    uv_timer_stop(&c->timer);
    if (c->state != THRONG__CLIENT_DONE) c->w->clients_done++;
    c->state = THRONG__CLIENT_DONE;
    THRONG__DEBUG(c->w, c->who.id, "done: %s",
                  c->w->set->once ? "its one session ended" : "the request limit is reached");
    throng__worker_check_done(c->w);
}

void throng__client_end_session(throng__client_t *c)
{
    throng__worker_t *w = c->w;
    w->stats.n.sessions++;
    c->failures = 0;
    THRONG__DEBUG(w, c->who.id, "session completed: %u exchanges in %.3fs", c->exchanges,
                  (double)(uv_hrtime() - c->session_start) * 1e-9);
    session_over(c, -1, NULL);
    if (w->set->once || throng__worker_budget_spent(w)) {
        throng__client_finish(c); /* ends the worker's run once nothing is in flight */
        return;
    }
    rest(c, w->set->slow_down);
}

void throng__client_fault(throng__client_t *c, int name, throng_fault_t kind, const char *msg)
{
    throng__worker_t *w = c->w;
    char copy[sizeof w->msg]; /* msg may point into w->msg, which hooks reuse */
    snprintf(copy, sizeof copy, "%s", msg);
    throng__worker_fault(w, name, kind, copy);
    THRONG__DEBUG(w, c->who.id, "faulted %s: %s", throng__fault_names[kind], copy);
    uv_timer_stop(&c->timer);
    session_over(c, (int)kind, copy);

    if (w->set->once) {
        /* One session, and it failed: nothing to restart. */
        c->state = THRONG__CLIENT_GONE;
        w->stats.n.clients_active--;
        w->stats.n.clients_faulted++;
    } else if (kind == THRONG_FAULT_TIMED_OUT) {
        /* A slow server is measured, not a reason to leave. */
        rest(c, w->set->slow_down);
    } else if (w->set->on_fault == THRONG_ON_FAULT_RESTART) {
        /* Exponential backoff from 100 ms to 30 s, jittered by +-50%. */
        double base = 0.1 * pow(2.0, c->failures < 9 ? c->failures : 9);
        if (base > 30) base = 30;
        c->failures++;
        rest(c, base * (0.5 + throng__rng_double(&c->who.rng)));
    } else {
        THRONG__DEBUG(w, c->who.id, "leaves the run");
        c->state = THRONG__CLIENT_GONE;
        w->stats.n.clients_active--;
        w->stats.n.clients_faulted++;
    }
    throng__worker_check_done(w);
}

void throng__client_sleep(throng__client_t *c, double seconds)
{
    c->state = THRONG__CLIENT_BUSY;
    timer_start(c, seconds);
}

void throng__client_count_response(throng__client_t *c, throng__conn_t *conn)
{
    throng__worker_t *w = c->w;
    throng__worker_response(w, conn->name_idx, conn->res.status, conn->latency, conn->ttfb);
    c->exchanges++;
    if (w->set->keep_last_reply) {
        size_t len;
        const char *body = throng__http_response_body(&conn->res, &len);
        w->last_reply.len = 0;
        throng__buf_append(&w->last_reply, body, len);
        w->last_status = conn->res.status;
        w->last_at = uv_hrtime();
    }
}

/* ------------------------------------------------------- request style */

/* Asks the request hook for the next request and sends it. */
static void send_next(throng__client_t *c)
{
    throng__worker_t *w = c->w;
    if (!throng__worker_take_request(w)) {
        throng__client_finish(c);
        return;
    }
    c->conn.out.len = 0;
    throng__request_out_t req = {.ctx = w->persona.ctx,
                                 .out = &c->conn.out,
                                 .json = &w->json,
                                 .authority = c->conn.address->authority};
    switch (throng__persona_request(&w->persona, c->self, &c->who, &req, w->msg, sizeof w->msg)) {
    case THRONG__HOOK_END:
        throng__worker_return_request(w);
        throng__client_end_session(c);
        return;
    case THRONG__HOOK_ERROR:
        throng__worker_return_request(w);
        throng__client_fault(c, -1, THRONG_FAULT_SCRIPT_ERROR, w->msg);
        return;
    default:
        break;
    }
    c->state = THRONG__CLIENT_BUSY;
    throng__conn_send(&c->conn, req.timeout > 0 ? req.timeout : w->set->timeout, req.head, req.name,
                      req.name_len);
}

/* After an exchange: think, then the next request. */
static void think(throng__client_t *c)
{
    throng__worker_t *w = c->w;
    double seconds;
    if (throng__persona_delay(&w->persona, c->self, &c->who, &seconds, w->msg, sizeof w->msg) ==
        THRONG__HOOK_ERROR) {
        throng__client_fault(c, -1, THRONG_FAULT_SCRIPT_ERROR, w->msg);
        return;
    }
    c->state = THRONG__CLIENT_THINKING;
    if (seconds * 1000.0 < 0.5)
        send_next(c);
    else
        timer_start(c, seconds);
}

/* Lets the response hook judge the response in conn->res. */
static throng__hook_t judge(throng__client_t *c, throng__conn_t *conn, throng_fault_t *kind)
{
    throng__worker_t *w = c->w;
    throng__lua_response_t *r = w->persona.res;
    r->status = conn->res.status;
    r->latency = (double)conn->latency * 1e-9;
    r->body = throng__http_response_body(&conn->res, &r->body_len);
    r->headers = throng__http_response_headers(&conn->res, &r->headers_len);
    throng__hook_t verdict =
        throng__persona_response(&w->persona, c->self, &c->who, kind, w->msg, sizeof w->msg);
    throng__http_response_release(&conn->res);
    return verdict;
}

/* The connection's callback in the request style. */
static void on_exchange(throng__conn_t *conn, int kind, const char *msg)
{
    throng__client_t *c = conn->owner;
    throng__worker_t *w = c->w;
    if (kind != THRONG__CONN_OK) {
        throng__client_fault(c, conn->name_idx, (throng_fault_t)kind, msg);
        return;
    }
    throng__client_count_response(c, conn);
    throng_fault_t fault = THRONG_FAULT_INVALID;
    throng__hook_t verdict = judge(c, conn, &fault);
    THRONG__DEBUG(w, c->who.id, "response judged: %s%s%s",
                  verdict == THRONG__HOOK_OK      ? "ok"
                  : verdict == THRONG__HOOK_ERROR ? "script error"
                                                  : throng__fault_names[fault],
                  verdict == THRONG__HOOK_OK ? "" : ": ", verdict == THRONG__HOOK_OK ? "" : w->msg);
    if (verdict == THRONG__HOOK_ERROR) {
        throng__client_fault(c, conn->name_idx, THRONG_FAULT_SCRIPT_ERROR, w->msg);
        return;
    }
    if (verdict == THRONG__HOOK_FAULT) {
        if (fault != THRONG_FAULT_BUSY) {
            throng__client_fault(c, conn->name_idx, fault, w->msg);
            return;
        }
        throng__worker_fault(w, conn->name_idx, THRONG_FAULT_BUSY,
                             w->msg); /* counted; the session goes on */
    }
    if (--c->left == 0) {
        throng__client_end_session(c);
        return;
    }
    throng__worker_check_done(w);
    if (!w->stopping) think(c);
}

/* ------------------------------------------------------------ lifecycle */

static void start_session(throng__client_t *c)
{
    throng__worker_t *w = c->w;
    if (throng__worker_budget_spent(w)) {
        throng__client_finish(c);
        return;
    }
    THRONG__DEBUG(w, c->who.id,
                  c->state == THRONG__CLIENT_NEW ? "session started"
                                                 : "restarted: session started");
    c->left = w->set->request_count;
    c->exchanges = 0;
    c->session_start = uv_hrtime();
    c->state = THRONG__CLIENT_BUSY;
    if (session_style(c))
        throng__session_start(c);
    else
        send_next(c);
}

void throng__client_init(throng__client_t *c, throng__worker_t *w, uint64_t id)
{
    memset(c, 0, sizeof *c);
    c->w = w;
    c->who.id = id;
    c->state = THRONG__CLIENT_NEW;
    uv_timer_init(&w->loop, &c->timer);
    c->timer.data = c;
    throng__conn_init(&c->conn, w, &w->set->address,
                      throng__persona_session_style(&w->persona) ? throng__session_on_exchange
                                                                 : on_exchange,
                      c, id);
    throng__session_init(c);
    THRONG__DEBUG(w, id, "created");
}

void throng__client_start(throng__client_t *c)
{
    start_session(c);
}

/* Counts an exchange still under way on conn when the run ends. */
static void count_unfinished(throng__client_t *c, throng__conn_t *conn, throng_ending_t reason)
{
    throng__worker_t *w = c->w;
    int name = conn->name_idx;
    if (!throng__conn_stop(conn)) return;
    if (reason == THRONG_END_STOPPED)
        throng__worker_fault(w, name, THRONG_FAULT_ABORTED, "stopped while waiting for a response");
    else
        w->stats.n.cancelled++;
}

void throng__client_stop(throng__client_t *c, throng_ending_t reason)
{
    count_unfinished(c, &c->conn, reason);
    for (unsigned i = 0; i < c->s.nextra; i++)
        count_unfinished(c, c->s.extra[i], reason);
    if (c->state != THRONG__CLIENT_GONE) c->state = THRONG__CLIENT_DONE;
    uv_close((uv_handle_t *)&c->timer, NULL);
}

void throng__client_free(throng__client_t *c)
{
    throng__conn_free(&c->conn);
    throng__session_free(c);
}
