/* lua_url.c - percent-encoding, query strings, form and multipart bodies,
 * and the throng.url module. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "lua/lua_throng.h"
#include "lua/lua_url.h"

static const char hex[] = "0123456789ABCDEF";

int throng__url_encode(throng__buf_t *b, const char *s, size_t n)
{
    if (throng__buf_reserve(b, 3 * n) != 0) return -1;
    char *p = b->data + b->len;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            *p++ = (char)c;
        } else {
            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        }
    }
    b->len = (size_t)(p - b->data);
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Pushes s[0..n) with %XX decoded (and '+' as a space when plus is set);
 * a '%' not followed by two hex digits stays as it is. */
static void push_decoded(lua_State *L, const char *s, size_t n, int plus)
{
    luaL_Buffer lb;
    luaL_buffinit(L, &lb);
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = hexval(s[i + 1])) >= 0 &&
            (lo = hexval(s[i + 2])) >= 0) {
            luaL_addchar(&lb, (char)(hi * 16 + lo));
            i += 2;
        } else {
            luaL_addchar(&lb, plus && s[i] == '+' ? ' ' : s[i]);
        }
    }
    luaL_pushresult(&lb);
}

/* ------------------------------------------------------ tables to text */

typedef struct {
    const char *s;
    size_t n;
} pair_key_t;

static int key_cmp(const void *a, const void *b)
{
    const pair_key_t *x = a, *y = b;
    int c = memcmp(x->s, y->s, x->n < y->n ? x->n : y->n);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* The string keys of the table at idx, sorted; the strings stay alive in
 * the table. NULL with msg when a key is not a string (or memory runs out). */
static pair_key_t *sorted_keys(lua_State *L, int idx, const char *what, size_t *count, char *msg,
                               size_t msglen)
{
    size_t n = 0, cap = 8;
    pair_key_t *keys = malloc(cap * sizeof *keys);
    if (!keys) goto nomem;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) {
            snprintf(msg, msglen, "%s must map names to values: a %s key is not a name", what,
                     luaL_typename(L, -1));
            lua_pop(L, 1);
            free(keys);
            return NULL;
        }
        if (n == cap) {
            pair_key_t *more = realloc(keys, 2 * cap * sizeof *keys);
            if (!more) {
                lua_pop(L, 1);
                goto nomem;
            }
            keys = more, cap *= 2;
        }
        keys[n].s = lua_tolstring(L, -1, &keys[n].n);
        n++;
    }
    qsort(keys, n, sizeof *keys, key_cmp);
    *count = n;
    return keys;
nomem:
    free(keys);
    snprintf(msg, msglen, "out of memory encoding %s", what);
    return NULL;
}

/* A value of a name=value pair as text: a string, a number or a boolean. */
static const char *scalar(lua_State *L, int idx, size_t *n)
{
    int t = lua_type(L, idx);
    if (t == LUA_TSTRING || t == LUA_TNUMBER) return lua_tolstring(L, idx, n);
    if (t == LUA_TBOOLEAN) {
        *n = lua_toboolean(L, idx) ? 4 : 5;
        return lua_toboolean(L, idx) ? "true" : "false";
    }
    return NULL;
}

/* How many entries the table at idx has. */
static size_t entries(lua_State *L, int idx)
{
    size_t n = 0;
    if (idx < 0) idx = lua_gettop(L) + idx + 1;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        n++;
    }
    return n;
}

/* Appends k=v, after a '&' unless it is the first pair (at start). */
static int put_pair(throng__buf_t *b, size_t start, const pair_key_t *k, const char *v, size_t vn)
{
    return (b->len > start && throng__buf_append(b, "&", 1) != 0) ||
           throng__url_encode(b, k->s, k->n) != 0 || throng__buf_append(b, "=", 1) != 0 ||
           throng__url_encode(b, v, vn) != 0;
}

