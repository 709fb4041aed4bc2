/* test_hist.c - the latency histogram: its error bound over the whole range,
 * percentiles of known distributions, exact min/max/mean, clamping, exact
 * merging, and a compact form that round-trips and refuses garbage. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "stats/hist.h"
#include "util/rng.h"

#define BOUND 0.001 /* the promised relative error */

static throng__rng_t rng;

/* Histograms are too big for the stack; every test takes one from here. */
static throng__hist_t *new_hist(void)
{
    throng__hist_t *h = malloc(sizeof *h);
    if (!h) abort();
    throng__hist_init(h);
    return h;
}

/* A value whose magnitude is uniform over [1 ns, 2^42 ns): each octave is
 * as likely as any other, so the bucket layout is exercised everywhere. */
static uint64_t any_latency(void)
{
    int k = (int)throng__rng_range(&rng, 0, THRONG__HIST_TOP_BITS - 1);
    return (uint64_t)throng__rng_range(&rng, (int64_t)1 << k, ((int64_t)2 << k) - 1);
}

static int within(uint64_t got, uint64_t want, double bound)
{
    double diff = (double)got - (double)want;
    if (diff < 0) diff = -diff;
    return diff <= bound * (double)want;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The buckets tile [0, 2^42) without gaps or overlaps, in index order, and
 * every value lands in the bucket whose bounds hold it. */
static void test_layout(void)
{
    uint64_t lo, hi, prev_hi = 0;
    throng__hist_bounds(0, &lo, &hi);
    CHECK_INT(lo, 0);
    CHECK_INT(hi, 0);
    for (size_t i = 1; i < THRONG__HIST_BUCKETS; i++) {
        prev_hi = hi;
        throng__hist_bounds(i, &lo, &hi);
        if (lo != prev_hi + 1 || hi < lo || throng__hist_index(lo) != i ||
            throng__hist_index(hi) != i) {
            CHECK_INT(i, -1);
            break;
        }
    }
    CHECK_INT(hi, THRONG__HIST_LIMIT - 1);
    CHECK_INT(throng__hist_index(2047), 2047);
    CHECK_INT(throng__hist_index(2048), 2048);
    CHECK(THRONG__HIST_LIMIT > 3600000000000ULL); /* an hour fits */
}

/* The promise: any value in range is reported within 0.1%. Checked on the
 * buckets directly for many values, and through percentile() on
 * histograms that hold the value between two far-away neighbours (alone,
 * it would be reported exactly, as min = max). */
static void test_error_bound(void)
{
    for (int n = 0; n < 200000; n++) {
        uint64_t v = any_latency(), lo, hi;
        throng__hist_bounds(throng__hist_index(v), &lo, &hi);
        if (!within(lo + (hi - lo) / 2, v, BOUND)) {
            CHECK_INT(lo + (hi - lo) / 2, v);
            break;
        }
    }
    throng__hist_t *h = new_hist();
    for (int n = 0; n < 2000; n++) {
        uint64_t v = any_latency();
        throng__hist_init(h);
        throng__hist_record(h, 0);
        throng__hist_record(h, v);
        throng__hist_record(h, UINT64_MAX);
        CHECK(within(throng__hist_percentile(h, 50), v, BOUND));
        throng__hist_init(h);
        throng__hist_record(h, v);
        CHECK_INT(throng__hist_percentile(h, 37.5), v);
    }
    free(h);
}

/* 1..100000 us, once each: the nearest-rank percentile of p is p * 1000 us. */
static void test_uniform(void)
{
    throng__hist_t *h = new_hist();
    for (uint64_t us = 1; us <= 100000; us++)
        throng__hist_record(h, us * 1000);
    CHECK_INT(throng__hist_count(h), 100000);
    CHECK_INT(throng__hist_min(h), 1000);
    CHECK_INT(throng__hist_max(h), 100000000);
    CHECK(throng__hist_mean(h) == 50000500.0);
    CHECK(within(throng__hist_percentile(h, 50), 50000000, BOUND));
    CHECK(within(throng__hist_percentile(h, 90), 90000000, BOUND));
    CHECK(within(throng__hist_percentile(h, 99), 99000000, BOUND));
    CHECK(within(throng__hist_percentile(h, 99.9), 99900000, BOUND));
    CHECK(within(throng__hist_percentile(h, 0.001), 1000, BOUND));
    free(h);
}

/* A heavy-tailed mix spanning the range, against the exact sorted values. */
static void test_skewed(void)
{
    enum { N = 300000 };
    static const double ps[] = {0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 99.999};
    uint64_t *v = malloc(N * sizeof *v);
    throng__hist_t *h = new_hist();
    if (!v) abort();
    for (int i = 0; i < N; i++) {
        v[i] = any_latency() >> throng__rng_range(&rng, 0, 20); /* mostly fast */
        throng__hist_record(h, v[i]);
    }
    qsort(v, N, sizeof *v, cmp_u64);
    for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
        double x = ps[k] * N / 100.0; /* nearest rank: the ceiling */
        size_t rank = (size_t)x + ((double)(size_t)x < x);
        CHECK(within(throng__hist_percentile(h, ps[k]), v[rank - 1], BOUND));
    }
    uint64_t last = 0;
    for (double p = 0; p <= 100; p += 0.25) { /* never decreasing in p */
        uint64_t x = throng__hist_percentile(h, p);
        CHECK(x >= last);
        last = x;
    }
    free(v);
    free(h);
}

