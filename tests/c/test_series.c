/* test_series.c - the per-second series: a second's point (mean, max and
 * percentiles within the coarse histogram's 3%), one second from several
 * sources merged into one point, settling only what is before the bound
 * and in order, late parts of a settled second adding to its counts only,
 * gaps, freeing, and the series per group (the run's second t the sum of
 * its groups', late seconds too). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "stats/series.h"

#define MS 1000000ull

static int near(double got, double want, double rel)
{
    return fabs(got - want) <= rel * fabs(want);
}

static throng__second_t *new_second(uint64_t t)
{
    throng__second_t *s = malloc(sizeof *s);
    if (!s) abort();
    throng__second_reset(s, t);
    return s;
}

/* t, with n answers of ns each and some failures. */
static void second_of(throng__second_t *s, uint64_t t, unsigned n, uint64_t ns, uint64_t failures)
{
    throng__second_reset(s, t);
    for (unsigned i = 0; i < n; i++)
        throng__second_record(s, ns);
    s->failures = failures;
}

static void test_point(void)
{
    throng__second_t *s = new_second(4);
    throng__point_t p;

    /* An empty second: its t and zeros. */
    memset(&p, 0xff, sizeof p);
    throng__second_point(s, &p);
    CHECK_INT(p.t, 4);
    CHECK_INT(p.requests, 0);
    CHECK_INT(p.failures, 0);
    CHECK(p.mean == 0 && p.p50 == 0 && p.p99 == 0 && p.max == 0);

    /* 1..100 ms: mean and max exact, percentiles within 3%. */
    for (uint64_t ms = 1; ms <= 100; ms++)
        throng__second_record(s, ms * MS);
    s->failures = 2;
    throng__second_point(s, &p);
    CHECK_INT(p.t, 4);
    CHECK_INT(p.requests, 100);
    CHECK_INT(p.failures, 2);
    CHECK(near(p.mean, 0.0505, 1e-9));
    CHECK(near(p.max, 0.100, 1e-9));
    CHECK(near(p.p50, 0.050, 0.03));
    CHECK(near(p.p90, 0.090, 0.03));
    CHECK(near(p.p99, 0.099, 0.03));
    CHECK(p.p50 < p.p90 && p.p90 < p.p99 && p.p99 <= p.max);

    /* Below 16 ns a bucket is exact. */
    throng__second_reset(s, 1);
    for (int i = 0; i < 10; i++)
        throng__second_record(s, i < 5 ? 3 : 9);
    throng__second_point(s, &p);
    CHECK(near(p.p50, 3e-9, 1e-12));
    CHECK(near(p.p90, 9e-9, 1e-12));
    CHECK(near(p.max, 9e-9, 1e-12));

    /* A percentile never exceeds the second's max. */
    throng__second_reset(s, 1);
    throng__second_record(s, 1000001);
    throng__second_point(s, &p);
    CHECK(p.p99 <= p.max && near(p.p99, 1.000001e-3, 0.03));

    /* Bucket indexes grow with the value and stay in range. */
    unsigned prev = 0, top = throng__q_index(UINT64_MAX);
    CHECK(top < THRONG__Q_BUCKETS);
    int monotone = 1;
    for (uint64_t v = 1; v < (1ull << 62); v = v * 3 / 2 + 1) {
        unsigned i = throng__q_index(v);
        if (i < prev) monotone = 0;
        prev = i;
    }
    CHECK(monotone);
    free(s);
}

