/* bench_hist.c - what the latency histogram costs: bytes per histogram, ns
 * per record on the hot path, and the time to merge, rank and serialise.
 * Runs in about a second; an optional argument sets the number of records
 * (default 100 million).
 *
 * Build from the repository root:
 *   gcc -std=gnu11 -O2 -Wall -Wextra -Iengine/src tests/bench/bench_hist.c engine/src/hist.c \
 *       -o bench_hist && ./bench_hist
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "stats/hist.h"
#include "util/rng.h"

#define SAMPLES (1u << 16) /* pre-drawn latencies, cycled; 512 KiB stays in L2 */

/* Monotonic time in ns. */
static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static throng__hist_t *new_hist(void)
{
    throng__hist_t *h = malloc(sizeof *h);
    if (!h) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    throng__hist_init(h);
    return h;
}

/* Latencies shaped like a load test's: mostly between 2^lo and 2^hi ns,
 * spread evenly over the octaves so that many buckets are hit and the
 * index computation cannot be predicted. Drawn before timing, so the
 * generator is not measured. */
static uint64_t *draw_latencies(unsigned lo, unsigned hi)
{
    uint64_t *v = malloc(SAMPLES * sizeof *v);
    if (!v) exit(1);
    uint64_t x = 42;
    for (unsigned i = 0; i < SAMPLES; i++) {
        x = throng__mix64(x);
        unsigned k = lo + (unsigned)(x % (hi - lo));
        v[i] = ((uint64_t)1 << k) | (throng__mix64(x) >> (64 - k));
    }
    return v;
}

/* The hot path, as a client thread would run it. */
static void bench_record(uint64_t n)
{
    uint64_t *v = draw_latencies(17, 27); /* ~130 us .. ~130 ms */
    throng__hist_t *h = new_hist();
    double t0 = now_ns();
    for (uint64_t i = 0; i < n; i++)
        throng__hist_record(h, v[i & (SAMPLES - 1)]);
    double t = now_ns() - t0;
    printf("record:      %.2f ns/record (%llu records in %.0f ms; p99 %.3f ms)\n", t / (double)n,
           (unsigned long long)n, t / 1e6, (double)throng__hist_percentile(h, 99) / 1e6);
    free(h);
    free(v);
}

/* Merge cost grows with the span between min and max, so time a histogram
 * covering the whole range and one of typical HTTP latencies. */
static void bench_merge(const char *label, unsigned lo, unsigned hi, int reps)
{
    uint64_t *v = draw_latencies(lo, hi);
    throng__hist_t *from = new_hist(), *into = new_hist();
    for (unsigned i = 0; i < SAMPLES; i++)
        throng__hist_record(from, v[i]);
    double t0 = now_ns();
    for (int r = 0; r < reps; r++)
        throng__hist_merge(into, from);
    double t = (now_ns() - t0) / reps;
    printf("merge %-6s %.2f us/merge (%llu..%llu ns)\n", label, t / 1e3,
           (unsigned long long)throng__hist_min(from), (unsigned long long)throng__hist_max(from));
    free(into);
    free(from);
    free(v);
}

/* What a report pays: four percentiles and one serialisation, on a
 * histogram spread over the whole range. */
static void bench_report(void)
{
    static const double ps[] = {50, 90, 99, 99.9};
    uint64_t *v = draw_latencies(10, 42);
    throng__hist_t *h = new_hist();
    for (unsigned i = 0; i < SAMPLES; i++)
        throng__hist_record(h, v[i]);
    volatile uint64_t sink = 0;
    double t0 = now_ns();
    for (int r = 0; r < 1000; r++)
        for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++)
            sink += throng__hist_percentile(h, ps[k]);
    double tp = (now_ns() - t0) / 1000;
    size_t len = throng__hist_serialize(h, NULL, 0);
    uint8_t *buf = malloc(len);
    if (!buf) exit(1);
    t0 = now_ns();
    for (int r = 0; r < 1000; r++)
        sink += throng__hist_serialize(h, buf, len);
    double ts = (now_ns() - t0) / 1000;
    printf("percentiles: %.2f us for p50/p90/p99/p99.9 (full range)\n", tp / 1e3);
    printf("serialize:   %.2f us, %zu bytes for %llu values\n", ts / 1e3, len,
           (unsigned long long)throng__hist_count(h));
    free(buf);
    free(h);
    free(v);
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000000ULL;
    printf("sizeof(throng__hist_t) = %zu bytes (%d buckets)\n", sizeof(throng__hist_t),
           THRONG__HIST_BUCKETS);
    bench_record(n);
    bench_merge("full", 10, 42, 2000);
    bench_merge("http", 17, 27, 2000);
    bench_report();
    return 0;
}
