/* threshold.c - parsing and checking thresholds. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/duration.h"
#include "util/error.h"
#include "stats/threshold.h"

static const struct {
    const char *name;
    throng__metric_t metric;
} metrics[] = {
    {"mean", THRONG__METRIC_MEAN},       {"avg", THRONG__METRIC_MEAN},
    {"min", THRONG__METRIC_MIN},         {"max", THRONG__METRIC_MAX},
    {"errors", THRONG__METRIC_ERRORS},   {"failures", THRONG__METRIC_FAILURES},
    {"rate", THRONG__METRIC_RATE},       {"requests", THRONG__METRIC_REQUESTS},
    {"dropped", THRONG__METRIC_DROPPED},
};

/* The distributions a latency metric may name before a dot. */
static const struct {
    const char *prefix;
    throng__hist_kind_t hist;
} hists[] = {
    {"service.", THRONG__HIST_SERVICE},
    {"corrected.", THRONG__HIST_CORRECTED},
};

static int is_latency(throng__metric_t m)
{
    return m <= THRONG__METRIC_MAX;
}

/* "p99", "p99.9", "p50": a percentile in (0, 100]. */
static int parse_percentile(const char *s, double *q)
{
    if (s[0] != 'p' || !s[1]) return -1;
    char *end;
    double v = strtod(s + 1, &end);
    if (*end || !(v > 0 && v <= 100)) return -1;
    *q = v;
    return 0;
}

static int parse_metric(throng__threshold_t *t, char *err)
{
    const char *m = t->metric_text;
    t->hist = THRONG__HIST_LATENCY;
    for (size_t i = 0; i < sizeof hists / sizeof hists[0]; i++) {
        size_t n = strlen(hists[i].prefix);
        if (strncmp(m, hists[i].prefix, n) == 0) {
            t->hist = hists[i].hist;
            m += n;
        }
    }
    int found = 0;
    for (size_t i = 0; i < sizeof metrics / sizeof metrics[0] && !found; i++) {
        if (strcmp(m, metrics[i].name) == 0) {
            t->metric = metrics[i].metric;
            found = 1;
        }
    }
    if (!found && parse_percentile(m, &t->q) == 0) {
        t->metric = THRONG__METRIC_PERCENTILE;
        found = 1;
    }
    if (!found)
        return throng__fail(err, THRONG_EINVAL,
                            "threshold '%s': unknown metric '%s' (p50, p99, p99.9, mean, min, max, "
                            "errors, failures, rate, requests, dropped; service.p99, "
                            "corrected.p99, ...)",
                            t->expression, t->metric_text);
    if (t->hist != THRONG__HIST_LATENCY && !is_latency(t->metric))
        return throng__fail(err, THRONG_EINVAL,
                            "threshold '%s': %.*s takes a latency metric (p99, mean, min, max)",
                            t->expression, (int)(m - t->metric_text - 1), t->metric_text);
    if (t->name[0] && (t->hist != THRONG__HIST_LATENCY || t->metric == THRONG__METRIC_DROPPED))
        return throng__fail(err, THRONG_EINVAL,
                            "threshold '%s': '%s' is measured for a group or the run, not per "
                            "request name",
                            t->expression, t->metric_text);
    return 0;
}

/* The limit with its unit: a time for latencies, % or a share for errors,
 * a bare number for counts and rates. */
static int parse_limit(throng__threshold_t *t, const char *s, char *err)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v))
        return throng__fail(err, THRONG_EINVAL, "threshold '%s': '%s' is not a number",
                            t->expression, s);
    if (is_latency(t->metric)) {
        /* A time, read as every duration is; a bare number is refused here,
         * where seconds are rarely what was meant. */
        if (v < 0)
            return throng__fail(err, THRONG_EINVAL, "threshold '%s': a time is not negative",
                                t->expression);
        if (!*end || throng__duration_parse(s, &t->limit, NULL, 0) != 0)
            return throng__fail(err, THRONG_EINVAL,
                                "threshold '%s': give the time with a unit (ms, us, s), as 50ms "
                                "or 1.5s",
                                t->expression);
    } else if (t->metric == THRONG__METRIC_DROPPED && strcmp(end, "%") == 0) {
        if (v < 0 || v > 100)
            return throng__fail(err, THRONG_EINVAL,
                                "threshold '%s': dropped is between 0%% and 100%% of the arrivals",
                                t->expression);
        t->metric = THRONG__METRIC_DROPPED_SHARE;
        t->limit = v / 100;
    } else if (t->metric == THRONG__METRIC_ERRORS) {
        if (strcmp(end, "%") == 0)
            v /= 100;
        else if (*end)
            return throng__fail(err, THRONG_EINVAL,
                                "threshold '%s': errors are a percentage (1%%) or a share (0.01)",
                                t->expression);
        if (v < 0 || v > 1)
            return throng__fail(err, THRONG_EINVAL,
                                "threshold '%s': errors are between 0%% and 100%%", t->expression);
        t->limit = v;
    } else {
        if (*end && strcmp(end, "/s") != 0)
            return throng__fail(err, THRONG_EINVAL, "threshold '%s': '%s' takes a plain number",
                                t->expression, t->metric_text);
        if (v < 0 || (t->metric != THRONG__METRIC_RATE && v != floor(v)))
            return throng__fail(err, THRONG_EINVAL,
                                "threshold '%s': '%s' takes a whole number, not negative",
                                t->expression, t->metric_text);
        t->limit = v;
    }
    return 0;
}

