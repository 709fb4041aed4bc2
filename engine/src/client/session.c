/* session.c - the session style.
 *
 * Each session runs session(self, client) in a fresh coroutine. A method
 * that waits (a request, concurrently, sleep, connect to a name not yet
 * resolved) starts the work and yields; the connection's, timer's or
 * resolver's callback resumes the coroutine with the result. A fault on
 * any exchange ends the session with that fault, as in the request style;
 * a fatal client:check and client:fault end it on purpose. Either way the other
 * exchanges it began are cancelled: every exchange ends with one outcome.
 *
 * A callback can arrive while the coroutine is still running (a connect
 * that fails at once); it then only records the outcome, which the resume
 * loop delivers as soon as the coroutine has yielded. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "client/redirect.h"
#include "client/resolve.h"
#include "client/session.h"
#include "lua/lua_cookies.h"
#include "lua/lua_request.h"
#include "lua/state.h"
#include "util/error.h"

#define CLIENT_MT "throng.client"
#define CONNECTION_MT "throng.connection"
#define FAULT_MT "throng.fault"
#define RUNNER "throng.session_runner"

/* Raised by a method when the request limit is spent: the client stops. */
static const char stop_marker = 0;

enum { ROLE_NONE, ROLE_CONCURRENT, ROLE_LINK };

typedef struct conn_obj {
    throng__session_t *s;
    throng__lane_t *lane;
    uint64_t generation; /* the session it belongs to */
} conn_obj_t;

static void run(throng__session_t *s, int nargs);

void throng__lane_settle(throng__lane_t *lane, int aborted)
{
    throng__conn_close(&lane->conn);
    if (!throng__exchange_open(&lane->x)) return;
    if (aborted)
        throng__exchange_faulted(&lane->x, THRONG_FAULT_ABORTED,
                                 "stopped while waiting for a response");
    else
        throng__exchange_cancelled(&lane->x);
}

/* ------------------------------------------------------------- cookies */

void throng__lane_home(throng__lane_t *lane)
{
    throng__redirect_t *rd = lane->rd;
    if (rd && rd->moved) { /* its socket is another server's */
        throng__conn_close(&lane->conn);
        if (lane->conn.address == rd->at) lane->conn.address = rd->home;
        rd->moved = 0;
    }
}

void throng__lane_prepare(throng__lane_t *lane, throng__lua_caller_t *who,
                          throng__request_out_t *req)
{
    lane->cookies = 0;
    req->compressed = who->compressed;
    if (who->cookies & THRONG__COOKIES_OFF) return;
    req->jar = &who->jar;
    req->cookie_host = lane->conn.address->host;
    req->secure = lane->conn.address->tls;
    req->cookie_dir = who->cookie_dir;
}

/* A response without a Set-Cookie header (the lookup's name mark tells,
 * most often without a walk) leaves the jar alone. */
void throng__lane_keep_cookies(throng__lane_t *lane, throng__lua_caller_t *who,
                               const throng__http_response_t *res)
{
    if (!lane->cookies || !throng__http_response_header(res, "set-cookie")) return;
    size_t len;
    const char *headers = throng__http_response_headers(res, &len);
    throng__jar_take(&who->jar, headers, len, lane->conn.address->host, who->cookie_dir);
}

int throng__lane_arm(throng__lane_t *lane, throng__lua_caller_t *who,
                     const throng__request_out_t *req, int dflt)
{
    int follow = req->follow >= 0 ? req->follow : who->follow >= 0 ? who->follow : dflt;
    lane->timeout = req->timeout > 0 ? req->timeout : lane->conn.host->set->timeout;
    lane->head = req->head;
    lane->body_use = (int)req->body_use;
    return throng__redirect_arm(&lane->rd, (unsigned)follow, req->out, lane->conn.address);
}

/* Sends the redirect's next hop on the lane, for the same exchange. */
static void send_hop(throng__lane_t *lane)
{
    throng__redirect_t *rd = lane->rd;
    if (lane->conn.address != rd->at) {
        throng__conn_close(&lane->conn);
        lane->conn.address = rd->at;
        rd->moved = rd->at != rd->home;
    }
    throng__exchange_t *x = &lane->x;
    if (!x->intended_ns) x->intended_ns = x->sent_ns; /* the latency runs from the first hop */
    throng__buf_t *out = throng__conn_out(&lane->conn);
    if (out) out->len = 0;
    if (!out || throng__buf_append(out, rd->req.data, rd->req.len) != 0) {
        lane->conn.on_done(&lane->conn, x, THRONG_FAULT_ABANDONED,
                           "out of memory following a redirect");
        return;
    }
    throng__conn_send(&lane->conn, x, lane->timeout, lane->head, (throng__body_use_t)lane->body_use,
                      "redirect", 8);
}

/* Another server's address, looked up for a redirect's hop. */
static void hop_resolved(void *data, const throng__address_t *a, const char *err)
{
    throng__lane_t *lane = data;
    if (!a) {
        char msg[300];
        snprintf(msg, sizeof msg, "redirect: %s", err ? err : "cannot resolve");
        lane->conn.on_done(&lane->conn, &lane->x, THRONG_FAULT_NOT_CONNECTED, msg);
        return;
    }
    lane->rd->at = a;
    send_hop(lane);
}

