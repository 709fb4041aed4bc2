/* persona.h - one persona loaded into one worker thread's Lua state: its
 * hooks, its per-client instances, and the protected calls into them. */
#ifndef THRONG_PERSONA_H
#define THRONG_PERSONA_H

#include <lauxlib.h>
#include <lua.h>

#include "util/buf.h"
#include "lua/lua_request.h"
#include "lua/lua_throng.h"
#include "lua/state.h"
#include "throng.h"

/* Where a persona comes from: exactly one of the three is set. */
typedef struct throng__persona_spec {
    const char *builtin; /* "table" */
    const char *path;    /* a script file */
    const char *source;  /* script text */
} throng__persona_spec_t;

typedef struct throng__persona {
    lua_State *L;
    throng__lua_ctx_t *ctx;
    throng__lua_response_t *res; /* the one response object this state reuses */
    int table_ref, meta_ref, args_ref, res_ref;
    int init_ref, request_ref, response_ref, delay_ref, done_ref, session_ref;
    int make_ref;        /* the C function that makes an instance, run protected */
    int done_call_ref;   /* the C function that builds the done hook's info and calls it */
    char label[160];     /* the script's name, for messages */
    void *state_extra;   /* throng__lua_state_extra(L), held here (lua/state.h) */
    double init_timeout; /* params' hook_timeout: each init's limit (0: none) */
    _Atomic int *stop;   /* params' stop */
} throng__persona_t;

/* 1 when the persona is written in the session style. */
static inline int throng__persona_session_style(const throng__persona_t *p)
{
    return p->session_ref != LUA_NOREF;
}

/* The persona parameters every instance's init receives, and how its
 * state is set up (lua/state.h). */
typedef struct throng__persona_params {
    unsigned request_count;
    double slow_down;
    const char *const *args; /* "key=value" */
    size_t nargs;
    const throng__lua_function_t *functions; /* added to the throng module */
    size_t nfunctions;
    throng_log_cb log; /* where throng.log lines go while the persona loads */
    void *log_data;
    int log_level;
    size_t memory_limit; /* the state's Lua memory budget in bytes (0: none) */
    int interruptible;   /* its hooks may be interrupted from another thread (lua/watch.h) */
    double hook_timeout; /* seconds loading the script and each init may take (0: no limit) */
    _Atomic int *stop;   /* a stop asked for: loading and init give up (NULL: none) */
} throng__persona_params_t;

/* 1 when name is a built-in persona (table, watchdog, ...). */
int throng__persona_builtin(const char *name);

/* The built-in personas' names, for messages: "table, watchdog, ...". */
#define THRONG__BUILTIN_PERSONAS "table, url, wrk, watchdog, admin, typical, expert"

/* A new Lua state with the persona loaded and checked. Returns 0, or
 * THRONG_EPERSONA / THRONG_ESCRIPT / THRONG_ENOMEM with the reason, naming
 * file and line, in err (THRONG__ERRMSG_LEN bytes). */
int throng__persona_open(throng__persona_t *p, const throng__persona_spec_t *spec,
                         const throng__persona_params_t *params, char *err);

/* Creates a client's instance and runs its init hook; *ref holds it.
 * Returns 0 or THRONG_ESCRIPT with the reason in err. */
int throng__persona_instance(throng__persona_t *p, throng__lua_caller_t *who, int *ref, char *err);

void throng__persona_close(throng__persona_t *p);

/* What a hook call came to. */
typedef enum {
    THRONG__HOOK_OK,    /* go on */
    THRONG__HOOK_END,   /* request hook returned nil: the session ends */
    THRONG__HOOK_FAULT, /* response hook reported a fault (*kind, msg) */
    THRONG__HOOK_ERROR  /* the hook failed: a script error (msg) */
} throng__hook_t;

/* The request hook's request, written as HTTP into req->out. */
throng__hook_t throng__persona_request(throng__persona_t *p, int self, throng__lua_caller_t *who,
                                       throng__request_out_t *req, char *msg, size_t msglen);

/* Calls the response hook with p->res, which the caller has filled. */
throng__hook_t throng__persona_response(throng__persona_t *p, int self, throng__lua_caller_t *who,
                                        throng_fault_t *kind, char *msg, size_t msglen);

/* The think time after an exchange, in seconds (0 without a delay hook). */
throng__hook_t throng__persona_delay(throng__persona_t *p, int self, throng__lua_caller_t *who,
                                     double *seconds, char *msg, size_t msglen);

/* What the done hook learns about the session that just ended. */
typedef struct throng__session_info {
    unsigned requests;   /* exchanges completed in the session */
    double elapsed;      /* seconds since the session started */
    int fault;           /* -1 when the session ended well, else its throng_fault_t */
    const char *message; /* the fault's message, or NULL */
} throng__session_info_t;

/* Calls done(self, session) when the persona has one. */
throng__hook_t throng__persona_done(throng__persona_t *p, int self, throng__lua_caller_t *who,
                                    const throng__session_info_t *info, char *msg, size_t msglen);

#endif
