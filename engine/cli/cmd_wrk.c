/* cmd_wrk.c - `throng wrk`: wrk's command line, wrk's scripts and wrk's
 * report layout on throng's engine. Each wrk thread is a group of the
 * built-in wrk persona (lua/throng/personas/wrk.lua) with one worker
 * thread and its share of the connections; the persona runs the script's
 * request/response/delay/init hooks in the thread's Lua state. setup and
 * done run here, in a Lua state of their own, as wrk runs them in its main
 * thread; done's thread:get reads the globals each thread's script held at
 * its end (the persona writes them to a temporary folder). The figures come
 * from throng's JSON report. */
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "commands.h"
#include "log.h"
#include "options.h"
#include "run_engine.h"
#include "throng.h"

#define CMD "throng wrk"

/* Everything the flags say. */
typedef struct wrk_flags {
    unsigned connections, threads;
    double duration, timeout;
    const char *script, *json_file, *html_file;
    cli_list_t headers;
    int latency, version;
    const char *url;
    char **script_args; /* after the URL, or after "--" */
    int nscript_args;
} wrk_flags_t;

static void usage(FILE *out, const cli_option_t *opts)
{
    fprintf(out, "usage: throng wrk <options> <url> [-- script args]\n"
                 "\n"
                 "wrk's command line on throng's engine: -t threads in one process, -c\n"
                 "connections in all spread over them, each keeping one connection and asking\n"
                 "again as soon as it is answered, for -d. A wrk script (-s) runs unchanged:\n"
                 "the global wrk table (scheme, host, port, method, path, headers, body,\n"
                 "format, lookup, connect) and the hooks setup(thread), init(args), delay(),\n"
                 "request(), response(status, headers, body) and done(summary, latency,\n"
                 "requests), one script instance per thread (docs/from-wrk.md). The report\n"
                 "has wrk's layout; a request that timed out is counted as a timeout and its\n"
                 "wait is in the latency figures; a script error is counted (Script errors)\n"
                 "with its file and line instead of ending the run. --json and --html write\n"
                 "throng's full report.\n"
                 "\n"
                 "flags:\n");
    cli_print_options(out, opts);
    fprintf(out, "\n"
                 "exit status: 0 the run ended, 1 a script error was counted, 2 usage error\n"
                 "(nothing ran), 3 stopped by SIGINT or SIGTERM, 6 a report could not be\n"
                 "written.\n");
}

static int usage_error(const char *fmt, const char *value)
{
    fprintf(stderr, CMD ": ");
    fprintf(stderr, fmt, value);
    fputc('\n', stderr);
    return CLI_EXIT_USAGE;
}

/* ------------------------------------------------------------- wrk's units */

/* wrk's units.c: n scaled by scale while at least 0.85 of it, never to the
 * last unit of the list. */
static void format_units(char *out, size_t cap, double n, int scale, const char *base,
                         const char *const *units, int prec)
{
    const char *unit = base;
    for (int i = 0; units[i + 1] && n >= scale * 0.85; i++) {
        n /= scale;
        unit = units[i];
    }
    snprintf(out, cap, "%.*f%s", prec, n, unit);
}

static void format_time_us(char *out, size_t cap, double us)
{
    static const char *const ms[] = {"ms", "s", NULL}, *const m[] = {"m", "h", NULL};
    if (us >= 1e6)
        format_units(out, cap, us / 1e6, 60, "s", m, 2);
    else
        format_units(out, cap, us, 1000, "us", ms, 2);
}

static void format_time_s(char *out, size_t cap, double s)
{
    static const char *const m[] = {"m", "h", NULL};
    format_units(out, cap, s, 60, "s", m, 0);
}

static void format_binary(char *out, size_t cap, double n)
{
    static const char *const u[] = {"K", "M", "G", "T", "P", NULL};
    format_units(out, cap, n, 1024, "", u, 2);
}

static void format_metric(char *out, size_t cap, double n)
{
    static const char *const u[] = {"k", "M", "G", "T", "P", NULL};
    format_units(out, cap, n, 1000, "", u, 2);
}

/* wrk's print_units: right-aligned in width, padded so units line up. */
static void print_units(double n, void (*fmt)(char *, size_t, double), int width)
{
    char msg[64];
    fmt(msg, sizeof msg, n);
    int len = (int)strlen(msg), pad = 2;
    if (len > 0 && ((msg[len - 1] >= 'a' && msg[len - 1] <= 'z') ||
                    (msg[len - 1] >= 'A' && msg[len - 1] <= 'Z')))
        pad--;
    if (len > 1 && ((msg[len - 2] >= 'a' && msg[len - 2] <= 'z') ||
                    (msg[len - 2] >= 'A' && msg[len - 2] <= 'Z')))
        pad--;
    width -= pad;
    printf("%*.*s%.*s", width, width, msg, pad, "  ");
}

