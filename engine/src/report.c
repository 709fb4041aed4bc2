/* report.c - the final report: built from the merged statistics, read as a
 * struct, or written as text. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "proc.h"
#include "lua_throng.h"

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

void throng__report_build(throng_engine_t *e, double elapsed, throng_ending_t ending)
{
    throng_report_t *r = &e->report;
    const throng__counts_t *n = &e->total->n;
    memset(r, 0, sizeof *r);
    r->ending = ending;
    r->elapsed = elapsed;
    r->requests = n->requests;
    r->sessions = n->sessions;
    r->connects = n->connects;
    r->bytes_sent = n->bytes_sent;
    r->bytes_received = n->bytes_received;
    memcpy(r->faults, n->faults, sizeof r->faults);
    memcpy(r->fault_sample, e->total->sample, sizeof r->fault_sample);
    r->failures = throng__counts_failures(n);
    memcpy(r->status, n->status, sizeof r->status);
    for (unsigned i = 0; i < e->ngroups; i++)
        r->clients += e->groups[i].cfg.clients;
    r->clients_active = n->clients_active;
    r->clients_faulted = n->clients_faulted;
    r->cancelled = n->cancelled;
    r->processes = e->nprocs;
    for (unsigned i = 0; i < e->nprocs; i++)
        r->processes_lost += e->procs[i].lost;
    memcpy(r->process_sample, e->proc_sample, sizeof r->process_sample);
    latency_of(&e->total->latency, &r->latency);
    latency_of(&e->total->connect, &r->connect);
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

/* ------------------------------------------------------------------ text */

/* "845us", "1.23ms", "2.01s": three significant digits, a readable unit. */
static void fmt_time(char *buf, size_t len, double s)
{
    if (s < 1e-3)
        snprintf(buf, len, "%.0fus", s * 1e6);
    else if (s < 1)
        snprintf(buf, len, "%.3gms", s * 1e3);
    else
        snprintf(buf, len, "%.2fs", s);
}

static void fmt_bytes(char *buf, size_t len, double b)
{
    const char *unit[] = {"B", "KB", "MB", "GB", "TB"};
    int i = 0;
    while (b >= 1000 && i < 4)
        b /= 1000, i++;
    snprintf(buf, len, i ? "%.1f %s" : "%.0f %s", b, unit[i]);
}

static const char *ending_text(throng_ending_t e)
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
    default:
        return "running";
    }
}

static void text_latency(throng__buf_t *b, const char *what, const throng_latency_t *l)
{
    char mean[16], p50[16], p90[16], p99[16], p999[16], max[16];
    fmt_time(mean, sizeof mean, l->mean);
    fmt_time(p50, sizeof p50, l->p50);
    fmt_time(p90, sizeof p90, l->p90);
    fmt_time(p99, sizeof p99, l->p99);
    fmt_time(p999, sizeof p999, l->p999);
    fmt_time(max, sizeof max, l->max);
    throng__buf_printf(b, "  %-10s mean %s  p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n", what, mean,
                       p50, p90, p99, p999, max);
}

static void text_header(throng__buf_t *b, const throng_engine_t *e, const throng_report_t *r)
{
    unsigned procs = e->cfg.processes;
    for (unsigned i = 0; i < e->ngroups; i++) {
        const throng__group_t *g = &e->groups[i];
        char shape[64], where[64] = "";
        if (g->session_style)
            snprintf(shape, sizeof shape, "session persona");
        else
            snprintf(shape, sizeof shape, "%u request%s per session", g->cfg.request_count,
                     g->cfg.request_count == 1 ? "" : "s");
        unsigned threads = throng__group_threads(g, procs, 0);
        if (procs > 1)
            snprintf(where, sizeof where, " in %u processes of %u thread%s", procs, threads,
                     threads == 1 ? "" : "s");
        else
            snprintf(where, sizeof where, " on %u thread%s", threads, threads == 1 ? "" : "s");
        throng__buf_printf(b, "%s: %u client%s%s against %s, %s, slow down %gs\n", g->label,
                           g->cfg.clients, g->cfg.clients == 1 ? "" : "s", where,
                           g->set.address.authority, shape, g->cfg.slow_down);
    }
    throng__buf_printf(b, "ended: %s after %.2fs\n\n", ending_text(r->ending), r->elapsed);
}

static void text_counts(throng__buf_t *b, const throng_report_t *r)
{
    double rate = r->elapsed > 0 ? (double)r->requests / r->elapsed : 0;
    throng__buf_printf(b, "  %-10s %llu (%.1f/s)   sessions %llu   connections %llu\n", "requests",
                       (unsigned long long)r->requests, rate, (unsigned long long)r->sessions,
                       (unsigned long long)r->connects);
    if (r->latency.count) text_latency(b, "latency", &r->latency);
    if (r->connect.count) text_latency(b, "connect", &r->connect);
    throng__buf_printf(b, "  %-10s", "status");
    static const char *classes[] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
    int any = 0;
    for (int i = 1; i <= 6; i++) {
        int k = i % 6; /* 1xx..5xx, then other */
        if (r->status[k]) {
            throng__buf_printf(b, " %s %llu ", classes[k], (unsigned long long)r->status[k]);
            any = 1;
        }
    }
    throng__buf_printf(b, "%s\n", any ? "" : " none");
    char sent[24], recv[24];
    fmt_bytes(sent, sizeof sent, (double)r->bytes_sent);
    fmt_bytes(recv, sizeof recv, (double)r->bytes_received);
    throng__buf_printf(b, "  %-10s sent %s, received %s\n", "data", sent, recv);
}

static void text_faults(throng__buf_t *b, const throng_report_t *r)
{
    int any = 0;
    for (int k = 0; k < THRONG_FAULT_KINDS; k++) {
        if (!r->faults[k]) continue;
        throng__buf_printf(b, "  %-10s %-14s %8llu   %s\n", any ? "" : "faults",
                           throng_fault_name((throng_fault_t)k), (unsigned long long)r->faults[k],
                           r->fault_sample[k]);
        any = 1;
    }
    if (!any) throng__buf_printf(b, "  %-10s none\n", "faults");
    if (r->cancelled)
        throng__buf_printf(b, "  %-10s %llu in flight when the run ended (not faults)\n",
                           "cancelled", (unsigned long long)r->cancelled);
    throng__buf_printf(b, "  %-10s %llu running, %llu faulted out, of %llu\n", "clients",
                       (unsigned long long)r->clients_active,
                       (unsigned long long)r->clients_faulted, (unsigned long long)r->clients);
    if (r->processes)
        throng__buf_printf(b, "  %-10s %llu started, %llu lost%s%s\n", "processes",
                           (unsigned long long)r->processes, (unsigned long long)r->processes_lost,
                           r->process_sample[0] ? ": " : "", r->process_sample);
}

int throng_report_text(const throng_engine_t *e, char **out)
{
    if (!e || !out) return THRONG_EINVAL;
    const throng_report_t *r = throng_report(e);
    if (!r) return THRONG_ESTATE;
    throng__buf_t b = {0};
    text_header(&b, e, r);
    text_counts(&b, r);
    text_faults(&b, r);
    if (!b.data || throng__buf_append(&b, "", 1) != 0) {
        throng__buf_free(&b);
        return THRONG_ENOMEM;
    }
    *out = b.data;
    return 0;
}
