/* report_json.c - the whole report of a run as a JSON document (format
 * "throng-report", version 1; docs/report.md). The text and HTML reports
 * are drawn from this document, so `throng report FILE.json` shows exactly
 * what the run showed. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "report/report_json.h"
#include "util/fault.h"
#include "util/http.h"

static const char *const ending_names[] = {"none",    "duration", "requests",  "clients",
                                           "stopped", "once",     "processes", "finished"};

const char *throng__ending_name(throng_ending_t e)
{
    return (unsigned)e < sizeof ending_names / sizeof ending_names[0] ? ending_names[e] : "none";
}

const char *throng__ending_text(throng_ending_t e)
{
    switch (e) {
    case THRONG_END_DURATION:
        return "duration reached";
    case THRONG_END_REQUESTS:
        return "request limit reached";
    case THRONG_END_CLIENTS:
        return "number of clients declined to zero";
    case THRONG_END_STOPPED:
        return "aborted";
    case THRONG_END_ONCE:
        return "every client ran its one session";
    case THRONG_END_PROCESSES:
        return "every worker process has ended";
    case THRONG_END_FINISHED:
        return "stopped by throng stop (in-flight requests cancelled)";
    default:
        return "running";
    }
}

/* A histogram: its summary in seconds, its sum, and every non-empty bucket. */
static cJSON *hist_json(const throng__hist_t *h)
{
    cJSON *j = cJSON_CreateObject();
    uint64_t count = throng__hist_count(h);
    cJSON_AddNumberToObject(j, "count", (double)count);
    cJSON_AddNumberToObject(j, "min", (double)throng__hist_min(h) * 1e-9);
    cJSON_AddNumberToObject(j, "mean", throng__hist_mean(h) * 1e-9);
    cJSON_AddNumberToObject(j, "max", (double)throng__hist_max(h) * 1e-9);
    cJSON_AddNumberToObject(j, "p50", (double)throng__hist_percentile(h, 50) * 1e-9);
    cJSON_AddNumberToObject(j, "p90", (double)throng__hist_percentile(h, 90) * 1e-9);
    cJSON_AddNumberToObject(j, "p99", (double)throng__hist_percentile(h, 99) * 1e-9);
    cJSON_AddNumberToObject(j, "p999", (double)throng__hist_percentile(h, 99.9) * 1e-9);
    cJSON_AddNumberToObject(j, "sum_ns", throng__hist_mean(h) * (double)count);
    cJSON *buckets = cJSON_AddArrayToObject(j, "buckets");
    size_t index = 0;
    uint64_t lo, hi, n;
    while (throng__hist_next(h, &index, &lo, &hi, &n)) {
        double cell[3] = {(double)lo, (double)hi, (double)n};
        cJSON_AddItemToArray(buckets, cJSON_CreateDoubleArray(cell, 3));
    }
    return j;
}

static cJSON *faults_json(const uint64_t *faults, const char (*sample)[THRONG_SAMPLE_LEN])
{
    cJSON *j = cJSON_CreateObject();
    for (int k = 0; k < THRONG_FAULT_KINDS; k++) {
        if (!faults[k]) continue;
        cJSON *f = cJSON_AddObjectToObject(j, throng__fault_names[k]);
        cJSON_AddNumberToObject(f, "count", (double)faults[k]);
        cJSON_AddStringToObject(f, "sample", sample[k]);
    }
    return j;
}

static cJSON *codes_json(const uint64_t *codes)
{
    cJSON *j = cJSON_CreateObject();
    for (unsigned c = 0; c < THRONG__STATUS_CODES; c++) {
        if (!codes[c]) continue;
        char key[8];
        snprintf(key, sizeof key, "%u", c);
        cJSON_AddNumberToObject(j, key, (double)codes[c]);
    }
    return j;
}

/* The ledger of a statistics object: sent = requests + faulted +
 * cancelled + in_flight (stats/stats.h). */
typedef struct ledger {
    uint64_t sent, requests, faulted, cancelled, in_flight;
} ledger_t;

/* The fields every statistics object has (docs/report.md). */
static void add_common(cJSON *j, const ledger_t *l, const uint64_t *faults, uint64_t bytes_sent,
                       uint64_t bytes_received, double elapsed)
{
    cJSON_AddNumberToObject(j, "requests", (double)l->requests);
    cJSON_AddNumberToObject(j, "rate", elapsed > 0 ? (double)l->requests / elapsed : 0);
    cJSON_AddNumberToObject(j, "sent", (double)l->sent);
    cJSON_AddNumberToObject(j, "faulted", (double)l->faulted);
    cJSON_AddNumberToObject(j, "cancelled", (double)l->cancelled);
    cJSON_AddNumberToObject(j, "in_flight", (double)l->in_flight);
    cJSON_AddNumberToObject(j, "failures", (double)throng__faults_failures(faults));
    cJSON_AddNumberToObject(j, "bytes_sent", (double)bytes_sent);
    cJSON_AddNumberToObject(j, "bytes_received", (double)bytes_received);
}