/* p = 0 and p = 100 are the exact extremes, out-of-range p are pinned to
 * them, and an empty histogram (even one never initialised, only zeroed)
 * answers zeros. */
static void test_extremes(void)
{
    throng__hist_t *h = calloc(1, sizeof *h);
    if (!h) abort();
    CHECK_INT(throng__hist_percentile(h, 50), 0);
    CHECK_INT(throng__hist_min(h), 0);
    CHECK_INT(throng__hist_max(h), 0);
    CHECK(throng__hist_mean(h) == 0.0);
    size_t i = 0;
    uint64_t lo, hi, c;
    CHECK_INT(throng__hist_next(h, &i, &lo, &hi, &c), 0);

    throng__hist_record(h, 123457);
    throng__hist_record(h, 987654321);
    throng__hist_record(h, 5555555);
    CHECK_INT(throng__hist_percentile(h, 0), 123457);
    CHECK_INT(throng__hist_percentile(h, 100), 987654321);
    CHECK_INT(throng__hist_percentile(h, -3), 123457);
    CHECK_INT(throng__hist_percentile(h, 250), 987654321);
    CHECK_INT(throng__hist_min(h), 123457);
    CHECK_INT(throng__hist_max(h), 987654321);
    CHECK(throng__hist_mean(h) == (123457.0 + 987654321.0 + 5555555.0) / 3);
    free(h);
}

/* Values at and past 2^42 ns go to the top bucket and are counted; max,
 * p100 and the 128-bit sum stay exact. */
static void test_clamp(void)
{
    throng__hist_t *h = new_hist();
    throng__hist_record(h, THRONG__HIST_LIMIT - 1);
    throng__hist_record(h, THRONG__HIST_LIMIT);
    throng__hist_record(h, 10000000000000ULL);
    throng__hist_record(h, UINT64_MAX);
    CHECK_INT(throng__hist_overflow(h), 3);
    CHECK_INT(h->counts[THRONG__HIST_BUCKETS - 1], 4);
    CHECK(throng__hist_max(h) == UINT64_MAX);
    CHECK(throng__hist_percentile(h, 100) == UINT64_MAX);
    CHECK(throng__hist_percentile(h, 10) <= UINT64_MAX - 1);
    CHECK_INT(h->sum_hi, 1);
    double want = ((double)UINT64_MAX + 2.0 * (double)THRONG__HIST_LIMIT + 1e13) / 4;
    CHECK(within((uint64_t)throng__hist_mean(h), (uint64_t)want, 1e-12));

    size_t i = 0;
    uint64_t lo, hi, c;
    CHECK_INT(throng__hist_next(h, &i, &lo, &hi, &c), 1);
    CHECK(hi == UINT64_MAX); /* the top bucket's range reaches max */
    CHECK_INT(c, 4);
    CHECK_INT(throng__hist_next(h, &i, &lo, &hi, &c), 0);
    free(h);
}

