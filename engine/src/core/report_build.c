/* report_build.c - the report of a run: built from the merged statistics,
 * read as a struct, or handed to report/ as a description of the run to
 * write as JSON, text or HTML. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine.h"
#include "core/mpi_rank.h"
#include "core/proc.h"
#include "util/fault.h"
#include "report/render_html.h"
#include "report/render_junit.h"
#include "report/render_summary.h"
#include "report/render_text.h"
#include "report/report_json.h"

const char *throng_fault_name(throng_fault_t kind)
{
    if ((unsigned)kind >= THRONG_FAULT_KINDS) return "unknown";
    return throng__fault_names[kind];
}

static void latency_of(const throng__hist_t *h, throng_latency_t *l)
{
    l->count = throng__hist_count(h);
    l->min = (double)throng__hist_min(h) * 1e-9;
    l->max = (double)throng__hist_max(h) * 1e-9;
    l->mean = throng__hist_mean(h) * 1e-9;
    l->p50 = (double)throng__hist_percentile(h, 50) * 1e-9;
    l->p90 = (double)throng__hist_percentile(h, 90) * 1e-9;
    l->p99 = (double)throng__hist_percentile(h, 99) * 1e-9;
    l->p999 = (double)throng__hist_percentile(h, 99.9) * 1e-9;
}

void throng__report_fill(const throng_engine_t *e, throng_report_t *r, const throng__stats_t *total,
                         double elapsed, throng_ending_t ending)
{
    const throng__counts_t *n = &total->n;
    memset(r, 0, sizeof *r);
    r->ending = ending;
    r->elapsed = elapsed;
    r->sent = n->sent;
    r->requests = n->requests;
    r->faulted = n->faulted;
    r->in_flight = n->in_flight;
    r->sessions = n->sessions;
    r->connects = n->connects;
    r->bytes_sent = n->bytes_sent;
    r->bytes_received = n->bytes_received;
    memcpy(r->faults, n->faults, sizeof r->faults);
    memcpy(r->fault_sample, total->sample, sizeof r->fault_sample);
    r->failures = throng__counts_failures(n);
    memcpy(r->status, n->status, sizeof r->status);
    /* An MPI run's rank 0 reports the whole run: every rank's clients. */
    int whole = throng__mpi_whole(e);
    for (unsigned i = 0; i < e->ngroups; i++)
        r->clients += whole ? e->groups[i].whole.clients : e->groups[i].cfg.clients;
    r->clients += n->clients_added; /* an open model's pool grows */
    r->clients_active = n->clients_active;
    r->clients_faulted = n->clients_faulted;
    r->clients_finished = n->clients_finished;
    r->cancelled = n->cancelled;
    r->processes = e->nprocs;
    for (unsigned i = 0; i < e->nprocs; i++)
        r->processes_lost += e->procs[i].base.lost;
    r->processes_lost += throng__mpi_lost(e); /* an MPI run's ranks */
    memcpy(r->process_sample, e->proc_sample, sizeof r->process_sample);
    r->threads_abandoned = e->threads.abandoned;
    memcpy(r->thread_sample, e->threads.abandoned_sample, sizeof r->thread_sample);
    for (unsigned i = 0; i < e->nprocs; i++) {
        r->threads_abandoned += e->procs[i].frames.abandoned;
        if (!r->thread_sample[0])
            memcpy(r->thread_sample, e->procs[i].frames.abandoned_sample, sizeof r->thread_sample);
    }
    r->thresholds = e->nthresholds;
    for (unsigned i = 0; i < e->nthresholds; i++)
        r->thresholds_failed += !e->thresholds[i].passed;
    latency_of(&total->latency, &r->latency);
    latency_of(&total->connect, &r->connect);
    latency_of(&total->tls, &r->tls);
    r->tls_handshakes = n->tls_handshakes;
    r->tls_resumed = n->tls_resumed;
    r->arrivals = n->arrivals;
    r->dropped = n->dropped;
    latency_of(&total->service, &r->service);
    latency_of(&total->corrected, &r->corrected);
}

void throng__report_build(throng_engine_t *e, double elapsed, throng_ending_t ending)
{
    throng__report_fill(e, &e->report, e->total, elapsed, ending);
}

const throng_report_t *throng_report(const throng_engine_t *e)
{
    if (!e || atomic_load(&e->state) != THRONG__ENDED) return NULL;
    return &e->report;
}

int throng_report_last_reply(const throng_engine_t *e, int *status, const char **body, size_t *len)
{
    if (!e || atomic_load(&e->state) != THRONG__ENDED || !e->last_at) return THRONG_ESTATE;
    if (status) *status = e->last_status;
    if (body) *body = e->last_reply.data ? e->last_reply.data : "";
    if (len) *len = e->last_reply.len;
    return 0;
}