static cJSON *stats_json(const throng__stats_t *s, double elapsed)
{
    cJSON *j = cJSON_CreateObject();
    ledger_t l = {s->n.sent, s->n.requests, s->n.faulted, s->n.cancelled, s->n.in_flight};
    add_common(j, &l, s->n.faults, s->n.bytes_sent, s->n.bytes_received, elapsed);
    cJSON_AddNumberToObject(j, "arrivals", (double)s->n.arrivals);
    cJSON_AddNumberToObject(j, "dropped", (double)s->n.dropped);
    cJSON_AddItemToObject(j, "faults", faults_json(s->n.faults, s->sample));
    cJSON_AddItemToObject(j, "status", codes_json(s->codes));
    cJSON_AddItemToObject(j, "latency", hist_json(&s->latency));
    cJSON_AddItemToObject(j, "service", hist_json(&s->service));
    /* Only where an expected interval was set: an empty "corrected" would
     * read as a corrected distribution with nothing in it. */
    if (s->expected_interval_ns || throng__hist_count(&s->corrected))
        cJSON_AddItemToObject(j, "corrected", hist_json(&s->corrected));
    cJSON_AddNumberToObject(j, "expected_interval", (double)s->expected_interval_ns * 1e-9);
    cJSON_AddItemToObject(j, "ttfb", hist_json(&s->ttfb));
    cJSON_AddItemToObject(j, "connect", hist_json(&s->connect));
    cJSON_AddItemToObject(j, "tls", hist_json(&s->tls));
    return j;
}

static cJSON *name_json(const throng__name_stats_t *ns, double elapsed)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "name", ns->name);
    ledger_t l = {ns->sent, ns->requests, ns->faulted, ns->cancelled, ns->in_flight};
    add_common(j, &l, ns->faults, ns->bytes_sent, ns->bytes_received, elapsed);
    cJSON_AddItemToObject(j, "faults", faults_json(ns->faults, ns->sample));
    cJSON_AddItemToObject(j, "status", codes_json(ns->codes));
    cJSON_AddItemToObject(j, "latency", hist_json(&ns->latency));
    cJSON_AddItemToObject(j, "ttfb", hist_json(&ns->ttfb));
    return j;
}

/* A transaction name: count, failures, rate and wall times. */
static cJSON *txn_json(const throng__txn_stats_t *t, double elapsed)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "name", t->name);
    cJSON_AddNumberToObject(j, "count", (double)t->count);
    cJSON_AddNumberToObject(j, "failures", (double)t->failures);
    cJSON_AddNumberToObject(j, "rate", elapsed > 0 ? (double)t->count / elapsed : 0);
    cJSON_AddItemToObject(j, "latency", hist_json(&t->latency));
    return j;
}

static cJSON *check_json(const throng__check_stats_t *c)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "name", c->name);
    cJSON_AddNumberToObject(j, "passes", (double)c->passes);
    cJSON_AddNumberToObject(j, "fails", (double)c->fails);
    return j;
}

/* The group's load model as configured (docs/load-models.md). */
static cJSON *load_json(const throng_group_t *c)
{
    cJSON *j = cJSON_CreateObject();
    int open = c && (c->rate > 0 || (c->stages_rate && c->nstages > 0));
    cJSON_AddStringToObject(j, "model", open ? "open" : "closed");
    cJSON_AddNumberToObject(j, "rate", c ? c->rate : 0);
    cJSON_AddStringToObject(j, "arrivals",
                            c && c->arrivals == THRONG_ARRIVALS_POISSON ? "poisson" : "uniform");
    cJSON_AddNumberToObject(j, "max_clients", c ? c->max_clients : 0);
    cJSON *stages = cJSON_AddArrayToObject(j, "stages");
    for (size_t i = 0; c && c->stages && i < c->nstages; i++) {
        cJSON *st = cJSON_CreateObject();
        cJSON_AddNumberToObject(st, "duration", c->stages[i].duration);
        cJSON_AddNumberToObject(st, "target", c->stages[i].target);
        cJSON_AddItemToArray(stages, st);
    }
    cJSON_AddBoolToObject(j, "stages_rate", c && c->stages_rate);
    cJSON_AddNumberToObject(j, "ramp_up", c ? c->ramp_up : 0);
    cJSON_AddNumberToObject(j, "expected_interval", c ? c->expected_interval : 0);
    return j;
}

