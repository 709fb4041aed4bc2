/* client.c - the client's session cycle, and the request style's exchanges.
 *
 * Request style: a session is request_count exchanges (request hook, the
 * exchange on the client's connection, response hook, think time from the
 * delay hook), then the connection closes. Session style (session.c): a
 * session is one run of the persona's session function, which tells the
 * client how it ended. After a session the client rests for slow_down and
 * starts again. A fault ends the session: a timed-out client rests and
 * starts again; any other fault drops the client (--on-fault drop) or
 * restarts it after a backoff (--on-fault restart).
 *
 * Every exchange the client begins ends here (or in session.c) with one
 * outcome. The worker hears of the client only through host->report,
 * which may stop every client before it returns: each path reports last
 * and then looks at the client's state. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client.h"
#include "client/redirect.h"
#include "lua/lua_cookies.h"
#include "util/error.h"
#include "util/rng.h"

static void send_next(throng__client_t *c);
static void start_session(throng__client_t *c);

static void report(throng__client_t *c, throng__client_event_t ev)
{
    c->host->report(c->host, ev, NULL);
}

static const char *timer_purpose(const throng__client_t *c)
{
    return c->state == THRONG__CLIENT_THINKING ? "think time" : "rest";
}

static void on_timer(uv_timer_t *t)
{
    throng__client_t *c = t->data;
    THRONG__DEBUG(c->host, c->who.id, "timer fired (%s)", timer_purpose(c));
    if (c->state == THRONG__CLIENT_THINKING)
        send_next(c);
    else if (c->state == THRONG__CLIENT_RESTING)
        start_session(c);
}

static void timer_start(throng__client_t *c, double seconds)
{
    uint64_t ms = seconds <= 0 ? 0 : (uint64_t)llround(seconds * 1000.0);
    THRONG__DEBUG(c->host, c->who.id, "timer started (%s, %.3fs)", timer_purpose(c), seconds);
    uv_timer_start(&c->timer, on_timer, ms, 0);
}

static void rest(throng__client_t *c, double seconds)
{
    c->state = THRONG__CLIENT_RESTING;
    timer_start(c, seconds);
}

/* Out of the load until the load model calls on the client again: an
 * open model's client is free for the next arrival. */
static void park(throng__client_t *c)
{
    int was_running = c->state != THRONG__CLIENT_NEW && c->state != THRONG__CLIENT_PARKED;
    c->state = THRONG__CLIENT_PARKED;
    c->retire = 0;
    if (was_running) c->host->idle(c->host, c->index);
}

/* The size of a pipeline's block of exchanges: one size, so the pool
 * keeps them. */
#define PIPE_BLOCK (THRONG__PIPELINE_MAX * sizeof(throng__exchange_t))

/* Ends the request style's exchanges still open, as the end of the run or
 * of the session makes them (throng__lane_settle): the lane's, and a
 * pipeline's after the one that ended (closing the connection first), and
 * gives the pipeline's block back. */
static void settle(throng__client_t *c, int aborted)
{
    throng__lane_settle(&c->lane, aborted);
    if (!c->pipe) return;
    for (unsigned i = 0; i < THRONG__PIPELINE_MAX; i++) {
        throng__exchange_t *x = &c->pipe[i];
        if (!throng__exchange_open(x)) continue;
        if (aborted)
            throng__exchange_faulted(x, THRONG_FAULT_ABORTED,
                                     "stopped while waiting for a response");
        else
            throng__exchange_cancelled(x);
    }
    throng__bufpool_block_put(&c->host->pool, c->pipe, PIPE_BLOCK);
    c->pipe = NULL;
}

/* Exchanges answered in the session so far. */
static unsigned answered(const throng__client_t *c)
{
    return c->session_style ? c->s->answered : c->exchanges;
}

/* The session is over: its exchanges are settled (none is open in the
 * request style), and the persona's done hook learns how it went. */
static void session_over(throng__client_t *c, int fault, const char *msg)
{
    throng__host_t *h = c->host;
    if (c->session_style)
        throng__session_end(c->s);
    else
        settle(c, 0);
    throng__session_info_t info = {answered(c), (double)(uv_hrtime() - c->session_start) * 1e-9,
                                   fault, msg};
    if (throng__persona_done(h->persona, c->self, &c->who, &info, h->msg, sizeof h->msg) ==
        THRONG__HOOK_ERROR)
        throng__ledger_fault(&h->ledger, THRONG_FAULT_SCRIPT_ERROR, h->msg);
}

/* The client has nothing more to do: its one session ran, or the request
 * limit is reached. */
