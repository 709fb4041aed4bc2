/* session.h - the session style: a persona's session(self, client) runs as
 * a coroutine, and the client object's methods (get, post, concurrently,
 * sleep, ...) yield to the engine until what they wait for has happened. */
#ifndef THRONG_SESSION_H
#define THRONG_SESSION_H

#include <lua.h>

#include "client/client.h"

/* Registers the client and connection objects' metatables in a state. */
void throng__session_open(lua_State *L);

void throng__session_init(throng__client_t *c);

/* Runs a new session: a fresh coroutine calling session(self, client). */
void throng__session_start(throng__client_t *c);

/* The connections' callback in the session style. */
void throng__session_on_exchange(throng__conn_t *conn, int kind, const char *msg);

/* client:sleep is over: resume the coroutine. */
void throng__session_wake(throng__client_t *c);

/* The session is over: drops the coroutine and closes the extra
 * connections (the client's first connection is the caller's). */
void throng__session_end(throng__client_t *c);

/* Frees the extra connections (after the loop ended). */
void throng__session_free(throng__client_t *c);

#endif
