/* shard.c - one run in N shards: each shard runs an equal part of every
 * group's load, the parts adding up exactly to the whole, with a seed of
 * its own derived from the run's, under the run's one identity, so that
 * shards started apart (Kubernetes pods, MPI ranks) agree without talking
 * and their reports merge into the whole run's (report_merge.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/engine.h"
#include "core/group.h"
#include "core/shard.h"
#include "util/rng.h"

uint64_t throng__share(uint64_t n, unsigned parts, unsigned i, uint64_t *from)
{
    if (parts == 0) parts = 1;
    uint64_t base = n / parts, extra = n % parts;
    if (from) *from = i * base + (i < extra ? i : extra);
    return base + (i < extra);
}

void throng__shard_group(const throng_group_t *whole, unsigned gi, unsigned shard, unsigned shards,
                         throng_group_t *part, throng_stage_t *stages, uint64_t *from)
{
    *part = *whole;
    *from = 0;
    if (shards <= 1) return;
    /* The group's index turns the larger shares round the shards: three
     * groups of one client run on three shards, not all on the first. */
    unsigned k = (shard + gi) % shards;
    part->clients = (unsigned)throng__share(whole->clients, shards, k, from);
    part->rate = whole->rate / shards;
    if (whole->max_clients) {
        unsigned cap = (unsigned)throng__share(whole->max_clients, shards, k, NULL);
        unsigned threads = whole->threads ? whole->threads : 1;
        /* Each worker thread of the shard takes a client at least. */
        part->max_clients = cap > threads ? cap : threads;
    }
    if (whole->nstages) {
        double peak = 0;
        for (size_t s = 0; s < whole->nstages; s++) {
            stages[s] = whole->stages[s];
            if (whole->stages_rate)
                stages[s].target = whole->stages[s].target / shards;
            else
                stages[s].target =
                    (double)throng__share((uint64_t)whole->stages[s].target, shards, k, NULL);
            if (stages[s].target > peak) peak = stages[s].target;
        }
        part->stages = stages;
        if (!whole->stages_rate) part->clients = (unsigned)peak;
    }
}

uint64_t throng__shard_seed(uint64_t run_seed, unsigned shard, unsigned shards)
{
    if (shards <= 1) return run_seed;
    uint64_t s = throng__mix64(run_seed ^ throng__mix64(0x5348415244ULL + shard)); /* "SHARD" */
    return (s & THRONG_MAX_SEED) | 1;
}

static int sharded(const throng_engine_t *e)
{
    return e->cfg.shards > 1;
}

int throng__shard_divide(throng_engine_t *e)
{
    unsigned shards = sharded(e) ? e->cfg.shards : 1, shard = sharded(e) ? e->cfg.shard : 0;
    for (unsigned gi = 0; gi < e->ngroups; gi++) {
        throng__group_t *g = &e->groups[gi];
        if (g->whole.nstages && !g->stages_part &&
            !(g->stages_part = malloc(g->whole.nstages * sizeof *g->stages_part)))
            return throng__fail(e->errmsg, THRONG_ENOMEM, "out of memory");
        throng_group_t part;
        throng__shard_group(&g->whole, gi, shard, shards, &part, g->stages_part, &g->shard_from);
        /* Only the load changes: the rest of cfg is the engine's own copy. */
        g->cfg.clients = part.clients;
        g->cfg.rate = part.rate;
        g->cfg.max_clients = part.max_clients;
        g->cfg.stages = part.stages;
    }
    e->max_requests = throng__share(e->cfg.max_requests, shards, shard, NULL);
    return 0;
}

/* ---------------------------------------------------------- identity */

int throng__run_id_ok(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > THRONG_RUN_ID_MAX) return 0;
    for (; *id; id++)
        if (!((*id >= 'a' && *id <= 'z') || (*id >= 'A' && *id <= 'Z') ||
              (*id >= '0' && *id <= '9') || strchr("._-:", *id)))
            return 0;
    return 1;
}

/* FNV-1a over the run's settings, the shard left out. */
typedef struct hash {
    uint64_t h;
} hash_t;

static void hash_bytes(hash_t *h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h->h = (h->h ^ b[i]) * 0x100000001b3ULL;
}

static void hash_str(hash_t *h, const char *s)
{
    hash_bytes(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

static void hash_num(hash_t *h, double v)
{
    hash_bytes(h, &v, sizeof v);
}

static uint64_t settings_hash(const throng_engine_t *e)
{
    hash_t h = {0xcbf29ce484222325ULL};
    const throng_config_t *c = &e->cfg;
    hash_str(&h, c->server);
    hash_num(&h, c->duration);
    hash_num(&h, (double)c->max_requests);
    hash_num(&h, c->timeout);
    hash_num(&h, (double)c->on_fault);
    hash_num(&h, c->once);
    hash_num(&h, sharded(e) ? c->shards : 1);
    hash_num(&h, (double)c->seed);
    for (unsigned gi = 0; gi < e->ngroups; gi++) {
        const throng_group_t *g = &e->groups[gi].whole;
        hash_str(&h, e->groups[gi].label);
        hash_str(&h, g->persona);
        hash_str(&h, g->persona_path);
        hash_str(&h, g->persona_source);
        hash_str(&h, g->server);
        double nums[] = {g->clients,     g->threads,  g->request_count, g->slow_down,
                         g->start_delay, g->duration, g->rate,          g->max_clients,
                         g->arrivals,    g->ramp_up,  g->stages_rate,   (double)g->nstages};
        hash_bytes(&h, nums, sizeof nums);
        for (size_t i = 0; i < g->nstages; i++) {
            hash_num(&h, g->stages[i].duration);
            hash_num(&h, g->stages[i].target);
        }
        for (size_t i = 0; i < g->nargs; i++)
            hash_str(&h, g->args[i]);
    }
    for (unsigned i = 0; i < e->nthresholds; i++)
        hash_str(&h, e->thresholds[i].expression);
    return h.h;
}

void throng__shard_identity(throng_engine_t *e)
{
    uint64_t settings = settings_hash(e);
    if (e->cfg.seed) {
        e->run_seed = e->cfg.seed;
    } else if (sharded(e)) {
        /* Every shard must draw the same: from the run's identity. */
        hash_t h = {settings};
        if (e->cfg.run_id) hash_str(&h, e->cfg.run_id);
        e->run_seed = (throng__mix64(h.h) & THRONG_MAX_SEED) | 1;
    } else {
        e->run_seed = (throng__fresh_seed() & THRONG_MAX_SEED) | 1;
    }
    e->seed = throng__shard_seed(e->run_seed, e->cfg.shard, e->cfg.shards);
    if (e->cfg.run_id)
        snprintf(e->run_id, sizeof e->run_id, "%s", e->cfg.run_id);
    else
        snprintf(e->run_id, sizeof e->run_id, "run-%016llx",
                 (unsigned long long)throng__mix64(settings ^ e->run_seed));
}
