/* persona.c - loading a persona into a Lua state and calling its hooks.
 *
 * The state comes from the one Lua bootstrap (lua/state.c). Every call into
 * Lua is protected; the message handler at stack slot 1 adds a short
 * traceback, so a failing hook becomes a script-error fault
 * that names the script's file and line. Hooks are registry references. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "util/error.h"
#include "util/http.h"
#include "lua/lua_embedded.h"
#include "lua/lua_request.h"
#include "lua/persona.h"
#include "lua/state.h"

#define HANDLER THRONG__LUA_HANDLER

/* Copies the error on the stack top into msg and clears the stack. */
static throng__hook_t script_error(lua_State *L, char *msg, size_t msglen)
{
    const char *e = throng__lua_error_message(L, -1);
    snprintf(msg, msglen, "%s", e ? e : "error object is not a string");
    lua_settop(L, HANDLER);
    throng__lua_collect_after_refusal(L);
    return THRONG__HOOK_ERROR;
}

int throng__persona_builtin(const char *name)
{
    char module[96];
    int n = snprintf(module, sizeof module, "throng.personas.%s", name);
    return n > 0 && (size_t)n < sizeof module && throng__lua_find_chunk(module) != NULL;
}

/* Pushes the chunk of the persona, or fails with the reason. */
static int load_chunk(lua_State *L, const throng__persona_spec_t *spec, char *label,
                      size_t labellen, char *err)
{
    int rc;
    if (spec->path) {
        snprintf(label, labellen, "%s", spec->path);
        rc = luaL_loadfile(L, spec->path);
    } else if (spec->source) {
        snprintf(label, labellen, "persona source");
        rc = luaL_loadbuffer(L, spec->source, strlen(spec->source), "=persona");
    } else {
        const char *name = spec->builtin ? spec->builtin : "table";
        char module[96];
        snprintf(module, sizeof module, "throng.personas.%s", name);
        const throng__lua_chunk_t *c = throng__lua_find_chunk(module);
        if (!c)
            return throng__fail(err, THRONG_EPERSONA,
                                "unknown persona '%s' (built in: " THRONG__BUILTIN_PERSONAS ")",
                                name);
        snprintf(label, labellen, "%s", c->chunkname + 1);
        rc = luaL_loadbuffer(L, c->source, c->len, c->chunkname);
    }
    if (rc == 0) return 0;
    if (rc == LUA_ERRMEM)
        return throng__fail(err, THRONG_ENOMEM, "out of memory loading %s", label);
    return throng__fail(err, THRONG_ESCRIPT, "%s", lua_tostring(L, -1));
}

/* A hook's reference: LUA_NOREF when absent; an error when present but not
 * a function. */
static int hook_ref(lua_State *L, throng__persona_t *p, const char *name, int *ref, char *err)
{
    lua_getfield(L, -1, name);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        *ref = LUA_NOREF;
        return 0;
    }
    if (!lua_isfunction(L, -1)) {
        int rc = throng__fail(err, THRONG_ESCRIPT, "%s: '%s' must be a function, not a %s",
                              p->label, name, luaL_typename(L, -1));
        lua_pop(L, 1);
        return rc;
    }
    *ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

/* The args table: request_count, slow_down and every argument: key=value
 * gives the string value as it is ("42" stays a string: a persona that
 * wants a number converts it, as layer_cake.number_arg does), key:=value a
 * number, which value must read as. */
static int push_args(lua_State *L, const throng__persona_params_t *pp, const char *label, char *err)
{
    lua_newtable(L);
    lua_pushnumber(L, pp->request_count);
    lua_setfield(L, -2, "request_count");
    lua_pushnumber(L, pp->slow_down);
    lua_setfield(L, -2, "slow_down");
    for (size_t i = 0; i < pp->nargs; i++) {
        const char *kv = pp->args[i], *eq = strchr(kv, '=');
        if (!eq || eq == kv || (eq == kv + 1 && kv[0] == ':'))
            return throng__fail(err, THRONG_EINVAL,
                                "persona argument '%s' for %s is not of the form key=value "
                                "(a string) or key:=value (a number)",
                                kv, label);
        int number = eq[-1] == ':';
        lua_pushlstring(L, kv, (size_t)(eq - kv) - (size_t)number);
        if (number) {
            char *end;
            double v = strtod(eq + 1, &end);
            if (!eq[1] || *end != '\0')
                return throng__fail(
                    err, THRONG_EINVAL,
                    "persona argument '%s' for %s: '%s' is not a number (key:=value "
                    "gives a number; key=value a string)",
                    kv, label, eq + 1);
            lua_pushnumber(L, v);
        } else {
            lua_pushstring(L, eq + 1);
        }
        lua_rawset(L, -3);
    }
    return 0;
}