static void finish(throng__client_t *c)
{
    if (c->state == THRONG__CLIENT_DONE) return; /* told already, or stopped */
    if (c->session_style)
        throng__session_end(c->s);
    else
        settle(c, 0);
    uv_timer_stop(&c->timer);
    c->state = THRONG__CLIENT_DONE;
    THRONG__DEBUG(c->host, c->who.id, "done: %s",
                  c->host->set->once ? "its one session ended" : "the request limit is reached");
    report(c, THRONG__CLIENT_FINISHED);
}

/* The session ended well. */
static void end_session(throng__client_t *c)
{
    throng__host_t *h = c->host;
    c->failures = 0;
    THRONG__DEBUG(h, c->who.id, "session completed: %u exchanges in %.3fs", answered(c),
                  (double)(uv_hrtime() - c->session_start) * 1e-9);
    session_over(c, -1, NULL);
    if (h->set->once || throng__ledger_spent(&h->ledger)) {
        report(c, THRONG__CLIENT_SESSION_DONE);
        if (c->state != THRONG__CLIENT_DONE) finish(c); /* ends the run once nothing is in flight */
        return;
    }
    if (h->set->open || c->retire)
        park(c);
    else
        rest(c, h->set->slow_down);
    report(c, THRONG__CLIENT_SESSION_DONE);
}

/* The session ended with a fault, counted already where it happened:
 * decide the client's fate. */
static void fault(throng__client_t *c, throng_fault_t kind, const char *msg)
{
    throng__host_t *h = c->host;
    char copy[sizeof h->msg]; /* msg may point into h->msg, which hooks reuse */
    snprintf(copy, sizeof copy, "%s", msg);
    THRONG__DEBUG(h, c->who.id, "faulted %s: %s", throng__fault_names[kind], copy);
    uv_timer_stop(&c->timer);
    session_over(c, (int)kind, copy);

    if (h->set->once) {
        /* One session, and it failed: nothing to restart. */
        c->state = THRONG__CLIENT_GONE;
    } else if (h->set->open || c->retire) {
        /* The load model starts the next session: an open model's pool
         * keeps its clients, a ramp took this one out. */
        park(c);
    } else if (kind == THRONG_FAULT_TIMED_OUT) {
        /* A slow server is measured, not a reason to leave. */
        rest(c, h->set->slow_down);
    } else if (h->set->on_fault == THRONG_ON_FAULT_RESTART) {
        /* Exponential backoff from 100 ms to 30 s, jittered by +-50%. */
        double base = 0.1 * pow(2.0, c->failures < 9 ? c->failures : 9);
        if (base > 30) base = 30;
        c->failures++;
        rest(c, base * (0.5 + throng__rng_double(&c->who.rng)));
    } else {
        THRONG__DEBUG(h, c->who.id, "leaves the run");
        c->state = THRONG__CLIENT_GONE;
    }
    report(c,
           c->state == THRONG__CLIENT_GONE ? THRONG__CLIENT_LEFT : THRONG__CLIENT_EXCHANGE_ENDED);
}

/* The session style's news. */
static void on_session_end(void *owner, throng__session_end_t how, throng_fault_t kind,
                           const char *msg)
{
    throng__client_t *c = owner;
    if (how == THRONG__SESSION_OK)
        end_session(c);
    else if (how == THRONG__SESSION_FAULT)
        fault(c, kind, msg);
    else
        finish(c);
}

/* ------------------------------------------------------- request style */

/* Begins the exchanges of the pipeline the request hook wrote (as many as
 * the request limit allows: the requests beyond are not sent) and sends
 * it, in one write, its exchanges lent by the pool. */
static void send_pipeline(throng__client_t *c, const throng__request_out_t *req,
                          const throng__pipeline_out_t *pipe)
{
    throng__host_t *h = c->host;
    throng__conn_t *conn = &c->lane.conn;
    if (!c->pipe && !(c->pipe = throng__bufpool_block(&h->pool, PIPE_BLOCK))) {
        snprintf(h->msg, sizeof h->msg, "out of memory for a pipeline");
        throng__ledger_fault(&h->ledger, THRONG_FAULT_SCRIPT_ERROR, h->msg);
        fault(c, THRONG_FAULT_SCRIPT_ERROR, h->msg);
        return;
    }
    memset(c->pipe, 0, PIPE_BLOCK);
    unsigned n = 0;
    while (n < pipe->n && throng__exchange_begin(&c->pipe[n], &h->ledger, pipe->at[n].name,
                                                 pipe->at[n].name_len) == 0) {
        c->pipe[n].intended_ns = c->intended;
        n++;
    }
    c->intended = 0;
    if (n == 0) {
        finish(c); /* another client took the last request meanwhile */
        return;
    }
    throng__conn_out(conn)->len = pipe->at[n - 1].end;
    c->state = THRONG__CLIENT_BUSY;
    throng__conn_send_n(conn, c->pipe, n, req->timeout > 0 ? req->timeout : h->set->timeout,
                        req->head, req->body_use);
}

