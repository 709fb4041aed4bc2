/* state.c - the one Lua bootstrap (see state.h).
 *
 * The setup runs as a protected C function, so that an error in it (out
 * of memory, a registered name that clashes) is reported and never
 * unwinds through the engine. The Lua C module the specs load (built with
 * THRONG_LUA_MODULE) runs the same setup on the interpreter's state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <luajit.h>
#include <lualib.h>

#include "util/error.h"
#include "lua/lua_embedded.h"
#include "lua/lua_throng.h"
#include "lua/state.h"

void throng__lua_traceback(lua_State *L, lua_State *L1, const char *msg, int level)
{
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, msg);
    lua_Debug ar;
    int shown = 0;
    for (; shown < 3 && lua_getstack(L1, level, &ar); level++) {
        if (!lua_getinfo(L1, "Sln", &ar) || ar.currentline <= 0) continue;
        luaL_addstring(&b, shown ? " < " : " [in ");
        lua_pushfstring(L, "%s:%d", ar.short_src, ar.currentline);
        luaL_addvalue(&b);
        if (ar.name) {
            lua_pushfstring(L, " (%s)", ar.name);
            luaL_addvalue(&b);
        }
        shown++;
    }
    if (shown) luaL_addchar(&b, ']');
    luaL_pushresult(&b);
}

/* Message handler: the error, then up to three Lua frames, on one line. */
static int traceback(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (!msg) msg = lua_isnoneornil(L, 1) ? "error (nil)" : luaL_typename(L, 1);
    throng__lua_traceback(L, L, msg, 1);
    return 1;
}

/* ------------------------------------------------------------- logging */

/* The run's log callback, kept alive by the state's registry. */
typedef struct log_target {
    throng_log_cb cb;
    void *data;
} log_target_t;

/* throng.log's lines, into the run's log callback. */
static void to_callback(void *data, int level, uint64_t client, const char *msg)
{
    const log_target_t *t = data;
    t->cb((throng_log_level_t)level, client, msg, t->data);
}

static void drop(void *data, int level, uint64_t client, const char *msg)
{
    (void)data, (void)level, (void)client, (void)msg;
}

/* Points the state's throng.log at the setup's callback, or at nothing:
 * the library never prints. */
static void set_log(lua_State *L, throng__lua_ctx_t *ctx, const throng__lua_setup_t *s)
{
    ctx->log = drop;
    ctx->log_data = NULL;
    ctx->log_level = -1;
    if (!s->log) return;
    log_target_t *t = lua_newuserdata(L, sizeof *t);
    t->cb = s->log;
    t->data = s->log_data;
    lua_setfield(L, LUA_REGISTRYINDEX, "throng.log_target");
    ctx->log = to_callback;
    ctx->log_data = t;
    ctx->log_level = s->log_level;
}

/* --------------------------------------------------------------- budget */

/* A state with a memory budget allocates through budget_alloc, which
 * forwards to LuaJIT's own allocator and refuses growth past the limit.
 * The state keeps LuaJIT's allocator underneath: it is restored before
 * lua_close, which then destroys its arena as usual. */
typedef struct budget {
    lua_Alloc f; /* LuaJIT's allocator */
    void *ud;
    size_t used, limit;
    int refused; /* an allocation was refused since throng__lua_over_budget asked */
    int collect; /* a refusal was reported: collect the garbage when the state is at rest */
    char msg[64];
} budget_t;

static void *budget_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    budget_t *b = ud;
    size_t old = ptr ? osize : 0;
    if (nsize > old && b->used - old + nsize > b->limit) {
        b->refused = 1;
        return NULL; /* LuaJIT raises "not enough memory" where it can be caught */
    }
    void *p = b->f(b->ud, ptr, osize, nsize);
    if (p || nsize == 0) b->used = b->used - old + nsize;
    return p;
}

static budget_t *budget_of(lua_State *L)
{
    void *ud;
    return lua_getallocf(L, &ud) == budget_alloc ? ud : NULL;
}

void *throng__lua_state_extra(lua_State *L)
{
    return budget_of(L);
}

size_t throng__lua_over_budget(lua_State *L, int *refused)
{
    budget_t *b = budget_of(L);
    *refused = b && b->refused;
    if (b) b->refused = 0;
    return b ? b->limit : 0;
}

const char *throng__lua_error_message(lua_State *L, int idx)
{
    budget_t *b = budget_of(L);
    if (b && b->refused) {
        b->refused = 0;
        b->collect = 1;
        snprintf(b->msg, sizeof b->msg, "out of Lua memory (budget %zu MB)", b->limit >> 20);
        return b->msg;
    }
    return lua_tostring(L, idx);
}

static int full_gc(lua_State *L)
{
    lua_gc(L, LUA_GCCOLLECT, 0);
    return 0;
}

void throng__lua_collect_after_refusal(lua_State *L)
{
    budget_t *b = budget_of(L);
    if (!b || !b->collect) return;
    b->collect = 0;
    if (lua_cpcall(L, full_gc, NULL) != 0) lua_pop(L, 1);
}

/* Puts the state under a budget of limit bytes, counting what it holds. */
static int set_budget(lua_State *L, size_t limit)
{
    budget_t *b = calloc(1, sizeof *b);
    if (!b) return -1;
    b->f = lua_getallocf(L, &b->ud);
    b->limit = limit;
    b->used = (size_t)lua_gc(L, LUA_GCCOUNT, 0) * 1024 + (size_t)lua_gc(L, LUA_GCCOUNTB, 0);
    lua_setallocf(L, budget_alloc, b);
    return 0;
}