/* The iterator lists exactly the non-empty buckets, in order. */
static void test_iterate(void)
{
    throng__hist_t *h = new_hist();
    uint64_t vals[] = {5, 5, 2047, 2048, 2049, 1000000, 3600000000000ULL};
    for (size_t k = 0; k < sizeof vals / sizeof vals[0]; k++)
        throng__hist_record(h, vals[k]);
    size_t i = 0;
    uint64_t lo, hi, c, total = 0, prev = 0;
    int n = 0;
    while (throng__hist_next(h, &i, &lo, &hi, &c)) {
        CHECK(n == 0 || lo > prev);
        CHECK(c == h->counts[i - 1]);
        prev = hi;
        total += c;
        n++;
    }
    CHECK_INT(n, 5); /* 2048 and 2049 share a bucket of width 2 */
    CHECK_INT(total, 7);
    free(h);
}

static void check_same(const throng__hist_t *a, const throng__hist_t *b)
{
    CHECK(memcmp(a, b, sizeof *a) == 0);
    for (double p = 0; p <= 100; p += 0.5)
        CHECK(throng__hist_percentile(a, p) == throng__hist_percentile(b, p));
    CHECK(throng__hist_mean(a) == throng__hist_mean(b));
}

/* Values recorded across four threads' histograms and merged give the very
 * histogram that recorded them all in one. */
static void test_merge(void)
{
    throng__hist_t *all = new_hist(), *merged = new_hist(), *part[4];
    for (int k = 0; k < 4; k++)
        part[k] = new_hist();
    for (int n = 0; n < 400000; n++) {
        uint64_t v = n % 1000 ? any_latency() : throng__rng_next(&rng); /* a few clamped */
        throng__hist_record(all, v);
        throng__hist_record(part[throng__rng_range(&rng, 0, 3)], v);
    }
    throng__hist_t *empty = new_hist();
    throng__hist_merge(merged, empty);
    for (int k = 0; k < 4; k++)
        throng__hist_merge(merged, part[k]);
    throng__hist_merge(merged, empty);
    check_same(merged, all);
    CHECK(throng__hist_overflow(all) > 0);
    for (int k = 0; k < 4; k++)
        free(part[k]);
    free(all);
    free(merged);
    free(empty);
}

/* Serialises into a fresh buffer of exactly the right size. */
static uint8_t *serialize(const throng__hist_t *h, size_t *len)
{
    *len = throng__hist_serialize(h, NULL, 0);
    uint8_t *buf = malloc(*len);
    if (!buf) abort();
    CHECK_INT(throng__hist_serialize(h, buf, *len), *len);
    return buf;
}

/* Deserialises from an exactly sized heap copy, so ASan sees any read past
 * the end. */
static int deserialize_exact(throng__hist_t *h, const uint8_t *src, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) abort();
    if (len) memcpy(copy, src, len);
    int rc = throng__hist_deserialize(h, copy, len);
    free(copy);
    return rc;
}

static void check_roundtrip(const throng__hist_t *h)
{
    size_t len;
    uint8_t *buf = serialize(h, &len);
    throng__hist_t *back = new_hist();
    CHECK_INT(deserialize_exact(back, buf, len), 0);
    check_same(back, h);
    free(back);
    free(buf);
}

/* The compact form carries everything, and a short buffer is never
 * overrun: serialize reports the size it needs. */
static void test_roundtrip(void)
{
    throng__hist_t *h = new_hist();
    check_roundtrip(h);
    throng__hist_record(h, 0);
    check_roundtrip(h);
    for (int n = 0; n < 100000; n++)
        throng__hist_record(h, any_latency());
    throng__hist_record(h, UINT64_MAX);
    check_roundtrip(h);

    size_t len = throng__hist_serialize(h, NULL, 0);
    CHECK(len <= THRONG__HIST_SERIAL_MAX);
    uint8_t *buf = malloc(len + 16);
    if (!buf) abort();
    memset(buf, 0xAA, len + 16);
    CHECK_INT(throng__hist_serialize(h, buf, len / 2), len);
    CHECK(buf[len / 2] == 0xAA);
    free(buf);
    free(h);
}

/* A valid encoding of a small histogram, for the garbage tests to damage. */
static uint8_t *sample_encoding(size_t *len)
{
    throng__hist_t *h = new_hist();
    for (int n = 0; n < 300; n++)
        throng__hist_record(h, any_latency() >> 10);
    throng__hist_record(h, UINT64_MAX - 7);
    uint8_t *buf = serialize(h, len);
    free(h);
    return buf;
}

/* Every damaged buffer is refused, or accepted only if it is the one
 * encoding of what it decodes to; a refusal leaves the histogram empty. */