static void clear_refs(throng__persona_t *p)
{
    p->table_ref = p->meta_ref = p->args_ref = p->res_ref = LUA_NOREF;
    p->init_ref = p->request_ref = p->response_ref = p->delay_ref = p->done_ref = LUA_NOREF;
    p->session_ref = p->make_ref = p->done_call_ref = LUA_NOREF;
}

/* Runs the chunk, checks it returned a table of hooks, keeps the refs. */
static int bind_hooks(throng__persona_t *p, char *err)
{
    lua_State *L = p->L;
    if (lua_pcall(L, 0, 1, HANDLER) != 0)
        return throng__fail(err, THRONG_ESCRIPT, "%s", lua_tostring(L, -1));
    if (!lua_istable(L, -1))
        return throng__fail(err, THRONG_ESCRIPT,
                            "%s must return a table of hooks (init, request, response, delay, "
                            "done, or session), not a %s",
                            p->label, luaL_typename(L, -1));
    int rc;
    if ((rc = hook_ref(L, p, "init", &p->init_ref, err)) ||
        (rc = hook_ref(L, p, "request", &p->request_ref, err)) ||
        (rc = hook_ref(L, p, "response", &p->response_ref, err)) ||
        (rc = hook_ref(L, p, "delay", &p->delay_ref, err)) ||
        (rc = hook_ref(L, p, "done", &p->done_ref, err)) ||
        (rc = hook_ref(L, p, "session", &p->session_ref, err)))
        return rc;
    if (p->request_ref == LUA_NOREF && p->session_ref == LUA_NOREF)
        return throng__fail(err, THRONG_ESCRIPT,
                            "%s has neither a request nor a session function: a persona "
                            "returns a table of hooks (init, request, response, delay, done) "
                            "or a session function",
                            p->label);
    if (p->request_ref != LUA_NOREF && p->session_ref != LUA_NOREF)
        return throng__fail(err, THRONG_ESCRIPT,
                            "%s has both a request and a session function: choose one style",
                            p->label);
    if (p->session_ref != LUA_NOREF && (p->response_ref != LUA_NOREF || p->delay_ref != LUA_NOREF))
        return throng__fail(err, THRONG_ESCRIPT,
                            "%s: response and delay hooks belong to the request style; a "
                            "session function checks its responses and sleeps itself",
                            p->label);
    lua_newtable(L); /* the instances' metatable: {__index = persona} */
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, "__index");
    p->meta_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    p->table_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

static int make_instance(lua_State *L);
static int call_done(lua_State *L);

int throng__persona_open(throng__persona_t *p, const throng__persona_spec_t *spec,
                         const throng__persona_params_t *params, char *err)
{
    memset(p, 0, sizeof *p);
    clear_refs(p);
    throng__lua_setup_t setup = {
        .script = spec->path,
        .log = params->log,
        .log_data = params->log_data,
        .log_level = params->log_level,
        .functions = params->functions,
        .nfunctions = params->nfunctions,
        .memory_limit = params->memory_limit,
        .what = "persona",
        .interruptible = params->interruptible,
    };
    int rc = throng__lua_state_open(&p->L, &setup, err);
    if (rc) return rc;
    lua_State *L = p->L;
    p->ctx = throng__lua_ctx(L);
    p->res = throng__lua_new_response(L, p->ctx);
    p->res_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushcfunction(L, make_instance);
    p->make_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushcfunction(L, call_done);
    p->done_call_ref = luaL_ref(L, LUA_REGISTRYINDEX);

    p->state_extra = throng__lua_state_extra(L);
    p->init_timeout = params->interruptible ? params->hook_timeout : 0;
    p->stop = params->stop;
    rc = load_chunk(L, spec, p->label, sizeof p->label, err);
    if (rc == 0) {
        throng__lua_guard(L, p->init_timeout, p->stop); /* the script's top level */
        rc = bind_hooks(p, err);
        throng__lua_unguard(L);
    }
    if (rc == 0) rc = push_args(L, params, p->label, err);
    if (rc == 0) p->args_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_settop(L, HANDLER);
    return rc;
}