static void test_merge_sources(void)
{
    throng__series_t series;
    throng__series_init(&series);
    throng__second_t *a = new_second(0), *b = new_second(0);
    /* Two sources count second 1: fast answers in a, slow ones in b. */
    second_of(a, 1, 90, 10 * MS, 1);
    second_of(b, 1, 10, 100 * MS, 2);
    CHECK_INT(throng__series_add(&series, a), 0);
    CHECK_INT(throng__series_add(&series, b), 0);
    CHECK_INT(series.npending, 1);
    const throng__second_t *pending = throng__series_pending(&series, 0);
    CHECK(pending && pending->t == 1 && pending->requests == 100 && pending->failures == 3);
    CHECK(throng__series_pending(&series, 1) == NULL);

    CHECK_INT(throng__series_settle(&series, 2), 0);
    CHECK_INT(series.npoints, 1);
    CHECK_INT(series.npending, 0);
    const throng__point_t *p = &series.points[0];
    CHECK_INT(p->t, 1);
    CHECK_INT(p->requests, 100);
    CHECK_INT(p->failures, 3);
    CHECK(near(p->mean, 0.019, 1e-9)); /* (90 * 10 + 10 * 100) / 100 ms */
    CHECK(near(p->p50, 0.010, 0.03));  /* from a */
    CHECK(near(p->p90, 0.010, 0.03));  /* the 90th of 100 is still a's */
    CHECK(near(p->p99, 0.100, 0.03));  /* from b */
    CHECK(near(p->max, 0.100, 1e-9));

    /* The sources' seconds are untouched. */
    CHECK_INT(a->requests, 90);
    CHECK_INT(b->requests, 10);
    throng__series_free(&series);
    free(a);
    free(b);
}

/* Settling before any second was handed over (the first second of a run)
 * makes nothing and touches nothing: under UBSan a memmove from a NULL
 * pending list aborted the run here. */
static void test_settle_empty(void)
{
    throng__series_t series;
    throng__series_init(&series);
    CHECK_INT(throng__series_settle(&series, 2), 0);
    CHECK_INT(throng__series_settle(&series, UINT64_MAX), 0);
    CHECK_INT(series.npoints, 0);
    throng__series_free(&series);
}

static void test_settle(void)
{
    throng__series_t series;
    throng__series_init(&series);
    throng__second_t *s = new_second(0);

    /* Seconds arrive out of order, from two sources; 4 from neither. */
    static const uint64_t order[] = {3, 1, 5, 2, 1, 3, 6};
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        second_of(s, order[i], (unsigned)order[i], order[i] * MS, 0);
        CHECK_INT(throng__series_add(&series, s), 0);
    }
    /* Pending seconds are kept sorted, one per t. */
    CHECK_INT(series.npending, 5);
    static const uint64_t sorted[] = {1, 2, 3, 5, 6};
    for (size_t i = 0; i < 5; i++) {
        const throng__second_t *p = throng__series_pending(&series, i);
        CHECK(p != NULL && p->t == sorted[i]);
    }
    CHECK_INT(throng__series_pending(&series, 1)->requests, 2);
    CHECK_INT(throng__series_pending(&series, 2)->requests, 6); /* 3 twice */

    /* Only seconds before the bound. */
    CHECK_INT(throng__series_settle(&series, 1), 0);
    CHECK_INT(series.npoints, 0);
    CHECK_INT(throng__series_settle(&series, 3), 0);
    CHECK_INT(series.npoints, 2);
    CHECK_INT(series.points[0].t, 1);
    CHECK_INT(series.points[0].requests, 2);
    CHECK_INT(series.points[1].t, 2);
    CHECK_INT(series.npending, 3);
    CHECK_INT(throng__series_pending(&series, 0)->t, 3);
    /* Settling the same bound again makes nothing more. */
    CHECK_INT(throng__series_settle(&series, 3), 0);
    CHECK_INT(series.npoints, 2);

    /* A gap: the series makes no point for a second nobody sent. */
    CHECK_INT(throng__series_settle(&series, 6), 0);
    CHECK_INT(series.npoints, 4);
    CHECK_INT(series.points[2].t, 3);
    CHECK_INT(series.points[2].requests, 6);
    CHECK_INT(series.points[3].t, 5);
    CHECK_INT(series.npending, 1);

    /* Everything. */
    CHECK_INT(throng__series_settle(&series, UINT64_MAX), 0);
    CHECK_INT(series.npoints, 5);
    CHECK_INT(series.points[4].t, 6);
    CHECK_INT(series.npending, 0);
    CHECK(throng__series_pending(&series, 0) == NULL);

    /* A second with t = 0 (none yet) is no second. */
    throng__second_reset(s, 0);
    throng__second_record(s, MS);
    CHECK_INT(throng__series_add(&series, s), 0);
    CHECK_INT(series.npending, 0);
    CHECK_INT(throng__series_settle(&series, UINT64_MAX), 0);
    CHECK_INT(series.npoints, 5);

    throng__series_free(&series);
    free(s);
}

/* A part of a second that arrives after the second was made into a point
 * adds to that point's counts only: its percentiles, mean and max stay,
 * and no second point for it appears. */
