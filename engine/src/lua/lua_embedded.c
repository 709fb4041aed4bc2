/* lua_embedded.c - finds the embedded Lua modules for `require`. */
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "lua/lua_embedded.h"

const throng__lua_chunk_t *throng__lua_find_chunk(const char *module)
{
    for (const throng__lua_chunk_t *c = throng__lua_chunks; c->module; c++)
        if (strcmp(c->module, module) == 0) return c;
    return NULL;
}

/* package.loaders entry: returns the loaded chunk, or a message saying where
 * it looked, as Lua's own searchers do. */
static int embedded_searcher(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    const throng__lua_chunk_t *c = throng__lua_find_chunk(name);
    if (!c) {
        lua_pushfstring(L, "\n\tno module '%s' built into throng", name);
        return 1;
    }
    if (luaL_loadbuffer(L, c->source, c->len, c->chunkname) != 0) return lua_error(L);
    return 1;
}

void throng__lua_install_searcher(lua_State *L, int last)
{
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "loaders");
    int n = (int)lua_objlen(L, -1);
    if (last) {
        lua_pushcfunction(L, embedded_searcher);
        lua_rawseti(L, -2, n + 1);
        lua_pop(L, 2);
        return;
    }
    /* Second place: after package.preload, before the file searchers, so the
     * engine's own modules cannot be shadowed by files by accident. */
    for (int i = n; i >= 2; i--) {
        lua_rawgeti(L, -1, i);
        lua_rawseti(L, -2, i + 1);
    }
    lua_pushcfunction(L, embedded_searcher);
    lua_rawseti(L, -2, 2);
    lua_pop(L, 2);
}
