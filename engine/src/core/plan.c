/* plan.c - scripts given to throng_add_script(): a persona script becomes
 * one group; a plan, a script returning a table of named groups, becomes
 * all of them. A plan is checked whole before any group is added, and every
 * complaint names the plan, the group and the key. */
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#include "core/engine.h"
#include "lua/lua_embedded.h"
#include "lua/lua_throng.h"
#include "core/plan.h"

#define MAX_GROUPS 256

static const char *const plan_keys[] = {
    "persona", "clients",     "processes", "threads",    "request_count", "slow_down", "big_table",
    "server",  "start_delay", "duration",  "thresholds", "args",          "name",      NULL,
};

/* What one group of a plan says, with the strings it owns. */
typedef struct plan_group {
    throng_group_t g;
    char name[96];
    char persona[1024];
    char server[300];
    char *args[64];
    size_t nargs;
    char *thresholds[32];
    size_t nthresholds;
} plan_group_t;

typedef struct plan {
    const char *path;
    char dir[1024];
    plan_group_t *groups;
    unsigned ngroups;
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

/* "30s", "5m", "250ms", "1h", or a number of seconds; -1 when neither. */
static double duration_of(lua_State *L, int idx)
{
    if (lua_type(L, idx) == LUA_TNUMBER) return lua_tonumber(L, idx);
    if (lua_type(L, idx) != LUA_TSTRING) return -1;
    const char *s = lua_tostring(L, idx);
    char *end;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v) || v < 0) return -1;
    double unit = !*end || !strcmp(end, "s") ? 1
                  : !strcmp(end, "ms")       ? 1e-3
                  : !strcmp(end, "us")       ? 1e-6
                  : !strcmp(end, "m")        ? 60
                  : !strcmp(end, "h")        ? 3600
                                             : -1;
    return unit < 0 ? -1 : v * unit;
}

/* A whole number in 1..max at idx, or 0. */
static unsigned count_of(lua_State *L, int idx, double max)
{
    if (lua_type(L, idx) != LUA_TNUMBER) return 0;
    double v = lua_tonumber(L, idx);
    return v >= 1 && v <= max && v == floor(v) ? (unsigned)v : 0;
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

/* args = { key = value }: each becomes "key=value". */
static int set_args(plan_t *p, plan_group_t *pg, lua_State *L, int idx)
{
    if (!lua_istable(L, idx)) return fail(p, pg, "args must be a table of key = value");
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) != LUA_TSTRING || !(lua_isstring(L, -1) || lua_isboolean(L, -1)))
            return fail(p, pg, "args must map names to strings, numbers or booleans");
        if (pg->nargs == sizeof pg->args / sizeof pg->args[0]) return fail(p, pg, "too many args");
        const char *v =
            lua_isboolean(L, -1) ? (lua_toboolean(L, -1) ? "true" : "false") : lua_tostring(L, -1);
        size_t len = strlen(lua_tostring(L, -2)) + strlen(v) + 2;
        if (!(pg->args[pg->nargs] = malloc(len)))
            return throng__fail(p->err, THRONG_ENOMEM, "out of memory");
        snprintf(pg->args[pg->nargs++], len, "%s=%s", lua_tostring(L, -2), v);
        lua_pop(L, 1);
    }
    pg->g.args = (const char *const *)pg->args;
    pg->g.nargs = pg->nargs;
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
    if (!strcmp(key, "args")) return set_args(p, pg, L, v);
    if (!strcmp(key, "thresholds")) return set_thresholds(p, pg, L, v);
    if (!strcmp(key, "slow_down") || !strcmp(key, "start_delay") || !strcmp(key, "duration")) {
        if ((d = duration_of(L, v)) < 0)
            return fail(p, pg, "%s must be seconds or a duration such as 30s, not '%s'", key,
                        value_text(L, v));
        *(!strcmp(key, "slow_down")     ? &g->slow_down
          : !strcmp(key, "start_delay") ? &g->start_delay
                                        : &g->duration) = d;
        return 0;
    }
    double max = !strcmp(key, "clients") ? 1e6 : !strcmp(key, "big_table") ? 1e4 : 1e8;
    if (!(n = count_of(L, v, max)))
        return fail(p, pg, "%s must be a whole number from 1 to %.0f, not '%s'", key, max,
                    value_text(L, v));
    if (!strcmp(key, "clients")) g->clients = n;
    if (!strcmp(key, "processes")) g->processes = n;
    if (!strcmp(key, "threads")) g->threads = n;
    if (!strcmp(key, "request_count")) g->request_count = n;
    if (!strcmp(key, "big_table")) g->big_table = n;
    return 0;
}

