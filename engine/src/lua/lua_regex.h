/* lua_regex.h - throng.regex(pattern [, flags]): POSIX extended regular
 * expressions (libc's regcomp/regexec) for personas, since Lua's patterns
 * are not regexes (no alternation, no counted repetition). */
#ifndef THRONG_LUA_REGEX_H
#define THRONG_LUA_REGEX_H

#include <lua.h>

#define THRONG__LUA_REGEX "throng.regex"

/* throng.regex(pattern [, flags]) -> a compiled expression, or raises an
 * argument error with regerror()'s reason. flags: "i" ignores case. The
 * object's find(s) returns the 1-based start and end of the first match
 * anywhere in s (which may hold zero bytes), or nil. */
int throng__lua_regex(lua_State *L);

#endif