int throng__lane_follow(throng__lane_t *lane, throng__lua_caller_t *who,
                        struct throng__resolver *resolver, char *msg, size_t msglen)
{
    throng__conn_t *conn = &lane->conn;
    throng__redirect_t *rd = lane->rd;
    int rc = throng__redirect_next(rd, throng__conn_res(conn), conn->ex->latency, who,
                                   lane->cookies, msg, msglen);
    if (rc <= 0) return rc;
    THRONG__DEBUG(conn->host, who->id, "redirect %d followed (hop %u) to %s",
                  throng__conn_res(conn)->status, rd->hops, rd->url);
    if (rd->at == &rd->other) {
        if (!resolver) {
            snprintf(msg, msglen,
                     "redirect to another server (%s): the request style follows redirects on "
                     "its own server only",
                     rd->other.authority);
            return -1;
        }
        char server[320], err[THRONG__ERRMSG_LEN];
        snprintf(server, sizeof server, "%s://%s", rd->other.tls ? "https" : "http",
                 rd->other.authority);
        const throng__address_t *a = NULL;
        int r = throng__resolver_get(resolver, server, hop_resolved, lane, &a, err);
        if (r < 0) {
            snprintf(msg, msglen, "redirect: %s", err);
            return -1;
        }
        throng__conn_done(conn);
        if (r == 1) return 1; /* hop_resolved sends it */
        rd->at = a;
    } else {
        throng__conn_done(conn);
    }
    send_hop(lane);
    return 1;
}

void throng__lane_free(throng__lane_t *lane)
{
    if (lane->rd) throng__buf_free(&lane->rd->req);
    free(lane->rd);
    lane->rd = NULL;
}

void throng__lane_rest(throng__lane_t *lane)
{
    if (lane->rd && !lane->rd->moved) throng__lane_free(lane);
}

/* ------------------------------------------------------------- results */

/* Pushes the responses the coroutine waited for onto its stack (a single
 * response is there already). */
static int push_results(throng__session_t *s)
{
    lua_State *co = s->co;
    int n = (int)s->nresults;
    if (s->results_ref == LUA_NOREF) {
        s->nresults = 0;
        return n;
    }
    lua_checkstack(co, n + 2);
    lua_rawgeti(co, LUA_REGISTRYINDEX, s->results_ref);
    int t = lua_gettop(co);
    for (int i = 1; i <= n; i++)
        lua_rawgeti(co, t, i);
    lua_remove(co, t);
    luaL_unref(co, LUA_REGISTRYINDEX, s->results_ref);
    s->results_ref = LUA_NOREF;
    s->nresults = 0;
    return n;
}

/* Gives back the buffers of the responses handed to the persona so far:
 * the client's next exchange starts, or its session ends. Their status
 * and latency stay readable; their bodies raise an error. */
static void release_responses(throng__session_t *s, lua_State *L)
{
    if (!s->nlive) return;
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->live_ref);
    for (unsigned i = 1; i <= s->nlive; i++) {
        lua_rawgeti(L, -1, (int)i);
        throng__lua_response_t *r = lua_touserdata(L, -1);
        if (r) throng__lua_response_release(r);
        lua_pop(L, 1);
        lua_pushnil(L); /* an existing slot: setting it allocates nothing */
        lua_rawseti(L, -2, (int)i);
    }
    lua_pop(L, 1);
    s->nlive = 0;
}

typedef struct store_call {
    throng__session_t *s;
    throng__lane_t *lane;
} store_call_t;

/* store_response's allocating half, run protected on the persona's state. */
static int store_protected(lua_State *L)
{
    store_call_t *c = lua_touserdata(L, 1);
    throng__session_t *s = c->s;
    throng__host_t *h = s->host;
    throng__conn_t *conn = &c->lane->conn;
    if (s->live_ref == LUA_NOREF) {
        lua_newtable(L);
        s->live_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->live_ref);
    throng__lua_response_t *r = throng__lua_new_response(L, h->persona->ctx);
    throng__redirect_t *rd = c->lane->rd;
    if (rd && rd->hops) { /* res.url outlives the lane's redirect state */
        if (!(r->own_url = strdup(rd->url))) luaL_error(L, "out of memory for res.url");
        r->url = r->own_url;
    }
    r->valid = 1;
    throng__http_response_t *res = throng__conn_res(conn);
    r->status = res->status;
    r->latency = (double)conn->ex->latency * 1e-9;
    r->body = throng__http_response_body(res, &r->body_len);
    r->headers = throng__http_response_headers(res, &r->headers_len);
    r->redirects = rd ? rd->hops : 0;
    if (r->redirects) r->latency = (double)(rd->service_ns + conn->ex->latency) * 1e-9;
    r->shaped = throng__conn_shape(conn, &r->shape);
    r->owned = res->buf; /* the pointers above stay valid: the buffer moves whole */
    r->pool = &h->pool;
    res->buf = NULL; /* from here the object owns it, even if what follows fails */
    lua_pushvalue(L, -1);
    lua_rawseti(L, -3, (int)s->nlive + 1);
    s->nlive++;
    if (s->results_ref == LUA_NOREF) {
        lua_xmove(L, s->co, 1); /* onto the waiting coroutine's stack */
        return 0;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->results_ref);
    lua_insert(L, -2);
    lua_rawseti(L, -2, (int)c->lane->slot + 1);
    return 0;
}

/* Turns the lane's response into a response object that owns its buffer
 * until the client's next exchange: on the waiting coroutine's stack for a
 * single request, else in the results table at the lane's slot. Returns
 * 0, or -1 when Lua's memory ran out (the buffer is given back, and the
 * reason is in h->msg). */
static int store_response(throng__session_t *s, throng__lane_t *lane)
{
    throng__host_t *h = s->host;
    lua_State *L = h->persona->L;
    store_call_t c = {s, lane};
    if (lua_cpcall(L, store_protected, &c) == 0) return 0;
    const char *e = throng__lua_error_message(L, -1);
    snprintf(h->msg, sizeof h->msg, "keeping a response for the session: %s", e ? e : "error");
    lua_pop(L, 1);
    throng__conn_done(&lane->conn);
    return -1;
}

/* The session ends with a fault counted already (the client copies msg
 * before anything can reuse its buffer). */