static void check_damaged(throng__hist_t *h, const uint8_t *buf, size_t len)
{
    if (deserialize_exact(h, buf, len) != 0) {
        CHECK_INT(throng__hist_count(h), 0);
        return;
    }
    size_t back_len;
    uint8_t *back = serialize(h, &back_len);
    CHECK(back_len == len && memcmp(back, buf, len) == 0);
    free(back);
}

static void test_garbage(void)
{
    size_t len;
    uint8_t *good = sample_encoding(&len), junk[96];
    throng__hist_t *h = new_hist();
    for (size_t cut = 0; cut < len; cut++) /* every truncation */
        CHECK_INT(deserialize_exact(h, good, cut), -1);
    uint8_t *longer = malloc(len + 1);
    if (!longer) abort();
    memcpy(longer, good, len);
    longer[len] = 0;
    CHECK_INT(deserialize_exact(h, longer, len + 1), -1); /* trailing byte */
    for (int n = 0; n < 20000; n++) {                     /* flipped bytes */
        memcpy(longer, good, len);
        for (int k = (int)throng__rng_range(&rng, 1, 3); k > 0; k--)
            longer[throng__rng_range(&rng, 0, (int64_t)len - 1)] ^= (uint8_t)throng__rng_next(&rng);
        check_damaged(h, longer, len);
    }
    for (int n = 0; n < 20000; n++) { /* noise after a valid tag */
        size_t jlen = (size_t)throng__rng_range(&rng, 0, sizeof junk);
        for (size_t k = 0; k < jlen; k++)
            junk[k] = (uint8_t)(throng__rng_next(&rng) >> (n % 8));
        if (jlen >= 3 && n % 2) memcpy(junk, "TH\1", 3);
        check_damaged(h, junk, jlen);
    }
    free(longer);
    free(good);
    free(h);
}

/* Hand-made encodings that are each wrong in one way. */
static void test_malformed(void)
{
    static const struct {
        const char *why;
        uint8_t bytes[24];
        size_t len;
    } cases[] = {
        {"wrong tag", {'T', 'H', 2, 0, 0, 0, 0, 0, 0, 0}, 10},
        {"empty but min set", {'T', 'H', 1, 0, 0, 0, 5, 0, 0, 0}, 10},
        {"padded varint", {'T', 'H', 1, 0x80, 0, 0, 0, 0, 0, 0, 0}, 11},
        {"varint too long",
         {'T', 'H', 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2},
         13},
        {"count mismatch", {'T', 'H', 1, 2, 5, 0, 5, 5, 0, 1, 5, 1}, 12},
        {"zero bucket", {'T', 'H', 1, 1, 5, 0, 5, 5, 0, 1, 5, 0}, 12},
        {"min above max", {'T', 'H', 1, 1, 5, 0, 6, 5, 0, 1, 5, 1}, 12},
        {"min in another bucket", {'T', 'H', 1, 1, 5, 0, 4, 5, 0, 1, 5, 1}, 12},
        {"overflow without max", {'T', 'H', 1, 1, 5, 0, 5, 5, 1, 1, 5, 1}, 12},
        {"index past top", {'T', 'H', 1, 1, 5, 0, 5, 5, 0, 1, 0x80, 0x88, 0x02, 1}, 14},
    };
    static const uint8_t valid[] = {'T', 'H', 1, 1, 5, 0, 5, 5, 0, 1, 5, 1};
    throng__hist_t *h = new_hist();
    CHECK_INT(deserialize_exact(h, valid, sizeof valid), 0);
    CHECK_INT(throng__hist_percentile(h, 50), 5);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        int rc = deserialize_exact(h, cases[k].bytes, cases[k].len);
        if (rc != -1) fprintf(stderr, "accepted: %s\n", cases[k].why);
        CHECK_INT(rc, -1);
        CHECK_INT(throng__hist_count(h), 0);
    }
    free(h);
}

/* The corrected recording by hand: 100 ms at an expected interval of
 * 30 ms is 100, 70 and 40 ms (10 ms is below the interval); a value under
 * two intervals is itself alone; no interval, the value alone. */
