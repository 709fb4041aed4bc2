/* lua_cookies.h - a client's cookie jar (RFC 6265 as far as a non-browser
 * client needs it) and its Lua face, client.cookies.
 *
 * The jar is made at the first Set-Cookie a client keeps (a client that
 * never gets one costs one NULL pointer). Cookies are kept sorted by path
 * length, longest first, the order RFC 6265 5.4 sends them in. No public
 * suffix list: a Domain attribute is accepted when the request's host
 * domain-matches it. At most THRONG__JAR_MAX cookies; the oldest goes. */
#ifndef THRONG_LUA_COOKIES_H
#define THRONG_LUA_COOKIES_H

#include <stddef.h>
#include <stdint.h>

#include <lua.h>

#include "util/buf.h"

#define THRONG__JAR_MAX 64
#define THRONG__COOKIE_MAX 4096          /* a Set-Cookie line longer than this is ignored */
#define THRONG__COOKIE_SESSION INT64_MAX /* expires: no Expires nor Max-Age */

typedef struct throng__cookie {
    char *name; /* one allocation: name, value, domain, path, each NUL-ended */
    char *value;
    char *domain; /* lower case, no leading dot */
    char *path;
    int64_t expires; /* Unix seconds, or THRONG__COOKIE_SESSION */
    unsigned host_only : 1, secure : 1, http_only : 1;
    char same_site[8]; /* "Strict", "Lax", "None" or "" */
} throng__cookie_t;

typedef struct throng__jar {
    throng__cookie_t c[THRONG__JAR_MAX];
    unsigned n;
} throng__jar_t;

/* Keeps the cookie of one Set-Cookie value (len bytes) received for a
 * request to host and path (the request target; the default path comes
 * from it) at time now; makes *jar when it is NULL. An expired cookie
 * removes the one it matches. Returns 1 when kept (or removed one), 0
 * when ignored (malformed, or its Domain does not match host), -1 when
 * memory ran out. */
int throng__jar_set(throng__jar_t **jar, const char *line, size_t len, const char *host,
                    const char *path, size_t path_len, int64_t now);

/* Keeps every Set-Cookie of a response's header block (headers: "name\0value\0"
 * pairs, len bytes) received for a request to host whose default cookie
 * path is dir. Returns how many were kept, or -1 when memory ran out. */
int throng__jar_take(throng__jar_t **jar, const char *headers, size_t len, const char *host,
                     const char *dir);

/* Appends "Cookie: a=1; b=2\r\n" with the cookies that go to host and path
 * (its query ignored) over a secure connection or not, at now; nothing
 * when none does (or jar is NULL). Returns 0, or -1 when memory ran out. */
int throng__jar_header(const throng__jar_t *jar, const char *host, const char *path,
                       size_t path_len, int secure, int64_t now, throng__buf_t *out);

/* The cookie named name that would go to host and path, or NULL. */
const throng__cookie_t *throng__jar_find(const throng__jar_t *jar, const char *name);

/* Removes the cookies named name (every cookie when name is NULL). */
void throng__jar_clear(throng__jar_t *jar, const char *name);

/* Frees the jar (NULL is fine). */
void throng__jar_free(throng__jar_t *jar);

/* The date of an Expires attribute (RFC 6265 5.1.1) as Unix seconds, or -1. */
int64_t throng__cookie_date(const char *s, size_t len);

/* Registers the cookies object's metatable in a state. */
void throng__cookies_open(lua_State *L);

/* Pushes a cookies object for the jar at *slot (client.cookies); host is
 * the server's, for cookies set from Lua. slot must outlive the object's
 * use: the session style makes one per session. */
void throng__cookies_push(lua_State *L, throng__jar_t **slot, const char *host);

#endif