static void txn_abandon(throng__session_t *s);
static void end_faulted(throng__session_t *s, int kind, const char *msg)
{
    txn_abandon(s);
    s->on_end(s->owner, THRONG__SESSION_FAULT, (throng_fault_t)kind, msg);
}

/* Delivers what the coroutine waited for: the responses, or the fault. */
static void deliver(throng__session_t *s)
{
    if (s->faulted) {
        s->faulted = 0;
        end_faulted(s, s->fault_kind, s->fault_msg);
        return;
    }
    run(s, push_results(s));
}

void throng__session_on_exchange(throng__conn_t *conn, throng__exchange_t *x, int kind,
                                 const char *msg)
{
    throng__session_t *s = conn->owner;
    throng__lane_t *lane = (throng__lane_t *)conn;
    assert(x == &lane->x && s->waiting > 0);
    char hop_msg[256];
    if (kind == THRONG__CONN_OK) {
        throng__lane_keep_cookies(lane, s->who, throng__conn_res(conn));
        int f = s->faulted
                    ? 0
                    : throng__lane_follow(lane, s->who, s->host->resolver, hop_msg, sizeof hop_msg);
        if (f == 1) return; /* the next hop's answer comes here again */
        if (f < 0) {
            throng__conn_done(conn);
            kind = THRONG_FAULT_HTTP_ERROR;
            msg = hop_msg;
        }
    }
    s->waiting--;
    if (kind != THRONG__CONN_OK) {
        throng__exchange_faulted(x, (throng_fault_t)kind, msg);
        if (!s->faulted) {
            s->faulted = 1;
            s->fault_kind = kind;
            snprintf(s->fault_msg, sizeof s->fault_msg, "%s", msg);
        }
    } else {
        uint64_t service = conn->ex->latency + (lane->rd ? lane->rd->service_ns : 0);
        throng__exchange_answered(x, throng__conn_res(conn)->status, service, conn->ex->ttfb);
        s->answered++;
        s->host->report(s->host, THRONG__CLIENT_ANSWER, throng__conn_res(conn));
        /* A response handed to the persona keeps the conn's exchange state
         * (and its buffer's charge on the thread's budget) until the lane's
         * next exchange or the session's end. */
        if (s->faulted) {
            throng__conn_done(conn); /* the session is ending anyway */
        } else if (store_response(s, lane) != 0) {
            /* Answered and counted; the session cannot go on: a script error. */
            throng__ledger_fault(&s->host->ledger, THRONG_FAULT_SCRIPT_ERROR, s->host->msg);
            s->faulted = 1;
            s->fault_kind = THRONG_FAULT_SCRIPT_ERROR;
            snprintf(s->fault_msg, sizeof s->fault_msg, "%.*s", (int)sizeof s->fault_msg - 1,
                     s->host->msg);
        }
        throng__lane_rest(lane);
    }
    if (s->waiting > 0 && !s->faulted) return;
    if (s->running) {
        s->ready = 1; /* delivered once the coroutine has yielded */
        return;
    }
    deliver(s);
}

static void on_sleep(uv_timer_t *t)
{
    throng__session_t *s = t->data;
    THRONG__DEBUG(s->host, s->who->id, "timer fired (sleep)");
    s->sleeping = 0;
    run(s, 0);
}

/* -------------------------------------------------------- the coroutine */

/* The coroutine stopped with an error: a stop, a fault raised on purpose,
 * or a script error, reported with file:line and a short traceback. The
 * last two are faults outside any exchange. */
static void session_error(throng__session_t *s, lua_State *co)
{
    throng__host_t *h = s->host;
    if (lua_type(co, -1) == LUA_TLIGHTUSERDATA && lua_touserdata(co, -1) == &stop_marker) {
        s->on_end(s->owner, THRONG__SESSION_SPENT, THRONG_FAULT_ABORTED, NULL);
        return;
    }
    int kind = THRONG_FAULT_SCRIPT_ERROR;
    if (lua_getmetatable(co, -1)) {
        luaL_getmetatable(co, FAULT_MT);
        int is_fault = lua_rawequal(co, -1, -2);
        lua_pop(co, 2);
        if (is_fault) {
            lua_getfield(co, -1, "kind");
            lua_getfield(co, -2, "message");
            snprintf(h->msg, sizeof h->msg, "%s", lua_tostring(co, -1));
            kind = (int)lua_tointeger(co, -2);
            throng__ledger_fault(&h->ledger, (throng_fault_t)kind, h->msg);
            end_faulted(s, kind, h->msg);
            return;
        }
    }
    /* The runner's handler has added the traceback to string errors. */
    const char *msg = throng__lua_error_message(co, -1);
    snprintf(h->msg, sizeof h->msg, "%s", msg ? msg : luaL_typename(co, -1));
    throng__ledger_fault(&h->ledger, THRONG_FAULT_SCRIPT_ERROR, h->msg);
    end_faulted(s, kind, h->msg);
}

/* The session function yielded by itself (coroutine.yield), not through a
 * client method: nothing would ever resume it, so the client faults with
 * a script error naming where it yielded. Allocates nothing. */
static void stray_yield(throng__session_t *s, lua_State *co)
{
    throng__host_t *h = s->host;
    lua_Debug ar;
    int n = snprintf(h->msg, sizeof h->msg, "coroutine.yield outside a client method");
    for (int level = 0; level < 8 && lua_getstack(co, level, &ar); level++)
        if (lua_getinfo(co, "Sl", &ar) && ar.currentline > 0) {
            snprintf(h->msg + n, sizeof h->msg - (size_t)n, " [in %s:%d]", ar.short_src,
                     ar.currentline);
            break;
        }
    throng__ledger_fault(&h->ledger, THRONG_FAULT_SCRIPT_ERROR, h->msg);
    end_faulted(s, THRONG_FAULT_SCRIPT_ERROR, h->msg);
}

