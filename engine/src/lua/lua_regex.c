/* lua_regex.c - compiled POSIX regular expressions as Lua objects. The
 * regex_t lives in the userdata and is freed by __gc; matching runs on the
 * string's bytes in place (REG_STARTEND), so a body holding zero bytes is
 * searched whole and no copy is made. */
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

#include "lua/lua_regex.h"

typedef struct regex_box {
    regex_t re;
    int compiled;
} regex_box_t;

static regex_box_t *check_box(lua_State *L)
{
    regex_box_t *b = luaL_checkudata(L, 1, THRONG__LUA_REGEX);
    if (!b->compiled) luaL_argerror(L, 1, "regex already freed");
    return b;
}

/* re:find(s) -> start, end (1-based, inclusive) or nil. */
static int regex_find(lua_State *L)
{
    regex_box_t *b = check_box(L);
    size_t len;
    const char *s = luaL_checklstring(L, 2, &len);
    regmatch_t m[1];
    m[0].rm_so = 0;
    m[0].rm_eo = (regoff_t)len;
    int rc = regexec(&b->re, s, 1, m, REG_STARTEND);
    if (rc != 0) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushinteger(L, (lua_Integer)m[0].rm_so + 1);
    lua_pushinteger(L, (lua_Integer)m[0].rm_eo);
    return 2;
}

static int regex_gc(lua_State *L)
{
    regex_box_t *b = luaL_checkudata(L, 1, THRONG__LUA_REGEX);
    if (b->compiled) regfree(&b->re);
    b->compiled = 0;
    return 0;
}

static int regex_tostring(lua_State *L)
{
    lua_pushfstring(L, "throng.regex: %p", lua_touserdata(L, 1));
    return 1;
}

int throng__lua_regex(lua_State *L)
{
    const char *pattern = luaL_checkstring(L, 1);
    const char *flags = luaL_optstring(L, 2, "");
    int cflags = REG_EXTENDED;
    for (const char *f = flags; *f; f++) {
        if (*f == 'i')
            cflags |= REG_ICASE;
        else
            return luaL_argerror(L, 2, "flags may hold only 'i' (ignore case)");
    }
    regex_box_t *b = lua_newuserdata(L, sizeof *b);
    b->compiled = 0;
    if (luaL_newmetatable(L, THRONG__LUA_REGEX)) {
        static const luaL_Reg methods[] = {{"find", regex_find}, {NULL, NULL}};
        lua_newtable(L);
        luaL_register(L, NULL, methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, regex_gc);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, regex_tostring);
        lua_setfield(L, -2, "__tostring");
    }
    lua_setmetatable(L, -2);
    int rc = regcomp(&b->re, pattern, cflags);
    if (rc != 0) {
        char why[256];
        regerror(rc, &b->re, why, sizeof why);
        return luaL_error(L, "bad regular expression '%s': %s", pattern, why);
    }
    b->compiled = 1;
    return 1;
}
