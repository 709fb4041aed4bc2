/* lua_throng.c - the `throng` Lua module. Every function reaches the
 * per-state context through its first upvalue; there are no C globals. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>
#include <lua.h>

#include "util/buf.h"
#include "lua/lua_data.h"
#include "lua/lua_json.h"
#include "lua/lua_regex.h"
#include "lua/lua_throng.h"
#include "lua/lua_url.h"
#include "lua/shape.h"
#include "throng.h"

static throng__lua_ctx_t *ctx_of(lua_State *L)
{
    return (throng__lua_ctx_t *)lua_touserdata(L, lua_upvalueindex(1));
}

/* throng.spread_out(s): s times a uniform factor in [0.75, 1.25), so that
 * clients started together drift apart instead of marching in step. */
static int l_spread_out(lua_State *L)
{
    double s = luaL_checknumber(L, 1);
    lua_pushnumber(L, s * (0.75 + 0.5 * throng__rng_double(&ctx_of(L)->who->rng)));
    return 1;
}

/* throng.random([m [, n]]): as math.random, but drawn from the client's own
 * generator, so each client has its own sequence and --seed repeats them. */
static int l_random(lua_State *L)
{
    throng__rng_t *rng = &ctx_of(L)->who->rng;
    int n = lua_gettop(L);
    if (n == 0) {
        lua_pushnumber(L, throng__rng_double(rng));
        return 1;
    }
    lua_Number lo = 1, hi;
    if (n == 1) {
        hi = luaL_checknumber(L, 1);
    } else {
        lo = luaL_checknumber(L, 1);
        hi = luaL_checknumber(L, 2);
    }
    luaL_argcheck(L, lo <= hi, n, "interval is empty");
    /* Beyond 2^63 a bound has no integer to become (converting it would be
     * undefined): a persona argument such as big_table=1e300. */
    luaL_argcheck(L, lo >= -9.2e18 && hi <= 9.2e18, n, "bound out of range (at most 2^63)");
    lua_pushnumber(L, (lua_Number)throng__rng_range(rng, (int64_t)lo, (int64_t)hi));
    return 1;
}

/* throng.fault(kind, message): what a response hook returns to report a
 * fault of that kind: `return throng.fault("busy", "server busy")`.
 * Returns false, message, kind; no table is made. */
static int l_fault(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    int kind = 0;
    while (throng__fault_names[kind] && strcmp(throng__fault_names[kind], name) != 0)
        kind++;
    if (!throng__fault_names[kind])
        return luaL_error(L,
                          "throng.fault: unknown fault kind '%s' (not-connected, timed-out, "
                          "abandoned, closed, busy, invalid, http-error, script-error, aborted)",
                          name);
    const char *msg = luaL_optstring(L, 2, throng__fault_names[kind]);
    lua_pushboolean(L, 0);
    lua_pushstring(L, msg);
    lua_pushstring(L, throng__fault_names[kind]);
    return 3;
}

/* throng.check(cond, name): cond; counts a pass or a fail under name (for
 * the request style's response hook; a session uses client:check). */
static int l_check(lua_State *L)
{
    size_t len;
    const char *name = luaL_optlstring(L, 2, "check", &len);
    throng__lua_ctx_t *ctx = ctx_of(L);
    if (ctx->check) ctx->check(ctx->check_data, name, len, lua_toboolean(L, 1));
    lua_settop(L, 1);
    return 1;
}

static const char released_msg[] =
    "response body used after the client's next request or the session's end (a session's "
    "response keeps its body until then: keep res.body or res:json() in a variable first)";

/* The body of a response object, a string, or a table with a body field. */
static const char *body_arg(lua_State *L, int idx, size_t *len)
{
    throng__lua_response_t *r = throng__lua_to_response(L, idx, ctx_of(L));
    if (r) {
        if (!r->valid) luaL_error(L, "response used after its response hook returned");
        if (r->released) luaL_error(L, "%s", released_msg);
        *len = r->body_len;
        return r->body;
    }
    if (lua_type(L, idx) == LUA_TSTRING) return lua_tolstring(L, idx, len);
    if (lua_istable(L, idx)) {
        lua_getfield(L, idx, "body");
        const char *s = lua_tolstring(L, -1, len);
        lua_pop(L, 1); /* still referenced by the table */
        if (s) return s;
    }
    luaL_typerror(L, idx, "response or string");
    return NULL;
}

