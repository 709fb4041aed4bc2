/* wrk_script.c - a wrk script's control state (throng_wrk_* in throng.h):
 * the Lua state where setup(thread) and done(summary, latency, requests)
 * run, as in wrk's main thread, with wrk.lookup and wrk.connect; the groups
 * that run the script's threads with the wrk persona
 * (lua/throng/personas/wrk.lua); and wrk's figures, from the public report.
 * The Lua side is lua/throng/wrk_control.lua, embedded.
 *
 * done's thread:get reads the globals each thread's script held at its
 * end: the persona (given wrk_keep=1) hands them, as the text of a Lua
 * table, to throng.wrk_keep when its Lua state closes, a function
 * registered on the engine that keeps them here; no file is written. */
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "lua/lua_embedded.h"
#include "lua/wrk_script.h"

struct throng_wrk {
    lua_State *L;
    char *script, *url, *headers;
    char **args; /* the script's arguments */
    size_t nargs;
    throng_url_t u;
    int mod_ref, threads_ref;
    unsigned nthreads; /* 0 until setup */
    char **addrs, **sets;
    /* The threads' ends, for done: what throng.wrk_keep was given. */
    pthread_mutex_t lock;
    char **ended;
    const throng_engine_t *keeper; /* the engine wrk_keep is registered with */
    char **gargs;                  /* the last throng_wrk_group()'s */
    size_t ngargs;
    char name[32], *server;
    /* the last throng_wrk_figures(): latency buckets (us) for percentiles */
    double *lat_value, *lat_count, *rate_value, *rate_count;
    size_t nlat, nrate;
    throng_wrk_figures_t fig;
    char errmsg[1024];
};

static int fail(throng_wrk_t *w, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(throng_wrk_t *w, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->errmsg, sizeof w->errmsg, fmt, ap);
    va_end(ap);
    return rc;
}

static char *dup_str(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* ------------------------------------------------ wrk.lookup, wrk.connect */

/* wrk.lookup(host, service): the addresses, as "ip:port" strings. */
static int l_lookup(lua_State *L)
{
    const char *host = luaL_checkstring(L, 1), *service = luaL_checkstring(L, 2);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res, *ai;
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0)
        return luaL_error(L, "unable to resolve %s:%s %s", host, service, gai_strerror(rc));
    lua_newtable(L);
    int i = 0;
    for (ai = res; ai; ai = ai->ai_next) {
        char h[NI_MAXHOST], s[NI_MAXSERV];
        if (getnameinfo(ai->ai_addr, ai->ai_addrlen, h, sizeof h, s, sizeof s,
                        NI_NUMERICHOST | NI_NUMERICSERV) != 0)
            continue;
        if (ai->ai_family == AF_INET6)
            lua_pushfstring(L, "[%s]:%s", h, s);
        else
            lua_pushfstring(L, "%s:%s", h, s);
        lua_rawseti(L, -2, ++i);
    }
    freeaddrinfo(res);
    return 1;
}

/* wrk.connect(addr): true when a TCP connection to addr ("ip:port") opens. */
static int l_connect(lua_State *L)
{
    const char *addr = luaL_checkstring(L, 1);
    char host[300];
    const char *colon = strrchr(addr, ':');
    if (!colon || (size_t)(colon - addr) >= sizeof host)
        return luaL_error(L, "bad address %s", addr);
    size_t hl = (size_t)(colon - addr);
    if (addr[0] == '[' && hl >= 2 && addr[hl - 1] == ']')
        snprintf(host, sizeof host, "%.*s", (int)(hl - 2), addr + 1);
    else
        snprintf(host, sizeof host, "%.*s", (int)hl, addr);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST}, *res;
    int ok = 0;
    if (getaddrinfo(host, colon + 1, &hints, &res) == 0) {
        int fd = socket(res->ai_family, SOCK_STREAM, 0);
        if (fd >= 0) {
            ok = connect(fd, res->ai_addr, res->ai_addrlen) == 0;
            close(fd);
        }
        freeaddrinfo(res);
    }
    lua_pushboolean(L, ok);
    return 1;
}

/* ------------------------------------------------------------------ open */

static int has_function(lua_State *L, const char *name)
{
    lua_getglobal(L, name);
    int yes = lua_isfunction(L, -1);
    lua_pop(L, 1);
    return yes;
}

