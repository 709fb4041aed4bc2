/* lua_cookies.c - the cookie jar: Set-Cookie parsed (RFC 6265 5.2), kept
 * (5.3) and sent (5.4), and client.cookies for the persona. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <lauxlib.h>

#include "lua/lua_cookies.h"

#define COOKIES_MT "throng.cookies"

/* ------------------------------------------------------------ parsing */

static const char *trim(const char *s, const char *end, const char **out_end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    *out_end = end;
    return s;
}

static int is_delimiter(unsigned char c)
{
    return c == 0x09 || (c >= 0x20 && c <= 0x2f) || (c >= 0x3b && c <= 0x40) ||
           (c >= 0x5b && c <= 0x60) || (c >= 0x7b && c <= 0x7e);
}

/* Leading digits of [s, end): their value and how many (at most max). */
static int digits(const char *s, const char *end, int max, int *value)
{
    int n = 0;
    *value = 0;
    while (s + n < end && n < max && isdigit((unsigned char)s[n]))
        *value = *value * 10 + (s[n++] - '0');
    return n;
}

int64_t throng__cookie_date(const char *s, size_t len)
{
    static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
    const char *end = s + len;
    int have_time = 0, have_day = 0, have_month = 0, have_year = 0;
    int hh = 0, mm = 0, ss = 0, day = 0, month = 0, year = 0;
    while (s < end) {
        while (s < end && is_delimiter((unsigned char)*s))
            s++;
        const char *t = s;
        while (s < end && !is_delimiter((unsigned char)*s))
            s++;
        if (t == s) break;
        int v, n;
        if (!have_time && (n = digits(t, s, 2, &v)) > 0 && t + n < s && t[n] == ':') {
            const char *p = t + n + 1;
            int m, sec, k = digits(p, s, 2, &m);
            if (k > 0 && p + k < s && p[k] == ':' && digits(p + k + 1, s, 2, &sec) > 0) {
                hh = v, mm = m, ss = sec, have_time = 1;
                continue;
            }
        }
        if (!have_day && (n = digits(t, s, 2, &v)) > 0 &&
            (t + n == s || !isdigit((unsigned char)t[n]))) {
            day = v, have_day = 1;
            continue;
        }
        if (!have_month && s - t >= 3) {
            for (int i = 0; i < 12; i++)
                if (strncasecmp(t, months + 3 * i, 3) == 0) month = i + 1, have_month = 1;
            if (have_month) continue;
        }
        if (!have_year && (n = digits(t, s, 4, &v)) >= 2) {
            year = v, have_year = 1;
            continue;
        }
    }
    if (!have_time || !have_day || !have_month || !have_year) return -1;
    if (year >= 70 && year <= 99) year += 1900;
    if (year >= 0 && year <= 69) year += 2000;
    if (day < 1 || day > 31 || year < 1601 || hh > 23 || mm > 59 || ss > 59) return -1;
    struct tm tm = {.tm_year = year - 1900,
                    .tm_mon = month - 1,
                    .tm_mday = day,
                    .tm_hour = hh,
                    .tm_min = mm,
                    .tm_sec = ss};
    return (int64_t)timegm(&tm);
}

/* 1 when host domain-matches domain (both lower case): the same, or host
 * ends with "." domain and is a name, not an IP address. */
static int domain_match(const char *host, const char *domain)
{
    size_t h = strlen(host), d = strlen(domain);
    if (strcasecmp(host, domain) == 0) return 1;
    if (h <= d || host[h - d - 1] != '.' || strcasecmp(host + h - d, domain) != 0) return 0;
    return strspn(host, "0123456789.") != h && !strchr(host, ':');
}

/* 1 when request path rp (rlen bytes, no query) path-matches cookie path cp. */
static int path_match(const char *rp, size_t rlen, const char *cp)
{
    size_t c = strlen(cp);
    if (rlen < c || memcmp(rp, cp, c) != 0) return 0;
    return rlen == c || cp[c - 1] == '/' || rp[c] == '/';
}