/* throng.table_shape(res): rows, columns of a table reply, or nil and why
 * (for a layer-cake fault envelope, its type name, such as
 * "layer_cake.point_runtime.Busy"). */
static int l_table_shape(lua_State *L)
{
    throng__lua_response_t *r = throng__lua_to_response(L, 1, ctx_of(L));
    if (r && r->valid && r->shaped) { /* scanned as it streamed: the body was never kept */
        if (r->shaped < 0) {
            lua_pushnil(L);
            lua_pushstring(L, r->shape.why);
            return 2;
        }
        lua_pushinteger(L, r->shape.rows);
        lua_pushinteger(L, r->shape.cols);
        return 2;
    }
    size_t len;
    const char *body = body_arg(L, 1, &len);
    throng__shape_t shape;
    if (throng__table_shape(body, len, &shape) != 0) {
        lua_pushnil(L);
        lua_pushstring(L, shape.why);
        return 2;
    }
    lua_pushinteger(L, shape.rows);
    lua_pushinteger(L, shape.cols);
    return 2;
}

/* throng.now(): seconds on a monotonic clock, for measuring inside a script. */
static int l_now(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    lua_pushnumber(L, (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9);
    return 1;
}

static const char *const log_levels[] = {"error", "warn", "info", "debug", "trace", NULL};

/* throng.log(level, ...): one line of the values given, joined by spaces,
 * tagged with the client, to the state's log handler (lua/state.c);
 * dropped when the run's log level is lower. */
static int l_log(lua_State *L)
{
    throng__lua_ctx_t *ctx = ctx_of(L);
    int level = luaL_checkoption(L, 1, NULL, log_levels);
    if (level > ctx->log_level) return 0;
    int n = lua_gettop(L);
    lua_getglobal(L, "tostring");
    for (int i = 2; i <= n; i++) {
        lua_pushvalue(L, n + 1);
        lua_pushvalue(L, i);
        lua_call(L, 1, 1);
        if (!lua_isstring(L, -1)) return luaL_error(L, "'tostring' must return a string");
        lua_replace(L, i);
    }
    lua_settop(L, n);
    for (int i = 2; i <= n; i++) {
        if (i > 2) lua_pushliteral(L, " ");
        lua_pushvalue(L, i);
    }
    lua_concat(L, n > 1 ? 2 * (n - 1) - 1 : 0);
    if (ctx->log) ctx->log(ctx->log_data, level, ctx->who->id, lua_tostring(L, -1));
    return 0;
}

/* ----------------------------------------------------- response object */

throng__lua_response_t *throng__lua_to_response(lua_State *L, int idx, const throng__lua_ctx_t *ctx)
{
    throng__lua_response_t *r = lua_touserdata(L, idx);
    if (!r || !lua_getmetatable(L, idx)) return NULL;
    lua_rawgeti(L, LUA_REGISTRYINDEX, ctx->response_mt);
    int same = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return same ? r : NULL;
}

/* The response at argument 1 of a method (a closure over the context). */
static throng__lua_response_t *response_arg(lua_State *L)
{
    throng__lua_response_t *r = throng__lua_to_response(L, 1, ctx_of(L));
    if (!r) luaL_typerror(L, 1, "response");
    return r;
}

static throng__lua_response_t *check_response(lua_State *L)
{
    throng__lua_response_t *r = response_arg(L);
    if (!r->valid) luaL_error(L, "response used after its response hook returned");
    return r;
}

/* The body and headers of a response still holding them. */
static throng__lua_response_t *check_body(lua_State *L)
{
    throng__lua_response_t *r = check_response(L);
    if (r->released) luaL_error(L, "%s", released_msg);
    return r;
}

void throng__lua_response_release(throng__lua_response_t *r)
{
    if (r->owned) throng__bufpool_put(r->pool, r->owned);
    r->owned = NULL;
    free(r->own_url);
    r->own_url = NULL;
    r->url = NULL;
    r->body = r->headers = NULL;
    r->body_len = r->headers_len = 0;
    r->released = 1;
}

/* res.headers: a table of lower-cased names to values, made when asked. A
 * name the response repeats (Set-Cookie, Vary, Link) gets its values joined
 * with ", " in their order, as RFC 9110 5.3 combines them and fetch's
 * Headers.get does, rather than the last one alone. */
static void push_headers(lua_State *L, const throng__lua_response_t *r)
{
    lua_newtable(L);
    const char *p = r->headers, *end = r->headers + r->headers_len;
    while (p < end) {
        size_t nlen = strlen(p);
        const char *value = p + nlen + 1;
        if (value >= end) break;
        char name[128];
        if (nlen >= sizeof name) nlen = sizeof name - 1;
        for (size_t i = 0; i < nlen; i++)
            name[i] = (char)((p[i] >= 'A' && p[i] <= 'Z') ? p[i] + 32 : p[i]);
        lua_pushlstring(L, name, nlen);
        lua_pushvalue(L, -1);
        lua_rawget(L, -3);
        if (lua_type(L, -1) == LUA_TSTRING) {
            lua_pushliteral(L, ", ");
            lua_pushstring(L, value);
            lua_concat(L, 3);
        } else {
            lua_pop(L, 1);
            lua_pushstring(L, value);
        }
        lua_rawset(L, -3);
        p = value + strlen(value) + 1;
    }
}

/* res:json(): the body decoded, or nil and why. */
static int response_json(lua_State *L)
{
    throng__lua_response_t *r = check_body(L);
    char msg[160];
    if (throng__json_decode(L, r->body, r->body_len, msg, sizeof msg) == 0) return 1;
    lua_pushnil(L);
    lua_pushfstring(L, "response body is %s", msg);
    return 2;
}

static int response_index(lua_State *L)
{
    throng__lua_response_t *r = check_response(L);
    const char *key = luaL_checkstring(L, 2);
    if (strcmp(key, "status") == 0)
        lua_pushinteger(L, r->status);
    else if (strcmp(key, "body") == 0)
        lua_pushlstring(L, check_body(L)->body, r->body_len);
    else if (strcmp(key, "latency") == 0)
        lua_pushnumber(L, r->latency);
    else if (strcmp(key, "headers") == 0)
        push_headers(L, check_body(L));
    else if (strcmp(key, "redirects") == 0)
        lua_pushinteger(L, r->redirects);
    else if (strcmp(key, "url") == 0 && r->url)
        lua_pushstring(L, check_body(L)->url);
    else if (strcmp(key, "json") == 0)
        lua_rawgeti(L, LUA_REGISTRYINDEX, ctx_of(L)->response_json);
    else
        lua_pushnil(L);
    return 1;
}

/* Gives an owned buffer back to its pool when the object is collected. */
static int response_gc(lua_State *L)
{
    throng__lua_response_t *r = response_arg(L);
    if (r->owned) throng__bufpool_put(r->pool, r->owned);
    r->owned = NULL;
    free(r->own_url);
    r->own_url = NULL;
    r->valid = 0;
    return 0;
}

static int response_tostring(lua_State *L)
{
    throng__lua_response_t *r = response_arg(L);
    if (r->valid && r->released)
        lua_pushfstring(L, "throng.response (status %d, body released)", r->status);
    else if (r->valid)
        lua_pushfstring(L, "throng.response (status %d, %d bytes)", r->status, (int)r->body_len);
    else
        lua_pushliteral(L, "throng.response (expired)");
    return 1;
}

throng__lua_response_t *throng__lua_new_response(lua_State *L, const throng__lua_ctx_t *ctx)
{
    throng__lua_response_t *r = lua_newuserdata(L, sizeof *r);
    memset(r, 0, sizeof *r);
    lua_rawgeti(L, LUA_REGISTRYINDEX, ctx->response_mt);
    lua_setmetatable(L, -2);
    return r;
}

/* -------------------------------------------------------------- module */

static const luaL_Reg functions[] = {
    {"spread_out", l_spread_out},   {"random", l_random}, {"fault", l_fault},
    {"table_shape", l_table_shape}, {"now", l_now},       {"log", l_log},
    {"regex", throng__lua_regex},   {"check", l_check},   {NULL, NULL},
};

throng__lua_ctx_t *throng__lua_ctx(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, THRONG__LUA_CTX);
    throng__lua_ctx_t *ctx = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return ctx;
}