/* Asks the request hook for the next request, begins its exchange and
 * sends it. */
static void send_next(throng__client_t *c)
{
    throng__host_t *h = c->host;
    throng__lane_t *lane = &c->lane;
    if (throng__host_stopping(h)) return;   /* the stop, on its way, ends the client */
    if (throng__ledger_spent(&h->ledger)) { /* spare the hook a request never sent */
        finish(c);
        return;
    }
    throng__buf_t *out = throng__conn_out(&lane->conn);
    if (!out) {
        snprintf(h->msg, sizeof h->msg, "out of memory for a request");
        throng__ledger_fault(&h->ledger, THRONG_FAULT_SCRIPT_ERROR, h->msg);
        fault(c, THRONG_FAULT_SCRIPT_ERROR, h->msg);
        return;
    }
    out->len = 0;
    throng__pipeline_out_t pipe;
    throng__request_out_t req = {.ctx = h->persona->ctx,
                                 .out = out,
                                 .json = &h->json,
                                 .authority = lane->conn.address->authority,
                                 .pipe = &pipe};
    throng__lane_prepare(lane, &c->who, &req);
    switch (throng__persona_request(h->persona, c->self, &c->who, &req, h->msg, sizeof h->msg)) {
    case THRONG__HOOK_END:
        end_session(c);
        return;
    case THRONG__HOOK_ERROR: /* a fault outside any exchange */
        throng__ledger_fault(&h->ledger, THRONG_FAULT_SCRIPT_ERROR, h->msg);
        fault(c, THRONG_FAULT_SCRIPT_ERROR, h->msg);
        return;
    default:
        break;
    }
    if (pipe.n > 1) {
        send_pipeline(c, &req, &pipe);
        return;
    }
    if (throng__exchange_begin(&lane->x, &h->ledger, req.name, req.name_len) != 0) {
        finish(c); /* another client took the last request meanwhile */
        return;
    }
    lane->cookies = req.cookies;
    if (throng__lane_arm(lane, &c->who, &req, 0) != 0) {
        throng__exchange_faulted(&lane->x, THRONG_FAULT_ABANDONED, "out of memory for a request");
        fault(c, THRONG_FAULT_ABANDONED, "out of memory for a request");
        return;
    }
    lane->x.intended_ns = c->intended;
    c->intended = 0;
    c->state = THRONG__CLIENT_BUSY;
    throng__conn_send(&lane->conn, &lane->x, req.timeout > 0 ? req.timeout : h->set->timeout,
                      req.head, req.body_use, req.name, req.name_len);
}