int throng__url_pairs(lua_State *L, int idx, throng__buf_t *b, const char *what, char *msg,
                      size_t msglen)
{
    size_t count, start = b->len;
    if (idx < 0) idx = lua_gettop(L) + idx + 1;
    pair_key_t *keys = sorted_keys(L, idx, what, &count, msg, msglen);
    if (!keys) return -1;
    for (size_t i = 0; i < count; i++) {
        lua_pushlstring(L, keys[i].s, keys[i].n);
        lua_rawget(L, idx);
        size_t vn;
        const char *v = scalar(L, -1, &vn);
        int bad = 0, nomem = 0;
        if (v) {
            nomem = put_pair(b, start, &keys[i], v, vn);
        } else if (lua_istable(L, -1)) {
            size_t len = lua_objlen(L, -1);
            bad = entries(L, -1) != len; /* an array only: { b = 1 } has no place here */
            for (size_t j = 1; j <= len && !bad && !nomem; j++) {
                lua_rawgeti(L, -1, (int)j);
                if ((v = scalar(L, -1, &vn)))
                    nomem = put_pair(b, start, &keys[i], v, vn);
                else
                    bad = 1;
                lua_pop(L, 1);
            }
        } else {
            bad = 1;
        }
        lua_pop(L, 1);
        if (bad || nomem) {
            if (bad)
                snprintf(msg, msglen,
                         "%s.%.40s must be a string, a number, a boolean or an array of them", what,
                         keys[i].s);
            else
                snprintf(msg, msglen, "out of memory encoding %s", what);
            free(keys);
            b->len = start;
            return -1;
        }
    }
    free(keys);
    return 0;
}

/* ---------------------------------------------------------- multipart */

/* Appends a name for a Content-Disposition parameter, quoted, with '"',
 * CR and LF percent-encoded as browsers do. */
static int put_quoted(throng__buf_t *b, const char *s, size_t n)
{
    if (throng__buf_append(b, "\"", 1) != 0) return -1;
    for (size_t i = 0; i < n; i++) {
        const char *esc = s[i] == '"' ? "%22" : s[i] == '\r' ? "%0D" : s[i] == '\n' ? "%0A" : NULL;
        if (esc ? throng__buf_append(b, esc, 3) : throng__buf_append(b, s + i, 1)) return -1;
    }
    return throng__buf_append(b, "\"", 1);
}

/* A file's whole contents appended, or -1 with msg. */
static int put_file(throng__buf_t *b, const char *path, const char *field, char *msg, size_t msglen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(msg, msglen, "multipart.%.40s: cannot read '%.80s': %s", field, path,
                 strerror(errno));
        return -1;
    }
    char chunk[16384];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = throng__buf_append(b, chunk, n);
    if (rc == 0 && ferror(f)) {
        snprintf(msg, msglen, "multipart.%.40s: reading '%.80s' failed", field, path);
        rc = -1;
    } else if (rc != 0) {
        snprintf(msg, msglen, "out of memory reading '%.80s'", path);
    }
    fclose(f);
    return rc;
}

/* A string field of a file table, or NULL; -1 when it is not a string. */
static int file_field(lua_State *L, int idx, const char *name, const char **s, size_t *n)
{
    lua_getfield(L, idx, name);
    *s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, n) : NULL;
    int ok = *s || lua_isnil(L, -1);
    lua_pop(L, 1); /* still referenced by the file table */
    return ok ? 0 : -1;
}

/* One part's head: the boundary line and Content-Disposition. */
static int part_head(throng__buf_t *b, const char *boundary, const pair_key_t *k)
{
    return throng__buf_append(b, "--", 2) != 0 || throng__buf_puts(b, boundary) != 0 ||
           throng__buf_puts(b, "\r\nContent-Disposition: form-data; name=") != 0 ||
           put_quoted(b, k->s, k->n) != 0;
}