/* One context per Lua state, kept alive by the registry. */
static throng__lua_ctx_t *open_ctx(lua_State *L)
{
    throng__lua_ctx_t *ctx = throng__lua_ctx(L);
    if (ctx) {
        lua_getfield(L, LUA_REGISTRYINDEX, THRONG__LUA_CTX);
        return ctx;
    }
    ctx = lua_newuserdata(L, sizeof *ctx);
    memset(ctx, 0, sizeof *ctx);
    throng__rng_seed(&ctx->own.rng, throng__fresh_seed());
    ctx->who = &ctx->own;
    ctx->log_level = 2; /* info */
    throng__lua_watch_init(&ctx->watch, L);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, THRONG__LUA_CTX);
    return ctx;
}

/* The response objects' metatable: every metamethod closes over the context. */
static void open_response_mt(lua_State *L, throng__lua_ctx_t *ctx, int ctx_index)
{
    static const luaL_Reg metamethods[] = {
        {"__index", response_index},
        {"__tostring", response_tostring},
        {"__gc", response_gc},
        {NULL, NULL},
    };
    if (luaL_newmetatable(L, THRONG__LUA_RESPONSE)) {
        lua_pushvalue(L, ctx_index);
        luaL_setfuncs(L, metamethods, 1);
    }
    ctx->response_mt = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushvalue(L, ctx_index);
    lua_pushcclosure(L, response_json, 1);
    ctx->response_json = luaL_ref(L, LUA_REGISTRYINDEX);
}

