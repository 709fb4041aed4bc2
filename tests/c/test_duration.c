/* test_duration.c - the one duration parser (util/duration.c), behind
 * plans, thresholds and the command line's flags: every unit, compounds,
 * bare seconds, and a clear refusal of everything else. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "throng.h"
#include "util/duration.h"

static int near(double a, double b)
{
    return fabs(a - b) <= 1e-12 * (fabs(b) > 1 ? fabs(b) : 1);
}

static void good(const char *s, double want)
{
    double v = -1;
    int rc = throng_parse_duration(s, &v);
    if (rc != 0 || !near(v, want)) {
        fprintf(stderr, "duration '%s' -> rc %d, %g; expected %g\n", s, rc, v, want);
        CHECK(!"duration read");
    }
}

/* Refused, *seconds untouched, and the reason names the text and says
 * what a duration looks like. */
static void bad(const char *s, const char *reason)
{
    double v = 12345;
    char why[256] = "";
    int rc = throng__duration_parse(s, &v, why, sizeof why);
    if (rc != THRONG_EINVAL || v != 12345 || !strstr(why, reason) || !strstr(why, "1h30m") ||
        throng_parse_duration(s, &v) != THRONG_EINVAL) {
        fprintf(stderr, "duration '%s' -> rc %d, %g, \"%s\"; expected a refusal naming '%s'\n", s,
                rc, v, why, reason);
        CHECK(!"bad duration refused");
    }
}

static void test_units(void)
{
    good("250ms", 0.25);
    good("30s", 30);
    good("5m", 300);
    good("1h", 3600);
    good("2d", 172800);
    good("2us", 2e-6);
    good("10ns", 1e-8);
    good("0.5m", 30);
    good(".5s", 0.5);
    good("0s", 0);
}

static void test_bare_seconds(void)
{
    good("1.5", 1.5);
    good("0", 0);
    good("30", 30);
    good("007", 7);
}

static void test_compounds(void)
{
    good("1h30m", 5400);
    good("1m30s", 90);
    good("2h0m5s", 7205);
    good("1s500ms", 1.5);
    good("1.5h30m", 7200);
}

static void test_refused(void)
{
    bad("", "empty");
    bad("-1s", "negative");
    bad("-1", "negative");
    bad("10x", "unknown unit 'x'");
    bad("10sec", "unknown unit 'sec'");
    bad("10 s", "unknown unit ' s'");
    bad("abc", "a number was expected");
    bad("s", "a number was expected");
    bad("nan", "a number was expected");
    bad("inf", "a number was expected");
    bad("1e999", "unknown unit 'e'");
    bad("0x10s", "unknown unit 'x'");
    bad("1h30", "a unit is missing");
    bad("30ms5", "a unit is missing");
    bad("1h-30m", "negative");
    bad("5m.", "a number was expected");
    char huge[400];
    memset(huge, '9', sizeof huge - 2);
    huge[sizeof huge - 2] = 's';
    huge[sizeof huge - 1] = '\0';
    bad(huge, "too long");
    double v = 1;
    CHECK_INT(throng_parse_duration(NULL, &v), THRONG_EINVAL);
    CHECK_INT(throng_parse_duration("1s", NULL), THRONG_EINVAL);
    CHECK(v == 1);
}

int main(void)
{
    test_units();
    test_bare_seconds();
    test_compounds();
    test_refused();
    return check_result("test_duration");
}
