/* plan.c - scripts given to throng_add_script(): a persona script becomes
 * one group; a plan, a script returning a table of named groups, becomes
 * all of them. A plan is read and checked whole (throng__group_check(), the
 * engine's own check, on every group) before any group is added, and added
 * whole: a group the engine still refuses takes the others back out. Every
 * complaint names the plan, the group and the key. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#include "core/engine.h"
#include "core/group.h"
#include "core/plan.h"
#include "core/shard.h"
#include "lua/state.h"
#include "lua/watch.h"
#include "util/duration.h"
#include "util/stages.h"

#define MAX_GROUPS 256
#define MAX_ARGS 64

static const char *const plan_keys[] = {
    "persona",       "clients",   "processes",         "threads",
    "request_count", "slow_down", "big_table",         "server",
    "start_delay",   "duration",  "thresholds",        "args",
    "name",          "rate",      "arrivals",          "stages",
    "max_clients",   "ramp_up",   "expected_interval", "source",
};
#define PLAN_KEYS_TEXT                                                                             \
    "persona, clients, processes, threads, request_count, slow_down, big_table, server, "          \
    "start_delay, duration, thresholds, args, rate, arrivals, stages, max_clients, ramp_up, "      \
    "expected_interval, source"

/* What one group of a plan says, with the strings it owns. */
typedef struct plan_group {
    throng_group_t g;
    char name[96];
    char persona[1024];
    char server[300];
    char source[1024];
    char *args[MAX_ARGS]; /* the defaults' args, then big_table, then the group's own */
    size_t nargs;
    size_t ndefault_args; /* how many of args came from the defaults */
    char big_table[48];   /* the big_table key, as "big_table=N", or "" */
    char *thresholds[32];
    size_t nthresholds;
    throng_stage_t stages[THRONG_MAX_STAGES];
    int own_stages; /* g.stages points into stages (else the defaults' or none) */
} plan_group_t;

/* The run-level settings a plan may hold, in its `run` table. */
typedef struct plan_run {
    int given;              /* the plan has a run table */
    unsigned shard, shards; /* shards 0: not given */
    char id[THRONG_RUN_ID_MAX + 1];
    double start_at; /* 0: not given */
} plan_run_t;

typedef struct plan {
    const char *path;
    char dir[1024];
    plan_group_t *groups;
    unsigned ngroups;
    plan_run_t run;
    char *err;
} plan_t;