/* ------------------------------------------------------- the run's figures */

/* A distribution as wrk's stats: values (us for latency, requests per second
 * for Req/Sec) with their counts, ascending. */
typedef struct wrk_stats {
    double *value;
    double *count;
    size_t n;
    double total, min, max, mean, stdev, within; /* within: share in mean +/- stdev, % */
} wrk_stats_t;

static void stats_finish(wrk_stats_t *s)
{
    double sum = 0, sq = 0;
    s->total = 0;
    for (size_t i = 0; i < s->n; i++) {
        s->total += s->count[i];
        sum += s->value[i] * s->count[i];
    }
    s->mean = s->total > 0 ? sum / s->total : 0;
    for (size_t i = 0; i < s->n; i++)
        sq += s->count[i] * (s->value[i] - s->mean) * (s->value[i] - s->mean);
    s->stdev = s->total > 1 ? sqrt(sq / (s->total - 1)) : 0;
    double in = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->value[i] >= s->mean - s->stdev && s->value[i] <= s->mean + s->stdev)
            in += s->count[i];
    s->within = s->total > 0 ? 100.0 * in / s->total : 0;
    s->min = s->n ? s->value[0] : 0;
    s->max = s->n ? s->value[s->n - 1] : 0;
}

/* The value at percentile p, as wrk's stats_percentile ranks it. */
static double stats_percentile(const wrk_stats_t *s, double p)
{
    double rank = floor(p / 100.0 * s->total + 0.5), seen = 0;
    if (rank < 1) rank = 1;
    for (size_t i = 0; i < s->n; i++) {
        seen += s->count[i];
        if (seen >= rank) return s->value[i];
    }
    return s->max;
}

static int stats_alloc(wrk_stats_t *s, size_t n)
{
    memset(s, 0, sizeof *s);
    s->value = calloc(n ? n : 1, sizeof *s->value);
    s->count = calloc(n ? n : 1, sizeof *s->count);
    return s->value && s->count ? 0 : -1;
}

static void stats_free(wrk_stats_t *s)
{
    free(s->value);
    free(s->count);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The latency histogram's buckets, in microseconds (each bucket's middle;
 * the exact min and max the report keeps). */
static int latency_stats(const cJSON *hist, wrk_stats_t *s)
{
    const cJSON *buckets = cJSON_GetObjectItem(hist, "buckets");
    if (stats_alloc(s, (size_t)cJSON_GetArraySize(buckets)) != 0) return -1;
    const cJSON *b;
    cJSON_ArrayForEach(b, buckets)
    {
        double lo = cJSON_GetArrayItem(b, 0)->valuedouble,
               hi = cJSON_GetArrayItem(b, 1)->valuedouble;
        s->value[s->n] = (lo + hi) / 2 / 1000.0;
        s->count[s->n++] = cJSON_GetArrayItem(b, 2)->valuedouble;
    }
    stats_finish(s);
    const cJSON *min = cJSON_GetObjectItem(hist, "min"), *max = cJSON_GetObjectItem(hist, "max");
    if (s->n && cJSON_IsNumber(min)) s->min = min->valuedouble * 1e6;
    if (s->n && cJSON_IsNumber(max)) s->max = max->valuedouble * 1e6;
    return 0;
}

/* Requests per second of one thread: each whole second of the run's series
 * divided among the threads (throng counts seconds, not wrk's 100 ms). */
static int rate_stats(const cJSON *series, unsigned threads, double elapsed, wrk_stats_t *s)
{
    size_t n = (size_t)cJSON_GetArraySize(series);
    if (stats_alloc(s, n) != 0) return -1;
    const cJSON *sec;
    cJSON_ArrayForEach(sec, series)
    {
        const cJSON *t = cJSON_GetObjectItem(sec, "t"), *r = cJSON_GetObjectItem(sec, "requests");
        if (!cJSON_IsNumber(t) || !cJSON_IsNumber(r) || t->valuedouble > elapsed + 1e-9) continue;
        s->value[s->n] = r->valuedouble / threads;
        s->count[s->n++] = 1;
    }
    qsort(s->value, s->n, sizeof *s->value, cmp_double);
    stats_finish(s);
    return 0;
}

