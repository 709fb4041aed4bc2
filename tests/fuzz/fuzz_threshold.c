/* fuzz_threshold.c - throng__threshold_parse (stats/threshold.c): pass/fail
 * conditions such as "p99<50ms", "table:errors<1%", "rate>=1000". An
 * accepted threshold is then measured against a small run's statistics
 * (some answered requests of the name "table", one fault), and its value
 * must be a number, not NaN. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "stats/threshold.h"
#include "util/error.h"

static throng__stats_t stats;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    throng__stats_init(&stats);
    int name = throng__stats_name(&stats, "table", 5);
    for (int i = 0; i < 50; i++) {
        throng__stats_begin(&stats, name);
        throng__stats_answered(&stats, name, i % 7 ? 200 : 503, 1000000u + 37000u * (unsigned)i,
                               1000000u + 37000u * (unsigned)i, 500000);
    }
    throng__stats_begin(&stats, -1);
    throng__stats_faulted(&stats, -1, THRONG_FAULT_TIMED_OUT, "timed out");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_string(data, size);
    if (!text) return 0;
    throng__threshold_t t;
    char err[THRONG__ERRMSG_LEN];
    if (throng__threshold_parse(text, &t, err) == 0) {
        FUZZ_CHECK(memchr(t.expression, '\0', sizeof t.expression));
        FUZZ_CHECK(memchr(t.name, '\0', sizeof t.name));
        FUZZ_CHECK(!isnan(t.limit));
        throng__threshold_eval(&t, &stats, 2.5);
        FUZZ_CHECK(!t.measured || !isnan(t.value));
        throng__threshold_eval(&t, &stats, 0); /* a run that ended at once */
    } else {
        FUZZ_CHECK(memchr(err, '\0', sizeof err) && err[0]);
    }
    free(text);
    return 0;
}