void throng__lua_state_close(lua_State *L)
{
    if (!L) return;
    budget_t *b = budget_of(L);
    if (b) lua_setallocf(L, b->f, b->ud);
    lua_close(L);
    free(b);
}

/* os.exit's replacement: the library never ends the process. */
static int no_exit(lua_State *L)
{
    return luaL_error(L, "os.exit is not allowed in a %s", lua_tostring(L, lua_upvalueindex(1)));
}

/* ---------------------------------------------------------------- setup */

/* The embedding program's functions, into the module table at idx. */
static void add_functions(lua_State *L, int idx, const throng__lua_setup_t *s)
{
    for (size_t i = 0; i < s->nfunctions; i++) {
        lua_pushlightuserdata(L, s->functions[i].data);
        lua_pushcclosure(L, s->functions[i].fn, 1);
        lua_setfield(L, idx, s->functions[i].name);
    }
}

/* Puts the folder of the script at path first on package.path. */
static void add_script_dir(lua_State *L, const char *path)
{
    const char *slash = strrchr(path, '/');
    lua_getglobal(L, "package");
    if (slash)
        lua_pushlstring(L, path, (size_t)(slash - path));
    else
        lua_pushliteral(L, ".");
    lua_pushliteral(L, "/?.lua;");
    lua_getfield(L, -3, "path");
    lua_concat(L, 3);
    lua_setfield(L, -2, "path");
    lua_pop(L, 1);
}

/* setup(lightuserdata setup) -> the throng module, which package.loaded
 * holds too. Run protected. */
static int setup_state(lua_State *L)
{
    const throng__lua_setup_t *s = lua_touserdata(L, 1);
    throng__lua_install_searcher(L, s->files_first);
    if (s->script) add_script_dir(L, s->script);
    lua_pushcfunction(L, throng__lua_open_module);
    lua_call(L, 0, 1);
    int module = lua_gettop(L);
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "loaded");
    lua_pushvalue(L, module);
    lua_setfield(L, -2, "throng");
    lua_pop(L, 2);
    set_log(L, throng__lua_ctx(L), s);
    add_functions(L, module, s);
    return 1;
}

/* What the engine's own states get beyond setup_state (the busted
 * interpreter's state keeps its os.exit): no way out of the process. */
static int setup_engine_state(lua_State *L)
{
    const throng__lua_setup_t *s = lua_touserdata(L, 1);
    lua_getglobal(L, "os");
    lua_pushstring(L, s->what ? s->what : "plan");
    lua_pushcclosure(L, no_exit, 1);
    lua_setfield(L, -2, "exit");
    lua_pop(L, 1);
    lua_pushcfunction(L, setup_state);
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);
    return 1;
}

static int open_libs(lua_State *L)
{
    luaL_openlibs(L);
    return 0;
}

int throng__lua_state_open(lua_State **out, const throng__lua_setup_t *setup, char *err)
{
    static const throng__lua_setup_t none = {0};
    if (!setup) setup = &none;
    lua_State *L = *out = luaL_newstate();
    if (!L) return throng__fail(err, THRONG_ENOMEM, "out of memory creating a Lua state");
    if (setup->memory_limit && set_budget(L, setup->memory_limit) != 0) {
        lua_close(L);
        *out = NULL;
        return throng__fail(err, THRONG_ENOMEM, "out of memory creating a Lua state");
    }
    /* Everything from here allocates: protected, so running out is an error. */
    lua_pushcfunction(L, traceback); /* slot THRONG__LUA_HANDLER, for the state's life */
    lua_pushcfunction(L, open_libs);
    int rc = lua_pcall(L, 0, 0, THRONG__LUA_HANDLER);
    if (rc == 0) {
        lua_pushcfunction(L, setup_engine_state);
        lua_pushlightuserdata(L, (void *)setup);
        rc = lua_pcall(L, 1, 0, THRONG__LUA_HANDLER);
    }
    if (rc == 0) {
        if (setup->interruptible) luaJIT_setmode(L, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF);
        return 0;
    }
    rc = throng__fail(err, rc == LUA_ERRMEM ? THRONG_ENOMEM : THRONG_ESCRIPT,
                      "setting up a Lua state: %s", lua_tostring(L, -1));
    lua_settop(L, THRONG__LUA_HANDLER);
    return rc;
}

#ifdef THRONG_LUA_MODULE
/* The Lua C module that busted specs `require "throng"` under the luajit
 * interpreter: the same setup on the interpreter's state, the sources on
 * package.path first, and throng.log on the interpreter's stderr (this
 * module is a test tool, not the library). */
#if defined(__GNUC__)
#define THRONG_LUA_EXPORT __attribute__((visibility("default")))
#else
#define THRONG_LUA_EXPORT
#endif

static void print_log(throng_log_level_t level, uint64_t client, const char *msg, void *data)
{
    static const char *const names[] = {"error", "warn", "info", "debug", "trace"};
    (void)client, (void)data;
    fprintf(stderr, "%s: %s\n", names[level], msg);
}

THRONG_LUA_EXPORT int luaopen_throng(lua_State *L);
THRONG_LUA_EXPORT int luaopen_throng(lua_State *L)
{
    static const throng__lua_setup_t spec = {
        .log = print_log, .log_level = THRONG_LOG_INFO, .files_first = 1};
    lua_pushcfunction(L, setup_state);
    lua_pushlightuserdata(L, (void *)&spec);
    lua_call(L, 1, 1);
    return 1;
}
#endif
