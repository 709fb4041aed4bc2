/* watch.c - a Lua state's watch (see watch.h). */
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>

#include "lua/lua_throng.h"
#include "lua/watch.h"

void throng__lua_watch_init(throng__lua_watch_t *w, lua_State *L)
{
    w->L = L;
    atomic_init(&w->calls, 0);
    w->depth = 0;
    atomic_init(&w->target, 0);
    atomic_init(&w->reason, 0);
    w->limit = 0;
    atomic_init(&w->abandoned, 0);
}

void throng__lua_watch_park(void)
{
    for (;;)
        pause();
}

/* The count hook an interrupt sets, on the state's own thread: when the
 * call it was meant for still runs, an error at the current line; else
 * (that call returned before the hook fired) nothing. Either way the hook
 * goes. */
static void on_interrupt(lua_State *L, lua_Debug *ar)
{
    throng__lua_ctx_t *ctx = throng__lua_ctx(L);
    throng__lua_watch_t *w = ctx ? &ctx->watch : NULL;
    lua_sethook(L, NULL, 0, 0);
    if (!w) return;
    uint64_t target = atomic_exchange(&w->target, 0);
    if (target == 0 || target != throng__lua_watch_sample(w)) return;
    lua_getinfo(L, "Sl", ar);
    if (atomic_load(&w->reason) == THRONG__WATCH_ENDING)
        luaL_error(L, "%s:%d: interrupted: the run ended and the hook was still running %gs later",
                   ar->short_src, ar->currentline, w->limit);
    luaL_error(L, "%s:%d: interrupted: the hook ran longer than the hook timeout (%gs)",
               ar->short_src, ar->currentline, w->limit);
}

void throng__lua_watch_interrupt(throng__lua_watch_t *w, uint64_t seen,
                                 throng__watch_reason_t reason, double limit)
{
    w->limit = limit;
    atomic_store(&w->reason, (int)reason);
    atomic_store(&w->target, seen);
    lua_sethook(w->L, on_interrupt, LUA_MASKCOUNT, 1);
}

/* The guard of one thread's state (a thread guards one call at a time). */
static _Thread_local struct {
    double deadline; /* CLOCK_MONOTONIC seconds; 0: none */
    double seconds;
    _Atomic int *stop;
} guard;

static double monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Every 10,000 instructions: past the deadline, or asked to stop, an error
 * at the current line. */
static void on_guard(lua_State *L, lua_Debug *ar)
{
    int stopped = guard.stop && atomic_load(guard.stop);
    int late = guard.deadline > 0 && monotonic() > guard.deadline;
    if (!stopped && !late) return;
    lua_sethook(L, NULL, 0, 0);
    lua_getinfo(L, "Sl", ar);
    if (stopped)
        luaL_error(L, "%s:%d: interrupted: a stop was asked for while the script loaded",
                   ar->short_src, ar->currentline);
    luaL_error(L,
               "%s:%d: interrupted: loading the script (its top level, or an init hook) ran "
               "longer than the hook timeout (%gs)",
               ar->short_src, ar->currentline, guard.seconds);
}

void throng__lua_guard(lua_State *L, double seconds, _Atomic int *stop)
{
    if (!(seconds > 0) && !stop) return;
    guard.seconds = seconds;
    guard.deadline = seconds > 0 ? monotonic() + seconds : 0;
    guard.stop = stop;
    lua_sethook(L, on_guard, LUA_MASKCOUNT, 10000);
}

void throng__lua_unguard(lua_State *L)
{
    if (!(guard.seconds > 0) && !guard.stop) return;
    lua_sethook(L, NULL, 0, 0);
    guard.deadline = 0;
    guard.seconds = 0;
    guard.stop = NULL;
}
