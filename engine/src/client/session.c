/* session.c - the session style.
 *
 * Each session runs session(self, client) in a fresh coroutine. A method
 * that waits (a request, concurrently, sleep) starts the work and yields;
 * the connection's or timer's callback resumes the coroutine with the
 * result. A fault on any exchange ends the session with that fault, as in
 * the request style; client:check and client:fault end it on purpose.
 *
 * A callback can arrive while the coroutine is still running (a connect
 * that fails at once); it then only records the outcome, which the resume
 * loop delivers as soon as the coroutine has yielded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "util/error.h"
#include "lua/lua_request.h"
#include "client/session.h"
#include "client/worker.h"

#define CLIENT_MT "throng.client"
#define CONNECTION_MT "throng.connection"
#define FAULT_MT "throng.fault"
#define RUNNER "throng.session_runner"

/* Raised by a method when the request limit is spent: the client stops. */
static const char stop_marker = 0;

enum { ROLE_NONE, ROLE_CONCURRENT, ROLE_LINK };

typedef struct conn_obj {
    throng__client_t *c;
    throng__conn_t *conn;
    uint64_t generation; /* the session it belongs to */
} conn_obj_t;

static void run(throng__client_t *c, int nargs);

/* ------------------------------------------------------------- results */

/* Pushes the responses the coroutine waited for onto its stack (a single
 * response is there already). */
static int push_results(throng__client_t *c)
{
    lua_State *co = c->s.co;
    int n = (int)c->s.nresults;
    if (c->s.results_ref == LUA_NOREF) {
        c->s.nresults = 0;
        return n;
    }
    lua_checkstack(co, n + 2);
    lua_rawgeti(co, LUA_REGISTRYINDEX, c->s.results_ref);
    int t = lua_gettop(co);
    for (int i = 1; i <= n; i++)
        lua_rawgeti(co, t, i);
    lua_remove(co, t);
    luaL_unref(co, LUA_REGISTRYINDEX, c->s.results_ref);
    c->s.results_ref = LUA_NOREF;
    c->s.nresults = 0;
    return n;
}

/* Turns conn's response into a response object that owns its buffer: on
 * the waiting coroutine's stack for a single request, else in the results
 * table at the conn's slot. */
static void store_response(throng__client_t *c, throng__conn_t *conn)
{
    throng__worker_t *w = c->w;
    int single = c->s.results_ref == LUA_NOREF;
    lua_State *L = single ? c->s.co : w->persona.L;
    if (!single) lua_rawgeti(L, LUA_REGISTRYINDEX, c->s.results_ref);
    throng__lua_response_t *r = throng__lua_new_response(L, w->persona.ctx);
    r->valid = 1;
    r->status = conn->res.status;
    r->latency = (double)conn->latency * 1e-9;
    r->body = throng__http_response_body(&conn->res, &r->body_len);
    r->headers = throng__http_response_headers(&conn->res, &r->headers_len);
    r->owned = conn->res.buf; /* the pointers above stay valid: the buffer moves whole */
    r->pool = &w->pool;
    conn->res.buf = NULL;
    if (single) return;
    lua_rawseti(L, -2, (int)conn->slot + 1);
    lua_pop(L, 1);
}

/* Delivers what the coroutine waited for: the responses, or the fault. */
static void deliver(throng__client_t *c)
{
    if (c->s.faulted) {
        c->s.faulted = 0;
        throng__client_fault(c, c->s.fault_name, (throng_fault_t)c->s.fault_kind, c->s.fault_msg);
        return;
    }
    run(c, push_results(c));
}

void throng__session_on_exchange(throng__conn_t *conn, int kind, const char *msg)
{
    throng__client_t *c = conn->owner;
    if (c->s.waiting == 0) return; /* the session has moved on */
    c->s.waiting--;
    if (kind != THRONG__CONN_OK) {
        if (!c->s.faulted) {
            c->s.faulted = 1;
            c->s.fault_kind = kind;
            c->s.fault_name = conn->name_idx;
            snprintf(c->s.fault_msg, sizeof c->s.fault_msg, "%s", msg);
        }
    } else {
        throng__client_count_response(c, conn);
        store_response(c, conn);
    }
    if (c->s.waiting > 0 && !c->s.faulted) return;
    if (c->s.running) {
        c->s.ready = 1; /* delivered once the coroutine has yielded */
        return;
    }
    deliver(c);
}