static double number(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(obj, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static double fault(const cJSON *totals, const char *kind)
{
    return number(cJSON_GetObjectItem(cJSON_GetObjectItem(totals, "faults"), kind), "count");
}

/* What wrk's summary holds, from throng's totals. */
typedef struct wrk_summary {
    double duration_us, requests, bytes;
    double connect, read, write, status, timeout; /* wrk's errors */
    double script_errors;
    const char *script_sample;
    double elapsed;
} wrk_summary_t;

static void summarize(const cJSON *doc, wrk_summary_t *sum)
{
    const cJSON *totals = cJSON_GetObjectItem(doc, "totals");
    memset(sum, 0, sizeof *sum);
    sum->elapsed = number(doc, "elapsed");
    sum->duration_us = sum->elapsed * 1e6;
    sum->requests = number(totals, "requests");
    sum->bytes = number(totals, "bytes_received");
    sum->connect = fault(totals, "not-connected") + fault(totals, "tls");
    sum->read = fault(totals, "abandoned") + fault(totals, "http-error");
    sum->write = fault(totals, "closed");
    sum->timeout = fault(totals, "timed-out");
    sum->script_errors = fault(totals, "script-error");
    const cJSON *se = cJSON_GetObjectItem(cJSON_GetObjectItem(totals, "faults"), "script-error");
    sum->script_sample = cJSON_GetStringValue(cJSON_GetObjectItem(se, "sample"));
    const cJSON *code;
    cJSON_ArrayForEach(code, cJSON_GetObjectItem(totals, "status"))
    {
        int c = atoi(code->string);
        if (c < 200 || c > 399) sum->status += code->valuedouble;
    }
}

static void print_stats(const char *name, const wrk_stats_t *s, void (*fmt)(char *, size_t, double))
{
    printf("    %-10s", name);
    print_units(s->mean, fmt, 8);
    print_units(s->stdev, fmt, 10);
    print_units(s->max, fmt, 9);
    printf("%8.2f%%\n", s->within);
}

static void print_report(const wrk_flags_t *f, const wrk_summary_t *sum, const wrk_stats_t *lat,
                         const wrk_stats_t *rate)
{
    char a[64], b[64];
    printf("  Thread Stats%6s%11s%8s%12s\n", "Avg", "Stdev", "Max", "+/- Stdev");
    print_stats("Latency", lat, format_time_us);
    print_stats("Req/Sec", rate, format_metric);
    if (f->latency) {
        static const double ps[] = {50, 75, 90, 99};
        printf("  Latency Distribution\n");
        for (size_t i = 0; i < 4; i++) {
            printf("%7.0f%%", ps[i]);
            print_units(stats_percentile(lat, ps[i]), format_time_us, 10);
            printf("\n");
        }
    }
    format_time_us(a, sizeof a, sum->duration_us);
    format_binary(b, sizeof b, sum->bytes);
    printf("  %.0f requests in %s, %sB read\n", sum->requests, a, b);
    if (sum->connect || sum->read || sum->write || sum->timeout)
        printf("  Socket errors: connect %.0f, read %.0f, write %.0f, timeout %.0f\n", sum->connect,
               sum->read, sum->write, sum->timeout);
    if (sum->status) printf("  Non-2xx or 3xx responses: %.0f\n", sum->status);
    if (sum->timeout)
        printf("  Timeouts in latency: %.0f requests timed out, their waits are in the "
               "figures above\n",
               sum->timeout);
    if (sum->script_errors)
        printf("  Script errors: %.0f, first: %s\n", sum->script_errors,
               sum->script_sample ? sum->script_sample : "");
    double secs = sum->elapsed > 0 ? sum->elapsed : 1;
    printf("Requests/sec: %9.2f\n", sum->requests / secs);
    format_binary(a, sizeof a, sum->bytes / secs);
    printf("Transfer/sec: %10sB\n", a);
}

/* ------------------------------------------------------ setup and done */

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

/* The main state's wrk table, thread objects, stats objects and the
 * serializer; run with (url parts, headers) on the stack. */
static const char prelude[] =
    "local scheme, host, port, path, hdrs = ...\n"
    "local format, concat = string.format, table.concat\n"
    "wrk = { scheme = scheme, host = host, port = port, method = 'GET', path = path,\n"
    "        headers = {}, body = nil, lookup = __wrk_lookup, connect = __wrk_connect }\n"
    "__wrk_lookup, __wrk_connect = nil, nil\n"
    "for line in hdrs:gmatch('[^\\n]+') do\n"
    "  local n, v = line:match('^([^:]+):%s*(.-)%s*$')\n"
    "  if n then wrk.headers[n] = v end\n"
    "end\n"
    "function wrk.format(method, path, headers, body)\n"
    "  method = method or wrk.method; path = path or wrk.path\n"
    "  headers = headers or wrk.headers; body = body or wrk.body\n"
    "  if not headers['Host'] then headers['Host'] = wrk.headers['Host'] end\n"
    "  headers['Content-Length'] = body and #body or nil\n"
    "  local s = { format('%s %s HTTP/1.1', method, path) }\n"
    "  for n, v in pairs(headers) do s[#s + 1] = format('%s: %s', n, tostring(v)) end\n"
    "  s[#s + 1] = ''; s[#s + 1] = body or ''\n"
    "  return concat(s, '\\r\\n')\n"
    "end\n"
    "local function serialize(v, depth)\n"
    "  local t = type(v)\n"
    "  if t == 'number' then\n"
    "    if v ~= v then return '0/0' end\n"
    "    if v == math.huge then return '1/0' end\n"
    "    if v == -math.huge then return '-1/0' end\n"
    "    return format('%.17g', v)\n"
    "  elseif t == 'string' then return format('%q', v)\n"
    "  elseif t == 'boolean' then return tostring(v)\n"
    "  elseif t == 'table' and (depth or 0) < 16 then\n"
    "    local parts = {}\n"
    "    for k, x in pairs(v) do\n"
    "      local ks, xs = serialize(k, 16), serialize(x, (depth or 0) + 1)\n"
    "      if ks and xs then parts[#parts + 1] = '[' .. ks .. ']=' .. xs end\n"
    "    end\n"
    "    return '{' .. concat(parts, ',') .. '}'\n"
    "  end\n"
    "end\n"
    "local thread_meta = { __index = {\n"
    "  get = function(self, name)\n"
    "    local v = self.__ended and self.__ended[name]\n"
    "    if v == nil then v = self.__sets[name] end\n"
    "    return v\n"
    "  end,\n"
    "  set = function(self, name, value) self.__sets[name] = value end,\n"
    "  stop = function(self) end,\n"
    "} }\n"
    "function __wrk_thread(addr) return setmetatable({ addr = addr, __sets = {} }, thread_meta) "
    "end\n"
    "function __wrk_sets(t) return serialize(t.__sets) or '{}' end\n"
    "function __wrk_ended(t, file)\n"
    "  local f = loadfile(file)\n"
    "  if f then setfenv(f, {}); local ok, v = pcall(f); if ok then t.__ended = v end end\n"
    "end\n"
    "function __wrk_stats(values, counts, min, max, mean, stdev, total)\n"
    "  local p = newproxy(true)\n"
    "  local m = getmetatable(p)\n"
    "  local function percentile(_, q)\n"
    "    local rank = math.max(1, math.floor(q / 100 * total + 0.5))\n"
    "    local seen = 0\n"
    "    for i = 1, #values do\n"
    "      seen = seen + counts[i]\n"
    "      if seen >= rank then return values[i] end\n"
    "    end\n"
    "    return max\n"
    "  end\n"
    "  local fields = { min = min, max = max, mean = mean, stdev = stdev, percentile = percentile "
    "}\n"
    "  m.__index = function(_, k)\n"
    "    if type(k) == 'number' then return values[k], counts[k] end\n"
    "    return fields[k]\n"
    "  end\n"
    "  m.__call = function(_, i) return values[i], counts[i] end\n"
    "  m.__len = function() return #values end\n"
    "  return p\n"
    "end\n";

/* Calls the function below nargs arguments, protected: 0, or the error
 * message (with the script's file:line) left on the stack. */
static int pcall_tb(lua_State *L, int nargs)
{
    return lua_pcall(L, nargs, 0, 0);
}

/* The main state: the prelude, then the script. NULL after printing why. */
static lua_State *main_state(const wrk_flags_t *f, const throng_url_t *u, const char *headers)
{
    lua_State *L = luaL_newstate();
    if (!L) return NULL;
    luaL_openlibs(L);
    lua_register(L, "__wrk_lookup", l_lookup);
    lua_register(L, "__wrk_connect", l_connect);
    if (luaL_loadbuffer(L, prelude, sizeof prelude - 1, "=wrk") != 0) goto fail;
    lua_pushstring(L, u->tls ? "https" : "http");
    lua_pushstring(L, u->host);
    /* wrk.port is nil unless the URL has one. */
    const char *after = strstr(f->url, "://");
    after = after ? after + 3 : f->url;
    const char *end = after + strcspn(after, "/?#"), *colon = end;
    while (colon > after && colon[-1] != ':' && colon[-1] != ']')
        colon--;
    if (colon > after && colon[-1] == ':' && colon < end)
        lua_pushfstring(L, "%d", u->port); /* a string, as wrk gives it */
    else
        lua_pushnil(L);
    if (u->path_len)
        lua_pushlstring(L, u->path[0] == '?' ? "/" : "", u->path[0] == '?' ? 1 : 0);
    else
        lua_pushliteral(L, "/");
    if (u->path_len) {
        lua_pushlstring(L, u->path, u->path_len);
        lua_concat(L, 2);
    }
    lua_pushstring(L, headers);
    if (pcall_tb(L, 5) != 0) goto fail;
    if (luaL_loadfile(L, f->script) != 0 || pcall_tb(L, 0) != 0) goto fail;
    return L;
fail:
    fprintf(stderr, CMD ": %s\n", lua_tostring(L, -1));
    lua_close(L);
    return NULL;
}

static int has_function(lua_State *L, const char *name)
{
    lua_getglobal(L, name);
    int yes = lua_isfunction(L, -1);
    lua_pop(L, 1);
    return yes;
}

/* Pushes a stats object of s's values (rounded to whole numbers when whole). */
static void push_stats(lua_State *L, const wrk_stats_t *s, int whole)
{
    lua_getglobal(L, "__wrk_stats");
    lua_createtable(L, (int)s->n, 0);
    for (size_t i = 0; i < s->n; i++) {
        lua_pushnumber(L, whole ? floor(s->value[i] + 0.5) : s->value[i]);
        lua_rawseti(L, -2, (int)i + 1);
    }
    lua_createtable(L, (int)s->n, 0);
    for (size_t i = 0; i < s->n; i++) {
        lua_pushnumber(L, s->count[i]);
        lua_rawseti(L, -2, (int)i + 1);
    }
    lua_pushnumber(L, s->min);
    lua_pushnumber(L, s->max);
    lua_pushnumber(L, s->mean);
    lua_pushnumber(L, s->stdev);
    lua_pushnumber(L, s->total);
    lua_call(L, 7, 1);
}

static void set_number(lua_State *L, const char *key, double v)
{
    lua_pushnumber(L, v);
    lua_setfield(L, -2, key);
}

/* done(summary, latency, requests), the threads' ends read first. */
static int call_done(lua_State *L, int threads_ref, unsigned nthreads, const char *dir,
                     const wrk_summary_t *sum, const wrk_stats_t *lat, const wrk_stats_t *rate)
{
    for (unsigned i = 0; i < nthreads; i++) {
        char file[4200];
        snprintf(file, sizeof file, "%s/thread-%u.lua", dir, i + 1);
        lua_getglobal(L, "__wrk_ended");
        lua_rawgeti(L, LUA_REGISTRYINDEX, threads_ref);
        lua_rawgeti(L, -1, (int)i + 1);
        lua_remove(L, -2);
        lua_pushstring(L, file);
        lua_call(L, 2, 0);
    }
    lua_getglobal(L, "done");
    lua_newtable(L);
    set_number(L, "duration", floor(sum->duration_us));
    set_number(L, "requests", sum->requests);
    set_number(L, "bytes", sum->bytes);
    lua_newtable(L);
    set_number(L, "connect", sum->connect);
    set_number(L, "read", sum->read);
    set_number(L, "write", sum->write);
    set_number(L, "status", sum->status);
    set_number(L, "timeout", sum->timeout);
    lua_setfield(L, -2, "errors");
    push_stats(L, lat, 1); /* whole microseconds, as wrk's */
    push_stats(L, rate, 0);
    fflush(stdout);
    if (pcall_tb(L, 3) != 0) {
        fflush(stdout);
        fprintf(stderr, CMD ": done: %s\n", lua_tostring(L, -1));
        lua_pop(L, 1);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ run */

static throng_engine_t *running;

static void on_signal(int sig)
{
    (void)sig;
    if (running) throng_stop(running);
}

/* Removes the thread files and the folder. */
static void remove_dir(const char *dir, unsigned nthreads)
{
    char file[4200];
    for (unsigned i = 0; i < nthreads; i++) {
        snprintf(file, sizeof file, "%s/thread-%u.lua", dir, i + 1);
        unlink(file);
        snprintf(file, sizeof file, "%s/thread-%u.lua.tmp", dir, i + 1);
        unlink(file);
    }
    rmdir(dir);
}

/* -H values joined by newlines, checked. NULL after printing why. */
static char *join_headers(const cli_list_t *h)
{
    size_t len = 1;
    for (size_t i = 0; i < h->n; i++) {
        if (strchr(h->items[i], '\n') || strchr(h->items[i], '\r') || !strchr(h->items[i], ':') ||
            h->items[i][0] == ':') {
            usage_error("-H '%s' is not of the form 'Name: value'", h->items[i]);
            return NULL;
        }
        len += strlen(h->items[i]) + 1;
    }
    char *s = malloc(len), *p = s;
    if (!s) return NULL;
    *p = '\0';
    for (size_t i = 0; i < h->n; i++)
        p += sprintf(p, "%s%s", i ? "\n" : "", h->items[i]);
    return s;
}

/* The arguments of thread i's group, "key=value" each (owned). */
static char **group_args(const wrk_flags_t *f, const char *headers, unsigned i, const char *sets,
                         const char *dir, size_t *n)
{
    size_t cap = 8 + (size_t)f->nscript_args, k = 0;
    char **a = calloc(cap, sizeof *a);
    if (!a) return NULL;
    char buf[64];
    int bad = 0;
#define ADD(...)                                                                                   \
    do {                                                                                           \
        size_t need = (size_t)snprintf(NULL, 0, __VA_ARGS__) + 1;                                  \
        a[k] = malloc(need);                                                                       \
        if (!a[k])                                                                                 \
            bad = 1;                                                                               \
        else                                                                                       \
            snprintf(a[k++], need, __VA_ARGS__);                                                   \
    } while (0)
    ADD("url=%s", f->url);
    if (f->script) ADD("script=%s", f->script);
    if (*headers) ADD("headers=%s", headers);
    ADD("thread=%u", i + 1);
    if (sets) ADD("wrk_sets=%s", sets);
    if (dir) ADD("wrk_out=%s", dir);
    ADD("wrk_argc=%d", f->nscript_args);
    for (int j = 0; j < f->nscript_args; j++) {
        snprintf(buf, sizeof buf, "wrk_arg%d", j + 1);
        ADD("%s=%s", buf, f->script_args[j]);
    }
#undef ADD
    *n = k;
    if (bad) {
        for (size_t j = 0; j < k; j++)
            free(a[j]);
        free(a);
        return NULL;
    }
    return a;
}

static void free_args(char **a, size_t n)
{
    if (!a) return;
    for (size_t j = 0; j < n; j++)
        free(a[j]);
    free(a);
}

static void log_line(throng_log_level_t level, uint64_t client, const char *msg, void *data)
{
    (void)client, (void)data;
    static const char *const names[] = {"error", "warn", "info", "debug", "trace"};
    cli_stderr_printf(CMD ": %s: %s\n", names[level], msg);
}

/* Runs the load; prints wrk's report; calls done. */
static int run(const wrk_flags_t *f, const throng_url_t *u, const char *headers)
{
    lua_State *L = NULL;
    int status = CLI_EXIT_USAGE, threads_ref = LUA_NOREF;
    unsigned nt = f->threads;
    char **sets = calloc(nt, sizeof *sets);
    char **servers = calloc(nt, sizeof *servers);
    char dir[4096] = "";
    throng_engine_t *e = NULL;
    char *json = NULL;
    cJSON *doc = NULL;
    wrk_stats_t lat = {0}, rate = {0};
    if (!sets || !servers) goto done;

    if (f->script) {
        L = main_state(f, u, headers);
        if (!L) goto done;
        /* wrk.resolve: the first address of the URL's host is each thread's. */
        lua_getglobal(L, "wrk");
        lua_getfield(L, -1, "lookup");
        lua_pushstring(L, u->host);
        lua_pushfstring(L, "%d", u->port);
        if (pcall_tb(L, 2) != 0) {
            fprintf(stderr, CMD ": %s\n", lua_tostring(L, -1));
            goto done;
        }
        lua_pop(L, 1);
        int has_setup = has_function(L, "setup");
        lua_newtable(L);
        for (unsigned i = 0; i < nt; i++) {
            lua_getglobal(L, "__wrk_thread");
            lua_pushfstring(L, "%s:%d", u->host, u->port);
            lua_call(L, 1, 1);
            lua_pushvalue(L, -1);
            lua_rawseti(L, -3, (int)i + 1);
            if (has_setup) {
                lua_getglobal(L, "setup");
                lua_pushvalue(L, -2);
                if (pcall_tb(L, 1) != 0) {
                    fprintf(stderr, CMD ": setup: %s\n", lua_tostring(L, -1));
                    goto done;
                }
            }
            lua_getfield(L, -1, "addr");
            const char *addr = lua_tostring(L, -1);
            char mine[320];
            snprintf(mine, sizeof mine, "%s:%d", u->host, u->port);
            if (addr && strcmp(addr, mine) != 0) servers[i] = strdup(addr);
            lua_pop(L, 1);
            lua_getglobal(L, "__wrk_sets");
            lua_insert(L, -2);
            lua_call(L, 1, 1);
            sets[i] = strdup(lua_tostring(L, -1));
            lua_pop(L, 1);
        }
        threads_ref = luaL_ref(L, LUA_REGISTRYINDEX);
        lua_pop(L, 1); /* wrk */
        if (has_function(L, "done")) {
            const char *tmp = getenv("TMPDIR");
            snprintf(dir, sizeof dir, "%s/throng-wrk.XXXXXX", tmp && *tmp ? tmp : "/tmp");
            if (!mkdtemp(dir)) {
                fprintf(stderr, CMD ": cannot make a folder in %s: %s\n", dir, strerror(errno));
                goto done;
            }
        }
    }

    throng_config_t cfg;
    throng_config_init(&cfg);
    cfg.server = u->origin;
    cfg.duration = f->duration;
    cfg.timeout = f->timeout;
    cfg.connect_timeout = f->timeout > 5 ? f->timeout : 5;
    cfg.raise_fd_limit = 1;
    cfg.on_fault = THRONG_ON_FAULT_RESTART; /* as wrk reconnects after an error */
    cfg.insecure = 1;                       /* wrk verifies no certificate */
    cfg.log = log_line;
    cfg.log_level = THRONG_LOG_WARN;
    e = throng_engine_new(&cfg);
    if (!e) goto done;
    for (unsigned i = 0; i < nt; i++) {
        throng_group_t g;
        throng_group_init(&g);
        char name[32];
        snprintf(name, sizeof name, "thread-%u", i + 1);
        g.name = name;
        g.persona = "wrk";
        g.server = servers[i];
        g.clients = f->connections / nt + (i < f->connections % nt);
        g.threads = 1;
        g.request_count = THRONG_MAX_REQUEST_COUNT;
        g.slow_down = 0;
        size_t na = 0;
        char **args = group_args(f, headers, i, sets[i], *dir ? dir : NULL, &na);
        if (!args) goto done;
        g.args = (const char *const *)args;
        g.nargs = na;
        int rc = throng_add_group(e, &g);
        free_args(args, na);
        if (rc != 0) {
            fprintf(stderr, CMD ": %s\n", throng_errmsg(e));
            goto done;
        }
    }

    char t[64];
    format_time_s(t, sizeof t, f->duration);
    printf("Running %s test @ %s\n", t, f->url);
    printf("  %u threads and %u connections\n", nt, f->connections);
    fflush(stdout);
    running = e;
    struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    int rc = throng_start(e);
    if (rc == 0) rc = throng_wait(e);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    running = NULL;
    if (rc != 0) {
        fprintf(stderr, CMD ": %s\n", throng_errmsg(e));
        goto done;
    }
    const throng_report_t *r = throng_report(e);
    if (throng_report_json(e, &json) != 0 || !(doc = cJSON_Parse(json))) {
        fprintf(stderr, CMD ": no report: %s\n", throng_errmsg(e));
        status = CLI_EXIT_FAULTS;
        goto done;
    }
    wrk_summary_t sum;
    summarize(doc, &sum);
    const cJSON *totals = cJSON_GetObjectItem(doc, "totals");
    if (latency_stats(cJSON_GetObjectItem(totals, "latency"), &lat) != 0 ||
        rate_stats(cJSON_GetObjectItem(doc, "series"), nt, sum.elapsed, &rate) != 0)
        goto done;
    print_report(f, &sum, &lat, &rate);
    printf("throng's full report: --json FILE or --html FILE%s%s%s%s%s\n",
           f->json_file || f->html_file ? " (written to " : "", f->json_file ? f->json_file : "",
           f->json_file && f->html_file ? ", " : "", f->html_file ? f->html_file : "",
           f->json_file || f->html_file ? ")" : "");
    status = r->ending == THRONG_END_STOPPED ? CLI_EXIT_ABORTED
             : sum.script_errors             ? CLI_EXIT_FAULTS
                                             : CLI_EXIT_OK;
    if (f->json_file && cli_write_file(CMD, "--json", f->json_file, json) != 0)
        status = CLI_EXIT_WRITE;
    if (f->html_file) {
        char *html = NULL, err[256];
        if (throng_render(json, strlen(json), THRONG_RENDER_HTML, THRONG_TEXT_LATENCY, &html, err,
                          sizeof err) != 0 ||
            cli_write_file(CMD, "--html", f->html_file, html) != 0)
            status = CLI_EXIT_WRITE;
        throng_free(html);
    }
    if (L && has_function(L, "done") &&
        call_done(L, threads_ref, nt, dir, &sum, &lat, &rate) != 0 && status == CLI_EXIT_OK)
        status = CLI_EXIT_FAULTS;
done:
    if (*dir) remove_dir(dir, nt);
    stats_free(&lat);
    stats_free(&rate);
    cJSON_Delete(doc);
    throng_free(json);
    throng_engine_free(e);
    if (L) lua_close(L);
    for (unsigned i = 0; sets && i < nt; i++)
        free(sets[i]);
    for (unsigned i = 0; servers && i < nt; i++)
        free(servers[i]);
    free(sets);
    free(servers);
    return status;
}

int cmd_wrk(int argc, char **argv)
{
    wrk_flags_t f = {.connections = 10, .threads = 2, .duration = 10, .timeout = 2};
    cli_option_t opts[] = {
        {"connections", 'c', CLI_UINT, &f.connections, "N",
         "connections to keep open, in all (default 10)", NULL, 1, THRONG_MAX_CLIENTS},
        {"duration", 'd', CLI_DURATION, &f.duration, "TIME",
         "duration of the test: 30s, 2m (default 10s)"},
        {"threads", 't', CLI_UINT, &f.threads, "N", "number of threads to use (default 2)", NULL, 1,
         THRONG_MAX_THREADS},
        {"script", 's', CLI_STRING, &f.script, "FILE", "load a wrk Lua script file"},
        {"header", 'H', CLI_LIST, &f.headers, "HEADER",
         "add a header to the request: 'Name: value'"},
        {"latency", 0, CLI_FLAG, &f.latency, NULL, "print the latency distribution"},
        {"timeout", 0, CLI_DURATION, &f.timeout, "TIME",
         "socket/request timeout (default 2s); timed-out requests are reported as timeouts"},
        {"json", 0, CLI_STRING, &f.json_file, "FILE", "write throng's whole report as JSON"},
        {"html", 0, CLI_STRING, &f.html_file, "FILE", "write throng's report as an HTML page"},
        {"version", 'v', CLI_FLAG, &f.version, NULL, "print version details"},
        {NULL},
    };
    char **positional = calloc((size_t)argc + 1, sizeof *positional);
    cli_args_t args = {.positional = positional};
    int status = CLI_EXIT_USAGE;
    char *headers = NULL;
    if (!positional || cli_parse(CMD, opts, argc, argv, &args) != 0) goto out;
    if (args.help) {
        usage(stdout, opts);
        status = CLI_EXIT_OK;
        goto out;
    }
    if (f.version) {
        printf("throng wrk %s: wrk's command line and Lua API on throng's engine\n",
               throng_version());
        status = CLI_EXIT_OK;
        goto out;
    }
    if (args.npositional < 1) {
        usage(stderr, opts);
        goto out;
    }
    f.url = args.positional[0];
    /* Script arguments: the words after the URL, then those after "--". */
    f.script_args = calloc((size_t)argc + 1, sizeof *f.script_args);
    if (!f.script_args) goto out;
    for (int i = 1; i < args.npositional; i++)
        f.script_args[f.nscript_args++] = args.positional[i];
    for (int i = 0; i < args.nrest; i++)
        f.script_args[f.nscript_args++] = args.rest[i];
    throng_url_t u;
    char err[512];
    if (!strstr(f.url, "://") || throng_parse_url(f.url, &u, err, sizeof err) != 0) {
        status = usage_error("invalid URL: %s", f.url);
        goto out;
    }
    if (f.connections < f.threads) {
        status = usage_error("number of connections must be >= threads%s", "");
        goto out;
    }
    if (!(f.duration > 0)) {
        status = usage_error("-d/--duration must be more than 0%s", "");
        goto out;
    }
    if (!(f.timeout > 0)) {
        status = usage_error("--timeout must be more than 0%s", "");
        goto out;
    }
    if (f.script && access(f.script, R_OK) != 0) {
        fprintf(stderr, CMD ": %s: %s\n", f.script, strerror(errno));
        goto out;
    }
    headers = join_headers(&f.headers);
    if (!headers) goto out;
    status = run(&f, &u, headers);
out:
    free(headers);
    free(f.script_args);
    free(positional);
    return status;
}