#define CHECK_PREFIX "check:"

/* "check:NAME>99%": NAME keeps its inner blanks; the limit is a pass rate,
 * a percentage or a share. */
static int parse_check(const char *text, const char *rest, throng__threshold_t *t, char *err)
{
    const char *op = strpbrk(rest, "<>");
    if (!op)
        return throng__fail(err, THRONG_EINVAL,
                            "threshold '%s': expected check:NAME>RATE, as check:logged in>99%%",
                            text);
    const char *a = rest, *b = op;
    while (a < b && (*a == ' ' || *a == '\t'))
        a++;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
        b--;
    if (a == b || (size_t)(b - a) >= sizeof t->name)
        return throng__fail(err, THRONG_EINVAL, "threshold '%s': bad check name", text);
    memcpy(t->name, a, (size_t)(b - a));
    t->op[0] = *op++;
    if (*op == '=') t->op[1] = *op++;
    snprintf(t->metric_text, sizeof t->metric_text, "check");
    t->metric = THRONG__METRIC_CHECK_RATE;
    char limit[sizeof t->expression];
    size_t n = 0;
    for (; *op; op++)
        if (*op != ' ' && *op != '\t') limit[n++] = *op;
    limit[n] = '\0';
    char *end;
    double v = strtod(limit, &end);
    if (end == limit || !isfinite(v) || (*end && strcmp(end, "%") != 0))
        return throng__fail(err, THRONG_EINVAL,
                            "threshold '%s': a check's pass rate is a percentage (99%%) or a "
                            "share (0.99)",
                            text);
    if (*end) v /= 100;
    if (v < 0 || v > 1)
        return throng__fail(err, THRONG_EINVAL,
                            "threshold '%s': a pass rate is between 0%% and 100%%", text);
    t->limit = v;
    return 0;
}

int throng__threshold_parse(const char *text, throng__threshold_t *t, char *err)
{
    memset(t, 0, sizeof *t);
    t->group = -1;
    if (!text || strlen(text) >= sizeof t->expression)
        return throng__fail(err, THRONG_EINVAL, "threshold '%s' is empty or too long",
                            text ? text : "");
    snprintf(t->expression, sizeof t->expression, "%s", text);
    const char *start = text + strspn(text, " \t");
    if (strncmp(start, CHECK_PREFIX, sizeof CHECK_PREFIX - 1) == 0)
        return parse_check(text, start + sizeof CHECK_PREFIX - 1, t, err);
    char work[sizeof t->expression];
    size_t n = 0;
    for (const char *p = text; *p; p++) /* blanks are allowed anywhere */
        if (*p != ' ' && *p != '\t') work[n++] = *p;
    work[n] = '\0';
    char *op = strpbrk(work, "<>");
    if (!op)
        return throng__fail(err, THRONG_EINVAL,
                            "threshold '%s': expected METRIC<LIMIT or METRIC>LIMIT, as p99<50ms",
                            text);
    t->op[0] = *op;
    char *limit = op + 1;
    if (*limit == '=') t->op[1] = *limit++;
    *op = '\0';
    char *metric = work, *colon = strrchr(work, ':');
    if (colon) {
        *colon = '\0';
        if (!*work || strlen(work) >= sizeof t->name)
            return throng__fail(err, THRONG_EINVAL, "threshold '%s': bad request name", text);
        snprintf(t->name, sizeof t->name, "%s", work);
        metric = colon + 1;
    }
    if (!*metric || strlen(metric) >= sizeof t->metric_text)
        return throng__fail(err, THRONG_EINVAL, "threshold '%s': missing metric", text);
    snprintf(t->metric_text, sizeof t->metric_text, "%s", metric);
    int rc = parse_metric(t, err);
    return rc ? rc : parse_limit(t, limit, err);
}

/* The counts a threshold reads, of the run, a group or a request name. */
typedef struct measured {
    const throng__hist_t *h;
    uint64_t requests, sent, failures, arrivals, dropped;
} measured_t;

