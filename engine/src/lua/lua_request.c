/* lua_request.c - checking a request table and writing it as HTTP. Every
 * field is checked, and a wrong one is named in the message. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <lauxlib.h>

#include "util/http.h"
#include "lua/lua_cookies.h"
#include "lua/lua_json.h"
#include "lua/lua_request.h"
#include "lua/lua_throng.h"
#include "lua/lua_url.h"

enum {
    KEY_METHOD,
    KEY_PATH,
    KEY_HEADERS,
    KEY_BODY,
    KEY_JSON,
    KEY_TIMEOUT,
    KEY_NAME,
    KEY_RESPONSE_BODY,
    KEY_QUERY,
    KEY_FORM,
    KEY_MULTIPART,
    KEY_COMPRESSED,
    KEY_COOKIES,
    KEY_FOLLOW
};

/* Pushes field key of the table at idx: from its stack slot when
 * check_fields gathered the fields there, else read from the table (one
 * with a metatable, whose __index may supply fields). The names were
 * interned once per state (lua_throng.c), so no string is hashed. */
static void get_field(lua_State *L, int idx, const throng__request_out_t *req, int key)
{
    if (req->slots) {
        lua_pushvalue(L, req->slots + key);
        return;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, req->ctx->request_keys[key]);
    lua_gettable(L, idx);
}

/* 1 when the table's field key is known to be absent (nil): no need to
 * push it. */
static int absent(const throng__request_out_t *req, int key)
{
    return req->slots && !(req->present & (1u << key));
}

/* A string field of the request table at idx, or dflt when absent. */
static int text_field(lua_State *L, int idx, const throng__request_out_t *req, int key,
                      const char *dflt, const char **s, size_t *len, char *msg, size_t msglen)
{
    const char *field = throng__request_fields[key];
    *s = dflt;
    *len = dflt ? strlen(dflt) : 0;
    if (!idx || absent(req, key)) return 0;
    get_field(L, idx, req, key);
    int t = lua_type(L, -1);
    if (t == LUA_TSTRING)
        *s = lua_tolstring(L, -1, len);
    else if (t != LUA_TNIL) {
        snprintf(msg, msglen, "request.%s must be a string, not a %s", field, lua_typename(L, t));
        lua_pop(L, 1);
        return -1;
    }
    lua_pop(L, 1); /* the string stays referenced by the request table */
    return 0;
}

/* Which headers the persona set itself. */
typedef struct {
    int host, type, accept_encoding, cookie;
} set_headers_t;

/* Writes request.headers; tells which of Host, Content-Type and
 * Accept-Encoding were set. */
static int write_headers(lua_State *L, int idx, const throng__request_out_t *req,
                         set_headers_t *set, char *msg, size_t msglen)
{
    throng__buf_t *out = req->out;
    if (!idx || absent(req, KEY_HEADERS)) return 0;
    get_field(L, idx, req, KEY_HEADERS);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return 0;
    }
    if (!lua_istable(L, -1)) {
        snprintf(msg, msglen, "request.headers must be a table, not a %s", luaL_typename(L, -1));
        lua_pop(L, 1);
        return -1;
    }
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        size_t nlen, vlen;
        if (lua_type(L, -2) != LUA_TSTRING || !lua_isstring(L, -1)) {
            snprintf(msg, msglen, "request.headers must map names to strings");
            lua_pop(L, 3);
            return -1;
        }
        const char *name = lua_tolstring(L, -2, &nlen);
        const char *value = lua_tolstring(L, -1, &vlen);
        if (!throng__http_token_ok(name, nlen) || !throng__http_text_ok(value, vlen)) {
            snprintf(msg, msglen, "request header '%.40s' has a bad name or a line break", name);
            lua_pop(L, 3);
            return -1;
        }
        if (nlen == 4 && strncasecmp(name, "host", 4) == 0) set->host = 1;
        if (nlen == 12 && strncasecmp(name, "content-type", 12) == 0) set->type = 1;
        if (nlen == 15 && strncasecmp(name, "accept-encoding", 15) == 0) set->accept_encoding = 1;
        if (nlen == 6 && strncasecmp(name, "cookie", 6) == 0) set->cookie = 1;
        if (throng__http_header(out, name, nlen, value, vlen) != 0) {
            snprintf(msg, msglen, "out of memory writing a request");
            lua_pop(L, 3);
            return -1;
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return 0;
}