/* Resumes the coroutine with nargs values on its stack, and again for as
 * long as what it yields for is already there. */
static void run(throng__session_t *s, int nargs)
{
    throng__lua_ctx_t *ctx = s->host->persona->ctx;
    /* Asked to stop: the session stays where it waits; the stop, on its
     * way, ends it (its script may be one that never returns). */
    if (throng__host_stopping(s->host)) return;
    for (;;) {
        lua_State *co = s->co;
        ctx->who = s->who;
        s->running = 1;
        throng__lua_watch_enter(&ctx->watch);
        int rc = lua_resume(co, nargs);
        throng__lua_watch_leave(&ctx->watch);
        s->running = 0;
        ctx->who = &ctx->own;
        if (rc == LUA_YIELD && !s->by_method) {
            stray_yield(s, co);
            return;
        }
        s->by_method = 0;
        if (rc == LUA_YIELD) {
            if (!s->ready) return;
            s->ready = 0;
            if (s->faulted) {
                deliver(s);
                return;
            }
            nargs = push_results(s);
            continue;
        }
        /* The runner returns xpcall's results: true, or false and the error. */
        if (rc == 0 && lua_toboolean(co, 1))
            s->on_end(s->owner, THRONG__SESSION_OK, THRONG_FAULT_ABORTED, NULL);
        else
            session_error(s, co);
        return;
    }
}

/* session_start's allocating half, run protected on the persona's state:
 * the client object (once), and a coroutine holding the runner and its
 * arguments. */
