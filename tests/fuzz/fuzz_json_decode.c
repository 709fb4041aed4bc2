/* fuzz_json_decode.c - the JSON bridge (lua/lua_json.c) on any text: the C
 * decode the engine calls, and from Lua in a state made by the engine's
 * one bootstrap (lua/state.c) throng.json.decode, res:json() on a response
 * whose body is the input, throng.table_shape(res), and encode after a
 * successful decode (which must then decode again). Bodies are given in
 * buffers of their exact length, with no NUL after them. */
#include <stdio.h>
#include <stdlib.h>

#include <lauxlib.h>

#include "fuzz.h"
#include "lua/lua_json.h"
#include "lua/lua_throng.h"
#include "lua/state.h"
#include "util/error.h"

static lua_State *L;
static int check_ref; /* the Lua function below */

static const char check_source[] =
    "local throng = require 'throng'\n"
    "local json = throng.json\n"
    "return function(res, text)\n"
    "  local a, why = json.decode(text)\n"
    "  assert(a ~= nil or type(why) == 'string')\n"
    "  local b, why2 = res:json()\n"
    "  assert((a == nil) == (b == nil), 'decode and res:json() disagree')\n"
    "  assert(b ~= nil or type(why2) == 'string')\n"
    "  local rows, cols = throng.table_shape(res)\n"
    "  local _ = res.status, res.body, res.headers\n"
    "  if a ~= nil then\n"
    "    local ok, s = pcall(json.encode, a)\n"
    "    if ok and type(s) == 'string' then\n"
    "      assert(json.decode(s) ~= nil, 'encode wrote what decode refuses: ' .. s)\n"
    "    end\n"
    "  end\n"
    "end\n";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[THRONG__ERRMSG_LEN];
    throng__lua_setup_t setup = {.what = "fuzz"};
    if (throng__lua_state_open(&L, &setup, err) != 0) {
        fprintf(stderr, "fuzz_json_decode: %s\n", err);
        abort();
    }
    if (luaL_loadbuffer(L, check_source, sizeof check_source - 1, "=fuzz_json_decode") != 0 ||
        lua_pcall(L, 0, 1, THRONG__LUA_HANDLER) != 0) {
        fprintf(stderr, "fuzz_json_decode: %s\n", lua_tostring(L, -1));
        abort();
    }
    check_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int top = lua_gettop(L);
    char msg[160];
    /* The C decode, as the request and response paths call it. */
    if (throng__json_decode(L, (const char *)data, size, msg, sizeof msg) == 0) {
        throng__buf_t out = {0};
        if (throng__json_encode(L, -1, &out, msg, sizeof msg) == 0) {
            FUZZ_CHECK(throng__json_decode(L, out.data, out.len, msg, sizeof msg) == 0);
            lua_pop(L, 1);
        }
        throng__buf_free(&out);
        lua_pop(L, 1);
    } else {
        FUZZ_CHECK(memchr(msg, '\0', sizeof msg) && msg[0]);
    }
    FUZZ_CHECK(lua_gettop(L) == top);

    /* From Lua, through the module and a response object. */
    lua_rawgeti(L, LUA_REGISTRYINDEX, check_ref);
    throng__lua_response_t *res = throng__lua_new_response(L, throng__lua_ctx(L));
    res->valid = 1;
    res->status = 200;
    res->body = (const char *)data;
    res->body_len = size;
    res->headers = "";
    res->headers_len = 0;
    lua_pushlstring(L, (const char *)data, size);
    if (lua_pcall(L, 2, 0, THRONG__LUA_HANDLER) != 0) {
        const char *why = lua_tostring(L, -1);
        /* Only running out of memory is an excuse. */
        if (!why || !strstr(why, "not enough memory")) {
            fprintf(stderr, "fuzz_json_decode: %s\n", why ? why : "(no message)");
            abort();
        }
        lua_pop(L, 1);
    }
    res->valid = 0; /* as after a response hook: the body is the fuzzer's */
    FUZZ_CHECK(lua_gettop(L) == top);
    static unsigned runs;
    if (++runs % 256 == 0) lua_gc(L, LUA_GCCOLLECT, 0);
    return 0;
}