void throng__session_wake(throng__client_t *c)
{
    c->s.sleeping = 0;
    run(c, 0);
}

/* -------------------------------------------------------- the coroutine */

/* The coroutine stopped with an error: a stop, a fault raised on purpose,
 * or a script error, reported with file:line and a short traceback. */
static void session_error(throng__client_t *c, lua_State *co)
{
    throng__worker_t *w = c->w;
    lua_State *L = w->persona.L;
    for (; c->s.prepared > 0; c->s.prepared--) /* concurrently stopped half-way */
        throng__worker_return_request(w);
    if (lua_type(co, -1) == LUA_TLIGHTUSERDATA && lua_touserdata(co, -1) == &stop_marker) {
        throng__client_finish(c);
        return;
    }
    if (lua_getmetatable(co, -1)) {
        luaL_getmetatable(co, FAULT_MT);
        int is_fault = lua_rawequal(co, -1, -2);
        lua_pop(co, 2);
        if (is_fault) {
            lua_getfield(co, -1, "kind");
            lua_getfield(co, -2, "message");
            snprintf(w->msg, sizeof w->msg, "%s", lua_tostring(co, -1));
            int kind = (int)lua_tointeger(co, -2);
            throng__client_fault(c, -1, (throng_fault_t)kind, w->msg);
            return;
        }
    }
    /* The runner's handler has added the traceback to string errors. */
    const char *msg = lua_tostring(co, -1);
    snprintf(w->msg, sizeof w->msg, "%s", msg ? msg : luaL_typename(co, -1));
    (void)L;
    throng__client_fault(c, -1, THRONG_FAULT_SCRIPT_ERROR, w->msg);
}

/* Resumes the coroutine with nargs values on its stack, and again for as
 * long as what it yields for is already there. */
static void run(throng__client_t *c, int nargs)
{
    throng__lua_ctx_t *ctx = c->w->persona.ctx;
    for (;;) {
        lua_State *co = c->s.co;
        ctx->who = &c->who;
        c->s.running = 1;
        int rc = lua_resume(co, nargs);
        c->s.running = 0;
        ctx->who = &ctx->own;
        if (rc == LUA_YIELD) {
            if (!c->s.ready) return;
            c->s.ready = 0;
            if (c->s.faulted) {
                deliver(c);
                return;
            }
            nargs = push_results(c);
            continue;
        }
        /* The runner returns xpcall's results: true, or false and the error. */
        if (rc == 0 && lua_toboolean(co, 1))
            throng__client_end_session(c);
        else
            session_error(c, co);
        return;
    }
}