static int fail(plan_t *p, const plan_group_t *pg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(plan_t *p, const plan_group_t *pg, const char *fmt, ...)
{
    char why[THRONG__ERRMSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (pg)
        return throng__fail(p->err, THRONG_EINVAL, "plan %s: group '%s': %s", p->path, pg->name,
                            why);
    return throng__fail(p->err, THRONG_EINVAL, "plan %s: %s", p->path, why);
}

/* A value as a message shows it. */
static const char *value_text(lua_State *L, int idx)
{
    int t = lua_type(L, idx);
    return t == LUA_TSTRING || t == LUA_TNUMBER ? lua_tostring(L, idx) : lua_typename(L, t);
}

/* Seconds at idx: a number, or a string throng_parse_duration() reads.
 * -1 when neither; a negative number is left to throng__group_check(). */
static int seconds_of(lua_State *L, int idx, double *seconds)
{
    if (lua_type(L, idx) == LUA_TNUMBER) {
        *seconds = lua_tonumber(L, idx);
        return 0;
    }
    if (lua_type(L, idx) != LUA_TSTRING) return -1;
    return throng__duration_parse(lua_tostring(L, idx), seconds, NULL, 0) == 0 ? 0 : -1;
}

/* A whole number at idx that an unsigned holds; its range is
 * throng__group_check()'s business. */
static int whole_of(lua_State *L, int idx, unsigned *n)
{
    if (lua_type(L, idx) != LUA_TNUMBER) return -1;
    double v = lua_tonumber(L, idx);
    if (!(v >= 0 && v <= UINT_MAX && v == floor(v))) return -1;
    *n = (unsigned)v;
    return 0;
}

/* Appends "key=value" (a string) or "key:=value" (a number) to the
 * group's args. */
static int add_arg(plan_t *p, plan_group_t *pg, const char *key, const char *value, int number)
{
    if (pg->nargs == MAX_ARGS) return fail(p, pg, "more than %d args", MAX_ARGS);
    size_t len = strlen(key) + strlen(value) + 3;
    if (!(pg->args[pg->nargs] = malloc(len)))
        return throng__fail(p->err, THRONG_ENOMEM, "out of memory");
    snprintf(pg->args[pg->nargs++], len, "%s%s=%s", key, number ? ":" : "", value);
    return 0;
}

/* The persona: a built-in name, or a script path taken from the plan's folder. */
static int set_persona(plan_t *p, plan_group_t *pg, const char *value)
{
    size_t n = strlen(value);
    int is_path = strchr(value, '/') || (n > 4 && strcmp(value + n - 4, ".lua") == 0);
    if (!is_path) {
        snprintf(pg->persona, sizeof pg->persona, "%s", value);
        pg->g.persona = pg->persona;
        return 0;
    }
    int len = value[0] == '/' ? snprintf(pg->persona, sizeof pg->persona, "%s", value)
                              : snprintf(pg->persona, sizeof pg->persona, "%s/%s", p->dir, value);
    if (len < 0 || (size_t)len >= sizeof pg->persona) return fail(p, pg, "persona path too long");
    if (access(pg->persona, R_OK) != 0)
        return fail(p, pg, "persona %s: %s", pg->persona, strerror(errno));
    pg->g.persona_path = pg->persona;
    return 0;
}

static int by_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* args = { key = value }: each becomes "key=value" ("key:=value" for a
 * number, which the persona then gets as one), after the defaults', in
 * the order of their keys: a Lua table's own order differs from one
 * process to the next, and the run's identity (core/shard.c) and the
 * report must not. */
static int set_args(plan_t *p, plan_group_t *pg, lua_State *L, int idx)
{
    if (!lua_istable(L, idx)) return fail(p, pg, "args must be a table of key = value");
    size_t first = pg->nargs;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) != LUA_TSTRING || !(lua_isstring(L, -1) || lua_isboolean(L, -1)))
            return fail(p, pg, "args must map names to strings, numbers or booleans");
        int number = lua_type(L, -1) == LUA_TNUMBER; /* before lua_tostring converts it */
        const char *v =
            lua_isboolean(L, -1) ? (lua_toboolean(L, -1) ? "true" : "false") : lua_tostring(L, -1);
        int rc = add_arg(p, pg, lua_tostring(L, -2), v, number);
        if (rc) return rc;
        lua_pop(L, 1);
    }
    qsort(pg->args + first, pg->nargs - first, sizeof pg->args[0], by_text);
    return 0;
}

/* big_table = N: the table persona's argument, as args = { big_table = N }
 * would give it (checked by the persona). */
static int set_big_table(plan_t *p, plan_group_t *pg, lua_State *L, int idx)
{
    if (lua_type(L, idx) != LUA_TNUMBER && lua_type(L, idx) != LUA_TSTRING)
        return fail(p, pg, "big_table must be a whole number, not a %s", luaL_typename(L, idx));
    lua_pushvalue(L, idx); /* converted on a copy: lua_next needs the original */
    snprintf(pg->big_table, sizeof pg->big_table, "big_table=%.36s", lua_tostring(L, -1));
    lua_pop(L, 1);
    return 0;
}

