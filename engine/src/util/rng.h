/* rng.h - a small, fast pseudo-random generator (xoshiro256**), one per
 * client, so that every client draws its own sequence and a run seeded with
 * --seed repeats its choices. */
#ifndef THRONG_RNG_H
#define THRONG_RNG_H

#include <stdint.h>

typedef struct throng__rng {
    uint64_t s[4];
} throng__rng_t;

/* splitmix64: turns any 64-bit value into a well-mixed one; used to derive
 * seeds (run seed + client id) and to fill the generator's state. */
static inline uint64_t throng__mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

void throng__rng_seed(throng__rng_t *r, uint64_t seed);

static inline uint64_t throng__rng_next(throng__rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t x = s[1] * 5;
    uint64_t result = ((x << 7) | (x >> 57)) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}

/* Uniform in [0, 1). */
static inline double throng__rng_double(throng__rng_t *r)
{
    return (double)(throng__rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [lo, hi] (lo <= hi), without modulo bias. */
int64_t throng__rng_range(throng__rng_t *r, int64_t lo, int64_t hi);

/* A seed that differs from run to run (time, pid and an address). */
uint64_t throng__fresh_seed(void);

#endif