/* The body and its Content-Type (NULL: none of its own). */
typedef struct {
    const char *data;
    size_t len;
    const char *type;
    char multipart_type[80]; /* "multipart/form-data; boundary=..." */
} body_t;

/* Pushes the table field key, or -1 (nothing pushed) when it is present
 * and not a table; 0 with nil pushed when absent. */
static int table_field(lua_State *L, int idx, const throng__request_out_t *req, int key, char *msg,
                       size_t msglen)
{
    get_field(L, idx, req, key);
    if (lua_isnil(L, -1) || lua_istable(L, -1)) return 0;
    snprintf(msg, msglen, "request.%s must be a table, not a %s", throng__request_fields[key],
             luaL_typename(L, -1));
    lua_pop(L, 1);
    return -1;
}

/* The body: request.body as it is, request.json encoded, request.form as
 * application/x-www-form-urlencoded, or request.multipart as
 * multipart/form-data; at most one of them. */
static int body_of(lua_State *L, int idx, throng__request_out_t *req, body_t *body, char *msg,
                   size_t msglen)
{
    static const int keys[] = {KEY_BODY, KEY_JSON, KEY_FORM, KEY_MULTIPART};
    body->type = NULL;
    if (text_field(L, idx, req, KEY_BODY, NULL, &body->data, &body->len, msg, msglen) != 0)
        return -1;
    if (!idx) return 0;
    int which = body->data ? KEY_BODY : -1;
    for (size_t i = 1; i < sizeof keys / sizeof keys[0]; i++) {
        if (absent(req, keys[i])) continue;
        get_field(L, idx, req, keys[i]);
        int given = !lua_isnil(L, -1);
        lua_pop(L, 1);
        if (given && which >= 0) {
            snprintf(msg, msglen,
                     "a request has one body: body, json, form or multipart, not both %s and %s",
                     throng__request_fields[which], throng__request_fields[keys[i]]);
            return -1;
        }
        if (given) which = keys[i];
    }
    if (which < 0 || which == KEY_BODY) return 0;
    int rc;
    req->json->len = 0; /* the scratch buffer, reused for every encoded body */
    if (which == KEY_JSON) {
        get_field(L, idx, req, KEY_JSON);
        rc = throng__json_encode(L, -1, req->json, msg, msglen);
        body->type = "application/json";
    } else if (table_field(L, idx, req, which, msg, msglen) != 0) {
        return -1;
    } else if (which == KEY_FORM) {
        rc = throng__url_pairs(L, -1, req->json, "request.form", msg, msglen);
        body->type = "application/x-www-form-urlencoded";
    } else {
        char boundary[40];
        rc = throng__url_multipart(L, -1, req->json, &req->ctx->who->rng, boundary, msg, msglen);
        snprintf(body->multipart_type, sizeof body->multipart_type,
                 "multipart/form-data; boundary=%s", boundary);
        body->type = body->multipart_type;
    }
    lua_pop(L, 1);
    if (rc != 0) return -1;
    body->data = req->json->data ? req->json->data : "";
    body->len = req->json->len;
    return 0;
}

/* The request line, with request.query's pairs after the path's own. */
static int request_line(lua_State *L, int idx, throng__request_out_t *req, const char *method,
                        size_t mlen, const char *path, size_t plen, char *msg, size_t msglen)
{
    if (!idx || absent(req, KEY_QUERY))
        return throng__http_begin(req->out, method, mlen, path, plen) ? -2 : 0;
    if (table_field(L, idx, req, KEY_QUERY, msg, msglen) != 0) return -1;
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return throng__http_begin(req->out, method, mlen, path, plen) ? -2 : 0;
    }
    throng__buf_t *b = req->out;
    size_t start = b->len;
    const char *q = memchr(path, '?', plen);
    int rc = 0;
    if (throng__buf_append(b, method, mlen) || throng__buf_append(b, " ", 1) ||
        throng__buf_append(b, path, plen))
        rc = -2;
    size_t sep = b->len;
    if (!rc && !(q && (path[plen - 1] == '?' || path[plen - 1] == '&')) &&
        throng__buf_append(b, q ? "&" : "?", 1))
        rc = -2;
    size_t pairs = b->len;
    if (!rc && throng__url_pairs(L, -1, b, "request.query", msg, msglen) != 0) rc = -1;
    lua_pop(L, 1);
    if (!rc && b->len == pairs) b->len = sep; /* an empty table adds nothing */
    if (!rc && throng__buf_append(b, " HTTP/1.1\r\n", 11)) rc = -2;
    if (rc) b->len = start;
    return rc;
}