/* Pushes the helper of wrk_control.lua named name. */
static void push_helper(throng_wrk_t *w, const char *name)
{
    lua_rawgeti(w->L, LUA_REGISTRYINDEX, w->mod_ref);
    lua_getfield(w->L, -1, name);
    lua_remove(w->L, -2);
}

/* The URL's host as an address's host: an IPv6 one in brackets. */
static void host_port(const throng_url_t *u, char *out, size_t cap)
{
    if (strchr(u->host, ':'))
        snprintf(out, cap, "[%s]:%d", u->host, u->port);
    else
        snprintf(out, cap, "%s:%d", u->host, u->port);
}

/* The state: wrk_control.lua with the URL's parts, then the script. */
static int make_state(throng_wrk_t *w)
{
    lua_State *L = w->L = luaL_newstate();
    if (!L) return fail(w, THRONG_ENOMEM, "out of memory");
    luaL_openlibs(L);
    throng__lua_install_searcher(L, 0); /* wrk_control requires throng.wrk_common */
    const throng__lua_chunk_t *c = throng__lua_find_chunk("throng.wrk_control");
    if (!c) return fail(w, THRONG_ESCRIPT, "throng.wrk_control is not embedded");
    if (luaL_loadbuffer(L, c->source, c->len, c->chunkname) != 0)
        return fail(w, THRONG_ESCRIPT, "%s", lua_tostring(L, -1));
    lua_pushstring(L, w->u.tls ? "https" : "http");
    lua_pushstring(L, w->u.host);
    /* wrk.port is nil unless the URL has one, a string as wrk gives it. */
    const char *after = strstr(w->url, "://");
    after = after ? after + 3 : w->url;
    const char *end = after + strcspn(after, "/?#"), *colon = end;
    while (colon > after && colon[-1] != ':' && colon[-1] != ']')
        colon--;
    if (colon > after && colon[-1] == ':' && colon < end)
        lua_pushfstring(L, "%d", w->u.port);
    else
        lua_pushnil(L);
    if (w->u.path_len && w->u.path[0] == '?') {
        lua_pushliteral(L, "/");
        lua_pushlstring(L, w->u.path, w->u.path_len);
        lua_concat(L, 2);
    } else if (w->u.path_len) {
        lua_pushlstring(L, w->u.path, w->u.path_len);
    } else {
        lua_pushliteral(L, "/");
    }
    lua_pushstring(L, w->headers);
    lua_pushcfunction(L, l_lookup);
    lua_pushcfunction(L, l_connect);
    if (lua_pcall(L, 7, 1, 0) != 0) return fail(w, THRONG_ESCRIPT, "%s", lua_tostring(L, -1));
    w->mod_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    if (!w->script) return 0;
    if (luaL_loadfile(L, w->script) != 0 || lua_pcall(L, 0, 0, 0) != 0)
        return fail(w, THRONG_ESCRIPT, "%s", lua_tostring(L, -1));
    return 0;
}

/* -H lines: "Name: value" each. */
static int check_headers(throng_wrk_t *w, const char *h)
{
    while (*h) {
        size_t n = strcspn(h, "\n");
        const char *colon = memchr(h, ':', n);
        if (n && (!colon || colon == h || memchr(h, '\r', n)))
            return fail(w, THRONG_EINVAL, "header '%.*s' is not of the form 'Name: value'", (int)n,
                        h);
        h += n + (h[n] == '\n');
    }
    return 0;
}

