/* watch.h - a Lua state's watch: lets another thread see that the state
 * has been inside one call into Lua (a hook, a session's resume) for too
 * long, and interrupt it.
 *
 * The state's own thread marks every outermost call into Lua with
 * throng__lua_watch_enter/leave: a counter that is odd while Lua runs. The
 * watching thread samples it; the same odd value seen for longer than a
 * limit is a call that does not return. throng__lua_watch_interrupt() then
 * sets a count hook on the state from the watching thread (LuaJIT's hooks
 * are set by plain stores, which is what its own profiler does from a
 * timer thread), and the hook, on the state's thread at its next Lua
 * instruction, raises an error naming the file and line it stopped at:
 * the call fails like any script error. LuaJIT's compiled code never
 * checks hooks, so a state that is to be interruptible runs with the
 * compiler off (lua/state.c, the setup's `interruptible`).
 *
 * A call stuck in C (a pathological string pattern, a blocking C
 * function) reaches no Lua instruction: the watcher may then abandon the
 * state: from then on the thread parks for good in its next
 * throng__lua_watch_leave() instead of returning to the engine. */
#ifndef THRONG_LUA_WATCH_H
#define THRONG_LUA_WATCH_H

#include <stdatomic.h>
#include <stdint.h>

#include <lua.h>

/* Why a call was interrupted (the message the hook raises). */
typedef enum {
    THRONG__WATCH_TIMEOUT = 1, /* it ran longer than the hook timeout */
    THRONG__WATCH_ENDING,      /* the run ended and it was still running */
} throng__watch_reason_t;

typedef struct throng__lua_watch {
    lua_State *L;            /* the state (set before its thread starts) */
    _Atomic uint64_t calls;  /* odd while a call into Lua runs */
    unsigned depth;          /* the state's thread's own: calls nested in calls */
    _Atomic uint64_t target; /* the calls value an interrupt is meant for (0: none) */
    _Atomic int reason;      /* a throng__watch_reason_t, for the message */
    _Atomic double limit;    /* seconds, for the message */
    _Atomic int abandoned;   /* the watcher gave up on the thread: it parks */
} throng__lua_watch_t;

void throng__lua_watch_init(throng__lua_watch_t *w, lua_State *L);

/* Parks the calling thread for good (an abandoned state's thread). */
void throng__lua_watch_park(void) __attribute__((noreturn));

static inline void throng__lua_watch_enter(throng__lua_watch_t *w)
{
    if (w->depth++ == 0) atomic_fetch_add_explicit(&w->calls, 1, memory_order_release);
}

static inline void throng__lua_watch_leave(throng__lua_watch_t *w)
{
    if (--w->depth == 0) atomic_fetch_add_explicit(&w->calls, 1, memory_order_release);
    if (atomic_load_explicit(&w->abandoned, memory_order_acquire)) throng__lua_watch_park();
}

/* The calls counter as the watcher sees it: odd while Lua runs; the same
 * odd value twice means the same call. */
static inline uint64_t throng__lua_watch_sample(throng__lua_watch_t *w)
{
    return atomic_load_explicit(&w->calls, memory_order_acquire);
}

/* From the watching thread: interrupts the call that `seen` (an odd
 * sample) stands for, if it still runs when its thread next executes a Lua
 * instruction, for reason; limit is the time it was given, for the
 * message. */
void throng__lua_watch_interrupt(throng__lua_watch_t *w, uint64_t seen,
                                 throng__watch_reason_t reason, double limit);

/* Code run before any watcher exists (a script's top level as it loads,
 * each client's init hook, a plan file) is guarded by a count hook of its
 * own instead: set by throng__lua_guard() on the state's own thread, it
 * raises an error naming file and line once `seconds` have passed (0:
 * never) or *stop is set (a stop asked for meanwhile; NULL: none), and
 * throng__lua_unguard() takes it off. The state must be interruptible
 * (LuaJIT's compiler off). */
void throng__lua_guard(lua_State *L, double seconds, _Atomic int *stop);
void throng__lua_unguard(lua_State *L);

#endif
