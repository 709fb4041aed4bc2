/* test_stages.c - a group's load over time (util/stages.c): stages read as
 * people write them, refused with a reason naming the stage, and the
 * scheduler's questions answered exactly: the whole number of clients and
 * when it next changes (ramps up, down, steps), and when the n-th arrival
 * falls due under a constant rate and a ramp of rates. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "throng.h"
#include "util/stages.h"

static int near(double a, double b, double tol)
{
    return fabs(a - b) <= tol;
}

static void parse_good(void)
{
    throng_stage_t st[8];
    size_t n = 0;
    int rate = -1;
    char err[256] = "";
    CHECK(throng_parse_stages("30s:100,5m:100,30s:0", st, 8, &n, &rate, err, sizeof err) == 0);
    CHECK(n == 3 && rate == 0);
    CHECK(st[0].duration == 30 && st[0].target == 100);
    CHECK(st[1].duration == 300 && st[1].target == 100);
    CHECK(st[2].duration == 30 && st[2].target == 0);
    CHECK(throng_parse_stages("1m30s:500/s,0s:2.5/s", st, 8, &n, &rate, err, sizeof err) == 0);
    CHECK(n == 2 && rate == 1 && st[0].duration == 90 && st[0].target == 500);
    CHECK(st[1].duration == 0 && st[1].target == 2.5);
}

static void parse_bad(const char *text, const char *reason)
{
    throng_stage_t st[4];
    size_t n = 99;
    int rate = 7;
    char err[256] = "";
    int rc = throng_parse_stages(text, st, 4, &n, &rate, err, sizeof err);
    if (rc != THRONG_EINVAL || !strstr(err, reason) || n != 99 || rate != 7) {
        fprintf(stderr, "stages '%s' -> rc %d, \"%s\"; expected a refusal naming '%s'\n", text, rc,
                err, reason);
        CHECK(!"bad stages refused");
    }
}

static void refusals(void)
{
    parse_bad("", "no stages");
    parse_bad("30s", "stage 1 '30s' has no ':'");
    parse_bad("30s:100,10x:5", "stage 2: '10x' is not a duration");
    parse_bad("30s:100,1m:5/s", "stage 2: '5/s' mixes a rate with the clients");
    parse_bad("30s:10/s,1m:5", "mixes clients with the rates");
    parse_bad("30s:1.5", "not a whole number (a rate is written 1.5/s)");
    parse_bad("30s:-1", "stage 1: '-1' is not a number of clients");
    parse_bad("30s:abc/s", "not a number of arrivals per second");
    parse_bad("0s:5,0s:6", "the stages last no time");
    parse_bad("1s:1,1s:1,1s:1,1s:1,1s:1", "too many stages: at most 4");
    parse_bad("30s:2000000", "more than 1000000");
    parse_bad("1s:0x10", "stage 1: '0x10' is not a number of clients");
    parse_bad("1s:1e3/s", "'1e3/s' is not a number of arrivals per second");
}

/* Ramp 0 -> 10 clients over 10 s, hold 10 s, 10 -> 0 over 5 s. */
static void clients_over_time(void)
{
    throng_stage_t st[] = {{10, 10}, {10, 10}, {5, 0}};
    throng__schedule_t s;
    throng__schedule_stages(&s, st, 3);
    CHECK(throng__schedule_count(&s, 0) == 0);
    CHECK(throng__schedule_count(&s, 0.999) == 0);
    CHECK(throng__schedule_count(&s, 1.0) == 1); /* counted when reached */
    CHECK(throng__schedule_count(&s, 9.5) == 9);
    CHECK(throng__schedule_count(&s, 15) == 10);
    CHECK(throng__schedule_count(&s, 22) == 6);
    CHECK(throng__schedule_count(&s, 25) == 0);
    CHECK(throng__schedule_count(&s, 99) == 0);
    CHECK(throng__schedule_peak(&s) == 10);
    /* Walking the changes: 10 up (at 1..10 s), 10 down (20..24.5 s), none after. */
    double t = 0;
    unsigned ups = 0, downs = 0, last = 0;
    for (int i = 0; i < 100; i++) {
        double next = throng__schedule_next_change(&s, t);
        if (!isfinite(next)) break;
        CHECK(next > t);
        unsigned c = throng__schedule_count(&s, next);
        CHECK(c != last);
        if (c > last) {
            ups++;
            CHECK(near(next, c * 1.0, 1e-6)); /* client c starts at c seconds */
        } else {
            downs++;
            CHECK(near(next, 20 + (9 - c) * 0.5,
                       1e-6)); /* one leaves as soon as the level drops below a whole number */
        }
        last = c;
        t = next;
    }
    CHECK(ups == 10 && downs == 10 && last == 0);
}

/* A step up and a step down: 0s:5 then 2s:5 then 0s:2. */
static void steps(void)
{
    throng_stage_t st[] = {{0, 5}, {2, 5}, {0, 2}};
    throng__schedule_t s;
    throng__schedule_stages(&s, st, 3);
    CHECK(throng__schedule_count(&s, 0) == 5);
    CHECK(throng__schedule_count(&s, 1.9) == 5);
    CHECK(throng__schedule_count(&s, 2) == 2);
    CHECK(near(throng__schedule_next_change(&s, 0), 2, 1e-9));
    CHECK(!isfinite(throng__schedule_next_change(&s, 2)));
}

static void arrivals(void)
{
    throng__schedule_t s;
    throng__schedule_constant(&s, 200);
    CHECK(near(throng__schedule_when(&s, 1), 0.005, 1e-12));
    CHECK(near(throng__schedule_when(&s, 2000), 10, 1e-9));
    CHECK(near(throng__schedule_area(&s, 10), 2000, 1e-9));
    /* 0 -> 100/s over 10 s: 500 arrivals by 10 s, n by sqrt(n / 5) s, then 100/s. */
    throng_stage_t st[] = {{10, 100}};
    throng__schedule_stages(&s, st, 1);
    CHECK(near(throng__schedule_area(&s, 10), 500, 1e-9));
    for (double n = 1; n <= 500; n += 37)
        CHECK(near(throng__schedule_when(&s, n), sqrt(n / 5), 1e-9));
    CHECK(near(throng__schedule_when(&s, 600), 11, 1e-9));
    /* A ramp down to 0 and nothing after: arrivals end. */
    throng_stage_t down[] = {{0, 100}, {10, 0}};
    throng__schedule_stages(&s, down, 2);
    CHECK(near(throng__schedule_area(&s, 10), 500, 1e-9));
    CHECK(near(throng__schedule_when(&s, 500), 10, 1e-6));
    CHECK(!isfinite(throng__schedule_when(&s, 501)));
    for (double n = 1; n < 500; n += 41) /* area(t) = 100 t - 5 t^2 */
        CHECK(near(throng__schedule_area(&s, throng__schedule_when(&s, n)), n, 1e-6));
    /* A constant 0: never. */
    throng__schedule_constant(&s, 0);
    CHECK(!isfinite(throng__schedule_when(&s, 1)));
}

int main(void)
{
    parse_good();
    refusals();
    clients_over_time();
    steps();
    arrivals();
    return check_result("stages");
}
