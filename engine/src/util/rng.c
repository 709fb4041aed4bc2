/* rng.c - seeding and ranged draws for the per-client generator. */
#include <time.h>
#include <unistd.h>

#include "util/rng.h"

void throng__rng_seed(throng__rng_t *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) {
        seed = throng__mix64(seed);
        r->s[i] = seed;
    }
    if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0) r->s[0] = 1; /* all-zero is a fixed point */
}

int64_t throng__rng_range(throng__rng_t *r, int64_t lo, int64_t hi)
{
    uint64_t span = (uint64_t)hi - (uint64_t)lo + 1;
    if (span == 0) return (int64_t)throng__rng_next(r); /* the whole 64-bit range */
    /* Reject the few values that would make the low results more likely. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % span;
    uint64_t v;
    do {
        v = throng__rng_next(r);
    } while (v >= limit);
    return (int64_t)((uint64_t)lo + v % span);
}

uint64_t throng__fresh_seed(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t local;
    uint64_t x = (uint64_t)ts.tv_sec * 1000000007ULL ^ (uint64_t)ts.tv_nsec;
    x ^= (uint64_t)getpid() << 32;
    x ^= (uint64_t)(uintptr_t)&local;
    return throng__mix64(x);
}
