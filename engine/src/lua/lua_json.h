/* lua_json.h - JSON to and from Lua values, with cJSON underneath:
 * throng.json.encode/decode, request tables' `json` field and res:json(). */
#ifndef THRONG_LUA_JSON_H
#define THRONG_LUA_JSON_H

#include <stddef.h>

#include <lua.h>

#include "util/buf.h"

/* Appends the JSON text of the value at idx to out. Tables whose keys are
 * exactly 1..n become arrays, other tables objects (an empty table is {});
 * throng.json.null is null. Returns 0, or -1 with the reason in msg
 * (a function, a cycle, a non-string key, ...). */
int throng__json_encode(lua_State *L, int idx, throng__buf_t *out, char *msg, size_t msglen);

/* Pushes the value of JSON text, or returns -1 with the reason in msg and
 * pushes nothing. null becomes throng.json.null. */
int throng__json_decode(lua_State *L, const char *text, size_t len, char *msg, size_t msglen);

/* Pushes the throng.json table: encode, decode and null. */
void throng__json_push_module(lua_State *L);

#endif
