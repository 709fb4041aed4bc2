/* hist.h - the latency histogram: fixed size, log-linear (HdrHistogram-style),
 * recording nanoseconds with at most 0.05% relative error from 0 ns up to
 * 2^42 ns (about 73 minutes). Every client thread owns its histograms and
 * records without atomics; histograms are merged exactly at the edges
 * (STYLE.md, rule 6) and can travel between processes in a compact form.
 *
 * Layout. A value v (ns) below 2048 has a bucket of its own. Above, v lies
 * in an octave [2^(10+e), 2^(11+e)) for some e >= 1, split into 1024 equal
 * buckets of width 2^e; its index is e * 1024 + (v >> e). Index and shift
 * both come from one count-leading-zeros, with no division and no branch.
 * A bucket's width is at most 1/1024 of its lowest value, and values are
 * reported as the bucket's midpoint, so any reported value is within 1/2048
 * (0.049%) of a value that was recorded in that bucket.
 *
 * Range. Values of 2^42 ns and more are clamped into the top bucket and
 * counted in `overflow`; min, max, count and the sum (128 bits, for the
 * mean) stay exact whatever the value, since they are kept beside the
 * buckets.
 *
 * Cost. sizeof(throng__hist_t) is 270,384 bytes (33,792 uint64_t counts and
 * a 48-byte header): embed it in heap-allocated per-thread state, not on a
 * small stack. Recording is some 35 instructions without a branch and
 * touches the header and one count: about 2 ns per record on random
 * latencies (tests/bench/bench_hist.c). Merge, the percentile walk, the
 * iterator and serialisation visit only the buckets between min and max:
 * 8 us to merge a histogram spanning the whole range, 3 us for 130 us..130 ms. */
#ifndef THRONG_HIST_H
#define THRONG_HIST_H

#include <stddef.h>
#include <stdint.h>

#define THRONG__HIST_SUB_BITS 10                                  /* 1024 buckets per octave */
#define THRONG__HIST_TOP_BITS 42                                  /* values below 2^42 ns */
#define THRONG__HIST_LIMIT ((uint64_t)1 << THRONG__HIST_TOP_BITS) /* first clamped value */
#define THRONG__HIST_BUCKETS                                                                       \
    ((THRONG__HIST_TOP_BITS - THRONG__HIST_SUB_BITS + 1) << THRONG__HIST_SUB_BITS) /* 33792 */

/* Upper bound on throng__hist_serialize's output: a 3-byte tag, seven
 * varints and a (gap, count) pair for every bucket. */
#define THRONG__HIST_SERIAL_MAX (3 + 7 * 10 + (size_t)THRONG__HIST_BUCKETS * (3 + 10))

typedef struct throng__hist {
    uint64_t count;    /* values recorded */
    uint64_t sum_lo;   /* exact sum of the values, as 128 bits: an hour of */
    uint64_t sum_hi;   /* one-second replies at 1M/s would overflow 64 */
    uint64_t min_inv;  /* ~min, so that all-zero memory is an empty histogram */
    uint64_t max;      /* 0 while empty */
    uint64_t overflow; /* values >= THRONG__HIST_LIMIT, counted in the top bucket */
    uint64_t counts[THRONG__HIST_BUCKETS];
} throng__hist_t;

/* The bucket of a value already clamped below THRONG__HIST_LIMIT. OR-ing in
 * 2^10 makes values below 2048 come out with e = 0, i.e. index = v. */
static inline size_t throng__hist_index(uint64_t v)
{
    unsigned e = 53u - (unsigned)__builtin_clzll(v | (1u << THRONG__HIST_SUB_BITS));
    return ((size_t)e << THRONG__HIST_SUB_BITS) + (size_t)(v >> e);
}

/* The hot path, once per response: no division, and the compiler turns the
 * comparisons into conditional moves. */
static inline void throng__hist_record(throng__hist_t *h, uint64_t ns)
{
    uint64_t v = ns < THRONG__HIST_LIMIT ? ns : THRONG__HIST_LIMIT - 1;
    h->counts[throng__hist_index(v)]++;
    h->count++;
    h->sum_lo += ns;
    h->sum_hi += h->sum_lo < ns; /* carry */
    h->overflow += ns >= THRONG__HIST_LIMIT;
    h->min_inv = ~ns > h->min_inv ? ~ns : h->min_inv;
    h->max = ns > h->max ? ns : h->max;
}

/* Records ns as HdrHistogram's recordValueWithExpectedInterval does, for
 * a client that meant to send a request every interval_ns and was held up
 * by this one: ns, then the requests it never sent, which would have waited
 * ns - interval, ns - 2 interval, ... down to interval (none when
 * interval_ns is 0 or ns < 2 interval_ns). The values are counted bucket by
 * bucket, not one by one: the cost is the number of buckets they touch, at
 * most the histogram's, however small the interval. */
void throng__hist_record_corrected(throng__hist_t *h, uint64_t ns, uint64_t interval_ns);

/* Empties h. Zeroed memory (calloc, a static) is already empty. */
void throng__hist_init(throng__hist_t *h);

/* Makes into a copy of from. It writes only the buckets between each one's
 * min and max (none of an empty histogram), so into must be a histogram
 * (zeroed memory, init'ed, recorded or copied into), never garbage: a
 * copy every tick costs the spread of the latencies, not 270 KB. */
void throng__hist_copy(throng__hist_t *into, const throng__hist_t *from);

/* Adds every value of `from` to `into`, exactly as if recorded there. */
void throng__hist_merge(throng__hist_t *into, const throng__hist_t *from);

/* The lowest and highest value (inclusive) that land in bucket `index`. */
void throng__hist_bounds(size_t index, uint64_t *lo_ns, uint64_t *hi_ns);

/* The value at percentile p in [0, 100] by nearest rank: p = 0 gives the
 * exact min, p = 100 the exact max, others the midpoint of the bucket
 * holding the ranked value, kept within [min, max]. 0 when empty. */
uint64_t throng__hist_percentile(const throng__hist_t *h, double p);

/* The exact mean in ns, 0 when empty. */
double throng__hist_mean(const throng__hist_t *h);

uint64_t throng__hist_count(const throng__hist_t *h);
uint64_t throng__hist_min(const throng__hist_t *h); /* 0 when empty */
uint64_t throng__hist_max(const throng__hist_t *h); /* 0 when empty */
uint64_t throng__hist_overflow(const throng__hist_t *h);

/* Walks the non-empty buckets in increasing order, for reports. Start with
 * *index = 0; each call returning 1 fills the bucket's bounds and count and
 * moves *index past it; 0 means done. The top bucket's hi_ns is raised to
 * max when clamped values are in it. */
int throng__hist_next(const throng__hist_t *h, size_t *index, uint64_t *lo_ns, uint64_t *hi_ns,
                      uint64_t *count);

/* Writes h's compact form into buf (the caller's, cap bytes) and returns its
 * length. When that exceeds cap, nothing past cap is written and the caller
 * retries with a buffer of the returned size. A histogram holding k distinct
 * buckets takes at most 73 + 13 k bytes (THRONG__HIST_SERIAL_MAX overall). */
size_t throng__hist_serialize(const throng__hist_t *h, uint8_t *buf, size_t cap);

/* Rebuilds h from exactly len bytes of serialize's output. Returns 0, or -1
 * on anything malformed (truncated, trailing bytes, inconsistent header),
 * leaving h empty. Never reads outside buf[0..len). */
int throng__hist_deserialize(throng__hist_t *h, const uint8_t *buf, size_t len);

#endif
