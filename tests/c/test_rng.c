/* test_rng.c - the per-client generator: a seed repeats its sequence and
 * different seeds do not; ranged draws stay inside their bounds, reach both
 * ends and are close to uniform; doubles lie in [0, 1). */
#include <string.h>

#include "check.h"
#include "util/rng.h"

static void test_seeds(void)
{
    throng__rng_t a, b, c;
    throng__rng_seed(&a, 12345);
    throng__rng_seed(&b, 12345);
    throng__rng_seed(&c, 12346);
    int same = 1, differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = throng__rng_next(&a), y = throng__rng_next(&b), z = throng__rng_next(&c);
        same &= x == y;
        differ += x != z;
    }
    CHECK(same);
    CHECK(differ > 990);

    /* Seed 0 is a seed like any other, not a stuck generator. */
    throng__rng_seed(&a, 0);
    uint64_t first = throng__rng_next(&a);
    int moved = 0;
    for (int i = 0; i < 10; i++)
        moved += throng__rng_next(&a) != first;
    CHECK_INT(moved, 10);

    /* Ranged draws repeat too, as --seed promises. */
    throng__rng_seed(&a, 99);
    throng__rng_seed(&b, 99);
    int ranged_same = 1;
    for (int i = 0; i < 1000; i++)
        ranged_same &= throng__rng_range(&a, 1, 100) == throng__rng_range(&b, 1, 100);
    CHECK(ranged_same);

    /* Fresh seeds differ from call to call. */
    CHECK(throng__fresh_seed() != throng__fresh_seed());
}

static void test_range(void)
{
    enum { LO = 1, HI = 100, DRAWS = 200000 };
    throng__rng_t r;
    throng__rng_seed(&r, 7);
    long counts[HI + 1];
    memset(counts, 0, sizeof counts);
    int outside = 0;
    for (int i = 0; i < DRAWS; i++) {
        int64_t v = throng__rng_range(&r, LO, HI);
        if (v < LO || v > HI)
            outside++;
        else
            counts[v]++;
    }
    CHECK_INT(outside, 0);
    CHECK(counts[LO] > 0);
    CHECK(counts[HI] > 0);
    /* Chi-square over 100 cells (99 degrees of freedom): a uniform source
     * stays far below 200; a skew of a few percent on some values does not. */
    double expected = (double)DRAWS / (HI - LO + 1), chi2 = 0;
    int missing = 0;
    for (int v = LO; v <= HI; v++) {
        double d = (double)counts[v] - expected;
        chi2 += d * d / expected;
        missing += counts[v] == 0;
    }
    CHECK_INT(missing, 0);
    CHECK(chi2 < 200);

    /* Small, single-valued, negative and wide ranges. */
    int both = 0, bad = 0;
    for (int i = 0; i < 1000; i++) {
        int64_t v = throng__rng_range(&r, 0, 1);
        both |= 1 << v;
        bad += throng__rng_range(&r, 5, 5) != 5;
        int64_t n = throng__rng_range(&r, -3, -1);
        bad += n < -3 || n > -1;
        int64_t w = throng__rng_range(&r, INT64_MIN, INT64_MAX);
        (void)w; /* the whole range: any value will do, it must not hang */
    }
    CHECK_INT(both, 3);
    CHECK_INT(bad, 0);
}

static void test_double(void)
{
    throng__rng_t r;
    throng__rng_seed(&r, 3);
    int outside = 0, low = 0, high = 0;
    double sum = 0;
    enum { DRAWS = 100000 };
    for (int i = 0; i < DRAWS; i++) {
        double d = throng__rng_double(&r);
        outside += !(d >= 0 && d < 1);
        low += d < 0.01;
        high += d >= 0.99;
        sum += d;
    }
    CHECK_INT(outside, 0);
    CHECK(low > 0 && high > 0);
    double mean = sum / DRAWS;
    CHECK(mean > 0.49 && mean < 0.51);
}

int main(void)
{
    test_seeds();
    test_range();
    test_double();
    return check_result("test_rng");
}
