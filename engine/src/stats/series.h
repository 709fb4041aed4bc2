/* series.h - the per-second series of a run: requests, failures and latency
 * percentiles of each second, and the load planned and achieved in it. Each worker counts its
 * current second in a throng__second_t (with a coarse histogram, within 3%, 4 KB); finished seconds
 * are merged across threads and processes and turn into points. */
#ifndef THRONG_SERIES_H
#define THRONG_SERIES_H

#include <stddef.h>
#include <stdint.h>

#define THRONG__Q_BUCKETS 1024 /* 16 per doubling, for any 64-bit value */

typedef struct throng__second {
    uint64_t t; /* which second of the run, 1 for the first; 0 = none yet */
    uint64_t requests, failures, sum_ns, max_ns;
    uint64_t timed_out; /* latencies of timed-out exchanges in q, sum and max (not requests) */
    /* The load: each worker writes its own share of target and active, and
     * counts its arrivals; merging adds them up. */
    double target;     /* planned: clients (closed model) or arrivals per second (open) */
    uint64_t active;   /* clients busy in a session */
    uint64_t arrivals; /* open model: arrivals due in this second, dropped ones included */
    uint64_t dropped;  /* ... of which found no free client */
    uint64_t open;     /* non-zero: an open model counted here (throng__ledger_arrival sets it;
                          a worker of the open model may set it too, for seconds without
                          arrivals), so that achieved is arrivals - dropped, not active */
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

/* A timed-out exchange's wait: in the percentiles, not in requests. */
static inline void throng__second_record_timeout(throng__second_t *s, uint64_t ns)
{
    s->timed_out++;
    s->sum_ns += ns;
    if (ns > s->max_ns) s->max_ns = ns;
    s->q[throng__q_index(ns)]++;
}

void throng__second_reset(throng__second_t *s, uint64_t t);
void throng__second_merge(throng__second_t *into, const throng__second_t *from);

/* A finished second, as reports show it (seconds). */
typedef struct throng__point {
    uint64_t t, requests, failures;
    double mean, p50, p90, p99, max; /* of answered and timed-out exchanges */
    double target;                   /* as in the second */
    uint64_t active, arrivals, dropped;
    int open;
    double achieved; /* open: arrivals - dropped (per second); closed: active */
} throng__point_t;

void throng__second_point(const throng__second_t *s, throng__point_t *p);

/* What a point achieved, from its counts. */
double throng__point_achieved(const throng__point_t *p);

/* Seconds still arriving, and the points already made. A run's series also
 * keeps one of its own per group (groups[g], by the group's index), fed with
 * the same seconds: the run's counts are the sum of its groups' second by
 * second. */
typedef struct throng__series {
    throng__second_t *pending; /* sorted by t */
    size_t npending, cap;
    throng__point_t *points;
    size_t npoints, points_cap;
    struct throng__series *groups; /* NULL until a second of a group arrives */
    size_t ngroups;
} throng__series_t;

void throng__series_init(throng__series_t *s);
void throng__series_free(throng__series_t *s);

/* Adds a finished second of one worker (or process). A second that was
 * already made into a point is added to that point's counts only. 0, or -1
 * when memory runs out. */
int throng__series_add(throng__series_t *s, const throng__second_t *second);

/* The same for a second of group g: it goes to s and to s's series of g. */
int throng__series_add_group(throng__series_t *s, unsigned group, const throng__second_t *second);

/* s's series of group g, or NULL when none of its seconds arrived. */
const throng__series_t *throng__series_group(const throng__series_t *s, unsigned group);

/* Makes points of every pending second with t < before (all: UINT64_MAX),
 * in s and in its groups' series.
 * Points stay in time order: a second that arrives after a later one was
 * settled becomes a point of its own, in its place. */
int throng__series_settle(throng__series_t *s, uint64_t before);

/* The pending second t, or NULL (for a worker process to send on). */
const throng__second_t *throng__series_pending(const throng__series_t *s, size_t i);

#endif
