/* threshold.h - pass/fail conditions on a run's results, as k6 users know
 * them: "p99<50ms", "p99.9<=200ms", "errors<1%", "rate>1000", each optionally
 * for one request name ("table:p99<20ms"); and, for a group or the run
 * only, "service.p99<50ms", "corrected.p99<50ms", "dropped<1%" (a share of
 * the arrivals) and "dropped<10" (a count).
 *
 * A name is a transaction's (client:transaction) when one of that name
 * ran, else a request name's: "checkout:p99<2s", "checkout:errors<1%".
 * "check:NAME>99%" is a named check's pass rate (client:check,
 * throng.check); its name keeps its blanks ("check:logged in>99%"). */
#ifndef THRONG_THRESHOLD_H
#define THRONG_THRESHOLD_H

#include "stats/stats.h"

typedef enum {
    THRONG__METRIC_PERCENTILE, /* latency at percentile q */
    THRONG__METRIC_MEAN,
    THRONG__METRIC_MIN,
    THRONG__METRIC_MAX,
    THRONG__METRIC_ERRORS,        /* failures / (requests + failures), a share */
    THRONG__METRIC_FAILURES,      /* a count */
    THRONG__METRIC_RATE,          /* requests per second */
    THRONG__METRIC_REQUESTS,      /* a count */
    THRONG__METRIC_DROPPED,       /* arrivals dropped, a count */
    THRONG__METRIC_DROPPED_SHARE, /* dropped / arrivals, a share */
    THRONG__METRIC_CHECK_RATE     /* a check's passes / (passes + fails), a share */
} throng__metric_t;

/* Which latency distribution a latency metric reads ("p99",
 * "service.p99", "corrected.p99"). */
typedef enum {
    THRONG__HIST_LATENCY,
    THRONG__HIST_SERVICE,  /* group level only */
    THRONG__HIST_CORRECTED /* group level only, with an expected interval */
} throng__hist_kind_t;

typedef struct throng__threshold {
    char expression[96];
    char name[THRONG__NAME_LEN]; /* a transaction's or request's name, a check's, or "" */
    int group;                   /* the group it applies to, or -1 for the whole run */
    char metric_text[24];        /* "p99", "errors", "corrected.p99" ... as written */
    throng__metric_t metric;
    throng__hist_kind_t hist; /* for latency metrics */
    double q;                 /* percentile, for THRONG__METRIC_PERCENTILE */
    char op[3];
    double limit; /* seconds, a share (0..1), or a count */
    /* after evaluation */
    int measured; /* 0 when nothing was there to measure (a name never used) */
    double value;
    int passed;
    char note[128];  /* why it could not be measured, or "" */
    int transaction; /* after evaluation: name was a transaction's */
} throng__threshold_t;

/* Parses text into t. Returns 0, or -1 with the reason in err
 * (THRONG__ERRMSG_LEN bytes), naming the expression. */
int throng__threshold_parse(const char *text, throng__threshold_t *t, char *err);

/* Measures t against the run's totals (or the named request's stats across
 * groups) and sets value and passed. */
void throng__threshold_eval(throng__threshold_t *t, const throng__stats_t *total, double elapsed);

#endif