static int set_thresholds(plan_t *p, plan_group_t *pg, lua_State *L, int idx)
{
    if (!lua_istable(L, idx)) return fail(p, pg, "thresholds must be a list of strings");
    for (int i = 1;; i++) {
        lua_rawgeti(L, idx, i);
        if (lua_isnil(L, -1)) break;
        if (lua_type(L, -1) != LUA_TSTRING)
            return fail(p, pg, "thresholds must be a list of strings, as \"p99<50ms\"");
        if (pg->nthresholds == sizeof pg->thresholds / sizeof pg->thresholds[0])
            return fail(p, pg, "too many thresholds");
        if (!(pg->thresholds[pg->nthresholds++] = strdup(lua_tostring(L, -1))))
            return throng__fail(p->err, THRONG_ENOMEM, "out of memory");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    pg->g.thresholds = (const char *const *)pg->thresholds;
    pg->g.nthresholds = pg->nthresholds;
    return 0;
}

/* stages = "30s:100,5m:100" or { "30s:100", "5m:100" }: read as --stages. */
static int set_stages(plan_t *p, plan_group_t *pg, lua_State *L, int idx)
{
    char text[2048] = "", err[256];
    if (lua_type(L, idx) == LUA_TSTRING) {
        snprintf(text, sizeof text, "%s", lua_tostring(L, idx));
    } else if (lua_istable(L, idx)) {
        size_t len = 0;
        for (int i = 1;; i++) {
            lua_rawgeti(L, idx, i);
            if (lua_isnil(L, -1)) break;
            if (lua_type(L, -1) != LUA_TSTRING)
                return fail(p, pg,
                            "stages must be a list of strings, as { \"30s:100\", "
                            "\"5m:100\" }");
            len += (size_t)snprintf(text + len, len < sizeof text ? sizeof text - len : 0, "%s%s",
                                    i > 1 ? "," : "", lua_tostring(L, -1));
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
        if (len >= sizeof text) return fail(p, pg, "stages: too long");
    } else {
        return fail(p, pg, "stages must be a string (\"30s:100,5m:100\") or a list of strings");
    }
    int rate;
    if (throng__stages_parse(text, pg->stages, THRONG_MAX_STAGES, &pg->g.nstages, &rate, err,
                             sizeof err) != 0)
        return fail(p, pg, "stages: %s", err);
    pg->g.stages = pg->stages;
    pg->g.stages_rate = rate;
    pg->own_stages = 1;
    return 0;
}

/* The load model's keys: rate, arrivals, max_clients, stages, ramp_up,
 * expected_interval. 1 when key is none of them. */
static int set_load_key(plan_t *p, plan_group_t *pg, lua_State *L, const char *key, int v)
{
    throng_group_t *g = &pg->g;
    double d;
    unsigned n;
    if (!strcmp(key, "stages")) return set_stages(p, pg, L, v);
    if (!strcmp(key, "rate")) {
        if (lua_type(L, v) != LUA_TNUMBER || !(lua_tonumber(L, v) > 0))
            return fail(p, pg, "rate must be arrivals per second, a number above 0, not '%s'",
                        value_text(L, v));
        g->rate = lua_tonumber(L, v);
        return 0;
    }
    if (!strcmp(key, "arrivals")) {
        const char *a = lua_type(L, v) == LUA_TSTRING ? lua_tostring(L, v) : "";
        if (strcmp(a, "uniform") && strcmp(a, "poisson"))
            return fail(p, pg, "arrivals must be \"uniform\" or \"poisson\", not '%s'",
                        value_text(L, v));
        g->arrivals = strcmp(a, "poisson") ? THRONG_ARRIVALS_UNIFORM : THRONG_ARRIVALS_POISSON;
        return 0;
    }
    if (!strcmp(key, "max_clients")) {
        if (whole_of(L, v, &n) != 0 || n < 1 || n > THRONG_MAX_CLIENTS)
            return fail(p, pg, "max_clients must be a whole number from 1 to %u, not '%s'",
                        THRONG_MAX_CLIENTS, value_text(L, v));
        g->max_clients = n;
        return 0;
    }
    if (!strcmp(key, "ramp_up") || !strcmp(key, "expected_interval")) {
        if (seconds_of(L, v, &d) != 0)
            return fail(p, pg, "%s must be seconds or a duration such as 30s, not '%s'", key,
                        value_text(L, v));
        *(!strcmp(key, "ramp_up") ? &g->ramp_up : &g->expected_interval) = d;
        return 0;
    }
    return 1;
}

/* One key of a group's table, at stack slots -2 (key) and -1 (value). */
static int set_key(plan_t *p, plan_group_t *pg, lua_State *L, const char *key)
{
    int v = lua_gettop(L);
    throng_group_t *g = &pg->g;
    unsigned n;
    double d;
    if (!strcmp(key, "name")) return 0; /* read already */
    if (!strcmp(key, "persona")) {
        if (lua_type(L, v) != LUA_TSTRING) return fail(p, pg, "persona must be a name or a path");
        return set_persona(p, pg, lua_tostring(L, v));
    }
    if (!strcmp(key, "server")) {
        if (lua_type(L, v) != LUA_TSTRING) return fail(p, pg, "server must be host:port");
        snprintf(pg->server, sizeof pg->server, "%s", lua_tostring(L, v));
        g->server = pg->server;
        return 0;
    }
    if (!strcmp(key, "source")) {
        size_t len;
        const char *text = lua_type(L, v) == LUA_TSTRING ? lua_tolstring(L, v, &len) : NULL;
        if (!text)
            return fail(p, pg,
                        "source must be a list of local addresses such as "
                        "\"127.0.0.2-127.0.0.40\"");
        if (len >= sizeof pg->source)
            return fail(p, pg, "source is %zu characters long, at most %zu: use ranges", len,
                        sizeof pg->source - 1);
        memcpy(pg->source, text, len + 1);
        g->source = pg->source;
        return 0;
    }
    if (!strcmp(key, "args")) return set_args(p, pg, L, v);
    if (!strcmp(key, "thresholds")) return set_thresholds(p, pg, L, v);
    if (!strcmp(key, "big_table")) return set_big_table(p, pg, L, v);
    int rc = set_load_key(p, pg, L, key, v);
    if (rc != 1) return rc;
    if (!strcmp(key, "slow_down") || !strcmp(key, "start_delay") || !strcmp(key, "duration")) {
        if (seconds_of(L, v, &d) != 0)
            return fail(p, pg, "%s must be seconds or a duration such as 30s, not '%s'", key,
                        value_text(L, v));
        *(!strcmp(key, "slow_down")     ? &g->slow_down
          : !strcmp(key, "start_delay") ? &g->start_delay
                                        : &g->duration) = d;
        return 0;
    }
    const throng__group_limit_t *limit = throng__group_limit(key);
    if (whole_of(L, v, &n) != 0)
        return fail(p, pg, "%s must be a whole number from %u to %u, not '%s'", key, limit->min,
                    limit->max, value_text(L, v));
    *(!strcmp(key, "clients")     ? &g->clients
      : !strcmp(key, "processes") ? &g->processes
      : !strcmp(key, "threads")   ? &g->threads
                                  : &g->request_count) = n;
    return 0;
}

static int known_key(const char *key)
{
    for (size_t i = 0; i < sizeof plan_keys / sizeof plan_keys[0]; i++)
        if (!strcmp(plan_keys[i], key)) return 1;
    return 0;
}

/* The defaults' args, first in every group's. */
static int default_args(plan_t *p, plan_group_t *pg, const throng_group_t *defaults)
{
    for (size_t i = 0; defaults && i < defaults->nargs; i++) {
        if (pg->nargs == MAX_ARGS) return fail(p, pg, "more than %d args", MAX_ARGS);
        if (!defaults->args || !defaults->args[i])
            return fail(p, pg, "the defaults' args[%zu] is NULL", i);
        if (!(pg->args[pg->nargs++] = strdup(defaults->args[i])))
            return throng__fail(p->err, THRONG_ENOMEM, "out of memory");
    }
    pg->ndefault_args = pg->nargs;
    return 0;
}

/* The big_table key goes right after the defaults' args, so that the
 * group's own args = { big_table = ... } has the last word. */
static int place_big_table(plan_t *p, plan_group_t *pg)
{
    if (!pg->big_table[0]) return 0;
    if (pg->nargs == MAX_ARGS) return fail(p, pg, "more than %d args", MAX_ARGS);
    char *kv = strdup(pg->big_table);
    if (!kv) return throng__fail(p->err, THRONG_ENOMEM, "out of memory");
    memmove(pg->args + pg->ndefault_args + 1, pg->args + pg->ndefault_args,
            (pg->nargs - pg->ndefault_args) * sizeof *pg->args);
    pg->args[pg->ndefault_args] = kv;
    pg->nargs++;
    return 0;
}

/* The group table at the stack top, named name, into pg, checked. */
static int read_group(plan_t *p, plan_group_t *pg, lua_State *L, const char *name,
                      const throng_group_t *defaults)
{
    int t = lua_gettop(L);
    snprintf(pg->name, sizeof pg->name, "%s", name);
    if (defaults)
        pg->g = *defaults;
    else
        throng_group_init(&pg->g);
    pg->g.persona = pg->g.persona_path = pg->g.persona_source = NULL;
    pg->g.thresholds = NULL, pg->g.nthresholds = 0;
    pg->g.name = pg->name;
    if (!lua_istable(L, t)) return fail(p, pg, "a group is a table, not a %s", luaL_typename(L, t));
    int rc = default_args(p, pg, defaults);
    if (rc) return rc;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        if (lua_type(L, -2) != LUA_TSTRING) return fail(p, pg, "keys are names, as clients = 10");
        const char *key = lua_tostring(L, -2);
        if (!known_key(key)) return fail(p, pg, "unknown key '%s' (" PLAN_KEYS_TEXT ")", key);
        if ((rc = set_key(p, pg, L, key)) != 0) return rc;
        lua_settop(L, t + 1); /* the key, for lua_next */
    }
    if (!pg->g.persona && !pg->g.persona_path) return fail(p, pg, "no persona");
    if ((rc = place_big_table(p, pg)) != 0) return rc;
    pg->g.args = (const char *const *)pg->args;
    pg->g.nargs = pg->nargs;
    /* The engine's own check, now, so that nothing is added from a plan
     * with one bad group. */
    char why[THRONG__ERRMSG_LEN];
    if ((rc = throng__group_check(&pg->g, why)) != 0)
        return throng__fail(p->err, rc, "plan %s: %s", p->path, why);
    return 0;
}

/* Points the group's settings at its own strings again (after qsort moved it). */
static void repoint(plan_group_t *pg)
{
    throng_group_t *g = &pg->g;
    g->name = pg->name;
    if (g->persona) g->persona = pg->persona;
    if (g->persona_path) g->persona_path = pg->persona;
    if (g->server == NULL || pg->server[0]) g->server = pg->server[0] ? pg->server : g->server;
    if (pg->source[0]) g->source = pg->source;
    g->args = (const char *const *)pg->args;
    if (g->nthresholds) g->thresholds = (const char *const *)pg->thresholds;
    if (pg->own_stages) g->stages = pg->stages;
}

static int name_order(const void *a, const void *b)
{
    return strcmp(((const plan_group_t *)a)->name, ((const plan_group_t *)b)->name);
}

/* 1 when the named entry at the stack top (key at -2) is the plan's run
 * table: named "run" and, unlike a group, without a persona. */
static int is_run_table(lua_State *L)
{
    if (lua_type(L, -2) != LUA_TSTRING || strcmp(lua_tostring(L, -2), "run") != 0 ||
        !lua_istable(L, -1))
        return 0;
    lua_getfield(L, -1, "persona");
    int group = !lua_isnil(L, -1);
    lua_pop(L, 1);
    return !group;
}

/* The plan's run table, at the stack top: shard ("I/N"), id and start_at
 * (Unix seconds, or an RFC 3339 time), as the flags --shard, --run-id and
 * --start-at take them (which win over it). */
static int read_run(plan_t *p, lua_State *L)
{
    int t = lua_gettop(L);
    plan_run_t *r = &p->run;
    r->given = 1;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "";
        const char *v = lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER
                            ? lua_tostring(L, -1)
                            : NULL;
        if (strcmp(key, "shard") == 0) {
            unsigned i, n;
            int used = 0;
            if (!v || lua_type(L, -1) != LUA_TSTRING || sscanf(v, "%u/%u%n", &i, &n, &used) != 2 ||
                v[used] || !isdigit((unsigned char)*v))
                return fail(p, NULL, "run: shard '%s': give \"I/N\", shard I (from 0) of N",
                            value_text(L, -1));
            if (n == 0 || n > THRONG_MAX_SHARDS || i >= n)
                return fail(p, NULL, "run: shard '%s': %s", v,
                            n == 0 || n > THRONG_MAX_SHARDS ? "N must be from 1 to 100000"
                                                            : "shard must be below N");
            r->shard = i, r->shards = n;
        } else if (strcmp(key, "id") == 0) {
            if (!v || lua_type(L, -1) != LUA_TSTRING || !throng__run_id_ok(v))
                return fail(p, NULL, "run: id '%s': 1 to %d letters, digits, '.', '_', '-' or ':'",
                            value_text(L, -1), THRONG_RUN_ID_MAX);
            snprintf(r->id, sizeof r->id, "%s", v);
        } else if (strcmp(key, "start_at") == 0) {
            if (!v || throng_parse_time(v, &r->start_at) != 0)
                return fail(p, NULL,
                            "run: start_at '%s': Unix seconds or an RFC 3339 time with its zone "
                            "(2026-01-01T12:00:00Z)",
                            value_text(L, -1));
        } else {
            return fail(p, NULL, "run: unknown key '%s' (shard, id, start_at)", key);
        }
        lua_settop(L, t + 1);
    }
    return 0;
}