/* make_instance(lightuserdata persona) -> the registry reference of a new
 * instance, its init hook run. Called protected (with the message handler),
 * so that running out of memory anywhere in it is an error, not a panic. */
static int make_instance(lua_State *L)
{
    throng__persona_t *p = lua_touserdata(L, 1);
    lua_newtable(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, p->meta_ref);
    lua_setmetatable(L, -2);
    if (p->init_ref != LUA_NOREF) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, p->init_ref);
        lua_pushvalue(L, -2);
        /* Each instance gets its own copy of args, so one cannot change another's. */
        lua_newtable(L);
        lua_rawgeti(L, LUA_REGISTRYINDEX, p->args_ref);
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, -5);
        }
        lua_pop(L, 1);
        lua_call(L, 2, 0);
    }
    lua_pushinteger(L, luaL_ref(L, LUA_REGISTRYINDEX));
    return 1;
}

int throng__persona_instance(throng__persona_t *p, throng__lua_caller_t *who, int *ref, char *err)
{
    lua_State *L = p->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, p->make_ref);
    lua_pushlightuserdata(L, p);
    p->ctx->who = who;
    throng__lua_watch_enter(&p->ctx->watch);
    throng__lua_guard(L, p->init_timeout, p->stop); /* before the run: no watcher yet */
    int rc = lua_pcall(L, 1, 1, HANDLER);
    throng__lua_unguard(L);
    throng__lua_watch_leave(&p->ctx->watch);
    p->ctx->who = &p->ctx->own;
    if (rc != 0) {
        const char *e = throng__lua_error_message(L, -1);
        rc = throng__fail(err, THRONG_ESCRIPT, "%s: init failed: %s", p->label,
                          e ? e : "error object is not a string");
        lua_settop(L, HANDLER);
        throng__lua_collect_after_refusal(L);
        return rc;
    }
    *ref = (int)lua_tointeger(L, -1);
    lua_settop(L, HANDLER);
    return 0;
}

void throng__persona_close(throng__persona_t *p)
{
    throng__lua_state_close(p->L);
    p->L = NULL;
}

/* Calls a hook with self (and the response object when with_res), with the
 * client's generator current so throng.random draws from it. */
static int call_hook(throng__persona_t *p, int hook, int self, throng__lua_caller_t *who,
                     int with_res, int nresults)
{
    lua_State *L = p->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, hook);
    lua_rawgeti(L, LUA_REGISTRYINDEX, self);
    if (with_res) lua_rawgeti(L, LUA_REGISTRYINDEX, p->res_ref);
    p->ctx->who = who;
    throng__lua_watch_enter(&p->ctx->watch);
    int rc = lua_pcall(L, with_res ? 2 : 1, nresults, HANDLER);
    throng__lua_watch_leave(&p->ctx->watch);
    p->ctx->who = &p->ctx->own;
    return rc;
}

/* A list of request tables at the top of L, pipelined: written one after
 * another into req->out (sent in one write, answered in order), each one's
 * name and end in req->pipe. The first request's timeout and response_body
 * stand for all; HEAD goes with no other method (the responses are read
 * alike). 0, or -1 with the reason in msg. */