double throng_report_percentile(const throng_engine_t *e, double p)
{
    if (!e || atomic_load(&e->state) != THRONG__ENDED || !(p >= 0 && p <= 100)) return NAN;
    return (double)throng__hist_percentile(&e->total->latency, p) * 1e-9;
}

int throng_report_latency_bucket(const throng_engine_t *e, size_t *index, double *lo, double *hi,
                                 uint64_t *count)
{
    if (!e || !index || atomic_load(&e->state) != THRONG__ENDED) return 0;
    uint64_t l, h, n;
    if (!throng__hist_next(&e->total->latency, index, &l, &h, &n)) return 0;
    if (lo) *lo = (double)l * 1e-9;
    if (hi) *hi = (double)h * 1e-9;
    if (count) *count = n;
    return 1;
}

size_t throng_report_seconds(const throng_engine_t *e, double *t, uint64_t *requests, size_t cap)
{
    if (!e || atomic_load(&e->state) != THRONG__ENDED) return 0;
    const throng__series_t *s = &e->series;
    for (size_t i = 0; i < s->npoints && i < cap; i++) {
        if (t) t[i] = (double)s->points[i].t;
        if (requests) requests[i] = s->points[i].requests;
    }
    return s->npoints;
}

/* ---------------------------------------------------------- documents */

/* Hands a buffer's text to the caller as a NUL-terminated string. */
static int give(throng__buf_t *b, char **out)
{
    if (throng__buf_append(b, "", 1) != 0) {
        throng__buf_free(b);
        return THRONG_ENOMEM;
    }
    *out = b->data;
    return 0;
}

/* An MPI run's whole report (rank 0's): its run is every rank's shard
 * merged, as `throng report --merge` of their reports would say. */
static void mark_mpi_run(cJSON *doc, unsigned shards)
{
    cJSON *run = cJSON_GetObjectItemCaseSensitive(doc, "run");
    if (!run) return;
    cJSON_DeleteItemFromObjectCaseSensitive(run, "shard");
    cJSON *merged = cJSON_AddArrayToObject(run, "merged");
    for (unsigned i = 0; merged && i < shards; i++)
        cJSON_AddItemToArray(merged, cJSON_CreateNumber(i));
    cJSON_AddArrayToObject(run, "missing");
}

/* The report as JSON, from the engine's description of its groups, the
 * report r and each group's statistics (gstats) with their total. */
cJSON *throng__engine_report_json(const throng_engine_t *e, const throng_report_t *r,
                                  throng__stats_t *const *gstats, const throng__stats_t *total,
                                  const throng__series_t *series, int part)
{
    int whole = !part && throng__mpi_whole(e);
    throng__report_group_t *groups = calloc(e->ngroups ? e->ngroups : 1, sizeof *groups);
    if (!groups) return NULL;
    for (unsigned i = 0; i < e->ngroups; i++) {
        const throng__group_t *g = &e->groups[i];
        const throng_group_t *load = whole ? &g->whole : &g->cfg;
        groups[i] = (throng__report_group_t){
            .name = g->label,
            .persona = g->cfg.persona_path     ? g->cfg.persona_path
                       : g->cfg.persona_source ? "persona source"
                       : g->cfg.persona        ? g->cfg.persona
                                               : "table",
            .server = g->set.address.authority,
            .style = g->session_style ? "session" : "request",
            .clients = load->clients + gstats[i]->n.clients_added,
            .processes = g->procs,
            .threads = throng__group_threads(g, 0),
            .request_count = g->cfg.request_count,
            .slow_down = g->cfg.slow_down,
            .load = load,
            .stats = gstats[i],
        };
    }
    throng__report_view_t v = {
        .report = r,
        .config = &e->cfg,
        .seed = e->run_seed,
        .started_wall = e->started_wall,
        .run_id = e->run_id,
        .max_requests = e->cfg.shards > 1 && !whole ? e->max_requests : e->cfg.max_requests,
        .shard = e->cfg.shard,
        .shards = e->cfg.shards,
        .run_start = e->run_start,
        .groups = groups,
        .ngroups = e->ngroups,
        .total = total,
        .series = series,
        .thresholds = e->thresholds,
        .nthresholds = e->nthresholds,
    };
    cJSON *doc = throng__report_json(&v);
    free(groups);
    if (doc && whole) mark_mpi_run(doc, e->cfg.shards);
    return doc;
}

int throng_report_json(const throng_engine_t *e, char **out)
{
    if (!e || !out) return THRONG_EINVAL;
    cJSON *doc;
    if (atomic_load(&e->state) == THRONG__RUNNING) {
        if (!e->cfg.live_reports) return THRONG_ESTATE;
        doc = throng__engine_live_json((throng_engine_t *)e);
    } else {
        if (!throng_report(e)) return THRONG_ESTATE;
        doc = throng__engine_report_json(e, &e->report, e->gstats, e->total, &e->series, 0);
    }
    char *text = doc ? cJSON_PrintUnformatted(doc) : NULL;
    cJSON_Delete(doc);
    if (!text) return THRONG_ENOMEM;
    *out = text;
    return 0;
}