/* The request target's path without its query. */
static size_t path_only(const char *path, size_t len)
{
    const char *q = memchr(path, '?', len);
    return q ? (size_t)(q - path) : len;
}

static void free_cookie(throng__cookie_t *c)
{
    free(c->name);
    c->name = NULL;
}

static void remove_at(throng__jar_t *jar, unsigned i)
{
    free_cookie(&jar->c[i]);
    memmove(&jar->c[i], &jar->c[i + 1], (jar->n - i - 1) * sizeof jar->c[0]);
    jar->n--;
}

/* Puts c into the jar in its place (longer paths first, else by age). */
static void insert(throng__jar_t *jar, const throng__cookie_t *c)
{
    if (jar->n == THRONG__JAR_MAX) remove_at(jar, jar->n - 1);
    size_t plen = strlen(c->path);
    unsigned i = 0;
    while (i < jar->n && strlen(jar->c[i].path) >= plen)
        i++;
    memmove(&jar->c[i + 1], &jar->c[i], (jar->n - i) * sizeof jar->c[0]);
    jar->c[i] = *c;
    jar->n++;
}

/* One attribute of a Set-Cookie line. */
static void attribute(throng__cookie_t *c, const char *k, size_t klen, const char *v, size_t vlen,
                      int64_t now, int *max_age_seen, const char **domain, size_t *dlen,
                      const char **path, size_t *plen)
{
    if (klen == 7 && strncasecmp(k, "expires", 7) == 0) {
        int64_t t = throng__cookie_date(v, vlen);
        if (t >= 0 && !*max_age_seen) c->expires = t;
    } else if (klen == 7 && strncasecmp(k, "max-age", 7) == 0) {
        if (vlen == 0 || !(isdigit((unsigned char)v[0]) || v[0] == '-')) return;
        char num[24];
        size_t n = vlen < sizeof num - 1 ? vlen : sizeof num - 1;
        memcpy(num, v, n);
        num[n] = 0;
        char *e;
        long long secs = strtoll(num, &e, 10);
        if (*e) return;
        *max_age_seen = 1;
        c->expires = secs <= 0 ? 0 : now + secs;
    } else if (klen == 6 && strncasecmp(k, "domain", 6) == 0) {
        if (vlen && v[0] == '.') v++, vlen--;
        if (vlen) *domain = v, *dlen = vlen;
    } else if (klen == 4 && strncasecmp(k, "path", 4) == 0) {
        if (vlen && v[0] == '/') *path = v, *plen = vlen;
    } else if (klen == 6 && strncasecmp(k, "secure", 6) == 0) {
        c->secure = 1;
    } else if (klen == 8 && strncasecmp(k, "httponly", 8) == 0) {
        c->http_only = 1;
    } else if (klen == 8 && strncasecmp(k, "samesite", 8) == 0) {
        if (vlen == 6 && strncasecmp(v, "strict", 6) == 0) strcpy(c->same_site, "Strict");
        if (vlen == 3 && strncasecmp(v, "lax", 3) == 0) strcpy(c->same_site, "Lax");
        if (vlen == 4 && strncasecmp(v, "none", 4) == 0) strcpy(c->same_site, "None");
    }
}

/* Makes c's one allocation from its four texts. */
static int fill(throng__cookie_t *c, const char *n, size_t nl, const char *v, size_t vl,
                const char *d, size_t dl, const char *p, size_t pl)
{
    char *m = malloc(nl + vl + dl + pl + 4);
    if (!m) return -1;
    c->name = memcpy(m, n, nl);
    m[nl] = 0;
    c->value = memcpy(m + nl + 1, v, vl);
    c->value[vl] = 0;
    c->domain = memcpy(c->value + vl + 1, d, dl);
    c->domain[dl] = 0;
    for (size_t i = 0; i < dl; i++)
        c->domain[i] = (char)tolower((unsigned char)c->domain[i]);
    c->path = memcpy(c->domain + dl + 1, p, pl);
    c->path[pl] = 0;
    return 0;
}

