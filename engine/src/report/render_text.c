/* render_text.c - the text report, drawn from the JSON report alone, so a
 * run's report and `throng report FILE.json` print the same thing. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"
#include "report/render_text.h"

/* ------------------------------------------------------------ reading */

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static unsigned long long count(const cJSON *o, const char *key)
{
    double v = num(o, key);
    return v > 0 ? (unsigned long long)v : 0;
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static const cJSON *obj(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* ------------------------------------------------------------ numbers */

/* "845us", "1.23ms", "2.01s": three significant digits, a readable unit. */
void throng__fmt_seconds(char *buf, size_t len, double s)
{
    /* The bounds are where rounding would carry into the next unit. */
    if (!(s > 0))
        snprintf(buf, len, "0");
    else if (s < 999.5e-6)
        snprintf(buf, len, "%.0fus", s * 1e6);
    else if (s < 0.9995)
        snprintf(buf, len, "%.3gms", s * 1e3);
    else
        snprintf(buf, len, "%.2fs", s);
}

static void fmt_bytes(char *buf, size_t len, double b)
{
    static const char *unit[] = {"B", "KB", "MB", "GB", "TB"};
    int i = 0;
    while (b >= 1000 && i < 4)
        b /= 1000, i++;
    snprintf(buf, len, i ? "%.1f %s" : "%.0f %s", b, unit[i]);
}

/* ------------------------------------------------------------ sections */

static void group_header(throng__buf_t *b, const cJSON *g)
{
    unsigned processes = (unsigned)count(g, "processes");
    char shape[64], where[64];
    unsigned long long clients = count(g, "clients"), threads = count(g, "threads");
    if (strcmp(str(g, "style"), "session") == 0)
        snprintf(shape, sizeof shape, "session persona");
    else
        snprintf(shape, sizeof shape, "%llu request%s per session", count(g, "request_count"),
                 count(g, "request_count") == 1 ? "" : "s");
    if (processes > 1)
        snprintf(where, sizeof where, " in %u processes of %llu thread%s", processes, threads,
                 threads == 1 ? "" : "s");
    else
        snprintf(where, sizeof where, " on %llu thread%s", threads, threads == 1 ? "" : "s");
    const cJSON *load = obj(g, "load");
    const cJSON *stages = cJSON_GetObjectItemCaseSensitive(load, "stages");
    int open = strcmp(str(load, "model"), "open") == 0, nstages = cJSON_GetArraySize(stages);
    char model[256] = "";
    size_t at = 0;
    if (open && num(load, "rate") > 0)
        at += (size_t)snprintf(model, sizeof model, ", %g arrivals/s (%s)", num(load, "rate"),
                               str(load, "arrivals"));
    else if (open)
        at += (size_t)snprintf(model, sizeof model, ", arrivals (%s)", str(load, "arrivals"));
    for (int i = 0; i < nstages && at < sizeof model; i++) {
        const cJSON *st = cJSON_GetArrayItem(stages, i);
        at += (size_t)snprintf(model + at, sizeof model - at, "%s%gs:%g%s", i ? "," : ", stages ",
                               num(st, "duration"), num(st, "target"), open ? "/s" : "");
    }
    if (open)
        throng__buf_printf(b,
                           "%s: open model%s, a pool of %llu client%s up to %llu%s against %s, "
                           "%s\n",
                           str(g, "name"), model, clients, clients == 1 ? "" : "s",
                           count(load, "max_clients"), where, str(g, "server"), shape);
    else
        throng__buf_printf(b, "%s: %llu client%s%s%s against %s, %s, slow down %gs\n",
                           str(g, "name"), clients, clients == 1 ? "" : "s", model, where,
                           str(g, "server"), shape, num(g, "slow_down"));
}

/* One row of the per-name table. */
static void name_row(throng__buf_t *b, const char *name, const cJSON *s)
{
    const cJSON *l = obj(s, "latency");
    char v[6][16];
    const char *keys[6] = {"mean", "p50", "p90", "p99", "p999", "max"};
    for (int i = 0; i < 6; i++)
        throng__fmt_seconds(v[i], sizeof v[i], num(l, keys[i]));
    throng__buf_printf(b, "  %-20.20s %9llu %9.1f %9llu %9s %9s %9s %9s %9s %9s\n", name,
                       count(s, "requests"), num(s, "rate"), count(s, "failures"), v[0], v[1], v[2],
                       v[3], v[4], v[5]);
}

static void names_table(throng__buf_t *b, const cJSON *g)
{
    const cJSON *names = obj(g, "names"), *n;
    if (cJSON_GetArraySize(names) == 0) return;
    throng__buf_printf(b, "  %-20s %9s %9s %9s %9s %9s %9s %9s %9s %9s\n", "name", "requests",
                       "rate/s", "failures", "mean", "p50", "p90", "p99", "p99.9", "max");
    cJSON_ArrayForEach(n, names) name_row(b, str(n, "name"), n);
    if (cJSON_GetArraySize(names) > 1) name_row(b, "(all)", obj(g, "totals"));
    throng__buf_printf(b, "\n");
}

/* A group's transactions, as the names table shows requests: count,
 * rate, failures and wall times. */
static void txns_table(throng__buf_t *b, const cJSON *g)
{
    const cJSON *txns = obj(g, "transactions"), *t;
    if (cJSON_GetArraySize(txns) == 0) return;
    throng__buf_printf(b, "  %-20s %9s %9s %9s %9s %9s %9s %9s %9s %9s\n", "transaction", "count",
                       "rate/s", "failures", "mean", "p50", "p90", "p99", "p99.9", "max");
    cJSON_ArrayForEach(t, txns)
    {
        const cJSON *l = obj(t, "latency");
        char v[6][16];
        const char *keys[6] = {"mean", "p50", "p90", "p99", "p999", "max"};
        for (int i = 0; i < 6; i++)
            throng__fmt_seconds(v[i], sizeof v[i], num(l, keys[i]));
        throng__buf_printf(b, "  %-20.20s %9llu %9.1f %9llu %9s %9s %9s %9s %9s %9s\n",
                           str(t, "name"), count(t, "count"), num(t, "rate"), count(t, "failures"),
                           v[0], v[1], v[2], v[3], v[4], v[5]);
    }
    throng__buf_printf(b, "\n");
}

/* A group's checks: passes, fails and the pass rate. */
static void checks_table(throng__buf_t *b, const cJSON *g)
{
    const cJSON *checks = obj(g, "checks"), *c;
    if (cJSON_GetArraySize(checks) == 0) return;
    throng__buf_printf(b, "  %-30s %9s %9s %9s\n", "check", "passes", "fails", "pass");
    cJSON_ArrayForEach(c, checks)
    {
        unsigned long long pass = count(c, "passes"), fail = count(c, "fails");
        throng__buf_printf(b, "  %-30.30s %9llu %9llu %8.2f%%\n", str(c, "name"), pass, fail,
                           pass + fail ? 100.0 * (double)pass / (double)(pass + fail) : 0.0);
    }
    throng__buf_printf(b, "\n");
}

static void hist_line(throng__buf_t *b, const char *what, const cJSON *h)
{
    if (!h || count(h, "count") == 0) return;
    char v[6][16];
    const char *keys[6] = {"mean", "p50", "p90", "p99", "p999", "max"};
    for (int i = 0; i < 6; i++)
        throng__fmt_seconds(v[i], sizeof v[i], num(h, keys[i]));
    throng__buf_printf(b, "  %-10s mean %s  p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n", what, v[0],
                       v[1], v[2], v[3], v[4], v[5]);
}

static void status_line(throng__buf_t *b, const cJSON *s)
{
    const cJSON *codes = obj(s, "status"), *c;
    throng__buf_printf(b, "  %-10s", "status");
    if (cJSON_GetArraySize(codes) == 0) throng__buf_printf(b, " none");
    cJSON_ArrayForEach(c, codes) throng__buf_printf(b, " %s %.0f ", c->string, c->valuedouble);
    throng__buf_printf(b, "\n");
}

static void faults_lines(throng__buf_t *b, const cJSON *s)
{
    const cJSON *faults = obj(s, "faults"), *f;
    int any = 0;
    cJSON_ArrayForEach(f, faults)
    {
        throng__buf_printf(b, "  %-10s %-14s %8llu   %s\n", any ? "" : "faults", f->string,
                           count(f, "count"), str(f, "sample"));
        any = 1;
    }
    if (!any) throng__buf_printf(b, "  %-10s none\n", "faults");
}

/* 1 when two histograms' summaries differ. */
static int hist_differ(const cJSON *a, const cJSON *b)
{
    static const char *const keys[] = {"count", "mean", "p50", "p90", "p99", "p999", "max"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (num(a, keys[i]) != num(b, keys[i])) return 1;
    return 0;
}

/* Latency, and beside it what else there is to know about it: the
 * timed-out requests it holds, the service time when it differs (the open
 * model counts latency from each request's intended start), the corrected
 * distribution, the open model's arrivals. */
static void latency_lines(throng__buf_t *b, const cJSON *s)
{
    const cJSON *latency = obj(s, "latency"), *service = obj(s, "service"),
                *corrected = obj(s, "corrected");
    hist_line(b, "latency", latency);
    unsigned long long measured = count(latency, "count"), answered = count(s, "requests");
    if (latency && measured > answered)
        throng__buf_printf(b,
                           "  %-10s %llu timed-out request%s included at the time %s waited "
                           "(about their timeout)\n",
                           "", measured - answered, measured - answered == 1 ? "" : "s",
                           measured - answered == 1 ? "it" : "they");
    if (service && count(service, "count") && hist_differ(latency, service))
        hist_line(b, "service time", service);
    if (corrected && count(corrected, "count")) {
        hist_line(b, "corrected", corrected);
        throng__buf_printf(b, "  %-10s for coordinated omission, at an expected interval of %gs\n",
                           "", num(s, "expected_interval"));
    }
    unsigned long long arrivals = count(s, "arrivals"), dropped = count(s, "dropped");
    if (arrivals)
        throng__buf_printf(b, "  %-10s %llu, dropped %llu (%.2f%%): no free client\n", "arrivals",
                           arrivals, dropped, 100.0 * (double)dropped / (double)arrivals);
}

/* The counts of one group, or of every group together (groups summed). */
typedef struct tally {
    unsigned long long sessions, connects, tls_handshakes, tls_resumed, unsolicited, active,
        faulted, finished, clients;
} tally_t;

static void tally_group(tally_t *t, const cJSON *g)
{
    t->sessions += count(g, "sessions");
    t->connects += count(g, "connects");
    t->tls_handshakes += count(g, "tls_handshakes");
    t->tls_resumed += count(g, "tls_resumed");
    t->unsolicited += count(g, "unsolicited");
    t->active += count(g, "clients_active");
    t->faulted += count(g, "clients_faulted");
    t->finished += count(g, "clients_finished");
    t->clients += count(g, "clients");
}

/* Where every request sent went: the ledger's one outcome each. Shown
 * when anything ended other than answered, so that a reader sees at once
 * that nothing is missing. */
static void exchanges_line(throng__buf_t *b, const cJSON *s)
{
    unsigned long long sent = count(s, "sent"), faulted = count(s, "faulted"),
                       cancelled = count(s, "cancelled"), in_flight = count(s, "in_flight");
    if (!faulted && !cancelled && !in_flight) return;
    throng__buf_printf(b, "  %-10s sent %llu: %llu answered, %llu faulted, %llu cancelled",
                       "exchanges", sent, count(s, "requests"), faulted, cancelled);
    if (in_flight) throng__buf_printf(b, ", %llu in flight", in_flight);
    throng__buf_printf(b, "\n");
}

static void summary(throng__buf_t *b, const cJSON *s, const tally_t *t)
{
    throng__buf_printf(b, "  %-10s %llu (%.1f/s)   sessions %llu   connections %llu\n", "requests",
                       count(s, "requests"), num(s, "rate"), t->sessions, t->connects);
    latency_lines(b, s);
    hist_line(b, "ttfb", obj(s, "ttfb"));
    hist_line(b, "connect", obj(s, "connect"));
    hist_line(b, "tls", obj(s, "tls"));
    if (t->tls_handshakes)
        throng__buf_printf(b, "  %-10s %llu TLS handshakes, %llu of them resumed\n", "",
                           t->tls_handshakes, t->tls_resumed);
    status_line(b, s);
    char sent[24], recv[24];
    fmt_bytes(sent, sizeof sent, num(s, "bytes_sent"));
    fmt_bytes(recv, sizeof recv, num(s, "bytes_received"));
    throng__buf_printf(b, "  %-10s sent %s, received %s\n", "data", sent, recv);
    exchanges_line(b, s);
    if (t->unsolicited)
        throng__buf_printf(b,
                           "  %-10s %llu times bytes came with no request waiting: connection "
                           "closed, not a failure\n",
                           "unasked", t->unsolicited);
    faults_lines(b, s);
    if (t->finished)
        throng__buf_printf(b, "  %-10s %llu running, %llu finished, %llu faulted out, of %llu\n",
                           "clients", t->active, t->finished, t->faulted, t->clients);
    else
        throng__buf_printf(b, "  %-10s %llu running, %llu faulted out, of %llu\n", "clients",
                           t->active, t->faulted, t->clients);
}

/* 1 when some group's figures hold the request or transaction name. */
static int name_ran(const cJSON *report, const char *name)
{
    const cJSON *g, *n;
    cJSON_ArrayForEach(g, obj(report, "groups"))
    {
        cJSON_ArrayForEach(n, obj(g, "names"))
        {
            if (strcmp(str(n, "name"), name) == 0) return 1;
        }
        cJSON_ArrayForEach(n, obj(g, "transactions"))
        {
            if (strcmp(str(n, "name"), name) == 0) return 1;
        }
    }
    return 0;
}

static void thresholds_lines(throng__buf_t *b, const cJSON *report)
{
    const cJSON *ts = obj(report, "thresholds"), *t;
    int any = 0;
    cJSON_ArrayForEach(t, ts)
    {
        const cJSON *value = obj(t, "value");
        char v[128] = "never measured";
        const char *metric = str(t, "metric");
        const cJSON *name = obj(t, "name");
        int check = strcmp(metric, "check") == 0;
        int share = strcmp(metric, "errors") == 0 || check ||
                    (strcmp(metric, "dropped") == 0 && strchr(str(t, "expression"), '%'));
        if (!cJSON_IsNumber(obj(t, "value")) && cJSON_IsString(name) && !check &&
            !name_ran(report, name->valuestring))
            snprintf(v, sizeof v, "never measured: no request named '%s' ran", name->valuestring);
        else if (!cJSON_IsNumber(value) && str(t, "note")[0])
            snprintf(v, sizeof v, "never measured: %.100s", str(t, "note"));
        if (cJSON_IsNumber(value)) {
            if (share)
                snprintf(v, sizeof v, "%.3g%%", value->valuedouble * 100);
            else if (strcmp(metric, "rate") == 0 || strcmp(metric, "requests") == 0 ||
                     strcmp(metric, "failures") == 0 || strcmp(metric, "dropped") == 0)
                snprintf(v, sizeof v, "%.6g", value->valuedouble);
            else
                throng__fmt_seconds(v, sizeof v, value->valuedouble);
        }
        char expr[160];
        const cJSON *group = obj(t, "group");
        snprintf(expr, sizeof expr, "%s%s%s", cJSON_IsString(group) ? group->valuestring : "",
                 cJSON_IsString(group) ? " " : "", str(t, "expression"));
        throng__buf_printf(b, "  %-10s %-24s %s (%s)\n", any ? "" : "thresholds", expr,
                           cJSON_IsTrue(obj(t, "passed")) ? "passed" : "FAILED", v);
        any = 1;
    }
}

/* --latency: the distribution of the whole run's latency, from its buckets
 * (each percentile at its bucket's middle; 100% is the exact maximum). */
static void distribution(throng__buf_t *b, const cJSON *h)
{
    static const double qs[] = {50, 75, 90, 95, 99, 99.9, 99.99, 99.999, 100};
    const size_t nq = sizeof qs / sizeof qs[0];
    const cJSON *buckets = obj(h, "buckets"), *bucket;
    double total = num(h, "count"), seen = 0;
    if (!(total > 0)) return;
    throng__buf_printf(b, "\n  latency distribution\n");
    size_t qi = 0;
    cJSON_ArrayForEach(bucket, buckets)
    {
        const cJSON *lo = cJSON_GetArrayItem(bucket, 0), *hi = cJSON_GetArrayItem(bucket, 1),
                    *n = cJSON_GetArrayItem(bucket, 2);
        if (!cJSON_IsNumber(lo) || !cJSON_IsNumber(hi) || !cJSON_IsNumber(n)) continue;
        seen += n->valuedouble;
        for (; qi < nq && seen >= ceil(qs[qi] / 100 * total - 1e-9); qi++) {
            double v = qs[qi] == 100 ? num(h, "max") : (lo->valuedouble + hi->valuedouble) / 2e9;
            char text[16];
            throng__fmt_seconds(text, sizeof text, v);
            throng__buf_printf(b, "  %9g%%  %s\n", qs[qi], text);
        }
    }
}

/* Whose the figures are: one shard of a run, a run's shards merged, or
 * separate runs added up side by side. */
static void run_line(throng__buf_t *out, const cJSON *report)
{
    const cJSON *run = obj(report, "run"), *merge = obj(report, "merge");
    const cJSON *merged = obj(run, "merged"), *missing = obj(run, "missing"), *x;
    if (cJSON_IsArray(merged)) {
        throng__buf_printf(out, "run %s: %d of %.0f shards merged exactly", str(run, "id"),
                           cJSON_GetArraySize(merged), num(run, "shards"));
        if (cJSON_GetArraySize(missing) > 0) {
            const char *sep = ", missing ";
            cJSON_ArrayForEach(x, missing)
            {
                throng__buf_printf(out, "%s%.0f", sep, cJSON_IsNumber(x) ? x->valuedouble : -1);
                sep = ", ";
            }
            throng__buf_printf(out, " (partial: the figures lack them)");
        }
        throng__buf_printf(out, "\n");
    } else if (num(run, "shards") > 1) {
        throng__buf_printf(out, "run %s: shard %.0f of %.0f (from 0)\n", str(run, "id"),
                           num(run, "shard"), num(run, "shards"));
    }
    if (strcmp(str(merge, "kind"), "side-by-side") == 0)
        throng__buf_printf(out,
                           "merged side by side: %.0f reports of separate runs, their counts "
                           "added (not one run's shards)\n",
                           num(merge, "reports"));
}

int throng__render_text(const cJSON *report, unsigned flags, throng__buf_t *out, char *err)
{
    const cJSON *groups = obj(report, "groups"), *g;
    if (!cJSON_IsObject(report) || strcmp(str(report, "format"), "throng-report") != 0 ||
        num(report, "version") != 1 || !cJSON_IsArray(groups))
        return throng__fail(err, THRONG_EINVAL,
                            "not a throng report (format throng-report, "
                            "version 1)");
    int several = cJSON_GetArraySize(groups) > 1;
    tally_t all = {0};
    cJSON_ArrayForEach(g, groups) tally_group(&all, g);
    cJSON_ArrayForEach(g, groups) group_header(out, g);
    throng__buf_printf(out, "ended: %s after %.2fs (seed %.0f)\n", str(report, "ending_text"),
                       num(report, "elapsed"), num(obj(report, "settings"), "seed"));
    run_line(out, report);
    throng__buf_printf(out, "\n");
    cJSON_ArrayForEach(g, groups)
    {
        if (several) throng__buf_printf(out, "%s\n", str(g, "name"));
        names_table(out, g);
        txns_table(out, g);
        checks_table(out, g);
        if (several) {
            tally_t t = {0};
            tally_group(&t, g);
            summary(out, obj(g, "totals"), &t);
            throng__buf_printf(out, "\n");
        }
    }
    if (several) throng__buf_printf(out, "all groups\n");
    summary(out, obj(report, "totals"), &all);
    const cJSON *procs = obj(report, "processes");
    if (count(procs, "started"))
        throng__buf_printf(out, "  %-10s %llu started, %llu lost%s%s\n", "processes",
                           count(procs, "started"), count(procs, "lost"),
                           str(procs, "sample")[0] ? ": " : "", str(procs, "sample"));
    const cJSON *threads = obj(report, "threads");
    if (count(threads, "abandoned"))
        throng__buf_printf(out, "  %-10s %llu abandoned: %s\n", "threads",
                           count(threads, "abandoned"), str(threads, "sample"));
    thresholds_lines(out, report);
    if (flags & THRONG_TEXT_LATENCY) distribution(out, obj(obj(report, "totals"), "latency"));
    return 0;
}