static int start_protected(lua_State *L)
{
    throng__session_t *s = lua_touserdata(L, 1);
    throng__host_t *h = s->host;
    if (s->object_ref == LUA_NOREF) {
        /* A table, so that client.id is a plain field and client:get a plain
         * lookup in the methods table; [1] leads back to the C session. */
        lua_createtable(L, 1, 1);
        lua_pushlightuserdata(L, s);
        lua_rawseti(L, -2, 1);
        lua_pushnumber(L, (lua_Number)s->who->id);
        lua_setfield(L, -2, "id");
        throng__cookies_push(L, &s->who->jar, s->main->conn.address->host);
        lua_setfield(L, -2, "cookies");
        luaL_getmetatable(L, CLIENT_MT);
        lua_setmetatable(L, -2);
        s->object_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    lua_State *co = lua_newthread(L);
    lua_getfield(co, LUA_REGISTRYINDEX, RUNNER);
    lua_rawgeti(co, LUA_REGISTRYINDEX, h->persona->session_ref);
    lua_rawgeti(co, LUA_REGISTRYINDEX, s->self);
    lua_rawgeti(co, LUA_REGISTRYINDEX, s->object_ref);
    s->co_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    s->co = co;
    return 0;
}

void throng__session_start(throng__session_t *s)
{
    throng__host_t *h = s->host;
    lua_State *L = h->persona->L;
    s->generation++;
    s->answered = 0;
    s->by_method = 0;
    if (lua_cpcall(L, start_protected, s) != 0) {
        const char *e = throng__lua_error_message(L, -1);
        snprintf(h->msg, sizeof h->msg, "starting a session: %s", e ? e : "error");
        lua_pop(L, 1);
        throng__ledger_fault(&h->ledger, THRONG_FAULT_SCRIPT_ERROR, h->msg);
        end_faulted(s, THRONG_FAULT_SCRIPT_ERROR, h->msg);
        return;
    }
    run(s, 3);
}

/* -------------------------------------------------- extra connections */

/* An extra connection for role: the nth one already serving it, or a free
 * one, or a new one; NULL when memory runs out. */
static throng__lane_t *find_lane(throng__session_t *s, int role, unsigned nth,
                                 const throng__address_t *address)
{
    unsigned seen = 0;
    for (unsigned i = 0; role == ROLE_CONCURRENT && i < s->nextra; i++)
        if (s->extra[i]->role == ROLE_CONCURRENT && seen++ == nth) return s->extra[i];
    throng__lane_t *lane = NULL;
    for (unsigned i = 0; i < s->nextra && !lane; i++)
        if (s->extra[i]->role == ROLE_NONE) lane = s->extra[i];
    if (!lane) {
        throng__lane_t **grown = realloc(s->extra, (s->nextra + 1) * sizeof *grown);
        if (!grown) return NULL;
        s->extra = grown;
        if (!(lane = calloc(1, sizeof *lane))) return NULL;
        throng__conn_init(&lane->conn, s->host, address, throng__session_on_exchange, s,
                          s->who->id);
        s->extra[s->nextra++] = lane;
    }
    lane->role = role;
    lane->conn.address = address;
    return lane;
}

/* find_lane, or a Lua error. */
static throng__lane_t *extra_lane(lua_State *L, throng__session_t *s, int role, unsigned nth,
                                  const throng__address_t *address)
{
    throng__lane_t *lane = find_lane(s, role, nth, address);
    if (!lane) luaL_error(L, "out of memory for a connection");
    return lane;
}

/* ------------------------------------------------------------- methods */

/* 1 when the value at idx has the metatable in the function's upvalue 1:
 * compared by reference, with no string lookup. */
static int has_own_metatable(lua_State *L, int idx)
{
    if (!lua_getmetatable(L, idx)) return 0;
    int same = lua_rawequal(L, -1, lua_upvalueindex(1));
    lua_pop(L, 1);
    return same;
}

static throng__session_t *check_client(lua_State *L)
{
    if (!has_own_metatable(L, 1)) luaL_typerror(L, 1, "client (call methods with ':')");
    lua_rawgeti(L, 1, 1);
    throng__session_t *s = lua_touserdata(L, -1);
    lua_pop(L, 1);
    if (s->co != L)
        luaL_error(L, "client methods are called from the client's own session function");
    return s;
}

/* Writes the request (table at idx, or method and path) into the lane's
 * buffer, or raises the reason; req tells its timeout, method and name.
 * Nothing is counted yet. */
static void encode(lua_State *L, throng__session_t *s, throng__lane_t *lane, int idx,
                   const char *method, const char *path, throng__request_out_t *req)
{
    throng__host_t *h = s->host;
    assert(throng__conn_idle(&lane->conn) && !throng__exchange_open(&lane->x));
    throng__lane_home(lane);
    throng__buf_t *out = throng__conn_out(&lane->conn);
    if (!out) luaL_error(L, "out of memory for a request");
    out->len = 0;
    *req = (throng__request_out_t){.ctx = h->persona->ctx,
                                   .out = out,
                                   .json = &h->json,
                                   .authority = lane->conn.address->authority};
    throng__lane_prepare(lane, s->who, req);
    char msg[256];
    if (throng__lua_encode_request(L, idx, method, path, req, msg, sizeof msg) != 0)
        luaL_error(L, "%s", msg);
    lane->cookies = req->cookies;
    if (throng__lane_arm(lane, s->who, req, 5) != 0) luaL_error(L, "out of memory for a request");
    if (req->timeout <= 0) req->timeout = h->set->timeout;
}

/* Begins the lane's exchange; 0, or -1 when the request limit is reached.
 * The responses the persona got so far give their buffers back first. */
static int begin(lua_State *L, throng__session_t *s, throng__lane_t *lane,
                 const throng__request_out_t *req)
{
    release_responses(s, L);
    if (throng__exchange_begin(&lane->x, &s->host->ledger, req->name, req->name_len) != 0)
        return -1;
    lane->x.intended_ns = s->intended_ns; /* the session's first exchange: its arrival's */
    s->intended_ns = 0;
    return 0;
}

static void send_on(throng__lane_t *lane, const throng__request_out_t *req, unsigned slot)
{
    lane->slot = slot;
    throng__conn_send(&lane->conn, &lane->x, req->timeout, req->head, req->body_use, req->name,
                      req->name_len);
}

/* Ends the session because the request limit is reached. */
static int spent(lua_State *L)
{
    lua_pushlightuserdata(L, (void *)&stop_marker);
    return lua_error(L);
}

/* Starts one exchange whose response the coroutine waits for. */
static int exchange(lua_State *L, throng__session_t *s, throng__lane_t *lane, int idx,
                    const char *method, const char *path)
{
    throng__request_out_t req;
    encode(L, s, lane, idx, method, path, &req);
    if (begin(L, s, lane, &req) != 0) return spent(L);
    s->nresults = 1; /* the response goes straight onto the coroutine's stack */
    s->waiting = 1;
    send_on(lane, &req, 0);
    s->by_method = 1;
    return lua_yield(L, 0);
}

/* client:get(path [, opts]) and its siblings share this. */
static int method_call(lua_State *L, throng__session_t *s, throng__lane_t *lane, const char *m)
{
    const char *path = luaL_checkstring(L, 2);
    if (!lua_isnoneornil(L, 3)) luaL_checktype(L, 3, LUA_TTABLE);
    return exchange(L, s, lane, lua_istable(L, 3) ? 3 : 0, m, path);
}

#define CLIENT_METHOD(fn, verb)                                                                    \
    static int fn(lua_State *L)                                                                    \
    {                                                                                              \
        throng__session_t *s = check_client(L);                                                    \
        return method_call(L, s, s->main, verb);                                                   \
    }
CLIENT_METHOD(c_get, "GET")
CLIENT_METHOD(c_post, "POST")
CLIENT_METHOD(c_put, "PUT")
CLIENT_METHOD(c_delete, "DELETE")
CLIENT_METHOD(c_patch, "PATCH")
CLIENT_METHOD(c_head, "HEAD")

/* client:request(req): a whole request table. */
static int c_request(lua_State *L)
{
    throng__session_t *s = check_client(L);
    luaL_checktype(L, 2, LUA_TTABLE);
    return exchange(L, s, s->main, 2, NULL, NULL);
}

/* client:concurrently(req1, req2, ...): every request at once, each over
 * its own connection; returns the responses in the same order. Every
 * request is written first, so that a mistake in one sends none; then
 * each is begun, and when the request limit runs out part-way the ones
 * begun are cancelled and the session ends as the limit says. */
static int c_concurrently(lua_State *L)
{
    throng__session_t *s = check_client(L);
    int n = lua_gettop(L) - 1;
    luaL_argcheck(L, n >= 1, 2, "at least one request");
    throng__lane_t *lanes[64];
    throng__request_out_t reqs[64];
    luaL_argcheck(L, n <= 64, 66, "at most 64 requests at once");
    for (int i = 0; i < n; i++)
        luaL_checktype(L, i + 2, LUA_TTABLE);
    for (int i = 0; i < n; i++) {
        lanes[i] = extra_lane(L, s, ROLE_CONCURRENT, (unsigned)i, &s->host->set->address);
        encode(L, s, lanes[i], i + 2, NULL, NULL, &reqs[i]);
    }
    for (int i = 0; i < n; i++) {
        if (begin(L, s, lanes[i], &reqs[i]) == 0) continue;
        while (i-- > 0)
            throng__exchange_cancelled(&lanes[i]->x);
        return spent(L);
    }
    lua_createtable(L, n, 0);
    s->results_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    s->nresults = (unsigned)n;
    s->waiting = (unsigned)n;
    /* A send that fails at once faults the session: the rest stay begun
     * and unsent, and are cancelled when the session ends. */
    for (int i = 0; i < n && !s->faulted; i++)
        send_on(lanes[i], &reqs[i], (unsigned)i);
    s->by_method = 1;
    return lua_yield(L, 0);
}

/* client:sleep(seconds) */
static int c_sleep(lua_State *L)
{
    throng__session_t *s = check_client(L);
    double sec = luaL_checknumber(L, 2);
    luaL_argcheck(L, sec >= 0, 2, "seconds must not be negative");
    uint64_t ms = sec <= 0 ? 0 : (uint64_t)(sec * 1000.0 + 0.5);
    THRONG__DEBUG(s->host, s->who->id, "timer started (sleep, %.3fs)", sec);
    s->sleeping = 1;
    uv_timer_start(&s->timer, on_sleep, ms, 0);
    s->by_method = 1;
    return lua_yield(L, 0);
}

/* Ends the session with a fault of kind: an error only the engine catches. */
static int raise_fault(lua_State *L, int kind, const char *msg)
{
    lua_createtable(L, 0, 2);
    lua_pushinteger(L, kind);
    lua_setfield(L, -2, "kind");
    luaL_where(L, 1);
    lua_pushstring(L, msg);
    lua_concat(L, 2);
    lua_setfield(L, -2, "message");
    luaL_getmetatable(L, FAULT_MT);
    lua_setmetatable(L, -2);
    return lua_error(L);
}

/* The transaction open in this session, or NULL. */
static int txn_open(const throng__session_t *s)
{
    return s->txn_generation != 0 && s->txn_generation == s->generation;
}

/* Records the open transaction as ended, failed or not, and closes it. */
static void txn_close(throng__session_t *s, int failed)
{
    throng__stats_t *st = s->host->ledger.stats;
    throng__stats_txn_done(st, s->txn, uv_hrtime() - s->txn_start_ns, failed || s->txn_failed);
    s->txn_generation = 0;
}

/* The session ends on a fault with a transaction open (an exchange's fault
 * leaves the coroutine where it waited): the transaction failed. */
static void txn_abandon(throng__session_t *s)
{
    if (txn_open(s)) txn_close(s, 1);
}

/* client:check(cond, name [, {fatal = true, message = m}]): cond. Counts a
 * pass or a fail under name; a fail marks the open transaction failed and,
 * when fatal, ends the session with an invalid fault carrying m (default:
 * name). */
static int c_check(lua_State *L)
{
    throng__session_t *s = check_client(L);
    size_t len;
    const char *name = luaL_optlstring(L, 3, "check", &len);
    int fatal = 0;
    const char *msg = name;
    if (!lua_isnoneornil(L, 4)) {
        luaL_checktype(L, 4, LUA_TTABLE);
        lua_getfield(L, 4, "fatal");
        fatal = lua_toboolean(L, -1);
        lua_getfield(L, 4, "message");
        if (!lua_isnil(L, -1)) msg = luaL_checkstring(L, -1); /* stays on the stack */
    }
    int passed = lua_toboolean(L, 2);
    throng__stats_check(s->host->ledger.stats, name, len, passed);
    if (!passed && txn_open(s)) s->txn_failed = 1;
    if (!passed && fatal) return raise_fault(L, THRONG_FAULT_INVALID, msg);
    lua_settop(L, 2);
    return 1;
}

/* client:transaction's C halves: begin(client, name, fn) opens the
 * transaction, finish(client, ok, err) records it (not when err is the
 * request limit's stop: the session did not fail, it was cut short). */
static int txn_begin(lua_State *L)
{
    throng__session_t *s = check_client(L);
    size_t len;
    const char *name = luaL_checklstring(L, 2, &len);
    luaL_checktype(L, 3, LUA_TFUNCTION);
    if (txn_open(s))
        return luaL_error(L, "client:transaction: transactions do not nest ('%s' is open)",
                          s->host->ledger.stats->txns[s->txn]->name);
    int i = throng__stats_txn(s->host->ledger.stats, name, len);
    if (i < 0) return luaL_error(L, "out of memory for a transaction");
    s->txn = i;
    s->txn_failed = 0;
    s->txn_generation = s->generation;
    s->txn_start_ns = uv_hrtime();
    return 0;
}

static int txn_finish(lua_State *L)
{
    throng__session_t *s = check_client(L);
    if (!txn_open(s)) return 0;
    if (!lua_toboolean(L, 2) && lua_touserdata(L, 3) == &stop_marker)
        s->txn_generation = 0;
    else
        txn_close(s, !lua_toboolean(L, 2));
    return 0;
}

/* client:fault(kind, message): busy is counted and the session goes on;
 * any other kind ends the session with that fault. */
static int c_fault(lua_State *L)
{
    throng__session_t *s = check_client(L);
    int kind = luaL_checkoption(L, 2, NULL, throng__fault_names);
    const char *msg = luaL_optstring(L, 3, throng__fault_names[kind]);
    if (kind == THRONG_FAULT_BUSY) {
        throng__ledger_fault(&s->host->ledger, THRONG_FAULT_BUSY, msg);
        return 0;
    }
    return raise_fault(L, kind, msg);
}

/* client:close(): closes the client's connections; the next request
 * opens a new one. Nothing is under way while the coroutine runs. */
static int c_close(lua_State *L)
{
    throng__session_t *s = check_client(L);
    throng__conn_close(&s->main->conn);
    for (unsigned i = 0; i < s->nextra; i++)
        if (s->extra[i]->role == ROLE_CONCURRENT) throng__conn_close(&s->extra[i]->conn);
    return 0;
}

/* Pushes a connection object for address, for this session, or nil and
 * the reason; returns how many values it pushed. */
static int push_link(lua_State *L, throng__session_t *s, const throng__address_t *a)
{
    throng__lane_t *lane = find_lane(s, ROLE_LINK, 0, a);
    if (!lane) {
        lua_pushnil(L);
        lua_pushliteral(L, "out of memory for a connection");
        return 2;
    }
    conn_obj_t *o = lua_newuserdata(L, sizeof *o);
    o->s = s;
    o->lane = lane;
    o->generation = s->generation;
    luaL_getmetatable(L, CONNECTION_MT);
    lua_setmetatable(L, -2);
    return 1;
}

typedef struct resolved_call {
    throng__session_t *s;
    const throng__address_t *a;
    const char *err;
    int n; /* values moved onto the coroutine's stack */
} resolved_call_t;

/* on_resolved's allocating half, run protected on the persona's state:
 * what client:connect returns, moved onto the waiting coroutine's stack. */
static int resolved_protected(lua_State *L)
{
    resolved_call_t *c = lua_touserdata(L, 1);
    int n = 2;
    if (c->a) {
        n = push_link(L, c->s, c->a);
    } else {
        lua_pushnil(L);
        lua_pushstring(L, c->err);
    }
    lua_xmove(L, c->s->co, n);
    c->n = n;
    return 0;
}

/* The server's address is known, or cannot be: client:connect returns. */
static void on_resolved(void *data, const throng__address_t *a, const char *err)
{
    throng__session_t *s = data;
    if (s->stopped || !s->co) return;
    throng__host_t *h = s->host;
    lua_State *L = h->persona->L;
    resolved_call_t c = {s, a, err, 0};
    if (lua_cpcall(L, resolved_protected, &c) != 0) {
        const char *e = throng__lua_error_message(L, -1);
        snprintf(h->msg, sizeof h->msg, "client:connect: %s", e ? e : "error");
        lua_pop(L, 1);
        throng__ledger_fault(&h->ledger, THRONG_FAULT_SCRIPT_ERROR, h->msg);
        end_faulted(s, THRONG_FAULT_SCRIPT_ERROR, h->msg);
        return;
    }
    run(s, c.n);
}

/* client:connect(server)'s C half: a connection object, or nil and the
 * reason. A name not resolved yet is looked up off the loop's thread while
 * the coroutine waits. The Lua half (connect_source) raises the reason. */
static int c_connect(lua_State *L)
{
    throng__session_t *s = check_client(L);
    const char *server = luaL_checkstring(L, 2);
    char err[THRONG__ERRMSG_LEN];
    const throng__address_t *a = NULL;
    int rc = throng__resolver_get(s->host->resolver, server, on_resolved, s, &a, err);
    if (rc < 0) {
        lua_pushnil(L);
        lua_pushstring(L, err);
        return 2;
    }
    if (rc == 1) {
        s->by_method = 1;
        return lua_yield(L, 0);
    }
    return push_link(L, s, a);
}

/* ------------------------------------------------ connection methods */

static conn_obj_t *check_conn(lua_State *L)
{
    if (!has_own_metatable(L, 1)) luaL_typerror(L, 1, "connection (call methods with ':')");
    conn_obj_t *o = lua_touserdata(L, 1);
    if (o->generation != o->s->generation || !o->s->co || !o->lane)
        luaL_error(L, "connection used after the session that opened it ended");
    if (o->s->co != L) luaL_error(L, "connections are used from their client's session");
    return o;
}

#define CONN_METHOD(fn, verb)                                                                      \
    static int fn(lua_State *L)                                                                    \
    {                                                                                              \
        conn_obj_t *o = check_conn(L);                                                             \
        return method_call(L, o->s, o->lane, verb);                                                \
    }
CONN_METHOD(k_get, "GET")
CONN_METHOD(k_post, "POST")
CONN_METHOD(k_put, "PUT")
CONN_METHOD(k_delete, "DELETE")
CONN_METHOD(k_patch, "PATCH")
CONN_METHOD(k_head, "HEAD")

static int k_request(lua_State *L)
{
    conn_obj_t *o = check_conn(L);
    luaL_checktype(L, 2, LUA_TTABLE);
    return exchange(L, o->s, o->lane, 2, NULL, NULL);
}

static int k_close(lua_State *L)
{
    conn_obj_t *o = check_conn(L);
    throng__conn_close(&o->lane->conn);
    return 0;
}

static const luaL_Reg client_methods[] = {
    {"get", c_get},
    {"post", c_post},
    {"put", c_put},
    {"delete", c_delete},
    {"patch", c_patch},
    {"head", c_head},
    {"request", c_request},
    {"concurrently", c_concurrently},
    {"sleep", c_sleep},
    {"check", c_check},
    {"fault", c_fault},
    {"close", c_close},
    {"connect", c_connect},
    {"transaction", txn_begin},
    {"transaction_finish", txn_finish},
    {NULL, NULL},
};

static const luaL_Reg conn_methods[] = {
    {"get", k_get},         {"post", k_post},   {"put", k_put},
    {"delete", k_delete},   {"patch", k_patch}, {"head", k_head},
    {"request", k_request}, {"close", k_close}, {NULL, NULL},
};

/* The runner's error handler: a string error gains its traceback while the
 * failing frames still exist; faults and stops pass through unchanged. */
static int runner_handler(lua_State *L)
{
    if (lua_type(L, 1) != LUA_TSTRING) return 1;
    throng__lua_traceback(L, L, lua_tostring(L, 1), 1);
    return 1;
}

/* Runs session(self, client) under xpcall, from Lua, so that it can yield
 * (LuaJIT yields across a pcall made in Lua, not one made from C). */
static const char runner_source[] =
    "local xpcall, handler = xpcall, ...\n"
    "return function(session, self, client) return xpcall(session, handler, self, client) end\n";

/* client:connect's Lua half: the C half yields while a name resolves, and
 * its failure becomes an error at the persona's call. */
static const char connect_source[] = "local connect, error = ...\n"
                                     "return function(client, server)\n"
                                     "  local conn, err = connect(client, server)\n"
                                     "  if conn == nil then error(err, 2) end\n"
                                     "  return conn\n"
                                     "end\n";

/* client:transaction(name, fn): fn(client) timed as one named figure, its
 * results returned; an error raised inside is recorded (a failure) and
 * raised again. In Lua, so that fn can yield inside the pcall. */
static const char transaction_source[] = "local begin, finish, pcall, error = ...\n"
                                         "local function done(client, ok, ...)\n"
                                         "  finish(client, ok, (...))\n"
                                         "  if not ok then error((...), 0) end\n"
                                         "  return ...\n"
                                         "end\n"
                                         "return function(client, name, fn)\n"
                                         "  begin(client, name, fn)\n"
                                         "  return done(client, pcall(fn, client))\n"
                                         "end\n";

/* A metatable whose __index is the methods table, each method closing
 * over the metatable itself (has_own_metatable). Leaves the methods table
 * on the stack. */
static void open_methods(lua_State *L, const char *name, const luaL_Reg *methods)
{
    luaL_newmetatable(L, name);
    lua_newtable(L);
    lua_pushvalue(L, -2);
    luaL_setfuncs(L, methods, 1);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "__index");
    lua_pushstring(L, name);
    lua_setfield(L, -3, "__metatable"); /* getmetatable() from Lua sees only the name */
    lua_remove(L, -2);
}

