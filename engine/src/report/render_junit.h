/* render_junit.h - a run's thresholds as JUnit XML, the test report every
 * CI system reads (Jenkins, GitLab, GitHub's test reporters).
 *
 * One test suite, "throng"; one test case per threshold (classname
 * throng.thresholds, or throng.thresholds.GROUP for a plan group's), failed
 * with a message giving what was measured and the limit in the units the
 * threshold was written in ("errors 2.3% (limit <1%)"). What fails the run
 * outside its thresholds has test cases of classname throng.run: "worker
 * processes" when one was lost, "worker threads" when one was abandoned,
 * and "run" when the run was stopped or lost every worker process, or has
 * no thresholds (then "run" fails as the exit status would: on faults).
 * So the suite has a failure exactly when `throng run` exits with one.
 * Every string is XML-escaped; bytes that are not UTF-8, and control
 * characters XML 1.0 does not allow, become U+FFFD. */
#ifndef THRONG_RENDER_JUNIT_H
#define THRONG_RENDER_JUNIT_H

#include <stddef.h>

#include <cJSON.h>

#include "util/buf.h"

/* Appends the JUnit XML of a parsed JSON report (version 1) to out.
 * Returns 0, or THRONG_EINVAL with the reason in err
 * (THRONG__ERRMSG_LEN bytes) when it is not a report. */
int throng__render_junit(const cJSON *report, throng__buf_t *out, char *err);

/* What a threshold measured and its limit, as text in the units it was
 * written in: "2.3%" and "<1%" for errors<1%, "23.4ms" and "<20ms" for
 * p99<20ms. measured is "never measured" when the report has no value. */
void throng__threshold_texts(const cJSON *threshold, char *measured, size_t mlen, char *limit,
                             size_t llen);

#endif
