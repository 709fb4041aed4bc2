/* dashboard.h - the live dashboard's figures: what a second of a run looks
 * like to a person (the snapshot sent over Server-Sent Events and served as
 * /snapshot.json) and to Prometheus (/metrics), both made from the JSON
 * report (throng_report_json(), live while the run goes on).
 *
 * The server itself (dashboard.c) runs its own thread and uv loop, behind
 * throng.h's throng_dashboard_* calls; these functions are pure: a parsed
 * report in, text out, so that they are tested without a server. */
#ifndef THRONG_CORE_DASHBOARD_H
#define THRONG_CORE_DASHBOARD_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "util/buf.h"

/* What one snapshot remembers of the previous, for rates per group. */
typedef struct throng__dash_prev {
    double elapsed;
    size_t ngroups;
    uint64_t requests[64]; /* per group, the first 64 groups */
    uint64_t failures[64];
} throng__dash_prev_t;

/* The snapshot: state ("starting", "running", "ended"), the run's counts,
 * the latest whole second of the series, per group requests/s (since the
 * previous snapshot), failures, clients and percentiles, faults by kind
 * with a sample, and the thresholds as they stand. report may be NULL (the
 * run has not started). viewers and dropped are the server's own counts.
 * Returns a cJSON object (the caller deletes it) or NULL without memory. */
cJSON *throng__dash_snapshot(const cJSON *report, int ended, throng__dash_prev_t *prev,
                             uint64_t viewers, uint64_t dropped);

/* /metrics in the Prometheus text format (openmetrics 0) or OpenMetrics
 * (1: counters' families without _total, "# EOF" at the end). report may
 * be NULL: only throng_running 0 then. Appends to b; 0 or THRONG_ENOMEM. */
int throng__dash_metrics(const cJSON *report, int ended, int openmetrics, throng__buf_t *b);

#endif