void throng__session_open(lua_State *L)
{
    if (luaL_loadbuffer(L, runner_source, sizeof runner_source - 1, "=session runner") == 0) {
        lua_pushcfunction(L, runner_handler);
        if (lua_pcall(L, 1, 1, 0) == 0) lua_setfield(L, LUA_REGISTRYINDEX, RUNNER);
    }
    lua_settop(L, 1); /* the state's message handler stays in slot 1 */

    open_methods(L, CLIENT_MT, client_methods);
    if (luaL_loadbuffer(L, connect_source, sizeof connect_source - 1, "=client:connect") == 0) {
        lua_getfield(L, -2, "connect");
        lua_getglobal(L, "error");
        if (lua_pcall(L, 2, 1, 0) == 0) lua_setfield(L, -2, "connect");
    }
    lua_settop(L, 2);
    if (luaL_loadbuffer(L, transaction_source, sizeof transaction_source - 1,
                        "=client:transaction") == 0) {
        lua_getfield(L, -2, "transaction");
        lua_getfield(L, -3, "transaction_finish");
        lua_getglobal(L, "pcall");
        lua_getglobal(L, "error");
        if (lua_pcall(L, 4, 1, 0) == 0) lua_setfield(L, -2, "transaction");
        lua_pushnil(L);
        lua_setfield(L, -2, "transaction_finish");
    }
    lua_settop(L, 1);
    open_methods(L, CONNECTION_MT, conn_methods);
    lua_settop(L, 1);

    throng__cookies_open(L);
    luaL_newmetatable(L, FAULT_MT);
    lua_pushliteral(L, "throng fault");
    lua_setfield(L, -2, "__name");
    lua_pop(L, 1);
}

