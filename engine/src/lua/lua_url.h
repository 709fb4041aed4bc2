/* lua_url.h - URLs and form bodies: percent-encoding, query strings and
 * application/x-www-form-urlencoded bodies from Lua tables,
 * multipart/form-data bodies, and the throng.url module
 * (encode, decode, parse, query, multipart). */
#ifndef THRONG_LUA_URL_H
#define THRONG_LUA_URL_H

#include <stddef.h>

#include <lua.h>

#include "util/buf.h"
#include "util/rng.h"

/* Appends s percent-encoded: every byte but A-Z a-z 0-9 - . _ ~ as %XX. */
int throng__url_encode(throng__buf_t *b, const char *s, size_t n);

/* Appends the table at idx as "k=v&k=v": keys sorted (the same table
 * gives the same bytes), both sides percent-encoded, an array value as
 * the key repeated. what names the table in messages ("request.query").
 * Returns 0, or -1 with the reason in msg. */
int throng__url_pairs(lua_State *L, int idx, throng__buf_t *b, const char *what, char *msg,
                      size_t msglen);

/* Appends the table at idx as a multipart/form-data body: a field is a
 * string (or number, or an array of them), or a file, { path = ... } (read
 * now) or { data = ... }, with filename and content_type optional. The
 * boundary is drawn from rng and written to boundary (at least 40 bytes),
 * made again in the unlikely case the body holds it. Returns 0, or -1
 * with the reason in msg. */
int throng__url_multipart(lua_State *L, int idx, throng__buf_t *b, throng__rng_t *rng,
                          char *boundary, char *msg, size_t msglen);

/* Pushes the throng.url table; its functions close over the value at
 * ctx_index (the state's throng__lua_ctx_t). */
void throng__lua_url_push_module(lua_State *L, int ctx_index);

#endif