/* A file part: the file table at idx. */
static int file_part(lua_State *L, int idx, throng__buf_t *b, const char *boundary,
                     const pair_key_t *k, char *msg, size_t msglen)
{
    static const char *const fields[] = {"path", "data", "filename", "content_type", NULL};
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        const char *key = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
        int i = 0;
        while (fields[i] && strcmp(fields[i], key) != 0)
            i++;
        if (!fields[i]) {
            snprintf(msg, msglen,
                     "multipart.%.40s has an unknown field '%.40s' (a file is { path = ... } or "
                     "{ data = ... }, with filename and content_type)",
                     k->s, key);
            lua_pop(L, 1);
            return -1;
        }
    }
    const char *path, *data, *filename, *type;
    size_t pn, dn, fn, tn;
    if (file_field(L, idx, "path", &path, &pn) || file_field(L, idx, "data", &data, &dn) ||
        file_field(L, idx, "filename", &filename, &fn) ||
        file_field(L, idx, "content_type", &type, &tn) || !path == !data) {
        snprintf(msg, msglen,
                 "multipart.%.40s: a file has a path or data (one of them) and optionally "
                 "filename and content_type, all strings",
                 k->s);
        return -1;
    }
    if (type && (memchr(type, '\r', tn) || memchr(type, '\n', tn))) {
        snprintf(msg, msglen, "multipart.%.40s.content_type holds a line break", k->s);
        return -1;
    }
    if (!filename) {
        const char *slash = path ? strrchr(path, '/') : NULL;
        filename = path ? (slash ? slash + 1 : path) : k->s;
        fn = strlen(filename);
    }
    if (part_head(b, boundary, k) != 0 || throng__buf_puts(b, "; filename=") != 0 ||
        put_quoted(b, filename, fn) != 0 || throng__buf_puts(b, "\r\nContent-Type: ") != 0 ||
        throng__buf_puts(b, type ? type : "application/octet-stream") != 0 ||
        throng__buf_append(b, "\r\n\r\n", 4) != 0)
        goto nomem;
    if (path ? put_file(b, path, k->s, msg, msglen) != 0 : throng__buf_append(b, data, dn) != 0) {
        if (path) return -1;
        goto nomem;
    }
    if (throng__buf_append(b, "\r\n", 2) != 0) goto nomem;
    return 0;
nomem:
    snprintf(msg, msglen, "out of memory writing a multipart body");
    return -1;
}

static int value_part(throng__buf_t *b, const char *boundary, const pair_key_t *k, const char *v,
                      size_t vn)
{
    return part_head(b, boundary, k) != 0 || throng__buf_append(b, "\r\n\r\n", 4) != 0 ||
           throng__buf_append(b, v, vn) != 0 || throng__buf_append(b, "\r\n", 2) != 0;
}

/* The parts of the table at idx, in key order, without the closing line. */
static int parts(lua_State *L, int idx, throng__buf_t *b, const char *boundary, char *msg,
                 size_t msglen)
{
    size_t count;
    pair_key_t *keys = sorted_keys(L, idx, "request.multipart", &count, msg, msglen);
    if (!keys) return -1;
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        lua_pushlstring(L, keys[i].s, keys[i].n);
        lua_rawget(L, idx);
        int top = lua_gettop(L);
        size_t vn;
        const char *v = scalar(L, top, &vn);
        if (v) {
            if (value_part(b, boundary, &keys[i], v, vn) != 0) rc = -2;
        } else if (lua_istable(L, top) && lua_objlen(L, top) == 0) {
            rc = file_part(L, top, b, boundary, &keys[i], msg, msglen);
        } else if (lua_istable(L, top)) {
            size_t len = lua_objlen(L, top);
            for (size_t j = 1; j <= len && rc == 0; j++) {
                lua_rawgeti(L, top, (int)j);
                if ((v = scalar(L, -1, &vn)))
                    rc = value_part(b, boundary, &keys[i], v, vn) != 0 ? -2 : 0;
                else if (lua_istable(L, -1))
                    rc = file_part(L, lua_gettop(L), b, boundary, &keys[i], msg, msglen);
                else
                    rc = -3;
                lua_pop(L, 1);
            }
        } else {
            rc = -3;
        }
        if (rc == -3)
            snprintf(msg, msglen,
                     "multipart.%.40s must be a string, a number, a file table or an array of "
                     "them",
                     keys[i].s);
        if (rc == -2) snprintf(msg, msglen, "out of memory writing a multipart body");
        lua_settop(L, top - 1);
    }
    free(keys);
    return rc ? -1 : 0;
}

static void new_boundary(throng__rng_t *rng, char *boundary)
{
    memcpy(boundary, "throng-", 7);
    for (int i = 0; i < 24; i++)
        boundary[7 + i] = hex[throng__rng_range(rng, 0, 15)];
    boundary[31] = '\0';
}