int throng_wrk_open(const char *script, const char *url, const char *headers,
                    const char *const *args, size_t nargs, throng_wrk_t **out, char *err,
                    size_t errlen)
{
    if (err && errlen) err[0] = '\0';
    if (!out || !url || (nargs && !args)) {
        if (err && errlen) snprintf(err, errlen, "invalid argument");
        return THRONG_EINVAL;
    }
    *out = NULL;
    throng_wrk_t *w = calloc(1, sizeof *w);
    if (!w) {
        if (err && errlen) snprintf(err, errlen, "out of memory");
        return THRONG_ENOMEM;
    }
    w->mod_ref = w->threads_ref = LUA_NOREF;
    pthread_mutex_init(&w->lock, NULL);
    int rc = 0;
    char why[512];
    w->script = dup_str(script);
    w->url = dup_str(url);
    w->headers = dup_str(headers ? headers : "");
    w->args = calloc(nargs ? nargs : 1, sizeof *w->args);
    if (!w->url || !w->headers || (script && !w->script) || !w->args) {
        rc = fail(w, THRONG_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nargs; i++) {
        if (!(w->args[i] = dup_str(args[i] ? args[i] : ""))) {
            rc = fail(w, THRONG_ENOMEM, "out of memory");
            goto out;
        }
        w->nargs = i + 1;
    }
    if (!strstr(url, "://") || throng_parse_url(url, &w->u, why, sizeof why) != 0) {
        rc = fail(w, THRONG_EINVAL, "invalid URL: %s", url);
        goto out;
    }
    if ((rc = check_headers(w, w->headers)) != 0) goto out;
    if (script && access(script, R_OK) != 0) {
        rc = fail(w, THRONG_ESCRIPT, "%s: %s", script, strerror(errno));
        goto out;
    }
    rc = make_state(w);
out:
    if (rc != 0) {
        if (err && errlen) snprintf(err, errlen, "%s", w->errmsg);
        throng_wrk_close(w);
        return rc;
    }
    *out = w;
    return 0;
}

/* ----------------------------------------------------------------- setup */

int throng_wrk_setup(throng_wrk_t *w, unsigned threads)
{
    if (!w) return THRONG_EINVAL;
    if (w->nthreads) return fail(w, THRONG_ESTATE, "setup has run already");
    if (threads < 1 || threads > THRONG_MAX_THREADS)
        return fail(w, THRONG_EINVAL, "threads must be from 1 to %u", THRONG_MAX_THREADS);
    w->addrs = calloc(threads, sizeof *w->addrs);
    w->sets = calloc(threads, sizeof *w->sets);
    w->ended = calloc(threads, sizeof *w->ended);
    if (!w->addrs || !w->sets || !w->ended) return fail(w, THRONG_ENOMEM, "out of memory");
    lua_State *L = w->L;
    int top = lua_gettop(L), rc = 0;
    char mine[320];
    host_port(&w->u, mine, sizeof mine);
    /* As wrk: the URL's host must resolve. */
    lua_getglobal(L, "wrk");
    lua_getfield(L, -1, "lookup");
    lua_pushstring(L, w->u.host);
    lua_pushfstring(L, "%d", w->u.port);
    if (lua_pcall(L, 2, 0, 0) != 0) {
        rc = fail(w, THRONG_ERESOLVE, "%s", lua_tostring(L, -1));
        goto out;
    }
    int has_setup = has_function(L, "setup");
    lua_newtable(L);
    for (unsigned i = 0; i < threads; i++) {
        push_helper(w, "thread");
        lua_pushstring(L, mine);
        lua_call(L, 1, 1);
        lua_pushvalue(L, -1);
        lua_rawseti(L, -3, (int)i + 1);
        if (has_setup) {
            lua_getglobal(L, "setup");
            lua_pushvalue(L, -2);
            if (lua_pcall(L, 1, 0, 0) != 0) {
                rc = fail(w, THRONG_ESCRIPT, "setup: %s", lua_tostring(L, -1));
                goto out;
            }
        }
        lua_getfield(L, -1, "addr");
        const char *addr = lua_tostring(L, -1);
        w->addrs[i] = dup_str(addr ? addr : mine);
        lua_pop(L, 1);
        push_helper(w, "sets");
        lua_insert(L, -2);
        lua_call(L, 1, 1);
        w->sets[i] = dup_str(lua_tostring(L, -1));
        lua_pop(L, 1);
        if (!w->addrs[i] || !w->sets[i]) {
            rc = fail(w, THRONG_ENOMEM, "out of memory");
            goto out;
        }
    }
    w->threads_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    w->nthreads = threads;
out:
    lua_settop(L, top);
    if (rc != 0 && !w->nthreads) {
        for (unsigned i = 0; i < threads; i++) {
            free(w->addrs[i]);
            free(w->sets[i]);
        }
        free(w->addrs);
        free(w->sets);
        free(w->ended);
        w->addrs = w->sets = w->ended = NULL;
    }
    return rc;
}

int throng_wrk_thread(const throng_wrk_t *w, unsigned i, const char **addr, const char **sets)
{
    if (!w) return THRONG_EINVAL;
    if (!w->nthreads) return THRONG_ESTATE;
    if (i >= w->nthreads) return THRONG_EINVAL;
    if (addr) *addr = w->addrs[i];
    if (sets) *sets = w->sets[i];
    return 0;
}

static void free_gargs(throng_wrk_t *w)
{
    for (size_t j = 0; j < w->ngargs; j++)
        free(w->gargs[j]);
    free(w->gargs);
    w->gargs = NULL;
    w->ngargs = 0;
    free(w->server);
    w->server = NULL;
}

/* Appends "key=value" (printf-style) to w->gargs. */
static int add_arg(throng_wrk_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int add_arg(throng_wrk_t *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!s) return -1;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    w->gargs[w->ngargs++] = s;
    return 0;
}

/* throng.wrk_keep(thread, text): a thread's globals at its end, kept for
 * done. Runs on the worker threads as their Lua states close. */
static int l_keep(lua_State *L)
{
    throng_wrk_t *w = lua_touserdata(L, lua_upvalueindex(1));
    lua_Integer n = luaL_checkinteger(L, 1);
    const char *text = luaL_checkstring(L, 2);
    if (n < 1 || (uint64_t)n > w->nthreads) return luaL_error(L, "no wrk thread %d", (int)n);
    char *copy = dup_str(text);
    pthread_mutex_lock(&w->lock);
    free(w->ended[n - 1]);
    w->ended[n - 1] = copy;
    pthread_mutex_unlock(&w->lock);
    return 0;
}

int throng_wrk_add_group(throng_wrk_t *w, throng_engine_t *e, unsigned i,
                         const throng_group_t *settings)
{
    if (!w || !e) return THRONG_EINVAL;
    if (!w->nthreads) return fail(w, THRONG_ESTATE, "throng_wrk_setup() has not run");
    if (i >= w->nthreads) return fail(w, THRONG_EINVAL, "no thread %u", i);
    free_gargs(w);
    w->gargs = calloc(8 + w->nargs, sizeof *w->gargs);
    if (!w->gargs) return fail(w, THRONG_ENOMEM, "out of memory");
    char mine[320];
    host_port(&w->u, mine, sizeof mine);
    int bad = add_arg(w, "url=%s", w->url) || (w->script && add_arg(w, "script=%s", w->script)) ||
              (*w->headers && add_arg(w, "headers=%s", w->headers)) ||
              add_arg(w, "thread=%u", i + 1) || add_arg(w, "wrk_sets=%s", w->sets[i]) ||
              (throng_wrk_has_done(w) && add_arg(w, "wrk_keep=1")) ||
              add_arg(w, "wrk_argc=%zu", w->nargs);
    for (size_t j = 0; !bad && j < w->nargs; j++)
        bad = add_arg(w, "wrk_arg%zu=%s", j + 1, w->args[j]);
    if (!bad && strcmp(w->addrs[i], mine) != 0 && !(w->server = dup_str(w->addrs[i]))) bad = 1;
    if (bad) {
        free_gargs(w);
        return fail(w, THRONG_ENOMEM, "out of memory");
    }
    if (throng_wrk_has_done(w) && w->keeper != e) {
        int rc = throng_register_function(e, "wrk_keep", l_keep, w);
        if (rc != 0) return fail(w, rc, "%s", throng_errmsg(e));
        w->keeper = e;
    }
    throng_group_t g;
    if (settings)
        g = *settings;
    else
        throng_group_init(&g);
    snprintf(w->name, sizeof w->name, "thread-%u", i + 1);
    g.name = w->name;
    g.persona = "wrk";
    g.processes = 1; /* in this process, where wrk_keep's w is */
    g.server = w->server;
    g.args = (const char *const *)w->gargs;
    g.nargs = w->ngargs;
    int rc = throng_add_group(e, &g);
    free_gargs(w);
    if (rc != 0) return fail(w, rc, "%s", throng_errmsg(e));
    return 0;
}

/* --------------------------------------------------------------- figures */

/* wrk's stats of values with their counts, ascending. */
static void stats_of(const double *value, const double *count, size_t n, throng_wrk_stats_t *s)
{
    double sum = 0, sq = 0, in = 0;
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < n; i++) {
        s->count += count[i];
        sum += value[i] * count[i];
    }
    s->mean = s->count > 0 ? sum / s->count : 0;
    for (size_t i = 0; i < n; i++)
        sq += count[i] * (value[i] - s->mean) * (value[i] - s->mean);
    s->stdev = s->count > 1 ? sqrt(sq / (s->count - 1)) : 0;
    for (size_t i = 0; i < n; i++)
        if (value[i] >= s->mean - s->stdev && value[i] <= s->mean + s->stdev) in += count[i];
    s->within = s->count > 0 ? 100.0 * in / s->count : 0;
    s->min = n ? value[0] : 0;
    s->max = n ? value[n - 1] : 0;
}

