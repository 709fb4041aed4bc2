/* report_json.h - the report as a JSON document, and the names of endings. */
#ifndef THRONG_REPORT_JSON_H
#define THRONG_REPORT_JSON_H

#include <cJSON.h>

#include "throng.h"

#include <stdint.h>
#include <time.h>

#include "stats/series.h"
#include "stats/stats.h"
#include "stats/threshold.h"

/* One group as the report describes it. */
typedef struct throng__report_group {
    const char *name, *persona, *server, *style;
    unsigned clients, processes, threads, request_count;
    double slow_down;
    const throng_group_t *load; /* its settings, for the load model; NULL: closed, none given */
    const throng__stats_t *stats;
} throng__report_group_t;

/* A run as the report describes it: the ended run's figures, or a running
 * run's so far. The engine fills it; nothing here knows the engine. */
typedef struct throng__report_view {
    const throng_report_t *report;
    const throng_config_t *config;
    uint64_t seed; /* the run's seed (every shard's alike) */
    time_t started_wall;
    const char *run_id;     /* the run's identity */
    uint64_t max_requests;  /* this shard's part of config->max_requests */
    unsigned shard, shards; /* this report's shard of shards (0 of 1: the whole run) */
    double run_start;       /* Unix time the load started (the agreed start of every shard) */
    const throng__report_group_t *groups;
    unsigned ngroups;
    const throng__stats_t *total;
    const throng__series_t *series;
    const throng__threshold_t *thresholds;
    unsigned nthresholds;
} throng__report_view_t;

/* The whole report (docs/report.md); the caller deletes it. */
cJSON *throng__report_json(const throng__report_view_t *view);

/* Checks a report read from outside (a file) before it is merged or
 * drawn: the types docs/report-schema.json gives, numbers finite, not
 * negative, at most 2^53 (exact in a double), arrays of a size a run makes.
 * Returns 0, or -1 with "FIELD: what is wrong" in why (whylen bytes), the
 * field as a path ("groups[0].totals.latency.buckets[3][2]"). */
int throng__report_check(const cJSON *doc, char *why, size_t whylen);

/* Measures every threshold of a report again on its figures (a merged
 * report's, say), after adding those of expressions (n of them, for the
 * whole run); their value, passed and note are set. Returns how many
 * failed, or -1: out of memory, or a malformed expression (why says,
 * whylen bytes). *failed (may be NULL) gets the same count. */
int throng__report_thresholds(cJSON *doc, const char *const *expressions, size_t n,
                              unsigned *failed, char *why, size_t whylen);

/* "duration", "clients", ... as in the JSON report. */
const char *throng__ending_name(throng_ending_t ending);
/* "duration reached", "number of clients declined to zero", ... */
const char *throng__ending_text(throng_ending_t ending);

#endif