/* After an exchange: think, then the next request. */
static void think(throng__client_t *c)
{
    throng__host_t *h = c->host;
    double seconds;
    if (throng__persona_delay(h->persona, c->self, &c->who, &seconds, h->msg, sizeof h->msg) ==
        THRONG__HOOK_ERROR) {
        throng__ledger_fault(&h->ledger, THRONG_FAULT_SCRIPT_ERROR, h->msg);
        fault(c, THRONG_FAULT_SCRIPT_ERROR, h->msg);
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
    throng__host_t *h = c->host;
    throng__lua_response_t *r = h->persona->res;
    const throng__http_response_t *res = throng__conn_res(conn);
    r->status = res->status;
    r->latency = (double)conn->ex->latency * 1e-9;
    r->body = throng__http_response_body(res, &r->body_len);
    r->headers = throng__http_response_headers(res, &r->headers_len);
    throng__redirect_t *rd = c->lane.rd;
    r->redirects = rd ? rd->hops : 0;
    r->url = rd && rd->hops ? rd->url : NULL;
    if (r->redirects) r->latency = (double)(rd->service_ns + conn->ex->latency) * 1e-9;
    r->shaped = throng__conn_shape(conn, &r->shape);
    throng__hook_t verdict =
        throng__persona_response(h->persona, c->self, &c->who, kind, h->msg, sizeof h->msg);
    throng__conn_done(conn); /* the response, and the conn's exchange state, go back */
    return verdict;
}

/* The connection's callback in the request style: the exchange's
 * outcome, then the persona's verdict on an answer. */
static void on_exchange(throng__conn_t *conn, throng__exchange_t *x, int kind, const char *msg)
{
    throng__client_t *c = conn->owner;
    throng__host_t *h = c->host;
    char hop_msg[256];
    if (kind == THRONG__CONN_OK) {
        throng__lane_keep_cookies(&c->lane, &c->who, throng__conn_res(conn));
        int f = throng__lane_follow(&c->lane, &c->who, NULL, hop_msg, sizeof hop_msg);
        if (f == 1) return; /* the next hop's answer comes here again */
        if (f < 0) {
            throng__conn_done(conn);
            kind = THRONG_FAULT_HTTP_ERROR;
            msg = hop_msg;
        }
    }
    if (kind != THRONG__CONN_OK) {
        throng__exchange_faulted(x, (throng_fault_t)kind, msg);
        fault(c, (throng_fault_t)kind, msg);
        return;
    }
    uint64_t service = conn->ex->latency + (c->lane.rd ? c->lane.rd->service_ns : 0);
    throng__exchange_answered(x, throng__conn_res(conn)->status, service, conn->ex->ttfb);
    c->exchanges++;
    h->report(h, THRONG__CLIENT_ANSWER, throng__conn_res(conn));
    throng_fault_t verdict_kind = THRONG_FAULT_INVALID;
    throng__hook_t verdict = judge(c, conn, &verdict_kind);
    THRONG__DEBUG(h, c->who.id, "response judged: %s%s%s",
                  verdict == THRONG__HOOK_OK      ? "ok"
                  : verdict == THRONG__HOOK_ERROR ? "script error"
                                                  : throng__fault_names[verdict_kind],
                  verdict == THRONG__HOOK_OK ? "" : ": ", verdict == THRONG__HOOK_OK ? "" : h->msg);
    if (verdict == THRONG__HOOK_ERROR) verdict_kind = THRONG_FAULT_SCRIPT_ERROR;
    if (verdict != THRONG__HOOK_OK) {
        /* A fault on an answered exchange: its outcome stays answered. */
        throng__exchange_verdict(x, verdict_kind, h->msg);
        if (verdict_kind != THRONG_FAULT_BUSY) { /* busy consumes a request; the session goes on */
            fault(c, verdict_kind, h->msg);
            return;
        }
    }
    if (c->left > 0) c->left--;
    if (!throng__conn_idle(conn)) { /* a pipeline's next response is on its way: the session
                                       ends, at request_count, with the pipeline's last */
        report(c, THRONG__CLIENT_EXCHANGE_ENDED);
        return;
    }
    throng__lane_rest(&c->lane);
    if (c->left == 0) {
        end_session(c);
        return;
    }
    if (c->pipe) { /* the pipeline is over: its exchanges are all ended */
        throng__bufpool_block_put(&h->pool, c->pipe, PIPE_BLOCK);
        c->pipe = NULL;
    }
    if (h->set->open) { /* the next arrival sends the next request */
        c->state = THRONG__CLIENT_IDLE;
        h->idle(h, c->index);
    } else if (c->retire) { /* a ramp down: the session ends with this exchange */
        session_over(c, -1, NULL);
        park(c);
    }
    report(c, THRONG__CLIENT_EXCHANGE_ENDED);
    if (c->state == THRONG__CLIENT_BUSY) think(c); /* unless the run ended meanwhile */
}

/* ------------------------------------------------------------ lifecycle */

static void start_session(throng__client_t *c)
{
    throng__host_t *h = c->host;
    if (throng__host_stopping(h)) return; /* the stop, on its way, ends the client */
    if (throng__ledger_spent(&h->ledger)) {
        finish(c);
        return;
    }
    THRONG__DEBUG(h, c->who.id,
                  c->state == THRONG__CLIENT_NEW ? "session started"
                                                 : "restarted: session started");
    c->left = h->set->request_count;
    c->exchanges = 0;
    if (!(c->who.cookies & THRONG__COOKIES_KEEP)) { /* a new session, an empty jar */
        throng__jar_free(c->who.jar);
        c->who.jar = NULL;
    }
    c->session_start = uv_hrtime();
    c->state = THRONG__CLIENT_BUSY;
    if (c->session_style)
        throng__session_start(c->s);
    else
        send_next(c);
}

/* The persona's defaults for its requests, read once: cookies = false,
 * keep_cookies = true, follow = N and compressed = true. */
static void cookie_settings(throng__client_t *c)
{
    lua_State *L = c->host->persona->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->self);
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "cookies");
        if (lua_type(L, -1) == LUA_TBOOLEAN && !lua_toboolean(L, -1))
            c->who.cookies |= THRONG__COOKIES_OFF;
        lua_getfield(L, -2, "keep_cookies");
        if (lua_toboolean(L, -1)) c->who.cookies |= THRONG__COOKIES_KEEP;
        lua_getfield(L, -3, "follow");
        if (lua_type(L, -1) == LUA_TNUMBER && lua_tonumber(L, -1) >= 0)
            c->who.follow = (signed char)(lua_tonumber(L, -1) > 100 ? 100 : lua_tonumber(L, -1));
        lua_getfield(L, -4, "compressed");
        c->who.compressed = lua_type(L, -1) == LUA_TBOOLEAN && lua_toboolean(L, -1);
        lua_pop(L, 4);
    }
    lua_pop(L, 1);
}