int throng__url_multipart(lua_State *L, int idx, throng__buf_t *b, throng__rng_t *rng,
                          char *boundary, char *msg, size_t msglen)
{
    size_t start = b->len;
    if (idx < 0) idx = lua_gettop(L) + idx + 1;
    for (int tries = 0; tries < 4; tries++) {
        new_boundary(rng, boundary);
        b->len = start;
        if (parts(L, idx, b, boundary, msg, msglen) != 0) {
            b->len = start;
            return -1;
        }
        if (!memmem(b->data ? b->data + start : "", b->len - start, boundary, 31)) break;
    }
    if (throng__buf_append(b, "--", 2) != 0 || throng__buf_puts(b, boundary) != 0 ||
        throng__buf_append(b, "--\r\n", 4) != 0) {
        snprintf(msg, msglen, "out of memory writing a multipart body");
        b->len = start;
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------- module */

static throng__lua_ctx_t *ctx_of(lua_State *L)
{
    return (throng__lua_ctx_t *)lua_touserdata(L, lua_upvalueindex(1));
}

/* throng.url.encode(s): s percent-encoded, for a path segment or a query. */
static int l_encode(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    throng__buf_t b = {0};
    if (throng__url_encode(&b, s, n) != 0) return luaL_error(L, "out of memory");
    lua_pushlstring(L, b.data ? b.data : "", b.len);
    throng__buf_free(&b);
    return 1;
}

/* throng.url.decode(s [, plus]): %XX decoded; '+' a space too when plus. */
static int l_decode(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    push_decoded(L, s, n, lua_toboolean(L, 2));
    return 1;
}

/* Runs a table encoder on argument 1 into a string, raising its message. */
static int l_query(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    throng__buf_t b = {0};
    char msg[200];
    if (throng__url_pairs(L, 1, &b, "query", msg, sizeof msg) != 0) {
        throng__buf_free(&b);
        return luaL_error(L, "%s", msg);
    }
    lua_pushlstring(L, b.data ? b.data : "", b.len);
    throng__buf_free(&b);
    return 1;
}

/* throng.url.multipart(t): body, content type, as a request's multipart
 * field would send them. */
static int l_multipart(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    throng__buf_t b = {0};
    char msg[240], boundary[40];
    if (throng__url_multipart(L, 1, &b, &ctx_of(L)->who->rng, boundary, msg, sizeof msg) != 0) {
        throng__buf_free(&b);
        return luaL_error(L, "%s", msg);
    }
    lua_pushlstring(L, b.data ? b.data : "", b.len);
    throng__buf_free(&b);
    lua_pushfstring(L, "multipart/form-data; boundary=%s", boundary);
    return 2;
}

/* Sets t[key] = value (the pair on the stack's top), making repeated keys
 * an array of their values in order. */
static void add_query_value(lua_State *L, int t)
{
    lua_pushvalue(L, -2);
    lua_rawget(L, t);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_rawset(L, t);
        return;
    }
    if (!lua_istable(L, -1)) {
        lua_newtable(L);
        lua_insert(L, -2);
        lua_rawseti(L, -2, 1);
        lua_pushvalue(L, -3);
        lua_pushvalue(L, -2);
        lua_rawset(L, t);
    }
    lua_insert(L, -2);
    lua_rawseti(L, -2, (int)lua_objlen(L, -2) + 1);
    lua_pop(L, 2);
}

/* Pushes a table of the query string s[0..n): a=1&b=2&b=3 gives
 * { a = "1", b = { "2", "3" } }, '+' read as a space. */
static void push_query(lua_State *L, const char *s, size_t n)
{
    lua_newtable(L);
    int t = lua_gettop(L);
    const char *end = s + n;
    while (s < end) {
        const char *amp = memchr(s, '&', (size_t)(end - s));
        if (!amp) amp = end;
        const char *eq = memchr(s, '=', (size_t)(amp - s));
        if (amp > s) {
            push_decoded(L, s, (size_t)((eq ? eq : amp) - s), 1);
            if (eq)
                push_decoded(L, eq + 1, (size_t)(amp - eq - 1), 1);
            else
                lua_pushliteral(L, "");
            add_query_value(L, t);
        }
        s = amp + 1;
    }
}

/* throng.url.parse(url): { scheme, host, port, path, query, fragment }, or
 * nil and why. "/path?x=1" (no scheme) gives path, query and fragment. */
static int l_parse(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n), *end = s + n;
    lua_newtable(L);
    const char *p = s;
    const char *colon = strstr(s, "://");
    if (colon && (size_t)(colon - s) < n) {
        for (const char *c = s; c < colon; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (c > s && ((*c >= '0' && *c <= '9') || *c == '+' || *c == '-' || *c == '.'))))
                goto bad;
        if (colon == s) goto bad;
        luaL_Buffer lb;
        luaL_buffinit(L, &lb);
        for (const char *c = s; c < colon; c++)
            luaL_addchar(&lb, (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c));
        luaL_pushresult(&lb);
        const char *scheme = lua_tostring(L, -1);
        int dflt = !strcmp(scheme, "https") ? 443 : !strcmp(scheme, "http") ? 80 : 0;
        lua_setfield(L, -2, "scheme");
        p = colon + 3;
        const char *auth_end = p;
        while (auth_end < end && *auth_end != '/' && *auth_end != '?' && *auth_end != '#')
            auth_end++;
        const char *at = p;
        for (const char *c = p; c < auth_end; c++)
            if (*c == '@') at = c + 1; /* user:password@ is dropped */
        const char *host = at, *host_end, *port = NULL;
        if (at < auth_end && *at == '[') {
            host = at + 1;
            host_end = memchr(host, ']', (size_t)(auth_end - host));
            if (!host_end) goto bad;
            if (host_end + 1 < auth_end) {
                if (host_end[1] != ':') goto bad;
                port = host_end + 2;
            }
        } else {
            host_end = at;
            while (host_end < auth_end && *host_end != ':')
                host_end++;
            if (host_end < auth_end) port = host_end + 1;
        }
        if (host_end == host) goto bad;
        lua_pushlstring(L, host, (size_t)(host_end - host));
        lua_setfield(L, -2, "host");
        long pn = dflt;
        if (port && port < auth_end) {
            pn = 0;
            for (const char *c = port; c < auth_end; c++) {
                if (*c < '0' || *c > '9' || pn > 65535) goto bad;
                pn = pn * 10 + (*c - '0');
            }
            if (pn < 1 || pn > 65535) goto bad;
        }
        if (pn) {
            lua_pushinteger(L, pn);
            lua_setfield(L, -2, "port");
        }
        p = auth_end;
    } else if (n == 0 || (*s != '/' && *s != '?' && *s != '#')) {
        goto bad;
    }
    const char *hash = memchr(p, '#', (size_t)(end - p));
    const char *qend = hash ? hash : end;
    const char *q = memchr(p, '?', (size_t)(qend - p));
    const char *path_end = q ? q : qend;
    if (path_end > p)
        lua_pushlstring(L, p, (size_t)(path_end - p));
    else
        lua_pushliteral(L, "/");
    lua_setfield(L, -2, "path");
    if (q)
        push_query(L, q + 1, (size_t)(qend - q - 1));
    else
        lua_newtable(L);
    lua_setfield(L, -2, "query");
    if (hash) {
        lua_pushlstring(L, hash + 1, (size_t)(end - hash - 1));
        lua_setfield(L, -2, "fragment");
    }
    return 1;
bad:
    lua_pushnil(L);
    lua_pushfstring(L, "'%s' is not a URL (scheme://host[:port]/path?query#fragment, or /path)", s);
    return 2;
}

void throng__lua_url_push_module(lua_State *L, int ctx_index)
{
    static const luaL_Reg functions[] = {
        {"encode", l_encode}, {"decode", l_decode},       {"parse", l_parse},
        {"query", l_query},   {"multipart", l_multipart}, {NULL, NULL},
    };
    lua_newtable(L);
    lua_pushvalue(L, ctx_index);
    luaL_setfuncs(L, functions, 1);
}