/* What the threshold measures on a histogram and counts. */
static double measure(const throng__threshold_t *t, const measured_t *m, double elapsed)
{
    const throng__hist_t *h = m->h;
    uint64_t requests = m->requests, sent = m->sent, failures = m->failures;
    switch (t->metric) {
    case THRONG__METRIC_PERCENTILE:
        return (double)throng__hist_percentile(h, t->q) * 1e-9;
    case THRONG__METRIC_MEAN:
        return throng__hist_mean(h) * 1e-9;
    case THRONG__METRIC_MIN:
        return (double)throng__hist_min(h) * 1e-9;
    case THRONG__METRIC_MAX:
        return (double)throng__hist_max(h) * 1e-9;
    case THRONG__METRIC_ERRORS:
        /* Of the exchanges tried: a refused response is both a response and
         * a failure, a refused connection only a failure. */
        return sent > failures ? (double)failures / (double)sent : failures > 0 ? 1 : 0;
    case THRONG__METRIC_FAILURES:
        return (double)failures;
    case THRONG__METRIC_RATE:
        return elapsed > 0 ? (double)requests / elapsed : 0;
    case THRONG__METRIC_REQUESTS:
        return (double)requests;
    case THRONG__METRIC_DROPPED:
        return (double)m->dropped;
    case THRONG__METRIC_DROPPED_SHARE:
        return m->arrivals ? (double)m->dropped / (double)m->arrivals : 0;
    case THRONG__METRIC_CHECK_RATE:
        break; /* measured apart: eval_check */
    }
    return 0;
}

static int compare(const char *op, double value, double limit)
{
    if (op[0] == '<') return op[1] ? value <= limit : value < limit;
    return op[1] ? value >= limit : value > limit;
}

/* Not measured: the threshold fails, saying why. */
static void unmeasured(throng__threshold_t *t, const char *why)
{
    t->measured = 0;
    t->value = 0;
    t->passed = 0;
    snprintf(t->note, sizeof t->note, "%s", why);
}

/* A check's pass rate; never passes for a check that never ran. */
static void eval_check(throng__threshold_t *t, const throng__stats_t *total)
{
    const throng__check_stats_t *c = NULL;
    for (unsigned i = 0; i < total->nchecks && !c; i++)
        if (strcmp(total->checks[i].name, t->name) == 0) c = &total->checks[i];
    if (!c || c->passes + c->fails == 0) {
        unmeasured(t, "no check of that name ran");
        return;
    }
    t->value = (double)c->passes / (double)(c->passes + c->fails);
    t->passed = compare(t->op, t->value, t->limit);
}

/* The transaction named name, or NULL. */
static const throng__txn_stats_t *find_txn(const throng__stats_t *total, const char *name)
{
    for (unsigned i = 0; i < total->ntxns; i++)
        if (strcmp(total->txns[i]->name, name) == 0) return total->txns[i];
    return NULL;
}

void throng__threshold_eval(throng__threshold_t *t, const throng__stats_t *total, double elapsed)
{
    const throng__hist_t *hs[] = {&total->latency, &total->service, &total->corrected};
    measured_t m = {hs[t->hist],       total->n.requests,
                    total->n.sent,     throng__counts_failures(&total->n),
                    total->n.arrivals, total->n.dropped};
    t->measured = 1;
    t->note[0] = '\0';
    t->transaction = 0;
    if (t->metric == THRONG__METRIC_CHECK_RATE) {
        eval_check(t, total);
        return;
    }
    if (t->hist == THRONG__HIST_CORRECTED && !total->expected_interval_ns &&
        !throng__hist_count(m.h)) {
        /* It must not pass for want of anything to measure. */
        unmeasured(t, "nothing corrected: no expected interval was set (expected_interval)");
        return;
    }
    const throng__txn_stats_t *txn = t->name[0] ? find_txn(total, t->name) : NULL;
    if (txn) {
        /* A transaction: each one counts as a request, its failures as
         * failures. */
        t->transaction = 1;
        m.h = &txn->latency;
        m.requests = m.sent = txn->count;
        m.failures = txn->failures;
    } else if (t->name[0]) {
        const throng__name_stats_t *ns = NULL;
        for (unsigned i = 0; i < total->nnames && !ns; i++)
            if (strcmp(total->names[i]->name, t->name) == 0) ns = total->names[i];
        if (!ns) { /* nothing of that name ran: the threshold cannot pass */
            unmeasured(t, "");
            return;
        }
        m.h = &ns->latency;
        m.requests = ns->requests;
        m.sent = ns->sent;
        m.failures = throng__faults_failures(ns->faults);
    }
    if (is_latency(t->metric) && throng__hist_count(m.h) == 0) {
        unmeasured(t, ""); /* no latency measured: a latency limit is not met */
        return;
    }
    t->value = measure(t, &m, elapsed);
    t->passed = compare(t->op, t->value, t->limit);
}