/* The plan's run settings onto the engine's, where the caller's config
 * (the command line's flags) left them unset. */
static int apply_run(throng_engine_t *e, const plan_t *p)
{
    const plan_run_t *r = &p->run;
    if (!r->given) return 0;
    if (r->shards && e->cfg.shards <= 1) e->cfg.shard = r->shard, e->cfg.shards = r->shards;
    if (r->start_at > 0 && e->cfg.start_at <= 0) e->cfg.start_at = r->start_at;
    if (r->id[0] && !e->cfg.run_id) {
        if (!(e->run_id_own = strdup(r->id)))
            return throng__fail(e->errmsg, THRONG_ENOMEM, "out of memory");
        e->cfg.run_id = e->run_id_own;
    }
    return 0;
}

/* Every group of the plan table at the stack top: a list of tables with a
 * name each, or a table of named tables (taken in name order). */
static int read_plan(plan_t *p, lua_State *L, const throng_group_t *defaults)
{
    int t = lua_gettop(L);
    p->groups = calloc(MAX_GROUPS, sizeof *p->groups);
    if (!p->groups) return throng__fail(p->err, THRONG_ENOMEM, "out of memory");
    int listed = lua_objlen(L, t) > 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        char name[96];
        if (!listed && is_run_table(L)) {
            if (p->run.given) return fail(p, NULL, "two run tables");
            int rc = read_run(p, L);
            if (rc) return rc;
            lua_settop(L, t + 1);
            continue;
        }
        if (p->ngroups == MAX_GROUPS) return fail(p, NULL, "more than %d groups", MAX_GROUPS);
        if (listed) {
            if (!lua_istable(L, -1)) return fail(p, NULL, "a list of groups holds tables");
            lua_getfield(L, -1, "name");
            if (lua_type(L, -1) != LUA_TSTRING)
                return fail(p, NULL, "group %d of the list has no name", (int)lua_tonumber(L, -3));
            snprintf(name, sizeof name, "%s", lua_tostring(L, -1));
            lua_pop(L, 1);
        } else {
            if (lua_type(L, -2) != LUA_TSTRING)
                return fail(p, NULL, "groups are named: name = { persona = ..., ... }");
            snprintf(name, sizeof name, "%s", lua_tostring(L, -2));
        }
        for (unsigned i = 0; i < p->ngroups; i++)
            if (!strcmp(p->groups[i].name, name))
                return fail(p, NULL, "two groups named '%s'", name);
        int rc = read_group(p, &p->groups[p->ngroups++], L, name, defaults);
        if (rc) return rc;
        lua_settop(L, t + 1);
    }
    if (p->ngroups == 0) return fail(p, NULL, "no group in the plan");
    if (!listed) qsort(p->groups, p->ngroups, sizeof *p->groups, name_order);
    for (unsigned i = 0; i < p->ngroups; i++)
        repoint(&p->groups[i]);
    return 0;
}