/* Stores c (its texts made), replacing the cookie of the same name,
 * domain and path; an expired one only removes. */
static int store(throng__jar_t **jar, throng__cookie_t *c, int64_t now)
{
    if (!*jar && !(*jar = calloc(1, sizeof **jar))) return -1;
    throng__jar_t *j = *jar;
    for (unsigned i = 0; i < j->n; i++)
        if (!strcmp(j->c[i].name, c->name) && !strcmp(j->c[i].domain, c->domain) &&
            !strcmp(j->c[i].path, c->path)) {
            remove_at(j, i);
            break;
        }
    if (c->expires <= now) {
        free_cookie(c);
        return 1;
    }
    insert(j, c);
    return 1;
}

int throng__jar_set(throng__jar_t **jar, const char *line, size_t len, const char *host,
                    const char *rpath, size_t rlen, int64_t now)
{
    if (len > THRONG__COOKIE_MAX) return 0;
    const char *end = line + len, *semi = memchr(line, ';', len);
    const char *pair_end = semi ? semi : end;
    const char *eq = memchr(line, '=', (size_t)(pair_end - line));
    if (!eq) return 0;
    const char *ne, *ve;
    const char *name = trim(line, eq, &ne), *value = trim(eq + 1, pair_end, &ve);
    if (name == ne) return 0;
    /* A quoted value keeps its quotes (RFC 6265 4.1.1, 5.2) and goes back as
     * it came, as browsers send it: frameworks quote a value with a space or
     * a comma (Werkzeug's "a\054b") and unquote only what arrives quoted. */
    throng__cookie_t c = {.expires = THRONG__COOKIE_SESSION};
    int max_age_seen = 0;
    const char *domain = NULL, *path = NULL;
    size_t dlen = 0, plen = 0;
    for (const char *a = pair_end; a < end;) {
        a++; /* the ';' */
        const char *ae = memchr(a, ';', (size_t)(end - a));
        if (!ae) ae = end;
        const char *aeq = memchr(a, '=', (size_t)(ae - a));
        const char *ke, *vend, *k = trim(a, aeq ? aeq : ae, &ke);
        const char *v = aeq ? trim(aeq + 1, ae, &vend) : ae;
        if (!aeq) vend = ae;
        attribute(&c, k, (size_t)(ke - k), v, (size_t)(vend - v), now, &max_age_seen, &domain,
                  &dlen, &path, &plen);
        a = ae;
    }
    char dom[256];
    if (domain) {
        if (dlen >= sizeof dom) return 0;
        memcpy(dom, domain, dlen);
        dom[dlen] = 0;
        for (size_t i = 0; i < dlen; i++)
            dom[i] = (char)tolower((unsigned char)dom[i]);
        if (!domain_match(host, dom)) return 0;
    } else {
        c.host_only = 1;
        domain = host;
        dlen = strlen(host);
    }
    if (!path) { /* the default path: the request path up to its last '/' */
        rlen = path_only(rpath, rlen);
        const char *slash = rlen && rpath[0] == '/' ? rpath + rlen : NULL;
        while (slash && slash > rpath && *--slash != '/') {
        }
        path = "/", plen = 1;
        if (slash && slash > rpath) path = rpath, plen = (size_t)(slash - rpath);
    }
    if (fill(&c, name, (size_t)(ne - name), value, (size_t)(ve - value), domain, dlen, path,
             plen) != 0)
        return -1;
    if (store(jar, &c, now) < 0) {
        free_cookie(&c);
        return -1;
    }
    return 1;
}