static cJSON *series_json(const throng__series_t *s, double elapsed);

/* The group's own seconds (series holds none: an empty list). */
static cJSON *group_json(const throng__report_group_t *g, const throng__series_t *series,
                         double elapsed)
{
    const throng__stats_t *s = g->stats;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "name", g->name);
    cJSON_AddStringToObject(j, "persona", g->persona);
    cJSON_AddStringToObject(j, "server", g->server);
    cJSON_AddStringToObject(j, "style", g->style);
    cJSON_AddNumberToObject(j, "clients", g->clients);
    cJSON_AddNumberToObject(j, "processes", g->processes);
    cJSON_AddNumberToObject(j, "threads", g->threads);
    cJSON_AddNumberToObject(j, "request_count", g->request_count);
    cJSON_AddNumberToObject(j, "slow_down", g->slow_down);
    cJSON_AddItemToObject(j, "load", load_json(g->load));
    cJSON_AddNumberToObject(j, "sessions", (double)s->n.sessions);
    cJSON_AddNumberToObject(j, "connects", (double)s->n.connects);
    cJSON_AddNumberToObject(j, "tls_handshakes", (double)s->n.tls_handshakes);
    cJSON_AddNumberToObject(j, "tls_resumed", (double)s->n.tls_resumed);
    cJSON_AddNumberToObject(j, "unsolicited", (double)s->n.unsolicited);
    cJSON_AddNumberToObject(j, "clients_active", (double)s->n.clients_active);
    cJSON_AddNumberToObject(j, "clients_faulted", (double)s->n.clients_faulted);
    cJSON_AddNumberToObject(j, "clients_finished", (double)s->n.clients_finished);
    cJSON_AddNumberToObject(j, "cancelled", (double)s->n.cancelled);
    cJSON_AddItemToObject(j, "totals", stats_json(s, elapsed));
    cJSON *names = cJSON_AddArrayToObject(j, "names");
    for (unsigned i = 0; i < s->nnames; i++)
        cJSON_AddItemToArray(names, name_json(s->names[i], elapsed));
    cJSON *txns = cJSON_AddArrayToObject(j, "transactions");
    for (unsigned i = 0; i < s->ntxns; i++)
        cJSON_AddItemToArray(txns, txn_json(s->txns[i], elapsed));
    cJSON *checks = cJSON_AddArrayToObject(j, "checks");
    for (unsigned i = 0; i < s->nchecks; i++)
        cJSON_AddItemToArray(checks, check_json(&s->checks[i]));
    static const throng__series_t none;
    cJSON_AddItemToObject(j, "series", series_json(series ? series : &none, elapsed));
    return j;
}

static cJSON *settings_json(const throng__report_view_t *v)
{
    const throng_config_t *c = v->config;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "duration", c->duration);
    cJSON_AddNumberToObject(j, "max_requests", (double)v->max_requests);
    cJSON_AddNumberToObject(j, "timeout", c->timeout);
    cJSON_AddNumberToObject(j, "connect_timeout", c->connect_timeout);
    cJSON_AddNumberToObject(j, "max_body",
                            (double)(c->max_body ? c->max_body : THRONG__HTTP_MAX_BODY));
    cJSON_AddStringToObject(j, "on_fault",
                            c->on_fault == THRONG_ON_FAULT_RESTART ? "restart" : "drop");
    cJSON_AddNumberToObject(j, "processes", c->processes);
    cJSON_AddBoolToObject(j, "once", c->once);
    cJSON_AddBoolToObject(j, "insecure", c->insecure);
    cJSON_AddBoolToObject(j, "tls_resume", c->tls_resume);
    cJSON_AddNumberToObject(j, "seed", (double)v->seed);
    return j;
}