static void free_plan(plan_t *p)
{
    for (unsigned i = 0; p->groups && i < p->ngroups; i++) {
        for (size_t j = 0; j < p->groups[i].nargs; j++)
            free(p->groups[i].args[j]);
        for (size_t j = 0; j < p->groups[i].nthresholds; j++)
            free(p->groups[i].thresholds[j]);
    }
    free(p->groups);
}

/* 1 when the table at the stack top is a persona, not a plan: a plan holds
 * only group tables, a persona its hooks (functions; a hook's name with
 * anything else but a table is a persona's mistake, which the persona's
 * own check names, not a plan's group). */
static int is_persona(lua_State *L)
{
    static const char *const hooks[] = {"init", "request", "response", "delay", "done", "session"};
    int yes = 0;
    lua_pushnil(L);
    while (!yes && lua_next(L, -2)) {
        yes = lua_isfunction(L, -1);
        for (size_t i = 0; !yes && i < sizeof hooks / sizeof hooks[0]; i++)
            yes = lua_type(L, -2) == LUA_TSTRING && !strcmp(lua_tostring(L, -2), hooks[i]) &&
                  !lua_istable(L, -1);
        lua_pop(L, 1);
    }
    if (yes) lua_pop(L, 1); /* the key lua_next left */
    return yes;
}