static void test_corrected_by_hand(void)
{
    const uint64_t ms = 1000000;
    throng__hist_t *h = new_hist();
    throng__hist_record_corrected(h, 100 * ms, 30 * ms);
    CHECK_INT(throng__hist_count(h), 3);
    CHECK_INT(throng__hist_min(h), 40 * ms);
    CHECK_INT(throng__hist_max(h), 100 * ms);
    CHECK(throng__hist_mean(h) == 70.0 * (double)ms);
    CHECK(within(throng__hist_percentile(h, 50), 70 * ms, BOUND));
    throng__hist_record_corrected(h, 59 * ms, 30 * ms); /* < 2 intervals: alone */
    CHECK_INT(throng__hist_count(h), 4);
    throng__hist_record_corrected(h, 60 * ms, 30 * ms); /* 60 and 30 */
    CHECK_INT(throng__hist_count(h), 6);
    CHECK_INT(throng__hist_min(h), 30 * ms);
    throng__hist_record_corrected(h, 5 * ms, 0);
    CHECK_INT(throng__hist_count(h), 7);
    /* A 5 s stall at a 1 ms interval: 5000 values, 1..5000 ms. */
    throng__hist_init(h);
    throng__hist_record_corrected(h, 5000 * ms, ms);
    CHECK_INT(throng__hist_count(h), 5000);
    CHECK_INT(throng__hist_min(h), ms);
    CHECK(throng__hist_mean(h) == 2500.5 * (double)ms);
    CHECK(within(throng__hist_percentile(h, 99), 4950 * ms, BOUND));
    free(h);
}

/* Bucket by bucket is the same histogram as one record per value, for
 * values and intervals of every size, past the clamp too. */
static void test_corrected_matches_loop(void)
{
    throng__hist_t *fast = new_hist(), *slow = new_hist();
    for (int n = 0; n < 300; n++) {
        uint64_t v = any_latency(), interval = any_latency();
        if (n % 3 == 0) interval = v / (uint64_t)throng__rng_range(&rng, 1, 20000) + 1;
        if (interval < v / 20000) interval = v / 20000; /* the loop stays short */
        if (n == 7) v = THRONG__HIST_LIMIT + 12345, interval = THRONG__HIST_LIMIT / 1000 + 1;
        throng__hist_init(fast);
        throng__hist_init(slow);
        throng__hist_record_corrected(fast, v, interval);
        throng__hist_record(slow, v);
        for (uint64_t m = v - interval; v >= 2 * interval && m >= interval; m -= interval)
            throng__hist_record(slow, m);
        if (memcmp(fast, slow, sizeof *fast) != 0) {
            fprintf(stderr, "corrected %llu at %llu differs from the loop\n", (unsigned long long)v,
                    (unsigned long long)interval);
            CHECK(0);
            break;
        }
    }
    free(fast);
    free(slow);
}

/* A copy is the same bytes as its original, whatever the histogram copied
 * into held before: a range below, above, around or inside the original's,
 * an empty one, or one with clamped values; and an empty original empties
 * it. Buckets outside the copy's range are written only where the target
 * had any, so a stale bucket left behind would show here. */
static void test_copy(void)
{
    static const uint64_t ranges[][2] = {
        {1, 100},
        {5000, 9000},
        {3 * 1000 * 1000, 40 * 1000 * 1000},
        {1, 1u << 30},
        {THRONG__HIST_LIMIT - 5, THRONG__HIST_LIMIT + 1000},
        {0, 0},
    };
    const int nr = (int)(sizeof ranges / sizeof ranges[0]);
    throng__hist_t *from = new_hist(), *into = new_hist();
    for (int a = 0; a < nr; a++) {
        for (int b = 0; b < nr; b++) {
            throng__hist_init(from);
            throng__hist_init(into);
            for (int i = 0; i < 500 && ranges[a][1]; i++)
                throng__hist_record(into, ranges[a][0] + throng__rng_next(&rng) %
                                                             (ranges[a][1] - ranges[a][0] + 1));
            for (int i = 0; i < 500 && ranges[b][1]; i++)
                throng__hist_record(from, ranges[b][0] + throng__rng_next(&rng) %
                                                             (ranges[b][1] - ranges[b][0] + 1));
            throng__hist_copy(into, from);
            CHECK(memcmp(into, from, sizeof *into) == 0);
        }
    }
    free(from);
    free(into);
}

int main(void)
{
    throng__rng_seed(&rng, 20240611);
    test_layout();
    test_error_bound();
    test_uniform();
    test_skewed();
    test_extremes();
    test_clamp();
    test_iterate();
    test_merge();
    test_roundtrip();
    test_garbage();
    test_malformed();
    test_corrected_by_hand();
    test_corrected_matches_loop();
    test_copy();
    return check_result("test_hist");
}
