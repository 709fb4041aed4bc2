/* report_json.h - the report as a JSON document, and the names of endings. */
#ifndef THRONG_REPORT_JSON_H
#define THRONG_REPORT_JSON_H

#include <cJSON.h>

#include "throng.h"

struct throng__stats;

/* What a report is made of: the ended run's figures, or a running run's so far. */
typedef struct throng__report_view {
    const throng_report_t *report;
    struct throng__stats *const *gstats; /* per group */
    const struct throng__stats *total;
} throng__report_view_t;

/* The whole report (docs/report.md); the caller deletes it. */
cJSON *throng__report_json(const throng_engine_t *engine, const throng__report_view_t *view);

/* "duration", "clients", ... as in the JSON report. */
const char *throng__ending_name(throng_ending_t ending);
/* "duration reached", "number of clients declined to zero", ... */
const char *throng__ending_text(throng_ending_t ending);

#endif