/* request.compressed: ask for a gzip or deflate body (decoded on arrival
 * whether asked for or not: util/http.c); when the request does not say,
 * the persona's compressed = true does (req->compressed). */
static int compressed_of(lua_State *L, int idx, const throng__request_out_t *req, int *on,
                         char *msg, size_t msglen)
{
    *on = req->compressed;
    if (!idx || absent(req, KEY_COMPRESSED)) return 0;
    get_field(L, idx, req, KEY_COMPRESSED);
    int t = lua_type(L, -1);
    if (t != LUA_TNIL) *on = lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (t == LUA_TNIL || t == LUA_TBOOLEAN) return 0;
    snprintf(msg, msglen, "request.compressed must be true or false");
    return -1;
}

/* request.cookies: false sends no cookie and keeps none the response sets. */
static int cookies_of(lua_State *L, int idx, throng__request_out_t *req, char *msg, size_t msglen)
{
    req->cookies = req->jar != NULL;
    if (!idx || absent(req, KEY_COOKIES)) return 0;
    get_field(L, idx, req, KEY_COOKIES);
    int t = lua_type(L, -1);
    if (t == LUA_TBOOLEAN && !lua_toboolean(L, -1)) req->cookies = 0;
    lua_pop(L, 1);
    if (t == LUA_TNIL || t == LUA_TBOOLEAN) return 0;
    snprintf(msg, msglen, "request.cookies must be true or false");
    return -1;
}

/* request.follow: how many redirects to follow (-1: not said). */
static int follow_of(lua_State *L, int idx, throng__request_out_t *req, char *msg, size_t msglen)
{
    req->follow = -1;
    if (!idx || absent(req, KEY_FOLLOW)) return 0;
    get_field(L, idx, req, KEY_FOLLOW);
    int t = lua_type(L, -1);
    double n = lua_tonumber(L, -1);
    lua_pop(L, 1);
    if (t == LUA_TNIL) return 0;
    if (t == LUA_TNUMBER && n >= 0 && n <= 100 && n == (int)n) {
        req->follow = (int)n;
        return 0;
    }
    snprintf(msg, msglen, "request.follow must be a whole number of redirects from 0 to 100");
    return -1;
}

/* The Cookie header from the jar, and the request's default cookie path
 * (RFC 6265 5.1.4: up to the last '/', "/" when none) for its response. */
static int write_cookies(const char *path, size_t plen, throng__request_out_t *req,
                         const set_headers_t *set)
{
    if (!req->cookies) return 0;
    const char *q = memchr(path, '?', plen);
    size_t n = q ? (size_t)(q - path) : plen;
    while (n > 1 && path[n - 1] != '/')
        n--;
    if (n > 1) n--; /* the last '/' itself is not part of it */
    if (n > 30) n = 30;
    memcpy(req->cookie_dir, path, n);
    req->cookie_dir[n] = 0;
    if (set->cookie) return 0;
    return throng__jar_header(*req->jar, req->cookie_host, path, plen, req->secure,
                              (int64_t)time(NULL), req->out);
}

/* request.response_body: what the persona needs of the response's body.
 * "keep" (or true, or absent): the body, whole; "shape": only a table's
 * shape, for throng.table_shape(res), scanned as the body streams in and
 * never kept; "discard" (or false): nothing, the body is only counted. */
