/* test_threshold.c - the thresholds of the load models: dropped arrivals
 * as a count or a share, the service and corrected distributions, what is
 * refused (per request name, a corrected count), and a corrected threshold
 * on a run without an expected interval failing with its reason; and the
 * thresholds of transactions (NAME:p99, NAME:errors) and checks
 * (check:NAME>99%). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "stats/threshold.h"
#include "util/error.h"

#define MS 1000000ull

static throng__threshold_t parsed(const char *text, int *rc)
{
    throng__threshold_t t;
    char err[THRONG__ERRMSG_LEN] = "";
    *rc = throng__threshold_parse(text, &t, err);
    return t;
}

static void test_parse(void)
{
    int rc;
    throng__threshold_t t = parsed("dropped<1%", &rc);
    CHECK_INT(rc, 0);
    CHECK_INT(t.metric, THRONG__METRIC_DROPPED_SHARE);
    CHECK(t.limit == 0.01);
    t = parsed("dropped <= 5", &rc);
    CHECK_INT(rc, 0);
    CHECK_INT(t.metric, THRONG__METRIC_DROPPED);
    CHECK(t.limit == 5);
    t = parsed("corrected.p99<50ms", &rc);
    CHECK_INT(rc, 0);
    CHECK_INT(t.metric, THRONG__METRIC_PERCENTILE);
    CHECK_INT(t.hist, THRONG__HIST_CORRECTED);
    CHECK(t.q == 99 && t.limit == 0.05);
    CHECK_STR(t.metric_text, "corrected.p99");
    t = parsed("corrected.p99.99<1s", &rc);
    CHECK_INT(rc, 0);
    CHECK(t.q == 99.99);
    t = parsed("service.mean<2ms", &rc);
    CHECK_INT(rc, 0);
    CHECK_INT(t.metric, THRONG__METRIC_MEAN);
    CHECK_INT(t.hist, THRONG__HIST_SERVICE);
    t = parsed("p99<2ms", &rc);
    CHECK_INT(t.hist, THRONG__HIST_LATENCY);

    /* Refused: group-level metrics per request name, counts that are not
     * whole, shares past 100%, a distribution with a metric not a latency. */
    static const char *const bad[] = {"table:corrected.p99<50ms",
                                      "table:service.p99<50ms",
                                      "table:dropped<1%",
                                      "table:dropped<3",
                                      "dropped<1.5",
                                      "dropped<101%",
                                      "corrected.errors<1%",
                                      "service.rate>10",
                                      "corrected.p99<50",
                                      "dropped<-1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[THRONG__ERRMSG_LEN] = "";
        throng__threshold_t x;
        if (throng__threshold_parse(bad[i], &x, err) == 0) {
            fprintf(stderr, "accepted: %s\n", bad[i]);
            CHECK(0);
        }
        CHECK(strstr(err, bad[i]) != NULL); /* the message names the expression */
    }
    char err[THRONG__ERRMSG_LEN] = "";
    throng__threshold_parse("table:corrected.p99<50ms", &t, err);
    CHECK(strstr(err, "not per request name") != NULL);
}

static throng__stats_t *new_stats(void)
{
    throng__stats_t *s = malloc(sizeof *s);
    if (!s) abort();
    throng__stats_init(s);
    return s;
}

static throng__threshold_t evaluated(const char *text, const throng__stats_t *s)
{
    int rc;
    throng__threshold_t t = parsed(text, &rc);
    CHECK_INT(rc, 0);
    throng__threshold_eval(&t, s, 10);
    return t;
}

static void test_dropped(void)
{
    throng__stats_t *s = new_stats();
    for (int i = 0; i < 200; i++)
        throng__stats_arrival(s, i == 7 || i == 99);
    CHECK_INT(s->n.arrivals, 200);
    CHECK_INT(s->n.dropped, 2);
    CHECK_INT(s->n.sent, 0); /* no ledger count moved */
    throng__threshold_t t = evaluated("dropped<2%", s);
    CHECK(t.measured && t.passed && t.value == 2.0 / 200);
    t = evaluated("dropped<1%", s); /* exactly 1% */
    CHECK(t.measured && !t.passed);
    t = evaluated("dropped<=1%", s);
    CHECK(t.passed);
    t = evaluated("dropped<=2", s);
    CHECK(t.passed && t.value == 2);
    t = evaluated("dropped<2", s);
    CHECK(!t.passed);
    throng__stats_free(s);
    free(s);
}

/* A run whose one request took 100 ms while its client meant to ask every
 * 10 ms: corrected holds 10 values (100, 90, ... 10 ms), latency one. */