/* Runs the script in a state of its own, set up as a persona's is (its
 * throng.log lines go to the run's log); leaves its result on the stack. */
static int run_script(throng_engine_t *e, lua_State **L, const char *path)
{
    throng__lua_setup_t setup = {
        .script = path,
        .log = e->cfg.log,
        .log_data = e->cfg.log_data,
        .log_level = (int)e->cfg.log_level,
        .functions = e->functions,
        .nfunctions = e->nfunctions,
        .interruptible = e->cfg.hook_timeout > 0,
    };
    int rc = throng__lua_state_open(L, &setup, e->errmsg);
    if (rc) return rc;
    rc = luaL_loadfile(*L, path);
    if (rc == 0) {
        /* A script that never returns is stopped at the hook timeout. */
        throng__lua_guard(*L, e->cfg.hook_timeout, &e->stop_requested);
        rc = lua_pcall(*L, 0, 1, THRONG__LUA_HANDLER);
        throng__lua_unguard(*L);
    }
    if (rc != 0)
        return throng__fail(e->errmsg, rc == LUA_ERRMEM ? THRONG_ENOMEM : THRONG_ESCRIPT, "%s",
                            lua_tostring(*L, -1));
    if (!lua_istable(*L, -1))
        return throng__fail(e->errmsg, THRONG_ESCRIPT,
                            "%s must return a persona (a table of hooks) or a plan (a table of "
                            "groups), not a %s",
                            path, luaL_typename(*L, -1));
    return 0;
}