static int body_use_of(lua_State *L, int idx, throng__request_out_t *req, char *msg, size_t msglen)
{
    req->body_use = THRONG__BODY_KEEP;
    if (!idx || absent(req, KEY_RESPONSE_BODY)) return 0;
    get_field(L, idx, req, KEY_RESPONSE_BODY);
    int t = lua_type(L, -1), ok = 1;
    if (t == LUA_TBOOLEAN) {
        if (!lua_toboolean(L, -1)) req->body_use = THRONG__BODY_DISCARD;
    } else if (t == LUA_TSTRING) {
        const char *s = lua_tostring(L, -1);
        if (strcmp(s, "shape") == 0)
            req->body_use = THRONG__BODY_SHAPE;
        else if (strcmp(s, "discard") == 0)
            req->body_use = THRONG__BODY_DISCARD;
        else
            ok = strcmp(s, "keep") == 0;
    } else {
        ok = t == LUA_TNIL;
    }
    lua_pop(L, 1);
    if (ok) return 0;
    snprintf(msg, msglen,
             "request.response_body must be \"keep\", \"shape\", \"discard\", true "
             "or false");
    return -1;
}

/* request.timeout and request.name. */
static int options_of(lua_State *L, int idx, const char *path, size_t plen,
                      throng__request_out_t *req, char *msg, size_t msglen)
{
    req->timeout = 0;
    const char *q = memchr(path, '?', plen);
    req->name = path;
    req->name_len = q ? (size_t)(q - path) : plen;
    if (!idx) return 0;
    if (!absent(req, KEY_TIMEOUT)) {
        get_field(L, idx, req, KEY_TIMEOUT);
        int t = lua_type(L, -1);
        if (t == LUA_TNUMBER && lua_tonumber(L, -1) > 0)
            req->timeout = lua_tonumber(L, -1);
        else if (t != LUA_TNIL) {
            snprintf(msg, msglen, "request.timeout must be a number of seconds above 0");
            lua_pop(L, 1);
            return -1;
        }
        lua_pop(L, 1);
    }
    const char *name;
    size_t len;
    if (text_field(L, idx, req, KEY_NAME, NULL, &name, &len, msg, msglen) != 0) return -1;
    if (name) { /* else the path without its query, set above */
        req->name = name;
        req->name_len = len;
    }
    return 0;
}

/* Letters to change, add or drop to turn a into b (at most 3 counted). */
static int distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 32 || lb > 32) return 3;
    int d[33][33];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1; /* two letters swapped */
            d[i][j] = best;
        }
    return d[la][lb] < 3 ? d[la][lb] : 3;
}

/* The message for a field the request table should not have. */
static void unknown_field(const char *key, int given_by_call, char *msg, size_t msglen)
{
    if (given_by_call) {
        snprintf(msg, msglen,
                 "request field '%s' is given by the call itself (client:get(path, "
                 "opts) and the like take no %s in opts)",
                 key, key);
        return;
    }
    const char *best = NULL;
    int best_d = 3;
    for (size_t i = 0; i < THRONG__REQUEST_FIELDS; i++) {
        int d = distance(key, throng__request_fields[i]);
        if (d < best_d) best = throng__request_fields[i], best_d = d;
    }
    if (!best && !strcmp(key, "value")) best = "json"; /* the layer-cake envelope's own field */
    if (best)
        snprintf(msg, msglen, "request has an unknown field '%.40s' (did you mean '%s'?)", key,
                 best);
    else
        snprintf(msg, msglen,
                 "request has an unknown field '%.40s' (fields: method, path, query, headers, "
                 "body, json, form, multipart, compressed, cookies, follow, timeout, name, "
                 "response_body)",
                 key);
}

/* Every field of the request table at idx is one it may have: a misspelt
 * one (mehtod, hedaers) would otherwise be ignored without a word. The
 * names are compared by address with the interned ones: no hashing. When
 * req->slots is set, each field's value goes to its slot on the way. */
static int check_fields(lua_State *L, int idx, throng__request_out_t *req, int by_call, char *msg,
                        size_t msglen)
{
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) != LUA_TSTRING) {
            snprintf(msg, msglen,
                     "request fields are named: a %s key is not one (a request is "
                     "{ method = ..., path = ..., ... })",
                     luaL_typename(L, -2));
            lua_pop(L, 2);
            return -1;
        }
        const char *key = lua_tostring(L, -2);
        int i = 0;
        while (i < THRONG__REQUEST_FIELDS && key != req->ctx->request_key_text[i])
            i++;
        if (i == THRONG__REQUEST_FIELDS || (by_call && (i == KEY_METHOD || i == KEY_PATH))) {
            unknown_field(key, i < THRONG__REQUEST_FIELDS, msg, msglen);
            lua_pop(L, 2);
            return -1;
        }
        if (req->slots) {
            lua_replace(L, req->slots + i);
            req->present |= 1u << i;
        } else {
            lua_pop(L, 1);
        }
    }
    return 0;
}