static int encode_pipeline(lua_State *L, throng__request_out_t *req, char *msg, size_t msglen)
{
    throng__pipeline_out_t *pipe = req->pipe;
    int list = lua_gettop(L);
    size_t n = lua_objlen(L, list);
    if (!pipe) {
        snprintf(msg, msglen,
                 "a list of requests (a pipeline) is for the request hook of a "
                 "request-style persona");
        return -1;
    }
    if (n > THRONG__PIPELINE_MAX) {
        snprintf(msg, msglen, "a pipeline of %zu requests: at most %d", n, THRONG__PIPELINE_MAX);
        return -1;
    }
    throng__request_out_t one = *req;
    for (size_t i = 1; i <= n; i++) {
        lua_rawgeti(L, list, (int)i);
        if (lua_type(L, -1) != LUA_TTABLE) {
            snprintf(msg, msglen, "pipeline's request %zu is a %s, not a request table", i,
                     luaL_typename(L, -1));
            return -1;
        }
        if (throng__lua_encode_request(L, -1, NULL, NULL, &one, msg, msglen) != 0) return -1;
        lua_pop(L, 1); /* the list holds the table: its name stays alive */
        if (i == 1) {
            *req = one;
        } else if (one.head != req->head) {
            snprintf(msg, msglen, "a pipeline's requests are all HEAD or none (request %zu)", i);
            return -1;
        }
        pipe->at[i - 1].name = one.name;
        pipe->at[i - 1].name_len = one.name_len;
        pipe->at[i - 1].end = req->out->len;
    }
    pipe->n = (unsigned)n;
    return 0;
}

throng__hook_t throng__persona_request(throng__persona_t *p, int self, throng__lua_caller_t *who,
                                       throng__request_out_t *req, char *msg, size_t msglen)
{
    lua_State *L = p->L;
    if (call_hook(p, p->request_ref, self, who, 0, 1) != 0) return script_error(L, msg, msglen);
    throng__hook_t r = THRONG__HOOK_OK;
    int t = lua_type(L, -1);
    req->head = 0;
    req->timeout = 0;
    req->body_use = THRONG__BODY_KEEP;
    if (req->pipe) req->pipe->n = 0;
    if (t == LUA_TNIL) {
        r = THRONG__HOOK_END;
    } else if (t == LUA_TSTRING) { /* a raw request, sent as it is */
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        req->head = len > 5 && memcmp(s, "HEAD ", 5) == 0;
        req->name = "raw";
        req->name_len = 3;
        if (throng__buf_append(req->out, s, len) != 0) {
            snprintf(msg, msglen, "out of memory writing a request");
            r = THRONG__HOOK_ERROR;
        }
    } else if (t == LUA_TTABLE) {
        lua_rawgeti(L, -1, 1);
        int list = lua_type(L, -1) == LUA_TTABLE;
        lua_pop(L, 1);
        if (list ? encode_pipeline(L, req, msg, msglen) != 0
                 : throng__lua_encode_request(L, -1, NULL, NULL, req, msg, msglen) != 0)
            r = THRONG__HOOK_ERROR;
    } else {
        snprintf(msg, msglen,
                 "%s: request hook must return a request table, a string or nil, "
                 "not a %s",
                 p->label, lua_typename(L, t));
        r = THRONG__HOOK_ERROR;
    }
    if (r == THRONG__HOOK_ERROR && t == LUA_TTABLE) {
        char tmp[256];
        snprintf(tmp, sizeof tmp, "%s: %s", p->label, msg);
        snprintf(msg, msglen, "%s", tmp);
    }
    lua_settop(L, HANDLER);
    return r;
}

/* Reads (ok, message, kind) as returned by a response hook. */
static throng__hook_t response_result(throng__persona_t *p, throng_fault_t *kind, char *msg,
                                      size_t msglen)
{
    lua_State *L = p->L;
    int top = lua_gettop(L); /* HANDLER + 3 results */
    int ok_type = lua_type(L, top - 2);
    if (ok_type == LUA_TNIL || (ok_type == LUA_TBOOLEAN && lua_toboolean(L, top - 2)))
        return THRONG__HOOK_OK;
    if (ok_type != LUA_TBOOLEAN) {
        snprintf(msg, msglen,
                 "%s: response hook must return nothing, true, or false and a reason, "
                 "not a %s",
                 p->label, lua_typename(L, ok_type));
        return THRONG__HOOK_ERROR;
    }
    const char *why = lua_tostring(L, top - 1);
    snprintf(msg, msglen, "%s", why ? why : "response refused by the persona");
    *kind = THRONG_FAULT_INVALID;
    const char *k = lua_tostring(L, top);
    if (k) {
        int i;
        for (i = 0; throng__fault_names[i] && strcmp(throng__fault_names[i], k) != 0; i++)
            ;
        if (!throng__fault_names[i]) {
            snprintf(msg, msglen, "%s: response hook returned an unknown fault kind '%.40s'",
                     p->label, k);
            return THRONG__HOOK_ERROR;
        }
        *kind = (throng_fault_t)i;
    }
    return THRONG__HOOK_FAULT;
}

