/* dashboard_figures.c - the dashboard's snapshot and /metrics, from a JSON
 * report (docs/report.md) as throng_report_json() writes it. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "throng.h"
#include "core/dashboard.h"

/* A number of obj, 0 when absent. */
static double num(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static uint64_t count(const cJSON *obj, const char *key)
{
    double d = num(obj, key);
    return d > 0 ? (uint64_t)d : 0;
}

static const char *str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static const cJSON *item(const cJSON *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* ---------------------------------------------------------------- snapshot */

static void add_latency(cJSON *to, const cJSON *hist)
{
    cJSON_AddNumberToObject(to, "p50", num(hist, "p50"));
    cJSON_AddNumberToObject(to, "p90", num(hist, "p90"));
    cJSON_AddNumberToObject(to, "p99", num(hist, "p99"));
    cJSON_AddNumberToObject(to, "max", num(hist, "max"));
}

/* One group's line: its counts, its rate since the previous snapshot. */
static cJSON *snapshot_group(const cJSON *g, size_t i, const throng__dash_prev_t *prev,
                             double elapsed, throng__dash_prev_t *next)
{
    const cJSON *t = item(g, "totals");
    uint64_t requests = count(t, "requests"), failures = count(t, "failures");
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "name", str(g, "name"));
    cJSON_AddNumberToObject(o, "requests", (double)requests);
    cJSON_AddNumberToObject(o, "failures", (double)failures);
    double rate = 0;
    if (i < 64 && i < prev->ngroups && elapsed > prev->elapsed && requests >= prev->requests[i])
        rate = (double)(requests - prev->requests[i]) / (elapsed - prev->elapsed);
    cJSON_AddNumberToObject(o, "rate", rate);
    cJSON_AddNumberToObject(o, "clients_active", num(g, "clients_active"));
    cJSON_AddNumberToObject(o, "clients", num(g, "clients"));
    add_latency(o, item(t, "latency"));
    if (i < 64) {
        next->requests[i] = requests;
        next->failures[i] = failures;
    }
    return o;
}

/* Faults by kind, each with its first message. */
static cJSON *snapshot_faults(const cJSON *faults)
{
    cJSON *a = cJSON_CreateArray();
    const cJSON *f;
    cJSON_ArrayForEach(f, faults)
    {
        if (!f->string) continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "kind", f->string);
        cJSON_AddNumberToObject(o, "count", num(f, "count"));
        cJSON_AddStringToObject(o, "sample", str(f, "sample"));
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static cJSON *snapshot_thresholds(const cJSON *thresholds)
{
    cJSON *a = cJSON_CreateArray();
    const cJSON *t;
    cJSON_ArrayForEach(t, thresholds)
    {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "expression", str(t, "expression"));
        cJSON_AddStringToObject(o, "metric", str(t, "metric"));
        cJSON_AddNumberToObject(o, "value", num(t, "value"));
        cJSON_AddNumberToObject(o, "limit", num(t, "limit"));
        cJSON_AddBoolToObject(o, "passed", cJSON_IsTrue(item(t, "passed")));
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

cJSON *throng__dash_snapshot(const cJSON *report, int ended, throng__dash_prev_t *prev,
                             uint64_t viewers, uint64_t dropped)
{
    cJSON *s = cJSON_CreateObject();
    if (!s) return NULL;
    cJSON_AddStringToObject(s, "state", !report ? "starting" : ended ? "ended" : "running");
    cJSON_AddNumberToObject(s, "viewers", (double)viewers);
    cJSON_AddNumberToObject(s, "viewers_dropped", (double)dropped);
    if (!report) return s;
    double elapsed = num(report, "elapsed");
    const cJSON *totals = item(report, "totals");
    cJSON_AddNumberToObject(s, "elapsed", elapsed);
    cJSON_AddStringToObject(s, "ending", str(report, "ending"));
    static const char *const counts[] = {"sent",      "requests", "faulted", "cancelled",
                                         "in_flight", "failures", NULL};
    for (size_t i = 0; counts[i]; i++)
        cJSON_AddNumberToObject(s, counts[i], num(totals, counts[i]));
    cJSON *latency = cJSON_AddObjectToObject(s, "latency");
    if (latency) add_latency(latency, item(totals, "latency"));

    /* The latest whole second of the series (null before the first). */
    const cJSON *series = item(report, "series");
    int n = cJSON_GetArraySize(series);
    const cJSON *last = n > 0 ? cJSON_GetArrayItem(series, n - 1) : NULL;
    cJSON_AddItemToObject(s, "second", last ? cJSON_Duplicate(last, 1) : cJSON_CreateNull());

    throng__dash_prev_t next = {.elapsed = elapsed};
    cJSON *groups = cJSON_AddArrayToObject(s, "groups");
    const cJSON *g;
    size_t i = 0;
    double active = 0;
    cJSON_ArrayForEach(g, item(report, "groups"))
    {
        cJSON *o = snapshot_group(g, i, prev, elapsed, &next);
        if (o) cJSON_AddItemToArray(groups, o);
        active += num(g, "clients_active");
        i++;
    }
    next.ngroups = i;
    cJSON_AddNumberToObject(s, "clients_active", active);
    cJSON_AddItemToObject(s, "faults", snapshot_faults(item(totals, "faults")));
    cJSON_AddItemToObject(s, "thresholds", snapshot_thresholds(item(report, "thresholds")));
    if (elapsed > prev->elapsed || i != prev->ngroups) *prev = next;
    return s;
}

/* ----------------------------------------------------------------- metrics */

/* A label value, escaped as the exposition formats ask. */
static void label(throng__buf_t *b, const char *name, const char *value, int first)
{
    throng__buf_printf(b, "%s%s=\"", first ? "" : ",", name);
    for (const char *p = value; *p; p++) {
        if (*p == '\\')
            throng__buf_puts(b, "\\\\");
        else if (*p == '"')
            throng__buf_puts(b, "\\\"");
        else if (*p == '\n')
            throng__buf_puts(b, "\\n");
        else
            throng__buf_append(b, p, 1);
    }
    throng__buf_puts(b, "\"");
}

/* A family's HELP and TYPE lines. A counter's family is named without
 * _total in OpenMetrics, with it in the Prometheus format. */
static void family(throng__buf_t *b, const char *name, const char *type, const char *help, int om)
{
    char fam[96];
    snprintf(fam, sizeof fam, "%s", name);
    size_t n = strlen(fam);
    if (om && strcmp(type, "counter") == 0 && n > 6 && strcmp(fam + n - 6, "_total") == 0)
        fam[n - 6] = 0;
    throng__buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", fam, help, fam, type);
}

static void value(throng__buf_t *b, double v)
{
    if (v == floor(v) && fabs(v) < 1e15)
        throng__buf_printf(b, " %.0f\n", v);
    else
        throng__buf_printf(b, " %.9g\n", v);
}

/* Each request name of each group: fn(b, group, name object). */
typedef void (*per_name_fn)(throng__buf_t *b, const char *group, const cJSON *name);

static void each_name(throng__buf_t *b, const cJSON *report, per_name_fn fn)
{
    const cJSON *g, *n;
    cJSON_ArrayForEach(g, item(report, "groups"))
    {
        cJSON_ArrayForEach(n, item(g, "names")) fn(b, str(g, "name"), n);
    }
}

static void requests_of(throng__buf_t *b, const char *group, const cJSON *n)
{
    const cJSON *st;
    cJSON_ArrayForEach(st, item(n, "status"))
    {
        if (!st->string) continue;
        throng__buf_puts(b, "throng_requests_total{");
        label(b, "group", group, 1);
        label(b, "name", str(n, "name"), 0);
        label(b, "status", st->string, 0);
        throng__buf_puts(b, "}");
        value(b, cJSON_IsNumber(st) ? st->valuedouble : 0);
    }
}

/* One counter of a name's statistics, by group and name. */
static void name_counter(throng__buf_t *b, const char *metric, const char *key, const char *group,
                         const cJSON *n)
{
    throng__buf_printf(b, "%s{", metric);
    label(b, "group", group, 1);
    label(b, "name", str(n, "name"), 0);
    throng__buf_puts(b, "}");
    value(b, num(n, key));
}

static void sent_of(throng__buf_t *b, const char *group, const cJSON *n)
{
    name_counter(b, "throng_sent_total", "sent", group, n);
}

static void failures_of(throng__buf_t *b, const char *group, const cJSON *n)
{
    name_counter(b, "throng_failures_total", "failures", group, n);
}

/* The latency buckets' upper bounds of /metrics, in seconds
 * (docs/metrics.md lists the same). */
static const double bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};

/* A latency histogram at the fixed bounds: each of throng's buckets
 * ([low_ns, high_ns, count], 1024 a doubling) counts under every bound at
 * or above its low end, so a value at most 0.1% above a bound may count
 * under it. */
static void latency_of(throng__buf_t *b, const char *group, const cJSON *n)
{
    const cJSON *h = item(n, "latency"), *bk;
    size_t nb = sizeof bounds / sizeof bounds[0];
    double under[sizeof bounds / sizeof bounds[0]] = {0};
    cJSON_ArrayForEach(bk, item(h, "buckets"))
    {
        double lo = cJSON_GetArrayItem(bk, 0) ? cJSON_GetArrayItem(bk, 0)->valuedouble : 0;
        const cJSON *c = cJSON_GetArrayItem(bk, 2);
        for (size_t i = 0; i < nb; i++)
            if (lo <= bounds[i] * 1e9 && c) under[i] += c->valuedouble;
    }
    for (size_t i = 0; i < nb; i++) {
        throng__buf_puts(b, "throng_request_duration_seconds_bucket{");
        label(b, "group", group, 1);
        label(b, "name", str(n, "name"), 0);
        throng__buf_printf(b, ",le=\"%g\"}", bounds[i]);
        value(b, under[i]);
    }
    throng__buf_puts(b, "throng_request_duration_seconds_bucket{");
    label(b, "group", group, 1);
    label(b, "name", str(n, "name"), 0);
    throng__buf_puts(b, ",le=\"+Inf\"}");
    value(b, num(h, "count"));
    throng__buf_puts(b, "throng_request_duration_seconds_sum{");
    label(b, "group", group, 1);
    label(b, "name", str(n, "name"), 0);
    throng__buf_puts(b, "}");
    value(b, num(h, "sum_ns") / 1e9);
    throng__buf_puts(b, "throng_request_duration_seconds_count{");
    label(b, "group", group, 1);
    label(b, "name", str(n, "name"), 0);
    throng__buf_puts(b, "}");
    value(b, num(h, "count"));
}

/* A per-group figure: of the group itself (in_totals 0) or of its totals. */
static void group_metric(throng__buf_t *b, const cJSON *report, const char *metric, const char *key,
                         int in_totals)
{
    const cJSON *g;
    cJSON_ArrayForEach(g, item(report, "groups"))
    {
        throng__buf_printf(b, "%s{", metric);
        label(b, "group", str(g, "name"), 1);
        throng__buf_puts(b, "}");
        value(b, num(in_totals ? item(g, "totals") : g, key));
    }
}

static void faults_metric(throng__buf_t *b, const cJSON *report)
{
    const cJSON *g, *f;
    cJSON_ArrayForEach(g, item(report, "groups"))
    {
        cJSON_ArrayForEach(f, item(item(g, "totals"), "faults"))
        {
            if (!f->string) continue;
            throng__buf_puts(b, "throng_faults_total{");
            label(b, "group", str(g, "name"), 1);
            label(b, "kind", f->string, 0);
            throng__buf_puts(b, "}");
            value(b, num(f, "count"));
        }
    }
}

int throng__dash_metrics(const cJSON *report, int ended, int om, throng__buf_t *b)
{
    family(b, "throng_running", "gauge", "1 while the run goes on, 0 before and after it", om);
    throng__buf_printf(b, "throng_running %d\n", report && !ended);
    if (report) {
        family(b, "throng_elapsed_seconds", "gauge", "seconds since the run started", om);
        throng__buf_puts(b, "throng_elapsed_seconds");
        value(b, num(report, "elapsed"));
        family(b, "throng_requests_total", "counter",
               "requests answered, by group, request name and status code", om);
        each_name(b, report, requests_of);
        family(b, "throng_sent_total", "counter", "requests sent, by group and request name", om);
        each_name(b, report, sent_of);
        family(b, "throng_failures_total", "counter",
               "faults of every kind but busy and aborted, by group and request name", om);
        each_name(b, report, failures_of);
        family(b, "throng_faults_total", "counter", "faults by group and kind", om);
        faults_metric(b, report);
        family(b, "throng_bytes_sent_total", "counter", "bytes sent, headers included", om);
        group_metric(b, report, "throng_bytes_sent_total", "bytes_sent", 1);
        family(b, "throng_bytes_received_total", "counter", "bytes received, headers included", om);
        group_metric(b, report, "throng_bytes_received_total", "bytes_received", 1);
        family(b, "throng_clients_active", "gauge", "clients in the run, by group", om);
        group_metric(b, report, "throng_clients_active", "clients_active", 0);
        family(b, "throng_request_duration_seconds", "histogram",
               "latency to the response complete (timed-out requests at their wait)", om);
        each_name(b, report, latency_of);
        const cJSON *series = item(report, "series");
        int n = cJSON_GetArraySize(series);
        if (n > 0) {
            const cJSON *last = cJSON_GetArrayItem(series, n - 1);
            family(b, "throng_load_target", "gauge",
                   "the load model's target in the latest whole second: clients or arrivals/s", om);
            throng__buf_puts(b, "throng_load_target");
            value(b, num(last, "target"));
            family(b, "throng_load_achieved", "gauge",
                   "the load achieved in the latest whole second", om);
            throng__buf_puts(b, "throng_load_achieved");
            value(b, num(last, "achieved"));
        }
        const cJSON *t;
        int first = 1;
        cJSON_ArrayForEach(t, item(report, "thresholds"))
        {
            if (first)
                family(b, "throng_threshold_passed", "gauge",
                       "1 when the threshold is met so far, 0 when not", om);
            first = 0;
            throng__buf_puts(b, "throng_threshold_passed{");
            label(b, "expression", str(t, "expression"), 1);
            throng__buf_puts(b, "}");
            value(b, cJSON_IsTrue(item(t, "passed")) ? 1 : 0);
        }
    }
    if (om) throng__buf_puts(b, "# EOF\n");
    return throng__buf_reserve(b, 1) == 0 ? 0 : THRONG_ENOMEM;
}
