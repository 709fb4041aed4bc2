/* series.h - the per-second series of a run: requests, failures and latency
 * percentiles of each second. Each worker counts its current second in a
 * throng__second_t (with a coarse histogram, within 3%, 4 KB); finished
 * seconds are merged across threads and processes and turn into points. */
#ifndef THRONG_SERIES_H
#define THRONG_SERIES_H

#include <stddef.h>
#include <stdint.h>

#define THRONG__Q_BUCKETS 1024 /* 16 per doubling, for any 64-bit value */

typedef struct throng__second {
    uint64_t t; /* which second of the run, 1 for the first; 0 = none yet */
    uint64_t requests, failures, sum_ns, max_ns;
    uint32_t q[THRONG__Q_BUCKETS];
} throng__second_t;

/* The bucket of a latency: exact below 16 ns, then 16 buckets per doubling. */
static inline unsigned throng__q_index(uint64_t ns)
{
    if (ns < 16) return (unsigned)ns;
    unsigned e = 63u - (unsigned)__builtin_clzll(ns);
    return (e - 3) * 16 + (unsigned)((ns >> (e - 4)) & 15);
}

static inline void throng__second_record(throng__second_t *s, uint64_t ns)
{
    s->requests++;
    s->sum_ns += ns;
    if (ns > s->max_ns) s->max_ns = ns;
    s->q[throng__q_index(ns)]++;
}

void throng__second_reset(throng__second_t *s, uint64_t t);
void throng__second_merge(throng__second_t *into, const throng__second_t *from);

/* A finished second, as reports show it (seconds). */
typedef struct throng__point {
    uint64_t t, requests, failures;
    double mean, p50, p90, p99, max;
} throng__point_t;

void throng__second_point(const throng__second_t *s, throng__point_t *p);

/* Seconds still arriving, and the points already made. */
typedef struct throng__series {
    throng__second_t *pending; /* sorted by t */
    size_t npending, cap;
    throng__point_t *points;
    size_t npoints, points_cap;
} throng__series_t;

void throng__series_init(throng__series_t *s);
void throng__series_free(throng__series_t *s);

/* Adds a finished second of one worker (or process). A second that was
 * already made into a point is added to that point's counts only. 0, or -1
 * when memory runs out. */
int throng__series_add(throng__series_t *s, const throng__second_t *second);

/* Makes points of every pending second with t < before (all: UINT64_MAX).
 * Points stay in time order: a second that arrives after a later one was
 * settled becomes a point of its own, in its place. */
int throng__series_settle(throng__series_t *s, uint64_t before);

/* The pending second t, or NULL (for a worker process to send on). */
const throng__second_t *throng__series_pending(const throng__series_t *s, size_t i);

#endif
