/* state.h - the one Lua bootstrap: every Lua state throng runs code in (a
 * worker's persona, a plan being read, a persona checked before a fork,
 * the luajit interpreter that runs the busted specs) is set up here, the
 * same way: the embedded modules, the script's folder on package.path, the
 * `throng` module with the log handler and the registered C functions. */
#ifndef THRONG_LUA_STATE_H
#define THRONG_LUA_STATE_H

#include <stddef.h>

#include <lua.h>

#include "throng.h"

/* Stack slot of the message handler in a state throng__lua_state_open()
 * made: every protected call there passes it, so an error carries a short
 * traceback naming the script's file and line. */
#define THRONG__LUA_HANDLER 1

/* A C function the embedding program adds to the throng module
 * (throng_register_function). */
typedef struct throng__lua_function {
    char name[64];
    int (*fn)(lua_State *L);
    void *data; /* the function's first upvalue, as a light userdata */
} throng__lua_function_t;

/* How a state is set up. Everything may be left 0. */
typedef struct throng__lua_setup {
    const char *script; /* a script's path: its folder goes first on package.path,
                           so that it can require the modules beside it; or NULL */
    throng_log_cb log;  /* where throng.log lines go (the run's log); NULL drops them */
    void *log_data;
    int log_level;                           /* a throng_log_level_t: lines above it are dropped */
    const throng__lua_function_t *functions; /* added to the throng module */
    size_t nfunctions;
    int files_first;     /* 1: modules found on package.path come before the embedded
                            ones (the spec module, which tests the sources) */
    size_t memory_limit; /* bytes the state's Lua heap may hold; 0: no limit. An allocation
                            past it fails as "not enough memory" (a protected error) and
                            throng__lua_over_budget() tells it from a real shortage */
    const char *what;    /* what the state runs, for messages ("persona"); NULL: "plan" */
    int interruptible;   /* 1: LuaJIT's compiler off, so that an interrupt from the state's
                            watch (lua/watch.h) stops any Lua code at its next instruction */
} throng__lua_setup_t;

/* A new Lua state: the standard libraries, the message handler at slot
 * THRONG__LUA_HANDLER (the only value left on the stack), and the setup
 * described above; `throng` is loaded. Returns 0, or THRONG_ENOMEM /
 * THRONG_ESCRIPT with the reason in err (THRONG__ERRMSG_LEN bytes). */
int throng__lua_state_open(lua_State **L, const throng__lua_setup_t *setup, char *err);

/* Closes a state throng__lua_state_open() made (and frees its budget). */
void throng__lua_state_close(lua_State *L);

/* The state's memory budget in bytes (0: none), and whether an allocation
 * was refused for it since the last call (which clears that). */
size_t throng__lua_over_budget(lua_State *L, int *refused);

/* The state's own allocation beside LuaJIT's memory (its budget), or
 * NULL: an owner that may never close the state (an abandoned worker's)
 * keeps it, so that leak checkers, which do not scan LuaJIT's memory, see
 * it held. */
void *throng__lua_state_extra(lua_State *L);

/* The message for the error at idx: "out of Lua memory (budget N MB)" when
 * the budget refused an allocation, else the error as a string, or NULL
 * when it is not one. Clears the refusal. Allocates nothing. */
const char *throng__lua_error_message(lua_State *L, int idx);

/* After throng__lua_error_message reported a refusal, once what the failed
 * code held is unreachable: a full collection, protected. LuaJIT collects
 * only when its heap passes a threshold that may lie beyond the budget, so
 * without this every later allocation could be refused. */
void throng__lua_collect_after_refusal(lua_State *L);

/* Pushes onto L the message msg followed by up to three frames of L1's
 * stack from level on, on one line: "msg [in file:12 (f) < file:30]". */
void throng__lua_traceback(lua_State *L, lua_State *L1, const char *msg, int level);

#endif