throng__hook_t throng__persona_response(throng__persona_t *p, int self, throng__lua_caller_t *who,
                                        throng_fault_t *kind, char *msg, size_t msglen)
{
    if (p->response_ref == LUA_NOREF) return THRONG__HOOK_OK;
    lua_State *L = p->L;
    p->res->valid = 1;
    int rc = call_hook(p, p->response_ref, self, who, 1, 3);
    p->res->valid = 0;
    if (rc != 0) return script_error(L, msg, msglen);
    throng__hook_t r = response_result(p, kind, msg, msglen);
    lua_settop(L, HANDLER);
    return r;
}

throng__hook_t throng__persona_delay(throng__persona_t *p, int self, throng__lua_caller_t *who,
                                     double *seconds, char *msg, size_t msglen)
{
    *seconds = 0;
    if (p->delay_ref == LUA_NOREF) return THRONG__HOOK_OK;
    lua_State *L = p->L;
    if (call_hook(p, p->delay_ref, self, who, 0, 1) != 0) return script_error(L, msg, msglen);
    throng__hook_t r = THRONG__HOOK_OK;
    if (lua_type(L, -1) == LUA_TNUMBER && lua_tonumber(L, -1) >= 0) {
        *seconds = lua_tonumber(L, -1);
    } else if (!lua_isnil(L, -1)) {
        snprintf(msg, msglen, "%s: delay hook must return a number of seconds (>= 0), not %s%s",
                 p->label, lua_type(L, -1) == LUA_TNUMBER ? "" : "a ",
                 lua_type(L, -1) == LUA_TNUMBER ? "a negative number" : luaL_typename(L, -1));
        r = THRONG__HOOK_ERROR;
    }
    lua_settop(L, HANDLER);
    return r;
}

/* What call_done needs, as a light userdata. */
typedef struct done_call {
    throng__persona_t *p;
    int self;
    const throng__session_info_t *info;
} done_call_t;

/* call_done(done_call): builds the info table and calls the done hook.
 * Run protected, so that running out of memory building it is an error
 * of the hook, not a panic. */
static int call_done(lua_State *L)
{
    const done_call_t *d = lua_touserdata(L, 1);
    const throng__session_info_t *info = d->info;
    lua_rawgeti(L, LUA_REGISTRYINDEX, d->p->done_ref);
    lua_rawgeti(L, LUA_REGISTRYINDEX, d->self);
    lua_createtable(L, 0, 4);
    lua_pushnumber(L, info->requests);
    lua_setfield(L, -2, "requests");
    lua_pushnumber(L, info->elapsed);
    lua_setfield(L, -2, "elapsed");
    lua_pushboolean(L, info->fault < 0);
    lua_setfield(L, -2, "ok");
    if (info->fault >= 0) {
        lua_pushstring(L, throng__fault_names[info->fault]);
        lua_setfield(L, -2, "fault");
        lua_pushstring(L, info->message ? info->message : "");
        lua_setfield(L, -2, "message");
    }
    lua_call(L, 2, 0);
    return 0;
}

throng__hook_t throng__persona_done(throng__persona_t *p, int self, throng__lua_caller_t *who,
                                    const throng__session_info_t *info, char *msg, size_t msglen)
{
    if (p->done_ref == LUA_NOREF) return THRONG__HOOK_OK;
    lua_State *L = p->L;
    done_call_t d = {p, self, info};
    lua_rawgeti(L, LUA_REGISTRYINDEX, p->done_call_ref);
    lua_pushlightuserdata(L, &d);
    p->ctx->who = who;
    throng__lua_watch_enter(&p->ctx->watch);
    int rc = lua_pcall(L, 1, 0, HANDLER);
    throng__lua_watch_leave(&p->ctx->watch);
    p->ctx->who = &p->ctx->own;
    if (rc != 0) return script_error(L, msg, msglen);
    return THRONG__HOOK_OK;
}