static void test_late(void)
{
    throng__series_t series;
    throng__series_init(&series);
    throng__second_t *s = new_second(0);
    second_of(s, 1, 10, 5 * MS, 1);
    throng__series_add(&series, s);
    second_of(s, 2, 10, 5 * MS, 0);
    throng__series_add(&series, s);
    CHECK_INT(throng__series_settle(&series, 3), 0);
    throng__point_t before = series.points[0];

    second_of(s, 1, 50, 900 * MS, 4);
    CHECK_INT(throng__series_add(&series, s), 0);
    CHECK_INT(series.npending, 0);
    CHECK_INT(series.npoints, 2);
    const throng__point_t *p = &series.points[0];
    CHECK_INT(p->t, 1);
    CHECK_INT(p->requests, 60);
    CHECK_INT(p->failures, 5);
    CHECK(p->p50 == before.p50 && p->p90 == before.p90 && p->p99 == before.p99);
    CHECK(p->mean == before.mean && p->max == before.max);
    CHECK_INT(series.points[1].requests, 10); /* its neighbour untouched */

    /* Settling again makes no second point for 1. */
    CHECK_INT(throng__series_settle(&series, UINT64_MAX), 0);
    CHECK_INT(series.npoints, 2);

    /* A late part of a second that was never made into a point, because no
     * source had sent it when a later one settled, still leaves the points
     * in order of t. */
    second_of(s, 4, 3, MS, 0);
    throng__series_add(&series, s);
    CHECK_INT(throng__series_settle(&series, 5), 0);
    second_of(s, 3, 7, 2 * MS, 1);
    CHECK_INT(throng__series_add(&series, s), 0);
    CHECK_INT(throng__series_settle(&series, 6), 0);
    CHECK_INT(series.npoints, 4);
    int in_order = 1;
    for (size_t i = 1; i < series.npoints; i++)
        if (series.points[i - 1].t >= series.points[i].t) in_order = 0;
    CHECK(in_order);
    uint64_t requests = 0, failures = 0;
    for (size_t i = 0; i < series.npoints; i++) {
        requests += series.points[i].requests;
        failures += series.points[i].failures;
    }
    CHECK_INT(requests, 60 + 10 + 3 + 7);
    CHECK_INT(failures, 5 + 1);
    /* And a further late part of it adds to that point. */
    second_of(s, 3, 1, 2 * MS, 0);
    CHECK_INT(throng__series_add(&series, s), 0);
    CHECK_INT(throng__series_settle(&series, UINT64_MAX), 0);
    CHECK_INT(series.npoints, 4);
    CHECK_INT(series.points[2].t, 3);
    CHECK_INT(series.points[2].requests, 8);

    throng__series_free(&series);
    free(s);
}

/* Many seconds, growing both arrays; freeing leaves an empty series that
 * can be used again (ASan's leak check sees what is not freed). */
static void test_many_and_free(void)
{
    throng__series_t series;
    throng__series_init(&series);
    throng__second_t *s = new_second(0);
    const uint64_t n = 1000;
    /* Two sources, each sending every second, the second one backwards. */
    for (uint64_t t = 1; t <= n; t++) {
        second_of(s, t, 1, t * MS, 0);
        CHECK_INT(throng__series_add(&series, s), 0);
    }
    for (uint64_t t = n; t >= 1; t--) {
        second_of(s, t, 2, t * MS, 1);
        CHECK_INT(throng__series_add(&series, s), 0);
    }
    CHECK_INT(series.npending, n);
    CHECK_INT(throng__series_settle(&series, n / 2 + 1), 0);
    CHECK_INT(series.npoints, n / 2);
    CHECK_INT(throng__series_settle(&series, UINT64_MAX), 0);
    CHECK_INT(series.npoints, n);
    int ok = 1;
    for (uint64_t i = 0; i < n; i++) {
        const throng__point_t *p = &series.points[i];
        if (p->t != i + 1 || p->requests != 3 || p->failures != 1 ||
            !near(p->max, (double)(i + 1) * 1e-3, 1e-9))
            ok = 0;
    }
    CHECK(ok);

    throng__series_free(&series);
    CHECK(series.points == NULL && series.pending == NULL);
    CHECK_INT(series.npoints, 0);
    CHECK_INT(series.npending, 0);
    second_of(s, 9, 1, MS, 0);
    CHECK_INT(throng__series_add(&series, s), 0);
    CHECK_INT(throng__series_settle(&series, UINT64_MAX), 0);
    CHECK_INT(series.npoints, 1);
    CHECK_INT(series.points[0].t, 9);
    throng__series_free(&series);
    /* Freeing an empty series, twice, is harmless. */
    throng__series_free(&series);
    free(s);
}