/* The value at percentile p, as wrk's stats_percentile ranks it. */
static double percentile_of(const double *value, const double *count, size_t n, double total,
                            double max, double p)
{
    double rank = floor(p / 100.0 * total + 0.5), seen = 0;
    if (rank < 1) rank = 1;
    for (size_t i = 0; i < n; i++) {
        seen += count[i];
        if (seen >= rank) return value[i];
    }
    return max;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void free_figures(throng_wrk_t *w)
{
    free(w->lat_value);
    free(w->lat_count);
    free(w->rate_value);
    free(w->rate_count);
    w->lat_value = w->lat_count = w->rate_value = w->rate_count = NULL;
    w->nlat = w->nrate = 0;
}

int throng_wrk_figures(throng_wrk_t *w, const throng_engine_t *e, throng_wrk_figures_t *f)
{
    if (!w || !f) return THRONG_EINVAL;
    const throng_report_t *r = throng_report(e);
    if (!r) return fail(w, THRONG_ESTATE, "the run has not ended");
    if (!w->nthreads) return fail(w, THRONG_ESTATE, "throng_wrk_setup() has not run");
    free_figures(w);
    memset(f, 0, sizeof *f);
    f->elapsed = r->elapsed;
    f->requests = r->requests;
    f->bytes = r->bytes_received;
    f->connect = r->faults[THRONG_FAULT_NOT_CONNECTED] + r->faults[THRONG_FAULT_TLS];
    f->read = r->faults[THRONG_FAULT_ABANDONED] + r->faults[THRONG_FAULT_HTTP_ERROR];
    f->write = r->faults[THRONG_FAULT_CLOSED];
    f->timeout = r->faults[THRONG_FAULT_TIMED_OUT];
    f->status = r->status[0] + r->status[1] + r->status[4] + r->status[5];
    f->script_errors = r->faults[THRONG_FAULT_SCRIPT_ERROR];
    f->script_sample = r->fault_sample[THRONG_FAULT_SCRIPT_ERROR];

    /* Latency: each bucket at its middle, in microseconds; min and max exact. */
    size_t n = 0, idx = 0, cap = 0;
    double lo, hi;
    uint64_t count;
    while (throng_report_latency_bucket(e, &idx, &lo, &hi, &count))
        cap++;
    w->lat_value = calloc(cap ? cap : 1, sizeof *w->lat_value);
    w->lat_count = calloc(cap ? cap : 1, sizeof *w->lat_count);
    size_t ns = throng_report_seconds(e, NULL, NULL, 0);
    double *t = calloc(ns ? ns : 1, sizeof *t);
    uint64_t *req = calloc(ns ? ns : 1, sizeof *req);
    w->rate_value = calloc(ns ? ns : 1, sizeof *w->rate_value);
    w->rate_count = calloc(ns ? ns : 1, sizeof *w->rate_count);
    if (!w->lat_value || !w->lat_count || !t || !req || !w->rate_value || !w->rate_count) {
        free(t);
        free(req);
        free_figures(w);
        return fail(w, THRONG_ENOMEM, "out of memory");
    }
    idx = 0;
    while (n < cap && throng_report_latency_bucket(e, &idx, &lo, &hi, &count)) {
        w->lat_value[n] = (lo + hi) / 2 * 1e6;
        w->lat_count[n++] = (double)count;
    }
    w->nlat = n;
    stats_of(w->lat_value, w->lat_count, n, &f->latency);
    if (n) {
        f->latency.min = r->latency.min * 1e6;
        f->latency.max = r->latency.max * 1e6;
    }

    /* Requests per second of one thread: each whole second of the run's
     * series divided among the threads (throng counts seconds, not wrk's
     * 100 ms). */
    ns = throng_report_seconds(e, t, req, ns);
    for (size_t i = 0; i < ns; i++) {
        if (t[i] > r->elapsed + 1e-9) continue;
        w->rate_value[w->nrate] = (double)req[i] / w->nthreads;
        w->rate_count[w->nrate++] = 1;
    }
    free(t);
    free(req);
    qsort(w->rate_value, w->nrate, sizeof *w->rate_value, cmp_double);
    stats_of(w->rate_value, w->rate_count, w->nrate, &f->rate);
    w->fig = *f;
    return 0;
}

double throng_wrk_percentile(const throng_wrk_t *w, double p)
{
    if (!w || !w->nlat) return 0;
    return percentile_of(w->lat_value, w->lat_count, w->nlat, w->fig.latency.count,
                         w->fig.latency.max, p);
}

/* ------------------------------------------------------------------ done */

int throng_wrk_has_done(const throng_wrk_t *w)
{
    return w && w->L && has_function(w->L, "done");
}

static void set_number(lua_State *L, const char *key, double v)
{
    lua_pushnumber(L, v);
    lua_setfield(L, -2, key);
}

/* Pushes a stats object of values and counts (rounded to whole numbers
 * when whole). */
static void push_stats(throng_wrk_t *w, const double *value, const double *count, size_t n,
                       const throng_wrk_stats_t *s, int whole)
{
    lua_State *L = w->L;
    push_helper(w, "stats");
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushnumber(L, whole ? floor(value[i] + 0.5) : value[i]);
        lua_rawseti(L, -2, (int)i + 1);
    }
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushnumber(L, count[i]);
        lua_rawseti(L, -2, (int)i + 1);
    }
    lua_pushnumber(L, s->min);
    lua_pushnumber(L, s->max);
    lua_pushnumber(L, s->mean);
    lua_pushnumber(L, s->stdev);
    lua_pushnumber(L, s->count);
    lua_call(L, 7, 1);
}

