/* group.c - a group's settings: the defaults, the check that names the
 * setting that is wrong, and the engine's own copy of a group added. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine.h"
#include "core/group.h"

void throng_group_init(throng_group_t *g)
{
    if (!g) return;
    memset(g, 0, sizeof *g);
    g->clients = 10;
    g->threads = 1;
    g->request_count = 1;
    g->slow_down = 0.5;
    g->big_table = 100;
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
    for (size_t i = 0; i < g->cfg.nargs && g->args; i++)
        free(g->args[i]);
    free(g->args);
}

/* Checks a group's settings; names the one that is wrong. */
static int check_group(throng_engine_t *e, const throng_group_t *g)
{
    int sources = !!g->persona + !!g->persona_path + !!g->persona_source;
    if (sources > 1)
        return throng__fail(e->errmsg, THRONG_EINVAL,
                            "a group names its persona once: persona, persona_path or "
                            "persona_source");
    if (g->clients == 0)
        return throng__fail(e->errmsg, THRONG_EINVAL, "clients must be at least 1");
    if (g->threads == 0)
        return throng__fail(e->errmsg, THRONG_EINVAL, "threads must be at least 1");
    if (g->request_count == 0)
        return throng__fail(e->errmsg, THRONG_EINVAL, "request_count must be at least 1");
    if (!(g->slow_down >= 0))
        return throng__fail(e->errmsg, THRONG_EINVAL, "slow_down must not be negative");
    if (g->big_table == 0)
        return throng__fail(e->errmsg, THRONG_EINVAL, "big_table must be at least 1");
    if (g->nargs && !g->args) return throng__fail(e->errmsg, THRONG_EINVAL, "nargs without args");
    for (size_t i = 0; i < g->nargs; i++)
        if (!g->args[i]) return throng__fail(e->errmsg, THRONG_EINVAL, "args[%zu] is NULL", i);
    for (size_t i = 0; i < g->nthresholds && g->thresholds; i++)
        if (!g->thresholds[i])
            return throng__fail(e->errmsg, THRONG_EINVAL, "thresholds[%zu] is NULL", i);
    if (g->processes > 4096)
        return throng__fail(e->errmsg, THRONG_EINVAL, "processes must be at most 4096");
    if (!(g->start_delay >= 0) || !(g->duration >= 0))
        return throng__fail(e->errmsg, THRONG_EINVAL,
                            "start_delay and duration must not be "
                            "negative");
    if (g->nthresholds && !g->thresholds)
        return throng__fail(e->errmsg, THRONG_EINVAL, "nthresholds without thresholds");
    return 0;
}

int throng_add_group(throng_engine_t *e, const throng_group_t *g)
{
    if (!e) return THRONG_EINVAL;
    if (!g) return throng__fail(e->errmsg, THRONG_EINVAL, "no group (NULL)");
    if (atomic_load(&e->state) != THRONG__IDLE)
        return throng__fail(e->errmsg, THRONG_ESTATE, "groups are added before throng_start()");
    int rc = check_group(e, g);
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
    if (g->nargs && !(ng->args = calloc(g->nargs, sizeof *ng->args))) failed = 1;
    for (size_t i = 0; i < g->nargs && ng->args; i++)
        ng->args[i] = dup_or_null(g->args[i], &failed);
    ng->cfg.args = (const char *const *)ng->args;
    if (failed) {
        throng__group_free(ng);
        return throng__fail(e->errmsg, THRONG_ENOMEM, "out of memory adding a group");
    }
    /* Every threshold is checked before any is kept, so a bad one adds nothing. */
    throng__threshold_t t;
    for (size_t i = 0; i < g->nthresholds; i++) {
        if (throng__threshold_parse(g->thresholds[i], &t, e->errmsg) != 0) {
            throng__group_free(ng);
            return THRONG_EINVAL;
        }
    }
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
    const char *label = g->name             ? g->name
                        : g->persona_path   ? g->persona_path
                        : g->persona_source ? "persona source"
                        : g->persona        ? g->persona
                                            : "table";
    snprintf(ng->label, sizeof ng->label, "%s", label);
    e->ngroups++;
    return 0;
}