static void test_corrected(void)
{
    throng__stats_t *s = new_stats();
    throng__stats_begin(s, -1);
    throng__stats_answered(s, -1, 200, 100 * MS, 100 * MS, MS);
    throng__threshold_t t = evaluated("corrected.p99<1s", s);
    CHECK(!t.measured && !t.passed); /* no interval: never passes */
    CHECK(strstr(t.note, "expected interval") != NULL);
    t = evaluated("p50<1s", s); /* the measured latency is there */
    CHECK(t.passed && t.note[0] == '\0');
    CHECK_INT(throng__hist_count(&s->corrected), 0);

    throng__stats_t *c = new_stats();
    c->expected_interval_ns = 10 * MS;
    throng__stats_begin(c, -1);
    throng__stats_answered(c, -1, 200, 100 * MS, 100 * MS, MS);
    CHECK_INT(throng__hist_count(&c->latency), 1);
    CHECK_INT(throng__hist_count(&c->corrected), 10);
    t = evaluated("corrected.p50<40ms", c);
    CHECK(t.measured && !t.passed); /* the 50th of 10..100 ms is 50 ms */
    CHECK(t.value > 0.0499 && t.value < 0.0501);
    t = evaluated("corrected.min<=10ms", c);
    CHECK(t.measured && t.passed);
    t = evaluated("p50<100ms", c);
    CHECK(!t.passed); /* the measured one is not replaced */
    t = evaluated("service.max<150ms", c);
    CHECK(t.measured && t.passed);
    throng__stats_free(s);
    throng__stats_free(c);
    free(s);
    free(c);
}

static void test_check_parse(void)
{
    int rc;
    throng__threshold_t t = parsed("check:logged in>99%", &rc);
    CHECK_INT(rc, 0);
    CHECK_INT(t.metric, THRONG__METRIC_CHECK_RATE);
    CHECK_STR(t.name, "logged in"); /* the blank inside is kept */
    CHECK_STR(t.op, ">");
    CHECK(t.limit > 0.98999 && t.limit < 0.99001);
    t = parsed("  check:  token ok >= 0.5 ", &rc);
    CHECK_INT(rc, 0);
    CHECK_STR(t.name, "token ok"); /* blanks at its edges are not */
    CHECK_STR(t.op, ">=");
    CHECK(t.limit == 0.5);
    t = parsed("checkout:p99<2s", &rc); /* a name that starts with "check" */
    CHECK_INT(rc, 0);
    CHECK_STR(t.name, "checkout");
    CHECK_INT(t.metric, THRONG__METRIC_PERCENTILE);
    CHECK(t.limit == 2);

    static const char *const bad[] = {"check:>99%",    "check:ok>101%", "check:ok>1.5",
                                      "check:ok>99ms", "check:ok",      "check:  <50%"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[THRONG__ERRMSG_LEN] = "";
        throng__threshold_t x;
        if (throng__threshold_parse(bad[i], &x, err) == 0) {
            fprintf(stderr, "accepted: %s\n", bad[i]);
            CHECK(0);
        }
        CHECK(strstr(err, bad[i]) != NULL);
    }
}

/* Transactions are measured by name before request names; a check's
 * threshold reads its pass rate; either fails when it never ran. */
static void test_txn_check_eval(void)
{
    throng__stats_t *s = new_stats();
    int req = throng__stats_name(s, "checkout", 8); /* a request of the same name */
    throng__stats_begin(s, req);
    throng__stats_answered(s, req, 200, MS, MS, MS);
    int t = throng__stats_txn(s, "checkout", 8);
    for (int i = 0; i < 100; i++)
        throng__stats_txn_done(s, t, (uint64_t)(i + 1) * 20 * MS, i < 3);
    throng__threshold_t th = evaluated("checkout:p99<2s", s);
    CHECK(th.measured && th.transaction);
    CHECK(th.value > 1.9 && th.value < 2.1); /* the transaction's, not the 1 ms request */
    th = evaluated("checkout:p50<2s", s);
    CHECK(th.passed);
    th = evaluated("checkout:max<1s", s);
    CHECK(!th.passed);
    th = evaluated("checkout:errors<5%", s);
    CHECK(th.passed && th.value > 0.0299 && th.value < 0.0301);
    th = evaluated("checkout:errors<3%", s);
    CHECK(!th.passed);
    th = evaluated("checkout:failures<=3", s);
    CHECK(th.passed && th.value == 3);
    th = evaluated("checkout:requests>=100", s);
    CHECK(th.passed);
    th = evaluated("checkout:rate>=10", s); /* 100 in the 10 s given */
    CHECK(th.passed);
    th = evaluated("nosuch:p99<2s", s);
    CHECK(!th.measured && !th.passed);

    for (int i = 0; i < 200; i++)
        throng__stats_check(s, "logged in", 9, i != 0);
    th = evaluated("check:logged in>99%", s);
    CHECK(th.measured && th.passed && th.value == 199.0 / 200);
    th = evaluated("check:logged in>=99.9%", s);
    CHECK(th.measured && !th.passed);
    th = evaluated("check:logged in<1", s);
    CHECK(th.passed);
    th = evaluated("check:logged>0%", s); /* a different name: never ran */
    CHECK(!th.measured && !th.passed);
    CHECK(th.note[0] != '\0');
    throng__stats_free(s);
    free(s);
}

int main(void)
{
    test_check_parse();
    test_txn_check_eval();
    test_parse();
    test_dropped();
    test_corrected();
    return check_result("test_threshold");
}
