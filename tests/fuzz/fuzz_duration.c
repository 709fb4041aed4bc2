/* fuzz_duration.c - throng__duration_parse (util/duration.c), the one
 * parser of durations for plans, thresholds and the command line. A
 * duration it accepts is a finite number of seconds, not negative, and the
 * public throng_parse_duration agrees with it. */
#include <math.h>
#include <stdlib.h>

#include "fuzz.h"
#include "throng.h"
#include "util/duration.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_string(data, size);
    if (!text) return 0;
    double s = -42, p = -42;
    char why[128];
    int rc = throng__duration_parse(text, &s, why, sizeof why);
    if (rc == 0) {
        FUZZ_CHECK(isfinite(s) && s >= 0);
    } else {
        FUZZ_CHECK(s == -42); /* untouched on failure */
        FUZZ_CHECK(why[0] != '\0');
    }
    FUZZ_CHECK((throng_parse_duration(text, &p) == 0) == (rc == 0));
    FUZZ_CHECK(rc != 0 || p == s);
    /* Without a message buffer, as plan.c calls it. */
    FUZZ_CHECK((throng__duration_parse(text, &p, NULL, 0) == 0) == (rc == 0));
    free(text);
    return 0;
}
