/* duration.h - the one parser of durations, for plans, thresholds and the
 * command line alike: "250ms", "30s", "5m", "1h", "1h30m", or a bare number
 * of seconds. */
#ifndef THRONG_DURATION_H
#define THRONG_DURATION_H

#include <stddef.h>

/* What a duration looks like, for messages. */
#define THRONG__DURATION_FORMS "250ms, 30s, 5m, 1h, 1h30m, or a number of seconds"

/* Parses text into *seconds. A duration is a bare number of seconds
 * ("1.5"), or one or more parts of a number and a unit (ns, us, ms, s, m,
 * h, d), added up: "1h30m" is 5400. Numbers are decimal, not negative.
 * Returns 0, or THRONG_EINVAL with *seconds untouched and the reason in
 * why (whylen bytes; why may be NULL). */
int throng__duration_parse(const char *text, double *seconds, char *why, size_t whylen);

#endif