static cJSON *series_json(const throng__series_t *s, double elapsed)
{
    cJSON *j = cJSON_CreateArray();
    for (size_t i = 0; i < s->npoints; i++) {
        const throng__point_t *p = &s->points[i];
        /* A second begun as the run stopped holds nothing worth a point. */
        if ((double)(p->t - 1) >= elapsed - 0.01 && !p->requests && !p->failures && !p->arrivals)
            continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "t", (double)p->t);
        cJSON_AddNumberToObject(o, "requests", (double)p->requests);
        cJSON_AddNumberToObject(o, "failures", (double)p->failures);
        cJSON_AddNumberToObject(o, "mean", p->mean);
        cJSON_AddNumberToObject(o, "p50", p->p50);
        cJSON_AddNumberToObject(o, "p90", p->p90);
        cJSON_AddNumberToObject(o, "p99", p->p99);
        cJSON_AddNumberToObject(o, "max", p->max);
        cJSON_AddNumberToObject(o, "target", p->target);
        cJSON_AddNumberToObject(o, "achieved", p->achieved);
        cJSON_AddNumberToObject(o, "active", (double)p->active);
        cJSON_AddNumberToObject(o, "arrivals", (double)p->arrivals);
        cJSON_AddNumberToObject(o, "dropped", (double)p->dropped);
        cJSON_AddItemToArray(j, o);
    }
    return j;
}

static cJSON *thresholds_json(const throng__report_view_t *v)
{
    cJSON *j = cJSON_CreateArray();
    for (unsigned i = 0; i < v->nthresholds; i++) {
        const throng__threshold_t *t = &v->thresholds[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "expression", t->expression);
        if (t->group >= 0 && (unsigned)t->group < v->ngroups)
            cJSON_AddStringToObject(o, "group", v->groups[t->group].name);
        else
            cJSON_AddNullToObject(o, "group");
        if (t->name[0])
            cJSON_AddStringToObject(o, "name", t->name);
        else
            cJSON_AddNullToObject(o, "name");
        cJSON_AddStringToObject(o, "metric", t->metric_text);
        cJSON_AddStringToObject(o, "op", t->op);
        cJSON_AddNumberToObject(o, "limit", t->limit);
        if (t->measured)
            cJSON_AddNumberToObject(o, "value", t->value);
        else
            cJSON_AddNullToObject(o, "value");
        cJSON_AddBoolToObject(o, "passed", t->passed);
        if (t->note[0]) cJSON_AddStringToObject(o, "note", t->note);
        cJSON_AddItemToArray(j, o);
    }
    return j;
}

static void add_header(cJSON *j, const throng__report_view_t *v, const throng_report_t *r)
{
    char when[32];
    struct tm tm;
    gmtime_r(&v->started_wall, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON_AddStringToObject(j, "format", "throng-report");
    cJSON_AddNumberToObject(j, "version", 1);
    cJSON_AddStringToObject(j, "throng", THRONG_VERSION_STRING);
    cJSON_AddStringToObject(j, "started_at", when);
    cJSON_AddNumberToObject(j, "elapsed", r->elapsed);
    cJSON_AddStringToObject(j, "ending", throng__ending_name(r->ending));
    cJSON_AddStringToObject(j, "ending_text", throng__ending_text(r->ending));
    cJSON *run = cJSON_AddObjectToObject(j, "run");
    cJSON_AddStringToObject(run, "id", v->run_id ? v->run_id : "");
    cJSON_AddNumberToObject(run, "shard", v->shards > 1 ? v->shard : 0);
    cJSON_AddNumberToObject(run, "shards", v->shards > 1 ? v->shards : 1);
    cJSON_AddNumberToObject(run, "start", v->run_start);
}

cJSON *throng__report_json(const throng__report_view_t *v)
{
    const throng_report_t *r = v->report;
    cJSON *j = cJSON_CreateObject();
    if (!j) return NULL;
    add_header(j, v, r);
    cJSON_AddItemToObject(j, "settings", settings_json(v));
    cJSON *groups = cJSON_AddArrayToObject(j, "groups");
    for (unsigned g = 0; g < v->ngroups; g++)
        cJSON_AddItemToArray(
            groups, group_json(&v->groups[g], v->series ? throng__series_group(v->series, g) : NULL,
                               r->elapsed));
    cJSON_AddItemToObject(j, "totals", stats_json(v->total, r->elapsed));
    cJSON_AddItemToObject(j, "series", series_json(v->series, r->elapsed));
    cJSON_AddItemToObject(j, "thresholds", thresholds_json(v));
    cJSON *procs = cJSON_AddObjectToObject(j, "processes");
    cJSON_AddNumberToObject(procs, "started", (double)r->processes);
    cJSON_AddNumberToObject(procs, "lost", (double)r->processes_lost);
    cJSON_AddStringToObject(procs, "sample", r->process_sample);
    cJSON *threads = cJSON_AddObjectToObject(j, "threads");
    cJSON_AddNumberToObject(threads, "abandoned", (double)r->threads_abandoned);
    cJSON_AddStringToObject(threads, "sample", r->thread_sample);
    return j;
}