int throng__jar_take(throng__jar_t **jar, const char *headers, size_t len, const char *host,
                     const char *dir)
{
    const char *p = headers, *end = headers + len;
    int kept = 0;
    int64_t now = -1; /* read at the first Set-Cookie: most responses have none */
    while (p < end) {
        const char *name = p, *value = memchr(p, 0, (size_t)(end - p));
        if (!value++) break;
        const char *next = memchr(value, 0, (size_t)(end - value));
        if (!next) break;
        if (value - name == sizeof "set-cookie" && strcasecmp(name, "set-cookie") == 0) {
            if (now < 0) now = (int64_t)time(NULL);
            /* a request path whose default path is dir */
            char rpath[48];
            int n = snprintf(rpath, sizeof rpath, "%s/x", strcmp(dir, "/") ? dir : "");
            int rc =
                throng__jar_set(jar, value, (size_t)(next - value), host, rpath, (size_t)n, now);
            if (rc < 0) return -1;
            kept += rc;
        }
        p = next + 1;
    }
    return kept;
}

/* 1 when cookie c goes with a request to host, path, secure at now. */
static int goes_to(const throng__cookie_t *c, const char *host, const char *path, size_t plen,
                   int secure, int64_t now)
{
    if (c->expires <= now || (c->secure && !secure)) return 0;
    if (c->host_only ? strcasecmp(host, c->domain) != 0 : !domain_match(host, c->domain)) return 0;
    return path_match(path, plen, c->path);
}

int throng__jar_header(const throng__jar_t *jar, const char *host, const char *path,
                       size_t path_len, int secure, int64_t now, throng__buf_t *out)
{
    if (!jar) return 0;
    path_len = path_only(path, path_len);
    size_t start = out->len;
    int n = 0;
    for (unsigned i = 0; i < jar->n; i++) {
        const throng__cookie_t *c = &jar->c[i];
        if (!goes_to(c, host, path, path_len, secure, now)) continue;
        const char *sep = n++ ? "; " : "Cookie: ";
        if (throng__buf_append(out, sep, strlen(sep)) ||
            throng__buf_append(out, c->name, strlen(c->name)) || throng__buf_append(out, "=", 1) ||
            throng__buf_append(out, c->value, strlen(c->value)))
            goto nomem;
    }
    if (n && throng__buf_append(out, "\r\n", 2)) goto nomem;
    return 0;
nomem:
    out->len = start;
    return -1;
}

const throng__cookie_t *throng__jar_find(const throng__jar_t *jar, const char *name)
{
    for (unsigned i = 0; jar && i < jar->n; i++)
        if (!strcmp(jar->c[i].name, name)) return &jar->c[i];
    return NULL;
}

void throng__jar_clear(throng__jar_t *jar, const char *name)
{
    for (unsigned i = jar ? jar->n : 0; i-- > 0;)
        if (!name || !strcmp(jar->c[i].name, name)) remove_at(jar, i);
}

void throng__jar_free(throng__jar_t *jar)
{
    throng__jar_clear(jar, NULL);
    free(jar);
}

/* ------------------------------------------------------ client.cookies */

typedef struct cookies_obj {
    throng__jar_t **slot;
    const char *host;
} cookies_obj_t;

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

/* cookies:get(name): the value, or nil. */
static int k_get(lua_State *L)
{
    cookies_obj_t *o = luaL_checkudata(L, 1, COOKIES_MT);
    const throng__cookie_t *c = throng__jar_find(*o->slot, luaL_checkstring(L, 2));
    if (!c || c->expires <= now_s()) return 0;
    lua_pushstring(L, c->value);
    return 1;
}

