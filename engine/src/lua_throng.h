/* lua_throng.h - the `throng` Lua module that personas require: random
 * numbers drawn from the current client's generator, think-time helpers,
 * faults, table shapes and the response object. */
#ifndef THRONG_LUA_THRONG_H
#define THRONG_LUA_THRONG_H

#include <stddef.h>

#include <lua.h>

#include "rng.h"

#define THRONG__LUA_RESPONSE "throng.response"
#define THRONG__LUA_CTX "throng.ctx"

/* The response a persona's response hook receives. The engine fills it in
 * place before each call and clears `valid` after; the fields point into
 * the connection's response buffer, so nothing is copied unless asked. */
typedef struct throng__lua_response {
    int valid;
    int status;
    double latency; /* seconds */
    const char *body;
    size_t body_len;
    const char *headers; /* "name\0value\0" pairs */
    size_t headers_len;
} throng__lua_response_t;

/* Per Lua state: which generator throng.random draws from. */
typedef struct throng__lua_ctx {
    throng__rng_t own;  /* draws made outside any client (load time, specs) */
    throng__rng_t *rng; /* the current client's generator, or &own */
} throng__lua_ctx_t;

/* The module loader (also the entry point of the standalone Lua C module). */
int luaopen_throng(lua_State *L);

/* The context of a state where the module has been opened, or NULL. */
throng__lua_ctx_t *throng__lua_ctx(lua_State *L);

/* Pushes a new response object (used by the engine once per thread). */
throng__lua_response_t *throng__lua_new_response(lua_State *L);

/* Names of fault kinds a persona may raise with throng.fault, in
 * throng_fault_t order. */
extern const char *const throng__fault_names[];

#endif