static int known_key(const char *key)
{
    for (int i = 0; plan_keys[i]; i++)
        if (!strcmp(plan_keys[i], key)) return 1;
    return 0;
}

/* The group table at the stack top, named name, into pg. */
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
    pg->g.args = NULL, pg->g.nargs = 0;
    pg->g.thresholds = NULL, pg->g.nthresholds = 0;
    pg->g.name = pg->name;
    if (!lua_istable(L, t)) return fail(p, pg, "a group is a table, not a %s", luaL_typename(L, t));
    lua_pushnil(L);
    while (lua_next(L, t)) {
        if (lua_type(L, -2) != LUA_TSTRING) return fail(p, pg, "keys are names, as clients = 10");
        const char *key = lua_tostring(L, -2);
        if (!known_key(key))
            return fail(p, pg,
                        "unknown key '%s' (persona, clients, processes, threads, request_count, "
                        "slow_down, big_table, server, start_delay, duration, thresholds, args)",
                        key);
        int rc = set_key(p, pg, L, key);
        if (rc) return rc;
        lua_settop(L, t + 1); /* the key, for lua_next */
    }
    if (!pg->g.persona && !pg->g.persona_path) return fail(p, pg, "no persona");
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
    if (g->nargs) g->args = (const char *const *)pg->args;
    if (g->nthresholds) g->thresholds = (const char *const *)pg->thresholds;
}

static int name_order(const void *a, const void *b)
{
    return strcmp(((const plan_group_t *)a)->name, ((const plan_group_t *)b)->name);
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
 * only group tables, a persona its hook functions. */
static int is_persona(lua_State *L)
{
    int yes = 0;
    lua_pushnil(L);
    while (!yes && lua_next(L, -2)) {
        yes = lua_isfunction(L, -1);
        lua_pop(L, 1);
    }
    if (yes) lua_pop(L, 1); /* the key lua_next left */
    return yes;
}

/* Runs the script in a state of its own; leaves its result on the stack. */
static int run_script(lua_State *L, const char *path, char *err)
{
    luaL_openlibs(L);
    throng__lua_install_searcher(L);
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "preload");
    lua_pushcfunction(L, luaopen_throng);
    lua_setfield(L, -2, "throng");
    lua_pop(L, 2);
    throng__lua_add_script_dir(L, path);
    if (luaL_loadfile(L, path) != 0 || lua_pcall(L, 0, 1, 0) != 0)
        return throng__fail(err, THRONG_ESCRIPT, "%s", lua_tostring(L, -1));
    if (!lua_istable(L, -1))
        return throng__fail(err, THRONG_ESCRIPT,
                            "%s must return a persona (a table of hooks) or a plan (a table of "
                            "groups), not a %s",
                            path, luaL_typename(L, -1));
    return 0;
}

int throng_add_script(throng_engine_t *e, const char *path, const throng_group_t *defaults)
{
    if (!e || !path) return THRONG_EINVAL;
    lua_State *L = luaL_newstate();
    if (!L) return throng__fail(e->errmsg, THRONG_ENOMEM, "out of memory");
    int rc = run_script(L, path, e->errmsg);
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
    lua_close(L);
    /* The whole plan was read: add its groups; a group the engine refuses
     * is named as the plan's. */
    for (unsigned i = 0; rc == 0 && i < p.ngroups; i++) {
        if ((rc = throng_add_group(e, &p.groups[i].g)) != 0) {
            char why[THRONG__ERRMSG_LEN];
            snprintf(why, sizeof why, "%s", e->errmsg);
            throng__fail(e->errmsg, rc, "plan %s: group '%s': %s", path, p.groups[i].name, why);
        }
    }
    free_plan(&p);
    return rc;
}