/* ----------------------------------------------------------- lifecycle */

void throng__session_init(throng__session_t *s, throng__host_t *host, throng__lua_caller_t *who,
                          int self, throng__lane_t *main, throng__session_cb on_end, void *owner)
{
    memset(s, 0, sizeof *s);
    s->host = host;
    s->who = who;
    s->self = self;
    s->main = main;
    s->on_end = on_end;
    s->owner = owner;
    s->co_ref = s->object_ref = s->results_ref = s->live_ref = LUA_NOREF;
    uv_timer_init(host->loop, &s->timer);
    s->timer.data = s;
}

void throng__session_end(throng__session_t *s)
{
    lua_State *L = s->host->persona->L;
    if (s->co_ref != LUA_NOREF) luaL_unref(L, LUA_REGISTRYINDEX, s->co_ref);
    if (s->results_ref != LUA_NOREF) luaL_unref(L, LUA_REGISTRYINDEX, s->results_ref);
    s->co_ref = s->results_ref = LUA_NOREF;
    s->co = NULL;
    release_responses(s, L);
    throng__lua_collect_after_refusal(L);
    s->waiting = s->nresults = 0;
    s->ready = s->faulted = s->sleeping = 0;
    if (!s->stopped) uv_timer_stop(&s->timer);
    throng__resolver_cancel(s->host->resolver, s);
    throng__resolver_cancel(s->host->resolver, s->main);
    throng__lane_settle(s->main, 0);
    for (unsigned i = 0; i < s->nextra; i++) {
        throng__resolver_cancel(s->host->resolver, s->extra[i]);
        throng__lane_settle(s->extra[i], 0);
        s->extra[i]->role = ROLE_NONE;
    }
}

void throng__session_stop(throng__session_t *s, int aborted)
{
    if (s->stopped) return;
    s->stopped = 1;
    throng__resolver_cancel(s->host->resolver, s);
    throng__resolver_cancel(s->host->resolver, s->main);
    throng__lane_settle(s->main, aborted);
    for (unsigned i = 0; i < s->nextra; i++) {
        throng__resolver_cancel(s->host->resolver, s->extra[i]);
        throng__lane_settle(s->extra[i], aborted);
        uv_close((uv_handle_t *)&s->extra[i]->conn.timer, NULL);
    }
    uv_close((uv_handle_t *)&s->timer, NULL);
}

void throng__session_free(throng__session_t *s)
{
    for (unsigned i = 0; i < s->nextra; i++) {
        throng__conn_free(&s->extra[i]->conn);
        throng__lane_free(s->extra[i]);
        free(s->extra[i]);
    }
    free(s->extra);
    s->extra = NULL;
    s->nextra = 0;
}