int throng__client_init(throng__client_t *c, throng__host_t *host, uint64_t id, uint64_t seed,
                        char *err)
{
    memset(c, 0, sizeof *c);
    c->host = host;
    c->who.id = id;
    c->self = LUA_NOREF;
    c->who.follow = -1;
    c->state = THRONG__CLIENT_NEW;
    c->session_style = throng__persona_session_style(host->persona);
    uv_timer_init(host->loop, &c->timer);
    c->timer.data = c;
    if (c->session_style && !(c->s = calloc(1, sizeof *c->s))) {
        c->session_style = 0; /* its handles as in the request style: stop and free work */
        throng__conn_init(&c->lane.conn, host, &host->set->address, on_exchange, c, id);
        return throng__fail(err, THRONG_ENOMEM, "out of memory for client %llu",
                            (unsigned long long)id);
    }
    if (c->session_style) {
        throng__conn_init(&c->lane.conn, host, &host->set->address, throng__session_on_exchange,
                          c->s, id);
        throng__session_init(c->s, host, &c->who, LUA_NOREF, &c->lane, on_session_end, c);
    } else {
        throng__conn_init(&c->lane.conn, host, &host->set->address, on_exchange, c, id);
    }
    throng__rng_seed(&c->who.rng, seed);
    THRONG__DEBUG(host, id, "created");
    int rc = throng__persona_instance(host->persona, &c->who, &c->self, err);
    if (c->s) c->s->self = c->self;
    if (rc == 0) cookie_settings(c);
    return rc;
}

void throng__client_start(throng__client_t *c)
{
    start_session(c);
}

void throng__client_arrive(throng__client_t *c, uint64_t intended_ns)
{
    c->intended = intended_ns;
    if (c->state == THRONG__CLIENT_IDLE) {
        c->state = THRONG__CLIENT_BUSY;
        send_next(c);
    } else {
        if (c->s) c->s->intended_ns = intended_ns;
        start_session(c);
    }
}

void throng__client_retire(throng__client_t *c)
{
    THRONG__DEBUG(c->host, c->who.id, "retired by the load model%s",
                  c->state == THRONG__CLIENT_BUSY ? ": leaves when its exchange ends" : "");
    switch (c->state) {
    case THRONG__CLIENT_NEW:
    case THRONG__CLIENT_RESTING:
        uv_timer_stop(&c->timer);
        park(c);
        break;
    case THRONG__CLIENT_THINKING: /* between two exchanges of a session: it ends here */
        uv_timer_stop(&c->timer);
        session_over(c, -1, NULL);
        park(c);
        break;
    case THRONG__CLIENT_BUSY:
        c->retire = 1;
        break;
    default:
        break;
    }
}

int throng__client_resume(throng__client_t *c)
{
    c->retire = 0;
    if (c->state != THRONG__CLIENT_NEW && c->state != THRONG__CLIENT_PARKED) return 0;
    start_session(c);
    return 1;
}

void throng__client_stop(throng__client_t *c, throng_ending_t reason)
{
    int aborted = reason == THRONG_END_STOPPED;
    if (uv_is_closing((uv_handle_t *)&c->timer)) return; /* stopped already */
    if (c->session_style) throng__session_stop(c->s, aborted);
    settle(c, aborted);
    throng__conn_stop(&c->lane.conn);
    if (c->state != THRONG__CLIENT_GONE) c->state = THRONG__CLIENT_DONE;
    uv_close((uv_handle_t *)&c->timer, NULL);
}

void throng__client_free(throng__client_t *c)
{
    throng__conn_free(&c->lane.conn);
    throng__jar_free(c->who.jar);
    c->who.jar = NULL;
    throng__lane_free(&c->lane);
    if (c->s) throng__session_free(c->s);
    free(c->s);
    c->s = NULL;
}