/* Adds every group of the plan read, or none. */
static int add_plan(throng_engine_t *e, const plan_t *p)
{
    unsigned ngroups = e->ngroups, nthresholds = e->nthresholds;
    for (unsigned i = 0; i < p->ngroups; i++) {
        int rc = throng_add_group(e, &p->groups[i].g);
        if (rc == 0) continue;
        char why[THRONG__ERRMSG_LEN];
        snprintf(why, sizeof why, "%s", e->errmsg);
        throng__group_drop_after(e, ngroups, nthresholds);
        return throng__fail(e->errmsg, rc, "plan %s: %s", p->path, why);
    }
    return 0;
}

int throng_add_script(throng_engine_t *e, const char *path, const throng_group_t *defaults)
{
    if (!e || !path) return THRONG_EINVAL;
    if (atomic_load(&e->state) != THRONG__IDLE)
        return throng__fail(e->errmsg, THRONG_ESTATE, "groups are added before throng_start()");
    lua_State *L = NULL;
    int rc = run_script(e, &L, path);
    if (rc == 0 && is_persona(L)) {
        lua_close(L);
        throng_group_t g;
        if (defaults)
            g = *defaults;
        else
            throng_group_init(&g);
        g.persona = g.persona_source = NULL;
        g.persona_path = path;
        return throng_add_group(e, &g);
    }
    plan_t p = {.path = path, .err = e->errmsg};
    const char *slash = strrchr(path, '/');
    snprintf(p.dir, sizeof p.dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
    if (rc == 0) rc = read_plan(&p, L, defaults);
    if (L) lua_close(L);
    if (rc == 0) rc = add_plan(e, &p);
    if (rc == 0) rc = apply_run(e, &p);
    free_plan(&p);
    return rc;
}