/* The requests and failures of group g's point t (0 when it has none). */
static void group_counts(const throng__series_t *s, unsigned g, uint64_t t, uint64_t *requests,
                         uint64_t *failures)
{
    const throng__series_t *gs = throng__series_group(s, g);
    for (size_t i = 0; gs && i < gs->npoints; i++)
        if (gs->points[i].t == t) {
            *requests += gs->points[i].requests;
            *failures += gs->points[i].failures;
        }
}

/* Seconds of groups 0 and 2 from several sources, one arriving late: each
 * group's series holds its own, and the run's second t is their sum. */
static void test_groups(void)
{
    throng__series_t series;
    throng__series_init(&series);
    throng__second_t *s = new_second(0);
    CHECK(throng__series_group(&series, 0) == NULL);
    for (uint64_t t = 1; t <= 4; t++) {
        second_of(s, t, 10, MS, 1); /* group 0, two sources */
        CHECK_INT(throng__series_add_group(&series, 0, s), 0);
        second_of(s, t, 5, 2 * MS, 0);
        CHECK_INT(throng__series_add_group(&series, 0, s), 0);
        if (t >= 2) { /* group 2 starts a second later */
            second_of(s, t, 7, 3 * MS, 2);
            CHECK_INT(throng__series_add_group(&series, 2, s), 0);
        }
    }
    CHECK_INT(throng__series_settle(&series, 4), 0);
    /* Group 2's second 3 from a late source, after second 3 was settled. */
    second_of(s, 3, 3, 3 * MS, 1);
    CHECK_INT(throng__series_add_group(&series, 2, s), 0);
    /* And group 2's second 1, which it never had before. */
    second_of(s, 1, 4, 3 * MS, 0);
    CHECK_INT(throng__series_add_group(&series, 2, s), 0);
    CHECK_INT(throng__series_settle(&series, UINT64_MAX), 0);

    CHECK_INT(series.ngroups, 3);
    const throng__series_t *g0 = throng__series_group(&series, 0),
                           *g1 = throng__series_group(&series, 1),
                           *g2 = throng__series_group(&series, 2);
    CHECK(g0 && g1 && g2 && throng__series_group(&series, 3) == NULL);
    CHECK_INT(g1->npoints, 0);
    CHECK_INT(g0->npoints, 4);
    CHECK_INT(g2->npoints, 4);
    CHECK_INT(g0->points[0].requests, 15);
    CHECK_INT(g0->points[0].failures, 1);
    CHECK_INT(g2->points[0].t, 1); /* in its place */
    CHECK_INT(g2->points[0].requests, 4);
    CHECK_INT(g2->points[2].t, 3);
    CHECK_INT(g2->points[2].requests, 10);
    CHECK_INT(g2->points[2].failures, 3);
    CHECK(near(g2->points[1].max, 3e-3, 1e-9));
    CHECK(near(g0->points[1].max, 2e-3, 1e-9));

    CHECK_INT(series.npoints, 4);
    uint64_t all = 0;
    for (size_t i = 0; i < series.npoints; i++) {
        const throng__point_t *p = &series.points[i];
        uint64_t requests = 0, failures = 0;
        for (unsigned g = 0; g < 3; g++)
            group_counts(&series, g, p->t, &requests, &failures);
        CHECK_INT(p->requests, requests);
        CHECK_INT(p->failures, failures);
        all += p->requests;
    }
    CHECK_INT(all, 4 * 15 + 3 * 7 + 3 + 4);
    throng__series_free(&series);
    CHECK(series.groups == NULL);
    CHECK_INT(series.ngroups, 0);
    free(s);
}

int main(void)
{
    test_point();
    test_merge_sources();
    test_settle_empty();
    test_settle();
    test_late();
    test_many_and_free();
    test_groups();
    return check_result("test_series");
}