static int encode(lua_State *L, int idx, const char *method, const char *path,
                  throng__request_out_t *req, char *msg, size_t msglen);

int throng__lua_encode_request(lua_State *L, int idx, const char *method, const char *path,
                               throng__request_out_t *req, char *msg, size_t msglen)
{
    int top = lua_gettop(L);
    if (idx < 0) idx = top + idx + 1;
    req->slots = 0;
    req->present = 0;
    /* A plain table's fields are gathered into stack slots as they are
     * checked, one pass, instead of a lookup per field name. */
    if (idx && lua_checkstack(L, THRONG__REQUEST_FIELDS + 8)) {
        if (lua_getmetatable(L, idx))
            lua_pop(L, 1);
        else {
            req->slots = top + 1;
            lua_settop(L, top + THRONG__REQUEST_FIELDS);
        }
    }
    int rc = encode(L, idx, method, path, req, msg, msglen);
    lua_settop(L, top); /* the strings used stay referenced by the table */
    req->slots = 0;
    return rc;
}

static int encode(lua_State *L, int idx, const char *method, const char *path,
                  throng__request_out_t *req, char *msg, size_t msglen)
{
    size_t mlen, plen;
    body_t body;
    set_headers_t set = {0};
    int compressed;
    if (idx && check_fields(L, idx, req, method && path, msg, msglen) != 0) return -1;
    if (method)
        mlen = strlen(method);
    else if (text_field(L, idx, req, KEY_METHOD, "GET", &method, &mlen, msg, msglen) != 0)
        return -1;
    if (path)
        plen = strlen(path);
    else if (text_field(L, idx, req, KEY_PATH, "/", &path, &plen, msg, msglen) != 0)
        return -1;
    if (!throng__http_token_ok(method, mlen)) {
        snprintf(msg, msglen, "request.method '%.40s' is not an HTTP method", method);
        return -1;
    }
    if (plen == 0 || path[0] != '/' || !throng__http_text_ok(path, plen) ||
        memchr(path, ' ', plen)) {
        snprintf(msg, msglen, "request.path '%.60s' must start with / and hold no spaces", path);
        return -1;
    }
    if (options_of(L, idx, path, plen, req, msg, msglen) != 0 ||
        body_use_of(L, idx, req, msg, msglen) != 0 ||
        compressed_of(L, idx, req, &compressed, msg, msglen) != 0 ||
        cookies_of(L, idx, req, msg, msglen) != 0 || follow_of(L, idx, req, msg, msglen) != 0 ||
        body_of(L, idx, req, &body, msg, msglen) != 0)
        return -1;
    req->head = (mlen == 4 && memcmp(method, "HEAD", 4) == 0);

    int rc = request_line(L, idx, req, method, mlen, path, plen, msg, msglen);
    if (rc == -2) goto nomem;
    if (rc != 0) return -1;
    if (write_headers(L, idx, req, &set, msg, msglen) != 0) return -1;
    if (body.type == body.multipart_type && set.type) {
        snprintf(msg, msglen,
                 "request.headers sets Content-Type, which a multipart body sets itself (its "
                 "boundary is in it)");
        return -1;
    }
    if (!set.host &&
        throng__http_header(req->out, "Host", 4, req->authority, strlen(req->authority)) != 0)
        goto nomem;
    if (body.type && !set.type &&
        throng__http_header(req->out, "Content-Type", 12, body.type, strlen(body.type)) != 0)
        goto nomem;
    if (compressed && !set.accept_encoding &&
        throng__http_header(req->out, "Accept-Encoding", 15, "gzip, deflate", 13) != 0)
        goto nomem;
    if (write_cookies(path, plen, req, &set) != 0) goto nomem;
    if (throng__http_finish(req->out, method, mlen, body.data, body.len) != 0) goto nomem;
    return 0;
nomem:
    snprintf(msg, msglen, "out of memory writing a request");
    return -1;
}