void throng__session_start(throng__client_t *c)
{
    throng__worker_t *w = c->w;
    lua_State *L = w->persona.L;
    c->s.generation++;
    if (c->s.object_ref == LUA_NOREF) {
        /* A table, so that client.id is a plain field and client:get a plain
         * lookup in the methods table; [1] leads back to the C client. */
        lua_createtable(L, 1, 1);
        lua_pushlightuserdata(L, c);
        lua_rawseti(L, -2, 1);
        lua_pushnumber(L, (lua_Number)c->who.id);
        lua_setfield(L, -2, "id");
        luaL_getmetatable(L, CLIENT_MT);
        lua_setmetatable(L, -2);
        c->s.object_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    lua_State *co = lua_newthread(L);
    c->s.co_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    c->s.co = co;
    lua_getfield(co, LUA_REGISTRYINDEX, RUNNER);
    lua_rawgeti(co, LUA_REGISTRYINDEX, w->persona.session_ref);
    lua_rawgeti(co, LUA_REGISTRYINDEX, c->self);
    lua_rawgeti(co, LUA_REGISTRYINDEX, c->s.object_ref);
    run(c, 3);
}

/* -------------------------------------------------- extra connections */

/* An extra connection for role: the nth one already serving it, or a free
 * one, or a new one. Raises a Lua error when memory runs out. */
static throng__conn_t *extra_conn(lua_State *L, throng__client_t *c, int role, unsigned nth,
                                  const throng__address_t *address)
{
    throng__session_t *s = &c->s;
    unsigned seen = 0;
    for (unsigned i = 0; role == ROLE_CONCURRENT && i < s->nextra; i++)
        if (s->extra[i]->role == ROLE_CONCURRENT && seen++ == nth) return s->extra[i];
    throng__conn_t *conn = NULL;
    for (unsigned i = 0; i < s->nextra && !conn; i++)
        if (s->extra[i]->role == ROLE_NONE) conn = s->extra[i];
    if (!conn) {
        throng__conn_t **grown = realloc(s->extra, (s->nextra + 1) * sizeof *grown);
        if (!grown) luaL_error(L, "out of memory for a connection");
        s->extra = grown;
        if (!(conn = malloc(sizeof *conn))) luaL_error(L, "out of memory for a connection");
        throng__conn_init(conn, c->w, address, throng__session_on_exchange, c, c->who.id);
        s->extra[s->nextra++] = conn;
    }
    conn->role = role;
    conn->address = address;
    return conn;
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

static throng__client_t *check_client(lua_State *L)
{
    if (!has_own_metatable(L, 1)) luaL_typerror(L, 1, "client (call methods with ':')");
    lua_rawgeti(L, 1, 1);
    throng__client_t *c = lua_touserdata(L, -1);
    lua_pop(L, 1);
    if (c->s.co != L)
        luaL_error(L, "client methods are called from the client's own session function");
    return c;
}

/* Writes the request (table at idx, or method and path) into conn->out,
 * or raises the reason; req tells its timeout, method and name. */
static void prepare(lua_State *L, throng__client_t *c, throng__conn_t *conn, int idx,
                    const char *method, const char *path, throng__request_out_t *req)
{
    throng__worker_t *w = c->w;
    if (!throng__worker_take_request(w)) {
        lua_pushlightuserdata(L, (void *)&stop_marker);
        lua_error(L);
    }
    conn->out.len = 0;
    *req = (throng__request_out_t){.ctx = w->persona.ctx,
                                   .out = &conn->out,
                                   .json = &w->json,
                                   .authority = conn->address->authority};
    char msg[256];
    if (throng__lua_encode_request(L, idx, method, path, req, msg, sizeof msg) != 0) {
        throng__worker_return_request(w);
        luaL_error(L, "%s", msg);
    }
    if (req->timeout <= 0) req->timeout = w->set->timeout;
}

static void send_on(throng__conn_t *conn, const throng__request_out_t *req, unsigned slot)
{
    conn->slot = slot;
    throng__conn_send(conn, req->timeout, req->head, req->name, req->name_len);
}

/* Starts one exchange whose response the coroutine waits for. */
static int exchange(lua_State *L, throng__client_t *c, throng__conn_t *conn, int idx,
                    const char *method, const char *path)
{
    throng__request_out_t req;
    prepare(L, c, conn, idx, method, path, &req);
    c->s.nresults = 1; /* the response goes straight onto the coroutine's stack */
    c->s.waiting = 1;
    send_on(conn, &req, 0);
    return lua_yield(L, 0);
}

/* client:get(path [, opts]) and its siblings share this. */
static int method_call(lua_State *L, throng__client_t *c, throng__conn_t *conn, const char *m)
{
    const char *path = luaL_checkstring(L, 2);
    if (!lua_isnoneornil(L, 3)) luaL_checktype(L, 3, LUA_TTABLE);
    return exchange(L, c, conn, lua_istable(L, 3) ? 3 : 0, m, path);
}

#define CLIENT_METHOD(fn, verb)                                                                    \
    static int fn(lua_State *L)                                                                    \
    {                                                                                              \
        throng__client_t *c = check_client(L);                                                     \
        return method_call(L, c, &c->conn, verb);                                                  \
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
    throng__client_t *c = check_client(L);
    luaL_checktype(L, 2, LUA_TTABLE);
    return exchange(L, c, &c->conn, 2, NULL, NULL);
}

/* client:concurrently(req1, req2, ...): every request at once, each over
 * its own connection; returns the responses in the same order. */
static int c_concurrently(lua_State *L)
{
    throng__client_t *c = check_client(L);
    int n = lua_gettop(L) - 1;
    luaL_argcheck(L, n >= 1, 2, "at least one request");
    throng__conn_t *conns[64];
    throng__request_out_t reqs[64];
    luaL_argcheck(L, n <= 64, 66, "at most 64 requests at once");
    for (int i = 0; i < n; i++)
        luaL_checktype(L, i + 2, LUA_TTABLE);
    for (int i = 0; i < n; i++) {
        conns[i] = extra_conn(L, c, ROLE_CONCURRENT, (unsigned)i, &c->w->set->address);
        /* A request that cannot be prepared gives back what the earlier took. */
        c->s.prepared = (unsigned)i;
        prepare(L, c, conns[i], i + 2, NULL, NULL, &reqs[i]);
    }
    c->s.prepared = 0;
    lua_createtable(L, n, 0);
    c->s.results_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    c->s.nresults = (unsigned)n;
    c->s.waiting = (unsigned)n;
    for (int i = 0; i < n && !c->s.faulted; i++)
        send_on(conns[i], &reqs[i], (unsigned)i);
    return lua_yield(L, 0);
}

/* client:sleep(seconds) */
static int c_sleep(lua_State *L)
{
    throng__client_t *c = check_client(L);
    double s = luaL_checknumber(L, 2);
    luaL_argcheck(L, s >= 0, 2, "seconds must not be negative");
    c->s.sleeping = 1;
    throng__client_sleep(c, s);
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

/* client:check(cond, message): cond, or the session ends with an invalid
 * fault carrying message. */
static int c_check(lua_State *L)
{
    check_client(L);
    if (lua_toboolean(L, 2)) {
        lua_settop(L, 2);
        return 1;
    }
    return raise_fault(L, THRONG_FAULT_INVALID, luaL_optstring(L, 3, "check failed"));
}

/* client:fault(kind, message): busy is counted and the session goes on;
 * any other kind ends the session with that fault. */
static int c_fault(lua_State *L)
{
    throng__client_t *c = check_client(L);
    int kind = luaL_checkoption(L, 2, NULL, throng__fault_names);
    const char *msg = luaL_optstring(L, 3, throng__fault_names[kind]);
    if (kind == THRONG_FAULT_BUSY) {
        throng__worker_fault(c->w, -1, THRONG_FAULT_BUSY, msg);
        return 0;
    }
    return raise_fault(L, kind, msg);
}

/* client:close(): closes the client's connections; the next request
 * opens a new one. */
static int c_close(lua_State *L)
{
    throng__client_t *c = check_client(L);
    throng__conn_close(&c->conn);
    for (unsigned i = 0; i < c->s.nextra; i++)
        if (c->s.extra[i]->role == ROLE_CONCURRENT) throng__conn_close(c->s.extra[i]);
    return 0;
}

/* client:connect(server): a connection to a second target, for this
 * session, with the same request methods as the client. */
static int c_connect(lua_State *L)
{
    throng__client_t *c = check_client(L);
    const char *server = luaL_checkstring(L, 2);
    char err[THRONG__ERRMSG_LEN];
    const throng__address_t *a = throng__worker_resolve(c->w, server, err);
    if (!a) return luaL_error(L, "%s", err);
    conn_obj_t *o = lua_newuserdata(L, sizeof *o);
    o->c = c;
    o->conn = extra_conn(L, c, ROLE_LINK, 0, a);
    o->generation = c->s.generation;
    luaL_getmetatable(L, CONNECTION_MT);
    lua_setmetatable(L, -2);
    return 1;
}

/* ------------------------------------------------ connection methods */

static conn_obj_t *check_conn(lua_State *L)
{
    if (!has_own_metatable(L, 1)) luaL_typerror(L, 1, "connection (call methods with ':')");
    conn_obj_t *o = lua_touserdata(L, 1);
    if (o->generation != o->c->s.generation || !o->c->s.co)
        luaL_error(L, "connection used after the session that opened it ended");
    if (o->c->s.co != L) luaL_error(L, "connections are used from their client's session");
    return o;
}

#define CONN_METHOD(fn, verb)                                                                      \
    static int fn(lua_State *L)                                                                    \
    {                                                                                              \
        conn_obj_t *o = check_conn(L);                                                             \
        return method_call(L, o->c, o->conn, verb);                                                \
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
    return exchange(L, o->c, o->conn, 2, NULL, NULL);
}

static int k_close(lua_State *L)
{
    conn_obj_t *o = check_conn(L);
    throng__conn_close(o->conn);
    return 0;
}

static const luaL_Reg client_methods[] = {
    {"get", c_get},         {"post", c_post},
    {"put", c_put},         {"delete", c_delete},
    {"patch", c_patch},     {"head", c_head},
    {"request", c_request}, {"concurrently", c_concurrently},
    {"sleep", c_sleep},     {"check", c_check},
    {"fault", c_fault},     {"close", c_close},
    {"connect", c_connect}, {NULL, NULL},
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

/* A metatable whose __index is the methods table, each method closing
 * over the metatable itself (has_own_metatable). */
static void open_methods(lua_State *L, const char *name, const luaL_Reg *methods)
{
    luaL_newmetatable(L, name);
    lua_newtable(L);
    lua_pushvalue(L, -2);
    luaL_setfuncs(L, methods, 1);
    lua_setfield(L, -2, "__index");
    lua_pushstring(L, name);
    lua_setfield(L, -2, "__metatable"); /* getmetatable() from Lua sees only the name */
    lua_pop(L, 1);
}

void throng__session_open(lua_State *L)
{
    if (luaL_loadbuffer(L, runner_source, sizeof runner_source - 1, "=session runner") == 0) {
        lua_pushcfunction(L, runner_handler);
        if (lua_pcall(L, 1, 1, 0) == 0) lua_setfield(L, LUA_REGISTRYINDEX, RUNNER);
    }
    lua_settop(L, 1); /* the state's message handler stays in slot 1 */

    open_methods(L, CLIENT_MT, client_methods);
    open_methods(L, CONNECTION_MT, conn_methods);

    luaL_newmetatable(L, FAULT_MT);
    lua_pushliteral(L, "throng fault");
    lua_setfield(L, -2, "__name");
    lua_pop(L, 1);
}

/* ----------------------------------------------------------- lifecycle */

void throng__session_init(throng__client_t *c)
{
    memset(&c->s, 0, sizeof c->s);
    c->s.co_ref = c->s.object_ref = c->s.results_ref = LUA_NOREF;
}

void throng__session_end(throng__client_t *c)
{
    throng__session_t *s = &c->s;
    lua_State *L = c->w->persona.L;
    if (s->co_ref != LUA_NOREF) luaL_unref(L, LUA_REGISTRYINDEX, s->co_ref);
    if (s->results_ref != LUA_NOREF) luaL_unref(L, LUA_REGISTRYINDEX, s->results_ref);
    s->co_ref = s->results_ref = LUA_NOREF;
    s->co = NULL;
    s->waiting = s->nresults = 0;
    s->ready = s->faulted = s->sleeping = 0;
    for (unsigned i = 0; i < s->nextra; i++) {
        throng__conn_close(s->extra[i]);
        s->extra[i]->role = ROLE_NONE;
    }
}

void throng__session_free(throng__client_t *c)
{
    for (unsigned i = 0; i < c->s.nextra; i++) {
        throng__conn_free(c->s.extra[i]);
        free(c->s.extra[i]);
    }
    free(c->s.extra);
    c->s.extra = NULL;
    c->s.nextra = 0;
}