/* Interned once: the request fields lua_request.c reads on every request. */
const char *const throng__request_fields[THRONG__REQUEST_FIELDS] = {
    "method",        "path",  "headers", "body",      "json",       "timeout", "name",
    "response_body", "query", "form",    "multipart", "compressed", "cookies", "follow"};

static void open_request_keys(lua_State *L, throng__lua_ctx_t *ctx)
{
    for (int i = 0; i < THRONG__REQUEST_FIELDS; i++) {
        lua_pushstring(L, throng__request_fields[i]);
        ctx->request_key_text[i] = lua_tostring(L, -1); /* strings never move */
        ctx->request_keys[i] = luaL_ref(L, LUA_REGISTRYINDEX);
    }
}

int throng__lua_open_module(lua_State *L)
{
    int fresh = throng__lua_ctx(L) == NULL;
    throng__lua_ctx_t *ctx = open_ctx(L); /* upvalue of every function */
    int ctx_index = lua_gettop(L);
    if (fresh) {
        open_response_mt(L, ctx, ctx_index);
        open_request_keys(L, ctx);
    }
    lua_newtable(L);
    lua_pushvalue(L, ctx_index);
    luaL_setfuncs(L, functions, 1);
    lua_pushliteral(L, THRONG_VERSION_STRING);
    lua_setfield(L, -2, "version");
    throng__json_push_module(L);
    lua_setfield(L, -2, "json");
    throng__lua_url_push_module(L, ctx_index);
    lua_setfield(L, -2, "url");
    throng__lua_data_push_module(L);
    lua_setfield(L, -2, "data");
    lua_remove(L, ctx_index);
    return 1;
}
