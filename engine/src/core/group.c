/* group.c - a group's settings: the defaults, the check that names the
 * setting that is wrong, and the engine's own copy of a group added. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine.h"
#include "core/group.h"
#include "lua/persona.h"
#include "util/source.h"

void throng_group_init(throng_group_t *g)
{
    if (!g) return;
    memset(g, 0, sizeof *g);
    g->clients = 10;
    g->threads = 1;
    g->request_count = 1;
    g->slow_down = 0.5;
}

static const throng__group_limit_t limits[] = {
    {"clients", 1, THRONG_MAX_CLIENTS},
    {"threads", 1, THRONG_MAX_THREADS},
    {"processes", 0, THRONG_MAX_PROCESSES},
    {"request_count", 1, THRONG_MAX_REQUEST_COUNT},
};

const throng__group_limit_t *throng__group_limit(const char *key)
{
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++)
        if (strcmp(limits[i].key, key) == 0) return &limits[i];
    return NULL;
}

const char *throng__group_label(const throng_group_t *g)
{
    return g->name             ? g->name
           : g->persona_path   ? g->persona_path
           : g->persona_source ? "persona source"
           : g->persona        ? g->persona
                               : "table";
}

static char *dup_or_null(const char *s, int *failed)
{
    if (!s) return NULL;
    char *d = strdup(s);
    if (!d) *failed = 1;
    return d;
}

void throng__group_free(throng__group_t *g)
{
    free((char *)g->cfg.name);
    free((char *)g->cfg.persona);
    free((char *)g->cfg.persona_path);
    free((char *)g->cfg.persona_source);
    free((char *)g->cfg.server);
    free((char *)g->cfg.source);
    throng__sources_free(&g->set.sources);
    free(g->stages_part);
    free((void *)(g->whole.clients ? g->whole.stages : g->cfg.stages));
    for (size_t i = 0; i < g->cfg.nargs && g->args; i++)
        free(g->args[i]);
    free(g->args);
}

void throng__group_drop_after(throng_engine_t *e, unsigned ngroups, unsigned nthresholds)
{
    while (e->ngroups > ngroups)
        throng__group_free(&e->groups[--e->ngroups]);
    if (e->nthresholds > nthresholds) e->nthresholds = nthresholds;
}

/* Says what is wrong with the group g, naming it and the key. */
static int refuse(char *err, const throng_group_t *g, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int refuse(char *err, const throng_group_t *g, const char *fmt, ...)
{
    char why[THRONG__ERRMSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return throng__fail(err, THRONG_EINVAL, "group '%s': %s", throng__group_label(g), why);
}

/* A count against its limits. */
static int check_count(char *err, const throng_group_t *g, const char *key, unsigned v)
{
    const throng__group_limit_t *l = throng__group_limit(key);
    if (v >= l->min && v <= l->max) return 0;
    return refuse(err, g, "%s must be a whole number from %u to %u, not %u", key, l->min, l->max,
                  v);
}

/* Seconds: finite and not negative. */
static int check_seconds(char *err, const throng_group_t *g, const char *key, double v)
{
    if (v >= 0 && isfinite(v)) return 0;
    return refuse(err, g, "%s must be seconds, not negative, not %g", key, v);
}

/* The load model's settings: one model, and each setting with its own. */
static int check_load(char *err, const throng_group_t *g)
{
    int rc, open = g->rate > 0 || (g->nstages && g->stages_rate);
    if (!(g->rate >= 0 && g->rate <= THRONG_MAX_RATE))
        return refuse(err, g, "rate must be arrivals per second from 0 to %g, not %g",
                      (double)THRONG_MAX_RATE, g->rate);
    if ((rc = check_seconds(err, g, "ramp_up", g->ramp_up)) ||
        (rc = check_seconds(err, g, "expected_interval", g->expected_interval)))
        return rc;
    if (g->nstages > THRONG_MAX_STAGES)
        return refuse(err, g, "stages: %zu stages, at most %d", g->nstages, THRONG_MAX_STAGES);
    if (g->nstages && !g->stages)
        return refuse(err, g, "stages: nstages is %zu, stages NULL", g->nstages);
    double total = 0;
    for (size_t i = 0; i < g->nstages; i++) {
        const throng_stage_t *st = &g->stages[i];
        if (!(st->duration >= 0 && isfinite(st->duration)))
            return refuse(err, g, "stage %zu: the duration must be seconds, not %g", i + 1,
                          st->duration);
        double most = g->stages_rate ? THRONG_MAX_RATE : THRONG_MAX_CLIENTS;
        if (!(st->target >= 0 && st->target <= most))
            return refuse(err, g, "stage %zu: the target must be from 0 to %g %s, not %g", i + 1,
                          most, g->stages_rate ? "arrivals per second" : "clients", st->target);
        if (!g->stages_rate && st->target != floor(st->target))
            return refuse(err, g, "stage %zu: %g clients is not a whole number", i + 1, st->target);
        total += st->duration;
    }
    if (g->nstages && total <= 0) return refuse(err, g, "stages: they last no time");
    if (g->nstages && !g->stages_rate && throng__group_peak(g) < 1)
        return refuse(err, g, "stages: no stage has a client");
    if (g->rate > 0 && g->nstages)
        return refuse(err, g,
                      "rate and stages: give one (a rate, or stages of rates such as 30s:500/s)");
    if (!open && g->max_clients)
        return refuse(err, g, "max_clients is the open model's (with a rate or stages of rates)");
    if (!open && g->arrivals != THRONG_ARRIVALS_UNIFORM)
        return refuse(err, g, "arrivals is the open model's (with a rate or stages of rates)");
    if (g->arrivals != THRONG_ARRIVALS_UNIFORM && g->arrivals != THRONG_ARRIVALS_POISSON)
        return refuse(err, g, "arrivals must be uniform or poisson");
    if (open && g->max_clients && g->clients > g->max_clients)
        return refuse(err, g,
                      "clients (%u, the pool the open model starts with) is more than "
                      "max_clients (%u)",
                      g->clients, g->max_clients);
    if (g->max_clients > THRONG_MAX_CLIENTS)
        return refuse(err, g, "max_clients must be at most %u, not %u", THRONG_MAX_CLIENTS,
                      g->max_clients);
    if (g->ramp_up > 0 && (open || g->nstages))
        return refuse(err, g,
                      "ramp_up starts a fixed number of clients: with %s, the stages say how the "
                      "load ramps",
                      open ? "an open model" : "stages");
    if (g->expected_interval > 0 && open)
        return refuse(err, g,
                      "expected_interval corrects the closed model: the open model's latency "
                      "already counts from each arrival's intended time");
    return 0;
}

double throng__group_peak(const throng_group_t *g)
{
    double peak = g->rate;
    for (size_t i = 0; i < g->nstages && g->stages; i++)
        if (g->stages[i].target > peak) peak = g->stages[i].target;
    return peak;
}

int throng__group_check(const throng_group_t *g, char *err)
{
    int rc, sources = !!g->persona + !!g->persona_path + !!g->persona_source;
    if (sources > 1)
        return refuse(err, g,
                      "a group names its persona once: persona, persona_path or persona_source");
    if (g->persona && !throng__persona_builtin(g->persona))
        return throng__fail(err, THRONG_EPERSONA,
                            "unknown persona '%s' (built in: " THRONG__BUILTIN_PERSONAS ")",
                            g->persona);
    if ((rc = check_count(err, g, "clients", g->clients)) ||
        (rc = check_count(err, g, "threads", g->threads)) ||
        (rc = check_count(err, g, "processes", g->processes)) ||
        (rc = check_count(err, g, "request_count", g->request_count)) ||
        (rc = check_seconds(err, g, "slow_down", g->slow_down)) ||
        (rc = check_seconds(err, g, "start_delay", g->start_delay)) ||
        (rc = check_seconds(err, g, "duration", g->duration)))
        return rc;
    if ((rc = check_load(err, g))) return rc;
    throng__sources_t src; /* parsed again, and kept, when the server is resolved */
    char bad[THRONG__ERRMSG_LEN];
    rc = throng__sources_parse(g->source, &src, bad);
    throng__sources_free(&src);
    if (rc) return refuse(err, g, "%s", bad);
    if (g->nargs && !g->args) return refuse(err, g, "args: nargs is %zu, args NULL", g->nargs);
    for (size_t i = 0; i < g->nargs; i++) {
        const char *eq = g->args[i] ? strchr(g->args[i], '=') : NULL;
        if (!g->args[i]) return refuse(err, g, "args[%zu] is NULL", i);
        if (!eq || eq == g->args[i])
            return refuse(err, g, "persona argument '%s' is not of the form key=value", g->args[i]);
    }
    if (g->nthresholds && !g->thresholds)
        return refuse(err, g, "thresholds: nthresholds is %zu, thresholds NULL", g->nthresholds);
    throng__threshold_t t;
    for (size_t i = 0; i < g->nthresholds; i++) {
        if (!g->thresholds[i]) return refuse(err, g, "thresholds[%zu] is NULL", i);
        char why[THRONG__ERRMSG_LEN];
        if (throng__threshold_parse(g->thresholds[i], &t, why) != 0)
            return refuse(err, g, "thresholds: %s", why);
    }
    return 0;
}

int throng_add_group(throng_engine_t *e, const throng_group_t *g)
{
    if (!e) return THRONG_EINVAL;
    if (!g) return throng__fail(e->errmsg, THRONG_EINVAL, "no group (NULL)");
    if (atomic_load(&e->state) != THRONG__IDLE)
        return throng__fail(e->errmsg, THRONG_ESTATE, "groups are added before throng_start()");
    int rc = throng__group_check(g, e->errmsg);
    if (rc) return rc;
    throng__group_t *groups = realloc(e->groups, (e->ngroups + 1) * sizeof *groups);
    if (!groups) return throng__fail(e->errmsg, THRONG_ENOMEM, "out of memory adding a group");
    e->groups = groups;
    throng__group_t *ng = &groups[e->ngroups];
    memset(ng, 0, sizeof *ng);
    ng->cfg = *g;
    int failed = 0;
    ng->cfg.name = dup_or_null(g->name, &failed);
    ng->cfg.persona = dup_or_null(g->persona, &failed);
    ng->cfg.persona_path = dup_or_null(g->persona_path, &failed);
    ng->cfg.persona_source = dup_or_null(g->persona_source, &failed);
    ng->cfg.server = dup_or_null(g->server, &failed);
    ng->cfg.source = dup_or_null(g->source, &failed);
    if (g->nargs && !(ng->args = calloc(g->nargs, sizeof *ng->args))) failed = 1;
    for (size_t i = 0; i < g->nargs && ng->args; i++)
        ng->args[i] = dup_or_null(g->args[i], &failed);
    ng->cfg.args = (const char *const *)ng->args;
    if (g->nstages) {
        throng_stage_t *stages = malloc(g->nstages * sizeof *stages);
        if (stages)
            memcpy(stages, g->stages, g->nstages * sizeof *stages);
        else
            failed = 1;
        ng->cfg.stages = stages;
        /* Stages of clients: the group has as many as the highest asks for. */
        if (!g->stages_rate) ng->cfg.clients = (unsigned)throng__group_peak(g);
    } else {
        ng->cfg.stages = NULL;
    }
    if (failed) {
        throng__group_free(ng);
        return throng__fail(e->errmsg, THRONG_ENOMEM, "out of memory adding a group");
    }
    throng__threshold_t t; /* every threshold parses: throng__group_check() saw to it */
    if (g->nthresholds) {
        throng__threshold_t *grown =
            realloc(e->thresholds, (e->nthresholds + g->nthresholds) * sizeof *grown);
        if (!grown) {
            throng__group_free(ng);
            return throng__fail(e->errmsg, THRONG_ENOMEM, "out of memory");
        }
        e->thresholds = grown;
        for (size_t i = 0; i < g->nthresholds; i++) {
            throng__threshold_parse(g->thresholds[i], &t, e->errmsg);
            t.group = (int)e->ngroups;
            e->thresholds[e->nthresholds++] = t;
        }
    }
    ng->cfg.thresholds = NULL; /* kept, parsed, in e->thresholds */
    ng->cfg.nthresholds = 0;
    snprintf(ng->label, sizeof ng->label, "%s", throng__group_label(g));
    ng->whole = ng->cfg; /* shard.c divides it again at each check and start */
    e->ngroups++;
    return 0;
}