/* cookies:list(): every cookie kept, each a table of its attributes. */
static int k_list(lua_State *L)
{
    cookies_obj_t *o = luaL_checkudata(L, 1, COOKIES_MT);
    const throng__jar_t *j = *o->slot;
    lua_newtable(L);
    int64_t now = now_s();
    for (unsigned i = 0, k = 0; j && i < j->n; i++) {
        const throng__cookie_t *c = &j->c[i];
        if (c->expires <= now) continue;
        lua_createtable(L, 0, 8);
        lua_pushstring(L, c->name);
        lua_setfield(L, -2, "name");
        lua_pushstring(L, c->value);
        lua_setfield(L, -2, "value");
        lua_pushstring(L, c->domain);
        lua_setfield(L, -2, "domain");
        lua_pushstring(L, c->path);
        lua_setfield(L, -2, "path");
        if (c->expires != THRONG__COOKIE_SESSION) {
            lua_pushnumber(L, (double)c->expires);
            lua_setfield(L, -2, "expires");
        }
        lua_pushboolean(L, c->secure);
        lua_setfield(L, -2, "secure");
        lua_pushboolean(L, c->http_only);
        lua_setfield(L, -2, "http_only");
        if (c->same_site[0]) {
            lua_pushstring(L, c->same_site);
            lua_setfield(L, -2, "same_site");
        }
        lua_rawseti(L, -2, (int)++k);
    }
    return 1;
}

/* cookies:set(name, value [, {domain=, path=, secure=, max_age=}]): kept
 * as if the server had set it. */
static int k_set(lua_State *L)
{
    cookies_obj_t *o = luaL_checkudata(L, 1, COOKIES_MT);
    luaL_checkstring(L, 2);
    luaL_checkstring(L, 3);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    lua_pushvalue(L, 2);
    luaL_addvalue(&b);
    luaL_addchar(&b, '=');
    lua_pushvalue(L, 3);
    luaL_addvalue(&b);
    if (lua_istable(L, 4)) {
        static const char *const attrs[] = {"domain", "path", "max_age"};
        static const char *const names[] = {"; Domain=", "; Path=", "; Max-Age="};
        for (int i = 0; i < 3; i++) {
            lua_getfield(L, 4, attrs[i]);
            if (!lua_isnil(L, -1)) {
                luaL_addstring(&b, names[i]);
                luaL_addvalue(&b);
            } else {
                lua_pop(L, 1);
            }
        }
        lua_getfield(L, 4, "secure");
        if (lua_toboolean(L, -1)) luaL_addstring(&b, "; Secure");
        lua_pop(L, 1);
    }
    if (lua_isnone(L, 4) || lua_isnil(L, 4)) luaL_addstring(&b, "; Path=/");
    luaL_pushresult(&b);
    size_t len;
    const char *line = lua_tolstring(L, -1, &len);
    int rc = throng__jar_set(o->slot, line, len, o->host, "/", 1, now_s());
    if (rc < 0) return luaL_error(L, "out of memory for a cookie");
    lua_pushboolean(L, rc > 0);
    return 1;
}

/* cookies:clear([name]): removes the cookies named name, or every one. */
static int k_clear(lua_State *L)
{
    cookies_obj_t *o = luaL_checkudata(L, 1, COOKIES_MT);
    throng__jar_clear(*o->slot, luaL_optstring(L, 2, NULL));
    return 0;
}

static int k_tostring(lua_State *L)
{
    cookies_obj_t *o = luaL_checkudata(L, 1, COOKIES_MT);
    lua_pushfstring(L, "cookies (%d)", *o->slot ? (int)(*o->slot)->n : 0);
    return 1;
}

void throng__cookies_open(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"get", k_get}, {"list", k_list}, {"set", k_set}, {"clear", k_clear}, {NULL, NULL}};
    luaL_newmetatable(L, COOKIES_MT);
    lua_newtable(L);
    luaL_register(L, NULL, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, k_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
}

void throng__cookies_push(lua_State *L, throng__jar_t **slot, const char *host)
{
    cookies_obj_t *o = lua_newuserdata(L, sizeof *o);
    o->slot = slot;
    o->host = host;
    luaL_getmetatable(L, COOKIES_MT);
    lua_setmetatable(L, -2);
}
