/* lua_throng.h - the `throng` Lua module that personas require: random
 * numbers drawn from the current client's generator, think-time helpers,
 * faults, table shapes and the response object. */
#ifndef THRONG_LUA_THRONG_H
#define THRONG_LUA_THRONG_H

#include <stddef.h>

#include <lua.h>

#include <stdint.h>

#include "lua/shape.h"
#include "lua/watch.h"
#include "util/fault.h"
#include "util/rng.h"

#define THRONG__LUA_RESPONSE "throng.response"
#define THRONG__LUA_CTX "throng.ctx"

struct throng__buf;
struct throng__bufpool;

/* A response as Lua sees it. The request style's response hook gets one
 * object per thread, filled in place before each call and expired after,
 * pointing into the connection's buffer; the session style's responses
 * each own their buffer, given back to the pool when the client's next
 * exchange starts or its session ends (or when collected, if sooner). Either
 * way the body becomes a Lua string only when asked for. */
typedef struct throng__lua_response {
    int valid;
    int status;
    double latency; /* seconds */
    const char *body;
    size_t body_len;
    const char *headers; /* "name\0value\0" pairs */
    size_t headers_len;
    struct throng__buf *owned;    /* the buffer this object owns, or NULL */
    struct throng__bufpool *pool; /* where owned goes back */
    int released;                 /* session style: the buffer went back before the object was
                                     collected (status and latency stay, the body is gone) */
    int shaped;                   /* the body was scanned for its shape as it streamed, not
                                     kept: 1 a table (shape.rows, .cols), -1 not (shape.why) */
    throng__shape_t shape;
    unsigned redirects; /* redirects followed to this response */
    const char *url;    /* after a redirect: the final URL (valid with the body), else NULL */
    char *own_url;      /* the session style's copy of url, which the response owns (the
                           lane's redirect state is gone by the time the persona reads it) */
} throng__lua_response_t;

/* Who is calling into Lua: a client's generator and id. */
typedef struct throng__lua_caller {
    throng__rng_t rng;
    uint64_t id;
    struct throng__jar *jar;  /* the client's cookies (lua_cookies.h); NULL until the first */
    char cookie_dir[31];      /* the last request's default cookie path (truncated) */
    unsigned char cookies;    /* THRONG__COOKIES_* of the persona */
    signed char follow;       /* the persona's follow = N, or -1 */
    unsigned char compressed; /* the persona's compressed = true */
} throng__lua_caller_t;

/* A persona's cookie settings, read at client start. */
enum { THRONG__COOKIES_OFF = 1, THRONG__COOKIES_KEEP = 2 };

/* Where throng.check counts a named check: passed or failed. */
typedef void (*throng__lua_check_fn)(void *data, const char *name, size_t len, int passed);

/* Where throng.log lines go: level is a throng_log_level_t. */
typedef void (*throng__lua_log_fn)(void *data, int level, uint64_t client, const char *msg);

/* The fields a request table may have, in the order of lua_request.c's
 * KEY_* (interned once per state: ctx->request_keys). */
#define THRONG__REQUEST_FIELDS 14
extern const char *const throng__request_fields[THRONG__REQUEST_FIELDS];

/* Per Lua state: who the current caller is, and where logs go. */
typedef struct throng__lua_ctx {
    throng__lua_caller_t own;  /* calls made outside any client (load time, specs) */
    throng__lua_caller_t *who; /* the current client, or &own */
    int response_mt;           /* the response objects' metatable (registry reference) */
    int response_json;         /* res:json, made once (registry reference) */
    int request_keys[THRONG__REQUEST_FIELDS]; /* request fields' names (registry references),
                                                 see lua_request.c */
    const char
        *request_key_text[THRONG__REQUEST_FIELDS]; /* the same interned strings' text: a field of a
                                 request table is one of them when its key has this address */
    throng__lua_log_fn log; /* where throng.log lines go (lua/state.c); NULL drops them */
    void *log_data;
    int log_level;              /* lines above this level are dropped */
    throng__lua_watch_t watch;  /* calls into Lua, for a watcher on another thread (lua/watch.h) */
    throng__lua_check_fn check; /* where throng.check counts (client/worker.c: the thread's
                                   stats); NULL drops the count (load time, specs) */
    void *check_data;
} throng__lua_ctx_t;

/* Pushes a new `throng` module table (and makes the state's context the
 * first time). Only lua/state.c calls it: a state gets its module there. */
int throng__lua_open_module(lua_State *L);

/* The context of a state where the module has been opened, or NULL. */
throng__lua_ctx_t *throng__lua_ctx(lua_State *L);

/* Pushes a new response object. */
throng__lua_response_t *throng__lua_new_response(lua_State *L, const throng__lua_ctx_t *ctx);

/* Gives a session response's buffer back now: its body, headers and json
 * raise an error from then on; status and latency stay readable. */
void throng__lua_response_release(throng__lua_response_t *r);

/* The response object at idx, or NULL: the metatable is compared by
 * reference, which costs no string lookup. */
throng__lua_response_t *throng__lua_to_response(lua_State *L, int idx,
                                                const throng__lua_ctx_t *ctx);

#endif
