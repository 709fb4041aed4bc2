/* lua_json.c - converting between Lua values and JSON through cJSON trees. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <lauxlib.h>

#include "lua/lua_json.h"

#define MAX_DEPTH 64 /* deeper means a cycle, or a structure no request needs */

/* throng.json.null: a light userdata that stands for JSON null, since nil
 * cannot be stored in a table. */
#define JSON_NULL ((void *)0)

static int is_null(lua_State *L, int idx)
{
    return lua_type(L, idx) == LUA_TLIGHTUSERDATA && lua_touserdata(L, idx) == JSON_NULL;
}

/* n when the table at idx has exactly the keys 1..n (n > 0), else 0. */
static size_t array_length(lua_State *L, int idx)
{
    size_t n = lua_objlen(L, idx), count = 0;
    if (n == 0) return 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        count++;
        if (count > n) {
            lua_pop(L, 1);
            return 0;
        }
    }
    return count == n ? n : 0;
}

static cJSON *to_json(lua_State *L, int idx, int depth, char *msg, size_t msglen);

/* A number written so that it reads back exactly: cJSON's own printing
 * keeps 15 digits when they read back only approximately. Whole numbers are
 * written without a fraction or exponent. */
static cJSON *number_to_json(double v)
{
    char text[32];
    if (v == floor(v) && fabs(v) < 9007199254740992.0) {
        snprintf(text, sizeof text, "%.0f", v);
    } else {
        for (int digits = 15; digits <= 17; digits++) {
            snprintf(text, sizeof text, "%.*g", digits, v);
            if (strtod(text, NULL) == v) break;
        }
    }
    return cJSON_CreateRaw(text);
}

static cJSON *table_to_json(lua_State *L, int idx, int depth, char *msg, size_t msglen)
{
    size_t n = array_length(L, idx);
    cJSON *j = n ? cJSON_CreateArray() : cJSON_CreateObject();
    if (!j) return NULL;
    if (n) {
        for (size_t i = 1; i <= n; i++) {
            lua_rawgeti(L, idx, (int)i);
            cJSON *item = to_json(L, lua_gettop(L), depth + 1, msg, msglen);
            lua_pop(L, 1);
            if (!item) goto fail;
            cJSON_AddItemToArray(j, item);
        }
        return j;
    }
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) != LUA_TSTRING) {
            snprintf(msg, msglen, "cannot encode a table with a %s key as JSON",
                     luaL_typename(L, -2));
            lua_pop(L, 2);
            goto fail;
        }
        cJSON *item = to_json(L, lua_gettop(L), depth + 1, msg, msglen);
        if (!item) {
            lua_pop(L, 2);
            goto fail;
        }
        cJSON_AddItemToObject(j, lua_tostring(L, -2), item);
        lua_pop(L, 1);
    }
    return j;
fail:
    cJSON_Delete(j);
    return NULL;
}

static cJSON *to_json(lua_State *L, int idx, int depth, char *msg, size_t msglen)
{
    if (depth > MAX_DEPTH) {
        snprintf(msg, msglen, "cannot encode as JSON: nested deeper than %d (a cycle?)", MAX_DEPTH);
        return NULL;
    }
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        return cJSON_CreateNull();
    case LUA_TBOOLEAN:
        return cJSON_CreateBool(lua_toboolean(L, idx));
    case LUA_TNUMBER: {
        double v = lua_tonumber(L, idx);
        if (!isfinite(v)) {
            snprintf(msg, msglen, "cannot encode %g as JSON", v);
            return NULL;
        }
        return number_to_json(v);
    }
    case LUA_TSTRING:
        return cJSON_CreateString(lua_tostring(L, idx));
    case LUA_TTABLE:
        return table_to_json(L, idx, depth, msg, msglen);
    default:
        if (is_null(L, idx)) return cJSON_CreateNull();
        snprintf(msg, msglen, "cannot encode a %s as JSON", luaL_typename(L, idx));
        return NULL;
    }
}

int throng__json_encode(lua_State *L, int idx, throng__buf_t *out, char *msg, size_t msglen)
{
    if (idx < 0) idx = lua_gettop(L) + idx + 1;
    cJSON *j = to_json(L, idx, 0, msg, msglen);
    if (!j) return -1;
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    int rc = text ? throng__buf_puts(out, text) : -1;
    cJSON_free(text);
    if (rc != 0) snprintf(msg, msglen, "out of memory encoding JSON");
    return rc;
}

static void push_json(lua_State *L, const cJSON *j)
{
    if (cJSON_IsObject(j) || cJSON_IsArray(j)) {
        int array = cJSON_IsArray(j);
        lua_createtable(L, array ? cJSON_GetArraySize(j) : 0, array ? 0 : cJSON_GetArraySize(j));
        int i = 1;
        for (const cJSON *c = j->child; c; c = c->next) {
            push_json(L, c);
            if (array)
                lua_rawseti(L, -2, i++);
            else
                lua_setfield(L, -2, c->string);
        }
    } else if (cJSON_IsString(j)) {
        lua_pushstring(L, j->valuestring);
    } else if (cJSON_IsNumber(j)) {
        lua_pushnumber(L, j->valuedouble);
    } else if (cJSON_IsBool(j)) {
        lua_pushboolean(L, cJSON_IsTrue(j));
    } else {
        lua_pushlightuserdata(L, JSON_NULL);
    }
}

/* How deep the tree nests (cJSON itself stops at 1000). */
static int depth_of(const cJSON *j)
{
    int deepest = 0;
    for (const cJSON *c = j->child; c; c = c->next) {
        int d = depth_of(c);
        if (d > deepest) deepest = d;
    }
    return deepest + 1;
}

#define MAX_DECODE_DEPTH 200

int throng__json_decode(lua_State *L, const char *text, size_t len, char *msg, size_t msglen)
{
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!j) {
        size_t at = end && end >= text ? (size_t)(end - text) : 0;
        snprintf(msg, msglen, "not JSON (at byte %zu of %zu)", at, len);
        return -1;
    }
    int depth = depth_of(j);
    if (depth > MAX_DECODE_DEPTH || !lua_checkstack(L, 2 * depth + 8)) {
        cJSON_Delete(j);
        snprintf(msg, msglen, "JSON nested deeper than %d", MAX_DECODE_DEPTH);
        return -1;
    }
    push_json(L, j);
    cJSON_Delete(j);
    return 0;
}

/* throng.json.encode(value): the JSON text, or raises an error. */
static int l_encode(lua_State *L)
{
    luaL_checkany(L, 1);
    throng__buf_t b = {0};
    char msg[160];
    int rc = throng__json_encode(L, 1, &b, msg, sizeof msg);
    if (rc == 0) lua_pushlstring(L, b.data ? b.data : "", b.len);
    throng__buf_free(&b);
    if (rc != 0) return luaL_error(L, "%s", msg);
    return 1;
}

/* throng.json.decode(text): the value, or nil and why. */
static int l_decode(lua_State *L)
{
    size_t len;
    const char *text = luaL_checklstring(L, 1, &len);
    char msg[160];
    if (throng__json_decode(L, text, len, msg, sizeof msg) == 0) return 1;
    lua_pushnil(L);
    lua_pushstring(L, msg);
    return 2;
}

void throng__json_push_module(lua_State *L)
{
    lua_createtable(L, 0, 3);
    lua_pushcfunction(L, l_encode);
    lua_setfield(L, -2, "encode");
    lua_pushcfunction(L, l_decode);
    lua_setfield(L, -2, "decode");
    lua_pushlightuserdata(L, JSON_NULL);
    lua_setfield(L, -2, "null");
}
