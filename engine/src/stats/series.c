/* series.c - seconds of a run, merged and turned into points. */
#include <stdlib.h>
#include <string.h>

#include "stats/series.h"

void throng__second_reset(throng__second_t *s, uint64_t t)
{
    memset(s, 0, sizeof *s);
    s->t = t;
}

void throng__second_merge(throng__second_t *into, const throng__second_t *from)
{
    into->requests += from->requests;
    into->failures += from->failures;
    into->sum_ns += from->sum_ns;
    into->timed_out += from->timed_out;
    into->target += from->target;
    into->active += from->active;
    into->arrivals += from->arrivals;
    into->dropped += from->dropped;
    into->open |= from->open;
    if (from->max_ns > into->max_ns) into->max_ns = from->max_ns;
    for (unsigned i = 0; i < THRONG__Q_BUCKETS; i++)
        into->q[i] += from->q[i];
}

/* The middle of bucket i, in ns. */
static double bucket_middle(unsigned i)
{
    if (i < 16) return i;
    unsigned e = i / 16 + 3, sub = i % 16;
    double width = (double)(1ULL << (e - 4));
    return (16 + sub) * width + width / 2;
}

/* The value at quantile q (0..1) of the second's histogram, in ns. */
static double quantile(const throng__second_t *s, double q)
{
    uint64_t rank = (uint64_t)(q * (double)(s->requests + s->timed_out) + 0.999999), seen = 0;
    if (rank == 0) rank = 1;
    for (unsigned i = 0; i < THRONG__Q_BUCKETS; i++) {
        seen += s->q[i];
        if (seen >= rank) {
            double v = bucket_middle(i);
            return v > (double)s->max_ns ? (double)s->max_ns : v;
        }
    }
    return (double)s->max_ns;
}

void throng__second_point(const throng__second_t *s, throng__point_t *p)
{
    memset(p, 0, sizeof *p);
    p->t = s->t;
    p->requests = s->requests;
    p->failures = s->failures;
    p->target = s->target;
    p->active = s->active;
    p->arrivals = s->arrivals;
    p->dropped = s->dropped;
    p->open = s->open != 0;
    p->achieved = throng__point_achieved(p);
    uint64_t measured = s->requests + s->timed_out;
    if (!measured) return;
    p->mean = (double)s->sum_ns / (double)measured * 1e-9;
    p->p50 = quantile(s, 0.50) * 1e-9;
    p->p90 = quantile(s, 0.90) * 1e-9;
    p->p99 = quantile(s, 0.99) * 1e-9;
    p->max = (double)s->max_ns * 1e-9;
}

double throng__point_achieved(const throng__point_t *p)
{
    if (p->open) return p->arrivals >= p->dropped ? (double)(p->arrivals - p->dropped) : 0;
    return (double)p->active;
}

void throng__series_init(throng__series_t *s)
{
    memset(s, 0, sizeof *s);
}

void throng__series_free(throng__series_t *s)
{
    for (size_t g = 0; g < s->ngroups; g++)
        throng__series_free(&s->groups[g]);
    free(s->groups);
    free(s->pending);
    free(s->points);
    memset(s, 0, sizeof *s);
}

/* Room for one more point. 0, or -1 when memory runs out. */
static int points_room(throng__series_t *s)
{
    if (s->npoints < s->points_cap) return 0;
    size_t cap = s->points_cap ? 2 * s->points_cap : 64;
    throng__point_t *p = realloc(s->points, cap * sizeof *p);
    if (!p) return -1;
    s->points = p;
    s->points_cap = cap;
    return 0;
}

/* A point already made for second t, or NULL. */
static throng__point_t *point_of(throng__series_t *s, uint64_t t)
{
    for (size_t i = s->npoints; i > 0; i--) {
        if (s->points[i - 1].t == t) return &s->points[i - 1];
        if (s->points[i - 1].t < t) break;
    }
    return NULL;
}

int throng__series_add(throng__series_t *s, const throng__second_t *second)
{
    if (!second->t) return 0;
    throng__point_t *late = point_of(s, second->t);
    if (late) { /* too late for its percentiles: its counts still add up */
        late->requests += second->requests;
        late->failures += second->failures;
        late->target += second->target;
        late->active += second->active;
        late->arrivals += second->arrivals;
        late->dropped += second->dropped;
        late->open |= second->open != 0;
        late->achieved = throng__point_achieved(late);
        return 0;
    }
    if (s->npoints && second->t < s->points[s->npoints - 1].t) {
        /* No source had sent it when a later second was settled: it becomes
         * a point of its own, in its place, so points stay in order of t. */
        if (points_room(s) != 0) return -1;
        size_t at = s->npoints;
        while (at > 0 && s->points[at - 1].t > second->t)
            at--;
        memmove(&s->points[at + 1], &s->points[at], (s->npoints - at) * sizeof *s->points);
        throng__second_point(second, &s->points[at]);
        s->npoints++;
        return 0;
    }
    size_t i = 0;
    while (i < s->npending && s->pending[i].t < second->t)
        i++;
    if (i < s->npending && s->pending[i].t == second->t) {
        throng__second_merge(&s->pending[i], second);
        return 0;
    }
    if (s->npending == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 8;
        throng__second_t *p = realloc(s->pending, cap * sizeof *p);
        if (!p) return -1;
        s->pending = p;
        s->cap = cap;
    }
    memmove(&s->pending[i + 1], &s->pending[i], (s->npending - i) * sizeof *s->pending);
    s->pending[i] = *second;
    s->npending++;
    return 0;
}

int throng__series_add_group(throng__series_t *s, unsigned group, const throng__second_t *second)
{
    if (group >= s->ngroups) {
        size_t n = (size_t)group + 1;
        throng__series_t *g = realloc(s->groups, n * sizeof *g);
        if (!g) return -1;
        for (size_t i = s->ngroups; i < n; i++)
            throng__series_init(&g[i]);
        s->groups = g;
        s->ngroups = n;
    }
    int rc = throng__series_add(&s->groups[group], second);
    return throng__series_add(s, second) != 0 ? -1 : rc;
}

const throng__series_t *throng__series_group(const throng__series_t *s, unsigned group)
{
    return group < s->ngroups ? &s->groups[group] : NULL;
}

int throng__series_settle(throng__series_t *s, uint64_t before)
{
    size_t done = 0;
    int rc = 0, grc = 0;
    for (size_t g = 0; g < s->ngroups; g++)
        if (throng__series_settle(&s->groups[g], before) != 0) grc = -1;
    while (done < s->npending && s->pending[done].t < before) {
        /* Out of memory: the seconds made into points still leave pending. */
        if ((rc = points_room(s)) != 0) break;
        throng__second_point(&s->pending[done], &s->points[s->npoints++]);
        done++;
    }
    if (done) { /* pending may be NULL when nothing was handed over yet */
        memmove(s->pending, s->pending + done, (s->npending - done) * sizeof *s->pending);
        s->npending -= done;
    }
    return rc != 0 ? rc : grc;
}

const throng__second_t *throng__series_pending(const throng__series_t *s, size_t i)
{
    return i < s->npending ? &s->pending[i] : NULL;
}