int throng_wrk_done(throng_wrk_t *w, const throng_engine_t *e)
{
    if (!w) return THRONG_EINVAL;
    if (!throng_wrk_has_done(w)) return 0;
    throng_wrk_figures_t f;
    int rc = throng_wrk_figures(w, e, &f);
    if (rc != 0) return rc;
    lua_State *L = w->L;
    int top = lua_gettop(L);
    /* The threads' ends, for thread:get. */
    pthread_mutex_lock(&w->lock);
    for (unsigned i = 0; i < w->nthreads; i++) {
        if (!w->ended[i]) continue;
        push_helper(w, "ended");
        lua_rawgeti(L, LUA_REGISTRYINDEX, w->threads_ref);
        lua_rawgeti(L, -1, (int)i + 1);
        lua_remove(L, -2);
        lua_pushstring(L, w->ended[i]);
        lua_call(L, 2, 0);
    }
    pthread_mutex_unlock(&w->lock);
    lua_getglobal(L, "done");
    lua_newtable(L);
    set_number(L, "duration", floor(f.elapsed * 1e6));
    set_number(L, "requests", (double)f.requests);
    set_number(L, "bytes", (double)f.bytes);
    lua_newtable(L);
    set_number(L, "connect", (double)f.connect);
    set_number(L, "read", (double)f.read);
    set_number(L, "write", (double)f.write);
    set_number(L, "status", (double)f.status);
    set_number(L, "timeout", (double)f.timeout);
    lua_setfield(L, -2, "errors");
    push_stats(w, w->lat_value, w->lat_count, w->nlat, &f.latency, 1); /* whole us, as wrk's */
    push_stats(w, w->rate_value, w->rate_count, w->nrate, &f.rate, 0);
    fflush(stdout);
    rc = 0;
    if (lua_pcall(L, 3, 0, 0) != 0) rc = fail(w, THRONG_ESCRIPT, "done: %s", lua_tostring(L, -1));
    fflush(stdout);
    lua_settop(L, top);
    return rc;
}

/* ----------------------------------------------------------------- close */

const char *throng_wrk_errmsg(const throng_wrk_t *w)
{
    return w ? w->errmsg : "invalid argument";
}

void throng_wrk_close(throng_wrk_t *w)
{
    if (!w) return;
    if (w->L) lua_close(w->L);
    for (unsigned i = 0; i < w->nthreads; i++) {
        free(w->addrs[i]);
        free(w->sets[i]);
        free(w->ended[i]);
    }
    free(w->ended);
    pthread_mutex_destroy(&w->lock);
    free(w->addrs);
    free(w->sets);
    free_gargs(w);
    free_figures(w);
    for (size_t i = 0; i < w->nargs; i++)
        free(w->args[i]);
    free(w->args);
    free(w->script);
    free(w->url);
    free(w->headers);
    free(w);
}