int throng_report_json_rank(const throng_engine_t *e, char **out)
{
    if (!e || !out) return THRONG_EINVAL;
    throng__stats_t *const *own;
    throng__series_t *series;
    if (atomic_load(&e->state) != THRONG__ENDED || !throng__mpi_own(e, &own, &series))
        return throng_report_json(e, out);
    throng__stats_t total;
    throng__stats_init(&total);
    for (unsigned g = 0; g < e->ngroups; g++)
        throng__stats_merge(&total, own[g]);
    throng__series_settle(series, UINT64_MAX);
    throng_report_t r;
    throng__report_fill(e, &r, &total, e->report.elapsed, e->report.ending);
    r.processes_lost = 0;
    r.process_sample[0] = 0;
    r.clients = total.n.clients_added; /* this rank's shard's clients */
    for (unsigned g = 0; g < e->ngroups; g++)
        r.clients += e->groups[g].cfg.clients;
    cJSON *doc = throng__engine_report_json(e, &r, own, &total, series, 1);
    /* Its thresholds as they stand on its own figures. */
    cJSON *list = doc ? cJSON_GetObjectItemCaseSensitive(doc, "thresholds") : NULL;
    for (unsigned i = 0; i < e->nthresholds; i++) {
        throng__threshold_t t = e->thresholds[i];
        throng__threshold_eval(&t, t.group >= 0 ? own[t.group] : &total, r.elapsed);
        cJSON *o = cJSON_GetArrayItem(list, (int)i);
        if (!o) continue;
        cJSON_ReplaceItemInObjectCaseSensitive(
            o, "value", t.measured ? cJSON_CreateNumber(t.value) : cJSON_CreateNull());
        cJSON_ReplaceItemInObjectCaseSensitive(o, "passed", cJSON_CreateBool(t.passed));
    }
    throng__stats_free(&total);
    char *text = doc ? cJSON_PrintUnformatted(doc) : NULL;
    cJSON_Delete(doc);
    if (!text) return THRONG_ENOMEM;
    *out = text;
    return 0;
}

/* Draws a parsed report in the format asked for. */
static int render(const cJSON *doc, throng_render_t format, unsigned flags, char **out, char *err)
{
    throng__buf_t b = {0};
    int rc;
    switch (format) {
    case THRONG_RENDER_HTML:
        rc = throng__render_html(doc, &b, err);
        break;
    case THRONG_RENDER_JUNIT:
        rc = throng__render_junit(doc, &b, err);
        break;
    case THRONG_RENDER_SUMMARY:
        rc = throng__render_summary(doc, &b, err);
        break;
    default:
        rc = throng__render_text(doc, flags, &b, err);
    }
    if (rc != 0) {
        throng__buf_free(&b);
        return rc < 0 ? rc : THRONG_EINVAL;
    }
    return give(&b, out);
}

int throng_report_text(const throng_engine_t *e, unsigned flags, char **out)
{
    if (!e || !out) return THRONG_EINVAL;
    if (!throng_report(e)) return THRONG_ESTATE;
    cJSON *doc = throng__engine_report_json(e, &e->report, e->gstats, e->total, &e->series, 0);
    if (!doc) return THRONG_ENOMEM;
    char err[THRONG__ERRMSG_LEN];
    int rc = render(doc, THRONG_RENDER_TEXT, flags, out, err);
    cJSON_Delete(doc);
    return rc;
}

int throng_render(const char *json, size_t len, throng_render_t format, unsigned flags, char **out,
                  char *err, size_t errlen)
{
    char msg[THRONG__ERRMSG_LEN] = "";
    int rc = THRONG_EINVAL;
    if (!json || !out ||
        (format != THRONG_RENDER_TEXT && format != THRONG_RENDER_HTML &&
         format != THRONG_RENDER_JUNIT && format != THRONG_RENDER_SUMMARY)) {
        snprintf(msg, sizeof msg, "invalid argument");
    } else {
        const char *end = NULL;
        cJSON *doc = cJSON_ParseWithLengthOpts(json, len, &end, 0);
        if (!doc)
            snprintf(msg, sizeof msg, "not JSON (at byte %zu)", end ? (size_t)(end - json) : 0);
        else if (throng__report_check(doc, msg, sizeof msg) == 0)
            rc = render(doc, format, flags, out, msg);
        cJSON_Delete(doc);
    }
    if (rc != 0 && err && errlen) snprintf(err, errlen, "%s", msg);
    return rc;
}
