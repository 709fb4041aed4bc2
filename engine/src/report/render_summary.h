/* render_summary.h - the short summary of a run for scripts, and the
 * verdict on a run that the summary and the JUnit report share.
 *
 * The summary is a small JSON object with a stable schema ("schema": 1,
 * docs/report.md) drawn from a JSON report: whether the run passed, its
 * exit status, its counts and latency percentiles, its thresholds and its
 * seed. The full report stays the place for everything else. */
#ifndef THRONG_RENDER_SUMMARY_H
#define THRONG_RENDER_SUMMARY_H

#include <stddef.h>

#include <cJSON.h>

#include "util/buf.h"

/* What `throng run` makes of a report: its exit status (0 passed, 1
 * faults, a worker process lost or a thread abandoned, 3 stopped, 4 every
 * worker process lost, 5 a threshold not met; as engine/cli/commands.h,
 * a failure to write files aside) and a sentence saying why when it is not
 * 0, written to why (whylen bytes). */
int throng__report_verdict(const cJSON *report, char *why, size_t whylen);

/* "passed" for exit status 0, "aborted" for 3, "failed" otherwise. */
const char *throng__verdict_name(int exit_status);

/* Appends the summary of a parsed JSON report (version 1) to out. Returns
 * 0, THRONG_ENOMEM, or THRONG_EINVAL with the reason in err
 * (THRONG__ERRMSG_LEN bytes) when it is not a report. */
int throng__render_summary(const cJSON *report, throng__buf_t *out, char *err);

/* A report's field by key: the object (or NULL), the number (0 when
 * missing or not a number), the string ("" when missing). */
const cJSON *throng__summary_obj(const cJSON *o, const char *key);
double throng__summary_num(const cJSON *o, const char *key);
const char *throng__summary_str(const cJSON *o, const char *key);

/* 0 when report is a throng report of version 1, else THRONG_EINVAL with
 * "not a throng report" in err (THRONG__ERRMSG_LEN bytes). */
int throng__summary_is_report(const cJSON *report, char *err);

#endif
