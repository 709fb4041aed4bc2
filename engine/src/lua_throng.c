/* placeholder: replaced by the throng Lua module */
#include <lua.h>
#include <lauxlib.h>
int luaopen_throng(lua_State *L);
int luaopen_throng(lua_State *L)
{
    lua_newtable(L);
    return 1;
}
